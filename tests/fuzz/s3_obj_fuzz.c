/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 object request headers and listing parameters through the api layer. The input is
 * split at newlines: line 1 is a Range header, line 2 an If-Match / If-None-Match value (and an
 * x-amz-tagging and an x-amz-object-attributes header),
 * line 3 a ListObjects query string (also a ListObjectVersions query and the query of a GET
 * and a DELETE of a key with versions), the rest an object key for a PUT then GET, and as the
 * x-amz-copy-source of a CopyObject and of an UploadPartCopy (whose range is line 1).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_harness.h"
#include "base/kv_buf.h"

static harness_t h;
static char upload_query[64]; /* uploadId=...&partNumber=1 of an upload kept open */

static kv_slice_t next_line(kv_slice_t *in)
{
    const uint8_t *nl = in->len ? memchr(in->p, '\n', in->len) : NULL;
    size_t n = nl ? (size_t)(nl - in->p) : in->len;
    kv_slice_t line = kv_slice(in->p, n);
    *in = nl ? kv_slice(nl + 1, in->len - n - 1) : KV_SLICE_NULL;
    return line;
}

/* Header values and keys go through the signing client: keep them printable. */
static char *printable(kv_slice_t s, char *buf, size_t cap)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    for (size_t i = 0; i < n; i++)
        buf[i] = (s.p[i] >= 0x20 && s.p[i] < 0x7f) ? (char)s.p[i] : 'x';
    buf[n] = '\0';
    return buf;
}

/* -1: the signing client refused to build the request (e.g. a malformed query), not a
 * server answer; -2: a streamed body did not match its Content-Length. */
static void check(int st)
{
    if (st == -2 || (st >= 500 && st != 501)) {
        fprintf(stderr, "s3_obj_fuzz: status %d\n", st);
        abort();
    }
}

/* One request with up to two extra headers (empty values are left out). */
static int run(const char *method, const char *path, const char *query, kv_slice_t body,
               const char *h1, const char *v1, const char *h2, const char *v2)
{
    const char *hdrs[] = {h1, v1, h2, v2, NULL};
    if (h2 == NULL)
        hdrs[2] = NULL;
    return harness_s3_hdrs(&h, method, path, query, body, h1 ? hdrs : NULL, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        if (harness_open(&h, "us-east-1") != 0)
            abort();
        check(harness_s3(&h, "PUT", "/fuzz-objects", NULL, KV_SLICE_NULL, NULL));
        static const char *const keys[] = {"a", "b/1", "b/2", "b/c/3", "c", NULL};
        for (size_t i = 0; keys[i]; i++) {
            char path[64];
            snprintf(path, sizeof(path), "/fuzz-objects/%s", keys[i]);
            check(harness_s3(&h, "PUT", path, NULL, kv_slice_str("0123456789abcdef"), NULL));
        }
        check(harness_s3(&h, "PUT", "/fuzz-versions", NULL, KV_SLICE_NULL, NULL));
        check(harness_s3(&h, "PUT", "/fuzz-versions", "versioning",
                         KV_SLICE_LIT("<VersioningConfiguration><Status>Enabled</Status>"
                                      "</VersioningConfiguration>"),
                         NULL));
        for (int i = 0; i < 3; i++)
            check(harness_s3(&h, "PUT", "/fuzz-versions/v", NULL, KV_SLICE_LIT("x"), NULL));
        kv_buf_t out;
        kv_buf_init(&out, 1 << 16);
        check(harness_s3(&h, "POST", "/fuzz-objects/upc", "uploads", KV_SLICE_NULL, &out));
        kv_buf_append(&out, "", 1);
        const char *id = strstr((const char *)out.p, "<UploadId>");
        if (id == NULL)
            abort();
        snprintf(upload_query, sizeof(upload_query), "partNumber=1&uploadId=%.16s", id + 10);
        kv_buf_dispose(&out);
        ready = 1;
    }
    kv_slice_t in = kv_slice(data, size);
    char range[256], cond[256], query[512], key[1100], path[1200];
    printable(next_line(&in), range, sizeof(range));
    printable(next_line(&in), cond, sizeof(cond));
    printable(next_line(&in), query, sizeof(query));
    printable(in, key, sizeof(key));
    check(run("GET", "/fuzz-objects/a", NULL, KV_SLICE_NULL, "Range", range, NULL, NULL));
    check(run("GET", "/fuzz-objects/a", NULL, KV_SLICE_NULL, "If-Match", cond, NULL, NULL));
    check(run("GET", "/fuzz-objects/a", NULL, KV_SLICE_NULL, "If-None-Match", cond, NULL, NULL));
    check(harness_s3(&h, "GET", "/fuzz-objects", query, KV_SLICE_NULL, NULL));
    check(harness_s3(&h, "GET", "/fuzz-objects/a", query, KV_SLICE_NULL, NULL)); /* partNumber... */
    char vq[600];
    snprintf(vq, sizeof(vq), "versions&%s", query);
    check(harness_s3(&h, "GET", "/fuzz-versions", vq, KV_SLICE_NULL, NULL));
    check(harness_s3(&h, "GET", "/fuzz-versions/v", query, KV_SLICE_NULL, NULL)); /* versionId */
    check(harness_s3(&h, "DELETE", "/fuzz-versions/v", query, KV_SLICE_NULL, NULL));
    check(harness_s3(&h, "PUT", "/fuzz-versions/v", NULL, KV_SLICE_LIT("y"), NULL));
    check(run("GET", "/fuzz-objects/a", "attributes", KV_SLICE_NULL, "x-amz-object-attributes",
              cond, NULL, NULL));
    if (key[0]) {
        snprintf(path, sizeof(path), "/fuzz-objects/%s", key);
        check(harness_s3(&h, "PUT", path, NULL, kv_slice(data, size), NULL));
        check(run("GET", path, NULL, KV_SLICE_NULL, "Range", range, NULL, NULL));
        check(harness_s3(&h, "DELETE", path, NULL, KV_SLICE_NULL, NULL));
    }
    /* The condition line as an x-amz-tagging header on a PUT. */
    if (cond[0])
        check(run("PUT", "/fuzz-objects/tagged", NULL, KV_SLICE_LIT("x"), "x-amz-tagging", cond,
                  NULL, NULL));
    /* The key line as an x-amz-copy-source, copying onto a fixed key. */
    const char *hdrs[] = {"x-amz-copy-source",
                          key[0] ? key : "fuzz-objects/a",
                          "x-amz-metadata-directive",
                          range[0] == 'R' ? "REPLACE" : "COPY",
                          "x-amz-copy-source-if-match",
                          cond,
                          NULL};
    check(harness_s3_hdrs(&h, "PUT", "/fuzz-objects/copy-target", NULL, KV_SLICE_NULL, hdrs, NULL));
    /* ... and as the source of an UploadPartCopy, with the range line as its range. */
    const char *pc[] = {"x-amz-copy-source", key[0] ? key : "fuzz-objects/a",
                        "x-amz-copy-source-range", range, NULL};
    check(harness_s3_hdrs(&h, "PUT", "/fuzz-objects/upc", upload_query, KV_SLICE_NULL, pc, NULL));
    return 0;
}
