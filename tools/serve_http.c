/* tools/serve_http.c — the HTTP side of `animasync serve`, on libmicrohttpd:
 * collects request bodies (at most SERVE_MAX_BODY, else 413), hands /api/
 * paths to serve_api.c, and serves the files of the web directory read-only
 * (GET and HEAD only; nothing outside the directory, no hidden files, and of
 * node_modules only three.js).
 *
 * Threading: one thread per connection (MHD_USE_THREAD_PER_CONNECTION),
 * bounded by --max-connections. A slow request (/api/say synthesizes speech,
 * /api/check runs the quality contract) then never delays the others, which a
 * fixed pool of polling threads would do for every connection sharing the
 * busy thread. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "serve.h"

/* Per-request state, made on the first call of the access handler. */
typedef struct {
    strbuf body;
    int too_large;  /* the body passed SERVE_MAX_BODY: discard the rest, answer 413 */
    int replied;    /* a response was queued early (declared length too big) */
    struct timespec t0;
} request;

void serve_reply_error(serve_reply *r, unsigned status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    strbuf b = {0};
    sb_puts(&b, "{\"error\": ");
    sb_json_string(&b, msg);
    sb_puts(&b, "}\n");
    free(r->body);
    r->status = status;
    r->content_type = "application/json";
    r->len = b.len;
    r->body = sb_take(&b);
    if (!r->body) { /* out of memory: an empty 500 */
        r->status = 500;
        r->len = 0;
    }
}

void serve_reply_json(serve_reply *r, unsigned status, strbuf *b)
{
    size_t len = b->len;
    char *body = sb_take(b);
    if (!body) {
        serve_reply_error(r, 500, "out of memory");
        return;
    }
    free(r->body);
    r->status = status;
    r->content_type = "application/json";
    r->body = body;
    r->len = len;
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void access_log(serve_state *s, const request *rq, const char *method, const char *url, unsigned status)
{
    if (s->quiet) return;
    fprintf(stderr, "animasync serve: %s %.200s %u %.2f ms\n", method, url, status, ms_since(&rq->t0));
}

static enum MHD_Result queue(struct MHD_Connection *conn, serve_reply *r, int no_store)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(r->body);
        r->body = NULL;
        return MHD_NO;
    }
    r->body = NULL; /* MHD owns it now */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, no_store ? "no-store" : "no-cache");
    if (r->allow) MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    enum MHD_Result ret = MHD_queue_response(conn, r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* ---- static files ---------------------------------------------------------- */

static const char *mime_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".json", "application/json"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
        {".jpg", "image/jpeg"}, {".ico", "image/x-icon"}, {".wav", "audio/wav"},
        {".glb", "model/gltf-binary"}, {".gltf", "model/gltf+json"}, {".vrm", "model/gltf-binary"},
        {".bin", "application/octet-stream"}, {".txt", "text/plain; charset=utf-8"},
        {".md", "text/plain; charset=utf-8"}, {".map", "application/json"},
    };
    const char *dot = strrchr(path, '.');
    if (dot && !strchr(dot, '/'))
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (!strcasecmp(dot, types[i].ext)) return types[i].type;
    return "application/octet-stream";
}

/* Checks a decoded URL path segment by segment. Returns 0 if it may be
 * served, 403 for a parent-directory segment, 404 for anything else unfit
 * (hidden names, empty segments, backslashes, node_modules beyond three). */
static unsigned check_url_path(const char *url)
{
    if (url[0] != '/' || strlen(url) > 1024 || strchr(url, '\\')) return 404;
    const char *p = url + 1;
    int first = 1;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.') return 403;
        if (n == 0 || p[0] == '.') return 404;
        if (first && n == 12 && !strncmp(p, "node_modules", 12)) {
            /* only three.js is for the browser (the test driver lives there too) */
            if (strncmp(p, "node_modules/three/", 19)) return 404;
        }
        first = 0;
        if (!slash) break;
        p = slash + 1;
    }
    return 0;
}

static enum MHD_Result serve_file(serve_state *s, struct MHD_Connection *conn, const request *rq, const char *method,
                                  const char *url)
{
    serve_reply r = {0};
    const char *rel = strcmp(url, "/") ? url : "/index.html";
    unsigned bad = check_url_path(rel);
    if (bad) {
        serve_reply_error(&r, bad, bad == 403 ? "forbidden: %.200s" : "not found: %.200s", url);
        access_log(s, rq, method, url, r.status);
        return queue(conn, &r, 1);
    }
    size_t cap = strlen(s->web_dir) + strlen(rel) + 1;
    char *full = malloc(cap);
    char *real = NULL;
    if (full) {
        snprintf(full, cap, "%s%s", s->web_dir, rel);
        real = realpath(full, NULL);
    }
    free(full);
    size_t wl = strlen(s->web_dir);
    /* symlinks may not lead out of the web directory either */
    if (real && !(strncmp(real, s->web_dir, wl) == 0 && real[wl] == '/')) {
        free(real);
        serve_reply_error(&r, 403, "forbidden: %.200s", url);
        access_log(s, rq, method, url, r.status);
        return queue(conn, &r, 1);
    }
    int fd = real ? open(real, O_RDONLY | O_CLOEXEC) : -1;
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
        close(fd);
        fd = -1;
    }
    if (fd < 0) {
        free(real);
        serve_reply_error(&r, 404, "not found: %.200s", url);
        access_log(s, rq, method, url, r.status);
        return queue(conn, &r, 1);
    }
    struct MHD_Response *resp = MHD_create_response_from_fd((size_t)st.st_size, fd);
    if (!resp) {
        close(fd);
        free(real);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, mime_type(real));
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    free(real);
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    access_log(s, rq, method, url, MHD_HTTP_OK);
    return ret;
}

/* ---- the access handler ------------------------------------------------------ */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    (void)version;
    serve_state *s = cls;
    request *rq = *req_cls;
    if (!rq) { /* first call: headers only */
        if (!(rq = calloc(1, sizeof *rq))) return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &rq->t0);
        *req_cls = rq;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *end;
            errno = 0;
            unsigned long long n = strtoull(cl, &end, 10);
            if (errno || end == cl || n > SERVE_MAX_BODY) {
                /* refuse before reading: MHD answers and closes the connection */
                serve_reply r = {0};
                serve_reply_error(&r, 413, "the request body is larger than %d bytes", SERVE_MAX_BODY);
                rq->replied = 1;
                access_log(s, rq, method, url, r.status);
                return queue(conn, &r, 1);
            }
        }
        return MHD_YES;
    }
    if (*upload_data_size) { /* a piece of the body */
        if (!rq->replied && !rq->too_large) {
            if (rq->body.len + *upload_data_size > SERVE_MAX_BODY) {
                rq->too_large = 1;
                sb_free(&rq->body);
            } else {
                sb_putn(&rq->body, upload_data, *upload_data_size);
            }
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (rq->replied) return MHD_YES;

    serve_reply r = {0};
    if (rq->too_large) {
        serve_reply_error(&r, 413, "the request body is larger than %d bytes", SERVE_MAX_BODY);
    } else if (rq->body.failed) {
        serve_reply_error(&r, 500, "out of memory reading the request body");
    } else if (!strcmp(url, "/api") || !strncmp(url, "/api/", 5)) {
        if (!serve_api(s, method, url, rq->body.data, rq->body.len, &r))
            serve_reply_error(&r, 404, "no such API path: %.200s", url);
    } else if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
        serve_reply_error(&r, 405, "method %.20s is not allowed on %.200s (use GET or HEAD)", method, url);
        r.allow = "GET, HEAD";
    } else {
        return serve_file(s, conn, rq, method, url);
    }
    access_log(s, rq, method, url, r.status);
    return queue(conn, &r, 1);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    request *rq = *req_cls;
    if (!rq) return;
    sb_free(&rq->body);
    free(rq);
    *req_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    const serve_state *s = cls;
    if (s->quiet) return;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) msg[--n] = 0;
    fprintf(stderr, "animasync serve: libmicrohttpd: %s\n", msg);
}

void *serve_http_start(serve_state *s, const char *host, unsigned port, unsigned max_connections, unsigned *port_out)
{
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%u", port);
    if (getaddrinfo(host, port_text, &hints, &ai) != 0 || !ai) return NULL;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG |
                     MHD_USE_AUTO;
    if (ai->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, on_request, s,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s, /* first, so every message goes through it */
        MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_CONNECTION_LIMIT, max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!d) return NULL;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    *port_out = info ? info->port : port;
    return d;
}

void serve_http_stop(void *daemon)
{
    if (daemon) MHD_stop_daemon(daemon);
}
