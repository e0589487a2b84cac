/* test_classifier_train.c — the classifier trainer (src/train/classifier_train.c)
 * on the real corpus with a tiny model: a run is seeded and does not depend
 * on the thread count (the same checkpoint bytes on 1 and 2 threads); a run
 * interrupted and resumed from its checkpoint is the same run; progress lines arrive; the
 * saved model loads and classifies; a student distils from it and refuses a
 * teacher with another vocabulary. */
#include <stdlib.h>
#include <string.h>

#include "animasync/animasync.h"
#include "testutil.h"
#include "train/classifier_train.h"

static int lines;
static void count_line(const char *line, void *user)
{
    (void)user;
    (void)line;
    lines++;
}

static tc_train_params tiny(const char *out, const char *ckpt, int epochs, int threads)
{
    tc_train_params p = tc_train_default_params();
    p.data_dir = AS_SOURCE_DIR "/data/scenarios";
    p.out_path = out;
    p.checkpoint_path = ckpt;
    p.merges = 200;
    p.cfg = (tc_config){0, 8, 16, 32, 2, 2, 32};
    p.epochs = epochs;
    p.threads = threads;
    p.seed = 7;
    p.progress = count_line;
    return p;
}

static int same_file(const char *a, const char *b)
{
    size_t la, lb;
    char *x = test_read_file(a, &la), *y = test_read_file(b, &lb);
    int same = x && y && la == lb && !memcmp(x, y, la);
    free(x), free(y);
    return same;
}

int main(void)
{
    const char *dir = test_tmpdir();
    char out_a[512], ck_a[512], out_b[512], ck_b[512], out_c[512], ck_c[512], out_s[512];
    snprintf(out_a, sizeof out_a, "%s/a.asnn", dir);
    snprintf(ck_a, sizeof ck_a, "%s/a.ckpt", dir);
    snprintf(out_b, sizeof out_b, "%s/b.asnn", dir);
    snprintf(ck_b, sizeof ck_b, "%s/b.ckpt", dir);
    snprintf(out_c, sizeof out_c, "%s/c.asnn", dir);
    snprintf(ck_c, sizeof ck_c, "%s/c.ckpt", dir);
    snprintf(out_s, sizeof out_s, "%s/s.asnn", dir);

    tc_train_params p = tiny(out_a, ck_a, 2, 1);
    tc_eval_report best;
    CHECKF(tc_train(&p, &best) == AS_OK, "train: %s", as_last_error());
    CHECKF(lines >= 4, "progress lines: %d", lines);
    CHECK(best.n > 0 && best.macro_f1 >= 0.0f && best.macro_f1 <= 1.0f);

    /* the same bits on 2 threads */
    p = tiny(out_b, ck_b, 2, 2);
    CHECK(tc_train(&p, NULL) == AS_OK);
    CHECK(same_file(ck_a, ck_b));
    CHECK(same_file(out_a, out_b));

    /* one epoch, then resume to two: the same run */
    p = tiny(out_c, ck_c, 2, 1);
    p.stop_after = 1; /* interrupted after the first epoch */
    CHECK(tc_train(&p, NULL) == AS_OK);
    CHECK(!same_file(ck_a, ck_c));
    p = tiny(out_c, ck_c, 2, 1);
    p.resume = 1;
    CHECK(tc_train(&p, NULL) == AS_OK);
    CHECK(same_file(ck_a, ck_c));

    /* the saved model loads and classifies */
    as_classifier *m = as_classifier_load(out_a);
    CHECKF(m != NULL, "load: %s", as_last_error());
    as_classification c;
    CHECK(m && as_classify(m, "Thank you!", &c) == AS_OK);
    as_classifier_destroy(m);

    /* a student distils from it with its vocabulary ... */
    p = tiny(out_s, NULL, 1, 1);
    p.teacher_path = out_a;
    p.tokenizer_from = out_a;
    p.cfg = (tc_config){0, 8, 8, 16, 2, 1, 32};
    CHECKF(tc_train(&p, NULL) == AS_OK, "student: %s", as_last_error());
    m = as_classifier_load(out_s);
    CHECK(m != NULL);
    as_classifier_destroy(m);
    /* ... and refuses one with another vocabulary */
    p.tokenizer_from = NULL;
    p.merges = 100;
    CHECK(tc_train(&p, NULL) == AS_ERR_INVALID_ARG && strstr(as_last_error(), "vocabulary"));
    /* bad arguments */
    p = tiny(out_s, NULL, 1, 1);
    p.batch = 3;
    CHECK(tc_train(&p, NULL) == AS_ERR_RANGE);
    p = tiny(out_s, NULL, 1, 1);
    p.data_dir = "/nonexistent";
    CHECK(tc_train(&p, NULL) == AS_ERR_PARSE);
    return test_finish("test_classifier_train");
}
