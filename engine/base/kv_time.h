/* SPDX-License-Identifier: Apache-2.0 */
/* Clocks and AWS time formats. */
#ifndef KV_TIME_H
#define KV_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "kv_slice.h"

/** Monotonic nanoseconds. */
uint64_t kv_now_mono_ns(void);
/** Wall-clock milliseconds since the epoch. */
int64_t kv_now_ms(void);
/** "20130524T000000Z" (16 chars + NUL) into out[17]. */
void kv_time_fmt_amz(time_t t, char out[17]);
/** "Fri, 24 May 2013 00:00:00 GMT" (29 chars + NUL) into out[30]. */
void kv_time_fmt_http(time_t t, char out[30]);
/** "2013-05-24T00:00:00.000Z" (24 chars + NUL) into out[25]. */
void kv_time_fmt_iso(int64_t ms, char out[25]);
/** Parse "YYYYMMDDTHHMMSSZ"; false when malformed. */
bool kv_time_parse_amz(kv_slice_t s, time_t *out);
/** Parse an RFC 7231 IMF-fixdate; false when malformed. */
bool kv_time_parse_http(kv_slice_t s, time_t *out);

#endif
