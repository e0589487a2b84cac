/* tools/cmd_generate.c — `animasync generate`: makes (or completes) a
 * training dataset with as_dataset_generate, showing a progress bar with
 * rate and ETA on stderr. Ctrl-C stops after the clips in flight (finished
 * shards stay; a re-run resumes); a second Ctrl-C stops at once. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "animasync/animasync.h"
#include "animasync/dataset.h"
#include "cli.h"

static void help(void)
{
    puts("usage: animasync generate --scenarios PATH --out DIR [--clips N] [--jobs J] [--seed S]\n"
         "                          [--shard K/N] [--shard-size N] [--validation-fraction F]\n"
         "                          [--test-fraction F] [--max-turns 1..3] [--speed LO,HI] [--quiet]\n\n"
         "Makes training data for the student network: per clip, a run of 1..3 turns of one\n"
         "scenario spoken by a random voice, augmented audio features (100 Hz), emotion\n"
         "conditioning and the merged 52-channel face (30 fps). Writes DIR/meta.json, one\n"
         "directory of .npy files per shard, and DIR/manifest.jsonl (docs/DATASET.md).\n\n"
         "  --scenarios PATH        the corpus (a directory like data/scenarios, or one .jsonl)\n"
         "  --out DIR               output directory (created if missing)\n"
         "  --clips N               clips in the whole dataset (default 1000)\n"
         "  --jobs J                worker processes, 1..64 (default 1)\n"
         "  --seed S                everything random follows from it (default 1)\n"
         "  --shard K/N             make only shards K, K+N, K+2N, ... (1-based, of meta.json's list)\n"
         "  --shard-size N          clips per shard (default 256)\n"
         "  --validation-fraction F share of clips for validation, 0..0.5 (default 0.05)\n"
         "  --test-fraction F       share of clips for test, 0..0.5 (default 0.05)\n"
         "  --max-turns N           longest run of turns in a clip, 1..3 (default 3)\n"
         "  --speed LO,HI           speed perturbation of training clips, 0.7..1.4: each plays\n"
         "                          s times faster, s uniform in LO..HI, formants and pitch\n"
         "                          scaled by s, timings by 1/s (default 1,1: off)\n"
         "  --quiet                 no progress bar\n\n"
         "Deterministic: the same command gives byte-identical shards, whatever --jobs.\n"
         "Resumable: finished shards are skipped, so re-run the same command after an\n"
         "interruption. Validation and test clips are spoken only by held-out voice families\n"
         "(meta.json \"voice_split\").");
}

/* "LO,HI" (or one number for both), each 0.7..1.4, LO <= HI. */
static void parse_speed(const char *s, float *lo, float *hi)
{
    char *end;
    double a = strtod(s, &end), b = a;
    if (end != s && *end == ',') {
        const char *t = end + 1;
        b = strtod(t, &end);
        if (end == t) end = (char *)s;
    }
    if (end == s || *end || !(a >= 0.7 && b <= 1.4 && a <= b))
        cli_die("--speed: \"%s\" is not LO,HI with 0.7 <= LO <= HI <= 1.4", s);
    *lo = (float)a;
    *hi = (float)b;
}

static volatile sig_atomic_t interrupted = 0;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
    signal(SIGINT, SIG_DFL); /* a second Ctrl-C ends the process */
}

typedef struct {
    int quiet;
    int tty;
    double last_print;
} progress_state;

/* Library warnings (a redrawn clip, a leftover removed) go to stderr on a
 * line of their own, above the progress bar. */
static void on_log(as_log_level level, const char *msg, void *user)
{
    const progress_state *ps = user;
    if (level > AS_LOG_WARN || ps->quiet) return;
    fprintf(stderr, "%sanimasync: %s: %s\n", ps->tty ? "\r\033[K" : "", level == AS_LOG_ERROR ? "error" : "warning", msg);
}

static void format_eta(char *buf, size_t n, double s)
{
    if (!(s >= 0) || s > 360000) { snprintf(buf, n, "--"); return; }
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(buf, n, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else if (t >= 60) snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
    else snprintf(buf, n, "%lds", t);
}

static int on_progress(const as_generate_progress *p, void *user)
{
    progress_state *ps = user;
    if (ps->quiet) return interrupted;
    int final = p->clips_done == p->clips_total;
    /* Not a terminal (a log file): one line every 10 s and the last. */
    if (!ps->tty && !final && p->elapsed_s - ps->last_print < 10.0) return interrupted;
    ps->last_print = p->elapsed_s;
    double frac = p->clips_total ? (double)p->clips_done / (double)p->clips_total : 1.0;
    double rate = p->elapsed_s > 0 ? (double)p->clips_done / p->elapsed_s : 0.0;
    char eta[32];
    format_eta(eta, sizeof eta, rate > 0 ? (double)(p->clips_total - p->clips_done) / rate : -1.0);
    char bar[31];
    int filled = (int)(frac * 30.0);
    for (int i = 0; i < 30; i++) bar[i] = i < filled ? '#' : '.';
    bar[30] = 0;
    fprintf(stderr, "%s[%s] %zu/%zu clips %5.1f%%  shards %zu/%zu  %.1f clips/s (%.0f/h)  ETA %s   %s",
            ps->tty ? "\r" : "", bar, p->clips_done, p->clips_total, 100.0 * frac, p->shards_done, p->shards_total,
            rate, rate * 3600.0, eta, ps->tty ? "" : "\n");
    fflush(stderr);
    return interrupted;
}

static void parse_shard(const char *s, int *k, int *n)
{
    char *end;
    long a = strtol(s, &end, 10);
    if (end == s || *end != '/') cli_die("--shard: \"%s\" is not K/N (e.g. 1/4)", s);
    const char *t = end + 1;
    long b = strtol(t, &end, 10);
    if (end == t || *end) cli_die("--shard: \"%s\" is not K/N (e.g. 1/4)", s);
    if (b < 1 || b > 100000) cli_die("--shard: N = %ld is outside 1..100000", b);
    if (a < 1 || a > b) cli_die("--shard: K = %ld is outside 1..%ld (K counts from 1)", a, b);
    *k = (int)a;
    *n = (int)b;
}

/* The command line as typed (arguments with spaces or quotes quoted). */
static char *join_command(int argc, char **argv)
{
    size_t n = strlen("animasync") + 1;
    for (int i = 0; i < argc; i++) n += 3 + 2 * strlen(argv[i]);
    char *s = malloc(n), *p = s;
    if (!s) return NULL;
    p += sprintf(p, "animasync");
    for (int i = 0; i < argc; i++) {
        int quote = argv[i][0] == 0 || strpbrk(argv[i], " \t\"'\\$") != NULL;
        *p++ = ' ';
        if (quote) *p++ = '\'';
        for (const char *c = argv[i]; *c; c++) {
            if (quote && *c == '\'') { memcpy(p, "'\\''", 4); p += 4; }
            else *p++ = *c;
        }
        if (quote) *p++ = '\'';
    }
    *p = 0;
    return s;
}

int cmd_generate(int argc, char **argv)
{
    as_generate_params gp = as_generate_default_params();
    progress_state ps = {0, 0, -1e9};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) { help(); return 0; }
        else if (!strcmp(a, "--scenarios")) gp.scenarios = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--out") || !strcmp(a, "-o")) gp.out_dir = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--clips")) gp.clips = (size_t)cli_long(a, cli_value(argc, argv, &i), 1, 100000000);
        else if (!strcmp(a, "--jobs") || !strcmp(a, "-j")) gp.jobs = (int)cli_long(a, cli_value(argc, argv, &i), 1, 64);
        else if (!strcmp(a, "--seed")) {
            const char *v = cli_value(argc, argv, &i);
            char *end;
            unsigned long long s = strtoull(v, &end, 10);
            if (end == v || *end || v[0] == '-') cli_die("--seed: \"%s\" is not a whole number >= 0", v);
            gp.seed = (uint64_t)s;
        }
        else if (!strcmp(a, "--shard")) parse_shard(cli_value(argc, argv, &i), &gp.shard_k, &gp.shard_n);
        else if (!strcmp(a, "--shard-size")) gp.shard_clips = (size_t)cli_long(a, cli_value(argc, argv, &i), 1, 100000);
        else if (!strcmp(a, "--validation-fraction")) gp.validation_fraction = cli_float(a, cli_value(argc, argv, &i), 0, 0.5f);
        else if (!strcmp(a, "--test-fraction")) gp.test_fraction = cli_float(a, cli_value(argc, argv, &i), 0, 0.5f);
        else if (!strcmp(a, "--max-turns")) gp.max_turns = (int)cli_long(a, cli_value(argc, argv, &i), 1, AS_DATASET_MAX_TURNS);
        else if (!strcmp(a, "--speed")) parse_speed(cli_value(argc, argv, &i), &gp.speed_min, &gp.speed_max);
        else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) ps.quiet = 1;
        else cli_die("generate: unknown option \"%s\" (see --help)", a);
    }
    if (!gp.scenarios) cli_die("generate: --scenarios PATH is required (e.g. data/scenarios)");
    if (!gp.out_dir) cli_die("generate: --out DIR is required");
    char *cmdline = join_command(argc, argv); /* argv[0] is "generate" */
    gp.command_line = cmdline;
    ps.tty = isatty(STDERR_FILENO);
    gp.progress = on_progress;
    gp.progress_user = &ps;
    as_log_set(on_log, &ps);
    signal(SIGINT, on_sigint);
    as_generate_report rep;
    as_result r = as_dataset_generate(&gp, &rep);
    signal(SIGINT, SIG_DFL);
    free(cmdline);
    if (!ps.quiet && ps.tty && rep.shards_in_slice > rep.shards_skipped) fputc('\n', stderr);
    if (r != AS_OK) {
        if (interrupted) {
            fprintf(stderr, "animasync: interrupted: %zu shards finished stay in %s; run the same command to resume\n",
                    rep.shards_made, gp.out_dir);
            return 130;
        }
        /* Data-quality and I/O failures are not usage errors, but the
         * message says what and where either way. */
        fprintf(stderr, "animasync: error: %s\n", as_last_error());
        return r == AS_ERR_RANGE || r == AS_ERR_INVALID_ARG || r == AS_ERR_PARSE ? CLI_EXIT_USAGE : 1;
    }
    double rate = rep.elapsed_s > 0 ? (double)rep.clips_made / rep.elapsed_s * 3600.0 : 0.0;
    printf("%s: %zu of %zu shards made, %zu already finished (slice %d/%d); %zu clips, %.1f s of speech, in %.1f s",
           gp.out_dir, rep.shards_made, rep.shards_planned, rep.shards_skipped, gp.shard_k, gp.shard_n,
           rep.clips_made, rep.audio_s, rep.elapsed_s);
    if (rep.clips_made) printf(" (%.0f clips/hour)", rate);
    if (rep.clip_retries) printf("; %zu clips redrawn after a synthesis failure", rep.clip_retries);
    putchar('\n');
    return 0;
}
