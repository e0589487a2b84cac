/* engine/student_stream.c — the audio-only path, streaming: PCM chunks of
 * any size in, frames out as soon as the look-ahead allows, bit-identical
 * to as_render on the same input.
 *
 * Each stage runs one frame at a time on the same row-stable kernels as the
 * offline forward (nn.h: a matmul row's value never depends on how many rows
 * are computed together), so every frame is computed with the same
 * operations in the same order:
 *
 *   PCM -> as_features_push -> ring of feature frames
 *   animation frame j enters when feature frame k(j) + ahead has arrived:
 *     its input row, its conditioning (as_scheduler_next: the offline
 *     timeline's crossfades), the input projection and the FiLM trunk
 *   conv layer l computes frame u when its input u + a_l d_l has arrived
 *     (a ring per layer holds the (K-1) d_l + 1 frames a tap can read;
 *     frames before 0 and, at the flush, after the end are zeros, exactly
 *     the offline zero padding)
 *   output stage (st_output_forward, as offline) -> motion layer (as_motion_state) -> out
 *
 * Nothing is allocated after create: a push is cut into sub-chunks of at
 * most SUB samples so the feature buffer has a fixed size. */
#include <string.h>

#include "core/internal.h"
#include "engine/student_internal.h"

#define SUB 4096 /* samples per internal feature push */

/* A ring of frames of C floats; frame v lives at slot v mod cap. */
typedef struct {
    float *buf; // (cap, C)
    int cap, C;
} ring;

static float *ring_at(const ring *r, long v) { return r->buf + (size_t)(v % r->cap) * r->C; }

struct as_student_stream {
    const as_student *m;
    const st_config *cfg;
    const st_params *p;
    as_features *fx;
    as_scheduler *sched;
    as_motion_state *motion;
    float *feat_out;    // (feat_cap, 141) from one feature push
    size_t feat_cap;
    ring feat;          // feature frames
    long n_feat;        // feature frames received
    ring cond;          // (19) per animation frame
    ring marker;        // (1) phrase marker per animation frame (a pause)
    st_pauses pauses;
    ring fa;            // (HF) FiLM trunk output per frame
    ring h[ST_MAX_LAYERS + 1]; // input of layer l (h[L]: output of the stack)
    long entered;       // animation frames entered (input stage done)
    long done[ST_MAX_LAYERS + 1]; // frames computed by layer l (done[L]: emitted)
    long avail[ST_MAX_LAYERS + 1]; // frames in h[l]
    long T;             // total frames, known at the flush (-1 before)
    size_t n_in;        // input samples pushed
    int rate_hz;
    int flushed;
    float *row;         // (S*141) input row
    float *col;         // (K*H) one column
    float *tmp;         // (2H) FiLM of one frame
    float *tmp2;        // (H) conv output
    float *tmp3;        // (H) modulated
    float *logit;       // (52)
};

static int ring_init(ring *r, int cap, int C)
{
    r->cap = cap, r->C = C;
    r->buf = as_calloc((size_t)cap * C, sizeof(float));
    return r->buf != NULL;
}

void as_student_stream_destroy(as_student_stream *st)
{
    if (!st) return;
    as_features_destroy(st->fx);
    as_scheduler_destroy(st->sched);
    as_motion_state_destroy(st->motion);
    as_free(st->feat_out), as_free(st->feat.buf), as_free(st->cond.buf), as_free(st->fa.buf), as_free(st->marker.buf);
    for (int l = 0; l <= ST_MAX_LAYERS; l++) as_free(st->h[l].buf);
    as_free(st->row), as_free(st->col), as_free(st->tmp), as_free(st->tmp2), as_free(st->tmp3);
    as_free(st->logit);
    as_free(st);
}

as_student_stream *as_student_stream_create(const as_student *m, int rate_hz, const as_render_params *params)
{
    if (!m && !(m = as_student_default())) return NULL;
    as_render_params p = params ? *params : as_render_default_params();
    if (p.timeline.fps != 30.0f) {
        as_set_error("as_student_stream_create: fps %g, the student runs at 30 fps", (double)p.timeline.fps);
        return NULL;
    }
    st_plan plan;
    if (st_plan_make(&p, &plan) != AS_OK) return NULL;
    as_student_stream *st = as_calloc(1, sizeof *st);
    if (!st) {
        as_set_error("out of memory");
        return NULL;
    }
    st->m = m, st->cfg = &m->cfg, st->p = &m->p, st->rate_hz = rate_hz, st->T = -1;
    const st_config *c = st->cfg;
    const int H = c->hidden, HF = c->film_hidden, la = st_config_conv_lookahead(c);
    as_motion_params mp = p.motion;
    mp.fps = 30.0f;
    if (!(st->fx = as_features_create(rate_hz, NULL))) goto fail;
    if (!(st->sched = as_scheduler_create(&p.timeline, &plan.initial, 1.0f))) goto fail;
    for (size_t k = 0; k < plan.n_events; k++)
        if (as_scheduler_add(st->sched, plan.ev[k].time_s, &plan.cond[k], 1.0f) != AS_OK) goto fail;
    if (!(st->motion = as_motion_state_create(&mp))) goto fail;
    st->feat_cap = as_features_max_frames(st->fx, SUB);
    size_t flush_cap = as_features_max_frames(st->fx, 0);
    if (flush_cap > st->feat_cap) st->feat_cap = flush_cap;
    int ok = (st->feat_out = as_malloc(st->feat_cap * AS_FEAT_DIM * sizeof(float))) != NULL;
    /* feature frames: the stack reads S frames ending at the newest */
    ok = ok && ring_init(&st->feat, c->stack + c->ahead + 8, AS_FEAT_DIM);
    /* per-frame conditioning and FiLM trunk: from the oldest frame still in
     * the stack to the newest entered */
    ok = ok && ring_init(&st->cond, la + c->layers + 8, AS_COND_DIM);
    ok = ok && ring_init(&st->fa, la + c->layers + 8, HF);
    ok = ok && ring_init(&st->marker, la + c->layers + 8, 1);
    for (int l = 0; l <= c->layers; l++) {
        int span = l < c->layers ? (c->kernel - 1) * c->dilation[l] + 1 : 1;
        ok = ok && ring_init(&st->h[l], span + la + c->layers + 8, H);
    }
    ok = ok && (st->row = as_malloc((size_t)st_input_dim(c) * sizeof(float))) != NULL;
    ok = ok && (st->col = as_malloc((size_t)c->kernel * H * sizeof(float))) != NULL;
    ok = ok && (st->tmp = as_malloc((size_t)2 * H * sizeof(float))) != NULL;
    ok = ok && (st->tmp2 = as_malloc((size_t)H * sizeof(float))) != NULL;
    ok = ok && (st->tmp3 = as_malloc((size_t)H * sizeof(float))) != NULL;
    ok = ok && (st->logit = as_malloc(AS_NUM_CHANNELS * sizeof(float))) != NULL;
    if (!ok) {
        as_set_error("out of memory");
        goto fail;
    }
    return st;
fail:
    as_student_stream_destroy(st);
    return NULL;
}

size_t as_student_stream_max_frames(const as_student_stream *st, size_t n)
{
    if (!st) return 0;
    /* feature frames come 10 ms apart, animation frames 33.3 ms: at most one
     * frame enters per three feature frames (plus rounding); each entering
     * frame lets at most one out, and the flush releases the look-ahead */
    size_t nf = as_features_max_frames(st->fx, n);
    return nf / 3 + 2 + (size_t)st_config_conv_lookahead(st->cfg) + (size_t)st->cfg->layers + 4;
}

/* Input stage: frame j = st->entered enters (its row, conditioning,
 * projection and FiLM trunk). final: the feature count is final. */
static void enter_frame(as_student_stream *st)
{
    const st_config *c = st->cfg;
    const st_params *p = st->p;
    long j = st->entered;
    long k = st_feat_frame_of(j) + c->ahead;
    for (int s = 0; s < c->stack; s++) {
        long f = k - (c->stack - 1) + s;
        if (f < 0) f = 0;
        if (f >= st->n_feat) f = st->n_feat - 1; /* only at the flush: offline clamps the same way */
        const float *src = ring_at(&st->feat, f);
        float *dst = st->row + (size_t)s * AS_FEAT_DIM;
        for (int i = 0; i < AS_FEAT_DIM; i++) dst[i] = (src[i] - p->feat_mean[i]) * p->feat_istd[i];
    }
    as_cond cd;
    as_scheduler_next(st->sched, &cd, NULL);
    memcpy(ring_at(&st->cond, j), as_cond_vec(&cd), AS_COND_DIM * sizeof(float));
    /* the phrase marker of a pause: from feature frame k(j), which has
     * arrived (the stack reads up to k(j) + ahead) and is still in the ring */
    const float *level = ring_at(&st->feat, st_level_frame(j, st->n_feat));
    ring_at(&st->marker, j)[0] = (float)st_pause_step(&st->pauses, level[AS_FEAT_ENERGY_REL]);
    float *h0 = ring_at(&st->h[0], j);
    nn_matmul_forward(h0, st->row, p->in_w, p->in_b, 1, st_input_dim(c), c->hidden);
    float *fa = ring_at(&st->fa, j);
    nn_matmul_forward(fa, ring_at(&st->cond, j), p->f1_w, p->f1_b, 1, AS_COND_DIM, c->film_hidden);
    nn_relu_forward(fa, fa, (size_t)c->film_hidden);
    st->avail[0] = ++st->entered;
}

/* Layer l computes its next frame if it can; returns 1 if it did. */
static int layer_step(as_student_stream *st, int l)
{
    const st_config *c = st->cfg;
    const st_params *p = st->p;
    const int H = c->hidden, K = c->kernel, d = c->dilation[l], a = c->lookahead[l];
    long u = st->done[l];
    if (u >= st->avail[l]) return 0;
    long need = u + (long)a * d; /* newest input this output reads */
    long end = st->T >= 0 ? st->T : -1;
    if (end >= 0 && u >= end) return 0;
    if (end >= 0 && need > end - 1) need = end - 1; /* past the end: zero padding, nothing to wait for */
    if (need >= st->avail[l]) return 0;
    /* the column of frame u: tap i reads u + (i - (K-1-a)) d, zeros outside */
    for (int i = 0; i < K; i++) {
        long v = u + (long)(i - (K - 1 - a)) * d;
        float *dst = st->col + (size_t)i * H;
        if (v < 0 || (end >= 0 && v >= end)) memset(dst, 0, (size_t)H * sizeof(float));
        else memcpy(dst, ring_at(&st->h[l], v), (size_t)H * sizeof(float));
    }
    nn_matmul_forward(st->tmp2, st->col, p->conv_w[l], p->conv_b[l], 1, K * H, H);
    nn_matmul_forward(st->tmp, ring_at(&st->fa, u), p->f2_w[l], p->f2_b[l], 1, c->film_hidden, 2 * H);
    nn_film_forward(st->tmp3, st->tmp2, st->tmp, 1, 1, H, 1);
    nn_relu_forward(st->tmp3, st->tmp3, (size_t)H);
    nn_residual_forward(ring_at(&st->h[l + 1], u), st->tmp3, ring_at(&st->h[l], u), (size_t)H);
    st->done[l] = u + 1;
    st->avail[l + 1] = u + 1;
    return 1;
}

/* Output head + motion for the next frame of the stack's output. */
static int emit_step(as_student_stream *st, float *out)
{
    const st_config *c = st->cfg;
    const st_params *p = st->p;
    long u = st->done[c->layers];
    if (u >= st->avail[c->layers]) return 0;
    as_cond cd;
    memcpy(&cd, ring_at(&st->cond, u), sizeof cd);
    float face[AS_NUM_CHANNELS], reg[AS_NUM_CHANNELS], vlog[ST_NUM_VISEMES], vp[ST_NUM_VISEMES], clog, cp;
    st_output_forward(c, p, ring_at(&st->h[c->layers], u), ring_at(&st->fa, u), as_cond_vec(&cd), 1, st->logit, reg,
                      vlog, vp, &clog, &cp, face);
    as_motion_process(st->motion, out, face, &cd, ring_at(&st->marker, u)[0] != 0.0f);
    st->done[c->layers] = u + 1;
    return 1;
}

/* Runs every stage as far as it can; writes emitted frames at out. */
static size_t pump(as_student_stream *st, float *out)
{
    size_t n = 0;
    int moved = 1;
    while (moved) {
        moved = 0;
        for (int l = 0; l < st->cfg->layers; l++) moved |= layer_step(st, l);
        if (emit_step(st, out + n * AS_NUM_CHANNELS)) n++, moved = 1;
    }
    return n;
}

/* Takes feature frames in; frames enter as their input is complete. */
static size_t take_features(as_student_stream *st, const float *frames, size_t nf, float *out)
{
    size_t n = 0;
    for (size_t i = 0; i < nf; i++) {
        memcpy(ring_at(&st->feat, st->n_feat), frames + i * AS_FEAT_DIM, AS_FEAT_DIM * sizeof(float));
        st->n_feat++;
        while (st_feat_frame_of(st->entered) + st->cfg->ahead < st->n_feat &&
               (st->T < 0 || st->entered < st->T)) {
            enter_frame(st);
            n += pump(st, out + n * AS_NUM_CHANNELS);
        }
    }
    return n;
}

as_result as_student_stream_push(as_student_stream *st, float *frames, size_t max_frames, size_t *n_frames,
                                 const float *pcm, size_t n)
{
    if (!st || !frames || !n_frames || (!pcm && n)) return as_fail(AS_ERR_INVALID_ARG, "as_student_stream_push: NULL argument");
    *n_frames = 0;
    if (st->flushed) return as_fail(AS_ERR_INVALID_ARG, "as_student_stream_push: the stream was flushed");
    if (max_frames < as_student_stream_max_frames(st, n))
        return as_fail(AS_ERR_RANGE, "as_student_stream_push: room for %zu frames, a push of %zu samples needs %zu",
                       max_frames, n, as_student_stream_max_frames(st, n));
    for (size_t i = 0; i < n; i++)
        if (!(pcm[i] == pcm[i]) || pcm[i] > 1e30f || pcm[i] < -1e30f)
            return as_fail(AS_ERR_INVALID_ARG, "as_student_stream_push: sample %zu is not finite", i);
    size_t got = 0;
    for (size_t off = 0; off < n; off += SUB) {
        size_t len = n - off < SUB ? n - off : SUB, nf;
        as_result r = as_features_push(st->fx, st->feat_out, st->feat_cap, &nf, pcm + off, len);
        if (r != AS_OK) return r;
        got += take_features(st, st->feat_out, nf, frames + got * AS_NUM_CHANNELS);
    }
    st->n_in += n;
    *n_frames = got;
    return AS_OK;
}

as_result as_student_stream_flush(as_student_stream *st, float *frames, size_t max_frames, size_t *n_frames)
{
    if (!st || !frames || !n_frames) return as_fail(AS_ERR_INVALID_ARG, "as_student_stream_flush: NULL argument");
    *n_frames = 0;
    if (st->flushed) return as_fail(AS_ERR_INVALID_ARG, "as_student_stream_flush: called twice");
    if (max_frames < as_student_stream_max_frames(st, 0))
        return as_fail(AS_ERR_RANGE, "as_student_stream_flush: room for %zu frames, the flush needs %zu", max_frames,
                       as_student_stream_max_frames(st, 0));
    size_t nf;
    as_result r = as_features_flush(st->fx, st->feat_out, st->feat_cap, &nf);
    if (r != AS_OK) return r;
    st->flushed = 1;
    /* the clip's length is known now: as many frames as as_render makes */
    st->T = (long)as_timeline_frame_count((double)st->n_in / st->rate_hz, 30.0f);
    size_t got = take_features(st, st->feat_out, nf, frames);
    /* the frames whose input reaches past the last feature frame */
    while (st->entered < st->T && st->n_feat > 0) {
        enter_frame(st);
        got += pump(st, frames + got * AS_NUM_CHANNELS);
    }
    got += pump(st, frames + got * AS_NUM_CHANNELS);
    *n_frames = got;
    return AS_OK;
}

as_result as_student_stream_set_emotion(as_student_stream *st, double time_s, const char *name, float intensity)
{
    if (!st || !name) return as_fail(AS_ERR_INVALID_ARG, "as_student_stream_set_emotion: NULL argument");
    return as_scheduler_add_name(st->sched, time_s, name, intensity, 1.0f);
}

size_t as_student_stream_frames(const as_student_stream *st)
{
    return st ? (size_t)st->done[st->cfg->layers] : 0;
}
