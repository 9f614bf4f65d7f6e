/* SPDX-License-Identifier: Apache-2.0 */
/* SigV4 canonicalisation and signing with OpenSSL's EVP interfaces. */
#include "sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/*
 * SHA-256 through an explicitly fetched EVP_MD and a per-thread context:
 * OpenSSL 3 would otherwise fetch the algorithm (taking locks) on every call,
 * which dominated the cost of verifying a signature.
 */
static EVP_MD *g_sha256;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static pthread_key_t g_ctx_key;

static void free_ctx(void *p)
{
    EVP_MD_CTX_free(p);
}

static void init_crypto(void)
{
    g_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (g_sha256 == NULL || pthread_key_create(&g_ctx_key, free_ctx) != 0)
        abort();
}

static EVP_MD_CTX *thread_ctx(void)
{
    pthread_once(&g_once, init_crypto);
    EVP_MD_CTX *c = pthread_getspecific(g_ctx_key);
    if (c == NULL) {
        c = EVP_MD_CTX_new();
        if (c == NULL || pthread_setspecific(g_ctx_key, c) != 0)
            abort();
    }
    return c;
}

static void sha256_2(const void *a, size_t an, const void *b, size_t bn, uint8_t out[32])
{
    EVP_MD_CTX *c = thread_ctx();
    unsigned int n = 32;
    if (EVP_DigestInit_ex2(c, g_sha256, NULL) != 1 || EVP_DigestUpdate(c, a, an) != 1 ||
        (bn && EVP_DigestUpdate(c, b, bn) != 1) || EVP_DigestFinal_ex(c, out, &n) != 1)
        abort();
}

/* HMAC-SHA256 (RFC 2104) over the fetched digest. */
static void hmac(const void *key, size_t key_len, kv_slice_t msg, uint8_t out[32])
{
    uint8_t k[64], pad[64], inner[32];
    memset(k, 0, sizeof(k));
    if (key_len > 64)
        sha256_2(key, key_len, NULL, 0, k);
    else
        memcpy(k, key, key_len);
    for (int i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x36;
    sha256_2(pad, 64, msg.p, msg.len, inner);
    for (int i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x5c;
    sha256_2(pad, 64, inner, 32, out);
    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_cleanse(pad, sizeof(pad));
}

static void hex(const uint8_t *p, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[p[i] >> 4];
        out[2 * i + 1] = hx[p[i] & 15];
    }
    out[2 * n] = 0;
}

void sigv4_sha256_hex(kv_slice_t data, char out[65])
{
    uint8_t d[32];
    sha256_2(data.p, data.len, NULL, 0, d);
    hex(d, 32, out);
}

void sigv4_hmac(const void *key, size_t key_len, kv_slice_t msg, uint8_t out[32])
{
    hmac(key, key_len, msg, out);
}

void sigv4_hmac_hex(const uint8_t key[32], kv_slice_t msg, char out[65])
{
    uint8_t d[32];
    hmac(key, 32, msg, d);
    hex(d, 32, out);
}

void sigv4_signing_key(kv_slice_t secret, kv_slice_t date, kv_slice_t region, kv_slice_t service,
                       uint8_t key[32])
{
    uint8_t k0[256];
    uint8_t k[32];
    size_t n = secret.len + 4 < sizeof(k0) ? secret.len : sizeof(k0) - 4;
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, secret.p, n);
    hmac(k0, n + 4, date, k);
    hmac(k, 32, region, k);
    hmac(k, 32, service, k);
    hmac(k, 32, KV_SLICE_LIT("aws4_request"), key);
    OPENSSL_cleanse(k0, sizeof(k0));
    OPENSSL_cleanse(k, sizeof(k));
}

bool sigv4_sig_eq(kv_slice_t a, kv_slice_t b)
{
    return a.len == b.len && a.len > 0 && CRYPTO_memcmp(a.p, b.p, a.len) == 0;
}

static bool is_unreserved(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

void sigv4_uri_encode(kv_buf_t *out, kv_slice_t in, bool encode_slash)
{
    static const char hx[] = "0123456789ABCDEF";
    for (size_t i = 0; i < in.len; i++) {
        uint8_t c = in.p[i];
        if (is_unreserved(c) || (c == '/' && !encode_slash)) {
            kv_buf_append_byte(out, c);
        } else {
            uint8_t e[3] = {'%', (uint8_t)hx[c >> 4], (uint8_t)hx[c & 15]};
            kv_buf_append(out, e, 3);
        }
    }
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool sigv4_uri_decode(kv_buf_t *out, kv_slice_t in)
{
    for (size_t i = 0; i < in.len; i++) {
        if (in.p[i] == '%') {
            int h, l;
            if (i + 2 >= in.len)
                return false;
            h = hexval(in.p[i + 1]);
            l = hexval(in.p[i + 2]);
            if (h < 0 || l < 0)
                return false;
            kv_buf_append_byte(out, (uint8_t)(h << 4 | l));
            i += 2;
        } else {
            kv_buf_append_byte(out, in.p[i]);
        }
    }
    return !kv_buf_failed(out);
}

void sigv4_canonical_uri(kv_buf_t *out, kv_slice_t path, bool raw)
{
    if (path.len == 0) {
        kv_buf_append_byte(out, '/');
        return;
    }
    if (raw) {
        kv_buf_append_slice(out, path);
        return;
    }
    /* Remove dot segments and empty segments, then encode each segment again
     * (the SDKs encode the already-encoded path a second time). */
    kv_slice_t segs[256];
    size_t n = 0;
    size_t i = 0;
    while (i < path.len) {
        while (i < path.len && path.p[i] == '/')
            i++;
        size_t s = i;
        while (i < path.len && path.p[i] != '/')
            i++;
        kv_slice_t seg = kv_slice(path.p + s, i - s);
        if (seg.len == 0 || kv_slice_eq_str(seg, "."))
            continue;
        if (kv_slice_eq_str(seg, "..")) {
            if (n)
                n--;
            continue;
        }
        if (n < 256)
            segs[n++] = seg;
    }
    bool trailing = path.p[path.len - 1] == '/';
    if (n == 0) {
        kv_buf_append_byte(out, '/');
        return;
    }
    for (size_t j = 0; j < n; j++) {
        kv_buf_append_byte(out, '/');
        sigv4_uri_encode(out, segs[j], true);
    }
    if (trailing)
        kv_buf_append_byte(out, '/');
}

bool sigv4_query_next(kv_slice_t *q, kv_slice_t *k, kv_slice_t *v, bool *has_eq)
{
    while (q->len) {
        const uint8_t *amp = memchr(q->p, '&', q->len);
        size_t n = amp ? (size_t)(amp - q->p) : q->len;
        kv_slice_t part = kv_slice(q->p, n);
        q->p += amp ? n + 1 : n;
        q->len -= amp ? n + 1 : n;
        if (part.len == 0)
            continue;
        const uint8_t *eq = memchr(part.p, '=', part.len);
        *k = eq ? kv_slice(part.p, (size_t)(eq - part.p)) : part;
        *v = eq ? kv_slice(eq + 1, part.len - k->len - 1) : KV_SLICE_NULL;
        if (has_eq)
            *has_eq = eq != NULL;
        return true;
    }
    return false;
}

typedef struct qpair {
    kv_slice_t k, v;
} qpair_t;

static int qpair_cmp(const void *a, const void *b)
{
    const qpair_t *x = a, *y = b;
    int c = kv_slice_cmp(x->k, y->k);
    return c ? c : kv_slice_cmp(x->v, y->v);
}

/* Decode then re-encode one query component into the arena. */
static bool requote(kv_arena_t *a, kv_slice_t in, kv_slice_t *out)
{
    kv_buf_t d, e;
    kv_buf_init(&d, in.len + 1);
    kv_buf_init(&e, in.len * 3 + 1);
    bool ok = sigv4_uri_decode(&d, in);
    if (ok) {
        sigv4_uri_encode(&e, kv_buf_slice(&d), true);
        *out = kv_arena_dup(a, kv_buf_slice(&e));
    }
    kv_buf_dispose(&d);
    kv_buf_dispose(&e);
    return ok;
}

bool sigv4_canonical_query(kv_buf_t *out, kv_slice_t q, kv_arena_t *a)
{
    if (q.len == 0)
        return true;
    size_t cap = 1;
    for (size_t i = 0; i < q.len; i++)
        cap += q.p[i] == '&';
    if (cap > SIGV4_MAX_QUERY_PARAMS)
        return false;
    qpair_t *pairs = kv_arena_calloc(a, cap, sizeof(*pairs));
    size_t n = 0;
    kv_slice_t k, v;
    while (sigv4_query_next(&q, &k, &v, NULL)) {
        if (kv_slice_eq_str(k, "X-Amz-Signature"))
            continue;
        if (!requote(a, k, &pairs[n].k) || !requote(a, v, &pairs[n].v))
            return false;
        n++;
    }
    qsort(pairs, n, sizeof(*pairs), qpair_cmp);
    for (size_t j = 0; j < n; j++) {
        if (j)
            kv_buf_append_byte(out, '&');
        kv_buf_append_slice(out, pairs[j].k);
        kv_buf_append_byte(out, '=');
        kv_buf_append_slice(out, pairs[j].v);
    }
    return true;
}

/* Append a header value trimmed, with runs of spaces collapsed to one. */
static void append_trimmed(kv_buf_t *out, kv_slice_t v)
{
    v = kv_slice_trim(v);
    size_t i = 0;
    while (i < v.len) {
        size_t s = i;
        while (i < v.len && v.p[i] != ' ' && v.p[i] != '\t')
            i++;
        kv_buf_append(out, v.p + s, i - s);
        if (i == v.len)
            break;
        while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t'))
            i++;
        kv_buf_append_byte(out, ' '); /* a run of blanks becomes one space */
    }
}

bool sigv4_canonical_headers(kv_buf_t *out, kv_slice_t signed_headers, const sigv4_hdr_t *hdrs,
                             size_t n_hdrs)
{
    size_t i = 0, count = 0;
    while (i < signed_headers.len) {
        size_t s = i;
        while (i < signed_headers.len && signed_headers.p[i] != ';')
            i++;
        kv_slice_t name = kv_slice(signed_headers.p + s, i - s);
        i++;
        if (name.len == 0 || ++count > SIGV4_MAX_SIGNED_HDRS)
            return false;
        char lname[128];
        if (name.len >= sizeof(lname))
            return false;
        memcpy(lname, name.p, name.len);
        lname[name.len] = 0;
        kv_buf_append_slice(out, name);
        kv_buf_append_byte(out, ':');
        bool found = false;
        for (size_t h = 0; h < n_hdrs; h++) {
            if (!kv_slice_eq_nocase(hdrs[h].name, lname))
                continue;
            if (found)
                kv_buf_append_byte(out, ',');
            append_trimmed(out, hdrs[h].value);
            found = true;
        }
        if (!found)
            return false;
        kv_buf_append_byte(out, '\n');
    }
    return true;
}

bool sigv4_is_signed(kv_slice_t signed_headers, kv_slice_t name)
{
    if (name.len == 0)
        return false;
    size_t i = 0;
    while (i < signed_headers.len) {
        size_t s = i;
        while (i < signed_headers.len && signed_headers.p[i] != ';')
            i++;
        if (kv_slice_eq_nocase_slice(kv_slice(signed_headers.p + s, i - s), name))
            return true;
        i++;
    }
    return false;
}

static bool is_amz(kv_slice_t name)
{
    return name.len > 6 && kv_slice_eq_nocase_slice(kv_slice(name.p, 6), KV_SLICE_LIT("x-amz-"));
}

static void append_lower(kv_buf_t *out, kv_slice_t name)
{
    if (out->len)
        kv_buf_append(out, ", ", 2);
    for (size_t i = 0; i < name.len; i++) {
        uint8_t c = name.p[i];
        kv_buf_append_byte(out, c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c);
    }
}

size_t sigv4_unsigned_headers(kv_slice_t signed_headers, const sigv4_hdr_t *hdrs, size_t n_hdrs,
                              const char *skip, kv_buf_t *out)
{
    size_t n = 0;
    kv_slice_t host = KV_SLICE_LIT("host");
    if (!sigv4_is_signed(signed_headers, host)) {
        if (out)
            append_lower(out, host);
        n++;
    }
    for (size_t i = 0; i < n_hdrs; i++) {
        kv_slice_t name = hdrs[i].name;
        if (!is_amz(name) || (skip && kv_slice_eq_nocase(name, skip)) ||
            sigv4_is_signed(signed_headers, name))
            continue;
        bool seen = false; /* a repeated header is listed once */
        for (size_t j = 0; j < i && !seen; j++)
            seen = kv_slice_eq_nocase_slice(hdrs[j].name, name);
        if (seen)
            continue;
        if (out)
            append_lower(out, name);
        n++;
    }
    return n;
}

bool sigv4_canonical_request(kv_buf_t *out, kv_slice_t method, kv_slice_t canonical_uri,
                             kv_slice_t canonical_query, kv_slice_t signed_headers,
                             const sigv4_hdr_t *hdrs, size_t n_hdrs, kv_slice_t payload_hash)
{
    kv_buf_append_slice(out, method);
    kv_buf_append_byte(out, '\n');
    kv_buf_append_slice(out, canonical_uri);
    kv_buf_append_byte(out, '\n');
    kv_buf_append_slice(out, canonical_query);
    kv_buf_append_byte(out, '\n');
    if (!sigv4_canonical_headers(out, signed_headers, hdrs, n_hdrs))
        return false;
    kv_buf_append_byte(out, '\n');
    kv_buf_append_slice(out, signed_headers);
    kv_buf_append_byte(out, '\n');
    kv_buf_append_slice(out, payload_hash);
    return !kv_buf_failed(out);
}

void sigv4_string_to_sign(kv_buf_t *out, kv_slice_t amz_date, kv_slice_t scope,
                          kv_slice_t canonical_request)
{
    char h[65];
    sigv4_sha256_hex(canonical_request, h);
    kv_buf_append_str(out, SIGV4_ALGO "\n");
    kv_buf_append_slice(out, amz_date);
    kv_buf_append_byte(out, '\n');
    kv_buf_append_slice(out, scope);
    kv_buf_append_byte(out, '\n');
    kv_buf_append(out, h, 64);
}

static void chained_signature(const uint8_t key[32], const char *algo, kv_slice_t amz_date,
                              kv_slice_t scope, kv_slice_t prev_sig, bool with_empty,
                              kv_slice_t hash_hex, char out[65])
{
    uint8_t tmp[512];
    kv_buf_t b = {tmp, 0, sizeof(tmp), sizeof(tmp), false, true};
    kv_buf_append_str(&b, algo);
    kv_buf_append_byte(&b, '\n');
    kv_buf_append_slice(&b, amz_date);
    kv_buf_append_byte(&b, '\n');
    kv_buf_append_slice(&b, scope);
    kv_buf_append_byte(&b, '\n');
    kv_buf_append_slice(&b, prev_sig);
    kv_buf_append_byte(&b, '\n');
    if (with_empty)
        kv_buf_append_str(&b, SIGV4_EMPTY_SHA256 "\n");
    kv_buf_append_slice(&b, hash_hex);
    sigv4_hmac_hex(key, kv_buf_slice(&b), out);
}

void sigv4_chunk_signature(const uint8_t key[32], kv_slice_t amz_date, kv_slice_t scope,
                           kv_slice_t prev_sig, kv_slice_t chunk_sha256_hex, char out[65])
{
    chained_signature(key, "AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev_sig, true,
                      chunk_sha256_hex, out);
}

void sigv4_trailer_signature(const uint8_t key[32], kv_slice_t amz_date, kv_slice_t scope,
                             kv_slice_t prev_sig, kv_slice_t trailer_sha256_hex, char out[65])
{
    chained_signature(key, "AWS4-HMAC-SHA256-TRAILER", amz_date, scope, prev_sig, false,
                      trailer_sha256_hex, out);
}

static bool is_hex64(kv_slice_t s)
{
    if (s.len != 64)
        return false;
    for (size_t i = 0; i < 64; i++)
        if (hexval(s.p[i]) < 0)
            return false;
    return true;
}

/* Split "AK/20130524/us-east-1/s3/aws4_request". */
static bool parse_credential(kv_slice_t c, sigv4_auth_t *out)
{
    kv_slice_t parts[5];
    size_t n = 0, s = 0;
    /* The access key may not contain '/', so split from the left. */
    for (size_t i = 0; i <= c.len; i++) {
        if (i == c.len || c.p[i] == '/') {
            if (n == 5)
                return false;
            parts[n++] = kv_slice(c.p + s, i - s);
            s = i + 1;
        }
    }
    if (n != 5 || parts[0].len == 0 || parts[1].len != 8 || parts[2].len == 0 ||
        parts[3].len == 0 || !kv_slice_eq_str(parts[4], "aws4_request"))
        return false;
    out->access_key = parts[0];
    out->date = parts[1];
    out->region = parts[2];
    out->service = parts[3];
    out->scope = kv_slice(parts[1].p, (size_t)(c.p + c.len - parts[1].p));
    return true;
}

sigv4_parse_err_t sigv4_parse_header(kv_slice_t h, sigv4_auth_t *out)
{
    memset(out, 0, sizeof(*out));
    h = kv_slice_trim(h);
    size_t alen = sizeof(SIGV4_ALGO) - 1;
    if (h.len <= alen || memcmp(h.p, SIGV4_ALGO, alen) != 0 || (h.p[alen] != ' '))
        return SIGV4_E_ALGORITHM;
    kv_slice_t rest = kv_slice(h.p + alen, h.len - alen);
    bool have_cred = false;
    size_t i = 0;
    while (i < rest.len) {
        while (i < rest.len && (rest.p[i] == ' ' || rest.p[i] == ','))
            i++;
        size_t s = i;
        while (i < rest.len && rest.p[i] != ',')
            i++;
        kv_slice_t part = kv_slice_trim(kv_slice(rest.p + s, i - s));
        if (part.len == 0)
            continue;
        if (kv_slice_starts_with(part, "Credential=")) {
            if (!parse_credential(kv_slice(part.p + 11, part.len - 11), out))
                return SIGV4_E_CREDENTIAL;
            have_cred = true;
        } else if (kv_slice_starts_with(part, "SignedHeaders=")) {
            out->signed_headers = kv_slice(part.p + 14, part.len - 14);
        } else if (kv_slice_starts_with(part, "Signature=")) {
            out->signature = kv_slice(part.p + 10, part.len - 10);
        }
    }
    if (!have_cred)
        return SIGV4_E_CREDENTIAL;
    if (out->signed_headers.len == 0)
        return SIGV4_E_SIGNED_HDRS;
    if (!is_hex64(out->signature))
        return SIGV4_E_SIGNATURE;
    return SIGV4_OK;
}

bool sigv4_is_presigned(kv_slice_t q)
{
    kv_slice_t k, v;
    while (sigv4_query_next(&q, &k, &v, NULL))
        if (kv_slice_eq_str(k, "X-Amz-Algorithm"))
            return true;
    return false;
}

sigv4_parse_err_t sigv4_parse_query(kv_slice_t q, kv_arena_t *a, sigv4_auth_t *out)
{
    memset(out, 0, sizeof(*out));
    kv_slice_t algo = KV_SLICE_NULL, cred = KV_SLICE_NULL;
    kv_slice_t k, raw;
    bool has_eq;
    while (sigv4_query_next(&q, &k, &raw, &has_eq)) {
        if (!has_eq)
            continue;
        if (!kv_slice_starts_with(k, "X-Amz-"))
            continue;
        kv_buf_t d;
        kv_buf_init(&d, raw.len + 1);
        if (!sigv4_uri_decode(&d, raw)) {
            kv_buf_dispose(&d);
            return SIGV4_E_CREDENTIAL;
        }
        kv_slice_t v = kv_arena_dup(a, kv_buf_slice(&d));
        kv_buf_dispose(&d);
        if (kv_slice_eq_str(k, "X-Amz-Algorithm"))
            algo = v;
        else if (kv_slice_eq_str(k, "X-Amz-Credential"))
            cred = v;
        else if (kv_slice_eq_str(k, "X-Amz-SignedHeaders"))
            out->signed_headers = v;
        else if (kv_slice_eq_str(k, "X-Amz-Signature"))
            out->signature = v;
        else if (kv_slice_eq_str(k, "X-Amz-Date"))
            out->amz_date = v;
        else if (kv_slice_eq_str(k, "X-Amz-Expires"))
            out->expires = v;
        else if (kv_slice_eq_str(k, "X-Amz-Content-Sha256"))
            out->content_sha256 = v;
    }
    if (!kv_slice_eq_str(algo, SIGV4_ALGO))
        return SIGV4_E_ALGORITHM;
    if (cred.len == 0 || !parse_credential(cred, out))
        return SIGV4_E_CREDENTIAL;
    if (out->signed_headers.len == 0)
        return SIGV4_E_SIGNED_HDRS;
    if (!is_hex64(out->signature))
        return SIGV4_E_SIGNATURE;
    return SIGV4_OK;
}
