/* bench/bench_say.c — `say` speed as a multiple of real time on one core:
 * the whole pipeline (synthesis included) with espeak-ng and with flite, and
 * the animation part alone (tags, timeline, compiler, lip sync, merge,
 * motion: as_animate_speech on speech made once). Targets (issue 3): whole
 * say >= 50x real time, animation part >= 2000x. Prints figures only. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <time.h>

#include "animasync/animasync.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static const char *const sentences[] = {
    "[joy:80] Thanks so much for coming today! [sadness:40] But I really must go now.",
    "[surprise] Wait, you built all of this yourself? [excitement:70] That is amazing, show me more!",
    "[worry:50] I am not sure the bridge will hold. [anger:60] Why did nobody check it before?",
    "[gratitude] You helped me more than you know. [shy:40] Well, I should probably say it properly.",
};
enum { N_SENT = sizeof sentences / sizeof sentences[0] };

static void whole(const as_compiler *c, as_tts_engine engine, const char *voice)
{
    as_say_params p = as_say_default_params();
    p.tts.engine = engine;
    p.tts.voice = voice;
    double audio = 0.0, t0 = now_s(), t;
    int runs = 0;
    do {
        as_animation *a = NULL;
        if (as_say(c, &p, sentences[runs % N_SENT], &a) != AS_OK) { fprintf(stderr, "%s\n", as_last_error()); return; }
        audio += as_speech_duration(a->speech);
        as_animation_destroy(a);
        runs++;
        t = now_s() - t0;
    } while (t < 3.0);
    printf("bench_say: whole say (%s %s): %6.1fx real time  (%d sentences, %.1f s of speech in %.2f s; target 50x)\n",
           as_tts_engine_name(engine), voice, audio / t, runs, audio, t);
}

int main(void)
{
    as_compiler *c = as_compiler_create(NULL, NULL);
    if (!c) { fprintf(stderr, "%s\n", as_last_error()); return 1; }
    whole(c, AS_TTS_ESPEAK, "en-us");
    whole(c, AS_TTS_FLITE, "slt");

    /* Animation part alone: synthesize each sentence once, then animate it repeatedly. */
    as_say_params p = as_say_default_params();
    as_animation *made[N_SENT];
    for (int i = 0; i < N_SENT; i++)
        if (as_say(c, &p, sentences[i], &made[i]) != AS_OK) { fprintf(stderr, "%s\n", as_last_error()); return 1; }
    double audio = 0.0, t0 = now_s(), t;
    long runs = 0;
    do {
        const as_animation *src = made[runs % N_SENT];
        as_animation *a = NULL;
        as_animate_speech(c, &p, sentences[runs % N_SENT], src->speech, &a);
        audio += as_speech_duration(src->speech);
        as_animation_destroy(a);
        runs++;
        t = now_s() - t0;
    } while (t < 3.0);
    printf("bench_say: animation part alone: %8.0fx real time  (%.0f s of speech animated in %.2f s; target 2000x)\n",
           audio / t, audio, t);
    for (int i = 0; i < N_SENT; i++) as_animation_destroy(made[i]);
    as_compiler_destroy(c);
    return 0;
}
