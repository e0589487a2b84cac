/* test_tts.c — speech synthesis with timing (espeak-ng and flite) and the
 * audio files: plausible durations for English and Korean, phoneme and word
 * events that are non-empty, in order and inside the audio, word offsets
 * that point at the words of the text, errors for unknown voices and empty
 * text, determinism, two threads at once, and a WAV round trip. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "animasync/tts.h"
#include "testutil.h"

static as_speech *say(as_tts_engine engine, const char *voice, const char *text)
{
    as_tts_params p = as_tts_default_params();
    p.engine = engine;
    p.voice = voice;
    as_speech *sp = NULL;
    as_result r = as_tts_synthesize(&p, text, &sp);
    CHECKF(r == AS_OK && sp, "%s/%s \"%s\": %s", as_tts_engine_name(engine), voice, text, as_last_error());
    return r == AS_OK ? sp : NULL;
}

/* Events of a speech are well formed: phonemes non-empty, in order, not
 * overlapping, inside the audio, each in its word's time span; words in
 * time and text order. */
static void check_events(const as_speech *sp, const char *text, const char *what)
{
    double dur = as_speech_duration(sp);
    CHECKF(sp->n_phonemes > 0, "%s: no phonemes", what);
    CHECKF(sp->n_words > 0, "%s: no words", what);
    int ok = 1;
    for (size_t i = 0; i < sp->n_phonemes; i++) {
        const as_phoneme_event *e = &sp->phonemes[i];
        if (!(e->start_s >= 0 && e->end_s > e->start_s && e->end_s <= dur + 1e-9)) ok = 0;
        if (i > 0 && e->start_s < sp->phonemes[i - 1].end_s - 1e-9) ok = 0;
        if (!e->ipa[0]) ok = 0;
        if (e->word < -1 || e->word >= (int)sp->n_words) ok = 0;
        if (e->word >= 0) {
            const as_word_event *w = &sp->words[e->word];
            if (e->start_s < w->start_s - 1e-9 || e->end_s > w->end_s + 1e-9) ok = 0;
        }
        if (!ok) {
            CHECKF(ok, "%s: phoneme %zu \"%s\" %.4f..%.4f word %d is malformed", what, i, e->ipa, e->start_s,
                   e->end_s, e->word);
            break;
        }
    }
    size_t text_len = strlen(text);
    for (size_t i = 0; i < sp->n_words; i++) {
        const as_word_event *w = &sp->words[i];
        int wok = w->start_s >= 0 && w->end_s >= w->start_s && w->end_s <= dur + 1e-9 &&
                  w->text_offset + w->text_len <= text_len;
        if (i > 0) wok = wok && w->start_s >= sp->words[i - 1].start_s && w->text_offset >= sp->words[i - 1].text_offset;
        CHECKF(wok, "%s: word %zu (%.3f..%.3f, offset %zu len %zu) is malformed", what, i, w->start_s, w->end_s,
               w->text_offset, w->text_len);
        if (!wok) break;
    }
}

/* The word events name exactly these words of the text, in order. */
static void check_words(const as_speech *sp, const char *text, const char *const *expect, size_t n, const char *what)
{
    CHECKF(sp->n_words == n, "%s: %zu words, expected %zu", what, sp->n_words, n);
    for (size_t i = 0; i < n && i < sp->n_words; i++) {
        const as_word_event *w = &sp->words[i];
        CHECKF(w->text_len == strlen(expect[i]) && memcmp(text + w->text_offset, expect[i], w->text_len) == 0,
               "%s: word %zu is \"%.*s\", expected \"%s\"", what, i, (int)w->text_len, text + w->text_offset, expect[i]);
    }
}

static void test_english(void)
{
    const char *text = "The quick brown fox jumps over the lazy dog.";
    static const char *const words[] = {"The", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog"};
    const struct {
        as_tts_engine engine;
        const char *voice;
    } voices[] = {{AS_TTS_ESPEAK, "en-us"}, {AS_TTS_ESPEAK, "en-gb"}, {AS_TTS_FLITE, "kal"}, {AS_TTS_FLITE, "slt"}};
    for (size_t v = 0; v < sizeof voices / sizeof voices[0]; v++) {
        char what[64];
        snprintf(what, sizeof what, "%s/%s", as_tts_engine_name(voices[v].engine), voices[v].voice);
        as_speech *sp = say(voices[v].engine, voices[v].voice, text);
        if (!sp) continue;
        /* Nine words at a normal rate (150-200 words per minute) take about
         * 2-4 s, plus 0.6 s of guaranteed silence. */
        double dur = as_speech_duration(sp);
        CHECKF(dur > 1.8 && dur < 6.0, "%s: duration %.2f s", what, dur);
        CHECKF(sp->rate_hz >= 8000 && sp->rate_hz <= 48000, "%s: rate %d", what, sp->rate_hz);
        /* The sentence has 30-ish phonemes in any English dictionary. */
        CHECKF(sp->n_phonemes >= 25 && sp->n_phonemes <= 45, "%s: %zu phonemes", what, sp->n_phonemes);
        check_events(sp, text, what);
        check_words(sp, text, words, 9, what);
        /* Audio is there: RMS over the speech well above silence, within -1..1. */
        double e = 0;
        int in_range = 1;
        for (size_t i = 0; i < sp->n_samples; i++) {
            e += (double)sp->samples[i] * sp->samples[i];
            if (!(sp->samples[i] >= -1.0f && sp->samples[i] <= 1.0f)) in_range = 0;
        }
        CHECKF(sqrt(e / sp->n_samples) > 0.01, "%s: RMS %.4f", what, sqrt(e / sp->n_samples));
        CHECK(in_range);
        /* Guaranteed silence at both ends (defaults 0.30 s), and the samples
         * there are zero or nearly. */
        as_tts_params d = as_tts_default_params();
        CHECKF(sp->phonemes[0].start_s >= d.lead_s - 1e-6, "%s: first phoneme at %.3f", what, sp->phonemes[0].start_s);
        CHECKF(dur - sp->phonemes[sp->n_phonemes - 1].end_s >= d.tail_s - 1e-6, "%s: last ends %.3f of %.3f", what,
               sp->phonemes[sp->n_phonemes - 1].end_s, dur);
        float lead_peak = 0;
        for (size_t i = 0; i < (size_t)(0.2 * sp->rate_hz); i++)
            if (fabsf(sp->samples[i]) > lead_peak) lead_peak = fabsf(sp->samples[i]);
        CHECKF(lead_peak < 0.01f, "%s: leading silence peak %.4f", what, lead_peak);
        /* A word's audio is where its event says: the RMS inside "quick"
         * is far above the RMS of the leading silence. */
        const as_word_event *q = &sp->words[1];
        double eq = 0;
        size_t a = (size_t)(q->start_s * sp->rate_hz), b = (size_t)(q->end_s * sp->rate_hz);
        for (size_t i = a; i < b; i++) eq += (double)sp->samples[i] * sp->samples[i];
        CHECKF(b > a && sqrt(eq / (double)(b - a)) > 0.02, "%s: \"quick\" is quiet where its event says", what);
        as_speech_destroy(sp);
    }
}

static void test_offsets_tricky(void)
{
    /* Numbers spoken as several words stay one word of the text; punctuation
     * and non-ASCII letters keep byte offsets right. */
    const char *text = "I have 123 cats, café bob.";
    static const char *const words[] = {"I", "have", "123", "cats", "café", "bob"};
    as_speech *sp = say(AS_TTS_ESPEAK, "en-us", text);
    if (sp) {
        check_events(sp, text, "espeak tricky");
        check_words(sp, text, words, 6, "espeak tricky");
        as_speech_destroy(sp);
    }
    static const char *const fwords[] = {"I", "have", "123", "cats", "café", "bob"};
    sp = say(AS_TTS_FLITE, "kal", text);
    if (sp) {
        check_events(sp, text, "flite tricky");
        check_words(sp, text, fwords, 6, "flite tricky");
        as_speech_destroy(sp);
    }
}

/* espeak-ng's word positions drift after punctuation and repeat inside
 * multi-word dictionary units ("for a"); the words still come out as the
 * words of the text, also over a long text. */
static void test_offsets_drift(void)
{
    const char *text = "It keeps going for a while, Bob's friend said (really) - 3.5 km!";
    static const char *const words[] = {"It", "keeps", "going", "for", "a", "while", "Bob's", "friend",
                                        "said", "really", "3.5", "km"};
    for (int e = 0; e < 2; e++) {
        as_speech *sp = say(e ? AS_TTS_FLITE : AS_TTS_ESPEAK, e ? "kal" : "en-us", text);
        if (!sp) continue;
        check_events(sp, text, e ? "flite drift" : "espeak drift");
        check_words(sp, text, words, 12, e ? "flite drift" : "espeak drift");
        /* "while" is spoken after "for" (its own phonemes, its own time). */
        if (sp->n_words == 12) CHECK(sp->words[5].end_s > sp->words[5].start_s + 0.1);
        as_speech_destroy(sp);
    }
    char long_text[4096] = "";
    size_t n_expect = 0;
    for (int i = 0; i < 30; i++) {
        char sentence[96];
        snprintf(sentence, sizeof sentence, "%sSentence %d keeps going for a while.", i ? " " : "", i + 7);
        strcat(long_text, sentence);
        n_expect += 7;
    }
    for (int e = 0; e < 2; e++) {
        as_speech *sp = say(e ? AS_TTS_FLITE : AS_TTS_ESPEAK, e ? "kal" : "en-us", long_text);
        if (!sp) continue;
        check_events(sp, long_text, e ? "flite long" : "espeak long");
        CHECKF(sp->n_words == n_expect, "%s: %zu words, expected %zu", e ? "flite" : "espeak", sp->n_words, n_expect);
        /* The last word is "while" and ends near the end of the speech. */
        const as_word_event *w = &sp->words[sp->n_words - 1];
        CHECK(w->text_len == 5 && memcmp(long_text + w->text_offset, "while", 5) == 0);
        CHECK(as_speech_duration(sp) - w->end_s < 0.6);
        as_speech_destroy(sp);
    }
    /* Text without spaces keeps espeak-ng's own words (one per character
     * in Mandarin). */
    const char *zh = "你好世界。";
    as_speech *sp = say(AS_TTS_ESPEAK, "cmn", zh);
    if (sp) {
        static const char *const zw[] = {"你", "好", "世", "界"};
        check_events(sp, zh, "cmn");
        check_words(sp, zh, zw, 4, "cmn");
        as_speech_destroy(sp);
    }
}

static void test_korean(void)
{
    const char *text = "안녕하세요. 반갑습니다, 감사합니다!";
    static const char *const words[] = {"안녕하세요", "반갑습니다", "감사합니다"};
    as_speech *sp = say(AS_TTS_ESPEAK, "ko", text);
    if (!sp) return;
    double dur = as_speech_duration(sp);
    /* 15 syllables at 4-7 syllables per second, plus pauses and 0.6 s. */
    CHECKF(dur > 2.0 && dur < 7.0, "ko: duration %.2f s", dur);
    CHECKF(sp->n_phonemes >= 30, "ko: %zu phonemes", sp->n_phonemes);
    check_events(sp, text, "ko");
    check_words(sp, text, words, 3, "ko");
    /* The first word starts with a vowel /ɐ/ (안): the first phoneme is not
     * a consonant mnemonic left untranslated. */
    CHECKF(strcmp(sp->phonemes[0].ipa, "ɐ") == 0 || strcmp(sp->phonemes[0].ipa, "a") == 0, "ko: first phoneme %s",
           sp->phonemes[0].ipa);
    as_speech_destroy(sp);
}

static void test_errors(void)
{
    as_tts_params p = as_tts_default_params();
    as_speech *sp = (as_speech *)1;
    p.voice = "xx-nonexistent";
    CHECK(as_tts_synthesize(&p, "hello", &sp) == AS_ERR_UNKNOWN);
    CHECK(sp == NULL);
    CHECKF(strstr(as_last_error(), "xx-nonexistent") != NULL, "message: %s", as_last_error());
    p.voice = "en-us+nosuchvariant";
    CHECK(as_tts_synthesize(&p, "hello", &sp) == AS_ERR_UNKNOWN);
    CHECK(strstr(as_last_error(), "nosuchvariant") != NULL);
    p.engine = AS_TTS_FLITE;
    p.voice = "nobody";
    CHECK(as_tts_synthesize(&p, "hello", &sp) == AS_ERR_UNKNOWN);
    CHECK(strstr(as_last_error(), "nobody") != NULL);
    p.voice = "en-us"; /* an espeak voice is unknown to flite */
    CHECK(as_tts_synthesize(&p, "hello", &sp) == AS_ERR_UNKNOWN);

    for (int e = 0; e < 2; e++) {
        p = as_tts_default_params();
        p.engine = e ? AS_TTS_FLITE : AS_TTS_ESPEAK;
        CHECK(as_tts_synthesize(&p, "", &sp) == AS_ERR_INVALID_ARG);
        CHECK(as_tts_synthesize(&p, "  \n\t ", &sp) == AS_ERR_INVALID_ARG);
        CHECK(strstr(as_last_error(), "empty") != NULL);
        CHECK(as_tts_synthesize(&p, NULL, &sp) == AS_ERR_INVALID_ARG);
        CHECK(as_tts_synthesize(&p, "hi", NULL) == AS_ERR_INVALID_ARG);
        p.rate = 3.0f;
        CHECK(as_tts_synthesize(&p, "hi", &sp) == AS_ERR_INVALID_ARG);
        p.rate = 1.0f;
        p.volume = -1.0f;
        CHECK(as_tts_synthesize(&p, "hi", &sp) == AS_ERR_INVALID_ARG);
    }
    /* Nothing speakable: punctuation or an emoji alone. */
    for (int e = 0; e < 2; e++) {
        p = as_tts_default_params();
        p.engine = e ? AS_TTS_FLITE : AS_TTS_ESPEAK;
        CHECK(as_tts_synthesize(&p, "...", &sp) == AS_ERR_INVALID_ARG);
        CHECK(strstr(as_last_error(), "nothing speakable") != NULL);
        /* (espeak-ng en-us reads an emoji's name: "grinning face") */
        if (e) CHECK(as_tts_synthesize(&p, "\xF0\x9F\x98\x80", &sp) == AS_ERR_INVALID_ARG);
    }
    p = as_tts_default_params();
    p.engine = (as_tts_engine)7;
    CHECK(as_tts_synthesize(&p, "hi", &sp) == AS_ERR_INVALID_ARG);
    CHECK(as_tts_synthesize(NULL, "hi", &sp) == AS_ERR_INVALID_ARG);
}

static void test_params(void)
{
    /* Rate 2 speaks faster than rate 1, and the defaults are what
     * tts.h documents. */
    as_tts_params p = as_tts_default_params();
    CHECK(p.engine == AS_TTS_ESPEAK && p.rate == 1.0f && p.pitch == 1.0f && p.volume == 1.0f);
    const char *text = "Speaking quickly saves a little time.";
    for (int e = 0; e < 2; e++) {
        p = as_tts_default_params();
        p.engine = e ? AS_TTS_FLITE : AS_TTS_ESPEAK;
        p.lead_s = p.tail_s = 0.0f;
        as_speech *slow = NULL, *fast = NULL;
        CHECK(as_tts_synthesize(&p, text, &slow) == AS_OK);
        p.rate = 2.0f;
        CHECK(as_tts_synthesize(&p, text, &fast) == AS_OK);
        if (slow && fast) {
            double ds = slow->phonemes[slow->n_phonemes - 1].end_s - slow->phonemes[0].start_s;
            double df = fast->phonemes[fast->n_phonemes - 1].end_s - fast->phonemes[0].start_s;
            CHECKF(df < 0.75 * ds, "%s: rate 2 speaks %.2f s vs %.2f s", e ? "flite" : "espeak", df, ds);
        }
        as_speech_destroy(slow);
        as_speech_destroy(fast);
        /* Volume 0.5 halves the samples (before clipping). */
        p.rate = 1.0f;
        as_speech *a = NULL, *b = NULL;
        CHECK(as_tts_synthesize(&p, "Hello.", &a) == AS_OK);
        p.volume = 0.5f;
        CHECK(as_tts_synthesize(&p, "Hello.", &b) == AS_OK);
        if (a && b) {
            CHECK(a->n_samples == b->n_samples);
            float worst = 0;
            for (size_t i = 0; i < a->n_samples && i < b->n_samples; i++)
                if (fabsf(a->samples[i] * 0.5f - b->samples[i]) > worst) worst = fabsf(a->samples[i] * 0.5f - b->samples[i]);
            CHECKF(worst < 1e-6f, "volume: worst %g", (double)worst);
        }
        as_speech_destroy(a);
        as_speech_destroy(b);
    }
    /* Longer lead and tail are honoured exactly as documented. */
    p = as_tts_default_params();
    p.lead_s = 1.0f;
    p.tail_s = 0.7f;
    as_speech *sp = NULL;
    CHECK(as_tts_synthesize(&p, "Hi.", &sp) == AS_OK);
    if (sp) {
        CHECK(sp->phonemes[0].start_s >= 1.0 - 1e-6 && sp->phonemes[0].start_s < 1.05);
        double tail = as_speech_duration(sp) - sp->phonemes[sp->n_phonemes - 1].end_s;
        CHECKF(tail >= 0.7 - 1e-6 && tail < 1.0, "tail %.3f", tail);
        as_speech_destroy(sp);
    }
}

static void test_determinism(void)
{
    for (int e = 0; e < 2; e++) {
        as_tts_engine engine = e ? AS_TTS_FLITE : AS_TTS_ESPEAK;
        as_speech *a = say(engine, e ? "kal" : "en-us", "Same input, same speech.");
        as_speech *b = say(engine, e ? "kal" : "en-us", "Same input, same speech.");
        if (a && b) {
            CHECK(a->n_samples == b->n_samples && a->n_phonemes == b->n_phonemes && a->n_words == b->n_words);
            CHECK(a->n_samples == b->n_samples && memcmp(a->samples, b->samples, a->n_samples * sizeof(float)) == 0);
            CHECK(a->n_phonemes == b->n_phonemes &&
                  memcmp(a->phonemes, b->phonemes, a->n_phonemes * sizeof(as_phoneme_event)) == 0);
        }
        as_speech_destroy(a);
        as_speech_destroy(b);
    }
}

/* Both engines from several threads at once: results equal the
 * single-threaded ones (the engine locks serialize the shared state). */
typedef struct {
    as_tts_engine engine;
    const char *voice, *text;
    as_speech *sp;
    as_result r;
} job;

static void *run_job(void *arg)
{
    job *j = arg;
    as_tts_params p = as_tts_default_params();
    p.engine = j->engine;
    p.voice = j->voice;
    j->r = as_tts_synthesize(&p, j->text, &j->sp);
    return NULL;
}

static void test_threads(void)
{
    job jobs[4] = {
        {AS_TTS_ESPEAK, "en-us", "Thread one speaks English.", NULL, AS_OK},
        {AS_TTS_ESPEAK, "ko", "스레드 둘입니다.", NULL, AS_OK},
        {AS_TTS_FLITE, "kal", "Thread three is flite.", NULL, AS_OK},
        {AS_TTS_FLITE, "slt", "Thread four is flite too.", NULL, AS_OK},
    };
    pthread_t th[4];
    for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, run_job, &jobs[i]);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) {
        CHECKF(jobs[i].r == AS_OK, "thread %d: %d", i, jobs[i].r);
        as_speech *ref = say(jobs[i].engine, jobs[i].voice, jobs[i].text);
        if (jobs[i].sp && ref)
            CHECKF(ref->n_samples == jobs[i].sp->n_samples &&
                       memcmp(ref->samples, jobs[i].sp->samples, ref->n_samples * sizeof(float)) == 0,
                   "thread %d differs from the sequential result", i);
        as_speech_destroy(ref);
        as_speech_destroy(jobs[i].sp);
    }
}

static int n_warnings = 0;
static char last_warning[512];
static void count_log(as_log_level level, const char *msg, void *user)
{
    (void)user;
    if (level != AS_LOG_WARN) return;
    n_warnings++;
    snprintf(last_warning, sizeof last_warning, "%s", msg);
}

static void test_voices(void)
{
    as_tts_voice_info *v = NULL;
    size_t n = 0;
    CHECK(as_tts_list_voices(&v, &n) == AS_OK);
    int en_us = 0, ko = 0, kal = 0, slt = 0, n_espeak = 0, n_flite = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i].engine == AS_TTS_ESPEAK) n_espeak++;
        if (v[i].engine == AS_TTS_FLITE) n_flite++;
        if (v[i].engine == AS_TTS_ESPEAK && strcmp(v[i].name, "en-us") == 0) en_us = 1;
        if (v[i].engine == AS_TTS_ESPEAK && strcmp(v[i].name, "ko") == 0) ko = 1;
        if (v[i].engine == AS_TTS_FLITE && strcmp(v[i].name, "kal") == 0) kal = 1;
        if (v[i].engine == AS_TTS_FLITE && strcmp(v[i].name, "slt") == 0) slt = 1;
        CHECK(v[i].name && v[i].name[0] && v[i].language && v[i].description);
    }
    CHECK(en_us && ko && kal && slt);
    CHECKF(n_espeak >= 50 && n_flite == 5, "%d espeak, %d flite voices", n_espeak, n_flite);
    /* Every listed name is accepted back (synthesis of one word each), and
     * the engines' own chatter ("Full dictionary is not installed for 'be'")
     * reaches the log callback, never stderr. */
    fflush(stderr);
    int saved_stderr = dup(2);
    FILE *cap = tmpfile();
    if (cap) dup2(fileno(cap), 2);
    as_log_set(count_log, NULL);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        as_tts_params p = as_tts_default_params();
        p.engine = v[i].engine;
        p.voice = v[i].name;
        as_speech *sp = NULL;
        if (as_tts_synthesize(&p, "a", &sp) != AS_OK) {
            if (bad++ < 3) printf("voice %s: %s\n", v[i].name, as_last_error());
        }
        as_speech_destroy(sp);
    }
    as_log_set(NULL, NULL);
    fflush(stderr);
    long printed = cap ? ftell(cap) : -1;
    if (saved_stderr >= 0) {
        dup2(saved_stderr, 2);
        close(saved_stderr);
    }
    if (cap) fclose(cap);
    CHECKF(bad == 0, "%d listed voices cannot be used", bad);
    CHECKF(printed == 0, "%ld bytes printed to stderr", printed);
    CHECKF(n_warnings > 0 && strstr(last_warning, "espeak") != NULL, "log: %d warnings, last \"%s\"", n_warnings,
           last_warning);
    as_free(v);
    CHECK(as_tts_list_voices(NULL, &n) == AS_ERR_INVALID_ARG);
    CHECK(strcmp(as_tts_engine_name(AS_TTS_FLITE), "flite") == 0);
    CHECK(as_tts_engine_find("espeak") == AS_TTS_ESPEAK && as_tts_engine_find("flite") == AS_TTS_FLITE);
    CHECK(as_tts_engine_find("festival") == -1);
}

static void test_wav(void)
{
    const char *dir = test_tmpdir();
    CHECK(dir != NULL);
    if (!dir) return;
    char path[256];
    snprintf(path, sizeof path, "%s/speech.wav", dir);
    as_speech *sp = say(AS_TTS_ESPEAK, "en-us", "Round trip.");
    if (!sp) return;
    CHECK(as_wav_write(path, sp->samples, sp->n_samples, sp->rate_hz) == AS_OK);
    float *x = NULL;
    size_t n = 0;
    int rate = 0;
    CHECK(as_audio_read(path, &x, &n, &rate) == AS_OK);
    CHECK(n == sp->n_samples && rate == sp->rate_hz);
    /* 16-bit PCM: every sample back within one quantization step (2^-15). */
    float worst = 0;
    for (size_t i = 0; x && i < n && i < sp->n_samples; i++)
        if (fabsf(x[i] - sp->samples[i]) > worst) worst = fabsf(x[i] - sp->samples[i]);
    CHECKF(worst <= 1.0f / 32768.0f + 1e-7f, "round trip error %g", (double)worst);
    as_free(x);
    as_speech_destroy(sp);

    /* No temporary file is left next to it. */
    char cmd[512], out[512];
    snprintf(cmd, sizeof cmd, "ls -A %s", dir);
    CHECK(test_run(cmd, out, sizeof out) == 0 && strcmp(out, "speech.wav\n") == 0);

    /* Clipping, not wrap-around, for samples beyond -1..1. */
    float loud[4] = {1.5f, -1.5f, 0.25f, -0.25f};
    snprintf(path, sizeof path, "%s/clip.wav", dir);
    CHECK(as_wav_write(path, loud, 4, 16000) == AS_OK);
    CHECK(as_audio_read(path, &x, &n, &rate) == AS_OK && n == 4 && rate == 16000);
    if (x && n == 4) CHECK(x[0] > 0.99f && x[1] < -0.99f && fabsf(x[2] - 0.25f) < 1e-4f && fabsf(x[3] + 0.25f) < 1e-4f);
    as_free(x);

    /* A stereo file mixes to mono (the mean of the channels). */
    snprintf(path, sizeof path, "%s/stereo.flac", dir);
    SF_INFO info = {0};
    info.samplerate = 44100;
    info.channels = 2;
    info.format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    CHECK(sf != NULL);
    if (sf) {
        float st[200];
        for (int i = 0; i < 100; i++) {
            st[2 * i] = 0.5f;
            st[2 * i + 1] = -0.1f;
        }
        sf_writef_float(sf, st, 100);
        sf_close(sf);
        CHECK(as_audio_read(path, &x, &n, &rate) == AS_OK && n == 100 && rate == 44100);
        if (x && n == 100) CHECKF(fabsf(x[50] - 0.2f) < 1e-3f, "mono mix %g", (double)x[50]);
        as_free(x);
    }

    /* Errors: a missing file is I/O, a file that is not audio is a parse
     * error, an unwritable path leaves nothing behind. */
    CHECK(as_audio_read("/nonexistent/dir/x.wav", &x, &n, &rate) == AS_ERR_IO && x == NULL);
    snprintf(path, sizeof path, "%s/not_audio.wav", dir);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs("this is not a RIFF file at all, just text\n", f);
        fclose(f);
    }
    CHECK(as_audio_read(path, &x, &n, &rate) == AS_ERR_PARSE);
    CHECK(strstr(as_last_error(), "not_audio.wav") != NULL);
    CHECK(as_wav_write("/nonexistent/dir/x.wav", loud, 4, 16000) == AS_ERR_IO);
    CHECK(as_wav_write(path, loud, 4, 0) == AS_ERR_INVALID_ARG);
    CHECK(as_wav_write(NULL, loud, 4, 16000) == AS_ERR_INVALID_ARG);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(test_run(cmd, NULL, 0) == 0);
}

/* Fault injection: fail the n-th allocation (malloc or realloc) of a call;
 * every such failure must return AS_ERR_NOMEM and leak nothing (the
 * sanitizer build checks the leaks). */
static int alloc_count = 0, alloc_fail_at = -1;
static void *f_malloc(size_t n, void *u)
{
    (void)u;
    return ++alloc_count == alloc_fail_at ? NULL : malloc(n);
}
static void *f_realloc(void *p, size_t n, void *u)
{
    (void)u;
    return ++alloc_count == alloc_fail_at ? NULL : realloc(p, n);
}
static void f_free(void *p, void *u)
{
    (void)u;
    free(p);
}

static void test_fault_injection(void)
{
    as_allocator a = {f_malloc, f_realloc, f_free, NULL};
    as_set_allocator(&a);
    int n_ok = 0, n_nomem = 0, other = 0;
    for (int engine = 0; engine < 2; engine++)
        for (int k = 1; k < 40; k++) {
            alloc_count = 0;
            alloc_fail_at = k;
            as_tts_params p = as_tts_default_params();
            p.engine = engine ? AS_TTS_FLITE : AS_TTS_ESPEAK;
            p.voice = engine ? "kal" : "en-us";
            as_speech *sp = NULL;
            as_result r = as_tts_synthesize(&p, "Fail gracefully.", &sp);
            if (r == AS_OK) n_ok++;
            else if (r == AS_ERR_NOMEM && sp == NULL) n_nomem++;
            else other++;
            as_speech_destroy(sp);
            as_tts_voice_info *v = NULL;
            size_t nv = 0;
            alloc_count = 0;
            r = as_tts_list_voices(&v, &nv);
            if (r != AS_OK && !(r == AS_ERR_NOMEM && v == NULL)) other++;
            as_free(v);
        }
    alloc_fail_at = -1;
    as_set_allocator(NULL);
    CHECKF(other == 0, "%d failures were not AS_ERR_NOMEM", other);
    CHECKF(n_nomem >= 4 && n_ok >= 4, "%d NOMEM, %d OK", n_nomem, n_ok);
}

int main(void)
{
    test_english();
    test_offsets_tricky();
    test_offsets_drift();
    test_korean();
    test_errors();
    test_params();
    test_determinism();
    test_threads();
    test_voices();
    test_wav();
    test_fault_injection();
    return test_finish("test_tts");
}
