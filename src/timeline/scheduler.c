/* timeline/scheduler.c — the streaming emotion scheduler: timed emotion
 * events (from an LLM, a game, a live operator) in, one conditioning frame
 * at a time out. A thin handle over the shared crossfade engine
 * (crossfade.c) with a fixed event array allocated once at create: nothing
 * is allocated per event or per frame. */
#include <string.h>
#include "animasync/timeline.h"
#include "core/internal.h"
#include "crossfade.h"

struct as_scheduler {
    as_tl_engine engine;
    as_tl_event events[AS_SCHEDULER_MAX_EVENTS];
};

as_scheduler *as_scheduler_create(const as_timeline_params *params, const as_cond *initial, float initial_strength)
{
    as_timeline_params p = params ? *params : as_timeline_default_params();
    if (as_tl_check_params(&p) != AS_OK) return NULL; /* message already set */
    if (!(initial_strength >= 0.0f && initial_strength <= 2.0f)) {
        as_set_error("as_scheduler_create: initial_strength %g outside 0..2", (double)initial_strength);
        return NULL;
    }
    as_scheduler *s = as_calloc(1, sizeof *s);
    if (!s) {
        as_set_error("as_scheduler_create: out of memory");
        return NULL;
    }
    as_tl_engine_init(&s->engine, &p, initial, initial_strength, s->events, AS_SCHEDULER_MAX_EVENTS);
    return s;
}

void as_scheduler_destroy(as_scheduler *s) { as_free(s); }

as_result as_scheduler_add(as_scheduler *s, double time_s, const as_cond *cond, float strength)
{
    if (!s || !cond) return as_fail(AS_ERR_INVALID_ARG, "as_scheduler_add: NULL argument");
    return as_tl_engine_add(&s->engine, time_s, cond, strength);
}

as_result as_scheduler_add_name(as_scheduler *s, double time_s, const char *name, float intensity, float strength)
{
    if (!s || !name) return as_fail(AS_ERR_INVALID_ARG, "as_scheduler_add_name: NULL argument");
    if (!(intensity >= 0.0f && intensity <= 1.0f))
        return as_fail(AS_ERR_RANGE, "emotion event \"%s\" at %.3f s: intensity %g outside 0..1", name, time_s,
                       (double)intensity);
    as_cond c;
    as_result r = as_cond_from_name(name, intensity, &c);
    if (r != AS_OK) return r; /* as_cond_from_name names the unknown word */
    return as_tl_engine_add(&s->engine, time_s, &c, strength);
}

as_result as_scheduler_next(as_scheduler *s, as_cond *cond, float *strength)
{
    if (!s) return as_fail(AS_ERR_INVALID_ARG, "as_scheduler_next: scheduler is NULL");
    as_tl_engine_step(&s->engine, cond, strength);
    return AS_OK;
}

size_t as_scheduler_frame_index(const as_scheduler *s) { return s ? s->engine.next_frame : 0; }

size_t as_scheduler_pending(const as_scheduler *s) { return s ? s->engine.num_events : 0; }
