/* tools/say_options.c — the options `say` and `timeline` share: voice and
 * engine, seed, fps, strength, crossfade, presets, extra output formats. */
#include <string.h>

#include "animasync/engine.h"
#include "cli.h"

const char *const cli_say_options_help =
    "  --voice NAME       TTS voice (see `animasync voices`; default en-us for espeak, slt for flite)\n"
    "  --engine E         espeak (default) or flite\n"
    "  --rate R           speaking rate multiple 0.5..2 (default 1)\n"
    "  --pitch P          pitch multiple 0.5..2 (default 1)\n"
    "  --seed N           seed for blinks, gaze and patterns (default 1); same seed, same output\n"
    "  --fps F            frames per second 1..240 (default 30)\n"
    "  --strength S       global expression strength 0..2 (default 1)\n"
    "  --crossfade S      half-width of emotion crossfades in seconds 0..10 (default 0.8)\n"
    "  --emotion NAME     emotion before the first tag (default: the text classifier's, per sentence)\n"
    "  --no-classify      do not classify untagged sentences: neutral before the first tag\n"
    "  --classify-floor P tag a classified sentence neutral when its class is less probable\n"
    "                     than P, 0..1 (default 0: always the classifier's class)\n"
    "  --presets FILE     a preset file overriding the built-in bank\n"
    "  --format F         also write F: npy (anim.npy, T x 52 float32) or livelink\n"
    "                     (anim_livelink.csv); repeat or comma-separate for both\n";

int cli_say_option(int argc, char **argv, int *i, void *say_params, cli_say_extra *extra)
{
    as_say_params *p = say_params;
    const char *a = argv[*i];
    if (!strcmp(a, "--voice")) p->tts.voice = cli_value(argc, argv, i);
    else if (!strcmp(a, "--engine")) {
        const char *e = cli_value(argc, argv, i);
        int eng = as_tts_engine_find(e);
        if (eng < 0) cli_die("--engine: \"%s\" is not espeak or flite", e);
        p->tts.engine = (as_tts_engine)eng;
    } else if (!strcmp(a, "--rate")) p->tts.rate = cli_float("--rate", cli_value(argc, argv, i), 0.5f, 2.0f);
    else if (!strcmp(a, "--pitch")) p->tts.pitch = cli_float("--pitch", cli_value(argc, argv, i), 0.5f, 2.0f);
    else if (!strcmp(a, "--seed")) p->motion.seed = (uint64_t)cli_long("--seed", cli_value(argc, argv, i), 0, 2147483647L);
    else if (!strcmp(a, "--fps")) p->timeline.fps = cli_float("--fps", cli_value(argc, argv, i), 1.0f, 240.0f);
    else if (!strcmp(a, "--strength")) p->timeline.strength = cli_float("--strength", cli_value(argc, argv, i), 0.0f, 2.0f);
    else if (!strcmp(a, "--crossfade")) p->timeline.crossfade_s = cli_float("--crossfade", cli_value(argc, argv, i), 0.0f, 10.0f);
    else if (!strcmp(a, "--emotion")) {
        p->tags.default_emotion = cli_value(argc, argv, i);
        as_lexicon_entry e;
        if (as_lexicon_lookup(p->tags.default_emotion, &e) != AS_OK) cli_die("--emotion: %s", as_last_error());
    } else if (!strcmp(a, "--no-classify")) {
        /* an explicit default emotion turns the classifier off (engine/say.c) */
        if (!p->tags.default_emotion) p->tags.default_emotion = "neutral";
    } else if (!strcmp(a, "--classify-floor")) {
        p->classify_floor = cli_float("--classify-floor", cli_value(argc, argv, i), 0.0f, 1.0f);
    } else if (!strcmp(a, "--presets")) extra->presets = cli_value(argc, argv, i);
    else if (!strcmp(a, "--format")) {
        char buf[128];
        snprintf(buf, sizeof buf, "%s", cli_value(argc, argv, i));
        for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
            as_format f;
            if (as_format_find(tok, &f) != AS_OK) cli_die("--format: %s", as_last_error());
            extra->formats[f] = 1;
        }
    } else return 0;
    return 1;
}
