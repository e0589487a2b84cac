/* test_io.c — the frame sink: every writer (anim.json, CSV, NPY, Live Link
 * Face CSV) round-trips through the reader exactly, each file has the
 * documented layout, failures leave no file behind, the reader names the
 * field at fault, and the writer interface takes a caller's implementation. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "animasync/io.h"
#include "testutil.h"

#define T 37 /* frames: more than one second at 30 fps, so timecodes roll over */

static float frames[T][AS_NUM_CHANNELS];

static void make_frames(void)
{
    uint32_t x = 12345u; /* a fixed LCG: arbitrary but reproducible values */
    for (int i = 0; i < T; i++)
        for (int c = 0; c < AS_NUM_CHANNELS; c++) {
            x = x * 1664525u + 1013904223u;
            frames[i][c] = (float)(x >> 8) / (float)(1u << 24);
        }
    frames[0][0] = 0.0f;
    frames[0][1] = 1.0f;
    frames[0][2] = 1e-7f;         /* tiny: printed in exponent form */
    frames[0][3] = 1.0f / 3.0f;   /* needs all 9 digits */
    frames[1][0] = 0.1f;
    frames[1][1] = 0.99999994f;   /* the float just below 1 */
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Writes frames in format f and reads them back; checks shape and values. */
static void round_trip(as_format f, const char *dir, const as_anim_meta *meta, as_anim *back)
{
    char path[256];
    snprintf(path, sizeof path, "%s/anim_%s%s", dir, as_format_name(f), as_format_extension(f));
    CHECKF(as_anim_write(f, path, &frames[0][0], T, NULL, AS_NUM_CHANNELS, 30.0f, meta) == AS_OK, "%s: %s",
           as_format_name(f), as_last_error());
    CHECK(file_exists(path));
    CHECKF(as_anim_read(path, back) == AS_OK, "%s: %s", as_format_name(f), as_last_error());
    CHECK(back->format == f);
    CHECK(back->num_frames == T && back->num_channels == AS_NUM_CHANNELS);
    if (back->num_frames != T || back->num_channels != AS_NUM_CHANNELS || !back->frames) return;
    int exact = 1;
    float worst = 0.0f;
    for (int i = 0; i < T; i++)
        for (int c = 0; c < AS_NUM_CHANNELS; c++) {
            float d = fabsf(back->frames[i * AS_NUM_CHANNELS + c] - frames[i][c]);
            if (d > worst) worst = d;
            if (back->frames[i * AS_NUM_CHANNELS + c] != frames[i][c]) exact = 0;
        }
    CHECKF(worst <= 1e-6f, "%s: largest difference %g", as_format_name(f), (double)worst);
    CHECKF(exact, "%s: values are not bit-exact", as_format_name(f));
    CHECK(back->names != NULL);
    if (back->names)
        for (int c = 0; c < AS_NUM_CHANNELS; c++)
            CHECKF(strcmp(back->names[c], as_channel_name(c)) == 0, "%s: name %d \"%s\"", as_format_name(f), c,
                   back->names[c]);
}

static void test_round_trips(void)
{
    const char *dir = test_tmpdir();
    as_anim_segment segs[2] = {{0.0, 1.25, "joy", 0.8f}, {1.25, 37.0 / 30.0, "슬픔 \"quoted\"", 0.4f}};
    as_anim_meta meta = {"speech.wav", segs, 2};
    as_anim a;

    round_trip(AS_FORMAT_JSON, dir, &meta, &a);
    CHECK(a.fps == 30.0f);
    CHECK(a.audio && strcmp(a.audio, "speech.wav") == 0);
    CHECK(a.num_segments == 2);
    if (a.num_segments == 2) {
        CHECK(a.segments[0].start_s == 0.0 && a.segments[0].end_s == 1.25);
        CHECK(strcmp(a.segments[0].emotion, "joy") == 0 && a.segments[0].intensity == 0.8f);
        CHECK(a.segments[1].end_s == 37.0 / 30.0);
        CHECK(strcmp(a.segments[1].emotion, "슬픔 \"quoted\"") == 0 && a.segments[1].intensity == 0.4f);
    }
    as_anim_clear(&a);
    CHECK(a.frames == NULL && a.names == NULL && a.num_frames == 0);

    round_trip(AS_FORMAT_CSV, dir, &meta, &a);
    CHECK(a.fps == 30.0f);
    CHECK(a.audio == NULL && a.num_segments == 0);
    as_anim_clear(&a);

    round_trip(AS_FORMAT_NPY, dir, &meta, &a);
    CHECK(a.fps == 0.0f); /* NPY records no rate */
    as_anim_clear(&a);

    round_trip(AS_FORMAT_LIVELINK, dir, &meta, &a);
    as_anim_clear(&a);

    /* zero frames is a valid document in every format */
    for (int f = 0; f < AS_NUM_FORMATS; f++) {
        char path[256];
        snprintf(path, sizeof path, "%s/empty%d", dir, f);
        CHECK(as_anim_write((as_format)f, path, NULL, 0, NULL, AS_NUM_CHANNELS, 30.0f, NULL) == AS_OK);
        CHECKF(as_anim_read(path, &a) == AS_OK, "%s", as_last_error());
        CHECK(a.num_frames == 0 && a.num_channels == AS_NUM_CHANNELS);
        as_anim_clear(&a);
    }

    /* other channel sets: any names, any count (not Live Link) */
    const char *names3[3] = {"alpha", "beta", "gamma"};
    float small[2][3] = {{0.5f, 0.25f, 0.125f}, {1.0f, 0.0f, 0.75f}};
    for (int f = 0; f < 3; f++) {
        char path[256];
        snprintf(path, sizeof path, "%s/three%d", dir, f);
        CHECK(as_anim_write((as_format)f, path, &small[0][0], 2, names3, 3, 25.0f, NULL) == AS_OK);
        CHECK(as_anim_read(path, &a) == AS_OK);
        CHECK(a.num_frames == 2 && a.num_channels == 3 && a.frames && memcmp(a.frames, small, sizeof small) == 0);
        if (f != AS_FORMAT_NPY) CHECK(a.names && strcmp(a.names[2], "gamma") == 0 && a.fps == 25.0f);
        else CHECK(a.names == NULL);
        as_anim_clear(&a);
    }
    CHECK(as_anim_write(AS_FORMAT_LIVELINK, "/tmp/never", &small[0][0], 2, names3, 3, 25.0f, NULL) ==
          AS_ERR_INVALID_ARG);
    CHECK(!file_exists("/tmp/never"));
}

static void test_segments_from_timeline(void)
{
    as_tagged_text tt;
    CHECK(as_tags_parse("[기쁨:70] 고마워요! [sadness:40] 가요.", AS_TEXT_NUL_TERMINATED, NULL, &tt) == AS_OK);
    CHECK(tt.num_segments == 2);
    double starts[2] = {0.2, 1.1};
    as_anim_segment segs[2];
    CHECK(as_anim_segments_from_timeline(segs, tt.segments, starts, 2, 2.5) == AS_OK);
    CHECK(segs[0].start_s == 0.0 && segs[0].end_s == 1.1 && segs[1].start_s == 1.1 && segs[1].end_s == 2.5);
    CHECK(strcmp(segs[0].emotion, "기쁨") == 0 && strcmp(segs[1].emotion, "sadness") == 0);
    CHECK(segs[0].intensity == tt.segments[0].intensity && fabsf(segs[1].intensity - 0.4f) < 1e-6f);
    as_tagged_text_clear(&tt);
}

static void test_json_layout(void)
{
    const char *dir = test_tmpdir();
    char path[256];
    snprintf(path, sizeof path, "%s/anim.json", dir);
    as_anim_segment segs[1] = {{0.0, 1.2, "gratitude", 0.5f}};
    as_anim_meta meta = {"speech.wav", segs, 1};
    CHECK(as_anim_write(AS_FORMAT_JSON, path, &frames[0][0], T, NULL, AS_NUM_CHANNELS, 30.0f, &meta) == AS_OK);
    char *text = test_read_file(path, NULL);
    CHECK(text != NULL);
    if (!text) return;
    cJSON *root = cJSON_Parse(text);
    CHECK(root != NULL);
    const cJSON *fps = cJSON_GetObjectItemCaseSensitive(root, "fps");
    CHECK(cJSON_IsNumber(fps) && fps->valuedouble == 30.0);
    CHECK(strstr(text, "\"fps\": 30,") != NULL); /* an integer rate prints as one */
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(root, "names");
    CHECK(cJSON_GetArraySize(names) == AS_NUM_CHANNELS);
    CHECK(strcmp(cJSON_GetArrayItem(names, 51)->valuestring, "tongueOut") == 0);
    const cJSON *fr = cJSON_GetObjectItemCaseSensitive(root, "frames");
    CHECK(cJSON_GetArraySize(fr) == T && cJSON_GetArraySize(cJSON_GetArrayItem(fr, 5)) == AS_NUM_CHANNELS);
    CHECK((float)cJSON_GetArrayItem(cJSON_GetArrayItem(fr, 0), 3)->valuedouble == 1.0f / 3.0f);
    const cJSON *audio = cJSON_GetObjectItemCaseSensitive(root, "audio");
    CHECK(cJSON_IsString(audio) && strcmp(audio->valuestring, "speech.wav") == 0);
    const cJSON *s0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "segments"), 0);
    CHECK(s0 && cJSON_GetObjectItemCaseSensitive(s0, "end")->valuedouble == 1.2);
    CHECK(s0 && strcmp(cJSON_GetObjectItemCaseSensitive(s0, "emotion")->valuestring, "gratitude") == 0);
    cJSON_Delete(root);
    free(text);
}

static void test_csv_layouts(void)
{
    const char *dir = test_tmpdir();
    char path[256];
    snprintf(path, sizeof path, "%s/anim.csv", dir);
    CHECK(as_anim_write(AS_FORMAT_CSV, path, &frames[0][0], T, NULL, AS_NUM_CHANNELS, 30.0f, NULL) == AS_OK);
    char *text = test_read_file(path, NULL);
    CHECK(text != NULL);
    if (text) {
        CHECK(strncmp(text, "time,eyeBlinkLeft,eyeLookDownLeft,", 34) == 0);
        char *nl = strchr(text, '\n');
        CHECK(nl && strncmp(nl - 9, "tongueOut", 9) == 0);
        CHECK(nl && strncmp(nl + 1, "0,0,1,1e-07,0.33333334,", 23) == 0);
        /* row 31 starts with its time 31/30 s */
        char *row = text;
        for (int k = 0; k < 32 && row; k++) row = strchr(row, '\n') ? strchr(row, '\n') + 1 : NULL;
        CHECK(row && strtod(row, NULL) == 31.0 / 30.0);
        free(text);
    }

    snprintf(path, sizeof path, "%s/livelink.csv", dir);
    CHECK(as_anim_write(AS_FORMAT_LIVELINK, path, &frames[0][0], T, NULL, AS_NUM_CHANNELS, 30.0f, NULL) == AS_OK);
    text = test_read_file(path, NULL);
    CHECK(text != NULL);
    if (text) {
        CHECK(strncmp(text, "Timecode,BlendShapeCount,EyeBlinkLeft,EyeLookDownLeft,", 54) == 0);
        CHECK(strstr(text, ",JawForward,JawRight,JawLeft,JawOpen,") != NULL);
        CHECK(strstr(text, ",MouthPucker,MouthRight,MouthLeft,MouthSmileLeft,") != NULL);
        CHECK(strstr(text, ",TongueOut,HeadYaw,HeadPitch,HeadRoll,LeftEyeYaw,LeftEyePitch,LeftEyeRoll,"
                           "RightEyeYaw,RightEyePitch,RightEyeRoll\n") != NULL);
        char *row1 = strchr(text, '\n') + 1;
        CHECK(strncmp(row1, "00:00:00:00.000,61,0,1,1e-07,", 29) == 0);
        CHECK(strstr(text, "\n00:00:01:01.000,61,") != NULL); /* frame 31 at 30 fps */
        CHECK(strstr(text, "\n00:00:01:06.000,61,") != NULL); /* the last, frame 36 */
        /* every row: timecode, count, 52 + 9 values */
        int commas = 0;
        for (char *p = row1; *p && *p != '\n'; p++) commas += *p == ',';
        CHECK(commas == 1 + 52 + 9);
        free(text);
    }
    /* a rate with fractions of a frame per second gets sub-frames */
    float one[AS_NUM_CHANNELS] = {0};
    as_writer *w = as_writer_open(AS_FORMAT_LIVELINK, path, NULL, AS_NUM_CHANNELS, 24.5f, NULL);
    CHECK(w != NULL);
    for (int i = 0; i < 26 && w; i++) as_writer_write(w, one);
    CHECK(w && as_writer_close(w) == AS_OK);
    text = test_read_file(path, NULL);
    CHECK(text && strstr(text, "\n00:00:01:00.500,61,") != NULL); /* frame 25 = 1.0204 s = 1 s + 0.5 frame */
    free(text);
}

static void test_npy_layout(void)
{
    const char *dir = test_tmpdir();
    char path[256];
    snprintf(path, sizeof path, "%s/anim.npy", dir);
    CHECK(as_anim_write(AS_FORMAT_NPY, path, &frames[0][0], T, NULL, AS_NUM_CHANNELS, 30.0f, NULL) == AS_OK);
    size_t len = 0;
    unsigned char *b = (unsigned char *)test_read_file(path, &len);
    CHECK(b != NULL);
    if (!b) return;
    CHECK(len == 128 + (size_t)T * AS_NUM_CHANNELS * 4);
    CHECK(memcmp(b, "\x93NUMPY\x01\x00", 8) == 0);
    size_t hlen = b[8] | (size_t)b[9] << 8;
    CHECK(10 + hlen == 128 && (10 + hlen) % 64 == 0);
    CHECK(b[127] == '\n');
    char dict[128] = {0};
    memcpy(dict, b + 10, hlen < 117 ? hlen : 117);
    CHECK(strstr(dict, "'descr': '<f4'") && strstr(dict, "'fortran_order': False") &&
          strstr(dict, "'shape': (37, 52)"));
    /* element (1, 0) little-endian */
    const unsigned char *e = b + 128 + AS_NUM_CHANNELS * 4;
    uint32_t bits = e[0] | (uint32_t)e[1] << 8 | (uint32_t)e[2] << 16 | (uint32_t)e[3] << 24;
    float v;
    memcpy(&v, &bits, 4);
    CHECK(v == 0.1f);
    free(b);
}

static void test_no_partial_files(void)
{
    /* an unwritable path: an error, and nothing created */
    const char *bad = "/nonexistent-animasync-dir/sub/anim.json";
    for (int f = 0; f < AS_NUM_FORMATS; f++) {
        as_result r = as_anim_write((as_format)f, bad, &frames[0][0], T, NULL, AS_NUM_CHANNELS, 30.0f, NULL);
        CHECK(r == AS_ERR_IO);
        CHECKF(strstr(as_last_error(), "/nonexistent-animasync-dir/sub/anim.json") != NULL, "message: %s",
               as_last_error());
        CHECK(as_writer_open((as_format)f, bad, NULL, AS_NUM_CHANNELS, 30.0f, NULL) == NULL);
    }
    CHECK(!file_exists("/nonexistent-animasync-dir"));

    /* a directory in the way of the final rename */
    const char *dir = test_tmpdir();
    char path[256];
    snprintf(path, sizeof path, "%s/taken", dir);
    CHECK(mkdir(path, 0700) == 0);
    CHECK(as_anim_write(AS_FORMAT_CSV, path, &frames[0][0], T, NULL, AS_NUM_CHANNELS, 30.0f, NULL) == AS_ERR_IO);
    CHECK(test_dir_entries(dir) == 1); /* only the directory: no temporary left */

    /* abort, and a failed write, leave nothing */
    for (int f = 0; f < AS_NUM_FORMATS; f++) {
        snprintf(path, sizeof path, "%s/out%d", dir, f);
        as_writer *w = as_writer_open((as_format)f, path, NULL, AS_NUM_CHANNELS, 30.0f, NULL);
        CHECK(w != NULL);
        if (!w) continue;
        CHECK(as_writer_write(w, frames[0]) == AS_OK);
        CHECK(test_dir_entries(dir) == 2); /* the temporary exists while writing */
        CHECK(!file_exists(path));    /* ...but not under the final name */
        as_writer_abort(w);
        CHECK(test_dir_entries(dir) == 1);

        w = as_writer_open((as_format)f, path, NULL, AS_NUM_CHANNELS, 30.0f, NULL);
        float nan_frame[AS_NUM_CHANNELS] = {0};
        nan_frame[7] = NAN;
        CHECK(as_writer_write(w, frames[0]) == AS_OK);
        CHECK(as_writer_write(w, nan_frame) == AS_ERR_INVALID_ARG);
        CHECK(strstr(as_last_error(), "frame 1, channel 7") != NULL);
        as_writer_abort(w);
        CHECK(test_dir_entries(dir) == 1 && !file_exists(path));
    }
    CHECK(as_writer_open(AS_FORMAT_JSON, path, NULL, 51, 30.0f, NULL) == NULL); /* NULL names need 52 */
    CHECK(as_writer_open(AS_FORMAT_JSON, path, NULL, AS_NUM_CHANNELS, 0.0f, NULL) == NULL);
    const char *badnames[2] = {"ok", "has,comma"};
    CHECK(as_writer_open(AS_FORMAT_CSV, path, badnames, 2, 30.0f, NULL) == NULL);
    CHECK(test_dir_entries(dir) == 1);
}

/* Reader errors name the field, line or byte. */
static void expect_read_error(const char *doc, const char *needle)
{
    as_anim a;
    as_result r = as_anim_parse(doc, strlen(doc), "doc", &a);
    CHECKF(r != AS_OK, "accepted: %s", doc);
    CHECKF(strstr(as_last_error(), needle) != NULL, "message \"%s\" lacks \"%s\"", as_last_error(), needle);
    CHECK(a.frames == NULL && a.names == NULL);
}

static void test_reader_errors(void)
{
    expect_read_error("{\"names\": [\"a\"], \"frames\": []}", "\"fps\"");
    expect_read_error("{\"fps\": 30, \"frames\": []}", "\"names\"");
    expect_read_error("{\"fps\": 30, \"names\": [\"a\"]}", "\"frames\"");
    expect_read_error("{\"fps\": 30, \"names\": [\"a\"], \"frames\": [[0.1], [0.2, 0.3]]}", "\"frames\"[1]: 2 values");
    expect_read_error("{\"fps\": 30, \"names\": [\"a\", 5], \"frames\": []}", "\"names\"[1]");
    expect_read_error("{\"fps\": 30, \"names\": [\"a\"], \"frames\": [[\"x\"]]}", "\"frames\"[0][0]");
    expect_read_error("{\"fps\": 30, \"names\": [\"a\"], \"frames\": [], \"segments\": [{\"start\": 0}]}",
                      "\"segments\"[0].\"end\"");
    expect_read_error("{\"fps\": 30,\n \"names\": [\"a\",]}", "line 2");
    expect_read_error("time,a,b\n0,0.5,0.5\n0.0333,0.5\n", "line 3: 2 fields, expected 3");
    expect_read_error("time,a,b\n0,0.5,zz\n", "line 2, column 3 (b): \"zz\"");
    expect_read_error("Timecode,BlendShapeCount,EyeBlinkLeft\n", "lacks blendshape column");
    expect_read_error("hello", "not an animation file");
    expect_read_error("\x93NUMPY\x01\x00\x10\x00{'descr': '<i4'", "NPY file shorter than its header");
    const unsigned char npy_long[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0xFF, 0x00, '{', ' '};
    as_anim b;
    CHECK(as_anim_parse(npy_long, sizeof npy_long, "long.npy", &b) == AS_ERR_PARSE);
    CHECK(strstr(as_last_error(), "long.npy: NPY header length 255 past the end") != NULL);
    /* a valid header whose data is too short for its shape */
    const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 52), }\n";
    unsigned char npy_short[128];
    size_t dl = strlen(dict);
    memcpy(npy_short, "\x93NUMPY\x01\x00", 8);
    npy_short[8] = (unsigned char)dl;
    npy_short[9] = 0;
    memcpy(npy_short + 10, dict, dl);
    as_anim a;
    CHECK(as_anim_parse(npy_short, 10 + dl + 8, "short.npy", &a) == AS_ERR_PARSE);
    CHECKF(strstr(as_last_error(), "needs 416") != NULL, "%s", as_last_error());
    CHECK(as_anim_read("/nonexistent-animasync.json", &a) == AS_ERR_IO);
    as_format fmt;
    CHECK(as_format_find("LiveLink", &fmt) == AS_OK && fmt == AS_FORMAT_LIVELINK);
    CHECK(as_format_find("xml", &fmt) == AS_ERR_UNKNOWN && strstr(as_last_error(), "npy") != NULL);
}

/* A caller's own implementation behind the same interface. */
typedef struct {
    size_t frames;
    float sum;
    int closed;
} count_sink;
static count_sink sink;
static as_result sink_open(void **state, const char *path, const char *const *names, size_t n, float fps,
                           const as_anim_meta *meta)
{
    (void)path, (void)names, (void)n, (void)fps, (void)meta;
    memset(&sink, 0, sizeof sink);
    *state = &sink;
    return AS_OK;
}
static as_result sink_write(void *state, const float *frame)
{
    count_sink *s = state;
    s->frames++;
    s->sum += frame[0];
    return AS_OK;
}
static as_result sink_close(void *state) { ((count_sink *)state)->closed = 1; return AS_OK; }
static void sink_abort(void *state) { ((count_sink *)state)->closed = -1; }

static void test_custom_writer(void)
{
    const as_writer_iface iface = {"count", sink_open, sink_write, sink_close, sink_abort};
    as_writer *w = as_writer_open_iface(&iface, "memory", NULL, AS_NUM_CHANNELS, 30.0f, NULL);
    CHECK(w != NULL);
    if (!w) return;
    for (int i = 0; i < T; i++) CHECK(as_writer_write(w, frames[i]) == AS_OK);
    CHECK(as_writer_close(w) == AS_OK);
    CHECK(sink.frames == T && sink.closed == 1);
    for (int f = 0; f < AS_NUM_FORMATS; f++) {
        const as_writer_iface *b = as_writer_iface_of((as_format)f);
        CHECK(b && b->open && b->write_frame && b->close && b->abort && strcmp(b->name, as_format_name((as_format)f)) == 0);
    }
    CHECK(as_writer_iface_of((as_format)9) == NULL);
}

/* Fails the N-th allocation: every path cleans up (ASan checks leaks). */
static int fail_at = -1, alloc_count = 0;
static void *fail_malloc(size_t n, void *u) { (void)u; return alloc_count++ == fail_at ? NULL : malloc(n); }
static void *fail_realloc(void *p, size_t n, void *u) { (void)u; return alloc_count++ == fail_at ? NULL : realloc(p, n); }
static void fail_free(void *p, void *u) { (void)u; free(p); }

static void test_allocation_failures(void)
{
    const char *dir = test_tmpdir();
    char path[256];
    as_allocator al = {fail_malloc, fail_realloc, fail_free, NULL};
    int failures = 0;
    for (int f = 0; f < AS_NUM_FORMATS; f++) {
        snprintf(path, sizeof path, "%s/alloc%d", dir, f);
        for (fail_at = 0; fail_at < 12; fail_at++) {
            alloc_count = 0;
            as_set_allocator(&al);
            as_result r = as_anim_write((as_format)f, path, &frames[0][0], 3, NULL, AS_NUM_CHANNELS, 30.0f, NULL);
            as_anim a;
            as_result r2 = r == AS_OK ? as_anim_read(path, &a) : AS_ERR_NOMEM;
            as_set_allocator(NULL);
            if (r != AS_OK || r2 != AS_OK) failures++;
            CHECK(r == AS_OK || r == AS_ERR_NOMEM);
            CHECK(r2 == AS_OK || r2 == AS_ERR_NOMEM);
            if (r2 == AS_OK) as_anim_clear(&a);
            remove(path);
        }
    }
    fail_at = -1;
    CHECK(failures > 8);
    CHECK(test_dir_entries(dir) == 0);
}

int main(void)
{
    make_frames();
    test_round_trips();
    test_segments_from_timeline();
    test_json_layout();
    test_csv_layouts();
    test_npy_layout();
    test_no_partial_files();
    test_reader_errors();
    test_custom_writer();
    test_allocation_failures();
    return test_finish("test_io");
}
