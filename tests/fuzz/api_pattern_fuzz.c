/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Event patterns (api_pattern.c): the input is a pattern and an event separated by the first
 * NUL byte; the pattern is compiled and, when valid, matched against the event.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/kv_arena.h"
#include "codec/api_json_r.h"
#include "codec/api_pattern.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t plen = nul ? (size_t)(nul - data) : size;
    kv_slice_t pat = kv_slice(data, plen);
    kv_slice_t ev = nul ? kv_slice(nul + 1, size - plen - 1) : kv_slice_str("{}");
    kv_arena_t *a = kv_arena_new(4096);
    api_pattern_t *p;
    api_json_t *doc;
    const char *err;
    for (unsigned opts = 0; opts <= API_PAT_NUMSTR; opts++)
        if (api_pattern_compile(a, pat, opts, &p, &err) == 0 &&
            api_json_parse(a, ev, &doc, &err) == 0)
            (void)api_pattern_match(p, doc);
    kv_arena_free(a);
    return 0;
}
