/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IAM policies (issue 15, package I): the inline policies of users, groups and roles; customer
 * managed policies with their versions, tags and attachments; and the few AWS managed
 * policies this server defines (arn:aws:iam::aws:policy/...), each granting what its name
 * says on this server's services.
 */
#include <stdio.h>
#include <string.h>

#include "authz/pol.h"
#include "base/kv_time.h"
#include "iam_int.h"

/* ---- AWS managed policies ---- */

typedef struct aws_pol {
    const char *path, *name, *id, *doc;
} aws_pol_t;

#define ALLOW(actions)                                                                     \
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":" actions \
    ",\"Resource\":\"*\"}]}"

static const aws_pol_t aws_pols[] = {
    {"/", "AdministratorAccess", "ANPASTRATUSADMINACCXX", ALLOW("\"*\"")},
    {"/", "AmazonDynamoDBFullAccess", "ANPASTRATUSDYNAMOFULL", ALLOW("\"dynamodb:*\"")},
    {"/", "AmazonS3FullAccess", "ANPASTRATUSS3FULLACCX", ALLOW("\"s3:*\"")},
    {"/", "AmazonS3ReadOnlyAccess", "ANPASTRATUSS3READONLX",
     ALLOW("[\"s3:Get*\",\"s3:List*\",\"s3:Describe*\"]")},
    {"/", "AmazonSQSFullAccess", "ANPASTRATUSSQSFULLACX", ALLOW("\"sqs:*\"")},
    {"/", "AmazonSNSFullAccess", "ANPASTRATUSSNSFULLACX", ALLOW("\"sns:*\"")},
    {"/", "AWSLambda_FullAccess", "ANPASTRATUSLAMBDAFULX",
     "{\"Version\":\"2012-10-17\",\"Statement\":["
     "{\"Effect\":\"Allow\",\"Action\":[\"lambda:*\",\"logs:DescribeLogGroups\","
     "\"logs:DescribeLogStreams\",\"logs:GetLogEvents\",\"logs:FilterLogEvents\","
     "\"iam:GetRole\",\"iam:ListRoles\",\"iam:GetPolicy\",\"iam:GetPolicyVersion\","
     "\"iam:ListAttachedRolePolicies\",\"iam:ListRolePolicies\",\"iam:GetRolePolicy\"],"
     "\"Resource\":\"*\"},"
     "{\"Effect\":\"Allow\",\"Action\":\"iam:PassRole\",\"Resource\":\"*\",\"Condition\":"
     "{\"StringEquals\":{\"iam:PassedToService\":\"lambda.amazonaws.com\"}}}]}"},
    {"/service-role/", "AWSLambdaBasicExecutionRole", "ANPASTRATUSLAMBDABASX",
     ALLOW("[\"logs:CreateLogGroup\",\"logs:CreateLogStream\",\"logs:PutLogEvents\"]")},
};
#define N_AWS (sizeof(aws_pols) / sizeof(aws_pols[0]))

static const aws_pol_t *aws_find(kv_slice_t arn)
{
    for (size_t i = 0; i < N_AWS; i++) {
        char buf[256];
        int n =
            snprintf(buf, sizeof(buf), IAM_AWS_POLICY "%s%s", aws_pols[i].path, aws_pols[i].name);
        if (n > 0 && kv_slice_eq(arn, kv_slice(buf, (size_t)n)))
            return &aws_pols[i];
    }
    return NULL;
}

const char *iam_aws_policy(kv_slice_t arn, const char **name, const char **path)
{
    const aws_pol_t *p = aws_find(arn);
    if (!p)
        return NULL;
    if (name)
        *name = p->name;
    if (path)
        *path = p->path;
    return p->doc;
}

bool iam_policy_arn_parts(kv_slice_t arn, kv_slice_t *path, kv_slice_t *name)
{
    kv_slice_t pre = KV_SLICE_LIT(IAM_ARN_PREFIX "policy/");
    if (arn.len <= pre.len || memcmp(arn.p, pre.p, pre.len) != 0)
        return false;
    size_t start = pre.len - 1; /* the path's leading '/' */
    size_t last = start;
    for (size_t i = start; i < arn.len; i++)
        if (arn.p[i] == '/')
            last = i;
    *path = kv_slice(arn.p + start, last - start + 1);
    *name = kv_slice(arn.p + last + 1, arn.len - last - 1);
    return name->len > 0 && iam_name_ok(*name, 128) && iam_path_ok(*path);
}

/* A customer managed policy by ARN (its path must match). */
static int policy_get(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t arn, iam_ent_t *e)
{
    kv_slice_t path, name;
    if (!iam_policy_arn_parts(arn, &path, &name))
        return KV_ENOTFOUND;
    int rc = iam_ent_get(ctx, a, IAM_POLICY, name, e);
    if (rc == 0 && !kv_slice_eq(e->path, path))
        rc = KV_ENOTFOUND;
    return rc;
}

int iam_policy_doc(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t arn, kv_slice_t *doc)
{
    const char *d = iam_aws_policy(arn, NULL, NULL);
    if (d) {
        *doc = kv_slice_str(d);
        return 0;
    }
    iam_ent_t e;
    int rc = policy_get(ctx, a, arn, &e);
    if (rc)
        return rc;
    kv_slice_t v;
    rc = eng_iam_get(ctx->eng, iam_k_version(a, e.name, e.default_ver), a, &v);
    if (rc == 0)
        rc = iam_ver_decode(v, a, doc, NULL);
    return rc;
}

size_t iam_policy_chars(kv_slice_t doc)
{
    size_t n = 0;
    for (size_t i = 0; i < doc.len; i++) {
        uint8_t ch = doc.p[i];
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r')
            continue;
        if ((ch & 0xc0) != 0x80) /* characters, not bytes */
            n++;
    }
    return n;
}

int iam_policy_check(iam_call_t *c, kv_slice_t doc, int kind, size_t max)
{
    if (doc.len == 0 || doc.len > POL_MAX_TEXT)
        return iam_validation(c,
                              "1 validation error detected: Value at 'policyDocument' failed "
                              "to satisfy constraint: Member must have length between 1 and "
                              "%d",
                              POL_MAX_TEXT);
    if (max && iam_policy_chars(doc) > max) {
        if (kind == POL_TRUST)
            return api_refuse(c->resp, API_E_IAM_LIMIT,
                              "Cannot exceed quota for ACLSizePerRole: %zu", max);
        return api_refuse(c->resp, API_E_IAM_LIMIT, "Cannot exceed quota for PolicySize: %zu", max);
    }
    const char *err = NULL;
    pol_t *p = pol_parse(doc, (pol_kind_t)kind, c->a, &err);
    if (p == NULL)
        return api_refuse(c->resp, API_E_IAM_MALFORMED_POLICY, "%s",
                          err ? err : "Syntax errors in policy.");
    pol_free(p);
    return 0;
}

/* ---- inline policies ---- */

static const char *member_of(char kind)
{
    return kind == IAM_USER ? "UserName" : kind == IAM_GROUP ? "GroupName" : "RoleName";
}

static size_t inline_max(char kind)
{
    return kind == IAM_USER    ? POL_MAX_USER_INL
           : kind == IAM_GROUP ? POL_MAX_GROUP_INL
                               : POL_MAX_ROLE_INL;
}

static int principal(iam_call_t *c, char kind, iam_ent_t *e)
{
    kv_slice_t name;
    if (iam_name(c, member_of(kind), kind == IAM_GROUP ? 128 : 64, true, &name))
        return -1;
    return iam_load_authz(c, kind, name, e);
}

static int put_inline(iam_call_t *c, char kind)
{
    kv_slice_t pname, doc = iam_str(c, "PolicyDocument");
    if (iam_name(c, "PolicyName", 128, true, &pname))
        return -1;
    if (doc.p == NULL)
        return iam_validation(c, "1 validation error detected: Value null at 'policyDocument' "
                                 "failed to satisfy constraint: Member must not be null");
    iam_ent_t e;
    if (principal(c, kind, &e) || iam_policy_check(c, doc, POL_IDENTITY, 0))
        return -1;
    pthread_mutex_lock(&c->st->lock);
    /* the total of the principal's inline policies, this one replacing its old text */
    iam_rec_t *r;
    size_t n;
    int rc = iam_collect(c->ctx, c->a, iam_k_of(c->a, 'i', kind, e.name), KV_SLICE_NULL, 0, &r, &n,
                         NULL);
    size_t total = iam_policy_chars(doc);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (!kv_slice_eq(r[i].key, pname))
            total += iam_policy_chars(r[i].val);
    if (rc == 0 && total > inline_max(kind)) {
        pthread_mutex_unlock(&c->st->lock);
        return api_refuse(c->resp, API_E_IAM_LIMIT,
                          "Maximum policy size of %zu bytes exceeded for %s %.*s", inline_max(kind),
                          kind == IAM_USER    ? "user"
                          : kind == IAM_GROUP ? "group"
                                              : "role",
                          (int)e.name.len, (const char *)e.name.p);
    }
    if (rc == 0) {
        iam_tx_t t = {.a = c->a};
        iam_tx_put(&t, iam_k_inline(c->a, kind, e.name, pname), doc);
        rc = iam_tx_commit(c, &t);
    } else {
        rc = iam_fail_rc(c, rc);
    }
    pthread_mutex_unlock(&c->st->lock);
    return rc;
}

static int get_inline(iam_call_t *c, char kind)
{
    kv_slice_t pname;
    iam_ent_t e;
    if (iam_name(c, "PolicyName", 128, true, &pname) || principal(c, kind, &e))
        return -1;
    kv_slice_t doc;
    int rc = eng_iam_get(c->ctx->eng, iam_k_inline(c->a, kind, e.name, pname), c->a, &doc);
    if (rc == KV_ENOTFOUND)
        return api_refuse(c->resp, API_E_IAM_NO_SUCH_ENTITY,
                          "The %s policy with name %.*s cannot be found.",
                          kind == IAM_USER    ? "user"
                          : kind == IAM_GROUP ? "group"
                                              : "role",
                          (int)pname.len, (const char *)pname.p);
    if (rc)
        return iam_fail_rc(c, rc);
    api_xw_elem(&c->w, member_of(kind), e.name);
    api_xw_elem(&c->w, "PolicyName", pname);
    api_xw_elem(&c->w, "PolicyDocument", iam_urlencode(c->a, doc));
    return 0;
}

static int delete_inline(iam_call_t *c, char kind)
{
    kv_slice_t pname;
    iam_ent_t e;
    if (iam_name(c, "PolicyName", 128, true, &pname) || principal(c, kind, &e))
        return -1;
    pthread_mutex_lock(&c->st->lock);
    kv_slice_t k = iam_k_inline(c->a, kind, e.name, pname), v;
    int rc = eng_iam_get(c->ctx->eng, k, c->a, &v);
    if (rc == KV_ENOTFOUND)
        rc = api_refuse(c->resp, API_E_IAM_NO_SUCH_ENTITY,
                        "The %s policy with name %.*s cannot be found.",
                        kind == IAM_USER    ? "user"
                        : kind == IAM_GROUP ? "group"
                                            : "role",
                        (int)pname.len, (const char *)pname.p);
    else if (rc)
        rc = iam_fail_rc(c, rc);
    if (rc == 0) {
        iam_tx_t t = {.a = c->a};
        iam_tx_del(&t, k);
        rc = iam_tx_commit(c, &t);
    }
    pthread_mutex_unlock(&c->st->lock);
    return rc;
}

static int list_inline(iam_call_t *c, char kind)
{
    size_t max;
    kv_slice_t marker;
    iam_ent_t e;
    if (iam_page_args(c, &max, &marker) || principal(c, kind, &e))
        return -1;
    iam_rec_t *r;
    size_t n;
    bool more;
    int rc =
        iam_collect(c->ctx, c->a, iam_k_of(c->a, 'i', kind, e.name), marker, max, &r, &n, &more);
    if (rc)
        return iam_fail_rc(c, rc);
    api_xw_open(&c->w, "PolicyNames");
    for (size_t i = 0; i < n; i++)
        api_xw_elem(&c->w, "member", r[i].key);
    api_xw_close(&c->w, "PolicyNames");
    iam_page_end(c, more, n ? r[n - 1].key : KV_SLICE_NULL);
    return 0;
}

int iam_put_user_policy(iam_call_t *c)
{
    return put_inline(c, IAM_USER);
}
int iam_get_user_policy(iam_call_t *c)
{
    return get_inline(c, IAM_USER);
}
int iam_delete_user_policy(iam_call_t *c)
{
    return delete_inline(c, IAM_USER);
}
int iam_list_user_policies(iam_call_t *c)
{
    return list_inline(c, IAM_USER);
}
int iam_put_group_policy(iam_call_t *c)
{
    return put_inline(c, IAM_GROUP);
}
int iam_get_group_policy(iam_call_t *c)
{
    return get_inline(c, IAM_GROUP);
}
int iam_delete_group_policy(iam_call_t *c)
{
    return delete_inline(c, IAM_GROUP);
}
int iam_list_group_policies(iam_call_t *c)
{
    return list_inline(c, IAM_GROUP);
}
int iam_put_role_policy(iam_call_t *c)
{
    return put_inline(c, IAM_ROLE);
}
int iam_get_role_policy(iam_call_t *c)
{
    return get_inline(c, IAM_ROLE);
}
int iam_delete_role_policy(iam_call_t *c)
{
    return delete_inline(c, IAM_ROLE);
}
int iam_list_role_policies(iam_call_t *c)
{
    return list_inline(c, IAM_ROLE);
}

/* ---- managed policies ---- */

/* The PolicyArn member, authorized on it: a customer policy into *e (e->kind 0 for an AWS
 * managed one: *aws set). @return 0 or -1 answered (NoSuchEntity when it does not exist). */
static int policy_arg(iam_call_t *c, iam_ent_t *e, const aws_pol_t **aws)
{
    kv_slice_t arn = iam_str(c, "PolicyArn");
    *aws = NULL;
    memset(e, 0, sizeof(*e));
    if (arn.p == NULL)
        return iam_validation(c, "1 validation error detected: Value null at 'policyArn' failed "
                                 "to satisfy constraint: Member must not be null");
    if (arn.len < 20 || arn.len > 2048)
        return iam_validation(c,
                              "1 validation error detected: Value '%.*s' at 'policyArn' "
                              "failed to satisfy constraint: Member must have length between "
                              "20 and 2048",
                              (int)(arn.len > 64 ? 64 : arn.len), (const char *)arn.p);
    api_authz_t az = {.resource = arn};
    if (api_authorize(c->ctx, c->req, c->resp, &az))
        return -1;
    *aws = aws_find(arn);
    if (*aws)
        return 0;
    api_arn_t pa;
    if (!api_arn_parse(arn, &pa))
        return api_refuse(c->resp, API_E_IAM_INVALID_INPUT, "ARN %.*s is not valid.", (int)arn.len,
                          (const char *)arn.p);
    int rc = policy_get(c->ctx, c->a, arn, e);
    if (rc == KV_ENOTFOUND)
        return iam_no_such(c, IAM_POLICY, arn);
    return rc ? iam_fail_rc(c, rc) : 0;
}

static void xml_aws_policy(iam_call_t *c, const aws_pol_t *p, bool full)
{
    char arn[256];
    snprintf(arn, sizeof(arn), IAM_AWS_POLICY "%s%s", p->path, p->name);
    api_xw_elem_str(&c->w, "PolicyName", p->name);
    api_xw_elem_str(&c->w, "PolicyId", p->id);
    api_xw_elem_str(&c->w, "Arn", arn);
    api_xw_elem_str(&c->w, "Path", p->path);
    api_xw_elem_str(&c->w, "DefaultVersionId", "v1");
    size_t n = 0;
    iam_count(c->ctx, iam_k_attached(c->a, kv_slice_str(arn), 0, KV_SLICE_NULL), &n);
    api_xw_elem_u64(&c->w, "AttachmentCount", n);
    api_xw_elem_u64(&c->w, "PermissionsBoundaryUsageCount", 0);
    api_xw_elem_str(&c->w, "IsAttachable", "true");
    if (full)
        api_xw_elem_str(&c->w, "Description", "An AWS managed policy of this server.");
    iam_xml_date(c, "CreateDate", 0);
    iam_xml_date(c, "UpdateDate", 0);
}

int iam_create_policy(iam_call_t *c)
{
    kv_slice_t name, path, doc = iam_str(c, "PolicyDocument");
    if (iam_name(c, "PolicyName", 128, true, &name) || iam_path(c, "Path", false, &path))
        return -1;
    if (doc.p == NULL)
        return iam_validation(c, "1 validation error detected: Value null at 'policyDocument' "
                                 "failed to satisfy constraint: Member must not be null");
    iam_ent_t e = {.kind = IAM_POLICY,
                   .name = name,
                   .path = path,
                   .created_ms = kv_now_ms(),
                   .default_ver = 1,
                   .next_ver = 2};
    e.desc = iam_str(c, "Description");
    if (e.desc.len > 1000)
        return iam_validation(c, "1 validation error detected: Value at 'description' failed to "
                                 "satisfy constraint: Member must have length less than or equal "
                                 "to 1000");
    if (iam_tags_in(c, &e.tags, &e.n_tags))
        return -1;
    if (iam_authz(c, IAM_POLICY, path, name) ||
        iam_policy_check(c, doc, POL_IDENTITY, POL_MAX_MANAGED))
        return -1;
    e.updated_ms = e.created_ms;
    char id[32];
    iam_new_id("ANPA", 17, id);
    e.id = kv_slice_str(id);
    pthread_mutex_lock(&c->st->lock);
    iam_ent_t old;
    int rc = iam_ent_get(c->ctx, c->a, IAM_POLICY, name, &old);
    if (rc == 0) {
        pthread_mutex_unlock(&c->st->lock);
        return api_refuse(c->resp, API_E_IAM_ENTITY_EXISTS,
                          "A policy called %.*s already exists. Duplicate names are not allowed.",
                          (int)name.len, (const char *)name.p);
    }
    iam_tx_t t = {.a = c->a};
    iam_tx_put(&t, iam_k_ent(c->a, IAM_POLICY, name), iam_ent_encode(c->a, &e));
    iam_tx_put(&t, iam_k_path(c->a, IAM_POLICY, path, name), IAM_EMPTY);
    iam_tx_put(&t, iam_k_version(c->a, name, 1), iam_ver_encode(c->a, doc, e.created_ms));
    rc = rc != KV_ENOTFOUND ? iam_fail_rc(c, rc) : iam_tx_commit(c, &t);
    pthread_mutex_unlock(&c->st->lock);
    if (rc)
        return -1;
    api_xw_open(&c->w, "Policy");
    iam_xml_ent(c, &e, false);
    iam_xml_tags(c, "Tags", e.tags, e.n_tags, false);
    api_xw_close(&c->w, "Policy");
    return 0;
}

int iam_get_policy(iam_call_t *c)
{
    iam_ent_t e;
    const aws_pol_t *aws;
    if (policy_arg(c, &e, &aws))
        return -1;
    api_xw_open(&c->w, "Policy");
    if (aws)
        xml_aws_policy(c, aws, true);
    else
        iam_xml_ent(c, &e, true);
    api_xw_close(&c->w, "Policy");
    return 0;
}

static int no_aws(iam_call_t *c, kv_slice_t arn)
{
    return api_refuse(c->resp, API_E_IAM_UNMODIFIABLE, "Cannot modify an AWS managed policy: %.*s",
                      (int)arn.len, (const char *)arn.p);
}

int iam_delete_policy(iam_call_t *c)
{
    iam_ent_t e;
    const aws_pol_t *aws;
    if (policy_arg(c, &e, &aws))
        return -1;
    kv_slice_t arn = iam_str(c, "PolicyArn");
    if (aws)
        return no_aws(c, arn);
    pthread_mutex_lock(&c->st->lock);
    size_t n = 0, nv = 0;
    int rc = iam_count(c->ctx, iam_k_attached(c->a, arn, 0, KV_SLICE_NULL), &n);
    if (rc == 0)
        rc = iam_count(c->ctx, iam_k_version(c->a, e.name, 0), &nv);
    if (rc)
        rc = iam_fail_rc(c, rc);
    else if (n)
        rc = api_refuse(c->resp, API_E_IAM_DELETE_CONFLICT,
                        "Cannot delete a policy attached to entities.");
    else if (nv > 1)
        rc = api_refuse(c->resp, API_E_IAM_DELETE_CONFLICT,
                        "This policy has more than one version. Before you delete a policy, you "
                        "must delete the policy's versions. The default version is deleted with "
                        "the policy.");
    if (rc == 0) {
        iam_tx_t t = {.a = c->a};
        iam_tx_del(&t, iam_k_ent(c->a, IAM_POLICY, e.name));
        iam_tx_del(&t, iam_k_path(c->a, IAM_POLICY, e.path, e.name));
        iam_tx_del(&t, iam_k_version(c->a, e.name, e.default_ver));
        rc = iam_tx_commit(c, &t);
    }
    pthread_mutex_unlock(&c->st->lock);
    return rc;
}

int iam_list_policies(iam_call_t *c)
{
    kv_slice_t prefix, marker, scope = iam_str(c, "Scope");
    size_t max;
    if (iam_path(c, "PathPrefix", true, &prefix) || iam_page_args(c, &max, &marker))
        return -1;
    if (scope.p == NULL)
        scope = KV_SLICE_LIT("All");
    if (!kv_slice_eq_str(scope, "All") && !kv_slice_eq_str(scope, "AWS") &&
        !kv_slice_eq_str(scope, "Local"))
        return iam_validation(c,
                              "1 validation error detected: Value '%.*s' at 'scope' failed to "
                              "satisfy constraint: Member must satisfy enum value set: [All, "
                              "AWS, Local]",
                              (int)(scope.len > 64 ? 64 : scope.len), (const char *)scope.p);
    const api_json_t *oa = api_json_get(c->in, "OnlyAttached");
    bool only_attached = oa && api_json_bool(oa);
    if (iam_authz(c, 0, KV_SLICE_NULL, KV_SLICE_NULL))
        return -1;
    /* the marker: 'A' + index into the AWS table, or 'L' + the path index suffix */
    size_t aws_from = 0;
    kv_slice_t after = KV_SLICE_NULL;
    bool local_only = false;
    if (marker.len) {
        if (marker.p[0] == 'A' && marker.len == 2) {
            aws_from = (size_t)marker.p[1] + 1;
        } else if (marker.p[0] == 'L') {
            local_only = true;
            after = kv_slice(marker.p + 1, marker.len - 1);
            if (after.len < prefix.len || memcmp(after.p, prefix.p, prefix.len) != 0)
                return iam_validation(c, "Invalid Marker.");
            after = kv_slice(after.p + prefix.len, after.len - prefix.len);
        } else {
            return iam_validation(c, "Invalid Marker.");
        }
    }
    size_t n_out = 0;
    bool more = false;
    uint8_t mk[ENG_IAM_KEY_MAX + 2];
    kv_slice_t last = KV_SLICE_NULL;
    api_xw_open(&c->w, "Policies");
    if (!local_only && !kv_slice_eq_str(scope, "Local")) {
        for (size_t i = aws_from; i < N_AWS; i++) {
            const aws_pol_t *p = &aws_pols[i];
            size_t pl = strlen(p->path);
            if (pl < prefix.len || memcmp(p->path, prefix.p, prefix.len) != 0)
                continue;
            if (only_attached) {
                char arn[256];
                snprintf(arn, sizeof(arn), IAM_AWS_POLICY "%s%s", p->path, p->name);
                size_t na = 0;
                iam_count(c->ctx, iam_k_attached(c->a, kv_slice_str(arn), 0, KV_SLICE_NULL), &na);
                if (na == 0)
                    continue;
            }
            if (n_out == max) {
                more = true;
                break;
            }
            api_xw_open(&c->w, "member");
            xml_aws_policy(c, p, false);
            api_xw_close(&c->w, "member");
            n_out++;
            mk[0] = 'A';
            mk[1] = (uint8_t)i;
            last = kv_slice(mk, 2);
        }
    }
    if (!more && !kv_slice_eq_str(scope, "AWS")) {
        iam_rec_t *r;
        size_t n;
        bool lmore;
        int rc = iam_collect(c->ctx, c->a, iam_k_path(c->a, IAM_POLICY, prefix, KV_SLICE_NULL),
                             after, IAM_SCAN_MAX, &r, &n, &lmore);
        if (rc)
            return iam_fail_rc(c, rc);
        for (size_t i = 0; i < n; i++) {
            kv_slice_t full = r[i].key;
            const uint8_t *slash = NULL;
            for (size_t j = 0; j < full.len; j++)
                if (full.p[j] == '/')
                    slash = full.p + j;
            kv_slice_t nm =
                slash ? kv_slice(slash + 1, full.len - (size_t)(slash + 1 - full.p)) : full;
            iam_ent_t e;
            if (iam_ent_get(c->ctx, c->a, IAM_POLICY, nm, &e) != 0)
                continue;
            if (only_attached) {
                size_t na = 0;
                iam_count(c->ctx,
                          iam_k_attached(c->a,
                                         kv_slice_str(iam_arn(c->a, IAM_POLICY, e.path, e.name)), 0,
                                         KV_SLICE_NULL),
                          &na);
                if (na == 0)
                    continue;
            }
            if (n_out == max) {
                more = true;
                break;
            }
            api_xw_open(&c->w, "member");
            iam_xml_ent(c, &e, false);
            api_xw_close(&c->w, "member");
            n_out++;
            if (prefix.len + full.len + 1 <= sizeof(mk)) {
                mk[0] = 'L';
                memcpy(mk + 1, prefix.p, prefix.len);
                memcpy(mk + 1 + prefix.len, full.p, full.len);
                last = kv_slice(mk, 1 + prefix.len + full.len);
            }
        }
    }
    api_xw_close(&c->w, "Policies");
    iam_page_end(c, more, last);
    return 0;
}

/* ---- versions ---- */

static bool version_id(kv_slice_t s, uint32_t *v)
{
    if (s.len < 2 || s.len > 11 || s.p[0] != 'v' || s.p[1] == '0')
        return false;
    uint64_t x = 0;
    for (size_t i = 1; i < s.len; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return false;
        x = x * 10 + (uint64_t)(s.p[i] - '0');
    }
    if (x == 0 || x > UINT32_MAX)
        return false;
    *v = (uint32_t)x;
    return true;
}

static void xml_version(iam_call_t *c, uint32_t v, bool is_default, int64_t created, kv_slice_t doc)
{
    char id[16];
    snprintf(id, sizeof(id), "v%u", v);
    if (doc.p)
        api_xw_elem(&c->w, "Document", iam_urlencode(c->a, doc));
    api_xw_elem_str(&c->w, "VersionId", id);
    api_xw_elem_str(&c->w, "IsDefaultVersion", is_default ? "true" : "false");
    iam_xml_date(c, "CreateDate", created);
}

int iam_create_policy_version(iam_call_t *c)
{
    iam_ent_t e;
    const aws_pol_t *aws;
    kv_slice_t doc = iam_str(c, "PolicyDocument");
    if (doc.p == NULL)
        return iam_validation(c, "1 validation error detected: Value null at 'policyDocument' "
                                 "failed to satisfy constraint: Member must not be null");
    if (policy_arg(c, &e, &aws))
        return -1;
    if (aws)
        return no_aws(c, iam_str(c, "PolicyArn"));
    if (iam_policy_check(c, doc, POL_IDENTITY, POL_MAX_MANAGED))
        return -1;
    const api_json_t *sd = api_json_get(c->in, "SetAsDefault");
    bool set_default = sd && api_json_bool(sd);
    pthread_mutex_lock(&c->st->lock);
    int rc = iam_ent_get(c->ctx, c->a, IAM_POLICY, e.name, &e);
    size_t nv = 0;
    if (rc == 0)
        rc = iam_count(c->ctx, iam_k_version(c->a, e.name, 0), &nv);
    if (rc) {
        pthread_mutex_unlock(&c->st->lock);
        return iam_fail_rc(c, rc);
    }
    if (nv >= IAM_VERSIONS) {
        pthread_mutex_unlock(&c->st->lock);
        return api_refuse(c->resp, API_E_IAM_LIMIT,
                          "A managed policy can have up to %d versions. Before you create a new "
                          "version, you must delete an existing version.",
                          IAM_VERSIONS);
    }
    uint32_t v = e.next_ver ? e.next_ver : 2;
    int64_t now = kv_now_ms();
    e.next_ver = v + 1;
    e.updated_ms = now;
    if (set_default)
        e.default_ver = v;
    iam_tx_t t = {.a = c->a};
    iam_tx_put(&t, iam_k_version(c->a, e.name, v), iam_ver_encode(c->a, doc, now));
    iam_tx_put(&t, iam_k_ent(c->a, IAM_POLICY, e.name), iam_ent_encode(c->a, &e));
    rc = iam_tx_commit(c, &t);
    pthread_mutex_unlock(&c->st->lock);
    if (rc)
        return -1;
    api_xw_open(&c->w, "PolicyVersion");
    xml_version(c, v, set_default, now, KV_SLICE_NULL);
    api_xw_close(&c->w, "PolicyVersion");
    return 0;
}

static int version_arg(iam_call_t *c, uint32_t *v)
{
    kv_slice_t s = iam_str(c, "VersionId");
    if (s.p == NULL)
        return iam_validation(c, "1 validation error detected: Value null at 'versionId' failed "
                                 "to satisfy constraint: Member must not be null");
    if (!version_id(s, v))
        return iam_validation(c,
                              "1 validation error detected: Value '%.*s' at 'versionId' "
                              "failed to satisfy constraint: Member must satisfy regular "
                              "expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?",
                              (int)(s.len > 64 ? 64 : s.len), (const char *)s.p);
    return 0;
}

static int no_version(iam_call_t *c, uint32_t v)
{
    kv_slice_t arn = iam_str(c, "PolicyArn");
    return api_refuse(c->resp, API_E_IAM_NO_SUCH_ENTITY,
                      "Policy %.*s version v%u does not exist or is not attachable.", (int)arn.len,
                      (const char *)arn.p, v);
}

int iam_get_policy_version(iam_call_t *c)
{
    iam_ent_t e;
    const aws_pol_t *aws;
    uint32_t v;
    if (version_arg(c, &v) || policy_arg(c, &e, &aws))
        return -1;
    if (aws) {
        if (v != 1)
            return no_version(c, v);
        api_xw_open(&c->w, "PolicyVersion");
        xml_version(c, 1, true, 0, kv_slice_str(aws->doc));
        api_xw_close(&c->w, "PolicyVersion");
        return 0;
    }
    kv_slice_t val, doc;
    int64_t created;
    int rc = eng_iam_get(c->ctx->eng, iam_k_version(c->a, e.name, v), c->a, &val);
    if (rc == KV_ENOTFOUND)
        return no_version(c, v);
    if (rc == 0)
        rc = iam_ver_decode(val, c->a, &doc, &created);
    if (rc)
        return iam_fail_rc(c, rc);
    api_xw_open(&c->w, "PolicyVersion");
    xml_version(c, v, v == e.default_ver, created, doc);
    api_xw_close(&c->w, "PolicyVersion");
    return 0;
}

int iam_list_policy_versions(iam_call_t *c)
{
    iam_ent_t e;
    const aws_pol_t *aws;
    size_t max;
    kv_slice_t marker;
    if (iam_page_args(c, &max, &marker) || policy_arg(c, &e, &aws))
        return -1;
    api_xw_open(&c->w, "Versions");
    if (aws) {
        api_xw_open(&c->w, "member");
        xml_version(c, 1, true, 0, KV_SLICE_NULL);
        api_xw_close(&c->w, "member");
        api_xw_close(&c->w, "Versions");
        iam_page_end(c, false, KV_SLICE_NULL);
        return 0;
    }
    iam_rec_t *r;
    size_t n;
    bool more;
    int rc = iam_collect(c->ctx, c->a, iam_k_version(c->a, e.name, 0), marker, max, &r, &n, &more);
    if (rc)
        return iam_fail_rc(c, rc);
    for (size_t i = 0; i < n; i++) {
        if (r[i].key.len != 4)
            continue;
        uint32_t v = ((uint32_t)r[i].key.p[0] << 24) | ((uint32_t)r[i].key.p[1] << 16) |
                     ((uint32_t)r[i].key.p[2] << 8) | r[i].key.p[3];
        kv_slice_t doc;
        int64_t created = 0;
        iam_ver_decode(r[i].val, c->a, &doc, &created);
        api_xw_open(&c->w, "member");
        xml_version(c, v, v == e.default_ver, created, KV_SLICE_NULL);
        api_xw_close(&c->w, "member");
    }
    api_xw_close(&c->w, "Versions");
    iam_page_end(c, more, n ? r[n - 1].key : KV_SLICE_NULL);
    return 0;
}

static int version_change(iam_call_t *c, bool del)
{
    iam_ent_t e;
    const aws_pol_t *aws;
    uint32_t v;
    if (version_arg(c, &v) || policy_arg(c, &e, &aws))
        return -1;
    if (aws)
        return no_aws(c, iam_str(c, "PolicyArn"));
    pthread_mutex_lock(&c->st->lock);
    kv_slice_t val;
    int rc = iam_ent_get(c->ctx, c->a, IAM_POLICY, e.name, &e);
    if (rc == 0)
        rc = eng_iam_get(c->ctx->eng, iam_k_version(c->a, e.name, v), c->a, &val);
    if (rc == KV_ENOTFOUND)
        rc = no_version(c, v);
    else if (rc)
        rc = iam_fail_rc(c, rc);
    else if (del && v == e.default_ver)
        rc = api_refuse(c->resp, API_E_IAM_DELETE_CONFLICT,
                        "Cannot delete the default version of a policy.");
    if (rc == 0) {
        iam_tx_t t = {.a = c->a};
        if (del) {
            iam_tx_del(&t, iam_k_version(c->a, e.name, v));
        } else {
            e.default_ver = v;
            e.updated_ms = kv_now_ms();
            iam_tx_put(&t, iam_k_ent(c->a, IAM_POLICY, e.name), iam_ent_encode(c->a, &e));
        }
        rc = iam_tx_commit(c, &t);
    }
    pthread_mutex_unlock(&c->st->lock);
    return rc;
}

int iam_delete_policy_version(iam_call_t *c)
{
    return version_change(c, true);
}

int iam_set_default_policy_version(iam_call_t *c)
{
    return version_change(c, false);
}

/* ---- attachments ---- */

static const char *quota_name(char kind)
{
    return kind == IAM_USER    ? "PoliciesPerUser"
           : kind == IAM_GROUP ? "PoliciesPerGroup"
                               : "PoliciesPerRole";
}

static int attach(iam_call_t *c, char kind, bool detach)
{
    kv_slice_t arn = iam_str(c, "PolicyArn");
    if (arn.p == NULL)
        return iam_validation(c, "1 validation error detected: Value null at 'policyArn' failed "
                                 "to satisfy constraint: Member must not be null");
    if (arn.len < 20 || arn.len > 2048)
        return iam_validation(c,
                              "1 validation error detected: Value '%.*s' at 'policyArn' "
                              "failed to satisfy constraint: Member must have length between "
                              "20 and 2048",
                              (int)(arn.len > 64 ? 64 : arn.len), (const char *)arn.p);
    iam_ent_t e;
    if (principal(c, kind, &e))
        return -1;
    pthread_mutex_lock(&c->st->lock);
    kv_slice_t k = iam_k_attach(c->a, kind, e.name, arn), v;
    int rc = eng_iam_get(c->ctx->eng, k, c->a, &v);
    bool is = rc == 0;
    if (rc && rc != KV_ENOTFOUND) {
        pthread_mutex_unlock(&c->st->lock);
        return iam_fail_rc(c, rc);
    }
    iam_tx_t t = {.a = c->a};
    rc = 0;
    if (detach) {
        if (!is)
            rc = api_refuse(c->resp, API_E_IAM_NO_SUCH_ENTITY, "Policy %.*s was not found.",
                            (int)arn.len, (const char *)arn.p);
        else {
            iam_tx_del(&t, k);
            iam_tx_del(&t, iam_k_attached(c->a, arn, kind, e.name));
            rc = iam_tx_commit(c, &t);
        }
    } else if (!is) {
        kv_slice_t doc;
        size_t n = 0;
        api_arn_t pa;
        rc = api_arn_parse(arn, &pa) ? iam_policy_doc(c->ctx, c->a, arn, &doc) : KV_EINVAL;
        if (rc == KV_EINVAL)
            rc = api_refuse(c->resp, API_E_IAM_INVALID_INPUT, "ARN %.*s is not valid.",
                            (int)arn.len, (const char *)arn.p);
        else if (rc == KV_ENOTFOUND)
            rc = api_refuse(c->resp, API_E_IAM_NO_SUCH_ENTITY,
                            "Policy %.*s does not exist or is not attachable.", (int)arn.len,
                            (const char *)arn.p);
        else if (rc)
            rc = iam_fail_rc(c, rc);
        if (rc == 0 && (rc = iam_count(c->ctx, iam_k_of(c->a, 'a', kind, e.name), &n)) != 0)
            rc = iam_fail_rc(c, rc);
        if (rc == 0 && n >= IAM_ATTACH_MAX)
            rc = api_refuse(c->resp, API_E_IAM_LIMIT, "Cannot exceed quota for %s: %d",
                            quota_name(kind), IAM_ATTACH_MAX);
        if (rc == 0) {
            iam_tx_put(&t, k, IAM_EMPTY);
            iam_tx_put(&t, iam_k_attached(c->a, arn, kind, e.name), IAM_EMPTY);
            rc = iam_tx_commit(c, &t);
        }
    }
    pthread_mutex_unlock(&c->st->lock);
    return rc;
}

static int list_attached(iam_call_t *c, char kind)
{
    size_t max;
    kv_slice_t marker, prefix;
    iam_ent_t e;
    if (iam_path(c, "PathPrefix", true, &prefix) || iam_page_args(c, &max, &marker) ||
        principal(c, kind, &e))
        return -1;
    iam_rec_t *r;
    size_t n;
    bool more;
    int rc =
        iam_collect(c->ctx, c->a, iam_k_of(c->a, 'a', kind, e.name), marker, max, &r, &n, &more);
    if (rc)
        return iam_fail_rc(c, rc);
    api_xw_open(&c->w, "AttachedPolicies");
    for (size_t i = 0; i < n; i++) {
        kv_slice_t arn = r[i].key, path = KV_SLICE_NULL, name = KV_SLICE_NULL;
        const char *an, *ap;
        if (iam_aws_policy(arn, &an, &ap)) {
            name = kv_slice_str(an);
            path = kv_slice_str(ap);
        } else if (!iam_policy_arn_parts(arn, &path, &name)) {
            continue;
        }
        if (path.len < prefix.len || memcmp(path.p, prefix.p, prefix.len) != 0)
            continue;
        api_xw_open(&c->w, "member");
        api_xw_elem(&c->w, "PolicyName", name);
        api_xw_elem(&c->w, "PolicyArn", arn);
        api_xw_close(&c->w, "member");
    }
    api_xw_close(&c->w, "AttachedPolicies");
    iam_page_end(c, more, n ? r[n - 1].key : KV_SLICE_NULL);
    return 0;
}

int iam_attach_user_policy(iam_call_t *c)
{
    return attach(c, IAM_USER, false);
}
int iam_detach_user_policy(iam_call_t *c)
{
    return attach(c, IAM_USER, true);
}
int iam_list_attached_user_policies(iam_call_t *c)
{
    return list_attached(c, IAM_USER);
}
int iam_attach_group_policy(iam_call_t *c)
{
    return attach(c, IAM_GROUP, false);
}
int iam_detach_group_policy(iam_call_t *c)
{
    return attach(c, IAM_GROUP, true);
}
int iam_list_attached_group_policies(iam_call_t *c)
{
    return list_attached(c, IAM_GROUP);
}
int iam_attach_role_policy(iam_call_t *c)
{
    return attach(c, IAM_ROLE, false);
}
int iam_detach_role_policy(iam_call_t *c)
{
    return attach(c, IAM_ROLE, true);
}
int iam_list_attached_role_policies(iam_call_t *c)
{
    return list_attached(c, IAM_ROLE);
}

int iam_list_entities_for_policy(iam_call_t *c)
{
    iam_ent_t e;
    const aws_pol_t *aws;
    size_t max;
    kv_slice_t marker, prefix, filter = iam_str(c, "EntityFilter");
    if (iam_path(c, "PathPrefix", true, &prefix) || iam_page_args(c, &max, &marker) ||
        policy_arg(c, &e, &aws))
        return -1;
    char want = 0;
    if (filter.p) {
        if (kv_slice_eq_str(filter, "User"))
            want = IAM_USER;
        else if (kv_slice_eq_str(filter, "Group"))
            want = IAM_GROUP;
        else if (kv_slice_eq_str(filter, "Role"))
            want = IAM_ROLE;
        else if (!kv_slice_eq_str(filter, "LocalManagedPolicy") &&
                 !kv_slice_eq_str(filter, "AWSManagedPolicy"))
            return iam_validation(c,
                                  "1 validation error detected: Value '%.*s' at "
                                  "'entityFilter' failed to satisfy constraint: Member must "
                                  "satisfy enum value set: [LocalManagedPolicy, Group, Role, "
                                  "AWSManagedPolicy, User]",
                                  (int)(filter.len > 64 ? 64 : filter.len), (const char *)filter.p);
        else
            want = 'x'; /* policies are attached to no policy */
    }
    kv_slice_t arn = iam_str(c, "PolicyArn");
    iam_rec_t *r;
    size_t n;
    bool more;
    int rc = iam_collect(c->ctx, c->a, iam_k_attached(c->a, arn, 0, KV_SLICE_NULL), marker, max, &r,
                         &n, &more);
    if (rc)
        return iam_fail_rc(c, rc);
    static const char kinds[] = {IAM_GROUP, IAM_USER, IAM_ROLE};
    static const char *const wrap[] = {"PolicyGroups", "PolicyUsers", "PolicyRoles"};
    static const char *const nm[] = {"GroupName", "UserName", "RoleName"};
    static const char *const idn[] = {"GroupId", "UserId", "RoleId"};
    for (int k = 0; k < 3; k++) {
        api_xw_open(&c->w, wrap[k]);
        for (size_t i = 0; i < n; i++) {
            if (r[i].key.len < 2 || r[i].key.p[0] != (uint8_t)kinds[k] ||
                (want && want != kinds[k]))
                continue;
            iam_ent_t x;
            if (iam_ent_get(c->ctx, c->a, kinds[k], kv_slice(r[i].key.p + 1, r[i].key.len - 1),
                            &x) != 0)
                continue;
            if (x.path.len < prefix.len || memcmp(x.path.p, prefix.p, prefix.len) != 0)
                continue;
            api_xw_open(&c->w, "member");
            api_xw_elem(&c->w, nm[k], x.name);
            api_xw_elem(&c->w, idn[k], x.id);
            api_xw_close(&c->w, "member");
        }
        api_xw_close(&c->w, wrap[k]);
    }
    iam_page_end(c, more, n ? r[n - 1].key : KV_SLICE_NULL);
    return 0;
}

/* ---- policy tags ---- */

static int policy_tags(iam_call_t *c, int what)
{
    iam_ent_t e;
    const aws_pol_t *aws;
    if (policy_arg(c, &e, &aws))
        return -1;
    if (aws)
        return no_aws(c, iam_str(c, "PolicyArn"));
    if (what == 0) {
        iam_xml_tags(c, "Tags", e.tags, e.n_tags, true);
        api_xw_elem_str(&c->w, "IsTruncated", "false");
        return 0;
    }
    api_kv_t *tags = NULL;
    size_t n = 0;
    const api_json_t *keys = NULL;
    if (what == 2) {
        keys = api_json_get(c->in, "TagKeys");
        if (keys == NULL || api_json_len(keys) > IAM_TAGS_MAX)
            return iam_validation(c,
                                  "1 validation error detected: Value at 'tagKeys' failed to "
                                  "satisfy constraint: Member must have length between 1 and 50");
    } else if (iam_tags_in(c, &tags, &n)) {
        return -1;
    }
    pthread_mutex_lock(&c->st->lock);
    int rc = iam_ent_get(c->ctx, c->a, IAM_POLICY, e.name, &e);
    if (rc) {
        pthread_mutex_unlock(&c->st->lock);
        return iam_fail_rc(c, rc);
    }
    api_kv_t *nt = kv_arena_calloc(c->a, e.n_tags + n + 1, sizeof(*nt));
    size_t m = 0;
    for (size_t i = 0; i < e.n_tags; i++) {
        bool drop = false;
        kv_slice_t lk = iam_lname(c->a, e.tags[i].key);
        for (size_t j = 0; keys && j < api_json_len(keys); j++) {
            const api_json_t *k = api_json_at(keys, j);
            if (k && api_json_type(k) == API_J_STR &&
                kv_slice_eq(iam_lname(c->a, api_json_str(k)), lk))
                drop = true;
        }
        for (size_t j = 0; j < n; j++)
            if (kv_slice_eq(iam_lname(c->a, tags[j].key), lk))
                drop = true;
        if (!drop)
            nt[m++] = e.tags[i];
    }
    for (size_t j = 0; j < n; j++)
        nt[m++] = tags[j];
    if (m > IAM_TAGS_MAX) {
        pthread_mutex_unlock(&c->st->lock);
        return api_refuse(c->resp, API_E_IAM_LIMIT,
                          "The number of tags has reached the maximum limit.");
    }
    e.tags = nt;
    e.n_tags = m;
    iam_tx_t t = {.a = c->a};
    iam_tx_put(&t, iam_k_ent(c->a, IAM_POLICY, e.name), iam_ent_encode(c->a, &e));
    rc = iam_tx_commit(c, &t);
    pthread_mutex_unlock(&c->st->lock);
    return rc;
}

int iam_tag_policy(iam_call_t *c)
{
    return policy_tags(c, 1);
}
int iam_untag_policy(iam_call_t *c)
{
    return policy_tags(c, 2);
}
int iam_list_policy_tags(iam_call_t *c)
{
    return policy_tags(c, 0);
}
