/* fuzz/fuzz_api.c — libFuzzer harness for the JSON API of `animasync serve`
 * (tools/serve_api.c): the request bodies of POST /api/compile, PUT
 * /api/presets and the routing of arbitrary paths, without the HTTP layer
 * (libmicrohttpd parses HTTP itself). The first input byte picks the request;
 * the rest is the body. /api/say and /api/check are left out: they run TTS
 * and the whole contract, too slow for fuzzing, and share these validators. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve.h"

static serve_state st;

static void setup(void)
{
    memset(&st, 0, sizeof st);
    st.quiet = 1;
    char tmpl[] = "/tmp/animasync-fuzz-api-XXXXXX";
    st.tmp_dir = strdup(mkdtemp(tmpl));
    size_t n = strlen(st.tmp_dir) + 32;
    st.presets_path = malloc(n);
    snprintf(st.presets_path, n, "%s/presets.json", st.tmp_dir);
    st.engine = serve_engine_create(NULL);
    st.emotions_json = serve_emotions_json();
    st.keep_audio = 4;
    st.audio = calloc(st.keep_audio, sizeof *st.audio);
    pthread_mutex_init(&st.engine_mu, NULL);
    pthread_mutex_init(&st.save_mu, NULL);
    pthread_mutex_init(&st.audio_mu, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready = 0;
    if (!ready) { setup(); ready = 1; }
    if (size < 1) return 0;
    static const char *const methods[] = {"POST", "PUT", "GET", "DELETE"};
    static const char *const paths[] = {"/api/compile", "/api/presets", "/api/emotions", "/api/audio/0123456789abcdef.wav"};
    const char *method = methods[data[0] & 3], *path = paths[(data[0] >> 2) & 3];
    char routed[256];
    if (data[0] & 0x80) { /* a fuzzed path instead */
        size_t n = size - 1 < sizeof routed - 1 ? size - 1 : sizeof routed - 1;
        memcpy(routed, data + 1, n);
        routed[n] = 0;
        path = routed;
    }
    serve_reply r;
    memset(&r, 0, sizeof r);
    serve_api(&st, method, path, (const char *)data + 1, size - 1, &r);
    free(r.body);
    return 0;
}
