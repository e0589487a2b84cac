/* tools/cli.h — what the subcommands of the `animasync` command share: the
 * error exit, number parsing, and the table of subcommands. The command is
 * the one place that prints and exits; the library never does. */
#ifndef AS_TOOLS_CLI_H
#define AS_TOOLS_CLI_H

#include <stdio.h>

/* Exit status for bad input or usage (as the issues specify). */
#define CLI_EXIT_USAGE 2

/* Prints "animasync: error: <msg>" on stderr and exits with status 2. */
void cli_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Parses a float in [lo, hi] or dies naming the option. */
float cli_float(const char *opt, const char *s, float lo, float hi);
/* Parses an integer in [lo, hi] or dies naming the option. */
long cli_long(const char *opt, const char *s, long lo, long hi);
/* The value of an option that takes one (argv[i+1]); dies if it is missing. */
const char *cli_value(int argc, char **argv, int *i);
/* Prints s as a JSON string literal (quotes, escapes; UTF-8 passes through). */
void cli_json_string(FILE *out, const char *s);
/* 1 if argv[i] is -h or --help. */
int cli_is_help(const char *arg);
/* mkdir -p for one or more levels: 0, or -1 with errno set. */
int cli_make_dirs(const char *path);

typedef struct {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
} cli_command;

int cmd_compile(int argc, char **argv);
int cmd_emotions(int argc, char **argv);
int cmd_presets(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_say(int argc, char **argv);
int cmd_timeline(int argc, char **argv);
int cmd_voices(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_check_dataset(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_render(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_classify(int argc, char **argv);
int cmd_train_classifier(int argc, char **argv);

/* Options shared by say and timeline (tools/say_options.c). */
struct as_say_params_s;
typedef struct {
    const char *presets;   /* --presets FILE */
    int formats[4];        /* --format: which extra formats were asked for */
} cli_say_extra;
/* If argv[*i] is a shared option, consumes it (and its value) into p / extra
 * and returns 1; else returns 0. Dies on a bad value. */
int cli_say_option(int argc, char **argv, int *i, void *say_params, cli_say_extra *extra);
/* Help text of the shared options. */
extern const char *const cli_say_options_help;

#endif
