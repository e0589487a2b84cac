/* train/generate.c — a generator run: plans the dataset (clips per split,
 * shards), records it in meta.json, skips the shards already finished, makes
 * the others with worker threads, writes each shard as a directory of .npy
 * files under a temporary name and renames it when complete, and rebuilds
 * manifest.jsonl from the finished shards.
 *
 * Work is handed out clip by clip in dataset order, so every worker stays
 * busy even when one shard is left, and a shard is written by the worker
 * that finishes its last clip. Each clip depends only on its own seed
 * (as_gen_clip_seed), never on which worker made it or when: the output is
 * byte-identical for any --jobs and any --shard slicing. Threads, not worker
 * processes: every synthesis already runs in its own forked process
 * (tts.h), and threads share the compiler, the corpus and the shard buffers
 * for free. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "animasync/dataset.h"
#include "animasync/features.h"
#include "animasync/lipsync.h"
#include "core/internal.h"
#include "train/dataset_util.h"
#include "train/generate_internal.h"

as_generate_params as_generate_default_params(void)
{
    as_generate_params p;
    memset(&p, 0, sizeof p);
    p.clips = 1000;
    p.shard_clips = 256;
    p.validation_fraction = 0.05f;
    p.test_fraction = 0.05f;
    p.seed = 1;
    p.jobs = 1;
    p.shard_k = 1;
    p.shard_n = 1;
    p.max_turns = 3;
    p.max_text_bytes = 300;
    p.rate_min = 0.8f;
    p.rate_max = 1.25f;
    p.pitch_min = 0.8f;
    p.pitch_max = 1.25f;
    p.volume_min = 0.6f;
    p.volume_max = 1.2f;
    p.style = as_style_default_params();
    p.augment = as_augment_default_params();
    return p;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- parameters ---------------------------------------------------------------- */

static as_result range_f(const char *name, float lo, float hi, float min, float max)
{
    if (!(lo >= min && hi <= max && lo <= hi))
        return as_fail(AS_ERR_RANGE, "generate: %s %g..%g outside %g..%g (or min above max)", name, (double)lo,
                       (double)hi, (double)min, (double)max);
    return AS_OK;
}

static as_result check_params(const as_generate_params *p)
{
    as_result r;
    if (!p->scenarios || !*p->scenarios) return as_fail(AS_ERR_INVALID_ARG, "generate: no scenarios path given");
    if (!p->out_dir || !*p->out_dir) return as_fail(AS_ERR_INVALID_ARG, "generate: no output directory given");
    if (p->clips < 1 || p->clips > 100000000)
        return as_fail(AS_ERR_RANGE, "generate: clips %zu outside 1..100000000", p->clips);
    if (p->shard_clips < 1 || p->shard_clips > 100000)
        return as_fail(AS_ERR_RANGE, "generate: shard size %zu outside 1..100000", p->shard_clips);
    if ((r = range_f("validation fraction", p->validation_fraction, p->validation_fraction, 0, 0.5f)) != AS_OK) return r;
    if ((r = range_f("test fraction", p->test_fraction, p->test_fraction, 0, 0.5f)) != AS_OK) return r;
    if (p->jobs < 1 || p->jobs > 64) return as_fail(AS_ERR_RANGE, "generate: jobs %d outside 1..64", p->jobs);
    if (p->shard_n < 1 || p->shard_n > 100000 || p->shard_k < 1 || p->shard_k > p->shard_n)
        return as_fail(AS_ERR_RANGE, "generate: shard %d/%d: need 1 <= K <= N <= 100000", p->shard_k, p->shard_n);
    if (p->max_turns < 1 || p->max_turns > AS_DATASET_MAX_TURNS)
        return as_fail(AS_ERR_RANGE, "generate: max turns %d outside 1..%d", p->max_turns, AS_DATASET_MAX_TURNS);
    if (p->max_text_bytes < 16 || p->max_text_bytes > 4096)
        return as_fail(AS_ERR_RANGE, "generate: max text bytes %zu outside 16..4096", p->max_text_bytes);
    if ((r = range_f("rate", p->rate_min, p->rate_max, 0.5f, 2.0f)) != AS_OK) return r;
    if ((r = range_f("pitch", p->pitch_min, p->pitch_max, 0.5f, 2.0f)) != AS_OK) return r;
    if ((r = range_f("volume", p->volume_min, p->volume_max, 0.1f, 2.0f)) != AS_OK) return r;
    const as_style_params *s = &p->style;
    if ((r = range_f("style gain", s->gain_min, s->gain_max, 0, 2)) != AS_OK) return r;
    if ((r = range_f("style channel spread", s->channel_spread, s->channel_spread, 0, 0.5f)) != AS_OK) return r;
    if ((r = range_f("style asymmetry spread", s->asym_spread, s->asym_spread, 0, 0.2f)) != AS_OK) return r;
    if (s->gain_beta < 1 || s->gain_beta > 20 || s->channel_beta < 1 || s->channel_beta > 20)
        return as_fail(AS_ERR_RANGE, "generate: style Beta parameters %d, %d outside 1..20", s->gain_beta,
                       s->channel_beta);
    as_augment_choice tmp;
    return as_augment_draw(&p->augment, 1, &tmp);
}

/* ---- the plan ----------------------------------------------------------------- */

typedef struct {
    char name[32];
    as_split split;
    size_t first_clip;   /* clip number in the dataset */
    size_t split_first;  /* number within the split */
    size_t n_clips;
} shard_plan;

static size_t plan_shards(const as_generate_params *p, size_t split_clips[AS_NUM_SPLITS], shard_plan *out)
{
    split_clips[AS_SPLIT_VALIDATION] = (size_t)llround((double)p->clips * p->validation_fraction);
    split_clips[AS_SPLIT_TEST] = (size_t)llround((double)p->clips * p->test_fraction);
    if (split_clips[AS_SPLIT_VALIDATION] + split_clips[AS_SPLIT_TEST] > p->clips)
        split_clips[AS_SPLIT_TEST] = p->clips - split_clips[AS_SPLIT_VALIDATION];
    split_clips[AS_SPLIT_TRAIN] = p->clips - split_clips[AS_SPLIT_VALIDATION] - split_clips[AS_SPLIT_TEST];
    size_t n = 0, clip = 0;
    for (int s = 0; s < AS_NUM_SPLITS; s++)
        for (size_t k = 0; k * p->shard_clips < split_clips[s]; k++) {
            if (out) {
                shard_plan *sp = &out[n];
                snprintf(sp->name, sizeof sp->name, "%s-%05zu", as_split_name((as_split)s), k);
                sp->split = (as_split)s;
                sp->first_clip = clip;
                sp->split_first = k * p->shard_clips;
                sp->n_clips = split_clips[s] - sp->split_first < p->shard_clips ? split_clips[s] - sp->split_first
                                                                                : p->shard_clips;
                clip += sp->n_clips;
            }
            n++;
        }
    return n;
}

/* FNV-1a 64 over the corpus content the clips depend on, so a run resumed
 * over a changed corpus is refused rather than mixing two corpora. */
static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001B3ull;
    return h;
}

static uint64_t corpus_hash(const as_corpus *c)
{
    uint64_t h = 0xCBF29CE484222325ull;
    for (size_t i = 0; i < as_corpus_scenario_count(c); i++) {
        const as_corpus_scenario *s = as_corpus_scenario_at(c, i);
        h = fnv(h, s->id, strlen(s->id) + 1);
        int v[2] = {(int)s->lang, (int)s->split};
        h = fnv(h, v, sizeof v);
    }
    for (size_t i = 0; i < as_corpus_turn_count(c); i++) {
        const as_corpus_turn *t = as_corpus_turn_at(c, i);
        h = fnv(h, t->text, strlen(t->text) + 1);
        int v[4] = {(int)t->speaker, (int)t->emotion, t->level, t->has_vad};
        float vad[3] = {t->vad.v, t->vad.a, t->vad.d};
        h = fnv(h, v, sizeof v);
        h = fnv(h, vad, sizeof vad);
        size_t sc = t->scenario;
        h = fnv(h, &sc, sizeof sc);
    }
    return h;
}

static void put_range(as_ds_buf *b, const char *name, float lo, float hi)
{
    as_ds_buf_printf(b, ", \"%s\": [", name);
    as_ds_buf_float(b, lo);
    as_ds_buf_lit(b, ", ");
    as_ds_buf_float(b, hi);
    as_ds_buf_lit(b, "]");
}

static void put_num(as_ds_buf *b, const char *name, float x)
{
    as_ds_buf_printf(b, ", \"%s\": ", name);
    as_ds_buf_float(b, x);
}

/* The settings the shards depend on, as one JSON object (fixed order). */
static void config_json(as_ds_buf *b, const as_generate_params *p, const as_corpus *corpus)
{
    as_ds_buf_printf(b, "{\"dataset_version\": %d, \"library_version\": \"%s\", \"corpus_hash\": \"%016llx\"",
                     AS_DATASET_VERSION, as_version(), (unsigned long long)corpus_hash(corpus));
    as_ds_buf_printf(b, ", \"corpus_scenarios\": %zu, \"corpus_turns\": %zu", as_corpus_scenario_count(corpus),
                     as_corpus_turn_count(corpus));
    as_ds_buf_printf(b, ", \"clips\": %zu, \"shard_clips\": %zu", p->clips, p->shard_clips);
    put_num(b, "validation_fraction", p->validation_fraction);
    put_num(b, "test_fraction", p->test_fraction);
    as_ds_buf_printf(b, ", \"seed\": %llu, \"max_turns\": %d, \"max_text_bytes\": %zu", (unsigned long long)p->seed,
                     p->max_turns, p->max_text_bytes);
    put_range(b, "rate", p->rate_min, p->rate_max);
    put_range(b, "pitch", p->pitch_min, p->pitch_max);
    put_range(b, "volume", p->volume_min, p->volume_max);
    const as_style_params *s = &p->style;
    as_ds_buf_lit(b, ", \"style\": {\"gain\": [");
    as_ds_buf_float(b, s->gain_min);
    as_ds_buf_lit(b, ", ");
    as_ds_buf_float(b, s->gain_max);
    as_ds_buf_printf(b, "], \"gain_beta\": %d", s->gain_beta);
    put_num(b, "channel_spread", s->channel_spread);
    as_ds_buf_printf(b, ", \"channel_beta\": %d", s->channel_beta);
    put_num(b, "asym_spread", s->asym_spread);
    const as_augment_params *a = &p->augment;
    as_ds_buf_lit(b, "}, \"augment\": {\"reverb_prob\": ");
    as_ds_buf_float(b, a->reverb_prob);
    put_range(b, "rt60_s", a->rt60_s_min, a->rt60_s_max);
    put_range(b, "drr_db", a->drr_db_min, a->drr_db_max);
    put_num(b, "noise_prob", a->noise_prob);
    put_range(b, "snr_db", a->snr_db_min, a->snr_db_max);
    put_num(b, "bandlimit_prob", a->bandlimit_prob);
    put_range(b, "highpass_hz", a->highpass_hz_min, a->highpass_hz_max);
    put_range(b, "lowpass_hz", a->lowpass_hz_min, a->lowpass_hz_max);
    put_range(b, "gain_db", a->gain_db_min, a->gain_db_max);
    as_ds_buf_lit(b, "}}");
}

static void put_str_list(as_ds_buf *b, const char *const *names, size_t n)
{
    as_ds_buf_lit(b, "[");
    for (size_t i = 0; i < n; i++) {
        if (i) as_ds_buf_lit(b, ", ");
        as_ds_buf_json_str(b, names[i]);
    }
    as_ds_buf_lit(b, "]");
}

static void meta_json(as_ds_buf *b, const as_generate_params *p, const char *config, uint64_t config_hash,
                      const size_t split_clips[AS_NUM_SPLITS], const shard_plan *plan, size_t n_plan)
{
    as_ds_buf_printf(b, "{\n\"format\": \"animasync-dataset\",\n\"version\": %d,\n\"library_version\": \"%s\",\n",
                     AS_DATASET_VERSION, as_version());
    as_ds_buf_lit(b, "\"command\": ");
    as_ds_buf_json_str(b, p->command_line ? p->command_line : "");
    as_ds_buf_printf(b, ",\n\"config_hash\": \"%016llx\",\n\"config\": %s,\n", (unsigned long long)config_hash, config);
    /* Timing: what a reader needs to line feature frames up with animation frames. */
    as_ds_buf_printf(b,
                     "\"timing\": {\"features_hz\": %d, \"feature_hop_s\": 0.01, \"feature_window_s\": 0.025, "
                     "\"feature_frame_centre_s\": \"0.0125 + 0.01 k\", \"feature_lookahead_s\": 0.04, "
                     "\"anim_fps\": 30, \"anim_frame_time_s\": \"i / 30\", "
                     "\"feature_frame_of_anim_frame\": \"max(0, floor(10 i / 3 - 0.75))\"},\n",
                     AS_FEAT_FPS);
    as_ds_buf_printf(b, "\"dims\": {\"features\": %d, \"cond\": %d, \"targets\": %d, \"max_turns\": %d},\n",
                     AS_FEAT_DIM, AS_COND_DIM, AS_NUM_CHANNELS, AS_DATASET_MAX_TURNS);
    static const char arrays[] =
        "\"arrays\": {"
        "\"features.npy\": \"<f4 (F, 141): audio features of the augmented speech at 100 Hz\", "
        "\"cond.npy\": \"<f4 (A, 19): conditioning at 30 fps (16 class weights, V, A, D)\", "
        "\"targets.npy\": \"<f4 (A, 52): merged face at 30 fps, no motion layer\", "
        "\"teacher.npy\": \"<f4 (A, 52): lip-sync teacher alone at 30 fps\", "
        "\"visemes.npy\": \"|u1 (A,): viseme at each animation frame (0 silence, 255 unknown)\", "
        "\"clips.npy\": \"<i8 (n, 8): see clip_columns\", "
        "\"labels.npy\": \"|i1 (n, 6): see label_columns, -1 = no turn\", "
        "\"stats.npy\": \"<f8 (3, 141): feature frame count, sum, sum of squares\", "
        "\"manifest.jsonl\": \"one JSON line per clip, in row order\"},\n";
    as_ds_buf_put(b, arrays, sizeof arrays - 1);
    static const char *const clip_cols[] = {"index", "feat_offset", "feat_frames", "anim_offset",
                                            "anim_frames", "split", "family", "lang"};
    static const char *const label_cols[] = {"class0", "level0", "class1", "level1", "class2", "level2"};
    as_ds_buf_lit(b, "\"clip_columns\": ");
    put_str_list(b, clip_cols, AS_CLIP_NUM_COLUMNS);
    as_ds_buf_lit(b, ",\n\"label_columns\": ");
    put_str_list(b, label_cols, 2 * AS_DATASET_MAX_TURNS);
    const char *names[AS_FEAT_DIM + 3];
    as_ds_buf_lit(b, ",\n\"split_names\": [\"train\", \"validation\", \"test\"],\n\"lang_names\": [\"en\", \"ko\"]");
    for (int i = 0; i < AS_FEAT_DIM; i++) names[i] = as_features_name(i);
    as_ds_buf_lit(b, ",\n\"feature_names\": ");
    put_str_list(b, names, AS_FEAT_DIM);
    for (int i = 0; i < AS_NUM_CHANNELS; i++) names[i] = as_channel_name(i);
    as_ds_buf_lit(b, ",\n\"channel_names\": ");
    put_str_list(b, names, AS_NUM_CHANNELS);
    static const char *const cls_names[] = {"LIPSYNC", "SHARED", "EXPRESSION"};
    for (int i = 0; i < AS_NUM_CHANNELS; i++) names[i] = cls_names[as_channel_class_of(i)];
    as_ds_buf_lit(b, ",\n\"channel_classes\": ");
    put_str_list(b, names, AS_NUM_CHANNELS);
    for (int i = 0; i < AS_NUM_EMOTIONS; i++) names[i] = as_emotion_name((as_emotion)i);
    names[AS_NUM_EMOTIONS] = "valence";
    names[AS_NUM_EMOTIONS + 1] = "arousal";
    names[AS_NUM_EMOTIONS + 2] = "dominance";
    as_ds_buf_lit(b, ",\n\"cond_names\": ");
    put_str_list(b, names, AS_COND_DIM);
    as_ds_buf_lit(b, ",\n\"emotion_names\": ");
    put_str_list(b, names, AS_NUM_EMOTIONS);
    for (int i = 0; i < AS_NUM_VISEMES; i++) names[i] = as_viseme_name(i);
    as_ds_buf_lit(b, ",\n\"viseme_names\": ");
    put_str_list(b, names, AS_NUM_VISEMES);
    size_t nf;
    const as_voice_family *fam = as_voice_families(&nf);
    as_ds_buf_lit(b, ",\n\"voice_families\": [");
    for (size_t f = 0; f < nf; f++)
        as_ds_buf_printf(b, "%s\n  {\"index\": %zu, \"name\": \"%s\", \"engine\": \"%s\", \"voice\": \"%s\", "
                            "\"split\": \"%s\", \"korean\": %s}",
                         f ? "," : "", f, fam[f].name, as_tts_engine_name(fam[f].engine), fam[f].voice,
                         as_split_name(fam[f].split), fam[f].korean ? "true" : "false");
    as_ds_buf_lit(b, "],\n\"voice_split\": {");
    for (int s = 0; s < AS_NUM_SPLITS; s++) {
        as_ds_buf_printf(b, "%s\"%s\": [", s ? ", " : "", as_split_name((as_split)s));
        int first = 1;
        for (size_t f = 0; f < nf; f++)
            if ((int)fam[f].split == s) {
                as_ds_buf_printf(b, "%s\"%s\"", first ? "" : ", ", fam[f].name);
                first = 0;
            }
        as_ds_buf_lit(b, "]");
    }
    as_ds_buf_lit(b, "},\n\"english_accents\": ");
    put_str_list(b, as_gen_english_accents, as_gen_num_english_accents);
    as_ds_buf_printf(b, ",\n\"scenario_split\": \"%s\"",
                     "train clips use the corpus's train scenarios, validation and test clips its validation "
                     "and test scenarios (all scenarios when the corpus has no split.json)");
    as_ds_buf_lit(b, ",\n\"splits\": {");
    for (int s = 0; s < AS_NUM_SPLITS; s++) {
        size_t ns = 0;
        for (size_t k = 0; k < n_plan; k++) ns += (int)plan[k].split == s;
        as_ds_buf_printf(b, "%s\"%s\": {\"clips\": %zu, \"shards\": %zu}", s ? ", " : "", as_split_name((as_split)s),
                         split_clips[s], ns);
    }
    as_ds_buf_lit(b, "},\n\"shards\": [");
    for (size_t k = 0; k < n_plan; k++)
        as_ds_buf_printf(b, "%s\n  {\"name\": \"%s\", \"split\": \"%s\", \"first_clip\": %zu, \"clips\": %zu}",
                         k ? "," : "", plan[k].name, as_split_name(plan[k].split), plan[k].first_clip,
                         plan[k].n_clips);
    as_ds_buf_lit(b, "]\n}\n");
}

/* meta.json: written when missing; when present, its settings must be ours. */
static as_result meta_check_or_write(const as_generate_params *p, const as_corpus *corpus,
                                     const size_t split_clips[AS_NUM_SPLITS], const shard_plan *plan, size_t n_plan)
{
    as_ds_buf cfg = {0}, meta = {0};
    as_result r = AS_OK;
    char *path = as_ds_path(p->out_dir, "meta.json"), *old = NULL;
    cJSON *old_json = NULL, *new_cfg = NULL;
    if (!path) return as_fail(AS_ERR_NOMEM, "out of memory");
    config_json(&cfg, p, corpus);
    if (cfg.oom) { r = as_fail(AS_ERR_NOMEM, "out of memory"); goto done; }
    uint64_t hash = fnv(0xCBF29CE484222325ull, cfg.buf, cfg.len);
    size_t len;
    if (as_read_file(path, &old, &len) == AS_OK) {
        old_json = cJSON_Parse(old);
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(old_json, "config_hash");
        char want[20];
        snprintf(want, sizeof want, "%016llx", (unsigned long long)hash);
        if (!cJSON_IsString(h)) {
            r = as_fail(AS_ERR_PARSE, "%s: not a dataset's meta.json (no config_hash); use another --out", path);
            goto done;
        }
        if (strcmp(h->valuestring, want) != 0) {
            /* Name the first setting that differs. */
            const cJSON *oc = cJSON_GetObjectItemCaseSensitive(old_json, "config");
            new_cfg = cJSON_Parse(cfg.buf);
            const cJSON *item;
            char what[256] = "settings";
            cJSON_ArrayForEach(item, new_cfg)
            {
                const cJSON *o = cJSON_GetObjectItemCaseSensitive(oc, item->string);
                char *a = cJSON_PrintUnformatted(item), *b2 = o ? cJSON_PrintUnformatted(o) : NULL;
                int differ = !b2 || strcmp(a, b2) != 0;
                if (differ) snprintf(what, sizeof what, "%s: %.80s there, %.80s here", item->string, b2 ? b2 : "none", a);
                cJSON_free(a);
                cJSON_free(b2);
                if (differ) break;
            }
            r = as_fail(AS_ERR_INVALID_ARG,
                        "%s was made with other settings (%s); use another --out or the settings it was made with",
                        p->out_dir, what);
        }
        goto done;
    }
    meta_json(&meta, p, cfg.buf, hash, split_clips, plan, n_plan);
    if (meta.oom) { r = as_fail(AS_ERR_NOMEM, "out of memory"); goto done; }
    r = as_write_file_atomic(path, meta.buf, meta.len);
done:
    cJSON_Delete(old_json);
    cJSON_Delete(new_cfg);
    as_free(old);
    as_free(path);
    as_ds_buf_free(&cfg);
    as_ds_buf_free(&meta);
    return r;
}

/* Removes what killed runs left: "<name>.tmp.<pid>" of processes gone. */
static void remove_stale_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *t = strstr(e->d_name, ".tmp.");
        if (!t) continue;
        const char *last;
        while ((last = strstr(t + 1, ".tmp.")) != NULL) t = last;
        char *end;
        long pid = strtol(t + 5, &end, 10);
        if (end == t + 5 || *end || pid <= 0 || pid == (long)getpid()) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue; /* still running */
        char *path = as_ds_path(dir, e->d_name);
        if (!path) continue;
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) as_ds_remove_tree(path);
        else remove(path);
        as_log(AS_LOG_INFO, "generate: removed %s, left by process %ld", path, pid);
        as_free(path);
    }
    closedir(d);
}

static int shard_present(const char *dir, const char *name)
{
    char *path = as_ds_path(dir, name);
    struct stat st;
    int ok = path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
    as_free(path);
    return ok;
}

/* ---- writing a shard ------------------------------------------------------------ */

/* Writes one array from the clips' parts: part(c) points at clip c's rows. */
typedef const void *(*part_fn)(const as_gen_clip *c, size_t *rows);

static const void *part_features(const as_gen_clip *c, size_t *rows) { *rows = c->n_feat; return c->features; }
static const void *part_cond(const as_gen_clip *c, size_t *rows) { *rows = c->n_anim; return c->cond; }
static const void *part_targets(const as_gen_clip *c, size_t *rows) { *rows = c->n_anim; return c->targets; }
static const void *part_teacher(const as_gen_clip *c, size_t *rows) { *rows = c->n_anim; return c->teacher; }
static const void *part_visemes(const as_gen_clip *c, size_t *rows) { *rows = c->n_anim; return c->visemes; }

static as_result write_parts(const char *dir, const char *file, as_npy_dtype t, size_t cols, const as_gen_clip *clips,
                             size_t n, part_fn part)
{
    char *path = as_ds_path(dir, file);
    if (!path) return as_fail(AS_ERR_NOMEM, "out of memory");
    size_t total = 0, rows;
    for (size_t i = 0; i < n; i++) {
        part(&clips[i], &rows);
        total += rows;
    }
    unsigned char head[256];
    size_t hl = as_npy_header(head, t, total, cols);
    FILE *f = fopen(path, "wb");
    as_result r = AS_OK;
    if (!f) {
        r = as_fail(AS_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
        as_free(path);
        return r;
    }
    int ok = fwrite(head, 1, hl, f) == hl;
    for (size_t i = 0; ok && i < n; i++) {
        const void *d = part(&clips[i], &rows);
        size_t bytes = rows * (cols ? cols : 1) * as_npy_itemsize(t);
        ok = bytes == 0 || fwrite(d, 1, bytes, f) == bytes;
    }
    if (fclose(f) != 0) ok = 0;
    if (!ok) r = as_fail(AS_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    as_free(path);
    return r;
}

static as_result write_shard(const char *out_dir, const shard_plan *sp, const as_gen_clip *clips)
{
    if (!as_npy_host_little_endian()) return as_fail(AS_ERR_UNSUPPORTED, "generate: needs a little-endian host");
    char tmp_name[64];
    snprintf(tmp_name, sizeof tmp_name, "%s.tmp.%ld", sp->name, (long)getpid());
    char *tmp = as_ds_path(out_dir, tmp_name), *final = as_ds_path(out_dir, sp->name);
    int64_t *index = as_malloc(sp->n_clips * AS_CLIP_NUM_COLUMNS * sizeof(int64_t));
    int8_t *labels = as_malloc(sp->n_clips * 2 * AS_DATASET_MAX_TURNS);
    double *stats = as_calloc(3 * AS_FEAT_DIM, sizeof(double));
    char *mpath = NULL;
    as_result r = AS_OK;
    if (!tmp || !final || !index || !labels || !stats) { r = as_fail(AS_ERR_NOMEM, "out of memory"); goto done; }
    as_ds_remove_tree(tmp);
    if (mkdir(tmp, 0777) != 0) { r = as_fail(AS_ERR_IO, "cannot create %s: %s", tmp, strerror(errno)); goto done; }
    size_t feat_off = 0, anim_off = 0;
    for (size_t i = 0; i < sp->n_clips; i++) {
        const as_gen_clip *c = &clips[i];
        int64_t *row = index + i * AS_CLIP_NUM_COLUMNS;
        row[AS_CLIP_INDEX] = (int64_t)(sp->first_clip + i);
        row[AS_CLIP_FEAT_OFFSET] = (int64_t)feat_off;
        row[AS_CLIP_FEAT_FRAMES] = (int64_t)c->n_feat;
        row[AS_CLIP_ANIM_OFFSET] = (int64_t)anim_off;
        row[AS_CLIP_ANIM_FRAMES] = (int64_t)c->n_anim;
        row[AS_CLIP_SPLIT] = (int64_t)sp->split;
        row[AS_CLIP_FAMILY] = (int64_t)c->family;
        row[AS_CLIP_LANG] = (int64_t)c->lang;
        memcpy(labels + i * 2 * AS_DATASET_MAX_TURNS, c->labels, 2 * AS_DATASET_MAX_TURNS);
        feat_off += c->n_feat;
        anim_off += c->n_anim;
        for (size_t k = 0; k < c->n_feat; k++)
            for (int j = 0; j < AS_FEAT_DIM; j++) {
                double v = c->features[k * AS_FEAT_DIM + j];
                stats[AS_FEAT_DIM + j] += v;
                stats[2 * AS_FEAT_DIM + j] += v * v;
            }
    }
    for (int j = 0; j < AS_FEAT_DIM; j++) stats[j] = (double)feat_off;
    if ((r = write_parts(tmp, "features.npy", AS_NPY_F4, AS_FEAT_DIM, clips, sp->n_clips, part_features)) != AS_OK ||
        (r = write_parts(tmp, "cond.npy", AS_NPY_F4, AS_COND_DIM, clips, sp->n_clips, part_cond)) != AS_OK ||
        (r = write_parts(tmp, "targets.npy", AS_NPY_F4, AS_NUM_CHANNELS, clips, sp->n_clips, part_targets)) != AS_OK ||
        (r = write_parts(tmp, "teacher.npy", AS_NPY_F4, AS_NUM_CHANNELS, clips, sp->n_clips, part_teacher)) != AS_OK ||
        (r = write_parts(tmp, "visemes.npy", AS_NPY_U1, 0, clips, sp->n_clips, part_visemes)) != AS_OK)
        goto done;
    char path[4096];
    snprintf(path, sizeof path, "%s/clips.npy", tmp);
    if ((r = as_npy_write(path, AS_NPY_I8, sp->n_clips, AS_CLIP_NUM_COLUMNS, index)) != AS_OK) goto done;
    snprintf(path, sizeof path, "%s/labels.npy", tmp);
    if ((r = as_npy_write(path, AS_NPY_I1, sp->n_clips, 2 * AS_DATASET_MAX_TURNS, labels)) != AS_OK) goto done;
    snprintf(path, sizeof path, "%s/stats.npy", tmp);
    if ((r = as_npy_write(path, AS_NPY_F8, 3, AS_FEAT_DIM, stats)) != AS_OK) goto done;
    mpath = as_ds_path(tmp, "manifest.jsonl");
    FILE *f = mpath ? fopen(mpath, "wb") : NULL;
    if (!f) { r = as_fail(AS_ERR_IO, "cannot write %s", mpath ? mpath : tmp); goto done; }
    int ok = 1;
    for (size_t i = 0; i < sp->n_clips && ok; i++)
        ok = fputs(clips[i].manifest, f) >= 0;
    if (fclose(f) != 0 || !ok) { r = as_fail(AS_ERR_IO, "%s: write failed", mpath); goto done; }
    /* The shard exists only once complete: one rename of the directory. */
    if (rename(tmp, final) != 0) {
        if ((errno == ENOTEMPTY || errno == EEXIST) && shard_present(out_dir, sp->name)) {
            as_ds_remove_tree(tmp); /* another process finished it first: the same bytes */
        } else {
            r = as_fail(AS_ERR_IO, "cannot rename %s to %s: %s", tmp, final, strerror(errno));
        }
    }
done:
    if (r != AS_OK && tmp) as_ds_remove_tree(tmp);
    as_free(mpath);
    as_free(tmp);
    as_free(final);
    as_free(index);
    as_free(labels);
    as_free(stats);
    return r;
}

/* manifest.jsonl: the finished shards' manifests, in dataset order. */
static as_result rebuild_manifest(const char *out_dir, const shard_plan *plan, size_t n_plan)
{
    char *path = as_ds_path(out_dir, "manifest.jsonl");
    if (!path) return as_fail(AS_ERR_NOMEM, "out of memory");
    as_atomic_file af;
    as_result r = as_atomic_open(&af, path);
    if (r != AS_OK) { as_free(path); return r; }
    char buf[65536];
    for (size_t k = 0; k < n_plan && r == AS_OK; k++) {
        if (!shard_present(out_dir, plan[k].name)) continue;
        char part[4096];
        snprintf(part, sizeof part, "%s/%s/manifest.jsonl", out_dir, plan[k].name);
        FILE *f = fopen(part, "rb");
        if (!f) { r = as_fail(AS_ERR_IO, "cannot read %s: %s", part, strerror(errno)); break; }
        size_t got;
        while ((got = fread(buf, 1, sizeof buf, f)) > 0)
            if (fwrite(buf, 1, got, af.f) != got) { r = as_fail(AS_ERR_IO, "%s: write failed", path); break; }
        fclose(f);
    }
    if (r == AS_OK) r = as_atomic_commit(&af);
    else as_atomic_abort(&af);
    as_free(path);
    return r;
}

/* ---- the workers ----------------------------------------------------------------- */

typedef struct {
    const shard_plan *plan;
    as_gen_clip *clips;  /* (n_clips) while in flight */
    size_t remaining;
} shard_state;

typedef struct {
    const as_generate_params *p;
    const as_gen_ctx *ctx;
    shard_state *shards; /* the shards this run makes */
    size_t n_shards;
    size_t *first_item;  /* (n_shards + 1) prefix sums of their clip counts */
    size_t total_items;
    size_t next_item;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int workers_running;
    int stop;            /* an error or a cancel: take no more clips */
    as_result error;
    char error_msg[1024];
    size_t clips_done, shards_done, retries;
    double audio_s;
} run_state;

static void record_error(run_state *rs, as_result r)
{
    if (rs->error == AS_OK) {
        rs->error = r;
        snprintf(rs->error_msg, sizeof rs->error_msg, "%s", as_last_error());
    }
    rs->stop = 1;
}

static void *worker(void *arg)
{
    run_state *rs = arg;
    for (;;) {
        pthread_mutex_lock(&rs->mu);
        if (rs->stop || rs->next_item >= rs->total_items) break;
        size_t q = rs->next_item++;
        /* Which shard: the last whose first item is <= q. */
        size_t lo = 0, hi = rs->n_shards;
        while (hi - lo > 1) {
            size_t mid = (lo + hi) / 2;
            if (rs->first_item[mid] <= q) lo = mid;
            else hi = mid;
        }
        shard_state *ss = &rs->shards[lo];
        if (!ss->clips && !(ss->clips = as_calloc(ss->plan->n_clips, sizeof(as_gen_clip)))) {
            record_error(rs, as_fail(AS_ERR_NOMEM, "generate: out of memory"));
            break;
        }
        pthread_mutex_unlock(&rs->mu);

        size_t row = q - rs->first_item[lo];
        as_gen_clip_spec spec;
        spec.split = ss->plan->split;
        spec.split_index = ss->plan->split_first + row;
        spec.index = ss->plan->first_clip + row;
        spec.seed = as_gen_clip_seed(rs->p->seed, spec.split, spec.split_index);
        spec.shard = ss->plan->name;
        spec.row = row;
        as_gen_clip clip;
        as_result r = as_gen_make_clip(rs->ctx, &spec, &clip);

        pthread_mutex_lock(&rs->mu);
        if (r != AS_OK) {
            record_error(rs, r);
            break;
        }
        ss->clips[row] = clip;
        rs->clips_done++;
        rs->retries += (size_t)(clip.attempts - 1);
        rs->audio_s += clip.audio_s;
        int complete = --ss->remaining == 0;
        pthread_mutex_unlock(&rs->mu);
        if (complete) {
            r = write_shard(rs->p->out_dir, ss->plan, ss->clips);
            pthread_mutex_lock(&rs->mu);
            for (size_t i = 0; i < ss->plan->n_clips; i++) as_gen_clip_free(&ss->clips[i]);
            as_free(ss->clips);
            ss->clips = NULL;
            if (r != AS_OK) record_error(rs, r);
            else rs->shards_done++;
            pthread_mutex_unlock(&rs->mu);
        }
        pthread_cond_broadcast(&rs->cv);
    }
    rs->workers_running--;
    pthread_cond_broadcast(&rs->cv);
    pthread_mutex_unlock(&rs->mu);
    return NULL;
}

/* Synthesizes a word with every family a split of this run uses, so a voice
 * missing on this machine stops the run before any work, naming it. */
static as_result check_voices(const as_gen_ctx *ctx, const size_t split_clips[AS_NUM_SPLITS])
{
    size_t nf;
    const as_voice_family *fam = as_voice_families(&nf);
    for (size_t f = 0; f < nf; f++) {
        if (!split_clips[fam[f].split]) continue;
        for (int lang = 0; lang < AS_NUM_LANGS; lang++) {
            if (lang == AS_LANG_KO && !fam[f].korean) continue;
            int used = 0;
            for (size_t i = 0; i < as_corpus_turn_count(ctx->corpus) && !used; i++) {
                const as_corpus_turn *t = as_corpus_turn_at(ctx->corpus, i);
                const as_corpus_scenario *s = as_corpus_scenario_at(ctx->corpus, t->scenario);
                used = (int)s->lang == lang && (s->split == fam[f].split || s->split == AS_SPLIT_NONE);
            }
            if (!used) continue;
            char voice[64];
            if (fam[f].engine == AS_TTS_FLITE) snprintf(voice, sizeof voice, "%s", fam[f].voice);
            else snprintf(voice, sizeof voice, "%s+%s", lang == AS_LANG_KO ? "ko" : "en-us", fam[f].voice);
            as_tts_params tp = as_tts_default_params();
            tp.engine = fam[f].engine;
            tp.voice = voice;
            as_speech *sp = NULL;
            as_result r = as_tts_synthesize(&tp, lang == AS_LANG_KO ? "안녕" : "Hello.", &sp);
            as_speech_destroy(sp);
            if (r != AS_OK) {
                /* Copied first: as_fail writes the buffer as_last_error() reads. */
                char why[512];
                snprintf(why, sizeof why, "%s", as_last_error());
                return as_fail(r, "generate: voice family %s (%s) does not work here: %s", fam[f].name, voice, why);
            }
        }
    }
    return AS_OK;
}

static as_result check_split_turns(const as_gen_ctx *ctx, const size_t split_clips[AS_NUM_SPLITS])
{
    static const char *const opt[AS_NUM_SPLITS] = {"--validation-fraction/--test-fraction", "--validation-fraction",
                                                   "--test-fraction"};
    for (int s = 0; s < AS_NUM_SPLITS; s++) {
        if (!split_clips[s]) continue;
        size_t n = 0;
        for (int e = 0; e < AS_NUM_EMOTIONS; e++) n += ctx->n_turns[s][e];
        if (!n)
            return as_fail(AS_ERR_INVALID_ARG, "generate: %s has no %s scenarios for %zu %s clips (set %s)",
                           ctx->p->scenarios, as_split_name((as_split)s), split_clips[s], as_split_name((as_split)s),
                           opt[s]);
    }
    return AS_OK;
}

as_result as_dataset_generate(const as_generate_params *p, as_generate_report *report)
{
    if (!p) return as_fail(AS_ERR_INVALID_ARG, "as_dataset_generate: NULL parameters");
    as_generate_report rep;
    memset(&rep, 0, sizeof rep);
    const double t0 = now_s();
    as_result r = check_params(p);
    if (r != AS_OK) return r;
    as_corpus *corpus = as_corpus_load(p->scenarios);
    if (!corpus) /* as_last_error() already names file, line and field */
        return as_last_error()[0] ? AS_ERR_PARSE : as_fail(AS_ERR_PARSE, "%s: cannot load the corpus", p->scenarios);
    as_gen_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    shard_plan *plan = NULL;
    run_state rs;
    memset(&rs, 0, sizeof rs);
    pthread_t threads[64];
    int n_threads = 0;
    int mu_ready = 0;

    size_t split_clips[AS_NUM_SPLITS];
    size_t n_plan = plan_shards(p, split_clips, NULL);
    plan = as_calloc(n_plan, sizeof *plan);
    if (!plan) { r = as_fail(AS_ERR_NOMEM, "out of memory"); goto done; }
    plan_shards(p, split_clips, plan);
    if ((r = as_gen_ctx_init(&ctx, p, corpus)) != AS_OK) goto done;
    if ((r = check_split_turns(&ctx, split_clips)) != AS_OK) goto done;
    if ((r = as_ds_mkdirs(p->out_dir)) != AS_OK) goto done;
    if ((r = meta_check_or_write(p, corpus, split_clips, plan, n_plan)) != AS_OK) goto done;
    remove_stale_tmp(p->out_dir);

    /* The slice, and which of it is still to make. */
    rep.shards_planned = n_plan;
    rs.shards = as_calloc(n_plan + 1, sizeof *rs.shards);
    rs.first_item = as_calloc(n_plan + 2, sizeof *rs.first_item);
    if (!rs.shards || !rs.first_item) { r = as_fail(AS_ERR_NOMEM, "out of memory"); goto done; }
    for (size_t k = 0; k < n_plan; k++) {
        if ((int)(k % (size_t)p->shard_n) != p->shard_k - 1) continue;
        rep.shards_in_slice++;
        if (shard_present(p->out_dir, plan[k].name)) {
            rep.shards_skipped++;
            continue;
        }
        rs.shards[rs.n_shards].plan = &plan[k];
        rs.shards[rs.n_shards].remaining = plan[k].n_clips;
        rs.first_item[rs.n_shards + 1] = rs.first_item[rs.n_shards] + plan[k].n_clips;
        rs.n_shards++;
    }
    rs.total_items = rs.first_item[rs.n_shards];
    rs.p = p;
    rs.ctx = &ctx;

    if (rs.n_shards) {
        if ((r = check_voices(&ctx, split_clips)) != AS_OK) goto done;
        pthread_mutex_init(&rs.mu, NULL);
        pthread_cond_init(&rs.cv, NULL);
        mu_ready = 1;
        int jobs = p->jobs;
        if ((size_t)jobs > rs.total_items) jobs = (int)rs.total_items;
        pthread_mutex_lock(&rs.mu);
        for (int j = 0; j < jobs; j++) {
            if (pthread_create(&threads[n_threads], NULL, worker, &rs) != 0) {
                record_error(&rs, as_fail(AS_ERR_NOMEM, "generate: cannot start worker thread %d", j + 1));
                break;
            }
            n_threads++;
            rs.workers_running++;
        }
        /* Report progress about five times a second until the workers end. */
        for (;;) {
            as_generate_progress pr;
            pr.clips_done = rs.clips_done;
            pr.clips_total = rs.total_items;
            pr.shards_done = rs.shards_done;
            pr.shards_total = rs.n_shards;
            pr.shards_skipped = rep.shards_skipped;
            pr.audio_s = rs.audio_s;
            pr.elapsed_s = now_s() - t0;
            int finished = rs.workers_running == 0;
            if (p->progress) {
                pthread_mutex_unlock(&rs.mu);
                int cancel = p->progress(&pr, p->progress_user);
                pthread_mutex_lock(&rs.mu);
                if (cancel && !finished && !rs.stop) {
                    rs.stop = 1;
                    if (rs.error == AS_OK) {
                        rs.error = AS_ERR_INVALID_ARG;
                        snprintf(rs.error_msg, sizeof rs.error_msg, "generate: cancelled");
                    }
                }
            }
            if (finished) break;
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 200000000L;
            if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
            pthread_cond_timedwait(&rs.cv, &rs.mu, &ts);
        }
        pthread_mutex_unlock(&rs.mu);
        for (int j = 0; j < n_threads; j++) pthread_join(threads[j], NULL);
        n_threads = 0;
        rep.shards_made = rs.shards_done;
        rep.clips_made = rs.clips_done;
        rep.clip_retries = rs.retries;
        rep.audio_s = rs.audio_s;
        if (rs.error != AS_OK) {
            r = as_fail(rs.error, "%s", rs.error_msg);
            /* What finished stays; the manifest still lists it. */
            rebuild_manifest(p->out_dir, plan, n_plan);
            goto done;
        }
    }
    r = rebuild_manifest(p->out_dir, plan, n_plan);
done:
    if (rs.shards)
        for (size_t k = 0; k < rs.n_shards; k++)
            if (rs.shards[k].clips) {
                for (size_t i = 0; i < rs.shards[k].plan->n_clips; i++) as_gen_clip_free(&rs.shards[k].clips[i]);
                as_free(rs.shards[k].clips);
            }
    if (mu_ready) {
        pthread_mutex_destroy(&rs.mu);
        pthread_cond_destroy(&rs.cv);
    }
    as_free(rs.shards);
    as_free(rs.first_item);
    as_free(plan);
    as_gen_ctx_free(&ctx);
    as_corpus_destroy(corpus);
    rep.elapsed_s = now_s() - t0;
    if (report) *report = rep;
    return r;
}
