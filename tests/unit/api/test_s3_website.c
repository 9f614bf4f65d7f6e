/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Static websites (issue 16, package W): the WebsiteConfiguration parser's acceptances and
 * S3's refusals, the stored rendering and its round trip, x-amz-website-redirect-location's
 * rule, and the website endpoint through the api layer (which hosts and paths it claims, and
 * its answers: index documents, redirects, HTML errors, 405).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "api_harness.h"
#include "base/kv_arena.h"
#include "base/kv_buf.h"
#include "s3/s3_int.h"

#define WC(body) "<WebsiteConfiguration>" body "</WebsiteConfiguration>"
#define INDEX    "<IndexDocument><Suffix>index.html</Suffix></IndexDocument>"

static int parse(const char *xml, s3_website_t *w, s3_web_err_t *err, kv_arena_t *a)
{
    return s3_website_parse(a, kv_slice_str(xml), w, err);
}

/* The document is refused with e, and its message starts with msg (NULL: the default). */
static void refused(const char *xml, api_err_t e, const char *msg)
{
    kv_arena_t *a = kv_arena_new(1024);
    s3_website_t w;
    s3_web_err_t err;
    if (parse(xml, &w, &err, a) == 0)
        fail_msg("accepted: %s", xml);
    assert_int_equal(err.e, e);
    if (msg == NULL)
        assert_null(err.msg);
    else if (err.msg == NULL || strncmp(err.msg, msg, strlen(msg)) != 0)
        fail_msg("%s: message %s", xml, err.msg ? err.msg : "(null)");
    kv_arena_free(a);
}

static void test_accepts(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(1024);
    s3_website_t w;
    s3_web_err_t err;
    assert_int_equal(parse(WC(INDEX), &w, &err, a), 0);
    assert_true(kv_slice_eq_str(w.index, "index.html"));
    assert_false(w.has_error || w.redirect_all);
    assert_int_equal(w.n_rules, 0);

    assert_int_equal(parse("<?xml version=\"1.0\"?><WebsiteConfiguration "
                           "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n  " INDEX
                           "\n  <ErrorDocument><Key>errors/404.html</Key></ErrorDocument>\n"
                           "</WebsiteConfiguration>",
                           &w, &err, a),
                     0);
    assert_true(w.has_error && kv_slice_eq_str(w.error_key, "errors/404.html"));

    assert_int_equal(parse(WC("<RedirectAllRequestsTo><HostName>example.com</HostName>"
                              "<Protocol>https</Protocol></RedirectAllRequestsTo>"),
                           &w, &err, a),
                     0);
    assert_true(w.redirect_all && kv_slice_eq_str(w.all_host, "example.com") &&
                kv_slice_eq_str(w.all_protocol, "https"));

    assert_int_equal(
        parse(WC(INDEX
                 "<RoutingRules>"
                 "<RoutingRule><Condition><KeyPrefixEquals>docs/</KeyPrefixEquals></Condition>"
                 "<Redirect><ReplaceKeyPrefixWith>documents/</ReplaceKeyPrefixWith></Redirect>"
                 "</RoutingRule>"
                 "<RoutingRule><Condition><HttpErrorCodeReturnedEquals>404"
                 "</HttpErrorCodeReturnedEquals><KeyPrefixEquals></KeyPrefixEquals></Condition>"
                 "<Redirect><HostName>ex.com</HostName><HttpRedirectCode>302</HttpRedirectCode>"
                 "<Protocol>http</Protocol><ReplaceKeyWith>nf.html</ReplaceKeyWith></Redirect>"
                 "</RoutingRule>"
                 "<RoutingRule><Redirect><HostName>other.com</HostName></Redirect></RoutingRule>"
                 "</RoutingRules>"),
              &w, &err, a),
        0);
    assert_int_equal(w.n_rules, 3);
    assert_true(w.rules[0].has_prefix && kv_slice_eq_str(w.rules[0].prefix, "docs/"));
    assert_true(w.rules[0].to.has_replace_prefix && !w.rules[0].to.has_replace_key);
    assert_int_equal(w.rules[0].error_code, 0);
    assert_int_equal(w.rules[1].error_code, 404);
    assert_true(w.rules[1].has_prefix && w.rules[1].prefix.len == 0);
    assert_int_equal(w.rules[1].to.code, 302);
    assert_true(kv_slice_eq_str(w.rules[1].to.replace_key, "nf.html"));
    assert_false(w.rules[2].has_prefix);
    assert_int_equal(w.rules[2].error_code, 0);
    assert_int_equal(w.rules[2].to.code, 0);
    kv_arena_free(a);
}

static void test_refusals(void **state)
{
    (void)state;
    refused("", API_E_S3_MALFORMED_XML, NULL);
    refused("<WebsiteConfiguration>", API_E_S3_MALFORMED_XML, NULL);
    refused("<Other>" INDEX "</Other>", API_E_S3_MALFORMED_XML, NULL);
    refused(WC(INDEX "<Unknown/>"), API_E_S3_MALFORMED_XML, NULL);
    refused(WC(INDEX INDEX), API_E_S3_MALFORMED_XML, NULL);
    refused(WC(""), API_E_S3_INVALID_ARGUMENT,
            "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty");
    refused(WC("<ErrorDocument><Key>e.html</Key></ErrorDocument>"), API_E_S3_INVALID_ARGUMENT,
            "A value for IndexDocument Suffix");
    refused(WC("<IndexDocument><Suffix></Suffix></IndexDocument>"), API_E_S3_INVALID_ARGUMENT,
            "The IndexDocument Suffix is not well formed");
    refused(WC("<IndexDocument></IndexDocument>"), API_E_S3_INVALID_ARGUMENT,
            "The IndexDocument Suffix is not well formed");
    refused(WC("<IndexDocument><Suffix>a/index.html</Suffix></IndexDocument>"),
            API_E_S3_INVALID_ARGUMENT, "The IndexDocument Suffix is not well formed");
    refused(WC(INDEX "<ErrorDocument></ErrorDocument>"), API_E_S3_MALFORMED_XML, NULL);
    refused(WC(INDEX "<ErrorDocument><Key></Key></ErrorDocument>"), API_E_S3_MALFORMED_XML, NULL);
    refused(WC("<RedirectAllRequestsTo><HostName>x.com</HostName></RedirectAllRequestsTo>" INDEX),
            API_E_S3_INVALID_ARGUMENT, "RedirectAllRequestsTo cannot be provided in conjunction");
    refused(WC("<RedirectAllRequestsTo><Protocol>http</Protocol></RedirectAllRequestsTo>"),
            API_E_S3_MALFORMED_XML, NULL);
    refused(WC("<RedirectAllRequestsTo><HostName>a b</HostName></RedirectAllRequestsTo>"),
            API_E_S3_MALFORMED_XML, NULL);
    refused(WC("<RedirectAllRequestsTo><HostName>x.com</HostName><Protocol>ftp</Protocol>"
               "</RedirectAllRequestsTo>"),
            API_E_S3_INVALID_REQUEST, "Invalid protocol, protocol can be http or https.");
    refused(WC(INDEX "<RoutingRules></RoutingRules>"), API_E_S3_MALFORMED_XML, NULL);
    refused(WC(INDEX "<RoutingRules><RoutingRule><Condition><KeyPrefixEquals>a</KeyPrefixEquals>"
                     "</Condition></RoutingRule></RoutingRules>"),
            API_E_S3_MALFORMED_XML, NULL);
    refused(
        WC(INDEX "<RoutingRules><RoutingRule><Redirect></Redirect></RoutingRule></RoutingRules>"),
        API_E_S3_MALFORMED_XML, NULL);
    refused(WC(INDEX "<RoutingRules><RoutingRule><Condition></Condition><Redirect><HostName>x"
                     "</HostName></Redirect></RoutingRule></RoutingRules>"),
            API_E_S3_INVALID_REQUEST, "Condition cannot be empty.");
    refused(WC(INDEX "<RoutingRules><RoutingRule><Redirect><ReplaceKeyWith>a</ReplaceKeyWith>"
                     "<ReplaceKeyPrefixWith>b</ReplaceKeyPrefixWith></Redirect></RoutingRule>"
                     "</RoutingRules>"),
            API_E_S3_INVALID_REQUEST,
            "You can only define ReplaceKeyPrefix or ReplaceKey but not both.");
    refused(WC(INDEX "<RoutingRules><RoutingRule><Condition><HttpErrorCodeReturnedEquals>302"
                     "</HttpErrorCodeReturnedEquals></Condition><Redirect><HostName>x</HostName>"
                     "</Redirect></RoutingRule></RoutingRules>"),
            API_E_S3_INVALID_REQUEST,
            "The provided HTTP error code (302) is not valid. Valid codes are 4XX or 5XX.");
    refused(WC(INDEX "<RoutingRules><RoutingRule><Condition><HttpErrorCodeReturnedEquals>x4"
                     "</HttpErrorCodeReturnedEquals></Condition><Redirect><HostName>x</HostName>"
                     "</Redirect></RoutingRule></RoutingRules>"),
            API_E_S3_MALFORMED_XML, NULL);
    refused(WC(INDEX "<RoutingRules><RoutingRule><Redirect><HttpRedirectCode>300</HttpRedirectCode>"
                     "</Redirect></RoutingRule></RoutingRules>"),
            API_E_S3_INVALID_REQUEST,
            "The provided HTTP redirect code (300) is not valid. Valid codes are 3XX except 300.");
    refused(WC(INDEX "<RoutingRules><RoutingRule><Redirect><HttpRedirectCode>404</HttpRedirectCode>"
                     "</Redirect></RoutingRule></RoutingRules>"),
            API_E_S3_INVALID_REQUEST, "The provided HTTP redirect code (404)");
    refused(WC(INDEX "<RoutingRules><RoutingRule><Redirect><Protocol>gopher</Protocol>"
                     "</Redirect></RoutingRule></RoutingRules>"),
            API_E_S3_INVALID_REQUEST, "Invalid protocol");
    /* 50 rules are accepted, 51 are refused with S3's count in the message. */
    kv_buf_t b;
    kv_buf_init(&b, 1 << 20);
    kv_buf_append_str(&b, "<WebsiteConfiguration>" INDEX "<RoutingRules>");
    for (int i = 0; i < 51; i++) {
        if (i == 50) {
            kv_arena_t *a = kv_arena_new(1024);
            s3_website_t w;
            s3_web_err_t err;
            kv_buf_t ok;
            kv_buf_init(&ok, 1 << 20);
            kv_buf_append_slice(&ok, kv_buf_slice(&b));
            kv_buf_append_str(&ok, "</RoutingRules></WebsiteConfiguration>");
            kv_buf_append_byte(&ok, 0);
            assert_int_equal(parse((const char *)ok.p, &w, &err, a), 0);
            assert_int_equal(w.n_rules, 50);
            kv_buf_dispose(&ok);
            kv_arena_free(a);
        }
        kv_buf_printf(&b,
                      "<RoutingRule><Condition><KeyPrefixEquals>p%d/</KeyPrefixEquals>"
                      "</Condition><Redirect><HostName>h</HostName></Redirect></RoutingRule>",
                      i);
    }
    kv_buf_append_str(&b, "</RoutingRules></WebsiteConfiguration>");
    kv_buf_append_byte(&b, 0);
    refused((const char *)b.p, API_E_S3_INVALID_REQUEST,
            "51 routing rules provided, the number of routing rules in a website configuration "
            "is limited to 50.");
    kv_buf_dispose(&b);
}

static void test_render(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(1024);
    s3_website_t w, back;
    s3_web_err_t err;
    assert_int_equal(
        parse(WC("\n <RoutingRules><RoutingRule><Redirect><ReplaceKeyWith>a&amp;b</ReplaceKeyWith>"
                 "<HostName>h.example</HostName></Redirect></RoutingRule></RoutingRules>"
                 "<ErrorDocument><Key>e.html</Key></ErrorDocument>" INDEX),
              &w, &err, a),
        0);
    kv_buf_t one, two;
    kv_buf_init(&one, 1 << 20);
    kv_buf_init(&two, 1 << 20);
    s3_website_render(&w, &one);
    kv_buf_append_byte(&one, 0);
    /* S3's element order, its namespace, escaping kept. */
    assert_string_equal(
        (const char *)one.p,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<WebsiteConfiguration "
        "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><IndexDocument><Suffix>index.html"
        "</Suffix></IndexDocument><ErrorDocument><Key>e.html</Key></ErrorDocument><RoutingRules>"
        "<RoutingRule><Redirect><HostName>h.example</HostName><ReplaceKeyWith>a&amp;b"
        "</ReplaceKeyWith></Redirect></RoutingRule></RoutingRules></WebsiteConfiguration>");
    one.len--;
    assert_int_equal(s3_website_parse(a, kv_buf_slice(&one), &back, &err), 0);
    s3_website_render(&back, &two);
    assert_int_equal(one.len, two.len);
    assert_memory_equal(one.p, two.p, one.len);
    kv_buf_dispose(&one);
    kv_buf_dispose(&two);
    kv_arena_free(a);
}

static void test_redirect_location(void **state)
{
    (void)state;
    assert_true(s3_website_redirect_ok(KV_SLICE_LIT("/other.html")));
    assert_true(s3_website_redirect_ok(KV_SLICE_LIT("http://example.com/x")));
    assert_true(s3_website_redirect_ok(KV_SLICE_LIT("https://example.com")));
    assert_false(s3_website_redirect_ok(KV_SLICE_LIT("")));
    assert_false(s3_website_redirect_ok(KV_SLICE_LIT("other.html")));
    assert_false(s3_website_redirect_ok(KV_SLICE_LIT("ftp://example.com")));
    assert_false(s3_website_redirect_ok(KV_SLICE_LIT("HTTP://example.com")));
    assert_false(s3_website_redirect_ok(KV_SLICE_LIT("/a\r\nSet-Cookie: x")));
    char big[S3_WEB_REDIRECT_MAX + 2];
    memset(big, 'a', sizeof(big));
    big[0] = '/';
    assert_true(s3_website_redirect_ok(kv_slice(big, S3_WEB_REDIRECT_MAX)));
    assert_false(s3_website_redirect_ok(kv_slice(big, S3_WEB_REDIRECT_MAX + 1)));
}

/* ---- the endpoint, through the api layer ---- */

static harness_t H;

static int ep_setup(void **state)
{
    (void)state;
    if (harness_open(&H, "us-east-1") != 0)
        return -1;
    static const char policy[] =
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
        "\"Action\":[\"s3:GetObject\",\"s3:ListBucket\"],\"Resource\":[\"arn:aws:s3:::my.site\","
        "\"arn:aws:s3:::my.site/pub/*\",\"arn:aws:s3:::my.site/index.html\","
        "\"arn:aws:s3:::my.site/404.html\"]}]}";
    static const char site[] =
        WC(INDEX "<ErrorDocument><Key>404.html</Key></ErrorDocument><RoutingRules><RoutingRule>"
                 "<Condition><KeyPrefixEquals>old/</KeyPrefixEquals></Condition><Redirect>"
                 "<ReplaceKeyPrefixWith>pub/</ReplaceKeyPrefixWith></Redirect></RoutingRule>"
                 "</RoutingRules>");
    const char *redirect[] = {"x-amz-website-redirect-location", "/pub/", NULL};
    if (harness_s3(&H, "PUT", "/my.site", NULL, KV_SLICE_NULL, NULL) != 200 ||
        harness_s3(&H, "PUT", "/vh-bucket", NULL, KV_SLICE_NULL, NULL) != 200 ||
        harness_s3(&H, "DELETE", "/my.site", "publicAccessBlock", KV_SLICE_NULL, NULL) != 204 ||
        harness_s3(&H, "PUT", "/my.site", "policy", kv_slice(policy, sizeof(policy) - 1), NULL) !=
            204 ||
        harness_s3(&H, "PUT", "/my.site", "website", kv_slice(site, sizeof(site) - 1), NULL) !=
            200 ||
        harness_s3(&H, "PUT", "/my.site/index.html", NULL, KV_SLICE_LIT("home"), NULL) != 200 ||
        harness_s3(&H, "PUT", "/my.site/404.html", NULL, KV_SLICE_LIT("not here"), NULL) != 200 ||
        harness_s3(&H, "PUT", "/my.site/pub/index.html", NULL, KV_SLICE_LIT("pub"), NULL) != 200 ||
        harness_s3_hdrs(&H, "PUT", "/my.site/pub/moved", NULL, KV_SLICE_LIT("x"), redirect, NULL) !=
            200 ||
        harness_s3(&H, "PUT", "/my.site/secret.txt", NULL, KV_SLICE_LIT("s"), NULL) != 200)
        return -1;
    return 0;
}

static int ep_teardown(void **state)
{
    (void)state;
    harness_close(&H);
    return 0;
}

/* A raw unsigned request; its status, with its response's text in out. */
static int site(const char *method, const char *path, const char *host, kv_buf_t *out)
{
    char raw[1024];
    snprintf(raw, sizeof(raw), "%s %s HTTP/1.1\r\nHost: %s\r\n\r\n", method, path, host);
    kv_buf_reset(out);
    int st = harness_run(&H, kv_slice_str(raw), out);
    kv_buf_append_byte(out, 0);
    return st;
}

static void test_endpoint(void **state)
{
    (void)state;
    kv_buf_t out;
    kv_buf_init(&out, 1 << 20);
    /* Every host form, and the path form. */
    static const char *const hosts[] = {
        "my.site.s3-website.localhost", "my.site.s3-website-us-east-1.localhost:4566",
        "my.site.s3-website.eu-west-1.localhost:80", "MY.SITE.S3-WEBSITE.LOCALHOST"};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(site("GET", "/", hosts[i], &out), 200);
        assert_string_equal((const char *)out.p, "home");
    }
    assert_int_equal(site("GET", "/_website/my.site/", "127.0.0.1:4566", &out), 200);
    assert_string_equal((const char *)out.p, "home");
    assert_int_equal(site("GET", "/_website/my.site", "127.0.0.1:4566", &out), 200);
    assert_int_equal(site("GET", "/pub/", hosts[0], &out), 200);
    assert_string_equal((const char *)out.p, "pub");
    /* Not website hosts: the REST endpoint answers them (unsigned: its XML refusals). */
    assert_true(site("GET", "/", "my.site.s3-website.example.com", &out) >= 400);
    assert_null(strstr((const char *)out.p, "<html>"));
    assert_true(site("GET", "/", "my.site.s3-website-bad_region.localhost", &out) >= 400);
    assert_null(strstr((const char *)out.p, "<html>"));
    assert_true(site("GET", "/_websitex/my.site/", "127.0.0.1", &out) >= 400);
    assert_null(strstr((const char *)out.p, "<html>"));
    /* On a virtual-hosted bucket the path is a key, even one starting with the path form's. */
    assert_int_equal(harness_s3(&H, "PUT", "/vh-bucket/_website/my.site/index.html", NULL,
                                KV_SLICE_LIT("a key"), NULL),
                     200);
    assert_true(site("GET", "/_website/my.site/index.html", "vh-bucket.localhost:4566", &out) >=
                400);
    assert_null(strstr((const char *)out.p, "<html>"));
    assert_true(site("GET", "/_website/my.site/", "vh-bucket.s3.localhost", &out) >= 400);
    assert_null(strstr((const char *)out.p, "<html>"));
    assert_int_equal(site("GET", "/_website/my.site/", "s3.localhost:4566", &out), 200);
    assert_string_equal((const char *)out.p, "home");
    /* A private object: 403 as an HTML page; a missing one the custom error document. */
    assert_int_equal(site("GET", "/secret.txt", hosts[0], &out), 403);
    assert_string_equal((const char *)out.p, "not here");
    assert_int_equal(site("GET", "/pub/nothing", hosts[0], &out), 404);
    assert_string_equal((const char *)out.p, "not here");
    /* Other methods: 405 as HTML. */
    assert_int_equal(site("PUT", "/x", hosts[0], &out), 405);
    assert_non_null(strstr((const char *)out.p, "<li>Code: MethodNotAllowed</li>"));
    assert_non_null(strstr((const char *)out.p, "<li>Method: PUT</li>"));
    assert_int_equal(site("DELETE", "/_website/my.site/index.html", "127.0.0.1", &out), 405);
    /* Redirects: a directory, a routing rule, an object's redirect (on the path form too). */
    assert_int_equal(site("GET", "/pub", hosts[0], &out), 302);
    assert_int_equal(site("GET", "/_website/my.site/pub", "127.0.0.1", &out), 302);
    assert_int_equal(site("GET", "/old/a.html", hosts[0], &out), 301);
    assert_int_equal(site("GET", "/pub/moved", hosts[0], &out), 301);
    /* A bucket that is not a website, and one that does not exist: S3's pages. */
    assert_int_equal(harness_s3(&H, "PUT", "/plain", NULL, KV_SLICE_NULL, NULL), 200);
    assert_int_equal(site("GET", "/", "plain.s3-website.localhost", &out), 404);
    assert_non_null(strstr((const char *)out.p, "<li>Code: NoSuchWebsiteConfiguration</li>"));
    assert_non_null(strstr((const char *)out.p, "<li>BucketName: plain</li>"));
    assert_int_equal(site("GET", "/", "nobucket.s3-website.localhost", &out), 404);
    assert_non_null(strstr((const char *)out.p, "<li>Code: NoSuchBucket</li>"));
    /* The configuration is removed: the site is gone. */
    assert_int_equal(harness_s3(&H, "GET", "/my.site", "website", KV_SLICE_NULL, &out), 200);
    assert_int_equal(harness_s3(&H, "DELETE", "/my.site", "website", KV_SLICE_NULL, NULL), 204);
    assert_int_equal(harness_s3(&H, "GET", "/my.site", "website", KV_SLICE_NULL, &out), 404);
    assert_int_equal(site("GET", "/", hosts[0], &out), 404);
    kv_buf_dispose(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_redirect_location),
        cmocka_unit_test_setup_teardown(test_endpoint, ep_setup, ep_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
