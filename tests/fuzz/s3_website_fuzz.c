/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Static websites (issue 16, package W): the input as a WebsiteConfiguration. What
 * s3_website_parse accepts must render to a document that parses again to the same rendering
 * (the stored form is re-read on every website request). Through the api layer the input is
 * PutBucketWebsite's body, and whatever was stored is then served: website requests by Host and
 * by the path form, for fixed keys and the one the input names after a NUL byte (the document
 * is what comes before it), which is also an object write's x-amz-website-redirect-location.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_harness.h"
#include "base/kv_arena.h"
#include "base/kv_buf.h"
#include "s3/s3_int.h"

static void round_trip(kv_slice_t in)
{
    kv_arena_t *a = kv_arena_new(4096);
    s3_website_t w, back;
    s3_web_err_t err;
    if (s3_website_parse(a, in, &w, &err) == 0) {
        kv_buf_t one, two;
        kv_buf_init(&one, 8u << 20);
        kv_buf_init(&two, 8u << 20);
        s3_website_render(&w, &one);
        if (s3_website_parse(a, kv_buf_slice(&one), &back, &err) != 0)
            abort();
        s3_website_render(&back, &two);
        if (one.len != two.len || memcmp(one.p, two.p, one.len) != 0)
            abort();
        kv_buf_dispose(&one);
        kv_buf_dispose(&two);
    } else if (err.e == API_E_NONE) {
        abort(); /* a refusal always names its error */
    }
    (void)s3_website_redirect_ok(in);
    kv_arena_free(a);
}

/* A website GET of path (by Host, or the path form), its status. */
static int site_get(harness_t *h, kv_slice_t path, bool by_host, const char *method)
{
    kv_buf_t r;
    kv_buf_init(&r, 1u << 20);
    kv_buf_printf(&r, "%s %s", method, by_host ? "/" : "/_website/fz-site/");
    kv_buf_append_slice(&r, path);
    kv_buf_append_str(&r, by_host ? " HTTP/1.1\r\nHost: fz-site.s3-website.localhost:4566\r\n\r\n"
                                  : " HTTP/1.1\r\nHost: 127.0.0.1:4566\r\n\r\n");
    int st = harness_run(h, kv_buf_slice(&r), NULL);
    kv_buf_dispose(&r);
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static harness_t h;
    static int ready;
    const uint8_t *nul = memchr(data, 0, size);
    kv_slice_t in = kv_slice(data, nul ? (size_t)(nul - data) : size);
    round_trip(in);
    if (!ready) {
        if (harness_open(&h, "us-east-1") != 0)
            abort();
        harness_s3(&h, "PUT", "/fz-site", NULL, KV_SLICE_NULL, NULL);
        harness_s3(&h, "DELETE", "/fz-site", "publicAccessBlock", KV_SLICE_NULL, NULL);
        static const char policy[] =
            "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
            "\"Action\":[\"s3:GetObject\",\"s3:ListBucket\"],\"Resource\":"
            "[\"arn:aws:s3:::fz-site\",\"arn:aws:s3:::fz-site/*\"]}]}";
        harness_s3(&h, "PUT", "/fz-site", "policy", kv_slice(policy, sizeof(policy) - 1), NULL);
        harness_s3(&h, "PUT", "/fz-site/index.html", NULL, KV_SLICE_LIT("<p>home</p>"), NULL);
        harness_s3(&h, "PUT", "/fz-site/docs/index.html", NULL, KV_SLICE_LIT("docs"), NULL);
        harness_s3(&h, "PUT", "/fz-site/error.html", NULL, KV_SLICE_LIT("oops"), NULL);
        ready = 1;
    }
    int st = harness_s3(&h, "PUT", "/fz-site", "website", in, NULL);
    if (st >= 500)
        abort();
    /* What follows the NUL (up to 200 bytes, URL-safe bytes only) names a key. */
    char key[201];
    size_t n = 0;
    for (size_t i = in.len + 1; i < size && n < sizeof(key) - 1; i++)
        if (data[i] > 0x20 && data[i] < 0x7f && data[i] != '?' && data[i] != '#' && data[i] != '%')
            key[n++] = (char)data[i];
    key[n] = 0;
    static const char *const paths[] = {"", "docs", "docs/", "missing", "error.html", NULL};
    for (size_t i = 0; paths[i]; i++)
        for (int by_host = 0; by_host < 2; by_host++)
            if (site_get(&h, kv_slice_str(paths[i]), by_host, "GET") >= 500)
                abort();
    if (site_get(&h, kv_slice(key, n), true, "GET") >= 500 ||
        site_get(&h, kv_slice(key, n), false, "HEAD") >= 500 ||
        site_get(&h, kv_slice(key, n), true, "PUT") >= 500)
        abort();
    /* The same as an object's redirect location, then that object read on the site. */
    const char *hdrs[] = {"x-amz-website-redirect-location", key, NULL};
    if (harness_s3_hdrs(&h, "PUT", "/fz-site/moved", NULL, KV_SLICE_LIT("x"), hdrs, NULL) >= 500 ||
        site_get(&h, KV_SLICE_LIT("moved"), true, "GET") >= 500)
        abort();
    return 0;
}
