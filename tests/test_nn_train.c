/* test_nn_train.c — the training side of src/nn: two small networks built
 * from the layers overfit a tiny fixed batch (the loss falls at least 10x in
 * a few hundred AdamW steps), AdamW matches a hand computation, the
 * learning-rate schedule and clipping give known values, initialisation is
 * seeded and per tensor, and data-parallel training over a fixed number of
 * shards gives the same bits on 1 and 2 threads.
 *
 * The two networks are the shapes of the project's learned parts, small:
 *   - a causal conv + FiLM stack (the audio student of the lip-sync layer):
 *     features -> linear -> [dilated conv -> FiLM(cond) -> relu -> + residual]
 *     x 2 -> linear -> sigmoid, FiLM scale/shift from a 2-layer MLP on the
 *     conditioning vector;
 *   - an ALBERT-style micro transformer (the text emotion classifier):
 *     factorised token + position embeddings -> layernorm -> projection ->
 *     one post-LN block (attention, GELU feed-forward) applied twice with
 *     shared weights -> [CLS] -> class logits + 3 sigmoid VAD outputs.
 * They show how a model is put together: a struct of named parameter
 * pointers laid out by nn_layout, activations laid out the same way, a
 * forward, a backward in reverse order, one AdamW step over the buffer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h"
#include "testutil.h"

static float *alloc_floats(size_t n) { return calloc(n ? n : 1, sizeof(float)); }

/* ==== 1. conv + FiLM student ==================================================== */

enum { CV_T = 24, CV_CIN = 6, CV_COND = 3, CV_H = 16, CV_HF = 8, CV_OUT = 4, CV_L = 2, CV_K = 3 };
static const int cv_dilation[CV_L] = {1, 2};
static const int cv_lookahead[CV_L] = {1, 0};

typedef struct {
    float *in_w, *in_b;                 // (H, CIN), (H)
    float *f1_w, *f1_b;                 // (HF, COND), (HF)      FiLM generator, hidden layer
    float *f2_w[CV_L], *f2_b[CV_L];     // (2H, HF), (2H)        FiLM generator, per-layer gamma|beta
    float *conv_w[CV_L], *conv_b[CV_L]; // (H, K*H), (H)
    float *out_w, *out_b;               // (OUT, H), (OUT)
} cv_params;

static void cv_layout(nn_layout *L)
{
    cv_params p;
    nn_layout_init(L);
    nn_layout_add(L, &p, &p.in_w, "in_w", CV_H * CV_CIN, nn_xavier(CV_CIN, CV_H));
    nn_layout_add(L, &p, &p.in_b, "in_b", CV_H, nn_zeros());
    nn_layout_add(L, &p, &p.f1_w, "film1_w", CV_HF * CV_COND, nn_kaiming(CV_COND));
    nn_layout_add(L, &p, &p.f1_b, "film1_b", CV_HF, nn_zeros());
    for (int l = 0; l < CV_L; l++) {
        /* zero: FiLM starts as the identity; still decayed like a matrix */
        nn_layout_add(L, &p, &p.f2_w[l], "film2_w", 2 * CV_H * CV_HF, nn_with_decay(nn_zeros(), 1));
        nn_layout_add(L, &p, &p.f2_b[l], "film2_b", 2 * CV_H, nn_zeros());
        nn_layout_add(L, &p, &p.conv_w[l], "conv_w", CV_H * CV_K * CV_H, nn_kaiming(CV_K * CV_H));
        nn_layout_add(L, &p, &p.conv_b[l], "conv_b", CV_H, nn_zeros());
    }
    nn_layout_add(L, &p, &p.out_w, "out_w", CV_OUT * CV_H, nn_xavier(CV_H, CV_OUT));
    nn_layout_add(L, &p, &p.out_b, "out_b", CV_OUT, nn_zeros());
}

/* Activations of B sequences, laid out with the same tool. */
typedef struct {
    float *x0;                                         // (B, T, H) input projection
    float *fh, *fa;                                    // (B, HF) FiLM hidden, before / after relu
    float *film[CV_L];                                 // (B, 1, 2H)
    float *col[CV_L];                                  // (B, T, K*H)
    float *conv[CV_L], *mod[CV_L], *act[CV_L], *res[CV_L]; // (B, T, H)
    float *logits, *pred;                              // (B, T, OUT)
} cv_acts;

static void cv_acts_layout(nn_layout *L, int B)
{
    cv_acts a;
    size_t bth = (size_t)B * CV_T * CV_H;
    nn_layout_init(L);
    nn_layout_add(L, &a, &a.x0, "x0", bth, nn_zeros());
    nn_layout_add(L, &a, &a.fh, "fh", (size_t)B * CV_HF, nn_zeros());
    nn_layout_add(L, &a, &a.fa, "fa", (size_t)B * CV_HF, nn_zeros());
    for (int l = 0; l < CV_L; l++) {
        nn_layout_add(L, &a, &a.film[l], "film", (size_t)B * 2 * CV_H, nn_zeros());
        nn_layout_add(L, &a, &a.col[l], "col", bth * CV_K, nn_zeros());
        nn_layout_add(L, &a, &a.conv[l], "conv", bth, nn_zeros());
        nn_layout_add(L, &a, &a.mod[l], "mod", bth, nn_zeros());
        nn_layout_add(L, &a, &a.act[l], "act", bth, nn_zeros());
        nn_layout_add(L, &a, &a.res[l], "res", bth, nn_zeros());
    }
    nn_layout_add(L, &a, &a.logits, "logits", (size_t)B * CV_T * CV_OUT, nn_zeros());
    nn_layout_add(L, &a, &a.pred, "pred", (size_t)B * CV_T * CV_OUT, nn_zeros());
}

static void cv_forward(const cv_params *p, cv_acts *a, const float *x, const float *cond, int B)
{
    // x (B, T, CIN), cond (B, COND)
    int N = B * CV_T;
    nn_matmul_forward(a->x0, x, p->in_w, p->in_b, N, CV_CIN, CV_H);
    nn_matmul_forward(a->fh, cond, p->f1_w, p->f1_b, B, CV_COND, CV_HF);
    nn_relu_forward(a->fa, a->fh, (size_t)B * CV_HF);
    const float *h = a->x0;
    for (int l = 0; l < CV_L; l++) {
        nn_matmul_forward(a->film[l], a->fa, p->f2_w[l], p->f2_b[l], B, CV_HF, 2 * CV_H);
        nn_conv1d_forward(a->conv[l], a->col[l], h, p->conv_w[l], p->conv_b[l], B, CV_T, CV_H, CV_H, CV_K,
                          cv_dilation[l], cv_lookahead[l]);
        nn_film_forward(a->mod[l], a->conv[l], a->film[l], B, CV_T, CV_H, 1);
        nn_relu_forward(a->act[l], a->mod[l], (size_t)N * CV_H);
        nn_residual_forward(a->res[l], a->act[l], h, (size_t)N * CV_H);
        h = a->res[l];
    }
    nn_matmul_forward(a->logits, h, p->out_w, p->out_b, N, CV_H, CV_OUT);
    nn_sigmoid_forward(a->pred, a->logits, (size_t)N * CV_OUT);
}

/* Backward from d = dloss/dpred (in da->pred); da holds activation gradients,
 * zeroed by the caller; g the parameter gradients. */
static void cv_backward(const cv_params *p, cv_params *g, const cv_acts *a, cv_acts *da, const float *x,
                        const float *cond, int B)
{
    int N = B * CV_T;
    nn_sigmoid_backward(da->logits, da->pred, a->pred, (size_t)N * CV_OUT);
    const float *h = a->res[CV_L - 1];
    float *dh = da->res[CV_L - 1];
    nn_matmul_backward(dh, g->out_w, g->out_b, da->logits, h, p->out_w, N, CV_H, CV_OUT);
    for (int l = CV_L - 1; l >= 0; l--) {
        float *dhin = l ? da->res[l - 1] : da->x0;
        nn_residual_backward(da->act[l], dhin, da->res[l], (size_t)N * CV_H);
        nn_relu_backward(da->mod[l], da->act[l], a->act[l], (size_t)N * CV_H);
        nn_film_backward(da->conv[l], da->film[l], da->mod[l], a->conv[l], a->film[l], B, CV_T, CV_H, 1);
        nn_conv1d_backward(dhin, g->conv_w[l], g->conv_b[l], da->conv[l], a->col[l], p->conv_w[l], B, CV_T, CV_H,
                           CV_H, CV_K, cv_dilation[l], cv_lookahead[l]);
        nn_matmul_backward(da->fa, g->f2_w[l], g->f2_b[l], da->film[l], a->fa, p->f2_w[l], B, CV_HF, 2 * CV_H);
    }
    nn_relu_backward(da->fh, da->fa, a->fa, (size_t)B * CV_HF);
    nn_matmul_backward(NULL, g->f1_w, g->f1_b, da->fh, cond, p->f1_w, B, CV_COND, CV_HF);
    nn_matmul_backward(NULL, g->in_w, g->in_b, da->x0, x, p->in_w, N, CV_CIN, CV_H);
}

/* One data-parallel training setup: the batch split into shards, each with
 * its own activations and gradient buffer. */
enum { CV_B = 8, CV_SHARDS = 2, CV_SB = CV_B / CV_SHARDS };
typedef struct {
    nn_layout L, LA;
    float *values, *grads, *m, *v; // (L.total)
    cv_params p, g;
    float *shard_grads[CV_SHARDS];
    float *shard_acts[CV_SHARDS], *shard_dacts[CV_SHARDS];
    cv_params shard_g[CV_SHARDS];
    cv_acts acts[CV_SHARDS], dacts[CV_SHARDS];
    const float *x, *cond, *target; // (B, T, CIN), (B, COND), (B, T, OUT)
    float shard_loss[CV_SHARDS];
} cv_trainer;

static void cv_trainer_init(cv_trainer *tr, uint64_t seed)
{
    cv_layout(&tr->L);
    cv_acts_layout(&tr->LA, CV_SB);
    size_t n = tr->L.total;
    tr->values = alloc_floats(n);
    tr->grads = alloc_floats(n);
    tr->m = alloc_floats(n);
    tr->v = alloc_floats(n);
    nn_layout_init_values(&tr->L, tr->values, seed);
    nn_layout_bind(&tr->L, &tr->p, tr->values);
    nn_layout_bind(&tr->L, &tr->g, tr->grads);
    for (int s = 0; s < CV_SHARDS; s++) {
        tr->shard_grads[s] = alloc_floats(n);
        nn_layout_bind(&tr->L, &tr->shard_g[s], tr->shard_grads[s]);
        tr->shard_acts[s] = alloc_floats(tr->LA.total);
        tr->shard_dacts[s] = alloc_floats(tr->LA.total);
        nn_layout_bind(&tr->LA, &tr->acts[s], tr->shard_acts[s]);
        nn_layout_bind(&tr->LA, &tr->dacts[s], tr->shard_dacts[s]);
    }
}

static void cv_trainer_free(cv_trainer *tr)
{
    free(tr->values), free(tr->grads), free(tr->m), free(tr->v);
    for (int s = 0; s < CV_SHARDS; s++) free(tr->shard_grads[s]), free(tr->shard_acts[s]), free(tr->shard_dacts[s]);
}

/* The work of one shard: forward, loss, backward into its own buffers. */
static void cv_shard_task(void *ctx, int s, int thread)
{
    (void)thread; /* buffers are per shard, so which thread runs it does not matter */
    cv_trainer *tr = ctx;
    size_t x_off = (size_t)s * CV_SB * CV_T * CV_CIN, y_off = (size_t)s * CV_SB * CV_T * CV_OUT;
    const float *x = tr->x + x_off, *cond = tr->cond + (size_t)s * CV_SB * CV_COND, *y = tr->target + y_off;
    memset(tr->shard_grads[s], 0, tr->L.total * sizeof(float));
    memset(tr->shard_dacts[s], 0, tr->LA.total * sizeof(float));
    cv_forward(&tr->p, &tr->acts[s], x, cond, CV_SB);
    /* losses are means over the shard; scaled by the shard's share of the
     * batch, the summed shard gradients are the gradient of the batch mean */
    float share = (float)CV_SB / CV_B;
    int N = CV_SB * CV_T;
    float mse = nn_mse_loss(tr->dacts[s].pred, tr->acts[s].pred, y, NULL, N, CV_OUT, share);
    nn_velocity_l1_loss(tr->dacts[s].pred, tr->acts[s].pred, y, NULL, NULL, CV_SB, CV_T, CV_OUT, 0.1f * share);
    tr->shard_loss[s] = mse * share;
    cv_backward(&tr->p, &tr->shard_g[s], &tr->acts[s], &tr->dacts[s], x, cond, CV_SB);
}

/* One step: shards in parallel, gradients summed in shard order, clip, AdamW. */
static float cv_step(cv_trainer *tr, int n_threads, long step, long total)
{
    nn_parallel_for(n_threads, CV_SHARDS, cv_shard_task, tr);
    nn_sum_into(tr->grads, (const float *const *)tr->shard_grads, CV_SHARDS, tr->L.total);
    nn_clip_grad_norm(tr->grads, tr->L.total, 1.0f);
    nn_adamw_params ap = nn_adamw_default_params();
    float lr = nn_lr_at(step, 20, total, 1e-2f, 1e-3f);
    nn_adamw_step(&tr->L, tr->values, tr->grads, tr->m, tr->v, lr, &ap, step + 1);
    float loss = 0.0f;
    for (int s = 0; s < CV_SHARDS; s++) loss += tr->shard_loss[s];
    return loss;
}

static void test_conv_film_overfit(void)
{
    /* data: random features and conditioning; targets from a random
     * "teacher" of the same shape (so a perfect fit exists), with its FiLM
     * generator made non-zero so the conditioning matters */
    nn_rng rng;
    nn_rng_seed(&rng, 11);
    size_t nx = (size_t)CV_B * CV_T * CV_CIN, ny = (size_t)CV_B * CV_T * CV_OUT;
    float *x = alloc_floats(nx), *cond = alloc_floats((size_t)CV_B * CV_COND), *y = alloc_floats(ny);
    for (size_t i = 0; i < nx; i++) x[i] = 2.0f * nn_rng_uniform(&rng) - 1.0f;
    for (int i = 0; i < CV_B * CV_COND; i++) cond[i] = nn_rng_uniform(&rng);
    cv_trainer teacher;
    cv_trainer_init(&teacher, 999);
    for (int l = 0; l < CV_L; l++)
        for (int i = 0; i < 2 * CV_H * CV_HF; i++) teacher.p.f2_w[l][i] = 0.5f * (2.0f * nn_rng_uniform(&rng) - 1.0f);
    for (int s = 0; s < CV_SHARDS; s++) {
        cv_forward(&teacher.p, &teacher.acts[s], x + (size_t)s * CV_SB * CV_T * CV_CIN,
                   cond + (size_t)s * CV_SB * CV_COND, CV_SB);
        memcpy(y + (size_t)s * CV_SB * CV_T * CV_OUT, teacher.acts[s].pred, (size_t)CV_SB * CV_T * CV_OUT * 4);
    }
    cv_trainer_free(&teacher);

    /* the same training run on 1 thread and on 2 threads */
    enum { STEPS = 300 };
    cv_trainer tr[2];
    float first = 0, last = 0;
    for (int k = 0; k < 2; k++) {
        cv_trainer_init(&tr[k], 5);
        tr[k].x = x, tr[k].cond = cond, tr[k].target = y;
        for (long step = 0; step < STEPS; step++) {
            float loss = cv_step(&tr[k], k + 1, step, STEPS);
            if (k == 0 && step == 0) first = loss;
            if (k == 0) last = loss;
        }
    }
    printf("  conv+FiLM student (%zu params): mse %.5f -> %.6f in %d steps (%.0fx)\n", tr[0].L.total, first, last,
           STEPS, first / last);
    CHECKF(last * 10.0f < first, "conv+FiLM: the loss falls 10x (%g -> %g)", first, last);
    CHECKF(memcmp(tr[0].values, tr[1].values, tr[0].L.total * sizeof(float)) == 0,
           "data-parallel training: 1 thread and 2 threads give the same bits (2 shards)");
    /* the conditioning is used: the trained FiLM generator is no longer zero */
    float film_norm = nn_grad_norm(tr[0].p.f2_w[0], 2 * CV_H * CV_HF);
    CHECKF(film_norm > 1e-3f, "FiLM generator learned (norm %g)", film_norm);
    cv_trainer_free(&tr[0]);
    cv_trainer_free(&tr[1]);
    free(x), free(cond), free(y);
}

/* ==== 2. micro transformer ======================================================= */

enum { TF_V = 12, TF_T = 8, TF_E = 8, TF_D = 16, TF_NH = 2, TF_F = 32, TF_K = 4, TF_LAYERS = 2, TF_B = 8 };

typedef struct {
    float *wte, *wpe;                   // (V, E), (T, E)   factorised embeddings
    float *eln_w, *eln_b;               // (E)
    float *proj_w, *proj_b;             // (D, E), (D)
    float *qkv_w, *qkv_b;               // (3D, D), (3D)    the shared block
    float *att_w, *att_b;               // (D, D), (D)
    float *ln1_w, *ln1_b;               // (D)
    float *fc_w, *fc_b;                 // (F, D), (F)
    float *fc2_w, *fc2_b;               // (D, F), (D)
    float *ln2_w, *ln2_b;               // (D)
    float *cls_w, *cls_b;               // (K, D), (K)      class head
    float *vad_w, *vad_b;               // (3, D), (3)      V, A, D head
} tf_params;

static void tf_layout(nn_layout *L)
{
    tf_params p;
    nn_layout_init(L);
    nn_layout_add(L, &p, &p.wte, "wte", TF_V * TF_E, nn_normal(0.5f));
    nn_layout_add(L, &p, &p.wpe, "wpe", TF_T * TF_E, nn_normal(0.1f));
    nn_layout_add(L, &p, &p.eln_w, "eln_w", TF_E, nn_constant(1.0f));
    nn_layout_add(L, &p, &p.eln_b, "eln_b", TF_E, nn_zeros());
    nn_layout_add(L, &p, &p.proj_w, "proj_w", TF_D * TF_E, nn_xavier(TF_E, TF_D));
    nn_layout_add(L, &p, &p.proj_b, "proj_b", TF_D, nn_zeros());
    nn_layout_add(L, &p, &p.qkv_w, "qkv_w", 3 * TF_D * TF_D, nn_xavier(TF_D, TF_D));
    nn_layout_add(L, &p, &p.qkv_b, "qkv_b", 3 * TF_D, nn_zeros());
    nn_layout_add(L, &p, &p.att_w, "att_w", TF_D * TF_D, nn_xavier(TF_D, TF_D));
    nn_layout_add(L, &p, &p.att_b, "att_b", TF_D, nn_zeros());
    nn_layout_add(L, &p, &p.ln1_w, "ln1_w", TF_D, nn_constant(1.0f));
    nn_layout_add(L, &p, &p.ln1_b, "ln1_b", TF_D, nn_zeros());
    nn_layout_add(L, &p, &p.fc_w, "fc_w", TF_F * TF_D, nn_xavier(TF_D, TF_F));
    nn_layout_add(L, &p, &p.fc_b, "fc_b", TF_F, nn_zeros());
    nn_layout_add(L, &p, &p.fc2_w, "fc2_w", TF_D * TF_F, nn_xavier(TF_F, TF_D));
    nn_layout_add(L, &p, &p.fc2_b, "fc2_b", TF_D, nn_zeros());
    nn_layout_add(L, &p, &p.ln2_w, "ln2_w", TF_D, nn_constant(1.0f));
    nn_layout_add(L, &p, &p.ln2_b, "ln2_b", TF_D, nn_zeros());
    nn_layout_add(L, &p, &p.cls_w, "cls_w", TF_K * TF_D, nn_xavier(TF_D, TF_K));
    nn_layout_add(L, &p, &p.cls_b, "cls_b", TF_K, nn_zeros());
    nn_layout_add(L, &p, &p.vad_w, "vad_w", 3 * TF_D, nn_xavier(TF_D, 3));
    nn_layout_add(L, &p, &p.vad_b, "vad_b", 3, nn_zeros());
}

/* Activations of one pass of the shared block (one per layer). */
typedef struct {
    float *qkv;                // (B, T, 3D)
    float *att;                // (B, NH, T, T)
    float *atty, *attp, *res1; // (B, T, D)
    float *ln1, *ln1_mean, *ln1_rstd; // (B, T, D), (B, T), (B, T)
    float *fch, *fcg;          // (B, T, F)
    float *fco, *res2;         // (B, T, D)
    float *ln2, *ln2_mean, *ln2_rstd; // (B, T, D) the block's output
} tf_block;

typedef struct {
    float *emb, *embp;                  // (B, T, E) tokens, + positions
    float *eln, *eln_mean, *eln_rstd;   // (B, T, E), (B, T), (B, T)
    float *x0;                          // (B, T, D)
    tf_block blk[TF_LAYERS];
    float *pooled;                      // (B, D)
    float *logits, *probs;              // (B, K)
    float *vad_logits;                  // (B, 3)
} tf_acts;

static void tf_acts_layout(nn_layout *L, int B)
{
    tf_acts a;
    size_t bt = (size_t)B * TF_T;
    nn_layout_init(L);
    nn_layout_add(L, &a, &a.emb, "emb", bt * TF_E, nn_zeros());
    nn_layout_add(L, &a, &a.embp, "embp", bt * TF_E, nn_zeros());
    nn_layout_add(L, &a, &a.eln, "eln", bt * TF_E, nn_zeros());
    nn_layout_add(L, &a, &a.eln_mean, "eln_mean", bt, nn_zeros());
    nn_layout_add(L, &a, &a.eln_rstd, "eln_rstd", bt, nn_zeros());
    nn_layout_add(L, &a, &a.x0, "x0", bt * TF_D, nn_zeros());
    for (int l = 0; l < TF_LAYERS; l++) {
        tf_block *k = &a.blk[l];
        nn_layout_add(L, &a, &k->qkv, "qkv", bt * 3 * TF_D, nn_zeros());
        nn_layout_add(L, &a, &k->att, "att", (size_t)B * TF_NH * TF_T * TF_T, nn_zeros());
        nn_layout_add(L, &a, &k->atty, "atty", bt * TF_D, nn_zeros());
        nn_layout_add(L, &a, &k->attp, "attp", bt * TF_D, nn_zeros());
        nn_layout_add(L, &a, &k->res1, "res1", bt * TF_D, nn_zeros());
        nn_layout_add(L, &a, &k->ln1, "ln1", bt * TF_D, nn_zeros());
        nn_layout_add(L, &a, &k->ln1_mean, "ln1_mean", bt, nn_zeros());
        nn_layout_add(L, &a, &k->ln1_rstd, "ln1_rstd", bt, nn_zeros());
        nn_layout_add(L, &a, &k->fch, "fch", bt * TF_F, nn_zeros());
        nn_layout_add(L, &a, &k->fcg, "fcg", bt * TF_F, nn_zeros());
        nn_layout_add(L, &a, &k->fco, "fco", bt * TF_D, nn_zeros());
        nn_layout_add(L, &a, &k->res2, "res2", bt * TF_D, nn_zeros());
        nn_layout_add(L, &a, &k->ln2, "ln2", bt * TF_D, nn_zeros());
        nn_layout_add(L, &a, &k->ln2_mean, "ln2_mean", bt, nn_zeros());
        nn_layout_add(L, &a, &k->ln2_rstd, "ln2_rstd", bt, nn_zeros());
    }
    nn_layout_add(L, &a, &a.pooled, "pooled", (size_t)B * TF_D, nn_zeros());
    nn_layout_add(L, &a, &a.logits, "logits", (size_t)B * TF_K, nn_zeros());
    nn_layout_add(L, &a, &a.probs, "probs", (size_t)B * TF_K, nn_zeros());
    nn_layout_add(L, &a, &a.vad_logits, "vad_logits", (size_t)B * 3, nn_zeros());
}

static void tf_forward(const tf_params *p, tf_acts *a, const int *ids, const uint8_t *mask, int B)
{
    int N = B * TF_T;
    nn_embedding_forward(a->emb, ids, p->wte, N, TF_E, TF_V);
    nn_posemb_forward(a->embp, a->emb, p->wpe, B, TF_T, TF_E);
    nn_layernorm_forward(a->eln, a->eln_mean, a->eln_rstd, a->embp, p->eln_w, p->eln_b, N, TF_E);
    nn_matmul_forward(a->x0, a->eln, p->proj_w, p->proj_b, N, TF_E, TF_D);
    const float *x = a->x0;
    for (int l = 0; l < TF_LAYERS; l++) {
        tf_block *k = &a->blk[l];
        /* x = LN(x + Attn(x)) */
        nn_matmul_forward(k->qkv, x, p->qkv_w, p->qkv_b, N, TF_D, 3 * TF_D);
        nn_attention_forward(k->atty, k->att, k->qkv, mask, B, TF_T, TF_D, TF_NH, 0);
        nn_matmul_forward(k->attp, k->atty, p->att_w, p->att_b, N, TF_D, TF_D);
        nn_residual_forward(k->res1, x, k->attp, (size_t)N * TF_D);
        nn_layernorm_forward(k->ln1, k->ln1_mean, k->ln1_rstd, k->res1, p->ln1_w, p->ln1_b, N, TF_D);
        /* x = LN(x + FFN(x)) */
        nn_matmul_forward(k->fch, k->ln1, p->fc_w, p->fc_b, N, TF_D, TF_F);
        nn_gelu_forward(k->fcg, k->fch, (size_t)N * TF_F);
        nn_matmul_forward(k->fco, k->fcg, p->fc2_w, p->fc2_b, N, TF_F, TF_D);
        nn_residual_forward(k->res2, k->ln1, k->fco, (size_t)N * TF_D);
        nn_layernorm_forward(k->ln2, k->ln2_mean, k->ln2_rstd, k->res2, p->ln2_w, p->ln2_b, N, TF_D);
        x = k->ln2;
    }
    nn_select_forward(a->pooled, x, NULL, B, TF_T, TF_D); /* [CLS] = token 0 */
    nn_matmul_forward(a->logits, a->pooled, p->cls_w, p->cls_b, B, TF_D, TF_K);
    nn_matmul_forward(a->vad_logits, a->pooled, p->vad_w, p->vad_b, B, TF_D, 3);
}

/* Backward from the head gradients in da->logits and da->vad_logits. */
static void tf_backward(const tf_params *p, tf_params *g, const tf_acts *a, tf_acts *da, const int *ids, int B,
                        float *scratch)
{
    int N = B * TF_T;
    const float *x_last = a->blk[TF_LAYERS - 1].ln2;
    float *dx_last = da->blk[TF_LAYERS - 1].ln2;
    nn_matmul_backward(da->pooled, g->cls_w, g->cls_b, da->logits, a->pooled, p->cls_w, B, TF_D, TF_K);
    nn_matmul_backward(da->pooled, g->vad_w, g->vad_b, da->vad_logits, a->pooled, p->vad_w, B, TF_D, 3);
    nn_select_backward(dx_last, da->pooled, NULL, B, TF_T, TF_D);
    (void)x_last;
    for (int l = TF_LAYERS - 1; l >= 0; l--) {
        const tf_block *k = &a->blk[l];
        tf_block *dk = &da->blk[l];
        const float *x = l ? a->blk[l - 1].ln2 : a->x0;
        float *dx = l ? da->blk[l - 1].ln2 : da->x0;
        /* the shared weights collect the gradient of every pass */
        nn_layernorm_backward(dk->res2, g->ln2_w, g->ln2_b, dk->ln2, k->res2, p->ln2_w, k->ln2_mean, k->ln2_rstd, N,
                              TF_D);
        nn_residual_backward(dk->ln1, dk->fco, dk->res2, (size_t)N * TF_D);
        nn_matmul_backward(dk->fcg, g->fc2_w, g->fc2_b, dk->fco, k->fcg, p->fc2_w, N, TF_F, TF_D);
        nn_gelu_backward(dk->fch, dk->fcg, k->fch, (size_t)N * TF_F);
        nn_matmul_backward(dk->ln1, g->fc_w, g->fc_b, dk->fch, k->ln1, p->fc_w, N, TF_D, TF_F);
        nn_layernorm_backward(dk->res1, g->ln1_w, g->ln1_b, dk->ln1, k->res1, p->ln1_w, k->ln1_mean, k->ln1_rstd, N,
                              TF_D);
        nn_residual_backward(dx, dk->attp, dk->res1, (size_t)N * TF_D);
        nn_matmul_backward(dk->atty, g->att_w, g->att_b, dk->attp, k->atty, p->att_w, N, TF_D, TF_D);
        nn_attention_backward(dk->qkv, scratch, dk->atty, k->qkv, k->att, B, TF_T, TF_D, TF_NH);
        nn_matmul_backward(dx, g->qkv_w, g->qkv_b, dk->qkv, x, p->qkv_w, N, TF_D, 3 * TF_D);
    }
    nn_matmul_backward(da->eln, g->proj_w, g->proj_b, da->x0, a->eln, p->proj_w, N, TF_E, TF_D);
    nn_layernorm_backward(da->embp, g->eln_w, g->eln_b, da->eln, a->embp, p->eln_w, a->eln_mean, a->eln_rstd, N,
                          TF_E);
    nn_posemb_backward(da->emb, g->wpe, da->embp, B, TF_T, TF_E);
    nn_embedding_backward(g->wte, da->emb, ids, N, TF_E, TF_V);
}

static void test_transformer_overfit(void)
{
    /* 8 sequences of 3..8 tokens (token 1 is [CLS] at position 0, 0 is
     * padding), one class each and a VAD target */
    nn_rng rng;
    nn_rng_seed(&rng, 3);
    int ids[TF_B * TF_T], labels[TF_B];
    uint8_t mask[TF_B * TF_T];
    float vad[TF_B * 3];
    for (int b = 0; b < TF_B; b++) {
        int len = 3 + b % 6;
        for (int t = 0; t < TF_T; t++) {
            mask[b * TF_T + t] = t < len;
            ids[b * TF_T + t] = t == 0 ? 1 : (t < len ? 2 + (int)(nn_rng_next(&rng) % (TF_V - 2)) : 0);
        }
        labels[b] = b % TF_K;
        for (int k = 0; k < 3; k++) vad[b * 3 + k] = 0.1f + 0.8f * nn_rng_uniform(&rng);
    }
    nn_layout L, LA;
    tf_layout(&L);
    tf_acts_layout(&LA, TF_B);
    float *values = alloc_floats(L.total), *grads = alloc_floats(L.total), *m = alloc_floats(L.total),
          *v = alloc_floats(L.total), *acts = alloc_floats(LA.total), *dacts = alloc_floats(LA.total),
          *scratch = alloc_floats(TF_T * TF_T);
    tf_params p, g;
    tf_acts a, da;
    nn_layout_init_values(&L, values, 42);
    nn_layout_bind(&L, &p, values);
    nn_layout_bind(&L, &g, grads);
    nn_layout_bind(&LA, &a, acts);
    nn_layout_bind(&LA, &da, dacts);
    nn_adamw_params ap = nn_adamw_default_params();
    enum { STEPS = 300 };
    float first = 0, last = 0, vad_first = 0, vad_last = 0;
    for (long step = 0; step < STEPS; step++) {
        memset(grads, 0, L.total * sizeof(float));
        memset(dacts, 0, LA.total * sizeof(float));
        tf_forward(&p, &a, ids, mask, TF_B);
        float ce = nn_softmax_xent_loss(da.logits, a.probs, a.logits, labels, NULL, NULL, TF_B, TF_K, 1.0f);
        float bce = nn_sigmoid_bce_loss(da.vad_logits, NULL, a.vad_logits, vad, NULL, TF_B, 3, 1.0f);
        tf_backward(&p, &g, &a, &da, ids, TF_B, scratch);
        nn_clip_grad_norm(grads, L.total, 1.0f);
        nn_adamw_step(&L, values, grads, m, v, nn_lr_at(step, 20, STEPS, 1e-2f, 1e-3f), &ap, step + 1);
        if (step == 0) first = ce, vad_first = bce;
        last = ce, vad_last = bce;
    }
    printf("  micro transformer (%zu params): cross-entropy %.4f -> %.5f in %d steps (%.0fx); vad bce %.4f -> %.4f\n",
           L.total, first, last, STEPS, first / last, vad_first, vad_last);
    CHECKF(last * 10.0f < first, "transformer: the loss falls 10x (%g -> %g)", first, last);
    tf_forward(&p, &a, ids, mask, TF_B); /* with the final weights */
    nn_softmax_forward(a.probs, a.logits, TF_B, TF_K);
    int correct = 0;
    for (int b = 0; b < TF_B; b++) {
        int best = 0;
        for (int k = 1; k < TF_K; k++)
            if (a.probs[b * TF_K + k] > a.probs[b * TF_K + best]) best = k;
        correct += best == labels[b];
    }
    CHECKF(correct == TF_B, "transformer: all %d training sequences classified (%d)", TF_B, correct);
    /* padding is ignored: changing padded tokens leaves the output unchanged */
    float before[TF_B * TF_K];
    memcpy(before, a.logits, sizeof before);
    for (int i = 0; i < TF_B * TF_T; i++)
        if (!mask[i]) ids[i] = 5;
    tf_forward(&p, &a, ids, mask, TF_B);
    CHECKF(memcmp(before, a.logits, sizeof before) == 0, "transformer output ignores the content of padding");
    free(values), free(grads), free(m), free(v), free(acts), free(dacts), free(scratch);
}

/* ==== 3. optimizer, schedule, clipping, initialisation, threads ===================== */

static void test_adamw_by_hand(void)
{
    /* two steps on 3 values, lr 0.1, weight decay 0.01, betas 0.9 / 0.999,
     * eps 1e-8. Expected values worked through the update rule
     *   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
     *   p -= lr (m/(1-b1^t) / (sqrt(v/(1-b2^t)) + eps) + wd p)
     * in double precision. Step 1 reduces to p -= lr (sign(g) + wd p):
     * 1 -> 1 - 0.1 (1 + 0.01) = 0.899, -2 -> -2 - 0.1 (-1 - 0.02) = -1.898,
     * 0.5 (g = 0) -> 0.5 - 0.1 (0.005) = 0.4995. */
    float p[3] = {1.0f, -2.0f, 0.5f}, m[3] = {0}, v[3] = {0};
    float g1[3] = {0.1f, -0.2f, 0.0f}, g2[3] = {0.3f, 0.1f, -0.4f};
    nn_adamw_params ap = nn_adamw_default_params();
    CHECK(ap.beta1 == 0.9f && ap.beta2 == 0.999f && ap.eps == 1e-8f);
    nn_adamw_update(p, g1, m, v, 3, 0.1f, 0.01f, &ap, 1);
    double want1[3] = {0.89900001, -1.898, 0.4995};
    for (int i = 0; i < 3; i++) CHECKF(fabs(p[i] - want1[i]) < 1e-6, "adamw step 1 p[%d] = %.9g, want %.9g", i, p[i], want1[i]);
    nn_adamw_update(p, g2, m, v, 3, 0.1f, 0.01f, &ap, 2);
    double want2[3] = {0.806322902, -1.8694683, 0.57341418};
    for (int i = 0; i < 3; i++) CHECKF(fabs(p[i] - want2[i]) < 2e-6, "adamw step 2 p[%d] = %.9g, want %.9g", i, p[i], want2[i]);
    /* float arithmetic: 1 - 0.999f is 0.000999987, hence the relative bound */
    CHECKF(fabsf(m[0] - 0.039f) < 1e-7f && fabsf(v[2] - 1.6e-4f) < 1e-4f * 1.6e-4f, "adamw moments m %g v %g", m[0],
           v[2]);
}

static void test_schedule_and_clipping(void)
{
    /* warm-up 10, total 110, lr 1e-3 -> 1e-5 */
    struct {
        long step;
        double want;
    } cases[] = {{0, 1e-4}, {9, 1e-3}, {10, 1e-3}, {35, 0.000855017857}, {60, 0.000505}, {109, 1.02442526e-05},
                 {110, 1e-5}, {200, 1e-5}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        float lr = nn_lr_at(cases[i].step, 10, 110, 1e-3f, 1e-5f);
        CHECKF(fabs(lr - cases[i].want) < 1e-9 + 1e-6 * cases[i].want, "lr at step %ld = %.9g, want %.9g",
               cases[i].step, lr, cases[i].want);
    }
    /* no warm-up: the cosine starts at lr_max */
    CHECK(nn_lr_at(0, 0, 100, 1e-3f, 0.0f) == 1e-3f);
    /* monotone decay after warm-up */
    int mono = 1;
    for (long s = 11; s <= 110; s++) mono &= nn_lr_at(s, 10, 110, 1e-3f, 1e-5f) <= nn_lr_at(s - 1, 10, 110, 1e-3f, 1e-5f);
    CHECKF(mono, "the learning rate never rises after warm-up");

    float g[4] = {3.0f, 0.0f, -4.0f, 0.0f};
    float norm = nn_clip_grad_norm(g, 4, 1.0f);
    CHECKF(norm == 5.0f, "norm before clipping = 5 (%g)", norm);
    CHECKF(fabsf(g[0] - 0.6f) < 1e-7f && fabsf(g[2] + 0.8f) < 1e-7f, "clipped to (0.6, -0.8)");
    CHECKF(fabsf(nn_grad_norm(g, 4) - 1.0f) < 1e-6f, "clipping caps the norm at 1");
    float h[2] = {0.3f, 0.4f};
    nn_clip_grad_norm(h, 2, 1.0f);
    CHECKF(h[0] == 0.3f && h[1] == 0.4f, "a norm below the cap is left alone");
}

typedef struct {
    float *w, *b, *ln, *emb;
} init_params;

static void test_init_and_layout(void)
{
    nn_layout L;
    init_params p, q;
    nn_layout_init(&L);
    nn_layout_add(&L, &p, &p.w, "w", 64 * 32, nn_xavier(32, 64));
    nn_layout_add(&L, &p, &p.b, "b", 64, nn_zeros());
    nn_layout_add(&L, &p, &p.ln, "ln", 64, nn_constant(1.0f));
    nn_layout_add(&L, &p, &p.emb, "emb", 1000, nn_normal(0.02f));
    CHECK(L.total == 64 * 32 + 64 + 64 + 1000 && L.n == 4 && !L.overflow);
    float *a = alloc_floats(L.total), *b = alloc_floats(L.total), *c = alloc_floats(L.total);
    nn_layout_init_values(&L, a, 1);
    nn_layout_init_values(&L, b, 1);
    nn_layout_init_values(&L, c, 2);
    CHECKF(memcmp(a, b, L.total * sizeof(float)) == 0, "the same seed gives the same values");
    CHECKF(memcmp(a, c, 64 * 32 * sizeof(float)) != 0, "another seed gives other values");
    /* pointers into the buffer, the same field of another struct into another buffer */
    nn_layout_bind(&L, &p, a);
    nn_layout_bind(&L, &q, c);
    CHECK(p.w == a && p.b == a + 2048 && p.ln == a + 2112 && p.emb == a + 2176 && q.emb == c + 2176);
    /* rules: xavier bound sqrt(6/96) = 0.25, zeros, ones, normal std 0.02 */
    float mx = 0;
    for (int i = 0; i < 2048; i++) mx = fmaxf(mx, fabsf(p.w[i]));
    CHECKF(mx <= 0.25f && mx > 0.2f, "xavier values within +-0.25 and spread out (max %g)", mx);
    int ok = 1;
    for (int i = 0; i < 64; i++) ok &= p.b[i] == 0.0f && p.ln[i] == 1.0f;
    CHECK(ok);
    double s = 0, s2 = 0;
    for (int i = 0; i < 1000; i++) s += p.emb[i], s2 += (double)p.emb[i] * p.emb[i];
    double sd = sqrt(s2 / 1000 - (s / 1000) * (s / 1000));
    CHECKF(fabs(sd - 0.02) < 0.003 && fabs(s / 1000) < 0.003, "normal init: std %g (0.02), mean %g", sd, s / 1000);
    /* a tensor added at the end changes none of the others */
    init_params r;
    nn_layout L2 = L;
    float *extra = NULL;
    nn_layout_add(&L2, &r, &extra, "extra", 10, nn_uniform(1.0f));
    float *d = alloc_floats(L2.total);
    nn_layout_init_values(&L2, d, 1);
    CHECKF(memcmp(a, d, L.total * sizeof(float)) == 0, "appending a tensor keeps the others' initial values");
    /* AdamW decays weights, not biases or gains: with zero gradients only
     * the decayed tensors move */
    float *zero = alloc_floats(L.total), *m = alloc_floats(L.total), *v = alloc_floats(L.total);
    nn_adamw_params ap = nn_adamw_default_params();
    memcpy(b, a, L.total * sizeof(float));
    nn_adamw_step(&L, b, zero, m, v, 0.1f, &ap, 1);
    CHECKF(b[0] == a[0] * (1.0f - 0.1f * 0.01f) || fabsf(b[0] - a[0] * 0.999f) < 1e-7f, "weights decay");
    CHECKF(b[2112] == 1.0f && b[2048] == 0.0f, "gains and biases do not decay");
    /* overflow is flagged, not written past the table */
    nn_layout big;
    nn_layout_init(&big);
    for (int i = 0; i < NN_MAX_TENSORS + 3; i++) nn_layout_add(&big, &p, &p.w, "w", 1, nn_zeros());
    CHECK(big.overflow && big.n == NN_MAX_TENSORS);
    /* generator: uniform in [0,1), normal with unit variance */
    nn_rng rng;
    nn_rng_seed(&rng, 123);
    double su = 0, sn = 0, sn2 = 0;
    int in_range = 1;
    for (int i = 0; i < 20000; i++) {
        float u = nn_rng_uniform(&rng);
        in_range &= u >= 0.0f && u < 1.0f;
        su += u;
        float z = nn_rng_normal(&rng);
        sn += z, sn2 += (double)z * z;
    }
    CHECKF(in_range && fabs(su / 20000 - 0.5) < 0.01, "uniform mean %g", su / 20000);
    CHECKF(fabs(sn / 20000) < 0.03 && fabs(sn2 / 20000 - 1.0) < 0.05, "normal mean %g var %g", sn / 20000,
           sn2 / 20000);
    free(a), free(b), free(c), free(d), free(zero), free(m), free(v);
}

typedef struct {
    int runs[64];
    int thread_of[64];
} pf_ctx;

static void pf_task(void *ctx, int task, int thread)
{
    pf_ctx *c = ctx;
    c->runs[task]++;
    c->thread_of[task] = thread;
}

static void test_parallel_for(void)
{
    for (int nt = 1; nt <= 3; nt++) {
        pf_ctx c;
        memset(&c, 0, sizeof c);
        nn_parallel_for(nt, 37, pf_task, &c);
        int once = 1, placed = 1;
        for (int i = 0; i < 37; i++) {
            once &= c.runs[i] == 1;
            placed &= c.thread_of[i] == i % nt;
        }
        CHECKF(once && placed, "parallel for on %d threads: every task once, task i on thread i %% %d", nt, nt);
    }
    float a[3] = {1, 2, 3}, b[3] = {10, 20, 30}, d[3];
    const float *src[2] = {a, b};
    nn_sum_into(d, src, 2, 3);
    CHECK(d[0] == 11 && d[1] == 22 && d[2] == 33);
    CHECK(nn_cpu_count() >= 1);
}

static char last_log[1024];
static int n_warnings;
static void log_cb(as_log_level level, const char *msg, void *user)
{
    (void)user;
    if (level == AS_LOG_WARN) {
        n_warnings++;
        snprintf(last_log, sizeof last_log, "%s", msg);
    }
}

int main(void)
{
    /* the backward products on one BLAS thread; the data-parallel test
     * brings its own threads. On a CPU OpenBLAS does not recognise the call
     * says so through the log callback. */
    printf("test_nn_train:\n");
    as_log_set(log_cb, NULL);
    nn_set_blas_threads(1);
    as_log_set(NULL, NULL);
    int slow = strcmp(nn_blas_core(), "Prescott") == 0 && strcmp(nn_kernel_name(), "portable") != 0;
    printf("  OpenBLAS kernels: %s, forward kernel: %s%s\n", nn_blas_core(), nn_kernel_name(),
           slow ? " (OpenBLAS fallback: warned)" : "");
    if (slow) CHECKF(n_warnings == 1 && strstr(last_log, "OPENBLAS_CORETYPE="), "fallback warning: %s", last_log);
    else CHECKF(n_warnings == 0, "no warning when OpenBLAS runs its own kernels (%s)", last_log);
    test_adamw_by_hand();
    test_schedule_and_clipping();
    test_init_and_layout();
    test_parallel_for();
    test_conv_film_overfit();
    test_transformer_overfit();
    return test_finish("test_nn_train");
}
