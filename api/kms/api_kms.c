/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KMS data keys for the other services (api_kms.h): S3's SSE-KMS and DynamoDB's
 * SSESpecification. Each call resolves the key (the AWS managed alias/aws/<service> key made on
 * first use), authorizes the caller as KMS would when the service calls on its behalf
 * (kms:ViaService), checks the key's state and answers in the calling service's error format.
 */
#include "kms/api_kms.h"

#include <string.h>

#include <openssl/crypto.h>

#include "base/kv_hash.h"
#include "kms_int.h"

typedef enum { E_NOT_FOUND, E_DISABLED, E_PENDING, E_CIPHERTEXT, E_INTERNAL } kerr_t;

/* The calling service's error for a KMS failure (S3: the KMS.* codes; else KMS's own). */
static int refuse(api_resp_t *resp, const char *service, kerr_t e, const char *msg)
{
    bool s3 = strcmp(service, "s3") == 0;
    static const api_err_t s3e[] = {API_E_S3_KMS_NOT_FOUND, API_E_S3_KMS_DISABLED,
                                    API_E_S3_KMS_INVALID_STATE, API_E_S3_KMS_INVALID_CIPHERTEXT,
                                    API_E_S3_KMS_INTERNAL};
    static const api_err_t kmse[] = {API_E_KMS_NOT_FOUND, API_E_KMS_DISABLED,
                                     API_E_KMS_INVALID_STATE, API_E_KMS_INVALID_CIPHERTEXT,
                                     API_E_KMS_INTERNAL};
    return api_refuse(resp, s3 ? s3e[e] : kmse[e], "%s", msg);
}

static const char *via(api_req_t *req, api_ctx_t *ctx, const char *service)
{
    return kv_arena_printf(req->arena, "%s.%s.amazonaws.com", service, ctx->region);
}

/* Resolve and read the key key_id names. */
static int load(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const char *service,
                const char *key_id, kms_key_t **out)
{
    char id[KMS_ID_LEN + 1];
    kv_slice_t alias;
    kv_slice_t in = key_id && *key_id
                        ? kv_slice_str(key_id)
                        : kv_slice_str(kv_arena_printf(req->arena, "alias/aws/%s", service));
    int rc = kms_resolve(ctx, req->arena, in, true, id, &alias);
    if (rc == 0)
        rc = kms_key_load(ctx, req->arena, kv_slice(id, KMS_ID_LEN), out);
    if (rc == KV_EINVAL || rc == KV_ENOTFOUND) {
        const char *msg = alias.len         ? kv_arena_printf(req->arena, "Alias %s is not found.",
                                                              kms_alias_arn(ctx, req->arena, alias))
                          : rc == KV_EINVAL ? kv_arena_printf(req->arena, "Invalid keyId '%.*s'",
                                                              (int)(in.len > 256 ? 256 : in.len),
                                                              (const char *)in.p)
                                            : kv_arena_printf(req->arena, "Key '%s' does not exist",
                                                              kms_key_arn(ctx, req->arena, id));
        return refuse(resp, service, E_NOT_FOUND, msg);
    }
    if (rc < 0)
        return refuse(resp, service, E_INTERNAL, "The key could not be read.");
    return 0;
}

static int usable(api_req_t *req, api_resp_t *resp, const char *service, const kms_key_t *k)
{
    if (k->state == KMS_DISABLED)
        return refuse(resp, service, E_DISABLED,
                      kv_arena_printf(req->arena, "%s is disabled.", k->arn));
    if (k->state == KMS_PENDING_DELETION)
        return refuse(resp, service, E_PENDING,
                      kv_arena_printf(req->arena, "%s is pending deletion.", k->arn));
    return 0;
}

/* The context text as JSON (empty: none) and its canonical form. */
static int context_of(api_req_t *req, api_resp_t *resp, const char *service, kv_slice_t text,
                      const api_json_t **json, kv_buf_t *canon)
{
    *json = NULL;
    if (text.len == 0)
        return 0;
    api_json_t *j;
    const char *why = NULL;
    if (api_json_parse(req->arena, text, &j, &why) < 0 ||
        kms_ctx_canon(req->arena, j, canon, &why) < 0)
        return refuse(resp, service, E_CIPHERTEXT, "The encryption context is not valid.");
    *json = j;
    return 0;
}

int api_kms_resolve(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const char *service,
                    const char *key_id, const char **key_arn)
{
    kms_key_t *k;
    if (load(ctx, req, resp, service, key_id, &k) < 0)
        return -1;
    *key_arn = k->arn;
    return 0;
}

int api_kms_generate(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const char *service,
                     const char *key_id, kv_slice_t context, uint8_t plain[API_KMS_DATA_KEY_LEN],
                     kv_buf_t *blob, const char **key_arn)
{
    kms_key_t *k;
    const api_json_t *cj;
    kv_buf_t canon;
    kv_buf_init(&canon, KMS_CTX_MAX * 2);
    int rc = -1;
    if (load(ctx, req, resp, service, key_id, &k) < 0 ||
        context_of(req, resp, service, context, &cj, &canon) < 0)
        goto out;
    kms_az_t az = {.action = "kms:GenerateDataKey",
                   .key = k,
                   .context = cj,
                   .via_service = via(req, ctx, service)};
    if (kms_authorize(ctx, req, resp, &az) < 0 || usable(req, resp, service, k) < 0)
        goto out;
    uint8_t mat[KMS_MAT_LEN];
    const kms_mat_t *cur = &k->mats[k->n_mats - 1];
    if (kms_key_material(ctx, k, cur->v, mat) < 0) {
        refuse(resp, service, E_INTERNAL, "The key material could not be read.");
        goto out;
    }
    kv_random(plain, API_KMS_DATA_KEY_LEN);
    kms_blob_seal(mat, k->id, cur->v, kv_buf_slice(&canon), kv_slice(plain, API_KMS_DATA_KEY_LEN),
                  blob);
    OPENSSL_cleanse(mat, sizeof(mat));
    *key_arn = k->arn;
    rc = 0;
out:
    kv_buf_dispose(&canon);
    return rc;
}

int api_kms_decrypt(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const char *service,
                    kv_slice_t blob, kv_slice_t context, uint8_t plain[API_KMS_DATA_KEY_LEN],
                    const char **key_arn)
{
    kms_blob_t b;
    if (!kms_blob_parse(blob, &b) || b.ct.len != API_KMS_DATA_KEY_LEN)
        return refuse(resp, service, E_CIPHERTEXT, "The ciphertext is not valid.");
    kms_key_t *k;
    const api_json_t *cj;
    kv_buf_t canon, out;
    kv_buf_init(&canon, KMS_CTX_MAX * 2);
    kv_buf_init(&out, 64);
    int rc = -1;
    if (load(ctx, req, resp, service, b.key_id, &k) < 0 ||
        context_of(req, resp, service, context, &cj, &canon) < 0)
        goto done;
    kms_az_t az = {
        .action = "kms:Decrypt", .key = k, .context = cj, .via_service = via(req, ctx, service)};
    if (kms_authorize(ctx, req, resp, &az) < 0 || usable(req, resp, service, k) < 0)
        goto done;
    uint8_t mat[KMS_MAT_LEN];
    if (kms_key_material(ctx, k, b.version, mat) < 0 ||
        kms_blob_open(mat, &b, kv_buf_slice(&canon), &out) < 0 || out.len != API_KMS_DATA_KEY_LEN) {
        OPENSSL_cleanse(mat, sizeof(mat));
        refuse(resp, service, E_CIPHERTEXT, "The ciphertext is not valid.");
        goto done;
    }
    OPENSSL_cleanse(mat, sizeof(mat));
    memcpy(plain, out.p, API_KMS_DATA_KEY_LEN);
    *key_arn = k->arn;
    rc = 0;
done:
    if (out.p)
        OPENSSL_cleanse(out.p, out.len);
    kv_buf_dispose(&out);
    kv_buf_dispose(&canon);
    return rc;
}
