/* test_student_train.c — the student's trainer, evaluation and commands on
 * a tiny generated dataset (12 clips, a few seconds of CPU):
 *   - a few epochs of a tiny model reduce the loss at least 2x;
 *   - the result does not depend on the thread count (fixed shards);
 *   - a run stopped after 2 epochs and resumed from its checkpoint ends
 *     bit-identical to an uninterrupted run;
 *   - as_student_eval gives figures in range on the held-out voices;
 *   - `animasync render` writes anim.json / anim.csv for a WAV at 22.05 kHz
 *     and refuses a bad script with status 2; `animasync eval` runs. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "animasync/animasync.h"
#include "testutil.h"

#define EPOCHS 20

typedef struct {
    double loss[EPOCHS + 1];
    int n;
    int stop_after; /* 0 = never */
} losses;

static int on_progress(const as_train_progress *p, void *user)
{
    losses *l = user;
    if (l->n <= EPOCHS) l->loss[l->n++] = p->loss;
    return l->stop_after && p->epoch == l->stop_after;
}

/* the nearest-pose loss of the first and the last epoch */
static int on_pose(const as_train_progress *p, void *user)
{
    double *v = user;
    if (p->epoch == 1) v[0] = p->pose;
    v[1] = p->pose;
    return 0;
}

static as_train_params tiny_params(const char *data, const char *out, losses *l)
{
    as_train_params p = as_train_default_params();
    p.data_dir = data;
    p.out_path = out;
    p.hidden = 8;
    p.film_hidden = 8;
    p.layers = 2;
    p.epochs = EPOCHS;
    p.batch = 4;
    p.seq_frames = 32;
    p.anchor_frames = 16;
    p.lr = 2e-2f;
    p.lr_min = 1e-3f;
    p.warmup_steps = 5;
    p.seed = 3;
    p.progress = on_progress;
    p.progress_user = l;
    return p;
}

static int same_file(const char *a, const char *b)
{
    size_t na, nb;
    char *da = test_read_file(a, &na), *db = test_read_file(b, &nb);
    int same = da && db && na == nb && memcmp(da, db, na) == 0;
    free(da), free(db);
    return same;
}

int main(void)
{
    const char *dir = test_tmpdir();
    char data[512], out1[512], out2[512], out3[512], ckpt[512], cmd[2048], buf[8192];
    snprintf(data, sizeof data, "%s/data", dir);
    as_generate_params gp = as_generate_default_params();
    gp.scenarios = AS_SOURCE_DIR "/data/scenarios/en-daily.jsonl";
    gp.out_dir = data;
    gp.clips = 12;
    gp.shard_clips = 4;
    gp.validation_fraction = 0.25f;
    gp.test_fraction = 0.25f;
    gp.max_turns = 1;
    gp.seed = 9;
    as_result r = as_dataset_generate(&gp, NULL);
    CHECKF(r == AS_OK, "generate: %s", as_last_error());
    if (r != AS_OK) return test_finish("test_student_train");

    /* 1. the loss falls; 1 and 2 threads give the same file */
    snprintf(out1, sizeof out1, "%s/a.asnn", dir);
    snprintf(out2, sizeof out2, "%s/b.asnn", dir);
    losses l1 = {{0}, 0, 0}, l2 = {{0}, 0, 0};
    as_train_params p = tiny_params(data, out1, &l1);
    r = as_student_train(&p);
    CHECKF(r == AS_OK, "train: %s", as_last_error());
    CHECK(l1.n == EPOCHS);
    printf("  tiny model: loss %.4f -> %.4f over %d epochs\n", l1.loss[0], l1.loss[EPOCHS - 1], EPOCHS);
    CHECKF(l1.loss[EPOCHS - 1] * 2.0 < l1.loss[0], "the loss falls 2x (%g -> %g)", l1.loss[0], l1.loss[EPOCHS - 1]);
    p = tiny_params(data, out2, &l2);
    p.threads = 2;
    CHECK(as_student_train(&p) == AS_OK);
    CHECKF(same_file(out1, out2), "1 and 2 threads give the same weights");

    /* 2. stop after 2 epochs, resume: the same weights as the whole run */
    snprintf(out3, sizeof out3, "%s/c.asnn", dir);
    snprintf(ckpt, sizeof ckpt, "%s/c.ckpt", dir);
    losses l3 = {{0}, 0, 2};
    p = tiny_params(data, out3, &l3);
    p.checkpoint = ckpt;
    CHECK(as_student_train(&p) == AS_OK);
    CHECK(l3.n == 2);
    losses l4 = {{0}, 0, 0};
    p = tiny_params(data, out3, &l4);
    p.checkpoint = ckpt;
    p.resume = 1;
    CHECK(as_student_train(&p) == AS_OK);
    CHECKF(l4.n == EPOCHS - 2, "resumed at epoch 3 (%d epochs run)", l4.n);
    CHECKF(same_file(out1, out3), "stopped + resumed = uninterrupted");
    /* 0 epochs with --init rewrites that model as it is (how a model becomes C source), and a C source is
     * written; 0 epochs without --init is refused */
    {
        char out0[512], c0[512];
        snprintf(out0, sizeof out0, "%s/zero.asnn", dir);
        snprintf(c0, sizeof c0, "%s/zero.c", dir);
        losses l0 = {{0}, 0, 0};
        p = tiny_params(data, out0, &l0);
        p.init_path = out1;
        p.epochs = 0;
        p.emit_c = c0;
        CHECKF(as_student_train(&p) == AS_OK, "0 epochs: %s", as_last_error());
        CHECK(l0.n == 0);
        CHECKF(same_file(out1, out0), "0 epochs with --init gives the same file");
        size_t clen;
        char *csrc = test_read_file(c0, &clen);
        CHECK(csrc && strstr(csrc, "as_default_weights_student") != NULL);
        free(csrc);
        p.init_path = NULL;
        CHECK(as_student_train(&p) == AS_ERR_RANGE);
    }
    /* a checkpoint is refused as a model, a model loads */
    CHECK(as_student_load(ckpt) == NULL);
    as_student *m = as_student_load(out1);
    CHECKF(m != NULL, "load: %s", as_last_error());

    /* 3. evaluation on the test voices */
    as_student_eval_report ev;
    r = as_student_eval(m, data, AS_SPLIT_TEST, 0, 3, &ev);
    CHECKF(r == AS_OK, "eval: %s", as_last_error());
    CHECK(ev.clips > 0 && ev.frames > 0);
    CHECK(ev.jaw_pearson >= -1.0 && ev.jaw_pearson <= 1.0);
    CHECK(ev.viseme_accuracy >= 0.0 && ev.viseme_accuracy <= 1.0);
    CHECK(ev.anchor_max_error >= 0.0 && ev.anchor_max_error <= 1.0);
    CHECKF(ev.repeat_variance == 0.0, "repeated runs are identical (variance %g)", ev.repeat_variance);
    /* the reference: the teacher against itself one frame late agrees on many frames, not all */
    CHECKF(ev.viseme_teacher_late > 0.2 && ev.viseme_teacher_late < 1.0, "teacher one frame late: %g",
           ev.viseme_teacher_late);
    CHECKF(ev.viseme_within_one >= ev.viseme_accuracy && ev.viseme_within_one <= 1.0, "within one frame %g >= %g",
           ev.viseme_within_one, ev.viseme_accuracy);
    /* the target itself: the merge's jaw moves some frames' pose, most keep it */
    CHECKF(ev.viseme_target > 0.5 && ev.viseme_target <= 1.0, "the target's own viseme accuracy %g",
           ev.viseme_target);
    CHECKF(ev.viseme_head > 0.0 && ev.viseme_head <= 1.0, "the viseme head's accuracy %g", ev.viseme_head);
    CHECKF(ev.stable_share > 0.0 && ev.stable_share < 1.0 && ev.viseme_stable >= 0.0 && ev.viseme_stable <= 1.0,
           "frames without a transition: %g, accuracy there %g", ev.stable_share, ev.viseme_stable);
    /* a union of three matches: at most the sum of its parts */
    CHECKF(ev.viseme_vs_earlier > 0.0 && ev.viseme_vs_later > 0.0 &&
               ev.viseme_within_one <= ev.viseme_accuracy + ev.viseme_vs_earlier + ev.viseme_vs_later + 1e-9,
           "within one frame %g between its parts %g, %g, %g", ev.viseme_within_one, ev.viseme_accuracy,
           ev.viseme_vs_earlier, ev.viseme_vs_later);
    /* per voice family: the test split's families only, and together they
     * are the whole (clips, frames, closures add up; the accuracies are the
     * frame-weighted parts of the pooled one) */
    {
        size_t nf, clips = 0, frames = 0, closures = 0;
        const as_voice_family *fam = as_voice_families(&nf);
        double vis = 0.0, detected = 0.0;
        CHECK(ev.n_families >= 1 && ev.n_families <= AS_STUDENT_EVAL_MAX_FAMILIES);
        for (size_t f = 0; f < ev.n_families; f++) {
            int test_family = 0;
            for (size_t k = 0; k < nf; k++)
                if (!strcmp(fam[k].name, ev.family[f].name)) test_family = fam[k].split == AS_SPLIT_TEST;
            CHECKF(test_family, "family %s of the test split", ev.family[f].name);
            clips += ev.family[f].clips;
            frames += ev.family[f].frames;
            closures += ev.family[f].closures;
            vis += ev.family[f].viseme_accuracy * (double)ev.family[f].frames;
            detected += ev.family[f].closure_rate * (double)ev.family[f].closures;
        }
        CHECKF(clips == ev.clips && frames == ev.frames && closures == ev.closures, "families %zu/%zu/%zu of %zu/%zu/%zu",
               clips, frames, closures, ev.clips, ev.frames, ev.closures);
        CHECKF(fabs(vis / (double)frames - ev.viseme_accuracy) < 1e-9, "family viseme %g vs %g", vis / (double)frames,
               ev.viseme_accuracy);
        CHECKF(fabs(detected - ev.closure_rate * (double)ev.closures) < 1e-6, "family closures %g vs %g", detected,
               ev.closure_rate * (double)ev.closures);
        /* the training split can be evaluated too: its families are training voices */
        as_student_eval_report tr;
        CHECKF(as_student_eval(m, data, AS_SPLIT_TRAIN, 0, 0, &tr) == AS_OK, "eval train: %s", as_last_error());
        CHECK(tr.clips > 0 && tr.n_families >= 1);
        for (size_t f = 0; f < tr.n_families; f++)
            for (size_t k = 0; k < nf; k++)
                if (!strcmp(fam[k].name, tr.family[f].name)) CHECK(fam[k].split == AS_SPLIT_TRAIN);
    }
    as_student_info info;
    as_student_get_info(m, &info);
    CHECKF(info.heads == 1, "a new model has the viseme and closure heads");
    as_student_destroy(m);

    /* the version 1 network (--no-heads) still trains; and a fine-tune of it gains the heads */
    {
        char v1[512], v2[512];
        snprintf(v1, sizeof v1, "%s/v1.asnn", dir);
        snprintf(v2, sizeof v2, "%s/v2.asnn", dir);
        losses lv = {{0}, 0, 0};
        p = tiny_params(data, v1, &lv);
        p.no_heads = 1;
        p.epochs = 2;
        CHECKF(as_student_train(&p) == AS_OK, "train --no-heads: %s", as_last_error());
        as_student *m1 = as_student_load(v1);
        CHECK(m1 != NULL);
        as_student_get_info(m1, &info);
        CHECK(info.heads == 0);
        p = tiny_params(data, v2, &lv);
        p.init_path = v1;
        p.epochs = 1;
        CHECKF(as_student_train(&p) == AS_OK, "fine-tune with heads: %s", as_last_error());
        as_student *m2 = as_student_load(v2);
        CHECK(m2 != NULL);
        as_student_get_info(m2, &info);
        CHECK(info.heads == 1);
        /* heads cannot be removed */
        p = tiny_params(data, v1, &lv);
        p.init_path = v2;
        p.no_heads = 1;
        p.epochs = 1;
        CHECK(as_student_train(&p) != AS_OK);
        CHECKF(strstr(as_last_error(), "heads") != NULL, "message: %s", as_last_error());
        as_student_destroy(m1), as_student_destroy(m2);
    }

    /* the nearest-pose loss: reported while on, 0 while off; a bad
     * temperature or jaw share is refused */
    {
        char pm[512];
        snprintf(pm, sizeof pm, "%s/pose.asnn", dir);
        losses lp = {{0}, 0, 0};
        double pose_on[2] = {-1.0, -1.0}, pose_off[2] = {-1.0, -1.0};
        p = tiny_params(data, pm, &lp);
        p.epochs = 8, p.w_pose = 0.5f, p.progress = on_pose, p.progress_user = pose_on;
        CHECKF(as_student_train(&p) == AS_OK, "train with the pose loss: %s", as_last_error());
        p.epochs = 2, p.w_pose = 0.0f, p.progress_user = pose_off;
        CHECK(as_student_train(&p) == AS_OK);
        CHECKF(isfinite(pose_on[1]) && pose_on[1] > 0.0 && pose_on[1] < pose_on[0],
               "pose loss %g after the first epoch, %g after the last", pose_on[0], pose_on[1]);
        CHECKF(pose_off[1] == 0.0, "pose loss %g while off", pose_off[1]);
        p.w_pose = 0.5f, p.pose_tau = 0.0f;
        CHECK(as_student_train(&p) == AS_ERR_RANGE);
        CHECKF(strstr(as_last_error(), "pose") != NULL, "message: %s", as_last_error());
        p.pose_tau = 0.005f, p.pose_jaw = 1.5f;
        CHECK(as_student_train(&p) == AS_ERR_RANGE);
        p.pose_jaw = 0.5f, p.no_heads = 1; /* the version 1 network has no poses to score */
        CHECK(as_student_train(&p) == AS_ERR_INVALID_ARG);
        CHECKF(strstr(as_last_error(), "no-heads") != NULL, "message: %s", as_last_error());
        printf("  pose loss (weight 0.5): %.3f after epoch 1, %.3f after epoch 8\n", pose_on[0], pose_on[1]);
    }

    /* 4. the commands */
    size_t n = 22050 * 2;
    float *pcm = malloc(n * 4);
    for (size_t i = 0; i < n; i++) pcm[i] = (float)(0.2 * sin(2.0 * 3.14159265 * 180.0 * i / 22050.0) * ((i / 4000) % 2));
    char wav[512];
    snprintf(wav, sizeof wav, "%s/speech.wav", dir);
    CHECK(as_wav_write(wav, pcm, n, 22050) == AS_OK);
    free(pcm);
    snprintf(cmd, sizeof cmd, "%s render %s -o %s/r --model %s --script '[0s joy:80] [1s sadness]' 2>&1", AS_CLI, wav,
             dir, out1);
    CHECKF(test_run(cmd, buf, sizeof buf) == 0, "render: %s", buf);
    char path[600];
    snprintf(path, sizeof path, "%s/r/anim.json", dir);
    as_anim an;
    CHECKF(as_anim_read(path, &an) == AS_OK, "anim.json: %s", as_last_error());
    CHECKF(an.num_frames == 60, "2 s at 30 fps = 60 frames (got %zu)", an.num_frames);
    CHECK(an.num_segments == 2);
    as_anim_clear(&an);
    snprintf(cmd, sizeof cmd, "%s render %s -o %s/r2 --script '[1s glee]' 2>&1", AS_CLI, wav, dir);
    int st = test_run(cmd, buf, sizeof buf);
    CHECKF(st == 2 && strstr(buf, "glee"), "a bad script: status %d, \"%s\"", st, buf);
    snprintf(cmd, sizeof cmd, "%s eval --data %s --model %s --repeats 2 --format json", AS_CLI, data, out1);
    st = test_run(cmd, buf, sizeof buf);
    CHECKF((st == 0 || st == 1) && strstr(buf, "\"jaw_pearson\""), "eval: status %d, \"%s\"", st, buf);
    CHECKF(strstr(buf, "\"families\": [{\"name\": \""), "eval: per-family figures in %s", buf);
    snprintf(cmd, sizeof cmd, "%s eval --data %s --model %s --split nope 2>&1", AS_CLI, data, out1);
    st = test_run(cmd, buf, sizeof buf);
    CHECKF(st == 2 && strstr(buf, "--split"), "eval --split nope: status %d, \"%s\"", st, buf);
    return test_finish("test_student_train");
}
