/* animasync/motion.h — the last stages before the frame sink: the channel
 * merge (lip-sync layer + expression compiler -> one 52-weight frame, per
 * channel class) and the motion layer (blinks, saccades and gaze drift,
 * emotion-driven gaze, emotion-specific temporal patterns, final clamp).
 *
 * Offline, the motion layer is a chain of pure passes over a track
 * (T frames x 52 floats, frame i at time i / fps): as_motion_apply(). For
 * streaming, as_motion_state runs the same passes one frame at a time and
 * gives bit-identical output for the same seed and input. Everything random
 * comes from a seeded generator (xoshiro256**), never from rand().
 * Formulas, constants and their sources: docs/MOTION.md. Depends on core.h. */
#ifndef ANIMASYNC_MOTION_H
#define ANIMASYNC_MOTION_H

#include <stdint.h>
#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- channel merge (ARCHITECTURE.md) -------------------------------------
 *
 * Per channel class (as_channel_class_of):
 *   LIPSYNC     out = lipsync
 *   EXPRESSION  out = expression
 *   SHARED      out = lipsync + g x (expression - neutral),
 *               g = 1 - 0.7 x activity   (emotion influence while speaking)
 *   jawOpen     out = lipsync_jaw x (0.7 + 0.8 x A)
 *                     + (1 - activity) x (expression_jaw - neutral_jaw)
 *               (multiplicative arousal scale 0.7..1.5 for A 0..1; the
 *               emotion's own jaw delta, e.g. surprise's dropped jaw, only
 *               while the mouth is at rest)
 * where activity = clamp(1.2 jawOpen + 1.5 mouthClose + mouthFunnel +
 * mouthPucker, 0, 1) of the lip-sync frame, and A = cond->a clamped to 0..1.
 * Every output is clamped to 0..1 (NaN becomes 0). */

/* Speech activity 0..1 of a lip-sync frame (the gate above). */
float as_merge_activity(const float lipsync[AS_NUM_CHANNELS]);

/* One merged frame. lipsync: the lip-sync layer (only LIPSYNC and SHARED
 * channels are read); expression: the compiler's face; neutral: the neutral
 * face of the same compiler (strength 0), the reference for emotion deltas;
 * cond: the frame's conditioning (only A is read). out may be the same array
 * as lipsync or expression (each channel reads only its own index).
 * AS_ERR_INVALID_ARG on a NULL pointer. Allocates nothing. */
as_result as_merge_frame(float out[AS_NUM_CHANNELS], const float lipsync[AS_NUM_CHANNELS],
                         const float expression[AS_NUM_CHANNELS], const float neutral[AS_NUM_CHANNELS],
                         const as_cond *cond);

/* The same over a track: out, lipsync, expression (T, 52); cond (T);
 * neutral (52), one face for the whole track. Same aliasing rule. */
as_result as_merge_track(float *out, const float *lipsync, const float *expression,
                         const float *neutral, const as_cond *cond, size_t T);

/* ---- motion layer ----------------------------------------------------- */

typedef struct {
    uint64_t seed;   /* PRNG seed: the same seed and input give bit-identical output (default 1) */
    float fps;       /* frame rate of the track, 1..1000 frames/s (default 30) */

    int enable_blink;    /* 1 = blink pass on (default 1) */
    int enable_gaze;     /* 1 = saccades, drift and emotion gaze on (default 1) */
    int enable_patterns; /* 1 = laughter pulses and crying quiver on (default 1) */

    /* blinks */
    float blink_rate_min;       /* spontaneous blinks per minute at arousal 0, 0..120 (default 12) */
    float blink_rate_max;       /* spontaneous blinks per minute at arousal 1, >= min, 0..120 (default 20) */
    float blink_duration_min_ms; /* shortest blink, 30..1000 ms (default 100) */
    float blink_duration_max_ms; /* longest blink, >= min, 30..1000 ms (default 300) */
    float blink_close_fraction; /* share of a blink spent closing, 0.05..0.5 (default 0.33) */
    float blink_event_prob;     /* chance of a blink at a marker or an emotion change, 0..1 (default 0.7) */
    float blink_refractory_s;   /* least time between blink onsets, 0..5 s (default 0.5) */

    /* gaze (angles in degrees of eye rotation) */
    float gaze_unit_deg;        /* rotation an eyeLook weight of 1 stands for, 5..90 deg (default 30) */
    float saccade_mean_deg;     /* mean of the exponential saccade amplitude law, 0..30 deg (default 6.9) */
    float saccade_max_deg;      /* largest saccade amplitude, 0..60 deg, >= 2 (default 15) */
    float gaze_hold_mutual_s;   /* mean fixation on the listener, 0.2..30 s (default 2.0) */
    float gaze_hold_away_s;     /* mean fixation while looking away, 0.2..30 s (default 0.9) */
    float gaze_drift_deg;       /* standard deviation of fixational drift, 0..5 deg (default 0.4) */
    float gaze_emotion_gain;    /* scale of the emotion gaze biases, 0..2 (default 1) */

    /* emotion-specific temporal patterns (gains in blendshape weight units) */
    float pattern_jitter;       /* per-cycle frequency jitter, fraction of the rate, 0..0.5 (default 0.15) */
    float laugh_rate_hz;        /* laughter pulse rate, 0.5..15 Hz (default 5.0) */
    float laugh_jaw_gain;       /* jawOpen pulse height at laughter weight 1, 0..1 (default 0.15) */
    float laugh_cheek_gain;     /* cheekSquint pulse height, 0..0.2 (default 0.02) */
    float cry_rate_hz;          /* crying quiver rate, 0.5..15 Hz (default 2.5) */
    float cry_brow_gain;        /* browInnerUp quiver height, 0..0.2 (default 0.06) */
    float cry_chin_gain;        /* mouthShrugLower quiver height, 0..1 (default 0.12) */
    float fluster_rate_hz;      /* fluster gaze oscillation rate, 0.5..15 Hz (default 3.0) */
    float fluster_gaze_gain;    /* fluster gaze oscillation amplitude, look units 0..0.5 (default 0.06) */
} as_motion_params;

as_motion_params as_motion_default_params(void);

/* The offline chain (blinks -> gaze -> patterns -> clamp) over a merged
 * track, in place. track (T, 52), frame i at time i / p->fps; cond (T);
 * markers: n_markers times in seconds of phrase boundaries or emotion
 * changes (any order; each falls on frame floor(t x fps + 0.5); times off
 * the track are ignored), NULL when n_markers is 0. NULL p = defaults.
 * Changes of the dominant emotion class in cond count as markers on their
 * own. Errors: AS_ERR_INVALID_ARG (NULL pointer, bad params, non-finite
 * marker), AS_ERR_NOMEM. */
as_result as_motion_apply(const as_motion_params *p, float *track, const as_cond *cond, size_t T,
                          const double *markers, size_t n_markers);

/* Streaming: one frame at a time, same passes, bit-identical to
 * as_motion_apply for the same params and input (a marker given to apply at
 * time t is marker = 1 on frame floor(t x fps + 0.5) here). Nothing is
 * allocated after create. */
typedef struct as_motion_state as_motion_state;

/* NULL p = defaults. Returns NULL on bad params (as_last_error names the
 * field) or allocation failure. */
as_motion_state *as_motion_state_create(const as_motion_params *p);
void as_motion_state_destroy(as_motion_state *st);
/* Back to frame 0 with the same params and seed. */
void as_motion_state_reset(as_motion_state *st);
/* The next frame: out (52) from the merged frame in (52); out may equal in.
 * cond: this frame's conditioning; marker: non-zero if a phrase boundary or
 * emotion change falls on this frame. */
as_result as_motion_process(as_motion_state *st, float out[AS_NUM_CHANNELS],
                            const float in[AS_NUM_CHANNELS], const as_cond *cond, int marker);

#ifdef __cplusplus
}
#endif
#endif
