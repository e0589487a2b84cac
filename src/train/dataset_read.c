/* train/dataset_read.c — reading a generated dataset: meta.json (format,
 * version, the shard plan) and one shard at a time, every file checked for
 * dtype, shape and a consistent clip index before anyone trusts an offset.
 * The trainer (`animasync train`) and `animasync check-dataset` read
 * through here. */
#define _POSIX_C_SOURCE 200809L
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "animasync/dataset.h"
#include "animasync/features.h"
#include "core/internal.h"
#include "train/dataset_util.h"

/* The most clips `animasync generate` makes (its --clips range): bounds a
 * shard's first_clip and clips before they are converted to size_t. */
#define MAX_CLIPS 100000000.0

struct as_dataset {
    char *dir;
    as_dataset_shard_info *shards;
    size_t n_shards;
    int8_t family_split[AS_DATASET_MAX_FAMILIES]; /* meta.json voice_families; -1 = not given */
};

as_dataset *as_dataset_open(const char *dir)
{
    if (!dir) {
        as_set_error("as_dataset_open: NULL directory");
        return NULL;
    }
    char *path = as_ds_path(dir, "meta.json"), *text = NULL;
    size_t len;
    as_dataset *ds = NULL;
    cJSON *meta = NULL;
    if (!path) goto oom;
    if (as_read_file(path, &text, &len) != AS_OK) {
        as_set_error("%s: cannot read (is %s a dataset made by `animasync generate`?)", path, dir);
        goto fail;
    }
    meta = cJSON_Parse(text);
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(meta, "format");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(meta, "version");
    if (!meta || !cJSON_IsString(fmt) || strcmp(fmt->valuestring, "animasync-dataset") != 0) {
        as_set_error("%s: not an animasync dataset (\"format\" is not \"animasync-dataset\")", path);
        goto fail;
    }
    if (!cJSON_IsNumber(ver) || ver->valueint != AS_DATASET_VERSION) {
        as_set_error("%s: dataset version %d, this build reads version %d; make it again with this build's "
                     "`animasync generate`",
                     path, cJSON_IsNumber(ver) ? ver->valueint : -1, AS_DATASET_VERSION);
        goto fail;
    }
    const cJSON *shards = cJSON_GetObjectItemCaseSensitive(meta, "shards");
    if (!cJSON_IsArray(shards)) {
        as_set_error("%s: \"shards\" missing", path);
        goto fail;
    }
    ds = as_calloc(1, sizeof *ds);
    if (!ds) goto oom;
    ds->dir = as_strdup(dir);
    ds->n_shards = (size_t)cJSON_GetArraySize(shards);
    /* The voice split the data were made with (it changed once: flite awb
     * moved from validation to training). */
    memset(ds->family_split, -1, sizeof ds->family_split);
    const cJSON *vf, *fams = cJSON_GetObjectItemCaseSensitive(meta, "voice_families");
    cJSON_ArrayForEach(vf, fams)
    {
        const cJSON *idx = cJSON_GetObjectItemCaseSensitive(vf, "index");
        const cJSON *fsp = cJSON_GetObjectItemCaseSensitive(vf, "split");
        int sp = cJSON_IsString(fsp) ? as_split_find(fsp->valuestring) : -1;
        if (cJSON_IsNumber(idx) && idx->valuedouble >= 0 && idx->valuedouble < AS_DATASET_MAX_FAMILIES && sp >= 0 &&
            sp < AS_NUM_SPLITS)
            ds->family_split[(int)idx->valuedouble] = (int8_t)sp;
    }
    ds->shards = as_calloc(ds->n_shards + 1, sizeof *ds->shards);
    if (!ds->dir || !ds->shards) goto oom;
    size_t k = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, shards)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(s, "name");
        const cJSON *split = cJSON_GetObjectItemCaseSensitive(s, "split");
        const cJSON *first = cJSON_GetObjectItemCaseSensitive(s, "first_clip");
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(s, "clips");
        int sp = cJSON_IsString(split) ? as_split_find(split->valuestring) : -1;
        if (!cJSON_IsString(name) || strlen(name->valuestring) >= sizeof ds->shards[k].name ||
            strchr(name->valuestring, '/') || !name->valuestring[0] || !strcmp(name->valuestring, ".") ||
            !strcmp(name->valuestring, "..") || sp < 0 || sp >= AS_NUM_SPLITS || !cJSON_IsNumber(first) ||
            !cJSON_IsNumber(n) || !(first->valuedouble >= 0 && first->valuedouble <= MAX_CLIPS) ||
            !(n->valuedouble >= 0 && n->valuedouble <= MAX_CLIPS)) {
            as_set_error("%s: shards[%zu]: malformed entry", path, k);
            goto fail;
        }
        as_dataset_shard_info *info = &ds->shards[k];
        snprintf(info->name, sizeof info->name, "%s", name->valuestring);
        info->split = (as_split)sp;
        info->first_clip = (size_t)first->valuedouble;
        info->n_clips = (size_t)n->valuedouble;
        char *sd = as_ds_path(dir, info->name);
        struct stat st;
        info->present = sd && stat(sd, &st) == 0 && S_ISDIR(st.st_mode);
        as_free(sd);
        k++;
    }
    cJSON_Delete(meta);
    as_free(text);
    as_free(path);
    return ds;
oom:
    as_set_error("as_dataset_open: out of memory");
fail:
    cJSON_Delete(meta);
    as_free(text);
    as_free(path);
    as_dataset_close(ds);
    return NULL;
}

void as_dataset_close(as_dataset *ds)
{
    if (!ds) return;
    as_free(ds->dir);
    as_free(ds->shards);
    as_free(ds);
}

size_t as_dataset_shard_count(const as_dataset *ds) { return ds ? ds->n_shards : 0; }

as_split as_dataset_family_split(const as_dataset *ds, int family)
{
    if (ds && family >= 0 && family < AS_DATASET_MAX_FAMILIES && ds->family_split[family] >= 0)
        return (as_split)ds->family_split[family];
    size_t nf;
    const as_voice_family *fam = as_voice_families(&nf);
    return family >= 0 && (size_t)family < nf ? fam[family].split : AS_SPLIT_NONE;
}

const as_dataset_shard_info *as_dataset_shard_at(const as_dataset *ds, size_t i)
{
    return ds && i < ds->n_shards ? &ds->shards[i] : NULL;
}

void as_dataset_shard_clear(as_dataset_shard *s)
{
    if (!s) return;
    as_free(s->clips);
    as_free(s->labels);
    as_free(s->features);
    as_free(s->cond);
    as_free(s->targets);
    as_free(s->teacher);
    as_free(s->visemes);
    as_free(s->stats);
    memset(s, 0, sizeof *s);
}

static as_result load_array(const char *dir, const char *file, as_npy_dtype t, size_t cols, size_t want_rows,
                            void **data)
{
    char *path = as_ds_path(dir, file);
    if (!path) return as_fail(AS_ERR_NOMEM, "out of memory");
    size_t rows, got_cols;
    as_result r = as_npy_read(path, t, cols, &rows, &got_cols, data);
    if (r == AS_OK && cols == 0 && got_cols != 0)
        r = as_fail(AS_ERR_PARSE, "%s: 2-D, expected a 1-D array", path);
    if (r == AS_OK && rows != want_rows)
        r = as_fail(AS_ERR_PARSE, "%s: %zu rows, the clip index says %zu", path, rows, want_rows);
    if (r != AS_OK) {
        as_free(*data);
        *data = NULL;
    }
    as_free(path);
    return r;
}

as_result as_dataset_shard_load(const as_dataset *ds, size_t i, as_dataset_shard *out)
{
    if (!ds || !out) return as_fail(AS_ERR_INVALID_ARG, "as_dataset_shard_load: NULL argument");
    memset(out, 0, sizeof *out);
    if (i >= ds->n_shards) return as_fail(AS_ERR_RANGE, "shard %zu of %zu", i, ds->n_shards);
    const as_dataset_shard_info *info = &ds->shards[i];
    char *dir = as_ds_path(ds->dir, info->name), *cpath = NULL;
    if (!dir) return as_fail(AS_ERR_NOMEM, "out of memory");
    as_result r;
    size_t rows, cols;
    void *data = NULL;
    cpath = as_ds_path(dir, "clips.npy");
    if (!cpath) { r = as_fail(AS_ERR_NOMEM, "out of memory"); goto done; }
    r = as_npy_read(cpath, AS_NPY_I8, AS_CLIP_NUM_COLUMNS, &rows, &cols, &data);
    if (r != AS_OK) goto done;
    out->clips = data;
    out->n_clips = rows;
    if (rows != info->n_clips) {
        r = as_fail(AS_ERR_PARSE, "%s: %zu clips, meta.json plans %zu", cpath, rows, info->n_clips);
        goto done;
    }
    /* The index: contiguous offsets, clip numbers in order, the shard's split. */
    size_t feat = 0, anim = 0;
    size_t nf;
    as_voice_families(&nf);
    for (size_t c = 0; c < rows; c++) {
        const int64_t *row = out->clips + c * AS_CLIP_NUM_COLUMNS;
        if (row[AS_CLIP_INDEX] != (int64_t)(info->first_clip + c) || row[AS_CLIP_FEAT_OFFSET] != (int64_t)feat ||
            row[AS_CLIP_ANIM_OFFSET] != (int64_t)anim || row[AS_CLIP_FEAT_FRAMES] < 0 ||
            row[AS_CLIP_ANIM_FRAMES] < 0 || row[AS_CLIP_FEAT_FRAMES] > 100000000 ||
            row[AS_CLIP_ANIM_FRAMES] > 100000000 || row[AS_CLIP_SPLIT] != (int64_t)info->split ||
            row[AS_CLIP_FAMILY] < 0 || row[AS_CLIP_FAMILY] >= (int64_t)nf || row[AS_CLIP_LANG] < 0 ||
            row[AS_CLIP_LANG] >= AS_NUM_LANGS) {
            r = as_fail(AS_ERR_PARSE, "%s: row %zu: inconsistent clip index", cpath, c);
            goto done;
        }
        feat += (size_t)row[AS_CLIP_FEAT_FRAMES];
        anim += (size_t)row[AS_CLIP_ANIM_FRAMES];
    }
    out->n_feat = feat;
    out->n_anim = anim;
    if ((r = load_array(dir, "labels.npy", AS_NPY_I1, 2 * AS_DATASET_MAX_TURNS, rows, &data)) != AS_OK) goto done;
    out->labels = data;
    if ((r = load_array(dir, "features.npy", AS_NPY_F4, AS_FEAT_DIM, feat, &data)) != AS_OK) goto done;
    out->features = data;
    if ((r = load_array(dir, "cond.npy", AS_NPY_F4, AS_COND_DIM, anim, &data)) != AS_OK) goto done;
    out->cond = data;
    if ((r = load_array(dir, "targets.npy", AS_NPY_F4, AS_NUM_CHANNELS, anim, &data)) != AS_OK) goto done;
    out->targets = data;
    if ((r = load_array(dir, "teacher.npy", AS_NPY_F4, AS_NUM_CHANNELS, anim, &data)) != AS_OK) goto done;
    out->teacher = data;
    if ((r = load_array(dir, "visemes.npy", AS_NPY_U1, 0, anim, &data)) != AS_OK) goto done;
    out->visemes = data;
    if ((r = load_array(dir, "stats.npy", AS_NPY_F8, AS_FEAT_DIM, 3, &data)) != AS_OK) goto done;
    out->stats = data;
done:
    if (r != AS_OK) as_dataset_shard_clear(out);
    as_free(cpath);
    as_free(dir);
    return r;
}

as_result as_dataset_shard_clip(const as_dataset_shard *s, size_t row, as_dataset_clip *out)
{
    if (!s || !out) return as_fail(AS_ERR_INVALID_ARG, "as_dataset_shard_clip: NULL argument");
    if (row >= s->n_clips) return as_fail(AS_ERR_RANGE, "clip row %zu of %zu", row, s->n_clips);
    const int64_t *c = s->clips + row * AS_CLIP_NUM_COLUMNS;
    size_t fo = (size_t)c[AS_CLIP_FEAT_OFFSET], ao = (size_t)c[AS_CLIP_ANIM_OFFSET];
    out->index = (size_t)c[AS_CLIP_INDEX];
    out->split = (as_split)c[AS_CLIP_SPLIT];
    out->family = (int)c[AS_CLIP_FAMILY];
    out->lang = (as_lang)c[AS_CLIP_LANG];
    out->n_feat = (size_t)c[AS_CLIP_FEAT_FRAMES];
    out->features = s->features + fo * AS_FEAT_DIM;
    out->n_anim = (size_t)c[AS_CLIP_ANIM_FRAMES];
    out->cond = s->cond + ao * AS_COND_DIM;
    out->targets = s->targets + ao * AS_NUM_CHANNELS;
    out->teacher = s->teacher + ao * AS_NUM_CHANNELS;
    out->visemes = s->visemes + ao;
    out->labels = s->labels + row * 2 * AS_DATASET_MAX_TURNS;
    return AS_OK;
}
