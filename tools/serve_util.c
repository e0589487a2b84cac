/* tools/serve_util.c — the pieces of `animasync serve` that know nothing of
 * HTTP: the reference-counted engine (bank + compiler) that PUT /api/presets
 * swaps, the bounded in-memory store of generated WAVs, a growable string,
 * and the checks every JSON request body goes through. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "serve.h"

/* ---- engine ------------------------------------------------------------------ */

serve_engine *serve_engine_create(as_preset_bank *bank)
{
    serve_engine *e = calloc(1, sizeof *e);
    if (!e) {
        as_preset_bank_destroy(bank);
        return NULL;
    }
    e->bank = bank;
    e->compiler = as_compiler_create(bank, NULL);
    if (!e->compiler) {
        as_preset_bank_destroy(bank);
        free(e);
        return NULL;
    }
    e->refs = 1;
    return e;
}

static void engine_destroy(serve_engine *e)
{
    as_compiler_destroy(e->compiler);
    as_preset_bank_destroy(e->bank);
    free(e);
}

serve_engine *serve_engine_acquire(serve_state *s)
{
    pthread_mutex_lock(&s->engine_mu);
    serve_engine *e = s->engine;
    e->refs++;
    pthread_mutex_unlock(&s->engine_mu);
    return e;
}

void serve_engine_release(serve_state *s, serve_engine *e)
{
    if (!e) return;
    pthread_mutex_lock(&s->engine_mu);
    int last = --e->refs == 0;
    pthread_mutex_unlock(&s->engine_mu);
    if (last) engine_destroy(e);
}

void serve_engine_swap(serve_state *s, serve_engine *e)
{
    pthread_mutex_lock(&s->engine_mu);
    serve_engine *old = s->engine;
    s->engine = e;
    pthread_mutex_unlock(&s->engine_mu);
    serve_engine_release(s, old);
}

/* ---- audio store ---------------------------------------------------------------- */

static void random_id(char out[SERVE_AUDIO_ID_LEN + 1], uint64_t counter)
{
    /* Random, so ids do not reveal or collide with another run's; the counter
     * is mixed in so two ids differ even if getrandom were unavailable. */
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r) r = 0x9e3779b97f4a7c15ULL;
    r ^= counter * 0xbf58476d1ce4e5b9ULL;
    snprintf(out, SERVE_AUDIO_ID_LEN + 1, "%016llx", (unsigned long long)r);
}

int serve_audio_put(serve_state *s, unsigned char *data, size_t size, char id_out[SERVE_AUDIO_ID_LEN + 1])
{
    pthread_mutex_lock(&s->audio_mu);
    serve_audio *slot = &s->audio[s->audio_next];
    s->audio_next = (s->audio_next + 1) % s->keep_audio;
    free(slot->data);
    slot->data = data;
    slot->size = size;
    int unique;
    do { /* an id already in the store is drawn again */
        random_id(slot->id, ++s->counter);
        unique = 1;
        for (size_t i = 0; i < s->keep_audio; i++)
            if (&s->audio[i] != slot && !strcmp(s->audio[i].id, slot->id)) unique = 0;
    } while (!unique);
    memcpy(id_out, slot->id, SERVE_AUDIO_ID_LEN + 1);
    pthread_mutex_unlock(&s->audio_mu);
    return 1;
}

int serve_audio_get(serve_state *s, const char *id, unsigned char **data, size_t *size)
{
    int found = 0;
    *data = NULL;
    *size = 0;
    pthread_mutex_lock(&s->audio_mu);
    for (size_t i = 0; i < s->keep_audio && !found; i++) {
        serve_audio *a = &s->audio[i];
        if (!a->id[0] || strcmp(a->id, id)) continue;
        found = 1;
        if ((*data = malloc(a->size ? a->size : 1))) {
            memcpy(*data, a->data, a->size);
            *size = a->size;
        } else {
            found = -1;
        }
    }
    pthread_mutex_unlock(&s->audio_mu);
    return found;
}

char *serve_tmp_path(serve_state *s, const char *suffix)
{
    pthread_mutex_lock(&s->audio_mu);
    unsigned long long n = ++s->counter;
    pthread_mutex_unlock(&s->audio_mu);
    size_t cap = strlen(s->tmp_dir) + strlen(suffix) + 32;
    char *p = malloc(cap);
    if (p) snprintf(p, cap, "%s/%llu%s", s->tmp_dir, n, suffix);
    return p;
}

unsigned char *serve_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            unsigned char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    *size = len;
    return buf;
}

/* ---- strbuf ------------------------------------------------------------------------ */

static int sb_reserve(strbuf *b, size_t extra)
{
    if (b->failed) return 0;
    if (b->len + extra + 1 <= b->cap) return 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) cap *= 2;
    char *nd = realloc(b->data, cap);
    if (!nd) {
        b->failed = 1;
        return 0;
    }
    b->data = nd;
    b->cap = cap;
    return 1;
}

void sb_putn(strbuf *b, const char *s, size_t n)
{
    if (!sb_reserve(b, n)) return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
}

void sb_puts(strbuf *b, const char *s) { sb_putn(b, s, strlen(s)); }

void sb_printf(strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !sb_reserve(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void sb_json_string(strbuf *b, const char *s)
{
    sb_putn(b, "\"", 1);
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            sb_putn(b, esc, 2);
        } else if (c == '\n') {
            sb_puts(b, "\\n");
        } else if (c < 0x20 || c == 0x7f) {
            sb_printf(b, "\\u%04x", c);
        } else {
            sb_putn(b, p, 1);
        }
    }
    sb_putn(b, "\"", 1);
}

void sb_float(strbuf *b, float x)
{
    char num[32];
    as_format_float(num, sizeof num, x);
    sb_puts(b, num);
}

char *sb_take(strbuf *b)
{
    if (b->failed || !sb_reserve(b, 0)) {
        sb_free(b);
        return NULL;
    }
    char *d = b->data;
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}

void sb_free(strbuf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

/* ---- JSON checks --------------------------------------------------------------------- */

cJSON *serve_json_parse(const char *body, size_t len, char *err, size_t cap)
{
    if (!body || len == 0) {
        snprintf(err, cap, "the request body is empty; a JSON object is expected");
        return NULL;
    }
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (!v) {
        size_t at = end && end >= body ? (size_t)(end - body) : 0;
        snprintf(err, cap, "the request body is not valid JSON (at byte %zu)", at);
        return NULL;
    }
    for (const char *p = end; p < body + len; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            snprintf(err, cap, "the request body has text after its JSON value (at byte %zu)", (size_t)(p - body));
            cJSON_Delete(v);
            return NULL;
        }
    }
    return v;
}

int serve_json_fields(const cJSON *obj, const char *const *allowed, char *err, size_t cap)
{
    if (!cJSON_IsObject(obj)) {
        snprintf(err, cap, "the request body must be a JSON object");
        return -1;
    }
    for (const cJSON *it = obj->child; it; it = it->next) {
        int known = 0;
        for (const char *const *a = allowed; *a && !known; a++) known = it->string && !strcmp(it->string, *a);
        if (!known) {
            strbuf names = {0};
            for (const char *const *a = allowed; *a; a++) sb_printf(&names, "%s%s", a == allowed ? "" : ", ", *a);
            snprintf(err, cap, "unknown field \"%.60s\" (known: %s)", it->string ? it->string : "",
                     names.data ? names.data : "");
            sb_free(&names);
            return -1;
        }
    }
    return 0;
}

int serve_json_number(const cJSON *obj, const char *key, double lo, double hi, int integral, double *out,
                      int *present, char *err, size_t cap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (present) *present = v != NULL;
    if (!v) return 0;
    if (!cJSON_IsNumber(v)) {
        snprintf(err, cap, "\"%s\" must be a number", key);
        return -1;
    }
    double x = v->valuedouble;
    if (integral && floor(x) != x) {
        snprintf(err, cap, "\"%s\" must be a whole number, not %g", key, x);
        return -1;
    }
    if (!(x >= lo && x <= hi)) {
        snprintf(err, cap, "\"%s\" = %g is outside %g..%g", key, x, lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

int serve_json_string(const cJSON *obj, const char *key, const char **out, char *err, size_t cap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) return 0;
    if (!cJSON_IsString(v) || !v->valuestring) {
        snprintf(err, cap, "\"%s\" must be a string", key);
        return -1;
    }
    *out = v->valuestring;
    return 0;
}
