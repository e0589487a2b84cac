/* engine/student_render.c — the audio-only path, offline: speech PCM ->
 * features -> conditioning (one emotion or a timed script, the crossfades
 * of `say`) -> student network -> motion layer -> as_animation. Also the
 * emotion plan both this and the stream (student_stream.c) start from, so
 * the two see exactly the same conditioning. The network itself is in
 * src/nn/student.c (the engine stage sits below nn, ARCHITECTURE.md). */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "engine/student_internal.h"

as_render_params as_render_default_params(void)
{
    as_render_params p;
    memset(&p, 0, sizeof p);
    p.emotion = "neutral";
    p.intensity = 0.5f;
    p.script = NULL;
    p.timeline = as_timeline_default_params();
    p.motion = as_motion_default_params();
    return p;
}

/* ---- scripts: "[0s joy:80] [2.5s sadness:40]" -------------------------------- */

as_result as_render_script_parse(const char *script, as_render_event *out, size_t max, size_t *n)
{
    if (!script || !n || (!out && max)) return as_fail(AS_ERR_INVALID_ARG, "as_render_script_parse: NULL argument");
    *n = 0;
    const char *s = script;
    while (*s) {
        if (isspace((unsigned char)*s)) {
            s++;
            continue;
        }
        size_t pos = (size_t)(s - script) + 1;
        if (*s != '[') return as_fail(AS_ERR_PARSE, "script: expected '[' at character %zu", pos);
        const char *end = strchr(s, ']');
        if (!end) return as_fail(AS_ERR_PARSE, "script: tag at character %zu has no ']'", pos);
        char tag[160];
        size_t len = (size_t)(end - s - 1);
        if (len >= sizeof tag) return as_fail(AS_ERR_PARSE, "script: tag at character %zu is too long", pos);
        memcpy(tag, s + 1, len);
        tag[len] = 0;
        /* time: a number followed by 's' */
        char *p;
        double t = strtod(tag, &p);
        if (p == tag || *p != 's')
            return as_fail(AS_ERR_PARSE, "script: tag [%s] at character %zu: expected a time like \"2.5s\" first", tag,
                           pos);
        if (!(t >= 0.0 && t <= 86400.0))
            return as_fail(AS_ERR_RANGE, "script: tag [%s] at character %zu: time outside 0..86400 s", tag, pos);
        p++;
        while (isspace((unsigned char)*p)) p++;
        char *colon = strrchr(p, ':');
        float intensity = 0.5f;
        if (colon) {
            char *q;
            double v = strtod(colon + 1, &q);
            if (q == colon + 1 || *q)
                return as_fail(AS_ERR_PARSE, "script: tag [%s] at character %zu: intensity is not a number", tag, pos);
            if (!(v >= 0.0 && v <= 100.0))
                return as_fail(AS_ERR_RANGE, "script: tag [%s] at character %zu: intensity %g outside 0..100", tag, pos,
                               v);
            intensity = (float)(v / 100.0);
            *colon = 0;
        }
        size_t nl = strlen(p);
        while (nl && isspace((unsigned char)p[nl - 1])) p[--nl] = 0;
        if (!nl) return as_fail(AS_ERR_PARSE, "script: tag at character %zu has no emotion name", pos);
        as_lexicon_entry e;
        if (as_lexicon_lookup(p, &e) != AS_OK)
        {
            char why[256]; /* a copy: as_fail writes the buffer as_last_error reads */
            snprintf(why, sizeof why, "%s", as_last_error());
            return as_fail(AS_ERR_UNKNOWN, "script: tag at character %zu: %s", pos, why);
        }
        if (*n >= max) return as_fail(AS_ERR_RANGE, "script: more than %zu tags", max);
        as_render_event *ev = &out[(*n)++];
        ev->time_s = t;
        snprintf(ev->name, sizeof ev->name, "%s", p);
        ev->intensity = intensity;
        s = end + 1;
    }
    return AS_OK;
}

/* ---- the emotion plan ------------------------------------------------------- */

as_result st_plan_make(const as_render_params *p, st_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    as_result r;
    const char *name = p->emotion ? p->emotion : "neutral";
    float inten = p->intensity;
    if (!(inten >= 0.0f && inten <= 1.0f))
        return as_fail(AS_ERR_RANGE, "emotion \"%s\": intensity %g outside 0..1", name, (double)inten);
    if (p->script) {
        as_render_event ev[ST_MAX_EVENTS];
        size_t n;
        if ((r = as_render_script_parse(p->script, ev, ST_MAX_EVENTS, &n)) != AS_OK) return r;
        size_t k = 0;
        /* a first tag at 0 s is the emotion in force from the start */
        if (n && ev[0].time_s <= 0.0) {
            name = ev[0].name;
            inten = ev[0].intensity;
            k = 1;
        }
        snprintf(plan->initial_name, sizeof plan->initial_name, "%s", name);
        plan->initial_intensity = inten;
        for (; k < n; k++) plan->ev[plan->n_events++] = ev[k];
    } else {
        snprintf(plan->initial_name, sizeof plan->initial_name, "%s", name);
        plan->initial_intensity = inten;
    }
    if ((r = as_cond_from_name(plan->initial_name, plan->initial_intensity, &plan->initial)) != AS_OK) return r;
    for (size_t k = 0; k < plan->n_events; k++)
        if ((r = as_cond_from_name(plan->ev[k].name, plan->ev[k].intensity, &plan->cond[k])) != AS_OK) return r;
    return AS_OK;
}

/* The plan as timeline segments (segment 0 from the start). */
static void plan_segments(const st_plan *plan, as_segment *seg, double *start_s)
{
    size_t n = plan->n_events + 1;
    for (size_t k = 0; k < n; k++) {
        memset(&seg[k], 0, sizeof seg[k]);
        const char *name = k ? plan->ev[k - 1].name : plan->initial_name;
        seg[k].cond = k ? plan->cond[k - 1] : plan->initial;
        seg[k].intensity = k ? plan->ev[k - 1].intensity : plan->initial_intensity;
        seg[k].emotion = (as_emotion)0;
        as_lexicon_entry e;
        if (as_lexicon_lookup(name, &e) == AS_OK) seg[k].emotion = e.emotion;
        seg[k].strength = 1.0f;
        snprintf(seg[k].name, sizeof seg[k].name, "%s", name);
        start_s[k] = k ? plan->ev[k - 1].time_s : 0.0;
    }
}

/* ---- offline render --------------------------------------------------------- */

as_result as_render(const as_student *m, const as_render_params *params, const float *pcm, size_t n, int rate_hz,
                    as_animation **out)
{
    if (!out || (!pcm && n)) return as_fail(AS_ERR_INVALID_ARG, "as_render: NULL argument");
    *out = NULL;
    if (!m && !(m = as_student_default())) return AS_ERR_PARSE;
    as_render_params p = params ? *params : as_render_default_params();
    if (p.timeline.fps != 30.0f)
        return as_fail(AS_ERR_RANGE, "as_render: fps %g, the student runs at 30 fps", (double)p.timeline.fps);
    if (rate_hz < 4000 || rate_hz > 384000) return as_fail(AS_ERR_RANGE, "as_render: rate %d Hz outside 4000..384000", rate_hz);
    st_plan plan;
    as_result r = st_plan_make(&p, &plan);
    if (r != AS_OK) return r;
    const double duration = (double)n / rate_hz;
    const size_t T = as_timeline_frame_count(duration, 30.0f);
    float *feat = NULL;
    size_t n_feat = 0;
    double *markers = NULL;
    as_compiler *c = NULL;
    as_timeline tl;
    memset(&tl, 0, sizeof tl);
    as_animation *a = as_calloc(1, sizeof *a);
    size_t nseg = plan.n_events + 1;
    as_segment *seg = as_calloc(nseg, sizeof *seg);
    double *start_s = as_calloc(nseg, sizeof *start_s);
    if (!a || !seg || !start_s) {
        r = as_fail(AS_ERR_NOMEM, "out of memory");
        goto done;
    }
    a->fps = 30.0f;
    a->num_frames = T;
    a->frames = as_calloc(T ? T * AS_NUM_CHANNELS : 1, sizeof(float));
    a->lipsync = as_calloc(T ? T * AS_NUM_CHANNELS : 1, sizeof(float));
    a->expression = as_calloc(T ? T * AS_NUM_CHANNELS : 1, sizeof(float));
    a->segments = as_calloc(nseg, sizeof *a->segments);
    a->num_segments = nseg;
    if (!a->frames || !a->lipsync || !a->expression || !a->segments) {
        r = as_fail(AS_ERR_NOMEM, "out of memory");
        goto done;
    }
    /* 1. features of the whole clip (the same frames a stream gets) */
    if (n && (r = as_features_compute(&feat, &n_feat, pcm, n, rate_hz, NULL)) != AS_OK) goto done;
    /* 2. conditioning per frame */
    plan_segments(&plan, seg, start_s);
    if ((r = as_timeline_build(&tl, seg, start_s, nseg, T, &p.timeline)) != AS_OK) goto done;
    a->cond = tl.cond;
    a->strength = tl.strength;
    tl.cond = NULL, tl.strength = NULL;
    if ((r = as_anim_segments_from_timeline(a->segments, seg, start_s, nseg, duration)) != AS_OK) goto done;
    /* 3. the network, 4. the motion layer */
    if ((r = as_student_run(m, a->lipsync, feat, n_feat, a->cond, T)) != AS_OK) goto done;
    memcpy(a->frames, a->lipsync, T * AS_NUM_CHANNELS * sizeof(float));
    as_motion_params mp = p.motion;
    mp.fps = 30.0f;
    /* phrase markers at the pauses (student_internal.h) */
    size_t n_markers = 0;
    if (n_feat) {
        st_pauses ps = {0, 0};
        for (size_t t = 0; t < T; t++)
            if (st_pause_step(&ps, st_frame_level(feat, n_feat, (long)t))) {
                if (!markers && !(markers = as_malloc(T * sizeof(double)))) {
                    r = as_fail(AS_ERR_NOMEM, "out of memory");
                    goto done;
                }
                markers[n_markers++] = (double)t / 30.0;
            }
    }
    if (T && (r = as_motion_apply(&mp, a->frames, a->cond, T, markers, n_markers)) != AS_OK) goto done;
    /* the compiler's face for the same conditioning, for players and tools */
    if (!(c = as_compiler_create(NULL, NULL))) {
        r = as_fail(AS_ERR_NOMEM, "cannot create the compiler");
        goto done;
    }
    for (size_t i = 0; i < T; i++)
        if ((r = as_compile(c, a->expression + i * AS_NUM_CHANNELS, &a->cond[i], a->strength[i])) != AS_OK) goto done;
    *out = a;
    a = NULL;
done:
    as_animation_destroy(a);
    as_timeline_clear(&tl);
    as_compiler_destroy(c);
    as_free(feat);
    as_free(markers);
    as_free(seg);
    as_free(start_s);
    return r;
}
