/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Lambda function versions, aliases and layers in the catalog. A version is an immutable copy
 * of a function's record ('V' + name, 0, u32 version) sharing its code file; an alias ('A' +
 * function, 0, alias) names one version or two with a weight; a layer version ('Y' + name, 0,
 * u32 version; version 0 holds the last number given) keeps its zip beside functions' code.
 * A code file goes when neither $LATEST nor any version runs it any more.
 */
#include <stdio.h>
#include <string.h>

#include "base/kv_hash.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "eng_int.h"
#include "eng_keys.h"
#include "eng_rocks.h"
#include "eng_tlv.h"

static void sub_key(kv_buf_t *k, char kind, kv_slice_t name)
{
    eng__cat_key(k, kind, name);
    kv_buf_append_byte(k, 0);
}

static void num_key(kv_buf_t *k, char kind, kv_slice_t name, uint32_t n)
{
    sub_key(k, kind, name);
    eng_key_put_u32(k, n);
}

/* Walk the records under prefix (a catalog kind + name + 0), after key `from` (none: all),
 * giving each to cb until it returns non-zero (1: stop; <0: error). */
static int walk(eng_t *e, kv_slice_t prefix, kv_slice_t from,
                int (*cb)(void *arg, kv_slice_t key, kv_slice_t value), void *arg)
{
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_CATALOG);
    int rc = 0;
    for (eng_riter_seek(it, from.len ? from : prefix); eng_riter_valid(it); eng_riter_next(it)) {
        kv_slice_t key = eng_riter_key(it);
        if (key.len < prefix.len || memcmp(key.p, prefix.p, prefix.len) != 0)
            break;
        if (from.len && kv_slice_eq(key, from))
            continue;
        rc = cb(arg, key, eng_riter_value(it));
        if (rc != 0)
            break;
    }
    if (rc == 0)
        rc = eng_riter_status(it);
    eng_riter_free(it);
    return rc < 0 ? rc : 0;
}

/* ---- versions ---- */

typedef struct vscan {
    kv_arena_t *a;
    uint32_t code_id;
    bool found;
    eng_function_t *out;
    size_t n, cap;
    bool more;
    eng_batch_t *b;
    uint32_t *codes;
} vscan_t;

static int scan_code(void *arg, kv_slice_t key, kv_slice_t value)
{
    vscan_t *s = arg;
    (void)key;
    kv_arena_t *a = kv_arena_new(4096);
    eng_function_t *f;
    int rc = eng__function_decode(kv_arena_dup(a, value), a, &f);
    if (rc == 0 && f->code_id == s->code_id)
        s->found = true;
    kv_arena_free(a);
    return rc < 0 ? rc : s->found;
}

bool eng__code_in_versions(eng_t *e, kv_slice_t name, uint32_t code_id)
{
    kv_buf_t p;
    kv_buf_init(&p, name.len + 8);
    sub_key(&p, ENG_CAT_VERSION, name);
    vscan_t s = {.code_id = code_id};
    int rc = walk(e, kv_buf_slice(&p), KV_SLICE_NULL, scan_code, &s);
    kv_buf_dispose(&p);
    return rc < 0 || s.found; /* unsure: keep the file */
}

static int drop_one(void *arg, kv_slice_t key, kv_slice_t value)
{
    vscan_t *s = arg;
    if (key.p[0] == ENG_CAT_VERSION) {
        eng_function_t *f;
        int rc = eng__function_decode(kv_arena_dup(s->a, value), s->a, &f);
        if (rc < 0)
            return rc;
        if (s->n == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 16;
            uint32_t *c = kv_arena_calloc(s->a, cap, sizeof(*c));
            if (s->n)
                memcpy(c, s->codes, s->n * sizeof(*c));
            s->codes = c;
            s->cap = cap;
        }
        s->codes[s->n++] = f->code_id;
    }
    eng_batch_delete(s->b, ENG_CF_CATALOG, key);
    return 0;
}

int eng__versions_drop(eng_t *e, eng_batch_t *b, kv_slice_t name, kv_arena_t *a, uint32_t **codes,
                       size_t *n)
{
    kv_buf_t p;
    kv_buf_init(&p, name.len + 8);
    vscan_t s = {.a = a, .b = b};
    sub_key(&p, ENG_CAT_VERSION, name);
    int rc = walk(e, kv_buf_slice(&p), KV_SLICE_NULL, drop_one, &s);
    kv_buf_reset(&p);
    sub_key(&p, ENG_CAT_ALIAS, name);
    if (rc == 0)
        rc = walk(e, kv_buf_slice(&p), KV_SLICE_NULL, drop_one, &s);
    kv_buf_dispose(&p);
    *codes = s.codes;
    *n = s.n;
    return rc;
}

int eng_version_get(eng_t *e, kv_slice_t name, uint32_t n, kv_arena_t *a, eng_function_t **out)
{
    kv_buf_t k;
    kv_buf_init(&k, name.len + 8);
    num_key(&k, ENG_CAT_VERSION, name, n);
    int rc = eng__function_read(e, kv_buf_slice(&k), a, out);
    kv_buf_dispose(&k);
    return rc;
}

int eng_version_publish(eng_t *e, kv_slice_t name, const char *revision, const char *description,
                        kv_arena_t *a, eng_function_t **out, bool *created)
{
    kv_buf_t k, v;
    kv_buf_init(&k, name.len + 8);
    kv_buf_init(&v, 1 << 20);
    *created = false;
    pthread_mutex_lock(&e->cat_lock);
    eng__cat_key(&k, ENG_CAT_FUNCTION, name);
    eng_function_t *cur = NULL;
    int rc = eng__function_read(e, kv_buf_slice(&k), a, &cur);
    if (rc == 0 && revision && revision[0] && strcmp(revision, cur->revision) != 0)
        rc = KV_ECONDFAIL;
    /* Nothing changed since the last version: that version. */
    if (rc == 0 && cur->last_version && strcmp(cur->pub_revision, cur->revision) == 0) {
        int g = eng_version_get(e, name, cur->last_version, a, out);
        if (g != KV_ENOTFOUND) {
            rc = g;
            goto done;
        }
    }
    if (rc == 0) {
        eng_function_t *ver = kv_arena_calloc(a, 1, sizeof(*ver));
        *ver = *cur;
        ver->version = cur->last_version + 1;
        ver->last_version = 0;
        ver->pub_revision[0] = 0;
        ver->statements = NULL;
        ver->n_statements = 0;
        ver->tags = NULL; /* tags are the function's */
        ver->n_tags = 0;
        ver->event_config = NULL; /* a qualifier has settings of its own */
        ver->reserved = -1;
        if (description)
            ver->description = kv_arena_strndup(a, description, strlen(description));
        ver->modified_ms = kv_now_ms();
        kv_uuid4(ver->revision);
        cur->last_version = ver->version;
        memcpy(cur->pub_revision, cur->revision, sizeof(cur->pub_revision));
        eng_batch_t *b = eng_batch_new(e->rocks);
        kv_buf_reset(&v);
        eng__function_encode(cur, &v);
        eng_batch_put(b, ENG_CF_CATALOG, kv_buf_slice(&k), kv_buf_slice(&v));
        kv_buf_t vk, vv;
        kv_buf_init(&vk, name.len + 8);
        kv_buf_init(&vv, 1 << 20);
        num_key(&vk, ENG_CAT_VERSION, name, ver->version);
        eng__function_encode(ver, &vv);
        eng_batch_put(b, ENG_CF_CATALOG, kv_buf_slice(&vk), kv_buf_slice(&vv));
        rc = kv_buf_failed(&v) || kv_buf_failed(&vv) ? KV_ETOOBIG : eng__write(e, b);
        eng_batch_free(b);
        kv_buf_dispose(&vk);
        kv_buf_dispose(&vv);
        if (rc == 0) {
            *out = ver;
            *created = true;
        }
    }
done:
    pthread_mutex_unlock(&e->cat_lock);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

static int take_version(void *arg, kv_slice_t key, kv_slice_t value)
{
    vscan_t *s = arg;
    (void)key;
    if (s->n == s->cap) {
        s->more = true;
        return 1;
    }
    eng_function_t *f;
    int rc = eng__function_decode(kv_arena_dup(s->a, value), s->a, &f);
    if (rc < 0)
        return rc;
    s->out[s->n++] = *f;
    return 0;
}

int eng_version_list(eng_t *e, kv_slice_t name, uint32_t after, size_t limit, kv_arena_t *a,
                     eng_function_t **out, size_t *n, bool *more)
{
    kv_buf_t p, from;
    kv_buf_init(&p, name.len + 8);
    kv_buf_init(&from, name.len + 8);
    sub_key(&p, ENG_CAT_VERSION, name);
    if (after)
        num_key(&from, ENG_CAT_VERSION, name, after);
    vscan_t s = {.a = a, .cap = limit, .out = kv_arena_calloc(a, limit ? limit : 1, sizeof(**out))};
    int rc = walk(e, kv_buf_slice(&p), kv_buf_slice(&from), take_version, &s);
    kv_buf_dispose(&p);
    kv_buf_dispose(&from);
    *out = s.out;
    *n = s.n;
    *more = s.more;
    return rc;
}

/* ---- aliases ---- */

enum {
    AL_FUNCTION = 1,
    AL_NAME,
    AL_DESCRIPTION,
    AL_VERSION,
    AL_EXTRA_VERSION,
    AL_EXTRA_WEIGHT, /* the double's bits */
    AL_REVISION,
    AL_STATEMENT,
};

static int decode_weight(kv_slice_t v, kv_arena_t *a, void *dst)
{
    (void)a;
    uint64_t u;
    if (!eng_tlv_u64(v, &u))
        return KV_ECORRUPT;
    double d;
    memcpy(&d, &u, sizeof(d));
    if (!(d >= 0 && d <= 1))
        return KV_ECORRUPT;
    *(double *)dst = d;
    return 0;
}

static const eng_tlv_field_t alias_fields[] = {
    ENG_TLV_ROW(AL_FUNCTION, ENG_TLV_STR, eng_alias_t, function, .required = true),
    ENG_TLV_ROW(AL_NAME, ENG_TLV_STR, eng_alias_t, name, .required = true),
    ENG_TLV_ROW(AL_DESCRIPTION, ENG_TLV_STR, eng_alias_t, description),
    ENG_TLV_ROW(AL_VERSION, ENG_TLV_U32, eng_alias_t, version),
    ENG_TLV_ROW(AL_EXTRA_VERSION, ENG_TLV_U32, eng_alias_t, extra_version),
    ENG_TLV_ROW(AL_EXTRA_WEIGHT, ENG_TLV_FN, eng_alias_t, extra_weight, .fn = decode_weight),
    ENG_TLV_ROW(AL_REVISION, ENG_TLV_CHARS, eng_alias_t, revision,
                .size = sizeof(((eng_alias_t *)0)->revision)),
    ENG_TLV_LIST_ROW(AL_STATEMENT, ENG_TLV_STR_LIST, eng_alias_t, statements, n_statements),
};

static void encode_alias(const void *rec, kv_buf_t *b)
{
    const eng_alias_t *al = rec;
    eng_tlv_put_str(b, AL_FUNCTION, al->function);
    eng_tlv_put_str(b, AL_NAME, al->name);
    eng_tlv_put_str(b, AL_DESCRIPTION, al->description ? al->description : "");
    eng_tlv_put_u64(b, AL_VERSION, al->version);
    if (al->extra_version) {
        uint64_t u;
        memcpy(&u, &al->extra_weight, sizeof(u));
        eng_tlv_put_u64(b, AL_EXTRA_VERSION, al->extra_version);
        eng_tlv_put_u64(b, AL_EXTRA_WEIGHT, u);
    }
    eng_tlv_put_str(b, AL_REVISION, al->revision);
    for (size_t i = 0; i < al->n_statements; i++)
        eng_tlv_put_str(b, AL_STATEMENT, al->statements[i]);
}

static int decode_alias(kv_slice_t in, kv_arena_t *a, eng_alias_t **out)
{
    eng_alias_t *al = kv_arena_calloc(a, 1, sizeof(*al));
    int rc = eng_tlv_decode(in, alias_fields, sizeof(alias_fields) / sizeof(*alias_fields), a, al);
    if (rc == 0)
        *out = al;
    return rc;
}

static void alias_key(kv_buf_t *k, kv_slice_t function, kv_slice_t name)
{
    sub_key(k, ENG_CAT_ALIAS, function);
    kv_buf_append_slice(k, name);
}

int eng_alias_put(eng_t *e, const eng_alias_t *al, int mode)
{
    kv_buf_t k;
    kv_buf_init(&k, 256);
    kv_arena_t *a = kv_arena_new(1024);
    pthread_mutex_lock(&e->cat_lock);
    eng__cat_key(&k, ENG_CAT_FUNCTION, kv_slice_str(al->function));
    kv_slice_t fv;
    int rc = eng__rec_get(e, kv_buf_slice(&k), a, &fv); /* its function exists */
    if (rc == 0) {
        kv_buf_reset(&k);
        alias_key(&k, kv_slice_str(al->function), kv_slice_str(al->name));
        rc = eng__rec_put_locked(e, kv_buf_slice(&k), mode, encode_alias, al);
    }
    pthread_mutex_unlock(&e->cat_lock);
    kv_arena_free(a);
    kv_buf_dispose(&k);
    return rc;
}

int eng_alias_get(eng_t *e, kv_slice_t function, kv_slice_t name, kv_arena_t *a, eng_alias_t **out)
{
    kv_buf_t k;
    kv_buf_init(&k, 256);
    alias_key(&k, function, name);
    kv_slice_t v;
    int rc = eng__rec_get(e, kv_buf_slice(&k), a, &v);
    if (rc == 0)
        rc = decode_alias(v, a, out);
    kv_buf_dispose(&k);
    return rc;
}

/* An alias's URL configuration goes with it, as on Lambda (arg: the function and alias). */
static int drop_alias_url(eng_t *e, eng_batch_t *b, const void *arg)
{
    const kv_slice_t *fa = arg;
    return eng__fnurl_drop(e, b, fa[0], fa[1]);
}

int eng_alias_delete(eng_t *e, kv_slice_t function, kv_slice_t name)
{
    kv_buf_t k;
    kv_buf_init(&k, 256);
    alias_key(&k, function, name);
    kv_slice_t fa[2] = {function, name};
    int rc = eng__rec_delete(e, kv_buf_slice(&k), drop_alias_url, fa);
    kv_buf_dispose(&k);
    return rc;
}

typedef struct ascan {
    kv_arena_t *a;
    eng_alias_t *out;
    size_t n, cap;
    bool more;
    uint32_t version; /* alias_uses: the version looked for */
} ascan_t;

static int take_alias(void *arg, kv_slice_t key, kv_slice_t value)
{
    ascan_t *s = arg;
    (void)key;
    if (s->n == s->cap) {
        s->more = true;
        return 1;
    }
    eng_alias_t *al = NULL;
    int rc = decode_alias(kv_arena_dup(s->a, value), s->a, &al);
    if (rc < 0)
        return rc;
    if (s->version && al->version != s->version && al->extra_version != s->version)
        return 0;
    s->out[s->n++] = *al;
    return 0;
}

int eng_alias_list(eng_t *e, kv_slice_t function, kv_slice_t after, size_t limit, kv_arena_t *a,
                   eng_alias_t **out, size_t *n, bool *more)
{
    kv_buf_t p, from;
    kv_buf_init(&p, 256);
    kv_buf_init(&from, 256);
    sub_key(&p, ENG_CAT_ALIAS, function);
    if (after.len)
        alias_key(&from, function, after);
    ascan_t s = {.a = a, .cap = limit, .out = kv_arena_calloc(a, limit ? limit : 1, sizeof(**out))};
    int rc = walk(e, kv_buf_slice(&p), kv_buf_slice(&from), take_alias, &s);
    kv_buf_dispose(&p);
    kv_buf_dispose(&from);
    *out = s.out;
    *n = s.n;
    *more = s.more;
    return rc;
}

int eng_version_delete(eng_t *e, kv_slice_t name, uint32_t n)
{
    kv_buf_t k, p;
    kv_buf_init(&k, name.len + 8);
    kv_buf_init(&p, name.len + 8);
    kv_arena_t *a = kv_arena_new(4096);
    num_key(&k, ENG_CAT_VERSION, name, n);
    pthread_mutex_lock(&e->cat_lock);
    eng_function_t *ver = NULL, *latest = NULL;
    int rc = eng__function_read(e, kv_buf_slice(&k), a, &ver);
    if (rc == 0) { /* an alias routing to it keeps it */
        sub_key(&p, ENG_CAT_ALIAS, name);
        ascan_t s = {
            .a = a, .cap = 1, .out = kv_arena_calloc(a, 1, sizeof(eng_alias_t)), .version = n};
        rc = walk(e, kv_buf_slice(&p), KV_SLICE_NULL, take_alias, &s);
        if (rc == 0 && (s.n || s.more))
            rc = KV_EBUSY;
    }
    bool drop = false;
    if (rc == 0) {
        eng_batch_t *b = eng_batch_new(e->rocks);
        eng_batch_delete(b, ENG_CF_CATALOG, kv_buf_slice(&k));
        rc = eng__write(e, b);
        eng_batch_free(b);
        if (rc == 0 && eng_function_get(e, name, a, &latest) == 0 &&
            latest->code_id != ver->code_id)
            drop = !eng__code_in_versions(e, name, ver->code_id);
    }
    pthread_mutex_unlock(&e->cat_lock);
    if (drop)
        eng__code_drop(e, ver->code_id);
    kv_arena_free(a);
    kv_buf_dispose(&k);
    kv_buf_dispose(&p);
    return rc;
}

static void encode_version(const void *rec, kv_buf_t *b)
{
    eng__function_encode(rec, b);
}

int eng_version_set_policy(eng_t *e, kv_slice_t name, uint32_t n, const char **statements,
                           size_t n_statements)
{
    kv_buf_t k;
    kv_buf_init(&k, name.len + 8);
    kv_arena_t *a = kv_arena_new(4096);
    num_key(&k, ENG_CAT_VERSION, name, n);
    pthread_mutex_lock(&e->cat_lock);
    eng_function_t *ver = NULL;
    int rc = eng__function_read(e, kv_buf_slice(&k), a, &ver);
    if (rc == 0) {
        ver->statements = statements;
        ver->n_statements = n_statements;
        rc = eng__rec_put_locked(e, kv_buf_slice(&k), ENG_FN_UPDATE, encode_version, ver);
    }
    pthread_mutex_unlock(&e->cat_lock);
    kv_arena_free(a);
    kv_buf_dispose(&k);
    return rc;
}

/* ---- layers ---- */

enum {
    LY_NAME = 1,
    LY_VERSION,
    LY_DESCRIPTION,
    LY_LICENSE,
    LY_RUNTIME,
    LY_ARCH,
    LY_CREATED,
    LY_CODE_SIZE,
    LY_UNZIPPED,
    LY_CODE_SHA,
    LY_CODE_ID,
    LY_STATEMENT,
    LY_DELETED,
};

static const eng_tlv_field_t layer_fields[] = {
    ENG_TLV_ROW(LY_NAME, ENG_TLV_STR, eng_layer_t, name, .required = true),
    ENG_TLV_ROW(LY_VERSION, ENG_TLV_U32, eng_layer_t, version),
    ENG_TLV_ROW(LY_DESCRIPTION, ENG_TLV_STR, eng_layer_t, description),
    ENG_TLV_ROW(LY_LICENSE, ENG_TLV_STR, eng_layer_t, license),
    ENG_TLV_LIST_ROW(LY_RUNTIME, ENG_TLV_STR_LIST, eng_layer_t, runtimes, n_runtimes),
    ENG_TLV_LIST_ROW(LY_ARCH, ENG_TLV_STR_LIST, eng_layer_t, archs, n_archs),
    ENG_TLV_ROW(LY_CREATED, ENG_TLV_I64, eng_layer_t, created_ms),
    ENG_TLV_ROW(LY_CODE_SIZE, ENG_TLV_U64, eng_layer_t, code_size),
    ENG_TLV_ROW(LY_UNZIPPED, ENG_TLV_U64, eng_layer_t, unzipped_size),
    ENG_TLV_ROW(LY_CODE_SHA, ENG_TLV_CHARS, eng_layer_t, code_sha256,
                .size = sizeof(((eng_layer_t *)0)->code_sha256)),
    ENG_TLV_ROW(LY_CODE_ID, ENG_TLV_U32, eng_layer_t, code_id),
    ENG_TLV_LIST_ROW(LY_STATEMENT, ENG_TLV_STR_LIST, eng_layer_t, statements, n_statements),
    ENG_TLV_ROW(LY_DELETED, ENG_TLV_BOOL, eng_layer_t, deleted),
};

static void encode_layer(const eng_layer_t *l, kv_buf_t *b)
{
    eng_tlv_put_str(b, LY_NAME, l->name);
    eng_tlv_put_u64(b, LY_VERSION, l->version);
    eng_tlv_put_str(b, LY_DESCRIPTION, l->description ? l->description : "");
    if (l->license)
        eng_tlv_put_str(b, LY_LICENSE, l->license);
    for (size_t i = 0; i < l->n_runtimes; i++)
        eng_tlv_put_str(b, LY_RUNTIME, l->runtimes[i]);
    for (size_t i = 0; i < l->n_archs; i++)
        eng_tlv_put_str(b, LY_ARCH, l->archs[i]);
    eng_tlv_put_u64(b, LY_CREATED, (uint64_t)l->created_ms);
    eng_tlv_put_u64(b, LY_CODE_SIZE, l->code_size);
    eng_tlv_put_u64(b, LY_UNZIPPED, l->unzipped_size);
    eng_tlv_put_str(b, LY_CODE_SHA, l->code_sha256);
    eng_tlv_put_u64(b, LY_CODE_ID, l->code_id);
    for (size_t i = 0; i < l->n_statements; i++)
        eng_tlv_put_str(b, LY_STATEMENT, l->statements[i]);
    if (l->deleted)
        eng_tlv_put_u64(b, LY_DELETED, 1);
}

static int decode_layer(kv_slice_t in, kv_arena_t *a, eng_layer_t **out)
{
    eng_layer_t *l = kv_arena_calloc(a, 1, sizeof(*l));
    int rc = eng_tlv_decode(in, layer_fields, sizeof(layer_fields) / sizeof(*layer_fields), a, l);
    if (rc == 0)
        *out = l;
    return rc;
}

int eng_layer_publish(eng_t *e, eng_layer_t *l, kv_slice_t zip)
{
    uint32_t code_id = 0;
    int rc = eng__take_id(e, &code_id);
    if (rc == 0)
        rc = eng__code_write(e, code_id, zip);
    if (rc < 0)
        return rc;
    kv_buf_t k, v;
    kv_buf_init(&k, 256);
    kv_buf_init(&v, 1 << 20);
    uint8_t cm[16];
    kv_buf_t c;
    kv_buf_init_on(&c, cm, sizeof(cm), sizeof(cm));
    pthread_mutex_lock(&e->cat_lock);
    num_key(&k, ENG_CAT_LAYER, kv_slice_str(l->name), 0); /* the counter */
    uint32_t last = 0;
    rc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, kv_buf_slice(&k), &c);
    if (rc == 0) {
        kv_slice_t s = kv_buf_slice(&c);
        rc = eng_key_get_u32(&s, &last);
    } else if (rc == KV_ENOTFOUND) {
        rc = 0;
    }
    if (rc == 0) {
        l->version = last + 1;
        l->code_id = code_id;
        l->created_ms = kv_now_ms();
        eng_batch_t *b = eng_batch_new(e->rocks);
        kv_buf_reset(&c);
        eng_key_put_u32(&c, l->version);
        eng_batch_put(b, ENG_CF_CATALOG, kv_buf_slice(&k), kv_buf_slice(&c));
        kv_buf_reset(&k);
        num_key(&k, ENG_CAT_LAYER, kv_slice_str(l->name), l->version);
        encode_layer(l, &v);
        eng_batch_put(b, ENG_CF_CATALOG, kv_buf_slice(&k), kv_buf_slice(&v));
        rc = kv_buf_failed(&v) ? KV_ETOOBIG : eng__write(e, b);
        eng_batch_free(b);
    }
    pthread_mutex_unlock(&e->cat_lock);
    if (rc < 0)
        eng__code_drop(e, code_id);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

int eng_layer_get(eng_t *e, kv_slice_t name, uint32_t version, kv_arena_t *a, eng_layer_t **out)
{
    if (version == 0)
        return KV_ENOTFOUND;
    kv_buf_t k;
    kv_buf_init(&k, 256);
    num_key(&k, ENG_CAT_LAYER, name, version);
    kv_slice_t v;
    int rc = eng__rec_get(e, kv_buf_slice(&k), a, &v);
    if (rc == 0)
        rc = decode_layer(v, a, out);
    kv_buf_dispose(&k);
    return rc;
}

/* Read-modify-write of a layer version (under cat_lock): statements, or deleted. */
static int layer_change(eng_t *e, kv_slice_t name, uint32_t version, const char **statements,
                        size_t n_statements, bool del)
{
    if (version == 0)
        return KV_ENOTFOUND;
    kv_buf_t k, v;
    kv_buf_init(&k, 256);
    kv_buf_init(&v, 1 << 20);
    kv_arena_t *a = kv_arena_new(4096);
    num_key(&k, ENG_CAT_LAYER, name, version);
    pthread_mutex_lock(&e->cat_lock);
    eng_layer_t *l = NULL;
    kv_slice_t rec;
    int rc = eng__rec_get(e, kv_buf_slice(&k), a, &rec);
    if (rc == 0)
        rc = decode_layer(rec, a, &l);
    if (rc == 0 && l->deleted)
        rc = KV_ENOTFOUND;
    bool drop = false;
    if (rc == 0) {
        eng_batch_t *b = eng_batch_new(e->rocks);
        if (del) {
            /* Kept (hidden) while some function or version names it. */
            char arn_tail[300];
            snprintf(arn_tail, sizeof(arn_tail), ":layer:%s:%u", l->name, version);
            bool used = false;
            eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_CATALOG);
            for (char kind = 0; kind < 2 && !used; kind++) {
                uint8_t pb = kind ? ENG_CAT_VERSION : ENG_CAT_FUNCTION;
                for (eng_riter_seek(it, kv_slice(&pb, 1)); eng_riter_valid(it) && !used;
                     eng_riter_next(it)) {
                    kv_slice_t key = eng_riter_key(it);
                    if (key.len < 1 || key.p[0] != pb)
                        break;
                    kv_arena_t *fa = kv_arena_new(4096);
                    eng_function_t *f;
                    if (eng__function_decode(kv_arena_dup(fa, eng_riter_value(it)), fa, &f) < 0) {
                        used = true; /* unsure: keep it */
                    } else {
                        for (size_t i = 0; i < f->n_layers && !used; i++) {
                            size_t fl = strlen(f->layers[i]), tl = strlen(arn_tail);
                            used = fl >= tl && strcmp(f->layers[i] + fl - tl, arn_tail) == 0;
                        }
                    }
                    kv_arena_free(fa);
                }
            }
            eng_riter_free(it);
            if (used) {
                l->deleted = true;
            } else {
                drop = true;
                eng_batch_delete(b, ENG_CF_CATALOG, kv_buf_slice(&k));
            }
        } else {
            l->statements = statements;
            l->n_statements = n_statements;
        }
        if (!drop) {
            kv_buf_reset(&v);
            encode_layer(l, &v);
            eng_batch_put(b, ENG_CF_CATALOG, kv_buf_slice(&k), kv_buf_slice(&v));
        }
        rc = kv_buf_failed(&v) ? KV_ETOOBIG : eng__write(e, b);
        eng_batch_free(b);
    }
    pthread_mutex_unlock(&e->cat_lock);
    if (rc == 0 && drop)
        eng__code_drop(e, l->code_id);
    kv_arena_free(a);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

int eng_layer_set_policy(eng_t *e, kv_slice_t name, uint32_t version, const char **statements,
                         size_t n_statements)
{
    return layer_change(e, name, version, statements, n_statements, false);
}

int eng_layer_delete(eng_t *e, kv_slice_t name, uint32_t version)
{
    return layer_change(e, name, version, NULL, 0, true);
}

typedef struct lscan {
    kv_arena_t *a;
    eng_layer_t *out;
    size_t n, cap;
    bool more;
} lscan_t;

static int take_layer(void *arg, kv_slice_t key, kv_slice_t value)
{
    lscan_t *s = arg;
    /* the counters (version 0) are not layer versions */
    if (key.len >= 5 && memcmp(key.p + key.len - 5, "\0\0\0\0\0", 5) == 0)
        return 0;
    eng_layer_t *l = NULL;
    int rc = decode_layer(kv_arena_dup(s->a, value), s->a, &l);
    if (rc < 0)
        return rc;
    if (l->deleted)
        return 0;
    if (s->n == s->cap) {
        s->more = true;
        return 1;
    }
    s->out[s->n++] = *l;
    return 0;
}

int eng_layer_list(eng_t *e, kv_slice_t name, kv_slice_t after, uint32_t after_version,
                   size_t limit, kv_arena_t *a, eng_layer_t **out, size_t *n, bool *more)
{
    kv_buf_t p, from;
    kv_buf_init(&p, 256);
    kv_buf_init(&from, 256);
    if (name.len)
        sub_key(&p, ENG_CAT_LAYER, name);
    else
        eng__cat_key(&p, ENG_CAT_LAYER, KV_SLICE_NULL);
    if (after.len)
        num_key(&from, ENG_CAT_LAYER, after, after_version);
    lscan_t s = {.a = a, .cap = limit, .out = kv_arena_calloc(a, limit ? limit : 1, sizeof(**out))};
    int rc = walk(e, kv_buf_slice(&p), kv_buf_slice(&from), take_layer, &s);
    kv_buf_dispose(&p);
    kv_buf_dispose(&from);
    *out = s.out;
    *n = s.n;
    *more = s.more;
    return rc;
}
