/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SigV4 parsing: the first byte picks the parser (Authorization header,
 * presigned query and canonical query, canonical URI, canonical headers, or
 * an aws-chunked body in each mode); the rest is its input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/sigv4.h"
#include "auth/sigv4_chunked.h"
#include "base/kv_arena.h"

static int sink(void *arg, const uint8_t *p, size_t n)
{
    (void)p;
    *(size_t *)arg += n;
    return *(size_t *)arg > (1u << 24);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    kv_slice_t in = kv_slice(data + 1, size - 1);
    kv_arena_t *a = kv_arena_new(4096);
    kv_buf_t b;
    kv_buf_init(&b, 1 << 20);
    sigv4_auth_t au;
    switch (data[0] % 6) {
    case 0:
        if (sigv4_parse_header(in, &au) == SIGV4_OK && (au.signature.len != 64 || au.date.len != 8))
            abort();
        break;
    case 1:
        sigv4_is_presigned(in);
        sigv4_parse_query(in, a, &au);
        sigv4_canonical_query(&b, in, a);
        break;
    case 2:
        sigv4_canonical_uri(&b, in, false);
        kv_buf_reset(&b);
        sigv4_canonical_uri(&b, in, true);
        kv_buf_reset(&b);
        sigv4_uri_decode(&b, in);
        break;
    case 3: {
        sigv4_hdr_t h[4] = {{KV_SLICE_LIT("host"), in},
                            {KV_SLICE_LIT("x-amz-date"), KV_SLICE_LIT("20130524T000000Z")},
                            {in, in},
                            {KV_SLICE_LIT("Host"), KV_SLICE_LIT(" a  b ")}};
        sigv4_canonical_headers(&b, in, h, 4);
        break;
    }
    default: {
        static const uint8_t key[32];
        sigv4_chunked_t c;
        sigv4_ch_mode_t mode = data[0] % 6 == 4 ? SIGV4_CH_SIGNED : SIGV4_CH_UNSIGNED_TRAILER;
        sigv4_chunked_init(&c, mode, key, KV_SLICE_LIT("20130524T000000Z"),
                           KV_SLICE_LIT("20130524/us-east-1/s3/aws4_request"),
                           KV_SLICE_LIT("4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa"
                                        "80a0a9"),
                           mode == SIGV4_CH_SIGNED ? API_CK_NONE : API_CK_CRC32, -1);
        size_t got = 0;
        /* Feed in uneven pieces. */
        for (size_t i = 0; i < in.len;) {
            size_t n = 1 + (in.p[i] % 97);
            if (n > in.len - i)
                n = in.len - i;
            if (sigv4_chunked_feed(&c, in.p + i, n, sink, &got) != SIGV4_CH_OK)
                break;
            i += n;
        }
        sigv4_chunked_finish(&c);
        sigv4_chunked_dispose(&c);
    }
    }
    kv_buf_dispose(&b);
    kv_arena_free(a);
    return 0;
}
