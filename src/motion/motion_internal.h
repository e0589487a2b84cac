/* motion/motion_internal.h — internals of the motion layer (not public): the
 * seeded generator, the per-pass states and the one-frame step of each pass.
 *
 * Each pass is causal and keeps its own state and its own generator stream,
 * and each step reads only the frame it is given. So running pass 1 over the
 * whole track, then pass 2, ... (as_motion_apply) and running all passes on
 * frame 0, then on frame 1, ... (as_motion_process) perform the same float
 * operations in the same order: the outputs are bit-identical. */
#ifndef AS_MOTION_INTERNAL_H
#define AS_MOTION_INTERNAL_H

#include <stdint.h>
#include "animasync/motion.h"
#include "core/internal.h"

/* ---- distributions over the library's generator (as_rng, core/internal.h) */
/* Uniform on (0, 1]: never 0, so log() is always finite. */
double as_rng_uniform(as_rng *rng);
/* Standard normal, approximated by the Irwin-Hall sum of 4 uniforms scaled
 * to unit variance (bounded at +-3.46, enough for drift noise). */
double as_rng_normal(as_rng *rng);
/* Exponential with the given mean. */
double as_rng_exp(as_rng *rng, double mean);

/* ---- shared helpers ------------------------------------------------------ */

/* Clamp to 0..1 that also maps NaN to 0. */
static inline float motion_clamp01(float x) { return x > 0.0f ? (x < 1.0f ? x : 1.0f) : 0.0f; }

/* Class weights of cond, negatives and NaN taken as 0, normalised to sum 1;
 * all zero means neutral. Returns the dominant class (first on ties). */
int motion_class_weights(const as_cond *cond, float w[AS_NUM_EMOTIONS]);
/* Arousal of cond clamped to 0..1 (NaN -> neutral 0.3). */
float motion_arousal(const as_cond *cond);

/* smoothstep: 3x^2 - 2x^3 on 0..1 (zero slope at both ends). */
static inline double motion_smoothstep(double x)
{
    if (x <= 0.0) return 0.0;
    if (x >= 1.0) return 1.0;
    return x * x * (3.0 - 2.0 * x);
}

/* A quasi-periodic oscillator: the phase runs 0..1 per cycle and each cycle
 * draws its own frequency (rate x (1 +- jitter)) and its own amplitude, so
 * amplitude changes fall where the raised-cosine pulse is 0 with zero slope. */
typedef struct {
    double phase; /* 0..1 within the current cycle */
    double freq;  /* Hz, this cycle */
    float amp;    /* 0..1, this cycle */
    int count;    /* pattern-specific cycle counter (laugh bouts) */
} motion_osc;

/* Starts an oscillator at phase 0 with a first cycle drawn. */
void motion_osc_init(motion_osc *o, as_rng *rng, double rate_hz, double jitter);
/* Advances the phase by dt; every cycle that begins draws its frequency
 * uniformly in rate x (1 +- jitter). Returns how many cycles began (the
 * caller draws their amplitudes). */
int motion_osc_advance(motion_osc *o, as_rng *rng, double rate_hz, double jitter, double dt);
/* Raised-cosine pulse of the current cycle: amp x (1 - cos 2 pi phase) / 2,
 * 0..amp, zero with zero slope at each cycle boundary. */
double motion_osc_pulse(const motion_osc *o);

/* ---- pass states ----------------------------------------------------- */

typedef struct {
    as_rng rng;
    double acc;          /* spontaneous-interval units accumulated since the last blink */
    double target;       /* units to accumulate before the next spontaneous blink (gamma draw) */
    double since_onset;  /* seconds since the last blink onset */
    uint64_t frames_in;  /* frames since the current blink began */
    double dur_s;        /* current blink duration */
    double close_s;      /* current blink closing time */
    float wide_cap[2];   /* current upper limit on eyeWide left, right (1 = none), see blink.c */
    int active;          /* a blink is under way */
    int prev_class;      /* dominant class of the previous frame, -1 before the first */
} motion_blink_state;

typedef struct {
    as_rng rng;
    int side;            /* +1: "away" is to the subject's left, -1: right (seed, then the face's) */
    int side_locked;     /* side held while an averting emotion lasts */
    int away;            /* 0 = mutual gaze (on the listener), 1 = looking away */
    double hold_acc;     /* rate-scaled seconds spent in the current fixation */
    double hold_target;  /* drawn fixation length, seconds */
    float from_h, from_v, to_h, to_v; /* saccade endpoints, look units (h + = subject's left, v + = up) */
    double sac_t;        /* seconds since the saccade began */
    double sac_dur;      /* saccade duration, seconds */
    double drift_h, drift_v; /* fixational drift (Ornstein-Uhlenbeck), degrees */
    motion_osc fluster;  /* fluster gaze oscillation */
} motion_gaze_state;

typedef struct {
    as_rng rng;
    motion_osc laugh;    /* laughter pulses (bouts of calls and rests) */
    motion_osc cry;      /* crying quiver */
} motion_pattern_state;

struct as_motion_state {
    as_motion_params p;
    motion_blink_state blink;
    motion_gaze_state gaze;
    motion_pattern_state pattern;
};

/* Validates params; AS_OK or AS_ERR_INVALID_ARG with the field named. */
as_result motion_check_params(const as_motion_params *p);
/* Puts every pass at frame 0 for p's seed. */
void motion_state_init(struct as_motion_state *st, const as_motion_params *p);

/* One frame of each pass, in place on frame (52). */
void motion_blink_init(motion_blink_state *s, const as_motion_params *p);
void motion_blink_step(motion_blink_state *s, const as_motion_params *p, float *frame, const as_cond *cond,
                       int marker);
void motion_gaze_init(motion_gaze_state *s, const as_motion_params *p);
void motion_gaze_step(motion_gaze_state *s, const as_motion_params *p, float *frame, const as_cond *cond);
void motion_pattern_init(motion_pattern_state *s, const as_motion_params *p);
void motion_pattern_step(motion_pattern_state *s, const as_motion_params *p, float *frame, const as_cond *cond);
/* The final pass: clamp to 0..1 and the blink/wide validity guard. */
void motion_clamp_step(float *frame);

/* Per-pass stream ids for as_rng_seed. */
enum { MOTION_STREAM_BLINK = 1, MOTION_STREAM_GAZE = 2, MOTION_STREAM_PATTERN = 3 };

#endif
