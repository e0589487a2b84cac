/* core/base.c — results, the thread-local last-error message, logging, the
 * allocator hook, and whole-file / atomic file I/O. Every other stage records
 * its errors and allocates through here. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/internal.h"

static _Thread_local char last_error[1024];

static as_log_fn log_fn = NULL;
static void *log_user = NULL;

static as_allocator allocator = {0};

const char *as_version(void) { return "0.1.0"; }

double as_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void as_format_float(char *buf, size_t cap, float x)
{
    if (!buf || !cap) return;
    if (!isfinite(x)) { snprintf(buf, cap, "0"); return; } /* never emit NaN/inf into JSON */
    if (x == floorf(x) && fabsf(x) < 1e9f) { /* whole numbers as integers: "30", not "3e+01" */
        snprintf(buf, cap, "%.0f", (double)x);
        return;
    }
    /* 9 significant digits always round-trip a float (IEEE 754 binary32);
     * try fewer first for short files. The strtod check matches readers
     * that parse doubles and narrow (cJSON). */
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(buf, cap, "%.*g", prec, (double)x);
        if (strtof(buf, NULL) == x && (float)strtod(buf, NULL) == x) break;
    }
    /* snprintf writes the locale's decimal point; files always use '.'. */
    for (char *p = buf; *p; p++)
        if (*p == ',') *p = '.';
}

const char *as_result_str(as_result r)
{
    switch (r) {
    case AS_OK: return "ok";
    case AS_ERR_INVALID_ARG: return "invalid argument";
    case AS_ERR_NOMEM: return "out of memory";
    case AS_ERR_IO: return "input/output error";
    case AS_ERR_PARSE: return "malformed input";
    case AS_ERR_UNKNOWN: return "unknown name";
    case AS_ERR_RANGE: return "value out of range";
    case AS_ERR_UNSUPPORTED: return "unsupported";
    case AS_ERR_BACKEND: return "backend failure";
    }
    return "unknown result";
}

const char *as_last_error(void) { return last_error; }

/* Formats into a scratch buffer first: callers may pass as_last_error()
 * itself as an argument ("cannot create: %s"), which must not be
 * overwritten while it is being read. */
static void set_last_error(const char *fmt, va_list ap)
{
    char msg[sizeof last_error];
    vsnprintf(msg, sizeof msg, fmt, ap);
    memcpy(last_error, msg, sizeof msg);
    as_log(AS_LOG_DEBUG, "%s", last_error);
}

void as_set_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_last_error(fmt, ap);
    va_end(ap);
}

as_result as_fail(as_result r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_last_error(fmt, ap);
    va_end(ap);
    return r;
}

void as_log_set(as_log_fn fn, void *user_data)
{
    log_fn = fn;
    log_user = user_data;
}

void as_log(as_log_level level, const char *fmt, ...)
{
    if (!log_fn) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_fn(level, msg, log_user);
}

void as_set_allocator(const as_allocator *alloc)
{
    if (alloc) allocator = *alloc;
    else memset(&allocator, 0, sizeof allocator);
}

void *as_malloc(size_t size)
{
    if (size == 0) size = 1;
    return allocator.malloc_fn ? allocator.malloc_fn(size, allocator.user_data) : malloc(size);
}

void *as_calloc(size_t n, size_t size)
{
    if (size && n > (size_t)-1 / size) return NULL;
    size_t bytes = n * size;
    void *p = as_malloc(bytes);
    if (p) memset(p, 0, bytes ? bytes : 1);
    return p;
}

void *as_realloc(void *ptr, size_t size)
{
    if (size == 0) size = 1;
    return allocator.realloc_fn ? allocator.realloc_fn(ptr, size, allocator.user_data) : realloc(ptr, size);
}

void as_free(void *ptr)
{
    if (!ptr) return;
    if (allocator.free_fn) allocator.free_fn(ptr, allocator.user_data);
    else free(ptr);
}

char *as_strdup(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = as_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

as_result as_read_file(const char *path, char **out, size_t *len)
{
    *out = NULL;
    if (len) *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return as_fail(AS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 65536, n = 0;
    char *buf = as_malloc(cap);
    if (!buf) { fclose(f); return as_fail(AS_ERR_NOMEM, "%s: out of memory", path); }
    for (;;) {
        if (n + 1 >= cap) {
            char *nb = as_realloc(buf, cap * 2);
            if (!nb) { as_free(buf); fclose(f); return as_fail(AS_ERR_NOMEM, "%s: out of memory", path); }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0) break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) { as_free(buf); return as_fail(AS_ERR_IO, "%s: read error", path); }
    buf[n] = 0;
    *out = buf;
    if (len) *len = n;
    return AS_OK;
}

as_result as_atomic_open(as_atomic_file *af, const char *path)
{
    memset(af, 0, sizeof *af);
    size_t n = strlen(path) + 32;
    af->tmp_path = as_malloc(n);
    af->path = as_strdup(path);
    if (!af->tmp_path || !af->path) {
        as_free(af->tmp_path);
        as_free(af->path);
        memset(af, 0, sizeof *af);
        return as_fail(AS_ERR_NOMEM, "%s: out of memory", path);
    }
    snprintf(af->tmp_path, n, "%s.tmp.%ld", path, (long)getpid());
    af->f = fopen(af->tmp_path, "wb");
    if (!af->f) {
        as_result r = as_fail(AS_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
        as_free(af->tmp_path);
        as_free(af->path);
        memset(af, 0, sizeof *af);
        return r;
    }
    return AS_OK;
}

as_result as_atomic_commit(as_atomic_file *af)
{
    if (!af->f) return as_fail(AS_ERR_INVALID_ARG, "atomic file not open");
    int bad = ferror(af->f);
    if (fflush(af->f) != 0) bad = 1;
    if (fclose(af->f) != 0) bad = 1;
    af->f = NULL;
    as_result r = AS_OK;
    if (bad) {
        r = as_fail(AS_ERR_IO, "%s: write failed: %s", af->path, strerror(errno));
        remove(af->tmp_path);
    } else if (rename(af->tmp_path, af->path) != 0) {
        r = as_fail(AS_ERR_IO, "%s: cannot rename into place: %s", af->path, strerror(errno));
        remove(af->tmp_path);
    }
    as_free(af->tmp_path);
    as_free(af->path);
    memset(af, 0, sizeof *af);
    return r;
}

void as_atomic_abort(as_atomic_file *af)
{
    if (af->f) fclose(af->f);
    if (af->tmp_path) remove(af->tmp_path);
    as_free(af->tmp_path);
    as_free(af->path);
    memset(af, 0, sizeof *af);
}

as_result as_write_file_atomic(const char *path, const void *data, size_t len)
{
    as_atomic_file af;
    as_result r = as_atomic_open(&af, path);
    if (r != AS_OK) return r;
    if (len && fwrite(data, 1, len, af.f) != len) {
        r = as_fail(AS_ERR_IO, "%s: write failed", path);
        as_atomic_abort(&af);
        return r;
    }
    return as_atomic_commit(&af);
}
