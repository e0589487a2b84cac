/* expression/internal.h — the preset bank's layout, shared by the files of
 * the expression stage. */
#ifndef AS_EXPRESSION_INTERNAL_H
#define AS_EXPRESSION_INTERNAL_H

#include "animasync/expression.h"

struct as_preset_bank {
    float w[AS_NUM_PRESETS][AS_NUM_CHANNELS]; /* (46, 52): slot order of as_preset_slot */
};

/* Slot of (e, level), or -1 (neutral is slot 0 whatever the level). */
int as_preset_index(as_emotion e, int level);

#endif
