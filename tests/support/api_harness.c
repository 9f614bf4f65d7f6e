/* SPDX-License-Identifier: Apache-2.0 */
/* Socket-free driver for api_handle(); see api_harness.h. */
#include "api_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/kv_arena.h"
#include "base/kv_log.h"
#include "base/kv_time.h"

/* Data directories still there at exit (a fuzz target never closes its harness). */
#define HARNESS_DIRS 16
static char g_dirs[HARNESS_DIRS][sizeof(((harness_t *)0)->dir)];

static void remove_dir(const char dir[static 64])
{
    char cmd[80];
    snprintf(cmd, sizeof(cmd), "rm -rf %.63s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "harness: cannot remove %s\n", dir);
}

static void remove_left(void)
{
    for (int i = 0; i < HARNESS_DIRS; i++)
        if (g_dirs[i][0] != 0)
            remove_dir(g_dirs[i]);
}

int harness_open(harness_t *h, const char *region)
{
    static int inited;
    if (!inited) {
        kv_log_set_level(KV_LOG_WARN); /* no access log in unit tests and fuzzing */
        api_global_init();
        atexit(remove_left);
        inited = 1;
    }
    snprintf(h->dir, sizeof(h->dir), "/tmp/stratus-h-XXXXXX");
    if (mkdtemp(h->dir) == NULL)
        return -1;
    for (int i = 0; i < HARNESS_DIRS; i++)
        if (g_dirs[i][0] == 0) {
            memcpy(g_dirs[i], h->dir, sizeof(h->dir));
            break;
        }
    api_cfg_t cfg = {
        .data_dir = h->dir, .region = region, .access_key = "test", .secret_key = "test"};
    h->creds.access_key = "test";
    h->creds.secret_key = "test";
    h->creds.region = region;
    return api_open(&cfg, &h->ctx);
}

void harness_close(harness_t *h)
{
    api_close(h->ctx);
    remove_dir(h->dir);
    for (int i = 0; i < HARNESS_DIRS; i++)
        if (strcmp(g_dirs[i], h->dir) == 0)
            g_dirs[i][0] = 0;
}

int harness_run(harness_t *h, kv_slice_t raw, kv_buf_t *out)
{
    kv_arena_t *a = kv_arena_new(4096);
    api_req_t req;
    memset(&req, 0, sizeof(req));
    req.arena = a;
    req.start_ns = kv_now_mono_ns();
    req.peer = KV_SLICE_LIT("harness");
    req.content_length = -1;
    raw = kv_arena_dup(a, raw);
    const uint8_t *p = raw.p, *end = raw.p + raw.len;
    const uint8_t *eol = memchr(p, '\n', raw.len);
    int status = -1;
    if (eol == NULL)
        goto out;
    /* Request line: METHOD SP TARGET SP VERSION */
    const uint8_t *sp1 = memchr(p, ' ', (size_t)(eol - p));
    const uint8_t *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
    if (sp2 == NULL)
        goto out;
    req.method = kv_slice(p, (size_t)(sp1 - p));
    kv_slice_t target = kv_slice(sp1 + 1, (size_t)(sp2 - sp1 - 1));
    const uint8_t *q = memchr(target.p, '?', target.len);
    req.path = q ? kv_slice(target.p, (size_t)(q - target.p)) : target;
    req.query = q ? kv_slice(q + 1, target.len - req.path.len - 1) : KV_SLICE_NULL;
    req.hdrs = kv_arena_calloc(a, 128, sizeof(*req.hdrs));
    p = eol + 1;
    while (p < end) {
        eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL)
            goto out;
        kv_slice_t line = kv_slice(p, (size_t)(eol - p));
        if (line.len && line.p[line.len - 1] == '\r')
            line.len--;
        p = eol + 1;
        if (line.len == 0)
            break;
        const uint8_t *c = memchr(line.p, ':', line.len);
        if (c == NULL || req.n_hdrs == 128)
            goto out;
        req.hdrs[req.n_hdrs].name = kv_slice(line.p, (size_t)(c - line.p));
        req.hdrs[req.n_hdrs].value =
            kv_slice_trim(kv_slice(c + 1, line.len - (size_t)(c - line.p) - 1));
        if (kv_slice_eq_nocase(req.hdrs[req.n_hdrs].name, "content-length")) {
            uint64_t v;
            if (kv_slice_to_u64(req.hdrs[req.n_hdrs].value, &v))
                req.content_length = (int64_t)v;
        }
        req.n_hdrs++;
    }
    kv_slice_t body = kv_slice(p, (size_t)(end - p));
    if (req.content_length >= 0 && (uint64_t)req.content_length < body.len)
        body.len = (size_t)req.content_length;
    api_resp_t resp;
    api_resp_init(&resp, &req);
    uint64_t limit;
    int rc = api_begin(h->ctx, &req, &resp, &limit);
    if (rc == API_CONTINUE && body.len > limit) {
        status = 413;
        api_resp_dispose(&resp);
        goto out;
    }
    /* Feed the body in a few pieces to exercise incremental decoding. */
    for (size_t off = 0; rc == API_CONTINUE && off < body.len;) {
        size_t n = body.len - off < 1000 ? body.len - off : 1000;
        rc = api_body(h->ctx, &req, &resp, body.p + off, n);
        off += n;
    }
    if (rc == API_CONTINUE)
        api_handle(h->ctx, &req, &resp);
    /* A held response (an SQS long poll) cannot be waited for here: answered now, as for a
     * client that went away (its state lives in the request's arena, freed below). */
    api_resp_abandon(h->ctx, &resp);
    status = resp.status;
    if (out)
        kv_buf_append_slice(out, kv_buf_slice(&resp.body));
    if (resp.src.read && !resp.no_body) {
        /* A streamed body: pull it the way the server does, checking its length. */
        uint8_t chunk[65536];
        uint64_t got = 0;
        int64_t n;
        while ((n = resp.src.read(resp.src.arg, chunk, sizeof(chunk))) > 0) {
            got += (uint64_t)n;
            if (out)
                kv_buf_append(out, chunk, (size_t)n);
        }
        if (n < 0 || got != resp.src.length)
            status = -2;
    }
    api_done(h->ctx, &req, &resp, raw.len, resp.body.len);
    api_resp_dispose(&resp);
out:
    kv_arena_free(a);
    return status;
}

static int run_built(harness_t *h, cli_req_t *r, kv_buf_t *out)
{
    kv_buf_t b;
    kv_buf_init(&b, 64u << 20);
    int st = -1;
    if (cli_build(&h->creds, r, &b) == 0)
        st = harness_run(h, kv_buf_slice(&b), out);
    kv_buf_dispose(&b);
    return st;
}

int harness_ddb(harness_t *h, const char *op, kv_slice_t json, kv_buf_t *out)
{
    char target[128];
    /* "Op" is a DynamoDB operation; a dotted name is a whole target (DynamoDBStreams_...). */
    snprintf(target, sizeof(target), strchr(op, '.') ? "%s" : "DynamoDB_20120810.%s", op);
    cli_req_t r;
    memset(&r, 0, sizeof(r));
    r.method = "POST";
    r.path = "/";
    r.host = "127.0.0.1:4566";
    r.service = "dynamodb";
    r.payload = CLI_PAYLOAD_NONE;
    r.body = json;
    cli_req_header(&r, "X-Amz-Target", target);
    cli_req_header(&r, "Content-Type", "application/x-amz-json-1.0");
    return run_built(h, &r, out);
}

int harness_json(harness_t *h, const char *service, const char *method, const char *path,
                 const char *query, const char *target, kv_slice_t json, kv_buf_t *out)
{
    cli_req_t r;
    memset(&r, 0, sizeof(r));
    r.method = method;
    r.path = path;
    r.query = query;
    r.host = "127.0.0.1:4566";
    r.service = service;
    r.payload = CLI_PAYLOAD_NONE;
    r.body = json;
    if (target) {
        cli_req_header(&r, "X-Amz-Target", target);
        cli_req_header(&r, "Content-Type", "application/x-amz-json-1.1");
    } else {
        cli_req_header(&r, "Content-Type", "application/json");
    }
    return run_built(h, &r, out);
}

int harness_s3_hdrs(harness_t *h, const char *method, const char *path, const char *query,
                    kv_slice_t body, const char *const *hdrs, kv_buf_t *out)
{
    cli_req_t r;
    memset(&r, 0, sizeof(r));
    r.method = method;
    r.path = path;
    r.query = query;
    r.host = "127.0.0.1:4566";
    r.service = "s3";
    r.body = body;
    for (size_t i = 0; hdrs && hdrs[i]; i += 2)
        if (hdrs[i + 1][0])
            cli_req_header(&r, hdrs[i], hdrs[i + 1]);
    return run_built(h, &r, out);
}

int harness_s3(harness_t *h, const char *method, const char *path, const char *query,
               kv_slice_t body, kv_buf_t *out)
{
    return harness_s3_hdrs(h, method, path, query, body, NULL, out);
}

int harness_form(harness_t *h, const char *service, kv_slice_t form, kv_buf_t *out)
{
    cli_req_t r;
    memset(&r, 0, sizeof(r));
    r.method = "POST";
    r.path = "/";
    r.host = "127.0.0.1:4566";
    r.service = service;
    r.payload = CLI_PAYLOAD_NONE;
    r.body = form;
    cli_req_header(&r, "Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
    return run_built(h, &r, out);
}
