/* fuzz/fuzz_presets.c — libFuzzer harness for the preset file parser
 * (as_preset_bank_from_json), and for the compiler made over whatever bank
 * it accepts: one compile at each preset's anchor must stay in 0..1. */
#include <stdint.h>
#include <stdlib.h>

#include "animasync/animasync.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    as_preset_bank *bank = as_preset_bank_from_json((const char *)data, size, "fuzz.json");
    if (!bank) return 0;
    as_compiler *c = as_compiler_create(bank, NULL);
    if (c) {
        float w[AS_NUM_CHANNELS];
        for (int i = 0; i < AS_NUM_PRESETS; i++) {
            as_emotion e;
            int level;
            as_preset_slot(i, &e, &level);
            as_cond q = as_cond_make(e, as_emotion_anchor(e, level));
            as_compile(c, w, &q, 2.0f);
            for (int ch = 0; ch < AS_NUM_CHANNELS; ch++)
                if (!(w[ch] >= 0.0f && w[ch] <= 1.0f)) abort();
        }
        as_compiler_destroy(c);
    }
    as_preset_bank_destroy(bank);
    return 0;
}
