/* audio/features_dsp.c — one feature frame's analysis at 16 kHz: the
 * 25 ms window through a Hann window and FFT to 40 log-mel energies and the
 * spectral-shape features, the RMS level and zero-crossing rate, and the
 * YIN pitch tracker (F0 and voicing); plus the +/-2-frame regression stage
 * that turns five analysed frames into deltas, delta-deltas and slopes.
 *
 * Pipeline position: features.c resamples and buffers the stream and calls
 * feat_analyze once per 10 ms hop, then feat_regress two frames later.
 * docs/FEATURES.md states every formula below with its unit. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "audio/features_internal.h"
#include "core/internal.h"

/* Floor of a mel band's energy before the log. With samples in -1..1 and an
 * unnormalised 512-point FFT of a Hann-windowed frame (sum of w^2 = 150),
 * white noise at -100 dBFS gives 1.5e-8 per bin, and 16-bit quantisation
 * noise (variance 2^-30 / 12) gives 1.2e-8 per bin: below 1e-8 there is no
 * information in 16-bit audio. ln(1e-8) = -18.42 is the value of silence. */
#define MEL_FLOOR 1e-8
/* Added to every bin's power for the spectral-shape features, so that they
 * are defined and continuous in silence (silence reads as white noise:
 * centroid 0.5, flatness 1). 1e-10 is 20 dB under 16-bit quantisation noise. */
#define SPEC_EPS 1e-10
/* RMS floor: -100 dBFS. */
#define RMS_FLOOR 1e-5
/* The pitch tracker treats a span whose mean square is below this (RMS
 * -100 dBFS) as silence: unvoiced, aperiodicity 1. */
#define PITCH_SILENCE_MS 1e-10
/* Regulariser of the pitch tracker's normalised difference (see
 * pitch_track): a share of the pitch span's energy. */
#define PITCH_FLOOR_SHARE 0.025
/* Running peak of the level for AS_FEAT_ENERGY_REL: starts at a nominal
 * speech level, decays 5 dB per second (0.05 dB per frame) and never below
 * -40 dBFS (so digital silence, -100 dBFS, always reads 0); the feature maps
 * [peak - 60 dB, peak] onto [0, 1]. */
#define PEAK_INIT_DB (-30.0f)
#define PEAK_DECAY_DB 0.05f
#define PEAK_FLOOR_DB (-40.0f)
#define REL_RANGE_DB 60.0f
/* Running mean of voiced log2 F0 for AS_FEAT_F0_REL: an exponential average
 * over about 100 voiced frames (one second of voicing), started at the first
 * voiced frame's value. */
#define F0_MEAN_RATE 0.01f
/* F0 reference of AS_FEAT_F0: log2(F0 / 100 Hz), so 50..800 Hz maps to -1..3. */
#define F0_REF_HZ 100.0
/* The mel scale and band edges (HTK; Davis & Mermelstein 1980 for log
 * mel-filterbank energies; mel(f) = 2595 log10(1 + f/700), O'Shaughnessy
 * 1987, the formula HTK and Kaldi use). */
#define MEL_LOW_HZ 20.0
#define MEL_HIGH_HZ 8000.0
#define BIN_HZ ((double)AS_FEAT_RATE_HZ / FEAT_FFT_SIZE) /* 31.25 Hz */
#define NYQUIST_HZ (AS_FEAT_RATE_HZ / 2.0)
/* Spectral roll-off point (Scheirer & Slaney 1997 use 95 %; 85 % is the
 * common choice for speech, e.g. Tzanetakis & Cook 2002). */
#define ROLLOFF_SHARE 0.85
#define FEAT_PI 3.14159265358979323846

static pthread_mutex_t fftw_mutex = PTHREAD_MUTEX_INITIALIZER;
void as_fftw_lock(void) { pthread_mutex_lock(&fftw_mutex); }
void as_fftw_unlock(void) { pthread_mutex_unlock(&fftw_mutex); }

static double hz_to_mel(double hz) { return 2595.0 * log10(1.0 + hz / 700.0); }

/* Carves n bytes, 64-byte aligned (FFTW's SIMD codelets want 16 or 32), from
 * an arena cursor. */
static void *carve(unsigned char **cursor, size_t n)
{
    uintptr_t p = ((uintptr_t)*cursor + 63u) & ~(uintptr_t)63u;
    *cursor = (unsigned char *)p + n;
    return (void *)p;
}

/* HTK-style triangular filters: 42 points equally spaced on the mel scale
 * from 20 Hz to 8000 Hz; band j rises linearly in mel from point j to point
 * j+1 and falls to point j+2; peak weight 1 (no area normalisation). Bins are
 * evaluated at their centre frequency b x 31.25 Hz; the DC bin is left out. */
static as_result build_mel(feat_analyzer *a)
{
    double edge[AS_FEAT_NUM_MEL + 2];
    const double lo = hz_to_mel(MEL_LOW_HZ), hi = hz_to_mel(MEL_HIGH_HZ);
    const double step = (hi - lo) / (AS_FEAT_NUM_MEL + 1);
    for (int i = 0; i < AS_FEAT_NUM_MEL + 2; i++) edge[i] = lo + step * i;
    int used = 0;
    for (int j = 0; j < AS_FEAT_NUM_MEL; j++) {
        a->mel_first[j] = -1;
        a->mel_count[j] = 0;
        a->mel_offset[j] = used;
        for (int b = 1; b < FEAT_NUM_BINS; b++) {
            double m = hz_to_mel(b * BIN_HZ), w = 0.0;
            if (m > edge[j] && m <= edge[j + 1]) w = (m - edge[j]) / step;
            else if (m > edge[j + 1] && m < edge[j + 2]) w = (edge[j + 2] - m) / step;
            if (w <= 0.0) {
                if (a->mel_first[j] >= 0) break; /* past the triangle */
                continue;
            }
            if (a->mel_first[j] < 0) a->mel_first[j] = b;
            if (used >= FEAT_MEL_MAX_WEIGHTS) return as_fail(AS_ERR_BACKEND, "features: mel filterbank overflow");
            a->mel_weight[used++] = (float)w;
            a->mel_count[j]++;
        }
        /* With 31.25 Hz bins the narrowest band (20..114 Hz) still holds
         * three bins; an empty band would be a bug in the table. */
        if (a->mel_count[j] == 0) return as_fail(AS_ERR_BACKEND, "features: mel band %d holds no FFT bin", j);
    }
    return AS_OK;
}

as_result feat_analyzer_init(feat_analyzer *a, const as_features_params *p)
{
    memset(a, 0, sizeof *a);
    a->f0_min_hz = p->f0_min_hz;
    a->f0_max_hz = p->f0_max_hz;
    a->threshold = p->voicing_threshold;
    a->tau_max = (int)floor(AS_FEAT_RATE_HZ / (double)p->f0_min_hz);
    a->tau_min = (int)ceil(AS_FEAT_RATE_HZ / (double)p->f0_max_hz);
    a->yin_span = 2 * a->tau_max;

    /* Periodic Hann window (Harris 1978): w[n] = 0.5 - 0.5 cos(2 pi n / N). */
    for (int n = 0; n < AS_FEAT_WIN; n++)
        a->window[n] = (float)(0.5 - 0.5 * cos(2.0 * FEAT_PI * n / AS_FEAT_WIN));
    as_result r = build_mel(a);
    if (r != AS_OK) return r;

    const size_t span = (size_t)a->yin_span, half = span / 2 + 1;
    size_t bytes = 64 * 12 + FEAT_FFT_SIZE * sizeof(float) + FEAT_NUM_BINS * sizeof(fftwf_complex) +
                   FEAT_NUM_BINS * sizeof(float) + 3 * span * sizeof(float) + 2 * half * sizeof(fftwf_complex) +
                   (span + 1) * sizeof(double) + ((size_t)a->tau_max + 1) * sizeof(float);
    a->arena = as_calloc(1, bytes);
    if (!a->arena) return as_fail(AS_ERR_NOMEM, "features: out of memory (%zu bytes of FFT buffers)", bytes);
    unsigned char *cur = a->arena;
    a->spec_in = carve(&cur, FEAT_FFT_SIZE * sizeof(float));
    a->spec_out = carve(&cur, FEAT_NUM_BINS * sizeof(fftwf_complex));
    a->power = carve(&cur, FEAT_NUM_BINS * sizeof(float));
    a->yin_a = carve(&cur, span * sizeof(float));
    a->yin_c = carve(&cur, span * sizeof(float));
    a->yin_r = carve(&cur, span * sizeof(float));
    a->yin_fa = carve(&cur, half * sizeof(fftwf_complex));
    a->yin_fc = carve(&cur, half * sizeof(fftwf_complex));
    a->yin_energy = carve(&cur, (span + 1) * sizeof(double));
    a->yin_cmnd = carve(&cur, ((size_t)a->tau_max + 1) * sizeof(float));

    /* FFTW_ESTIMATE picks the plan without timing anything, so the same
     * machine always gets the same plan and the same numbers. */
    as_fftw_lock();
    a->plan_spec = fftwf_plan_dft_r2c_1d(FEAT_FFT_SIZE, a->spec_in, a->spec_out, FFTW_ESTIMATE);
    a->plan_yin_fwd = fftwf_plan_dft_r2c_1d(a->yin_span, a->yin_a, a->yin_fa, FFTW_ESTIMATE);
    a->plan_yin_inv = fftwf_plan_dft_c2r_1d(a->yin_span, a->yin_fa, a->yin_r, FFTW_ESTIMATE);
    as_fftw_unlock();
    if (!a->plan_spec || !a->plan_yin_fwd || !a->plan_yin_inv) {
        feat_analyzer_free(a);
        return as_fail(AS_ERR_BACKEND, "features: FFTW could not plan a transform of %d or %d points", FEAT_FFT_SIZE,
                       a->yin_span);
    }
    feat_analyzer_reset(a);
    return AS_OK;
}

void feat_analyzer_free(feat_analyzer *a)
{
    if (!a) return;
    as_fftw_lock();
    if (a->plan_spec) fftwf_destroy_plan(a->plan_spec);
    if (a->plan_yin_fwd) fftwf_destroy_plan(a->plan_yin_fwd);
    if (a->plan_yin_inv) fftwf_destroy_plan(a->plan_yin_inv);
    as_fftw_unlock();
    a->plan_spec = a->plan_yin_fwd = a->plan_yin_inv = NULL;
    as_free(a->arena);
    a->arena = NULL;
}

void feat_analyzer_reset(feat_analyzer *a)
{
    memset(a->prev_mel, 0, sizeof a->prev_mel);
    a->have_prev = 0;
    a->f0_held = 0.0f;
    a->f0_mean = 0.0f;
    a->f0_seen = 0;
    a->peak_db = PEAK_INIT_DB;
}

/* ---- pitch: YIN (de Cheveigné & Kawahara 2002), centred -------------------
 *
 * The span is x[0 .. 2T) (T = tau_max), centred on the frame's centre, with
 * halves A = x[0 .. T) and C = x[T .. 2T). YIN's difference function compares
 * a window of W = T samples with the same window tau later:
 *   forward   d_f(tau) = sum_{j<T} (x[j] - x[j+tau])^2          (A with what follows it)
 *   backward  d_b(tau) = sum_{j<T} (x[T+j] - x[T+j-tau])^2      (C with what precedes it)
 * d_f alone measures the period around T/2 + tau/2, up to 10 ms before the
 * centre for short periods; d = d_f + d_b is symmetric about the centre for
 * every lag, so F0 and voicing belong to the frame's centre (a fast glide
 * would otherwise read several per cent low). Expanded,
 *   d(tau) = e_f0 + e_f(tau) + e_b0 + e_b(tau) - 2 r(tau)
 * with the window energies from prefix sums of x^2, and r(tau) the sum of the
 * two cross-correlations, one inverse FFT for every lag at once: with
 * zero-padded A and C (length 2T, so no lag wraps around) and B = A + C the
 * whole span, r = IDFT(conj(FA) FB + conj(FB) FC)
 *               = IDFT(|FA|^2 + |FC|^2 + 2 conj(FA) FC).
 * Then, as in YIN:
 *   d'(tau) = d(tau) tau / sum_{1<=i<=tau} d(i), d'(0) = 1   (step 3, CMND)
 *   the first lag in [tau_min, T] with d' below the threshold, followed down
 *   to its local minimum; if none, the global minimum and "unvoiced" (step 4);
 *   parabolic interpolation of d' around it (step 5).
 * Outputs F0 = 16000 / lag and the aperiodicity (0 = perfectly periodic). */
static void pitch_track(feat_analyzer *a, const float *x, float *f0_hz, float *aperiodicity, int *voiced)
{
    const int T = a->tau_max, N = a->yin_span; /* W = T, N = 2T */
    double *e = a->yin_energy;
    float *cm = a->yin_cmnd;
    *f0_hz = 0.0f;
    *aperiodicity = 1.0f;
    *voiced = 0;

    e[0] = 0.0;
    for (int j = 0; j < N; j++) e[j + 1] = e[j] + (double)x[j] * (double)x[j];
    if (e[N] < (double)N * PITCH_SILENCE_MS) return;

    memcpy(a->yin_a, x, (size_t)T * sizeof(float));
    memset(a->yin_a + T, 0, (size_t)T * sizeof(float));
    memset(a->yin_c, 0, (size_t)T * sizeof(float));
    memcpy(a->yin_c + T, x + T, (size_t)T * sizeof(float));
    fftwf_execute_dft_r2c(a->plan_yin_fwd, a->yin_a, a->yin_fa);
    fftwf_execute_dft_r2c(a->plan_yin_fwd, a->yin_c, a->yin_fc);
    for (int b = 0; b <= N / 2; b++) {
        float ar = a->yin_fa[b][0], ai = a->yin_fa[b][1];
        float cr = a->yin_fc[b][0], ci = a->yin_fc[b][1];
        a->yin_fa[b][0] = ar * ar + ai * ai + cr * cr + ci * ci + 2.0f * (ar * cr + ai * ci);
        a->yin_fa[b][1] = 2.0f * (ar * ci - ai * cr);
    }
    fftwf_execute(a->plan_yin_inv); /* yin_r = N r(tau) (FFTW leaves the 1/N out) */

    const double e_f0 = e[T], e_b0 = e[N] - e[T], inv_n = 1.0 / N;
    double running = 0.0;
    cm[0] = 1.0f;
    for (int tau = 1; tau <= T; tau++) {
        double et = (e[tau + T] - e[tau]) + (e[N - tau] - e[T - tau]);
        double d = e_f0 + e_b0 + et - 2.0 * (double)a->yin_r[tau] * inv_n;
        if (d < 0.0) d = 0.0; /* rounding can leave a perfect match slightly negative */
        running += d;
        cm[tau] = running > 0.0 ? (float)(d * tau / running) : 1.0f;
    }

    int best = -1;
    for (int tau = a->tau_min; tau <= T; tau++) {
        if (cm[tau] < a->threshold) {
            while (tau < T && cm[tau + 1] < cm[tau]) tau++;
            best = tau;
            break;
        }
    }
    int found = best >= 0;
    if (!found) {
        best = a->tau_min;
        for (int tau = a->tau_min + 1; tau <= T; tau++)
            if (cm[tau] < cm[best]) best = tau;
    }

    double lag = best, value = cm[best];
    if (best > 1 && best < T) {
        double l = cm[best - 1], c = cm[best], r = cm[best + 1], den = l - 2.0 * c + r;
        if (den > 0.0) {
            double shift = 0.5 * (l - r) / den;
            if (shift > 0.5) shift = 0.5;
            if (shift < -0.5) shift = -0.5;
            lag = best + shift;
            value = c - 0.25 * (l - r) * shift;
        }
    }
    /* d' compares d with its own running mean, which means little where the
     * compared windows are nearly silent next to the rest of the span (at a
     * burst after silence d' can dip on rounding noise). So a frame is also
     * as aperiodic as its normalised difference at the chosen lag,
     *   (d + f) / (energy of the four compared windows + f)
     * (0 identical, 1 uncorrelated, 2 opposite), regularised by
     * f = PITCH_FLOOR_SHARE x twice the span's energy, so that near-silent
     * windows read 1 while a loud periodic frame moves by at most ~0.025. The
     * frame is voiced only if the worse of the two is below the threshold. */
    {
        double et = (e[best + T] - e[best]) + (e[N - best] - e[T - best]);
        double d = e_f0 + e_b0 + et - 2.0 * (double)a->yin_r[best] * inv_n;
        double floor_e = PITCH_FLOOR_SHARE * 2.0 * e[N];
        double raw = (d + floor_e) / (e_f0 + e_b0 + et + floor_e);
        if (raw > value) value = raw;
        if (value >= a->threshold) found = 0;
    }
    double f0 = AS_FEAT_RATE_HZ / lag;
    if (f0 < a->f0_min_hz) f0 = a->f0_min_hz;
    if (f0 > a->f0_max_hz) f0 = a->f0_max_hz;
    *f0_hz = (float)f0;
    *aperiodicity = as_clamp01((float)value);
    *voiced = found;
}

/* ---- one frame -------------------------------------------------------------- */

/* First bin at or above hz, last bin at or below hz. */
static int bin_from(double hz) { return (int)ceil(hz / BIN_HZ); }
static int bin_to(double hz) { return (int)floor(hz / BIN_HZ); }

/* Power-weighted mean frequency of the bins in [lo_hz, hi_hz], mapped
 * linearly so that lo_hz -> 0 and hi_hz -> 1. */
static float band_centroid(const double *pe, double lo_hz, double hi_hz)
{
    double s = 0.0, sf = 0.0;
    for (int b = bin_from(lo_hz); b <= bin_to(hi_hz); b++) {
        s += pe[b];
        sf += pe[b] * b * BIN_HZ;
    }
    return (float)((sf / s - lo_hz) / (hi_hz - lo_hz));
}

static double band_power(const double *pe, double lo_hz, double hi_hz)
{
    double s = 0.0;
    for (int b = bin_from(lo_hz); b <= bin_to(hi_hz); b++) s += pe[b];
    return s;
}

void feat_analyze(feat_analyzer *a, float out[AS_FEAT_DIM], const float *frame, const float *pitch)
{
    memset(out, 0, AS_FEAT_DIM * sizeof(float));

    /* Level and zero crossings on the raw 25 ms window. A crossing is a
     * change of sign between neighbours, zero counting as positive. */
    double sum = 0.0, sum2 = 0.0;
    int crossings = 0;
    for (int n = 0; n < AS_FEAT_WIN; n++) {
        sum += frame[n];
        sum2 += (double)frame[n] * frame[n];
        if (n > 0 && (frame[n] >= 0.0f) != (frame[n - 1] >= 0.0f)) crossings++;
    }
    double rms = sqrt(sum2 / AS_FEAT_WIN);
    float level_db = (float)(20.0 * log10(rms > RMS_FLOOR ? rms : RMS_FLOOR));
    out[AS_FEAT_ENERGY] = (level_db + 100.0f) / 100.0f;
    out[AS_FEAT_ZCR] = (float)crossings / (AS_FEAT_WIN - 1);

    /* Running peak (a slow automatic gain reference, causal). */
    float decayed = a->peak_db - PEAK_DECAY_DB;
    if (decayed < PEAK_FLOOR_DB) decayed = PEAK_FLOOR_DB;
    a->peak_db = level_db > decayed ? level_db : decayed;
    out[AS_FEAT_ENERGY_REL] = as_clamp01((level_db - a->peak_db) / REL_RANGE_DB + 1.0f);

    /* Spectrum: remove the frame's mean (its DC would leak into the lowest
     * bands through the window's main lobe), apply the window, zero-pad to
     * 512 and transform. */
    float mean = (float)(sum / AS_FEAT_WIN);
    for (int n = 0; n < AS_FEAT_WIN; n++) a->spec_in[n] = (frame[n] - mean) * a->window[n];
    memset(a->spec_in + AS_FEAT_WIN, 0, (FEAT_FFT_SIZE - AS_FEAT_WIN) * sizeof(float));
    fftwf_execute(a->plan_spec);
    for (int b = 0; b < FEAT_NUM_BINS; b++)
        a->power[b] = a->spec_out[b][0] * a->spec_out[b][0] + a->spec_out[b][1] * a->spec_out[b][1];

    /* Log-mel energies: triangle-weighted power, floored, natural log. */
    float *mel = out + AS_FEAT_MEL;
    for (int j = 0; j < AS_FEAT_NUM_MEL; j++) {
        const float *w = a->mel_weight + a->mel_offset[j];
        const float *p = a->power + a->mel_first[j];
        double e = 0.0;
        for (int i = 0; i < a->mel_count[j]; i++) e += (double)w[i] * p[i];
        mel[j] = (float)log(e > MEL_FLOOR ? e : MEL_FLOOR);
    }

    /* Spectral shape over bins 1..256 (31.25 Hz .. 8 kHz), each bin's power
     * plus SPEC_EPS. */
    double pe[FEAT_NUM_BINS];
    double total = 0.0, first_moment = 0.0;
    pe[0] = 0.0;
    for (int b = 1; b < FEAT_NUM_BINS; b++) {
        pe[b] = (double)a->power[b] + SPEC_EPS;
        total += pe[b];
        first_moment += pe[b] * b * BIN_HZ;
    }
    double centroid_hz = first_moment / total;
    double second = 0.0;
    for (int b = 1; b < FEAT_NUM_BINS; b++) {
        double df = b * BIN_HZ - centroid_hz;
        second += pe[b] * df * df;
    }
    out[AS_FEAT_CENTROID] = (float)(centroid_hz / NYQUIST_HZ);
    out[AS_FEAT_SPREAD] = (float)(sqrt(second / total) / NYQUIST_HZ);

    /* Roll-off: the frequency below which 85 % of the power lies, linearly
     * interpolated inside the bin that crosses it (bin b spans
     * ((b-1) x 31.25, b x 31.25] for this purpose). */
    double target = ROLLOFF_SHARE * total, cum = 0.0, rolloff_hz = NYQUIST_HZ;
    for (int b = 1; b < FEAT_NUM_BINS; b++) {
        if (cum + pe[b] >= target) {
            rolloff_hz = ((b - 1) + (target - cum) / pe[b]) * BIN_HZ;
            break;
        }
        cum += pe[b];
    }
    out[AS_FEAT_ROLLOFF] = (float)(rolloff_hz / NYQUIST_HZ);

    /* Flatness (Gray & Markel 1974; Johnston 1988): geometric over arithmetic
     * mean of the power. The geometric mean takes one log per 8 bins (the
     * product of 8 powers stays well inside double range: 1e-80 .. 1e40). */
    double log_sum = 0.0;
    for (int b = 1; b < FEAT_NUM_BINS; b += 8) {
        double prod = 1.0;
        for (int i = 0; i < 8; i++) prod *= pe[b + i];
        log_sum += log(prod);
    }
    const int nb = FEAT_NUM_BINS - 1;
    out[AS_FEAT_FLATNESS] = as_clamp01((float)(exp(log_sum / nb) / (total / nb)));

    /* Band shares and sub-band centroids (the F1 region 200..1000 Hz and the
     * F2 region 800..2800 Hz: Peterson & Barney 1952 give these ranges for
     * the first two formants of adult vowels; jaw opening raises F1, lip
     * rounding lowers F2). */
    out[AS_FEAT_LOW_RATIO] = (float)(band_power(pe, BIN_HZ, 500.0) / total);
    out[AS_FEAT_HIGH_RATIO] = (float)(band_power(pe, 4000.0, NYQUIST_HZ) / total);
    out[AS_FEAT_F1_CENTROID] = band_centroid(pe, 200.0, 1000.0);
    out[AS_FEAT_F2_CENTROID] = band_centroid(pe, 800.0, 2800.0);

    /* Tilt: least-squares slope of the log-mel energies against the band
     * index j, nats per band (sum over j of (j - 19.5)^2 = 5330). */
    double tilt = 0.0;
    for (int j = 0; j < AS_FEAT_NUM_MEL; j++) tilt += (j - 19.5) * mel[j];
    out[AS_FEAT_TILT] = (float)(tilt / 5330.0);

    /* Positive log-mel flux: mean rise of the bands since the previous frame
     * (half-wave rectified, as onset detectors use it: Bello et al. 2005). */
    float flux = 0.0f;
    if (a->have_prev)
        for (int j = 0; j < AS_FEAT_NUM_MEL; j++) {
            float rise = mel[j] - a->prev_mel[j];
            if (rise > 0.0f) flux += rise;
        }
    out[AS_FEAT_FLUX] = flux / AS_FEAT_NUM_MEL;
    memcpy(a->prev_mel, mel, sizeof a->prev_mel);
    a->have_prev = 1;

    /* Pitch and voicing. */
    float f0_hz, aperiodicity;
    int voiced;
    pitch_track(a, pitch, &f0_hz, &aperiodicity, &voiced);
    out[AS_FEAT_VOICING] = 1.0f - aperiodicity;
    out[AS_FEAT_VOICED] = voiced ? 1.0f : 0.0f;
    if (voiced) {
        a->f0_held = (float)log2(f0_hz / F0_REF_HZ);
        if (!a->f0_seen) a->f0_mean = a->f0_held;
        else a->f0_mean += F0_MEAN_RATE * (a->f0_held - a->f0_mean);
        a->f0_seen = 1;
    }
    out[AS_FEAT_F0] = a->f0_held;
    out[AS_FEAT_F0_REL] = a->f0_seen ? a->f0_held - a->f0_mean : 0.0f;
}

/* ---- regression over +/-2 frames ------------------------------------------
 *
 * Delta (Furui 1986; the HTK book's regression formula with Theta = 2):
 *   d_t = sum_{n=1..2} n (c_{t+n} - c_{t-n}) / (2 sum n^2) = (c_{t+1} - c_{t-1} + 2 (c_{t+2} - c_{t-2})) / 10
 * Delta-delta: the second derivative of the least-squares quadratic through
 * c_{t-2} .. c_{t+2} (Savitzky & Golay 1964):
 *   dd_t = sum_{n=-2..2} (n^2 - 2) c_{t+n} / 7 = (2 c_{t-2} - c_{t-1} - 2 c_t - c_{t+1} + 2 c_{t+2}) / 7
 * HTK instead applies the delta formula to the deltas (+/-4 frames); the
 * quadratic fit keeps the look-ahead at two frames. */
static float slope5(const float *const win[5], int i)
{
    return (win[3][i] - win[1][i] + 2.0f * (win[4][i] - win[0][i])) / 10.0f;
}

void feat_regress(float out[AS_FEAT_DIM], const float *const win[5])
{
    memcpy(out, win[2], AS_FEAT_DIM * sizeof(float));
    for (int j = 0; j < AS_FEAT_NUM_MEL; j++) {
        int i = AS_FEAT_MEL + j;
        out[AS_FEAT_MEL_D + j] = slope5(win, i);
        out[AS_FEAT_MEL_DD + j] =
            (2.0f * win[0][i] - win[1][i] - 2.0f * win[2][i] - win[3][i] + 2.0f * win[4][i]) / 7.0f;
    }
    /* F0 slope only where all five frames are voiced: across a voicing
     * boundary the held F0 jumps and its slope would mean nothing. */
    int all_voiced = 1;
    for (int n = 0; n < 5; n++)
        if (win[n][AS_FEAT_VOICED] < 0.5f) all_voiced = 0;
    out[AS_FEAT_F0_SLOPE] = all_voiced ? slope5(win, AS_FEAT_F0) : 0.0f;
    out[AS_FEAT_ENERGY_SLOPE] = slope5(win, AS_FEAT_ENERGY);
    out[AS_FEAT_CENTROID_SLOPE] = slope5(win, AS_FEAT_CENTROID);
    out[AS_FEAT_VOICING_SLOPE] = slope5(win, AS_FEAT_VOICING);
}
