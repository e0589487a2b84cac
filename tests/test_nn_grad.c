/* test_nn_grad.c — every layer's backward pass and every loss's gradient
 * (src/nn) against central finite differences, plus the forward properties
 * the streaming models rely on (row-stable products, chunked GRU = whole,
 * the convolution's receptive field).
 *
 * Method: for a layer, the scalar L = sum_i out_i * r_i with a fixed random
 * r (so dout = r); for a loss, L is the loss itself. Each input and weight
 * element x is moved to x + h and x - h in float (h = 1e-2 * max(1, |x|))
 * and the numeric derivative is (L+ - L-) / ((x+h) - (x-h)), with L summed
 * in double from the float outputs (the layers compute in float: there is no
 * double reference). The error of an element is
 *   |analytic - numeric| / max(|analytic|, |numeric|, 1% of the tensor's
 *                               largest analytic gradient)
 * (relative; the floor keeps near-zero elements, which float outputs cannot
 * resolve, from dominating, while a wrong element of any real size still
 * shows), and a tensor passes when its largest error is below 1e-2. Inputs
 * near the kinks of relu and L1 are moved away from them so the differences
 * never straddle a kink. The largest error per layer is printed. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h"
#include "testutil.h"

#define TOL 1e-2
#define FLOOR 1e-2 /* of the tensor's largest gradient */
#define H_STEP 1e-2f

static nn_rng rng;

static float *rnd(size_t n, float lo, float hi)
{
    float *x = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * nn_rng_uniform(&rng);
    return x;
}

static float *zeros(size_t n) { return calloc(n ? n : 1, sizeof(float)); }

/* ---- the checker -------------------------------------------------------------- */

typedef void (*fwd_fn)(void *ctx);

typedef struct {
    const char *name;
    float *x;       /* the values the forward reads */
    const float *g; /* the analytic gradient */
    size_t n;
} param;

/* L for the current values: run the forward, project the outputs. */
static double proj_loss(fwd_fn f, void *ctx, const float *out, const float *r, size_t n_out)
{
    f(ctx);
    double s = 0.0;
    for (size_t i = 0; i < n_out; i++) s += (double)out[i] * r[i];
    return s;
}

static double worst_overall = 0.0;

/* Checks every element of every param; prints and returns the largest error. */
static double check_grads(const char *layer, fwd_fn f, void *ctx, const float *out, const float *r, size_t n_out,
                          param *ps, int np)
{
    double worst = 0.0;
    for (int p = 0; p < np; p++) {
        double worst_p = 0.0, scale = 1e-12;
        for (size_t i = 0; i < ps[p].n; i++) scale = fmax(scale, fabs(ps[p].g[i]));
        size_t at = 0;
        double at_a = 0, at_n = 0;
        for (size_t i = 0; i < ps[p].n; i++) {
            float save = ps[p].x[i];
            float h = H_STEP * (fabsf(save) > 1.0f ? fabsf(save) : 1.0f);
            float xp = save + h, xm = save - h;
            ps[p].x[i] = xp;
            double lp = proj_loss(f, ctx, out, r, n_out);
            ps[p].x[i] = xm;
            double lm = proj_loss(f, ctx, out, r, n_out);
            ps[p].x[i] = save;
            double num = (lp - lm) / ((double)xp - (double)xm);
            double a = ps[p].g[i];
            double den = fmax(fmax(fabs(a), fabs(num)), FLOOR * scale);
            double err = fabs(a - num) / den;
            if (err > worst_p) {
                worst_p = err;
                at = i;
                at_a = a;
                at_n = num;
            }
        }
        CHECKF(worst_p < TOL, "%s: d%s[%zu] analytic %.6g numeric %.6g (error %.3g)", layer, ps[p].name, at, at_a,
               at_n, worst_p);
        if (worst_p > worst) worst = worst_p;
    }
    f(ctx); /* leave the outputs of the unperturbed values */
    printf("  %-28s max relative error %.2e\n", layer, worst);
    if (worst > worst_overall) worst_overall = worst;
    return worst;
}

/* ---- matmul ------------------------------------------------------------------- */

typedef struct {
    int N, C, OC;
    float *out, *inp, *w, *b;
} mm_ctx;

static void mm_fwd(void *p)
{
    mm_ctx *c = p;
    nn_matmul_forward(c->out, c->inp, c->w, c->b, c->N, c->C, c->OC);
}

static void test_matmul(int N, int C, int OC)
{
    mm_ctx c = {N, C, OC, zeros((size_t)N * OC), rnd((size_t)N * C, -1, 1), rnd((size_t)OC * C, -1, 1),
                rnd(OC, -1, 1)};
    float *r = rnd((size_t)N * OC, -1, 1);
    float *dinp = zeros((size_t)N * C), *dw = zeros((size_t)OC * C), *db = zeros(OC);
    mm_fwd(&c);
    nn_matmul_backward(dinp, dw, db, r, c.inp, c.w, N, C, OC);
    param ps[] = {{"inp", c.inp, dinp, (size_t)N * C}, {"weight", c.w, dw, (size_t)OC * C}, {"bias", c.b, db, OC}};
    char name[64];
    snprintf(name, sizeof name, "matmul %dx%d->%d", N, C, OC);
    check_grads(name, mm_fwd, &c, c.out, r, (size_t)N * OC, ps, 3);
    /* accumulation: a second backward adds the same again */
    float *dw2 = zeros((size_t)OC * C);
    nn_matmul_backward(NULL, dw2, NULL, r, c.inp, c.w, N, C, OC);
    nn_matmul_backward(NULL, dw2, NULL, r, c.inp, c.w, N, C, OC);
    int same = 1;
    for (size_t i = 0; i < (size_t)OC * C; i++) same &= fabsf(dw2[i] - 2.0f * dw[i]) <= 1e-5f * (1 + fabsf(dw[i]));
    CHECKF(same, "matmul backward accumulates with +=");
    free(dw2);
    free(c.out), free(c.inp), free(c.w), free(c.b), free(r), free(dinp), free(dw), free(db);
}

/* ---- conv1d ------------------------------------------------------------------- */

typedef struct {
    int B, T, C, OC, K, dil, look;
    float *out, *col, *inp, *w, *b;
} conv_ctx;

static void conv_fwd(void *p)
{
    conv_ctx *c = p;
    nn_conv1d_forward(c->out, c->col, c->inp, c->w, c->b, c->B, c->T, c->C, c->OC, c->K, c->dil, c->look);
}

static void test_conv(int B, int T, int C, int OC, int K, int dil, int look)
{
    size_t ni = (size_t)B * T * C, no = (size_t)B * T * OC, nw = (size_t)OC * K * C;
    conv_ctx c = {B, T, C, OC, K, dil, look, zeros(no), zeros((size_t)B * T * K * C), rnd(ni, -1, 1),
                  rnd(nw, -1, 1), rnd(OC, -1, 1)};
    float *r = rnd(no, -1, 1);
    float *dinp = zeros(ni), *dw = zeros(nw), *db = zeros(OC);
    conv_fwd(&c);
    nn_conv1d_backward(dinp, dw, db, r, c.col, c.w, B, T, C, OC, K, dil, look);
    param ps[] = {{"inp", c.inp, dinp, ni}, {"weight", c.w, dw, nw}, {"bias", c.b, db, OC}};
    char name[64];
    snprintf(name, sizeof name, "conv1d K%d dil%d look%d", K, dil, look);
    check_grads(name, conv_fwd, &c, c.out, r, no, ps, 3);

    /* receptive field: output frame t changes with input frame s exactly
     * when s - t is one of the tap offsets (j - (K-1-L)) * dil */
    float *base = malloc(no * sizeof(float));
    memcpy(base, c.out, no * sizeof(float));
    int ok = 1;
    for (int s = 0; s < T; s++) {
        c.inp[(size_t)s * C] += 1.0f; /* sequence 0, channel 0 */
        conv_fwd(&c);
        for (int t = 0; t < T; t++) {
            int moved = 0;
            for (int o = 0; o < OC; o++) moved |= c.out[(size_t)t * OC + o] != base[(size_t)t * OC + o];
            int in_field = 0;
            for (int j = 0; j < K; j++) in_field |= s - t == (j - (K - 1 - look)) * dil;
            if (moved != in_field) ok = 0;
        }
        /* the other sequence never sees it */
        for (size_t i = (size_t)T * OC; i < no; i++) ok &= c.out[i] == base[i];
        c.inp[(size_t)s * C] -= 1.0f;
    }
    CHECKF(ok, "%s: output frame t reads exactly frames t-(K-1-L)*dil .. t+L*dil of its own sequence", name);
    free(base);
    free(c.out), free(c.col), free(c.inp), free(c.w), free(c.b), free(r), free(dinp), free(dw), free(db);
}

/* ---- FiLM --------------------------------------------------------------------- */

typedef struct {
    int B, T, C, FT;
    float *out, *inp, *film;
} film_ctx;

static void film_fwd(void *p)
{
    film_ctx *c = p;
    nn_film_forward(c->out, c->inp, c->film, c->B, c->T, c->C, c->FT);
}

static void test_film(int B, int T, int C, int FT)
{
    size_t n = (size_t)B * T * C, nf = (size_t)B * FT * 2 * C;
    film_ctx c = {B, T, C, FT, zeros(n), rnd(n, -1, 1), rnd(nf, -1, 1)};
    float *r = rnd(n, -1, 1), *dinp = zeros(n), *dfilm = zeros(nf);
    film_fwd(&c);
    nn_film_backward(dinp, dfilm, r, c.inp, c.film, B, T, C, FT);
    param ps[] = {{"inp", c.inp, dinp, n}, {"film", c.film, dfilm, nf}};
    check_grads(FT == 1 ? "film per sequence" : "film per frame", film_fwd, &c, c.out, r, n, ps, 2);
    free(c.out), free(c.inp), free(c.film), free(r), free(dinp), free(dfilm);
}

/* ---- activations, residual ---------------------------------------------------------- */

typedef struct {
    int kind;
    size_t n;
    float *out, *inp;
} act_ctx;

static void act_fwd(void *p)
{
    act_ctx *c = p;
    switch (c->kind) {
    case 0: nn_relu_forward(c->out, c->inp, c->n); break;
    case 1: nn_gelu_forward(c->out, c->inp, c->n); break;
    case 2: nn_sigmoid_forward(c->out, c->inp, c->n); break;
    default: nn_tanh_forward(c->out, c->inp, c->n); break;
    }
}

static void test_activation(int kind)
{
    static const char *names[] = {"relu", "gelu", "sigmoid", "tanh"};
    size_t n = 60;
    act_ctx c = {kind, n, zeros(n), rnd(n, -3, 3)};
    /* relu: keep inputs off the kink at 0 */
    for (size_t i = 0; i < n; i++)
        if (fabsf(c.inp[i]) < 0.1f) c.inp[i] += c.inp[i] < 0 ? -0.1f : 0.1f;
    float *r = rnd(n, -1, 1), *dinp = zeros(n);
    act_fwd(&c);
    switch (kind) {
    case 0: nn_relu_backward(dinp, r, c.out, n); break;
    case 1: nn_gelu_backward(dinp, r, c.inp, n); break;
    case 2: nn_sigmoid_backward(dinp, r, c.out, n); break;
    default: nn_tanh_backward(dinp, r, c.out, n); break;
    }
    param ps[] = {{"inp", c.inp, dinp, n}};
    check_grads(names[kind], act_fwd, &c, c.out, r, n, ps, 1);
    /* in place gives the same forward */
    float *copy = malloc(n * sizeof(float));
    memcpy(copy, c.inp, n * sizeof(float));
    act_ctx ip = {kind, n, copy, copy};
    act_fwd(&ip);
    CHECKF(memcmp(copy, c.out, n * sizeof(float)) == 0, "%s forward in place", names[kind]);
    free(copy);
    free(c.out), free(c.inp), free(r), free(dinp);
}

typedef struct {
    size_t n;
    float *out, *a, *b;
} res_ctx;

static void res_fwd(void *p)
{
    res_ctx *c = p;
    nn_residual_forward(c->out, c->a, c->b, c->n);
}

static void test_residual(void)
{
    size_t n = 30;
    res_ctx c = {n, zeros(n), rnd(n, -1, 1), rnd(n, -1, 1)};
    float *r = rnd(n, -1, 1), *da = zeros(n), *db = zeros(n);
    res_fwd(&c);
    nn_residual_backward(da, db, r, n);
    param ps[] = {{"a", c.a, da, n}, {"b", c.b, db, n}};
    check_grads("residual", res_fwd, &c, c.out, r, n, ps, 2);
    free(c.out), free(c.a), free(c.b), free(r), free(da), free(db);
}

/* ---- layernorm ---------------------------------------------------------------- */

typedef struct {
    int N, C;
    float *out, *mean, *rstd, *inp, *w, *b;
} ln_ctx;

static void ln_fwd(void *p)
{
    ln_ctx *c = p;
    nn_layernorm_forward(c->out, c->mean, c->rstd, c->inp, c->w, c->b, c->N, c->C);
}

static void test_layernorm(void)
{
    int N = 4, C = 12;
    size_t n = (size_t)N * C;
    ln_ctx c = {N, C, zeros(n), zeros(N), zeros(N), rnd(n, -2, 2), rnd(C, 0.5f, 1.5f), rnd(C, -1, 1)};
    float *r = rnd(n, -1, 1), *dinp = zeros(n), *dw = zeros(C), *db = zeros(C);
    ln_fwd(&c);
    nn_layernorm_backward(dinp, dw, db, r, c.inp, c.w, c.mean, c.rstd, N, C);
    param ps[] = {{"inp", c.inp, dinp, n}, {"weight", c.w, dw, C}, {"bias", c.b, db, C}};
    check_grads("layernorm", ln_fwd, &c, c.out, r, n, ps, 3);
    /* the normalised rows have mean 0 and variance 1 before the gain */
    double m = 0, v = 0;
    for (int i = 0; i < C; i++) {
        double xh = (c.out[i] - c.b[i]) / c.w[i];
        m += xh;
        v += xh * xh;
    }
    CHECKF(fabs(m / C) < 1e-5 && fabs(v / C - 1.0) < 1e-3, "layernorm row mean %g var %g", m / C, v / C);
    free(c.out), free(c.mean), free(c.rstd), free(c.inp), free(c.w), free(c.b), free(r), free(dinp), free(dw),
        free(db);
}

/* ---- GRU ---------------------------------------------------------------------- */

typedef struct {
    int B, T, C, H;
    float *out, *gates, *ghh, *inp, *h0, *wx, *bx, *wh, *bh;
} gru_ctx;

static void gru_fwd(void *p)
{
    gru_ctx *c = p;
    nn_gru_forward(c->out, c->gates, c->ghh, c->inp, c->h0, c->wx, c->bx, c->wh, c->bh, c->B, c->T, c->C, c->H);
}

static void test_gru(int with_h0)
{
    int B = 2, T = 6, C = 4, H = 5;
    size_t ni = (size_t)B * T * C, no = (size_t)B * T * H;
    gru_ctx c = {B, T, C, H, zeros(no), zeros(3 * no), zeros(3 * no), rnd(ni, -1, 1),
                 with_h0 ? rnd((size_t)B * H, -1, 1) : NULL, rnd((size_t)3 * H * C, -0.8f, 0.8f),
                 rnd((size_t)3 * H, -0.5f, 0.5f), rnd((size_t)3 * H * H, -0.8f, 0.8f), rnd((size_t)3 * H, -0.5f, 0.5f)};
    float *r = rnd(no, -1, 1);
    float *dinp = zeros(ni), *dh0 = zeros((size_t)B * H), *dwx = zeros((size_t)3 * H * C), *dbx = zeros(3 * H),
          *dwh = zeros((size_t)3 * H * H), *dbh = zeros(3 * H);
    float *scratch = zeros(nn_gru_scratch_floats(B, T, H));
    gru_fwd(&c);
    nn_gru_backward(dinp, with_h0 ? dh0 : NULL, dwx, dbx, dwh, dbh, scratch, r, c.inp, c.h0, c.out, c.gates, c.ghh,
                    c.wx, c.wh, B, T, C, H);
    param ps[] = {{"inp", c.inp, dinp, ni},          {"wx", c.wx, dwx, (size_t)3 * H * C}, {"bx", c.bx, dbx, 3 * H},
                  {"wh", c.wh, dwh, (size_t)3 * H * H}, {"bh", c.bh, dbh, 3 * H},          {"h0", c.h0, dh0, (size_t)B * H}};
    check_grads(with_h0 ? "gru (with h0)" : "gru (zero state)", gru_fwd, &c, c.out, r, no, ps, with_h0 ? 6 : 5);

    /* streaming: the same clip in chunks of 1, 2 and 3 steps, each chunk
     * starting from the previous chunk's last state, is bit-identical */
    for (int chunk = 1; chunk <= 3; chunk++) {
        int ok = 1;
        for (int b = 0; b < B; b++) {
            float h[8], hs[8];
            float *o = zeros((size_t)T * H), *g = zeros((size_t)3 * T * H), *gh = zeros((size_t)3 * T * H);
            if (with_h0) memcpy(h, c.h0 + (size_t)b * H, (size_t)H * sizeof(float));
            for (int t0 = 0; t0 < T; t0 += chunk) {
                int n = T - t0 < chunk ? T - t0 : chunk;
                nn_gru_forward(o + (size_t)t0 * H, g, gh, c.inp + ((size_t)b * T + t0) * C,
                               (t0 > 0 || with_h0) ? h : NULL, c.wx, c.bx, c.wh, c.bh, 1, n, C, H);
                memcpy(hs, o + (size_t)(t0 + n - 1) * H, (size_t)H * sizeof(float));
                memcpy(h, hs, sizeof hs);
            }
            ok &= memcmp(o, c.out + (size_t)b * T * H, (size_t)T * H * sizeof(float)) == 0;
            free(o), free(g), free(gh);
        }
        CHECKF(ok, "gru in chunks of %d steps = one call, bit for bit", chunk);
    }
    free(c.out), free(c.gates), free(c.ghh), free(c.inp), free(c.h0), free(c.wx), free(c.bx), free(c.wh), free(c.bh);
    free(r), free(dinp), free(dh0), free(dwx), free(dbx), free(dwh), free(dbh), free(scratch);
}

/* ---- embeddings, positions, pooling, select, dropout ------------------------------- */

typedef struct {
    int B, T, C, V;
    int *ids;
    float *emb, *out, *table, *pos;
} emb_ctx;

static void emb_fwd(void *p)
{
    emb_ctx *c = p;
    nn_embedding_forward(c->emb, c->ids, c->table, c->B * c->T, c->C, c->V);
    nn_posemb_forward(c->out, c->emb, c->pos, c->B, c->T, c->C);
}

static void test_embedding(void)
{
    int B = 2, T = 4, C = 3, V = 5, Tmax = 6;
    int ids[] = {0, 3, 3, 4, 1, 9 /* out of range: zero row */, 2, 0};
    size_t n = (size_t)B * T * C;
    emb_ctx c = {B, T, C, V, ids, zeros(n), zeros(n), rnd((size_t)V * C, -1, 1), rnd((size_t)Tmax * C, -1, 1)};
    float *r = rnd(n, -1, 1), *demb = zeros(n), *dtable = zeros((size_t)V * C), *dpos = zeros((size_t)Tmax * C);
    emb_fwd(&c);
    nn_posemb_backward(demb, dpos, r, B, T, C);
    nn_embedding_backward(dtable, demb, ids, B * T, C, V);
    param ps[] = {{"table", c.table, dtable, (size_t)V * C}, {"pos", c.pos, dpos, (size_t)Tmax * C}};
    check_grads("embedding + position", emb_fwd, &c, c.out, r, n, ps, 2);
    int zero_row = 1;
    for (int k = 0; k < C; k++) zero_row &= c.emb[(size_t)5 * C + k] == 0.0f;
    CHECKF(zero_row, "an id outside the vocabulary embeds as zeros");
    free(c.emb), free(c.out), free(c.table), free(c.pos), free(r), free(demb), free(dtable), free(dpos);
}

typedef struct {
    int B, T, C;
    const uint8_t *mask;
    const int *pos;
    float *out, *inp;
} pool_ctx;

static void meanpool_fwd(void *p)
{
    pool_ctx *c = p;
    nn_meanpool_forward(c->out, c->inp, c->mask, c->B, c->T, c->C);
}

static void select_fwd(void *p)
{
    pool_ctx *c = p;
    nn_select_forward(c->out, c->inp, c->pos, c->B, c->T, c->C);
}

static void test_pooling(void)
{
    int B = 3, T = 4, C = 5;
    uint8_t mask[] = {1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0}; /* 3 tokens, 1 token, empty */
    int pos[] = {0, 2, 3};
    size_t n = (size_t)B * T * C;
    pool_ctx c = {B, T, C, mask, pos, zeros((size_t)B * C), rnd(n, -1, 1)};
    float *r = rnd((size_t)B * C, -1, 1), *dinp = zeros(n);
    meanpool_fwd(&c);
    nn_meanpool_backward(dinp, r, mask, B, T, C);
    param ps[] = {{"inp", c.inp, dinp, n}};
    check_grads("meanpool (masked)", meanpool_fwd, &c, c.out, r, (size_t)B * C, ps, 1);
    int empty_zero = 1;
    for (int k = 0; k < C; k++) empty_zero &= c.out[(size_t)2 * C + k] == 0.0f;
    CHECKF(empty_zero, "an all-padding sequence pools to zeros");
    memset(dinp, 0, n * sizeof(float));
    select_fwd(&c);
    nn_select_backward(dinp, r, pos, B, T, C);
    check_grads("select ([CLS])", select_fwd, &c, c.out, r, (size_t)B * C, ps, 1);
    free(c.out), free(c.inp), free(r), free(dinp);
}

typedef struct {
    size_t n;
    float p;
    float *out, *mask, *inp;
} drop_ctx;

static void drop_fwd(void *p)
{
    drop_ctx *c = p;
    nn_rng r;
    nn_rng_seed(&r, 77); /* the same mask every call */
    nn_dropout_forward(c->out, c->mask, c->inp, c->n, c->p, &r);
}

static void test_dropout(void)
{
    size_t n = 400;
    drop_ctx c = {n, 0.25f, zeros(n), zeros(n), rnd(n, -1, 1)};
    float *r = rnd(n, -1, 1), *dinp = zeros(n);
    drop_fwd(&c);
    nn_dropout_backward(dinp, r, c.mask, n);
    param ps[] = {{"inp", c.inp, dinp, 40}};
    check_grads("dropout p=0.25", drop_fwd, &c, c.out, r, n, ps, 1);
    size_t dropped = 0;
    for (size_t i = 0; i < n; i++) dropped += c.mask[i] == 0.0f;
    CHECKF(dropped > 60 && dropped < 140, "dropout drops about p of the units (%zu of %zu)", dropped, n);
    drop_ctx id = {n, 0.0f, zeros(n), zeros(n), c.inp};
    drop_fwd(&id);
    CHECKF(memcmp(id.out, c.inp, n * sizeof(float)) == 0, "dropout with p = 0 is the identity");
    free(id.out), free(id.mask);
    free(c.out), free(c.mask), free(c.inp), free(r), free(dinp);
}

/* ---- attention ---------------------------------------------------------------- */

typedef struct {
    int B, T, C, NH, causal;
    const uint8_t *mask;
    float *out, *att, *qkv;
} att_ctx;

static void att_fwd(void *p)
{
    att_ctx *c = p;
    nn_attention_forward(c->out, c->att, c->qkv, c->mask, c->B, c->T, c->C, c->NH, c->causal);
}

static void test_attention(int causal)
{
    int B = 2, T = 5, C = 8, NH = 2;
    uint8_t mask[] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0}; /* second sequence: 3 tokens + 2 padding */
    size_t nq = (size_t)B * T * 3 * C, no = (size_t)B * T * C;
    att_ctx c = {B, T, C, NH, causal, mask, zeros(no), zeros((size_t)B * NH * T * T), rnd(nq, -1.5f, 1.5f)};
    float *r = rnd(no, -1, 1), *dqkv = zeros(nq), *scratch = zeros((size_t)T * T);
    att_fwd(&c);
    nn_attention_backward(dqkv, scratch, r, c.qkv, c.att, B, T, C, NH);
    param ps[] = {{"qkv", c.qkv, dqkv, nq}};
    check_grads(causal ? "attention (causal, mask)" : "attention (padding mask)", att_fwd, &c, c.out, r, no, ps, 1);
    /* rows sum to 1, padding keys get 0 */
    int ok = 1;
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int i = 0; i < T; i++) {
                const float *a = c.att + (((size_t)b * NH + h) * T + i) * T;
                double s = 0;
                for (int j = 0; j < T; j++) {
                    s += a[j];
                    if (!mask[b * T + j] && a[j] != 0.0f) ok = 0;
                    if (causal && j > i && a[j] != 0.0f) ok = 0;
                }
                if (fabs(s - 1.0) > 1e-5) ok = 0;
            }
    CHECKF(ok, "attention rows sum to 1 and never attend to padding%s", causal ? " or to later tokens" : "");
    /* the output at real tokens does not depend on what the padding holds */
    float *before = malloc(no * sizeof(float));
    memcpy(before, c.out, no * sizeof(float));
    for (int t = 3; t < T; t++)
        for (int k = 0; k < 3 * C; k++) c.qkv[((size_t)T + t) * 3 * C + k] += 5.0f;
    att_fwd(&c);
    CHECKF(memcmp(before + (size_t)T * C, c.out + (size_t)T * C, (size_t)3 * C * sizeof(float)) == 0,
           "padding content never reaches real tokens");
    free(before);
    free(c.out), free(c.att), free(c.qkv), free(r), free(dqkv), free(scratch);
}

/* ---- losses ------------------------------------------------------------------- */

typedef struct {
    int kind, N, C, B, T;
    float tau;
    const int *targets;
    const float *soft, *target, *cw, *rw;
    float *pred, *teacher;
    float loss;
} loss_ctx;

static float run_loss(loss_ctx *c, float *grad)
{
    switch (c->kind) {
    case 0: return nn_softmax_xent_loss(grad, NULL, c->pred, c->targets, NULL, c->rw, c->N, c->C, 1.0f);
    case 1: return nn_softmax_xent_loss(grad, NULL, c->pred, NULL, c->soft, c->rw, c->N, c->C, 1.0f);
    case 2: return nn_distill_loss(grad, c->pred, c->teacher, c->rw, c->N, c->C, c->tau, 1.0f);
    case 3: return nn_mse_loss(grad, c->pred, c->target, c->rw, c->N, c->C, 1.0f);
    case 4: return nn_l1_loss(grad, c->pred, c->target, c->cw, c->rw, c->N, c->C, 1.0f);
    case 5: return nn_velocity_l1_loss(grad, c->pred, c->target, c->cw, c->rw, c->B, c->T, c->C, 1.0f);
    case 6: return nn_accel_l1_loss(grad, c->pred, c->target, c->cw, c->rw, c->B, c->T, c->C, 1.0f);
    default: return nn_sigmoid_bce_loss(grad, NULL, c->pred, c->target, c->rw, c->N, c->C, 1.0f);
    }
}

static void loss_fwd(void *p)
{
    loss_ctx *c = p;
    c->loss = run_loss(c, NULL);
}

/* Moves pred so every L1 term (of the differences the loss takes) is at
 * least 0.05 from its kink. */
static void away_from_kinks(loss_ctx *c)
{
    int order = c->kind == 5 ? 1 : (c->kind == 6 ? 2 : 0);
    if (order == 0) {
        for (int i = 0; i < c->N * c->C; i++)
            if (fabsf(c->pred[i] - c->target[i]) < 0.05f) c->pred[i] = c->target[i] + 0.1f;
        return;
    }
    /* for differences: make pred = target + a ramp whose differences are large */
    for (int b = 0; b < c->B; b++)
        for (int t = 0; t < c->T; t++)
            for (int k = 0; k < c->C; k++) {
                size_t i = ((size_t)b * c->T + t) * c->C + k;
                float s = (k % 2 ? 1.0f : -1.0f);
                c->pred[i] = c->target[i] + s * (order == 1 ? 0.3f * t : 0.2f * t * t);
            }
}

static void test_loss(int kind)
{
    static const char *names[] = {"softmax xent (hard)", "softmax xent (soft, KL)", "distill tau=2", "mse",
                                  "l1 (channel weights)", "velocity l1", "accel l1", "sigmoid bce"};
    int N = 6, C = 5, B = 2, T = 3;
    int targets[] = {0, 4, 2, -1 /* ignored */, 1, 3};
    float *soft = rnd((size_t)N * C, 0.05f, 1);
    for (int n = 0; n < N; n++) {
        float s = 0;
        for (int k = 0; k < C; k++) s += soft[n * C + k];
        for (int k = 0; k < C; k++) soft[n * C + k] /= s;
    }
    float *target = rnd((size_t)N * C, 0, 1), *cw = rnd(C, 0.5f, 1.5f), *rw = rnd(N, 0.2f, 1);
    loss_ctx c = {kind, N, C, B, T, 2.0f, targets, soft, target, cw, rw, rnd((size_t)N * C, -2, 2),
                  rnd((size_t)N * C, -2, 2), 0};
    if (kind == 4 || kind == 5 || kind == 6) away_from_kinks(&c);
    float *grad = zeros((size_t)N * C);
    c.loss = run_loss(&c, grad);
    float one = 1.0f;
    param ps[] = {{"pred", c.pred, grad, (size_t)N * C}};
    check_grads(names[kind], loss_fwd, &c, &c.loss, &one, 1, ps, 1);
    CHECKF(c.loss > 0.0f && isfinite(c.loss), "%s: positive finite loss (%g)", names[kind], c.loss);
    free(soft), free(target), free(cw), free(rw), free(c.pred), free(c.teacher), free(grad);
}

/* Exact values of the losses on hand-made inputs. */
static void test_loss_values(void)
{
    /* hard cross-entropy of uniform logits over 4 classes: log 4 */
    float z[8] = {0};
    int t[2] = {1, 3};
    float l = nn_softmax_xent_loss(NULL, NULL, z, t, NULL, NULL, 2, 4, 1.0f);
    CHECKF(fabsf(l - logf(4.0f)) < 1e-6f, "xent of uniform logits = log 4 (%g)", l);
    /* KL of a distribution with itself is 0, gradient 0 */
    float logits[3] = {0.3f, -1.0f, 2.0f}, p[3], g[3] = {0};
    nn_softmax_forward(p, logits, 1, 3);
    l = nn_softmax_xent_loss(g, NULL, logits, NULL, p, NULL, 1, 3, 1.0f);
    CHECKF(fabsf(l) < 1e-6f && fabsf(g[0]) + fabsf(g[1]) + fabsf(g[2]) < 1e-6f, "KL(p || p) = 0 (%g)", l);
    l = nn_distill_loss(NULL, logits, logits, NULL, 1, 3, 3.0f, 1.0f);
    CHECKF(fabsf(l) < 1e-6f, "distill of a student equal to its teacher = 0 (%g)", l);
    /* velocity of two frames: |(p1 - p0) - (t1 - t0)| */
    float pr[2] = {0.0f, 1.0f}, tg[2] = {0.0f, 0.25f};
    l = nn_velocity_l1_loss(NULL, pr, tg, NULL, NULL, 1, 2, 1, 1.0f);
    CHECKF(fabsf(l - 0.75f) < 1e-6f, "velocity L1 = 0.75 (%g)", l);
    float pa[3] = {0.0f, 1.0f, 0.0f}, ta[3] = {0};
    l = nn_accel_l1_loss(NULL, pa, ta, NULL, NULL, 1, 3, 1, 1.0f);
    CHECKF(fabsf(l - 2.0f) < 1e-6f, "acceleration L1 of a spike = |0 - 2 + 0| = 2 (%g)", l);
    /* channel weights multiply, the divisor stays N*C */
    float a[2] = {1.0f, 1.0f}, b[2] = {0.0f, 0.0f}, w[2] = {1.5f, 1.0f};
    l = nn_l1_loss(NULL, a, b, w, NULL, 1, 2, 1.0f);
    CHECKF(fabsf(l - 1.25f) < 1e-6f, "weighted L1 = (1.5 + 1) / 2 (%g)", l);
    /* bce at logit 0, target 0.5: log 2; stays finite at huge logits */
    float zz[2] = {0.0f, 200.0f}, yy[2] = {0.5f, 1.0f};
    l = nn_sigmoid_bce_loss(NULL, NULL, zz, yy, NULL, 1, 2, 1.0f);
    CHECKF(fabsf(l - logf(2.0f) / 2) < 1e-6f, "bce = (log 2 + 0) / 2 (%g)", l);
    /* a zero row weight masks the row out */
    float rw[2] = {1.0f, 0.0f}, pp[2] = {1.0f, 100.0f}, tt[2] = {0.0f, 0.0f};
    l = nn_mse_loss(NULL, pp, tt, rw, 2, 1, 1.0f);
    CHECKF(fabsf(l - 1.0f) < 1e-6f, "row weight 0 masks a row (%g)", l);
}

/* ---- elementary functions -------------------------------------------------------- */

static void test_elementary(void)
{
    /* against double-precision libm over a dense sweep */
    double e_exp = 0, e_tanh = 0, e_sig = 0;
    for (float x = -87.0f; x <= 88.0f; x += 0.00037f) {
        double ref = exp((double)x);
        e_exp = fmax(e_exp, fabs(nn_expf(x) - ref) / ref);
    }
    for (float x = -20.0f; x <= 20.0f; x += 0.0001f) {
        e_tanh = fmax(e_tanh, fabs(nn_tanhf(x) - tanh((double)x)));
        double s = 1.0 / (1.0 + exp(-(double)x));
        e_sig = fmax(e_sig, fabs(nn_sigmoidf(x) - s) / s);
    }
    printf("  nn_expf max relative error %.2e (%.2f ulp), nn_tanhf max abs %.2e, nn_sigmoidf max relative %.2e\n",
           e_exp, e_exp / FLT_EPSILON * 2, e_tanh, e_sig);
    CHECKF(e_exp < 2.0 * FLT_EPSILON, "exp within 4 ulp (%g)", e_exp);
    CHECKF(e_tanh < 2e-7, "tanh within 2e-7 (%g)", e_tanh);
    CHECKF(e_sig < 4e-7, "sigmoid within 4e-7 relative (%g)", e_sig);
    /* exact points and the ends of the range */
    CHECK(nn_expf(0.0f) == 1.0f && nn_expf(-100.0f) == 0.0f && isinf(nn_expf(100.0f)));
    CHECK(nn_tanhf(0.0f) == 0.0f && signbit(nn_tanhf(-0.0f)) && nn_tanhf(50.0f) == 1.0f && nn_tanhf(-50.0f) == -1.0f);
    CHECK(nn_sigmoidf(0.0f) == 0.5f && nn_sigmoidf(-200.0f) == 0.0f && nn_sigmoidf(200.0f) == 1.0f);
    /* small arguments keep their relative accuracy */
    CHECKF(fabs(nn_tanhf(1e-6f) - 1e-6) < 1e-12, "tanh(1e-6) = %g", nn_tanhf(1e-6f));
}

/* ---- forward properties -------------------------------------------------------- */

static void test_row_stability(void)
{
    /* every row alone, in pairs, in threes ... gives the bits of one call */
    int Ks[] = {1, 7, 16, 19, 37, 141, 384}, Ns[] = {1, 5, 52, 128};
    int M = 23, ok = 1;
    for (int a = 0; a < 7; a++)
        for (int b = 0; b < 4; b++) {
            int K = Ks[a], N = Ns[b];
            float *x = rnd((size_t)M * K, -1, 1), *w = rnd((size_t)N * K, -1, 1), *bias = rnd(N, -1, 1);
            float *all = zeros((size_t)M * N), *part = zeros((size_t)M * N);
            nn_matmul_forward(all, x, w, bias, M, K, N);
            for (int chunk = 1; chunk <= 6; chunk++) {
                for (int m = 0; m < M; m += chunk) {
                    int n = M - m < chunk ? M - m : chunk;
                    nn_matmul_forward(part + (size_t)m * N, x + (size_t)m * K, w, bias, n, K, N);
                }
                ok &= memcmp(all, part, (size_t)M * N * sizeof(float)) == 0;
            }
            /* and agrees with a double-precision product to float accuracy */
            for (int m = 0; m < M; m++)
                for (int n = 0; n < N; n++) {
                    double s = bias[n];
                    for (int k = 0; k < K; k++) s += (double)x[(size_t)m * K + k] * w[(size_t)n * K + k];
                    if (fabs(s - all[(size_t)m * N + n]) > 1e-5 * (K + 1)) ok = 0;
                }
            free(x), free(w), free(bias), free(all), free(part);
        }
    CHECKF(ok, "matmul forward is row-stable (rows alone or in any chunk give the same bits) and exact");

    /* the builds of the kernel: the two fused ones agree bit for bit, the
     * portable one to float accuracy; each is row-stable */
    printf("  matmul kernel on this CPU: %s\n", nn_kernel_name());
    for (int form = 0; form < 2; form++) {
        int K = form ? 141 : 19, N = 52, MM = 9; /* the lane form and the sequential form */
        float *x = rnd((size_t)MM * K, -1, 1), *w = rnd((size_t)N * K, -1, 1), *bias = rnd(N, -1, 1);
        float *o[4] = {NULL, NULL, NULL, NULL}, *one = zeros(N);
        int ran[4] = {0, 0, 0, 0}, stable = 1;
        for (int k = 1; k <= 3; k++) {
            o[k] = zeros((size_t)MM * N);
            ran[k] = nn_matmul_rows_using((nn_kernel)k, o[k], N, x, K, w, K, bias, MM, K, N);
            for (int m = 0; ran[k] && m < MM; m++) {
                nn_matmul_rows_using((nn_kernel)k, one, N, x + (size_t)m * K, K, w, K, bias, 1, K, N);
                stable &= memcmp(one, o[k] + (size_t)m * N, N * sizeof(float)) == 0;
            }
        }
        CHECKF(ran[1], "the portable kernel runs everywhere");
        CHECKF(stable, "every kernel build is row-stable (K %d)", K);
        if (ran[2] && ran[3])
            CHECKF(memcmp(o[2], o[3], (size_t)MM * N * sizeof(float)) == 0,
                   "avx2+fma and avx512+fma give the same bits (K %d)", K);
        double worst = 0;
        for (int k = 2; k <= 3; k++)
            for (size_t i = 0; ran[k] && i < (size_t)MM * N; i++) worst = fmax(worst, fabs(o[k][i] - o[1][i]));
        CHECKF(worst < 1e-4, "fused and portable builds agree to float accuracy (K %d: %g)", K, worst);
        CHECK(nn_matmul_rows_using((nn_kernel)99, o[1], N, x, K, w, K, bias, MM, K, N) == 0);
        for (int k = 1; k <= 3; k++) free(o[k]);
        free(x), free(w), free(bias), free(one);
    }

    /* a stream of a conv layer: the im2col row of frame t from a window, then
     * the matmul of that one row, equals the offline output of frame t */
    int T = 17, C = 6, OC = 5, K = 3, dil = 2, look = 1;
    float *x = rnd((size_t)T * C, -1, 1), *w = rnd((size_t)OC * K * C, -1, 1), *bias = rnd(OC, -1, 1);
    float *out = zeros((size_t)T * OC), *col = zeros((size_t)T * K * C), *one = zeros(OC);
    nn_conv1d_forward(out, col, x, w, bias, 1, T, C, OC, K, dil, look);
    int same = 1;
    for (int t = 0; t < T; t++) {
        nn_matmul_forward(one, col + (size_t)t * K * C, w, bias, 1, K * C, OC);
        same &= memcmp(one, out + (size_t)t * OC, OC * sizeof(float)) == 0;
    }
    CHECKF(same, "conv1d frame by frame (im2col row + matmul) = offline, bit for bit");
    free(x), free(w), free(bias), free(out), free(col), free(one);
}

int main(void)
{
    nn_rng_seed(&rng, 20240601);
    printf("test_nn_grad: analytic vs central-difference gradients (float; relative error, floor %.0e x largest)\n",
           FLOOR);
    test_matmul(5, 7, 6);
    test_matmul(3, 37, 4);
    test_conv(2, 9, 5, 4, 3, 2, 1);
    test_conv(2, 8, 3, 4, 2, 1, 0);
    test_conv(1, 7, 3, 2, 3, 1, 2);
    test_film(2, 5, 4, 5);
    test_film(2, 5, 4, 1);
    for (int k = 0; k < 4; k++) test_activation(k);
    test_residual();
    test_layernorm();
    test_gru(1);
    test_gru(0);
    test_embedding();
    test_pooling();
    test_dropout();
    test_attention(0);
    test_attention(1);
    for (int k = 0; k < 8; k++) test_loss(k);
    test_loss_values();
    test_elementary();
    test_row_stability();
    printf("  largest error over all layers: %.2e (bound %.0e)\n", worst_overall, TOL);
    return test_finish("test_nn_grad");
}
