/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 server access logging (issue 16, package G): the access-log line (fields, quoting,
 * escaping, bounds), operation names, log object keys, the BucketLoggingStatus parser and the
 * stored form, and the engine's journal (append, order, delivery with deletion in one batch,
 * drop).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/kv_arena.h"
#include "base/kv_buf.h"
#include "eng_alog.h"
#include "s3/s3_int.h"

static char *line_of(const s3_alog_fields_t *f)
{
    kv_buf_t b;
    kv_buf_init(&b, 1u << 20);
    s3_alog_format(f, &b);
    assert_false(kv_buf_failed(&b));
    char *s = calloc(1, b.len + 1);
    memcpy(s, b.p, b.len);
    kv_buf_dispose(&b);
    return s;
}

static s3_alog_fields_t sample(void)
{
    s3_alog_fields_t f = {
        .owner = KV_SLICE_LIT("79a5"),
        .bucket = KV_SLICE_LIT("src"),
        .time_ms = 1549411238000, /* 2019-02-06 00:00:38 UTC */
        .remote_ip = KV_SLICE_LIT("192.0.2.3"),
        .requester = KV_SLICE_LIT("arn:aws:iam::000000000000:root"),
        .request_id = KV_SLICE_LIT("3E57427F3EXAMPLE"),
        .operation = KV_SLICE_LIT("REST.GET.OBJECT"),
        .key = KV_SLICE_LIT("dir/a b+c.txt"),
        .method = KV_SLICE_LIT("GET"),
        .uri = KV_SLICE_LIT("/src/dir/a%20b%2Bc.txt?versionId=1"),
        .http_version = KV_SLICE_LIT("HTTP/1.1"),
        .status = 200,
        .bytes_sent = 113,
        .object_size = 113,
        .total_ms = 7,
        .turnaround_ms = 2,
        .user_agent = KV_SLICE_LIT("S3Console/0.4"),
        .host_id = KV_SLICE_LIT("s9lz="),
        .sig_version = KV_SLICE_LIT("SigV4"),
        .auth_type = KV_SLICE_LIT("AuthHeader"),
        .host = KV_SLICE_LIT("src.localhost:4566"),
    };
    return f;
}

static void test_line(void **state)
{
    (void)state;
    s3_alog_fields_t f = sample();
    char *s = line_of(&f);
    assert_string_equal(
        s, "79a5 src [06/Feb/2019:00:00:38 +0000] 192.0.2.3 arn:aws:iam::000000000000:root "
           "3E57427F3EXAMPLE REST.GET.OBJECT dir/a%20b%2Bc.txt \"GET "
           "/src/dir/a%20b%2Bc.txt?versionId=1 HTTP/1.1\" 200 - 113 113 7 2 \"-\" "
           "\"S3Console/0.4\" - s9lz= SigV4 - AuthHeader src.localhost:4566 - - -");
    free(s);
    /* Anonymous, an error, nothing sent: dashes; zero object size is a number. */
    f.requester = KV_SLICE_NULL;
    f.status = 403;
    f.error_code = KV_SLICE_LIT("AccessDenied");
    f.bytes_sent = 0;
    f.object_size = -1;
    f.key = KV_SLICE_NULL;
    f.sig_version = f.auth_type = KV_SLICE_NULL;
    f.acl_required = f.has_acl_required = true;
    s = line_of(&f);
    assert_non_null(strstr(s, " 192.0.2.3 - 3E57427F3EXAMPLE REST.GET.OBJECT - \"GET "));
    assert_non_null(strstr(s, "\" 403 AccessDenied - - 7 2 "));
    assert_non_null(strstr(s, " - - src.localhost:4566 - - Yes"));
    free(s);
}

static void test_quoting(void **state)
{
    (void)state;
    s3_alog_fields_t f = sample();
    f.user_agent = KV_SLICE_LIT("ag\"ent\\x\ny");
    f.referer = KV_SLICE_LIT("http://r/ \"q\"");
    f.host = KV_SLICE_LIT("h o\tst"); /* an unquoted field never holds a space */
    f.uri = KV_SLICE_LIT("/src/k\"\r\n");
    char *s = line_of(&f);
    assert_null(strchr(s, '\n'));
    assert_null(strchr(s, '\r'));
    assert_non_null(strstr(s, "\"ag\\\"ent\\\\x\\x0Ay\""));
    assert_non_null(strstr(s, "\"http://r/ \\\"q\\\"\""));
    assert_non_null(strstr(s, " h\\x20o\\x09st "));
    assert_non_null(strstr(s, "\"GET /src/k\\\"\\x0D\\x0A HTTP/1.1\""));
    free(s);
    /* Every field is bounded: a long agent is cut, the line stays small. */
    char *big = malloc(100000);
    memset(big, 'a', 100000);
    f.user_agent = kv_slice(big, 100000);
    f.key = kv_slice(big, 100000);
    f.uri = kv_slice(big, 100000);
    s = line_of(&f);
    assert_true(strlen(s) < 4 * S3_ALOG_FIELD_MAX + 1024);
    assert_true(strlen(s) < ENG_ALOG_LINE_MAX);
    free(s);
    free(big);
}

static void test_operations(void **state)
{
    (void)state;
    char b[96];
    s3_alog_operation(S3_OP_get_object, KV_SLICE_LIT("GET"), b, sizeof(b));
    assert_string_equal(b, "REST.GET.OBJECT");
    s3_alog_operation(S3_OP_head_object, KV_SLICE_LIT("HEAD"), b, sizeof(b));
    assert_string_equal(b, "REST.HEAD.OBJECT");
    s3_alog_operation(S3_OP_list_objects, KV_SLICE_LIT("GET"), b, sizeof(b));
    assert_string_equal(b, "REST.GET.BUCKET");
    s3_alog_operation(S3_OP_copy_object, KV_SLICE_LIT("PUT"), b, sizeof(b));
    assert_string_equal(b, "REST.COPY.OBJECT");
    s3_alog_operation(S3_OP_get_bucket_logging, KV_SLICE_LIT("GET"), b, sizeof(b));
    assert_string_equal(b, "REST.GET.LOGGING_STATUS");
    s3_alog_operation(S3_OP_get_object_tagging, KV_SLICE_LIT("GET"), b, sizeof(b));
    assert_string_equal(b, "REST.GET.OBJECT_TAGGING");
    s3_alog_operation(S3_OP_put_bucket_versioning, KV_SLICE_LIT("PUT"), b, sizeof(b));
    assert_string_equal(b, "REST.PUT.VERSIONING");
    s3_alog_operation(S3_OP_delete_objects, KV_SLICE_LIT("POST"), b, sizeof(b));
    assert_string_equal(b, "REST.POST.MULTI_OBJECT_DELETE");
    s3_alog_operation(-1, KV_SLICE_LIT("get"), b, sizeof(b));
    assert_string_equal(b, "REST.GET.UNKNOWN");
    char small[12];
    s3_alog_operation(S3_OP_get_object_tagging, KV_SLICE_LIT("GET"), small, sizeof(small));
    assert_true(strlen(small) < sizeof(small));
}

static void test_keys(void **state)
{
    (void)state;
    s3_logging_t c = {.enabled = true, .prefix = KV_SLICE_LIT("logs/"), .fmt = S3_LOGFMT_SIMPLE};
    kv_buf_t k;
    kv_buf_init(&k, 1024);
    int64_t t = 1549411238000;
    s3_alog_key(&c, KV_SLICE_LIT("000000000000"), KV_SLICE_LIT("us-east-1"), KV_SLICE_LIT("src"), t,
                t, 0xABCDEF, &k);
    assert_true(kv_slice_eq_str(kv_buf_slice(&k), "logs/2019-02-06-00-00-38-0000000000ABCDEF"));
    kv_buf_reset(&k);
    c.fmt = S3_LOGFMT_EVENT;
    s3_alog_key(&c, KV_SLICE_LIT("000000000000"), KV_SLICE_LIT("us-east-1"), KV_SLICE_LIT("src"), t,
                t + 86400000, 1, &k);
    assert_true(kv_slice_eq_str(kv_buf_slice(&k), "logs/000000000000/us-east-1/src/2019/02/06/"
                                                  "2019-02-07-00-00-38-0000000000000001"));
    kv_buf_dispose(&k);
}

static void test_parse(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(4096);
    s3_logging_t c;
    assert_int_equal(s3_logging_parse(a,
                                      KV_SLICE_LIT("<BucketLoggingStatus xmlns=\"http://doc.s3."
                                                   "amazonaws.com/2006-03-01\"/>"),
                                      &c),
                     0);
    assert_false(c.enabled);
    const char *full =
        "<BucketLoggingStatus><LoggingEnabled><TargetBucket>logs</TargetBucket>"
        "<TargetPrefix>p/</TargetPrefix><TargetGrants><Grant><Grantee "
        "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"Group\">"
        "<URI>http://acs.amazonaws.com/groups/s3/LogDelivery</URI></Grantee>"
        "<Permission>WRITE</Permission></Grant><Grant><Grantee><ID>abc&amp;</ID></Grantee>"
        "<Permission>READ</Permission></Grant></TargetGrants><TargetObjectKeyFormat>"
        "<PartitionedPrefix><PartitionDateSource>EventTime</PartitionDateSource>"
        "</PartitionedPrefix></TargetObjectKeyFormat></LoggingEnabled></BucketLoggingStatus>";
    assert_int_equal(s3_logging_parse(a, kv_slice_str(full), &c), 0);
    assert_true(c.enabled);
    assert_true(kv_slice_eq_str(c.target, "logs"));
    assert_true(kv_slice_eq_str(c.prefix, "p/"));
    assert_int_equal(c.fmt, S3_LOGFMT_EVENT);
    assert_int_equal(c.n_grants, 2);
    /* The stored form round-trips, and GetBucketLogging shows it. */
    kv_buf_t doc, xml;
    kv_buf_init(&doc, 1u << 20);
    kv_buf_init(&xml, 1u << 20);
    s3_logging_encode(&c, &doc);
    s3_logging_t d;
    assert_int_equal(s3_logging_decode(kv_buf_slice(&doc), &d), 0);
    assert_true(d.enabled && d.fmt == S3_LOGFMT_EVENT && d.n_grants == 2);
    assert_true(kv_slice_eq(d.target, c.target) && kv_slice_eq(d.prefix, c.prefix) &&
                kv_slice_eq(d.grants, c.grants));
    s3_logging_xml(&d, &xml);
    kv_buf_append_byte(&xml, 0);
    const char *x = (const char *)xml.p;
    assert_non_null(strstr(x, "<TargetBucket>logs</TargetBucket><TargetPrefix>p/</TargetPrefix>"));
    assert_non_null(strstr(x, "xsi:type=\"Group\"><URI>http://acs.amazonaws.com/groups/s3/"
                              "LogDelivery</URI></Grantee><Permission>WRITE</Permission>"));
    assert_non_null(strstr(x, "<ID>abc&amp;</ID>"));
    assert_non_null(strstr(x, "<PartitionDateSource>EventTime</PartitionDateSource>"));
    /* The XML parses back to the same status. */
    s3_logging_t e;
    assert_int_equal(s3_logging_parse(a, kv_slice(xml.p, xml.len - 1), &e), 0);
    assert_true(e.enabled && e.fmt == S3_LOGFMT_EVENT && e.n_grants == 2);
    assert_true(kv_slice_eq(e.grants, c.grants));
    assert_int_equal(s3_logging_decode(KV_SLICE_NULL, &d), 0);
    assert_false(d.enabled);
    assert_int_equal(s3_logging_decode(KV_SLICE_LIT("G1"), &d), -1);
    assert_int_equal(s3_logging_decode(KV_SLICE_LIT("G19\x00\x05"
                                                    "ab"),
                                       &d),
                     -1);
    kv_buf_dispose(&doc);
    kv_buf_dispose(&xml);
    kv_arena_free(a);
}

static void test_parse_refusals(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "<x/>",
        "<BucketLoggingStatus><Other/></BucketLoggingStatus>",
        "<BucketLoggingStatus><LoggingEnabled><TargetPrefix>p</TargetPrefix></LoggingEnabled>"
        "</BucketLoggingStatus>",
        "<BucketLoggingStatus><LoggingEnabled><TargetBucket>b</TargetBucket></LoggingEnabled>"
        "</BucketLoggingStatus>",
        "<BucketLoggingStatus><LoggingEnabled><TargetBucket>b</TargetBucket><TargetBucket>c"
        "</TargetBucket><TargetPrefix/></LoggingEnabled></BucketLoggingStatus>",
        "<BucketLoggingStatus><LoggingEnabled/><LoggingEnabled/></BucketLoggingStatus>",
        "<BucketLoggingStatus><LoggingEnabled><TargetBucket>b</TargetBucket><TargetPrefix/>"
        "<TargetGrants><Grant><Grantee><ID>x</ID></Grantee><Permission>WRITE_ACP</Permission>"
        "</Grant></TargetGrants></LoggingEnabled></BucketLoggingStatus>",
        "<BucketLoggingStatus><LoggingEnabled><TargetBucket>b</TargetBucket><TargetPrefix/>"
        "<TargetGrants><Grant><Grantee><ID>x</ID><URI>y</URI></Grantee><Permission>READ"
        "</Permission></Grant></TargetGrants></LoggingEnabled></BucketLoggingStatus>",
        "<BucketLoggingStatus><LoggingEnabled><TargetBucket>b</TargetBucket><TargetPrefix/>"
        "<TargetGrants><Grant><Grantee><URI>http://example.com/g</URI></Grantee><Permission>"
        "READ</Permission></Grant></TargetGrants></LoggingEnabled></BucketLoggingStatus>",
        "<BucketLoggingStatus><LoggingEnabled><TargetBucket>b</TargetBucket><TargetPrefix/>"
        "<TargetObjectKeyFormat><PartitionedPrefix><PartitionDateSource>Now"
        "</PartitionDateSource></PartitionedPrefix></TargetObjectKeyFormat></LoggingEnabled>"
        "</BucketLoggingStatus>",
        "<BucketLoggingStatus><LoggingEnabled><TargetBucket>b</TargetBucket><TargetPrefix/>"
        "<TargetObjectKeyFormat><SimplePrefix/><PartitionedPrefix/></TargetObjectKeyFormat>"
        "</LoggingEnabled></BucketLoggingStatus>",
        "<!DOCTYPE x [<!ENTITY a \"b\">]><BucketLoggingStatus/>",
    };
    kv_arena_t *a = kv_arena_new(4096);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        s3_logging_t c;
        if (s3_logging_parse(a, kv_slice_str(bad[i]), &c) != -1)
            fail_msg("accepted: %s", bad[i]);
    }
    /* The prefix is bounded. */
    kv_buf_t b;
    kv_buf_init(&b, 1u << 20);
    kv_buf_append_str(&b, "<BucketLoggingStatus><LoggingEnabled><TargetBucket>b</TargetBucket>"
                          "<TargetPrefix>");
    for (int i = 0; i <= S3_LOG_PREFIX_MAX; i++)
        kv_buf_append_byte(&b, 'p');
    kv_buf_append_str(&b, "</TargetPrefix></LoggingEnabled></BucketLoggingStatus>");
    s3_logging_t c;
    assert_int_equal(s3_logging_parse(a, kv_buf_slice(&b), &c), -1);
    kv_buf_dispose(&b);
    kv_arena_free(a);
}

/* ---- the journal ---- */

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/stratus-alog-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

typedef struct {
    size_t max, seen;
    bool ended;
} take_t;

static bool take_n(void *arg, const eng_alog_rec_t *r)
{
    take_t *t = arg;
    if (r == NULL) {
        t->ended = true;
        return true;
    }
    if (t->seen == t->max)
        return false;
    t->seen++;
    return true;
}

static void append(eng_t *e, const char *src, const char *line)
{
    eng_alog_rec_t r = {.time_ms = 1000, .head = KV_SLICE_LIT("0logs"), .line = kv_slice_str(line)};
    assert_int_equal(eng_alog_append(e, kv_slice_str(src), &r), 0);
}

static void test_journal(void **state)
{
    (void)state;
    eng_opts_t o = {.dir = dir, .fsync = ENG_FSYNC_BATCH};
    eng_t *e = NULL;
    assert_int_equal(eng_open(&o, &e), 0);
    eng_bucket_t b = {.name = "logs"};
    assert_int_equal(eng_bucket_create(e, &b), 0);
    kv_arena_t *a = kv_arena_new(4096);
    kv_slice_t src;
    assert_int_equal(eng_alog_next_source(e, KV_SLICE_NULL, a, &src), KV_ENOTFOUND);
    append(e, "bb", "one");
    append(e, "aa", "x");
    append(e, "bb", "two");
    append(e, "bb", "three");
    append(e, "b", "short");
    /* Sources in name order, each once. */
    assert_int_equal(eng_alog_next_source(e, KV_SLICE_NULL, a, &src), 0);
    assert_true(kv_slice_eq_str(src, "aa"));
    assert_int_equal(eng_alog_next_source(e, src, a, &src), 0);
    assert_true(kv_slice_eq_str(src, "b"));
    assert_int_equal(eng_alog_next_source(e, src, a, &src), 0);
    assert_true(kv_slice_eq_str(src, "bb"));
    assert_int_equal(eng_alog_next_source(e, src, a, &src), KV_ENOTFOUND);
    eng_alog_rec_t first;
    assert_int_equal(eng_alog_first(e, KV_SLICE_LIT("bb"), a, &first), 0);
    assert_true(kv_slice_eq_str(first.line, "one"));
    assert_true(kv_slice_eq_str(first.head, "0logs"));
    assert_int_equal(first.time_ms, 1000);
    /* Two records become one object; the third stays journaled. */
    take_t t = {.max = 2};
    eng_object_t obj = {.key = KV_SLICE_LIT("log-1"), .etag = "e", .content_type = "text/plain"};
    size_t n;
    assert_int_equal(eng_alog_deliver(e, KV_SLICE_LIT("bb"), take_n, &t, b.id, &obj,
                                      ENG_VERSIONING_OFF, NULL, &n),
                     0);
    assert_int_equal(n, 2);
    assert_true(t.ended);
    eng_object_t *meta;
    eng_object_reader_t *rd;
    assert_int_equal(eng_object_open(e, b.id, KV_SLICE_LIT("log-1"), NULL, a, &meta, &rd), 0);
    assert_int_equal(meta->size, 8);
    uint8_t buf[32];
    assert_int_equal(eng_object_read(rd, 0, buf, sizeof(buf)), 8);
    assert_memory_equal(buf, "one\ntwo\n", 8);
    eng_object_close(rd);
    assert_int_equal(eng_alog_first(e, KV_SLICE_LIT("bb"), a, &first), 0);
    assert_true(kv_slice_eq_str(first.line, "three"));
    /* Nothing taken: nothing written. */
    t = (take_t){.max = 0};
    eng_object_t none = {.key = KV_SLICE_LIT("log-2"), .etag = "e"};
    assert_int_equal(eng_alog_deliver(e, KV_SLICE_LIT("bb"), take_n, &t, b.id, &none,
                                      ENG_VERSIONING_OFF, NULL, &n),
                     0);
    assert_int_equal(n, 0);
    assert_false(t.ended);
    assert_int_equal(eng_object_open(e, b.id, KV_SLICE_LIT("log-2"), NULL, a, &meta, NULL),
                     KV_ENOTFOUND);
    /* Dropped records are gone. */
    t = (take_t){.max = 10};
    assert_int_equal(eng_alog_drop(e, KV_SLICE_LIT("bb"), take_n, &t, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(eng_alog_first(e, KV_SLICE_LIT("bb"), a, &first), KV_ENOTFOUND);
    /* Bounds. */
    eng_alog_rec_t big = {.head = KV_SLICE_LIT("0x")};
    char *huge = calloc(1, ENG_ALOG_LINE_MAX + 1);
    big.line = kv_slice(huge, ENG_ALOG_LINE_MAX + 1);
    assert_int_equal(eng_alog_append(e, KV_SLICE_LIT("aa"), &big), KV_ETOOBIG);
    free(huge);
    /* The journal survives a reopen. */
    eng_close(e);
    assert_int_equal(eng_open(&o, &e), 0);
    assert_int_equal(eng_alog_first(e, KV_SLICE_LIT("aa"), a, &first), 0);
    assert_true(kv_slice_eq_str(first.line, "x"));
    kv_arena_free(a);
    eng_close(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line),
        cmocka_unit_test(test_quoting),
        cmocka_unit_test(test_operations),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_refusals),
        cmocka_unit_test_setup_teardown(test_journal, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
