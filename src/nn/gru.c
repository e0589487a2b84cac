/* nn/gru.c — a gated recurrent unit over time (Cho et al., EMNLP 2014), in
 * the cuDNN / PyTorch arrangement where the reset gate scales the recurrent
 * product: a causal alternative to the convolution stack for the audio
 * student, forward and backward through time.
 *
 * Per time step (gate order r, z, n in the weights):
 *   gx = Wx x + bx              (all steps at once: one matmul before the loop)
 *   gh = Wh h_prev + bh         (one matmul per step: it needs h_prev)
 *   r  = sigmoid(gx_r + gh_r)   reset gate
 *   z  = sigmoid(gx_z + gh_z)   update gate
 *   n  = tanh(gx_n + r * gh_n)  candidate state
 *   h  = (1 - z) * n + z * h_prev */
#include <math.h>
#include <string.h>

#include "nn/nn.h"

void nn_gru_forward(float *out, float *gates, float *ghh, const float *inp, const float *h0, const float *wx,
                    const float *bx, const float *wh, const float *bh, int B, int T, int C, int H)
{
    // out (B, T, H), gates (B, T, 3H), ghh (B, T, 3H), inp (B, T, C), h0 (B, H),
    // wx (3H, C), bx (3H), wh (3H, H), bh (3H)
    int H3 = 3 * H;
    /* input products of every step in one go, stored in gates for now */
    nn_matmul_rows(gates, H3, inp, C, wx, C, bx, B * T, C, H3);
    for (int t = 0; t < T; t++) {
        /* recurrent products of this step for all sequences: rows of h_prev
         * are the previous step of each sequence (T*H apart in out), or h0 */
        float *gh_t = ghh + (size_t)t * H3; /* row b at gh_t + b*T*3H */
        if (t > 0) {
            nn_matmul_rows(gh_t, T * H3, out + (size_t)(t - 1) * H, T * H, wh, H, bh, B, H, H3);
        } else if (h0) {
            nn_matmul_rows(gh_t, T * H3, h0, H, wh, H, bh, B, H, H3);
        } else {
            /* zero state: the product is zero, gh = bh */
            for (int b = 0; b < B; b++) memcpy(gh_t + (size_t)b * T * H3, bh, (size_t)H3 * sizeof(float));
        }
        for (int b = 0; b < B; b++) {
            size_t row = (size_t)b * T + t;
            float *g = gates + row * H3;
            const float *gh = ghh + row * H3;
            const float *hp = t > 0 ? out + (row - 1) * H : (h0 ? h0 + (size_t)b * H : NULL);
            float *h = out + row * H;
            for (int i = 0; i < H; i++) {
                float r = nn_sigmoidf(g[i] + gh[i]);
                float z = nn_sigmoidf(g[H + i] + gh[H + i]);
                float n = nn_tanhf(g[2 * H + i] + r * gh[2 * H + i]);
                float hprev = hp ? hp[i] : 0.0f;
                /* interpolate between the old state and the candidate */
                h[i] = (1.0f - z) * n + z * hprev;
                /* cache the gate values (they replace the input products) */
                g[i] = r;
                g[H + i] = z;
                g[2 * H + i] = n;
            }
        }
    }
}

size_t nn_gru_scratch_floats(int B, int T, int H)
{
    /* dgx (B, T, 3H) + dh carry (B, H) + dgh (B, 3H) */
    return (size_t)B * T * 3 * H + (size_t)B * H + (size_t)B * 3 * H;
}

void nn_gru_backward(float *dinp, float *dh0, float *dwx, float *dbx, float *dwh, float *dbh, float *scratch,
                     const float *dout, const float *inp, const float *h0, const float *out, const float *gates,
                     const float *ghh, const float *wx, const float *wh, int B, int T, int C, int H)
{
    // dinp (B, T, C), dh0 (B, H), dwx (3H, C), dbx (3H), dwh (3H, H), dbh (3H), scratch (see above),
    // dout (B, T, H), inp (B, T, C), h0 (B, H), out (B, T, H), gates (B, T, 3H), ghh (B, T, 3H)
    int H3 = 3 * H;
    float *dgx = scratch;                    // (B, T, 3H) gradient of the input products
    float *dh = dgx + (size_t)B * T * H3;    // (B, H) gradient reaching h_prev from later steps
    float *dgh = dh + (size_t)B * H;         // (B, 3H) gradient of this step's recurrent products
    memset(dh, 0, (size_t)B * H * sizeof(float));
    for (int t = T - 1; t >= 0; t--) {
        for (int b = 0; b < B; b++) {
            size_t row = (size_t)b * T + t;
            const float *g = gates + row * H3;
            const float *gh = ghh + row * H3;
            const float *hp = t > 0 ? out + (row - 1) * H : (h0 ? h0 + (size_t)b * H : NULL);
            float *dgx_row = dgx + row * H3;
            float *dgh_row = dgh + (size_t)b * H3;
            for (int i = 0; i < H; i++) {
                float r = g[i], z = g[H + i], n = g[2 * H + i];
                float hprev = hp ? hp[i] : 0.0f;
                /* total gradient on h_t: from the output and from step t+1 */
                float dht = dout[row * H + i] + dh[(size_t)b * H + i];
                /* h = (1-z) n + z h_prev */
                float dn = dht * (1.0f - z);
                float dz = dht * (hprev - n);
                /* n = tanh(a_n), a_n = gx_n + r gh_n */
                float dan = dn * (1.0f - n * n);
                float dr = dan * gh[2 * H + i];
                /* r, z = sigmoid(a): da = d * s (1 - s) */
                float dar = dr * r * (1.0f - r);
                float daz = dz * z * (1.0f - z);
                dgx_row[i] = dar;
                dgx_row[H + i] = daz;
                dgx_row[2 * H + i] = dan;
                dgh_row[i] = dar;
                dgh_row[H + i] = daz;
                dgh_row[2 * H + i] = dan * r; /* r scales the recurrent product */
                /* the direct path z * h_prev; the path through gh is added below */
                dh[(size_t)b * H + i] = dht * z;
            }
        }
        /* through gh = Wh h_prev + bh */
        nn_gemm(0, 0, B, H, H3, 1.0f, dgh, H3, wh, H, 1.0f, dh, H);
        if (dwh) {
            if (t > 0) nn_gemm(1, 0, H3, H, B, 1.0f, dgh, H3, out + (size_t)(t - 1) * H, T * H, 1.0f, dwh, H);
            else if (h0) nn_gemm(1, 0, H3, H, B, 1.0f, dgh, H3, h0, H, 1.0f, dwh, H);
        }
        if (dbh)
            for (int b = 0; b < B; b++)
                for (int k = 0; k < H3; k++) dbh[k] += dgh[(size_t)b * H3 + k];
    }
    /* what is left on h_prev of step 0 belongs to the initial state */
    if (dh0)
        for (size_t k = 0; k < (size_t)B * H; k++) dh0[k] += dh[k];
    /* through gx = Wx x + bx, all steps at once */
    if (dwx) nn_gemm(1, 0, H3, C, B * T, 1.0f, dgx, H3, inp, C, 1.0f, dwx, C);
    if (dbx)
        for (size_t n = 0; n < (size_t)B * T; n++)
            for (int k = 0; k < H3; k++) dbx[k] += dgx[n * H3 + k];
    if (dinp) nn_gemm(0, 0, B * T, C, H3, 1.0f, dgx, H3, wx, C, 1.0f, dinp, C);
}
