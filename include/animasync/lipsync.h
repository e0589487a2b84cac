/* animasync/lipsync.h — the lip-sync teacher: timed phonemes (IPA) ->
 * visemes -> mouth shapes on the LIPSYNC and SHARED channels, frame by frame.
 *
 * Sits after speech synthesis (tts.h gives the phoneme events, timed by the
 * synthesizer itself) and before the channel merge (motion.h). Its output is
 * also the target the student network learns from.
 *
 * The model (docs/LIPSYNC.md has the details and sources):
 *   - every phoneme maps through one IPA table to one of 15 visemes (silence
 *     plus the 14 mouth shapes of the Oculus/MPEG-4-style set); diphthongs
 *     and r-coloured vowels become two or three targets in sequence;
 *   - three articulators are blended separately, each with its own dominance
 *     functions (Cohen & Massaro 1993): the jaw, lip rounding (funnel,
 *     pucker: consonants are nearly transparent to it, so a rounded vowel's
 *     rounding starts early, across preceding consonants) and the other lip
 *     shapes;
 *   - as in JALI (Edwards et al. 2016) the jaw is a parameter of its own:
 *     vowel openness x loudness (RMS of the audio around the frame) x gain;
 *   - every bilabial /p b m/ is a closure gesture the blend cannot soften:
 *     lips together (mouthClose = jawOpen, mouthPress >= 0.5) over the whole
 *     phoneme and at the frame nearest its centre;
 *   - silence has its own target (rest, all zero) and the dominance functions
 *     have compact support, so a pause longer than about 0.3 s reaches rest
 *     exactly.
 *
 * Example:
 *
 *     as_lipsync_params lp = as_lipsync_default_params();
 *     size_t T = (size_t)(as_speech_duration(sp) * lp.fps) + 1;
 *     float *track = malloc(T * AS_NUM_CHANNELS * sizeof(float));
 *     as_lipsync_from_phonemes(&lp, sp->phonemes, sp->n_phonemes,
 *                              sp->samples, sp->n_samples, sp->rate_hz, T, track);
 */
#ifndef ANIMASYNC_LIPSYNC_H
#define ANIMASYNC_LIPSYNC_H

#include <stddef.h>
#include "core.h"
#include "tts.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- visemes ---------------------------------------------------------- */

/* The viseme set of Oculus Lipsync (itself after the MPEG-4 FBA visemes):
 * silence and 14 mouth shapes. Values are stable. */
typedef enum {
    AS_VISEME_SIL = 0, /* silence, rest */
    AS_VISEME_PP,      /* p b m: lips closed */
    AS_VISEME_FF,      /* f v: lower lip to upper teeth */
    AS_VISEME_TH,      /* θ ð: tongue tip between the teeth */
    AS_VISEME_DD,      /* t d: alveolar stops */
    AS_VISEME_KK,      /* k g ŋ: velar stops, also h ʔ */
    AS_VISEME_CH,      /* tʃ dʒ ʃ ʒ: postalveolars, lips protruded */
    AS_VISEME_SS,      /* s z: sibilants, jaw high, teeth close */
    AS_VISEME_NN,      /* n l: alveolar nasal and lateral */
    AS_VISEME_RR,      /* ɹ r: rhotics, lips slightly rounded */
    AS_VISEME_AA,      /* a ɑ æ ʌ: open vowels */
    AS_VISEME_E,       /* e ɛ ə: mid front and central vowels */
    AS_VISEME_I,       /* i ɪ: close front vowels, lips spread */
    AS_VISEME_O,       /* o ɔ: rounded mid back vowels */
    AS_VISEME_U,       /* u ʊ w: rounded close back vowels */
    AS_NUM_VISEMES
} as_viseme;

/* The viseme of an IPA phoneme (UTF-8: "p", "aɪ", "tʃ", "ɑːɹ", espeak-ng's
 * Korean "ph", "s-"). Stress and length marks, diacritics and tie bars are
 * ignored; a diphthong gives its first part. -1 for a string with no known
 * phoneme (or NULL). */
int as_viseme_of_ipa(const char *ipa);
/* All the visemes an IPA phoneme passes through, in order ("aɪ" -> AA, I;
 * "ɑːɹ" -> AA, RR; "p" -> PP). Writes up to max into out; returns how many
 * there are (0 for an unknown phoneme). */
size_t as_visemes_of_ipa(const char *ipa, int *out, size_t max);
/* "sil", "PP", "FF", ..., "U"; NULL out of range. */
const char *as_viseme_name(int viseme);
/* Index of a viseme name (exact), or -1. */
int as_viseme_find(const char *name);
/* The pose of a viseme held on its own at loudness 1 and gains 1: out[52]
 * with values on LIPSYNC and SHARED channels (tongueOut too, for TH: an
 * EXPRESSION channel, which as_lipsync_from_phonemes does not write).
 * AS_ERR_RANGE for a viseme out of range. */
as_result as_viseme_pose(int viseme, float out[AS_NUM_CHANNELS]);

/* ---- lip sync from timed phonemes -------------------------------------- */

typedef struct {
    float fps;            /* frames per second, 1..240; frame i is at time i / fps. Default 30. */
    float jaw_gain;       /* scales jaw opening, 0..2. Default 1. */
    float lip_gain;       /* scales lip shapes (all but jaw and closure), 0..2. Default 1. */
    float coarticulation; /* scales how far each phoneme's influence reaches
                             into its neighbours (the dominance windows), 0.25..3;
                             1 = the values of docs/LIPSYNC.md. Default 1. */
    float anticipation_s; /* how far ahead of a rounded vowel lip rounding may
                             start, seconds 0..0.5 (before coarticulation
                             scaling). Default 0.25. */
    int use_loudness;     /* 1: the jaw follows the RMS of the samples; 0: a
                             constant loudness of 1. Default 1. Ignored when no
                             samples are given. */
    float loudness_ref_db;   /* RMS level (dBFS) that counts as loudness 1.
                                Default -20. */
    float loudness_slope;    /* loudness change per dB away from the
                                reference, 0..0.2. Default 0.025. */
    float loudness_min, loudness_max; /* bounds of the loudness factor.
                                         Defaults 0.5 and 1.4. */
} as_lipsync_params;

as_lipsync_params as_lipsync_default_params(void);

/* Lip sync for n_frames frames from timed phonemes. p: NULL for the defaults.
 * ph: (n_ph) phoneme events in time order (start_s non-decreasing, end_s >
 * start_s); unknown phonemes count as a neutral consonant. samples: the
 * speech (n_samples at rate_hz, the same clock as the phoneme times) for
 * loudness, or NULL. out: (n_frames, 52) row-major; only LIPSYNC and SHARED
 * channels are written with values, all others are set to 0. Pure and
 * deterministic: the same input gives bit-identical output.
 * AS_ERR_INVALID_ARG for NULL pointers, unsorted or non-finite times, or
 * parameters out of range; AS_ERR_NOMEM. */
as_result as_lipsync_from_phonemes(const as_lipsync_params *p, const as_phoneme_event *ph, size_t n_ph,
                                   const float *samples, size_t n_samples, int rate_hz, size_t n_frames,
                                   float *out);

#ifdef __cplusplus
}
#endif
#endif
