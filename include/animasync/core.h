/* animasync/core.h — the foundation every stage shares: results and errors,
 * logging, the 52 ARKit channels, the 16-class emotion taxonomy with its VAD
 * anchors, the lexicon of emotion names, and the 19-dim conditioning vector.
 * Nothing here depends on any other stage. */
#ifndef ANIMASYNC_CORE_H
#define ANIMASYNC_CORE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- results and errors ------------------------------------------------ */

/* Stable result codes: values never change between releases. */
typedef enum {
    AS_OK = 0,
    AS_ERR_INVALID_ARG = 1, /* a NULL pointer or an argument out of its range */
    AS_ERR_NOMEM = 2,       /* an allocation failed */
    AS_ERR_IO = 3,          /* a file could not be read or written */
    AS_ERR_PARSE = 4,       /* malformed input: JSON, tags, WAV, weight file */
    AS_ERR_UNKNOWN = 5,     /* an unknown name: emotion, channel, voice */
    AS_ERR_RANGE = 6,       /* a number outside its documented range */
    AS_ERR_UNSUPPORTED = 7, /* a feature or format this build does not have */
    AS_ERR_BACKEND = 8      /* an outside library (TTS, audio) failed */
} as_result;

/* Short fixed text for a result code ("ok", "invalid argument", ...). */
const char *as_result_str(as_result r);

/* The detailed message of the last error raised on this thread (file, line,
 * field, position). Empty string when there is none. Valid until the next
 * failing call on the same thread. */
const char *as_last_error(void);

/* Log levels and the log callback. The library never prints; by default
 * messages are dropped. */
typedef enum { AS_LOG_ERROR = 0, AS_LOG_WARN = 1, AS_LOG_INFO = 2, AS_LOG_DEBUG = 3 } as_log_level;
typedef void (*as_log_fn)(as_log_level level, const char *msg, void *user_data);
void as_log_set(as_log_fn fn, void *user_data);

/* Allocator hook (tests use it to fail the N-th allocation). NULL restores
 * malloc/realloc/free. Set it before creating any object. */
typedef struct {
    void *(*malloc_fn)(size_t size, void *user_data);
    void *(*realloc_fn)(void *ptr, size_t size, void *user_data);
    void (*free_fn)(void *ptr, void *user_data);
    void *user_data;
} as_allocator;
void as_set_allocator(const as_allocator *alloc);
/* Frees memory the library handed to the caller (strings, buffers). */
void as_free(void *ptr);

/* Writes the shortest decimal text (at most 9 significant digits, whole
 * numbers as integers, '.' as decimal point whatever the locale) that reads
 * back as exactly the float x, through strtof or strtod; the output formats
 * use it so that written weights round-trip bit for bit. NaN and infinities
 * are written as "0" (JSON has no such numbers). */
void as_format_float(char *buf, size_t cap, float x);

/* Library version, e.g. "0.1.0". */
const char *as_version(void);

/* ---- the 52 ARKit channels --------------------------------------------- */

#define AS_NUM_CHANNELS 52

/* Canonical ARKit order (ARFaceAnchor.BlendShapeLocation as Apple lists it). */
typedef enum {
    AS_EYE_BLINK_LEFT = 0, AS_EYE_LOOK_DOWN_LEFT, AS_EYE_LOOK_IN_LEFT, AS_EYE_LOOK_OUT_LEFT,
    AS_EYE_LOOK_UP_LEFT, AS_EYE_SQUINT_LEFT, AS_EYE_WIDE_LEFT,
    AS_EYE_BLINK_RIGHT, AS_EYE_LOOK_DOWN_RIGHT, AS_EYE_LOOK_IN_RIGHT, AS_EYE_LOOK_OUT_RIGHT,
    AS_EYE_LOOK_UP_RIGHT, AS_EYE_SQUINT_RIGHT, AS_EYE_WIDE_RIGHT,
    AS_JAW_FORWARD, AS_JAW_LEFT, AS_JAW_RIGHT, AS_JAW_OPEN,
    AS_MOUTH_CLOSE, AS_MOUTH_FUNNEL, AS_MOUTH_PUCKER, AS_MOUTH_LEFT, AS_MOUTH_RIGHT,
    AS_MOUTH_SMILE_LEFT, AS_MOUTH_SMILE_RIGHT, AS_MOUTH_FROWN_LEFT, AS_MOUTH_FROWN_RIGHT,
    AS_MOUTH_DIMPLE_LEFT, AS_MOUTH_DIMPLE_RIGHT, AS_MOUTH_STRETCH_LEFT, AS_MOUTH_STRETCH_RIGHT,
    AS_MOUTH_ROLL_LOWER, AS_MOUTH_ROLL_UPPER, AS_MOUTH_SHRUG_LOWER, AS_MOUTH_SHRUG_UPPER,
    AS_MOUTH_PRESS_LEFT, AS_MOUTH_PRESS_RIGHT, AS_MOUTH_LOWER_DOWN_LEFT, AS_MOUTH_LOWER_DOWN_RIGHT,
    AS_MOUTH_UPPER_UP_LEFT, AS_MOUTH_UPPER_UP_RIGHT,
    AS_BROW_DOWN_LEFT, AS_BROW_DOWN_RIGHT, AS_BROW_INNER_UP, AS_BROW_OUTER_UP_LEFT,
    AS_BROW_OUTER_UP_RIGHT,
    AS_CHEEK_PUFF, AS_CHEEK_SQUINT_LEFT, AS_CHEEK_SQUINT_RIGHT,
    AS_NOSE_SNEER_LEFT, AS_NOSE_SNEER_RIGHT,
    AS_TONGUE_OUT
} as_channel;

/* Who owns a channel in the merge (ARCHITECTURE.md). */
typedef enum {
    AS_CHANNEL_LIPSYNC = 0,   /* the lip-sync layer alone */
    AS_CHANNEL_SHARED = 1,    /* lip-sync base + gated emotion delta */
    AS_CHANNEL_EXPRESSION = 2 /* the expression compiler alone */
} as_channel_class;

/* ARKit name of channel ch ("eyeBlinkLeft"), or NULL if ch is out of range. */
const char *as_channel_name(int ch);
/* Index of an ARKit name (exact, case-sensitive), or -1. */
int as_channel_find(const char *name);
/* The left/right mirror of ch (itself for centre channels), or -1. */
int as_channel_mirror(int ch);
as_channel_class as_channel_class_of(int ch);
/* 1 for the slow expression channels the temporal-smoothness contract judges
 * (brows, eye squint and wide, cheeks, nose), else 0. */
int as_channel_is_slow(int ch);

/* ---- emotions ------------------------------------------------------------ */

#define AS_NUM_EMOTIONS 16
#define AS_NUM_LEVELS 5
#define AS_NUM_FAMILIES 5

typedef enum {
    AS_EMO_NEUTRAL = 0,
    AS_EMO_JOY, AS_EMO_GRATITUDE, AS_EMO_LAUGHTER, AS_EMO_EXCITEMENT, AS_EMO_AGREEMENT,
    AS_EMO_SADNESS, AS_EMO_CRYING, AS_EMO_SULK, AS_EMO_APOLOGY, AS_EMO_WORRY,
    AS_EMO_ANGER, AS_EMO_REFUSAL,
    AS_EMO_SURPRISE, AS_EMO_FLUSTER, AS_EMO_SHY
} as_emotion;

typedef enum {
    AS_FAMILY_NEUTRAL = 0, AS_FAMILY_JOY, AS_FAMILY_SADNESS, AS_FAMILY_ANGER, AS_FAMILY_SURPRISE
} as_family;

/* Valence, arousal, dominance, each on 0..1. */
typedef struct {
    float v, a, d;
} as_vad;

/* The neutral point: V 0.50, A 0.30, D 0.50. */
as_vad as_neutral_vad(void);

const char *as_emotion_name(as_emotion e);     /* "joy"; NULL if out of range */
int as_emotion_find(const char *name);        /* exact class name, case-insensitive; -1 */
as_family as_emotion_family(as_emotion e);
const char *as_family_name(as_family f);      /* "JOY" */
as_emotion as_family_parent(as_family f);     /* the base emotion of a family */

/* VAD anchor of class e at level 1..5 (the built-in anchor table). Neutral has
 * one anchor, returned for every level. Out-of-range input returns neutral. */
as_vad as_emotion_anchor(as_emotion e, int level);
/* Continuous level: intensity 0..1 maps onto levels 1..5 (level = 1 + 4 x
 * intensity), VAD linearly interpolated between neighbouring anchors. */
as_vad as_emotion_anchor_at(as_emotion e, float intensity);
/* The continuous level 1..5 for an intensity 0..1 (clamped). */
float as_intensity_to_level(float intensity);

/* ---- lexicon ------------------------------------------------------------- */

typedef struct {
    const char *name;   /* the word as authored ("happy", "감사") */
    as_emotion emotion; /* the class it maps to */
    as_vad vad;         /* its own VAD point at typical (L3) intensity */
} as_lexicon_entry;

/* Looks up a free emotion name or alias: case-insensitive (ASCII and, for
 * Latin letters, full Unicode simple folding is not attempted), UTF-8 safe,
 * surrounding spaces ignored. Class names always resolve. On an unknown name
 * returns AS_ERR_UNKNOWN and as_last_error() suggests the nearest names. */
as_result as_lexicon_lookup(const char *name, as_lexicon_entry *out);
size_t as_lexicon_count(void);
const as_lexicon_entry *as_lexicon_at(size_t i);
/* Writes up to n nearest known names to an unknown name into out[] (by edit
 * distance on code points); returns how many. */
size_t as_lexicon_suggest(const char *name, const char **out, size_t n);

/* ---- conditioning: the 19-dim vector --------------------------------- */

#define AS_COND_DIM 19

/* 16 class weights (a mix sums to 1, as in a crossfade) followed by V, A, D.
 * Its memory layout is exactly float[19] in that order. */
typedef struct {
    float w[AS_NUM_EMOTIONS];
    float v, a, d;
} as_cond;

/* One-hot class e at VAD point vad. */
as_cond as_cond_make(as_emotion e, as_vad vad);
/* The conditioning for an emotion name (lexicon) at a continuous level given
 * by intensity 0..1: the class anchor at that level, shifted by the lexicon
 * word's own offset from its class's L3 anchor (so "furious" keeps its nuance
 * at every level), clamped to 0..1. */
as_result as_cond_from_name(const char *name, float intensity, as_cond *out);
/* As float[19] (same memory). */
static inline const float *as_cond_vec(const as_cond *c) { return &c->w[0]; }

#ifdef __cplusplus
}
#endif
#endif
