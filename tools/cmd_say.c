/* tools/cmd_say.c — `animasync say`: text with emotion tags -> speech.wav +
 * anim.json + anim.csv (and optionally anim.npy, anim_livelink.csv) in a
 * directory. All files are written into a staging directory first and moved
 * into place only when every one is complete, so a failure leaves no partial
 * output. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "animasync/engine.h"
#include "cli.h"

static void help(void)
{
    printf("usage: animasync say \"TEXT\" -o DIR [options]\n\n"
           "Speaks TEXT (UTF-8, with inline emotion tags such as [joy:80], [sadness],\n"
           "[vad:0.8,0.4,0.5], [strength:1.5]) and animates a face for it. Writes\n"
           "DIR/speech.wav, DIR/anim.json and DIR/anim.csv (52 ARKit weights per frame).\n\n"
           "  -o, --out DIR      output directory (created if missing)\n"
           "%s\n"
           "example: animasync say \"[joy:80] Thanks so much! [sadness:40] But I must go.\" -o out\n",
           cli_say_options_help);
}

int cmd_say(int argc, char **argv)
{
    as_say_params p = as_say_default_params();
    cli_say_extra extra = {0};
    const char *text = NULL, *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) { help(); return 0; }
        else if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--out")) dir = cli_value(argc, argv, &i);
        else if (cli_say_option(argc, argv, &i, &p, &extra)) continue;
        else if (argv[i][0] == '-' && argv[i][1]) cli_die("say: unknown option \"%s\" (see --help)", argv[i]);
        else if (!text) text = argv[i];
        else cli_die("say: more than one TEXT given (quote the sentence)");
    }
    if (!text) cli_die("say: TEXT is required (see --help)");
    if (!dir) cli_die("say: -o DIR is required (see --help)");

    as_preset_bank *bank = NULL;
    if (extra.presets && !(bank = as_preset_bank_load(extra.presets))) cli_die("%s", as_last_error());
    as_compiler *c = as_compiler_create(bank, NULL);
    if (!c) cli_die("cannot create the compiler: %s", as_last_error());

    as_animation *anim = NULL;
    if (as_say(c, &p, text, &anim) != AS_OK) cli_die("%s", as_last_error());

    /* Stage every file, then move them in. */
    if (cli_make_dirs(dir) != 0) cli_die("-o: cannot create directory %s: %s", dir, strerror(errno));
    char stage[4096], src[4200], dst[4200];
    snprintf(stage, sizeof stage, "%s/.animasync-stage-%ld", dir, (long)getpid());
    if (mkdir(stage, 0777) != 0) cli_die("-o: cannot write into %s: %s", dir, strerror(errno));
    static const char *const files[] = {"speech.wav", "anim.json", "anim.csv", "anim.npy", "anim_livelink.csv"};
    int want[5] = {1, 1, 1, extra.formats[AS_FORMAT_NPY], extra.formats[AS_FORMAT_LIVELINK]};
    const as_format fmt[5] = {AS_FORMAT_JSON, AS_FORMAT_JSON, AS_FORMAT_CSV, AS_FORMAT_NPY, AS_FORMAT_LIVELINK};
    as_result r = AS_OK;
    for (int k = 0; k < 5 && r == AS_OK; k++) {
        if (!want[k]) continue;
        snprintf(src, sizeof src, "%s/%s", stage, files[k]);
        r = k == 0 ? as_wav_write(src, anim->speech->samples, anim->speech->n_samples, anim->speech->rate_hz)
                   : as_animation_write(anim, fmt[k], src, "speech.wav");
    }
    for (int k = 0; k < 5 && r == AS_OK; k++) {
        if (!want[k]) continue;
        snprintf(src, sizeof src, "%s/%s", stage, files[k]);
        snprintf(dst, sizeof dst, "%s/%s", dir, files[k]);
        if (rename(src, dst) != 0) r = AS_ERR_IO;
    }
    for (int k = 0; k < 5; k++) {
        snprintf(src, sizeof src, "%s/%s", stage, files[k]);
        remove(src);
    }
    rmdir(stage);
    if (r != AS_OK) cli_die("cannot write into %s: %s", dir, as_last_error());

    fprintf(stderr, "wrote %s/speech.wav (%.2f s), anim.json and anim.csv (%zu frames at %g fps, %zu segment%s)\n", dir,
            as_speech_duration(anim->speech), anim->num_frames, (double)anim->fps, anim->num_segments,
            anim->num_segments == 1 ? "" : "s");
    as_animation_destroy(anim);
    as_compiler_destroy(c);
    as_preset_bank_destroy(bank);
    return 0;
}
