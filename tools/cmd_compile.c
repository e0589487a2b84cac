/* tools/cmd_compile.c — `animasync compile`: one face from an emotion name
 * (any lexicon name), a level or intensity, an optional VAD override and an
 * expression strength, printed as JSON or CSV. */
#include <stdlib.h>
#include <string.h>

#include "animasync/animasync.h"
#include "cli.h"

static void help(void)
{
    puts("usage: animasync compile --emotion NAME [--level 1..5 | --intensity 0..1]\n"
         "                         [--vad V,A,D] [--strength 0..2] [--presets FILE] [--format json|csv]\n\n"
         "Prints one face: the 52 ARKit blendshape weights for an emotion.\n\n"
         "  --emotion NAME     a class (joy, sadness, ...) or any lexicon name or alias\n"
         "                     (happy, thanks, scared, 기쁨 ...; see `animasync emotions`)\n"
         "  --level L          intensity level 1..5 (default 3)\n"
         "  --intensity X      intensity 0..1, mapped continuously onto levels 1..5\n"
         "  --vad V,A,D        override the anchor's valence, arousal, dominance (each 0..1)\n"
         "  --strength S       expression strength: 0 neutral, 1 as authored (default), 2 exaggerated\n"
         "  --presets FILE     a preset file overriding the built-in bank\n"
         "  --format F         json (default): {\"names\": [...], \"weights\": [...]}; csv: names row, weights row");
}

int cmd_compile(int argc, char **argv)
{
    const char *emotion = NULL, *presets = NULL, *format = "json", *vad_text = NULL;
    float intensity = 0.5f, strength = 1.0f;
    int have_level = 0, have_intensity = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) { help(); return 0; }
        else if (!strcmp(a, "--emotion")) emotion = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--level")) {
            long level = cli_long("--level", cli_value(argc, argv, &i), 1, 5);
            intensity = (float)(level - 1) / 4.0f;
            have_level = 1;
        } else if (!strcmp(a, "--intensity")) {
            intensity = cli_float("--intensity", cli_value(argc, argv, &i), 0.0f, 1.0f);
            have_intensity = 1;
        } else if (!strcmp(a, "--vad")) vad_text = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--strength")) strength = cli_float("--strength", cli_value(argc, argv, &i), 0.0f, 2.0f);
        else if (!strcmp(a, "--presets")) presets = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--format")) format = cli_value(argc, argv, &i);
        else cli_die("compile: unknown option \"%s\" (see --help)", a);
    }
    if (!emotion) cli_die("compile: --emotion NAME is required (see --help)");
    if (have_level && have_intensity) cli_die("compile: give --level or --intensity, not both");
    if (strcmp(format, "json") && strcmp(format, "csv")) cli_die("--format: \"%s\" is not json or csv", format);

    as_cond cond;
    if (as_cond_from_name(emotion, intensity, &cond) != AS_OK) cli_die("--emotion: %s", as_last_error());
    if (vad_text) {
        float v[3];
        char tail;
        if (sscanf(vad_text, "%f,%f,%f%c", &v[0], &v[1], &v[2], &tail) != 3)
            cli_die("--vad: \"%s\" is not V,A,D (three numbers separated by commas)", vad_text);
        for (int k = 0; k < 3; k++)
            if (!(v[k] >= 0.0f && v[k] <= 1.0f)) cli_die("--vad: %c = %g is outside 0..1", "VAD"[k], (double)v[k]);
        cond.v = v[0];
        cond.a = v[1];
        cond.d = v[2];
    }
    as_preset_bank *bank = NULL;
    if (presets && !(bank = as_preset_bank_load(presets))) cli_die("%s", as_last_error());
    as_compiler *c = as_compiler_create(bank, NULL);
    if (!c) cli_die("cannot create the compiler: %s", as_last_error());
    float w[AS_NUM_CHANNELS];
    if (as_compile(c, w, &cond, strength) != AS_OK) cli_die("%s", as_last_error());
    char num[32];
    if (!strcmp(format, "json")) {
        fputs("{\"names\": [", stdout);
        for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) printf("%s\"%s\"", ch ? ", " : "", as_channel_name(ch));
        fputs("], \"weights\": [", stdout);
        for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) {
            as_format_float(num, sizeof num, w[ch]);
            printf("%s%s", ch ? ", " : "", num);
        }
        fputs("]}\n", stdout);
    } else {
        for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) printf("%s%s", ch ? "," : "", as_channel_name(ch));
        putchar('\n');
        for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) {
            as_format_float(num, sizeof num, w[ch]);
            printf("%s%s", ch ? "," : "", num);
        }
        putchar('\n');
    }
    as_compiler_destroy(c);
    as_preset_bank_destroy(bank);
    return 0;
}
