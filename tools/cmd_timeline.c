/* tools/cmd_timeline.c — `animasync timeline`: expression only, no audio:
 * text with emotion tags spread over a duration -> one animation file. */
#include <string.h>

#include "animasync/engine.h"
#include "cli.h"

static void help(void)
{
    printf("usage: animasync timeline \"TEXT\" --duration S -o FILE [options]\n\n"
           "Animates the emotions of TEXT (inline tags as in `say`) over S seconds without\n"
           "speech: no audio and no lip sync; a tag's time is proportional to its position\n"
           "in the text. FILE's format comes from --format or its extension (.json, .csv,\n"
           ".npy; livelink needs --format livelink).\n\n"
           "  --duration S       length in seconds, 0..3600\n"
           "  -o, --out FILE     output file\n"
           "%s",
           cli_say_options_help);
}

int cmd_timeline(int argc, char **argv)
{
    as_say_params p = as_say_default_params();
    cli_say_extra extra = {0};
    const char *text = NULL, *path = NULL;
    double duration = -1.0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) { help(); return 0; }
        else if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--out")) path = cli_value(argc, argv, &i);
        else if (!strcmp(argv[i], "--duration")) duration = cli_float("--duration", cli_value(argc, argv, &i), 0.001f, 3600.0f);
        else if (cli_say_option(argc, argv, &i, &p, &extra)) continue;
        else if (argv[i][0] == '-' && argv[i][1]) cli_die("timeline: unknown option \"%s\" (see --help)", argv[i]);
        else if (!text) text = argv[i];
        else cli_die("timeline: more than one TEXT given (quote the sentence)");
    }
    if (!text) cli_die("timeline: TEXT is required (see --help)");
    if (duration < 0) cli_die("timeline: --duration S is required");
    if (!path) cli_die("timeline: -o FILE is required");
    as_format f = AS_FORMAT_JSON;
    int n_formats = 0;
    for (int k = 0; k < AS_NUM_FORMATS; k++)
        if (extra.formats[k]) { f = (as_format)k; n_formats++; }
    if (n_formats > 1) cli_die("timeline: give one --format");
    if (n_formats == 0) {
        const char *dot = strrchr(path, '.');
        if (dot && as_format_find(dot + 1, &f) != AS_OK) cli_die("-o: cannot tell the format of %s; give --format", path);
    }
    as_preset_bank *bank = NULL;
    if (extra.presets && !(bank = as_preset_bank_load(extra.presets))) cli_die("%s", as_last_error());
    as_compiler *c = as_compiler_create(bank, NULL);
    if (!c) cli_die("cannot create the compiler: %s", as_last_error());
    as_animation *anim = NULL;
    if (as_animate_text(c, &p, text, duration, &anim) != AS_OK) cli_die("%s", as_last_error());
    if (as_animation_write(anim, f, path, NULL) != AS_OK) cli_die("%s", as_last_error());
    fprintf(stderr, "wrote %s (%zu frames at %g fps, %s)\n", path, anim->num_frames, (double)anim->fps, as_format_name(f));
    as_animation_destroy(anim);
    as_compiler_destroy(c);
    as_preset_bank_destroy(bank);
    return 0;
}
