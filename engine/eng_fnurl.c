/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Function URL configurations: one catalog record each ('W' + url-id, TLV), found by url-id
 * (the URL endpoint) or by a walk of the kind filtered on the function (List, and the
 * deletion of a function's URLs in the function's own batch). A server holds a few of them
 * per function (one per alias at most), so the walk stays short.
 */
#include <string.h>

#include "base/kv_alloc.h"
#include "eng_int.h"
#include "eng_tlv.h"

enum {
    U_ID = 1,
    U_FUNCTION,
    U_QUALIFIER,
    U_AUTH,
    U_MODE,
    U_CORS,
    U_CREATED,
    U_MODIFIED,
};

static void encode_fnurl(const void *rec, kv_buf_t *b)
{
    const eng_fnurl_t *u = rec;
    eng_tlv_put_str(b, U_ID, u->url_id);
    eng_tlv_put_str(b, U_FUNCTION, u->function);
    eng_tlv_put_str(b, U_QUALIFIER, u->qualifier);
    eng_tlv_put_str(b, U_AUTH, u->auth_type);
    eng_tlv_put_str(b, U_MODE, u->invoke_mode);
    if (u->cors)
        eng_tlv_put_str(b, U_CORS, u->cors);
    eng_tlv_put_u64(b, U_CREATED, (uint64_t)u->created_ms);
    eng_tlv_put_u64(b, U_MODIFIED, (uint64_t)u->modified_ms);
}

static const eng_tlv_field_t fnurl_fields[] = {
    ENG_TLV_ROW(U_ID, ENG_TLV_CHARS, eng_fnurl_t, url_id, .required = true,
                .size = sizeof(((eng_fnurl_t *)0)->url_id)),
    ENG_TLV_ROW(U_FUNCTION, ENG_TLV_STR, eng_fnurl_t, function, .required = true),
    ENG_TLV_ROW(U_QUALIFIER, ENG_TLV_STR, eng_fnurl_t, qualifier, .required = true),
    ENG_TLV_ROW(U_AUTH, ENG_TLV_STR, eng_fnurl_t, auth_type, .required = true),
    ENG_TLV_ROW(U_MODE, ENG_TLV_STR, eng_fnurl_t, invoke_mode, .required = true),
    ENG_TLV_ROW(U_CORS, ENG_TLV_STR, eng_fnurl_t, cors),
    ENG_TLV_ROW(U_CREATED, ENG_TLV_I64, eng_fnurl_t, created_ms),
    ENG_TLV_ROW(U_MODIFIED, ENG_TLV_I64, eng_fnurl_t, modified_ms),
};

static int decode_fnurl(kv_slice_t in, kv_arena_t *a, eng_fnurl_t **out)
{
    eng_fnurl_t *u = kv_arena_calloc(a, 1, sizeof(*u));
    int rc = eng_tlv_decode(in, fnurl_fields, sizeof(fnurl_fields) / sizeof(*fnurl_fields), a, u);
    if (rc < 0 || u->url_id[0] == 0)
        return KV_ECORRUPT;
    *out = u;
    return 0;
}

/* The catalog key of URL url_id, built in k. */
static kv_slice_t url_key(kv_buf_t *k, kv_slice_t url_id)
{
    eng__cat_key(k, ENG_CAT_FNURL, url_id);
    return kv_buf_slice(k);
}

int eng_fnurl_put(eng_t *e, const eng_fnurl_t *u, int mode)
{
    kv_buf_t k;
    kv_buf_init(&k, 64);
    int rc = eng__rec_put(e, url_key(&k, kv_slice_str(u->url_id)), mode, encode_fnurl, u);
    kv_buf_dispose(&k);
    return rc;
}

int eng_fnurl_get(eng_t *e, kv_slice_t url_id, kv_arena_t *a, eng_fnurl_t **out)
{
    kv_buf_t k;
    kv_buf_init(&k, 64);
    kv_slice_t v;
    int rc = eng__rec_get(e, url_key(&k, url_id), a, &v);
    if (rc == 0)
        rc = decode_fnurl(v, a, out);
    kv_buf_dispose(&k);
    return rc;
}

int eng_fnurl_delete(eng_t *e, kv_slice_t url_id)
{
    kv_buf_t k;
    kv_buf_init(&k, 64);
    int rc = eng__rec_delete(e, url_key(&k, url_id), NULL, NULL);
    kv_buf_dispose(&k);
    return rc;
}

/* Walk the URL records after `after` (url-id order), calling take on those of function until
 * it returns 1 (stop) or an error. */
static int walk(eng_t *e, kv_slice_t function, kv_slice_t after, kv_arena_t *a,
                int (*take)(void *arg, kv_slice_t key, eng_fnurl_t *u), void *arg)
{
    kv_buf_t k;
    kv_buf_init(&k, after.len + 1);
    eng__cat_key(&k, ENG_CAT_FNURL, after);
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_CATALOG);
    int rc = 0;
    for (eng_riter_seek(it, kv_buf_slice(&k)); eng_riter_valid(it); eng_riter_next(it)) {
        kv_slice_t key = eng_riter_key(it);
        if (key.len < 1 || key.p[0] != (uint8_t)ENG_CAT_FNURL)
            break;
        if (after.len && kv_slice_eq(kv_slice(key.p + 1, key.len - 1), after))
            continue;
        eng_fnurl_t *u;
        rc = decode_fnurl(kv_arena_dup(a, eng_riter_value(it)), a, &u);
        if (rc < 0)
            break;
        if (!kv_slice_eq_str(function, u->function))
            continue;
        rc = take(arg, kv_arena_dup(a, key), u);
        if (rc != 0)
            break;
    }
    if (rc >= 0)
        rc = eng_riter_status(it);
    eng_riter_free(it);
    kv_buf_dispose(&k);
    return rc;
}

typedef struct page {
    eng_fnurl_t *out;
    size_t limit, n;
    bool more;
} page_t;

static int take_page(void *arg, kv_slice_t key, eng_fnurl_t *u)
{
    (void)key;
    page_t *p = arg;
    if (p->n == p->limit) {
        p->more = true;
        return 1;
    }
    p->out[p->n++] = *u;
    return 0;
}

int eng_fnurl_list(eng_t *e, kv_slice_t function, kv_slice_t after, size_t limit, kv_arena_t *a,
                   eng_fnurl_t **out, size_t *n, bool *more)
{
    page_t p = {kv_arena_calloc(a, limit ? limit : 1, sizeof(**out)), limit, 0, false};
    int rc = walk(e, function, after, a, take_page, &p);
    *out = p.out;
    *n = p.n;
    *more = p.more;
    return rc;
}

typedef struct drop {
    eng_batch_t *b;
    kv_slice_t qual; /* empty: every qualifier */
} drop_t;

static int take_drop(void *arg, kv_slice_t key, eng_fnurl_t *u)
{
    drop_t *d = arg;
    if (d->qual.len == 0 || kv_slice_eq_str(d->qual, u->qualifier))
        eng_batch_delete(d->b, ENG_CF_CATALOG, key);
    return 0;
}

int eng__fnurl_drop(eng_t *e, eng_batch_t *b, kv_slice_t name, kv_slice_t qual)
{
    kv_arena_t *a = kv_arena_new(4096);
    drop_t d = {b, qual};
    int rc = walk(e, name, KV_SLICE_NULL, a, take_drop, &d);
    kv_arena_free(a);
    return rc;
}
