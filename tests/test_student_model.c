/* test_student_model.c — the student network (src/nn/student.c) and its
 * runtime (src/engine/student_*.c):
 *   - the whole model's backward against central finite differences, for
 *     every tensor, on a tiny configuration with look-ahead; the
 *     stop-gradients (mouthClose -> jaw, the shape-only gradient dshape ->
 *     closure) give exactly nothing on their path;
 *   - the nearest-pose loss's gradient against finite differences (the
 *     jaw's scaled by its factor, none at 0), and its value (log 2 at the midpoint of two poses, near 0 on a pose);
 *   - the look-ahead is bounded: changing audio after t + look-ahead never
 *     changes frame t;
 *   - weight files: a saved model loads and gives the same bits; a corrupt
 *     file, a checkpoint and a wrong model version are refused with a hint;
 *   - streaming = offline: as_student_stream in chunks of many sizes at
 *     16, 22.05 and 44.1 kHz, with a timed emotion script, gives exactly the
 *     frames of as_render; a push with too little room is refused;
 *   - the script parser's errors;
 *   - every allocation of a stream's create, a render and a load can fail
 *     and is reported, with nothing leaked (the ASan build checks). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "animasync/animasync.h"
#include "engine/student_internal.h"
#include "nn/student.h"
#include "testutil.h"

#define PI 3.14159265358979323846

static st_config tiny_config(void)
{
    st_config c;
    memset(&c, 0, sizeof c);
    c.hidden = 6, c.film_hidden = 5, c.stack = 2, c.ahead = 1, c.layers = 2, c.kernel = 3;
    c.dilation[0] = 1, c.dilation[1] = 2;
    c.lookahead[0] = 1, c.lookahead[1] = 0;
    return c;
}

/* loss = sum_i w_i pred_i, in double */
static double weighted_sum(const float *pred, const double *w, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += w[i] * pred[i];
    return s;
}

/* heads 0: the regression output (version 1); 1: the viseme and closure
 * heads with the articulatory output (version 2). */
static void test_gradients(int heads)
{
    st_config c = tiny_config();
    c.heads = heads;
    enum { B = 2, T = 7 };
    nn_layout L, LA;
    st_layout(&L, &c);
    st_acts_layout(&LA, &c, B, T);
    float *val = calloc(L.total, 4), *grad = calloc(L.total, 4), *ab = calloc(LA.total, 4), *dab = calloc(LA.total, 4);
    nn_layout_init_values(&L, val, 3);
    st_params p, g;
    st_acts a, da;
    nn_layout_bind(&L, &p, val);
    nn_layout_bind(&L, &g, grad);
    nn_layout_bind(&LA, &a, ab);
    nn_layout_bind(&LA, &da, dab);
    nn_rng rng;
    nn_rng_seed(&rng, 7);
    /* non-zero FiLM generators and biases so every path carries gradient */
    for (size_t i = 0; i < L.total; i++)
        if (val[i] == 0.0f) val[i] = 0.3f * (2.0f * nn_rng_uniform(&rng) - 1.0f);
    for (int i = 0; i < AS_FEAT_DIM; i++) p.feat_mean[i] = 0.0f, p.feat_istd[i] = 1.0f;
    if (heads) /* poses on 0..1 like the viseme table; the closure near 0.5 so both sides of each max are used */
        for (size_t i = 0; i < (size_t)ST_NUM_VISEMES * AS_NUM_CHANNELS; i++) p.vis_pose[i] = nn_rng_uniform(&rng);
    if (heads) p.clo_b[0] = 0.0f;
    for (size_t i = 0; i < (size_t)B * T * st_input_dim(&c); i++) a.x[i] = 2.0f * nn_rng_uniform(&rng) - 1.0f;
    float cond[B * T * AS_COND_DIM];
    for (int i = 0; i < B * T * AS_COND_DIM; i++) cond[i] = nn_rng_uniform(&rng);
    size_t np = (size_t)B * T * AS_NUM_CHANNELS;
    double *w = malloc(np * sizeof(double));
    for (size_t i = 0; i < np; i++) w[i] = 2.0 * nn_rng_uniform(&rng) - 1.0;
    if (heads) /* the backward stops mouthClose's gradient into the jaw (by design): leave it out here, and
                * check below that it reaches the closure head and nothing on the jaw's path */
        for (size_t n = 0; n < (size_t)B * T; n++) w[n * AS_NUM_CHANNELS + AS_MOUTH_CLOSE] = 0.0;
    float *x_keep = malloc((size_t)B * T * st_input_dim(&c) * 4);
    memcpy(x_keep, a.x, (size_t)B * T * st_input_dim(&c) * 4);

    st_forward(&c, &p, &a, cond, B, T);
    for (size_t i = 0; i < np; i++) da.pred[i] = (float)w[i];
    st_backward(&c, &p, &g, &a, &da, cond, B, T);

    /* every trained tensor: up to 12 entries each against central differences */
    int checked = 0, bad = 0;
    double worst = 0;
    for (int t = 2; t < L.n; t++) { /* 0, 1: the feature statistics (not trained) */
        const nn_tensor *tt = &L.t[t];
        if (!strcmp(tt->name, "vis_pose")) { /* stored, not trained: no gradient at all */
            for (size_t k = 0; k < tt->size; k++) CHECK(grad[tt->offset + k] == 0.0f);
            continue;
        }
        for (int k = 0; k < 12 && (size_t)k < tt->size; k++) {
            size_t idx = tt->offset + (size_t)((k * 7919u) % tt->size);
            float keep = val[idx];
            /* two step sizes: a large step may cross a relu kink, a small
             * one drowns in float rounding; a correct gradient matches at
             * least one of them */
            double an = grad[idx], err = 1e9, fd = 0;
            const float steps[2] = {1e-2f, 1e-3f};
            for (int e = 0; e < 2; e++) {
                const float eps = steps[e];
                val[idx] = keep + eps;
                memcpy(a.x, x_keep, (size_t)B * T * st_input_dim(&c) * 4);
                st_forward(&c, &p, &a, cond, B, T);
                double lp = weighted_sum(a.pred, w, np);
                val[idx] = keep - eps;
                st_forward(&c, &p, &a, cond, B, T);
                double lm = weighted_sum(a.pred, w, np);
                val[idx] = keep;
                double f = (lp - lm) / (2.0 * eps);
                double er = fabs(f - an) / fmax(1e-2, fabs(f) + fabs(an));
                if (er < err) err = er, fd = f;
            }
            if (err > worst) worst = err;
            if (err > 2e-2) {
                bad++;
                fprintf(stderr, "  %s[%zu]: analytic %g, finite difference %g\n", tt->name, idx - tt->offset, an, fd);
            }
            checked++;
        }
    }
    if (heads) {
        /* a gradient on mouthClose alone: the closure head gets it, the jaw's output row does not */
        memset(grad, 0, L.total * 4), memset(dab, 0, LA.total * 4);
        p.clo_b[0] = 4.0f; /* lips closed on most rows */
        memcpy(a.x, x_keep, (size_t)B * T * st_input_dim(&c) * 4);
        st_forward(&c, &p, &a, cond, B, T);
        int closing = 0;
        for (int n = 0; n < B * T; n++) {
            da.pred[(size_t)n * AS_NUM_CHANNELS + AS_MOUTH_CLOSE] = 1.0f;
            closing += a.pred[(size_t)n * AS_NUM_CHANNELS + AS_MOUTH_CLOSE] > a.reg[(size_t)n * AS_NUM_CHANNELS + AS_MOUTH_CLOSE];
        }
        st_backward(&c, &p, &g, &a, &da, cond, B, T);
        double jaw_g = 0;
        for (int k = 0; k < c.hidden; k++) jaw_g += fabs(g.out_w[(size_t)AS_JAW_OPEN * c.hidden + k]);
        CHECKF(closing > 0, "some rows close the lips through the closure head (%d)", closing);
        CHECKF(g.clo_b[0] != 0.0f, "mouthClose's gradient reaches the closure head (%g)", (double)g.clo_b[0]);
        CHECKF(jaw_g == 0.0, "mouthClose's gradient does not reach the jaw's output row (%g)", jaw_g);

        /* da->dshape: the same gradient as da->pred without the closure's
         * path. With it, the closure head gets nothing; with the closure
         * shut off (c = sigmoid(-60): no path through it), dshape and pred
         * give the same gradient everywhere. */
        float *g_pred = malloc(L.total * 4);
        memset(grad, 0, L.total * 4), memset(dab, 0, LA.total * 4);
        p.clo_b[0] = 0.0f;
        memcpy(a.x, x_keep, (size_t)B * T * st_input_dim(&c) * 4);
        st_forward(&c, &p, &a, cond, B, T);
        for (size_t i = 0; i < np; i++) da.dshape[i] = (float)w[i];
        st_backward(&c, &p, &g, &a, &da, cond, B, T);
        CHECKF(g.clo_b[0] == 0.0f && g.clo_w[0] == 0.0f, "dshape reaches the closure head (%g)", (double)g.clo_b[0]);
        double vis_g = 0;
        for (int k = 0; k < ST_NUM_VISEMES; k++) vis_g += fabs(g.vis_b[k]);
        CHECKF(vis_g > 0.0, "dshape reaches the viseme head");
        for (int k = 0; k < c.hidden; k++) p.clo_w[k] = 0.0f;
        p.clo_b[0] = -60.0f;
        for (int pass = 0; pass < 2; pass++) {
            memset(grad, 0, L.total * 4), memset(dab, 0, LA.total * 4);
            memcpy(a.x, x_keep, (size_t)B * T * st_input_dim(&c) * 4);
            st_forward(&c, &p, &a, cond, B, T);
            for (size_t i = 0; i < np; i++) (pass ? da.dshape : da.pred)[i] = (float)w[i];
            st_backward(&c, &p, &g, &a, &da, cond, B, T);
            if (!pass) memcpy(g_pred, grad, L.total * 4);
        }
        int differ = 0;
        for (size_t i = 0; i < L.total; i++)
            differ += fabs((double)grad[i] - g_pred[i]) > 1e-6 * (1.0 + fabs((double)g_pred[i]));
        CHECKF(differ == 0, "with the closure shut, dshape and pred give different gradients at %d values", differ);
        free(g_pred);
    }
    printf("  gradient check (heads %d): %d values over %d tensors, worst relative error %.2e\n", heads, checked,
           L.n - 2, worst);
    CHECKF(bad == 0, "%d of %d gradients disagree with finite differences", bad, checked);
    free(val), free(grad), free(ab), free(dab), free(w), free(x_keep);
}

/* A model with random weights, as a public as_student (via a weight file). */
static as_student *random_model(const char *path, const st_config *c, uint64_t seed, float **values_out,
                                size_t *n_out)
{
    nn_layout L;
    st_layout(&L, c);
    float *val = calloc(L.total, 4);
    nn_layout_init_values(&L, val, seed);
    nn_rng rng;
    nn_rng_seed(&rng, seed + 100);
    for (size_t i = 2 * AS_FEAT_DIM; i < L.total; i++)
        if (val[i] == 0.0f) val[i] = 0.2f * (2.0f * nn_rng_uniform(&rng) - 1.0f);
    st_params p;
    nn_layout_bind(&L, &p, val);
    for (int i = 0; i < AS_FEAT_DIM; i++) p.feat_mean[i] = -5.0f, p.feat_istd[i] = 0.2f;
    if (c->heads) /* poses are weights on 0..1 (a model with others is refused) */
        for (size_t i = 0; i < (size_t)ST_NUM_VISEMES * AS_NUM_CHANNELS; i++) p.vis_pose[i] = nn_rng_uniform(&rng);
    int32_t h[ST_NUM_HPARAMS];
    st_hparams_pack(c, h);
    CHECK(nn_weights_save(path, AS_NN_KIND_LIPSYNC_STUDENT, h, ST_NUM_HPARAMS, val, L.total, NULL, 0) == AS_OK);
    if (values_out) *values_out = val, *n_out = L.total;
    else free(val);
    return as_student_load(path);
}

/* A test signal: bursts of harmonic "vowels" and noise "consonants" with
 * pauses (150 ms, and 400 ms every 1.5 s), so every feature moves. */
static float *test_audio(int rate, double seconds, size_t *n)
{
    *n = (size_t)(seconds * rate);
    float *x = calloc(*n, 4);
    nn_rng rng;
    nn_rng_seed(&rng, 5);
    for (size_t i = 0; i < *n; i++) {
        double t = (double)i / rate;
        double seg = fmod(t, 0.5);
        double f0 = 110.0 + 40.0 * sin(2.0 * PI * 0.7 * t);
        double v = 0;
        if (seg < 0.25)
            for (int h = 1; h <= 8; h++) v += sin(2.0 * PI * f0 * h * t) / h;
        else if (seg < 0.35) v = 0.5 * (2.0 * nn_rng_uniform(&rng) - 1.0);
        if (fmod(t, 1.5) >= 1.1) v = 0; /* a 400 ms pause every 1.5 s: phrase markers */
        x[i] = (float)(0.2 * v);
    }
    return x;
}

static void test_lookahead_bound(void)
{
    st_config c = st_config_default(100);
    const char *dir = test_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/la.asnn", dir);
    as_student *m = random_model(path, &c, 11, NULL, NULL);
    CHECK(m != NULL);
    if (!m) return;
    as_student_info info;
    as_student_get_info(m, &info);
    CHECKF(fabs(info.lookahead_ms - 100.0) < 1e-9, "look-ahead of the 100 ms layout: %g ms", info.lookahead_ms);
    size_t n;
    float *x = test_audio(16000, 2.0, &n);
    float *fa = NULL, *fb = NULL;
    size_t nfa, nfb;
    CHECK(as_features_compute(&fa, &nfa, x, n, 16000, NULL) == AS_OK);
    /* change the features from frame 100 (1.0125 s) on */
    CHECK(as_features_compute(&fb, &nfb, x, n, 16000, NULL) == AS_OK);
    for (size_t i = 100 * AS_FEAT_DIM; i < nfb * AS_FEAT_DIM; i++) fb[i] += 1.0f;
    size_t T = 60;
    as_cond cond[60];
    for (size_t t = 0; t < T; t++) cond[t] = as_cond_make(AS_EMO_JOY, as_emotion_anchor(AS_EMO_JOY, 3));
    float *oa = malloc(T * 52 * 4), *ob = malloc(T * 52 * 4);
    as_student_run(m, oa, fa, nfa, cond, T);
    as_student_run(m, ob, fb, nfb, cond, T);
    /* frame t sees feature centres up to t/30 + 100 ms: frames with
     * t/30 + 0.1 < 1.0125 are untouched, the first frame after is not */
    size_t last_same = 0, first_diff = T;
    for (size_t t = 0; t < T; t++) {
        int same = memcmp(oa + t * 52, ob + t * 52, 52 * 4) == 0;
        if (same && first_diff == T) last_same = t;
        if (!same && first_diff == T) first_diff = t;
    }
    /* t = 27: 0.9 + 0.1 = 1.0 s < 1.0125 s; t = 28: 1.033 s >= 1.0125 s */
    CHECKF(first_diff == 28, "first frame that sees the change: %zu (expected 28)", first_diff);
    CHECK(last_same == 27);
    free(x), as_free(fa), as_free(fb), free(oa), free(ob);
    as_student_destroy(m);
}

static void test_weight_files(void)
{
    st_config c = tiny_config();
    const char *dir = test_tmpdir();
    char path[512], bad[512];
    snprintf(path, sizeof path, "%s/tiny.asnn", dir);
    float *val;
    size_t nv;
    as_student *m = random_model(path, &c, 21, &val, &nv);
    CHECKF(m != NULL, "load: %s", as_last_error());
    if (!m) return;
    /* same bits as the model built from the values directly */
    as_student *direct = st_model_create(&c, val, nv, 1);
    size_t n;
    float *x = test_audio(16000, 1.0, &n);
    float *feat = NULL;
    size_t nf;
    as_features_compute(&feat, &nf, x, n, 16000, NULL);
    as_cond cond[30];
    for (int t = 0; t < 30; t++) cond[t] = as_cond_make(AS_EMO_ANGER, as_emotion_anchor(AS_EMO_ANGER, 5));
    float oa[30 * 52], ob[30 * 52];
    CHECK(as_student_run(m, oa, feat, nf, cond, 30) == AS_OK);
    CHECK(as_student_run(direct, ob, feat, nf, cond, 30) == AS_OK);
    CHECK(memcmp(oa, ob, sizeof oa) == 0);
    as_student_destroy(direct);
    as_student_destroy(m);
    /* a version 1 file (no heads field) still loads, as a network without heads */
    {
        int32_t h1[ST_NUM_HPARAMS];
        st_hparams_pack(&c, h1);
        h1[0] = 1;
        snprintf(bad, sizeof bad, "%s/v1.asnn", dir);
        CHECK(nn_weights_save(bad, AS_NN_KIND_LIPSYNC_STUDENT, h1, ST_NUM_HPARAMS_V1, val, nv, NULL, 0) == AS_OK);
        as_student *v1 = as_student_load(bad);
        CHECKF(v1 != NULL, "version 1 file: %s", as_last_error());
        if (v1) {
            CHECK(v1->cfg.heads == 0);
            CHECK(as_student_run(v1, ob, feat, nf, cond, 30) == AS_OK);
            CHECK(memcmp(oa, ob, sizeof oa) == 0);
            as_student_destroy(v1);
        }
        /* a version 2 header cut to version 1's length: refused */
        h1[0] = ST_MODEL_VERSION;
        CHECK(nn_weights_save(bad, AS_NN_KIND_LIPSYNC_STUDENT, h1, ST_NUM_HPARAMS_V1, val, nv, NULL, 0) == AS_OK);
        CHECK(as_student_load(bad) == NULL);
        CHECKF(strstr(as_last_error(), "hyperparameters") != NULL, "short header message: %s", as_last_error());
    }

    /* a flipped byte in the values: refused (checksum), with the hint */
    size_t len;
    char *bytes = test_read_file(path, &len);
    snprintf(bad, sizeof bad, "%s/bad.asnn", dir);
    bytes[len / 2] ^= 0x10;
    FILE *f = fopen(bad, "wb");
    fwrite(bytes, 1, len, f);
    fclose(f);
    CHECK(as_student_load(bad) == NULL);
    CHECKF(strstr(as_last_error(), "animasync train") != NULL, "corrupt file message: %s", as_last_error());
    free(bytes);
    /* a checkpoint is not a model */
    int32_t h[ST_NUM_HPARAMS];
    st_hparams_pack(&c, h);
    CHECK(nn_weights_save(bad, AS_NN_KIND_LIPSYNC_STUDENT | AS_NN_KIND_CHECKPOINT, h, ST_NUM_HPARAMS, val, nv, NULL,
                          0) == AS_OK);
    CHECK(as_student_load(bad) == NULL);
    CHECKF(strstr(as_last_error(), "checkpoint") != NULL, "checkpoint message: %s", as_last_error());
    /* another model version */
    h[0] = ST_MODEL_VERSION + 1;
    CHECK(nn_weights_save(bad, AS_NN_KIND_LIPSYNC_STUDENT, h, ST_NUM_HPARAMS, val, nv, NULL, 0) == AS_OK);
    CHECK(as_student_load(bad) == NULL);
    CHECKF(strstr(as_last_error(), "model version") != NULL, "version message: %s", as_last_error());
    /* a model with heads whose viseme poses leave 0..1: refused, naming the value */
    {
        st_config ch = tiny_config();
        ch.heads = 1;
        snprintf(bad, sizeof bad, "%s/heads.asnn", dir);
        float *hv;
        size_t hn;
        as_student *hm = random_model(bad, &ch, 5, &hv, &hn);
        CHECKF(hm != NULL, "heads model: %s", as_last_error());
        as_student_destroy(hm);
        nn_layout HL;
        st_layout(&HL, &ch);
        st_params hp;
        nn_layout_bind(&HL, &hp, hv);
        hp.vis_pose[7] = 1.5f;
        int32_t hh[ST_NUM_HPARAMS];
        st_hparams_pack(&ch, hh);
        CHECK(nn_weights_save(bad, AS_NN_KIND_LIPSYNC_STUDENT, hh, ST_NUM_HPARAMS, hv, hn, NULL, 0) == AS_OK);
        CHECK(as_student_load(bad) == NULL);
        CHECKF(strstr(as_last_error(), "viseme pose") != NULL, "pose message: %s", as_last_error());
        free(hv);
    }
    /* a value count that does not fit the hyperparameters */
    st_hparams_pack(&c, h);
    CHECK(nn_weights_save(bad, AS_NN_KIND_LIPSYNC_STUDENT, h, ST_NUM_HPARAMS, val, nv - 1, NULL, 0) == AS_OK);
    CHECK(as_student_load(bad) == NULL);
    /* a text classifier's file */
    CHECK(nn_weights_save(bad, AS_NN_KIND_TEXT_CLASSIFIER, h, ST_NUM_HPARAMS, val, nv, NULL, 0) == AS_OK);
    CHECK(as_student_load(bad) == NULL);
    CHECK(as_student_load("/nonexistent/student.asnn") == NULL);
    free(x), as_free(feat), free(val);
}

/* Streams pcm in chunks cycling through sizes[] and compares with as_render. */
static void stream_vs_offline(const as_student *m, int rate, const as_render_params *rp, const size_t *sizes,
                              int n_sizes, const char *label)
{
    size_t n;
    float *x = test_audio(rate, 3.1, &n);
    as_animation *anim = NULL;
    CHECKF(as_render(m, rp, x, n, rate, &anim) == AS_OK, "%s: render: %s", label, as_last_error());
    if (!anim) return;
    as_student_stream *st = as_student_stream_create(m, rate, rp);
    CHECKF(st != NULL, "%s: stream: %s", label, as_last_error());
    if (!st) return;
    size_t maxchunk = 0;
    for (int i = 0; i < n_sizes; i++)
        if (sizes[i] > maxchunk) maxchunk = sizes[i];
    size_t cap = as_student_stream_max_frames(st, maxchunk);
    float *out = malloc((anim->num_frames + cap) * 52 * 4);
    size_t got = 0, off = 0;
    for (int k = 0; off < n; k++) {
        size_t len = sizes[k % n_sizes];
        if (len > n - off) len = n - off;
        size_t nf;
        CHECK(as_student_stream_push(st, out + got * 52, cap, &nf, x + off, len) == AS_OK);
        got += nf;
        off += len;
    }
    size_t nf;
    CHECK(as_student_stream_flush(st, out + got * 52, as_student_stream_max_frames(st, 0), &nf) == AS_OK);
    got += nf;
    CHECKF(got == anim->num_frames, "%s: streamed %zu frames, offline %zu", label, got, anim->num_frames);
    size_t diff = 0;
    for (size_t i = 0; i < got * 52 && i < anim->num_frames * 52; i++) diff += memcmp(&out[i], &anim->frames[i], 4) != 0;
    CHECKF(diff == 0, "%s: %zu values differ between the stream and the offline render", label, diff);
    printf("  stream = offline at %d Hz (%s): %zu frames, %zu values differ\n", rate, label, got, diff);
    as_student_stream_destroy(st);
    as_animation_destroy(anim);
    free(out), free(x);
}

static void test_streaming(void)
{
    st_config c = st_config_default(100);
    const char *dir = test_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/stream.asnn", dir);
    as_student *m = random_model(path, &c, 31, NULL, NULL);
    if (!m) return;
    as_render_params rp = as_render_default_params();
    rp.script = "[0s joy:80] [1.2s sadness:40] [2.5s surprise]";
    const size_t odd[] = {1, 7, 160, 333, 4095, 4097, 10000};
    const size_t tenms[] = {160};
    stream_vs_offline(m, 16000, &rp, odd, 7, "chunks of 1..10000 samples");
    stream_vs_offline(m, 16000, &rp, tenms, 1, "10 ms chunks");
    stream_vs_offline(m, 22050, &rp, odd, 7, "chunks of 1..10000 samples");
    const size_t big[] = {1000000};
    stream_vs_offline(m, 44100, &rp, big, 1, "one push");
    /* the 0 and 50 ms layouts too */
    for (int la = 0; la <= 50; la += 50) {
        st_config c2 = st_config_default(la);
        as_student *m2 = random_model(path, &c2, 41 + (uint64_t)la, NULL, NULL);
        rp.script = NULL;
        rp.emotion = "anger";
        stream_vs_offline(m2, 16000, &rp, odd, 7, la ? "50 ms layout" : "0 ms layout");
        as_student_destroy(m2);
    }
    /* too little room: refused, nothing consumed */
    as_student_stream *st = as_student_stream_create(m, 16000, NULL);
    float buf[52];
    size_t nf;
    float pcm[1600] = {0};
    CHECK(as_student_stream_push(st, buf, 1, &nf, pcm, 1600) == AS_ERR_RANGE);
    as_student_stream_destroy(st);
    as_student_destroy(m);
}

static void test_script(void)
{
    as_render_event ev[8];
    size_t n;
    CHECK(as_render_script_parse("[0s joy:80] [2.5s sadness:40]  [3s happy]", ev, 8, &n) == AS_OK);
    CHECK(n == 3 && ev[1].time_s == 2.5 && fabsf(ev[1].intensity - 0.4f) < 1e-6f && ev[2].intensity == 0.5f);
    CHECK(as_render_script_parse("[joy:80]", ev, 8, &n) == AS_ERR_PARSE);
    CHECK(as_render_script_parse("[1s glee]", ev, 8, &n) == AS_ERR_UNKNOWN);
    CHECK(as_render_script_parse("[1s joy:120]", ev, 8, &n) == AS_ERR_RANGE);
    CHECK(as_render_script_parse("[1s joy", ev, 8, &n) == AS_ERR_PARSE);
    CHECKF(strstr(as_last_error(), "character 1") != NULL, "message names the position: %s", as_last_error());
}

/* ---- allocation failures: every create path cleans up (ASan sees leaks) ---- */

static int alloc_countdown = -1, alloc_calls;
static void *fail_malloc(size_t n, void *u)
{
    (void)u;
    alloc_calls++;
    if (alloc_countdown == 0) return NULL;
    if (alloc_countdown > 0) alloc_countdown--;
    return malloc(n);
}
static void *fail_realloc(void *p, size_t n, void *u)
{
    (void)u;
    alloc_calls++;
    if (alloc_countdown == 0) return NULL;
    if (alloc_countdown > 0) alloc_countdown--;
    return realloc(p, n);
}
static void fail_free(void *p, void *u)
{
    (void)u;
    free(p);
}

static void test_alloc_failures(void)
{
    st_config c = tiny_config();
    const char *dir = test_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/alloc.asnn", dir);
    as_student *m = random_model(path, &c, 51, NULL, NULL);
    if (!m) return;
    size_t n;
    float *x = test_audio(16000, 0.5, &n);
    as_allocator al = {fail_malloc, fail_realloc, fail_free, NULL};
    as_set_allocator(&al);
    /* count the allocations of each path, then fail each in turn */
    alloc_countdown = -1, alloc_calls = 0;
    as_student_stream *st = as_student_stream_create(m, 22050, NULL);
    as_student_stream_destroy(st);
    int n_stream = alloc_calls;
    alloc_calls = 0;
    as_animation *a = NULL;
    CHECK(as_render(m, NULL, x, n, 16000, &a) == AS_OK);
    as_animation_destroy(a);
    int n_render = alloc_calls;
    alloc_calls = 0;
    as_student *l = as_student_load(path);
    as_student_destroy(l);
    int n_load = alloc_calls;
    int failed_ok = 0;
    for (int i = 0; i < n_stream; i++) {
        alloc_countdown = i;
        st = as_student_stream_create(m, 22050, NULL);
        failed_ok += st == NULL;
        as_student_stream_destroy(st);
    }
    for (int i = 0; i < n_render; i++) {
        alloc_countdown = i;
        a = NULL;
        as_result r = as_render(m, NULL, x, n, 16000, &a);
        failed_ok += r != AS_OK && a == NULL;
        as_animation_destroy(a);
    }
    for (int i = 0; i < n_load; i++) {
        alloc_countdown = i;
        l = as_student_load(path);
        failed_ok += l == NULL;
        as_student_destroy(l);
    }
    alloc_countdown = -1;
    as_set_allocator(NULL);
    printf("  allocation failures: %d of %d stream, %d render, %d load allocations failed cleanly\n", failed_ok,
           n_stream, n_render, n_load);
    CHECKF(failed_ok == n_stream + n_render + n_load, "every failed allocation is reported (%d of %d)", failed_ok,
           n_stream + n_render + n_load);
    free(x);
    as_student_destroy(m);
}

/* Phrase markers at pauses: the fifth quiet frame after speech, once per pause. */
static void test_pauses(void)
{
    /* 1 = loud, 0 = quiet */
    static const char seq[] = "0000000000" "11111" "0000" "1" "000000000" "11" "00000";
    static const char want[] = "0000000000" "00000" "0000" "0" "000010000" "00" "00001";
    st_pauses ps = {0, 0};
    int ok = 1, n = 0;
    for (size_t i = 0; seq[i]; i++) {
        int m = st_pause_step(&ps, seq[i] == '1' ? 0.9f : 0.1f);
        ok &= m == want[i] - '0';
        n += m;
    }
    CHECKF(ok && n == 2, "pause markers: %d markers (want 2, at the 5th quiet frame after speech)", n);
    /* the level read for a frame: feature frame k(t), clamped */
    float feat[3 * AS_FEAT_DIM] = {0};
    for (int k = 0; k < 3; k++) feat[k * AS_FEAT_DIM + AS_FEAT_ENERGY_REL] = (float)k;
    CHECK(st_frame_level(feat, 3, 0) == 0.0f);      /* k(0) = -2: clamped to 0 */
    CHECK(st_frame_level(feat, 3, 1) == 2.0f);      /* k(1) = 2 */
    CHECK(st_frame_level(feat, 3, 100) == 2.0f);    /* past the end: the last */
    /* the signal of the stream tests has pauses, so their stream = offline checks cover the markers */
    size_t nx, nf;
    float *x = test_audio(16000, 3.1, &nx), *f = NULL;
    CHECK(as_features_compute(&f, &nf, x, nx, 16000, NULL) == AS_OK);
    st_pauses p2 = {0, 0};
    int markers = 0;
    for (long t = 0; t < 93; t++) markers += st_pause_step(&p2, st_frame_level(f, nf, t));
    CHECKF(markers >= 2, "the stream tests' signal has %d pauses", markers);
    printf("  pauses: %d phrase markers in the 3.1 s test signal\n", markers);
    free(x), as_free(f);
}

/* st_pose_loss: the gradient against central differences (in double, over
 * every channel of every row, the jaw with its arousal scale), the ignored
 * rows, and two values that follow from the definition. */
static void test_pose_loss(void)
{
    enum { N = 5, V = ST_NUM_VISEMES };
    float poses[V * AS_NUM_CHANNELS], pred[N * AS_NUM_CHANNELS], cond[N * AS_COND_DIM], dpred[N * AS_NUM_CHANNELS];
    nn_rng rng;
    nn_rng_seed(&rng, 11);
    for (int i = 0; i < V * AS_NUM_CHANNELS; i++) poses[i] = 0.0f;
    int ch[] = {AS_JAW_OPEN, AS_MOUTH_FUNNEL, AS_MOUTH_PUCKER, AS_MOUTH_PRESS_LEFT, AS_MOUTH_STRETCH_LEFT};
    const int nch = (int)(sizeof ch / sizeof ch[0]);
    for (int k = 0; k < V; k++)
        for (int i = 0; i < nch; i++) poses[k * AS_NUM_CHANNELS + ch[i]] = 0.6f * nn_rng_uniform(&rng);
    for (int i = 0; i < N * AS_NUM_CHANNELS; i++) pred[i] = nn_rng_uniform(&rng);
    for (int i = 0; i < N * AS_COND_DIM; i++) cond[i] = nn_rng_uniform(&rng);
    int labels[N] = {3, -1, 0, 14, 7};
    float rw[N] = {1.0f, 1.0f, 0.5f, 2.0f, 0.0f};
    const float tau = 0.05f, scale = 1.7f;
    /* jaw_grad 1: every channel's true gradient; 0.5: the jaw's halved;
     * 0: the jaw moves the loss but gets no gradient (a stop-gradient) */
    const float jaw_grads[] = {1.0f, 0.5f, 0.0f};
    for (int jg = 0; jg < 3; jg++) {
        memset(dpred, 0, sizeof dpred);
        float loss = st_pose_loss(dpred, pred, cond, labels, rw, poses, ch, nch, N, tau, jaw_grads[jg], scale);
        CHECKF(loss > 0.0f && isfinite(loss), "pose loss %g", (double)loss);
        int bad = 0, jaw_moves = 0;
        for (int i = 0; i < N * AS_NUM_CHANNELS; i++) {
            float keep = pred[i];
            const double h = 1e-3;
            pred[i] = (float)(keep + h);
            double lp = st_pose_loss(NULL, pred, cond, labels, rw, poses, ch, nch, N, tau, 0.0f, scale);
            pred[i] = (float)(keep - h);
            double lm = st_pose_loss(NULL, pred, cond, labels, rw, poses, ch, nch, N, tau, 0.0f, scale);
            pred[i] = keep;
            double fd = scale * (lp - lm) / (2 * h), an = dpred[i];
            if (i % AS_NUM_CHANNELS == AS_JAW_OPEN) {
                jaw_moves += fabs(fd) > 1e-4;
                fd *= jaw_grads[jg];
            }
            if (fabs(fd - an) > 1e-2 * (fabs(fd) + 1e-2)) {
                if (bad++ < 5)
                    fprintf(stderr, "  pose loss (jaw_grad %g) d/dpred[%d]: analytic %g, finite difference %g\n",
                            (double)jaw_grads[jg], i, an, fd);
            }
        }
        CHECKF(bad == 0, "%d pose-loss gradients disagree with finite differences (jaw_grad %g)", bad,
               (double)jaw_grads[jg]);
        CHECKF(jaw_moves >= 2, "the jaw moved the loss in %d labelled rows", jaw_moves);
    }
    /* rows 1 (label -1) and 4 (weight 0) have no gradient */
    for (int i = 0; i < AS_NUM_CHANNELS; i++) {
        CHECK(dpred[1 * AS_NUM_CHANNELS + i] == 0.0f);
        CHECK(dpred[4 * AS_NUM_CHANNELS + i] == 0.0f);
    }
    /* two poses only (the others far away): at their midpoint the loss is
     * log 2, on the label's pose about 0 */
    for (int k = 2; k < V; k++)
        for (int i = 0; i < nch; i++) poses[k * AS_NUM_CHANNELS + ch[i]] = 50.0f;
    for (int i = 0; i < nch; i++) poses[ch[i]] = 0.1f, poses[AS_NUM_CHANNELS + ch[i]] = 0.3f;
    float one[AS_NUM_CHANNELS] = {0}, c1[AS_COND_DIM] = {0};
    c1[AS_NUM_EMOTIONS + 1] = 0.375f; /* jaw scale 0.7 + 0.8 x 0.375 = 1 */
    int lab = 0;
    for (int i = 0; i < nch; i++) one[ch[i]] = 0.2f;
    float mid = st_pose_loss(NULL, one, c1, &lab, NULL, poses, ch, nch, 1, 0.01f, 1.0f, 1.0f);
    CHECKF(fabs(mid - log(2.0)) < 1e-4, "pose loss at the midpoint %g, want log 2", (double)mid);
    for (int i = 0; i < nch; i++) one[ch[i]] = 0.1f;
    float on = st_pose_loss(NULL, one, c1, &lab, NULL, poses, ch, nch, 1, 0.01f, 1.0f, 1.0f);
    CHECKF(on < 1e-3, "pose loss on the label's pose %g", (double)on);
    printf("  pose loss: gradient of %d values, midpoint %.5f (log 2 = 0.69315), on the pose %.2g\n",
           N * AS_NUM_CHANNELS, (double)mid, (double)on);
}

int main(void)
{
    test_pose_loss();
    test_pauses();
    test_gradients(0);
    test_gradients(1);
    test_lookahead_bound();
    test_weight_files();
    test_streaming();
    test_script();
    test_alloc_failures();
    return test_finish("test_student_model");
}
