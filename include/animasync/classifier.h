/* animasync/classifier.h — the text emotion classifier: a sentence, with up
 * to two previous turns of its conversation as context, -> probabilities of
 * the 16 emotion classes + valence, arousal, dominance. A small ALBERT-style
 * transformer ("MicroALBERT") with its own byte-level BPE vocabulary for
 * English and Korean, trained in C on the scenario corpus (data/scenarios)
 * by `animasync train-classifier`; docs/CLASSIFIER.md has the model, the
 * training recipe and its figures.
 *
 * The model is read-only after loading: one as_classifier may be used by any
 * number of threads at once. Each call allocates its own work buffer; an
 * as_classifier_state holds one for callers that classify many sentences on
 * one thread (nothing allocated per call).
 *
 *     const as_classifier *m = as_classifier_default();   // built in; or as_classifier_load(path)
 *     as_classification c;
 *     if (as_classify(m, "Thank you so much, really.", &c) == AS_OK)
 *         printf("%s %.2f  V %.2f A %.2f D %.2f\n", as_emotion_name(c.emotion),
 *                c.probs[c.emotion], c.vad.v, c.vad.a, c.vad.d);
 *
 * With context: as_classify_dialogue(m, turns, 2, "Fine. Whatever.", &c)
 * where turns[] = {{"Can we skip the party?", 0}, {"You promised!", 1}}... */
#ifndef ANIMASYNC_CLASSIFIER_H
#define ANIMASYNC_CLASSIFIER_H

#include <stddef.h>
#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most context turns the model reads (older ones are ignored). */
#define AS_CLASSIFIER_MAX_CONTEXT 2

typedef struct as_classifier as_classifier;
typedef struct as_classifier_state as_classifier_state;

/* The model built into the library (the shipped weights), created on first
 * use and never freed; NULL (with as_last_error) if this build has none.
 * Do not pass it to as_classifier_destroy. Thread-safe. */
const as_classifier *as_classifier_default(void);
/* Loads a classifier weight file (`animasync train-classifier` writes
 * them; the vocabulary is inside). NULL with as_last_error on failure. */
as_classifier *as_classifier_load(const char *path);
void as_classifier_destroy(as_classifier *m);

/* What the model is: sizes for documentation and tools. */
typedef struct {
    int vocab;        /* tokens in the vocabulary */
    int embd;         /* factorised embedding width E */
    int dim;          /* transformer width D */
    int ffn;          /* feed-forward width */
    int heads;        /* attention heads */
    int layers;       /* passes of the shared block */
    int max_tokens;   /* tokens per input, [CLS] and markers included */
    size_t n_weights; /* float32 parameters */
} as_classifier_info;
as_result as_classifier_get_info(const as_classifier *m, as_classifier_info *out);

/* One result. */
typedef struct {
    as_emotion emotion;                /* the most probable class */
    float probs[AS_NUM_EMOTIONS];      /* class probabilities, sum 1, as_emotion order */
    as_vad vad;                        /* predicted valence, arousal, dominance, each 0..1 */
    float intensity;                   /* 0..1: the VAD distance to neutral over that of the
                                          class's level-5 anchor (0 for neutral) */
    int truncated;                     /* 1 when the input had more tokens than the model
                                          reads (the current turn keeps its beginning) */
    int empty;                         /* 1 when the text has no characters but white space:
                                          the result is then exactly neutral, probability 1 */
} as_classification;

/* A previous turn of the conversation. */
typedef struct {
    const char *text;  /* UTF-8 */
    int self;          /* 1: said by the speaker of the sentence being classified */
} as_dialogue_turn;

/* Classifies one sentence (UTF-8, NUL-terminated). m NULL = the built-in
 * model. AS_ERR_PARSE for invalid UTF-8 (as_last_error names the byte
 * offset), AS_ERR_INVALID_ARG for NULL text or out, AS_ERR_UNSUPPORTED when
 * m is NULL and there is no built-in model. Empty text gives neutral. Any
 * length is accepted: long text is truncated (out->truncated). */
as_result as_classify(const as_classifier *m, const char *text, as_classification *out);
/* The same with the previous turns, oldest first (only the last
 * AS_CLASSIFIER_MAX_CONTEXT are read). */
as_result as_classify_dialogue(const as_classifier *m, const as_dialogue_turn *context, size_t n_context,
                               const char *text, as_classification *out);

/* A work buffer for one thread: as_classify_with does not allocate. */
as_classifier_state *as_classifier_state_create(const as_classifier *m);
void as_classifier_state_destroy(as_classifier_state *s);
as_result as_classify_with(as_classifier_state *s, const as_dialogue_turn *context, size_t n_context,
                           const char *text, as_classification *out);

/* ---- tagging untagged text (say, timeline) --------------------------------- */

/* Inserts a tag "[class:NN] " (NN = intensity x 100, rounded; "[neutral] "
 * for neutral) before every sentence of tagged_text that no emotion tag
 * covers, i.e. the sentences before its first emotion tag (a tag holds until
 * the next, so the rest is the author's). Each sentence is classified with
 * the sentences before it as context (said by the same speaker). Explicit
 * tags are kept as written. Sentences end after . ! ? … 。 ！ ？ (and
 * closing quotes or brackets after them) followed by white space, or at a
 * line break; a "." after a common abbreviation ("Dr.", "e.g.") or an
 * initial ("J. R. R.") does not end one (docs/CLASSIFIER.md, "Where
 * sentences are cut").
 * *out is a new NUL-terminated string (as_free it); when nothing is
 * untagged it is a copy of the input. m NULL = the built-in model. Errors as
 * as_classify. */
as_result as_classify_tag_text(const as_classifier *m, const char *tagged_text, char **out);
/* The same, but a sentence whose most likely class has a probability below
 * min_confidence (0..1; 0 = as_classify_tag_text) is tagged "[neutral] ":
 * an automatic tag is trusted only when the classifier is sure enough
 * (docs/CLASSIFIER.md, "How far its confidence can be trusted").
 * AS_ERR_RANGE outside 0..1. */
as_result as_classify_tag_text_floor(const as_classifier *m, const char *tagged_text, float min_confidence,
                                     char **out);

#ifdef __cplusplus
}
#endif
#endif
