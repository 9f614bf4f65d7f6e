/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Streaming JSON writer over kv_buf_t: no DOM, RFC 8259 escaping, a depth
 * stack that places commas and catches mismatched nesting (sticky error).
 */
#ifndef API_JW_H
#define API_JW_H

#include <stdbool.h>
#include <stdint.h>

#include "base/kv_buf.h"

#define API_JW_MAX_DEPTH 64

typedef struct api_jw {
    kv_buf_t *out;
    int depth;
    bool first[API_JW_MAX_DEPTH];
    bool after_key;
    bool failed;
} api_jw_t;

void api_jw_init(api_jw_t *w, kv_buf_t *out);
void api_jw_obj_begin(api_jw_t *w);
void api_jw_obj_end(api_jw_t *w);
void api_jw_arr_begin(api_jw_t *w);
void api_jw_arr_end(api_jw_t *w);
void api_jw_key(api_jw_t *w, const char *k);
/** A key given as bytes (attribute names may hold any UTF-8). */
void api_jw_key_slice(api_jw_t *w, kv_slice_t k);
void api_jw_str(api_jw_t *w, kv_slice_t s);
void api_jw_cstr(api_jw_t *w, const char *s);
void api_jw_i64(api_jw_t *w, int64_t v);
void api_jw_u64(api_jw_t *w, uint64_t v);
/** Seconds with millisecond fraction, as DynamoDB writes timestamps (1.700000000123E9 style not
 * needed). */
void api_jw_epoch_ms(api_jw_t *w, int64_t ms);
void api_jw_bool(api_jw_t *w, bool v);
void api_jw_null(api_jw_t *w);
/** Append a pre-formatted JSON value (trusted). */
void api_jw_raw(api_jw_t *w, kv_slice_t s);
/** Shorthands: key + value. */
void api_jw_kstr(api_jw_t *w, const char *k, const char *v);
void api_jw_ku64(api_jw_t *w, const char *k, uint64_t v);
void api_jw_kbool(api_jw_t *w, const char *k, bool v);
/** True when the output is complete and well-nested and the buffer did not fail. */
bool api_jw_ok(const api_jw_t *w);
/** Append s JSON-escaped (without quotes) to b. */
void api_json_escape(kv_buf_t *b, kv_slice_t s);

#endif
