/* animasync/engine.h — the glue that strings the stages together:
 *
 *   tagged text -> tag parser -> TTS (audio + phoneme and word times)
 *     -> emotion timeline (segments aligned to words) -> expression compiler
 *     -> lip-sync teacher (phonemes) -> channel merge -> motion (eyes, patterns)
 *
 * as_say does all of it offline; as_animate_text does the expression part
 * for a given duration without audio. The result is an as_animation that the
 * writers of io.h save. */
#ifndef ANIMASYNC_ENGINE_H
#define ANIMASYNC_ENGINE_H

#include "core.h"
#include "expression.h"
#include "io.h"
#include "lipsync.h"
#include "motion.h"
#include "timeline.h"
#include "tts.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    as_tts_params tts;           /* engine, voice, rate, pitch, volume */
    as_tag_params tags;          /* default emotion before the first tag; NULL (the
                                    default) = the text classifier tags the
                                    untagged sentences before the first tag
                                    (classifier.h; explicit tags always win) */
    as_timeline_params timeline; /* fps, crossfade window, onset/offset, global strength */
    as_lipsync_params lipsync;   /* coarticulation, jaw gain (its fps follows timeline.fps) */
    as_motion_params motion;     /* seed, blinks, gaze, patterns (its fps follows timeline.fps) */
    float phrase_pause_s;        /* a gap between words at least this long, or a word
                                    ending in , . ; : ! ?, is a phrase boundary for the
                                    motion layer (seconds, default 0.15) */
    float classify_floor;        /* 0..1 (default 0): a classified sentence whose most
                                    likely class is less probable than this is tagged
                                    neutral (as_classify_tag_text_floor) */
} as_say_params;

as_say_params as_say_default_params(void);

/* A finished animation. Every array has num_frames rows; frame i is at
 * time i / fps. */
typedef struct {
    float fps;
    size_t num_frames;
    float *frames;             /* (T, 52) the final face */
    float *lipsync;            /* (T, 52) the lip-sync layer alone (zeros without speech) */
    float *expression;         /* (T, 52) the compiler's output alone */
    as_cond *cond;             /* (T) the conditioning per frame */
    float *strength;           /* (T) expression strength per frame */
    as_anim_segment *segments; /* (num_segments) emotion segments with their times */
    size_t num_segments;
    char *text;                /* the plain text (tags removed) */
    as_speech *speech;         /* the synthesized speech; NULL from as_animate_text */
} as_animation;

/* Text with inline emotion tags -> speech + 52-channel animation. compiler
 * NULL = a compiler over the built-in bank; params NULL = defaults. Errors:
 * AS_ERR_PARSE for malformed tags (as_last_error names the tag and position),
 * AS_ERR_INVALID_ARG for empty text, AS_ERR_UNKNOWN for an unknown voice,
 * AS_ERR_BACKEND when synthesis fails. The same input and seed give
 * bit-identical output. */
as_result as_say(const as_compiler *compiler, const as_say_params *params, const char *tagged_text,
                 as_animation **out);

/* The animation part alone, for speech that already exists: speech holds
 * the audio, phoneme and word events of tagged_text's plain text (tags
 * removed), from as_tts_synthesize or from your own TTS. The result's speech
 * field is NULL (the caller keeps ownership of speech). */
as_result as_animate_speech(const as_compiler *compiler, const as_say_params *params, const char *tagged_text,
                            const as_speech *speech, as_animation **out);

/* Expression only (no audio, no lip sync) over duration_s seconds: a tag's
 * time is proportional to its character position in the plain text. */
as_result as_animate_text(const as_compiler *compiler, const as_say_params *params, const char *tagged_text,
                          double duration_s, as_animation **out);

void as_animation_destroy(as_animation *a);

/* Writes the animation in format f to path (atomically). audio_name is the
 * file name recorded in the JSON document ("speech.wav"), or NULL. */
as_result as_animation_write(const as_animation *a, as_format f, const char *path, const char *audio_name);

#ifdef __cplusplus
}
#endif
#endif
