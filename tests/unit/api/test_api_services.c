/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The service table: every protocol's row is there with every operation named once; a sample
 * request of each protocol routes to the expected service and operation; S3's route rows give
 * the if-chain's answers they replaced for every combination of method, level, sub-resources
 * and headers tried; /metrics names Lambda and Logs operations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "api_harness.h"
#include "api_int.h"
#include "base/kv_arena.h"
#include "base/kv_time.h"
#include "ddb/ddb_ops.h"
#include "events/events_ops.h"
#include "iam/iam_int.h" /* issue 15, package I */
#include "kms/kms_int.h" /* issue 16, package K */
#include "lambda/lambda_ops.h"
#include "s3/s3_ops.h"
#include "sns/sns_int.h"
#include "sqs/sqs_int.h"
#include "sts/sts_int.h" /* issue 15, package T */

static harness_t H;

static int setup(void **state)
{
    (void)state;
    return harness_open(&H, "us-east-1");
}

static int teardown(void **state)
{
    (void)state;
    harness_close(&H);
    return 0;
}

static const api_service_t *svc_named(const char *name)
{
    for (size_t i = 0; i < api_n_services; i++)
        if (strcmp(api_services[i]->name, name) == 0)
            return api_services[i];
    return NULL;
}

/* Every protocol has its row, each operation is named once, and the X-macro rows are all there. */
static void test_table_rows(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        size_t n_ops;
    } want[] = {
        {"ops", 2},
        {"dynamodb", DDB_OP__COUNT + 1}, /* and the CORS preflight (issue 17, package H) */
        {"dynamodbstreams", STREAMS_OP__COUNT},
        {"s3", S3_OP__COUNT},
        {"lambda", LAMBDA_OP__COUNT},
        {"logs", LOGS_OP__COUNT},
        {"lambda-url", 4},
        {"sqs", SQS_OP__COUNT},       /* issue 14, package Q */
        {"sns", SNS_OP__COUNT + 1},   /* issue 14, package N: its operations and the certificate */
        {"events", EVENTS_OP__COUNT}, /* issue 14, package E */
        {"iam", IAM_OP__COUNT},       /* issue 15, package I */
        {"sts", STS_OP__COUNT},       /* issue 15, package T */
        {"kms", KMS_OP__COUNT},       /* issue 16, package K */
    };
    assert_int_equal(api_n_services, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const api_service_t *svc = svc_named(want[i].name);
        assert_non_null(svc);
        assert_int_equal(svc->n_ops, want[i].n_ops);
        assert_non_null(svc->dispatch);
        assert_int_equal(api_service_index(svc) >= 0, 1);
    }
    for (size_t i = 0; i < api_n_services; i++) {
        const api_service_t *s = api_services[i];
        assert_true(s->name && s->name[0]);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(s->name, api_services[j]->name);
        for (size_t a = 0; a < s->n_ops; a++) {
            assert_true(s->ops[a].name && s->ops[a].name[0]);
            assert_string_not_equal(s->ops[a].name, "Unknown");
            for (size_t b = 0; b < a; b++)
                assert_string_not_equal(s->ops[a].name, s->ops[b].name);
        }
    }
    /* The X-macro order is the index order. */
    assert_string_equal(svc_named("dynamodb")->ops[DDB_OP_put_item].name, "PutItem");
    assert_string_equal(svc_named("dynamodbstreams")->ops[STREAMS_OP_get_records].name,
                        "GetRecords");
    assert_string_equal(svc_named("s3")->ops[S3_OP_put_object].name, "PutObject");
    assert_string_equal(svc_named("lambda")->ops[LAMBDA_OP_invoke].name, "Invoke");
    assert_string_equal(svc_named("logs")->ops[LOGS_OP_get_log_events].name, "GetLogEvents");
    /* Exactly the copying (and whole-catalog scanning) operations are slow. */
    static const char *const slow[] = {
        "CreateFunction",     "UpdateFunctionCode",     "PublishLayerVersion",
        "GetAccountSettings", "RestoreTableFromBackup", "RestoreTableToPointInTime",
        "CopyObject",         "UploadPartCopy"};
    size_t n_slow = 0;
    for (size_t i = 0; i < api_n_services; i++)
        for (size_t a = 0; a < api_services[i]->n_ops; a++) {
            if (!(api_services[i]->ops[a].flags & API_OPF_SLOW))
                continue;
            bool listed = false;
            for (size_t k = 0; k < sizeof(slow) / sizeof(slow[0]); k++)
                listed |= strcmp(slow[k], api_services[i]->ops[a].name) == 0;
            assert_true(listed);
            n_slow++;
        }
    assert_int_equal(n_slow, sizeof(slow) / sizeof(slow[0]));
}

/* A request as the server hands it over, up to api_begin. */
typedef struct probe {
    kv_arena_t *a;
    api_req_t req;
    api_resp_t resp;
    int rc;
} probe_t;

static void probe_begin(probe_t *p, const char *method, const char *path, const char *query,
                        const char *const *hdrs)
{
    memset(p, 0, sizeof(*p));
    p->a = kv_arena_new(4096);
    p->req.arena = p->a;
    p->req.start_ns = kv_now_mono_ns();
    p->req.peer = KV_SLICE_LIT("probe");
    p->req.content_length = -1;
    p->req.method = kv_slice_str(method);
    p->req.path = kv_slice_str(path);
    p->req.query = query ? kv_slice_str(query) : KV_SLICE_NULL;
    p->req.hdrs = kv_arena_calloc(p->a, 16, sizeof(*p->req.hdrs));
    for (size_t i = 0; hdrs && hdrs[i]; i += 2) {
        p->req.hdrs[p->req.n_hdrs].name = kv_slice_str(hdrs[i]);
        p->req.hdrs[p->req.n_hdrs].value = kv_slice_str(hdrs[i + 1]);
        p->req.n_hdrs++;
    }
    api_resp_init(&p->resp, &p->req);
    uint64_t limit;
    p->rc = api_begin(H.ctx, &p->req, &p->resp, &limit);
}

static const char *probe_svc(const probe_t *p)
{
    return p->req._st->svc->name;
}

static const char *probe_op(const probe_t *p)
{
    return api_op_name(p->req._st->svc, p->req._st->op);
}

static void probe_end(probe_t *p)
{
    api_resp_dispose(&p->resp);
    kv_arena_free(p->a);
}

/* An Authorization header whose credential scope names service (its signature never checks
 * out: routing happens before verification). */
static const char *auth_for(char *buf, size_t n, const char *service)
{
    snprintf(buf, n,
             "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/%s/aws4_request, "
             "SignedHeaders=host;x-amz-date, Signature="
             "0000000000000000000000000000000000000000000000000000000000000000",
             service);
    return buf;
}

static void expect_route(const char *scope, const char *method, const char *path,
                         const char *target, const char *svc, const char *op)
{
    char auth[256];
    const char *hdrs[9] = {"Host", "localhost:8000", "X-Amz-Date", "20260101T000000Z"};
    size_t n = 4;
    if (scope) {
        hdrs[n++] = "Authorization";
        hdrs[n++] = auth_for(auth, sizeof(auth), scope);
    }
    if (target) {
        hdrs[n++] = "X-Amz-Target";
        hdrs[n++] = target;
    }
    hdrs[n] = NULL;
    probe_t p;
    probe_begin(&p, method, path, NULL, hdrs);
    if (strcmp(probe_svc(&p), svc) != 0 || strcmp(probe_op(&p), op) != 0)
        fail_msg("%s %s %s (scope %s): %s/%s, want %s/%s", method, path, target ? target : "-",
                 scope ? scope : "-", probe_svc(&p), probe_op(&p), svc, op);
    probe_end(&p);
}

/* The service a request with this Host header (and credential scope) goes to. */
static void expect_host_route(const char *scope, const char *method, const char *path,
                              const char *host, const char *svc)
{
    char auth[256];
    const char *hdrs[7] = {"Host", host, "X-Amz-Date", "20260101T000000Z", NULL};
    if (scope) {
        hdrs[4] = "Authorization";
        hdrs[5] = auth_for(auth, sizeof(auth), scope);
    }
    probe_t p;
    probe_begin(&p, method, path, NULL, hdrs);
    if (strcmp(probe_svc(&p), svc) != 0)
        fail_msg("%s %s (Host %s): %s, want %s", method, path, host, probe_svc(&p), svc);
    probe_end(&p);
}

static void test_routing(void **state)
{
    (void)state;
    expect_route("dynamodb", "POST", "/", "DynamoDB_20120810.PutItem", "dynamodb", "PutItem");
    expect_route("dynamodb", "POST", "/", "DynamoDBStreams_20120810.GetRecords", "dynamodbstreams",
                 "GetRecords");
    expect_route("streams.dynamodb", "POST", "/", "DynamoDBStreams_20120810.ListStreams",
                 "dynamodbstreams", "ListStreams");
    expect_route("streams.dynamodb", "POST", "/", "DynamoDB_20120810.Scan", "dynamodb", "Scan");
    expect_route("dynamodb", "POST", "/", "Logs_20140328.GetLogEvents", "dynamodb", "Unknown");
    expect_route("dynamodb", "POST", "/", "DynamoDB_20120810.GetRecords", "dynamodb", "Unknown");
    expect_route("s3", "PUT", "/bkt/key", NULL, "s3", "PutObject");
    expect_route("s3", "POST", "/", "DynamoDB_20120810.PutItem", "s3", "NotImplemented");
    expect_route("lambda", "GET", "/2015-03-31/functions", NULL, "lambda", "ListFunctions");
    expect_route("lambda", "POST", "/2015-03-31/functions/f/invocations", NULL, "lambda", "Invoke");
    expect_route("lambda", "GET", "/nowhere", NULL, "lambda", "Unknown");
    expect_route("logs", "POST", "/", "Logs_20140328.GetLogEvents", "logs", "GetLogEvents");
    expect_route("logs", "POST", "/", "Logs_20140328.Nope", "logs", "Unknown");
    /* without a credential scope: the target, then the path, then S3 */
    expect_route(NULL, "POST", "/", "Logs_20140328.FilterLogEvents", "logs", "FilterLogEvents");
    expect_route(NULL, "POST", "/", "DynamoDB_20120810.Query", "dynamodb", "Query");
    expect_route(NULL, "POST", "/", "Whatever.Op", "dynamodb", "Unknown");
    /* a scope no service has (issue 15: "iam" is IAM's now) */
    expect_route("nosuchsvc", "POST", "/", "DynamoDBStreams_20120810.DescribeStream",
                 "dynamodbstreams", "DescribeStream");
    expect_route("nosuchsvc", "GET", "/2017-10-31/functions/f/concurrency", NULL, "lambda",
                 "Unknown");
    expect_route("iam", "POST", "/", NULL, "iam",
                 "Unknown"); /* issue 15: the Action is in the body */
    expect_route(NULL, "GET", "/2019-09-25/functions/f/event-invoke-config", NULL, "lambda",
                 "GetFunctionEventInvokeConfig");
    expect_route(NULL, "GET", "/health", NULL, "ops", "Health");
    expect_route(NULL, "GET", "/metrics", NULL, "ops", "Metrics");
    expect_route("s3", "GET", "/health", NULL, "s3", "ListObjects");
    expect_route(NULL, "OPTIONS", "/bkt/k", NULL, "s3", "Preflight");
    expect_route("lambda", "GET", "/2021-10-31/functions/f/urls", NULL, "lambda",
                 "ListFunctionUrlConfigs");
    /* function URLs: before every other claim, signed or not, and never an S3 bucket */
    expect_host_route(NULL, "GET", "/x",
                      "0123456789abcdefghijklmnopqrstuv.lambda-url.us-east-1.localhost:9",
                      "lambda-url");
    expect_host_route("s3", "PUT", "/k",
                      "0123456789abcdefghijklmnopqrstuv.lambda-url.eu-west-1.localhost",
                      "lambda-url");
    expect_host_route(NULL, "GET", "/health",
                      "0123456789abcdefghijklmnopqrstuv.lambda-url.us-east-1.localhost",
                      "lambda-url");
    /* the path form names only a URL that exists: otherwise it is a bucket's key */
    expect_host_route(NULL, "GET", "/lambda-url/0123456789abcdefghijklmnopqrstuv/a", "localhost",
                      "s3");
    expect_host_route(NULL, "GET", "/lambda-url/0123456789abcdefghijklmnopqrstuvX", "localhost",
                      "s3");
    expect_host_route(NULL, "GET", "/x",
                      "0123456789abcdefghijklmnopqrstu.lambda-url.us-east-1.localhost",
                      "s3"); /* 31 characters */
    expect_host_route(NULL, "GET", "/x",
                      "0123456789ABCDEFGHIJKLMNOPQRSTUV.lambda-url.us-east-1.localhost", "s3");
    expect_host_route(NULL, "GET", "/x",
                      "0123456789abcdefghijklmnopqrstuv.lambda-url.us-east-1.example", "s3");
}

/* ---- S3: the route rows against the if-chain they replaced ---- */

static const char *const params[] = {
    "uploads",      "uploadId=1",  "partNumber=1", "tagging", "attributes",     "acl",
    "retention",    "legal-hold",  "restore",      "select",  "location",       "versioning",
    "versions",     "object-lock", "delete",       "policy",  "policyStatus",   "cors",
    "notification", "lifecycle",   "prefix=a",     "website", "x-id=GetObject", "list-type=2",
};
#define N_PARAMS (sizeof(params) / sizeof(params[0]))

typedef struct q {
    bool has[N_PARAMS];
} q_t;

static bool has(const q_t *q, const char *name)
{
    size_t l = strlen(name);
    for (size_t i = 0; i < N_PARAMS; i++)
        if (q->has[i] && strncmp(params[i], name, l) == 0 &&
            (params[i][l] == 0 || params[i][l] == '='))
            return true;
    return false;
}

static bool any_sub(const q_t *q)
{
    for (size_t i = 0; i < N_PARAMS; i++)
        if (q->has[i] && strncmp(params[i], "x-id", 4) != 0)
            return true;
    return false;
}

static bool other_than_listing(const q_t *q)
{
    for (size_t i = 0; i < N_PARAMS; i++)
        if (q->has[i] && strncmp(params[i], "x-id", 4) != 0 &&
            strncmp(params[i], "prefix", 6) != 0 && strncmp(params[i], "list-type", 9) != 0)
            return true;
    return false;
}

/* The if-chain s3_route was before its rows (the reference). */
static const char *ref_route(const char *m, int level, const q_t *q, bool copy, bool form)
{
#define M(x) (strcmp(m, x) == 0)
    if (M("OPTIONS"))
        return "Preflight";
    if (level == 0)
        return M("GET") ? "ListBuckets" : "NotImplemented";
    /* issue 16's rows, walked before the others. Package L: Object Lock. */
    if (level == 1 && M("PUT") && has(q, "object-lock"))
        return "PutObjectLockConfiguration";
    if (level == 2 && (M("PUT") || M("GET")) && has(q, "retention"))
        return M("PUT") ? "PutObjectRetention" : "GetObjectRetention";
    if (level == 2 && (M("PUT") || M("GET")) && has(q, "legal-hold"))
        return M("PUT") ? "PutObjectLegalHold" : "GetObjectLegalHold";
    if (level == 2) {
        bool upload = has(q, "uploadId");
        if (M("POST") && has(q, "uploads") && !upload)
            return "CreateMultipartUpload";
        if (upload && M("PUT") && has(q, "partNumber") && !copy)
            return "UploadPart";
        if (upload && M("PUT") && has(q, "partNumber"))
            return "UploadPartCopy";
        if (upload && M("POST"))
            return "CompleteMultipartUpload";
        if (upload && M("DELETE"))
            return "AbortMultipartUpload";
        if (upload && M("GET"))
            return "ListParts";
        if (has(q, "tagging"))
            return M("GET")      ? "GetObjectTagging"
                   : M("PUT")    ? "PutObjectTagging"
                   : M("DELETE") ? "DeleteObjectTagging"
                                 : "NotImplemented";
        if (has(q, "attributes") && M("GET"))
            return "GetObjectAttributes";
        if (has(q, "acl") && M("GET"))
            return "GetObjectAcl";
        if (has(q, "acl") && M("PUT"))
            return "PutObjectAcl";
        if (copy && M("PUT") && !has(q, "tagging") && !has(q, "acl") && !has(q, "partNumber"))
            return "CopyObject";
        bool obj_sub = has(q, "tagging") || has(q, "acl") || has(q, "uploads") ||
                       has(q, "uploadId") || has(q, "attributes") || has(q, "retention") ||
                       has(q, "legal-hold") || has(q, "restore") || has(q, "select");
        if (obj_sub || copy)
            return "NotImplemented";
        return M("PUT")      ? "PutObject"
               : M("GET")    ? "GetObject"
               : M("HEAD")   ? "HeadObject"
               : M("DELETE") ? "DeleteObject"
                             : "NotImplemented";
    }
    if (has(q, "website") && (M("PUT") || M("GET") || M("DELETE"))) /* issue 16, package W */
        return M("PUT")   ? "PutBucketWebsite"
               : M("GET") ? "GetBucketWebsite"
                          : "DeleteBucketWebsite";
    bool sub = any_sub(q);
    if (M("PUT") && !sub)
        return "CreateBucket";
    if (M("HEAD") && !sub)
        return "HeadBucket";
    if (M("DELETE") && !sub)
        return "DeleteBucket";
    if (M("GET") && has(q, "location"))
        return "GetBucketLocation";
    if (M("GET") && !other_than_listing(q))
        return "ListObjects";
    static const struct {
        const char *m, *p, *op;
    } simple[] = {{"GET", "tagging", "GetBucketTagging"},
                  {"PUT", "tagging", "PutBucketTagging"},
                  {"DELETE", "tagging", "DeleteBucketTagging"},
                  {"GET", "acl", "GetBucketAcl"},
                  {"PUT", "acl", "PutBucketAcl"},
                  {"GET", "versioning", "GetBucketVersioning"},
                  {"PUT", "versioning", "PutBucketVersioning"},
                  {"GET", "versions", "ListObjectVersions"},
                  {"GET", "object-lock", "GetObjectLockConfiguration"},
                  {"GET", "uploads", "ListMultipartUploads"},
                  {"POST", "delete", "DeleteObjects"}};
    for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
        if (M(simple[i].m) && has(q, simple[i].p))
            return simple[i].op;
    if (M("POST") && !other_than_listing(q) && form)
        return "PostObject";
    if (M("GET") && has(q, "policyStatus")) /* issue 15, package S */
        return "GetBucketPolicyStatus";
    if (has(q, "policy") && !has(q, "policyStatus"))
        return M("PUT")      ? "PutBucketPolicy"
               : M("GET")    ? "GetBucketPolicy"
               : M("DELETE") ? "DeleteBucketPolicy"
                             : "NotImplemented";
    if (has(q, "cors"))
        return M("PUT")      ? "PutBucketCors"
               : M("GET")    ? "GetBucketCors"
               : M("DELETE") ? "DeleteBucketCors"
                             : "NotImplemented";
    if (has(q, "notification"))
        return M("PUT")   ? "PutBucketNotificationConfiguration"
               : M("GET") ? "GetBucketNotificationConfiguration"
                          : "NotImplemented";
    if (has(q, "lifecycle"))
        return M("PUT")      ? "PutBucketLifecycleConfiguration"
               : M("GET")    ? "GetBucketLifecycleConfiguration"
               : M("DELETE") ? "DeleteBucketLifecycle"
                             : "NotImplemented";
    return "NotImplemented";
#undef M
}

static size_t s3_check(const q_t *q, size_t *mismatches)
{
    static const char *const methods[] = {"GET",  "PUT",     "POST", "DELETE",
                                          "HEAD", "OPTIONS", "PATCH"};
    static const char *const paths[] = {"/", "/bkt", "/bkt/some/key"};
    char query[512] = "";
    size_t ql = 0;
    for (size_t i = 0; i < N_PARAMS; i++)
        if (q->has[i])
            ql +=
                (size_t)snprintf(query + ql, sizeof(query) - ql, "%s%s", ql ? "&" : "", params[i]);
    char auth[256];
    auth_for(auth, sizeof(auth), "s3");
    size_t n = 0;
    for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++)
        for (int level = 0; level < 3; level++)
            for (int h = 0; h < 4; h++) {
                bool copy = h & 1, form = h & 2;
                const char *hdrs[11] = {"Host", "localhost:8000", "Authorization", auth};
                size_t k = 4;
                if (copy) {
                    hdrs[k++] = "x-amz-copy-source";
                    hdrs[k++] = "/src/obj";
                }
                if (form) {
                    hdrs[k++] = "Content-Type";
                    hdrs[k++] = "multipart/form-data; boundary=x";
                }
                hdrs[k] = NULL;
                probe_t p;
                probe_begin(&p, methods[m], paths[level], ql ? query : NULL, hdrs);
                const char *want = ref_route(methods[m], level, q, copy, form);
                if (strcmp(probe_svc(&p), "s3") != 0 || strcmp(probe_op(&p), want) != 0) {
                    if (*mismatches < 10)
                        print_error("%s %s?%s copy=%d form=%d: %s, want %s\n", methods[m],
                                    paths[level], query, copy, form, probe_op(&p), want);
                    (*mismatches)++;
                }
                probe_end(&p);
                n++;
            }
    return n;
}

static void test_s3_rows(void **state)
{
    (void)state;
    size_t n = 0, bad = 0;
    q_t q;
    memset(&q, 0, sizeof(q));
    n += s3_check(&q, &bad);
    for (size_t i = 0; i < N_PARAMS; i++) {
        q.has[i] = true;
        n += s3_check(&q, &bad);
        for (size_t j = i + 1; j < N_PARAMS; j++) {
            q.has[j] = true;
            n += s3_check(&q, &bad);
            q.has[j] = false;
        }
        q.has[i] = false;
    }
    /* A few triples the multipart and copy rows care about. */
    static const size_t triples[][3] = {{0, 1, 2}, {1, 2, 3}, {1, 2, 5}, {0, 3, 5}, {15, 16, 17}};
    for (size_t t = 0; t < sizeof(triples) / sizeof(triples[0]); t++) {
        memset(&q, 0, sizeof(q));
        for (int k = 0; k < 3; k++)
            q.has[triples[t][k]] = true;
        n += s3_check(&q, &bad);
    }
    assert_true(n > 20000);
    assert_int_equal(bad, 0);
}

/* /metrics labels each request with its service and operation. */
static void test_metrics_names(void **state)
{
    (void)state;
    kv_buf_t out;
    kv_buf_init(&out, 1 << 20);
    assert_int_equal(
        harness_json(&H, "lambda", "GET", "/2015-03-31/functions", NULL, NULL, KV_SLICE_NULL, &out),
        200);
    assert_int_equal(harness_json(&H, "logs", "POST", "/", NULL, "Logs_20140328.DescribeLogGroups",
                                  KV_SLICE_LIT("{}"), &out),
                     200);
    assert_int_equal(harness_ddb(&H, "ListTables", KV_SLICE_LIT("{}"), &out), 200);
    assert_int_equal(harness_ddb(&H, "NoSuchOperation", KV_SLICE_LIT("{}"), &out), 400);
    kv_buf_reset(&out);
    assert_int_equal(
        harness_run(&H, KV_SLICE_LIT("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), &out), 200);
    kv_buf_append_byte(&out, 0);
    const char *m = (const char *)out.p;
    assert_non_null(strstr(
        m, "stratus_requests_total{api=\"lambda\",operation=\"ListFunctions\",status=\"200\"}"));
    assert_non_null(strstr(
        m, "stratus_requests_total{api=\"logs\",operation=\"DescribeLogGroups\",status=\"200\"}"));
    assert_non_null(strstr(
        m, "stratus_requests_total{api=\"dynamodb\",operation=\"ListTables\",status=\"200\"}"));
    assert_non_null(
        strstr(m, "stratus_requests_total{api=\"none\",operation=\"Unknown\",status=\"400\"}"));
    assert_non_null(strstr(m, "stratus_request_duration_seconds_count{api=\"lambda\"}"));
    assert_non_null(strstr(m, "stratus_bytes_received_total{api=\"logs\"}"));
    kv_buf_dispose(&out);
}

/* The slow operations are offloaded; the others are not. */
static void test_offload(void **state)
{
    (void)state;
    char auth[256];
    const char *copy[] = {"Host",
                          "localhost:8000",
                          "Authorization",
                          auth_for(auth, sizeof(auth), "s3"),
                          "x-amz-copy-source",
                          "/src/obj",
                          NULL};
    probe_t p;
    probe_begin(&p, "PUT", "/bkt/key", NULL, copy);
    assert_string_equal(probe_op(&p), "CopyObject");
    assert_true(api_offload(&p.req));
    probe_end(&p);
    copy[4] = NULL;
    probe_begin(&p, "PUT", "/bkt/key", NULL, copy);
    assert_string_equal(probe_op(&p), "PutObject");
    assert_false(api_offload(&p.req));
    probe_end(&p);
    const char *fn[] = {"Host", "localhost:8000", "Authorization",
                        auth_for(auth, sizeof(auth), "lambda"), NULL};
    probe_begin(&p, "POST", "/2015-03-31/functions", NULL, fn);
    assert_string_equal(probe_op(&p), "CreateFunction");
    assert_true(api_offload(&p.req));
    probe_end(&p);
    probe_begin(&p, "GET", "/health", NULL, NULL);
    assert_false(api_offload(&p.req));
    probe_end(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_rows), cmocka_unit_test(test_routing),
        cmocka_unit_test(test_s3_rows),    cmocka_unit_test(test_metrics_names),
        cmocka_unit_test(test_offload),
    };
    return cmocka_run_group_tests_name("api_services", tests, setup, teardown);
}
