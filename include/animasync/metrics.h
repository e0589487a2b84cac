/* animasync/metrics.h — the quality contract of ARCHITECTURE.md as library
 * code: track metrics (any frames x 52 array) and bank/engine metrics (a
 * preset bank through a compiler). Used by `animasync check`, the tests and
 * the dataset checker. */
#ifndef ANIMASYNC_METRICS_H
#define ANIMASYNC_METRICS_H

#include "core.h"
#include "expression.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- track metrics (track: T frames x 52, row-major) ---- */

/* Temporal smoothness: for each slow expression channel (as_channel_is_slow),
 * the mean |x[t+1] - 2 x[t] + x[t-1]| over the track; returns the largest
 * (contract: < 0.015 per frame). *worst_channel gets its index (may be NULL). */
double as_track_smoothness(const float *track, size_t T, int *worst_channel);
/* Antagonist violations (as_antagonists): frames x pairs where both members
 * exceed the pair's limit. Contract: 0. */
size_t as_track_violations(const float *track, size_t T);
/* Lip-sync preservation: the share of LIPSYNC-channel values of track within
 * 1e-3 of the lip-sync layer's (contract: > 0.99). */
double as_track_lipsync_preservation(const float *track, const float *lipsync, size_t T);

/* ---- face and bank metrics ---- */

/* 1 - cosine similarity of two faces restricted to the EXPRESSION channels
 * (0 when either is all zero there). */
double as_cosine_distance_expression(const float a[AS_NUM_CHANNELS], const float b[AS_NUM_CHANNELS]);
/* 1 - cosine similarity over all 52 channels. */
double as_cosine_distance(const float a[AS_NUM_CHANNELS], const float b[AS_NUM_CHANNELS]);
/* Class centroid: the mean of a class's L1, L3, L5 presets (neutral: its preset). */
void as_class_centroid(const as_preset_bank *bank, as_emotion e, float out[AS_NUM_CHANNELS]);
/* Expression magnitude: L2 norm of (face - neutral face) over all channels. */
double as_expression_magnitude(const float face[AS_NUM_CHANNELS], const float neutral[AS_NUM_CHANNELS]);

/* ---- the engine contract ---- */

#define AS_MAX_METRICS 16

typedef struct {
    const char *name;    /* "anchor_reproducibility", ... */
    double value;        /* the measured figure */
    double threshold;    /* the contract's bound */
    int upper_bound;     /* 1: value must be <= threshold; 0: value must be > threshold */
    int pass;
    char detail[200];    /* where the worst case is */
} as_metric;

typedef struct {
    as_metric m[AS_MAX_METRICS];
    int n;
    int all_pass;
} as_contract_report;

typedef struct {
    unsigned seed;          /* for the random queries (default 1) */
    int validity_queries;   /* random (class mix, VAD, strength) queries, default 100000 */
    int grid_per_axis;      /* VAD grid points per axis for smoothness, default 22 (10,648 per class) */
} as_contract_params;

as_contract_params as_contract_default_params(void);

/* Appends a metric to a report (at most AS_MAX_METRICS; NULL when full) and
 * judges it: upper_bound 1 means value <= threshold passes, 0 means
 * value > threshold passes; a failure clears report->all_pass. */
as_metric *as_contract_add(as_contract_report *report, const char *name, double value, double threshold,
                           int upper_bound);

/* Runs every engine metric of the contract over a bank (NULL = built-in)
 * through a compiler made with cparams (NULL = defaults): determinism, anchor
 * reproducibility, VAD smoothness, validity, distinctiveness (across and
 * within families), monotonic intensity, family coherence, strength 0.
 * Returns AS_OK when it could run (whatever passed); see report->all_pass. */
as_result as_contract_check(const as_preset_bank *bank, const as_compiler_params *cparams,
                            const as_contract_params *params, as_contract_report *report);

#ifdef __cplusplus
}
#endif
#endif
