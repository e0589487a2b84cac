/* test_scenarios.c — the scenario corpus (data/scenarios/) and its loader:
 * the shipped corpus loads and meets its size, language, class, level and
 * split targets (docs/CORPUS.md); a small fixture loads with exact values;
 * every kind of malformed input fails with a one-line error naming file, line
 * and field; loading is deterministic and survives failed allocations. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "animasync/scenarios.h"
#include "testutil.h"

#define CORPUS_DIR AS_SOURCE_DIR "/data/scenarios"

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); exit(2); }
    fputs(text, f);
    fclose(f);
}

static void remove_file(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
}

/* Removes the files a test wrote and its temporary directory. */
static void remove_dir(const char *dir)
{
    static const char *const names[] = {"a.jsonl", "b.jsonl", "c.jsonl", "d.jsonl", "m.jsonl", "notes.txt",
                                        "split.json"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) remove_file(dir, names[i]);
    rmdir(dir);
}

/* ---- the shipped corpus ---- */

static void test_shipped_corpus(void)
{
    as_corpus *c = as_corpus_load(CORPUS_DIR);
    CHECKF(c != NULL, "%s", as_last_error());
    if (!c) return;
    as_corpus_counts k, self;
    CHECK(as_corpus_count(c, AS_CORPUS_ANY, AS_CORPUS_ANY, &k) == AS_OK);
    CHECK(as_corpus_count(c, AS_CORPUS_ANY, AS_SPEAKER_SELF, &self) == AS_OK);

    /* size */
    CHECKF(k.turns >= 1000, "%zu turns", k.turns);
    CHECKF(k.scenarios >= 150, "%zu scenarios", k.scenarios);
    CHECK(k.turns == as_corpus_turn_count(c));
    CHECK(k.scenarios == as_corpus_scenario_count(c));

    /* languages: both, Korean at least 40% of the turns */
    CHECK(k.lang_scenarios[AS_LANG_EN] > 0 && k.lang_scenarios[AS_LANG_KO] > 0);
    double ko = (double)k.lang_turns[AS_LANG_KO] / (double)k.turns;
    CHECKF(ko >= 0.40, "Korean share %.3f", ko);

    /* classes: at least 40 turns and 40 SELF turns each, at least 4 of the 5 levels each */
    for (int e = 0; e < AS_NUM_EMOTIONS; e++) {
        CHECKF(k.class_turns[e] >= 40, "%s: %zu turns", as_emotion_name((as_emotion)e), k.class_turns[e]);
        CHECKF(self.class_turns[e] >= 40, "%s: %zu SELF turns", as_emotion_name((as_emotion)e), self.class_turns[e]);
        CHECKF(as_corpus_levels_used(&k, (as_emotion)e) >= 4, "%s uses %d levels", as_emotion_name((as_emotion)e),
               as_corpus_levels_used(&k, (as_emotion)e));
    }
    /* every level is used, none dominates completely */
    for (int l = 0; l < AS_NUM_LEVELS; l++) CHECKF(k.level_turns[l] >= 20, "L%d: %zu turns", l + 1, k.level_turns[l]);
    /* overrides exist but stay rare (docs/LABELLING.md: about one turn in ten) */
    CHECKF(k.vad_overrides > 0 && k.vad_overrides * 5 < k.turns, "%zu overrides", k.vad_overrides);

    /* every turn: a level 1..5, a vad in 0..1 equal to the anchor unless overridden */
    size_t bad_vad = 0, bad_link = 0;
    for (size_t i = 0; i < as_corpus_turn_count(c); i++) {
        const as_corpus_turn *t = as_corpus_turn_at(c, i);
        const as_corpus_scenario *s = as_corpus_scenario_at(c, t->scenario);
        if (!s || s->first_turn + t->index != i) bad_link++;
        as_vad a = as_emotion_anchor(t->emotion, t->level);
        if (t->level < 1 || t->level > 5 || t->vad.v < 0 || t->vad.v > 1 || t->vad.a < 0 || t->vad.a > 1 ||
            t->vad.d < 0 || t->vad.d > 1 || (!t->has_vad && (t->vad.v != a.v || t->vad.a != a.a || t->vad.d != a.d)))
            bad_vad++;
    }
    CHECK(bad_vad == 0);
    CHECK(bad_link == 0);

    /* tags: only the vocabulary of docs/CORPUS.md; every scenario names its
     * domain, every Korean scenario its register */
    static const char *const domains[] = {"companion", "vtuber", "game", "daily", "friends", "family",
                                          "romance", "work", "service", "school"};
    static const char *const others[] = {"shift", "small-talk", "polite-refusal", "thanks-through-tears",
                                         "tears-of-joy", "sarcasm", "mixed", "sulky-apology",
                                         "banmal", "jondaemal", "mixed-register"};
    size_t unknown_tags = 0, no_domain = 0, no_register = 0, n_shift = 0;
    for (size_t i = 0; i < as_corpus_scenario_count(c); i++) {
        const as_corpus_scenario *s = as_corpus_scenario_at(c, i);
        int has_domain = 0, has_register = 0;
        for (size_t t = 0; t < s->n_tags; t++) {
            int known = 0;
            for (size_t d = 0; d < sizeof domains / sizeof domains[0]; d++)
                if (strcmp(s->tags[t], domains[d]) == 0) known = has_domain = 1;
            for (size_t d = 0; d < sizeof others / sizeof others[0]; d++)
                if (strcmp(s->tags[t], others[d]) == 0) {
                    known = 1;
                    if (d >= 8) has_register = 1;
                }
            n_shift += strcmp(s->tags[t], "shift") == 0;
            if (!known) { unknown_tags++; fprintf(stderr, "%s: unknown tag '%s'\n", s->id, s->tags[t]); }
        }
        no_domain += !has_domain;
        no_register += s->lang == AS_LANG_KO && !has_register;
    }
    CHECK(unknown_tags == 0);
    CHECK(no_domain == 0);
    CHECK(no_register == 0);
    CHECKF(n_shift >= 30, "%zu scenarios with an emotion shift", n_shift);
    as_corpus_destroy(c);
}

/* The split, read independently from split.json: disjoint, complete, about
 * 80/10/10 of turns, every class in every split with a share near the
 * corpus-wide one. */
static void test_shipped_split(void)
{
    as_corpus *c = as_corpus_load(CORPUS_DIR);
    CHECKF(c != NULL, "%s", as_last_error());
    if (!c) return;
    char *text = test_read_file(CORPUS_DIR "/split.json", NULL);
    CHECK(text != NULL);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    CHECK(j != NULL);
    size_t listed = 0;
    int *seen = calloc(as_corpus_scenario_count(c) + 1, sizeof *seen);
    for (int sp = 0; j && sp < AS_NUM_SPLITS; sp++) {
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, as_split_name((as_split)sp));
        CHECK(cJSON_IsArray(arr));
        const cJSON *e;
        cJSON_ArrayForEach(e, arr) {
            listed++;
            const as_corpus_scenario *s = cJSON_IsString(e) ? as_corpus_scenario_find(c, e->valuestring) : NULL;
            CHECKF(s != NULL, "split.json lists an unknown id");
            if (!s) continue;
            size_t idx = (size_t)(s - as_corpus_scenario_at(c, 0));
            seen[idx]++;
            CHECKF(s->split == (as_split)sp, "%s: loader says %s", s->id, as_split_name(s->split));
        }
    }
    CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "method")));
    CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "command")));
    CHECKF(listed == as_corpus_scenario_count(c), "%zu listed, %zu scenarios", listed, as_corpus_scenario_count(c));
    size_t twice = 0, never = 0;
    for (size_t i = 0; i < as_corpus_scenario_count(c); i++) {
        twice += seen[i] > 1;
        never += seen[i] == 0;
    }
    CHECK(twice == 0);
    CHECK(never == 0);
    free(seen);
    cJSON_Delete(j);
    free(text);

    as_corpus_counts k;
    CHECK(as_corpus_count(c, AS_CORPUS_ANY, AS_CORPUS_ANY, &k) == AS_OK);
    CHECK(k.split_turns[AS_SPLIT_NONE] == 0);
    static const double target[AS_NUM_SPLITS] = {0.8, 0.1, 0.1};
    for (int sp = 0; sp < AS_NUM_SPLITS; sp++) {
        double share = (double)k.split_turns[sp] / (double)k.turns;
        CHECKF(fabs(share - target[sp]) <= 0.02, "%s: %.3f of the turns", as_split_name((as_split)sp), share);
        for (int e = 0; e < AS_NUM_EMOTIONS; e++) {
            CHECKF(k.split_class[sp][e] > 0, "%s has no %s turn", as_split_name((as_split)sp),
                   as_emotion_name((as_emotion)e));
            /* class share in the split vs overall: within 3 points */
            double in_split = (double)k.split_class[sp][e] / (double)k.split_turns[sp];
            double overall = (double)k.class_turns[e] / (double)k.turns;
            CHECKF(fabs(in_split - overall) <= 0.03, "%s %s: %.3f vs %.3f", as_split_name((as_split)sp),
                   as_emotion_name((as_emotion)e), in_split, overall);
        }
        /* both languages in every split */
        as_corpus_counts ks;
        CHECK(as_corpus_count(c, sp, AS_CORPUS_ANY, &ks) == AS_OK);
        CHECK(ks.turns == k.split_turns[sp]);
        CHECK(ks.lang_turns[AS_LANG_EN] > 0 && ks.lang_turns[AS_LANG_KO] > 0);
    }
    /* translations share a split */
    for (size_t i = 0; i < as_corpus_scenario_count(c); i++) {
        const as_corpus_scenario *s = as_corpus_scenario_at(c, i);
        if (!s->parallel) continue;
        const as_corpus_scenario *p = as_corpus_scenario_find(c, s->parallel);
        CHECKF(p && p->split == s->split, "%s / %s", s->id, s->parallel);
    }
    as_corpus_destroy(c);
}

/* ---- a small valid fixture with exact expected values ---- */

static const char *fixture_a =
    "{\"id\": \"en-0001\", \"lang\": \"en\", \"title\": \"T1\", \"setting\": \"S1\", \"tags\": [\"daily\", \"shift\"], "
    "\"turns\": [{\"speaker\": \"OTHER\", \"text\": \"Hi.\", \"emotion\": \"neutral\", \"intensity\": 3}, "
    "{\"speaker\": \"SELF\", \"text\": \"Thank you, really.\", \"emotion\": \"crying\", \"intensity\": 3, "
    "\"vad\": [0.55, 0.62, 0.25], \"note\": \"thanks through tears\"}]}\r\n"
    "\n"
    "   \n"
    "{\"id\": \"ko-0001\", \"lang\": \"ko\", \"title\": \"제목\", \"setting\": \"설정\", \"parallel\": \"en-0001\", "
    "\"turns\": [{\"speaker\": \"SELF\", \"text\": \"고마워\", \"emotion\": \"gratitude\", \"intensity\": 5}]}\n";
static const char *fixture_b =
    "{\"id\": \"en-0002\", \"lang\": \"en\", \"title\": \"T2\", \"setting\": \"S2\", "
    "\"turns\": [{\"speaker\": \"SELF\", \"text\": \"No.\", \"emotion\": \"refusal\", \"intensity\": 4}]}\n";
static const char *fixture_split =
    "{\"format\": \"animasync-scenario-split\", \"version\": 1, \"method\": \"by hand\", \"command\": \"none\",\n"
    " \"train\": [\"en-0001\", \"ko-0001\"],\n"
    " \"validation\": [],\n"
    " \"test\": [\"en-0002\"]}\n";

static const char *make_fixture(void)
{
    const char *dir = test_tmpdir();
    write_file(dir, "b.jsonl", fixture_b); /* written first, loaded second */
    write_file(dir, "a.jsonl", fixture_a);
    write_file(dir, "split.json", fixture_split);
    write_file(dir, "notes.txt", "not a corpus file\n");
    return dir;
}

static void test_fixture(void)
{
    const char *dir = make_fixture();
    as_corpus *c = as_corpus_load(dir);
    CHECKF(c != NULL, "%s", as_last_error());
    if (!c) return;
    CHECK(as_corpus_scenario_count(c) == 3);
    CHECK(as_corpus_turn_count(c) == 4);
    /* file order a.jsonl then b.jsonl, line order inside */
    const as_corpus_scenario *s0 = as_corpus_scenario_at(c, 0), *s1 = as_corpus_scenario_at(c, 1),
                             *s2 = as_corpus_scenario_at(c, 2);
    CHECK(strcmp(s0->id, "en-0001") == 0 && s0->line == 1 && s0->lang == AS_LANG_EN);
    CHECK(strcmp(s1->id, "ko-0001") == 0 && s1->line == 4 && s1->lang == AS_LANG_KO);
    CHECK(strcmp(s2->id, "en-0002") == 0 && s2->line == 1 && strstr(s2->file, "b.jsonl") != NULL);
    CHECK(as_corpus_scenario_at(c, 3) == NULL);
    CHECK(s0->n_tags == 2 && strcmp(s0->tags[1], "shift") == 0);
    CHECK(s0->parallel == NULL && s1->parallel && strcmp(s1->parallel, "en-0001") == 0);
    CHECK(strcmp(s1->title, "제목") == 0 && strcmp(s1->setting, "설정") == 0);
    CHECK(s0->split == AS_SPLIT_TRAIN && s1->split == AS_SPLIT_TRAIN && s2->split == AS_SPLIT_TEST);
    CHECK(s0->first_turn == 0 && s0->n_turns == 2 && s1->first_turn == 2 && s2->first_turn == 3);
    CHECK(as_corpus_scenario_find(c, "en-0002") == s2);
    CHECK(as_corpus_scenario_find(c, "en-0003") == NULL);

    const as_corpus_turn *t0 = as_corpus_turn_at(c, 0), *t1 = as_corpus_turn_at(c, 1), *t2 = as_corpus_turn_at(c, 2);
    CHECK(t0->speaker == AS_SPEAKER_OTHER && strcmp(t0->text, "Hi.") == 0 && t0->emotion == AS_EMO_NEUTRAL);
    CHECK(t0->level == 3 && !t0->has_vad && t0->note == NULL);
    as_vad n = as_emotion_anchor(AS_EMO_NEUTRAL, 3);
    CHECK(t0->vad.v == n.v && t0->vad.a == n.a && t0->vad.d == n.d);
    CHECK(t1->speaker == AS_SPEAKER_SELF && t1->emotion == AS_EMO_CRYING && t1->level == 3 && t1->has_vad);
    CHECK(t1->vad.v == 0.55f && t1->vad.a == 0.62f && t1->vad.d == 0.25f);
    CHECK(t1->note && strcmp(t1->note, "thanks through tears") == 0);
    CHECK(t1->scenario == 0 && t1->index == 1);
    /* no override: the class anchor at the level (gratitude L5 = 0.97/0.62/0.62, docs/DATA.md) */
    as_vad g = as_emotion_anchor(AS_EMO_GRATITUDE, 5);
    CHECK(t2->emotion == AS_EMO_GRATITUDE && t2->level == 5 && !t2->has_vad);
    CHECK(t2->vad.v == g.v && t2->vad.a == g.a && t2->vad.d == g.d);
    CHECK(fabsf(g.v - 0.97f) < 1e-6f && fabsf(g.a - 0.62f) < 1e-6f);
    CHECK(strcmp(t2->text, "고마워") == 0 && t2->scenario == 1);
    CHECK(as_corpus_turn_at(c, 4) == NULL);

    /* counts, with filters */
    as_corpus_counts k, tr, self;
    CHECK(as_corpus_count(c, AS_CORPUS_ANY, AS_CORPUS_ANY, &k) == AS_OK);
    CHECK(k.turns == 4 && k.scenarios == 3 && k.vad_overrides == 1);
    CHECK(k.class_turns[AS_EMO_CRYING] == 1 && k.class_level[AS_EMO_REFUSAL][3] == 1);
    CHECK(k.class_speaker[AS_EMO_NEUTRAL][AS_SPEAKER_OTHER] == 1);
    CHECK(k.level_turns[2] == 2 && k.level_turns[3] == 1 && k.level_turns[4] == 1);
    CHECK(k.speaker_turns[AS_SPEAKER_SELF] == 3 && k.speaker_turns[AS_SPEAKER_OTHER] == 1);
    CHECK(k.lang_turns[AS_LANG_EN] == 3 && k.lang_turns[AS_LANG_KO] == 1 && k.lang_scenarios[AS_LANG_EN] == 2);
    CHECK(k.split_turns[AS_SPLIT_TRAIN] == 3 && k.split_turns[AS_SPLIT_VALIDATION] == 0 &&
          k.split_turns[AS_SPLIT_TEST] == 1);
    CHECK(k.split_scenarios[AS_SPLIT_TRAIN] == 2 && k.split_class[AS_SPLIT_TEST][AS_EMO_REFUSAL] == 1);
    CHECK(as_corpus_levels_used(&k, AS_EMO_NEUTRAL) == 1 && as_corpus_levels_used(&k, AS_EMO_JOY) == 0);
    CHECK(as_corpus_count(c, AS_SPLIT_TRAIN, AS_CORPUS_ANY, &tr) == AS_OK && tr.turns == 3 && tr.scenarios == 2);
    CHECK(as_corpus_count(c, AS_CORPUS_ANY, AS_SPEAKER_SELF, &self) == AS_OK && self.turns == 3 &&
          self.scenarios == 3 && self.class_turns[AS_EMO_NEUTRAL] == 0);
    CHECK(as_corpus_count(c, 7, AS_CORPUS_ANY, &k) == AS_ERR_INVALID_ARG);
    CHECK(as_corpus_count(c, AS_CORPUS_ANY, 2, &k) == AS_ERR_INVALID_ARG);
    CHECK(as_corpus_count(NULL, AS_CORPUS_ANY, AS_CORPUS_ANY, &k) == AS_ERR_INVALID_ARG);
    as_corpus_destroy(c);

    /* one file: split.json beside it applies; ids of the other file are fine */
    char path[512];
    snprintf(path, sizeof path, "%s/b.jsonl", dir);
    c = as_corpus_load(path);
    CHECKF(c != NULL, "%s", as_last_error());
    CHECK(c && as_corpus_scenario_count(c) == 1 && as_corpus_scenario_at(c, 0)->split == AS_SPLIT_TEST);
    as_corpus_destroy(c);
    /* one file without a split.json: no split, and that is not an error */
    remove_file(dir, "split.json");
    c = as_corpus_load(path);
    CHECKF(c != NULL, "%s", as_last_error());
    CHECK(c && as_corpus_scenario_at(c, 0)->split == AS_SPLIT_NONE);
    as_corpus_destroy(c);
    /* ...but a directory needs its split.json */
    c = as_corpus_load(dir);
    CHECK(c == NULL && strstr(as_last_error(), "split.json") != NULL);
    as_corpus_destroy(c);

    /* names */
    CHECK(strcmp(as_speaker_name(AS_SPEAKER_OTHER), "OTHER") == 0 && as_speaker_name((as_speaker)2) == NULL);
    CHECK(strcmp(as_lang_name(AS_LANG_KO), "ko") == 0 && as_lang_find("ko") == AS_LANG_KO && as_lang_find("jp") == -1);
    CHECK(strcmp(as_split_name(AS_SPLIT_VALIDATION), "validation") == 0 && as_split_find("test") == AS_SPLIT_TEST);
    CHECK(as_split_find("dev") == -1 && as_corpus_load(NULL) == NULL);
    remove_dir(dir);
}

/* ---- malformed input: each gives NULL and an error naming file, line, field ---- */

/* One scenario line with a replaceable turn (and fields). */
#define HEAD "{\"id\": \"en-0001\", \"lang\": \"en\", \"title\": \"t\", \"setting\": \"s\", \"turns\": ["
#define TURN(fields) "{\"speaker\": \"SELF\", \"text\": \"Hello there.\", \"emotion\": \"joy\", \"intensity\": 3" fields "}"
#define OK_LINE HEAD TURN("") "]}\n"
#define SPLIT_ALL "{\"method\": \"m\", \"command\": \"c\", \"train\": [\"en-0001\", \"en-0002\"], \"validation\": [], \"test\": []}\n"

typedef struct {
    const char *name;
    const char *jsonl;   /* content of c.jsonl: the line under test is line 2 (line 1 is valid) */
    const char *split;   /* split.json, or NULL for SPLIT_ALL */
    const char *where;   /* expected "file:line" suffix, e.g. "c.jsonl:2" */
    const char *field;   /* expected field name in the message */
    const char *what;    /* expected words */
} bad_case;

#define L1 "{\"id\": \"en-0002\", \"lang\": \"en\", \"title\": \"t\", \"setting\": \"s\", \"turns\": [" TURN("") "]}\n"

static const bad_case bad_cases[] = {
    {"unknown class", L1 HEAD TURN("") ", {\"speaker\": \"OTHER\", \"text\": \"x\", \"emotion\": \"jealousy\", \"intensity\": 2}]}\n",
     NULL, "c.jsonl:2", "turns[1].emotion", "unknown class 'jealousy'"},
    {"lexicon alias as class", L1 "{\"id\": \"en-0001\", \"lang\": \"en\", \"title\": \"t\", \"setting\": \"s\", \"turns\": "
     "[{\"speaker\": \"SELF\", \"text\": \"Yay\", \"emotion\": \"happy\", \"intensity\": 3}]}\n",
     NULL, "c.jsonl:2", "turns[0].emotion", "alias of 'joy'"},
    {"class in capitals", L1 "{\"id\": \"en-0001\", \"lang\": \"en\", \"title\": \"t\", \"setting\": \"s\", \"turns\": "
     "[{\"speaker\": \"SELF\", \"text\": \"Yay\", \"emotion\": \"Joy\", \"intensity\": 3}]}\n",
     NULL, "c.jsonl:2", "turns[0].emotion", "'joy'"},
    {"level 0", L1 "{\"id\": \"en-0001\", \"lang\": \"en\", \"title\": \"t\", \"setting\": \"s\", \"turns\": "
     "[{\"speaker\": \"SELF\", \"text\": \"Yay\", \"emotion\": \"joy\", \"intensity\": 0}]}\n",
     NULL, "c.jsonl:2", "turns[0].intensity", "outside 1..5"},
    {"level 6", L1 "{\"id\": \"en-0001\", \"lang\": \"en\", \"title\": \"t\", \"setting\": \"s\", \"turns\": "
     "[{\"speaker\": \"SELF\", \"text\": \"Yay\", \"emotion\": \"joy\", \"intensity\": 6}]}\n",
     NULL, "c.jsonl:2", "turns[0].intensity", "outside 1..5"},
    {"fractional level", L1 "{\"id\": \"en-0001\", \"lang\": \"en\", \"title\": \"t\", \"setting\": \"s\", \"turns\": "
     "[{\"speaker\": \"SELF\", \"text\": \"Yay\", \"emotion\": \"joy\", \"intensity\": 2.5}]}\n",
     NULL, "c.jsonl:2", "turns[0].intensity", "integer"},
    {"level as a string", L1 HEAD "{\"speaker\": \"SELF\", \"text\": \"Yay\", \"emotion\": \"joy\", \"intensity\": \"3\"}]}\n",
     NULL, "c.jsonl:2", "turns[0].intensity", "integer"},
    {"vad above 1", L1 HEAD TURN(", \"vad\": [0.5, 1.2, 0.5]") "]}\n", NULL, "c.jsonl:2", "turns[0].vad[1]",
     "outside 0..1"},
    {"vad below 0", L1 HEAD TURN(", \"vad\": [-0.1, 0.2, 0.5]") "]}\n", NULL, "c.jsonl:2", "turns[0].vad[0]",
     "outside 0..1"},
    {"vad of two values", L1 HEAD TURN(", \"vad\": [0.5, 0.2]") "]}\n", NULL, "c.jsonl:2", "turns[0].vad",
     "three numbers"},
    {"empty text", L1 HEAD "{\"speaker\": \"SELF\", \"text\": \"\", \"emotion\": \"joy\", \"intensity\": 3}]}\n",
     NULL, "c.jsonl:2", "turns[0].text", "empty text"},
    {"blank text", L1 HEAD "{\"speaker\": \"SELF\", \"text\": \"   \", \"emotion\": \"joy\", \"intensity\": 3}]}\n",
     NULL, "c.jsonl:2", "turns[0].text", "empty text"},
    {"invalid UTF-8 in text", L1 HEAD "{\"speaker\": \"SELF\", \"text\": \"caf\xC3(\", \"emotion\": \"joy\", \"intensity\": 3}]}\n",
     NULL, "c.jsonl:2", "turns[0].text", "invalid UTF-8 at byte 3"},
    {"overlong UTF-8 in title", L1 "{\"id\": \"en-0001\", \"lang\": \"en\", \"title\": \"\xC0\xAF\", \"setting\": \"s\", "
     "\"turns\": [" TURN("") "]}\n", NULL, "c.jsonl:2", "title", "invalid UTF-8"},
    {"control character", L1 HEAD "{\"speaker\": \"SELF\", \"text\": \"a\\u0007b\", \"emotion\": \"joy\", \"intensity\": 3}]}\n",
     NULL, "c.jsonl:2", "turns[0].text", "control character"},
    {"bad speaker", L1 HEAD "{\"speaker\": \"self\", \"text\": \"x\", \"emotion\": \"joy\", \"intensity\": 3}]}\n",
     NULL, "c.jsonl:2", "turns[0].speaker", "not SELF or OTHER"},
    {"missing emotion", L1 HEAD "{\"speaker\": \"SELF\", \"text\": \"x\", \"intensity\": 3}]}\n",
     NULL, "c.jsonl:2", "turns[0].emotion", "missing"},
    {"unknown turn field", L1 HEAD TURN(", \"emotoin\": \"joy\"") "]}\n", NULL, "c.jsonl:2", "turns[0]",
     "unknown field 'emotoin'"},
    {"field twice", L1 HEAD TURN(", \"intensity\": 2") "]}\n", NULL, "c.jsonl:2", "turns[0]", "appears twice"},
    {"no turns", L1 "{\"id\": \"en-0001\", \"lang\": \"en\", \"title\": \"t\", \"setting\": \"s\", \"turns\": []}\n",
     NULL, "c.jsonl:2", "turns", "non-empty"},
    {"missing title", L1 "{\"id\": \"en-0001\", \"lang\": \"en\", \"setting\": \"s\", \"turns\": [" TURN("") "]}\n",
     NULL, "c.jsonl:2", "title", "missing"},
    {"unknown language", L1 "{\"id\": \"en-0001\", \"lang\": \"jp\", \"title\": \"t\", \"setting\": \"s\", \"turns\": [" TURN("") "]}\n",
     NULL, "c.jsonl:2", "lang", "\"en\" or \"ko\""},
    {"id without its language", L1 "{\"id\": \"ko-0001\", \"lang\": \"en\", \"title\": \"t\", \"setting\": \"s\", \"turns\": [" TURN("") "]}\n",
     "{\"method\": \"m\", \"command\": \"c\", \"train\": [\"ko-0001\", \"en-0002\"], \"validation\": [], \"test\": []}\n",
     "c.jsonl:2", "id", "must start with its language"},
    {"invalid JSON", L1 "{\"id\": \"en-0001\", \"lang\": \"en\",, }\n", NULL, "c.jsonl:2", "", "invalid JSON"},
    {"two objects on a line", L1 OK_LINE "x", NULL, "c.jsonl:3", "", "invalid JSON"},
    {"two scenarios on one line", L1 HEAD TURN("") "]} {\"id\": \"en-0003\"}\n", NULL, "c.jsonl:2", "",
     "one scenario per line"},
    {"duplicate id", L1 "{\"id\": \"en-0002\", \"lang\": \"en\", \"title\": \"t\", \"setting\": \"s\", \"turns\": [" TURN("") "]}\n",
     "{\"method\": \"m\", \"command\": \"c\", \"train\": [\"en-0002\"], \"validation\": [], \"test\": []}\n",
     "c.jsonl:2", "id", "duplicate scenario id 'en-0002' (first at"},
    {"scenario in no split", L1 OK_LINE,
     "{\"method\": \"m\", \"command\": \"c\", \"train\": [\"en-0002\"], \"validation\": [], \"test\": []}\n",
     "c.jsonl:2", "id", "'en-0001' is in no split"},
    {"scenario in two splits", L1 OK_LINE,
     "{\"method\": \"m\", \"command\": \"c\",\n \"train\": [\"en-0001\",\n \"en-0002\"],\n \"validation\": [],\n"
     " \"test\": [\"en-0001\"]}\n",
     "split.json:5", "test[0]", "in two splits (train and test)"},
    {"unknown id in split", L1 OK_LINE,
     "{\"method\": \"m\", \"command\": \"c\",\n \"train\": [\"en-0001\", \"en-0002\"],\n \"validation\": [\"en-0099\"],\n"
     " \"test\": []}\n",
     "split.json:3", "validation[0]", "'en-0099' names no scenario"},
    {"split without method", L1 OK_LINE,
     "{\"command\": \"c\", \"train\": [\"en-0001\", \"en-0002\"], \"validation\": [], \"test\": []}\n",
     "split.json:1", "method", "missing"},
    {"split missing test", L1 OK_LINE, "{\"method\": \"m\", \"command\": \"c\", \"train\": [\"en-0001\", \"en-0002\"], "
     "\"validation\": []}\n", "split.json:1", "test", "missing"},
    {"translation in another split", L1 "{\"id\": \"en-0001\", \"lang\": \"en\", \"title\": \"t\", \"setting\": \"s\", "
     "\"parallel\": \"en-0002\", \"turns\": [" TURN("") "]}\n",
     "{\"method\": \"m\", \"command\": \"c\", \"train\": [\"en-0002\"], \"validation\": [], \"test\": [\"en-0001\"]}\n",
     "c.jsonl:2", "parallel", "keep them in one split"},
    {"translation of nothing", L1 "{\"id\": \"en-0001\", \"lang\": \"en\", \"title\": \"t\", \"setting\": \"s\", "
     "\"parallel\": \"ko-0404\", \"turns\": [" TURN("") "]}\n", NULL, "c.jsonl:2", "parallel", "names no scenario"},
    {"bad tag", L1 "{\"id\": \"en-0001\", \"lang\": \"en\", \"title\": \"t\", \"setting\": \"s\", \"tags\": [\"Small Talk\"], "
     "\"turns\": [" TURN("") "]}\n", NULL, "c.jsonl:2", "tags[0]", "expected a tag"},
};

static void test_malformed(void)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case *bc = &bad_cases[i];
        const char *dir = test_tmpdir();
        write_file(dir, "c.jsonl", bc->jsonl);
        write_file(dir, "split.json", bc->split ? bc->split : SPLIT_ALL);
        as_corpus *c = as_corpus_load(dir);
        CHECKF(c == NULL, "%s: loaded", bc->name);
        as_corpus_destroy(c);
        const char *err = as_last_error();
        char where[600];
        snprintf(where, sizeof where, "%s/%s: ", dir, bc->where);
        CHECKF(strstr(err, where) == err, "%s: expected '%s...', got '%s'", bc->name, where, err);
        if (bc->field[0]) {
            char field[128];
            snprintf(field, sizeof field, ": %s: ", bc->field);
            CHECKF(strstr(err, field) != NULL, "%s: expected field '%s' in '%s'", bc->name, bc->field, err);
        }
        CHECKF(strstr(err, bc->what) != NULL, "%s: expected '%s' in '%s'", bc->name, bc->what, err);
        CHECKF(strchr(err, '\n') == NULL, "%s: not one line: '%s'", bc->name, err);
        remove_dir(dir);
    }

    /* the same content loads when the bad line is fixed (the harness is not always failing) */
    const char *dir = test_tmpdir();
    write_file(dir, "c.jsonl", L1 OK_LINE);
    write_file(dir, "split.json", SPLIT_ALL);
    as_corpus *c = as_corpus_load(dir);
    CHECKF(c != NULL, "%s", as_last_error());
    as_corpus_destroy(c);

    /* a duplicate id across two files names the later file and the first one */
    write_file(dir, "d.jsonl", "\n" OK_LINE);
    c = as_corpus_load(dir);
    CHECK(c == NULL);
    CHECKF(strstr(as_last_error(), "d.jsonl:2: id: duplicate scenario id 'en-0001' (first at ") != NULL &&
               strstr(as_last_error(), "c.jsonl:2)") != NULL, "%s", as_last_error());
    as_corpus_destroy(c);

    /* a directory with no corpus files, a path that does not exist */
    const char *empty = test_tmpdir();
    c = as_corpus_load(empty);
    CHECK(c == NULL && strstr(as_last_error(), "no *.jsonl files") != NULL);
    c = as_corpus_load("/nonexistent/animasync/scenarios");
    CHECK(c == NULL && strstr(as_last_error(), "/nonexistent/animasync/scenarios: cannot open") != NULL);
    remove_dir(dir);
    remove_dir(empty);
}

/* ---- determinism: two loads, identical counts and order ---- */

static void test_determinism(void)
{
    as_corpus *a = as_corpus_load(CORPUS_DIR), *b = as_corpus_load(CORPUS_DIR);
    CHECK(a && b);
    if (!a || !b) { as_corpus_destroy(a); as_corpus_destroy(b); return; }
    as_corpus_counts ka, kb;
    CHECK(as_corpus_count(a, AS_CORPUS_ANY, AS_CORPUS_ANY, &ka) == AS_OK);
    CHECK(as_corpus_count(b, AS_CORPUS_ANY, AS_CORPUS_ANY, &kb) == AS_OK);
    CHECK(memcmp(&ka, &kb, sizeof ka) == 0);
    CHECK(as_corpus_scenario_count(a) == as_corpus_scenario_count(b));
    CHECK(as_corpus_turn_count(a) == as_corpus_turn_count(b));
    size_t diff = 0;
    for (size_t i = 0; i < as_corpus_scenario_count(a) && i < as_corpus_scenario_count(b); i++) {
        const as_corpus_scenario *x = as_corpus_scenario_at(a, i), *y = as_corpus_scenario_at(b, i);
        diff += strcmp(x->id, y->id) != 0 || x->split != y->split || x->line != y->line;
    }
    for (size_t i = 0; i < as_corpus_turn_count(a) && i < as_corpus_turn_count(b); i++) {
        const as_corpus_turn *x = as_corpus_turn_at(a, i), *y = as_corpus_turn_at(b, i);
        diff += strcmp(x->text, y->text) != 0 || x->emotion != y->emotion || x->level != y->level ||
                memcmp(&x->vad, &y->vad, sizeof x->vad) != 0;
    }
    CHECK(diff == 0);
    /* files load in name order: every scenario's file name is >= the previous one's */
    size_t out_of_order = 0;
    for (size_t i = 1; i < as_corpus_scenario_count(a); i++)
        out_of_order += strcmp(as_corpus_scenario_at(a, i - 1)->file, as_corpus_scenario_at(a, i)->file) > 0;
    CHECK(out_of_order == 0);
    as_corpus_destroy(a);
    as_corpus_destroy(b);
}

/* ---- failed allocations: every failure point gives NULL and cleans up ---- */

static long fail_at_n = -1, n_allocs = 0;
static void *fi_malloc(size_t n, void *u) { (void)u; return (++n_allocs == fail_at_n) ? NULL : malloc(n); }
static void *fi_realloc(void *p, size_t n, void *u) { (void)u; return (++n_allocs == fail_at_n) ? NULL : realloc(p, n); }
static void fi_free(void *p, void *u) { (void)u; free(p); }

static void test_alloc_failures(void)
{
    const char *dir = make_fixture();
    (void)as_emotion_anchor(AS_EMO_JOY, 3); /* load the built-in tables before the hook fails */
    (void)as_lexicon_count();
    as_allocator fi = {fi_malloc, fi_realloc, fi_free, NULL};
    as_set_allocator(&fi);
    int failures_seen = 0, loaded = 0;
    for (fail_at_n = 1; fail_at_n < 200 && !loaded; fail_at_n++) {
        n_allocs = 0;
        as_corpus *c = as_corpus_load(dir);
        if (c) { loaded = 1; as_corpus_destroy(c); }
        else failures_seen++;
    }
    as_set_allocator(NULL);
    remove_dir(dir);
    CHECK(loaded);
    CHECKF(failures_seen >= 5, "%d failure points", failures_seen);
}

/* ---- robustness: mutated input never crashes and always explains itself ---- */

static void test_mutations(void)
{
    const char *dir = test_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/m.jsonl", dir);
    size_t base_len = strlen(fixture_a);
    char buf[4096];
    unsigned rng = 12345u;
    int loaded = 0, refused = 0, bad_message = 0;
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(buf, fixture_a, base_len + 1);
        size_t len = base_len;
        int edits = 1 + iter % 4;
        for (int e = 0; e < edits; e++) {
            rng = rng * 1103515245u + 12345u; /* the C standard's example LCG: deterministic */
            size_t pos = (rng >> 8) % len;
            rng = rng * 1103515245u + 12345u;
            unsigned op = (rng >> 16) % 3, byte = (rng >> 8) & 0xFF;
            if (op == 0) buf[pos] = (char)byte;                                 /* replace */
            else if (op == 1 && len > 2) { memmove(buf + pos, buf + pos + 1, len - pos); len--; } /* delete */
            else if (len + 2 < sizeof buf) { memmove(buf + pos + 1, buf + pos, len - pos + 1); buf[pos] = (char)byte; len++; }
        }
        FILE *f = fopen(path, "wb");
        if (!f) break;
        fwrite(buf, 1, len, f);
        fclose(f);
        as_corpus *c = as_corpus_load(path);
        if (c) {
            loaded++;
            as_corpus_counts k;
            if (as_corpus_count(c, AS_CORPUS_ANY, AS_CORPUS_ANY, &k) != AS_OK || k.turns != as_corpus_turn_count(c))
                bad_message++;
            as_corpus_destroy(c);
        } else {
            refused++;
            const char *err = as_last_error();
            if (strncmp(err, path, strlen(path)) != 0 || strchr(err, '\n') != NULL) {
                bad_message++;
                if (bad_message < 5) fprintf(stderr, "mutation %d: '%s'\n", iter, err);
            }
        }
    }
    CHECK(loaded + refused == 3000);
    CHECKF(refused > 1000, "%d refused", refused); /* most mutations break something */
    CHECKF(loaded > 0, "%d loaded", loaded);     /* some only touch free text */
    CHECK(bad_message == 0);
    remove_dir(dir);
}

int main(void)
{
    test_shipped_corpus();
    test_shipped_split();
    test_fixture();
    test_malformed();
    test_determinism();
    test_alloc_failures();
    test_mutations();
    return test_finish("test_scenarios");
}
