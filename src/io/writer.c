/* io/writer.c — the one writer interface: the as_writer wrapper that checks
 * arguments and values once for every format and dispatches to an
 * implementation (write_json.c, write_csv.c, write_npy.c), plus the helpers
 * the formats share (exact number text, JSON strings, Live Link columns). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"
#include "io_internal.h"

/* ---- formats ------------------------------------------------------------- */

static const char *const format_names[AS_NUM_FORMATS] = {"json", "csv", "npy", "livelink"};
static const char *const format_ext[AS_NUM_FORMATS] = {".json", ".csv", ".npy", ".csv"};

const char *as_format_name(as_format f)
{
    return (unsigned)f < AS_NUM_FORMATS ? format_names[f] : NULL;
}

const char *as_format_extension(as_format f)
{
    return (unsigned)f < AS_NUM_FORMATS ? format_ext[f] : NULL;
}

as_result as_format_find(const char *name, as_format *out)
{
    if (!name || !out) return as_fail(AS_ERR_INVALID_ARG, "as_format_find: NULL argument");
    for (int f = 0; f < AS_NUM_FORMATS; f++) {
        const char *a = name, *b = format_names[f];
        while (*a && *b && tolower((unsigned char)*a) == *b) { a++; b++; }
        if (!*a && !*b) {
            *out = (as_format)f;
            return AS_OK;
        }
    }
    return as_fail(AS_ERR_UNKNOWN, "unknown output format \"%s\" (known: json, csv, npy, livelink)", name);
}

const as_writer_iface *as_writer_iface_of(as_format f)
{
    switch (f) {
    case AS_FORMAT_JSON: return &as_writer_json;
    case AS_FORMAT_CSV: return &as_writer_csv;
    case AS_FORMAT_NPY: return &as_writer_npy;
    case AS_FORMAT_LIVELINK: return &as_writer_livelink;
    }
    return NULL;
}

/* ---- shared helpers ----------------------------------------------------------- */

/* snprintf writes the locale's decimal point; files always use '.'. */
static void dot_decimal(char *buf)
{
    for (char *p = buf; *p; p++)
        if (*p == ',') *p = '.';
}

void as_io_format_float(char buf[AS_NUM_BUF], float x)
{
    as_format_float(buf, AS_NUM_BUF, x); /* core's shortest exact text; callers refuse non-finite first */
}

void as_io_format_double(char buf[AS_NUM_BUF], double x)
{
    if (!buf) return; /* also tells GCC 12 (-O3 + sanitizers) that buf is never NULL below */
    if (x == floor(x) && fabs(x) < 1e15) {
        snprintf(buf, AS_NUM_BUF, "%.0f", x);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) { /* 17 digits round-trip a double */
        snprintf(buf, AS_NUM_BUF, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) break;
    }
    dot_decimal(buf);
}

int as_io_put_json_string(FILE *f, const char *s)
{
    if (fputc('"', f) == EOF) return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int ok;
        if (*p == '"' || *p == '\\') ok = fprintf(f, "\\%c", *p) > 0;
        else if (*p < 0x20) ok = fprintf(f, "\\u%04x", *p) > 0;
        else ok = fputc(*p, f) != EOF; /* UTF-8 passes through as is */
        if (!ok) return 0;
    }
    return fputc('"', f) != EOF;
}

/* Live Link Face recording order: ARKit order except that it lists jawRight
 * before jawLeft and mouthRight before mouthLeft (the column order of the
 * CSV the Live Link Face app exports, as read by Epic's importer and the
 * open-source readers of those files). */
const int as_livelink_order[AS_NUM_CHANNELS] = {
    AS_EYE_BLINK_LEFT, AS_EYE_LOOK_DOWN_LEFT, AS_EYE_LOOK_IN_LEFT, AS_EYE_LOOK_OUT_LEFT, AS_EYE_LOOK_UP_LEFT,
    AS_EYE_SQUINT_LEFT, AS_EYE_WIDE_LEFT, AS_EYE_BLINK_RIGHT, AS_EYE_LOOK_DOWN_RIGHT, AS_EYE_LOOK_IN_RIGHT,
    AS_EYE_LOOK_OUT_RIGHT, AS_EYE_LOOK_UP_RIGHT, AS_EYE_SQUINT_RIGHT, AS_EYE_WIDE_RIGHT,
    AS_JAW_FORWARD, AS_JAW_RIGHT, AS_JAW_LEFT, AS_JAW_OPEN,
    AS_MOUTH_CLOSE, AS_MOUTH_FUNNEL, AS_MOUTH_PUCKER, AS_MOUTH_RIGHT, AS_MOUTH_LEFT,
    AS_MOUTH_SMILE_LEFT, AS_MOUTH_SMILE_RIGHT, AS_MOUTH_FROWN_LEFT, AS_MOUTH_FROWN_RIGHT,
    AS_MOUTH_DIMPLE_LEFT, AS_MOUTH_DIMPLE_RIGHT, AS_MOUTH_STRETCH_LEFT, AS_MOUTH_STRETCH_RIGHT,
    AS_MOUTH_ROLL_LOWER, AS_MOUTH_ROLL_UPPER, AS_MOUTH_SHRUG_LOWER, AS_MOUTH_SHRUG_UPPER,
    AS_MOUTH_PRESS_LEFT, AS_MOUTH_PRESS_RIGHT, AS_MOUTH_LOWER_DOWN_LEFT, AS_MOUTH_LOWER_DOWN_RIGHT,
    AS_MOUTH_UPPER_UP_LEFT, AS_MOUTH_UPPER_UP_RIGHT,
    AS_BROW_DOWN_LEFT, AS_BROW_DOWN_RIGHT, AS_BROW_INNER_UP, AS_BROW_OUTER_UP_LEFT, AS_BROW_OUTER_UP_RIGHT,
    AS_CHEEK_PUFF, AS_CHEEK_SQUINT_LEFT, AS_CHEEK_SQUINT_RIGHT, AS_NOSE_SNEER_LEFT, AS_NOSE_SNEER_RIGHT,
    AS_TONGUE_OUT};

const char *const as_livelink_extra[AS_LIVELINK_EXTRA] = {
    "HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll",
    "RightEyeYaw", "RightEyePitch", "RightEyeRoll"};

as_result as_io_check(as_atomic_file *af)
{
    if (!ferror(af->f)) return AS_OK;
    int err = errno;
    char path[512];
    snprintf(path, sizeof path, "%s", af->path ? af->path : "?");
    as_atomic_abort(af);
    return as_fail(AS_ERR_IO, "%s: write failed: %s", path, strerror(err ? err : EIO));
}

as_result as_io_status(const as_atomic_file *af)
{
    if (!ferror(af->f)) return AS_OK;
    int err = errno;
    return as_fail(AS_ERR_IO, "%s: write failed: %s", af->path ? af->path : "?", strerror(err ? err : EIO));
}

as_result as_io_commit(as_atomic_file *af)
{
    if (fflush(af->f) != 0) {
        int err = errno;
        char path[512];
        snprintf(path, sizeof path, "%s", af->path ? af->path : "?");
        as_atomic_abort(af);
        return as_fail(AS_ERR_IO, "%s: write failed: %s", path, strerror(err ? err : EIO));
    }
    as_result r = as_io_check(af);
    if (r != AS_OK) return r;
    return as_atomic_commit(af);
}

as_result as_anim_segments_from_timeline(as_anim_segment *out, const as_segment *segments, const double *start_s,
                                         size_t num_segments, double end_s)
{
    if (num_segments && (!out || !segments || !start_s))
        return as_fail(AS_ERR_INVALID_ARG, "as_anim_segments_from_timeline: NULL argument");
    for (size_t k = 0; k < num_segments; k++) {
        as_anim_segment *o = &out[k];
        memset(o, 0, sizeof *o);
        o->start_s = k == 0 ? 0.0 : start_s[k];
        o->end_s = k + 1 < num_segments ? start_s[k + 1] : end_s;
        o->intensity = segments[k].intensity;
        const char *nul = memchr(segments[k].name, 0, sizeof segments[k].name);
        size_t n = nul ? (size_t)(nul - segments[k].name) : sizeof segments[k].name;
        if (n >= sizeof o->emotion) {
            n = sizeof o->emotion - 1;
            while (n > 0 && ((unsigned char)segments[k].name[n] & 0xC0) == 0x80) n--;
        }
        memcpy(o->emotion, segments[k].name, n);
    }
    return AS_OK;
}

/* ---- the wrapper ------------------------------------------------------------- */

struct as_writer {
    const as_writer_iface *iface;
    void *state;
    size_t num_channels;
    size_t frames;
    as_result failed;       /* the first write error, AS_OK while none */
    char failed_msg[256];
};

/* Opens a writer; the result code is kept (constructors only return NULL). */
static as_result writer_open(const as_writer_iface *iface, const char *path, const char *const *names,
                             size_t num_channels, float fps, const as_anim_meta *meta, as_writer **out)
{
    const char *arkit[AS_NUM_CHANNELS];
    *out = NULL;
    if (!iface || !iface->open || !iface->write_frame || !iface->close || !iface->abort)
        return as_fail(AS_ERR_INVALID_ARG, "writer: incomplete writer interface");
    if (!path || !*path) return as_fail(AS_ERR_INVALID_ARG, "writer (%s): no output path", iface->name ? iface->name : "?");
    if (!names) {
        if (num_channels != AS_NUM_CHANNELS)
            return as_fail(AS_ERR_INVALID_ARG, "%s: names NULL means the 52 ARKit channels, but num_channels is %zu",
                           path, num_channels);
        for (int c = 0; c < AS_NUM_CHANNELS; c++) arkit[c] = as_channel_name(c);
        names = arkit;
    }
    if (num_channels == 0 || num_channels > 65536)
        return as_fail(AS_ERR_INVALID_ARG, "%s: num_channels %zu outside 1..65536", path, num_channels);
    if (!(fps > 0.0f && fps <= 1000.0f)) return as_fail(AS_ERR_RANGE, "%s: fps %g outside (0, 1000]", path, (double)fps);
    for (size_t c = 0; c < num_channels; c++) {
        const char *n = names[c];
        if (!n || !*n) return as_fail(AS_ERR_INVALID_ARG, "%s: channel %zu has no name", path, c);
        for (const unsigned char *q = (const unsigned char *)n; *q; q++)
            if (*q < 0x20 || *q == '"' || *q == ',' || *q == 0x7F)
                return as_fail(AS_ERR_INVALID_ARG, "%s: channel %zu name \"%s\" has a '\"', ',' or control character",
                               path, c, n);
    }
    as_writer *w = as_calloc(1, sizeof *w);
    if (!w) return as_fail(AS_ERR_NOMEM, "%s: out of memory", path);
    w->iface = iface;
    w->num_channels = num_channels;
    as_result r = iface->open(&w->state, path, names, num_channels, fps, meta);
    if (r != AS_OK) {
        as_free(w); /* the implementation left no file and set the message */
        return r;
    }
    *out = w;
    return AS_OK;
}

as_writer *as_writer_open_iface(const as_writer_iface *iface, const char *path, const char *const *names,
                                size_t num_channels, float fps, const as_anim_meta *meta)
{
    as_writer *w;
    writer_open(iface, path, names, num_channels, fps, meta, &w);
    return w;
}

as_writer *as_writer_open(as_format f, const char *path, const char *const *names, size_t num_channels, float fps,
                          const as_anim_meta *meta)
{
    const as_writer_iface *iface = as_writer_iface_of(f);
    if (!iface) {
        as_set_error("writer: unknown format %d", (int)f);
        return NULL;
    }
    return as_writer_open_iface(iface, path, names, num_channels, fps, meta);
}

as_result as_writer_write(as_writer *w, const float *frame)
{
    if (!w || !frame) return as_fail(AS_ERR_INVALID_ARG, "as_writer_write: NULL argument");
    if (w->failed != AS_OK) return as_fail(w->failed, "%s", w->failed_msg);
    for (size_t c = 0; c < w->num_channels; c++)
        if (!isfinite(frame[c]))
            return as_fail(AS_ERR_INVALID_ARG, "writer: frame %zu, channel %zu: value %g is not finite", w->frames, c,
                           (double)frame[c]);
    as_result r = w->iface->write_frame(w->state, frame);
    if (r != AS_OK) {
        w->failed = r;
        snprintf(w->failed_msg, sizeof w->failed_msg, "%s", as_last_error());
        return r;
    }
    w->frames++;
    return AS_OK;
}

as_result as_writer_close(as_writer *w)
{
    if (!w) return as_fail(AS_ERR_INVALID_ARG, "as_writer_close: writer is NULL");
    as_result r;
    if (w->failed != AS_OK) {
        w->iface->abort(w->state);
        r = as_fail(w->failed, "%s", w->failed_msg);
    } else {
        r = w->iface->close(w->state);
    }
    as_free(w);
    return r;
}

void as_writer_abort(as_writer *w)
{
    if (!w) return;
    w->iface->abort(w->state);
    as_free(w);
}

as_result as_anim_write(as_format f, const char *path, const float *frames, size_t num_frames,
                        const char *const *names, size_t num_channels, float fps, const as_anim_meta *meta)
{
    if (num_frames && !frames) return as_fail(AS_ERR_INVALID_ARG, "as_anim_write: frames is NULL");
    const as_writer_iface *iface = as_writer_iface_of(f);
    if (!iface) return as_fail(AS_ERR_INVALID_ARG, "as_anim_write: unknown format %d", (int)f);
    as_writer *w;
    as_result r = writer_open(iface, path, names, num_channels, fps, meta, &w);
    if (r != AS_OK) return r;
    for (size_t i = 0; i < num_frames; i++) {
        r = as_writer_write(w, frames + i * num_channels);
        if (r != AS_OK) {
            as_writer_abort(w);
            return r;
        }
    }
    return as_writer_close(w);
}
