/* audio/tts_flite.c — the flite engine: synthesis that keeps the utterance,
 * so phoneme and word timing come from flite's own Segment, SylStructure and
 * Token relations.
 *
 * flite_synth_text() returns the whole utterance: its wave and its relations.
 * Each Segment item has a name (a CMU/ARPAbet phone of the cmu_us phone set,
 * "pau" for a pause) and an "end" time in seconds; a segment starts where the
 * previous one ends. Segment -> SylStructure parent (syllable) -> parent
 * (word) -> Token parent gives the input token a phone belongs to; tokens
 * keep the input text minus surrounding punctuation, and are matched to byte
 * offsets in the input in order.
 *
 * Voices are registered on first use, in the library's process under
 * as_tts_lock, and kept. Synthesis itself runs in a forked child (tts.c):
 * flite's values are reference counted without locks, its clustergen voices
 * draw excitation noise from rand() (seeded in the child, so the same text
 * gives the same samples), and its fatal errors longjmp through the global
 * cst_errjmp or exit(). */
#define _POSIX_C_SOURCE 200809L
#include <flite/flite.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "audio/tts_internal.h"
#include "core/internal.h"

/* The voice libraries export these; flite's headers do not declare them. */
cst_voice *register_cmu_us_kal(const char *voxdir);
cst_voice *register_cmu_us_kal16(const char *voxdir);
cst_voice *register_cmu_us_slt(const char *voxdir);
cst_voice *register_cmu_us_rms(const char *voxdir);
cst_voice *register_cmu_us_awb(const char *voxdir);

typedef struct {
    const char *name;
    const char *language;
    const char *description;
    int gender;
    cst_voice *(*reg)(const char *);
    cst_voice *voice;  /* registered on first use */
    float f0_mean_hz;  /* the voice's own int_f0_target_mean */
} flite_voice;

static flite_voice flite_voices[] = {
    {"kal", "en-us", "CMU US KAL (diphone, male, 8 kHz)", 1, register_cmu_us_kal, NULL, 0},
    {"kal16", "en-us", "CMU US KAL (diphone, male, 16 kHz)", 1, register_cmu_us_kal16, NULL, 0},
    {"slt", "en-us", "CMU US SLT (clustergen, female, 16 kHz)", 2, register_cmu_us_slt, NULL, 0},
    {"rms", "en-us", "CMU US RMS (clustergen, male, 16 kHz)", 1, register_cmu_us_rms, NULL, 0},
    {"awb", "en", "CMU US AWB (clustergen, male, Scottish English, 16 kHz)", 1, register_cmu_us_awb, NULL, 0},
};
#define N_FLITE_VOICES (sizeof flite_voices / sizeof flite_voices[0])

static pthread_once_t flite_once = PTHREAD_ONCE_INIT;

static void flite_init_once(void) { flite_init(); }

/* The cmu_us phone set (flite lang/usenglish/us_phoneset.c, the CMU
 * Pronouncing Dictionary's ARPAbet) to IPA, General American values. */
static const struct {
    const char *arpabet, *ipa;
} arpabet_ipa[] = {
    {"aa", "ɑ"}, {"ae", "æ"}, {"ah", "ʌ"}, {"ao", "ɔ"}, {"aw", "aʊ"}, {"ax", "ə"},
    {"axr", "ɚ"}, {"ay", "aɪ"}, {"b", "b"}, {"ch", "tʃ"}, {"d", "d"}, {"dh", "ð"},
    {"dx", "ɾ"}, {"eh", "ɛ"}, {"el", "l̩"}, {"em", "m̩"}, {"en", "n̩"}, {"er", "ɝ"},
    {"ey", "eɪ"}, {"f", "f"}, {"g", "ɡ"}, {"hh", "h"}, {"ih", "ɪ"}, {"ix", "ɨ"},
    {"iy", "i"}, {"jh", "dʒ"}, {"k", "k"}, {"l", "l"}, {"m", "m"}, {"n", "n"},
    {"ng", "ŋ"}, {"nx", "ɾ̃"}, {"ow", "oʊ"}, {"oy", "ɔɪ"}, {"p", "p"}, {"q", "ʔ"},
    {"r", "ɹ"}, {"s", "s"}, {"sh", "ʃ"}, {"t", "t"}, {"th", "θ"}, {"uh", "ʊ"},
    {"uw", "u"}, {"ux", "ʉ"}, {"v", "v"}, {"w", "w"}, {"wh", "ʍ"}, {"y", "j"},
    {"z", "z"}, {"zh", "ʒ"},
};

static const char *ipa_of_arpabet(const char *phone)
{
    for (size_t i = 0; i < sizeof arpabet_ipa / sizeof arpabet_ipa[0]; i++)
        if (strcmp(arpabet_ipa[i].arpabet, phone) == 0) return arpabet_ipa[i].ipa;
    return NULL;
}

static flite_voice *find_flite_voice(const char *name)
{
    if (strncasecmp(name, "cmu_us_", 7) == 0) name += 7;
    for (size_t i = 0; i < N_FLITE_VOICES; i++)
        if (strcasecmp(flite_voices[i].name, name) == 0) return &flite_voices[i];
    return NULL;
}

/* The token a segment belongs to, or NULL for a pause. */
static cst_item *token_of_segment(cst_item *seg)
{
    cst_item *ss = item_as(seg, "SylStructure");
    if (!ss) return NULL;
    cst_item *syl = item_parent(ss);
    cst_item *word = syl ? item_parent(syl) : NULL;
    cst_item *wt = word ? item_as(word, "Token") : NULL;
    return wt ? item_parent(wt) : NULL;
}

/* Fills b from a synthesized utterance. */
static as_result read_utterance(cst_utterance *u, const char *text, as_tts_build *b)
{
    cst_wave *w = utt_wave(u);
    if (!w || w->sample_rate <= 0) return as_fail(AS_ERR_BACKEND, "flite: synthesis produced no wave");
    if (w->num_samples <= 0) { /* nothing speakable: tts.c reports it */
        b->rate_hz = w->sample_rate;
        return AS_OK;
    }
    int ch = w->num_channels > 0 ? w->num_channels : 1;
    b->rate_hz = w->sample_rate;
    if (ch == 1) {
        as_result r = as_tts_build_samples_i16(b, w->samples, (size_t)w->num_samples);
        if (r != AS_OK) return r;
    } else {
        for (int i = 0; i < w->num_samples; i++) { /* first channel */
            as_result r = as_tts_build_samples_i16(b, &w->samples[(size_t)i * ch], 1);
            if (r != AS_OK) return r;
        }
    }

    /* Tokens -> words with byte offsets: each token's name is searched for
     * in the input from where the previous one ended. */
    cst_relation *tokens = utt_relation(u, "Token");
    size_t n_tok = 0;
    for (cst_item *t = tokens ? relation_head(tokens) : NULL; t; t = item_next(t)) n_tok++;
    cst_item **tok = as_malloc((n_tok + 1) * sizeof *tok);
    if (!tok) return as_fail(AS_ERR_NOMEM, "flite: out of memory");
    size_t cursor = 0, text_len = strlen(text), k = 0;
    as_result r = AS_OK;
    for (cst_item *t = tokens ? relation_head(tokens) : NULL; t && r == AS_OK; t = item_next(t)) {
        const char *name = item_feat_string(t, "name");
        size_t len = name ? strlen(name) : 0;
        size_t off = cursor;
        if (len > 0) {
            const char *hit = strstr(text + cursor, name);
            if (hit) {
                off = (size_t)(hit - text);
                cursor = off + len;
            } else {
                len = 0; /* flite changed the token: keep the order, no span */
            }
        }
        if (off > text_len) off = text_len;
        tok[k++] = t;
        r = as_tts_build_word(b, -1.0, -1.0, off, len); /* times filled below */
    }

    /* Segments -> phonemes; each word spans its first to last phone. */
    cst_relation *segs = utt_relation(u, "Segment");
    double prev_end = 0.0;
    size_t word_cursor = 0;
    for (cst_item *s = segs ? relation_head(segs) : NULL; s && r == AS_OK; s = item_next(s)) {
        const char *phone = item_feat_string(s, "name");
        double end = item_feat_float(s, "end");
        double start = prev_end;
        prev_end = end > prev_end ? end : prev_end;
        if (!phone || strcmp(phone, "pau") == 0 || !(end > start)) continue;
        int word = -1;
        cst_item *t = token_of_segment(s);
        if (t) {
            for (size_t i = word_cursor; i < n_tok; i++)
                if (tok[i] == t) {
                    word = (int)i;
                    word_cursor = i;
                    break;
                }
        }
        const char *ipa = ipa_of_arpabet(phone);
        if (!ipa) ipa = phone; /* unknown phone: pass its name through */
        r = as_tts_build_phoneme(b, start, end, ipa, strlen(ipa), word);
        if (r == AS_OK && word >= 0) {
            as_word_event *we = &b->words[word];
            if (we->start_s < 0) we->start_s = start;
            we->end_s = end;
        }
    }
    /* Tokens with no phone (punctuation alone) take the time where the
     * previous word ended. */
    double t_prev = 0.0;
    for (size_t i = 0; i < b->n_words; i++) {
        if (b->words[i].start_s < 0) b->words[i].start_s = b->words[i].end_s = t_prev;
        t_prev = b->words[i].end_s;
    }
    as_free(tok);
    return r;
}

/* Synthesis under an error trap: flite reports fatal errors by longjmp
 * through cst_errjmp (or exit() when it is NULL). */
static as_result synth_trapped(flite_voice *fv, const char *text, as_tts_build *b)
{
    jmp_buf trap;
    cst_utterance *volatile u = NULL;
    as_result r;
    cst_errjmp = &trap;
    if (setjmp(trap) == 0) {
        u = flite_synth_text(text, fv->voice);
        r = u ? read_utterance(u, text, b) : as_fail(AS_ERR_BACKEND, "flite: synthesis failed");
    } else {
        r = as_fail(AS_ERR_BACKEND, "flite: internal error while synthesizing \"%.40s\"", text);
    }
    cst_errjmp = NULL;
    if (u) delete_utterance(u);
    return r;
}

as_result as_tts_flite_prepare(const char *voice)
{
    flite_voice *fv = find_flite_voice(voice);
    if (!fv)
        return as_fail(AS_ERR_UNKNOWN, "flite: unknown voice \"%s\" (flite has kal, kal16, slt, rms, awb)", voice);
    pthread_once(&flite_once, flite_init_once);
    if (!fv->voice) {
        fv->voice = fv->reg(NULL);
        if (!fv->voice) return as_fail(AS_ERR_BACKEND, "flite: could not register voice \"%s\"", fv->name);
        fv->f0_mean_hz = get_param_float(fv->voice->features, "int_f0_target_mean", 100.0f);
    }
    return AS_OK;
}

as_result as_tts_flite_synthesize(const as_tts_params *p, const char *voice, const char *text,
                                  as_tts_build *b)
{
    as_result r = as_tts_flite_prepare(voice);
    if (r != AS_OK) return r;
    flite_voice *fv = find_flite_voice(voice);
    /* duration_stretch multiplies every duration (flite cst_synth.c);
     * int_f0_target_mean is the diphone voices' mean F0 and f0_shift
     * scales the clustergen voices' F0 (cst_cg.c). */
    feat_set_float(fv->voice->features, "duration_stretch", 1.0f / p->rate);
    feat_set_float(fv->voice->features, "int_f0_target_mean", fv->f0_mean_hz * p->pitch);
    feat_set_float(fv->voice->features, "f0_shift", p->pitch);
    return synth_trapped(fv, text, b);
}

as_result as_tts_flite_list(as_tts_voice_list *l)
{
    as_result r = AS_OK;
    for (size_t i = 0; i < N_FLITE_VOICES && r == AS_OK; i++)
        r = as_tts_voice_list_add(l, AS_TTS_FLITE, flite_voices[i].name, flite_voices[i].language, flite_voices[i].description,
                                  flite_voices[i].gender);
    return r;
}
