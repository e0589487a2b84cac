/* test_tokenizer.c — the classifier's byte-level BPE tokenizer
 * (src/text/tokenizer.c, src/train/tokenizer_train.c): training on English
 * and Korean gives merges that shorten both; encode -> decode gives back the
 * same bytes for English, Korean, mixed text, emoji and odd white space;
 * truncation keeps the head or the tail; the vocabulary survives
 * serialisation; invalid UTF-8 is found at the right byte; a corrupt
 * vocabulary is refused. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "text/text_internal.h"
#include "train/classifier_train.h"

static const char *const corpus[] = {
    "Thank you so much, I really mean it.",
    "I'm so sorry, I didn't mean to hurt you.",
    "That's amazing! I can't believe we won!",
    "Thank you for coming, it means a lot.",
    "No. I said no, and I mean it.",
    "정말 고마워요. 덕분에 살았어요.",
    "미안해요, 제가 잘못했어요.",
    "와, 진짜요? 대박이다!",
    "고마워요, 정말 고마워요.",
    "괜찮아요, 걱정하지 마세요.",
};

static void round_trip(const tc_tokenizer *t, const char *s)
{
    int ids[512], total = 0;
    size_t len = strlen(s);
    CHECKF(tc_utf8_check(s, len) == len, "valid UTF-8: %s", s);
    int n = tc_encode(t, s, len, ids, 512, 0, &total);
    CHECKF(n == total, "all tokens fit (%d of %d)", n, total);
    CHECKF(n <= (int)len, "never more tokens than bytes (%d > %zu)", n, len);
    for (int i = 0; i < n; i++) CHECKF(ids[i] >= TC_BYTE0 && ids[i] < tc_vocab_size(t), "id %d in range", ids[i]);
    char back[2048];
    size_t bl = tc_decode(t, ids, n, back, sizeof back);
    CHECKF(bl == len && !memcmp(back, s, len) && back[len] == 0, "round trip of \"%s\" gave \"%s\"", s, back);
}

static void test_train_and_round_trip(void)
{
    tc_tokenizer t;
    CHECK(tc_tokenizer_train(corpus, sizeof corpus / sizeof corpus[0], 200, &t) == AS_OK);
    CHECKF(t.n_merges > 20 && t.n_merges <= 200, "merges learned: %d", t.n_merges);
    /* merges shorten both languages */
    int ids[256];
    const char *en = "Thank you so much", *ko = "정말 고마워요";
    int n_en = tc_encode(&t, en, strlen(en), ids, 256, 0, NULL);
    int n_ko = tc_encode(&t, ko, strlen(ko), ids, 256, 0, NULL);
    CHECKF(n_en * 2 < (int)strlen(en), "English compresses: %d tokens for %zu bytes", n_en, strlen(en));
    CHECKF(n_ko * 3 < (int)strlen(ko), "Korean compresses: %d tokens for %zu bytes", n_ko, strlen(ko));
    /* round trips: seen, unseen, mixed, emoji, white space, special-looking text */
    const char *cases[] = {
        "Thank you so much, I really mean it.",
        "Completely unseen words: xylophone quizzically.",
        "정말 고마워요. 덕분에 살았어요.",
        "처음 보는 문장입니다: 햇살이 눈부셔요!",
        "Mixed 한국어 and English, 섞어서 OK? 123 4.5",
        "emoji \xF0\x9F\x98\x82\xF0\x9F\x98\xAD and \xE2\x80\xA6 ellipsis",
        "  leading, double  spaces,\ttabs\nand newlines\r\n  ",
        "[SELF] [OTHER] [[brackets]] are plain text",
        "",
        "a",
        "\xC3\xA9t\xC3\xA9 na\xC3\xAFve caf\xC3\xA9",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) round_trip(&t, cases[i]);
    /* "[SELF]" in text is bytes, never the special token */
    int n = tc_encode(&t, "[SELF]", 6, ids, 256, 0, NULL);
    for (int i = 0; i < n; i++) CHECK(ids[i] >= TC_BYTE0);

    /* truncation: head keeps the first tokens, tail the last ones */
    const char *long_text = "one two three four five six seven eight nine ten eleven twelve";
    int all[256], head[4], tail[4], total = 0;
    int na = tc_encode(&t, long_text, strlen(long_text), all, 256, 0, &total);
    CHECK(na == total && na > 8);
    int nh = tc_encode(&t, long_text, strlen(long_text), head, 4, 0, &total);
    CHECK(nh == 4 && total == na && !memcmp(head, all, sizeof head));
    for (int cap = 1; cap <= 4; cap++) {
        int nt = tc_encode(&t, long_text, strlen(long_text), tail, cap, 1, &total);
        CHECKF(nt == cap && total == na && !memcmp(tail, all + na - cap, sizeof(int) * (size_t)cap),
               "tail of %d tokens", cap);
    }

    /* serialisation round trip: the same ids */
    unsigned char *bytes;
    size_t blen;
    CHECK(tc_tokenizer_serialize(&t, &bytes, &blen) == AS_OK);
    tc_tokenizer t2;
    CHECK(tc_tokenizer_parse(&t2, bytes, blen) == AS_OK);
    CHECK(t2.n_merges == t.n_merges);
    int ids2[256];
    const char *mixed = cases[4];
    int n1 = tc_encode(&t, mixed, strlen(mixed), ids, 256, 0, NULL);
    int n2 = tc_encode(&t2, mixed, strlen(mixed), ids2, 256, 0, NULL);
    CHECK(n1 == n2 && !memcmp(ids, ids2, sizeof(int) * (size_t)n1));
    tc_tokenizer_free(&t2);
    /* corrupt vocabularies are refused: truncated, bad magic, a merge of an undefined id */
    CHECK(tc_tokenizer_parse(&t2, bytes, blen - 1) == AS_ERR_PARSE);
    bytes[0] = 'X';
    CHECK(tc_tokenizer_parse(&t2, bytes, blen) == AS_ERR_PARSE);
    bytes[0] = 'A';
    bytes[12] = 0xFF, bytes[13] = 0xFF; /* first merge's left id -> 65535 */
    CHECK(tc_tokenizer_parse(&t2, bytes, blen) == AS_ERR_PARSE);
    free(bytes);
    tc_tokenizer_free(&t2);
    tc_tokenizer_free(&t);
}

static void test_invalid_utf8(void)
{
    struct {
        const char *s;
        size_t bad;
    } cases[] = {
        {"ok \xFF bad", 3},            /* never valid */
        {"\xC0\xAF", 0},               /* overlong '/' */
        {"abc\xE2\x82", 3},            /* truncated sequence */
        {"\xED\xA0\x80", 0},           /* surrogate U+D800 */
        {"\xF4\x90\x80\x80", 0},       /* above U+10FFFF */
        {"\xEC\x95\x88\x80", 3},       /* stray continuation byte after 안 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t at = tc_utf8_check(cases[i].s, strlen(cases[i].s));
        CHECKF(at == cases[i].bad, "case %zu: bad byte at %zu (expected %zu)", i, at, cases[i].bad);
    }
    /* training refuses invalid text */
    const char *bad[] = {"fine", "not \xFF fine"};
    tc_tokenizer t;
    CHECK(tc_tokenizer_train(bad, 2, 10, &t) == AS_ERR_PARSE);
}

int main(void)
{
    test_train_and_round_trip();
    test_invalid_utf8();
    return test_finish("test_tokenizer");
}
