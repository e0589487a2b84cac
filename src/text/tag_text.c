/* text/tag_text.c — the classifier's part in `say` and `timeline`: tags the
 * sentences of a text that no explicit emotion tag covers, so untagged text
 * (an LLM's reply, a script line) still moves the face. A tag holds until
 * the next (docs/TIMELINE.md), so the uncovered sentences are those before
 * the first emotion tag; [strength:x] tags do not count and stay where they
 * are. Text with an unclosed '[' is left as it is, so the tag parser
 * reports the error at its own position. Each such sentence gets "[class:NN] " in front of it, NN the
 * intensity from the predicted VAD's distance to neutral (classifier.c),
 * and is classified with the (up to 2) sentences before it as context.
 * A sentence ends after a run of . ! ? … 。 ！ ？ (closing quotes allowed)
 * before white space, or at a line break; a lone "." after an abbreviation
 * or an initial does not end it (abbreviation_continues, the list in
 * docs/CLASSIFIER.md). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "animasync/classifier.h"
#include "animasync/timeline.h"
#include "core/internal.h"
#include "text/text_internal.h"

/* End of the tag that starts at s[i] == '[' (index after ']'), or 0 when the
 * bracket is not closed (the tag parser reports that later). */
static size_t tag_end(const char *s, size_t n, size_t i)
{
    for (size_t k = i + 1; k < n; k++)
        if (s[k] == ']') return k + 1;
    return 0;
}

/* 1 when the bytes at s[i] are a sentence terminator; *k receives its size. */
static int terminator(const char *s, size_t n, size_t i, size_t *k)
{
    static const char *const marks[] = {".", "!", "?", "\xE2\x80\xA6" /* … */, "\xE3\x80\x82" /* 。 */,
                                        "\xEF\xBC\x81" /* ！ */, "\xEF\xBC\x9F" /* ？ */};
    for (size_t m = 0; m < sizeof marks / sizeof marks[0]; m++) {
        size_t l = strlen(marks[m]);
        if (i + l <= n && !memcmp(s + i, marks[m], l)) {
            *k = l;
            return 1;
        }
    }
    return 0;
}

/* Closing quotes and brackets that may follow a terminator. */
static size_t closer(const char *s, size_t n, size_t i)
{
    static const char *const marks[] = {"\"", "'", ")", "\xE2\x80\x9D" /* ” */, "\xE2\x80\x99" /* ’ */,
                                        "\xE3\x80\x8D" /* 」 */, "\xE3\x80\x8F" /* 』 */};
    for (size_t m = 0; m < sizeof marks / sizeof marks[0]; m++) {
        size_t l = strlen(marks[m]);
        if (i + l <= n && !memcmp(s + i, marks[m], l)) return l;
    }
    return 0;
}

/* ASCII only: the C classification functions follow the locale. */
static int is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static int is_lower(char c) { return c >= 'a' && c <= 'z'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* What the word before a lone "." says about the sentence going on. */
typedef enum {
    ABBR_LEADS,  /* comes before what it names or introduces ("Dr. Kim", "e.g. apples"): never ends a sentence */
    ABBR_TRAILS, /* can close a sentence ("... pears, etc."): goes on only before a lowercase word or a number */
    ABBR_NUMBER, /* "No." is also the word no: an abbreviation only before a number ("No. 5") */
} abbr_kind;

/* Common English abbreviations, written without their last ".". exact_case
 * entries match only as written, because another spelling is an ordinary
 * word or a name: "ms" (milliseconds), "Al" (the name; "et al." is
 * lowercase), "sat"/"sun"/"wed", "Jan" (also a name; as ABBR_TRAILS it still
 * ends before a capitalised word). The rest match in any case ("DR.",
 * "E.g."). "May" is not abbreviated. Keep docs/CLASSIFIER.md in step. */
static const struct {
    const char *word;
    unsigned char exact_case;
    unsigned char kind;
} abbreviations[] = {
    /* titles */
    {"Mr", 0, ABBR_LEADS}, {"Mrs", 0, ABBR_LEADS}, {"Ms", 1, ABBR_LEADS}, {"Dr", 0, ABBR_LEADS},
    {"Prof", 0, ABBR_LEADS}, {"Rev", 0, ABBR_LEADS}, {"St", 0, ABBR_LEADS}, {"Mt", 0, ABBR_LEADS},
    /* name suffixes and companies */
    {"Jr", 0, ABBR_TRAILS}, {"Sr", 0, ABBR_TRAILS}, {"Inc", 0, ABBR_TRAILS}, {"Ltd", 0, ABBR_TRAILS},
    {"Co", 0, ABBR_TRAILS}, {"Corp", 0, ABBR_TRAILS},
    /* Latin and scholarly */
    {"e.g", 0, ABBR_LEADS}, {"i.e", 0, ABBR_LEADS}, {"cf", 0, ABBR_LEADS}, {"vs", 0, ABBR_LEADS},
    {"approx", 0, ABBR_LEADS}, {"etc", 0, ABBR_TRAILS}, {"al", 1, ABBR_TRAILS},
    /* times of day */
    {"a.m", 0, ABBR_TRAILS}, {"p.m", 0, ABBR_TRAILS},
    /* months and days */
    {"Jan", 1, ABBR_TRAILS}, {"Feb", 1, ABBR_TRAILS}, {"Mar", 1, ABBR_TRAILS}, {"Apr", 1, ABBR_TRAILS},
    {"Jun", 1, ABBR_TRAILS}, {"Jul", 1, ABBR_TRAILS}, {"Aug", 1, ABBR_TRAILS}, {"Sep", 1, ABBR_TRAILS},
    {"Sept", 1, ABBR_TRAILS}, {"Oct", 1, ABBR_TRAILS}, {"Nov", 1, ABBR_TRAILS}, {"Dec", 1, ABBR_TRAILS},
    {"Mon", 1, ABBR_TRAILS}, {"Tue", 1, ABBR_TRAILS}, {"Tues", 1, ABBR_TRAILS}, {"Wed", 1, ABBR_TRAILS},
    {"Thu", 1, ABBR_TRAILS}, {"Thur", 1, ABBR_TRAILS}, {"Thurs", 1, ABBR_TRAILS}, {"Fri", 1, ABBR_TRAILS},
    {"Sat", 1, ABBR_TRAILS}, {"Sun", 1, ABBR_TRAILS},
    /* numbers */
    {"No", 0, ABBR_NUMBER},
};

/* 1 when the lone "." at s[i], followed by spaces or tabs, does not end the
 * sentence that started at s[a] (s ends at n): the word before it is an
 * abbreviation above, or initials ("J." in "J. R. R. Tolkien", "U.S."). A
 * line break or the end after it still ends the sentence. Decimals ("3.5")
 * never get here: no white space follows their ".". */
static int abbreviation_continues(const char *s, size_t a, size_t n, size_t i)
{
    /* the word: ASCII letters with inner dots ("e.g"), not glued to a digit ("1st.") */
    size_t w = i;
    while (w > a && (is_upper(s[w - 1]) || is_lower(s[w - 1]) || s[w - 1] == '.')) w--;
    if (w > a && is_digit(s[w - 1])) return 0;
    while (w < i && s[w] == '.') w++; /* "...etc." */
    size_t len = i - w;
    if (!len) return 0;
    /* what comes next, after the spaces */
    size_t g = i + 1;
    while (g < n && (s[g] == ' ' || s[g] == '\t')) g++;
    if (g >= n || s[g] == '\n' || s[g] == '\r') return 0;
    char next = s[g];
    for (size_t k = 0; k < sizeof abbreviations / sizeof abbreviations[0]; k++) {
        const char *word = abbreviations[k].word;
        if (strlen(word) != len) continue;
        if (abbreviations[k].exact_case ? memcmp(s + w, word, len) : strncasecmp(s + w, word, len)) continue;
        switch (abbreviations[k].kind) {
        case ABBR_LEADS: return 1;
        case ABBR_TRAILS: return is_lower(next) || is_digit(next);
        default: return is_digit(next);
        }
    }
    /* initials: single capitals joined by dots, "J" or "U.S"; they lead into a name */
    for (size_t k = w; k < i; k += 2)
        if (!is_upper(s[k]) || (k + 1 < i && s[k + 1] != '.')) return 0;
    return 1;
}

/* A growing output string. */
typedef struct {
    char *s;
    size_t len, cap;
    int failed;
} sbuf;

static void put(sbuf *b, const char *p, size_t n)
{
    if (b->failed) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *s = as_realloc(b->s, cap);
        if (!s) { b->failed = 1; return; }
        b->s = s, b->cap = cap;
    }
    memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = 0;
}

/* The plain text of s[a..e) for the classifier: tags dropped, "[[" -> "[". */
static void plain(sbuf *out, const char *s, size_t a, size_t e)
{
    out->len = 0;
    put(out, "", 0);
    for (size_t i = a; i < e; i++) {
        if (s[i] == '[' && i + 1 < e && s[i + 1] == '[') {
            put(out, "[", 1);
            i++;
        } else if (s[i] == '[') {
            size_t t = tag_end(s, e, i);
            if (!t) { put(out, s + i, e - i); break; }
            i = t - 1;
        } else {
            put(out, s + i, 1);
        }
    }
}

as_result as_classify_tag_text(const as_classifier *m, const char *text, char **out)
{
    return as_classify_tag_text_floor(m, text, 0.0f, out);
}

as_result as_classify_tag_text_floor(const as_classifier *m, const char *text, float min_confidence, char **out)
{
    if (!text || !out) return as_fail(AS_ERR_INVALID_ARG, "classify: NULL %s", text ? "out" : "text");
    *out = NULL;
    if (!(min_confidence >= 0.0f && min_confidence <= 1.0f))
        return as_fail(AS_ERR_RANGE, "classify: confidence floor %g outside 0..1", (double)min_confidence);
    size_t n = strlen(text), bad = tc_utf8_check(text, n);
    if (bad != n) return as_fail(AS_ERR_PARSE, "classify: invalid UTF-8 at byte %zu of the text", bad);
    /* malformed tags are reported by the tag parser at their own positions,
     * before any tag is inserted */
    as_tagged_text check;
    as_result pr = n ? as_tags_parse(text, n, NULL, &check) : AS_OK;
    if (pr != AS_OK) return pr;
    if (n) as_tagged_text_clear(&check);
    /* the uncovered prefix: up to the first tag that is not [strength:...] */
    size_t prefix = n;
    for (size_t i = 0; i < n; i++) {
        if (text[i] != '[') continue;
        if (i + 1 < n && text[i + 1] == '[') { i++; continue; }
        size_t t = tag_end(text, n, i);
        if (!t) { prefix = 0; break; } /* malformed: leave the text as given for the tag parser to report */
        if (t - i > 10 && !strncasecmp(text + i + 1, "strength:", 9)) { i = t - 1; continue; }
        prefix = i;
        break;
    }
    sbuf res = {0}, sent[3] = {{0}};
    put(&res, "", 0);
    as_classifier_state *st = NULL;
    as_result r = AS_OK;
    size_t pos = 0;
    int n_prev = 0; /* sentences classified so far (context: the last 2) */
    while (pos < prefix && !r) {
        /* leading white space stays as it is */
        size_t a = pos;
        while (a < prefix && (text[a] == ' ' || text[a] == '\t' || text[a] == '\n' || text[a] == '\r')) a++;
        put(&res, text + pos, a - pos);
        if (a >= prefix) { pos = a; break; }
        /* the sentence: up to a terminator run (+ closers) before white space, or a line break */
        size_t e = a, k;
        while (e < prefix) {
            if (text[e] == '\n') break;
            if (text[e] == '[') {
                if (e + 1 < prefix && text[e + 1] == '[') { e += 2; continue; }
                size_t t = tag_end(text, prefix, e);
                e = t ? t : prefix;
                continue;
            }
            if (terminator(text, prefix, e, &k)) {
                size_t f = e + k, c;
                while (f < prefix && (terminator(text, prefix, f, &k) || (k = closer(text, prefix, f)))) f += k;
                while (f < prefix && (c = closer(text, prefix, f))) f += c;
                int ends = f >= prefix || text[f] == ' ' || text[f] == '\t' || text[f] == '\n' || text[f] == '\r';
                /* a lone "." (no closer) after "Dr", "etc" or an initial may not end it */
                if (ends && f == e + 1 && text[e] == '.' && abbreviation_continues(text, a, prefix, e)) ends = 0;
                if (ends) {
                    e = f;
                    break;
                }
                e = f;
                continue;
            }
            e++;
        }
        /* classify it with the previous sentences as context */
        sbuf *cur = &sent[n_prev % 3];
        plain(cur, text, a, e);
        if (!st && !(st = as_classifier_state_create(m))) {
            r = as_fail(m || as_classifier_default() ? AS_ERR_NOMEM : AS_ERR_UNSUPPORTED, "%s", as_last_error());
            break;
        }
        as_dialogue_turn ctx[2];
        size_t nc = 0;
        for (int j = n_prev >= 2 ? n_prev - 2 : 0; j < n_prev; j++) ctx[nc++] = (as_dialogue_turn){sent[j % 3].s, 1};
        as_classification c;
        if (cur->failed) r = as_fail(AS_ERR_NOMEM, "classify: out of memory");
        else r = as_classify_with(st, ctx, nc, cur->s, &c);
        if (r) break;
        char tag[64];
        if (!c.empty) {
            /* below the floor the classifier is not trusted: neutral */
            if (c.emotion == AS_EMO_NEUTRAL || c.probs[c.emotion] < min_confidence) snprintf(tag, sizeof tag, "[neutral] ");
            else snprintf(tag, sizeof tag, "[%s:%d] ", as_emotion_name(c.emotion), (int)(c.intensity * 100.0f + 0.5f));
            put(&res, tag, strlen(tag));
            n_prev++;
        }
        put(&res, text + a, e - a);
        pos = e;
    }
    if (!r) put(&res, text + pos, n - pos);
    if (!r && res.failed) r = as_fail(AS_ERR_NOMEM, "classify: out of memory");
    as_classifier_state_destroy(st);
    for (int i = 0; i < 3; i++) as_free(sent[i].s);
    if (r) {
        as_free(res.s);
        return r;
    }
    *out = res.s;
    return AS_OK;
}
