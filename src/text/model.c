/* text/model.c — the micro transformer of the text emotion classifier
 * ("MicroALBERT"), in the llm.c style of STYLE.md, built from src/nn layers:
 *
 *   ids -> token embedding (V x E) + position embedding (T_max x E)
 *       -> layernorm -> linear E -> D                (ALBERT's factorisation)
 *       -> [ x = LN(x + Attn(x)); x = LN(x + FFN(x)) ] x layers, one set of
 *          block weights shared by every pass        (ALBERT's sharing)
 *       -> the [CLS] row -> 16 class logits, 3 VAD logits (sigmoid)
 *
 * (Lan et al., "ALBERT: A Lite BERT for Self-supervised Learning of Language
 * Representations", ICLR 2020, sec. 3.1; post-LN blocks as in BERT, Devlin
 * et al. 2019; GELU feed-forward.) The training forward and backward work on
 * padded batches; tc_infer runs one unpadded sequence and, in the last pass,
 * only the [CLS] row after attention (nothing else reaches the heads).
 * Also here: how a dialogue becomes one token sequence (tc_build_input). */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "text/text_internal.h"

const char *const tc_hparam_names[TC_NUM_HPARAMS] = {"vocab", "embd", "dim", "ffn", "heads", "layers", "max_len"};

void tc_config_to_hparams(const tc_config *c, int32_t *h)
{
    h[0] = c->vocab, h[1] = c->embd, h[2] = c->dim, h[3] = c->ffn, h[4] = c->heads, h[5] = c->layers,
    h[6] = c->max_len;
}

void tc_config_from_hparams(tc_config *c, const int32_t *h)
{
    c->vocab = h[0], c->embd = h[1], c->dim = h[2], c->ffn = h[3], c->heads = h[4], c->layers = h[5],
    c->max_len = h[6];
}

as_result tc_config_check(const tc_config *c)
{
    if (c->vocab < TC_FIRST_MERGE || c->vocab > TC_FIRST_MERGE + TC_MAX_MERGES || c->embd < 1 || c->embd > 1024 ||
        c->dim < 1 || c->dim > 1024 || c->ffn < 1 || c->ffn > 4096 || c->heads < 1 || c->dim % c->heads ||
        c->layers < 1 || c->layers > TC_MAX_LAYERS || c->max_len < 8 || c->max_len > 512)
        return as_fail(AS_ERR_RANGE,
                       "classifier: bad configuration vocab %d embd %d dim %d ffn %d heads %d layers %d max_len %d "
                       "(heads must divide dim; layers 1..%d; max_len 8..512)",
                       c->vocab, c->embd, c->dim, c->ffn, c->heads, c->layers, c->max_len, TC_MAX_LAYERS);
    return AS_OK;
}

void tc_layout(nn_layout *L, const tc_config *c)
{
    tc_params p;
    int V = c->vocab, E = c->embd, D = c->dim, F = c->ffn, T = c->max_len;
    nn_layout_init(L);
    /* embeddings N(0, 0.02) as in BERT; linear layers Xavier-uniform */
    nn_layout_add(L, &p, &p.wte, "wte", (size_t)V * E, nn_normal(0.02f));
    nn_layout_add(L, &p, &p.wpe, "wpe", (size_t)T * E, nn_normal(0.02f));
    nn_layout_add(L, &p, &p.eln_w, "eln_w", E, nn_constant(1.0f));
    nn_layout_add(L, &p, &p.eln_b, "eln_b", E, nn_zeros());
    nn_layout_add(L, &p, &p.proj_w, "proj_w", (size_t)D * E, nn_xavier(E, D));
    nn_layout_add(L, &p, &p.proj_b, "proj_b", D, nn_zeros());
    nn_layout_add(L, &p, &p.qkv_w, "qkv_w", (size_t)3 * D * D, nn_xavier(D, D));
    nn_layout_add(L, &p, &p.qkv_b, "qkv_b", (size_t)3 * D, nn_zeros());
    nn_layout_add(L, &p, &p.att_w, "att_w", (size_t)D * D, nn_xavier(D, D));
    nn_layout_add(L, &p, &p.att_b, "att_b", D, nn_zeros());
    nn_layout_add(L, &p, &p.ln1_w, "ln1_w", D, nn_constant(1.0f));
    nn_layout_add(L, &p, &p.ln1_b, "ln1_b", D, nn_zeros());
    nn_layout_add(L, &p, &p.fc_w, "fc_w", (size_t)F * D, nn_xavier(D, F));
    nn_layout_add(L, &p, &p.fc_b, "fc_b", F, nn_zeros());
    nn_layout_add(L, &p, &p.fc2_w, "fc2_w", (size_t)D * F, nn_xavier(F, D));
    nn_layout_add(L, &p, &p.fc2_b, "fc2_b", D, nn_zeros());
    nn_layout_add(L, &p, &p.ln2_w, "ln2_w", D, nn_constant(1.0f));
    nn_layout_add(L, &p, &p.ln2_b, "ln2_b", D, nn_zeros());
    nn_layout_add(L, &p, &p.cls_w, "cls_w", (size_t)TC_NUM_CLASSES * D, nn_xavier(D, TC_NUM_CLASSES));
    nn_layout_add(L, &p, &p.cls_b, "cls_b", TC_NUM_CLASSES, nn_zeros());
    nn_layout_add(L, &p, &p.vad_w, "vad_w", (size_t)3 * D, nn_xavier(D, 3));
    nn_layout_add(L, &p, &p.vad_b, "vad_b", 3, nn_zeros());
}

void tc_acts_layout(nn_layout *L, const tc_config *c, int B)
{
    tc_acts a;
    size_t bt = (size_t)B * c->max_len, D = (size_t)c->dim, E = (size_t)c->embd, F = (size_t)c->ffn;
    nn_layout_init(L);
    nn_layout_add(L, &a, &a.emb, "emb", bt * E, nn_zeros());
    nn_layout_add(L, &a, &a.embp, "embp", bt * E, nn_zeros());
    nn_layout_add(L, &a, &a.eln, "eln", bt * E, nn_zeros());
    nn_layout_add(L, &a, &a.eln_mean, "eln_mean", bt, nn_zeros());
    nn_layout_add(L, &a, &a.eln_rstd, "eln_rstd", bt, nn_zeros());
    nn_layout_add(L, &a, &a.x0, "x0", bt * D, nn_zeros());
    nn_layout_add(L, &a, &a.x0_mask, "x0_mask", bt * D, nn_zeros());
    for (int l = 0; l < c->layers; l++) {
        tc_block_acts *k = &a.blk[l];
        nn_layout_add(L, &a, &k->qkv, "qkv", bt * 3 * D, nn_zeros());
        nn_layout_add(L, &a, &k->att, "att", (size_t)B * c->heads * c->max_len * c->max_len, nn_zeros());
        nn_layout_add(L, &a, &k->atty, "atty", bt * D, nn_zeros());
        nn_layout_add(L, &a, &k->attp, "attp", bt * D, nn_zeros());
        nn_layout_add(L, &a, &k->attp_mask, "attp_mask", bt * D, nn_zeros());
        nn_layout_add(L, &a, &k->res1, "res1", bt * D, nn_zeros());
        nn_layout_add(L, &a, &k->ln1, "ln1", bt * D, nn_zeros());
        nn_layout_add(L, &a, &k->ln1_mean, "ln1_mean", bt, nn_zeros());
        nn_layout_add(L, &a, &k->ln1_rstd, "ln1_rstd", bt, nn_zeros());
        nn_layout_add(L, &a, &k->fch, "fch", bt * F, nn_zeros());
        nn_layout_add(L, &a, &k->fcg, "fcg", bt * F, nn_zeros());
        nn_layout_add(L, &a, &k->fco, "fco", bt * D, nn_zeros());
        nn_layout_add(L, &a, &k->fco_mask, "fco_mask", bt * D, nn_zeros());
        nn_layout_add(L, &a, &k->res2, "res2", bt * D, nn_zeros());
        nn_layout_add(L, &a, &k->ln2, "ln2", bt * D, nn_zeros());
        nn_layout_add(L, &a, &k->ln2_mean, "ln2_mean", bt, nn_zeros());
        nn_layout_add(L, &a, &k->ln2_rstd, "ln2_rstd", bt, nn_zeros());
    }
    nn_layout_add(L, &a, &a.pooled, "pooled", (size_t)B * D, nn_zeros());
    nn_layout_add(L, &a, &a.pooled_mask, "pooled_mask", (size_t)B * D, nn_zeros());
    nn_layout_add(L, &a, &a.logits, "logits", (size_t)B * TC_NUM_CLASSES, nn_zeros());
    nn_layout_add(L, &a, &a.probs, "probs", (size_t)B * TC_NUM_CLASSES, nn_zeros());
    nn_layout_add(L, &a, &a.vad_logits, "vad_logits", (size_t)B * 3, nn_zeros());
}

/* Dropout as a pass that always fills the mask (all ones when p = 0), so the
 * backward is the same code at any p. */
static void dropout(float *out, float *mask, const float *inp, size_t n, float p, nn_rng *rng)
{
    if (p > 0.0f) {
        nn_dropout_forward(out, mask, inp, n, p, rng);
    } else {
        for (size_t i = 0; i < n; i++) mask[i] = 1.0f;
        if (out != inp) memcpy(out, inp, n * sizeof(float));
    }
}

void tc_forward(const tc_config *c, const tc_params *p, tc_acts *a, const int *ids, const uint8_t *mask, int B, int T,
                float p_drop, nn_rng *rng)
{
    int N = B * T, E = c->embd, D = c->dim, F = c->ffn;
    /* factorised embeddings: V x E table, positions, layernorm, E -> D */
    nn_embedding_forward(a->emb, ids, p->wte, N, E, c->vocab);
    nn_posemb_forward(a->embp, a->emb, p->wpe, B, T, E);
    nn_layernorm_forward(a->eln, a->eln_mean, a->eln_rstd, a->embp, p->eln_w, p->eln_b, N, E);
    nn_matmul_forward(a->x0, a->eln, p->proj_w, p->proj_b, N, E, D);
    dropout(a->x0, a->x0_mask, a->x0, (size_t)N * D, p_drop, rng);
    const float *x = a->x0;
    for (int l = 0; l < c->layers; l++) {
        tc_block_acts *k = &a->blk[l];
        /* x = LN(x + Dropout(Attn(x))), padding never attended */
        nn_matmul_forward(k->qkv, x, p->qkv_w, p->qkv_b, N, D, 3 * D);
        nn_attention_forward(k->atty, k->att, k->qkv, mask, B, T, D, c->heads, 0);
        nn_matmul_forward(k->attp, k->atty, p->att_w, p->att_b, N, D, D);
        dropout(k->attp, k->attp_mask, k->attp, (size_t)N * D, p_drop, rng);
        nn_residual_forward(k->res1, x, k->attp, (size_t)N * D);
        nn_layernorm_forward(k->ln1, k->ln1_mean, k->ln1_rstd, k->res1, p->ln1_w, p->ln1_b, N, D);
        /* x = LN(x + Dropout(W2 GELU(W1 x))) */
        nn_matmul_forward(k->fch, k->ln1, p->fc_w, p->fc_b, N, D, F);
        nn_gelu_forward(k->fcg, k->fch, (size_t)N * F);
        nn_matmul_forward(k->fco, k->fcg, p->fc2_w, p->fc2_b, N, F, D);
        dropout(k->fco, k->fco_mask, k->fco, (size_t)N * D, p_drop, rng);
        nn_residual_forward(k->res2, k->ln1, k->fco, (size_t)N * D);
        nn_layernorm_forward(k->ln2, k->ln2_mean, k->ln2_rstd, k->res2, p->ln2_w, p->ln2_b, N, D);
        x = k->ln2;
    }
    /* [CLS] pooling: token 0 of every sequence */
    nn_select_forward(a->pooled, x, NULL, B, T, D);
    dropout(a->pooled, a->pooled_mask, a->pooled, (size_t)B * D, p_drop, rng);
    nn_matmul_forward(a->logits, a->pooled, p->cls_w, p->cls_b, B, D, TC_NUM_CLASSES);
    nn_matmul_forward(a->vad_logits, a->pooled, p->vad_w, p->vad_b, B, D, 3);
}

void tc_backward(const tc_config *c, const tc_params *p, tc_params *g, const tc_acts *a, tc_acts *da, const int *ids,
                 int B, int T, float *scratch)
{
    int N = B * T, E = c->embd, D = c->dim, F = c->ffn, Lc = c->layers;
    nn_matmul_backward(da->pooled, g->cls_w, g->cls_b, da->logits, a->pooled, p->cls_w, B, D, TC_NUM_CLASSES);
    nn_matmul_backward(da->pooled, g->vad_w, g->vad_b, da->vad_logits, a->pooled, p->vad_w, B, D, 3);
    /* dropout in place in the forward: backward multiplies by the mask; the
     * select backward needs a separate buffer, so scale da->pooled itself */
    for (size_t i = 0; i < (size_t)B * D; i++) da->pooled[i] *= a->pooled_mask[i];
    nn_select_backward(da->blk[Lc - 1].ln2, da->pooled, NULL, B, T, D);
    for (int l = Lc - 1; l >= 0; l--) {
        const tc_block_acts *k = &a->blk[l];
        tc_block_acts *dk = &da->blk[l];
        const float *x = l ? a->blk[l - 1].ln2 : a->x0;
        float *dx = l ? da->blk[l - 1].ln2 : da->x0;
        /* the shared weights collect the gradient of every pass */
        nn_layernorm_backward(dk->res2, g->ln2_w, g->ln2_b, dk->ln2, k->res2, p->ln2_w, k->ln2_mean, k->ln2_rstd, N,
                              D);
        nn_residual_backward(dk->ln1, dk->fco, dk->res2, (size_t)N * D);
        for (size_t i = 0; i < (size_t)N * D; i++) dk->fco[i] *= k->fco_mask[i];
        nn_matmul_backward(dk->fcg, g->fc2_w, g->fc2_b, dk->fco, k->fcg, p->fc2_w, N, F, D);
        nn_gelu_backward(dk->fch, dk->fcg, k->fch, (size_t)N * F);
        nn_matmul_backward(dk->ln1, g->fc_w, g->fc_b, dk->fch, k->ln1, p->fc_w, N, D, F);
        nn_layernorm_backward(dk->res1, g->ln1_w, g->ln1_b, dk->ln1, k->res1, p->ln1_w, k->ln1_mean, k->ln1_rstd, N,
                              D);
        nn_residual_backward(dx, dk->attp, dk->res1, (size_t)N * D);
        for (size_t i = 0; i < (size_t)N * D; i++) dk->attp[i] *= k->attp_mask[i];
        nn_matmul_backward(dk->atty, g->att_w, g->att_b, dk->attp, k->atty, p->att_w, N, D, D);
        nn_attention_backward(dk->qkv, scratch, dk->atty, k->qkv, k->att, B, T, D, c->heads);
        nn_matmul_backward(dx, g->qkv_w, g->qkv_b, dk->qkv, x, p->qkv_w, N, D, 3 * D);
    }
    for (size_t i = 0; i < (size_t)N * D; i++) da->x0[i] *= a->x0_mask[i];
    nn_matmul_backward(da->eln, g->proj_w, g->proj_b, da->x0, a->eln, p->proj_w, N, E, D);
    nn_layernorm_backward(da->embp, g->eln_w, g->eln_b, da->eln, a->embp, p->eln_w, a->eln_mean, a->eln_rstd, N, E);
    nn_posemb_backward(da->emb, g->wpe, da->embp, B, T, E);
    nn_embedding_backward(g->wte, da->emb, ids, N, E, c->vocab);
}

/* ---- inference -------------------------------------------------------------- */

size_t tc_infer_floats(const tc_config *c)
{
    size_t T = (size_t)c->max_len, D = (size_t)c->dim, E = (size_t)c->embd, F = (size_t)c->ffn;
    /* emb (T,E), mean/rstd (T) x2, x (T,D), qkv (T,3D), att (NH,T,T), y (T,D), tmp (T,D), h (T,F) */
    return T * E + 2 * T + T * D + T * 3 * D + (size_t)c->heads * T * T + 2 * T * D + T * F + 64;
}

void tc_infer(const tc_config *c, const tc_params *p, const int *ids, int T, float *work, float *logits, float *vad)
{
    int E = c->embd, D = c->dim, F = c->ffn;
    float *emb = work;                              // (T, E)
    float *mean = emb + (size_t)T * E;              // (T)
    float *rstd = mean + T;                         // (T)
    float *x = rstd + T;                            // (T, D) the running state
    float *qkv = x + (size_t)T * D;                 // (T, 3D)
    float *att = qkv + (size_t)T * 3 * D;           // (NH, T, T)
    float *y = att + (size_t)c->heads * T * T;      // (T, D)
    float *tmp = y + (size_t)T * D;                 // (T, D)
    float *h = tmp + (size_t)T * D;                 // (T, F)
    nn_embedding_forward(emb, ids, p->wte, T, E, c->vocab);
    nn_posemb_forward(emb, emb, p->wpe, 1, T, E);
    nn_layernorm_forward(emb, mean, rstd, emb, p->eln_w, p->eln_b, T, E);
    nn_matmul_forward(x, emb, p->proj_w, p->proj_b, T, E, D);
    for (int l = 0; l < c->layers; l++) {
        /* in the last pass only row 0 ([CLS]) goes on after attention: the
         * other rows would reach no head */
        int R = l == c->layers - 1 ? 1 : T;
        nn_matmul_forward(qkv, x, p->qkv_w, p->qkv_b, T, D, 3 * D);
        nn_attention_forward(y, att, qkv, NULL, 1, T, D, c->heads, 0);
        nn_matmul_forward(tmp, y, p->att_w, p->att_b, R, D, D);
        nn_residual_forward(x, x, tmp, (size_t)R * D);
        nn_layernorm_forward(x, mean, rstd, x, p->ln1_w, p->ln1_b, R, D);
        nn_matmul_forward(h, x, p->fc_w, p->fc_b, R, D, F);
        nn_gelu_forward(h, h, (size_t)R * F);
        nn_matmul_forward(tmp, h, p->fc2_w, p->fc2_b, R, F, D);
        nn_residual_forward(x, x, tmp, (size_t)R * D);
        nn_layernorm_forward(x, mean, rstd, x, p->ln2_w, p->ln2_b, R, D);
    }
    nn_matmul_forward(logits, x, p->cls_w, p->cls_b, 1, D, TC_NUM_CLASSES);
    nn_matmul_forward(vad, x, p->vad_w, p->vad_b, 1, D, 3);
    nn_sigmoid_forward(vad, vad, 3);
}

/* ---- dialogue -> tokens ------------------------------------------------------ */

int tc_build_input(const tc_tokenizer *tok, int max_len, const tc_turn *context, int n_context, const char *text,
                   size_t len, int *ids, int *truncated)
{
    /* the current turn first (it has priority), at the end of the sequence */
    int cur[512], n_total = 0, trunc = 0;
    int cur_max = max_len - 3; /* [CLS], [SEP], [SELF] */
    if (cur_max > 512) cur_max = 512;
    int n_cur = tc_encode(tok, text, len, cur, cur_max, 0, &n_total);
    trunc |= n_total > n_cur;
    int budget = max_len - 3 - n_cur;
    if (n_context > TC_MAX_CONTEXT) context += n_context - TC_MAX_CONTEXT, n_context = TC_MAX_CONTEXT;
    /* context: newest turn first, each keeps its last tokens; laid out oldest first */
    int ctx_len[TC_MAX_CONTEXT] = {0}, ctx_ids[TC_MAX_CONTEXT][512];
    for (int i = n_context - 1; i >= 0 && budget > 1; i--) {
        int want = budget - 1 > 512 ? 512 : budget - 1;
        ctx_len[i] = tc_encode(tok, context[i].text, context[i].len, ctx_ids[i], want, 1, NULL);
        budget -= ctx_len[i] + 1;
    }
    int T = 0;
    ids[T++] = TC_CLS;
    for (int i = 0; i < n_context; i++) {
        if (!ctx_len[i]) continue;
        ids[T++] = context[i].same_speaker ? TC_SELF : TC_OTHER;
        memcpy(ids + T, ctx_ids[i], sizeof(int) * (size_t)ctx_len[i]);
        T += ctx_len[i];
    }
    ids[T++] = TC_SEP;
    ids[T++] = TC_SELF;
    memcpy(ids + T, cur, sizeof(int) * (size_t)n_cur);
    T += n_cur;
    if (truncated) *truncated = trunc;
    return T;
}
