/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON reader (api/codec/api_json_r.c, issue 18), differentially against jansson, the
 * reader it replaced: both must accept or refuse the same text (except nesting deeper than
 * ours, which jansson allows to 2048, and our memory budget), and for text both accept, our
 * compact dump must equal jansson's (JSON_COMPACT | JSON_PRESERVE_ORDER): the same values,
 * the same repeated-key rule, the same member order. One known difference is left out: jansson
 * skips a raw NUL byte between tokens ("[1\0]" reads as [1]), which RFC 8259 does not allow
 * and ours refuses; text with a raw NUL is only checked not to crash.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/kv_arena.h"
#include "base/kv_buf.h"
#include "base/kv_err.h"
#include "codec/api_json_r.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    kv_arena_t *a = kv_arena_new(4096);
    api_json_t *v = NULL;
    const char *err = NULL;
    int rc = api_json_parse(a, kv_slice(data, size), &v, &err);
    json_error_t je;
    json_t *j = json_loadb((const char *)data, size, JSON_ALLOW_NUL, &je);
    bool deep = rc == KV_EINVAL && err && strcmp(err, "Nesting too deep") == 0;
    if (rc == KV_ETOOBIG || deep || memchr(data, 0, size)) {
        /* ours refuses what jansson may take: nothing to compare */
    } else if ((rc == 0) != (j != NULL)) {
        abort(); /* one reader accepts what the other refuses */
    } else if (rc == 0) {
        kv_buf_t ours;
        kv_buf_init(&ours, 64u << 20);
        if (!api_json_dump(v, &ours))
            abort();
        char *theirs = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
        if (theirs == NULL || strlen(theirs) != ours.len || memcmp(theirs, ours.p, ours.len))
            abort();
        free(theirs);
        kv_buf_dispose(&ours);
    }
    json_decref(j);
    kv_arena_free(a);
    return 0;
}
