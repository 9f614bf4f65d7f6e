/* SPDX-License-Identifier: Apache-2.0 */
/* The api harness with another principal; see api_harness_as.h. */
#include "api_harness_as.h"

#include <stdio.h>
#include <string.h>

#include "api_int.h"
#include "base/kv_arena.h"
#include "base/kv_time.h"

#define AS_MAX_HDRS 64

int harness_run_as(harness_t *h, kv_slice_t raw, const api_principal_t *as, kv_buf_t *out)
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
    const uint8_t *sp1 = eol ? memchr(p, ' ', (size_t)(eol - p)) : NULL;
    const uint8_t *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
    int status = -1;
    if (sp2 == NULL)
        goto out;
    req.method = kv_slice(p, (size_t)(sp1 - p));
    kv_slice_t target = kv_slice(sp1 + 1, (size_t)(sp2 - sp1 - 1));
    const uint8_t *q = memchr(target.p, '?', target.len);
    req.path = q ? kv_slice(target.p, (size_t)(q - target.p)) : target;
    req.query = q ? kv_slice(q + 1, target.len - req.path.len - 1) : KV_SLICE_NULL;
    req.hdrs = kv_arena_calloc(a, AS_MAX_HDRS, sizeof(*req.hdrs));
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
        if (c == NULL || req.n_hdrs == AS_MAX_HDRS)
            goto out;
        req.hdrs[req.n_hdrs].name = kv_slice(line.p, (size_t)(c - line.p));
        req.hdrs[req.n_hdrs].value =
            kv_slice_trim(kv_slice(c + 1, line.len - (size_t)(c - line.p) - 1));
        uint64_t v;
        if (kv_slice_eq_nocase(req.hdrs[req.n_hdrs].name, "content-length") &&
            kv_slice_to_u64(req.hdrs[req.n_hdrs].value, &v))
            req.content_length = (int64_t)v;
        req.n_hdrs++;
    }
    kv_slice_t body = kv_slice(p, (size_t)(end - p));
    if (req.content_length >= 0 && (uint64_t)req.content_length < body.len)
        body.len = (size_t)req.content_length;
    api_resp_t resp;
    api_resp_init(&resp, &req);
    uint64_t limit;
    int rc = api_begin(h->ctx, &req, &resp, &limit);
    if (rc == API_CONTINUE && as)
        req._st->principal = *as;
    if (rc == API_CONTINUE && body.len > limit) {
        status = 413;
        api_resp_dispose(&resp);
        goto out;
    }
    if (rc == API_CONTINUE && body.len)
        rc = api_body(h->ctx, &req, &resp, body.p, body.len);
    if (rc == API_CONTINUE)
        api_handle(h->ctx, &req, &resp);
    api_resp_abandon(h->ctx, &resp);
    status = resp.status;
    if (out)
        kv_buf_append_slice(out, kv_buf_slice(&resp.body));
    api_done(h->ctx, &req, &resp, raw.len, resp.body.len);
    api_resp_dispose(&resp);
out:
    kv_arena_free(a);
    return status;
}

int harness_ddb_as(harness_t *h, const char *op, kv_slice_t json, const api_principal_t *as,
                   kv_buf_t *out)
{
    char target[128];
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
    kv_buf_t b;
    kv_buf_init(&b, 64u << 20);
    int st = -1;
    if (cli_build(&h->creds, &r, &b) == 0)
        st = harness_run_as(h, kv_buf_slice(&b), as, out);
    kv_buf_dispose(&b);
    return st;
}
