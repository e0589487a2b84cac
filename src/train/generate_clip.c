/* train/generate_clip.c — one clip of the dataset, from its seed to its
 * arrays: the say pipeline without the motion layer, with random draws.
 *
 *   draw: class -> corpus turn -> run of 1..3 turns of its speaker -> voice
 *         family of the split -> voice, rate, pitch, volume -> style -> augmentation
 *   tagged text -> tag parser -> TTS (clean speech, phoneme and word times)
 *     clean phonemes + clean samples -> lip-sync teacher (30 fps)
 *     labels -> segments at their words -> timeline (30 fps, crossfades, gain)
 *       -> compiler + per-channel style -> merge with the teacher = targets
 *     clean samples -> augmentation -> features (100 Hz)
 *
 * Targets are the merged face without the motion layer: blinks, saccades and
 * emotion patterns are random, not predictable from audio, and the runtime
 * adds them after the student (docs/DATASET.md). */
#include <math.h>
#include <string.h>

#include "animasync/dataset.h"
#include "animasync/features.h"
#include "animasync/lipsync.h"
#include "animasync/motion.h"
#include "animasync/timeline.h"
#include "animasync/tts.h"
#include "core/internal.h"
#include "train/dataset_util.h"
#include "train/generate_internal.h"

/* ---- voice families ------------------------------------------------------
 * espeak-ng variants are timbres (pitch, formant scaling, breathiness, the
 * Klatt source): each is a family, spoken with any English accent or Korean.
 * Every flite voice is a family of its own (English only). Validation and
 * test each hold out one male and one female espeak-ng variant and one
 * flite voice. (Training on awb as well was tried: docs/MODEL.md "By
 * voice".) */
static const as_voice_family families[] = {
    {"espeak-m1", AS_TTS_ESPEAK, "m1", AS_SPLIT_TRAIN, 1},
    {"espeak-m2", AS_TTS_ESPEAK, "m2", AS_SPLIT_TRAIN, 1},
    {"espeak-m4", AS_TTS_ESPEAK, "m4", AS_SPLIT_TRAIN, 1},
    {"espeak-m5", AS_TTS_ESPEAK, "m5", AS_SPLIT_TRAIN, 1},
    {"espeak-f1", AS_TTS_ESPEAK, "f1", AS_SPLIT_TRAIN, 1},
    {"espeak-f2", AS_TTS_ESPEAK, "f2", AS_SPLIT_TRAIN, 1},
    {"espeak-f3", AS_TTS_ESPEAK, "f3", AS_SPLIT_TRAIN, 1},
    {"espeak-klatt", AS_TTS_ESPEAK, "klatt", AS_SPLIT_TRAIN, 1},
    {"espeak-m3", AS_TTS_ESPEAK, "m3", AS_SPLIT_VALIDATION, 1},
    {"espeak-f5", AS_TTS_ESPEAK, "f5", AS_SPLIT_VALIDATION, 1},
    {"espeak-m6", AS_TTS_ESPEAK, "m6", AS_SPLIT_TEST, 1},
    {"espeak-f4", AS_TTS_ESPEAK, "f4", AS_SPLIT_TEST, 1},
    {"flite-kal", AS_TTS_FLITE, "kal", AS_SPLIT_TRAIN, 0},
    {"flite-slt", AS_TTS_FLITE, "slt", AS_SPLIT_TRAIN, 0},
    {"flite-kal16", AS_TTS_FLITE, "kal16", AS_SPLIT_TRAIN, 0},
    {"flite-awb", AS_TTS_FLITE, "awb", AS_SPLIT_VALIDATION, 0},
    {"flite-rms", AS_TTS_FLITE, "rms", AS_SPLIT_TEST, 0},
};

const as_voice_family *as_voice_families(size_t *n)
{
    if (n) *n = sizeof families / sizeof families[0];
    return families;
}

const char *const as_gen_english_accents[] = {"en-us",      "en-gb",  "en-gb-scotland", "en-gb-x-rp",
                                              "en-029",     "en-us-nyc", "en-gb-x-gbclan", "en-gb-x-gbcwmd"};
const size_t as_gen_num_english_accents = sizeof as_gen_english_accents / sizeof as_gen_english_accents[0];

as_style_params as_style_default_params(void)
{
    as_style_params s;
    s.gain_min = 0.6f;
    s.gain_max = 1.4f;
    s.gain_beta = 3;
    s.channel_spread = 0.2f;
    s.channel_beta = 5;
    s.asym_spread = 0.05f;
    return s;
}

/* ---- context ------------------------------------------------------------------ */

as_result as_gen_ctx_init(as_gen_ctx *ctx, const as_generate_params *p, const as_corpus *corpus)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->p = p;
    ctx->corpus = corpus;
    ctx->compiler = as_compiler_create(NULL, NULL);
    if (!ctx->compiler) return as_fail(AS_ERR_NOMEM, "generate: cannot create the expression compiler");
    as_compiler_neutral(ctx->compiler, ctx->neutral);
    size_t nt = as_corpus_turn_count(corpus);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < nt; i++) {
            const as_corpus_turn *t = as_corpus_turn_at(corpus, i);
            as_split s = as_corpus_scenario_at(corpus, t->scenario)->split;
            for (int sp = 0; sp < AS_NUM_SPLITS; sp++) {
                if (s != AS_SPLIT_NONE && (int)s != sp) continue;
                size_t *n = &ctx->n_turns[sp][t->emotion];
                if (pass == 1) ctx->turns[sp][t->emotion][*n] = i;
                (*n)++;
            }
        }
        if (pass == 1) break;
        for (int sp = 0; sp < AS_NUM_SPLITS; sp++)
            for (int e = 0; e < AS_NUM_EMOTIONS; e++) {
                ctx->turns[sp][e] = as_malloc((ctx->n_turns[sp][e] + 1) * sizeof(size_t));
                if (!ctx->turns[sp][e]) {
                    as_gen_ctx_free(ctx);
                    return as_fail(AS_ERR_NOMEM, "generate: out of memory");
                }
                ctx->n_turns[sp][e] = 0;
            }
    }
    return AS_OK;
}

void as_gen_ctx_free(as_gen_ctx *ctx)
{
    for (int sp = 0; sp < AS_NUM_SPLITS; sp++)
        for (int e = 0; e < AS_NUM_EMOTIONS; e++) as_free(ctx->turns[sp][e]);
    as_compiler_destroy(ctx->compiler);
    memset(ctx, 0, sizeof *ctx);
}

uint64_t as_gen_clip_seed(uint64_t seed, as_split split, size_t split_index)
{
    /* 53 bits, so the number survives a JSON reader that uses doubles. */
    return as_ds_mix(as_ds_mix(seed, (uint64_t)split + 1), split_index) & ((1ull << 53) - 1);
}

void as_gen_clip_free(as_gen_clip *c)
{
    as_free(c->features);
    as_free(c->cond);
    as_free(c->targets);
    as_free(c->teacher);
    as_free(c->visemes);
    as_free(c->manifest);
    memset(c, 0, sizeof *c);
}

/* ---- one attempt ---------------------------------------------------------------- */

/* What the draws decided. */
typedef struct {
    size_t turn[AS_DATASET_MAX_TURNS]; /* corpus turn indices */
    int n_turns;
    const as_corpus_scenario *scenario;
    int family;
    char voice[64];
    float rate, pitch, volume;
    float speed;                       /* speed perturbation (1 = none) */
    float gain;                        /* expressiveness gain */
    float factor[AS_NUM_CHANNELS];     /* per-channel factor on the deviation from neutral */
    as_augment_choice augment;
} recipe;

/* Appends text with '[' doubled, so the tag parser reads it literally. */
static void put_escaped(as_ds_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '[') as_ds_buf_lit(b, "[[");
        else as_ds_buf_put(b, s, 1);
    }
}

/* A number for a tag: plain decimal, at most 4 places, trailing zeros cut. */
static void put_tag_number(as_ds_buf *b, float x)
{
    char t[32];
    snprintf(t, sizeof t, "%.4f", (double)x);
    size_t n = strlen(t);
    while (n > 1 && t[n - 1] == '0') n--;
    if (n > 1 && t[n - 1] == '.') n--;
    as_ds_buf_put(b, t, n);
}

static as_result draw_recipe(const as_gen_ctx *ctx, const as_gen_clip_spec *spec, as_ds_rng *g, recipe *rc)
{
    const as_generate_params *p = ctx->p;
    const as_corpus *corpus = ctx->corpus;
    memset(rc, 0, sizeof *rc);
    /* Class first, uniformly over the classes the split has: the corpus has
     * 4x more neutral turns than fluster turns, the data should not. */
    int classes[AS_NUM_EMOTIONS], n_classes = 0;
    for (int e = 0; e < AS_NUM_EMOTIONS; e++)
        if (ctx->n_turns[spec->split][e]) classes[n_classes++] = e;
    if (!n_classes)
        return as_fail(AS_ERR_INVALID_ARG, "generate: the corpus has no %s turns", as_split_name(spec->split));
    int cls = classes[as_ds_rng_index(g, (size_t)n_classes)];
    size_t anchor = ctx->turns[spec->split][cls][as_ds_rng_index(g, ctx->n_turns[spec->split][cls])];
    const as_corpus_turn *at = as_corpus_turn_at(corpus, anchor);
    rc->scenario = as_corpus_scenario_at(corpus, at->scenario);

    /* The anchor's speaker's turns in the scenario, in order. */
    size_t same[64], m = 0, pos = 0;
    for (size_t i = 0; i < rc->scenario->n_turns && m < 64; i++) {
        size_t ti = rc->scenario->first_turn + i;
        if (as_corpus_turn_at(corpus, ti)->speaker != at->speaker) continue;
        if (ti == anchor) pos = m;
        same[m++] = ti;
    }
    if (m == 0 || same[pos] != anchor) { same[0] = anchor; m = 1; pos = 0; }
    /* Run length 1, 2 or 3 with probabilities 0.4, 0.35, 0.25, then a start
     * that keeps the anchor inside the run. */
    double u = as_ds_rng_uniform(g);
    size_t L = u < 0.4 ? 1 : u < 0.75 ? 2 : 3;
    if (L > (size_t)p->max_turns) L = (size_t)p->max_turns;
    if (L > m) L = m;
    size_t lo = pos + 1 >= L ? pos + 1 - L : 0, hi = pos < m - L ? pos : m - L;
    size_t start = lo + as_ds_rng_index(g, hi - lo + 1);
    /* Shorten to the text budget, keeping the anchor. */
    for (;;) {
        size_t bytes = 0;
        for (size_t k = 0; k < L; k++) bytes += strlen(as_corpus_turn_at(corpus, same[start + k])->text) + 1;
        if (L == 1 || bytes <= p->max_text_bytes) break;
        if (start + L - 1 > pos) L--;
        else { start++; L--; }
    }
    rc->n_turns = (int)L;
    for (size_t k = 0; k < L; k++) rc->turn[k] = same[start + k];

    /* A family of the split that speaks the language, uniformly. */
    size_t nf;
    const as_voice_family *fam = as_voice_families(&nf);
    int ok_fam[AS_DATASET_MAX_FAMILIES], n_ok = 0;
    for (size_t f = 0; f < nf; f++)
        if (fam[f].split == spec->split && (rc->scenario->lang == AS_LANG_EN || fam[f].korean)) ok_fam[n_ok++] = (int)f;
    size_t accent = as_ds_rng_index(g, as_gen_num_english_accents);
    if (!n_ok)
        return as_fail(AS_ERR_INVALID_ARG, "generate: no %s voice family speaks %s", as_split_name(spec->split),
                       as_lang_name(rc->scenario->lang));
    rc->family = ok_fam[as_ds_rng_index(g, (size_t)n_ok)];
    const as_voice_family *vf = &fam[rc->family];
    if (vf->engine == AS_TTS_FLITE)
        snprintf(rc->voice, sizeof rc->voice, "%s", vf->voice);
    else
        snprintf(rc->voice, sizeof rc->voice, "%s+%s",
                 rc->scenario->lang == AS_LANG_KO ? "ko" : as_gen_english_accents[accent], vf->voice);
    rc->rate = (float)as_ds_rng_range(g, p->rate_min, p->rate_max);
    rc->pitch = (float)as_ds_rng_range(g, p->pitch_min, p->pitch_max);
    rc->volume = (float)as_ds_rng_range(g, p->volume_min, p->volume_max);

    /* Style: a gain on expression strength and a factor per channel on its
     * deviation from neutral; a left/right pair shares its factor up to a
     * small asymmetry. */
    const as_style_params *st = &p->style;
    rc->gain = (float)(st->gain_min + (st->gain_max - st->gain_min) * as_ds_rng_beta(g, st->gain_beta, st->gain_beta));
    float pair[AS_NUM_CHANNELS];
    for (int ch = 0; ch < AS_NUM_CHANNELS; ch++)
        pair[ch] = (float)(st->channel_spread * (2.0 * as_ds_rng_beta(g, st->channel_beta, st->channel_beta) - 1.0));
    for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) {
        int mirror = as_channel_mirror(ch);
        int base = mirror >= 0 && mirror < ch ? mirror : ch; /* the pair's first channel draws */
        float asym = (float)(st->asym_spread * (2.0 * as_ds_rng_beta(g, st->channel_beta, st->channel_beta) - 1.0));
        rc->factor[ch] = as_channel_class_of(ch) == AS_CHANNEL_LIPSYNC ? 1.0f : (1.0f + pair[base]) * (1.0f + asym);
    }
    as_result r = as_augment_draw(&p->augment, as_ds_rng_next(g), &rc->augment);
    /* Drawn last and only when on, so every other draw of a clip is the same
     * with it on or off. Training clips only: held-out voices stay as they are. */
    rc->speed = 1.0f;
    if (r == AS_OK && spec->split == AS_SPLIT_TRAIN && (p->speed_min != 1.0f || p->speed_max != 1.0f))
        rc->speed = (float)as_ds_rng_range(g, p->speed_min, p->speed_max);
    return r;
}

/* Speed perturbation: the samples are kept and declared at rate_hz x speed
 * (rounded to a whole rate), so the sound plays speed times faster, with its
 * spectrum (formants, pitch) scaled by the same factor; every phoneme and
 * word time is scaled by the exact ratio of the two rates. */
static void speed_perturb(as_speech *sp, float speed)
{
    long rate = lround((double)sp->rate_hz * speed); /* speed is 0.7..1.4 (generate.c checks it) */
    double k = (double)sp->rate_hz / (double)rate;
    for (size_t i = 0; i < sp->n_phonemes; i++) {
        sp->phonemes[i].start_s *= k;
        sp->phonemes[i].end_s *= k;
    }
    for (size_t i = 0; i < sp->n_words; i++) {
        sp->words[i].start_s *= k;
        sp->words[i].end_s *= k;
    }
    sp->rate_hz = (int)rate;
}

static void manifest_line(as_ds_buf *b, const as_gen_ctx *ctx, const as_gen_clip_spec *spec, uint64_t seed,
                          int attempt, const recipe *rc, const char *tagged, const as_speech *sp,
                          const double *start_s, const as_gen_clip *c)
{
    const as_voice_family *fam = as_voice_families(NULL);
    const as_corpus_turn *t0 = as_corpus_turn_at(ctx->corpus, rc->turn[0]);
    double dur = as_speech_duration(sp);
    as_ds_buf_printf(b, "{\"index\": %zu, \"id\": \"clip-%08zu\", \"shard\": ", spec->index, spec->index);
    as_ds_buf_json_str(b, spec->shard);
    as_ds_buf_printf(b, ", \"row\": %zu, \"split\": \"%s\", \"seed\": %llu, \"attempt\": %d, \"scenario\": ", spec->row,
                     as_split_name(spec->split), (unsigned long long)seed, attempt);
    as_ds_buf_json_str(b, rc->scenario->id);
    as_ds_buf_printf(b, ", \"lang\": \"%s\", \"speaker\": \"%s\", \"turns\": [", as_lang_name(rc->scenario->lang),
                     as_speaker_name(t0->speaker));
    for (int k = 0; k < rc->n_turns; k++)
        as_ds_buf_printf(b, "%s%zu", k ? ", " : "", as_corpus_turn_at(ctx->corpus, rc->turn[k])->index);
    as_ds_buf_lit(b, "], \"text\": ");
    as_ds_buf_json_str(b, tagged);
    as_ds_buf_lit(b, ", \"voice\": ");
    as_ds_buf_json_str(b, rc->voice);
    as_ds_buf_printf(b, ", \"engine\": \"%s\", \"family\": \"%s\", \"rate\": ", as_tts_engine_name(fam[rc->family].engine),
                     fam[rc->family].name);
    as_ds_buf_float(b, rc->rate);
    as_ds_buf_lit(b, ", \"pitch\": ");
    as_ds_buf_float(b, rc->pitch);
    as_ds_buf_lit(b, ", \"volume\": ");
    as_ds_buf_float(b, rc->volume);
    if (rc->speed != 1.0f) {
        as_ds_buf_lit(b, ", \"speed\": ");
        as_ds_buf_float(b, rc->speed);
    }
    as_ds_buf_lit(b, ", \"style_gain\": ");
    as_ds_buf_float(b, rc->gain);
    const as_augment_choice *a = &rc->augment;
    as_ds_buf_lit(b, ", \"augment\": {\"reverb\": ");
    if (a->reverb) {
        as_ds_buf_lit(b, "{\"rt60_s\": ");
        as_ds_buf_float(b, a->rt60_s);
        as_ds_buf_lit(b, ", \"drr_db\": ");
        as_ds_buf_float(b, a->drr_db);
        as_ds_buf_lit(b, "}");
    } else {
        as_ds_buf_lit(b, "null");
    }
    as_ds_buf_lit(b, ", \"noise\": ");
    if (a->noise) {
        as_ds_buf_printf(b, "{\"kind\": \"%s\", \"snr_db\": ", as_noise_kind_name(a->noise_kind));
        as_ds_buf_float(b, a->snr_db);
        if (a->noise_kind == AS_NOISE_HUM) as_ds_buf_printf(b, ", \"hum_hz\": %d", (int)a->hum_hz);
        as_ds_buf_lit(b, "}");
    } else {
        as_ds_buf_lit(b, "null");
    }
    as_ds_buf_lit(b, ", \"highpass_hz\": ");
    as_ds_buf_float(b, a->highpass_hz);
    as_ds_buf_lit(b, ", \"lowpass_hz\": ");
    as_ds_buf_float(b, a->lowpass_hz < 0.45f * (float)sp->rate_hz ? a->lowpass_hz : 0.0f);
    as_ds_buf_lit(b, ", \"gain_db\": ");
    as_ds_buf_float(b, a->gain_db);
    as_ds_buf_printf(b, "}, \"rate_hz\": %d, \"samples\": %zu, \"duration_s\": ", sp->rate_hz, sp->n_samples);
    as_ds_buf_float(b, (float)dur);
    as_ds_buf_printf(b, ", \"feature_frames\": %zu, \"anim_frames\": %zu, \"labels\": [", c->n_feat, c->n_anim);
    for (int k = 0; k < rc->n_turns; k++) {
        const as_corpus_turn *t = as_corpus_turn_at(ctx->corpus, rc->turn[k]);
        as_ds_buf_printf(b, "%s{\"turn\": %zu, \"emotion\": \"%s\", \"level\": %d, \"vad\": [", k ? ", " : "", t->index,
                         as_emotion_name(t->emotion), t->level);
        as_ds_buf_float(b, t->vad.v);
        as_ds_buf_lit(b, ", ");
        as_ds_buf_float(b, t->vad.a);
        as_ds_buf_lit(b, ", ");
        as_ds_buf_float(b, t->vad.d);
        as_ds_buf_printf(b, "], \"vad_override\": %s, \"start_s\": ", t->has_vad ? "true" : "false");
        as_ds_buf_float(b, k == 0 ? 0.0f : (float)start_s[k]);
        as_ds_buf_lit(b, ", \"end_s\": ");
        double end = k + 1 < rc->n_turns ? start_s[k + 1] : dur;
        as_ds_buf_float(b, (float)end);
        as_ds_buf_lit(b, "}");
    }
    as_ds_buf_lit(b, "]}\n");
}

static as_result make_attempt(const as_gen_ctx *ctx, const as_gen_clip_spec *spec, int attempt, as_gen_clip *c)
{
    const as_generate_params *p = ctx->p;
    uint64_t seed = attempt ? as_ds_mix(spec->seed, (uint64_t)attempt) & ((1ull << 53) - 1) : spec->seed;
    as_ds_rng g;
    as_ds_rng_seed(&g, seed);
    recipe rc;
    as_result r = draw_recipe(ctx, spec, &g, &rc);
    if (r != AS_OK) return r;

    as_ds_buf tagged = {0};
    as_tagged_text tt;
    memset(&tt, 0, sizeof tt);
    as_speech *sp = NULL;
    as_segment *segs = NULL;
    as_timeline tl;
    memset(&tl, 0, sizeof tl);
    double *start_s = NULL, *word_times = NULL;
    size_t *word_offsets = NULL;
    float *aug = NULL, *expr = NULL;
    as_ds_buf line = {0};

    /* "[class:NN] text [class2:MM][vad:v,a,d] text2": level L is tag number
     * 25 (L - 1), as_cond_from_name's continuous level 1 + 4 x intensity. */
    for (int k = 0; k < rc.n_turns; k++) {
        const as_corpus_turn *t = as_corpus_turn_at(ctx->corpus, rc.turn[k]);
        if (k) as_ds_buf_lit(&tagged, " ");
        if (t->emotion == AS_EMO_NEUTRAL) as_ds_buf_lit(&tagged, "[neutral]");
        else as_ds_buf_printf(&tagged, "[%s:%d]", as_emotion_name(t->emotion), 25 * (t->level - 1));
        if (t->has_vad) {
            as_ds_buf_lit(&tagged, "[vad:");
            put_tag_number(&tagged, t->vad.v);
            as_ds_buf_lit(&tagged, ",");
            put_tag_number(&tagged, t->vad.a);
            as_ds_buf_lit(&tagged, ",");
            put_tag_number(&tagged, t->vad.d);
            as_ds_buf_lit(&tagged, "]");
        }
        as_ds_buf_lit(&tagged, " ");
        put_escaped(&tagged, t->text);
    }
    if (tagged.oom) { r = as_fail(AS_ERR_NOMEM, "generate: out of memory"); goto done; }
    r = as_tags_parse(tagged.buf, AS_TEXT_NUL_TERMINATED, NULL, &tt);
    if (r != AS_OK) goto done;
    if (tt.num_segments != (size_t)rc.n_turns) {
        r = as_fail(AS_ERR_PARSE, "generate: clip %zu: %zu segments from %d turns in \"%s\"", spec->index,
                    tt.num_segments, rc.n_turns, tagged.buf);
        goto done;
    }

    as_tts_params tp = as_tts_default_params();
    tp.engine = as_voice_families(NULL)[rc.family].engine;
    tp.voice = rc.voice;
    tp.rate = rc.rate;
    tp.pitch = rc.pitch;
    tp.volume = rc.volume;
    r = as_tts_synthesize(&tp, tt.text, &sp);
    if (r != AS_OK) goto done;
    if (rc.speed != 1.0f) speed_perturb(sp, rc.speed);

    /* Segment k starts when its first word is spoken (as in as_say). */
    const double dur = as_speech_duration(sp);
    const size_t T = as_timeline_frame_count(dur, 30.0f);
    start_s = as_calloc(tt.num_segments, sizeof *start_s);
    word_offsets = as_calloc(sp->n_words + 1, sizeof *word_offsets);
    word_times = as_calloc(sp->n_words + 1, sizeof *word_times);
    segs = as_malloc(tt.num_segments * sizeof *segs);
    c->cond = as_malloc((T ? T : 1) * AS_COND_DIM * sizeof(float));
    c->targets = as_malloc((T ? T : 1) * AS_NUM_CHANNELS * sizeof(float));
    c->teacher = as_malloc((T ? T : 1) * AS_NUM_CHANNELS * sizeof(float));
    c->visemes = as_malloc(T ? T : 1);
    aug = as_malloc((sp->n_samples ? sp->n_samples : 1) * sizeof(float));
    expr = as_malloc(AS_NUM_CHANNELS * sizeof(float));
    if (!start_s || !word_offsets || !word_times || !segs || !c->cond || !c->targets || !c->teacher || !c->visemes ||
        !aug || !expr) {
        r = as_fail(AS_ERR_NOMEM, "generate: out of memory");
        goto done;
    }
    for (size_t w = 0; w < sp->n_words; w++) {
        word_offsets[w] = sp->words[w].text_offset;
        word_times[w] = sp->words[w].start_s;
    }
    r = as_segments_align(tt.segments, tt.num_segments, word_offsets, word_times, sp->n_words, dur, start_s);
    if (r != AS_OK) goto done;

    /* The labels are the corpus's: class one-hot at the turn's VAD point
     * (the tag text reproduces them to 4 decimals). */
    for (size_t k = 0; k < tt.num_segments; k++) {
        const as_corpus_turn *t = as_corpus_turn_at(ctx->corpus, rc.turn[k]);
        segs[k] = tt.segments[k];
        segs[k].emotion = t->emotion;
        segs[k].cond = as_cond_make(t->emotion, t->vad);
        segs[k].strength = 1.0f;
    }
    as_timeline_params tlp = as_timeline_default_params();
    tlp.fps = 30.0f;
    tlp.strength = rc.gain;
    r = as_timeline_build(&tl, segs, start_s, tt.num_segments, T, &tlp);
    if (r != AS_OK) goto done;

    /* The teacher from the clean synthesis: its phoneme times and loudness. */
    as_lipsync_params lp = as_lipsync_default_params();
    lp.fps = 30.0f;
    r = as_lipsync_from_phonemes(&lp, sp->phonemes, sp->n_phonemes, sp->samples, sp->n_samples, sp->rate_hz, T,
                                 c->teacher);
    if (r != AS_OK) goto done;

    for (size_t i = 0; i < T; i++) {
        r = as_compile(ctx->compiler, expr, &tl.cond[i], tl.strength[i]);
        if (r != AS_OK) goto done;
        for (int ch = 0; ch < AS_NUM_CHANNELS; ch++)
            expr[ch] = as_clamp01(ctx->neutral[ch] + rc.factor[ch] * (expr[ch] - ctx->neutral[ch]));
        as_resolve_antagonists(expr);
        float *target = c->targets + i * AS_NUM_CHANNELS;
        as_merge_frame(target, c->teacher + i * AS_NUM_CHANNELS, expr, ctx->neutral, &tl.cond[i]);
        /* The merge can pair the teacher's spread lips (mouthSmile 0.3 on
         * /i/) with a sad face's frown above 0.3: an antagonist violation of
         * the contract. Resolving it moves only SHARED channels, by the
         * common excess (a few hundredths), never a LIPSYNC one. */
        as_resolve_antagonists(target);
        memcpy(c->cond + i * AS_COND_DIM, as_cond_vec(&tl.cond[i]), AS_COND_DIM * sizeof(float));
    }

    /* Viseme of the phoneme sounding at each frame's time i / 30. */
    size_t j = 0;
    for (size_t i = 0; i < T; i++) {
        double t = (double)i / 30.0;
        while (j < sp->n_phonemes && sp->phonemes[j].end_s <= t) j++;
        int v = 0;
        if (j < sp->n_phonemes && sp->phonemes[j].start_s <= t) {
            v = as_viseme_of_ipa(sp->phonemes[j].ipa);
            if (v < 0) v = 255;
        }
        c->visemes[i] = (uint8_t)v;
    }

    /* The input: features of the augmented speech. */
    memcpy(aug, sp->samples, sp->n_samples * sizeof(float));
    r = as_augment_apply(&rc.augment, aug, sp->n_samples, sp->rate_hz);
    if (r != AS_OK) goto done;
    r = as_features_compute(&c->features, &c->n_feat, aug, sp->n_samples, sp->rate_hz, NULL);
    if (r != AS_OK) goto done;

    c->n_anim = T;
    for (int k = 0; k < 2 * AS_DATASET_MAX_TURNS; k++) c->labels[k] = -1;
    for (int k = 0; k < rc.n_turns; k++) {
        const as_corpus_turn *t = as_corpus_turn_at(ctx->corpus, rc.turn[k]);
        c->labels[2 * k] = (int8_t)t->emotion;
        c->labels[2 * k + 1] = (int8_t)t->level;
    }
    c->family = rc.family;
    c->lang = rc.scenario->lang;
    c->audio_s = dur;
    manifest_line(&line, ctx, spec, seed, attempt, &rc, tagged.buf, sp, start_s, c);
    if (line.oom) { r = as_fail(AS_ERR_NOMEM, "generate: out of memory"); goto done; }
    c->manifest = line.buf;
    line.buf = NULL;
    (void)p;
done:
    as_ds_buf_free(&tagged);
    as_ds_buf_free(&line);
    as_tagged_text_clear(&tt);
    as_speech_destroy(sp);
    as_timeline_clear(&tl);
    as_free(segs);
    as_free(start_s);
    as_free(word_offsets);
    as_free(word_times);
    as_free(aug);
    as_free(expr);
    return r;
}

as_result as_gen_make_clip(const as_gen_ctx *ctx, const as_gen_clip_spec *spec, as_gen_clip *out)
{
    memset(out, 0, sizeof *out);
    as_result r = AS_OK;
    char first_error[512] = "";
    for (int attempt = 0; attempt < 5; attempt++) {
        r = make_attempt(ctx, spec, attempt, out);
        if (r == AS_OK) {
            out->attempts = attempt + 1;
            return AS_OK;
        }
        if (!first_error[0]) snprintf(first_error, sizeof first_error, "%s", as_last_error());
        as_log(AS_LOG_WARN, "generate: clip %zu, attempt %d: %s (redrawn)", spec->index, attempt + 1, as_last_error());
        as_gen_clip_free(out);
        /* Only a failed synthesis is worth a redraw; anything else would fail again. */
        if (r != AS_ERR_BACKEND && r != AS_ERR_INVALID_ARG && r != AS_ERR_UNKNOWN) break;
        if (r == AS_ERR_INVALID_ARG && strstr(first_error, "generate:")) break;
    }
    return as_fail(r, "clip %zu (%s, seed %llu): %s", spec->index, spec->shard, (unsigned long long)spec->seed,
                   first_error);
}
