/* audio/wav.c — audio files through libsndfile: writing the synthesized
 * speech as a 16-bit PCM WAV (atomically: temporary file, then rename) and
 * reading any format libsndfile knows, mixed down to mono float, for the
 * audio-driven path (feature extraction, student network). */
#define _POSIX_C_SOURCE 200809L
#include <sndfile.h>
#include <stdio.h>
#include <string.h>

#include "animasync/tts.h"
#include "core/internal.h"

as_result as_wav_write(const char *path, const float *samples, size_t n, int rate_hz)
{
    if (!path || (!samples && n > 0)) return as_fail(AS_ERR_INVALID_ARG, "as_wav_write: NULL argument");
    if (rate_hz <= 0) return as_fail(AS_ERR_INVALID_ARG, "as_wav_write: %s: sample rate %d", path, rate_hz);

    as_atomic_file af;
    as_result r = as_atomic_open(&af, path);
    if (r != AS_OK) return r;
    /* libsndfile writes through the temporary file's descriptor; nothing
     * goes through the FILE buffer, so committing (fclose + rename) after
     * sf_close sees every byte. */
    fflush(af.f);
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = rate_hz;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE *sf = sf_open_fd(fileno(af.f), SFM_WRITE, &info, 0 /* do not close the fd */);
    if (!sf) {
        r = as_fail(AS_ERR_IO, "as_wav_write: %s: %s", path, sf_strerror(NULL));
        as_atomic_abort(&af);
        return r;
    }
    /* Clip instead of wrapping around when a sample exceeds -1..1. */
    sf_command(sf, SFC_SET_CLIPPING, NULL, SF_TRUE);
    sf_count_t wrote = n > 0 ? sf_write_float(sf, samples, (sf_count_t)n) : 0;
    int err = sf_error(sf);
    if ((size_t)wrote != n || err != SF_ERR_NO_ERROR) {
        r = as_fail(AS_ERR_IO, "as_wav_write: %s: wrote %lld of %zu samples: %s", path, (long long)wrote, n,
                    sf_strerror(sf));
        sf_close(sf);
        as_atomic_abort(&af);
        return r;
    }
    if (sf_close(sf) != 0) {
        as_atomic_abort(&af);
        return as_fail(AS_ERR_IO, "as_wav_write: %s: could not finish the file", path);
    }
    return as_atomic_commit(&af);
}

as_result as_audio_read(const char *path, float **samples, size_t *n, int *rate_hz)
{
    if (samples) *samples = NULL;
    if (n) *n = 0;
    if (rate_hz) *rate_hz = 0;
    if (!path || !samples || !n || !rate_hz) return as_fail(AS_ERR_INVALID_ARG, "as_audio_read: NULL argument");

    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf) {
        int e = sf_error(NULL);
        FILE *probe = fopen(path, "rb");
        int exists = probe != NULL;
        if (probe) fclose(probe);
        /* A file that opens but libsndfile refuses is malformed or of an
         * unknown format; one that does not open is an I/O problem. */
        return as_fail(exists && e != SF_ERR_SYSTEM ? AS_ERR_PARSE : AS_ERR_IO, "as_audio_read: %s: %s", path,
                       sf_strerror(NULL));
    }
    if (info.channels <= 0 || info.samplerate <= 0 || info.frames < 0) {
        sf_close(sf);
        return as_fail(AS_ERR_PARSE, "as_audio_read: %s: %d channels at %d Hz", path, info.channels, info.samplerate);
    }
    size_t frames = (size_t)info.frames, ch = (size_t)info.channels;
    float *mono = as_malloc((frames ? frames : 1) * sizeof(float));
    float *block = as_malloc(4096 * ch * sizeof(float));
    if (!mono || !block) {
        as_free(mono);
        as_free(block);
        sf_close(sf);
        return as_fail(AS_ERR_NOMEM, "as_audio_read: %s: out of memory for %zu frames", path, frames);
    }
    /* Read in blocks of 4096 frames; mix each frame to mono by the mean of
     * its channels. */
    size_t got = 0;
    while (got < frames) {
        sf_count_t want = (sf_count_t)(frames - got < 4096 ? frames - got : 4096);
        sf_count_t k = sf_readf_float(sf, block, want);
        if (k <= 0) break;
        for (sf_count_t i = 0; i < k; i++) {
            float s = 0.0f;
            for (size_t c = 0; c < ch; c++) s += block[(size_t)i * ch + c];
            mono[got + (size_t)i] = s / (float)ch;
        }
        got += (size_t)k;
    }
    int err = sf_error(sf);
    sf_close(sf);
    as_free(block);
    if (err != SF_ERR_NO_ERROR) {
        as_free(mono);
        return as_fail(AS_ERR_PARSE, "as_audio_read: %s: damaged audio after %zu of %zu frames", path, got, frames);
    }
    *samples = mono;
    *n = got;
    *rate_hz = info.samplerate;
    return AS_OK;
}
