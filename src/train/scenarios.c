/* train/scenarios.c — the labelled dialogue corpus (data/scenarios/): reads
 * the JSONL files and split.json, validates every field against the format of
 * docs/CORPUS.md, and answers queries and counts. It sits at the start of the
 * training side: the dataset generator and the text classifier read turns
 * from here, and nothing here touches a face.
 *
 * Memory: every string and tag list lives in one arena of fixed blocks (so
 * pointers handed out never move); scenarios and turns are two growing
 * arrays. A failed load frees everything through as_corpus_destroy. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "animasync/scenarios.h"
#include "core/internal.h"

/* ---- names ---- */

static const char *const speaker_names[AS_NUM_SPEAKERS] = {"SELF", "OTHER"};
static const char *const lang_names[AS_NUM_LANGS] = {"en", "ko"};
static const char *const split_names[AS_NUM_SPLITS + 1] = {"train", "validation", "test", "none"};

const char *as_speaker_name(as_speaker s)
{
    return ((int)s >= 0 && (int)s < AS_NUM_SPEAKERS) ? speaker_names[s] : NULL;
}

const char *as_lang_name(as_lang l)
{
    return ((int)l >= 0 && (int)l < AS_NUM_LANGS) ? lang_names[l] : NULL;
}

const char *as_split_name(as_split s)
{
    return ((int)s >= 0 && (int)s <= AS_NUM_SPLITS) ? split_names[s] : NULL;
}

int as_lang_find(const char *code)
{
    for (int i = 0; code && i < AS_NUM_LANGS; i++)
        if (strcmp(code, lang_names[i]) == 0) return i;
    return -1;
}

int as_split_find(const char *name)
{
    for (int i = 0; name && i <= AS_NUM_SPLITS; i++)
        if (strcmp(name, split_names[i]) == 0) return i;
    return -1;
}

/* ---- the corpus object and its arena ---- */

/* One entry of the id index (qsort in C11 has no context argument, so the
 * entry carries its key). */
typedef struct {
    const char *id;
    size_t index;
} id_entry;

typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    max_align_t data[]; /* cap bytes */
} arena_block;

struct as_corpus {
    as_corpus_scenario *scen;
    size_t n_scen, cap_scen;
    as_corpus_turn *turns;
    size_t n_turns, cap_turns;
    id_entry *by_id; /* every scenario's id, sorted by id (then load order) */
    arena_block *arena;
};

#define ARENA_BLOCK 65536

static void *arena_alloc(as_corpus *c, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    arena_block *b = c->arena;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        b = as_malloc(sizeof(arena_block) + cap);
        if (!b) return NULL;
        b->next = c->arena;
        b->used = 0;
        b->cap = cap;
        c->arena = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    return p;
}

static char *arena_strdup(as_corpus *c, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = arena_alloc(c, n);
    if (d) memcpy(d, s, n);
    return d;
}

void as_corpus_destroy(as_corpus *c)
{
    if (!c) return;
    for (arena_block *b = c->arena, *next; b; b = next) {
        next = b->next;
        as_free(b);
    }
    as_free(c->scen);
    as_free(c->turns);
    as_free(c->by_id);
    as_free(c);
}

size_t as_corpus_scenario_count(const as_corpus *c) { return c ? c->n_scen : 0; }
size_t as_corpus_turn_count(const as_corpus *c) { return c ? c->n_turns : 0; }

const as_corpus_scenario *as_corpus_scenario_at(const as_corpus *c, size_t i)
{
    return (c && i < c->n_scen) ? &c->scen[i] : NULL;
}

const as_corpus_turn *as_corpus_turn_at(const as_corpus *c, size_t i)
{
    return (c && i < c->n_turns) ? &c->turns[i] : NULL;
}

/* Binary search of by_id; the first scenario (in load order) with that id. */
static long find_index(const as_corpus *c, const char *id)
{
    size_t lo = 0, hi = c->n_scen;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(c->by_id[mid].id, id) < 0) lo = mid + 1;
        else hi = mid;
    }
    return (lo < c->n_scen && strcmp(c->by_id[lo].id, id) == 0) ? (long)c->by_id[lo].index : -1;
}

const as_corpus_scenario *as_corpus_scenario_find(const as_corpus *c, const char *id)
{
    if (!c || !id || !c->by_id) return NULL;
    long i = find_index(c, id);
    return i < 0 ? NULL : &c->scen[i];
}

/* ---- error messages: "FILE:LINE: FIELD: what is wrong" ---- */

static void fail_at(const char *file, int line, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void fail_at(const char *file, int line, const char *field, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (field && *field) as_set_error("%s:%d: %s: %s", file, line, field, msg);
    else as_set_error("%s:%d: %s", file, line, msg);
}

/* ---- text checks ---- */

/* Strict UTF-8 (RFC 3629: no overlong forms, no surrogates, at most
 * U+10FFFF). Returns 1 if s[0..n) is valid, else 0 with *bad = the offset of
 * the first byte of the offending sequence. */
static int utf8_valid(const unsigned char *s, size_t n, size_t *bad)
{
    size_t i = 0;
    while (i < n) {
        unsigned char b = s[i];
        size_t len;
        uint32_t cp;
        if (b < 0x80) { i++; continue; }
        else if (b >= 0xC2 && b <= 0xDF) { len = 2; cp = b & 0x1F; }
        else if (b >= 0xE0 && b <= 0xEF) { len = 3; cp = b & 0x0F; }
        else if (b >= 0xF0 && b <= 0xF4) { len = 4; cp = b & 0x07; }
        else { *bad = i; return 0; }
        if (i + len > n) { *bad = i; return 0; }
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) { *bad = i; return 0; }
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF)) { *bad = i; return 0; }
        i += len;
    }
    return 1;
}

/* A label string: valid UTF-8, no control characters (C0 and DEL), and, when
 * must_have_text, something besides white space. Records the error and
 * returns 0 when it is not. */
static int check_text(const char *file, int line, const char *field, const char *s, int must_have_text)
{
    size_t n = strlen(s), bad;
    if (!utf8_valid((const unsigned char *)s, n, &bad)) {
        fail_at(file, line, field, "invalid UTF-8 at byte %zu", bad);
        return 0;
    }
    int has_text = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7F) {
            fail_at(file, line, field, "control character U+%04X at byte %zu", ch, i);
            return 0;
        }
        if (ch != ' ') has_text = 1;
    }
    if (must_have_text && !has_text) {
        fail_at(file, line, field, "empty text");
        return 0;
    }
    return 1;
}

/* Ids: "<lang>-<name>" with name of [a-z0-9_-], at most AS_MAX_ID bytes. */
#define AS_MAX_ID 64
static int id_chars_ok(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_')) return 0;
    return 1;
}

/* Tags: [a-z0-9:=_-]+ (docs/CORPUS.md lists the vocabulary in use). */
static int tag_chars_ok(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == ':' ||
              *s == '=')) return 0;
    return 1;
}

/* Object fields: each known key at most once, unknown keys refused. Returns
 * the index in known[] of a child, or records the error and returns -1. */
static int field_index(const char *file, int line, const char *where, const cJSON *item, const char *const *known,
                       int n_known, unsigned *seen)
{
    const char *key = item->string ? item->string : "";
    for (int k = 0; k < n_known; k++) {
        if (strcmp(key, known[k]) != 0) continue;
        if (*seen & (1u << k)) {
            fail_at(file, line, where, "field '%s' appears twice", key);
            return -1;
        }
        *seen |= 1u << k;
        return k;
    }
    char list[256] = "";
    for (int k = 0; k < n_known; k++) {
        strncat(list, known[k], sizeof list - strlen(list) - 1);
        if (k + 1 < n_known) strncat(list, ", ", sizeof list - strlen(list) - 1);
    }
    fail_at(file, line, where, "unknown field '%s' (known: %s)", key, list);
    return -1;
}

/* ---- one turn ---- */

enum { T_SPEAKER, T_TEXT, T_EMOTION, T_INTENSITY, T_VAD, T_NOTE, T_NUM };
static const char *const turn_fields[T_NUM] = {"speaker", "text", "emotion", "intensity", "vad", "note"};

static int parse_turn(as_corpus *c, const char *file, int line, int ti, const cJSON *jt, as_corpus_turn *t)
{
    char where[48], field[64];
    snprintf(where, sizeof where, "turns[%d]", ti);
    if (!cJSON_IsObject(jt)) {
        fail_at(file, line, where, "expected an object {\"speaker\", \"text\", \"emotion\", \"intensity\"}");
        return 0;
    }
    const cJSON *f[T_NUM] = {0};
    unsigned seen = 0;
    for (const cJSON *it = jt->child; it; it = it->next) {
        int k = field_index(file, line, where, it, turn_fields, T_NUM, &seen);
        if (k < 0) return 0;
        f[k] = it;
    }
    for (int k = 0; k <= T_INTENSITY; k++)
        if (!f[k]) {
            snprintf(field, sizeof field, "%s.%s", where, turn_fields[k]);
            fail_at(file, line, field, "missing");
            return 0;
        }

    /* speaker */
    snprintf(field, sizeof field, "%s.speaker", where);
    if (!cJSON_IsString(f[T_SPEAKER])) { fail_at(file, line, field, "expected \"SELF\" or \"OTHER\""); return 0; }
    const char *sp = f[T_SPEAKER]->valuestring;
    if (strcmp(sp, "SELF") == 0) t->speaker = AS_SPEAKER_SELF;
    else if (strcmp(sp, "OTHER") == 0) t->speaker = AS_SPEAKER_OTHER;
    else {
        size_t bad;
        fail_at(file, line, field, "'%.40s' is not SELF or OTHER",
                utf8_valid((const unsigned char *)sp, strlen(sp), &bad) ? sp : "(invalid UTF-8)");
        return 0;
    }

    /* text */
    snprintf(field, sizeof field, "%s.text", where);
    if (!cJSON_IsString(f[T_TEXT])) { fail_at(file, line, field, "expected a string"); return 0; }
    if (!check_text(file, line, field, f[T_TEXT]->valuestring, 1)) return 0;

    /* emotion: the exact (lower-case) class name */
    snprintf(field, sizeof field, "%s.emotion", where);
    if (!cJSON_IsString(f[T_EMOTION])) { fail_at(file, line, field, "expected a class name"); return 0; }
    const char *emo = f[T_EMOTION]->valuestring;
    if (!check_text(file, line, field, emo, 1)) return 0;
    int e = as_emotion_find(emo);
    if (e < 0 || strcmp(emo, as_emotion_name((as_emotion)e)) != 0) {
        as_lexicon_entry lex;
        if (e >= 0) {
            fail_at(file, line, field, "write the class as '%s', not '%.40s'", as_emotion_name((as_emotion)e), emo);
        } else if (as_lexicon_lookup(emo, &lex) == AS_OK) {
            fail_at(file, line, field, "unknown class '%.40s' (a lexicon alias of '%s': labels use the 16 class names)",
                    emo, as_emotion_name(lex.emotion));
        } else {
            fail_at(file, line, field, "unknown class '%.40s' (one of neutral, joy, gratitude, laughter, excitement, "
                    "agreement, sadness, crying, sulk, apology, worry, anger, refusal, surprise, fluster, shy)", emo);
        }
        return 0;
    }
    t->emotion = (as_emotion)e;

    /* intensity: the level 1..5 */
    snprintf(field, sizeof field, "%s.intensity", where);
    double lv = cJSON_IsNumber(f[T_INTENSITY]) ? f[T_INTENSITY]->valuedouble : NAN;
    if (!cJSON_IsNumber(f[T_INTENSITY]) || !isfinite(lv) || lv != floor(lv)) {
        fail_at(file, line, field, "expected an integer level 1..5");
        return 0;
    }
    if (lv < 1 || lv > AS_NUM_LEVELS) { fail_at(file, line, field, "level %g is outside 1..5", lv); return 0; }
    t->level = (int)lv;

    /* vad: an optional override [v, a, d], each 0..1 */
    t->has_vad = 0;
    t->vad = as_emotion_anchor(t->emotion, t->level);
    if (f[T_VAD]) {
        snprintf(field, sizeof field, "%s.vad", where);
        if (!cJSON_IsArray(f[T_VAD]) || cJSON_GetArraySize(f[T_VAD]) != 3) {
            fail_at(file, line, field, "expected [v, a, d], three numbers in 0..1");
            return 0;
        }
        float x[3];
        int k = 0;
        for (const cJSON *it = f[T_VAD]->child; it; it = it->next, k++) {
            snprintf(field, sizeof field, "%s.vad[%d]", where, k);
            if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble)) {
                fail_at(file, line, field, "expected a number in 0..1");
                return 0;
            }
            if (it->valuedouble < 0.0 || it->valuedouble > 1.0) {
                fail_at(file, line, field, "%g is outside 0..1", it->valuedouble);
                return 0;
            }
            x[k] = (float)it->valuedouble;
        }
        t->vad.v = x[0];
        t->vad.a = x[1];
        t->vad.d = x[2];
        t->has_vad = 1;
    }

    /* note: optional free text for the next labeller */
    t->note = NULL;
    if (f[T_NOTE]) {
        snprintf(field, sizeof field, "%s.note", where);
        if (!cJSON_IsString(f[T_NOTE])) { fail_at(file, line, field, "expected a string"); return 0; }
        if (!check_text(file, line, field, f[T_NOTE]->valuestring, 1)) return 0;
        if (!(t->note = arena_strdup(c, f[T_NOTE]->valuestring))) goto nomem;
    }
    if (!(t->text = arena_strdup(c, f[T_TEXT]->valuestring))) goto nomem;
    return 1;
nomem:
    fail_at(file, line, where, "out of memory");
    return 0;
}

/* ---- one scenario (one line) ---- */

enum { S_ID, S_LANG, S_TITLE, S_SETTING, S_TAGS, S_PARALLEL, S_TURNS, S_NUM };
static const char *const scen_fields[S_NUM] = {"id", "lang", "title", "setting", "tags", "parallel", "turns"};

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 1;
    size_t ncap = *cap ? *cap * 2 : 256;
    while (ncap < need) ncap *= 2;
    void *p = as_realloc(*arr, ncap * elem);
    if (!p) return 0;
    *arr = p;
    *cap = ncap;
    return 1;
}

static int parse_scenario(as_corpus *c, const char *file, int line, const char *text, size_t n)
{
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(text, n, &end, 0);
    if (!j) {
        size_t bad;
        if (!utf8_valid((const unsigned char *)text, n, &bad)) fail_at(file, line, NULL, "invalid UTF-8 at byte %zu", bad);
        else fail_at(file, line, NULL, "invalid JSON near column %zu", (size_t)(end ? end - text : 0) + 1);
        return 0;
    }
    int ok = 0;
    for (const char *p = end; p < text + n; p++)
        if (*p != ' ' && *p != '\t') {
            fail_at(file, line, NULL, "text after the scenario object at column %zu (one scenario per line)",
                    (size_t)(p - text) + 1);
            goto done;
        }
    if (!cJSON_IsObject(j)) {
        fail_at(file, line, NULL, "a line must hold one JSON object (one scenario)");
        goto done;
    }
    const cJSON *f[S_NUM] = {0};
    unsigned seen = 0;
    for (const cJSON *it = j->child; it; it = it->next) {
        int k = field_index(file, line, "scenario", it, scen_fields, S_NUM, &seen);
        if (k < 0) goto done;
        f[k] = it;
    }
    static const int required[] = {S_ID, S_LANG, S_TITLE, S_SETTING, S_TURNS};
    for (size_t r = 0; r < sizeof required / sizeof required[0]; r++)
        if (!f[required[r]]) { fail_at(file, line, scen_fields[required[r]], "missing"); goto done; }

    as_corpus_scenario s;
    memset(&s, 0, sizeof s);
    s.split = AS_SPLIT_NONE;
    s.line = line;
    s.file = file;

    /* id and lang: the id starts with the language code */
    if (!cJSON_IsString(f[S_ID]) || !id_chars_ok(f[S_ID]->valuestring) || strlen(f[S_ID]->valuestring) > AS_MAX_ID) {
        fail_at(file, line, "id", "expected 1 to %d characters of a-z, 0-9, '-', '_' (e.g. \"en-0001\")", AS_MAX_ID);
        goto done;
    }
    const char *id = f[S_ID]->valuestring;
    if (!cJSON_IsString(f[S_LANG]) || as_lang_find(f[S_LANG]->valuestring) < 0) {
        fail_at(file, line, "lang", "expected \"en\" or \"ko\"");
        goto done;
    }
    s.lang = (as_lang)as_lang_find(f[S_LANG]->valuestring);
    size_t ll = strlen(lang_names[s.lang]);
    if (strncmp(id, lang_names[s.lang], ll) != 0 || id[ll] != '-' || !id[ll + 1]) {
        fail_at(file, line, "id", "'%s' must start with its language, '%s-'", id, lang_names[s.lang]);
        goto done;
    }

    /* title, setting */
    if (!cJSON_IsString(f[S_TITLE])) { fail_at(file, line, "title", "expected a string"); goto done; }
    if (!check_text(file, line, "title", f[S_TITLE]->valuestring, 1)) goto done;
    if (!cJSON_IsString(f[S_SETTING])) { fail_at(file, line, "setting", "expected a string"); goto done; }
    if (!check_text(file, line, "setting", f[S_SETTING]->valuestring, 1)) goto done;

    /* tags (optional) */
    if (f[S_TAGS]) {
        if (!cJSON_IsArray(f[S_TAGS])) { fail_at(file, line, "tags", "expected an array of strings"); goto done; }
        int k = 0;
        for (const cJSON *it = f[S_TAGS]->child; it; it = it->next, k++) {
            char field[32];
            snprintf(field, sizeof field, "tags[%d]", k);
            if (!cJSON_IsString(it) || !tag_chars_ok(it->valuestring)) {
                fail_at(file, line, field, "expected a tag of a-z, 0-9, '-', '_', ':', '='");
                goto done;
            }
        }
        s.n_tags = (size_t)k;
    }

    /* parallel (optional): checked against the whole corpus after loading */
    if (f[S_PARALLEL]) {
        if (!cJSON_IsString(f[S_PARALLEL]) || !id_chars_ok(f[S_PARALLEL]->valuestring) ||
            strlen(f[S_PARALLEL]->valuestring) > AS_MAX_ID) {
            fail_at(file, line, "parallel", "expected the id of another scenario");
            goto done;
        }
        if (strcmp(f[S_PARALLEL]->valuestring, id) == 0) {
            fail_at(file, line, "parallel", "a scenario cannot be its own translation");
            goto done;
        }
    }

    /* turns */
    if (!cJSON_IsArray(f[S_TURNS]) || cJSON_GetArraySize(f[S_TURNS]) < 1) {
        fail_at(file, line, "turns", "expected a non-empty array of turns");
        goto done;
    }
    size_t nt = (size_t)cJSON_GetArraySize(f[S_TURNS]);
    if (!grow((void **)&c->turns, &c->cap_turns, c->n_turns + nt, sizeof *c->turns) ||
        !grow((void **)&c->scen, &c->cap_scen, c->n_scen + 1, sizeof *c->scen)) {
        fail_at(file, line, NULL, "out of memory");
        goto done;
    }
    s.first_turn = c->n_turns;
    s.n_turns = nt;
    int ti = 0;
    for (const cJSON *jt = f[S_TURNS]->child; jt; jt = jt->next, ti++) {
        as_corpus_turn *t = &c->turns[c->n_turns + (size_t)ti];
        memset(t, 0, sizeof *t);
        if (!parse_turn(c, file, line, ti, jt, t)) goto done;
        t->scenario = c->n_scen;
        t->index = (size_t)ti;
    }

    /* strings into the arena */
    if (!(s.id = arena_strdup(c, id)) || !(s.title = arena_strdup(c, f[S_TITLE]->valuestring)) ||
        !(s.setting = arena_strdup(c, f[S_SETTING]->valuestring)) ||
        (f[S_PARALLEL] && !(s.parallel = arena_strdup(c, f[S_PARALLEL]->valuestring)))) {
        fail_at(file, line, NULL, "out of memory");
        goto done;
    }
    if (s.n_tags) {
        const char **tags = arena_alloc(c, s.n_tags * sizeof *tags);
        if (!tags) { fail_at(file, line, NULL, "out of memory"); goto done; }
        size_t k = 0;
        for (const cJSON *it = f[S_TAGS]->child; it; it = it->next, k++)
            if (!(tags[k] = arena_strdup(c, it->valuestring))) { fail_at(file, line, NULL, "out of memory"); goto done; }
        s.tags = tags;
    }
    c->n_turns += nt;
    c->scen[c->n_scen++] = s;
    ok = 1;
done:
    cJSON_Delete(j);
    return ok;
}

/* ---- one JSONL file ---- */

static int load_jsonl(as_corpus *c, const char *path)
{
    char *buf = NULL;
    size_t len = 0;
    if (as_read_file(path, &buf, &len) != AS_OK) return 0; /* as_read_file recorded the error */
    const char *file = arena_strdup(c, path);
    if (!file) { as_free(buf); as_set_error("%s: out of memory", path); return 0; }
    int ok = 1, line = 0;
    const char *p = buf, *end = buf + len;
    while (ok && p < end) {
        line++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        size_t n = (size_t)(stop - p);
        if (n && p[n - 1] == '\r') n--;
        if (memchr(p, '\0', n)) {
            fail_at(file, line, NULL, "NUL byte in the line");
            ok = 0;
            break;
        }
        int blank = 1;
        for (size_t i = 0; i < n && blank; i++) blank = (p[i] == ' ' || p[i] == '\t');
        if (!blank) ok = parse_scenario(c, file, line, p, n);
        p = nl ? nl + 1 : end;
    }
    as_free(buf);
    return ok;
}

/* ---- split.json ---- */

/* The 1-based line of the nth (1-based) occurrence of needle in text, or of
 * the last occurrence when there are fewer; 1 when there is none. Used to
 * point split.json errors at the line of the id concerned. */
static int line_of(const char *text, const char *needle, int nth)
{
    int line = 1, found = 1, count = 0;
    size_t nl = strlen(needle);
    for (const char *p = text; *p; p++) {
        if (strncmp(p, needle, nl) == 0) {
            count++;
            found = line;
            if (count == nth) return line;
        }
        if (*p == '\n') line++;
    }
    return found;
}

static int cmp_id_entry(const void *a, const void *b)
{
    const id_entry *x = a, *y = b;
    int r = strcmp(x->id, y->id);
    return r ? r : (x->index < y->index ? -1 : x->index > y->index);
}

static int load_split(as_corpus *c, const char *path, int every_id_known)
{
    char *buf = NULL;
    size_t len = 0;
    if (as_read_file(path, &buf, &len) != AS_OK) return 0;
    int ok = 0;
    size_t bad;
    cJSON *j = NULL;
    if (!utf8_valid((const unsigned char *)buf, len, &bad)) {
        int line = 1;
        for (size_t i = 0; i < bad; i++) line += (buf[i] == '\n');
        as_set_error("%s:%d: invalid UTF-8", path, line);
        goto done;
    }
    const char *end = NULL;
    j = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
    if (!j || !cJSON_IsObject(j)) {
        int line = 1;
        for (const char *p = buf; end && p < end; p++) line += (*p == '\n');
        as_set_error("%s:%d: invalid JSON (expected {\"train\": [...], \"validation\": [...], \"test\": [...], ...})",
                     path, line);
        goto done;
    }
    static const char *const known[] = {"format", "version", "method", "command", "seed", "counts",
                                        "train", "validation", "test"};
    enum { K_FORMAT, K_VERSION, K_METHOD, K_COMMAND, K_SEED, K_COUNTS, K_TRAIN, K_VALIDATION, K_TEST, K_NUM };
    const cJSON *f[K_NUM] = {0};
    unsigned seen = 0;
    for (const cJSON *it = j->child; it; it = it->next) {
        int k = field_index(path, line_of(buf, it->string ? it->string : "", 1), "split", it, known, K_NUM, &seen);
        if (k < 0) goto done;
        f[k] = it;
    }
    if (f[K_FORMAT] && (!cJSON_IsString(f[K_FORMAT]) ||
                        strcmp(f[K_FORMAT]->valuestring, "animasync-scenario-split") != 0)) {
        fail_at(path, line_of(buf, "\"format\"", 1), "format", "expected \"animasync-scenario-split\"");
        goto done;
    }
    if (f[K_VERSION] && (!cJSON_IsNumber(f[K_VERSION]) || f[K_VERSION]->valuedouble != 1.0)) {
        fail_at(path, line_of(buf, "\"version\"", 1), "version", "this build reads version 1");
        goto done;
    }
    for (int k = K_METHOD; k <= K_COMMAND; k++)
        if (!f[k] || !cJSON_IsString(f[k]) || !f[k]->valuestring[0]) {
            fail_at(path, f[k] ? line_of(buf, k == K_METHOD ? "\"method\"" : "\"command\"", 1) : 1, known[k],
                    "%s (a non-empty string saying how the split was made)", f[k] ? "expected a string" : "missing");
            goto done;
        }
    /* The splits, in file order, so "already in" names the earlier one. */
    for (const cJSON *it = j->child; it; it = it->next) {
        int sp = as_split_find(it->string);
        if (sp < 0 || sp == AS_SPLIT_NONE) continue;
        char quoted_key[24];
        snprintf(quoted_key, sizeof quoted_key, "\"%s\"", it->string);
        if (!cJSON_IsArray(it)) {
            fail_at(path, line_of(buf, quoted_key, 1), it->string, "expected an array of scenario ids");
            goto done;
        }
        int k = 0;
        for (const cJSON *e = it->child; e; e = e->next, k++) {
            char field[48], quoted[160];
            snprintf(field, sizeof field, "%s[%d]", it->string, k);
            if (!cJSON_IsString(e) || strlen(e->valuestring) > AS_MAX_ID) {
                fail_at(path, line_of(buf, quoted_key, 1), field, "expected a scenario id");
                goto done;
            }
            snprintf(quoted, sizeof quoted, "\"%s\"", e->valuestring);
            long si = find_index(c, e->valuestring);
            if (si < 0) {
                if (!every_id_known) continue; /* a single file: ids of other files are fine */
                fail_at(path, line_of(buf, quoted, 1), field, "'%s' names no scenario in the corpus", e->valuestring);
                goto done;
            }
            as_corpus_scenario *s = &c->scen[si];
            if (s->split != AS_SPLIT_NONE) {
                fail_at(path, line_of(buf, quoted, 2), field, "scenario '%s' is in two splits (%s and %s)",
                        e->valuestring, split_names[s->split], split_names[sp]);
                goto done;
            }
            s->split = (as_split)sp;
        }
    }
    for (int k = K_TRAIN; k <= K_TEST; k++)
        if (!f[k]) { fail_at(path, 1, known[k], "missing"); goto done; }
    ok = 1;
done:
    cJSON_Delete(j);
    as_free(buf);
    return ok;
}

/* ---- loading ---- */

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The *.jsonl names in dir, sorted bytewise (strcmp): the load order. */
static char **list_jsonl(const char *dir, size_t *n_out)
{
    *n_out = 0;
    DIR *d = opendir(dir);
    if (!d) { as_set_error("%s: cannot open directory: %s", dir, strerror(errno)); return NULL; }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    int ok = 1;
    while (ok && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || !ends_with(de->d_name, ".jsonl")) continue;
        if (!grow((void **)&names, &cap, n + 1, sizeof *names) || !(names[n] = as_strdup(de->d_name))) ok = 0;
        else n++;
    }
    closedir(d);
    if (!ok) {
        for (size_t i = 0; i < n; i++) as_free(names[i]);
        as_free(names);
        as_set_error("%s: out of memory", dir);
        return NULL;
    }
    if (n) qsort(names, n, sizeof *names, cmp_str);
    if (!names) {
        names = as_malloc(sizeof *names); /* a non-NULL empty list */
        if (!names) as_set_error("%s: out of memory", dir);
    }
    *n_out = n;
    return names;
}

static char *join_path(const char *dir, const char *name)
{
    size_t nd = strlen(dir);
    while (nd > 1 && dir[nd - 1] == '/') nd--;
    size_t n = nd + 1 + strlen(name) + 1;
    char *p = as_malloc(n);
    if (p) snprintf(p, n, "%.*s/%s", (int)nd, dir, name);
    return p;
}

/* Corpus-wide checks once every file is in: unique ids (and the id index). */
static int index_ids(as_corpus *c)
{
    c->by_id = as_malloc((c->n_scen ? c->n_scen : 1) * sizeof *c->by_id);
    if (!c->by_id) { as_set_error("scenarios: out of memory"); return 0; }
    for (size_t i = 0; i < c->n_scen; i++) {
        c->by_id[i].id = c->scen[i].id;
        c->by_id[i].index = i;
    }
    qsort(c->by_id, c->n_scen, sizeof *c->by_id, cmp_id_entry);
    for (size_t i = 1; i < c->n_scen; i++) {
        const as_corpus_scenario *a = &c->scen[c->by_id[i - 1].index], *b = &c->scen[c->by_id[i].index];
        if (strcmp(a->id, b->id) == 0) {
            fail_at(b->file, b->line, "id", "duplicate scenario id '%s' (first at %s:%d)", b->id, a->file, a->line);
            return 0;
        }
    }
    return 1;
}

/* After split.json: every scenario in a split (when required) and
 * translations in the same split as their original. */
static int check_splits(as_corpus *c, int require_split, int every_id_known)
{
    for (size_t i = 0; i < c->n_scen; i++) {
        const as_corpus_scenario *s = &c->scen[i];
        if (require_split && s->split == AS_SPLIT_NONE) {
            fail_at(s->file, s->line, "id", "scenario '%s' is in no split (add it to split.json)", s->id);
            return 0;
        }
        if (!s->parallel) continue;
        long p = find_index(c, s->parallel);
        if (p < 0) {
            if (!every_id_known) continue;
            fail_at(s->file, s->line, "parallel", "'%s' names no scenario in the corpus", s->parallel);
            return 0;
        }
        if (c->scen[p].split != s->split) {
            fail_at(s->file, s->line, "parallel", "'%s' is in %s but its translation '%s' is in %s (keep them in one split)",
                    s->id, split_names[s->split], s->parallel, split_names[c->scen[p].split]);
            return 0;
        }
    }
    return 1;
}

as_corpus *as_corpus_load(const char *dir_or_file)
{
    if (!dir_or_file) { as_set_error("as_corpus_load: path is NULL"); return NULL; }
    struct stat st;
    if (stat(dir_or_file, &st) != 0) {
        as_set_error("%s: cannot open: %s", dir_or_file, strerror(errno));
        return NULL;
    }
    as_corpus *c = as_calloc(1, sizeof *c);
    if (!c) { as_set_error("%s: out of memory", dir_or_file); return NULL; }
    int is_dir = S_ISDIR(st.st_mode), ok = 1;
    char *split_path = NULL;
    if (is_dir) {
        size_t n = 0;
        char **names = list_jsonl(dir_or_file, &n);
        if (!names) ok = 0;
        else if (n == 0) { as_set_error("%s: no *.jsonl files in the directory", dir_or_file); ok = 0; }
        for (size_t i = 0; ok && i < n; i++) {
            char *path = join_path(dir_or_file, names[i]);
            if (!path) { as_set_error("%s: out of memory", dir_or_file); ok = 0; break; }
            ok = load_jsonl(c, path);
            as_free(path);
        }
        for (size_t i = 0; names && i < n; i++) as_free(names[i]);
        as_free(names);
        if (ok && !(split_path = join_path(dir_or_file, "split.json"))) {
            as_set_error("%s: out of memory", dir_or_file);
            ok = 0;
        }
        if (ok && stat(split_path, &st) != 0) {
            as_set_error("%s: missing: a corpus directory needs its split.json (docs/CORPUS.md)", split_path);
            ok = 0;
        }
    } else {
        ok = load_jsonl(c, dir_or_file);
        /* split.json beside the file, if there is one */
        const char *slash = strrchr(dir_or_file, '/');
        size_t dl = slash ? (size_t)(slash - dir_or_file) : 0;
        if (slash && dl == 0) dl = 1; /* a file in "/" */
        char *dir = slash ? as_malloc(dl + 1) : as_strdup(".");
        if (dir && slash) {
            memcpy(dir, dir_or_file, dl);
            dir[dl] = 0;
        }
        if (ok && (!dir || !(split_path = join_path(dir, "split.json")))) {
            as_set_error("%s: out of memory", dir_or_file);
            ok = 0;
        }
        as_free(dir);
        if (ok && stat(split_path, &st) != 0) { as_free(split_path); split_path = NULL; }
    }
    if (ok) ok = index_ids(c);
    if (ok && split_path) ok = load_split(c, split_path, is_dir);
    if (ok) ok = check_splits(c, is_dir, is_dir);
    as_free(split_path);
    if (!ok) { as_corpus_destroy(c); return NULL; }
    return c;
}

/* ---- counts ---- */

as_result as_corpus_count(const as_corpus *c, int split, int speaker, as_corpus_counts *out)
{
    if (!c || !out) return as_fail(AS_ERR_INVALID_ARG, "as_corpus_count: NULL argument");
    if (split != AS_CORPUS_ANY && (split < 0 || split > AS_SPLIT_NONE))
        return as_fail(AS_ERR_INVALID_ARG, "as_corpus_count: split %d is not a split", split);
    if (speaker != AS_CORPUS_ANY && (speaker < 0 || speaker >= AS_NUM_SPEAKERS))
        return as_fail(AS_ERR_INVALID_ARG, "as_corpus_count: speaker %d is not a speaker", speaker);
    memset(out, 0, sizeof *out);
    for (size_t si = 0; si < c->n_scen; si++) {
        const as_corpus_scenario *s = &c->scen[si];
        if (split != AS_CORPUS_ANY && (int)s->split != split) continue;
        size_t used = 0;
        for (size_t k = 0; k < s->n_turns; k++) {
            const as_corpus_turn *t = &c->turns[s->first_turn + k];
            if (speaker != AS_CORPUS_ANY && (int)t->speaker != speaker) continue;
            used++;
            out->turns++;
            out->vad_overrides += (size_t)t->has_vad;
            out->class_turns[t->emotion]++;
            out->class_speaker[t->emotion][t->speaker]++;
            out->class_level[t->emotion][t->level - 1]++;
            out->level_turns[t->level - 1]++;
            out->speaker_turns[t->speaker]++;
            out->lang_turns[s->lang]++;
            out->split_turns[s->split]++;
            out->split_class[s->split][t->emotion]++;
        }
        if (used) {
            out->scenarios++;
            out->lang_scenarios[s->lang]++;
            out->split_scenarios[s->split]++;
        }
    }
    return AS_OK;
}

int as_corpus_levels_used(const as_corpus_counts *k, as_emotion e)
{
    if (!k || (int)e < 0 || (int)e >= AS_NUM_EMOTIONS) return 0;
    int n = 0;
    for (int l = 0; l < AS_NUM_LEVELS; l++) n += k->class_level[e][l] > 0;
    return n;
}
