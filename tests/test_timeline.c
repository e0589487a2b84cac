/* test_timeline.c — the emotion timeline: tag parser (stripping, segments,
 * Korean, every malformed-tag error with its position), crossfade width,
 * onset/offset asymmetry and its arousal dependence, strength, the streaming
 * scheduler against the offline timeline, determinism, allocation failures. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "animasync/timeline.h"
#include "testutil.h"

static int near(float a, float b, float tol) { return fabsf(a - b) <= tol; }

static int cond_equal(const as_cond *a, const as_cond *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}

static float weight_sum(const as_cond *c)
{
    float s = 0.0f;
    for (int e = 0; e < AS_NUM_EMOTIONS; e++) s += c->w[e];
    return s;
}

/* ---- tag parser ---------------------------------------------------------- */

static void test_strip_and_segments(void)
{
    const char *text = "[joy:80] Thanks so much! [sadness:40] I must go now.";
    as_tagged_text tt;
    CHECK(as_tags_parse(text, AS_TEXT_NUL_TERMINATED, NULL, &tt) == AS_OK);
    CHECKF(strcmp(tt.text, "Thanks so much! I must go now.") == 0, "plain text: \"%s\"", tt.text);
    CHECK(tt.text_len == strlen(tt.text));
    CHECK(strchr(tt.text, '[') == NULL && strchr(tt.text, ']') == NULL);
    CHECK(strstr(tt.text, "joy") == NULL && strstr(tt.text, "sadness") == NULL);
    CHECK(tt.num_segments == 2);
    if (tt.num_segments == 2) {
        CHECK(tt.segments[0].offset == 0);
        CHECK(tt.segments[0].emotion == AS_EMO_JOY);
        CHECK(near(tt.segments[0].intensity, 0.8f, 1e-6f));
        CHECK(strcmp(tt.segments[0].name, "joy") == 0);
        CHECK(tt.segments[1].offset == strlen("Thanks so much! "));
        CHECK(strncmp(tt.text + tt.segments[1].offset, "I must", 6) == 0);
        CHECK(tt.segments[1].emotion == AS_EMO_SADNESS);
        CHECK(near(tt.segments[1].intensity, 0.4f, 1e-6f));
        CHECK(tt.segments[1].strength == 1.0f);
        as_cond want;
        CHECK(as_cond_from_name("sadness", 0.4f, &want) == AS_OK);
        CHECK(cond_equal(&tt.segments[1].cond, &want));
    }
    as_tagged_text_clear(&tt);
    CHECK(tt.text == NULL && tt.segments == NULL && tt.num_segments == 0);

    /* untagged leading text is neutral; a mid-sentence tag collapses its spaces */
    CHECK(as_tags_parse("Hello [happy] world [gratitude:40]", AS_TEXT_NUL_TERMINATED, NULL, &tt) == AS_OK);
    CHECKF(strcmp(tt.text, "Hello world") == 0, "plain text: \"%s\"", tt.text);
    CHECK(tt.num_segments == 3);
    if (tt.num_segments == 3) {
        CHECK(tt.segments[0].emotion == AS_EMO_NEUTRAL && tt.segments[0].offset == 0);
        CHECK(tt.segments[1].emotion == AS_EMO_JOY && tt.segments[1].offset == 6);
        CHECK(strcmp(tt.segments[1].name, "happy") == 0);
        CHECK(near(tt.segments[1].intensity, 0.5f, 1e-6f)); /* no number: tag_intensity */
        CHECK(tt.segments[2].emotion == AS_EMO_GRATITUDE && tt.segments[2].offset == tt.text_len);
    }
    as_tagged_text_clear(&tt);

    /* tags inside a word (Korean writes none between words) leave nothing */
    CHECK(as_tags_parse("ab[joy]cd", AS_TEXT_NUL_TERMINATED, NULL, &tt) == AS_OK);
    CHECK(strcmp(tt.text, "abcd") == 0);
    CHECK(tt.num_segments == 2 && tt.segments[1].offset == 2);
    as_tagged_text_clear(&tt);

    /* [[ is a literal bracket; ] alone is text */
    CHECK(as_tags_parse("a [[b] c", AS_TEXT_NUL_TERMINATED, NULL, &tt) == AS_OK);
    CHECK(strcmp(tt.text, "a [b] c") == 0);
    CHECK(tt.num_segments == 1 && tt.segments[0].emotion == AS_EMO_NEUTRAL);
    as_tagged_text_clear(&tt);

    /* an explicit length stops before the rest */
    CHECK(as_tags_parse("[joy] hi [sadness] there", 8, NULL, &tt) == AS_OK);
    CHECK(strcmp(tt.text, "hi") == 0 && tt.num_segments == 1);
    as_tagged_text_clear(&tt);

    /* the default emotion from params */
    as_tag_params p = as_tag_default_params();
    p.default_emotion = "worry";
    p.default_intensity = 0.25f;
    CHECK(as_tags_parse("Hmm.", AS_TEXT_NUL_TERMINATED, &p, &tt) == AS_OK);
    CHECK(tt.num_segments == 1 && tt.segments[0].emotion == AS_EMO_WORRY);
    CHECK(near(tt.segments[0].intensity, 0.25f, 1e-6f));
    as_tagged_text_clear(&tt);
    p.default_emotion = "nosuchfeeling";
    CHECK(as_tags_parse("Hmm.", AS_TEXT_NUL_TERMINATED, &p, &tt) == AS_ERR_UNKNOWN);

    /* empty text: one default segment, empty plain text */
    CHECK(as_tags_parse("", 0, NULL, &tt) == AS_OK);
    CHECK(tt.text_len == 0 && tt.text && tt.text[0] == 0 && tt.num_segments == 1);
    as_tagged_text_clear(&tt);
}

static void test_strength_and_vad_tags(void)
{
    as_tagged_text tt;
    CHECK(as_tags_parse("[strength:1.5] Hi [joy] there [strength:0.5] end", AS_TEXT_NUL_TERMINATED, NULL, &tt) == AS_OK);
    CHECK(strcmp(tt.text, "Hi there end") == 0);
    CHECK(tt.num_segments == 3);
    if (tt.num_segments == 3) {
        CHECK(tt.segments[0].emotion == AS_EMO_NEUTRAL && tt.segments[0].strength == 1.5f);
        CHECK(tt.segments[1].emotion == AS_EMO_JOY && tt.segments[1].strength == 1.5f); /* carried */
        CHECK(tt.segments[2].emotion == AS_EMO_JOY && tt.segments[2].strength == 0.5f);
        CHECK(strcmp(tt.segments[2].name, "joy") == 0);
        CHECK(cond_equal(&tt.segments[1].cond, &tt.segments[2].cond));
    }
    as_tagged_text_clear(&tt);

    /* tags with no text between them merge: the later values win */
    CHECK(as_tags_parse("[joy][strength:2] [anger:90] Hi", AS_TEXT_NUL_TERMINATED, NULL, &tt) == AS_OK);
    CHECK(strcmp(tt.text, "Hi") == 0 && tt.num_segments == 1);
    CHECK(tt.segments[0].emotion == AS_EMO_ANGER && tt.segments[0].strength == 2.0f);
    CHECK(near(tt.segments[0].intensity, 0.9f, 1e-6f));
    as_tagged_text_clear(&tt);

    /* [vad] with no label in force: nearest anchor's class, VAD exact */
    CHECK(as_tags_parse("[vad:0.17,0.82,0.80] Enough!", AS_TEXT_NUL_TERMINATED, NULL, &tt) == AS_OK);
    CHECK(tt.num_segments == 1);
    CHECK(tt.segments[0].emotion == AS_EMO_ANGER);
    CHECK(tt.segments[0].cond.w[AS_EMO_ANGER] == 1.0f);
    CHECK(tt.segments[0].cond.v == 0.17f && tt.segments[0].cond.a == 0.82f && tt.segments[0].cond.d == 0.80f);
    CHECK(strcmp(tt.segments[0].name, "anger") == 0);
    as_tagged_text_clear(&tt);

    /* [vad] under a label: the label stays, VAD modulates it */
    CHECK(as_tags_parse("[sadness:60] Oh. [vad:0.3,0.5,0.4] Well.", AS_TEXT_NUL_TERMINATED, NULL, &tt) == AS_OK);
    CHECK(tt.num_segments == 2);
    if (tt.num_segments == 2) {
        CHECK(tt.segments[1].emotion == AS_EMO_SADNESS && tt.segments[1].cond.w[AS_EMO_SADNESS] == 1.0f);
        CHECK(tt.segments[1].cond.v == 0.3f && tt.segments[1].cond.a == 0.5f && tt.segments[1].cond.d == 0.4f);
        CHECK(near(tt.segments[1].intensity, 0.6f, 1e-6f));
    }
    as_tagged_text_clear(&tt);

    /* [neutral] goes back to rest; case and spaces inside tags do not matter */
    CHECK(as_tags_parse("[ JOY : 70 ] a [Neutral] b", AS_TEXT_NUL_TERMINATED, NULL, &tt) == AS_OK);
    CHECK(tt.num_segments == 2 && tt.segments[0].emotion == AS_EMO_JOY && tt.segments[1].emotion == AS_EMO_NEUTRAL);
    CHECK(tt.segments[1].intensity == 0.0f && tt.segments[1].cond.w[AS_EMO_NEUTRAL] == 1.0f);
    as_tagged_text_clear(&tt);
}

static void test_korean(void)
{
    const char *text = "[기쁨:70] 고마워요! [슬픔:30] 이제 가야 해요.";
    as_tagged_text tt;
    CHECK(as_tags_parse(text, AS_TEXT_NUL_TERMINATED, NULL, &tt) == AS_OK);
    CHECKF(strcmp(tt.text, "고마워요! 이제 가야 해요.") == 0, "plain text: \"%s\"", tt.text);
    CHECK(strstr(tt.text, "기쁨") == NULL && strstr(tt.text, "슬픔") == NULL && strchr(tt.text, '[') == NULL);
    CHECK(tt.num_segments == 2);
    if (tt.num_segments == 2) {
        CHECK(tt.segments[0].emotion == AS_EMO_JOY && near(tt.segments[0].intensity, 0.7f, 1e-6f));
        CHECK(strcmp(tt.segments[0].name, "기쁨") == 0);
        CHECK(tt.segments[1].emotion == AS_EMO_SADNESS && near(tt.segments[1].intensity, 0.3f, 1e-6f));
        CHECK(strncmp(tt.text + tt.segments[1].offset, "이제", strlen("이제")) == 0);
        as_cond want;
        CHECK(as_cond_from_name("기쁨", 0.7f, &want) == AS_OK);
        CHECK(cond_equal(&tt.segments[0].cond, &want));
    }
    as_tagged_text_clear(&tt);
}

/* One malformed input: AS_ERR_PARSE, the message names the position (and
 * the extra text if given), and out stays zeroed. */
static void expect_parse_error(const char *text, const char *pos, const char *extra)
{
    as_tagged_text tt;
    memset(&tt, 0x5A, sizeof tt);
    as_result r = as_tags_parse(text, AS_TEXT_NUL_TERMINATED, NULL, &tt);
    const char *msg = as_last_error();
    CHECKF(r == AS_ERR_PARSE, "\"%s\": result %d", text, (int)r);
    CHECKF(strstr(msg, pos) != NULL, "\"%s\": message \"%s\" lacks \"%s\"", text, msg, pos);
    if (extra) CHECKF(strstr(msg, extra) != NULL, "\"%s\": message \"%s\" lacks \"%s\"", text, msg, extra);
    CHECK(tt.text == NULL && tt.segments == NULL && tt.num_segments == 0);
}

static void test_malformed_tags(void)
{
    /* the message as documented */
    as_tagged_text tt;
    CHECK(as_tags_parse("Thank you! [joy:150] Bye", AS_TEXT_NUL_TERMINATED, NULL, &tt) == AS_ERR_PARSE);
    CHECKF(strcmp(as_last_error(), "tag \"[joy:150]\" at character 12: intensity 150 outside 0..100") == 0, "got \"%s\"",
           as_last_error());

    expect_parse_error("Hello [joy", "at character 7", "unterminated");
    expect_parse_error("Hello [joy there [sadness] x", "at character 7", "unterminated");
    expect_parse_error("Hi [joy\n] there", "at character 4", "unterminated");
    expect_parse_error("Hi [blorft] there", "at character 4", "unknown emotion \"blorft\"");
    expect_parse_error("Some text [joy:150] ok", "at character 11", "150");
    expect_parse_error("[joy:-5] x", "at character 1", "outside 0..100");
    expect_parse_error("[joy:abc] x", "at character 1", "not a number");
    expect_parse_error("[joy:] x", "at character 1", "missing intensity");
    expect_parse_error("[joy:1e2] x", "at character 1", "not a number");
    expect_parse_error("ok [vad:0.8,0.4] x", "at character 4", "three numbers");
    expect_parse_error("ok [vad:0.8,1.4,0.5] x", "at character 4", "arousal 1.4 outside 0..1");
    expect_parse_error("ok [vad:0.8,0.4,0.5,0.1] x", "at character 4", "three numbers");
    expect_parse_error("ok [vad] x", "at character 4", "three numbers");
    expect_parse_error("ok [strength:3] x", "at character 4", "strength 3 outside 0..2");
    expect_parse_error("ok [strength] x", "at character 4", "strength needs a number");
    expect_parse_error("ok [] x", "at character 4", "empty tag");
    expect_parse_error("ok [:50] x", "at character 4", "empty tag");
    /* positions count characters (code points), not bytes */
    expect_parse_error("안녕 [기쁨:150]", "at character 4", "intensity 150 outside 0..100");
    expect_parse_error("고마워요 [행복함] 네", "at character 6", "unknown emotion");
    /* invalid UTF-8 names the byte offset */
    expect_parse_error("ab\xff" "cd", "byte 2", "invalid UTF-8");
    expect_parse_error("\xea\xb8" " truncated", "byte 0", "invalid UTF-8");
    expect_parse_error("over\xc0\xaflong", "byte 4", "invalid UTF-8");
    /* an escaped bracket is not a tag, and later errors still count it */
    expect_parse_error("[[x] [joy:200]", "at character 6", "200");
    CHECK(as_tags_parse(NULL, 0, NULL, &tt) == AS_ERR_INVALID_ARG);
}

/* ---- timeline ----------------------------------------------------------------- */

static as_segment seg_of(const char *name, float intensity, float strength)
{
    as_segment s;
    memset(&s, 0, sizeof s);
    as_lexicon_entry e;
    if (as_lexicon_lookup(name, &e) == AS_OK) s.emotion = e.emotion;
    as_cond_from_name(name, intensity, &s.cond);
    s.intensity = intensity;
    s.strength = strength;
    snprintf(s.name, sizeof s.name, "%s", name);
    return s;
}

/* First frame whose class weight w[e] differs from its first value, and the
 * first frame from which it stays at its final value. */
static void change_span(const as_timeline *tl, int e, size_t *first, size_t *settled)
{
    float w0 = tl->cond[0].w[e], w1 = tl->cond[tl->num_frames - 1].w[e];
    *first = tl->num_frames;
    *settled = tl->num_frames;
    for (size_t i = 0; i < tl->num_frames; i++)
        if (tl->cond[i].w[e] != w0) { *first = i; break; }
    for (size_t i = tl->num_frames; i-- > 0;)
        if (tl->cond[i].w[e] != w1) { *settled = i + 1; break; }
}

static void test_crossfade_width(void)
{
    as_segment segs[2] = {seg_of("neutral", 0.0f, 1.0f), seg_of("joy", 0.6f, 1.0f)};
    double starts[2] = {0.0, 2.0};
    const float windows[2] = {0.8f, 0.3f};
    for (int k = 0; k < 2; k++) {
        float W = windows[k];
        as_timeline_params p = as_timeline_default_params();
        p.crossfade_s = W;
        p.onset_tau_s = p.offset_tau_s = 0.0f; /* the crossfade alone */
        as_timeline tl;
        CHECK(as_timeline_build(&tl, segs, starts, 2, 150, &p) == AS_OK);
        CHECK(tl.num_frames == 150 && tl.fps == 30.0f);
        size_t first, settled;
        change_span(&tl, AS_EMO_JOY, &first, &settled);
        double t_first = first / 30.0, t_settled = settled / 30.0;
        /* the fade starts after 2 - W and is complete at 2 + W: both edges
         * within one frame, so the measured width is 2W within 2 frames */
        CHECKF(t_first > 2.0 - W && t_first <= 2.0 - W + 1.0 / 30 + 1e-6, "W %.1f: starts at %.4f s", W, t_first);
        CHECKF(t_settled >= 2.0 + W - 1e-6 && t_settled < 2.0 + W + 1.0 / 30, "W %.1f: settles at %.4f s", W, t_settled);
        CHECKF(fabs((t_settled - t_first) - 2.0 * W) <= 2.0 / 30 + 1e-6, "W %.1f: width %.4f s", W, t_settled - t_first);
        CHECK(near(tl.cond[60].w[AS_EMO_JOY], 0.5f, 1e-6f)); /* centred on the boundary */
        CHECK(tl.cond[0].w[AS_EMO_NEUTRAL] == 1.0f && tl.cond[149].w[AS_EMO_JOY] == 1.0f);
        as_timeline_clear(&tl);

        /* with the default smoother the start is unchanged (it is causal) */
        p.onset_tau_s = 0.15f;
        p.offset_tau_s = 0.40f;
        CHECK(as_timeline_build(&tl, segs, starts, 2, 150, &p) == AS_OK);
        size_t first_s, settled_s;
        change_span(&tl, AS_EMO_JOY, &first_s, &settled_s);
        CHECK(first_s == first);
        CHECK(tl.cond[60].w[AS_EMO_JOY] < 0.5f); /* lags behind the fade */
        as_timeline_clear(&tl);
    }
}

static void test_crossfade_is_in_conditioning_space(void)
{
    as_segment segs[2] = {seg_of("joy", 0.8f, 1.0f), seg_of("sadness", 0.8f, 1.0f)};
    double starts[2] = {0.0, 2.0};
    as_timeline tl;
    CHECK(as_timeline_build(&tl, segs, starts, 2, 150, NULL) == AS_OK);
    for (size_t i = 0; i < tl.num_frames; i++) {
        CHECKF(near(weight_sum(&tl.cond[i]), 1.0f, 1e-5f), "frame %zu: weights sum %g", i, weight_sum(&tl.cond[i]));
        for (int e = 0; e < AS_NUM_EMOTIONS; e++) CHECK(tl.cond[i].w[e] >= 0.0f);
    }
    /* somewhere it is a half-half mix and its VAD is between both ends */
    size_t mid = tl.num_frames;
    for (size_t i = 0; i < tl.num_frames && mid == tl.num_frames; i++)
        if (tl.cond[i].w[AS_EMO_SADNESS] >= 0.5f) mid = i;
    CHECK(mid < tl.num_frames);
    if (mid < tl.num_frames) {
        const as_cond *c = &tl.cond[mid];
        CHECK(c->w[AS_EMO_JOY] > 0.4f && c->w[AS_EMO_SADNESS] < 0.6f);
        float vj = segs[0].cond.v, vs = segs[1].cond.v;
        CHECK(c->v < vj - 0.2f * (vj - vs) && c->v > vs + 0.2f * (vj - vs));
    }
    as_timeline_clear(&tl);
}

/* Frames from a change at t_change until 90% of the change in w[e] is done. */
static int frames_to_90(const as_timeline *tl, int e, double t_change)
{
    size_t i0 = (size_t)llround(t_change * tl->fps);
    float from = tl->cond[i0 > 0 ? i0 - 1 : 0].w[e];
    float to = tl->cond[tl->num_frames - 1].w[e];
    for (size_t i = i0; i < tl->num_frames; i++)
        if (fabsf(tl->cond[i].w[e] - from) >= 0.9f * fabsf(to - from)) return (int)(i - i0);
    return -1;
}

static void test_onset_faster_than_offset(void)
{
    as_timeline_params p = as_timeline_default_params();
    p.crossfade_s = 0.0f; /* a step: the smoother alone shapes the change */
    as_segment on[2] = {seg_of("neutral", 0.0f, 1.0f), seg_of("sadness", 0.6f, 1.0f)};
    as_segment off[2] = {seg_of("sadness", 0.6f, 1.0f), seg_of("neutral", 0.0f, 1.0f)};
    double starts[2] = {0.0, 1.0};
    as_timeline a, b;
    CHECK(as_timeline_build(&a, on, starts, 2, 150, &p) == AS_OK);
    CHECK(as_timeline_build(&b, off, starts, 2, 150, &p) == AS_OK);
    int n_on = frames_to_90(&a, AS_EMO_SADNESS, 1.0), n_off = frames_to_90(&b, AS_EMO_SADNESS, 1.0);
    CHECKF(n_on > 0 && n_off > 0 && n_on < n_off, "onset %d frames, offset %d frames", n_on, n_off);
    /* 90% of a first-order step takes tau x ln 10: onset tau 0.15 / (0.6 + 0.8 A) */
    double tau_on = 0.15 / (0.6 + 0.8 * on[1].cond.a);
    CHECKF(fabs(n_on / 30.0 - tau_on * log(10.0)) <= 1.5 / 30, "onset %.3f s, expected %.3f s", n_on / 30.0,
           tau_on * log(10.0));
    as_timeline_clear(&a);
    as_timeline_clear(&b);

    /* speed rises with arousal: anger (A 0.82) sets in faster than sadness (A 0.30) */
    as_segment hot[2] = {seg_of("neutral", 0.0f, 1.0f), seg_of("anger", 0.6f, 1.0f)};
    CHECK(as_timeline_build(&a, hot, starts, 2, 150, &p) == AS_OK);
    CHECK(hot[1].cond.a > on[1].cond.a + 0.3f);
    int n_hot = frames_to_90(&a, AS_EMO_ANGER, 1.0);
    CHECKF(n_hot > 0 && n_hot < n_on, "anger onset %d frames, sadness %d", n_hot, n_on);
    as_timeline_clear(&a);
}

static void test_strength(void)
{
    as_segment segs[3] = {seg_of("joy", 0.5f, 1.0f), seg_of("joy", 0.5f, 1.8f), seg_of("anger", 0.5f, 0.5f)};
    double starts[3] = {0.0, 1.0, 3.0};
    as_timeline_params p = as_timeline_default_params();
    p.crossfade_s = 0.2f;
    as_timeline tl;
    CHECK(as_timeline_build(&tl, segs, starts, 3, 180, &p) == AS_OK);
    CHECK(near(tl.strength[10], 1.0f, 1e-6f));
    CHECK(near(tl.strength[75], 1.8f, 1e-3f));
    CHECK(near(tl.strength[175], 0.5f, 1e-3f));
    for (size_t i = 1; i < tl.num_frames; i++) /* it fades, never jumps */
        CHECK(fabsf(tl.strength[i] - tl.strength[i - 1]) < 0.3f);
    as_timeline_clear(&tl);

    p.strength = 0.5f; /* global strength scales every frame */
    CHECK(as_timeline_build(&tl, segs, starts, 3, 180, &p) == AS_OK);
    CHECK(near(tl.strength[75], 0.9f, 1e-3f));
    as_timeline_clear(&tl);

    /* from parsed tags: [strength:x] reaches the frames */
    as_tagged_text tt;
    CHECK(as_tags_parse("[joy] one two [strength:1.6] three four", AS_TEXT_NUL_TERMINATED, NULL, &tt) == AS_OK);
    CHECK(tt.num_segments == 2);
    double t2[2] = {0.0, 1.0};
    CHECK(as_timeline_build(&tl, tt.segments, t2, tt.num_segments, 90, NULL) == AS_OK);
    CHECK(near(tl.strength[0], 1.0f, 1e-6f) && near(tl.strength[89], 1.6f, 1e-3f));
    as_timeline_clear(&tl);
    as_tagged_text_clear(&tt);
}

static as_segment segs5[5];
static const double times5[5] = {0.0, 1.5, 3.0, 4.2, 4.5};

static void make_segs5(void)
{
    segs5[0] = seg_of("neutral", 0.0f, 1.0f);
    segs5[1] = seg_of("joy", 0.9f, 1.0f);
    segs5[2] = seg_of("sadness", 0.4f, 1.4f);
    segs5[3] = seg_of("furious", 0.7f, 1.2f);
    segs5[4] = seg_of("gratitude", 0.6f, 0.8f);
}

static void test_determinism(void)
{
    make_segs5();
    as_timeline a, b;
    CHECK(as_timeline_build(&a, segs5, times5, 5, 200, NULL) == AS_OK);
    CHECK(as_timeline_build(&b, segs5, times5, 5, 200, NULL) == AS_OK);
    CHECK(memcmp(a.cond, b.cond, 200 * sizeof *a.cond) == 0);
    CHECK(memcmp(a.strength, b.strength, 200 * sizeof *a.strength) == 0);
    /* out-of-order start times are sorted: the same frames */
    as_segment shuffled[5] = {segs5[0], segs5[3], segs5[1], segs5[4], segs5[2]};
    double st[5] = {0.0, 4.2, 1.5, 4.5, 3.0};
    as_timeline c;
    CHECK(as_timeline_build(&c, shuffled, st, 5, 200, NULL) == AS_OK);
    CHECK(memcmp(a.cond, c.cond, 200 * sizeof *a.cond) == 0);
    as_timeline_clear(&a);
    as_timeline_clear(&b);
    as_timeline_clear(&c);
}

static void test_scheduler_matches_offline(void)
{
    make_segs5();
    const size_t T = 200;
    as_timeline tl;
    CHECK(as_timeline_build(&tl, segs5, times5, 5, T, NULL) == AS_OK);

    /* all events up front, out of order */
    as_scheduler *s = as_scheduler_create(NULL, &segs5[0].cond, segs5[0].strength);
    CHECK(s != NULL);
    if (!s) return;
    const int order[4] = {3, 1, 4, 2};
    for (int k = 0; k < 4; k++)
        CHECK(as_scheduler_add(s, times5[order[k]], &segs5[order[k]].cond, segs5[order[k]].strength) == AS_OK);
    CHECK(as_scheduler_pending(s) == 4);
    size_t mismatches = 0;
    for (size_t i = 0; i < T; i++) {
        as_cond c;
        float st;
        CHECK(as_scheduler_frame_index(s) == i);
        CHECK(as_scheduler_next(s, &c, &st) == AS_OK);
        if (!cond_equal(&c, &tl.cond[i]) || st != tl.strength[i]) mismatches++;
    }
    CHECKF(mismatches == 0, "%zu of %zu frames differ from the offline timeline", mismatches, T);
    CHECK(as_scheduler_pending(s) == 0); /* all folded */
    as_scheduler_destroy(s);

    /* events arriving during the stream, out of order, each still on time */
    s = as_scheduler_create(NULL, &segs5[0].cond, segs5[0].strength);
    CHECK(s != NULL);
    if (!s) return;
    mismatches = 0;
    int added[5] = {1, 0, 0, 0, 0};
    for (size_t i = 0; i < T; i++) {
        double t = i / 30.0;
        /* add the latest-due events first, as soon as they are 1.2 s ahead of the window */
        for (int k = 4; k >= 1; k--)
            if (!added[k] && (times5[k] - 0.8) - t < 1.2 + 0.3 * k) {
                CHECK(as_scheduler_add(s, times5[k], &segs5[k].cond, segs5[k].strength) == AS_OK);
                added[k] = 1;
            }
        as_cond c;
        float st;
        as_scheduler_next(s, &c, &st);
        if (!cond_equal(&c, &tl.cond[i]) || st != tl.strength[i]) mismatches++;
    }
    CHECKF(mismatches == 0, "streaming: %zu of %zu frames differ", mismatches, T);
    as_scheduler_destroy(s);
    as_timeline_clear(&tl);
}

static void test_scheduler_late_and_limits(void)
{
    as_scheduler *s = as_scheduler_create(NULL, NULL, 1.0f);
    CHECK(s != NULL);
    if (!s) return;
    as_cond c, prev;
    float st;
    for (int i = 0; i < 60; i++) as_scheduler_next(s, &prev, &st);
    CHECK(prev.w[AS_EMO_NEUTRAL] == 1.0f);
    /* an event in the past applies from now: no jump, then it takes over */
    CHECK(as_scheduler_add_name(s, 1.0, "joy", 0.8f, AS_KEEP_STRENGTH) == AS_OK);
    float max_step = 0.0f;
    for (int i = 0; i < 90; i++) {
        as_scheduler_next(s, &c, &st);
        float step = fabsf(c.w[AS_EMO_JOY] - prev.w[AS_EMO_JOY]);
        if (step > max_step) max_step = step;
        prev = c;
        if (i == 0) CHECK(c.w[AS_EMO_JOY] < 0.02f); /* starts from where it was */
    }
    CHECKF(max_step < 0.1f, "largest per-frame step %g", max_step);
    CHECK(c.w[AS_EMO_JOY] > 0.99f);
    CHECK(st == 1.0f); /* AS_KEEP_STRENGTH kept the strength in force */
    CHECK(as_scheduler_add_name(s, 5.0, "nosuchfeeling", 0.5f, 1.0f) == AS_ERR_UNKNOWN);
    CHECK(as_scheduler_add_name(s, 5.0, "joy", 1.5f, 1.0f) == AS_ERR_RANGE);
    CHECK(as_scheduler_add(s, 5.0, &c, 2.5f) == AS_ERR_RANGE);
    CHECK(as_scheduler_add(s, NAN, &c, 1.0f) == AS_ERR_INVALID_ARG);

    /* the fixed capacity */
    as_result r = AS_OK;
    int accepted = 0;
    for (int k = 0; k < AS_SCHEDULER_MAX_EVENTS + 1 && r == AS_OK; k++) {
        r = as_scheduler_add(s, 100.0 + k, &c, 1.0f);
        if (r == AS_OK) accepted++;
    }
    CHECK(r == AS_ERR_RANGE && accepted == AS_SCHEDULER_MAX_EVENTS);
    CHECK(strstr(as_last_error(), "pending") != NULL);
    as_scheduler_destroy(s);

    as_timeline_params p = as_timeline_default_params();
    p.fps = 0.0f;
    CHECK(as_scheduler_create(&p, NULL, 1.0f) == NULL);
    CHECK(strstr(as_last_error(), "fps") != NULL);
    CHECK(as_scheduler_create(NULL, NULL, 3.0f) == NULL);
}

static void test_align_and_end_to_end(void)
{
    as_tagged_text tt;
    CHECK(as_tags_parse("[joy:80] Thanks so much! [sadness:40] I must go.", AS_TEXT_NUL_TERMINATED, NULL, &tt) == AS_OK);
    /* words of "Thanks so much! I must go." */
    size_t offs[6] = {0, 7, 10, 16, 18, 23};
    double times[6] = {0.10, 0.45, 0.62, 1.40, 1.55, 1.80};
    double starts[2];
    CHECK(as_segments_align(tt.segments, tt.num_segments, offs, times, 6, 2.5, starts) == AS_OK);
    CHECK(starts[0] == 0.10 && starts[1] == 1.40);
    size_t n = as_timeline_frame_count(2.5, 30.0f);
    CHECK(n == 75);
    CHECK(as_timeline_frame_count(2.0, 30.0f) == 60 && as_timeline_frame_count(0.0, 30.0f) == 0);
    as_timeline tl;
    CHECK(as_timeline_build(&tl, tt.segments, starts, tt.num_segments, n, NULL) == AS_OK);
    CHECK(tl.cond[0].w[AS_EMO_JOY] == 1.0f);
    CHECK(tl.cond[74].w[AS_EMO_SADNESS] > 0.8f);
    as_timeline_clear(&tl);
    /* no word after a segment: it starts at the end */
    size_t offs1[1] = {0};
    double t1[1] = {0.2};
    CHECK(as_segments_align(tt.segments, tt.num_segments, offs1, t1, 1, 2.5, starts) == AS_OK);
    CHECK(starts[1] == 2.5);
    as_tagged_text_clear(&tt);
}

/* ---- allocation failures ---------------------------------------------------------- */

static int fail_at = -1, alloc_count = 0;
static void *fail_malloc(size_t n, void *u) { (void)u; return alloc_count++ == fail_at ? NULL : malloc(n); }
static void *fail_realloc(void *p, size_t n, void *u) { (void)u; return alloc_count++ == fail_at ? NULL : realloc(p, n); }
static void fail_free(void *p, void *u) { (void)u; free(p); }

static void test_allocation_failures(void)
{
    make_segs5();
    /* warm the core's lazily loaded data before counting */
    as_tagged_text tt;
    as_tags_parse("[joy] x", AS_TEXT_NUL_TERMINATED, NULL, &tt);
    as_tagged_text_clear(&tt);
    as_allocator a = {fail_malloc, fail_realloc, fail_free, NULL};
    as_set_allocator(&a);
    int nomem = 0;
    for (fail_at = 0; fail_at < 4; fail_at++) {
        alloc_count = 0;
        as_result r = as_tags_parse("[joy] a [sadness] b", AS_TEXT_NUL_TERMINATED, NULL, &tt);
        if (r == AS_ERR_NOMEM) nomem++;
        else CHECK(r == AS_OK);
        as_tagged_text_clear(&tt);
        alloc_count = 0;
        as_timeline tl;
        r = as_timeline_build(&tl, segs5, times5, 5, 30, NULL);
        if (r == AS_ERR_NOMEM) nomem++;
        else CHECK(r == AS_OK);
        as_timeline_clear(&tl);
        alloc_count = 0;
        as_scheduler *s = as_scheduler_create(NULL, NULL, 1.0f);
        if (!s) nomem++;
        as_scheduler_destroy(s);
    }
    fail_at = -1;
    as_set_allocator(NULL);
    CHECK(nomem >= 6); /* 2 parse + 3 build + 1 create allocations each failed once */
}

int main(void)
{
    test_strip_and_segments();
    test_strength_and_vad_tags();
    test_korean();
    test_malformed_tags();
    test_crossfade_width();
    test_crossfade_is_in_conditioning_space();
    test_onset_faster_than_offset();
    test_strength();
    test_determinism();
    test_scheduler_matches_offline();
    test_scheduler_late_and_limits();
    test_align_and_end_to_end();
    test_allocation_failures();
    return test_finish("test_timeline");
}
