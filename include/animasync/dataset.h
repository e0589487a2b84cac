/* animasync/dataset.h — the training-data factory of the learned parts: the
 * generator behind `animasync generate`, its audio augmentation, the reader
 * of what it writes, and the dataset quality check behind
 * `animasync check-dataset`.
 *
 * Sits in the train stage, on top of the whole say pipeline. Per clip:
 *
 *   corpus turns (scenarios.h) -> tagged text -> TTS (tts.h, a random voice
 *   of the clip's split) -> augmentation (noise, band-limit, reverb, gain)
 *   -> features (features.h, 100 Hz)                          = the input
 *   clean phoneme times -> lip-sync teacher (lipsync.h)
 *   labels -> timeline (timeline.h) -> compiler + style variation
 *   -> channel merge (motion.h, no motion layer)               = the target
 *
 * docs/DATASET.md gives the file layout byte for byte (NumPy .npy arrays in
 * one directory per shard, manifest.jsonl, meta.json) and how audio time
 * maps to feature frames and animation frames; docs/AUGMENT.md gives every
 * augmentation with its range.
 *
 * Example: make 1,000 clips with two workers, then walk the training clips.
 *
 *     as_generate_params gp = as_generate_default_params();
 *     gp.scenarios = "data/scenarios";
 *     gp.out_dir = "out/data";
 *     gp.clips = 1000;
 *     gp.jobs = 2;
 *     if (as_dataset_generate(&gp, NULL) != AS_OK) fprintf(stderr, "%s\n", as_last_error());
 *
 *     as_dataset *ds = as_dataset_open("out/data");
 *     for (size_t s = 0; s < as_dataset_shard_count(ds); s++) {
 *         const as_dataset_shard_info *info = as_dataset_shard_at(ds, s);
 *         if (!info->present || info->split != AS_SPLIT_TRAIN) continue;
 *         as_dataset_shard sh;
 *         if (as_dataset_shard_load(ds, s, &sh) != AS_OK) break;
 *         for (size_t c = 0; c < sh.n_clips; c++) {
 *             as_dataset_clip clip;
 *             as_dataset_shard_clip(&sh, c, &clip);
 *             // clip.features (clip.n_feat, 141), clip.cond (clip.n_anim, 19),
 *             // clip.targets (clip.n_anim, 52) ...
 *         }
 *         as_dataset_shard_clear(&sh);
 *     }
 *     as_dataset_close(ds);
 */
#ifndef ANIMASYNC_DATASET_H
#define ANIMASYNC_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "metrics.h"
#include "scenarios.h"
#include "tts.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the on-disk layout (meta.json "version"). Bumped whenever a
 * file, a column or a formula that a reader depends on changes. */
#define AS_DATASET_VERSION 1

/* ---- audio augmentation ---------------------------------------------------
 * Applied to the synthesized speech before the features are computed, never
 * to what the targets are made from. In this order: reverberation, additive
 * noise, band-limiting, gain, clipping. docs/AUGMENT.md has the formulas,
 * ranges and sources. */

typedef enum {
    AS_NOISE_WHITE = 0, /* flat spectrum (Gaussian) */
    AS_NOISE_PINK = 1,  /* -3 dB per octave (Kellet's filter on white noise) */
    AS_NOISE_BROWN = 2, /* -6 dB per octave (leaky integral of white noise) */
    AS_NOISE_HUM = 3,   /* mains hum: 50 or 60 Hz and 4 harmonics, plus pink noise 29 dB below */
    AS_NUM_NOISE_KINDS
} as_noise_kind;

/* "white", "pink", "brown", "hum"; NULL out of range. */
const char *as_noise_kind_name(as_noise_kind k);

/* The ranges a clip's augmentation is drawn from (uniformly unless noted). */
typedef struct {
    float reverb_prob;                /* chance of reverberation, 0..1 (default 0.5) */
    float rt60_s_min, rt60_s_max;     /* reverberation time, 0.05..3 s (default 0.15..0.6) */
    float drr_db_min, drr_db_max;     /* direct-to-reverberant energy ratio, -10..40 dB (default 3..15) */
    float noise_prob;                 /* chance of additive noise, 0..1 (default 0.8) */
    float snr_db_min, snr_db_max;     /* signal-to-noise ratio, -10..80 dB (default 10..40) */
    float bandlimit_prob;             /* chance of band-limiting, 0..1 (default 0.5) */
    float highpass_hz_min, highpass_hz_max; /* high-pass corner, 20..1000 Hz (default 60..300) */
    float lowpass_hz_min, lowpass_hz_max;   /* low-pass corner, 1000..20000 Hz (default 3000..7500);
                                               skipped when above 0.45 x the sample rate */
    float gain_db_min, gain_db_max;   /* level change, -40..20 dB (default -12..+4) */
} as_augment_params;

as_augment_params as_augment_default_params(void);

/* One clip's drawn augmentation: what as_augment_apply does. */
typedef struct {
    int reverb;               /* 1 = reverberation on */
    float rt60_s;             /* its reverberation time, s */
    float drr_db;             /* its direct-to-reverberant ratio, dB */
    int noise;                /* 1 = additive noise on */
    as_noise_kind noise_kind;
    float snr_db;             /* SNR against the active speech level (as_augment_active_power) */
    float hum_hz;             /* 50 or 60, for AS_NOISE_HUM */
    float highpass_hz;        /* high-pass corner, Hz; 0 = off */
    float lowpass_hz;         /* low-pass corner, Hz; 0 = off */
    float gain_db;            /* final gain, dB (0 = unchanged) */
    uint64_t noise_seed;      /* seeds the noise generator */
} as_augment_choice;

/* The identity: nothing on, gain 0 dB. */
as_augment_choice as_augment_none(void);
/* Draws a choice from the ranges of p (NULL = defaults) with a generator
 * seeded by seed: the same seed gives the same choice. AS_ERR_RANGE names a
 * field outside its range or a min above its max. */
as_result as_augment_draw(const as_augment_params *p, uint64_t seed, as_augment_choice *out);
/* Applies a choice in place to n mono samples at rate_hz (4000..384000).
 * Keeps the length and the clock: the dry signal is never delayed, so phoneme
 * times stay valid within the filters' group delay (under 1 ms in the speech
 * band). Deterministic. AS_ERR_INVALID_ARG / AS_ERR_RANGE on bad input,
 * AS_ERR_NOMEM. */
as_result as_augment_apply(const as_augment_choice *c, float *samples, size_t n, int rate_hz);
/* The active speech power the SNR refers to: the mean square over the 10 ms
 * blocks whose own mean square is within 40 dB of the loudest block (a
 * simple active-level estimate in the spirit of ITU-T P.56). 0 for silence. */
double as_augment_active_power(const float *samples, size_t n, int rate_hz);

/* ---- voice families and the split ----------------------------------------
 * A voice family is one timbre: an espeak-ng variant (m3, f4, klatt, ... on
 * any base voice and language) or one flite voice. Each family belongs to
 * exactly one split; validation and test clips are spoken only by their
 * families, which never speak a training clip. */

typedef struct {
    const char *name;     /* "espeak-m3", "flite-awb" */
    as_tts_engine engine;
    const char *voice;    /* espeak-ng variant ("m3") or flite voice ("awb") */
    as_split split;       /* AS_SPLIT_TRAIN, AS_SPLIT_VALIDATION or AS_SPLIT_TEST */
    int korean;           /* 1 if the family can speak Korean (espeak-ng) */
} as_voice_family;

/* The built-in family table (*n receives its length). The index of a family
 * in it is the family number stored in the datasets. */
const as_voice_family *as_voice_families(size_t *n);

/* ---- style variation ------------------------------------------------------
 * Per clip, the expression is varied so the student does not learn one
 * actor's exact face: an expressiveness gain on strength and per-channel
 * factors on each channel's deviation from neutral, both from symmetric Beta
 * distributions (bounded, mean 1). docs/DATASET.md says why. */

typedef struct {
    float gain_min, gain_max;  /* expressiveness gain = min + (max - min) x Beta(a, a),
                                  0..2 (default 0.6..1.4, mean 1) */
    int gain_beta;             /* a, 1..20 (default 3: standard deviation 0.15) */
    float channel_spread;      /* per-channel factor 1 + s x (2 Beta(b, b) - 1), shared by a
                                  left/right pair, s in 0..0.5 (default 0.2) */
    int channel_beta;          /* b, 1..20 (default 5: standard deviation 0.06) */
    float asym_spread;         /* extra left/right factor 1 + s x (2 Beta(b, b) - 1), 0..0.2
                                  (default 0.05) */
} as_style_params;

as_style_params as_style_default_params(void);

/* ---- the generator ------------------------------------------------------ */

/* What the progress callback sees. */
typedef struct {
    size_t clips_done;      /* clips made so far in this run */
    size_t clips_total;     /* clips this run makes (shards already finished excluded) */
    size_t shards_done;     /* shards written so far in this run */
    size_t shards_total;    /* shards this run makes */
    size_t shards_skipped;  /* shards of the slice found finished and skipped */
    double audio_s;         /* seconds of speech made so far */
    double elapsed_s;       /* wall-clock seconds since the run started */
} as_generate_progress;

/* Called in the calling process and thread, about five times a second and
 * once at the end (never in a worker). Return non-zero to stop the run (the shards
 * already written stay; the result is AS_ERR_INVALID_ARG, "cancelled"). */
typedef int (*as_generate_progress_fn)(const as_generate_progress *p, void *user_data);

typedef struct {
    const char *scenarios;      /* corpus directory or .jsonl file (scenarios.h); required */
    const char *out_dir;        /* output directory, created if missing; required */
    size_t clips;               /* clips in the whole dataset, 1..100,000,000 (default 1000) */
    size_t shard_clips;         /* clips per shard, 1..100,000 (default 256) */
    float validation_fraction;  /* share of clips in the validation split, 0..0.5 (default 0.05) */
    float test_fraction;        /* share in the test split, 0..0.5 (default 0.05) */
    uint64_t seed;              /* everything random follows from it (default 1) */
    int jobs;                   /* worker processes, 1..64 (default 1): forked from the
                                   caller, each single-threaded (the caller should not
                                   be allocating on other threads meanwhile: a fork
                                   copies their locks) */
    int shard_k, shard_n;       /* make only the shards s (0-based, in meta.json order)
                                   with s % shard_n == shard_k - 1; 1 <= k <= n <= 100000
                                   (default 1 of 1: all) */
    int max_turns;              /* longest run of turns in a clip, 1..3 (default 3) */
    size_t max_text_bytes;      /* a run is shortened (never below one turn) to at
                                   most this much text, 16..4096 (default 300) */
    float rate_min, rate_max;   /* speaking rate range, 0.5..2 (default 0.8..1.25) */
    float pitch_min, pitch_max; /* pitch range, 0.5..2 (default 0.8..1.25) */
    float volume_min, volume_max; /* speaking volume range, 0.1..2 (default 0.6..1.2):
                                     the teacher's jaw follows it (loudness) */
    float speed_min, speed_max; /* speed perturbation of training clips, 0.7..1.4 (default
                                   1..1: off): each train clip's synthesized speech is
                                   played s times faster, s drawn uniformly from the range
                                   (Ko, Peddinti, Povey & Khudanpur 2015), which scales its
                                   formants and pitch by s and its duration by 1 / s as a
                                   shorter or longer vocal tract would; its phoneme times
                                   are scaled with it, so the teacher follows. Validation
                                   and test clips keep their voices (s = 1). docs/AUGMENT.md */
    as_style_params style;
    as_augment_params augment;
    const char *command_line;   /* recorded in meta.json (NULL = none) */
    as_generate_progress_fn progress; /* NULL = none */
    void *progress_user;
} as_generate_params;

as_generate_params as_generate_default_params(void);

typedef struct {
    size_t shards_planned;   /* shards in the whole dataset */
    size_t shards_in_slice;  /* of them, in this run's --shard slice */
    size_t shards_skipped;   /* of them, found finished */
    size_t shards_made;      /* written by this run */
    size_t clips_made;
    size_t clip_retries;     /* clips redrawn after a synthesis failure */
    double audio_s;          /* seconds of speech made */
    double elapsed_s;
} as_generate_report;

/* Makes (or completes) the dataset in p->out_dir: meta.json, one directory
 * per shard, manifest.jsonl. Resumable: shards already finished are skipped,
 * leftovers of a killed run (*.tmp.<pid> of a process no longer running) are
 * removed. Deterministic: the same parameters give byte-identical shards,
 * whatever the number of jobs and slices. A directory made with other
 * settings is refused (AS_ERR_INVALID_ARG naming the setting). report may be
 * NULL. */
as_result as_dataset_generate(const as_generate_params *p, as_generate_report *report);

/* ---- reading a dataset ------------------------------------------------- */

/* Columns of a shard's clips.npy (int64, one row per clip). */
enum {
    AS_CLIP_INDEX = 0,      /* clip number in the whole dataset (manifest "index") */
    AS_CLIP_FEAT_OFFSET,    /* first row of the clip in features.npy */
    AS_CLIP_FEAT_FRAMES,    /* its rows there (100 per second) */
    AS_CLIP_ANIM_OFFSET,    /* first row in cond/targets/teacher/visemes.npy */
    AS_CLIP_ANIM_FRAMES,    /* its rows there (30 per second) */
    AS_CLIP_SPLIT,          /* as_split */
    AS_CLIP_FAMILY,         /* index into as_voice_families() and meta.json "voice_families" */
    AS_CLIP_LANG,           /* as_lang */
    AS_CLIP_NUM_COLUMNS
};

/* Most turns in a clip; labels.npy holds (class, level) per turn, -1 for none. */
#define AS_DATASET_MAX_TURNS 3

typedef struct {
    char name[32];       /* "train-00000" (the directory name) */
    as_split split;
    size_t first_clip;   /* AS_CLIP_INDEX of its first clip */
    size_t n_clips;
    int present;         /* 1 if its directory is there (finished) */
} as_dataset_shard_info;

typedef struct as_dataset as_dataset;

/* Opens a dataset directory: reads and checks meta.json (format, version),
 * lists the planned shards and which are present. NULL on error
 * (as_last_error names the file and field). */
as_dataset *as_dataset_open(const char *dir);
void as_dataset_close(as_dataset *ds);
/* The split a voice family belonged to when the dataset was made (its
 * meta.json "voice_families"; the built-in table for a family it does not
 * list); AS_SPLIT_NONE for an unknown family. */
as_split as_dataset_family_split(const as_dataset *ds, int family);
size_t as_dataset_shard_count(const as_dataset *ds);
const as_dataset_shard_info *as_dataset_shard_at(const as_dataset *ds, size_t i); /* NULL out of range */

/* One shard in memory. Arrays are row-major, as in the .npy files. */
typedef struct {
    size_t n_clips;
    int64_t *clips;      /* (n_clips, AS_CLIP_NUM_COLUMNS) */
    int8_t *labels;      /* (n_clips, 2 x AS_DATASET_MAX_TURNS): class, level per turn */
    size_t n_feat;
    float *features;     /* (n_feat, 141) at 100 Hz, from the augmented audio */
    size_t n_anim;
    float *cond;         /* (n_anim, 19) at 30 fps */
    float *targets;      /* (n_anim, 52) at 30 fps: the merged face, no motion layer */
    float *teacher;      /* (n_anim, 52) the lip-sync teacher alone */
    uint8_t *visemes;    /* (n_anim) viseme of the phoneme at the frame's time
                            (AS_VISEME_*; 0 = silence, 255 = unknown phoneme) */
    double *stats;       /* (3, 141): frame count, sum, sum of squares of the features */
} as_dataset_shard;

/* Loads shard i (which must be present) and checks that every file is there
 * with the right dtype and shape and that the clip index is consistent.
 * AS_ERR_IO / AS_ERR_PARSE name the file at fault. */
as_result as_dataset_shard_load(const as_dataset *ds, size_t i, as_dataset_shard *out);
void as_dataset_shard_clear(as_dataset_shard *s);

/* One clip of a loaded shard: pointers into the shard's arrays. */
typedef struct {
    size_t index;            /* clip number in the dataset */
    as_split split;
    int family;
    as_lang lang;
    size_t n_feat;
    const float *features;   /* (n_feat, 141) */
    size_t n_anim;
    const float *cond;       /* (n_anim, 19) */
    const float *targets;    /* (n_anim, 52) */
    const float *teacher;    /* (n_anim, 52) */
    const uint8_t *visemes;  /* (n_anim) */
    const int8_t *labels;    /* (2 x AS_DATASET_MAX_TURNS) */
} as_dataset_clip;

as_result as_dataset_shard_clip(const as_dataset_shard *s, size_t row, as_dataset_clip *out);

/* ---- checking a dataset -------------------------------------------------- */

#define AS_DATASET_MAX_FAMILIES 32
#define AS_DATASET_DURATION_BINS 12 /* 1 s bins: [0,1) ... [10,11), and >= 11 s */

typedef struct {
    as_contract_report contract; /* the metrics (names, values, thresholds, pass) */
    size_t shards_planned, shards_present;
    size_t clips, feat_frames, anim_frames;
    double audio_s;
    size_t split_clips[AS_NUM_SPLITS];
    size_t class_frames[AS_NUM_EMOTIONS];   /* frames by dominant class of the conditioning */
    size_t class_turns[AS_NUM_EMOTIONS];    /* turns by label */
    size_t level_turns[AS_NUM_LEVELS];      /* turns by intensity level */
    size_t n_families;
    char family_names[AS_DATASET_MAX_FAMILIES][32];
    size_t family_clips[AS_DATASET_MAX_FAMILIES];
    as_split family_split[AS_DATASET_MAX_FAMILIES];
    size_t duration_clips[AS_DATASET_DURATION_BINS];
} as_dataset_report;

/* Loads every present shard of dir and runs the quality contract over the
 * targets: validity of every value (finite, in range, conditioning weights
 * summing to 1), antagonist violations, temporal smoothness of the slow
 * expression channels (worst clip), lip-sync preservation against the stored
 * teacher, per-class distinctiveness of the expression targets (across and
 * within families), that no validation/test family speaks a training clip,
 * and that manifest.jsonl agrees with the shards. Fills the histograms.
 * Returns AS_OK when it could run (see out->contract.all_pass); an error when
 * the dataset cannot be read at all. */
as_result as_dataset_check(const char *dir, as_dataset_report *out);

#ifdef __cplusplus
}
#endif
#endif
