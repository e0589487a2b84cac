/* train/augment.c — audio augmentation for the dataset generator: the
 * synthesized speech is made to sound recorded (a room, a noisy background,
 * a narrow microphone or phone channel, an unknown level) before features
 * are computed from it, so the student network learns to read the mouth
 * from audio that is not studio-clean TTS. Targets are never made from the
 * augmented audio.
 *
 * Chain, in the order sound meets it: reverberation (the room) -> additive
 * noise (the background, at the microphone) -> band-limiting (microphone and
 * channel) -> gain (recording level) -> clipping to -1..1. docs/AUGMENT.md
 * gives every formula, range and source. */
#include <math.h>
#include <string.h>

#include "animasync/dataset.h"
#include "core/internal.h"
#include "train/dataset_util.h"

static const double PI = 3.14159265358979323846;

const char *as_noise_kind_name(as_noise_kind k)
{
    static const char *const names[] = {"white", "pink", "brown", "hum"};
    return (unsigned)k < AS_NUM_NOISE_KINDS ? names[k] : NULL;
}

as_augment_params as_augment_default_params(void)
{
    as_augment_params p;
    /* Small rooms: offices and living rooms measure RT60 0.3..0.6 s, cars and
     * booths below 0.2 s (ISO 3382-2 survey figures quoted by Kuttruff,
     * Room Acoustics, 2009, ch. 9). "A little" reverberation: the direct
     * sound dominates (DRR 3..15 dB, a talker within a metre or two). */
    p.reverb_prob = 0.5f;
    p.rt60_s_min = 0.15f;
    p.rt60_s_max = 0.6f;
    p.drr_db_min = 3.0f;
    p.drr_db_max = 15.0f;
    /* 10..40 dB SNR spans a noisy cafe to a quiet room (Pearsons, Bennett &
     * Fidell 1977 measured speech 5..15 dB over background in everyday
     * settings; quiet rooms reach 30+ dB). */
    p.noise_prob = 0.8f;
    p.snr_db_min = 10.0f;
    p.snr_db_max = 40.0f;
    /* Telephone band is 300..3400 Hz (ITU-T G.712); wideband voice and cheap
     * microphones roll off between 50..300 Hz and 3..7 kHz. */
    p.bandlimit_prob = 0.5f;
    p.highpass_hz_min = 60.0f;
    p.highpass_hz_max = 300.0f;
    p.lowpass_hz_min = 3000.0f;
    p.lowpass_hz_max = 7500.0f;
    /* Recording level: -12 dB (a quiet input) to +4 dB (hot, occasionally
     * clipping; the synthesizers peak near -3 dBFS at volume 1). */
    p.gain_db_min = -12.0f;
    p.gain_db_max = 4.0f;
    return p;
}

as_augment_choice as_augment_none(void)
{
    as_augment_choice c;
    memset(&c, 0, sizeof c);
    c.noise_kind = AS_NOISE_WHITE;
    return c;
}

static as_result check_range(const char *name, float lo, float hi, float min, float max)
{
    if (!(lo >= min && hi <= max && lo <= hi))
        return as_fail(AS_ERR_RANGE, "augment: %s %g..%g outside %g..%g (or min above max)", name, (double)lo,
                       (double)hi, (double)min, (double)max);
    return AS_OK;
}

static as_result check_params(const as_augment_params *p)
{
    as_result r;
    if ((r = check_range("reverb_prob", p->reverb_prob, p->reverb_prob, 0, 1)) != AS_OK) return r;
    if ((r = check_range("rt60_s", p->rt60_s_min, p->rt60_s_max, 0.05f, 3)) != AS_OK) return r;
    if ((r = check_range("drr_db", p->drr_db_min, p->drr_db_max, -10, 40)) != AS_OK) return r;
    if ((r = check_range("noise_prob", p->noise_prob, p->noise_prob, 0, 1)) != AS_OK) return r;
    if ((r = check_range("snr_db", p->snr_db_min, p->snr_db_max, -10, 80)) != AS_OK) return r;
    if ((r = check_range("bandlimit_prob", p->bandlimit_prob, p->bandlimit_prob, 0, 1)) != AS_OK) return r;
    if ((r = check_range("highpass_hz", p->highpass_hz_min, p->highpass_hz_max, 20, 1000)) != AS_OK) return r;
    if ((r = check_range("lowpass_hz", p->lowpass_hz_min, p->lowpass_hz_max, 1000, 20000)) != AS_OK) return r;
    if ((r = check_range("gain_db", p->gain_db_min, p->gain_db_max, -40, 20)) != AS_OK) return r;
    return AS_OK;
}

as_result as_augment_draw(const as_augment_params *params, uint64_t seed, as_augment_choice *out)
{
    if (!out) return as_fail(AS_ERR_INVALID_ARG, "as_augment_draw: NULL argument");
    as_augment_params p = params ? *params : as_augment_default_params();
    as_result r = check_params(&p);
    if (r != AS_OK) return r;
    as_ds_rng g;
    as_ds_rng_seed(&g, seed);
    /* Every draw is made whether or not its stage is on, so one stage's
     * coin never shifts the numbers of the next. */
    as_augment_choice c = as_augment_none();
    c.reverb = as_ds_rng_uniform(&g) < p.reverb_prob;
    c.rt60_s = (float)as_ds_rng_range(&g, p.rt60_s_min, p.rt60_s_max);
    c.drr_db = (float)as_ds_rng_range(&g, p.drr_db_min, p.drr_db_max);
    c.noise = as_ds_rng_uniform(&g) < p.noise_prob;
    c.noise_kind = (as_noise_kind)as_ds_rng_index(&g, AS_NUM_NOISE_KINDS);
    c.snr_db = (float)as_ds_rng_range(&g, p.snr_db_min, p.snr_db_max);
    c.hum_hz = as_ds_rng_uniform(&g) < 0.5 ? 50.0f : 60.0f;
    int band = as_ds_rng_uniform(&g) < p.bandlimit_prob;
    /* Corner frequencies uniform on a log scale (they are perceived so). */
    float hp = (float)exp(as_ds_rng_range(&g, log(p.highpass_hz_min), log(p.highpass_hz_max)));
    float lp = (float)exp(as_ds_rng_range(&g, log(p.lowpass_hz_min), log(p.lowpass_hz_max)));
    c.highpass_hz = band ? hp : 0.0f;
    c.lowpass_hz = band ? lp : 0.0f;
    c.gain_db = (float)as_ds_rng_range(&g, p.gain_db_min, p.gain_db_max);
    c.noise_seed = as_ds_rng_next(&g);
    if (!c.reverb) c.rt60_s = c.drr_db = 0.0f;
    if (!c.noise) c.snr_db = 0.0f;
    if (!c.noise || c.noise_kind != AS_NOISE_HUM) c.hum_hz = 0.0f;
    *out = c;
    return AS_OK;
}

/* ---- measuring ------------------------------------------------------------ */

double as_augment_active_power(const float *x, size_t n, int rate_hz)
{
    if (!x || n == 0 || rate_hz <= 0) return 0.0;
    size_t block = (size_t)rate_hz / 100;
    if (block == 0) block = 1;
    /* Pass 1: the loudest 10 ms block. */
    double peak = 0.0;
    for (size_t b = 0; b < n; b += block) {
        size_t e = b + block < n ? b + block : n;
        double s = 0.0;
        for (size_t i = b; i < e; i++) s += (double)x[i] * x[i];
        s /= (double)(e - b);
        if (s > peak) peak = s;
    }
    if (peak <= 0.0) return 0.0;
    /* Pass 2: mean square over the blocks within 40 dB of it. */
    double floor_ms = peak * 1e-4, sum = 0.0;
    size_t count = 0;
    for (size_t b = 0; b < n; b += block) {
        size_t e = b + block < n ? b + block : n;
        double s = 0.0;
        for (size_t i = b; i < e; i++) s += (double)x[i] * x[i];
        if (s / (double)(e - b) >= floor_ms) {
            sum += s;
            count += e - b;
        }
    }
    return count ? sum / (double)count : 0.0;
}

/* ---- reverberation ----------------------------------------------------------
 * Schroeder's reverberator (Schroeder 1962, "Natural sounding artificial
 * reverberation", JAES 10(3)) with Moorer's low-pass in each comb's loop
 * (Moorer 1979, "About this reverberation business", CMJ 3(2)): four
 * parallel feedback combs (29.7, 37.1, 41.1, 43.7 ms, Schroeder's mutually
 * prime delays) into two all-passes (5.0 and 1.7 ms, gain 0.7). A comb of
 * delay D samples has feedback g = 10^(-3 D / (RT60 fs)), so its echoes fall
 * 60 dB in RT60 seconds. The wet signal is scaled to the drawn direct-to-
 * reverberant ratio and added to the dry one, which is not delayed: the
 * clock of the phoneme times is kept. */

typedef struct {
    float *buf;
    size_t len, pos;
    float g, store;
} comb;

static float comb_step(comb *c, float x, float damp)
{
    float y = c->buf[c->pos];
    /* One-pole low-pass in the loop: high frequencies decay faster, as air
     * and walls absorb them (Moorer 1979). */
    c->store = y * (1.0f - damp) + c->store * damp;
    c->buf[c->pos] = x + c->g * c->store;
    if (++c->pos == c->len) c->pos = 0;
    return y;
}

static float allpass_step(comb *a, float x)
{
    float d = a->buf[a->pos];
    float y = -a->g * x + d;
    a->buf[a->pos] = x + a->g * y;
    if (++a->pos == a->len) a->pos = 0;
    return y;
}

static as_result reverberate(float *x, size_t n, int rate, float rt60_s, float drr_db)
{
    static const double comb_ms[4] = {29.7, 37.1, 41.1, 43.7};
    static const double allpass_ms[2] = {5.0, 1.7};
    comb c[6];
    size_t total = 0;
    for (int i = 0; i < 6; i++) {
        double ms = i < 4 ? comb_ms[i] : allpass_ms[i - 4];
        c[i].len = (size_t)(ms * 1e-3 * rate + 0.5);
        if (c[i].len < 1) c[i].len = 1;
        c[i].pos = 0;
        c[i].store = 0.0f;
        c[i].g = i < 4 ? (float)pow(10.0, -3.0 * (double)c[i].len / (rt60_s * (double)rate)) : 0.7f;
        total += c[i].len;
    }
    float *mem = as_calloc(total + n, sizeof(float));
    if (!mem) return as_fail(AS_ERR_NOMEM, "augment: out of memory for reverberation");
    float *wet = mem + total;
    size_t off = 0;
    for (int i = 0; i < 6; i++) {
        c[i].buf = mem + off;
        off += c[i].len;
    }
    const float damp = 0.2f; /* Freeverb's default damping (Jezar 2000) */
    double e_dry = 0.0, e_wet = 0.0;
    for (size_t i = 0; i < n; i++) {
        float s = 0.0f;
        for (int k = 0; k < 4; k++) s += comb_step(&c[k], x[i], damp);
        s = allpass_step(&c[4], s);
        s = allpass_step(&c[5], s);
        wet[i] = s;
        e_dry += (double)x[i] * x[i];
        e_wet += (double)s * s;
    }
    if (e_wet > 0.0 && e_dry > 0.0) {
        /* Scale so that E_dry / E_wet = 10^(DRR / 10). */
        float k = (float)sqrt(e_dry / (e_wet * pow(10.0, drr_db / 10.0)));
        for (size_t i = 0; i < n; i++) x[i] += k * wet[i];
    }
    as_free(mem);
    return AS_OK;
}

/* ---- noise ------------------------------------------------------------------ */

/* Two independent standard normal values (Marsaglia's polar method,
 * Marsaglia & Bray 1964: no trigonometry, one log per pair). */
static void normal_pair(as_ds_rng *g, double *a, double *b)
{
    double u, v, s;
    do {
        u = 2.0 * as_ds_rng_uniform(g) - 1.0;
        v = 2.0 * as_ds_rng_uniform(g) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double k = sqrt(-2.0 * log(s) / s);
    *a = u * k;
    *b = v * k;
}

static void make_noise(float *out, size_t n, int rate, as_noise_kind kind, float hum_hz, uint64_t seed)
{
    as_ds_rng g;
    as_ds_rng_seed(&g, seed);
    /* Paul Kellet's "refined" pink filter (musicdsp.org, 1999): 7 one-pole
     * sections whose sum is within 0.05 dB of -3 dB/octave above 9 Hz at 44.1 kHz. */
    double b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, brown = 0;
    /* Hum: each harmonic is a phasor (c, s) turned by its step every sample
     * (a rotation, cheaper than sin() and exact to rounding; renormalised
     * every 1024 samples so its length stays 1). */
    double hc[5], hs[5], sc[5], ss[5];
    for (int h = 0; h < 5; h++) {
        double ph = 2.0 * PI * as_ds_rng_uniform(&g), w = 2.0 * PI * hum_hz * (h + 1) / rate;
        hc[h] = cos(ph);
        hs[h] = sin(ph);
        sc[h] = cos(w);
        ss[h] = sin(w);
    }
    double spare = 0.0;
    for (size_t i = 0; i < n; i++) {
        double w, v;
        if (i % 2 == 0) normal_pair(&g, &w, &spare);
        else w = spare;
        switch (kind) {
        case AS_NOISE_WHITE: v = w; break;
        case AS_NOISE_BROWN:
            /* Leaky integrator: -6 dB/octave above about 5 Hz at 22 kHz
             * (pole 0.9985), so it does not drift like a pure random walk. */
            brown = 0.9985 * brown + w;
            v = brown;
            break;
        case AS_NOISE_PINK:
        case AS_NOISE_HUM:
        default:
            b0 = 0.99886 * b0 + w * 0.0555179;
            b1 = 0.99332 * b1 + w * 0.0750759;
            b2 = 0.96900 * b2 + w * 0.1538520;
            b3 = 0.86650 * b3 + w * 0.3104856;
            b4 = 0.55000 * b4 + w * 0.5329522;
            b5 = -0.7616 * b5 - w * 0.0168980;
            v = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362;
            b6 = w * 0.115926;
            if (kind == AS_NOISE_HUM) {
                /* Mains hum: the fundamental and four harmonics at 1/k
                 * amplitude (RMS 0.86), plus the pink noise (RMS 3.05 from
                 * Kellet's filter) scaled by 0.01: 29 dB under the hum. */
                double hum = 0.0;
                for (int h = 0; h < 5; h++) {
                    hum += hs[h] / (h + 1);
                    double c = hc[h] * sc[h] - hs[h] * ss[h];
                    hs[h] = hs[h] * sc[h] + hc[h] * ss[h];
                    hc[h] = c;
                    if ((i & 1023) == 1023) {
                        double len = sqrt(hc[h] * hc[h] + hs[h] * hs[h]);
                        hc[h] /= len;
                        hs[h] /= len;
                    }
                }
                v = hum + 0.01 * v;
            }
            break;
        }
        out[i] = (float)v;
    }
}

/* ---- band-limiting: RBJ cookbook biquads ------------------------------------
 * Bristow-Johnson, "Cookbook formulae for audio EQ biquad filter
 * coefficients". High-pass: one 2nd-order Butterworth section (Q = 1/sqrt 2,
 * -12 dB/octave). Low-pass: a 4th-order Butterworth as two sections with the
 * pole-pair Qs 1 / (2 cos(pi/8)) = 0.5412 and 1 / (2 cos(3 pi/8)) = 1.3066
 * (-24 dB/octave), in direct form I, double precision. */

typedef struct {
    double b0, b1, b2, a1, a2;
} biquad;

static biquad biquad_make(int highpass, double f0, double q, int rate)
{
    double w0 = 2.0 * PI * f0 / rate, cw = cos(w0), alpha = sin(w0) / (2.0 * q);
    double a0 = 1.0 + alpha;
    biquad b;
    if (highpass) {
        b.b0 = (1.0 + cw) / 2.0 / a0;
        b.b1 = -(1.0 + cw) / a0;
    } else {
        b.b0 = (1.0 - cw) / 2.0 / a0;
        b.b1 = (1.0 - cw) / a0;
    }
    b.b2 = b.b0;
    b.a1 = -2.0 * cw / a0;
    b.a2 = (1.0 - alpha) / a0;
    return b;
}

static void biquad_run(const biquad *b, float *x, size_t n)
{
    double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
    for (size_t i = 0; i < n; i++) {
        double y = b->b0 * x[i] + b->b1 * x1 + b->b2 * x2 - b->a1 * y1 - b->a2 * y2;
        x2 = x1;
        x1 = x[i];
        y2 = y1;
        y1 = y;
        x[i] = (float)y;
    }
}

/* ---- the chain ---------------------------------------------------------------- */

as_result as_augment_apply(const as_augment_choice *c, float *x, size_t n, int rate_hz)
{
    if (!c || (!x && n)) return as_fail(AS_ERR_INVALID_ARG, "as_augment_apply: NULL argument");
    if (rate_hz < 4000 || rate_hz > 384000)
        return as_fail(AS_ERR_RANGE, "as_augment_apply: rate %d Hz outside 4000..384000", rate_hz);
    if (c->reverb && !(c->rt60_s >= 0.05f && c->rt60_s <= 3.0f))
        return as_fail(AS_ERR_RANGE, "as_augment_apply: rt60 %g s outside 0.05..3", (double)c->rt60_s);
    if (!(c->gain_db >= -40.0f && c->gain_db <= 20.0f))
        return as_fail(AS_ERR_RANGE, "as_augment_apply: gain %g dB outside -40..20", (double)c->gain_db);
    if (n == 0) return AS_OK;
    as_result r;
    if (c->reverb && (r = reverberate(x, n, rate_hz, c->rt60_s, c->drr_db)) != AS_OK) return r;
    if (c->noise) {
        if ((unsigned)c->noise_kind >= AS_NUM_NOISE_KINDS)
            return as_fail(AS_ERR_RANGE, "as_augment_apply: noise kind %d unknown", (int)c->noise_kind);
        /* SNR against the active speech level of the (reverberant) speech;
         * the noise power is its mean square over the whole clip, as it is
         * stationary. Silence gets no noise (there is no level to refer to). */
        double ps = as_augment_active_power(x, n, rate_hz);
        if (ps > 0.0) {
            float *noise = as_malloc(n * sizeof(float));
            if (!noise) return as_fail(AS_ERR_NOMEM, "augment: out of memory for noise");
            make_noise(noise, n, rate_hz, c->noise_kind, c->hum_hz > 0 ? c->hum_hz : 50.0f, c->noise_seed);
            double pn = 0.0;
            for (size_t i = 0; i < n; i++) pn += (double)noise[i] * noise[i];
            pn /= (double)n;
            if (pn > 0.0) {
                float k = (float)sqrt(ps / (pn * pow(10.0, c->snr_db / 10.0)));
                for (size_t i = 0; i < n; i++) x[i] += k * noise[i];
            }
            as_free(noise);
        }
    }
    if (c->highpass_hz > 0.0f) {
        biquad b = biquad_make(1, c->highpass_hz, 0.70710678118654752, rate_hz);
        biquad_run(&b, x, n);
    }
    if (c->lowpass_hz > 0.0f && c->lowpass_hz < 0.45f * (float)rate_hz) {
        biquad b1 = biquad_make(0, c->lowpass_hz, 0.54119610014619698, rate_hz);
        biquad b2 = biquad_make(0, c->lowpass_hz, 1.30656296487637652, rate_hz);
        biquad_run(&b1, x, n);
        biquad_run(&b2, x, n);
    }
    float g = (float)pow(10.0, c->gain_db / 20.0);
    for (size_t i = 0; i < n; i++) x[i] = as_clampf(x[i] * g, -1.0f, 1.0f);
    return AS_OK;
}
