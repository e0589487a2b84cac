/* bench/bench_features.c — how fast the audio feature extractor runs on one
 * core, in times real time (seconds of audio per second of CPU):
 *
 *   - offline (as_features_compute) at 16, 22.05, 44.1 and 48 kHz input;
 *   - streaming in 10 ms chunks, with the worst single push;
 *   - per clip for the dataset generator: create + compute + destroy of a
 *     3 s clip at 22.05 kHz (espeak-ng's rate), as clips per hour per core.
 *
 * The audio is the committed spoken fixture (tests/fixtures/features/
 * speech.wav) repeated to the needed length, resampled by the extractor
 * itself; timing is CPU time of this thread (clock_gettime
 * CLOCK_THREAD_CPUTIME_ID), best of several runs. A benchmark, not a test:
 * it prints figures and fails only if it cannot run. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "animasync/features.h"
#include "animasync/tts.h"

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Linear-interpolation resampling of the fixture, only to make test input at
 * other rates (the extractor's own resampler is what is timed). */
static float *make_input(const float *src, size_t n_src, int src_rate, int rate, double seconds, size_t *n_out)
{
    size_t n = (size_t)(seconds * rate);
    float *x = malloc(n * sizeof(float));
    if (!x) return NULL;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i * src_rate / rate;
        size_t j = (size_t)t % n_src;
        double f = t - floor(t);
        x[i] = (float)((1.0 - f) * src[j] + f * src[(j + 1) % n_src]);
    }
    *n_out = n;
    return x;
}

int main(void)
{
    const char *path = AS_SOURCE_DIR "/tests/fixtures/features/speech.wav";
    float *speech = NULL;
    size_t n_speech = 0;
    int speech_rate = 0;
    if (as_audio_read(path, &speech, &n_speech, &speech_rate) != AS_OK || n_speech == 0) {
        fprintf(stderr, "bench_features: %s\n", as_last_error());
        return 1;
    }
    printf("bench_features: feature extraction on one core (%d values per frame, %d frames/s)\n", AS_FEAT_DIM,
           AS_FEAT_FPS);

    /* Offline, 60 s of audio per rate. */
    const int rates[] = {16000, 22050, 44100, 48000};
    for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
        size_t n = 0;
        float *x = make_input(speech, n_speech, speech_rate, rates[r], 60.0, &n);
        if (!x) return 1;
        double best = 1e30;
        size_t n_frames = 0;
        for (int rep = 0; rep < 3; rep++) {
            float *frames = NULL;
            double t0 = cpu_now();
            if (as_features_compute(&frames, &n_frames, x, n, rates[r], NULL) != AS_OK) {
                fprintf(stderr, "bench_features: %s\n", as_last_error());
                return 1;
            }
            double dt = cpu_now() - t0;
            if (dt < best) best = dt;
            as_free(frames);
        }
        printf("  offline   %6d Hz: %7.0fx real time (%.1f ms per second of audio, %zu frames)\n", rates[r],
               60.0 / best, best / 60.0 * 1000.0, n_frames);
        free(x);
    }

    /* Streaming in 10 ms chunks at 48 kHz and 16 kHz: mean speed and the worst push. */
    const int stream_rates[] = {16000, 48000};
    for (size_t r = 0; r < 2; r++) {
        int rate = stream_rates[r];
        size_t n = 0, chunk = (size_t)rate / 100;
        float *x = make_input(speech, n_speech, speech_rate, rate, 30.0, &n);
        as_features *fx = as_features_create(rate, NULL);
        size_t cap = as_features_max_frames(fx, chunk);
        float *out = malloc(cap * AS_FEAT_DIM * sizeof(float));
        if (!x || !fx || !out) return 1;
        double worst = 0.0, t0 = cpu_now();
        size_t got = 0, total = 0;
        for (size_t i = 0; i + chunk <= n; i += chunk) {
            double c0 = cpu_now();
            if (as_features_push(fx, out, cap, &got, x + i, chunk) != AS_OK) return 1;
            double c1 = cpu_now() - c0;
            if (c1 > worst) worst = c1;
            total += got;
        }
        as_features_flush(fx, out, cap, &got);
        double dt = cpu_now() - t0;
        printf("  streaming %6d Hz, 10 ms pushes: %7.0fx real time, worst push %.3f ms (%zu frames)\n", rate,
               30.0 / dt, worst * 1000.0, total + got);
        as_features_destroy(fx);
        free(out);
        free(x);
    }

    /* Per clip, as the generator runs it: 3 s at 22.05 kHz, a fresh
     * extractor each time (create plans, resampler; compute; destroy). */
    {
        size_t n = 0;
        float *x = make_input(speech, n_speech, speech_rate, 22050, 3.0, &n);
        if (!x) return 1;
        const int clips = 300;
        double t0 = cpu_now();
        for (int c = 0; c < clips; c++) {
            float *frames = NULL;
            size_t nf = 0;
            if (as_features_compute(&frames, &nf, x, n, 22050, NULL) != AS_OK) return 1;
            as_free(frames);
        }
        double per = (cpu_now() - t0) / clips;
        printf("  per clip  3 s at 22050 Hz: %.3f ms per clip = %.0f clips/hour/core (features only; target of "
               "the generator: 100000 clips/hour on 2 jobs)\n",
               per * 1000.0, 3600.0 / per);
        free(x);
    }
    as_free(speech);
    return 0;
}
