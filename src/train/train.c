/* train/train.c — the trainer of the student network (`animasync train`):
 * random crops of the generated clips, data-parallel over a fixed number of
 * shards (so the result depends on the batch, never on the thread count),
 * AdamW with warm-up and cosine decay, global-norm clipping, a checkpoint
 * after every epoch, and a validation pass on held-out voices per epoch.
 *
 * One step, per shard (docs/MODEL.md gives the weights and why):
 *   speech:      crops of training clips -> channel-weighted L1 against the
 *                merged target + velocity L1 + acceleration L1
 *   anchor-snap: silence + each preset's anchor conditioning -> that preset
 *                (the shard's half of the 46 presets, every step)
 *   consistency: the shard's first crop again with V, A, D jittered by up
 *                to +-0.05 -> L1 against the unjittered output (held fixed)
 * Losses are means; each is scaled by the shard's share so the summed shard
 * gradients are the gradient of the batch mean. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <string.h>

#include "animasync/expression.h"
#include "animasync/lipsync.h"
#include "core/internal.h"
#include "train/student_train.h"

#define N_SHARDS 2 /* fixed: results never depend on the thread count */

_Static_assert(ST_NUM_VISEMES == AS_NUM_VISEMES, "the student's viseme head has one output per viseme");

as_train_params as_train_default_params(void)
{
    as_train_params p;
    memset(&p, 0, sizeof p);
    p.lookahead_ms = 100;
    p.epochs = 20;
    p.batch = 16;
    p.seq_frames = 128;
    p.anchor_frames = 64; /* covers the receptive field (63 frames): the steady state of a long silence is trained */
    p.lr = 2e-3f;
    p.lr_min = 5e-5f;
    p.warmup_steps = 200;
    p.weight_decay = 1e-4f;
    p.clip_norm = 1.0f;
    p.w_velocity = 1.0f;
    p.w_acceleration = 0.5f;
    p.w_anchor = 4.0f;
    p.w_consistency = 1.0f;
    p.w_bce = 0.5f;
    p.w_closure = 4.0f;
    p.vad_jitter = 0.05f;
    p.w_viseme = 0.3f;
    p.w_closure_head = 1.0f;
    p.w_pose = 0.0f;
    p.pose_tau = 0.005f;
    p.pose_jaw = 0.5f;
    p.threads = 1;
    p.seed = 1;
    return p;
}

/* Per-channel loss weights: EXPRESSION 1.5, SHARED 1.0, LIPSYNC 1.0 (the
 * issue's weights), with the articulators the lip-sync metrics judge
 * at more: jawOpen 2, mouthClose and mouthPress 4 (a closure lasts 1-4
 * frames, so its share of an unweighted loss is tiny and a first run left
 * the lips never pressed), so closures and jaw timing are not traded for
 * small expression gains. */
static void channel_weights(float w[AS_NUM_CHANNELS], float closure)
{
    for (int c = 0; c < AS_NUM_CHANNELS; c++) {
        as_channel_class k = as_channel_class_of(c);
        w[c] = k == AS_CHANNEL_EXPRESSION ? 1.5f : 1.0f;
    }
    w[AS_JAW_OPEN] = 2.0f;
    w[AS_MOUTH_CLOSE] = closure;
    w[AS_MOUTH_PRESS_LEFT] = w[AS_MOUTH_PRESS_RIGHT] = closure;
}

typedef struct {
    /* speech crops */
    float *cond;    // (Bs, T, 19)
    float *target;  // (Bs, T, 52)
    float *fweight; // (Bs, T) 1 inside the clip, 0 on padding
    int *vlabel;    // (Bs, T) the teacher's nearest viseme pose (-1 on padding)
    int *plabel;    // (Bs, T) the nearest-pose loss's label: vlabel, -1 near a closure
    float *clabel;  // (Bs, T) the teacher's closure amount
    st_acts a, da;
    float *abuf, *dabuf;
    /* anchor-snap sequences */
    int n_anchor;
    float *acond, *atarget; // (n_anchor, Ta, 19), (n_anchor, Ta, 52)
    st_acts aa, daa;
    float *aabuf, *daabuf;
    /* consistency sequence */
    float *ccond, *ctarget; // (1, T, 19), (1, T, 52)
    st_acts ca, dca;
    float *cabuf, *dcabuf;
    /* gradients */
    float *grads;
    st_params g;
    double loss[9]; /* total, l1, vel, acc, anchor, consistency, viseme, closure, pose of the last step */
} shard_state;

typedef struct {
    const as_train_params *p;
    st_config cfg;
    nn_layout L, LA, LAA, LCA;
    float *values, *grads, *m, *v; // (L.total)
    st_params prm;
    int Bs, T, Ta;
    st_split train, val;
    double *cum; // (n_clips + 1) cumulative frames
    shard_state sh[N_SHARDS];
    float chan_w[AS_NUM_CHANNELS];
    int mouth_ch[AS_NUM_CHANNELS], n_mouth; /* channels of the viseme comparison (eval.c) */
    long step;
    /* crops of the current step: clip and start per sequence */
    size_t crop_clip[256];
    long crop_start[256];
    float jitter[N_SHARDS][3];
} trainer;

static float *falloc(size_t n) { return as_calloc(n ? n : 1, sizeof(float)); }

static void trainer_free(trainer *tr)
{
    as_free(tr->values), as_free(tr->grads), as_free(tr->m), as_free(tr->v), as_free(tr->cum);
    for (int s = 0; s < N_SHARDS; s++) {
        shard_state *sh = &tr->sh[s];
        as_free(sh->cond), as_free(sh->target), as_free(sh->fweight), as_free(sh->abuf), as_free(sh->dabuf);
        as_free(sh->vlabel), as_free(sh->clabel), as_free(sh->plabel);
        as_free(sh->acond), as_free(sh->atarget), as_free(sh->aabuf), as_free(sh->daabuf);
        as_free(sh->ccond), as_free(sh->ctarget), as_free(sh->cabuf), as_free(sh->dcabuf), as_free(sh->grads);
    }
    st_split_clear(&tr->train);
    st_split_clear(&tr->val);
}

/* Feature statistics of the training split -> the model's normalisation. */
static void set_normalisation(trainer *tr)
{
    for (int f = 0; f < AS_FEAT_DIM; f++) {
        double n = tr->train.stats[0][f], s = tr->train.stats[1][f], ss = tr->train.stats[2][f];
        double mean = n > 0 ? s / n : 0.0, var = n > 0 ? ss / n - mean * mean : 1.0;
        double sd = sqrt(var > 0 ? var : 0.0);
        if (sd < 1e-2) sd = 1e-2; /* a (nearly) constant feature: do not blow it up */
        tr->prm.feat_mean[f] = (float)mean;
        tr->prm.feat_istd[f] = (float)(1.0 / sd);
    }
}

static as_result trainer_alloc(trainer *tr)
{
    const as_train_params *p = tr->p;
    st_layout(&tr->L, &tr->cfg);
    if (tr->L.overflow) return as_fail(AS_ERR_RANGE, "student: too many tensors");
    size_t n = tr->L.total;
    tr->values = falloc(n), tr->grads = falloc(n), tr->m = falloc(n), tr->v = falloc(n);
    if (!tr->values || !tr->grads || !tr->m || !tr->v) return as_fail(AS_ERR_NOMEM, "out of memory");
    nn_layout_init_values(&tr->L, tr->values, p->seed);
    nn_layout_bind(&tr->L, &tr->prm, tr->values);
    tr->Bs = p->batch / N_SHARDS;
    tr->T = p->seq_frames;
    tr->Ta = p->anchor_frames;
    st_acts_layout(&tr->LA, &tr->cfg, tr->Bs, tr->T);
    st_acts_layout(&tr->LCA, &tr->cfg, 1, tr->T);
    int n_anchor_max = (AS_NUM_PRESETS + N_SHARDS - 1) / N_SHARDS;
    st_acts_layout(&tr->LAA, &tr->cfg, n_anchor_max, tr->Ta);
    for (int s = 0; s < N_SHARDS; s++) {
        shard_state *sh = &tr->sh[s];
        size_t BT = (size_t)tr->Bs * tr->T, AT = (size_t)n_anchor_max * tr->Ta;
        sh->cond = falloc(BT * AS_COND_DIM), sh->target = falloc(BT * AS_NUM_CHANNELS), sh->fweight = falloc(BT);
        sh->vlabel = as_calloc(BT, sizeof(int)), sh->clabel = falloc(BT), sh->plabel = as_calloc(BT, sizeof(int));
        if (!sh->vlabel || !sh->clabel || !sh->plabel) return as_fail(AS_ERR_NOMEM, "out of memory");
        sh->abuf = falloc(tr->LA.total), sh->dabuf = falloc(tr->LA.total);
        sh->acond = falloc(AT * AS_COND_DIM), sh->atarget = falloc(AT * AS_NUM_CHANNELS);
        sh->aabuf = falloc(tr->LAA.total), sh->daabuf = falloc(tr->LAA.total);
        sh->ccond = falloc((size_t)tr->T * AS_COND_DIM), sh->ctarget = falloc((size_t)tr->T * AS_NUM_CHANNELS);
        sh->cabuf = falloc(tr->LCA.total), sh->dcabuf = falloc(tr->LCA.total);
        sh->grads = falloc(n);
        if (!sh->cond || !sh->target || !sh->fweight || !sh->abuf || !sh->dabuf || !sh->acond || !sh->atarget ||
            !sh->aabuf || !sh->daabuf || !sh->ccond || !sh->ctarget || !sh->cabuf || !sh->dcabuf || !sh->grads)
            return as_fail(AS_ERR_NOMEM, "out of memory");
        nn_layout_bind(&tr->LA, &sh->a, sh->abuf);
        nn_layout_bind(&tr->LA, &sh->da, sh->dabuf);
        nn_layout_bind(&tr->LAA, &sh->aa, sh->aabuf);
        nn_layout_bind(&tr->LAA, &sh->daa, sh->daabuf);
        nn_layout_bind(&tr->LCA, &sh->ca, sh->cabuf);
        nn_layout_bind(&tr->LCA, &sh->dca, sh->dcabuf);
        nn_layout_bind(&tr->L, &sh->g, sh->grads);
    }
    return AS_OK;
}

/* The anchor-snap batch: shard s takes presets s, s + N_SHARDS, ...; input
 * is silence, conditioning the preset's anchor, target the preset. Fixed for
 * the whole run, so it is built once (after the normalisation is known). */
static as_result build_anchor_batch(trainer *tr)
{
    size_t n_sil;
    const float *sil = st_silence_features(&n_sil);
    if (!sil) return as_fail(AS_ERR_BACKEND, "cannot compute the features of silence");
    for (int s = 0; s < N_SHARDS; s++) {
        shard_state *sh = &tr->sh[s];
        sh->n_anchor = 0;
        for (int i = s; i < AS_NUM_PRESETS; i += N_SHARDS) {
            float preset[AS_NUM_CHANNELS];
            as_cond c;
            st_anchor_slot(i, preset, &c, NULL, NULL);
            int j = sh->n_anchor++;
            st_gather(sh->aa.x + (size_t)j * tr->Ta * st_input_dim(&tr->cfg), &tr->cfg, &tr->prm, sil, n_sil, 0,
                      tr->Ta);
            for (int t = 0; t < tr->Ta; t++) {
                memcpy(sh->acond + ((size_t)j * tr->Ta + t) * AS_COND_DIM, as_cond_vec(&c), AS_COND_DIM * sizeof(float));
                memcpy(sh->atarget + ((size_t)j * tr->Ta + t) * AS_NUM_CHANNELS, preset, sizeof preset);
            }
        }
    }
    return AS_OK;
}

/* Draws the crops (and the jitter) of step `step` from its own generator:
 * the same step always gets the same crops, whatever happened before, so a
 * resumed run continues exactly. */
static void draw_step(trainer *tr, long step)
{
    nn_rng rng;
    nn_rng_seed(&rng, tr->p->seed * 0x9E3779B97F4A7C15ull + (uint64_t)step + 1);
    double total = tr->cum[tr->train.n_clips];
    for (int b = 0; b < tr->p->batch; b++) {
        double u = (double)nn_rng_uniform(&rng) * total;
        size_t lo = 0, hi = tr->train.n_clips; /* clip c with cum[c] <= u < cum[c+1] */
        while (hi - lo > 1) {
            size_t mid = (lo + hi) / 2;
            if (tr->cum[mid] <= u) lo = mid;
            else hi = mid;
        }
        const st_clip *c = &tr->train.clips[lo];
        long span = (long)c->n_anim - tr->T;
        tr->crop_clip[b] = lo;
        tr->crop_start[b] = span > 0 ? (long)(nn_rng_uniform(&rng) * (float)(span + 1)) : 0;
        if (tr->crop_start[b] > span && span > 0) tr->crop_start[b] = span;
    }
    for (int s = 0; s < N_SHARDS; s++)
        for (int k = 0; k < 3; k++) tr->jitter[s][k] = tr->p->vad_jitter * (2.0f * nn_rng_uniform(&rng) - 1.0f);
}

/* The teacher's closure amount 0..1 at one frame: the teacher sets
 * mouthClose = closure x jawOpen and mouthPress >= 0.65 closure
 * (lipsync/teacher.c); with the jaw nearly shut the press tells. */
static float teacher_closure(const float *te)
{
    float jaw = te[AS_JAW_OPEN];
    if (jaw > 0.05f) return as_clamp01(te[AS_MOUTH_CLOSE] / jaw);
    return as_clamp01(0.5f * (te[AS_MOUTH_PRESS_LEFT] + te[AS_MOUTH_PRESS_RIGHT]) / ST_CLOSURE_PRESS);
}

/* Frame t within one frame of a /p b m/ (the dataset's phoneme visemes):
 * the nearest-pose loss leaves those frames to the closure head, whose
 * gesture (press, roll, mouthClose = c x jaw) is not one of the 15 poses. */
static int near_closure(const st_clip *c, long t)
{
    for (long u = t - 1; u <= t + 1; u++)
        if (u >= 0 && u < (long)c->n_anim && c->visemes[u] == AS_VISEME_PP) return 1;
    return 0;
}

/* The work of one shard: gather its crops, forward, losses, backward. */
static void shard_task(void *ctx, int s, int thread)
{
    (void)thread; /* every buffer is per shard: which thread runs it does not matter */
    trainer *tr = ctx;
    const as_train_params *p = tr->p;
    shard_state *sh = &tr->sh[s];
    const st_config *cfg = &tr->cfg;
    const int Bs = tr->Bs, T = tr->T, D = st_input_dim(cfg);
    const float share = 1.0f / N_SHARDS;
    memset(sh->grads, 0, tr->L.total * sizeof(float));

    /* ---- speech crops ---- */
    for (int b = 0; b < Bs; b++) {
        int gb = s * Bs + b;
        const st_clip *c = &tr->train.clips[tr->crop_clip[gb]];
        long t0 = tr->crop_start[gb];
        st_gather(sh->a.x + (size_t)b * T * D, cfg, &tr->prm, c->features, c->n_feat, t0, T);
        for (int t = 0; t < T; t++) {
            long src = t0 + t;
            int inside = src < (long)c->n_anim;
            if (!inside) src = (long)c->n_anim - 1; /* pad with the last frame, weight 0 */
            size_t row = (size_t)b * T + t;
            memcpy(sh->cond + row * AS_COND_DIM, c->cond + (size_t)src * AS_COND_DIM, AS_COND_DIM * sizeof(float));
            memcpy(sh->target + row * AS_NUM_CHANNELS, c->targets + (size_t)src * AS_NUM_CHANNELS,
                   AS_NUM_CHANNELS * sizeof(float));
            sh->fweight[row] = inside ? 1.0f : 0.0f;
            if (cfg->heads) {
                const float *te = c->teacher + (size_t)src * AS_NUM_CHANNELS;
                sh->vlabel[row] = inside ? st_nearest_viseme(te, tr->prm.vis_pose, tr->mouth_ch, tr->n_mouth) : -1;
                sh->plabel[row] = inside && !near_closure(c, src) ? sh->vlabel[row] : -1;
                sh->clabel[row] = teacher_closure(te);
            }
        }
    }
    memset(sh->dabuf, 0, tr->LA.total * sizeof(float));
    st_forward(cfg, &tr->prm, &sh->a, sh->cond, Bs, T);
    const int N = Bs * T;
    double l1 = nn_l1_loss(sh->da.pred, sh->a.pred, sh->target, tr->chan_w, sh->fweight, N, AS_NUM_CHANNELS, share);
    double vel = nn_velocity_l1_loss(sh->da.pred, sh->a.pred, sh->target, tr->chan_w, sh->fweight, Bs, T,
                                     AS_NUM_CHANNELS, p->w_velocity * share);
    double acc = nn_accel_l1_loss(sh->da.pred, sh->a.pred, sh->target, tr->chan_w, sh->fweight, Bs, T,
                                  AS_NUM_CHANNELS, p->w_acceleration * share);
    /* binary cross-entropy on the logits beside the L1: the L1 gradient
     * through a sigmoid vanishes once a channel saturates (a channel at 0
     * on most frames is pushed to a logit of -10 and can never come back
     * for the frames where it should rise); the BCE gradient sigmoid(z) - y
     * does not vanish. It adds its gradient straight into dlogits, which
     * st_backward accumulates onto. */
    double bce = 0.0;
    if (p->w_bce > 0.0f)
        bce = nn_sigmoid_bce_loss(sh->da.logits, NULL, sh->a.logits, sh->target, sh->fweight, N, AS_NUM_CHANNELS,
                                  p->w_bce * share);

    /* the heads' own losses: which viseme (the metric's label: the
     * teacher's nearest pose) and whether the lips are closed */
    double vis = 0.0, clo = 0.0;
    if (cfg->heads) {
        vis = nn_softmax_xent_loss(sh->da.vlog, NULL, sh->a.vlog, sh->vlabel, NULL, sh->fweight, N, ST_NUM_VISEMES,
                                   p->w_viseme * share);
        clo = nn_sigmoid_bce_loss(sh->da.clog, NULL, sh->a.clog, sh->clabel, sh->fweight, N, 1,
                                  p->w_closure_head * share);
    }
    /* the face's own nearest pose against the same label (the metric itself);
     * its gradient stays off the closure (dshape): pushing the lips open at
     * every frame the teacher's pose is not PP lowered the closure head's
     * peaks, 1 point of the detected closures in a first run */
    double pose = 0.0;
    if (cfg->heads && p->w_pose > 0.0f)
        pose = st_pose_loss(sh->da.dshape, sh->a.pred, sh->cond, sh->plabel, sh->fweight, tr->prm.vis_pose, tr->mouth_ch,
                            tr->n_mouth, N, p->pose_tau, p->pose_jaw, p->w_pose * share);

    /* ---- consistency: the first crop with V, A, D jittered ---- */
    double cons = 0.0;
    if (p->w_consistency > 0.0f) {
        memcpy(sh->ca.x, sh->a.x, (size_t)T * D * sizeof(float));
        for (int t = 0; t < T; t++) {
            float *cd = sh->ccond + (size_t)t * AS_COND_DIM;
            memcpy(cd, sh->cond + (size_t)t * AS_COND_DIM, AS_COND_DIM * sizeof(float));
            for (int k = 0; k < 3; k++) cd[AS_NUM_EMOTIONS + k] = as_clamp01(cd[AS_NUM_EMOTIONS + k] + tr->jitter[s][k]);
        }
        /* the unjittered output is the target, held fixed (no gradient through it) */
        memcpy(sh->ctarget, sh->a.pred, (size_t)T * AS_NUM_CHANNELS * sizeof(float));
        memset(sh->dcabuf, 0, tr->LCA.total * sizeof(float));
        st_forward(cfg, &tr->prm, &sh->ca, sh->ccond, 1, T);
        cons = nn_l1_loss(sh->dca.pred, sh->ca.pred, sh->ctarget, NULL, sh->fweight, T, AS_NUM_CHANNELS,
                          p->w_consistency * share);
        st_backward(cfg, &tr->prm, &sh->g, &sh->ca, &sh->dca, sh->ccond, 1, T);
    }
    st_backward(cfg, &tr->prm, &sh->g, &sh->a, &sh->da, sh->cond, Bs, T);

    /* ---- anchor-snap ---- */
    double anc = 0.0;
    if (p->w_anchor > 0.0f && sh->n_anchor > 0) {
        memset(sh->daabuf, 0, tr->LAA.total * sizeof(float));
        st_forward(cfg, &tr->prm, &sh->aa, sh->acond, sh->n_anchor, tr->Ta);
        anc = nn_l1_loss(sh->daa.pred, sh->aa.pred, sh->atarget, NULL, NULL, sh->n_anchor * tr->Ta, AS_NUM_CHANNELS,
                         p->w_anchor * share);
        if (p->w_bce > 0.0f)
            nn_sigmoid_bce_loss(sh->daa.logits, NULL, sh->aa.logits, sh->atarget, NULL, sh->n_anchor * tr->Ta,
                                AS_NUM_CHANNELS, p->w_bce * p->w_anchor * share);
        st_backward(cfg, &tr->prm, &sh->g, &sh->aa, &sh->daa, sh->acond, sh->n_anchor, tr->Ta);
    }
    /* the returned losses are unscaled means: weight them by the shard's share */
    sh->loss[1] = share * l1, sh->loss[2] = share * vel, sh->loss[3] = share * acc;
    sh->loss[4] = share * anc, sh->loss[5] = share * cons;
    sh->loss[6] = share * vis, sh->loss[7] = share * clo, sh->loss[8] = share * pose;
    sh->loss[0] = sh->loss[1] + p->w_velocity * sh->loss[2] + p->w_acceleration * sh->loss[3] +
                  p->w_anchor * sh->loss[4] + p->w_consistency * sh->loss[5] + p->w_bce * share * bce +
                  p->w_viseme * sh->loss[6] + p->w_closure_head * sh->loss[7] + p->w_pose * sh->loss[8];
}

/* ---- checkpoints ------------------------------------------------------------ */

#define CK_EXTRA 3 /* step, total steps, epoch after the model's hyperparameters */

static as_result save_checkpoint(trainer *tr, const char *path, long total_steps, int epoch)
{
    int32_t h[ST_NUM_HPARAMS + CK_EXTRA];
    st_hparams_pack(&tr->cfg, h);
    h[ST_NUM_HPARAMS] = (int32_t)tr->step;
    h[ST_NUM_HPARAMS + 1] = (int32_t)total_steps;
    h[ST_NUM_HPARAMS + 2] = epoch;
    size_t n = tr->L.total;
    float *all = as_malloc(3 * n * sizeof(float));
    if (!all) return as_fail(AS_ERR_NOMEM, "out of memory");
    memcpy(all, tr->values, n * sizeof(float));
    memcpy(all + n, tr->m, n * sizeof(float));
    memcpy(all + 2 * n, tr->v, n * sizeof(float));
    as_result r = nn_weights_save(path, AS_NN_KIND_LIPSYNC_STUDENT | AS_NN_KIND_CHECKPOINT, h,
                                  ST_NUM_HPARAMS + CK_EXTRA, all, 3 * n, NULL, 0);
    as_free(all);
    return r;
}

static as_result load_checkpoint(trainer *tr, const char *path, long total_steps, int *epoch)
{
    nn_weights w;
    as_result r = nn_weights_load(path, AS_NN_KIND_LIPSYNC_STUDENT | AS_NN_KIND_CHECKPOINT,
                                  "delete it to start again, or pass the settings it was made with", &w);
    if (r != AS_OK) return r;
    int32_t h[ST_NUM_HPARAMS + CK_EXTRA];
    st_hparams_pack(&tr->cfg, h);
    h[ST_NUM_HPARAMS] = w.n_hparams == ST_NUM_HPARAMS + CK_EXTRA ? w.hparams[ST_NUM_HPARAMS] : -1;
    h[ST_NUM_HPARAMS + 1] = (int32_t)total_steps;
    h[ST_NUM_HPARAMS + 2] = w.n_hparams == ST_NUM_HPARAMS + CK_EXTRA ? w.hparams[ST_NUM_HPARAMS + 2] : -1;
    r = nn_weights_expect(&w, h, NULL, ST_NUM_HPARAMS + CK_EXTRA, 3 * tr->L.total, path,
                          "a checkpoint of another model or schedule: delete it to start again");
    if (r == AS_OK) {
        size_t n = tr->L.total;
        memcpy(tr->values, w.values, n * sizeof(float));
        memcpy(tr->m, w.values + n, n * sizeof(float));
        memcpy(tr->v, w.values + 2 * n, n * sizeof(float));
        tr->step = w.hparams[ST_NUM_HPARAMS];
        *epoch = w.hparams[ST_NUM_HPARAMS + 2];
    }
    nn_weights_free(&w);
    return r;
}

static as_result check_params(const as_train_params *p)
{
    if (!p->data_dir || !p->out_path) return as_fail(AS_ERR_INVALID_ARG, "train: data directory and output are required");
    /* 0 epochs: rewrite an --init model as it is (with --emit-c: its C source) */
    if (p->epochs < (p->init_path ? 0 : 1) || p->epochs > 1000)
        return as_fail(AS_ERR_RANGE, "train: epochs %d outside %d..1000", p->epochs, p->init_path ? 0 : 1);
    if (p->batch < 2 || p->batch > 256 || p->batch % N_SHARDS)
        return as_fail(AS_ERR_RANGE, "train: batch %d is not an even number in 2..256", p->batch);
    if (p->seq_frames < 16 || p->seq_frames > 1024)
        return as_fail(AS_ERR_RANGE, "train: seq_frames %d outside 16..1024", p->seq_frames);
    if (p->anchor_frames < 1 || p->anchor_frames > 1024)
        return as_fail(AS_ERR_RANGE, "train: anchor_frames %d outside 1..1024", p->anchor_frames);
    if (!(p->lr > 0.0f && p->lr <= 1.0f) || !(p->lr_min >= 0.0f && p->lr_min <= p->lr))
        return as_fail(AS_ERR_RANGE, "train: learning rates lr %g, lr_min %g (need 0 < lr_min <= lr <= 1)",
                       (double)p->lr, (double)p->lr_min);
    if (p->threads < 1 || p->threads > 64) return as_fail(AS_ERR_RANGE, "train: threads %d outside 1..64", p->threads);
    if (p->lookahead_ms != 0 && p->lookahead_ms != 50 && p->lookahead_ms != 100)
        return as_fail(AS_ERR_RANGE, "train: lookahead %d ms is not 0, 50 or 100", p->lookahead_ms);
    if (!(p->w_pose >= 0.0f) || (p->w_pose > 0.0f && !(p->pose_tau > 0.0f && p->pose_jaw >= 0.0f && p->pose_jaw <= 1.0f)))
        return as_fail(AS_ERR_RANGE,
                       "train: pose loss weight %g, temperature %g, jaw share %g (need weight >= 0 and, when it "
                       "is above 0, temperature > 0 and jaw share 0..1)",
                       (double)p->w_pose, (double)p->pose_tau, (double)p->pose_jaw);
    if (p->no_heads && p->w_pose > 0.0f)
        return as_fail(AS_ERR_INVALID_ARG, "train: the nearest-pose loss needs the viseme head (drop --no-heads)");
    return AS_OK;
}

as_result as_student_train(const as_train_params *p)
{
    if (!p) return as_fail(AS_ERR_INVALID_ARG, "as_student_train: NULL parameters");
    as_result r = check_params(p);
    if (r != AS_OK) return r;
    double t0 = as_now_s();
    trainer *tr = as_calloc(1, sizeof *tr);
    if (!tr) return as_fail(AS_ERR_NOMEM, "out of memory");
    as_student *init_model = NULL;
    tr->p = p;
    tr->cfg = st_config_default(p->lookahead_ms);
    if (p->hidden) tr->cfg.hidden = p->hidden;
    if (p->film_hidden) tr->cfg.film_hidden = p->film_hidden;
    if (p->layers) {
        if (p->layers > ST_MAX_LAYERS) {
            as_free(tr);
            return as_fail(AS_ERR_RANGE, "train: layers %d outside 1..%d", p->layers, ST_MAX_LAYERS);
        }
        for (int l = tr->cfg.layers; l < p->layers; l++) tr->cfg.dilation[l] = 1 << l;
        tr->cfg.layers = p->layers;
    }
    if ((r = st_config_check(&tr->cfg)) != AS_OK) goto done;
    channel_weights(tr->chan_w, p->w_closure);
    if ((r = st_split_load(p->data_dir, AS_SPLIT_TRAIN, p->max_train_clips, &tr->train)) != AS_OK) goto done;
    if (st_split_load(p->data_dir, AS_SPLIT_VALIDATION, p->max_val_clips, &tr->val) != AS_OK) {
        st_split_clear(&tr->val); /* no validation clips: train without the per-epoch figures */
    }
    if (p->init_path) {
        /* fine-tuning: the network (configuration, weights and feature
         * statistics) of a trained model instead of a random start */
        init_model = as_student_load(p->init_path);
        if (!init_model) {
            r = AS_ERR_PARSE;
            goto done;
        }
        tr->cfg = init_model->cfg;
        /* a network without heads gains them (its values are a prefix of
         * the layout with heads; the heads start from their own init) */
        if (!p->no_heads) tr->cfg.heads = 1;
    }
    if (p->no_heads) tr->cfg.heads = 0;
    if ((r = trainer_alloc(tr)) != AS_OK) goto done;
    if (init_model) {
        if (init_model->cfg.heads && !tr->cfg.heads) {
            r = as_fail(AS_ERR_INVALID_ARG, "train: %s has viseme and closure heads; --no-heads cannot remove them",
                        p->init_path);
            goto done;
        }
        memcpy(tr->values, init_model->values, init_model->L.total * sizeof(float));
    } else {
        set_normalisation(tr);
    }
    if (tr->cfg.heads) /* the poses of the viseme table, stored with the model */
        for (int v = 0; v < ST_NUM_VISEMES; v++) as_viseme_pose(v, tr->prm.vis_pose + (size_t)v * AS_NUM_CHANNELS);
    tr->n_mouth = st_mouth_channels(tr->mouth_ch);
    if ((r = build_anchor_batch(tr)) != AS_OK) goto done;
    tr->cum = as_malloc((tr->train.n_clips + 1) * sizeof(double));
    if (!tr->cum) {
        r = as_fail(AS_ERR_NOMEM, "out of memory");
        goto done;
    }
    tr->cum[0] = 0.0;
    for (size_t i = 0; i < tr->train.n_clips; i++) tr->cum[i + 1] = tr->cum[i] + (double)tr->train.clips[i].n_anim;

    long steps_per_epoch = (long)ceil((double)tr->train.anim_frames / ((double)p->batch * tr->T));
    if (steps_per_epoch < 1) steps_per_epoch = 1;
    long total = steps_per_epoch * (p->epochs ? p->epochs : 1);
    int epoch0 = 0;
    if (p->resume && p->checkpoint) {
        FILE *f = fopen(p->checkpoint, "rb");
        if (f) {
            fclose(f);
            if ((r = load_checkpoint(tr, p->checkpoint, total, &epoch0)) != AS_OK) goto done;
        }
    }
    nn_set_blas_threads(1);
    nn_adamw_params ap = nn_adamw_default_params();
    ap.weight_decay = p->weight_decay;
    const float *shard_grads[N_SHARDS];
    for (int s = 0; s < N_SHARDS; s++) shard_grads[s] = tr->sh[s].grads;

    for (int epoch = epoch0; epoch < p->epochs; epoch++) {
        double sum[9] = {0}, gsum = 0.0;
        long n_steps = 0;
        float lr = 0.0f;
        for (long k = 0; k < steps_per_epoch; k++, tr->step++) {
            draw_step(tr, tr->step);
            nn_parallel_for(p->threads, N_SHARDS, shard_task, tr);
            nn_sum_into(tr->grads, shard_grads, N_SHARDS, tr->L.total);
            gsum += nn_clip_grad_norm(tr->grads, tr->L.total, p->clip_norm);
            lr = nn_lr_at(tr->step, p->warmup_steps, total, p->lr, p->lr_min);
            nn_adamw_step(&tr->L, tr->values, tr->grads, tr->m, tr->v, lr, &ap, tr->step + 1);
            for (int s = 0; s < N_SHARDS; s++)
                for (int i = 0; i < 9; i++) sum[i] += tr->sh[s].loss[i];
            n_steps++;
        }
        if (p->checkpoint && (r = save_checkpoint(tr, p->checkpoint, total, epoch + 1)) != AS_OK) goto done;
        as_train_progress pr;
        memset(&pr, 0, sizeof pr);
        pr.epoch = epoch + 1, pr.epochs = p->epochs, pr.step = tr->step, pr.steps = total, pr.lr = lr;
        pr.loss = sum[0] / n_steps;
        /* the loss parts are summed over shards of share 1/N each: batch means */
        pr.l1 = sum[1] / n_steps, pr.velocity = sum[2] / n_steps, pr.acceleration = sum[3] / n_steps;
        pr.anchor = sum[4] / n_steps, pr.consistency = sum[5] / n_steps;
        pr.viseme = sum[6] / n_steps, pr.closure = sum[7] / n_steps, pr.pose = sum[8] / n_steps;
        pr.grad_norm = gsum / n_steps;
        pr.blas_core = nn_blas_core();
        if (tr->val.n_clips) {
            as_student cur;
            memset(&cur, 0, sizeof cur);
            cur.cfg = tr->cfg, cur.L = tr->L, cur.values = tr->values, cur.builtin = 1, cur.p = tr->prm;
            if ((r = st_eval_clips(&cur, tr->val.clips, tr->val.n_clips, &pr.val)) != AS_OK) goto done;
            if ((r = st_eval_anchors(&cur, 0, &pr.val)) != AS_OK) goto done;
            pr.has_validation = 1;
        }
        pr.elapsed_s = as_now_s() - t0;
        if (p->progress && p->progress(&pr, p->progress_user)) break;
    }
    int32_t h[ST_NUM_HPARAMS];
    st_hparams_pack(&tr->cfg, h);
    r = nn_weights_save(p->out_path, AS_NN_KIND_LIPSYNC_STUDENT, h, ST_NUM_HPARAMS, tr->values, tr->L.total, NULL, 0);
    if (r == AS_OK && p->emit_c)
        r = nn_weights_write_c(p->emit_c, "as_default_weights_student",
                               p->command_line ? p->command_line : "animasync train", AS_NN_KIND_LIPSYNC_STUDENT, h,
                               ST_NUM_HPARAMS, tr->values, tr->L.total);
done:
    as_student_destroy(init_model);
    trainer_free(tr);
    as_free(tr);
    return r;
}
