/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Lambda's and CloudWatch Logs' authorization (issue 15, package L1): the IAM action, resource
 * ARN and condition keys of every operation (the Service Authorization Reference's), the
 * function policy (AddPermission's statements) as the resource policy of every function
 * operation, function URLs (AWS_IAM and NONE), AWS service principals invoking a function
 * (S3 notifications, SNS subscriptions, EventBridge targets: only the function policy can allow
 * them), and a function's execution role as the principal of what Lambda does for it (reading
 * a mapping's source, sending to a destination).
 */
#include <stdio.h>
#include <string.h>

#include "../api_iam.h"
#include "../api_msg.h"
#include "../auth/sigv4.h"
#include "../authz/pol.h"
#include "api_arn.h"
#include "base/kv_log.h"
#include "lambda_int.h"

#define CKEYS_MAX    64  /* condition keys one request gives */
#define TAG_KEYS_MAX 256 /* aws:TagKeys values taken from one request (tags are 50 at most) */
#define OWNER_ARN    "arn:aws:iam::" API_ACCOUNT_ID ":root"

/* ---- condition keys ---- */

typedef struct ckeys {
    api_ckey_t k[CKEYS_MAX];
    size_t n;
    kv_arena_t *a;
} ckeys_t;

static void ck_add(ckeys_t *c, const char *name, kv_slice_t v)
{
    if (c->n == CKEYS_MAX)
        return;
    kv_slice_t *vals = kv_arena_alloc(c->a, sizeof(*vals));
    *vals = v;
    c->k[c->n++] = (api_ckey_t){name, vals, 1};
}

/* aws:RequestTag/<k> for each member of a Tags object, and aws:TagKeys. */
static void ck_request_tags(ckeys_t *c, const api_json_t *tags)
{
    if (tags == NULL || api_json_type(tags) != API_J_OBJ)
        return;
    kv_slice_t *keys = kv_arena_calloc(c->a, TAG_KEYS_MAX, sizeof(*keys));
    size_t n = 0;
    void *it = NULL;
    const char *k;
    api_json_t *v;
    while (n < TAG_KEYS_MAX && api_json_next(tags, &it, &k, &v)) {
        keys[n++] = kv_slice_str(k);
        if (api_json_type(v) == API_J_STR)
            ck_add(c, kv_arena_printf(c->a, "aws:RequestTag/%s", k), api_json_str(v));
    }
    if (n && c->n < CKEYS_MAX)
        c->k[c->n++] = (api_ckey_t){"aws:TagKeys", keys, n};
}

/* aws:ResourceTag/<k> for a resource's tags. */
static void ck_resource_tags(ckeys_t *c, const eng_tag_t *tags, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ck_add(c, kv_arena_printf(c->a, "aws:ResourceTag/%s", tags[i].key),
               kv_slice_str(tags[i].value));
}

/* aws:TagKeys of UntagResource's ?tagKeys=a&tagKeys=b. */
static void ck_query_tag_keys(ckeys_t *c, const api_req_t *req)
{
    kv_slice_t *keys = kv_arena_calloc(c->a, TAG_KEYS_MAX, sizeof(*keys));
    size_t n = 0;
    kv_slice_t q = req->query, k, v;
    while (n < TAG_KEYS_MAX && sigv4_query_next(&q, &k, &v, NULL))
        if (kv_slice_eq_str(k, "tagKeys") && !api_form_decode(c->a, v, &keys[n++]))
            keys[n - 1] = v;
    if (n && c->n < CKEYS_MAX)
        c->k[c->n++] = (api_ckey_t){"aws:TagKeys", keys, n};
}

/* ---- functions and their policies ---- */

static bool is_root(const api_principal_t *p)
{
    return p->kind == API_PR_ROOT || p->kind == API_PR_ROOT_SESSION;
}

kv_slice_t lambda_authz_fn_arn(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t name, kv_slice_t qual)
{
    const char *s = qual.len
                        ? api_arn_new(a, "lambda", ctx->region, "function:%.*s:%.*s", (int)name.len,
                                      (const char *)name.p, (int)qual.len, (const char *)qual.p)
                        : api_arn_new(a, "lambda", ctx->region, "function:%.*s", (int)name.len,
                                      (const char *)name.p);
    return kv_slice_str(s);
}

int lambda_fn_policy(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t name, kv_slice_t qual,
                     kv_slice_t *text, eng_function_t **latest)
{
    eng_function_t *l = NULL, *f = NULL;
    eng_alias_t *al = NULL;
    *text = KV_SLICE_NULL;
    int rc = lambda_qual_load(ctx, a, name, qual, &l, &f, &al);
    if (latest)
        *latest = l;
    if (rc < 0)
        return rc;
    const char *const *list = al ? al->statements : f->statements;
    size_t n = al ? al->n_statements : f->n_statements;
    if (n == 0)
        return 0;
    kv_buf_t b;
    kv_buf_init(&b, 1u << 20);
    lambda_policy_doc(list, n, &b);
    *text = kv_buf_failed(&b) ? KV_SLICE_NULL : kv_arena_dup(a, kv_buf_slice(&b));
    kv_buf_dispose(&b);
    return 0;
}

int api_lambda_policy(api_ctx_t *ctx, kv_slice_t function_arn, kv_arena_t *a, kv_slice_t *policy)
{
    kv_slice_t name, qual = KV_SLICE_NULL;
    *policy = KV_SLICE_NULL;
    if (!lambda_arn_function(function_arn, &name))
        return KV_ENOTFOUND;
    /* the name ends at the qualifier's ':' (arn:aws:lambda:...:function:name[:qualifier]) */
    const uint8_t *end = name.p + name.len, *stop = function_arn.p + function_arn.len;
    if (end < stop && *end == ':')
        qual = kv_slice(end + 1, (size_t)(stop - end - 1));
    return lambda_fn_policy(ctx, a, name, qual, policy, NULL);
}

void lambda_res_policy(kv_arena_t *a, kv_slice_t text, api_res_policy_t *res)
{
    memset(res, 0, sizeof(*res));
    res->owner_arn = KV_SLICE_LIT(OWNER_ARN);
    if (text.len == 0)
        return;
    const char *err = NULL;
    res->policy = pol_cached(text, POL_RESOURCE, a, &err);
    if (res->policy == NULL) /* allows nothing: fail closed */
        KV_LOG_WARN("lambda: a function policy does not parse: %s", err ? err : "?");
}

/* ---- service principals and the execution role ---- */

bool lambda_service_decide(api_ctx_t *ctx, kv_slice_t target, const char *service,
                           const char *action, kv_slice_t source_arn, kv_slice_t policy,
                           kv_arena_t *a, const char **why)
{
    api_principal_t p;
    memset(&p, 0, sizeof(p));
    p.kind = API_PR_SERVICE;
    p.service = kv_slice_str(service);
    p.arn = p.service;
    ckeys_t ck = {.a = a};
    if (source_arn.len)
        ck_add(&ck, "aws:SourceArn", source_arn);
    ck_add(&ck, "aws:SourceAccount", KV_SLICE_LIT(API_ACCOUNT_ID));
    api_authz_t az = {.action = action, .resource = target, .keys = ck.k, .n_keys = ck.n};
    lambda_res_policy(a, policy, &az.res);
    if (az.res.policy == NULL) { /* only a resource policy can allow a service principal */
        if (why)
            *why = api_denied_msg(a, &p, action, target, API_DENY_IMPLICIT);
        return false;
    }
    return api_decide(ctx, &p, &az, KV_SLICE_NULL, true, a, why) == API_ALLOW;
}

bool lambda_service_may_invoke(api_ctx_t *ctx, kv_slice_t fn_arn, const char *service,
                               kv_slice_t source_arn, kv_arena_t *a, const char **why)
{
    kv_slice_t policy;
    if (api_lambda_policy(ctx, fn_arn, a, &policy) < 0) {
        if (why)
            *why = "Function not found";
        return false;
    }
    return lambda_service_decide(ctx, fn_arn, service, "lambda:InvokeFunction", source_arn, policy,
                                 a, why);
}

bool lambda_s3_may_invoke(api_ctx_t *ctx, const char *fn_arn, const char *bucket, kv_arena_t *a)
{
    kv_slice_t src = kv_slice_str(kv_arena_printf(a, "arn:aws:s3:::%s", bucket));
    return lambda_service_may_invoke(ctx, kv_slice_str(fn_arn), "s3.amazonaws.com", src, a, NULL);
}

bool lambda_sns_may_invoke(api_ctx_t *ctx, const char *fn_arn, const char *topic)
{
    kv_arena_t *a = kv_arena_new(16384);
    kv_slice_t src = kv_slice_str(api_arn_new(a, "sns", ctx->region, "%s", topic));
    bool ok =
        lambda_service_may_invoke(ctx, kv_slice_str(fn_arn), "sns.amazonaws.com", src, a, NULL);
    kv_arena_free(a);
    return ok;
}

bool lambda_events_may_invoke(api_ctx_t *ctx, kv_slice_t fn_arn, const char *rule_arn)
{
    kv_arena_t *a = kv_arena_new(16384);
    bool ok = lambda_service_may_invoke(ctx, fn_arn, "events.amazonaws.com", kv_slice_str(rule_arn),
                                        a, NULL);
    kv_arena_free(a);
    return ok;
}

int lambda_role_principal(api_ctx_t *ctx, const char *role_arn, const char *session, kv_arena_t *a,
                          api_principal_t *p)
{
    memset(p, 0, sizeof(*p));
    if (role_arn == NULL || role_arn[0] == '\0')
        return KV_ENOTFOUND;
    const char *slash = strrchr(role_arn, '/');
    const char *rname = slash ? slash + 1 : role_arn;
    p->kind = API_PR_ROLE;
    p->role_arn = kv_slice_str(role_arn);
    p->name = kv_slice_str(session);
    p->arn = kv_slice_str(
        kv_arena_printf(a, "arn:aws:sts::" API_ACCOUNT_ID ":assumed-role/%s/%s", rname, session));
    return api_iam_load(ctx, p, a);
}

bool lambda_role_may(api_ctx_t *ctx, const api_principal_t *role, const char *action,
                     kv_slice_t resource, kv_slice_t res_policy, kv_arena_t *a)
{
    api_authz_t az = {.action = action, .resource = resource};
    lambda_res_policy(a, res_policy, &az.res);
    return api_decide(ctx, role, &az, KV_SLICE_NULL, true, a, NULL) == API_ALLOW;
}

/* May function fn's role (name[:qualifier] fn) perform action on target? A function target's
 * policy counts too (a Lambda destination). */
static bool fn_role_may(api_ctx_t *ctx, kv_arena_t *a, const api_principal_t *role,
                        const char *action, kv_slice_t target)
{
    kv_slice_t policy = KV_SLICE_NULL;
    if (kv_slice_starts_with(target, "arn:aws:lambda:"))
        api_lambda_policy(ctx, target, a, &policy);
    return lambda_role_may(ctx, role, action, target, policy, a);
}

/* The action a destination of this kind needs, its API and its service's name (NULL: not a
 * destination Lambda sends to as the role). */
static const char *dest_action(kv_slice_t arn, const char **api, const char **svc)
{
    static const struct {
        const char *prefix, *action, *api, *svc;
    } kinds[] = {{"arn:aws:sqs:", "sqs:SendMessage", "SendMessage", "SQS"},
                 {"arn:aws:sns:", "sns:Publish", "Publish", "SNS"},
                 {"arn:aws:events:", "events:PutEvents", "PutEvents", "EventBridge"},
                 {"arn:aws:lambda:", "lambda:InvokeFunction", "InvokeFunction", "Lambda"}};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (kv_slice_starts_with(arn, kinds[i].prefix)) {
            *api = kinds[i].api;
            *svc = kinds[i].svc;
            return kinds[i].action;
        }
    return NULL;
}

bool lambda_fn_role_may_send(api_ctx_t *ctx, const char *role_arn, const char *fn_name,
                             kv_slice_t dest, kv_arena_t *a)
{
    const char *api, *svc;
    const char *action = dest_action(dest, &api, &svc);
    if (action == NULL) /* S3 buckets and the rest: not an IAM-checked send here */
        return true;
    api_principal_t p;
    if (lambda_role_principal(ctx, role_arn, fn_name, a, &p) < 0)
        return false;
    return fn_role_may(ctx, a, &p, action, dest);
}

int lambda_dest_role_check(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t fn,
                           const char *dest)
{
    if (dest == NULL || dest[0] == '\0')
        return 0;
    kv_slice_t name = fn, qual = KV_SLICE_NULL;
    const uint8_t *colon = memchr(fn.p, ':', fn.len);
    if (colon) {
        name = kv_slice(fn.p, (size_t)(colon - fn.p));
        qual = kv_slice(colon + 1, fn.len - name.len - 1);
    }
    eng_function_t *latest, *f;
    eng_alias_t *al;
    if (lambda_qual_load(ctx, req->arena, name, qual, &latest, &f, &al) < 0)
        return 0; /* the operation answers for a missing function */
    const char *api, *svc;
    kv_slice_t d = kv_slice_str(dest);
    if (dest_action(d, &api, &svc) == NULL ||
        lambda_fn_role_may_send(ctx, f->role, latest->name, d, req->arena))
        return 0;
    return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                      "The provided execution role does not have permissions to call %s on %s", api,
                      svc);
}

int lambda_esm_role_check(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const eng_mapping_t *m)
{
    kv_slice_t fn = kv_slice_str(m->function), name = fn, qual = KV_SLICE_NULL;
    const uint8_t *colon = memchr(fn.p, ':', fn.len);
    if (colon) {
        name = kv_slice(fn.p, (size_t)(colon - fn.p));
        qual = kv_slice(colon + 1, fn.len - name.len - 1);
    }
    eng_function_t *latest, *f;
    eng_alias_t *al;
    int rc = lambda_qual_load(ctx, req->arena, name, qual, &latest, &f, &al);
    if (rc < 0)
        return rc == KV_ENOTFOUND ? lambda_not_found(ctx, resp, name)
                                  : lambda_engine_fail(resp, rc);
    api_principal_t p;
    bool have = lambda_role_principal(ctx, f->role, latest->name, req->arena, &p) == 0;
    kv_slice_t src = kv_slice_str(m->source_arn);
    if (m->source == ENG_SOURCE_SQS) {
        static const char *const acts[][2] = {{"sqs:ReceiveMessage", "ReceiveMessage"},
                                              {"sqs:DeleteMessage", "DeleteMessage"},
                                              {"sqs:GetQueueAttributes", "GetQueueAttributes"}};
        for (size_t i = 0; i < 3; i++)
            if (!have || !fn_role_may(ctx, req->arena, &p, acts[i][0], src))
                return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                                  "The provided execution role does not have permissions to call "
                                  "%s on SQS",
                                  acts[i][1]);
    } else {
        static const char *const acts[] = {"dynamodb:GetRecords", "dynamodb:GetShardIterator",
                                           "dynamodb:DescribeStream", "dynamodb:ListStreams"};
        for (size_t i = 0; i < 4; i++)
            if (!have || !fn_role_may(ctx, req->arena, &p, acts[i], src))
                return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                                  "Cannot access stream %s. Please ensure the role can perform "
                                  "the GetRecords, GetShardIterator, DescribeStream, and "
                                  "ListStreams Actions on your stream in IAM.",
                                  m->source_arn);
    }
    return lambda_dest_role_check(ctx, req, resp, fn, m->on_failure);
}

/* ---- AddPermission's members ---- */

static bool digits12(kv_slice_t s)
{
    if (s.len != 12)
        return false;
    for (size_t i = 0; i < 12; i++)
        if (s.p[i] < '0' || s.p[i] > '9')
            return false;
    return true;
}

/* A principal Lambda takes: "*", an account id, an IAM ARN of this partition, a service. */
static bool principal_ok(kv_slice_t p)
{
    if (kv_slice_eq_str(p, "*") || digits12(p))
        return true;
    api_arn_t arn;
    if (kv_slice_starts_with(p, "arn:"))
        return api_arn_parse(p, &arn) &&
               (kv_slice_eq_str(arn.service, "iam") || kv_slice_eq_str(arn.service, "sts")) &&
               digits12(arn.account);
    static const char svc[] = ".amazonaws.com";
    if (p.len <= sizeof(svc) - 1 || memcmp(p.p + p.len - (sizeof(svc) - 1), svc, sizeof(svc) - 1))
        return false;
    for (size_t i = 0; i < p.len - (sizeof(svc) - 1); i++) {
        uint8_t c = p.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
            return false;
    }
    return true;
}

static int pattern_refused(api_resp_t *resp, kv_slice_t v, const char *member, const char *pat)
{
    return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                      "1 validation error detected: Value '%.*s' at '%s' failed to satisfy "
                      "constraint: Member must satisfy regular expression pattern: %s",
                      (int)(v.len > 256 ? 256 : v.len), (const char *)v.p, member, pat);
}

int lambda_permission_check(api_resp_t *resp, const api_json_t *in)
{
    kv_slice_t v = lambda_str_member(in, "Principal");
    if (v.len && !principal_ok(v))
        return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                          "The provided principal was invalid. Please check the principal and try "
                          "again.");
    if ((v = lambda_str_member(in, "SourceAccount")).p && !digits12(v))
        return pattern_refused(resp, v, "sourceAccount", "\\d{12}");
    api_arn_t arn;
    if ((v = lambda_str_member(in, "SourceArn")).p && (v.len > 1024 || !api_arn_parse(v, &arn)))
        return pattern_refused(resp, v, "sourceArn",
                               "arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}(-gov)?-[a-z]+-"
                               "\\d{1})?:(\\d{12})?:(.*)");
    if ((v = lambda_str_member(in, "PrincipalOrgID")).p) {
        bool ok = v.len >= 12 && v.len <= 34 && kv_slice_starts_with(v, "o-");
        for (size_t i = 2; ok && i < v.len; i++)
            ok = (v.p[i] >= 'a' && v.p[i] <= 'z') || (v.p[i] >= '0' && v.p[i] <= '9');
        if (!ok)
            return pattern_refused(resp, v, "principalOrgID", "^o-[a-z0-9]{10,32}$");
    }
    if ((v = lambda_str_member(in, "FunctionUrlAuthType")).p && !kv_slice_eq_str(v, "NONE") &&
        !kv_slice_eq_str(v, "AWS_IAM"))
        return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                          "1 validation error detected: Value '%.*s' at 'functionUrlAuthType' "
                          "failed to satisfy constraint: Member must satisfy enum value set: "
                          "[AWS_IAM, NONE]",
                          (int)(v.len > 64 ? 64 : v.len), (const char *)v.p);
    return 0;
}

/* ---- Lambda's operations ---- */

/* The function (or its qualifier) a function operation names: resource, policy, tags. */
static int fn_target(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t raw,
                     bool qualified, ckeys_t *ck, api_authz_t *az)
{
    kv_slice_t name, qual, q2;
    if (lambda_split_name(resp, raw, &name, &qual) < 0)
        return -1;
    if (qualified && qual.len == 0 && api_req_query(req, "Qualifier", &q2))
        qual = q2;
    if (!qualified)
        qual = KV_SLICE_NULL;
    az->resource = lambda_authz_fn_arn(ctx, req->arena, name, qual);
    kv_slice_t text;
    eng_function_t *latest = NULL;
    if (lambda_fn_policy(ctx, req->arena, name, qual, &text, &latest) < 0)
        text = KV_SLICE_NULL; /* no such function or qualifier: identity policies decide */
    lambda_res_policy(req->arena, text, &az->res);
    if (latest)
        ck_resource_tags(ck, latest->tags, latest->n_tags);
    return 0;
}

/* lambda:FunctionArn of a FunctionName (a mapping's function): the canonical ARN of the
 * function (and qualifier) it names, however it is written (a name, "name:qualifier", a partial
 * ARN "123456789012:function:name", an ARN of any region), as the operation resolves it. */
static void ck_function_arn(api_ctx_t *ctx, api_resp_t *resp, ckeys_t *c, kv_slice_t fn)
{
    if (fn.len == 0)
        return;
    api_resp_t scratch; /* a name the operation refuses is refused there, with its message */
    memset(&scratch, 0, sizeof(scratch));
    scratch._arena = resp->_arena;
    scratch._st = resp->_st;
    kv_slice_t name, qual;
    if (lambda_split_name(&scratch, fn, &name, &qual) < 0) {
        ck_add(c, "lambda:FunctionArn", fn);
        return;
    }
    ck_add(c, "lambda:FunctionArn", lambda_authz_fn_arn(ctx, c->a, name, qual));
}

static kv_slice_t layer_arn(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t name, kv_slice_t version)
{
    kv_slice_t n = name;
    api_arn_t arn;
    if (api_arn_parse(name, &arn) && kv_slice_starts_with(arn.resource, "layer:")) {
        n = kv_slice(arn.resource.p + 6, arn.resource.len - 6);
        const uint8_t *colon = memchr(n.p, ':', n.len);
        if (colon)
            n.len = (size_t)(colon - n.p);
    }
    const char *s =
        version.len
            ? api_arn_new(a, "lambda", ctx->region, "layer:%.*s:%.*s", (int)n.len,
                          (const char *)n.p, (int)version.len, (const char *)version.p)
            : api_arn_new(a, "lambda", ctx->region, "layer:%.*s", (int)n.len, (const char *)n.p);
    return kv_slice_str(s);
}

/* CreateFunction and UpdateFunctionConfiguration pass the execution role: iam:PassRole. */
static int pass_role(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                     kv_slice_t fn_arn)
{
    kv_slice_t role = lambda_str_member(in, "Role");
    if (role.len == 0)
        return 0;
    ckeys_t ck = {.a = req->arena};
    ck_add(&ck, "iam:PassedToService", KV_SLICE_LIT("lambda.amazonaws.com"));
    ck_add(&ck, "iam:AssociatedResourceArn", fn_arn);
    api_authz_t az = {.action = "iam:PassRole", .resource = role, .keys = ck.k, .n_keys = ck.n};
    return api_authorize(ctx, req, resp, &az) == 0 ? 0 : -1;
}

int lambda_authz(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, int op, kv_slice_t name,
                 kv_slice_t part, kv_slice_t part2)
{
    (void)part2;
    api_authz_t az = {.resource = KV_SLICE_LIT("*")};
    if (is_root(api_principal(req))) /* the configured key: one comparison */
        return api_authorize(ctx, req, resp, &az) == 0 ? 0 : -1;
    ckeys_t ck = {.a = req->arena};
    const api_json_t *in = NULL;
    kv_slice_t v;
    switch (op) {
    case LAMBDA_OP_list_functions:
    case LAMBDA_OP_get_account_settings:
    case LAMBDA_OP_list_layers:
        break;
    case LAMBDA_OP_get_layer_version_by_arn: {
        /* The layer version's own ARN, however the given one writes its region and account
         * (the operation finds the version by the layer's name and number). */
        api_arn_t arn;
        kv_slice_t rest, version = KV_SLICE_NULL;
        if (!api_req_query(req, "Arn", &v) || v.len == 0)
            break;
        az.resource = v;
        if (api_arn_parse(v, &arn) && api_arn_after(&arn, "layer:", &rest)) {
            const uint8_t *colon = memchr(rest.p, ':', rest.len);
            if (colon)
                version = kv_slice(colon + 1, rest.len - (size_t)(colon + 1 - rest.p));
            az.resource = layer_arn(ctx, req->arena, v, version);
        }
        break;
    }
    case LAMBDA_OP_publish_layer_version:
    case LAMBDA_OP_list_layer_versions:
        az.resource = layer_arn(ctx, req->arena, name, KV_SLICE_NULL);
        break;
    case LAMBDA_OP_get_layer_version:
    case LAMBDA_OP_delete_layer_version:
    case LAMBDA_OP_add_layer_version_permission:
    case LAMBDA_OP_remove_layer_version_permission:
    case LAMBDA_OP_get_layer_version_policy:
        az.resource = layer_arn(ctx, req->arena, name, part);
        break;
    case LAMBDA_OP_create_event_source_mapping:
        if ((in = lambda_body_json(req, resp)) == NULL)
            return -1;
        ck_function_arn(ctx, resp, &ck, lambda_str_member(in, "FunctionName"));
        break;
    case LAMBDA_OP_list_event_source_mappings:
        if (api_req_query(req, "FunctionName", &v))
            ck_function_arn(ctx, resp, &ck, v);
        break;
    case LAMBDA_OP_get_event_source_mapping:
    case LAMBDA_OP_update_event_source_mapping:
    case LAMBDA_OP_delete_event_source_mapping: {
        az.resource =
            kv_slice_str(api_arn_new(req->arena, "lambda", ctx->region, "event-source-mapping:%.*s",
                                     (int)name.len, (const char *)name.p));
        eng_mapping_t *m;
        if (name.len && name.len < 40 && eng_mapping_get(ctx->eng, name, req->arena, &m) == 0)
            ck_function_arn(ctx, resp, &ck, kv_slice_str(m->function));
        break;
    }
    case LAMBDA_OP_tag_resource:
    case LAMBDA_OP_untag_resource:
    case LAMBDA_OP_list_tags: {
        /* A function's ARN, however its region and account are written, is asked about as the
         * function's own ARN (the operation tags the function its name names); anything else
         * is refused by the operation. */
        az.resource = name;
        kv_slice_t fn;
        if (lambda_arn_function(name, &fn) && fn_target(ctx, req, resp, fn, false, &ck, &az) < 0)
            return -1;
        if (op == LAMBDA_OP_tag_resource) {
            if ((in = lambda_body_json(req, resp)) == NULL)
                return -1;
            ck_request_tags(&ck, api_json_get(in, "Tags"));
        } else if (op == LAMBDA_OP_untag_resource) {
            ck_query_tag_keys(&ck, req);
        }
        break;
    }
    case LAMBDA_OP_create_function: {
        if ((in = lambda_body_json(req, resp)) == NULL)
            return -1;
        kv_slice_t fn = lambda_str_member(in, "FunctionName"), bare, qual;
        if (fn.len == 0) /* the operation refuses it; nothing is allowed on no function */
            break;
        if (lambda_split_name(resp, fn, &bare, &qual) < 0)
            return -1;
        az.resource = lambda_authz_fn_arn(ctx, req->arena, bare, KV_SLICE_NULL);
        ck_request_tags(&ck, api_json_get(in, "Tags"));
        break;
    }
    case LAMBDA_OP_update_function_configuration:
    case LAMBDA_OP_update_function_code:
    case LAMBDA_OP_delete_function_concurrency:
    case LAMBDA_OP_put_function_concurrency:
    case LAMBDA_OP_get_function_concurrency:
    case LAMBDA_OP_publish_version:
    case LAMBDA_OP_list_versions_by_function:
    case LAMBDA_OP_create_alias:
    case LAMBDA_OP_get_alias:
    case LAMBDA_OP_update_alias:
    case LAMBDA_OP_delete_alias:
    case LAMBDA_OP_list_aliases:
    case LAMBDA_OP_list_function_event_invoke_configs:
    case LAMBDA_OP_list_function_url_configs:
        if (fn_target(ctx, req, resp, name, false, &ck, &az) < 0)
            return -1;
        break;
    case LAMBDA_OP_get_function:
    case LAMBDA_OP_get_function_configuration:
    case LAMBDA_OP_delete_function:
    case LAMBDA_OP_invoke:
    case LAMBDA_OP_put_function_event_invoke_config:
    case LAMBDA_OP_update_function_event_invoke_config:
    case LAMBDA_OP_get_function_event_invoke_config:
    case LAMBDA_OP_delete_function_event_invoke_config:
    case LAMBDA_OP_get_policy:
    case LAMBDA_OP_remove_permission:
    case LAMBDA_OP_get_function_url_config:
    case LAMBDA_OP_delete_function_url_config:
        if (fn_target(ctx, req, resp, name, true, &ck, &az) < 0)
            return -1;
        break;
    case LAMBDA_OP_add_permission:
    case LAMBDA_OP_create_function_url_config:
    case LAMBDA_OP_update_function_url_config:
        if (fn_target(ctx, req, resp, name, true, &ck, &az) < 0)
            return -1;
        if ((in = lambda_body_json(req, resp)) == NULL)
            return -1;
        if (op == LAMBDA_OP_add_permission) {
            if ((v = lambda_str_member(in, "Principal")).len)
                ck_add(&ck, "lambda:Principal", v);
            if ((v = lambda_str_member(in, "FunctionUrlAuthType")).len)
                ck_add(&ck, "lambda:FunctionUrlAuthType", v);
        } else if ((v = lambda_str_member(in, "AuthType")).len) {
            ck_add(&ck, "lambda:FunctionUrlAuthType", v);
        }
        break;
    default: /* an operation this table does not name is refused: fail closed */
        az.resource = req->path;
        az.action = "lambda:Unknown";
        break;
    }
    az.keys = ck.k;
    az.n_keys = ck.n;
    if (api_authorize(ctx, req, resp, &az) != 0)
        return -1;
    if (op == LAMBDA_OP_create_function || op == LAMBDA_OP_update_function_configuration) {
        if (in == NULL && (in = lambda_body_json(req, resp)) == NULL)
            return -1;
        return pass_role(ctx, req, resp, in, az.resource);
    }
    return 0;
}

/* ---- function URLs ---- */

int lambda_url_authz(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const char *function,
                     const char *qualifier, bool iam)
{
    if (iam && is_root(api_principal(req)))
        return api_authorize(
                   ctx, req, resp,
                   &(api_authz_t){.resource = KV_SLICE_LIT("*"), .flags = API_AZ_QUIET}) == 0
                   ? 0
                   : -1;
    kv_slice_t name = kv_slice_str(function);
    kv_slice_t qual = kv_slice_str(strcmp(qualifier, "$LATEST") == 0 ? "" : qualifier);
    ckeys_t ck = {.a = req->arena};
    ck_add(&ck, "lambda:FunctionUrlAuthType", kv_slice_str(iam ? "AWS_IAM" : "NONE"));
    api_authz_t az = {.action = "lambda:InvokeFunctionUrl",
                      .resource = lambda_authz_fn_arn(ctx, req->arena, name, qual),
                      .keys = ck.k,
                      .n_keys = ck.n,
                      .flags = API_AZ_QUIET};
    kv_slice_t text;
    if (lambda_fn_policy(ctx, req->arena, name, qual, &text, NULL) < 0)
        text = KV_SLICE_NULL;
    lambda_res_policy(req->arena, text, &az.res);
    if (iam)
        return api_authorize(ctx, req, resp, &az) == 0 ? 0 : -1;
    /* AuthType NONE: anyone, as far as the function policy allows everyone ("*"). */
    api_principal_t anon;
    memset(&anon, 0, sizeof(anon));
    if (az.res.policy == NULL)
        return -1;
    kv_slice_t ip = req->peer; /* aws:SourceIp: the address without its ":port" */
    while (ip.len && ip.p[ip.len - 1] != ':')
        ip.len--;
    ip = ip.len ? kv_slice(ip.p, ip.len - 1) : req->peer;
    return api_decide(ctx, &anon, &az, ip, req->tls, req->arena, NULL) == API_ALLOW ? 0 : -1;
}

/* ---- CloudWatch Logs ---- */

/* A log group named by name or by ARN (logGroupIdentifier). */
static kv_slice_t group_of(const api_json_t *in)
{
    kv_slice_t g = lambda_str_member(in, "logGroupName");
    if (g.len)
        return g;
    g = lambda_str_member(in, "logGroupIdentifier");
    api_arn_t arn;
    kv_slice_t n;
    if (api_arn_parse(g, &arn) && api_arn_name(&arn, "log-group:", &n))
        return n;
    return g;
}

int logs_authz(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in)
{
    api_authz_t az = {.resource = KV_SLICE_LIT("*")};
    if (is_root(api_principal(req)))
        return api_authorize(ctx, req, resp, &az) == 0 ? 0 : -1;
    ckeys_t ck = {.a = req->arena};
    kv_slice_t group = KV_SLICE_NULL, stream = KV_SLICE_NULL;
    switch (req->_st->op) {
    case LOGS_OP_describe_log_groups: /* the account's groups: log-group::log-stream: */
        break;
    case LOGS_OP_get_log_events:
    case LOGS_OP_put_log_events:
    case LOGS_OP_create_log_stream:
    case LOGS_OP_delete_log_stream:
        group = group_of(in);
        stream = lambda_str_member(in, "logStreamName");
        break;
    case LOGS_OP_create_log_group:
        group = group_of(in);
        ck_request_tags(&ck, api_json_get(in, "tags"));
        break;
    default:
        group = group_of(in);
        break;
    }
    az.resource = kv_slice_str(api_arn_new(
        req->arena, "logs", ctx->region, "log-group:%.*s:log-stream:%.*s", (int)group.len,
        (const char *)group.p, (int)stream.len, (const char *)stream.p));
    az.keys = ck.k;
    az.n_keys = ck.n;
    return api_authorize(ctx, req, resp, &az) == 0 ? 0 : -1;
}
