/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 XML bodies: the expat reader directly, and CreateBucket with the input as
 * its CreateBucketConfiguration through the api layer.
 */
#include <stdint.h>
#include <stdlib.h>

#include "api_harness.h"
#include "base/kv_arena.h"
#include "codec/api_xml_r.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static harness_t h;
    static int ready;
    if (!ready) {
        if (harness_open(&h, "us-east-1") != 0)
            abort();
        ready = 1;
    }
    kv_arena_t *a = kv_arena_new(4096);
    api_xnode_t *root;
    if (api_xml_parse(a, kv_slice(data, size), &root) == 0 && root == NULL)
        abort();
    kv_arena_free(a);
    int st = harness_s3(&h, "PUT", "/fuzz-bucket", NULL, kv_slice(data, size), NULL);
    if (st >= 500 && st != 501)
        abort();
    harness_s3(&h, "DELETE", "/fuzz-bucket", NULL, KV_SLICE_NULL, NULL);
    return 0;
}
