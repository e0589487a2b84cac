/* timeline/crossfade.c — the crossfade + onset/offset smoother engine shared by
 * the offline timeline and the streaming scheduler (see crossfade.h).
 *
 * Pipeline per frame at time t = i / fps:
 *   1. fold: events whose crossfade is complete at t become the base state;
 *   2. crossfade: s_k = smoothstep((t - (c_k - W)) / 2W) for each event k
 *      (c_k its centre, W the half-window); with s_0 = 1 for the base and
 *      s_{n+1} = 0 the target is the convex mix sum_k (s_k - s_{k+1}) x_k of
 *      the 20-float states x_k (19 conditioning + segment strength). The
 *      centres are non-decreasing, so every weight is >= 0 and they sum to 1:
 *      the mix moves through conditioning space (joy -> sadness passes
 *      through a middle conditioning) rather than summing two faces;
 *   3. smoother: y += alpha (target - y), alpha = 1 - exp(-dt / tau_eff),
 *      tau = onset tau when the target's expression magnitude exceeds the
 *      current one, else offset tau; tau_eff = tau / (0.6 + 0.8 A) with A
 *      the target's arousal (faster when aroused);
 *   4. output y's conditioning and y's strength x global strength.
 * Folding uses the convex form, so folding a finished event changes no bit
 * of the result: the offline timeline and the scheduler agree exactly. */
#include "crossfade.h"

#include <math.h>
#include <string.h>
#include "core/internal.h"

/* The engine copies as_cond as float[19] (core.h guarantees the layout). */
_Static_assert(sizeof(as_cond) == AS_COND_DIM * sizeof(float), "as_cond must be float[19]");

as_result as_tl_check_params(const as_timeline_params *p)
{
    if (!p) return as_fail(AS_ERR_INVALID_ARG, "timeline params: NULL");
    if (!(p->fps >= 1.0f && p->fps <= 1000.0f))
        return as_fail(AS_ERR_RANGE, "timeline params: fps %g outside 1..1000", (double)p->fps);
    if (!(p->crossfade_s >= 0.0f && p->crossfade_s <= 10.0f))
        return as_fail(AS_ERR_RANGE, "timeline params: crossfade_s %g outside 0..10", (double)p->crossfade_s);
    if (!(p->onset_tau_s >= 0.0f && p->onset_tau_s <= 10.0f))
        return as_fail(AS_ERR_RANGE, "timeline params: onset_tau_s %g outside 0..10", (double)p->onset_tau_s);
    if (!(p->offset_tau_s >= 0.0f && p->offset_tau_s <= 10.0f))
        return as_fail(AS_ERR_RANGE, "timeline params: offset_tau_s %g outside 0..10", (double)p->offset_tau_s);
    if (!(p->strength >= 0.0f && p->strength <= 2.0f))
        return as_fail(AS_ERR_RANGE, "timeline params: strength %g outside 0..2", (double)p->strength);
    return AS_OK;
}

void as_tl_engine_init(as_tl_engine *e, const as_timeline_params *p, const as_cond *initial, float initial_strength,
                       as_tl_event *events, size_t cap)
{
    memset(e, 0, sizeof *e);
    e->p = *p;
    e->half_window_s = (double)p->crossfade_s;
    if (initial) {
        e->base_cond = *initial;
    } else {
        e->base_cond = as_cond_make(AS_EMO_NEUTRAL, as_neutral_vad());
    }
    e->base_strength = initial_strength;
    e->events = events;
    e->cap = cap;
}

/* Time of frame i on the stream clock (double: no drift over long streams). */
static double frame_time(const as_tl_engine *e, size_t i) { return (double)i / (double)e->p.fps; }

/* Crossfade progress 0..1 of an event centred at c at time t: 0 up to and
 * including c - W, 1 from c + W on, smoothstep x^2 (3 - 2x) between (zero
 * slope at both ends). W = 0 is a step just after c. */
static float xfade(double t, double c, double w)
{
    if (t <= c - w) return 0.0f;
    if (t >= c + w) return 1.0f;
    double x = (t - (c - w)) / (2.0 * w);
    return (float)(x * x * (3.0 - 2.0 * x));
}

/* The 20-float state of an event; keep-strength resolves to prev_strength. */
static void event_state(const as_tl_event *ev, float prev_strength, float x[AS_TL_DIM])
{
    memcpy(x, as_cond_vec(&ev->cond), sizeof(float) * AS_COND_DIM);
    x[AS_COND_DIM] = ev->strength < 0.0f ? prev_strength : ev->strength;
}

as_result as_tl_engine_add(as_tl_engine *e, double time_s, const as_cond *cond, float strength)
{
    if (!isfinite(time_s)) return as_fail(AS_ERR_INVALID_ARG, "emotion event: time %g is not finite", time_s);
    if (strength != AS_KEEP_STRENGTH && !(strength >= 0.0f && strength <= 2.0f))
        return as_fail(AS_ERR_RANGE, "emotion event at %.3f s: strength %g outside 0..2", time_s, (double)strength);
    const float *c = as_cond_vec(cond);
    for (int d = 0; d < AS_COND_DIM; d++)
        if (!isfinite(c[d]))
            return as_fail(AS_ERR_INVALID_ARG, "emotion event at %.3f s: conditioning value %d is not finite", time_s, d);
    if (e->num_events >= e->cap)
        return as_fail(AS_ERR_RANGE, "emotion event at %.3f s: %zu events already pending (the most a scheduler holds)",
                       time_s, e->cap);

    /* Sorted by requested time; equal times keep arrival order (the later
     * event goes after, so it wins). */
    size_t pos = e->num_events;
    while (pos > 0 && e->events[pos - 1].time_s > time_s) pos--;

    /* A crossfade must not reach back into frames already produced: if its
     * window would start before the last produced frame, it starts there. */
    double centre = time_s;
    if (e->have_state) {
        double t_last = frame_time(e, e->next_frame - 1);
        if (centre - e->half_window_s < t_last) centre = t_last + e->half_window_s;
    }
    /* Keep centres non-decreasing. Only an event that was late (moved) can
     * overtake its successor, and that successor has then started fading:
     * sharing its centre gives this event weight 0 (it arrived too late to
     * be seen before the later event) and moves nothing already under way. */
    if (pos < e->num_events && centre > e->events[pos].centre_s) centre = e->events[pos].centre_s;

    memmove(&e->events[pos + 1], &e->events[pos], (e->num_events - pos) * sizeof(as_tl_event));
    as_tl_event *ev = &e->events[pos];
    ev->time_s = time_s;
    ev->centre_s = centre;
    ev->cond = *cond;
    ev->strength = strength < 0.0f ? AS_KEEP_STRENGTH : strength;
    e->num_events++;
    return AS_OK;
}

/* Expression magnitude, the quantity whose rise is an onset: how far a state
 * is from the resting face, scaled by its strength. (1 - neutral weight) plus
 * the L1 distance of its VAD from the neutral point. */
static float magnitude(const float x[AS_TL_DIM])
{
    as_vad n = as_neutral_vad();
    const float *vad = &x[AS_NUM_EMOTIONS];
    float m = (1.0f - x[AS_EMO_NEUTRAL]) + fabsf(vad[0] - n.v) + fabsf(vad[1] - n.a) + fabsf(vad[2] - n.d);
    return m * x[AS_COND_DIM];
}

void as_tl_engine_step(as_tl_engine *e, as_cond *cond, float *strength)
{
    const double t = frame_time(e, e->next_frame);
    const double w = e->half_window_s;

    /* 1. fold every finished event into the base (a prefix: centres sorted) */
    size_t done = 0;
    while (done < e->num_events && xfade(t, e->events[done].centre_s, w) >= 1.0f) {
        const as_tl_event *ev = &e->events[done];
        e->base_cond = ev->cond;
        if (ev->strength >= 0.0f) e->base_strength = ev->strength;
        done++;
    }
    if (done) {
        memmove(&e->events[0], &e->events[done], (e->num_events - done) * sizeof(as_tl_event));
        e->num_events -= done;
    }

    /* 2. crossfade target: sum_k (s_k - s_{k+1}) x_k, s_0 = 1 */
    float target[AS_TL_DIM] = {0};
    float x[AS_TL_DIM];
    memcpy(x, as_cond_vec(&e->base_cond), sizeof(float) * AS_COND_DIM);
    x[AS_COND_DIM] = e->base_strength;
    float s_prev = 1.0f;
    for (size_t k = 0; k <= e->num_events; k++) {
        float s_next = 0.0f;
        float xn[AS_TL_DIM];
        if (k < e->num_events) {
            s_next = xfade(t, e->events[k].centre_s, w);
            event_state(&e->events[k], x[AS_COND_DIM], xn);
        }
        float wk = s_prev - s_next;
        for (int d = 0; d < AS_TL_DIM; d++) target[d] += wk * x[d];
        if (s_next <= 0.0f) break; /* later events have not started either */
        memcpy(x, xn, sizeof x);
        s_prev = s_next;
    }

    /* 3. asymmetric first-order smoother */
    if (!e->have_state) {
        memcpy(e->smooth, target, sizeof target);
        e->have_state = 1;
    } else {
        float tau = magnitude(target) > magnitude(e->smooth) ? e->p.onset_tau_s : e->p.offset_tau_s;
        float arousal = as_clamp01(target[AS_NUM_EMOTIONS + 1]);
        double tau_eff = (double)tau / (0.6 + 0.8 * (double)arousal);
        float alpha = tau_eff > 0.0 ? (float)(1.0 - exp(-1.0 / ((double)e->p.fps * tau_eff))) : 1.0f;
        for (int d = 0; d < AS_TL_DIM; d++) e->smooth[d] += alpha * (target[d] - e->smooth[d]);
    }

    /* 4. output */
    if (cond) memcpy(cond, e->smooth, sizeof(as_cond));
    if (strength) *strength = as_clampf(e->smooth[AS_COND_DIM] * e->p.strength, 0.0f, 2.0f);
    e->next_frame++;
}
