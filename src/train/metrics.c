/* train/metrics.c — the quality contract (ARCHITECTURE.md) as measurements:
 * track metrics for any animation, and the engine contract run over a preset
 * bank through the compiler. Nothing here changes a face; it only measures. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "animasync/metrics.h"
#include "core/internal.h"

double as_track_smoothness(const float *track, size_t T, int *worst_channel)
{
    double worst = 0.0;
    int worst_ch = -1;
    if (!track || T < 3) { if (worst_channel) *worst_channel = -1; return 0.0; }
    for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) {
        if (!as_channel_is_slow(ch)) continue;
        double sum = 0.0;
        for (size_t t = 1; t + 1 < T; t++) {
            double d2 = (double)track[(t + 1) * AS_NUM_CHANNELS + ch] - 2.0 * track[t * AS_NUM_CHANNELS + ch] +
                        track[(t - 1) * AS_NUM_CHANNELS + ch];
            sum += fabs(d2);
        }
        double mean = sum / (double)(T - 2);
        if (mean > worst || worst_ch < 0) { worst = mean; worst_ch = ch; }
    }
    if (worst_channel) *worst_channel = worst_ch;
    return worst;
}

size_t as_track_violations(const float *track, size_t T)
{
    size_t n_pairs, bad = 0;
    const as_antagonist *pairs = as_antagonists(&n_pairs);
    for (size_t t = 0; track && t < T; t++)
        for (size_t i = 0; i < n_pairs; i++) {
            const float *f = track + t * AS_NUM_CHANNELS;
            if (f[pairs[i].a] > pairs[i].limit && f[pairs[i].b] > pairs[i].limit) bad++;
        }
    return bad;
}

double as_track_lipsync_preservation(const float *track, const float *lipsync, size_t T)
{
    size_t n = 0, same = 0;
    for (size_t t = 0; track && lipsync && t < T; t++)
        for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) {
            if (as_channel_class_of(ch) != AS_CHANNEL_LIPSYNC) continue;
            n++;
            same += fabsf(track[t * AS_NUM_CHANNELS + ch] - lipsync[t * AS_NUM_CHANNELS + ch]) <= 1e-3f;
        }
    return n ? (double)same / (double)n : 1.0;
}

static double cosine_distance_mask(const float *a, const float *b, int expression_only)
{
    double ab = 0.0, aa = 0.0, bb = 0.0;
    for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) {
        if (expression_only && as_channel_class_of(ch) != AS_CHANNEL_EXPRESSION) continue;
        ab += (double)a[ch] * b[ch];
        aa += (double)a[ch] * a[ch];
        bb += (double)b[ch] * b[ch];
    }
    if (aa <= 0.0 || bb <= 0.0) return 0.0;
    return 1.0 - ab / sqrt(aa * bb);
}

double as_cosine_distance_expression(const float a[AS_NUM_CHANNELS], const float b[AS_NUM_CHANNELS])
{
    return cosine_distance_mask(a, b, 1);
}

double as_cosine_distance(const float a[AS_NUM_CHANNELS], const float b[AS_NUM_CHANNELS])
{
    return cosine_distance_mask(a, b, 0);
}

void as_class_centroid(const as_preset_bank *bank, as_emotion e, float out[AS_NUM_CHANNELS])
{
    if (e == AS_EMO_NEUTRAL) { as_preset_bank_get(bank, e, 3, out); return; }
    float p[AS_NUM_CHANNELS];
    memset(out, 0, sizeof(float) * AS_NUM_CHANNELS);
    for (int level = 1; level <= 5; level += 2) {
        as_preset_bank_get(bank, e, level, p);
        for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) out[ch] += p[ch] / 3.0f;
    }
}

double as_expression_magnitude(const float face[AS_NUM_CHANNELS], const float neutral[AS_NUM_CHANNELS])
{
    double s = 0.0;
    for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) s += ((double)face[ch] - neutral[ch]) * ((double)face[ch] - neutral[ch]);
    return sqrt(s);
}

as_contract_params as_contract_default_params(void)
{
    as_contract_params p = {1u, 100000, 22};
    return p;
}

/* The random queries draw from splitmix64 (core/rng.c). */
static unsigned long long rng_next(unsigned long long *s)
{
    uint64_t x = *s;
    uint64_t r = as_splitmix64(&x);
    *s = x;
    return r;
}
static float rng_unit(unsigned long long *s) { return (float)(rng_next(s) >> 40) / (float)(1ull << 24); }

/* A random conditioning: 1 to 3 classes with random weights, VAD uniform. */
static as_cond random_cond(unsigned long long *s)
{
    as_cond c;
    memset(&c, 0, sizeof c);
    int k = 1 + (int)(rng_next(s) % 3);
    for (int i = 0; i < k; i++) c.w[rng_next(s) % AS_NUM_EMOTIONS] += rng_unit(s) + 0.01f;
    c.v = rng_unit(s);
    c.a = rng_unit(s);
    c.d = rng_unit(s);
    return c;
}

as_metric *as_contract_add(as_contract_report *r, const char *name, double value, double threshold, int upper)
{
    if (!r || r->n >= AS_MAX_METRICS) return NULL;
    as_metric *m = &r->m[r->n++];
    m->name = name;
    m->value = value;
    m->threshold = threshold;
    m->upper_bound = upper;
    m->pass = upper ? value <= threshold : value > threshold;
    m->detail[0] = 0;
    if (!m->pass) r->all_pass = 0;
    return m;
}

as_result as_contract_check(const as_preset_bank *bank, const as_compiler_params *cparams,
                            const as_contract_params *params, as_contract_report *report)
{
    if (!report) return as_fail(AS_ERR_INVALID_ARG, "as_contract_check: NULL report");
    memset(report, 0, sizeof *report);
    report->all_pass = 1;
    if (!bank) bank = as_preset_bank_default();
    if (!bank) return as_fail(AS_ERR_PARSE, "built-in preset bank is corrupt: %s", as_last_error());
    as_contract_params cp = params ? *params : as_contract_default_params();
    as_compiler *c = as_compiler_create(bank, cparams);
    as_compiler *c2 = as_compiler_create(bank, cparams);
    if (!c || !c2) {
        as_compiler_destroy(c);
        as_compiler_destroy(c2);
        return as_fail(AS_ERR_INVALID_ARG, "cannot create compiler: %s", as_last_error());
    }
    float neutral[AS_NUM_CHANNELS], out[AS_NUM_CHANNELS], out2[AS_NUM_CHANNELS], preset[AS_NUM_CHANNELS];
    as_preset_bank_get(bank, AS_EMO_NEUTRAL, 3, neutral);
    unsigned long long rng = 0x5eed0000ull + cp.seed;
    as_metric *m;

    /* Determinism: two compilers, repeated calls, bit-identical. */
    size_t differ = 0;
    for (int i = 0; i < 2000; i++) {
        as_cond q = random_cond(&rng);
        float st = 2.0f * rng_unit(&rng);
        as_compile(c, out, &q, st);
        as_compile(c2, out2, &q, st);
        differ += memcmp(out, out2, sizeof out) != 0;
        as_compile(c, out2, &q, st);
        differ += memcmp(out, out2, sizeof out) != 0;
    }
    as_contract_add(report, "determinism_mismatches", (double)differ, 0.0, 1);

    /* Anchor reproducibility: at each preset's anchor the compiler returns it. */
    double worst = 0.0;
    int worst_slot = 0, worst_ch = 0;
    for (int i = 0; i < AS_NUM_PRESETS; i++) {
        as_emotion e;
        int level;
        as_preset_slot(i, &e, &level);
        as_cond q = as_cond_make(e, as_emotion_anchor(e, level));
        as_compile(c, out, &q, 1.0f);
        as_preset_bank_get(bank, e, level, preset);
        for (int ch = 0; ch < AS_NUM_CHANNELS; ch++)
            if (fabs((double)out[ch] - preset[ch]) > worst) {
                worst = fabs((double)out[ch] - preset[ch]);
                worst_slot = i;
                worst_ch = ch;
            }
    }
    m = as_contract_add(report, "anchor_reproducibility_max_abs", worst, 1e-4, 1);
    {
        as_emotion e;
        int level;
        as_preset_slot(worst_slot, &e, &level);
        snprintf(m->detail, sizeof m->detail, "worst at %s L%d %s", as_emotion_name(e), level, as_channel_name(worst_ch));
    }

    /* VAD smoothness: grid per class, +0.05 steps on each axis, strength 1. */
    const int g = cp.grid_per_axis < 2 ? 2 : cp.grid_per_axis;
    const float step = 0.05f;
    double worst_step = 0.0;
    int ws_e = 0, ws_ch = 0;
    float ws_vad[3] = {0}, ws_axis = 0;
    for (int e = 0; e < AS_NUM_EMOTIONS; e++)
        for (int iv = 0; iv < g; iv++)
            for (int ia = 0; ia < g; ia++)
                for (int id = 0; id < g; id++) {
                    as_vad p = {(1.0f - step) * iv / (g - 1), (1.0f - step) * ia / (g - 1), (1.0f - step) * id / (g - 1)};
                    as_cond q = as_cond_make((as_emotion)e, p);
                    as_compile(c, out, &q, 1.0f);
                    for (int axis = 0; axis < 3; axis++) {
                        as_cond q2 = q;
                        (&q2.v)[axis] += step;
                        as_compile(c, out2, &q2, 1.0f);
                        for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) {
                            double dlt = fabs((double)out2[ch] - out[ch]);
                            if (dlt > worst_step) {
                                worst_step = dlt;
                                ws_e = e;
                                ws_ch = ch;
                                ws_vad[0] = p.v; ws_vad[1] = p.a; ws_vad[2] = p.d;
                                ws_axis = (float)axis;
                            }
                        }
                    }
                }
    m = as_contract_add(report, "vad_smoothness_max_step", worst_step, 0.05, 1);
    snprintf(m->detail, sizeof m->detail, "worst: %s at VAD %.2f,%.2f,%.2f step on %c moves %s",
             as_emotion_name((as_emotion)ws_e), ws_vad[0], ws_vad[1], ws_vad[2], "VAD"[(int)ws_axis],
             as_channel_name(ws_ch));

    /* Validity: all presets, then random (mix, VAD, strength 0..2) queries. */
    size_t bad = 0;
    for (int i = 0; i < AS_NUM_PRESETS; i++) {
        as_emotion e;
        int level;
        as_preset_slot(i, &e, &level);
        as_preset_bank_get(bank, e, level, preset);
        bad += as_track_violations(preset, 1);
    }
    for (int i = 0; i < cp.validity_queries; i++) {
        as_cond q = random_cond(&rng);
        as_compile(c, out, &q, 2.0f * rng_unit(&rng));
        bad += as_track_violations(out, 1);
    }
    m = as_contract_add(report, "validity_violations", (double)bad, 0.0, 1);
    snprintf(m->detail, sizeof m->detail, "46 presets + %d random queries", cp.validity_queries);

    /* Distinctiveness between class centroids on EXPRESSION channels. */
    float cen[AS_NUM_EMOTIONS][AS_NUM_CHANNELS];
    for (int e = 0; e < AS_NUM_EMOTIONS; e++) as_class_centroid(bank, (as_emotion)e, cen[e]);
    double min_across = 2.0, min_within = 2.0;
    int pa[2] = {0, 0}, pw2[2] = {0, 0};
    for (int i = 1; i < AS_NUM_EMOTIONS; i++)
        for (int j = i + 1; j < AS_NUM_EMOTIONS; j++) {
            double dist = as_cosine_distance_expression(cen[i], cen[j]);
            if (as_emotion_family((as_emotion)i) == as_emotion_family((as_emotion)j)) {
                if (dist < min_within) { min_within = dist; pw2[0] = i; pw2[1] = j; }
            } else if (dist < min_across) {
                min_across = dist; pa[0] = i; pa[1] = j;
            }
        }
    m = as_contract_add(report, "distinctiveness_across_families_min", min_across, 0.3, 0);
    snprintf(m->detail, sizeof m->detail, "closest: %s vs %s", as_emotion_name((as_emotion)pa[0]), as_emotion_name((as_emotion)pa[1]));
    m = as_contract_add(report, "distinctiveness_within_family_min", min_within, 0.1, 0);
    snprintf(m->detail, sizeof m->detail, "closest: %s vs %s", as_emotion_name((as_emotion)pw2[0]), as_emotion_name((as_emotion)pw2[1]));

    /* Monotonic intensity: magnitude L1 < L3 < L5 (through the compiler at the anchors). */
    int mono_bad = 0;
    char mono_detail[200] = "";
    for (int e = 1; e < AS_NUM_EMOTIONS; e++) {
        double mag[3];
        for (int k = 0; k < 3; k++) {
            as_cond q = as_cond_make((as_emotion)e, as_emotion_anchor((as_emotion)e, 1 + 2 * k));
            as_compile(c, out, &q, 1.0f);
            mag[k] = as_expression_magnitude(out, neutral);
        }
        if (!(mag[0] < mag[1] && mag[1] < mag[2])) {
            if (!mono_bad) snprintf(mono_detail, sizeof mono_detail, "%s: %.3f %.3f %.3f", as_emotion_name((as_emotion)e), mag[0], mag[1], mag[2]);
            mono_bad++;
        }
    }
    m = as_contract_add(report, "monotonic_intensity_failures", (double)mono_bad, 0.0, 1);
    snprintf(m->detail, sizeof m->detail, "%s", mono_bad ? mono_detail : "L1 < L3 < L5 for all 15 classes");

    /* Family coherence: each sub-emotion nearer (cosine, all channels) its own parent. */
    int fam_bad = 0;
    double worst_margin = 1e9;
    char fam_detail[200] = "";
    for (int e = 1; e < AS_NUM_EMOTIONS; e++) {
        as_family f = as_emotion_family((as_emotion)e);
        as_emotion parent = as_family_parent(f);
        if (parent == (as_emotion)e) continue;
        double own = as_cosine_distance(cen[e], cen[parent]);
        for (int pf = AS_FAMILY_JOY; pf <= AS_FAMILY_SURPRISE; pf++) {
            if (pf == (int)f) continue;
            double other = as_cosine_distance(cen[e], cen[as_family_parent((as_family)pf)]);
            if (other - own < worst_margin) {
                worst_margin = other - own;
                snprintf(fam_detail, sizeof fam_detail, "tightest: %s to %s %.3f vs to %s %.3f", as_emotion_name((as_emotion)e),
                         as_emotion_name(parent), own, as_emotion_name(as_family_parent((as_family)pf)), other);
            }
            if (!(own < other)) fam_bad++;
        }
    }
    m = as_contract_add(report, "family_coherence_failures", (double)fam_bad, 0.0, 1);
    snprintf(m->detail, sizeof m->detail, "%s", fam_detail);

    /* Strength 0 gives the neutral face exactly. */
    size_t s0 = 0;
    for (int i = 0; i < 1000; i++) {
        as_cond q = random_cond(&rng);
        as_compile(c, out, &q, 0.0f);
        s0 += memcmp(out, neutral, sizeof out) != 0;
    }
    as_contract_add(report, "strength0_not_neutral", (double)s0, 0.0, 1);

    as_compiler_destroy(c);
    as_compiler_destroy(c2);
    return AS_OK;
}
