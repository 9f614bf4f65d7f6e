/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KMS's cryptographic operations (issue 16, package K): Encrypt, Decrypt (the key found from
 * the blob), ReEncrypt, GenerateDataKey (with and without plaintext) and GenerateRandom. Each
 * authorizes with the encryption context (grant constraints, kms:EncryptionContext:* keys) and
 * needs an enabled key; plaintexts and materials are wiped after use.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "base/kv_hash.h"
#include "kms_int.h"

/* Seal plain under k's current material into a blob. */
static int seal(kms_rq_t *o, const kms_key_t *k, kv_slice_t canon, kv_slice_t plain, kv_buf_t *blob)
{
    uint8_t mat[KMS_MAT_LEN];
    const kms_mat_t *cur = &k->mats[k->n_mats - 1];
    if (kms_key_material(o->ctx, k, cur->v, mat) < 0)
        return api_refuse(o->resp, API_E_KMS_INTERNAL, "The key material could not be read.");
    kms_blob_seal(mat, k->id, cur->v, canon, plain, blob);
    OPENSSL_cleanse(mat, sizeof(mat));
    return 0;
}

/* Open a blob: the key it names (checked against want when not NULL), authorized for action,
 * enabled; plaintext appended to plain. */
static int unseal(kms_rq_t *o, kv_slice_t blob, const kms_key_t *want, const char *action,
                  const api_json_t *ctx, kv_slice_t canon, kms_key_t **key, kv_buf_t *plain)
{
    kms_blob_t b;
    if (!kms_blob_parse(blob, &b))
        return api_refuse(o->resp, API_E_KMS_INVALID_CIPHERTEXT, "%s", "");
    if (want && strcmp(want->id, b.key_id) != 0)
        return api_refuse(o->resp, API_E_KMS_INCORRECT_KEY,
                          "The key ID in the request does not identify a KMS key that can "
                          "perform this operation.");
    kms_key_t *k;
    int rc = kms_key_load(o->ctx, o->a, kv_slice_str(b.key_id), &k);
    if (rc == KV_ENOTFOUND)
        return api_refuse(o->resp, API_E_KMS_NOT_FOUND, "Key '%s' does not exist",
                          kms_key_arn(o->ctx, o->a, b.key_id));
    if (rc < 0)
        return kms_internal(o, rc);
    if (kms_authz_op(o, action, k, ctx) < 0 || kms_need_state(o, k, true) < 0)
        return -1;
    uint8_t mat[KMS_MAT_LEN];
    rc = kms_key_material(o->ctx, k, b.version, mat);
    if (rc == 0)
        rc = kms_blob_open(mat, &b, canon, plain);
    OPENSSL_cleanse(mat, sizeof(mat));
    if (rc < 0)
        return api_refuse(o->resp, API_E_KMS_INVALID_CIPHERTEXT, "%s", "");
    *key = k;
    return 0;
}

void kms_op_encrypt(kms_rq_t *o)
{
    kms_key_t *k;
    const api_json_t *ctx;
    kv_buf_t plain, canon, blob;
    kv_buf_init(&plain, KMS_PLAIN_MAX + 8);
    kv_buf_init(&canon, KMS_CTX_MAX * 2);
    kv_buf_init(&blob, KMS_BLOB_MAX);
    if (kms_arg_key(o, "KeyId", true, &k) < 0 ||
        kms_arg_blob(o, "Plaintext", true, 1, KMS_PLAIN_MAX, &plain) < 0 ||
        kms_arg_context(o, "EncryptionContext", &ctx, &canon) < 0 || kms_arg_grant_tokens(o) < 0 ||
        kms_arg_algorithm(o, "EncryptionAlgorithm") < 0 ||
        kms_authz_op(o, "kms:Encrypt", k, ctx) < 0 || kms_need_state(o, k, true) < 0 ||
        seal(o, k, kv_buf_slice(&canon), kv_buf_slice(&plain), &blob) < 0)
        goto out;
    api_jw_obj_begin(o->w);
    kms_jw_b64(o->w, "CiphertextBlob", blob.p, blob.len);
    api_jw_kstr(o->w, "KeyId", k->arn);
    api_jw_kstr(o->w, "EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
    api_jw_obj_end(o->w);
out:
    if (plain.p)
        OPENSSL_cleanse(plain.p, plain.len);
    kv_buf_dispose(&plain);
    kv_buf_dispose(&canon);
    kv_buf_dispose(&blob);
}

void kms_op_decrypt(kms_rq_t *o)
{
    kms_key_t *want = NULL, *k;
    const api_json_t *ctx;
    kv_buf_t blob, canon, plain;
    kv_buf_init(&blob, KMS_BLOB_MAX);
    kv_buf_init(&canon, KMS_CTX_MAX * 2);
    kv_buf_init(&plain, KMS_BLOB_MAX);
    if (kms_arg_blob(o, "CiphertextBlob", true, 1, KMS_BLOB_MAX, &blob) < 0 ||
        kms_arg_context(o, "EncryptionContext", &ctx, &canon) < 0 || kms_arg_grant_tokens(o) < 0 ||
        kms_arg_algorithm(o, "EncryptionAlgorithm") < 0 ||
        (kms_jt(api_json_get(o->in, "KeyId")) != API_J_NULL &&
         kms_arg_key(o, "KeyId", true, &want) < 0) ||
        unseal(o, kv_buf_slice(&blob), want, "kms:Decrypt", ctx, kv_buf_slice(&canon), &k, &plain) <
            0)
        goto out;
    api_jw_obj_begin(o->w);
    api_jw_kstr(o->w, "KeyId", k->arn);
    kms_jw_b64(o->w, "Plaintext", plain.p, plain.len);
    api_jw_kstr(o->w, "EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
    api_jw_obj_end(o->w);
out:
    if (plain.p)
        OPENSSL_cleanse(plain.p, plain.len);
    kv_buf_dispose(&plain);
    kv_buf_dispose(&canon);
    kv_buf_dispose(&blob);
}

void kms_op_re_encrypt(kms_rq_t *o)
{
    kms_key_t *want = NULL, *src, *dst;
    const api_json_t *sctx, *dctx;
    kv_buf_t blob, scanon, dcanon, plain, out;
    kv_buf_init(&blob, KMS_BLOB_MAX);
    kv_buf_init(&scanon, KMS_CTX_MAX * 2);
    kv_buf_init(&dcanon, KMS_CTX_MAX * 2);
    kv_buf_init(&plain, KMS_BLOB_MAX);
    kv_buf_init(&out, KMS_BLOB_MAX);
    if (kms_arg_blob(o, "CiphertextBlob", true, 1, KMS_BLOB_MAX, &blob) < 0 ||
        kms_arg_context(o, "SourceEncryptionContext", &sctx, &scanon) < 0 ||
        kms_arg_context(o, "DestinationEncryptionContext", &dctx, &dcanon) < 0 ||
        kms_arg_grant_tokens(o) < 0 || kms_arg_algorithm(o, "SourceEncryptionAlgorithm") < 0 ||
        kms_arg_algorithm(o, "DestinationEncryptionAlgorithm") < 0 ||
        (kms_jt(api_json_get(o->in, "SourceKeyId")) != API_J_NULL &&
         kms_arg_key(o, "SourceKeyId", true, &want) < 0) ||
        kms_arg_key(o, "DestinationKeyId", true, &dst) < 0 ||
        unseal(o, kv_buf_slice(&blob), want, "kms:ReEncryptFrom", sctx, kv_buf_slice(&scanon), &src,
               &plain) < 0 ||
        kms_authz_op(o, "kms:ReEncryptTo", dst, dctx) < 0 || kms_need_state(o, dst, true) < 0 ||
        seal(o, dst, kv_buf_slice(&dcanon), kv_buf_slice(&plain), &out) < 0)
        goto done;
    api_jw_obj_begin(o->w);
    kms_jw_b64(o->w, "CiphertextBlob", out.p, out.len);
    api_jw_kstr(o->w, "SourceKeyId", src->arn);
    api_jw_kstr(o->w, "KeyId", dst->arn);
    api_jw_kstr(o->w, "SourceEncryptionAlgorithm", "SYMMETRIC_DEFAULT");
    api_jw_kstr(o->w, "DestinationEncryptionAlgorithm", "SYMMETRIC_DEFAULT");
    api_jw_obj_end(o->w);
done:
    if (plain.p)
        OPENSSL_cleanse(plain.p, plain.len);
    kv_buf_dispose(&plain);
    kv_buf_dispose(&out);
    kv_buf_dispose(&scanon);
    kv_buf_dispose(&dcanon);
    kv_buf_dispose(&blob);
}

void kms_op_generate_data_key(kms_rq_t *o, bool with_plain)
{
    kms_key_t *k;
    const api_json_t *ctx;
    kv_slice_t spec;
    int64_t nbytes;
    kv_buf_t canon, blob;
    kv_buf_init(&canon, KMS_CTX_MAX * 2);
    kv_buf_init(&blob, KMS_BLOB_MAX);
    uint8_t plain[KMS_RANDOM_MAX];
    size_t n = 0;
    if (kms_arg_key(o, "KeyId", true, &k) < 0 ||
        kms_arg_str(o, "KeySpec", false, 1, 16, &spec) < 0 ||
        kms_arg_int(o, "NumberOfBytes", 1, KMS_RANDOM_MAX, -1, &nbytes) < 0 ||
        kms_arg_context(o, "EncryptionContext", &ctx, &canon) < 0 || kms_arg_grant_tokens(o) < 0)
        goto out;
    if (spec.p && nbytes >= 0) {
        api_fail(o->resp, API_E_KMS_VALIDATION,
                 "Please specify either number of bytes or key spec.");
        goto out;
    }
    if (spec.p) {
        if (!kv_slice_eq_str(spec, "AES_256") && !kv_slice_eq_str(spec, "AES_128")) {
            api_fail(o->resp, API_E_KMS_VALIDATION,
                     "1 validation error detected: Value '%.*s' at 'keySpec' failed to satisfy "
                     "constraint: Member must satisfy enum value set: [AES_256, AES_128]",
                     (int)spec.len, (const char *)spec.p);
            goto out;
        }
        n = kv_slice_eq_str(spec, "AES_256") ? 32 : 16;
    } else if (nbytes >= 0) {
        n = (size_t)nbytes;
    } else {
        api_fail(o->resp, API_E_KMS_VALIDATION,
                 "Please specify either number of bytes or key spec.");
        goto out;
    }
    if (kms_authz_op(o, with_plain ? "kms:GenerateDataKey" : "kms:GenerateDataKeyWithoutPlaintext",
                     k, ctx) < 0 ||
        kms_need_state(o, k, true) < 0)
        goto out;
    kv_random(plain, n);
    if (seal(o, k, kv_buf_slice(&canon), kv_slice(plain, n), &blob) < 0)
        goto out;
    api_jw_obj_begin(o->w);
    kms_jw_b64(o->w, "CiphertextBlob", blob.p, blob.len);
    if (with_plain)
        kms_jw_b64(o->w, "Plaintext", plain, n);
    api_jw_kstr(o->w, "KeyId", k->arn);
    api_jw_obj_end(o->w);
out:
    OPENSSL_cleanse(plain, sizeof(plain));
    kv_buf_dispose(&canon);
    kv_buf_dispose(&blob);
}

void kms_op_generate_random(kms_rq_t *o)
{
    int64_t n;
    if (kms_arg_int(o, "NumberOfBytes", 1, KMS_RANDOM_MAX, -1, &n) < 0)
        return;
    if (kms_jt(api_json_get(o->in, "CustomKeyStoreId")) != API_J_NULL) {
        api_fail(o->resp, API_E_KMS_UNSUPPORTED, "Custom key stores are not supported.");
        return;
    }
    if (kms_authz_op(o, "kms:GenerateRandom", NULL, NULL) < 0)
        return;
    if (n < 0) {
        api_fail(o->resp, API_E_KMS_VALIDATION,
                 "1 validation error detected: Value null at 'numberOfBytes' failed to satisfy "
                 "constraint: Member must not be null");
        return;
    }
    uint8_t b[KMS_RANDOM_MAX];
    kv_random(b, (size_t)n);
    api_jw_obj_begin(o->w);
    kms_jw_b64(o->w, "Plaintext", b, (size_t)n);
    api_jw_obj_end(o->w);
    OPENSSL_cleanse(b, sizeof(b));
}
