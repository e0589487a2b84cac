/* train/generate.c — a generator run: plans the dataset (clips per split,
 * shards), records it in meta.json, skips the shards already finished, makes
 * the others with worker processes, writes each shard as a directory of .npy
 * files under a temporary name and renames it when complete, and rebuilds
 * manifest.jsonl from the finished shards.
 *
 * Work is handed out clip by clip in dataset order, so every worker stays
 * busy even when one shard is left; workers send finished clips back, and
 * this process appends them to their shard in row order. Each clip depends
 * only on its own seed (as_gen_clip_seed), never on which worker made it or
 * when: the output is byte-identical for any --jobs and any --shard
 * slicing. Why processes rather than threads: see "the worker processes". */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
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
    p.speed_min = 1.0f;
    p.speed_max = 1.0f;
    p.style = as_style_default_params();
    p.augment = as_augment_default_params();
    return p;
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
    if ((r = range_f("speed", p->speed_min, p->speed_max, 0.7f, 1.4f)) != AS_OK) return r;
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
    /* The split of every voice family: the clips depend on it, so a dataset
     * made with another split is never resumed with this one. */
    size_t nf;
    const as_voice_family *fam = as_voice_families(&nf);
    as_ds_buf_lit(b, ", \"family_splits\": [");
    for (size_t f = 0; f < nf; f++) as_ds_buf_printf(b, "%s\"%s\"", f ? ", " : "", as_split_name(fam[f].split));
    as_ds_buf_lit(b, "]");
    put_num(b, "validation_fraction", p->validation_fraction);
    put_num(b, "test_fraction", p->test_fraction);
    as_ds_buf_printf(b, ", \"seed\": %llu, \"max_turns\": %d, \"max_text_bytes\": %zu", (unsigned long long)p->seed,
                     p->max_turns, p->max_text_bytes);
    put_range(b, "rate", p->rate_min, p->rate_max);
    put_range(b, "pitch", p->pitch_min, p->pitch_max);
    put_range(b, "volume", p->volume_min, p->volume_max);
    /* Written only when on, so the configuration (and its hash, which a
     * resumed run checks) of a dataset made without it is unchanged. */
    if (p->speed_min != 1.0f || p->speed_max != 1.0f) put_range(b, "speed", p->speed_min, p->speed_max);
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

/* A shard of this run: its writer is opened when its first clip is handed
 * out; clips that come back ahead of their turn wait in pending[] until the
 * rows before them are written. */
typedef struct {
    const shard_plan *plan;
    as_gen_shard_writer *writer;
    as_gen_clip *pending; /* (n_clips); a slot is in use when its manifest is set */
    size_t next_row;      /* the next row to append */
} shard_state;

typedef struct {
    pid_t pid;
    int fd;       /* the parent's end of the worker's socket pair */
    int busy;     /* 1 while a clip is out with it */
    size_t item;  /* that clip's item number */
} worker_proc;

typedef struct {
    const as_generate_params *p;
    const as_gen_ctx *ctx;
    shard_state *shards; /* the shards this run makes */
    size_t n_shards;
    size_t *first_item;  /* (n_shards + 1) prefix sums of their clip counts */
    size_t total_items;
    size_t next_item;
    size_t clips_done, shards_done, retries;
    double audio_s;
} run_state;

/* ---- the worker processes -----------------------------------------------------
 * Each worker is a single-threaded process forked from this one: it reads
 * an item number, makes that clip and sends it back whole. Processes, not
 * threads, because every synthesis forks (tts.h): a fork taken while another
 * thread of the same process holds an allocator lock leaves the child
 * waiting on that lock forever (glibc's malloc guards against it; the
 * sanitizers' allocators do not), and a single-threaded worker never has
 * such a lock held elsewhere. The parent alone writes shards, so their
 * bytes do not depend on which worker made which clip. */

/* What a worker sends before a clip's arrays (or instead of them). */
typedef struct {
    uint64_t item;
    int32_t result;       /* as_result of making the clip */
    int32_t family, lang, attempts;
    uint64_t n_feat, n_anim, manifest_len;
    double audio_s;
    int8_t labels[2 * AS_DATASET_MAX_TURNS];
    char message[1024];   /* as_last_error() when result is not AS_OK */
} clip_msg;

static int send_all(int fd, const void *buf, size_t n)
{
    const char *b = buf;
    while (n > 0) {
        ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return 0;
        b += k;
        n -= (size_t)k;
    }
    return 1;
}

static int recv_all(int fd, void *buf, size_t n)
{
    char *b = buf;
    while (n > 0) {
        ssize_t k = recv(fd, b, n, 0);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return 0;
        b += k;
        n -= (size_t)k;
    }
    return 1;
}

static as_gen_clip_spec item_spec(const run_state *rs, size_t q, size_t *shard)
{
    /* Which shard: the last whose first item is <= q. */
    size_t lo = 0, hi = rs->n_shards;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (rs->first_item[mid] <= q) lo = mid;
        else hi = mid;
    }
    const shard_plan *sp = rs->shards[lo].plan;
    size_t row = q - rs->first_item[lo];
    as_gen_clip_spec spec;
    spec.split = sp->split;
    spec.split_index = sp->split_first + row;
    spec.index = sp->first_clip + row;
    spec.seed = as_gen_clip_seed(rs->p->seed, spec.split, spec.split_index);
    spec.shard = sp->name;
    spec.row = row;
    *shard = lo;
    return spec;
}

static void worker_main(const run_state *rs, int fd)
{
    uint64_t q;
    while (recv_all(fd, &q, sizeof q)) {
        size_t shard;
        as_gen_clip_spec spec = item_spec(rs, (size_t)q, &shard);
        as_gen_clip clip;
        as_result r = as_gen_make_clip(rs->ctx, &spec, &clip);
        clip_msg m;
        memset(&m, 0, sizeof m);
        m.item = q;
        m.result = (int32_t)r;
        if (r != AS_OK) {
            snprintf(m.message, sizeof m.message, "%s", as_last_error());
            if (!send_all(fd, &m, sizeof m)) break;
            continue;
        }
        m.family = clip.family;
        m.lang = (int32_t)clip.lang;
        m.attempts = clip.attempts;
        m.n_feat = clip.n_feat;
        m.n_anim = clip.n_anim;
        m.manifest_len = strlen(clip.manifest);
        m.audio_s = clip.audio_s;
        memcpy(m.labels, clip.labels, sizeof m.labels);
        int ok = send_all(fd, &m, sizeof m) &&
                 send_all(fd, clip.features, clip.n_feat * AS_FEAT_DIM * sizeof(float)) &&
                 send_all(fd, clip.cond, clip.n_anim * AS_COND_DIM * sizeof(float)) &&
                 send_all(fd, clip.targets, clip.n_anim * AS_NUM_CHANNELS * sizeof(float)) &&
                 send_all(fd, clip.teacher, clip.n_anim * AS_NUM_CHANNELS * sizeof(float)) &&
                 send_all(fd, clip.visemes, clip.n_anim) && send_all(fd, clip.manifest, m.manifest_len);
        as_gen_clip_free(&clip);
        if (!ok) break;
    }
    close(fd);
    _exit(0); /* no atexit handlers, no stdio flush: they belong to the parent */
}

/* Reads one clip message from a worker into *c. */
static as_result read_clip(int fd, pid_t pid, clip_msg *m, as_gen_clip *c)
{
    memset(c, 0, sizeof *c);
    if (!recv_all(fd, m, sizeof *m)) return as_fail(AS_ERR_BACKEND, "generate: worker process %ld ended early", (long)pid);
    m->message[sizeof m->message - 1] = 0;
    if (m->result != AS_OK) return as_fail((as_result)m->result, "%s", m->message);
    if (m->n_feat > 100000000 || m->n_anim > 100000000 || m->manifest_len > 1000000)
        return as_fail(AS_ERR_BACKEND, "generate: malformed message from worker process %ld", (long)pid);
    c->n_feat = (size_t)m->n_feat;
    c->n_anim = (size_t)m->n_anim;
    c->features = as_malloc(c->n_feat * AS_FEAT_DIM * sizeof(float) + 1);
    c->cond = as_malloc(c->n_anim * AS_COND_DIM * sizeof(float) + 1);
    c->targets = as_malloc(c->n_anim * AS_NUM_CHANNELS * sizeof(float) + 1);
    c->teacher = as_malloc(c->n_anim * AS_NUM_CHANNELS * sizeof(float) + 1);
    c->visemes = as_malloc(c->n_anim + 1);
    c->manifest = as_malloc((size_t)m->manifest_len + 1);
    if (!c->features || !c->cond || !c->targets || !c->teacher || !c->visemes || !c->manifest) {
        as_gen_clip_free(c);
        return as_fail(AS_ERR_NOMEM, "generate: out of memory");
    }
    int ok = recv_all(fd, c->features, c->n_feat * AS_FEAT_DIM * sizeof(float)) &&
             recv_all(fd, c->cond, c->n_anim * AS_COND_DIM * sizeof(float)) &&
             recv_all(fd, c->targets, c->n_anim * AS_NUM_CHANNELS * sizeof(float)) &&
             recv_all(fd, c->teacher, c->n_anim * AS_NUM_CHANNELS * sizeof(float)) &&
             recv_all(fd, c->visemes, c->n_anim) && recv_all(fd, c->manifest, (size_t)m->manifest_len);
    c->manifest[m->manifest_len] = 0;
    if (!ok) {
        as_gen_clip_free(c);
        return as_fail(AS_ERR_BACKEND, "generate: worker process %ld ended in the middle of a clip", (long)pid);
    }
    c->family = m->family;
    c->lang = (as_lang)m->lang;
    c->attempts = m->attempts;
    c->audio_s = m->audio_s;
    memcpy(c->labels, m->labels, sizeof c->labels);
    return AS_OK;
}

/* Appends the clips of ss that are ready, in row order, and finishes the
 * shard after its last row. */
static as_result flush_ready(run_state *rs, shard_state *ss)
{
    while (ss->next_row < ss->plan->n_clips && ss->pending[ss->next_row].manifest) {
        as_gen_clip *c = &ss->pending[ss->next_row];
        as_result r = as_gen_shard_append(ss->writer, c);
        rs->audio_s += c->audio_s;
        as_gen_clip_free(c);
        if (r != AS_OK) return r;
        ss->next_row++;
    }
    if (ss->next_row == ss->plan->n_clips && ss->writer) {
        as_result r = as_gen_shard_finish(ss->writer);
        ss->writer = NULL;
        as_free(ss->pending);
        ss->pending = NULL;
        if (r != AS_OK) return r;
        rs->shards_done++;
    }
    return AS_OK;
}

/* Hands the next item to worker w (opening its shard's writer when it is
 * the shard's first clip). Sets w->busy = 0 when there is none left. */
static as_result assign(run_state *rs, worker_proc *w)
{
    w->busy = 0;
    if (rs->next_item >= rs->total_items) return AS_OK;
    size_t q = rs->next_item++, shard;
    as_gen_clip_spec spec = item_spec(rs, q, &shard);
    shard_state *ss = &rs->shards[shard];
    if (spec.row == 0) {
        as_result r = as_gen_shard_open(&ss->writer, rs->p->out_dir, ss->plan->name, ss->plan->split,
                                        ss->plan->first_clip, ss->plan->n_clips);
        if (r != AS_OK) return r;
        if (!(ss->pending = as_calloc(ss->plan->n_clips, sizeof(as_gen_clip))))
            return as_fail(AS_ERR_NOMEM, "generate: out of memory");
    }
    uint64_t msg = q;
    if (!send_all(w->fd, &msg, sizeof msg))
        return as_fail(AS_ERR_BACKEND, "generate: worker process %ld is gone", (long)w->pid);
    w->busy = 1;
    w->item = q;
    return AS_OK;
}

/* Runs the workers until every item is made, a failure, or a cancel. */
static as_result run_workers(run_state *rs, int jobs, double t0, size_t shards_skipped)
{
    const as_generate_params *p = rs->p;
    worker_proc w[64];
    int n_workers = 0;
    as_result r = AS_OK;
    for (int j = 0; j < jobs; j++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
            r = as_fail(AS_ERR_BACKEND, "generate: socketpair: %s", strerror(errno));
            break;
        }
        fflush(NULL); /* nothing buffered is written twice */
        pid_t pid = fork();
        if (pid == 0) {
            close(sv[0]);
            for (int k = 0; k < n_workers; k++) close(w[k].fd);
            worker_main(rs, sv[1]); /* never returns */
        }
        close(sv[1]);
        if (pid < 0) {
            close(sv[0]);
            r = as_fail(AS_ERR_BACKEND, "generate: cannot start worker process %d: %s", j + 1, strerror(errno));
            break;
        }
        fcntl(sv[0], F_SETFD, FD_CLOEXEC);
        w[n_workers].pid = pid;
        w[n_workers].fd = sv[0];
        w[n_workers].busy = 0;
        n_workers++;
    }
    for (int k = 0; r == AS_OK && k < n_workers; k++) r = assign(rs, &w[k]);

    double last_report = -1.0;
    size_t last_shards = (size_t)-1;
    for (;;) {
        int busy = 0;
        for (int k = 0; k < n_workers; k++) busy += w[k].busy;
        double now = as_now_s();
        /* At most every 0.2 s, and always when a shard has just been
         * finished, so every shard completion is reported. */
        if (p->progress && (now - last_report >= 0.2 || rs->shards_done != last_shards || busy == 0 || r != AS_OK)) {
            last_shards = rs->shards_done;
            as_generate_progress pr;
            pr.clips_done = rs->clips_done;
            pr.clips_total = rs->total_items;
            pr.shards_done = rs->shards_done;
            pr.shards_total = rs->n_shards;
            pr.shards_skipped = shards_skipped;
            pr.audio_s = rs->audio_s;
            pr.elapsed_s = now - t0;
            last_report = now;
            if (p->progress(&pr, p->progress_user) && r == AS_OK && busy)
                r = as_fail(AS_ERR_INVALID_ARG, "generate: cancelled");
        }
        if (r != AS_OK || busy == 0) break;
        struct pollfd pf[64];
        for (int k = 0; k < n_workers; k++) {
            pf[k].fd = w[k].busy ? w[k].fd : -1;
            pf[k].events = POLLIN;
            pf[k].revents = 0;
        }
        int n = poll(pf, (nfds_t)n_workers, 200);
        if (n < 0 && errno != EINTR) {
            r = as_fail(AS_ERR_BACKEND, "generate: poll: %s", strerror(errno));
            break;
        }
        for (int k = 0; n > 0 && k < n_workers && r == AS_OK; k++) {
            if (!pf[k].revents) continue;
            clip_msg m;
            as_gen_clip c;
            r = read_clip(w[k].fd, w[k].pid, &m, &c);
            w[k].busy = 0;
            if (r != AS_OK) break;
            size_t shard;
            as_gen_clip_spec spec = item_spec(rs, (size_t)m.item, &shard);
            if (m.item != w[k].item) {
                as_gen_clip_free(&c);
                r = as_fail(AS_ERR_BACKEND, "generate: worker process %ld answered for another clip", (long)w[k].pid);
                break;
            }
            shard_state *ss = &rs->shards[shard];
            ss->pending[spec.row] = c;
            rs->clips_done++;
            rs->retries += (size_t)(c.attempts - 1);
            if ((r = flush_ready(rs, ss)) != AS_OK) break;
            r = assign(rs, &w[k]);
        }
    }
    /* Done or failed: close the sockets (an idle worker reads EOF and
     * exits); after a failure, busy workers are stopped at once. */
    for (int k = 0; k < n_workers; k++) {
        if (r != AS_OK && w[k].busy) kill(w[k].pid, SIGKILL);
        close(w[k].fd);
    }
    for (int k = 0; k < n_workers; k++) {
        int status;
        while (waitpid(w[k].pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
    return r;
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
    const double t0 = as_now_s();
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
        rs.first_item[rs.n_shards + 1] = rs.first_item[rs.n_shards] + plan[k].n_clips;
        rs.n_shards++;
    }
    rs.total_items = rs.first_item[rs.n_shards];
    rs.p = p;
    rs.ctx = &ctx;

    if (rs.n_shards) {
        if ((r = check_voices(&ctx, split_clips)) != AS_OK) goto done;
        int jobs = p->jobs;
        if ((size_t)jobs > rs.total_items) jobs = (int)rs.total_items;
        r = run_workers(&rs, jobs, t0, rep.shards_skipped);
        rep.shards_made = rs.shards_done;
        rep.clips_made = rs.clips_done;
        rep.clip_retries = rs.retries;
        rep.audio_s = rs.audio_s;
        if (r != AS_OK) {
            /* What finished stays; the manifest lists it. */
            char why[1024];
            snprintf(why, sizeof why, "%s", as_last_error());
            rebuild_manifest(p->out_dir, plan, n_plan);
            r = as_fail(r, "%s", why);
            goto done;
        }
    }
    r = rebuild_manifest(p->out_dir, plan, n_plan);
done:
    /* Shards left unfinished by an error or a cancel: their temporary
     * directories go, their clips are freed. */
    if (rs.shards)
        for (size_t k = 0; k < rs.n_shards; k++) {
            as_gen_shard_abort(rs.shards[k].writer);
            if (rs.shards[k].pending) {
                for (size_t i = 0; i < rs.shards[k].plan->n_clips; i++) as_gen_clip_free(&rs.shards[k].pending[i]);
                as_free(rs.shards[k].pending);
            }
        }
    as_free(rs.shards);
    as_free(rs.first_item);
    as_free(plan);
    as_gen_ctx_free(&ctx);
    as_corpus_destroy(corpus);
    rep.elapsed_s = as_now_s() - t0;
    if (report) *report = rep;
    return r;
}
