/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Session credentials (api/auth/api_session.c): minted keys have AWS's shapes, a token
 * verifies only with its own access key, under the secret that minted it and before its
 * expiry; every altered character, a changed expiry, another key id, a non-canonical
 * encoding and malformed lengths are refused.
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

static void test_mint_and_verify(void **state)
{
    (void)state;
    api_session_keys_t k;
    api_session_keys("server secret", &k);
    api_creds_t c;
    assert_int_equal(api_session_mint(&k, FN, ROLE, NOW + 3600, &c), 0);
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
    assert_true(kv_slice_eq_str(p.function_arn, FN));
    assert_true(kv_slice_eq_str(p.role_arn, ROLE));
    assert_int_equal(p.expires, NOW + 3600);
    /* Expired: genuine, but refused as such. */
    assert_int_equal(verify(&k, c.access_key, c.token, NOW + 3600, sk), API_SESSION_EXPIRED);
    /* Two mints differ (the expiry differs) and each key goes with its own token only. */
    api_creds_t c2;
    assert_int_equal(api_session_mint(&k, FN, ROLE, NOW + 3601, &c2), 0);
    assert_string_not_equal(c.access_key, c2.access_key);
    assert_int_equal(verify(&k, c2.access_key, c.token, NOW, sk), API_SESSION_INVALID);
    /* Another server's secret: another key id, refused. */
    api_session_keys_t other;
    api_session_keys("another secret", &other);
    assert_int_equal(verify(&other, c.access_key, c.token, NOW, sk), API_SESSION_INVALID);
    /* ARNs too long for a token are refused at minting. */
    char big[API_SESSION_ARN_MAX + 2];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    assert_int_equal(api_session_mint(&k, big, ROLE, NOW, &c2), -1);
}

static void test_every_alteration_refused(void **state)
{
    (void)state;
    api_session_keys_t k;
    api_session_keys("server secret", &k);
    api_creds_t c;
    assert_int_equal(api_session_mint(&k, FN, "", NOW + 60, &c), 0);
    char sk[41], t[API_SESSION_TEXT_MAX + 8];
    size_t n = strlen(c.token);
    for (size_t i = 0; i < n; i++) {
        if (c.token[i] == '=')
            continue;
        memcpy(t, c.token, n + 1);
        t[i] = t[i] == 'A' ? 'B' : 'A';
        assert_int_equal(verify(&k, c.access_key, t, NOW, sk), API_SESSION_INVALID);
    }
    /* A later expiry, another key id, another version: the MAC fails. */
    uint8_t later[8] = {0, 0, 0, 0, 0x7f, 0, 0, 0};
    patch(c.token, 5, later, 8, t, sizeof(t));
    assert_int_equal(verify(&k, c.access_key, t, NOW, sk), API_SESSION_INVALID);
    uint8_t kid[4] = {1, 2, 3, 4};
    patch(c.token, 1, kid, 4, t, sizeof(t));
    assert_int_equal(verify(&k, c.access_key, t, NOW, sk), API_SESSION_INVALID);
    uint8_t ver = 2;
    patch(c.token, 0, &ver, 1, t, sizeof(t));
    assert_int_equal(verify(&k, c.access_key, t, NOW, sk), API_SESSION_INVALID);
    /* A length field pointing past the token. */
    uint8_t len[2] = {0xff, 0xff};
    patch(c.token, 13, len, 2, t, sizeof(t));
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mint_and_verify),
        cmocka_unit_test(test_every_alteration_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
