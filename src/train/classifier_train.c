/* train/classifier_train.c — trains the text emotion classifier
 * (MicroALBERT, src/text/model.c) on the scenario corpus, and evaluates it.
 * (It reads the text stage's internals: training sits beside the model it
 * trains; the library is one unit, the stage folders order the runtime.)
 *
 * Examples: every turn of the corpus (SELF and OTHER: each is the "current"
 * turn of its speaker) with up to 2 previous turns of its scenario as
 * context; at training time the context is dropped with probability
 * ctx_drop, or cut to one turn with the same probability, so the model also
 * reads sentences alone (as `say` gives them). Labels: the class (softmax
 * cross-entropy, classes weighted by sqrt(mean count / count) for the
 * macro-F1) and V, A, D (sigmoid + binary cross-entropy on 0..1 targets).
 *
 * Teacher: trained on the labels. Student: distilled from a teacher
 * (Hinton, Vinyals & Dean, "Distilling the Knowledge in a Neural Network",
 * arXiv:1503.02531, 2015): alpha * tau^2 KL(teacher || student) at
 * temperature tau + (1 - alpha) * the label loss; the VAD target is the mean
 * of the label and the teacher's VAD.
 *
 * Optimisation: AdamW, linear warm-up then cosine decay, global-norm
 * clipping, dropout; each batch is split into 2 fixed shards run by
 * nn_parallel_for and summed in shard order, so a run gives the same bits on
 * 1 or 2 threads. Seeded: the same seed, data and threads-independent shards
 * give the same model. After every epoch: validation macro-F1, the best
 * epoch's model written to out_path, a checkpoint (weights + AdamW moments)
 * to checkpoint_path, and a progress line. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "animasync/nn.h"
#include "core/internal.h"
#include "train/classifier_train.h"

#define N_SHARDS 2

tc_train_params tc_train_default_params(void)
{
    tc_train_params p;
    memset(&p, 0, sizeof p);
    p.data_dir = "data/scenarios";
    p.merges = 3000;
    p.cfg = (tc_config){0, 96, 192, 384, 4, 4, 64};
    p.epochs = 20;
    p.batch = 32;
    p.lr = 1e-3f;
    p.lr_min = 1e-5f;
    p.warmup_frac = 0.05f;
    p.weight_decay = 0.01f;
    p.clip = 1.0f;
    p.dropout = 0.1f;
    p.ctx_drop = 0.25f;
    p.vad_weight = 1.0f;
    p.alpha = 0.7f;
    p.temperature = 2.0f;
    p.seed = 1;
    p.threads = 1;
    return p;
}

static void progress(const tc_train_params *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(const tc_train_params *p, const char *fmt, ...)
{
    if (!p->progress) return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    p->progress(line, p->user_data);
}

/* ---- examples ----------------------------------------------------------------- */

/* Builds the ids of turn i of the corpus with n_ctx context turns. */
static int example_ids(const as_corpus *c, const tc_tokenizer *tok, int max_len, size_t i, int n_ctx, int *ids)
{
    const as_corpus_turn *t = as_corpus_turn_at(c, i);
    tc_turn ctx[TC_MAX_CONTEXT];
    int n = 0;
    for (int k = n_ctx; k >= 1; k--) {
        if ((size_t)k > t->index) continue;
        const as_corpus_turn *pt = as_corpus_turn_at(c, i - (size_t)k);
        ctx[n++] = (tc_turn){pt->text, strlen(pt->text), pt->speaker == t->speaker};
    }
    return tc_build_input(tok, max_len, ctx, n, t->text, strlen(t->text), ids, NULL);
}

/* ---- evaluation ----------------------------------------------------------------- */

static float pearson(const double *s)
{
    /* s: n, sum x, sum y, sum xx, sum yy, sum xy */
    double n = s[0], cov = s[5] - s[1] * s[2] / n, vx = s[3] - s[1] * s[1] / n, vy = s[4] - s[2] * s[2] / n;
    return vx > 0 && vy > 0 ? (float)(cov / sqrt(vx * vy)) : 0.0f;
}

static as_result evaluate_parts(const tc_config *cfg, const tc_params *prm, const tc_tokenizer *tok,
                                const as_corpus *c, as_split split, tc_eval_report *out)
{
    memset(out, 0, sizeof *out);
    float *work = as_malloc(tc_infer_floats(cfg) * sizeof(float));
    int *ids = as_malloc((size_t)cfg->max_len * sizeof(int));
    if (!work || !ids) {
        as_free(work), as_free(ids);
        return as_fail(AS_ERR_NOMEM, "evaluate: out of memory");
    }
    size_t tp[AS_NUM_EMOTIONS] = {0}, fp[AS_NUM_EMOTIONS] = {0}, fn[AS_NUM_EMOTIONS] = {0}, correct = 0;
    double st[3][6] = {{0}};
    for (size_t i = 0; i < as_corpus_turn_count(c); i++) {
        const as_corpus_turn *t = as_corpus_turn_at(c, i);
        if (as_corpus_scenario_at(c, t->scenario)->split != split) continue;
        int T = example_ids(c, tok, cfg->max_len, i, TC_MAX_CONTEXT, ids);
        float logits[TC_NUM_CLASSES], vad[3];
        tc_infer(cfg, prm, ids, T, work, logits, vad);
        int best = 0;
        for (int k = 1; k < TC_NUM_CLASSES; k++)
            if (logits[k] > logits[best]) best = k;
        int y = (int)t->emotion;
        out->support[y]++;
        if (best == y) tp[y]++, correct++;
        else fp[best]++, fn[y]++;
        float lab[3] = {t->vad.v, t->vad.a, t->vad.d};
        for (int d = 0; d < 3; d++) {
            double x = vad[d], yv = lab[d];
            st[d][0] += 1, st[d][1] += x, st[d][2] += yv, st[d][3] += x * x, st[d][4] += yv * yv, st[d][5] += x * yv;
            out->mae[d] += fabsf(vad[d] - lab[d]);
        }
        out->n++;
    }
    int classes = 0;
    double f1sum = 0;
    for (int k = 0; k < AS_NUM_EMOTIONS; k++) {
        size_t den = 2 * tp[k] + fp[k] + fn[k];
        out->f1[k] = den ? (float)(2.0 * (double)tp[k] / (double)den) : 0.0f;
        if (out->support[k]) f1sum += out->f1[k], classes++;
    }
    out->macro_f1 = classes ? (float)(f1sum / classes) : 0.0f;
    out->accuracy = out->n ? (float)correct / (float)out->n : 0.0f;
    for (int d = 0; d < 3; d++) {
        out->pearson[d] = out->n > 1 ? pearson(st[d]) : 0.0f;
        if (out->n) out->mae[d] /= (float)out->n;
    }
    as_free(work), as_free(ids);
    return AS_OK;
}

as_result tc_evaluate(const as_classifier *m, const as_corpus *c, as_split split, tc_eval_report *out)
{
    const tc_config *cfg;
    const tc_params *prm;
    const tc_tokenizer *tok;
    if (!c || !out) return as_fail(AS_ERR_INVALID_ARG, "evaluate: NULL corpus or report");
    as_result r = tc_classifier_parts(m, &cfg, &prm, &tok);
    if (r) return r;
    return evaluate_parts(cfg, prm, tok, c, split, out);
}

/* ---- the trainer state -------------------------------------------------------- */

typedef struct {
    /* model */
    tc_config cfg;
    nn_layout L, LA;
    float *values, *m, *v;       /* (L.total) */
    float *grads[N_SHARDS];      /* (L.total) per shard */
    float *acts[N_SHARDS], *dacts[N_SHARDS]; /* (LA.total) per shard */
    float *scratch[N_SHARDS];    /* (T_max, T_max) */
    tc_params p;
    /* teacher (distillation) */
    const tc_config *tcfg;
    const tc_params *tp;
    nn_layout TLA;
    float *tacts[N_SHARDS];
    /* one step's data */
    int B, T;                    /* per shard rows, tokens */
    int *ids[N_SHARDS];          /* (B, T_max) */
    uint8_t *mask[N_SHARDS];     /* (B, T_max) */
    int *labels[N_SHARDS];       /* (B) */
    float *vad[N_SHARDS];        /* (B, 3) */
    float *roww[N_SHARDS];       /* (B) class weights */
    float *soft[N_SHARDS];       /* (B, 16) teacher logits */
    nn_rng drop_rng[N_SHARDS];
    float loss_ce[N_SHARDS], loss_vad[N_SHARDS];
    const tc_train_params *prm;
} trainer;

static void shard_task(void *ctx, int s, int thread)
{
    (void)thread;
    trainer *tr = ctx;
    const tc_train_params *P = tr->prm;
    int B = tr->B, T = tr->T;
    tc_params g;
    tc_acts a, da;
    nn_layout_bind(&tr->L, &g, tr->grads[s]);
    nn_layout_bind(&tr->LA, &a, tr->acts[s]);
    nn_layout_bind(&tr->LA, &da, tr->dacts[s]);
    memset(tr->grads[s], 0, tr->L.total * sizeof(float));
    memset(tr->dacts[s], 0, tr->LA.total * sizeof(float));
    float *vad_target = tr->vad[s];
    float mixed[256 * 3];
    if (tr->tp) {
        /* the teacher's logits and VAD on the same inputs, no dropout */
        tc_acts ta;
        nn_layout_bind(&tr->TLA, &ta, tr->tacts[s]);
        tc_forward(tr->tcfg, tr->tp, &ta, tr->ids[s], tr->mask[s], B, T, 0.0f, NULL);
        memcpy(tr->soft[s], ta.logits, sizeof(float) * (size_t)B * TC_NUM_CLASSES);
        for (int i = 0; i < B * 3; i++) mixed[i] = 0.5f * (vad_target[i] + 1.0f / (1.0f + expf(-ta.vad_logits[i])));
        vad_target = mixed;
    }
    tc_forward(&tr->cfg, &tr->p, &a, tr->ids[s], tr->mask[s], B, T, P->dropout, &tr->drop_rng[s]);
    float scale = 1.0f / N_SHARDS;
    float label_w = tr->tp ? 1.0f - P->alpha : 1.0f;
    tr->loss_ce[s] = nn_softmax_xent_loss(da.logits, a.probs, a.logits, tr->labels[s], NULL, tr->roww[s], B,
                                          TC_NUM_CLASSES, scale * label_w);
    if (tr->tp)
        tr->loss_ce[s] = label_w * tr->loss_ce[s] +
                         P->alpha * nn_distill_loss(da.logits, a.logits, tr->soft[s], NULL, B, TC_NUM_CLASSES,
                                                    P->temperature, scale * P->alpha);
    tr->loss_vad[s] = nn_sigmoid_bce_loss(da.vad_logits, NULL, a.vad_logits, vad_target, NULL, B, 3,
                                          scale * P->vad_weight);
    tc_backward(&tr->cfg, &tr->p, &g, &a, &da, tr->ids[s], B, T, tr->scratch[s]);
}

static void trainer_free(trainer *tr)
{
    as_free(tr->values), as_free(tr->m), as_free(tr->v);
    for (int s = 0; s < N_SHARDS; s++) {
        as_free(tr->grads[s]), as_free(tr->acts[s]), as_free(tr->dacts[s]), as_free(tr->scratch[s]);
        as_free(tr->tacts[s]), as_free(tr->ids[s]), as_free(tr->mask[s]), as_free(tr->labels[s]);
        as_free(tr->vad[s]), as_free(tr->roww[s]), as_free(tr->soft[s]);
    }
}

static as_result save_model(const trainer *tr, const char *path, const unsigned char *vocab, size_t vocab_len)
{
    int32_t h[TC_NUM_HPARAMS];
    tc_config_to_hparams(&tr->cfg, h);
    return nn_weights_save(path, AS_NN_KIND_TEXT_CLASSIFIER, h, TC_NUM_HPARAMS, tr->values, tr->L.total, vocab,
                           vocab_len);
}

/* Checkpoint: hparams + epoch + step, values then m then v; the vocabulary
 * as extra bytes. */
static as_result save_checkpoint(const trainer *tr, const char *path, int epoch, long step, float best_f1,
                                 const unsigned char *vocab, size_t vocab_len)
{
    int32_t h[TC_NUM_HPARAMS + 3];
    tc_config_to_hparams(&tr->cfg, h);
    h[TC_NUM_HPARAMS] = epoch, h[TC_NUM_HPARAMS + 1] = (int32_t)step;
    memcpy(&h[TC_NUM_HPARAMS + 2], &best_f1, sizeof(float));
    size_t n = tr->L.total;
    float *all = as_malloc(3 * n * sizeof(float));
    if (!all) return as_fail(AS_ERR_NOMEM, "checkpoint: out of memory");
    memcpy(all, tr->values, n * sizeof(float));
    memcpy(all + n, tr->m, n * sizeof(float));
    memcpy(all + 2 * n, tr->v, n * sizeof(float));
    as_result r = nn_weights_save(path, AS_NN_KIND_TEXT_CLASSIFIER | AS_NN_KIND_CHECKPOINT, h, TC_NUM_HPARAMS + 3,
                                  all, 3 * n, vocab, vocab_len);
    as_free(all);
    return r;
}

as_result tc_train(const tc_train_params *P, tc_eval_report *best_out)
{
    if (!P || !P->data_dir || !P->out_path) return as_fail(AS_ERR_INVALID_ARG, "train-classifier: no data or output");
    if (P->batch < 2 || P->batch % N_SHARDS || P->batch / N_SHARDS > 256 || P->epochs < 1)
        return as_fail(AS_ERR_RANGE, "train-classifier: batch %d (even, 2..512), epochs %d (>= 1)", P->batch,
                       P->epochs);
    double t_start = as_now_s();
    as_result r = AS_OK;
    trainer tr;
    memset(&tr, 0, sizeof tr);
    tr.prm = P;
    tc_tokenizer tok;
    memset(&tok, 0, sizeof tok);
    as_classifier *teacher = NULL, *tok_src = NULL;
    unsigned char *vocab = NULL;
    size_t vocab_len = 0;
    size_t *order = NULL, *train_idx = NULL;
    int *lens = NULL;
    float class_w[AS_NUM_EMOTIONS];
    as_corpus *c = as_corpus_load(P->data_dir);
    if (!c) return as_fail(AS_ERR_PARSE, "%s", as_last_error());

    /* the training turns */
    size_t n_train = 0, n_turns = as_corpus_turn_count(c);
    train_idx = as_malloc(sizeof(size_t) * (n_turns ? n_turns : 1));
    order = as_malloc(sizeof(size_t) * (n_turns ? n_turns : 1));
    lens = as_malloc(sizeof(int) * (n_turns ? n_turns : 1));
    if (!train_idx || !order || !lens) {
        r = as_fail(AS_ERR_NOMEM, "train-classifier: out of memory");
        goto done;
    }
    size_t counts[AS_NUM_EMOTIONS] = {0};
    for (size_t i = 0; i < n_turns; i++) {
        const as_corpus_turn *t = as_corpus_turn_at(c, i);
        if (as_corpus_scenario_at(c, t->scenario)->split != AS_SPLIT_TRAIN) continue;
        train_idx[n_train++] = i;
        counts[t->emotion]++;
    }
    if (n_train < (size_t)P->batch) {
        r = as_fail(AS_ERR_RANGE, "train-classifier: %zu training turns, fewer than a batch", n_train);
        goto done;
    }
    /* class weights sqrt(mean / count), clamped to 0.5..3 */
    for (int k = 0; k < AS_NUM_EMOTIONS; k++) {
        double mean = (double)n_train / AS_NUM_EMOTIONS;
        class_w[k] = counts[k] ? as_clampf((float)sqrt(mean / (double)counts[k]), 0.5f, 3.0f) : 1.0f;
    }

    /* the tokenizer: reused from a model, or learned on the training turns */
    if (P->tokenizer_from) {
        tok_src = as_classifier_load(P->tokenizer_from);
        const tc_tokenizer *src;
        if (!tok_src) {
            r = as_fail(AS_ERR_PARSE, "%s", as_last_error());
            goto done;
        }
        tc_classifier_parts(tok_src, NULL, NULL, &src);
        r = tc_tokenizer_init(&tok, src->merges, src->n_merges);
    } else {
        const char **texts = as_malloc(sizeof(char *) * n_train);
        if (!texts) {
            r = as_fail(AS_ERR_NOMEM, "train-classifier: out of memory");
            goto done;
        }
        for (size_t i = 0; i < n_train; i++) texts[i] = as_corpus_turn_at(c, train_idx[i])->text;
        double t0 = as_now_s();
        r = tc_tokenizer_train(texts, n_train, P->merges, &tok);
        as_free(texts);
        if (!r) progress(P, "tokenizer: %d merges learned on %zu training turns (%d tokens) in %.1f s", tok.n_merges,
                         n_train, tc_vocab_size(&tok), as_now_s() - t0);
    }
    if (r) goto done;
    r = tc_tokenizer_serialize(&tok, &vocab, &vocab_len);
    if (r) goto done;

    tr.cfg = P->cfg;
    tr.cfg.vocab = tc_vocab_size(&tok);
    r = tc_config_check(&tr.cfg);
    if (r) goto done;
    if (P->teacher_path) {
        teacher = as_classifier_load(P->teacher_path);
        if (!teacher) {
            r = as_fail(AS_ERR_PARSE, "%s", as_last_error());
            goto done;
        }
        const tc_tokenizer *ttok;
        tc_classifier_parts(teacher, &tr.tcfg, &tr.tp, &ttok);
        if (ttok->n_merges != tok.n_merges ||
            memcmp(ttok->merges, tok.merges, sizeof(int32_t) * 2 * (size_t)tok.n_merges) ||
            tr.tcfg->max_len < tr.cfg.max_len) {
            r = as_fail(AS_ERR_INVALID_ARG, "train-classifier: the student must use the teacher's vocabulary "
                                            "(--tokenizer-from the teacher) and at most its max_len");
            goto done;
        }
    }

    /* buffers */
    tc_layout(&tr.L, &tr.cfg);
    tr.B = P->batch / N_SHARDS;
    tc_acts_layout(&tr.LA, &tr.cfg, tr.B);
    if (tr.tcfg) tc_acts_layout(&tr.TLA, tr.tcfg, tr.B);
    size_t n = tr.L.total, bt = (size_t)tr.B * tr.cfg.max_len;
    tr.values = as_malloc(n * sizeof(float));
    tr.m = as_calloc(n, sizeof(float));
    tr.v = as_calloc(n, sizeof(float));
    int ok = tr.values && tr.m && tr.v;
    for (int s = 0; s < N_SHARDS; s++) {
        tr.grads[s] = as_malloc(n * sizeof(float));
        tr.acts[s] = as_malloc(tr.LA.total * sizeof(float));
        tr.dacts[s] = as_malloc(tr.LA.total * sizeof(float));
        tr.scratch[s] = as_malloc((size_t)tr.cfg.max_len * tr.cfg.max_len * sizeof(float));
        if (tr.tcfg) tr.tacts[s] = as_malloc(tr.TLA.total * sizeof(float));
        tr.ids[s] = as_malloc(bt * sizeof(int));
        tr.mask[s] = as_malloc(bt);
        tr.labels[s] = as_malloc((size_t)tr.B * sizeof(int));
        tr.vad[s] = as_malloc((size_t)tr.B * 3 * sizeof(float));
        tr.roww[s] = as_malloc((size_t)tr.B * sizeof(float));
        tr.soft[s] = as_malloc((size_t)tr.B * TC_NUM_CLASSES * sizeof(float));
        ok = ok && tr.grads[s] && tr.acts[s] && tr.dacts[s] && tr.scratch[s] && (!tr.tcfg || tr.tacts[s]) &&
             tr.ids[s] && tr.mask[s] && tr.labels[s] && tr.vad[s] && tr.roww[s] && tr.soft[s];
    }
    if (!ok) {
        r = as_fail(AS_ERR_NOMEM, "train-classifier: out of memory");
        goto done;
    }
    nn_layout_init_values(&tr.L, tr.values, P->seed);
    nn_layout_bind(&tr.L, &tr.p, tr.values);

    long steps_per_epoch = (long)(n_train / (size_t)P->batch), total = steps_per_epoch * P->epochs, step = 0;
    long warmup = (long)(P->warmup_frac * (float)total);
    int first_epoch = 0;
    float best_f1 = -1.0f;
    if (P->resume && P->checkpoint_path) {
        nn_weights w;
        r = nn_weights_load(P->checkpoint_path, AS_NN_KIND_TEXT_CLASSIFIER | AS_NN_KIND_CHECKPOINT,
                            "start without --resume", &w);
        if (r) goto done;
        int32_t h[TC_NUM_HPARAMS];
        tc_config_to_hparams(&tr.cfg, h);
        if (w.n_hparams != TC_NUM_HPARAMS + 3 || memcmp(w.hparams, h, sizeof h) || w.n_values != 3 * n) {
            nn_weights_free(&w);
            r = as_fail(AS_ERR_PARSE, "%s: a checkpoint of another configuration", P->checkpoint_path);
            goto done;
        }
        memcpy(tr.values, w.values, n * sizeof(float));
        memcpy(tr.m, w.values + n, n * sizeof(float));
        memcpy(tr.v, w.values + 2 * n, n * sizeof(float));
        first_epoch = w.hparams[TC_NUM_HPARAMS];
        step = w.hparams[TC_NUM_HPARAMS + 1];
        memcpy(&best_f1, &w.hparams[TC_NUM_HPARAMS + 2], sizeof(float));
        nn_weights_free(&w);
        progress(P, "resumed from %s at epoch %d, step %ld (best validation macro-F1 %.4f)", P->checkpoint_path,
                 first_epoch, step, best_f1);
    }
    progress(P, "%s: %zu weights (%.2f MB), vocab %d, E %d, D %d, F %d, heads %d, layers %d, max_len %d; "
                "%zu training turns, %ld steps of %d; threads %d, blas %s",
             tr.tp ? "student" : "teacher", n, (double)n * 4 / 1048576.0, tr.cfg.vocab, tr.cfg.embd, tr.cfg.dim,
             tr.cfg.ffn, tr.cfg.heads, tr.cfg.layers, tr.cfg.max_len, n_train, total, P->batch, P->threads,
             nn_blas_core());

    for (size_t i = 0; i < n_train; i++)
        lens[i] = example_ids(c, &tok, tr.cfg.max_len, train_idx[i], TC_MAX_CONTEXT, tr.ids[0]);
    nn_adamw_params ap = nn_adamw_default_params();
    ap.weight_decay = P->weight_decay;
    nn_set_blas_threads(1);
    nn_rng data_rng;
    int *seq = as_malloc((size_t)P->batch * tr.cfg.max_len * sizeof(int)); // (batch, T_max)
    int *seq_len = as_malloc((size_t)P->batch * sizeof(int));             // (batch)
    if (!seq || !seq_len) {
        as_free(seq), as_free(seq_len);
        r = as_fail(AS_ERR_NOMEM, "train-classifier: out of memory");
        goto done;
    }
    int last_epoch = P->stop_after > 0 && first_epoch + P->stop_after < P->epochs ? first_epoch + P->stop_after
                                                                                   : P->epochs;
    for (int epoch = first_epoch; epoch < last_epoch && !r; epoch++) {
        double t_epoch = as_now_s();
        /* a fresh order per epoch (seeded by seed and epoch, so resuming
         * replays the same order), then sorted by length within chunks of 8
         * batches to cut padding */
        nn_rng_seed(&data_rng, P->seed * 7919u + (uint64_t)epoch);
        for (int s = 0; s < N_SHARDS; s++) /* dropout too, so a resumed run is the same run */
            nn_rng_seed(&tr.drop_rng[s], P->seed * 1000003u + 17u + (uint64_t)s + 7u * (uint64_t)epoch);
        for (size_t i = 0; i < n_train; i++) order[i] = i;
        for (size_t i = n_train - 1; i > 0; i--) {
            size_t j = (size_t)(nn_rng_next(&data_rng) % (i + 1)), t = order[i];
            order[i] = order[j], order[j] = t;
        }
        size_t chunk = (size_t)P->batch * 8;
        for (size_t c0 = 0; c0 < n_train; c0 += chunk) {
            size_t c1 = c0 + chunk < n_train ? c0 + chunk : n_train;
            for (size_t i = c0 + 1; i < c1; i++) { /* insertion sort: chunks are small */
                size_t x = order[i], j = i;
                while (j > c0 && lens[order[j - 1]] > lens[x]) order[j] = order[j - 1], j--;
                order[j] = x;
            }
        }
        double ce_sum = 0, vad_sum = 0;
        for (long bi = 0; bi < steps_per_epoch; bi++, step++) {
            /* fill the shards: random context length, pad to the batch's longest */
            int Tb = 4;
            for (int b = 0; b < P->batch; b++) {
                size_t ti = train_idx[order[(size_t)bi * P->batch + b]];
                float u = nn_rng_uniform(&data_rng);
                int n_ctx = u < P->ctx_drop ? 0 : (u < 2 * P->ctx_drop ? 1 : TC_MAX_CONTEXT);
                seq_len[b] = example_ids(c, &tok, tr.cfg.max_len, ti, n_ctx, seq + (size_t)b * tr.cfg.max_len);
                if (seq_len[b] > Tb) Tb = seq_len[b];
            }
            tr.T = Tb;
            for (int b = 0; b < P->batch; b++) {
                int s = b / tr.B, row = b % tr.B;
                size_t ti = train_idx[order[(size_t)bi * P->batch + b]];
                const as_corpus_turn *t = as_corpus_turn_at(c, ti);
                for (int k = 0; k < Tb; k++) {
                    int on = k < seq_len[b];
                    tr.ids[s][row * Tb + k] = on ? seq[(size_t)b * tr.cfg.max_len + k] : TC_PAD;
                    tr.mask[s][row * Tb + k] = (uint8_t)on;
                }
                tr.labels[s][row] = (int)t->emotion;
                tr.roww[s][row] = class_w[t->emotion];
                tr.vad[s][row * 3 + 0] = t->vad.v, tr.vad[s][row * 3 + 1] = t->vad.a,
                                      tr.vad[s][row * 3 + 2] = t->vad.d;
            }
            nn_parallel_for(P->threads, N_SHARDS, shard_task, &tr);
            nn_sum_into(tr.grads[0], (const float *const *)tr.grads, N_SHARDS, n);
            for (int s = 0; s < N_SHARDS; s++) ce_sum += tr.loss_ce[s] / N_SHARDS, vad_sum += tr.loss_vad[s] / N_SHARDS;
            nn_clip_grad_norm(tr.grads[0], n, P->clip);
            float lr = nn_lr_at(step, warmup, total, P->lr, P->lr_min);
            nn_adamw_step(&tr.L, tr.values, tr.grads[0], tr.m, tr.v, lr, &ap, step + 1);
        }
        tc_eval_report ev;
        r = evaluate_parts(&tr.cfg, &tr.p, &tok, c, AS_SPLIT_VALIDATION, &ev);
        if (r) break;
        int improved = ev.macro_f1 > best_f1;
        if (improved) {
            best_f1 = ev.macro_f1;
            if (best_out) *best_out = ev;
            r = save_model(&tr, P->out_path, vocab, vocab_len);
            if (r) break;
        }
        if (P->checkpoint_path) {
            r = save_checkpoint(&tr, P->checkpoint_path, epoch + 1, step, best_f1, vocab, vocab_len);
            if (r) break;
        }
        progress(P, "epoch %d/%d step %ld/%ld loss %.4f (class) %.4f (vad) lr %.2e | validation macro-F1 %.4f "
                    "acc %.4f r(V,A,D) %.3f %.3f %.3f%s | %.1f s (total %.1f s)",
                 epoch + 1, P->epochs, step, total, ce_sum / steps_per_epoch, vad_sum / steps_per_epoch,
                 (double)nn_lr_at(step, warmup, total, P->lr, P->lr_min), ev.macro_f1, ev.accuracy, ev.pearson[0],
                 ev.pearson[1], ev.pearson[2], improved ? " *best, saved" : "", as_now_s() - t_epoch,
                 as_now_s() - t_start);
    }
    as_free(seq), as_free(seq_len);
done:
    trainer_free(&tr);
    as_classifier_destroy(teacher);
    as_classifier_destroy(tok_src);
    tc_tokenizer_free(&tok);
    as_free(vocab), as_free(order), as_free(train_idx), as_free(lens);
    as_corpus_destroy(c);
    return r;
}

/* ---- shipping ------------------------------------------------------------------ */

as_result tc_emit_c(const char *model_path, const char *weights_c, const char *vocab_c, const char *command)
{
    nn_weights w;
    as_result r = nn_weights_load(model_path, AS_NN_KIND_TEXT_CLASSIFIER, NULL, &w);
    if (r) return r;
    r = nn_weights_write_c(weights_c, "as_classifier_weights", command, AS_NN_KIND_TEXT_CLASSIFIER, w.hparams,
                           w.n_hparams, w.values, w.n_values);
    if (!r) {
        as_atomic_file af;
        r = as_atomic_open(&af, vocab_c);
        if (!r) {
            fprintf(af.f, "/* Generated file, do not edit: made by `%s`. */\n", command);
            fprintf(af.f, "/* The BPE vocabulary of the built-in text classifier (%zu bytes: \"ASBP\", version, "
                          "merges; src/text/tokenizer.c). */\n#include <stddef.h>\n\n",
                    w.n_extra);
            fprintf(af.f, "const size_t as_classifier_vocab_len = %zu;\n", w.n_extra);
            fprintf(af.f, "const unsigned char as_classifier_vocab[%zu] = {\n", w.n_extra ? w.n_extra : 1);
            for (size_t i = 0; i < w.n_extra; i++)
                fprintf(af.f, "%u%s", w.extra[i], i + 1 == w.n_extra ? "\n" : ((i + 1) % 20 ? "," : ",\n"));
            if (!w.n_extra) fputs("0\n", af.f);
            fputs("};\n", af.f);
            r = ferror(af.f) ? as_fail(AS_ERR_IO, "%s: write failed", vocab_c) : as_atomic_commit(&af);
            if (r) as_atomic_abort(&af);
        }
    }
    nn_weights_free(&w);
    return r;
}
