/* tools/cmd_classify.c — `animasync classify`: one sentence (with up to two
 * previous turns as context) -> the text emotion classifier's class, the 16
 * class probabilities and V, A, D, as text or JSON. */
#include <stdio.h>
#include <string.h>

#include "animasync/animasync.h"
#include "cli.h"

static void help(void)
{
    puts("usage: animasync classify \"TEXT\" [--context \"previous turn\" ...] [--other | --self]\n"
         "                          [--model FILE] [--format text|json]\n\n"
         "Classifies the emotion of a sentence: the most probable of the 16 classes, every\n"
         "class's probability and the predicted valence, arousal, dominance (0..1).\n\n"
         "  --context TEXT   a previous turn, oldest first (repeat; the last 2 are read). Each is\n"
         "                   said by the other speaker unless --self comes before it\n"
         "  --self, --other  who says the --context turns that follow (default --other)\n"
         "  --model FILE     a weight file from `animasync train-classifier` (default: built in)\n"
         "  --format F       text (default) or json:\n"
         "                   {\"emotion\", \"probabilities\": {16 classes}, \"vad\": [v, a, d], \"intensity\", ...}\n\n"
         "Empty text is neutral; text longer than the model reads is truncated (\"truncated\": true);\n"
         "invalid UTF-8 is an error (exit 2).");
}

int cmd_classify(int argc, char **argv)
{
    const char *text = NULL, *model = NULL, *format = "text";
    as_dialogue_turn ctx[64];
    size_t n_ctx = 0;
    int self = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) { help(); return 0; }
        else if (!strcmp(a, "--context")) {
            if (n_ctx == 64) cli_die("--context: at most 64 turns");
            ctx[n_ctx].text = cli_value(argc, argv, &i);
            ctx[n_ctx++].self = self;
        } else if (!strcmp(a, "--self")) self = 1;
        else if (!strcmp(a, "--other")) self = 0;
        else if (!strcmp(a, "--model")) model = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--format")) format = cli_value(argc, argv, &i);
        else if (a[0] == '-' && a[1] == '-') cli_die("classify: unknown option \"%s\" (see --help)", a);
        else if (text) cli_die("classify: one TEXT only (got \"%s\" too; quote the sentence)", a);
        else text = a;
    }
    if (!text) cli_die("classify: TEXT is required (see --help)");
    if (strcmp(format, "text") && strcmp(format, "json")) cli_die("--format: \"%s\" is not text or json", format);
    as_classifier *m = NULL;
    if (model && !(m = as_classifier_load(model))) cli_die("%s", as_last_error());
    if (!model && !as_classifier_default()) cli_die("%s", as_last_error());
    as_classification c;
    if (as_classify_dialogue(m, ctx, n_ctx, text, &c) != AS_OK) cli_die("%s", as_last_error());
    char num[32];
    if (!strcmp(format, "json")) {
        printf("{\"emotion\": \"%s\", \"probabilities\": {", as_emotion_name(c.emotion));
        for (int k = 0; k < AS_NUM_EMOTIONS; k++) {
            as_format_float(num, sizeof num, c.probs[k]);
            printf("%s\"%s\": %s", k ? ", " : "", as_emotion_name((as_emotion)k), num);
        }
        printf("}, \"vad\": [");
        float v[3] = {c.vad.v, c.vad.a, c.vad.d};
        for (int k = 0; k < 3; k++) {
            as_format_float(num, sizeof num, v[k]);
            printf("%s%s", k ? ", " : "", num);
        }
        as_format_float(num, sizeof num, c.intensity);
        printf("], \"intensity\": %s, \"truncated\": %s, \"empty\": %s}\n", num, c.truncated ? "true" : "false",
               c.empty ? "true" : "false");
    } else {
        printf("%s (p %.3f, intensity %.2f)  V %.3f  A %.3f  D %.3f%s%s\n", as_emotion_name(c.emotion),
               (double)c.probs[c.emotion], (double)c.intensity, (double)c.vad.v, (double)c.vad.a, (double)c.vad.d,
               c.truncated ? "  (truncated)" : "", c.empty ? "  (empty text)" : "");
        int order[AS_NUM_EMOTIONS];
        for (int k = 0; k < AS_NUM_EMOTIONS; k++) order[k] = k;
        for (int a = 0; a < AS_NUM_EMOTIONS; a++)
            for (int b = a + 1; b < AS_NUM_EMOTIONS; b++)
                if (c.probs[order[b]] > c.probs[order[a]]) { int t = order[a]; order[a] = order[b]; order[b] = t; }
        for (int k = 0; k < 3; k++)
            printf("  %-11s %.3f\n", as_emotion_name((as_emotion)order[k]), (double)c.probs[order[k]]);
    }
    as_classifier_destroy(m);
    return 0;
}
