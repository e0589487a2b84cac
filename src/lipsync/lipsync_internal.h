/* lipsync/lipsync_internal.h — what the viseme table (viseme.c) shares with
 * the coarticulation model (teacher.c): an IPA phoneme parsed into its parts
 * (viseme, jaw openness) and the per-viseme targets and dominance
 * magnitudes. Not public. */
#ifndef AS_LIPSYNC_INTERNAL_H
#define AS_LIPSYNC_INTERNAL_H

#include <stddef.h>
#include "animasync/lipsync.h"

/* One articulatory target of a phoneme: "aɪ" has two (AA, then I). */
typedef struct {
    int viseme;  /* as_viseme */
    float jaw;   /* jaw opening target 0..1: vowel openness for vowels, the
                    viseme's own value for consonants */
    int vowel;   /* 1 for a vowel (a syllable nucleus) */
    int weak;    /* 1 for phonemes with no oral target of their own (h, ɦ,
                    ʔ, ħ, ʕ): their neighbours shape the mouth */
} as_ipa_part;

/* Parses an IPA phoneme into up to max parts; returns the count (0 if no
 * known phoneme). */
size_t as_ipa_parts(const char *ipa, as_ipa_part *out, size_t max);

/* The pose of a viseme (as as_viseme_pose), without copying; viseme must
 * be in range. */
const float *as_viseme_pose_table(int viseme);

/* Dominance magnitudes (alpha of Cohen & Massaro 1993) of a viseme for the
 * three articulators the teacher blends separately. */
typedef struct {
    float jaw;   /* jawOpen */
    float round; /* mouthFunnel, mouthPucker */
    float shape; /* all other lip channels */
} as_viseme_dominance;

as_viseme_dominance as_viseme_dominance_of(int viseme);
/* 1 for visemes whose rounding is part of their target (O, U, CH, RR):
 * their rounding reaches further ahead (anticipatory rounding). */
int as_viseme_is_rounded(int viseme);

#endif
