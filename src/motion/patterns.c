/* motion/patterns.c — emotion-specific temporal patterns that a static
 * expression cannot show, each scaled by its class weight so it crossfades
 * with the emotion: laughter's jaw and cheek pulses (the "ha-ha-ha" rhythm,
 * bouts of calls separated by a breath) and crying's brow and chin quiver.
 * (Fluster's gaze oscillation lives in the gaze pass, with the gaze.)
 *
 * Both are quasi-periodic raised-cosine pulses whose frequency is redrawn
 * each cycle (rate x (1 +- jitter)), so the rhythm is alive but its spectrum
 * still peaks at the rate. Pulses only add (0..gain), and each cycle starts
 * and ends at 0 with zero slope, so amplitude changes between cycles are
 * smooth.
 *
 * Sources and limits (docs/MOTION.md):
 * - Laughter: laugh notes ("calls") recur about every 210 ms, ~4.8 Hz (Provine,
 *   "Laughter", American Scientist 84(1), 1996); bouts of a few calls
 *   (Bachorowski, Smoski & Owren, "The acoustic features of human laughter",
 *   JASA 110(3), 2001). Default 5 Hz, bouts of 4..8 calls, 1..2 rest cycles.
 * - Crying quiver 2..3 Hz (default 2.5 Hz): a design value that reads as a
 *   sob-driven tremble of brow and chin; we know no measurement of it.
 * - Gains respect the temporal smoothness contract (ARCHITECTURE.md: mean
 *   |2nd difference| < 0.015 per frame on slow channels at 30 fps). A pulse
 *   train of height g at f Hz has mean |2nd difference| at most
 *   g/2 x 4 sin^2(pi f / fps) x 2/pi (every cycle a call at full height).
 *   cheekSquint at the top of the jitter band, 5.75 Hz: 0.41 g, so 0.008 at
 *   the default g = 0.02 (measured over 60 s with bouts: 0.0045).
 *   browInnerUp at 2.875 Hz: 0.11 g, so 0.0067 at g = 0.06 (measured 0.004).
 *   That leaves half the budget for the expression underneath. jawOpen and
 *   mouthShrugLower are fast channels, free of the contract. */
#include "motion/motion_internal.h"

/* Laugh bouts: 4..8 calls, then 1..2 cycles of rest (a breath). */
#define LAUGH_BOUT_MIN 4
#define LAUGH_BOUT_SPAN 5 /* 4 + 0..4 */
#define LAUGH_CALL_AMP_MIN 0.75f
/* Crying: each quiver cycle's strength is uniform in 0.5..1. */
#define CRY_AMP_MIN 0.5f

static int draw_int(as_rng *rng, int n) /* 0..n-1 */
{
    int k = (int)(as_rng_uniform(rng) * n);
    return k >= n ? n - 1 : k;
}

/* A new laughter cycle: a call while the bout lasts (count > 0 calls left),
 * else a rest cycle (count < 0: -count rests left), then a new bout. */
static void laugh_cycle(motion_osc *o, as_rng *rng)
{
    if (o->count > 0) {
        o->amp = LAUGH_CALL_AMP_MIN + (1.0f - LAUGH_CALL_AMP_MIN) * (float)as_rng_uniform(rng);
        o->count--;
        if (o->count == 0) o->count = -(1 + draw_int(rng, 2));
    } else {
        o->amp = 0.0f;
        o->count++;
        if (o->count >= 0) o->count = LAUGH_BOUT_MIN + draw_int(rng, LAUGH_BOUT_SPAN);
    }
}

static void cry_cycle(motion_osc *o, as_rng *rng)
{
    o->amp = CRY_AMP_MIN + (1.0f - CRY_AMP_MIN) * (float)as_rng_uniform(rng);
}

void motion_pattern_init(motion_pattern_state *s, const as_motion_params *p)
{
    as_rng_seed(&s->rng, p->seed, MOTION_STREAM_PATTERN);
    motion_osc_init(&s->laugh, &s->rng, p->laugh_rate_hz, p->pattern_jitter);
    s->laugh.count = LAUGH_BOUT_MIN + draw_int(&s->rng, LAUGH_BOUT_SPAN);
    laugh_cycle(&s->laugh, &s->rng); /* the first cycle is a call */
    motion_osc_init(&s->cry, &s->rng, p->cry_rate_hz, p->pattern_jitter);
    cry_cycle(&s->cry, &s->rng);
}

void motion_pattern_step(motion_pattern_state *s, const as_motion_params *p, float *frame, const as_cond *cond)
{
    const double dt = 1.0 / p->fps;
    float w[AS_NUM_EMOTIONS];
    motion_class_weights(cond, w);

    /* Evaluate at the current phase, then advance; the oscillators run
     * whatever the weights, so the draw sequence never depends on them. */
    const float laugh = (float)motion_osc_pulse(&s->laugh) * w[AS_EMO_LAUGHTER];
    const float cry = (float)motion_osc_pulse(&s->cry) * w[AS_EMO_CRYING];
    for (int n = motion_osc_advance(&s->laugh, &s->rng, p->laugh_rate_hz, p->pattern_jitter, dt); n > 0; n--)
        laugh_cycle(&s->laugh, &s->rng);
    for (int n = motion_osc_advance(&s->cry, &s->rng, p->cry_rate_hz, p->pattern_jitter, dt); n > 0; n--)
        cry_cycle(&s->cry, &s->rng);

    frame[AS_JAW_OPEN] += p->laugh_jaw_gain * laugh;
    frame[AS_CHEEK_SQUINT_LEFT] += p->laugh_cheek_gain * laugh;
    frame[AS_CHEEK_SQUINT_RIGHT] += p->laugh_cheek_gain * laugh;
    frame[AS_BROW_INNER_UP] += p->cry_brow_gain * cry;
    frame[AS_MOUTH_SHRUG_LOWER] += p->cry_chin_gain * cry;
}
