/* engine/student_internal.h — what the offline render (student_render.c)
 * and the stream (student_stream.c) share (internal): the emotion plan. */
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

#endif
