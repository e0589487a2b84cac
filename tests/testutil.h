/* testutil.h — the tiny assertion kit every test program uses. A failed
 * CHECK prints file:line and the expression and counts a failure; a test's
 * main() returns test_finish(), non-zero if any check failed. */
#ifndef AS_TESTUTIL_H
#define AS_TESTUTIL_H
#include <stdio.h>

extern int test_failures;
extern int test_checks;

#define CHECK(cond) do { test_checks++; if (!(cond)) { test_failures++; \
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECKF(cond, ...) do { test_checks++; if (!(cond)) { test_failures++; \
    fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

/* Prints a summary line and returns the exit status. */
int test_finish(const char *name);
/* Runs a shell command, captures stdout into out (size n, NUL-terminated)
 * and returns the exit status (or -1). */
int test_run(const char *cmd, char *out, size_t n);
/* A fresh temporary directory (mkdtemp), path in a static buffer per call slot. */
const char *test_tmpdir(void);
/* Reads a whole file; caller frees. NULL if it cannot. */
char *test_read_file(const char *path, size_t *len);
/* Number of entries in a directory (. and .. not counted), or -1. */
int test_dir_entries(const char *dir);
/* Parses a {"names": [...], "weights": [...]} document into w[52];
 * 1 when both arrays have 52 items and the names are the ARKit names in
 * canonical order. */
int test_face_weights(const char *json, float *w);
#endif
