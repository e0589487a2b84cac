/* core/channels.c — the 52 ARKit blendshape channels: names in canonical
 * ARKit order (Apple ARFaceAnchor.BlendShapeLocation), left/right mirrors,
 * and each channel's owner in the merge (ARCHITECTURE.md). */
#include <string.h>

#include "core/internal.h"

typedef struct {
    const char *name;
    int mirror;            /* index of the left/right twin, or itself */
    as_channel_class cls;  /* who owns it in the merge */
    int slow;              /* judged by the temporal-smoothness contract */
} channel_info;

#define L AS_CHANNEL_LIPSYNC
#define S AS_CHANNEL_SHARED
#define E AS_CHANNEL_EXPRESSION
static const channel_info channels[AS_NUM_CHANNELS] = {
    {"eyeBlinkLeft", AS_EYE_BLINK_RIGHT, E, 0},
    {"eyeLookDownLeft", AS_EYE_LOOK_DOWN_RIGHT, E, 0},
    {"eyeLookInLeft", AS_EYE_LOOK_IN_RIGHT, E, 0},
    {"eyeLookOutLeft", AS_EYE_LOOK_OUT_RIGHT, E, 0},
    {"eyeLookUpLeft", AS_EYE_LOOK_UP_RIGHT, E, 0},
    {"eyeSquintLeft", AS_EYE_SQUINT_RIGHT, E, 1},
    {"eyeWideLeft", AS_EYE_WIDE_RIGHT, E, 1},
    {"eyeBlinkRight", AS_EYE_BLINK_LEFT, E, 0},
    {"eyeLookDownRight", AS_EYE_LOOK_DOWN_LEFT, E, 0},
    {"eyeLookInRight", AS_EYE_LOOK_IN_LEFT, E, 0},
    {"eyeLookOutRight", AS_EYE_LOOK_OUT_LEFT, E, 0},
    {"eyeLookUpRight", AS_EYE_LOOK_UP_LEFT, E, 0},
    {"eyeSquintRight", AS_EYE_SQUINT_LEFT, E, 1},
    {"eyeWideRight", AS_EYE_WIDE_LEFT, E, 1},
    {"jawForward", AS_JAW_FORWARD, L, 0},
    {"jawLeft", AS_JAW_RIGHT, L, 0},
    {"jawRight", AS_JAW_LEFT, L, 0},
    {"jawOpen", AS_JAW_OPEN, S, 0},
    {"mouthClose", AS_MOUTH_CLOSE, L, 0},
    {"mouthFunnel", AS_MOUTH_FUNNEL, L, 0},
    {"mouthPucker", AS_MOUTH_PUCKER, L, 0},
    {"mouthLeft", AS_MOUTH_RIGHT, L, 0},
    {"mouthRight", AS_MOUTH_LEFT, L, 0},
    {"mouthSmileLeft", AS_MOUTH_SMILE_RIGHT, S, 0},
    {"mouthSmileRight", AS_MOUTH_SMILE_LEFT, S, 0},
    {"mouthFrownLeft", AS_MOUTH_FROWN_RIGHT, S, 0},
    {"mouthFrownRight", AS_MOUTH_FROWN_LEFT, S, 0},
    {"mouthDimpleLeft", AS_MOUTH_DIMPLE_RIGHT, S, 0},
    {"mouthDimpleRight", AS_MOUTH_DIMPLE_LEFT, S, 0},
    {"mouthStretchLeft", AS_MOUTH_STRETCH_RIGHT, L, 0},
    {"mouthStretchRight", AS_MOUTH_STRETCH_LEFT, L, 0},
    {"mouthRollLower", AS_MOUTH_ROLL_LOWER, S, 0},
    {"mouthRollUpper", AS_MOUTH_ROLL_UPPER, S, 0},
    {"mouthShrugLower", AS_MOUTH_SHRUG_LOWER, S, 0},
    {"mouthShrugUpper", AS_MOUTH_SHRUG_UPPER, S, 0},
    {"mouthPressLeft", AS_MOUTH_PRESS_RIGHT, S, 0},
    {"mouthPressRight", AS_MOUTH_PRESS_LEFT, S, 0},
    {"mouthLowerDownLeft", AS_MOUTH_LOWER_DOWN_RIGHT, L, 0},
    {"mouthLowerDownRight", AS_MOUTH_LOWER_DOWN_LEFT, L, 0},
    {"mouthUpperUpLeft", AS_MOUTH_UPPER_UP_RIGHT, L, 0},
    {"mouthUpperUpRight", AS_MOUTH_UPPER_UP_LEFT, L, 0},
    {"browDownLeft", AS_BROW_DOWN_RIGHT, E, 1},
    {"browDownRight", AS_BROW_DOWN_LEFT, E, 1},
    {"browInnerUp", AS_BROW_INNER_UP, E, 1},
    {"browOuterUpLeft", AS_BROW_OUTER_UP_RIGHT, E, 1},
    {"browOuterUpRight", AS_BROW_OUTER_UP_LEFT, E, 1},
    {"cheekPuff", AS_CHEEK_PUFF, S, 0},
    {"cheekSquintLeft", AS_CHEEK_SQUINT_RIGHT, E, 1},
    {"cheekSquintRight", AS_CHEEK_SQUINT_LEFT, E, 1},
    {"noseSneerLeft", AS_NOSE_SNEER_RIGHT, E, 1},
    {"noseSneerRight", AS_NOSE_SNEER_LEFT, E, 1},
    {"tongueOut", AS_TONGUE_OUT, E, 0},
};
#undef L
#undef S
#undef E

const char *as_channel_name(int ch)
{
    return (ch >= 0 && ch < AS_NUM_CHANNELS) ? channels[ch].name : NULL;
}

int as_channel_find(const char *name)
{
    if (!name) return -1;
    for (int i = 0; i < AS_NUM_CHANNELS; i++)
        if (strcmp(channels[i].name, name) == 0) return i;
    return -1;
}

int as_channel_mirror(int ch)
{
    return (ch >= 0 && ch < AS_NUM_CHANNELS) ? channels[ch].mirror : -1;
}

as_channel_class as_channel_class_of(int ch)
{
    return (ch >= 0 && ch < AS_NUM_CHANNELS) ? channels[ch].cls : AS_CHANNEL_EXPRESSION;
}

int as_channel_is_slow(int ch)
{
    return (ch >= 0 && ch < AS_NUM_CHANNELS) ? channels[ch].slow : 0;
}
