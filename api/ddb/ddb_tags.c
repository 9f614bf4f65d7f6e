/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DynamoDB resource tags: TagResource, UntagResource and ListTagsOfResource, on tables named by
 * their ARN (ResourceArn), with DynamoDB's limits (50 tags, the reserved aws: prefix) and
 * errors.
 */
#include <stdint.h>
#include <string.h>

#include "base/kv_log.h"
#include "ddb_int.h"

#define TAGS_MAX      50
#define TAG_KEY_MAX   128 /* characters, as AWS counts them (UTF-16 code units) */
#define TAG_VALUE_MAX 256

/* One code point of UTF-8 at p[*i] (advancing *i); -1 for a malformed sequence. */
static int32_t utf8_next(const uint8_t *p, size_t n, size_t *i)
{
    uint8_t c = p[(*i)++];
    if (c < 0x80)
        return c;
    int len = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : -1;
    if (len < 0 || *i + (size_t)len > n)
        return -1;
    int32_t cp = c & (0x3f >> len);
    for (int k = 0; k < len; k++) {
        if ((p[*i] & 0xc0) != 0x80)
            return -1;
        cp = (cp << 6) | (p[(*i)++] & 0x3f);
    }
    return cp;
}

/* Whether a code point is one AWS's tag pattern ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$ allows: ASCII
 * letters, digits, space and _ . : / = + - @, and outside ASCII what is not a control,
 * punctuation, symbol or private-use character (the blocks of those are refused; letters and
 * numbers of every script pass). */
static bool tag_char_ok(int32_t c)
{
    if (c < 0x80)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == ' ' || c == '_' || c == '.' || c == ':' || c == '/' || c == '=' || c == '+' ||
               c == '-' || c == '@';
    if (c < 0xa0)
        return false; /* C1 controls */
    if (c <= 0xbf)    /* Latin-1 punctuation and signs */
        return c == 0xa0 || c == 0xaa || c == 0xb2 || c == 0xb3 || c == 0xb5 || c == 0xb9 ||
               c == 0xba || (c >= 0xbc && c <= 0xbe);
    if (c == 0xd7 || c == 0xf7) /* multiplication and division signs */
        return false;
    if (c >= 0x2000 && c <= 0x206f) /* general punctuation: only its spaces */
        return c <= 0x200a || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f;
    if (c >= 0x20a0 && c <= 0x20ff) /* currency, combining marks for symbols */
        return false;
    /* Arrows, math, technical, box drawing, dingbats: only the enclosed numbers pass. */
    if (c >= 0x2190 && c <= 0x2bff)
        return c >= 0x2460 && c <= 0x24ff && !(c >= 0x249c && c <= 0x24e9);
    /* CJK punctuation: only its letters and numbers pass. */
    if (c >= 0x3001 && c <= 0x303f)
        return (c >= 0x3005 && c <= 0x3007) || (c >= 0x3021 && c <= 0x3029) ||
               (c >= 0x3031 && c <= 0x3035) || (c >= 0x3038 && c <= 0x303c);
    if ((c >= 0xd800 && c <= 0xf8ff) || (c >= 0xfe10 && c <= 0xfe6f) ||
        (c >= 0xfff0 && c <= 0xffff)) /* surrogates, private use, forms, specials */
        return false;
    if (c >= 0xff01 && c <= 0xff65) /* full-width: only letters and digits */
        return (c >= 0xff10 && c <= 0xff19) || (c >= 0xff21 && c <= 0xff3a) ||
               (c >= 0xff41 && c <= 0xff5a);
    if (c >= 0x1f000 && c <= 0x1faff) /* emoji and pictographs */
        return false;
    return c < 0xe0000; /* tags, variation selectors, private use planes */
}

/* The length AWS gives a tag string (UTF-16 code units), or SIZE_MAX if a character is not
 * allowed. */
static size_t tag_len(kv_slice_t s)
{
    size_t units = 0;
    for (size_t i = 0; i < s.len;) {
        int32_t c = utf8_next(s.p, s.len, &i);
        if (c < 0 || !tag_char_ok(c))
            return SIZE_MAX;
        units += c >= 0x10000 ? 2 : 1;
    }
    return units;
}

/* Tags of CreateTable and TagResource, with DynamoDB's checks and messages: an empty key is a
 * constraint violation; past that, at most 50 tags, each key 1-128 and value 0-256 characters of
 * the allowed set, no aws: prefix, no key twice. */
void ddb_decode_tags(ddb_dec_t *d, const api_json_t *in, const char *key, eng_tag_t **out,
                     size_t *n)
{
    *n = 0;
    const api_json_t *tags = ddb_opt_kind(d, in, key, API_J_ARR);
    size_t n_tags = tags ? api_json_len(tags) : 0;
    *out = kv_arena_calloc(d->a, 1, sizeof(**out));
    if (n_tags > TAGS_MAX) {
        ddb_dec_fail(d, "Number of Tags exceed the current limit for the provided ResourceArn");
        return;
    }
    *out = kv_arena_calloc(d->a, n_tags ? n_tags : 1, sizeof(**out));
    for (size_t i = 0; i < n_tags; i++) {
        const api_json_t *e = api_json_at(tags, i);
        kv_slice_t k = KV_SLICE_NULL, v = KV_SLICE_NULL;
        if (api_json_type(e) != API_J_OBJ) {
            ddb_dec_serial(d, "Expected structure");
            return;
        }
        bool hk = ddb_opt_str(d, e, "Key", &k);
        bool hv = ddb_opt_str(d, e, "Value", &v);
        if (hk && k.len == 0) {
            ddb_dec_violation(d,
                              "Value '' at 'tags.%zu.member.key' failed to satisfy constraint: "
                              "Member must have length greater than or equal to 1",
                              i + 1);
            continue;
        }
        size_t kl = hk ? tag_len(k) : 0, vl = hv ? tag_len(v) : 0;
        if (!hk)
            ddb_dec_fail(d, "The Tag Key provided is invalid, Key: null");
        else if (kl > TAG_KEY_MAX)
            ddb_dec_fail(d, "The Tag Key provided is invalid, Key: %.*s", (int)k.len,
                         (const char *)k.p);
        else if (k.len >= 4 && memcmp(k.p, "aws:", 4) == 0)
            ddb_dec_fail(d, "Tag Key cannot be prefixed with aws:, Key: %.*s", (int)k.len,
                         (const char *)k.p);
        else if (!hv)
            ddb_dec_fail(d, "The Tag Value provided is invalid, Value: null");
        else if (vl > TAG_VALUE_MAX)
            ddb_dec_fail(d, "The Tag Value provided is invalid, Value: %.*s", (int)v.len,
                         (const char *)v.p);
        if (hk && hv) {
            for (size_t j = 0; j < *n; j++)
                if (kv_slice_eq_str(k, (*out)[j].key))
                    ddb_dec_fail(d,
                                 "Duplicate Tag Keys provided as input: Duplicate Tag Key "
                                 "found %.*s",
                                 (int)k.len, (const char *)k.p);
            (*out)[*n].key = kv_arena_strndup(d->a, k.p, k.len);
            (*out)[*n].value = kv_arena_strndup(d->a, v.p, v.len);
            (*n)++;
        }
    }
}

/* ResourceArn (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME) -> NAME. */
static int decode_arn(ddb_dec_t *d, const api_json_t *in, kv_slice_t *table)
{
    kv_slice_t arn = KV_SLICE_NULL;
    if (!ddb_opt_str(d, in, "ResourceArn", &arn)) {
        ddb_dec_violation(d, "Value null at 'resourceArn' failed to satisfy constraint: Member "
                             "must not be null");
        return ddb_dec_finish(d);
    }
    if (ddb_dec_finish(d) < 0)
        return -1;
    api_arn_t a;
    kv_slice_t name = KV_SLICE_NULL;
    if (!api_arn_parse(arn, &a) || !kv_slice_eq_str(a.service, "dynamodb") ||
        !api_arn_after(&a, "table/", &name) || name.len < 3 || name.len > 255 ||
        memchr(name.p, '/', name.len)) {
        api_fail(d->resp, API_E_DDB_VALIDATION,
                 "Invalid TableArn: Invalid ResourceArn provided "
                 "as input %.*s",
                 (int)(arn.len > 300 ? 300 : arn.len), (const char *)arn.p);
        return -1;
    }
    *table = name;
    return 0;
}

int ddb_decode_tag_resource(ddb_dec_t *d, const api_json_t *in, ddb_meta_in_t *out)
{
    memset(out, 0, sizeof(*out));
    const api_json_t *tags = ddb_opt_kind(d, in, "Tags", API_J_ARR);
    if (!tags)
        ddb_dec_violation(d, "Value null at 'tags' failed to satisfy constraint: Member must not "
                             "be null");
    else if (api_json_len(tags) == 0)
        ddb_dec_fail(d, "Atleast one Tag needs to be provided as Input.");
    ddb_decode_tags(d, in, "Tags", &out->tags, &out->n_tags);
    return decode_arn(d, in, &out->table);
}

int ddb_decode_untag_resource(ddb_dec_t *d, const api_json_t *in, ddb_meta_in_t *out)
{
    memset(out, 0, sizeof(*out));
    const api_json_t *keys = ddb_opt_kind(d, in, "TagKeys", API_J_ARR);
    if (keys == NULL)
        ddb_dec_violation(d, "Value null at 'tagKeys' failed to satisfy constraint: Member must "
                             "not be null");
    size_t n = keys ? api_json_len(keys) : 0;
    if (keys && n == 0)
        ddb_dec_fail(d, "Atleast one Tag Key needs to be provided as Input.");
    else if (n > TAGS_MAX)
        ddb_dec_fail(d, "Number of Tags exceed the current limit for the provided ResourceArn");
    if (n > TAGS_MAX)
        n = 0;
    out->keys = kv_arena_calloc(d->a, n ? n : 1, sizeof(*out->keys));
    for (size_t i = 0; i < n; i++) {
        const api_json_t *k = api_json_at(keys, i);
        if (api_json_type(k) != API_J_STR) {
            ddb_dec_serial(d, "Unexpected value type in payload");
            break;
        }
        kv_slice_t ks = api_json_str(k);
        if (ks.len == 0 || tag_len(ks) > TAG_KEY_MAX)
            ddb_dec_fail(d, "The Tag Key provided is invalid, Key: %.*s", (int)ks.len,
                         (const char *)ks.p);
        out->keys[out->n_keys++] = ks;
    }
    return decode_arn(d, in, &out->table);
}

int ddb_decode_list_tags_of_resource(ddb_dec_t *d, const api_json_t *in, ddb_meta_in_t *out)
{
    memset(out, 0, sizeof(*out));
    return decode_arn(d, in, &out->table);
}

int ddb_resource_table(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t name,
                       eng_table_t **t)
{
    int rc = eng_table_get(ctx->eng, name, req->arena, t);
    if (rc == KV_ENOTFOUND) {
        api_fail(resp, API_E_DDB_RESOURCE_NOT_FOUND,
                 "Requested resource not found: ResourceArn: %s not found",
                 api_arn_new(req->arena, "dynamodb", ctx->region, "table/%.*s", (int)name.len,
                             (const char *)name.p));
        return -1;
    }
    if (rc < 0) {
        KV_LOG_ERROR("dynamodb: engine error %s", kv_err_name(rc));
        api_fail(resp, API_E_DDB_INTERNAL, NULL);
        return -1;
    }
    return 0;
}

/* Store the merged tag set. */
static int store_tags(api_ctx_t *ctx, api_resp_t *resp, const eng_table_t *t, const eng_tag_t *tags,
                      size_t n)
{
    int rc = eng_table_set_tags(ctx->eng, kv_slice_str(t->name), tags, n);
    if (rc == KV_ENOTFOUND) {
        api_fail(resp, API_E_DDB_RESOURCE_NOT_FOUND, "Requested resource not found");
        return -1;
    }
    if (rc < 0) {
        KV_LOG_ERROR("dynamodb: engine error %s", kv_err_name(rc));
        api_fail(resp, API_E_DDB_INTERNAL, NULL);
        return -1;
    }
    resp->durable = true;
    return 0;
}

int ddb_exec_tag_resource(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const ddb_meta_in_t *in,
                          ddb_meta_out_t *out)
{
    eng_table_t *t;
    if (ddb_resource_table(ctx, req, resp, in->table, &t) < 0)
        return -1;
    /* New values replace old ones of the same key; the rest are added. */
    eng_tag_t *all = kv_arena_calloc(req->arena, t->n_tags + in->n_tags + 1, sizeof(*all));
    size_t n = 0;
    for (size_t i = 0; i < t->n_tags; i++) {
        bool replaced = false;
        for (size_t j = 0; j < in->n_tags && !replaced; j++)
            replaced = strcmp(t->tags[i].key, in->tags[j].key) == 0;
        if (!replaced)
            all[n++] = t->tags[i];
    }
    for (size_t j = 0; j < in->n_tags; j++) {
        bool dup = false;
        for (size_t k = j + 1; k < in->n_tags && !dup; k++)
            dup = strcmp(in->tags[j].key, in->tags[k].key) == 0;
        if (!dup) /* the last of a repeated key wins */
            all[n++] = in->tags[j];
    }
    if (n > TAGS_MAX) {
        api_fail(resp, API_E_DDB_VALIDATION,
                 "Number of Tags exceed the current limit for the provided ResourceArn");
        return -1;
    }
    out->t = t;
    return store_tags(ctx, resp, t, all, n);
}

int ddb_exec_untag_resource(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                            const ddb_meta_in_t *in, ddb_meta_out_t *out)
{
    eng_table_t *t;
    if (ddb_resource_table(ctx, req, resp, in->table, &t) < 0)
        return -1;
    eng_tag_t *keep = kv_arena_calloc(req->arena, t->n_tags + 1, sizeof(*keep));
    size_t n = 0;
    for (size_t i = 0; i < t->n_tags; i++) {
        bool gone = false;
        for (size_t j = 0; j < in->n_keys && !gone; j++)
            gone = kv_slice_eq_str(in->keys[j], t->tags[i].key);
        if (!gone)
            keep[n++] = t->tags[i];
    }
    out->t = t;
    return store_tags(ctx, resp, t, keep, n);
}

int ddb_exec_list_tags_of_resource(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                   const ddb_meta_in_t *in, ddb_meta_out_t *out)
{
    return ddb_resource_table(ctx, req, resp, in->table, &out->t);
}

static void empty(api_jw_t *w)
{
    api_jw_obj_begin(w);
    api_jw_obj_end(w);
}

void ddb_encode_tag_resource(api_ctx_t *ctx, api_req_t *req, const ddb_meta_out_t *out, api_jw_t *w)
{
    (void)ctx, (void)req, (void)out;
    empty(w);
}

void ddb_encode_untag_resource(api_ctx_t *ctx, api_req_t *req, const ddb_meta_out_t *out,
                               api_jw_t *w)
{
    (void)ctx, (void)req, (void)out;
    empty(w);
}

void ddb_encode_list_tags_of_resource(api_ctx_t *ctx, api_req_t *req, const ddb_meta_out_t *out,
                                      api_jw_t *w)
{
    (void)ctx, (void)req;
    api_jw_obj_begin(w);
    api_jw_key(w, "Tags");
    api_jw_arr_begin(w);
    for (size_t i = 0; i < out->t->n_tags; i++) {
        api_jw_obj_begin(w);
        api_jw_kstr(w, "Key", out->t->tags[i].key);
        api_jw_kstr(w, "Value", out->t->tags[i].value);
        api_jw_obj_end(w);
    }
    api_jw_arr_end(w);
    api_jw_obj_end(w);
}
