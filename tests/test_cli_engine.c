/* tests/test_cli_engine.c — the `animasync` command's engine subcommands
 * (compile, emotions, presets, check) as a user runs them: output shape,
 * exit status, and clear errors with nothing on stdout for bad input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "animasync/animasync.h"
#include "testutil.h"

static char out[1 << 20];

/* Runs the command with args; returns the exit status, stdout in out. */
static int run(const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s 2>/tmp/animasync-cli-stderr.txt", AS_CLI, args);
    return test_run(cmd, out, sizeof out);
}

static char *last_stderr(void) { return test_read_file("/tmp/animasync-cli-stderr.txt", NULL); }

static void expect_usage_error(const char *args, const char *needle)
{
    int st = run(args);
    char *err = last_stderr();
    CHECKF(st == 2, "%s: exit %d", args, st);
    CHECKF(out[0] == 0, "%s: stdout not empty", args);
    CHECKF(err && strstr(err, needle) && strchr(err, '\n') == err + strlen(err) - 1,
           "%s: stderr \"%s\" lacks \"%s\" or is not one line", args, err ? err : "", needle);
    free(err);
}

int main(void)
{
    float w[AS_NUM_CHANNELS], p[AS_NUM_CHANNELS];
    CHECK(run("compile --emotion joy --level 3") == 0);
    CHECK(test_face_weights(out, w));
    as_preset_bank_get(NULL, AS_EMO_JOY, 3, p);
    for (int i = 0; i < AS_NUM_CHANNELS; i++) CHECK(fabsf(w[i] - p[i]) <= 1e-4f);
    /* --intensity 1 is level 5; aliases and Korean names work. */
    CHECK(run("compile --emotion sadness --intensity 1") == 0 && test_face_weights(out, w));
    as_preset_bank_get(NULL, AS_EMO_SADNESS, 5, p);
    for (int i = 0; i < AS_NUM_CHANNELS; i++) CHECK(fabsf(w[i] - p[i]) <= 1e-4f);
    CHECK(run("compile --emotion 기쁨 --level 2 --strength 1.5") == 0 && test_face_weights(out, w));
    CHECK(run("compile --emotion thanks --vad 0.8,0.4,0.5 --format csv") == 0);
    CHECK(!strncmp(out, "eyeBlinkLeft,", 13) && strchr(out, '\n') && strchr(strchr(out, '\n') + 1, '\n'));
    CHECK(run("compile --emotion joy --strength 0") == 0 && test_face_weights(out, w));
    as_preset_bank_get(NULL, AS_EMO_NEUTRAL, 3, p);
    CHECK(memcmp(w, p, sizeof w) == 0);

    expect_usage_error("compile --emotion glee", "glee");
    expect_usage_error("compile --emotion joy --vad 1.2,0.3,0.3", "--vad");
    expect_usage_error("compile --emotion joy --vad 0.3,0.3", "--vad");
    expect_usage_error("compile --emotion joy --level 7", "--level");
    expect_usage_error("compile --emotion joy --level two", "--level");
    expect_usage_error("compile --emotion joy --strength 3", "--strength");
    expect_usage_error("compile --level 3", "--emotion");
    expect_usage_error("compile --emotion joy --presets /nonexistent.json", "/nonexistent.json");
    expect_usage_error("compile --emotion joy --bogus", "--bogus");
    expect_usage_error("frobnicate", "frobnicate");

    const char *dir = test_tmpdir();
    char args[512], path[256];
    snprintf(path, sizeof path, "%s/bad.json", dir);
    FILE *f = fopen(path, "w");
    fputs("{\"presets\": [{\"emotion\": \"joy\", \"level\": 3, \"weights\": {\"smile\": 0.4}}]}", f);
    fclose(f);
    snprintf(args, sizeof args, "compile --emotion joy --presets %s", path);
    expect_usage_error(args, "smile");

    /* presets --export writes a complete bank that loads back to the same faces. */
    snprintf(path, sizeof path, "%s/bank.json", dir);
    snprintf(args, sizeof args, "presets --export %s", path);
    CHECK(run(args) == 0);
    as_preset_bank *b = as_preset_bank_load(path);
    CHECK(b != NULL);
    if (b) {
        as_preset_bank_get(b, AS_EMO_SHY, 5, w);
        as_preset_bank_get(NULL, AS_EMO_SHY, 5, p);
        CHECK(memcmp(w, p, sizeof w) == 0);
        as_preset_bank_destroy(b);
    }
    snprintf(args, sizeof args, "presets --export %s/no/such/dir/x.json", dir);
    CHECK(run(args) == 2);

    /* emotions --format json lists 16 classes with 5 anchors and the lexicon. */
    CHECK(run("emotions --format json") == 0);
    cJSON *root = cJSON_Parse(out);
    CHECK(root && cJSON_GetArraySize(cJSON_GetObjectItem(root, "classes")) == 16);
    CHECK(root && cJSON_GetArraySize(cJSON_GetObjectItem(root, "lexicon")) >= 76);
    cJSON_Delete(root);
    CHECK(run("emotions") == 0 && strstr(out, "gratitude"));

    /* check: JSON report, every metric passing, exit 0. */
    CHECK(run("check --format json --queries 20000") == 0);
    root = cJSON_Parse(out);
    CHECK(root && cJSON_IsTrue(cJSON_GetObjectItem(root, "pass")));
    CHECK(root && cJSON_GetArraySize(cJSON_GetObjectItem(root, "metrics")) >= 9);
    cJSON_Delete(root);

    /* Every command answers --help with its usage, exit 0. */
    const char *cmds[] = {"compile", "emotions", "presets", "check"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        snprintf(args, sizeof args, "%s --help", cmds[i]);
        CHECK(run(args) == 0 && strstr(out, "usage: animasync"));
    }
    CHECK(run("--help") == 0 && strstr(out, "compile"));
    return test_finish("test_cli_engine");
}
