/* train/generate_shard.c — writes one shard as clips arrive, in row order:
 * the per-frame arrays are appended to their .npy files in a temporary
 * directory "<name>.tmp.<pid>" (each file starts with a 128-byte header
 * rewritten with the final row count at the end), the small per-clip arrays
 * and the manifest lines are kept until the last clip, and then the
 * directory is renamed to <name>: a shard exists only once complete.
 * Streaming keeps the generator's memory at a few clips instead of whole
 * shards, which also keeps each synthesis fork (tts.h) cheap. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "animasync/features.h"
#include "core/internal.h"
#include "train/dataset_util.h"
#include "train/generate_internal.h"

/* Every streamed file's header takes exactly this many bytes (format 1.0
 * pads to a multiple of 64; any shape this generator writes fits in 128). */
#define HEADER_BYTES 128

enum { F_FEATURES = 0, F_COND, F_TARGETS, F_TEACHER, F_VISEMES, N_STREAMED };

static const char *const stream_names[N_STREAMED] = {"features.npy", "cond.npy", "targets.npy", "teacher.npy",
                                                     "visemes.npy"};
static const as_npy_dtype stream_types[N_STREAMED] = {AS_NPY_F4, AS_NPY_F4, AS_NPY_F4, AS_NPY_F4, AS_NPY_U1};
static const size_t stream_cols[N_STREAMED] = {AS_FEAT_DIM, AS_COND_DIM, AS_NUM_CHANNELS, AS_NUM_CHANNELS, 0};

struct as_gen_shard_writer {
    char *tmp, *final, *out_dir, *name;
    as_split split;
    size_t first_clip, n_clips, rows_written;
    FILE *f[N_STREAMED];
    size_t feat_rows, anim_rows;
    int64_t *index;  /* (n_clips, AS_CLIP_NUM_COLUMNS) */
    int8_t *labels;  /* (n_clips, 2 x AS_DATASET_MAX_TURNS) */
    double *stats;   /* (3, AS_FEAT_DIM) */
    as_ds_buf manifest;
};

void as_gen_shard_abort(as_gen_shard_writer *w)
{
    if (!w) return;
    for (int i = 0; i < N_STREAMED; i++)
        if (w->f[i]) fclose(w->f[i]);
    if (w->tmp) as_ds_remove_tree(w->tmp);
    as_free(w->tmp);
    as_free(w->final);
    as_free(w->out_dir);
    as_free(w->name);
    as_free(w->index);
    as_free(w->labels);
    as_free(w->stats);
    as_ds_buf_free(&w->manifest);
    as_free(w);
}

as_result as_gen_shard_open(as_gen_shard_writer **out, const char *out_dir, const char *name, as_split split,
                            size_t first_clip, size_t n_clips)
{
    *out = NULL;
    if (!as_npy_host_little_endian()) return as_fail(AS_ERR_UNSUPPORTED, "generate: needs a little-endian host");
    as_gen_shard_writer *w = as_calloc(1, sizeof *w);
    if (!w) return as_fail(AS_ERR_NOMEM, "out of memory");
    char tmp_name[96];
    snprintf(tmp_name, sizeof tmp_name, "%s.tmp.%ld", name, (long)getpid());
    w->tmp = as_ds_path(out_dir, tmp_name);
    w->final = as_ds_path(out_dir, name);
    w->out_dir = as_strdup(out_dir);
    w->name = as_strdup(name);
    w->index = as_calloc(n_clips * AS_CLIP_NUM_COLUMNS + 1, sizeof(int64_t));
    w->labels = as_calloc(n_clips * 2 * AS_DATASET_MAX_TURNS + 1, 1);
    w->stats = as_calloc(3 * AS_FEAT_DIM, sizeof(double));
    w->split = split;
    w->first_clip = first_clip;
    w->n_clips = n_clips;
    if (!w->tmp || !w->final || !w->out_dir || !w->name || !w->index || !w->labels || !w->stats) {
        as_gen_shard_abort(w);
        return as_fail(AS_ERR_NOMEM, "out of memory");
    }
    as_ds_remove_tree(w->tmp);
    if (mkdir(w->tmp, 0777) != 0) {
        as_result r = as_fail(AS_ERR_IO, "cannot create %s: %s", w->tmp, strerror(errno));
        as_gen_shard_abort(w);
        return r;
    }
    unsigned char blank[HEADER_BYTES];
    memset(blank, ' ', sizeof blank);
    for (int i = 0; i < N_STREAMED; i++) {
        char *path = as_ds_path(w->tmp, stream_names[i]);
        w->f[i] = path ? fopen(path, "wb") : NULL;
        int ok = w->f[i] && fwrite(blank, 1, HEADER_BYTES, w->f[i]) == HEADER_BYTES;
        if (!ok) {
            as_result r = as_fail(AS_ERR_IO, "cannot write %s: %s", path ? path : w->tmp, strerror(errno));
            as_free(path);
            as_gen_shard_abort(w);
            return r;
        }
        as_free(path);
    }
    *out = w;
    return AS_OK;
}

as_result as_gen_shard_append(as_gen_shard_writer *w, const as_gen_clip *c)
{
    if (w->rows_written >= w->n_clips) return as_fail(AS_ERR_INVALID_ARG, "%s: more clips than planned", w->tmp);
    size_t i = w->rows_written;
    int64_t *row = w->index + i * AS_CLIP_NUM_COLUMNS;
    row[AS_CLIP_INDEX] = (int64_t)(w->first_clip + i);
    row[AS_CLIP_FEAT_OFFSET] = (int64_t)w->feat_rows;
    row[AS_CLIP_FEAT_FRAMES] = (int64_t)c->n_feat;
    row[AS_CLIP_ANIM_OFFSET] = (int64_t)w->anim_rows;
    row[AS_CLIP_ANIM_FRAMES] = (int64_t)c->n_anim;
    row[AS_CLIP_SPLIT] = (int64_t)w->split;
    row[AS_CLIP_FAMILY] = (int64_t)c->family;
    row[AS_CLIP_LANG] = (int64_t)c->lang;
    memcpy(w->labels + i * 2 * AS_DATASET_MAX_TURNS, c->labels, 2 * AS_DATASET_MAX_TURNS);
    /* Feature sums for standardisation (docs/DATASET.md). */
    for (size_t k = 0; k < c->n_feat; k++)
        for (int j = 0; j < AS_FEAT_DIM; j++) {
            double v = c->features[k * AS_FEAT_DIM + j];
            w->stats[AS_FEAT_DIM + j] += v;
            w->stats[2 * AS_FEAT_DIM + j] += v * v;
        }
    const void *data[N_STREAMED] = {c->features, c->cond, c->targets, c->teacher, c->visemes};
    const size_t rows[N_STREAMED] = {c->n_feat, c->n_anim, c->n_anim, c->n_anim, c->n_anim};
    for (int s = 0; s < N_STREAMED; s++) {
        size_t bytes = rows[s] * (stream_cols[s] ? stream_cols[s] : 1) * as_npy_itemsize(stream_types[s]);
        if (bytes && fwrite(data[s], 1, bytes, w->f[s]) != bytes)
            return as_fail(AS_ERR_IO, "%s/%s: write failed: %s", w->tmp, stream_names[s], strerror(errno));
    }
    as_ds_buf_put(&w->manifest, c->manifest, strlen(c->manifest));
    if (w->manifest.oom) return as_fail(AS_ERR_NOMEM, "out of memory");
    w->feat_rows += c->n_feat;
    w->anim_rows += c->n_anim;
    w->rows_written++;
    return AS_OK;
}

as_result as_gen_shard_finish(as_gen_shard_writer *w)
{
    as_result r = AS_OK;
    if (w->rows_written != w->n_clips) {
        r = as_fail(AS_ERR_INVALID_ARG, "%s: %zu of %zu clips", w->tmp, w->rows_written, w->n_clips);
        goto fail;
    }
    for (int i = 0; i < AS_FEAT_DIM; i++) w->stats[i] = (double)w->feat_rows;
    /* The streamed files get their real headers. */
    for (int s = 0; s < N_STREAMED; s++) {
        unsigned char head[256];
        size_t rows = s == F_FEATURES ? w->feat_rows : w->anim_rows;
        size_t hl = as_npy_header(head, stream_types[s], rows, stream_cols[s]);
        int ok = hl == HEADER_BYTES && fseek(w->f[s], 0, SEEK_SET) == 0 && fwrite(head, 1, hl, w->f[s]) == hl;
        if (fclose(w->f[s]) != 0) ok = 0;
        w->f[s] = NULL;
        if (!ok) {
            r = as_fail(AS_ERR_IO, "%s/%s: write failed", w->tmp, stream_names[s]);
            goto fail;
        }
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/clips.npy", w->tmp);
    if ((r = as_npy_write(path, AS_NPY_I8, w->n_clips, AS_CLIP_NUM_COLUMNS, w->index)) != AS_OK) goto fail;
    snprintf(path, sizeof path, "%s/labels.npy", w->tmp);
    if ((r = as_npy_write(path, AS_NPY_I1, w->n_clips, 2 * AS_DATASET_MAX_TURNS, w->labels)) != AS_OK) goto fail;
    snprintf(path, sizeof path, "%s/stats.npy", w->tmp);
    if ((r = as_npy_write(path, AS_NPY_F8, 3, AS_FEAT_DIM, w->stats)) != AS_OK) goto fail;
    snprintf(path, sizeof path, "%s/manifest.jsonl", w->tmp);
    FILE *f = fopen(path, "wb");
    int ok = f && (w->manifest.len == 0 || fwrite(w->manifest.buf, 1, w->manifest.len, f) == w->manifest.len);
    if (f && fclose(f) != 0) ok = 0;
    if (!ok) {
        r = as_fail(AS_ERR_IO, "%s: write failed", path);
        goto fail;
    }
    /* One rename makes the shard exist. */
    if (rename(w->tmp, w->final) != 0) {
        struct stat st;
        if ((errno == ENOTEMPTY || errno == EEXIST) && stat(w->final, &st) == 0 && S_ISDIR(st.st_mode)) {
            /* Another process (another --shard run on the same slice) finished
             * it first; it holds the same bytes. Ours goes. */
        } else {
            r = as_fail(AS_ERR_IO, "cannot rename %s to %s: %s", w->tmp, w->final, strerror(errno));
            goto fail;
        }
    } else {
        as_free(w->tmp); /* renamed: nothing left to remove */
        w->tmp = NULL;
    }
fail:
    as_gen_shard_abort(w);
    return r;
}
