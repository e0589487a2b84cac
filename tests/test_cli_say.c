/* tests/test_cli_say.c — `animasync say`, `timeline` and `voices` as a user
 * runs them: the files written and their formats, determinism by seed, and
 * errors (unknown voice, empty text, unwritable output) that exit 2 and
 * leave no partial files. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "animasync/animasync.h"
#include "testutil.h"

static char out[1 << 16];

static int run(const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s 2>/tmp/animasync-cli-say-stderr.txt", AS_CLI, args);
    return test_run(cmd, out, sizeof out);
}

static void expect_fail(const char *args, const char *dir, const char *needle)
{
    int st = run(args);
    char *err = test_read_file("/tmp/animasync-cli-say-stderr.txt", NULL);
    CHECKF(st == 2, "%s: exit %d", args, st);
    CHECKF(err && strstr(err, needle), "%s: stderr \"%s\" lacks \"%s\"", args, err ? err : "", needle);
    CHECKF(err && strchr(err, '\n') == err + strlen(err) - 1, "%s: error is not one line: %s", args, err ? err : "");
    if (dir) CHECKF(test_dir_entries(dir) <= 0, "%s: left files in %s", args, dir);
    free(err);
}

int main(void)
{
    const char *dir = test_tmpdir();
    char args[1024], path[512];
    snprintf(args, sizeof args, "say \"[joy:80] Thanks so much! [sadness:40] But I must go.\" --seed 3 -o %s/a --format npy,livelink", dir);
    CHECK(run(args) == 0);

    /* anim.json: fps, names, frames, audio, segments */
    snprintf(path, sizeof path, "%s/a/anim.json", dir);
    char *json = test_read_file(path, NULL);
    cJSON *root = json ? cJSON_Parse(json) : NULL;
    CHECK(root != NULL);
    size_t T = 0;
    if (root) {
        CHECK(cJSON_GetObjectItem(root, "fps")->valuedouble == 30.0);
        CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(root, "names")) == AS_NUM_CHANNELS);
        CHECK(!strcmp(cJSON_GetArrayItem(cJSON_GetObjectItem(root, "names"), 17)->valuestring, "jawOpen"));
        const cJSON *frames = cJSON_GetObjectItem(root, "frames");
        T = (size_t)cJSON_GetArraySize(frames);
        CHECK(T > 30 && cJSON_GetArraySize(cJSON_GetArrayItem(frames, 0)) == AS_NUM_CHANNELS);
        CHECK(!strcmp(cJSON_GetObjectItem(root, "audio")->valuestring, "speech.wav"));
        const cJSON *segs = cJSON_GetObjectItem(root, "segments");
        CHECK(cJSON_GetArraySize(segs) == 2);
        const cJSON *s1 = cJSON_GetArrayItem(segs, 1);
        CHECK(s1 && !strcmp(cJSON_GetObjectItem(s1, "emotion")->valuestring, "sadness"));
        CHECK(s1 && fabs(cJSON_GetObjectItem(s1, "intensity")->valuedouble - 0.4) < 1e-6);
        CHECK(s1 && cJSON_GetObjectItem(s1, "start")->valuedouble > 0.5);
    }
    cJSON_Delete(root);
    free(json);

    /* The WAV is as long as the animation. */
    snprintf(path, sizeof path, "%s/a/speech.wav", dir);
    float *pcm = NULL;
    size_t n = 0;
    int rate = 0;
    CHECK(as_audio_read(path, &pcm, &n, &rate) == AS_OK && rate > 0);
    if (rate) CHECKF(fabs(ceil((double)n / rate * 30.0) - (double)T) <= 1.0, "%zu samples at %d vs %zu frames", n, rate, T);
    as_free(pcm);

    /* CSV, NPY and Live Link files read back with the same frame count. */
    const char *others[] = {"anim.csv", "anim.npy", "anim_livelink.csv"};
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/a/%s", dir, others[k]);
        as_anim a;
        CHECKF(as_anim_read(path, &a) == AS_OK, "%s: %s", others[k], as_last_error());
        CHECKF(a.num_frames == T, "%s: %zu frames, want %zu", others[k], a.num_frames, T);
        as_anim_clear(&a);
    }
    snprintf(path, sizeof path, "%s/a/anim.csv", dir);
    char *csv = test_read_file(path, NULL);
    CHECK(csv && !strncmp(csv, "time,eyeBlinkLeft,", 18));
    free(csv);

    /* Same seed, same bytes; another seed, other eyes. */
    snprintf(args, sizeof args, "say \"[joy:80] Thanks so much! [sadness:40] But I must go.\" --seed 3 -o %s/b", dir);
    CHECK(run(args) == 0);
    snprintf(args, sizeof args, "say \"[joy:80] Thanks so much! [sadness:40] But I must go.\" --seed 4 -o %s/c", dir);
    CHECK(run(args) == 0);
    char pa[512], pb[512], pc[512];
    snprintf(pa, sizeof pa, "%s/a/anim.json", dir);
    snprintf(pb, sizeof pb, "%s/b/anim.json", dir);
    snprintf(pc, sizeof pc, "%s/c/anim.json", dir);
    char *ja = test_read_file(pa, NULL), *jb = test_read_file(pb, NULL), *jc = test_read_file(pc, NULL);
    CHECK(ja && jb && jc && !strcmp(ja, jb) && strcmp(ja, jc));
    free(ja);
    free(jb);
    free(jc);

    /* Korean with flite's neighbour engine, and flite in English. */
    snprintf(args, sizeof args, "say \"[기쁨] 안녕하세요, 만나서 반가워요.\" --voice ko -o %s/ko", dir);
    CHECK(run(args) == 0);
    snprintf(args, sizeof args, "say \"[surprise] Oh, my goodness.\" --engine flite --voice kal -o %s/fl", dir);
    CHECK(run(args) == 0);

    /* Errors: exit 2, one line, nothing left behind. */
    snprintf(path, sizeof path, "%s/e1", dir);
    snprintf(args, sizeof args, "say \"hello\" --voice xx-nope -o %s", path);
    expect_fail(args, path, "xx-nope");
    snprintf(args, sizeof args, "say \"\" -o %s", path);
    expect_fail(args, path, "empty");
    snprintf(args, sizeof args, "say \"[joy:150] hi\" -o %s", path);
    expect_fail(args, path, "character 1");
    snprintf(args, sizeof args, "say \"[joy\" -o %s", path);
    expect_fail(args, path, "[joy");
    snprintf(args, sizeof args, "say \"hello\" --engine nope -o %s", path);
    expect_fail(args, path, "--engine");
    /* Unwritable output: a directory inside a regular file. */
    snprintf(path, sizeof path, "%s/a/anim.csv/sub", dir);
    snprintf(args, sizeof args, "say \"hello\" -o %s", path);
    expect_fail(args, NULL, "anim.csv");
    mkdir("/tmp/animasync-ro-test", 0555);
    chmod("/tmp/animasync-ro-test", 0555);
    if (access("/tmp/animasync-ro-test", W_OK) != 0) { /* root can write anyway: skip then */
        expect_fail("say \"hello\" -o /tmp/animasync-ro-test", "/tmp/animasync-ro-test", "animasync-ro-test");
    }
    rmdir("/tmp/animasync-ro-test");
    expect_fail("say -o /tmp/x", NULL, "TEXT");
    expect_fail("say \"hi\"", NULL, "-o");

    /* timeline: expression only, format from the extension. */
    snprintf(args, sizeof args, "timeline \"[joy] Hello there. [anger:90] Stop that.\" --duration 4 -o %s/t.csv", dir);
    CHECK(run(args) == 0);
    snprintf(path, sizeof path, "%s/t.csv", dir);
    as_anim a;
    CHECK(as_anim_read(path, &a) == AS_OK && a.num_frames == 120 && a.format == AS_FORMAT_CSV);
    as_anim_clear(&a);
    snprintf(args, sizeof args, "timeline \"hi\" -o %s/t2.json", dir);
    expect_fail(args, NULL, "--duration");
    snprintf(args, sizeof args, "timeline \"hi\" --duration 2 -o %s/t.xyz", dir);
    expect_fail(args, NULL, "format");

    /* voices: both engines, as text and JSON. */
    CHECK(run("voices") == 0 && strstr(out, "espeak") && strstr(out, "flite") && strstr(out, "slt"));
    CHECK(run("voices --engine flite --format json") == 0);
    root = cJSON_Parse(out);
    CHECK(root && cJSON_GetArraySize(root) == 5);
    cJSON_Delete(root);

    const char *cmds[] = {"say", "timeline", "voices"};
    for (int k = 0; k < 3; k++) {
        snprintf(args, sizeof args, "%s --help", cmds[k]);
        CHECK(run(args) == 0 && strstr(out, "usage: animasync"));
    }
    char rm[600];
    snprintf(rm, sizeof rm, "rm -rf %s", dir);
    CHECK(system(rm) == 0);
    return test_finish("test_cli_say");
}
