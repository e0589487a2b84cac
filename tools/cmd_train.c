/* tools/cmd_train.c — `animasync train`: trains the student network on a
 * dataset of `animasync generate` and writes its weight file (and, with
 * --emit-c, the C source that builds it into the library). Prints one
 * progress line per epoch with the losses and the validation figures. */
#include <stdlib.h>
#include <string.h>

#include "animasync/animasync.h"
#include "cli.h"

static void help(void)
{
    printf("usage: animasync train --data DIR -o FILE [options]\n\n"
           "Trains the student network (audio features + emotion -> 52 weights) on a\n"
           "dataset made by `animasync generate`, validating on its held-out voices after\n"
           "every epoch. docs/MODEL.md gives the recipe of the shipped model.\n\n"
           "  --data DIR            the dataset directory\n"
           "  -o, --out FILE        the trained weight file\n"
           "  --checkpoint FILE     checkpoint written after every epoch (default FILE.ckpt)\n"
           "  --resume              continue from the checkpoint when it exists\n"
           "  --emit-c FILE         also write the weights as C source (the shipped default)\n"
           "  --init FILE           fine-tune: start from this model (its layout and statistics)\n"
           "  --warmup N            warm-up steps (default 200)\n"
           "  --lr-min X            final learning rate (default 5e-5)\n"
           "  --lookahead MS        network look-ahead: 0, 50 or 100 (default 100)\n"
           "  --epochs N            default 20; 0 with --init rewrites that model (e.g. with --emit-c)\n"
           "  --batch N             sequences per step, even (default 16)\n"
           "  --seq-frames N        frames per sequence (default 128)\n"
           "  --lr X                peak learning rate (default 0.002)\n"
           "  --hidden N            trunk channels (default 80)\n"
           "  --layers N            convolution layers (default 5)\n"
           "  --anchor-weight X     anchor-snap loss weight (default 4)\n"
           "  --closure-weight X    L1 weight of mouthClose and mouthPress (default 4)\n"
           "  --consistency-weight X consistency loss weight (default 1)\n"
           "  --viseme-weight X     cross-entropy weight of the viseme head (default 0.3)\n"
           "  --closure-head-weight X cross-entropy weight of the closure head (default 1)\n"
           "  --pose-weight X       nearest-pose loss weight (default 0: off)\n"
           "  --pose-tau X          its temperature (default 0.005)\n"
           "  --pose-jaw X          share of its gradient the jaw takes, 0..1 (default 0.5)\n"
           "  --no-heads            the version 1 network: no viseme and closure heads\n"
           "  --threads N           worker threads (default 1; the result does not depend on it)\n"
           "  --seed N              default 1\n"
           "  --max-clips N         use at most N training clips (0 = all)\n"
           "  --max-val-clips N     validation clips per epoch (0 = all)\n");
}

static int progress(const as_train_progress *p, void *user)
{
    (void)user;
    printf("epoch %3d/%d  step %6ld/%ld  lr %.2e  loss %.4f (l1 %.4f vel %.4f acc %.4f anchor %.4f cons %.4f "
           "vis %.3f clo %.3f pose %.3f)  |g| %.2f",
           p->epoch, p->epochs, p->step, p->steps, p->lr, p->loss, p->l1, p->velocity, p->acceleration, p->anchor,
           p->consistency, p->viseme, p->closure, p->pose, p->grad_norm);
    if (p->has_validation)
        printf("  | val jaw r %.3f  viseme %.1f%%  closures %.1f%%  lipsync L1 %.4f  anchor max %.3f  "
               "distinct %.3f/%.3f  smooth %.4f",
               p->val.jaw_pearson, 100.0 * p->val.viseme_accuracy, 100.0 * p->val.closure_rate, p->val.lipsync_l1,
               p->val.anchor_max_error, p->val.distinct_across, p->val.distinct_within, p->val.smoothness);
    printf("  | %.0f s%s%s\n", p->elapsed_s, p->epoch == 1 ? "  blas " : "", p->epoch == 1 ? p->blas_core : "");
    fflush(stdout);
    return 0;
}

int cmd_train(int argc, char **argv)
{
    as_train_params p = as_train_default_params();
    const char *ckpt = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) { help(); return 0; }
        else if (!strcmp(a, "--data")) p.data_dir = cli_value(argc, argv, &i);
        else if (!strcmp(a, "-o") || !strcmp(a, "--out")) p.out_path = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--checkpoint")) ckpt = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--resume")) p.resume = 1;
        else if (!strcmp(a, "--emit-c")) p.emit_c = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--init")) p.init_path = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--warmup")) p.warmup_steps = (int)cli_long(a, cli_value(argc, argv, &i), 0, 1000000);
        else if (!strcmp(a, "--lr-min")) p.lr_min = cli_float(a, cli_value(argc, argv, &i), 0.0f, 1.0f);
        else if (!strcmp(a, "--lookahead")) {
            p.lookahead_ms = (int)cli_long(a, cli_value(argc, argv, &i), 0, 100);
            if (p.lookahead_ms != 0 && p.lookahead_ms != 50 && p.lookahead_ms != 100)
                cli_die("--lookahead: %d is not 0, 50 or 100", p.lookahead_ms);
        } else if (!strcmp(a, "--epochs")) p.epochs = (int)cli_long(a, cli_value(argc, argv, &i), 0, 1000);
        else if (!strcmp(a, "--batch")) p.batch = (int)cli_long(a, cli_value(argc, argv, &i), 2, 256);
        else if (!strcmp(a, "--seq-frames")) p.seq_frames = (int)cli_long(a, cli_value(argc, argv, &i), 16, 1024);
        else if (!strcmp(a, "--lr")) p.lr = cli_float(a, cli_value(argc, argv, &i), 1e-6f, 1.0f);
        else if (!strcmp(a, "--hidden")) p.hidden = (int)cli_long(a, cli_value(argc, argv, &i), 4, 1024);
        else if (!strcmp(a, "--layers")) p.layers = (int)cli_long(a, cli_value(argc, argv, &i), 1, 8);
        else if (!strcmp(a, "--closure-weight")) p.w_closure = cli_float(a, cli_value(argc, argv, &i), 0.0f, 1000.0f);
        else if (!strcmp(a, "--anchor-weight")) p.w_anchor = cli_float(a, cli_value(argc, argv, &i), 0.0f, 1000.0f);
        else if (!strcmp(a, "--consistency-weight"))
            p.w_consistency = cli_float(a, cli_value(argc, argv, &i), 0.0f, 1000.0f);
        else if (!strcmp(a, "--viseme-weight")) p.w_viseme = cli_float(a, cli_value(argc, argv, &i), 0.0f, 1000.0f);
        else if (!strcmp(a, "--closure-head-weight"))
            p.w_closure_head = cli_float(a, cli_value(argc, argv, &i), 0.0f, 1000.0f);
        else if (!strcmp(a, "--pose-weight")) p.w_pose = cli_float(a, cli_value(argc, argv, &i), 0.0f, 1000.0f);
        else if (!strcmp(a, "--pose-jaw")) p.pose_jaw = cli_float(a, cli_value(argc, argv, &i), 0.0f, 1.0f);
        else if (!strcmp(a, "--pose-tau")) p.pose_tau = cli_float(a, cli_value(argc, argv, &i), 1e-5f, 10.0f);
        else if (!strcmp(a, "--no-heads")) p.no_heads = 1;
        else if (!strcmp(a, "--threads")) p.threads = (int)cli_long(a, cli_value(argc, argv, &i), 1, 64);
        else if (!strcmp(a, "--seed")) p.seed = (uint64_t)cli_long(a, cli_value(argc, argv, &i), 0, 2147483647L);
        else if (!strcmp(a, "--max-clips")) p.max_train_clips = (size_t)cli_long(a, cli_value(argc, argv, &i), 0, 100000000L);
        else if (!strcmp(a, "--max-val-clips")) p.max_val_clips = (size_t)cli_long(a, cli_value(argc, argv, &i), 0, 100000000L);
        else cli_die("train: unknown option \"%s\" (see --help)", a);
    }
    if (!p.data_dir) cli_die("train: --data DIR is required (see --help)");
    if (!p.out_path) cli_die("train: -o FILE is required (see --help)");
    if (p.lr_min > p.lr) p.lr_min = p.lr;
    static char ckpt_buf[4200];
    if (!ckpt) {
        snprintf(ckpt_buf, sizeof ckpt_buf, "%s.ckpt", p.out_path);
        ckpt = ckpt_buf;
    }
    p.checkpoint = ckpt;
    /* the command line, for the generated C source's first line */
    static char cmd[2048];
    size_t len = (size_t)snprintf(cmd, sizeof cmd, "animasync");
    for (int i = 0; i < argc && len < sizeof cmd; i++) len += (size_t)snprintf(cmd + len, sizeof cmd - len, " %s", argv[i]);
    p.command_line = cmd;
    p.progress = progress;
    if (as_student_train(&p) != AS_OK) cli_die("%s", as_last_error());
    fprintf(stderr, "wrote %s%s%s\n", p.out_path, p.emit_c ? " and " : "", p.emit_c ? p.emit_c : "");
    return 0;
}
