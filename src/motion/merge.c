/* motion/merge.c — the channel merge: lip-sync layer + expression compiler
 * -> one 52-weight frame, by channel class (ARCHITECTURE.md, "The 52 channels
 * and who owns them"). It runs before the motion passes.
 *
 *   LIPSYNC     out = lipsync
 *   EXPRESSION  out = expression
 *   SHARED      out = lipsync + g x (expression - neutral), g = 1 - 0.7 activity
 *   jawOpen     out = lipsync x (0.7 + 0.8 A) + (1 - activity) x (expression - neutral)
 *   activity    = clamp(1.2 jawOpen + 1.5 mouthClose + mouthFunnel + mouthPucker, 0, 1)
 *                 of the lip-sync frame
 *
 * The gate weights and the 0.7 attenuation are the architecture's; the jaw's
 * emotion delta uses the stricter rest gate (1 - activity) so an emotion's
 * dropped jaw (surprise) shows between words but never props the mouth open
 * through a bilabial closure. See docs/MOTION.md. */
#include "core/internal.h"
#include "motion/motion_internal.h"

/* Speech-gate coefficients (ARCHITECTURE.md): how strongly each articulation
 * channel signals that the mouth is busy speaking. */
#define GATE_JAW 1.2f
#define GATE_CLOSE 1.5f
#define GATE_FUNNEL 1.0f
#define GATE_PUCKER 1.0f
/* Emotion influence on SHARED channels at full activity: 1 - 0.7 = 0.3. */
#define GATE_ATTENUATION 0.7f
/* jawOpen arousal scale: 0.7 at A = 0 .. 1.5 at A = 1 (ARCHITECTURE.md). */
#define JAW_SCALE_BASE 0.7f
#define JAW_SCALE_AROUSAL 0.8f

float as_merge_activity(const float lipsync[AS_NUM_CHANNELS])
{
    if (!lipsync) return 0.0f;
    float a = GATE_JAW * lipsync[AS_JAW_OPEN] + GATE_CLOSE * lipsync[AS_MOUTH_CLOSE] +
              GATE_FUNNEL * lipsync[AS_MOUTH_FUNNEL] + GATE_PUCKER * lipsync[AS_MOUTH_PUCKER];
    return motion_clamp01(a);
}

/* One frame, pointers already checked. */
static void merge_one(float *out, const float *ls, const float *ex, const float *neu, const as_cond *cond)
{
    const float activity = as_merge_activity(ls);
    const float gate = 1.0f - GATE_ATTENUATION * activity; /* emotion influence on SHARED */
    const float rest = 1.0f - activity;                   /* jaw delta only at rest */
    const float jaw_scale = JAW_SCALE_BASE + JAW_SCALE_AROUSAL * motion_arousal(cond);

    for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) {
        float v;
        switch (as_channel_class_of(ch)) {
        case AS_CHANNEL_LIPSYNC:
            v = ls[ch];
            break;
        case AS_CHANNEL_SHARED:
            if (ch == AS_JAW_OPEN)
                v = ls[ch] * jaw_scale + rest * (ex[ch] - neu[ch]);
            else
                v = ls[ch] + gate * (ex[ch] - neu[ch]);
            break;
        case AS_CHANNEL_EXPRESSION:
        default:
            v = ex[ch];
            break;
        }
        out[ch] = motion_clamp01(v);
    }
}

as_result as_merge_frame(float out[AS_NUM_CHANNELS], const float lipsync[AS_NUM_CHANNELS],
                         const float expression[AS_NUM_CHANNELS], const float neutral[AS_NUM_CHANNELS],
                         const as_cond *cond)
{
    if (!out || !lipsync || !expression || !neutral || !cond)
        return as_fail(AS_ERR_INVALID_ARG, "as_merge_frame: NULL %s",
                       !out ? "out" : !lipsync ? "lipsync" : !expression ? "expression" : !neutral ? "neutral" : "cond");
    merge_one(out, lipsync, expression, neutral, cond);
    return AS_OK;
}

as_result as_merge_track(float *out, const float *lipsync, const float *expression, const float *neutral,
                         const as_cond *cond, size_t T)
{
    if (T == 0) return AS_OK;
    if (!out || !lipsync || !expression || !neutral || !cond)
        return as_fail(AS_ERR_INVALID_ARG, "as_merge_track: NULL %s",
                       !out ? "out" : !lipsync ? "lipsync" : !expression ? "expression" : !neutral ? "neutral" : "cond");
    for (size_t t = 0; t < T; t++) {
        const size_t o = t * AS_NUM_CHANNELS;
        merge_one(out + o, lipsync + o, expression + o, neutral, cond + t);
    }
    return AS_OK;
}
