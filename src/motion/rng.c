/* motion/rng.c — the distributions the motion passes draw from the
 * library's seeded generator (as_rng, core/rng.c),
 * plus small helpers shared by the passes (class weights, arousal).
 *
 * Sources: Blackman & Vigna, "Scrambled linear pseudorandom number
 * generators", ACM TOMS 47(4), 2021; Steele, Lea & Flood, "Fast splittable
 * pseudorandom number generators", OOPSLA 2014 (splitmix64). */
#include <math.h>
#include "motion/motion_internal.h"

double as_rng_uniform(as_rng *rng)
{
    /* The top 53 bits as an integer 0..2^53-1, plus 1, over 2^53: (0, 1]. */
    return (double)((as_rng_next(rng) >> 11) + 1) * (1.0 / 9007199254740992.0);
}

double as_rng_normal(as_rng *rng)
{
    /* Irwin-Hall: the sum of 4 uniforms has mean 2 and variance 4/12; scale
     * by sqrt(3) for unit variance. Cheap and free of libm. */
    double s = 0.0;
    for (int i = 0; i < 4; i++) s += as_rng_uniform(rng);
    return (s - 2.0) * 1.7320508075688772;
}

double as_rng_exp(as_rng *rng, double mean) { return -mean * log(as_rng_uniform(rng)); }

int motion_class_weights(const as_cond *cond, float w[AS_NUM_EMOTIONS])
{
    float sum = 0.0f;
    for (int e = 0; e < AS_NUM_EMOTIONS; e++) {
        float x = cond->w[e];
        w[e] = (x > 0.0f && x < 1e30f) ? x : 0.0f; /* negatives, NaN, inf -> 0 */
        sum += w[e];
    }
    if (!(sum > 0.0f)) {
        for (int e = 0; e < AS_NUM_EMOTIONS; e++) w[e] = 0.0f;
        w[AS_EMO_NEUTRAL] = 1.0f;
        return AS_EMO_NEUTRAL;
    }
    int best = 0;
    for (int e = 0; e < AS_NUM_EMOTIONS; e++) {
        w[e] /= sum;
        if (w[e] > w[best]) best = e;
    }
    return best;
}

float motion_arousal(const as_cond *cond)
{
    float a = cond->a;
    if (a != a) return 0.3f; /* NaN: the neutral arousal (ARCHITECTURE.md) */
    return a < 0.0f ? 0.0f : (a > 1.0f ? 1.0f : a);
}

/* ---- quasi-periodic oscillator ------------------------------------------ */

static double osc_draw_freq(as_rng *rng, double rate_hz, double jitter)
{
    return rate_hz * (1.0 + jitter * (2.0 * as_rng_uniform(rng) - 1.0));
}

void motion_osc_init(motion_osc *o, as_rng *rng, double rate_hz, double jitter)
{
    o->phase = 0.0;
    o->freq = osc_draw_freq(rng, rate_hz, jitter);
    o->amp = 1.0f;
    o->count = 0;
}

int motion_osc_advance(motion_osc *o, as_rng *rng, double rate_hz, double jitter, double dt)
{
    int cycles = 0;
    o->phase += o->freq * dt;
    while (o->phase >= 1.0) {
        /* The remainder of this step runs at the new cycle's frequency. */
        const double rest_s = (o->phase - 1.0) / o->freq;
        o->freq = osc_draw_freq(rng, rate_hz, jitter);
        o->phase = rest_s * o->freq;
        cycles++;
    }
    return cycles;
}

double motion_osc_pulse(const motion_osc *o)
{
    return o->amp * 0.5 * (1.0 - cos(6.283185307179586 * o->phase));
}
