/* nn/optim.c — the optimizer side of training: AdamW over the flat parameter
 * buffer, the learning-rate schedule (linear warm-up, cosine decay to a
 * floor) and gradient clipping by global norm. */
#include <math.h>

#include "nn/nn.h"

nn_adamw_params nn_adamw_default_params(void)
{
    nn_adamw_params p;
    p.beta1 = 0.9f;     /* Kingma & Ba 2015, sec. 2 */
    p.beta2 = 0.999f;   /* Kingma & Ba 2015, sec. 2 */
    p.eps = 1e-8f;      /* Kingma & Ba 2015, sec. 2 */
    p.weight_decay = 0.01f; /* the usual AdamW default (PyTorch, BERT-style training) */
    return p;
}

void nn_adamw_update(float *values, const float *grads, float *m, float *v, size_t n, float lr, float weight_decay,
                     const nn_adamw_params *p, long step)
{
    // values (n), grads (n), m (n), v (n)
    if (step < 1) step = 1;
    /* bias corrections: m and v start at 0, so early averages are too small
     * by the factors 1 - beta^step (Kingma & Ba, sec. 3) */
    float bc1 = (float)(1.0 - pow(p->beta1, (double)step));
    float bc2 = (float)(1.0 - pow(p->beta2, (double)step));
    for (size_t i = 0; i < n; i++) {
        float g = grads[i];
        /* running averages of the gradient and of its square */
        m[i] = p->beta1 * m[i] + (1.0f - p->beta1) * g;
        v[i] = p->beta2 * v[i] + (1.0f - p->beta2) * g * g;
        float m_hat = m[i] / bc1;
        float v_hat = v[i] / bc2;
        /* Adam step, plus weight decay applied to the value directly rather
         * than through the gradient (decoupled: Loshchilov & Hutter 2019) */
        values[i] -= lr * (m_hat / (sqrtf(v_hat) + p->eps) + weight_decay * values[i]);
    }
}

void nn_adamw_step(const nn_layout *L, float *values, const float *grads, float *m, float *v, float lr,
                   const nn_adamw_params *p, long step)
{
    /* tensors lie back to back, so this is one pass over the buffer with the
     * decay switched per tensor */
    for (int i = 0; i < L->n; i++) {
        const nn_tensor *t = &L->t[i];
        float wd = t->init.decay ? p->weight_decay : 0.0f;
        nn_adamw_update(values + t->offset, grads + t->offset, m + t->offset, v + t->offset, t->size, lr, wd, p,
                        step);
    }
}

float nn_lr_at(long step, long warmup_steps, long total_steps, float lr_max, float lr_min)
{
    if (step < 0) step = 0;
    /* warm-up: lr_max * (step + 1) / warmup, reaching lr_max at the last
     * warm-up step; Adam's early steps are large relative to the
     * curvature, and a ramp avoids them */
    if (step < warmup_steps) return lr_max * (float)(step + 1) / (float)warmup_steps;
    if (step >= total_steps) return lr_min;
    /* half a cosine from lr_max (progress 0) to lr_min (progress 1) */
    double progress = (double)(step - warmup_steps) / (double)(total_steps - warmup_steps);
    double c = 0.5 * (1.0 + cos(3.14159265358979323846 * progress));
    return (float)(lr_min + (lr_max - lr_min) * c);
}

float nn_grad_norm(const float *grads, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)grads[i] * grads[i];
    return (float)sqrt(s);
}

float nn_clip_grad_norm(float *grads, size_t n, float max_norm)
{
    float norm = nn_grad_norm(grads, n);
    /* scale the whole gradient, keeping its direction */
    if (max_norm > 0.0f && norm > max_norm) {
        float k = max_norm / norm;
        for (size_t i = 0; i < n; i++) grads[i] *= k;
    }
    return norm;
}
