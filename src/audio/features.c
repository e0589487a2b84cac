/* audio/features.c — the streaming feature extractor of features.h:
 * resampling to 16 kHz (libsoxr), the 16 kHz sample buffer, frame
 * scheduling, the regression stage's five-frame ring, the edges of a clip
 * (zeros before time 0 and after the end, repeated frames for the
 * regression), and the one-call offline path.
 *
 * How a push flows: input -> soxr (or a copy at 16 kHz) -> buf -> every frame
 * whose pitch span is complete is analysed (features_dsp.c) into the ring ->
 * every frame whose two successors are analysed goes through the regression
 * and out. Frames depend only on the samples and on the order of frames, never
 * on how the input was split, so chunked and one-call output are identical
 * (libsoxr's output is itself independent of the split: tests check both). */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <soxr.h>

#include "audio/features_internal.h"
#include "core/internal.h"

#define FEAT_BUF_CAP 8192    /* 16 kHz samples held: one pitch span plus room for new audio */
#define FEAT_SOXR_PIECE 4096 /* input samples per soxr call: bounds soxr's own FIFOs */
#define FEAT_RING 8          /* analysed frames kept for the regression (needs 5) */
#define FEAT_MIN_RATE 4000
#define FEAT_MAX_RATE 384000
#define PITCH_LP_HZ 1000.0 /* the pitch tracker's low-pass corner */

struct as_features {
    int rate_hz;
    as_features_params params;
    soxr_t soxr; /* NULL when the input is already at 16 kHz */
    feat_analyzer an;
    int lo_off, hi_off;    /* frame k reads 16 kHz samples [160 k + lo_off, 160 k + hi_off) */
    int64_t buf_start;     /* 16 kHz index of buf[0]; negative at a clip's start (zeros before time 0) */
    size_t buf_len;
    int64_t n16;           /* 16 kHz samples of real audio produced so far */
    uint64_t n_in;         /* input samples pushed */
    int64_t next_k;        /* next frame to analyse */
    int64_t next_emit;     /* next frame to return */
    int flushed;
    double lp_b[3], lp_a[2]; /* the low-pass biquad (a0 = 1) */
    double lp_z[2];          /* its state (transposed direct form II) */
    float ring[FEAT_RING][AS_FEAT_DIM];
    float buf[FEAT_BUF_CAP]; /* the 16 kHz signal */
    float lp[FEAT_BUF_CAP];  /* the same samples low-passed for the pitch tracker */
};

/* ---- names and timing ------------------------------------------------------ */

static const char *const other_names[AS_FEAT_DIM - 3 * AS_FEAT_NUM_MEL] = {
    "f0", "f0_rel", "voicing", "voiced", "f0_slope", "energy", "energy_rel", "energy_slope",
    "zcr", "centroid", "spread", "rolloff", "flatness", "flux", "tilt", "low_ratio",
    "high_ratio", "f1_centroid", "f2_centroid", "centroid_slope", "voicing_slope"};

/* "mel_00" .. "dd_mel_39": 120 names of at most 9 bytes, built once. */
static char mel_names[3 * AS_FEAT_NUM_MEL][12];
static pthread_once_t mel_names_once = PTHREAD_ONCE_INIT;

static void build_mel_names(void)
{
    static const char *const prefix[3] = {"mel_", "d_mel_", "dd_mel_"};
    for (int k = 0; k < 3 * AS_FEAT_NUM_MEL; k++)
        snprintf(mel_names[k], sizeof mel_names[k], "%s%02d", prefix[k / AS_FEAT_NUM_MEL], k % AS_FEAT_NUM_MEL);
}

const char *as_features_name(int i)
{
    if (i < 0 || i >= AS_FEAT_DIM) return NULL;
    if (i >= 3 * AS_FEAT_NUM_MEL) return other_names[i - 3 * AS_FEAT_NUM_MEL];
    pthread_once(&mel_names_once, build_mel_names);
    return mel_names[i];
}

double as_features_frame_time_s(size_t k)
{
    return ((double)AS_FEAT_WIN / 2 + (double)k * AS_FEAT_HOP) / AS_FEAT_RATE_HZ;
}

size_t as_features_frame_at(double t_s)
{
    double k = floor((t_s - (double)AS_FEAT_WIN / 2 / AS_FEAT_RATE_HZ) * AS_FEAT_FPS + 0.5);
    return k > 0.0 ? (size_t)k : 0;
}

/* ---- parameters --------------------------------------------------------------- */

as_features_params as_features_default_params(void)
{
    as_features_params p;
    p.f0_min_hz = 50.0f;         /* below the lowest male voices TTS makes at pitch 0.5 */
    p.f0_max_hz = 800.0f;        /* above a child's or a high female voice at pitch 2 */
    p.voicing_threshold = 0.25f; /* see docs/FEATURES.md: the tracker's aperiodicity is at least YIN's d' */
    return p;
}

static as_result check_params(const as_features_params *p)
{
    if (!(p->f0_min_hz >= 40.0f && p->f0_min_hz <= 200.0f))
        return as_fail(AS_ERR_RANGE, "features: f0_min_hz %g outside 40..200", (double)p->f0_min_hz);
    if (!(p->f0_max_hz >= 200.0f && p->f0_max_hz <= 1000.0f))
        return as_fail(AS_ERR_RANGE, "features: f0_max_hz %g outside 200..1000", (double)p->f0_max_hz);
    if (!(p->f0_max_hz >= 2.0f * p->f0_min_hz))
        return as_fail(AS_ERR_RANGE, "features: f0_max_hz %g is less than 2 x f0_min_hz %g", (double)p->f0_max_hz,
                       (double)p->f0_min_hz);
    if (!(p->voicing_threshold >= 0.01f && p->voicing_threshold <= 0.5f))
        return as_fail(AS_ERR_RANGE, "features: voicing_threshold %g outside 0.01..0.5",
                       (double)p->voicing_threshold);
    return AS_OK;
}

/* ---- the pitch tracker's low-pass ------------------------------------------ */

/* A second-order Butterworth low-pass at 1 kHz (RBJ audio EQ cookbook,
 * Bristow-Johnson; Q = 1/sqrt 2). Pitch tracking works on the signal below
 * about 1 kHz: the fundamental of every voice in range is there, while
 * higher harmonics, whose phases drift apart as F0 glides, blur the
 * periodicity and let a first formant pass for the period (Rabiner 1977 and
 * de Cheveigne & Kawahara 2002 both report the gain from low-pass
 * prefiltering). Its group delay, 0.23 ms at low frequencies, is negligible
 * against the 10 ms hop. */
static void design_lowpass(as_features *st)
{
    const double w0 = 2.0 * 3.14159265358979323846 * PITCH_LP_HZ / AS_FEAT_RATE_HZ;
    const double alpha = sin(w0) / (2.0 * 0.70710678118654752), c = cos(w0), a0 = 1.0 + alpha;
    st->lp_b[0] = (1.0 - c) / 2.0 / a0;
    st->lp_b[1] = (1.0 - c) / a0;
    st->lp_b[2] = (1.0 - c) / 2.0 / a0;
    st->lp_a[0] = -2.0 * c / a0;
    st->lp_a[1] = (1.0 - alpha) / a0;
}

/* Low-passes the count samples appended at buf[from ..] into lp[from ..]. */
static void lowpass_append(as_features *st, size_t from, size_t count)
{
    double z0 = st->lp_z[0], z1 = st->lp_z[1];
    for (size_t i = from; i < from + count; i++) {
        double x = st->buf[i];
        double y = st->lp_b[0] * x + z0;
        z0 = st->lp_b[1] * x - st->lp_a[0] * y + z1;
        z1 = st->lp_b[2] * x - st->lp_a[1] * y;
        st->lp[i] = (float)y;
    }
    st->lp_z[0] = z0;
    st->lp_z[1] = z1;
}

/* ---- lifecycle -------------------------------------------------------------- */

static void clear_stream(as_features *st)
{
    /* The samples a clip's first frames read before time 0 are zeros. */
    st->buf_start = st->lo_off;
    st->buf_len = (size_t)(-st->lo_off);
    memset(st->buf, 0, st->buf_len * sizeof(float));
    memset(st->lp, 0, st->buf_len * sizeof(float));
    memset(st->lp_z, 0, sizeof st->lp_z);
    st->n16 = 0;
    st->n_in = 0;
    st->next_k = 0;
    st->next_emit = 0;
    st->flushed = 0;
    feat_analyzer_reset(&st->an);
}

/* Creates an extractor; the one place both as_features_create and
 * as_features_compute build one, so both report the same errors. */
static as_result features_new(as_features **out, int input_rate_hz, const as_features_params *p)
{
    *out = NULL;
    if (input_rate_hz < FEAT_MIN_RATE || input_rate_hz > FEAT_MAX_RATE)
        return as_fail(AS_ERR_INVALID_ARG, "features: input rate %d Hz outside %d..%d", input_rate_hz,
                       FEAT_MIN_RATE, FEAT_MAX_RATE);
    as_features_params params = p ? *p : as_features_default_params();
    as_result r = check_params(&params);
    if (r != AS_OK) return r;

    as_features *st = as_calloc(1, sizeof *st);
    if (!st) return as_fail(AS_ERR_NOMEM, "features: out of memory");
    st->rate_hz = input_rate_hz;
    st->params = params;
    r = feat_analyzer_init(&st->an, &params);
    if (r != AS_OK) {
        as_free(st);
        return r;
    }
    int pb = feat_pitch_begin(&st->an);
    st->lo_off = pb < 0 ? pb : 0;
    st->hi_off = pb + st->an.yin_span > AS_FEAT_WIN ? pb + st->an.yin_span : AS_FEAT_WIN;

    if (input_rate_hz != AS_FEAT_RATE_HZ) {
        /* High quality (20-bit, linear phase, so no time shift), one thread.
         * A large-DFT size of 2^10 instead of soxr's 2^17 caps the block
         * latency (about 17 ms instead of 40 ms at 44.1 kHz) at a small cost
         * in speed; see docs/FEATURES.md. */
        soxr_error_t err = NULL;
        soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
        soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
        soxr_runtime_spec_t rt = soxr_runtime_spec(1);
        rt.log2_min_dft_size = 10;
        rt.log2_large_dft_size = 10;
        st->soxr = soxr_create((double)input_rate_hz, AS_FEAT_RATE_HZ, 1, &err, &io, &q, &rt);
        if (!st->soxr || err) {
            r = as_fail(AS_ERR_BACKEND, "features: libsoxr cannot resample %d Hz to 16 kHz: %s", input_rate_hz,
                        err ? err : "unknown error");
            if (st->soxr) soxr_delete(st->soxr);
            feat_analyzer_free(&st->an);
            as_free(st);
            return r;
        }
    }
    design_lowpass(st);
    clear_stream(st);
    *out = st;
    return AS_OK;
}

as_features *as_features_create(int input_rate_hz, const as_features_params *p)
{
    as_features *st = NULL;
    features_new(&st, input_rate_hz, p); /* the message stays in as_last_error() */
    return st;
}

void as_features_destroy(as_features *st)
{
    if (!st) return;
    if (st->soxr) soxr_delete(st->soxr);
    feat_analyzer_free(&st->an);
    as_free(st);
}

as_result as_features_reset(as_features *st)
{
    if (!st) return as_fail(AS_ERR_INVALID_ARG, "as_features_reset: NULL extractor");
    if (st->soxr) {
        soxr_error_t err = soxr_clear(st->soxr);
        if (err) return as_fail(AS_ERR_BACKEND, "as_features_reset: libsoxr: %s", err);
    }
    clear_stream(st);
    return AS_OK;
}

int as_features_input_rate(const as_features *st) { return st ? st->rate_hz : 0; }

double as_features_latency_s(const as_features *st)
{
    if (!st) return 0.0;
    /* Frame k is returned once frame k+2's span is in: sample
     * 160 (k+2) + hi_off, against a centre at 160 k + 200. */
    return (double)(2 * AS_FEAT_HOP + st->hi_off - AS_FEAT_WIN / 2) / AS_FEAT_RATE_HZ;
}

/* Upper bound on the 16 kHz samples a clip of n_in input samples gives:
 * libsoxr gives round(n_in x 16000 / rate) in all; one more covers rounding. */
static int64_t max_n16(const as_features *st, uint64_t n_in)
{
    if (!st->soxr) return (int64_t)n_in;
    return (int64_t)floor((double)n_in * AS_FEAT_RATE_HZ / st->rate_hz) + 2;
}

static int64_t frames_for(int64_t n16) { return (n16 + AS_FEAT_HOP - 1) / AS_FEAT_HOP; }

/* Output samples libsoxr may hold back between calls (its filter and block
 * latency). Measured with this configuration over 4 kHz .. 384 kHz and
 * chunks of 1 .. 5000 samples: at most 640 output samples when
 * downsampling and about 414 input samples when upsampling (1656 at 4 kHz);
 * twice that plus a hop, for margin. Used only to size output buffers: the
 * push itself checks the exact need. */
static double soxr_hold_max(const as_features *st)
{
    if (!st->soxr) return 0.0;
    double up = 420.0 * AS_FEAT_RATE_HZ / st->rate_hz;
    return 2.0 * (up > 640.0 ? up : 640.0) + AS_FEAT_HOP;
}

/* Frames one push of n samples (n = 0: the flush) can return from this
 * state: every frame a clip of this length can have, minus those returned. */
static size_t exact_need(const as_features *st, size_t n)
{
    int64_t total = frames_for(max_n16(st, st->n_in + n));
    return total > st->next_emit ? (size_t)(total - st->next_emit) : 0;
}

size_t as_features_max_frames(const as_features *st, size_t n)
{
    if (!st) return 0;
    /* exact_need <= (held + n x ratio + hi_off + 161) / 160 + 2 in every
     * state, since frames are returned as soon as their look-ahead is in
     * (docs/FEATURES.md); one frame more for slack. */
    double n16 = st->soxr ? (double)n * AS_FEAT_RATE_HZ / st->rate_hz : (double)n;
    return (size_t)floor((n16 + soxr_hold_max(st) + st->hi_off + 162.0) / AS_FEAT_HOP) + 4;
}

/* ---- the frame machinery -------------------------------------------------- */

/* Returns frame t through the regression, reading analysed frames t-2 .. t+2
 * clamped to 0 .. last (the clip's edges repeat its first and last frame). */
static void emit(as_features *st, float *frames, size_t *n_out, int64_t last)
{
    const int64_t t = st->next_emit;
    const float *win[5];
    for (int i = 0; i < 5; i++) {
        int64_t k = t - 2 + i;
        if (k < 0) k = 0;
        if (k > last) k = last;
        win[i] = st->ring[k % FEAT_RING];
    }
    feat_regress(frames + *n_out * AS_FEAT_DIM, win);
    (*n_out)++;
    st->next_emit++;
}

/* Analyses every frame below limit whose samples are all in the buffer, and
 * returns every frame whose two successors have been analysed. */
static void run_frames(as_features *st, float *frames, size_t *n_out, int64_t limit)
{
    const int64_t end = st->buf_start + (int64_t)st->buf_len;
    while (st->next_k < limit && st->next_k * AS_FEAT_HOP + st->hi_off <= end) {
        const int64_t s0 = st->next_k * AS_FEAT_HOP;
        const float *frame = st->buf + (s0 - st->buf_start);
        const float *pitch = st->lp + (s0 + feat_pitch_begin(&st->an) - st->buf_start);
        feat_analyze(&st->an, st->ring[st->next_k % FEAT_RING], frame, pitch);
        st->next_k++;
        while (st->next_emit + 2 < st->next_k) emit(st, frames, n_out, st->next_k - 1);
    }
}

/* Drops the samples no future frame reads and returns the free room. */
static size_t compact(as_features *st)
{
    int64_t keep = st->next_k * AS_FEAT_HOP + st->lo_off;
    int64_t drop = keep - st->buf_start;
    if (drop > (int64_t)st->buf_len) drop = (int64_t)st->buf_len;
    if (drop > 0) {
        memmove(st->buf, st->buf + drop, (st->buf_len - (size_t)drop) * sizeof(float));
        memmove(st->lp, st->lp + drop, (st->buf_len - (size_t)drop) * sizeof(float));
        st->buf_len -= (size_t)drop;
        st->buf_start += drop;
    }
    return FEAT_BUF_CAP - st->buf_len;
}

static as_result check_room(const as_features *st, size_t max_frames, size_t n, const char *fn)
{
    size_t need = exact_need(st, n);
    if (max_frames < need)
        return as_fail(AS_ERR_RANGE, "%s: room for %zu frames, this call may return %zu (size the buffer with "
                       "as_features_max_frames)", fn, max_frames, need);
    return AS_OK;
}

as_result as_features_push(as_features *st, float *frames, size_t max_frames, size_t *n_frames, const float *pcm,
                           size_t n)
{
    if (n_frames) *n_frames = 0;
    if (!st || !n_frames || (!pcm && n > 0) || (!frames && max_frames > 0))
        return as_fail(AS_ERR_INVALID_ARG, "as_features_push: NULL argument");
    if (st->flushed)
        return as_fail(AS_ERR_INVALID_ARG, "as_features_push: the clip was flushed; call as_features_reset first");
    if (n == 0) return AS_OK;
    as_result r = check_room(st, max_frames, n, "as_features_push");
    if (r != AS_OK) return r;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(pcm[i]))
            return as_fail(AS_ERR_INVALID_ARG, "as_features_push: sample %zu is not a finite number", i);

    size_t used = 0, out = 0;
    int stalled = 0;
    for (;;) {
        size_t room = compact(st), idone = 0, odone = 0;
        if (!st->soxr) {
            idone = odone = n - used < room ? n - used : room;
            memcpy(st->buf + st->buf_len, pcm + used, odone * sizeof(float));
        } else {
            size_t ilen = n - used < FEAT_SOXR_PIECE ? n - used : FEAT_SOXR_PIECE;
            /* pcm + used is never NULL here: a NULL input would end the stream. */
            soxr_error_t err = soxr_process(st->soxr, pcm + used, ilen, &idone, st->buf + st->buf_len, room, &odone);
            if (err) {
                /* Frames already written stay valid; the stream cannot go on. */
                *n_frames = out;
                st->flushed = 1;
                return as_fail(AS_ERR_BACKEND, "as_features_push: libsoxr: %s", err);
            }
        }
        used += idone;
        st->n_in += idone;
        lowpass_append(st, st->buf_len, odone);
        st->buf_len += odone;
        st->n16 += (int64_t)odone;
        run_frames(st, frames, &out, INT64_MAX);
        if (used == n && (!st->soxr || odone < room)) break; /* soxr filled all room: it may hold more */
        stalled = idone == 0 && odone == 0 ? stalled + 1 : 0;
        if (stalled > 2) {
            *n_frames = out;
            st->flushed = 1;
            return as_fail(AS_ERR_BACKEND, "as_features_push: libsoxr makes no progress");
        }
    }
    *n_frames = out;
    return AS_OK;
}

as_result as_features_flush(as_features *st, float *frames, size_t max_frames, size_t *n_frames)
{
    if (n_frames) *n_frames = 0;
    if (!st || !n_frames || (!frames && max_frames > 0))
        return as_fail(AS_ERR_INVALID_ARG, "as_features_flush: NULL argument");
    if (st->flushed) return as_fail(AS_ERR_INVALID_ARG, "as_features_flush: already flushed");
    as_result r = check_room(st, max_frames, 0, "as_features_flush");
    if (r != AS_OK) return r;
    st->flushed = 1;

    size_t out = 0;
    if (st->soxr) {
        /* A NULL input tells soxr the stream has ended: it returns what its
         * filter still holds, then 0. */
        for (;;) {
            size_t room = compact(st), odone = 0;
            soxr_error_t err = soxr_process(st->soxr, NULL, 0, NULL, st->buf + st->buf_len, room, &odone);
            if (err) {
                *n_frames = out;
                return as_fail(AS_ERR_BACKEND, "as_features_flush: libsoxr: %s", err);
            }
            lowpass_append(st, st->buf_len, odone);
            st->buf_len += odone;
            st->n16 += (int64_t)odone;
            run_frames(st, frames, &out, INT64_MAX);
            if (odone == 0) break;
        }
    }

    /* The last windows run past the end: pad with zeros until the last
     * frame's span is complete. */
    const int64_t total = frames_for(st->n16);
    while (st->next_k < total) {
        size_t room = compact(st);
        int64_t need = st->next_k * AS_FEAT_HOP + st->hi_off - (st->buf_start + (int64_t)st->buf_len);
        size_t add = need > 0 ? ((size_t)need < room ? (size_t)need : room) : 0;
        memset(st->buf + st->buf_len, 0, add * sizeof(float));
        lowpass_append(st, st->buf_len, add);
        st->buf_len += add;
        run_frames(st, frames, &out, total);
    }
    while (st->next_emit < total) emit(st, frames, &out, total - 1);
    *n_frames = out;
    return AS_OK;
}

/* ---- offline ------------------------------------------------------------------ */

as_result as_features_compute(float **frames, size_t *n_frames, const float *pcm, size_t n, int rate_hz,
                              const as_features_params *p)
{
    if (frames) *frames = NULL;
    if (n_frames) *n_frames = 0;
    if (!frames || !n_frames || (!pcm && n > 0)) return as_fail(AS_ERR_INVALID_ARG, "as_features_compute: NULL argument");
    as_features *st = NULL;
    as_result r = features_new(&st, rate_hz, p);
    if (r != AS_OK) return r;
    size_t cap = exact_need(st, n); /* all frames of the clip */
    float *buf = cap ? as_malloc(cap * AS_FEAT_DIM * sizeof(float)) : NULL;
    if (cap && !buf) {
        as_features_destroy(st);
        return as_fail(AS_ERR_NOMEM, "as_features_compute: out of memory (%zu frames)", cap);
    }
    size_t got = 0, more = 0;
    r = as_features_push(st, buf, cap, &got, pcm, n);
    if (r == AS_OK) r = as_features_flush(st, buf ? buf + got * AS_FEAT_DIM : NULL, cap - got, &more);
    as_features_destroy(st);
    if (r != AS_OK) {
        as_free(buf);
        return r;
    }
    got += more;
    if (got == 0) {
        as_free(buf);
        return AS_OK;
    }
    if (got < cap) {
        float *shrunk = as_realloc(buf, got * AS_FEAT_DIM * sizeof(float));
        if (shrunk) buf = shrunk; /* keeping the larger block is fine */
    }
    *frames = buf;
    *n_frames = got;
    return AS_OK;
}
