/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KMS (issue 16, package K): the ciphertext blob (round trip, every tampered byte refused,
 * the encryption context bound and canonical), and the data keys S3 asks for (api_kms.h)
 * through a real api context: the AWS managed key made on first use, a customer key's states
 * (disabled, pending deletion, deleted) answered with S3's KMS.* errors, rotation keeping old
 * blobs readable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api_harness.h"
#include "api_int.h"
#include "kms/api_kms.h"
#include "kms/kms_int.h"

/* ---- the blob ---- */

static const api_json_t *json(kv_arena_t *a, const char *text)
{
    api_json_t *j;
    const char *err;
    assert_int_equal(api_json_parse(a, kv_slice_str(text), &j, &err), 0);
    return j;
}

static void canon(kv_arena_t *a, const char *text, kv_buf_t *out)
{
    const char *why = NULL;
    kv_buf_reset(out);
    assert_int_equal(kms_ctx_canon(a, text ? json(a, text) : NULL, out, &why), 0);
}

static void test_blob(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(4096);
    uint8_t mat[KMS_MAT_LEN], other[KMS_MAT_LEN];
    memset(mat, 7, sizeof(mat));
    memset(other, 8, sizeof(other));
    const char *id = "0123abcd-0000-4000-8000-0123456789ab";
    kv_buf_t c1, c2, c3, blob, plain;
    kv_buf_init(&c1, 1 << 16);
    kv_buf_init(&c2, 1 << 16);
    kv_buf_init(&c3, 1 << 16);
    kv_buf_init(&blob, 1 << 16);
    kv_buf_init(&plain, 1 << 16);
    canon(a, "{\"b\":\"2\",\"a\":\"1\"}", &c1);
    canon(a, "{\"a\":\"1\",\"b\":\"2\"}", &c2); /* the same context in another order */
    canon(a, "{\"a\":\"1\",\"b\":\"3\"}", &c3);
    assert_int_equal(c1.len, c2.len);
    assert_memory_equal(c1.p, c2.p, c1.len);
    kms_blob_seal(mat, id, 3, kv_buf_slice(&c1), KV_SLICE_LIT("attack at dawn"), &blob);
    assert_int_equal(blob.len, KMS_BLOB_OVERHEAD + 14);
    kms_blob_t b;
    assert_true(kms_blob_parse(kv_buf_slice(&blob), &b));
    assert_string_equal(b.key_id, id);
    assert_int_equal(b.version, 3);
    assert_int_equal(kms_blob_open(mat, &b, kv_buf_slice(&c2), &plain), 0);
    assert_int_equal(plain.len, 14);
    assert_memory_equal(plain.p, "attack at dawn", 14);
    /* another context, no context, another material: refused, nothing appended */
    kv_buf_reset(&plain);
    assert_int_equal(kms_blob_open(mat, &b, kv_buf_slice(&c3), &plain), -1);
    assert_int_equal(kms_blob_open(mat, &b, KV_SLICE_NULL, &plain), -1);
    assert_int_equal(kms_blob_open(other, &b, kv_buf_slice(&c1), &plain), -1);
    /* every flipped bit: not parsed, or not opened */
    for (size_t i = 0; i < blob.len; i++) {
        blob.p[i] ^= 0x01;
        kms_blob_t t;
        if (kms_blob_parse(kv_buf_slice(&blob), &t))
            assert_int_equal(kms_blob_open(mat, &t, kv_buf_slice(&c1), &plain), -1);
        blob.p[i] ^= 0x01;
    }
    assert_int_equal(plain.len, 0);
    /* truncations and junk */
    for (size_t n = 0; n < blob.len; n++) {
        kms_blob_t t;
        if (kms_blob_parse(kv_slice(blob.p, n), &t))
            assert_int_equal(kms_blob_open(mat, &t, kv_buf_slice(&c1), &plain), -1);
    }
    assert_false(kms_blob_parse(KV_SLICE_LIT("not a blob at all, not a blob at all, not a blob "
                                             "at all, not a blob at all"),
                                &b));
    /* contexts that are not maps of strings */
    const char *why = NULL;
    kv_buf_reset(&c3);
    assert_int_equal(kms_ctx_canon(a, json(a, "{\"a\":1}"), &c3, &why), -1);
    assert_int_equal(kms_ctx_canon(a, json(a, "[\"a\"]"), &c3, &why), -1);
    /* an empty context is none */
    canon(a, "{}", &c3);
    assert_int_equal(c3.len, 0);
    kv_buf_dispose(&c1);
    kv_buf_dispose(&c2);
    kv_buf_dispose(&c3);
    kv_buf_dispose(&blob);
    kv_buf_dispose(&plain);
    kv_arena_free(a);
}

/* ---- data keys through the api ---- */

static harness_t h;
static const api_service_t *s3svc;

/* A request of the S3 service as the account root (what S3's handler hands api_kms_*). */
typedef struct fake {
    api_req_t req;
    api_resp_t resp;
} fake_t;

static void fake_begin(fake_t *f)
{
    memset(f, 0, sizeof(*f));
    f->req.arena = kv_arena_new(4096);
    api_state_t *st = kv_arena_calloc(f->req.arena, 1, sizeof(*st));
    st->svc = s3svc;
    api__principal_root(h.ctx, &st->principal);
    f->req._st = st;
    api_resp_init(&f->resp, &f->req);
}

static void fake_end(fake_t *f)
{
    api_resp_dispose(&f->resp);
    kv_arena_free(f->req.arena);
}

static const char *code_of(const fake_t *f)
{
    return f->resp._err ? api_err_code(f->resp._err) : "";
}

static int kms(const char *op, const char *body, kv_buf_t *out)
{
    char target[96];
    snprintf(target, sizeof(target), "TrentService.%s", op);
    if (out)
        kv_buf_reset(out);
    return harness_json(&h, "kms", "POST", "/", NULL, target, kv_slice_str(body), out);
}

/* A new customer key's id. */
static void create_key(char id[KMS_ID_LEN + 1])
{
    kv_buf_t out;
    kv_buf_init(&out, 1 << 16);
    assert_int_equal(kms("CreateKey", "{}", &out), 200);
    kv_buf_append_byte(&out, 0);
    const char *p = strstr((const char *)out.p, "\"KeyId\":\"");
    assert_non_null(p);
    memcpy(id, p + 9, KMS_ID_LEN);
    id[KMS_ID_LEN] = 0;
    kv_buf_dispose(&out);
}

static int generate(const char *key, const char *ctx, uint8_t plain[32], kv_buf_t *blob,
                    const char **code)
{
    fake_t f;
    fake_begin(&f);
    const char *arn = NULL;
    kv_buf_reset(blob);
    int rc =
        api_kms_generate(h.ctx, &f.req, &f.resp, "s3", key, kv_slice_str(ctx), plain, blob, &arn);
    static char c[64];
    snprintf(c, sizeof(c), "%s", code_of(&f));
    *code = c;
    if (rc == 0)
        assert_true(strncmp(arn, "arn:aws:kms:us-east-1:000000000000:key/", 39) == 0);
    else
        assert_int_equal(f.resp.status == 0 || f.resp.status >= 400, 1);
    fake_end(&f);
    return rc;
}

static int decrypt(kv_slice_t blob, const char *ctx, uint8_t plain[32], const char **code)
{
    fake_t f;
    fake_begin(&f);
    const char *arn = NULL;
    int rc = api_kms_decrypt(h.ctx, &f.req, &f.resp, "s3", blob, kv_slice_str(ctx), plain, &arn);
    static char c[64];
    snprintf(c, sizeof(c), "%s", code_of(&f));
    *code = c;
    fake_end(&f);
    return rc;
}

static void test_data_keys(void **state)
{
    (void)state;
    uint8_t p1[32], p2[32];
    const char *code;
    kv_buf_t blob, blob2;
    kv_buf_init(&blob, 1 << 16);
    kv_buf_init(&blob2, 1 << 16);
    const char *ctx = "{\"aws:s3:arn\":\"arn:aws:s3:::b/k\"}";

    /* the AWS managed key alias/aws/s3: made on first use, then the same key */
    assert_int_equal(generate(NULL, ctx, p1, &blob, &code), 0);
    assert_int_equal(decrypt(kv_buf_slice(&blob), ctx, p2, &code), 0);
    assert_memory_equal(p1, p2, 32);
    assert_int_equal(generate("alias/aws/s3", ctx, p1, &blob2, &code), 0);
    kms_blob_t b1, b2;
    assert_true(kms_blob_parse(kv_buf_slice(&blob), &b1));
    assert_true(kms_blob_parse(kv_buf_slice(&blob2), &b2));
    assert_string_equal(b1.key_id, b2.key_id);
    /* another context: S3's KMS.InvalidCiphertextException */
    assert_int_equal(
        decrypt(kv_buf_slice(&blob), "{\"aws:s3:arn\":\"arn:aws:s3:::b/x\"}", p2, &code), -1);
    assert_string_equal(code, "KMS.InvalidCiphertextException");
    assert_int_equal(decrypt(kv_buf_slice(&blob), "", p2, &code), -1);
    assert_string_equal(code, "KMS.InvalidCiphertextException");
    assert_int_equal(decrypt(KV_SLICE_LIT("junk"), ctx, p2, &code), -1);
    assert_string_equal(code, "KMS.InvalidCiphertextException");

    /* unknown keys and aliases */
    assert_int_equal(generate("1b4e28ba-2fa1-4d2b-883f-0016d3cca427", ctx, p1, &blob, &code), -1);
    assert_string_equal(code, "KMS.NotFoundException");
    assert_int_equal(generate("alias/nothing", ctx, p1, &blob, &code), -1);
    assert_string_equal(code, "KMS.NotFoundException");
    assert_int_equal(generate("not-a-key", ctx, p1, &blob, &code), -1);
    assert_string_equal(code, "KMS.NotFoundException");

    /* a customer key by id, ARN and alias */
    char id[KMS_ID_LEN + 1], body[512], arn[128];
    create_key(id);
    snprintf(arn, sizeof(arn), "arn:aws:kms:us-east-1:000000000000:key/%s", id);
    snprintf(body, sizeof(body), "{\"AliasName\":\"alias/data\",\"TargetKeyId\":\"%s\"}", id);
    assert_int_equal(kms("CreateAlias", body, NULL), 200);
    assert_int_equal(generate(arn, ctx, p1, &blob, &code), 0);
    assert_int_equal(generate("alias/data", ctx, p1, &blob, &code), 0);
    assert_int_equal(generate(id, ctx, p1, &blob, &code), 0);
    fake_t f;
    fake_begin(&f);
    const char *rarn = NULL;
    assert_int_equal(api_kms_resolve(h.ctx, &f.req, &f.resp, "s3", "alias/data", &rarn), 0);
    assert_string_equal(rarn, arn);
    fake_end(&f);

    /* disabled: both ways refused; enabled again: readable */
    snprintf(body, sizeof(body), "{\"KeyId\":\"%s\"}", id);
    assert_int_equal(kms("DisableKey", body, NULL), 200);
    assert_int_equal(generate(id, ctx, p2, &blob2, &code), -1);
    assert_string_equal(code, "KMS.DisabledException");
    assert_int_equal(decrypt(kv_buf_slice(&blob), ctx, p2, &code), -1);
    assert_string_equal(code, "KMS.DisabledException");
    fake_begin(&f); /* a disabled key still resolves */
    assert_int_equal(api_kms_resolve(h.ctx, &f.req, &f.resp, "s3", id, &rarn), 0);
    fake_end(&f);
    assert_int_equal(kms("EnableKey", body, NULL), 200);
    assert_int_equal(decrypt(kv_buf_slice(&blob), ctx, p2, &code), 0);
    assert_memory_equal(p1, p2, 32);

    /* rotation: a new material version for new blobs, the old blob still opens */
    assert_int_equal(kms("RotateKeyOnDemand", body, NULL), 200);
    assert_int_equal(generate(id, ctx, p1, &blob2, &code), 0);
    assert_true(kms_blob_parse(kv_buf_slice(&blob2), &b2));
    assert_int_equal(b2.version, 2);
    assert_int_equal(decrypt(kv_buf_slice(&blob2), ctx, p2, &code), 0);
    assert_memory_equal(p1, p2, 32);
    assert_int_equal(decrypt(kv_buf_slice(&blob), ctx, p2, &code), 0);

    /* pending deletion: KMSInvalidStateException; deleted when the date passes: not found */
    setenv("STRATUS_KMS_DAY_MS", "10", 1);
    snprintf(body, sizeof(body), "{\"KeyId\":\"%s\",\"PendingWindowInDays\":7}", id);
    assert_int_equal(kms("ScheduleKeyDeletion", body, NULL), 200);
    assert_int_equal(decrypt(kv_buf_slice(&blob), ctx, p2, &code), -1);
    assert_string_equal(code, "KMS.KMSInvalidStateException");
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    assert_int_equal(decrypt(kv_buf_slice(&blob), ctx, p2, &code), -1);
    assert_string_equal(code, "KMS.NotFoundException");
    assert_int_equal(generate("alias/data", ctx, p1, &blob, &code), -1);
    assert_string_equal(code, "KMS.NotFoundException"); /* its alias went with it */
    unsetenv("STRATUS_KMS_DAY_MS");
    kv_buf_dispose(&blob);
    kv_buf_dispose(&blob2);
}

static int setup(void **state)
{
    (void)state;
    if (harness_open(&h, "us-east-1") != 0)
        return -1;
    for (size_t i = 0; i < api_n_services; i++)
        if (strcmp(api_services[i]->name, "s3") == 0)
            s3svc = api_services[i];
    return s3svc ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    harness_close(&h);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blob),
        cmocka_unit_test(test_data_keys),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
