/* tools/cmd_eval.c — `animasync eval`: the student's quality figures on a
 * dataset's validation or test voices (never heard in training), against
 * the targets of issue 6; exit 1 when a target is missed. */
#include <string.h>

#include "animasync/animasync.h"
#include "cli.h"

static void help(void)
{
    printf("usage: animasync eval --data DIR [--model FILE] [--split test|validation|train] [--max-clips N]\n"
           "                      [--repeats N] [--format text|json]\n\n"
           "Runs the student network (the built-in one, or --model FILE) over the clips of\n"
           "one held-out split of a dataset made by `animasync generate` (default test;\n"
           "train shows how much is lost on voices never heard) and prints the lip-sync\n"
           "figures (jawOpen Pearson r, viseme accuracy, bilabial closures, L1), overall and\n"
           "per voice family, and the emotion figures at the 46 preset anchors with silent\n"
           "audio (max error, variance over repeated runs, distinctiveness, smoothness).\n"
           "docs/MODEL.md defines each. Exit status 1 when a target is missed.\n");
}

typedef struct {
    const char *name;
    double value, bound;
    int upper; /* 1: value <= bound */
} row;

int cmd_eval(int argc, char **argv)
{
    const char *data = NULL, *model = NULL, *fmt = "text";
    as_split split = AS_SPLIT_TEST;
    size_t max_clips = 0;
    int repeats = 100;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) { help(); return 0; }
        else if (!strcmp(a, "--data")) data = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--model")) model = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--split")) {
            const char *s = cli_value(argc, argv, &i);
            if (!strcmp(s, "test")) split = AS_SPLIT_TEST;
            else if (!strcmp(s, "validation")) split = AS_SPLIT_VALIDATION;
            else if (!strcmp(s, "train")) split = AS_SPLIT_TRAIN;
            else cli_die("--split: \"%s\" is not test, validation or train", s);
        } else if (!strcmp(a, "--max-clips")) max_clips = (size_t)cli_long(a, cli_value(argc, argv, &i), 0, 100000000L);
        else if (!strcmp(a, "--repeats")) repeats = (int)cli_long(a, cli_value(argc, argv, &i), 0, 10000);
        else if (!strcmp(a, "--format")) {
            fmt = cli_value(argc, argv, &i);
            if (strcmp(fmt, "text") && strcmp(fmt, "json")) cli_die("--format: \"%s\" is not text or json", fmt);
        } else cli_die("eval: unknown option \"%s\" (see --help)", a);
    }
    if (!data) cli_die("eval: --data DIR is required (see --help)");
    as_student *own = NULL;
    if (model && !(own = as_student_load(model))) cli_die("%s", as_last_error());
    const as_student *m = own ? own : as_student_default();
    if (!m) cli_die("%s", as_last_error());
    as_student_eval_report r;
    if (as_student_eval(m, data, split, max_clips, repeats, &r) != AS_OK) cli_die("%s", as_last_error());
    as_student_info info;
    as_student_get_info(m, &info);
    const row rows[] = {
        {"jaw_pearson", r.jaw_pearson, 0.85, 0},
        {"viseme_accuracy", r.viseme_accuracy, 0.70, 0},
        {"closure_rate", r.closure_rate, 0.90, 0},
        {"anchor_max_error", r.anchor_max_error, 0.05, 1},
        {"repeat_variance", r.repeat_variance, 0.01, 1},
        {"distinct_across", r.distinct_across, 0.3, 0},
        {"distinct_within", r.distinct_within, 0.1, 0},
        {"smoothness", r.smoothness, 0.015, 1},
    };
    int n = (int)(sizeof rows / sizeof rows[0]), fails = 0;
    int json = !strcmp(fmt, "json");
    if (json) printf("{\"model\": {\"params\": %zu, \"lookahead_ms\": %.1f}, \"split\": \"%s\", \"clips\": %zu, \"frames\": %zu,"
                     " \"closures\": %zu, \"lipsync_l1\": %.5f, \"expression_l1\": %.5f, \"all_l1\": %.5f,"
                     " \"jaw_pearson_teacher\": %.4f, \"viseme_teacher_late\": %.4f, \"viseme_within_one\": %.4f,"
                     " \"viseme_target\": %.4f, \"viseme_head\": %.4f, \"viseme_stable\": %.4f, \"metrics\": [",
                     info.n_params, info.lookahead_ms, as_split_name(split), r.clips, r.frames, r.closures,
                     r.lipsync_l1, r.expression_l1, r.all_l1, r.jaw_pearson_teacher, r.viseme_teacher_late,
                     r.viseme_within_one, r.viseme_target, r.viseme_head, r.viseme_stable);
    else
        printf("student: %zu parameters, look-ahead %.0f ms (+40 ms features), %s; %s split: %zu clips, %zu frames\n",
               info.n_params, info.lookahead_ms, info.heads ? "viseme and closure heads" : "no heads (version 1)",
               as_split_name(split), r.clips, r.frames);
    for (int k = 0; k < n; k++) {
        int pass = rows[k].upper ? rows[k].value <= rows[k].bound : rows[k].value >= rows[k].bound;
        if (rows[k].name[0] == 'd' && !rows[k].upper) pass = rows[k].value > rows[k].bound;
        fails += !pass;
        if (json)
            printf("%s{\"name\": \"%s\", \"value\": %.6g, \"bound\": %g, \"upper\": %s, \"pass\": %s}", k ? ", " : "",
                   rows[k].name, rows[k].value, rows[k].bound, rows[k].upper ? "true" : "false", pass ? "true" : "false");
        else
            printf("  %-19s %10.4f  %s %-6g %s\n", rows[k].name, rows[k].value, rows[k].upper ? "<=" : ">=",
                   rows[k].bound, pass ? "ok" : "MISSED");
    }
    if (json) {
        printf("], \"families\": [");
        for (size_t f = 0; f < r.n_families; f++)
            printf("%s{\"name\": \"%s\", \"clips\": %zu, \"frames\": %zu, \"closures\": %zu, \"jaw_pearson\": %.4f,"
                   " \"viseme_accuracy\": %.4f, \"viseme_head\": %.4f, \"closure_rate\": %.4f}",
                   f ? ", " : "", r.family[f].name, r.family[f].clips, r.family[f].frames, r.family[f].closures,
                   r.family[f].jaw_pearson, r.family[f].viseme_accuracy, r.family[f].viseme_head,
                   r.family[f].closure_rate);
        printf("]}\n");
    } else {
        printf("  %-19s %10.4f  (against the lip-sync teacher alone)\n", "jaw_pearson_teach", r.jaw_pearson_teacher);
        printf("  %-19s %10.4f  (reference: the teacher itself one frame late)\n", "viseme_teacher_late",
               r.viseme_teacher_late);
        printf("  %-19s %10.4f  (the teacher's pose within one frame)\n", "viseme_within_one", r.viseme_within_one);
        printf("  %-19s %10.4f  (reference: the target itself, what an exact network would score)\n",
               "viseme_target", r.viseme_target);
        if (info.heads)
            printf("  %-19s %10.4f  (the viseme head's most likely pose, before the face is built)\n", "viseme_head",
                   r.viseme_head);
        printf("  %-19s %10.4f  (on the %.0f %% of frames with no transition)\n", "viseme_stable", r.viseme_stable,
               100.0 * r.stable_share);
        printf("  %-19s %10.4f / %.4f  (against the teacher one frame earlier / later)\n", "viseme_shifted",
               r.viseme_vs_earlier, r.viseme_vs_later);
        printf("  %-19s %10zu\n", "closures", r.closures);
        printf("  %-19s %10.4f\n  %-19s %10.4f\n  %-19s %10.4f\n", "lipsync_l1", r.lipsync_l1, "expression_l1",
               r.expression_l1, "all_l1", r.all_l1);
        printf("  %-19s %6s %7s %7s %8s %8s\n", "by voice family", "clips", "frames", "jaw r", "viseme", "closures");
        for (size_t f = 0; f < r.n_families; f++)
            printf("    %-17s %6zu %7zu %7.3f %7.1f%% %7.1f%% of %zu\n", r.family[f].name,
                   r.family[f].clips, r.family[f].frames, r.family[f].jaw_pearson,
                   100.0 * r.family[f].viseme_accuracy, 100.0 * r.family[f].closure_rate, r.family[f].closures);
        printf("  worst anchor: %s; %.1f s\n", r.anchor_worst, r.seconds);
    }
    as_student_destroy(own);
    return fails ? 1 : 0;
}
