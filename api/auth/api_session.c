/* SPDX-License-Identifier: Apache-2.0 */
/* Stateless session credentials (version 2): minting and verifying tokens (see
 * api_session.h). */
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
    static const char mac_label[] = "stratus session tokens v2";
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

/* ---- the binary form ---- */

typedef struct wr {
    uint8_t *p;
    size_t n, cap;
    bool bad;
} wr_t;

static void put_bytes(wr_t *w, const void *v, size_t n)
{
    if (w->bad || n > w->cap - w->n) {
        w->bad = true;
        return;
    }
    if (n)
        memcpy(w->p + w->n, v, n);
    w->n += n;
}

static void put_u8(wr_t *w, size_t v)
{
    uint8_t b = (uint8_t)v;
    put_bytes(w, &b, 1);
}

static void put_u64(wr_t *w, int64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)((uint64_t)v >> (56 - 8 * i));
    put_bytes(w, b, 8);
}

static void put_str(wr_t *w, kv_slice_t s)
{
    uint8_t b[2] = {(uint8_t)(s.len >> 8), (uint8_t)s.len};
    put_bytes(w, b, 2);
    put_bytes(w, s.p, s.len);
}

size_t api_session_packed_size(const api_session_principal_t *p)
{
    size_t n = 2 + p->policy.len + 3;
    for (size_t i = 0; i < p->n_policy_arns && i < API_SESSION_ARNS_MAX; i++)
        n += 2 + p->policy_arns[i].len;
    for (size_t i = 0; i < p->n_tags && i < API_SESSION_TAGS_MAX; i++)
        n += 4 + p->tags[i].key.len + p->tags[i].value.len;
    for (size_t i = 0; i < p->n_transitive && i < API_SESSION_TAGS_MAX; i++)
        n += 2 + p->transitive[i].len;
    return n;
}

int api_session_mint(const api_session_keys_t *k, const api_session_principal_t *p,
                     api_creds_t *out)
{
    if (p->role_arn.len > API_SESSION_ARN_MAX || p->function_arn.len > API_SESSION_ARN_MAX ||
        p->role_id.len > API_SESSION_ID_MAX || p->name.len > API_SESSION_NAME_MAX ||
        p->source_identity.len > API_SESSION_NAME_MAX || p->n_policy_arns > API_SESSION_ARNS_MAX ||
        p->n_tags > API_SESSION_TAGS_MAX || p->n_transitive > API_SESSION_TAGS_MAX ||
        p->policy.len > API_SESSION_PACKED_MAX)
        return -1;
    for (size_t i = 0; i < p->n_policy_arns; i++)
        if (p->policy_arns[i].len > API_SESSION_PACKED_MAX)
            return -1;
    for (size_t i = 0; i < p->n_tags; i++)
        if (p->tags[i].key.len > API_SESSION_PACKED_MAX ||
            p->tags[i].value.len > API_SESSION_PACKED_MAX)
            return -1;
    for (size_t i = 0; i < p->n_transitive; i++)
        if (p->transitive[i].len > API_SESSION_PACKED_MAX)
            return -1;
    if (api_session_packed_size(p) > API_SESSION_PACKED_MAX)
        return -2;
    uint8_t bin[API_SESSION_BIN_MAX];
    wr_t w = {bin, 0, sizeof(bin) - 32, false};
    put_u8(&w, API_SESSION_VERSION);
    put_bytes(&w, k->key_id, 4);
    put_u8(&w, p->kind);
    put_u8(&w, p->flags);
    put_u64(&w, p->issued);
    put_u64(&w, p->expires);
    put_str(&w, p->role_arn);
    put_str(&w, p->role_id);
    put_str(&w, p->name);
    put_str(&w, p->source_identity);
    put_str(&w, p->function_arn);
    put_str(&w, p->policy);
    put_u8(&w, p->n_policy_arns);
    for (size_t i = 0; i < p->n_policy_arns; i++)
        put_str(&w, p->policy_arns[i]);
    put_u8(&w, p->n_tags);
    for (size_t i = 0; i < p->n_tags; i++) {
        put_str(&w, p->tags[i].key);
        put_str(&w, p->tags[i].value);
    }
    put_u8(&w, p->n_transitive);
    for (size_t i = 0; i < p->n_transitive; i++)
        put_str(&w, p->transitive[i]);
    size_t n = w.n;
    if (w.bad || n > sizeof(bin) - 32)
        return -1;
    hmac(k->mac, 32, bin, n, NULL, 0, bin + n);
    derive(k, bin + n, out->access_key, out->secret_key);
    n += 32;
    kv_buf_t b;
    kv_buf_init_on(&b, (uint8_t *)out->token, sizeof(out->token), sizeof(out->token));
    kv_b64_encode(&b, bin, n);
    out->token[b.len] = 0;
    out->expires = p->expires;
    OPENSSL_cleanse(bin, sizeof(bin));
    return 0;
}

typedef struct rd {
    const uint8_t *p;
    size_t n, off;
    bool bad;
} rd_t;

static const uint8_t *get_bytes(rd_t *r, size_t n)
{
    if (r->bad || n > r->n - r->off) {
        r->bad = true;
        return NULL;
    }
    const uint8_t *v = r->p + r->off;
    r->off += n;
    return v;
}

static size_t get_u8(rd_t *r)
{
    const uint8_t *v = get_bytes(r, 1);
    return v ? v[0] : 0;
}

static int64_t get_u64(rd_t *r)
{
    const uint8_t *v = get_bytes(r, 8);
    uint64_t x = 0;
    for (int i = 0; v && i < 8; i++)
        x = x << 8 | v[i];
    return (int64_t)x;
}

static kv_slice_t get_str(rd_t *r, size_t max)
{
    const uint8_t *l = get_bytes(r, 2);
    size_t n = l ? (size_t)l[0] << 8 | l[1] : 0;
    if (n > max) {
        r->bad = true;
        return kv_slice("", 0);
    }
    const uint8_t *v = get_bytes(r, n);
    return v ? kv_slice(v, n) : kv_slice("", 0);
}

bool api_session_decode(const uint8_t *bin, size_t n, api_session_principal_t *p)
{
    if (n < API_SESSION_BIN_MIN || n > API_SESSION_BIN_MAX)
        return false;
    memset(p, 0, sizeof(*p));
    rd_t r = {bin, n - 32, 5, false}; /* version and key id: checked by the caller */
    size_t kind = get_u8(&r);
    p->kind = (api_session_kind_t)kind;
    p->flags = (uint8_t)get_u8(&r);
    p->issued = get_u64(&r);
    p->expires = get_u64(&r);
    p->role_arn = get_str(&r, API_SESSION_ARN_MAX);
    p->role_id = get_str(&r, API_SESSION_ID_MAX);
    p->name = get_str(&r, API_SESSION_NAME_MAX);
    p->source_identity = get_str(&r, API_SESSION_NAME_MAX);
    p->function_arn = get_str(&r, API_SESSION_ARN_MAX);
    size_t packed_at = r.off;
    p->policy = get_str(&r, API_SESSION_PACKED_MAX);
    p->n_policy_arns = get_u8(&r);
    if (p->n_policy_arns > API_SESSION_ARNS_MAX)
        return false;
    for (size_t i = 0; i < p->n_policy_arns && !r.bad; i++)
        p->policy_arns[i] = get_str(&r, API_SESSION_PACKED_MAX);
    p->n_tags = get_u8(&r);
    if (p->n_tags > API_SESSION_TAGS_MAX)
        return false;
    for (size_t i = 0; i < p->n_tags && !r.bad; i++) {
        p->tags[i].key = get_str(&r, API_SESSION_PACKED_MAX);
        p->tags[i].value = get_str(&r, API_SESSION_PACKED_MAX);
    }
    p->n_transitive = get_u8(&r);
    if (p->n_transitive > API_SESSION_TAGS_MAX)
        return false;
    for (size_t i = 0; i < p->n_transitive && !r.bad; i++)
        p->transitive[i] = get_str(&r, API_SESSION_PACKED_MAX);
    if (r.bad || r.off != r.n || r.off - packed_at > API_SESSION_PACKED_MAX)
        return false;
    return kind >= API_SESSION_ROLE && kind <= API_SESSION_ROOT;
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
    api_session_principal_t local;
    api_session_principal_t *q = p ? p : &local;
    if (!api_session_decode(bin, n, q)) { /* sealed by this key, so never: but fail closed */
        OPENSSL_cleanse(sk, sizeof(sk));
        return API_SESSION_INVALID;
    }
    memcpy(secret, sk, sizeof(sk));
    OPENSSL_cleanse(sk, sizeof(sk));
    return now >= q->expires ? API_SESSION_EXPIRED : API_SESSION_OK;
}
