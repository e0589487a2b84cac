/* lipsync/teacher.c — the lip-sync teacher: timed phonemes -> per-frame
 * weights on the LIPSYNC and SHARED channels.
 *
 * Pipeline (one pure pass over the phoneme list, then one per frame):
 *   1. segments: each phoneme becomes one to three targets (diphthongs and
 *      r-coloured vowels split in time); gaps and both ends become silence;
 *   2. for every frame, three separate weighted blends of the targets in
 *      reach, one per articulator (jaw, lip rounding, other lip shapes),
 *      each weighted by its own dominance functions (Cohen & Massaro 1993);
 *   3. the jaw is scaled by loudness (JALI, Edwards et al. 2016);
 *   4. bilabial closures are imposed as gestures (lips together);
 *   5. gains and clamping to 0..1.
 * docs/LIPSYNC.md explains each step and the sources of its constants. */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "lipsync/lipsync_internal.h"

#define AS_PI 3.14159265358979323846

as_lipsync_params as_lipsync_default_params(void)
{
    as_lipsync_params p;
    memset(&p, 0, sizeof p);
    p.fps = 30.0f;
    p.jaw_gain = 1.0f;
    p.lip_gain = 1.0f;
    p.coarticulation = 1.0f;
    /* Lip protrusion for a rounded vowel starts up to 100-250 ms before
     * its acoustic onset (Perkell & Matthies 1992, JASA 91; Benguerel &
     * Cowan 1974, Phonetica 30: up to four consonants ahead). */
    p.anticipation_s = 0.25f;
    p.use_loudness = 1;
    /* -20 dBFS RMS: the level of a vowel in normalized speech (espeak-ng and
     * flite at volume 1 put their vowels near it, measured over 60 ms
     * windows); 0.025 per dB gives x1.3 at +12 dB and x0.7 at -12 dB. */
    p.loudness_ref_db = -20.0f;
    p.loudness_slope = 0.025f;
    p.loudness_min = 0.5f;
    p.loudness_max = 1.4f;
    return p;
}

/* ---- segments ---------------------------------------------------------- */

typedef struct {
    double s, e;      /* interval, seconds */
    double c;         /* centre */
    double plateau;   /* half-width of the full-dominance middle */
    int viseme;
    int weak;
    float jaw;        /* jaw target */
    as_viseme_dominance dom;
    double win_before[3], win_after[3]; /* per articulator: jaw, round, shape */
} segment;

enum { ART_JAW = 0, ART_ROUND = 1, ART_SHAPE = 2 };

/* Reach of each articulator's dominance beyond the segment, seconds, at
 * coarticulation 1. The jaw and the lips move within about 100 ms of a
 * segment boundary (lip and jaw opening and closing movements of about
 * 80-150 ms: Gracco 1988, J. Neurosci. 8; Löfqvist & Gracco 1997, JSLHR 40);
 * vowels reach further than consonants because their targets are held
 * longer. Rounding of a
 * rounded segment reaches ahead by anticipation_s and lingers 150 ms. */
#define REACH_JAW_S 0.10
#define REACH_SHAPE_CONS_S 0.08
#define REACH_SHAPE_VOWEL_S 0.12
#define REACH_SHAPE_SIL_S 0.10
#define REACH_ROUND_S 0.10
#define REACH_ROUND_AFTER_S 0.15
/* Consonants specified for rounding (CH, RR) anticipate less than vowels. */
#define REACH_ROUND_CONS_BEFORE_S 0.15

/* A weak segment (h, ʔ: no oral target) pulls with a fifth of its viseme's
 * dominance, so the neighbouring vowels shape the mouth. */
#define WEAK_DOMINANCE 0.2f

/* A phoneme's dominance is at its full magnitude over the middle half of
 * the phoneme and falls from there, reaching zero `reach` beyond the
 * phoneme's edge: as in Cohen & Massaro (1993), where dominance is measured
 * from the segment's centre, each phoneme's target is reached best at its
 * centre and neighbours share its edges. Silence keeps full dominance over
 * its whole interval, so a pause pulls the mouth to rest. */
#define PLATEAU_FRACTION 0.5

static void init_segment(segment *g, double s, double e, int viseme, float jaw, int vowel, int weak,
                         const as_lipsync_params *p)
{
    double k = p->coarticulation;
    g->s = s;
    g->e = e;
    g->c = 0.5 * (s + e);
    double half = 0.5 * (e - s);
    g->plateau = viseme == AS_VISEME_SIL ? half : PLATEAU_FRACTION * half;
    double inner = half - g->plateau; /* the falling part inside the phoneme */
    g->viseme = viseme;
    g->weak = weak;
    g->jaw = jaw;
    g->dom = as_viseme_dominance_of(viseme);
    if (weak) {
        g->dom.jaw *= WEAK_DOMINANCE;
        g->dom.round *= WEAK_DOMINANCE;
        g->dom.shape *= WEAK_DOMINANCE;
    }
    double shape = viseme == AS_VISEME_SIL ? REACH_SHAPE_SIL_S : vowel ? REACH_SHAPE_VOWEL_S : REACH_SHAPE_CONS_S;
    double round_before = REACH_ROUND_S, round_after = REACH_ROUND_S;
    if (as_viseme_is_rounded(viseme) && !weak) {
        round_before = vowel || viseme == AS_VISEME_U || viseme == AS_VISEME_O ? p->anticipation_s
                                                                               : REACH_ROUND_CONS_BEFORE_S;
        if (round_before < REACH_ROUND_S) round_before = REACH_ROUND_S;
        round_after = REACH_ROUND_AFTER_S;
    }
    g->win_before[ART_JAW] = inner + REACH_JAW_S * k;
    g->win_after[ART_JAW] = inner + REACH_JAW_S * k;
    g->win_before[ART_SHAPE] = inner + shape * k;
    g->win_after[ART_SHAPE] = inner + shape * k;
    g->win_before[ART_ROUND] = inner + round_before * k;
    g->win_after[ART_ROUND] = inner + round_after * k;
}

/* Share of a phoneme's duration each part gets: the first part of a
 * diphthong is its longer nucleus (Peterson & Lehiste 1960, JASA 32: the
 * onset steady state of English diphthongs holds about half or more of the
 * duration). */
static const double part_share[4][3] = {
    {0, 0, 0}, {1.0, 0, 0}, {0.6, 0.4, 0}, {0.5, 0.25, 0.25},
};

/* Builds the segment list: silence from far before the first phoneme, the
 * phonemes' parts, silence in every gap, silence to far after the end.
 * Returns the count or (size_t)-1 on allocation failure. */
static size_t build_segments(const as_lipsync_params *p, const as_phoneme_event *ph, size_t n_ph,
                             double t_end, segment **out)
{
    size_t cap = 2 * n_ph * 3 + 2;
    segment *g = as_malloc(cap * sizeof *g);
    if (!g) return (size_t)-1;
    size_t n = 0;
    /* Silence reaches 10 s beyond both ends: further than any window. */
    double t = (n_ph > 0 && ph[0].start_s < 0 ? ph[0].start_s : 0.0) - 10.0;
    for (size_t i = 0; i < n_ph; i++) {
        double s = ph[i].start_s > t ? ph[i].start_s : t;
        double e = ph[i].end_s;
        if (!(e > s)) continue;
        if (s > t + 1e-6) init_segment(&g[n++], t, s, AS_VISEME_SIL, 0.0f, 0, 0, p);
        as_ipa_part part[3];
        size_t k = as_ipa_parts(ph[i].ipa, part, 3);
        if (k == 0) {
            /* Unknown: a neutral, half-weak consonant (the lips and jaw of
             * an alveolar stop). */
            part[0].viseme = AS_VISEME_DD;
            part[0].jaw = 0.15f;
            part[0].vowel = 0;
            part[0].weak = 1;
            k = 1;
        }
        double a = s;
        for (size_t j = 0; j < k; j++) {
            double b = j + 1 == k ? e : a + (e - s) * part_share[k][j];
            init_segment(&g[n++], a, b, part[j].viseme, part[j].jaw, part[j].vowel, part[j].weak, p);
            a = b;
        }
        t = e;
    }
    double last = t > t_end ? t : t_end;
    init_segment(&g[n++], t, last + 10.0, AS_VISEME_SIL, 0.0f, 0, 0, p);
    *out = g;
    return n;
}

/* ---- dominance --------------------------------------------------------- */

/* Dominance of a segment at time t for one articulator: its magnitude
 * over the plateau, falling outside it over the window with a raised
 * cosine, 0 beyond. Cohen & Massaro (1993) use alpha exp(-theta |tau|^c),
 * which never reaches 0; the compact raised cosine keeps the shape (flat
 * top, smooth fall, C1 everywhere) but lets a long enough silence be exactly
 * at rest and bounds the work per frame. */
static float dominance(const segment *g, int art, float alpha, double t)
{
    double d, w;
    if (t < g->c - g->plateau) {
        d = g->c - g->plateau - t;
        w = g->win_before[art];
    } else if (t > g->c + g->plateau) {
        d = t - g->c - g->plateau;
        w = g->win_after[art];
    } else {
        return alpha;
    }
    if (d >= w) return 0.0f;
    return alpha * (float)(0.5 * (1.0 + cos(AS_PI * d / w)));
}

/* ---- bilabial closure -------------------------------------------------- */

/* Lips close over 70 ms before the acoustic closure and open over 50 ms
 * after the release: lip closing and opening movements of bilabial stops
 * last about 50-100 ms, the opening faster (Löfqvist & Gracco 1997, "Lip and
 * jaw kinematics in bilabial stop consonant production", JSLHR 40). */
#define CLOSE_RAMP_S 0.07
#define OPEN_RAMP_S 0.05
/* Lip compression during a bilabial closure (mouthPress), and the lip roll
 * that goes with it: the PP pose. */
#define CLOSURE_PRESS 0.65f
#define CLOSURE_ROLL_LOWER 0.15f
#define CLOSURE_ROLL_UPPER 0.10f
/* The jaw rises during a closure, but next to open vowels it stays partly
 * open and the lips do the rest of the closing (Löfqvist & Gracco 1997:
 * jaw position at closure varies with the vowel context, the lips
 * compensate; JALI treats lip closure as independent of the jaw): it keeps
 * 40% of its blended opening. */
#define CLOSURE_JAW_KEEP 0.4f

/* Closure amount 0..1 at time t from bilabial segment g: 1 over the whole
 * segment and at least over the frame nearest its centre (half a frame
 * either side), raised-cosine ramps outside. */
static float closure_at(const segment *g, double t, double half_frame)
{
    double c = 0.5 * (g->s + g->e);
    double s = g->s < c - half_frame ? g->s : c - half_frame;
    double e = g->e > c + half_frame ? g->e : c + half_frame;
    double d, w;
    if (t < s) {
        d = s - t;
        w = CLOSE_RAMP_S;
    } else if (t > e) {
        d = t - e;
        w = OPEN_RAMP_S;
    } else {
        return 1.0f;
    }
    if (d >= w) return 0.0f;
    return (float)(0.5 * (1.0 + cos(AS_PI * d / w)));
}

/* ---- loudness ---------------------------------------------------------- */

/* RMS of the samples in a 60 ms window centred on t, as a jaw factor:
 * clamp(1 + slope (dB - ref), min, max). 60 ms spans about two pitch
 * periods at 40 Hz and one syllable's nucleus, so it follows syllable
 * loudness without following single periods. */
#define LOUDNESS_WINDOW_S 0.060

static float loudness_at(const as_lipsync_params *p, const float *x, size_t n, int rate_hz, double t)
{
    double half = 0.5 * LOUDNESS_WINDOW_S * rate_hz;
    double c = t * rate_hz;
    double a = c - half, b = c + half;
    size_t i0 = a <= 0 ? 0 : (size_t)a;
    size_t i1 = b <= 0 ? 0 : (size_t)b;
    if (i1 > n) i1 = n;
    double e = 0.0;
    for (size_t i = i0; i < i1; i++) e += (double)x[i] * x[i];
    size_t count = (size_t)(2 * half);
    if (count == 0) count = 1;
    double rms = sqrt(e / (double)count); /* zeros beyond the ends count as silence */
    double db = 20.0 * log10(rms + 1e-9);
    float f = 1.0f + p->loudness_slope * (float)(db - p->loudness_ref_db);
    return as_clampf(f, p->loudness_min, p->loudness_max);
}

/* ---- the blend --------------------------------------------------------- */

/* Lip channels blended as "shape" (all LIPSYNC and SHARED channels but
 * jawOpen, mouthClose, mouthFunnel and mouthPucker). */
static const int shape_channels[] = {
    AS_JAW_FORWARD, AS_JAW_LEFT, AS_JAW_RIGHT, AS_MOUTH_LEFT, AS_MOUTH_RIGHT,
    AS_MOUTH_SMILE_LEFT, AS_MOUTH_SMILE_RIGHT, AS_MOUTH_FROWN_LEFT, AS_MOUTH_FROWN_RIGHT,
    AS_MOUTH_DIMPLE_LEFT, AS_MOUTH_DIMPLE_RIGHT, AS_MOUTH_STRETCH_LEFT, AS_MOUTH_STRETCH_RIGHT,
    AS_MOUTH_ROLL_LOWER, AS_MOUTH_ROLL_UPPER, AS_MOUTH_SHRUG_LOWER, AS_MOUTH_SHRUG_UPPER,
    AS_MOUTH_PRESS_LEFT, AS_MOUTH_PRESS_RIGHT, AS_MOUTH_LOWER_DOWN_LEFT, AS_MOUTH_LOWER_DOWN_RIGHT,
    AS_MOUTH_UPPER_UP_LEFT, AS_MOUTH_UPPER_UP_RIGHT, AS_CHEEK_PUFF,
};
#define N_SHAPE (sizeof shape_channels / sizeof shape_channels[0])

/* Channels an open lip gesture cannot keep while the lips are closed. */
static const int opening_channels[] = {
    AS_MOUTH_FUNNEL, AS_MOUTH_STRETCH_LEFT, AS_MOUTH_STRETCH_RIGHT, AS_MOUTH_LOWER_DOWN_LEFT,
    AS_MOUTH_LOWER_DOWN_RIGHT, AS_MOUTH_UPPER_UP_LEFT, AS_MOUTH_UPPER_UP_RIGHT,
};

static as_result check_params(const as_lipsync_params *p)
{
    if (!(p->fps >= 1.0f && p->fps <= 240.0f))
        return as_fail(AS_ERR_INVALID_ARG, "lipsync: fps %g outside 1..240", (double)p->fps);
    if (!(p->jaw_gain >= 0.0f && p->jaw_gain <= 2.0f))
        return as_fail(AS_ERR_INVALID_ARG, "lipsync: jaw_gain %g outside 0..2", (double)p->jaw_gain);
    if (!(p->lip_gain >= 0.0f && p->lip_gain <= 2.0f))
        return as_fail(AS_ERR_INVALID_ARG, "lipsync: lip_gain %g outside 0..2", (double)p->lip_gain);
    if (!(p->coarticulation >= 0.25f && p->coarticulation <= 3.0f))
        return as_fail(AS_ERR_INVALID_ARG, "lipsync: coarticulation %g outside 0.25..3", (double)p->coarticulation);
    if (!(p->anticipation_s >= 0.0f && p->anticipation_s <= 0.5f))
        return as_fail(AS_ERR_INVALID_ARG, "lipsync: anticipation_s %g outside 0..0.5", (double)p->anticipation_s);
    if (!(p->loudness_slope >= 0.0f && p->loudness_slope <= 0.2f) || !isfinite(p->loudness_ref_db) ||
        !(p->loudness_min >= 0.0f && p->loudness_min <= p->loudness_max && p->loudness_max <= 4.0f))
        return as_fail(AS_ERR_INVALID_ARG, "lipsync: loudness parameters out of range (slope %g, min %g, max %g)",
                       (double)p->loudness_slope, (double)p->loudness_min, (double)p->loudness_max);
    return AS_OK;
}

as_result as_lipsync_from_phonemes(const as_lipsync_params *params, const as_phoneme_event *ph, size_t n_ph,
                                   const float *samples, size_t n_samples, int rate_hz, size_t n_frames,
                                   float *out)
{
    as_lipsync_params p = params ? *params : as_lipsync_default_params();
    as_result r = check_params(&p);
    if (r != AS_OK) return r;
    if ((n_ph > 0 && !ph) || (n_frames > 0 && !out))
        return as_fail(AS_ERR_INVALID_ARG, "as_lipsync_from_phonemes: NULL argument");
    if (samples && n_samples > 0 && rate_hz <= 0)
        return as_fail(AS_ERR_INVALID_ARG, "as_lipsync_from_phonemes: sample rate %d", rate_hz);
    for (size_t i = 0; i < n_ph; i++) {
        if (!isfinite(ph[i].start_s) || !isfinite(ph[i].end_s) || ph[i].end_s < ph[i].start_s)
            return as_fail(AS_ERR_INVALID_ARG, "as_lipsync_from_phonemes: phoneme %zu (\"%s\") has times %g..%g", i,
                           ph[i].ipa, ph[i].start_s, ph[i].end_s);
        if (i > 0 && ph[i].start_s < ph[i - 1].start_s)
            return as_fail(AS_ERR_INVALID_ARG,
                           "as_lipsync_from_phonemes: phoneme %zu starts at %g, before phoneme %zu (%g): not in time order",
                           i, ph[i].start_s, i - 1, ph[i - 1].start_s);
    }
    int loud = p.use_loudness && samples && n_samples > 0;

    double fps = p.fps;
    segment *g = NULL;
    size_t n_seg = build_segments(&p, ph, n_ph, (double)n_frames / fps, &g);
    if (n_seg == (size_t)-1) return as_fail(AS_ERR_NOMEM, "as_lipsync_from_phonemes: out of memory");

    /* The widest reach of any segment, to bound the search per frame. */
    double reach = 0.0;
    for (size_t k = 0; k < n_seg; k++)
        for (int a = 0; a < 3; a++) {
            if (g[k].win_before[a] > reach) reach = g[k].win_before[a];
            if (g[k].win_after[a] > reach) reach = g[k].win_after[a];
        }
    if (reach < CLOSE_RAMP_S + 1.0 / fps) reach = CLOSE_RAMP_S + 1.0 / fps;

    const double half_frame = 0.5 / fps;
    size_t lo = 0;
    for (size_t i = 0; i < n_frames; i++) {
        const double t = (double)i / fps;
        float *w = out + i * AS_NUM_CHANNELS;
        memset(w, 0, AS_NUM_CHANNELS * sizeof(float));
        while (lo + 1 < n_seg && g[lo].e + reach < t) lo++;
        /* (reach bounds every window beyond the segment's edge, since the
         * falling part inside a segment ends at its edge) */

        /* 2. Three blends: sum of dominance x target over sum of dominance. */
        double sum_d[3] = {0, 0, 0};
        double jaw = 0.0, round[2] = {0, 0}, shape[N_SHAPE];
        memset(shape, 0, sizeof shape);
        float closure = 0.0f;
        for (size_t k = lo; k < n_seg && g[k].s - reach <= t; k++) {
            const segment *s = &g[k];
            const float *pose = as_viseme_pose_table(s->viseme);
            float dj = dominance(s, ART_JAW, s->dom.jaw, t);
            float dr = dominance(s, ART_ROUND, s->dom.round, t);
            float ds = dominance(s, ART_SHAPE, s->dom.shape, t);
            sum_d[ART_JAW] += dj;
            jaw += dj * s->jaw;
            sum_d[ART_ROUND] += dr;
            round[0] += dr * pose[AS_MOUTH_FUNNEL];
            round[1] += dr * pose[AS_MOUTH_PUCKER];
            sum_d[ART_SHAPE] += ds;
            if (ds > 0.0f)
                for (size_t c = 0; c < N_SHAPE; c++) shape[c] += ds * pose[shape_channels[c]];
            if (s->viseme == AS_VISEME_PP && !s->weak) {
                float cl = closure_at(s, t, half_frame);
                if (cl > closure) closure = cl;
            }
        }
        /* Every t lies inside some segment (silence covers the gaps), so
         * each sum of dominance is positive. */
        for (int a = 0; a < 3; a++)
            if (sum_d[a] <= 0.0) sum_d[a] = 1.0;

        /* Lip channels, scaled by the lip gain. */
        w[AS_MOUTH_FUNNEL] = p.lip_gain * (float)(round[0] / sum_d[ART_ROUND]);
        w[AS_MOUTH_PUCKER] = p.lip_gain * (float)(round[1] / sum_d[ART_ROUND]);
        for (size_t c = 0; c < N_SHAPE; c++) w[shape_channels[c]] = p.lip_gain * (float)(shape[c] / sum_d[ART_SHAPE]);

        /* 3. The jaw: vowel openness x loudness x gain (JALI's jaw
         * parameter). */
        float j = (float)(jaw / sum_d[ART_JAW]) * p.jaw_gain;
        if (loud) j *= loudness_at(&p, samples, n_samples, rate_hz, t);

        /* 4. Bilabial closure: the lips meet whatever the blend says. The
         * opening lip shapes give way, the lips press and roll in, the jaw
         * rises part way and mouthClose equals the jaw opening (ARKit's
         * mouthClose closes the lips against jawOpen: equal values put the
         * lips together). */
        if (closure > 0.0f) {
            j *= 1.0f - (1.0f - CLOSURE_JAW_KEEP) * closure;
            for (size_t c = 0; c < sizeof opening_channels / sizeof opening_channels[0]; c++)
                w[opening_channels[c]] *= 1.0f - closure;
            float press = CLOSURE_PRESS * closure;
            if (w[AS_MOUTH_PRESS_LEFT] < press) w[AS_MOUTH_PRESS_LEFT] = press;
            if (w[AS_MOUTH_PRESS_RIGHT] < press) w[AS_MOUTH_PRESS_RIGHT] = press;
            if (w[AS_MOUTH_ROLL_LOWER] < CLOSURE_ROLL_LOWER * closure) w[AS_MOUTH_ROLL_LOWER] = CLOSURE_ROLL_LOWER * closure;
            if (w[AS_MOUTH_ROLL_UPPER] < CLOSURE_ROLL_UPPER * closure) w[AS_MOUTH_ROLL_UPPER] = CLOSURE_ROLL_UPPER * closure;
        }
        w[AS_JAW_OPEN] = as_clamp01(j);
        w[AS_MOUTH_CLOSE] = closure * w[AS_JAW_OPEN];

        /* 5. Clamp; only LIPSYNC and SHARED channels carry values. */
        for (int c = 0; c < AS_NUM_CHANNELS; c++) w[c] = as_clamp01(w[c]);
    }
    as_free(g);
    return AS_OK;
}
