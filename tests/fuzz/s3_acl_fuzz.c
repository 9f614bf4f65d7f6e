/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 ACLs (api/s3/s3_acl.c, issue 15 package A): the input is given to each parser of untrusted
 * ACL text: as an x-amz-grant-* header value, as an AccessControlPolicy body, as an
 * OwnershipControls body, and as a stored ACL; what parses is encoded, decoded again (it must
 * round-trip) and checked against a few principals and actions.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/kv_arena.h"
#include "base/kv_buf.h"
#include "s3/s3_int.h"

#define OWNER "a5c9f0e1b6f1b0f6f0a1d3e6c9b7d2e4f8a1c3e5b7d9f0a2c4e6b8d0f1a3c5e7"

static void check_all(const s3_acl_t *acl)
{
    kv_buf_t enc;
    kv_buf_init(&enc, 16);
    s3_acl_encode(acl, &enc);
    s3_acl_t back;
    if (s3_acl_decode(kv_buf_slice(&enc), &back) != 0)
        abort();
    if (s3_acl_owner_only(acl)
            ? !s3_acl_owner_only(&back)
            : back.n != acl->n || memcmp(back.g, acl->g, acl->n * sizeof(acl->g[0])) != 0)
        abort();
    static const char *const actions[] = {"s3:GetObject",    "s3:ListBucket",   "s3:PutObject",
                                          "s3:GetBucketAcl", "s3:PutObjectAcl", "s3:Other"};
    static const api_pr_kind_t kinds[] = {API_PR_ANON, API_PR_USER, API_PR_ROOT, API_PR_SERVICE};
    eng_bucket_t b = {.name = "b"};
    b.docs[ENG_BDOC_OWNERSHIP] = kv_slice_str(s3_ownership_doc(S3_OWN_WRITER));
    b.docs[ENG_BDOC_ACL] = kv_buf_slice(&enc);
    eng_object_t o = {.acl = kv_buf_slice(&enc)};
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
        for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
            api_principal_t p = {.kind = kinds[k], .service = kv_slice_str("x")};
            (void)s3_acl_check(NULL, &b, &o, &p, actions[i], false);
            /* IgnorePublicAcls only ever takes grants away. */
            if (s3_acl_check(NULL, &b, &o, &p, actions[i], true) == API_ACL_ALLOW &&
                s3_acl_check(NULL, &b, &o, &p, actions[i], false) != API_ACL_ALLOW)
                abort();
        }
    kv_buf_dispose(&enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kv_slice_t in = kv_slice(data, size);
    kv_arena_t *a = kv_arena_new(4096);
    s3_acl_t *acl = malloc(sizeof(*acl));
    const char *msg;

    acl->n = 0;
    if (s3_acl_grant_header(in, S3_ACLP_READ, OWNER, acl, &msg) == API_E_NONE)
        check_all(acl);
    if (s3_acl_xml(a, in, OWNER, acl, &msg) == API_E_NONE)
        check_all(acl);
    if (s3_acl_canned(in, acl))
        check_all(acl);
    s3_ownership_t own;
    if (s3_ownership_xml(a, in, &own) == 0 && own > S3_OWN_WRITER)
        abort();
    if (s3_acl_decode(in, acl) == 0)
        check_all(acl);
    eng_bucket_t b = {.name = "b"};
    b.docs[ENG_BDOC_OWNERSHIP] = in;
    b.docs[ENG_BDOC_ACL] = in;
    api_principal_t anon = {.kind = API_PR_ANON};
    (void)s3_ownership(&b, NULL);
    (void)s3_acl_check(NULL, &b, NULL, &anon, "s3:ListBucket", false);

    free(acl);
    kv_arena_free(a);
    return 0;
}
