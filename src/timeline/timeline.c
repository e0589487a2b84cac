/* timeline/timeline.c — the offline emotion timeline: segments with start
 * times -> per-frame 19-dim conditioning and strength, by running the shared
 * crossfade engine (crossfade.c) over all segments at once. Also the
 * parameter defaults and the word-time alignment helper. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "animasync/timeline.h"
#include "core/internal.h"
#include "crossfade.h"

as_timeline_params as_timeline_default_params(void)
{
    as_timeline_params p;
    p.fps = 30.0f;
    p.crossfade_s = 0.8f;   /* +-800 ms (issue 3) */
    p.onset_tau_s = 0.15f;  /* rising away from neutral */
    p.offset_tau_s = 0.40f; /* returning: slower, as faces relax more slowly than they react */
    p.strength = 1.0f;
    return p;
}

size_t as_timeline_frame_count(double duration_s, float fps)
{
    if (!(duration_s > 0.0) || !(fps > 0.0f)) return 0;
    /* the 1e-9 keeps an exact duration such as 2.0 s at 30 fps at 60 frames
     * despite rounding in duration x fps */
    double n = ceil(duration_s * (double)fps - 1e-9);
    return n > 0.0 ? (size_t)n : 0;
}

void as_timeline_clear(as_timeline *tl)
{
    if (!tl) return;
    as_free(tl->cond);
    as_free(tl->strength);
    memset(tl, 0, sizeof *tl);
}

as_result as_timeline_build(as_timeline *out, const as_segment *segments, const double *start_s, size_t num_segments,
                            size_t num_frames, const as_timeline_params *params)
{
    if (!out) return as_fail(AS_ERR_INVALID_ARG, "as_timeline_build: out is NULL");
    memset(out, 0, sizeof *out);
    if (!segments || num_segments == 0)
        return as_fail(AS_ERR_INVALID_ARG, "as_timeline_build: no segments (segment 0 sets the starting emotion)");
    if (num_segments > 1 && !start_s) return as_fail(AS_ERR_INVALID_ARG, "as_timeline_build: start_s is NULL");
    as_timeline_params p = params ? *params : as_timeline_default_params();
    as_result r = as_tl_check_params(&p);
    if (r != AS_OK) return r;
    if (!(segments[0].strength >= 0.0f && segments[0].strength <= 2.0f))
        return as_fail(AS_ERR_RANGE, "as_timeline_build: segment 0: strength %g outside 0..2",
                       (double)segments[0].strength);

    as_tl_event *events = NULL;
    if (num_segments > 1) {
        events = as_calloc(num_segments - 1, sizeof *events);
        if (!events) return as_fail(AS_ERR_NOMEM, "as_timeline_build: out of memory for %zu segments", num_segments);
    }
    out->cond = num_frames ? as_calloc(num_frames, sizeof *out->cond) : NULL;
    out->strength = num_frames ? as_calloc(num_frames, sizeof *out->strength) : NULL;
    if (num_frames && (!out->cond || !out->strength)) {
        as_free(events);
        as_timeline_clear(out);
        return as_fail(AS_ERR_NOMEM, "as_timeline_build: out of memory for %zu frames", num_frames);
    }

    as_tl_engine e;
    as_tl_engine_init(&e, &p, &segments[0].cond, segments[0].strength, events, num_segments - 1);
    for (size_t k = 1; k < num_segments; k++) {
        r = as_tl_engine_add(&e, start_s[k], &segments[k].cond, segments[k].strength);
        if (r != AS_OK) {
            char why[256]; /* copy: as_fail rewrites the buffer as_last_error reads */
            snprintf(why, sizeof why, "%s", as_last_error());
            as_free(events);
            as_timeline_clear(out);
            return as_fail(r, "as_timeline_build: segment %zu: %s", k, why);
        }
    }
    for (size_t i = 0; i < num_frames; i++) as_tl_engine_step(&e, &out->cond[i], &out->strength[i]);
    as_free(events);
    out->num_frames = num_frames;
    out->fps = p.fps;
    return AS_OK;
}

as_result as_segments_align(const as_segment *segments, size_t num_segments, const size_t *word_offsets,
                            const double *word_times_s, size_t num_words, double end_s, double *start_s)
{
    if (num_segments && (!segments || !start_s))
        return as_fail(AS_ERR_INVALID_ARG, "as_segments_align: segments or start_s is NULL");
    if (num_words && (!word_offsets || !word_times_s))
        return as_fail(AS_ERR_INVALID_ARG, "as_segments_align: word_offsets or word_times_s is NULL");
    for (size_t w = 1; w < num_words; w++)
        if (word_offsets[w] < word_offsets[w - 1])
            return as_fail(AS_ERR_INVALID_ARG, "as_segments_align: word_offsets not ascending at word %zu", w);
    size_t w = 0;
    for (size_t k = 0; k < num_segments; k++) {
        /* segments are in text order, so the scan never goes back */
        if (k > 0 && segments[k].offset < segments[k - 1].offset) w = 0;
        while (w < num_words && word_offsets[w] < segments[k].offset) w++;
        start_s[k] = w < num_words ? word_times_s[w] : end_s;
    }
    return AS_OK;
}
