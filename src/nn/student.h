/* nn/student.h — the V3 student network of the lip-sync layer (internal):
 * audio features + 19-dim emotion conditioning -> 52 ARKit weights at 30 fps.
 * The model definition shared by the trainer (src/train/train.c) and the
 * runtime (src/engine/student.c): hyperparameters, the parameter layout, the
 * activations, forward and backward, and the gathering of 100 Hz feature
 * frames into 30 fps input rows. It lives in src/nn because the runtime in
 * src/engine and the trainer in src/train both sit below nn in the stage
 * order (ARCHITECTURE.md), and the lip-sync stage sits above it.
 *
 * The network (docs/MODEL.md argues each choice):
 *
 *   x[t]  = S feature frames around frame t, normalised      (T, S*141)
 *   h0    = in_w x + in_b                                     (T, H)
 *   f     = relu(f1_w cond + f1_b)                            (T, HF)  FiLM generator trunk
 *   for l in 0..L-1:                                                     (TCN, Bai et al. 2018)
 *     g_l   = f2_w[l] f + f2_b[l]                             (T, 2H)  per-frame gamma | beta
 *     c_l   = dilated conv_l(h_l), kernel K, dilation d_l, look-ahead a_l taps
 *     h_l+1 = h_l + relu(FiLM(c_l; g_l))                      (T, H)   (Perez et al. 2018)
 *   r     = sigmoid(out_w h_L + out_b + skip_w f)             (T, 52)  the regression face
 *           (EXPRESSION channels: sigmoid(out_b + skip_w f), no audio path)
 *   heads = 0 (model version 1): y = r
 *   heads = 1 (version 2), the articulatory output (docs/MODEL.md):
 *     q   = softmax(vis_w h_L + vis_b)                        (T, 15)  viseme probabilities
 *     c   = sigmoid(clo_w h_L + clo_b)                        (T)      lips closed (/p b m/)
 *     y   = r, then the mouth shape channels (LIPSYNC but mouthClose) are the
 *           q-mixture of the 15 viseme poses (vis_pose, stored, not trained),
 *           the opening channels are scaled by 1 - c, mouthPress and mouthRoll
 *           are at least c x the closure pose, and mouthClose at least c x the
 *           jaw in the teacher's units (the lip-sync teacher's closure gesture;
 *           the backward holds the jaw fixed in that product)
 *
 * Look-ahead: feature frame k(t) is the latest whose window centre is at or
 * before the frame's time t/30 s; the stack reads frames k(t) + ahead - S + 1
 * .. k(t) + ahead (10 ms each), and conv layer l reads a_l x d_l frames
 * (33.3 ms each) ahead. The network's look-ahead is
 * 10 ahead + 1000/30 sum_l a_l d_l ms; the features add their own 40 ms
 * (deltas and pitch window, features.h). */
#ifndef AS_NN_STUDENT_H
#define AS_NN_STUDENT_H

#include "animasync/core.h"
#include "animasync/features.h"
#include "animasync/student.h"
#include "nn/nn.h"

#define ST_MAX_LAYERS 8
#define ST_MODEL_VERSION 2 /* hparams[0]: bumped when the network's equations change (2: the heads field) */
#define ST_NUM_VISEMES 15  /* = AS_NUM_VISEMES (lipsync.h; checked where both are seen, src/train) */

/* Hyperparameters; stored in the weight file header in this order
 * (st_hparams_pack). */
typedef struct {
    int hidden;      /* H, channels of the trunk */
    int film_hidden; /* HF, width of the FiLM generator trunk */
    int stack;       /* S, feature frames per input row */
    int ahead;       /* feature frames (10 ms) the stack reads past k(t) */
    int layers;      /* L, conv layers, 1..ST_MAX_LAYERS */
    int kernel;      /* K, taps per conv */
    int dilation[ST_MAX_LAYERS];
    int lookahead[ST_MAX_LAYERS]; /* taps after the centre tap, 0..K-1 */
    int heads;       /* 1: viseme and closure heads with the articulatory output (version 2) */
} st_config;

#define ST_NUM_HPARAMS (8 + 2 * ST_MAX_LAYERS)
#define ST_NUM_HPARAMS_V1 (7 + 2 * ST_MAX_LAYERS) /* version 1 files: no heads field */

/* The defaults of docs/MODEL.md for a network look-ahead of lookahead_ms
 * (0, 50 or 100; other values pick the nearest layout not above it). */
st_config st_config_default(int lookahead_ms);
/* Checks ranges; AS_ERR_RANGE naming the field. */
as_result st_config_check(const st_config *c);
/* The network's look-ahead in milliseconds (see the top of this file). */
double st_config_lookahead_ms(const st_config *c);
/* Look-ahead in 30 fps frames of the conv stack alone: sum a_l d_l. */
int st_config_conv_lookahead(const st_config *c);
/* Input width S * 141. */
static inline int st_input_dim(const st_config *c) { return c->stack * AS_FEAT_DIM; }
void st_hparams_pack(const st_config *c, int32_t h[ST_NUM_HPARAMS]);
as_result st_hparams_unpack(st_config *c, const int32_t *h, int n, const char *label);

/* The parameters, in weight-file order. feat_mean and feat_istd normalise
 * the features (from the training set's statistics); they are stored but
 * never trained (zero gradient, no decay). */
typedef struct {
    float *feat_mean, *feat_istd;            // (141), (141)
    float *in_w, *in_b;                      // (H, S*141), (H)
    float *f1_w, *f1_b;                      // (HF, 19), (HF)
    float *f2_w[ST_MAX_LAYERS], *f2_b[ST_MAX_LAYERS];     // (2H, HF), (2H)
    float *conv_w[ST_MAX_LAYERS], *conv_b[ST_MAX_LAYERS]; // (H, K*H), (H)
    float *out_w, *out_b;                    // (52, H), (52)
    float *skip_w;                           // (52, HF)
    /* heads = 1 only (appended, so a version 1 network is a prefix): */
    float *vis_w, *vis_b;                    // (15, H), (15)
    float *clo_w, *clo_b;                    // (1, H), (1)
    float *vis_pose;                         // (15, 52) the viseme poses, stored, never trained
} st_params;

void st_layout(nn_layout *L, const st_config *c);

/* Activations of B sequences of T frames. */
typedef struct {
    float *x;                       // (B, T, S*141) gathered, normalised input
    float *h0;                      // (B, T, H)
    float *fh, *fa;                 // (B, T, HF) FiLM trunk before / after relu
    float *film[ST_MAX_LAYERS];     // (B, T, 2H)
    float *col[ST_MAX_LAYERS];      // (B, T, K*H)
    float *conv[ST_MAX_LAYERS];     // (B, T, H)
    float *mod[ST_MAX_LAYERS];      // (B, T, H)
    float *act[ST_MAX_LAYERS];      // (B, T, H)
    float *res[ST_MAX_LAYERS];      // (B, T, H)
    float *logits, *pred;           // (B, T, 52)
    float *lmask;                   // (B, T, 52) backward scratch: dlogits without the EXPRESSION channels
    float *reg;                     // (B, T, 52) regression face (heads = 1; else pred is it)
    float *vlog, *vp;               // (B, T, 15) viseme logits, probabilities (heads = 1)
    float *clog, *cp;               // (B, T) closure logit, probability (heads = 1)
    float *dshape;                  // (B, T, 52) backward only (heads = 1): dloss/dpred of losses
                                    // kept off the closure head (the nearest-pose loss)
} st_acts;

/* The EXPRESSION channels (eyes, brows, cheeks, nose: the compiler's alone,
 * ARCHITECTURE.md) take nothing from the audio trunk: their logits are the
 * bias plus the FiLM trunk's direct path, a function of the conditioning
 * only, so they are as smooth as the conditioning and speech cannot make
 * the brows twitch. Sets logits (N, 52) of those channels to out_b. */
void st_mask_expression(float *logits, const float *out_b, int N);

void st_acts_layout(nn_layout *L, const st_config *c, int B, int T);

/* The feature frame of animation frame t at 30 fps: the latest frame whose
 * window centre 12.5 + 10 k ms is at or before t / 30 s (may be negative). */
static inline long st_feat_frame_of(long t)
{
    long num = 40 * t - 15; /* (10 t / 3 - 1.25) x 12 */
    return num >= 0 ? num / 12 : -((-num + 11) / 12);
}

/* One input row: the S frames k(t)+ahead-S+1 .. k(t)+ahead of features
 * (n_feat frames, 141 each), indices clamped to 0..n_feat-1, each
 * normalised with the model's statistics.
 *   row      // (S*141)
 *   features // (n_feat, 141) */
void st_gather_row(float *row, const st_config *c, const st_params *p, const float *features, size_t n_feat, long t);
/* The same for frames t0 .. t0+T-1 into rows (T, S*141). */
void st_gather(float *rows, const st_config *c, const st_params *p, const float *features, size_t n_feat, long t0,
               int T);

/* The output stage for N rows (shared by the forward and the stream, so
 * both compute every value with the same operations):
 *   h      // (N, H) output of the conv stack
 *   fa     // (N, HF) FiLM trunk
 *   cond   // (N, 19)
 *   logits // (N, 52) out: regression logits
 *   reg    // (N, 52) out: sigmoid(logits) (heads = 1), else NULL
 *   vlog, vp // (N, 15) out (heads = 1), else NULL
 *   clog, cp // (N) out (heads = 1), else NULL
 *   pred   // (N, 52) out: the face */
void st_output_forward(const st_config *c, const st_params *p, const float *h, const float *fa, const float *cond,
                       int N, float *logits, float *reg, float *vlog, float *vp, float *clog, float *cp, float *pred);
/* The jaw scale of the merge (motion/merge.c: 0.7 + 0.8 A): the teacher's
 * jaw is the face's jaw over it. cond // (19) */
static inline float st_jaw_scale(const float *cond)
{
    float a = cond[AS_NUM_EMOTIONS + 1];
    a = a < 0.0f ? 0.0f : a > 1.0f ? 1.0f : a;
    return 0.7f + 0.8f * a;
}
/* The closure gesture's pose values (lipsync/teacher.c CLOSURE_*). */
#define ST_CLOSURE_PRESS 0.65f
#define ST_CLOSURE_ROLL_LOWER 0.15f
#define ST_CLOSURE_ROLL_UPPER 0.10f

/* The nearest-pose loss: the viseme metric (docs/MODEL.md) asks the face's
 * nearest viseme pose to be the label's, so each labelled row's face is
 * scored against all the poses: d_k = sum over the channels ch of
 * (m - pose_k)^2, m the face with its jaw divided by st_jaw_scale (the
 * teacher's units), and the loss is the cross-entropy of softmax(-d / tau)
 * against the label, averaged over the rows by row_weight. A face that lies
 * right on the label's pose costs little, one at the boundary of two poses
 * costs log 2, one nearer another pose more. Adds scale x dloss/dpred to
 * dpred (may be NULL), jawOpen's scaled by jaw_grad (0: a stop-gradient,
 * the jaw counts in the distance but is left to its own losses; 1: the
 * true gradient); returns the unscaled loss.
 *   dpred, pred // (N, 52)   cond // (N, 19)   labels // (N) 0..14, < 0 ignored
 *   row_weight  // (N) or NULL   poses // (15, 52)   ch // (nch) channel numbers */
float st_pose_loss(float *dpred, const float *pred, const float *cond, const int *labels, const float *row_weight,
                   const float *poses, const int *ch, int nch, int N, float tau, float jaw_grad, float scale);

/* Forward over B sequences: a->x must hold the gathered input; cond
 * (B, T, 19). Leaves the 52 weights in a->pred. */
void st_forward(const st_config *c, const st_params *p, st_acts *a, const float *cond, int B, int T);
/* Backward from da->pred (dloss/dpred) (and, heads = 1, whatever losses
 * added to da->vlog and da->clog, and da->dshape: a dloss/dpred that reaches
 * everything da->pred does but the closure c, a stop-gradient); every other
 * field of da must be zero. Accumulates parameter gradients into g (the feat_* fields are left
 * alone). cond // (B, T, 19). */
void st_backward(const st_config *c, const st_params *p, st_params *g, const st_acts *a, st_acts *da,
                 const float *cond, int B, int T);

/* The weight-file hint for a file the student cannot use. */
/* The model object of the public API (animasync/student.h). */
struct as_student {
    st_config cfg;
    nn_layout L;
    float *values;  /* (L.total); owned unless builtin */
    int builtin;    /* 1: values point at the built-in constant array */
    st_params p;
};
/* A model over values (copied when copy is 1); NULL on a bad config. */
as_student *st_model_create(const st_config *cfg, const float *values, size_t n_values, int copy);
/* One sequence of T frames through model m (as_student_run without the
 * copy): the activations are bound on buf, which holds at least the floats
 * of st_acts_layout(m->cfg, 1, T); a->pred is the face.
 *   features // (n_feat, 141)   cond // (T, 19) */
void st_run(const as_student *m, st_acts *a, float *buf, const float *features, size_t n_feat, const float *cond,
            int T);
/* Trained parameters (the feature statistics and viseme poses excluded). */
size_t st_param_count(const nn_layout *L, const st_config *c);

#define ST_WEIGHTS_HINT "train one with `animasync train --data DIR -o FILE` (docs/MODEL.md)"

/* The shipped default weights (src/nn/student_weights.c, generated by
 * `animasync train ... --emit-c`): header {kind, n_hparams, hparams...}. */
extern const int32_t as_default_weights_student_header[];
extern const size_t as_default_weights_student_count;
extern const float as_default_weights_student[];

#endif
