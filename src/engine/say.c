/* engine/say.c — the offline pipeline, stage after stage:
 *   parse tags -> synthesize -> align segments to words -> timeline
 *   -> compile expression per frame -> lip sync from phonemes
 *   -> merge per channel class -> motion passes.
 * Each stage is one call into its own module; this file only strings them. */
#include <math.h>
#include <string.h>

#include "animasync/classifier.h"
#include "animasync/engine.h"
#include "core/internal.h"

/* Text classifier hook (issue 7): when no default emotion was given
 * (tags.default_emotion == NULL) and the library has a built-in classifier,
 * the sentences before the first emotion tag get tags from it
 * (as_classify_tag_text; explicit tags always win). *owned receives the new
 * text (as_free it) or NULL when the text is used as given. */
static as_result classify_untagged(const as_say_params *p, const char **text, char **owned)
{
    *owned = NULL;
    if (p->tags.default_emotion || !as_classifier_default()) return AS_OK;
    as_result r = as_classify_tag_text_floor(NULL, *text, p->classify_floor, owned);
    if (r == AS_OK) *text = *owned;
    return r;
}

as_say_params as_say_default_params(void)
{
    as_say_params p;
    p.tts = as_tts_default_params();
    p.tags = as_tag_default_params();
    p.timeline = as_timeline_default_params();
    p.lipsync = as_lipsync_default_params();
    p.motion = as_motion_default_params();
    p.phrase_pause_s = 0.15f; /* pauses of 150 ms and more read as phrase breaks
                                 (Goldman-Eisler 1968: pauses above ~250 ms are
                                 hesitation/juncture; 150 ms catches clause breaks
                                 in synthetic speech, which pauses briefly) */
    p.classify_floor = 0.0f;
    return p;
}

void as_animation_destroy(as_animation *a)
{
    if (!a) return;
    as_free(a->frames);
    as_free(a->lipsync);
    as_free(a->expression);
    as_free(a->cond);
    as_free(a->strength);
    as_free(a->segments);
    as_free(a->text);
    as_speech_destroy(a->speech);
    as_free(a);
}

static as_animation *animation_alloc(size_t T, float fps, size_t num_segments)
{
    as_animation *a = as_calloc(1, sizeof *a);
    if (!a) return NULL;
    a->fps = fps;
    a->num_frames = T;
    a->frames = as_calloc(T ? T * AS_NUM_CHANNELS : 1, sizeof(float));
    a->lipsync = as_calloc(T ? T * AS_NUM_CHANNELS : 1, sizeof(float));
    a->expression = as_calloc(T ? T * AS_NUM_CHANNELS : 1, sizeof(float));
    a->segments = as_calloc(num_segments ? num_segments : 1, sizeof *a->segments);
    a->num_segments = num_segments;
    if (!a->frames || !a->lipsync || !a->expression || !a->segments) {
        as_animation_destroy(a);
        return NULL;
    }
    return a;
}

/* Segment records for the writers: start/end times, names, intensities. */
static void fill_segments(as_animation *a, const as_tagged_text *tt, const double *start_s, double duration_s)
{
    for (size_t k = 0; k < tt->num_segments; k++) {
        as_anim_segment *s = &a->segments[k];
        s->start_s = k == 0 ? 0.0 : start_s[k];
        s->end_s = k + 1 < tt->num_segments ? start_s[k + 1] : duration_s;
        if (s->end_s < s->start_s) s->end_s = s->start_s;
        snprintf(s->emotion, sizeof s->emotion, "%s", tt->segments[k].name);
        s->intensity = tt->segments[k].intensity;
    }
}

/* Timeline, expression and merge: the part shared by say and animate_text. */
static as_result animate(const as_compiler *c, const as_say_params *p, const as_tagged_text *tt,
                         const double *start_s, as_animation *a, const double *markers, size_t n_markers)
{
    as_timeline tl;
    as_result r = as_timeline_build(&tl, tt->segments, start_s, tt->num_segments, a->num_frames, &p->timeline);
    if (r != AS_OK) return r;
    /* The animation takes the timeline's arrays. */
    a->cond = tl.cond;
    a->strength = tl.strength;
    float neutral[AS_NUM_CHANNELS];
    as_compiler_neutral(c, neutral);
    for (size_t i = 0; i < a->num_frames; i++) {
        float *expr = a->expression + i * AS_NUM_CHANNELS;
        r = as_compile(c, expr, &a->cond[i], a->strength[i]);
        if (r != AS_OK) return r;
        as_merge_frame(a->frames + i * AS_NUM_CHANNELS, a->lipsync + i * AS_NUM_CHANNELS, expr, neutral, &a->cond[i]);
    }
    as_motion_params mp = p->motion;
    mp.fps = p->timeline.fps;
    return as_motion_apply(&mp, a->frames, a->cond, a->num_frames, markers, n_markers);
}

/* Phrase boundaries: a pause of at least phrase_pause_s between words, or a
 * word that ends in punctuation. Written into markers (capacity n_words). */
static size_t phrase_markers(const as_speech *sp, const char *text, float pause_s, double *markers)
{
    size_t n = 0;
    for (size_t w = 0; w < sp->n_words; w++) {
        const as_word_event *we = &sp->words[w];
        char last = we->text_len ? text[we->text_offset + we->text_len - 1] : 0;
        int punct = last && strchr(",.;:!?", last) != NULL;
        int pause = w + 1 < sp->n_words && sp->words[w + 1].start_s - we->end_s >= pause_s;
        if (punct || pause) markers[n++] = we->end_s;
    }
    return n;
}

static as_result check_params(const as_say_params *p)
{
    if (!(p->timeline.fps >= 1.0f && p->timeline.fps <= 240.0f))
        return as_fail(AS_ERR_RANGE, "fps %g outside 1..240", (double)p->timeline.fps);
    if (!(p->classify_floor >= 0.0f && p->classify_floor <= 1.0f))
        return as_fail(AS_ERR_RANGE, "classify floor %g outside 0..1", (double)p->classify_floor);
    return AS_OK;
}

/* What every entry point starts with: parameters (defaults for NULL) checked,
 * a compiler (made over the built-in bank when NULL is given; *own receives
 * it so the caller frees it), and the tagged text parsed. */
static as_result prologue(const as_say_params *params, const char *tagged_text, const as_compiler **compiler,
                          as_compiler **own, as_say_params *p, as_tagged_text *tt)
{
    *own = NULL;
    memset(tt, 0, sizeof *tt);
    *p = params ? *params : as_say_default_params();
    as_result r = check_params(p);
    if (r != AS_OK) return r;
    if (!*compiler && !(*compiler = *own = as_compiler_create(NULL, NULL)))
        return as_fail(AS_ERR_NOMEM, "cannot create the compiler: %s", as_last_error());
    char *classified; /* issue 7: classifier tags for untagged sentences */
    r = classify_untagged(p, &tagged_text, &classified);
    if (r == AS_OK) r = as_tags_parse(tagged_text, AS_TEXT_NUL_TERMINATED, &p->tags, tt);
    as_free(classified);
    if (r != AS_OK) {
        as_compiler_destroy(*own);
        *own = NULL;
    }
    return r;
}

as_result as_animate_speech(const as_compiler *compiler, const as_say_params *params, const char *tagged_text,
                            const as_speech *speech, as_animation **out)
{
    if (!out || !tagged_text || !speech) return as_fail(AS_ERR_INVALID_ARG, "as_animate_speech: NULL argument");
    *out = NULL;
    as_say_params p;
    as_compiler *own;
    as_tagged_text tt;
    as_result r = prologue(params, tagged_text, &compiler, &own, &p, &tt);
    if (r != AS_OK) return r;
    as_animation *a = NULL;
    double *start_s = NULL, *markers = NULL, *word_times = NULL;
    size_t *word_offsets = NULL;

    /* A tag's time is the time its next word is spoken. */
    const double duration = as_speech_duration(speech);
    start_s = as_calloc(tt.num_segments, sizeof *start_s);
    word_offsets = as_calloc(speech->n_words + 1, sizeof *word_offsets);
    word_times = as_calloc(speech->n_words + 1, sizeof *word_times);
    markers = as_calloc(speech->n_words + 1, sizeof *markers);
    if (!start_s || !word_offsets || !word_times || !markers) { r = as_fail(AS_ERR_NOMEM, "out of memory"); goto done; }
    for (size_t w = 0; w < speech->n_words; w++) {
        word_offsets[w] = speech->words[w].text_offset;
        word_times[w] = speech->words[w].start_s;
    }
    r = as_segments_align(tt.segments, tt.num_segments, word_offsets, word_times, speech->n_words, duration, start_s);
    if (r != AS_OK) goto done;

    a = animation_alloc(as_timeline_frame_count(duration, p.timeline.fps), p.timeline.fps, tt.num_segments);
    if (!a) { r = as_fail(AS_ERR_NOMEM, "out of memory"); goto done; }
    fill_segments(a, &tt, start_s, duration);

    /* Lip sync from the synthesizer's own phoneme times. */
    as_lipsync_params lp = p.lipsync;
    lp.fps = p.timeline.fps;
    r = as_lipsync_from_phonemes(&lp, speech->phonemes, speech->n_phonemes, speech->samples, speech->n_samples,
                                 speech->rate_hz, a->num_frames, a->lipsync);
    if (r != AS_OK) goto done;

    size_t n_markers = phrase_markers(speech, tt.text, p.phrase_pause_s, markers);
    r = animate(compiler, &p, &tt, start_s, a, markers, n_markers);
    if (r != AS_OK) goto done;
    a->text = tt.text;
    tt.text = NULL;
    *out = a;
    a = NULL;
done:
    as_animation_destroy(a);
    as_tagged_text_clear(&tt);
    as_free(start_s);
    as_free(markers);
    as_free(word_times);
    as_free(word_offsets);
    as_compiler_destroy(own);
    return r;
}

as_result as_say(const as_compiler *compiler, const as_say_params *params, const char *tagged_text,
                 as_animation **out)
{
    if (!out || !tagged_text) return as_fail(AS_ERR_INVALID_ARG, "as_say: NULL argument");
    *out = NULL;
    as_say_params p = params ? *params : as_say_default_params();
    as_result r = check_params(&p);
    if (r != AS_OK) return r;
    /* Parse once here for the text to speak; as_animate_speech parses again
     * (microseconds) so that it stands alone for callers with their own TTS. */
    as_tagged_text tt;
    memset(&tt, 0, sizeof tt);
    char *classified; /* issue 7: classify once here; as_animate_speech then finds every sentence tagged */
    r = classify_untagged(&p, &tagged_text, &classified);
    if (r != AS_OK) return r;
    r = as_tags_parse(tagged_text, AS_TEXT_NUL_TERMINATED, &p.tags, &tt);
    if (r != AS_OK) { as_free(classified); return r; }
    as_speech *sp = NULL;
    r = as_tts_synthesize(&p.tts, tt.text, &sp);
    as_tagged_text_clear(&tt);
    if (r != AS_OK) { as_free(classified); return r; }
    r = as_animate_speech(compiler, &p, tagged_text, sp, out);
    as_free(classified);
    if (r != AS_OK) { as_speech_destroy(sp); return r; }
    (*out)->speech = sp;
    return AS_OK;
}

as_result as_animate_text(const as_compiler *compiler, const as_say_params *params, const char *tagged_text,
                          double duration_s, as_animation **out)
{
    if (!out || !tagged_text) return as_fail(AS_ERR_INVALID_ARG, "as_animate_text: NULL argument");
    *out = NULL;
    if (!(duration_s > 0.0 && duration_s <= 3600.0))
        return as_fail(AS_ERR_RANGE, "duration %g s outside 0..3600", duration_s);
    as_say_params p;
    as_compiler *own;
    as_tagged_text tt;
    as_result r = prologue(params, tagged_text, &compiler, &own, &p, &tt);
    if (r != AS_OK) return r;
    as_animation *a = NULL;
    double *start_s = NULL;
    start_s = as_calloc(tt.num_segments, sizeof *start_s);
    a = animation_alloc(as_timeline_frame_count(duration_s, p.timeline.fps), p.timeline.fps, tt.num_segments);
    if (!start_s || !a) { r = as_fail(AS_ERR_NOMEM, "out of memory"); goto done; }
    /* Without speech, time runs evenly over the text. */
    for (size_t k = 0; k < tt.num_segments; k++)
        start_s[k] = tt.text_len ? duration_s * (double)tt.segments[k].offset / (double)tt.text_len : 0.0;
    fill_segments(a, &tt, start_s, duration_s);
    r = animate(compiler, &p, &tt, start_s, a, start_s + 1, tt.num_segments - 1);
    if (r != AS_OK) goto done;
    a->text = tt.text;
    tt.text = NULL;
    *out = a;
    a = NULL;
done:
    as_animation_destroy(a);
    as_tagged_text_clear(&tt);
    as_free(start_s);
    as_compiler_destroy(own);
    return r;
}

as_result as_animation_write(const as_animation *a, as_format f, const char *path, const char *audio_name)
{
    if (!a || !path) return as_fail(AS_ERR_INVALID_ARG, "as_animation_write: NULL argument");
    const char *names[AS_NUM_CHANNELS];
    for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) names[ch] = as_channel_name(ch);
    as_anim_meta meta = {audio_name, a->segments, a->num_segments};
    return as_anim_write(f, path, a->frames, a->num_frames, names, AS_NUM_CHANNELS, a->fps, &meta);
}
