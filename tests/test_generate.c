/* test_generate.c — the dataset generator end to end (as_dataset_generate,
 * the reader, as_dataset_check and the two commands): a small generation
 * over a corpus written here (so the test does not move when
 * data/scenarios grows) whose shards load back with the right shapes and a
 * consistent index; byte-identical output for another --jobs and for
 * --shard slices; resuming after a SIGKILL and after a lost shard with a
 * leftover temporary directory; no validation/test voice family in training
 * clips; style variation present and bounded; check-dataset passing on the
 * data and failing on corrupted shards; argument errors. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "animasync/animasync.h"
#include "testutil.h"

/* ---- a small corpus ---------------------------------------------------- */

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); exit(1); }
    fputs(text, f);
    fclose(f);
}

/* Two English and one Korean scenario per split; short turns keep clips
 * near 2 s. Every class appears in training; one turn has a VAD override
 * and one holds a literal '['. */
static const char *make_corpus(void)
{
    const char *dir = test_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/en-test.jsonl", dir);
    write_text(path,
        "{\"id\": \"en-t01\", \"lang\": \"en\", \"title\": \"a\", \"setting\": \"s\", \"turns\": ["
        "{\"speaker\": \"SELF\", \"text\": \"Oh, thank you so much!\", \"emotion\": \"gratitude\", \"intensity\": 4},"
        "{\"speaker\": \"SELF\", \"text\": \"Wait, what? Really?\", \"emotion\": \"surprise\", \"intensity\": 3},"
        "{\"speaker\": \"OTHER\", \"text\": \"Yes, really.\", \"emotion\": \"joy\", \"intensity\": 2},"
        "{\"speaker\": \"SELF\", \"text\": \"That makes me so happy.\", \"emotion\": \"joy\", \"intensity\": 5},"
        "{\"speaker\": \"SELF\", \"text\": \"Ha ha, stop it!\", \"emotion\": \"laughter\", \"intensity\": 3}]}\n"
        "{\"id\": \"en-t02\", \"lang\": \"en\", \"title\": \"b\", \"setting\": \"s\", \"turns\": ["
        "{\"speaker\": \"SELF\", \"text\": \"I am sorry, I forgot.\", \"emotion\": \"apology\", \"intensity\": 3},"
        "{\"speaker\": \"SELF\", \"text\": \"No. I will not do that.\", \"emotion\": \"refusal\", \"intensity\": 4},"
        "{\"speaker\": \"SELF\", \"text\": \"This is not fair [really].\", \"emotion\": \"sulk\", \"intensity\": 2},"
        "{\"speaker\": \"SELF\", \"text\": \"Stop that right now!\", \"emotion\": \"anger\", \"intensity\": 5,"
        " \"vad\": [0.15, 0.9, 0.85]},"
        "{\"speaker\": \"SELF\", \"text\": \"Um, I, uh, oh no.\", \"emotion\": \"fluster\", \"intensity\": 3}]}\n"
        "{\"id\": \"en-t03\", \"lang\": \"en\", \"title\": \"c\", \"setting\": \"s\", \"turns\": ["
        "{\"speaker\": \"SELF\", \"text\": \"I miss them so much.\", \"emotion\": \"sadness\", \"intensity\": 3},"
        "{\"speaker\": \"SELF\", \"text\": \"Will it be all right?\", \"emotion\": \"worry\", \"intensity\": 3},"
        "{\"speaker\": \"SELF\", \"text\": \"Yes, exactly, I agree.\", \"emotion\": \"agreement\", \"intensity\": 3},"
        "{\"speaker\": \"SELF\", \"text\": \"We won! We actually won!\", \"emotion\": \"excitement\", \"intensity\": 4},"
        "{\"speaker\": \"SELF\", \"text\": \"Oh, you noticed me.\", \"emotion\": \"shy\", \"intensity\": 2},"
        "{\"speaker\": \"SELF\", \"text\": \"I cannot stop crying.\", \"emotion\": \"crying\", \"intensity\": 4},"
        "{\"speaker\": \"SELF\", \"text\": \"The bus comes at nine.\", \"emotion\": \"neutral\", \"intensity\": 3}]}\n"
        "{\"id\": \"en-t04\", \"lang\": \"en\", \"title\": \"d\", \"setting\": \"s\", \"turns\": ["
        "{\"speaker\": \"SELF\", \"text\": \"That is wonderful news.\", \"emotion\": \"joy\", \"intensity\": 3},"
        "{\"speaker\": \"SELF\", \"text\": \"But I am a bit worried.\", \"emotion\": \"worry\", \"intensity\": 2}]}\n"
        "{\"id\": \"en-t05\", \"lang\": \"en\", \"title\": \"e\", \"setting\": \"s\", \"turns\": ["
        "{\"speaker\": \"SELF\", \"text\": \"No way, you did it?\", \"emotion\": \"surprise\", \"intensity\": 4},"
        "{\"speaker\": \"SELF\", \"text\": \"I am so proud of you.\", \"emotion\": \"joy\", \"intensity\": 4}]}\n");
    snprintf(path, sizeof path, "%s/ko-test.jsonl", dir);
    write_text(path,
        "{\"id\": \"ko-t01\", \"lang\": \"ko\", \"title\": \"a\", \"setting\": \"s\", \"turns\": ["
        "{\"speaker\": \"SELF\", \"text\": \"정말 고마워.\", \"emotion\": \"gratitude\", \"intensity\": 3},"
        "{\"speaker\": \"SELF\", \"text\": \"너무 슬퍼.\", \"emotion\": \"sadness\", \"intensity\": 3}]}\n"
        "{\"id\": \"ko-t02\", \"lang\": \"ko\", \"title\": \"b\", \"setting\": \"s\", \"turns\": ["
        "{\"speaker\": \"SELF\", \"text\": \"와, 진짜?\", \"emotion\": \"surprise\", \"intensity\": 3},"
        "{\"speaker\": \"SELF\", \"text\": \"미안해.\", \"emotion\": \"apology\", \"intensity\": 2}]}\n"
        "{\"id\": \"ko-t03\", \"lang\": \"ko\", \"title\": \"c\", \"setting\": \"s\", \"turns\": ["
        "{\"speaker\": \"SELF\", \"text\": \"싫어, 안 해.\", \"emotion\": \"refusal\", \"intensity\": 3},"
        "{\"speaker\": \"SELF\", \"text\": \"좋아!\", \"emotion\": \"joy\", \"intensity\": 3}]}\n");
    snprintf(path, sizeof path, "%s/split.json", dir);
    write_text(path, "{\"format\": \"animasync-scenario-split\", \"version\": 1, \"method\": \"by hand\", "
                     "\"command\": \"test_generate.c\", \"train\": [\"en-t01\", \"en-t02\", \"en-t03\", \"ko-t01\"], "
                     "\"validation\": [\"en-t04\", \"ko-t02\"], \"test\": [\"en-t05\", \"ko-t03\"]}\n");
    return dir;
}

/* ---- helpers ------------------------------------------------------------- */

static as_generate_params params(const char *corpus, const char *out, int jobs)
{
    as_generate_params p = as_generate_default_params();
    p.scenarios = corpus;
    p.out_dir = out;
    p.clips = 12;
    p.shard_clips = 4;
    p.validation_fraction = 0.1f; /* 1 clip */
    p.test_fraction = 0.1f;       /* 1 clip */
    p.jobs = jobs;
    p.seed = 7;
    return p;
}

/* 1 if every file of every shard (and the manifest) is byte-identical. */
static int same_shards(const char *a, const char *b, int *files_compared)
{
    static const char *const files[] = {"features.npy", "cond.npy", "targets.npy", "teacher.npy", "visemes.npy",
                                        "clips.npy", "labels.npy", "stats.npy", "manifest.jsonl"};
    as_dataset *da = as_dataset_open(a), *db = as_dataset_open(b);
    int same = da && db && as_dataset_shard_count(da) == as_dataset_shard_count(db);
    for (size_t s = 0; same && s < as_dataset_shard_count(da); s++) {
        const as_dataset_shard_info *ia = as_dataset_shard_at(da, s);
        for (size_t f = 0; same && f < sizeof files / sizeof files[0]; f++) {
            char pa[1024], pb[1024];
            snprintf(pa, sizeof pa, "%s/%s/%s", a, ia->name, files[f]);
            snprintf(pb, sizeof pb, "%s/%s/%s", b, ia->name, files[f]);
            size_t la, lb;
            char *ca = test_read_file(pa, &la), *cb = test_read_file(pb, &lb);
            same = ca && cb && la == lb && memcmp(ca, cb, la) == 0;
            free(ca);
            free(cb);
            (*files_compared)++;
        }
    }
    char pa[1024], pb[1024];
    snprintf(pa, sizeof pa, "%s/manifest.jsonl", a);
    snprintf(pb, sizeof pb, "%s/manifest.jsonl", b);
    size_t la, lb;
    char *ca = test_read_file(pa, &la), *cb = test_read_file(pb, &lb);
    same = same && ca && cb && la == lb && memcmp(ca, cb, la) == 0;
    free(ca);
    free(cb);
    as_dataset_close(da);
    as_dataset_close(db);
    return same;
}

static int count_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) n += strstr(e->d_name, ".tmp.") != NULL;
    if (d) closedir(d);
    return n;
}

/* Removes a test directory: "<tmpdir>/data" goes with its temporary parent. */
static void rm_rf(const char *path)
{
    char cmd[1200];
    size_t n = strlen(path);
    int parent = n > 5 && !strcmp(path + n - 5, "/data");
    snprintf(cmd, sizeof cmd, "rm -rf '%.*s'", (int)(parent ? n - 5 : n), path);
    CHECK(system(cmd) == 0);
}

/* ---- the tests ------------------------------------------------------------- */

static const char *corpus;
static char ref[512]; /* the reference dataset (jobs 2) */

static void test_generate_and_load(void)
{
    snprintf(ref, sizeof ref, "%s/data", test_tmpdir());
    as_generate_params p = params(corpus, ref, 2);
    as_generate_report rep;
    CHECKF(as_dataset_generate(&p, &rep) == AS_OK, "%s", as_last_error());
    /* 10 train clips in shards of 4 (4, 4, 2), 1 validation, 1 test. */
    CHECK(rep.shards_planned == 5 && rep.shards_made == 5 && rep.shards_skipped == 0 && rep.clips_made == 12);
    CHECK(rep.audio_s > 12.0);
    CHECK(count_tmp(ref) == 0);

    as_dataset *ds = as_dataset_open(ref);
    CHECK(ds != NULL);
    if (!ds) return;
    CHECK(as_dataset_shard_count(ds) == 5);
    static const char *const names[] = {"train-00000", "train-00001", "train-00002", "validation-00000", "test-00000"};
    static const size_t counts[] = {4, 4, 2, 1, 1};
    static const as_split splits[] = {AS_SPLIT_TRAIN, AS_SPLIT_TRAIN, AS_SPLIT_TRAIN, AS_SPLIT_VALIDATION, AS_SPLIT_TEST};
    size_t next_clip = 0, n_clips = 0, steady_ratios = 0, ratio_out_of_bounds = 0;
    double ratio_sum = 0, ratio_sq = 0;
    as_compiler *comp = as_compiler_create(NULL, NULL);
    float neutral[AS_NUM_CHANNELS];
    as_compiler_neutral(comp, neutral);
    char mpath[600];
    snprintf(mpath, sizeof mpath, "%s/manifest.jsonl", ref);
    FILE *mf = fopen(mpath, "rb");
    CHECK(mf != NULL);
    for (size_t s = 0; s < as_dataset_shard_count(ds); s++) {
        const as_dataset_shard_info *info = as_dataset_shard_at(ds, s);
        CHECK(!strcmp(info->name, names[s]) && info->n_clips == counts[s] && info->split == splits[s]);
        CHECK(info->present && info->first_clip == next_clip);
        next_clip += info->n_clips;
        as_dataset_shard sh;
        CHECKF(as_dataset_shard_load(ds, s, &sh) == AS_OK, "%s", as_last_error());
        CHECK(sh.n_clips == info->n_clips);
        CHECK(sh.stats[0] == (double)sh.n_feat);
        for (size_t row = 0; row < sh.n_clips; row++) {
            as_dataset_clip c;
            CHECK(as_dataset_shard_clip(&sh, row, &c) == AS_OK);
            CHECK(c.index == info->first_clip + row && c.split == info->split);
            /* The manifest line of this clip: the same clip, and durations that
             * give the stored frame counts (features: ceil(n16 / 160) with
             * n16 = round(n x 16000 / rate); animation: ceil(30 d)). */
            char line[8192];
            CHECK(mf && fgets(line, sizeof line, mf) != NULL);
            cJSON *j = cJSON_Parse(line);
            CHECK(j != NULL);
            double samples = cJSON_GetNumberValue(cJSON_GetObjectItem(j, "samples"));
            double rate = cJSON_GetNumberValue(cJSON_GetObjectItem(j, "rate_hz"));
            double n16 = floor(samples * 16000.0 / rate + 0.5);
            CHECKF(c.n_feat == (size_t)ceil(n16 / 160.0), "clip %zu: %zu feature frames for %g samples at %g Hz",
                   c.index, c.n_feat, samples, rate);
            CHECK(c.n_anim == as_timeline_frame_count(samples / rate, 30.0f));
            CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "index")) == (double)c.index);
            CHECK(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(j, "shard")), info->name));
            const char *text = cJSON_GetStringValue(cJSON_GetObjectItem(j, "text"));
            CHECK(text && text[0] == '[');
            /* The tagged text parses to one segment per labelled turn. */
            as_tagged_text tt;
            CHECK(text && as_tags_parse(text, AS_TEXT_NUL_TERMINATED, NULL, &tt) == AS_OK &&
                  tt.num_segments == (size_t)cJSON_GetArraySize(cJSON_GetObjectItem(j, "labels")));
            as_tagged_text_clear(&tt);
            const cJSON *labels = cJSON_GetObjectItem(j, "labels");
            int turns = cJSON_GetArraySize(labels);
            CHECK(turns >= 1 && turns <= AS_DATASET_MAX_TURNS);
            for (int k = 0; k < AS_DATASET_MAX_TURNS; k++) {
                if (k < turns) {
                    const cJSON *l = cJSON_GetArrayItem(labels, k);
                    CHECK(c.labels[2 * k] == as_emotion_find(cJSON_GetStringValue(cJSON_GetObjectItem(l, "emotion"))));
                    CHECK(c.labels[2 * k + 1] == (int)cJSON_GetNumberValue(cJSON_GetObjectItem(l, "level")));
                } else {
                    CHECK(c.labels[2 * k] == -1 && c.labels[2 * k + 1] == -1);
                }
            }
            /* The first label's class holds frame 0 of the conditioning. */
            CHECK(c.cond[c.labels[0]] > 0.99f);
            /* Features start in the TTS's leading silence (0.3 s): its level
             * is the noise floor, at least 8 dB under the loudest speech frame
             * (the SNR is 10 dB or more). */
            float loudest = 0;
            for (size_t k = 0; k < c.n_feat; k++)
                if (c.features[k * AS_FEAT_DIM + AS_FEAT_ENERGY] > loudest) loudest = c.features[k * AS_FEAT_DIM + AS_FEAT_ENERGY];
            CHECKF(c.features[AS_FEAT_ENERGY] < loudest - 0.08f, "clip %zu: first frame %.3f, loudest %.3f", c.index,
                   (double)c.features[AS_FEAT_ENERGY], (double)loudest);
            /* Style: on EXPRESSION channels, the target's deviation from neutral
             * over the compiler's at strength 1 is gain x channel factor, within
             * 0.6 x 0.8 x 0.95 .. 1.4 x 1.2 x 1.05 (clamping and antagonists aside). */
            for (size_t i = 0; i < c.n_anim; i++) {
                float w[AS_NUM_CHANNELS];
                as_compile(comp, w, (const as_cond *)(c.cond + i * AS_COND_DIM), 1.0f);
                for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) {
                    if (as_channel_class_of(ch) != AS_CHANNEL_EXPRESSION) continue;
                    float den = w[ch] - neutral[ch];
                    float num = c.targets[i * AS_NUM_CHANNELS + ch] - neutral[ch];
                    if (fabsf(den) < 0.05f || c.targets[i * AS_NUM_CHANNELS + ch] >= 1.0f ||
                        c.targets[i * AS_NUM_CHANNELS + ch] <= 0.0f) continue;
                    double ratio = num / den;
                    steady_ratios++;
                    ratio_sum += ratio;
                    ratio_sq += ratio * ratio;
                    ratio_out_of_bounds += ratio < 0.45 || ratio > 1.77;
                }
            }
            cJSON_Delete(j);
            n_clips++;
        }
        CHECK(sh.n_feat > 0 && sh.n_anim > 0);
        as_dataset_shard_clear(&sh);
    }
    CHECK(n_clips == 12);
    char extra[16];
    CHECK(mf && fgets(extra, sizeof extra, mf) == NULL);
    if (mf) fclose(mf);
    CHECK(steady_ratios > 500);
    double mean = ratio_sum / (double)steady_ratios, sd = sqrt(ratio_sq / (double)steady_ratios - mean * mean);
    CHECKF(ratio_out_of_bounds <= steady_ratios / 50, "%zu of %zu ratios outside the style bounds", ratio_out_of_bounds,
           steady_ratios);
    CHECKF(mean > 0.8 && mean < 1.2 && sd > 0.03, "style ratio mean %.3f sd %.3f", mean, sd);
    as_compiler_destroy(comp);
    as_dataset_close(ds);
}

static void test_voice_split(void)
{
    /* Every clip's family belongs to the clip's split; meta.json says so too. */
    size_t nf;
    const as_voice_family *fam = as_voice_families(&nf);
    int held_out_families = 0;
    for (size_t f = 0; f < nf; f++) held_out_families += fam[f].split != AS_SPLIT_TRAIN;
    CHECK(held_out_families >= 4);
    as_dataset *ds = as_dataset_open(ref);
    size_t checked = 0;
    for (size_t s = 0; ds && s < as_dataset_shard_count(ds); s++) {
        as_dataset_shard sh;
        if (as_dataset_shard_load(ds, s, &sh) != AS_OK) continue;
        for (size_t r = 0; r < sh.n_clips; r++) {
            as_dataset_clip c;
            as_dataset_shard_clip(&sh, r, &c);
            CHECK(c.family >= 0 && (size_t)c.family < nf && fam[c.family].split == c.split);
            checked++;
        }
        as_dataset_shard_clear(&sh);
    }
    CHECK(checked == 12);
    as_dataset_close(ds);
    char path[600];
    snprintf(path, sizeof path, "%s/meta.json", ref);
    char *text = test_read_file(path, NULL);
    cJSON *meta = text ? cJSON_Parse(text) : NULL;
    const cJSON *vs = cJSON_GetObjectItem(meta, "voice_split");
    const cJSON *train = cJSON_GetObjectItem(vs, "train"), *item;
    CHECK(cJSON_GetArraySize(train) > 0);
    cJSON_ArrayForEach(item, train)
    {
        for (size_t f = 0; f < nf; f++)
            if (!strcmp(fam[f].name, item->valuestring)) CHECK(fam[f].split == AS_SPLIT_TRAIN);
    }
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(vs, "validation")) >= 2);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(vs, "test")) >= 2);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(meta, "feature_names")) == AS_FEAT_DIM);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(meta, "shards")) == 5);
    cJSON_Delete(meta);
    free(text);
}

static void test_determinism(void)
{
    /* jobs 1 in one go, and jobs 2 in two --shard slices: the same bytes. */
    char a[512], b[512];
    snprintf(a, sizeof a, "%s/data", test_tmpdir());
    snprintf(b, sizeof b, "%s/data", test_tmpdir());
    as_generate_params p = params(corpus, a, 1);
    CHECKF(as_dataset_generate(&p, NULL) == AS_OK, "%s", as_last_error());
    as_generate_params q = params(corpus, b, 2);
    as_generate_report rep;
    q.shard_k = 2;
    q.shard_n = 2;
    CHECK(as_dataset_generate(&q, &rep) == AS_OK && rep.shards_in_slice == 2 && rep.shards_made == 2);
    q.shard_k = 1;
    CHECK(as_dataset_generate(&q, &rep) == AS_OK && rep.shards_in_slice == 3 && rep.shards_made == 3);
    int files = 0;
    CHECK(same_shards(ref, a, &files));
    CHECK(same_shards(ref, b, &files));
    CHECK(files == 2 * 5 * 9);
    /* Another seed gives other data. */
    char c[512];
    snprintf(c, sizeof c, "%s/data", test_tmpdir());
    as_generate_params r = params(corpus, c, 2);
    r.seed = 8;
    CHECK(as_dataset_generate(&r, NULL) == AS_OK);
    files = 0;
    CHECK(!same_shards(ref, c, &files));
    rm_rf(a);
    rm_rf(b);
    rm_rf(c);
}

static int kill_after_first_shard(const as_generate_progress *pr, void *user)
{
    (void)user;
    if (pr->shards_done >= 1) kill(getpid(), SIGKILL);
    return 0;
}

static void test_resume(void)
{
    /* 1. A run killed (SIGKILL) once its first shard is written. */
    char d[512];
    snprintf(d, sizeof d, "%s/data", test_tmpdir());
    pid_t pid = fork();
    if (pid == 0) {
        as_generate_params p = params(corpus, d, 2);
        p.progress = kill_after_first_shard;
        as_dataset_generate(&p, NULL);
        _exit(0); /* not reached when the kill works */
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    as_dataset *ds = as_dataset_open(d);
    size_t present = 0;
    for (size_t s = 0; ds && s < as_dataset_shard_count(ds); s++) present += as_dataset_shard_at(ds, s)->present;
    as_dataset_close(ds);
    CHECKF(present >= 1 && present < 5, "%zu shards present after the kill", present);
    as_generate_params p = params(corpus, d, 2);
    as_generate_report rep;
    CHECKF(as_dataset_generate(&p, &rep) == AS_OK, "%s", as_last_error());
    CHECK(rep.shards_skipped == present && rep.shards_made == 5 - present);
    CHECK(count_tmp(d) == 0);
    int files = 0;
    CHECK(same_shards(ref, d, &files));

    /* 2. A lost shard and a leftover temporary directory of a dead process. */
    char lost[600], tmp[600], junk[700];
    snprintf(lost, sizeof lost, "%s/train-00001", d);
    rm_rf(lost);
    snprintf(tmp, sizeof tmp, "%s/train-00001.tmp.%d", d, 999999999);
    CHECK(mkdir(tmp, 0777) == 0);
    snprintf(junk, sizeof junk, "%s/features.npy", tmp);
    write_text(junk, "half a file");
    CHECK(as_dataset_generate(&p, &rep) == AS_OK);
    CHECK(rep.shards_skipped == 4 && rep.shards_made == 1 && rep.clips_made == 4);
    CHECK(count_tmp(d) == 0);
    files = 0;
    CHECK(same_shards(ref, d, &files));

    /* 3. Nothing to do: everything is skipped. */
    CHECK(as_dataset_generate(&p, &rep) == AS_OK && rep.shards_skipped == 5 && rep.shards_made == 0);

    /* 4. The same directory with other settings is refused, naming the setting. */
    p.seed = 99;
    CHECK(as_dataset_generate(&p, &rep) == AS_ERR_INVALID_ARG);
    CHECK(strstr(as_last_error(), "seed") != NULL);
    rm_rf(d);
}

static int cancel_at_once(const as_generate_progress *pr, void *user)
{
    (void)pr;
    (*(int *)user)++;
    return 1;
}

static void test_cancel(void)
{
    /* A progress callback that says stop: the run ends "cancelled", its
     * unfinished shard's temporary directory is gone, no shard is half made. */
    char d[512];
    snprintf(d, sizeof d, "%s/data", test_tmpdir());
    as_generate_params p = params(corpus, d, 2);
    int calls = 0;
    p.progress = cancel_at_once;
    p.progress_user = &calls;
    as_generate_report rep;
    CHECK(as_dataset_generate(&p, &rep) == AS_ERR_INVALID_ARG && strstr(as_last_error(), "cancelled"));
    CHECK(calls >= 1 && rep.shards_made == 0);
    CHECK(count_tmp(d) == 0);
    as_dataset *ds = as_dataset_open(d);
    size_t present = 0;
    for (size_t s = 0; ds && s < as_dataset_shard_count(ds); s++) present += as_dataset_shard_at(ds, s)->present;
    CHECK(ds != NULL && present == 0);
    as_dataset_close(ds);
    rm_rf(d);
}

/* Fault injection on the reader: fail the N-th allocation; every path must
 * fail cleanly with a message (ASan's leak checker sees what it forgets). */
static int fail_at = -1, alloc_count = 0;
static void *fi_malloc(size_t n, void *u) { (void)u; return alloc_count++ == fail_at ? NULL : malloc(n); }
static void *fi_realloc(void *q, size_t n, void *u) { (void)u; return alloc_count++ == fail_at ? NULL : realloc(q, n); }
static void fi_free(void *q, void *u) { (void)u; free(q); }

static void test_reader_faults(void)
{
    as_allocator fi = {fi_malloc, fi_realloc, fi_free, NULL};
    int failed = 0, succeeded = 0, silent = 0;
    for (fail_at = 0; fail_at < 60; fail_at++) {
        alloc_count = 0;
        as_set_allocator(&fi);
        as_dataset *ds = as_dataset_open(ref);
        as_result r = ds ? AS_OK : AS_ERR_NOMEM;
        as_dataset_shard sh;
        if (ds) r = as_dataset_shard_load(ds, 0, &sh);
        if (ds && r == AS_OK) as_dataset_shard_clear(&sh);
        as_dataset_close(ds);
        as_set_allocator(NULL);
        if (r == AS_OK) succeeded++;
        else { failed++; silent += as_last_error()[0] == 0; }
    }
    CHECK(failed >= 10 && succeeded >= 1 && silent == 0);
}

/* An .npy file that is a header and no data (format 1.0: magic, version,
 * little-endian header length, the dict padded with spaces to 64 bytes). */
static void write_npy_header(const char *path, const char *dict)
{
    size_t n = strlen(dict), padded = (10 + n + 1 + 63) / 64 * 64;
    char head[256];
    CHECK(padded <= sizeof head);
    if (padded > sizeof head) return;
    memcpy(head, "\x93NUMPY\x01\x00", 8);
    head[8] = (char)((padded - 10) & 0xff);
    head[9] = (char)((padded - 10) >> 8);
    memcpy(head + 10, dict, n);
    memset(head + 10 + n, ' ', padded - 10 - n - 1);
    head[padded - 1] = '\n';
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    CHECK(fwrite(head, 1, padded, f) == padded);
    fclose(f);
}

/* Regressions for two reader bugs seen while writing fuzz/fuzz_dataset.c:
 * numbers too large for the reader's sizes, in meta.json and in an .npy
 * shape. */
static void test_corrupt_headers(void)
{
    char d[512], shard[600], path[700];
    snprintf(d, sizeof d, "%s/data", test_tmpdir());
    snprintf(shard, sizeof shard, "%s/train-00000", d);
    CHECK(mkdir(d, 0777) == 0 && mkdir(shard, 0777) == 0);
    snprintf(path, sizeof path, "%s/meta.json", d);

    /* A first clip beyond any dataset: converting 1e300 to size_t was
     * undefined behaviour; now the entry is refused. */
    write_text(path, "{\"format\": \"animasync-dataset\", \"version\": 1, \"shards\": [{\"name\": \"train-00000\", "
                     "\"split\": \"train\", \"first_clip\": 1e300, \"clips\": 1}]}");
    as_dataset *ds = as_dataset_open(d);
    CHECK(ds == NULL && strstr(as_last_error(), "shards[0]"));
    as_dataset_close(ds);

    /* Shard names that are not a directory of the dataset: "..", "." and "" */
    static const char *const names[] = {"..", ".", ""};
    for (int i = 0; i < 3; i++) {
        char meta[512];
        snprintf(meta, sizeof meta,
                 "{\"format\": \"animasync-dataset\", \"version\": 1, \"shards\": [{\"name\": \"%s\", "
                 "\"split\": \"train\", \"first_clip\": 0, \"clips\": 1}]}",
                 names[i]);
        write_text(path, meta);
        ds = as_dataset_open(d);
        CHECKF(ds == NULL && strstr(as_last_error(), "shards[0]"), "shard name \"%s\" refused", names[i]);
        as_dataset_close(ds);
    }

    /* A shape whose byte count wraps to 0: (2^58, 8) int64 with no data was
     * accepted with a 1-byte buffer (the shard loader then read its rows out
     * of bounds when meta.json planned 2^58 clips). */
    write_text(path, "{\"format\": \"animasync-dataset\", \"version\": 1, \"shards\": [{\"name\": \"train-00000\", "
                     "\"split\": \"train\", \"first_clip\": 0, \"clips\": 1}]}");
    snprintf(path, sizeof path, "%s/clips.npy", shard);
    write_npy_header(path, "{'descr': '<i8', 'fortran_order': False, 'shape': (288230376151711744, 8), }");
    ds = as_dataset_open(d);
    CHECKF(ds != NULL, "%s", as_last_error());
    as_dataset_shard sh;
    CHECK(ds && as_dataset_shard_load(ds, 0, &sh) == AS_ERR_PARSE && strstr(as_last_error(), "overflows"));
    as_dataset_close(ds);
    rm_rf(d);
}

static int copy_dir(const char *from, const char *to)
{
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "cp -r '%s' '%s'", from, to);
    return system(cmd);
}

static void test_check_dataset(void)
{
    as_dataset_report rep;
    CHECKF(as_dataset_check(ref, &rep) == AS_OK, "%s", as_last_error());
    CHECK(rep.contract.all_pass);
    for (int i = 0; i < rep.contract.n; i++)
        CHECKF(rep.contract.m[i].pass, "%s = %g (%s)", rep.contract.m[i].name, rep.contract.m[i].value,
               rep.contract.m[i].detail);
    CHECK(rep.clips == 12 && rep.shards_present == 5);
    size_t turns = 0, frames = 0, fam_clips = 0, dur = 0;
    for (int e = 0; e < AS_NUM_EMOTIONS; e++) { turns += rep.class_turns[e]; frames += rep.class_frames[e]; }
    for (size_t f = 0; f < rep.n_families; f++) fam_clips += rep.family_clips[f];
    for (int b = 0; b < AS_DATASET_DURATION_BINS; b++) dur += rep.duration_clips[b];
    size_t levels = 0;
    for (int l = 0; l < AS_NUM_LEVELS; l++) levels += rep.level_turns[l];
    CHECK(turns >= 12 && levels == turns && frames == rep.anim_frames && fam_clips == 12 && dur == 12);

    char cmd[1400], out[65536];
    snprintf(cmd, sizeof cmd, "%s check-dataset '%s' --format json", AS_CLI, ref);
    CHECK(test_run(cmd, out, sizeof out) == 0);
    cJSON *j = cJSON_Parse(out);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(j, "pass")));
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "clips")) == 12);
    cJSON_Delete(j);

    /* Corrupted targets: the LIPSYNC channels of one shard no longer follow
     * the teacher (the file stays well-formed). */
    char bad[512];
    snprintf(bad, sizeof bad, "%s/data", test_tmpdir());
    CHECK(copy_dir(ref, bad) == 0);
    char tpath[700];
    snprintf(tpath, sizeof tpath, "%s/train-00000/targets.npy", bad);
    size_t len;
    char *t = test_read_file(tpath, &len);
    CHECK(t != NULL && len > 128);
    if (t) {
        size_t head = 10 + ((size_t)(unsigned char)t[8] | (size_t)(unsigned char)t[9] << 8);
        float *v = (float *)(t + head);
        size_t rows = (len - head) / (AS_NUM_CHANNELS * sizeof(float));
        for (size_t i = 0; i < rows; i++)
            for (int ch = 0; ch < AS_NUM_CHANNELS; ch++)
                if (as_channel_class_of(ch) == AS_CHANNEL_LIPSYNC) v[i * AS_NUM_CHANNELS + ch] = 0.5f;
        write_text(tpath, ""); /* truncate, then write the bytes back */
        FILE *f = fopen(tpath, "wb");
        fwrite(t, 1, len, f);
        fclose(f);
        free(t);
    }
    CHECK(as_dataset_check(bad, &rep) == AS_OK && !rep.contract.all_pass);
    int lip_failed = 0;
    for (int i = 0; i < rep.contract.n; i++)
        if (!strcmp(rep.contract.m[i].name, "lipsync_preservation")) lip_failed = !rep.contract.m[i].pass;
    CHECK(lip_failed);
    snprintf(cmd, sizeof cmd, "%s check-dataset '%s' > /dev/null", AS_CLI, bad);
    CHECK(test_run(cmd, NULL, 0) == 1);

    /* A truncated file: the shard is unreadable, named in the detail. */
    snprintf(tpath, sizeof tpath, "%s/test-00000/features.npy", bad);
    write_text(tpath, "\x93NUMPY");
    CHECK(as_dataset_check(bad, &rep) == AS_OK && !rep.contract.all_pass);
    CHECK(rep.contract.m[0].value == 1 && strstr(rep.contract.m[0].detail, "test-00000/features.npy"));
    rm_rf(bad);

    /* The voice split is the dataset's own (meta.json voice_families), not
     * this build's table: a dataset whose meta says a training clip's voice
     * was held out fails the check, naming it. */
    char moved[512];
    snprintf(moved, sizeof moved, "%s/moved", test_tmpdir());
    CHECK(copy_dir(ref, moved) == 0);
    as_dataset *ds = as_dataset_open(moved);
    as_dataset_shard sh;
    as_dataset_clip c0;
    int fam0 = -1;
    if (ds && as_dataset_shard_load(ds, 0, &sh) == AS_OK) {
        if (as_dataset_shard_clip(&sh, 0, &c0) == AS_OK) fam0 = c0.family;
        as_dataset_shard_clear(&sh);
    }
    CHECK(fam0 >= 0 && as_dataset_family_split(ds, fam0) == AS_SPLIT_TRAIN);
    CHECK(as_dataset_family_split(ds, 999) == AS_SPLIT_NONE);
    as_dataset_close(ds);
    snprintf(tpath, sizeof tpath, "%s/meta.json", moved);
    char *mt = test_read_file(tpath, NULL);
    cJSON *meta = mt ? cJSON_Parse(mt) : NULL;
    cJSON *vf = cJSON_GetArrayItem(cJSON_GetObjectItem(meta, "voice_families"), fam0);
    CHECK(vf != NULL && cJSON_GetNumberValue(cJSON_GetObjectItem(vf, "index")) == fam0);
    if (vf) cJSON_ReplaceItemInObject(vf, "split", cJSON_CreateString("test"));
    char *printed = meta ? cJSON_Print(meta) : NULL;
    if (printed) write_text(tpath, printed);
    free(printed);
    cJSON_Delete(meta);
    free(mt);
    ds = as_dataset_open(moved);
    CHECK(ds && as_dataset_family_split(ds, fam0) == AS_SPLIT_TEST);
    as_dataset_close(ds);
    CHECK(as_dataset_check(moved, &rep) == AS_OK && !rep.contract.all_pass);
    int split_failed = 0;
    for (int i = 0; i < rep.contract.n; i++)
        if (!strcmp(rep.contract.m[i].name, "voice_split_violations"))
            split_failed = !rep.contract.m[i].pass && strstr(rep.contract.m[i].detail, "is train but spoken by");
    CHECK(split_failed);
    rm_rf(moved);

    /* Not a dataset: an error, and exit status 2 from the command. */
    CHECK(as_dataset_check(corpus, &rep) == AS_ERR_PARSE);
    snprintf(cmd, sizeof cmd, "%s check-dataset '%s' 2>/dev/null", AS_CLI, corpus);
    CHECK(test_run(cmd, NULL, 0) == 2);
}

static void test_errors_and_cli(void)
{
    char d[512];
    snprintf(d, sizeof d, "%s/data", test_tmpdir());
    as_generate_params p = params(corpus, d, 1);
    p.clips = 0;
    CHECK(as_dataset_generate(&p, NULL) == AS_ERR_RANGE && strstr(as_last_error(), "clips"));
    p = params(corpus, NULL, 1);
    CHECK(as_dataset_generate(&p, NULL) == AS_ERR_INVALID_ARG);
    p = params(corpus, d, 1);
    p.shard_k = 3;
    p.shard_n = 2;
    CHECK(as_dataset_generate(&p, NULL) == AS_ERR_RANGE);
    p = params("/nonexistent/corpus", d, 1);
    CHECK(as_dataset_generate(&p, NULL) == AS_ERR_PARSE && strstr(as_last_error(), "/nonexistent/corpus"));
    p = params(corpus, d, 1);
    p.augment.snr_db_min = 90;
    CHECK(as_dataset_generate(&p, NULL) == AS_ERR_RANGE && strstr(as_last_error(), "snr"));
    CHECK(as_dataset_generate(NULL, NULL) == AS_ERR_INVALID_ARG);
    CHECK(as_dataset_open("/nonexistent") == NULL && strstr(as_last_error(), "meta.json"));

    char cmd[1400], out[8192];
    snprintf(cmd, sizeof cmd, "%s generate --help", AS_CLI);
    CHECK(test_run(cmd, out, sizeof out) == 0 && strstr(out, "--shard K/N"));
    snprintf(cmd, sizeof cmd, "%s generate --scenarios '%s' --out '%s' --shard 0/2 2>&1", AS_CLI, corpus, d);
    CHECK(test_run(cmd, out, sizeof out) == 2 && strstr(out, "--shard"));
    snprintf(cmd, sizeof cmd, "%s generate --out '%s' 2>&1", AS_CLI, d);
    CHECK(test_run(cmd, out, sizeof out) == 2 && strstr(out, "--scenarios"));
    snprintf(cmd, sizeof cmd, "%s generate --scenarios '%s' --out '%s' --clips 3 --validation-fraction 0 "
                              "--test-fraction 0 --quiet", AS_CLI, corpus, d);
    CHECK(test_run(cmd, out, sizeof out) == 0 && strstr(out, "3 clips"));
    snprintf(cmd, sizeof cmd, "%s/meta.json", d);
    char *meta = test_read_file(cmd, NULL);
    CHECK(meta && strstr(meta, "\"command\": \"animasync generate --scenarios"));
    free(meta);
    snprintf(cmd, sizeof cmd, "%s check-dataset --help", AS_CLI);
    CHECK(test_run(cmd, out, sizeof out) == 0 && strstr(out, "check-dataset DIR"));
    rm_rf(d);
}

/* Speed perturbation: training clips play s times faster (their samples
 * unchanged, declared at a rate s times higher), every other draw is the
 * same as without it, held-out clips are untouched, and the teacher's
 * timing follows the new clock. */
static cJSON *manifest_lines(const char *dir, int *n)
{
    char path[600];
    snprintf(path, sizeof path, "%s/manifest.jsonl", dir);
    char *text = test_read_file(path, NULL);
    cJSON *arr = cJSON_CreateArray();
    *n = 0;
    for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        cJSON_AddItemToArray(arr, cJSON_Parse(line));
        (*n)++;
    }
    free(text);
    return arr;
}

static double jnum(const cJSON *o, const char *k) { return cJSON_GetNumberValue(cJSON_GetObjectItem(o, k)); }
static const char *jstr(const cJSON *o, const char *k) { return cJSON_GetStringValue(cJSON_GetObjectItem(o, k)); }

/* The first frame whose viseme is not silence (the first phoneme's onset). */
static long first_voiced_frame(const as_dataset_clip *c)
{
    for (size_t t = 0; t < c->n_anim; t++)
        if (c->visemes[t] != 0) return (long)t;
    return -1;
}

static void test_speed_perturbation(void)
{
    char d[512];
    snprintf(d, sizeof d, "%s/speed", test_tmpdir());
    as_generate_params p = params(corpus, d, 2);
    p.speed_min = 0.85f;
    p.speed_max = 1.15f;
    CHECKF(as_dataset_generate(&p, NULL) == AS_OK, "%s", as_last_error());
    int na, nb;
    cJSON *a = manifest_lines(ref, &na), *b = manifest_lines(d, &nb);
    CHECK(na == 12 && nb == 12);
    int perturbed = 0, slower = 0, faster = 0;
    double ratio[12]; /* new duration / old duration, by clip */
    for (int i = 0; i < 12; i++) ratio[i] = 1.0;
    for (int i = 0; i < na && i < nb && i < 12; i++) {
        const cJSON *x = cJSON_GetArrayItem(a, i), *y = cJSON_GetArrayItem(b, i);
        /* Every draw but the speed is the same. */
        CHECK(!strcmp(jstr(x, "text"), jstr(y, "text")) && !strcmp(jstr(x, "voice"), jstr(y, "voice")));
        CHECK(jnum(x, "rate") == jnum(y, "rate") && jnum(x, "pitch") == jnum(y, "pitch") &&
              jnum(x, "style_gain") == jnum(y, "style_gain") && jnum(x, "samples") == jnum(y, "samples"));
        const cJSON *sp = cJSON_GetObjectItem(y, "speed");
        CHECK(cJSON_GetObjectItem(x, "speed") == NULL);
        if (strcmp(jstr(y, "split"), "train")) {
            CHECK(sp == NULL && jnum(x, "rate_hz") == jnum(y, "rate_hz"));
            continue;
        }
        CHECK(sp != NULL);
        if (!sp) continue;
        double s = cJSON_GetNumberValue(sp);
        CHECK(s >= 0.85 && s <= 1.15);
        perturbed++;
        slower += s < 1.0;
        faster += s > 1.0;
        CHECK(jnum(y, "rate_hz") == (double)lround(jnum(x, "rate_hz") * s));
        double k = jnum(x, "rate_hz") / jnum(y, "rate_hz");
        ratio[i] = k;
        CHECKF(fabs(jnum(y, "duration_s") - jnum(x, "duration_s") * k) < 1e-4, "%g vs %g", jnum(y, "duration_s"),
               jnum(x, "duration_s") * k);
    }
    CHECK(perturbed == 10 && slower > 0 && faster > 0);
    cJSON_Delete(a);
    cJSON_Delete(b);

    /* The teacher's clock follows: the first phoneme starts s times earlier. */
    as_dataset *da = as_dataset_open(ref), *db = as_dataset_open(d);
    CHECK(da && db);
    int timed = 0;
    for (size_t s = 0; da && db && s < 3; s++) {
        as_dataset_shard sa, sb;
        if (as_dataset_shard_load(da, s, &sa) != AS_OK) continue;
        if (as_dataset_shard_load(db, s, &sb) == AS_OK) {
            for (size_t r = 0; r < sa.n_clips && r < sb.n_clips; r++) {
                as_dataset_clip ca, cb;
                as_dataset_shard_clip(&sa, r, &ca);
                as_dataset_shard_clip(&sb, r, &cb);
                double k = cb.index < 12 ? ratio[cb.index] : 1.0;
                CHECK(ca.index == cb.index && k > 1 / 1.16 && k < 1 / 0.84 && k != 1.0);
                CHECKF(fabs((double)cb.n_anim - (double)ca.n_anim * k) <= 1.0, "%zu vs %zu x %g", cb.n_anim,
                       ca.n_anim, k);
                long fa = first_voiced_frame(&ca), fb = first_voiced_frame(&cb);
                if (fa > 3) {
                    CHECKF(fabs((double)fb - (double)fa * k) <= 1.0, "first phoneme at %ld vs %ld x %g", fb, fa, k);
                    timed++;
                }
            }
            as_dataset_shard_clear(&sb);
        }
        as_dataset_shard_clear(&sa);
    }
    CHECK(timed > 0);
    as_dataset_close(da);
    as_dataset_close(db);

    /* Only a dataset made with it records it in its configuration. */
    char path[600];
    snprintf(path, sizeof path, "%s/meta.json", ref);
    char *ma = test_read_file(path, NULL);
    snprintf(path, sizeof path, "%s/meta.json", d);
    char *mb = test_read_file(path, NULL);
    CHECK(ma && mb && !strstr(ma, "\"speed\"") && strstr(mb, "\"speed\": [0.85, 1.15]"));
    free(ma);
    free(mb);
    rm_rf(d);

    p = params(corpus, d, 1);
    p.speed_min = 0.5f;
    CHECK(as_dataset_generate(&p, NULL) == AS_ERR_RANGE && strstr(as_last_error(), "speed"));
    p.speed_min = 1.2f;
    p.speed_max = 1.1f;
    CHECK(as_dataset_generate(&p, NULL) == AS_ERR_RANGE && strstr(as_last_error(), "speed"));
    char cmd[1400], out[4096];
    snprintf(cmd, sizeof cmd, "%s generate --scenarios '%s' --out '%s' --speed 0.9,2 2>&1", AS_CLI, corpus, d);
    CHECK(test_run(cmd, out, sizeof out) == 2 && strstr(out, "--speed"));
}

int main(void)
{
    corpus = make_corpus();
    test_generate_and_load();
    test_voice_split();
    test_speed_perturbation();
    test_determinism();
    test_resume();
    test_check_dataset();
    test_cancel();
    test_reader_faults();
    test_corrupt_headers();
    test_errors_and_cli();
    rm_rf(ref);
    rm_rf(corpus);
    return test_finish("test_generate");
}
