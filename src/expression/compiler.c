/* expression/compiler.c — conditioning (16 class weights + V, A, D) -> 52
 * ARKit weights. Two layers, blended 60/40 by default:
 *
 *   parametric  P(v): closed-form per-channel curves of V, A, D
 *                     (sigmoid of a quadratic; data/parametric.json);
 *   archetype   A(c): RBF interpolation over the preset bank with the product
 *                     kernel K((w,v),(w',v')) = (w . w') phi(|v - v'|), so a
 *                     class's own presets shape its face and VAD moves it
 *                     smoothly between its levels.
 *
 * Exactness at the anchors. Both layers are made to return the preset at a
 * preset's anchor: A interpolates the presets exactly, and P is corrected by
 * an RBF interpolant of its residual (preset - P) at the class's anchors. So
 *   face(c) = pw (P(v) + sum_k w_k R_k(v)) + (1 - pw) sum_k w_k A_k(v)
 * equals the preset at every anchor whatever the blend share pw, while
 * between and away from anchors P's VAD curves and the presets' shapes mix
 * as pw says. Both interpolants share one kernel system per class, so the
 * compiler folds them into one set of coefficients G_k = pw R_k + (1-pw) A_k
 * and a compile costs one P evaluation plus one small RBF per active class.
 *
 * Per-class RBF (in VAD space, 3 centres = the L1, L3, L5 anchors):
 *   f(v) = a + b s(v) + sum_j alpha_j exp(-|v - p_j|^2 / (2 sigma^2))
 * with s(v) the position along the class's intensity axis (L1 -> L5),
 * clamped to the authored span so the face holds beyond L1 and L5 instead of
 * extrapolating, and the side conditions sum alpha_j = sum alpha_j s_j = 0
 * (RBF with linear polynomial reproduction). Then strength scales the
 * deviation from the neutral face, and antagonist conflicts are resolved. */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/internal.h"
#include "expression/internal.h"

#define PARAM_TERMS 10

typedef struct {
    int active;                 /* 0: this class has no presets (neutral) */
    float p[3][3];              /* (3 centres, VAD) */
    float u[3];                 /* unit intensity axis, L1 -> L5 */
    float s_max;                /* span of the axis */
    float a[AS_NUM_CHANNELS], b[AS_NUM_CHANNELS], alpha[3][AS_NUM_CHANNELS]; /* combined G_k */
    float fa[AS_NUM_CHANNELS], fb[AS_NUM_CHANNELS], falpha[3][AS_NUM_CHANNELS]; /* archetype A_k */
} class_rbf;

struct as_compiler {
    as_compiler_params params;
    float neutral[AS_NUM_CHANNELS];
    float neutral_g[AS_NUM_CHANNELS];   /* G for the neutral class (a constant) */
    class_rbf cls[AS_NUM_EMOTIONS];
    float inv_two_sigma2;
};

/* ---- the parametric table (data/parametric.json) ---- */

typedef struct {
    int n;                                 /* channels with a curve */
    int ch[AS_NUM_CHANNELS];
    float q[AS_NUM_CHANNELS][PARAM_TERMS];
} param_table;

static param_table ptable;
static int ptable_ok = 0;
static pthread_once_t ptable_once = PTHREAD_ONCE_INIT;

static void load_ptable(void)
{
    cJSON *root = cJSON_ParseWithLength((const char *)as_embedded_parametric, as_embedded_parametric_len);
    const cJSON *chs = cJSON_GetObjectItemCaseSensitive(root, "channels");
    if (!cJSON_IsObject(chs)) { as_set_error("built-in data/parametric.json: missing channels"); cJSON_Delete(root); return; }
    int ok = 1;
    for (const cJSON *c = chs->child; c; c = c->next) {
        int ch = as_channel_find(c->string);
        const cJSON *q = cJSON_GetObjectItemCaseSensitive(c, "q");
        if (ch < 0 || !cJSON_IsArray(q) || cJSON_GetArraySize(q) != PARAM_TERMS || ptable.n >= AS_NUM_CHANNELS) {
            as_set_error("built-in data/parametric.json: bad channel \"%s\"", c->string);
            ok = 0;
            break;
        }
        ptable.ch[ptable.n] = ch;
        for (int t = 0; t < PARAM_TERMS; t++) ptable.q[ptable.n][t] = (float)cJSON_GetArrayItem(q, t)->valuedouble;
        ptable.n++;
    }
    cJSON_Delete(root);
    ptable_ok = ok;
}

/* P(v) into out[52] (channels without a curve are 0). */
static void parametric_eval(float out[AS_NUM_CHANNELS], float v, float a, float d)
{
    /* Centre on the neutral point so the curves read as deviations from rest. */
    const float x = v - 0.50f, y = a - 0.30f, z = d - 0.50f;
    const float t[PARAM_TERMS] = {1.0f, x, y, z, x * x, y * y, z * z, x * y, x * z, y * z};
    memset(out, 0, sizeof(float) * AS_NUM_CHANNELS);
    for (int i = 0; i < ptable.n; i++) {
        const float *q = ptable.q[i];
        float s = 0.0f;
        for (int k = 0; k < PARAM_TERMS; k++) s += q[k] * t[k];
        out[ptable.ch[i]] = 1.0f / (1.0f + expf(-s));
    }
}

/* ---- antagonists ---- */

static const as_antagonist antagonists[] = {
    {AS_MOUTH_SMILE_LEFT, AS_MOUTH_FROWN_LEFT, 0.3f},
    {AS_MOUTH_SMILE_RIGHT, AS_MOUTH_FROWN_RIGHT, 0.3f},
    {AS_BROW_DOWN_LEFT, AS_BROW_INNER_UP, 0.5f},
    {AS_BROW_DOWN_RIGHT, AS_BROW_INNER_UP, 0.5f},
    {AS_EYE_BLINK_LEFT, AS_EYE_WIDE_LEFT, 0.4f},
    {AS_EYE_BLINK_RIGHT, AS_EYE_WIDE_RIGHT, 0.4f},
};

const as_antagonist *as_antagonists(size_t *n)
{
    if (n) *n = sizeof antagonists / sizeof antagonists[0];
    return antagonists;
}

void as_resolve_antagonists(float w[AS_NUM_CHANNELS])
{
    for (size_t i = 0; i < sizeof antagonists / sizeof antagonists[0]; i++) {
        float *a = &w[antagonists[i].a], *b = &w[antagonists[i].b];
        const float lim = antagonists[i].limit;
        float lo = *a < *b ? *a : *b;
        if (lo <= lim) continue;
        /* Remove the common excess from both: continuous in (a, b), the weaker
         * lands exactly on the limit, the difference between them is kept. */
        float excess = lo - lim;
        if (*a <= *b) { *a = lim; *b -= excess; }
        else { *b = lim; *a -= excess; }
    }
}

/* ---- RBF fitting ---- */

/* Solves the (n x n) system M x = rhs for nrhs right-hand sides in place
 * (Gaussian elimination with partial pivoting, double precision). rhs is
 * (n, nrhs). Returns 0 if M is singular. */
static int solve_dense(int n, double M[5][5], int nrhs, double rhs[5][2 * AS_NUM_CHANNELS])
{
    for (int col = 0; col < n; col++) {
        int piv = col;
        for (int r = col + 1; r < n; r++)
            if (fabs(M[r][col]) > fabs(M[piv][col])) piv = r;
        if (fabs(M[piv][col]) < 1e-12) return 0;
        if (piv != col) {
            for (int k = 0; k < n; k++) { double t = M[col][k]; M[col][k] = M[piv][k]; M[piv][k] = t; }
            for (int k = 0; k < nrhs; k++) { double t = rhs[col][k]; rhs[col][k] = rhs[piv][k]; rhs[piv][k] = t; }
        }
        for (int r = 0; r < n; r++) {
            if (r == col) continue;
            double f = M[r][col] / M[col][col];
            if (f == 0.0) continue;
            for (int k = col; k < n; k++) M[r][k] -= f * M[col][k];
            for (int k = 0; k < nrhs; k++) rhs[r][k] -= f * rhs[col][k];
        }
    }
    for (int r = 0; r < n; r++)
        for (int k = 0; k < nrhs; k++) rhs[r][k] /= M[r][r];
    return 1;
}

static float axis_pos(const class_rbf *k, float v, float a, float d)
{
    float s = (v - k->p[0][0]) * k->u[0] + (a - k->p[0][1]) * k->u[1] + (d - k->p[0][2]) * k->u[2];
    return as_clampf(s, 0.0f, k->s_max);
}

static int fit_class(as_compiler *c, const as_preset_bank *bank, as_emotion e)
{
    class_rbf *k = &c->cls[e];
    static const int levels[3] = {1, 3, 5};
    float presets[3][AS_NUM_CHANNELS];
    for (int j = 0; j < 3; j++) {
        as_vad p = as_emotion_anchor(e, levels[j]);
        k->p[j][0] = p.v;
        k->p[j][1] = p.a;
        k->p[j][2] = p.d;
        as_preset_bank_get(bank, e, levels[j], presets[j]);
    }
    float ax[3], len = 0.0f;
    for (int i = 0; i < 3; i++) { ax[i] = k->p[2][i] - k->p[0][i]; len += ax[i] * ax[i]; }
    len = sqrtf(len);
    if (len < 1e-4f) {
        as_set_error("anchors of %s at L1 and L5 coincide", as_emotion_name(e));
        return 0;
    }
    for (int i = 0; i < 3; i++) k->u[i] = ax[i] / len;
    k->s_max = len;
    double s[3];
    for (int j = 0; j < 3; j++) s[j] = axis_pos(k, k->p[j][0], k->p[j][1], k->p[j][2]);

    /* [Phi P; P^T 0] [alpha; beta] = [f; 0], P = [1, s_j]. */
    double M[5][5] = {{0}};
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            double r2 = 0.0;
            for (int q = 0; q < 3; q++) r2 += (double)(k->p[i][q] - k->p[j][q]) * (k->p[i][q] - k->p[j][q]);
            M[i][j] = exp(-r2 * c->inv_two_sigma2);
        }
        M[i][3] = M[3][i] = 1.0;
        M[i][4] = M[4][i] = s[i];
    }
    /* Right-hand sides: columns 0..51 the archetype (presets), 52..103 the
     * combined G = preset - pw P(p_j). */
    static _Thread_local double rhs[5][2 * AS_NUM_CHANNELS];
    memset(rhs, 0, sizeof rhs);
    const double pw = c->params.parametric_weight;
    for (int j = 0; j < 3; j++) {
        float pv[AS_NUM_CHANNELS];
        parametric_eval(pv, k->p[j][0], k->p[j][1], k->p[j][2]);
        for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) {
            rhs[j][ch] = presets[j][ch];
            rhs[j][AS_NUM_CHANNELS + ch] = presets[j][ch] - pw * pv[ch];
        }
    }
    if (!solve_dense(5, M, 2 * AS_NUM_CHANNELS, rhs)) {
        as_set_error("RBF system of %s is singular (are its anchors distinct?)", as_emotion_name(e));
        return 0;
    }
    for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) {
        for (int j = 0; j < 3; j++) {
            k->falpha[j][ch] = (float)rhs[j][ch];
            k->alpha[j][ch] = (float)rhs[j][AS_NUM_CHANNELS + ch];
        }
        k->fa[ch] = (float)rhs[3][ch];
        k->fb[ch] = (float)rhs[4][ch];
        k->a[ch] = (float)rhs[3][AS_NUM_CHANNELS + ch];
        k->b[ch] = (float)rhs[4][AS_NUM_CHANNELS + ch];
    }
    k->active = 1;
    return 1;
}

as_compiler_params as_compiler_default_params(void)
{
    as_compiler_params p;
    p.parametric_weight = 0.6f; /* ARCHITECTURE.md: parametric 60% / archetype 40% */
    p.rbf_width = 0.35f;        /* sigma in VAD units: about the L1-L3 anchor spacing, so
                                   neighbouring levels overlap and the Gaussian part stays gentle */
    return p;
}

as_compiler *as_compiler_create(const as_preset_bank *bank, const as_compiler_params *params)
{
    pthread_once(&ptable_once, load_ptable);
    if (!ptable_ok) return NULL;
    if (!bank) bank = as_preset_bank_default();
    if (!bank) return NULL;
    as_compiler_params p = params ? *params : as_compiler_default_params();
    if (!(p.parametric_weight >= 0.0f && p.parametric_weight <= 1.0f)) {
        as_set_error("parametric_weight %g outside 0..1", (double)p.parametric_weight);
        return NULL;
    }
    if (!(p.rbf_width >= 0.05f && p.rbf_width <= 2.0f)) {
        as_set_error("rbf_width %g outside 0.05..2", (double)p.rbf_width);
        return NULL;
    }
    as_compiler *c = as_calloc(1, sizeof *c);
    if (!c) { as_set_error("out of memory"); return NULL; }
    c->params = p;
    c->inv_two_sigma2 = 1.0f / (2.0f * p.rbf_width * p.rbf_width);
    as_preset_bank_get(bank, AS_EMO_NEUTRAL, 3, c->neutral);
    /* Neutral has one preset: its G is the constant that makes the blend
     * return the neutral face at the neutral point. */
    float pn[AS_NUM_CHANNELS];
    as_vad nv = as_neutral_vad();
    parametric_eval(pn, nv.v, nv.a, nv.d);
    for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) c->neutral_g[ch] = c->neutral[ch] - p.parametric_weight * pn[ch];
    for (int e = 1; e < AS_NUM_EMOTIONS; e++)
        if (!fit_class(c, bank, (as_emotion)e)) { as_free(c); return NULL; }
    return c;
}

void as_compiler_destroy(as_compiler *c) { as_free(c); }

void as_compiler_neutral(const as_compiler *c, float out[AS_NUM_CHANNELS])
{
    if (c && out) memcpy(out, c->neutral, sizeof c->neutral);
}

/* Validates cond; writes the normalised class weights and the clamped VAD. */
static as_result prepare(const as_cond *cond, float w[AS_NUM_EMOTIONS], float vad[3])
{
    float sum = 0.0f;
    for (int e = 0; e < AS_NUM_EMOTIONS; e++) {
        float x = cond->w[e];
        if (!isfinite(x) || x < 0.0f) return as_fail(AS_ERR_RANGE, "class weight %d is %g (must be >= 0)", e, (double)x);
        w[e] = x;
        sum += x;
    }
    if (sum <= 0.0f) {
        memset(w, 0, sizeof(float) * AS_NUM_EMOTIONS);
        w[AS_EMO_NEUTRAL] = 1.0f;
    } else {
        for (int e = 0; e < AS_NUM_EMOTIONS; e++) w[e] /= sum;
    }
    const float in[3] = {cond->v, cond->a, cond->d};
    for (int i = 0; i < 3; i++) {
        if (!isfinite(in[i])) return as_fail(AS_ERR_RANGE, "VAD component %d is not a number", i);
        vad[i] = as_clamp01(in[i]);
    }
    return AS_OK;
}

/* out += wk * (a + b s + sum alpha_j phi_j) for one class. */
static void rbf_accumulate(const as_compiler *c, const class_rbf *k, float wk, const float vad[3], int archetype,
                           float out[AS_NUM_CHANNELS])
{
    const float s = axis_pos(k, vad[0], vad[1], vad[2]);
    float phi[3];
    for (int j = 0; j < 3; j++) {
        float dv = vad[0] - k->p[j][0], da = vad[1] - k->p[j][1], dd = vad[2] - k->p[j][2];
        phi[j] = wk * expf(-(dv * dv + da * da + dd * dd) * c->inv_two_sigma2);
    }
    const float *a = archetype ? k->fa : k->a, *b = archetype ? k->fb : k->b;
    const float *al0 = archetype ? k->falpha[0] : k->alpha[0];
    const float *al1 = archetype ? k->falpha[1] : k->alpha[1];
    const float *al2 = archetype ? k->falpha[2] : k->alpha[2];
    const float ws = wk * s;
    for (int ch = 0; ch < AS_NUM_CHANNELS; ch++)
        out[ch] += wk * a[ch] + ws * b[ch] + phi[0] * al0[ch] + phi[1] * al1[ch] + phi[2] * al2[ch];
}

as_result as_compile_parametric(const as_compiler *c, float out[AS_NUM_CHANNELS], const as_cond *cond)
{
    if (!c || !out || !cond) return as_fail(AS_ERR_INVALID_ARG, "as_compile_parametric: NULL argument");
    float w[AS_NUM_EMOTIONS], vad[3];
    as_result r = prepare(cond, w, vad);
    if (r != AS_OK) return r;
    parametric_eval(out, vad[0], vad[1], vad[2]);
    return AS_OK;
}

as_result as_compile_archetype(const as_compiler *c, float out[AS_NUM_CHANNELS], const as_cond *cond)
{
    if (!c || !out || !cond) return as_fail(AS_ERR_INVALID_ARG, "as_compile_archetype: NULL argument");
    float w[AS_NUM_EMOTIONS], vad[3];
    as_result r = prepare(cond, w, vad);
    if (r != AS_OK) return r;
    for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) out[ch] = w[AS_EMO_NEUTRAL] * c->neutral[ch];
    for (int e = 1; e < AS_NUM_EMOTIONS; e++)
        if (w[e] > 0.0f) rbf_accumulate(c, &c->cls[e], w[e], vad, 1, out);
    return AS_OK;
}

as_result as_compile(const as_compiler *c, float out[AS_NUM_CHANNELS], const as_cond *cond, float strength)
{
    if (!c || !out || !cond) return as_fail(AS_ERR_INVALID_ARG, "as_compile: NULL argument");
    if (!(strength >= 0.0f && strength <= 2.0f))
        return as_fail(AS_ERR_RANGE, "strength %g outside 0..2", (double)strength);
    float w[AS_NUM_EMOTIONS], vad[3];
    as_result r = prepare(cond, w, vad);
    if (r != AS_OK) return r;

    /* pw P(v) + sum_k w_k G_k(v) */
    float face[AS_NUM_CHANNELS];
    parametric_eval(face, vad[0], vad[1], vad[2]);
    const float pw = c->params.parametric_weight;
    const float wn = w[AS_EMO_NEUTRAL];
    for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) face[ch] = pw * face[ch] + wn * c->neutral_g[ch];
    for (int e = 1; e < AS_NUM_EMOTIONS; e++)
        if (w[e] > 0.0f) rbf_accumulate(c, &c->cls[e], w[e], vad, 0, face);

    /* Strength scales the deviation from the neutral face; 0 gives it exactly. */
    for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) {
        float x = as_clamp01(face[ch]);
        x = as_clamp01(c->neutral[ch] + strength * (x - c->neutral[ch]));
        /* Float residue of the RBF solve (~1e-8) is not a movement: show rest as 0. */
        out[ch] = x < 1e-6f ? 0.0f : x;
    }
    as_resolve_antagonists(out);
    return AS_OK;
}
