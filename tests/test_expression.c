/* tests/test_expression.c — the expression engine through the public API:
 * channel table, taxonomy and anchors, lexicon, preset bank validation and
 * round trip, and the whole quality contract over the built-in bank and over
 * a deliberately different user preset file. */
#define _DEFAULT_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "animasync/animasync.h"
#include "core/internal.h"
#include "testutil.h"

static void test_channels(void)
{
    CHECK(AS_NUM_CHANNELS == 52);
    CHECK(!strcmp(as_channel_name(0), "eyeBlinkLeft"));
    CHECK(!strcmp(as_channel_name(51), "tongueOut"));
    CHECK(!strcmp(as_channel_name(AS_JAW_OPEN), "jawOpen"));
    CHECK(as_channel_name(52) == NULL && as_channel_name(-1) == NULL);
    int counts[3] = {0, 0, 0};
    for (int i = 0; i < AS_NUM_CHANNELS; i++) {
        CHECK(as_channel_find(as_channel_name(i)) == i);
        int m = as_channel_mirror(i);
        CHECK(m >= 0 && as_channel_mirror(m) == i);
        CHECK(as_channel_class_of(m) == as_channel_class_of(i));
        for (int j = 0; j < i; j++) CHECK(strcmp(as_channel_name(i), as_channel_name(j)) != 0);
        counts[as_channel_class_of(i)]++;
        /* A Left channel mirrors onto its Right twin by name. */
        const char *n = as_channel_name(i);
        size_t len = strlen(n);
        if (len > 4 && !strcmp(n + len - 4, "Left")) {
            char twin[64];
            snprintf(twin, sizeof twin, "%.*sRight", (int)(len - 4), n);
            CHECK(as_channel_find(twin) == m);
        }
    }
    CHECKF(counts[AS_CHANNEL_LIPSYNC] == 14 && counts[AS_CHANNEL_SHARED] == 14 && counts[AS_CHANNEL_EXPRESSION] == 24,
           "lipsync %d shared %d expression %d", counts[0], counts[1], counts[2]);
    CHECK(as_channel_class_of(AS_MOUTH_CLOSE) == AS_CHANNEL_LIPSYNC);
    CHECK(as_channel_class_of(AS_MOUTH_SMILE_LEFT) == AS_CHANNEL_SHARED);
    CHECK(as_channel_class_of(AS_BROW_INNER_UP) == AS_CHANNEL_EXPRESSION);
    CHECK(as_channel_find("nope") == -1);
}

static float vad_dist(as_vad a, as_vad b)
{
    return sqrtf((a.v - b.v) * (a.v - b.v) + (a.a - b.a) * (a.a - b.a) + (a.d - b.d) * (a.d - b.d));
}

static void test_taxonomy(void)
{
    CHECK(as_emotion_find("JOY") == AS_EMO_JOY);
    CHECK(as_emotion_find("shy") == AS_EMO_SHY);
    CHECK(as_emotion_family(AS_EMO_REFUSAL) == AS_FAMILY_ANGER);
    CHECK(as_emotion_family(AS_EMO_SHY) == AS_FAMILY_SURPRISE);
    CHECK(as_emotion_family(AS_EMO_WORRY) == AS_FAMILY_SADNESS);
    CHECK(as_family_parent(AS_FAMILY_JOY) == AS_EMO_JOY);
    as_vad n = as_neutral_vad();
    CHECK(n.v == 0.50f && n.a == 0.30f && n.d == 0.50f);
    /* Base anchors of ARCHITECTURE.md, fixed at L3. */
    struct { as_emotion e; float v, a, d; } base[] = {
        {AS_EMO_JOY, 0.87f, 0.72f, 0.72f}, {AS_EMO_ANGER, 0.17f, 0.82f, 0.80f},
        {AS_EMO_SADNESS, 0.17f, 0.30f, 0.28f}, {AS_EMO_SURPRISE, 0.55f, 0.82f, 0.42f},
        {AS_EMO_GRATITUDE, 0.85f, 0.45f, 0.52f}};
    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++) {
        as_vad p = as_emotion_anchor(base[i].e, 3);
        CHECKF(fabsf(p.v - base[i].v) < 1e-6f && fabsf(p.a - base[i].a) < 1e-6f && fabsf(p.d - base[i].d) < 1e-6f,
               "%s L3 anchor %.2f/%.2f/%.2f", as_emotion_name(base[i].e), p.v, p.a, p.d);
    }
    /* 80 anchors inside 0..1, moving away from neutral with the level. */
    for (int e = 1; e < AS_NUM_EMOTIONS; e++) {
        float prev = -1.0f;
        for (int l = 1; l <= 5; l++) {
            as_vad p = as_emotion_anchor(e, l);
            CHECK(p.v > 0.0f && p.v < 1.0f && p.a > 0.0f && p.a < 1.0f && p.d > 0.0f && p.d < 1.0f);
            float dist = vad_dist(p, n);
            CHECKF(dist > prev, "%s L%d not further from neutral than L%d", as_emotion_name(e), l, l - 1);
            prev = dist;
        }
        /* Continuous intensity passes through the levels. */
        as_vad mid = as_emotion_anchor_at(e, 0.5f), l3 = as_emotion_anchor(e, 3);
        CHECK(vad_dist(mid, l3) < 1e-6f);
        as_vad q = as_emotion_anchor_at(e, 0.125f), l1 = as_emotion_anchor(e, 1), l2 = as_emotion_anchor(e, 2);
        CHECK(fabsf(q.v - 0.5f * (l1.v + l2.v)) < 1e-5f);
    }
}

static void test_lexicon(void)
{
    CHECKF(as_lexicon_count() >= 60 + AS_NUM_EMOTIONS, "lexicon has %zu names", as_lexicon_count());
    const char *must[] = {"happy", "thanks", "lol", "scared", "embarrassed", "relief", "love", "disgust",
                          "contempt", "기쁨", "감사", "슬픔", "화남", "놀람"};
    int korean = 0;
    for (size_t i = 0; i < as_lexicon_count(); i++) korean += (unsigned char)as_lexicon_at(i)->name[0] >= 0x80;
    CHECKF(korean >= 10, "only %d Korean names", korean);
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++) {
        as_lexicon_entry e;
        CHECKF(as_lexicon_lookup(must[i], &e) == AS_OK, "%s: %s", must[i], as_last_error());
    }
    as_lexicon_entry a, b;
    CHECK(as_lexicon_lookup("HAPPY", &a) == AS_OK && as_lexicon_lookup("  happy ", &b) == AS_OK);
    CHECK(a.emotion == b.emotion && a.emotion == AS_EMO_JOY);
    CHECK(as_lexicon_lookup("Gratitude", &a) == AS_OK && a.emotion == AS_EMO_GRATITUDE);
    as_vad g3 = as_emotion_anchor(AS_EMO_GRATITUDE, 3);
    CHECK(vad_dist(a.vad, g3) < 1e-6f);
    CHECK(as_lexicon_lookup("hapy", &a) == AS_ERR_UNKNOWN);
    CHECKF(strstr(as_last_error(), "\"happy\"") != NULL, "no suggestion: %s", as_last_error());
    CHECK(as_lexicon_lookup("기뿜", &a) == AS_ERR_UNKNOWN);
    CHECKF(strstr(as_last_error(), "기쁨") != NULL, "no Korean suggestion: %s", as_last_error());
    CHECK(as_lexicon_lookup("\xff\xfe", &a) != AS_OK);
    CHECK(as_lexicon_lookup("", &a) != AS_OK);
    /* Unique names, case-insensitively. */
    for (size_t i = 0; i < as_lexicon_count(); i++)
        for (size_t j = 0; j < i; j++) CHECKF(strcasecmp(as_lexicon_at(i)->name, as_lexicon_at(j)->name) != 0,
                                              "duplicate %s", as_lexicon_at(i)->name);
    /* A word keeps its own nuance: "furious" is not plain anger at the same level. */
    as_cond c1, c2;
    CHECK(as_cond_from_name("anger", 0.5f, &c1) == AS_OK);
    if (as_cond_from_name("furious", 0.5f, &c2) == AS_OK) {
        CHECK(c2.w[AS_EMO_ANGER] == 1.0f || c2.w[AS_EMO_REFUSAL] == 1.0f);
        CHECK(c1.v != c2.v || c1.a != c2.a || c1.d != c2.d);
    }
    CHECK(as_cond_from_name("joy", 1.5f, &c1) == AS_ERR_RANGE);
}

/* The contract through the public API, with direct checks beside the report. */
static void check_bank(const as_preset_bank *bank, const char *label)
{
    as_contract_report rep;
    CHECK(as_contract_check(bank, NULL, NULL, &rep) == AS_OK);
    for (int i = 0; i < rep.n; i++)
        CHECKF(rep.m[i].pass, "%s: %s = %g (threshold %g) %s", label, rep.m[i].name, rep.m[i].value,
               rep.m[i].threshold, rep.m[i].detail);
    CHECK(rep.all_pass);
    CHECK(rep.n >= 9);

    as_compiler *c = as_compiler_create(bank, NULL);
    CHECK(c != NULL);
    if (!c) return;
    float out[AS_NUM_CHANNELS], preset[AS_NUM_CHANNELS], neutral[AS_NUM_CHANNELS];
    as_preset_bank_get(bank, AS_EMO_NEUTRAL, 3, neutral);
    double worst = 0.0;
    for (int i = 0; i < AS_NUM_PRESETS; i++) {
        as_emotion e;
        int level;
        as_preset_slot(i, &e, &level);
        as_cond q = as_cond_make(e, as_emotion_anchor(e, level));
        CHECK(as_compile(c, out, &q, 1.0f) == AS_OK);
        as_preset_bank_get(bank, e, level, preset);
        for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) worst = fmax(worst, fabs((double)out[ch] - preset[ch]));
        /* strength 0 is the neutral face exactly, whatever the emotion. */
        CHECK(as_compile(c, out, &q, 0.0f) == AS_OK);
        CHECK(memcmp(out, neutral, sizeof out) == 0);
        /* strength 2 exaggerates: further from neutral than strength 1. */
        if (e != AS_EMO_NEUTRAL) {
            float s1[AS_NUM_CHANNELS];
            as_compile(c, s1, &q, 1.0f);
            as_compile(c, out, &q, 2.0f);
            CHECK(as_expression_magnitude(out, neutral) > as_expression_magnitude(s1, neutral));
        }
    }
    CHECKF(worst <= 1e-4, "%s: anchor error %g", label, worst);
    /* The lexicon path at a level lands on the preset too. */
    as_cond q;
    CHECK(as_cond_from_name("sadness", 1.0f, &q) == AS_OK);
    as_compile(c, out, &q, 1.0f);
    as_preset_bank_get(bank, AS_EMO_SADNESS, 5, preset);
    for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) CHECK(fabsf(out[ch] - preset[ch]) <= 1e-4f);
    /* Crossfade middle: a 50/50 mix of joy and sadness is a valid face, between the two. */
    as_cond mix;
    memset(&mix, 0, sizeof mix);
    mix.w[AS_EMO_JOY] = 0.5f;
    mix.w[AS_EMO_SADNESS] = 0.5f;
    as_vad j = as_emotion_anchor(AS_EMO_JOY, 3), s = as_emotion_anchor(AS_EMO_SADNESS, 3);
    mix.v = 0.5f * (j.v + s.v);
    mix.a = 0.5f * (j.a + s.a);
    mix.d = 0.5f * (j.d + s.d);
    CHECK(as_compile(c, out, &mix, 2.0f) == AS_OK);
    CHECK(as_track_violations(out, 1) == 0);
    /* Bad input is refused, not compiled. */
    as_cond bad = mix;
    bad.v = NAN;
    CHECK(as_compile(c, out, &bad, 1.0f) == AS_ERR_RANGE);
    CHECK(as_compile(c, out, &mix, 2.5f) == AS_ERR_RANGE);
    bad = mix;
    bad.w[3] = -1.0f;
    CHECK(as_compile(c, out, &bad, 1.0f) == AS_ERR_RANGE);
    as_compiler_destroy(c);
}

/* A deliberately different bank: every face mirrored left/right, deviations
 * scaled by 0.8, brows lifted on sadness-family faces, refusal made one-sided. */
static char *different_bank_json(void)
{
    as_preset_bank *b = as_preset_bank_clone(NULL);
    float w[AS_NUM_CHANNELS], m[AS_NUM_CHANNELS];
    for (int i = 0; i < AS_NUM_PRESETS; i++) {
        as_emotion e;
        int level;
        as_preset_slot(i, &e, &level);
        as_preset_bank_get(b, e, level, w);
        for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) m[as_channel_mirror(ch)] = 0.8f * w[ch];
        if (as_emotion_family(e) == AS_FAMILY_SADNESS) m[AS_BROW_INNER_UP] = fminf(0.45f, m[AS_BROW_INNER_UP] + 0.05f);
        if (e == AS_EMO_REFUSAL) m[AS_MOUTH_DIMPLE_LEFT] = 0.05f * (float)level;
        as_preset_bank_set(b, e, level, m);
    }
    char *json = as_preset_bank_to_json(b);
    as_preset_bank_destroy(b);
    return json;
}

static void test_banks(void)
{
    const as_preset_bank *def = as_preset_bank_default();
    CHECKF(def != NULL, "built-in bank: %s", as_last_error());
    if (!def) return;
    check_bank(def, "built-in");

    /* Export and reload: bit-identical. */
    char *json = as_preset_bank_to_json(def);
    as_preset_bank *again = as_preset_bank_from_json(json, strlen(json), "export");
    CHECK(again != NULL);
    float a[AS_NUM_CHANNELS], b[AS_NUM_CHANNELS];
    for (int i = 0; again && i < AS_NUM_PRESETS; i++) {
        as_emotion e;
        int level;
        as_preset_slot(i, &e, &level);
        as_preset_bank_get(def, e, level, a);
        as_preset_bank_get(again, e, level, b);
        CHECK(memcmp(a, b, sizeof a) == 0);
    }
    as_preset_bank_destroy(again);
    as_free(json);

    /* A different user bank, through a real file. */
    const char *dir = test_tmpdir();
    char path[256];
    snprintf(path, sizeof path, "%s/user.json", dir);
    char *alt = different_bank_json();
    FILE *f = fopen(path, "w");
    fputs(alt, f);
    fclose(f);
    as_free(alt);
    as_preset_bank *user = as_preset_bank_load(path);
    CHECKF(user != NULL, "%s", as_last_error());
    if (user) {
        as_preset_bank_get(user, AS_EMO_JOY, 3, a);
        as_preset_bank_get(def, AS_EMO_JOY, 3, b);
        CHECK(memcmp(a, b, sizeof a) != 0);
        check_bank(user, "user file");
        /* The compiler follows the user bank at its anchors, not the built-in one. */
        as_compiler *c = as_compiler_create(user, NULL);
        as_cond q = as_cond_make(AS_EMO_JOY, as_emotion_anchor(AS_EMO_JOY, 3));
        as_compile(c, b, &q, 1.0f);
        for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) CHECK(fabsf(a[ch] - b[ch]) <= 1e-4f);
        as_compiler_destroy(c);
        as_preset_bank_destroy(user);
    }

    /* A partial file overrides just its entries. */
    const char *partial = "{\"presets\": [{\"emotion\": \"joy\", \"level\": 5, \"weights\": {\"mouthSmileLeft\": 0.5}}]}";
    as_preset_bank *p = as_preset_bank_from_json(partial, strlen(partial), "partial.json");
    CHECK(p != NULL);
    if (p) {
        as_preset_bank_get(p, AS_EMO_JOY, 5, a);
        CHECK(a[AS_MOUTH_SMILE_LEFT] == 0.5f && a[AS_MOUTH_SMILE_RIGHT] == 0.0f);
        as_preset_bank_get(p, AS_EMO_SADNESS, 3, a);
        as_preset_bank_get(def, AS_EMO_SADNESS, 3, b);
        CHECK(memcmp(a, b, sizeof a) == 0);
        as_preset_bank_destroy(p);
    }
}

static void expect_reject(const char *json, const char *needle)
{
    as_preset_bank *b = as_preset_bank_from_json(json, strlen(json), "bad.json");
    CHECKF(b == NULL, "accepted: %s", json);
    as_preset_bank_destroy(b);
    CHECKF(strstr(as_last_error(), "bad.json") != NULL, "no file name in: %s", as_last_error());
    CHECKF(strstr(as_last_error(), needle) != NULL, "\"%s\" not in: %s", needle, as_last_error());
}

static void test_validation(void)
{
    expect_reject("{\"presets\": [", "malformed");
    expect_reject("[1,2]", "object");
    expect_reject("{\"format\": \"other\", \"presets\": []}", "format");
    expect_reject("{\"version\": 9, \"presets\": []}", "version");
    expect_reject("{\"presets\": [{\"emotion\": \"joy\", \"level\": 3, \"weights\": {\"mouthSmil\": 0.2}}]}", "mouthSmil");
    expect_reject("{\"presets\": [{\"emotion\": \"joy\", \"level\": 3, \"weights\": {\"mouthSmileLeft\": 1.2}}]}", "presets[0]");
    expect_reject("{\"presets\": [{\"emotion\": \"joy\", \"level\": 3, \"weights\": {\"mouthSmileLeft\": \"x\"}}]}", "0..1");
    expect_reject("{\"presets\": [{\"emotion\": \"glee\", \"level\": 3, \"weights\": {}}]}", "glee");
    expect_reject("{\"presets\": [{\"emotion\": \"joy\", \"level\": 2, \"weights\": {}}]}", "level");
    expect_reject("{\"presets\": [{\"emotion\": \"joy\", \"level\": 3, \"weights\": {}}, "
                  "{\"emotion\": \"joy\", \"level\": 3, \"weights\": {}}]}", "duplicate");
    expect_reject("{\"presets\": [{\"emotion\": \"joy\", \"level\": 3, \"weights\": {}, \"colour\": 1}]}", "colour");
    CHECK(as_preset_bank_load("/nonexistent/presets.json") == NULL);
    CHECK(strstr(as_last_error(), "/nonexistent/presets.json") != NULL);
    /* Saving to an unwritable place fails and leaves nothing. */
    CHECK(as_preset_bank_save(NULL, "/nonexistent/dir/out.json") == AS_ERR_IO);
}

/* Regression: a message that quotes the previous one (as_fail(..., "%s",
 * as_last_error())) keeps it instead of reading its own half-written text. */
static void test_error_chaining(void)
{
    as_lexicon_entry e;
    CHECK(as_lexicon_lookup("glee", &e) == AS_ERR_UNKNOWN);
    as_result r = as_fail(AS_ERR_PARSE, "outer: %s", as_last_error());
    (void)r;
    CHECKF(strstr(as_last_error(), "outer: unknown emotion \"glee\"") != NULL, "got: %s", as_last_error());
}

static void test_metrics_can_fail(void)
{
    /* A bank where every class wears the same face must fail distinctiveness,
     * coherence and monotonic intensity: the metrics are not rubber stamps. */
    as_preset_bank *flat = as_preset_bank_clone(NULL);
    float w[AS_NUM_CHANNELS] = {0};
    w[AS_BROW_INNER_UP] = 0.3f;
    w[AS_MOUTH_SMILE_LEFT] = w[AS_MOUTH_SMILE_RIGHT] = 0.3f;
    for (int i = 1; i < AS_NUM_PRESETS; i++) {
        as_emotion e;
        int level;
        as_preset_slot(i, &e, &level);
        as_preset_bank_set(flat, e, level, w);
    }
    as_contract_params cp = as_contract_default_params();
    cp.validity_queries = 1000;
    cp.grid_per_axis = 6;
    as_contract_report rep;
    CHECK(as_contract_check(flat, NULL, &cp, &rep) == AS_OK);
    CHECK(!rep.all_pass);
    int failed_distinct = 0, failed_mono = 0;
    for (int i = 0; i < rep.n; i++) {
        if (strstr(rep.m[i].name, "distinctiveness") && !rep.m[i].pass) failed_distinct++;
        if (strstr(rep.m[i].name, "monotonic") && !rep.m[i].pass) failed_mono++;
    }
    CHECK(failed_distinct == 2 && failed_mono == 1);
    as_preset_bank_destroy(flat);

    float face[AS_NUM_CHANNELS] = {0};
    face[AS_MOUTH_SMILE_LEFT] = 0.5f;
    face[AS_MOUTH_FROWN_LEFT] = 0.4f;
    face[AS_EYE_BLINK_RIGHT] = 0.9f;
    face[AS_EYE_WIDE_RIGHT] = 0.5f;
    CHECK(as_track_violations(face, 1) == 2);
    as_resolve_antagonists(face);
    CHECK(as_track_violations(face, 1) == 0);
    CHECK(fabsf(face[AS_MOUTH_FROWN_LEFT] - 0.3f) < 1e-6f && fabsf(face[AS_MOUTH_SMILE_LEFT] - 0.4f) < 1e-6f);
    /* Smoothness: a 0/1 flicker on a brow is rough, a slow ramp is smooth. */
    float track[10 * AS_NUM_CHANNELS] = {0};
    for (int t = 0; t < 10; t++) track[t * AS_NUM_CHANNELS + AS_BROW_INNER_UP] = (float)(t % 2);
    int worst;
    CHECK(as_track_smoothness(track, 10, &worst) > 1.0 && worst == AS_BROW_INNER_UP);
    for (int t = 0; t < 10; t++) track[t * AS_NUM_CHANNELS + AS_BROW_INNER_UP] = 0.01f * t;
    CHECK(as_track_smoothness(track, 10, NULL) < 1e-6);
}

/* Fault injection: fail the N-th allocation; every create path must return
 * NULL cleanly (ASan's leak checker catches what it forgets to free). */
static int fail_at = -1, alloc_count = 0;
static void *fi_malloc(size_t n, void *u) { (void)u; return alloc_count++ == fail_at ? NULL : malloc(n); }
static void *fi_realloc(void *p, size_t n, void *u) { (void)u; return alloc_count++ == fail_at ? NULL : realloc(p, n); }
static void fi_free(void *p, void *u) { (void)u; free(p); }

static void test_fault_injection(void)
{
    const char *partial = "{\"presets\": [{\"emotion\": \"joy\", \"level\": 5, \"weights\": {\"mouthSmileLeft\": 0.5}}]}";
    as_allocator fi = {fi_malloc, fi_realloc, fi_free, NULL};
    int survived = 0;
    for (fail_at = 0; fail_at < 8; fail_at++) {
        alloc_count = 0;
        as_set_allocator(&fi);
        as_preset_bank *b = as_preset_bank_from_json(partial, strlen(partial), "p.json");
        as_compiler *c = as_compiler_create(b, NULL);
        char *json = b ? as_preset_bank_to_json(b) : NULL;
        as_set_allocator(NULL);
        survived += b && c && json;
        as_free(json);
        as_compiler_destroy(c);
        as_preset_bank_destroy(b);
    }
    CHECK(survived >= 1); /* once fail_at passes the allocations made, all succeed */
}

int main(void)
{
    test_channels();
    test_taxonomy();
    test_lexicon();
    test_banks();
    test_validation();
    test_error_chaining();
    test_metrics_can_fail();
    test_fault_injection();
    return test_finish("test_expression");
}
