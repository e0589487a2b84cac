/* nn/matmul.c — matrix products: the row-stable forward kernel, the BLAS
 * wrapper the backward passes use (the only file that includes cblas.h), and
 * the linear layer built on them.
 *
 * Why a kernel of our own for the forward pass: OpenBLAS picks its inner
 * kernels by the number of rows, so the same input row can come out with
 * different low bits when it is computed alone or in a block (measured on
 * OpenBLAS 0.3.21: an odd last row takes another path). A stream that feeds
 * one frame at a time must give the bits the offline run gives, so the
 * forward products use nn_matmul_rows, whose every output element goes
 * through the same float operations in the same order whatever the row
 * count. With the AVX-512 / AVX2 clones below it runs as fast as OpenBLAS at
 * the sizes of our models (100..1600 rows x 128..512). */
#include <cblas.h>
#include <string.h>

#include "nn/nn.h"

/* 16 partial sums per output: one AVX-512 register, four SSE registers. */
#define LANES 16

/* On x86-64 with GCC, compile the kernel three times (AVX-512, AVX2, plain
 * x86-64) and let the loader pick the best for the CPU. In ISO C mode the
 * compiler never fuses a multiply and an add into an FMA, so all three
 * perform the same IEEE operations and give the same bits. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && !defined(AS_NN_NO_CLONES)
#define NN_KERNEL_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define NN_KERNEL_CLONES
#endif

/* Four rows x one output: out[r] = bias + sum_k x_r[k] * w[k].
 * Lane l sums the products k = l, l + 16, l + 32, ... in increasing k; the
 * K % 16 tail products go to lanes 0.. in order; then the lanes fold pairwise
 * (8 + 8, 4 + 4, 2 + 2, 1 + 1). The order depends on K only. */
static inline void dot4(float out[4], const float *x0, const float *x1, const float *x2, const float *x3,
                        const float *w, int K)
{
    float a0[LANES] = {0}, a1[LANES] = {0}, a2[LANES] = {0}, a3[LANES] = {0};
    int k16 = K / LANES * LANES;
    for (int k = 0; k < k16; k += LANES) {
        for (int l = 0; l < LANES; l++) {
            float wv = w[k + l];
            a0[l] += x0[k + l] * wv;
            a1[l] += x1[k + l] * wv;
            a2[l] += x2[k + l] * wv;
            a3[l] += x3[k + l] * wv;
        }
    }
    for (int k = k16; k < K; k++) {
        float wv = w[k];
        a0[k - k16] += x0[k] * wv;
        a1[k - k16] += x1[k] * wv;
        a2[k - k16] += x2[k] * wv;
        a3[k - k16] += x3[k] * wv;
    }
    for (int h = LANES / 2; h > 0; h /= 2) {
        for (int l = 0; l < h; l++) {
            a0[l] += a0[l + h];
            a1[l] += a1[l + h];
            a2[l] += a2[l + h];
            a3[l] += a3[l + h];
        }
    }
    out[0] = a0[0];
    out[1] = a1[0];
    out[2] = a2[0];
    out[3] = a3[0];
}

NN_KERNEL_CLONES
void nn_matmul_rows(float *out, int ldo, const float *inp, int ldi, const float *weight, int ldw, const float *bias,
                    int M, int K, int N)
{
    for (int m = 0; m < M; m += 4) {
        /* Rows past the end repeat the last row (their results are dropped),
         * so every row, the last ones too, takes the one code path above. */
        const float *x[4];
        for (int r = 0; r < 4; r++) x[r] = inp + (size_t)(m + r < M ? m + r : M - 1) * ldi;
        int rows = M - m < 4 ? M - m : 4;
        for (int n = 0; n < N; n++) {
            float s[4];
            dot4(s, x[0], x[1], x[2], x[3], weight + (size_t)n * ldw, K);
            float b = bias ? bias[n] : 0.0f;
            for (int r = 0; r < rows; r++) out[(size_t)(m + r) * ldo + n] = b + s[r];
        }
    }
}

void nn_gemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
             int ldb, float beta, float *C, int ldc)
{
    if (M <= 0 || N <= 0) return;
    if (K <= 0) { /* an empty sum: C = beta * C (BLAS may refuse lda = 0) */
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) C[(size_t)i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[(size_t)i * ldc + j];
        return;
    }
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, M, N, K,
                alpha, A, lda, B, ldb, beta, C, ldc);
}

void nn_set_blas_threads(int n) { openblas_set_num_threads(n < 1 ? 1 : n); }

void nn_matmul_forward(float *out, const float *inp, const float *weight, const float *bias, int N, int C, int OC)
{
    // out (N, OC), inp (N, C), weight (OC, C), bias (OC)
    nn_matmul_rows(out, OC, inp, C, weight, C, bias, N, C, OC);
}

void nn_matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                        const float *weight, int N, int C, int OC)
{
    // dinp (N, C), dweight (OC, C), dbias (OC), dout (N, OC), inp (N, C), weight (OC, C)
    /* out[n,o] = b[o] + sum_c inp[n,c] w[o,c], so
     *   d/dinp[n,c] = sum_o dout[n,o] w[o,c]   -> dinp += dout * W
     *   d/dw[o,c]   = sum_n dout[n,o] inp[n,c] -> dW   += dout^T * inp
     *   d/db[o]     = sum_n dout[n,o] */
    if (dinp) nn_gemm(0, 0, N, C, OC, 1.0f, dout, OC, weight, C, 1.0f, dinp, C);
    if (dweight) nn_gemm(1, 0, OC, C, N, 1.0f, dout, OC, inp, C, 1.0f, dweight, C);
    if (dbias) {
        for (int n = 0; n < N; n++) {
            const float *d = dout + (size_t)n * OC;
            for (int o = 0; o < OC; o++) dbias[o] += d[o];
        }
    }
}
