/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 16, package R: the smaller S3 fixes' helpers.
 *
 * - User metadata that is not US-ASCII is answered as S3 answers it: RFC 2047 encoded
 *   ("=?UTF-8?B?...?="). What was sent is stored as sent, so a value a client encoded itself (the
 *   SDKs refuse raw non-ASCII metadata) comes back exactly as sent; raw bytes (curl, a browser)
 *   are read as UTF-8, or as ISO-8859-1 when they are not UTF-8, as HTTP header bytes are.
 * - Content-Encoding is stored as sent, only the aws-chunked transport coding taken out.
 * - Conditional deletes: If-Match, x-amz-if-match-size and x-amz-if-match-last-modified-time on
 *   DeleteObject, and ETag, Size and LastModifiedTime of each DeleteObjects key.
 */
#include <string.h>

#include "base/kv_b64.h"
#include "base/kv_time.h"
#include "s3_int.h"

/* ---- metadata ---- */

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 when invalid. */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];
    size_t len = c < 0x80             ? 1
                 : (c & 0xE0) == 0xC0 ? 2
                 : (c & 0xF0) == 0xE0 ? 3
                 : (c & 0xF8) == 0xF0 ? 4
                                      : 0;
    if (len == 0 || len > n || (len == 2 && c < 0xC2))
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

static bool utf8_valid(kv_slice_t s)
{
    for (size_t i = 0; i < s.len;) {
        size_t l = utf8_seq(s.p + i, s.len - i);
        if (l == 0)
            return false;
        i += l;
    }
    return true;
}

const char *s3_meta_out(kv_arena_t *a, const char *value)
{
    kv_slice_t v = kv_slice_str(value);
    bool ascii = true;
    for (size_t i = 0; i < v.len && ascii; i++)
        ascii = v.p[i] < 0x80;
    if (ascii)
        return value;
    kv_buf_t u, out;
    kv_buf_init(&u, 2 * v.len + 1);
    if (utf8_valid(v)) {
        kv_buf_append_slice(&u, v);
    } else { /* ISO-8859-1: each byte is its code point */
        for (size_t i = 0; i < v.len; i++) {
            if (v.p[i] < 0x80) {
                kv_buf_append_byte(&u, v.p[i]);
            } else {
                kv_buf_append_byte(&u, (uint8_t)(0xC0 | v.p[i] >> 6));
                kv_buf_append_byte(&u, (uint8_t)(0x80 | (v.p[i] & 0x3F)));
            }
        }
    }
    kv_buf_init(&out, 4 * u.len + 16);
    kv_buf_append_str(&out, "=?UTF-8?B?");
    kv_b64_encode(&out, u.p, u.len);
    kv_buf_append_str(&out, "?=");
    const char *r = kv_arena_strndup(a, out.p, out.len);
    kv_buf_dispose(&u);
    kv_buf_dispose(&out);
    return r;
}

/* ---- Content-Encoding ---- */

const char *s3_content_encoding_in(kv_arena_t *a, kv_slice_t v)
{
    v = kv_slice_trim(v);
    /* The codings with aws-chunked (a transport coding) left out, everything else as sent:
     * each kept coding with the separator text that followed it. */
    kv_buf_t b;
    kv_buf_init(&b, v.len + 1);
    kv_slice_t q = v, pending = KV_SLICE_NULL;
    while (q.len) {
        const uint8_t *c = memchr(q.p, ',', q.len);
        size_t tl = c ? (size_t)(c - q.p) : q.len;
        kv_slice_t tok = kv_slice_trim(kv_slice(q.p, tl));
        kv_slice_t rest = c ? kv_slice(c + 1, q.len - tl - 1) : KV_SLICE_NULL;
        if (tok.len && !kv_slice_eq_nocase(tok, "aws-chunked")) {
            if (b.len)
                kv_buf_append_slice(&b, pending);
            kv_buf_append_slice(&b, tok);
            /* the separator: from the token's end through the spaces after the comma */
            const uint8_t *end = tok.p + tok.len, *next = rest.p;
            while (next && next < rest.p + rest.len && (*next == ' ' || *next == '\t'))
                next++;
            pending = c ? kv_slice(end, (size_t)(next - end)) : KV_SLICE_LIT(", ");
        }
        q = rest;
    }
    const char *r = b.len ? kv_arena_strndup(a, b.p, b.len) : NULL;
    kv_buf_dispose(&b);
    return r;
}

/* ---- conditional deletes ---- */

/* "\"etag\"" or "etag" (or "*") into the hex form the engine compares. */
static const char *etag_of(kv_arena_t *a, kv_slice_t v)
{
    v = kv_slice_trim(v);
    if (v.len >= 2 && v.p[0] == '"' && v.p[v.len - 1] == '"')
        v = kv_slice(v.p + 1, v.len - 2);
    return kv_arena_strndup(a, v.p, v.len);
}

int s3_delete_cond_headers(api_req_t *req, api_resp_t *resp, const eng_del_cond_t **out)
{
    *out = NULL;
    kv_slice_t im = api_req_header(req, "if-match");
    kv_slice_t sz = api_req_header(req, "x-amz-if-match-size");
    kv_slice_t lm = api_req_header(req, "x-amz-if-match-last-modified-time");
    bool has_im = api_req_has_header(req, "if-match");
    bool has_sz = api_req_has_header(req, "x-amz-if-match-size");
    bool has_lm = api_req_has_header(req, "x-amz-if-match-last-modified-time");
    if (!has_im && !has_sz && !has_lm)
        return 0;
    eng_del_cond_t *c = kv_arena_calloc(req->arena, 1, sizeof(*c));
    if (has_im) {
        c->if_match = etag_of(req->arena, im);
        if (c->if_match[0] == 0) {
            api_fail(resp, API_E_S3_INVALID_ARGUMENT, "The If-Match header must not be empty");
            return -1;
        }
    }
    if (has_sz) {
        c->has_size = true;
        if (!kv_slice_to_u64(kv_slice_trim(sz), &c->size)) {
            api_fail(resp, API_E_S3_INVALID_ARGUMENT,
                     "Invalid value for header x-amz-if-match-size");
            return -1;
        }
    }
    if (has_lm) {
        time_t t;
        int64_t ms;
        c->has_mtime = true;
        if (kv_time_parse_http(kv_slice_trim(lm), &t))
            c->mtime_s = (int64_t)t;
        else if (s3_iso_date(kv_slice_trim(lm), &ms))
            c->mtime_s = ms / 1000;
        else {
            api_fail(resp, API_E_S3_INVALID_ARGUMENT,
                     "Invalid value for header x-amz-if-match-last-modified-time");
            return -1;
        }
    }
    *out = c;
    return 0;
}

int s3_delete_cond_xml(kv_arena_t *a, const api_xnode_t *obj, const eng_del_cond_t **out)
{
    *out = NULL;
    const api_xnode_t *et = api_xml_child(obj, "ETag"), *sz = api_xml_child(obj, "Size"),
                      *lm = api_xml_child(obj, "LastModifiedTime");
    if (!et && !sz && !lm)
        return 0;
    eng_del_cond_t *c = kv_arena_calloc(a, 1, sizeof(*c));
    if (et) {
        c->if_match = etag_of(a, et->text);
        if (c->if_match[0] == 0)
            return -1;
    }
    if (sz && !(c->has_size = kv_slice_to_u64(kv_slice_trim(sz->text), &c->size)))
        return -1;
    if (lm) { /* the SDKs send an HTTP date here; an ISO 8601 one is taken too */
        time_t t;
        int64_t ms;
        if (kv_time_parse_http(kv_slice_trim(lm->text), &t))
            c->mtime_s = (int64_t)t;
        else if (s3_iso_date(kv_slice_trim(lm->text), &ms))
            c->mtime_s = ms / 1000;
        else
            return -1;
        c->has_mtime = true;
    }
    *out = c;
    return 0;
}

bool s3_delete_cond_error(int rc, const char **code, const char **msg)
{
    if (rc == KV_ECONDFAIL) {
        *code = "PreconditionFailed";
        *msg = "At least one of the pre-conditions you specified did not hold";
        return true;
    }
    if (rc == KV_ENOTFOUND) {
        *code = "NoSuchKey";
        *msg = "The specified key does not exist.";
        return true;
    }
    return false;
}
