/* train/dataset_util.h — private helpers of the dataset generator and
 * reader: the seeded random generator, a growing text buffer for JSON,
 * NumPy .npy files (write and read), and directory chores. Not public. */
#ifndef AS_TRAIN_DATASET_UTIL_H
#define AS_TRAIN_DATASET_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "animasync/core.h"
#include "core/internal.h"

/* ---- random numbers --------------------------------------------------------
 * splitmix64 (Steele, Lea & Flood 2014) to derive seeds, xoshiro256**
 * (Blackman & Vigna 2018) for streams: the library's one generator
 * (core/rng.c); the dataset's distributions sit on top. */

static inline uint64_t as_ds_splitmix64(uint64_t *x) { return as_splitmix64(x); }

/* A well-mixed seed from two numbers (a seed and an index). */
static inline uint64_t as_ds_mix(uint64_t a, uint64_t b)
{
    uint64_t x = a ^ 0x5851F42D4C957F2Dull;
    uint64_t h = as_ds_splitmix64(&x);
    x = h ^ b;
    return as_ds_splitmix64(&x);
}

/* The library's generator (core/rng.c) on stream 0. */
typedef as_rng as_ds_rng;
static inline void as_ds_rng_seed(as_ds_rng *r, uint64_t seed) { as_rng_seed(r, seed, 0); }
static inline uint64_t as_ds_rng_next(as_ds_rng *r) { return as_rng_next(r); }
/* Uniform on [0, 1) with 53 random bits. */
double as_ds_rng_uniform(as_ds_rng *r);
/* Uniform on [lo, hi]. */
double as_ds_rng_range(as_ds_rng *r, double lo, double hi);
/* Uniform integer 0..n-1 (n >= 1). */
size_t as_ds_rng_index(as_ds_rng *r, size_t n);
/* Beta(a, b) for whole a, b in 1..20: the a-th smallest of a + b - 1
 * uniforms (the order-statistic construction; exact for whole parameters). */
double as_ds_rng_beta(as_ds_rng *r, int a, int b);

/* ---- a growing text buffer ----------------------------------------------- */

typedef struct {
    char *buf;
    size_t len, cap;
    int oom; /* set when an allocation failed; later appends do nothing */
} as_ds_buf;

void as_ds_buf_printf(as_ds_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void as_ds_buf_put(as_ds_buf *b, const char *s, size_t n);
/* Appends a string literal. */
#define as_ds_buf_lit(b, lit) as_ds_buf_put((b), "" lit, sizeof(lit) - 1)
/* s as a JSON string literal (quotes, escapes; UTF-8 passes through). */
void as_ds_buf_json_str(as_ds_buf *b, const char *s);
/* A float in the shortest text that reads back exactly (as_format_float). */
void as_ds_buf_float(as_ds_buf *b, float x);
void as_ds_buf_free(as_ds_buf *b);

/* ---- NumPy .npy (format version 1.0) -------------------------------------- */

typedef enum { AS_NPY_F4 = 0, AS_NPY_F8, AS_NPY_I8, AS_NPY_I1, AS_NPY_U1 } as_npy_dtype;

/* The descr string ("<f4", "<f8", "<i8", "|i1", "|u1") and the item size. */
const char *as_npy_descr(as_npy_dtype t);
size_t as_npy_itemsize(as_npy_dtype t);
/* 1 on a little-endian host (the only kind the writer supports). */
int as_npy_host_little_endian(void);

/* The header of a C-order array of rows x cols (cols 0 = a 1-D array of
 * rows) into out (room for 256 bytes); returns its length (a multiple of 64). */
size_t as_npy_header(unsigned char *out, as_npy_dtype t, size_t rows, size_t cols);

/* Writes a C-order array of rows x cols (cols 0 = a 1-D array of rows) to
 * path (not atomically: the shard directory it goes into is renamed when
 * complete). Data are in host order, which must be little-endian. */
as_result as_npy_write(const char *path, as_npy_dtype t, size_t rows, size_t cols, const void *data);

/* Reads an .npy file that must have dtype t, C order, and 1 (cols == 0) or
 * 2 dimensions; cols must match when non-zero expected_cols is given.
 * *data is freed with as_free. */
as_result as_npy_read(const char *path, as_npy_dtype t, size_t expected_cols, size_t *rows, size_t *cols,
                      void **data);

/* ---- files and directories ----------------------------------------------- */

/* mkdir -p. */
as_result as_ds_mkdirs(const char *path);
/* rm -r of a directory of plain files (one level; what a shard is). */
void as_ds_remove_tree(const char *path);
/* "dir/name" into a new string (as_free). */
char *as_ds_path(const char *dir, const char *name);

#endif
