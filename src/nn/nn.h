/* nn/nn.h — the small neural-network library the learned parts are built
 * from (not public): layers with forward and backward passes, losses with
 * their gradients, one flat parameter buffer with named pointers into it,
 * AdamW with a warm-up + cosine schedule and global-norm clipping, seeded
 * initialisation, weight files, a C-source generator for shipped weights,
 * and a parallel-for for data-parallel training on several cores.
 *
 * Two models sit on top of it: the audio student of the lip-sync layer (a
 * causal dilated convolution stack or a GRU, FiLM-conditioned on the 19-dim
 * emotion vector) and the text emotion classifier (an ALBERT-style micro
 * transformer). docs/NN.md shows both put together from these layers;
 * tests/test_nn_train.c builds and trains a small one of each.
 *
 * Conventions (the llm.c habits of STYLE.md):
 *   - xxx_forward(out, cache..., inp, weights..., dims) and
 *     xxx_backward(dinp, dweights..., dout, inp, cache..., weights, dims).
 *   - Every tensor is row-major float32; the comment after each pointer gives
 *     its shape, e.g. `// (B, T, C)`: B sequences, T time steps (frames or
 *     tokens), C channels. N is a row count (B * T when a layer does not care
 *     about time).
 *   - Backward passes ACCUMULATE into every gradient (`+=`): zero the
 *     gradients once per step, then run the backward passes. Any gradient
 *     pointer may be NULL to skip it (a frozen weight, an input that needs no
 *     gradient). Backward outputs must not alias their inputs.
 *   - Forward passes never read `out` before writing it; a forward may run in
 *     place (out == inp) only where its comment says so.
 *   - No function here allocates, prints or fails on the hot path; the few
 *     that can fail return as_result and record a message with as_fail.
 *
 * Numerics: every forward matrix product goes through one row-stable kernel
 * (nn_matmul_rows, built for AVX-512, AVX2 and plain x86-64, picked by the
 * CPU): the value of an output row depends only on that input row and the
 * weights, never on how many rows are computed together or on the batch
 * split. So a stream that feeds one frame at a time gets bit-identical
 * outputs to one offline call over the whole clip. Backward products go
 * through OpenBLAS (nn_gemm, matmul.c); BLAS appears nowhere else.
 * docs/NN.md has the determinism guarantees in one table. */
#ifndef AS_NN_H
#define AS_NN_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "animasync/core.h"
#include "animasync/nn.h"

/* ==== elementary functions =================================================
 * exp, tanh and the logistic sigmoid in float, written so that a loop over
 * them vectorises: glibc's tanhf costs about 20 ns a value, and it made
 * GELU the slowest part of the transformer. Range checks look at the
 * float's bits with integer compares: a float compare may raise an IEEE
 * exception, so under the default -ftrapping-math the compiler keeps it a
 * branch and gives up on the loop. Every step is a plain IEEE operation
 * (no fusing in ISO C mode), so the results are the same bits on every
 * x86-64 CPU, vectorised or not. */

static inline uint32_t nn_float_bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    return u;
}

static inline float nn_bits_float(uint32_t u)
{
    float x;
    memcpy(&x, &u, 4);
    return x;
}

/* e^x within 2 ulp (1.7 ulp measured over -87..88, tests/test_nn_grad.c);
 * 0 below -87 and +inf above 88 (also for NaN: a NaN here means a diverged
 * training run, which the losses, computed in double, still show).
 * Cody & Waite ("Software Manual for the Elementary Functions", 1980):
 * e^x = 2^n e^r with n = round(x / ln 2) and r = x - n ln 2 in
 * [-ln2/2, ln2/2], ln 2 split into a short high part (exact n * ln2_hi) and
 * a low part; e^r by its Taylor polynomial to r^7 (truncation below 2^-27
 * relative); 2^n built in the exponent field. */
static inline float nn_expf(float x)
{
    uint32_t ux = nn_float_bits(x);
    uint32_t under = (uint32_t)(ux > 0xC2AE0000u);                        /* x < -87 (bits of -87.0f) */
    uint32_t over = (uint32_t)(ux > 0x42B00000u) & (uint32_t)(ux < 0x80000000u); /* x > 88 (bits of 88.0f) */
    uint32_t keep = 0u - (1u - (under | over));                          /* all ones inside the range */
    float xs = nn_bits_float(ux & keep);                                  /* 0 outside: keeps n in range */
    /* n = round(x log2 e): adding 1.5 * 2^23 pushes the fraction out of
     * the mantissa with round-to-nearest, subtracting it back leaves n */
    float n = (xs * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = xs - n * 0.693145751953125f;  /* ln 2 high part: 12 bits, so n * hi is exact */
    r = r - n * 1.42860682030941723e-6f;    /* ln 2 low part */
    float p = 1.0f / 5040.0f;               /* Horner: 1 + r + r^2/2! + ... + r^7/7! */
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    float scale = nn_bits_float((uint32_t)((int32_t)n + 127) << 23); /* 2^n, n in -126..127 */
    uint32_t y = nn_float_bits(p * scale);
    return nn_bits_float((y & keep) | ((0u - over) & 0x7F800000u)); /* 0 below, +inf above */
}

/* tanh x = sign(x) (1 - e^-2|x|) / (1 + e^-2|x|), within 1e-7 absolute;
 * below |x| = 0.01 the series x - x^3/3 + 2x^5/15, which keeps the relative
 * accuracy where 1 - e^-2|x| would cancel. */
static inline float nn_tanhf(float x)
{
    float a = fabsf(x);
    float e = nn_expf(-2.0f * a);
    float t = (1.0f - e) / (1.0f + e);
    float a2 = a * a;
    float series = a * (1.0f - a2 * (1.0f / 3.0f - a2 * (2.0f / 15.0f)));
    uint32_t small = 0u - (uint32_t)(nn_float_bits(a) < 0x3C23D70Au); /* |x| < 0.01 (bits of 0.01f) */
    t = nn_bits_float((nn_float_bits(series) & small) | (nn_float_bits(t) & ~small));
    return copysignf(t, x);
}

/* The logistic sigmoid 1 / (1 + e^-x): 0 and 1 exactly at the far ends,
 * never a cancellation (the sum of two positives). */
static inline float nn_sigmoidf(float x) { return 1.0f / (1.0f + nn_expf(-x)); }

/* ==== matrix products (matmul.c) ========================================= */

/* The row-stable forward kernel:
 *   out[m*ldo + n] = bias[n] + sum_k inp[m*ldi + k] * weight[n*ldw + k]
 * for m < M, n < N, k < K (bias may be NULL). Each output is summed in one
 * order fixed by K alone, identical for every row, so rows are independent
 * bit for bit: for K <= 24 in increasing k into one sum; above, in 16
 * interleaved partial sums over k, then a fixed pairwise fold. */
void nn_matmul_rows(float *out, int ldo, const float *inp, int ldi, const float *weight, int ldw, const float *bias,
                    int M, int K, int N);
/* The kernel is built three ways and the CPU picks one: AVX-512 with FMA,
 * AVX2 with FMA (the same bits: a fused multiply-add is exact by
 * definition), and a portable build without fusing (other low bits, about
 * 3x slower). nn_kernel_name() says which one runs ("avx512+fma",
 * "avx2+fma", "portable"); nn_matmul_rows_using runs a chosen one (for
 * tests: AUTO is the CPU's choice) and returns 0 if this CPU cannot. */
typedef enum { NN_KERNEL_AUTO = 0, NN_KERNEL_PORTABLE, NN_KERNEL_AVX2, NN_KERNEL_AVX512 } nn_kernel;
const char *nn_kernel_name(void);
int nn_matmul_rows_using(nn_kernel kernel, float *out, int ldo, const float *inp, int ldi, const float *weight,
                         int ldw, const float *bias, int M, int K, int N);

/* General product through BLAS (the only BLAS call in the library):
 *   C (M, N) = alpha * op(A) * op(B) + beta * C, row-major, op(X) = X or X^T
 *   A is (M, K) or, transposed, (K, M); B is (K, N) or, transposed, (N, K). */
void nn_gemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
             int ldb, float beta, float *C, int ldc);

/* Linear layer (matmul): out = inp * weight^T + bias, row by row.
 *   out    // (N, OC)
 *   inp    // (N, C)
 *   weight // (OC, C)  PyTorch's nn.Linear layout
 *   bias   // (OC) or NULL */
void nn_matmul_forward(float *out, const float *inp, const float *weight, const float *bias, int N, int C, int OC);
/*   dinp    // (N, C)   += dout * weight
 *   dweight // (OC, C)  += dout^T * inp
 *   dbias   // (OC)     += column sums of dout
 *   dout    // (N, OC) */
void nn_matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                        const float *weight, int N, int C, int OC);

/* ==== temporal convolution and FiLM (conv.c) ============================= */

/* Dilated 1-D convolution over time with a bounded look-ahead, per sequence,
 * zero-padded at both ends of each sequence. Tap j (0..K-1) of output frame t
 * reads input frame t + (j - (K-1-L)) * dilation, so frame t sees inputs
 * t - (K-1-L)*dilation .. t + L*dilation: L = 0 is causal, L frames of
 * look-ahead delay a stream by L*dilation frames in this layer.
 * Computed as im2col (col holds, for each frame, the K input frames it reads)
 * followed by one row-stable matmul; col is the cache backward needs.
 *   out    // (B, T, OC)
 *   col    // (B, T, K*C)  cache, written by forward
 *   inp    // (B, T, C)
 *   weight // (OC, K*C)    i.e. (OC, K, C): tap j of output channel o at o*K*C + j*C
 *   bias   // (OC) or NULL */
void nn_conv1d_forward(float *out, float *col, const float *inp, const float *weight, const float *bias, int B, int T,
                       int C, int OC, int K, int dilation, int lookahead);
/* The im2col step alone (a stream builds the columns of its newest frames
 * with it, then calls nn_matmul_forward on them: same bits as offline).
 *   col // (B, T, K*C)
 *   inp // (B, T, C) */
void nn_conv1d_im2col(float *col, const float *inp, int B, int T, int C, int K, int dilation, int lookahead);
/*   dinp    // (B, T, C)
 *   dweight // (OC, K*C)
 *   dbias   // (OC)
 *   dout    // (B, T, OC)
 *   col     // (B, T, K*C) from forward */
void nn_conv1d_backward(float *dinp, float *dweight, float *dbias, const float *dout, const float *col,
                        const float *weight, int B, int T, int C, int OC, int K, int dilation, int lookahead);

/* FiLM, feature-wise linear modulation (Perez et al., "FiLM: Visual
 * Reasoning with a General Conditioning Layer", AAAI 2018):
 *   out[b,t,c] = inp[b,t,c] * (1 + gamma[b,t',c]) + beta[b,t',c]
 * with t' = t when film_T == T (per frame) or 0 when film_T == 1 (one pair per
 * sequence). The "1 +" makes a zero-initialised generator start as identity.
 *   out  // (B, T, C)  may equal inp (not when training: backward needs inp)
 *   inp  // (B, T, C)
 *   film // (B, film_T, 2*C): per row, C gammas then C betas */
void nn_film_forward(float *out, const float *inp, const float *film, int B, int T, int C, int film_T);
/*   dinp  // (B, T, C)
 *   dfilm // (B, film_T, 2*C) */
void nn_film_backward(float *dinp, float *dfilm, const float *dout, const float *inp, const float *film, int B, int T,
                      int C, int film_T);

/* ==== element-wise layers, normalisation, embeddings, pooling (layers.c) == */

/* Activations over n values. Forward may run in place (out == inp).
 * Backward reads what it needs: relu, sigmoid and tanh the forward OUTPUT,
 * gelu the forward INPUT. */
void nn_relu_forward(float *out, const float *inp, size_t n);
void nn_relu_backward(float *dinp, const float *dout, const float *out, size_t n);
/* GELU, tanh approximation (Hendrycks & Gimpel, "Gaussian Error Linear
 * Units", arXiv:1606.08415, 2016, eq. 2). */
void nn_gelu_forward(float *out, const float *inp, size_t n);
void nn_gelu_backward(float *dinp, const float *dout, const float *inp, size_t n);
void nn_sigmoid_forward(float *out, const float *inp, size_t n);
void nn_sigmoid_backward(float *dinp, const float *dout, const float *out, size_t n);
void nn_tanh_forward(float *out, const float *inp, size_t n);
void nn_tanh_backward(float *dinp, const float *dout, const float *out, size_t n);

/* Residual add: out = a + b (out may equal a or b). */
void nn_residual_forward(float *out, const float *a, const float *b, size_t n);
/* da += dout, db += dout. */
void nn_residual_backward(float *da, float *db, const float *dout, size_t n);

/* Layer normalisation over the C channels of each row (Ba, Kiros & Hinton,
 * "Layer Normalization", arXiv:1607.06450, 2016), eps = NN_LAYERNORM_EPS:
 *   out = (inp - mean) * rstd * weight + bias
 *   out    // (N, C)
 *   mean   // (N) cache
 *   rstd   // (N) cache: 1 / sqrt(var + eps)
 *   inp    // (N, C)
 *   weight // (C)  gain, initialise to 1
 *   bias   // (C)  initialise to 0 */
#define NN_LAYERNORM_EPS 1e-5f
void nn_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                          const float *bias, int N, int C);
void nn_layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                           const float *weight, const float *mean, const float *rstd, int N, int C);

/* Embedding lookup: out[n] = table[ids[n]]. An id outside 0..V-1 gives a zero
 * row (and no gradient), so a bad token can never read out of bounds.
 *   out   // (N, C)
 *   ids   // (N)
 *   table // (V, C) */
void nn_embedding_forward(float *out, const int *ids, const float *table, int N, int C, int V);
/*   dtable // (V, C) += dout rows at their ids */
void nn_embedding_backward(float *dtable, const float *dout, const int *ids, int N, int C, int V);

/* Learned positional embedding added per time step: out[b,t] = inp[b,t] + pos[t].
 *   out // (B, T, C)  may equal inp
 *   pos // (T_max, C) with T <= T_max */
void nn_posemb_forward(float *out, const float *inp, const float *pos, int B, int T, int C);
/*   dinp // (B, T, C) += dout
 *   dpos // (T_max, C) += dout summed over b */
void nn_posemb_backward(float *dinp, float *dpos, const float *dout, int B, int T, int C);

/* Mean over the time steps a mask keeps (all when mask is NULL); a sequence
 * with no kept step gives a zero row.
 *   out  // (B, C)
 *   inp  // (B, T, C)
 *   mask // (B, T) 1 = token, 0 = padding; or NULL */
void nn_meanpool_forward(float *out, const float *inp, const uint8_t *mask, int B, int T, int C);
void nn_meanpool_backward(float *dinp, const float *dout, const uint8_t *mask, int B, int T, int C);

/* Selects one time step per sequence ([CLS] pooling: pos NULL means step 0).
 *   out // (B, C)
 *   inp // (B, T, C)
 *   pos // (B) or NULL; a position outside 0..T-1 gives a zero row */
void nn_select_forward(float *out, const float *inp, const int *pos, int B, int T, int C);
void nn_select_backward(float *dinp, const float *dout, const int *pos, int B, int T, int C);

/* Row-wise softmax (for inference: probabilities from logits).
 *   probs  // (N, V)  may equal logits
 *   logits // (N, V) */
void nn_softmax_forward(float *probs, const float *logits, int N, int V);

/* Inverted dropout (Srivastava et al., JMLR 15, 2014): each value is kept
 * with probability 1 - p and scaled by 1 / (1 - p), so inference (p = 0) is
 * the identity. mask caches the factor (0 or 1/(1-p)) per value.
 *   out  // (n)  may equal inp
 *   mask // (n)  cache
 *   inp  // (n) */
typedef struct nn_rng nn_rng;
void nn_dropout_forward(float *out, float *mask, const float *inp, size_t n, float p, nn_rng *rng);
void nn_dropout_backward(float *dinp, const float *dout, const float *mask, size_t n);

/* ==== recurrent layer (gru.c) ============================================ */

/* Gated recurrent unit over time (Cho et al., "Learning Phrase
 * Representations using RNN Encoder-Decoder for Statistical Machine
 * Translation", EMNLP 2014), in the form cuDNN and PyTorch use, where the
 * reset gate multiplies the recurrent product (with its bias) rather than
 * the state before it, so the three recurrent products are one matmul:
 *   r = sigmoid(Wx_r x + bx_r + Wh_r h + bh_r)
 *   z = sigmoid(Wx_z x + bx_z + Wh_z h + bh_z)
 *   n = tanh   (Wx_n x + bx_n + r * (Wh_n h + bh_n))
 *   h' = (1 - z) * n + z * h
 * Gate order in the weights is r, z, n.
 *   out   // (B, T, H)   h at every step (the last step is the state to carry)
 *   gates // (B, T, 3H)  cache: r, z, n after their nonlinearity
 *   ghh   // (B, T, 3H)  cache: Wh h + bh, before the gates
 *   inp   // (B, T, C)
 *   h0    // (B, H)      initial state, or NULL for zeros
 *   wx    // (3H, C)
 *   bx    // (3H)
 *   wh    // (3H, H)
 *   bh    // (3H)
 * A stream runs it with T = 1 (or any chunk), h0 = the last output row of the
 * previous chunk: bit-identical to one call over the whole clip. */
void nn_gru_forward(float *out, float *gates, float *ghh, const float *inp, const float *h0, const float *wx,
                    const float *bx, const float *wh, const float *bh, int B, int T, int C, int H);
/* Backward through time. scratch must hold nn_gru_scratch_floats(B, T, H).
 *   dinp // (B, T, C)   dwx // (3H, C)   dbx // (3H)
 *   dh0  // (B, H) or NULL                dwh // (3H, H)   dbh // (3H)
 *   dout // (B, T, H) */
size_t nn_gru_scratch_floats(int B, int T, int H);
void nn_gru_backward(float *dinp, float *dh0, float *dwx, float *dbx, float *dwh, float *dbh, float *scratch,
                     const float *dout, const float *inp, const float *h0, const float *out, const float *gates,
                     const float *ghh, const float *wx, const float *wh, int B, int T, int C, int H);

/* ==== multi-head self-attention (attention.c) ============================ */

/* Scaled dot-product attention over NH heads of size C / NH (C a multiple
 * of NH) (Vaswani et al.,
 * "Attention Is All You Need", NeurIPS 2017), after a qkv projection
 * (nn_matmul_forward to 3C) and before the output projection:
 *   att[b,h,i,j] = softmax_j(q_i . k_j / sqrt(C/NH)) over the keys j allowed
 *   out[b,i,h]   = sum_j att[b,h,i,j] v_j
 * A key j is allowed when mask[b,j] != 0 (padding is never attended) and,
 * if causal, j <= i. A query with no allowed key gets zero attention and a
 * zero output. Queries at padding positions are computed like any other
 * (pool with the same mask and they never reach a loss).
 *   out  // (B, T, C)
 *   att  // (B, NH, T, T)  cache: attention probabilities
 *   qkv  // (B, T, 3C)     per row: C queries, C keys, C values; head h uses
 *                          columns h*C/NH .. (h+1)*C/NH - 1 of each
 *   mask // (B, T) 1 = token, 0 = padding; or NULL */
void nn_attention_forward(float *out, float *att, const float *qkv, const uint8_t *mask, int B, int T, int C, int NH,
                          int causal);
/*   dqkv    // (B, T, 3C)
 *   scratch // (T, T)
 *   dout    // (B, T, C) */
void nn_attention_backward(float *dqkv, float *scratch, const float *dout, const float *qkv, const float *att, int B,
                           int T, int C, int NH);

/* ==== losses (loss.c) ==================================================== *
 * Each loss returns its mean value (computed in double) and, when the
 * gradient pointer is non-NULL, ADDS scale * d(loss)/d(input) to it, so
 * several weighted losses sum into one gradient. row_weight (N), when not
 * NULL, weights each row (0 masks it out); the mean divides by the total
 * weight (times C for per-channel losses). chan_weight (C) scales each
 * channel without changing the divisor (EXPRESSION 1.5 vs SHARED 1.0). */

/* Softmax cross-entropy. Hard targets: targets[n] in 0..V-1 (a negative
 * target ignores the row), soft_targets NULL; loss = -log p[target].
 * Soft targets (distillation, label smoothing): soft_targets (N, V) rows that
 * sum to 1, targets NULL; the loss returned is the Kullback-Leibler
 * divergence KL(q || p) = sum q log(q / p), whose gradient equals that of the
 * soft cross-entropy: dlogits = p - q.
 *   dlogits // (N, V) or NULL
 *   probs   // (N, V) softmax output, or NULL
 *   logits  // (N, V) */
float nn_softmax_xent_loss(float *dlogits, float *probs, const float *logits, const int *targets,
                           const float *soft_targets, const float *row_weight, int N, int V, float scale);

/* Knowledge distillation (Hinton, Vinyals & Dean, "Distilling the Knowledge
 * in a Neural Network", arXiv:1503.02531, 2015): tau^2 * KL(softmax(t/tau) ||
 * softmax(s/tau)); the tau^2 keeps gradient magnitudes independent of tau.
 *   dlogits        // (N, V) student, or NULL
 *   logits         // (N, V) student
 *   teacher_logits // (N, V) */
float nn_distill_loss(float *dlogits, const float *logits, const float *teacher_logits, const float *row_weight,
                      int N, int V, float temperature, float scale);

/* Mean squared error: mean (pred - target)^2.   dpred, pred, target // (N, C) */
float nn_mse_loss(float *dpred, const float *pred, const float *target, const float *row_weight, int N, int C,
                  float scale);

/* Channel-weighted L1: mean chan_weight[c] * |pred - target| (subgradient 0
 * at equality).   dpred, pred, target // (N, C);  chan_weight // (C) or NULL */
float nn_l1_loss(float *dpred, const float *pred, const float *target, const float *chan_weight,
                 const float *row_weight, int N, int C, float scale);

/* Velocity and acceleration L1 over time, per sequence: the L1 of the first
 * (pred[t] - pred[t-1]) or second (pred[t] - 2 pred[t-1] + pred[t-2])
 * difference against the same difference of the target, so the output moves
 * like the target and does not jitter. A difference term counts with the
 * product of the frame weights it spans.
 *   dpred, pred, target // (B, T, C);  chan_weight // (C) or NULL
 *   frame_weight        // (B, T) or NULL */
float nn_velocity_l1_loss(float *dpred, const float *pred, const float *target, const float *chan_weight,
                          const float *frame_weight, int B, int T, int C, float scale);
float nn_accel_l1_loss(float *dpred, const float *pred, const float *target, const float *chan_weight,
                       const float *frame_weight, int B, int T, int C, float scale);

/* Sigmoid + binary cross-entropy on logits, for outputs on 0..1 (the 52
 * weights, the V, A, D heads): targets on 0..1 (soft targets allowed); the
 * loss is computed in the overflow-free form max(z,0) - z*y + log(1+e^-|z|);
 * dlogits = sigmoid(z) - y.
 *   dlogits, probs (or NULL), logits, targets // (N, C) */
float nn_sigmoid_bce_loss(float *dlogits, float *probs, const float *logits, const float *targets,
                          const float *row_weight, int N, int C, float scale);

/* ==== parameters: one flat buffer, named pointers into it (params.c) ====== */

/* Seeded generator for initialisation, dropout and data shuffling:
 * splitmix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number
 * generators", OOPSLA 2014). */
struct nn_rng {
    uint64_t state;
};
void nn_rng_seed(nn_rng *rng, uint64_t seed);
uint64_t nn_rng_next(nn_rng *rng);
/* Uniform on [0, 1) with 24 random bits (every value exact in float). */
float nn_rng_uniform(nn_rng *rng);
/* Standard normal (Box-Muller on two uniforms, in double). */
float nn_rng_normal(nn_rng *rng);

/* How a tensor is initialised, and whether AdamW decays it. */
typedef enum {
    NN_INIT_ZEROS = 0, /* biases */
    NN_INIT_CONSTANT,  /* scale: the value (layer-norm gains: 1) */
    NN_INIT_UNIFORM,   /* U(-scale, scale) */
    NN_INIT_NORMAL,    /* N(0, scale^2) (embeddings, e.g. 0.02 as in BERT) */
    NN_INIT_XAVIER,    /* U(-a, a), a = scale * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, AISTATS 2010) */
    NN_INIT_KAIMING    /* U(-a, a), a = scale * sqrt(6 / fan_in), for ReLU (He et al., ICCV 2015) */
} nn_init_kind;
typedef struct {
    nn_init_kind kind;
    float scale;
    int fan_in, fan_out;
    int decay; /* 1: AdamW applies weight decay (matrices, embeddings); 0: not (biases, gains) */
} nn_init;
static inline nn_init nn_zeros(void) { return (nn_init){NN_INIT_ZEROS, 0.0f, 0, 0, 0}; }
static inline nn_init nn_constant(float c) { return (nn_init){NN_INIT_CONSTANT, c, 0, 0, 0}; }
static inline nn_init nn_uniform(float bound) { return (nn_init){NN_INIT_UNIFORM, bound, 0, 0, 1}; }
static inline nn_init nn_normal(float std) { return (nn_init){NN_INIT_NORMAL, std, 0, 0, 1}; }
static inline nn_init nn_xavier(int fan_in, int fan_out) { return (nn_init){NN_INIT_XAVIER, 1.0f, fan_in, fan_out, 1}; }
static inline nn_init nn_kaiming(int fan_in) { return (nn_init){NN_INIT_KAIMING, 1.0f, fan_in, 0, 1}; }
/* The same rule with weight decay switched on (1) or off (0), e.g. a FiLM
 * generator's zero-initialised last layer that should still decay. */
static inline nn_init nn_with_decay(nn_init i, int decay) { i.decay = decay; return i; }

/* The tensors of one model in order. A model declares a struct of named
 * float pointers (its parameters) and adds each field once; the layout then
 * points any number of such structs (values, gradients) into flat buffers
 * that share the layout, so the optimizer is one loop over the buffer:
 *
 *     typedef struct { float *w1, *b1, *conv_w[4]; } my_params;
 *     nn_layout L; my_params p, g;
 *     nn_layout_init(&L);
 *     nn_layout_add(&L, &p, &p.w1, "w1", H * C, nn_xavier(C, H));
 *     nn_layout_add(&L, &p, &p.b1, "b1", H, nn_zeros());
 *     for (int i = 0; i < 4; i++)
 *         nn_layout_add(&L, &p, &p.conv_w[i], "conv_w", H * 3 * H, nn_kaiming(3 * H));
 *     nn_layout_bind(&L, &p, values);  // values: L.total floats
 *     nn_layout_bind(&L, &g, grads);   // g.w1 points into grads, at the same offset
 */
#define NN_MAX_TENSORS 256
#define NN_NAME_MAX 32
typedef struct {
    char name[NN_NAME_MAX]; /* for messages and docs; need not be unique */
    size_t offset;          /* first float in the flat buffer */
    size_t size;            /* floats */
    size_t slot;            /* byte offset of the pointer field in the model's struct */
    nn_init init;
} nn_tensor;
typedef struct {
    int n;                  /* tensors so far */
    int overflow;           /* 1 if more than NN_MAX_TENSORS were added */
    size_t total;           /* floats in all tensors */
    nn_tensor t[NN_MAX_TENSORS];
} nn_layout;

void nn_layout_init(nn_layout *L);
/* Appends a tensor of size floats right after the previous one; slot is the
 * address of its pointer field inside the struct at base (any struct of the
 * same type can be bound later). Returns the tensor's offset. */
size_t nn_layout_add(nn_layout *L, const void *base, float *const *slot, const char *name, size_t size, nn_init init);
/* Points every field of the struct at base into buf (L->total floats). */
void nn_layout_bind(const nn_layout *L, void *base, float *buf);
/* Fills values (L->total floats) from each tensor's rule. Tensor i draws from
 * its own generator seeded by (seed, i), so adding a tensor at the end never
 * changes the others. */
void nn_layout_init_values(const nn_layout *L, float *values, uint64_t seed);

/* ==== optimizer (optim.c) ================================================ */

/* AdamW (Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR
 * 2015; Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR
 * 2019). Defaults: beta1 0.9, beta2 0.999, eps 1e-8 (Kingma & Ba, sec. 2),
 * weight_decay 0.01. */
typedef struct {
    float beta1;        /* decay of the first moment, 0..1 */
    float beta2;        /* decay of the second moment, 0..1 */
    float eps;          /* added to sqrt(v_hat) */
    float weight_decay; /* decoupled, per unit learning rate */
} nn_adamw_params;
nn_adamw_params nn_adamw_default_params(void);
/* One AdamW update of n values; step counts updates from 1 (bias correction).
 *   values, m, v // (n) updated;  grads // (n) */
void nn_adamw_update(float *values, const float *grads, float *m, float *v, size_t n, float lr, float weight_decay,
                     const nn_adamw_params *p, long step);
/* The same over a whole layout: weight decay only on tensors whose init has
 * decay = 1. values, grads, m, v all hold L->total floats. */
void nn_adamw_step(const nn_layout *L, float *values, const float *grads, float *m, float *v, float lr,
                   const nn_adamw_params *p, long step);

/* Learning rate at step (0-based): linear warm-up from lr_max/warmup to lr_max
 * over steps 0..warmup-1, then a half cosine from lr_max down to lr_min at
 * total_steps (Loshchilov & Hutter, "SGDR", ICLR 2017), lr_min after. */
float nn_lr_at(long step, long warmup_steps, long total_steps, float lr_max, float lr_min);

/* L2 norm of n gradients (summed in double). */
float nn_grad_norm(const float *grads, size_t n);
/* Global-norm clipping (Pascanu, Mikolov & Bengio, ICML 2013): when the norm
 * exceeds max_norm, scales all n gradients by max_norm / norm. Returns the
 * norm before clipping. */
float nn_clip_grad_norm(float *grads, size_t n, float max_norm);

/* ==== threads (parallel.c) =============================================== */

/* Data-parallel training on several cores: split a batch into a FIXED number
 * of shards, give each shard its own gradient buffer, run the shards on the
 * threads, then sum the shard gradients in shard order with nn_sum_into.
 * The result depends on the shard count only, never on the thread count or
 * on scheduling (a shard's work is the same whichever thread runs it), so a
 * run is bit-reproducible on 1 or 2 threads with the same shards.
 *
 * nn_parallel_for runs fn(ctx, task, thread) once for every task
 * 0..n_tasks-1 on n_threads threads (the caller is thread 0; task i runs on
 * thread i % n_threads, tasks of one thread in increasing order). Threads
 * are started per call and joined before it returns (tens of microseconds,
 * small next to a training step). If a thread cannot start, the caller runs
 * its tasks: same results. */
typedef void (*nn_task_fn)(void *ctx, int task, int thread);
void nn_parallel_for(int n_threads, int n_tasks, nn_task_fn fn, void *ctx);
/* dst[i] = src[0][i] + src[1][i] + ... in that order, for i < n. */
void nn_sum_into(float *dst, const float *const *src, int n_src, size_t n);
/* OpenBLAS threads for the backward products. With nn_parallel_for on all
 * cores, set 1 (two levels of threads would oversubscribe the cores). Also
 * logs a warning (AS_LOG_WARN) when OpenBLAS runs its slow fallback kernels
 * on a CPU it did not recognise (see nn_blas_core). */
void nn_set_blas_threads(int n);
/* Online CPUs (at least 1). */
int nn_cpu_count(void);
/* The kernel family OpenBLAS chose for this CPU at load time ("SkylakeX",
 * "Haswell", ...). OpenBLAS 0.3.21 does not know the newest Xeons and falls
 * back to "Prescott" (SSE3), 3-5x slower in the backward products; the
 * environment variable OPENBLAS_CORETYPE=SkylakeX, set before the program
 * starts, fixes that. Trainers print it in their first progress line. */
const char *nn_blas_core(void);

/* ==== weight files (weights.c) =========================================== *
 * Format (docs/NN.md has it byte by byte), all little-endian:
 *   int32 magic "ASNN", int32 format version, int32 model kind,
 *   int32 hyperparameter count h, int32 hyperparameters[h],
 *   int32 value count n, int32 extra byte count e,
 *   float32 values[n] (struct order), e extra bytes (e.g. a tokenizer),
 *   uint32 CRC-32 of every byte before it. */
#define NN_MAX_HPARAMS 64

typedef struct {
    int32_t version;
    int32_t kind;
    int n_hparams;
    int32_t hparams[NN_MAX_HPARAMS];
    float *values;        /* (n_values), as_malloc'd */
    size_t n_values;
    unsigned char *extra; /* (n_extra), as_malloc'd, NULL when n_extra = 0 */
    size_t n_extra;
} nn_weights;

/* Writes a weight file atomically (temporary file + rename). extra may be
 * NULL when n_extra is 0. Refuses non-finite values. */
as_result nn_weights_save(const char *path, int32_t kind, const int32_t *hparams, int n_hparams, const float *values,
                          size_t n_values, const void *extra, size_t n_extra);
/* Reads and checks a weight file: magic, version, kind (kind < 0 accepts
 * any), size (truncated / oversized) and checksum. On failure returns
 * AS_ERR_IO or AS_ERR_PARSE with a one-line message that names the file,
 * the problem and, after "; ", the hint (how to make a right file; NULL
 * gives a generic one). The caller frees with nn_weights_free. */
as_result nn_weights_load(const char *path, int32_t kind, const char *hint, nn_weights *out);
/* The same from bytes in memory (label names them in messages). */
as_result nn_weights_parse(const void *data, size_t len, const char *label, int32_t kind, const char *hint,
                           nn_weights *out);
/* The same from the arrays of a generated C source (nn_weights_write_c):
 * header = {kind, h, hparams...}, values (n_values). Checks the kind and
 * copies, so built-in and file weights go through the same checks
 * (nn_weights_expect) and the same nn_weights_free. */
as_result nn_weights_from_arrays(const int32_t *header, const float *values, size_t n_values, const char *label,
                                 int32_t kind, const char *hint, nn_weights *out);
/* Checks a loaded file against what a model expects: its hyperparameters
 * (names may be NULL, else n_hparams names for the message) and its value
 * count. AS_ERR_PARSE with the first mismatch and the hint. */
as_result nn_weights_expect(const nn_weights *w, const int32_t *hparams, const char *const *names, int n_hparams,
                            size_t n_values, const char *label, const char *hint);
void nn_weights_free(nn_weights *w);

/* Training checkpoints, for resuming: the weights, both AdamW moments and
 * the step count in one weight file of kind | AS_NN_KIND_CHECKPOINT, whose
 * hyperparameters are the model's followed by the step (two int32: low,
 * high) and whose values are values, m, v (n each). extra (e.g. a
 * tokenizer) is stored as in a weight file; nn_weights_load reads it.
 * Loading checks the kind, the model's hyperparameters and n, then fills
 * values, m, v and *step (which may be NULL). */
as_result nn_checkpoint_save(const char *path, int32_t kind, const int32_t *hparams, int n_hparams,
                             const float *values, const float *m, const float *v, size_t n, long step,
                             const void *extra, size_t n_extra);
as_result nn_checkpoint_load(const char *path, int32_t kind, const int32_t *hparams, const char *const *names,
                             int n_hparams, float *values, float *m, float *v, size_t n, long *step, const char *hint);

/* CRC-32 (ISO-HDLC / IEEE 802.3: reflected polynomial 0xEDB88320, initial
 * and final XOR 0xFFFFFFFF; crc32("123456789") = 0xCBF43926), continued from
 * crc (0 to start). */
uint32_t nn_crc32(uint32_t crc, const void *data, size_t len);

/* Writes values as a C source file for shipping weights inside the library:
 *   line 1: a comment saying it is generated, and by `command`
 *   const int32_t <name>_header[] = {kind, h, hparams...};
 *   const size_t <name>_count = n;
 *   const float <name>[] = { ... };   shortest decimals that read back exactly
 * name must be a C identifier (e.g. as_default_weights_student). Atomic.
 * Refuses non-finite values and a bad name. */
as_result nn_weights_write_c(const char *path, const char *name, const char *command, int32_t kind,
                             const int32_t *hparams, int n_hparams, const float *values, size_t n_values);

#endif
