/* tools/cmd_voices.c — `animasync voices`: the voices of both TTS engines. */
#include <string.h>

#include "animasync/engine.h"
#include "cli.h"

static void help(void)
{
    puts("usage: animasync voices [--engine espeak|flite] [--format text|json]\n\n"
         "Lists the voices of espeak-ng and flite. Pass a name to `say --voice`.\n"
         "espeak-ng voices take a variant after '+' (en-us+f3, ko+m2, en-gb+klatt).");
}

int cmd_voices(int argc, char **argv)
{
    const char *format = "text";
    int only = -1;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) { help(); return 0; }
        else if (!strcmp(argv[i], "--format")) format = cli_value(argc, argv, &i);
        else if (!strcmp(argv[i], "--engine")) {
            const char *e = cli_value(argc, argv, &i);
            if ((only = as_tts_engine_find(e)) < 0) cli_die("--engine: \"%s\" is not espeak or flite", e);
        } else cli_die("voices: unknown option \"%s\" (see --help)", argv[i]);
    }
    int json = !strcmp(format, "json");
    if (!json && strcmp(format, "text")) cli_die("--format: \"%s\" is not text or json", format);
    as_tts_voice_info *v = NULL;
    size_t n = 0;
    if (as_tts_list_voices(&v, &n) != AS_OK) cli_die("%s", as_last_error());
    if (json) fputs("[", stdout);
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        if (only >= 0 && (int)v[i].engine != only) continue;
        if (json) {
            printf("%s\n {\"engine\": \"%s\", \"name\": ", first ? "" : ",", as_tts_engine_name(v[i].engine));
            cli_json_string(stdout, v[i].name);
            fputs(", \"language\": ", stdout);
            cli_json_string(stdout, v[i].language);
            fputs(", \"description\": ", stdout);
            cli_json_string(stdout, v[i].description);
            printf(", \"gender\": %d}", v[i].gender);
        } else {
            printf("%-7s %-24s %-10s %s\n", as_tts_engine_name(v[i].engine), v[i].name, v[i].language, v[i].description);
        }
        first = 0;
    }
    if (json) fputs("\n]\n", stdout);
    as_free(v);
    return 0;
}
