/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 ACLs (api/s3/s3_acl.c, issue 15 package A): canned ACLs, the x-amz-grant-* header parser,
 * the AccessControlPolicy parser and their errors, the stored encoding, Object Ownership
 * documents, and s3_acl_check's matrix of actions, grantees, principals and ownership.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/kv_arena.h"
#include "base/kv_buf.h"
#include "s3/s3_acl.h"
#include "s3/s3_int.h"

#define OWNER "a5c9f0e1b6f1b0f6f0a1d3e6c9b7d2e4f8a1c3e5b7d9f0a2c4e6b8d0f1a3c5e7"
#define ALL   "http://acs.amazonaws.com/groups/global/AllUsers"
#define AUTH  "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
#define LOG   "http://acs.amazonaws.com/groups/s3/LogDelivery"

static bool has(const s3_acl_t *acl, char perm, char grantee)
{
    for (size_t i = 0; i < acl->n; i++)
        if (acl->g[i].perm == perm && acl->g[i].grantee == grantee)
            return true;
    return false;
}

/* ---- canned ACLs ---- */

static void test_canned(void **state)
{
    (void)state;
    s3_acl_t acl;
    assert_true(s3_acl_canned(kv_slice_str("private"), &acl));
    assert_true(s3_acl_owner_only(&acl));
    assert_true(s3_acl_canned(kv_slice_str("bucket-owner-full-control"), &acl));
    assert_true(s3_acl_owner_only(&acl));
    assert_true(s3_acl_canned(kv_slice_str("public-read"), &acl));
    assert_int_equal(acl.n, 2);
    assert_true(has(&acl, S3_ACLP_FULL, S3_ACLG_OWNER));
    assert_true(has(&acl, S3_ACLP_READ, S3_ACLG_ALL));
    assert_true(s3_acl_is_public(&acl));
    assert_true(s3_acl_canned(kv_slice_str("public-read-write"), &acl));
    assert_true(has(&acl, S3_ACLP_WRITE, S3_ACLG_ALL));
    assert_true(s3_acl_canned(kv_slice_str("authenticated-read"), &acl));
    assert_true(has(&acl, S3_ACLP_READ, S3_ACLG_AUTH));
    assert_true(s3_acl_is_public(&acl));
    assert_true(s3_acl_canned(kv_slice_str("log-delivery-write"), &acl));
    assert_true(has(&acl, S3_ACLP_WRITE, S3_ACLG_LOG));
    assert_true(has(&acl, S3_ACLP_READ_ACP, S3_ACLG_LOG));
    assert_false(s3_acl_is_public(&acl));
    assert_true(s3_acl_canned(kv_slice_str("aws-exec-read"), &acl));
    assert_true(has(&acl, S3_ACLP_READ, S3_ACLG_EC2));
    assert_false(s3_acl_canned(kv_slice_str("public"), &acl));
    assert_false(s3_acl_canned(kv_slice_str(""), &acl));
}

/* ---- grant headers ---- */

typedef struct hdr_case {
    const char *value;
    api_err_t err;
    const char *msg; /* expected message when err is set (NULL: the default) */
    char grantee;    /* the first grant's grantee when valid */
    size_t n;
} hdr_case_t;

static const hdr_case_t HDR[] = {
    {"id=\"" OWNER "\"", API_E_NONE, NULL, S3_ACLG_OWNER, 1},
    {"uri=\"" ALL "\"", API_E_NONE, NULL, S3_ACLG_ALL, 1},
    {"uri=" AUTH, API_E_NONE, NULL, S3_ACLG_AUTH, 1},
    {" uri=\"" LOG "\" , id=\"" OWNER "\"", API_E_NONE, NULL, S3_ACLG_LOG, 2},
    {"ID=\"" OWNER "\", id=\"" OWNER "\"", API_E_NONE, NULL, S3_ACLG_OWNER, 1},
    {"id=\"0123\"", API_E_S3_INVALID_ARGUMENT, "Invalid id", 0, 0},
    {"uri=\"http://acs.amazonaws.com/groups/global/Everyone\"", API_E_S3_INVALID_ARGUMENT,
     "Invalid group uri", 0, 0},
    {"emailAddress=\"a@example.com\"", API_E_S3_UNRESOLVABLE_EMAIL, NULL, 0, 0},
    {"name=\"x\"", API_E_S3_INVALID_ARGUMENT, "Argument format not recognized", 0, 0},
    {"id", API_E_S3_INVALID_ARGUMENT, "Argument format not recognized", 0, 0},
    {"id=\"unterminated", API_E_S3_INVALID_ARGUMENT, "Argument format not recognized", 0, 0},
    {"id=\"" OWNER "\" junk", API_E_S3_INVALID_ARGUMENT, "Argument format not recognized", 0, 0},
    {"", API_E_S3_INVALID_ARGUMENT, "Argument format not recognized", 0, 0},
};

static void test_grant_header(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(HDR) / sizeof(HDR[0]); i++) {
        s3_acl_t acl = {.n = 0};
        const char *msg = NULL;
        api_err_t e =
            s3_acl_grant_header(kv_slice_str(HDR[i].value), S3_ACLP_READ, OWNER, &acl, &msg);
        assert_int_equal(e, HDR[i].err);
        if (e != API_E_NONE) {
            if (HDR[i].msg)
                assert_string_equal(msg, HDR[i].msg);
            else
                assert_null(msg);
            continue;
        }
        assert_int_equal(acl.n, HDR[i].n);
        assert_int_equal(acl.g[0].grantee, HDR[i].grantee);
        assert_int_equal(acl.g[0].perm, S3_ACLP_READ);
    }
}

static void test_grant_limit(void **state)
{
    (void)state;
    /* 100 grants fit; the 101st is refused. Distinct grants: 5 permissions x 5 grantees = 25,
     * so duplicates are folded; fill the table directly to reach the limit. */
    s3_acl_t acl = {.n = S3_ACL_GRANTS_MAX};
    for (size_t i = 0; i < acl.n; i++)
        acl.g[i] = (s3_grant_t){S3_ACLP_READ, S3_ACLG_LOG};
    const char *msg;
    assert_int_equal(
        s3_acl_grant_header(kv_slice_str("uri=\"" ALL "\""), S3_ACLP_READ, OWNER, &acl, &msg),
        API_E_S3_MALFORMED_ACL);
    acl.n = S3_ACL_GRANTS_MAX - 1;
    assert_int_equal(
        s3_acl_grant_header(kv_slice_str("uri=\"" ALL "\""), S3_ACLP_READ, OWNER, &acl, &msg),
        API_E_NONE);
    assert_int_equal(acl.n, S3_ACL_GRANTS_MAX);
}

/* ---- AccessControlPolicy ---- */

#define ACP(grants)                                                                            \
    "<AccessControlPolicy xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Owner><ID>" OWNER \
    "</ID></Owner><AccessControlList>" grants "</AccessControlList></AccessControlPolicy>"
#define GRANT(grantee, perm)                                                   \
    "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" " \
    "xsi:type=\"CanonicalUser\">" grantee "</Grantee><Permission>" perm "</Permission></Grant>"

typedef struct xml_case {
    const char *xml;
    api_err_t err;
    size_t n;
} xml_case_t;

static const xml_case_t XML[] = {
    {ACP(GRANT("<ID>" OWNER "</ID>", "FULL_CONTROL")), API_E_NONE, 1},
    {ACP(GRANT("<ID>" OWNER "</ID><DisplayName>x</DisplayName>", "FULL_CONTROL")
             GRANT("<URI>" ALL "</URI>", "READ") GRANT("<URI>" AUTH "</URI>", "READ_ACP")
                 GRANT("<URI>" LOG "</URI>", "WRITE") GRANT("<URI>" ALL "</URI>", "WRITE_ACP")),
     API_E_NONE, 5},
    {ACP(""), API_E_NONE, 0},
    {"<AccessControlPolicy><Owner><ID>" OWNER "</ID></Owner></AccessControlPolicy>", API_E_NONE, 0},
    {"not xml", API_E_S3_MALFORMED_ACL, 0},
    {"<Other/>", API_E_S3_MALFORMED_ACL, 0},
    {"<AccessControlPolicy><AccessControlList/></AccessControlPolicy>", API_E_S3_MALFORMED_ACL, 0},
    {"<AccessControlPolicy><Owner><ID>someone</ID></Owner></AccessControlPolicy>",
     API_E_S3_INVALID_ARGUMENT, 0},
    {ACP(GRANT("<ID>" OWNER "</ID>", "EVERYTHING")), API_E_S3_MALFORMED_ACL, 0},
    {ACP(GRANT("<ID>" OWNER "</ID>", "")), API_E_S3_MALFORMED_ACL, 0},
    {ACP(GRANT("", "READ")), API_E_S3_MALFORMED_ACL, 0},
    {ACP(GRANT("<ID>" OWNER "</ID><URI>" ALL "</URI>", "READ")), API_E_S3_MALFORMED_ACL, 0},
    {ACP("<Grant><Permission>READ</Permission></Grant>"), API_E_S3_MALFORMED_ACL, 0},
    {ACP("<NotGrant/>"), API_E_S3_MALFORMED_ACL, 0},
    {ACP(GRANT("<ID>other</ID>", "READ")), API_E_S3_INVALID_ARGUMENT, 0},
    {ACP(GRANT("<URI>http://example.com/g</URI>", "READ")), API_E_S3_INVALID_ARGUMENT, 0},
    {ACP(GRANT("<EmailAddress>a@example.com</EmailAddress>", "READ")), API_E_S3_UNRESOLVABLE_EMAIL,
     0},
};

static void test_xml(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(XML) / sizeof(XML[0]); i++) {
        kv_arena_t *a = kv_arena_new(4096);
        s3_acl_t acl;
        const char *msg;
        api_err_t e = s3_acl_xml(a, kv_slice_str(XML[i].xml), OWNER, &acl, &msg);
        assert_int_equal(e, XML[i].err);
        if (e == API_E_NONE)
            assert_int_equal(acl.n, XML[i].n);
        kv_arena_free(a);
    }
}

/* ---- the encoding ---- */

static void test_encoding(void **state)
{
    (void)state;
    s3_acl_t acl, back;
    /* The default ACL is stored as nothing, and nothing decodes to it. */
    assert_true(s3_acl_canned(kv_slice_str("private"), &acl));
    kv_buf_t b;
    kv_buf_init(&b, 16);
    s3_acl_encode(&acl, &b);
    assert_int_equal(b.len, 0);
    assert_int_equal(s3_acl_decode(kv_buf_slice(&b), &back), 0);
    assert_true(s3_acl_owner_only(&back));
    /* Two bytes a grant after the format byte. */
    assert_true(s3_acl_canned(kv_slice_str("public-read-write"), &acl));
    s3_acl_encode(&acl, &b);
    assert_int_equal(b.len, 1 + 2 * 3);
    assert_int_equal(s3_acl_decode(kv_buf_slice(&b), &back), 0);
    assert_int_equal(back.n, 3);
    assert_memory_equal(back.g, acl.g, sizeof(acl.g[0]) * 3);
    /* No grants at all (an empty AccessControlList): one byte. */
    b.len = 0;
    acl.n = 0;
    s3_acl_encode(&acl, &b);
    assert_int_equal(b.len, 1);
    assert_int_equal(s3_acl_decode(kv_buf_slice(&b), &back), 0);
    assert_int_equal(back.n, 0);
    kv_buf_dispose(&b);
    /* Anything else is refused. */
    assert_int_equal(s3_acl_decode(kv_slice_str("2RA"), &back), -1);
    assert_int_equal(s3_acl_decode(kv_slice_str("1RA1"), &back), -1);
    assert_int_equal(s3_acl_decode(kv_slice_str("1XA"), &back), -1);
    assert_int_equal(s3_acl_decode(kv_slice_str("1RZ"), &back), -1);
}

/* ---- ownership ---- */

static void test_ownership(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(4096);
    eng_bucket_t b = {0};
    bool set;
    assert_int_equal(s3_ownership(&b, &set), S3_OWN_ENFORCED);
    assert_true(set);
    for (int o = S3_OWN_ENFORCED; o <= S3_OWN_WRITER; o++) {
        b.docs[ENG_BDOC_OWNERSHIP] = kv_slice_str(s3_ownership_doc((s3_ownership_t)o));
        assert_int_equal(s3_ownership(&b, &set), o);
        assert_true(set);
        s3_ownership_t parsed;
        assert_int_equal(s3_ownership_xml(a, b.docs[ENG_BDOC_OWNERSHIP], &parsed), 0);
        assert_int_equal(parsed, o);
    }
    b.docs[ENG_BDOC_OWNERSHIP] = kv_slice_str(S3_OWNERSHIP_NONE);
    assert_int_equal(s3_ownership(&b, &set), S3_OWN_WRITER);
    assert_false(set);
    s3_ownership_t o;
    static const char *const bad[] = {
        "<OwnershipControls/>",
        "<OwnershipControls><Rule/></OwnershipControls>",
        "<OwnershipControls><Rule><ObjectOwnership>Mine</ObjectOwnership></Rule>"
        "</OwnershipControls>",
        "<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule><Rule>"
        "<ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>",
        "<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership><ObjectOwnership>"
        "ObjectWriter</ObjectOwnership></Rule></OwnershipControls>",
        "<Rule/>",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(s3_ownership_xml(a, kv_slice_str(bad[i]), &o), -1);
    kv_arena_free(a);
}

/* ---- s3_acl_check ---- */

typedef struct check_case {
    const char *canned; /* the bucket's (bucket actions) or the object's ACL */
    const char *action;
    api_pr_kind_t who;
    bool ignore_public;
    api_acl_verdict_t want;
} check_case_t;

static const check_case_t CHECK[] = {
    /* AllUsers READ: anyone reads and lists, nobody writes or reads the ACL */
    {"public-read", "s3:GetObject", API_PR_ANON, false, API_ACL_ALLOW},
    {"public-read", "s3:GetObjectVersion", API_PR_USER, false, API_ACL_ALLOW},
    {"public-read", "s3:ListBucket", API_PR_ANON, false, API_ACL_ALLOW},
    {"public-read", "s3:ListBucketVersions", API_PR_ROLE, false, API_ACL_ALLOW},
    {"public-read", "s3:ListBucketMultipartUploads", API_PR_ANON, false, API_ACL_ALLOW},
    {"public-read", "s3:PutObject", API_PR_ANON, false, API_ACL_NONE},
    {"public-read", "s3:GetObjectAcl", API_PR_ANON, false, API_ACL_NONE},
    {"public-read", "s3:GetBucketAcl", API_PR_ANON, false, API_ACL_NONE},
    {"public-read", "s3:DeleteBucket", API_PR_ANON, false, API_ACL_NONE},
    {"public-read", "s3:GetObjectTagging", API_PR_ANON, false, API_ACL_NONE},
    /* IgnorePublicAcls */
    {"public-read", "s3:GetObject", API_PR_ANON, true, API_ACL_NONE},
    {"public-read", "s3:ListBucket", API_PR_USER, true, API_ACL_NONE},
    /* AllUsers WRITE: bucket writes */
    {"public-read-write", "s3:PutObject", API_PR_ANON, false, API_ACL_ALLOW},
    {"public-read-write", "s3:DeleteObject", API_PR_ANON, false, API_ACL_ALLOW},
    {"public-read-write", "s3:PutBucketAcl", API_PR_ANON, false, API_ACL_NONE},
    {"public-read-write", "s3:PutObject", API_PR_ANON, true, API_ACL_NONE},
    /* AuthenticatedUsers: signed principals only */
    {"authenticated-read", "s3:GetObject", API_PR_ANON, false, API_ACL_NONE},
    {"authenticated-read", "s3:GetObject", API_PR_USER, false, API_ACL_ALLOW},
    {"authenticated-read", "s3:GetObject", API_PR_ROLE, false, API_ACL_ALLOW},
    {"authenticated-read", "s3:GetObject", API_PR_USER, true, API_ACL_NONE},
    /* The owner's FULL_CONTROL is the account's: IAM principals need their own policies */
    {"private", "s3:GetObject", API_PR_USER, false, API_ACL_NONE},
    {"private", "s3:GetObject", API_PR_ANON, false, API_ACL_NONE},
    {"private", "s3:GetObject", API_PR_ROOT, false, API_ACL_ALLOW},
    {"private", "s3:PutObjectAcl", API_PR_ROOT_SESSION, false, API_ACL_ALLOW},
    /* LogDelivery: the log delivery service only */
    {"log-delivery-write", "s3:PutObject", API_PR_SERVICE, false, API_ACL_ALLOW},
    {"log-delivery-write", "s3:GetBucketAcl", API_PR_SERVICE, false, API_ACL_ALLOW},
    {"log-delivery-write", "s3:PutObject", API_PR_ANON, false, API_ACL_NONE},
    {"log-delivery-write", "s3:PutObject", API_PR_USER, false, API_ACL_NONE},
    /* unknown actions grant nothing */
    {"public-read-write", "s3:Unknown", API_PR_ANON, false, API_ACL_NONE},
    {"public-read-write", NULL, API_PR_ANON, false, API_ACL_NONE},
};

static bool object_action(const char *a)
{
    return a && strncmp(a, "s3:GetObject", 12) == 0 ? true
                                                    : a && strncmp(a, "s3:PutObjectAcl", 15) == 0;
}

static void test_check_matrix(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(CHECK) / sizeof(CHECK[0]); i++) {
        const check_case_t *c = &CHECK[i];
        s3_acl_t acl;
        assert_true(s3_acl_canned(kv_slice_str(c->canned), &acl));
        kv_buf_t enc;
        kv_buf_init(&enc, 16);
        s3_acl_encode(&acl, &enc);
        eng_bucket_t b = {.name = "b"};
        b.docs[ENG_BDOC_OWNERSHIP] = kv_slice_str(s3_ownership_doc(S3_OWN_WRITER));
        eng_object_t o = {0};
        bool obj = object_action(c->action);
        if (obj)
            o.acl = kv_buf_slice(&enc);
        else
            b.docs[ENG_BDOC_ACL] = kv_buf_slice(&enc);
        api_principal_t p = {.kind = c->who};
        if (c->who == API_PR_SERVICE)
            p.service = kv_slice_str("logging.s3.amazonaws.com");
        api_acl_verdict_t v =
            s3_acl_check(NULL, &b, obj ? &o : NULL, &p, c->action, c->ignore_public);
        if (v != c->want)
            fail_msg("case %zu: %s %s", i, c->canned, c->action ? c->action : "(null)");
        /* BucketOwnerEnforced: ACLs never grant anything. */
        b.docs[ENG_BDOC_OWNERSHIP] = KV_SLICE_NULL;
        assert_int_equal(s3_acl_check(NULL, &b, obj ? &o : NULL, &p, c->action, false),
                         API_ACL_NONE);
        kv_buf_dispose(&enc);
    }
}

static void test_check_edges(void **state)
{
    (void)state;
    api_principal_t anon = {.kind = API_PR_ANON};
    api_principal_t other = {.kind = API_PR_SERVICE, .service = kv_slice_str("sns.amazonaws.com")};
    s3_acl_t acl;
    assert_true(s3_acl_canned(kv_slice_str("public-read-write"), &acl));
    kv_buf_t enc;
    kv_buf_init(&enc, 16);
    s3_acl_encode(&acl, &enc);
    eng_bucket_t b = {.name = "b"};
    b.docs[ENG_BDOC_OWNERSHIP] = kv_slice_str(s3_ownership_doc(S3_OWN_PREFERRED));
    b.docs[ENG_BDOC_ACL] = kv_buf_slice(&enc);
    /* no bucket, no object for an object action, another service */
    assert_int_equal(s3_acl_check(NULL, NULL, NULL, &anon, "s3:ListBucket", false), API_ACL_NONE);
    assert_int_equal(s3_acl_check(NULL, &b, NULL, &anon, "s3:GetObject", false), API_ACL_NONE);
    assert_int_equal(s3_acl_check(NULL, &b, NULL, &other, "s3:ListBucket", false), API_ACL_ALLOW);
    /* controls deleted: ACLs apply (ObjectWriter) */
    b.docs[ENG_BDOC_OWNERSHIP] = kv_slice_str(S3_OWNERSHIP_NONE);
    assert_int_equal(s3_acl_check(NULL, &b, NULL, &anon, "s3:ListBucket", false), API_ACL_ALLOW);
    /* a corrupt stored ACL grants nothing */
    b.docs[ENG_BDOC_ACL] = kv_slice_str("1R");
    assert_int_equal(s3_acl_check(NULL, &b, NULL, &anon, "s3:ListBucket", false), API_ACL_NONE);
    /* the object's ACL, not the bucket's, answers for objects */
    eng_object_t o = {0};
    b.docs[ENG_BDOC_ACL] = kv_buf_slice(&enc);
    assert_int_equal(s3_acl_check(NULL, &b, &o, &anon, "s3:GetObject", false), API_ACL_NONE);
    kv_buf_dispose(&enc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canned),       cmocka_unit_test(test_grant_header),
        cmocka_unit_test(test_grant_limit),  cmocka_unit_test(test_xml),
        cmocka_unit_test(test_encoding),     cmocka_unit_test(test_ownership),
        cmocka_unit_test(test_check_matrix), cmocka_unit_test(test_check_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
