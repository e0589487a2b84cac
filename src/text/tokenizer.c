/* text/tokenizer.c — the byte-level BPE tokenizer of the text emotion
 * classifier (Sennrich, Haddow & Birch, ACL 2016; over UTF-8 bytes as in
 * GPT-2). One vocabulary for English and Korean: 256 byte tokens, so any
 * text encodes and decodes back to the same bytes, plus the merges learned
 * on the corpus's training split (src/train/tokenizer_train.c). Text ->
 * words (pre-tokenizer) -> bytes -> merges applied by rank inside each word.
 * Encoding allocates nothing; the classifier calls it per sentence. */
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "text/text_internal.h"

/* ---- UTF-8 ------------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s[0..n), or 0 (RFC 3629, table 3-7 of
 * the Unicode standard: no overlongs, no surrogates, nothing above U+10FFFF). */
static size_t utf8_len(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned c = s[0];
    if (c < 0x80) { *cp = c; return 1; }
    size_t k;
    uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) k = 2, v = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF) k = 3, v = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4) k = 4, v = c & 0x07, min = 0x10000;
    else return 0;
    if (n < k) return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return k;
}

size_t tc_utf8_check(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    uint32_t cp;
    while (i < len) {
        size_t k = utf8_len(u + i, len - i, &cp);
        if (!k) return i;
        i += k;
    }
    return len;
}

/* ---- pre-tokenizer ---------------------------------------------------------- */

enum { CC_SPACE, CC_WS, CC_LETTER, CC_DIGIT, CC_PUNCT };

static int char_class(uint32_t cp)
{
    if (cp == ' ') return CC_SPACE;
    if (cp == '\t' || cp == '\n' || cp == '\r' || cp == '\v' || cp == '\f' || cp == 0x3000 || cp == 0xA0)
        return CC_WS;
    if (cp >= '0' && cp <= '9') return CC_DIGIT;
    if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || cp == '\'') return CC_LETTER;
    if (cp < 0x80) return CC_PUNCT;
    /* general punctuation, CJK symbols and punctuation, fullwidth ASCII
     * punctuation, and the emoji blocks: each is punctuation-like */
    if ((cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFF01 && cp <= 0xFF0F) ||
        (cp >= 0xFF1A && cp <= 0xFF20) || (cp >= 0x2190 && cp <= 0x2BFF) || cp >= 0x1F000)
        return CC_PUNCT;
    return CC_LETTER; /* Hangul, Latin with accents, every other script */
}

size_t tc_word_end(const char *s, size_t len, size_t pos)
{
    const unsigned char *u = (const unsigned char *)s;
    uint32_t cp;
    size_t i = pos, k = utf8_len(u + i, len - i, &cp);
    if (!k) return pos + 1; /* not reached on checked text; one byte keeps callers moving */
    int cls = char_class(cp);
    if (cls == CC_SPACE && i + k < len) {
        /* a single space joins the word after it (" hello", " 안녕") */
        uint32_t cp2;
        size_t k2 = utf8_len(u + i + k, len - i - k, &cp2);
        if (k2 && char_class(cp2) != CC_SPACE && char_class(cp2) != CC_WS) {
            i += k;
            k = k2;
            cls = char_class(cp2);
        }
    }
    i += k;
    while (i < len) {
        k = utf8_len(u + i, len - i, &cp);
        if (!k || char_class(cp) != cls || i + k - pos > TC_WORD_MAX) break;
        i += k;
    }
    return i;
}

/* ---- construction ----------------------------------------------------------- */

static uint64_t pair_key(int a, int b) { return ((uint64_t)(uint32_t)a << 32 | (uint32_t)b) + 1; }

static size_t hash_slot(uint64_t key, size_t cap)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL; /* the finaliser of MurmurHash3 (Appleby) */
    key ^= key >> 33;
    return (size_t)key & (cap - 1);
}

void tc_tokenizer_free(tc_tokenizer *t)
{
    if (!t) return;
    as_free(t->merges);
    as_free(t->hkeys);
    as_free(t->hvals);
    as_free(t->tok_off);
    as_free(t->tok_len);
    as_free(t->pool);
    memset(t, 0, sizeof *t);
}

as_result tc_tokenizer_init(tc_tokenizer *t, const int32_t *merges, int n)
{
    memset(t, 0, sizeof *t);
    if (n < 0 || n > TC_MAX_MERGES || (n && !merges))
        return as_fail(AS_ERR_INVALID_ARG, "tokenizer: %d merges (0..%d)", n, TC_MAX_MERGES);
    int V = TC_FIRST_MERGE + n;
    t->n_merges = n;
    t->hcap = 16;
    while (t->hcap < (size_t)n * 2 + 16) t->hcap <<= 1;
    t->merges = as_malloc(sizeof(int32_t) * 2 * (size_t)(n ? n : 1));
    t->hkeys = as_calloc(t->hcap, sizeof(uint64_t));
    t->hvals = as_malloc(sizeof(int32_t) * t->hcap);
    t->tok_off = as_malloc(sizeof(uint32_t) * (size_t)V);
    t->tok_len = as_malloc(sizeof(uint16_t) * (size_t)V);
    if (!t->merges || !t->hkeys || !t->hvals || !t->tok_off || !t->tok_len) {
        tc_tokenizer_free(t);
        return as_fail(AS_ERR_NOMEM, "tokenizer: out of memory");
    }
    if (n) memcpy(t->merges, merges, sizeof(int32_t) * 2 * (size_t)n);
    /* token byte strings: special tokens are empty, bytes are themselves, a
     * merge is its two parts; total length first, then fill the pool */
    size_t total = 256;
    for (int i = 0; i < TC_NUM_SPECIAL; i++) t->tok_len[i] = 0;
    for (int b = 0; b < 256; b++) t->tok_len[TC_BYTE0 + b] = 1;
    for (int i = 0; i < n; i++) {
        int a = merges[2 * i], b = merges[2 * i + 1], id = TC_FIRST_MERGE + i;
        if (a < TC_BYTE0 || b < TC_BYTE0 || a >= id || b >= id) {
            tc_tokenizer_free(t);
            return as_fail(AS_ERR_PARSE, "tokenizer: merge %d joins ids %d and %d, not tokens defined before it", i,
                           a, b);
        }
        size_t l = (size_t)t->tok_len[a] + t->tok_len[b];
        if (l > TC_WORD_MAX) {
            tc_tokenizer_free(t);
            return as_fail(AS_ERR_PARSE, "tokenizer: merge %d makes a token of %zu bytes (at most %d)", i, l,
                           TC_WORD_MAX);
        }
        t->tok_len[id] = (uint16_t)l;
        total += l;
    }
    t->pool = as_malloc(total);
    if (!t->pool) {
        tc_tokenizer_free(t);
        return as_fail(AS_ERR_NOMEM, "tokenizer: out of memory");
    }
    size_t off = 0;
    for (int i = 0; i < TC_NUM_SPECIAL; i++) t->tok_off[i] = 0;
    for (int b = 0; b < 256; b++) t->tok_off[TC_BYTE0 + b] = (uint32_t)off, t->pool[off++] = (unsigned char)b;
    for (int i = 0; i < n; i++) {
        int a = merges[2 * i], b = merges[2 * i + 1], id = TC_FIRST_MERGE + i;
        t->tok_off[id] = (uint32_t)off;
        memcpy(t->pool + off, t->pool + t->tok_off[a], t->tok_len[a]);
        memcpy(t->pool + off + t->tok_len[a], t->pool + t->tok_off[b], t->tok_len[b]);
        off += t->tok_len[id];
        /* the pair -> merge table (the first merge of a pair wins) */
        uint64_t key = pair_key(a, b);
        size_t s = hash_slot(key, t->hcap);
        while (t->hkeys[s] && t->hkeys[s] != key) s = (s + 1) & (t->hcap - 1);
        if (!t->hkeys[s]) t->hkeys[s] = key, t->hvals[s] = i;
    }
    return AS_OK;
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8), p[2] = (unsigned char)(v >> 16),
    p[3] = (unsigned char)(v >> 24);
}
static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

as_result tc_tokenizer_serialize(const tc_tokenizer *t, unsigned char **out, size_t *len)
{
    size_t n = 12 + 8 * (size_t)t->n_merges;
    unsigned char *b = as_malloc(n);
    if (!b) return as_fail(AS_ERR_NOMEM, "tokenizer: out of memory");
    memcpy(b, "ASBP", 4);
    put32(b + 4, 1);
    put32(b + 8, (uint32_t)t->n_merges);
    for (int i = 0; i < 2 * t->n_merges; i++) put32(b + 12 + 4 * (size_t)i, (uint32_t)t->merges[i]);
    *out = b;
    *len = n;
    return AS_OK;
}

as_result tc_tokenizer_parse(tc_tokenizer *t, const void *data, size_t len)
{
    const unsigned char *b = data;
    memset(t, 0, sizeof *t);
    if (!b || len < 12 || memcmp(b, "ASBP", 4))
        return as_fail(AS_ERR_PARSE, "tokenizer: no \"ASBP\" vocabulary in the model's extra bytes; "
                                     "train one with `animasync train-classifier`");
    if (get32(b + 4) != 1) return as_fail(AS_ERR_PARSE, "tokenizer: vocabulary version %u (expected 1)", get32(b + 4));
    uint32_t n = get32(b + 8);
    if (n > TC_MAX_MERGES || len != 12 + 8 * (size_t)n)
        return as_fail(AS_ERR_PARSE, "tokenizer: vocabulary of %u merges in %zu bytes", n, len);
    int32_t *m = as_malloc(sizeof(int32_t) * 2 * (size_t)(n ? n : 1));
    if (!m) return as_fail(AS_ERR_NOMEM, "tokenizer: out of memory");
    for (size_t i = 0; i < 2 * (size_t)n; i++) m[i] = (int32_t)get32(b + 12 + 4 * i);
    as_result r = tc_tokenizer_init(t, m, (int)n);
    as_free(m);
    return r;
}

/* ---- encoding ----------------------------------------------------------------- */

static int merge_rank(const tc_tokenizer *t, int a, int b)
{
    uint64_t key = pair_key(a, b);
    size_t s = hash_slot(key, t->hcap);
    while (t->hkeys[s]) {
        if (t->hkeys[s] == key) return t->hvals[s];
        s = (s + 1) & (t->hcap - 1);
    }
    return -1;
}

int tc_encode_word(const tc_tokenizer *t, const unsigned char *w, size_t n, int *ids)
{
    int m = (int)n;
    for (int i = 0; i < m; i++) ids[i] = TC_BYTE0 + w[i];
    /* apply the lowest-ranked merge present, all its occurrences left to
     * right, until no adjacent pair has a merge (the order BPE learned them) */
    while (m > 1) {
        int best = -1;
        for (int i = 0; i + 1 < m; i++) {
            int r = merge_rank(t, ids[i], ids[i + 1]);
            if (r >= 0 && (best < 0 || r < best)) best = r;
        }
        if (best < 0) break;
        int a = t->merges[2 * best], b = t->merges[2 * best + 1], j = 0;
        for (int i = 0; i < m; i++) {
            if (i + 1 < m && ids[i] == a && ids[i + 1] == b) {
                ids[j++] = TC_FIRST_MERGE + best;
                i++;
            } else {
                ids[j++] = ids[i];
            }
        }
        m = j;
    }
    return m;
}

int tc_encode(const tc_tokenizer *t, const char *text, size_t len, int *ids, int max_ids, int keep_tail,
              int *n_total)
{
    int total = 0, word[TC_WORD_MAX];
    size_t pos = 0;
    if (max_ids < 0) max_ids = 0;
    while (pos < len) {
        size_t end = tc_word_end(text, len, pos);
        int k = tc_encode_word(t, (const unsigned char *)text + pos, end - pos, word);
        for (int i = 0; i < k; i++, total++) {
            if (!keep_tail) {
                if (total < max_ids) ids[total] = word[i];
            } else if (max_ids > 0) {
                ids[total % max_ids] = word[i]; /* ring buffer of the newest max_ids */
            }
        }
        if (!keep_tail && total >= max_ids && !n_total) break;
        pos = end;
    }
    if (n_total) *n_total = total;
    if (!keep_tail) return total < max_ids ? total : max_ids;
    if (total <= max_ids) return total;
    /* rotate the ring so the oldest kept token comes first */
    int start = total % max_ids;
    for (int done = 0, c = 0; done < max_ids; c++) {
        int tmp = ids[c], i = c;
        for (;;) {
            int j = i + start;
            if (j >= max_ids) j -= max_ids;
            done++;
            if (j == c) { ids[i] = tmp; break; }
            ids[i] = ids[j];
            i = j;
        }
    }
    return max_ids;
}

size_t tc_decode(const tc_tokenizer *t, const int *ids, int n, char *out, size_t cap)
{
    size_t len = 0, V = (size_t)tc_vocab_size(t);
    for (int i = 0; i < n; i++) {
        if (ids[i] < 0 || (size_t)ids[i] >= V) continue;
        const unsigned char *b = t->pool + t->tok_off[ids[i]];
        for (int k = 0; k < t->tok_len[ids[i]]; k++, len++)
            if (len + 1 < cap) out[len] = (char)b[k];
    }
    if (cap) out[len < cap ? len : cap - 1] = 0;
    return len;
}
