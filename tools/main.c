/* tools/main.c — the `animasync` command: dispatches to one subcommand per
 * file (tools/cmd_*.c) and holds the helpers they share. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "animasync/animasync.h"
#include "cli.h"

static const cli_command commands[] = {
    {"say", "text with emotion tags -> speech.wav + 52-channel animation", cmd_say},
    {"timeline", "text with emotion tags over a duration -> expression-only animation", cmd_timeline},
    {"voices", "list the voices of espeak-ng and flite", cmd_voices},
    {"compile", "one face: emotion (+ level/intensity, VAD, strength) -> 52 ARKit weights", cmd_compile},
    {"emotions", "list the emotion classes, families, VAD anchors and lexicon", cmd_emotions},
    {"presets", "export the active preset bank", cmd_presets},
    {"check", "run the quality contract over the engine", cmd_check},
    {"serve", "local HTTP server: browser player, preset editor and a JSON API", cmd_serve},
    {"generate", "make training data: augmented audio features, conditioning, target faces", cmd_generate},
    {"check-dataset", "run the quality contract over a generated dataset, with histograms", cmd_check_dataset},
    {"train", "train the student network (audio + emotion -> 52 weights) on a generated dataset", cmd_train},
    {"render", "speech audio (WAV/FLAC/OGG) -> animation, no transcript: the student network", cmd_render},
    {"eval", "lip-sync and emotion metrics of a student model on a dataset's held-out voices", cmd_eval},
    {"classify", "text (with context) -> emotion class probabilities + V, A, D", cmd_classify},
    {"train-classifier", "train / evaluate / ship the text emotion classifier", cmd_train_classifier},
};
static const size_t n_commands = sizeof commands / sizeof commands[0];

void cli_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("animasync: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(CLI_EXIT_USAGE);
}

float cli_float(const char *opt, const char *s, float lo, float hi)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno) cli_die("%s: \"%s\" is not a number", opt, s);
    if (!(v >= lo && v <= hi)) cli_die("%s: %s is outside %g..%g", opt, s, (double)lo, (double)hi);
    return (float)v;
}

long cli_long(const char *opt, const char *s, long lo, long hi)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno) cli_die("%s: \"%s\" is not a whole number", opt, s);
    if (v < lo || v > hi) cli_die("%s: %s is outside %ld..%ld", opt, s, lo, hi);
    return v;
}

const char *cli_value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) cli_die("%s needs a value (see --help)", argv[*i]);
    return argv[++*i];
}

void cli_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') fprintf(out, "\\%c", ch);
        else if (ch < 0x20) fprintf(out, "\\u%04x", ch);
        else fputc(ch, out);
    }
    fputc('"', out);
}

int cli_is_help(const char *arg) { return !strcmp(arg, "-h") || !strcmp(arg, "--help"); }

int cli_make_dirs(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
            *p = '/';
        }
    return (mkdir(buf, 0777) == 0 || errno == EEXIST) ? 0 : -1;
}

static void usage(FILE *out)
{
    fprintf(out,
            "animasync %s — speech and emotion to 52 ARKit blendshape weights at 30 fps\n\n"
            "usage: animasync <command> [options]   (animasync <command> --help for its options)\n\n"
            "commands:\n",
            as_version());
    for (size_t i = 0; i < n_commands; i++) fprintf(out, "  %-16s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n  --version        print the version\n  --help           this text\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (cli_is_help(argv[1]) || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("animasync %s\n", as_version());
        return 0;
    }
    for (size_t i = 0; i < n_commands; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "animasync: error: unknown command \"%s\" (animasync --help lists them)\n", argv[1]);
    return CLI_EXIT_USAGE;
}
