/* tools/cmd_train_classifier.c — `animasync train-classifier`: trains the
 * text emotion classifier on the scenario corpus (a teacher on the labels,
 * or a student distilled from a teacher), evaluates a model on a split, and
 * writes a model as the shipped C sources. docs/CLASSIFIER.md has the
 * recipe; src/train/classifier_train.c does the work. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "animasync/animasync.h"
#include "cli.h"
#include "train/classifier_train.h"

static void help(void)
{
    puts("usage: animasync train-classifier -o MODEL [--data DIR] [--teacher MODEL] [options]\n"
         "       animasync train-classifier --evaluate MODEL [--split validation|test] [--data DIR] [--format json]\n"
         "       animasync train-classifier --emit-c MODEL [--weights-c FILE] [--vocab-c FILE]\n\n"
         "Trains the text emotion classifier (MicroALBERT) on the scenario corpus.\n\n"
         "  -o, --out MODEL      weight file of the best epoch (validation macro-F1)\n"
         "  --data DIR           the corpus (default data/scenarios)\n"
         "  --teacher MODEL      distil from this model (soft labels + VAD); without it, train on the labels\n"
         "  --tokenizer-from M   reuse the vocabulary of model M (default: learn one on the training split)\n"
         "  --merges N           BPE merges to learn (default 3000)\n"
         "  --embd E --dim D --ffn F --heads H --layers L --max-len T   model size (default 96 192 384 4 4 64)\n"
         "  --epochs N --batch B --lr X --lr-min X --warmup X --weight-decay X --clip X --dropout X\n"
         "  --ctx-drop P         probability of training an example without context (default 0.25)\n"
         "  --alpha A --temperature T   distillation (default 0.7, 2)\n"
         "  --seed N             (default 1)\n"
         "  --threads N          training threads (default 1; results do not depend on it)\n"
         "  --checkpoint FILE    written after every epoch; --resume continues from it\n"
         "  --evaluate MODEL     print macro-F1 per class and VAD Pearson on --split (default validation)\n"
         "  --emit-c MODEL       write MODEL as src/text/classifier_weights.c and classifier_vocab.c");
}

static void print_line(const char *line, void *user)
{
    (void)user;
    printf("%s\n", line);
    fflush(stdout);
}

static void print_report(const char *what, const tc_eval_report *ev, int json)
{
    if (json) {
        printf("{\"model\": ");
        cli_json_string(stdout, what);
        printf(", \"n\": %zu, \"accuracy\": %.4f, \"macro_f1\": %.4f, \"f1\": {", ev->n, ev->accuracy, ev->macro_f1);
        for (int k = 0; k < AS_NUM_EMOTIONS; k++)
            printf("%s\"%s\": %.4f", k ? ", " : "", as_emotion_name((as_emotion)k), ev->f1[k]);
        printf("}, \"support\": {");
        for (int k = 0; k < AS_NUM_EMOTIONS; k++)
            printf("%s\"%s\": %zu", k ? ", " : "", as_emotion_name((as_emotion)k), ev->support[k]);
        printf("}, \"pearson\": [%.4f, %.4f, %.4f], \"mae\": [%.4f, %.4f, %.4f]}\n", ev->pearson[0], ev->pearson[1],
               ev->pearson[2], ev->mae[0], ev->mae[1], ev->mae[2]);
        return;
    }
    printf("%s: %zu turns, accuracy %.4f, macro-F1 %.4f\n", what, ev->n, ev->accuracy, ev->macro_f1);
    for (int k = 0; k < AS_NUM_EMOTIONS; k++)
        printf("  %-11s F1 %.4f  (%zu)\n", as_emotion_name((as_emotion)k), ev->f1[k], ev->support[k]);
    printf("  VAD Pearson r: V %.4f  A %.4f  D %.4f   (mean abs error %.4f %.4f %.4f)\n", ev->pearson[0],
           ev->pearson[1], ev->pearson[2], ev->mae[0], ev->mae[1], ev->mae[2]);
}

int cmd_train_classifier(int argc, char **argv)
{
    tc_train_params p = tc_train_default_params();
    const char *evaluate = NULL, *emit = NULL, *split = "validation", *format = "text";
    const char *weights_c = "src/text/classifier_weights.c", *vocab_c = "src/text/classifier_vocab.c";
    char command[2048] = "animasync";
    for (int i = 0; i < argc; i++) {
        size_t l = strlen(command);
        snprintf(command + l, sizeof command - l, " %s", argv[i]);
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) { help(); return 0; }
        else if (!strcmp(a, "-o") || !strcmp(a, "--out")) p.out_path = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--data")) p.data_dir = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--teacher")) p.teacher_path = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--tokenizer-from")) p.tokenizer_from = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--merges")) p.merges = (int)cli_long(a, cli_value(argc, argv, &i), 0, TC_MAX_MERGES);
        else if (!strcmp(a, "--embd")) p.cfg.embd = (int)cli_long(a, cli_value(argc, argv, &i), 1, 1024);
        else if (!strcmp(a, "--dim")) p.cfg.dim = (int)cli_long(a, cli_value(argc, argv, &i), 1, 1024);
        else if (!strcmp(a, "--ffn")) p.cfg.ffn = (int)cli_long(a, cli_value(argc, argv, &i), 1, 4096);
        else if (!strcmp(a, "--heads")) p.cfg.heads = (int)cli_long(a, cli_value(argc, argv, &i), 1, 64);
        else if (!strcmp(a, "--layers")) p.cfg.layers = (int)cli_long(a, cli_value(argc, argv, &i), 1, TC_MAX_LAYERS);
        else if (!strcmp(a, "--max-len")) p.cfg.max_len = (int)cli_long(a, cli_value(argc, argv, &i), 8, 512);
        else if (!strcmp(a, "--epochs")) p.epochs = (int)cli_long(a, cli_value(argc, argv, &i), 1, 100000);
        else if (!strcmp(a, "--batch")) p.batch = (int)cli_long(a, cli_value(argc, argv, &i), 2, 512);
        else if (!strcmp(a, "--lr")) p.lr = cli_float(a, cli_value(argc, argv, &i), 0.0f, 1.0f);
        else if (!strcmp(a, "--lr-min")) p.lr_min = cli_float(a, cli_value(argc, argv, &i), 0.0f, 1.0f);
        else if (!strcmp(a, "--warmup")) p.warmup_frac = cli_float(a, cli_value(argc, argv, &i), 0.0f, 1.0f);
        else if (!strcmp(a, "--weight-decay")) p.weight_decay = cli_float(a, cli_value(argc, argv, &i), 0.0f, 10.0f);
        else if (!strcmp(a, "--clip")) p.clip = cli_float(a, cli_value(argc, argv, &i), 0.0f, 1e6f);
        else if (!strcmp(a, "--dropout")) p.dropout = cli_float(a, cli_value(argc, argv, &i), 0.0f, 0.9f);
        else if (!strcmp(a, "--ctx-drop")) p.ctx_drop = cli_float(a, cli_value(argc, argv, &i), 0.0f, 0.5f);
        else if (!strcmp(a, "--vad-weight")) p.vad_weight = cli_float(a, cli_value(argc, argv, &i), 0.0f, 100.0f);
        else if (!strcmp(a, "--alpha")) p.alpha = cli_float(a, cli_value(argc, argv, &i), 0.0f, 1.0f);
        else if (!strcmp(a, "--temperature")) p.temperature = cli_float(a, cli_value(argc, argv, &i), 0.1f, 100.0f);
        else if (!strcmp(a, "--seed")) p.seed = (uint64_t)cli_long(a, cli_value(argc, argv, &i), 0, 1L << 62);
        else if (!strcmp(a, "--threads")) p.threads = (int)cli_long(a, cli_value(argc, argv, &i), 1, 256);
        else if (!strcmp(a, "--checkpoint")) p.checkpoint_path = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--resume")) p.resume = 1;
        else if (!strcmp(a, "--evaluate")) evaluate = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--split")) split = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--format")) format = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--emit-c")) emit = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--weights-c")) weights_c = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--vocab-c")) vocab_c = cli_value(argc, argv, &i);
        else cli_die("train-classifier: unknown option \"%s\" (see --help)", a);
    }
    if (strcmp(format, "text") && strcmp(format, "json")) cli_die("--format: \"%s\" is not text or json", format);
    if (emit) {
        if (tc_emit_c(emit, weights_c, vocab_c, command) != AS_OK) cli_die("%s", as_last_error());
        printf("wrote %s and %s\n", weights_c, vocab_c);
        return 0;
    }
    if (evaluate) {
        int sp = as_split_find(split);
        if (sp < 0 || sp == AS_SPLIT_NONE) cli_die("--split: \"%s\" is not train, validation or test", split);
        as_classifier *m = strcmp(evaluate, "builtin") ? as_classifier_load(evaluate) : NULL;
        if (strcmp(evaluate, "builtin") && !m) cli_die("%s", as_last_error());
        as_corpus *c = as_corpus_load(p.data_dir);
        if (!c) cli_die("%s", as_last_error());
        tc_eval_report ev;
        if (tc_evaluate(m, c, (as_split)sp, &ev) != AS_OK) cli_die("%s", as_last_error());
        char what[512];
        snprintf(what, sizeof what, "%s on the %s split", evaluate, split);
        print_report(what, &ev, !strcmp(format, "json"));
        as_corpus_destroy(c);
        as_classifier_destroy(m);
        return 0;
    }
    if (!p.out_path) cli_die("train-classifier: -o MODEL is required (see --help)");
    p.progress = print_line;
    tc_eval_report best;
    if (tc_train(&p, &best) != AS_OK) cli_die("%s", as_last_error());
    print_report("best epoch on the validation split", &best, 0);
    return 0;
}
