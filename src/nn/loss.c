/* nn/loss.c — training losses and their gradients: softmax cross-entropy
 * (hard or soft targets), temperature distillation, MSE, channel-weighted
 * L1, velocity and acceleration L1 over time, sigmoid + binary cross-entropy.
 *
 * Every loss returns its weighted mean (summed in double) and ADDS
 * scale * d(mean)/d(input) to the gradient, so a trainer sums several
 * weighted losses into one gradient buffer. */
#include <math.h>

#include "nn/nn.h"

/* Total row weight (the divisor of the mean); rows with hard target < 0
 * (ignored) count 0. */
static double total_weight(const float *row_weight, const int *targets, int V, int N)
{
    double W = 0.0;
    for (int n = 0; n < N; n++) {
        if (targets && (targets[n] < 0 || targets[n] >= V)) continue;
        W += row_weight ? row_weight[n] : 1.0;
    }
    return W;
}

/* log(sum_v exp(z_v / tau)) with the maximum taken out for range. */
static double log_sum_exp(const float *z, int V, double inv_tau)
{
    double mx = z[0] * inv_tau;
    for (int v = 1; v < V; v++) mx = z[v] * inv_tau > mx ? z[v] * inv_tau : mx;
    double s = 0.0;
    for (int v = 0; v < V; v++) s += exp(z[v] * inv_tau - mx);
    return mx + log(s);
}

float nn_softmax_xent_loss(float *dlogits, float *probs, const float *logits, const int *targets,
                           const float *soft_targets, const float *row_weight, int N, int V, float scale)
{
    // dlogits (N, V), probs (N, V), logits (N, V), targets (N), soft_targets (N, V), row_weight (N)
    const int *hard = soft_targets ? NULL : targets;
    double W = total_weight(row_weight, hard, V, N);
    double loss = 0.0;
    for (int n = 0; n < N; n++) {
        const float *z = logits + (size_t)n * V;
        double lse = log_sum_exp(z, V, 1.0);
        if (probs)
            for (int v = 0; v < V; v++) probs[(size_t)n * V + v] = (float)exp(z[v] - lse);
        if (hard && (hard[n] < 0 || hard[n] >= V)) continue; /* ignored row */
        double w = row_weight ? row_weight[n] : 1.0;
        if (w == 0.0 || W <= 0.0) continue;
        const float *q = soft_targets ? soft_targets + (size_t)n * V : NULL;
        /* log p_v = z_v - lse */
        if (hard) {
            loss += w * (lse - z[hard[n]]); /* -log p[target] */
        } else {
            /* KL(q || p) = sum q (log q - log p); terms with q = 0 are 0 */
            double kl = 0.0;
            for (int v = 0; v < V; v++)
                if (q[v] > 0.0f) kl += q[v] * (log(q[v]) - (z[v] - lse));
            loss += w * kl;
        }
        if (dlogits) {
            /* d/dz_v of -sum_u y_u log p_u = p_v - y_v (y one-hot or soft) */
            double g = scale * w / W;
            float *dz = dlogits + (size_t)n * V;
            for (int v = 0; v < V; v++) {
                double y = hard ? (v == hard[n]) : q[v];
                dz[v] += (float)(g * (exp(z[v] - lse) - y));
            }
        }
    }
    return W > 0.0 ? (float)(loss / W) : 0.0f;
}

float nn_distill_loss(float *dlogits, const float *logits, const float *teacher_logits, const float *row_weight,
                      int N, int V, float temperature, float scale)
{
    // dlogits (N, V), logits (N, V), teacher_logits (N, V), row_weight (N)
    double tau = temperature > 0.0f ? temperature : 1.0;
    double inv_tau = 1.0 / tau;
    double W = total_weight(row_weight, NULL, V, N);
    double loss = 0.0;
    for (int n = 0; n < N; n++) {
        double w = row_weight ? row_weight[n] : 1.0;
        if (w == 0.0 || W <= 0.0) continue;
        const float *s = logits + (size_t)n * V, *t = teacher_logits + (size_t)n * V;
        double lse_s = log_sum_exp(s, V, inv_tau), lse_t = log_sum_exp(t, V, inv_tau);
        double kl = 0.0;
        for (int v = 0; v < V; v++) {
            /* softened distributions: log p = z / tau - lse */
            double lq = t[v] * inv_tau - lse_t, lp = s[v] * inv_tau - lse_s;
            kl += exp(lq) * (lq - lp);
        }
        /* tau^2 keeps the gradient scale independent of tau (Hinton et al., sec. 2) */
        loss += w * tau * tau * kl;
        if (dlogits) {
            /* d/ds_v of tau^2 KL = tau^2 (p_v - q_v) / tau = tau (p_v - q_v) */
            double g = scale * w / W * tau;
            float *dz = dlogits + (size_t)n * V;
            for (int v = 0; v < V; v++)
                dz[v] += (float)(g * (exp(s[v] * inv_tau - lse_s) - exp(t[v] * inv_tau - lse_t)));
        }
    }
    return W > 0.0 ? (float)(loss / W) : 0.0f;
}

float nn_mse_loss(float *dpred, const float *pred, const float *target, const float *row_weight, int N, int C,
                  float scale)
{
    // dpred (N, C), pred (N, C), target (N, C), row_weight (N)
    double W = total_weight(row_weight, NULL, 0, N) * C;
    if (W <= 0.0) return 0.0f;
    double loss = 0.0;
    for (int n = 0; n < N; n++) {
        double w = row_weight ? row_weight[n] : 1.0;
        if (w == 0.0) continue;
        for (int c = 0; c < C; c++) {
            size_t i = (size_t)n * C + c;
            double d = (double)pred[i] - target[i];
            loss += w * d * d;
            /* d/dpred (p - t)^2 = 2 (p - t) */
            if (dpred) dpred[i] += (float)(scale * w / W * 2.0 * d);
        }
    }
    return (float)(loss / W);
}

float nn_l1_loss(float *dpred, const float *pred, const float *target, const float *chan_weight,
                 const float *row_weight, int N, int C, float scale)
{
    // dpred (N, C), pred (N, C), target (N, C), chan_weight (C), row_weight (N)
    double W = total_weight(row_weight, NULL, 0, N) * C;
    if (W <= 0.0) return 0.0f;
    double loss = 0.0;
    for (int n = 0; n < N; n++) {
        double w = row_weight ? row_weight[n] : 1.0;
        if (w == 0.0) continue;
        for (int c = 0; c < C; c++) {
            size_t i = (size_t)n * C + c;
            double cw = chan_weight ? chan_weight[c] : 1.0;
            double d = (double)pred[i] - target[i];
            loss += w * cw * fabs(d);
            /* d|d| = sign(d), 0 at d = 0 (a subgradient) */
            double sgn = d > 0.0 ? 1.0 : (d < 0.0 ? -1.0 : 0.0);
            if (dpred) dpred[i] += (float)(scale * w * cw / W * sgn);
        }
    }
    return (float)(loss / W);
}

/* L1 of the order-th time difference (1: velocity, 2: acceleration).
 * The difference at frame t is sum_i coef[i] x[t - i] with coefficients
 * (1, -1) or (1, -2, 1): the finite-difference stencils of the first and
 * second derivative. */
static float diff_l1_loss(float *dpred, const float *pred, const float *target, const float *chan_weight,
                          const float *frame_weight, int B, int T, int C, int order, float scale)
{
    static const double coef[2][3] = {{1.0, -1.0, 0.0}, {1.0, -2.0, 1.0}};
    const double *k = coef[order - 1];
    /* weight of the term at (b, t): the product of the frame weights it spans */
    double W = 0.0;
    for (int b = 0; b < B; b++)
        for (int t = order; t < T; t++) {
            double w = 1.0;
            if (frame_weight)
                for (int i = 0; i <= order; i++) w *= frame_weight[(size_t)b * T + t - i];
            W += w;
        }
    W *= C;
    if (W <= 0.0) return 0.0f;
    double loss = 0.0;
    for (int b = 0; b < B; b++) {
        for (int t = order; t < T; t++) {
            double w = 1.0;
            if (frame_weight)
                for (int i = 0; i <= order; i++) w *= frame_weight[(size_t)b * T + t - i];
            if (w == 0.0) continue;
            for (int c = 0; c < C; c++) {
                double dp = 0.0, dt = 0.0;
                for (int i = 0; i <= order; i++) {
                    size_t idx = ((size_t)b * T + t - i) * C + c;
                    dp += k[i] * pred[idx];
                    dt += k[i] * target[idx];
                }
                double cw = chan_weight ? chan_weight[c] : 1.0;
                double d = dp - dt;
                loss += w * cw * fabs(d);
                if (dpred) {
                    double sgn = d > 0.0 ? 1.0 : (d < 0.0 ? -1.0 : 0.0);
                    double g = scale * w * cw / W * sgn;
                    /* each frame in the stencil gets the gradient times its coefficient */
                    for (int i = 0; i <= order; i++) dpred[((size_t)b * T + t - i) * C + c] += (float)(g * k[i]);
                }
            }
        }
    }
    return (float)(loss / W);
}

float nn_velocity_l1_loss(float *dpred, const float *pred, const float *target, const float *chan_weight,
                          const float *frame_weight, int B, int T, int C, float scale)
{
    // dpred (B, T, C), pred (B, T, C), target (B, T, C), chan_weight (C), frame_weight (B, T)
    return diff_l1_loss(dpred, pred, target, chan_weight, frame_weight, B, T, C, 1, scale);
}

float nn_accel_l1_loss(float *dpred, const float *pred, const float *target, const float *chan_weight,
                       const float *frame_weight, int B, int T, int C, float scale)
{
    // dpred (B, T, C), pred (B, T, C), target (B, T, C), chan_weight (C), frame_weight (B, T)
    return diff_l1_loss(dpred, pred, target, chan_weight, frame_weight, B, T, C, 2, scale);
}

float nn_sigmoid_bce_loss(float *dlogits, float *probs, const float *logits, const float *targets,
                          const float *row_weight, int N, int C, float scale)
{
    // dlogits (N, C), probs (N, C), logits (N, C), targets (N, C), row_weight (N)
    double W = total_weight(row_weight, NULL, 0, N) * C;
    double loss = 0.0;
    for (int n = 0; n < N; n++) {
        double w = row_weight ? row_weight[n] : 1.0;
        for (int c = 0; c < C; c++) {
            size_t i = (size_t)n * C + c;
            double z = logits[i], y = targets[i];
            /* sigmoid without overflow on either side */
            double p = z >= 0.0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
            if (probs) probs[i] = (float)p;
            if (w == 0.0 || W <= 0.0) continue;
            /* -[y log p + (1-y) log(1-p)] = max(z,0) - z y + log(1 + e^-|z|) */
            loss += w * ((z > 0.0 ? z : 0.0) - z * y + log1p(exp(-fabs(z))));
            /* its derivative in z: p - y */
            if (dlogits) dlogits[i] += (float)(scale * w / W * (p - y));
        }
    }
    return W > 0.0 ? (float)(loss / W) : 0.0f;
}
