/* timeline/crossfade.h — the one crossfade + smoother engine (internal) that
 * both the offline timeline (as_timeline_build) and the streaming scheduler
 * (as_scheduler) run on, so the two give bit-identical frames for the same
 * events. An engine holds a base state, a time-sorted array of change events
 * of fixed capacity, and the onset/offset smoother state; it produces frames
 * one at a time and allocates nothing itself (the caller gives the array).
 * Formulas: docs/TIMELINE.md. */
#ifndef AS_TIMELINE_CROSSFADE_H
#define AS_TIMELINE_CROSSFADE_H

#include <stddef.h>
#include "animasync/timeline.h"

/* The crossfaded quantities: the 19 conditioning floats then segment strength. */
#define AS_TL_DIM (AS_COND_DIM + 1)

typedef struct {
    double time_s;   /* the requested time: the sort key */
    double centre_s; /* the crossfade centre actually used (later than time_s only
                        for an event that arrived too late) */
    as_cond cond;
    float strength;  /* 0..2, or < 0 = keep the strength in force before it */
} as_tl_event;

typedef struct {
    as_timeline_params p;
    double half_window_s;       /* W */
    as_cond base_cond;          /* the state every folded event has left */
    float base_strength;
    as_tl_event *events;        /* (cap) sorted by time_s, centre_s non-decreasing */
    size_t num_events, cap;
    size_t next_frame;          /* index of the next frame to produce */
    int have_state;             /* 0 until the first frame is produced */
    float smooth[AS_TL_DIM];    /* smoother state (19 cond + strength) */
} as_tl_engine;

/* Checks params (ranges in timeline.h); AS_ERR_RANGE naming the field. */
as_result as_tl_check_params(const as_timeline_params *p);
/* Starts an engine over a caller-owned event array of cap entries. */
void as_tl_engine_init(as_tl_engine *e, const as_timeline_params *p, const as_cond *initial, float initial_strength,
                       as_tl_event *events, size_t cap);
/* Inserts an event (see as_scheduler_add). AS_ERR_RANGE when full. */
as_result as_tl_engine_add(as_tl_engine *e, double time_s, const as_cond *cond, float strength);
/* Produces the next frame: 19 conditioning floats and the final strength
 * (segment strength x global strength, clamped to 0..2). */
void as_tl_engine_step(as_tl_engine *e, as_cond *cond, float *strength);

#endif
