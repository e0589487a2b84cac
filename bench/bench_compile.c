/* bench/bench_compile.c — expression compiles per second on one core.
 * One compile = one conditioning vector -> one frame of 52 weights. Queries
 * cycle through 4096 precomputed conditionings: single classes at random VAD
 * (the common case) and two-class crossfade mixes. Target (issue 2):
 * >= 2,000,000 per second on this machine. Prints figures; asserts nothing. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "animasync/animasync.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static unsigned long long state = 42;
static float unit(void)
{
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (float)(state >> 40) / (float)(1ull << 24);
}

static double measure(const as_compiler *c, const as_cond *q, int nq, float *sink)
{
    float out[AS_NUM_CHANNELS];
    long n = 0;
    double t0 = now_s(), t;
    do {
        for (int i = 0; i < 100000; i++) {
            as_compile(c, out, &q[i & (nq - 1)], 1.0f);
            *sink += out[i % AS_NUM_CHANNELS];
        }
        n += 100000;
        t = now_s() - t0;
    } while (t < 1.5);
    return (double)n / t;
}

int main(void)
{
    enum { NQ = 4096 };
    static as_cond single[NQ], mixed[NQ];
    for (int i = 0; i < NQ; i++) {
        as_vad v = {unit(), unit(), unit()};
        single[i] = as_cond_make((as_emotion)(i % AS_NUM_EMOTIONS), v);
        mixed[i] = single[i];
        mixed[i].w[(i + 5) % AS_NUM_EMOTIONS] += 0.5f;
    }
    as_compiler *c = as_compiler_create(NULL, NULL);
    if (!c) { fprintf(stderr, "bench_compile: %s\n", as_last_error()); return 1; }
    float sink = 0.0f;
    double one = measure(c, single, NQ, &sink);
    double two = measure(c, mixed, NQ, &sink);
    printf("bench_compile: single class      %10.0f compiles/s  (%.0f ns each)\n", one, 1e9 / one);
    printf("bench_compile: two-class mix     %10.0f compiles/s  (%.0f ns each)\n", two, 1e9 / two);
    printf("bench_compile: target 2000000/s: single %.2fx, mix %.2fx of target  (checksum %g)\n",
           one / 2e6, two / 2e6, (double)sink);
    as_compiler_destroy(c);
    return 0;
}
