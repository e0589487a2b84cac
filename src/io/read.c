/* io/read.c — reads an animation back from any of the four formats the
 * writers produce (anim.json, CSV, NPY, Live Link Face CSV), for tools
 * (conversion, metrics, the web player) and tests. Input is untrusted: every
 * length is checked, and errors name the origin and the field, line or byte
 * at fault. fuzz/fuzz_anim.c drives as_anim_parse with random input. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "io_internal.h"

void as_anim_clear(as_anim *a)
{
    if (!a) return;
    if (a->names)
        for (size_t c = 0; c < a->num_channels; c++) as_free(a->names[c]);
    as_free(a->names);
    as_free(a->frames);
    as_free(a->audio);
    as_free(a->segments);
    memset(a, 0, sizeof *a);
}

/* Allocates names (num_channels, all NULL) and frames (T x C, zeroed). */
static as_result alloc_anim(as_anim *a, const char *origin, size_t frames, size_t channels)
{
    if (channels == 0 || channels > 65536) return as_fail(AS_ERR_PARSE, "%s: %zu channels (expected 1..65536)", origin, channels);
    if (frames > SIZE_MAX / channels / sizeof(float))
        return as_fail(AS_ERR_PARSE, "%s: %zu x %zu frames is too large", origin, frames, channels);
    a->num_channels = channels;
    a->names = as_calloc(channels, sizeof *a->names);
    a->frames = frames ? as_calloc(frames * channels, sizeof(float)) : NULL;
    if (!a->names || (frames && !a->frames)) return as_fail(AS_ERR_NOMEM, "%s: out of memory", origin);
    return AS_OK;
}

static as_result set_name(as_anim *a, size_t c, const char *s, size_t n, const char *origin)
{
    char *copy = as_malloc(n + 1);
    if (!copy) return as_fail(AS_ERR_NOMEM, "%s: out of memory", origin);
    memcpy(copy, s, n);
    copy[n] = 0;
    a->names[c] = copy;
    return AS_OK;
}

static as_result arkit_names(as_anim *a, const char *origin)
{
    for (int c = 0; c < AS_NUM_CHANNELS; c++) {
        const char *n = as_channel_name(c);
        as_result r = set_name(a, (size_t)c, n ? n : "?", n ? strlen(n) : 1, origin);
        if (r != AS_OK) return r;
    }
    return AS_OK;
}

/* ---- JSON ------------------------------------------------------------------- */

static as_result json_number(const cJSON *item, double *out)
{
    if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble)) return AS_ERR_PARSE;
    *out = item->valuedouble;
    return AS_OK;
}

static as_result parse_segments(as_anim *a, const cJSON *segs, const char *origin)
{
    if (!cJSON_IsArray(segs)) return as_fail(AS_ERR_PARSE, "%s: \"segments\": expected an array", origin);
    size_t n = (size_t)cJSON_GetArraySize(segs);
    if (n == 0) return AS_OK;
    a->segments = as_calloc(n, sizeof *a->segments);
    if (!a->segments) return as_fail(AS_ERR_NOMEM, "%s: out of memory", origin);
    size_t k = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, segs) {
        as_anim_segment *out = &a->segments[k];
        if (!cJSON_IsObject(s)) return as_fail(AS_ERR_PARSE, "%s: \"segments\"[%zu]: expected an object", origin, k);
        static const char *const num_fields[3] = {"start", "end", "intensity"};
        double v[3];
        for (int f = 0; f < 3; f++)
            if (json_number(cJSON_GetObjectItemCaseSensitive(s, num_fields[f]), &v[f]) != AS_OK)
                return as_fail(AS_ERR_PARSE, "%s: \"segments\"[%zu].\"%s\": missing or not a finite number", origin, k,
                               num_fields[f]);
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(s, "emotion");
        if (!cJSON_IsString(e) || !e->valuestring)
            return as_fail(AS_ERR_PARSE, "%s: \"segments\"[%zu].\"emotion\": missing or not a string", origin, k);
        if (strlen(e->valuestring) >= AS_ANIM_NAME_MAX)
            return as_fail(AS_ERR_PARSE, "%s: \"segments\"[%zu].\"emotion\": longer than %d bytes", origin, k,
                           AS_ANIM_NAME_MAX - 1);
        out->start_s = v[0];
        out->end_s = v[1];
        out->intensity = (float)v[2];
        snprintf(out->emotion, sizeof out->emotion, "%s", e->valuestring);
        k++;
    }
    a->num_segments = n;
    return AS_OK;
}

static as_result parse_json_doc(as_anim *a, const cJSON *root, const char *origin)
{
    if (!cJSON_IsObject(root)) return as_fail(AS_ERR_PARSE, "%s: expected a JSON object at the top", origin);
    double fps;
    if (json_number(cJSON_GetObjectItemCaseSensitive(root, "fps"), &fps) != AS_OK || !(fps > 0.0 && fps <= 1000.0))
        return as_fail(AS_ERR_PARSE, "%s: \"fps\": missing or not a number in (0, 1000]", origin);
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(root, "names");
    if (!cJSON_IsArray(names) || cJSON_GetArraySize(names) == 0)
        return as_fail(AS_ERR_PARSE, "%s: \"names\": missing or not a non-empty array of channel names", origin);
    const cJSON *frames = cJSON_GetObjectItemCaseSensitive(root, "frames");
    if (!cJSON_IsArray(frames)) return as_fail(AS_ERR_PARSE, "%s: \"frames\": missing or not an array", origin);
    size_t channels = (size_t)cJSON_GetArraySize(names);
    size_t count = (size_t)cJSON_GetArraySize(frames);
    as_result r = alloc_anim(a, origin, count, channels);
    if (r != AS_OK) return r;
    a->fps = (float)fps;

    size_t c = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, names) {
        if (!cJSON_IsString(item) || !item->valuestring || !item->valuestring[0])
            return as_fail(AS_ERR_PARSE, "%s: \"names\"[%zu]: not a non-empty string", origin, c);
        r = set_name(a, c, item->valuestring, strlen(item->valuestring), origin);
        if (r != AS_OK) return r;
        c++;
    }
    size_t i = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, frames) {
        if (!cJSON_IsArray(row)) return as_fail(AS_ERR_PARSE, "%s: \"frames\"[%zu]: expected an array", origin, i);
        size_t n = (size_t)cJSON_GetArraySize(row);
        if (n != channels)
            return as_fail(AS_ERR_PARSE, "%s: \"frames\"[%zu]: %zu values, expected %zu (one per name)", origin, i, n,
                           channels);
        c = 0;
        cJSON_ArrayForEach(item, row) {
            double v;
            if (json_number(item, &v) != AS_OK)
                return as_fail(AS_ERR_PARSE, "%s: \"frames\"[%zu][%zu]: not a finite number", origin, i, c);
            a->frames[i * channels + c] = (float)v;
            c++;
        }
        i++;
    }
    a->num_frames = count;

    const cJSON *audio = cJSON_GetObjectItemCaseSensitive(root, "audio");
    if (audio && !cJSON_IsNull(audio)) {
        if (!cJSON_IsString(audio) || !audio->valuestring)
            return as_fail(AS_ERR_PARSE, "%s: \"audio\": not a string", origin);
        a->audio = as_strdup(audio->valuestring);
        if (!a->audio) return as_fail(AS_ERR_NOMEM, "%s: out of memory", origin);
    }
    const cJSON *segs = cJSON_GetObjectItemCaseSensitive(root, "segments");
    if (segs && !cJSON_IsNull(segs)) return parse_segments(a, segs, origin);
    return AS_OK;
}

static as_result parse_json(as_anim *a, const char *data, size_t len, const char *origin)
{
    cJSON *root = cJSON_ParseWithLength(data, len);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        size_t pos = (at && at >= data && at <= data + len) ? (size_t)(at - data) : 0;
        size_t line = 1, col = 1;
        for (size_t k = 0; k < pos; k++) {
            if (data[k] == '\n') { line++; col = 1; }
            else col++;
        }
        return as_fail(AS_ERR_PARSE, "%s: invalid JSON at line %zu, column %zu", origin, line, col);
    }
    as_result r = parse_json_doc(a, root, origin);
    cJSON_Delete(root);
    return r;
}

/* ---- CSV and Live Link Face CSV --------------------------------------------------- */

/* A line of data[pos..len) without its "\n" or "\r\n"; returns 0 at the end. */
static int next_line(const char *data, size_t len, size_t *pos, const char **line, size_t *n)
{
    if (*pos >= len) return 0;
    size_t s = *pos, e = s;
    while (e < len && data[e] != '\n') e++;
    *pos = e < len ? e + 1 : e;
    if (e > s && data[e - 1] == '\r') e--;
    *line = data + s;
    *n = e - s;
    return 1;
}

static size_t count_fields(const char *line, size_t n)
{
    size_t f = 1;
    for (size_t k = 0; k < n; k++)
        if (line[k] == ',') f++;
    return f;
}

/* The next field of line[*pos..n); advances past its comma. */
static void next_field(const char *line, size_t n, size_t *pos, const char **field, size_t *len)
{
    size_t s = *pos, e = s;
    while (e < n && line[e] != ',') e++;
    *field = line + s;
    *len = e - s;
    *pos = e < n ? e + 1 : e;
}

/* A numeric field: the whole field must be a finite number. Floats are read
 * with strtof (not strtod + cast) to get back exactly the float written. */
static int field_number(const char *field, size_t n, float *f, double *d)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf) return 0;
    memcpy(buf, field, n);
    buf[n] = 0;
    if (isspace((unsigned char)buf[0])) return 0;
    char *end;
    if (d) {
        double v = strtod(buf, &end);
        if (*end != 0 || !isfinite(v)) return 0;
        *d = v;
    } else {
        float v = strtof(buf, &end);
        if (*end != 0 || !isfinite(v)) return 0;
        *f = v;
    }
    return 1;
}

static int field_is(const char *field, size_t n, const char *word, int nocase)
{
    size_t k = strlen(word);
    if (n != k) return 0;
    for (size_t i = 0; i < n; i++) {
        char a = field[i], b = word[i];
        if (nocase) {
            a = (char)tolower((unsigned char)a);
            b = (char)tolower((unsigned char)b);
        }
        if (a != b) return 0;
    }
    return 1;
}

static as_result parse_csv(as_anim *a, const char *data, size_t len, const char *origin, int livelink)
{
    size_t pos = 0, hn = 0, fn;
    const char *header = data, *field;
    if (!next_line(data, len, &pos, &header, &hn)) return as_fail(AS_ERR_PARSE, "%s: empty file", origin);
    size_t columns = count_fields(header, hn);
    size_t lead = livelink ? 2 : 1; /* Timecode,BlendShapeCount  or  time */
    if (columns <= lead) return as_fail(AS_ERR_PARSE, "%s: line 1: header has no channel columns", origin);

    /* count data lines to size the frames, checking each has every column
     * first, so the allocation never exceeds what the text holds */
    size_t rows = 0, p2 = pos, ln, line_no = 1;
    const char *line;
    while (next_line(data, len, &p2, &line, &ln)) {
        line_no++;
        if (ln == 0) continue;
        size_t got = count_fields(line, ln);
        if (got != columns)
            return as_fail(AS_ERR_PARSE, "%s: line %zu: %zu fields, expected %zu as in the header", origin, line_no,
                           got, columns);
        rows++;
    }

    /* column -> channel index (-1 = ignored: Live Link head and eye columns) */
    int *channel_of = as_malloc(columns * sizeof *channel_of);
    if (!channel_of) return as_fail(AS_ERR_NOMEM, "%s: out of memory", origin);
    size_t channels = livelink ? AS_NUM_CHANNELS : columns - lead;
    as_result r = alloc_anim(a, origin, rows, channels);
    if (r != AS_OK) goto done;
    size_t hp = 0;
    for (size_t col = 0; col < columns; col++) {
        next_field(header, hn, &hp, &field, &fn);
        channel_of[col] = -1;
        if (col < lead) continue;
        if (fn == 0) {
            r = as_fail(AS_ERR_PARSE, "%s: line 1, column %zu: empty channel name", origin, col + 1);
            goto done;
        }
        if (!livelink) {
            channel_of[col] = (int)(col - lead);
            r = set_name(a, col - lead, field, fn, origin);
            if (r != AS_OK) goto done;
            continue;
        }
        /* Live Link: PascalCase ARKit names, matched without case */
        for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) {
            if (field_is(field, fn, as_channel_name(ch), 1)) {
                for (size_t prev = lead; prev < col; prev++)
                    if (channel_of[prev] == ch) {
                        r = as_fail(AS_ERR_PARSE, "%s: line 1, column %zu: channel \"%.*s\" appears twice", origin,
                                    col + 1, (int)fn, field);
                        goto done;
                    }
                channel_of[col] = ch;
            }
        }
    }
    if (livelink) {
        for (int ch = 0; ch < AS_NUM_CHANNELS; ch++) {
            int found = 0;
            for (size_t col = 0; col < columns; col++) found |= channel_of[col] == ch;
            if (!found) {
                r = as_fail(AS_ERR_PARSE, "%s: line 1: Live Link header lacks blendshape column for \"%s\"", origin,
                            as_channel_name(ch));
                goto done;
            }
        }
        r = arkit_names(a, origin);
        if (r != AS_OK) goto done;
    }

    double t_first = 0.0, t_last = 0.0;
    size_t i = 0;
    line_no = 1;
    while (next_line(data, len, &pos, &line, &ln)) {
        line_no++;
        if (ln == 0) continue;
        size_t fp = 0;
        for (size_t col = 0; col < columns; col++) {
            next_field(line, ln, &fp, &field, &fn);
            float v = 0.0f;
            double t = 0.0;
            if (livelink && col < lead) continue; /* timecode and count: not data */
            if (!field_number(field, fn, &v, col < lead ? &t : NULL)) {
                const char *cname;
                size_t cn, cp = 0;
                for (size_t k = 0; k <= col; k++) next_field(header, hn, &cp, &cname, &cn);
                r = as_fail(AS_ERR_PARSE, "%s: line %zu, column %zu (%.*s): \"%.*s\" is not a finite number", origin,
                            line_no, col + 1, (int)(cn > 40 ? 40 : cn), cname, (int)(fn > 40 ? 40 : fn), field);
                goto done;
            }
            if (col < lead) {
                if (i == 0) t_first = t;
                t_last = t;
            } else if (channel_of[col] >= 0) {
                a->frames[i * channels + (size_t)channel_of[col]] = v;
            }
        }
        i++;
    }
    a->num_frames = i;
    /* CSV records times, not the rate: recover it from the first and last */
    if (!livelink && i >= 2 && t_last > t_first) {
        double fps = (double)(i - 1) / (t_last - t_first);
        if (fabs(fps - floor(fps + 0.5)) < 1e-3) fps = floor(fps + 0.5);
        a->fps = fps > 0.0 && fps <= 1000.0 ? (float)fps : 0.0f;
    }
    r = AS_OK;
done:
    as_free(channel_of);
    return r;
}

/* ---- NPY ------------------------------------------------------------------------- */

/* Finds 'key': in the header dict and returns what follows (spaces skipped). */
static const char *dict_value(const char *dict, const char *key)
{
    const char *p = strstr(dict, key);
    if (!p) return NULL;
    p += strlen(key);
    while (*p == ' ') p++;
    if (*p != ':') return NULL;
    p++;
    while (*p == ' ') p++;
    return p;
}

static int parse_size(const char **p, size_t *out)
{
    const char *s = *p;
    size_t v = 0;
    if (!isdigit((unsigned char)*s)) return 0;
    while (isdigit((unsigned char)*s)) {
        if (v > (SIZE_MAX - 9) / 10) return 0;
        v = v * 10 + (size_t)(*s++ - '0');
    }
    *out = v;
    *p = s;
    return 1;
}

static as_result parse_npy(as_anim *a, const unsigned char *data, size_t len, const char *origin)
{
    if (len < 10) return as_fail(AS_ERR_PARSE, "%s: NPY file shorter than its header", origin);
    unsigned major = data[6];
    size_t hlen, hstart;
    if (major == 1) {
        hlen = (size_t)data[8] | (size_t)data[9] << 8;
        hstart = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12) return as_fail(AS_ERR_PARSE, "%s: NPY file shorter than its header", origin);
        hlen = (size_t)data[8] | (size_t)data[9] << 8 | (size_t)data[10] << 16 | (size_t)data[11] << 24;
        hstart = 12;
    } else {
        return as_fail(AS_ERR_UNSUPPORTED, "%s: NPY format version %u.%u (1.0, 2.0 and 3.0 are read)", origin, major,
                       data[7]);
    }
    if (hlen > len - hstart || hlen > 65536) return as_fail(AS_ERR_PARSE, "%s: NPY header length %zu past the end", origin, hlen);
    char *dict = as_malloc(hlen + 1);
    if (!dict) return as_fail(AS_ERR_NOMEM, "%s: out of memory", origin);
    memcpy(dict, data + hstart, hlen);
    dict[hlen] = 0;

    as_result r = AS_OK;
    const char *d = dict_value(dict, "'descr'");
    int big = 0, wide = 0;
    if (d && strncmp(d, "'<f4'", 5) == 0) { big = 0; wide = 0; }
    else if (d && strncmp(d, "'>f4'", 5) == 0) { big = 1; wide = 0; }
    else if (d && strncmp(d, "'<f8'", 5) == 0) { big = 0; wide = 1; }
    else if (d && strncmp(d, "'>f8'", 5) == 0) { big = 1; wide = 1; }
    else {
        r = as_fail(AS_ERR_UNSUPPORTED, "%s: NPY header 'descr': only float32 and float64 arrays are read", origin);
        goto done;
    }
    const char *fo = dict_value(dict, "'fortran_order'");
    if (!fo || strncmp(fo, "False", 5) != 0) {
        r = as_fail(AS_ERR_UNSUPPORTED, "%s: NPY header 'fortran_order': only C order (False) is read", origin);
        goto done;
    }
    const char *sh = dict_value(dict, "'shape'");
    size_t frames = 0, channels = 0;
    if (!sh || *sh != '(') {
        r = as_fail(AS_ERR_PARSE, "%s: NPY header 'shape': missing", origin);
        goto done;
    }
    sh++;
    while (*sh == ' ') sh++;
    int ok = parse_size(&sh, &frames);
    while (ok && *sh == ' ') sh++;
    ok = ok && *sh++ == ',';
    while (ok && *sh == ' ') sh++;
    ok = ok && parse_size(&sh, &channels);
    while (ok && *sh == ' ') sh++;
    if (ok && *sh == ',') {
        sh++;
        while (*sh == ' ') sh++;
    }
    if (!ok || *sh != ')') {
        r = as_fail(AS_ERR_PARSE, "%s: NPY header 'shape': expected two dimensions (frames, channels)", origin);
        goto done;
    }
    /* the data must be there before anything is allocated for it */
    size_t item = wide ? 8 : 4;
    size_t body = len - hstart - hlen;
    if (channels && frames > body / item / channels) {
        if (frames <= SIZE_MAX / item / channels)
            r = as_fail(AS_ERR_PARSE, "%s: NPY data holds %zu bytes, shape (%zu, %zu) needs %zu", origin, body, frames,
                        channels, frames * channels * item);
        else
            r = as_fail(AS_ERR_PARSE, "%s: NPY shape (%zu, %zu) is too large", origin, frames, channels);
        goto done;
    }
    r = alloc_anim(a, origin, frames, channels);
    if (r != AS_OK) goto done;
    const unsigned char *p = data + hstart + hlen;
    for (size_t k = 0; k < frames * channels; k++, p += item) {
        uint64_t bits = 0;
        for (size_t b = 0; b < item; b++) bits |= (uint64_t)p[big ? item - 1 - b : b] << (8 * b);
        if (wide) {
            double v;
            memcpy(&v, &bits, 8);
            a->frames[k] = (float)v;
        } else {
            uint32_t b32 = (uint32_t)bits;
            memcpy(&a->frames[k], &b32, 4);
        }
    }
    a->num_frames = frames;
    if (channels == AS_NUM_CHANNELS) {
        r = arkit_names(a, origin);
    } else {
        as_free(a->names); /* no names to give */
        a->names = NULL;
    }
done:
    as_free(dict);
    return r;
}

/* ---- entry points ------------------------------------------------------------------ */

as_result as_anim_parse(const void *data, size_t len, const char *origin, as_anim *out)
{
    if (!out) return as_fail(AS_ERR_INVALID_ARG, "as_anim_parse: out is NULL");
    memset(out, 0, sizeof *out);
    if (!data && len) return as_fail(AS_ERR_INVALID_ARG, "as_anim_parse: data is NULL");
    if (!origin) origin = "animation";
    const char *s = data;
    as_result r;
    size_t k = 0;
    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) k = 3; /* a UTF-8 byte order mark */
    while (k < len && isspace((unsigned char)s[k])) k++;
    if (len >= 6 && memcmp(s, "\x93NUMPY", 6) == 0) {
        out->format = AS_FORMAT_NPY;
        r = parse_npy(out, data, len, origin);
    } else if (k < len && s[k] == '{') {
        out->format = AS_FORMAT_JSON;
        r = parse_json(out, s, len, origin);
    } else if (len - k >= 9 && memcmp(s + k, "Timecode,", 9) == 0) {
        out->format = AS_FORMAT_LIVELINK;
        r = parse_csv(out, s + k, len - k, origin, 1);
    } else if (len - k >= 5 && memcmp(s + k, "time,", 5) == 0) {
        out->format = AS_FORMAT_CSV;
        r = parse_csv(out, s + k, len - k, origin, 0);
    } else {
        r = as_fail(AS_ERR_PARSE,
                    "%s: not an animation file (expected anim.json, a CSV with a \"time,\" header, "
                    "a Live Link Face CSV or an NPY array)", origin);
    }
    if (r != AS_OK) as_anim_clear(out);
    return r;
}

as_result as_anim_read(const char *path, as_anim *out)
{
    if (!out) return as_fail(AS_ERR_INVALID_ARG, "as_anim_read: out is NULL");
    memset(out, 0, sizeof *out);
    if (!path) return as_fail(AS_ERR_INVALID_ARG, "as_anim_read: path is NULL");
    char *data;
    size_t len;
    as_result r = as_read_file(path, &data, &len);
    if (r != AS_OK) return r;
    r = as_anim_parse(data, len, path, out);
    as_free(data);
    return r;
}
