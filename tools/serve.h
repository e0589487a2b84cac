/* tools/serve.h — what the files of `animasync serve` share (cmd_serve.c,
 * serve_http.c, serve_api.c, serve_util.c): the server state, the engine
 * handle that PUT /api/presets swaps while requests use it, the store of
 * generated WAVs, a growable string and the JSON checks of request bodies.
 * Internal to the command: nothing here is public API. */
#ifndef AS_TOOLS_SERVE_H
#define AS_TOOLS_SERVE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "animasync/animasync.h"

/* Largest request body accepted; bigger ones get 413. */
#define SERVE_MAX_BODY (1024 * 1024)
/* Longest /api/say text in bytes (about five minutes of speech). */
#define SERVE_MAX_SAY_TEXT 4000
/* Default and largest number of generated WAVs kept for /api/audio/. */
#define SERVE_DEFAULT_KEEP_AUDIO 16
#define SERVE_MAX_KEEP_AUDIO 1024
/* Length of an audio id: 16 lowercase hex digits. */
#define SERVE_AUDIO_ID_LEN 16

/* ---- the engine: a preset bank and its compiler, reference-counted -------
 * Requests take a reference (serve_engine_acquire), compile with it outside
 * any lock (as_compile is thread-safe on a shared compiler), and drop it; a
 * PUT builds a new engine and swaps the pointer under the mutex. The old one
 * is destroyed when its last user drops it. */
typedef struct serve_engine {
    as_preset_bank *bank;   /* owned */
    as_compiler *compiler;  /* owned, over bank */
    int refs;               /* guarded by serve_state.engine_mu */
} serve_engine;

/* One generated WAV, kept in memory. */
typedef struct {
    char id[SERVE_AUDIO_ID_LEN + 1]; /* "" when the slot is free */
    unsigned char *data;             /* the whole WAV file */
    size_t size;
} serve_audio;

typedef struct {
    char *web_dir;          /* realpath of the directory served at / */
    char *presets_path;     /* where PUT /api/presets saves */
    char *tmp_dir;          /* private temporary directory (mkdtemp) */
    int quiet;              /* 1: no access log */
    char *emotions_json;    /* GET /api/emotions, built once */

    pthread_mutex_t engine_mu;
    serve_engine *engine;   /* current engine */
    pthread_mutex_t save_mu; /* one PUT at a time: save and swap in order */

    pthread_mutex_t audio_mu;
    serve_audio *audio;     /* ring of keep_audio slots */
    size_t keep_audio;
    size_t audio_next;      /* slot the next WAV replaces (oldest) */
    uint64_t counter;       /* names temporary files; guarded by audio_mu */
} serve_state;

/* Engine lifecycle (serve_util.c). serve_engine_create takes ownership of
 * bank (destroyed on failure too) and returns NULL with as_last_error(). */
serve_engine *serve_engine_create(as_preset_bank *bank);
serve_engine *serve_engine_acquire(serve_state *s);
void serve_engine_release(serve_state *s, serve_engine *e);
/* Makes e current (takes the caller's reference) and drops the old one. */
void serve_engine_swap(serve_state *s, serve_engine *e);

/* Audio store (serve_util.c). serve_audio_put takes ownership of data (freed
 * with free) and writes the new id into id_out; the oldest WAV is dropped
 * when all slots are used. serve_audio_get copies a WAV out (caller frees);
 * returns 0 if the id is unknown. */
int serve_audio_put(serve_state *s, unsigned char *data, size_t size, char id_out[SERVE_AUDIO_ID_LEN + 1]);
int serve_audio_get(serve_state *s, const char *id, unsigned char **data, size_t *size);
/* A unique temporary path in s->tmp_dir ending in suffix; caller frees. */
char *serve_tmp_path(serve_state *s, const char *suffix);
/* Reads a whole file into memory (caller frees); NULL on error. */
unsigned char *serve_read_file(const char *path, size_t *size);

/* ---- a growable string ---------------------------------------------------- */
typedef struct {
    char *data;
    size_t len, cap;
    int failed; /* an allocation failed: data is unusable */
} strbuf;

void sb_puts(strbuf *b, const char *s);
void sb_putn(strbuf *b, const char *s, size_t n);
void sb_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string literal with quotes and escapes (UTF-8 passes through). */
void sb_json_string(strbuf *b, const char *s);
/* A float in its shortest round-trip form (as_format_float). */
void sb_float(strbuf *b, float x);
/* Takes the text (NUL-terminated, caller frees) and resets b; NULL if failed. */
char *sb_take(strbuf *b);
void sb_free(strbuf *b);

/* ---- checking request bodies ------------------------------------------------
 * Each returns 0 when fine, else -1 after writing a message into err. */

/* Parses a whole body as one JSON value (nothing but whitespace after it). */
cJSON *serve_json_parse(const char *body, size_t len, char *err, size_t cap);
/* obj must be an object whose keys are all in allowed (NULL-terminated). */
int serve_json_fields(const cJSON *obj, const char *const *allowed, char *err, size_t cap);
/* Optional number field in [lo, hi]; integral=1 also requires a whole number.
 * *present says whether it was there. */
int serve_json_number(const cJSON *obj, const char *key, double lo, double hi, int integral, double *out,
                      int *present, char *err, size_t cap);
/* Optional string field; *out stays unchanged when absent. */
int serve_json_string(const cJSON *obj, const char *key, const char **out, char *err, size_t cap);

/* ---- HTTP side (serve_http.c) and API (serve_api.c) ------------------------- */

/* A finished answer: status, content type and body (malloc'd, owned). */
typedef struct {
    unsigned status;
    const char *content_type;
    char *body;
    size_t len;
    const char *allow;  /* Allow header for 405, else NULL */
} serve_reply;

/* Sets r to {"error": msg} with the status. */
void serve_reply_error(serve_reply *r, unsigned status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Sets r to a JSON body taken from b (500 if b failed). */
void serve_reply_json(serve_reply *r, unsigned status, strbuf *b);

/* Routes /api/... requests. Returns 0 when path is not an API path. */
int serve_api(serve_state *s, const char *method, const char *path, const char *body, size_t body_len,
              serve_reply *r);
/* The JSON of GET /api/emotions (built once at start); NULL on failure. */
char *serve_emotions_json(void);

/* Starts the HTTP daemon on host:port (port 0 = any free port; the port used
 * is written to *port_out). Returns the daemon (struct MHD_Daemon *) or NULL. */
void *serve_http_start(serve_state *s, const char *host, unsigned port, unsigned max_connections,
                       unsigned *port_out);
void serve_http_stop(void *daemon);

#endif
