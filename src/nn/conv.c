/* nn/conv.c — the temporal layers of the audio student: a dilated 1-D
 * convolution over time with bounded look-ahead (im2col + the row-stable
 * matmul), and FiLM conditioning (Perez et al., AAAI 2018), which lets the
 * 19-dim emotion vector scale and shift every channel of every layer. */
#include <string.h>

#include "nn/nn.h"

/* Input frame read by tap j of output frame t: t + (j - (K-1-L)) * dilation.
 * Taps 0..K-1-L look back, tap K-1-L is frame t itself, the last L look
 * ahead. */
static inline int tap_offset(int j, int K, int dilation, int lookahead)
{
    return (j - (K - 1 - lookahead)) * dilation;
}

void nn_conv1d_im2col(float *col, const float *inp, int B, int T, int C, int K, int dilation, int lookahead)
{
    // col (B, T, K*C), inp (B, T, C)
    for (int b = 0; b < B; b++) {
        const float *x = inp + (size_t)b * T * C;
        for (int t = 0; t < T; t++) {
            float *row = col + ((size_t)b * T + t) * K * C;
            for (int j = 0; j < K; j++) {
                /* frames outside 0..T-1 of this sequence are zero padding:
                 * a sequence never sees its neighbour in the batch */
                long s = (long)t + tap_offset(j, K, dilation, lookahead);
                if (s >= 0 && s < T) memcpy(row + (size_t)j * C, x + (size_t)s * C, (size_t)C * sizeof(float));
                else memset(row + (size_t)j * C, 0, (size_t)C * sizeof(float));
            }
        }
    }
}

void nn_conv1d_forward(float *out, float *col, const float *inp, const float *weight, const float *bias, int B, int T,
                       int C, int OC, int K, int dilation, int lookahead)
{
    // out (B, T, OC), col (B, T, K*C), inp (B, T, C), weight (OC, K*C), bias (OC)
    /* gather the K input frames each output frame reads into one row ... */
    nn_conv1d_im2col(col, inp, B, T, C, K, dilation, lookahead);
    /* ... then the convolution is a linear layer on those rows */
    nn_matmul_rows(out, OC, col, K * C, weight, K * C, bias, B * T, K * C, OC);
}

void nn_conv1d_backward(float *dinp, float *dweight, float *dbias, const float *dout, const float *col,
                        const float *weight, int B, int T, int C, int OC, int K, int dilation, int lookahead)
{
    // dinp (B, T, C), dweight (OC, K*C), dbias (OC), dout (B, T, OC), col (B, T, K*C), weight (OC, K*C)
    int KC = K * C;
    /* weights and bias: as a linear layer on the im2col rows */
    if (dweight) nn_gemm(1, 0, OC, KC, B * T, 1.0f, dout, OC, col, KC, 1.0f, dweight, KC);
    if (dbias) {
        for (size_t n = 0; n < (size_t)B * T; n++)
            for (int o = 0; o < OC; o++) dbias[o] += dout[n * OC + o];
    }
    if (!dinp) return;
    /* input: tap j of frame t read input frame s = t + off_j, so
     *   dinp[s] += dout[t] * W_j   with W_j = weight[:, j*C .. j*C+C-1] (OC, C).
     * For each sequence and tap that is one product over the frames t whose
     * s falls inside the sequence (the zero padding takes no gradient). The
     * rows of W_j are K*C apart in memory: BLAS reads the slice in place. */
    for (int b = 0; b < B; b++) {
        for (int j = 0; j < K; j++) {
            long off = tap_offset(j, K, dilation, lookahead);
            long t_lo = off < 0 ? -off : 0;
            long t_hi = off > 0 ? T - off : T;
            if (t_hi <= t_lo) continue;
            nn_gemm(0, 0, (int)(t_hi - t_lo), C, OC, 1.0f, dout + ((size_t)b * T + t_lo) * OC, OC,
                    weight + (size_t)j * C, KC, 1.0f, dinp + ((size_t)b * T + t_lo + off) * C, C);
        }
    }
}

void nn_film_forward(float *out, const float *inp, const float *film, int B, int T, int C, int film_T)
{
    // out (B, T, C), inp (B, T, C), film (B, film_T, 2C)
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < T; t++) {
            /* per-frame FiLM reads row t, per-sequence FiLM row 0 */
            const float *gamma = film + ((size_t)b * film_T + (film_T == 1 ? 0 : t)) * 2 * C;
            const float *beta = gamma + C;
            const float *x = inp + ((size_t)b * T + t) * C;
            float *o = out + ((size_t)b * T + t) * C;
            /* scale by 1 + gamma, not gamma: a FiLM generator that outputs
             * zeros (its initial state) leaves the features unchanged */
            for (int c = 0; c < C; c++) o[c] = x[c] * (1.0f + gamma[c]) + beta[c];
        }
    }
}

void nn_film_backward(float *dinp, float *dfilm, const float *dout, const float *inp, const float *film, int B, int T,
                      int C, int film_T)
{
    // dinp (B, T, C), dfilm (B, film_T, 2C), dout (B, T, C), inp (B, T, C), film (B, film_T, 2C)
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < T; t++) {
            size_t frow = ((size_t)b * film_T + (film_T == 1 ? 0 : t)) * 2 * C;
            const float *gamma = film + frow;
            const float *x = inp + ((size_t)b * T + t) * C;
            const float *d = dout + ((size_t)b * T + t) * C;
            if (dinp) {
                float *dx = dinp + ((size_t)b * T + t) * C;
                for (int c = 0; c < C; c++) dx[c] += d[c] * (1.0f + gamma[c]);
            }
            if (dfilm) {
                /* a per-sequence pair collects the gradient of all T frames */
                float *dgamma = dfilm + frow, *dbeta = dgamma + C;
                for (int c = 0; c < C; c++) {
                    dgamma[c] += d[c] * x[c];
                    dbeta[c] += d[c];
                }
            }
        }
    }
}
