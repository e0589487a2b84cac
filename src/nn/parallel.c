/* nn/parallel.c — data-parallel training on several cores: a parallel-for
 * over a fixed number of tasks (shards of a batch) and the shard-order sum
 * of their gradients. See nn.h for why the results do not depend on the
 * thread count. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <unistd.h>

#include "nn/nn.h"

#define MAX_THREADS 64

typedef struct {
    nn_task_fn fn;
    void *ctx;
    int thread, n_threads, n_tasks;
} worker;

/* thread k runs tasks k, k + n_threads, k + 2 n_threads, ... */
static void run_tasks(const worker *w)
{
    for (int task = w->thread; task < w->n_tasks; task += w->n_threads) w->fn(w->ctx, task, w->thread);
}

static void *worker_main(void *arg)
{
    run_tasks((const worker *)arg);
    return NULL;
}

void nn_parallel_for(int n_threads, int n_tasks, nn_task_fn fn, void *ctx)
{
    if (n_tasks <= 0) return;
    int nt = n_threads < 1 ? 1 : n_threads;
    if (nt > n_tasks) nt = n_tasks;
    if (nt > MAX_THREADS) nt = MAX_THREADS;
    worker w[MAX_THREADS];
    pthread_t tid[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    for (int k = 0; k < nt; k++) w[k] = (worker){fn, ctx, k, nt, n_tasks};
    for (int k = 1; k < nt; k++) started[k] = pthread_create(&tid[k], NULL, worker_main, &w[k]) == 0;
    run_tasks(&w[0]);
    /* a thread that could not start: its tasks run here; each task writes
     * only its own outputs, so the results are the same */
    for (int k = 1; k < nt; k++) {
        if (started[k]) pthread_join(tid[k], NULL);
        else run_tasks(&w[k]);
    }
}

void nn_sum_into(float *dst, const float *const *src, int n_src, size_t n)
{
    // dst (n), src[k] (n)
    /* one fixed order per element: src[0] + src[1] + ... */
    for (size_t i = 0; i < n; i++) {
        float s = 0.0f;
        for (int k = 0; k < n_src; k++) s += src[k][i];
        dst[i] = s;
    }
}

int nn_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}
