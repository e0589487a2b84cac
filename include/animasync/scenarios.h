/* animasync/scenarios.h — the labelled dialogue corpus (data/scenarios/):
 * loading, validation and counts. The dataset generator (`animasync
 * generate`) picks turns and runs of turns from it and turns their labels into
 * conditioning (as_cond_make(turn->emotion, turn->vad)); the text emotion
 * classifier trains on it; `animasync check-dataset` prints its counts.
 * The file format is docs/CORPUS.md, the labelling rules docs/LABELLING.md.
 *
 * Example: every SELF turn of the training split with its conditioning.
 *
 *     as_corpus *c = as_corpus_load("data/scenarios");
 *     if (!c) { fprintf(stderr, "%s\n", as_last_error()); return 1; }
 *     for (size_t i = 0; i < as_corpus_turn_count(c); i++) {
 *         const as_corpus_turn *t = as_corpus_turn_at(c, i);
 *         const as_corpus_scenario *s = as_corpus_scenario_at(c, t->scenario);
 *         if (s->split != AS_SPLIT_TRAIN || t->speaker != AS_SPEAKER_SELF) continue;
 *         as_cond cond = as_cond_make(t->emotion, t->vad);
 *         ...
 *     }
 *     as_corpus_destroy(c);
 */
#ifndef ANIMASYNC_SCENARIOS_H
#define ANIMASYNC_SCENARIOS_H

#include <stddef.h>

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Who speaks a turn: SELF is the avatar we animate, OTHER the person it
 * talks with (labelled too: context for the classifier). */
typedef enum { AS_SPEAKER_SELF = 0, AS_SPEAKER_OTHER = 1 } as_speaker;
#define AS_NUM_SPEAKERS 2

/* Corpus languages, by their ISO 639-1 code in the files ("en", "ko"). */
typedef enum { AS_LANG_EN = 0, AS_LANG_KO = 1 } as_lang;
#define AS_NUM_LANGS 2

/* The split a scenario belongs to (data/scenarios/split.json). A corpus
 * loaded from a single file with no split.json beside it has every scenario
 * in AS_SPLIT_NONE. */
typedef enum { AS_SPLIT_TRAIN = 0, AS_SPLIT_VALIDATION = 1, AS_SPLIT_TEST = 2, AS_SPLIT_NONE = 3 } as_split;
#define AS_NUM_SPLITS 3 /* train, validation, test (AS_SPLIT_NONE is not one) */

const char *as_speaker_name(as_speaker s); /* "SELF", "OTHER"; NULL if out of range */
const char *as_lang_name(as_lang l);       /* "en", "ko"; NULL if out of range */
const char *as_split_name(as_split s);     /* "train", "validation", "test", "none" */
int as_lang_find(const char *code);        /* exact code -> as_lang, or -1 */
int as_split_find(const char *name);       /* exact name -> as_split, or -1 */

/* One labelled turn. All strings belong to the corpus. */
typedef struct {
    as_speaker speaker;
    const char *text;  /* UTF-8, non-empty, no control characters */
    as_emotion emotion;
    int level;         /* intensity level 1..5 */
    as_vad vad;        /* the file's override, else as_emotion_anchor(emotion, level) */
    int has_vad;       /* 1 when vad is the file's override */
    const char *note;  /* the labeller's note, or NULL */
    size_t scenario;   /* index of its scenario (as_corpus_scenario_at) */
    size_t index;      /* position in its scenario, 0-based */
} as_corpus_turn;

/* One scenario (one JSONL line). Its turns are the corpus turns
 * first_turn .. first_turn + n_turns - 1, in order. */
typedef struct {
    const char *id;            /* unique in the corpus, "<lang>-<name>", e.g. "ko-0203" */
    as_lang lang;
    const char *title;
    const char *setting;       /* who, where: the context a reader needs */
    const char *parallel;      /* id of the scenario this one translates, or NULL */
    const char *const *tags;   /* n_tags tag strings (docs/CORPUS.md) */
    size_t n_tags;
    as_split split;
    size_t first_turn;
    size_t n_turns;
    const char *file;          /* path of the file it came from */
    int line;                  /* its 1-based line in that file */
} as_corpus_scenario;

/* A loaded, validated corpus (read-only, may be shared across threads). */
typedef struct as_corpus as_corpus;

/* Loads a corpus: a directory (every *.jsonl in it, in byte order of the file
 * names, plus its split.json, which must exist and assign every scenario to
 * exactly one split), or one .jsonl file (with the split.json beside it when
 * there is one; ids it lists from other files are ignored). Validates every
 * field; the first problem found makes it return NULL with a one-line
 * as_last_error() naming file, line and field, e.g.
 * "data/scenarios/en-daily.jsonl:12: turns[3].emotion: unknown class 'happy' ...". */
as_corpus *as_corpus_load(const char *dir_or_file);
void as_corpus_destroy(as_corpus *c);

size_t as_corpus_scenario_count(const as_corpus *c);
const as_corpus_scenario *as_corpus_scenario_at(const as_corpus *c, size_t i); /* NULL if out of range */
const as_corpus_scenario *as_corpus_scenario_find(const as_corpus *c, const char *id); /* NULL if none */
size_t as_corpus_turn_count(const as_corpus *c);
const as_corpus_turn *as_corpus_turn_at(const as_corpus *c, size_t i); /* NULL if out of range */

/* ---- counts ---- */

/* Filters for as_corpus_count: any split / any speaker. */
#define AS_CORPUS_ANY (-1)

/* Counts over the turns that pass a filter. Tables indexed by as_emotion,
 * level - 1, as_speaker, as_lang and as_split (AS_SPLIT_NONE included). A
 * scenario counts when at least one of its turns passes. */
typedef struct {
    size_t scenarios;
    size_t turns;
    size_t vad_overrides;
    size_t class_turns[AS_NUM_EMOTIONS];
    size_t class_speaker[AS_NUM_EMOTIONS][AS_NUM_SPEAKERS];
    size_t class_level[AS_NUM_EMOTIONS][AS_NUM_LEVELS];
    size_t level_turns[AS_NUM_LEVELS];
    size_t speaker_turns[AS_NUM_SPEAKERS];
    size_t lang_turns[AS_NUM_LANGS];
    size_t lang_scenarios[AS_NUM_LANGS];
    size_t split_turns[AS_NUM_SPLITS + 1];
    size_t split_scenarios[AS_NUM_SPLITS + 1];
    size_t split_class[AS_NUM_SPLITS + 1][AS_NUM_EMOTIONS];
} as_corpus_counts;

/* Fills *out with the counts of the turns in split (an as_split or
 * AS_CORPUS_ANY) spoken by speaker (an as_speaker or AS_CORPUS_ANY). */
as_result as_corpus_count(const as_corpus *c, int split, int speaker, as_corpus_counts *out);
/* How many of the 5 levels class e uses in counts k (0..5). */
int as_corpus_levels_used(const as_corpus_counts *k, as_emotion e);

#ifdef __cplusplus
}
#endif
#endif
