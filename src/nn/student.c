/* nn/student.c — the student network of the lip-sync layer: configuration,
 * parameter and activation layouts, input gathering, forward and backward.
 * The equations are at the top of nn/student.h; every layer is a call into
 * the layers of nn.h, so each step here is checked by their gradient tests
 * and the whole model by tests/test_student_model.c. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "nn/student.h"

st_config st_config_default(int lookahead_ms)
{
    st_config c;
    memset(&c, 0, sizeof c);
    c.hidden = 80;
    c.film_hidden = 64;
    c.stack = 4; /* 40 ms of 10 ms frames: every feature frame between two 33.3 ms animation frames */
    c.layers = 5;
    c.kernel = 3;
    /* dilations 1, 2, 4, 8, 16: a receptive field of 1 + 2 x 31 = 63 frames
     * (2.1 s) of history, enough for syllable and phrase context */
    for (int l = 0; l < c.layers; l++) c.dilation[l] = 1 << l;
    if (lookahead_ms >= 100) {
        c.lookahead[0] = 1; /* 1 frame */
        c.lookahead[1] = 1; /* 2 frames (dilation 2): 3 frames = 100 ms */
    } else if (lookahead_ms >= 50) {
        c.ahead = 5; /* five 10 ms feature frames */
    }
    c.heads = 1;
    return c;
}

as_result st_config_check(const st_config *c)
{
    if (c->hidden < 1 || c->hidden > 1024) return as_fail(AS_ERR_RANGE, "student: hidden %d outside 1..1024", c->hidden);
    if (c->film_hidden < 1 || c->film_hidden > 1024)
        return as_fail(AS_ERR_RANGE, "student: film_hidden %d outside 1..1024", c->film_hidden);
    if (c->stack < 1 || c->stack > 16) return as_fail(AS_ERR_RANGE, "student: stack %d outside 1..16", c->stack);
    if (c->ahead < 0 || c->ahead > 20) return as_fail(AS_ERR_RANGE, "student: ahead %d outside 0..20", c->ahead);
    if (c->layers < 1 || c->layers > ST_MAX_LAYERS)
        return as_fail(AS_ERR_RANGE, "student: layers %d outside 1..%d", c->layers, ST_MAX_LAYERS);
    if (c->kernel < 1 || c->kernel > 9) return as_fail(AS_ERR_RANGE, "student: kernel %d outside 1..9", c->kernel);
    if (c->heads != 0 && c->heads != 1) return as_fail(AS_ERR_RANGE, "student: heads %d is not 0 or 1", c->heads);
    for (int l = 0; l < c->layers; l++) {
        if (c->dilation[l] < 1 || c->dilation[l] > 64)
            return as_fail(AS_ERR_RANGE, "student: dilation[%d] %d outside 1..64", l, c->dilation[l]);
        if (c->lookahead[l] < 0 || c->lookahead[l] > c->kernel - 1)
            return as_fail(AS_ERR_RANGE, "student: lookahead[%d] %d outside 0..%d", l, c->lookahead[l], c->kernel - 1);
    }
    return AS_OK;
}

int st_config_conv_lookahead(const st_config *c)
{
    int n = 0;
    for (int l = 0; l < c->layers; l++) n += c->lookahead[l] * c->dilation[l];
    return n;
}

double st_config_lookahead_ms(const st_config *c)
{
    return 10.0 * c->ahead + 1000.0 / 30.0 * st_config_conv_lookahead(c);
}

void st_hparams_pack(const st_config *c, int32_t h[ST_NUM_HPARAMS])
{
    h[0] = ST_MODEL_VERSION;
    h[1] = c->hidden;
    h[2] = c->film_hidden;
    h[3] = c->stack;
    h[4] = c->ahead;
    h[5] = c->layers;
    h[6] = c->kernel;
    for (int l = 0; l < ST_MAX_LAYERS; l++) {
        h[7 + l] = l < c->layers ? c->dilation[l] : 0;
        h[7 + ST_MAX_LAYERS + l] = l < c->layers ? c->lookahead[l] : 0;
    }
    h[7 + 2 * ST_MAX_LAYERS] = c->heads;
}

as_result st_hparams_unpack(st_config *c, const int32_t *h, int n, const char *label)
{
    /* version 1 (no heads field) is still read: a network without heads */
    int want = n > 0 && h[0] == 1 ? ST_NUM_HPARAMS_V1 : ST_NUM_HPARAMS;
    if (n < 1 || (h[0] != 1 && h[0] != ST_MODEL_VERSION))
        return as_fail(AS_ERR_PARSE, "%s: student model version %d, this library runs versions 1 and %d; %s", label,
                       n < 1 ? -1 : (int)h[0], ST_MODEL_VERSION, ST_WEIGHTS_HINT);
    if (n != want)
        return as_fail(AS_ERR_PARSE, "%s: %d hyperparameters, a version %d student has %d; %s", label, n, (int)h[0],
                       want, ST_WEIGHTS_HINT);
    memset(c, 0, sizeof *c);
    c->hidden = h[1];
    c->film_hidden = h[2];
    c->stack = h[3];
    c->ahead = h[4];
    c->layers = h[5];
    c->kernel = h[6];
    for (int l = 0; l < ST_MAX_LAYERS && l < c->layers; l++) {
        c->dilation[l] = h[7 + l];
        c->lookahead[l] = h[7 + ST_MAX_LAYERS + l];
    }
    c->heads = h[0] == 1 ? 0 : h[7 + 2 * ST_MAX_LAYERS];
    if (st_config_check(c) != AS_OK) {
        char why[256]; /* a copy: as_fail writes the buffer as_last_error reads */
        snprintf(why, sizeof why, "%s", as_last_error());
        return as_fail(AS_ERR_PARSE, "%s: %s; %s", label, why, ST_WEIGHTS_HINT);
    }
    return AS_OK;
}

void st_layout(nn_layout *L, const st_config *c)
{
    st_params p;
    const int H = c->hidden, HF = c->film_hidden, D = st_input_dim(c), K = c->kernel;
    nn_layout_init(L);
    nn_layout_add(L, &p, &p.feat_mean, "feat_mean", AS_FEAT_DIM, nn_zeros());
    nn_layout_add(L, &p, &p.feat_istd, "feat_istd", AS_FEAT_DIM, nn_constant(1.0f));
    nn_layout_add(L, &p, &p.in_w, "in_w", (size_t)H * D, nn_xavier(D, H));
    nn_layout_add(L, &p, &p.in_b, "in_b", H, nn_zeros());
    nn_layout_add(L, &p, &p.f1_w, "film1_w", (size_t)HF * AS_COND_DIM, nn_kaiming(AS_COND_DIM));
    nn_layout_add(L, &p, &p.f1_b, "film1_b", HF, nn_zeros());
    for (int l = 0; l < c->layers; l++) {
        /* a zero last layer: every FiLM starts as the identity (the "1 +"
         * of nn_film_forward), still decayed like a matrix */
        nn_layout_add(L, &p, &p.f2_w[l], "film2_w", (size_t)2 * H * HF, nn_with_decay(nn_zeros(), 1));
        nn_layout_add(L, &p, &p.f2_b[l], "film2_b", (size_t)2 * H, nn_zeros());
        /* Kaiming for the relu that follows, scaled down so the residual
         * stack starts close to the identity */
        nn_init ki = nn_kaiming(K * H);
        ki.scale = 0.5f;
        nn_layout_add(L, &p, &p.conv_w[l], "conv_w", (size_t)H * K * H, ki);
        nn_layout_add(L, &p, &p.conv_b[l], "conv_b", H, nn_zeros());
    }
    nn_layout_add(L, &p, &p.out_w, "out_w", (size_t)AS_NUM_CHANNELS * H, nn_xavier(H, AS_NUM_CHANNELS));
    /* bias -4: every weight starts near sigmoid(-4) = 0.018, close to the
     * rest face most frames hold */
    nn_layout_add(L, &p, &p.out_b, "out_b", AS_NUM_CHANNELS, nn_constant(-4.0f));
    nn_layout_add(L, &p, &p.skip_w, "skip_w", (size_t)AS_NUM_CHANNELS * HF, nn_xavier(HF, AS_NUM_CHANNELS));
    if (c->heads) {
        nn_layout_add(L, &p, &p.vis_w, "vis_w", (size_t)ST_NUM_VISEMES * H, nn_xavier(H, ST_NUM_VISEMES));
        nn_layout_add(L, &p, &p.vis_b, "vis_b", ST_NUM_VISEMES, nn_zeros());
        nn_layout_add(L, &p, &p.clo_w, "clo_w", (size_t)H, nn_xavier(H, 1));
        /* -4: the lips start open (a closure is a few per cent of frames) */
        nn_layout_add(L, &p, &p.clo_b, "clo_b", 1, nn_constant(-4.0f));
        /* set by the trainer from the viseme table (as_viseme_pose); zero
         * gradient and no decay, so training never changes it */
        nn_layout_add(L, &p, &p.vis_pose, "vis_pose", (size_t)ST_NUM_VISEMES * AS_NUM_CHANNELS, nn_zeros());
    }
}

void st_acts_layout(nn_layout *L, const st_config *c, int B, int T)
{
    st_acts a;
    const size_t N = (size_t)B * T, H = (size_t)c->hidden;
    nn_layout_init(L);
    nn_layout_add(L, &a, &a.x, "x", N * (size_t)st_input_dim(c), nn_zeros());
    nn_layout_add(L, &a, &a.h0, "h0", N * H, nn_zeros());
    nn_layout_add(L, &a, &a.fh, "fh", N * (size_t)c->film_hidden, nn_zeros());
    nn_layout_add(L, &a, &a.fa, "fa", N * (size_t)c->film_hidden, nn_zeros());
    for (int l = 0; l < c->layers; l++) {
        nn_layout_add(L, &a, &a.film[l], "film", N * 2 * H, nn_zeros());
        nn_layout_add(L, &a, &a.col[l], "col", N * (size_t)c->kernel * H, nn_zeros());
        nn_layout_add(L, &a, &a.conv[l], "conv", N * H, nn_zeros());
        nn_layout_add(L, &a, &a.mod[l], "mod", N * H, nn_zeros());
        nn_layout_add(L, &a, &a.act[l], "act", N * H, nn_zeros());
        nn_layout_add(L, &a, &a.res[l], "res", N * H, nn_zeros());
    }
    nn_layout_add(L, &a, &a.logits, "logits", N * AS_NUM_CHANNELS, nn_zeros());
    nn_layout_add(L, &a, &a.pred, "pred", N * AS_NUM_CHANNELS, nn_zeros());
    nn_layout_add(L, &a, &a.lmask, "lmask", N * AS_NUM_CHANNELS, nn_zeros());
    if (c->heads) {
        nn_layout_add(L, &a, &a.reg, "reg", N * AS_NUM_CHANNELS, nn_zeros());
        nn_layout_add(L, &a, &a.vlog, "vlog", N * ST_NUM_VISEMES, nn_zeros());
        nn_layout_add(L, &a, &a.vp, "vp", N * ST_NUM_VISEMES, nn_zeros());
        nn_layout_add(L, &a, &a.clog, "clog", N, nn_zeros());
        nn_layout_add(L, &a, &a.cp, "cp", N, nn_zeros());
        nn_layout_add(L, &a, &a.dshape, "dshape", N * AS_NUM_CHANNELS, nn_zeros());
    }
}

void st_mask_expression(float *logits, const float *out_b, int N)
{
    for (int n = 0; n < N; n++)
        for (int ch = 0; ch < AS_NUM_CHANNELS; ch++)
            if (as_channel_class_of(ch) == AS_CHANNEL_EXPRESSION) logits[(size_t)n * AS_NUM_CHANNELS + ch] = out_b[ch];
}

void st_gather_row(float *row, const st_config *c, const st_params *p, const float *features, size_t n_feat, long t)
{
    long k = st_feat_frame_of(t) + c->ahead;
    for (int s = 0; s < c->stack; s++) {
        long f = k - (c->stack - 1) + s;
        if (f < 0) f = 0; /* clamp: before the first frame, the first frame */
        if (n_feat && (size_t)f >= n_feat) f = (long)n_feat - 1;
        float *dst = row + (size_t)s * AS_FEAT_DIM;
        if (!n_feat) {
            memset(dst, 0, AS_FEAT_DIM * sizeof(float));
            continue;
        }
        const float *src = features + (size_t)f * AS_FEAT_DIM;
        for (int i = 0; i < AS_FEAT_DIM; i++) dst[i] = (src[i] - p->feat_mean[i]) * p->feat_istd[i];
    }
}

void st_gather(float *rows, const st_config *c, const st_params *p, const float *features, size_t n_feat, long t0,
               int T)
{
    for (int t = 0; t < T; t++)
        st_gather_row(rows + (size_t)t * st_input_dim(c), c, p, features, n_feat, t0 + t);
}

/* ---- the articulatory output (heads = 1) ----------------------------------
 * The lip-sync teacher (lipsync/teacher.c) makes the mouth as blends of the
 * viseme poses plus a bilabial closure gesture; the output stage has the
 * same structure, so the network decides which viseme (a softmax, trained
 * with a classification loss as well) and whether the lips are closed (a
 * sigmoid), and the shape follows from the poses. A regression of each
 * channel alone averages the shapes of the visemes it cannot tell apart and
 * rounds a 1-4 frame closure away (docs/MODEL.md). */

/* Mouth shape channels: LIPSYNC without mouthClose. */
static int is_shape_channel(int ch)
{
    return as_channel_class_of(ch) == AS_CHANNEL_LIPSYNC && ch != AS_MOUTH_CLOSE;
}

/* Channels an open lip gesture cannot keep while the lips are closed
 * (lipsync/teacher.c opening_channels). */
static int is_opening_channel(int ch)
{
    return ch == AS_MOUTH_FUNNEL || ch == AS_MOUTH_STRETCH_LEFT || ch == AS_MOUTH_STRETCH_RIGHT ||
           ch == AS_MOUTH_LOWER_DOWN_LEFT || ch == AS_MOUTH_LOWER_DOWN_RIGHT || ch == AS_MOUTH_UPPER_UP_LEFT ||
           ch == AS_MOUTH_UPPER_UP_RIGHT;
}

/* The closure floor of a channel per unit of closure (0: none). */
static float closure_floor(int ch)
{
    switch (ch) {
    case AS_MOUTH_PRESS_LEFT:
    case AS_MOUTH_PRESS_RIGHT: return ST_CLOSURE_PRESS;
    case AS_MOUTH_ROLL_LOWER: return ST_CLOSURE_ROLL_LOWER;
    case AS_MOUTH_ROLL_UPPER: return ST_CLOSURE_ROLL_UPPER;
    default: return 0.0f;
    }
}

/* One row: y from r (52), q (15), closure c, the row's conditioning. */
static void articulate_row(float *y, const float *r, const float *q, float c, const float *pose, const float *cond)
{
    for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) {
        float v = r[ch];
        if (is_shape_channel(ch)) {
            v = 0.0f;
            for (int k = 0; k < ST_NUM_VISEMES; k++) v += q[k] * pose[(size_t)k * AS_NUM_CHANNELS + ch];
            if (is_opening_channel(ch)) v *= 1.0f - c;
        } else if (closure_floor(ch) > 0.0f) {
            float f = closure_floor(ch) * c;
            if (f > v) v = f;
        }
        y[ch] = v;
    }
    /* mouthClose = closure x the jaw in the teacher's units (the merge
     * scales the teacher's jaw, not mouthClose), at least the regression's */
    float close = c * r[AS_JAW_OPEN] / st_jaw_scale(cond);
    y[AS_MOUTH_CLOSE] = close > r[AS_MOUTH_CLOSE] ? close : r[AS_MOUTH_CLOSE];
}

/* Backward of articulate_row: adds to dr (52), dq (15), *dc (no gradient from
 * mouthClose to the jaw: see below). */
static void articulate_row_backward(float *dr, float *dq, float *dc, const float *dy, const float *r, const float *q,
                                    float c, const float *pose, const float *cond)
{
    for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) {
        if (ch == AS_MOUTH_CLOSE) continue;
        if (is_shape_channel(ch)) {
            float mix = 0.0f, g = dy[ch];
            for (int k = 0; k < ST_NUM_VISEMES; k++) mix += q[k] * pose[(size_t)k * AS_NUM_CHANNELS + ch];
            if (is_opening_channel(ch)) {
                *dc -= g * mix;
                g *= 1.0f - c;
            }
            for (int k = 0; k < ST_NUM_VISEMES; k++) dq[k] += g * pose[(size_t)k * AS_NUM_CHANNELS + ch];
        } else if (closure_floor(ch) > 0.0f && closure_floor(ch) * c > r[ch]) {
            *dc += dy[ch] * closure_floor(ch);
        } else {
            dr[ch] += dy[ch];
        }
    }
    /* mouthClose = c x jaw: its gradient goes to the closure only, the jaw
     * is held fixed (a stop-gradient). The jaw is the jaw's own loss's: a
     * mouthClose error (weighted high for the closures) pushing on the jaw
     * lowered the jaw's correlation from 0.91 to 0.86 in a first run. */
    float s = 1.0f / st_jaw_scale(cond);
    if (c * r[AS_JAW_OPEN] * s > r[AS_MOUTH_CLOSE]) {
        *dc += dy[AS_MOUTH_CLOSE] * r[AS_JAW_OPEN] * s;
    } else {
        dr[AS_MOUTH_CLOSE] += dy[AS_MOUTH_CLOSE];
    }
}

void st_output_forward(const st_config *c, const st_params *p, const float *h, const float *fa, const float *cond,
                       int N, float *logits, float *reg, float *vlog, float *vp, float *clog, float *cp, float *pred)
{
    /* trunk plus a direct path from the FiLM trunk, so the emotion reaches
     * the face without passing through the audio stack (the anchor-snap
     * target at silence is a function of the conditioning) */
    nn_matmul_forward(logits, h, p->out_w, p->out_b, N, c->hidden, AS_NUM_CHANNELS);
    st_mask_expression(logits, p->out_b, N);
    float *r = c->heads ? reg : pred;
    nn_matmul_forward(r, fa, p->skip_w, NULL, N, c->film_hidden, AS_NUM_CHANNELS);
    nn_residual_forward(logits, logits, r, (size_t)N * AS_NUM_CHANNELS);
    nn_sigmoid_forward(r, logits, (size_t)N * AS_NUM_CHANNELS);
    if (!c->heads) return;
    nn_matmul_forward(vlog, h, p->vis_w, p->vis_b, N, c->hidden, ST_NUM_VISEMES);
    nn_softmax_forward(vp, vlog, N, ST_NUM_VISEMES);
    nn_matmul_forward(clog, h, p->clo_w, p->clo_b, N, c->hidden, 1);
    nn_sigmoid_forward(cp, clog, (size_t)N);
    for (int n = 0; n < N; n++)
        articulate_row(pred + (size_t)n * AS_NUM_CHANNELS, reg + (size_t)n * AS_NUM_CHANNELS,
                       vp + (size_t)n * ST_NUM_VISEMES, cp[n], p->vis_pose, cond + (size_t)n * AS_COND_DIM);
}

float st_pose_loss(float *dpred, const float *pred, const float *cond, const int *labels, const float *row_weight,
                   const float *poses, const int *ch, int nch, int N, float tau, float jaw_grad, float scale)
{
    double W = 0.0, loss = 0.0;
    for (int n = 0; n < N; n++)
        if (labels[n] >= 0 && labels[n] < ST_NUM_VISEMES) W += row_weight ? row_weight[n] : 1.0;
    if (W <= 0.0) return 0.0f;
    for (int n = 0; n < N; n++) {
        int y = labels[n];
        double w = row_weight ? row_weight[n] : 1.0;
        if (y < 0 || y >= ST_NUM_VISEMES || w == 0.0) continue;
        const float *o = pred + (size_t)n * AS_NUM_CHANNELS;
        double js = 1.0 / st_jaw_scale(cond + (size_t)n * AS_COND_DIM);
        double z[ST_NUM_VISEMES], zmax = -1e300;
        for (int k = 0; k < ST_NUM_VISEMES; k++) {
            double d = 0.0;
            for (int i = 0; i < nch; i++) {
                double m = o[ch[i]] * (ch[i] == AS_JAW_OPEN ? js : 1.0);
                double e = m - poses[(size_t)k * AS_NUM_CHANNELS + ch[i]];
                d += e * e;
            }
            z[k] = -d / tau;
            if (z[k] > zmax) zmax = z[k];
        }
        double s = 0.0;
        for (int k = 0; k < ST_NUM_VISEMES; k++) s += exp(z[k] - zmax);
        double lse = zmax + log(s);
        loss += w * (lse - z[y]);
        if (!dpred) continue;
        double prob[ST_NUM_VISEMES];
        for (int k = 0; k < ST_NUM_VISEMES; k++) prob[k] = exp(z[k] - lse);
        /* dloss/dm = sum_k (p_k - [k = y]) (-1/tau) 2 (m - pose_k)
         *          = (2/tau) (sum_k p_k pose_k - pose_y)
         * The jaw's share is scaled by jaw_grad (0: a stop-gradient). */
        double g = scale * w / W * 2.0 / tau;
        float *dp = dpred + (size_t)n * AS_NUM_CHANNELS;
        for (int i = 0; i < nch; i++) {
            double mean = 0.0;
            for (int k = 0; k < ST_NUM_VISEMES; k++) mean += prob[k] * poses[(size_t)k * AS_NUM_CHANNELS + ch[i]];
            double dm = g * (mean - poses[(size_t)y * AS_NUM_CHANNELS + ch[i]]);
            dp[ch[i]] += (float)(ch[i] == AS_JAW_OPEN ? dm * js * jaw_grad : dm);
        }
    }
    return (float)(loss / W);
}

void st_forward(const st_config *c, const st_params *p, st_acts *a, const float *cond, int B, int T)
{
    const int N = B * T, H = c->hidden, HF = c->film_hidden;
    /* input projection of the stacked feature frames */
    nn_matmul_forward(a->h0, a->x, p->in_w, p->in_b, N, st_input_dim(c), H);
    /* FiLM generator trunk, per frame: the conditioning crossfades in time */
    nn_matmul_forward(a->fh, cond, p->f1_w, p->f1_b, N, AS_COND_DIM, HF);
    nn_relu_forward(a->fa, a->fh, (size_t)N * HF);
    const float *h = a->h0;
    for (int l = 0; l < c->layers; l++) {
        nn_matmul_forward(a->film[l], a->fa, p->f2_w[l], p->f2_b[l], N, HF, 2 * H);
        nn_conv1d_forward(a->conv[l], a->col[l], h, p->conv_w[l], p->conv_b[l], B, T, H, H, c->kernel,
                          c->dilation[l], c->lookahead[l]);
        nn_film_forward(a->mod[l], a->conv[l], a->film[l], B, T, H, T);
        nn_relu_forward(a->act[l], a->mod[l], (size_t)N * H);
        nn_residual_forward(a->res[l], a->act[l], h, (size_t)N * H);
        h = a->res[l];
    }
    st_output_forward(c, p, h, a->fa, cond, N, a->logits, a->reg, a->vlog, a->vp, a->clog, a->cp, a->pred);
}

void st_backward(const st_config *c, const st_params *p, st_params *g, const st_acts *a, st_acts *da,
                 const float *cond, int B, int T)
{
    const int N = B * T, H = c->hidden, HF = c->film_hidden;
    const float *h = a->res[c->layers - 1];
    float *dh = da->res[c->layers - 1];
    if (c->heads) {
        for (int n = 0; n < N; n++)
            articulate_row_backward(da->reg + (size_t)n * AS_NUM_CHANNELS, da->vp + (size_t)n * ST_NUM_VISEMES,
                                    da->cp + n, da->pred + (size_t)n * AS_NUM_CHANNELS,
                                    a->reg + (size_t)n * AS_NUM_CHANNELS, a->vp + (size_t)n * ST_NUM_VISEMES, a->cp[n],
                                    p->vis_pose, cond + (size_t)n * AS_COND_DIM);
        /* the shape-only gradient: the same paths but the closure's (rows
         * without one, the most, would add only zeros) */
        for (int n = 0; n < N; n++) {
            const float *ds = da->dshape + (size_t)n * AS_NUM_CHANNELS;
            int any = 0;
            for (int ch = 0; ch < AS_NUM_CHANNELS && !any; ch++) any = ds[ch] != 0.0f;
            if (!any) continue;
            float dc_dropped = 0.0f;
            articulate_row_backward(da->reg + (size_t)n * AS_NUM_CHANNELS, da->vp + (size_t)n * ST_NUM_VISEMES,
                                    &dc_dropped, ds,
                                    a->reg + (size_t)n * AS_NUM_CHANNELS, a->vp + (size_t)n * ST_NUM_VISEMES, a->cp[n],
                                    p->vis_pose, cond + (size_t)n * AS_COND_DIM);
        }
        /* softmax: dz = q (dq - sum q dq) */
        for (int n = 0; n < N; n++) {
            const float *q = a->vp + (size_t)n * ST_NUM_VISEMES;
            const float *dq = da->vp + (size_t)n * ST_NUM_VISEMES;
            float *dz = da->vlog + (size_t)n * ST_NUM_VISEMES, dot = 0.0f;
            for (int k = 0; k < ST_NUM_VISEMES; k++) dot += q[k] * dq[k];
            for (int k = 0; k < ST_NUM_VISEMES; k++) dz[k] += q[k] * (dq[k] - dot);
        }
        nn_sigmoid_backward(da->clog, da->cp, a->cp, (size_t)N);
        nn_matmul_backward(dh, g->vis_w, g->vis_b, da->vlog, h, p->vis_w, N, H, ST_NUM_VISEMES);
        nn_matmul_backward(dh, g->clo_w, g->clo_b, da->clog, h, p->clo_w, N, H, 1);
        nn_sigmoid_backward(da->logits, da->reg, a->reg, (size_t)N * AS_NUM_CHANNELS);
    } else {
        nn_sigmoid_backward(da->logits, da->pred, a->pred, (size_t)N * AS_NUM_CHANNELS);
    }
    /* the audio trunk does not reach the EXPRESSION channels (st_mask_expression):
     * their gradient goes to the bias and the FiLM trunk only */
    memcpy(da->lmask, da->logits, (size_t)N * AS_NUM_CHANNELS * sizeof(float));
    for (int n = 0; n < N; n++)
        for (int ch = 0; ch < AS_NUM_CHANNELS; ch++)
            if (as_channel_class_of(ch) == AS_CHANNEL_EXPRESSION) {
                if (g->out_b) g->out_b[ch] += da->logits[(size_t)n * AS_NUM_CHANNELS + ch];
                da->lmask[(size_t)n * AS_NUM_CHANNELS + ch] = 0.0f;
            }
    nn_matmul_backward(dh, g->out_w, g->out_b, da->lmask, h, p->out_w, N, H, AS_NUM_CHANNELS);
    nn_matmul_backward(da->fa, g->skip_w, NULL, da->logits, a->fa, p->skip_w, N, HF, AS_NUM_CHANNELS);
    for (int l = c->layers - 1; l >= 0; l--) {
        float *dhin = l ? da->res[l - 1] : da->h0;
        nn_residual_backward(da->act[l], dhin, da->res[l], (size_t)N * H);
        nn_relu_backward(da->mod[l], da->act[l], a->act[l], (size_t)N * H);
        nn_film_backward(da->conv[l], da->film[l], da->mod[l], a->conv[l], a->film[l], B, T, H, T);
        nn_conv1d_backward(dhin, g->conv_w[l], g->conv_b[l], da->conv[l], a->col[l], p->conv_w[l], B, T, H, H,
                           c->kernel, c->dilation[l], c->lookahead[l]);
        nn_matmul_backward(da->fa, g->f2_w[l], g->f2_b[l], da->film[l], a->fa, p->f2_w[l], N, HF, 2 * H);
    }
    nn_relu_backward(da->fh, da->fa, a->fa, (size_t)N * HF);
    nn_matmul_backward(NULL, g->f1_w, g->f1_b, da->fh, cond, p->f1_w, N, AS_COND_DIM, HF);
    nn_matmul_backward(NULL, g->in_w, g->in_b, da->h0, a->x, p->in_w, N, st_input_dim(c), H);
}

/* ---- the model object of the public API ------------------------------------ */

size_t st_param_count(const nn_layout *L, const st_config *c)
{
    return L->total - 2 * AS_FEAT_DIM - (c->heads ? (size_t)ST_NUM_VISEMES * AS_NUM_CHANNELS : 0);
}

as_student *st_model_create(const st_config *cfg, const float *values, size_t n_values, int copy)
{
    if (st_config_check(cfg) != AS_OK) return NULL;
    as_student *m = as_calloc(1, sizeof *m);
    if (!m) {
        as_set_error("out of memory");
        return NULL;
    }
    m->cfg = *cfg;
    st_layout(&m->L, cfg);
    if (n_values != m->L.total) {
        as_set_error("student: %zu values, the configuration needs %zu; %s", n_values, m->L.total, ST_WEIGHTS_HINT);
        as_free(m);
        return NULL;
    }
    if (copy) {
        m->values = as_malloc(m->L.total * sizeof(float));
        if (!m->values) {
            as_set_error("out of memory");
            as_free(m);
            return NULL;
        }
        memcpy(m->values, values, m->L.total * sizeof(float));
    } else {
        m->values = (float *)values; /* read-only: the built-in constant array is never written */
        m->builtin = 1;
    }
    nn_layout_bind(&m->L, &m->p, m->values);
    if (m->cfg.heads) /* the poses are weights on 0..1: the output stays in 0..1 */
        for (size_t i = 0; i < (size_t)ST_NUM_VISEMES * AS_NUM_CHANNELS; i++)
            if (!(m->p.vis_pose[i] >= 0.0f && m->p.vis_pose[i] <= 1.0f)) {
                as_set_error("student: viseme pose value %zu is %g, outside 0..1; %s", i, (double)m->p.vis_pose[i],
                             ST_WEIGHTS_HINT);
                if (copy) as_free(m->values);
                as_free(m);
                return NULL;
            }
    return m;
}

as_student *as_student_load(const char *path)
{
    if (!path) {
        as_set_error("as_student_load: NULL path");
        return NULL;
    }
    nn_weights w;
    if (nn_weights_load(path, -1, ST_WEIGHTS_HINT, &w) != AS_OK) return NULL;
    if (w.kind != AS_NN_KIND_LIPSYNC_STUDENT) {
        as_set_error("%s: holds a %s, not a lipsync student%s; %s", path, as_nn_kind_name(w.kind),
                     (w.kind & AS_NN_KIND_CHECKPOINT) ? " (a training checkpoint: the trainer's -o file is the model)"
                                                      : "",
                     ST_WEIGHTS_HINT);
        nn_weights_free(&w);
        return NULL;
    }
    st_config cfg;
    as_student *m = NULL;
    if (st_hparams_unpack(&cfg, w.hparams, w.n_hparams, path) == AS_OK) /* else its message stands */
        m = st_model_create(&cfg, w.values, w.n_values, 1);
    nn_weights_free(&w);
    return m;
}

const as_student *as_student_default(void)
{
    static as_student *builtin; /* made once; a race makes two equal models, one leaks: harmless */
    if (builtin) return builtin;
    const int32_t *h = as_default_weights_student_header;
    st_config cfg;
    if (h[0] != AS_NN_KIND_LIPSYNC_STUDENT || st_hparams_unpack(&cfg, h + 2, h[1], "built-in student") != AS_OK) {
        as_set_error("built-in student weights are corrupt");
        return NULL;
    }
    builtin = st_model_create(&cfg, as_default_weights_student, as_default_weights_student_count, 0);
    return builtin;
}

void as_student_destroy(as_student *m)
{
    if (!m || m->builtin) return;
    as_free(m->values);
    as_free(m);
}

void as_student_get_info(const as_student *m, as_student_info *out)
{
    if (!out) return;
    memset(out, 0, sizeof *out);
    if (!m) m = as_student_default();
    if (!m) return;
    out->n_params = st_param_count(&m->L, &m->cfg);
    out->lookahead_ms = st_config_lookahead_ms(&m->cfg);
    out->latency_ms = out->lookahead_ms + 40.0;
    out->hidden = m->cfg.hidden;
    out->layers = m->cfg.layers;
    out->heads = m->cfg.heads;
    int hist = 0;
    for (int l = 0; l < m->cfg.layers; l++) hist += (m->cfg.kernel - 1 - m->cfg.lookahead[l]) * m->cfg.dilation[l];
    out->receptive_frames = hist + 1;
}

void st_run(const as_student *m, st_acts *a, float *buf, const float *features, size_t n_feat, const float *cond,
            int T)
{
    nn_layout LA;
    st_acts_layout(&LA, &m->cfg, 1, T);
    nn_layout_bind(&LA, a, buf);
    st_gather(a->x, &m->cfg, &m->p, features, n_feat, 0, T);
    st_forward(&m->cfg, &m->p, a, cond, 1, T);
}

as_result as_student_run(const as_student *m, float *out, const float *features, size_t n_feat, const as_cond *cond,
                         size_t T)
{
    if (!out || (!features && n_feat) || (!cond && T)) return as_fail(AS_ERR_INVALID_ARG, "as_student_run: NULL argument");
    if (!m && !(m = as_student_default())) return AS_ERR_PARSE;
    if (T == 0) return AS_OK;
    if (T > 30u * 3600u * 4u) return as_fail(AS_ERR_RANGE, "as_student_run: %zu frames (over 4 hours)", T);
    nn_layout LA;
    st_acts_layout(&LA, &m->cfg, 1, (int)T);
    float *buf = as_malloc(LA.total * sizeof(float));
    if (!buf) return as_fail(AS_ERR_NOMEM, "as_student_run: out of memory (%zu frames)", T);
    st_acts a;
    st_run(m, &a, buf, features, n_feat, as_cond_vec(cond), (int)T);
    memcpy(out, a.pred, T * AS_NUM_CHANNELS * sizeof(float));
    as_free(buf);
    return AS_OK;
}
