/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Function logs on disk, the one owner of their format: what CloudWatch Logs would keep for a
 * function, one log group per function (/aws/lambda/<name>) and one stream per instance. The
 * function runner writes them (server/), the Logs API reads and deletes them (api/), the
 * engine knows where they live. Layout:
 *
 *   <data dir>/functions/logs/<function>/<YYYYMMDD>-<32 hex>   one stream
 *
 * and a stream file is a sequence of events, one line each: "<ms>\t<text>\n" (text holds no
 * newline; an unfinished last line is not an event yet). A stream named in the Logs API is
 * "YYYY/MM/DD/[$LATEST]<32 hex>".
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

/** Create a new stream of function fn (its group directory made as needed), named for today
 * and a random id. On failure w->fd is -1 and events written to it are dropped.
 * @return 0 or -1. */
int eng_fnlog_create(const char *data_dir, const char *fn, eng_fnlog_w_t *w);
/** Append one event at time ts_ms; newlines in text are the caller's to split. Nothing is
 * written once the stream holds ENG_FNLOG_STREAM_MAX bytes. */
void eng_fnlog_write(eng_fnlog_w_t *w, int64_t ts_ms, const char *text, size_t len);
/** Close the stream (accepts one never opened). */
void eng_fnlog_close(eng_fnlog_w_t *w);

/* ---- reading and deleting (the Logs API) ---- */

/** Is name a function name a log group can have (its directory's name)? */
bool eng_fnlog_group_ok(kv_slice_t name);
/** Is name (a directory entry of a group) a stream file? */
bool eng_fnlog_is_stream_file(const char *name);
/** The Logs API name of stream file file ("YYYY/MM/DD/[$LATEST]<32 hex>"). */
void eng_fnlog_stream_name(const char *file, char out[64]);
/** The stream file of a Logs API stream name. @return false if name is not one. */
bool eng_fnlog_stream_file(kv_slice_t name, char out[48]);

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
