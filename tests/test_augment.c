/* test_augment.c — the dataset generator's audio augmentation
 * (as_augment_*): the SNR it promises, band-limiting that attenuates above
 * the corner and passes below it, reverberation that keeps the dry signal's
 * clock and meets its direct-to-reverberant ratio, gain and clipping,
 * noise colours, the draw's ranges and probabilities, determinism, and
 * argument errors. Signals are synthetic, so every expected value follows
 * from the formulas in docs/AUGMENT.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "animasync/dataset.h"
#include "testutil.h"

static const double PI = 3.14159265358979323846;

/* A speech-like test signal: a 150 Hz buzz with harmonics, on for 250 ms
 * and off for 150 ms in turn (syllables and pauses), amplitude 0.3. */
static float *speechlike(size_t n, int rate)
{
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / rate;
        int on = fmod(t, 0.4) < 0.25;
        double v = 0.0;
        for (int h = 1; h <= 6; h++) v += sin(2 * PI * 150.0 * h * t) / h;
        x[i] = on ? (float)(0.15 * v) : 0.0f;
    }
    return x;
}

/* The test's own active level: mean square over 10 ms blocks within 40 dB
 * of the loudest (docs/AUGMENT.md), written independently of the library. */
static double active_power(const float *x, size_t n, int rate)
{
    size_t block = (size_t)rate / 100;
    double peak = 0, sum = 0;
    size_t count = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t b = 0; b < n; b += block) {
            size_t e = b + block < n ? b + block : n;
            double s = 0;
            for (size_t i = b; i < e; i++) s += (double)x[i] * x[i];
            double ms = s / (double)(e - b);
            if (pass == 0 && ms > peak) peak = ms;
            if (pass == 1 && ms >= peak * 1e-4) { sum += s; count += e - b; }
        }
    return count ? sum / (double)count : 0;
}

static double rms_from(const float *x, size_t from, size_t n)
{
    double s = 0;
    for (size_t i = from; i < n; i++) s += (double)x[i] * x[i];
    return sqrt(s / (double)(n - from));
}

static void test_snr(void)
{
    const int rate = 16000;
    const size_t n = 2 * rate;
    float *x = speechlike(n, rate), *y = malloc(n * sizeof *y), *noise = malloc(n * sizeof *noise);
    CHECK(fabs(as_augment_active_power(x, n, rate) - active_power(x, n, rate)) < 1e-9);
    const float snrs[] = {5.0f, 20.0f, 35.0f};
    for (int kind = 0; kind < AS_NUM_NOISE_KINDS; kind++)
        for (int s = 0; s < 3; s++) {
            as_augment_choice c = as_augment_none();
            c.noise = 1;
            c.noise_kind = (as_noise_kind)kind;
            c.snr_db = snrs[s];
            c.hum_hz = 60.0f;
            c.noise_seed = 1000u + (unsigned)(kind * 3 + s);
            memcpy(y, x, n * sizeof *x);
            CHECK(as_augment_apply(&c, y, n, rate) == AS_OK);
            for (size_t i = 0; i < n; i++) noise[i] = y[i] - x[i];
            /* Noise power over the whole clip, and over the active blocks only:
             * both must give the requested SNR within 1 dB. */
            double pn = 0, pn_active = 0;
            size_t n_active = 0, block = rate / 100;
            double ps = active_power(x, n, rate), peak = 0;
            for (size_t i = 0; i < n; i++) pn += (double)noise[i] * noise[i];
            pn /= (double)n;
            for (size_t b = 0; b < n; b += block) {
                double ms = 0;
                for (size_t i = b; i < b + block; i++) ms += (double)x[i] * x[i];
                if (ms / block > peak) peak = ms / block;
            }
            for (size_t b = 0; b < n; b += block) {
                double ms = 0, mn = 0;
                for (size_t i = b; i < b + block; i++) { ms += (double)x[i] * x[i]; mn += (double)noise[i] * noise[i]; }
                if (ms / block >= peak * 1e-4) { pn_active += mn; n_active += block; }
            }
            pn_active /= (double)n_active;
            double got = 10 * log10(ps / pn), got_active = 10 * log10(ps / pn_active);
            CHECKF(fabs(got - snrs[s]) < 1.0, "%s noise at %g dB: measured %.2f dB", as_noise_kind_name(c.noise_kind),
                   (double)snrs[s], got);
            CHECKF(fabs(got_active - snrs[s]) < 1.0, "%s noise at %g dB: %.2f dB during speech",
                   as_noise_kind_name(c.noise_kind), (double)snrs[s], got_active);
        }
    /* Silence gets no noise: there is no speech level to refer to. */
    memset(y, 0, n * sizeof *y);
    as_augment_choice c = as_augment_none();
    c.noise = 1;
    c.snr_db = 10;
    CHECK(as_augment_apply(&c, y, n, rate) == AS_OK);
    double e = 0;
    for (size_t i = 0; i < n; i++) e += fabs(y[i]);
    CHECK(e == 0.0);
    free(x);
    free(y);
    free(noise);
}

/* RMS gain in dB of the chain on a steady tone (the first 0.1 s skipped). */
static double tone_gain_db(const as_augment_choice *c, double f, int rate)
{
    size_t n = (size_t)rate / 2;
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = (float)(0.25 * sin(2 * PI * f * (double)i / rate));
    double before = rms_from(x, (size_t)rate / 10, n);
    as_result r = as_augment_apply(c, x, n, rate);
    double after = rms_from(x, (size_t)rate / 10, n);
    free(x);
    return r == AS_OK ? 20 * log10(after / before) : 999;
}

static void test_bandlimit(void)
{
    as_augment_choice lp = as_augment_none();
    lp.lowpass_hz = 2000;
    /* 4th-order Butterworth: -3 dB at the corner, about -24 dB an octave above. */
    double pass = tone_gain_db(&lp, 500, 16000), corner = tone_gain_db(&lp, 2000, 16000);
    double octave = tone_gain_db(&lp, 4000, 16000), two = tone_gain_db(&lp, 6000, 16000);
    CHECKF(fabs(pass) < 0.5, "low-pass passband %.2f dB", pass);
    CHECKF(fabs(corner + 3.01) < 0.5, "low-pass at its corner %.2f dB", corner);
    CHECKF(octave < -20, "low-pass an octave above %.2f dB", octave);
    CHECKF(two < -35, "low-pass at 3x %.2f dB", two);

    as_augment_choice hp = as_augment_none();
    hp.highpass_hz = 300;
    double hpass = tone_gain_db(&hp, 2000, 16000), hcorner = tone_gain_db(&hp, 300, 16000);
    double hstop = tone_gain_db(&hp, 75, 16000);
    CHECKF(fabs(hpass) < 0.5, "high-pass passband %.2f dB", hpass);
    CHECKF(fabs(hcorner + 3.01) < 0.5, "high-pass at its corner %.2f dB", hcorner);
    CHECKF(hstop < -20, "high-pass two octaves below %.2f dB", hstop);

    /* A corner above 0.45 x the rate is skipped (8 kHz flite voices). */
    as_augment_choice wide = as_augment_none();
    wide.lowpass_hz = 7000;
    CHECK(fabs(tone_gain_db(&wide, 3000, 8000)) < 1e-6);
}

static void test_reverb(void)
{
    const int rate = 22050;
    const size_t n = (size_t)rate * 2;
    float *x = speechlike(n, rate), *y = malloc(n * sizeof *y);
    as_augment_choice c = as_augment_none();
    c.reverb = 1;
    c.rt60_s = 0.4f;
    c.drr_db = 6.0f;
    memcpy(y, x, n * sizeof *x);
    CHECK(as_augment_apply(&c, y, n, rate) == AS_OK);
    /* y = x + wet: the dry signal is not delayed, the wet part has the DRR. */
    double e_dry = 0, e_wet = 0;
    for (size_t i = 0; i < n; i++) {
        e_dry += (double)x[i] * x[i];
        e_wet += (double)(y[i] - x[i]) * (y[i] - x[i]);
    }
    CHECKF(fabs(10 * log10(e_dry / e_wet) - 6.0) < 0.1, "DRR %.2f dB", 10 * log10(e_dry / e_wet));
    /* An impulse's tail decays about 60 dB per RT60 (Moorer's damping makes
     * it a little faster): compare the energy 50..100 ms after the impulse
     * with the energy one RT60 later. */
    float *imp = calloc(n, sizeof *imp);
    imp[0] = 0.5f;
    CHECK(as_augment_apply(&c, imp, n, rate) == AS_OK);
    /* The dry impulse stays at sample 0, unscaled; nothing of the room
     * arrives before the shortest comb delay (29.7 ms). */
    CHECK(imp[0] == 0.5f);
    int early = 0;
    for (size_t i = 1; i < (size_t)(0.029 * rate); i++) early += imp[i] != 0.0f;
    CHECK(early == 0);
    CHECK(imp[(size_t)(0.0297 * rate + 0.5)] != 0.0f);
    double e1 = 0, e2 = 0;
    size_t a = (size_t)(0.05 * rate), b = (size_t)(0.10 * rate), d = (size_t)(0.4 * rate);
    for (size_t i = a; i < b; i++) e1 += (double)imp[i] * imp[i];
    for (size_t i = a + d; i < b + d; i++) e2 += (double)imp[i] * imp[i];
    double decay = 10 * log10(e1 / e2);
    CHECKF(decay > 50 && decay < 80, "decay over one RT60: %.1f dB", decay);
    free(imp);
    free(x);
    free(y);
}

static void test_gain_and_clip(void)
{
    float x[4] = {0.1f, -0.2f, 0.7f, -0.9f};
    as_augment_choice c = as_augment_none();
    c.gain_db = 20.0f * (float)log10(2.0);
    CHECK(as_augment_apply(&c, x, 4, 16000) == AS_OK);
    CHECK(fabsf(x[0] - 0.2f) < 1e-6f && fabsf(x[1] + 0.4f) < 1e-6f);
    CHECK(x[2] == 1.0f && x[3] == -1.0f); /* clipped, as a recorder would */
}

/* Zero-crossing rate: a crude colour meter (white crosses most, brown least). */
static double zcr(const float *x, size_t n)
{
    size_t z = 0;
    for (size_t i = 1; i < n; i++) z += (x[i] >= 0) != (x[i - 1] >= 0);
    return (double)z / (double)(n - 1);
}

static void test_noise_colours(void)
{
    const int rate = 16000;
    const size_t n = rate;
    double rates[AS_NUM_NOISE_KINDS];
    for (int kind = 0; kind < AS_NUM_NOISE_KINDS; kind++) {
        float *x = speechlike(n, rate), *y = malloc(n * sizeof *y);
        memcpy(y, x, n * sizeof *y);
        as_augment_choice c = as_augment_none();
        c.noise = 1;
        c.noise_kind = (as_noise_kind)kind;
        c.snr_db = 0;
        c.hum_hz = 50;
        c.noise_seed = 7;
        CHECK(as_augment_apply(&c, y, n, rate) == AS_OK);
        for (size_t i = 0; i < n; i++) y[i] -= x[i];
        rates[kind] = zcr(y, n);
        free(x);
        free(y);
    }
    CHECKF(rates[AS_NOISE_WHITE] > rates[AS_NOISE_PINK] && rates[AS_NOISE_PINK] > rates[AS_NOISE_BROWN],
           "zero-crossing rates white %.3f pink %.3f brown %.3f", rates[0], rates[1], rates[2]);
    /* Hum crosses about 2 x 50 times a second plus its harmonics: far below white. */
    CHECKF(rates[AS_NOISE_HUM] < 0.1, "hum zero-crossing rate %.3f", rates[AS_NOISE_HUM]);
    CHECK(!strcmp(as_noise_kind_name(AS_NOISE_PINK), "pink") && !as_noise_kind_name(AS_NUM_NOISE_KINDS));
}

static void test_draw(void)
{
    as_augment_params p = as_augment_default_params();
    as_augment_choice a, b;
    CHECK(as_augment_draw(&p, 42, &a) == AS_OK);
    CHECK(as_augment_draw(&p, 42, &b) == AS_OK);
    CHECK(memcmp(&a, &b, sizeof a) == 0);
    int differ = 0, reverb = 0, noise = 0, band = 0, kinds[AS_NUM_NOISE_KINDS] = {0}, out_of_range = 0;
    const int N = 4000;
    for (int s = 0; s < N; s++) {
        as_augment_choice d;
        as_augment_draw(&p, (uint64_t)s, &b);
        if (s < 20) CHECK(as_augment_draw(NULL, (uint64_t)s, &d) == AS_OK && memcmp(&b, &d, sizeof b) == 0);
        differ += memcmp(&a, &b, sizeof a) != 0;
        reverb += b.reverb;
        noise += b.noise;
        band += b.lowpass_hz > 0;
        if (b.noise) kinds[b.noise_kind]++;
        if (b.reverb && (b.rt60_s < p.rt60_s_min || b.rt60_s > p.rt60_s_max || b.drr_db < p.drr_db_min ||
                         b.drr_db > p.drr_db_max)) out_of_range++;
        if (b.noise && (b.snr_db < p.snr_db_min || b.snr_db > p.snr_db_max)) out_of_range++;
        if (b.lowpass_hz > 0 && (b.lowpass_hz < p.lowpass_hz_min || b.lowpass_hz > p.lowpass_hz_max ||
                                 b.highpass_hz < p.highpass_hz_min || b.highpass_hz > p.highpass_hz_max))
            out_of_range++;
        if (b.gain_db < p.gain_db_min || b.gain_db > p.gain_db_max) out_of_range++;
        if ((b.lowpass_hz > 0) != (b.highpass_hz > 0)) out_of_range++;
    }
    CHECK(differ >= N - 2);
    CHECK(out_of_range == 0);
    CHECKF(fabs((double)reverb / N - p.reverb_prob) < 0.03, "reverb share %.3f", (double)reverb / N);
    CHECKF(fabs((double)noise / N - p.noise_prob) < 0.03, "noise share %.3f", (double)noise / N);
    CHECKF(fabs((double)band / N - p.bandlimit_prob) < 0.03, "band-limit share %.3f", (double)band / N);
    for (int k = 0; k < AS_NUM_NOISE_KINDS; k++) CHECK(kinds[k] > noise / 5);

    /* The same choice applied twice gives the same samples; another noise
     * seed gives other samples. */
    float *x1 = speechlike(8000, 16000), *x2 = speechlike(8000, 16000), *x3 = speechlike(8000, 16000);
    as_augment_choice c = as_augment_none();
    c.reverb = 1; c.rt60_s = 0.3f; c.drr_db = 8;
    c.noise = 1; c.noise_kind = AS_NOISE_PINK; c.snr_db = 15; c.noise_seed = 99;
    c.highpass_hz = 100; c.lowpass_hz = 4000; c.gain_db = -3;
    CHECK(as_augment_apply(&c, x1, 8000, 16000) == AS_OK);
    CHECK(as_augment_apply(&c, x2, 8000, 16000) == AS_OK);
    CHECK(memcmp(x1, x2, 8000 * sizeof *x1) == 0);
    c.noise_seed = 100;
    CHECK(as_augment_apply(&c, x3, 8000, 16000) == AS_OK);
    CHECK(memcmp(x1, x3, 8000 * sizeof *x1) != 0);
    free(x1);
    free(x2);
    free(x3);
}

static void test_errors(void)
{
    as_augment_params p = as_augment_default_params();
    as_augment_choice c = as_augment_none();
    p.snr_db_min = 50;
    p.snr_db_max = 20;
    CHECK(as_augment_draw(&p, 1, &c) == AS_ERR_RANGE);
    p = as_augment_default_params();
    p.reverb_prob = 1.5f;
    CHECK(as_augment_draw(&p, 1, &c) == AS_ERR_RANGE);
    CHECK(as_augment_draw(NULL, 1, NULL) == AS_ERR_INVALID_ARG);
    float x[16] = {0};
    c = as_augment_none();
    CHECK(as_augment_apply(&c, x, 16, 1000) == AS_ERR_RANGE);
    CHECK(as_augment_apply(NULL, x, 16, 16000) == AS_ERR_INVALID_ARG);
    CHECK(as_augment_apply(&c, NULL, 16, 16000) == AS_ERR_INVALID_ARG);
    CHECK(as_augment_apply(&c, NULL, 0, 16000) == AS_OK);
    c.gain_db = 50;
    CHECK(as_augment_apply(&c, x, 16, 16000) == AS_ERR_RANGE);
    CHECK(strstr(as_last_error(), "gain") != NULL);
    CHECK(as_augment_active_power(x, 16, 16000) == 0.0);
}

int main(void)
{
    test_snr();
    test_bandlimit();
    test_reverb();
    test_gain_and_clip();
    test_noise_colours();
    test_draw();
    test_errors();
    return test_finish("test_augment");
}
