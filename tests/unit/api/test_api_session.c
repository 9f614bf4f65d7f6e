/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Session credentials (api/auth/api_session.c, version 2): minted keys have AWS's shapes, a
 * token carries its whole principal (role, session name, source identity, session policy,
 * policy ARNs, tags, transitive keys), verifies only with its own access key, under the secret
 * that minted it and before its expiry; every altered character, a changed expiry, another key
 * id, a version 1 token, a non-canonical encoding and malformed lengths are refused; limits
 * are enforced at minting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth/api_session.h"
#include "base/kv_b64.h"
#include "base/kv_buf.h"

#define FN   "arn:aws:lambda:us-east-1:000000000000:function:f"
#define ROLE "arn:aws:iam::000000000000:role/r"
#define NOW  1800000000LL
#define S(x) kv_slice_str(x)

static uint8_t bin[API_SESSION_BIN_MAX];

static api_session_result_t verify(const api_session_keys_t *k, const char *ak, const char *tok,
                                   int64_t now, char *sk)
{
    return api_session_verify(k, kv_slice_str(ak), kv_slice_str(tok), now, sk, bin, NULL);
}

/* Re-encode a token's bytes with bytes [off, off + n) replaced. */
static void patch(const char *tok, size_t off, const uint8_t *v, size_t n, char *out, size_t cap)
{
    kv_buf_t d, e;
    kv_buf_init(&d, 1 << 16);
    assert_true(kv_b64_decode(&d, kv_slice_str(tok)));
    memcpy(d.p + off, v, n);
    kv_buf_init(&e, 1 << 16);
    kv_b64_encode(&e, d.p, d.len);
    assert_true(e.len < cap);
    memcpy(out, e.p, e.len);
    out[e.len] = 0;
    kv_buf_dispose(&d);
    kv_buf_dispose(&e);
}

/* A role session with everything a token carries. */
static void full(api_session_principal_t *p, int64_t expires)
{
    memset(p, 0, sizeof(*p));
    p->kind = API_SESSION_ROLE;
    p->flags = API_SESSION_F_CHAINED;
    p->issued = NOW;
    p->expires = expires;
    p->role_arn = S(ROLE);
    p->role_id = S("AROAEXAMPLE1234567890");
    p->name = S("sess");
    p->source_identity = S("alice");
    p->function_arn = S(FN);
    p->policy = S("{\"Version\":\"2012-10-17\",\"Statement\":[]}");
    p->n_policy_arns = 2;
    p->policy_arns[0] = S("arn:aws:iam::000000000000:policy/a");
    p->policy_arns[1] = S("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess");
    p->n_tags = 2;
    p->tags[0] = (api_session_tag_t){S("team"), S("blue")};
    p->tags[1] = (api_session_tag_t){S("env"), S("")};
    p->n_transitive = 1;
    p->transitive[0] = S("team");
}

static void test_mint_and_verify(void **state)
{
    (void)state;
    api_session_keys_t k;
    api_session_keys("server secret", &k);
    api_session_principal_t in;
    full(&in, NOW + 3600);
    api_creds_t c;
    assert_int_equal(api_session_mint(&k, &in, &c), 0);
    assert_int_equal(strlen(c.access_key), 20);
    assert_true(api_session_is_session_key(kv_slice_str(c.access_key)));
    assert_int_equal(strlen(c.secret_key), 40);
    for (size_t i = 0; i < 40; i++)
        assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
                               c.secret_key[i]));
    char sk[41];
    api_session_principal_t p;
    assert_int_equal(
        api_session_verify(&k, kv_slice_str(c.access_key), kv_slice_str(c.token), NOW, sk, bin, &p),
        API_SESSION_OK);
    assert_string_equal(sk, c.secret_key);
    assert_int_equal(p.kind, API_SESSION_ROLE);
    assert_int_equal(p.flags, API_SESSION_F_CHAINED);
    assert_int_equal(p.issued, NOW);
    assert_int_equal(p.expires, NOW + 3600);
    assert_true(kv_slice_eq_str(p.role_arn, ROLE));
    assert_true(kv_slice_eq_str(p.role_id, "AROAEXAMPLE1234567890"));
    assert_true(kv_slice_eq_str(p.name, "sess"));
    assert_true(kv_slice_eq_str(p.source_identity, "alice"));
    assert_true(kv_slice_eq_str(p.function_arn, FN));
    assert_true(kv_slice_eq(p.policy, in.policy));
    assert_int_equal(p.n_policy_arns, 2);
    assert_true(kv_slice_eq(p.policy_arns[1], in.policy_arns[1]));
    assert_int_equal(p.n_tags, 2);
    assert_true(kv_slice_eq_str(p.tags[0].key, "team"));
    assert_true(kv_slice_eq_str(p.tags[0].value, "blue"));
    assert_true(kv_slice_eq_str(p.tags[1].key, "env"));
    assert_int_equal(p.tags[1].value.len, 0);
    assert_int_equal(p.n_transitive, 1);
    assert_true(kv_slice_eq_str(p.transitive[0], "team"));
    /* Expired: genuine, but refused as such (a later "now" stands for time passing). */
    assert_int_equal(verify(&k, c.access_key, c.token, NOW + 3599, sk), API_SESSION_OK);
    assert_int_equal(verify(&k, c.access_key, c.token, NOW + 3600, sk), API_SESSION_EXPIRED);
    assert_int_equal(verify(&k, c.access_key, c.token, NOW + 900000, sk), API_SESSION_EXPIRED);
    /* Two mints differ (the expiry differs) and each key goes with its own token only. */
    api_creds_t c2;
    in.expires = NOW + 3601;
    assert_int_equal(api_session_mint(&k, &in, &c2), 0);
    assert_string_not_equal(c.access_key, c2.access_key);
    assert_int_equal(verify(&k, c2.access_key, c.token, NOW, sk), API_SESSION_INVALID);
    /* Another server's secret: another key id, refused. */
    api_session_keys_t other;
    api_session_keys("another secret", &other);
    assert_int_equal(verify(&other, c.access_key, c.token, NOW, sk), API_SESSION_INVALID);
    /* A user's and the root's GetSessionToken sessions. */
    api_session_principal_t u = {.kind = API_SESSION_USER, .issued = NOW, .expires = NOW + 900};
    u.name = S("ci");
    assert_int_equal(api_session_mint(&k, &u, &c2), 0);
    assert_int_equal(api_session_verify(&k, kv_slice_str(c2.access_key), kv_slice_str(c2.token),
                                        NOW, sk, bin, &p),
                     API_SESSION_OK);
    assert_int_equal(p.kind, API_SESSION_USER);
    assert_true(kv_slice_eq_str(p.name, "ci"));
    assert_int_equal(p.n_tags + p.n_policy_arns + p.n_transitive + p.policy.len, 0);
    /* The token fits the server's header limit (32 KB) even at its largest. */
    assert_true(API_SESSION_TEXT_MAX < 16 * 1024);
}

static void test_limits(void **state)
{
    (void)state;
    api_session_keys_t k;
    api_session_keys("server secret", &k);
    api_session_principal_t p;
    api_creds_t c;
    char big[API_SESSION_PACKED_MAX + 2];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    /* Each field over its limit is refused at minting. */
    full(&p, NOW + 60);
    p.role_arn = kv_slice(big, API_SESSION_ARN_MAX + 1);
    assert_int_equal(api_session_mint(&k, &p, &c), -1);
    full(&p, NOW + 60);
    p.function_arn = kv_slice(big, API_SESSION_ARN_MAX + 1);
    assert_int_equal(api_session_mint(&k, &p, &c), -1);
    full(&p, NOW + 60);
    p.name = kv_slice(big, API_SESSION_NAME_MAX + 1);
    assert_int_equal(api_session_mint(&k, &p, &c), -1);
    full(&p, NOW + 60);
    p.source_identity = kv_slice(big, API_SESSION_NAME_MAX + 1);
    assert_int_equal(api_session_mint(&k, &p, &c), -1);
    full(&p, NOW + 60);
    p.n_policy_arns = API_SESSION_ARNS_MAX + 1;
    assert_int_equal(api_session_mint(&k, &p, &c), -1);
    full(&p, NOW + 60);
    p.n_tags = API_SESSION_TAGS_MAX + 1;
    assert_int_equal(api_session_mint(&k, &p, &c), -1);
    /* The packed part: exactly at the limit fits, one byte more does not. */
    full(&p, NOW + 60);
    size_t rest = api_session_packed_size(&p) - p.policy.len;
    p.policy = kv_slice(big, API_SESSION_PACKED_MAX - rest);
    assert_int_equal(api_session_packed_size(&p), API_SESSION_PACKED_MAX);
    assert_int_equal(api_session_mint(&k, &p, &c), 0);
    char sk[41];
    assert_int_equal(verify(&k, c.access_key, c.token, NOW, sk), API_SESSION_OK);
    p.policy.len++;
    assert_int_equal(api_session_mint(&k, &p, &c), -2);
    /* The largest token of all fits its text buffer. */
    full(&p, NOW + 60);
    p.role_arn = kv_slice(big, API_SESSION_ARN_MAX);
    p.function_arn = kv_slice(big, API_SESSION_ARN_MAX);
    p.name = p.source_identity = kv_slice(big, API_SESSION_NAME_MAX);
    p.role_id = kv_slice(big, API_SESSION_ID_MAX);
    p.policy = kv_slice(big, API_SESSION_PACKED_MAX - rest);
    assert_int_equal(api_session_mint(&k, &p, &c), 0);
    assert_true(strlen(c.token) <= API_SESSION_TEXT_MAX);
    assert_int_equal(verify(&k, c.access_key, c.token, NOW, sk), API_SESSION_OK);
    /* 50 tags of the largest AWS allows would not fit: refused as too large, not cut. */
    full(&p, NOW + 60);
    p.n_tags = API_SESSION_TAGS_MAX;
    for (size_t i = 0; i < p.n_tags; i++)
        p.tags[i] = (api_session_tag_t){kv_slice(big, 128), kv_slice(big, 256)};
    assert_int_equal(api_session_mint(&k, &p, &c), -2);
}

static void test_every_alteration_refused(void **state)
{
    (void)state;
    api_session_keys_t k;
    api_session_keys("server secret", &k);
    api_session_principal_t in;
    full(&in, NOW + 60);
    api_creds_t c;
    assert_int_equal(api_session_mint(&k, &in, &c), 0);
    char sk[41], t[API_SESSION_TEXT_MAX + 8];
    size_t n = strlen(c.token);
    for (size_t i = 0; i < n; i++) {
        if (c.token[i] == '=')
            continue;
        memcpy(t, c.token, n + 1);
        t[i] = t[i] == 'A' ? 'B' : 'A';
        assert_int_equal(verify(&k, c.access_key, t, NOW, sk), API_SESSION_INVALID);
    }
    /* A later expiry, another kind, another key id, version 1: the MAC or the version fails. */
    uint8_t later[8] = {0, 0, 0, 0, 0x7f, 0, 0, 0};
    patch(c.token, 15, later, 8, t, sizeof(t));
    assert_int_equal(verify(&k, c.access_key, t, NOW, sk), API_SESSION_INVALID);
    uint8_t root = API_SESSION_ROOT;
    patch(c.token, 5, &root, 1, t, sizeof(t));
    assert_int_equal(verify(&k, c.access_key, t, NOW, sk), API_SESSION_INVALID);
    uint8_t kid[4] = {1, 2, 3, 4};
    patch(c.token, 1, kid, 4, t, sizeof(t));
    assert_int_equal(verify(&k, c.access_key, t, NOW, sk), API_SESSION_INVALID);
    uint8_t ver = 1;
    patch(c.token, 0, &ver, 1, t, sizeof(t));
    assert_int_equal(verify(&k, c.access_key, t, NOW, sk), API_SESSION_INVALID);
    /* A length field pointing past the token. */
    uint8_t len[2] = {0xff, 0xff};
    patch(c.token, API_SESSION_HEAD, len, 2, t, sizeof(t));
    assert_int_equal(verify(&k, c.access_key, t, NOW, sk), API_SESSION_INVALID);
    /* Truncated, empty, too long, not a multiple of 4, not base64. */
    memcpy(t, c.token, n + 1);
    t[n - 4] = 0;
    assert_int_equal(verify(&k, c.access_key, t, NOW, sk), API_SESSION_INVALID);
    assert_int_equal(verify(&k, c.access_key, "", NOW, sk), API_SESSION_INVALID);
    char *huge = malloc(API_SESSION_TEXT_MAX + 5);
    memset(huge, 'A', API_SESSION_TEXT_MAX + 4);
    huge[API_SESSION_TEXT_MAX + 4] = 0;
    assert_int_equal(verify(&k, c.access_key, huge, NOW, sk), API_SESSION_INVALID);
    free(huge);
    memcpy(t, c.token, n + 1);
    t[n - 1] = 0;
    assert_int_equal(verify(&k, c.access_key, t, NOW, sk), API_SESSION_INVALID);
    memcpy(t, c.token, n + 1);
    t[3] = '*';
    assert_int_equal(verify(&k, c.access_key, t, NOW, sk), API_SESSION_INVALID);
    /* Access keys that are not session keys. */
    assert_false(api_session_is_session_key(kv_slice_str("AKIAIOSFODNN7EXAMPLE")));
    assert_false(api_session_is_session_key(kv_slice_str("ASIA0000000000000000")));
    assert_false(api_session_is_session_key(kv_slice_str("ASIAAAAA")));
    assert_int_equal(verify(&k, "AKIAIOSFODNN7EXAMPLE", c.token, NOW, sk), API_SESSION_INVALID);
}

static void test_decode_bounds(void **state)
{
    (void)state;
    /* The field reader alone: every truncation of a genuine binary form is refused. */
    api_session_keys_t k;
    api_session_keys("server secret", &k);
    api_session_principal_t in, p;
    full(&in, NOW + 60);
    api_creds_t c;
    assert_int_equal(api_session_mint(&k, &in, &c), 0);
    kv_buf_t d;
    kv_buf_init(&d, 1 << 16);
    assert_true(kv_b64_decode(&d, kv_slice_str(c.token)));
    assert_true(api_session_decode(d.p, d.len, &p));
    for (size_t n = API_SESSION_BIN_MIN; n < d.len; n++) {
        uint8_t tmp[API_SESSION_BIN_MAX];
        memcpy(tmp, d.p, n - 32);
        memset(tmp + n - 32, 0, 32);
        assert_false(api_session_decode(tmp, n, &p));
    }
    kv_buf_dispose(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mint_and_verify),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_every_alteration_refused),
        cmocka_unit_test(test_decode_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
