/* test_classifier_cli.c — `animasync classify` end to end with the built-in
 * model: JSON with the emotion, 16 probabilities summing to 1 and 3 VAD
 * values; context turns accepted; empty text is neutral; invalid UTF-8 and
 * bad options exit 2 with one line on stderr and nothing on stdout. Skipped
 * (passes) when the build has no built-in model. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "animasync/animasync.h"
#include "testutil.h"

static char out[65536];

int main(void)
{
    if (!as_classifier_default()) {
        printf("  no built-in model: skipped\n");
        return test_finish("test_classifier_cli");
    }
    int st = test_run(AS_CLI " classify \"I'm so sorry, I didn't mean it.\" --context \"You forgot again.\" --format json",
                      out, sizeof out);
    CHECKF(st == 0, "exit %d", st);
    cJSON *j = cJSON_Parse(out);
    CHECKF(j != NULL, "JSON: %s", out);
    if (j) {
        cJSON *e = cJSON_GetObjectItem(j, "emotion"), *p = cJSON_GetObjectItem(j, "probabilities"),
              *v = cJSON_GetObjectItem(j, "vad");
        CHECK(cJSON_IsString(e) && as_emotion_find(e->valuestring) >= 0);
        CHECK(cJSON_IsObject(p) && cJSON_GetArraySize(p) == AS_NUM_EMOTIONS);
        double sum = 0;
        for (int k = 0; k < AS_NUM_EMOTIONS; k++) {
            cJSON *x = cJSON_GetObjectItem(p, as_emotion_name((as_emotion)k));
            CHECK(cJSON_IsNumber(x));
            if (x) sum += x->valuedouble;
        }
        CHECKF(sum > 0.999 && sum < 1.001, "probabilities sum to %g", sum);
        CHECK(cJSON_IsArray(v) && cJSON_GetArraySize(v) == 3);
        cJSON_Delete(j);
    }
    st = test_run(AS_CLI " classify \"\" --format json", out, sizeof out);
    CHECK(st == 0 && strstr(out, "\"emotion\": \"neutral\"") && strstr(out, "\"empty\": true"));
    st = test_run(AS_CLI " classify \"$(printf 'bad \\377')\" 2>&1", out, sizeof out);
    CHECKF(st == 2 && strstr(out, "invalid UTF-8 at byte 4"), "exit %d: %s", st, out);
    st = test_run(AS_CLI " classify \"$(printf 'bad \\377')\" 2>/dev/null", out, sizeof out);
    CHECK(st == 2 && out[0] == 0);
    st = test_run(AS_CLI " classify \"hi\" --format xml 2>&1", out, sizeof out);
    CHECK(st == 2 && strstr(out, "--format"));
    st = test_run(AS_CLI " classify 2>&1", out, sizeof out);
    CHECK(st == 2 && strstr(out, "TEXT"));
    st = test_run(AS_CLI " classify \"hi\" --model /nonexistent.asnn 2>&1", out, sizeof out);
    CHECK(st == 2 && strstr(out, "nonexistent"));
    /* timeline (and say) tag untagged sentences from the classifier; with
     * --classify-floor 1 no class is sure enough and both are neutral */
    const char *tl = AS_CLI " timeline \"Thank you so much, really. You saved me.\" --duration 3 --format json -o ";
    char cmd[1024], path[512];
    snprintf(path, sizeof path, "%s/floor.json", test_tmpdir());
    for (int floor1 = 0; floor1 < 2; floor1++) {
        snprintf(cmd, sizeof cmd, "%s'%s'%s >/dev/null 2>&1", tl, path, floor1 ? " --classify-floor 1" : "");
        st = test_run(cmd, NULL, 0);
        CHECKF(st == 0, "%s: exit %d", cmd, st);
        char *text = test_read_file(path, NULL);
        cJSON *an = text ? cJSON_Parse(text) : NULL;
        cJSON *segs = cJSON_GetObjectItem(an, "segments"), *sg;
        int n = 0, neutral = 0;
        cJSON_ArrayForEach(sg, segs)
        {
            n++;
            neutral += !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(sg, "emotion")), "neutral");
        }
        CHECKF(n == 2, "two sentences, two segments (%d)", n);
        /* the built-in model hears thanks in it: not neutral without a floor */
        CHECKF(floor1 ? neutral == 2 : neutral < 2, "floor %d: %d of %d neutral", floor1, neutral, n);
        cJSON_Delete(an);
        free(text);
    }
    snprintf(cmd, sizeof cmd, "%s'%s' --classify-floor 1.5 2>&1", tl, path);
    st = test_run(cmd, out, sizeof out);
    CHECKF(st == 2 && strstr(out, "--classify-floor"), "exit %d: %s", st, out);
    st = test_run(AS_CLI " classify --help", out, sizeof out);
    CHECK(st == 0 && strstr(out, "--context"));
    return test_finish("test_classifier_cli");
}
