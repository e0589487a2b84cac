/* train/eval.c — the student's quality figures (issue 6 "done means"), used
 * by `animasync eval` on a dataset's validation or test voices and by the
 * trainer's per-epoch validation line:
 *   - lip sync against the target: jawOpen Pearson r, per-frame viseme
 *     accuracy (nearest viseme pose), bilabial closures detected within one
 *     frame, mean L1 by channel class;
 *   - emotion at the anchors: silent audio + each preset's anchor
 *     conditioning against that preset (max abs error), variance over
 *     repeated runs, distinctiveness of the class centroids of the outputs;
 *   - temporal smoothness of the slow expression channels (the contract).
 * docs/MODEL.md defines each figure exactly. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <string.h>

#include "animasync/expression.h"
#include "animasync/lipsync.h"
#include "animasync/metrics.h"
#include "core/internal.h"
#include "train/student_train.h"

/* ---- loading a split ---------------------------------------------------- */

void st_split_clear(st_split *sp)
{
    for (size_t i = 0; i < sp->n_shards; i++) as_dataset_shard_clear(&sp->shards[i]);
    as_free(sp->shards);
    as_free(sp->clips);
    memset(sp, 0, sizeof *sp);
}

as_result st_split_load(const char *dir, as_split s, size_t max_clips, st_split *out)
{
    memset(out, 0, sizeof *out);
    as_dataset *ds = as_dataset_open(dir);
    if (!ds) return AS_ERR_IO;
    size_t ns = as_dataset_shard_count(ds), cap_clips = 0;
    for (size_t i = 0; i < ns; i++) {
        const as_dataset_shard_info *info = as_dataset_shard_at(ds, i);
        if (info->present && info->split == s) cap_clips += info->n_clips;
    }
    as_result r = AS_OK;
    out->shards = as_calloc(ns ? ns : 1, sizeof *out->shards);
    out->clips = as_calloc(cap_clips ? cap_clips : 1, sizeof *out->clips);
    if (!out->shards || !out->clips) {
        r = as_fail(AS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < ns && (!max_clips || out->n_clips < max_clips); i++) {
        const as_dataset_shard_info *info = as_dataset_shard_at(ds, i);
        if (!info->present || info->split != s) continue;
        as_dataset_shard *sh = &out->shards[out->n_shards];
        if ((r = as_dataset_shard_load(ds, i, sh)) != AS_OK) goto done;
        out->n_shards++;
        for (int k = 0; k < 3; k++)
            for (int f = 0; f < AS_FEAT_DIM; f++) out->stats[k][f] += sh->stats[k * AS_FEAT_DIM + f];
        for (size_t c = 0; c < sh->n_clips && (!max_clips || out->n_clips < max_clips); c++) {
            as_dataset_clip dc;
            if ((r = as_dataset_shard_clip(sh, c, &dc)) != AS_OK) goto done;
            if (dc.n_anim == 0 || dc.n_feat == 0) continue;
            st_clip *cl = &out->clips[out->n_clips++];
            cl->n_feat = dc.n_feat;
            cl->n_anim = dc.n_anim;
            cl->features = dc.features;
            cl->cond = dc.cond;
            cl->targets = dc.targets;
            cl->teacher = dc.teacher;
            cl->visemes = dc.visemes;
            cl->family = dc.family;
            out->anim_frames += dc.n_anim;
        }
    }
    if (out->n_clips == 0)
        r = as_fail(AS_ERR_INVALID_ARG, "%s: no %s clips (make them with `animasync generate`)", dir, as_split_name(s));
done:
    as_dataset_close(ds);
    if (r != AS_OK) st_split_clear(out);
    return r;
}

/* ---- silence ------------------------------------------------------------ */

const float *st_silence_features(size_t *n_feat)
{
    static float *feat;
    static size_t n;
    if (!feat) {
        float pcm[32000] = {0}; /* 2 s at 16 kHz */
        float *f = NULL;
        size_t k = 0;
        if (as_features_compute(&f, &k, pcm, 32000, 16000, NULL) != AS_OK) return NULL;
        n = k;
        feat = f; /* kept for the life of the process */
    }
    *n_feat = n;
    return feat;
}

/* ---- lip-sync metrics ---------------------------------------------------- */

void st_anchor_slot(int i, float preset[AS_NUM_CHANNELS], as_cond *cond, as_emotion *e, int *level)
{
    as_emotion se;
    int sl;
    as_preset_slot(i, &se, &sl);
    as_preset_bank_get(as_preset_bank_default(), se, sl, preset); /* neutral: its one preset */
    *cond = as_cond_make(se, as_emotion_anchor(se, sl));
    if (e) *e = se;
    if (level) *level = sl;
}

int st_mouth_channels(int *ch)
{
    int n = 0;
    for (int c = 0; c < AS_NUM_CHANNELS; c++)
        if (as_channel_class_of(c) == AS_CHANNEL_LIPSYNC || c == AS_JAW_OPEN) ch[n++] = c;
    return n;
}

int st_nearest_viseme(const float *w, const float *poses, const int *ch, int nch)
{
    int best = 0;
    double bd = 1e30;
    for (int v = 0; v < AS_NUM_VISEMES; v++) {
        double d = 0.0;
        for (int i = 0; i < nch; i++) {
            double e = (double)w[ch[i]] - poses[(size_t)v * AS_NUM_CHANNELS + ch[i]];
            d += e * e;
        }
        if (d < bd) bd = d, best = v;
    }
    return best;
}

/* The merge scales the teacher's jaw by 0.7 + 0.8 A (motion.h): undo it to
 * compare an output's jaw with the teacher's. */
static float jaw_scale(const float *cond) { return 0.7f + 0.8f * as_clamp01(cond[AS_NUM_EMOTIONS + 1]); }

/* Lips closed: pressed (the teacher presses >= 0.5 on every /p b m/) and
 * the lower lip up to the jaw (mouthClose at least half the jaw opening). */
static int lips_closed(const float *w, const float *cond)
{
    float press = 0.5f * (w[AS_MOUTH_PRESS_LEFT] + w[AS_MOUTH_PRESS_RIGHT]);
    float jaw = w[AS_JAW_OPEN] / jaw_scale(cond);
    return press >= 0.3f && w[AS_MOUTH_CLOSE] >= 0.5f * jaw;
}

typedef struct {
    double sx, sy, sxx, syy, sxy, n;
} pearson_acc;

static void pearson_add(pearson_acc *a, double x, double y)
{
    a->sx += x, a->sy += y, a->sxx += x * x, a->syy += y * y, a->sxy += x * y, a->n += 1.0;
}

static double pearson_r(const pearson_acc *a)
{
    if (a->n < 2) return 0.0;
    double cov = a->sxy - a->sx * a->sy / a->n;
    double vx = a->sxx - a->sx * a->sx / a->n, vy = a->syy - a->sy * a->sy / a->n;
    return vx > 0 && vy > 0 ? cov / sqrt(vx * vy) : 0.0;
}

as_result st_eval_clips(const as_student *m, const st_clip *clips, size_t n, as_student_eval_report *r)
{
    float poses[AS_NUM_VISEMES][AS_NUM_CHANNELS];
    for (int v = 0; v < AS_NUM_VISEMES; v++) as_viseme_pose(v, poses[v]);
    int ch[AS_NUM_CHANNELS];
    int nch = st_mouth_channels(ch);
    size_t maxT = 0;
    for (size_t i = 0; i < n; i++)
        if (clips[i].n_anim > maxT) maxT = clips[i].n_anim;
    /* the network's activations for the longest clip: the face and, with
     * heads, the viseme head's probabilities */
    nn_layout LA;
    st_acts_layout(&LA, &m->cfg, 1, (int)(maxT ? maxT : 1));
    float *abuf = as_malloc(LA.total * sizeof(float));
    int *tv = as_malloc((maxT ? maxT : 1) * 2 * sizeof(int)), *ov = tv ? tv + (maxT ? maxT : 1) : NULL;
    if (!abuf || !tv) {
        as_free(abuf), as_free(tv);
        return as_fail(AS_ERR_NOMEM, "out of memory");
    }
    pearson_acc pt = {0}, pteach = {0};
    double l1[3] = {0}, l1n[3] = {0}, l1all = 0.0;
    size_t frames = 0, vis_ok = 0, vis_near = 0, closures = 0, detected = 0;
    size_t late_ok = 0, vis_prev = 0, vis_next = 0, pairs = 0; /* pairs: frames with a previous frame */
    size_t target_ok = 0, head_ok = 0, stable = 0, stable_ok = 0;
    double smooth = 0.0;
    /* the same counts per voice family, in the same pass: a voice the
     * network reads badly hides in the pooled figure */
    struct {
        pearson_acc pt;
        size_t clips, frames, vis_ok, head_ok, closures, detected;
    } fam[AS_STUDENT_EVAL_MAX_FAMILIES];
    memset(fam, 0, sizeof fam);
    for (size_t i = 0; i < n; i++) {
        const st_clip *c = &clips[i];
        const size_t vis0 = vis_ok, head0 = head_ok, clo0 = closures, det0 = detected;
        const int f = c->family >= 0 && c->family < AS_STUDENT_EVAL_MAX_FAMILIES ? c->family : -1;
        st_acts a; /* the activations: the face and the viseme head's probabilities */
        st_run(m, &a, abuf, c->features, c->n_feat, c->cond, (int)c->n_anim);
        const float *out = a.pred;
        for (size_t t = 0; t < c->n_anim; t++) {
            const float *o = out + t * AS_NUM_CHANNELS, *y = c->targets + t * AS_NUM_CHANNELS;
            const float *te = c->teacher + t * AS_NUM_CHANNELS, *cd = c->cond + t * AS_COND_DIM;
            pearson_add(&pt, o[AS_JAW_OPEN], y[AS_JAW_OPEN]);
            if (f >= 0) pearson_add(&fam[f].pt, o[AS_JAW_OPEN], y[AS_JAW_OPEN]);
            pearson_add(&pteach, o[AS_JAW_OPEN], te[AS_JAW_OPEN]);
            for (int k = 0; k < AS_NUM_CHANNELS; k++) {
                double e = fabs((double)o[k] - y[k]);
                int cls = (int)as_channel_class_of(k);
                l1[cls] += e, l1n[cls] += 1.0, l1all += e;
            }
            float mo[AS_NUM_CHANNELS];
            memcpy(mo, o, sizeof mo);
            mo[AS_JAW_OPEN] = o[AS_JAW_OPEN] / jaw_scale(cd);
            tv[t] = st_nearest_viseme(te, poses[0], ch, nch);
            ov[t] = st_nearest_viseme(mo, poses[0], ch, nch);
            memcpy(mo, y, sizeof mo); /* the target in the same units */
            mo[AS_JAW_OPEN] = y[AS_JAW_OPEN] / jaw_scale(cd);
            target_ok += st_nearest_viseme(mo, poses[0], ch, nch) == tv[t];
            if (m->cfg.heads) {
                const float *q = a.vp + t * ST_NUM_VISEMES;
                int best = 0;
                for (int k = 1; k < ST_NUM_VISEMES; k++)
                    if (q[k] > q[best]) best = k;
                head_ok += best == tv[t];
            }
        }
        /* visemes: the output's nearest pose against the teacher's at the
         * same frame, one frame earlier or later; the teacher against itself
         * one frame late */
        for (size_t t = 0; t < c->n_anim; t++) {
            int prev = t > 0 && ov[t] == tv[t - 1];
            int next = t + 1 < c->n_anim && ov[t] == tv[t + 1];
            vis_ok += ov[t] == tv[t];
            vis_near += ov[t] == tv[t] || prev || next;
            vis_prev += prev, vis_next += next;
            if (t > 0) late_ok += tv[t - 1] == tv[t], pairs++;
            if (t > 0 && t + 1 < c->n_anim && tv[t - 1] == tv[t] && tv[t + 1] == tv[t])
                stable++, stable_ok += ov[t] == tv[t];
        }
        /* closures: runs of /p b m/ frames in the teacher's viseme track */
        for (size_t t = 0; t < c->n_anim;) {
            if (c->visemes[t] != AS_VISEME_PP) {
                t++;
                continue;
            }
            size_t e = t;
            while (e + 1 < c->n_anim && c->visemes[e + 1] == AS_VISEME_PP) e++;
            closures++;
            size_t lo = t ? t - 1 : 0, hi = e + 1 < c->n_anim ? e + 1 : e;
            for (size_t f = lo; f <= hi; f++)
                if (lips_closed(out + f * AS_NUM_CHANNELS, c->cond + f * AS_COND_DIM)) {
                    detected++;
                    break;
                }
            t = e + 1;
        }
        double s = as_track_smoothness(out, c->n_anim, NULL);
        if (s > smooth) smooth = s;
        frames += c->n_anim;
        if (f >= 0) {
            fam[f].clips++;
            fam[f].frames += c->n_anim;
            fam[f].vis_ok += vis_ok - vis0;
            fam[f].head_ok += head_ok - head0;
            fam[f].closures += closures - clo0;
            fam[f].detected += detected - det0;
        }
    }
    as_free(abuf), as_free(tv);
    r->clips = n;
    r->frames = frames;
    r->jaw_pearson = pearson_r(&pt);
    r->jaw_pearson_teacher = pearson_r(&pteach);
    r->viseme_accuracy = frames ? (double)vis_ok / (double)frames : 0.0;
    r->viseme_teacher_late = pairs ? (double)late_ok / (double)pairs : 0.0;
    r->viseme_within_one = frames ? (double)vis_near / (double)frames : 0.0;
    r->viseme_vs_earlier = pairs ? (double)vis_prev / (double)pairs : 0.0;
    r->viseme_target = frames ? (double)target_ok / (double)frames : 0.0;
    r->viseme_head = frames && m->cfg.heads ? (double)head_ok / (double)frames : 0.0;
    r->viseme_stable = stable ? (double)stable_ok / (double)stable : 0.0;
    r->stable_share = frames ? (double)stable / (double)frames : 0.0;
    r->viseme_vs_later = pairs ? (double)vis_next / (double)pairs : 0.0; /* frames with a next one: as many */
    r->closures = closures;
    r->closure_rate = closures ? (double)detected / (double)closures : 0.0;
    r->lipsync_l1 = l1n[AS_CHANNEL_LIPSYNC] ? l1[AS_CHANNEL_LIPSYNC] / l1n[AS_CHANNEL_LIPSYNC] : 0.0;
    r->expression_l1 = l1n[AS_CHANNEL_EXPRESSION] ? l1[AS_CHANNEL_EXPRESSION] / l1n[AS_CHANNEL_EXPRESSION] : 0.0;
    r->all_l1 = frames ? l1all / ((double)frames * AS_NUM_CHANNELS) : 0.0;
    r->smoothness = smooth;
    size_t n_names;
    const as_voice_family *names = as_voice_families(&n_names);
    r->n_families = 0;
    for (int f = 0; f < AS_STUDENT_EVAL_MAX_FAMILIES; f++) {
        if (!fam[f].clips) continue;
        size_t k = r->n_families++;
        if ((size_t)f < n_names) snprintf(r->family[k].name, sizeof r->family[k].name, "%s", names[f].name);
        else snprintf(r->family[k].name, sizeof r->family[k].name, "family %d", f);
        r->family[k].clips = fam[f].clips;
        r->family[k].frames = fam[f].frames;
        r->family[k].closures = fam[f].closures;
        r->family[k].jaw_pearson = pearson_r(&fam[f].pt);
        r->family[k].viseme_accuracy = fam[f].frames ? (double)fam[f].vis_ok / (double)fam[f].frames : 0.0;
        r->family[k].viseme_head =
            fam[f].frames && m->cfg.heads ? (double)fam[f].head_ok / (double)fam[f].frames : 0.0;
        r->family[k].closure_rate = fam[f].closures ? (double)fam[f].detected / (double)fam[f].closures : 0.0;
    }
    return AS_OK;
}

/* ---- anchors ------------------------------------------------------------- */

as_result st_eval_anchors(const as_student *m, int repeats, as_student_eval_report *r)
{
    size_t n_feat;
    const float *sil = st_silence_features(&n_feat);
    if (!sil) return AS_ERR_BACKEND;
    enum { T = ST_SILENCE_FRAMES };
    as_cond cond[T];
    float out[T * AS_NUM_CHANNELS], first[T * AS_NUM_CHANNELS];
    float mean_face[AS_NUM_PRESETS][AS_NUM_CHANNELS];
    double worst = 0.0, var = 0.0;
    for (int i = 0; i < AS_NUM_PRESETS; i++) {
        float preset[AS_NUM_CHANNELS];
        as_cond c;
        as_emotion e;
        int level;
        st_anchor_slot(i, preset, &c, &e, &level);
        for (int t = 0; t < T; t++) cond[t] = c;
        as_result res = as_student_run(m, out, sil, n_feat, cond, T);
        if (res != AS_OK) return res;
        memset(mean_face[i], 0, sizeof mean_face[i]);
        for (int t = 0; t < T; t++)
            for (int k = 0; k < AS_NUM_CHANNELS; k++) {
                double err = fabs((double)out[t * AS_NUM_CHANNELS + k] - preset[k]);
                mean_face[i][k] += out[t * AS_NUM_CHANNELS + k] / (float)T;
                if (err > worst) {
                    worst = err;
                    snprintf(r->anchor_worst, sizeof r->anchor_worst, "%s L%d %s", as_emotion_name(e), level,
                             as_channel_name(k));
                }
            }
        /* repeated runs: the variance of every value over the runs (a
         * deterministic network gives exactly 0) */
        if (repeats > 1 && i % 9 == 0) {
            memcpy(first, out, sizeof first);
            double *s1 = as_calloc((size_t)T * AS_NUM_CHANNELS * 2, sizeof(double));
            if (!s1) return as_fail(AS_ERR_NOMEM, "out of memory");
            double *s2 = s1 + (size_t)T * AS_NUM_CHANNELS;
            for (int rep = 0; rep < repeats; rep++) {
                if ((res = as_student_run(m, out, sil, n_feat, cond, T)) != AS_OK) {
                    as_free(s1);
                    return res;
                }
                for (int k = 0; k < T * AS_NUM_CHANNELS; k++) s1[k] += out[k], s2[k] += (double)out[k] * out[k];
            }
            for (int k = 0; k < T * AS_NUM_CHANNELS; k++) {
                double mu = s1[k] / repeats, v = s2[k] / repeats - mu * mu;
                if (v > var) var = v;
            }
            as_free(s1);
        }
    }
    r->anchor_max_error = worst;
    r->repeat_variance = var;
    /* class centroids of the outputs: the mean of L1, L3, L5 (neutral: its one) */
    float cen[AS_NUM_EMOTIONS][AS_NUM_CHANNELS];
    memset(cen, 0, sizeof cen);
    int cnt[AS_NUM_EMOTIONS] = {0};
    for (int i = 0; i < AS_NUM_PRESETS; i++) {
        as_emotion e;
        int level;
        as_preset_slot(i, &e, &level);
        for (int k = 0; k < AS_NUM_CHANNELS; k++) cen[e][k] += mean_face[i][k];
        cnt[e]++;
    }
    for (int e = 0; e < AS_NUM_EMOTIONS; e++)
        for (int k = 0; k < AS_NUM_CHANNELS; k++) cen[e][k] /= (float)(cnt[e] ? cnt[e] : 1);
    double across = 1e9, within = 1e9;
    for (int a = 1; a < AS_NUM_EMOTIONS; a++)
        for (int b = a + 1; b < AS_NUM_EMOTIONS; b++) {
            double d = as_cosine_distance_expression(cen[a], cen[b]);
            if (as_emotion_family((as_emotion)a) == as_emotion_family((as_emotion)b)) {
                if (d < within) within = d;
            } else if (d < across)
                across = d;
        }
    r->distinct_across = across;
    r->distinct_within = within;
    return AS_OK;
}

as_result as_student_eval(const as_student *m, const char *data_dir, as_split split, size_t max_clips, int repeats,
                          as_student_eval_report *out)
{
    if (!data_dir || !out) return as_fail(AS_ERR_INVALID_ARG, "as_student_eval: NULL argument");
    memset(out, 0, sizeof *out);
    if (!m && !(m = as_student_default())) return AS_ERR_PARSE;
    double t0 = as_now_s();
    st_split sp;
    as_result r = st_split_load(data_dir, split, max_clips, &sp);
    if (r != AS_OK) return r;
    r = st_eval_clips(m, sp.clips, sp.n_clips, out);
    st_split_clear(&sp);
    if (r == AS_OK) r = st_eval_anchors(m, repeats, out);
    out->seconds = as_now_s() - t0;
    return r;
}
