/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Encryption at rest (issue 16, package E). Every encrypted object has its own 32-byte data
 * key; the engine encrypts its chunks under it (AES-256-GCM, eng_blob_writer_set_key) and this
 * file decides which key, and how it is kept:
 *
 *   SSE-S3   a random data key sealed under the master key (api_seal), bound to
 *            "sse-s3:<bucket>/<key>" so a record moved to another name does not open;
 *   SSE-KMS  a data key from KMS (api_kms_generate), its ciphertext blob stored; a read asks
 *            KMS again (api_kms_decrypt), so a disabled or deleted key stops the reads;
 *   SSE-C    never stored: a random salt and HMAC-SHA256(customer key, "verify" | salt) check
 *            the key each request brings, and the data key is HMAC-SHA256(customer key,
 *            "data" | salt): per object, derived again on every read.
 *
 * A multipart upload's prototype carries the object's encryption; each part is written under
 * the upload's data key (its own data id keeps the chunk nonces unique). Put/Get/Delete
 * BucketEncryption store the bucket's default, applied to writes that name none.
 */
#include <stdio.h>
#include <string.h>

#include "../auth/sigv4.h"
#include "../codec/api_json_r.h"
#include "../crypto/api_seal.h"
#include "../kms/api_kms.h"
#include "base/kv_aead.h"
#include "base/kv_b64.h"
#include "base/kv_hash.h"
#include "base/kv_log.h"
#include "s3_int.h"

#define SSE_C_SALT      16
#define SSE_C_MAC       32
#define SSE_C_VERIFIER  (1 + SSE_C_SALT + SSE_C_MAC) /* version, salt, MAC */
#define SSE_C_VERSION   1
#define SSE_CONTEXT_MAX 8192 /* an encryption context header (base64 JSON) */
#define SSE_KMS_KEY_MAX 2048

/* ---- what a request asks ---- */

static kv_slice_t h(api_req_t *req, const char *name)
{
    return kv_slice_trim(api_req_header(req, name));
}

void s3_sse_ask_headers(api_req_t *req, s3_sse_ask_t *out)
{
    memset(out, 0, sizeof(*out));
    out->sse = h(req, "x-amz-server-side-encryption");
    out->kms_key = h(req, "x-amz-server-side-encryption-aws-kms-key-id");
    out->kms_context = h(req, "x-amz-server-side-encryption-context");
    out->bucket_key = h(req, "x-amz-server-side-encryption-bucket-key-enabled");
    out->c_alg = h(req, "x-amz-server-side-encryption-customer-algorithm");
    out->c_key = h(req, "x-amz-server-side-encryption-customer-key");
    out->c_md5 = h(req, "x-amz-server-side-encryption-customer-key-md5");
}

void s3_sse_ask_copy_source(api_req_t *req, s3_sse_ask_t *out)
{
    memset(out, 0, sizeof(*out));
    out->c_alg = h(req, "x-amz-copy-source-server-side-encryption-customer-algorithm");
    out->c_key = h(req, "x-amz-copy-source-server-side-encryption-customer-key");
    out->c_md5 = h(req, "x-amz-copy-source-server-side-encryption-customer-key-md5");
}

static bool asks_c(const s3_sse_ask_t *a)
{
    return a->c_alg.len || a->c_key.len || a->c_md5.len;
}

bool s3_sse_asked(const s3_sse_ask_t *ask)
{
    return ask->sse.len || ask->kms_key.len || ask->kms_context.len || ask->bucket_key.len ||
           asks_c(ask);
}

static int arg_fail(api_req_t *req, api_resp_t *resp, const char *arg, const char *msg)
{
    api_fail(resp, API_E_S3_INVALID_ARGUMENT, "%s", msg);
    if (arg)
        req->_st->s3_extra =
            kv_slice_str(kv_arena_printf(req->arena, "<ArgumentName>%s</ArgumentName>", arg));
    return -1;
}

/* Constant-time equality of two byte strings of length n. */
static bool same_bytes(const uint8_t *a, const uint8_t *b, size_t n)
{
    uint8_t d = 0;
    for (size_t i = 0; i < n; i++)
        d |= a[i] ^ b[i];
    return d == 0;
}

/* The customer key of an SSE-C request, checked as S3 checks it (every request). copy: the
 * copy-source header names. @return 0 or -1. */
static int customer_key(api_req_t *req, api_resp_t *resp, const s3_sse_ask_t *a, bool copy,
                        uint8_t key[S3_SSE_KEY_LEN], const char **md5_out)
{
    const char *pfx = copy ? "x-amz-copy-source-server-side-encryption-customer-"
                           : "x-amz-server-side-encryption-customer-";
    char arg[96];
    if (a->c_alg.len == 0) {
        snprintf(arg, sizeof(arg), "%salgorithm", pfx);
        return arg_fail(req, resp, arg,
                        "Requests specifying Server Side Encryption with Customer provided keys "
                        "must provide a valid encryption algorithm.");
    }
    if (!kv_slice_eq_str(a->c_alg, "AES256")) {
        api_fail(resp, API_E_S3_INVALID_ENCRYPTION_ALG, NULL);
        return -1;
    }
    snprintf(arg, sizeof(arg), "%skey", pfx);
    if (a->c_key.len == 0)
        return arg_fail(req, resp, arg,
                        "Requests specifying Server Side Encryption with Customer provided keys "
                        "must provide an appropriate secret key.");
    kv_buf_t raw;
    uint8_t rm[64];
    kv_buf_init_on(&raw, rm, sizeof(rm), sizeof(rm)); /* a longer key fails to fit: refused */
    bool ok = a->c_key.len <= 64 && kv_b64_decode(&raw, a->c_key) && !kv_buf_failed(&raw) &&
              raw.len == S3_SSE_KEY_LEN;
    if (!ok) {
        kv_wipe(rm, sizeof(rm));
        kv_buf_dispose(&raw);
        return arg_fail(req, resp, arg, "The secret key was invalid for the specified algorithm.");
    }
    memcpy(key, raw.p, S3_SSE_KEY_LEN);
    kv_wipe(rm, sizeof(rm));
    kv_buf_dispose(&raw);
    snprintf(arg, sizeof(arg), "%skey-MD5", pfx);
    if (a->c_md5.len == 0) {
        kv_wipe(key, S3_SSE_KEY_LEN);
        return arg_fail(req, resp, arg,
                        "Requests specifying Server Side Encryption with Customer provided keys "
                        "must provide the client calculated MD5 of the secret key.");
    }
    uint8_t md5[16], mm[32];
    kv_md5(key, S3_SSE_KEY_LEN, md5);
    kv_buf_t given;
    kv_buf_init_on(&given, mm, sizeof(mm), sizeof(mm));
    if (a->c_md5.len > 32 || !kv_b64_decode(&given, a->c_md5) || kv_buf_failed(&given) ||
        given.len != 16 || !same_bytes(given.p, md5, 16)) {
        kv_buf_dispose(&given);
        kv_wipe(key, S3_SSE_KEY_LEN);
        return arg_fail(req, resp, arg,
                        "The calculated MD5 hash of the key did not match the hash that was "
                        "provided.");
    }
    kv_buf_dispose(&given);
    /* The MD5 S3 echoes, in the canonical base64 of the key's own digest. */
    kv_buf_t b;
    kv_buf_init(&b, 32);
    kv_b64_encode(&b, md5, 16);
    *md5_out = kv_arena_strndup(req->arena, (const char *)b.p, b.len);
    kv_buf_dispose(&b);
    return 0;
}

/* HMAC-SHA256(key, label | salt). */
static void c_derive(const uint8_t key[S3_SSE_KEY_LEN], const char *label, const uint8_t *salt,
                     uint8_t out[32])
{
    uint8_t msg[32 + SSE_C_SALT];
    size_t n = strlen(label);
    memcpy(msg, label, n);
    memcpy(msg + n, salt, SSE_C_SALT);
    sigv4_hmac(key, S3_SSE_KEY_LEN, kv_slice(msg, n + SSE_C_SALT), out);
}

#define C_VERIFY "stratus/sse-c/verify"
#define C_DATA   "stratus/sse-c/data"

/* "sse-s3:<bucket>/<key>": what an SSE-S3 data key's seal is bound to. */
static kv_slice_t s3_aad(kv_arena_t *a, kv_slice_t bucket, kv_slice_t key)
{
    return kv_slice_str(kv_arena_printf(a, "sse-s3:%.*s/%.*s", (int)bucket.len,
                                        (const char *)bucket.p, (int)key.len, (const char *)key.p));
}

/* Append s as a JSON string. */
static void json_str(kv_buf_t *b, kv_slice_t s)
{
    kv_buf_append_byte(b, '"');
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = s.p[i];
        if (c == '"' || c == '\\') {
            kv_buf_append_byte(b, '\\');
            kv_buf_append_byte(b, c);
        } else if (c < 0x20) {
            kv_buf_printf(b, "\\u%04x", c);
        } else {
            kv_buf_append_byte(b, c);
        }
    }
    kv_buf_append_byte(b, '"');
}

/* The encryption context KMS binds an object's data key to: the one the writer gave, else
 * S3's default, the object's ARN (the bucket's with a bucket key). */
static kv_slice_t kms_context(kv_arena_t *a, kv_slice_t bucket, const eng_object_t *o)
{
    if (o->kms_context)
        return kv_slice_str(o->kms_context);
    kv_buf_t b;
    kv_buf_init(&b, 64 + bucket.len + o->key.len * 2);
    kv_buf_append_str(&b, "{\"aws:s3:arn\":");
    kv_buf_t arn;
    kv_buf_init(&arn, 32 + bucket.len + o->key.len);
    kv_buf_printf(&arn, "arn:aws:s3:::%.*s", (int)bucket.len, (const char *)bucket.p);
    if (!o->bucket_key) {
        kv_buf_append_byte(&arn, '/');
        kv_buf_append_slice(&arn, o->key);
    }
    json_str(&b, kv_buf_slice(&arn));
    kv_buf_append_byte(&b, '}');
    kv_slice_t r = kv_arena_dup(a, kv_buf_slice(&b));
    kv_buf_dispose(&arn);
    kv_buf_dispose(&b);
    return r;
}

/* x-amz-server-side-encryption-context: base64 of a JSON object of strings. */
static int parse_context(api_req_t *req, api_resp_t *resp, kv_slice_t v, const char **out)
{
    static const char *const msg = "The header 'x-amz-server-side-encryption-context' shall be "
                                   "Base64-encoded UTF-8 string holding JSON which represents a "
                                   "string-string map";
    if (v.len > SSE_CONTEXT_MAX)
        return arg_fail(req, resp, "x-amz-server-side-encryption-context", msg);
    kv_buf_t raw;
    kv_buf_init(&raw, v.len + 4);
    api_json_t *root;
    const char *err;
    bool ok = kv_b64_decode(&raw, v) && raw.len > 0 &&
              api_json_parse(req->arena, kv_buf_slice(&raw), &root, &err) == 0 &&
              api_json_type(root) == API_J_OBJ;
    void *it = NULL;
    const char *k;
    api_json_t *val;
    while (ok && api_json_next(root, &it, &k, &val))
        ok = api_json_type(val) == API_J_STR;
    if (ok)
        *out = kv_arena_strndup(req->arena, (const char *)raw.p, raw.len);
    kv_buf_dispose(&raw);
    return ok ? 0 : arg_fail(req, resp, "x-amz-server-side-encryption-context", msg);
}

static bool bool_value(kv_slice_t v, bool *out)
{
    if (kv_slice_eq_nocase(v, "true"))
        *out = true;
    else if (kv_slice_eq_nocase(v, "false"))
        *out = false;
    else
        return false;
    return true;
}

/* ---- a new object's encryption ---- */

int s3_sse_new(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const eng_bucket_t *b,
               const s3_sse_ask_t *ask, const uint8_t *reuse, eng_object_t *o,
               uint8_t dk[S3_SSE_KEY_LEN])
{
    o->sse = ENG_SSE_NONE;
    o->sse_key = KV_SLICE_NULL;
    o->kms_key_id = o->kms_context = o->sse_c_md5 = NULL;
    o->bucket_key = false;
    kv_slice_t bucket = kv_slice_str(b->name);
    bool c = asks_c(ask);
    if (ask->sse.len && !kv_slice_eq_str(ask->sse, "AES256") &&
        !kv_slice_eq_str(ask->sse, "aws:kms"))
        return arg_fail(req, resp, "x-amz-server-side-encryption",
                        "The encryption method specified is not supported");
    if (c && ask->sse.len)
        return arg_fail(req, resp, "x-amz-server-side-encryption",
                        "Server Side Encryption with Customer provided key is incompatible with "
                        "the encryption method specified");
    bool kms = kv_slice_eq_str(ask->sse, "aws:kms");
    if ((ask->kms_key.len || ask->kms_context.len) && !kms)
        return arg_fail(req, resp,
                        ask->kms_key.len ? "x-amz-server-side-encryption-aws-kms-key-id"
                                         : "x-amz-server-side-encryption-context",
                        "Server Side Encryption with AWS KMS managed key requires HTTP header "
                        "x-amz-server-side-encryption : aws:kms");
    bool bk = false;
    if (ask->bucket_key.len && !bool_value(ask->bucket_key, &bk))
        return arg_fail(req, resp, "x-amz-server-side-encryption-bucket-key-enabled",
                        "Invalid value for x-amz-server-side-encryption-bucket-key-enabled");
    if (c) {
        uint8_t ck[S3_SSE_KEY_LEN];
        const char *md5;
        if (customer_key(req, resp, ask, false, ck, &md5) < 0)
            return -1;
        uint8_t *v = kv_arena_alloc(req->arena, SSE_C_VERIFIER);
        v[0] = SSE_C_VERSION;
        kv_random(v + 1, SSE_C_SALT);
        c_derive(ck, C_VERIFY, v + 1, v + 1 + SSE_C_SALT);
        c_derive(ck, C_DATA, v + 1, dk);
        kv_wipe(ck, sizeof(ck));
        o->sse = ENG_SSE_C;
        o->sse_key = kv_slice(v, SSE_C_VERIFIER);
        o->sse_c_md5 = md5;
        return 1;
    }
    /* Nothing asked: the bucket's default, else --encrypt-all. */
    s3_bucket_sse_t def = {0};
    const char *kms_key = NULL;
    if (ask->sse.len == 0) {
        if (s3_sse_bucket_default(b, req->arena, &def)) {
            kms = def.alg == S3_SSE_ALG_KMS;
            kms_key = def.kms_key;
            bk = def.bucket_key;
        } else if (!ctx->encrypt_all) {
            return 0;
        }
    } else if (ask->kms_key.len) {
        if (ask->kms_key.len > SSE_KMS_KEY_MAX)
            return arg_fail(req, resp, "x-amz-server-side-encryption-aws-kms-key-id",
                            "Invalid keyId");
        kms_key = kv_arena_strndup(req->arena, (const char *)ask->kms_key.p, ask->kms_key.len);
    }
    if (!kms) {
        uint8_t k[S3_SSE_KEY_LEN];
        if (reuse)
            memcpy(k, reuse, sizeof(k));
        else
            kv_random(k, sizeof(k));
        kv_buf_t sealed;
        kv_buf_init(&sealed, S3_SSE_KEY_LEN + API_SEAL_OVERHEAD);
        api_seal(ctx, s3_aad(req->arena, bucket, o->key), kv_slice(k, sizeof(k)), &sealed);
        if (kv_buf_failed(&sealed)) {
            kv_wipe(k, sizeof(k));
            kv_buf_dispose(&sealed);
            return s3_engine_fail(resp, KV_EINTERNAL);
        }
        o->sse = ENG_SSE_S3;
        o->sse_key = kv_arena_dup(req->arena, kv_buf_slice(&sealed));
        o->bucket_key = bk;
        kv_buf_dispose(&sealed);
        memcpy(dk, k, sizeof(k));
        kv_wipe(k, sizeof(k));
        return 1;
    }
    if (ask->kms_context.len && parse_context(req, resp, ask->kms_context, &o->kms_context) < 0)
        return -1;
    o->bucket_key = bk;
    kv_buf_t blob;
    kv_buf_init(&blob, 512);
    const char *arn = NULL;
    int rc = api_kms_generate(ctx, req, resp, "s3", kms_key, kms_context(req->arena, bucket, o), dk,
                              &blob, &arn);
    if (rc == 0) {
        o->sse = ENG_SSE_KMS;
        o->sse_key = kv_arena_dup(req->arena, kv_buf_slice(&blob));
        o->kms_key_id = arn;
    }
    kv_buf_dispose(&blob);
    return rc < 0 ? -1 : 1;
}

/* ---- a stored object's key ---- */

static int not_applicable(api_resp_t *resp)
{
    api_fail(resp, API_E_S3_INVALID_REQUEST,
             "The encryption parameters are not applicable to this object.");
    return -1;
}

static int open_key(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t bucket,
                    const eng_object_t *o, const s3_sse_ask_t *ask, bool copy,
                    uint8_t dk[S3_SSE_KEY_LEN])
{
    if (o->sse == ENG_SSE_NONE)
        return asks_c(ask) ? not_applicable(resp) : 0;
    if (o->sse == ENG_SSE_C) {
        if (!asks_c(ask)) {
            api_fail(resp, API_E_S3_INVALID_REQUEST,
                     "The object was stored using a form of Server Side Encryption. The correct "
                     "parameters must be provided to retrieve the object.");
            return -1;
        }
        uint8_t ck[S3_SSE_KEY_LEN], mac[SSE_C_MAC];
        const char *md5;
        if (customer_key(req, resp, ask, copy, ck, &md5) < 0)
            return -1;
        if (o->sse_key.len != SSE_C_VERIFIER || o->sse_key.p[0] != SSE_C_VERSION) {
            kv_wipe(ck, sizeof(ck));
            return s3_engine_fail(resp, KV_ECORRUPT);
        }
        const uint8_t *salt = o->sse_key.p + 1;
        c_derive(ck, C_VERIFY, salt, mac);
        if (!same_bytes(mac, salt + SSE_C_SALT, SSE_C_MAC)) {
            kv_wipe(ck, sizeof(ck));
            api_fail(resp, API_E_S3_ACCESS_DENIED, NULL); /* another key: as S3, 403 */
            return -1;
        }
        c_derive(ck, C_DATA, salt, dk);
        kv_wipe(ck, sizeof(ck));
        return 1;
    }
    if (asks_c(ask))
        return not_applicable(resp);
    if (o->sse == ENG_SSE_S3) {
        kv_buf_t plain;
        uint8_t pm[64];
        kv_buf_init_on(&plain, pm, sizeof(pm), sizeof(pm));
        int rc = api_unseal(ctx, s3_aad(req->arena, bucket, o->key), o->sse_key, &plain);
        bool ok = rc == 0 && plain.len == S3_SSE_KEY_LEN;
        if (ok)
            memcpy(dk, plain.p, S3_SSE_KEY_LEN);
        kv_wipe(pm, sizeof(pm));
        kv_buf_dispose(&plain);
        if (!ok) {
            KV_LOG_ERROR("s3: an SSE-S3 data key does not open under this master key");
            return s3_engine_fail(resp, KV_ECORRUPT);
        }
        return 1;
    }
    const char *arn;
    return api_kms_decrypt(ctx, req, resp, "s3", o->sse_key, kms_context(req->arena, bucket, o), dk,
                           &arn) < 0
               ? -1
               : 1;
}

int s3_sse_open(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t bucket,
                const eng_object_t *o, const s3_sse_ask_t *ask, uint8_t dk[S3_SSE_KEY_LEN])
{
    return open_key(ctx, req, resp, bucket, o, ask, false, dk);
}

static int give_key(api_resp_t *resp, eng_object_reader_t *reader, uint8_t dk[S3_SSE_KEY_LEN])
{
    int rc = reader ? eng_object_reader_set_key(reader, dk) : 0;
    kv_wipe(dk, S3_SSE_KEY_LEN);
    return rc < 0 ? s3_engine_fail(resp, rc) : 0;
}

int s3_sse_read(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t bucket,
                const eng_object_t *o, eng_object_reader_t *reader, bool copy_source)
{
    s3_sse_ask_t ask;
    if (copy_source) {
        s3_sse_ask_copy_source(req, &ask);
    } else {
        s3_sse_ask_headers(req, &ask);
        if (ask.sse.len)
            return arg_fail(req, resp, "x-amz-server-side-encryption",
                            "x-amz-server-side-encryption header is not supported for this "
                            "operation.");
    }
    /* Metadata alone needs no data key (HEAD of an SSE-KMS object asks nothing of KMS); an
     * SSE-C object's key is still checked. */
    if (reader == NULL && o->sse != ENG_SSE_C)
        return asks_c(&ask) ? not_applicable(resp) : 0;
    uint8_t dk[S3_SSE_KEY_LEN];
    int rc = open_key(ctx, req, resp, bucket, o, &ask, copy_source, dk);
    if (rc <= 0)
        return rc;
    return give_key(resp, reader, dk);
}

int s3_sse_read_internal(api_ctx_t *ctx, kv_slice_t bucket, const eng_object_t *o,
                         eng_object_reader_t *reader)
{
    if (o->sse == ENG_SSE_NONE)
        return 0;
    if (o->sse != ENG_SSE_S3)
        return -1;
    kv_arena_t *a = kv_arena_new(256);
    kv_buf_t plain;
    uint8_t pm[64];
    kv_buf_init_on(&plain, pm, sizeof(pm), sizeof(pm));
    int rc = api_unseal(ctx, s3_aad(a, bucket, o->key), o->sse_key, &plain);
    if (rc == 0 && (plain.len != S3_SSE_KEY_LEN || eng_object_reader_set_key(reader, plain.p) < 0))
        rc = -1;
    kv_wipe(pm, sizeof(pm));
    kv_buf_dispose(&plain);
    kv_arena_free(a);
    return rc;
}

static int new_sse_s3(api_ctx_t *ctx, kv_arena_t *a, const eng_bucket_t *b, eng_object_t *o,
                      uint8_t dk[S3_SSE_KEY_LEN]);

int s3_sse_new_internal(api_ctx_t *ctx, kv_arena_t *a, const eng_bucket_t *b, eng_object_t *o,
                        uint8_t dk[S3_SSE_KEY_LEN])
{
    s3_bucket_sse_t def;
    if (!s3_sse_bucket_default(b, a, &def) && !ctx->encrypt_all)
        return 0;
    return new_sse_s3(ctx, a, b, o, dk);
}

/* issue 17, package E */
kv_slice_t s3_sse_bucket_context(kv_arena_t *a, kv_slice_t bucket)
{
    eng_object_t o = {.bucket_key = true};
    return kms_context(a, bucket, &o);
}

int s3_sse_new_export(api_ctx_t *ctx, kv_arena_t *a, const eng_bucket_t *b, eng_object_t *o,
                      bool sse_s3, kv_slice_t kms_blob, const char *kms_arn, const uint8_t *dk_in,
                      uint8_t dk[S3_SSE_KEY_LEN])
{
    if (kms_blob.len && dk_in) {
        o->sse = ENG_SSE_KMS;
        o->sse_key = kv_arena_dup(a, kms_blob);
        o->kms_key_id = kms_arn;
        o->bucket_key = true;
        memcpy(dk, dk_in, S3_SSE_KEY_LEN);
        return 1;
    }
    return sse_s3 ? new_sse_s3(ctx, a, b, o, dk) : s3_sse_new_internal(ctx, a, b, o, dk);
}

static int new_sse_s3(api_ctx_t *ctx, kv_arena_t *a, const eng_bucket_t *b, eng_object_t *o,
                      uint8_t dk[S3_SSE_KEY_LEN])
{
    uint8_t k[S3_SSE_KEY_LEN];
    kv_random(k, sizeof(k));
    kv_buf_t sealed;
    kv_buf_init(&sealed, S3_SSE_KEY_LEN + API_SEAL_OVERHEAD);
    api_seal(ctx, s3_aad(a, kv_slice_str(b->name), o->key), kv_slice(k, sizeof(k)), &sealed);
    int rc = kv_buf_failed(&sealed) ? -1 : 1;
    if (rc > 0) {
        o->sse = ENG_SSE_S3;
        o->sse_key = kv_arena_dup(a, kv_buf_slice(&sealed));
        memcpy(dk, k, sizeof(k));
    }
    kv_wipe(k, sizeof(k));
    kv_buf_dispose(&sealed);
    return rc;
}

/* ---- ETags ---- */

bool s3_sse_etag_opaque(const eng_object_t *o)
{
    return o && (o->sse == ENG_SSE_C || o->sse == ENG_SSE_KMS);
}

void s3_sse_etag_key(const uint8_t dk[S3_SSE_KEY_LEN], uint8_t ek[S3_SSE_KEY_LEN])
{
    sigv4_hmac(dk, S3_SSE_KEY_LEN, KV_SLICE_LIT("stratus/etag"), ek);
}

const char *s3_sse_etag(kv_arena_t *a, const uint8_t ek[S3_SSE_KEY_LEN], const char *md5_hex)
{
    uint8_t mac[32];
    sigv4_hmac(ek, S3_SSE_KEY_LEN, kv_slice_str(md5_hex), mac);
    kv_buf_t b;
    kv_buf_init(&b, 40);
    kv_buf_append_hex(&b, mac, 16);
    const char *r = kv_arena_strndup(a, b.p, b.len);
    kv_buf_dispose(&b);
    return r;
}

/* An SSE-C or SSE-KMS body's ETag key (st), from its data key. */
static void keep_etag_key(api_state_t *st, const eng_object_t *o, const uint8_t dk[S3_SSE_KEY_LEN])
{
    st->s3_etag_keyed = s3_sse_etag_opaque(o);
    if (st->s3_etag_keyed)
        s3_sse_etag_key(dk, st->s3_etag_key);
}

/* ---- writes that stream ---- */

/* A new object's encryption (st->s3_sse) and its writer's key. */
static int begin_new(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const eng_bucket_t *b,
                     const s3_sse_ask_t *ask, kv_slice_t key)
{
    api_state_t *st = req->_st;
    eng_object_t *o = kv_arena_calloc(req->arena, 1, sizeof(*o));
    o->key = key;
    st->s3_sse = o;
    uint8_t dk[S3_SSE_KEY_LEN];
    int rc = s3_sse_new(ctx, req, resp, b, ask, NULL, o, dk);
    if (rc <= 0)
        return rc;
    keep_etag_key(st, o, dk);
    rc = eng_blob_writer_set_key(st->blob, dk);
    kv_wipe(dk, sizeof(dk));
    return rc < 0 ? s3_engine_fail(resp, rc) : 0;
}

int s3_sse_begin_body(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const eng_bucket_t *b)
{
    api_state_t *st = req->_st;
    s3_sse_ask_t ask;
    s3_sse_ask_headers(req, &ask);
    uint8_t dk[S3_SSE_KEY_LEN];
    int rc;
    if (st->op == S3_OP_upload_part) {
        /* The upload's encryption (its prototype, read by s3_upload_part_begin). */
        const eng_object_t *proto = st->s3_sse;
        if (proto == NULL)
            return 0;
        rc = s3_sse_open(ctx, req, resp, kv_slice_str(b->name), proto, &ask, dk);
    } else {
        return begin_new(ctx, req, resp, b, &ask, st->key_name);
    }
    if (rc <= 0)
        return rc;
    keep_etag_key(st, st->s3_sse, dk);
    rc = eng_blob_writer_set_key(st->blob, dk);
    kv_wipe(dk, sizeof(dk));
    return rc < 0 ? s3_engine_fail(resp, rc) : 0;
}

int s3_sse_begin_post(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const s3_sse_ask_t *ask,
                      kv_slice_t key)
{
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, req->_st->bucket, &b) < 0)
        return -1;
    return begin_new(ctx, req, resp, b, ask, key);
}

void s3_sse_fields(eng_object_t *dst, const eng_object_t *src)
{
    dst->sse = src->sse;
    dst->sse_key = src->sse_key;
    dst->kms_key_id = src->kms_key_id;
    dst->kms_context = src->kms_context;
    dst->sse_c_md5 = src->sse_c_md5;
    dst->bucket_key = src->bucket_key;
}

void s3_sse_headers(api_resp_t *resp, const eng_object_t *o)
{
    if (o == NULL || o->sse == ENG_SSE_NONE)
        return;
    if (o->sse == ENG_SSE_C) {
        api_resp_header(resp, "x-amz-server-side-encryption-customer-algorithm",
                        KV_SLICE_LIT("AES256"));
        if (o->sse_c_md5)
            api_resp_header(resp, "x-amz-server-side-encryption-customer-key-MD5",
                            kv_slice_str(o->sse_c_md5));
        return;
    }
    api_resp_header(resp, "x-amz-server-side-encryption",
                    o->sse == ENG_SSE_KMS ? KV_SLICE_LIT("aws:kms") : KV_SLICE_LIT("AES256"));
    if (o->sse == ENG_SSE_KMS && o->kms_key_id)
        api_resp_header(resp, "x-amz-server-side-encryption-aws-kms-key-id",
                        kv_slice_str(o->kms_key_id));
    if (o->sse == ENG_SSE_KMS && o->kms_context) {
        kv_buf_t b;
        kv_buf_init(&b, strlen(o->kms_context) * 4 / 3 + 8);
        kv_b64_encode(&b, (const uint8_t *)o->kms_context, strlen(o->kms_context));
        api_resp_header(resp, "x-amz-server-side-encryption-context", kv_buf_slice(&b));
        kv_buf_dispose(&b);
    }
    if (o->bucket_key)
        api_resp_header(resp, "x-amz-server-side-encryption-bucket-key-enabled",
                        KV_SLICE_LIT("true"));
}

/* ---- bucket default encryption ---- */

/* The stored form: "<alg>\n<kms key id>\n<0|1>" (alg "AES256" or "aws:kms"). */
bool s3_sse_bucket_default(const eng_bucket_t *b, kv_arena_t *a, s3_bucket_sse_t *out)
{
    memset(out, 0, sizeof(*out));
    kv_slice_t d = b->docs[ENG_BDOC_ENCRYPTION];
    const uint8_t *n1 = d.len ? memchr(d.p, '\n', d.len) : NULL;
    if (n1 == NULL)
        return false;
    kv_slice_t alg = kv_slice(d.p, (size_t)(n1 - d.p));
    kv_slice_t rest = kv_slice(n1 + 1, d.len - alg.len - 1);
    const uint8_t *n2 = memchr(rest.p, '\n', rest.len);
    if (n2 == NULL)
        return false;
    kv_slice_t key = kv_slice(rest.p, (size_t)(n2 - rest.p));
    out->alg = kv_slice_eq_str(alg, "aws:kms") ? S3_SSE_ALG_KMS : S3_SSE_ALG_AES256;
    out->kms_key = key.len ? kv_arena_strndup(a, (const char *)key.p, key.len) : NULL;
    out->bucket_key = n2 + 1 < rest.p + rest.len && n2[1] == '1';
    return true;
}

int s3_sse_config_parse(kv_arena_t *a, api_resp_t *resp, kv_slice_t xml, s3_bucket_sse_t *out)
{
    memset(out, 0, sizeof(*out));
    api_xnode_t *root;
    if (api_xml_parse(a, xml, &root) < 0 ||
        strcmp(root->name, "ServerSideEncryptionConfiguration") != 0)
        goto malformed;
    size_t rules = 0;
    for (api_xnode_t *r = root->child; r; r = r->next) {
        if (strcmp(r->name, "Rule") != 0)
            goto malformed;
        if (++rules > 1)
            goto malformed; /* S3 takes exactly one rule */
        api_xnode_t *def = api_xml_child(r, "ApplyServerSideEncryptionByDefault");
        api_xnode_t *bk = api_xml_child(r, "BucketKeyEnabled");
        if (bk && !bool_value(kv_slice_trim(bk->text), &out->bucket_key))
            goto malformed;
        if (def == NULL)
            goto malformed;
        api_xnode_t *alg = api_xml_child(def, "SSEAlgorithm");
        api_xnode_t *key = api_xml_child(def, "KMSMasterKeyID");
        kv_slice_t av = alg ? kv_slice_trim(alg->text) : KV_SLICE_NULL;
        if (kv_slice_eq_str(av, "AES256"))
            out->alg = S3_SSE_ALG_AES256;
        else if (kv_slice_eq_str(av, "aws:kms"))
            out->alg = S3_SSE_ALG_KMS;
        else
            goto malformed;
        if (key) {
            kv_slice_t kv = kv_slice_trim(key->text);
            if (out->alg != S3_SSE_ALG_KMS) {
                api_fail(resp, API_E_S3_INVALID_ARGUMENT,
                         "a KMSMasterKeyID is not applicable if the default sse algorithm is not "
                         "aws:kms or aws:kms:dsse");
                return -1;
            }
            if (kv.len == 0 || kv.len > SSE_KMS_KEY_MAX || memchr(kv.p, '\n', kv.len)) {
                api_fail(resp, API_E_S3_INVALID_ARGUMENT, "Invalid KMSMasterKeyID");
                return -1;
            }
            out->kms_key = kv_arena_strndup(a, (const char *)kv.p, kv.len);
        }
    }
    if (rules == 0)
        goto malformed;
    return 0;
malformed:
    api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
    return -1;
}

int s3_decode_put_bucket_encryption(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                    s3_enc_in_t *out)
{
    (void)ctx;
    memset(out, 0, sizeof(*out));
    out->bucket = req->_st->bucket;
    return s3_sse_config_parse(req->arena, resp, kv_buf_slice(&req->_st->body), &out->cfg);
}

int s3_decode_get_bucket_encryption(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                    s3_enc_in_t *out)
{
    (void)ctx, (void)resp;
    memset(out, 0, sizeof(*out));
    out->bucket = req->_st->bucket;
    return 0;
}

int s3_decode_delete_bucket_encryption(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                       s3_enc_in_t *out)
{
    return s3_decode_get_bucket_encryption(ctx, req, resp, out);
}

int s3_exec_put_bucket_encryption(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                  const s3_enc_in_t *in, s3_enc_out_t *out)
{
    (void)out;
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0)
        return -1;
    if (in->cfg.alg == S3_SSE_ALG_KMS && in->cfg.kms_key) {
        /* The key must exist (S3 checks it with KMS as the configuration is put). */
        const char *arn;
        if (api_kms_resolve(ctx, req, resp, "s3", in->cfg.kms_key, &arn) < 0)
            return -1;
    }
    const char *doc = kv_arena_printf(
        req->arena, "%s\n%s\n%d", in->cfg.alg == S3_SSE_ALG_KMS ? "aws:kms" : "AES256",
        in->cfg.kms_key ? in->cfg.kms_key : "", in->cfg.bucket_key ? 1 : 0);
    return s3_bucket_written(
        resp, eng_bucket_set_doc(ctx->eng, in->bucket, ENG_BDOC_ENCRYPTION, kv_slice_str(doc)));
}

int s3_exec_get_bucket_encryption(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                  const s3_enc_in_t *in, s3_enc_out_t *out)
{
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0)
        return -1;
    if (s3_sse_bucket_default(b, req->arena, &out->cfg))
        return 0;
    if (ctx->encrypt_all) { /* every new object is SSE-S3: reported as AWS reports it */
        out->cfg.alg = S3_SSE_ALG_AES256;
        return 0;
    }
    api_fail(resp, API_E_S3_SSE_CONFIG_NOT_FOUND, NULL);
    return -1;
}

int s3_exec_delete_bucket_encryption(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                     const s3_enc_in_t *in, s3_enc_out_t *out)
{
    (void)out;
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0)
        return -1;
    return s3_bucket_written(
        resp, eng_bucket_set_doc(ctx->eng, in->bucket, ENG_BDOC_ENCRYPTION, KV_SLICE_NULL));
}

void s3_encode_put_bucket_encryption(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                     const s3_enc_out_t *out)
{
    (void)ctx, (void)req, (void)resp, (void)out;
}

void s3_encode_get_bucket_encryption(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                     const s3_enc_out_t *out)
{
    (void)ctx, (void)req;
    api_xw_t w;
    api_xw_begin(&w, &resp->body, "ServerSideEncryptionConfiguration", true);
    api_xw_open(&w, "Rule");
    api_xw_open(&w, "ApplyServerSideEncryptionByDefault");
    api_xw_elem_str(&w, "SSEAlgorithm", out->cfg.alg == S3_SSE_ALG_KMS ? "aws:kms" : "AES256");
    if (out->cfg.kms_key)
        api_xw_elem_str(&w, "KMSMasterKeyID", out->cfg.kms_key);
    api_xw_close(&w, "ApplyServerSideEncryptionByDefault");
    api_xw_elem_str(&w, "BucketKeyEnabled", out->cfg.bucket_key ? "true" : "false");
    api_xw_close(&w, "Rule");
    api_xw_close(&w, "ServerSideEncryptionConfiguration");
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/xml"));
}

void s3_encode_delete_bucket_encryption(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                        const s3_enc_out_t *out)
{
    (void)ctx, (void)req, (void)out;
    resp->status = 204;
}
