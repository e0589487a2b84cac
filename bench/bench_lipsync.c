/* bench_lipsync.c — speed of the speech side of the pipeline on one core:
 * synthesis with timing (espeak-ng, flite) and the lip-sync teacher from
 * phonemes, each as a multiple of real time (seconds of speech produced
 * per second of wall-clock time). Prints figures; asserts nothing. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "animasync/lipsync.h"
#include "animasync/tts.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static const char *const texts[] = {
    "The quick brown fox jumps over the lazy dog.",
    "Thank you so much for coming today, it really means a lot to me.",
    "I'm sorry, but I have to go now. Maybe we can talk again tomorrow?",
    "Peter Piper picked a peck of pickled peppers, and Bob bought a big plump bumblebee.",
};
#define N_TEXTS (sizeof texts / sizeof texts[0])

/* Synthesizes every text `rounds` times; returns seconds of audio per
 * second of wall time, and keeps the last speech of each text. */
static double bench_tts(as_tts_engine engine, const char *voice, int rounds, as_speech **keep)
{
    as_tts_params p = as_tts_default_params();
    p.engine = engine;
    p.voice = voice;
    p.lead_s = p.tail_s = 0.0f; /* count the engine's audio only */
    double audio = 0.0, t0 = now_s();
    for (int r = 0; r < rounds; r++)
        for (size_t i = 0; i < N_TEXTS; i++) {
            as_speech *sp = NULL;
            if (as_tts_synthesize(&p, texts[i], &sp) != AS_OK) {
                fprintf(stderr, "%s/%s: %s\n", as_tts_engine_name(engine), voice, as_last_error());
                return 0.0;
            }
            audio += as_speech_duration(sp);
            if (keep && r == rounds - 1) {
                as_speech_destroy(keep[i]);
                keep[i] = sp;
            } else {
                as_speech_destroy(sp);
            }
        }
    double wall = now_s() - t0;
    return audio / wall;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 5;
    if (rounds < 1) rounds = 1;
    as_speech *speech[N_TEXTS] = {0};

    printf("bench_lipsync: %zu sentences x %d rounds, one thread\n", N_TEXTS, rounds);
    double x_es = bench_tts(AS_TTS_ESPEAK, "en-us", rounds, speech);
    printf("  synthesis espeak-ng en-us : %8.1f x real time\n", x_es);
    printf("  synthesis espeak-ng ko    : %8.1f x real time\n", bench_tts(AS_TTS_ESPEAK, "ko", rounds, NULL));
    printf("  synthesis flite kal       : %8.1f x real time\n", bench_tts(AS_TTS_FLITE, "kal", rounds, NULL));
    printf("  synthesis flite slt       : %8.1f x real time\n", bench_tts(AS_TTS_FLITE, "slt", rounds, NULL));

    /* Lip sync from the espeak-ng phonemes, with and without loudness. */
    as_lipsync_params lp = as_lipsync_default_params();
    for (int loud = 1; loud >= 0; loud--) {
        double audio = 0.0, t0 = now_s();
        size_t frames_total = 0;
        int reps = 200 * rounds;
        for (int r = 0; r < reps; r++)
            for (size_t i = 0; i < N_TEXTS; i++) {
                as_speech *sp = speech[i];
                if (!sp) continue;
                size_t T = (size_t)(as_speech_duration(sp) * lp.fps) + 1;
                float *out = malloc(T * AS_NUM_CHANNELS * sizeof(float));
                if (!out) return 1;
                as_lipsync_from_phonemes(&lp, sp->phonemes, sp->n_phonemes, loud ? sp->samples : NULL,
                                         loud ? sp->n_samples : 0, sp->rate_hz, T, out);
                free(out);
                audio += as_speech_duration(sp);
                frames_total += T;
            }
        double wall = now_s() - t0;
        printf("  lip sync from phonemes %-12s: %8.0f x real time (%.2f us per frame)\n",
               loud ? "(loudness)" : "(no audio)", audio / wall, 1e6 * wall / (double)frames_total);
    }
    for (size_t i = 0; i < N_TEXTS; i++) as_speech_destroy(speech[i]);
    return 0;
}
