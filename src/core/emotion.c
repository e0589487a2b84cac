/* core/emotion.c — the 16-class emotion taxonomy, its 5 families, the VAD
 * anchors (80 points: 16 classes x L1..L5, from data/anchors.json) and the
 * lexicon of free names and aliases (data/lexicon.json). Both data files are
 * compiled into the library and parsed once, on first use. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/internal.h"

static const char *const emotion_names[AS_NUM_EMOTIONS] = {
    "neutral", "joy", "gratitude", "laughter", "excitement", "agreement",
    "sadness", "crying", "sulk", "apology", "worry", "anger", "refusal",
    "surprise", "fluster", "shy",
};
static const as_family emotion_families[AS_NUM_EMOTIONS] = {
    AS_FAMILY_NEUTRAL, AS_FAMILY_JOY, AS_FAMILY_JOY, AS_FAMILY_JOY, AS_FAMILY_JOY, AS_FAMILY_JOY,
    AS_FAMILY_SADNESS, AS_FAMILY_SADNESS, AS_FAMILY_SADNESS, AS_FAMILY_SADNESS, AS_FAMILY_SADNESS,
    AS_FAMILY_ANGER, AS_FAMILY_ANGER, AS_FAMILY_SURPRISE, AS_FAMILY_SURPRISE, AS_FAMILY_SURPRISE,
};
static const char *const family_names[AS_NUM_FAMILIES] = {"NEUTRAL", "JOY", "SADNESS", "ANGER", "SURPRISE"};
static const as_emotion family_parents[AS_NUM_FAMILIES] = {
    AS_EMO_NEUTRAL, AS_EMO_JOY, AS_EMO_SADNESS, AS_EMO_ANGER, AS_EMO_SURPRISE};

/* ARCHITECTURE.md: the resting face is slightly deactivated. */
static const as_vad neutral_vad = {0.50f, 0.30f, 0.50f};

/* Parsed data, filled once by load_data(). */
static as_vad anchors[AS_NUM_EMOTIONS][AS_NUM_LEVELS];
static as_lexicon_entry *lexicon = NULL;
static size_t lexicon_n = 0;
static int data_ok = 0;
static pthread_once_t data_once = PTHREAD_ONCE_INIT;

const char *as_emotion_name(as_emotion e)
{
    return ((int)e >= 0 && (int)e < AS_NUM_EMOTIONS) ? emotion_names[e] : NULL;
}

/* ASCII-only case folding: UTF-8 multibyte sequences compare byte for byte,
 * so Korean names match exactly and no sequence is ever split. */
static int name_equal(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (x < 128) x = (unsigned char)tolower(x);
        if (y < 128) y = (unsigned char)tolower(y);
        if (x != y) return 0;
    }
    return *a == *b;
}

int as_emotion_find(const char *name)
{
    if (!name) return -1;
    for (int i = 0; i < AS_NUM_EMOTIONS; i++)
        if (name_equal(name, emotion_names[i])) return i;
    return -1;
}

as_family as_emotion_family(as_emotion e)
{
    return ((int)e >= 0 && (int)e < AS_NUM_EMOTIONS) ? emotion_families[e] : AS_FAMILY_NEUTRAL;
}

const char *as_family_name(as_family f)
{
    return ((int)f >= 0 && (int)f < AS_NUM_FAMILIES) ? family_names[f] : NULL;
}

as_emotion as_family_parent(as_family f)
{
    return ((int)f >= 0 && (int)f < AS_NUM_FAMILIES) ? family_parents[f] : AS_EMO_NEUTRAL;
}

as_vad as_neutral_vad(void) { return neutral_vad; }

static int read_vad(const cJSON *arr, as_vad *out)
{
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) != 3) return 0;
    float x[3];
    for (int i = 0; i < 3; i++) {
        const cJSON *it = cJSON_GetArrayItem(arr, i);
        if (!cJSON_IsNumber(it) || !(it->valuedouble >= 0.0 && it->valuedouble <= 1.0)) return 0;
        x[i] = (float)it->valuedouble;
    }
    out->v = x[0];
    out->a = x[1];
    out->d = x[2];
    return 1;
}

static int load_anchors(void)
{
    cJSON *root = cJSON_ParseWithLength((const char *)as_embedded_anchors, as_embedded_anchors_len);
    if (!root) { as_set_error("built-in data/anchors.json: malformed JSON"); return 0; }
    int ok = 1;
    const cJSON *classes = cJSON_GetObjectItemCaseSensitive(root, "classes");
    for (int e = 0; e < AS_NUM_EMOTIONS; e++) {
        if (e == AS_EMO_NEUTRAL) {
            for (int l = 0; l < AS_NUM_LEVELS; l++) anchors[e][l] = neutral_vad;
            continue;
        }
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(classes, emotion_names[e]);
        const cJSON *levels = cJSON_GetObjectItemCaseSensitive(c, "levels");
        if (!cJSON_IsArray(levels) || cJSON_GetArraySize(levels) != AS_NUM_LEVELS) {
            as_set_error("built-in data/anchors.json: class \"%s\" needs 5 levels", emotion_names[e]);
            ok = 0;
            break;
        }
        for (int l = 0; l < AS_NUM_LEVELS; l++)
            if (!read_vad(cJSON_GetArrayItem(levels, l), &anchors[e][l])) {
                as_set_error("built-in data/anchors.json: class \"%s\" level %d: bad VAD", emotion_names[e], l + 1);
                ok = 0;
            }
    }
    cJSON_Delete(root);
    return ok;
}

static int load_lexicon(void)
{
    cJSON *root = cJSON_ParseWithLength((const char *)as_embedded_lexicon, as_embedded_lexicon_len);
    if (!root) { as_set_error("built-in data/lexicon.json: malformed JSON"); return 0; }
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(root, "entries");
    int n = cJSON_GetArraySize(entries);
    /* The 16 class names come first so they always resolve, whatever the file holds. */
    lexicon = calloc((size_t)n + AS_NUM_EMOTIONS, sizeof *lexicon); /* lives for the process */
    if (!lexicon) { cJSON_Delete(root); return 0; }
    for (int e = 0; e < AS_NUM_EMOTIONS; e++) {
        lexicon[lexicon_n].name = emotion_names[e];
        lexicon[lexicon_n].emotion = (as_emotion)e;
        lexicon[lexicon_n].vad = anchors[e][2];
        lexicon_n++;
    }
    int ok = 1;
    const cJSON *it;
    cJSON_ArrayForEach(it, entries) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name");
        const cJSON *emo = cJSON_GetObjectItemCaseSensitive(it, "emotion");
        as_vad vad;
        int e = cJSON_IsString(emo) ? as_emotion_find(emo->valuestring) : -1;
        if (!cJSON_IsString(name) || e < 0 || !read_vad(cJSON_GetObjectItemCaseSensitive(it, "vad"), &vad)) {
            as_set_error("built-in data/lexicon.json: bad entry %s",
                         cJSON_IsString(name) ? name->valuestring : "(no name)");
            ok = 0;
            continue;
        }
        if (as_emotion_find(name->valuestring) >= 0) continue; /* class names already present */
        char *copy = strdup(name->valuestring);
        if (!copy) { ok = 0; break; }
        lexicon[lexicon_n].name = copy;
        lexicon[lexicon_n].emotion = (as_emotion)e;
        lexicon[lexicon_n].vad = vad;
        lexicon_n++;
    }
    cJSON_Delete(root);
    return ok;
}

static void load_data(void)
{
    data_ok = load_anchors() && load_lexicon();
}

static int ensure_data(void)
{
    pthread_once(&data_once, load_data);
    return data_ok;
}

as_vad as_emotion_anchor(as_emotion e, int level)
{
    if (!ensure_data() || (int)e < 0 || (int)e >= AS_NUM_EMOTIONS || level < 1 || level > AS_NUM_LEVELS)
        return neutral_vad;
    return anchors[e][level - 1];
}

float as_intensity_to_level(float intensity)
{
    if (!(intensity >= 0.0f)) intensity = 0.0f; /* also catches NaN */
    if (intensity > 1.0f) intensity = 1.0f;
    return 1.0f + 4.0f * intensity;
}

as_vad as_emotion_anchor_at(as_emotion e, float intensity)
{
    float level = as_intensity_to_level(intensity);
    int lo = (int)floorf(level);
    if (lo >= AS_NUM_LEVELS) return as_emotion_anchor(e, AS_NUM_LEVELS);
    float t = level - (float)lo;
    as_vad a = as_emotion_anchor(e, lo), b = as_emotion_anchor(e, lo + 1);
    as_vad r = {a.v + t * (b.v - a.v), a.a + t * (b.a - a.a), a.d + t * (b.d - a.d)};
    return r;
}

/* ---- lexicon ---- */

size_t as_lexicon_count(void) { return ensure_data() ? lexicon_n : 0; }

const as_lexicon_entry *as_lexicon_at(size_t i)
{
    return (ensure_data() && i < lexicon_n) ? &lexicon[i] : NULL;
}

/* Decodes UTF-8 into code points (lower-cased for ASCII); returns the count,
 * or -1 on invalid UTF-8. */
static int decode_folded(const char *s, unsigned *cp, int max)
{
    int n = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p && n < max) {
        unsigned c = *p, len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (!len) return -1;
        unsigned v = len == 1 ? c : c & (0x7Fu >> len);
        for (unsigned k = 1; k < len; k++) {
            if ((p[k] & 0xC0) != 0x80) return -1;
            v = (v << 6) | (p[k] & 0x3F);
        }
        cp[n++] = v < 128 ? (unsigned)tolower((int)v) : v;
        p += len;
    }
    return n;
}

/* Levenshtein distance between code-point strings (short names only). */
static int edit_distance(const unsigned *a, int na, const unsigned *b, int nb)
{
    int row[65];
    for (int j = 0; j <= nb; j++) row[j] = j;
    for (int i = 1; i <= na; i++) {
        int prev = row[0];
        row[0] = i;
        for (int j = 1; j <= nb; j++) {
            int cur = row[j];
            int sub = prev + (a[i - 1] != b[j - 1]);
            int del = row[j] + 1, ins = row[j - 1] + 1;
            row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            prev = cur;
        }
    }
    return row[nb];
}

size_t as_lexicon_suggest(const char *name, const char **out, size_t n)
{
    if (!name || !out || !n || !ensure_data()) return 0;
    unsigned q[64], c[64];
    int nq = decode_folded(name, q, 64);
    if (nq < 0) return 0;
    /* Keep the n best by (distance, order): a small insertion sort. */
    int best_d[8];
    size_t count = 0;
    if (n > 8) n = 8;
    for (size_t i = 0; i < lexicon_n; i++) {
        int nc = decode_folded(lexicon[i].name, c, 64);
        if (nc < 0) continue;
        int d = edit_distance(q, nq, c, nc);
        /* A prefix match ("grat" -> "gratitude") counts as close. */
        if (nq >= 3 && nq < nc && memcmp(q, c, (size_t)nq * sizeof q[0]) == 0 && d > 1) d = 1;
        size_t pos = count;
        while (pos > 0 && best_d[pos - 1] > d) pos--;
        if (pos >= n) continue;
        size_t last = count < n ? count : n - 1;
        for (size_t k = last; k > pos; k--) { best_d[k] = best_d[k - 1]; out[k] = out[k - 1]; }
        best_d[pos] = d;
        out[pos] = lexicon[i].name;
        if (count < n) count++;
    }
    return count;
}

/* Trims ASCII spaces into buf; returns 0 if the name is empty or too long. */
static int trim_name(const char *name, char *buf, size_t cap)
{
    while (*name == ' ' || *name == '\t') name++;
    size_t len = strlen(name);
    while (len && (name[len - 1] == ' ' || name[len - 1] == '\t')) len--;
    if (len == 0 || len >= cap) return 0;
    memcpy(buf, name, len);
    buf[len] = 0;
    return 1;
}

as_result as_lexicon_lookup(const char *name, as_lexicon_entry *out)
{
    if (!name || !out) return as_fail(AS_ERR_INVALID_ARG, "as_lexicon_lookup: NULL argument");
    if (!ensure_data()) return as_fail(AS_ERR_PARSE, "built-in emotion data is corrupt");
    char buf[256];
    unsigned cps[64];
    if (!trim_name(name, buf, sizeof buf)) return as_fail(AS_ERR_UNKNOWN, "empty or overlong emotion name");
    if (decode_folded(buf, cps, 64) < 0) return as_fail(AS_ERR_PARSE, "emotion name is not valid UTF-8");
    for (size_t i = 0; i < lexicon_n; i++)
        if (name_equal(buf, lexicon[i].name)) {
            *out = lexicon[i];
            return AS_OK;
        }
    const char *sug[3];
    size_t ns = as_lexicon_suggest(buf, sug, 3);
    char hint[256] = "";
    if (ns) {
        size_t off = (size_t)snprintf(hint, sizeof hint, " (did you mean");
        for (size_t k = 0; k < ns && off < sizeof hint; k++)
            off += (size_t)snprintf(hint + off, sizeof hint - off, "%s \"%s\"", k ? "," : "", sug[k]);
        if (off < sizeof hint) snprintf(hint + off, sizeof hint - off, "?)");
    }
    return as_fail(AS_ERR_UNKNOWN, "unknown emotion \"%s\"%s", buf, hint);
}

/* ---- conditioning ---- */

as_cond as_cond_make(as_emotion e, as_vad vad)
{
    as_cond c;
    memset(&c, 0, sizeof c);
    if ((int)e < 0 || (int)e >= AS_NUM_EMOTIONS) e = AS_EMO_NEUTRAL;
    c.w[e] = 1.0f;
    c.v = as_clamp01(vad.v);
    c.a = as_clamp01(vad.a);
    c.d = as_clamp01(vad.d);
    return c;
}

as_result as_cond_from_name(const char *name, float intensity, as_cond *out)
{
    if (!out) return as_fail(AS_ERR_INVALID_ARG, "as_cond_from_name: NULL output");
    if (!(intensity >= 0.0f && intensity <= 1.0f))
        return as_fail(AS_ERR_RANGE, "intensity %g outside 0..1", (double)intensity);
    as_lexicon_entry ent;
    as_result r = as_lexicon_lookup(name, &ent);
    if (r != AS_OK) return r;
    /* The word's own offset from its class's L3 anchor rides along at every level. */
    as_vad base = as_emotion_anchor_at(ent.emotion, intensity);
    as_vad l3 = as_emotion_anchor(ent.emotion, 3);
    as_vad v = {base.v + ent.vad.v - l3.v, base.a + ent.vad.a - l3.a, base.d + ent.vad.d - l3.d};
    *out = as_cond_make(ent.emotion, v);
    return AS_OK;
}
