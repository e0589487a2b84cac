/* train/dataset_util.c — see dataset_util.h: random numbers, a text buffer,
 * NumPy .npy files, directories. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "core/internal.h"
#include "train/dataset_util.h"

/* ---- random numbers ------------------------------------------------------- */

double as_ds_rng_uniform(as_ds_rng *r) { return (double)(as_ds_rng_next(r) >> 11) * 0x1.0p-53; }

double as_ds_rng_range(as_ds_rng *r, double lo, double hi) { return lo + (hi - lo) * as_ds_rng_uniform(r); }

size_t as_ds_rng_index(as_ds_rng *r, size_t n)
{
    size_t i = (size_t)(as_ds_rng_uniform(r) * (double)n);
    return i < n ? i : n - 1;
}

double as_ds_rng_beta(as_ds_rng *r, int a, int b)
{
    /* The k-th smallest of n uniforms is Beta(k, n + 1 - k) (David &
     * Nagaraja, Order Statistics, 2003, sec. 2.1): n = a + b - 1, k = a.
     * Insertion sort of at most 39 values. */
    double u[40];
    int n = a + b - 1;
    if (a < 1 || b < 1 || n > 39) return 0.5;
    for (int i = 0; i < n; i++) {
        double x = as_ds_rng_uniform(r);
        int j = i;
        while (j > 0 && u[j - 1] > x) {
            u[j] = u[j - 1];
            j--;
        }
        u[j] = x;
    }
    return u[a - 1];
}

/* ---- text buffer ---------------------------------------------------------- */

static int buf_reserve(as_ds_buf *b, size_t extra)
{
    if (b->oom) return 0;
    if (b->len + extra + 1 <= b->cap) return 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) cap *= 2;
    char *nb = as_realloc(b->buf, cap);
    if (!nb) {
        b->oom = 1;
        return 0;
    }
    b->buf = nb;
    b->cap = cap;
    return 1;
}

void as_ds_buf_put(as_ds_buf *b, const char *s, size_t n)
{
    if (!buf_reserve(b, n)) return;
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = 0;
}

void as_ds_buf_printf(as_ds_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof small) {
        as_ds_buf_put(b, small, (size_t)n);
        return;
    }
    if (!buf_reserve(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void as_ds_buf_json_str(as_ds_buf *b, const char *s)
{
    as_ds_buf_put(b, "\"", 1);
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            char e[2] = {'\\', (char)ch};
            as_ds_buf_put(b, e, 2);
        } else if (ch < 0x20) {
            as_ds_buf_printf(b, "\\u%04x", ch);
        } else {
            as_ds_buf_put(b, s, 1);
        }
    }
    as_ds_buf_put(b, "\"", 1);
}

void as_ds_buf_float(as_ds_buf *b, float x)
{
    char tmp[32];
    as_format_float(tmp, sizeof tmp, x);
    as_ds_buf_put(b, tmp, strlen(tmp));
}

void as_ds_buf_free(as_ds_buf *b)
{
    as_free(b->buf);
    memset(b, 0, sizeof *b);
}

/* ---- NumPy .npy -------------------------------------------------------------
 * Format 1.0 (numpy/lib/format.py, NEP 1): the magic "\x93NUMPY", version
 * bytes 1 0, a little-endian uint16 header length, then an ASCII Python dict
 * literal padded with spaces and ended by '\n' so the data start at a
 * multiple of 64 bytes, then the raw C-order data. */

static const char *const descrs[] = {"<f4", "<f8", "<i8", "|i1", "|u1"};
static const size_t itemsizes[] = {4, 8, 8, 1, 1};

const char *as_npy_descr(as_npy_dtype t) { return descrs[t]; }
size_t as_npy_itemsize(as_npy_dtype t) { return itemsizes[t]; }

int as_npy_host_little_endian(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

size_t as_npy_header(unsigned char *head, as_npy_dtype t, size_t rows, size_t cols)
{
    char dict[192];
    int n = cols ? snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%zu, %zu), }",
                            descrs[t], rows, cols)
                 : snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%zu,), }",
                            descrs[t], rows);
    size_t padded = (10 + (size_t)n + 1 + 63) / 64 * 64;
    size_t hlen = padded - 10;
    memcpy(head, "\x93NUMPY\x01\x00", 8);
    head[8] = (unsigned char)(hlen & 0xff);
    head[9] = (unsigned char)(hlen >> 8);
    memcpy(head + 10, dict, (size_t)n);
    memset(head + 10 + n, ' ', padded - 10 - (size_t)n - 1);
    head[padded - 1] = '\n';
    return padded;
}

as_result as_npy_write(const char *path, as_npy_dtype t, size_t rows, size_t cols, const void *data)
{
    if (!as_npy_host_little_endian()) return as_fail(AS_ERR_UNSUPPORTED, "%s: .npy writer needs a little-endian host", path);
    unsigned char head[256];
    size_t padded = as_npy_header(head, t, rows, cols);
    FILE *f = fopen(path, "wb");
    if (!f) return as_fail(AS_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    size_t bytes = rows * (cols ? cols : 1) * itemsizes[t];
    int ok = fwrite(head, 1, padded, f) == padded && (bytes == 0 || fwrite(data, 1, bytes, f) == bytes);
    if (fclose(f) != 0) ok = 0;
    if (!ok) {
        remove(path);
        return as_fail(AS_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    }
    return AS_OK;
}

/* Finds 'key': in the header dict and returns a pointer after the colon and
 * any spaces, or NULL. */
static const char *dict_value(const char *dict, const char *key)
{
    char pat[40];
    snprintf(pat, sizeof pat, "'%s'", key);
    const char *p = strstr(dict, pat);
    if (!p) return NULL;
    p += strlen(pat);
    while (*p == ' ') p++;
    if (*p != ':') return NULL;
    p++;
    while (*p == ' ') p++;
    return p;
}

as_result as_npy_read(const char *path, as_npy_dtype t, size_t expected_cols, size_t *rows, size_t *cols,
                      void **data)
{
    *data = NULL;
    *rows = *cols = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return as_fail(AS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    unsigned char pre[12];
    as_result r = AS_OK;
    char *dict = NULL;
    size_t hlen = 0, pre_len = 10;
    if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0) {
        r = as_fail(AS_ERR_PARSE, "%s: not a .npy file (bad magic)", path);
        goto done;
    }
    if (pre[6] == 1) {
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
    } else if (pre[6] == 2 || pre[6] == 3) {
        if (fread(pre + 10, 1, 2, f) != 2) { r = as_fail(AS_ERR_PARSE, "%s: truncated header", path); goto done; }
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
        pre_len = 12;
    } else {
        r = as_fail(AS_ERR_PARSE, "%s: .npy format version %d not supported", path, pre[6]);
        goto done;
    }
    if (hlen == 0 || hlen > 65536) { r = as_fail(AS_ERR_PARSE, "%s: header length %zu", path, hlen); goto done; }
    dict = as_malloc(hlen + 1);
    if (!dict) { r = as_fail(AS_ERR_NOMEM, "out of memory"); goto done; }
    if (fread(dict, 1, hlen, f) != hlen) { r = as_fail(AS_ERR_PARSE, "%s: truncated header", path); goto done; }
    dict[hlen] = 0;
    const char *d = dict_value(dict, "descr");
    char want[8];
    snprintf(want, sizeof want, "'%s'", descrs[t]);
    /* A one-byte type may be written '|u1' or '<u1'. */
    char alt[8];
    snprintf(alt, sizeof alt, "'<%s'", descrs[t] + 1);
    if (!d || (strncmp(d, want, strlen(want)) != 0 && !(itemsizes[t] == 1 && strncmp(d, alt, strlen(alt)) == 0))) {
        r = as_fail(AS_ERR_PARSE, "%s: dtype is not %s", path, descrs[t]);
        goto done;
    }
    const char *fo = dict_value(dict, "fortran_order");
    if (!fo || strncmp(fo, "False", 5) != 0) { r = as_fail(AS_ERR_PARSE, "%s: not in C order", path); goto done; }
    const char *s = dict_value(dict, "shape");
    if (!s || *s != '(') { r = as_fail(AS_ERR_PARSE, "%s: no shape in header", path); goto done; }
    s++;
    size_t dims[3] = {0, 0, 0};
    int nd = 0;
    while (*s && *s != ')') {
        while (*s == ' ' || *s == ',') s++;
        if (*s == ')') break;
        char *end;
        unsigned long long v = strtoull(s, &end, 10);
        if (end == s || nd == 3) { r = as_fail(AS_ERR_PARSE, "%s: bad shape", path); goto done; }
        dims[nd++] = (size_t)v;
        s = end;
        while (*s == 'L' || *s == ' ') s++;
        if (*s == ',') s++;
    }
    if (nd < 1 || nd > 2) { r = as_fail(AS_ERR_PARSE, "%s: %d dimensions, expected 1 or 2", path, nd); goto done; }
    *rows = dims[0];
    *cols = nd == 2 ? dims[1] : 0;
    if (expected_cols && *cols != expected_cols) {
        r = as_fail(AS_ERR_PARSE, "%s: shape (%zu, %zu), expected (N, %zu)", path, *rows, *cols, expected_cols);
        goto done;
    }
    size_t count = *rows * (*cols ? *cols : 1);
    /* Both products are checked: a shape whose byte count wraps to what the
     * file holds would hand out a buffer far smaller than rows x cols. */
    if ((*cols && count / *cols != *rows) || count > SIZE_MAX / itemsizes[t]) {
        r = as_fail(AS_ERR_PARSE, "%s: shape (%zu, %zu) overflows", path, *rows, *cols);
        goto done;
    }
    size_t bytes = count * itemsizes[t];
    long data_start = (long)(pre_len + hlen);
    if (fseek(f, 0, SEEK_END) != 0) { r = as_fail(AS_ERR_IO, "%s: cannot seek", path); goto done; }
    long file_len = ftell(f);
    if (file_len < data_start || (size_t)(file_len - data_start) != bytes) {
        r = as_fail(AS_ERR_PARSE, "%s: %ld data bytes, the shape needs %zu", path, file_len - data_start, bytes);
        goto done;
    }
    fseek(f, data_start, SEEK_SET);
    *data = as_malloc(bytes ? bytes : 1);
    if (!*data) { r = as_fail(AS_ERR_NOMEM, "%s: out of memory for %zu bytes", path, bytes); goto done; }
    if (bytes && fread(*data, 1, bytes, f) != bytes) { r = as_fail(AS_ERR_IO, "%s: read failed", path); goto done; }
done:
    if (r != AS_OK) {
        as_free(*data);
        *data = NULL;
        *rows = *cols = 0;
    }
    as_free(dict);
    fclose(f);
    return r;
}

/* ---- files and directories ------------------------------------------------ */

as_result as_ds_mkdirs(const char *path)
{
    size_t n = strlen(path);
    char *p = as_malloc(n + 1);
    if (!p) return as_fail(AS_ERR_NOMEM, "out of memory");
    memcpy(p, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != 0) continue;
        char c = p[i];
        p[i] = 0;
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            as_result r = as_fail(AS_ERR_IO, "cannot create directory %s: %s", p, strerror(errno));
            as_free(p);
            return r;
        }
        p[i] = c;
    }
    as_free(p);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return as_fail(AS_ERR_IO, "%s: not a directory", path);
    return AS_OK;
}

char *as_ds_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = as_malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

void as_ds_remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char *p = as_ds_path(path, e->d_name);
            if (p) remove(p);
            as_free(p);
        }
        closedir(d);
    }
    remove(path);
}
