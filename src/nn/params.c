/* nn/params.c — the parameter layout (one flat buffer, a struct of named
 * pointers into it, mirrored for gradients and optimizer moments), the
 * seeded generator and the initialisation rules. */
#include <math.h>
#include <string.h>

#include "nn/nn.h"

/* ---- generator: splitmix64 ----------------------------------------------- *
 * Steele, Lea & Flood, OOPSLA 2014: a 64-bit counter advanced by the odd
 * golden-ratio constant, then a bijective mix (the constants and shifts of
 * the reference splitmix64.c). Passes BigCrush; one uint64 of state. */
void nn_rng_seed(nn_rng *rng, uint64_t seed) { rng->state = seed; }

uint64_t nn_rng_next(nn_rng *rng)
{
    uint64_t z = (rng->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

float nn_rng_uniform(nn_rng *rng)
{
    /* the top 24 bits over 2^24: exactly representable, in [0, 1) */
    return (float)(nn_rng_next(rng) >> 40) * (1.0f / 16777216.0f);
}

float nn_rng_normal(nn_rng *rng)
{
    /* Box-Muller (Box & Muller, Ann. Math. Stat. 29, 1958):
     * sqrt(-2 ln u1) cos(2 pi u2) is standard normal for independent
     * uniforms; u1 on (0, 1] keeps the log finite. */
    double u1 = ((nn_rng_next(rng) >> 11) + 1) * (1.0 / 9007199254740992.0);
    double u2 = (nn_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

/* ---- layout ---------------------------------------------------------------- */

void nn_layout_init(nn_layout *L) { memset(L, 0, sizeof *L); }

size_t nn_layout_add(nn_layout *L, const void *base, float *const *slot, const char *name, size_t size, nn_init init)
{
    size_t offset = L->total;
    if (L->n >= NN_MAX_TENSORS) {
        L->overflow = 1; /* reported by the model when it checks its layout */
        return offset;
    }
    nn_tensor *t = &L->t[L->n++];
    memset(t, 0, sizeof *t);
    if (name) {
        size_t len = strlen(name);
        if (len >= NN_NAME_MAX) len = NN_NAME_MAX - 1;
        memcpy(t->name, name, len);
    }
    t->offset = offset;
    t->size = size;
    t->slot = (size_t)((const char *)slot - (const char *)base);
    t->init = init;
    L->total += size;
    return offset;
}

void nn_layout_bind(const nn_layout *L, void *base, float *buf)
{
    /* the slot offsets were taken on one struct of the model's type; the
     * same field of any struct of that type sits at the same offset */
    for (int i = 0; i < L->n; i++) {
        float **field = (float **)(void *)((char *)base + L->t[i].slot);
        *field = buf ? buf + L->t[i].offset : NULL;
    }
}

void nn_layout_init_values(const nn_layout *L, float *values, uint64_t seed)
{
    for (int i = 0; i < L->n; i++) {
        const nn_tensor *t = &L->t[i];
        float *x = values + t->offset;
        /* one stream per tensor: tensor i's values depend on (seed, i) only */
        nn_rng rng;
        nn_rng_seed(&rng, seed ^ ((uint64_t)(i + 1) * 0xd1b54a32d192ed03ULL));
        nn_rng_next(&rng);
        float fan_in = (float)(t->init.fan_in > 0 ? t->init.fan_in : 1);
        float fan_out = (float)(t->init.fan_out > 0 ? t->init.fan_out : 0);
        float bound = 0.0f;
        switch (t->init.kind) {
        case NN_INIT_ZEROS:
            memset(x, 0, t->size * sizeof(float));
            continue;
        case NN_INIT_CONSTANT:
            for (size_t j = 0; j < t->size; j++) x[j] = t->init.scale;
            continue;
        case NN_INIT_NORMAL:
            for (size_t j = 0; j < t->size; j++) x[j] = t->init.scale * nn_rng_normal(&rng);
            continue;
        case NN_INIT_UNIFORM:
            bound = t->init.scale;
            break;
        case NN_INIT_XAVIER:
            /* Glorot & Bengio: variance 2 / (fan_in + fan_out) keeps activation
             * and gradient variance equal across a layer; U(-a, a) has
             * variance a^2 / 3, so a = sqrt(6 / (fan_in + fan_out)) */
            bound = t->init.scale * sqrtf(6.0f / (fan_in + (fan_out > 0 ? fan_out : fan_in)));
            break;
        case NN_INIT_KAIMING:
            /* He et al.: a ReLU halves the variance, so variance 2 / fan_in,
             * a = sqrt(6 / fan_in) */
            bound = t->init.scale * sqrtf(6.0f / fan_in);
            break;
        }
        for (size_t j = 0; j < t->size; j++) x[j] = bound * (2.0f * nn_rng_uniform(&rng) - 1.0f);
    }
}
