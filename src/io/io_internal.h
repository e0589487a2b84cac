/* io/io_internal.h — what the writers and readers of src/io share (not
 * public): exact shortest number formatting, JSON string escaping, the Live
 * Link Face column table, and the four built-in writer implementations. */
#ifndef AS_IO_INTERNAL_H
#define AS_IO_INTERNAL_H

#include <stdio.h>
#include "animasync/io.h"
#include "core/internal.h"

/* Room for any number the helpers below print, with its NUL. */
#define AS_NUM_BUF 32

/* The shortest %g text of a float that reads back as exactly the same float,
 * both through strtof and through strtod + cast to float (as cJSON reads),
 * with a '.' decimal point whatever the locale. x must be finite. */
void as_io_format_float(char buf[AS_NUM_BUF], float x);
/* The same for a double (strtod round trip). */
void as_io_format_double(char buf[AS_NUM_BUF], double x);
/* Writes s as a JSON string literal (quotes and escapes); returns 0 on a
 * stream error. */
int as_io_put_json_string(FILE *f, const char *s);

/* Live Link Face: its 52 blendshape columns in recording order, as the ARKit
 * channel index of each (it spells the names in PascalCase: EyeBlinkLeft). */
extern const int as_livelink_order[AS_NUM_CHANNELS];
/* The 9 head and eye rotation columns after the blendshapes. */
#define AS_LIVELINK_EXTRA 9
extern const char *const as_livelink_extra[AS_LIVELINK_EXTRA];

/* Checks the stream for an earlier write error; on one, aborts the file
 * (removing it) and returns AS_ERR_IO naming its path. */
as_result as_io_check(as_atomic_file *af);
/* AS_ERR_IO naming the path if the stream saw a write error (the file stays
 * for the caller to abort), else AS_OK. For write_frame. */
as_result as_io_status(const as_atomic_file *af);
/* Flushes, checks and renames the file onto its path (or removes it). */
as_result as_io_commit(as_atomic_file *af);

extern const as_writer_iface as_writer_json;
extern const as_writer_iface as_writer_csv;
extern const as_writer_iface as_writer_npy;
extern const as_writer_iface as_writer_livelink;

#endif
