/* lipsync/viseme.c — phonemes to visemes to poses: the one IPA table every
 * language maps through, the pose (52 ARKit weights) of each viseme, and the
 * dominance magnitudes the coarticulation model (teacher.c) blends them with.
 * docs/LIPSYNC.md gives the articulatory basis of every pose. */
#include <string.h>

#include "core/internal.h"
#include "lipsync/lipsync_internal.h"

/* ---- names ------------------------------------------------------------ */

static const char *const viseme_names[AS_NUM_VISEMES] = {
    "sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "I", "O", "U",
};

const char *as_viseme_name(int viseme)
{
    return viseme >= 0 && viseme < AS_NUM_VISEMES ? viseme_names[viseme] : NULL;
}

int as_viseme_find(const char *name)
{
    if (!name) return -1;
    for (int v = 0; v < AS_NUM_VISEMES; v++)
        if (strcmp(viseme_names[v], name) == 0) return v;
    return -1;
}

/* ---- poses ------------------------------------------------------------
 * Values on 0..1 for each ARKit channel, symmetric left/right. The jaw value
 * is the viseme's own (vowels override it with their openness, see the IPA
 * table). Bilabial closure (PP) is also enforced as a gesture by teacher.c;
 * the pose here is what that gesture produces with the jaw at 0.05.
 * Sources per pose: docs/LIPSYNC.md, "Poses". */

#define SYM2(l, r, v) [l] = (v), [r] = (v)

static const float viseme_poses[AS_NUM_VISEMES][AS_NUM_CHANNELS] = {
    [AS_VISEME_SIL] = {0},
    [AS_VISEME_PP] = {[AS_JAW_OPEN] = 0.05f, [AS_MOUTH_CLOSE] = 0.05f,
                      SYM2(AS_MOUTH_PRESS_LEFT, AS_MOUTH_PRESS_RIGHT, 0.65f),
                      [AS_MOUTH_ROLL_LOWER] = 0.15f, [AS_MOUTH_ROLL_UPPER] = 0.10f},
    [AS_VISEME_FF] = {[AS_JAW_OPEN] = 0.10f, [AS_MOUTH_ROLL_LOWER] = 0.45f,
                      SYM2(AS_MOUTH_UPPER_UP_LEFT, AS_MOUTH_UPPER_UP_RIGHT, 0.20f),
                      [AS_MOUTH_SHRUG_UPPER] = 0.10f},
    [AS_VISEME_TH] = {[AS_JAW_OPEN] = 0.15f, [AS_TONGUE_OUT] = 0.30f,
                      SYM2(AS_MOUTH_LOWER_DOWN_LEFT, AS_MOUTH_LOWER_DOWN_RIGHT, 0.15f),
                      SYM2(AS_MOUTH_UPPER_UP_LEFT, AS_MOUTH_UPPER_UP_RIGHT, 0.10f),
                      SYM2(AS_MOUTH_STRETCH_LEFT, AS_MOUTH_STRETCH_RIGHT, 0.05f)},
    [AS_VISEME_DD] = {[AS_JAW_OPEN] = 0.15f,
                      SYM2(AS_MOUTH_LOWER_DOWN_LEFT, AS_MOUTH_LOWER_DOWN_RIGHT, 0.12f),
                      SYM2(AS_MOUTH_UPPER_UP_LEFT, AS_MOUTH_UPPER_UP_RIGHT, 0.10f),
                      SYM2(AS_MOUTH_STRETCH_LEFT, AS_MOUTH_STRETCH_RIGHT, 0.10f)},
    [AS_VISEME_KK] = {[AS_JAW_OPEN] = 0.22f,
                      SYM2(AS_MOUTH_LOWER_DOWN_LEFT, AS_MOUTH_LOWER_DOWN_RIGHT, 0.10f),
                      SYM2(AS_MOUTH_UPPER_UP_LEFT, AS_MOUTH_UPPER_UP_RIGHT, 0.05f),
                      SYM2(AS_MOUTH_STRETCH_LEFT, AS_MOUTH_STRETCH_RIGHT, 0.08f)},
    [AS_VISEME_CH] = {[AS_JAW_OPEN] = 0.12f, [AS_MOUTH_FUNNEL] = 0.45f, [AS_MOUTH_PUCKER] = 0.30f,
                      SYM2(AS_MOUTH_LOWER_DOWN_LEFT, AS_MOUTH_LOWER_DOWN_RIGHT, 0.25f),
                      SYM2(AS_MOUTH_UPPER_UP_LEFT, AS_MOUTH_UPPER_UP_RIGHT, 0.25f)},
    [AS_VISEME_SS] = {[AS_JAW_OPEN] = 0.06f,
                      SYM2(AS_MOUTH_STRETCH_LEFT, AS_MOUTH_STRETCH_RIGHT, 0.25f),
                      SYM2(AS_MOUTH_SMILE_LEFT, AS_MOUTH_SMILE_RIGHT, 0.12f),
                      SYM2(AS_MOUTH_LOWER_DOWN_LEFT, AS_MOUTH_LOWER_DOWN_RIGHT, 0.12f),
                      SYM2(AS_MOUTH_UPPER_UP_LEFT, AS_MOUTH_UPPER_UP_RIGHT, 0.15f)},
    [AS_VISEME_NN] = {[AS_JAW_OPEN] = 0.15f,
                      SYM2(AS_MOUTH_LOWER_DOWN_LEFT, AS_MOUTH_LOWER_DOWN_RIGHT, 0.08f),
                      SYM2(AS_MOUTH_UPPER_UP_LEFT, AS_MOUTH_UPPER_UP_RIGHT, 0.05f),
                      SYM2(AS_MOUTH_STRETCH_LEFT, AS_MOUTH_STRETCH_RIGHT, 0.05f)},
    [AS_VISEME_RR] = {[AS_JAW_OPEN] = 0.15f, [AS_MOUTH_PUCKER] = 0.30f, [AS_MOUTH_FUNNEL] = 0.25f,
                      SYM2(AS_MOUTH_LOWER_DOWN_LEFT, AS_MOUTH_LOWER_DOWN_RIGHT, 0.05f)},
    [AS_VISEME_AA] = {[AS_JAW_OPEN] = 0.60f,
                      SYM2(AS_MOUTH_LOWER_DOWN_LEFT, AS_MOUTH_LOWER_DOWN_RIGHT, 0.25f),
                      SYM2(AS_MOUTH_UPPER_UP_LEFT, AS_MOUTH_UPPER_UP_RIGHT, 0.08f),
                      SYM2(AS_MOUTH_STRETCH_LEFT, AS_MOUTH_STRETCH_RIGHT, 0.08f)},
    [AS_VISEME_E] = {[AS_JAW_OPEN] = 0.35f,
                     SYM2(AS_MOUTH_STRETCH_LEFT, AS_MOUTH_STRETCH_RIGHT, 0.20f),
                     SYM2(AS_MOUTH_SMILE_LEFT, AS_MOUTH_SMILE_RIGHT, 0.15f),
                     SYM2(AS_MOUTH_LOWER_DOWN_LEFT, AS_MOUTH_LOWER_DOWN_RIGHT, 0.20f),
                     SYM2(AS_MOUTH_UPPER_UP_LEFT, AS_MOUTH_UPPER_UP_RIGHT, 0.10f)},
    [AS_VISEME_I] = {[AS_JAW_OPEN] = 0.15f,
                     SYM2(AS_MOUTH_STRETCH_LEFT, AS_MOUTH_STRETCH_RIGHT, 0.35f),
                     SYM2(AS_MOUTH_SMILE_LEFT, AS_MOUTH_SMILE_RIGHT, 0.30f),
                     SYM2(AS_MOUTH_LOWER_DOWN_LEFT, AS_MOUTH_LOWER_DOWN_RIGHT, 0.12f),
                     SYM2(AS_MOUTH_UPPER_UP_LEFT, AS_MOUTH_UPPER_UP_RIGHT, 0.12f)},
    [AS_VISEME_O] = {[AS_JAW_OPEN] = 0.35f, [AS_MOUTH_FUNNEL] = 0.55f, [AS_MOUTH_PUCKER] = 0.30f,
                     SYM2(AS_MOUTH_LOWER_DOWN_LEFT, AS_MOUTH_LOWER_DOWN_RIGHT, 0.05f)},
    [AS_VISEME_U] = {[AS_JAW_OPEN] = 0.12f, [AS_MOUTH_PUCKER] = 0.65f, [AS_MOUTH_FUNNEL] = 0.30f},
};

const float *as_viseme_pose_table(int viseme) { return viseme_poses[viseme]; }

as_result as_viseme_pose(int viseme, float out[AS_NUM_CHANNELS])
{
    if (!out) return as_fail(AS_ERR_INVALID_ARG, "as_viseme_pose: NULL out");
    if (viseme < 0 || viseme >= AS_NUM_VISEMES)
        return as_fail(AS_ERR_RANGE, "as_viseme_pose: viseme %d outside 0..%d", viseme, AS_NUM_VISEMES - 1);
    memcpy(out, viseme_poses[viseme], sizeof viseme_poses[viseme]);
    return AS_OK;
}

/* ---- dominance --------------------------------------------------------
 * Dominance magnitudes (alpha) per articulator, after the ranking of Cohen &
 * Massaro (1993): segments that need an articulator dominate it, segments
 * that leave it free barely pull on it. Lingual consonants (t d n l k g)
 * leave both lips and jaw nearly free (they coarticulate strongly with their
 * vowels); labials dominate the lips; sibilants dominate the jaw (they need
 * it high and stable: Mooshammer, Hoole & Geumann 2007, "Jaw and order",
 * Language and Speech 50); only the rounded
 * segments are specified for rounding, so the others are transparent to it
 * and a rounded vowel's rounding spreads back across them (Benguerel & Cowan
 * 1974). Silence holds the mouth at rest with unit dominance. */

static const as_viseme_dominance viseme_dominance[AS_NUM_VISEMES] = {
    /*            jaw   round  shape */
    [AS_VISEME_SIL] = {1.0f, 1.0f, 1.0f},
    [AS_VISEME_PP] = {0.8f, 0.15f, 5.0f},
    [AS_VISEME_FF] = {0.8f, 0.20f, 4.0f},
    [AS_VISEME_TH] = {0.6f, 0.20f, 2.0f},
    [AS_VISEME_DD] = {0.4f, 0.10f, 0.5f},
    [AS_VISEME_KK] = {0.3f, 0.10f, 0.3f},
    [AS_VISEME_CH] = {0.7f, 1.50f, 1.5f},
    [AS_VISEME_SS] = {1.2f, 0.30f, 1.0f},
    [AS_VISEME_NN] = {0.4f, 0.10f, 0.4f},
    [AS_VISEME_RR] = {0.5f, 0.80f, 0.6f},
    [AS_VISEME_AA] = {1.0f, 1.20f, 1.0f},
    [AS_VISEME_E] = {1.0f, 1.20f, 1.0f},
    [AS_VISEME_I] = {1.0f, 1.50f, 1.0f},
    [AS_VISEME_O] = {1.0f, 1.50f, 1.0f},
    [AS_VISEME_U] = {1.0f, 1.50f, 1.0f},
};

as_viseme_dominance as_viseme_dominance_of(int viseme)
{
    if (viseme < 0 || viseme >= AS_NUM_VISEMES) viseme = AS_VISEME_SIL;
    return viseme_dominance[viseme];
}

int as_viseme_is_rounded(int viseme)
{
    return viseme == AS_VISEME_O || viseme == AS_VISEME_U || viseme == AS_VISEME_CH || viseme == AS_VISEME_RR;
}

/* ---- the IPA table ------------------------------------------------------
 * One entry per symbol (a Unicode code point). Vowels carry their jaw
 * opening from vowel height (IPA vowel chart: close 0.12, near-close 0.20,
 * close-mid 0.30, mid 0.34, open-mid 0.44, near-open 0.55, open 0.65): jaw
 * opening grows with vowel openness (Lindblom & Sundberg 1971, "Acoustical
 * consequences of lip, tongue, jaw, and larynx movement", JASA 50). Lip
 * shape comes from the vowel's rounding and backness. Consonants take their
 * viseme's jaw. ASCII letters cover espeak-ng's own mnemonics where it has
 * no IPA ("ph", "s-", "q" in Korean; see kirshenbaum() below). */

enum { K_CONS = 0, K_VOWEL, K_STOP_CORONAL, K_FRICATIVE, K_WEAK, K_ASPIRATION };

typedef struct {
    unsigned cp;  /* code point */
    signed char viseme;
    signed char kind;
    float jaw;    /* vowels: openness; consonants: -1 (the viseme's) */
} ipa_symbol;

#define JAW_CLOSE 0.12f
#define JAW_NEAR_CLOSE 0.20f
#define JAW_CLOSE_MID 0.30f
#define JAW_MID 0.34f
#define JAW_OPEN_MID 0.44f
#define JAW_NEAR_OPEN 0.55f
#define JAW_OPEN 0.65f

static const ipa_symbol ipa_table[] = {
    /* bilabial */
    {'p', AS_VISEME_PP, K_CONS, -1}, {'b', AS_VISEME_PP, K_CONS, -1}, {'m', AS_VISEME_PP, K_CONS, -1},
    {0x0253 /* ɓ */, AS_VISEME_PP, K_CONS, -1}, {0x0299 /* ʙ */, AS_VISEME_PP, K_CONS, -1},
    /* labiodental, and bilabial fricatives (lips approach, do not seal) */
    {'f', AS_VISEME_FF, K_FRICATIVE, -1}, {'v', AS_VISEME_FF, K_FRICATIVE, -1},
    {0x0271 /* ɱ */, AS_VISEME_FF, K_CONS, -1}, {0x028B /* ʋ */, AS_VISEME_FF, K_CONS, -1},
    {0x0278 /* ɸ */, AS_VISEME_FF, K_FRICATIVE, -1}, {0x03B2 /* β */, AS_VISEME_FF, K_FRICATIVE, -1},
    /* dental */
    {0x03B8 /* θ */, AS_VISEME_TH, K_FRICATIVE, -1}, {0x00F0 /* ð */, AS_VISEME_TH, K_FRICATIVE, -1},
    /* alveolar, retroflex and palatal stops, taps */
    {'t', AS_VISEME_DD, K_STOP_CORONAL, -1}, {'d', AS_VISEME_DD, K_STOP_CORONAL, -1},
    {0x0288 /* ʈ */, AS_VISEME_DD, K_STOP_CORONAL, -1}, {0x0256 /* ɖ */, AS_VISEME_DD, K_STOP_CORONAL, -1},
    {'c', AS_VISEME_DD, K_STOP_CORONAL, -1}, {0x025F /* ɟ */, AS_VISEME_DD, K_STOP_CORONAL, -1},
    {0x0257 /* ɗ */, AS_VISEME_DD, K_STOP_CORONAL, -1},
    {0x027E /* ɾ */, AS_VISEME_DD, K_CONS, -1}, {0x027D /* ɽ */, AS_VISEME_DD, K_CONS, -1},
    /* velar, uvular */
    {'k', AS_VISEME_KK, K_CONS, -1}, {'g', AS_VISEME_KK, K_CONS, -1}, {0x0261 /* ɡ */, AS_VISEME_KK, K_CONS, -1},
    {'q', AS_VISEME_KK, K_CONS, -1}, {0x0262 /* ɢ */, AS_VISEME_KK, K_CONS, -1},
    {'x', AS_VISEME_KK, K_FRICATIVE, -1}, {0x0263 /* ɣ */, AS_VISEME_KK, K_FRICATIVE, -1},
    {0x03C7 /* χ */, AS_VISEME_KK, K_FRICATIVE, -1}, {0x0281 /* ʁ */, AS_VISEME_KK, K_FRICATIVE, -1},
    {0x0280 /* ʀ */, AS_VISEME_KK, K_CONS, -1}, {0x014B /* ŋ */, AS_VISEME_KK, K_CONS, -1},
    {0x0274 /* ɴ */, AS_VISEME_KK, K_CONS, -1}, {0x0270 /* ɰ */, AS_VISEME_KK, K_CONS, -1},
    {0x00E7 /* ç */, AS_VISEME_KK, K_FRICATIVE, -1}, {0x029D /* ʝ */, AS_VISEME_KK, K_FRICATIVE, -1},
    /* glottal and pharyngeal: no oral target */
    {'h', AS_VISEME_KK, K_WEAK, -1}, {0x0266 /* ɦ */, AS_VISEME_KK, K_WEAK, -1},
    {0x0294 /* ʔ */, AS_VISEME_KK, K_WEAK, -1}, {0x0127 /* ħ */, AS_VISEME_KK, K_WEAK, -1},
    {0x0295 /* ʕ */, AS_VISEME_KK, K_WEAK, -1},
    /* postalveolar, alveolopalatal and retroflex fricatives */
    {0x0283 /* ʃ */, AS_VISEME_CH, K_FRICATIVE, -1}, {0x0292 /* ʒ */, AS_VISEME_CH, K_FRICATIVE, -1},
    {0x0255 /* ɕ */, AS_VISEME_CH, K_FRICATIVE, -1}, {0x0291 /* ʑ */, AS_VISEME_CH, K_FRICATIVE, -1},
    {0x0282 /* ʂ */, AS_VISEME_CH, K_FRICATIVE, -1}, {0x0290 /* ʐ */, AS_VISEME_CH, K_FRICATIVE, -1},
    /* alveolar sibilants */
    {'s', AS_VISEME_SS, K_FRICATIVE, -1}, {'z', AS_VISEME_SS, K_FRICATIVE, -1},
    /* nasals and laterals (tongue tip up, lips free) */
    {'n', AS_VISEME_NN, K_CONS, -1}, {'l', AS_VISEME_NN, K_CONS, -1},
    {0x0272 /* ɲ */, AS_VISEME_NN, K_CONS, -1}, {0x0273 /* ɳ */, AS_VISEME_NN, K_CONS, -1},
    {0x026B /* ɫ */, AS_VISEME_NN, K_CONS, -1}, {0x026D /* ɭ */, AS_VISEME_NN, K_CONS, -1},
    {0x028E /* ʎ */, AS_VISEME_NN, K_CONS, -1}, {0x029F /* ʟ */, AS_VISEME_NN, K_CONS, -1},
    {0x026C /* ɬ */, AS_VISEME_NN, K_FRICATIVE, -1}, {0x026E /* ɮ */, AS_VISEME_NN, K_FRICATIVE, -1},
    {0x027A /* ɺ */, AS_VISEME_NN, K_CONS, -1},
    /* rhotics */
    {'r', AS_VISEME_RR, K_CONS, -1}, {0x0279 /* ɹ */, AS_VISEME_RR, K_CONS, -1},
    {0x027B /* ɻ */, AS_VISEME_RR, K_CONS, -1},
    /* glides: the lips of their vowel, a consonant's jaw */
    {'j', AS_VISEME_I, K_CONS, JAW_CLOSE}, {'w', AS_VISEME_U, K_CONS, JAW_CLOSE},
    {0x028D /* ʍ */, AS_VISEME_U, K_CONS, JAW_CLOSE}, {0x0265 /* ɥ */, AS_VISEME_U, K_CONS, JAW_CLOSE},
    /* close vowels */
    {'i', AS_VISEME_I, K_VOWEL, JAW_CLOSE}, {'y', AS_VISEME_U, K_VOWEL, JAW_CLOSE},
    {0x0268 /* ɨ */, AS_VISEME_I, K_VOWEL, JAW_CLOSE}, {0x0289 /* ʉ */, AS_VISEME_U, K_VOWEL, JAW_CLOSE},
    {0x026F /* ɯ */, AS_VISEME_I, K_VOWEL, JAW_CLOSE}, {'u', AS_VISEME_U, K_VOWEL, JAW_CLOSE},
    /* near-close */
    {0x026A /* ɪ */, AS_VISEME_I, K_VOWEL, JAW_NEAR_CLOSE}, {0x028F /* ʏ */, AS_VISEME_U, K_VOWEL, JAW_NEAR_CLOSE},
    {0x028A /* ʊ */, AS_VISEME_U, K_VOWEL, JAW_NEAR_CLOSE},
    {0x1D7B /* ᵻ */, AS_VISEME_I, K_VOWEL, JAW_NEAR_CLOSE}, {0x1D7F /* ᵿ */, AS_VISEME_U, K_VOWEL, JAW_NEAR_CLOSE},
    /* close-mid */
    {'e', AS_VISEME_E, K_VOWEL, JAW_CLOSE_MID}, {0x00F8 /* ø */, AS_VISEME_O, K_VOWEL, JAW_CLOSE_MID},
    {0x0258 /* ɘ */, AS_VISEME_E, K_VOWEL, JAW_CLOSE_MID}, {0x0275 /* ɵ */, AS_VISEME_O, K_VOWEL, JAW_CLOSE_MID},
    {0x0264 /* ɤ */, AS_VISEME_E, K_VOWEL, JAW_CLOSE_MID}, {'o', AS_VISEME_O, K_VOWEL, JAW_CLOSE_MID},
    /* mid, and the r-coloured central vowels (lips as for ɹ) */
    {0x0259 /* ə */, AS_VISEME_E, K_VOWEL, JAW_MID}, {0x025A /* ɚ */, AS_VISEME_RR, K_VOWEL, JAW_MID},
    {0x025D /* ɝ */, AS_VISEME_RR, K_VOWEL, JAW_OPEN_MID},
    /* open-mid */
    {0x025B /* ɛ */, AS_VISEME_E, K_VOWEL, JAW_OPEN_MID}, {0x0153 /* œ */, AS_VISEME_O, K_VOWEL, JAW_OPEN_MID},
    {0x025C /* ɜ */, AS_VISEME_E, K_VOWEL, JAW_OPEN_MID}, {0x025E /* ɞ */, AS_VISEME_O, K_VOWEL, JAW_OPEN_MID},
    {0x028C /* ʌ */, AS_VISEME_AA, K_VOWEL, JAW_OPEN_MID}, {0x0254 /* ɔ */, AS_VISEME_O, K_VOWEL, JAW_OPEN_MID},
    /* near-open */
    {0x00E6 /* æ */, AS_VISEME_AA, K_VOWEL, JAW_NEAR_OPEN}, {0x0250 /* ɐ */, AS_VISEME_AA, K_VOWEL, JAW_NEAR_OPEN},
    /* open */
    {'a', AS_VISEME_AA, K_VOWEL, JAW_OPEN}, {0x0276 /* ɶ */, AS_VISEME_O, K_VOWEL, JAW_OPEN},
    {0x0251 /* ɑ */, AS_VISEME_AA, K_VOWEL, JAW_OPEN}, {0x0252 /* ɒ */, AS_VISEME_O, K_VOWEL, JAW_OPEN},
};

static const ipa_symbol *find_symbol(unsigned cp)
{
    for (size_t i = 0; i < sizeof ipa_table / sizeof ipa_table[0]; i++)
        if (ipa_table[i].cp == cp) return &ipa_table[i];
    return NULL;
}

/* Decodes one UTF-8 code point at s; *len gets its byte count (1 for an
 * invalid byte, decoded as U+FFFD). */
static unsigned utf8_next(const unsigned char *s, size_t *len)
{
    unsigned c = s[0];
    if (c < 0x80) { *len = 1; return c; }
    int n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (!n) { *len = 1; return 0xFFFD; }
    unsigned cp = c & (0x7Fu >> n);
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) { *len = 1; return 0xFFFD; }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    *len = (size_t)n;
    return cp;
}

/* Marks that carry no target of their own: stress and length (ˈ ˌ ː ˑ), tie
 * bars and linking (͡ ͜ ‿), every combining diacritic (U+0300..036F:
 * syllabic, non-syllabic, nasal, dental, voiceless ...), the spacing
 * modifier letters (U+02B0..02FF: ʰ ʷ ʲ ˠ ˤ ˞ ʼ ...), superscripts like ᵊ ⁿ ˡ,
 * and ASCII punctuation and digits espeak-ng mnemonics use ("s-", "p*"). */
static int is_mark(unsigned cp)
{
    if (cp >= 0x0300 && cp <= 0x036F) return 1;
    if (cp >= 0x02B0 && cp <= 0x02FF) return 1;
    if (cp == 0x203F || cp == 0x1D4A || cp == 0x207F || cp == 0x1D5D) return 1;
    if (cp < 0x80 && !((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z'))) return 1;
    return 0;
}

/* espeak-ng's ASCII mnemonics (Kirshenbaum) for symbols it sometimes leaves
 * un-converted: uppercase letters and '@', '3' mean IPA symbols. */
static unsigned kirshenbaum(unsigned cp)
{
    switch (cp) {
    case 'N': return 0x014B; /* ŋ */
    case 'T': return 0x03B8; /* θ */
    case 'D': return 0x00F0; /* ð */
    case 'S': return 0x0283; /* ʃ */
    case 'Z': return 0x0292; /* ʒ */
    case 'I': return 0x026A; /* ɪ */
    case 'U': return 0x028A; /* ʊ */
    case 'E': return 0x025B; /* ɛ */
    case 'O': return 0x0254; /* ɔ */
    case 'V': return 0x028C; /* ʌ */
    case 'A': return 0x0251; /* ɑ */
    case 'C': return 0x00E7; /* ç */
    case 'X': return 0x03C7; /* χ */
    case 'Q': return 0x0252; /* ɒ */
    case '@': return 0x0259; /* ə */
    case '3': return 0x025C; /* ɜ */
    }
    if (cp >= 'A' && cp <= 'Z') return cp + ('a' - 'A');
    return cp;
}

#define MAX_PARTS 8

size_t as_ipa_parts(const char *ipa, as_ipa_part *out, size_t max)
{
    if (!ipa) return 0;
    /* Symbols first (marks dropped). */
    const ipa_symbol *sym[MAX_PARTS];
    size_t n_sym = 0;
    const unsigned char *s = (const unsigned char *)ipa;
    while (*s && n_sym < MAX_PARTS) {
        size_t len;
        unsigned cp = kirshenbaum(utf8_next(s, &len));
        s += len;
        if (is_mark(cp)) continue;
        const ipa_symbol *y = find_symbol(cp);
        if (!y) continue; /* an unknown symbol inside a known phoneme */
        /* ASCII 'h' after a consonant is espeak-ng's aspiration ("ph", "kh"). */
        if (cp == 'h' && n_sym > 0 && sym[n_sym - 1]->kind != K_VOWEL) continue;
        sym[n_sym++] = y;
    }
    /* Then parts: an affricate (coronal stop + sibilant or dental
     * fricative: tʃ dʒ ts dz tɕ dʑ tθ) is its fricative's viseme; repeated
     * visemes merge ("iː" was already one symbol; "eə" becomes one E). */
    as_ipa_part part[MAX_PARTS];
    size_t n = 0;
    for (size_t i = 0; i < n_sym; i++) {
        const ipa_symbol *y = sym[i];
        if (y->kind == K_STOP_CORONAL && i + 1 < n_sym && sym[i + 1]->kind == K_FRICATIVE &&
            sym[i + 1]->viseme != AS_VISEME_FF && sym[i + 1]->viseme != AS_VISEME_KK)
            continue;
        as_ipa_part q;
        q.viseme = y->viseme;
        q.vowel = y->kind == K_VOWEL;
        q.weak = y->kind == K_WEAK;
        q.jaw = y->jaw >= 0 ? y->jaw : viseme_poses[y->viseme][AS_JAW_OPEN];
        if (n > 0 && part[n - 1].viseme == q.viseme) {
            if (q.vowel && q.jaw > part[n - 1].jaw) part[n - 1].jaw = q.jaw;
            part[n - 1].vowel |= q.vowel;
            part[n - 1].weak &= q.weak;
            continue;
        }
        part[n++] = q;
    }
    if (n > max) n = max;
    if (out)
        for (size_t i = 0; i < n; i++) out[i] = part[i];
    return n;
}

int as_viseme_of_ipa(const char *ipa)
{
    as_ipa_part part[4];
    size_t n = as_ipa_parts(ipa, part, 4);
    return n > 0 ? part[0].viseme : -1;
}

size_t as_visemes_of_ipa(const char *ipa, int *out, size_t max)
{
    as_ipa_part part[MAX_PARTS];
    size_t n = as_ipa_parts(ipa, part, MAX_PARTS);
    for (size_t i = 0; i < n && i < max; i++)
        if (out) out[i] = part[i].viseme;
    return n;
}
