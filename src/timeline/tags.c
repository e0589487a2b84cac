/* timeline/tags.c — the inline emotion tag parser: UTF-8 text such as
 * "[joy:80] Thanks! [sadness:40] I must go." -> the plain text to speak and
 * its segments (offset, class, intensity, conditioning, strength, name).
 * First stage of the timeline; the text's words get times from speech, then
 * timeline.c turns segments into per-frame conditioning.
 *
 * Grammar (docs/TIMELINE.md):
 *   tag   = "[" name [ ":" arg ] "]"     name: a lexicon word, "vad" or "strength"
 *   "[["  = a literal "["
 * Tags never reach the plain text; spaces and tabs a removed tag leaves next
 * to other whitespace collapse. Tags with no spoken text between them merge
 * into one segment (later values win). Positions in errors are 1-based code
 * point indices of the tag's "[". */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "animasync/timeline.h"
#include "core/internal.h"

as_tag_params as_tag_default_params(void)
{
    as_tag_params p;
    p.default_emotion = NULL;
    p.default_intensity = 0.5f;
    p.tag_intensity = 0.5f; /* level 3: the lexicon word's own VAD point */
    p.strength = 1.0f;
    return p;
}

void as_tagged_text_clear(as_tagged_text *t)
{
    if (!t) return;
    as_free(t->text);
    as_free(t->segments);
    memset(t, 0, sizeof *t);
}

/* ---- UTF-8 ------------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s[0..n), or 0 if invalid (overlong
 * forms, surrogates, code points above U+10FFFF, truncated sequences and
 * NUL bytes are all refused). */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c == 0) return 0;
    if (c < 0x80) return 1;
    size_t len;
    uint32_t cp, min;
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; min = 0x10000; }
    else return 0;
    if (len > n) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

/* Code points in s[0..n) (s valid UTF-8). */
static size_t utf8_count(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) count++;
    return count;
}

/* ---- parser state ----------------------------------------------------------- */

typedef struct {
    const char *src;       /* the input text */
    size_t src_len;
    const as_tag_params *params;
    char *out;             /* plain text being built (capacity src_len + 1) */
    size_t out_len;
    as_segment *segs;      /* capacity: number of '[' + 1 */
    size_t num_segs;
    /* the tag being parsed, for error messages */
    size_t tag_start;      /* byte offset of its '[' */
    size_t tag_end;        /* byte offset one past its ']' (or where it stopped) */
} parser;

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* Fails on the current tag: 'tag "[joy:150]" at character 12: <why>'. The tag
 * is quoted up to 48 bytes (cut on a character boundary). */
static as_result tag_fail(const parser *ps, as_result r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static as_result tag_fail(const parser *ps, as_result r, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    size_t n = ps->tag_end - ps->tag_start;
    const char *ellipsis = "";
    if (n > 48) {
        n = 48;
        while (n > 0 && ((unsigned char)ps->src[ps->tag_start + n] & 0xC0) == 0x80) n--;
        ellipsis = "...";
    }
    return as_fail(r, "tag \"%.*s%s\" at character %zu: %s", (int)n, ps->src + ps->tag_start, ellipsis,
                   utf8_count(ps->src, ps->tag_start) + 1, why);
}

/* Trims ASCII whitespace off both ends of s[0..*n); returns the new start. */
static const char *trim(const char *s, size_t *n)
{
    while (*n > 0 && is_space(s[0])) { s++; (*n)--; }
    while (*n > 0 && is_space(s[*n - 1])) (*n)--;
    return s;
}

/* A plain decimal number: optional sign, digits, optional fraction, nothing
 * else (no exponent, no locale). Returns 0 if s[0..n) is not one. */
static int parse_number(const char *s, size_t n, double *out)
{
    size_t i = 0;
    int neg = 0, digits = 0;
    double v = 0.0, scale = 1.0;
    if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    while (i < n && s[i] >= '0' && s[i] <= '9') { v = v * 10.0 + (s[i++] - '0'); digits++; }
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') { scale /= 10.0; v += (s[i++] - '0') * scale; digits++; }
    }
    if (i != n || digits == 0 || !isfinite(v)) return 0;
    *out = neg ? -v : v;
    return 1;
}

/* The segment a tag at the current output position modifies: the last one
 * if no text has been emitted since it began (tags merge), else a new copy
 * of the emotion in force. */
static as_segment *segment_here(parser *ps)
{
    as_segment *last = &ps->segs[ps->num_segs - 1];
    if (last->offset == ps->out_len) return last;
    as_segment *s = &ps->segs[ps->num_segs++];
    *s = *last;
    s->offset = ps->out_len;
    return s;
}

static void set_name(as_segment *s, const char *name, size_t n)
{
    if (n >= AS_TAG_NAME_MAX) n = AS_TAG_NAME_MAX - 1;
    memcpy(s->name, name, n);
    s->name[n] = 0;
}

/* [vad:v,a,d] — explicit VAD. The label in force picks the face family and
 * the VAD modulates it (ARCHITECTURE.md: pure VAD never drives the face
 * alone); with no label in force (neutral) the class of the nearest of the
 * 80 VAD anchors is taken, at that anchor's level. */
static as_result tag_vad(parser *ps, const char *arg, size_t n)
{
    static const char *const what[3] = {"valence", "arousal", "dominance"};
    float v[3];
    size_t i = 0;
    for (int k = 0; k < 3; k++) {
        size_t j = i;
        while (j < n && arg[j] != ',') j++;
        if ((k < 2 && j >= n) || (k == 2 && j < n))
            return tag_fail(ps, AS_ERR_PARSE, "vad needs three numbers 0..1, e.g. [vad:0.8,0.4,0.5]");
        size_t len = j - i;
        const char *num = trim(arg + i, &len);
        double x;
        if (!parse_number(num, len, &x))
            return tag_fail(ps, AS_ERR_PARSE, "%s \"%.*s\" is not a number", what[k], (int)len, num);
        if (x < 0.0 || x > 1.0)
            return tag_fail(ps, AS_ERR_PARSE, "%s %.*s outside 0..1", what[k], (int)len, num);
        v[k] = (float)x;
        i = j + 1;
    }
    as_vad vad = {v[0], v[1], v[2]};
    as_segment *s = segment_here(ps);
    if (s->emotion == AS_EMO_NEUTRAL) {
        float best = INFINITY;
        as_emotion best_e = AS_EMO_NEUTRAL;
        int best_level = 1;
        for (int e = 0; e < AS_NUM_EMOTIONS; e++) {
            for (int level = 1; level <= AS_NUM_LEVELS; level++) {
                as_vad a = as_emotion_anchor((as_emotion)e, level);
                float d = (a.v - vad.v) * (a.v - vad.v) + (a.a - vad.a) * (a.a - vad.a) + (a.d - vad.d) * (a.d - vad.d);
                if (d < best) { best = d; best_e = (as_emotion)e; best_level = level; }
            }
        }
        s->emotion = best_e;
        s->intensity = best_e == AS_EMO_NEUTRAL ? 0.0f : (float)(best_level - 1) / (AS_NUM_LEVELS - 1);
        const char *cname = as_emotion_name(best_e);
        set_name(s, cname, strlen(cname));
    }
    s->cond = as_cond_make(s->emotion, vad);
    return AS_OK;
}

/* [strength:x] — expression strength 0..2 from here on. */
static as_result tag_strength(parser *ps, const char *arg, size_t n)
{
    double x;
    if (n == 0) return tag_fail(ps, AS_ERR_PARSE, "strength needs a number 0..2, e.g. [strength:1.5]");
    if (!parse_number(arg, n, &x)) return tag_fail(ps, AS_ERR_PARSE, "strength \"%.*s\" is not a number", (int)n, arg);
    if (x < 0.0 || x > 2.0) return tag_fail(ps, AS_ERR_PARSE, "strength %.*s outside 0..2", (int)n, arg);
    segment_here(ps)->strength = (float)x;
    return AS_OK;
}

/* [name] or [name:intensity] — a lexicon word at intensity 0..100. */
static as_result tag_emotion(parser *ps, const char *name, size_t name_len, const char *arg, size_t arg_len,
                             int has_arg)
{
    if (name_len >= AS_TAG_NAME_MAX)
        return tag_fail(ps, AS_ERR_PARSE, "emotion name longer than %d bytes", AS_TAG_NAME_MAX - 1);
    char word[AS_TAG_NAME_MAX];
    memcpy(word, name, name_len);
    word[name_len] = 0;

    float intensity = ps->params->tag_intensity;
    if (has_arg) {
        double x;
        if (arg_len == 0)
            return tag_fail(ps, AS_ERR_PARSE, "missing intensity after ':' (0..100, e.g. [%s:80])", word);
        if (!parse_number(arg, arg_len, &x))
            return tag_fail(ps, AS_ERR_PARSE, "intensity \"%.*s\" is not a number", (int)arg_len, arg);
        if (x < 0.0 || x > 100.0)
            return tag_fail(ps, AS_ERR_PARSE, "intensity %.*s outside 0..100", (int)arg_len, arg);
        intensity = (float)(x / 100.0);
    }

    as_lexicon_entry entry;
    if (as_lexicon_lookup(word, &entry) != AS_OK) {
        const char *near[3];
        size_t k = as_lexicon_suggest(word, near, 3);
        char hint[160] = "";
        for (size_t i = 0; i < k; i++) {
            size_t used = strlen(hint);
            snprintf(hint + used, sizeof hint - used, "%s%s", i ? ", " : " (did you mean: ", near[i]);
        }
        if (k) {
            size_t used = strlen(hint);
            snprintf(hint + used, sizeof hint - used, ")");
        }
        return tag_fail(ps, AS_ERR_PARSE, "unknown emotion \"%s\"%s", word, hint);
    }
    as_cond cond;
    as_result r = as_cond_from_name(word, intensity, &cond);
    if (r != AS_OK) return tag_fail(ps, AS_ERR_PARSE, "emotion \"%s\" has no conditioning", word);

    as_segment *s = segment_here(ps);
    s->emotion = entry.emotion;
    s->intensity = entry.emotion == AS_EMO_NEUTRAL ? 0.0f : intensity;
    s->cond = cond;
    set_name(s, word, name_len);
    return AS_OK;
}

static int name_is(const char *s, size_t n, const char *kw)
{
    size_t k = strlen(kw);
    if (n != k) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != kw[i]) return 0;
    }
    return 1;
}

/* Parses the tag whose '[' is at src[i]; on success *next is past its ']'. */
static as_result parse_tag(parser *ps, size_t i, size_t *next)
{
    const char *src = ps->src;
    size_t j = i + 1;
    while (j < ps->src_len && src[j] != ']' && src[j] != '[' && src[j] != '\n' && src[j] != '\r') j++;
    ps->tag_start = i;
    if (j >= ps->src_len || src[j] != ']') {
        ps->tag_end = j;
        return tag_fail(ps, AS_ERR_PARSE, "unterminated tag (no closing ']' before %s; write \"[[\" for a literal '[')",
                        j >= ps->src_len ? "the end of the text" : src[j] == '[' ? "the next '['" : "the end of the line");
    }
    ps->tag_end = j + 1;
    *next = j + 1;

    const char *body = src + i + 1;
    size_t body_len = j - i - 1;
    size_t colon = 0;
    while (colon < body_len && body[colon] != ':') colon++;
    size_t name_len = colon;
    const char *name = trim(body, &name_len);
    int has_arg = colon < body_len;
    size_t arg_len = has_arg ? body_len - colon - 1 : 0;
    const char *arg = has_arg ? trim(body + colon + 1, &arg_len) : body + body_len;
    if (name_len == 0) return tag_fail(ps, AS_ERR_PARSE, "empty tag (write \"[[\" for a literal '[')");

    if (name_is(name, name_len, "vad")) {
        if (!has_arg) return tag_fail(ps, AS_ERR_PARSE, "vad needs three numbers 0..1, e.g. [vad:0.8,0.4,0.5]");
        return tag_vad(ps, arg, arg_len);
    }
    if (name_is(name, name_len, "strength")) return tag_strength(ps, arg, arg_len);
    return tag_emotion(ps, name, name_len, arg, arg_len, has_arg);
}

/* ---- entry point -------------------------------------------------------------- */

static as_result check_params(const as_tag_params *p)
{
    if (!(p->default_intensity >= 0.0f && p->default_intensity <= 1.0f))
        return as_fail(AS_ERR_RANGE, "tag params: default_intensity %g outside 0..1", (double)p->default_intensity);
    if (!(p->tag_intensity >= 0.0f && p->tag_intensity <= 1.0f))
        return as_fail(AS_ERR_RANGE, "tag params: tag_intensity %g outside 0..1", (double)p->tag_intensity);
    if (!(p->strength >= 0.0f && p->strength <= 2.0f))
        return as_fail(AS_ERR_RANGE, "tag params: strength %g outside 0..2", (double)p->strength);
    return AS_OK;
}

/* The segment in force before any tag: the default emotion. */
static as_result default_segment(const as_tag_params *p, as_segment *s)
{
    const char *name = p->default_emotion ? p->default_emotion : "neutral";
    as_lexicon_entry entry;
    if (as_lexicon_lookup(name, &entry) != AS_OK)
        return as_fail(AS_ERR_UNKNOWN, "tag params: unknown default emotion \"%s\"", name);
    memset(s, 0, sizeof *s);
    as_result r = as_cond_from_name(name, p->default_intensity, &s->cond);
    if (r != AS_OK) return r;
    s->offset = 0;
    s->emotion = entry.emotion;
    s->intensity = entry.emotion == AS_EMO_NEUTRAL ? 0.0f : p->default_intensity;
    s->strength = p->strength;
    set_name(s, name, strlen(name));
    return AS_OK;
}

as_result as_tags_parse(const char *text, size_t len, const as_tag_params *params, as_tagged_text *out)
{
    if (!out) return as_fail(AS_ERR_INVALID_ARG, "as_tags_parse: out is NULL");
    memset(out, 0, sizeof *out);
    if (!text) return as_fail(AS_ERR_INVALID_ARG, "as_tags_parse: text is NULL");
    if (len == AS_TEXT_NUL_TERMINATED) len = strlen(text);
    as_tag_params p = params ? *params : as_tag_default_params();
    as_result r = check_params(&p);
    if (r != AS_OK) return r;

    /* validate the whole text first: every later step may assume UTF-8 */
    size_t brackets = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq_len((const unsigned char *)text + i, len - i);
        if (n == 0) {
            if (text[i] == 0) return as_fail(AS_ERR_PARSE, "text: NUL byte at byte %zu", i);
            return as_fail(AS_ERR_PARSE, "text: invalid UTF-8 at byte %zu (0x%02X)", i, (unsigned char)text[i]);
        }
        if (text[i] == '[') brackets++;
        i += n;
    }

    parser ps;
    memset(&ps, 0, sizeof ps);
    ps.src = text;
    ps.src_len = len;
    ps.params = &p;
    ps.out = as_malloc(len + 1);
    ps.segs = as_calloc(brackets + 1, sizeof *ps.segs);
    if (!ps.out || !ps.segs) {
        as_free(ps.out);
        as_free(ps.segs);
        return as_fail(AS_ERR_NOMEM, "as_tags_parse: out of memory for %zu bytes of text", len);
    }
    r = default_segment(&p, &ps.segs[0]);
    if (r != AS_OK) goto fail;
    ps.num_segs = 1;

    int after_tag = 0; /* nothing but tags (and the blanks they ate) since the last text */
    for (size_t i = 0; i < len;) {
        if (text[i] == '[' && i + 1 < len && text[i + 1] == '[') {
            ps.out[ps.out_len++] = '[';
            i += 2;
            after_tag = 0;
        } else if (text[i] == '[') {
            r = parse_tag(&ps, i, &i);
            if (r != AS_OK) goto fail;
            after_tag = 1;
            /* collapse: blanks after a tag go when the text so far is empty
             * or already ends in whitespace */
            if (ps.out_len == 0 || is_space(ps.out[ps.out_len - 1]))
                while (i < len && is_blank(text[i])) i++;
        } else {
            ps.out[ps.out_len++] = text[i++];
            after_tag = 0;
        }
    }
    /* a tag run at the very end leaves the blanks before it: drop them */
    if (after_tag) {
        while (ps.out_len > 0 && is_blank(ps.out[ps.out_len - 1])) ps.out_len--;
        for (size_t k = 0; k < ps.num_segs; k++)
            if (ps.segs[k].offset > ps.out_len) ps.segs[k].offset = ps.out_len;
        /* a segment the trim left empty is overridden by the next one */
        size_t kept = 0;
        for (size_t k = 0; k < ps.num_segs; k++) {
            if (kept > 0 && ps.segs[kept - 1].offset == ps.segs[k].offset) kept--;
            ps.segs[kept++] = ps.segs[k];
        }
        ps.num_segs = kept;
    }
    ps.out[ps.out_len] = 0;

    out->text = ps.out;
    out->text_len = ps.out_len;
    out->segments = ps.segs;
    out->num_segments = ps.num_segs;
    return AS_OK;

fail:
    as_free(ps.out);
    as_free(ps.segs);
    return r;
}
