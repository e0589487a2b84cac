/* test_nn_weights.c — weight files (src/nn/weights.c): a save/load round
 * trip is bit-identical; a wrong magic, version or kind, a truncated or
 * oversized file, any single flipped bit and a hyperparameter mismatch are
 * refused with a one-line message that carries the hint; the C source
 * generator's output compiles (system cc) and holds exactly the values. */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "animasync/nn.h"
#include "nn/nn.h"
#include "testutil.h"

#define HINT "retrain with `animasync train --out FILE`"

static int contains(const char *s, const char *sub) { return strstr(s, sub) != NULL; }

static size_t file_size(const char *path)
{
    size_t n = 0;
    char *d = test_read_file(path, &n);
    free(d);
    return d ? n : 0;
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, n, f);
        fclose(f);
    }
}

/* Loads path expecting failure r with every fragment in its message. */
static void expect_refusal(const char *what, const char *path, int32_t kind, as_result r, const char *frag1,
                           const char *frag2)
{
    nn_weights w;
    as_result got = nn_weights_load(path, kind, HINT, &w);
    const char *last = as_last_error();
    const char *msg = last ? last : "";
    CHECKF(got == r, "%s: result %d, want %d (%s)", what, got, r, msg);
    CHECKF(contains(msg, frag1), "%s: message '%s' lacks '%s'", what, msg, frag1);
    if (frag2) CHECKF(contains(msg, frag2), "%s: message '%s' lacks '%s'", what, msg, frag2);
    if (r == AS_ERR_PARSE) {
        CHECKF(contains(msg, HINT), "%s: message '%s' carries the hint", what, msg);
        CHECKF(contains(msg, path), "%s: message names the file", what);
    }
    CHECKF(strchr(msg, '\n') == NULL, "%s: one line", what);
    CHECK(w.values == NULL && w.extra == NULL);
}

static void test_crc(void)
{
    CHECKF(nn_crc32(0, "123456789", 9) == 0xCBF43926u, "CRC-32 check value (%08x)", nn_crc32(0, "123456789", 9));
    /* continuing a CRC over a split buffer gives the same as one pass */
    CHECK(nn_crc32(nn_crc32(0, "1234", 4), "56789", 5) == 0xCBF43926u);
    CHECK(nn_crc32(0, "", 0) == 0);
}

static void test_round_trip(const char *dir)
{
    char path[256];
    snprintf(path, sizeof path, "%s/model.bin", dir);
    /* values with every kind of float: normal, tiny, denormal, -0, huge */
    size_t n = 1000;
    float *v = malloc(n * sizeof(float));
    nn_rng rng;
    nn_rng_seed(&rng, 9);
    for (size_t i = 0; i < n; i++) v[i] = nn_rng_normal(&rng);
    v[0] = -0.0f, v[1] = 1e-45f, v[2] = FLT_MIN / 3, v[3] = FLT_MAX, v[4] = -FLT_MAX, v[5] = 1.0f / 3.0f;
    int32_t hp[4] = {128, 4, 3, -7};
    const char extra[] = "vocab\0with a zero byte";
    CHECK(nn_weights_save(path, AS_NN_KIND_LIPSYNC_STUDENT, hp, 4, v, n, extra, sizeof extra) == AS_OK);
    size_t want_len = 4 * (4 + 4 + 2) + 4 * n + sizeof extra + 4;
    CHECKF(file_size(path) == want_len, "file size %zu = header + values + extra + crc = %zu", file_size(path),
           want_len);
    size_t len = 0;
    unsigned char *raw = (unsigned char *)test_read_file(path, &len);
    CHECK(raw && memcmp(raw, "ASNN", 4) == 0 && raw[4] == 1 && raw[8] == 1 && raw[12] == 4 && raw[16] == 128);
    /* the first value (-0.0) as little-endian bytes 00 00 00 80 */
    CHECK(raw && raw[40] == 0 && raw[43] == 0x80);
    free(raw);

    nn_weights w;
    CHECKF(nn_weights_load(path, AS_NN_KIND_LIPSYNC_STUDENT, HINT, &w) == AS_OK, "load: %s", as_last_error());
    CHECK(w.version == 1 && w.kind == AS_NN_KIND_LIPSYNC_STUDENT && w.n_hparams == 4 && w.n_values == n);
    CHECK(w.hparams[0] == 128 && w.hparams[3] == -7);
    CHECKF(w.values && memcmp(w.values, v, n * sizeof(float)) == 0, "round trip is bit-identical");
    CHECK(w.n_extra == sizeof extra && w.extra && memcmp(w.extra, extra, sizeof extra) == 0);
    /* the model's own check: matching, then each kind of mismatch */
    static const char *const names[4] = {"channels", "layers", "kernel", "offset"};
    CHECK(nn_weights_expect(&w, hp, names, 4, n, path, HINT) == AS_OK);
    int32_t other[4] = {64, 4, 3, -7};
    CHECK(nn_weights_expect(&w, other, names, 4, n, path, HINT) == AS_ERR_PARSE);
    CHECKF(contains(as_last_error(), "hyperparameter channels is 128 in the weight file, this model expects 64") &&
               contains(as_last_error(), HINT),
           "hyperparameter mismatch message: %s", as_last_error());
    CHECK(nn_weights_expect(&w, hp, NULL, 3, n, path, HINT) == AS_ERR_PARSE);
    CHECKF(contains(as_last_error(), "4 hyperparameters in the weight file, this model has 3"), "%s", as_last_error());
    CHECK(nn_weights_expect(&w, hp, NULL, 4, n + 1, path, HINT) == AS_ERR_PARSE);
    CHECKF(contains(as_last_error(), "1000 weights in the file, this model has 1001"), "%s", as_last_error());
    other[2] = 5;
    other[0] = 128;
    CHECK(nn_weights_expect(&w, other, NULL, 4, n, path, HINT) == AS_ERR_PARSE);
    CHECKF(contains(as_last_error(), "hyperparameter #2 is 3"), "unnamed hyperparameter: %s", as_last_error());
    nn_weights_free(&w);

    /* the public check */
    as_nn_file_info info;
    CHECK(as_nn_file_info_read(path, &info) == AS_OK);
    CHECK(info.version == AS_NN_FORMAT_VERSION && info.kind == AS_NN_KIND_LIPSYNC_STUDENT && info.n_hparams == 4 &&
          info.hparams[1] == 4 && info.n_values == n && info.n_extra == sizeof extra && info.checksum != 0);
    CHECK(strcmp(as_nn_kind_name(AS_NN_KIND_TEXT_CLASSIFIER), "text classifier") == 0);
    CHECK(strcmp(as_nn_kind_name(AS_NN_KIND_LIPSYNC_STUDENT | AS_NN_KIND_CHECKPOINT), "lipsync student checkpoint") == 0);
    CHECK(strcmp(as_nn_kind_name(77), "unknown kind") == 0);

    /* kind -1 accepts any kind; the wrong kind is refused */
    CHECK(nn_weights_load(path, -1, NULL, &w) == AS_OK);
    nn_weights_free(&w);
    expect_refusal("wrong kind", path, AS_NN_KIND_TEXT_CLASSIFIER, AS_ERR_PARSE,
                   "holds a lipsync student (kind 1), not a text classifier (kind 2)", NULL);

    /* an empty model and no extra bytes */
    char path0[256];
    snprintf(path0, sizeof path0, "%s/empty.bin", dir);
    CHECK(nn_weights_save(path0, AS_NN_KIND_GENERIC, NULL, 0, NULL, 0, NULL, 0) == AS_OK);
    CHECK(file_size(path0) == 28);
    CHECK(nn_weights_load(path0, AS_NN_KIND_GENERIC, NULL, &w) == AS_OK && w.n_values == 0 && w.extra == NULL);
    nn_weights_free(&w);

    /* the writer refuses what it cannot store, and leaves nothing behind */
    v[7] = NAN;
    char path2[256];
    snprintf(path2, sizeof path2, "%s/nan.bin", dir);
    CHECK(nn_weights_save(path2, 0, hp, 4, v, n, NULL, 0) == AS_ERR_INVALID_ARG);
    CHECK(contains(as_last_error(), "weight 7 is not a finite number"));
    CHECK(access(path2, F_OK) != 0);
    v[7] = 0.0f;
    CHECK(nn_weights_save(path2, 0, hp, NN_MAX_HPARAMS + 1, v, n, NULL, 0) == AS_ERR_INVALID_ARG);
    CHECK(nn_weights_save("/nonexistent-dir/x.bin", 0, hp, 4, v, n, NULL, 0) == AS_ERR_IO);
    /* no temporary file left in dir */
    char cmd[512], out[256];
    snprintf(cmd, sizeof cmd, "ls %s | grep -c tmp", dir);
    test_run(cmd, out, sizeof out);
    CHECKF(atoi(out) == 0, "no temporary files left (%s)", out);
    free(v);
}

static void test_refusals(const char *dir)
{
    char good[256], bad[256];
    snprintf(good, sizeof good, "%s/good.bin", dir);
    snprintf(bad, sizeof bad, "%s/bad.bin", dir);
    float v[6] = {0.5f, -1.0f, 2.0f, 0.25f, 3.0f, -0.125f};
    int32_t hp[2] = {3, 2};
    CHECK(nn_weights_save(good, AS_NN_KIND_TEXT_CLASSIFIER, hp, 2, v, 6, "ab", 2) == AS_OK);
    size_t len = 0;
    unsigned char *data = (unsigned char *)test_read_file(good, &len);
    CHECK(data && len == 4 * 8 + 24 + 2 + 4);
    if (!data) return;
    unsigned char *buf = malloc(len + 16);

    /* wrong magic: a WAV file, an empty file */
    memcpy(buf, data, len);
    memcpy(buf, "RIFF", 4);
    write_bytes(bad, buf, len);
    expect_refusal("wrong magic", bad, AS_NN_KIND_TEXT_CLASSIFIER, AS_ERR_PARSE, "not an animasync weight file",
                   "52 49 46 46");
    write_bytes(bad, buf, 0);
    expect_refusal("empty file", bad, AS_NN_KIND_TEXT_CLASSIFIER, AS_ERR_PARSE, "truncated weight file (0 bytes", NULL);
    /* wrong version */
    memcpy(buf, data, len);
    buf[4] = 2;
    write_bytes(bad, buf, len);
    expect_refusal("wrong version", bad, AS_NN_KIND_TEXT_CLASSIFIER, AS_ERR_PARSE,
                   "format version 2, this build reads version 1", NULL);
    /* truncated: inside the header, inside the values, the trailer missing */
    size_t cuts[] = {3, 10, 20, 40, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        write_bytes(bad, data, cuts[i]);
        expect_refusal("truncated", bad, AS_NN_KIND_TEXT_CLASSIFIER, AS_ERR_PARSE, "truncated weight file", NULL);
    }
    write_bytes(bad, data, len - 1);
    expect_refusal("truncated by one", bad, -1, AS_ERR_PARSE, "its header announces 62", NULL);
    /* oversized */
    memcpy(buf, data, len);
    memcpy(buf + len, "garbage!", 8);
    write_bytes(bad, buf, len + 8);
    expect_refusal("oversized", bad, AS_NN_KIND_TEXT_CLASSIFIER, AS_ERR_PARSE, "oversized weight file",
                   "8 bytes too many");
    /* a flipped byte in the values: the checksum */
    memcpy(buf, data, len);
    buf[40] ^= 0x01;
    write_bytes(bad, buf, len);
    expect_refusal("flipped byte", bad, AS_NN_KIND_TEXT_CLASSIFIER, AS_ERR_PARSE, "corrupt weight file (checksum",
                   NULL);
    /* every single flipped bit anywhere in the file is refused */
    int all_refused = 1;
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(buf, data, len);
            buf[i] ^= (unsigned char)(1u << bit);
            nn_weights w;
            if (nn_weights_parse(buf, len, "flip", AS_NN_KIND_TEXT_CLASSIFIER, NULL, &w) == AS_OK) {
                all_refused = 0;
                fprintf(stderr, "flipped bit %d of byte %zu accepted\n", bit, i);
                nn_weights_free(&w);
            }
        }
    }
    CHECKF(all_refused, "each of the %zu single-bit flips is refused", len * 8);
    /* a file that is not there */
    char missing[256];
    snprintf(missing, sizeof missing, "%s/missing.bin", dir);
    expect_refusal("missing file", missing, -1, AS_ERR_IO, "missing.bin", NULL);
    /* the default hint when the caller gives none */
    memcpy(buf, "XXXX", 4);
    nn_weights w;
    CHECK(nn_weights_parse(buf, len, "x.bin", -1, NULL, &w) == AS_ERR_PARSE);
    CHECKF(contains(as_last_error(), "trainer of this animasync version"), "default hint: %s", as_last_error());
    free(buf);
    free(data);
}

/* Allocation failure while loading: AS_ERR_NOMEM, nothing leaked (ASan). */
static int fail_after = -1;
static void *failing_malloc(size_t n, void *u)
{
    (void)u;
    if (fail_after == 0) return NULL;
    if (fail_after > 0) fail_after--;
    return malloc(n);
}
static void *plain_realloc(void *p, size_t n, void *u) { (void)u; return realloc(p, n); }
static void plain_free(void *p, void *u) { (void)u; free(p); }

static void test_alloc_failure(const char *dir)
{
    char path[256];
    snprintf(path, sizeof path, "%s/good.bin", dir);
    as_allocator a = {failing_malloc, plain_realloc, plain_free, NULL};
    as_set_allocator(&a);
    int saw_nomem = 0, saw_ok = 0;
    for (int k = 0; k < 6; k++) {
        fail_after = k;
        nn_weights w;
        as_result r = nn_weights_load(path, -1, NULL, &w);
        if (r == AS_ERR_NOMEM) saw_nomem = 1;
        if (r == AS_OK) saw_ok = 1, nn_weights_free(&w);
        CHECK(r == AS_OK || r == AS_ERR_NOMEM);
    }
    as_set_allocator(NULL);
    fail_after = -1;
    CHECK(saw_nomem && saw_ok);
}

static void test_c_source(const char *dir)
{
    char src[256], chk[256], bin[256], exe[256], cmd[2048], out[4096];
    snprintf(src, sizeof src, "%s/weights_gen.c", dir);
    snprintf(chk, sizeof chk, "%s/check.c", dir);
    snprintf(bin, sizeof bin, "%s/values.bin", dir);
    snprintf(exe, sizeof exe, "%s/check", dir);
    size_t n = 1003;
    float *v = malloc(n * sizeof(float));
    nn_rng rng;
    nn_rng_seed(&rng, 4);
    for (size_t i = 0; i < n; i++) v[i] = nn_rng_normal(&rng) * powf(10.0f, (float)(i % 9) - 4.0f);
    v[0] = -0.0f, v[1] = 0.0f, v[2] = 1e-45f, v[3] = FLT_MAX, v[4] = -FLT_MIN, v[5] = 1.0f / 3.0f, v[6] = 30.0f,
    v[7] = -2.5e-38f;
    int32_t hp[3] = {141, 128, -1};
    const char *command = "animasync train --data gen/ --out m.bin */ # tricky\ncomment";
    CHECK(nn_weights_write_c(src, "as_default_weights_test", command, AS_NN_KIND_LIPSYNC_STUDENT, hp, 3, v, n) ==
          AS_OK);
    char *text = test_read_file(src, NULL);
    CHECK(text != NULL);
    if (!text) return;
    char *nl = strchr(text, '\n');
    if (nl) *nl = 0;
    CHECKF(contains(text, "Generated") && contains(text, "animasync train --data gen/ --out m.bin"),
           "first line says generated and by which command: %s", text);
    free(text);
    write_bytes(bin, v, n * sizeof(float));
    FILE *f = fopen(chk, "w");
    CHECK(f != NULL);
    if (!f) return;
    fprintf(f,
            "#include <stdint.h>\n#include <stdio.h>\n#include <string.h>\n"
            "extern const int32_t as_default_weights_test_header[];\n"
            "extern const size_t as_default_weights_test_count;\n"
            "extern const float as_default_weights_test[];\n"
            "int main(int argc, char **argv) {\n"
            "    static float want[%zu];\n"
            "    FILE *f = fopen(argc > 1 ? argv[1] : \"\", \"rb\");\n"
            "    if (!f || fread(want, sizeof(float), %zu, f) != %zu) return 2;\n"
            "    fclose(f);\n"
            "    if (as_default_weights_test_count != %zu) return 3;\n"
            "    const int32_t *h = as_default_weights_test_header;\n"
            "    if (h[0] != 1 || h[1] != 3 || h[2] != 141 || h[3] != 128 || h[4] != -1) return 4;\n"
            "    if (memcmp(want, as_default_weights_test, sizeof want) != 0) return 5;\n"
            "    printf(\"ok\\n\");\n"
            "    return 0;\n}\n",
            n, n, n, n);
    fclose(f);
    /* compile it with the system compiler (skipped, with a note, where
     * there is none) and let the program compare */
    int have_cc = test_run("command -v cc >/dev/null 2>&1", NULL, 0) == 0;
    int st = 0;
    if (have_cc) {
        snprintf(cmd, sizeof cmd, "cc -std=c11 -Wall -Wextra -Werror -O0 -o %s %s %s 2>&1 && %s %s", exe, src, chk,
                 exe, bin);
        st = test_run(cmd, out, sizeof out);
        CHECKF(st == 0 && contains(out, "ok"), "generated C compiles and holds the exact values (status %d): %s", st,
               out);
    } else {
        printf("  no cc on PATH: the generated C source is not compiled\n");
    }

    /* the arrays as the library reads them back: kind checked, a copy */
    int32_t header[5] = {AS_NN_KIND_LIPSYNC_STUDENT, 3, 141, 128, -1};
    nn_weights w;
    CHECK(nn_weights_from_arrays(header, v, n, "built-in", AS_NN_KIND_LIPSYNC_STUDENT, NULL, &w) == AS_OK);
    CHECK(w.n_hparams == 3 && w.hparams[1] == 128 && w.n_values == n && w.values != v &&
          memcmp(w.values, v, n * sizeof(float)) == 0);
    CHECK(nn_weights_expect(&w, hp, NULL, 3, n, "built-in", NULL) == AS_OK);
    nn_weights_free(&w);
    CHECK(nn_weights_from_arrays(header, v, n, "built-in", AS_NN_KIND_TEXT_CLASSIFIER, NULL, &w) == AS_ERR_PARSE);
    CHECKF(contains(as_last_error(), "built-in: holds a lipsync student"), "%s", as_last_error());

    /* refusals: a name that is not an identifier, a NaN */
    CHECK(nn_weights_write_c(src, "3bad name", "x", 0, NULL, 0, v, n) == AS_ERR_INVALID_ARG);
    v[9] = INFINITY;
    CHECK(nn_weights_write_c(src, "ok_name", "x", 0, NULL, 0, v, n) == AS_ERR_INVALID_ARG);
    /* an empty set of weights still compiles */
    CHECK(nn_weights_write_c(src, "as_default_weights_test", "x", 0, NULL, 0, NULL, 0) == AS_OK);
    if (have_cc) {
        snprintf(cmd, sizeof cmd, "cc -std=c11 -Wall -Wextra -Werror -c -o %s.o %s 2>&1", src, src);
        st = test_run(cmd, out, sizeof out);
        CHECKF(st == 0, "empty generated file compiles: %s", out);
    }
    free(v);
}

static void test_checkpoint(const char *dir)
{
    char path[256];
    snprintf(path, sizeof path, "%s/ckpt.bin", dir);
    size_t n = 50;
    float val[50], m[50], v[50], rv[50], rm[50], rvv[50];
    for (size_t i = 0; i < n; i++) val[i] = (float)i * 0.5f, m[i] = -(float)i, v[i] = (float)i * 1e-3f;
    int32_t hp[2] = {16, 3};
    long big_step = 5000000000L; /* more than 32 bits */
    CHECK(nn_checkpoint_save(path, AS_NN_KIND_TEXT_CLASSIFIER, hp, 2, val, m, v, n, big_step, "tok", 3) == AS_OK);
    long step = 0;
    static const char *const names[2] = {"d_model", "layers"};
    CHECKF(nn_checkpoint_load(path, AS_NN_KIND_TEXT_CLASSIFIER, hp, names, 2, rv, rm, rvv, n, &step, NULL) == AS_OK,
           "checkpoint load: %s", as_last_error());
    CHECK(step == big_step);
    CHECK(memcmp(rv, val, sizeof val) == 0 && memcmp(rm, m, sizeof m) == 0 && memcmp(rvv, v, sizeof v) == 0);
    /* a checkpoint is not a model file, and the other way round */
    nn_weights w;
    CHECK(nn_weights_load(path, AS_NN_KIND_TEXT_CLASSIFIER, NULL, &w) == AS_ERR_PARSE);
    CHECKF(contains(as_last_error(), "text classifier checkpoint"), "%s", as_last_error());
    CHECK(nn_weights_load(path, AS_NN_KIND_TEXT_CLASSIFIER | AS_NN_KIND_CHECKPOINT, NULL, &w) == AS_OK &&
          w.n_extra == 3 && memcmp(w.extra, "tok", 3) == 0);
    nn_weights_free(&w);
    /* another model shape is refused by name */
    int32_t other[2] = {32, 3};
    CHECK(nn_checkpoint_load(path, AS_NN_KIND_TEXT_CLASSIFIER, other, names, 2, rv, rm, rvv, n, &step, HINT) ==
          AS_ERR_PARSE);
    CHECKF(contains(as_last_error(), "d_model is 16 in the weight file, this model expects 32"), "%s",
           as_last_error());
    CHECK(nn_checkpoint_load(path, AS_NN_KIND_TEXT_CLASSIFIER, hp, names, 2, rv, rm, rvv, n - 1, &step, HINT) ==
          AS_ERR_PARSE);
}

int main(void)
{
    const char *dir = test_tmpdir();
    CHECK(dir != NULL);
    if (!dir) return test_finish("test_nn_weights");
    test_crc();
    test_round_trip(dir);
    test_refusals(dir);
    test_alloc_failure(dir);
    test_checkpoint(dir);
    test_c_source(dir);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    test_run(cmd, NULL, 0);
    return test_finish("test_nn_weights");
}
