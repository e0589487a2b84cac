/* fuzz/fuzz_dataset.c — libFuzzer harness for the readers of a generated
 * dataset (docs/DATASET.md): the .npy reader (as_npy_read), meta.json
 * (as_dataset_open), the shard loader (as_dataset_shard_load, then
 * as_dataset_shard_clip over every row) and manifest.jsonl (read by
 * as_dataset_check). They read files from disk, so the input is written out
 * as a dataset directory in a private temporary directory:
 *
 *     meta.json SEP manifest.jsonl SEP clips.npy SEP labels.npy SEP
 *     features.npy SEP cond.npy SEP targets.npy SEP teacher.npy SEP
 *     visemes.npy SEP stats.npy
 *
 * with SEP = "\n--8<--\n"; the .npy files go into train-00000/ (always
 * present, so a meta.json naming it has a finished shard); a file whose
 * section is missing is absent. Every call must succeed or fail with an
 * error code and a non-empty as_last_error(); what a reader accepts must be
 * as large as it says (every byte is read back); nothing leaks.
 * Build, seeds and run: see fuzz/README.md. */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "animasync/dataset.h"
#include "animasync/features.h"
#include "core/internal.h"
#include "train/dataset_util.h"

#define SEP "\n--8<--\n"
#define SHARD "train-00000"

typedef struct {
    const char *name;   /* path under the dataset directory */
    int npy;            /* 1 for a shard array */
    as_npy_dtype dtype; /* what the shard loader reads it as */
} section;

static const section sections[] = {
    {"meta.json", 0, AS_NPY_F4},
    {"manifest.jsonl", 0, AS_NPY_F4},
    {SHARD "/clips.npy", 1, AS_NPY_I8},
    {SHARD "/labels.npy", 1, AS_NPY_I1},
    {SHARD "/features.npy", 1, AS_NPY_F4},
    {SHARD "/cond.npy", 1, AS_NPY_F4},
    {SHARD "/targets.npy", 1, AS_NPY_F4},
    {SHARD "/teacher.npy", 1, AS_NPY_F4},
    {SHARD "/visemes.npy", 1, AS_NPY_U1},
    {SHARD "/stats.npy", 1, AS_NPY_F8},
};
#define NUM_SECTIONS (sizeof sections / sizeof sections[0])

static char tmp_dir[64];

static void remove_tmp_dir(void)
{
    char p[128];
    for (size_t i = 0; i < NUM_SECTIONS; i++) {
        snprintf(p, sizeof p, "%s/%s", tmp_dir, sections[i].name);
        unlink(p);
    }
    snprintf(p, sizeof p, "%s/" SHARD, tmp_dir);
    rmdir(p);
    rmdir(tmp_dir);
}

static void make_tmp_dir(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/fuzz_dataset.XXXXXX", base && strlen(base) < 32 ? base : "/tmp");
    char shard[128];
    if (!mkdtemp(tmp_dir)) abort();
    snprintf(shard, sizeof shard, "%s/" SHARD, tmp_dir);
    if (mkdir(shard, 0700) != 0) abort();
    atexit(remove_tmp_dir);
}

/* Clears the thread's last error, so a failure that records none is seen. */
static void clear_error(void) { as_set_error("%s", ""); }

/* A failed call must have said why. */
static void check_failure(as_result r)
{
    if (r == AS_OK) abort();
    const char *msg = as_last_error();
    if (!msg || !msg[0]) abort();
}

/* Reads every byte a reader claims to have loaded (ASan checks the bounds;
 * the sum keeps the loads). */
static volatile unsigned char sink;
static void touch(const void *p, size_t bytes)
{
    const unsigned char *b = p;
    unsigned char s = 0;
    for (size_t i = 0; i < bytes; i++) s ^= b[i];
    sink ^= s;
}

/* The .npy reader on its own, with the dtype the loader expects and any
 * shape (the shard loader stops at the first bad file; this reads each). */
static void fuzz_npy(const char *path, as_npy_dtype t)
{
    size_t rows = 7, cols = 7;
    void *data = (void *)1;
    clear_error();
    as_result r = as_npy_read(path, t, 0, &rows, &cols, &data);
    if (r != AS_OK) {
        check_failure(r);
        if (data || rows || cols) abort();
        return;
    }
    /* An accepted shape must have a byte count that does not wrap. */
    size_t count = rows * (cols ? cols : 1);
    if (!data || (cols && count / cols != rows) || count > SIZE_MAX / as_npy_itemsize(t)) abort();
    touch(data, count * as_npy_itemsize(t));
    as_free(data);
}

/* One loaded clip: its arrays are exactly as long as its frame counts say. */
static void touch_clip(const as_dataset_shard *sh, size_t row)
{
    as_dataset_clip c;
    clear_error();
    if (as_dataset_shard_clip(sh, row, &c) != AS_OK) abort(); /* row < n_clips cannot fail */
    if (c.features < sh->features || c.features + c.n_feat * AS_FEAT_DIM > sh->features + sh->n_feat * AS_FEAT_DIM)
        abort();
    if (c.cond < sh->cond || c.cond + c.n_anim * AS_COND_DIM > sh->cond + sh->n_anim * AS_COND_DIM) abort();
    touch(c.features, c.n_feat * AS_FEAT_DIM * sizeof(float));
    touch(c.cond, c.n_anim * AS_COND_DIM * sizeof(float));
    touch(c.targets, c.n_anim * AS_NUM_CHANNELS * sizeof(float));
    touch(c.teacher, c.n_anim * AS_NUM_CHANNELS * sizeof(float));
    touch(c.visemes, c.n_anim);
    touch(c.labels, 2 * AS_DATASET_MAX_TURNS);
    if (c.split < 0 || c.split >= AS_NUM_SPLITS || c.lang < 0 || c.lang >= AS_NUM_LANGS) abort();
    size_t nf;
    as_voice_families(&nf);
    if (c.family < 0 || (size_t)c.family >= nf) abort();
}

static void fuzz_dataset(void)
{
    clear_error();
    as_dataset *ds = as_dataset_open(tmp_dir);
    if (!ds) {
        check_failure(AS_ERR_PARSE);
        return;
    }
    size_t n = as_dataset_shard_count(ds);
    for (size_t s = 0; s < n; s++) {
        const as_dataset_shard_info *info = as_dataset_shard_at(ds, s);
        if (!info || info->split < 0 || info->split >= AS_NUM_SPLITS) abort();
        if (!info->present) continue;
        as_dataset_shard sh;
        clear_error();
        as_result r = as_dataset_shard_load(ds, s, &sh);
        if (r != AS_OK) {
            check_failure(r);
            if (sh.clips || sh.labels || sh.features || sh.cond || sh.targets || sh.teacher || sh.visemes ||
                sh.stats || sh.n_clips || sh.n_feat || sh.n_anim)
                abort(); /* a failed load leaves nothing behind */
            continue;
        }
        if (sh.n_clips != info->n_clips || !sh.clips || !sh.labels || !sh.features || !sh.cond || !sh.targets ||
            !sh.teacher || !sh.visemes || !sh.stats)
            abort();
        touch(sh.stats, 3 * AS_FEAT_DIM * sizeof(double));
        for (size_t row = 0; row < sh.n_clips; row++) touch_clip(&sh, row);
        as_dataset_shard_clear(&sh);
    }
    as_dataset_close(ds);
}

/* as_dataset_check: reads it all again, plus manifest.jsonl. */
static void fuzz_check(void)
{
    as_dataset_report *rep = malloc(sizeof *rep);
    if (!rep) abort();
    clear_error();
    as_result r = as_dataset_check(tmp_dir, rep);
    if (r != AS_OK) check_failure(r);
    free(rep);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!tmp_dir[0]) make_tmp_dir();
    const uint8_t *p = data, *end = data + size;
    for (size_t i = 0; i < NUM_SECTIONS; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/%s", tmp_dir, sections[i].name);
        if (!p) {
            unlink(path);
            continue;
        }
        const uint8_t *sep = memmem(p, (size_t)(end - p), SEP, sizeof SEP - 1);
        size_t len = sep ? (size_t)(sep - p) : (size_t)(end - p);
        FILE *f = fopen(path, "wb");
        if (!f || (len && fwrite(p, 1, len, f) != len) || fclose(f) != 0) abort();
        p = sep ? sep + sizeof SEP - 1 : NULL;
    }
    for (size_t i = 0; i < NUM_SECTIONS; i++) {
        if (!sections[i].npy) continue;
        char path[128];
        snprintf(path, sizeof path, "%s/%s", tmp_dir, sections[i].name);
        fuzz_npy(path, sections[i].dtype);
    }
    fuzz_dataset();
    fuzz_check();
    return 0;
}
