/* nn/weights.c — weight files and shipped weights: the versioned binary
 * format (int32 header, float32 values in layout order, optional extra
 * bytes, CRC-32 trailer; docs/NN.md gives it byte by byte), its atomic
 * writer and checking reader, and the generator of the C source files that
 * build default weights into the library. Everything is little-endian on
 * disk whatever the host. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "nn/nn.h"

_Static_assert(NN_MAX_HPARAMS == AS_NN_MAX_HPARAMS, "one hyperparameter limit");

#define DEFAULT_HINT "write it with the trainer of this animasync version"

/* ---- CRC-32 ------------------------------------------------------------------ */

uint32_t nn_crc32(uint32_t crc, const void *data, size_t len)
{
    /* four bits at a time: entry i is the CRC register after shifting the
     * nibble i out through the reflected polynomial 0xEDB88320 (four
     * shift-and-conditional-xor steps). A constant table: no set-up, no
     * shared state between threads. */
    static const uint32_t table[16] = {
        0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u, 0x4DB26158u, 0x5005713Cu,
        0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu, 0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu};
    const unsigned char *p = data;
    crc = ~crc; /* initial value 0xFFFFFFFF when starting from 0 */
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        crc = table[crc & 0xF] ^ (crc >> 4); /* low nibble first: the CRC is reflected */
        crc = table[crc & 0xF] ^ (crc >> 4);
    }
    return ~crc; /* final xor */
}

/* ---- little-endian helpers ------------------------------------------------- */

static void put_u32(unsigned char *p, uint32_t x)
{
    p[0] = (unsigned char)x;
    p[1] = (unsigned char)(x >> 8);
    p[2] = (unsigned char)(x >> 16);
    p[3] = (unsigned char)(x >> 24);
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int32_t get_i32(const unsigned char *p)
{
    uint32_t u = get_u32(p);
    int32_t x;
    memcpy(&x, &u, 4);
    return x;
}

static uint32_t float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

const char *as_nn_kind_name(int kind)
{
    int base = kind & ~AS_NN_KIND_CHECKPOINT;
    int ckpt = (kind & AS_NN_KIND_CHECKPOINT) != 0;
    if (kind < 0 || base > AS_NN_KIND_TEXT_CLASSIFIER) return "unknown kind";
    static const char *const names[2][3] = {
        {"generic network", "lipsync student", "text classifier"},
        {"generic network checkpoint", "lipsync student checkpoint", "text classifier checkpoint"}};
    return names[ckpt][base];
}

/* ---- writer ------------------------------------------------------------------- */

/* Header size in bytes for h hyperparameters: magic, version, kind, h,
 * hparams[h], value count, extra byte count. */
static size_t header_bytes(int h) { return 4 * (size_t)(4 + h + 2); }

/* One run of values to write: the writer takes several, so a checkpoint
 * (values, m, v) needs no copy into one buffer. */
typedef struct {
    const float *x;
    size_t n;
} segment;

static as_result write_file(const char *path, int32_t kind, const int32_t *hparams, int n_hparams,
                            const segment *seg, int n_seg, const void *extra, size_t n_extra)
{
    size_t n_values = 0;
    for (int s = 0; s < n_seg; s++) n_values += seg[s].n;
    if (!path || n_hparams < 0 || n_hparams > NN_MAX_HPARAMS || (n_hparams && !hparams) || (n_extra && !extra))
        return as_fail(AS_ERR_INVALID_ARG, "nn_weights_save: bad arguments");
    for (int s = 0; s < n_seg; s++)
        if (seg[s].n && !seg[s].x) return as_fail(AS_ERR_INVALID_ARG, "nn_weights_save: values are NULL");
    if (n_values > INT32_MAX || n_extra > INT32_MAX)
        return as_fail(AS_ERR_RANGE, "%s: too large for a weight file (%zu values, %zu extra bytes)", path, n_values,
                       n_extra);
    size_t at = 0;
    for (int s = 0; s < n_seg; s++)
        for (size_t i = 0; i < seg[s].n; i++, at++)
            if (!isfinite(seg[s].x[i]))
                return as_fail(AS_ERR_INVALID_ARG, "%s: weight %zu is not a finite number; refusing to save it",
                               path, at);

    /* the header in one buffer */
    unsigned char head[4 * (4 + NN_MAX_HPARAMS + 2)];
    size_t hb = header_bytes(n_hparams);
    put_u32(head + 0, AS_NN_MAGIC);
    put_u32(head + 4, AS_NN_FORMAT_VERSION);
    put_u32(head + 8, (uint32_t)kind);
    put_u32(head + 12, (uint32_t)n_hparams);
    for (int i = 0; i < n_hparams; i++) put_u32(head + 16 + 4 * (size_t)i, (uint32_t)hparams[i]);
    put_u32(head + hb - 8, (uint32_t)n_values);
    put_u32(head + hb - 4, (uint32_t)n_extra);

    as_atomic_file af;
    as_result r = as_atomic_open(&af, path);
    if (r != AS_OK) return r;
    int ok = fwrite(head, 1, hb, af.f) == hb;
    uint32_t crc = nn_crc32(0, head, hb);
    /* values in chunks, each float as its 4 little-endian bytes */
    unsigned char buf[4096];
    for (int s = 0; s < n_seg; s++) {
        for (size_t i = 0; ok && i < seg[s].n;) {
            size_t k = 0;
            for (; k < sizeof buf / 4 && i < seg[s].n; k++, i++) put_u32(buf + 4 * k, float_bits(seg[s].x[i]));
            ok = fwrite(buf, 1, 4 * k, af.f) == 4 * k;
            crc = nn_crc32(crc, buf, 4 * k);
        }
    }
    if (ok && n_extra) {
        ok = fwrite(extra, 1, n_extra, af.f) == n_extra;
        crc = nn_crc32(crc, extra, n_extra);
    }
    /* the trailer: CRC-32 of every byte before it */
    unsigned char tail[4];
    put_u32(tail, crc);
    if (ok) ok = fwrite(tail, 1, 4, af.f) == 4;
    if (!ok) {
        as_atomic_abort(&af);
        return as_fail(AS_ERR_IO, "%s: write failed", path);
    }
    return as_atomic_commit(&af);
}

as_result nn_weights_save(const char *path, int32_t kind, const int32_t *hparams, int n_hparams, const float *values,
                          size_t n_values, const void *extra, size_t n_extra)
{
    segment seg = {values, n_values};
    return write_file(path, kind, hparams, n_hparams, &seg, 1, extra, n_extra);
}

as_result nn_checkpoint_save(const char *path, int32_t kind, const int32_t *hparams, int n_hparams,
                             const float *values, const float *m, const float *v, size_t n, long step,
                             const void *extra, size_t n_extra)
{
    if (n_hparams < 0 || n_hparams + 2 > NN_MAX_HPARAMS || (n_hparams && !hparams) || step < 0)
        return as_fail(AS_ERR_INVALID_ARG, "nn_checkpoint_save: bad arguments");
    /* the model's hyperparameters, then the step as two int32 (low, high) */
    int32_t hp[NN_MAX_HPARAMS];
    for (int i = 0; i < n_hparams; i++) hp[i] = hparams[i];
    uint64_t st = (uint64_t)step;
    hp[n_hparams] = (int32_t)(uint32_t)(st & 0xFFFFFFFFu);
    hp[n_hparams + 1] = (int32_t)(uint32_t)(st >> 32);
    segment seg[3] = {{values, n}, {m, n}, {v, n}};
    return write_file(path, kind | AS_NN_KIND_CHECKPOINT, hp, n_hparams + 2, seg, 3, extra, n_extra);
}

/* ---- reader ------------------------------------------------------------------- */

void nn_weights_free(nn_weights *w)
{
    if (!w) return;
    as_free(w->values);
    as_free(w->extra);
    memset(w, 0, sizeof *w);
}

as_result nn_weights_parse(const void *data, size_t len, const char *label, int32_t kind, const char *hint,
                           nn_weights *out)
{
    if (!out) return as_fail(AS_ERR_INVALID_ARG, "nn_weights_parse: out is NULL");
    memset(out, 0, sizeof *out);
    if (!label) label = "weights";
    if (!hint) hint = DEFAULT_HINT;
    const unsigned char *p = data;
    if (!p && len) return as_fail(AS_ERR_INVALID_ARG, "nn_weights_parse: data is NULL");

    /* 1. magic: is this a weight file at all (even a short one may say no) */
    static const unsigned char magic[4] = {'A', 'S', 'N', 'N'};
    size_t m = len < 4 ? len : 4;
    if (memcmp(p, magic, m) != 0) {
        unsigned char b[4] = {0};
        memcpy(b, p, m);
        return as_fail(AS_ERR_PARSE,
                       "%s: not an animasync weight file (it starts with bytes %02x %02x %02x %02x, a weight file "
                       "with \"ASNN\"); %s",
                       label, b[0], b[1], b[2], b[3], hint);
    }
    if (len < 16)
        return as_fail(AS_ERR_PARSE, "%s: truncated weight file (%zu bytes, the header alone needs at least 24); %s",
                       label, len, hint);
    /* 2. format version */
    int32_t version = get_i32(p + 4);
    if (version != AS_NN_FORMAT_VERSION)
        return as_fail(AS_ERR_PARSE, "%s: weight file format version %d, this build reads version %d; %s", label,
                       (int)version, AS_NN_FORMAT_VERSION, hint);
    /* 3. the header's own sizes */
    int32_t h = get_i32(p + 12);
    if (h < 0 || h > NN_MAX_HPARAMS)
        return as_fail(AS_ERR_PARSE, "%s: corrupt weight file header (%d hyperparameters, at most %d); %s", label,
                       (int)h, NN_MAX_HPARAMS, hint);
    size_t hb = header_bytes(h);
    if (len < hb)
        return as_fail(AS_ERR_PARSE, "%s: truncated weight file (%zu bytes, its header alone needs %zu); %s", label,
                       len, hb, hint);
    int32_t nv = get_i32(p + hb - 8), ne = get_i32(p + hb - 4);
    if (nv < 0 || ne < 0)
        return as_fail(AS_ERR_PARSE, "%s: corrupt weight file header (value count %d, extra bytes %d); %s", label,
                       (int)nv, (int)ne, hint);
    size_t total = hb + 4 * (size_t)nv + (size_t)ne + 4;
    /* 4. size: the header says how long the file is */
    if (len < total)
        return as_fail(AS_ERR_PARSE, "%s: truncated weight file (%zu bytes, its header announces %zu); %s", label, len,
                       total, hint);
    if (len > total)
        return as_fail(AS_ERR_PARSE,
                       "%s: oversized weight file (%zu bytes, its header announces %zu: %zu bytes too many); %s",
                       label, len, total, len - total, hint);
    /* 5. checksum over everything before the trailer */
    uint32_t stored = get_u32(p + total - 4), computed = nn_crc32(0, p, total - 4);
    if (stored != computed)
        return as_fail(AS_ERR_PARSE,
                       "%s: corrupt weight file (checksum %08x, the contents give %08x: a changed byte); %s", label,
                       (unsigned)stored, (unsigned)computed, hint);
    /* 6. kind: the right model */
    int32_t file_kind = get_i32(p + 8);
    if (kind >= 0 && file_kind != kind)
        return as_fail(AS_ERR_PARSE, "%s: this weight file holds a %s (kind %d), not a %s (kind %d); %s", label,
                       as_nn_kind_name(file_kind), (int)file_kind, as_nn_kind_name(kind), (int)kind, hint);

    out->version = version;
    out->kind = file_kind;
    out->n_hparams = h;
    for (int i = 0; i < h; i++) out->hparams[i] = get_i32(p + 16 + 4 * (size_t)i);
    out->n_values = (size_t)nv;
    out->n_extra = (size_t)ne;
    out->values = as_malloc((size_t)nv * sizeof(float));
    out->extra = ne ? as_malloc((size_t)ne) : NULL;
    if (!out->values || (ne && !out->extra)) {
        nn_weights_free(out);
        return as_fail(AS_ERR_NOMEM, "%s: out of memory for %d weights", label, (int)nv);
    }
    for (size_t i = 0; i < (size_t)nv; i++) {
        uint32_t u = get_u32(p + hb + 4 * i);
        memcpy(&out->values[i], &u, 4);
    }
    if (ne) memcpy(out->extra, p + hb + 4 * (size_t)nv, (size_t)ne);
    return AS_OK;
}

as_result nn_weights_load(const char *path, int32_t kind, const char *hint, nn_weights *out)
{
    if (!out) return as_fail(AS_ERR_INVALID_ARG, "nn_weights_load: out is NULL");
    memset(out, 0, sizeof *out);
    if (!path) return as_fail(AS_ERR_INVALID_ARG, "nn_weights_load: path is NULL");
    char *data = NULL;
    size_t len = 0;
    as_result r = as_read_file(path, &data, &len);
    if (r != AS_OK) return r;
    r = nn_weights_parse(data, len, path, kind, hint, out);
    as_free(data);
    return r;
}

as_result nn_weights_from_arrays(const int32_t *header, const float *values, size_t n_values, const char *label,
                                 int32_t kind, const char *hint, nn_weights *out)
{
    if (!out) return as_fail(AS_ERR_INVALID_ARG, "nn_weights_from_arrays: out is NULL");
    memset(out, 0, sizeof *out);
    if (!label) label = "built-in weights";
    if (!hint) hint = DEFAULT_HINT;
    if (!header || (n_values && !values))
        return as_fail(AS_ERR_INVALID_ARG, "nn_weights_from_arrays: NULL arrays");
    /* the generated header: kind, hyperparameter count, hyperparameters */
    if (header[1] < 0 || header[1] > NN_MAX_HPARAMS)
        return as_fail(AS_ERR_PARSE, "%s: corrupt header (%d hyperparameters); %s", label, (int)header[1], hint);
    if (kind >= 0 && header[0] != kind)
        return as_fail(AS_ERR_PARSE, "%s: holds a %s (kind %d), not a %s (kind %d); %s", label,
                       as_nn_kind_name(header[0]), (int)header[0], as_nn_kind_name(kind), (int)kind, hint);
    out->version = AS_NN_FORMAT_VERSION;
    out->kind = header[0];
    out->n_hparams = header[1];
    for (int i = 0; i < header[1]; i++) out->hparams[i] = header[2 + i];
    out->n_values = n_values;
    out->values = as_malloc(n_values * sizeof(float));
    if (!out->values) {
        nn_weights_free(out);
        return as_fail(AS_ERR_NOMEM, "%s: out of memory for %zu weights", label, n_values);
    }
    if (n_values) memcpy(out->values, values, n_values * sizeof(float));
    return AS_OK;
}

as_result nn_weights_expect(const nn_weights *w, const int32_t *hparams, const char *const *names, int n_hparams,
                            size_t n_values, const char *label, const char *hint)
{
    if (!label) label = "weights";
    if (!hint) hint = DEFAULT_HINT;
    if (w->n_hparams != n_hparams)
        return as_fail(AS_ERR_PARSE, "%s: %d hyperparameters in the weight file, this model has %d; %s", label,
                       w->n_hparams, n_hparams, hint);
    for (int i = 0; i < n_hparams; i++) {
        if (w->hparams[i] == hparams[i]) continue;
        char num[32];
        snprintf(num, sizeof num, "#%d", i);
        return as_fail(AS_ERR_PARSE, "%s: hyperparameter %s is %d in the weight file, this model expects %d; %s",
                       label, names && names[i] ? names[i] : num, (int)w->hparams[i], (int)hparams[i], hint);
    }
    if (w->n_values != n_values)
        return as_fail(AS_ERR_PARSE, "%s: %zu weights in the file, this model has %zu; %s", label, w->n_values,
                       n_values, hint);
    return AS_OK;
}

as_result nn_checkpoint_load(const char *path, int32_t kind, const int32_t *hparams, const char *const *names,
                             int n_hparams, float *values, float *m, float *v, size_t n, long *step, const char *hint)
{
    if (!hint) hint = "start the training from scratch, or resume from a checkpoint of this model";
    if (n_hparams < 0 || n_hparams + 2 > NN_MAX_HPARAMS || (n_hparams && !hparams))
        return as_fail(AS_ERR_INVALID_ARG, "nn_checkpoint_load: bad arguments");
    nn_weights w;
    as_result r = nn_weights_load(path, kind | AS_NN_KIND_CHECKPOINT, hint, &w);
    if (r != AS_OK) return r;
    /* the model's hyperparameters must match; the last two are the step */
    int32_t want[NN_MAX_HPARAMS];
    for (int i = 0; i < n_hparams; i++) want[i] = hparams[i];
    if (w.n_hparams == n_hparams + 2) {
        want[n_hparams] = w.hparams[n_hparams];
        want[n_hparams + 1] = w.hparams[n_hparams + 1];
    }
    const char *nm[NN_MAX_HPARAMS];
    for (int i = 0; i < n_hparams + 2; i++) nm[i] = i < n_hparams ? (names ? names[i] : NULL) : "step";
    r = nn_weights_expect(&w, want, nm, n_hparams + 2, 3 * n, path, hint);
    if (r == AS_OK) {
        memcpy(values, w.values, n * sizeof(float));
        memcpy(m, w.values + n, n * sizeof(float));
        memcpy(v, w.values + 2 * n, n * sizeof(float));
        uint64_t st = (uint64_t)(uint32_t)w.hparams[n_hparams] | (uint64_t)(uint32_t)w.hparams[n_hparams + 1] << 32;
        if (step) *step = (long)st;
    }
    nn_weights_free(&w);
    return r;
}

as_result as_nn_file_info_read(const char *path, as_nn_file_info *info)
{
    if (!path || !info) return as_fail(AS_ERR_INVALID_ARG, "as_nn_file_info_read: NULL argument");
    memset(info, 0, sizeof *info);
    nn_weights w;
    as_result r = nn_weights_load(path, -1, NULL, &w);
    if (r != AS_OK) return r;
    info->version = w.version;
    info->kind = w.kind;
    info->n_hparams = w.n_hparams;
    for (int i = 0; i < w.n_hparams; i++) info->hparams[i] = w.hparams[i];
    info->n_values = w.n_values;
    info->n_extra = w.n_extra;
    nn_weights_free(&w);
    /* re-read the trailer for the report (the load verified it) */
    FILE *f = fopen(path, "rb");
    unsigned char tail[4];
    if (f && fseek(f, -4, SEEK_END) == 0 && fread(tail, 1, 4, f) == 4) info->checksum = get_u32(tail);
    if (f) fclose(f);
    return AS_OK;
}

/* ---- C source generator --------------------------------------------------------- */

static int is_identifier(const char *s)
{
    if (!s || !*s) return 0;
    for (const char *c = s; *c; c++) {
        int alpha = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '_';
        int digit = *c >= '0' && *c <= '9';
        if (!alpha && !(digit && c != s)) return 0;
    }
    return 1;
}

/* The command as comment text: no "*\/" and no line breaks can escape the
 * comment. */
static void put_comment_text(FILE *f, const char *s)
{
    for (const char *c = s; *c; c++) {
        if (*c == '\n' || *c == '\r') fputc(' ', f);
        else if (c[0] == '*' && c[1] == '/') fputs("* ", f);
        else fputc(*c, f);
    }
}

as_result nn_weights_write_c(const char *path, const char *name, const char *command, int32_t kind,
                             const int32_t *hparams, int n_hparams, const float *values, size_t n_values)
{
    if (!path || !is_identifier(name) || n_hparams < 0 || n_hparams > NN_MAX_HPARAMS || (n_hparams && !hparams) ||
        (n_values && !values))
        return as_fail(AS_ERR_INVALID_ARG, "nn_weights_write_c: bad arguments (the name must be a C identifier)");
    for (size_t i = 0; i < n_values; i++)
        if (!isfinite(values[i]))
            return as_fail(AS_ERR_INVALID_ARG, "%s: weight %zu is not a finite number; refusing to write it", path, i);
    as_atomic_file af;
    as_result r = as_atomic_open(&af, path);
    if (r != AS_OK) return r;
    FILE *f = af.f;
    /* line 1 says what made the file */
    fputs("/* Generated file, do not edit: made by `", f);
    put_comment_text(f, command ? command : "(unknown command)");
    fputs("`. */\n", f);
    fprintf(f, "/* %zu float32 weights of a %s (kind %d), in the layout order of docs/NN.md. */\n", n_values,
            as_nn_kind_name(kind), (int)kind);
    fputs("#include <stddef.h>\n#include <stdint.h>\n\n", f);
    /* the header the loader checks: kind, hyperparameter count, hyperparameters */
    fprintf(f, "const int32_t %s_header[%d] = {%d, %d", name, n_hparams + 2, (int)kind, n_hparams);
    for (int i = 0; i < n_hparams; i++) fprintf(f, ", %d", (int)hparams[i]);
    fputs("};\n", f);
    fprintf(f, "const size_t %s_count = %zu;\n", name, n_values);
    /* C has no empty array: an empty set of weights is one unused zero */
    fprintf(f, "const float %s[%zu] = {\n", name, n_values ? n_values : 1);
    char num[48];
    for (size_t i = 0; i < n_values; i++) {
        /* the shortest decimal that reads back as exactly this float, both
         * as a float and as a double narrowed to float (which is what a C
         * compiler does with an unsuffixed constant); -0 keeps its sign */
        if (values[i] == 0.0f && signbit(values[i])) snprintf(num, sizeof num, "-0.0");
        else as_format_float(num, sizeof num, values[i]);
        fputs(num, f);
        fputs(i + 1 == n_values ? "\n" : ((i + 1) % 8 == 0 ? ",\n" : ", "), f);
    }
    if (!n_values) fputs("0\n", f);
    fputs("};\n", f);
    if (ferror(f)) {
        as_atomic_abort(&af);
        return as_fail(AS_ERR_IO, "%s: write failed", path);
    }
    return as_atomic_commit(&af);
}
