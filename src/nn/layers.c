/* nn/layers.c — the element-wise and row-wise layers: activations, residual
 * add, layer normalisation, embeddings (token and position), pooling
 * (masked mean, [CLS] select), softmax and dropout. */
#include <math.h>
#include <string.h>

#include "nn/nn.h"

/* ---- activations --------------------------------------------------------- */

void nn_relu_forward(float *out, const float *inp, size_t n)
{
    // out (n), inp (n)
    /* max(x, 0) by the sign bit: a negative x (sign bit set) becomes +0.
     * Integer operations, so the loop vectorises (see nn_expf) */
    for (size_t i = 0; i < n; i++) {
        uint32_t u = nn_float_bits(inp[i]);
        out[i] = nn_bits_float(u & ((u >> 31) - 1u));
    }
}

void nn_relu_backward(float *dinp, const float *dout, const float *out, size_t n)
{
    // dinp (n), dout (n), out (n): the gradient passes where the unit was active
    /* out > 0 exactly when its bits, read as a signed integer, are > 0 */
    for (size_t i = 0; i < n; i++) {
        uint32_t active = 0u - (uint32_t)((int32_t)nn_float_bits(out[i]) > 0);
        dinp[i] += nn_bits_float(nn_float_bits(dout[i]) & active);
    }
}

/* GELU, tanh form (Hendrycks & Gimpel 2016, eq. 2):
 *   gelu(x) = 0.5 x (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3) */
#define GELU_SCALE 0.7978845608028654f /* sqrt(2 / pi) */
#define GELU_CUBIC 0.044715f

void nn_gelu_forward(float *out, const float *inp, size_t n)
{
    // out (n), inp (n)
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        float u = GELU_SCALE * (x + GELU_CUBIC * x * x * x);
        out[i] = 0.5f * x * (1.0f + nn_tanhf(u));
    }
}

void nn_gelu_backward(float *dinp, const float *dout, const float *inp, size_t n)
{
    // dinp (n), dout (n), inp (n)
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        float u = GELU_SCALE * (x + GELU_CUBIC * x * x * x);
        float th = nn_tanhf(u);
        /* product rule on 0.5 x (1 + tanh u):
         *   0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) du/dx,
         *   du/dx = sqrt(2/pi) (1 + 3 * 0.044715 x^2) */
        float du = GELU_SCALE * (1.0f + 3.0f * GELU_CUBIC * x * x);
        float g = 0.5f * (1.0f + th) + 0.5f * x * (1.0f - th * th) * du;
        dinp[i] += g * dout[i];
    }
}

void nn_sigmoid_forward(float *out, const float *inp, size_t n)
{
    // out (n), inp (n)
    for (size_t i = 0; i < n; i++) out[i] = nn_sigmoidf(inp[i]);
}

void nn_sigmoid_backward(float *dinp, const float *dout, const float *out, size_t n)
{
    // dinp (n), dout (n), out (n): d sigmoid = s (1 - s)
    for (size_t i = 0; i < n; i++) dinp[i] += dout[i] * out[i] * (1.0f - out[i]);
}

void nn_tanh_forward(float *out, const float *inp, size_t n)
{
    // out (n), inp (n)
    for (size_t i = 0; i < n; i++) out[i] = nn_tanhf(inp[i]);
}

void nn_tanh_backward(float *dinp, const float *dout, const float *out, size_t n)
{
    // dinp (n), dout (n), out (n): d tanh = 1 - tanh^2
    for (size_t i = 0; i < n; i++) dinp[i] += dout[i] * (1.0f - out[i] * out[i]);
}

/* ---- residual -------------------------------------------------------------- */

void nn_residual_forward(float *out, const float *a, const float *b, size_t n)
{
    // out (n), a (n), b (n)
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

void nn_residual_backward(float *da, float *db, const float *dout, size_t n)
{
    // da (n), db (n), dout (n): a sum passes its gradient to both terms
    for (size_t i = 0; i < n; i++) {
        if (da) da[i] += dout[i];
        if (db) db[i] += dout[i];
    }
}

/* ---- layer normalisation ---------------------------------------------------- */

void nn_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                          const float *bias, int N, int C)
{
    // out (N, C), mean (N), rstd (N), inp (N, C), weight (C), bias (C)
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        /* mean over the channels */
        float m = 0.0f;
        for (int c = 0; c < C; c++) m += x[c];
        m /= (float)C;
        /* biased variance (divide by C), as Ba et al. define it */
        float v = 0.0f;
        for (int c = 0; c < C; c++) {
            float d = x[c] - m;
            v += d * d;
        }
        v /= (float)C;
        float s = 1.0f / sqrtf(v + NN_LAYERNORM_EPS);
        /* normalise, then the learned gain and shift per channel */
        float *o = out + (size_t)n * C;
        for (int c = 0; c < C; c++) o[c] = (x[c] - m) * s * weight[c] + bias[c];
        /* cache the mean and rstd for the backward pass */
        if (mean) mean[n] = m;
        if (rstd) rstd[n] = s;
    }
}

void nn_layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                           const float *weight, const float *mean, const float *rstd, int N, int C)
{
    // dinp (N, C), dweight (C), dbias (C), dout (N, C), inp (N, C), weight (C), mean (N), rstd (N)
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        const float *d = dout + (size_t)n * C;
        float m = mean[n], s = rstd[n];
        /* y = xhat * w + b with xhat = (x - mean) * rstd; dxhat = dout * w.
         * Two row means of dxhat carry the dependence of mean and rstd on
         * every x: dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) */
        float dmean = 0.0f, dproj = 0.0f;
        for (int c = 0; c < C; c++) {
            float xhat = (x[c] - m) * s;
            float dxhat = d[c] * weight[c];
            dmean += dxhat;
            dproj += dxhat * xhat;
        }
        dmean /= (float)C;
        dproj /= (float)C;
        for (int c = 0; c < C; c++) {
            float xhat = (x[c] - m) * s;
            if (dbias) dbias[c] += d[c];
            if (dweight) dweight[c] += d[c] * xhat;
            if (dinp) dinp[(size_t)n * C + c] += s * (d[c] * weight[c] - dmean - xhat * dproj);
        }
    }
}

/* ---- embeddings -------------------------------------------------------------- */

void nn_embedding_forward(float *out, const int *ids, const float *table, int N, int C, int V)
{
    // out (N, C), ids (N), table (V, C)
    for (int n = 0; n < N; n++) {
        float *o = out + (size_t)n * C;
        if (ids[n] >= 0 && ids[n] < V) memcpy(o, table + (size_t)ids[n] * C, (size_t)C * sizeof(float));
        else memset(o, 0, (size_t)C * sizeof(float));
    }
}

void nn_embedding_backward(float *dtable, const float *dout, const int *ids, int N, int C, int V)
{
    // dtable (V, C), dout (N, C), ids (N)
    for (int n = 0; n < N; n++) {
        if (ids[n] < 0 || ids[n] >= V) continue;
        float *dt = dtable + (size_t)ids[n] * C;
        const float *d = dout + (size_t)n * C;
        for (int c = 0; c < C; c++) dt[c] += d[c];
    }
}

void nn_posemb_forward(float *out, const float *inp, const float *pos, int B, int T, int C)
{
    // out (B, T, C), inp (B, T, C), pos (T_max, C)
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            size_t row = ((size_t)b * T + t) * C;
            for (int c = 0; c < C; c++) out[row + c] = inp[row + c] + pos[(size_t)t * C + c];
        }
}

void nn_posemb_backward(float *dinp, float *dpos, const float *dout, int B, int T, int C)
{
    // dinp (B, T, C), dpos (T_max, C), dout (B, T, C)
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            size_t row = ((size_t)b * T + t) * C;
            for (int c = 0; c < C; c++) {
                if (dinp) dinp[row + c] += dout[row + c];
                if (dpos) dpos[(size_t)t * C + c] += dout[row + c];
            }
        }
}

/* ---- pooling ----------------------------------------------------------------- */

static int count_kept(const uint8_t *mask, int b, int T)
{
    if (!mask) return T;
    int k = 0;
    for (int t = 0; t < T; t++) k += mask[(size_t)b * T + t] != 0;
    return k;
}

void nn_meanpool_forward(float *out, const float *inp, const uint8_t *mask, int B, int T, int C)
{
    // out (B, C), inp (B, T, C), mask (B, T)
    for (int b = 0; b < B; b++) {
        float *o = out + (size_t)b * C;
        memset(o, 0, (size_t)C * sizeof(float));
        int kept = count_kept(mask, b, T);
        if (kept == 0) continue; /* an empty sequence pools to zeros */
        for (int t = 0; t < T; t++) {
            if (mask && !mask[(size_t)b * T + t]) continue;
            const float *x = inp + ((size_t)b * T + t) * C;
            for (int c = 0; c < C; c++) o[c] += x[c];
        }
        float inv = 1.0f / (float)kept;
        for (int c = 0; c < C; c++) o[c] *= inv;
    }
}

void nn_meanpool_backward(float *dinp, const float *dout, const uint8_t *mask, int B, int T, int C)
{
    // dinp (B, T, C), dout (B, C), mask (B, T): each kept step gets 1/kept of the gradient
    for (int b = 0; b < B; b++) {
        int kept = count_kept(mask, b, T);
        if (kept == 0) continue;
        float inv = 1.0f / (float)kept;
        const float *d = dout + (size_t)b * C;
        for (int t = 0; t < T; t++) {
            if (mask && !mask[(size_t)b * T + t]) continue;
            float *dx = dinp + ((size_t)b * T + t) * C;
            for (int c = 0; c < C; c++) dx[c] += d[c] * inv;
        }
    }
}

void nn_select_forward(float *out, const float *inp, const int *pos, int B, int T, int C)
{
    // out (B, C), inp (B, T, C), pos (B)
    for (int b = 0; b < B; b++) {
        int t = pos ? pos[b] : 0;
        float *o = out + (size_t)b * C;
        if (t >= 0 && t < T) memcpy(o, inp + ((size_t)b * T + t) * C, (size_t)C * sizeof(float));
        else memset(o, 0, (size_t)C * sizeof(float));
    }
}

void nn_select_backward(float *dinp, const float *dout, const int *pos, int B, int T, int C)
{
    // dinp (B, T, C), dout (B, C), pos (B)
    for (int b = 0; b < B; b++) {
        int t = pos ? pos[b] : 0;
        if (t < 0 || t >= T) continue;
        float *dx = dinp + ((size_t)b * T + t) * C;
        for (int c = 0; c < C; c++) dx[c] += dout[(size_t)b * C + c];
    }
}

/* ---- softmax and dropout ----------------------------------------------------- */

void nn_softmax_forward(float *probs, const float *logits, int N, int V)
{
    // probs (N, V), logits (N, V)
    for (int n = 0; n < N; n++) {
        const float *z = logits + (size_t)n * V;
        float *p = probs + (size_t)n * V;
        /* subtract the row maximum: exp never overflows, the result is the same */
        float mx = z[0];
        for (int v = 1; v < V; v++) mx = z[v] > mx ? z[v] : mx;
        for (int v = 0; v < V; v++) p[v] = nn_expf(z[v] - mx); /* vectorises; the sum below stays in order */
        float sum = 0.0f;
        for (int v = 0; v < V; v++) sum += p[v];
        float inv = 1.0f / sum;
        for (int v = 0; v < V; v++) p[v] *= inv;
    }
}

void nn_dropout_forward(float *out, float *mask, const float *inp, size_t n, float p, nn_rng *rng)
{
    // out (n), mask (n), inp (n)
    /* keep with probability 1 - p and scale by 1/(1-p): the expected value of
     * each unit is unchanged, so inference needs no rescaling */
    float keep_scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
    for (size_t i = 0; i < n; i++) {
        float m = 1.0f;
        if (p > 0.0f) m = nn_rng_uniform(rng) < p ? 0.0f : keep_scale;
        if (mask) mask[i] = m;
        out[i] = inp[i] * m;
    }
}

void nn_dropout_backward(float *dinp, const float *dout, const float *mask, size_t n)
{
    // dinp (n), dout (n), mask (n)
    for (size_t i = 0; i < n; i++) dinp[i] += dout[i] * mask[i];
}
