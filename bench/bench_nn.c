/* bench/bench_nn.c — how fast the neural-network layers of src/nn run, on
 * the shapes of the project's two learned parts:
 *
 *   1. the forward matmul kernel (row-stable, ours) next to OpenBLAS sgemm,
 *      in GFLOP/s, with the kernel family OpenBLAS picked for this CPU;
 *   2. a representative audio student: 141 features at 100 frames/s ->
 *      linear 128 -> 4 x [dilated causal conv K=3 (dilation 1, 2, 4, 8,
 *      look-ahead 1 frame in the first two layers) -> FiLM from the 19-dim
 *      conditioning (per frame, MLP 19 -> 16 -> 256 per layer) -> relu ->
 *      + residual] -> linear 52 -> sigmoid; forward in times real time on
 *      one core, offline (1 s and 30 s clips) and frame by frame (the work a
 *      stream does per 10 ms frame);
 *   3. a micro transformer (ALBERT-style: vocabulary 4000, factorised
 *      embeddings 64 -> d 128, 4 heads, feed-forward 512, one block applied
 *      twice, 64 tokens): forward sentences per second, one at a time and in
 *      batches of 32;
 *   4. a training step of the student (16 clips of 2 s, forward + backward
 *      + AdamW) on 1 thread and data-parallel on 2 threads (2 shards).
 *
 * Timing: CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID) for the
 * one-core figures, wall time (CLOCK_MONOTONIC) for the 2-thread training
 * step; best of several runs. A benchmark, not a test: it prints figures
 * and fails only if it cannot run. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn/nn.h"

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static float *rnd(size_t n, nn_rng *rng, float scale)
{
    float *x = malloc((n ? n : 1) * sizeof(float));
    if (!x) {
        fprintf(stderr, "bench_nn: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++) x[i] = scale * (2.0f * nn_rng_uniform(rng) - 1.0f);
    return x;
}

/* ==== 1. kernels ============================================================ */

static void bench_kernels(nn_rng *rng)
{
    static const int shapes[][3] = {{100, 384, 128}, {1600, 384, 128}, {100, 141, 128}, {64, 128, 384},
                                    {64, 128, 512}, {1, 384, 128}};
    printf("\n1. matmul forward, out (M, N) = in (M, K) x W^T (one core; OpenBLAS kernel family: %s)\n",
           nn_blas_core());
    printf("   %6s %5s %5s   %12s   %12s\n", "M", "K", "N", "nn (GFLOP/s)", "BLAS (GFLOP/s)");
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int M = shapes[s][0], K = shapes[s][1], N = shapes[s][2];
        float *x = rnd((size_t)M * K, rng, 1), *w = rnd((size_t)N * K, rng, 1), *o = rnd((size_t)M * N, rng, 1);
        double flop = 2.0 * M * N * K, best_nn = 1e9, best_blas = 1e9;
        int reps = (int)(2e8 / flop) + 1;
        for (int run = 0; run < 5; run++) {
            double t0 = cpu_now();
            for (int r = 0; r < reps; r++) nn_matmul_rows(o, N, x, K, w, K, NULL, M, K, N);
            double t1 = cpu_now();
            for (int r = 0; r < reps; r++) nn_gemm(0, 1, M, N, K, 1.0f, x, K, w, K, 0.0f, o, N);
            double t2 = cpu_now();
            best_nn = fmin(best_nn, (t1 - t0) / reps);
            best_blas = fmin(best_blas, (t2 - t1) / reps);
        }
        printf("   %6d %5d %5d   %12.1f   %12.1f\n", M, K, N, flop / best_nn * 1e-9, flop / best_blas * 1e-9);
        free(x), free(w), free(o);
    }
}

/* ==== 2. audio student ======================================================== */

enum { ST_FEAT = 141, ST_COND = 19, ST_H = 128, ST_HF = 16, ST_OUT = 52, ST_L = 4, ST_K = 3 };
static const int st_dil[ST_L] = {1, 2, 4, 8};
static const int st_look[ST_L] = {1, 1, 0, 0};

typedef struct {
    float *in_w, *in_b;                 // (H, FEAT), (H)
    float *f1_w, *f1_b;                 // (HF, COND), (HF)
    float *f2_w[ST_L], *f2_b[ST_L];     // (2H, HF), (2H)
    float *conv_w[ST_L], *conv_b[ST_L]; // (H, K*H), (H)
    float *out_w, *out_b;               // (OUT, H), (OUT)
} st_params;

typedef struct {
    float *x0, *fh, *fa;                                               // (N, H), (N, HF), (N, HF)
    float *film[ST_L], *col[ST_L], *conv[ST_L], *mod[ST_L], *act[ST_L], *res[ST_L];
    float *logits, *pred;                                              // (N, OUT)
} st_acts;

static void st_layout(nn_layout *L)
{
    st_params p;
    nn_layout_init(L);
    nn_layout_add(L, &p, &p.in_w, "in_w", ST_H * ST_FEAT, nn_xavier(ST_FEAT, ST_H));
    nn_layout_add(L, &p, &p.in_b, "in_b", ST_H, nn_zeros());
    nn_layout_add(L, &p, &p.f1_w, "film1_w", ST_HF * ST_COND, nn_kaiming(ST_COND));
    nn_layout_add(L, &p, &p.f1_b, "film1_b", ST_HF, nn_zeros());
    for (int l = 0; l < ST_L; l++) {
        nn_layout_add(L, &p, &p.f2_w[l], "film2_w", 2 * ST_H * ST_HF, nn_uniform(0.05f));
        nn_layout_add(L, &p, &p.f2_b[l], "film2_b", 2 * ST_H, nn_zeros());
        nn_layout_add(L, &p, &p.conv_w[l], "conv_w", ST_H * ST_K * ST_H, nn_kaiming(ST_K * ST_H));
        nn_layout_add(L, &p, &p.conv_b[l], "conv_b", ST_H, nn_zeros());
    }
    nn_layout_add(L, &p, &p.out_w, "out_w", ST_OUT * ST_H, nn_xavier(ST_H, ST_OUT));
    nn_layout_add(L, &p, &p.out_b, "out_b", ST_OUT, nn_zeros());
}

static void st_acts_layout(nn_layout *L, size_t N)
{
    st_acts a;
    nn_layout_init(L);
    nn_layout_add(L, &a, &a.x0, "x0", N * ST_H, nn_zeros());
    nn_layout_add(L, &a, &a.fh, "fh", N * ST_HF, nn_zeros());
    nn_layout_add(L, &a, &a.fa, "fa", N * ST_HF, nn_zeros());
    for (int l = 0; l < ST_L; l++) {
        nn_layout_add(L, &a, &a.film[l], "film", N * 2 * ST_H, nn_zeros());
        nn_layout_add(L, &a, &a.col[l], "col", N * ST_K * ST_H, nn_zeros());
        nn_layout_add(L, &a, &a.conv[l], "conv", N * ST_H, nn_zeros());
        nn_layout_add(L, &a, &a.mod[l], "mod", N * ST_H, nn_zeros());
        nn_layout_add(L, &a, &a.act[l], "act", N * ST_H, nn_zeros());
        nn_layout_add(L, &a, &a.res[l], "res", N * ST_H, nn_zeros());
    }
    nn_layout_add(L, &a, &a.logits, "logits", N * ST_OUT, nn_zeros());
    nn_layout_add(L, &a, &a.pred, "pred", N * ST_OUT, nn_zeros());
}

static void st_forward(const st_params *p, st_acts *a, const float *x, const float *cond, int B, int T)
{
    // x (B, T, FEAT), cond (B, T, COND)
    int N = B * T;
    nn_matmul_forward(a->x0, x, p->in_w, p->in_b, N, ST_FEAT, ST_H);
    nn_matmul_forward(a->fh, cond, p->f1_w, p->f1_b, N, ST_COND, ST_HF);
    nn_relu_forward(a->fa, a->fh, (size_t)N * ST_HF);
    const float *h = a->x0;
    for (int l = 0; l < ST_L; l++) {
        nn_matmul_forward(a->film[l], a->fa, p->f2_w[l], p->f2_b[l], N, ST_HF, 2 * ST_H);
        nn_conv1d_forward(a->conv[l], a->col[l], h, p->conv_w[l], p->conv_b[l], B, T, ST_H, ST_H, ST_K, st_dil[l],
                          st_look[l]);
        nn_film_forward(a->mod[l], a->conv[l], a->film[l], B, T, ST_H, T);
        nn_relu_forward(a->act[l], a->mod[l], (size_t)N * ST_H);
        nn_residual_forward(a->res[l], a->act[l], h, (size_t)N * ST_H);
        h = a->res[l];
    }
    nn_matmul_forward(a->logits, h, p->out_w, p->out_b, N, ST_H, ST_OUT);
    nn_sigmoid_forward(a->pred, a->logits, (size_t)N * ST_OUT);
}

static void st_backward(const st_params *p, st_params *g, const st_acts *a, st_acts *da, const float *x,
                        const float *cond, int B, int T)
{
    int N = B * T;
    nn_sigmoid_backward(da->logits, da->pred, a->pred, (size_t)N * ST_OUT);
    nn_matmul_backward(da->res[ST_L - 1], g->out_w, g->out_b, da->logits, a->res[ST_L - 1], p->out_w, N, ST_H, ST_OUT);
    for (int l = ST_L - 1; l >= 0; l--) {
        float *dhin = l ? da->res[l - 1] : da->x0;
        nn_residual_backward(da->act[l], dhin, da->res[l], (size_t)N * ST_H);
        nn_relu_backward(da->mod[l], da->act[l], a->act[l], (size_t)N * ST_H);
        nn_film_backward(da->conv[l], da->film[l], da->mod[l], a->conv[l], a->film[l], B, T, ST_H, T);
        nn_conv1d_backward(dhin, g->conv_w[l], g->conv_b[l], da->conv[l], a->col[l], p->conv_w[l], B, T, ST_H, ST_H,
                           ST_K, st_dil[l], st_look[l]);
        nn_matmul_backward(da->fa, g->f2_w[l], g->f2_b[l], da->film[l], a->fa, p->f2_w[l], N, ST_HF, 2 * ST_H);
    }
    nn_relu_backward(da->fh, da->fa, a->fa, (size_t)N * ST_HF);
    nn_matmul_backward(NULL, g->f1_w, g->f1_b, da->fh, cond, p->f1_w, N, ST_COND, ST_HF);
    nn_matmul_backward(NULL, g->in_w, g->in_b, da->x0, x, p->in_w, N, ST_FEAT, ST_H);
}

/* The per-frame work of a stream: every layer computes one new frame from
 * its history (im2col row gathered from a ring of past inputs, then one
 * row of matmul). All layers are read as causal here: look-ahead only
 * changes which frames the row gathers (and delays the output), not the
 * work, which is what this measures. */
static void st_frame(const st_params *p, const float *x, const float *cond, float *hist[ST_L], int pos, float *out)
{
    float x0[ST_H], fh[ST_HF], film[2 * ST_H], col[ST_K * ST_H], conv[ST_H], h[ST_H];
    nn_matmul_forward(x0, x, p->in_w, p->in_b, 1, ST_FEAT, ST_H);
    nn_matmul_forward(fh, cond, p->f1_w, p->f1_b, 1, ST_COND, ST_HF);
    nn_relu_forward(fh, fh, ST_HF);
    memcpy(h, x0, sizeof h);
    for (int l = 0; l < ST_L; l++) {
        /* ring of the last 64 inputs of this layer */
        memcpy(hist[l] + (size_t)(pos & 63) * ST_H, h, sizeof h);
        for (int j = 0; j < ST_K; j++)
            memcpy(col + j * ST_H, hist[l] + (size_t)((pos - (ST_K - 1 - j) * st_dil[l]) & 63) * ST_H, sizeof h);
        nn_matmul_forward(film, fh, p->f2_w[l], p->f2_b[l], 1, ST_HF, 2 * ST_H);
        nn_matmul_forward(conv, col, p->conv_w[l], p->conv_b[l], 1, ST_K * ST_H, ST_H);
        nn_film_forward(conv, conv, film, 1, 1, ST_H, 1);
        nn_relu_forward(conv, conv, ST_H);
        nn_residual_forward(h, conv, h, ST_H);
    }
    nn_matmul_forward(out, h, p->out_w, p->out_b, 1, ST_H, ST_OUT);
    nn_sigmoid_forward(out, out, ST_OUT);
}

static void bench_student(nn_rng *rng)
{
    nn_layout L;
    st_layout(&L);
    float *values = malloc(L.total * sizeof(float));
    nn_layout_init_values(&L, values, 1);
    st_params p;
    nn_layout_bind(&L, &p, values);
    /* 2 x 5.9 MFLOP per frame in the products (multiply-adds x 2) */
    double flop_frame = 2.0 * (ST_FEAT * ST_H + ST_COND * ST_HF + ST_L * (ST_HF * 2 * ST_H + ST_K * ST_H * ST_H) +
                               ST_H * ST_OUT);
    printf("\n2. audio student forward (%zu parameters, %.2f MFLOP per frame, 100 frames/s), one core\n", L.total,
           flop_frame * 1e-6);
    static const int clip_T[] = {100, 3000};
    for (int c = 0; c < 2; c++) {
        int T = clip_T[c];
        nn_layout LA;
        st_acts_layout(&LA, (size_t)T);
        float *acts = malloc(LA.total * sizeof(float));
        st_acts a;
        nn_layout_bind(&LA, &a, acts);
        float *x = rnd((size_t)T * ST_FEAT, rng, 1), *cond = rnd((size_t)T * ST_COND, rng, 0.5f);
        double best = 1e9;
        int reps = 3000 / T + 1;
        for (int run = 0; run < 7; run++) {
            double t0 = cpu_now();
            for (int r = 0; r < reps; r++) st_forward(&p, &a, x, cond, 1, T);
            best = fmin(best, (cpu_now() - t0) / reps);
        }
        double audio_s = T / 100.0;
        printf("   offline, %5.1f s clip: %8.3f ms  = %6.0fx real time  (%.1f GFLOP/s)\n", audio_s, best * 1e3,
               audio_s / best, flop_frame * T / best * 1e-9);
        free(acts), free(x), free(cond);
    }
    /* frame by frame */
    float *hist[ST_L];
    for (int l = 0; l < ST_L; l++) hist[l] = calloc(64 * ST_H, sizeof(float));
    float *x = rnd(ST_FEAT, rng, 1), *cond = rnd(ST_COND, rng, 0.5f), out[ST_OUT];
    double best = 1e9;
    for (int run = 0; run < 7; run++) {
        double t0 = cpu_now();
        for (int f = 0; f < 1000; f++) st_frame(&p, x, cond, hist, f, out);
        best = fmin(best, (cpu_now() - t0) / 1000);
    }
    printf("   streaming, one frame:   %8.1f us  = %6.0fx real time (a frame is 10 ms)\n", best * 1e6, 0.01 / best);
    for (int l = 0; l < ST_L; l++) free(hist[l]);
    free(x), free(cond), free(values);
}

/* ==== 3. micro transformer ======================================================= */

enum { TF_V = 4000, TF_E = 64, TF_D = 128, TF_NH = 4, TF_F = 512, TF_T = 64, TF_LAYERS = 2, TF_K = 16 };

typedef struct {
    float *wte, *wpe, *eln_w, *eln_b, *proj_w, *proj_b;
    float *qkv_w, *qkv_b, *att_w, *att_b, *ln1_w, *ln1_b, *fc_w, *fc_b, *fc2_w, *fc2_b, *ln2_w, *ln2_b;
    float *cls_w, *cls_b, *vad_w, *vad_b;
} tf_params;

static void tf_layout(nn_layout *L)
{
    tf_params p;
    nn_layout_init(L);
    nn_layout_add(L, &p, &p.wte, "wte", TF_V * TF_E, nn_normal(0.02f));
    nn_layout_add(L, &p, &p.wpe, "wpe", TF_T * TF_E, nn_normal(0.02f));
    nn_layout_add(L, &p, &p.eln_w, "eln_w", TF_E, nn_constant(1));
    nn_layout_add(L, &p, &p.eln_b, "eln_b", TF_E, nn_zeros());
    nn_layout_add(L, &p, &p.proj_w, "proj_w", TF_D * TF_E, nn_xavier(TF_E, TF_D));
    nn_layout_add(L, &p, &p.proj_b, "proj_b", TF_D, nn_zeros());
    nn_layout_add(L, &p, &p.qkv_w, "qkv_w", 3 * TF_D * TF_D, nn_xavier(TF_D, TF_D));
    nn_layout_add(L, &p, &p.qkv_b, "qkv_b", 3 * TF_D, nn_zeros());
    nn_layout_add(L, &p, &p.att_w, "att_w", TF_D * TF_D, nn_xavier(TF_D, TF_D));
    nn_layout_add(L, &p, &p.att_b, "att_b", TF_D, nn_zeros());
    nn_layout_add(L, &p, &p.ln1_w, "ln1_w", TF_D, nn_constant(1));
    nn_layout_add(L, &p, &p.ln1_b, "ln1_b", TF_D, nn_zeros());
    nn_layout_add(L, &p, &p.fc_w, "fc_w", TF_F * TF_D, nn_xavier(TF_D, TF_F));
    nn_layout_add(L, &p, &p.fc_b, "fc_b", TF_F, nn_zeros());
    nn_layout_add(L, &p, &p.fc2_w, "fc2_w", TF_D * TF_F, nn_xavier(TF_F, TF_D));
    nn_layout_add(L, &p, &p.fc2_b, "fc2_b", TF_D, nn_zeros());
    nn_layout_add(L, &p, &p.ln2_w, "ln2_w", TF_D, nn_constant(1));
    nn_layout_add(L, &p, &p.ln2_b, "ln2_b", TF_D, nn_zeros());
    nn_layout_add(L, &p, &p.cls_w, "cls_w", TF_K * TF_D, nn_xavier(TF_D, TF_K));
    nn_layout_add(L, &p, &p.cls_b, "cls_b", TF_K, nn_zeros());
    nn_layout_add(L, &p, &p.vad_w, "vad_w", 3 * TF_D, nn_xavier(TF_D, 3));
    nn_layout_add(L, &p, &p.vad_b, "vad_b", 3, nn_zeros());
}

typedef struct {
    float *emb, *eln, *mean, *rstd, *x, *qkv, *att, *atty, *attp, *res, *ln, *fch, *fcg, *fco;
    float *pooled, *logits, *vad;
} tf_work;

/* Inference forward (buffers reused across layers: no backward here). */
static void tf_forward(const tf_params *p, tf_work *w, const int *ids, const uint8_t *mask, int B, int T)
{
    // ids (B, T), mask (B, T), T <= TF_T
    int N = B * T;
    nn_embedding_forward(w->emb, ids, p->wte, N, TF_E, TF_V);
    nn_posemb_forward(w->emb, w->emb, p->wpe, B, T, TF_E);
    nn_layernorm_forward(w->eln, w->mean, w->rstd, w->emb, p->eln_w, p->eln_b, N, TF_E);
    nn_matmul_forward(w->x, w->eln, p->proj_w, p->proj_b, N, TF_E, TF_D);
    for (int l = 0; l < TF_LAYERS; l++) {
        nn_matmul_forward(w->qkv, w->x, p->qkv_w, p->qkv_b, N, TF_D, 3 * TF_D);
        nn_attention_forward(w->atty, w->att, w->qkv, mask, B, T, TF_D, TF_NH, 0);
        nn_matmul_forward(w->attp, w->atty, p->att_w, p->att_b, N, TF_D, TF_D);
        nn_residual_forward(w->res, w->x, w->attp, (size_t)N * TF_D);
        nn_layernorm_forward(w->ln, w->mean, w->rstd, w->res, p->ln1_w, p->ln1_b, N, TF_D);
        nn_matmul_forward(w->fch, w->ln, p->fc_w, p->fc_b, N, TF_D, TF_F);
        nn_gelu_forward(w->fcg, w->fch, (size_t)N * TF_F);
        nn_matmul_forward(w->fco, w->fcg, p->fc2_w, p->fc2_b, N, TF_F, TF_D);
        nn_residual_forward(w->res, w->ln, w->fco, (size_t)N * TF_D);
        nn_layernorm_forward(w->x, w->mean, w->rstd, w->res, p->ln2_w, p->ln2_b, N, TF_D);
    }
    nn_select_forward(w->pooled, w->x, NULL, B, T, TF_D);
    nn_matmul_forward(w->logits, w->pooled, p->cls_w, p->cls_b, B, TF_D, TF_K);
    nn_softmax_forward(w->logits, w->logits, B, TF_K);
    nn_matmul_forward(w->vad, w->pooled, p->vad_w, p->vad_b, B, TF_D, 3);
    nn_sigmoid_forward(w->vad, w->vad, (size_t)B * 3);
}

static void bench_transformer(nn_rng *rng)
{
    nn_layout L;
    tf_layout(&L);
    float *values = malloc(L.total * sizeof(float));
    nn_layout_init_values(&L, values, 2);
    tf_params p;
    nn_layout_bind(&L, &p, values);
    printf("\n3. micro transformer forward (%zu parameters = %.2f MB float32; d %d, %d heads, %d layers shared), "
           "one core\n",
           L.total, L.total * 4.0 / 1e6, TF_D, TF_NH, TF_LAYERS);
    static const int batches[] = {1, 32, 1, 32}, lengths[] = {64, 64, 16, 16};
    for (int bi = 0; bi < 4; bi++) {
        int B = batches[bi], T = lengths[bi];
        size_t N = (size_t)B * TF_T;
        tf_work w;
        float **f[] = {&w.emb, &w.eln, &w.mean, &w.rstd, &w.x, &w.qkv, &w.att, &w.atty, &w.attp, &w.res,
                       &w.ln, &w.fch, &w.fcg, &w.fco, &w.pooled, &w.logits, &w.vad};
        size_t sz[] = {N * TF_E, N * TF_E, N, N, N * TF_D, N * 3 * TF_D, (size_t)B * TF_NH * TF_T * TF_T,
                       N * TF_D, N * TF_D, N * TF_D, N * TF_D, N * TF_F, N * TF_F, N * TF_D, (size_t)B * TF_D,
                       (size_t)B * TF_K, (size_t)B * 3};
        for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) *f[i] = calloc(sz[i], sizeof(float));
        int *ids = malloc(N * sizeof(int));
        uint8_t *mask = malloc(N);
        for (size_t i = 0; i < N; i++) {
            ids[i] = (int)(nn_rng_next(rng) % TF_V);
            mask[i] = 1; /* full length: the worst case */
        }
        double best = 1e9;
        int reps = 64 / B + 1;
        for (int run = 0; run < 7; run++) {
            double t0 = cpu_now();
            for (int r = 0; r < reps; r++) tf_forward(&p, &w, ids, mask, B, T);
            best = fmin(best, (cpu_now() - t0) / reps);
        }
        printf("   %2d tokens, batch %2d: %8.3f ms per batch = %7.0f sentences/s\n", T, B, best * 1e3, B / best);
        for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) free(*f[i]);
        free(ids), free(mask);
    }
    free(values);
}

/* ==== 4. a training step of the student ========================================== */

enum { TR_B = 16, TR_T = 200, TR_SHARDS = 2, TR_SB = TR_B / TR_SHARDS };

typedef struct {
    nn_layout L, LA;
    st_params p;
    float *values, *grads, *m, *v;
    float *sgrad[TR_SHARDS], *sacts[TR_SHARDS], *sdacts[TR_SHARDS];
    st_params sg[TR_SHARDS];
    st_acts a[TR_SHARDS], da[TR_SHARDS];
    float *x, *cond, *y; // (B, T, FEAT), (B, T, COND), (B, T, OUT)
} trainer;

static void shard_task(void *ctx, int s, int thread)
{
    (void)thread;
    trainer *tr = ctx;
    size_t off = (size_t)s * TR_SB * TR_T;
    memset(tr->sgrad[s], 0, tr->L.total * sizeof(float));
    memset(tr->sdacts[s], 0, tr->LA.total * sizeof(float));
    st_forward(&tr->p, &tr->a[s], tr->x + off * ST_FEAT, tr->cond + off * ST_COND, TR_SB, TR_T);
    int N = TR_SB * TR_T;
    float share = (float)TR_SB / TR_B;
    nn_l1_loss(tr->da[s].pred, tr->a[s].pred, tr->y + off * ST_OUT, NULL, NULL, N, ST_OUT, share);
    nn_velocity_l1_loss(tr->da[s].pred, tr->a[s].pred, tr->y + off * ST_OUT, NULL, NULL, TR_SB, TR_T, ST_OUT, share);
    st_backward(&tr->p, &tr->sg[s], &tr->a[s], &tr->da[s], tr->x + off * ST_FEAT, tr->cond + off * ST_COND, TR_SB,
                TR_T);
}

static void train_step(trainer *tr, int n_threads, long step)
{
    nn_parallel_for(n_threads, TR_SHARDS, shard_task, tr);
    nn_sum_into(tr->grads, (const float *const *)tr->sgrad, TR_SHARDS, tr->L.total);
    nn_clip_grad_norm(tr->grads, tr->L.total, 1.0f);
    nn_adamw_params ap = nn_adamw_default_params();
    nn_adamw_step(&tr->L, tr->values, tr->grads, tr->m, tr->v, nn_lr_at(step, 100, 10000, 1e-3f, 1e-5f), &ap,
                  step + 1);
}

static void bench_training(nn_rng *rng)
{
    trainer tr;
    st_layout(&tr.L);
    st_acts_layout(&tr.LA, (size_t)TR_SB * TR_T);
    size_t n = tr.L.total;
    tr.values = malloc(n * sizeof(float));
    tr.grads = calloc(n, sizeof(float));
    tr.m = calloc(n, sizeof(float));
    tr.v = calloc(n, sizeof(float));
    nn_layout_init_values(&tr.L, tr.values, 3);
    nn_layout_bind(&tr.L, &tr.p, tr.values);
    for (int s = 0; s < TR_SHARDS; s++) {
        tr.sgrad[s] = calloc(n, sizeof(float));
        tr.sacts[s] = calloc(tr.LA.total, sizeof(float));
        tr.sdacts[s] = calloc(tr.LA.total, sizeof(float));
        nn_layout_bind(&tr.L, &tr.sg[s], tr.sgrad[s]);
        nn_layout_bind(&tr.LA, &tr.a[s], tr.sacts[s]);
        nn_layout_bind(&tr.LA, &tr.da[s], tr.sdacts[s]);
    }
    tr.x = rnd((size_t)TR_B * TR_T * ST_FEAT, rng, 1);
    tr.cond = rnd((size_t)TR_B * TR_T * ST_COND, rng, 0.5f);
    tr.y = rnd((size_t)TR_B * TR_T * ST_OUT, rng, 0.5f);
    for (size_t i = 0; i < (size_t)TR_B * TR_T * ST_OUT; i++) tr.y[i] += 0.5f;
    printf("\n4. student training step (%d clips x %d frames = %.0f s of audio; forward + backward + AdamW; "
           "%d shards)\n",
           TR_B, TR_T, TR_B * TR_T / 100.0, TR_SHARDS);
    for (int threads = 1; threads <= 2; threads++) {
        double best = 1e9;
        long step = 0;
        for (int run = 0; run < 5; run++) {
            double t0 = wall_now();
            for (int r = 0; r < 3; r++) train_step(&tr, threads, step++);
            best = fmin(best, (wall_now() - t0) / 3);
        }
        printf("   %d thread%s: %7.1f ms per step = %5.1f steps/s = %6.0f s of audio per s\n", threads,
               threads > 1 ? "s" : " ", best * 1e3, 1.0 / best, TR_B * TR_T / 100.0 / best);
    }
    for (int s = 0; s < TR_SHARDS; s++) free(tr.sgrad[s]), free(tr.sacts[s]), free(tr.sdacts[s]);
    free(tr.values), free(tr.grads), free(tr.m), free(tr.v), free(tr.x), free(tr.cond), free(tr.y);
}

int main(void)
{
    nn_set_blas_threads(1); /* one core per figure; the 2-thread step brings its own threads */
    nn_rng rng;
    nn_rng_seed(&rng, 2024);
    printf("bench_nn: src/nn layers on the shapes of the project's models (%d CPUs online)\n", nn_cpu_count());
    bench_kernels(&rng);
    bench_student(&rng);
    bench_transformer(&rng);
    bench_training(&rng);
    printf("\n(OpenBLAS picks its kernels when it loads; if the family above is Prescott on a CPU with AVX-512,\n"
           " run with OPENBLAS_CORETYPE=SkylakeX for the backward products.)\n");
    return 0;
}
