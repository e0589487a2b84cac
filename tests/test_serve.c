/* tests/test_serve.c — `animasync serve` from the outside, as a browser or
 * script talks to it: a tiny HTTP/1.1 client on raw sockets against the real
 * command on 127.0.0.1 (a free port it picks itself, --port 0). Covers every
 * API endpoint and every bad-input case of issue 4 (bad JSON, unknown fields,
 * wrong types, out-of-range numbers, bodies over 1 MiB, unknown paths, wrong
 * methods, path traversal and symlinks out of the web directory), the preset
 * save-and-swap under concurrent requests, the bounded audio store, and a
 * clean stop on SIGINT and SIGTERM (exit 0; under ASan also leak-free). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "animasync/animasync.h"
#include "testutil.h"

/* ---- the server under test ------------------------------------------------------ */

typedef struct {
    pid_t pid;
    unsigned port;
} server;

/* Starts `animasync serve --port 0 ARGS...` and reads the port from its first
 * line of stdout. Returns 0 on success. */
static int server_start(server *sv, const char *const *args)
{
    int fds[2];
    if (pipe(fds)) return -1;
    const char *argv[32];
    int n = 0;
    argv[n++] = AS_CLI;
    argv[n++] = "serve";
    argv[n++] = "--port";
    argv[n++] = "0";
    argv[n++] = "--quiet";
    for (int i = 0; args && args[i] && n < 31; i++) argv[n++] = args[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execv(AS_CLI, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    char line[256];
    size_t len = 0;
    /* the first line, within 20 s (an ASan build starts slower) */
    while (len + 1 < sizeof line) {
        struct pollfd p = {fds[0], POLLIN, 0};
        if (poll(&p, 1, 20000) <= 0) break;
        ssize_t got = read(fds[0], line + len, 1);
        if (got <= 0) break;
        if (line[len++] == '\n') break;
    }
    line[len] = 0;
    close(fds[0]);
    const char *colon = strrchr(line, ':');
    sv->pid = pid;
    sv->port = colon ? (unsigned)atoi(colon + 1) : 0;
    if (strncmp(line, "listening on http://127.0.0.1:", 30) || sv->port == 0) {
        fprintf(stderr, "server did not start: \"%s\"\n", line);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
    }
    return 0;
}

/* Sends sig and returns the exit status (-1 if it did not exit in 20 s or
 * died of a signal). */
static int server_stop(server *sv, int sig)
{
    kill(sv->pid, sig);
    for (int i = 0; i < 2000; i++) {
        int st;
        pid_t r = waitpid(sv->pid, &st, WNOHANG);
        if (r == sv->pid) {
            if (WIFSIGNALED(st)) fprintf(stderr, "server %d died of signal %d\n", (int)sv->pid, WTERMSIG(st));
            else if (WEXITSTATUS(st)) fprintf(stderr, "server %d exited with status %d\n", (int)sv->pid, WEXITSTATUS(st));
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        }
        usleep(10000);
    }
    kill(sv->pid, SIGKILL);
    waitpid(sv->pid, NULL, 0);
    return -1;
}

/* Runs the command with a shell; returns its exit status. */
static int run_status(const char *args)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s >/dev/null 2>&1", AS_CLI, args);
    return test_run(cmd, NULL, 0);
}

/* ---- a tiny HTTP client ------------------------------------------------------------ */

typedef struct {
    int status;
    char *headers; /* raw header block, lowercased names not guaranteed */
    char *body;
    size_t len;
} response;

static void response_free(response *r)
{
    free(r->headers);
    free(r->body);
    memset(r, 0, sizeof *r);
}

static int connect_to(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        close(fd);
        return -1;
    }
    struct timeval tv = {30, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

static int send_all(int fd, const void *data, size_t n)
{
    const char *p = data;
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads the whole answer (the request said Connection: close) and parses it. */
static int read_response(int fd, response *r)
{
    memset(r, 0, sizeof *r);
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 1 >= cap) buf = realloc(buf, cap *= 2);
        ssize_t got = recv(fd, buf + len, cap - len - 1, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        len += (size_t)got;
    }
    buf[len] = 0;
    char *end = strstr(buf, "\r\n\r\n");
    if (strncmp(buf, "HTTP/1.", 7) || !end) {
        free(buf);
        return -1;
    }
    r->status = atoi(buf + 9);
    r->headers = strndup(buf, (size_t)(end - buf) + 2);
    char *body = end + 4;
    size_t blen = len - (size_t)(body - buf);
    if (strcasestr(r->headers, "transfer-encoding: chunked")) { /* de-chunk in place */
        size_t in = 0, out = 0;
        for (;;) {
            unsigned long n = strtoul(body + in, NULL, 16);
            char *nl = strstr(body + in, "\r\n");
            if (!nl || n == 0) break;
            in = (size_t)(nl - body) + 2;
            if (in + n > blen) break;
            memmove(body + out, body + in, n);
            out += n;
            in += n + 2;
        }
        blen = out;
    }
    r->body = malloc(blen + 1);
    memcpy(r->body, body, blen);
    r->body[blen] = 0;
    r->len = blen;
    free(buf);
    return 0;
}

/* One request; extra is more header lines ("Name: value\r\n..."), may be NULL. */
static int http(unsigned port, const char *method, const char *path, const char *extra, const char *body,
                size_t body_len, response *r)
{
    memset(r, 0, sizeof *r);
    int fd = connect_to(port);
    if (fd < 0) return -1;
    char head[2048];
    int n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s%s", method, path, extra ? extra : "",
                     body ? "Content-Type: application/json\r\n" : "");
    if (body) n += snprintf(head + n, sizeof head - (size_t)n, "Content-Length: %zu\r\n", body_len);
    n += snprintf(head + n, sizeof head - (size_t)n, "\r\n");
    int ok = send_all(fd, head, (size_t)n) == 0 && (!body || send_all(fd, body, body_len) == 0);
    int res = ok ? read_response(fd, r) : -1;
    close(fd);
    return res;
}

static int get(unsigned port, const char *path, response *r) { return http(port, "GET", path, NULL, NULL, 0, r); }
static int post(unsigned port, const char *path, const char *json, response *r)
{
    return http(port, "POST", path, NULL, json, strlen(json), r);
}

/* The "error" text of a JSON error answer, or "" (static buffer). */
static const char *error_of(const response *r)
{
    static char msg[1024];
    msg[0] = 0;
    cJSON *j = cJSON_Parse(r->body ? r->body : "");
    const cJSON *e = cJSON_GetObjectItem(j, "error");
    if (cJSON_IsString(e)) snprintf(msg, sizeof msg, "%s", e->valuestring);
    cJSON_Delete(j);
    return msg;
}

static int has_header(const response *r, const char *line)
{
    return r->headers && strcasestr(r->headers, line) != NULL;
}

/* Expects a 4xx answer with a JSON error containing needle. */
static void expect_error(unsigned port, const char *method, const char *path, const char *body, int status,
                         const char *needle)
{
    response r;
    int rc = http(port, method, path, NULL, body, body ? strlen(body) : 0, &r);
    const char *msg = rc == 0 ? error_of(&r) : "";
    CHECKF(rc == 0 && r.status == status, "%s %s %.80s: status %d, want %d", method, path, body ? body : "",
           r.status, status);
    CHECKF(has_header(&r, "content-type: application/json"), "%s %s: error is not JSON", method, path);
    CHECKF(*msg && strstr(msg, needle), "%s %s %.80s: error \"%s\" lacks \"%s\"", method, path, body ? body : "", msg,
           needle);
    response_free(&r);
}

static int compile_face(unsigned port, const char *body, float w[AS_NUM_CHANNELS])
{
    response r;
    int ok = post(port, "/api/compile", body, &r) == 0 && r.status == 200 && test_face_weights(r.body, w);
    response_free(&r);
    return ok;
}

/* The face the library gives (built-in bank) for an emotion at an intensity. */
static void expected_face(const as_preset_bank *bank, const char *name, float intensity, float strength,
                          float w[AS_NUM_CHANNELS])
{
    as_compiler *c = as_compiler_create(bank, NULL);
    as_cond cond;
    as_cond_from_name(name, intensity, &cond);
    as_compile(c, w, &cond, strength);
    as_compiler_destroy(c);
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* ---- the tests ------------------------------------------------------------------------- */

static void test_command_line(const char *dir)
{
    char out[4096], cmd[1024];
    snprintf(cmd, sizeof cmd, "%s serve --help", AS_CLI);
    CHECK(test_run(cmd, out, sizeof out) == 0 && strstr(out, "--port") && strstr(out, "--presets") &&
          strstr(out, "--web"));
    CHECK(run_status("serve --bogus") == 2);
    CHECK(run_status("serve --port 70000") == 2);
    CHECK(run_status("serve --port") == 2);
    CHECK(run_status("serve --web /nonexistent-animasync-dir") == 2);
    CHECK(run_status("serve --keep-audio 0") == 2);
    char bad[512], args[700];
    snprintf(bad, sizeof bad, "%s/broken.json", dir);
    FILE *f = fopen(bad, "w");
    fputs("{\"presets\": [{\"emotion\": \"joy\", \"level\": 5, \"weights\": {\"nope\": 1}}]}", f);
    fclose(f);
    snprintf(args, sizeof args, "serve --port 0 --presets %s", bad);
    CHECK(run_status(args) == 2); /* an invalid preset file is refused at start */
}

static void test_static(unsigned port)
{
    static const struct {
        const char *path, *type;
    } pages[] = {
        {"/", "text/html"}, {"/player.html", "text/html"}, {"/editor.html", "text/html"},
        {"/js/face2d.js", "text/javascript"}, {"/css/style.css", "text/css"},
    };
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        response r;
        char want[128];
        snprintf(want, sizeof want, "content-type: %s", pages[i].type);
        CHECKF(get(port, pages[i].path, &r) == 0 && r.status == 200 && r.len > 0 && has_header(&r, want),
               "GET %s: %d", pages[i].path, r.status);
        response_free(&r);
    }
    response r;
    CHECK(http(port, "HEAD", "/player.html", NULL, NULL, 0, &r) == 0 && r.status == 200 && r.len == 0 &&
          has_header(&r, "content-length:"));
    response_free(&r);
    /* three.js comes from web/node_modules (npm ci); other packages there are not served */
    struct stat st;
    if (stat(AS_SOURCE_DIR "/web/node_modules/three/build/three.module.js", &st) == 0) {
        CHECK(get(port, "/node_modules/three/build/three.module.js", &r) == 0 && r.status == 200 &&
              r.len == (size_t)st.st_size && has_header(&r, "content-type: text/javascript"));
        response_free(&r);
    } else {
        printf("test_serve: web/node_modules absent (npm ci in web/): three.js check skipped\n");
    }
    expect_error(port, "GET", "/node_modules/playwright-core/package.json", NULL, 404, "not found");

    /* nothing outside the web directory, however the path is spelled */
    static const char *const traversal[] = {
        "/../CMakeLists.txt", "/%2e%2e/CMakeLists.txt", "/..%2fCMakeLists.txt", "/js/../../CMakeLists.txt",
        "/js/%2e%2e/%2e%2e/tools/cmd_serve.c", "/..%5c..%5cCMakeLists.txt", "/%2E%2E/%2E%2E/etc/passwd",
    };
    for (size_t i = 0; i < sizeof traversal / sizeof traversal[0]; i++) {
        CHECKF(get(port, traversal[i], &r) == 0 && (r.status == 403 || r.status == 404), "GET %s: %d", traversal[i],
               r.status);
        CHECKF(!strstr(r.body ? r.body : "", "cmake_minimum_required") && !strstr(r.body ? r.body : "", "root:"),
               "GET %s leaked a file", traversal[i]);
        response_free(&r);
    }
    expect_error(port, "GET", "/../CMakeLists.txt", NULL, 403, "forbidden");
    expect_error(port, "GET", "/nothing-here.html", NULL, 404, "not found");
    expect_error(port, "GET", "/.hidden", NULL, 404, "not found");
    expect_error(port, "GET", "//etc/passwd", NULL, 404, "not found");
    expect_error(port, "GET", "/player.html/", NULL, 404, "not found");
    expect_error(port, "GET", "/js", NULL, 404, "not found"); /* a directory */
    expect_error(port, "POST", "/player.html", "{}", 405, "not allowed");
    CHECK(http(port, "DELETE", "/player.html", NULL, NULL, 0, &r) == 0 && r.status == 405 &&
          has_header(&r, "allow: GET, HEAD"));
    response_free(&r);
}

static void test_symlinks(void)
{
    /* a web directory whose symlink points outside: 403, the file beside it: 200 */
    const char *dir = test_tmpdir();
    char path[512], link[512];
    snprintf(path, sizeof path, "%s/inside.txt", dir);
    FILE *f = fopen(path, "w");
    fputs("inside\n", f);
    fclose(f);
    snprintf(link, sizeof link, "%s/outside.txt", dir);
    CHECK(symlink(AS_SOURCE_DIR "/CMakeLists.txt", link) == 0);
    const char *args[] = {"--web", dir, "--presets", "/nonexistent-dir/p.json", NULL};
    server sv;
    if (server_start(&sv, args)) {
        CHECK(!"server with --web started");
        return;
    }
    response r;
    CHECK(get(sv.port, "/inside.txt", &r) == 0 && r.status == 200 && !strcmp(r.body, "inside\n"));
    response_free(&r);
    CHECK(get(sv.port, "/outside.txt", &r) == 0 && r.status == 403 && !strstr(r.body, "cmake"));
    response_free(&r);
    CHECK(get(sv.port, "/", &r) == 0 && r.status == 404); /* no index.html there */
    response_free(&r);
    CHECK(server_stop(&sv, SIGTERM) == 0);
    unlink(link);
    unlink(path);
    rmdir(dir);
}

static void test_emotions(unsigned port)
{
    response r;
    CHECK(get(port, "/api/emotions", &r) == 0 && r.status == 200);
    cJSON *j = cJSON_Parse(r.body);
    const cJSON *classes = cJSON_GetObjectItem(j, "classes"), *channels = cJSON_GetObjectItem(j, "channels");
    CHECK(cJSON_GetArraySize(classes) == AS_NUM_EMOTIONS);
    CHECK(cJSON_GetArraySize(channels) == AS_NUM_CHANNELS);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "lexicon")) == (int)as_lexicon_count());
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "families")) == AS_NUM_FAMILIES);
    const cJSON *joy = cJSON_GetArrayItem(classes, AS_EMO_JOY);
    CHECK(!strcmp(cJSON_GetObjectItem(joy, "name")->valuestring, "joy"));
    const cJSON *a5 = cJSON_GetArrayItem(cJSON_GetObjectItem(joy, "anchors"), 4);
    as_vad v = as_emotion_anchor(AS_EMO_JOY, 5);
    CHECK(a5 && (float)cJSON_GetArrayItem(a5, 0)->valuedouble == v.v && (float)cJSON_GetArrayItem(a5, 1)->valuedouble == v.a);
    const cJSON *ch = cJSON_GetArrayItem(channels, AS_JAW_OPEN);
    CHECK(!strcmp(cJSON_GetObjectItem(ch, "name")->valuestring, "jawOpen") &&
          !strcmp(cJSON_GetObjectItem(ch, "class")->valuestring, "shared"));
    CHECK(cJSON_GetObjectItem(cJSON_GetArrayItem(channels, AS_EYE_BLINK_LEFT), "mirror")->valueint ==
          AS_EYE_BLINK_RIGHT);
    cJSON_Delete(j);
    response_free(&r);
    expect_error(port, "POST", "/api/emotions", "{}", 405, "not allowed");
}

static void test_compile(unsigned port)
{
    float w[AS_NUM_CHANNELS], want[AS_NUM_CHANNELS];
    /* exactly the library's face: every number round-trips bit for bit */
    CHECK(compile_face(port, "{\"emotion\": \"joy\", \"level\": 5}", w));
    expected_face(NULL, "joy", 1.0f, 1.0f, want);
    CHECK(memcmp(w, want, sizeof w) == 0);
    CHECK(compile_face(port, "{\"emotion\": \"happy\", \"intensity\": 0.3, \"strength\": 1.5}", w));
    expected_face(NULL, "happy", 0.3f, 1.5f, want);
    CHECK(memcmp(w, want, sizeof w) == 0);
    CHECK(compile_face(port, "{\"emotion\": \"기쁨\"}", w)); /* default level 3 */
    expected_face(NULL, "기쁨", 0.5f, 1.0f, want);
    CHECK(memcmp(w, want, sizeof w) == 0);
    CHECK(compile_face(port, "{\"emotion\": \"sadness\", \"level\": 3, \"vad\": [0.2, 0.4, 0.3]}", w));
    {
        as_compiler *c = as_compiler_create(NULL, NULL);
        as_cond cond;
        as_cond_from_name("sadness", 0.5f, &cond);
        cond.v = 0.2f, cond.a = 0.4f, cond.d = 0.3f;
        as_compile(c, want, &cond, 1.0f);
        as_compiler_destroy(c);
        CHECK(memcmp(w, want, sizeof w) == 0);
    }
    CHECK(compile_face(port, "{\"emotion\": \"anger\", \"level\": 4, \"strength\": 0}", w));
    as_preset_bank_get(as_preset_bank_default(), AS_EMO_NEUTRAL, 3, want);
    CHECK(memcmp(w, want, sizeof w) == 0);
    /* an edited bank in the request: compiled with it, the server's own unchanged */
    CHECK(compile_face(port,
                       "{\"emotion\": \"joy\", \"level\": 5, \"presets\": {\"presets\": [{\"emotion\": \"joy\", "
                       "\"level\": 5, \"weights\": {\"jawOpen\": 0.77}}]}}",
                       w));
    CHECK(fabsf(w[AS_JAW_OPEN] - 0.77f) < 1e-4f && w[AS_MOUTH_SMILE_LEFT] < 1e-4f);
    CHECK(compile_face(port, "{\"emotion\": \"joy\", \"level\": 5}", w));
    expected_face(NULL, "joy", 1.0f, 1.0f, want);
    CHECK(memcmp(w, want, sizeof w) == 0);

    const char *P = "/api/compile";
    expect_error(port, "POST", P, "{}", 400, "\"emotion\" is required");
    expect_error(port, "POST", P, "{\"emotion\": \"glee\"}", 400, "glee");
    expect_error(port, "POST", P, "{\"emotion\": 7}", 400, "must be a string");
    expect_error(port, "POST", P, "{\"emotion\": \"joy\", \"level\": 3, \"intensity\": 0.5}", 400, "not both");
    expect_error(port, "POST", P, "{\"emotion\": \"joy\", \"level\": 0}", 400, "outside 1..5");
    expect_error(port, "POST", P, "{\"emotion\": \"joy\", \"level\": 6}", 400, "outside 1..5");
    expect_error(port, "POST", P, "{\"emotion\": \"joy\", \"level\": 2.5}", 400, "whole number");
    expect_error(port, "POST", P, "{\"emotion\": \"joy\", \"level\": \"3\"}", 400, "must be a number");
    expect_error(port, "POST", P, "{\"emotion\": \"joy\", \"level\": 1e300}", 400, "outside");
    expect_error(port, "POST", P, "{\"emotion\": \"joy\", \"intensity\": 1.5}", 400, "outside 0..1");
    expect_error(port, "POST", P, "{\"emotion\": \"joy\", \"intensity\": null}", 400, "must be a number");
    expect_error(port, "POST", P, "{\"emotion\": \"joy\", \"strength\": -1}", 400, "outside 0..2");
    expect_error(port, "POST", P, "{\"emotion\": \"joy\", \"strength\": true}", 400, "must be a number");
    expect_error(port, "POST", P, "{\"emotion\": \"joy\", \"vad\": [0.5, 0.5]}", 400, "three numbers");
    expect_error(port, "POST", P, "{\"emotion\": \"joy\", \"vad\": \"0.5,0.5,0.5\"}", 400, "three numbers");
    expect_error(port, "POST", P, "{\"emotion\": \"joy\", \"vad\": [0.5, 1.5, 0.5]}", 400, "(A)");
    expect_error(port, "POST", P, "{\"emotion\": \"joy\", \"vad\": [0.5, \"x\", 0.5]}", 400, "(A)");
    expect_error(port, "POST", P, "{\"emotion\": \"joy\", \"colour\": \"red\"}", 400, "unknown field \"colour\"");
    expect_error(port, "POST", P, "{\"emotion\": \"joy\", \"presets\": {\"presets\": [{\"emotion\": \"joy\", "
                                  "\"level\": 5, \"weights\": {\"jawOpenX\": 1}}]}}", 400, "jawOpenX");
    expect_error(port, "POST", P, "{\"emotion\": \"joy\", \"presets\": {\"presets\": [], \"extra\": 1}}", 400,
                 "unknown field \"extra\"");
    expect_error(port, "POST", P, "{\"emotion\": \"joy\", \"presets\": 3}", 400, "object");
    expect_error(port, "POST", P, "{\"emotion\": \"joy\"", 400, "not valid JSON");
    expect_error(port, "POST", P, "{\"emotion\": \"joy\"} {}", 400, "after its JSON value");
    expect_error(port, "POST", P, "[\"joy\"]", 400, "must be a JSON object");
    expect_error(port, "POST", P, "", 400, "empty");
    expect_error(port, "POST", P, "\xff\xfe{", 400, "not valid JSON");
    expect_error(port, "GET", P, NULL, 405, "not allowed");
    expect_error(port, "PUT", P, "{}", 405, "not allowed");
    response r;
    CHECK(http(port, "DELETE", P, NULL, NULL, 0, &r) == 0 && r.status == 405 && has_header(&r, "allow: POST"));
    response_free(&r);
    expect_error(port, "GET", "/api/nothing", NULL, 404, "no such API path");
    expect_error(port, "GET", "/api", NULL, 404, "no such API path");
    expect_error(port, "POST", "/api/compile/extra", "{}", 404, "no such API path");
}

static void test_body_limits(unsigned port)
{
    response r;
    /* declared too big: refused at once, before any body is sent */
    int fd = connect_to(port);
    const char *head = "POST /api/compile HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2097152\r\n\r\n";
    CHECK(fd >= 0 && send_all(fd, head, strlen(head)) == 0 && read_response(fd, &r) == 0 && r.status == 413 &&
          strstr(error_of(&r), "larger than 1048576"));
    close(fd);
    response_free(&r);
    fd = connect_to(port);
    head = "PUT /api/presets HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 99999999999999999999999\r\n\r\n";
    CHECK(fd >= 0 && send_all(fd, head, strlen(head)) == 0 && read_response(fd, &r) == 0 && r.status == 413);
    close(fd);
    response_free(&r);

    /* exactly 1 MiB is read (and judged on its content); one byte more, sent
     * chunked with no length up front, is 413 */
    size_t n = 1024 * 1024;
    char *big = malloc(n + 2);
    memset(big, ' ', n + 1);
    memcpy(big, "{\"emotion\": \"joy\", \"pad\": \"", 27);
    big[n - 2] = '"';
    big[n - 1] = '}';
    CHECK(http(port, "POST", "/api/compile", NULL, big, n, &r) == 0 && r.status == 400 &&
          strstr(error_of(&r), "unknown field \"pad\""));
    response_free(&r);
    big[n - 1] = ' ';
    big[n] = '}';
    fd = connect_to(port);
    head = "POST /api/compile HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n";
    int ok = fd >= 0 && send_all(fd, head, strlen(head)) == 0;
    for (size_t at = 0; ok && at < n + 1; at += 65536) {
        size_t len = n + 1 - at < 65536 ? n + 1 - at : 65536;
        char size_line[32];
        snprintf(size_line, sizeof size_line, "%zx\r\n", len);
        ok = send_all(fd, size_line, strlen(size_line)) == 0 && send_all(fd, big + at, len) == 0 &&
             send_all(fd, "\r\n", 2) == 0;
    }
    ok = ok && send_all(fd, "0\r\n\r\n", 5) == 0;
    CHECK(ok && read_response(fd, &r) == 0 && r.status == 413 && has_header(&r, "application/json"));
    close(fd);
    response_free(&r);
    free(big);

    /* garbage instead of HTTP: an error or a hang-up, and the server lives on */
    fd = connect_to(port);
    const char *junk = "\x01\x02 NOT HTTP AT ALL\r\n\r\n";
    if (fd >= 0 && send_all(fd, junk, strlen(junk)) == 0 && read_response(fd, &r) == 0)
        CHECK(r.status >= 400 && r.status < 500);
    if (fd >= 0) close(fd);
    response_free(&r);
    CHECK(get(port, "/api/emotions", &r) == 0 && r.status == 200);
    response_free(&r);
}

static char *read_text(const char *path)
{
    return test_read_file(path, NULL);
}

/* A preset document with one change: joy L5 jawOpen = value (and nothing
 * else in that preset). */
static void one_change_doc(char *buf, size_t cap, float value)
{
    snprintf(buf, cap,
             "{\"format\": \"animasync-presets\", \"version\": 1, \"comment\": \"test\", \"presets\": [{\"emotion\": "
             "\"joy\", \"level\": 5, \"weights\": {\"jawOpen\": %g}}]}",
             (double)value);
}

static void test_presets(unsigned port, const char *presets_path)
{
    response r;
    CHECK(get(port, "/api/presets", &r) == 0 && r.status == 200);
    as_preset_bank *got = as_preset_bank_from_json(r.body, r.len, "GET /api/presets");
    CHECK(got != NULL);
    float a[AS_NUM_CHANNELS], b[AS_NUM_CHANNELS];
    for (int i = 0; got && i < AS_NUM_PRESETS; i++) {
        as_emotion e;
        int level;
        as_preset_slot(i, &e, &level);
        as_preset_bank_get(got, e, level, a);
        as_preset_bank_get(as_preset_bank_default(), e, level, b);
        CHECK(memcmp(a, b, sizeof a) == 0);
    }
    as_preset_bank_destroy(got);
    response_free(&r);

    /* invalid documents: 400, nothing saved, the engine unchanged */
    const char *P = "/api/presets";
    expect_error(port, "PUT", P, "{\"presets\": [{\"emotion\": \"joy\", \"level\": 5, \"weights\": {\"jawOpen\": 1.5}}]}",
                 400, "jawOpen");
    expect_error(port, "PUT", P, "{\"presets\": [{\"emotion\": \"joy\", \"level\": 2, \"weights\": {}}]}", 400, "level");
    expect_error(port, "PUT", P, "{\"presets\": [{\"emotion\": \"glee\", \"level\": 3, \"weights\": {}}]}", 400, "glee");
    expect_error(port, "PUT", P, "{\"presets\": [{\"emotion\": \"joy\", \"level\": 3, \"weights\": {}, \"x\": 1}]}",
                 400, "unknown field");
    expect_error(port, "PUT", P, "{\"presets\": [], \"owner\": \"me\"}", 400, "unknown field \"owner\"");
    expect_error(port, "PUT", P, "{\"presets\": 5}", 400, "presets");
    expect_error(port, "PUT", P, "[]", 400, "object");
    expect_error(port, "PUT", P, "{", 400, "not valid JSON");
    expect_error(port, "PUT", P, "", 400, "empty");
    expect_error(port, "POST", P, "{}", 405, "not allowed");
    expect_error(port, "DELETE", P, NULL, 405, "not allowed");
    struct stat st;
    CHECK(stat(presets_path, &st) != 0); /* nothing written yet */

    /* a valid PUT: saved (a full bank), then used by every request */
    char doc[1024];
    one_change_doc(doc, sizeof doc, 0.42f);
    CHECK(http(port, "PUT", P, NULL, doc, strlen(doc), &r) == 0 && r.status == 200 && strstr(r.body, presets_path));
    response_free(&r);
    as_preset_bank *saved = as_preset_bank_load(presets_path);
    CHECK(saved != NULL);
    if (saved) {
        as_preset_bank_get(saved, AS_EMO_JOY, 5, a);
        CHECK(a[AS_JAW_OPEN] == 0.42f && a[AS_MOUTH_SMILE_LEFT] == 0.0f);
        as_preset_bank_get(saved, AS_EMO_SADNESS, 3, a);
        as_preset_bank_get(as_preset_bank_default(), AS_EMO_SADNESS, 3, b);
        CHECK(memcmp(a, b, sizeof a) == 0);
    }
    float w[AS_NUM_CHANNELS];
    CHECK(compile_face(port, "{\"emotion\": \"joy\", \"level\": 5}", w));
    expected_face(saved, "joy", 1.0f, 1.0f, a);
    CHECK(memcmp(w, a, sizeof w) == 0 && fabsf(w[AS_JAW_OPEN] - 0.42f) < 1e-4f);
    CHECK(get(port, P, &r) == 0 && r.status == 200);
    got = as_preset_bank_from_json(r.body, r.len, "GET");
    if (got) as_preset_bank_get(got, AS_EMO_JOY, 5, a);
    CHECK(got && a[AS_JAW_OPEN] == 0.42f);
    as_preset_bank_destroy(got);
    as_preset_bank_destroy(saved);
    response_free(&r);
    /* no temporary file left beside the saved one */
    char *text = read_text(presets_path);
    CHECK(text && strstr(text, "animasync-presets"));
    free(text);

    /* a new server on the same file starts from it */
    const char *args[] = {"--presets", presets_path, NULL};
    server sv2;
    CHECK(server_start(&sv2, args) == 0);
    CHECK(compile_face(sv2.port, "{\"emotion\": \"joy\", \"level\": 5}", w) && fabsf(w[AS_JAW_OPEN] - 0.42f) < 1e-4f);
    CHECK(server_stop(&sv2, SIGINT) == 0);
}

static void test_check(unsigned port)
{
    response r;
    CHECK(post(port, "/api/check", "{\"queries\": 2000, \"grid\": 6}", &r) == 0 && r.status == 200);
    cJSON *j = cJSON_Parse(r.body);
    const cJSON *metrics = cJSON_GetObjectItem(j, "metrics");
    CHECK(cJSON_GetArraySize(metrics) >= 8);
    const cJSON *m0 = cJSON_GetArrayItem(metrics, 0);
    CHECK(cJSON_IsString(cJSON_GetObjectItem(m0, "name")) && cJSON_IsNumber(cJSON_GetObjectItem(m0, "value")) &&
          cJSON_IsBool(cJSON_GetObjectItem(m0, "pass")));
    cJSON_Delete(j);
    response_free(&r);
    /* a bank that breaks validity (smile and frown both high) fails, and says where */
    CHECK(post(port, "/api/check",
               "{\"queries\": 2000, \"grid\": 6, \"presets\": {\"presets\": [{\"emotion\": \"joy\", \"level\": 5, "
               "\"weights\": {\"mouthSmileLeft\": 0.9, \"mouthFrownLeft\": 0.9}}]}}",
               &r) == 0 &&
          r.status == 200);
    j = cJSON_Parse(r.body);
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(j, "pass")));
    int failed = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(j, "metrics")) failed += cJSON_IsFalse(cJSON_GetObjectItem(m, "pass"));
    CHECK(failed >= 1);
    cJSON_Delete(j);
    response_free(&r);
    expect_error(port, "POST", "/api/check", "{\"queries\": -1}", 400, "queries");
    expect_error(port, "POST", "/api/check", "{\"grid\": 1000}", 400, "grid");
    expect_error(port, "POST", "/api/check", "{\"depth\": 3}", 400, "unknown field");
    expect_error(port, "POST", "/api/check", "{\"presets\": {\"presets\": [{\"emotion\": 1}]}}", 400, "emotion");
    expect_error(port, "GET", "/api/check", NULL, 405, "not allowed");
}

/* ---- /api/say --------------------------------------------------------------------------- */

typedef struct {
    int frames;
    double fps;
    char audio_url[128];
    char *frames_text; /* the "frames" array as text, to compare runs */
} say_result;

static int say(unsigned port, const char *body, say_result *out)
{
    memset(out, 0, sizeof *out);
    response r;
    if (post(port, "/api/say", body, &r) || r.status != 200) {
        fprintf(stderr, "say %s: %d %s\n", body, r.status, r.body ? r.body : "");
        response_free(&r);
        return 0;
    }
    cJSON *j = cJSON_Parse(r.body);
    const cJSON *frames = cJSON_GetObjectItem(j, "frames"), *url = cJSON_GetObjectItem(j, "audio_url");
    out->frames = cJSON_GetArraySize(frames);
    out->fps = cJSON_GetNumberValue(cJSON_GetObjectItem(j, "fps"));
    if (cJSON_IsString(url)) snprintf(out->audio_url, sizeof out->audio_url, "%s", url->valuestring);
    out->frames_text = cJSON_PrintUnformatted(frames);
    int ok = cJSON_GetArraySize(cJSON_GetObjectItem(j, "names")) == AS_NUM_CHANNELS &&
             cJSON_GetArraySize(cJSON_GetArrayItem(frames, 0)) == AS_NUM_CHANNELS &&
             cJSON_IsArray(cJSON_GetObjectItem(j, "segments")) && cJSON_IsString(cJSON_GetObjectItem(j, "id")) &&
             cJSON_IsString(cJSON_GetObjectItem(j, "audio"));
    cJSON_Delete(j);
    response_free(&r);
    return ok;
}

static void test_say(unsigned port)
{
    say_result a, b, c;
    CHECK(say(port, "{\"text\": \"[joy:80] Hello there! [sadness:40] I must go.\", \"seed\": 7}", &a));
    CHECK(a.fps == 30 && a.frames > 30 && !strncmp(a.audio_url, "/api/audio/", 11));
    response r;
    CHECK(get(port, a.audio_url, &r) == 0 && r.status == 200 && has_header(&r, "content-type: audio/wav") &&
          r.len > 44 && !memcmp(r.body, "RIFF", 4) && !memcmp(r.body + 8, "WAVE", 4));
    if (r.status == 200 && r.len > 44) {
        /* 16-bit mono: its duration matches the animation's within two frames */
        uint32_t rate;
        memcpy(&rate, r.body + 24, 4);
        double seconds = (double)(r.len - 44) / 2.0 / rate;
        CHECKF(fabs(seconds - a.frames / a.fps) < 2.5 / a.fps, "wav %.3f s, animation %.3f s", seconds,
               a.frames / a.fps);
    }
    response_free(&r);
    /* same text and seed: the same animation; another engine works too */
    CHECK(say(port, "{\"text\": \"[joy:80] Hello there! [sadness:40] I must go.\", \"seed\": 7}", &b));
    CHECK(a.frames_text && b.frames_text && !strcmp(a.frames_text, b.frames_text));
    CHECK(strcmp(a.audio_url, b.audio_url) != 0);
    CHECK(say(port, "{\"text\": \"[surprise] Oh!\", \"engine\": \"flite\", \"voice\": \"kal\"}", &c));
    /* --keep-audio 2: the first of three is gone, the last two are there */
    CHECK(get(port, a.audio_url, &r) == 0 && r.status == 404);
    response_free(&r);
    CHECK(get(port, b.audio_url, &r) == 0 && r.status == 200);
    response_free(&r);
    CHECK(get(port, c.audio_url, &r) == 0 && r.status == 200);
    response_free(&r);
    cJSON_free(a.frames_text);
    cJSON_free(b.frames_text);
    cJSON_free(c.frames_text);

    const char *P = "/api/say";
    expect_error(port, "POST", P, "{}", 400, "\"text\" is required");
    expect_error(port, "POST", P, "{\"text\": \"\"}", 400, "\"text\" is required");
    expect_error(port, "POST", P, "{\"text\": 5}", 400, "must be a string");
    expect_error(port, "POST", P, "{\"text\": \"hi\", \"engine\": \"sam\"}", 400, "sam");
    expect_error(port, "POST", P, "{\"text\": \"hi\", \"voice\": \"no-such-voice\"}", 400, "no-such-voice");
    expect_error(port, "POST", P, "{\"text\": \"hi\", \"seed\": -1}", 400, "seed");
    expect_error(port, "POST", P, "{\"text\": \"hi\", \"seed\": 1.5}", 400, "whole number");
    expect_error(port, "POST", P, "{\"text\": \"hi\", \"speed\": 2}", 400, "unknown field \"speed\"");
    expect_error(port, "POST", P, "{\"text\": \"[joy:500] hi\"}", 400, "joy");
    char *long_text = malloc(5100);
    strcpy(long_text, "{\"text\": \"");
    memset(long_text + 10, 'a', 5000);
    strcpy(long_text + 5010, "\"}");
    expect_error(port, "POST", P, long_text, 400, "at most");
    free(long_text);
    expect_error(port, "GET", P, NULL, 405, "not allowed");
    expect_error(port, "GET", "/api/audio/0123456789abcdef.wav", NULL, 404, "no such audio");
    expect_error(port, "GET", "/api/audio/../../CMakeLists.txt", NULL, 404, "no such audio");
    expect_error(port, "GET", "/api/audio/xyz.wav", NULL, 404, "no such audio");
    expect_error(port, "POST", "/api/audio/0123456789abcdef.wav", "{}", 405, "not allowed");
}

/* ---- concurrency: compiles while PUTs swap the bank -------------------------------------- */

typedef struct {
    unsigned port;
    int requests, ok, matched;
    const float *face_a, *face_b;
} worker;

static void *compile_worker(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < w->requests; i++) {
        float f[AS_NUM_CHANNELS];
        if (!compile_face(w->port, "{\"emotion\": \"joy\", \"level\": 5}", f)) continue;
        w->ok++;
        w->matched += !memcmp(f, w->face_a, sizeof f) || !memcmp(f, w->face_b, sizeof f);
    }
    return NULL;
}

typedef struct {
    unsigned port;
    int puts, ok;
} putter;

static void *put_worker(void *arg)
{
    putter *p = arg;
    for (int i = 0; i < p->puts; i++) {
        char doc[1024];
        one_change_doc(doc, sizeof doc, i % 2 ? 0.42f : 0.66f);
        response r;
        p->ok += http(p->port, "PUT", "/api/presets", NULL, doc, strlen(doc), &r) == 0 && r.status == 200;
        response_free(&r);
    }
    return NULL;
}

static void *check_worker(void *arg)
{
    putter *p = arg;
    response r;
    p->ok = post(p->port, "/api/check", "{\"queries\": 1000, \"grid\": 4}", &r) == 0 && r.status == 200;
    response_free(&r);
    return NULL;
}

static void test_concurrency(unsigned port)
{
    float face_a[AS_NUM_CHANNELS], face_b[AS_NUM_CHANNELS];
    char doc[1024];
    one_change_doc(doc, sizeof doc, 0.42f);
    as_preset_bank *ba = as_preset_bank_from_json(doc, strlen(doc), "a");
    one_change_doc(doc, sizeof doc, 0.66f);
    as_preset_bank *bb = as_preset_bank_from_json(doc, strlen(doc), "b");
    expected_face(ba, "joy", 1.0f, 1.0f, face_a);
    expected_face(bb, "joy", 1.0f, 1.0f, face_b);
    as_preset_bank_destroy(ba);
    as_preset_bank_destroy(bb);

    enum { N = 6 };
    worker w[N];
    pthread_t t[N], tp, tc;
    putter p = {port, 20, 0}, pc = {port, 1, 0};
    /* a slow, idle connection (half a request) must not hold anyone up */
    int idle = connect_to(port);
    if (idle >= 0) send_all(idle, "GET /api/emo", 12);
    double t0 = now_ms();
    for (int i = 0; i < N; i++) {
        w[i] = (worker){port, 40, 0, 0, face_a, face_b};
        pthread_create(&t[i], NULL, compile_worker, &w[i]);
    }
    pthread_create(&tp, NULL, put_worker, &p);
    pthread_create(&tc, NULL, check_worker, &pc);
    for (int i = 0; i < N; i++) pthread_join(t[i], NULL);
    pthread_join(tp, NULL);
    pthread_join(tc, NULL);
    double ms = now_ms() - t0;
    int ok = 0, matched = 0;
    for (int i = 0; i < N; i++) ok += w[i].ok, matched += w[i].matched;
    CHECKF(ok == N * 40 && matched == N * 40, "%d of %d compiles answered, %d matched a bank", ok, N * 40, matched);
    CHECK(p.ok == p.puts && pc.ok == 1);
    printf("test_serve: %d concurrent compiles + %d PUTs + 1 check in %.0f ms\n", N * 40, p.puts, ms);
    if (idle >= 0) close(idle);
}

static void test_latency(unsigned port)
{
    /* sequential round trips on fresh connections: a figure, with a loose bound */
    const int n = 200;
    double t0 = now_ms();
    int ok = 0;
    float w[AS_NUM_CHANNELS];
    for (int i = 0; i < n; i++) ok += compile_face(port, "{\"emotion\": \"gratitude\", \"intensity\": 0.6}", w);
    double per = (now_ms() - t0) / n;
    CHECK(ok == n);
    CHECKF(per < 50.0, "%.2f ms per /api/compile", per);
    printf("test_serve: POST /api/compile round trip %.3f ms (mean of %d, new connection each)\n", per, n);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const char *dir = test_tmpdir();
    test_command_line(dir);

    char presets_path[512];
    snprintf(presets_path, sizeof presets_path, "%s/sub/dir/presets.json", dir);
    const char *args[] = {"--presets", presets_path, "--keep-audio", "2", NULL};
    server sv;
    if (server_start(&sv, args)) {
        CHECK(!"the server starts");
        return test_finish("test_serve");
    }
    unsigned port = sv.port;
    test_static(port);
    test_symlinks();
    test_emotions(port);
    test_compile(port);
    test_body_limits(port);
    test_check(port);
    test_say(port);
    test_presets(port, presets_path);
    test_concurrency(port);
    test_latency(port);

    /* SIGTERM with a keep-alive connection open: a clean exit, status 0 */
    int idle = connect_to(port);
    CHECK(server_stop(&sv, SIGTERM) == 0);
    if (idle >= 0) close(idle);
    /* the port is free again and SIGINT stops a fresh server the same way
     * (regression: with the signals blocked and sigwait, a thread that a
     * library starts before main, OpenBLAS's, took SIGINT and killed the
     * server with it) */
    CHECK(server_start(&sv, args) == 0);
    CHECK(server_stop(&sv, SIGINT) == 0);

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(test_run(cmd, NULL, 0) == 0);
    return test_finish("test_serve");
}
