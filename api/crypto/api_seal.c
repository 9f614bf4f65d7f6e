/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server's master key and sealing under it (issue 16): every key Stratus keeps at rest (an
 * SSE-S3 object's data key, a KMS key's material) is sealed here with AES-256-GCM, its purpose
 * bound as additional authenticated data.
 */
#include "api_seal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "base/kv_hash.h"
#include "base/kv_log.h"

#define SEAL_VERSION 1
#define NONCE_LEN    12
#define TAG_LEN      16

/* One AES-256-GCM pass: enc 1 seals, 0 opens (tag in/out). @return 0 or -1. */
static int gcm(int enc, const uint8_t key[32], const uint8_t nonce[NONCE_LEN], kv_slice_t aad,
               const uint8_t *in, size_t n, uint8_t *out, uint8_t tag[TAG_LEN])
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0, ok = c != NULL && n <= INT32_MAX && aad.len <= INT32_MAX &&
                      EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce, enc) == 1 &&
                      (aad.len == 0 || EVP_CipherUpdate(c, NULL, &len, aad.p, (int)aad.len) == 1) &&
                      (n == 0 || EVP_CipherUpdate(c, out, &len, in, (int)n) == 1);
    if (ok && !enc)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1;
    if (ok)
        ok = EVP_CipherFinal_ex(c, out + (n ? (size_t)len : 0), &len) == 1;
    if (ok && enc)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : -1;
}

void api_seal(const api_ctx_t *ctx, kv_slice_t aad, kv_slice_t plain, kv_buf_t *out)
{
    uint8_t nonce[NONCE_LEN];
    kv_random(nonce, sizeof(nonce));
    size_t at = out->len;
    if (!kv_buf_reserve(out, API_SEAL_OVERHEAD + plain.len))
        return;
    kv_buf_append_byte(out, SEAL_VERSION);
    kv_buf_append(out, nonce, sizeof(nonce));
    uint8_t *ct = out->p + out->len, tag[TAG_LEN];
    if (gcm(1, ctx->master_key, nonce, aad, plain.p, plain.len, ct, tag) < 0) {
        out->len = at; /* cannot happen with a valid key; leave nothing half-written */
        out->failed = true;
        return;
    }
    out->len += plain.len;
    kv_buf_append(out, tag, sizeof(tag));
}

int api_unseal(const api_ctx_t *ctx, kv_slice_t aad, kv_slice_t sealed, kv_buf_t *plain)
{
    if (sealed.len < API_SEAL_OVERHEAD || sealed.p[0] != SEAL_VERSION)
        return -1;
    size_t n = sealed.len - API_SEAL_OVERHEAD, at = plain->len;
    if (!kv_buf_reserve(plain, n + 1))
        return -1;
    uint8_t tag[TAG_LEN];
    memcpy(tag, sealed.p + 1 + NONCE_LEN + n, TAG_LEN);
    if (gcm(0, ctx->master_key, sealed.p + 1, aad, sealed.p + 1 + NONCE_LEN, n, plain->p + at,
            tag) < 0) {
        OPENSSL_cleanse(plain->p + at, n);
        return -1;
    }
    plain->len = at + n;
    return 0;
}

/* ---- the master key file ---- */

static int create_key_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno == EEXIST ? 0 : -1;
    uint8_t k[API_MASTER_KEY_LEN];
    kv_random(k, sizeof(k));
    ssize_t w = write(fd, k, sizeof(k));
    OPENSSL_cleanse(k, sizeof(k));
    int rc = w == (ssize_t)sizeof(k) && fsync(fd) == 0 ? 0 : -1;
    close(fd);
    if (rc < 0) {
        unlink(path);
        return -1;
    }
    KV_LOG_INFO("created the master key %s (keep it: encrypted objects and KMS keys need it)",
                path);
    return 0;
}

int api__master_key_load(api_ctx_t *ctx, const char *file, char *err, size_t cap)
{
    char def[4096];
    const char *path = file;
    if (path == NULL || !*path) {
        snprintf(def, sizeof(def), "%s/STRATUS-MASTER-KEY", ctx->data_dir);
        path = def;
        if (create_key_file(path) < 0) {
            snprintf(err, cap, "cannot create the master key %s: %s", path, strerror(errno));
            return -1;
        }
    }
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) < 0) {
        snprintf(err, cap, "cannot read the master key %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    const char *why = !S_ISREG(sb.st_mode)               ? "is not a regular file"
                      : (sb.st_mode & 077) != 0          ? "is readable by others (chmod 600)"
                      : sb.st_size != API_MASTER_KEY_LEN ? "is not 32 bytes long"
                      : read(fd, ctx->master_key, API_MASTER_KEY_LEN) != API_MASTER_KEY_LEN
                          ? "cannot be read"
                          : NULL;
    close(fd);
    if (why) {
        snprintf(err, cap, "the master key %s %s", path, why);
        OPENSSL_cleanse(ctx->master_key, sizeof(ctx->master_key));
        return -1;
    }
    return 0;
}
