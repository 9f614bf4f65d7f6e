/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Streaming gzip/deflate decompression of a request body (issue 17, package H). zlib keeps its
 * own state between feeds, so a body split anywhere decompresses the same; each feed produces
 * output in 16 KiB runs straight into the sink, which bounds what is kept.
 */
#include "api_inflate.h"

#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include <zlib.h>

#include "base/kv_alloc.h"

#define RUN (16u << 10) /* the largest run handed to the sink */

struct api_inflate {
    z_stream s;
    api_coding_t coding;
    int err;    /* sticky: the first error */
    bool ended; /* a stream (member) ended and no byte of another was taken since */
    uint64_t total;
};

api_coding_t api_coding_of(kv_slice_t v)
{
    v = kv_slice_trim(v);
    if (v.len == 0 || kv_slice_eq_nocase(v, "identity"))
        return API_CODING_IDENTITY;
    if (kv_slice_eq_nocase(v, "gzip") || kv_slice_eq_nocase(v, "x-gzip"))
        return API_CODING_GZIP;
    if (kv_slice_eq_nocase(v, "deflate"))
        return API_CODING_DEFLATE;
    return API_CODING_UNSUPPORTED;
}

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    if (size && items > SIZE_MAX / size)
        return Z_NULL;
    return kv_malloc((size_t)items * size);
}

static void z_free(voidpf opaque, voidpf p)
{
    (void)opaque;
    kv_free(p);
}

api_inflate_t *api_inflate_new(api_coding_t coding)
{
    if (coding != API_CODING_GZIP && coding != API_CODING_DEFLATE)
        return NULL;
    api_inflate_t *z = kv_calloc(1, sizeof(*z));
    z->coding = coding;
    z->s.zalloc = z_alloc;
    z->s.zfree = z_free;
    /* 16 + 15: a gzip wrapper only; 15: a zlib wrapper only (HTTP's "deflate"). */
    if (inflateInit2(&z->s, coding == API_CODING_GZIP ? 16 + MAX_WBITS : MAX_WBITS) != Z_OK) {
        kv_free(z);
        return NULL;
    }
    return z;
}

static int fail(api_inflate_t *z, int err)
{
    z->err = err;
    return err;
}

/* Decompress what s.next_in holds. */
static int run(api_inflate_t *z, api_inflate_sink_fn sink, void *arg)
{
    uint8_t out[RUN];
    bool pending = false; /* the last call filled the output: more may be waiting */
    while (z->s.avail_in > 0 || pending) {
        if (z->ended) {
            if (z->s.avail_in == 0)
                break;
            /* Bytes after the end: gzip allows another member (RFC 1952 section 2.2); a zlib
             * stream is one stream. */
            if (z->coding != API_CODING_GZIP || inflateReset(&z->s) != Z_OK)
                return fail(z, API_INFLATE_E_DATA);
            z->ended = false;
        }
        z->s.next_out = out;
        z->s.avail_out = sizeof(out);
        int rc = inflate(&z->s, Z_NO_FLUSH);
        size_t got = sizeof(out) - z->s.avail_out;
        pending = z->s.avail_out == 0;
        if (got) {
            z->total += got;
            int src = sink(arg, out, got);
            if (src < 0)
                return fail(z, src);
        }
        if (rc == Z_STREAM_END) {
            z->ended = true;
            pending = false;
        } else if (rc == Z_BUF_ERROR) {
            break; /* no progress without more input */
        } else if (rc != Z_OK) {
            return fail(z, API_INFLATE_E_DATA); /* Z_DATA_ERROR, Z_NEED_DICT, Z_MEM_ERROR */
        }
    }
    return 0;
}

int api_inflate_feed(api_inflate_t *z, const uint8_t *p, size_t n, api_inflate_sink_fn sink,
                     void *arg)
{
    if (z->err)
        return z->err;
    while (n > 0) {
        uInt take = n > (1u << 30) ? (1u << 30) : (uInt)n;
        z->s.next_in = (Bytef *)(uintptr_t)p;
        z->s.avail_in = take;
        int rc = run(z, sink, arg);
        if (rc < 0)
            return rc;
        p += take;
        n -= take;
    }
    return 0;
}

int api_inflate_end(api_inflate_t *z)
{
    if (z->err)
        return z->err;
    return z->ended ? 0 : fail(z, API_INFLATE_E_DATA);
}

uint64_t api_inflate_total(const api_inflate_t *z)
{
    return z->total;
}

void api_inflate_free(api_inflate_t *z)
{
    if (z == NULL)
        return;
    inflateEnd(&z->s);
    kv_free(z);
}
