/* bench_student.c — speed of the student network (figures for
 * docs/MODEL.md and issue 6): offline inference on one core, the network
 * alone and with feature extraction, in multiples of real time; and a
 * stream's cost per 10 ms chunk (mean, worst) at 16 and 48 kHz. Uses the
 * built-in model, or the weight file given as the first argument. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "animasync/animasync.h"
#include "nn/nn.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static float *speechlike(int rate, double seconds, size_t *n)
{
    *n = (size_t)(seconds * rate);
    float *x = malloc(*n * sizeof(float));
    unsigned s = 1;
    for (size_t i = 0; i < *n; i++) {
        double t = (double)i / rate, seg = fmod(t, 0.4);
        double v = 0;
        if (seg < 0.2)
            for (int h = 1; h <= 6; h++) v += sin(2.0 * 3.14159265358979 * 120.0 * h * t) / h;
        else if (seg < 0.28) {
            s = s * 1103515245u + 12345u;
            v = ((double)(s >> 8) / 16777216.0 - 0.5);
        }
        x[i] = (float)(0.2 * v);
    }
    return x;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void stream_bench(const as_student *m, int rate)
{
    size_t n;
    float *x = speechlike(rate, 20.0, &n);
    as_student_stream *st = as_student_stream_create(m, rate, NULL);
    size_t chunk = (size_t)rate / 100, cap = as_student_stream_max_frames(st, chunk);
    float *out = malloc(cap * AS_NUM_CHANNELS * sizeof(float));
    double worst = 0, total = 0;
    size_t chunks = 0, frames = 0, worst_at = 0;
    double *dts = malloc((n / chunk + 1) * sizeof(double));
    for (size_t off = 0; off + chunk <= n; off += chunk, chunks++) {
        size_t got;
        double t0 = now_s();
        as_student_stream_push(st, out, cap, &got, x + off, chunk);
        double dt = now_s() - t0;
        total += dt;
        dts[chunks] = dt;
        if (dt > worst) worst = dt, worst_at = chunks;
        frames += got;
    }
    qsort(dts, chunks, sizeof(double), cmp_double);
    printf("stream at %d Hz, 10 ms chunks: %.1f us mean, %.1f us p99, %.1f us worst (chunk %zu) per chunk (%zu "
           "chunks, %zu frames; budget 10,000 us)\n",
           rate, 1e6 * total / chunks, 1e6 * dts[chunks * 99 / 100], 1e6 * worst, worst_at, chunks, frames);
    free(dts);
    as_student_stream_destroy(st);
    free(out), free(x);
}

int main(int argc, char **argv)
{
    nn_set_blas_threads(1);
    as_student *own = argc > 1 ? as_student_load(argv[1]) : NULL;
    if (argc > 1 && !own) {
        fprintf(stderr, "%s\n", as_last_error());
        return 1;
    }
    const as_student *m = own ? own : as_student_default();
    as_student_info info;
    as_student_get_info(m, &info);
    printf("student: %zu parameters, %d layers x %d channels, look-ahead %.0f ms (+40 ms features), kernel %s\n",
           info.n_params, info.layers, info.hidden, info.lookahead_ms, nn_kernel_name());

    const double seconds = 60.0;
    size_t n;
    float *x = speechlike(16000, seconds, &n);
    float *feat = NULL;
    size_t nf;
    double t0 = now_s();
    as_features_compute(&feat, &nf, x, n, 16000, NULL);
    double t_feat = now_s() - t0;
    size_t T = as_timeline_frame_count(seconds, 30.0f);
    as_cond *cond = malloc(T * sizeof *cond);
    for (size_t t = 0; t < T; t++) cond[t] = as_cond_make(AS_EMO_JOY, as_emotion_anchor(AS_EMO_JOY, 3));
    float *out = malloc(T * AS_NUM_CHANNELS * sizeof(float));
    double best = 1e9;
    for (int rep = 0; rep < 5; rep++) {
        t0 = now_s();
        as_student_run(m, out, feat, nf, cond, T);
        double dt = now_s() - t0;
        if (dt < best) best = dt;
    }
    printf("offline, network alone: %.0fx real time (%.1f ms for %.0f s, %.2f us per frame)\n", seconds / best,
           1e3 * best, seconds, 1e6 * best / T);
    printf("offline, features + network: %.0fx real time (features %.1f ms)\n", seconds / (best + t_feat),
           1e3 * t_feat);
    as_animation *anim = NULL;
    as_render_params rp = as_render_default_params();
    t0 = now_s();
    as_render(m, &rp, x, n, 16000, &anim);
    double t_render = now_s() - t0;
    printf("as_render (features, timeline, network, motion, compiler): %.0fx real time\n", seconds / t_render);
    as_animation_destroy(anim);
    stream_bench(m, 16000);
    stream_bench(m, 48000);
    as_free(feat);
    free(x), free(cond), free(out);
    as_student_destroy(own);
    return 0;
}
