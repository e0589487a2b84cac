/* animasync/io.h — the frame sink at the end of the pipeline: one writer
 * interface (open / write_frame / close) with four implementations (the
 * anim.json document, CSV, NumPy .npy, Live Link Face CSV), and a reader for
 * all four that tools and tests use. Every writer writes to a temporary name
 * and renames onto the target on close: a failed or aborted write leaves no
 * file behind. docs/FORMATS.md describes each format byte for byte.
 *
 *   as_writer *w = as_writer_open(AS_FORMAT_JSON, "out/anim.json", NULL, AS_NUM_CHANNELS, 30.0f, &meta);
 *   if (!w) fail(as_last_error());
 *   for (i = 0; i < n; i++) if (as_writer_write(w, frames[i]) != AS_OK) { as_writer_abort(w); fail(...); }
 *   if (as_writer_close(w) != AS_OK) fail(as_last_error());
 *
 * Numbers are written and read in the C locale's notation ('.' decimal
 * point); a program that calls setlocale(LC_NUMERIC, ...) must restore "C"
 * around reads. */
#ifndef ANIMASYNC_IO_H
#define ANIMASYNC_IO_H

#include <stddef.h>
#include "core.h"
#include "timeline.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    AS_FORMAT_JSON = 0,    /* the anim.json document */
    AS_FORMAT_CSV = 1,     /* time + one column per channel */
    AS_FORMAT_NPY = 2,     /* NumPy v1.0, float32 little-endian, shape (T, C) */
    AS_FORMAT_LIVELINK = 3 /* Live Link Face recording CSV (52 ARKit + 9 head/eye columns) */
} as_format;

#define AS_NUM_FORMATS 4

/* "json", "csv", "npy", "livelink"; NULL if out of range. */
const char *as_format_name(as_format f);
/* The usual file extension: ".json", ".csv", ".npy", ".csv". */
const char *as_format_extension(as_format f);
/* Format from its name (case-insensitive); AS_ERR_UNKNOWN lists the names. */
as_result as_format_find(const char *name, as_format *out);

/* Longest segment emotion name, in bytes, including the NUL. */
#define AS_ANIM_NAME_MAX 64

/* One emotion segment of the animation (the anim.json "segments" list). */
typedef struct {
    double start_s, end_s;           /* seconds */
    char emotion[AS_ANIM_NAME_MAX];  /* emotion name as tagged ("joy", "기쁨") */
    float intensity;                 /* 0..1 */
} as_anim_segment;

/* The anim.json segments of a timeline: segment k runs from start_s[k] to
 * start_s[k + 1] (the last to end_s); segment 0 starts at 0, as it is in
 * force from the start. Names longer than AS_ANIM_NAME_MAX - 1 bytes are cut
 * on a character boundary. out receives num_segments entries. */
as_result as_anim_segments_from_timeline(as_anim_segment *out, const as_segment *segments, const double *start_s,
                                         size_t num_segments, double end_s);

/* What a document carries besides frames. Only the JSON format stores it;
 * the others ignore it. Any field may be NULL / 0. */
typedef struct {
    const char *audio;               /* audio file name, e.g. "speech.wav" */
    const as_anim_segment *segments; /* (num_segments) */
    size_t num_segments;
} as_anim_meta;

/* ---- the writer interface --------------------------------------------------- */

/* One output format. The library's four are returned by as_writer_iface_of;
 * a caller may supply its own (a network sink, a callback) to as_writer_open_iface.
 * The wrapper (as_writer_*) checks every argument and value before calling
 * these, so an implementation sees: path non-NULL, names[num_channels]
 * non-empty names without '"', ',' or control characters, fps in (0, 1000],
 * frames of num_channels finite floats. */
typedef struct {
    const char *name;
    /* Starts a document; on success sets *state. On failure leaves no file. */
    as_result (*open)(void **state, const char *path, const char *const *names, size_t num_channels, float fps,
                      const as_anim_meta *meta);
    /* Appends one frame of num_channels values. */
    as_result (*write_frame)(void *state, const float *frame);
    /* Finishes the document and moves it onto path; frees state. On failure
     * removes everything written. */
    as_result (*close)(void *state);
    /* Discards everything written; frees state. */
    void (*abort)(void *state);
} as_writer_iface;

/* The implementation of a built-in format, or NULL if out of range. */
const as_writer_iface *as_writer_iface_of(as_format f);

typedef struct as_writer as_writer;

/* Opens a writer for format f at path. names: num_channels channel names, or
 * NULL for the 52 ARKit names (num_channels must then be AS_NUM_CHANNELS).
 * Live Link Face needs exactly the 52 ARKit channels (in any order). fps in
 * (0, 1000]. meta may be NULL. Returns NULL on error (as_last_error()), with
 * no file left behind. */
as_writer *as_writer_open(as_format f, const char *path, const char *const *names, size_t num_channels, float fps,
                          const as_anim_meta *meta);
/* The same over any implementation. */
as_writer *as_writer_open_iface(const as_writer_iface *iface, const char *path, const char *const *names,
                                size_t num_channels, float fps, const as_anim_meta *meta);
/* Appends one frame (num_channels values; NaN and infinity are refused). */
as_result as_writer_write(as_writer *w, const float *frame);
/* Commits the file and frees the writer (also on failure, which leaves no
 * file). A writer that saw a failed write is aborted here and returns that error. */
as_result as_writer_close(as_writer *w);
/* Discards the output and frees the writer (NULL is fine). */
void as_writer_abort(as_writer *w);

/* Whole animation in one call: frames (num_frames, num_channels) row-major. */
as_result as_anim_write(as_format f, const char *path, const float *frames, size_t num_frames,
                        const char *const *names, size_t num_channels, float fps, const as_anim_meta *meta);

/* ---- reading -------------------------------------------------------------- */

/* An animation read back from any of the four formats. The library allocates
 * every array; release with as_anim_clear. */
typedef struct {
    as_format format;           /* the format detected */
    float fps;                  /* frames per second; 0 when the file does not
                                   record it (NPY, Live Link Face) */
    size_t num_frames, num_channels;
    char **names;               /* (num_channels) channel names; for NPY the ARKit
                                   names when C = 52, else NULL; Live Link Face is
                                   returned in canonical ARKit order */
    float *frames;              /* (num_frames, num_channels) row-major */
    char *audio;                /* JSON "audio", or NULL */
    as_anim_segment *segments;  /* JSON "segments", (num_segments), or NULL */
    size_t num_segments;
} as_anim;

/* Reads a file in any of the four formats (detected from its content: NPY
 * magic, '{', a "Timecode," or a "time," header). On error out is zeroed and
 * as_last_error() names the file and the field, line or byte at fault. */
as_result as_anim_read(const char *path, as_anim *out);
/* The same from memory; origin names the source in error messages. */
as_result as_anim_parse(const void *data, size_t len, const char *origin, as_anim *out);
/* Frees what a read allocated and zeroes a (safe on a zeroed a). */
void as_anim_clear(as_anim *a);

#ifdef __cplusplus
}
#endif
#endif
