/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A request body's Content-Encoding (issue 17, package H): gzip (RFC 1952, members may follow
 * one another) or deflate (RFC 9110: the zlib format of RFC 1950, one stream), decompressed as
 * the body arrives. The caller's sink takes each decompressed run and enforces the size limit,
 * so memory stays at the sink's buffer plus zlib's window, whatever the compression ratio.
 */
#ifndef API_INFLATE_H
#define API_INFLATE_H

#include <stddef.h>
#include <stdint.h>

#include "base/kv_slice.h"

typedef enum api_coding {
    API_CODING_IDENTITY = 0, /* no Content-Encoding, or "identity" */
    API_CODING_GZIP,
    API_CODING_DEFLATE,
    API_CODING_UNSUPPORTED, /* any other coding, or a list of codings */
} api_coding_t;

/** The coding a Content-Encoding value names (case-insensitive, surrounding blanks ignored). */
api_coding_t api_coding_of(kv_slice_t content_encoding);

/** The stream is not valid gzip or deflate: a bad header, bad data, a check value that does not
 * match, bytes after the end (deflate), bytes after a member that start no member (gzip), or
 * (api_inflate_end) a stream cut short. */
#define API_INFLATE_E_DATA (-100)

/** Decompressed bytes: 0 to go on, or a negative code that stops the stream and is returned. */
typedef int (*api_inflate_sink_fn)(void *arg, const uint8_t *p, size_t n);

typedef struct api_inflate api_inflate_t;

/** A decompressor for coding (API_CODING_GZIP or API_CODING_DEFLATE). Free with
 * api_inflate_free. */
api_inflate_t *api_inflate_new(api_coding_t coding);
/**
 * Feed the next n bytes of the encoded body (any split). Decompressed bytes go to sink as they
 * come out, in runs of at most 16 KiB. @return 0, API_INFLATE_E_DATA, or the sink's negative
 * code; after an error the decompressor takes no more input (every later call returns it).
 */
int api_inflate_feed(api_inflate_t *z, const uint8_t *p, size_t n, api_inflate_sink_fn sink,
                     void *arg);
/** The body is complete: 0 if it ended exactly at the end of a stream (gzip: of a member),
 * else API_INFLATE_E_DATA (empty, truncated) or the error an earlier feed returned. */
int api_inflate_end(api_inflate_t *z);
/** Decompressed bytes produced so far. */
uint64_t api_inflate_total(const api_inflate_t *z);
void api_inflate_free(api_inflate_t *z);

#endif
