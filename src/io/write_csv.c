/* io/write_csv.c — the two CSV implementations of the writer interface
 * (io.h): plain CSV and Live Link Face CSV.
 *
 * CSV:        time,eyeBlinkLeft,...,tongueOut      then  0.0333333333,0.25,...
 *             time = i / fps seconds, values as the shortest exact text.
 * Live Link:  Timecode,BlendShapeCount,EyeBlinkLeft,...,TongueOut,HeadYaw,HeadPitch,
 *             HeadRoll,LeftEyeYaw,LeftEyePitch,LeftEyeRoll,RightEyeYaw,RightEyePitch,RightEyeRoll
 *             then  00:00:01:05.000,61,0.25,...,0,0,0,0,0,0,0,0,0
 *             the 52 blendshapes in Live Link Face's own column order
 *             (as_livelink_order), head and eye rotations 0 (animasync
 *             drives no bones), timecode HH:MM:SS:FF.mmm at the fps
 *             (FF = frame within the second, mmm = sub-frame in thousandths). */
#include <ctype.h>
#include <math.h>
#include <string.h>
#include "io_internal.h"

typedef struct {
    as_atomic_file af;
    size_t num_channels;
    size_t frames;
    double fps;
    int livelink;
    int column_of[AS_NUM_CHANNELS]; /* Live Link column -> input channel */
} csv_writer;

static as_result csv_open_common(void **state, const char *path, const char *const *names, size_t num_channels,
                                 float fps, int livelink)
{
    csv_writer *w = as_calloc(1, sizeof *w);
    if (!w) return as_fail(AS_ERR_NOMEM, "%s: out of memory", path);
    w->num_channels = num_channels;
    w->fps = (double)fps;
    w->livelink = livelink;
    if (livelink) {
        /* map every Live Link column to the input channel of that ARKit name */
        if (num_channels != AS_NUM_CHANNELS) {
            as_free(w);
            return as_fail(AS_ERR_INVALID_ARG, "%s: Live Link Face needs the 52 ARKit channels, got %zu channels", path,
                           num_channels);
        }
        for (int col = 0; col < AS_NUM_CHANNELS; col++) {
            const char *want = as_channel_name(as_livelink_order[col]);
            w->column_of[col] = -1;
            for (size_t c = 0; c < num_channels; c++)
                if (want && strcmp(names[c], want) == 0) w->column_of[col] = (int)c;
            if (w->column_of[col] < 0) {
                as_free(w);
                return as_fail(AS_ERR_INVALID_ARG, "%s: Live Link Face needs channel \"%s\", which names lacks", path,
                               want ? want : "?");
            }
        }
    }
    as_result r = as_atomic_open(&w->af, path);
    if (r != AS_OK) {
        as_free(w);
        return r;
    }
    FILE *f = w->af.f;
    if (livelink) {
        fputs("Timecode,BlendShapeCount", f);
        for (int col = 0; col < AS_NUM_CHANNELS; col++) { /* PascalCase: eyeBlinkLeft -> EyeBlinkLeft */
            const char *n = as_channel_name(as_livelink_order[col]);
            fprintf(f, ",%c%s", toupper((unsigned char)n[0]), n + 1);
        }
        for (int k = 0; k < AS_LIVELINK_EXTRA; k++) fprintf(f, ",%s", as_livelink_extra[k]);
    } else {
        fputs("time", f);
        for (size_t c = 0; c < num_channels; c++) fprintf(f, ",%s", names[c]);
    }
    fputc('\n', f);
    r = as_io_check(&w->af);
    if (r != AS_OK) {
        as_free(w);
        return r;
    }
    *state = w;
    return AS_OK;
}

static as_result csv_open(void **state, const char *path, const char *const *names, size_t num_channels, float fps,
                          const as_anim_meta *meta)
{
    (void)meta; /* CSV carries frames only */
    return csv_open_common(state, path, names, num_channels, fps, 0);
}

static as_result livelink_open(void **state, const char *path, const char *const *names, size_t num_channels,
                               float fps, const as_anim_meta *meta)
{
    (void)meta;
    return csv_open_common(state, path, names, num_channels, fps, 1);
}

/* Live Link timecode of frame i: HH:MM:SS:FF.mmm. At a whole-number fps it is
 * computed in integers (exact for any length); otherwise from i / fps. */
static void livelink_timecode(char *buf, size_t n, size_t i, double fps)
{
    unsigned long long secs, ff, sub_ms;
    double whole = floor(fps + 0.5);
    if (fabs(fps - whole) < 1e-9) {
        unsigned long long per_s = (unsigned long long)whole;
        secs = (unsigned long long)i / per_s;
        ff = (unsigned long long)i % per_s;
        sub_ms = 0;
    } else {
        double t = (double)i / fps;
        double s = floor(t);
        double fr = (t - s) * fps;
        double f0 = floor(fr);
        secs = (unsigned long long)s;
        ff = (unsigned long long)f0;
        sub_ms = (unsigned long long)floor((fr - f0) * 1000.0 + 0.5);
        if (sub_ms > 999) sub_ms = 999;
    }
    snprintf(buf, n, "%02llu:%02llu:%02llu:%02llu.%03llu", secs / 3600, (secs / 60) % 60, secs % 60, ff, sub_ms);
}

static as_result csv_write_frame(void *state, const float *frame)
{
    csv_writer *w = state;
    FILE *f = w->af.f;
    char num[AS_NUM_BUF];
    if (w->livelink) {
        char tc[64];
        livelink_timecode(tc, sizeof tc, w->frames, w->fps);
        fprintf(f, "%s,%d", tc, AS_NUM_CHANNELS + AS_LIVELINK_EXTRA);
        for (int col = 0; col < AS_NUM_CHANNELS; col++) {
            as_io_format_float(num, frame[w->column_of[col]]);
            fprintf(f, ",%s", num);
        }
        for (int k = 0; k < AS_LIVELINK_EXTRA; k++) fputs(",0", f);
    } else {
        as_io_format_double(num, (double)w->frames / w->fps);
        fputs(num, f);
        for (size_t c = 0; c < w->num_channels; c++) {
            as_io_format_float(num, frame[c]);
            fprintf(f, ",%s", num);
        }
    }
    fputc('\n', f);
    w->frames++;
    return as_io_status(&w->af);
}

static as_result csv_close(void *state)
{
    csv_writer *w = state;
    as_result r = as_io_commit(&w->af);
    as_free(w);
    return r;
}

static void csv_abort(void *state)
{
    csv_writer *w = state;
    as_atomic_abort(&w->af);
    as_free(w);
}

const as_writer_iface as_writer_csv = {"csv", csv_open, csv_write_frame, csv_close, csv_abort};
const as_writer_iface as_writer_livelink = {"livelink", livelink_open, csv_write_frame, csv_close, csv_abort};
