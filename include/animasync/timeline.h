/* animasync/timeline.h — the emotion timeline: the inline tag parser
 * ("[joy:80] Thanks! [sadness:40] I must go."), segments, the per-frame
 * 19-dim conditioning with smoothstep crossfades and asymmetric onset/offset
 * smoothing, expression strength, and the streaming scheduler that an LLM or
 * any live source feeds with timed emotion events. Depends on core.h only.
 * docs/TIMELINE.md gives the tag syntax and every formula.
 *
 *   as_tagged_text tt;
 *   if (as_tags_parse(text, AS_TEXT_NUL_TERMINATED, NULL, &tt) != AS_OK) fail(as_last_error());
 *   speak(tt.text);                         // tags removed
 *   double t0[n] = start time of the word at tt.segments[k].offset ...
 *   as_timeline tl;
 *   as_timeline_build(&tl, tt.segments, t0, tt.num_segments, frames, NULL);
 *   ... tl.cond[i], tl.strength[i] -> as_compile(...)
 *   as_timeline_clear(&tl); as_tagged_text_clear(&tt);
 */
#ifndef ANIMASYNC_TIMELINE_H
#define ANIMASYNC_TIMELINE_H

#include <stddef.h>
#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- tag parser ------------------------------------------------------------ */

/* Pass as a text length to mean "NUL-terminated, measure it". */
#define AS_TEXT_NUL_TERMINATED ((size_t)-1)
/* Longest emotion name a tag may carry, in bytes, including the NUL. */
#define AS_TAG_NAME_MAX 64

/* One stretch of text under one emotion: from its offset to the next
 * segment's offset (or the end of the text). */
typedef struct {
    size_t offset;          /* byte offset in the plain text where it starts */
    as_emotion emotion;     /* its class */
    float intensity;        /* 0..1 (tag number / 100); 0 for neutral */
    as_cond cond;           /* its conditioning (as_cond_from_name, or the tag's VAD) */
    float strength;         /* expression strength 0..2 in force here */
    char name[AS_TAG_NAME_MAX]; /* the emotion name as written in its tag ("기쁨",
                                   "happy"); the class name for a [vad:...] tag that
                                   picked its class, or for the default emotion */
} as_segment;

typedef struct {
    const char *default_emotion; /* lexicon name in force before the first tag;
                                    NULL = "neutral" (default NULL). In as_say and
                                    as_animate_text, NULL instead lets the built-in
                                    text classifier tag the sentences before the
                                    first tag (engine.h); give "neutral" to turn
                                    that off (the CLI's --no-classify) */
    float default_intensity;     /* 0..1, intensity of default_emotion (default 0.5) */
    float tag_intensity;         /* 0..1, intensity of a tag without a number such
                                    as [joy] (default 0.5 = level 3, the lexicon's
                                    own VAD point) */
    float strength;              /* 0..2, strength before any [strength:x] (default 1) */
} as_tag_params;

as_tag_params as_tag_default_params(void);

/* The result of parsing: the text to speak and its segments. The library
 * allocates the arrays; release them with as_tagged_text_clear. */
typedef struct {
    char *text;              /* plain text (NUL-terminated), tags removed */
    size_t text_len;         /* its length in bytes */
    as_segment *segments;    /* (num_segments) in text order; segments[0].offset == 0 */
    size_t num_segments;     /* always >= 1 */
} as_tagged_text;

/* Parses UTF-8 text with inline tags (len bytes, or AS_TEXT_NUL_TERMINATED).
 * params NULL = defaults. On success out holds the plain text and at least one
 * segment; on error out is zeroed and the result is AS_ERR_PARSE (malformed
 * tag: as_last_error() names the tag and its 1-based character position;
 * invalid UTF-8: names the byte offset), AS_ERR_INVALID_ARG or AS_ERR_NOMEM. */
as_result as_tags_parse(const char *text, size_t len, const as_tag_params *params, as_tagged_text *out);
/* Frees what as_tags_parse allocated and zeroes t (safe on a zeroed t). */
void as_tagged_text_clear(as_tagged_text *t);

/* Segment start times from word timings: segment k starts at the time of the
 * first word whose byte offset is >= segments[k].offset, or at end_s when no
 * word follows it. word_offsets (ascending) and word_times_s have num_words
 * entries. start_s receives num_segments times. */
as_result as_segments_align(const as_segment *segments, size_t num_segments, const size_t *word_offsets,
                            const double *word_times_s, size_t num_words, double end_s, double *start_s);

/* ---- timeline parameters ----------------------------------------------------- */

typedef struct {
    float fps;            /* frames per second, 1..1000 (default 30); frame i is at i / fps */
    float crossfade_s;    /* half-width W of the crossfade window in seconds, 0..10
                             (default 0.8: the fade runs from boundary - W to boundary + W;
                             0 = a step) */
    float onset_tau_s;    /* smoother time constant when the face moves away from
                             neutral, 0..10 s (default 0.15; 0 = no smoothing) */
    float offset_tau_s;   /* time constant when it returns toward neutral, 0..10 s
                             (default 0.40; 0 = no smoothing) */
    float strength;       /* global expression strength multiplier, 0..2 (default 1) */
} as_timeline_params;

as_timeline_params as_timeline_default_params(void);

/* ---- offline timeline ------------------------------------------------------- */

/* Per-frame conditioning and strength. The library allocates the arrays;
 * release them with as_timeline_clear. */
typedef struct {
    size_t num_frames;
    float fps;
    as_cond *cond;      /* (num_frames) 19-dim conditioning per frame */
    float *strength;    /* (num_frames) expression strength 0..2 per frame
                           (segment strength x global strength) */
} as_timeline;

/* Number of frames for a duration: ceil(duration_s x fps) (frames 0 .. n-1
 * at times i / fps cover [0, duration_s)). */
size_t as_timeline_frame_count(double duration_s, float fps);

/* Builds num_frames frames from segments and their start times in seconds
 * (start_s[k], e.g. from as_segments_align). Segment 0 is in force from the
 * start whatever its time; each later segment k crossfades in around
 * start_s[k]. Times out of order are sorted (stably). params NULL = defaults.
 * Deterministic: the same input gives bit-identical output. Runs on the same
 * crossfade and smoother code as as_scheduler, so a scheduler fed the same
 * events before its first frame produces exactly these frames. */
as_result as_timeline_build(as_timeline *out, const as_segment *segments, const double *start_s, size_t num_segments,
                            size_t num_frames, const as_timeline_params *params);
void as_timeline_clear(as_timeline *tl);

/* ---- streaming scheduler ------------------------------------------------------ */

/* Most events a scheduler holds at once. Events whose crossfade is over are
 * folded into the state as frames advance and free their place. */
#define AS_SCHEDULER_MAX_EVENTS 256
/* Pass as an event's strength to keep the strength in force before it. */
#define AS_KEEP_STRENGTH (-1.0f)

typedef struct as_scheduler as_scheduler;

/* A scheduler that starts at frame 0 in conditioning `initial` (NULL =
 * neutral) with segment strength initial_strength (0..2). params NULL =
 * defaults. Allocates once; nothing after. NULL on bad arguments. */
as_scheduler *as_scheduler_create(const as_timeline_params *params, const as_cond *initial, float initial_strength);
void as_scheduler_destroy(as_scheduler *s);

/* Schedules a change to `cond` centred at time_s (seconds on the stream's
 * clock, frame i at i / fps). Events may arrive in any order (they are kept
 * sorted by time; equal times keep arrival order, the later one wins). An
 * event too late for its crossfade to start on time (time_s - W before the
 * last frame produced) starts its crossfade right after that frame. strength
 * 0..2 or AS_KEEP_STRENGTH. AS_ERR_RANGE when AS_SCHEDULER_MAX_EVENTS are
 * pending. */
as_result as_scheduler_add(as_scheduler *s, double time_s, const as_cond *cond, float strength);
/* The same for an emotion name (lexicon) at intensity 0..1. */
as_result as_scheduler_add_name(as_scheduler *s, double time_s, const char *name, float intensity, float strength);
/* Produces the next frame and advances: cond and strength (either may be
 * NULL). Allocates nothing. */
as_result as_scheduler_next(as_scheduler *s, as_cond *cond, float *strength);
/* Index of the frame the next as_scheduler_next call produces. */
size_t as_scheduler_frame_index(const as_scheduler *s);
/* Events pending (not yet folded into the state). */
size_t as_scheduler_pending(const as_scheduler *s);

#ifdef __cplusplus
}
#endif
#endif
