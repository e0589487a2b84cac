/* core/internal.h — helpers every stage of the library uses internally (not
 * public): error recording, logging, the allocator hook, clamps, atomic file
 * writes, and the embedded data files. */
#ifndef AS_CORE_INTERNAL_H
#define AS_CORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "animasync/core.h"

/* Records the detailed message for as_last_error() (printf-style) and returns r,
 * so a failing path reads `return as_fail(AS_ERR_PARSE, "%s: line %d: ...", ...)`. */
as_result as_fail(as_result r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Records a message without a result (for constructors that return NULL). */
void as_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Sends a message to the log callback, if one is set. */
void as_log(as_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Allocation through the allocator hook. as_calloc zeroes; all may return NULL. */
void *as_malloc(size_t size);
void *as_calloc(size_t n, size_t size);
void *as_realloc(void *ptr, size_t size);
char *as_strdup(const char *s);
/* as_free is public (core.h). */

static inline float as_clampf(float x, float lo, float hi) { return x < lo ? lo : (x > hi ? hi : x); }
static inline float as_clamp01(float x) { return x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x); }

/* Atomic file output: writes to "<path>.tmp.<pid>" and renames onto path on
 * as_atomic_commit; as_atomic_abort removes the temporary file. */
typedef struct {
    FILE *f;
    char *tmp_path;
    char *path;
} as_atomic_file;
as_result as_atomic_open(as_atomic_file *af, const char *path);
as_result as_atomic_commit(as_atomic_file *af);
void as_atomic_abort(as_atomic_file *af);
/* Whole-buffer convenience: writes len bytes to path atomically. */
as_result as_write_file_atomic(const char *path, const void *data, size_t len);
/* Reads a whole file (NUL-terminated); caller frees with as_free. */
as_result as_read_file(const char *path, char **out, size_t *len);

/* Seconds on the monotonic clock (for elapsed times and progress rates). */
double as_now_s(void);

/* The seeded generator (core/rng.c): xoshiro256** seeded through splitmix64.
 * The same seed and stream always give the same sequence. */
typedef struct {
    uint64_t s[4];
} as_rng;
/* splitmix64 step: advances *x and returns the next mixed value. */
uint64_t as_splitmix64(uint64_t *x);
/* Seeds rng from seed and a stream id (independent sequences per stream). */
void as_rng_seed(as_rng *rng, uint64_t seed, uint64_t stream);
uint64_t as_rng_next(as_rng *rng);

/* The data files of data/ compiled into the library (cmake/embed.cmake). */
extern const unsigned char as_embedded_presets[];
extern const size_t as_embedded_presets_len;
extern const unsigned char as_embedded_anchors[];
extern const size_t as_embedded_anchors_len;
extern const unsigned char as_embedded_lexicon[];
extern const size_t as_embedded_lexicon_len;
extern const unsigned char as_embedded_parametric[];
extern const size_t as_embedded_parametric_len;

#endif
