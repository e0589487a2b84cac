/* tools/cmd_emotions.c — `animasync emotions`: the 16 classes with their
 * families and VAD anchors at L1..L5, and the lexicon of names and aliases. */
#include <string.h>

#include "animasync/animasync.h"
#include "cli.h"

static void help(void)
{
    puts("usage: animasync emotions [--format text|json]\n\n"
         "Lists the emotion classes (family, VAD anchors at levels 1..5) and the\n"
         "lexicon (every accepted name or alias, its class and its own VAD point).");
}

int cmd_emotions(int argc, char **argv)
{
    const char *format = "text";
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) { help(); return 0; }
        else if (!strcmp(argv[i], "--format")) format = cli_value(argc, argv, &i);
        else cli_die("emotions: unknown option \"%s\" (see --help)", argv[i]);
    }
    int json = !strcmp(format, "json");
    if (!json && strcmp(format, "text")) cli_die("--format: \"%s\" is not text or json", format);
    if (as_lexicon_count() == 0) cli_die("built-in emotion data is corrupt: %s", as_last_error());
    if (json) {
        fputs("{\"classes\": [", stdout);
        for (int e = 0; e < AS_NUM_EMOTIONS; e++) {
            printf("%s\n  {\"name\": \"%s\", \"family\": \"%s\", \"anchors\": [", e ? "," : "", as_emotion_name(e),
                   as_family_name(as_emotion_family(e)));
            for (int l = 1; l <= AS_NUM_LEVELS; l++) {
                as_vad p = as_emotion_anchor(e, l);
                printf("%s[%.4g, %.4g, %.4g]", l > 1 ? ", " : "", p.v, p.a, p.d);
            }
            fputs("]}", stdout);
        }
        fputs("],\n \"lexicon\": [", stdout);
        for (size_t i = 0; i < as_lexicon_count(); i++) {
            const as_lexicon_entry *x = as_lexicon_at(i);
            printf("%s\n  {\"name\": ", i ? "," : "");
            cli_json_string(stdout, x->name);
            printf(", \"emotion\": \"%s\", \"vad\": [%.4g, %.4g, %.4g]}", as_emotion_name(x->emotion), x->vad.v,
                   x->vad.a, x->vad.d);
        }
        fputs("]}\n", stdout);
        return 0;
    }
    printf("%-11s %-9s  VAD anchors L1 .. L5\n", "class", "family");
    for (int e = 0; e < AS_NUM_EMOTIONS; e++) {
        printf("%-11s %-9s ", as_emotion_name(e), as_family_name(as_emotion_family(e)));
        for (int l = 1; l <= (e ? AS_NUM_LEVELS : 1); l++) {
            as_vad p = as_emotion_anchor(e, l);
            printf(" %.2f/%.2f/%.2f", p.v, p.a, p.d);
        }
        putchar('\n');
    }
    printf("\nlexicon (%zu names):\n", as_lexicon_count());
    for (size_t i = 0; i < as_lexicon_count(); i++) {
        const as_lexicon_entry *x = as_lexicon_at(i);
        printf("  %-16s -> %-10s %.2f/%.2f/%.2f\n", x->name, as_emotion_name(x->emotion), x->vad.v, x->vad.a, x->vad.d);
    }
    return 0;
}
