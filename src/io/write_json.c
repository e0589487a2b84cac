/* io/write_json.c — the anim.json writer, one implementation of the writer
 * interface (io.h). Streams the document: the header fields first, then one
 * frame per line, so memory stays constant however long the animation.
 *
 *   {
 *     "fps": 30,
 *     "names": ["eyeBlinkLeft", ...],
 *     "audio": "speech.wav",
 *     "segments": [
 *       {"start": 0, "end": 1.2, "emotion": "joy", "intensity": 0.8}
 *     ],
 *     "frames": [
 *       [0, 0.125, ...],
 *       ...
 *     ]
 *   }
 * Numbers are the shortest text that reads back as the exact float. */
#include <math.h>
#include <string.h>
#include "io_internal.h"

typedef struct {
    as_atomic_file af;
    size_t num_channels;
    size_t frames;
} json_writer;

static as_result check_meta(const char *path, const as_anim_meta *meta)
{
    if (!meta) return AS_OK;
    if (meta->num_segments && !meta->segments)
        return as_fail(AS_ERR_INVALID_ARG, "%s: meta has %zu segments but no array", path, meta->num_segments);
    for (size_t k = 0; k < meta->num_segments; k++) {
        const as_anim_segment *s = &meta->segments[k];
        if (!isfinite(s->start_s) || !isfinite(s->end_s) || !isfinite(s->intensity))
            return as_fail(AS_ERR_INVALID_ARG, "%s: segment %zu: start, end or intensity is not finite", path, k);
        if (memchr(s->emotion, 0, sizeof s->emotion) == NULL)
            return as_fail(AS_ERR_INVALID_ARG, "%s: segment %zu: emotion name not NUL-terminated", path, k);
    }
    return AS_OK;
}

static void put_segments(FILE *f, const as_anim_meta *meta)
{
    char a[AS_NUM_BUF], b[AS_NUM_BUF], c[AS_NUM_BUF];
    fputs("  \"segments\": [", f);
    for (size_t k = 0; k < meta->num_segments; k++) {
        const as_anim_segment *s = &meta->segments[k];
        as_io_format_double(a, s->start_s);
        as_io_format_double(b, s->end_s);
        as_io_format_float(c, s->intensity);
        fprintf(f, "%s\n    {\"start\": %s, \"end\": %s, \"emotion\": ", k ? "," : "", a, b);
        as_io_put_json_string(f, s->emotion);
        fprintf(f, ", \"intensity\": %s}", c);
    }
    fputs(meta->num_segments ? "\n  ],\n" : "],\n", f);
}

static as_result json_open(void **state, const char *path, const char *const *names, size_t num_channels, float fps,
                           const as_anim_meta *meta)
{
    as_result r = check_meta(path, meta);
    if (r != AS_OK) return r;
    json_writer *w = as_calloc(1, sizeof *w);
    if (!w) return as_fail(AS_ERR_NOMEM, "%s: out of memory", path);
    r = as_atomic_open(&w->af, path);
    if (r != AS_OK) {
        as_free(w);
        return r;
    }
    w->num_channels = num_channels;
    FILE *f = w->af.f;
    char num[AS_NUM_BUF];
    as_io_format_float(num, fps);
    fprintf(f, "{\n  \"fps\": %s,\n  \"names\": [", num);
    for (size_t c = 0; c < num_channels; c++) {
        if (c) fputs(", ", f);
        as_io_put_json_string(f, names[c]);
    }
    fputs("],\n", f);
    if (meta && meta->audio) {
        fputs("  \"audio\": ", f);
        as_io_put_json_string(f, meta->audio);
        fputs(",\n", f);
    }
    if (meta && meta->num_segments) put_segments(f, meta);
    fputs("  \"frames\": [", f);
    r = as_io_check(&w->af);
    if (r != AS_OK) {
        as_free(w);
        return r;
    }
    *state = w;
    return AS_OK;
}

static as_result json_write_frame(void *state, const float *frame)
{
    json_writer *w = state;
    FILE *f = w->af.f;
    char num[AS_NUM_BUF];
    fputs(w->frames ? ",\n    [" : "\n    [", f);
    for (size_t c = 0; c < w->num_channels; c++) {
        as_io_format_float(num, frame[c]);
        if (c) fputs(", ", f);
        fputs(num, f);
    }
    fputc(']', f);
    w->frames++;
    return as_io_status(&w->af);
}

static as_result json_close(void *state)
{
    json_writer *w = state;
    fputs(w->frames ? "\n  ]\n}\n" : "]\n}\n", w->af.f);
    as_result r = as_io_commit(&w->af);
    as_free(w);
    return r;
}

static void json_abort(void *state)
{
    json_writer *w = state;
    as_atomic_abort(&w->af);
    as_free(w);
}

const as_writer_iface as_writer_json = {"json", json_open, json_write_frame, json_close, json_abort};
