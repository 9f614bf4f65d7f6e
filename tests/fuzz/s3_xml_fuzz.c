/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 XML bodies: the expat reader directly, CreateBucket with the input as its
 * CreateBucketConfiguration, and DeleteObjects with the input as its Delete document
 * (signed with a matching Content-MD5), Put{Object,Bucket}Tagging, PutBucketAcl,
 * CompleteMultipartUpload, PutBucketVersioning, PutBucketCors, PutBucketLifecycleConfiguration,
 * PutBucketPolicy, PutPublicAccessBlock and the account's (S3 Control), through the api layer;
 * then whatever CORS rules, lifecycle rules and policies were accepted are evaluated (a GET with
 * an Origin, a preflight, an unsigned GET, a lifecycle sweep).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_harness.h"
#include "auth/api_cksum.h"
#include "base/kv_arena.h"
#include "base/kv_b64.h"
#include "base/kv_buf.h"
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

    static int bucket_ready;
    if (!bucket_ready) {
        harness_s3(&h, "PUT", "/fuzz-delete", NULL, KV_SLICE_NULL, NULL);
        bucket_ready = 1;
    }
    api_ck_t ck;
    uint8_t md5[API_CK_MAX];
    api_ck_init(&ck, API_CK_MD5);
    api_ck_update(&ck, data, size);
    api_ck_final(&ck, md5);
    api_ck_dispose(&ck);
    kv_buf_t b64;
    kv_buf_init(&b64, 32);
    kv_b64_encode(&b64, md5, 16);
    kv_buf_append(&b64, "", 1); /* NUL-terminate for the header */
    const char *hdrs[] = {"Content-MD5", (const char *)b64.p, NULL};
    st = harness_s3_hdrs(&h, "POST", "/fuzz-delete", "delete", kv_slice(data, size), hdrs, NULL);
    if (st >= 500)
        abort();
    kv_buf_dispose(&b64);
    /* The same bytes as an object's Tagging document. */
    st = harness_s3(&h, "PUT", "/fuzz-delete/obj", "tagging", kv_slice(data, size), NULL);
    if (st >= 500)
        abort();
    /* ... and as a bucket's Tagging document. */
    st = harness_s3(&h, "PUT", "/fuzz-delete", "tagging", kv_slice(data, size), NULL);
    if (st >= 500)
        abort();
    /* The same bytes as an AccessControlPolicy. */
    st = harness_s3(&h, "PUT", "/fuzz-delete", "acl", kv_slice(data, size), NULL);
    if (st >= 500)
        abort();
    /* The same bytes as a CompleteMultipartUpload document (of an upload that is not there). */
    st = harness_s3(&h, "POST", "/fuzz-delete/key", "uploadId=0123456789abcdef",
                    kv_slice(data, size), NULL);
    if (st >= 500)
        abort();
    /* Bucket configuration documents, then their enforcement. */
    static const char *const docs[] = {
        "versioning", "cors", "lifecycle", "policy", "notification", "publicAccessBlock", NULL};
    for (size_t i = 0; docs[i]; i++) {
        st = harness_s3(&h, "PUT", "/fuzz-delete", docs[i], kv_slice(data, size), NULL);
        if (st >= 500)
            abort();
    }
    /* The same bytes as the account's public access block (S3 Control, issue 15). */
    const char *account[] = {"x-amz-account-id", "000000000000", NULL};
    st = harness_s3_hdrs(&h, "PUT", "/v20180820/configuration/publicAccessBlock", NULL,
                         kv_slice(data, size), account, NULL);
    if (st >= 500)
        abort();
    harness_s3(&h, "PUT", "/fuzz-delete/obj", NULL, KV_SLICE_LIT("x"), NULL);
    /* An unsigned read: the anonymous principal against whatever policy was accepted. */
    static const char anon[] = "GET /fuzz-delete/obj HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    if (harness_run(&h, kv_slice(anon, sizeof(anon) - 1), NULL) >= 500)
        abort();
    const char *origin[] = {"Origin", "http://127.0.0.1:8000", NULL};
    if (harness_s3_hdrs(&h, "GET", "/fuzz-delete/obj", NULL, KV_SLICE_NULL, origin, NULL) >= 500)
        abort();
    static const char preflight[] = "OPTIONS /fuzz-delete/obj HTTP/1.1\r\n"
                                    "Host: 127.0.0.1\r\n"
                                    "Origin: http://127.0.0.1:8000\r\n"
                                    "Access-Control-Request-Method: PUT\r\n"
                                    "Access-Control-Request-Headers: content-type, x-amz-date\r\n"
                                    "\r\n";
    if (harness_run(&h, kv_slice(preflight, sizeof(preflight) - 1), NULL) >= 500)
        abort();
    api_sched_step(h.ctx);
    return 0;
}
