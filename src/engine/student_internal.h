/* engine/student_internal.h — what the offline render (student_render.c)
 * and the stream (student_stream.c) share (internal): the emotion plan and
 * the phrase markers found in the audio. */
#ifndef AS_ENGINE_STUDENT_INTERNAL_H
#define AS_ENGINE_STUDENT_INTERNAL_H

#include "animasync/student.h"
#include "nn/student.h"

#define ST_MAX_EVENTS 64 /* script tags */

/* The conditioning of a render: one emotion from the start, then timed
 * changes (the script's tags after one at 0 s). */
typedef struct {
    char initial_name[AS_TAG_NAME_MAX];
    float initial_intensity;
    as_cond initial;
    size_t n_events;
    as_render_event ev[ST_MAX_EVENTS];
    as_cond cond[ST_MAX_EVENTS];
} st_plan;

as_result st_plan_make(const as_render_params *p, st_plan *plan);

/* Phrase markers without a transcript: a pause in the audio. `say` marks a
 * phrase break at a pause of 150 ms or more between words
 * (phrase_pause_s); here a frame is quiet when the level of its feature
 * frame k(t) is 30 dB or more below the running peak (energy_rel < 0.5,
 * docs/FEATURES.md: gain-independent, digital silence reads 0), and the
 * marker falls on the fifth quiet frame in a row (167 ms into the pause)
 * if there was speech since the last marker. Causal, so the stream places
 * it on the same frame as the offline render. */
#define ST_PAUSE_FRAMES 5
#define ST_QUIET_LEVEL 0.5f

typedef struct {
    int quiet_run; /* quiet frames in a row */
    int spoke;     /* a loud frame since the last marker */
} st_pauses;

/* The next frame's marker (0 or 1) from its energy_rel. */
static inline int st_pause_step(st_pauses *s, float energy_rel)
{
    if (energy_rel >= ST_QUIET_LEVEL) {
        s->quiet_run = 0;
        s->spoke = 1;
        return 0;
    }
    if (++s->quiet_run == ST_PAUSE_FRAMES && s->spoke) {
        s->spoke = 0;
        return 1;
    }
    return 0;
}

/* The feature frame whose level marks animation frame t: k(t), clamped to
 * the n_feat > 0 frames there are. */
static inline long st_level_frame(long t, long n_feat)
{
    long f = st_feat_frame_of(t);
    if (f < 0) f = 0;
    if (f >= n_feat) f = n_feat - 1;
    return f;
}

/* energy_rel of animation frame t's level frame. */
static inline float st_frame_level(const float *features, size_t n_feat, long t)
{
    return features[(size_t)st_level_frame(t, (long)n_feat) * AS_FEAT_DIM + AS_FEAT_ENERGY_REL];
}

#endif
