/* expression/presets.c — the preset bank: 46 authored faces (neutral, then
 * each class at L1, L3, L5). The built-in bank is data/presets.json compiled
 * into the library; a user file of the same schema overrides it entry by
 * entry. Every value is validated, and errors name the file and the entry. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/internal.h"
#include "expression/internal.h"

void as_preset_slot(int i, as_emotion *e, int *level)
{
    if (i <= 0 || i >= AS_NUM_PRESETS) {
        if (e) *e = AS_EMO_NEUTRAL;
        if (level) *level = 3;
        return;
    }
    if (e) *e = (as_emotion)(1 + (i - 1) / 3);
    if (level) *level = 1 + 2 * ((i - 1) % 3);
}

int as_preset_index(as_emotion e, int level)
{
    if ((int)e <= 0) return e == AS_EMO_NEUTRAL ? 0 : -1;
    if ((int)e >= AS_NUM_EMOTIONS || (level != 1 && level != 3 && level != 5)) return -1;
    return 1 + ((int)e - 1) * 3 + (level - 1) / 2;
}

/* Parses a preset document into bank (entries it holds overwrite the bank's).
 * seen[] marks the slots the document set. */
static as_result parse_presets(as_preset_bank *bank, const char *json, size_t len, const char *origin,
                               int seen[AS_NUM_PRESETS])
{
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        long off = (at && at >= json && at <= json + len) ? (long)(at - json) : -1;
        int line = 1;
        for (long i = 0; i < off; i++) line += json[i] == '\n';
        return as_fail(AS_ERR_PARSE, "%s: line %d: malformed JSON", origin, line);
    }
    as_result r = AS_OK;
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
    const cJSON *presets = cJSON_GetObjectItemCaseSensitive(root, "presets");
    if (!cJSON_IsObject(root)) {
        r = as_fail(AS_ERR_PARSE, "%s: top level must be an object with a \"presets\" array", origin);
    } else if (fmt && (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "animasync-presets") != 0)) {
        r = as_fail(AS_ERR_PARSE, "%s: \"format\" must be \"animasync-presets\"", origin);
    } else if (ver && (!cJSON_IsNumber(ver) || ver->valuedouble != 1)) {
        r = as_fail(AS_ERR_PARSE, "%s: \"version\" %g is not supported (this build reads version 1)", origin,
                    cJSON_IsNumber(ver) ? ver->valuedouble : -1.0);
    } else if (!cJSON_IsArray(presets)) {
        r = as_fail(AS_ERR_PARSE, "%s: missing \"presets\" array", origin);
    }
    int idx = -1;
    const cJSON *ent;
    if (r == AS_OK) cJSON_ArrayForEach(ent, presets) {
        idx++;
        const cJSON *emo = cJSON_GetObjectItemCaseSensitive(ent, "emotion");
        const cJSON *lev = cJSON_GetObjectItemCaseSensitive(ent, "level");
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(ent, "weights");
        if (!cJSON_IsObject(ent)) {
            r = as_fail(AS_ERR_PARSE, "%s: presets[%d]: must be an object", origin, idx);
            break;
        }
        for (const cJSON *f = ent->child; f; f = f->next) {
            if (strcmp(f->string, "emotion") && strcmp(f->string, "level") && strcmp(f->string, "weights") &&
                strcmp(f->string, "au") && strcmp(f->string, "note")) {
                r = as_fail(AS_ERR_PARSE, "%s: presets[%d]: unknown field \"%s\" (known: emotion, level, weights, au, note)",
                            origin, idx, f->string);
                break;
            }
        }
        if (r != AS_OK) break;
        int e = cJSON_IsString(emo) ? as_emotion_find(emo->valuestring) : -1;
        if (e < 0) {
            r = as_fail(AS_ERR_PARSE, "%s: presets[%d]: unknown or missing emotion class \"%s\"", origin, idx,
                        cJSON_IsString(emo) ? emo->valuestring : "");
            break;
        }
        int level = 3;
        if (lev && (!cJSON_IsNumber(lev) || lev->valuedouble != floor(lev->valuedouble))) {
            r = as_fail(AS_ERR_PARSE, "%s: presets[%d] (%s): level must be 1, 3 or 5", origin, idx, emo->valuestring);
            break;
        }
        if (lev) level = (int)lev->valuedouble;
        if (!lev && e != AS_EMO_NEUTRAL) {
            r = as_fail(AS_ERR_PARSE, "%s: presets[%d] (%s): missing level (1, 3 or 5)", origin, idx, emo->valuestring);
            break;
        }
        int slot = e == AS_EMO_NEUTRAL ? 0 : as_preset_index((as_emotion)e, level);
        if (slot < 0) {
            r = as_fail(AS_ERR_PARSE, "%s: presets[%d] (%s): level %d is not a preset level (1, 3 or 5)", origin, idx,
                        emo->valuestring, level);
            break;
        }
        if (seen[slot]) {
            r = as_fail(AS_ERR_PARSE, "%s: presets[%d] (%s L%d): duplicate preset", origin, idx, emo->valuestring, level);
            break;
        }
        if (!cJSON_IsObject(w)) {
            r = as_fail(AS_ERR_PARSE, "%s: presets[%d] (%s L%d): \"weights\" must be an object of ARKit name -> 0..1",
                        origin, idx, emo->valuestring, level);
            break;
        }
        float face[AS_NUM_CHANNELS] = {0};
        for (const cJSON *c = w->child; c; c = c->next) {
            int ch = as_channel_find(c->string);
            if (ch < 0) {
                r = as_fail(AS_ERR_PARSE, "%s: presets[%d] (%s L%d): unknown ARKit channel \"%s\"", origin, idx,
                            emo->valuestring, level, c->string);
                break;
            }
            if (!cJSON_IsNumber(c) || !(c->valuedouble >= 0.0 && c->valuedouble <= 1.0)) {
                r = as_fail(AS_ERR_RANGE, "%s: presets[%d] (%s L%d): %s must be a number in 0..1", origin, idx,
                            emo->valuestring, level, c->string);
                break;
            }
            face[ch] = (float)c->valuedouble;
        }
        if (r != AS_OK) break;
        memcpy(bank->w[slot], face, sizeof face);
        seen[slot] = 1;
    }
    cJSON_Delete(root);
    return r;
}

static as_preset_bank default_bank;
static int default_ok = 0;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

static void load_default(void)
{
    int seen[AS_NUM_PRESETS] = {0};
    memset(&default_bank, 0, sizeof default_bank);
    if (parse_presets(&default_bank, (const char *)as_embedded_presets, as_embedded_presets_len,
                      "built-in data/presets.json", seen) != AS_OK)
        return;
    for (int i = 0; i < AS_NUM_PRESETS; i++)
        if (!seen[i]) {
            as_emotion e;
            int l;
            as_preset_slot(i, &e, &l);
            as_set_error("built-in data/presets.json: missing preset %s L%d", as_emotion_name(e), l);
            return;
        }
    default_ok = 1;
}

const as_preset_bank *as_preset_bank_default(void)
{
    pthread_once(&default_once, load_default);
    return default_ok ? &default_bank : NULL;
}

as_preset_bank *as_preset_bank_from_json(const char *json, size_t len, const char *origin)
{
    const as_preset_bank *def = as_preset_bank_default();
    if (!def) return NULL;
    if (!json) { as_set_error("%s: no JSON text", origin ? origin : "presets"); return NULL; }
    as_preset_bank *bank = as_malloc(sizeof *bank);
    if (!bank) { as_set_error("out of memory"); return NULL; }
    *bank = *def;
    int seen[AS_NUM_PRESETS] = {0};
    if (parse_presets(bank, json, len, origin ? origin : "presets", seen) != AS_OK) {
        as_free(bank);
        return NULL;
    }
    return bank;
}

as_preset_bank *as_preset_bank_load(const char *path)
{
    if (!path) { as_set_error("as_preset_bank_load: NULL path"); return NULL; }
    char *text;
    size_t len;
    if (as_read_file(path, &text, &len) != AS_OK) return NULL;
    as_preset_bank *bank = as_preset_bank_from_json(text, len, path);
    as_free(text);
    return bank;
}

as_preset_bank *as_preset_bank_clone(const as_preset_bank *src)
{
    if (!src) src = as_preset_bank_default();
    if (!src) return NULL;
    as_preset_bank *bank = as_malloc(sizeof *bank);
    if (!bank) { as_set_error("out of memory"); return NULL; }
    *bank = *src;
    return bank;
}

void as_preset_bank_destroy(as_preset_bank *bank)
{
    if (bank && bank != &default_bank) as_free(bank);
}

as_result as_preset_bank_get(const as_preset_bank *bank, as_emotion e, int level, float out[AS_NUM_CHANNELS])
{
    if (!bank) bank = as_preset_bank_default();
    if (!bank || !out) return as_fail(AS_ERR_INVALID_ARG, "as_preset_bank_get: NULL argument");
    int slot = e == AS_EMO_NEUTRAL ? 0 : as_preset_index(e, level);
    if (slot < 0) return as_fail(AS_ERR_RANGE, "no preset for %s at level %d (presets exist at 1, 3, 5)",
                                 as_emotion_name(e) ? as_emotion_name(e) : "?", level);
    memcpy(out, bank->w[slot], sizeof bank->w[slot]);
    return AS_OK;
}

as_result as_preset_bank_set(as_preset_bank *bank, as_emotion e, int level, const float w[AS_NUM_CHANNELS])
{
    if (!bank || !w || bank == &default_bank) return as_fail(AS_ERR_INVALID_ARG, "as_preset_bank_set: bad bank");
    int slot = e == AS_EMO_NEUTRAL ? 0 : as_preset_index(e, level);
    if (slot < 0) return as_fail(AS_ERR_RANGE, "no preset slot for level %d", level);
    for (int c = 0; c < AS_NUM_CHANNELS; c++) bank->w[slot][c] = as_clamp01(w[c]);
    return AS_OK;
}

char *as_preset_bank_to_json(const as_preset_bank *bank)
{
    if (!bank) bank = as_preset_bank_default();
    if (!bank) return NULL;
    size_t cap = 256 + (size_t)AS_NUM_PRESETS * AS_NUM_CHANNELS * 40;
    char *out = as_malloc(cap);
    if (!out) { as_set_error("out of memory"); return NULL; }
    size_t n = 0;
#define PUT(...) (n += (size_t)snprintf(out + n, cap - n, __VA_ARGS__))
    PUT("{\n  \"format\": \"animasync-presets\",\n  \"version\": 1,\n  \"presets\": [\n");
    for (int i = 0; i < AS_NUM_PRESETS; i++) {
        as_emotion e;
        int level;
        as_preset_slot(i, &e, &level);
        PUT("    {\"emotion\": \"%s\", \"level\": %d, \"weights\": {", as_emotion_name(e), level);
        for (int c = 0; c < AS_NUM_CHANNELS; c++) {
            char num[32];
            as_format_float(num, sizeof num, bank->w[i][c]);
            PUT("%s\"%s\": %s", c ? ", " : "", as_channel_name(c), num);
        }
        PUT("}}%s\n", i + 1 < AS_NUM_PRESETS ? "," : "");
    }
    PUT("  ]\n}\n");
#undef PUT
    return out;
}

as_result as_preset_bank_save(const as_preset_bank *bank, const char *path)
{
    if (!path) return as_fail(AS_ERR_INVALID_ARG, "as_preset_bank_save: NULL path");
    char *json = as_preset_bank_to_json(bank);
    if (!json) return as_fail(AS_ERR_NOMEM, "out of memory");
    as_result r = as_write_file_atomic(path, json, strlen(json));
    as_free(json);
    return r;
}
