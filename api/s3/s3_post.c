/* SPDX-License-Identifier: Apache-2.0 */
/*
 * POST Object: a browser's HTML form upload. The multipart/form-data body streams through
 * api_multipart: the form fields (before the file) are kept, and when the file part starts
 * the signed policy is checked (SigV4 signature over the base64 policy, expiration, every
 * condition, no field left uncovered) before a single file byte is stored. The file then
 * streams into a blob writer like a PUT body; at the end the object is made current as a
 * PutObject would make it.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../auth/sigv4.h"
#include "../codec/api_json_r.h"
#include "../codec/api_multipart.h"
#include "base/kv_b64.h"
#include "base/kv_time.h"
#include "s3_authz.h"
#include "s3_int.h"

#define POST_FIELDS_MAX      64
#define POST_FIELD_BYTES_MAX (20u * 1024) /* a field's value; the policy included */

typedef struct post_field {
    char *name; /* lowercased */
    kv_slice_t value;
} post_field_t;

struct s3_post {
    api_ctx_t *ctx;
    api_req_t *req;
    api_resp_t *resp;
    api_mp_t *mp;
    post_field_t fields[POST_FIELDS_MAX];
    size_t n_fields;
    kv_buf_t cur; /* the value of the field being read */
    char *cur_name;
    bool in_file, file_done, failed;
    kv_slice_t filename, file_ctype;
    uint64_t size, min_size, max_size; /* content-length-range */
    api_ck_t md5;
    api_ck_t ck; /* issue 16, package R: the x-amz-checksum-* field's algorithm (algo NONE: no
                    checksum asked for) */
};

static kv_slice_t field(const s3_post_t *p, const char *name)
{
    for (size_t i = 0; i < p->n_fields; i++)
        if (strcmp(p->fields[i].name, name) == 0)
            return p->fields[i].value;
    return KV_SLICE_NULL;
}

static bool has_field(const s3_post_t *p, const char *name)
{
    for (size_t i = 0; i < p->n_fields; i++)
        if (strcmp(p->fields[i].name, name) == 0)
            return true;
    return false;
}

static int deny(s3_post_t *p, api_err_t e, const char *msg)
{
    if (msg)
        api_fail(p->resp, e, "%s", msg);
    else
        api_fail(p->resp, e, NULL);
    p->failed = true;
    return -1;
}

static int policy_fail(s3_post_t *p, const char *why)
{
    api_fail(p->resp, API_E_S3_ACCESS_DENIED, "Invalid according to Policy: %s", why);
    p->failed = true;
    return -1;
}

/* One policy condition against the fields; marks the fields it covers. */
static int check_condition(s3_post_t *p, const api_json_t *c, bool *covered)
{
    const char *op = "eq";
    kv_slice_t name, want;
    if (api_json_type(c) == API_J_OBJ) {
        void *it = NULL;
        const char *k;
        api_json_t *v;
        if (!api_json_next(c, &it, &k, &v) || api_json_type(v) != API_J_STR)
            return policy_fail(p, "Policy Condition failed: malformed condition");
        name = kv_slice_str(k);
        want = api_json_str(v);
    } else if (api_json_type(c) == API_J_ARR && api_json_len(c) == 3) {
        kv_slice_t o = api_json_str(api_json_at(c, 0));
        if (kv_slice_eq_nocase(o, "content-length-range")) {
            int64_t lo, hi;
            if (!api_json_int(api_json_at(c, 1), &lo) || !api_json_int(api_json_at(c, 2), &hi) ||
                lo < 0 || hi < lo)
                return policy_fail(p, "Policy Condition failed: content-length-range");
            p->min_size = (uint64_t)lo;
            p->max_size = (uint64_t)hi;
            return 0;
        }
        op = kv_slice_eq_nocase(o, "starts-with") ? "starts-with"
             : kv_slice_eq_nocase(o, "eq")        ? "eq"
                                                  : NULL;
        name = api_json_str(api_json_at(c, 1));
        want = api_json_str(api_json_at(c, 2));
        if (op == NULL || name.len < 2 || name.p[0] != '$')
            return policy_fail(p, "Policy Condition failed: malformed condition");
        name = kv_slice(name.p + 1, name.len - 1);
    } else {
        return policy_fail(p, "Policy Condition failed: malformed condition");
    }
    char lname[128];
    if (name.len == 0 || name.len >= sizeof(lname))
        return policy_fail(p, "Policy Condition failed: malformed condition");
    for (size_t i = 0; i < name.len; i++)
        lname[i] = (char)(name.p[i] >= 'A' && name.p[i] <= 'Z' ? name.p[i] + 32 : name.p[i]);
    lname[name.len] = 0;
    kv_slice_t have = strcmp(lname, "bucket") == 0 ? p->req->_st->bucket : field(p, lname);
    bool ok = strcmp(op, "eq") == 0 ? kv_slice_eq(have, want)
                                    : have.len >= want.len && memcmp(have.p, want.p, want.len) == 0;
    if (!ok) {
        char why[300];
        snprintf(why, sizeof(why), "Policy Condition failed: [\"%s\", \"$%s\", \"%.*s\"]", op,
                 lname, (int)(want.len > 100 ? 100 : want.len), (const char *)want.p);
        return policy_fail(p, why);
    }
    for (size_t i = 0; i < p->n_fields; i++)
        if (strcmp(p->fields[i].name, lname) == 0)
            covered[i] = true;
    return 0;
}

/* The fields are in and the file starts: the signature, then the policy. */
static int check_policy(s3_post_t *p)
{
    api_ctx_t *ctx = p->ctx;
    kv_slice_t policy = field(p, "policy"), sig = field(p, "x-amz-signature");
    kv_slice_t cred = field(p, "x-amz-credential"), algo = field(p, "x-amz-algorithm");
    /* No policy, signature or credential at all: an anonymous upload, allowed only where the
     * bucket's policy (or an ACL) lets everyone write (issue 15: authorized in on_begin). */
    if (policy.len == 0 && sig.len == 0 && cred.len == 0 && !has_field(p, "awsaccesskeyid")) {
        memset(&p->req->_st->principal, 0, sizeof(p->req->_st->principal));
        return 0;
    }
    if (policy.len == 0 || sig.len == 0 || cred.len == 0)
        return deny(p, API_E_S3_ACCESS_DENIED,
                    "Anonymous uploads are not allowed: sign a POST policy with SigV4");
    if (!kv_slice_eq_str(algo, "AWS4-HMAC-SHA256"))
        return deny(p, API_E_S3_INVALID_ARGUMENT,
                    "Only AWS4-HMAC-SHA256 POST policies are "
                    "supported");
    /* AKID/date/region/service/aws4_request */
    kv_slice_t part[5];
    kv_slice_t rest = cred;
    for (int i = 0; i < 5; i++) {
        const uint8_t *sl = i < 4 ? memchr(rest.p, '/', rest.len) : NULL;
        if (i < 4 && sl == NULL)
            return deny(p, API_E_S3_INVALID_ARGUMENT, "Invalid x-amz-credential");
        part[i] = kv_slice(rest.p, sl ? (size_t)(sl - rest.p) : rest.len);
        if (sl)
            rest = kv_slice(sl + 1, rest.len - (size_t)(sl - rest.p) - 1);
    }
    if (!kv_slice_eq_str(part[4], "aws4_request") || part[1].len != 8)
        return deny(p, API_E_S3_INVALID_ARGUMENT, "Invalid x-amz-credential");
    /* The signer: the server's key, an IAM user's, or a session key with its token
     * (x-amz-security-token); it becomes the request's principal (issue 15). */
    kv_slice_t tok = field(p, "x-amz-security-token");
    char session_sk[API_SESSION_SK_LEN + 1];
    if (api__auth_key(ctx, p->req, p->resp, part[0], tok, session_sk) != 0) {
        p->failed = true;
        return -1;
    }
    const char *secret = api__auth_secret(ctx, p->req, session_sk);
    uint8_t key[32];
    char want[65];
    sigv4_signing_key(kv_slice_str(secret), part[1], part[2], part[3], key);
    memset(session_sk, 0, sizeof(session_sk));
    sigv4_hmac_hex(key, policy, want);
    if (!sigv4_sig_eq(kv_slice_str(want), sig))
        return deny(p, API_E_S3_SIG_MISMATCH, NULL);
    api__auth_key_used(ctx, p->req);
    /* The policy document. */
    kv_buf_t doc;
    kv_buf_init(&doc, POST_FIELD_BYTES_MAX);
    bool ok = kv_b64_decode(&doc, policy);
    kv_slice_t text = ok ? kv_arena_dup(p->req->arena, kv_buf_slice(&doc)) : KV_SLICE_NULL;
    kv_buf_dispose(&doc);
    api_json_t *root;
    const char *err;
    if (!ok || api_json_parse(p->req->arena, text, &root, &err) < 0 ||
        api_json_type(root) != API_J_OBJ)
        return deny(p, API_E_S3_INVALID_POLICY, NULL);
    int64_t exp_ms;
    api_json_t *conds = api_json_get(root, "conditions");
    if (!s3_iso_date(api_json_str(api_json_get(root, "expiration")), &exp_ms) || conds == NULL ||
        api_json_type(conds) != API_J_ARR)
        return deny(p, API_E_S3_INVALID_POLICY, NULL);
    if (kv_now_ms() > exp_ms)
        return policy_fail(p, "Policy expired.");
    bool covered[POST_FIELDS_MAX] = {false};
    for (size_t i = 0; i < api_json_len(conds); i++)
        if (check_condition(p, api_json_at(conds, i), covered) < 0)
            return -1;
    for (size_t i = 0; i < p->n_fields; i++) {
        const char *n = p->fields[i].name;
        /* issue 16, package R: a checksum of the file protects it and grants nothing; the
         * signer of a policy cannot know it in advance */
        if (covered[i] || strcmp(n, "policy") == 0 || strcmp(n, "x-amz-signature") == 0 ||
            strncmp(n, "x-ignore-", 9) == 0 || strncmp(n, "x-amz-checksum-", 15) == 0)
            continue;
        char why[200];
        snprintf(why, sizeof(why), "Extra input fields: %s", n);
        return policy_fail(p, why);
    }
    return 0;
}

/* The key field with ${filename} replaced by the file's name (in the request arena); true when
 * it is over S3's key length. */
static bool post_key(const s3_post_t *p, kv_slice_t *out)
{
    kv_slice_t k = field(p, "key");
    kv_buf_t key;
    kv_buf_init(&key, ENG_OBJ_KEY_MAX + 1);
    for (size_t i = 0; i < k.len; i++) {
        if (k.len - i >= 11 && memcmp(k.p + i, "${filename}", 11) == 0) {
            kv_buf_append_slice(&key, p->filename);
            i += 10;
        } else {
            kv_buf_append_byte(&key, k.p[i]);
        }
    }
    bool too_long = kv_buf_failed(&key) || key.len > ENG_OBJ_KEY_MAX;
    *out = kv_arena_dup(p->req->arena, kv_buf_slice(&key));
    kv_buf_dispose(&key);
    return too_long;
}

/* The form's signer may write the object (s3:PutObject, with s3:PutObjectTagging for a
 * tagging field), issue 15: checked before the file streams. */
static int post_authorize(s3_post_t *p)
{
    kv_slice_t key;
    post_key(p, &key); /* a missing or long key is refused as the form is decoded, once allowed */
    kv_slice_t bucket = p->req->_st->bucket;
    if (s3_authz_check(p->ctx, p->req, p->resp, "s3:PutObject", bucket, key, NULL, NULL, 0) != 0)
        return -1;
    if (has_field(p, "tagging") && s3_authz_check(p->ctx, p->req, p->resp, "s3:PutObjectTagging",
                                                  bucket, key, NULL, NULL, 0) != 0)
        return -1;
    if (has_field(p, "acl") &&
        s3_authz_check(p->ctx, p->req, p->resp, "s3:PutObjectAcl", bucket, key, NULL, NULL, 0) != 0)
        return -1;
    /* issue 16, package L: Object Lock fields */
    if ((has_field(p, "x-amz-object-lock-mode") ||
         has_field(p, "x-amz-object-lock-retain-until-date")) &&
        s3_authz_check(p->ctx, p->req, p->resp, "s3:PutObjectRetention", bucket, key, NULL, NULL,
                       0) != 0)
        return -1;
    if (has_field(p, "x-amz-object-lock-legal-hold") &&
        s3_authz_check(p->ctx, p->req, p->resp, "s3:PutObjectLegalHold", bucket, key, NULL, NULL,
                       0) != 0)
        return -1;
    return 0;
}

/* issue 16, package R: the file's checksum, as a x-amz-checksum-<algorithm> field gives it, or
 * as x-amz-checksum-algorithm asks for it; one algorithm at most. */
static int post_checksum_begin(s3_post_t *p)
{
    api_ck_algo_t algo = API_CK_NONE;
    for (size_t i = 0; i < p->n_fields; i++) {
        const char *n = p->fields[i].name;
        if (strncmp(n, "x-amz-checksum-", 15) != 0)
            continue;
        kv_slice_t v = p->fields[i].value;
        api_ck_algo_t a =
            strcmp(n, "x-amz-checksum-algorithm") != 0
                ? api_ck_from_header(kv_slice_str(n))
                : api_ck_from_header(kv_slice_str(kv_arena_printf(
                      p->req->arena, "x-amz-checksum-%.*s", (int)v.len, (const char *)v.p)));
        if (a == API_CK_NONE || a == API_CK_MD5 || (algo != API_CK_NONE && a != algo))
            return deny(p, API_E_S3_INVALID_REQUEST,
                        "Value for x-amz-checksum-algorithm header is invalid, or more than one "
                        "checksum was given.");
        algo = a;
    }
    if (algo != API_CK_NONE)
        api_ck_init(&p->ck, algo);
    return 0;
}

/* The checksum field's value against the file's; its name and value into o. */
static int post_checksum_end(s3_post_t *p, eng_object_t *o)
{
    if (p->ck.algo == API_CK_NONE)
        return 0;
    uint8_t d[API_CK_MAX];
    size_t dl = api_ck_final(&p->ck, d);
    kv_buf_t b64;
    kv_buf_init(&b64, 64);
    kv_b64_encode(&b64, d, dl);
    o->checksum_algo = api_ck_name(p->ck.algo);
    o->checksum_value = kv_arena_strndup(p->req->arena, b64.p, b64.len);
    kv_buf_dispose(&b64);
    char name[40];
    snprintf(name, sizeof(name), "x-amz-checksum-%s", o->checksum_algo);
    for (char *c = name; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c + 32);
    if (has_field(p, name) && !kv_slice_eq(field(p, name), kv_slice_str(o->checksum_value))) {
        api_fail(p->resp, API_E_S3_BAD_DIGEST,
                 "The %s you specified did not match the calculated checksum.", o->checksum_algo);
        return -1;
    }
    return 0;
}

static int on_begin(void *arg, kv_slice_t name, kv_slice_t filename, kv_slice_t ctype)
{
    s3_post_t *p = arg;
    if (p->file_done)
        return 0; /* fields after the file are ignored, as S3 ignores them */
    if (kv_slice_eq_nocase(name, "file")) {
        if (check_policy(p) < 0)
            return -1;
        p->filename = kv_arena_dup(p->req->arena, filename);
        if (post_authorize(p) < 0) {
            p->failed = true;
            return -1;
        }
        p->in_file = true;
        p->file_ctype = kv_arena_dup(p->req->arena, ctype);
        p->req->_st->blob = eng_blob_writer_new(p->ctx->eng);
        /* issue 16, package E: the form's encryption fields */
        s3_sse_ask_t ask = {
            .sse = field(p, "x-amz-server-side-encryption"),
            .kms_key = field(p, "x-amz-server-side-encryption-aws-kms-key-id"),
            .kms_context = field(p, "x-amz-server-side-encryption-context"),
            .bucket_key = field(p, "x-amz-server-side-encryption-bucket-key-enabled"),
            .c_alg = field(p, "x-amz-server-side-encryption-customer-algorithm"),
            .c_key = field(p, "x-amz-server-side-encryption-customer-key"),
            .c_md5 = field(p, "x-amz-server-side-encryption-customer-key-md5"),
        };
        kv_slice_t okey;
        post_key(p, &okey);
        if (s3_sse_begin_post(p->ctx, p->req, p->resp, &ask, okey) < 0) {
            p->failed = true;
            return -1;
        }
        api_ck_init(&p->md5, API_CK_MD5);
        return post_checksum_begin(p); /* issue 16, package R */
    }
    if (p->n_fields == POST_FIELDS_MAX || name.len == 0 || name.len > 127)
        return deny(p, API_E_S3_MALFORMED_POST, NULL);
    char *n = kv_arena_strndup(p->req->arena, name.p, name.len);
    for (char *c = n; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c + 32);
    if (has_field(p, n))
        return deny(p, API_E_S3_INVALID_ARGUMENT, "POST form fields may not repeat");
    p->cur_name = n;
    kv_buf_reset(&p->cur);
    return 0;
}

static int on_data(void *arg, const uint8_t *d, size_t n)
{
    s3_post_t *p = arg;
    if (p->file_done)
        return 0;
    if (p->in_file) {
        p->size += n;
        if (p->max_size && p->size > p->max_size)
            return deny(p, API_E_S3_ENTITY_TOO_LARGE, NULL);
        api_ck_update(&p->md5, d, n);
        if (p->ck.algo != API_CK_NONE)
            api_ck_update(&p->ck, d, n);
        return eng_blob_write(p->req->_st->blob, d, n) < 0 ? deny(p, API_E_S3_INTERNAL, NULL) : 0;
    }
    if (p->cur_name == NULL)
        return 0;
    kv_buf_append(&p->cur, d, n);
    return kv_buf_failed(&p->cur)
               ? deny(p, API_E_S3_MALFORMED_POST, "A POST form field exceeds 20 KB")
               : 0;
}

static int on_end(void *arg)
{
    s3_post_t *p = arg;
    if (p->file_done)
        return 0;
    if (p->in_file) {
        p->in_file = false;
        p->file_done = true;
        return 0;
    }
    if (p->cur_name) {
        post_field_t *f = &p->fields[p->n_fields++];
        f->name = p->cur_name;
        f->value = kv_arena_dup(p->req->arena, kv_buf_slice(&p->cur));
        p->cur_name = NULL;
    }
    return 0;
}

static const api_mp_cb_t post_cb = {on_begin, on_data, on_end};

static void post_cleanup(void *arg)
{
    s3_post_t *p = arg;
    kv_buf_dispose(&p->cur);
    api_ck_dispose(&p->md5);
    api_ck_dispose(&p->ck);
}

int s3_post_begin(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    api_state_t *st = req->_st;
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, st->bucket, &b) < 0)
        return -1;
    st->bucket_id = b->id;
    st->versioning = b->versioning;
    st->log_id = b->log_id;
    kv_slice_t boundary;
    if (!api_mp_boundary(api_req_header(req, "content-type"), &boundary)) {
        api_fail(resp, API_E_S3_MALFORMED_POST, NULL);
        return -1;
    }
    s3_post_t *p = kv_arena_calloc(req->arena, 1, sizeof(*p));
    p->ctx = ctx;
    p->req = req;
    p->resp = resp;
    kv_buf_init(&p->cur, POST_FIELD_BYTES_MAX);
    kv_arena_on_destroy(req->arena, post_cleanup, p);
    p->mp = api_mp_new(req->arena, boundary, &post_cb, p);
    st->post = p;
    return 0;
}

int s3_post_feed(api_req_t *req, api_resp_t *resp, const uint8_t *d, size_t n)
{
    s3_post_t *p = req->_st->post;
    int rc = api_mp_feed(p->mp, d, n);
    if (rc == 0)
        return 0;
    if (!p->failed)
        api_fail(resp, API_E_S3_MALFORMED_POST, NULL);
    return -1;
}

/* ---- the operation ---- */

int s3_decode_post_object(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                          s3_post_object_in_t *out)
{
    (void)ctx;
    memset(out, 0, sizeof(*out));
    out->bucket = req->_st->bucket;
    s3_post_t *p = req->_st->post;
    if (p == NULL || !api_mp_done(p->mp)) {
        api_fail(resp, API_E_S3_MALFORMED_POST, NULL);
        return -1;
    }
    if (!p->file_done) {
        api_fail(resp, API_E_S3_INVALID_ARGUMENT,
                 "POST requires exactly one file upload per request.");
        return -1;
    }
    if (p->size < p->min_size) {
        api_fail(resp, API_E_S3_ENTITY_TOO_SMALL, NULL);
        return -1;
    }
    /* The key, with ${filename} replaced by the file's name. */
    kv_slice_t k = field(p, "key");
    if (k.len == 0) {
        api_fail(resp, API_E_S3_INVALID_ARGUMENT,
                 "Bucket POST must contain a field named 'key'.  If it is specified, please "
                 "check the order of the fields.");
        return -1;
    }
    if (post_key(p, &out->key)) {
        api_fail(resp, API_E_S3_KEY_TOO_LONG, NULL);
        return -1;
    }
    kv_slice_t v = field(p, "success_action_status");
    out->status = 204;
    if (kv_slice_eq_str(v, "200") || kv_slice_eq_str(v, "201"))
        out->status = v.p[2] == '1' ? 201 : 200;
    out->redirect = field(p, "success_action_redirect");
    if (out->redirect.len == 0)
        out->redirect = field(p, "redirect");
    return 0;
}

static const char *field_str(api_req_t *req, const s3_post_t *p, const char *name)
{
    kv_slice_t v = field(p, name);
    return v.len ? kv_arena_strndup(req->arena, v.p, v.len) : NULL;
}

/* Does a field that goes out as a response header (the object's Content-Type, metadata...;
 * the redirect's Location) hold a control byte (a tab aside)? A header's value arrives without
 * them; a form field's may hold a line break that would split the answer's headers. */
static bool header_field_bad(const s3_post_t *p)
{
    static const char *const names[] = {
        "content-type", "cache-control",       "content-disposition",     "content-encoding",
        "expires",      "x-amz-storage-class", "success_action_redirect", "redirect"};
    for (size_t i = 0; i < p->n_fields; i++) {
        const char *n = p->fields[i].name;
        bool header = strncmp(n, "x-amz-meta-", 11) == 0;
        for (size_t j = 0; j < sizeof(names) / sizeof(names[0]) && !header; j++)
            header = strcmp(n, names[j]) == 0;
        kv_slice_t v = p->fields[i].value;
        for (size_t j = 0; header && j < v.len; j++)
            if ((v.p[j] < 0x20 && v.p[j] != '\t') || v.p[j] == 0x7f)
                return true;
    }
    return false;
}

int s3_exec_post_object(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                        const s3_post_object_in_t *in, s3_post_object_out_t *out)
{
    api_state_t *st = req->_st;
    s3_post_t *p = st->post;
    if (header_field_bad(p)) {
        api_fail(resp, API_E_S3_INVALID_ARGUMENT,
                 "A form field that becomes a header must not hold control characters");
        return -1;
    }
    eng_object_t *o = kv_arena_calloc(req->arena, 1, sizeof(*o));
    o->key = in->key;
    o->content_type = field_str(req, p, "content-type");
    if (o->content_type == NULL && p->file_ctype.len)
        o->content_type = kv_arena_strndup(req->arena, p->file_ctype.p, p->file_ctype.len);
    o->cache_control = field_str(req, p, "cache-control");
    o->content_disposition = field_str(req, p, "content-disposition");
    o->content_encoding = field_str(req, p, "content-encoding");
    o->expires = field_str(req, p, "expires");
    o->storage_class = field_str(req, p, "x-amz-storage-class");
    /* issue 16, package W */
    if (s3_website_redirect_in(req, resp, field(p, "x-amz-website-redirect-location"),
                               &o->website_redirect) < 0)
        return -1;
    o->meta = kv_arena_calloc(req->arena, p->n_fields + 1, sizeof(*o->meta));
    size_t meta_bytes = 0;
    for (size_t i = 0; i < p->n_fields; i++) {
        const char *n = p->fields[i].name;
        if (strncmp(n, "x-amz-meta-", 11) != 0 || n[11] == 0)
            continue;
        o->meta[o->n_meta].key = n + 11;
        o->meta[o->n_meta].value =
            kv_arena_strndup(req->arena, p->fields[i].value.p, p->fields[i].value.len);
        meta_bytes += strlen(n + 11) + p->fields[i].value.len;
        o->n_meta++;
    }
    if (meta_bytes > ENG_OBJ_META_MAX) {
        api_fail(resp, API_E_S3_METADATA_TOO_LARGE, NULL);
        return -1;
    }
    /* issue 16, package R: the tagging field (a Tagging document) and the checksum fields */
    if ((has_field(p, "tagging") &&
         s3_tags_from_xml(req, resp, field(p, "tagging"), &o->tags, &o->n_tags) < 0) ||
        post_checksum_end(p, o) < 0)
        return -1;
    uint8_t md5[API_CK_MAX];
    api_ck_final(&p->md5, md5);
    kv_buf_t etag;
    kv_buf_init(&etag, 64);
    kv_buf_append_hex(&etag, md5, 16);
    o->etag = kv_arena_strndup(req->arena, etag.p, etag.len);
    kv_buf_dispose(&etag);
    if (st->s3_etag_keyed) /* issue 16: SSE-C and SSE-KMS bodies have opaque ETags */
        o->etag = s3_sse_etag(req->arena, st->s3_etag_key, o->etag);
    o->mtime_ms = kv_now_ms();
    /* issue 15, package A: the acl field (a canned ACL) */
    const char *acl = field_str(req, p, "acl");
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0 ||
        (acl && s3_acl_for_post(ctx, req, resp, b, kv_slice_str(acl), &o->acl) < 0))
        return -1;
    /* issue 16, package L: the form's Object Lock fields, or the bucket's default retention */
    if (s3_lock_for_post(req, resp, b, o, field(p, "x-amz-object-lock-mode"),
                         field(p, "x-amz-object-lock-retain-until-date"),
                         field(p, "x-amz-object-lock-legal-hold")) < 0)
        return -1;
    eng_obj_cond_t cond = {.versioning = st->versioning};
    o->log_id = st->log_id;
    o->event = "ObjectCreated:Post";
    if (st->s3_sse)
        s3_sse_fields(o, st->s3_sse); /* issue 16, package E */
    int rc = eng_object_put_blob(ctx->eng, st->bucket_id, o, &cond, st->blob);
    st->blob = NULL;
    if (rc < 0)
        return s3_engine_fail(resp, rc);
    resp->durable = true;
    out->in = in;
    out->o = o;
    out->versioning = st->versioning;
    return 0;
}

void s3_encode_post_object(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                           const s3_post_object_out_t *out)
{
    (void)ctx;
    const s3_post_object_in_t *in = out->in;
    kv_buf_t loc;
    kv_buf_init(&loc, 8192);
    kv_slice_t host = api_req_header(req, "host");
    kv_buf_printf(&loc, "%s://%.*s/", req->tls ? "https" : "http", (int)host.len,
                  (const char *)host.p);
    if (!req->_st->virtual_host) {
        sigv4_uri_encode(&loc, in->bucket, true);
        kv_buf_append_byte(&loc, '/');
    }
    sigv4_uri_encode(&loc, out->o->key, false);
    api_resp_headerf(resp, "ETag", "\"%s\"", out->o->etag);
    s3_sse_headers(resp, out->o); /* issue 16, package E */
    if (in->redirect.len == 0)
        api_resp_header(resp, "Location", kv_buf_slice(&loc));
    s3_version_header(resp, out->versioning, out->o->null_version, out->o->version);
    if (in->redirect.len) {
        kv_buf_t r;
        kv_buf_init(&r, 16384);
        kv_buf_append_slice(&r, in->redirect);
        kv_buf_append_byte(&r, memchr(in->redirect.p, '?', in->redirect.len) ? '&' : '?');
        kv_buf_append_str(&r, "bucket=");
        sigv4_uri_encode(&r, in->bucket, true);
        kv_buf_append_str(&r, "&key=");
        sigv4_uri_encode(&r, out->o->key, true);
        kv_buf_printf(&r, "&etag=%%22%s%%22", out->o->etag);
        resp->status = 303;
        api_resp_header(resp, "Location", kv_buf_slice(&r));
        kv_buf_dispose(&r);
    } else if (in->status == 201) {
        resp->status = 201;
        api_xw_t w;
        api_xw_begin(&w, &resp->body, "PostResponse", false);
        api_xw_elem(&w, "Location", kv_buf_slice(&loc));
        api_xw_elem(&w, "Bucket", in->bucket);
        api_xw_elem(&w, "Key", out->o->key);
        api_xw_elem_str(&w, "ETag", kv_arena_printf(req->arena, "\"%s\"", out->o->etag));
        api_xw_close(&w, "PostResponse");
        api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/xml"));
    } else {
        resp->status = (int)in->status;
    }
    kv_buf_dispose(&loc);
}
