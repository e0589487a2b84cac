/* audio/tts_espeak.c — the espeak-ng engine: synthesis with phoneme and word
 * events taken from the synthesizer itself.
 *
 * espeak-ng runs in AUDIO_OUTPUT_SYNCHRONOUS mode with phoneme events in IPA
 * (espeakINITIALIZE_PHONEME_EVENTS | espeakINITIALIZE_PHONEME_IPA, speak_lib.h
 * API revision 12). Its synth callback hands over 16-bit PCM and a list of
 * events; each event carries `sample`, its position in samples from the start
 * of the message, which gives sub-millisecond timing (the `audio_position`
 * field is whole milliseconds). A phoneme event marks where a phoneme starts;
 * it ends where the next phoneme or pause event starts. Pause events have an
 * empty name. Word events carry the word's position in the text in
 * characters (Unicode code points, 1-based), converted here to byte offsets.
 *
 * espeak-ng is one global synthesizer and is not thread-safe, and its wave
 * generator keeps state from one utterance to the next (function-static
 * pitch flutter index, gain control, phase: wavegen.c), so the same text
 * spoken twice in one process gives different samples. Synthesis therefore
 * runs in a forked child (tts.c) that starts from the state espeak_Initialize
 * left; this process only initializes it and lists voices, under
 * as_tts_lock. */
#define _POSIX_C_SOURCE 200809L
#include <espeak-ng/speak_lib.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audio/tts_internal.h"
#include "core/internal.h"

static pthread_once_t espeak_once = PTHREAD_ONCE_INIT;
static int espeak_rate_hz = -1; /* from espeak_Initialize; -1 = failed */

/* The synthesis in progress (one per child process). */
typedef struct {
    unsigned int sample; /* position in samples from the message start */
    int type;            /* espeakEVENT_PHONEME or espeakEVENT_WORD */
    int text_pos;        /* WORD: 1-based code point index */
    int text_len;        /* WORD: length in code points */
    char name[9];        /* PHONEME: IPA, "" for a pause */
} raw_event;

typedef struct {
    as_tts_build *b;
    raw_event *ev;
    size_t n_ev, cap_ev;
    as_result err;
} espeak_job;

static espeak_job *current_job = NULL;

static int on_synth(short *wav, int n, espeak_EVENT *events)
{
    espeak_job *job = current_job;
    if (!job || job->err != AS_OK) return 1; /* 1 = stop synthesis */
    if (wav && n > 0) {
        job->err = as_tts_build_samples_i16(job->b, wav, (size_t)n);
        if (job->err != AS_OK) return 1;
    }
    for (espeak_EVENT *e = events; e && e->type != espeakEVENT_LIST_TERMINATED; e++) {
        if (e->type != espeakEVENT_PHONEME && e->type != espeakEVENT_WORD) continue;
        if (job->n_ev == job->cap_ev) {
            size_t c = job->cap_ev ? 2 * job->cap_ev : 256;
            raw_event *nb = as_realloc(job->ev, c * sizeof *nb);
            if (!nb) {
                job->err = as_fail(AS_ERR_NOMEM, "espeak-ng: out of memory for events");
                return 1;
            }
            job->ev = nb;
            job->cap_ev = c;
        }
        raw_event *r = &job->ev[job->n_ev++];
        memset(r, 0, sizeof *r);
        r->type = e->type;
        r->sample = e->sample > 0 ? (unsigned int)e->sample : 0;
        r->text_pos = e->text_position;
        r->text_len = e->length;
        if (e->type == espeakEVENT_PHONEME) {
            /* id.string is 8 bytes, NUL-terminated unless all 8 are used. */
            memcpy(r->name, e->id.string, 8);
            r->name[8] = 0;
        }
    }
    return 0;
}

static void espeak_init_once(void)
{
    /* AUDIO_OUTPUT_SYNCHRONOUS: espeak_Synth returns when all audio has gone
     * through the callback. DONT_EXIT: never exit() on a data error. */
    int rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, NULL,
                                 espeakINITIALIZE_PHONEME_EVENTS | espeakINITIALIZE_PHONEME_IPA |
                                     espeakINITIALIZE_DONT_EXIT);
    if (rate > 0) {
        espeak_SetSynthCallback(on_synth);
        espeak_rate_hz = rate;
    }
}

/* ---- voice names -------------------------------------------------------- */

/* The part of an identifier after its last '/' ("gmw/en-US" -> "en-US"). */
static const char *last_part(const char *id)
{
    const char *s = strrchr(id, '/');
    return s ? s + 1 : id;
}

/* Does language list `langs` (priority byte, name, NUL, ..., NUL) hold lang?
 * Returns its priority or -1. */
static int language_priority(const char *langs, const char *lang)
{
    if (!langs) return -1;
    while (langs[0]) {
        int prio = (unsigned char)langs[0];
        const char *name = langs + 1;
        if (strcasecmp(name, lang) == 0) return prio;
        langs = name + strlen(name) + 1;
    }
    return -1;
}

/* Resolves a voice ("en-us", "English (America)", "gmw/en-US", "ko") to an
 * espeak-ng identifier, copied into id. Match order: voice name, identifier,
 * identifier's last part, then a language the voice speaks (lowest priority
 * number wins, as espeak-ng's own command line does with -v). */
static const espeak_VOICE *find_voice_in(const espeak_VOICE **vs, const char *base)
{
    const espeak_VOICE *best = NULL;
    int best_rank = 1 << 30;
    for (size_t i = 0; vs[i]; i++) {
        const espeak_VOICE *v = vs[i];
        int rank;
        if (v->name && strcasecmp(v->name, base) == 0) rank = 0;
        else if (v->identifier && strcasecmp(v->identifier, base) == 0) rank = 1;
        else if (v->identifier && strcasecmp(last_part(v->identifier), base) == 0) rank = 2;
        else {
            int prio = language_priority(v->languages, base);
            if (prio < 0) continue;
            rank = 3 + prio;
        }
        if (rank < best_rank) {
            best_rank = rank;
            best = v;
        }
    }
    return best;
}

static int find_voice(const char *base, char *id, size_t id_size)
{
    const espeak_VOICE **vs = espeak_ListVoices(NULL);
    const espeak_VOICE *best = vs ? find_voice_in(vs, base) : NULL;
    if (!best || !best->identifier || strlen(best->identifier) + 1 > id_size) return 0;
    strcpy(id, best->identifier);
    return 1;
}

/* Resolves a variant ("f3", "klatt", "Alex") to its file name, copied into
 * out. */
static int find_variant(const char *variant, char *out, size_t out_size)
{
    espeak_VOICE spec;
    memset(&spec, 0, sizeof spec);
    spec.languages = "variant";
    const espeak_VOICE **vs = espeak_ListVoices(&spec);
    if (!vs) return 0;
    for (size_t i = 0; vs[i]; i++) {
        const espeak_VOICE *v = vs[i];
        if (!v->identifier) continue;
        const char *file = last_part(v->identifier);
        if ((v->name && strcasecmp(v->name, variant) == 0) || strcasecmp(file, variant) == 0) {
            if (strlen(file) + 1 > out_size) return 0;
            strcpy(out, file);
            return 1;
        }
    }
    return 0;
}

/* Resolves "base[+variant]" to what espeak_SetVoiceByName loads
 * ("gmw/en-US+f3"). */
static as_result resolve_voice(const char *voice, char *full, size_t full_size)
{
    char base[128], variant[64] = "", id[160], var_file[64] = "";
    const char *plus = strchr(voice, '+');
    size_t base_len = plus ? (size_t)(plus - voice) : strlen(voice);
    if (base_len == 0 || base_len >= sizeof base || (plus && strlen(plus + 1) >= sizeof variant))
        return as_fail(AS_ERR_UNKNOWN, "espeak-ng: unknown voice \"%s\" (see `animasync voices`)", voice);
    memcpy(base, voice, base_len);
    base[base_len] = 0;
    if (plus) strcpy(variant, plus + 1);

    if (!find_voice(base, id, sizeof id))
        return as_fail(AS_ERR_UNKNOWN, "espeak-ng: unknown voice \"%s\" (see `animasync voices`)", base);
    if (variant[0] && !find_variant(variant, var_file, sizeof var_file))
        return as_fail(AS_ERR_UNKNOWN, "espeak-ng: unknown voice variant \"%s\" in \"%s\"", variant, voice);
    int n = var_file[0] ? snprintf(full, full_size, "%s+%s", id, var_file) : snprintf(full, full_size, "%s", id);
    if (n < 0 || (size_t)n >= full_size)
        return as_fail(AS_ERR_UNKNOWN, "espeak-ng: voice name too long: \"%s\"", voice);
    return AS_OK;
}

/* Resolved voices, most recent first: listing espeak-ng's voices reads every
 * voice file (about 1.6 ms), so each name is resolved once. Guarded by
 * as_tts_lock. */
#define VOICE_CACHE 16
static struct {
    char voice[128];
    char full[240];
} voice_cache[VOICE_CACHE];
static size_t voice_cache_n = 0;

as_result as_tts_espeak_prepare(const char *voice, char *resolved, size_t resolved_size)
{
    pthread_once(&espeak_once, espeak_init_once);
    if (espeak_rate_hz <= 0)
        return as_fail(AS_ERR_BACKEND, "espeak-ng: initialization failed (is espeak-ng-data installed?)");
    if (!voice) return AS_OK;
    for (size_t i = 0; i < voice_cache_n; i++)
        if (strcmp(voice_cache[i].voice, voice) == 0) {
            if (strlen(voice_cache[i].full) + 1 > resolved_size) break;
            strcpy(resolved, voice_cache[i].full);
            return AS_OK;
        }
    char full[240];
    as_result r = resolve_voice(voice, full, sizeof full);
    if (r != AS_OK) return r;
    if (strlen(full) + 1 > resolved_size) return as_fail(AS_ERR_UNKNOWN, "espeak-ng: voice name too long");
    strcpy(resolved, full);
    if (strlen(voice) < sizeof voice_cache[0].voice) {
        size_t n = voice_cache_n < VOICE_CACHE ? voice_cache_n + 1 : VOICE_CACHE;
        memmove(&voice_cache[1], &voice_cache[0], (n - 1) * sizeof voice_cache[0]);
        strcpy(voice_cache[0].voice, voice);
        strcpy(voice_cache[0].full, full);
        voice_cache_n = n;
    }
    return AS_OK;
}

/* ---- synthesis -------------------------------------------------------- */

/* Byte offset of every code point of a UTF-8 text: cp_off[i] is where the
 * (i+1)-th code point starts; cp_off[n] = strlen. Continuation bytes
 * (10xxxxxx) never start a code point. */
static size_t *code_point_offsets(const char *text, size_t *n_cp)
{
    size_t len = strlen(text), n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)text[i] & 0xC0) != 0x80) n++;
    size_t *off = as_malloc((n + 1) * sizeof *off);
    if (!off) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)text[i] & 0xC0) != 0x80) off[k++] = i;
    off[n] = len;
    *n_cp = n;
    return off;
}

static int cmp_event(const void *a, const void *b)
{
    const raw_event *x = a, *y = b;
    if (x->sample != y->sample) return x->sample < y->sample ? -1 : 1;
    return 0;
}

/* Turns the raw event list into phoneme and word events. */
static as_result build_events(espeak_job *job, const char *text)
{
    as_tts_build *b = job->b;
    double rate = (double)b->rate_hz;
    size_t n_cp = 0;
    size_t *cp = code_point_offsets(text, &n_cp);
    if (!cp) return as_fail(AS_ERR_NOMEM, "espeak-ng: out of memory");

    /* Words. espeak-ng's word events name the first word of each spoken
     * unit, but not exactly: a unit it speaks as several words ("123" ->
     * "one hundred twenty three") or several text words it speaks as one
     * dictionary unit ("for a" in "for a while") gives its later events the
     * position of the first plus one, and after some punctuation positions
     * drift by a character or two ("- 3.5": "three" at the "-"). So each
     * event is snapped to a word of the text (as_tts_tokenize): the word
     * holding its position, else the next word. An event on a later text
     * word than the current one starts a new group (main event); one inside
     * the same text word but after the current event's span is a word of its
     * own too (text without spaces: Chinese, Japanese); any other is a
     * continuation. When text words between this group's main word and the
     * next group's were skipped, the continuations belong to the last of
     * them ("while" of "for a while"); otherwise they stay with the main word
     * ("123"). Zero-length events are ignored. Text words no event names
     * are added afterwards (tts.c). word_of[i] is the word each raw event's
     * phonemes belong to. */
    as_tts_token *tok = NULL;
    size_t n_tok = 0;
    as_result r = as_tts_tokenize(text, &tok, &n_tok);
    int *word_of = r == AS_OK ? as_malloc((job->n_ev + 1) * sizeof *word_of) : NULL;
    size_t *tok_of = r == AS_OK ? as_malloc((job->n_ev + 1) * sizeof *tok_of) : NULL;
    if (r == AS_OK && (!word_of || !tok_of)) r = as_fail(AS_ERR_NOMEM, "espeak-ng: out of memory");
    if (r != AS_OK) {
        as_free(tok);
        as_free(word_of);
        as_free(tok_of);
        as_free(cp);
        return r;
    }
    enum { EV_OTHER = -2, EV_CONT = -3, EV_MAIN = -4 };
    size_t cur_t = 0, cur_b1 = 0;
    int have_main = 0;
    for (size_t i = 0; i < job->n_ev; i++) {
        raw_event *e = &job->ev[i];
        word_of[i] = EV_OTHER;
        if (e->type != espeakEVENT_WORD) continue;
        size_t p0 = e->text_pos > 0 ? (size_t)(e->text_pos - 1) : 0;
        size_t p1 = p0 + (e->text_len > 0 ? (size_t)e->text_len : 0);
        if (p0 > n_cp) p0 = n_cp;
        if (p1 > n_cp) p1 = n_cp;
        size_t b0 = cp[p0], b1 = cp[p1];
        if (b1 <= b0) continue; /* ignored */
        size_t t = 0;
        while (t < n_tok && tok[t].end <= b0) t++;
        if (t == n_tok) { /* after the last text word */
            if (have_main) word_of[i] = EV_CONT;
            continue;
        }
        if (b0 < tok[t].start) b0 = tok[t].start; /* snap forward */
        if (b1 > tok[t].end) b1 = tok[t].end;
        if (b1 <= b0) b1 = tok[t].end;
        /* Reuse the event's fields: text_pos/text_len now hold bytes. */
        e->text_pos = (int)b0;
        e->text_len = (int)(b1 - b0);
        tok_of[i] = t;
        if (!have_main || t > cur_t || (t == cur_t && b0 >= cur_b1)) {
            word_of[i] = EV_MAIN;
            cur_t = t;
            cur_b1 = b1;
            have_main = 1;
        } else {
            word_of[i] = EV_CONT;
        }
    }
    int cur = -1;
    for (size_t i = 0; i < job->n_ev && r == AS_OK;) {
        if (word_of[i] != EV_MAIN) {
            word_of[i] = cur;
            i++;
            continue;
        }
        /* A group: main event i, continuations until the next main. */
        raw_event *m = &job->ev[i];
        size_t t = tok_of[i];
        size_t b0 = (size_t)m->text_pos, b1 = b0 + (size_t)m->text_len;
        size_t next = i + 1, k = 0;
        while (next < job->n_ev && word_of[next] != EV_MAIN) {
            if (word_of[next] == EV_CONT) k++;
            next++;
        }
        size_t n0 = next < job->n_ev ? (size_t)job->ev[next].text_pos : strlen(text);
        /* A main event at the start of a text word with no other main event
         * inside it names the whole word ("Bob's", not "Bob"). */
        if (b0 == tok[t].start && n0 >= tok[t].end) b1 = tok[t].end;
        /* Text words skipped between this main word and the next. */
        size_t s0 = t + 1, s1 = s0;
        while (s1 < n_tok && tok[s1].end <= n0) s1++;
        size_t skipped = s1 - s0, assign = k < skipped ? k : skipped;
        double t_main = m->sample / rate;
        r = as_tts_build_word(b, t_main, t_main, b0, b1 - b0);
        cur = (int)b->n_words - 1;
        word_of[i] = cur;
        /* Continuations: the first k - assign stay with the main word, the
         * last `assign` take the last `assign` skipped words in order. */
        size_t c = 0;
        for (size_t j = i + 1; j < next && r == AS_OK; j++) {
            if (word_of[j] == EV_CONT) {
                if (c >= k - assign) {
                    size_t w = s1 - assign + (c - (k - assign));
                    double tc = job->ev[j].sample / rate;
                    r = as_tts_build_word(b, tc, tc, tok[w].start, tok[w].end - tok[w].start);
                    cur = (int)b->n_words - 1;
                }
                c++;
            }
            word_of[j] = cur;
        }
        i = next;
    }
    as_free(tok);
    as_free(tok_of);

    /* Phonemes: sort all phoneme events (pauses included) by sample, stably
     * (insertion order breaks ties: sort an index copy); each phoneme ends
     * where the next event starts. */
    size_t n_ph = 0;
    for (size_t i = 0; i < job->n_ev; i++)
        if (job->ev[i].type == espeakEVENT_PHONEME) n_ph++;
    raw_event *ph = r == AS_OK ? as_malloc((n_ph + 1) * sizeof *ph) : NULL;
    if (r == AS_OK && !ph) r = as_fail(AS_ERR_NOMEM, "espeak-ng: out of memory");
    if (r == AS_OK) {
        size_t k = 0;
        for (size_t i = 0; i < job->n_ev; i++) {
            if (job->ev[i].type != espeakEVENT_PHONEME) continue;
            ph[k] = job->ev[i];
            /* Keep the word index in text_len (unused for phonemes) and the
             * original order in text_pos, so the sort can be made stable. */
            ph[k].text_len = word_of[i];
            ph[k].text_pos = (int)k;
            k++;
        }
        /* Events arrive almost sorted; an insertion sort is stable and fast. */
        for (size_t i = 1; i < n_ph; i++) {
            raw_event x = ph[i];
            size_t j = i;
            while (j > 0 && cmp_event(&ph[j - 1], &x) > 0) {
                ph[j] = ph[j - 1];
                j--;
            }
            ph[j] = x;
        }
        for (size_t i = 0; i < n_ph && r == AS_OK; i++) {
            if (!ph[i].name[0]) continue; /* a pause */
            unsigned int end = (unsigned int)b->n_samples;
            for (size_t j = i + 1; j < n_ph; j++)
                if (ph[j].sample > ph[i].sample) {
                    end = ph[j].sample;
                    break;
                }
            if (end <= ph[i].sample) continue;
            int w = ph[i].text_len;
            r = as_tts_build_phoneme(b, ph[i].sample / rate, end / rate, ph[i].name, strlen(ph[i].name), w);
        }
    }

    /* Word times from their phonemes: start at the first, end at the last. */
    if (r == AS_OK) {
        for (size_t w = 0; w < b->n_words; w++) b->words[w].end_s = -1.0;
        for (size_t i = 0; i < b->n_phonemes; i++) {
            int w = b->phonemes[i].word;
            if (w < 0 || (size_t)w >= b->n_words) continue;
            as_word_event *we = &b->words[w];
            if (we->end_s < 0) we->start_s = b->phonemes[i].start_s;
            we->end_s = b->phonemes[i].end_s;
        }
        for (size_t w = 0; w < b->n_words; w++)
            if (b->words[w].end_s < 0) b->words[w].end_s = b->words[w].start_s;
    }
    as_free(ph);
    as_free(word_of);
    as_free(cp);
    return r;
}

as_result as_tts_espeak_synthesize(const as_tts_params *p, const char *voice, const char *text,
                                   as_tts_build *b)
{
    as_result r = as_tts_espeak_prepare(NULL, NULL, 0);
    if (r != AS_OK) return r;
    /* voice is already resolved (as_tts_espeak_prepare, in the parent) */
    if (espeak_SetVoiceByName(voice) != EE_OK)
        return as_fail(AS_ERR_BACKEND, "espeak-ng: could not load voice \"%s\"", voice);
    /* espeakRATE is in words per minute, 80..450, normal 175 (speak_lib.h);
     * espeakPITCH is 0..100, normal 50. */
    int wpm = (int)(175.0f * p->rate + 0.5f);
    if (wpm < espeakRATE_MINIMUM) wpm = espeakRATE_MINIMUM;
    if (wpm > espeakRATE_MAXIMUM) wpm = espeakRATE_MAXIMUM;
    int pitch = (int)(50.0f * p->pitch + 0.5f);
    if (pitch > 100) pitch = 100;
    espeak_SetParameter(espeakRATE, wpm, 0);
    espeak_SetParameter(espeakPITCH, pitch, 0);
    espeak_SetParameter(espeakVOLUME, 100, 0); /* gain is applied in tts.c */

    espeak_job job;
    memset(&job, 0, sizeof job);
    job.b = b;
    b->rate_hz = espeak_rate_hz;
    current_job = &job;
    espeak_ERROR er = espeak_Synth(text, strlen(text) + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, NULL, NULL);
    current_job = NULL;
    if (job.err != AS_OK) r = job.err;
    else if (er != EE_OK) r = as_fail(AS_ERR_BACKEND, "espeak-ng: espeak_Synth failed (%d)", (int)er);
    else r = build_events(&job, text);
    as_free(job.ev);
    return r;
}

/* ---- voice list ------------------------------------------------------ */

as_result as_tts_espeak_list(as_tts_voice_list *l)
{
    as_result r = as_tts_espeak_prepare(NULL, NULL, 0);
    if (r != AS_OK) return r;
    pthread_mutex_lock(&as_tts_lock);
    const espeak_VOICE **vs = espeak_ListVoices(NULL);
    for (size_t i = 0; vs && vs[i] && r == AS_OK; i++) {
        const espeak_VOICE *v = vs[i];
        if (!v->identifier) continue;
        /* The name to pass back is the voice's first language when that
         * selects this very voice (the usual case: "en-us", "ko"), else its
         * identifier. */
        const char *lang = v->languages && v->languages[0] ? v->languages + 1 : "";
        int by_lang = lang[0] && find_voice_in(vs, lang) == v;
        r = as_tts_voice_list_add(l, AS_TTS_ESPEAK, by_lang ? lang : v->identifier, lang, v->name ? v->name : "",
                                  v->gender == 1 ? 1 : v->gender == 2 ? 2 : 0);
    }
    pthread_mutex_unlock(&as_tts_lock);
    return r;
}
