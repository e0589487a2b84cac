/* animasync/tts.h — speech synthesis with phoneme and word timing (espeak-ng
 * and flite), and the audio files the rest of the pipeline reads and writes.
 *
 * Sits in the audio stage: the lip-sync teacher (lipsync.h) turns the phoneme
 * events of an as_speech into mouth shapes, and the timeline stage maps each
 * emotion tag to time through the word events ("a tag's time is the time its
 * next word is spoken": find the first word whose text_offset is at or after
 * the tag's byte position).
 *
 * Example:
 *
 *     as_tts_params tp = as_tts_default_params();   // espeak-ng, "en-us"
 *     as_speech *sp = NULL;
 *     if (as_tts_synthesize(&tp, "Hello, Bob!", &sp) != AS_OK)
 *         fprintf(stderr, "%s\n", as_last_error());
 *     for (size_t i = 0; i < sp->n_phonemes; i++)
 *         printf("%.3f %.3f %s\n", sp->phonemes[i].start_s, sp->phonemes[i].end_s,
 *                sp->phonemes[i].ipa);
 *     as_wav_write("hello.wav", sp->samples, sp->n_samples, sp->rate_hz);
 *     as_speech_destroy(sp);
 *
 * Thread safety and determinism: every synthesis runs in a child process
 * forked for it from a process in which the engines were only initialized,
 * so the same input gives bit-identical speech (neither engine does so on
 * its own within one process) and as_tts_synthesize may be called from many
 * threads at once. */
#ifndef ANIMASYNC_TTS_H
#define ANIMASYNC_TTS_H

#include <stddef.h>
#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- speech: audio plus timing ----------------------------------------- */

/* One phoneme as the synthesizer spoke it. Pauses are not listed: time that
 * no phoneme covers is silence. */
typedef struct {
    double start_s;  /* start time in seconds from the first sample */
    double end_s;    /* end time in seconds (> start_s) */
    char ipa[16];    /* the phoneme in IPA, UTF-8, NUL-terminated ("p", "aɪ",
                        "tʃ", "ɑːɹ"). espeak-ng gives some language-specific
                        phonemes in its own ASCII mnemonics ("ph", "s-", "q"
                        in Korean); lipsync.h maps those too. */
    int word;        /* index into as_speech.words, or -1 outside any word */
} as_phoneme_event;

/* One word of the input text: a run of non-whitespace with surrounding
 * ASCII punctuation stripped ("(café)," -> "café"), so "123" is one word
 * even though it is spoken as several; runs with no letter or digit
 * ("-", "...") are not words. In text without spaces (Chinese, Japanese)
 * the engine's own words inside a run are kept. Every word of the text has
 * an event; one the engine spoke inside a neighbour ("a" in espeak-ng's
 * "for a") has start_s == end_s at the end of the word before it. */
typedef struct {
    double start_s;     /* when the word starts being spoken */
    double end_s;       /* when its last phoneme ends */
    size_t text_offset; /* byte offset of the word in the input text */
    size_t text_len;    /* its length in bytes */
} as_word_event;

/* Synthesized speech. Made by as_tts_synthesize, freed by as_speech_destroy;
 * the caller may read every field (and take ownership of a buffer by setting
 * the pointer to NULL before destroying). */
typedef struct {
    float *samples;              /* (n_samples) mono, -1..1 */
    size_t n_samples;
    int rate_hz;                 /* 22050 for espeak-ng, 8000 or 16000 for flite voices */
    as_phoneme_event *phonemes;  /* (n_phonemes) in time order, never overlapping */
    size_t n_phonemes;
    as_word_event *words;        /* (n_words) in time order and in text order */
    size_t n_words;
} as_speech;

/* Duration of the audio in seconds (0 for NULL). */
double as_speech_duration(const as_speech *sp);
void as_speech_destroy(as_speech *sp);

/* ---- synthesis --------------------------------------------------------- */

typedef enum {
    AS_TTS_ESPEAK = 0, /* espeak-ng: about 130 languages (en-us, en-gb, ko, de, ...) */
    AS_TTS_FLITE = 1   /* flite 2.2: US English voices kal, slt, rms, awb, kal16 */
} as_tts_engine;

typedef struct {
    as_tts_engine engine; /* default AS_TTS_ESPEAK */
    /* The voice. espeak-ng: a voice name, identifier or language as
     * `animasync voices` lists them ("en-us", "en-gb", "ko", "English (America)",
     * "gmw/en-US"), optionally with a variant after '+' ("en-us+f3",
     * "en-us+klatt"). flite: "kal", "slt", "rms", "awb", "kal16" (a "cmu_us_"
     * prefix is accepted). NULL or "" means the engine's default ("en-us",
     * "slt"). */
    const char *voice;
    float rate;       /* speaking rate as a multiple of the engine's normal rate,
                         0.5..2.0 (espeak-ng: 1 = 175 words per minute; flite:
                         duration_stretch = 1 / rate). Default 1. */
    float pitch;      /* base pitch as a multiple of the voice's own, 0.5..2.0
                         (espeak-ng: its 0..100 pitch parameter = 50 x pitch,
                         clamped; flite: int_f0_target_mean x pitch). Default 1. */
    float volume;     /* output gain 0..2, 1 = the engine's normal level
                         (samples are clipped to -1..1). Default 1. */
    float lead_s;     /* silence guaranteed before the first phoneme, seconds
                         0..5 (zeros are prepended when the engine's own
                         leading silence is shorter), so the face starts at
                         rest. Default 0.30. */
    float tail_s;     /* silence guaranteed after the last phoneme, 0..5.
                         Default 0.30. */
} as_tts_params;

as_tts_params as_tts_default_params(void);

/* Synthesizes UTF-8 text. On success *out holds the speech (free it with
 * as_speech_destroy). Errors: AS_ERR_INVALID_ARG for NULL pointers, empty or
 * all-whitespace text, text with nothing speakable ("...", an emoji alone),
 * or parameters out of range; AS_ERR_UNKNOWN for a voice the engine does not
 * have (the message names it); AS_ERR_BACKEND when the engine fails;
 * AS_ERR_NOMEM.
 *
 * Each call synthesizes in a child process forked for it (see docs/LIPSYNC.md,
 * "Determinism and threads"): the same text and parameters give bit-identical
 * speech. Calls from several threads are safe and synthesize one at a time
 * (the child is reaped before the next fork, see tts.c). */
as_result as_tts_synthesize(const as_tts_params *p, const char *utf8_text, as_speech **out);

/* One voice of one engine. */
typedef struct {
    as_tts_engine engine;
    const char *name;        /* what to pass as as_tts_params.voice ("en-us", "kal") */
    const char *language;    /* language tag ("en-us", "ko") */
    const char *description; /* human-readable ("English (America)", "CMU US KAL, male, 8 kHz") */
    int gender;              /* 0 unknown, 1 male, 2 female */
} as_tts_voice_info;

/* Lists the voices of both engines: espeak-ng's (espeak_ListVoices), then
 * flite's. *out is one block (the strings live inside it): free it with
 * as_free. Variants of espeak-ng ("+f3", "+klatt", ...) are not listed one by
 * one; any of them may follow any espeak-ng voice. */
as_result as_tts_list_voices(as_tts_voice_info **out, size_t *n);

/* Name of an engine ("espeak", "flite") and back (-1 if unknown). */
const char *as_tts_engine_name(as_tts_engine e);
int as_tts_engine_find(const char *name);

/* ---- audio files ------------------------------------------------------- */

/* Writes mono samples (-1..1, clipped) as a 16-bit PCM WAV file, atomically:
 * a temporary file is renamed onto path only when complete, so a failure
 * leaves no partial file. AS_ERR_IO when the file cannot be written. */
as_result as_wav_write(const char *path, const float *samples, size_t n, int rate_hz);

/* Reads any audio file libsndfile reads (WAV, FLAC, OGG, AIFF, ...), mixing
 * all channels to mono float -1..1. *samples is freed with as_free.
 * AS_ERR_IO when the file cannot be opened, AS_ERR_PARSE when its format is
 * not recognized or it is damaged. */
as_result as_audio_read(const char *path, float **samples, size_t *n, int *rate_hz);

#ifdef __cplusplus
}
#endif
#endif
