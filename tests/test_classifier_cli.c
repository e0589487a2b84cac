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
    st = test_run(AS_CLI " classify --help", out, sizeof out);
    CHECK(st == 0 && strstr(out, "--context"));
    return test_finish("test_classifier_cli");
}
