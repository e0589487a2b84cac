/* tools/cmd_presets.c — `animasync presets`: writes the active preset bank
 * (built-in, or a user file layered over it) as a complete preset file. */
#include <string.h>

#include "animasync/animasync.h"
#include "cli.h"

static void help(void)
{
    puts("usage: animasync presets --export FILE [--presets FILE]\n\n"
         "Writes the active preset bank (46 faces x 52 ARKit weights) to FILE in the\n"
         "schema of data/presets.json; FILE '-' writes to standard output.\n"
         "  --presets FILE   a user preset file layered over the built-in bank first");
}

int cmd_presets(int argc, char **argv)
{
    const char *out = NULL, *presets = NULL;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) { help(); return 0; }
        else if (!strcmp(argv[i], "--export")) out = cli_value(argc, argv, &i);
        else if (!strcmp(argv[i], "--presets")) presets = cli_value(argc, argv, &i);
        else cli_die("presets: unknown option \"%s\" (see --help)", argv[i]);
    }
    if (!out) cli_die("presets: --export FILE is required (see --help)");
    as_preset_bank *bank = NULL;
    if (presets && !(bank = as_preset_bank_load(presets))) cli_die("%s", as_last_error());
    if (!bank && !as_preset_bank_default()) cli_die("built-in preset bank is corrupt: %s", as_last_error());
    if (!strcmp(out, "-")) {
        char *json = as_preset_bank_to_json(bank);
        if (!json) cli_die("%s", as_last_error());
        fputs(json, stdout);
        as_free(json);
    } else if (as_preset_bank_save(bank, out) != AS_OK) {
        cli_die("%s", as_last_error());
    } else {
        fprintf(stderr, "wrote %d presets to %s\n", AS_NUM_PRESETS, out);
    }
    as_preset_bank_destroy(bank);
    return 0;
}
