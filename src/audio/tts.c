/* audio/tts.c — the front of speech synthesis: default parameters, argument
 * checks, dispatch to an engine (tts_espeak.c, tts_flite.c) in a child
 * process, then one shared clean-up of what the engine returned: times
 * clamped to the audio and made monotonic, volume applied, leading and
 * trailing silence guaranteed (so the face starts and ends at rest), packed
 * into an as_speech. Also the voice list of both engines.
 *
 * Why a child process: neither engine gives the same samples for the same
 * text twice in one process (espeak-ng's wave generator keeps
 * function-static state between utterances; flite's clustergen voices use
 * rand()), and neither is thread-safe. A child forked from a process in
 * which the engines were only initialized always starts from the same state,
 * so synthesis is deterministic, safe from any thread (one at a time), and a crash
 * or exit() inside an engine becomes an error instead of taking the
 * application down. The child streams its result back through a pipe. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "animasync/tts.h"
#include "audio/tts_internal.h"
#include "core/internal.h"

as_tts_params as_tts_default_params(void)
{
    as_tts_params p;
    memset(&p, 0, sizeof p);
    p.engine = AS_TTS_ESPEAK;
    p.voice = NULL; /* engine default */
    p.rate = 1.0f;
    p.pitch = 1.0f;
    p.volume = 1.0f;
    /* 0.30 s of guaranteed silence at each end: longer than the widest
     * coarticulation window of the lip-sync teacher (0.25 s of anticipatory
     * rounding, lipsync.h), so the first and last frames are at rest. */
    p.lead_s = 0.30f;
    p.tail_s = 0.30f;
    return p;
}

const char *as_tts_engine_name(as_tts_engine e)
{
    switch (e) {
    case AS_TTS_ESPEAK: return "espeak";
    case AS_TTS_FLITE: return "flite";
    }
    return NULL;
}

int as_tts_engine_find(const char *name)
{
    if (!name) return -1;
    if (strcmp(name, "espeak") == 0 || strcmp(name, "espeak-ng") == 0) return AS_TTS_ESPEAK;
    if (strcmp(name, "flite") == 0) return AS_TTS_FLITE;
    return -1;
}

/* ---- the builder engines fill ------------------------------------------ */

/* Grows *buf (elements of size elt) to hold at least need elements. */
static int grow(void **buf, size_t *cap, size_t need, size_t elt)
{
    if (need <= *cap) return 1;
    size_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *nb = as_realloc(*buf, c * elt);
    if (!nb) return 0;
    *buf = nb;
    *cap = c;
    return 1;
}

as_result as_tts_build_samples_i16(as_tts_build *b, const short *pcm, size_t n)
{
    if (!grow((void **)&b->samples, &b->cap_samples, b->n_samples + n, sizeof(float)))
        return as_fail(AS_ERR_NOMEM, "tts: out of memory for %zu samples", b->n_samples + n);
    /* 16-bit PCM to -1..1: divide by 32768 (full scale of a signed 16-bit sample). */
    for (size_t i = 0; i < n; i++) b->samples[b->n_samples + i] = (float)pcm[i] / 32768.0f;
    b->n_samples += n;
    return AS_OK;
}

as_result as_tts_build_phoneme(as_tts_build *b, double start_s, double end_s, const char *ipa,
                               size_t ipa_len, int word)
{
    if (!grow((void **)&b->phonemes, &b->cap_phonemes, b->n_phonemes + 1, sizeof(as_phoneme_event)))
        return as_fail(AS_ERR_NOMEM, "tts: out of memory for phoneme events");
    as_phoneme_event *e = &b->phonemes[b->n_phonemes++];
    memset(e, 0, sizeof *e);
    e->start_s = start_s;
    e->end_s = end_s;
    if (ipa_len >= sizeof e->ipa) ipa_len = sizeof e->ipa - 1;
    memcpy(e->ipa, ipa, ipa_len);
    e->ipa[ipa_len] = 0;
    e->word = word;
    return AS_OK;
}

as_result as_tts_build_word(as_tts_build *b, double start_s, double end_s, size_t offset, size_t len)
{
    if (!grow((void **)&b->words, &b->cap_words, b->n_words + 1, sizeof(as_word_event)))
        return as_fail(AS_ERR_NOMEM, "tts: out of memory for word events");
    as_word_event *w = &b->words[b->n_words++];
    w->start_s = start_s;
    w->end_s = end_s;
    w->text_offset = offset;
    w->text_len = len;
    return AS_OK;
}

void as_tts_build_free(as_tts_build *b)
{
    as_free(b->samples);
    as_free(b->phonemes);
    as_free(b->words);
    memset(b, 0, sizeof *b);
}

/* ---- the words of the text ------------------------------------------- */

static int is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static int is_ascii_punct(unsigned char c) { return c < 0x80 && c > ' ' && !((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')); }

as_result as_tts_tokenize(const char *text, as_tts_token **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t len = strlen(text), count = 0, cap = 16;
    as_tts_token *t = as_malloc(cap * sizeof *t);
    if (!t) return as_fail(AS_ERR_NOMEM, "tts: out of memory");
    for (size_t i = 0; i < len;) {
        while (i < len && is_space((unsigned char)text[i])) i++;
        size_t a = i;
        while (i < len && !is_space((unsigned char)text[i])) i++;
        size_t e = i;
        while (a < e && is_ascii_punct((unsigned char)text[a])) a++;
        while (e > a && is_ascii_punct((unsigned char)text[e - 1])) e--;
        if (e <= a) continue;
        if (count == cap) {
            as_tts_token *nt = as_realloc(t, 2 * cap * sizeof *t);
            if (!nt) {
                as_free(t);
                return as_fail(AS_ERR_NOMEM, "tts: out of memory");
            }
            t = nt;
            cap *= 2;
        }
        t[count].start = a;
        t[count].end = e;
        count++;
    }
    *out = t;
    *n = count;
    return AS_OK;
}

as_result as_tts_complete_words(as_tts_build *b, const char *text)
{
    as_tts_token *tok = NULL;
    size_t n_tok = 0;
    as_result r = as_tts_tokenize(text, &tok, &n_tok);
    if (r != AS_OK) return r;
    size_t nw = b->n_words, cap = nw + n_tok + 1;
    int *has_ph = as_calloc(nw + 1, sizeof *has_ph);
    int *new_index = as_malloc((nw + 1) * sizeof *new_index);
    unsigned char *covered = as_calloc(n_tok + 1, 1);
    as_word_event *words = as_malloc(cap * sizeof *words);
    if (!has_ph || !new_index || !covered || !words) {
        r = as_fail(AS_ERR_NOMEM, "tts: out of memory");
        goto done;
    }
    for (size_t i = 0; i < b->n_phonemes; i++)
        if (b->phonemes[i].word >= 0 && (size_t)b->phonemes[i].word < nw) has_ph[b->phonemes[i].word] = 1;
    /* Which engine words stay, and which text words they cover. */
    for (size_t w = 0; w < nw; w++) {
        size_t a = b->words[w].text_offset, e = a + b->words[w].text_len;
        int overlaps = 0;
        for (size_t t = 0; t < n_tok; t++)
            if (tok[t].start < e && tok[t].end > a) overlaps = 1;
        new_index[w] = overlaps || has_ph[w] ? 0 : -1;
        if (new_index[w] == 0)
            for (size_t t = 0; t < n_tok; t++)
                if (tok[t].start < e && tok[t].end > a) covered[t] = 1;
    }
    /* Merge the kept engine words and the uncovered text words by offset. */
    size_t k = 0, w = 0, t = 0;
    while (w < nw || t < n_tok) {
        while (w < nw && new_index[w] < 0) w++;
        while (t < n_tok && covered[t]) t++;
        if (w >= nw && t >= n_tok) break;
        if (t < n_tok && (w >= nw || tok[t].start < b->words[w].text_offset)) {
            /* A text word the engine did not name: it is spoken where the
             * word before it ends (or where speech starts). */
            double at = k > 0 ? words[k - 1].end_s
                              : (w < nw ? b->words[w].start_s : (b->n_phonemes ? b->phonemes[0].start_s : 0.0));
            words[k].start_s = words[k].end_s = at;
            words[k].text_offset = tok[t].start;
            words[k].text_len = tok[t].end - tok[t].start;
            k++;
            t++;
        } else {
            words[k] = b->words[w];
            new_index[w] = (int)k;
            k++;
            w++;
        }
    }
    for (size_t i = 0; i < b->n_phonemes; i++) {
        int old = b->phonemes[i].word;
        b->phonemes[i].word = old >= 0 && (size_t)old < nw ? new_index[old] : -1;
    }
    as_free(b->words);
    b->words = words;
    b->n_words = k;
    b->cap_words = cap;
    words = NULL;
done:
    as_free(tok);
    as_free(has_ph);
    as_free(new_index);
    as_free(covered);
    as_free(words);
    return r;
}

/* ---- speech ---------------------------------------------------------- */

double as_speech_duration(const as_speech *sp)
{
    if (!sp || sp->rate_hz <= 0) return 0.0;
    return (double)sp->n_samples / (double)sp->rate_hz;
}

void as_speech_destroy(as_speech *sp)
{
    if (!sp) return;
    as_free(sp->samples);
    as_free(sp->phonemes);
    as_free(sp->words);
    as_free(sp);
}

static int is_blank(const char *s)
{
    for (; *s; s++)
        if (!(*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f' || *s == '\v')) return 0;
    return 1;
}

/* Makes the engine's raw events tidy: times within the audio, phonemes
 * non-overlapping and in order (zero-length ones dropped), words monotonic
 * with start <= end. */
static void tidy_events(as_tts_build *b)
{
    double dur = b->rate_hz > 0 ? (double)b->n_samples / b->rate_hz : 0.0;
    size_t k = 0;
    double prev_end = 0.0;
    for (size_t i = 0; i < b->n_phonemes; i++) {
        as_phoneme_event e = b->phonemes[i];
        if (!(e.start_s >= prev_end)) e.start_s = prev_end; /* also catches NaN */
        if (e.end_s > dur) e.end_s = dur;
        if (!(e.end_s > e.start_s)) continue;
        b->phonemes[k++] = e;
        prev_end = e.end_s;
    }
    b->n_phonemes = k;
    double prev_start = 0.0;
    for (size_t i = 0; i < b->n_words; i++) {
        as_word_event *w = &b->words[i];
        if (!(w->start_s >= prev_start)) w->start_s = prev_start;
        if (w->start_s > dur) w->start_s = dur;
        if (!(w->end_s >= w->start_s)) w->end_s = w->start_s;
        if (w->end_s > dur) w->end_s = dur;
        prev_start = w->start_s;
    }
}

/* ---- the synthesis child process --------------------------------------- */

pthread_mutex_t as_tts_lock = PTHREAD_MUTEX_INITIALIZER;

/* What the child sends first; the arrays follow (samples, phonemes, words),
 * in this process's own memory layout (the child is a fork of it). */
typedef struct {
    int32_t result;
    int32_t rate_hz;
    uint64_t n_samples, n_phonemes, n_words;
    char message[512];
} child_header;

static int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return 0;
        p += k;
        n -= (size_t)k;
    }
    return 1;
}

static int read_all(int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n > 0) {
        ssize_t k = read(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return 0;
        p += k;
        n -= (size_t)k;
    }
    return 1;
}

/* Runs in the child: synthesize, send, exit without running atexit
 * handlers or flushing the parent's stdio buffers (_exit). */
static void child_main(int fd, int capture_fd, const as_tts_params *p, const char *voice, const char *text)
{
    /* The library never prints: what the engines write to stdout or stderr
     * ("Full dictionary is not installed for 'be'", flite's warnings) goes
     * to the capture file the parent logs from. */
    int sink = capture_fd >= 0 ? capture_fd : open("/dev/null", O_WRONLY);
    if (sink >= 0) {
        dup2(sink, STDOUT_FILENO);
        dup2(sink, STDERR_FILENO);
    }
    /* The application's allocator and log callback belong to the parent. */
    as_set_allocator(NULL);
    as_log_set(NULL, NULL);
    /* flite's clustergen excitation noise comes from rand(): seed it, so
     * the same text gives the same samples whatever the parent did. */
    srand(1);
    as_tts_build b;
    memset(&b, 0, sizeof b);
    as_result r = p->engine == AS_TTS_FLITE ? as_tts_flite_synthesize(p, voice, text, &b)
                                            : as_tts_espeak_synthesize(p, voice, text, &b);
    child_header h;
    memset(&h, 0, sizeof h);
    h.result = (int32_t)r;
    if (r == AS_OK) {
        h.rate_hz = b.rate_hz;
        h.n_samples = b.n_samples;
        h.n_phonemes = b.n_phonemes;
        h.n_words = b.n_words;
    } else {
        snprintf(h.message, sizeof h.message, "%s", as_last_error());
    }
    int ok = write_all(fd, &h, sizeof h);
    if (ok && r == AS_OK)
        ok = write_all(fd, b.samples, b.n_samples * sizeof(float)) &&
             write_all(fd, b.phonemes, b.n_phonemes * sizeof(as_phoneme_event)) &&
             write_all(fd, b.words, b.n_words * sizeof(as_word_event));
    close(fd);
    _exit(ok ? 0 : 3);
}

/* Reads the child's result into b. */
static as_result read_child(int fd, as_tts_build *b)
{
    child_header h;
    if (!read_all(fd, &h, sizeof h)) return as_fail(AS_ERR_BACKEND, "tts: the synthesis process sent nothing");
    h.message[sizeof h.message - 1] = 0;
    if (h.result != AS_OK) return as_fail((as_result)h.result, "%s", h.message);
    /* A sample count no speech reaches (2^32 samples: 27 hours at 44.1
     * kHz) means a broken stream. */
    if (h.n_samples > UINT32_MAX || h.n_phonemes > UINT32_MAX || h.n_words > UINT32_MAX || h.rate_hz <= 0)
        return as_fail(AS_ERR_BACKEND, "tts: malformed result from the synthesis process");
    b->rate_hz = h.rate_hz;
    b->samples = as_malloc((size_t)h.n_samples * sizeof(float) + 1);
    b->phonemes = as_malloc((size_t)h.n_phonemes * sizeof(as_phoneme_event) + 1);
    b->words = as_malloc((size_t)h.n_words * sizeof(as_word_event) + 1);
    if (!b->samples || !b->phonemes || !b->words)
        return as_fail(AS_ERR_NOMEM, "tts: out of memory for %llu samples", (unsigned long long)h.n_samples);
    b->n_samples = b->cap_samples = (size_t)h.n_samples;
    b->n_phonemes = b->cap_phonemes = (size_t)h.n_phonemes;
    b->n_words = b->cap_words = (size_t)h.n_words;
    if (!read_all(fd, b->samples, b->n_samples * sizeof(float)) ||
        !read_all(fd, b->phonemes, b->n_phonemes * sizeof(as_phoneme_event)) ||
        !read_all(fd, b->words, b->n_words * sizeof(as_word_event)))
        return as_fail(AS_ERR_BACKEND, "tts: the synthesis process stopped early");
    return AS_OK;
}

/* The last part of what the child printed, trimmed, into out ("" if
 * nothing). */
static void read_capture(FILE *cap, char *out, size_t size)
{
    out[0] = 0;
    if (!cap || fseek(cap, 0, SEEK_END) != 0) return;
    long len = ftell(cap);
    if (len <= 0) return;
    long from = len > (long)size - 1 ? len - ((long)size - 1) : 0;
    if (fseek(cap, from, SEEK_SET) != 0) return;
    size_t got = fread(out, 1, size - 1, cap);
    out[got] = 0;
    while (got > 0 && (out[got - 1] == '\n' || out[got - 1] == '\r' || out[got - 1] == ' ')) out[--got] = 0;
    for (size_t i = 0; i < got; i++)
        if (out[i] == '\n' || out[i] == '\r') out[i] = ' ';
}

static as_result synthesize_in_child(const as_tts_params *p, const char *voice, const char *text, as_tts_build *b)
{
    int fds[2];
    if (pipe(fds) != 0) return as_fail(AS_ERR_BACKEND, "tts: pipe: %s", strerror(errno));
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    /* An unlinked temporary file catches the child's stdout and stderr. */
    FILE *cap = tmpfile();

    /* Prepare the engine here (once), then fork while holding the lock, so
     * the child never sees another thread's half-done registration. The lock
     * is held until the child is reaped: a fork must never happen while
     * another synthesis thread is inside malloc (reading its child's result),
     * because the new child would inherit that allocator lock held, and
     * sanitizer allocators without fork handlers (GCC 12's libasan) then hang
     * in the child. Threads therefore synthesize one at a time (a few ms
     * each); worker processes are unaffected. */
    pthread_mutex_lock(&as_tts_lock);
    char resolved[256];
    as_result r;
    if (p->engine == AS_TTS_FLITE) {
        r = as_tts_flite_prepare(voice);
        snprintf(resolved, sizeof resolved, "%s", voice);
    } else {
        r = as_tts_espeak_prepare(voice, resolved, sizeof resolved);
    }
    pid_t pid = -1;
    int fork_errno = 0;
    if (r == AS_OK) {
        pid = fork();
        fork_errno = errno;
        if (pid == 0) {
            close(fds[0]);
            child_main(fds[1], cap ? fileno(cap) : -1, p, resolved, text); /* never returns */
        }
    }
    close(fds[1]);
    if (r != AS_OK || pid < 0) {
        pthread_mutex_unlock(&as_tts_lock);
        close(fds[0]);
        if (cap) fclose(cap);
        return r != AS_OK ? r : as_fail(AS_ERR_BACKEND, "tts: fork: %s", strerror(fork_errno));
    }
    r = read_child(fds[0], b);
    close(fds[0]); /* a child still writing gets SIGPIPE and ends */
    int status = 0;
    pid_t w;
    do {
        w = waitpid(pid, &status, 0);
    } while (w < 0 && errno == EINTR);
    pthread_mutex_unlock(&as_tts_lock);
    /* ECHILD: the application reaps children itself (SIGCHLD ignored); the
     * result read in full is then all there is to know. */
    char said[400];
    read_capture(cap, said, sizeof said);
    if (cap) fclose(cap);
    if (said[0]) as_log(AS_LOG_WARN, "tts: %s said: %s", as_tts_engine_name(p->engine), said);
    if (r == AS_OK && w == pid && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        if (WIFSIGNALED(status))
            r = as_fail(AS_ERR_BACKEND, "tts: the synthesis process died of signal %d%s%s", WTERMSIG(status),
                        said[0] ? "; it said: " : "", said);
        else
            r = as_fail(AS_ERR_BACKEND, "tts: the synthesis process failed (status %d)%s%s", WEXITSTATUS(status),
                        said[0] ? "; it said: " : "", said);
    } else if (r == AS_ERR_BACKEND && said[0]) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", as_last_error());
        r = as_fail(r, "%s; it said: %s", msg, said);
    }
    return r;
}

as_result as_tts_synthesize(const as_tts_params *p, const char *utf8_text, as_speech **out)
{
    if (out) *out = NULL;
    if (!p || !utf8_text || !out) return as_fail(AS_ERR_INVALID_ARG, "as_tts_synthesize: NULL argument");
    if (is_blank(utf8_text)) return as_fail(AS_ERR_INVALID_ARG, "as_tts_synthesize: the text is empty");
    if (!(p->rate >= 0.5f && p->rate <= 2.0f))
        return as_fail(AS_ERR_INVALID_ARG, "as_tts_synthesize: rate %g is outside 0.5..2", (double)p->rate);
    if (!(p->pitch >= 0.5f && p->pitch <= 2.0f))
        return as_fail(AS_ERR_INVALID_ARG, "as_tts_synthesize: pitch %g is outside 0.5..2", (double)p->pitch);
    if (!(p->volume >= 0.0f && p->volume <= 2.0f))
        return as_fail(AS_ERR_INVALID_ARG, "as_tts_synthesize: volume %g is outside 0..2", (double)p->volume);
    if (!(p->lead_s >= 0.0f && p->lead_s <= 5.0f) || !(p->tail_s >= 0.0f && p->tail_s <= 5.0f))
        return as_fail(AS_ERR_INVALID_ARG, "as_tts_synthesize: lead_s/tail_s (%g, %g) outside 0..5",
                       (double)p->lead_s, (double)p->tail_s);

    as_tts_build b;
    memset(&b, 0, sizeof b);
    const char *voice;
    switch (p->engine) {
    case AS_TTS_ESPEAK: voice = p->voice && p->voice[0] ? p->voice : "en-us"; break;
    case AS_TTS_FLITE: voice = p->voice && p->voice[0] ? p->voice : "slt"; break;
    default: return as_fail(AS_ERR_INVALID_ARG, "as_tts_synthesize: unknown engine %d", (int)p->engine);
    }
    as_result r = synthesize_in_child(p, voice, utf8_text, &b);
    if (r != AS_OK) {
        as_tts_build_free(&b);
        return r;
    }
    r = as_tts_complete_words(&b, utf8_text);
    if (r != AS_OK) {
        as_tts_build_free(&b);
        return r;
    }
    tidy_events(&b);
    if (b.n_phonemes == 0 || b.n_samples == 0 || b.rate_hz <= 0) {
        /* Punctuation or symbols alone ("...", an emoji): nothing to say. */
        as_tts_build_free(&b);
        return as_fail(AS_ERR_INVALID_ARG, "as_tts_synthesize: nothing speakable in \"%.40s\" (%s)", utf8_text,
                       as_tts_engine_name(p->engine));
    }

    /* Guaranteed silence: prepend zeros until the first phoneme starts at
     * lead_s or later, append until tail_s follows the last one. */
    double first = b.phonemes[0].start_s;
    double last = b.phonemes[b.n_phonemes - 1].end_s;
    double dur = (double)b.n_samples / b.rate_hz;
    size_t pad_front = first < p->lead_s ? (size_t)ceil((p->lead_s - first) * b.rate_hz) : 0;
    size_t pad_back = dur - last < p->tail_s ? (size_t)ceil((p->tail_s - (dur - last)) * b.rate_hz) : 0;
    size_t n = b.n_samples + pad_front + pad_back;

    as_speech *sp = as_calloc(1, sizeof *sp);
    float *samples = as_malloc(n * sizeof(float));
    if (!sp || !samples) {
        as_free(sp);
        as_free(samples);
        as_tts_build_free(&b);
        return as_fail(AS_ERR_NOMEM, "as_tts_synthesize: out of memory for %zu samples", n);
    }
    memset(samples, 0, pad_front * sizeof(float));
    for (size_t i = 0; i < b.n_samples; i++)
        samples[pad_front + i] = as_clampf(b.samples[i] * p->volume, -1.0f, 1.0f);
    memset(samples + pad_front + b.n_samples, 0, pad_back * sizeof(float));

    double shift = (double)pad_front / b.rate_hz;
    for (size_t i = 0; i < b.n_phonemes; i++) {
        b.phonemes[i].start_s += shift;
        b.phonemes[i].end_s += shift;
    }
    for (size_t i = 0; i < b.n_words; i++) {
        b.words[i].start_s += shift;
        b.words[i].end_s += shift;
    }
    as_free(b.samples);
    sp->samples = samples;
    sp->n_samples = n;
    sp->rate_hz = b.rate_hz;
    sp->phonemes = b.phonemes;
    sp->n_phonemes = b.n_phonemes;
    sp->words = b.words;
    sp->n_words = b.n_words;
    *out = sp;
    return AS_OK;
}

/* ---- voice lists ---------------------------------------------------- */

static int add_string(as_tts_voice_list *l, const char *s, size_t *off)
{
    size_t len = strlen(s ? s : "") + 1;
    if (!grow((void **)&l->strings, &l->cap_strings, l->n_strings + len, 1)) return 0;
    memcpy(l->strings + l->n_strings, s ? s : "", len);
    *off = l->n_strings;
    l->n_strings += len;
    return 1;
}

as_result as_tts_voice_list_add(as_tts_voice_list *l, as_tts_engine engine, const char *name,
                                const char *language, const char *description, int gender)
{
    if (!grow((void **)&l->items, &l->cap, l->n + 1, sizeof *l->items))
        return as_fail(AS_ERR_NOMEM, "as_tts_list_voices: out of memory");
    as_tts_voice_entry *e = &l->items[l->n];
    e->engine = engine;
    e->gender = gender;
    if (!add_string(l, name, &e->name) || !add_string(l, language, &e->language) ||
        !add_string(l, description, &e->description))
        return as_fail(AS_ERR_NOMEM, "as_tts_list_voices: out of memory");
    l->n++;
    return AS_OK;
}

as_result as_tts_list_voices(as_tts_voice_info **out, size_t *n)
{
    if (out) *out = NULL;
    if (n) *n = 0;
    if (!out || !n) return as_fail(AS_ERR_INVALID_ARG, "as_tts_list_voices: NULL argument");
    as_tts_voice_list l;
    memset(&l, 0, sizeof l);
    as_result r = as_tts_espeak_list(&l);
    if (r == AS_OK) r = as_tts_flite_list(&l);
    if (r == AS_OK) {
        /* One block: the info array, then the strings it points into. */
        size_t head = l.n * sizeof(as_tts_voice_info);
        unsigned char *block = as_malloc(head + l.n_strings + 1);
        if (!block) {
            r = as_fail(AS_ERR_NOMEM, "as_tts_list_voices: out of memory");
        } else {
            as_tts_voice_info *info = (as_tts_voice_info *)block;
            char *strings = (char *)block + head;
            if (l.n_strings) memcpy(strings, l.strings, l.n_strings);
            for (size_t i = 0; i < l.n; i++) {
                info[i].engine = l.items[i].engine;
                info[i].name = strings + l.items[i].name;
                info[i].language = strings + l.items[i].language;
                info[i].description = strings + l.items[i].description;
                info[i].gender = l.items[i].gender;
            }
            *out = info;
            *n = l.n;
        }
    }
    as_free(l.items);
    as_free(l.strings);
    return r;
}
