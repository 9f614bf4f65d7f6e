/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the rest of the api layer asks IAM (api_iam.h; issue 15, package I): the user behind an
 * access key, a role, a principal's compiled permissions, the generation, and the access keys'
 * last use.
 *
 * Compiled permissions: a user's or role's identity policies (inline, attached managed at their
 * default versions, and its groups' inline and attached), its boundary and its tags are parsed
 * once (pol.h) into one immutable, reference-counted object. Each thread keeps a small cache of
 * them, and of access keys, stamped with the generation read before the storage was read: an
 * entry is used only while the generation is unchanged, so any IAM write (every one bumps it)
 * drops them all on the next request, and a hit reads no storage.
 *
 * Lifetime rule: a principal handed out by api_iam_key, api_iam_load or api_iam_user holds one
 * reference on its compiled object for the arena it was given (released when that arena is
 * reset or freed, by kv_arena_on_destroy); the thread's cache holds another until the entry is
 * replaced or the thread ends. So the pointers in api_principal_t (identity, boundary, tags,
 * names) stay valid for the whole request, whatever IAM changes meanwhile.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authz/pol.h"
#include "base/kv_alloc.h"
#include "base/kv_hash.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "iam_int.h"

/* ---- compiled principals ---- */

typedef struct iam_compiled {
    atomic_int refs;
    kv_arena_t *mem; /* names, ARN, tags */
    pol_t **pols;
    size_t n_pols;
    pol_set_t *set;
    pol_t *boundary;
    api_principal_t p; /* kind, arn, id, name, tags, identity, boundary (slices in mem) */
    char kind;         /* IAM_USER or IAM_ROLE */
    kv_slice_t trust;  /* roles */
    int64_t max_session_s;
} iam_compiled_t;

static void comp_free(iam_compiled_t *c)
{
    for (size_t i = 0; i < c->n_pols; i++)
        pol_free(c->pols[i]);
    kv_free(c->pols);
    if (c->set)
        pol_set_free(c->set);
    if (c->boundary)
        pol_free(c->boundary);
    kv_arena_free(c->mem);
    kv_free(c);
}

static void comp_release(void *arg)
{
    iam_compiled_t *c = arg;
    if (c && atomic_fetch_sub(&c->refs, 1) == 1)
        comp_free(c);
}

static void comp_hold_for(iam_compiled_t *c, kv_arena_t *a)
{
    atomic_fetch_add(&c->refs, 1);
    kv_arena_on_destroy(a, comp_release, c);
}

typedef struct docs {
    kv_slice_t *d;
    size_t n, cap;
    kv_arena_t *a;
} docs_t;

static void docs_add(docs_t *x, kv_slice_t doc)
{
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 16;
        kv_slice_t *p = kv_arena_calloc(x->a, cap, sizeof(*p));
        if (x->n)
            memcpy(p, x->d, x->n * sizeof(*p));
        x->d = p;
        x->cap = cap;
    }
    x->d[x->n++] = doc;
}

/* The inline and attached policy documents of principal (kind, name) into x. */
static int docs_of(api_ctx_t *ctx, kv_arena_t *a, char kind, kv_slice_t name, docs_t *x)
{
    iam_rec_t *r;
    size_t n;
    int rc = iam_collect(ctx, a, iam_k_of(a, 'i', kind, name), KV_SLICE_NULL, 0, &r, &n, NULL);
    for (size_t i = 0; rc == 0 && i < n; i++)
        docs_add(x, r[i].val);
    if (rc == 0)
        rc = iam_collect(ctx, a, iam_k_of(a, 'a', kind, name), KV_SLICE_NULL, 0, &r, &n, NULL);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        kv_slice_t doc;
        int drc = iam_policy_doc(ctx, a, r[i].key, &doc);
        if (drc == 0)
            docs_add(x, doc);
        else if (drc != KV_ENOTFOUND)
            rc = drc;
    }
    return rc;
}

/* Compile the permissions of the user or role named name. @return 0, KV_ENOTFOUND, or an
 * error (a stored document that no longer parses fails closed: KV_ECORRUPT). */
static int compile(api_ctx_t *ctx, char kind, kv_slice_t name, iam_compiled_t **out)
{
    kv_arena_t *a = kv_arena_new(8192);
    iam_ent_t e;
    int rc = iam_ent_get(ctx, a, kind, name, &e);
    docs_t x = {.a = a};
    if (rc == 0)
        rc = docs_of(ctx, a, kind, e.name, &x);
    if (rc == 0 && kind == IAM_USER) {
        iam_rec_t *g;
        size_t ng;
        rc = iam_collect(ctx, a, iam_k_of(a, 'm', 0, e.name), KV_SLICE_NULL, 0, &g, &ng, NULL);
        for (size_t i = 0; rc == 0 && i < ng; i++)
            rc = docs_of(ctx, a, IAM_GROUP, g[i].key, &x);
    }
    kv_slice_t bdoc = KV_SLICE_NULL;
    if (rc == 0 && e.boundary.len) {
        rc = iam_policy_doc(ctx, a, e.boundary, &bdoc);
        if (rc == KV_ENOTFOUND) /* a boundary whose policy is gone allows nothing */
            bdoc = KV_SLICE_LIT("{\"Version\":\"2012-10-17\",\"Statement\":[]}"), rc = 0;
    }
    if (rc) {
        kv_arena_free(a);
        return rc;
    }
    iam_compiled_t *c = kv_calloc(1, sizeof(*c));
    c->mem = kv_arena_new(4096);
    atomic_init(&c->refs, 1);
    c->kind = kind;
    c->pols = kv_calloc(x.n ? x.n : 1, sizeof(*c->pols));
    c->set = pol_set_new(x.n ? x.n : 1);
    for (size_t i = 0; i < x.n && rc == 0; i++) {
        const char *err = NULL;
        pol_t *p = pol_parse(x.d[i], POL_IDENTITY, a, &err);
        if (p == NULL) {
            KV_LOG_ERROR("iam: a stored policy of %.*s does not parse: %s", (int)e.name.len,
                         (const char *)e.name.p, err ? err : "?");
            rc = KV_ECORRUPT;
            break;
        }
        c->pols[c->n_pols++] = p;
        pol_set_add(c->set, p);
    }
    if (rc == 0 && bdoc.len) {
        const char *err = NULL;
        c->boundary = pol_parse(bdoc, POL_IDENTITY, a, &err);
        if (c->boundary == NULL)
            rc = KV_ECORRUPT;
    }
    if (rc) {
        kv_arena_free(a);
        comp_free(c);
        return rc;
    }
    api_principal_t *p = &c->p;
    p->kind = kind == IAM_USER ? API_PR_USER : API_PR_ROLE;
    p->arn = kv_slice_str(iam_arn(c->mem, kind, e.path, e.name));
    p->id = kv_arena_dup(c->mem, e.id);
    p->name = kv_arena_dup(c->mem, e.name);
    if (kind == IAM_ROLE)
        p->role_arn = p->arn;
    if (e.n_tags) {
        api_kv_t *t = kv_arena_calloc(c->mem, e.n_tags, sizeof(*t));
        for (size_t i = 0; i < e.n_tags; i++) {
            t[i].key = kv_arena_dup(c->mem, e.tags[i].key);
            t[i].value = kv_arena_dup(c->mem, e.tags[i].value);
        }
        p->tags = t;
        p->n_tags = e.n_tags;
    }
    p->identity = c->set;
    p->boundary = c->boundary;
    c->trust = kv_arena_dup(c->mem, e.trust);
    c->max_session_s = e.max_session_s;
    kv_arena_free(a);
    *out = c;
    return 0;
}

/* ---- per-thread caches ---- */

#define TCACHE_N 64

typedef struct tc_ent {
    api_ctx_t *ctx;
    uint64_t gen;
    bool is_key;                /* an access key's entry, else a principal's */
    char kind;                  /* principal entries: IAM_USER, IAM_ROLE */
    char name[ENG_IAM_KEY_MAX]; /* the key id, or the lower-cased name */
    size_t name_len;
    char secret[API_SESSION_SK_LEN + 1];
    iam_compiled_t *comp;
} tc_ent_t;

typedef struct tcache {
    tc_ent_t ent[TCACHE_N];
    unsigned next; /* round-robin replacement */
} tcache_t;

static pthread_key_t tc_key;
static pthread_once_t tc_once = PTHREAD_ONCE_INIT;

static void tc_destroy(void *arg)
{
    tcache_t *t = arg;
    for (size_t i = 0; i < TCACHE_N; i++)
        comp_release(t->ent[i].comp);
    kv_free(t);
}

static void tc_init(void)
{
    pthread_key_create(&tc_key, tc_destroy);
}

static tcache_t *tcache(void)
{
    pthread_once(&tc_once, tc_init);
    tcache_t *t = pthread_getspecific(tc_key);
    if (t == NULL) {
        t = kv_calloc(1, sizeof(*t));
        pthread_setspecific(tc_key, t);
    }
    return t;
}

static tc_ent_t *tc_find(tcache_t *t, api_ctx_t *ctx, bool is_key, char kind, kv_slice_t name,
                         uint64_t gen)
{
    for (size_t i = 0; i < TCACHE_N; i++) {
        tc_ent_t *e = &t->ent[i];
        if (e->comp && e->ctx == ctx && e->gen == gen && e->is_key == is_key && e->kind == kind &&
            e->name_len == name.len && memcmp(e->name, name.p, name.len) == 0)
            return e;
    }
    return NULL;
}

static tc_ent_t *tc_put(tcache_t *t, api_ctx_t *ctx, bool is_key, char kind, kv_slice_t name,
                        uint64_t gen, iam_compiled_t *comp)
{
    if (name.len > sizeof(t->ent[0].name))
        return NULL;
    tc_ent_t *e = NULL;
    for (size_t i = 0; i < TCACHE_N && !e; i++) /* a stale entry of the same name, or a free one */
        if (t->ent[i].comp == NULL ||
            (t->ent[i].ctx == ctx && t->ent[i].is_key == is_key && t->ent[i].kind == kind &&
             t->ent[i].name_len == name.len && memcmp(t->ent[i].name, name.p, name.len) == 0))
            e = &t->ent[i];
    if (!e)
        e = &t->ent[t->next++ % TCACHE_N];
    comp_release(e->comp);
    memset(e, 0, sizeof(*e));
    e->ctx = ctx;
    e->gen = gen;
    e->is_key = is_key;
    e->kind = kind;
    memcpy(e->name, name.p, name.len);
    e->name_len = name.len;
    atomic_fetch_add(&comp->refs, 1);
    e->comp = comp;
    return e;
}

/* The compiled permissions of (kind, name), from the thread's cache or compiled now; one
 * reference is taken for arena a. */
static int principal_get(api_ctx_t *ctx, char kind, kv_slice_t name, kv_arena_t *a,
                         iam_compiled_t **out)
{
    uint64_t gen = api_iam_generation(ctx);
    tcache_t *t = tcache();
    kv_slice_t ln = iam_lname(a, name);
    tc_ent_t *e = tc_find(t, ctx, false, kind, ln, gen);
    iam_compiled_t *c;
    if (e) {
        c = e->comp;
    } else {
        int rc = compile(ctx, kind, name, &c);
        if (rc)
            return rc;
        tc_put(t, ctx, false, kind, ln, gen, c); /* the cache's own reference, when it fits */
        comp_hold_for(c, a);
        comp_release(c); /* compile's */
        *out = c;
        return 0;
    }
    comp_hold_for(c, a);
    *out = c;
    return 0;
}

/* ---- api_iam.h ---- */

uint64_t api_iam_generation(api_ctx_t *ctx)
{
    iam_state_t *st = iam_state(ctx);
    return st ? atomic_load(&st->gen) : 0;
}

int api_iam_key(api_ctx_t *ctx, kv_slice_t access_key, kv_arena_t *a,
                char secret[API_SESSION_SK_LEN + 1], api_principal_t *out)
{
    if (access_key.len < 16 || access_key.len > 128 || iam_state(ctx) == NULL)
        return KV_ENOTFOUND;
    uint64_t gen = api_iam_generation(ctx);
    tcache_t *t = tcache();
    tc_ent_t *e = tc_find(t, ctx, true, 0, access_key, gen);
    if (e == NULL) {
        kv_slice_t v;
        iam_key_t k;
        int rc = eng_iam_get(ctx->eng, iam_k_key(a, access_key), a, &v);
        if (rc == 0)
            rc = iam_key_decode(v, a, &k);
        if (rc)
            return rc == KV_ECORRUPT ? KV_ENOTFOUND : rc;
        if (!k.active || k.secret.len > API_SESSION_SK_LEN)
            return KV_ENOTFOUND;
        iam_compiled_t *c;
        rc = compile(ctx, IAM_USER, k.user, &c);
        if (rc)
            return rc;
        e = tc_put(t, ctx, true, 0, access_key, gen, c);
        comp_release(c); /* compile's: the cache holds its own */
        if (e == NULL)   /* cannot happen: the key's length was checked */
            return KV_ENOTFOUND;
        memcpy(e->secret, k.secret.p, k.secret.len);
    }
    comp_hold_for(e->comp, a);
    memcpy(secret, e->secret, API_SESSION_SK_LEN + 1);
    *out = e->comp->p;
    out->access_key = kv_arena_dup(a, access_key);
    return 0;
}

static bool role_name_of(kv_slice_t arn_or_name, kv_slice_t *path, kv_slice_t *name)
{
    kv_slice_t pre = KV_SLICE_LIT(IAM_ARN_PREFIX "role/");
    if (arn_or_name.len > pre.len && memcmp(arn_or_name.p, pre.p, pre.len) == 0) {
        size_t start = pre.len - 1, last = start;
        for (size_t i = start; i < arn_or_name.len; i++)
            if (arn_or_name.p[i] == '/')
                last = i;
        *path = kv_slice(arn_or_name.p + start, last - start + 1);
        *name = kv_slice(arn_or_name.p + last + 1, arn_or_name.len - last - 1);
    } else {
        *path = KV_SLICE_NULL;
        *name = arn_or_name;
    }
    return iam_name_ok(*name, 64);
}

int api_iam_role(api_ctx_t *ctx, kv_slice_t arn_or_name, kv_arena_t *a, api_iam_role_t *out)
{
    kv_slice_t path, name;
    if (iam_state(ctx) == NULL || !role_name_of(arn_or_name, &path, &name))
        return KV_ENOTFOUND;
    iam_ent_t e;
    int rc = iam_ent_get(ctx, a, IAM_ROLE, name, &e);
    if (rc == 0 && path.p && !kv_slice_eq(path, e.path))
        rc = KV_ENOTFOUND;
    if (rc)
        return rc == KV_ECORRUPT ? KV_ENOTFOUND : rc;
    memset(out, 0, sizeof(*out));
    out->name = e.name;
    out->arn = kv_slice_str(iam_arn(a, IAM_ROLE, e.path, e.name));
    out->id = e.id;
    out->trust_policy = e.trust;
    out->max_session_s = e.max_session_s ? e.max_session_s : 3600;
    return 0;
}

int api_iam_load(api_ctx_t *ctx, api_principal_t *p, kv_arena_t *a)
{
    char kind;
    kv_slice_t name, path = KV_SLICE_NULL;
    if (iam_state(ctx) == NULL)
        return KV_ENOTFOUND;
    if (p->kind == API_PR_ROLE) {
        if (!role_name_of(p->role_arn, &path, &name))
            return KV_ENOTFOUND;
        kind = IAM_ROLE;
    } else if (p->kind == API_PR_USER || p->kind == API_PR_USER_SESSION) {
        name = p->name;
        kind = IAM_USER;
    } else {
        return KV_ENOTFOUND;
    }
    iam_compiled_t *c;
    int rc = principal_get(ctx, kind, name, a, &c);
    if (rc)
        return rc;
    if (kind == IAM_ROLE && path.p && !kv_slice_eq(c->p.role_arn, p->role_arn))
        return KV_ENOTFOUND; /* another path: another role */
    /* A role session ("AROA...:session") is its role's, not a later role of the same name's. */
    if (kind == IAM_ROLE && p->id.len &&
        !(p->id.len > c->p.id.len && c->p.id.len && memcmp(p->id.p, c->p.id.p, c->p.id.len) == 0 &&
          p->id.p[c->p.id.len] == ':'))
        return KV_ENOTFOUND;
    p->identity = c->p.identity;
    p->boundary = c->p.boundary;
    if (kind == IAM_USER && p->id.len == 0)
        p->id = c->p.id;
    /* tags: the session's win over the principal's own of the same key (without case) */
    if (c->p.n_tags) {
        size_t n = p->n_tags + c->p.n_tags;
        api_kv_t *t = kv_arena_calloc(a, n, sizeof(*t));
        size_t m = 0;
        for (size_t i = 0; i < p->n_tags; i++)
            t[m++] = p->tags[i];
        for (size_t i = 0; i < c->p.n_tags; i++) {
            bool dup = false;
            for (size_t j = 0; j < p->n_tags && !dup; j++)
                dup = kv_slice_eq(iam_lname(a, p->tags[j].key), iam_lname(a, c->p.tags[i].key));
            if (!dup)
                t[m++] = c->p.tags[i];
        }
        p->tags = t;
        p->n_tags = m;
    }
    return 0;
}

int api_iam_user(api_ctx_t *ctx, kv_slice_t name, kv_arena_t *a, api_principal_t *out)
{
    if (iam_state(ctx) == NULL || !iam_name_ok(name, 64))
        return KV_ENOTFOUND;
    iam_compiled_t *c;
    int rc = principal_get(ctx, IAM_USER, name, a, &c);
    if (rc)
        return rc;
    *out = c->p;
    return 0;
}

int iam_principal_of(api_ctx_t *ctx, char kind, kv_slice_t name, kv_arena_t *a,
                     api_principal_t *out)
{
    iam_compiled_t *c;
    int rc = principal_get(ctx, kind, name, a, &c);
    if (rc)
        return rc;
    *out = c->p;
    return 0;
}

/* ---- access keys' last use ---- */

#define USED_CAP 4096

typedef struct iam_used {
    char key[129];
    char service[32];
    char region[32];
    int64_t ms;
} iam_used_t;

static iam_used_t *used_find(iam_state_t *st, kv_slice_t key, bool add)
{
    if (st->used == NULL)
        return NULL;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < key.len; i++)
        h = (h ^ key.p[i]) * 1099511628211ull;
    for (size_t i = 0; i < st->cap_used; i++) {
        iam_used_t *u = &st->used[(h + i) % st->cap_used];
        if (u->key[0] == 0) {
            if (!add || st->n_used >= st->cap_used / 2)
                return NULL;
            memcpy(u->key, key.p, key.len);
            u->key[key.len] = 0;
            st->n_used++;
            return u;
        }
        if (strlen(u->key) == key.len && memcmp(u->key, key.p, key.len) == 0)
            return u;
    }
    return NULL;
}

void api_iam_key_used(api_ctx_t *ctx, kv_slice_t access_key, const char *service)
{
    iam_state_t *st = iam_state(ctx);
    if (st == NULL || access_key.len == 0 || access_key.len > 128)
        return;
    pthread_mutex_lock(&st->used_lock);
    iam_used_t *u = used_find(st, access_key, true);
    if (u) {
        u->ms = kv_now_ms();
        /* Written again only when they change (every request of the key comes here). */
        const char *svc = service ? service : "N/A";
        const char *region = ctx->region ? ctx->region : "us-east-1";
        if (strcmp(u->service, svc) != 0)
            snprintf(u->service, sizeof(u->service), "%s", svc);
        if (strcmp(u->region, region) != 0)
            snprintf(u->region, sizeof(u->region), "%s", region);
    }
    pthread_mutex_unlock(&st->used_lock);
}

#define ROLE_MARK "role:" /* a role's entry in the last-use table (no key id has a ':') */

void api_iam_role_used(api_ctx_t *ctx, kv_slice_t role_arn)
{
    iam_state_t *st = iam_state(ctx);
    kv_slice_t path, name;
    if (st == NULL || !role_name_of(role_arn, &path, &name))
        return;
    char key[sizeof(ROLE_MARK) + 64];
    int n = snprintf(key, sizeof(key), ROLE_MARK "%.*s", (int)name.len, (const char *)name.p);
    pthread_mutex_lock(&st->used_lock);
    iam_used_t *u = used_find(st, kv_slice(key, (size_t)n), true);
    if (u) {
        u->ms = kv_now_ms();
        snprintf(u->service, sizeof(u->service), "sts");
        snprintf(u->region, sizeof(u->region), "%s", ctx->region ? ctx->region : "us-east-1");
    }
    pthread_mutex_unlock(&st->used_lock);
}

/* Encode a last-use record: ms (8 bytes), service, 0, region. */
static kv_slice_t used_encode(kv_arena_t *a, const iam_used_t *u)
{
    size_t sl = strlen(u->service), rl = strlen(u->region);
    uint8_t *p = kv_arena_alloc(a, 8 + sl + 1 + rl);
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)((uint64_t)u->ms >> (56 - 8 * i));
    memcpy(p + 8, u->service, sl);
    p[8 + sl] = 0;
    memcpy(p + 9 + sl, u->region, rl);
    return kv_slice(p, 9 + sl + rl);
}

static bool used_decode(kv_slice_t v, iam_used_t *u)
{
    memset(u, 0, sizeof(*u));
    if (v.len < 9)
        return false;
    uint64_t ms = 0;
    for (int i = 0; i < 8; i++)
        ms = (ms << 8) | v.p[i];
    u->ms = (int64_t)ms;
    const uint8_t *z = memchr(v.p + 8, 0, v.len - 8);
    if (!z)
        return false;
    size_t sl = (size_t)(z - (v.p + 8)), rl = v.len - 9 - sl;
    snprintf(u->service, sizeof(u->service), "%.*s", (int)sl, (const char *)(v.p + 8));
    snprintf(u->region, sizeof(u->region), "%.*s", (int)rl, (const char *)(z + 1));
    return true;
}

int iam_used_run(api_ctx_t *ctx, void *state, unsigned budget)
{
    (void)budget;
    iam_state_t *st = state;
    pthread_mutex_lock(&st->used_lock);
    size_t n = st->n_used;
    iam_used_t *take = NULL;
    if (n) {
        take = st->used;
        st->used = kv_calloc(st->cap_used, sizeof(*st->used));
        st->n_used = 0;
    }
    pthread_mutex_unlock(&st->used_lock);
    if (!take)
        return INT32_MAX;
    kv_arena_t *a = kv_arena_new(16384);
    eng_iam_op_t *ops = kv_arena_calloc(a, n, sizeof(*ops));
    size_t m = 0;
    pthread_mutex_lock(&st->lock); /* a key deleted meanwhile keeps no record */
    for (size_t i = 0; i < st->cap_used && m < n; i++) {
        if (take[i].key[0] == 0)
            continue;
        kv_slice_t id = kv_slice_str(take[i].key), v;
        if (strncmp(take[i].key, ROLE_MARK, strlen(ROLE_MARK)) == 0) { /* RoleLastUsed */
            iam_ent_t e;
            kv_slice_t rn = kv_slice_str(take[i].key + strlen(ROLE_MARK));
            if (iam_ent_get(ctx, a, IAM_ROLE, rn, &e) != 0)
                continue;
            e.last_used_ms = take[i].ms;
            e.last_region = kv_arena_dup(a, kv_slice_str(take[i].region));
            ops[m].key = iam_k_ent(a, IAM_ROLE, rn);
            ops[m++].val = iam_ent_encode(a, &e);
            continue;
        }
        if (eng_iam_get(ctx->eng, iam_k_key(a, id), a, &v) != 0)
            continue;
        ops[m].key = iam_k_used(a, id);
        ops[m++].val = used_encode(a, &take[i]);
    }
    int rc = m ? eng_iam_write(ctx->eng, ops, m) : 0;
    pthread_mutex_unlock(&st->lock);
    if (rc)
        KV_LOG_WARN("iam: access keys' last use not written: %s", kv_err_str(rc));
    kv_arena_free(a);
    kv_free(take);
    return INT32_MAX;
}

int iam_get_access_key_last_used(iam_call_t *c)
{
    kv_slice_t id = iam_str(c, "AccessKeyId");
    if (id.p == NULL)
        return iam_validation(c, "1 validation error detected: Value null at 'accessKeyId' failed "
                                 "to satisfy constraint: Member must not be null");
    if (id.len < 16 || id.len > 128 || !iam_name_ok(id, 128))
        return iam_validation(c,
                              "1 validation error detected: Value '%.*s' at 'accessKeyId' "
                              "failed to satisfy constraint: Member must satisfy regular "
                              "expression pattern: [\\w]+",
                              (int)(id.len > 128 ? 128 : id.len), (const char *)id.p);
    kv_slice_t v;
    iam_key_t k;
    int rc = eng_iam_get(c->ctx->eng, iam_k_key(c->a, id), c->a, &v);
    if (rc == 0)
        rc = iam_key_decode(v, c->a, &k);
    iam_ent_t u;
    if (rc == 0)
        rc = iam_ent_get(c->ctx, c->a, IAM_USER, k.user, &u);
    if (rc && rc != KV_ENOTFOUND)
        return iam_fail_rc(c, rc);
    if (iam_authz(c, IAM_USER, rc == 0 ? u.path : KV_SLICE_LIT("/"),
                  rc == 0 ? u.name : KV_SLICE_LIT("*")))
        return -1;
    if (rc == KV_ENOTFOUND)
        return api_refuse(c->resp, API_E_IAM_NO_SUCH_ENTITY,
                          "The Access Key with id %.*s cannot be found.", (int)id.len,
                          (const char *)id.p);
    iam_used_t used = {0}, *pend;
    bool have = false;
    pthread_mutex_lock(&c->st->used_lock);
    if ((pend = used_find(c->st, id, false)) != NULL) {
        used = *pend;
        have = true;
    }
    pthread_mutex_unlock(&c->st->used_lock);
    if (!have && eng_iam_get(c->ctx->eng, iam_k_used(c->a, id), c->a, &v) == 0)
        have = used_decode(v, &used);
    api_xw_elem(&c->w, "UserName", u.name);
    api_xw_open(&c->w, "AccessKeyLastUsed");
    if (have)
        iam_xml_date(c, "LastUsedDate", used.ms);
    api_xw_elem_str(&c->w, "ServiceName", have ? used.service : "N/A");
    api_xw_elem_str(&c->w, "Region", have ? used.region : "N/A");
    api_xw_close(&c->w, "AccessKeyLastUsed");
    return 0;
}

/* ---- the service's state ---- */

int iam_init(api_ctx_t *ctx, const api_cfg_t *cfg, void **state)
{
    (void)ctx, (void)cfg;
    iam_state_t *st = kv_calloc(1, sizeof(*st));
    if (!st)
        return KV_ENOMEM;
    pthread_mutex_init(&st->lock, NULL);
    pthread_mutex_init(&st->used_lock, NULL);
    /* a fresh generation per run: no cache can take an earlier run's state for current */
    uint64_t g;
    kv_random(&g, sizeof(g));
    atomic_init(&st->gen, (g >> 1) | 1);
    st->cap_used = USED_CAP;
    st->used = kv_calloc(st->cap_used, sizeof(*st->used));
    *state = st;
    return 0;
}

void iam_fini(void *state)
{
    iam_state_t *st = state;
    if (!st)
        return;
    pthread_mutex_destroy(&st->lock);
    pthread_mutex_destroy(&st->used_lock);
    kv_free(st->used);
    kv_free(st);
}
