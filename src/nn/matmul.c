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
 * count. On an AVX-512 CPU it runs at 70 GFLOP/s on the shapes of our models
 * (bench/bench_nn), twice OpenBLAS's fallback kernels and about 60% of its
 * best ones. */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "nn/nn.h"

/* 16 partial sums per output: one AVX-512 register, two AVX2, four SSE. */
#define LANES 16

/* One block of the product: R rows (4 or 1) x CB outputs. Each output is a
 * dot product summed in one fixed order that depends on K only:
 *   lane l sums the products k = l, l + 16, l + 32, ... in increasing k;
 *   the K % 16 tail products go to lanes 0, 1, ... in order;
 *   the 16 lanes fold pairwise (8 + 8, 4 + 4, 2 + 2, 1 + 1).
 * A product-and-add is either one fused fmaf (exact by definition, the same
 * bits on every CPU that has it) or a rounded multiply then add (fused ==
 * 0). R and CB are constants at each call site, so the compiler keeps the
 * R x CB x 16 sums in registers. */
static inline __attribute__((always_inline)) void dot_block(float *out, int ldo, const float *x, int ldi,
                                                            const float *w, int ldw, int K, const int R,
                                                            const int CB, const int fused)
{
    float a[4][4][LANES];
    for (int r = 0; r < R; r++)
        for (int c = 0; c < CB; c++)
            for (int l = 0; l < LANES; l++) a[r][c][l] = 0.0f;
    int k16 = K / LANES * LANES;
    for (int k = 0; k < k16; k += LANES)
        for (int c = 0; c < CB; c++)
            for (int l = 0; l < LANES; l++) {
                float wv = w[(size_t)c * ldw + k + l];
                for (int r = 0; r < R; r++) {
                    float xv = x[(size_t)r * ldi + k + l];
                    a[r][c][l] = fused ? fmaf(xv, wv, a[r][c][l]) : a[r][c][l] + xv * wv;
                }
            }
    for (int k = k16; k < K; k++)
        for (int c = 0; c < CB; c++) {
            float wv = w[(size_t)c * ldw + k];
            for (int r = 0; r < R; r++) {
                float xv = x[(size_t)r * ldi + k];
                a[r][c][k - k16] = fused ? fmaf(xv, wv, a[r][c][k - k16]) : a[r][c][k - k16] + xv * wv;
            }
        }
    for (int h = LANES / 2; h > 0; h /= 2)
        for (int r = 0; r < R; r++)
            for (int c = 0; c < CB; c++)
                for (int l = 0; l < h; l++) a[r][c][l] += a[r][c][l + h];
    for (int r = 0; r < R; r++)
        for (int c = 0; c < CB; c++) out[(size_t)r * ldo + c] = a[r][c][0];
}

/* Below this K the lane form spends more time folding its 16 partial sums
 * than multiplying, and the sequential form wins (measured at 100 x K x
 * 256: 26-40 GFLOP/s against 9 at K = 16). At K = 32 with few rows and
 * outputs (attention scores of 16-64 tokens) the lane form still wins, so
 * the switch sits below 32; the FiLM generators (K = 16, 19) are the case
 * it is for. */
#define SMALL_K 24
/* Outputs per block of the sequential form (two AVX-512 registers). */
#define SEQ_NB 32

/* The sequential form, for K <= SMALL_K: each output is summed in
 * increasing k into one accumulator, vectorised across outputs instead of
 * across k. A block of SEQ_NB weight rows is transposed onto the stack once
 * and reused by every input row; 4 rows at a time, then single rows, each
 * output element with the same operations. */
static inline __attribute__((always_inline)) void seq_kernel(float *out, int ldo, const float *inp, int ldi,
                                                             const float *weight, int ldw, int M, int K, int N,
                                                             const int fused)
{
    if (M < 4) {
        /* Too few rows to pay for the transposition: the same sums straight
         * from the weight rows, 8 outputs interleaved so the chains overlap
         * (outputs past N repeat the last row; their sums are dropped). The
         * order of each sum is the same, so are the bits. */
        for (int m = 0; m < M; m++) {
            const float *x = inp + (size_t)m * ldi;
            for (int n0 = 0; n0 < N; n0 += 8) {
                int nb = N - n0 < 8 ? N - n0 : 8;
                const float *w[8];
                for (int j = 0; j < 8; j++) w[j] = weight + (size_t)(n0 + (j < nb ? j : nb - 1)) * ldw;
                float a[8] = {0};
                for (int k = 0; k < K; k++)
                    for (int j = 0; j < 8; j++) a[j] = fused ? fmaf(x[k], w[j][k], a[j]) : a[j] + x[k] * w[j][k];
                for (int j = 0; j < nb; j++) out[(size_t)m * ldo + n0 + j] = a[j];
            }
        }
        return;
    }
    float wt[SMALL_K * SEQ_NB]; /* wt[k][j] = weight[n0 + j][k], zero past N */
    for (int n0 = 0; n0 < N; n0 += SEQ_NB) {
        int nb = N - n0 < SEQ_NB ? N - n0 : SEQ_NB;
        /* read each weight row along k (contiguous), write its column */
        for (int j = 0; j < nb; j++) {
            const float *wr = weight + (size_t)(n0 + j) * ldw;
            for (int k = 0; k < K; k++) wt[k * SEQ_NB + j] = wr[k];
        }
        for (int j = nb; j < SEQ_NB; j++)
            for (int k = 0; k < K; k++) wt[k * SEQ_NB + j] = 0.0f;
        int m = 0;
        for (; m + 4 <= M; m += 4) {
            float a[4][SEQ_NB];
            for (int r = 0; r < 4; r++)
                for (int j = 0; j < SEQ_NB; j++) a[r][j] = 0.0f;
            for (int k = 0; k < K; k++)
                for (int r = 0; r < 4; r++) {
                    float xv = inp[(size_t)(m + r) * ldi + k];
                    for (int j = 0; j < SEQ_NB; j++)
                        a[r][j] = fused ? fmaf(xv, wt[k * SEQ_NB + j], a[r][j]) : a[r][j] + xv * wt[k * SEQ_NB + j];
                }
            for (int r = 0; r < 4; r++)
                for (int j = 0; j < nb; j++) out[(size_t)(m + r) * ldo + n0 + j] = a[r][j];
        }
        for (; m < M; m++) {
            float a[SEQ_NB];
            for (int j = 0; j < SEQ_NB; j++) a[j] = 0.0f;
            for (int k = 0; k < K; k++) {
                float xv = inp[(size_t)m * ldi + k];
                for (int j = 0; j < SEQ_NB; j++)
                    a[j] = fused ? fmaf(xv, wt[k * SEQ_NB + j], a[j]) : a[j] + xv * wt[k * SEQ_NB + j];
            }
            for (int j = 0; j < nb; j++) out[(size_t)m * ldo + n0 + j] = a[j];
        }
    }
}

/* The whole product. K picks the form (sequential up to SMALL_K, lanes
 * above), so every row of a layer is summed the same way. In the lane form:
 * 4 rows x CB outputs where they fit, then 4 x 1 for the last outputs, then
 * 1 x 1 for the last rows (and for a stream's single frame). Every output
 * element sees the same operations whichever block computes it, so rows are
 * independent bit for bit; the bias is added last. tests/test_nn_grad.c
 * checks rows alone and in chunks. */
static inline __attribute__((always_inline)) void rows_kernel(float *out, int ldo, const float *inp, int ldi,
                                                              const float *weight, int ldw, const float *bias, int M,
                                                              int K, int N, const int CB, const int fused)
{
    if (K <= SMALL_K) {
        seq_kernel(out, ldo, inp, ldi, weight, ldw, M, K, N, fused);
    } else {
        int m = 0;
        for (; m + 4 <= M; m += 4) {
            int n = 0;
            for (; n + CB <= N; n += CB)
                dot_block(out + (size_t)m * ldo + n, ldo, inp + (size_t)m * ldi, ldi, weight + (size_t)n * ldw, ldw,
                          K, 4, CB, fused);
            for (; n < N; n++)
                dot_block(out + (size_t)m * ldo + n, ldo, inp + (size_t)m * ldi, ldi, weight + (size_t)n * ldw, ldw,
                          K, 4, 1, fused);
        }
        for (; m < M; m++)
            for (int n = 0; n < N; n++)
                dot_block(out + (size_t)m * ldo + n, ldo, inp + (size_t)m * ldi, ldi, weight + (size_t)n * ldw, ldw,
                          K, 1, 1, fused);
    }
    if (bias)
        for (int i = 0; i < M; i++)
            for (int n = 0; n < N; n++) out[(size_t)i * ldo + n] += bias[n];
}

/* Three builds of the kernel, picked by what the CPU has (x86-64 with GCC
 * or clang; elsewhere the portable one): AVX-512 with FMA (4 x 4 blocks,
 * 16 sums in 16 of the 32 vector registers), AVX2 with FMA (4 x 2: AVX2 has
 * 16 registers), and the portable one without fusing. The two fused builds
 * give the same bits; the portable one differs in the last bits (and is
 * about 3x slower). The choice depends on the CPU only, so it is the same
 * for every call of a process: row stability holds in each. */
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && !defined(AS_NN_PORTABLE_KERNEL)
#define NN_X86_DISPATCH 1
__attribute__((target("avx512f,avx2,fma"))) static void rows_avx512(float *out, int ldo, const float *inp, int ldi,
                                                                      const float *weight, int ldw,
                                                                      const float *bias, int M, int K, int N)
{
    rows_kernel(out, ldo, inp, ldi, weight, ldw, bias, M, K, N, 4, 1);
}
__attribute__((target("avx2,fma"))) static void rows_avx2(float *out, int ldo, const float *inp, int ldi,
                                                           const float *weight, int ldw, const float *bias, int M,
                                                           int K, int N)
{
    rows_kernel(out, ldo, inp, ldi, weight, ldw, bias, M, K, N, 2, 1);
}
#endif

static void rows_portable(float *out, int ldo, const float *inp, int ldi, const float *weight, int ldw,
                          const float *bias, int M, int K, int N)
{
    rows_kernel(out, ldo, inp, ldi, weight, ldw, bias, M, K, N, 1, 0);
}

/* The build this CPU runs (the choice depends on the CPU only, so it is
 * the same for every call of a process). */
static nn_kernel best_kernel(void)
{
#ifdef NN_X86_DISPATCH
    __builtin_cpu_init(); /* idempotent; needed if we run before constructors */
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma")) return NN_KERNEL_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return NN_KERNEL_AVX2;
#endif
    return NN_KERNEL_PORTABLE;
}

const char *nn_kernel_name(void)
{
    static const char *const names[] = {"auto", "portable", "avx2+fma", "avx512+fma"};
    return names[best_kernel()];
}

int nn_matmul_rows_using(nn_kernel kernel, float *out, int ldo, const float *inp, int ldi, const float *weight,
                         int ldw, const float *bias, int M, int K, int N)
{
    nn_kernel best = best_kernel();
    if (kernel == NN_KERNEL_AUTO) kernel = best;
    /* the builds are ordered: a CPU that runs one runs those below it */
    if (kernel < NN_KERNEL_PORTABLE || kernel > best) return 0;
    if (M <= 0 || N <= 0) return 1;
    switch (kernel) {
#ifdef NN_X86_DISPATCH
    case NN_KERNEL_AVX512: rows_avx512(out, ldo, inp, ldi, weight, ldw, bias, M, K, N); break;
    case NN_KERNEL_AVX2: rows_avx2(out, ldo, inp, ldi, weight, ldw, bias, M, K, N); break;
#endif
    default: rows_portable(out, ldo, inp, ldi, weight, ldw, bias, M, K, N); break;
    }
    return 1;
}

void nn_matmul_rows(float *out, int ldo, const float *inp, int ldi, const float *weight, int ldw, const float *bias,
                    int M, int K, int N)
{
    nn_matmul_rows_using(NN_KERNEL_AUTO, out, ldo, inp, ldi, weight, ldw, bias, M, K, N);
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

void nn_set_blas_threads(int n)
{
    openblas_set_num_threads(n < 1 ? 1 : n);
    /* OpenBLAS 0.3.21 takes the newest Xeons for old CPUs and runs its SSE3
     * kernels, 3-5x slower; it chose them when it loaded, so all we can do
     * is say how to start the program right (through the log callback) */
    if (strcmp(openblas_get_corename(), "Prescott") != 0) return;
    nn_kernel k = best_kernel();
    if (k == NN_KERNEL_PORTABLE) return;
    as_log(AS_LOG_WARN,
           "OpenBLAS runs its Prescott (SSE3) kernels on this %s CPU: training is 2x slower than it could be; "
           "start the program with OPENBLAS_CORETYPE=%s in the environment",
           k == NN_KERNEL_AVX512 ? "AVX-512" : "AVX2", k == NN_KERNEL_AVX512 ? "SkylakeX" : "Haswell");
}

const char *nn_blas_core(void) { return openblas_get_corename(); }

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
