/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key codec properties on arbitrary input: a number that parses round-trips
 * through encode/decode/format, two numbers encode in their numeric order,
 * escaped bytes round-trip, and decoding garbage never crashes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eng_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kv_slice_t all = kv_slice(data, size);
    const uint8_t *sep = memchr(data, '|', size);
    kv_slice_t x = sep ? kv_slice(data, (size_t)(sep - data)) : all;
    kv_slice_t y = sep ? kv_slice(sep + 1, size - x.len - 1) : KV_SLICE_LIT("0");
    eng_num_t a, b, c;
    kv_buf_t ea, eb, t;
    /* Escaping at most doubles the input; formatting is bounded by the exponent range. */
    kv_buf_init(&ea, 2 * size + 64);
    kv_buf_init(&eb, 2 * size + 64);
    kv_buf_init(&t, size + 8192);
    if (eng_num_parse(x, &a) == ENG_NUM_OK) {
        eng_num_encode(&a, &ea);
        kv_slice_t in = kv_buf_slice(&ea);
        if (eng_num_decode(&in, &c) != 0 || in.len != 0 || eng_num_cmp(&a, &c) != 0)
            abort();
        eng_num_format(&c, &t);
        eng_num_t r;
        if (eng_num_parse(kv_buf_slice(&t), &r) != ENG_NUM_OK || eng_num_cmp(&r, &a) != 0)
            abort();
        if (eng_num_parse(y, &b) == ENG_NUM_OK) {
            eng_num_encode(&b, &eb);
            int k = kv_slice_cmp(kv_buf_slice(&ea), kv_buf_slice(&eb));
            int m = eng_num_cmp(&a, &b);
            if ((k > 0) - (k < 0) != (m > 0) - (m < 0))
                abort();
        }
    }
    /* Garbage decodes fail cleanly. */
    kv_slice_t in = all;
    eng_num_decode(&in, &c);
    kv_buf_reset(&t);
    in = all;
    eng_key_get_bytes(&in, &t);
    /* Bytes round-trip. */
    kv_buf_reset(&ea);
    kv_buf_reset(&t);
    eng_key_put_bytes(&ea, all);
    in = kv_buf_slice(&ea);
    if (eng_key_get_bytes(&in, &t) != 0 || t.len != size || (size && memcmp(t.p, data, size)))
        abort();
    kv_buf_dispose(&ea);
    kv_buf_dispose(&eb);
    kv_buf_dispose(&t);
    return 0;
}
