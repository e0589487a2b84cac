/* tools/serve_api.c — the JSON API of `animasync serve` (docs/WEB.md):
 *
 *   GET  /api/emotions          classes, families, anchors, lexicon, channels
 *   POST /api/compile           one face: {"emotion", "level"|"intensity", "vad"?, "strength"?, "presets"?}
 *   POST /api/say               {"text", "voice"?, "engine"?, "seed"?} -> anim.json + audio URL
 *   GET  /api/audio/<id>.wav    the speech of a /api/say answer (the last --keep-audio are kept)
 *   GET  /api/presets           the active preset bank (schema of data/presets.json)
 *   PUT  /api/presets           validate, save atomically to the presets file, use from now on
 *   POST /api/check             the quality contract over a bank: {"presets"?, "queries"?, "grid"?, "seed"?}
 *
 * Every body is checked field by field (unknown fields, wrong types and
 * out-of-range numbers are 400 with {"error": "..."}). Handlers compile with a
 * reference to the current engine, so a PUT never pulls a compiler from under
 * a running request. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "animasync/engine.h"
#include "animasync/io.h"
#include "animasync/tts.h"
#include "serve.h"

#define ERR_CAP 1024

/* The top-level fields a preset document may carry (data/presets.json); the
 * library checks everything inside "presets". */
static const char *const preset_doc_fields[] = {"format", "version", "comment", "presets", NULL};

/* A preset bank from a JSON document (a parsed value, e.g. the "presets"
 * field of a request). NULL with err set on any problem. */
static as_preset_bank *bank_from_value(const cJSON *doc, const char *origin, char *err, size_t cap)
{
    char inner[512];
    if (serve_json_fields(doc, preset_doc_fields, inner, sizeof inner)) {
        snprintf(err, cap, "%s: %s", origin, inner);
        return NULL;
    }
    char *text = cJSON_PrintUnformatted(doc);
    if (!text) {
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    as_preset_bank *bank = as_preset_bank_from_json(text, strlen(text), origin);
    cJSON_free(text);
    if (!bank) snprintf(err, cap, "%s", as_last_error());
    return bank;
}

static unsigned status_of(as_result r)
{
    switch (r) {
    case AS_ERR_INVALID_ARG:
    case AS_ERR_PARSE:
    case AS_ERR_UNKNOWN:
    case AS_ERR_RANGE: return 400;
    case AS_ERR_UNSUPPORTED: return 501;
    default: return 500;
    }
}

static void put_weights(strbuf *b, const float w[AS_NUM_CHANNELS])
{
    sb_puts(b, "{\"names\": [");
    for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) {
        if (ch) sb_puts(b, ", ");
        sb_json_string(b, as_channel_name(ch));
    }
    sb_puts(b, "], \"weights\": [");
    for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) {
        if (ch) sb_puts(b, ", ");
        sb_float(b, w[ch]);
    }
    sb_puts(b, "]}\n");
}

/* ---- GET /api/emotions -------------------------------------------------------- */

char *serve_emotions_json(void)
{
    static const char *const class_names[] = {"lipsync", "shared", "expression"};
    if (as_lexicon_count() == 0) return NULL;
    strbuf b = {0};
    sb_puts(&b, "{\"classes\": [");
    for (int e = 0; e < AS_NUM_EMOTIONS; e++) {
        sb_printf(&b, "%s\n  {\"name\": \"%s\", \"family\": \"%s\", \"levels\": [%s], \"anchors\": [", e ? "," : "",
                  as_emotion_name(e), as_family_name(as_emotion_family(e)), e ? "1, 3, 5" : "3");
        for (int l = 1; l <= AS_NUM_LEVELS; l++) {
            as_vad p = as_emotion_anchor(e, l);
            sb_puts(&b, l > 1 ? ", [" : "[");
            sb_float(&b, p.v);
            sb_puts(&b, ", ");
            sb_float(&b, p.a);
            sb_puts(&b, ", ");
            sb_float(&b, p.d);
            sb_puts(&b, "]");
        }
        sb_puts(&b, "]}");
    }
    sb_puts(&b, "],\n \"families\": [");
    for (int f = 0; f < AS_NUM_FAMILIES; f++)
        sb_printf(&b, "%s{\"name\": \"%s\", \"parent\": \"%s\"}", f ? ", " : "", as_family_name(f),
                  as_emotion_name(as_family_parent(f)));
    sb_puts(&b, "],\n \"channels\": [");
    for (int ch = 0; ch < AS_NUM_CHANNELS; ch++)
        sb_printf(&b, "%s\n  {\"name\": \"%s\", \"class\": \"%s\", \"mirror\": %d, \"slow\": %s}", ch ? "," : "",
                  as_channel_name(ch), class_names[as_channel_class_of(ch)], as_channel_mirror(ch),
                  as_channel_is_slow(ch) ? "true" : "false");
    sb_puts(&b, "],\n \"lexicon\": [");
    for (size_t i = 0; i < as_lexicon_count(); i++) {
        const as_lexicon_entry *x = as_lexicon_at(i);
        sb_puts(&b, i ? ",\n  {\"name\": " : "\n  {\"name\": ");
        sb_json_string(&b, x->name);
        sb_printf(&b, ", \"emotion\": \"%s\", \"vad\": [", as_emotion_name(x->emotion));
        sb_float(&b, x->vad.v);
        sb_puts(&b, ", ");
        sb_float(&b, x->vad.a);
        sb_puts(&b, ", ");
        sb_float(&b, x->vad.d);
        sb_puts(&b, "]}");
    }
    sb_puts(&b, "]}\n");
    return sb_take(&b);
}

/* ---- POST /api/compile ----------------------------------------------------------- */

static void api_compile(serve_state *s, const char *body, size_t len, serve_reply *r)
{
    static const char *const fields[] = {"emotion", "level", "intensity", "vad", "strength", "presets", NULL};
    char err[ERR_CAP];
    cJSON *j = serve_json_parse(body, len, err, sizeof err);
    if (!j || serve_json_fields(j, fields, err, sizeof err)) {
        serve_reply_error(r, 400, "%s", err);
        cJSON_Delete(j);
        return;
    }
    const char *emotion = NULL;
    double level = 3, intensity = 0.5, strength = 1;
    int has_level = 0, has_intensity = 0;
    as_cond cond;
    as_preset_bank *own_bank = NULL;
    serve_engine *engine = NULL;
    as_compiler *own_compiler = NULL;
    if (serve_json_string(j, "emotion", &emotion, err, sizeof err) ||
        serve_json_number(j, "level", 1, 5, 1, &level, &has_level, err, sizeof err) ||
        serve_json_number(j, "intensity", 0, 1, 0, &intensity, &has_intensity, err, sizeof err) ||
        serve_json_number(j, "strength", 0, 2, 0, &strength, NULL, err, sizeof err))
        goto bad;
    if (!emotion) {
        snprintf(err, sizeof err, "\"emotion\" is required (a class or any lexicon name, see GET /api/emotions)");
        goto bad;
    }
    if (has_level && has_intensity) {
        snprintf(err, sizeof err, "give \"level\" or \"intensity\", not both");
        goto bad;
    }
    if (has_level) intensity = (level - 1) / 4.0;
    if (as_cond_from_name(emotion, (float)intensity, &cond) != AS_OK) {
        snprintf(err, sizeof err, "\"emotion\": %s", as_last_error());
        goto bad;
    }
    const cJSON *vad = cJSON_GetObjectItemCaseSensitive(j, "vad");
    if (vad) {
        if (!cJSON_IsArray(vad) || cJSON_GetArraySize(vad) != 3) {
            snprintf(err, sizeof err, "\"vad\" must be an array of three numbers [V, A, D], each 0..1");
            goto bad;
        }
        float v[3];
        for (int k = 0; k < 3; k++) {
            const cJSON *x = cJSON_GetArrayItem(vad, k);
            if (!cJSON_IsNumber(x) || !(x->valuedouble >= 0 && x->valuedouble <= 1)) {
                snprintf(err, sizeof err, "\"vad\"[%d] (%c) must be a number in 0..1", k, "VAD"[k]);
                goto bad;
            }
            v[k] = (float)x->valuedouble;
        }
        cond.v = v[0];
        cond.a = v[1];
        cond.d = v[2];
    }
    const as_compiler *compiler;
    const cJSON *presets = cJSON_GetObjectItemCaseSensitive(j, "presets");
    if (presets) { /* an edited bank from the editor: a compiler just for this request */
        if (!(own_bank = bank_from_value(presets, "\"presets\"", err, sizeof err))) goto bad;
        if (!(own_compiler = as_compiler_create(own_bank, NULL))) {
            serve_reply_error(r, 500, "cannot create a compiler: %s", as_last_error());
            goto done;
        }
        compiler = own_compiler;
    } else {
        engine = serve_engine_acquire(s);
        compiler = engine->compiler;
    }
    float w[AS_NUM_CHANNELS];
    as_result res = as_compile(compiler, w, &cond, (float)strength);
    if (res != AS_OK) {
        serve_reply_error(r, status_of(res), "%s", as_last_error());
        goto done;
    }
    strbuf b = {0};
    put_weights(&b, w);
    serve_reply_json(r, 200, &b);
    goto done;
bad:
    serve_reply_error(r, 400, "%s", err);
done:
    serve_engine_release(s, engine);
    as_compiler_destroy(own_compiler);
    as_preset_bank_destroy(own_bank);
    cJSON_Delete(j);
}

/* ---- POST /api/say and GET /api/audio/<id>.wav ------------------------------------- */

static void api_say(serve_state *s, const char *body, size_t len, serve_reply *r)
{
    static const char *const fields[] = {"text", "voice", "engine", "seed", NULL};
    char err[ERR_CAP];
    cJSON *j = serve_json_parse(body, len, err, sizeof err);
    const char *text = NULL, *voice = NULL, *engine_name = NULL;
    double seed = 1;
    int has_seed = 0;
    if (!j || serve_json_fields(j, fields, err, sizeof err) || serve_json_string(j, "text", &text, err, sizeof err) ||
        serve_json_string(j, "voice", &voice, err, sizeof err) ||
        serve_json_string(j, "engine", &engine_name, err, sizeof err) ||
        serve_json_number(j, "seed", 0, 9007199254740991.0, 1, &seed, &has_seed, err, sizeof err)) {
        serve_reply_error(r, 400, "%s", err);
        cJSON_Delete(j);
        return;
    }
    if (!text || !*text) {
        serve_reply_error(r, 400, "\"text\" is required: text with optional emotion tags, e.g. \"[joy:80] Hello!\"");
        cJSON_Delete(j);
        return;
    }
    if (strlen(text) > SERVE_MAX_SAY_TEXT) {
        serve_reply_error(r, 400, "\"text\" is %zu bytes; at most %d are accepted", strlen(text), SERVE_MAX_SAY_TEXT);
        cJSON_Delete(j);
        return;
    }
    as_say_params p = as_say_default_params();
    if (engine_name) {
        int e = as_tts_engine_find(engine_name);
        if (e < 0) {
            serve_reply_error(r, 400, "\"engine\": unknown TTS engine \"%.40s\" (espeak or flite)", engine_name);
            cJSON_Delete(j);
            return;
        }
        p.tts.engine = (as_tts_engine)e;
    }
    if (voice && *voice) p.tts.voice = voice;
    if (has_seed) p.motion.seed = (uint64_t)seed;

    serve_engine *engine = serve_engine_acquire(s);
    as_animation *anim = NULL;
    as_result res = as_say(engine->compiler, &p, text, &anim);
    serve_engine_release(s, engine);
    if (res != AS_OK) {
        serve_reply_error(r, status_of(res), "%s", as_last_error());
        cJSON_Delete(j);
        return;
    }
    cJSON_Delete(j);

    /* The WAV goes into the in-memory store; the JSON document is written by
     * the library's writer and read back, so it is byte for byte what
     * `animasync say` writes. Both pass through the private temporary dir. */
    char id[SERVE_AUDIO_ID_LEN + 1] = "";
    char *wav_path = serve_tmp_path(s, ".wav"), *json_path = serve_tmp_path(s, ".json");
    unsigned char *wav = NULL, *doc = NULL;
    size_t wav_size = 0, doc_size = 0;
    if (!wav_path || !json_path) {
        serve_reply_error(r, 500, "out of memory");
        goto done;
    }
    if (anim->speech) {
        res = as_wav_write(wav_path, anim->speech->samples, anim->speech->n_samples, anim->speech->rate_hz);
        if (res != AS_OK) {
            serve_reply_error(r, 500, "cannot write the speech: %s", as_last_error());
            goto done;
        }
        wav = serve_read_file(wav_path, &wav_size);
        unlink(wav_path);
        if (!wav) {
            serve_reply_error(r, 500, "cannot read back the speech");
            goto done;
        }
        serve_audio_put(s, wav, wav_size, id);
        wav = NULL; /* the store owns it */
    }
    char audio_name[SERVE_AUDIO_ID_LEN + 8];
    snprintf(audio_name, sizeof audio_name, "%s.wav", id);
    res = as_animation_write(anim, AS_FORMAT_JSON, json_path, id[0] ? audio_name : NULL);
    if (res != AS_OK) {
        serve_reply_error(r, 500, "cannot write the animation: %s", as_last_error());
        goto done;
    }
    doc = serve_read_file(json_path, &doc_size);
    unlink(json_path);
    size_t at = 0;
    while (doc && at < doc_size && doc[at] != '{') at++;
    if (!doc || at == doc_size) {
        serve_reply_error(r, 500, "cannot read back the animation");
        goto done;
    }
    /* {"id": ..., "audio_url": ..., then the anim.json document's own fields */
    strbuf b = {0};
    sb_puts(&b, "{\"id\": ");
    sb_json_string(&b, id);
    sb_puts(&b, ", \"audio_url\": ");
    if (id[0]) sb_printf(&b, "\"/api/audio/%s.wav\",\n", id);
    else sb_puts(&b, "null,\n");
    sb_putn(&b, (const char *)doc + at + 1, doc_size - at - 1);
    serve_reply_json(r, 200, &b);
done:
    free(doc);
    free(wav);
    free(wav_path);
    free(json_path);
    as_animation_destroy(anim);
}

static void api_audio(serve_state *s, const char *name, serve_reply *r)
{
    /* <16 hex>.wav */
    size_t n = strlen(name);
    int ok = n == SERVE_AUDIO_ID_LEN + 4 && !strcmp(name + SERVE_AUDIO_ID_LEN, ".wav");
    for (size_t i = 0; ok && i < SERVE_AUDIO_ID_LEN; i++)
        ok = (name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f');
    unsigned char *data = NULL;
    size_t size = 0;
    char id[SERVE_AUDIO_ID_LEN + 1] = "";
    if (ok) memcpy(id, name, SERVE_AUDIO_ID_LEN);
    int found = ok ? serve_audio_get(s, id, &data, &size) : 0;
    if (found < 0) {
        serve_reply_error(r, 500, "out of memory");
        return;
    }
    if (!found) {
        serve_reply_error(r, 404, "no such audio: %.60s (only the last %zu are kept)", name, s->keep_audio);
        return;
    }
    r->status = 200;
    r->content_type = "audio/wav";
    r->body = (char *)data;
    r->len = size;
}

/* ---- GET and PUT /api/presets ------------------------------------------------------- */

static void api_presets_get(serve_state *s, serve_reply *r)
{
    serve_engine *e = serve_engine_acquire(s);
    char *json = as_preset_bank_to_json(e->bank);
    serve_engine_release(s, e);
    if (!json) {
        serve_reply_error(r, 500, "cannot write the preset bank: %s", as_last_error());
        return;
    }
    strbuf b = {0};
    sb_puts(&b, json);
    as_free(json);
    serve_reply_json(r, 200, &b);
}

/* mkdir -p of the directory part of path. */
static void make_parent_dirs(const char *path)
{
    char *p = strdup(path);
    if (!p) return;
    for (char *q = p + 1; *q; q++) {
        if (*q != '/') continue;
        *q = 0;
        mkdir(p, 0755);
        *q = '/';
    }
    free(p);
}

static void api_presets_put(serve_state *s, const char *body, size_t len, serve_reply *r)
{
    char err[ERR_CAP];
    cJSON *j = serve_json_parse(body, len, err, sizeof err);
    as_preset_bank *bank = j ? bank_from_value(j, "PUT /api/presets", err, sizeof err) : NULL;
    cJSON_Delete(j);
    if (!bank) {
        serve_reply_error(r, 400, "%s", err);
        return;
    }
    serve_engine *e = serve_engine_create(bank);
    if (!e) {
        serve_reply_error(r, 500, "cannot create a compiler: %s", as_last_error());
        return;
    }
    /* Save, then swap, under one lock: the file on disk and the engine in use
     * always come from the same PUT. */
    pthread_mutex_lock(&s->save_mu);
    make_parent_dirs(s->presets_path);
    as_result res = as_preset_bank_save(e->bank, s->presets_path);
    if (res == AS_OK) serve_engine_swap(s, e);
    pthread_mutex_unlock(&s->save_mu);
    if (res != AS_OK) {
        serve_reply_error(r, 500, "cannot save the presets: %s", as_last_error());
        serve_engine_release(s, e);
        return;
    }
    strbuf b = {0};
    sb_puts(&b, "{\"saved\": ");
    sb_json_string(&b, s->presets_path);
    sb_printf(&b, ", \"presets\": %d}\n", AS_NUM_PRESETS);
    serve_reply_json(r, 200, &b);
}

/* ---- POST /api/check ------------------------------------------------------------------- */

static void api_check(serve_state *s, const char *body, size_t len, serve_reply *r)
{
    static const char *const fields[] = {"presets", "queries", "grid", "seed", NULL};
    char err[ERR_CAP];
    as_contract_params cp = as_contract_default_params();
    double queries = cp.validity_queries, grid = cp.grid_per_axis, seed = cp.seed;
    /* an empty body means: the active bank, default parameters */
    cJSON *j = len ? serve_json_parse(body, len, err, sizeof err) : cJSON_CreateObject();
    if (!j || serve_json_fields(j, fields, err, sizeof err) ||
        serve_json_number(j, "queries", 0, cp.validity_queries, 1, &queries, NULL, err, sizeof err) ||
        serve_json_number(j, "grid", 2, cp.grid_per_axis, 1, &grid, NULL, err, sizeof err) ||
        serve_json_number(j, "seed", 0, 4294967295.0, 1, &seed, NULL, err, sizeof err)) {
        serve_reply_error(r, 400, "%s", err);
        cJSON_Delete(j);
        return;
    }
    cp.validity_queries = (int)queries;
    cp.grid_per_axis = (int)grid;
    cp.seed = (unsigned)seed;
    as_preset_bank *own = NULL;
    serve_engine *engine = NULL;
    const cJSON *presets = cJSON_GetObjectItemCaseSensitive(j, "presets");
    if (presets && !(own = bank_from_value(presets, "\"presets\"", err, sizeof err))) {
        serve_reply_error(r, 400, "%s", err);
        cJSON_Delete(j);
        return;
    }
    cJSON_Delete(j);
    if (!own) engine = serve_engine_acquire(s);
    as_contract_report rep;
    as_result res = as_contract_check(own ? own : engine->bank, NULL, &cp, &rep);
    serve_engine_release(s, engine);
    as_preset_bank_destroy(own);
    if (res != AS_OK) {
        serve_reply_error(r, status_of(res), "%s", as_last_error());
        return;
    }
    strbuf b = {0};
    sb_puts(&b, "{\"metrics\": [");
    for (int i = 0; i < rep.n; i++) {
        const as_metric *m = &rep.m[i];
        sb_printf(&b, "%s\n  {\"name\": ", i ? "," : "");
        sb_json_string(&b, m->name);
        sb_printf(&b, ", \"value\": %.9g, \"threshold\": %.9g, \"bound\": \"%s\", \"pass\": %s, \"detail\": ", m->value,
                  m->threshold, m->upper_bound ? "<=" : ">", m->pass ? "true" : "false");
        sb_json_string(&b, m->detail);
        sb_puts(&b, "}");
    }
    sb_printf(&b, "],\n \"pass\": %s}\n", rep.all_pass ? "true" : "false");
    serve_reply_json(r, 200, &b);
}

/* ---- routing ------------------------------------------------------------------------------ */

static int method_not_allowed(serve_reply *r, const char *method, const char *path, const char *allow)
{
    serve_reply_error(r, 405, "method %.20s is not allowed on %.100s (allowed: %s)", method, path, allow);
    r->allow = allow;
    return 1;
}

int serve_api(serve_state *s, const char *method, const char *path, const char *body, size_t body_len,
              serve_reply *r)
{
    int get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    int post = !strcmp(method, "POST"), put = !strcmp(method, "PUT");
    if (!strcmp(path, "/api/emotions")) {
        if (!get) return method_not_allowed(r, method, path, "GET, HEAD");
        strbuf b = {0};
        sb_puts(&b, s->emotions_json);
        serve_reply_json(r, 200, &b);
    } else if (!strcmp(path, "/api/compile")) {
        if (!post) return method_not_allowed(r, method, path, "POST");
        api_compile(s, body, body_len, r);
    } else if (!strcmp(path, "/api/say")) {
        if (!post) return method_not_allowed(r, method, path, "POST");
        api_say(s, body, body_len, r);
    } else if (!strncmp(path, "/api/audio/", 11)) {
        if (!get) return method_not_allowed(r, method, path, "GET, HEAD");
        api_audio(s, path + 11, r);
    } else if (!strcmp(path, "/api/presets")) {
        if (get) api_presets_get(s, r);
        else if (put) api_presets_put(s, body, body_len, r);
        else return method_not_allowed(r, method, path, "GET, HEAD, PUT");
    } else if (!strcmp(path, "/api/check")) {
        if (!post) return method_not_allowed(r, method, path, "POST");
        api_check(s, body, body_len, r);
    } else {
        return 0;
    }
    return 1;
}
