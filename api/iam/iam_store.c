/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IAM's records (issue 15, package I), under the catalog kind 'I' (engine/eng_iam.c). Keys
 * after 'I', names lower-cased where IAM compares without case (users, groups, roles,
 * policies):
 *   'E' kind name                 an entity (kind U user, G group, R role, P managed policy)
 *   'p' kind path name            its path index (ListUsers... with PathPrefix: a range scan)
 *   'K' key id                    an access key -> its user and secret
 *   'k' user 0 key id             a user's keys
 *   'i' kind name 0 policy name   an inline policy's document
 *   'a' kind name 0 policy ARN    an attached managed policy
 *   'r' policy ARN 0 kind name    the reverse (ListEntitiesForPolicy, DeletePolicy's check)
 *   'm' user 0 group              a user's groups (ListGroupsForUser)
 *   'M' group 0 user              a group's users (GetGroup)
 *   'v' policy 0 u32 version      a managed policy version's document
 *   'L' key id                    an access key's last use (written lazily)
 * Values: fields of one tag byte, a u32 length and the bytes.
 */
#include <ctype.h>
#include <string.h>

#include "iam_int.h"

/* ---- keys ---- */

static kv_slice_t key_of(kv_arena_t *a, char sub, char kind, kv_slice_t x, bool sep, kv_slice_t y)
{
    size_t n = 2 + x.len + 1 + y.len;
    uint8_t *p = kv_arena_alloc(a, n);
    size_t o = 0;
    p[o++] = (uint8_t)sub;
    if (kind)
        p[o++] = (uint8_t)kind;
    if (x.len)
        memcpy(p + o, x.p, x.len);
    o += x.len;
    if (sep)
        p[o++] = 0;
    if (y.len)
        memcpy(p + o, y.p, y.len);
    o += y.len;
    return kv_slice(p, o);
}

kv_slice_t iam_lname(kv_arena_t *a, kv_slice_t name)
{
    uint8_t *p = kv_arena_alloc(a, name.len + 1);
    for (size_t i = 0; i < name.len; i++)
        p[i] = (uint8_t)tolower(name.p[i]);
    p[name.len] = 0;
    return kv_slice(p, name.len);
}

kv_slice_t iam_k_ent(kv_arena_t *a, char kind, kv_slice_t name)
{
    return key_of(a, 'E', kind, iam_lname(a, name), false, KV_SLICE_NULL);
}

kv_slice_t iam_k_path(kv_arena_t *a, char kind, kv_slice_t path, kv_slice_t name)
{
    return key_of(a, 'p', kind, path, false, iam_lname(a, name));
}

kv_slice_t iam_k_key(kv_arena_t *a, kv_slice_t key_id)
{
    return key_of(a, 'K', 0, key_id, false, KV_SLICE_NULL);
}

kv_slice_t iam_k_ukey(kv_arena_t *a, kv_slice_t user, kv_slice_t key_id)
{
    return key_of(a, 'k', 0, iam_lname(a, user), true, key_id);
}

kv_slice_t iam_k_inline(kv_arena_t *a, char kind, kv_slice_t name, kv_slice_t policy)
{
    return key_of(a, 'i', kind, iam_lname(a, name), true, policy);
}

kv_slice_t iam_k_attach(kv_arena_t *a, char kind, kv_slice_t name, kv_slice_t arn)
{
    return key_of(a, 'a', kind, iam_lname(a, name), true, arn);
}

kv_slice_t iam_k_attached(kv_arena_t *a, kv_slice_t arn, char kind, kv_slice_t name)
{
    kv_slice_t k = key_of(a, 'r', 0, arn, true, KV_SLICE_NULL);
    if (!kind)
        return k;
    kv_slice_t ln = iam_lname(a, name);
    uint8_t *p = kv_arena_alloc(a, k.len + 1 + ln.len);
    memcpy(p, k.p, k.len);
    p[k.len] = (uint8_t)kind;
    if (ln.len)
        memcpy(p + k.len + 1, ln.p, ln.len);
    return kv_slice(p, k.len + 1 + ln.len);
}

kv_slice_t iam_k_member(kv_arena_t *a, kv_slice_t user, kv_slice_t group)
{
    return key_of(a, 'm', 0, iam_lname(a, user), true, group.len ? iam_lname(a, group) : group);
}

kv_slice_t iam_k_members(kv_arena_t *a, kv_slice_t group, kv_slice_t user)
{
    return key_of(a, 'M', 0, iam_lname(a, group), true, user.len ? iam_lname(a, user) : user);
}

kv_slice_t iam_k_version(kv_arena_t *a, kv_slice_t policy, uint32_t v)
{
    uint8_t be[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    return key_of(a, 'v', 0, iam_lname(a, policy), true, v ? kv_slice(be, 4) : KV_SLICE_NULL);
}

kv_slice_t iam_k_used(kv_arena_t *a, kv_slice_t key_id)
{
    return key_of(a, 'L', 0, key_id, false, KV_SLICE_NULL);
}

kv_slice_t iam_k_of(kv_arena_t *a, char sub, char kind, kv_slice_t name)
{
    return key_of(a, sub, kind, iam_lname(a, name), true, KV_SLICE_NULL);
}

/* ---- values ---- */

enum {
    F_NAME = 1,
    F_ID,
    F_PATH,
    F_CREATED,
    F_UPDATED,
    F_DESC,
    F_TRUST,
    F_BOUNDARY,
    F_MAXSESS,
    F_DEFVER,
    F_NEXTVER,
    F_LASTUSED,
    F_LASTREGION,
    F_TAGKEY,
    F_TAGVAL,
    F_KIND,
    F_USER,
    F_SECRET,
    F_ACTIVE,
    F_DOC,
};

static void put(kv_buf_t *b, uint8_t tag, kv_slice_t v)
{
    uint8_t h[5] = {tag, (uint8_t)(v.len >> 24), (uint8_t)(v.len >> 16), (uint8_t)(v.len >> 8),
                    (uint8_t)v.len};
    kv_buf_append(b, h, 5);
    kv_buf_append_slice(b, v);
}

static void put_i64(kv_buf_t *b, uint8_t tag, int64_t x)
{
    uint8_t v[8];
    for (int i = 0; i < 8; i++)
        v[i] = (uint8_t)((uint64_t)x >> (56 - 8 * i));
    put(b, tag, kv_slice(v, 8));
}

static int64_t get_i64(kv_slice_t v)
{
    uint64_t x = 0;
    for (size_t i = 0; i < 8 && i < v.len; i++)
        x = (x << 8) | v.p[i];
    return (int64_t)x;
}

/* Walk the fields of v: take(arg, tag, value) for each. @return 0 or KV_ECORRUPT. */
static int walk(kv_slice_t v, void (*take)(void *arg, uint8_t tag, kv_slice_t val), void *arg)
{
    size_t o = 0;
    while (o < v.len) {
        if (v.len - o < 5)
            return KV_ECORRUPT;
        uint8_t tag = v.p[o];
        size_t n = ((size_t)v.p[o + 1] << 24) | ((size_t)v.p[o + 2] << 16) |
                   ((size_t)v.p[o + 3] << 8) | v.p[o + 4];
        o += 5;
        if (n > v.len - o)
            return KV_ECORRUPT;
        take(arg, tag, kv_slice(v.p + o, n));
        o += n;
    }
    return 0;
}

static kv_slice_t finish(kv_arena_t *a, kv_buf_t *b)
{
    kv_slice_t s = kv_buf_failed(b) ? KV_SLICE_NULL : kv_arena_dup(a, kv_buf_slice(b));
    kv_buf_dispose(b);
    return s;
}

kv_slice_t iam_ent_encode(kv_arena_t *a, const iam_ent_t *e)
{
    kv_buf_t b;
    kv_buf_init(&b, ENG_IAM_VAL_MAX);
    uint8_t k = (uint8_t)e->kind;
    put(&b, F_KIND, kv_slice(&k, 1));
    put(&b, F_NAME, e->name);
    put(&b, F_ID, e->id);
    put(&b, F_PATH, e->path);
    put_i64(&b, F_CREATED, e->created_ms);
    if (e->updated_ms)
        put_i64(&b, F_UPDATED, e->updated_ms);
    if (e->desc.len)
        put(&b, F_DESC, e->desc);
    if (e->trust.len)
        put(&b, F_TRUST, e->trust);
    if (e->boundary.len)
        put(&b, F_BOUNDARY, e->boundary);
    if (e->max_session_s)
        put_i64(&b, F_MAXSESS, e->max_session_s);
    if (e->default_ver)
        put_i64(&b, F_DEFVER, e->default_ver);
    if (e->next_ver)
        put_i64(&b, F_NEXTVER, e->next_ver);
    if (e->last_used_ms) {
        put_i64(&b, F_LASTUSED, e->last_used_ms);
        put(&b, F_LASTREGION, e->last_region);
    }
    for (size_t i = 0; i < e->n_tags; i++) {
        put(&b, F_TAGKEY, e->tags[i].key);
        put(&b, F_TAGVAL, e->tags[i].value);
    }
    return finish(a, &b);
}

typedef struct dec {
    iam_ent_t *e;
    kv_arena_t *a;
    size_t cap;
} dec_t;

static void take_ent(void *arg, uint8_t tag, kv_slice_t v)
{
    dec_t *d = arg;
    iam_ent_t *e = d->e;
    switch (tag) {
    case F_KIND:
        e->kind = v.len ? (char)v.p[0] : 0;
        break;
    case F_NAME:
        e->name = v;
        break;
    case F_ID:
        e->id = v;
        break;
    case F_PATH:
        e->path = v;
        break;
    case F_CREATED:
        e->created_ms = get_i64(v);
        break;
    case F_UPDATED:
        e->updated_ms = get_i64(v);
        break;
    case F_DESC:
        e->desc = v;
        break;
    case F_TRUST:
        e->trust = v;
        break;
    case F_BOUNDARY:
        e->boundary = v;
        break;
    case F_MAXSESS:
        e->max_session_s = get_i64(v);
        break;
    case F_DEFVER:
        e->default_ver = (uint32_t)get_i64(v);
        break;
    case F_NEXTVER:
        e->next_ver = (uint32_t)get_i64(v);
        break;
    case F_LASTUSED:
        e->last_used_ms = get_i64(v);
        break;
    case F_LASTREGION:
        e->last_region = v;
        break;
    case F_TAGKEY:
        if (e->n_tags == d->cap) {
            size_t cap = d->cap ? d->cap * 2 : 8;
            api_kv_t *t = kv_arena_calloc(d->a, cap, sizeof(*t));
            if (e->n_tags)
                memcpy(t, e->tags, e->n_tags * sizeof(*t));
            e->tags = t;
            d->cap = cap;
        }
        e->tags[e->n_tags++].key = v;
        break;
    case F_TAGVAL:
        if (e->n_tags)
            e->tags[e->n_tags - 1].value = v;
        break;
    default:
        break;
    }
}

int iam_ent_decode(kv_slice_t v, kv_arena_t *a, iam_ent_t *e)
{
    memset(e, 0, sizeof(*e));
    dec_t d = {.e = e, .a = a};
    int rc = walk(v, take_ent, &d);
    if (rc == 0 && (e->name.len == 0 || e->path.len == 0))
        rc = KV_ECORRUPT;
    return rc;
}

kv_slice_t iam_key_encode(kv_arena_t *a, const iam_key_t *k)
{
    kv_buf_t b;
    kv_buf_init(&b, 4096);
    put(&b, F_ID, k->id);
    put(&b, F_USER, k->user);
    put(&b, F_SECRET, k->secret);
    uint8_t act = k->active;
    put(&b, F_ACTIVE, kv_slice(&act, 1));
    put_i64(&b, F_CREATED, k->created_ms);
    return finish(a, &b);
}

static void take_key(void *arg, uint8_t tag, kv_slice_t v)
{
    iam_key_t *k = arg;
    switch (tag) {
    case F_ID:
        k->id = v;
        break;
    case F_USER:
        k->user = v;
        break;
    case F_SECRET:
        k->secret = v;
        break;
    case F_ACTIVE:
        k->active = v.len && v.p[0];
        break;
    case F_CREATED:
        k->created_ms = get_i64(v);
        break;
    default:
        break;
    }
}

int iam_key_decode(kv_slice_t v, kv_arena_t *a, iam_key_t *k)
{
    (void)a;
    memset(k, 0, sizeof(*k));
    int rc = walk(v, take_key, k);
    if (rc == 0 && (k->id.len == 0 || k->user.len == 0 || k->secret.len == 0))
        rc = KV_ECORRUPT;
    return rc;
}

kv_slice_t iam_ver_encode(kv_arena_t *a, kv_slice_t doc, int64_t created_ms)
{
    kv_buf_t b;
    kv_buf_init(&b, ENG_IAM_VAL_MAX);
    put(&b, F_DOC, doc);
    put_i64(&b, F_CREATED, created_ms);
    return finish(a, &b);
}

typedef struct ver {
    kv_slice_t doc;
    int64_t created;
} ver_t;

static void take_ver(void *arg, uint8_t tag, kv_slice_t v)
{
    ver_t *x = arg;
    if (tag == F_DOC)
        x->doc = v;
    else if (tag == F_CREATED)
        x->created = get_i64(v);
}

int iam_ver_decode(kv_slice_t v, kv_arena_t *a, kv_slice_t *doc, int64_t *created_ms)
{
    (void)a;
    ver_t x = {0};
    int rc = walk(v, take_ver, &x);
    *doc = x.doc;
    if (created_ms)
        *created_ms = x.created;
    return rc;
}

/* ---- reads ---- */

int iam_ent_get(api_ctx_t *ctx, kv_arena_t *a, char kind, kv_slice_t name, iam_ent_t *e)
{
    kv_slice_t v;
    int rc = eng_iam_get(ctx->eng, iam_k_ent(a, kind, name), a, &v);
    if (rc == 0)
        rc = iam_ent_decode(v, a, e);
    return rc;
}

static int count_one(void *arg, kv_slice_t suffix, kv_slice_t val)
{
    (void)suffix, (void)val;
    ++*(size_t *)arg;
    return 0;
}

int iam_count(api_ctx_t *ctx, kv_slice_t prefix, size_t *n)
{
    *n = 0;
    return eng_iam_scan(ctx->eng, prefix, KV_SLICE_NULL, IAM_SCAN_MAX, count_one, n);
}

/* ---- writes ---- */

void iam_tx_put(iam_tx_t *t, kv_slice_t key, kv_slice_t val)
{
    if (t->n == sizeof(t->ops) / sizeof(t->ops[0]) || val.p == NULL) {
        t->full = true;
        return;
    }
    t->ops[t->n].key = key;
    t->ops[t->n++].val = val;
}

void iam_tx_del(iam_tx_t *t, kv_slice_t key)
{
    if (t->n == sizeof(t->ops) / sizeof(t->ops[0])) {
        t->full = true;
        return;
    }
    t->ops[t->n].key = key;
    t->ops[t->n++].val = KV_SLICE_NULL;
}

int iam_tx_commit(iam_call_t *c, iam_tx_t *t)
{
    if (t->full)
        return iam_fail_rc(c, KV_ETOOBIG);
    int rc = eng_iam_write(c->ctx->eng, t->ops, t->n);
    iam_bump(c->st);
    if (rc)
        return iam_fail_rc(c, rc);
    return 0;
}

/* ---- scans ---- */

typedef struct coll {
    kv_arena_t *a;
    iam_rec_t *out;
    size_t n, cap, limit;
    bool more;
} coll_t;

static int take_rec(void *arg, kv_slice_t suffix, kv_slice_t val)
{
    coll_t *c = arg;
    if (c->n == c->limit) {
        c->more = true;
        return 1;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        iam_rec_t *p = kv_arena_calloc(c->a, cap, sizeof(*p));
        if (c->n)
            memcpy(p, c->out, c->n * sizeof(*p));
        c->out = p;
        c->cap = cap;
    }
    c->out[c->n].key = kv_arena_dup(c->a, suffix);
    c->out[c->n].val = kv_arena_dup(c->a, val);
    c->n++;
    return 0;
}

int iam_collect(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t prefix, kv_slice_t after, size_t limit,
                iam_rec_t **out, size_t *n, bool *more)
{
    if (limit == 0 || limit > IAM_SCAN_MAX)
        limit = IAM_SCAN_MAX;
    coll_t c = {.a = a, .limit = limit};
    int rc = eng_iam_scan(ctx->eng, prefix, after, limit + 1, take_rec, &c);
    *out = c.out;
    *n = c.n;
    if (more)
        *more = c.more;
    return rc;
}
