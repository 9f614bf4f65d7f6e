/* SPDX-License-Identifier: Apache-2.0 */
/* SigV2 for S3: parsing, the string to sign and HMAC-SHA1 (OpenSSL's EVP digests). */
#include "sigv2.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/kv_b64.h"
#include "base/kv_time.h"

/* SHA-1 fetched once: OpenSSL 3 would otherwise look the algorithm up (taking locks) on every
 * call. */
static EVP_MD *g_sha1;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void init_sha1(void)
{
    g_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    if (g_sha1 == NULL)
        abort();
}

static void sha1_2(const void *a, size_t an, const void *b, size_t bn, uint8_t out[20])
{
    pthread_once(&g_once, init_sha1);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned int n = 20;
    if (c == NULL || EVP_DigestInit_ex2(c, g_sha1, NULL) != 1 || EVP_DigestUpdate(c, a, an) != 1 ||
        (bn && EVP_DigestUpdate(c, b, bn) != 1) || EVP_DigestFinal_ex(c, out, &n) != 1)
        abort();
    EVP_MD_CTX_free(c);
}

/* HMAC-SHA1 (RFC 2104). */
static void hmac_sha1(kv_slice_t key, kv_slice_t msg, uint8_t out[20])
{
    uint8_t k[64], pad[64], inner[20];
    memset(k, 0, sizeof(k));
    if (key.len > 64)
        sha1_2(key.p, key.len, NULL, 0, k);
    else if (key.len)
        memcpy(k, key.p, key.len);
    for (int i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x36;
    sha1_2(pad, 64, msg.p, msg.len, inner);
    for (int i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x5c;
    sha1_2(pad, 64, inner, 20, out);
    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_cleanse(pad, sizeof(pad));
}

void sigv2_sign(kv_slice_t secret, kv_slice_t sts, char out[SIGV2_SIG_LEN + 1])
{
    uint8_t d[20];
    hmac_sha1(secret, sts, d);
    kv_buf_t b;
    kv_buf_init_on(&b, out, SIGV2_SIG_LEN + 1, SIGV2_SIG_LEN + 1);
    kv_b64_encode(&b, d, sizeof(d));
    out[SIGV2_SIG_LEN] = 0;
    OPENSSL_cleanse(d, sizeof(d));
}

bool sigv2_verify(kv_slice_t secret, kv_slice_t sts, kv_slice_t provided)
{
    char sig[SIGV2_SIG_LEN + 1];
    sigv2_sign(secret, sts, sig);
    return sigv4_sig_eq(kv_slice(sig, SIGV2_SIG_LEN), provided);
}

/* ---- parsing ---- */

bool sigv2_is_header(kv_slice_t hdr)
{
    return hdr.len >= 4 && memcmp(hdr.p, SIGV2_HEADER_PFX, 4) == 0;
}

bool sigv2_is_query(kv_slice_t raw_query)
{
    kv_slice_t q = raw_query, k, v;
    while (sigv4_query_next(&q, &k, &v, NULL))
        if (kv_slice_eq_str(k, "AWSAccessKeyId") || kv_slice_eq_str(k, "Signature"))
            return true;
    return false;
}

sigv2_err_t sigv2_parse_header(kv_slice_t hdr, sigv2_auth_t *out)
{
    memset(out, 0, sizeof(*out));
    if (!sigv2_is_header(hdr))
        return SIGV2_E_HEADER;
    kv_slice_t rest = kv_slice_trim(kv_slice(hdr.p + 4, hdr.len - 4));
    const uint8_t *colon = rest.len ? memchr(rest.p, ':', rest.len) : NULL;
    if (colon == NULL)
        return SIGV2_E_HEADER;
    out->access_key = kv_slice(rest.p, (size_t)(colon - rest.p));
    out->signature = kv_slice(colon + 1, rest.len - out->access_key.len - 1);
    if (out->access_key.len == 0 || out->signature.len == 0)
        return SIGV2_E_HEADER;
    return SIGV2_OK;
}

/* Percent-decode raw into a (a '+' stays a '+'); a malformed escape leaves it as sent. */
static kv_slice_t decode(kv_arena_t *a, kv_slice_t raw)
{
    if (raw.len == 0 || memchr(raw.p, '%', raw.len) == NULL)
        return raw;
    kv_buf_t b;
    kv_buf_init(&b, raw.len + 1);
    kv_slice_t out = sigv4_uri_decode(&b, raw) ? kv_arena_dup(a, kv_buf_slice(&b)) : raw;
    kv_buf_dispose(&b);
    return out;
}

sigv2_err_t sigv2_parse_query(kv_slice_t raw_query, kv_arena_t *a, sigv2_auth_t *out)
{
    memset(out, 0, sizeof(*out));
    out->query = true;
    bool ak = false, sig = false, exp = false;
    kv_slice_t q = raw_query, k, v;
    while (sigv4_query_next(&q, &k, &v, NULL)) {
        if (!ak && kv_slice_eq_str(k, "AWSAccessKeyId")) {
            out->access_key = decode(a, v);
            ak = true;
        } else if (!sig && kv_slice_eq_str(k, "Signature")) {
            out->signature = decode(a, v);
            sig = true;
        } else if (!exp && kv_slice_eq_str(k, "Expires")) {
            out->expires = decode(a, v);
            exp = true;
        } else if (out->token.len == 0 && kv_slice_eq_nocase(k, "x-amz-security-token")) {
            out->token = decode(a, v);
        }
    }
    if (!ak || !sig || !exp || out->access_key.len == 0 || out->signature.len == 0)
        return SIGV2_E_QUERY;
    return SIGV2_OK;
}

/* ---- the string to sign ---- */

/* The query parameters S3 signs in the canonical resource (its documented sub-resources, those
 * the SDKs sign, and the response header overrides). Sorted for bsearch. */
static const char *const subresources[] = {
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "defaultObjectAcl",
    "delete",
    "inventory",
    "legal-hold",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "ownershipControls",
    "partNumber",
    "policy",
    "policyStatus",
    "publicAccessBlock",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "retention",
    "select",
    "select-type",
    "storageClass",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
};

static int name_cmp(const void *key, const void *elem)
{
    const kv_slice_t *k = key;
    const char *e = *(const char *const *)elem;
    size_t el = strlen(e), n = k->len < el ? k->len : el;
    int c = memcmp(k->p, e, n);
    if (c)
        return c;
    return k->len < el ? -1 : k->len > el ? 1 : 0;
}

bool sigv2_is_subresource(kv_slice_t name)
{
    return bsearch(&name, subresources, sizeof(subresources) / sizeof(subresources[0]),
                   sizeof(subresources[0]), name_cmp) != NULL;
}

/* One x-amz-* header or sub-resource: its name (lower-cased for headers), value, and place in
 * the request (the tie-break that keeps repeated names in the order sent). */
typedef struct entry {
    kv_slice_t name, value;
    size_t pos;
    bool has_eq;
} entry_t;

static int entry_cmp(const void *a, const void *b)
{
    const entry_t *x = a, *y = b;
    int c = kv_slice_cmp(x->name, y->name);
    return c ? c : x->pos < y->pos ? -1 : x->pos > y->pos;
}

static bool is_amz(kv_slice_t name)
{
    return name.len > 6 && kv_slice_eq_nocase(kv_slice(name.p, 6), "x-amz-");
}

static kv_slice_t lower(kv_arena_t *a, kv_slice_t s)
{
    uint8_t *p = kv_arena_alloc(a, s.len ? s.len : 1);
    for (size_t i = 0; i < s.len; i++)
        p[i] = s.p[i] >= 'A' && s.p[i] <= 'Z' ? (uint8_t)(s.p[i] + 32) : s.p[i];
    return kv_slice(p, s.len);
}

/* A header value trimmed, with folded lines (a line break and the whitespace after it)
 * unfolded into one space. */
static void append_value(kv_buf_t *out, kv_slice_t v)
{
    v = kv_slice_trim(v);
    for (size_t i = 0; i < v.len; i++) {
        uint8_t c = v.p[i];
        if (c == '\r' || c == '\n') {
            while (i + 1 < v.len && (v.p[i + 1] == '\r' || v.p[i + 1] == '\n' ||
                                     v.p[i + 1] == ' ' || v.p[i + 1] == '\t'))
                i++;
            kv_buf_append_byte(out, ' ');
            continue;
        }
        kv_buf_append_byte(out, c);
    }
}

static kv_slice_t header(const sigv2_req_t *r, const char *name)
{
    for (size_t i = 0; i < r->n_hdrs; i++)
        if (kv_slice_eq_nocase(r->hdrs[i].name, name))
            return kv_slice_trim(r->hdrs[i].value);
    return KV_SLICE_NULL;
}

static bool has_header(const sigv2_req_t *r, const char *name)
{
    for (size_t i = 0; i < r->n_hdrs; i++)
        if (kv_slice_eq_nocase(r->hdrs[i].name, name))
            return true;
    return false;
}

static bool amz_headers(kv_buf_t *out, const sigv2_req_t *r, kv_arena_t *a)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_hdrs; i++)
        n += is_amz(r->hdrs[i].name);
    kv_slice_t q = r->raw_query, k, v;
    while (r->query_auth && sigv4_query_next(&q, &k, &v, NULL))
        n += is_amz(k);
    if (n == 0)
        return true;
    if (n > SIGV2_MAX_AMZ)
        return false;
    entry_t *e = kv_arena_calloc(a, n, sizeof(*e));
    size_t m = 0;
    for (size_t i = 0; i < r->n_hdrs; i++)
        if (is_amz(r->hdrs[i].name))
            e[m] = (entry_t){lower(a, r->hdrs[i].name), r->hdrs[i].value, m, true}, m++;
    /* A presigned URL carries its x-amz-* headers (a session token, an ACL) as parameters. */
    q = r->raw_query;
    while (r->query_auth && sigv4_query_next(&q, &k, &v, NULL))
        if (is_amz(k))
            e[m] = (entry_t){lower(a, decode(a, k)), decode(a, v), m, true}, m++;
    qsort(e, m, sizeof(*e), entry_cmp);
    for (size_t i = 0; i < m;) {
        kv_buf_append_slice(out, e[i].name);
        kv_buf_append_byte(out, ':');
        append_value(out, e[i].value);
        size_t j = i + 1;
        for (; j < m && kv_slice_eq(e[j].name, e[i].name); j++) {
            kv_buf_append_byte(out, ',');
            append_value(out, e[j].value);
        }
        kv_buf_append_byte(out, '\n');
        i = j;
    }
    return true;
}

static bool canonical_resource(kv_buf_t *out, const sigv2_req_t *r, kv_arena_t *a)
{
    if (r->vhost_bucket.len) {
        kv_buf_append_byte(out, '/');
        kv_buf_append_slice(out, r->vhost_bucket);
    }
    if (r->raw_path.len)
        kv_buf_append_slice(out, r->raw_path);
    else
        kv_buf_append_byte(out, '/');
    size_t n = 0;
    kv_slice_t q = r->raw_query, k, v;
    while (sigv4_query_next(&q, &k, &v, NULL))
        n += sigv2_is_subresource(k);
    if (n == 0)
        return true;
    if (n > SIGV2_MAX_SUBRES)
        return false;
    entry_t *e = kv_arena_calloc(a, n, sizeof(*e));
    size_t m = 0;
    bool has_eq;
    q = r->raw_query;
    while (sigv4_query_next(&q, &k, &v, &has_eq))
        if (sigv2_is_subresource(k))
            e[m] = (entry_t){k, r->raw_values ? v : decode(a, v), m, has_eq}, m++;
    qsort(e, m, sizeof(*e), entry_cmp);
    for (size_t i = 0; i < m; i++) {
        kv_buf_append_byte(out, i ? '&' : '?');
        kv_buf_append_slice(out, e[i].name);
        if (e[i].has_eq) {
            kv_buf_append_byte(out, '=');
            kv_buf_append_slice(out, e[i].value);
        }
    }
    return true;
}

bool sigv2_string_to_sign(kv_buf_t *out, const sigv2_req_t *r, kv_arena_t *a)
{
    kv_buf_append_slice(out, r->method);
    kv_buf_append_byte(out, '\n');
    kv_buf_append_slice(out, header(r, "content-md5"));
    kv_buf_append_byte(out, '\n');
    kv_buf_append_slice(out, header(r, "content-type"));
    kv_buf_append_byte(out, '\n');
    /* With x-amz-date, the Date line is empty: the x-amz-date header is signed instead. */
    if (r->query_auth)
        kv_buf_append_slice(out, r->expires);
    else if (!has_header(r, "x-amz-date"))
        kv_buf_append_slice(out, header(r, "date"));
    kv_buf_append_byte(out, '\n');
    return amz_headers(out, r, a) && canonical_resource(out, r, a) && !kv_buf_failed(out);
}

void sigv2_sts_bytes(kv_buf_t *out, kv_slice_t sts)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < sts.len; i++) {
        if (i)
            kv_buf_append_byte(out, ' ');
        kv_buf_append_byte(out, (uint8_t)hx[sts.p[i] >> 4]);
        kv_buf_append_byte(out, (uint8_t)hx[sts.p[i] & 15]);
    }
}

/* ---- dates ---- */

static bool num(kv_slice_t s, size_t *i, size_t min, size_t max, int *out)
{
    size_t n = 0;
    int v = 0;
    while (*i < s.len && n < max && s.p[*i] >= '0' && s.p[*i] <= '9') {
        v = v * 10 + (s.p[*i] - '0');
        (*i)++;
        n++;
    }
    *out = v;
    return n >= min;
}

static bool lit(kv_slice_t s, size_t *i, char c)
{
    if (*i < s.len && s.p[*i] == c) {
        (*i)++;
        return true;
    }
    return false;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool sigv2_parse_date(kv_slice_t s, time_t *out)
{
    s = kv_slice_trim(s);
    if (kv_time_parse_amz(s, out))
        return true;
    static const char mons[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    size_t i = 0;
    int d, y, h, mi, sec, mon = -1;
    /* An optional weekday: "Tue, ". */
    if (s.len > 5 && s.p[3] == ',') {
        i = 4;
        while (i < s.len && s.p[i] == ' ')
            i++;
    }
    if (!num(s, &i, 1, 2, &d) || !lit(s, &i, ' ') || i + 4 > s.len)
        return false;
    for (int m = 0; m < 12; m++)
        if (memcmp(s.p + i, mons + 3 * m, 3) == 0)
            mon = m + 1;
    i += 3;
    if (mon < 0 || !lit(s, &i, ' ') || !num(s, &i, 4, 4, &y) || !lit(s, &i, ' ') ||
        !num(s, &i, 2, 2, &h) || !lit(s, &i, ':') || !num(s, &i, 2, 2, &mi) || !lit(s, &i, ':') ||
        !num(s, &i, 2, 2, &sec) || !lit(s, &i, ' '))
        return false;
    kv_slice_t zone = kv_slice(s.p + i, s.len - i);
    int64_t off = 0;
    if (zone.len == 5 && (zone.p[0] == '+' || zone.p[0] == '-')) {
        size_t j = 1;
        int hh, mm;
        if (!num(zone, &j, 2, 2, &hh) || !num(zone, &j, 2, 2, &mm) || hh > 23 || mm > 59)
            return false;
        off = (zone.p[0] == '+' ? 1 : -1) * (int64_t)(hh * 3600 + mm * 60);
    } else if (!kv_slice_eq_str(zone, "GMT") && !kv_slice_eq_str(zone, "UTC") &&
               !kv_slice_eq_str(zone, "UT") && !kv_slice_eq_str(zone, "Z")) {
        return false;
    }
    if (d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || y < 1970)
        return false;
    int64_t t = days_from_civil(y, mon, d) * 86400 + h * 3600 + mi * 60 + sec - off;
    *out = (time_t)t;
    return true;
}
