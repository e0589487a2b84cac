/* animasync/student.h — lip sync from audio alone: the V3 student network
 * (audio features + 19-dim emotion conditioning -> 52 ARKit weights at
 * 30 fps), its offline and streaming runtime, its trainer and its
 * evaluation. No transcript, no phoneme timings: any speech in, a face out.
 *
 *   speech PCM (any rate) -> features (features.h, 100 Hz)
 *   emotion (one name, or timed events) -> conditioning (timeline.h, 30 fps)
 *   -> student network (a causal dilated convolution stack, FiLM-conditioned)
 *   -> motion layer (motion.h: blinks, gaze, patterns) -> frames
 *
 * The network is trained on the triples `animasync generate` makes; the
 * default weights are built into the library. docs/MODEL.md describes the
 * network, the losses, the training recipe and the measured quality.
 *
 * Example (offline, a WAV file, joy at 80 % for the whole clip):
 *
 *     float *pcm = NULL;  size_t n = 0;  int rate = 0;
 *     if (as_audio_read("speech.wav", &pcm, &n, &rate) != AS_OK) ...;   // tts.h: WAV/FLAC/OGG, any rate
 *     as_render_params rp = as_render_default_params();
 *     rp.emotion = "joy";  rp.intensity = 0.8f;
 *     as_animation *anim = NULL;
 *     if (as_render(NULL, &rp, pcm, n, rate, &anim) != AS_OK)   // NULL: built-in model
 *         fprintf(stderr, "%s\n", as_last_error());
 *     as_animation_write(anim, AS_FORMAT_JSON, "anim.json", NULL);
 *     as_animation_destroy(anim);
 *     as_free(pcm);
 *
 * Example (streaming, 10 ms chunks at 48 kHz):
 *
 *     as_student_stream *st = as_student_stream_create(NULL, 48000, &rp);
 *     size_t cap = as_student_stream_max_frames(st, 480);
 *     float *out = malloc(cap * AS_NUM_CHANNELS * sizeof(float));
 *     size_t got;
 *     while (read_chunk(chunk, 480)) {
 *         as_student_stream_push(st, out, cap, &got, chunk, 480);   // got frames of 52
 *         ...
 *     }
 *     as_student_stream_flush(st, out, cap, &got);
 *     as_student_stream_destroy(st);
 *
 * The streamed frames are bit-identical to as_render's on the same input. */
#ifndef ANIMASYNC_STUDENT_H
#define ANIMASYNC_STUDENT_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "engine.h"
#include "motion.h"
#include "scenarios.h"
#include "timeline.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the model (read-only, shared by any number of streams) ------------- */

typedef struct as_student as_student;

/* Loads a weight file written by the trainer. NULL on error: as_last_error
 * names the file and what is wrong with it (wrong magic or version, a
 * checkpoint instead of a model, a corrupt or truncated file) and how to
 * make a right one. */
as_student *as_student_load(const char *path);
/* The model built into the library (never destroy it). NULL only if the
 * built-in weights are corrupt. */
const as_student *as_student_default(void);
/* Frees a loaded model (NULL and the built-in model are ignored). */
void as_student_destroy(as_student *m);

typedef struct {
    size_t n_params;      /* trained parameters (the feature statistics excluded) */
    double lookahead_ms;  /* audio after a frame's time the network reads (0..) */
    double latency_ms;    /* lookahead_ms plus the features' own look-ahead (40 ms at
                             16 kHz; resampling adds its block latency, features.h) */
    int hidden;           /* channels of the convolution stack */
    int layers;           /* convolution layers */
    int receptive_frames; /* frames of history a frame sees (30 fps) */
    int heads;            /* 1: viseme and closure heads drive the mouth (model version 2) */
} as_student_info;

/* NULL m = the built-in model. */
void as_student_get_info(const as_student *m, as_student_info *out);

/* The network alone over one clip: features (n_feat, 141) at 100 Hz as
 * as_features_compute gives them, cond (T) one conditioning per 30 fps
 * frame -> out (T, 52). No motion layer. Deterministic. */
as_result as_student_run(const as_student *m, float *out, const float *features, size_t n_feat, const as_cond *cond,
                         size_t T);

/* ---- rendering: speech audio -> animation ------------------------------- */

typedef struct {
    const char *emotion;  /* lexicon name for the whole clip (default "neutral") */
    float intensity;      /* its intensity 0..1 (default 0.5 = level 3) */
    const char *script;   /* timed emotions, overrides emotion when not NULL:
                             "[0s joy:80] [2.5s sadness:40] [4s neutral]" — each
                             tag is a time in seconds (with "s"), a lexicon name
                             and an optional intensity 0..100 (default 50) */
    as_timeline_params timeline; /* crossfades and smoothing as in `say` (fps must be 30) */
    as_motion_params motion;     /* blinks, gaze, patterns (fps follows timeline) */
} as_render_params;

as_render_params as_render_default_params(void);

/* One timed emotion of a script. */
typedef struct {
    double time_s;
    char name[AS_TAG_NAME_MAX];
    float intensity; /* 0..1 */
} as_render_event;

/* Parses a script ("[0s joy:80] [2.5s sadness]"): up to max events into
 * out, *n gets how many. AS_ERR_PARSE names the tag and its character
 * position; AS_ERR_UNKNOWN an unknown emotion; AS_ERR_RANGE more than max
 * tags, a negative time or an intensity outside 0..100. */
as_result as_render_script_parse(const char *script, as_render_event *out, size_t max, size_t *n);

/* Speech (n mono samples at rate_hz, 4000..384000) -> animation: features,
 * conditioning, the student, the motion layer (with phrase markers at the
 * pauses in the audio: docs/MODEL.md). m NULL = the built-in model,
 * p NULL = defaults. The animation's lipsync field holds the network's
 * output before the motion layer, expression the compiler's face for the
 * same conditioning; speech is NULL. */
as_result as_render(const as_student *m, const as_render_params *p, const float *pcm, size_t n, int rate_hz,
                    as_animation **out);

/* ---- streaming ------------------------------------------------------------ */

typedef struct as_student_stream as_student_stream;

/* A stream for mono input at rate_hz over model m (NULL = built-in; it must
 * outlive the stream). p: the emotion (or script) in force from the start,
 * timeline and motion parameters (NULL = defaults). Everything is allocated
 * here; nothing after. NULL on error (as_last_error). */
as_student_stream *as_student_stream_create(const as_student *m, int rate_hz, const as_render_params *p);
void as_student_stream_destroy(as_student_stream *st);

/* A bound on the frames one push of at most n samples can return, and on
 * what the flush returns. */
size_t as_student_stream_max_frames(const as_student_stream *st, size_t n);

/* Feeds n samples and writes the frames that became complete (n_frames x 52,
 * after the motion layer) into frames, at most max_frames. AS_ERR_RANGE,
 * consuming nothing, when this push could return more than max_frames. */
as_result as_student_stream_push(as_student_stream *st, float *frames, size_t max_frames, size_t *n_frames,
                                 const float *pcm, size_t n);
/* Ends the clip and returns the remaining frames. */
as_result as_student_stream_flush(as_student_stream *st, float *frames, size_t max_frames, size_t *n_frames);

/* Schedules an emotion change centred at time_s on the stream's clock (the
 * same crossfades as the offline timeline). Events given before the first
 * frame is produced give exactly as_render's frames for the equivalent script. */
as_result as_student_stream_set_emotion(as_student_stream *st, double time_s, const char *name, float intensity);
/* Frames produced so far. */
size_t as_student_stream_frames(const as_student_stream *st);

/* ---- evaluation ---------------------------------------------------------- */

#define AS_STUDENT_EVAL_MAX_FAMILIES 32

typedef struct {
    size_t clips, frames;      /* evaluated */
    double jaw_pearson;        /* Pearson r of jawOpen, output vs target (target >= 0.85) */
    double jaw_pearson_teacher;/* the same against the lip-sync teacher alone */
    double viseme_accuracy;    /* share of frames whose nearest viseme pose matches the lip-sync
                                  teacher's (>= 0.70) */
    size_t closures;           /* bilabial closures (/p b m/ runs) in the targets */
    double closure_rate;       /* share detected within one frame (>= 0.90) */
    double lipsync_l1;         /* mean |output - target| on LIPSYNC channels */
    double expression_l1;      /* mean |output - target| on EXPRESSION channels */
    double all_l1;             /* over all 52 */
    double anchor_max_error;   /* max |output - preset| at the 46 anchors, silent audio (<= 0.05) */
    char anchor_worst[48];     /* "joy L5 browInnerUp" */
    double repeat_variance;    /* largest variance over 100 repeated runs (< 0.01) */
    double distinct_across;    /* min cosine distance of class centroids across families (> 0.3) */
    double distinct_within;    /* within a family (> 0.1) */
    double smoothness;         /* worst clip's slow-channel mean |2nd difference| (< 0.015) */
    double seconds;            /* wall time of the evaluation */
    double viseme_teacher_late; /* reference: viseme accuracy of the teacher itself one frame (33 ms)
                                   late, what a perfect mouth with one frame of delay would score */
    double viseme_within_one;  /* reported: the output's nearest pose equals the teacher's at the
                                  same frame or one frame before or after (the closure metric's
                                  one-frame tolerance applied to visemes) */
    double viseme_vs_earlier, viseme_vs_later; /* the output's pose against the teacher's one frame
                                  earlier / later: a lag would make one beat viseme_accuracy */
    double viseme_target;      /* reference: the viseme accuracy of the target itself (the merged
                                  face the network learns), what an exact network would score: the
                                  emotion's jaw in the merge moves some frames' nearest pose */
    double viseme_head;        /* reported: the viseme head's most likely pose against the
                                  teacher's (0 without heads); the face built from the head
                                  scores viseme_accuracy */
    double viseme_stable;      /* reported: viseme accuracy on the frames whose teacher pose
                                  is also the pose of both neighbours (no transition) */
    double stable_share;       /* the share of such frames */
    size_t n_families;         /* the voice families of the split, in as_voice_families order */
    struct {
        char name[32];         /* "espeak-m6", "flite-rms" */
        size_t clips, frames, closures;
        double jaw_pearson, viseme_accuracy, viseme_head, closure_rate;
    } family[AS_STUDENT_EVAL_MAX_FAMILIES]; /* the figures of each family's clips alone */
} as_student_eval_report;

/* Evaluates model m (NULL = built-in) on a dataset directory's clips of one
 * split (AS_SPLIT_VALIDATION or AS_SPLIT_TEST: voices never heard in
 * training; AS_SPLIT_TRAIN shows what is lost on new voices), overall and
 * per voice family. max_clips 0 = all. repeats: repeated runs for the
 * variance (100 in `animasync eval`; 0 skips). */
as_result as_student_eval(const as_student *m, const char *data_dir, as_split split, size_t max_clips, int repeats,
                          as_student_eval_report *out);

/* ---- training ------------------------------------------------------------ */

typedef struct {
    int epoch, epochs;
    long step, steps;
    double lr;
    double loss;            /* total of the weighted terms, mean over the epoch */
    double l1, velocity, acceleration, anchor, consistency; /* unweighted means */
    double viseme, closure; /* the heads' cross-entropies (0 without heads) */
    double pose;            /* the nearest-pose loss (0 when its weight is 0) */
    double grad_norm;       /* mean before clipping */
    int has_validation;     /* 1 when val holds figures */
    as_student_eval_report val;
    double elapsed_s;
    const char *blas_core;  /* the OpenBLAS kernel family */
} as_train_progress;

/* Called after each epoch; return non-zero to stop (the checkpoint stays). */
typedef int (*as_train_progress_fn)(const as_train_progress *p, void *user_data);

typedef struct {
    const char *data_dir;    /* dataset of `animasync generate`; required */
    const char *out_path;    /* the trained weight file; required */
    const char *checkpoint;  /* checkpoint file written after every epoch (NULL = none) */
    int resume;              /* 1: continue from checkpoint when it exists */
    const char *init_path;   /* fine-tune: start from this model's weights (its layout
                                wins over lookahead_ms, hidden, ...), NULL = random start */
    const char *emit_c;      /* also write the weights as a C source here (NULL = no) */
    const char *command_line;/* recorded in the C source's first line */
    int lookahead_ms;        /* network look-ahead: 0, 50 or 100 (default 100) */
    int hidden;              /* trunk channels (default 80); 0 = default */
    int film_hidden;         /* FiLM trunk width (default 64); 0 = default */
    int layers;              /* conv layers (default 5); 0 = default */
    int epochs;              /* 1..1000 (default 20) */
    int batch;               /* sequences per step, even, 2..256 (default 16) */
    int seq_frames;          /* frames per training sequence, 16..1024 (default 128) */
    int anchor_frames;       /* frames of silence per anchor sequence (default 64) */
    float lr;                /* peak learning rate (default 2e-3) */
    float lr_min;            /* final learning rate (default 5e-5) */
    int warmup_steps;        /* default 200 */
    float weight_decay;      /* AdamW decoupled decay (default 1e-4) */
    float clip_norm;         /* global gradient norm bound (default 1) */
    float w_velocity, w_acceleration; /* default 1, 0.5 */
    float w_closure;         /* L1 channel weight of mouthClose and mouthPress (default 4) */
    float w_anchor;          /* anchor-snap loss weight (default 4) */
    float w_consistency;     /* consistency loss weight (default 1) */
    float w_bce;             /* sigmoid cross-entropy beside the L1, keeps saturated channels
                                trainable (default 0.5; docs/MODEL.md) */
    float vad_jitter;        /* consistency jitter, +-VAD units (default 0.05) */
    int no_heads;            /* 1: the version 1 network, a sigmoid regression of all 52
                                channels without the viseme and closure heads (default 0) */
    float w_viseme;          /* cross-entropy of the viseme head against the teacher's
                                nearest viseme pose (default 0.3) */
    float w_closure_head;    /* cross-entropy of the closure head against the teacher's
                                closure amount (default 1) */
    float w_pose;            /* nearest-pose loss: cross-entropy of softmax(-distance / pose_tau)
                                of the face to the 15 viseme poses against the teacher's
                                nearest pose (the viseme metric's label), frames within one
                                frame of a /p b m/ left to the closure head (default 0) */
    float pose_tau;          /* its temperature, squared-distance units (default 0.005) */
    float pose_jaw;          /* share of its gradient the jaw takes, 0..1 (default 0.5) */
    int threads;             /* 1..64 (default 1); results depend only on the batch, never on this */
    uint64_t seed;           /* default 1 */
    size_t max_train_clips;  /* 0 = all (tests use a few) */
    size_t max_val_clips;    /* validation clips per epoch, 0 = all (default 0) */
    as_train_progress_fn progress;
    void *progress_user;
} as_train_params;

as_train_params as_train_default_params(void);

/* Trains a student from scratch (or resumes) and writes p->out_path.
 * Deterministic for fixed parameters, data and thread count-independent. */
as_result as_student_train(const as_train_params *p);

#ifdef __cplusplus
}
#endif
#endif
