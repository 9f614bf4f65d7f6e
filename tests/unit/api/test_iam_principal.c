/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_iam.h (issue 15, package I) on a temporary engine: the user behind an access key (its
 * secret, ARN, id, compiled identity policies from its inline, attached and group policies,
 * its boundary and tags), the per-thread cache (the same compiled object while nothing
 * changes; a new one after any IAM write bumps the generation), an Inactive or deleted key
 * refused, a role by ARN or name, api_iam_load filling a role session's permissions with the
 * session's tags winning, and api_decide evaluating what was loaded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "api_harness.h"
#include "api_iam.h"
#include "authz/pol.h"
#include "base/kv_err.h"

#define V "&Version=2010-05-08"
#define ALLOW_S3                                                                               \
    "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22" \
    "%2C%22Action%22%3A%22s3%3A*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D"
#define ALLOW_SQS                                                                              \
    "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22" \
    "%2C%22Action%22%3A%22sqs%3A*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D"
#define TRUST                                                                                  \
    "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22" \
    "%2C%22Principal%22%3A%7B%22Service%22%3A%22lambda.amazonaws.com%22%7D%2C%22Action%22%3A"  \
    "%22sts%3AAssumeRole%22%7D%5D%7D"

static harness_t h;

static int form(const char *s, kv_buf_t *out)
{
    return harness_form(&h, "iam", kv_slice_str(s), out);
}

/* The text of <tag> in a response. */
static void elem(const kv_buf_t *b, const char *tag, char *out, size_t cap)
{
    char open[64];
    snprintf(open, sizeof(open), "<%s>", tag);
    const char *p = memmem(b->p, b->len, open, strlen(open));
    assert_non_null(p);
    p += strlen(open);
    const char *e = memchr(p, '<', b->len - (size_t)(p - (const char *)b->p));
    assert_non_null(e);
    size_t n = (size_t)(e - p);
    assert_true(n < cap);
    memcpy(out, p, n);
    out[n] = 0;
}

static api_decision_t decide(const api_principal_t *p, const char *action, kv_arena_t *a)
{
    api_authz_t az = {.action = action, .resource = KV_SLICE_LIT("*")};
    return api_decide(h.ctx, p, &az, KV_SLICE_NULL, false, a, NULL);
}

static void test_key_and_cache(void **state)
{
    (void)state;
    kv_buf_t out;
    kv_buf_init(&out, 1 << 16);
    assert_int_equal(form("Action=CreateUser" V "&UserName=kc&Tags.member.1.Key=team&Tags.member.1."
                          "Value=a",
                          NULL),
                     200);
    assert_int_equal(
        form("Action=PutUserPolicy" V "&UserName=kc&PolicyName=s3&PolicyDocument=" ALLOW_S3, NULL),
        200);
    assert_int_equal(form("Action=CreateAccessKey" V "&UserName=kc", &out), 200);
    char ak[64], sk[64];
    elem(&out, "AccessKeyId", ak, sizeof(ak));
    elem(&out, "SecretAccessKey", sk, sizeof(sk));

    kv_arena_t *a = kv_arena_new(4096);
    char secret[API_SESSION_SK_LEN + 1];
    api_principal_t p;
    uint64_t g0 = api_iam_generation(h.ctx);
    assert_int_equal(api_iam_key(h.ctx, kv_slice_str(ak), a, secret, &p), 0);
    assert_string_equal(secret, sk);
    assert_int_equal(p.kind, API_PR_USER);
    assert_true(kv_slice_eq_str(p.arn, "arn:aws:iam::000000000000:user/kc"));
    assert_true(kv_slice_eq_str(p.name, "kc"));
    assert_true(kv_slice_eq_str(p.access_key, ak));
    assert_int_equal(p.n_tags, 1);
    assert_non_null(p.identity);
    assert_int_equal(pol_set_len(p.identity), 1);
    assert_int_equal(decide(&p, "s3:GetObject", a), API_ALLOW);
    assert_int_equal(decide(&p, "sqs:SendMessage", a), API_DENY_IMPLICIT);
    const void *first = p.identity;

    /* nothing changed: the same compiled object, from the cache */
    api_principal_t p2;
    assert_int_equal(api_iam_key(h.ctx, kv_slice_str(ak), a, secret, &p2), 0);
    assert_ptr_equal(p2.identity, first);
    assert_int_equal(api_iam_generation(h.ctx), g0);

    /* a group's attached policy: a write, so a new generation and a new object */
    assert_int_equal(form("Action=CreateGroup" V "&GroupName=kcg", NULL), 200);
    assert_int_equal(
        form("Action=CreatePolicy" V "&PolicyName=kcq&PolicyDocument=" ALLOW_SQS, NULL), 200);
    assert_int_equal(form("Action=AttachGroupPolicy" V "&GroupName=kcg&PolicyArn=arn%3Aaws%3Aiam%3A"
                          "%3A000000000000%3Apolicy%2Fkcq",
                          NULL),
                     200);
    assert_int_equal(form("Action=AddUserToGroup" V "&GroupName=kcg&UserName=kc", NULL), 200);
    assert_true(api_iam_generation(h.ctx) != g0);
    assert_int_equal(api_iam_key(h.ctx, kv_slice_str(ak), a, secret, &p2), 0);
    assert_int_equal(pol_set_len(p2.identity), 2);
    assert_int_equal(decide(&p2, "sqs:SendMessage", a), API_ALLOW);
    /* the earlier principal is still whole: its request holds it */
    assert_int_equal(pol_set_len(p.identity), 1);
    assert_int_equal(decide(&p, "sqs:SendMessage", a), API_DENY_IMPLICIT);

    /* a boundary limits it */
    assert_int_equal(form("Action=PutUserPermissionsBoundary" V "&UserName=kc&PermissionsBoundary="
                          "arn%3Aaws%3Aiam%3A%3A000000000000%3Apolicy%2Fkcq",
                          NULL),
                     200);
    assert_int_equal(api_iam_key(h.ctx, kv_slice_str(ak), a, secret, &p2), 0);
    assert_non_null(p2.boundary);
    assert_int_not_equal(decide(&p2, "s3:GetObject", a), API_ALLOW);
    assert_int_equal(decide(&p2, "sqs:SendMessage", a), API_ALLOW);

    /* an Inactive key, an unknown one */
    char f[256];
    snprintf(f, sizeof(f), "Action=UpdateAccessKey" V "&UserName=kc&Status=Inactive&AccessKeyId=%s",
             ak);
    assert_int_equal(form(f, NULL), 200);
    assert_int_equal(api_iam_key(h.ctx, kv_slice_str(ak), a, secret, &p2), KV_ENOTFOUND);
    assert_int_equal(api_iam_key(h.ctx, KV_SLICE_LIT("AKIAAAAAAAAAAAAAAAAA"), a, secret, &p2),
                     KV_ENOTFOUND);
    /* api_iam_user: the same user by name */
    assert_int_equal(api_iam_user(h.ctx, KV_SLICE_LIT("KC"), a, &p2), 0);
    assert_true(kv_slice_eq_str(p2.arn, "arn:aws:iam::000000000000:user/kc"));
    assert_int_equal(api_iam_user(h.ctx, KV_SLICE_LIT("nobody"), a, &p2), KV_ENOTFOUND);
    kv_arena_free(a); /* releases every principal handed out above */
    kv_buf_dispose(&out);
}

static void test_roles(void **state)
{
    (void)state;
    assert_int_equal(
        form("Action=CreateRole" V "&RoleName=fr&Path=%2Fsvc%2F&MaxSessionDuration=7200"
             "&Tags.member.1.Key=team&Tags.member.1.Value=r&AssumeRolePolicyDocument=" TRUST,
             NULL),
        200);
    assert_int_equal(
        form("Action=PutRolePolicy" V "&RoleName=fr&PolicyName=p&PolicyDocument=" ALLOW_S3, NULL),
        200);
    kv_arena_t *a = kv_arena_new(4096);
    api_iam_role_t r;
    assert_int_equal(
        api_iam_role(h.ctx, KV_SLICE_LIT("arn:aws:iam::000000000000:role/svc/fr"), a, &r), 0);
    assert_true(kv_slice_eq_str(r.name, "fr"));
    assert_true(kv_slice_eq_str(r.arn, "arn:aws:iam::000000000000:role/svc/fr"));
    assert_int_equal(r.max_session_s, 7200);
    assert_true(r.id.len == 21 && memcmp(r.id.p, "AROA", 4) == 0);
    assert_non_null(memmem(r.trust_policy.p, r.trust_policy.len, "lambda.amazonaws.com", 20));
    assert_int_equal(api_iam_role(h.ctx, KV_SLICE_LIT("fr"), a, &r), 0);
    assert_int_equal(api_iam_role(h.ctx, KV_SLICE_LIT("arn:aws:iam::000000000000:role/fr"), a, &r),
                     KV_ENOTFOUND); /* another path */
    assert_int_equal(api_iam_role(h.ctx, KV_SLICE_LIT("nope"), a, &r), KV_ENOTFOUND);

    /* a session of the role: its permissions and tags, the session's tag winning */
    api_kv_t st[1] = {{KV_SLICE_LIT("TEAM"), KV_SLICE_LIT("session")}};
    api_principal_t p = {.kind = API_PR_ROLE,
                         .arn = KV_SLICE_LIT("arn:aws:sts::000000000000:assumed-role/fr/s"),
                         .role_arn = KV_SLICE_LIT("arn:aws:iam::000000000000:role/svc/fr"),
                         .tags = st,
                         .n_tags = 1};
    assert_int_equal(api_iam_load(h.ctx, &p, a), 0);
    assert_non_null(p.identity);
    assert_int_equal(p.n_tags, 1);
    assert_true(kv_slice_eq_str(p.tags[0].value, "session"));
    assert_int_equal(decide(&p, "s3:PutObject", a), API_ALLOW);
    assert_int_equal(decide(&p, "dynamodb:PutItem", a), API_DENY_IMPLICIT);
    /* the role is gone: its sessions fail */
    assert_int_equal(form("Action=DeleteRolePolicy" V "&RoleName=fr&PolicyName=p", NULL), 200);
    assert_int_equal(form("Action=DeleteRole" V "&RoleName=fr", NULL), 200);
    api_principal_t q = {.kind = API_PR_ROLE,
                         .role_arn = KV_SLICE_LIT("arn:aws:iam::000000000000:role/svc/fr")};
    assert_int_equal(api_iam_load(h.ctx, &q, a), KV_ENOTFOUND);
    kv_arena_free(a);
}

static int setup(void **state)
{
    (void)state;
    return harness_open(&h, "us-east-1");
}

static int teardown(void **state)
{
    (void)state;
    harness_close(&h);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_and_cache),
        cmocka_unit_test(test_roles),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
