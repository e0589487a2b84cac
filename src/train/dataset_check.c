/* train/dataset_check.c — the quality contract (ARCHITECTURE.md) run over a
 * generated dataset, shard by shard, plus the histograms `animasync
 * check-dataset` prints. It measures the stored targets against what the
 * contract promises of any animation (validity, smoothness of the slow
 * channels, lip-sync preservation, distinctiveness of classes) and checks
 * what the generator promises of the data (values in range, held-out voices
 * absent from training, manifest consistent with the shards). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "animasync/dataset.h"
#include "animasync/features.h"
#include "animasync/lipsync.h"
#include "animasync/metrics.h"
#include "core/internal.h"
#include "train/dataset_util.h"


/* Running state over all shards. */
typedef struct {
    size_t unreadable;
    char unreadable_detail[200];
    size_t invalid;
    char invalid_detail[200];
    size_t violations;
    char violation_detail[200];
    double worst_smooth;
    char smooth_detail[200];
    double lip_same, lip_total;  /* preserved LIPSYNC values, all LIPSYNC values */
    double worst_lip;
    size_t worst_lip_clip;
    double centroid[AS_NUM_EMOTIONS][AS_NUM_CHANNELS];
    size_t centroid_frames[AS_NUM_EMOTIONS];
    size_t voice_bad;
    char voice_detail[200];
    size_t manifest_bad;
    char manifest_detail[200];
} check_state;

static int bad_float(float x, float lo, float hi) { return !(x >= lo && x <= hi); } /* NaN fails too */

static void check_clip(check_state *st, as_dataset_report *rep, const as_dataset_clip *c, const char *shard)
{
    size_t nf;
    const as_voice_family *fam = as_voice_families(&nf);
    size_t bad = 0;
    for (size_t i = 0; i < c->n_feat * AS_FEAT_DIM; i++) bad += !isfinite(c->features[i]);
    for (size_t i = 0; i < c->n_anim; i++) {
        const float *cd = c->cond + i * AS_COND_DIM;
        double sum = 0.0;
        for (int k = 0; k < AS_NUM_EMOTIONS; k++) {
            bad += bad_float(cd[k], -1e-6f, 1.000001f);
            sum += cd[k];
        }
        bad += !(fabs(sum - 1.0) <= 1e-3);
        for (int k = AS_NUM_EMOTIONS; k < AS_COND_DIM; k++) bad += bad_float(cd[k], 0.0f, 1.0f);
        for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) {
            bad += bad_float(c->targets[i * AS_NUM_CHANNELS + ch], 0.0f, 1.0f);
            bad += bad_float(c->teacher[i * AS_NUM_CHANNELS + ch], 0.0f, 1.0f);
        }
        bad += c->visemes[i] >= AS_NUM_VISEMES && c->visemes[i] != 255;
    }
    if (bad && !st->invalid)
        snprintf(st->invalid_detail, sizeof st->invalid_detail, "first in clip %zu (%s)", c->index, shard);
    st->invalid += bad;

    size_t v = as_track_violations(c->targets, c->n_anim);
    if (v && !st->violations)
        snprintf(st->violation_detail, sizeof st->violation_detail, "first in clip %zu (%s)", c->index, shard);
    st->violations += v;

    int worst_ch;
    double sm = as_track_smoothness(c->targets, c->n_anim, &worst_ch);
    if (sm > st->worst_smooth) {
        st->worst_smooth = sm;
        snprintf(st->smooth_detail, sizeof st->smooth_detail, "worst: clip %zu (%s), %s", c->index, shard,
                 worst_ch >= 0 ? as_channel_name(worst_ch) : "-");
    }

    double lp = as_track_lipsync_preservation(c->targets, c->teacher, c->n_anim);
    st->lip_same += lp * (double)c->n_anim;
    st->lip_total += (double)c->n_anim;
    if (lp < st->worst_lip) {
        st->worst_lip = lp;
        st->worst_lip_clip = c->index;
    }

    /* Class centroids over steady frames (one class holds >= 0.99 of the mix). */
    for (size_t i = 0; i < c->n_anim; i++) {
        const float *cd = c->cond + i * AS_COND_DIM;
        int best = 0;
        for (int k = 1; k < AS_NUM_EMOTIONS; k++)
            if (cd[k] > cd[best]) best = k;
        rep->class_frames[best]++;
        if (cd[best] < 0.99f) continue;
        st->centroid_frames[best]++;
        for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) st->centroid[best][ch] += c->targets[i * AS_NUM_CHANNELS + ch];
    }

    /* Voices: a clip's family must belong to the clip's split. */
    if (c->family >= 0 && (size_t)c->family < nf) {
        as_split fs = rep->family_split[c->family];
        if (fs != c->split) {
            if (!st->voice_bad)
                snprintf(st->voice_detail, sizeof st->voice_detail, "clip %zu (%s) is %s but spoken by %s (%s)",
                         c->index, shard, as_split_name(c->split), fam[c->family].name,
                         as_split_name(fs));
            st->voice_bad++;
        }
        if ((size_t)c->family < AS_DATASET_MAX_FAMILIES) rep->family_clips[c->family]++;
    }

    for (int k = 0; k < AS_DATASET_MAX_TURNS; k++) {
        int e = c->labels[2 * k], l = c->labels[2 * k + 1];
        if (e < 0) continue;
        if (e < AS_NUM_EMOTIONS) rep->class_turns[e]++;
        if (l >= 1 && l <= AS_NUM_LEVELS) rep->level_turns[l - 1]++;
    }
    size_t bin = (size_t)((double)c->n_anim / 30.0);
    rep->duration_clips[bin < AS_DATASET_DURATION_BINS ? bin : AS_DATASET_DURATION_BINS - 1]++;
    rep->split_clips[c->split]++;
    rep->clips++;
    rep->feat_frames += c->n_feat;
    rep->anim_frames += c->n_anim;
    rep->audio_s += (double)c->n_feat / AS_FEAT_FPS;
}

/* Reads the next manifest line and compares it with clip c. */
static void check_manifest_line(check_state *st, FILE *mf, const as_dataset_clip *c, const char *shard, size_t row)
{
    char *line = NULL;
    size_t cap = 0;
    const char *why = NULL;
    cJSON *j = NULL;
    if (!mf || getline(&line, &cap, mf) < 0) {
        why = "missing line";
    } else if (!(j = cJSON_Parse(line))) {
        why = "not JSON";
    } else {
        size_t nf;
        const as_voice_family *fam = as_voice_families(&nf);
        const cJSON *idx = cJSON_GetObjectItemCaseSensitive(j, "index");
        const cJSON *sh = cJSON_GetObjectItemCaseSensitive(j, "shard");
        const cJSON *rw = cJSON_GetObjectItemCaseSensitive(j, "row");
        const cJSON *sp = cJSON_GetObjectItemCaseSensitive(j, "split");
        const cJSON *fm = cJSON_GetObjectItemCaseSensitive(j, "family");
        const cJSON *af = cJSON_GetObjectItemCaseSensitive(j, "anim_frames");
        const cJSON *ff = cJSON_GetObjectItemCaseSensitive(j, "feature_frames");
        if (!cJSON_IsNumber(idx) || idx->valuedouble != (double)c->index) why = "index";
        else if (!cJSON_IsString(sh) || strcmp(sh->valuestring, shard) != 0) why = "shard";
        else if (!cJSON_IsNumber(rw) || rw->valuedouble != (double)row) why = "row";
        else if (!cJSON_IsString(sp) || as_split_find(sp->valuestring) != (int)c->split) why = "split";
        else if (!cJSON_IsString(fm) || (size_t)c->family >= nf || strcmp(fm->valuestring, fam[c->family].name) != 0)
            why = "family";
        else if (!cJSON_IsNumber(af) || af->valuedouble != (double)c->n_anim) why = "anim_frames";
        else if (!cJSON_IsNumber(ff) || ff->valuedouble != (double)c->n_feat) why = "feature_frames";
    }
    if (why) {
        if (!st->manifest_bad)
            snprintf(st->manifest_detail, sizeof st->manifest_detail, "clip %zu (%s row %zu): %s", c->index, shard, row,
                     why);
        st->manifest_bad++;
    }
    cJSON_Delete(j);
    free(line);
}

static void finish_metrics(check_state *st, as_dataset_report *rep)
{
    as_contract_report *cr = &rep->contract;
    cr->n = 0;
    cr->all_pass = 1;
    as_metric *m = as_contract_add(cr, "shards_unreadable", (double)st->unreadable, 0.0, 1);
    snprintf(m->detail, sizeof m->detail, "%s", st->unreadable ? st->unreadable_detail : "every present shard loads");
    m = as_contract_add(cr, "invalid_values", (double)st->invalid, 0.0, 1);
    snprintf(m->detail, sizeof m->detail, "%s",
             st->invalid ? st->invalid_detail
                         : "features finite; cond weights sum to 1, VAD and targets in 0..1; visemes known");
    m = as_contract_add(cr, "validity_violations", (double)st->violations, 0.0, 1);
    if (st->violations) snprintf(m->detail, sizeof m->detail, "%s", st->violation_detail);
    else snprintf(m->detail, sizeof m->detail, "antagonist pairs over %zu target frames", rep->anim_frames);
    m = as_contract_add(cr, "temporal_smoothness_worst_clip", st->worst_smooth, 0.015, 1);
    snprintf(m->detail, sizeof m->detail, "%s", st->smooth_detail[0] ? st->smooth_detail : "no clip");
    double lip = st->lip_total > 0 ? st->lip_same / st->lip_total : 1.0;
    m = as_contract_add(cr, "lipsync_preservation", lip, 0.99, 0);
    snprintf(m->detail, sizeof m->detail, "LIPSYNC channels vs the stored teacher; worst clip %zu: %.4f",
             st->worst_lip_clip, st->worst_lip);

    /* Distinctiveness of the class centroids of the targets (EXPRESSION
     * channels), neutral excluded as in the engine contract. */
    float cen[AS_NUM_EMOTIONS][AS_NUM_CHANNELS];
    for (int e = 0; e < AS_NUM_EMOTIONS; e++)
        for (int ch = 0; ch < AS_NUM_CHANNELS; ch++)
            cen[e][ch] = st->centroid_frames[e] ? (float)(st->centroid[e][ch] / (double)st->centroid_frames[e]) : 0.0f;
    double min_across = 2.0, min_within = 2.0;
    int pa[2] = {-1, -1}, pw[2] = {-1, -1}, present = 0;
    for (int i = 1; i < AS_NUM_EMOTIONS; i++) {
        if (!st->centroid_frames[i]) continue;
        present++;
        for (int j = i + 1; j < AS_NUM_EMOTIONS; j++) {
            if (!st->centroid_frames[j]) continue;
            double d = as_cosine_distance_expression(cen[i], cen[j]);
            if (as_emotion_family((as_emotion)i) == as_emotion_family((as_emotion)j)) {
                if (d < min_within) { min_within = d; pw[0] = i; pw[1] = j; }
            } else if (d < min_across) {
                min_across = d; pa[0] = i; pa[1] = j;
            }
        }
    }
    m = as_contract_add(cr, "distinctiveness_across_families_min", pa[0] < 0 ? 1.0 : min_across, 0.3, 0);
    if (pa[0] < 0) snprintf(m->detail, sizeof m->detail, "fewer than two families with steady frames (vacuous)");
    else snprintf(m->detail, sizeof m->detail, "closest: %s vs %s (%d classes with steady frames)",
                  as_emotion_name((as_emotion)pa[0]), as_emotion_name((as_emotion)pa[1]), present);
    m = as_contract_add(cr, "distinctiveness_within_family_min", pw[0] < 0 ? 1.0 : min_within, 0.1, 0);
    if (pw[0] < 0) snprintf(m->detail, sizeof m->detail, "no family with two classes with steady frames (vacuous)");
    else snprintf(m->detail, sizeof m->detail, "closest: %s vs %s", as_emotion_name((as_emotion)pw[0]),
                  as_emotion_name((as_emotion)pw[1]));

    m = as_contract_add(cr, "voice_split_violations", (double)st->voice_bad, 0.0, 1);
    snprintf(m->detail, sizeof m->detail, "%s",
             st->voice_bad ? st->voice_detail : "no validation/test voice family speaks a training clip");
    m = as_contract_add(cr, "manifest_mismatches", (double)st->manifest_bad, 0.0, 1);
    snprintf(m->detail, sizeof m->detail, "%s",
             st->manifest_bad ? st->manifest_detail : "manifest.jsonl agrees with every shard's clips.npy");
}

as_result as_dataset_check(const char *dir, as_dataset_report *out)
{
    if (!dir || !out) return as_fail(AS_ERR_INVALID_ARG, "as_dataset_check: NULL argument");
    memset(out, 0, sizeof *out);
    as_dataset *ds = as_dataset_open(dir);
    if (!ds) return AS_ERR_PARSE; /* as_last_error() names the file and field */
    size_t nf;
    const as_voice_family *fam = as_voice_families(&nf);
    out->n_families = nf < AS_DATASET_MAX_FAMILIES ? nf : AS_DATASET_MAX_FAMILIES;
    for (size_t f = 0; f < out->n_families; f++) {
        snprintf(out->family_names[f], sizeof out->family_names[f], "%s", fam[f].name);
        out->family_split[f] = as_dataset_family_split(ds, (int)f);
    }
    out->shards_planned = as_dataset_shard_count(ds);
    for (size_t s = 0; s < out->shards_planned; s++) out->shards_present += as_dataset_shard_at(ds, s)->present;
    if (!out->shards_present) {
        as_dataset_close(ds);
        return as_fail(AS_ERR_INVALID_ARG, "%s: no finished shards (run `animasync generate` first)", dir);
    }
    check_state *st = as_calloc(1, sizeof *st);
    if (!st) {
        as_dataset_close(ds);
        return as_fail(AS_ERR_NOMEM, "out of memory");
    }
    st->worst_lip = 1.0;
    char *mpath = as_ds_path(dir, "manifest.jsonl");
    FILE *mf = mpath ? fopen(mpath, "rb") : NULL;
    if (!mf) snprintf(st->manifest_detail, sizeof st->manifest_detail, "%s: cannot open", mpath ? mpath : dir);
    for (size_t s = 0; s < out->shards_planned; s++) {
        const as_dataset_shard_info *info = as_dataset_shard_at(ds, s);
        if (!info->present) continue;
        as_dataset_shard sh;
        if (as_dataset_shard_load(ds, s, &sh) != AS_OK) {
            if (!st->unreadable) snprintf(st->unreadable_detail, sizeof st->unreadable_detail, "%s", as_last_error());
            st->unreadable++;
            /* Its manifest lines cannot be matched: skip them to stay in step. */
            for (size_t k = 0; mf && k < info->n_clips; k++) {
                char *line = NULL;
                size_t cap = 0;
                ssize_t got = getline(&line, &cap, mf);
                free(line);
                if (got < 0) break;
            }
            continue;
        }
        for (size_t row = 0; row < sh.n_clips; row++) {
            as_dataset_clip c;
            as_dataset_shard_clip(&sh, row, &c);
            check_clip(st, out, &c, info->name);
            check_manifest_line(st, mf, &c, info->name, row);
        }
        as_dataset_shard_clear(&sh);
    }
    if (mf) {
        /* Lines left over belong to no present shard. */
        char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, mf) >= 0) {
            if (!st->manifest_bad) snprintf(st->manifest_detail, sizeof st->manifest_detail, "extra lines at the end");
            st->manifest_bad++;
        }
        free(line);
        fclose(mf);
    }
    finish_metrics(st, out);
    as_free(st);
    as_free(mpath);
    as_dataset_close(ds);
    return AS_OK;
}
