/* test_motion.c — tests of the channel merge and the motion layer
 * (include/animasync/motion.h): merge ownership and the speech gate, jawOpen
 * arousal scaling, blink rate / duration / asymmetry / validity, saccade
 * speed, emotion gaze (shy, sadness, fluster), laughter and crying rhythms by
 * DFT, the temporal smoothness contract on slow channels, determinism, and
 * streaming = offline. Public API only. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "animasync/core.h"
#include "animasync/metrics.h"
#include "animasync/motion.h"
#include "testutil.h"

#define NCH AS_NUM_CHANNELS
#define TWO_PI 6.283185307179586

/* ---- helpers -------------------------------------------------------------- */

static as_cond cond_one(as_emotion e, float a)
{
    as_cond c;
    memset(&c, 0, sizeof c);
    c.w[e] = 1.0f;
    c.v = 0.5f;
    c.a = a;
    c.d = 0.5f;
    return c;
}

static as_cond *conds_fill(size_t T, as_emotion e, float a)
{
    as_cond *c = malloc(T * sizeof *c);
    for (size_t t = 0; t < T; t++) c[t] = cond_one(e, a);
    return c;
}

/* T frames, each a copy of base (or zeros). */
static float *track_fill(size_t T, const float *base)
{
    float *tr = calloc(T * NCH, sizeof *tr);
    if (base)
        for (size_t t = 0; t < T; t++) memcpy(tr + t * NCH, base, NCH * sizeof *tr);
    return tr;
}

/* A small deterministic generator for test inputs (not the library's). */
static unsigned test_lcg = 12345u;
static float frand(void)
{
    test_lcg = test_lcg * 1664525u + 1013904223u;
    return (float)(test_lcg >> 8) / 16777216.0f;
}

/* Blinks: onsets where eyeBlinkLeft rises through 0.5. */
static int count_blinks(const float *tr, size_t T)
{
    int n = 0;
    for (size_t t = 1; t < T; t++)
        if (tr[(t - 1) * NCH + AS_EYE_BLINK_LEFT] <= 0.5f && tr[t * NCH + AS_EYE_BLINK_LEFT] > 0.5f) n++;
    return n;
}

/* Net gaze of the left eye (h + = subject's left, v + = up) and of the right. */
static float gaze_h_left(const float *f) { return f[AS_EYE_LOOK_OUT_LEFT] - f[AS_EYE_LOOK_IN_LEFT]; }
static float gaze_h_right(const float *f) { return f[AS_EYE_LOOK_IN_RIGHT] - f[AS_EYE_LOOK_OUT_RIGHT]; }
static float gaze_v_left(const float *f) { return f[AS_EYE_LOOK_UP_LEFT] - f[AS_EYE_LOOK_DOWN_LEFT]; }
static float gaze_v_right(const float *f) { return f[AS_EYE_LOOK_UP_RIGHT] - f[AS_EYE_LOOK_DOWN_RIGHT]; }

/* Frequency of the largest DFT magnitude of channel ch (mean removed),
 * searched over lo..hi Hz in 0.05 Hz steps. */
static double dft_peak_hz(const float *tr, size_t T, int ch, double fps, double lo, double hi, double *peak_mag)
{
    double mean = 0.0;
    for (size_t t = 0; t < T; t++) mean += tr[t * NCH + ch];
    mean /= (double)T;
    double best_f = 0.0, best = -1.0;
    for (double f = lo; f <= hi + 1e-9; f += 0.05) {
        double re = 0.0, im = 0.0;
        for (size_t t = 0; t < T; t++) {
            const double x = tr[t * NCH + ch] - mean, ph = TWO_PI * f * (double)t / fps;
            re += x * cos(ph);
            im -= x * sin(ph);
        }
        const double mag = sqrt(re * re + im * im) / (double)T;
        if (mag > best) {
            best = mag;
            best_f = f;
        }
    }
    if (peak_mag) *peak_mag = best;
    return best_f;
}

static double channel_std(const float *tr, size_t T, int ch)
{
    double m = 0.0, s = 0.0;
    for (size_t t = 0; t < T; t++) m += tr[t * NCH + ch];
    m /= (double)T;
    for (size_t t = 0; t < T; t++) s += (tr[t * NCH + ch] - m) * (tr[t * NCH + ch] - m);
    return sqrt(s / (double)T);
}

/* ---- merge ---------------------------------------------------------------- */

static void test_merge_ownership(void)
{
    /* The LIPSYNC channels ARCHITECTURE.md lists by name. */
    static const int lipsync_named[] = { AS_JAW_FORWARD, AS_JAW_LEFT, AS_JAW_RIGHT, AS_MOUTH_CLOSE,
        AS_MOUTH_FUNNEL, AS_MOUTH_PUCKER, AS_MOUTH_LEFT, AS_MOUTH_RIGHT, AS_MOUTH_STRETCH_LEFT,
        AS_MOUTH_STRETCH_RIGHT, AS_MOUTH_LOWER_DOWN_LEFT, AS_MOUTH_LOWER_DOWN_RIGHT, AS_MOUTH_UPPER_UP_LEFT,
        AS_MOUTH_UPPER_UP_RIGHT };
    float ls[NCH], ex[NCH], neu[NCH], out[NCH];
    for (int trial = 0; trial < 50; trial++) {
        for (int ch = 0; ch < NCH; ch++) {
            ls[ch] = frand();
            ex[ch] = frand();
            neu[ch] = 0.2f * frand();
        }
        /* Keep the mouth moderately busy so the gate is strictly between 0.3 and 1. */
        ls[AS_JAW_OPEN] = 0.2f * frand();
        ls[AS_MOUTH_CLOSE] = 0.1f * frand();
        ls[AS_MOUTH_FUNNEL] = 0.1f * frand();
        ls[AS_MOUTH_PUCKER] = 0.1f * frand();
        as_cond c = cond_one(AS_EMO_JOY, frand());
        CHECK(as_merge_frame(out, ls, ex, neu, &c) == AS_OK);
        const float act = as_merge_activity(ls);
        float want_act = 1.2f * ls[AS_JAW_OPEN] + 1.5f * ls[AS_MOUTH_CLOSE] + ls[AS_MOUTH_FUNNEL] + ls[AS_MOUTH_PUCKER];
        if (want_act > 1.0f) want_act = 1.0f;
        CHECKF(fabsf(act - want_act) < 1e-6f, "activity %g want %g", act, want_act);
        const float g = 1.0f - 0.7f * act;
        for (int ch = 0; ch < NCH; ch++) {
            switch (as_channel_class_of(ch)) {
            case AS_CHANNEL_LIPSYNC:
                CHECKF(out[ch] == ls[ch], "LIPSYNC %s: %g != lipsync %g", as_channel_name(ch), out[ch], ls[ch]);
                break;
            case AS_CHANNEL_EXPRESSION:
                CHECKF(out[ch] == ex[ch], "EXPRESSION %s: %g != expression %g", as_channel_name(ch), out[ch], ex[ch]);
                break;
            case AS_CHANNEL_SHARED:
                if (ch != AS_JAW_OPEN) {
                    float want = ls[ch] + g * (ex[ch] - neu[ch]);
                    want = want < 0 ? 0 : want > 1 ? 1 : want;
                    CHECKF(fabsf(out[ch] - want) < 1e-6f, "SHARED %s: %g want %g", as_channel_name(ch), out[ch], want);
                }
                break;
            }
        }
        for (size_t i = 0; i < sizeof lipsync_named / sizeof lipsync_named[0]; i++) {
            CHECK(as_channel_class_of(lipsync_named[i]) == AS_CHANNEL_LIPSYNC);
            CHECK(out[lipsync_named[i]] == ls[lipsync_named[i]]);
        }
        CHECK(as_channel_class_of(AS_JAW_OPEN) == AS_CHANNEL_SHARED);
        CHECK(as_channel_class_of(AS_BROW_INNER_UP) == AS_CHANNEL_EXPRESSION);
        CHECK(as_channel_class_of(AS_EYE_BLINK_LEFT) == AS_CHANNEL_EXPRESSION);
    }

    /* The track version equals the frame version, frame by frame. */
    enum { T = 7 };
    float lst[T * NCH], ext[T * NCH], outt[T * NCH];
    as_cond ct[T];
    for (int i = 0; i < T * NCH; i++) {
        lst[i] = 0.5f * frand();
        ext[i] = frand();
    }
    for (int t = 0; t < T; t++) ct[t] = cond_one(AS_EMO_SADNESS, (float)t / (T - 1));
    CHECK(as_merge_track(outt, lst, ext, neu, ct, T) == AS_OK);
    for (int t = 0; t < T; t++) {
        CHECK(as_merge_frame(out, lst + t * NCH, ext + t * NCH, neu, &ct[t]) == AS_OK);
        CHECK(memcmp(out, outt + t * NCH, sizeof out) == 0);
    }
    /* In place over the lip-sync track gives the same frames. */
    CHECK(as_merge_track(lst, lst, ext, neu, ct, T) == AS_OK);
    CHECK(memcmp(lst, outt, sizeof outt) == 0);

    as_cond c = cond_one(AS_EMO_NEUTRAL, 0.3f);
    CHECK(as_merge_frame(NULL, ls, ex, neu, &c) == AS_ERR_INVALID_ARG);
    CHECK(as_merge_frame(out, ls, ex, NULL, &c) == AS_ERR_INVALID_ARG);
    CHECK(as_merge_frame(out, ls, ex, neu, NULL) == AS_ERR_INVALID_ARG);
    CHECK(as_merge_track(NULL, ls, ex, neu, &c, 1) == AS_ERR_INVALID_ARG);
    CHECK(as_merge_track(NULL, NULL, NULL, NULL, NULL, 0) == AS_OK);
}

static void test_merge_gate(void)
{
    /* Joy's smile delta 0.7 on mouthSmileLeft; the lip-sync base has none. */
    float ls[NCH] = { 0 }, ex[NCH] = { 0 }, neu[NCH] = { 0 }, out[NCH];
    ex[AS_MOUTH_SMILE_LEFT] = 0.8f;
    neu[AS_MOUTH_SMILE_LEFT] = 0.1f;
    as_cond c = cond_one(AS_EMO_JOY, 0.5f);
    float prev = 2.0f;
    for (int k = 0; k <= 10; k++) {
        ls[AS_JAW_OPEN] = 0.1f * (float)k; /* activity = min(1, 0.12 k) */
        CHECK(as_merge_frame(out, ls, ex, neu, &c) == AS_OK);
        float act = 1.2f * ls[AS_JAW_OPEN];
        if (act > 1.0f) act = 1.0f;
        const float want = 0.7f * (1.0f - 0.7f * act);
        CHECKF(fabsf(out[AS_MOUTH_SMILE_LEFT] - want) < 1e-6f, "k %d smile %g want %g", k, out[AS_MOUTH_SMILE_LEFT], want);
        CHECK(out[AS_MOUTH_SMILE_LEFT] <= prev);
        prev = out[AS_MOUTH_SMILE_LEFT];
    }
    /* At rest the full delta; fully articulating only 30% of it. */
    ls[AS_JAW_OPEN] = 0.0f;
    as_merge_frame(out, ls, ex, neu, &c);
    CHECK(fabsf(out[AS_MOUTH_SMILE_LEFT] - 0.7f) < 1e-6f);
    ls[AS_MOUTH_CLOSE] = 1.0f; /* a bilabial closure is articulation too */
    as_merge_frame(out, ls, ex, neu, &c);
    CHECK(fabsf(out[AS_MOUTH_SMILE_LEFT] - 0.21f) < 1e-6f);
    /* A negative delta (expression below neutral) lowers the base, clamped at 0. */
    memset(ls, 0, sizeof ls);
    ls[AS_MOUTH_FROWN_LEFT] = 0.2f;
    neu[AS_MOUTH_FROWN_LEFT] = 0.5f;
    as_merge_frame(out, ls, ex, neu, &c);
    CHECK(out[AS_MOUTH_FROWN_LEFT] == 0.0f);
}

static void test_merge_jaw(void)
{
    float ls[NCH] = { 0 }, ex[NCH] = { 0 }, neu[NCH] = { 0 }, out[NCH];
    ls[AS_JAW_OPEN] = 0.5f;
    ex[AS_JAW_OPEN] = neu[AS_JAW_OPEN] = 0.05f; /* no emotion jaw delta */
    const float arousal[] = { 0.0f, 0.25f, 0.5f, 1.0f };
    float prev = -1.0f;
    for (int i = 0; i < 4; i++) {
        as_cond c = cond_one(AS_EMO_JOY, arousal[i]);
        CHECK(as_merge_frame(out, ls, ex, neu, &c) == AS_OK);
        const float scale = out[AS_JAW_OPEN] / ls[AS_JAW_OPEN];
        CHECKF(fabsf(scale - (0.7f + 0.8f * arousal[i])) < 1e-5f, "A %g scale %g", arousal[i], scale);
        CHECK(scale >= 0.7f - 1e-6f && scale <= 1.5f + 1e-6f);
        CHECK(out[AS_JAW_OPEN] > prev);
        prev = out[AS_JAW_OPEN];
    }
    /* Arousal outside 0..1 is clamped to the 0.7..1.5 range. */
    as_cond hi = cond_one(AS_EMO_JOY, 3.0f), lo = cond_one(AS_EMO_JOY, -1.0f);
    as_merge_frame(out, ls, ex, neu, &hi);
    CHECK(fabsf(out[AS_JAW_OPEN] - 0.75f) < 1e-6f);
    as_merge_frame(out, ls, ex, neu, &lo);
    CHECK(fabsf(out[AS_JAW_OPEN] - 0.35f) < 1e-6f);

    /* Surprise's dropped jaw (delta 0.25) shows at rest ... */
    memset(ls, 0, sizeof ls);
    ex[AS_JAW_OPEN] = 0.30f;
    as_cond s = cond_one(AS_EMO_SURPRISE, 0.8f);
    as_merge_frame(out, ls, ex, neu, &s);
    CHECK(fabsf(out[AS_JAW_OPEN] - 0.25f) < 1e-6f);
    /* ... but not through a bilabial closure (activity 1). */
    ls[AS_MOUTH_CLOSE] = 0.8f;
    as_merge_frame(out, ls, ex, neu, &s);
    CHECK(out[AS_JAW_OPEN] == 0.0f);
    CHECK(out[AS_MOUTH_CLOSE] == 0.8f);
}

/* ---- blinks --------------------------------------------------------------- */

static void test_blink_rate(void)
{
    const size_t T = 1800; /* 60 s at 30 fps */
    as_cond *neutral = conds_fill(T, AS_EMO_NEUTRAL, 0.3f);
    as_cond *aroused = conds_fill(T, AS_EMO_NEUTRAL, 1.0f);
    int total_n = 0, total_a = 0;
    for (uint64_t seed = 1; seed <= 10; seed++) {
        as_motion_params p = as_motion_default_params();
        p.seed = seed;
        float *a = track_fill(T, NULL), *b = track_fill(T, NULL);
        CHECK(as_motion_apply(&p, a, neutral, T, NULL, 0) == AS_OK);
        CHECK(as_motion_apply(&p, b, aroused, T, NULL, 0) == AS_OK);
        const int n = count_blinks(a, T), m = count_blinks(b, T);
        CHECKF(n >= 12 && n <= 20, "seed %d: %d blinks in 60 s of neutral", (int)seed, n);
        total_n += n;
        total_a += m;
        free(a);
        free(b);
    }
    /* The rate over ten minutes: 12..20 per minute, higher with arousal. */
    const double rate_n = total_n / 10.0, rate_a = total_a / 10.0;
    CHECKF(rate_n >= 12.0 && rate_n <= 20.0, "neutral blink rate %.1f/min", rate_n);
    CHECKF(rate_a >= 12.0 && rate_a <= 22.0, "aroused blink rate %.1f/min", rate_a);
    CHECKF(rate_a > rate_n + 2.0, "arousal must raise the blink rate: %.1f vs %.1f", rate_a, rate_n);

    /* Markers (phrase boundaries every 2.5 s) add blinks. */
    double markers[24];
    for (int i = 0; i < 24; i++) markers[i] = 1.0 + 2.5 * i;
    int with = 0, without = 0;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        as_motion_params p = as_motion_default_params();
        p.seed = seed;
        float *a = track_fill(T, NULL), *b = track_fill(T, NULL);
        CHECK(as_motion_apply(&p, a, neutral, T, markers, 24) == AS_OK);
        CHECK(as_motion_apply(&p, b, neutral, T, NULL, 0) == AS_OK);
        with += count_blinks(a, T);
        without += count_blinks(b, T);
        free(a);
        free(b);
    }
    CHECKF(with > without + 10, "markers: %d blinks vs %d without", with, without);

    /* An emotion change in the conditioning (neutral -> joy every 3 s) also
     * adds blinks, with no markers given. */
    as_cond *switching = conds_fill(T, AS_EMO_NEUTRAL, 0.3f);
    for (size_t t = 0; t < T; t++)
        if ((t / 90) % 2) switching[t] = cond_one(AS_EMO_JOY, 0.3f);
    with = without = 0;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        as_motion_params p = as_motion_default_params();
        p.seed = seed;
        float *a = track_fill(T, NULL), *b = track_fill(T, NULL);
        as_motion_apply(&p, a, switching, T, NULL, 0);
        as_motion_apply(&p, b, neutral, T, NULL, 0);
        with += count_blinks(a, T);
        without += count_blinks(b, T);
        free(a);
        free(b);
    }
    CHECKF(with > without + 10, "emotion changes: %d blinks vs %d without", with, without);
    free(switching);
    free(neutral);
    free(aroused);
}

static void test_blink_shape(void)
{
    /* At 240 fps the lid curve is sampled finely enough to time it. */
    const double fps = 240.0;
    const size_t T = (size_t)(120 * fps);
    as_motion_params p = as_motion_default_params();
    p.fps = (float)fps;
    p.seed = 7;
    as_cond *c = conds_fill(T, AS_EMO_NEUTRAL, 0.5f);
    float *tr = track_fill(T, NULL);
    CHECK(as_motion_apply(&p, tr, c, T, NULL, 0) == AS_OK);
    int blinks = 0;
    double min_d = 1e9, max_d = 0.0;
    for (size_t t = 1; t < T; t++) {
        CHECK(tr[t * NCH + AS_EYE_BLINK_LEFT] == tr[t * NCH + AS_EYE_BLINK_RIGHT]); /* both eyes together */
        if (!(tr[(t - 1) * NCH + AS_EYE_BLINK_LEFT] == 0.0f && tr[t * NCH + AS_EYE_BLINK_LEFT] > 0.0f)) continue;
        const size_t onset = t - 1; /* the curve's zero */
        size_t end = t, peak = t;
        while (end < T && tr[end * NCH + AS_EYE_BLINK_LEFT] > 0.0f) {
            if (tr[end * NCH + AS_EYE_BLINK_LEFT] > tr[peak * NCH + AS_EYE_BLINK_LEFT]) peak = end;
            end++;
        }
        if (end >= T) break; /* cut off by the end of the track */
        const double dur = (double)(end - onset) / fps;   /* within one frame of the true duration */
        const double close = (double)(peak - onset) / fps;
        const double open = (double)(end - peak) / fps;
        CHECKF(dur >= 0.100 - 1.0 / fps && dur <= 0.300 + 1.0 / fps, "blink %d lasts %.3f s", blinks, dur);
        CHECKF(close < open, "blink %d: close %.3f s not faster than open %.3f s", blinks, close, open);
        CHECKF(tr[peak * NCH + AS_EYE_BLINK_LEFT] > 0.99f, "blink %d closes only to %g", blinks,
               tr[peak * NCH + AS_EYE_BLINK_LEFT]);
        if (dur < min_d) min_d = dur;
        if (dur > max_d) max_d = dur;
        blinks++;
    }
    CHECKF(blinks >= 20, "only %d blinks in 120 s", blinks);
    CHECKF(max_d - min_d > 0.05, "durations should vary: %.3f..%.3f", min_d, max_d);
    free(tr);
    free(c);

    /* At 30 fps every blink still reaches full closure on a frame. */
    const size_t T30 = 1800;
    as_motion_params p30 = as_motion_default_params();
    as_cond *c30 = conds_fill(T30, AS_EMO_NEUTRAL, 0.3f);
    float *tr30 = track_fill(T30, NULL);
    as_motion_apply(&p30, tr30, c30, T30, NULL, 0);
    int full = 0, all = 0;
    for (size_t t = 1; t + 1 < T30; t++) {
        const float b = tr30[t * NCH + AS_EYE_BLINK_LEFT];
        if (b > 0.0f && b >= tr30[(t - 1) * NCH + AS_EYE_BLINK_LEFT] && b > tr30[(t + 1) * NCH + AS_EYE_BLINK_LEFT]) {
            all++;
            if (b > 0.99f) full++;
        }
    }
    CHECK(all > 5);
    CHECKF(full == all, "%d of %d blinks reach full closure at 30 fps", full, all);
    free(tr30);
    free(c30);
}

static void test_blink_validity(void)
{
    const size_t T = 1800;
    /* Wide eyes (surprise) and a half-closed base with wide eyes. */
    const float bases[3][2] = { { 0.0f, 0.7f }, { 0.3f, 0.6f }, { 0.45f, 0.9f } };
    for (int k = 0; k < 3; k++) {
        float base[NCH] = { 0 };
        base[AS_EYE_BLINK_LEFT] = base[AS_EYE_BLINK_RIGHT] = bases[k][0];
        base[AS_EYE_WIDE_LEFT] = base[AS_EYE_WIDE_RIGHT] = bases[k][1];
        as_cond *c = conds_fill(T, AS_EMO_SURPRISE, 1.0f);
        float *tr = track_fill(T, base);
        as_motion_apply(NULL, tr, c, T, NULL, 0);
        int bad = 0, blinking = 0;
        for (size_t t = 0; t < T; t++) {
            const float *f = tr + t * NCH;
            if (f[AS_EYE_BLINK_LEFT] > 0.4f && f[AS_EYE_WIDE_LEFT] > 0.4f) bad++;
            if (f[AS_EYE_BLINK_RIGHT] > 0.4f && f[AS_EYE_WIDE_RIGHT] > 0.4f) bad++;
            if (f[AS_EYE_BLINK_LEFT] > 0.9f) blinking++;
        }
        CHECKF(bad == 0, "base %d: %d frames with eyeBlink and eyeWide both > 0.4", k, bad);
        CHECK(blinking > 0);
        free(tr);
        free(c);
    }
}

/* ---- gaze ----------------------------------------------------------------- */

/* Mean net gaze over 60 s of emotion e mixed with neutral at weight we
 * (zero base face). */
static void mean_gaze_mix(as_emotion e, float we, uint64_t seed, double *mh, double *mv)
{
    const size_t T = 1800;
    as_motion_params p = as_motion_default_params();
    p.seed = seed;
    as_cond *c = conds_fill(T, e, 0.5f);
    for (size_t t = 0; t < T; t++) {
        c[t].w[e] = we;
        c[t].w[AS_EMO_NEUTRAL] += 1.0f - we;
    }
    float *tr = track_fill(T, NULL);
    as_motion_apply(&p, tr, c, T, NULL, 0);
    double h = 0.0, v = 0.0;
    int mirrored = 1;
    for (size_t t = 0; t < T; t++) {
        const float *f = tr + t * NCH;
        h += gaze_h_left(f);
        v += gaze_v_left(f);
        if (gaze_h_left(f) != gaze_h_right(f) || gaze_v_left(f) != gaze_v_right(f)) mirrored = 0;
    }
    CHECKF(mirrored, "%s: the eyes must look the same way (In/Out mirrored)", as_emotion_name(e));
    *mh = h / (double)T;
    *mv = v / (double)T;
    free(tr);
    free(c);
}

static void mean_gaze(as_emotion e, uint64_t seed, double *mh, double *mv) { mean_gaze_mix(e, 1.0f, seed, mh, mv); }

static void test_gaze_emotions(void)
{
    /* The emotion gaze crossfades: half shy looks half as far down. */
    double nh0, nv0, hh, hv, sh0, sv0;
    mean_gaze(AS_EMO_NEUTRAL, 1, &nh0, &nv0);
    mean_gaze_mix(AS_EMO_SHY, 0.5f, 1, &hh, &hv);
    mean_gaze(AS_EMO_SHY, 1, &sh0, &sv0);
    CHECKF(hv < nv0 - 0.05 && hv > sv0 + 0.05, "half shy v %.3f between neutral %.3f and shy %.3f", hv, nv0, sv0);

    for (uint64_t seed = 1; seed <= 4; seed++) {
        double nh, nv, sh, sv, dh, dv;
        mean_gaze(AS_EMO_NEUTRAL, seed, &nh, &nv);
        mean_gaze(AS_EMO_SHY, seed, &sh, &sv);
        mean_gaze(AS_EMO_SADNESS, seed, &dh, &dv);
        CHECKF(fabs(nh) < 0.08 && fabs(nv) < 0.08, "neutral gaze should centre: h %.3f v %.3f", nh, nv);
        CHECKF(sv < nv - 0.1, "shy looks down: v %.3f vs neutral %.3f", sv, nv);
        CHECKF(fabs(sh) > fabs(nh) + 0.08, "shy looks away: h %.3f vs neutral %.3f", sh, nh);
        CHECKF(dv < nv - 0.1, "sadness looks down: v %.3f vs neutral %.3f", dv, nv);
    }
}

/* Mean net gaze (left eye) over 60 s of emotion e on a constant base face. */
static void mean_gaze_on(as_emotion e, const float *base, uint64_t seed, double *mh, double *mv)
{
    const size_t T = 1800;
    as_motion_params p = as_motion_default_params();
    p.seed = seed;
    as_cond *c = conds_fill(T, e, 0.5f);
    float *tr = track_fill(T, base);
    as_motion_apply(&p, tr, c, T, NULL, 0);
    double h = 0.0, v = 0.0;
    for (size_t t = 0; t < T; t++) {
        h += gaze_h_left(tr + t * NCH);
        v += gaze_v_left(tr + t * NCH);
    }
    *mh = h / (double)T;
    *mv = v / (double)T;
    free(tr);
    free(c);
}

static void test_gaze_top_up(void)
{
    /* A face that already looks down and away (as the compiler's shy and sad
     * faces do) is not pushed twice as far: the emotion bias tops it up. */
    for (uint64_t seed = 1; seed <= 4; seed++) {
        float shy[NCH] = { 0 };
        shy[AS_EYE_LOOK_OUT_LEFT] = shy[AS_EYE_LOOK_IN_RIGHT] = 0.44f; /* looks to its left */
        shy[AS_EYE_LOOK_DOWN_LEFT] = shy[AS_EYE_LOOK_DOWN_RIGHT] = 0.18f;
        double h, v;
        mean_gaze_on(AS_EMO_SHY, shy, seed, &h, &v);
        CHECKF(fabs(h - 0.44) < 0.06, "seed %d: shy face h %.3f (the face's 0.44, not more)", (int)seed, h);
        CHECKF(v < -0.17 && v > -0.28, "seed %d: shy face v %.3f (topped up to about -0.22)", (int)seed, v);
        /* The same face looking to its right: "away" follows the face's side. */
        float shy_r[NCH] = { 0 };
        shy_r[AS_EYE_LOOK_IN_LEFT] = shy_r[AS_EYE_LOOK_OUT_RIGHT] = 0.10f;
        mean_gaze_on(AS_EMO_SHY, shy_r, seed, &h, &v);
        CHECKF(h < -0.13, "seed %d: shy face looking right goes on looking right: h %.3f", (int)seed, h);
        float sad[NCH] = { 0 };
        sad[AS_EYE_LOOK_DOWN_LEFT] = sad[AS_EYE_LOOK_DOWN_RIGHT] = 0.24f;
        mean_gaze_on(AS_EMO_SADNESS, sad, seed, &h, &v);
        CHECKF(v < -0.18 && v > -0.30, "seed %d: sad face v %.3f (the face's -0.24, not -0.44)", (int)seed, v);
        /* A face looking up (an eye roll) still gets sadness's full down bias. */
        float up[NCH] = { 0 };
        up[AS_EYE_LOOK_UP_LEFT] = up[AS_EYE_LOOK_UP_RIGHT] = 0.26f;
        mean_gaze_on(AS_EMO_SADNESS, up, seed, &h, &v);
        CHECKF(fabs(v - 0.06) < 0.06, "seed %d: up face with sadness v %.3f (0.26 - 0.20)", (int)seed, v);
    }
}

/* Frames on which the gaze moves by more than eps from the previous frame. */
static int moving_frames(const float *tr, size_t T, float eps)
{
    int n = 0;
    for (size_t t = 1; t < T; t++) {
        const float dh = gaze_h_left(tr + t * NCH) - gaze_h_left(tr + (t - 1) * NCH);
        const float dv = gaze_v_left(tr + t * NCH) - gaze_v_left(tr + (t - 1) * NCH);
        if (fabsf(dh) > eps || fabsf(dv) > eps) n++;
    }
    return n;
}

static void test_gaze_saccades(void)
{
    /* Without drift the gaze holds still between saccades, so each run of
     * moving frames is one saccade: it must complete within 3 frames. */
    const size_t T = 3600;
    as_motion_params p = as_motion_default_params();
    p.gaze_drift_deg = 0.0f;
    p.enable_blink = p.enable_patterns = 0;
    as_cond *c = conds_fill(T, AS_EMO_NEUTRAL, 0.5f);
    float *tr = track_fill(T, NULL);
    as_motion_apply(&p, tr, c, T, NULL, 0);
    int saccades = 0, run = 0, longest = 0;
    double amp_sum = 0.0;
    float start_h = 0.0f, start_v = 0.0f;
    for (size_t t = 1; t < T; t++) {
        const float *f = tr + t * NCH, *g = tr + (t - 1) * NCH;
        const int moving = gaze_h_left(f) != gaze_h_left(g) || gaze_v_left(f) != gaze_v_left(g);
        if (moving) {
            if (run == 0) {
                start_h = gaze_h_left(g);
                start_v = gaze_v_left(g);
            }
            run++;
        } else if (run > 0) {
            saccades++;
            amp_sum += 30.0 * hypot(gaze_h_left(g) - start_h, gaze_v_left(g) - start_v); /* degrees */
            if (run > longest) longest = run;
            run = 0;
        }
    }
    CHECKF(longest >= 2 && longest <= 3, "saccades take %d frames (want 2..3)", longest);
    /* Fixations of ~1..2 s: a saccade every 0.5..3 s over two minutes. */
    CHECKF(saccades >= 40 && saccades <= 240, "%d saccades in 120 s", saccades);
    const double mean_amp = saccades ? amp_sum / saccades : 0.0;
    CHECKF(mean_amp > 2.0 && mean_amp < 15.0, "mean saccade %.1f deg", mean_amp);
    free(tr);

    /* Fluster flickers: far more gaze movement than neutral. */
    as_motion_params q = as_motion_default_params();
    q.enable_blink = q.enable_patterns = 0;
    as_cond *fl = conds_fill(T, AS_EMO_FLUSTER, 0.8f);
    float *a = track_fill(T, NULL), *b = track_fill(T, NULL);
    as_motion_apply(&q, a, fl, T, NULL, 0);
    as_motion_apply(&q, b, c, T, NULL, 0);
    const int mf = moving_frames(a, T, 0.01f), mn = moving_frames(b, T, 0.01f);
    CHECKF(mf > 3 * mn, "fluster gaze moves on %d frames, neutral on %d", mf, mn);
    /* ... and its horizontal oscillation shows near its rate (3 Hz +- jitter). */
    float *hz = calloc(T * NCH, sizeof *hz);
    for (size_t t = 0; t < T; t++) hz[t * NCH] = gaze_h_left(a + t * NCH);
    const double f = dft_peak_hz(hz, T, 0, 30.0, 1.0, 14.0, NULL);
    CHECKF(f >= 2.4 && f <= 3.6, "fluster gaze peak at %.2f Hz", f);
    free(hz);
    free(a);
    free(b);
    free(fl);
    free(c);
}

/* ---- temporal patterns ------------------------------------------------------ */

static void test_patterns(void)
{
    const size_t T = 900; /* 30 s */
    float base[NCH] = { 0 };
    base[AS_JAW_OPEN] = 0.2f;
    base[AS_BROW_INNER_UP] = 0.3f;
    base[AS_MOUTH_SHRUG_LOWER] = 0.2f;
    base[AS_CHEEK_SQUINT_LEFT] = base[AS_CHEEK_SQUINT_RIGHT] = 0.3f;

    as_cond *laugh = conds_fill(T, AS_EMO_LAUGHTER, 0.9f);
    as_cond *cry = conds_fill(T, AS_EMO_CRYING, 0.6f);
    as_cond *neutral = conds_fill(T, AS_EMO_NEUTRAL, 0.3f);
    float *tl = track_fill(T, base), *tc = track_fill(T, base), *tn = track_fill(T, base);
    CHECK(as_motion_apply(NULL, tl, laugh, T, NULL, 0) == AS_OK);
    CHECK(as_motion_apply(NULL, tc, cry, T, NULL, 0) == AS_OK);
    CHECK(as_motion_apply(NULL, tn, neutral, T, NULL, 0) == AS_OK);

    /* Laughter's bouts (4..8 calls, then a breath) add an envelope below
     * 1.5 Hz; the call rhythm is the peak above it. */
    double mag, mag_lo;
    double f = dft_peak_hz(tl, T, AS_JAW_OPEN, 30.0, 1.5, 14.5, &mag);
    CHECKF(f >= 4.0 && f <= 6.0, "laughter jawOpen peak at %.2f Hz (want 4..6)", f);
    CHECKF(mag > 0.003, "laughter peak magnitude %.4f", mag);
    float jmin = 1.0f, jmax = 0.0f;
    for (size_t t = 0; t < T; t++) {
        const float j = tl[t * NCH + AS_JAW_OPEN];
        if (j < jmin) jmin = j;
        if (j > jmax) jmax = j;
    }
    CHECKF(jmax - jmin > 0.1f, "laughter jaw pulses are visible: %.3f..%.3f", jmin, jmax);
    /* ... and it stands well above the rest of the band. */
    dft_peak_hz(tl, T, AS_JAW_OPEN, 30.0, 7.0, 14.5, &mag_lo);
    CHECKF(mag > 3.0 * mag_lo, "laughter peak %.4f vs %.4f above 7 Hz", mag, mag_lo);
    f = dft_peak_hz(tl, T, AS_CHEEK_SQUINT_LEFT, 30.0, 1.5, 14.5, NULL);
    CHECKF(f >= 4.0 && f <= 6.0, "laughter cheekSquint peak at %.2f Hz", f);
    f = dft_peak_hz(tc, T, AS_BROW_INNER_UP, 30.0, 0.5, 14.5, &mag);
    CHECKF(f >= 2.0 && f <= 3.0, "crying browInnerUp peak at %.2f Hz (want 2..3)", f);
    CHECKF(mag > 0.002, "crying peak magnitude %.4f", mag);
    f = dft_peak_hz(tc, T, AS_MOUTH_SHRUG_LOWER, 30.0, 0.5, 14.5, NULL);
    CHECKF(f >= 2.0 && f <= 3.0, "crying mouthShrugLower peak at %.2f Hz", f);

    /* Neutral has no patterns: those channels stay exactly at the base. */
    for (size_t t = 0; t < T; t++) {
        CHECK(tn[t * NCH + AS_JAW_OPEN] == base[AS_JAW_OPEN]);
        CHECK(tn[t * NCH + AS_BROW_INNER_UP] == base[AS_BROW_INNER_UP]);
    }
    /* Laughter does not quiver the brows; crying does not pulse the jaw. */
    CHECK(channel_std(tl, T, AS_BROW_INNER_UP) == 0.0);
    CHECK(channel_std(tc, T, AS_JAW_OPEN) == 0.0);

    /* Scaled by the class weight: half laughter, half the pulse. */
    as_cond *half = conds_fill(T, AS_EMO_LAUGHTER, 0.9f);
    for (size_t t = 0; t < T; t++) {
        half[t].w[AS_EMO_LAUGHTER] = 0.5f;
        half[t].w[AS_EMO_JOY] = 0.5f;
    }
    float *th = track_fill(T, base);
    as_motion_apply(NULL, th, half, T, NULL, 0);
    const double ratio = channel_std(th, T, AS_JAW_OPEN) / channel_std(tl, T, AS_JAW_OPEN);
    CHECKF(fabs(ratio - 0.5) < 0.01, "half laughter weight gives %.3f of the pulse", ratio);

    free(th);
    free(half);
    free(tl);
    free(tc);
    free(tn);
    free(laugh);
    free(cry);
    free(neutral);
}

/* ---- smoothness contract ----------------------------------------------------- */

static void test_smoothness_contract(void)
{
    const size_t T = 1800;
    const as_emotion emos[] = { AS_EMO_NEUTRAL, AS_EMO_LAUGHTER, AS_EMO_CRYING, AS_EMO_FLUSTER, AS_EMO_SHY,
                                AS_EMO_SADNESS, AS_EMO_SURPRISE, AS_EMO_JOY };
    float base[NCH] = { 0 };
    base[AS_BROW_INNER_UP] = 0.4f;
    base[AS_BROW_OUTER_UP_LEFT] = base[AS_BROW_OUTER_UP_RIGHT] = 0.3f;
    base[AS_CHEEK_SQUINT_LEFT] = base[AS_CHEEK_SQUINT_RIGHT] = 0.3f;
    base[AS_EYE_SQUINT_LEFT] = base[AS_EYE_SQUINT_RIGHT] = 0.2f;
    base[AS_EYE_WIDE_LEFT] = base[AS_EYE_WIDE_RIGHT] = 0.7f; /* wide eyes: blinks must not break eyeWide */
    base[AS_NOSE_SNEER_LEFT] = base[AS_NOSE_SNEER_RIGHT] = 0.1f;
    base[AS_JAW_OPEN] = 0.2f;
    double worst = 0.0;
    for (size_t k = 0; k < sizeof emos / sizeof emos[0]; k++) {
        for (uint64_t seed = 1; seed <= 3; seed++) {
            as_motion_params p = as_motion_default_params();
            p.seed = seed;
            as_cond *c = conds_fill(T, emos[k], 1.0f); /* arousal 1: the most blinks */
            float *tr = track_fill(T, base);
            as_motion_apply(&p, tr, c, T, NULL, 0);
            int ch = -1;
            const double s = as_track_smoothness(tr, T, &ch); /* the worst slow channel */
            if (s > worst) worst = s;
            CHECKF(s < 0.015, "%s seed %d: %s mean |2nd diff| %.4f", as_emotion_name(emos[k]), (int)seed,
                   as_channel_name(ch), s);
            free(tr);
            free(c);
        }
    }
    /* The slow channels do move (the check above is not vacuous). */
    CHECK(worst > 0.001);
    CHECK(as_channel_is_slow(AS_BROW_INNER_UP) && as_channel_is_slow(AS_EYE_WIDE_LEFT) &&
          as_channel_is_slow(AS_CHEEK_SQUINT_LEFT));
}

/* ---- determinism and streaming ---------------------------------------------- */

/* A varied input: crossfades joy -> laughter -> crying -> shy -> fluster,
 * arousal sweeping, a noisy mouth. */
static void varied_input(float *tr, as_cond *c, size_t T)
{
    static const as_emotion seq[] = { AS_EMO_JOY, AS_EMO_LAUGHTER, AS_EMO_CRYING, AS_EMO_SHY, AS_EMO_FLUSTER,
                                      AS_EMO_SURPRISE };
    test_lcg = 777u;
    for (size_t t = 0; t < T; t++) {
        for (int ch = 0; ch < NCH; ch++) tr[t * NCH + ch] = 0.3f * frand();
        memset(&c[t], 0, sizeof c[t]);
        const double pos = (double)t / 150.0; /* 5 s per emotion */
        const size_t i = (size_t)pos % 6, j = (i + 1) % 6;
        const double frac = pos - floor(pos);
        const float mix = frac < 0.8 ? 0.0f : (float)((frac - 0.8) / 0.2);
        c[t].w[seq[i]] += 1.0f - mix;
        c[t].w[seq[j]] += mix;
        c[t].v = 0.5f;
        c[t].a = (float)(0.5 + 0.5 * sin((double)t / 200.0));
        c[t].d = 0.5f;
    }
}

static void test_determinism_and_streaming(void)
{
    const size_t T = 1200;
    float *in = malloc(T * NCH * sizeof *in);
    as_cond *c = malloc(T * sizeof *c);
    varied_input(in, c, T);
    const double markers[] = { 3.3, 0.0, 12.71, 25.0, 39.99, 100.0, -1.0 }; /* unsorted, some off the track */
    const size_t nm = sizeof markers / sizeof markers[0];

    as_motion_params p = as_motion_default_params();
    p.seed = 42;
    float *a = malloc(T * NCH * sizeof *a), *b = malloc(T * NCH * sizeof *b), *s = malloc(T * NCH * sizeof *s);
    memcpy(a, in, T * NCH * sizeof *a);
    memcpy(b, in, T * NCH * sizeof *b);
    CHECK(as_motion_apply(&p, a, c, T, markers, nm) == AS_OK);
    CHECK(as_motion_apply(&p, b, c, T, markers, nm) == AS_OK);
    CHECK(memcmp(a, b, T * NCH * sizeof *a) == 0); /* same seed: bit-identical */
    for (size_t i = 0; i < T * NCH; i++) CHECK(a[i] >= 0.0f && a[i] <= 1.0f);

    p.seed = 43;
    memcpy(b, in, T * NCH * sizeof *b);
    as_motion_apply(&p, b, c, T, markers, nm);
    CHECK(memcmp(a, b, T * NCH * sizeof *a) != 0); /* another seed: another animation */
    p.seed = 42;

    /* Streaming, one frame at a time, equals offline bit for bit. */
    unsigned char flag[1200] = { 0 };
    for (size_t i = 0; i < nm; i++) {
        const double k = floor(markers[i] * p.fps + 0.5);
        if (k >= 0 && k < (double)T) flag[(size_t)k] = 1;
    }
    as_motion_state *st = as_motion_state_create(&p);
    CHECK(st != NULL);
    if (!st) return;
    for (size_t t = 0; t < T; t++)
        CHECK(as_motion_process(st, s + t * NCH, in + t * NCH, &c[t], flag[t]) == AS_OK);
    CHECK(memcmp(a, s, T * NCH * sizeof *a) == 0);
    /* After a reset, in place (out == in), the same again. */
    as_motion_state_reset(st);
    memcpy(s, in, T * NCH * sizeof *s);
    for (size_t t = 0; t < T; t++) as_motion_process(st, s + t * NCH, s + t * NCH, &c[t], flag[t]);
    CHECK(memcmp(a, s, T * NCH * sizeof *a) == 0);
    as_motion_state_destroy(st);

    /* With passes switched off the equality holds too, and a pass that is off
     * leaves its channels alone while the others are unchanged. */
    as_motion_params q = p;
    q.enable_gaze = 0;
    st = as_motion_state_create(&q);
    memcpy(b, in, T * NCH * sizeof *b);
    as_motion_apply(&q, b, c, T, markers, nm);
    for (size_t t = 0; t < T; t++) as_motion_process(st, s + t * NCH, in + t * NCH, &c[t], flag[t]);
    CHECK(memcmp(b, s, T * NCH * sizeof *b) == 0);
    as_motion_state_destroy(st);
    int same_blink = 1, gaze_input = 1;
    for (size_t t = 0; t < T; t++) {
        if (b[t * NCH + AS_EYE_BLINK_LEFT] != a[t * NCH + AS_EYE_BLINK_LEFT]) same_blink = 0;
        if (b[t * NCH + AS_EYE_LOOK_UP_LEFT] != in[t * NCH + AS_EYE_LOOK_UP_LEFT]) gaze_input = 0;
    }
    CHECK(same_blink);
    CHECK(gaze_input);

    free(a);
    free(b);
    free(s);
    free(in);
    free(c);
}

/* ---- errors, clamp, allocation ---------------------------------------------- */

static size_t alloc_count = 0;
static void *count_malloc(size_t n, void *u) { (void)u; alloc_count++; return malloc(n); }
static void *count_realloc(void *p, size_t n, void *u) { (void)u; alloc_count++; return realloc(p, n); }
static void count_free(void *p, void *u) { (void)u; free(p); }

static void test_errors_and_clamp(void)
{
    float fr[NCH] = { 0 };
    as_cond c = cond_one(AS_EMO_NEUTRAL, 0.3f);
    as_motion_params p = as_motion_default_params();
    p.fps = 0.0f;
    CHECK(as_motion_apply(&p, fr, &c, 1, NULL, 0) == AS_ERR_INVALID_ARG);
    CHECK(strstr(as_last_error(), "fps") != NULL);
    CHECK(as_motion_state_create(&p) == NULL);
    p = as_motion_default_params();
    p.blink_rate_max = 5.0f; /* below the minimum */
    CHECK(as_motion_apply(&p, fr, &c, 1, NULL, 0) == AS_ERR_INVALID_ARG);
    CHECK(strstr(as_last_error(), "blink_rate_max") != NULL);
    p = as_motion_default_params();
    p.laugh_rate_hz = NAN;
    CHECK(as_motion_apply(&p, fr, &c, 1, NULL, 0) == AS_ERR_INVALID_ARG);
    CHECK(as_motion_apply(NULL, NULL, &c, 1, NULL, 0) == AS_ERR_INVALID_ARG);
    CHECK(as_motion_apply(NULL, fr, NULL, 1, NULL, 0) == AS_ERR_INVALID_ARG);
    CHECK(as_motion_apply(NULL, fr, &c, 1, NULL, 2) == AS_ERR_INVALID_ARG);
    const double bad[1] = { NAN };
    CHECK(as_motion_apply(NULL, fr, &c, 1, bad, 1) == AS_ERR_INVALID_ARG);
    CHECK(as_motion_apply(NULL, NULL, NULL, 0, NULL, 0) == AS_OK);
    CHECK(as_motion_process(NULL, fr, fr, &c, 0) == AS_ERR_INVALID_ARG);

    /* The final clamp: out-of-range and NaN input come out in 0..1. */
    const size_t T = 60;
    float *tr = track_fill(T, NULL);
    as_cond *cs = conds_fill(T, AS_EMO_LAUGHTER, 0.5f);
    for (size_t i = 0; i < T * NCH; i++) tr[i] = (i % 3 == 0) ? 1.7f : (i % 3 == 1) ? -0.4f : NAN;
    CHECK(as_motion_apply(NULL, tr, cs, T, NULL, 0) == AS_OK);
    int in_range = 1;
    for (size_t i = 0; i < T * NCH; i++)
        if (!(tr[i] >= 0.0f && tr[i] <= 1.0f)) in_range = 0;
    CHECK(in_range);
    /* Every antagonist pair is valid after the final pass, whatever came in. */
    for (size_t t = 0; t < T; t++) {
        float *f = tr + t * NCH;
        for (int ch = 0; ch < NCH; ch++) f[ch] = 0.9f;
    }
    CHECK(as_motion_apply(NULL, tr, cs, T, NULL, 0) == AS_OK);
    CHECKF(as_track_violations(tr, T) == 0, "%zu antagonist violations", as_track_violations(tr, T));
    /* Conditioning with NaN or negative weights is tolerated (treated as 0). */
    cs[3].w[AS_EMO_LAUGHTER] = NAN;
    cs[4].w[AS_EMO_LAUGHTER] = -1.0f;
    cs[5].a = NAN;
    CHECK(as_motion_apply(NULL, tr, cs, T, NULL, 0) == AS_OK);
    for (size_t i = 0; i < T * NCH; i++) CHECK(tr[i] >= 0.0f && tr[i] <= 1.0f);
    free(tr);
    free(cs);

    /* No allocation while streaming. */
    as_allocator al = { count_malloc, count_realloc, count_free, NULL };
    as_set_allocator(&al);
    as_motion_state *st = as_motion_state_create(NULL);
    CHECK(st != NULL);
    const size_t after_create = alloc_count;
    CHECK(after_create >= 1);
    for (int i = 0; i < 3000; i++) as_motion_process(st, fr, fr, &c, i % 97 == 0);
    CHECKF(alloc_count == after_create, "%zu allocations while streaming", alloc_count - after_create);
    as_motion_state_destroy(st);
    as_set_allocator(NULL);
}

int main(void)
{
    test_merge_ownership();
    test_merge_gate();
    test_merge_jaw();
    test_blink_rate();
    test_blink_shape();
    test_blink_validity();
    test_gaze_emotions();
    test_gaze_top_up();
    test_gaze_saccades();
    test_patterns();
    test_smoothness_contract();
    test_determinism_and_streaming();
    test_errors_and_clamp();
    return test_finish("test_motion");
}
