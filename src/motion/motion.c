/* motion/motion.c — the motion layer's public face: default parameters and
 * their checks, the offline chain over a track (rhubarb's animate(): one pure
 * pass after another, each track -> track) and the streaming state that runs
 * the same passes one frame at a time.
 *
 *   merged track -> blinks -> gaze -> patterns -> clamp -> frame sink
 *
 * Why offline and streaming agree bit for bit: see motion_internal.h. */
#include <math.h>
#include <string.h>
#include "animasync/expression.h"
#include "core/internal.h"
#include "motion/motion_internal.h"

as_motion_params as_motion_default_params(void)
{
    as_motion_params p;
    memset(&p, 0, sizeof p);
    p.seed = 1;
    p.fps = 30.0f;
    p.enable_blink = 1;
    p.enable_gaze = 1;
    p.enable_patterns = 1;

    p.blink_rate_min = 12.0f;        /* per minute at arousal 0 (blink.c: Bentivoglio 1997) */
    p.blink_rate_max = 20.0f;        /* per minute at arousal 1 */
    p.blink_duration_min_ms = 100.0f; /* Stern et al. 1984; BioNumbers 100..400 ms */
    p.blink_duration_max_ms = 300.0f;
    p.blink_close_fraction = 0.33f;  /* Evinger et al. 1991: closing much faster than opening */
    p.blink_event_prob = 0.7f;       /* design: blinks punctuate phrases (Cassell et al. 1994) */
    p.blink_refractory_s = 0.5f;     /* design: no blink within 0.5 s of the last one */

    p.gaze_unit_deg = 30.0f;         /* design: typical ARKit rigs rotate ~30 deg at weight 1 */
    p.saccade_mean_deg = 6.9f;       /* Eyes Alive (Lee et al. 2002): exp(-A / 6.9) */
    p.saccade_max_deg = 15.0f;       /* Eyes Alive: most saccades are under 15 deg */
    p.gaze_hold_mutual_s = 2.0f;     /* design, after Eyes Alive / Argyle & Cook (gaze.c) */
    p.gaze_hold_away_s = 0.9f;
    p.gaze_drift_deg = 0.4f;         /* fixational movements < 1 deg (Martinez-Conde 2004) */
    p.gaze_emotion_gain = 1.0f;

    p.pattern_jitter = 0.15f;        /* 5 Hz +- 15% stays within 4..6 Hz; 2.5 within 2..3 */
    p.laugh_rate_hz = 5.0f;          /* Provine 1996: laugh notes ~210 ms apart */
    p.laugh_jaw_gain = 0.15f;
    p.laugh_cheek_gain = 0.02f;      /* bounded by the smoothness contract (patterns.c) */
    p.cry_rate_hz = 2.5f;            /* design value */
    p.cry_brow_gain = 0.06f;         /* bounded by the smoothness contract (patterns.c) */
    p.cry_chin_gain = 0.12f;
    p.fluster_rate_hz = 3.0f;        /* design value */
    p.fluster_gaze_gain = 0.06f;
    return p;
}

/* Fails unless lo <= x <= hi (NaN fails too), naming the field. */
#define CHECK_RANGE(field, lo, hi)                                                                          \
    do {                                                                                                \
        if (!(p->field >= (lo) && p->field <= (hi)))                                                    \
            return as_fail(AS_ERR_INVALID_ARG, "motion params: %s = %g is outside %g..%g", #field,       \
                           (double)p->field, (double)(lo), (double)(hi));                               \
    } while (0)

as_result motion_check_params(const as_motion_params *p)
{
    CHECK_RANGE(fps, 1.0f, 1000.0f);
    CHECK_RANGE(blink_rate_min, 0.0f, 120.0f);
    CHECK_RANGE(blink_rate_max, p->blink_rate_min, 120.0f);
    CHECK_RANGE(blink_duration_min_ms, 30.0f, 1000.0f);
    CHECK_RANGE(blink_duration_max_ms, p->blink_duration_min_ms, 1000.0f);
    CHECK_RANGE(blink_close_fraction, 0.05f, 0.5f);
    CHECK_RANGE(blink_event_prob, 0.0f, 1.0f);
    CHECK_RANGE(blink_refractory_s, 0.0f, 5.0f);
    CHECK_RANGE(gaze_unit_deg, 5.0f, 90.0f);
    CHECK_RANGE(saccade_mean_deg, 0.0f, 30.0f);
    CHECK_RANGE(saccade_max_deg, 2.0f, 60.0f);
    CHECK_RANGE(gaze_hold_mutual_s, 0.2f, 30.0f);
    CHECK_RANGE(gaze_hold_away_s, 0.2f, 30.0f);
    CHECK_RANGE(gaze_drift_deg, 0.0f, 5.0f);
    CHECK_RANGE(gaze_emotion_gain, 0.0f, 2.0f);
    CHECK_RANGE(pattern_jitter, 0.0f, 0.5f);
    CHECK_RANGE(laugh_rate_hz, 0.5f, 15.0f);
    CHECK_RANGE(laugh_jaw_gain, 0.0f, 1.0f);
    CHECK_RANGE(laugh_cheek_gain, 0.0f, 0.2f);
    CHECK_RANGE(cry_rate_hz, 0.5f, 15.0f);
    CHECK_RANGE(cry_brow_gain, 0.0f, 0.2f);
    CHECK_RANGE(cry_chin_gain, 0.0f, 1.0f);
    CHECK_RANGE(fluster_rate_hz, 0.5f, 15.0f);
    CHECK_RANGE(fluster_gaze_gain, 0.0f, 0.5f);
    return AS_OK;
}

void motion_state_init(struct as_motion_state *st, const as_motion_params *p)
{
    st->p = *p;
    motion_blink_init(&st->blink, &st->p);
    motion_gaze_init(&st->gaze, &st->p);
    motion_pattern_init(&st->pattern, &st->p);
}

/* ---- the final pass ------------------------------------------------------- */

void motion_clamp_step(float *frame)
{
    for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) frame[ch] = motion_clamp01(frame[ch]);
    /* Validity (ARCHITECTURE.md): eyeBlink and eyeWide never both > 0.4. The
     * blink pass already caps eyeWide while it closes the lid; this catches a
     * closed-ish base face (high eyeBlink from the expression) with wide eyes. */
    if (frame[AS_EYE_BLINK_LEFT] > 0.4f && frame[AS_EYE_WIDE_LEFT] > 0.4f) frame[AS_EYE_WIDE_LEFT] = 0.4f;
    if (frame[AS_EYE_BLINK_RIGHT] > 0.4f && frame[AS_EYE_WIDE_RIGHT] > 0.4f) frame[AS_EYE_WIDE_RIGHT] = 0.4f;
    /* The other pairs (smile/frown from the merge's SHARED sums, browDown/
     * browInnerUp under the crying quiver): the compiler's own continuous
     * resolution, which leaves valid faces untouched. With the blink pair
     * already settled above, it never reopens a closing lid. */
    as_resolve_antagonists(frame);
}

/* ---- offline chain -------------------------------------------------------- */

as_result as_motion_apply(const as_motion_params *params, float *track, const as_cond *cond, size_t T,
                          const double *markers, size_t n_markers)
{
    const as_motion_params defaults = as_motion_default_params();
    const as_motion_params *p = params ? params : &defaults;
    as_result r = motion_check_params(p);
    if (r != AS_OK) return r;
    if (n_markers > 0 && !markers) return as_fail(AS_ERR_INVALID_ARG, "as_motion_apply: NULL markers with n_markers = %zu", n_markers);
    for (size_t i = 0; i < n_markers; i++)
        if (!isfinite(markers[i]))
            return as_fail(AS_ERR_INVALID_ARG, "as_motion_apply: marker %zu is not a finite time", i);
    if (T == 0) return AS_OK;
    if (!track || !cond) return as_fail(AS_ERR_INVALID_ARG, "as_motion_apply: NULL %s", !track ? "track" : "cond");

    /* Markers -> per-frame flags: marker time t falls on frame
     * floor(t x fps + 0.5), the frame nearest to it. */
    unsigned char *flags = NULL;
    if (n_markers > 0) {
        flags = as_calloc(T, 1);
        if (!flags) return as_fail(AS_ERR_NOMEM, "as_motion_apply: no memory for %zu marker flags", T);
        for (size_t i = 0; i < n_markers; i++) {
            const double k = floor(markers[i] * (double)p->fps + 0.5);
            if (k >= 0.0 && k < (double)T) flags[(size_t)k] = 1;
        }
    }

    struct as_motion_state st;
    motion_state_init(&st, p);
    const as_motion_params *sp = &st.p;

    /* The chain: each pass runs over the whole track before the next. */
    if (sp->enable_blink)
        for (size_t t = 0; t < T; t++)
            motion_blink_step(&st.blink, sp, track + t * AS_NUM_CHANNELS, cond + t, flags ? flags[t] : 0);
    if (sp->enable_gaze)
        for (size_t t = 0; t < T; t++) motion_gaze_step(&st.gaze, sp, track + t * AS_NUM_CHANNELS, cond + t);
    if (sp->enable_patterns)
        for (size_t t = 0; t < T; t++)
            motion_pattern_step(&st.pattern, sp, track + t * AS_NUM_CHANNELS, cond + t);
    for (size_t t = 0; t < T; t++) motion_clamp_step(track + t * AS_NUM_CHANNELS);

    as_free(flags);
    return AS_OK;
}

/* ---- streaming ------------------------------------------------------------ */

as_motion_state *as_motion_state_create(const as_motion_params *params)
{
    const as_motion_params defaults = as_motion_default_params();
    const as_motion_params *p = params ? params : &defaults;
    if (motion_check_params(p) != AS_OK) return NULL; /* as_fail recorded which field */
    as_motion_state *st = as_malloc(sizeof *st);
    if (!st) {
        as_set_error("as_motion_state_create: out of memory");
        return NULL;
    }
    motion_state_init(st, p);
    return st;
}

void as_motion_state_destroy(as_motion_state *st) { as_free(st); }

void as_motion_state_reset(as_motion_state *st)
{
    if (!st) return;
    const as_motion_params p = st->p;
    motion_state_init(st, &p);
}

as_result as_motion_process(as_motion_state *st, float out[AS_NUM_CHANNELS], const float in[AS_NUM_CHANNELS],
                            const as_cond *cond, int marker)
{
    if (!st || !out || !in || !cond)
        return as_fail(AS_ERR_INVALID_ARG, "as_motion_process: NULL %s",
                       !st ? "state" : !out ? "out" : !in ? "in" : "cond");
    /* Work on a copy so out and in may be the same (or overlapping) arrays. */
    float frame[AS_NUM_CHANNELS];
    memcpy(frame, in, sizeof frame);
    const as_motion_params *p = &st->p;
    if (p->enable_blink) motion_blink_step(&st->blink, p, frame, cond, marker != 0);
    if (p->enable_gaze) motion_gaze_step(&st->gaze, p, frame, cond);
    if (p->enable_patterns) motion_pattern_step(&st->pattern, p, frame, cond);
    motion_clamp_step(frame);
    memcpy(out, frame, sizeof frame);
    return AS_OK;
}
