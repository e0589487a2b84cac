/* fuzz/fuzz_anim.c — libFuzzer harness for the animation reader
 * (as_anim_parse: anim.json, CSV, Live Link Face CSV, NPY), which reads
 * files from outside. On success the shape must be consistent; on error the
 * output must be zeroed; never a crash or a leak. Build: see fuzz/README.md. */
#include <stdint.h>
#include <stdlib.h>
#include "animasync/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    as_anim a;
    if (as_anim_parse(data, size, "fuzz", &a) != AS_OK) {
        if (a.frames || a.names || a.segments || a.audio) abort();
        return 0;
    }
    if (a.num_channels == 0) abort();
    if (a.num_frames && !a.frames) abort();
    volatile float sink = 0.0f;
    for (size_t i = 0; i < a.num_frames * a.num_channels; i++) sink += a.frames[i];
    if (a.names)
        for (size_t c = 0; c < a.num_channels; c++)
            if (!a.names[c]) abort();
    (void)sink;
    as_anim_clear(&a);
    return 0;
}
