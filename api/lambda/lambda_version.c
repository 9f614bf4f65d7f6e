/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Lambda API's versions and what hangs off a qualifier: qualifier resolution (name:qual,
 * qualified ARNs, ?Qualifier=), PublishVersion, ListVersionsByFunction, DeleteFunction of a
 * version, aliases (Create/Get/Update/Delete/ListAliases, RoutingConfig weights), resource
 * policies (AddPermission, RemovePermission, GetPolicy; stored, not enforced), tags
 * (TagResource, UntagResource, ListTags) and GetAccountSettings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/sigv4.h"
#include "base/kv_hash.h"
#include "base/kv_time.h"
#include "lambda_int.h"

#define LIST_DEFAULT      50
#define POLICY_MAX        20480 /* a function's resource policy document */
#define TAGS_MAX          50
#define TAG_KEY_MAX       128
#define TAG_VALUE_MAX     256
#define ACCOUNT_CODE_MAX  80530636800ull /* 75 GB */
#define ACCOUNT_CONCURR   1000
#define UNZIPPED_MAX      262144000ull
#define ZIPPED_MAX        52428800ull
#define ALIAS_NAME_MAX    128
#define VERSIONS_LIST_MAX 10000

static bool all_digits(kv_slice_t s)
{
    if (s.len == 0 || s.len > 10)
        return false;
    for (size_t i = 0; i < s.len; i++)
        if (s.p[i] < '0' || s.p[i] > '9')
            return false;
    return true;
}

static uint32_t to_u32(kv_slice_t s)
{
    uint64_t v = 0;
    for (size_t i = 0; i < s.len; i++)
        v = v * 10 + (uint64_t)(s.p[i] - '0');
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static int qual_not_found(api_ctx_t *ctx, api_resp_t *resp, kv_slice_t name, kv_slice_t qual)
{
    char arn[400];
    api_arn_write(arn, sizeof(arn), "lambda", ctx->region, "function:%.*s:%.*s",
                  (int)(name.len > 64 ? 64 : name.len), (const char *)name.p,
                  (int)(qual.len > 128 ? 128 : qual.len), (const char *)qual.p);
    return api_refuse(resp, API_E_LAMBDA_NOT_FOUND, "Function not found: %s", arn);
}

/* An alias name: 1..128 of [a-zA-Z0-9-_], not all digits. */
static bool alias_name_ok(kv_slice_t s)
{
    bool digits = true;
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = s.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
        digits &= c >= '0' && c <= '9';
    }
    return s.len > 0 && s.len <= ALIAS_NAME_MAX && !digits;
}

int lambda_qual_load(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t name, kv_slice_t qual,
                     eng_function_t **latest, eng_function_t **f, eng_alias_t **alias)
{
    *alias = NULL;
    *latest = NULL;
    int rc = eng_function_get(ctx->eng, name, a, latest);
    if (rc < 0)
        return rc;
    *f = *latest;
    if (qual.len == 0 || kv_slice_eq_str(qual, "$LATEST"))
        return 0;
    if (all_digits(qual))
        return eng_version_get(ctx->eng, name, to_u32(qual), a, f);
    if (!alias_name_ok(qual))
        return KV_ENOTFOUND;
    rc = eng_alias_get(ctx->eng, name, qual, a, alias);
    if (rc == 0 && (*alias)->version)
        rc = eng_version_get(ctx->eng, name, (*alias)->version, a, f);
    return rc;
}

/* The version an invocation of alias al (base: its own version) runs, picked by its weight. */
static int alias_pick(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t name, const eng_alias_t *al,
                      eng_function_t *base, eng_function_t **f)
{
    *f = base;
    if (al == NULL || al->extra_version == 0 || al->extra_weight <= 0)
        return 0;
    uint64_t r;
    kv_random(&r, sizeof(r));
    if ((double)(r >> 11) / (double)(1ull << 53) >= al->extra_weight)
        return 0;
    int rc = eng_version_get(ctx->eng, name, al->extra_version, a, f);
    if (rc == KV_ENOTFOUND) /* deleted meanwhile: the alias's own version */
        *f = base, rc = 0;
    return rc;
}

/* What every version's invocation takes from the function: its reserved concurrency (one pool
 * per function) and the asynchronous settings of the qualifier invoked. */
static void run_settings(kv_arena_t *a, const eng_function_t *latest, const char *qual,
                         eng_function_t *f)
{
    f->reserved = latest->reserved;
    f->event_config = lambda_evcfg_doc(a, latest, qual);
}

int lambda_qual_pick(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t name, kv_slice_t qual,
                     eng_function_t **f)
{
    eng_function_t *latest, *base;
    eng_alias_t *al;
    int rc = lambda_qual_load(ctx, a, name, qual, &latest, &base, &al);
    if (rc == 0)
        rc = alias_pick(ctx, a, name, al, base, f);
    if (rc == 0)
        run_settings(a, latest, qual.len ? kv_arena_strndup(a, qual.p, qual.len) : NULL, *f);
    return rc;
}

int lambda_target(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t raw,
                  lambda_target_t *t)
{
    memset(t, 0, sizeof(*t));
    kv_slice_t qual, q2;
    if (lambda_split_name(resp, raw, &t->name, &qual) < 0)
        return -1;
    if (api_req_query(req, "Qualifier", &q2) && q2.len) {
        if (qual.len && !kv_slice_eq(qual, q2))
            return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                              "The derived qualifier from the function name does not match the "
                              "specified qualifier.");
        qual = q2;
    }
    int rc = lambda_qual_load(ctx, req->arena, t->name, qual, &t->latest, &t->f, &t->alias);
    if (rc == KV_ENOTFOUND && t->latest == NULL)
        return lambda_not_found(ctx, resp, t->name);
    if (rc == KV_ENOTFOUND)
        return qual_not_found(ctx, resp, t->name, qual);
    if (rc < 0)
        return lambda_engine_fail(resp, rc);
    if (qual.len)
        t->qual = lambda_dup_str(req, qual);
    return 0;
}

int lambda_target_pick(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, lambda_target_t *t,
                       eng_function_t **f)
{
    int rc = alias_pick(ctx, req->arena, t->name, t->alias, t->f, f);
    if (rc < 0)
        return lambda_engine_fail(resp, rc);
    run_settings(req->arena, t->latest, t->qual, *f);
    return 0;
}

/* ---- versions ---- */

int lambda_publish(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const eng_function_t *f,
                   const char *description, int status, api_jw_t *w)
{
    eng_function_t *ver;
    bool created;
    int rc = eng_version_publish(ctx->eng, kv_slice_str(f->name), f->revision, description,
                                 req->arena, &ver, &created);
    if (rc == KV_ECONDFAIL)
        return lambda_refuse_revision(resp, "GetFunction/GetAlias");
    if (rc == KV_ENOTFOUND)
        return lambda_not_found(ctx, resp, kv_slice_str(f->name));
    if (rc < 0)
        return lambda_engine_fail(resp, rc);
    resp->durable = true;
    char q[16];
    snprintf(q, sizeof(q), "%u", ver->version);
    lambda_respond_json(resp, status);
    lambda_encode_config(ctx, ver, q, w);
    return 0;
}

static int op_publish(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t raw, api_jw_t *w)
{
    const api_json_t *in = lambda_body_json(req, resp);
    eng_function_t *f;
    if (in == NULL || lambda_load_fn(ctx, req, resp, raw, &f) < 0)
        return -1;
    const api_json_t *sha = api_json_get(in, "CodeSha256");
    if (sha && api_json_type(sha) == API_J_STR &&
        !kv_slice_eq_str(api_json_str(sha), f->code_sha256))
        return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                          "CodeSHA256 (%.*s) is different from current CodeSHA256 in $LATEST "
                          "(%s). Please try again with the CodeSHA256 in $LATEST.",
                          (int)(api_json_str(sha).len > 64 ? 64 : api_json_str(sha).len),
                          (const char *)api_json_str(sha).p, f->code_sha256);
    if (lambda_revision_check(resp, lambda_str_member(in, "RevisionId"), f->revision,
                              "GetFunction/GetAlias") < 0)
        return -1;
    const char *desc = NULL;
    if (lambda_description_in(req, resp, in, &desc) < 0)
        return -1;
    return lambda_publish(ctx, req, resp, f, desc, 201, w);
}

static int op_list_versions(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t raw,
                            api_jw_t *w)
{
    eng_function_t *latest;
    if (lambda_load_fn(ctx, req, resp, raw, &latest) < 0)
        return -1;
    size_t limit = LIST_DEFAULT;
    if (lambda_max_items(req, resp, &limit) < 0)
        return -1;
    kv_slice_t marker = KV_SLICE_NULL;
    api_req_query(req, "Marker", &marker);
    /* $LATEST first, then the versions in order; the marker is the last one given. */
    bool latest_first = marker.len == 0;
    uint32_t after = 0;
    if (marker.len && !kv_slice_eq_str(marker, "$LATEST")) {
        if (!all_digits(marker))
            return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM, "Invalid marker: %.*s",
                              (int)(marker.len > 64 ? 64 : marker.len), (const char *)marker.p);
        after = to_u32(marker);
    }
    eng_function_t *list;
    size_t n;
    bool more;
    size_t want = latest_first ? limit - 1 : limit;
    int rc = eng_version_list(ctx->eng, kv_slice_str(latest->name), after, want, req->arena, &list,
                              &n, &more);
    if (rc < 0)
        return lambda_engine_fail(resp, rc);
    lambda_respond_json(resp, 200);
    api_jw_obj_begin(w);
    api_jw_key(w, "Versions");
    api_jw_arr_begin(w);
    if (latest_first)
        lambda_encode_config(ctx, latest, "$LATEST", w);
    char q[16];
    for (size_t i = 0; i < n; i++) {
        snprintf(q, sizeof(q), "%u", list[i].version);
        lambda_encode_config(ctx, &list[i], q, w);
    }
    api_jw_arr_end(w);
    if (more || (latest_first && want == 0)) {
        if (n)
            snprintf(q, sizeof(q), "%u", list[n - 1].version);
        else
            snprintf(q, sizeof(q), "$LATEST");
        api_jw_kstr(w, "NextMarker", q);
    }
    api_jw_obj_end(w);
    return 0;
}

int lambda_delete_version(api_ctx_t *ctx, api_resp_t *resp, kv_slice_t name, kv_slice_t qual)
{
    if (!all_digits(qual))
        return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                          "Deletion of aliases is not supported by DeleteFunction: use "
                          "DeleteAlias.");
    int rc = eng_version_delete(ctx->eng, name, to_u32(qual));
    if (rc == KV_ENOTFOUND)
        return qual_not_found(ctx, resp, name, qual);
    if (rc == KV_EBUSY)
        return api_refuse(resp, API_E_LAMBDA_CONFLICT,
                          "Unable to delete version because the following aliases reference it: "
                          "an alias routes to version %.*s",
                          (int)qual.len, (const char *)qual.p);
    if (rc < 0)
        return lambda_engine_fail(resp, rc);
    char q[16];
    snprintf(q, sizeof(q), "%u", to_u32(qual));
    lambda_evcfg_forget(ctx, name, q);
    resp->durable = true;
    resp->status = 204;
    return 0;
}

/* ---- aliases ---- */

static void encode_alias(api_ctx_t *ctx, const eng_alias_t *al, api_jw_t *w)
{
    char arn[400], v[16];
    api_arn_write(arn, sizeof(arn), "lambda", ctx->region, "function:%s:%s", al->function,
                  al->name);
    api_jw_obj_begin(w);
    api_jw_kstr(w, "AliasArn", arn);
    api_jw_kstr(w, "Name", al->name);
    snprintf(v, sizeof(v), "%u", al->version);
    api_jw_kstr(w, "FunctionVersion", al->version ? v : "$LATEST");
    api_jw_kstr(w, "Description", al->description ? al->description : "");
    if (al->extra_version) {
        api_jw_key(w, "RoutingConfig");
        api_jw_obj_begin(w);
        api_jw_key(w, "AdditionalVersionWeights");
        api_jw_obj_begin(w);
        snprintf(v, sizeof(v), "%u", al->extra_version);
        api_jw_key(w, v);
        char num[40];
        snprintf(num, sizeof(num), "%.17g", al->extra_weight);
        api_jw_raw(w, kv_slice_str(num));
        api_jw_obj_end(w);
        api_jw_obj_end(w);
    }
    api_jw_kstr(w, "RevisionId", al->revision);
    api_jw_obj_end(w);
}

/* A version member ("$LATEST" or a published version's number) that must exist. */
static int version_in(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t name,
                      kv_slice_t v, uint32_t *out)
{
    if (kv_slice_eq_str(v, "$LATEST")) {
        *out = 0;
        return 0;
    }
    eng_function_t *f;
    if (!all_digits(v) || eng_version_get(ctx->eng, name, to_u32(v), req->arena, &f) < 0)
        return qual_not_found(ctx, resp, name, v);
    *out = f->version;
    return 0;
}

/* FunctionVersion, Description and RoutingConfig of CreateAlias/UpdateAlias into al. */
static int alias_members(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                         eng_alias_t *al, bool create)
{
    kv_slice_t name = kv_slice_str(al->function);
    const api_json_t *fv = api_json_get(in, "FunctionVersion");
    if (fv && api_json_type(fv) == API_J_STR) {
        if (version_in(ctx, req, resp, name, api_json_str(fv), &al->version) < 0)
            return -1;
    } else if (create) {
        return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                          "1 validation error detected: Value null at 'functionVersion' failed "
                          "to satisfy constraint: Member must not be null");
    }
    if (lambda_description_in(req, resp, in, &al->description) < 0)
        return -1;
    const api_json_t *rc = api_json_get(in, "RoutingConfig");
    if (rc && api_json_type(rc) == API_J_OBJ) {
        const api_json_t *wts = api_json_get(rc, "AdditionalVersionWeights");
        al->extra_version = 0;
        al->extra_weight = 0;
        if (wts && api_json_type(wts) == API_J_OBJ) {
            void *it = NULL;
            const char *k;
            api_json_t *val;
            size_t count = 0;
            while (api_json_next(wts, &it, &k, &val)) {
                double wt;
                if (++count > 1)
                    return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                                      "Number of items in AdditionalVersionWeights cannot be "
                                      "greater than 1");
                if (!api_json_num(val, &wt) || !(wt >= 0.0 && wt <= 1.0))
                    return api_refuse(
                        resp, API_E_LAMBDA_VALIDATION,
                        "1 validation error detected: Value at 'routingConfig."
                        "additionalVersionWeights' failed to satisfy constraint: Map value must "
                        "satisfy constraint: [Member must have value less than or equal to 1.0, "
                        "Member must have value greater than or equal to 0.0, Member must not be "
                        "null]");
                kv_slice_t kv = kv_slice_str(k);
                if (!all_digits(kv))
                    return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                                      "1 validation error detected: Value at 'routingConfig."
                                      "additionalVersionWeights' failed to satisfy constraint: "
                                      "Map keys must satisfy constraint: [Member must satisfy "
                                      "regular expression pattern: [0-9]+]");
                uint32_t ev;
                if (version_in(ctx, req, resp, name, kv, &ev) < 0)
                    return -1;
                al->extra_version = ev;
                al->extra_weight = wt;
            }
        }
    }
    if (al->extra_version && al->version == 0)
        return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                          "$LATEST is not supported for an alias pointing to more than 1 version");
    if (al->extra_version && al->extra_version == al->version)
        return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                          "Invalid function version %u. Function version %u is already included "
                          "in routing configuration.",
                          al->extra_version, al->version);
    return 0;
}

static int alias_fail(api_ctx_t *ctx, api_resp_t *resp, kv_slice_t fn, kv_slice_t name, int rc)
{
    if (rc != KV_ENOTFOUND && rc != KV_EEXIST)
        return lambda_engine_fail(resp, rc);
    char arn[400];
    api_arn_write(arn, sizeof(arn), "lambda", ctx->region, "function:%.*s:%.*s",
                  (int)(fn.len > 64 ? 64 : fn.len), (const char *)fn.p,
                  (int)(name.len > 128 ? 128 : name.len), (const char *)name.p);
    if (rc == KV_ENOTFOUND)
        return api_refuse(resp, API_E_LAMBDA_NOT_FOUND, "Alias not found: %s", arn);
    return api_refuse(resp, API_E_LAMBDA_CONFLICT, "Alias already exists: %s", arn);
}

/* Store alias al of function fn with a new revision (mode ENG_FN_CREATE or ENG_FN_UPDATE) and
 * reply with it (201 for a new one). */
static int alias_store(api_ctx_t *ctx, api_resp_t *resp, api_jw_t *w, kv_slice_t fn,
                       eng_alias_t *al, int mode)
{
    kv_uuid4(al->revision);
    int rc = eng_alias_put(ctx->eng, al, mode);
    if (rc < 0)
        return alias_fail(ctx, resp, fn, kv_slice_str(al->name), rc);
    resp->durable = true;
    lambda_respond_json(resp, mode == ENG_FN_CREATE ? 201 : 200);
    encode_alias(ctx, al, w);
    return 0;
}

static int op_alias(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, int op, kv_slice_t raw,
                    kv_slice_t aname, api_jw_t *w)
{
    eng_function_t *f;
    if (lambda_load_fn(ctx, req, resp, raw, &f) < 0)
        return -1;
    kv_slice_t fn = kv_slice_str(f->name);
    if (op == LAMBDA_OP_list_aliases) {
        size_t limit = LIST_DEFAULT;
        if (lambda_max_items(req, resp, &limit) < 0)
            return -1;
        kv_slice_t marker = KV_SLICE_NULL, fv = KV_SLICE_NULL;
        api_req_query(req, "Marker", &marker);
        bool filter = api_req_query(req, "FunctionVersion", &fv) && fv.len;
        uint32_t want = 0;
        if (filter && !kv_slice_eq_str(fv, "$LATEST"))
            want = all_digits(fv) ? to_u32(fv) : UINT32_MAX;
        eng_alias_t *list;
        size_t n;
        bool more;
        int rc = eng_alias_list(ctx->eng, fn, marker, filter ? 10000 : limit, req->arena, &list, &n,
                                &more);
        if (rc < 0)
            return lambda_engine_fail(resp, rc);
        lambda_respond_json(resp, 200);
        api_jw_obj_begin(w);
        api_jw_key(w, "Aliases");
        api_jw_arr_begin(w);
        size_t given = 0;
        const char *last = NULL;
        for (size_t i = 0; i < n && given < limit; i++) {
            if (filter && list[i].version != want && list[i].extra_version != want)
                continue;
            encode_alias(ctx, &list[i], w);
            last = list[i].name;
            given++;
        }
        api_jw_arr_end(w);
        if (last && (more || (filter && given == limit)))
            api_jw_kstr(w, "NextMarker", last);
        api_jw_obj_end(w);
        return 0;
    }
    const api_json_t *in = NULL;
    if (op == LAMBDA_OP_create_alias || op == LAMBDA_OP_update_alias) {
        in = lambda_body_json(req, resp);
        if (in == NULL)
            return -1;
    }
    if (op == LAMBDA_OP_create_alias) {
        const api_json_t *n = api_json_get(in, "Name");
        aname = n && api_json_type(n) == API_J_STR ? api_json_str(n) : KV_SLICE_NULL;
    }
    if (!alias_name_ok(aname))
        return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                          "1 validation error detected: Value '%.*s' at 'name' failed to satisfy "
                          "constraint: Member must satisfy regular expression pattern: "
                          "(?!^[0-9]+$)([a-zA-Z0-9-_]+)",
                          (int)(aname.len > 200 ? 200 : aname.len), (const char *)aname.p);
    eng_alias_t *al = NULL;
    int rc;
    if (op == LAMBDA_OP_create_alias) {
        al = kv_arena_calloc(req->arena, 1, sizeof(*al));
        al->function = f->name;
        al->name = lambda_dup_str(req, aname);
        if (alias_members(ctx, req, resp, in, al, true) < 0)
            return -1;
        return alias_store(ctx, resp, w, fn, al, ENG_FN_CREATE);
    }
    rc = eng_alias_get(ctx->eng, fn, aname, req->arena, &al);
    if (rc < 0)
        return alias_fail(ctx, resp, fn, aname, rc);
    if (op == LAMBDA_OP_get_alias) {
        lambda_respond_json(resp, 200);
        encode_alias(ctx, al, w);
        return 0;
    }
    if (op == LAMBDA_OP_delete_alias) {
        rc = eng_alias_delete(ctx->eng, fn, aname);
        if (rc < 0 && rc != KV_ENOTFOUND)
            return lambda_engine_fail(resp, rc);
        lambda_evcfg_forget(ctx, fn, al->name); /* its asynchronous settings go with it */
        resp->durable = true;
        resp->status = 204;
        return 0;
    }
    if (lambda_revision_check(resp, lambda_str_member(in, "RevisionId"), al->revision,
                              "GetFunction/GetAlias") < 0)
        return -1;
    if (alias_members(ctx, req, resp, in, al, false) < 0)
        return -1;
    return alias_store(ctx, resp, w, fn, al, ENG_FN_UPDATE);
}

/* ---- resource policies ---- */

void lambda_policy_doc(const char *const *list, size_t n, kv_buf_t *out)
{
    kv_buf_append_str(out, "{\"Version\":\"2012-10-17\",\"Id\":\"default\",\"Statement\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            kv_buf_append_byte(out, ',');
        kv_buf_append_str(out, list[i]);
    }
    kv_buf_append_str(out, "]}");
}

void lambda_policy_reply(api_resp_t *resp, const char *const *list, size_t n, const char *rev,
                         api_jw_t *w)
{
    kv_buf_t doc;
    kv_buf_init(&doc, 1u << 20);
    lambda_policy_doc(list, n, &doc);
    lambda_respond_json(resp, 200);
    api_jw_obj_begin(w);
    api_jw_key(w, "Policy");
    api_jw_str(w, kv_buf_slice(&doc));
    api_jw_kstr(w, "RevisionId", rev);
    api_jw_obj_end(w);
    kv_buf_dispose(&doc);
}

static bool sid_of(kv_arena_t *a, const char *stmt, kv_slice_t sid)
{
    api_json_t *root;
    const char *err;
    if (api_json_parse(a, kv_slice_str(stmt), &root, &err) < 0)
        return false;
    const api_json_t *s = api_json_get(root, "Sid");
    return s && api_json_type(s) == API_J_STR && kv_slice_eq(api_json_str(s), sid);
}

static bool pattern_ok(kv_slice_t s, size_t max, const char *extra)
{
    if (s.len == 0 || s.len > max)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = s.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr(extra, c)))
            return false;
    }
    return true;
}

static const char *str_member(const api_json_t *in, const char *key)
{
    const api_json_t *v = api_json_get(in, key);
    return v && api_json_type(v) == API_J_STR ? "" : NULL;
}

int lambda_policy_add(api_req_t *req, api_resp_t *resp, const api_json_t *in, const char *resource,
                      bool layer, const char ***list, size_t *n, size_t limit, const char **added)
{
    const api_json_t *sid = api_json_get(in, "StatementId");
    const api_json_t *act = api_json_get(in, "Action");
    const api_json_t *pr = api_json_get(in, "Principal");
    const char *missing = !sid || api_json_type(sid) != API_J_STR   ? "statementId"
                          : !act || api_json_type(act) != API_J_STR ? "action"
                          : !pr || api_json_type(pr) != API_J_STR   ? "principal"
                                                                    : NULL;
    if (missing)
        return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                          "1 validation error detected: Value null at '%s' failed to satisfy "
                          "constraint: Member must not be null",
                          missing);
    kv_slice_t s = api_json_str(sid), a = api_json_str(act), p = api_json_str(pr);
    if (!pattern_ok(s, 100, "-_"))
        return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                          "1 validation error detected: Value '%.*s' at 'statementId' failed to "
                          "satisfy constraint: Member must satisfy regular expression pattern: "
                          "([a-zA-Z0-9-_]+)",
                          (int)(s.len > 128 ? 128 : s.len), (const char *)s.p);
    bool act_ok =
        kv_slice_eq_str(a, "*") || kv_slice_eq_str(a, "lambda:*") ||
        (kv_slice_starts_with(a, "lambda:") && pattern_ok(kv_slice(a.p + 7, a.len - 7), 128, ""));
    if (layer)
        act_ok = kv_slice_eq_str(a, "lambda:GetLayerVersion");
    if (!act_ok)
        return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                          "1 validation error detected: Value '%.*s' at 'action' failed to "
                          "satisfy constraint: Member must satisfy regular expression pattern: "
                          "%s",
                          (int)(a.len > 128 ? 128 : a.len), (const char *)a.p,
                          layer ? "lambda:GetLayerVersion" : "(lambda:[*]|lambda:[a-zA-Z]+|[*])");
    bool p_ok = p.len > 0 && p.len <= 256;
    for (size_t i = 0; p_ok && i < p.len; i++)
        p_ok = p.p[i] > ' ' && p.p[i] < 0x7f;
    if (!p_ok)
        return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                          "1 validation error detected: Value at 'principal' failed to satisfy "
                          "constraint: Member must satisfy regular expression pattern: [^\\s]+");
    if (!layer && lambda_permission_check(resp, in) < 0) /* issue 15 */
        return -1;
    for (size_t i = 0; i < *n; i++)
        if (sid_of(req->arena, (*list)[i], s))
            return api_refuse(resp, API_E_LAMBDA_CONFLICT,
                              "The statement id (%.*s) provided already exists. Please provide a "
                              "new statement id, or remove the existing statement.",
                              (int)s.len, (const char *)s.p);
    kv_buf_t b;
    kv_buf_init(&b, 64 * 1024);
    api_jw_t w;
    api_jw_init(&w, &b);
    api_jw_obj_begin(&w);
    api_jw_key(&w, "Sid");
    api_jw_str(&w, s);
    api_jw_kstr(&w, "Effect", "Allow");
    api_jw_key(&w, "Principal");
    bool digits = p.len == 12;
    for (size_t i = 0; digits && i < p.len; i++)
        digits = p.p[i] >= '0' && p.p[i] <= '9';
    if (kv_slice_eq_str(p, "*")) {
        api_jw_cstr(&w, "*");
    } else {
        api_jw_obj_begin(&w);
        if (digits) {
            char arn[64];
            snprintf(arn, sizeof(arn), "arn:aws:iam::%.*s:root", (int)p.len, (const char *)p.p);
            api_jw_kstr(&w, "AWS", arn);
        } else if (kv_slice_starts_with(p, "arn:")) {
            api_jw_key(&w, "AWS");
            api_jw_str(&w, p);
        } else {
            api_jw_key(&w, "Service");
            api_jw_str(&w, p);
        }
        api_jw_obj_end(&w);
    }
    api_jw_key(&w, "Action");
    api_jw_str(&w, a);
    api_jw_kstr(&w, "Resource", resource);
    /* Conditions: StringEquals for accounts, organisations, URL auth types, tokens; ArnLike
     * for the source ARN. */
    static const char *const eq_keys[][2] = {{"SourceAccount", "AWS:SourceAccount"},
                                             {"PrincipalOrgID", "aws:PrincipalOrgID"},
                                             {"OrganizationId", "aws:PrincipalOrgID"},
                                             {"FunctionUrlAuthType", "lambda:FunctionUrlAuthType"},
                                             {"EventSourceToken", "lambda:EventSourceToken"}};
    bool any_eq = false;
    for (size_t i = 0; i < sizeof(eq_keys) / sizeof(eq_keys[0]); i++)
        any_eq |= str_member(in, eq_keys[i][0]) != NULL;
    bool arn_like = str_member(in, "SourceArn") != NULL;
    if (any_eq || arn_like) {
        api_jw_key(&w, "Condition");
        api_jw_obj_begin(&w);
        if (any_eq) {
            api_jw_key(&w, "StringEquals");
            api_jw_obj_begin(&w);
            for (size_t i = 0; i < sizeof(eq_keys) / sizeof(eq_keys[0]); i++)
                if (str_member(in, eq_keys[i][0])) {
                    api_jw_key(&w, eq_keys[i][1]);
                    api_jw_str(&w, api_json_str(api_json_get(in, eq_keys[i][0])));
                }
            api_jw_obj_end(&w);
        }
        if (arn_like) {
            api_jw_key(&w, "ArnLike");
            api_jw_obj_begin(&w);
            api_jw_key(&w, "AWS:SourceArn");
            api_jw_str(&w, api_json_str(api_json_get(in, "SourceArn")));
            api_jw_obj_end(&w);
        }
        api_jw_obj_end(&w);
    }
    api_jw_obj_end(&w);
    bool ok = api_jw_ok(&w);
    const char *stmt = ok ? lambda_dup_str(req, kv_buf_slice(&b)) : NULL;
    kv_buf_dispose(&b);
    if (!ok)
        return api_refuse(resp, API_E_LAMBDA_POLICY_TOO_LARGE,
                          "The final policy size is bigger than the limit.");
    const char **nl = kv_arena_calloc(req->arena, *n + 1, sizeof(*nl));
    if (*n)
        memcpy(nl, *list, *n * sizeof(*nl));
    nl[*n] = stmt;
    kv_buf_t doc;
    kv_buf_init(&doc, 1u << 20);
    lambda_policy_doc(nl, *n + 1, &doc);
    size_t size = doc.len;
    kv_buf_dispose(&doc);
    if (size > limit)
        return api_refuse(resp, API_E_LAMBDA_POLICY_TOO_LARGE,
                          "The final policy size (%zu) is bigger than the limit (%zu).", size,
                          limit);
    *list = nl;
    (*n)++;
    *added = stmt;
    return 0;
}

int lambda_policy_remove(api_req_t *req, api_resp_t *resp, kv_slice_t sid, const char ***list,
                         size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        if (sid_of(req->arena, (*list)[i], sid)) {
            const char **nl = kv_arena_calloc(req->arena, *n, sizeof(*nl));
            size_t m = 0;
            for (size_t j = 0; j < *n; j++)
                if (j != i)
                    nl[m++] = (*list)[j];
            *list = nl;
            *n = m;
            return 0;
        }
    return api_refuse(resp, API_E_LAMBDA_NOT_FOUND,
                      "Statement %.*s is not found in resource policy.",
                      (int)(sid.len > 100 ? 100 : sid.len), (const char *)sid.p);
}

static int op_policy(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, int op, kv_slice_t raw,
                     kv_slice_t sid, api_jw_t *w)
{
    lambda_target_t t;
    if (lambda_target(ctx, req, resp, raw, &t) < 0)
        return -1;
    const char **list;
    size_t n;
    const char *rev;
    if (t.alias) {
        list = t.alias->statements, n = t.alias->n_statements, rev = t.alias->revision;
    } else {
        list = t.f->statements, n = t.f->n_statements, rev = t.f->revision;
    }
    if (op == LAMBDA_OP_get_policy) {
        if (n == 0)
            return api_refuse(resp, API_E_LAMBDA_NOT_FOUND,
                              "The resource you requested does not exist.");
        lambda_policy_reply(resp, list, n, rev, w);
        return 0;
    }
    kv_slice_t want = KV_SLICE_NULL;
    const api_json_t *in = NULL;
    if (op == LAMBDA_OP_add_permission) {
        in = lambda_body_json(req, resp);
        if (in == NULL)
            return -1;
        want = lambda_str_member(in, "RevisionId");
    } else {
        api_req_query(req, "RevisionId", &want);
    }
    if (lambda_revision_check(resp, want, rev, "GetPolicy") < 0)
        return -1;
    const char *added = NULL;
    if (op == LAMBDA_OP_add_permission) {
        char arn[400];
        lambda_fn_arn(ctx, t.latest->name, arn, sizeof(arn));
        if (t.qual && strlen(arn) + strlen(t.qual) + 2 < sizeof(arn)) {
            strcat(arn, ":");
            strcat(arn, t.qual);
        }
        if (lambda_policy_add(req, resp, in, arn, false, &list, &n, POLICY_MAX, &added) < 0)
            return -1;
    } else if (lambda_policy_remove(req, resp, sid, &list, &n) < 0) {
        return -1;
    }
    int rc;
    if (t.alias) {
        t.alias->statements = list;
        t.alias->n_statements = n;
        rc = eng_alias_put(ctx->eng, t.alias, ENG_FN_UPDATE);
    } else if (t.f->version) {
        rc = eng_version_set_policy(ctx->eng, t.name, t.f->version, list, n);
    } else {
        t.f->statements = list;
        t.f->n_statements = n;
        rc = eng_function_put(ctx->eng, t.f, KV_SLICE_NULL, ENG_FN_UPDATE);
    }
    if (rc == KV_ENOTFOUND)
        return lambda_not_found(ctx, resp, t.name);
    if (rc < 0)
        return lambda_engine_fail(resp, rc);
    resp->durable = true;
    if (op == LAMBDA_OP_remove_permission) {
        resp->status = 204;
        return 0;
    }
    lambda_respond_json(resp, 201);
    api_jw_obj_begin(w);
    api_jw_kstr(w, "Statement", added);
    api_jw_obj_end(w);
    return 0;
}

/* ---- tags ---- */

static int tag_check(api_resp_t *resp, kv_slice_t k, kv_slice_t v)
{
    if (k.len == 0 || k.len > TAG_KEY_MAX)
        return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                          "Tag keys must be between 1 and 128 characters in length.");
    if (v.len > TAG_VALUE_MAX)
        return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                          "Tag values must be at most 256 characters in length.");
    if (k.len >= 4 && (k.p[0] | 0x20) == 'a' && (k.p[1] | 0x20) == 'w' && (k.p[2] | 0x20) == 's' &&
        k.p[3] == ':')
        return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                          "Tag keys prefixed with 'aws:' are reserved for AWS use.");
    return 0;
}

int lambda_tags_in(api_req_t *req, api_resp_t *resp, const api_json_t *in, eng_tag_t **tags,
                   size_t *n)
{
    if (in == NULL)
        return 0;
    if (api_json_type(in) != API_J_OBJ)
        return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM, "Tags must be a map");
    size_t count = 0;
    void *it = NULL;
    const char *k;
    api_json_t *v;
    while (api_json_next(in, &it, &k, &v))
        count++;
    eng_tag_t *out = kv_arena_calloc(req->arena, count + *n + 1, sizeof(*out));
    if (*n)
        memcpy(out, *tags, *n * sizeof(*out));
    size_t m = *n;
    it = NULL;
    while (api_json_next(in, &it, &k, &v)) {
        if (api_json_type(v) != API_J_STR)
            return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM, "Tag values must be strings");
        if (tag_check(resp, kv_slice_str(k), api_json_str(v)) < 0)
            return -1;
        size_t i = 0;
        while (i < m && strcmp(out[i].key, k) != 0)
            i++;
        out[i].key = k;
        out[i].value = lambda_dup_str(req, api_json_str(v));
        if (i == m)
            m++;
    }
    if (m > TAGS_MAX)
        return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                          "Number of tags exceeds resource tag limit (%d).", TAGS_MAX);
    *tags = out;
    *n = m;
    return 0;
}

static int op_tags(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, int op, kv_slice_t res,
                   api_jw_t *w)
{
    kv_slice_t name;
    api_arn_t a;
    if (!api_arn_parse(res, &a) || !kv_slice_eq_str(a.service, "lambda") ||
        !api_arn_name(&a, "function:", &name))
        return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                          "1 validation error detected: Value '%.*s' at 'resource' failed to "
                          "satisfy constraint: Member must satisfy regular expression pattern: "
                          "arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{"
                          "1}:\\d{12}:(function:[a-zA-Z0-9-_]+(:(\\$LATEST|[a-zA-Z0-9-_]+))?|layer:"
                          "[a-zA-Z0-9-_]+)",
                          (int)(res.len > 200 ? 200 : res.len), (const char *)res.p);
    kv_slice_t rest;
    if (api_arn_after(&a, "function:", &rest) && rest.len > name.len)
        return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                          "Tags are not supported on a qualified function ARN: %.*s",
                          (int)(res.len > 200 ? 200 : res.len), (const char *)res.p);
    eng_function_t *f;
    int rc = eng_function_get(ctx->eng, name, req->arena, &f);
    if (rc == KV_ENOTFOUND)
        return lambda_not_found(ctx, resp, name);
    if (rc < 0)
        return lambda_engine_fail(resp, rc);
    if (op == LAMBDA_OP_list_tags) {
        lambda_respond_json(resp, 200);
        api_jw_obj_begin(w);
        lambda_jw_map(w, "Tags", f->tags, f->n_tags);
        api_jw_obj_end(w);
        return 0;
    }
    if (op == LAMBDA_OP_tag_resource) {
        const api_json_t *in = lambda_body_json(req, resp);
        if (in == NULL)
            return -1;
        const api_json_t *tags = api_json_get(in, "Tags");
        if (tags == NULL)
            return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                              "1 validation error detected: Value null at 'tags' failed to "
                              "satisfy constraint: Member must not be null");
        if (lambda_tags_in(req, resp, tags, &f->tags, &f->n_tags) < 0)
            return -1;
    } else {
        /* ?tagKeys=a&tagKeys=b */
        kv_slice_t q = req->query, k, v;
        bool any = false;
        while (sigv4_query_next(&q, &k, &v, NULL)) {
            if (!kv_slice_eq_str(k, "tagKeys"))
                continue;
            kv_slice_t key;
            if (!api_form_decode(req->arena, v, &key))
                key = v;
            any = true;
            size_t m = 0;
            for (size_t i = 0; i < f->n_tags; i++)
                if (!kv_slice_eq_str(key, f->tags[i].key))
                    f->tags[m++] = f->tags[i];
            f->n_tags = m;
        }
        if (!any)
            return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                              "1 validation error detected: Value null at 'tagKeys' failed to "
                              "satisfy constraint: Member must not be null");
    }
    if (lambda_fn_save(ctx, resp, f) < 0)
        return -1;
    resp->status = 204;
    return 0;
}

/* ---- account settings ---- */

static int op_account(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, api_jw_t *w)
{
    uint64_t total = 0, count = 0, reserved = 0;
    kv_slice_t after = KV_SLICE_NULL;
    for (int page = 0; page < 100000; page++) {
        kv_arena_t *a = kv_arena_new(1 << 16);
        eng_function_t *list;
        size_t n;
        bool more;
        int rc = eng_function_list(ctx->eng, after, 100, a, &list, &n, &more);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            count++;
            total += list[i].code_size;
            if (list[i].reserved > 0)
                reserved += (uint64_t)list[i].reserved;
            /* each published version's code counts too (unless it is $LATEST's) */
            uint32_t last = 0;
            for (int vp = 0; vp < 10000; vp++) {
                eng_function_t *vs;
                size_t vn;
                bool vmore;
                rc = eng_version_list(ctx->eng, kv_slice_str(list[i].name), last, 100, a, &vs, &vn,
                                      &vmore);
                for (size_t j = 0; rc == 0 && j < vn; j++) {
                    if (vs[j].code_id != list[i].code_id)
                        total += vs[j].code_size;
                    last = vs[j].version;
                }
                if (rc < 0 || !vmore)
                    break;
            }
        }
        if (rc == 0 && more && n)
            after = kv_slice_str(lambda_dup_str(req, kv_slice_str(list[n - 1].name)));
        kv_arena_free(a);
        if (rc < 0)
            return lambda_engine_fail(resp, rc);
        if (!more)
            break;
    }
    /* layers' zips count towards the total as on Lambda */
    kv_slice_t lafter = KV_SLICE_NULL;
    uint32_t lver = 0;
    for (int page = 0; page < 100000; page++) {
        kv_arena_t *a = kv_arena_new(1 << 16);
        eng_layer_t *ls;
        size_t n;
        bool more;
        int rc = eng_layer_list(ctx->eng, KV_SLICE_NULL, lafter, lver, 100, a, &ls, &n, &more);
        for (size_t i = 0; rc == 0 && i < n; i++)
            total += ls[i].code_size;
        if (rc == 0 && n) {
            lafter = kv_slice_str(lambda_dup_str(req, kv_slice_str(ls[n - 1].name)));
            lver = ls[n - 1].version;
        }
        kv_arena_free(a);
        if (rc < 0)
            return lambda_engine_fail(resp, rc);
        if (!more)
            break;
    }
    lambda_respond_json(resp, 200);
    api_jw_obj_begin(w);
    api_jw_key(w, "AccountLimit");
    api_jw_obj_begin(w);
    api_jw_ku64(w, "TotalCodeSize", ACCOUNT_CODE_MAX);
    api_jw_ku64(w, "CodeSizeUnzipped", UNZIPPED_MAX);
    api_jw_ku64(w, "CodeSizeZipped", ZIPPED_MAX);
    api_jw_ku64(w, "ConcurrentExecutions", ACCOUNT_CONCURR);
    api_jw_ku64(w, "UnreservedConcurrentExecutions",
                reserved >= ACCOUNT_CONCURR ? 0 : ACCOUNT_CONCURR - reserved);
    api_jw_obj_end(w);
    api_jw_key(w, "AccountUsage");
    api_jw_obj_begin(w);
    api_jw_ku64(w, "TotalCodeSize", total);
    api_jw_ku64(w, "FunctionCount", count);
    api_jw_obj_end(w);
    api_jw_obj_end(w);
    return 0;
}

int lambda_op_version(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, int op, kv_slice_t raw,
                      kv_slice_t part, api_jw_t *w)
{
    switch (op) {
    case LAMBDA_OP_publish_version:
        return op_publish(ctx, req, resp, raw, w);
    case LAMBDA_OP_list_versions_by_function:
        return op_list_versions(ctx, req, resp, raw, w);
    case LAMBDA_OP_create_alias:
    case LAMBDA_OP_get_alias:
    case LAMBDA_OP_update_alias:
    case LAMBDA_OP_delete_alias:
    case LAMBDA_OP_list_aliases:
        return op_alias(ctx, req, resp, op, raw, part, w);
    case LAMBDA_OP_add_permission:
    case LAMBDA_OP_remove_permission:
    case LAMBDA_OP_get_policy:
        return op_policy(ctx, req, resp, op, raw, part, w);
    case LAMBDA_OP_tag_resource:
    case LAMBDA_OP_untag_resource:
    case LAMBDA_OP_list_tags:
        return op_tags(ctx, req, resp, op, raw, w);
    case LAMBDA_OP_get_account_settings:
        return op_account(ctx, req, resp, w);
    default:
        return api_refuse(resp, API_E_LAMBDA_UNKNOWN_OP, "Unknown operation");
    }
}
