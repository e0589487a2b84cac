/* tests/test_features.c — the audio feature extractor (features.h) through
 * its public API: frame layout and timing, bad arguments, pure-tone F0 at
 * several rates, silence, chunked == one call (bit for bit) for several
 * chunkings and rates, reset, determinism, the committed fixtures
 * (tests/fixtures/features: exact expected frames plus plausibility checks
 * that do not trust them), the regression formulas, the documented
 * look-ahead, time alignment across input rates, the output-buffer bound,
 * allocation failures and concurrent use.
 *
 * `test_features --write-expected DIR` (re)writes DIR/sweep.expected.txt and
 * DIR/speech.expected.txt from the current extractor; see the fixture
 * README before doing that. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "animasync/features.h"
#include "animasync/tts.h"
#include "testutil.h"

#define FIX_DIR AS_SOURCE_DIR "/tests/fixtures/features"
#define PI 3.14159265358979323846

/* ---- helpers ------------------------------------------------------------ */

static float *tone(int rate, double hz, double seconds, double amp, size_t *n)
{
    *n = (size_t)(seconds * rate);
    float *x = malloc(*n * sizeof(float));
    for (size_t i = 0; i < *n; i++) x[i] = (float)(amp * sin(2.0 * PI * hz * (double)i / rate));
    return x;
}

/* A deterministic test signal: a tone with vibrato, noise bursts and gaps. */
static float *mixed_signal(int rate, double seconds, size_t *n)
{
    *n = (size_t)(seconds * rate);
    float *x = malloc(*n * sizeof(float));
    uint32_t s = 12345;
    double phase = 0.0;
    for (size_t i = 0; i < *n; i++) {
        double t = (double)i / rate;
        s = s * 1664525u + 1013904223u;
        double noise = ((s >> 8) / 16777216.0 - 0.5);
        phase += 2.0 * PI * (150.0 + 30.0 * sin(2.0 * PI * 3.0 * t)) / rate;
        double seg = fmod(t, 0.5);
        double v = seg < 0.3 ? 0.4 * sin(phase) + 0.2 * sin(3.0 * phase) : (seg < 0.4 ? 0.3 * noise : 0.0);
        x[i] = (float)v;
    }
    return x;
}

static float *compute(const float *x, size_t n, int rate, size_t *nf)
{
    float *f = NULL;
    *nf = 0;
    as_result r = as_features_compute(&f, nf, x, n, rate, NULL);
    CHECKF(r == AS_OK, "compute at %d Hz: %s", rate, as_last_error());
    return f;
}

/* Streams x through one extractor in chunks: chunk > 0 fixed size, chunk 0
 * random sizes 1..4096 from seed. Every push must succeed with a buffer of
 * as_features_max_frames(st, largest chunk) frames. */
static float *stream(const float *x, size_t n, int rate, size_t chunk, uint32_t seed, size_t *nf)
{
    as_features *st = as_features_create(rate, NULL);
    CHECK(st != NULL);
    if (!st) return NULL;
    size_t max_chunk = chunk ? chunk : 4096;
    size_t cap = as_features_max_frames(st, max_chunk);
    size_t bound_total = as_features_max_frames(st, n) + 8;
    float *all = malloc(bound_total * AS_FEAT_DIM * sizeof(float));
    float *out = malloc(cap * AS_FEAT_DIM * sizeof(float));
    size_t total = 0, got = 0, pos = 0;
    int ok = 1;
    while (pos < n) {
        size_t c = chunk;
        if (!c) {
            seed = seed * 1664525u + 1013904223u;
            c = 1 + (seed >> 8) % 4096;
        }
        if (c > n - pos) c = n - pos;
        as_result r = as_features_push(st, out, cap, &got, x + pos, c);
        if (r != AS_OK || got > cap || total + got > bound_total) {
            ok = 0;
            break;
        }
        memcpy(all + total * AS_FEAT_DIM, out, got * AS_FEAT_DIM * sizeof(float));
        total += got;
        pos += c;
    }
    CHECKF(ok, "push at %d Hz, chunk %zu: %s", rate, chunk, as_last_error());
    if (ok) {
        as_result r = as_features_flush(st, out, cap, &got);
        CHECKF(r == AS_OK && total + got <= bound_total, "flush: %s", as_last_error());
        if (r == AS_OK && total + got <= bound_total) {
            memcpy(all + total * AS_FEAT_DIM, out, got * AS_FEAT_DIM * sizeof(float));
            total += got;
        }
    }
    as_features_destroy(st);
    free(out);
    *nf = total;
    return all;
}

static int same_frames(const float *a, size_t na, const float *b, size_t nb)
{
    return a && b && na == nb && memcmp(a, b, na * AS_FEAT_DIM * sizeof(float)) == 0;
}

static float *read_wav(const char *name, size_t *n, int *rate)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", FIX_DIR, name);
    float *x = NULL;
    as_result r = as_audio_read(path, &x, n, rate);
    CHECKF(r == AS_OK && *n > 0, "%s: %s", path, as_last_error());
    return x;
}

static float mel_floor_value(void) { return (float)log(1e-8); }

/* ---- layout, names, timing ------------------------------------------------ */

static void test_layout(void)
{
    CHECK(AS_FEAT_DIM == 141);
    CHECK(AS_FEAT_MEL_DD + AS_FEAT_NUM_MEL == AS_FEAT_F0);
    CHECK(AS_FEAT_VOICING_SLOPE == AS_FEAT_DIM - 1);
    CHECK(as_features_name(-1) == NULL && as_features_name(AS_FEAT_DIM) == NULL);
    for (int i = 0; i < AS_FEAT_DIM; i++) {
        const char *a = as_features_name(i);
        CHECKF(a && *a, "name %d", i);
        for (int j = 0; a && j < i; j++) CHECKF(strcmp(a, as_features_name(j)) != 0, "%d and %d share %s", i, j, a);
    }
    CHECK(!strcmp(as_features_name(0), "mel_00"));
    CHECK(!strcmp(as_features_name(79), "d_mel_39"));
    CHECK(!strcmp(as_features_name(80), "dd_mel_00"));
    CHECK(!strcmp(as_features_name(AS_FEAT_F0), "f0"));
    CHECK(!strcmp(as_features_name(AS_FEAT_VOICING), "voicing"));
    CHECK(!strcmp(as_features_name(AS_FEAT_VOICING_SLOPE), "voicing_slope"));

    CHECK(fabs(as_features_frame_time_s(0) - 0.0125) < 1e-12);
    CHECK(fabs(as_features_frame_time_s(100) - 1.0125) < 1e-12);
    CHECK(as_features_frame_at(0.0) == 0);
    CHECK(as_features_frame_at(0.0125) == 0);
    CHECK(as_features_frame_at(1.0125) == 100);
    CHECK(as_features_frame_at(1.0) == 99); /* centres 0.9925 (98) and 1.0025 (99) */
    for (size_t k = 0; k < 1000; k += 7) CHECK(as_features_frame_at(as_features_frame_time_s(k)) == k);
    /* 30 fps animation frame j stands at j / 30 s: frame 3 (0.1 s) -> feature frame 9 (centre 0.1025). */
    CHECK(as_features_frame_at(3.0 / 30.0) == 9);

    /* Frame counts: ceil(n16 / 160). */
    const size_t lens[] = {1, 159, 160, 161, 399, 400, 401, 16000, 16001};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        size_t n = lens[i], nf = 0;
        float *x = calloc(n, sizeof(float));
        float *f = compute(x, n, 16000, &nf);
        CHECKF(nf == (n + 159) / 160, "n %zu: %zu frames", n, nf);
        as_free(f);
        free(x);
    }
    size_t nf = 7;
    float *f = (float *)1;
    CHECK(as_features_compute(&f, &nf, NULL, 0, 16000, NULL) == AS_OK && nf == 0 && f == NULL);
    /* 1 s at 22.05 kHz resamples to 16000 samples: 100 frames. */
    float *x = calloc(22050, sizeof(float));
    f = compute(x, 22050, 22050, &nf);
    CHECKF(nf == 100, "%zu frames", nf);
    as_free(f);
    free(x);
}

/* ---- arguments -------------------------------------------------------------- */

static void test_bad_args(void)
{
    CHECK(as_features_create(0, NULL) == NULL);
    CHECK(strstr(as_last_error(), "rate") != NULL);
    CHECK(as_features_create(-16000, NULL) == NULL);
    CHECK(as_features_create(1000, NULL) == NULL);
    CHECK(as_features_create(1000000, NULL) == NULL);
    as_features_params p = as_features_default_params();
    CHECK(p.f0_min_hz == 50.0f && p.f0_max_hz == 800.0f && p.voicing_threshold > 0.0f);
    p.f0_min_hz = 10.0f;
    CHECK(as_features_create(16000, &p) == NULL);
    p = as_features_default_params();
    p.f0_max_hz = 90.0f;
    CHECK(as_features_create(16000, &p) == NULL);
    p = as_features_default_params();
    p.voicing_threshold = NAN;
    CHECK(as_features_create(16000, &p) == NULL);
    p = as_features_default_params();
    p.f0_min_hz = 150.0f;
    p.f0_max_hz = 250.0f; /* less than 2 x f0_min */
    CHECK(as_features_create(16000, &p) == NULL);

    float *f = NULL;
    size_t nf = 0;
    float x[480] = {0};
    CHECK(as_features_compute(&f, &nf, x, 480, 0, NULL) == AS_ERR_INVALID_ARG && f == NULL);
    CHECK(as_features_compute(NULL, &nf, x, 480, 16000, NULL) == AS_ERR_INVALID_ARG);
    CHECK(as_features_compute(&f, NULL, x, 480, 16000, NULL) == AS_ERR_INVALID_ARG);
    CHECK(as_features_compute(&f, &nf, NULL, 480, 16000, NULL) == AS_ERR_INVALID_ARG);
    p.f0_min_hz = 5.0f;
    CHECK(as_features_compute(&f, &nf, x, 480, 16000, &p) == AS_ERR_RANGE);

    as_features_destroy(NULL);
    CHECK(as_features_reset(NULL) == AS_ERR_INVALID_ARG);
    CHECK(as_features_max_frames(NULL, 100) == 0);
    CHECK(as_features_latency_s(NULL) == 0.0);
    CHECK(as_features_input_rate(NULL) == 0);

    as_features *st = as_features_create(44100, NULL);
    CHECK(st != NULL);
    if (!st) return;
    CHECK(as_features_input_rate(st) == 44100);
    size_t cap = as_features_max_frames(st, 480), got = 99;
    float *out = malloc(cap * AS_FEAT_DIM * sizeof(float));
    CHECK(as_features_push(NULL, out, cap, &got, x, 480) == AS_ERR_INVALID_ARG);
    CHECK(as_features_push(st, out, cap, NULL, x, 480) == AS_ERR_INVALID_ARG);
    CHECK(as_features_push(st, out, cap, &got, NULL, 480) == AS_ERR_INVALID_ARG && got == 0);
    CHECK(as_features_push(st, NULL, cap, &got, x, 480) == AS_ERR_INVALID_ARG);
    CHECK(as_features_push(st, out, cap, &got, NULL, 0) == AS_OK && got == 0);
    float bad[4] = {0.0f, 0.5f, NAN, 0.0f};
    CHECK(as_features_push(st, out, cap, &got, bad, 4) == AS_ERR_INVALID_ARG);
    bad[2] = INFINITY;
    CHECK(as_features_push(st, out, cap, &got, bad, 4) == AS_ERR_INVALID_ARG);
    CHECK(strstr(as_last_error(), "sample 2") != NULL);
    CHECK(as_features_flush(NULL, out, cap, &got) == AS_ERR_INVALID_ARG);
    CHECK(as_features_flush(st, out, cap, NULL) == AS_ERR_INVALID_ARG);
    CHECK(as_features_flush(st, out, cap, &got) == AS_OK && got == 0); /* nothing was pushed */
    CHECK(as_features_flush(st, out, cap, &got) == AS_ERR_INVALID_ARG);
    CHECK(as_features_push(st, out, cap, &got, x, 480) == AS_ERR_INVALID_ARG);
    CHECK(as_features_reset(st) == AS_OK);
    CHECK(as_features_push(st, out, cap, &got, x, 480) == AS_OK);
    as_features_destroy(st);
    free(out);
}

/* A push with too little room fails with AS_ERR_RANGE and consumes nothing;
 * the rejected samples pushed again give the one-call result. */
static void test_room(void)
{
    size_t n = 0, nf_ref = 0;
    float *x = mixed_signal(22050, 1.0, &n);
    float *ref = compute(x, n, 22050, &nf_ref);
    as_features *st = as_features_create(22050, NULL);
    size_t cap = as_features_max_frames(st, n);
    float *all = malloc(cap * AS_FEAT_DIM * sizeof(float));
    size_t got = 0, total = 0;
    CHECK(as_features_push(st, all, 1, &got, x, n) == AS_ERR_RANGE && got == 0);
    CHECK(strstr(as_last_error(), "as_features_max_frames") != NULL);
    /* The bound of a push counts every frame a clip of that length can end
     * with, so even a push that returns nothing needs that room. */
    CHECK(as_features_push(st, all, 0, &got, x, 1000) == AS_ERR_RANGE);
    CHECK(as_features_push(st, all, as_features_max_frames(st, 1000), &got, x, 1000) == AS_OK);
    total += got;
    CHECK(got == 0); /* 1000 samples at 22.05 kHz are 45 ms: no frame has its 65 ms yet */
    CHECK(as_features_push(st, all + total * AS_FEAT_DIM, cap - total, &got, x + 1000, n - 1000) == AS_OK);
    total += got;
    CHECK(as_features_flush(st, all + total * AS_FEAT_DIM, 1, &got) == AS_ERR_RANGE);
    CHECK(as_features_flush(st, all + total * AS_FEAT_DIM, cap - total, &got) == AS_OK);
    total += got;
    CHECK(same_frames(all, total, ref, nf_ref));
    as_features_destroy(st);
    free(all);
    free(x);
    as_free(ref);
}

/* ---- pitch ------------------------------------------------------------------ */

static void test_tone_f0(void)
{
    const int rates[] = {8000, 16000, 22050, 44100, 48000};
    const double freqs[] = {100.0, 220.0, 440.0, 60.0, 700.0};
    for (size_t r = 0; r < 5; r++)
        for (size_t fi = 0; fi < 5; fi++) {
            size_t n = 0, nf = 0;
            float *x = tone(rates[r], freqs[fi], 0.6, 0.5, &n);
            float *f = compute(x, n, rates[r], &nf);
            int bad_f0 = 0, bad_voicing = 0;
            double worst = 0.0;
            /* Interior frames: the pitch span (40 ms) and the regression
             * window lie inside the tone. */
            for (size_t k = 4; f && k + 5 < nf; k++) {
                const float *fr = f + k * AS_FEAT_DIM;
                double f0 = 100.0 * pow(2.0, fr[AS_FEAT_F0]);
                double err = fabs(f0 / freqs[fi] - 1.0);
                if (err > worst) worst = err;
                if (err > 0.01) bad_f0++;
                if (fr[AS_FEAT_VOICED] != 1.0f || fr[AS_FEAT_VOICING] < 0.9f) bad_voicing++;
            }
            CHECKF(bad_f0 == 0, "%g Hz at %d Hz: %d frames off by more than 1%% (worst %.4f)", freqs[fi], rates[r],
                   bad_f0, worst);
            CHECKF(bad_voicing == 0, "%g Hz at %d Hz: %d frames not voiced", freqs[fi], rates[r], bad_voicing);
            /* A steady tone: no F0 slope, F0_REL near 0. */
            if (f && nf > 20) {
                const float *mid = f + (nf / 2) * AS_FEAT_DIM;
                CHECK(fabsf(mid[AS_FEAT_F0_SLOPE]) < 0.001f);
                CHECK(fabsf(mid[AS_FEAT_F0_REL]) < 0.01f);
            }
            as_free(f);
            free(x);
        }
}

/* The F0 range is a parameter: 40..1000 Hz reaches a 45 Hz hum and a 900 Hz
 * whistle, which the defaults (50..800 Hz) cannot report. */
static void test_f0_range(void)
{
    as_features_params p = as_features_default_params();
    p.f0_min_hz = 40.0f;
    p.f0_max_hz = 1000.0f;
    const double freqs[] = {45.0, 900.0};
    for (int i = 0; i < 2; i++) {
        size_t n = 0, nf = 0;
        float *x = tone(22050, freqs[i], 0.6, 0.5, &n), *f = NULL;
        CHECK(as_features_compute(&f, &nf, x, n, 22050, &p) == AS_OK && nf == 60);
        int bad = 0;
        for (size_t k = 5; f && k + 5 < nf; k++) {
            double f0 = 100.0 * pow(2.0, f[k * AS_FEAT_DIM + AS_FEAT_F0]);
            if (fabs(f0 / freqs[i] - 1.0) > 0.01 || f[k * AS_FEAT_DIM + AS_FEAT_VOICED] != 1.0f) bad++;
        }
        CHECKF(bad == 0, "%g Hz with f0 range 40..1000: %d frames off", freqs[i], bad);
        as_free(f);
        free(x);
    }
    as_features *st = as_features_create(16000, &p);
    CHECK(st && fabs(as_features_latency_s(st) - (320.0 + 400.0) / 16000.0) < 1e-12); /* T = 400 */
    as_features_destroy(st);
}

/* A glide 120 -> 240 Hz over 1 s: F0 follows it and the slope is positive
 * (one octave per second = 0.01 octave per frame). */
static void test_glide(void)
{
    const int rate = 16000;
    size_t n = rate, nf = 0;
    float *x = malloc(n * sizeof(float));
    double phase = 0.0;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / rate;
        phase += 2.0 * PI * 120.0 * pow(2.0, t) / rate;
        x[i] = (float)(0.5 * sin(phase));
    }
    float *f = compute(x, n, rate, &nf);
    int bad = 0;
    for (size_t k = 10; f && k + 10 < nf; k++) {
        const float *fr = f + k * AS_FEAT_DIM;
        double expect = 120.0 * pow(2.0, as_features_frame_time_s(k));
        double f0 = 100.0 * pow(2.0, fr[AS_FEAT_F0]);
        if (fabs(f0 / expect - 1.0) > 0.01 || fabsf(fr[AS_FEAT_F0_SLOPE] - 0.01f) > 0.002f) bad++;
    }
    CHECKF(bad == 0, "%d glide frames off", bad);
    as_free(f);
    free(x);
}

/* ---- silence ---------------------------------------------------------------- */

static void test_silence(void)
{
    const int rates[] = {16000, 44100};
    for (int r = 0; r < 2; r++) {
        size_t n = (size_t)rates[r] / 2, nf = 0;
        float *x = calloc(n, sizeof(float));
        float *f = compute(x, n, rates[r], &nf);
        CHECK(nf == 50);
        int bad = 0;
        for (size_t k = 0; f && k < nf; k++) {
            const float *fr = f + k * AS_FEAT_DIM;
            for (int j = 0; j < AS_FEAT_NUM_MEL; j++)
                if (fr[AS_FEAT_MEL + j] != mel_floor_value() || fr[AS_FEAT_MEL_D + j] != 0.0f ||
                    fr[AS_FEAT_MEL_DD + j] != 0.0f)
                    bad++;
            if (fr[AS_FEAT_VOICING] != 0.0f || fr[AS_FEAT_VOICED] != 0.0f || fr[AS_FEAT_F0] != 0.0f ||
                fr[AS_FEAT_F0_REL] != 0.0f || fr[AS_FEAT_ENERGY] != 0.0f || fr[AS_FEAT_ENERGY_REL] != 0.0f ||
                fr[AS_FEAT_ZCR] != 0.0f || fr[AS_FEAT_FLUX] != 0.0f || fr[AS_FEAT_TILT] != 0.0f ||
                fr[AS_FEAT_ENERGY_SLOPE] != 0.0f)
                bad++;
            /* Silence reads as a flat (white) floor. */
            if (fabsf(fr[AS_FEAT_FLATNESS] - 1.0f) > 1e-5f || fabsf(fr[AS_FEAT_CENTROID] - 0.502f) > 0.001f) bad++;
        }
        CHECKF(bad == 0, "%d silent values off at %d Hz", bad, rates[r]);
        as_free(f);
        free(x);
    }
    /* Quiet white noise (-60 dBFS): unvoiced, flat, level near 0.4. */
    size_t n = 16000, nf = 0;
    float *x = malloc(n * sizeof(float));
    uint32_t s = 7;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = (float)(((s >> 8) / 16777216.0 - 0.5) * 0.001 * sqrt(12.0));
    }
    float *f = compute(x, n, 16000, &nf);
    int bad = 0;
    for (size_t k = 2; f && k + 2 < nf; k++) {
        const float *fr = f + k * AS_FEAT_DIM;
        if (fr[AS_FEAT_VOICED] != 0.0f || fr[AS_FEAT_VOICING] > 0.5f) bad++;
        if (fabsf(fr[AS_FEAT_ENERGY] - 0.4f) > 0.01f) bad++;
        if (fr[AS_FEAT_FLATNESS] < 0.4f || fr[AS_FEAT_ZCR] < 0.3f) bad++;
    }
    CHECKF(bad == 0, "%d noise frames off", bad);
    as_free(f);
    free(x);
}

/* ---- chunked == one call ---------------------------------------------------- */

static void check_chunkings(const float *x, size_t n, int rate, const char *what)
{
    size_t nf_ref = 0;
    float *ref = compute(x, n, rate, &nf_ref);
    const size_t chunks[] = {1, 7, 160, 441, 4096, 0, 0};
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        size_t nf = 0;
        float *got = stream(x, n, rate, chunks[c], (uint32_t)(c * 7919 + 1), &nf);
        CHECKF(same_frames(got, nf, ref, nf_ref), "%s at %d Hz in chunks of %zu: %zu vs %zu frames, not identical",
               what, rate, chunks[c], nf, nf_ref);
        free(got);
    }
    as_free(ref);
}

static void test_chunking(void)
{
    size_t n = 0;
    int rate = 0;
    float *speech = read_wav("speech.wav", &n, &rate);
    if (speech) check_chunkings(speech, n, rate, "speech.wav");
    as_free(speech);
    float *sweep = read_wav("sweep.wav", &n, &rate);
    if (sweep) check_chunkings(sweep, n, rate, "sweep.wav");
    as_free(sweep);
    const int rates[] = {8000, 44100, 48000};
    for (int r = 0; r < 3; r++) {
        float *x = mixed_signal(rates[r], 0.8, &n);
        check_chunkings(x, n, rates[r], "mixed signal");
        free(x);
    }
}

/* After a reset an extractor is as good as new, and two extractors used in
 * turn do not disturb each other. */
static void test_reset_determinism(void)
{
    size_t n = 0, nf_ref = 0, nf = 0;
    float *x = mixed_signal(44100, 1.2, &n);
    float *ref = compute(x, n, 44100, &nf_ref);
    float *again = compute(x, n, 44100, &nf);
    CHECK(same_frames(again, nf, ref, nf_ref));
    as_free(again);

    as_features *a = as_features_create(44100, NULL), *b = as_features_create(44100, NULL);
    size_t cap = as_features_max_frames(a, n);
    float *fa = malloc(cap * AS_FEAT_DIM * sizeof(float)), *fb = malloc(cap * AS_FEAT_DIM * sizeof(float));
    for (int round = 0; round < 2; round++) {
        size_t na = 0, nb = 0, got = 0;
        /* Half a clip into a, then b gets a different clip, then a goes on. */
        CHECK(as_features_push(a, fa, cap, &got, x, n / 2) == AS_OK);
        na += got;
        CHECK(as_features_push(b, fb, cap, &got, x + n / 3, n - n / 3) == AS_OK);
        nb += got;
        CHECK(as_features_push(a, fa + na * AS_FEAT_DIM, cap - na, &got, x + n / 2, n - n / 2) == AS_OK);
        na += got;
        CHECK(as_features_flush(a, fa + na * AS_FEAT_DIM, cap - na, &got) == AS_OK);
        na += got;
        CHECK(as_features_flush(b, fb + nb * AS_FEAT_DIM, cap - nb, &got) == AS_OK);
        CHECKF(same_frames(fa, na, ref, nf_ref), "round %d", round);
        CHECK(as_features_reset(a) == AS_OK && as_features_reset(b) == AS_OK);
    }
    as_features_destroy(a);
    as_features_destroy(b);
    free(fa);
    free(fb);
    as_free(ref);
    free(x);
}

/* ---- fixtures ------------------------------------------------------------- */

static int write_expected(const char *dir, const char *wav, const char *out_name)
{
    size_t n = 0, nf = 0;
    int rate = 0;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, wav);
    float *x = NULL, *f = NULL;
    if (as_audio_read(path, &x, &n, &rate) != AS_OK || as_features_compute(&f, &nf, x, n, rate, NULL) != AS_OK) {
        fprintf(stderr, "%s\n", as_last_error());
        return 1;
    }
    snprintf(path, sizeof path, "%s/%s", dir, out_name);
    FILE *fp = fopen(path, "w");
    if (!fp) return 1;
    fprintf(fp, "# animasync audio features of %s (%d Hz, %zu samples): %zu frames x %d values\n", wav, rate, n, nf,
            AS_FEAT_DIM);
    fprintf(fp, "# written by: tests/test_features --write-expected (scripts/make_feature_fixtures.sh)\n");
    fprintf(fp, "# one frame per line, values in the order of docs/FEATURES.md, printed with %%.9g\n");
    for (size_t k = 0; k < nf; k++) {
        for (int i = 0; i < AS_FEAT_DIM; i++) fprintf(fp, i ? " %.9g" : "%.9g", (double)f[k * AS_FEAT_DIM + i]);
        fputc('\n', fp);
    }
    int bad = fclose(fp) != 0;
    printf("wrote %s (%zu frames)\n", path, nf);
    as_free(x);
    as_free(f);
    return bad;
}

/* Reads an expected-frames file: '#' lines skipped, then floats. */
static float *read_expected(const char *name, size_t *nf)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", FIX_DIR, name);
    size_t len = 0;
    char *text = test_read_file(path, &len);
    CHECKF(text != NULL, "cannot read %s", path);
    *nf = 0;
    if (!text) return NULL;
    size_t cap = 1024, count = 0;
    float *v = malloc(cap * sizeof(float));
    char *p = text;
    while (*p) {
        if (*p == '#') {
            while (*p && *p != '\n') p++;
            continue;
        }
        char *end = NULL;
        double d = strtod(p, &end);
        if (end == p) {
            p++;
            continue;
        }
        if (count == cap) v = realloc(v, (cap *= 2) * sizeof(float));
        v[count++] = (float)d;
        p = end;
    }
    free(text);
    CHECKF(count % AS_FEAT_DIM == 0, "%s: %zu values", name, count);
    *nf = count / AS_FEAT_DIM;
    return v;
}

static void compare_expected(const float *got, size_t nf, const char *name)
{
    size_t ne = 0;
    float *exp = read_expected(name, &ne);
    CHECKF(nf == ne, "%s: %zu frames, expected %zu", name, nf, ne);
    int bad = 0;
    for (size_t k = 0; exp && got && k < nf && k < ne; k++)
        for (int i = 0; i < AS_FEAT_DIM; i++) {
            float a = got[k * AS_FEAT_DIM + i], e = exp[k * AS_FEAT_DIM + i];
            float tol = 1e-5f * (fabsf(e) > 1.0f ? fabsf(e) : 1.0f);
            if (!(fabsf(a - e) <= tol)) {
                if (bad < 5) fprintf(stderr, "  %s frame %zu %s: %.9g, expected %.9g\n", name, k, as_features_name(i),
                                     (double)a, (double)e);
                bad++;
            }
        }
    CHECKF(bad == 0, "%s: %d values differ by more than 1e-5", name, bad);
    free(exp);
}

static int argmax_mel(const float *fr)
{
    int best = 0;
    for (int j = 1; j < AS_FEAT_NUM_MEL; j++)
        if (fr[AS_FEAT_MEL + j] > fr[AS_FEAT_MEL + best]) best = j;
    return best;
}

static void test_fixture_sweep(void)
{
    size_t n = 0, nf = 0;
    int rate = 0;
    float *x = read_wav("sweep.wav", &n, &rate);
    CHECK(rate == 16000 && n == 17600);
    float *f = x ? compute(x, n, rate, &nf) : NULL;
    CHECK(nf == 110);
    if (!f || nf != 110) return;
    compare_expected(f, nf, "sweep.expected.txt");

    /* Plausibility, independent of the stored values. The sweep runs from
     * 0.15 s to 0.95 s, f(t) = 100 x 60^((t - 0.15) / 0.8). */
    const float floor_v = mel_floor_value();
    for (size_t k = 0; k <= 11; k++) { /* pitch spans [160 k - 120, 160 k + 520) end before 0.15 s */
        const float *fr = f + k * AS_FEAT_DIM;
        CHECKF(fr[AS_FEAT_MEL] == floor_v && fr[AS_FEAT_MEL + 39] == floor_v, "frame %zu not silent", k);
        CHECKF(fr[AS_FEAT_VOICING] == 0.0f && fr[AS_FEAT_ENERGY] == 0.0f, "frame %zu", k);
    }
    int prev = -1, back = 0, f0_bad = 0, f0_checked = 0;
    for (size_t k = 17; k <= 90; k++) { /* windows inside the sweep, past the fades */
        const float *fr = f + k * AS_FEAT_DIM;
        int am = argmax_mel(fr);
        if (am < prev) back++;
        prev = am;
        double hz = 100.0 * pow(60.0, (as_features_frame_time_s(k) - 0.15) / 0.8);
        CHECKF(fabsf(fr[AS_FEAT_ENERGY] - (float)((20.0 * log10(0.5 / sqrt(2.0)) + 100.0) / 100.0)) < 0.01f,
               "frame %zu energy %g", k, (double)fr[AS_FEAT_ENERGY]);
        if (hz > 110.0 && hz < 600.0) { /* in the tracker's range, away from its ends */
            f0_checked++;
            double f0 = 100.0 * pow(2.0, fr[AS_FEAT_F0]);
            if (fr[AS_FEAT_VOICED] != 1.0f || fabs(f0 / hz - 1.0) > 0.02) f0_bad++;
        }
    }
    CHECKF(back == 0, "the mel peak moved down %d times during the sweep", back);
    CHECK(argmax_mel(f + 17 * AS_FEAT_DIM) <= 6);
    CHECK(argmax_mel(f + 90 * AS_FEAT_DIM) >= 32); /* 4.9 kHz: band 33 */
    CHECK(f0_checked > 20);
    CHECKF(f0_bad == 0, "%d of %d sweep frames with F0 off by > 2%%", f0_bad, f0_checked);
    /* The centroid rises with the sweep too. */
    CHECK(f[90 * AS_FEAT_DIM + AS_FEAT_CENTROID] > f[20 * AS_FEAT_DIM + AS_FEAT_CENTROID] + 0.3f);
    as_free(f);
    as_free(x);
}

static void test_fixture_speech(void)
{
    size_t n = 0, nf = 0;
    int rate = 0;
    float *x = read_wav("speech.wav", &n, &rate);
    CHECK(rate == 22050);
    float *f = x ? compute(x, n, rate, &nf) : NULL;
    CHECK(nf > 100 && nf < 160);
    if (!f) return;
    compare_expected(f, nf, "speech.expected.txt");

    /* Plausibility: espeak-ng's en-us voice is male, F0 about 75..130 Hz. */
    int loud = 0, loud_voiced = 0, silent = 0, silent_bad = 0, f0_bad = 0;
    float max_voicing = 0.0f;
    for (size_t k = 0; k < nf; k++) {
        const float *fr = f + k * AS_FEAT_DIM;
        if (fr[AS_FEAT_VOICING] > max_voicing) max_voicing = fr[AS_FEAT_VOICING];
        if (fr[AS_FEAT_ENERGY] > 0.7f) {
            loud++;
            loud_voiced += fr[AS_FEAT_VOICED] == 1.0f;
        }
        int quiet = 1; /* digital silence (the pause and the tail) over the pitch span too */
        for (long j = (long)k - 3; j <= (long)k + 3; j++)
            if (j >= 0 && j < (long)nf && f[(size_t)j * AS_FEAT_DIM + AS_FEAT_ENERGY] != 0.0f) quiet = 0;
        if (quiet) {
            silent++;
            if (fr[AS_FEAT_VOICING] > 0.05f || fr[AS_FEAT_VOICED] != 0.0f || fr[AS_FEAT_MEL + 20] != mel_floor_value())
                silent_bad++;
        }
        if (fr[AS_FEAT_VOICED] == 1.0f) {
            double f0 = 100.0 * pow(2.0, fr[AS_FEAT_F0]);
            if (f0 < 70.0 || f0 > 140.0) f0_bad++;
        }
    }
    CHECK(max_voicing > 0.95f);
    CHECKF(loud > 40 && loud_voiced * 10 >= loud * 6, "%d of %d loud frames voiced", loud_voiced, loud);
    CHECKF(silent >= 20 && silent_bad == 0, "%d of %d silent frames look voiced or loud", silent_bad, silent);
    CHECKF(f0_bad == 0, "%d voiced frames with F0 outside 70..140 Hz", f0_bad);
    /* The last 20 frames are espeak-ng's trailing silence. */
    for (size_t k = nf - 20; k < nf; k++) CHECK(f[k * AS_FEAT_DIM + AS_FEAT_MEL + 5] == mel_floor_value());
    as_free(f);
    as_free(x);
}

/* ---- the regression stage ------------------------------------------------- */

static void test_regression(void)
{
    size_t n = 0, nf = 0;
    float *x = mixed_signal(16000, 0.7, &n);
    float *f = compute(x, n, 16000, &nf);
    CHECK(nf == 70);
    int bad = 0;
    for (size_t t = 0; f && t < nf; t++) {
        const float *c[5];
        for (int i = 0; i < 5; i++) {
            long k = (long)t - 2 + i;
            if (k < 0) k = 0;
            if (k > (long)nf - 1) k = (long)nf - 1;
            c[i] = f + (size_t)k * AS_FEAT_DIM;
        }
        for (int j = 0; j < AS_FEAT_NUM_MEL; j++) {
            int m = AS_FEAT_MEL + j;
            float d = (c[3][m] - c[1][m] + 2.0f * (c[4][m] - c[0][m])) / 10.0f;
            float dd = (2.0f * c[0][m] - c[1][m] - 2.0f * c[2][m] - c[3][m] + 2.0f * c[4][m]) / 7.0f;
            if (fabsf(f[t * AS_FEAT_DIM + AS_FEAT_MEL_D + j] - d) > 1e-5f) bad++;
            if (fabsf(f[t * AS_FEAT_DIM + AS_FEAT_MEL_DD + j] - dd) > 1e-5f) bad++;
        }
        float es = (c[3][AS_FEAT_ENERGY] - c[1][AS_FEAT_ENERGY] + 2.0f * (c[4][AS_FEAT_ENERGY] - c[0][AS_FEAT_ENERGY])) / 10.0f;
        if (fabsf(f[t * AS_FEAT_DIM + AS_FEAT_ENERGY_SLOPE] - es) > 1e-6f) bad++;
        int all_voiced = 1;
        for (int i = 0; i < 5; i++) all_voiced &= c[i][AS_FEAT_VOICED] == 1.0f;
        if (!all_voiced && f[t * AS_FEAT_DIM + AS_FEAT_F0_SLOPE] != 0.0f) bad++;
    }
    CHECKF(bad == 0, "%d regression values off", bad);
    as_free(f);
    free(x);
}

/* ---- timing ------------------------------------------------------------------ */

/* At 16 kHz, frame k is returned exactly when the sample 160 k + 200 +
 * latency (its centre plus the look-ahead) has been pushed. */
static void test_latency(void)
{
    as_features *st = as_features_create(16000, NULL);
    CHECK(fabs(as_features_latency_s(st) - 0.040) < 1e-12);
    size_t n = 0;
    float *x = mixed_signal(16000, 0.3, &n);
    size_t cap = as_features_max_frames(st, 1), got = 0, k = 0;
    float *out = malloc(cap * AS_FEAT_DIM * sizeof(float));
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        CHECK(as_features_push(st, out, cap, &got, x + i, 1) == AS_OK);
        if (got > 1) bad++;
        if (got == 1) {
            /* i + 1 samples are in; the frame needed sample 160 k + 840 - 1. */
            if (i + 1 != 160 * k + 200 + 640) bad++;
            k++;
        }
    }
    CHECKF(bad == 0 && k > 20, "%d frames returned at the wrong sample (%zu frames)", bad, k);
    as_features_destroy(st);

    as_features_params p = as_features_default_params();
    p.f0_min_hz = 100.0f; /* a 20 ms pitch span inside the 25 ms window */
    st = as_features_create(16000, &p);
    CHECK(fabs(as_features_latency_s(st) - 0.0325) < 1e-12);
    as_features_destroy(st);

    /* At 44.1 kHz the resampler adds its block latency: measured under 17 ms;
     * allow 25. */
    st = as_features_create(44100, NULL);
    free(x);
    x = mixed_signal(44100, 0.5, &n);
    cap = as_features_max_frames(st, 7);
    out = realloc(out, cap * AS_FEAT_DIM * sizeof(float));
    k = 0;
    double worst = 0.0;
    for (size_t i = 0; i < n; i += 7) {
        size_t c = n - i < 7 ? n - i : 7;
        CHECK(as_features_push(st, out, cap, &got, x + i, c) == AS_OK);
        for (size_t g = 0; g < got; g++, k++) {
            double wait = (double)(i + c) / 44100.0 - as_features_frame_time_s(k);
            if (wait > worst) worst = wait;
        }
    }
    CHECKF(worst <= 0.040 + 0.025 && worst >= 0.040, "worst wait %.4f s at 44.1 kHz", worst);
    as_features_destroy(st);
    free(out);
    free(x);
}

/* The same band-limited signal at 16 kHz and at 44.1 kHz gives the same
 * frames: the resampler keeps time (linear phase) and level. */
static void test_alignment(void)
{
    size_t n16 = 16000, n44 = 44100, nf16 = 0, nf44 = 0;
    float *a = calloc(n16, sizeof(float)), *b = calloc(n44, sizeof(float));
    /* A 300 Hz + 1.2 kHz burst from 0.40 s to 0.60 s with 2 ms ramps. */
    for (int pass = 0; pass < 2; pass++) {
        int rate = pass ? 44100 : 16000;
        float *x = pass ? b : a;
        for (size_t i = 0; i < (size_t)rate; i++) {
            double t = (double)i / rate, g = 0.0;
            if (t >= 0.4 && t < 0.6) {
                g = 1.0;
                if (t < 0.402) g = 0.5 - 0.5 * cos(PI * (t - 0.4) / 0.002);
                if (t > 0.598) g = 0.5 - 0.5 * cos(PI * (0.6 - t) / 0.002);
            }
            x[i] = (float)(g * (0.3 * sin(2.0 * PI * 300.0 * t) + 0.2 * sin(2.0 * PI * 1200.0 * t)));
        }
    }
    float *fa = compute(a, n16, 16000, &nf16), *fb = compute(b, n44, 44100, &nf44);
    CHECK(nf16 == 100 && nf44 == 100);
    double worst_energy = 0.0, worst_mel = 0.0;
    for (size_t k = 0; fa && fb && k < 100; k++) {
        const float *p = fa + k * AS_FEAT_DIM, *q = fb + k * AS_FEAT_DIM;
        double de = fabs(p[AS_FEAT_ENERGY] - q[AS_FEAT_ENERGY]);
        if (de > worst_energy) worst_energy = de;
        if (p[AS_FEAT_ENERGY] > 0.5f)
            for (int j = 0; j < 30; j++) { /* bands below ~4 kHz hold the signal */
                double dm = fabs(p[AS_FEAT_MEL + j] - q[AS_FEAT_MEL + j]);
                if (p[AS_FEAT_MEL + j] > 0.0f && dm > worst_mel) worst_mel = dm;
            }
    }
    /* A 0.5 ms shift would move an edge frame's level by ~0.02 (2 dB). */
    CHECKF(worst_energy < 0.01, "energy differs by %.4f between 16 and 44.1 kHz", worst_energy);
    CHECKF(worst_mel < 0.05, "log-mel differs by %.4f between 16 and 44.1 kHz", worst_mel);
    as_free(fa);
    as_free(fb);
    free(a);
    free(b);
}

/* The buffer bound holds at extreme rates and random chunk sizes. */
static void test_bound(void)
{
    const int rates[] = {4000, 11025, 96000, 384000};
    for (int r = 0; r < 4; r++) {
        size_t n = 0, nf = 0, nf_ref = 0;
        float *x = mixed_signal(rates[r], 0.6, &n);
        float *ref = compute(x, n, rates[r], &nf_ref);
        float *got = stream(x, n, rates[r], 0, 99u + (uint32_t)r, &nf); /* checks every push against the bound */
        CHECKF(same_frames(got, nf, ref, nf_ref), "%d Hz", rates[r]);
        CHECKF(nf_ref == (size_t)(0.6 * 100 + 0.5), "%d Hz: %zu frames", rates[r], nf_ref);
        free(got);
        as_free(ref);
        free(x);
    }
}

/* ---- allocation failures ------------------------------------------------------ */

static int alloc_countdown = -1; /* fail when it reaches 0; -1 never */
static int alloc_calls = 0;
static void *fail_malloc(size_t size, void *ud)
{
    (void)ud;
    alloc_calls++;
    if (alloc_countdown >= 0 && alloc_countdown-- == 0) return NULL;
    return malloc(size);
}
static void *fail_realloc(void *p, size_t size, void *ud)
{
    (void)ud;
    alloc_calls++;
    if (alloc_countdown >= 0 && alloc_countdown-- == 0) return NULL;
    return realloc(p, size);
}
static void fail_free(void *p, void *ud)
{
    (void)ud;
    free(p);
}

static void test_alloc_failures(void)
{
    as_allocator al = {fail_malloc, fail_realloc, fail_free, NULL};
    as_set_allocator(&al);
    size_t n = 0;
    float *x = mixed_signal(22050, 0.3, &n);
    /* Count the allocations of a full compute, then fail each in turn. */
    alloc_countdown = -1;
    alloc_calls = 0;
    float *f = NULL;
    size_t nf = 0;
    CHECK(as_features_compute(&f, &nf, x, n, 22050, NULL) == AS_OK);
    as_free(f);
    int total = alloc_calls;
    CHECK(total >= 3);
    for (int i = 0; i < total; i++) {
        alloc_countdown = i;
        f = NULL;
        as_result r = as_features_compute(&f, &nf, x, n, 22050, NULL);
        /* The final shrinking realloc may fail harmlessly; any other
         * failure must be reported as AS_ERR_NOMEM with nothing leaked. */
        CHECKF(r == AS_ERR_NOMEM || (r == AS_OK && i == total - 1), "allocation %d: %d", i, (int)r);
        if (r == AS_OK) as_free(f);
        else CHECK(f == NULL);
        alloc_countdown = i;
        as_features *st = as_features_create(22050, NULL);
        if (st) as_features_destroy(st);
    }
    alloc_countdown = -1;
    as_set_allocator(NULL);
    free(x);
}

/* ---- threads ----------------------------------------------------------------- */

typedef struct {
    const float *x;
    size_t n;
    const float *ref;
    size_t nf_ref;
    int mismatches;
} thread_job;

static void *thread_main(void *arg)
{
    thread_job *job = arg;
    for (int i = 0; i < 12; i++) {
        float *f = NULL;
        size_t nf = 0;
        if (as_features_compute(&f, &nf, job->x, job->n, 22050, NULL) != AS_OK ||
            !same_frames(f, nf, job->ref, job->nf_ref))
            job->mismatches++;
        as_free(f);
    }
    return NULL;
}

static void test_threads(void)
{
    size_t n = 0, nf_ref = 0;
    float *x = mixed_signal(22050, 0.5, &n);
    float *ref = compute(x, n, 22050, &nf_ref);
    thread_job jobs[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        jobs[i] = (thread_job){x, n, ref, nf_ref, 0};
        CHECK(pthread_create(&th[i], NULL, thread_main, &jobs[i]) == 0);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        CHECKF(jobs[i].mismatches == 0, "thread %d: %d mismatches", i, jobs[i].mismatches);
    }
    as_free(ref);
    free(x);
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--write-expected"))
        return write_expected(argv[2], "sweep.wav", "sweep.expected.txt") |
               write_expected(argv[2], "speech.wav", "speech.expected.txt");
    test_layout();
    test_bad_args();
    test_room();
    test_tone_f0();
    test_f0_range();
    test_glide();
    test_silence();
    test_chunking();
    test_reset_determinism();
    test_fixture_sweep();
    test_fixture_speech();
    test_regression();
    test_latency();
    test_alignment();
    test_bound();
    test_alloc_failures();
    test_threads();
    return test_finish("test_features");
}
