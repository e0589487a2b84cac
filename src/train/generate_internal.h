/* train/generate_internal.h — what the generator's run (generate.c) and its
 * clip maker (generate_clip.c) share. Not public. */
#ifndef AS_TRAIN_GENERATE_INTERNAL_H
#define AS_TRAIN_GENERATE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "animasync/dataset.h"
#include "animasync/expression.h"
#include "animasync/scenarios.h"

/* Read-only context shared by every worker of a run. */
typedef struct {
    const as_generate_params *p;
    const as_corpus *corpus;
    as_compiler *compiler;
    float neutral[AS_NUM_CHANNELS];
    /* Corpus turns usable by each split, by class (indices into the corpus). */
    size_t *turns[AS_NUM_SPLITS][AS_NUM_EMOTIONS];
    size_t n_turns[AS_NUM_SPLITS][AS_NUM_EMOTIONS];
} as_gen_ctx;

/* Builds the per-split turn lists (a corpus without a split file lends all
 * its scenarios to every split). */
as_result as_gen_ctx_init(as_gen_ctx *ctx, const as_generate_params *p, const as_corpus *corpus);
void as_gen_ctx_free(as_gen_ctx *ctx);

/* Where a clip goes and what seeds it. */
typedef struct {
    size_t index;        /* clip number in the dataset */
    as_split split;
    size_t split_index;  /* number within its split */
    uint64_t seed;       /* as_ds_mix(params seed, split, split_index) */
    const char *shard;   /* shard directory name */
    size_t row;          /* row in the shard */
} as_gen_clip_spec;

/* One finished clip, before it is written. */
typedef struct {
    size_t n_feat, n_anim;
    float *features;  /* (n_feat, 141) */
    float *cond;      /* (n_anim, 19) */
    float *targets;   /* (n_anim, 52) */
    float *teacher;   /* (n_anim, 52) */
    uint8_t *visemes; /* (n_anim) */
    int8_t labels[2 * AS_DATASET_MAX_TURNS];
    int family;
    as_lang lang;
    double audio_s;
    int attempts;     /* 1 + redraws after a failed synthesis */
    char *manifest;   /* its manifest.jsonl line, '\n'-terminated */
} as_gen_clip;

/* The seed of clip number split_index of a split. */
uint64_t as_gen_clip_seed(uint64_t seed, as_split split, size_t split_index);

/* Makes one clip: draws its recipe from spec->seed, synthesizes, augments,
 * computes features and targets. Redraws (up to 5 times) when the synthesis
 * fails, so one unspeakable draw does not stop a run. */
as_result as_gen_make_clip(const as_gen_ctx *ctx, const as_gen_clip_spec *spec, as_gen_clip *out);
void as_gen_clip_free(as_gen_clip *c);

/* A shard being written (generate_shard.c): clips are appended in row
 * order; finish renames the temporary directory onto the shard's name,
 * abort removes it. Both free the writer. */
typedef struct as_gen_shard_writer as_gen_shard_writer;
as_result as_gen_shard_open(as_gen_shard_writer **out, const char *out_dir, const char *name, as_split split,
                            size_t first_clip, size_t n_clips);
as_result as_gen_shard_append(as_gen_shard_writer *w, const as_gen_clip *c);
as_result as_gen_shard_finish(as_gen_shard_writer *w);
void as_gen_shard_abort(as_gen_shard_writer *w);

/* The English espeak-ng base voices (accents) a family is spoken with. */
extern const char *const as_gen_english_accents[];
extern const size_t as_gen_num_english_accents;

#endif
