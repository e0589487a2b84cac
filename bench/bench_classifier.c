/* bench_classifier.c — speed of the text emotion classifier on one core:
 * sentences per second through as_classify_with (tokenizer + MicroALBERT +
 * heads, no allocation per call), over the corpus's validation turns, alone
 * and with their 2 previous turns as context. Usage:
 *   bench_classifier [MODEL]   (default: the built-in model) */
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

int main(int argc, char **argv)
{
    as_classifier *own = argc > 1 ? as_classifier_load(argv[1]) : NULL;
    const as_classifier *m = own ? own : (argc > 1 ? NULL : as_classifier_default());
    if (!m) {
        fprintf(stderr, "bench_classifier: %s\n", as_last_error());
        return 1;
    }
    as_corpus *c = as_corpus_load(AS_SOURCE_DIR "/data/scenarios");
    if (!c) {
        fprintf(stderr, "bench_classifier: %s\n", as_last_error());
        return 1;
    }
    as_classifier_info info;
    as_classifier_get_info(m, &info);
    printf("model: %zu weights (%.2f MB), vocab %d, E %d, D %d, F %d, heads %d, layers %d, max %d tokens\n",
           info.n_weights, info.n_weights * 4.0 / 1048576.0, info.vocab, info.embd, info.dim, info.ffn, info.heads,
           info.layers, info.max_tokens);
    as_classifier_state *st = as_classifier_state_create(m);
    for (int with_ctx = 0; with_ctx < 2; with_ctx++) {
        size_t n = 0;
        double t0 = now_s(), bytes = 0;
        volatile float sink = 0;
        while (now_s() - t0 < 2.0) {
            for (size_t i = 0; i < as_corpus_turn_count(c); i++) {
                const as_corpus_turn *t = as_corpus_turn_at(c, i);
                if (as_corpus_scenario_at(c, t->scenario)->split != AS_SPLIT_VALIDATION) continue;
                as_dialogue_turn ctx[2];
                size_t nc = 0;
                for (size_t k = 2; with_ctx && k >= 1; k--)
                    if (k <= t->index) {
                        const as_corpus_turn *p = as_corpus_turn_at(c, i - k);
                        ctx[nc++] = (as_dialogue_turn){p->text, p->speaker == t->speaker};
                    }
                as_classification out;
                as_classify_with(st, ctx, nc, t->text, &out);
                sink += out.probs[0];
                bytes += (double)strlen(t->text);
                n++;
            }
        }
        double dt = now_s() - t0;
        printf("%s: %zu sentences in %.2f s = %.0f sentences/s (%.1f us each, mean %.0f bytes)\n",
               with_ctx ? "with 2 context turns" : "sentence alone     ", n, dt, n / dt, 1e6 * dt / n, bytes / n);
        (void)sink;
    }
    as_classifier_state_destroy(st);
    as_corpus_destroy(c);
    as_classifier_destroy(own);
    return 0;
}
