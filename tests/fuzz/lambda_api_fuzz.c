/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Lambda REST API, the CloudWatch Logs API and S3 notification delivery: the first byte
 * picks a request, the rest is its (signed) body — or, for the last two, an object key whose
 * logged event the consumer then encodes — run through the api layer on a temporary engine
 * with a function, a bucket whose notifications go to it, and a log stream. A first byte from
 * 128 on picks a row of the service table's Logs operations by name instead.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api_harness.h"
#include "api_int.h"

#define ZIP                                                                                        \
    "UEsDBBQAAAAAAPI5e13HAbXuIAAAACAAAAAGAAAAYXBwLnB5ZGVmIGhhbmRsZXIoZSwgYyk6CiAgICByZXR1cm4gMQpQ" \
    "SwECFAMUAAAAAADyOXtdxwG17iAAAAAgAAAABgAAAAAAAAAAAAAAgAEAAAAAYXBwLnB5UEsFBgAAAAABAAEANAAAAEQA" \
    "AAAAAA=="

typedef struct {
    const char *service, *method, *path, *query, *target;
} fz_req_t;

static const fz_req_t reqs[] = {
    {"lambda", "POST", "/2015-03-31/functions", NULL, NULL},
    {"lambda", "PUT", "/2015-03-31/functions/fz/configuration", NULL, NULL},
    {"lambda", "PUT", "/2015-03-31/functions/fz/code", NULL, NULL},
    {"lambda", "POST", "/2015-03-31/event-source-mappings", NULL, NULL},
    {"lambda", "PUT", "/2019-09-25/functions/fz/event-invoke-config", NULL, NULL},
    {"lambda", "POST", "/2019-09-25/functions/fz/event-invoke-config", NULL, NULL},
    {"lambda", "PUT", "/2017-10-31/functions/fz/concurrency", NULL, NULL},
    {"lambda", "POST", "/2015-03-31/functions/fz/invocations", NULL, NULL},
    {"logs", "POST", "/", NULL, "Logs_20140328.DescribeLogGroups"},
    {"logs", "POST", "/", NULL, "Logs_20140328.DescribeLogStreams"},
    {"logs", "POST", "/", NULL, "Logs_20140328.GetLogEvents"},
    {"logs", "POST", "/", NULL, "Logs_20140328.FilterLogEvents"},
    {"s3", "PUT", "/fzb", "notification", NULL},
    {NULL, NULL, NULL, NULL, NULL}, /* PutObject with this key, then a consumer step */
};

static const char notify[] =
    "<NotificationConfiguration><CloudFunctionConfiguration><Id>c</Id><CloudFunction>"
    "arn:aws:lambda:us-east-1:000000000000:function:fz</CloudFunction><Event>s3:ObjectCreated:*"
    "</Event></CloudFunctionConfiguration></NotificationConfiguration>";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static harness_t h;
    static int ready;
    static const size_t n_reqs = sizeof(reqs) / sizeof(reqs[0]);
    if (!ready) {
        if (harness_open(&h, "us-east-1") != 0)
            abort();
        /* issue 15: a function's role must exist and trust Lambda */
        int rr = harness_form(
            &h, "iam",
            KV_SLICE_LIT("Action=CreateRole&Version=2010-05-08&RoleName=r&"
                         "AssumeRolePolicyDocument="
                         "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effec"
                         "t%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22lambda.am"
                         "azonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D"),
            NULL);
        if (rr != 200) {
            fprintf(stderr, "CreateRole: %d\n", rr);
            abort();
        }
        int st = harness_json(
            &h, "lambda", "POST", "/2015-03-31/functions", NULL, NULL,
            KV_SLICE_LIT("{\"FunctionName\":\"fz\",\"Runtime\":\"python3.11\","
                         "\"Role\":\"arn:aws:iam::000000000000:role/r\","
                         "\"Handler\":\"app.handler\",\"Code\":{\"ZipFile\":\"" ZIP "\"}}"),
            NULL);
        if (st != 201) {
            fprintf(stderr, "CreateFunction: %d\n", st);
            abort();
        }
        int b1 = harness_s3(&h, "PUT", "/fzb", NULL, KV_SLICE_NULL, NULL);
        int b2 = harness_s3(&h, "PUT", "/fzb", "notification", kv_slice_str(notify), NULL);
        if (b1 != 200 || b2 != 200) {
            fprintf(stderr, "bucket setup: %d %d\n", b1, b2);
            abort();
        }
        /* A log stream as the runner writes them, with an unfinished last line. */
        char path[256];
        snprintf(path, sizeof(path), "%s/functions/logs", h.dir);
        mkdir(path, 0755);
        snprintf(path, sizeof(path), "%s/functions/logs/fz", h.dir);
        mkdir(path, 0755);
        snprintf(path, sizeof(path), "%s/functions/logs/fz/20261127-%032d", h.dir, 7);
        FILE *f = fopen(path, "w");
        if (f == NULL) {
            fprintf(stderr, "cannot write %s\n", path);
            abort();
        }
        fputs("1764201600000\tSTART RequestId: a Version: $LATEST\n1764201600001\thello "
              "\"world\"\n1764201600002\tEND RequestId: a\nbroken line\n1764201600003\tpart",
              f);
        fclose(f);
        ready = 1;
    }
    if (size < 1)
        return 0;
    if (data[0] >= 128) {
        const api_service_t *logs = NULL;
        for (size_t i = 0; i < api_n_services; i++)
            if (strcmp(api_services[i]->name, "logs") == 0)
                logs = api_services[i];
        if (logs == NULL || logs->n_ops == 0)
            abort();
        char target[96];
        snprintf(target, sizeof(target), "%s%s", logs->target_prefix,
                 logs->ops[(data[0] - 128u) % logs->n_ops].name);
        int st =
            harness_json(&h, "logs", "POST", "/", NULL, target, kv_slice(data + 1, size - 1), NULL);
        if (st >= 500) {
            fprintf(stderr, "%s: %d\n", target, st);
            abort();
        }
        return 0;
    }
    const fz_req_t *r = &reqs[data[0] % n_reqs];
    kv_slice_t body = kv_slice(data + 1, size - 1);
    int st;
    if (r->service == NULL) {
        /* An object key (path-safe hex of the bytes), its event logged and delivered. */
        static const char *const tok[] = {"a", "b",   "z",   "0",   "9",      "-",   "_",   ".",
                                          "/", "%20", "%2B", "%25", "%C3%A9", "%26", "%22", "%5C"};
        char path[8 * 256 + 8];
        size_t n = body.len > 256 ? 256 : body.len;
        int o = snprintf(path, sizeof(path), "/fzb/k");
        for (size_t i = 0; i < n; i++)
            o += snprintf(path + o, sizeof(path) - (size_t)o, "%s",
                          tok[body.p[i] % (sizeof(tok) / sizeof(tok[0]))]);
        st = harness_s3(&h, "PUT", path, NULL, KV_SLICE_LIT("x"), NULL);
        api_sched_step(h.ctx);
        if (st != 200 && st != 400) {
            fprintf(stderr, "PUT %s: %d\n", path, st);
            abort();
        }
        return 0;
    }
    st = harness_json(&h, r->service, r->method, r->path, r->query, r->target, body, NULL);
    if (st >= 500 && !(st == 500 && strcmp(r->path, "/2015-03-31/functions/fz/invocations") == 0)) {
        fprintf(stderr, "%s %s: %d\n", r->method, r->path, st);
        abort();
    }
    return 0;
}
