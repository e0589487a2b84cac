/* train/student_train.h — what the student's trainer (train.c) and its
 * evaluation (eval.c) share (internal): a clip held in memory and the
 * metrics over a set of clips. */
#ifndef AS_TRAIN_STUDENT_TRAIN_H
#define AS_TRAIN_STUDENT_TRAIN_H

#include "animasync/dataset.h"
#include "animasync/student.h"
#include "nn/student.h"

/* One clip: pointers into a loaded shard. */
typedef struct {
    size_t n_feat, n_anim;
    const float *features; // (n_feat, 141)
    const float *cond;     // (n_anim, 19)
    const float *targets;  // (n_anim, 52)
    const float *teacher;  // (n_anim, 52)
    const uint8_t *visemes; // (n_anim)
    int family;             // voice family (as_voice_families index)
} st_clip;

/* The loaded clips of one split of a dataset (all its shards stay loaded). */
typedef struct {
    as_dataset_shard *shards; // (n_shards)
    size_t n_shards;
    st_clip *clips;           // (n_clips)
    size_t n_clips;
    size_t anim_frames;       // over all clips
    double stats[3][AS_FEAT_DIM]; // frame count, sum, sum of squares (for normalisation)
} st_split;

/* Loads every present shard of split s (at most max_clips clips, 0 = all). */
as_result st_split_load(const char *dir, as_split s, size_t max_clips, st_split *out);
void st_split_clear(st_split *sp);

/* The metrics of as_student_eval_report over clips (lip-sync and track
 * metrics) and at the anchors (anchor error, repeats, distinctiveness). */
as_result st_eval_clips(const as_student *m, const st_clip *clips, size_t n, as_student_eval_report *r);
as_result st_eval_anchors(const as_student *m, int repeats, as_student_eval_report *r);

/* Anchor-snap slot i (0..45, as_preset_slot): the preset of the built-in
 * bank and its anchor conditioning (the class at its level's anchor VAD);
 * e and level (may be NULL) receive the slot's class and level. */
void st_anchor_slot(int i, float preset[AS_NUM_CHANNELS], as_cond *cond, as_emotion *e, int *level);

/* The channels the viseme comparison reads (the LIPSYNC class and jawOpen)
 * into ch (52); returns how many. */
int st_mouth_channels(int *ch);
/* The nearest viseme pose (squared distance over the channels ch) of a
 * mouth w (52) with its jaw in the teacher's units.
 *   poses // (15, 52) */
int st_nearest_viseme(const float *w, const float *poses, const int *ch, int nch);

/* Features of 2 s of digital silence (computed once, cached; thread-safe
 * after the first call from one thread). *n_feat receives the frame count. */
const float *st_silence_features(size_t *n_feat);
#define ST_SILENCE_FRAMES 60 /* 2 s at 30 fps */

#endif
