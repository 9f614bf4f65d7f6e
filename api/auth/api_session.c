/* SPDX-License-Identifier: Apache-2.0 */
/* Stateless session credentials: minting and verifying tokens (see api_session.h). */
#include "api_session.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "base/kv_b64.h"
#include "base/kv_buf.h"
#include "sigv4.h"

/* HMAC-SHA256(key, a || b), with SigV4's digest (fetched once, a context per thread). */
static void hmac(const uint8_t *key, size_t key_len, const void *a, size_t an, const void *b,
                 size_t bn, uint8_t out[32])
{
    uint8_t msg[64 + API_SESSION_BIN_MAX];
    if (an + bn > sizeof(msg)) {
        memset(out, 0, 32);
        return;
    }
    memcpy(msg, a, an);
    if (bn)
        memcpy(msg + an, b, bn);
    sigv4_hmac(key, key_len, kv_slice(msg, an + bn), out);
}

void api_session_keys(const char *secret, api_session_keys_t *out)
{
    uint8_t id[32];
    static const char mac_label[] = "stratus session tokens v1";
    static const char id_label[] = "stratus session key id";
    hmac((const uint8_t *)secret, strlen(secret), mac_label, sizeof(mac_label) - 1, NULL, 0,
         out->mac);
    hmac((const uint8_t *)secret, strlen(secret), id_label, sizeof(id_label) - 1, NULL, 0, id);
    memcpy(out->key_id, id, sizeof(out->key_id));
}

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

bool api_session_is_session_key(kv_slice_t ak)
{
    if (ak.len != API_SESSION_AKID_LEN || memcmp(ak.p, "ASIA", 4) != 0)
        return false;
    for (size_t i = 4; i < ak.len; i++)
        if (!((ak.p[i] >= 'A' && ak.p[i] <= 'Z') || (ak.p[i] >= '2' && ak.p[i] <= '7')))
            return false;
    return true;
}

/* The access key id and secret key of the token whose MAC is mac. */
static void derive(const api_session_keys_t *k, const uint8_t mac[32], char akid[21], char sk[41])
{
    uint8_t d[32];
    hmac(k->mac, 32, "access key id:", 14, mac, 32, d);
    memcpy(akid, "ASIA", 4);
    /* 16 base-32 characters from the first 10 bytes (80 bits). */
    for (int g = 0; g < 2; g++) {
        uint64_t v = 0;
        for (int i = 0; i < 5; i++)
            v = v << 8 | d[g * 5 + i];
        for (int i = 0; i < 8; i++)
            akid[4 + g * 8 + i] = b32[(v >> (35 - 5 * i)) & 31];
    }
    akid[20] = 0;
    hmac(k->mac, 32, "secret access key:", 18, mac, 32, d);
    kv_buf_t b;
    kv_buf_init_on(&b, (uint8_t *)sk, 41, 41);
    kv_b64_encode(&b, d, 30); /* 30 bytes: 40 characters, no padding */
    sk[40] = 0;
    OPENSSL_cleanse(d, sizeof(d));
}

static void put_u16(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

int api_session_mint(const api_session_keys_t *k, const char *function_arn, const char *role_arn,
                     int64_t expires, api_creds_t *out)
{
    size_t fl = strlen(function_arn), rl = role_arn ? strlen(role_arn) : 0;
    if (fl > API_SESSION_ARN_MAX || rl > API_SESSION_ARN_MAX)
        return -1;
    uint8_t bin[API_SESSION_BIN_MAX];
    size_t n = 0;
    bin[n++] = API_SESSION_VERSION;
    memcpy(bin + n, k->key_id, 4);
    n += 4;
    for (int i = 7; i >= 0; i--)
        bin[n++] = (uint8_t)((uint64_t)expires >> (8 * i));
    put_u16(bin + n, fl);
    n += 2;
    memcpy(bin + n, function_arn, fl);
    n += fl;
    put_u16(bin + n, rl);
    n += 2;
    if (rl)
        memcpy(bin + n, role_arn, rl);
    n += rl;
    hmac(k->mac, 32, bin, n, NULL, 0, bin + n);
    derive(k, bin + n, out->access_key, out->secret_key);
    n += 32;
    kv_buf_t b;
    kv_buf_init_on(&b, (uint8_t *)out->token, sizeof(out->token), sizeof(out->token));
    kv_b64_encode(&b, bin, n);
    out->token[b.len] = 0;
    out->expires = expires;
    return 0;
}

static size_t get_u16(const uint8_t *p)
{
    return (size_t)p[0] << 8 | p[1];
}

api_session_result_t api_session_verify(const api_session_keys_t *k, kv_slice_t access_key,
                                        kv_slice_t token, int64_t now, char *secret, uint8_t *bin,
                                        api_session_principal_t *p)
{
    /* Length and alphabet first: nothing is decoded from a token that cannot be one. */
    if (token.len < ((API_SESSION_BIN_MIN + 2) / 3) * 4 || token.len > API_SESSION_TEXT_MAX ||
        token.len % 4 || !api_session_is_session_key(access_key))
        return API_SESSION_INVALID;
    kv_buf_t b;
    kv_buf_init_on(&b, bin, API_SESSION_BIN_MAX, API_SESSION_BIN_MAX);
    if (!kv_b64_decode(&b, token) || b.len < API_SESSION_BIN_MIN)
        return API_SESSION_INVALID;
    size_t n = b.len;
    /* Only the canonical encoding is accepted (no bits hidden in the padding). */
    char again[API_SESSION_TEXT_MAX + 4];
    kv_buf_t e;
    kv_buf_init_on(&e, (uint8_t *)again, sizeof(again), sizeof(again));
    kv_b64_encode(&e, bin, n);
    if (e.len != token.len || memcmp(again, token.p, token.len) != 0)
        return API_SESSION_INVALID;
    if (bin[0] != API_SESSION_VERSION || CRYPTO_memcmp(bin + 1, k->key_id, 4) != 0)
        return API_SESSION_INVALID;
    size_t off = 13;
    size_t fl = get_u16(bin + off);
    if (fl > API_SESSION_ARN_MAX || off + 2 + fl + 2 + 32 > n)
        return API_SESSION_INVALID;
    size_t fo = off + 2;
    off = fo + fl;
    size_t rl = get_u16(bin + off);
    size_t ro = off + 2;
    if (rl > API_SESSION_ARN_MAX || ro + rl + 32 != n)
        return API_SESSION_INVALID;
    uint8_t mac[32];
    hmac(k->mac, 32, bin, n - 32, NULL, 0, mac);
    if (CRYPTO_memcmp(mac, bin + n - 32, 32) != 0)
        return API_SESSION_INVALID;
    char akid[21], sk[41];
    derive(k, mac, akid, sk);
    if (CRYPTO_memcmp(akid, access_key.p, API_SESSION_AKID_LEN) != 0) {
        OPENSSL_cleanse(sk, sizeof(sk));
        return API_SESSION_INVALID;
    }
    int64_t exp = 0;
    for (int i = 0; i < 8; i++)
        exp = (int64_t)((uint64_t)exp << 8 | bin[5 + i]);
    memcpy(secret, sk, sizeof(sk));
    OPENSSL_cleanse(sk, sizeof(sk));
    if (p) {
        p->function_arn = kv_slice(bin + fo, fl);
        p->role_arn = kv_slice(bin + ro, rl);
        p->expires = exp;
    }
    return now >= exp ? API_SESSION_EXPIRED : API_SESSION_OK;
}
