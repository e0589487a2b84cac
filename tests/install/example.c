/* tests/install/example.c — a program built against an installed animasync
 * through pkg-config, as a user would: one face for "joy" at level 4. */
#include <stdio.h>

#include <animasync/animasync.h>

int main(void)
{
    as_compiler *c = as_compiler_create(NULL, NULL);
    as_cond cond;
    if (!c || as_cond_from_name("joy", 0.75f, &cond) != AS_OK) {
        fprintf(stderr, "example: %s\n", as_last_error());
        return 1;
    }
    float w[AS_NUM_CHANNELS];
    if (as_compile(c, w, &cond, 1.0f) != AS_OK) return 1;
    printf("%s %.3f\n", as_channel_name(AS_MOUTH_SMILE_LEFT), w[AS_MOUTH_SMILE_LEFT]);
    as_compiler_destroy(c);
    return w[AS_MOUTH_SMILE_LEFT] > 0.1f ? 0 : 1;
}
