/* audio/features_internal.h — the per-frame analysis behind features.h,
 * private to src/audio/features*.c.
 *
 * features.c owns the stream (resampling to 16 kHz, the sample buffer, frame
 * scheduling, the +/-2-frame regression stage and the public API);
 * features_dsp.c owns one frame's analysis (window, FFT, log-mel, spectral
 * shape, energy, YIN pitch) and the causal per-stream state that analysis
 * carries (previous log-mel for the flux, held F0, running means, running
 * peak). */
#ifndef AS_AUDIO_FEATURES_INTERNAL_H
#define AS_AUDIO_FEATURES_INTERNAL_H

#include <fftw3.h>

#include "animasync/features.h"

#define FEAT_FFT_SIZE 512                    /* next power of two above the 400-sample window */
#define FEAT_NUM_BINS (FEAT_FFT_SIZE / 2 + 1) /* 257 bins, 31.25 Hz apart */
#define FEAT_MEL_MAX_WEIGHTS (2 * FEAT_NUM_BINS) /* each bin lies in at most two triangles */

/* FFTW's planner (plan creation and destruction) is not thread-safe; every
 * caller in the library that makes or destroys an FFTW plan must hold this
 * lock. Execution of an existing plan needs no lock. */
void as_fftw_lock(void);
void as_fftw_unlock(void);

/* One stream's analysis: fixed tables, FFT plans and buffers, causal state. */
typedef struct {
    /* configuration */
    int tau_min, tau_max;  /* pitch lags searched, 16 kHz samples */
    int yin_span;          /* samples the pitch tracker reads: 2 tau_max (also its FFT size); its window W = tau_max */
    float threshold;       /* YIN absolute threshold */
    float f0_min_hz, f0_max_hz;

    /* tables */
    float window[AS_FEAT_WIN];              /* periodic Hann */
    int mel_first[AS_FEAT_NUM_MEL];         /* first bin of each triangle */
    int mel_count[AS_FEAT_NUM_MEL];         /* bins it spans */
    int mel_offset[AS_FEAT_NUM_MEL];        /* where its weights start in mel_weight */
    float mel_weight[FEAT_MEL_MAX_WEIGHTS];

    /* FFT buffers, 64-byte aligned inside one allocation (arena) */
    void *arena;
    float *spec_in;          /* (FEAT_FFT_SIZE) windowed frame, zero-padded */
    fftwf_complex *spec_out; /* (FEAT_NUM_BINS) */
    float *power;            /* (FEAT_NUM_BINS) |X|^2 */
    float *yin_a;            /* (yin_span) the first half of the span, zeros after */
    float *yin_c;            /* (yin_span) zeros, then the second half of the span */
    fftwf_complex *yin_fa;   /* (yin_span / 2 + 1) */
    fftwf_complex *yin_fc;   /* (yin_span / 2 + 1) */
    float *yin_r;            /* (yin_span) summed correlations (pitch_track), times yin_span */
    double *yin_energy;      /* (yin_span + 1) prefix sums of squares */
    float *yin_cmnd;         /* (tau_max + 1) cumulative-mean-normalised difference */
    fftwf_plan plan_spec;    /* r2c FEAT_FFT_SIZE */
    fftwf_plan plan_yin_fwd; /* r2c yin_span (run on yin_a and on yin_c) */
    fftwf_plan plan_yin_inv; /* c2r yin_span */

    /* causal state, cleared by feat_analyzer_reset */
    float prev_mel[AS_FEAT_NUM_MEL]; /* log-mel of the previous frame (flux) */
    int have_prev;
    float f0_held;                   /* AS_FEAT_F0 of the last voiced frame, 0 before any */
    float f0_mean;                   /* running mean of voiced AS_FEAT_F0 */
    int f0_seen;                     /* a voiced frame has been seen */
    float peak_db;                   /* decaying running peak of the RMS level, dBFS */
} feat_analyzer;

/* Builds tables, buffers and plans (takes the FFTW lock). p must be valid
 * (features.c checks it). On failure frees what it made and returns the
 * error (as_fail already called). */
as_result feat_analyzer_init(feat_analyzer *a, const as_features_params *p);
/* Frees buffers and plans (takes the FFTW lock); safe on a zeroed struct. */
void feat_analyzer_free(feat_analyzer *a);
/* Clears the causal state: the next frame is analysed as a clip's first. */
void feat_analyzer_reset(feat_analyzer *a);

/* Samples the pitch tracker reads before / after a frame's start, relative to
 * 160 k: [160 k + pitch_begin, 160 k + pitch_begin + yin_span). */
static inline int feat_pitch_begin(const feat_analyzer *a) { return AS_FEAT_WIN / 2 - a->tau_max; }

/* Analyses one frame. frame: the AS_FEAT_WIN samples of its window;
 * pitch: the yin_span samples of its pitch span. Writes every value of
 * out[AS_FEAT_DIM] that one frame determines (log-mel, F0, voicing, energy,
 * spectral shape) and leaves the regression values (deltas, delta-deltas,
 * slopes) to feat_regress. Advances the causal state. */
void feat_analyze(feat_analyzer *a, float out[AS_FEAT_DIM], const float *frame, const float *pitch);

/* The regression stage for frame t: fills the deltas, delta-deltas and slopes
 * of out from the analysed frames t-2 .. t+2 (win[0] .. win[4]; the caller
 * repeats the first or last frame at a clip's edges) and copies the rest of
 * frame t (win[2]). */
void feat_regress(float out[AS_FEAT_DIM], const float *const win[5]);

#endif
