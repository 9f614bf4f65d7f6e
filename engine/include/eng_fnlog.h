/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Log groups on disk, the one owner of their format: what CloudWatch Logs keeps. A function's
 * instances write streams to its group (/aws/lambda/<name>, or its LoggingConfig's LogGroup),
 * one stream per instance; users create groups and streams and put events through the Logs
 * API. The function runner writes (server/), the Logs API reads, writes and deletes (api/),
 * the engine knows where they live. Layout:
 *
 *   <data dir>/functions/logs/<function>/                /aws/lambda/<function>
 *   <data dir>/functions/logs/@<16 hex>/                 any other group (hash of its name)
 *   <group>/.group                    its name, creation time, retention, KMS key ("k\tv" lines;
 *                                     optional for a function's group)
 *   <group>/<YYYYMMDD>-<32 hex>       an instance's stream, "YYYY/MM/DD/[$LATEST]<32 hex>"
 *   <group>/u-<16 hex>                any other stream (hash of its name), its name and
 *   <group>/u-<16 hex>.name           creation time beside it ("<ms>\t<name>")
 *
 * A stream file is a sequence of events, one line each: "<ms>\t<text>\n" (text holds no
 * newline; an unfinished last line is not an event yet), or "<ms>e\t<escaped text>\n" for a
 * text with newlines or backslashes (PutLogEvents' messages: \n and \\ escaped).
 */
#ifndef ENG_FNLOG_H
#define ENG_FNLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/kv_buf.h"
#include "base/kv_slice.h"

typedef struct eng eng_t;

#define ENG_FNLOG_GROUP_PREFIX "/aws/lambda/"
#define ENG_FNLOG_LINE_MAX     (256 * 1024) /* a longer line of output is split into events */
#define ENG_FNLOG_STREAM_MAX   (64u << 20)  /* a stream stops growing here */
#define ENG_FNLOG_NAME_MAX     64           /* a function name (a group's directory) */
#define ENG_FNLOG_FILE_LEN     41           /* "YYYYMMDD-<32 hex>" */
#define ENG_FNLOG_GROUP_MAX    512          /* a log group's name */
#define ENG_FNLOG_SNAME_MAX    512          /* a log stream's name */
#define ENG_FNLOG_KMS_MAX      256

/** The directory of every function's log group, under the data directory data_dir. */
void eng_fnlog_root(const char *data_dir, char *out, size_t cap);
/** The same for an open engine. */
void eng_fnlog_dir(eng_t *e, char *out, size_t cap);

/* ---- writing (the function runner) ---- */

/** A stream being written: one per instance. */
typedef struct eng_fnlog_w {
    int fd;           /* -1: none (events are dropped) */
    uint64_t written; /* bytes written */
    char stream[64];  /* its name in the Logs API ("2026/12/04/[$LATEST]<hex>") */
} eng_fnlog_w_t;

/** Create a new instance stream in log group `group` (its directory, and its .group for a
 * group other than a function's, made as needed), named for today, the function version it
 * runs (NULL: $LATEST) and a random id, as Lambda names them ("2026/12/04/[3]<32 hex>"). On
 * failure w->fd is -1 and events written to it are dropped. @return 0 or -1. */
int eng_fnlog_create(const char *data_dir, const char *group, const char *version,
                     eng_fnlog_w_t *w);
/** Append one event at time ts_ms; newlines in text are the caller's to split. Nothing is
 * written once the stream holds ENG_FNLOG_STREAM_MAX bytes. */
void eng_fnlog_write(eng_fnlog_w_t *w, int64_t ts_ms, const char *text, size_t len);
/** Close the stream (accepts one never opened). */
void eng_fnlog_close(eng_fnlog_w_t *w);

/* ---- groups ---- */

/** Is name a function name a log group can have (its directory's name)? */
bool eng_fnlog_group_ok(kv_slice_t name);
/** Is name a log group name CloudWatch Logs accepts ([.-_/#A-Za-z0-9]{1,512})? */
bool eng_fnlog_group_name_ok(kv_slice_t name);
/** The directory of log group `group` (a valid name), whether it exists or not. */
void eng_fnlog_group_path(const char *data_dir, kv_slice_t group, char *out, size_t cap);

/** A log group's own record (its .group file). */
typedef struct eng_fnlog_group {
    char name[ENG_FNLOG_GROUP_MAX + 1];
    int64_t created_ms;
    uint32_t retention_days; /* 0: never expire */
    char kms[ENG_FNLOG_KMS_MAX + 1];
} eng_fnlog_group_t;

/** Read the group in directory entry `entry` of the root (a function's directory or
 * "@<hex>"). @return false if it is not a group. */
bool eng_fnlog_group_read(const char *root, const char *entry, eng_fnlog_group_t *g);
/** Create group g (created_ms set here). @return 0, KV_EEXIST, KV_EIO. */
int eng_fnlog_group_create(const char *data_dir, eng_fnlog_group_t *g);
/** Rewrite the record of an existing group (its retention, ...). @return 0 or KV_EIO. */
int eng_fnlog_group_update(const char *data_dir, const eng_fnlog_group_t *g);

/* ---- streams ---- */

/** Is name (a directory entry of a group) a stream file? */
bool eng_fnlog_is_stream_file(const char *name);
/** Is name a log stream name CloudWatch Logs accepts (1 to 512 bytes, no ':' or '*')? */
bool eng_fnlog_stream_name_ok(kv_slice_t name);
/** The Logs API name of an instance's stream file ("YYYY/MM/DD/[$LATEST]<32 hex>"). */
void eng_fnlog_stream_name(const char *file, char out[64]);
/** The Logs API name of any stream file of group directory dir, and its creation time (0: its
 * first event's). @return false if it has none (being created or deleted). */
bool eng_fnlog_stream_name_in(const char *dir, const char *file, char *out, size_t cap,
                              int64_t *created_ms);
/** The stream file of a Logs API stream name: an instance's, or "u-<16 hex>".
 * @return false if name is not a valid stream name. */
bool eng_fnlog_stream_file(kv_slice_t name, char out[48]);
/** Does stream file `file` of group directory dir exist and hold stream `name` (not another
 * name of the same hash)? */
bool eng_fnlog_stream_is(const char *dir, const char *file, kv_slice_t name);
/** Create stream `name` in group directory dir. @return 0, KV_EEXIST, KV_EIO. */
int eng_fnlog_stream_create(const char *dir, kv_slice_t name);
/** Delete stream file `file` of group directory dir (and its name). @return 0, KV_ENOTFOUND. */
int eng_fnlog_stream_delete(const char *dir, const char *file);
/** Append n events (times ts, texts msg, which may hold newlines) to an existing stream file.
 * @return 0, KV_ENOTFOUND, KV_EIO. */
int eng_fnlog_append(const char *dir, const char *file, const int64_t *ts, const kv_slice_t *msg,
                     size_t n);
/** Remove the events of stream file `file` older than cutoff_ms. An instance's stream is
 * rewritten only once no instance can be writing it (unchanged for ENG_FNLOG_QUIET_MS); all
 * of it expired, it goes. @return the number of events removed. */
size_t eng_fnlog_expire(const char *dir, const char *file, int64_t cutoff_ms, int64_t now_ms);
/** An instance writes its stream at least this often while it lives (its idle reap and the
 * longest invocation, with room to spare). */
#define ENG_FNLOG_QUIET_MS (30 * 60 * 1000)

/* ---- reading ---- */

/** One event of a stream file. */
typedef struct eng_fnlog_event {
    int64_t ts;
    kv_slice_t msg;  /* inside the line buffer given to eng_fnlog_next */
    long start, end; /* byte offsets of its line */
} eng_fnlog_event_t;

/** Read the event of f at *off (advanced past it) into line. @return false at the end (an
 * unfinished last line is not read). */
bool eng_fnlog_next(FILE *f, long *off, kv_buf_t *line, eng_fnlog_event_t *ev);
/** Delete a log group: its stream files, then its directory (group_dir, a path under the
 * root). */
void eng_fnlog_delete_group(const char *group_dir);

#endif
