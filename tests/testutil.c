/* testutil.c — see testutil.h. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <dirent.h>

#include <cjson/cJSON.h>

#include "animasync/core.h"

int test_failures = 0;
int test_checks = 0;

int test_finish(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, test_checks, test_failures);
    return test_failures ? 1 : 0;
}

int test_run(const char *cmd, char *out, size_t n)
{
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t len = 0;
    if (out && n) {
        size_t got;
        while (len + 1 < n && (got = fread(out + len, 1, n - 1 - len, p)) > 0) len += got;
        out[len] = 0;
    }
    char sink[4096];
    while (fread(sink, 1, sizeof sink, p) > 0) {}
    int st = pclose(p);
    if (st == -1) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

const char *test_tmpdir(void)
{
    static char bufs[16][64];
    static int slot = 0;
    char *b = bufs[slot++ % 16];
    strcpy(b, "/tmp/animasync-test-XXXXXX");
    return mkdtemp(b);
}

char *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)sz + 1);
    if (!buf) { fclose(f); return NULL; }
    size_t got = fread(buf, 1, (size_t)sz, f);
    buf[got] = 0;
    fclose(f);
    if (len) *len = got;
    return buf;
}

int test_dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

int test_face_weights(const char *json, float *w)
{
    cJSON *root = cJSON_Parse(json);
    const cJSON *names = cJSON_GetObjectItem(root, "names"), *ws = cJSON_GetObjectItem(root, "weights");
    int ok = cJSON_GetArraySize(names) == AS_NUM_CHANNELS && cJSON_GetArraySize(ws) == AS_NUM_CHANNELS;
    for (int i = 0; ok && i < AS_NUM_CHANNELS; i++) {
        const cJSON *n = cJSON_GetArrayItem(names, i);
        ok = cJSON_IsString(n) && !strcmp(n->valuestring, as_channel_name(i));
        w[i] = (float)cJSON_GetArrayItem(ws, i)->valuedouble;
    }
    cJSON_Delete(root);
    return ok;
}
