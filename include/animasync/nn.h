/* animasync/nn.h — what a user can see of the neural-network weight files
 * the learned parts read (the lip-sync student, the text emotion
 * classifier): the model kinds, the format's magic and version, and a check
 * of a file that reports what it holds. The layers and the trainer are
 * internal; docs/NN.md describes the file format byte by byte. */
#ifndef ANIMASYNC_NN_H
#define ANIMASYNC_NN_H

#include <stddef.h>
#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The first four bytes of every weight file are "ASNN" (this value as a
 * little-endian int32); the next int32 is the format version. */
#define AS_NN_MAGIC 0x4E4E5341
#define AS_NN_FORMAT_VERSION 1
#define AS_NN_MAX_HPARAMS 64

/* What a weight file holds (the third int32). Values never change. */
typedef enum {
    AS_NN_KIND_GENERIC = 0,         /* tests and tools */
    AS_NN_KIND_LIPSYNC_STUDENT = 1, /* audio features + conditioning -> 52 weights */
    AS_NN_KIND_TEXT_CLASSIFIER = 2  /* sentence -> 16 class probabilities + V, A, D */
} as_nn_kind;
/* Or'ed into a kind: a training checkpoint (weights followed by optimizer
 * state), which a trainer resumes from but inference refuses. */
#define AS_NN_KIND_CHECKPOINT 0x100

/* "lipsync student", "text classifier", "generic", "... checkpoint", or
 * "unknown kind". */
const char *as_nn_kind_name(int kind);

typedef struct {
    int version;                        /* format version */
    int kind;                           /* as_nn_kind, maybe | AS_NN_KIND_CHECKPOINT */
    int n_hparams;                      /* hyperparameters, 0..AS_NN_MAX_HPARAMS */
    int hparams[AS_NN_MAX_HPARAMS];     /* as the model defines them */
    size_t n_values;                    /* float32 weights */
    size_t n_extra;                     /* extra bytes (e.g. a tokenizer) */
    unsigned int checksum;              /* CRC-32 of the file before it */
} as_nn_file_info;

/* Reads a weight file of any kind and checks it whole (magic, version, size,
 * checksum). AS_ERR_IO if it cannot be read, AS_ERR_PARSE with a one-line
 * message (as_last_error) if it is not a sound weight file. */
as_result as_nn_file_info_read(const char *path, as_nn_file_info *info);

#ifdef __cplusplus
}
#endif
#endif
