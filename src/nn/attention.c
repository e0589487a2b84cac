/* nn/attention.c — multi-head scaled dot-product self-attention with a
 * padding mask (Vaswani et al., NeurIPS 2017), the core of the text emotion
 * classifier's transformer block. The qkv projection before it and the
 * output projection after it are ordinary linear layers (nn_matmul_*). */
#include <math.h>
#include <string.h>

#include "nn/nn.h"

static inline int key_allowed(const uint8_t *mask, int b, int T, int i, int j, int causal)
{
    if (mask && !mask[(size_t)b * T + j]) return 0; /* padding is never a key */
    if (causal && j > i) return 0;                  /* no peeking at later tokens */
    return 1;
}

void nn_attention_forward(float *out, float *att, const float *qkv, const uint8_t *mask, int B, int T, int C, int NH,
                          int causal)
{
    // out (B, T, C), att (B, NH, T, T), qkv (B, T, 3C), mask (B, T)
    int hs = C / NH;
    int C3 = 3 * C;
    /* dividing by sqrt(head size) keeps the dot products at unit variance,
     * so the softmax does not saturate (Vaswani et al., sec. 3.2.1) */
    float scale = 1.0f / sqrtf((float)hs);
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < NH; h++) {
            const float *q = qkv + (size_t)b * T * C3 + (size_t)h * hs; // (T, hs) rows 3C apart
            const float *k = q + C;
            const float *v = q + 2 * C;
            float *a = att + ((size_t)b * NH + h) * T * T; // (T, T)
            /* raw scores q_i . k_j for all pairs: a product of (T, hs) by (T, hs)^T */
            nn_matmul_rows(a, T, q, C3, k, C3, NULL, T, hs, T);
            for (int i = 0; i < T; i++) {
                float *ai = a + (size_t)i * T;
                /* softmax over the allowed keys, max subtracted for range */
                float mx = -INFINITY;
                for (int j = 0; j < T; j++)
                    if (key_allowed(mask, b, T, i, j, causal) && ai[j] * scale > mx) mx = ai[j] * scale;
                /* exponentials in one branch-free pass so it vectorises:
                 * padding keys are zeroed by an integer mask, keys after a
                 * causal query are simply not visited; then the sum in order */
                int jn = causal ? i + 1 : T;
                const uint8_t *mrow = mask ? mask + (size_t)b * T : NULL;
                if (mrow) {
                    for (int j = 0; j < jn; j++) {
                        uint32_t ok = 0u - (uint32_t)(mrow[j] != 0);
                        ai[j] = nn_bits_float(nn_float_bits(nn_expf(ai[j] * scale - mx)) & ok);
                    }
                } else {
                    for (int j = 0; j < jn; j++) ai[j] = nn_expf(ai[j] * scale - mx);
                }
                for (int j = jn; j < T; j++) ai[j] = 0.0f;
                float sum = 0.0f;
                for (int j = 0; j < T; j++) sum += ai[j];
                /* no allowed key (an all-padding sequence): attend to nothing */
                float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
                for (int j = 0; j < T; j++) ai[j] *= inv;
                /* output: the attention-weighted sum of the values */
                float *o = out + ((size_t)b * T + i) * C + (size_t)h * hs;
                memset(o, 0, (size_t)hs * sizeof(float));
                for (int j = 0; j < T; j++) {
                    float w = ai[j];
                    if (w == 0.0f) continue;
                    const float *vj = v + (size_t)j * C3;
                    for (int c = 0; c < hs; c++) o[c] += w * vj[c];
                }
            }
        }
    }
}

void nn_attention_backward(float *dqkv, float *scratch, const float *dout, const float *qkv, const float *att, int B,
                           int T, int C, int NH)
{
    // dqkv (B, T, 3C), scratch (T, T), dout (B, T, C), qkv (B, T, 3C), att (B, NH, T, T)
    int hs = C / NH;
    int C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)hs);
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < NH; h++) {
            size_t base = (size_t)b * T * C3 + (size_t)h * hs;
            const float *q = qkv + base, *k = q + C, *v = q + 2 * C;
            float *dq = dqkv + base, *dk = dq + C, *dv = dq + 2 * C;
            const float *a = att + ((size_t)b * NH + h) * T * T;
            const float *d = dout + (size_t)b * T * C + (size_t)h * hs; // (T, hs) rows C apart
            float *ds = scratch;                                         // (T, T)
            /* out_i = sum_j a_ij v_j:
             *   da_ij = dout_i . v_j        (dout (T,hs) times v^T)
             *   dv_j += sum_i a_ij dout_i   (a^T times dout) */
            nn_gemm(0, 1, T, T, hs, 1.0f, d, C, v, C3, 0.0f, ds, T);
            nn_gemm(1, 0, T, hs, T, 1.0f, a, T, d, C, 1.0f, dv, C3);
            /* softmax backward, row by row: ds_ij = a_ij (da_ij - sum_k a_ik da_ik);
             * masked keys have a_ij = 0 and get nothing. The score scale is
             * folded in here. */
            for (int i = 0; i < T; i++) {
                const float *ai = a + (size_t)i * T;
                float *di = ds + (size_t)i * T;
                float dot = 0.0f;
                for (int j = 0; j < T; j++) dot += ai[j] * di[j];
                for (int j = 0; j < T; j++) di[j] = ai[j] * (di[j] - dot) * scale;
            }
            /* score_ij = q_i . k_j:  dq_i += sum_j ds_ij k_j,  dk_j += sum_i ds_ij q_i */
            nn_gemm(0, 0, T, hs, T, 1.0f, ds, T, k, C3, 1.0f, dq, C3);
            nn_gemm(1, 0, T, hs, T, 1.0f, ds, T, q, C3, 1.0f, dk, C3);
        }
    }
}
