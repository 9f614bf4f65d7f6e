/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 encryption (issue 16, package E) through the api layer. The input is split at newlines:
 * line 1 an x-amz-server-side-encryption value, lines 2-4 the SSE-C algorithm, key and key MD5
 * (also as the x-amz-copy-source-… ones of a copy), line 5 an encryption context or KMS key
 * id, the rest a ServerSideEncryptionConfiguration body (and a stored bucket default). Writes
 * and reads of plain, SSE-S3 and SSE-C objects must answer without a server error, and a
 * refused configuration must leave the bucket's default as it was.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_harness.h"
#include "base/kv_arena.h"
#include "base/kv_buf.h"
#include "s3/s3_int.h"

static harness_t h;

/* A fixed customer key, its base64 and the base64 of its MD5. */
#define CK     "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
#define CK_MD5 "hRasmdxgYDKV3nvbahU1MA=="

static kv_slice_t next_line(kv_slice_t *in)
{
    const uint8_t *nl = in->len ? memchr(in->p, '\n', in->len) : NULL;
    size_t n = nl ? (size_t)(nl - in->p) : in->len;
    kv_slice_t line = kv_slice(in->p, n);
    *in = nl ? kv_slice(nl + 1, in->len - n - 1) : KV_SLICE_NULL;
    return line;
}

static char *printable(kv_slice_t s, char *buf, size_t cap)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    for (size_t i = 0; i < n; i++)
        buf[i] = (s.p[i] >= 0x20 && s.p[i] < 0x7f) ? (char)s.p[i] : 'x';
    buf[n] = '\0';
    return buf;
}

static void check(int st)
{
    if (st == -2 || (st >= 500 && st != 501)) {
        fprintf(stderr, "s3_sse_fuzz: status %d\n", st);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        if (harness_open(&h, "us-east-1") != 0)
            abort();
        check(harness_s3(&h, "PUT", "/fuzz-sse", NULL, KV_SLICE_NULL, NULL));
        check(harness_s3(&h, "PUT", "/fuzz-sse/plain", NULL, KV_SLICE_LIT("plain"), NULL));
        const char *s3[] = {"x-amz-server-side-encryption", "AES256", NULL};
        check(harness_s3_hdrs(&h, "PUT", "/fuzz-sse/s3", NULL, KV_SLICE_LIT("s3"), s3, NULL));
        const char *c[] = {"x-amz-server-side-encryption-customer-algorithm",
                           "AES256",
                           "x-amz-server-side-encryption-customer-key",
                           CK,
                           "x-amz-server-side-encryption-customer-key-MD5",
                           CK_MD5,
                           NULL};
        if (harness_s3_hdrs(&h, "PUT", "/fuzz-sse/c", NULL, KV_SLICE_LIT("c"), c, NULL) != 200 ||
            harness_s3_hdrs(&h, "GET", "/fuzz-sse/c", NULL, KV_SLICE_NULL, c, NULL) != 200 ||
            harness_s3(&h, "GET", "/fuzz-sse/c", NULL, KV_SLICE_NULL, NULL) != 400)
            abort(); /* the fixed key works, and is required */
        ready = 1;
    }
    kv_slice_t in = kv_slice(data, size);
    char sse[128], alg[128], key[256], md5[128], ctx[1024];
    printable(next_line(&in), sse, sizeof(sse));
    printable(next_line(&in), alg, sizeof(alg));
    printable(next_line(&in), key, sizeof(key));
    printable(next_line(&in), md5, sizeof(md5));
    printable(next_line(&in), ctx, sizeof(ctx));
    kv_slice_t xml = in;

    const char *w[] = {"x-amz-server-side-encryption",
                       sse,
                       "x-amz-server-side-encryption-customer-algorithm",
                       alg,
                       "x-amz-server-side-encryption-customer-key",
                       key,
                       "x-amz-server-side-encryption-customer-key-MD5",
                       md5,
                       "x-amz-server-side-encryption-context",
                       ctx,
                       "x-amz-server-side-encryption-aws-kms-key-id",
                       ctx,
                       NULL};
    int st = harness_s3_hdrs(&h, "PUT", "/fuzz-sse/w", NULL, KV_SLICE_LIT("w"), w, NULL);
    check(st);
    if (st == 200) /* whatever was accepted reads back with the same headers */
        check(harness_s3_hdrs(&h, "GET", "/fuzz-sse/w", NULL, KV_SLICE_NULL, w + 2, NULL));
    check(harness_s3_hdrs(&h, "POST", "/fuzz-sse/m", "uploads", KV_SLICE_NULL, w, NULL));
    /* The customer headers on reads of each kind of object. */
    const char *r[] = {"x-amz-server-side-encryption-customer-algorithm",
                       alg,
                       "x-amz-server-side-encryption-customer-key",
                       key,
                       "x-amz-server-side-encryption-customer-key-MD5",
                       md5,
                       NULL};
    static const char *const paths[] = {"/fuzz-sse/plain", "/fuzz-sse/s3", "/fuzz-sse/c"};
    for (size_t i = 0; i < 3; i++) {
        check(harness_s3_hdrs(&h, "GET", paths[i], NULL, KV_SLICE_NULL, r, NULL));
        check(harness_s3_hdrs(&h, "HEAD", paths[i], NULL, KV_SLICE_NULL, r, NULL));
    }
    /* ... and as a copy's source headers. */
    const char *cp[] = {"x-amz-copy-source",
                        "fuzz-sse/c",
                        "x-amz-copy-source-server-side-encryption-customer-algorithm",
                        alg,
                        "x-amz-copy-source-server-side-encryption-customer-key",
                        key,
                        "x-amz-copy-source-server-side-encryption-customer-key-MD5",
                        md5,
                        "x-amz-server-side-encryption",
                        sse,
                        NULL};
    check(harness_s3_hdrs(&h, "PUT", "/fuzz-sse/copy", NULL, KV_SLICE_NULL, cp, NULL));
    /* The configuration body: accepted ones apply to the next write; refused ones change
     * nothing. */
    kv_buf_t before, after;
    kv_buf_init(&before, 1024);
    kv_buf_init(&after, 1024);
    int g0 = harness_s3(&h, "GET", "/fuzz-sse", "encryption", KV_SLICE_NULL, &before);
    st = harness_s3(&h, "PUT", "/fuzz-sse", "encryption", xml, NULL);
    check(st);
    int g1 = harness_s3(&h, "GET", "/fuzz-sse", "encryption", KV_SLICE_NULL, &after);
    check(g1);
    if (st != 200 && (g0 != g1 || (g0 == 200 && (before.len != after.len ||
                                                 memcmp(before.p, after.p, before.len) != 0))))
        abort();
    check(harness_s3(&h, "PUT", "/fuzz-sse/d", NULL, KV_SLICE_LIT("d"), NULL));
    check(harness_s3(&h, "GET", "/fuzz-sse/d", NULL, KV_SLICE_NULL, NULL));
    check(harness_s3(&h, "DELETE", "/fuzz-sse", "encryption", KV_SLICE_NULL, NULL));
    kv_buf_dispose(&before);
    kv_buf_dispose(&after);
    /* The stored form of a bucket default, as it is read on every write. */
    kv_arena_t *a = kv_arena_new(1024);
    eng_bucket_t b = {.name = "b"};
    b.docs[ENG_BDOC_ENCRYPTION] = kv_slice(data, size);
    s3_bucket_sse_t def;
    if (s3_sse_bucket_default(&b, a, &def) && def.alg != S3_SSE_ALG_AES256 &&
        def.alg != S3_SSE_ALG_KMS)
        abort();
    kv_arena_free(a);
    return 0;
}
