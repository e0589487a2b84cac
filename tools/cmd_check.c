/* tools/cmd_check.c — `animasync check`: the quality contract of
 * ARCHITECTURE.md run over the engine (built-in or user presets): every
 * metric, its value, its threshold, pass or fail. Exits 1 if any fails. */
#include <string.h>

#include "animasync/animasync.h"
#include "cli.h"

static void help(void)
{
    puts("usage: animasync check [--presets FILE] [--format text|json] [--queries N] [--seed N]\n\n"
         "Runs the quality contract over the expression engine: determinism, anchor\n"
         "reproducibility, VAD smoothness (22^3 grid per class), validity (presets +\n"
         "N random queries, default 100000), distinctiveness, monotonic intensity,\n"
         "family coherence, strength 0. Exit status 0 if all pass, 1 if any fails,\n"
         "2 on bad input.");
}

int cmd_check(int argc, char **argv)
{
    const char *presets = NULL, *format = "text";
    as_contract_params cp = as_contract_default_params();
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) { help(); return 0; }
        else if (!strcmp(argv[i], "--presets")) presets = cli_value(argc, argv, &i);
        else if (!strcmp(argv[i], "--format")) format = cli_value(argc, argv, &i);
        else if (!strcmp(argv[i], "--queries")) cp.validity_queries = (int)cli_long("--queries", cli_value(argc, argv, &i), 0, 100000000);
        else if (!strcmp(argv[i], "--seed")) cp.seed = (unsigned)cli_long("--seed", cli_value(argc, argv, &i), 0, 4294967295L);
        else cli_die("check: unknown option \"%s\" (see --help)", argv[i]);
    }
    int json = !strcmp(format, "json");
    if (!json && strcmp(format, "text")) cli_die("--format: \"%s\" is not text or json", format);
    as_preset_bank *bank = NULL;
    if (presets && !(bank = as_preset_bank_load(presets))) cli_die("%s", as_last_error());
    as_contract_report rep;
    if (as_contract_check(bank, NULL, &cp, &rep) != AS_OK) cli_die("%s", as_last_error());
    if (json) {
        fputs("{\"metrics\": [", stdout);
        for (int i = 0; i < rep.n; i++) {
            const as_metric *m = &rep.m[i];
            printf("%s\n  {\"name\": \"%s\", \"value\": %.6g, \"threshold\": %.6g, \"bound\": \"%s\", \"pass\": %s, \"detail\": ",
                   i ? "," : "", m->name, m->value, m->threshold, m->upper_bound ? "<=" : ">", m->pass ? "true" : "false");
            cli_json_string(stdout, m->detail);
            fputs("}", stdout);
        }
        printf("],\n \"pass\": %s}\n", rep.all_pass ? "true" : "false");
    } else {
        printf("%-38s %12s %4s %-10s %s\n", "metric", "value", "", "threshold", "result");
        for (int i = 0; i < rep.n; i++) {
            const as_metric *m = &rep.m[i];
            printf("%-38s %12.6g %4s %-10.6g %s  %s\n", m->name, m->value, m->upper_bound ? "<=" : ">", m->threshold,
                   m->pass ? "pass" : "FAIL", m->detail);
        }
        printf("\n%s\n", rep.all_pass ? "all metrics pass" : "SOME METRICS FAIL");
    }
    as_preset_bank_destroy(bank);
    return rep.all_pass ? 0 : 1;
}
