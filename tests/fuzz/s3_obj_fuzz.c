/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 object request headers and listing parameters through the api layer. The input is
 * split at newlines: line 1 is a Range header, line 2 an If-Match / If-None-Match value (and an
 * x-amz-tagging and an x-amz-object-attributes header),
 * line 3 a ListObjects query string, the rest an object key for a PUT then GET, and as the
 * x-amz-copy-source of a CopyObject.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_harness.h"
#include "base/kv_buf.h"

static harness_t h;

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

static int raw_get(const char *path, const char *hname, const char *hval)
{
    cli_req_t r;
    memset(&r, 0, sizeof(r));
    r.method = "GET";
    r.path = path;
    r.host = "127.0.0.1:4566";
    r.service = "s3";
    if (hval[0])
        cli_req_header(&r, hname, hval);
    kv_buf_t b, out;
    kv_buf_init(&b, 1u << 20);
    kv_buf_init(&out, 4096);
    int st = -1;
    if (cli_build(&h.creds, &r, &b) == 0)
        st = harness_run(&h, kv_buf_slice(&b), &out);
    kv_buf_dispose(&b);
    kv_buf_dispose(&out);
    return st;
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
        ready = 1;
    }
    kv_slice_t in = kv_slice(data, size);
    char range[256], cond[256], query[512], key[1100], path[1200];
    printable(next_line(&in), range, sizeof(range));
    printable(next_line(&in), cond, sizeof(cond));
    printable(next_line(&in), query, sizeof(query));
    printable(in, key, sizeof(key));
    check(raw_get("/fuzz-objects/a", "Range", range));
    check(raw_get("/fuzz-objects/a", "If-Match", cond));
    check(raw_get("/fuzz-objects/a", "If-None-Match", cond));
    check(harness_s3(&h, "GET", "/fuzz-objects", query, KV_SLICE_NULL, NULL));
    check(harness_s3(&h, "GET", "/fuzz-objects/a", query, KV_SLICE_NULL, NULL)); /* partNumber... */
    {
        cli_req_t g;
        memset(&g, 0, sizeof(g));
        g.method = "GET";
        g.path = "/fuzz-objects/a";
        g.query = "attributes";
        g.host = "127.0.0.1:4566";
        g.service = "s3";
        if (cond[0])
            cli_req_header(&g, "x-amz-object-attributes", cond);
        kv_buf_t gb;
        kv_buf_init(&gb, 1u << 20);
        if (cli_build(&h.creds, &g, &gb) == 0)
            check(harness_run(&h, kv_buf_slice(&gb), NULL));
        kv_buf_dispose(&gb);
    }
    if (key[0]) {
        snprintf(path, sizeof(path), "/fuzz-objects/%s", key);
        check(harness_s3(&h, "PUT", path, NULL, kv_slice(data, size), NULL));
        check(raw_get(path, "Range", range));
        check(harness_s3(&h, "DELETE", path, NULL, KV_SLICE_NULL, NULL));
    }
    /* The condition line as an x-amz-tagging header on a PUT. */
    if (cond[0]) {
        cli_req_t t;
        memset(&t, 0, sizeof(t));
        t.method = "PUT";
        t.path = "/fuzz-objects/tagged";
        t.host = "127.0.0.1:4566";
        t.service = "s3";
        t.body = KV_SLICE_LIT("x");
        cli_req_header(&t, "x-amz-tagging", cond);
        kv_buf_t tb;
        kv_buf_init(&tb, 1u << 20);
        if (cli_build(&h.creds, &t, &tb) == 0)
            check(harness_run(&h, kv_buf_slice(&tb), NULL));
        kv_buf_dispose(&tb);
    }
    /* The key line as an x-amz-copy-source, copying onto a fixed key. */
    cli_req_t r;
    memset(&r, 0, sizeof(r));
    r.method = "PUT";
    r.path = "/fuzz-objects/copy-target";
    r.host = "127.0.0.1:4566";
    r.service = "s3";
    cli_req_header(&r, "x-amz-copy-source", key[0] ? key : "fuzz-objects/a");
    cli_req_header(&r, "x-amz-metadata-directive", range[0] == 'R' ? "REPLACE" : "COPY");
    if (cond[0])
        cli_req_header(&r, "x-amz-copy-source-if-match", cond);
    kv_buf_t b;
    kv_buf_init(&b, 1u << 20);
    if (cli_build(&h.creds, &r, &b) == 0)
        check(harness_run(&h, kv_buf_slice(&b), NULL));
    kv_buf_dispose(&b);
    return 0;
}
