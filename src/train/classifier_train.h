/* train/classifier_train.h — training and evaluating the text emotion
 * classifier (not public; `animasync train-classifier` drives it): the BPE
 * tokenizer trainer, the MicroALBERT trainer (a teacher on the labels, or a
 * student distilled from a teacher), and the evaluation on a split of the
 * scenario corpus (macro-F1 per class, VAD Pearson correlations). */
#ifndef AS_TRAIN_CLASSIFIER_TRAIN_H
#define AS_TRAIN_CLASSIFIER_TRAIN_H

#include <stdint.h>

#include "animasync/classifier.h"
#include "animasync/scenarios.h"
#include "text/text_internal.h"

/* Learns up to n_merges BPE merges from the texts (NUL-terminated UTF-8). */
as_result tc_tokenizer_train(const char *const *texts, size_t n_texts, int n_merges, tc_tokenizer *out);

typedef void (*tc_progress_fn)(const char *line, void *user_data);

typedef struct {
    const char *data_dir;        /* the scenario corpus (data/scenarios) */
    const char *out_path;        /* weight file of the best epoch (by validation macro-F1) */
    const char *checkpoint_path; /* written after every epoch (weights + AdamW state); NULL = none */
    int resume;                  /* 1: continue from checkpoint_path */
    int stop_after;              /* > 0: return after this many epochs of this call, as if
                                    interrupted (the schedule still plans `epochs`); 0 = all */
    const char *teacher_path;    /* NULL: train on the labels (a teacher); else distil from this model */
    const char *tokenizer_from;  /* NULL: learn merges on the training split; else reuse this model's */
    int merges;                  /* BPE merges to learn (vocabulary = 261 + merges) */
    tc_config cfg;               /* vocab is set from the tokenizer */
    int epochs;                  /* passes over the training split */
    int batch;                   /* sequences per step, even (2 shards) */
    float lr, lr_min;            /* peak and final learning rate (warm-up then cosine) */
    float warmup_frac;           /* share of the steps spent warming up, 0..1 */
    float weight_decay;          /* AdamW decoupled weight decay */
    float clip;                  /* global gradient-norm clipping */
    float dropout;               /* on embeddings, attention and FFN outputs, [CLS] */
    float ctx_drop;              /* probability of dropping all context of an example */
    float vad_weight;            /* weight of the VAD loss */
    float alpha;                 /* distillation: weight of the soft loss (1 - alpha on the labels) */
    float temperature;           /* distillation temperature */
    uint64_t seed;
    int threads;                 /* 1 or more; the 2 shards make results independent of it */
    tc_progress_fn progress;
    void *user_data;
} tc_train_params;

tc_train_params tc_train_default_params(void);

typedef struct {
    size_t n;                             /* turns evaluated */
    float accuracy;
    float macro_f1;                       /* mean of the per-class F1 over classes with support */
    float f1[AS_NUM_EMOTIONS];
    size_t support[AS_NUM_EMOTIONS];
    float pearson[3];                     /* V, A, D: predicted vs labelled */
    float mae[3];
} tc_eval_report;

/* Trains; writes out_path (best validation epoch) and fills *best with its
 * validation figures (may be NULL). */
as_result tc_train(const tc_train_params *p, tc_eval_report *best);

/* Evaluates a classifier on every turn of one split (with up to 2 previous
 * turns as context, as in training). */
as_result tc_evaluate(const as_classifier *m, const as_corpus *c, as_split split, tc_eval_report *out);

/* Writes the model of a weight file as the two shipped C sources:
 * weights_c (nn_weights_write_c) and vocab_c (the vocabulary bytes). */
as_result tc_emit_c(const char *model_path, const char *weights_c, const char *vocab_c, const char *command);

#endif
