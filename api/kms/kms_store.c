/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KMS's records (kms_int.h gives the layout): keys as JSON documents with their material
 * versions sealed under the master key, aliases with their index by key, grants; the AWS
 * managed keys (alias/aws/<service>) made on first use; a key past its deletion date deleted
 * when it is next read (and by the kms-delete job).
 */
#include <string.h>

#include <openssl/crypto.h>

#include "api_arn.h"
#include "base/kv_b64.h"
#include "base/kv_hash.h"
#include "base/kv_time.h"
#include "crypto/api_seal.h"
#include "kms_int.h"

/* The AWS managed aliases ListAliases shows (alias/aws/<service>); the first two are the ones
 * this server's services use. */
static const char *const aws_aliases[] = {
    "alias/aws/dynamodb", "alias/aws/ebs", "alias/aws/lambda", "alias/aws/rds",
    "alias/aws/s3",       "alias/aws/sns", "alias/aws/sqs",    "alias/aws/secretsmanager",
};

bool kms_aws_alias(kv_slice_t name)
{
    for (size_t i = 0; i < sizeof(aws_aliases) / sizeof(aws_aliases[0]); i++)
        if (kv_slice_eq_str(name, aws_aliases[i]))
            return true;
    return false;
}

size_t kms_aws_aliases(const char *const **out)
{
    *out = aws_aliases;
    return sizeof(aws_aliases) / sizeof(aws_aliases[0]);
}

const char *kms_key_arn(api_ctx_t *ctx, kv_arena_t *a, const char *id)
{
    return api_arn_new(a, "kms", ctx->region, "key/%s", id);
}

const char *kms_alias_arn(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t name)
{
    return api_arn_new(a, "kms", ctx->region, "%.*s", (int)name.len, (const char *)name.p);
}

const char *kms_default_policy(kv_arena_t *a)
{
    return kv_arena_printf(a,
                           "{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n"
                           "  \"Statement\" : [ {\n    \"Sid\" : \"Enable IAM User Permissions\",\n"
                           "    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n"
                           "      \"AWS\" : \"arn:aws:iam::%s:root\"\n    },\n"
                           "    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  } ]\n}",
                           API_ACCOUNT_ID);
}

const char *kms_aws_policy(api_ctx_t *ctx, kv_arena_t *a, const char *service)
{
    return kv_arena_printf(
        a,
        "{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"auto-%s-1\",\n  \"Statement\" : [ {\n"
        "    \"Sid\" : \"Allow access through %s for all principals in the account that are "
        "authorized to use %s\",\n    \"Effect\" : \"Allow\",\n"
        "    \"Principal\" : {\n      \"AWS\" : \"*\"\n    },\n"
        "    \"Action\" : [ \"kms:Encrypt\", \"kms:Decrypt\", \"kms:ReEncrypt*\", "
        "\"kms:GenerateDataKey*\", \"kms:DescribeKey\" ],\n    \"Resource\" : \"*\",\n"
        "    \"Condition\" : {\n      \"StringEquals\" : {\n"
        "        \"kms:CallerAccount\" : \"%s\",\n"
        "        \"kms:ViaService\" : \"%s.%s.amazonaws.com\"\n      }\n    }\n  }, {\n"
        "    \"Sid\" : \"Allow direct access to key metadata to the account\",\n"
        "    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n"
        "      \"AWS\" : \"arn:aws:iam::%s:root\"\n    },\n"
        "    \"Action\" : [ \"kms:Describe*\", \"kms:Get*\", \"kms:List*\" ],\n"
        "    \"Resource\" : \"*\"\n  } ]\n}",
        service, service, service, API_ACCOUNT_ID, service, ctx->region, API_ACCOUNT_ID);
}

/* ---- keys ---- */

static kv_slice_t key_key(kv_arena_t *a, const char *id)
{
    return kv_slice_str(kv_arena_printf(a, "k%s", id));
}

static kv_slice_t seal_aad(char buf[8 + KMS_ID_LEN], const char *id)
{
    memcpy(buf, "kms:", 4);
    memcpy(buf + 4, id, KMS_ID_LEN);
    return kv_slice(buf, 4 + KMS_ID_LEN);
}

void kms_key_add_material(api_ctx_t *ctx, kv_arena_t *a, kms_key_t *k, bool on_demand)
{
    uint8_t mat[KMS_MAT_LEN];
    kv_random(mat, sizeof(mat));
    kv_buf_t b;
    kv_buf_init(&b, 256);
    char aad[8 + KMS_ID_LEN];
    api_seal(ctx, seal_aad(aad, k->id), kv_slice(mat, sizeof(mat)), &b);
    OPENSSL_cleanse(mat, sizeof(mat));
    kms_mat_t *m = kv_arena_calloc(a, k->n_mats + 1, sizeof(*m));
    if (k->n_mats)
        memcpy(m, k->mats, k->n_mats * sizeof(*m));
    m[k->n_mats] = (kms_mat_t){
        .v = k->n_mats ? k->mats[k->n_mats - 1].v + 1 : 1,
        .ms = kv_now_ms(),
        .on_demand = on_demand,
        .sealed = kv_arena_dup(a, kv_buf_slice(&b)),
    };
    kv_buf_dispose(&b);
    k->mats = m;
    k->n_mats++;
}

kms_key_t *kms_key_new(api_ctx_t *ctx, kv_arena_t *a, const char *policy)
{
    kms_key_t *k = kv_arena_calloc(a, 1, sizeof(*k));
    kv_uuid4(k->id);
    k->arn = kms_key_arn(ctx, a, k->id);
    k->desc = "";
    k->created_ms = kv_now_ms();
    k->policy = policy ? policy : kms_default_policy(a);
    k->rotation_days = 365;
    kms_key_add_material(ctx, a, k, false);
    return k;
}

int kms_key_material(api_ctx_t *ctx, const kms_key_t *k, uint32_t v, uint8_t mat[KMS_MAT_LEN])
{
    for (size_t i = 0; i < k->n_mats; i++) {
        if (k->mats[i].v != v)
            continue;
        kv_buf_t b;
        kv_buf_init(&b, 64);
        char aad[8 + KMS_ID_LEN];
        int rc = api_unseal(ctx, seal_aad(aad, k->id), k->mats[i].sealed, &b);
        if (rc == 0 && b.len == KMS_MAT_LEN)
            memcpy(mat, b.p, KMS_MAT_LEN);
        else
            rc = -1;
        if (b.p)
            OPENSSL_cleanse(b.p, b.len);
        kv_buf_dispose(&b);
        return rc;
    }
    return -1;
}

static kv_slice_t key_encode(kv_arena_t *a, const kms_key_t *k)
{
    kv_buf_t b;
    kv_buf_init(&b, ENG_KMS_VAL_MAX);
    api_jw_t w;
    api_jw_init(&w, &b);
    api_jw_obj_begin(&w);
    api_jw_kstr(&w, "d", k->desc ? k->desc : "");
    api_jw_key(&w, "c");
    api_jw_i64(&w, k->created_ms);
    api_jw_ku64(&w, "s", (uint64_t)k->state);
    api_jw_key(&w, "dd");
    api_jw_i64(&w, k->deletion_ms);
    api_jw_ku64(&w, "pd", k->pending_days);
    api_jw_kbool(&w, "m", k->aws_managed);
    api_jw_kstr(&w, "p", k->policy ? k->policy : "");
    api_jw_key(&w, "t");
    api_jw_arr_begin(&w);
    for (size_t i = 0; i < k->n_tags; i++) {
        api_jw_arr_begin(&w);
        api_jw_str(&w, k->tags[i].key);
        api_jw_str(&w, k->tags[i].value);
        api_jw_arr_end(&w);
    }
    api_jw_arr_end(&w);
    api_jw_kbool(&w, "r", k->rotation);
    api_jw_ku64(&w, "rp", k->rotation_days);
    api_jw_key(&w, "rn");
    api_jw_i64(&w, k->next_rotation_ms);
    api_jw_key(&w, "v");
    api_jw_arr_begin(&w);
    kv_buf_t s;
    kv_buf_init(&s, 1024);
    for (size_t i = 0; i < k->n_mats; i++) {
        api_jw_arr_begin(&w);
        api_jw_u64(&w, k->mats[i].v);
        api_jw_i64(&w, k->mats[i].ms);
        api_jw_bool(&w, k->mats[i].on_demand);
        kv_buf_reset(&s);
        kv_b64_encode(&s, k->mats[i].sealed.p, k->mats[i].sealed.len);
        api_jw_str(&w, kv_buf_slice(&s));
        api_jw_arr_end(&w);
    }
    kv_buf_dispose(&s);
    api_jw_arr_end(&w);
    api_jw_obj_end(&w);
    kv_slice_t out = api_jw_ok(&w) ? kv_arena_dup(a, kv_buf_slice(&b)) : KV_SLICE_NULL;
    kv_buf_dispose(&b);
    return out;
}

static int64_t jint(const api_json_t *o, const char *k)
{
    int64_t v = 0;
    return api_json_int(api_json_get(o, k), &v) ? v : 0;
}

static const char *jstr(kv_arena_t *a, const api_json_t *o, const char *k)
{
    kv_slice_t s = api_json_str(api_json_get(o, k));
    return kv_arena_strndup(a, s.p ? (const char *)s.p : "", s.len);
}

static int key_decode(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t id, kv_slice_t val, kms_key_t **out)
{
    api_json_t *o;
    const char *err;
    if (api_json_parse(a, val, &o, &err) < 0 || api_json_type(o) != API_J_OBJ)
        return KV_ECORRUPT;
    kms_key_t *k = kv_arena_calloc(a, 1, sizeof(*k));
    memcpy(k->id, id.p, KMS_ID_LEN);
    k->arn = kms_key_arn(ctx, a, k->id);
    k->desc = jstr(a, o, "d");
    k->created_ms = jint(o, "c");
    int64_t st = jint(o, "s");
    k->state = st == 1 ? KMS_DISABLED : st == 2 ? KMS_PENDING_DELETION : KMS_ENABLED;
    k->deletion_ms = jint(o, "dd");
    k->pending_days = (uint32_t)jint(o, "pd");
    k->aws_managed = api_json_bool(api_json_get(o, "m"));
    k->policy = jstr(a, o, "p");
    const api_json_t *t = api_json_get(o, "t");
    size_t n = t && api_json_type(t) == API_J_ARR ? api_json_len(t) : 0;
    k->tags = kv_arena_calloc(a, n ? n : 1, sizeof(*k->tags));
    for (size_t i = 0; i < n; i++) {
        const api_json_t *p = api_json_at(t, i);
        k->tags[k->n_tags].key = api_json_str(api_json_at(p, 0));
        k->tags[k->n_tags].value = api_json_str(api_json_at(p, 1));
        k->n_tags++;
    }
    k->rotation = api_json_bool(api_json_get(o, "r"));
    k->rotation_days = (uint32_t)jint(o, "rp");
    k->next_rotation_ms = jint(o, "rn");
    const api_json_t *v = api_json_get(o, "v");
    n = v && api_json_type(v) == API_J_ARR ? api_json_len(v) : 0;
    k->mats = kv_arena_calloc(a, n ? n : 1, sizeof(*k->mats));
    for (size_t i = 0; i < n; i++) {
        const api_json_t *m = api_json_at(v, i);
        int64_t ver = 0, ms = 0;
        kv_buf_t s;
        kv_buf_init(&s, 1024);
        if (!api_json_int(api_json_at(m, 0), &ver) || !api_json_int(api_json_at(m, 1), &ms) ||
            !kv_b64_decode(&s, api_json_str(api_json_at(m, 3)))) {
            kv_buf_dispose(&s);
            return KV_ECORRUPT;
        }
        k->mats[k->n_mats++] = (kms_mat_t){(uint32_t)ver, ms, api_json_bool(api_json_at(m, 2)),
                                           kv_arena_dup(a, kv_buf_slice(&s))};
        kv_buf_dispose(&s);
    }
    if (k->n_mats == 0)
        return KV_ECORRUPT;
    *out = k;
    return 0;
}

int kms_key_load(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t id, kms_key_t **out)
{
    if (!kms_is_key_id(id))
        return KV_ENOTFOUND;
    kv_slice_t val;
    char idz[KMS_ID_LEN + 1];
    memcpy(idz, id.p, KMS_ID_LEN);
    idz[KMS_ID_LEN] = 0;
    int rc = eng_kms_get(ctx->eng, key_key(a, idz), a, &val);
    if (rc == 0)
        rc = key_decode(ctx, a, id, val, out);
    if (rc == 0 && (*out)->state == KMS_PENDING_DELETION && (*out)->deletion_ms <= kv_now_ms()) {
        rc = kms_key_purge(ctx, a, idz);
        if (rc == 0)
            rc = KV_ENOTFOUND;
    }
    return rc;
}

int kms_key_store(api_ctx_t *ctx, kv_arena_t *a, const kms_key_t *k, const eng_kms_op_t *extra,
                  size_t n_extra)
{
    kv_slice_t val = key_encode(a, k);
    if (val.p == NULL)
        return KV_ETOOBIG;
    eng_kms_op_t *ops = kv_arena_calloc(a, n_extra + 1, sizeof(*ops));
    ops[0] = (eng_kms_op_t){key_key(a, k->id), val};
    if (n_extra)
        memcpy(ops + 1, extra, n_extra * sizeof(*ops));
    return eng_kms_write(ctx->eng, ops, n_extra + 1);
}

/* Collect the keys under a prefix for deletion. */
typedef struct collect {
    kv_arena_t *a;
    kv_slice_t prefix;
    eng_kms_op_t *ops;
    size_t n, cap;
    kv_slice_t *alias_names; /* 'r' entries: the alias to delete too */
} collect_t;

static int collect_take(void *arg, kv_slice_t suffix, kv_slice_t val)
{
    (void)val;
    collect_t *c = arg;
    if (c->n + 2 > c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        eng_kms_op_t *ops = kv_arena_calloc(c->a, cap, sizeof(*ops));
        if (c->n)
            memcpy(ops, c->ops, c->n * sizeof(*ops));
        c->ops = ops;
        c->cap = cap;
    }
    kv_buf_t k;
    kv_buf_init(&k, ENG_KMS_KEY_MAX);
    kv_buf_append_slice(&k, c->prefix);
    kv_buf_append_slice(&k, suffix);
    c->ops[c->n++] = (eng_kms_op_t){kv_arena_dup(c->a, kv_buf_slice(&k)), KV_SLICE_NULL};
    if (c->alias_names) { /* the alias itself: 'a' + its name */
        kv_buf_reset(&k);
        kv_buf_append_byte(&k, 'a');
        kv_buf_append_slice(&k, suffix);
        c->ops[c->n++] = (eng_kms_op_t){kv_arena_dup(c->a, kv_buf_slice(&k)), KV_SLICE_NULL};
    }
    kv_buf_dispose(&k);
    return 0;
}

int kms_key_purge(api_ctx_t *ctx, kv_arena_t *a, const char *id)
{
    collect_t c = {.a = a};
    c.prefix = kv_slice_str(kv_arena_printf(a, "g%s/", id));
    int rc = eng_kms_scan(ctx->eng, c.prefix, KV_SLICE_NULL, 0, collect_take, &c);
    kv_slice_t dummy;
    c.prefix = kv_slice_str(kv_arena_printf(a, "r%s/", id));
    c.alias_names = &dummy;
    if (rc == 0)
        rc = eng_kms_scan(ctx->eng, c.prefix, KV_SLICE_NULL, 0, collect_take, &c);
    if (rc < 0)
        return rc;
    eng_kms_op_t *ops = kv_arena_calloc(a, c.n + 1, sizeof(*ops));
    if (c.n)
        memcpy(ops, c.ops, c.n * sizeof(*ops));
    ops[c.n] = (eng_kms_op_t){key_key(a, id), KV_SLICE_NULL};
    return eng_kms_write(ctx->eng, ops, c.n + 1);
}

/* ---- aliases ---- */

int kms_alias_get(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t name, char id[KMS_ID_LEN + 1],
                  int64_t *created_ms, int64_t *updated_ms)
{
    if (name.len == 0 || name.len > KMS_ALIAS_MAX)
        return KV_ENOTFOUND;
    kv_slice_t val;
    kv_slice_t key = kv_slice_str(kv_arena_printf(a, "a%.*s", (int)name.len, (const char *)name.p));
    int rc = eng_kms_get(ctx->eng, key, a, &val);
    if (rc < 0)
        return rc;
    api_json_t *o;
    const char *err;
    if (api_json_parse(a, val, &o, &err) < 0 || api_json_type(o) != API_J_OBJ)
        return KV_ECORRUPT;
    kv_slice_t k = api_json_str(api_json_get(o, "k"));
    if (!kms_is_key_id(k))
        return KV_ECORRUPT;
    memcpy(id, k.p, KMS_ID_LEN);
    id[KMS_ID_LEN] = 0;
    if (created_ms)
        *created_ms = jint(o, "c");
    if (updated_ms)
        *updated_ms = jint(o, "u");
    return 0;
}

void kms_alias_put_ops(kv_arena_t *a, kv_slice_t name, const char *id, int64_t created_ms,
                       int64_t updated_ms, eng_kms_op_t ops[2])
{
    const char *v = kv_arena_printf(a, "{\"k\":\"%s\",\"c\":%lld,\"u\":%lld}", id,
                                    (long long)created_ms, (long long)updated_ms);
    ops[0] = (eng_kms_op_t){
        kv_slice_str(kv_arena_printf(a, "a%.*s", (int)name.len, (const char *)name.p)),
        kv_slice_str(v)};
    ops[1] = (eng_kms_op_t){
        kv_slice_str(kv_arena_printf(a, "r%s/%.*s", id, (int)name.len, (const char *)name.p)),
        KV_SLICE_LIT("")};
}

void kms_alias_del_ops(kv_arena_t *a, kv_slice_t name, const char *id, eng_kms_op_t ops[2])
{
    ops[0] = (eng_kms_op_t){
        kv_slice_str(kv_arena_printf(a, "a%.*s", (int)name.len, (const char *)name.p)),
        KV_SLICE_NULL};
    ops[1] = (eng_kms_op_t){
        kv_slice_str(kv_arena_printf(a, "r%s/%.*s", id, (int)name.len, (const char *)name.p)),
        KV_SLICE_NULL};
}

int kms_aws_key(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t name, char id[KMS_ID_LEN + 1])
{
    int rc = kms_alias_get(ctx, a, name, id, NULL, NULL);
    if (rc != KV_ENOTFOUND)
        return rc;
    kms_state_t *s = kms_state(ctx);
    pthread_mutex_lock(&s->lock);
    rc = kms_alias_get(ctx, a, name, id, NULL, NULL); /* made meanwhile? */
    if (rc == KV_ENOTFOUND) {
        const char *svc = kv_arena_strndup(a, name.p + 10, name.len - 10); /* "alias/aws/" */
        kms_key_t *k = kms_key_new(ctx, a, kms_aws_policy(ctx, a, svc));
        k->aws_managed = true;
        k->desc = kv_arena_printf(a,
                                  "Default key that protects my %s data when no other key is "
                                  "defined",
                                  svc);
        k->rotation = true; /* AWS managed keys rotate every year */
        k->next_rotation_ms = k->created_ms + 365 * KMS_DAY_MS;
        eng_kms_op_t ops[2];
        kms_alias_put_ops(a, name, k->id, k->created_ms, k->created_ms, ops);
        rc = kms_key_store(ctx, a, k, ops, 2);
        if (rc == 0)
            memcpy(id, k->id, KMS_ID_LEN + 1);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* ---- grants ---- */

kv_slice_t kms_grant_key(kv_arena_t *a, const char *key_id, const char *grant_id)
{
    return kv_slice_str(kv_arena_printf(a, "g%s/%s", key_id, grant_id));
}

kv_slice_t kms_grant_encode(kv_arena_t *a, const kms_grant_t *g)
{
    kv_buf_t b;
    kv_buf_init(&b, ENG_KMS_VAL_MAX);
    api_jw_t w;
    api_jw_init(&w, &b);
    api_jw_obj_begin(&w);
    api_jw_kstr(&w, "id", g->id);
    api_jw_kstr(&w, "n", g->name ? g->name : "");
    api_jw_kstr(&w, "g", g->grantee);
    api_jw_kstr(&w, "r", g->retiring ? g->retiring : "");
    api_jw_kstr(&w, "i", g->issuer ? g->issuer : "");
    api_jw_key(&w, "c");
    api_jw_i64(&w, g->created_ms);
    api_jw_key(&w, "o");
    api_jw_arr_begin(&w);
    for (size_t i = 0; i < g->n_ops; i++)
        api_jw_cstr(&w, g->ops[i]);
    api_jw_arr_end(&w);
    kv_buf_t d;
    kv_buf_init(&d, ENG_KMS_VAL_MAX);
    if (g->ctx_equals && api_json_dump(g->ctx_equals, &d)) {
        api_jw_key(&w, "ce");
        api_jw_raw(&w, kv_buf_slice(&d));
    }
    kv_buf_reset(&d);
    if (g->ctx_subset && api_json_dump(g->ctx_subset, &d)) {
        api_jw_key(&w, "cs");
        api_jw_raw(&w, kv_buf_slice(&d));
    }
    kv_buf_dispose(&d);
    api_jw_obj_end(&w);
    kv_slice_t out = api_jw_ok(&w) ? kv_arena_dup(a, kv_buf_slice(&b)) : KV_SLICE_NULL;
    kv_buf_dispose(&b);
    return out;
}

typedef struct grants {
    api_ctx_t *ctx;
    kv_arena_t *a;
    const char *key_id;
    kms_grant_t *g;
    size_t n;
} grants_t;

static int grant_take(void *arg, kv_slice_t suffix, kv_slice_t val)
{
    (void)suffix;
    grants_t *gs = arg;
    api_json_t *o;
    const char *err;
    if (api_json_parse(gs->a, kv_arena_dup(gs->a, val), &o, &err) < 0 ||
        api_json_type(o) != API_J_OBJ)
        return 0; /* skipped: never written so */
    kms_grant_t *g = &gs->g[gs->n++];
    g->key_id = gs->key_id;
    g->id = jstr(gs->a, o, "id");
    g->name = jstr(gs->a, o, "n");
    g->grantee = jstr(gs->a, o, "g");
    g->retiring = jstr(gs->a, o, "r");
    g->issuer = jstr(gs->a, o, "i");
    g->created_ms = jint(o, "c");
    const api_json_t *ops = api_json_get(o, "o");
    size_t n = ops && api_json_type(ops) == API_J_ARR ? api_json_len(ops) : 0;
    g->ops = kv_arena_calloc(gs->a, n ? n : 1, sizeof(*g->ops));
    for (size_t i = 0; i < n; i++) {
        kv_slice_t s = api_json_str(api_json_at(ops, i));
        g->ops[g->n_ops++] = kv_arena_strndup(gs->a, s.p ? (const char *)s.p : "", s.len);
    }
    g->ctx_equals = api_json_get(o, "ce");
    g->ctx_subset = api_json_get(o, "cs");
    return 0;
}

int kms_grants_load(api_ctx_t *ctx, kv_arena_t *a, const char *id, kms_grant_t **out, size_t *n)
{
    grants_t gs = {ctx, a, kv_arena_strndup(a, id, strlen(id)), NULL, 0};
    gs.g = kv_arena_calloc(a, KMS_GRANTS_MAX + 1, sizeof(*gs.g));
    int rc = eng_kms_scan(ctx->eng, kv_slice_str(kv_arena_printf(a, "g%s/", id)), KV_SLICE_NULL,
                          KMS_GRANTS_MAX, grant_take, &gs);
    *out = gs.g;
    *n = gs.n;
    return rc;
}

/* ---- resolving a KeyId ---- */

int kms_resolve(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t in, bool aliases, char id[KMS_ID_LEN + 1],
                kv_slice_t *alias)
{
    *alias = KV_SLICE_NULL;
    if (in.len == 0 || in.len > 2048)
        return KV_EINVAL;
    kv_slice_t name = in;
    if (kv_slice_starts_with(in, "arn:")) {
        api_arn_t arn;
        if (!api_arn_parse(in, &arn) || !kv_slice_eq_str(arn.service, "kms") ||
            !kv_slice_eq_str(arn.region, ctx->region) ||
            !kv_slice_eq_str(arn.account, API_ACCOUNT_ID))
            return KV_EINVAL;
        kv_slice_t rest;
        if (api_arn_after(&arn, "key/", &rest)) {
            name = rest;
            if (!kms_is_key_id(name))
                return KV_EINVAL;
        } else if (kv_slice_starts_with(arn.resource, "alias/")) {
            name = arn.resource;
        } else {
            return KV_EINVAL;
        }
    }
    if (kv_slice_starts_with(name, "alias/")) {
        if (!aliases)
            return KV_EINVAL;
        *alias = name;
        if (kms_aws_alias(name))
            return kms_aws_key(ctx, a, name, id);
        return kms_alias_get(ctx, a, name, id, NULL, NULL);
    }
    if (!kms_is_key_id(name))
        return KV_EINVAL;
    memcpy(id, name.p, KMS_ID_LEN);
    id[KMS_ID_LEN] = 0;
    return 0;
}
