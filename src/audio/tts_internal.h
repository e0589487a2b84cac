/* audio/tts_internal.h — what the engine back-ends (tts_espeak.c,
 * tts_flite.c) share with the front (tts.c): a growable speech builder that
 * each engine fills with its raw audio, phonemes and words, and the entry
 * points of the two engines. Not public. */
#ifndef AS_AUDIO_TTS_INTERNAL_H
#define AS_AUDIO_TTS_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include "animasync/tts.h"

/* Raw engine output before tts.c clamps, pads and scales it. Times are in
 * seconds from the engine's first sample. */
typedef struct {
    float *samples;
    size_t n_samples, cap_samples;
    int rate_hz;
    as_phoneme_event *phonemes;
    size_t n_phonemes, cap_phonemes;
    as_word_event *words;
    size_t n_words, cap_words;
} as_tts_build;

/* Appending; each returns AS_ERR_NOMEM (with a message) on failure. */
as_result as_tts_build_samples_i16(as_tts_build *b, const short *pcm, size_t n);
as_result as_tts_build_phoneme(as_tts_build *b, double start_s, double end_s, const char *ipa,
                               size_t ipa_len, int word);
as_result as_tts_build_word(as_tts_build *b, double start_s, double end_s, size_t offset, size_t len);
void as_tts_build_free(as_tts_build *b);

/* The words of a text: runs of non-whitespace with surrounding ASCII
 * punctuation stripped ("(café)." -> "café"), keeping only runs with a
 * letter, a digit or a non-ASCII character. Byte spans [start, end). *out
 * is freed with as_free. */
typedef struct {
    size_t start, end;
} as_tts_token;
as_result as_tts_tokenize(const char *text, as_tts_token **out, size_t *n);

/* Adds a word event for every word of the text (as_tts_tokenize) that no
 * engine word overlaps (times taken from the word before it), drops engine
 * words with no phoneme that overlap no text word, and re-indexes the
 * phonemes' words. */
as_result as_tts_complete_words(as_tts_build *b, const char *text);

/* One lock for the engines' state in this process: held while voices are
 * listed or registered and while a synthesis process is forked (tts.c), so a
 * child never inherits half-updated engine state. */
extern pthread_mutex_t as_tts_lock;

/* Parent side, called with as_tts_lock held before forking: initialize the
 * engine once, resolve (espeak-ng: into resolved, what the child loads) or
 * register (flite) the voice, so every child starts from the same pristine
 * engine state. voice NULL: initialize only. AS_ERR_UNKNOWN for an unknown
 * voice, AS_ERR_BACKEND when the engine cannot start. */
as_result as_tts_espeak_prepare(const char *voice, char *resolved, size_t resolved_size);
as_result as_tts_flite_prepare(const char *voice);

/* The engines, run inside the synthesis child process (tts.c) and never in
 * the library's own process: each takes validated parameters (rate and pitch
 * in range; voice as resolved by the prepare function) and non-empty text,
 * and fills b. They take no lock: the child is single-threaded. */
as_result as_tts_espeak_synthesize(const as_tts_params *p, const char *voice, const char *text,
                                   as_tts_build *b);
as_result as_tts_flite_synthesize(const as_tts_params *p, const char *voice, const char *text,
                                  as_tts_build *b);

/* Voice lists: each engine appends its voices to a list (strings copied). */
typedef struct {
    as_tts_engine engine;
    size_t name, language, description; /* offsets into strings */
    int gender;
} as_tts_voice_entry;

typedef struct {
    as_tts_voice_entry *items;
    size_t n, cap;
    char *strings; /* one buffer of NUL-terminated strings */
    size_t n_strings, cap_strings;
} as_tts_voice_list;

as_result as_tts_voice_list_add(as_tts_voice_list *l, as_tts_engine engine, const char *name,
                                const char *language, const char *description, int gender);
as_result as_tts_espeak_list(as_tts_voice_list *l);
as_result as_tts_flite_list(as_tts_voice_list *l);

#endif
