/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A streaming multipart/form-data reader (RFC 7578): bytes go in as they arrive, parts come
 * out as callbacks, and memory stays at one part's headers. File contents of any size pass
 * straight through to the data callback.
 */
#ifndef API_MULTIPART_H
#define API_MULTIPART_H

#include <stdbool.h>
#include <stdint.h>

#include "base/kv_arena.h"
#include "base/kv_slice.h"

#define API_MP_BOUNDARY_MAX 70   /* RFC 2046 */
#define API_MP_HEADERS_MAX  8192 /* one part's header block */

typedef struct api_mp_cb {
    /** A part starts: its Content-Disposition name and filename (empty when absent) and its
     * Content-Type. Non-zero stops the reader with that value. */
    int (*begin)(void *arg, kv_slice_t name, kv_slice_t filename, kv_slice_t content_type);
    int (*data)(void *arg, const uint8_t *p, size_t n);
    int (*end)(void *arg);
} api_mp_cb_t;

typedef struct api_mp api_mp_t;

/** The boundary parameter of a multipart/form-data Content-Type; false when there is none
 * or it is malformed. */
bool api_mp_boundary(kv_slice_t content_type, kv_slice_t *boundary);
/** A reader for one body (allocated in a). */
api_mp_t *api_mp_new(kv_arena_t *a, kv_slice_t boundary, const api_mp_cb_t *cb, void *arg);
/** Feed bytes. @return 0, KV_EINVAL (not multipart/form-data), or a callback's value. */
int api_mp_feed(api_mp_t *m, const uint8_t *p, size_t n);
/** True once the closing delimiter has been read. */
bool api_mp_done(const api_mp_t *m);

#endif
