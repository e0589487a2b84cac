/* tests/test_say.c — `as_say` end to end (issue 3's "done means"): tags never
 * reach the speech, segments match tags and word times, bilabial closures,
 * rest in silence, slow-channel smoothness, lip-sync preservation, Korean and
 * English, determinism by seed, and the expression-only timeline. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "animasync/animasync.h"
#include "animasync/engine.h"
#include "testutil.h"

static as_compiler *comp;

static as_animation *say(const char *text, const as_say_params *p)
{
    as_animation *a = NULL;
    as_result r = as_say(comp, p, text, &a);
    CHECKF(r == AS_OK, "say \"%s\": %s", text, as_last_error());
    return r == AS_OK ? a : NULL;
}

static int is_bilabial(const char *ipa)
{
    return !strcmp(ipa, "p") || !strcmp(ipa, "b") || !strcmp(ipa, "m") || !strcmp(ipa, "pʰ") || !strcmp(ipa, "p͈");
}

static void test_tags_not_spoken(void)
{
    as_say_params p = as_say_default_params();
    as_animation *tagged = say("[joy:80] Thanks so much! [sadness:40] But I must go.", &p);
    as_animation *plain = say("Thanks so much! But I must go.", &p);
    if (!tagged || !plain) goto out;
    CHECK(strchr(tagged->text, '[') == NULL && strstr(tagged->text, "joy") == NULL);
    CHECK(!strcmp(tagged->text, "Thanks so much! But I must go."));
    /* The audio is the same as for the untagged sentence: the tags were never spoken. */
    CHECK(tagged->speech->n_samples == plain->speech->n_samples);
    CHECK(tagged->speech->n_samples == plain->speech->n_samples &&
          memcmp(tagged->speech->samples, plain->speech->samples, plain->speech->n_samples * sizeof(float)) == 0);
    CHECK(tagged->speech->n_phonemes == plain->speech->n_phonemes);

    /* Segments match the tags, and each starts when its next word is spoken. */
    CHECK(tagged->num_segments == 2);
    if (tagged->num_segments == 2) {
        CHECK(!strcmp(tagged->segments[0].emotion, "joy") && fabsf(tagged->segments[0].intensity - 0.8f) < 1e-6f);
        CHECK(!strcmp(tagged->segments[1].emotion, "sadness") && fabsf(tagged->segments[1].intensity - 0.4f) < 1e-6f);
        size_t but = (size_t)(strstr(tagged->text, "But") - tagged->text);
        double t_but = -1;
        for (size_t w = 0; w < tagged->speech->n_words; w++)
            if (tagged->speech->words[w].text_offset == but) t_but = tagged->speech->words[w].start_s;
        CHECKF(fabs(tagged->segments[1].start_s - t_but) < 1e-9, "segment at %.3f, word at %.3f",
               tagged->segments[1].start_s, t_but);
        CHECK(tagged->segments[0].end_s == tagged->segments[1].start_s);
        /* The conditioning is joy early and sadness late, crossfading around the boundary. */
        size_t T = tagged->num_frames;
        size_t fb = (size_t)(t_but * tagged->fps);
        CHECK(tagged->cond[fb > 40 ? fb - 40 : 0].w[AS_EMO_JOY] > 0.99f);
        CHECK(tagged->cond[T - 1].w[AS_EMO_SADNESS] > 0.99f);
        CHECK(tagged->cond[fb].w[AS_EMO_JOY] > 0.2f && tagged->cond[fb].w[AS_EMO_SADNESS] > 0.2f);
    }
out:
    as_animation_destroy(tagged);
    as_animation_destroy(plain);
}

static void check_animation(const as_animation *a, const char *label)
{
    size_t T = a->num_frames;
    double dur = as_speech_duration(a->speech);
    CHECKF(fabs((double)T - ceil(dur * a->fps)) <= 1.0, "%s: %zu frames for %.2f s", label, T, dur);
    /* Every bilabial closes the lips within one frame of its centre. */
    size_t n_bilabial = 0, closed = 0;
    for (size_t i = 0; i < a->speech->n_phonemes; i++) {
        const as_phoneme_event *ph = &a->speech->phonemes[i];
        if (!is_bilabial(ph->ipa)) continue;
        n_bilabial++;
        long c = lround(0.5 * (ph->start_s + ph->end_s) * a->fps);
        int ok = 0;
        for (long f = c - 1; f <= c + 1; f++) {
            if (f < 0 || (size_t)f >= T) continue;
            const float *fr = a->frames + (size_t)f * AS_NUM_CHANNELS;
            if (fr[AS_MOUTH_CLOSE] >= 0.5f || fr[AS_MOUTH_PRESS_LEFT] >= 0.5f) ok = 1;
        }
        closed += ok;
        if (!ok) fprintf(stderr, "%s: /%s/ at %.3f s not closed\n", label, ph->ipa, ph->start_s);
    }
    CHECKF(closed == n_bilabial, "%s: %zu of %zu bilabials closed", label, closed, n_bilabial);
    /* Mouth at rest in the leading silence (before the first phoneme, minus coarticulation). */
    double first = a->speech->n_phonemes ? a->speech->phonemes[0].start_s : 0;
    size_t rest_frames = (size_t)fmax(0.0, (first - 0.2) * a->fps);
    for (size_t f = 0; f < rest_frames; f++)
        for (int ch = 0; ch < AS_NUM_CHANNELS; ch++)
            if (as_channel_class_of(ch) == AS_CHANNEL_LIPSYNC)
                CHECKF(a->frames[f * AS_NUM_CHANNELS + ch] < 0.02f, "%s: frame %zu %s = %.3f in silence", label, f,
                       as_channel_name(ch), a->frames[f * AS_NUM_CHANNELS + ch]);
    /* Contract on the output. */
    int worst_ch;
    double sm = as_track_smoothness(a->frames, T, &worst_ch);
    CHECKF(sm < 0.015, "%s: smoothness %.4f on %s", label, sm, as_channel_name(worst_ch));
    CHECKF(as_track_violations(a->frames, T) == 0, "%s: %zu violations", label, as_track_violations(a->frames, T));
    double pres = as_track_lipsync_preservation(a->frames, a->lipsync, T);
    CHECKF(pres > 0.99, "%s: lip-sync preservation %.4f", label, pres);
    for (size_t i = 0; i < T * AS_NUM_CHANNELS; i++)
        if (!(a->frames[i] >= 0.0f && a->frames[i] <= 1.0f)) { CHECKF(0, "%s: value out of 0..1", label); break; }
    /* The mouth moves while speaking. */
    float jaw_max = 0;
    for (size_t f = 0; f < T; f++) jaw_max = fmaxf(jaw_max, a->frames[f * AS_NUM_CHANNELS + AS_JAW_OPEN]);
    CHECKF(jaw_max > 0.2f, "%s: jawOpen peaks at %.3f", label, jaw_max);
}

static void test_languages(void)
{
    as_say_params p = as_say_default_params();
    as_animation *en = say("[joy:70] Bobby bought a map, [surprise] maybe a pumpkin pie!", &p);
    if (en) check_animation(en, "english espeak");
    as_animation_destroy(en);
    p.tts.engine = AS_TTS_FLITE;
    p.tts.voice = "slt";
    en = say("[gratitude] Many people bring me bread. [sadness:60] Maybe tomorrow.", &p);
    if (en) check_animation(en, "english flite");
    as_animation_destroy(en);
    p = as_say_default_params();
    p.tts.voice = "ko";
    as_animation *ko = say("[기쁨:80] 정말 고마워요! [슬픔:50] 그런데 이제 가야 해요.", &p);
    if (ko) {
        check_animation(ko, "korean");
        CHECK(ko->num_segments == 2 && ko->cond[ko->num_frames - 1].w[AS_EMO_SADNESS] > 0.99f);
    }
    as_animation_destroy(ko);
}

static void test_determinism(void)
{
    as_say_params p = as_say_default_params();
    p.motion.seed = 7;
    const char *text = "[excitement] We won the game! [shy:40] Well, thank you.";
    as_animation *a = say(text, &p), *b = say(text, &p);
    p.motion.seed = 8;
    as_animation *c = say(text, &p);
    if (a && b && c) {
        CHECK(a->num_frames == b->num_frames &&
              memcmp(a->frames, b->frames, a->num_frames * AS_NUM_CHANNELS * sizeof(float)) == 0);
        CHECK(a->num_frames == c->num_frames &&
              memcmp(a->frames, c->frames, a->num_frames * AS_NUM_CHANNELS * sizeof(float)) != 0);
    }
    as_animation_destroy(a);
    as_animation_destroy(b);
    as_animation_destroy(c);
}

static void test_errors(void)
{
    as_animation *a = NULL;
    as_say_params p = as_say_default_params();
    CHECK(as_say(comp, &p, "", &a) == AS_ERR_INVALID_ARG && a == NULL);
    CHECK(as_say(comp, &p, "[joy]", &a) == AS_ERR_INVALID_ARG && a == NULL);
    CHECK(as_say(comp, &p, "[joy:150] hi", &a) == AS_ERR_PARSE && strstr(as_last_error(), "150"));
    CHECK(as_say(comp, &p, "[glee] hi", &a) == AS_ERR_PARSE && strstr(as_last_error(), "glee"));
    p.tts.voice = "xx-nonexistent";
    CHECK(as_say(comp, &p, "hello", &a) == AS_ERR_UNKNOWN && strstr(as_last_error(), "xx-nonexistent"));
}

static void test_timeline_only(void)
{
    as_say_params p = as_say_default_params();
    as_animation *a = NULL;
    CHECK(as_animate_text(comp, &p, "[joy] Hello there. [anger:90] Stop that.", 4.0, &a) == AS_OK);
    if (!a) return;
    CHECK(a->num_frames == 120 && a->speech == NULL && a->num_segments == 2);
    CHECK(a->cond[0].w[AS_EMO_JOY] > 0.99f && a->cond[119].w[AS_EMO_ANGER] > 0.99f);
    /* No speech: LIPSYNC channels stay at rest; brows lower for anger by the end. */
    for (size_t f = 0; f < a->num_frames; f++)
        CHECK(a->frames[f * AS_NUM_CHANNELS + AS_MOUTH_CLOSE] == 0.0f);
    CHECK(a->frames[119 * AS_NUM_CHANNELS + AS_BROW_DOWN_LEFT] > a->frames[0 * AS_NUM_CHANNELS + AS_BROW_DOWN_LEFT] + 0.1f);
    CHECK(as_track_smoothness(a->frames, a->num_frames, NULL) < 0.015);
    as_animation_destroy(a);
    CHECK(as_animate_text(comp, &p, "hi", 0.0, &a) == AS_ERR_RANGE);
}

int main(void)
{
    comp = as_compiler_create(NULL, NULL);
    CHECK(comp != NULL);
    test_tags_not_spoken();
    test_languages();
    test_determinism();
    test_errors();
    test_timeline_only();
    as_compiler_destroy(comp);
    return test_finish("test_say");
}
