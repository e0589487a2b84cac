/* animasync/features.h — audio features for the audio-driven path: speech at
 * any sample rate in, one 141-value feature frame per 10 ms out.
 *
 * Sits in the audio stage, between the audio source (a WAV file, TTS output,
 * a microphone) and what learns from or reacts to speech: the dataset
 * generator stores these frames next to its targets, and the student
 * lip-sync network reads them, in streaming, to drive the mouth.
 *
 * What a frame holds (docs/FEATURES.md gives every one of the 141 values with
 * its formula, unit and normalisation):
 *
 *     0 ..  39  log-mel energies, 40 HTK-mel bands over 20..8000 Hz (nats)
 *    40 ..  79  their deltas (regression over +/-2 frames)
 *    80 .. 119  their delta-deltas (quadratic regression over +/-2 frames)
 *   120 .. 140  pitch, voicing, energy and spectral-shape (prosodic) features
 *
 * Timing. Input is resampled to 16 kHz (libsoxr, linear phase, so resampled
 * time equals input time). Frame k covers the 25 ms window of 16 kHz samples
 * [160 k, 160 k + 400): input time [10 k ms, 10 k + 25 ms), centre
 * 10 k + 12.5 ms. A clip of d seconds gives ceil(16000 d / 160) frames
 * (100 per second; windows running past the end see zeros). The pitch tracker
 * reads 2 x 16000 / f0_min_hz samples centred on the same centre (40 ms at
 * the default 50 Hz), and samples before the start are zeros.
 *
 * Streaming. State carries across pushes: features pushed in chunks of any
 * size are bit-identical to features computed in one call. A frame is
 * returned once the audio up to as_features_latency_s() after its centre has
 * been pushed (40 ms at the defaults: two frames of delta look-ahead plus half
 * the pitch window), plus, for input rates other than 16 kHz, the block
 * latency of the resampler (docs/FEATURES.md has measured figures). Nothing
 * is allocated by this library after create.
 *
 * Example (offline):
 *
 *     float *frames = NULL;  size_t n_frames = 0;
 *     if (as_features_compute(&frames, &n_frames, pcm, n, 22050, NULL) != AS_OK)
 *         fprintf(stderr, "%s\n", as_last_error());
 *     // frames[k * AS_FEAT_DIM + AS_FEAT_F0] is the pitch of frame k
 *     as_free(frames);
 *
 * Example (streaming, 10 ms chunks at 48 kHz):
 *
 *     as_features *fx = as_features_create(48000, NULL);
 *     size_t cap = as_features_max_frames(fx, 480);   // enough for every push of <= 480 samples and for the flush
 *     float *out = malloc(cap * AS_FEAT_DIM * sizeof(float));
 *     size_t got;
 *     while (read_chunk(chunk, 480))
 *         if (as_features_push(fx, out, cap, &got, chunk, 480) == AS_OK) use(out, got);
 *     as_features_flush(fx, out, cap, &got);  use(out, got);
 *     as_features_destroy(fx);
 *
 * Thread safety: an as_features is used by one thread at a time; distinct
 * extractors may run on distinct threads (creation takes a global lock
 * around FFTW's planner, which is not thread-safe). */
#ifndef ANIMASYNC_FEATURES_H
#define ANIMASYNC_FEATURES_H

#include <stddef.h>
#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- frame layout ---------------------------------------------------------- */

#define AS_FEAT_DIM 141        /* values per frame */
#define AS_FEAT_RATE_HZ 16000  /* analysis sample rate */
#define AS_FEAT_HOP 160        /* samples at 16 kHz between frames (10 ms) */
#define AS_FEAT_WIN 400        /* samples at 16 kHz in a frame's window (25 ms) */
#define AS_FEAT_FPS 100        /* frames per second */
#define AS_FEAT_NUM_MEL 40     /* log-mel bands */

/* Index of each value in a frame. */
#define AS_FEAT_MEL 0              /* 40 log-mel energies, nats */
#define AS_FEAT_MEL_D 40           /* 40 deltas, nats per frame */
#define AS_FEAT_MEL_DD 80          /* 40 delta-deltas, nats per frame^2 */
#define AS_FEAT_F0 120             /* log2(F0 / 100 Hz), held through unvoiced frames */
#define AS_FEAT_F0_REL 121         /* F0 minus the running mean of voiced F0, octaves */
#define AS_FEAT_VOICING 122        /* voicing confidence 0..1 (1 - YIN aperiodicity) */
#define AS_FEAT_VOICED 123         /* 1 if the frame is voiced, else 0 */
#define AS_FEAT_F0_SLOPE 124       /* regression slope of AS_FEAT_F0, octaves per frame */
#define AS_FEAT_ENERGY 125         /* RMS level: (dBFS + 100) / 100, floor 0 */
#define AS_FEAT_ENERGY_REL 126     /* level relative to a decaying running peak, 0..1 */
#define AS_FEAT_ENERGY_SLOPE 127   /* regression slope of AS_FEAT_ENERGY, per frame */
#define AS_FEAT_ZCR 128            /* zero-crossing rate, crossings per sample, 0..1 */
#define AS_FEAT_CENTROID 129       /* spectral centroid / 8000 Hz, 0..1 */
#define AS_FEAT_SPREAD 130         /* spectral spread (std. dev.) / 8000 Hz */
#define AS_FEAT_ROLLOFF 131        /* 85 % spectral roll-off / 8000 Hz, 0..1 */
#define AS_FEAT_FLATNESS 132       /* spectral flatness, 0..1 */
#define AS_FEAT_FLUX 133           /* positive log-mel flux: mean rise since the last frame, nats */
#define AS_FEAT_TILT 134           /* log-mel spectral tilt: least-squares slope, nats per band */
#define AS_FEAT_LOW_RATIO 135      /* share of power at 31..500 Hz, 0..1 */
#define AS_FEAT_HIGH_RATIO 136     /* share of power at 4..8 kHz, 0..1 */
#define AS_FEAT_F1_CENTROID 137    /* centroid of 200..1000 Hz, (f - 200) / 800, 0..1 */
#define AS_FEAT_F2_CENTROID 138    /* centroid of 800..2800 Hz, (f - 800) / 2000, 0..1 */
#define AS_FEAT_CENTROID_SLOPE 139 /* regression slope of AS_FEAT_CENTROID, per frame */
#define AS_FEAT_VOICING_SLOPE 140  /* regression slope of AS_FEAT_VOICING, per frame */

/* Short name of value i ("mel_00", "d_mel_00", "dd_mel_00", "f0", "voicing",
 * ...), or NULL if i is outside 0..140. */
const char *as_features_name(int i);

/* Centre of frame k's window in seconds from the first input sample:
 * 0.0125 + 0.01 k. */
double as_features_frame_time_s(size_t k);
/* The frame whose window centre is nearest to time t_s (seconds; ties go to
 * the later frame; times before the first centre give 0). For an animation
 * frame j at 30 fps standing for time j / 30 s this is
 * floor(10 j / 3 - 1.25 + 0.5) clamped at 0. */
size_t as_features_frame_at(double t_s);

/* ---- parameters ------------------------------------------------------------ */

typedef struct {
    float f0_min_hz;         /* lowest F0 the pitch tracker reports, Hz, 40..200.
                                Default 50. Sets the pitch window (2 x 16000 /
                                f0_min_hz samples) and so the look-ahead. */
    float f0_max_hz;         /* highest F0, Hz, 200..1000 and at least 2 x
                                f0_min_hz. Default 800. */
    float voicing_threshold; /* YIN absolute threshold on the cumulative-mean-
                                normalised difference, 0.01..0.5: a frame is voiced
                                when some lag in range falls below it. Default 0.2. */
} as_features_params;

/* The defaults: f0 50..800 Hz, voicing threshold 0.2. The stored datasets and
 * the shipped student network use these; change them only with both. */
as_features_params as_features_default_params(void);

/* ---- streaming ------------------------------------------------------------- */

typedef struct as_features as_features;

/* An extractor for mono input at input_rate_hz (4000..384000). p NULL means
 * the defaults. Returns NULL on a bad rate or parameter, out of memory or a
 * resampler failure; as_last_error() says which. */
as_features *as_features_create(int input_rate_hz, const as_features_params *p);
void as_features_destroy(as_features *st);

/* Forgets all audio: the next push starts a new clip at time 0, exactly as a
 * freshly created extractor would (the output is bit-identical). */
as_result as_features_reset(as_features *st);

/* A bound on the frames one push of at most n samples can return, and (any
 * n) on what the flush returns, whatever the extractor's state:
 * n x 16000 / rate / 160 plus what the look-ahead and the resampler may hold
 * back (8 frames at 16 kHz, 17 at 22.05..48 kHz, 19 at 8 kHz). Size the
 * output buffer once with it. */
size_t as_features_max_frames(const as_features *st, size_t n);

/* Feeds n samples (mono, nominally -1..1) and writes the frames that became
 * complete into frames (row-major, n_frames x AS_FEAT_DIM floats), at most
 * max_frames. *n_frames gets how many. Fails, consuming nothing and leaving
 * the extractor as it was, with AS_ERR_RANGE when this push could return
 * more than max_frames frames (never with as_features_max_frames(st, n)
 * frames of room), AS_ERR_INVALID_ARG for NULL pointers (pcm
 * may be NULL when n is 0), a non-finite sample, or a push after the flush. */
as_result as_features_push(as_features *st, float *frames, size_t max_frames, size_t *n_frames, const float *pcm,
                           size_t n);

/* Ends the clip: drains the resampler, pads the last windows with zeros and
 * returns the remaining frames (at most as_features_max_frames(st, 0)).
 * Fails like as_features_push, and with AS_ERR_INVALID_ARG when called twice.
 * Afterwards only as_features_reset or destroy may follow. */
as_result as_features_flush(as_features *st, float *frames, size_t max_frames, size_t *n_frames);

/* Look-ahead of the features at 16 kHz in seconds: how much audio after a
 * frame's window centre must be pushed before the frame is returned, not
 * counting the resampler (0.040 at the defaults). */
double as_features_latency_s(const as_features *st);

/* The input sample rate the extractor was created for. */
int as_features_input_rate(const as_features *st);

/* ---- offline ---------------------------------------------------------------- */

/* All frames of a whole clip in one call (the same frames streaming gives).
 * *frames (n_frames x AS_FEAT_DIM floats, row-major) is freed with as_free;
 * it is NULL when the clip is too short to give a frame (n = 0). */
as_result as_features_compute(float **frames, size_t *n_frames, const float *pcm, size_t n, int rate_hz,
                              const as_features_params *p);

#ifdef __cplusplus
}
#endif
#endif
