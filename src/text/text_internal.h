/* text/text_internal.h — the inside of the text emotion classifier (not
 * public): the byte-level BPE tokenizer, the ALBERT-style micro transformer
 * (its configuration, parameter layout, training forward/backward and the
 * one-sequence inference pass) and how a dialogue becomes one token
 * sequence. include/animasync/classifier.h is the public face;
 * src/train/classifier_train.c and src/train/tokenizer_train.c train what is
 * declared here; docs/CLASSIFIER.md describes all of it.
 *
 * Sources: byte-pair encoding for subwords (Sennrich, Haddow & Birch,
 * "Neural Machine Translation of Rare Words with Subword Units", ACL 2016),
 * over UTF-8 bytes as in GPT-2 (Radford et al. 2019); ALBERT (Lan et al.,
 * "ALBERT: A Lite BERT for Self-supervised Learning of Language
 * Representations", ICLR 2020): factorised embeddings (V x E then E -> D)
 * and one transformer block shared by all layers. */
#ifndef AS_TEXT_INTERNAL_H
#define AS_TEXT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "animasync/core.h"
#include "nn/nn.h"

/* ==== tokenizer (tokenizer.c) ============================================ */

/* Token ids: 5 special tokens, then the 256 byte values, then one token per
 * merge in the order the merges were learned. Text never produces a special
 * token (the characters "[SELF]" in a sentence are ordinary bytes). */
enum {
    TC_PAD = 0,   /* padding (masked out of attention) */
    TC_CLS = 1,   /* first token; its output feeds the heads */
    TC_SELF = 2,  /* a turn by the speaker being classified */
    TC_OTHER = 3, /* a turn by the other speaker */
    TC_SEP = 4,   /* between the context and the current turn */
    TC_NUM_SPECIAL = 5,
    TC_BYTE0 = 5, /* byte b is token TC_BYTE0 + b */
    TC_FIRST_MERGE = TC_BYTE0 + 256
};
/* Longest pre-token ("word") in bytes; longer runs are cut at character
 * boundaries so merging stays cheap on hostile input. */
#define TC_WORD_MAX 48
/* Most merges a vocabulary may hold (ids must stay below 65536). */
#define TC_MAX_MERGES 60000

typedef struct {
    int n_merges;
    int32_t *merges;     /* (n_merges, 2): left id, right id of merge i -> id TC_FIRST_MERGE + i */
    uint64_t *hkeys;     /* (hcap) open-addressing table: pair key (left << 32 | right) + 1, 0 = empty */
    int32_t *hvals;      /* (hcap) merge index of that pair */
    size_t hcap;         /* power of two */
    uint32_t *tok_off;   /* (vocab) where each token's bytes start in pool */
    uint16_t *tok_len;   /* (vocab) how many bytes (0 for special tokens) */
    unsigned char *pool; /* the bytes of every token */
} tc_tokenizer;

static inline int tc_vocab_size(const tc_tokenizer *t) { return TC_FIRST_MERGE + t->n_merges; }

/* Builds a tokenizer from n merges (each a pair of ids that exist before
 * it). AS_ERR_PARSE when a merge names an id not yet defined. */
as_result tc_tokenizer_init(tc_tokenizer *t, const int32_t *merges, int n);
void tc_tokenizer_free(tc_tokenizer *t);
/* Serialised form (saved as the weight file's extra bytes): "ASBP", int32
 * version 1, int32 n, then n pairs of int32, little-endian. */
as_result tc_tokenizer_parse(tc_tokenizer *t, const void *data, size_t len);
/* Writes the serialised form into a new buffer (as_free it). */
as_result tc_tokenizer_serialize(const tc_tokenizer *t, unsigned char **out, size_t *len);

/* The pre-tokenizer: the end of the word that starts at byte pos of s (len
 * bytes, valid UTF-8). A word is an optional single leading space followed by
 * a run of one character class (letters of any script, digits, punctuation,
 * other whitespace), at most TC_WORD_MAX bytes. Merges never cross words. */
size_t tc_word_end(const char *s, size_t len, size_t pos);
/* Checks UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
 * Returns len when valid, else the offset of the first bad byte. */
size_t tc_utf8_check(const char *s, size_t len);

/* Encodes one word (bytes w, n <= TC_WORD_MAX) into ids; returns the count. */
int tc_encode_word(const tc_tokenizer *t, const unsigned char *w, size_t n, int *ids);
/* Encodes text (valid UTF-8; check it first). keep_tail = 0 keeps the first
 * max_ids tokens, 1 keeps the last max_ids (through a ring buffer, nothing
 * allocated). Returns the number written; *n_total (may be NULL) receives
 * how many the whole text has. */
int tc_encode(const tc_tokenizer *t, const char *text, size_t len, int *ids, int max_ids, int keep_tail,
              int *n_total);
/* The bytes of ids (special tokens give nothing) into out (cap bytes, NUL
 * terminated when cap > 0). Returns the full length (as snprintf). */
size_t tc_decode(const tc_tokenizer *t, const int *ids, int n, char *out, size_t cap);

/* ==== the model (model.c) ================================================= */

#define TC_NUM_CLASSES AS_NUM_EMOTIONS
/* Hyperparameters as stored in the weight file, in this order. */
typedef struct {
    int vocab;   /* tokens (TC_FIRST_MERGE + merges) */
    int embd;    /* E: factorised embedding width */
    int dim;     /* D: transformer width */
    int ffn;     /* F: feed-forward width */
    int heads;   /* NH: attention heads, divides D */
    int layers;  /* passes of the one shared block */
    int max_len; /* T_max: tokens per sequence, [CLS] included */
} tc_config;
#define TC_NUM_HPARAMS 7
extern const char *const tc_hparam_names[TC_NUM_HPARAMS];
void tc_config_to_hparams(const tc_config *c, int32_t *h);
void tc_config_from_hparams(tc_config *c, const int32_t *h);
/* AS_ERR_RANGE with a message when a configuration cannot work. */
as_result tc_config_check(const tc_config *c);

typedef struct {
    float *wte;             // (V, E)   token embeddings
    float *wpe;             // (T_max, E) position embeddings
    float *eln_w, *eln_b;   // (E)      embedding layernorm
    float *proj_w, *proj_b; // (D, E), (D)  the E -> D factorisation
    float *qkv_w, *qkv_b;   // (3D, D), (3D)  the shared block ...
    float *att_w, *att_b;   // (D, D), (D)
    float *ln1_w, *ln1_b;   // (D)
    float *fc_w, *fc_b;     // (F, D), (F)
    float *fc2_w, *fc2_b;   // (D, F), (D)
    float *ln2_w, *ln2_b;   // (D)
    float *cls_w, *cls_b;   // (16, D), (16)  class head
    float *vad_w, *vad_b;   // (3, D), (3)    V, A, D head (sigmoid)
} tc_params;

void tc_layout(nn_layout *L, const tc_config *c);

/* Activations of one pass of the shared block. */
typedef struct {
    float *qkv;                       // (B, T, 3D)
    float *att;                       // (B, NH, T, T)
    float *atty, *attp;               // (B, T, D)
    float *attp_mask;                 // (B, T, D) dropout factors
    float *res1;                      // (B, T, D)
    float *ln1, *ln1_mean, *ln1_rstd; // (B, T, D), (B, T), (B, T)
    float *fch, *fcg;                 // (B, T, F)
    float *fco, *fco_mask, *res2;     // (B, T, D)
    float *ln2, *ln2_mean, *ln2_rstd; // (B, T, D) the block's output
} tc_block_acts;

#define TC_MAX_LAYERS 12
typedef struct {
    float *emb, *embp;                // (B, T, E)
    float *eln, *eln_mean, *eln_rstd; // (B, T, E), (B, T), (B, T)
    float *x0, *x0_mask;              // (B, T, D)
    tc_block_acts blk[TC_MAX_LAYERS];
    float *pooled, *pooled_mask;      // (B, D)
    float *logits, *probs;            // (B, 16)
    float *vad_logits;                // (B, 3)
} tc_acts;

/* Activations for batches of up to B sequences of up to c->max_len tokens. */
void tc_acts_layout(nn_layout *L, const tc_config *c, int B);
/* Training forward over B sequences of T tokens (T <= max_len; the buffers
 * laid out for max_len are used by their first B*T rows). dropout p (0 at
 * evaluation) draws from rng (may be NULL when p = 0).
 *   ids  // (B, T)
 *   mask // (B, T) 1 = token, 0 = padding */
void tc_forward(const tc_config *c, const tc_params *p, tc_acts *a, const int *ids, const uint8_t *mask, int B, int T,
                float dropout, nn_rng *rng);
/* Backward from da->logits and da->vad_logits (both filled by the losses);
 * accumulates into g. scratch // (T, T) */
void tc_backward(const tc_config *c, const tc_params *p, tc_params *g, const tc_acts *a, tc_acts *da, const int *ids,
                 int B, int T, float *scratch);

/* Inference on one sequence of T tokens (no padding), only what the [CLS]
 * output needs in the last layer. work holds tc_infer_floats(c) floats.
 *   logits // (16)
 *   vad    // (3) after the sigmoid */
size_t tc_infer_floats(const tc_config *c);
void tc_infer(const tc_config *c, const tc_params *p, const int *ids, int T, float *work, float *logits, float *vad);

/* ==== dialogue -> one token sequence (model.c) ============================= */

/* The input layout (docs/CLASSIFIER.md):
 *   [CLS] (<[SELF]|[OTHER]> context turn)* [SEP] [SELF] current turn
 * Context turns are the up to TC_MAX_CONTEXT turns before the current one,
 * oldest first, marked [SELF] when the current speaker said them. The
 * current turn keeps its first tokens; the context fills what is left of
 * max_len, the newest turn first, each keeping its last tokens.
 *   ids // (max_len) written, returns T (>= 4) */
#define TC_MAX_CONTEXT 2
typedef struct {
    const char *text; /* valid UTF-8 */
    size_t len;
    int same_speaker; /* 1: said by the speaker of the current turn */
} tc_turn;
int tc_build_input(const tc_tokenizer *tok, int max_len, const tc_turn *context, int n_context, const char *text,
                   size_t len, int *ids, int *truncated);

/* The model inside a public classifier (m NULL = the built-in one; returns
 * AS_ERR_UNSUPPORTED when there is none), for evaluation and tests. */
struct as_classifier;
as_result tc_classifier_parts(const struct as_classifier *m, const tc_config **cfg, const tc_params **p,
                              const tc_tokenizer **tok);

#endif
