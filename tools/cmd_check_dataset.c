/* tools/cmd_check_dataset.c — `animasync check-dataset DIR`: the quality
 * contract over a generated dataset (as_dataset_check) and its class,
 * intensity, voice and duration histograms. Exits 1 if a metric fails. */
#include <string.h>

#include "animasync/animasync.h"
#include "animasync/dataset.h"
#include "cli.h"

static void help(void)
{
    puts("usage: animasync check-dataset DIR [--format text|json]\n\n"
         "Loads every finished shard of a dataset made by `animasync generate` and runs the\n"
         "quality contract over its targets: values valid, antagonist violations, temporal\n"
         "smoothness of the slow expression channels (worst clip), lip-sync preservation\n"
         "against the stored teacher, per-class distinctiveness of the expression targets,\n"
         "no validation/test voice family in training clips, manifest consistent with the\n"
         "shards. Prints class, intensity, voice and duration histograms.\n"
         "Exit status 0 if all pass, 1 if any fails, 2 on bad input.");
}

static void bar(size_t n, size_t max)
{
    int w = max ? (int)((double)n / (double)max * 40.0 + 0.5) : 0;
    for (int i = 0; i < w; i++) putchar('#');
}

static size_t max_of(const size_t *v, size_t n)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i] > m) m = v[i];
    return m;
}

static void print_text(const char *dir, const as_dataset_report *r)
{
    printf("dataset %s: %zu of %zu shards present, %zu clips (train %zu, validation %zu, test %zu), %.1f s of speech\n\n",
           dir, r->shards_present, r->shards_planned, r->clips, r->split_clips[AS_SPLIT_TRAIN],
           r->split_clips[AS_SPLIT_VALIDATION], r->split_clips[AS_SPLIT_TEST], r->audio_s);
    printf("%-38s %12s %4s %-10s %s\n", "metric", "value", "", "threshold", "result");
    for (int i = 0; i < r->contract.n; i++) {
        const as_metric *m = &r->contract.m[i];
        printf("%-38s %12.6g %4s %-10.6g %s  %s\n", m->name, m->value, m->upper_bound ? "<=" : ">", m->threshold,
               m->pass ? "pass" : "FAIL", m->detail);
    }
    size_t mf = max_of(r->class_frames, AS_NUM_EMOTIONS);
    printf("\nclasses: frames by dominant class of the conditioning, turns by label\n");
    for (int e = 0; e < AS_NUM_EMOTIONS; e++) {
        printf("  %-11s %8zu frames %6zu turns  ", as_emotion_name((as_emotion)e), r->class_frames[e], r->class_turns[e]);
        bar(r->class_frames[e], mf);
        putchar('\n');
    }
    size_t ml = max_of(r->level_turns, AS_NUM_LEVELS);
    printf("\nintensity levels (turns)\n");
    for (int l = 0; l < AS_NUM_LEVELS; l++) {
        printf("  L%d %8zu  ", l + 1, r->level_turns[l]);
        bar(r->level_turns[l], ml);
        putchar('\n');
    }
    size_t mv = max_of(r->family_clips, r->n_families);
    printf("\nvoice families (clips)\n");
    for (size_t f = 0; f < r->n_families; f++) {
        printf("  %-14s %-10s %7zu  ", r->family_names[f], as_split_name(r->family_split[f]), r->family_clips[f]);
        bar(r->family_clips[f], mv);
        putchar('\n');
    }
    size_t md = max_of(r->duration_clips, AS_DATASET_DURATION_BINS);
    printf("\ndurations (clips)\n");
    for (int b = 0; b < AS_DATASET_DURATION_BINS; b++) {
        if (b + 1 < AS_DATASET_DURATION_BINS) printf("  %2d-%-2d s %7zu  ", b, b + 1, r->duration_clips[b]);
        else printf("  >=%-2d s  %7zu  ", b, r->duration_clips[b]);
        bar(r->duration_clips[b], md);
        putchar('\n');
    }
    if (r->shards_present < r->shards_planned)
        printf("\nnote: %zu planned shards are not made yet (another --shard slice, or an interrupted run)\n",
               r->shards_planned - r->shards_present);
    printf("\n%s\n", r->contract.all_pass ? "all metrics pass" : "SOME METRICS FAIL");
}

static void print_counts(const size_t *v, size_t n, const char *(*name)(int))
{
    fputs("{", stdout);
    for (size_t i = 0; i < n; i++) {
        printf("%s", i ? ", " : "");
        cli_json_string(stdout, name((int)i));
        printf(": %zu", v[i]);
    }
    fputs("}", stdout);
}

static const char *emotion_name_int(int e) { return as_emotion_name((as_emotion)e); }

static void print_json(const char *dir, const as_dataset_report *r)
{
    fputs("{\"dir\": ", stdout);
    cli_json_string(stdout, dir);
    printf(", \"shards\": {\"planned\": %zu, \"present\": %zu}, \"clips\": %zu, \"audio_s\": %.3f, "
           "\"feature_frames\": %zu, \"anim_frames\": %zu,\n \"splits\": {\"train\": %zu, \"validation\": %zu, "
           "\"test\": %zu},\n \"metrics\": [",
           r->shards_planned, r->shards_present, r->clips, r->audio_s, r->feat_frames, r->anim_frames,
           r->split_clips[AS_SPLIT_TRAIN], r->split_clips[AS_SPLIT_VALIDATION], r->split_clips[AS_SPLIT_TEST]);
    for (int i = 0; i < r->contract.n; i++) {
        const as_metric *m = &r->contract.m[i];
        printf("%s\n  {\"name\": \"%s\", \"value\": %.6g, \"threshold\": %.6g, \"bound\": \"%s\", \"pass\": %s, "
               "\"detail\": ",
               i ? "," : "", m->name, m->value, m->threshold, m->upper_bound ? "<=" : ">", m->pass ? "true" : "false");
        cli_json_string(stdout, m->detail);
        fputs("}", stdout);
    }
    fputs("],\n \"class_frames\": ", stdout);
    print_counts(r->class_frames, AS_NUM_EMOTIONS, emotion_name_int);
    fputs(",\n \"class_turns\": ", stdout);
    print_counts(r->class_turns, AS_NUM_EMOTIONS, emotion_name_int);
    fputs(",\n \"level_turns\": [", stdout);
    for (int l = 0; l < AS_NUM_LEVELS; l++) printf("%s%zu", l ? ", " : "", r->level_turns[l]);
    fputs("],\n \"family_clips\": {", stdout);
    for (size_t f = 0; f < r->n_families; f++) {
        printf("%s", f ? ", " : "");
        cli_json_string(stdout, r->family_names[f]);
        printf(": {\"split\": \"%s\", \"clips\": %zu}", as_split_name(r->family_split[f]), r->family_clips[f]);
    }
    fputs("},\n \"duration_clips\": [", stdout);
    for (int b = 0; b < AS_DATASET_DURATION_BINS; b++) printf("%s%zu", b ? ", " : "", r->duration_clips[b]);
    printf("],\n \"pass\": %s}\n", r->contract.all_pass ? "true" : "false");
}

int cmd_check_dataset(int argc, char **argv)
{
    const char *dir = NULL, *format = "text";
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) { help(); return 0; }
        else if (!strcmp(argv[i], "--format")) format = cli_value(argc, argv, &i);
        else if (argv[i][0] == '-') cli_die("check-dataset: unknown option \"%s\" (see --help)", argv[i]);
        else if (!dir) dir = argv[i];
        else cli_die("check-dataset: one directory only (got \"%s\" and \"%s\")", dir, argv[i]);
    }
    int json = !strcmp(format, "json");
    if (!json && strcmp(format, "text")) cli_die("--format: \"%s\" is not text or json", format);
    if (!dir) cli_die("check-dataset: which dataset? (animasync check-dataset DIR)");
    static as_dataset_report rep; /* large: keep it off the stack */
    if (as_dataset_check(dir, &rep) != AS_OK) cli_die("%s", as_last_error());
    if (json) print_json(dir, &rep);
    else print_text(dir, &rep);
    return rep.contract.all_pass ? 0 : 1;
}
