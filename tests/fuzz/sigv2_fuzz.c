/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SigV2 (issue 15, package V): the first byte picks the parser (Authorization header, query
 * credentials, a Date value, or the string to sign of a request whose query, path and headers
 * come from the input); the rest is its input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/sigv2.h"
#include "base/kv_arena.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    kv_slice_t in = kv_slice(data + 1, size - 1);
    kv_arena_t *a = kv_arena_new(4096);
    kv_buf_t b;
    kv_buf_init(&b, 1 << 20);
    sigv2_auth_t au;
    time_t t;
    switch (data[0] % 4) {
    case 0:
        sigv2_is_header(in);
        if (sigv2_parse_header(in, &au) == SIGV2_OK &&
            (au.access_key.len == 0 || au.signature.len == 0))
            abort();
        break;
    case 1:
        sigv2_is_query(in);
        if (sigv2_parse_query(in, a, &au) == SIGV2_OK &&
            (au.access_key.len == 0 || au.signature.len == 0))
            abort();
        break;
    case 2:
        sigv2_parse_date(in, &t);
        break;
    default: {
        /* Split the input at its first two NULs: query, path, then "name:value\n" headers. */
        const uint8_t *z1 = memchr(in.p, 0, in.len);
        kv_slice_t query = z1 ? kv_slice(in.p, (size_t)(z1 - in.p)) : in;
        kv_slice_t rest = z1 ? kv_slice(z1 + 1, in.len - query.len - 1) : KV_SLICE_NULL;
        const uint8_t *z2 = rest.len ? memchr(rest.p, 0, rest.len) : NULL;
        kv_slice_t path = z2 ? kv_slice(rest.p, (size_t)(z2 - rest.p)) : rest;
        kv_slice_t hs = z2 ? kv_slice(z2 + 1, rest.len - path.len - 1) : KV_SLICE_NULL;
        sigv4_hdr_t h[64];
        size_t n = 0;
        while (hs.len && n < 64) {
            const uint8_t *nl = memchr(hs.p, '\n', hs.len);
            kv_slice_t line = nl ? kv_slice(hs.p, (size_t)(nl - hs.p)) : hs;
            const uint8_t *c = memchr(line.p, ':', line.len);
            h[n].name = c ? kv_slice(line.p, (size_t)(c - line.p)) : line;
            h[n].value = c ? kv_slice(c + 1, line.len - h[n].name.len - 1) : KV_SLICE_NULL;
            n++;
            hs = nl ? kv_slice(nl + 1, hs.len - line.len - 1) : KV_SLICE_NULL;
        }
        for (int mode = 0; mode < 4; mode++) {
            sigv2_req_t r = {
                .method = KV_SLICE_LIT("GET"),
                .raw_path = path,
                .raw_query = query,
                .hdrs = h,
                .n_hdrs = n,
                .vhost_bucket = mode & 1 ? KV_SLICE_LIT("bucket") : KV_SLICE_NULL,
                .query_auth = mode & 2,
                .expires = KV_SLICE_LIT("1175139620"),
                .raw_values = mode == 3,
            };
            kv_buf_reset(&b);
            if (sigv2_string_to_sign(&b, &r, a)) {
                char sig[SIGV2_SIG_LEN + 1];
                sigv2_sign(KV_SLICE_LIT("secret"), kv_buf_slice(&b), sig);
                if (strlen(sig) != SIGV2_SIG_LEN ||
                    !sigv2_verify(KV_SLICE_LIT("secret"), kv_buf_slice(&b), kv_slice_str(sig)))
                    abort();
                kv_buf_t bytes;
                kv_buf_init(&bytes, 3 << 20);
                sigv2_sts_bytes(&bytes, kv_buf_slice(&b));
                kv_buf_dispose(&bytes);
            }
        }
    }
    }
    kv_buf_dispose(&b);
    kv_arena_free(a);
    return 0;
}
