/* train/tokenizer_train.c — learns the BPE merges of the classifier's
 * tokenizer from texts (the training split of the scenario corpus):
 * Sennrich, Haddow & Birch, "Neural Machine Translation of Rare Words with
 * Subword Units", ACL 2016, algorithm 1, over UTF-8 bytes. The texts are cut
 * into words by the same pre-tokenizer the encoder uses (tc_word_end); the
 * unique words with their counts are merged pair by pair: each round counts
 * every adjacent pair (weighted by word count), merges the most frequent
 * (ties: the smallest pair of ids, so training is deterministic), and stops
 * at the merge budget or when no pair occurs twice. */
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "text/text_internal.h"
#include "train/classifier_train.h"

typedef struct {
    int *ids;  /* (n) the word's current tokens */
    int n;
    long count;
} bpe_word;

/* Open-addressing map from a word's bytes to its index in the word list. */
typedef struct {
    bpe_word *words;
    size_t n_words, cap_words;
    size_t *slots; /* (hcap) word index + 1, 0 = empty */
    size_t hcap;
    unsigned char **bytes; /* (cap_words) each word's bytes, for comparisons */
    size_t *lens;
} word_table;

static uint64_t fnv1a(const unsigned char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a 64 (Fowler, Noll, Vo) */
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 1099511628211ULL;
    return h;
}

static as_result table_grow(word_table *w)
{
    size_t cap = w->hcap ? w->hcap * 2 : 4096;
    size_t *slots = as_calloc(cap, sizeof(size_t));
    if (!slots) return as_fail(AS_ERR_NOMEM, "tokenizer training: out of memory");
    for (size_t i = 0; i < w->n_words; i++) {
        size_t s = (size_t)fnv1a(w->bytes[i], w->lens[i]) & (cap - 1);
        while (slots[s]) s = (s + 1) & (cap - 1);
        slots[s] = i + 1;
    }
    as_free(w->slots);
    w->slots = slots;
    w->hcap = cap;
    return AS_OK;
}

static as_result table_add(word_table *w, const unsigned char *s, size_t n)
{
    if (w->n_words * 2 >= w->hcap) {
        as_result r = table_grow(w);
        if (r) return r;
    }
    size_t h = (size_t)fnv1a(s, n) & (w->hcap - 1);
    while (w->slots[h]) {
        size_t i = w->slots[h] - 1;
        if (w->lens[i] == n && !memcmp(w->bytes[i], s, n)) {
            w->words[i].count++;
            return AS_OK;
        }
        h = (h + 1) & (w->hcap - 1);
    }
    if (w->n_words == w->cap_words) {
        size_t cap = w->cap_words ? w->cap_words * 2 : 4096;
        bpe_word *nw = as_realloc(w->words, cap * sizeof *nw);
        if (nw) w->words = nw;
        unsigned char **nb = as_realloc(w->bytes, cap * sizeof *nb);
        if (nb) w->bytes = nb;
        size_t *nl = as_realloc(w->lens, cap * sizeof *nl);
        if (nl) w->lens = nl;
        if (!nw || !nb || !nl) return as_fail(AS_ERR_NOMEM, "tokenizer training: out of memory");
        w->cap_words = cap;
    }
    size_t i = w->n_words;
    w->bytes[i] = as_malloc(n);
    w->words[i].ids = as_malloc(sizeof(int) * n);
    if (!w->bytes[i] || !w->words[i].ids) {
        as_free(w->bytes[i]);
        as_free(w->words[i].ids);
        return as_fail(AS_ERR_NOMEM, "tokenizer training: out of memory");
    }
    memcpy(w->bytes[i], s, n);
    w->lens[i] = n;
    for (size_t k = 0; k < n; k++) w->words[i].ids[k] = TC_BYTE0 + s[k];
    w->words[i].n = (int)n;
    w->words[i].count = 1;
    w->slots[h] = i + 1;
    w->n_words++;
    return AS_OK;
}

static void table_free(word_table *w)
{
    for (size_t i = 0; i < w->n_words; i++) as_free(w->bytes[i]), as_free(w->words[i].ids);
    as_free(w->words), as_free(w->bytes), as_free(w->lens), as_free(w->slots);
    memset(w, 0, sizeof *w);
}

as_result tc_tokenizer_train(const char *const *texts, size_t n_texts, int n_merges, tc_tokenizer *out)
{
    memset(out, 0, sizeof *out);
    if (n_merges < 0 || n_merges > TC_MAX_MERGES)
        return as_fail(AS_ERR_RANGE, "tokenizer training: %d merges (0..%d)", n_merges, TC_MAX_MERGES);
    word_table w = {0};
    as_result r = AS_OK;
    for (size_t t = 0; t < n_texts && !r; t++) {
        size_t len = strlen(texts[t]);
        if (tc_utf8_check(texts[t], len) != len) {
            r = as_fail(AS_ERR_PARSE, "tokenizer training: text %zu is not valid UTF-8", t);
            break;
        }
        for (size_t pos = 0; pos < len && !r;) {
            size_t end = tc_word_end(texts[t], len, pos);
            r = table_add(&w, (const unsigned char *)texts[t] + pos, end - pos);
            pos = end;
        }
    }
    int32_t *merges = as_malloc(sizeof(int32_t) * 2 * (size_t)(n_merges ? n_merges : 1));
    /* pair counts: open addressing over (a, b), rebuilt every round */
    size_t pcap = 1;
    for (size_t i = 0; i < w.n_words; i++) pcap += (size_t)w.words[i].n;
    size_t hcap = 1024;
    while (hcap < 2 * pcap) hcap <<= 1;
    uint64_t *pkeys = as_malloc(hcap * sizeof(uint64_t));
    long *pcounts = as_malloc(hcap * sizeof(long));
    if (!r && (!merges || !pkeys || !pcounts)) r = as_fail(AS_ERR_NOMEM, "tokenizer training: out of memory");
    int done = 0;
    /* token lengths, to keep every token within TC_WORD_MAX bytes */
    int *tok_len = as_malloc(sizeof(int) * (size_t)(TC_FIRST_MERGE + n_merges));
    if (!r && !tok_len) r = as_fail(AS_ERR_NOMEM, "tokenizer training: out of memory");
    if (!r) {
        for (int i = 0; i < TC_FIRST_MERGE; i++) tok_len[i] = i >= TC_BYTE0;
    }
    while (!r && done < n_merges) {
        memset(pkeys, 0, hcap * sizeof(uint64_t));
        uint64_t best_key = 0;
        long best_count = 1;
        for (size_t i = 0; i < w.n_words; i++) {
            const bpe_word *wd = &w.words[i];
            for (int k = 0; k + 1 < wd->n; k++) {
                uint64_t key = ((uint64_t)(uint32_t)wd->ids[k] << 32 | (uint32_t)wd->ids[k + 1]) + 1;
                size_t s = (size_t)(key * 0x9E3779B97F4A7C15ULL >> 20) & (hcap - 1);
                while (pkeys[s] && pkeys[s] != key) s = (s + 1) & (hcap - 1);
                if (!pkeys[s]) pkeys[s] = key, pcounts[s] = 0;
                pcounts[s] += wd->count;
                long c = pcounts[s];
                if (c > best_count || (c == best_count && best_key && key < best_key)) {
                    if (tok_len[wd->ids[k]] + tok_len[wd->ids[k + 1]] <= TC_WORD_MAX) best_count = c, best_key = key;
                }
            }
        }
        if (!best_key) break; /* no pair occurs twice */
        int a = (int)((best_key - 1) >> 32), b = (int)((best_key - 1) & 0xFFFFFFFFu), id = TC_FIRST_MERGE + done;
        merges[2 * done] = a, merges[2 * done + 1] = b;
        tok_len[id] = tok_len[a] + tok_len[b];
        for (size_t i = 0; i < w.n_words; i++) {
            bpe_word *wd = &w.words[i];
            int j = 0;
            for (int k = 0; k < wd->n; k++) {
                if (k + 1 < wd->n && wd->ids[k] == a && wd->ids[k + 1] == b) wd->ids[j++] = id, k++;
                else wd->ids[j++] = wd->ids[k];
            }
            wd->n = j;
        }
        done++;
    }
    if (!r) r = tc_tokenizer_init(out, merges, done);
    as_free(merges), as_free(pkeys), as_free(pcounts), as_free(tok_len);
    table_free(&w);
    return r;
}
