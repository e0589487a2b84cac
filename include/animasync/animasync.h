/* animasync/animasync.h — the umbrella header: include this one.
 *
 * animasync turns speech and emotion into face animation: the 52 Apple ARKit
 * blendshape weights (0..1) per frame at 30 fps.
 *
 * Example: one face for "joy" at level 4 (of 1..5):
 *
 *     #include <animasync/animasync.h>
 *
 *     as_compiler *c = as_compiler_create(NULL, NULL);     // built-in presets, defaults
 *     as_cond cond;
 *     if (as_cond_from_name("joy", 0.75f, &cond) != AS_OK)   // intensity 0.75 = level 4
 *         fprintf(stderr, "%s\n", as_last_error());
 *     float w[AS_NUM_CHANNELS];
 *     as_compile(c, w, &cond, 1.0f);                         // strength 1 = as authored
 *     for (int i = 0; i < AS_NUM_CHANNELS; i++)
 *         printf("%s %.3f\n", as_channel_name(i), w[i]);
 *     as_compiler_destroy(c);
 *
 * Build with: cc app.c $(pkg-config --cflags --libs animasync)
 */
#ifndef ANIMASYNC_H
#define ANIMASYNC_H

#include "classifier.h"
#include "core.h"
#include "dataset.h"
#include "engine.h"
#include "expression.h"
#include "features.h"
#include "io.h"
#include "lipsync.h"
#include "metrics.h"
#include "motion.h"
#include "nn.h"
#include "scenarios.h"
#include "student.h"
#include "timeline.h"
#include "tts.h"

#endif
