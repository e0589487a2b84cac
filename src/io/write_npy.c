/* io/write_npy.c — the NumPy .npy writer, one implementation of the writer
 * interface (io.h). Format version 1.0 (numpy.lib.format): the magic
 * "\x93NUMPY", version bytes 1 0, a little-endian uint16 header length, an
 * ASCII dict "{'descr': '<f4', 'fortran_order': False, 'shape': (T, C), }"
 * padded with spaces and ended by '\n' so that the data starts at byte 128
 * (a multiple of 64, as NumPy aligns it), then T x C float32 little-endian,
 * row-major. T is unknown until close, so a fixed 128-byte header is written
 * first and rewritten with the frame count at close. */
#include <stdint.h>
#include <string.h>
#include "io_internal.h"

#define NPY_HEADER_BYTES 128 /* magic 6 + version 2 + length 2 + dict 118 */

typedef struct {
    as_atomic_file af;
    size_t num_channels;
    size_t frames;
    unsigned char *row; /* (num_channels x 4) little-endian bytes of one frame */
} npy_writer;

/* Writes the whole header for T frames; 0 on a stream error. */
static int put_header(FILE *f, size_t frames, size_t channels)
{
    unsigned char head[NPY_HEADER_BYTES];
    memset(head, ' ', sizeof head);
    memcpy(head, "\x93NUMPY\x01\x00", 8);
    uint16_t dict_len = NPY_HEADER_BYTES - 10;
    head[8] = (unsigned char)(dict_len & 0xFF);
    head[9] = (unsigned char)(dict_len >> 8);
    char dict[NPY_HEADER_BYTES];
    int n = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu, %zu), }", frames,
                     channels);
    if (n < 0 || n > (int)dict_len - 1) return 0; /* cannot happen: 20-digit counts fit */
    memcpy(head + 10, dict, (size_t)n);
    head[NPY_HEADER_BYTES - 1] = '\n';
    return fwrite(head, 1, sizeof head, f) == sizeof head;
}

static as_result npy_open(void **state, const char *path, const char *const *names, size_t num_channels, float fps,
                          const as_anim_meta *meta)
{
    (void)names; /* NPY stores numbers only: the shape carries C, the channel order is the caller's */
    (void)fps;
    (void)meta;
    npy_writer *w = as_calloc(1, sizeof *w);
    if (w) w->row = as_malloc(num_channels * 4);
    if (!w || !w->row) {
        if (w) as_free(w->row);
        as_free(w);
        return as_fail(AS_ERR_NOMEM, "%s: out of memory", path);
    }
    w->num_channels = num_channels;
    as_result r = as_atomic_open(&w->af, path);
    if (r == AS_OK) {
        put_header(w->af.f, 0, num_channels);
        r = as_io_check(&w->af);
    }
    if (r != AS_OK) {
        as_free(w->row);
        as_free(w);
        return r;
    }
    *state = w;
    return AS_OK;
}

static as_result npy_write_frame(void *state, const float *frame)
{
    npy_writer *w = state;
    for (size_t c = 0; c < w->num_channels; c++) {
        uint32_t bits;
        memcpy(&bits, &frame[c], 4); /* IEEE 754 binary32 on every supported platform */
        unsigned char *b = w->row + 4 * c;
        b[0] = (unsigned char)(bits & 0xFF);
        b[1] = (unsigned char)((bits >> 8) & 0xFF);
        b[2] = (unsigned char)((bits >> 16) & 0xFF);
        b[3] = (unsigned char)(bits >> 24);
    }
    fwrite(w->row, 4, w->num_channels, w->af.f);
    w->frames++;
    return as_io_status(&w->af);
}

static as_result npy_close(void *state)
{
    npy_writer *w = state;
    FILE *f = w->af.f;
    as_result r;
    /* rewrite the header with the real frame count */
    if (fflush(f) == 0 && fseek(f, 0, SEEK_SET) == 0 && put_header(f, w->frames, w->num_channels)) {
        r = as_io_commit(&w->af);
    } else {
        r = as_fail(AS_ERR_IO, "%s: could not rewrite the NPY header", w->af.path ? w->af.path : "?");
        as_atomic_abort(&w->af);
    }
    as_free(w->row);
    as_free(w);
    return r;
}

static void npy_abort(void *state)
{
    npy_writer *w = state;
    as_atomic_abort(&w->af);
    as_free(w->row);
    as_free(w);
}

const as_writer_iface as_writer_npy = {"npy", npy_open, npy_write_frame, npy_close, npy_abort};
