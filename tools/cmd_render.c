/* tools/cmd_render.c — `animasync render speech.wav`: lip sync and emotion
 * from audio alone (no transcript) through the student network. Any WAV,
 * FLAC or OGG at any rate; writes anim.json and anim.csv like `say`. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "animasync/animasync.h"
#include "cli.h"

static void help(void)
{
    printf("usage: animasync render AUDIO -o DIR [--emotion NAME[:N] | --script \"[0s joy:80] [2.5s sadness:40]\"]\n"
           "                        [--model FILE] [--seed N] [--crossfade S] [--format npy]\n\n"
           "Animates a face from speech audio alone (WAV, FLAC or OGG at any rate, no\n"
           "transcript): the student network gives the mouth and the emotion, the motion\n"
           "layer adds blinks, gaze and patterns as in `say`. Writes DIR/anim.json and\n"
           "DIR/anim.csv (52 ARKit weights per frame at 30 fps).\n\n"
           "  -o, --out DIR       output directory (created if missing)\n"
           "  --emotion NAME[:N]  one emotion for the whole clip, intensity N 0..100 (default 50)\n"
           "  --script TEXT       timed emotions: \"[0s joy:80] [2.5s sadness:40]\" (the crossfades of `say`)\n"
           "  --model FILE        a weight file from `animasync train` (default: the built-in model)\n"
           "  --seed N            seed for blinks, gaze and patterns (default 1)\n"
           "  --crossfade S       half-width of emotion crossfades in seconds 0..10 (default 0.8)\n"
           "  --format npy        also write anim.npy (T x 52 float32)\n");
}

int cmd_render(int argc, char **argv)
{
    as_render_params rp = as_render_default_params();
    const char *audio = NULL, *dir = NULL, *model = NULL;
    int npy = 0;
    static char name[128];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) { help(); return 0; }
        else if (!strcmp(a, "-o") || !strcmp(a, "--out")) dir = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--model")) model = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--script")) rp.script = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--emotion")) {
            snprintf(name, sizeof name, "%s", cli_value(argc, argv, &i));
            char *colon = strrchr(name, ':');
            if (colon) {
                *colon = 0;
                rp.intensity = cli_float("--emotion", colon + 1, 0.0f, 100.0f) / 100.0f;
            }
            as_lexicon_entry e;
            if (as_lexicon_lookup(name, &e) != AS_OK) cli_die("--emotion: %s", as_last_error());
            rp.emotion = name;
        } else if (!strcmp(a, "--seed")) rp.motion.seed = (uint64_t)cli_long(a, cli_value(argc, argv, &i), 0, 2147483647L);
        else if (!strcmp(a, "--crossfade")) rp.timeline.crossfade_s = cli_float(a, cli_value(argc, argv, &i), 0.0f, 10.0f);
        else if (!strcmp(a, "--format")) {
            const char *f = cli_value(argc, argv, &i);
            if (strcmp(f, "npy")) cli_die("--format: \"%s\" is not npy (json and csv are always written)", f);
            npy = 1;
        } else if (a[0] == '-' && a[1]) cli_die("render: unknown option \"%s\" (see --help)", a);
        else if (!audio) audio = a;
        else cli_die("render: more than one AUDIO file given");
    }
    if (!audio) cli_die("render: AUDIO is required (see --help)");
    if (!dir) cli_die("render: -o DIR is required (see --help)");
    if (rp.script) {
        as_render_event ev[64];
        size_t n;
        if (as_render_script_parse(rp.script, ev, 64, &n) != AS_OK) cli_die("--%s", as_last_error()); /* "--script: tag ..." */
    }
    as_student *own = NULL;
    if (model && !(own = as_student_load(model))) cli_die("--model: %s", as_last_error());
    float *pcm = NULL;
    size_t n = 0;
    int rate = 0;
    if (as_audio_read(audio, &pcm, &n, &rate) != AS_OK) cli_die("%s", as_last_error());
    as_animation *anim = NULL;
    if (as_render(own, &rp, pcm, n, rate, &anim) != AS_OK) cli_die("%s", as_last_error());
    if (cli_make_dirs(dir) != 0) cli_die("-o: cannot create directory %s: %s", dir, strerror(errno));
    char path[4200];
    const char *base = strrchr(audio, '/');
    base = base ? base + 1 : audio;
    snprintf(path, sizeof path, "%s/anim.json", dir);
    if (as_animation_write(anim, AS_FORMAT_JSON, path, base) != AS_OK) cli_die("%s", as_last_error());
    snprintf(path, sizeof path, "%s/anim.csv", dir);
    if (as_animation_write(anim, AS_FORMAT_CSV, path, base) != AS_OK) cli_die("%s", as_last_error());
    if (npy) {
        snprintf(path, sizeof path, "%s/anim.npy", dir);
        if (as_animation_write(anim, AS_FORMAT_NPY, path, base) != AS_OK) cli_die("%s", as_last_error());
    }
    fprintf(stderr, "wrote %s/anim.json and anim.csv (%zu frames at 30 fps, %.2f s of audio at %d Hz, %zu segment%s)\n",
            dir, anim->num_frames, (double)n / rate, rate, anim->num_segments, anim->num_segments == 1 ? "" : "s");
    as_animation_destroy(anim);
    as_free(pcm);
    as_student_destroy(own);
    return 0;
}
