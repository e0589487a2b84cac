/* test_lipsync.c — the lip-sync teacher: the IPA -> viseme table, viseme
 * poses, and the coarticulated frames: every /p b m/ closes the lips at its
 * time (within one frame) in English (espeak-ng, flite) and Korean, the
 * mouth is at rest in silence, the jaw opens more for /a/ than /i/ and /u/
 * and with loudness, rounding starts ahead of a rounded vowel, frames are
 * aligned to the phoneme clock, and the same input gives the same bits. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "animasync/lipsync.h"
#include "animasync/tts.h"
#include "testutil.h"

#define NC AS_NUM_CHANNELS

static int is_mouth_channel(int c)
{
    return as_channel_class_of(c) == AS_CHANNEL_LIPSYNC || as_channel_class_of(c) == AS_CHANNEL_SHARED;
}

/* ---- a phoneme list from (ipa, duration) pairs; "" is a pause ---------- */

typedef struct {
    const char *ipa;
    double dur;
} step;

static size_t make_phonemes(const step *steps, size_t n, double t0, as_phoneme_event *out)
{
    size_t k = 0;
    double t = t0;
    for (size_t i = 0; i < n; i++) {
        if (steps[i].ipa[0]) {
            memset(&out[k], 0, sizeof out[k]);
            out[k].start_s = t;
            out[k].end_s = t + steps[i].dur;
            snprintf(out[k].ipa, sizeof out[k].ipa, "%s", steps[i].ipa);
            out[k].word = 0;
            k++;
        }
        t += steps[i].dur;
    }
    return k;
}

static float *run(const as_lipsync_params *p, const as_phoneme_event *ph, size_t n, const float *x, size_t nx,
                  int rate, size_t frames)
{
    float *out = malloc(frames * NC * sizeof(float));
    as_result r = as_lipsync_from_phonemes(p, ph, n, x, nx, rate, frames, out);
    CHECKF(r == AS_OK, "lipsync: %s", as_last_error());
    return out;
}

/* ---- the table ---------------------------------------------------------- */

static void test_table(void)
{
    static const struct {
        const char *ipa;
        int viseme;
    } cases[] = {
        {"p", AS_VISEME_PP}, {"b", AS_VISEME_PP}, {"m", AS_VISEME_PP}, {"f", AS_VISEME_FF}, {"v", AS_VISEME_FF},
        {"θ", AS_VISEME_TH}, {"ð", AS_VISEME_TH}, {"t", AS_VISEME_DD}, {"d", AS_VISEME_DD}, {"ɾ", AS_VISEME_DD},
        {"k", AS_VISEME_KK}, {"ɡ", AS_VISEME_KK}, {"g", AS_VISEME_KK}, {"ŋ", AS_VISEME_KK},
        {"tʃ", AS_VISEME_CH}, {"dʒ", AS_VISEME_CH}, {"ʃ", AS_VISEME_CH}, {"ʒ", AS_VISEME_CH},
        {"t͡ʃ", AS_VISEME_CH}, {"tɕ", AS_VISEME_CH}, {"dʑ", AS_VISEME_CH}, {"ts", AS_VISEME_SS},
        {"s", AS_VISEME_SS}, {"z", AS_VISEME_SS}, {"n", AS_VISEME_NN}, {"l", AS_VISEME_NN}, {"ɫ", AS_VISEME_NN},
        {"n̩", AS_VISEME_NN}, {"ɹ", AS_VISEME_RR}, {"r", AS_VISEME_RR}, {"ɚ", AS_VISEME_RR},
        {"ɑː", AS_VISEME_AA}, {"a", AS_VISEME_AA}, {"æ", AS_VISEME_AA}, {"ʌ", AS_VISEME_AA}, {"ɐ", AS_VISEME_AA},
        {"ˈaɪ", AS_VISEME_AA}, {"aʊ", AS_VISEME_AA}, {"ɛ", AS_VISEME_E}, {"e", AS_VISEME_E}, {"ə", AS_VISEME_E},
        {"eɪ", AS_VISEME_E}, {"i", AS_VISEME_I}, {"iː", AS_VISEME_I}, {"ɪ", AS_VISEME_I}, {"ᵻ", AS_VISEME_I},
        {"j", AS_VISEME_I}, {"ɯ", AS_VISEME_I}, {"o", AS_VISEME_O}, {"ɔː", AS_VISEME_O}, {"oʊ", AS_VISEME_O},
        {"ɔɪ", AS_VISEME_O}, {"u", AS_VISEME_U}, {"uː", AS_VISEME_U}, {"ʊ", AS_VISEME_U}, {"w", AS_VISEME_U},
        {"y", AS_VISEME_U},
        /* espeak-ng's Korean mnemonics and diacritics */
        {"ph", AS_VISEME_PP}, {"p-", AS_VISEME_PP}, {"s-", AS_VISEME_SS}, {"t-", AS_VISEME_DD}, {"kh", AS_VISEME_KK},
        {"q", AS_VISEME_KK}, {"kʰ", AS_VISEME_KK}, {"p͈", AS_VISEME_PP}, {"h", AS_VISEME_KK}, {"ʔ", AS_VISEME_KK},
        /* Kirshenbaum letters espeak-ng may leave */
        {"S", AS_VISEME_CH}, {"T", AS_VISEME_TH}, {"@", AS_VISEME_E},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int v = as_viseme_of_ipa(cases[i].ipa);
        CHECKF(v == cases[i].viseme, "\"%s\" -> %s, expected %s", cases[i].ipa, as_viseme_name(v),
               as_viseme_name(cases[i].viseme));
    }
    CHECK(as_viseme_of_ipa("") == -1);
    CHECK(as_viseme_of_ipa("☃") == -1);
    CHECK(as_viseme_of_ipa("ˈː") == -1);
    CHECK(as_viseme_of_ipa(NULL) == -1);

    int seq[8];
    CHECK(as_visemes_of_ipa("aɪ", seq, 8) == 2 && seq[0] == AS_VISEME_AA && seq[1] == AS_VISEME_I);
    CHECK(as_visemes_of_ipa("oʊ", seq, 8) == 2 && seq[0] == AS_VISEME_O && seq[1] == AS_VISEME_U);
    CHECK(as_visemes_of_ipa("ɑːɹ", seq, 8) == 2 && seq[0] == AS_VISEME_AA && seq[1] == AS_VISEME_RR);
    CHECK(as_visemes_of_ipa("aɪɚ", seq, 8) == 3 && seq[2] == AS_VISEME_RR);
    CHECK(as_visemes_of_ipa("eə", seq, 8) == 1 && seq[0] == AS_VISEME_E);
    CHECK(as_visemes_of_ipa("tʃ", seq, 8) == 1 && seq[0] == AS_VISEME_CH);
    CHECK(as_visemes_of_ipa("pf", seq, 8) == 2 && seq[0] == AS_VISEME_PP && seq[1] == AS_VISEME_FF);
    CHECK(as_visemes_of_ipa("aɪ", seq, 1) == 2 && seq[0] == AS_VISEME_AA); /* the count, one written */
    CHECK(as_visemes_of_ipa("☃☃", seq, 8) == 0);
    CHECK(as_visemes_of_ipa("aɪ", NULL, 0) == 2);

    /* Names: 15, round trip, out of range. */
    CHECK(AS_NUM_VISEMES == 15);
    static const char *const names[] = {"sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "I", "O", "U"};
    for (int v = 0; v < AS_NUM_VISEMES; v++) {
        CHECK(as_viseme_name(v) && strcmp(as_viseme_name(v), names[v]) == 0);
        CHECK(as_viseme_find(names[v]) == v);
    }
    CHECK(as_viseme_name(-1) == NULL && as_viseme_name(AS_NUM_VISEMES) == NULL);
    CHECK(as_viseme_find("zz") == -1);
}

static void test_poses(void)
{
    float w[NC];
    for (int v = 0; v < AS_NUM_VISEMES; v++) {
        CHECK(as_viseme_pose(v, w) == AS_OK);
        int ok = 1;
        for (int c = 0; c < NC; c++) {
            if (!(w[c] >= 0.0f && w[c] <= 1.0f)) ok = 0;
            /* Only mouth channels (and tongueOut for TH) carry values. */
            if (w[c] != 0.0f && !is_mouth_channel(c) && !(v == AS_VISEME_TH && c == AS_TONGUE_OUT)) ok = 0;
            /* Symmetric. */
            int m = as_channel_mirror(c);
            if (m >= 0 && w[m] != w[c]) ok = 0;
        }
        CHECKF(ok, "pose %s out of range, asymmetric or off the mouth", as_viseme_name(v));
    }
    as_viseme_pose(AS_VISEME_SIL, w);
    float sum = 0;
    for (int c = 0; c < NC; c++) sum += w[c];
    CHECK(sum == 0.0f);
    as_viseme_pose(AS_VISEME_PP, w);
    CHECK(w[AS_MOUTH_PRESS_LEFT] >= 0.5f && w[AS_MOUTH_CLOSE] >= w[AS_JAW_OPEN] - 1e-6f && w[AS_JAW_OPEN] < 0.1f);
    float aa[NC], ii[NC], uu[NC], oo[NC], th[NC];
    as_viseme_pose(AS_VISEME_AA, aa);
    as_viseme_pose(AS_VISEME_I, ii);
    as_viseme_pose(AS_VISEME_U, uu);
    as_viseme_pose(AS_VISEME_O, oo);
    as_viseme_pose(AS_VISEME_TH, th);
    CHECK(aa[AS_JAW_OPEN] > ii[AS_JAW_OPEN] && aa[AS_JAW_OPEN] > uu[AS_JAW_OPEN]);
    CHECK(uu[AS_MOUTH_PUCKER] > 0.5f && oo[AS_MOUTH_FUNNEL] > 0.4f && ii[AS_MOUTH_PUCKER] == 0.0f);
    CHECK(ii[AS_MOUTH_SMILE_LEFT] > 0.2f && ii[AS_MOUTH_STRETCH_LEFT] > 0.2f);
    CHECK(th[AS_TONGUE_OUT] > 0.0f);
    CHECK(as_viseme_pose(AS_NUM_VISEMES, w) == AS_ERR_RANGE);
    CHECK(as_viseme_pose(-1, w) == AS_ERR_RANGE);
    CHECK(as_viseme_pose(0, NULL) == AS_ERR_INVALID_ARG);
}

/* ---- synthetic phoneme lists ------------------------------------------ */

/* Max of channel c over frames whose time lies in [a, b]. */
static float max_in(const float *f, size_t frames, double fps, int c, double a, double b)
{
    float m = 0;
    for (size_t i = 0; i < frames; i++) {
        double t = i / fps;
        if (t >= a && t <= b && f[i * NC + c] > m) m = f[i * NC + c];
    }
    return m;
}

static float at(const float *f, double fps, int c, double t) { return f[(size_t)lround(t * fps) * NC + c]; }

static void test_jaw_openness(void)
{
    /* /a/, /i/, /u/ held 0.3 s between /h/ and silence: the jaw opens most
     * for /a/. */
    const char *vowels[3] = {"a", "i", "u"};
    float jaw[3];
    as_lipsync_params p = as_lipsync_default_params();
    for (int v = 0; v < 3; v++) {
        step s[] = {{"", 0.5}, {"h", 0.08}, {vowels[v], 0.3}, {"", 0.5}};
        as_phoneme_event ph[4];
        size_t n = make_phonemes(s, 4, 0.0, ph);
        float *f = run(&p, ph, n, NULL, 0, 0, 45);
        jaw[v] = max_in(f, 45, 30, AS_JAW_OPEN, 0.58, 0.88);
        free(f);
    }
    CHECKF(jaw[0] > jaw[1] + 0.2f && jaw[0] > jaw[2] + 0.2f, "jaw a %.3f i %.3f u %.3f", jaw[0], jaw[1], jaw[2]);
    CHECKF(jaw[0] > 0.4f, "jaw for /a/ %.3f", jaw[0]);

    /* Loudness: the same /a/ with audio 12 dB louder opens the jaw wider;
     * jaw_gain scales it. */
    step s[] = {{"", 0.5}, {"a", 0.4}, {"", 0.5}};
    as_phoneme_event ph[3];
    size_t n = make_phonemes(s, 3, 0.0, ph);
    int rate = 16000;
    size_t nx = (size_t)(1.4 * rate);
    float *quiet = calloc(nx, sizeof(float)), *loud = calloc(nx, sizeof(float));
    for (size_t i = (size_t)(0.5 * rate); i < (size_t)(0.9 * rate); i++) {
        /* a 150 Hz tone, RMS -26 dBFS and -14 dBFS */
        double ph0 = 2 * 3.14159265358979 * 150.0 * i / rate;
        quiet[i] = (float)(0.0708 * sin(ph0));
        loud[i] = (float)(0.2818 * sin(ph0));
    }
    float *fq = run(&p, ph, n, quiet, nx, rate, 42);
    float *fl = run(&p, ph, n, loud, nx, rate, 42);
    float *fn = run(&p, ph, n, NULL, 0, 0, 42);
    float jq = at(fq, 30, AS_JAW_OPEN, 0.7), jl = at(fl, 30, AS_JAW_OPEN, 0.7), jn = at(fn, 30, AS_JAW_OPEN, 0.7);
    CHECKF(jl > jq * 1.3f, "loud jaw %.3f vs quiet %.3f", jl, jq);
    CHECKF(jn > jq && jn < jl, "no samples: jaw %.3f between quiet %.3f and loud %.3f", jn, jq, jl);
    as_lipsync_params g = p;
    g.jaw_gain = 0.5f;
    float *fg = run(&g, ph, n, NULL, 0, 0, 42);
    CHECKF(fabsf(at(fg, 30, AS_JAW_OPEN, 0.7) - 0.5f * jn) < 1e-5f, "jaw gain");
    g = p;
    g.use_loudness = 0;
    float *fu = run(&g, ph, n, loud, nx, rate, 42);
    CHECKF(at(fu, 30, AS_JAW_OPEN, 0.7) == jn, "use_loudness 0 ignores the samples");
    free(quiet);
    free(loud);
    free(fq);
    free(fl);
    free(fn);
    free(fg);
    free(fu);
}

static void test_rounding_anticipation(void)
{
    /* "i s t u" and the control "i s t i": the pucker rises across /s t/
     * before /u/, earlier than the /u/ starts, and not in the control. */
    step round_s[] = {{"", 0.4}, {"i", 0.2}, {"s", 0.1}, {"t", 0.08}, {"u", 0.25}, {"", 0.5}};
    step ctrl_s[] = {{"", 0.4}, {"i", 0.2}, {"s", 0.1}, {"t", 0.08}, {"i", 0.25}, {"", 0.5}};
    as_phoneme_event ph[6], pc[6];
    size_t n = make_phonemes(round_s, 6, 0.0, ph), nc = make_phonemes(ctrl_s, 6, 0.0, pc);
    as_lipsync_params p = as_lipsync_default_params();
    p.fps = 100; /* fine frames to see the rise */
    size_t T = 160;
    float *f = run(&p, ph, n, NULL, 0, 0, T), *g = run(&p, pc, nc, NULL, 0, 0, T);
    double u_on = 0.78; /* /u/ starts at 0.4 + 0.2 + 0.1 + 0.08 */
    float pk_i = at(f, 100, AS_MOUTH_PUCKER, 0.50);  /* middle of /i/ */
    float pk_s = at(f, 100, AS_MOUTH_PUCKER, 0.65);  /* middle of /s/ */
    float pk_t = at(f, 100, AS_MOUTH_PUCKER, 0.74);  /* middle of /t/ */
    float pk_u = at(f, 100, AS_MOUTH_PUCKER, 0.90);  /* middle of /u/ */
    CHECKF(pk_t > 0.15f && pk_t > pk_s && pk_s >= pk_i, "pucker i %.3f s %.3f t %.3f", pk_i, pk_s, pk_t);
    CHECKF(pk_u > pk_t && pk_u > 0.5f, "pucker u %.3f", pk_u);
    CHECKF(at(g, 100, AS_MOUTH_PUCKER, 0.74) < 0.02f, "control pucker at /t/ %.3f", at(g, 100, AS_MOUTH_PUCKER, 0.74));
    /* The rise starts at least 80 ms before the /u/ starts. */
    CHECKF(at(f, 100, AS_MOUTH_PUCKER, u_on - 0.08) > 0.05f, "pucker 80 ms ahead %.3f",
           at(f, 100, AS_MOUTH_PUCKER, u_on - 0.08));
    /* Anticipation 0 shortens the rise: less pucker at /s/. */
    p.anticipation_s = 0.0f;
    float *h = run(&p, ph, n, NULL, 0, 0, T);
    CHECKF(at(h, 100, AS_MOUTH_PUCKER, 0.65) < pk_s, "anticipation 0: %.3f vs %.3f", at(h, 100, AS_MOUTH_PUCKER, 0.65),
           pk_s);
    free(f);
    free(g);
    free(h);
}

/* Every bilabial closes the lips within one frame of its centre: some
 * frame among the three nearest has mouthClose or mouthPress >= 0.5, lips
 * together (mouthClose >= jawOpen - 0.02) and a jaw low enough (< 0.35). */
static int check_closures(const float *f, size_t T, double fps, const as_phoneme_event *ph, size_t n, const char *what)
{
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        int v = as_viseme_of_ipa(ph[i].ipa);
        if (v != AS_VISEME_PP) continue;
        count++;
        double c = 0.5 * (ph[i].start_s + ph[i].end_s);
        long k0 = lround(c * fps);
        int closed = 0;
        float best_press = 0, best_jaw = 1;
        for (long k = k0 - 1; k <= k0 + 1; k++) {
            if (k < 0 || (size_t)k >= T) continue;
            const float *w = f + (size_t)k * NC;
            float press = w[AS_MOUTH_PRESS_LEFT] > w[AS_MOUTH_PRESS_RIGHT] ? w[AS_MOUTH_PRESS_RIGHT] : w[AS_MOUTH_PRESS_LEFT];
            int lips = (w[AS_MOUTH_CLOSE] >= 0.5f || press >= 0.5f) && w[AS_MOUTH_CLOSE] >= w[AS_JAW_OPEN] - 0.02f &&
                       w[AS_JAW_OPEN] < 0.35f;
            if (lips) closed = 1;
            if (press > best_press) {
                best_press = press;
                best_jaw = w[AS_JAW_OPEN];
            }
        }
        CHECKF(closed, "%s: /%s/ at %.3f..%.3f: no closure near frame %ld (press %.2f, jaw %.2f)", what, ph[i].ipa,
               ph[i].start_s, ph[i].end_s, k0, best_press, best_jaw);
    }
    return count;
}

static void test_closure_synthetic(void)
{
    /* Short bilabials between open vowels, at awkward times (not on frame
     * boundaries), and a 25 ms /b/ shorter than a frame. */
    step s[] = {{"", 0.41}, {"a", 0.17}, {"p", 0.07}, {"a", 0.13}, {"b", 0.025}, {"ɑː", 0.21}, {"m", 0.06},
                {"aɪ", 0.2}, {"", 0.3}, {"m", 0.08}, {"", 0.5}};
    as_phoneme_event ph[16];
    size_t n = make_phonemes(s, 11, 0.0, ph);
    for (int pass = 0; pass < 3; pass++) {
        as_lipsync_params p = as_lipsync_default_params();
        p.fps = pass == 0 ? 30 : pass == 1 ? 25 : 60;
        p.coarticulation = pass == 2 ? 3.0f : 1.0f; /* wide overlap must not soften closures */
        size_t T = (size_t)(2.4 * p.fps);
        float *f = run(&p, ph, n, NULL, 0, 0, T);
        char what[32];
        snprintf(what, sizeof what, "synthetic @%g fps", (double)p.fps);
        CHECK(check_closures(f, T, p.fps, ph, n, what) == 4);
        free(f);
    }
}

static void test_closure_tts(void)
{
    static const struct {
        as_tts_engine engine;
        const char *voice, *text;
    } cases[] = {
        {AS_TTS_ESPEAK, "en-us", "Bob bought a big plump bumblebee, mom. Maybe Pam's pub by the bay?"},
        {AS_TTS_FLITE, "kal", "Bob bought a big plump bumblebee, mom. Maybe Pam's pub by the bay?"},
        {AS_TTS_FLITE, "slt", "Mister Potter brought purple plums by boat."},
        {AS_TTS_ESPEAK, "ko", "바보야, 엄마 밥 먹었어? 비빔밥 맛있어요."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        as_tts_params tp = as_tts_default_params();
        tp.engine = cases[i].engine;
        tp.voice = cases[i].voice;
        as_speech *sp = NULL;
        CHECKF(as_tts_synthesize(&tp, cases[i].text, &sp) == AS_OK, "%s", as_last_error());
        if (!sp) continue;
        as_lipsync_params p = as_lipsync_default_params();
        size_t T = (size_t)(as_speech_duration(sp) * p.fps) + 1;
        float *f = run(&p, sp->phonemes, sp->n_phonemes, sp->samples, sp->n_samples, sp->rate_hz, T);
        char what[64];
        snprintf(what, sizeof what, "%s/%s", as_tts_engine_name(cases[i].engine), cases[i].voice);
        int n_bilabial = check_closures(f, T, p.fps, sp->phonemes, sp->n_phonemes, what);
        CHECKF(n_bilabial >= 8, "%s: only %d bilabials in the phoneme stream", what, n_bilabial);

        /* Rest at both ends: the first and last frames, and with longer
         * silence every frame further than 0.3 s from speech. */
        int rest = 1;
        for (int c = 0; c < NC; c++)
            if (f[c] >= 0.02f || f[(T - 1) * NC + c] >= 0.02f) rest = 0;
        CHECKF(rest, "%s: not at rest in the first or last frame", what);
        /* The mouth moves while speaking. */
        float jaw_max = 0;
        for (size_t k = 0; k < T; k++)
            if (f[k * NC + AS_JAW_OPEN] > jaw_max) jaw_max = f[k * NC + AS_JAW_OPEN];
        CHECKF(jaw_max > 0.35f, "%s: jaw never opens (%.3f)", what, jaw_max);
        free(f);
        as_speech_destroy(sp);
    }
}

static void test_rest_in_silence(void)
{
    as_tts_params tp = as_tts_default_params();
    tp.lead_s = 0.8f;
    tp.tail_s = 0.8f;
    as_speech *sp = NULL;
    CHECK(as_tts_synthesize(&tp, "Hello, world. Who knows?", &sp) == AS_OK);
    if (!sp) return;
    as_lipsync_params p = as_lipsync_default_params();
    size_t T = (size_t)(as_speech_duration(sp) * p.fps) + 1;
    float *f = run(&p, sp->phonemes, sp->n_phonemes, sp->samples, sp->n_samples, sp->rate_hz, T);
    double first = sp->phonemes[0].start_s, last = sp->phonemes[sp->n_phonemes - 1].end_s;
    size_t n_rest = 0;
    int ok = 1;
    for (size_t k = 0; k < T; k++) {
        double t = k / (double)p.fps;
        if (t > first - 0.3 && t < last + 0.3) continue;
        n_rest++;
        for (int c = 0; c < NC; c++)
            if (is_mouth_channel(c) && f[k * NC + c] >= 0.02f) ok = 0;
    }
    CHECKF(n_rest >= 25, "%zu silent frames", n_rest);
    CHECKF(ok, "a lip-sync channel >= 0.02 in silence");
    free(f);
    as_speech_destroy(sp);

    /* A long pause inside speech returns to rest, exactly. */
    step s[] = {{"", 0.4}, {"a", 0.3}, {"", 1.0}, {"u", 0.3}, {"", 0.4}};
    as_phoneme_event ph[5];
    size_t n = make_phonemes(s, 5, 0.0, ph);
    float *g = run(&p, ph, n, NULL, 0, 0, 72);
    float m = 0;
    for (int c = 0; c < NC; c++) {
        float x = max_in(g, 72, 30, c, 1.05, 1.35);
        if (x > m) m = x;
    }
    CHECKF(m < 0.02f, "mid-pause max %.4f", m);
    CHECK(max_in(g, 72, 30, AS_JAW_OPEN, 0.45, 0.65) > 0.3f); /* and it did move before */
    free(g);
}

static void test_alignment(void)
{
    /* One /m/ inside a long /a/: the lowest-jaw frame sits on the /m/;
     * delaying every phoneme by 0.2 s delays it by 6 frames at 30 fps. */
    as_lipsync_params p = as_lipsync_default_params();
    for (int shift = 0; shift < 2; shift++) {
        step s[] = {{"", 0.4}, {"a", 0.5}, {"m", 0.07}, {"a", 0.5}, {"", 0.5}};
        as_phoneme_event ph[5];
        size_t n = make_phonemes(s, 5, shift ? 0.2 : 0.0, ph);
        size_t T = 70;
        float *f = run(&p, ph, n, NULL, 0, 0, T);
        double c = 0.5 * (ph[1].start_s + ph[1].end_s);
        size_t best = 0;
        float best_jaw = 2;
        /* search the frames well inside the two /a/ (0.15 s from their outer ends) */
        for (size_t k = (size_t)ceil((ph[0].start_s + 0.15) * 30); k <= (size_t)((ph[2].end_s - 0.15) * 30); k++)
            if (f[k * NC + AS_JAW_OPEN] < best_jaw) {
                best_jaw = f[k * NC + AS_JAW_OPEN];
                best = k;
            }
        CHECKF(fabs(best / 30.0 - c) <= 1.0 / 30.0 + 1e-9, "shift %d: lowest jaw at frame %zu (%.3f s), /m/ centre %.3f",
               shift, best, best / 30.0, c);
        free(f);
    }
}

static void test_contract(void)
{
    /* Determinism, only mouth channels written (others exactly 0 even if
     * the buffer held garbage), values in 0..1, NULL params = defaults. */
    as_tts_params tp = as_tts_default_params();
    as_speech *sp = NULL;
    CHECK(as_tts_synthesize(&tp, "The same words, the same face.", &sp) == AS_OK);
    if (!sp) return;
    as_lipsync_params p = as_lipsync_default_params();
    CHECK(p.fps == 30.0f && p.jaw_gain == 1.0f && p.lip_gain == 1.0f && p.coarticulation == 1.0f);
    size_t T = (size_t)(as_speech_duration(sp) * p.fps) + 1;
    float *a = malloc(T * NC * sizeof(float)), *b = malloc(T * NC * sizeof(float));
    memset(a, 0x7f, T * NC * sizeof(float));
    memset(b, 0xff, T * NC * sizeof(float));
    CHECK(as_lipsync_from_phonemes(&p, sp->phonemes, sp->n_phonemes, sp->samples, sp->n_samples, sp->rate_hz, T, a) == AS_OK);
    CHECK(as_lipsync_from_phonemes(NULL, sp->phonemes, sp->n_phonemes, sp->samples, sp->n_samples, sp->rate_hz, T, b) == AS_OK);
    CHECK(memcmp(a, b, T * NC * sizeof(float)) == 0);
    int ok = 1;
    for (size_t k = 0; k < T * NC; k++) {
        int c = (int)(k % NC);
        if (!(a[k] >= 0.0f && a[k] <= 1.0f)) ok = 0;
        if (!is_mouth_channel(c) && a[k] != 0.0f) ok = 0;
    }
    CHECK(ok);

    /* The whole chain twice: bit-identical. */
    as_speech *sp2 = NULL;
    CHECK(as_tts_synthesize(&tp, "The same words, the same face.", &sp2) == AS_OK);
    if (sp2) {
        size_t T2 = (size_t)(as_speech_duration(sp2) * p.fps) + 1;
        CHECK(T2 == T);
        if (T2 == T) {
            CHECK(as_lipsync_from_phonemes(&p, sp2->phonemes, sp2->n_phonemes, sp2->samples, sp2->n_samples,
                                           sp2->rate_hz, T, b) == AS_OK);
            CHECK(memcmp(a, b, T * NC * sizeof(float)) == 0);
        }
        as_speech_destroy(sp2);
    }

    /* Errors. */
    as_phoneme_event bad[2];
    memcpy(bad, sp->phonemes, sizeof bad);
    bad[1].start_s = bad[0].start_s - 0.1;
    CHECK(as_lipsync_from_phonemes(&p, bad, 2, NULL, 0, 0, 4, a) == AS_ERR_INVALID_ARG);
    CHECK(strstr(as_last_error(), "order") != NULL);
    memcpy(bad, sp->phonemes, sizeof bad);
    bad[0].end_s = NAN;
    CHECK(as_lipsync_from_phonemes(&p, bad, 2, NULL, 0, 0, 4, a) == AS_ERR_INVALID_ARG);
    CHECK(as_lipsync_from_phonemes(&p, NULL, 3, NULL, 0, 0, 4, a) == AS_ERR_INVALID_ARG);
    CHECK(as_lipsync_from_phonemes(&p, sp->phonemes, 1, NULL, 0, 0, 4, NULL) == AS_ERR_INVALID_ARG);
    CHECK(as_lipsync_from_phonemes(&p, sp->phonemes, 1, sp->samples, 10, 0, 4, a) == AS_ERR_INVALID_ARG);
    as_lipsync_params q = p;
    q.fps = 0;
    CHECK(as_lipsync_from_phonemes(&q, sp->phonemes, 1, NULL, 0, 0, 4, a) == AS_ERR_INVALID_ARG);
    q = p;
    q.coarticulation = 10;
    CHECK(as_lipsync_from_phonemes(&q, sp->phonemes, 1, NULL, 0, 0, 4, a) == AS_ERR_INVALID_ARG);
    /* Nothing to do is fine: no phonemes gives rest, no frames writes nothing. */
    CHECK(as_lipsync_from_phonemes(&p, NULL, 0, NULL, 0, 0, 4, a) == AS_OK);
    float s = 0;
    for (size_t k = 0; k < 4 * NC; k++) s += a[k];
    CHECK(s == 0.0f);
    CHECK(as_lipsync_from_phonemes(&p, sp->phonemes, sp->n_phonemes, NULL, 0, 0, 0, NULL) == AS_OK);
    /* An unknown phoneme counts as a neutral consonant, not an error. */
    step u[] = {{"", 0.3}, {"a", 0.2}, {"☃", 0.1}, {"a", 0.2}, {"", 0.3}};
    as_phoneme_event up[5];
    size_t nu = make_phonemes(u, 5, 0.0, up);
    CHECK(as_lipsync_from_phonemes(&p, up, nu, NULL, 0, 0, 30, a) == AS_OK);
    free(a);
    free(b);
    as_speech_destroy(sp);
}

/* Fault injection: the teacher's one allocation fails cleanly. */
static int fail_next = 0;
static void *f_malloc(size_t n, void *u)
{
    (void)u;
    return fail_next ? NULL : malloc(n);
}
static void *f_realloc(void *p, size_t n, void *u)
{
    (void)u;
    return fail_next ? NULL : realloc(p, n);
}
static void f_free(void *p, void *u)
{
    (void)u;
    free(p);
}

static void test_fault_injection(void)
{
    step s[] = {{"", 0.3}, {"a", 0.2}, {"p", 0.1}, {"a", 0.2}, {"", 0.3}};
    as_phoneme_event ph[5];
    size_t n = make_phonemes(s, 5, 0.0, ph);
    float out[30 * NC];
    as_allocator a = {f_malloc, f_realloc, f_free, NULL};
    as_set_allocator(&a);
    fail_next = 1;
    as_result r = as_lipsync_from_phonemes(NULL, ph, n, NULL, 0, 0, 30, out);
    fail_next = 0;
    as_result r2 = as_lipsync_from_phonemes(NULL, ph, n, NULL, 0, 0, 30, out);
    as_set_allocator(NULL);
    CHECK(r == AS_ERR_NOMEM);
    CHECK(r2 == AS_OK);
}

int main(void)
{
    test_table();
    test_poses();
    test_jaw_openness();
    test_rounding_anticipation();
    test_closure_synthetic();
    test_closure_tts();
    test_rest_in_silence();
    test_alignment();
    test_contract();
    test_fault_injection();
    return test_finish("test_lipsync");
}
