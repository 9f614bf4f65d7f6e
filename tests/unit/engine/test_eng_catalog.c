/* SPDX-License-Identifier: Apache-2.0 */
/* Catalog: tables and buckets on a temporary RocksDB, across reopen, and group commit. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/kv_arena.h"
#include "base/kv_hash.h"
#include "base/kv_time.h"
#include "eng.h"
#include "eng_int.h"
#include "eng_tlv.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/stratus-cat-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static eng_t *open_eng(eng_fsync_t mode)
{
    eng_opts_t o = {.dir = dir, .fsync = mode};
    eng_t *e = NULL;
    assert_int_equal(eng_open(&o, &e), 0);
    return e;
}

static void make_table(eng_table_t *t, const char *name, bool range)
{
    static eng_attr_def_t attrs[2] = {{"pk", ENG_SCALAR_S}, {"sk", ENG_SCALAR_N}};
    static eng_tag_t tags[1] = {{"team", "data"}};
    memset(t, 0, sizeof(*t));
    t->name = name;
    t->hash_key = "pk";
    t->hash_type = ENG_SCALAR_S;
    if (range) {
        t->range_key = "sk";
        t->range_type = ENG_SCALAR_N;
    }
    t->attrs = attrs;
    t->n_attrs = range ? 2 : 1;
    t->billing = ENG_BILLING_PROVISIONED;
    t->rcu = 5;
    t->wcu = 7;
    t->stream_enabled = true;
    t->stream_view = ENG_STREAM_NEW_IMAGE;
    t->tags = tags;
    t->n_tags = 1;
}

static void test_tables(void **state)
{
    (void)state;
    eng_t *e = open_eng(ENG_FSYNC_BATCH);
    eng_table_t t;
    make_table(&t, "orders", true);
    assert_int_equal(eng_table_create(e, &t), 0);
    assert_true(t.id > 0);
    assert_int_equal(strlen(t.uuid), 36);
    uint32_t first = t.id;
    eng_table_t dup;
    make_table(&dup, "orders", false);
    assert_int_equal(eng_table_create(e, &dup), KV_EEXIST);
    for (int i = 0; i < 5; i++) {
        char name[32];
        snprintf(name, sizeof(name), "tab-%d", i);
        eng_table_t x;
        make_table(&x, name, false);
        assert_int_equal(eng_table_create(e, &x), 0);
        assert_true(x.id > first);
    }
    kv_arena_t *a = kv_arena_new(4096);
    eng_table_t *got;
    assert_int_equal(eng_table_get(e, KV_SLICE_LIT("orders"), a, &got), 0);
    assert_string_equal(got->name, "orders");
    assert_string_equal(got->range_key, "sk");
    assert_int_equal(got->range_type, ENG_SCALAR_N);
    assert_int_equal(got->n_attrs, 2);
    assert_int_equal(got->rcu, 5);
    assert_int_equal(got->wcu, 7);
    assert_true(got->stream_enabled);
    assert_int_equal(got->stream_view, ENG_STREAM_NEW_IMAGE);
    assert_int_equal(got->n_tags, 1);
    assert_string_equal(got->tags[0].value, "data");
    assert_int_equal(eng_table_get(e, KV_SLICE_LIT("nope"), a, &got), KV_ENOTFOUND);

    /* Pagination: 6 tables, pages of 4. */
    const char **names;
    size_t n;
    bool more;
    assert_int_equal(eng_table_list(e, KV_SLICE_NULL, 4, a, &names, &n, &more), 0);
    assert_int_equal(n, 4);
    assert_true(more);
    assert_string_equal(names[0], "orders");
    assert_string_equal(names[3], "tab-2");
    assert_int_equal(eng_table_list(e, kv_slice_str(names[3]), 4, a, &names, &n, &more), 0);
    assert_int_equal(n, 2);
    assert_false(more);
    assert_string_equal(names[1], "tab-4");

    eng_table_t *old;
    assert_int_equal(eng_table_delete(e, KV_SLICE_LIT("tab-0"), a, &old), 0);
    assert_string_equal(old->name, "tab-0");
    assert_int_equal(eng_table_delete(e, KV_SLICE_LIT("tab-0"), a, &old), KV_ENOTFOUND);
    eng_close(e);

    /* Everything survives a reopen; ids keep increasing. */
    e = open_eng(ENG_FSYNC_ALWAYS);
    assert_int_equal(eng_table_get(e, KV_SLICE_LIT("orders"), a, &got), 0);
    assert_int_equal(got->id, first);
    assert_int_equal(eng_table_get(e, KV_SLICE_LIT("tab-0"), a, &got), KV_ENOTFOUND);
    eng_table_t y;
    make_table(&y, "later", false);
    assert_int_equal(eng_table_create(e, &y), 0);
    assert_true(y.id > first + 5);
    kv_arena_free(a);
    eng_close(e);
}

static void test_buckets(void **state)
{
    (void)state;
    eng_t *e = open_eng(ENG_FSYNC_NONE);
    eng_bucket_t b = {.name = "alpha"};
    assert_int_equal(eng_bucket_create(e, &b), 0);
    eng_bucket_t c = {.name = "beta", .region = "eu-west-1"};
    assert_int_equal(eng_bucket_create(e, &c), 0);
    eng_bucket_t d = {.name = "alpha"};
    assert_int_equal(eng_bucket_create(e, &d), KV_EEXIST);
    kv_arena_t *a = kv_arena_new(4096);
    eng_bucket_t *got;
    assert_int_equal(eng_bucket_get(e, KV_SLICE_LIT("beta"), a, &got), 0);
    assert_string_equal(got->region, "eu-west-1");
    eng_bucket_t *list;
    size_t n;
    bool more;
    assert_int_equal(eng_bucket_list(e, KV_SLICE_NULL, 1, a, &list, &n, &more), 0);
    assert_int_equal(n, 1);
    assert_true(more);
    assert_int_equal(eng_bucket_list(e, KV_SLICE_LIT("alpha"), 10, a, &list, &n, &more), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].name, "beta");
    assert_int_equal(eng_bucket_delete(e, KV_SLICE_LIT("alpha")), 0);
    assert_int_equal(eng_bucket_delete(e, KV_SLICE_LIT("alpha")), KV_ENOTFOUND);
    eng_close(e); /* fsync none: a clean close flushes the memtables */
    e = open_eng(ENG_FSYNC_NONE);
    assert_int_equal(eng_bucket_get(e, KV_SLICE_LIT("beta"), a, &got), 0);
    assert_int_equal(eng_bucket_get(e, KV_SLICE_LIT("alpha"), a, &got), KV_ENOTFOUND);
    kv_arena_free(a);
    eng_close(e);
}

/* Issue 18: bucket lookups are served from a cache; every change is seen by the next lookup
 * (versioning, a document, tags, a delete, a new bucket of the same name). */
static void test_bucket_cache(void **state)
{
    (void)state;
    eng_t *e = open_eng(ENG_FSYNC_NONE);
    eng_bucket_t b = {.name = "cached"};
    assert_int_equal(eng_bucket_create(e, &b), 0);
    kv_arena_t *a = kv_arena_new(4096);
    eng_bucket_t *got;
    for (int i = 0; i < 2; i++) { /* a read, then a cached one */
        assert_int_equal(eng_bucket_get(e, KV_SLICE_LIT("cached"), a, &got), 0);
        assert_int_equal(got->id, b.id);
        assert_int_equal(got->versioning, ENG_VERSIONING_OFF);
    }
    assert_int_equal(eng_bucket_set_versioning(e, KV_SLICE_LIT("cached"), ENG_VERSIONING_ENABLED),
                     0);
    assert_int_equal(eng_bucket_get(e, KV_SLICE_LIT("cached"), a, &got), 0);
    assert_int_equal(got->versioning, ENG_VERSIONING_ENABLED);
    assert_int_equal(
        eng_bucket_set_doc(e, KV_SLICE_LIT("cached"), ENG_BDOC_CORS, KV_SLICE_LIT("<x/>")), 0);
    assert_int_equal(eng_bucket_get(e, KV_SLICE_LIT("cached"), a, &got), 0);
    assert_true(kv_slice_eq(got->docs[ENG_BDOC_CORS], KV_SLICE_LIT("<x/>")));
    eng_tag_t tag = {.key = "k", .value = "v"};
    assert_int_equal(eng_bucket_set_tags(e, KV_SLICE_LIT("cached"), true, &tag, 1), 0);
    assert_int_equal(eng_bucket_get(e, KV_SLICE_LIT("cached"), a, &got), 0);
    assert_true(got->has_tags);
    assert_int_equal(got->n_tags, 1);
    assert_int_equal(eng_bucket_delete(e, KV_SLICE_LIT("cached")), 0);
    assert_int_equal(eng_bucket_get(e, KV_SLICE_LIT("cached"), a, &got), KV_ENOTFOUND);
    eng_bucket_t c = {.name = "cached"};
    assert_int_equal(eng_bucket_create(e, &c), 0);
    assert_int_equal(eng_bucket_get(e, KV_SLICE_LIT("cached"), a, &got), 0);
    assert_int_equal(got->id, c.id);
    assert_true(c.id != b.id);
    assert_int_equal(got->versioning, ENG_VERSIONING_OFF);
    assert_int_equal(got->docs[ENG_BDOC_CORS].len, 0);
    kv_arena_free(a);
    eng_close(e);
}

static void on_synced(void *arg, int status)
{
    int *n = arg;
    assert_int_equal(status, 0);
    __atomic_add_fetch(n, 1, __ATOMIC_SEQ_CST);
}

static void test_group_commit(void **state)
{
    (void)state;
    eng_t *e = open_eng(ENG_FSYNC_ALWAYS);
    int done = 0;
    for (int i = 0; i < 100; i++)
        eng_sync_after(e, on_synced, &done);
    for (int i = 0; i < 2000 && __atomic_load_n(&done, __ATOMIC_SEQ_CST) < 100; i++)
        usleep(1000);
    assert_int_equal(__atomic_load_n(&done, __ATOMIC_SEQ_CST), 100);
    eng_stats_t st;
    eng_stats_get(e, &st);
    /* Many waiters share a few syncs. */
    assert_true(st.wal_syncs >= 1 && st.wal_syncs < 100);
    eng_close(e);
}

/* A loop thread (one that defers its WAL writes): its waiters wait for the turn's kick, then
 * share one sync; none is released before it. */
static void *loop_like(void *arg)
{
    eng_t *e = arg;
    eng_wal_defer_thread();
    eng_stats_t st;
    eng_stats_get(e, &st);
    uint64_t syncs = st.wal_syncs;
    int done = 0;
    for (int i = 0; i < 64; i++) {
        char name[32];
        snprintf(name, sizeof(name), "kick-%d", i);
        eng_bucket_t b = {.name = name};
        assert_int_equal(eng_bucket_create(e, &b), 0);
        eng_sync_after(e, on_synced, &done);
    }
    usleep(50000);
    assert_int_equal(__atomic_load_n(&done, __ATOMIC_SEQ_CST), 0);
    eng_stats_get(e, &st);
    assert_int_equal(st.wal_syncs, syncs);
    assert_true(eng_wal_pending(e));
    eng_sync_kick(e);
    for (int i = 0; i < 2000 && __atomic_load_n(&done, __ATOMIC_SEQ_CST) < 64; i++)
        usleep(1000);
    assert_int_equal(__atomic_load_n(&done, __ATOMIC_SEQ_CST), 64);
    eng_stats_get(e, &st);
    assert_int_equal(st.wal_syncs, syncs + 1);
    assert_false(eng_wal_pending(e)); /* the sync wrote the buffer */
    eng_sync_kick(e);                 /* nothing queued: no sync */
    usleep(20000);
    eng_stats_get(e, &st);
    assert_int_equal(st.wal_syncs, syncs + 1);
    return NULL;
}

static void test_group_commit_kick(void **state)
{
    (void)state;
    eng_t *e = open_eng(ENG_FSYNC_ALWAYS);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, loop_like, e), 0);
    pthread_join(t, NULL);
    eng_close(e);
}

static void on_commit(void *arg, uint64_t seq)
{
    uint64_t *last = arg;
    *last = seq;
}

static void test_notifier_and_lock(void **state)
{
    (void)state;
    eng_t *e = open_eng(ENG_FSYNC_BATCH);
    uint64_t last = 0;
    assert_int_equal(eng_notifier_add(e, on_commit, &last), 0);
    eng_bucket_t b = {.name = "gamma"};
    assert_int_equal(eng_bucket_create(e, &b), 0);
    assert_true(last > 0);
    assert_int_equal(last, eng_seq(e));
    /* A second open of the same directory is refused by RocksDB's lock. */
    eng_opts_t o = {.dir = dir, .fsync = ENG_FSYNC_BATCH};
    eng_t *e2 = NULL;
    assert_int_equal(eng_open(&o, &e2), KV_ELOCKED);
    eng_close(e);
}

/* A transaction's decisions: put item `put` (or delete), or refuse. */
typedef struct {
    eng_item_t *put;
    bool refuse;
} txn_arg_t;

static int txn_cb(void *arg, const eng_item_t *old, eng_item_t **nu)
{
    txn_arg_t *x = arg;
    (void)old;
    if (x->refuse)
        return KV_ECONDFAIL;
    if (x->put == NULL)
        return ENG_RMW_DELETE;
    *nu = x->put;
    return ENG_RMW_PUT;
}

/* All or nothing across items; a held item lock is a conflict, not a wait. */
static void test_item_txn(void **state)
{
    (void)state;
    eng_t *e = open_eng(ENG_FSYNC_BATCH);
    kv_arena_t *a = kv_arena_new(4096);
    eng_av_t v = {.t = ENG_AV_S, .u.s = KV_SLICE_LIT("x")};
    eng_attr_t at = {KV_SLICE_LIT("a"), &v};
    eng_item_t item = {&at, 1};
    kv_slice_t keys[3] = {KV_SLICE_LIT("k1"), KV_SLICE_LIT("k2"), KV_SLICE_LIT("k3")};
    txn_arg_t put = {&item, false}, refuse = {NULL, true}, del = {NULL, false};
    eng_txn_op_t ops[3] = {{.key = keys[0], .cb = txn_cb, .arg = &put},
                           {.key = keys[1], .cb = txn_cb, .arg = &put},
                           {.key = keys[2], .cb = txn_cb, .arg = &refuse}};
    assert_int_equal(eng_item_txn(e, ops, 3, a), KV_ECONDFAIL);
    assert_int_equal(ops[0].rc, ENG_RMW_PUT);
    assert_int_equal(ops[2].rc, KV_ECONDFAIL);
    eng_item_t *got[3];
    assert_int_equal(eng_item_get_many(e, keys, 3, a, got), 0);
    assert_null(got[0]); /* nothing was written */
    ops[2].arg = &put;
    assert_int_equal(eng_item_txn(e, ops, 3, a), 0);
    assert_int_equal(eng_item_get_many(e, keys, 3, a, got), 0);
    assert_non_null(got[0]);
    assert_non_null(got[2]);
    /* Another writer holds k2's lock: the transaction gives up with a conflict on k2. */
    pthread_mutex_t *l = &e->item_locks[kv_xxh3(keys[1].p, keys[1].len) % ENG_ITEM_LOCKS];
    pthread_mutex_lock(l);
    ops[0].arg = ops[1].arg = ops[2].arg = &del;
    assert_int_equal(eng_item_txn(e, ops, 3, a), KV_EBUSY);
    assert_int_equal(ops[1].rc, KV_EBUSY);
    pthread_mutex_unlock(l);
    assert_int_equal(eng_item_get_many(e, keys, 3, a, got), 0);
    assert_non_null(got[0]);
    assert_int_equal(eng_item_txn(e, ops, 3, a), 0);
    assert_int_equal(eng_item_get_many(e, keys, 3, a, got), 0);
    assert_null(got[1]);
    /* A single-item write meeting an item a transaction holds is a conflict, not a wait. */
    uint64_t h = kv_xxh3(keys[1].p, keys[1].len);
    pthread_mutex_lock(l);
    atomic_store(&e->txn_items[h % ENG_ITEM_LOCKS], h | 2);
    eng_item_t *old;
    bool written;
    assert_int_equal(eng_item_rmw(e, NULL, keys[1], a, txn_cb, &put, &old, &written), KV_EBUSY);
    assert_int_equal(eng_item_write(e, NULL, keys[1], &item), KV_EBUSY);
    atomic_store(&e->txn_items[h % ENG_ITEM_LOCKS], 0);
    pthread_mutex_unlock(l);
    assert_int_equal(eng_item_rmw(e, NULL, keys[1], a, txn_cb, &put, &old, &written), 0);
    assert_true(written);
    kv_arena_free(a);
    eng_close(e);
}

/* An item of the indexed table: pk, sk and optional attributes. */
static eng_item_t *ix_item(kv_arena_t *a, const char *pk, const char *sk, const char *g,
                           const char *n, const char *x)
{
    const char *names[5] = {"pk", "sk", "g", "n", "x"};
    const char *vals[5] = {pk, sk, g, n, x};
    eng_av_type_t types[5] = {ENG_AV_S, ENG_AV_N, ENG_AV_S, ENG_AV_N, ENG_AV_S};
    eng_item_t *it = kv_arena_calloc(a, 1, sizeof(*it));
    it->attrs = kv_arena_calloc(a, 5, sizeof(eng_attr_t));
    for (int i = 0; i < 5; i++) {
        if (vals[i] == NULL)
            continue;
        eng_av_t *v = kv_arena_calloc(a, 1, sizeof(*v));
        v->t = types[i];
        v->u.s = kv_slice_str(vals[i]);
        it->attrs[it->n].name = kv_slice_str(names[i]);
        it->attrs[it->n++].v = v;
    }
    return it;
}

static uint64_t ix_count(eng_t *e, const eng_table_t *t, const eng_index_t *ix)
{
    uint64_t n, bytes;
    assert_int_equal(eng_index_stats(e, t, ix, 1000, &n, &bytes), 0);
    return n;
}

static int put_cb(void *arg, const eng_item_t *old, eng_item_t **nu)
{
    (void)old;
    *nu = arg;
    return ENG_RMW_PUT;
}

static void test_indexes(void **state)
{
    (void)state;
    eng_t *e = open_eng(ENG_FSYNC_BATCH);
    kv_arena_t *a = kv_arena_new(4096);
    eng_table_t def;
    make_table(&def, "ix", true);
    static eng_attr_def_t attrs[4] = {
        {"pk", ENG_SCALAR_S}, {"sk", ENG_SCALAR_N}, {"g", ENG_SCALAR_S}, {"n", ENG_SCALAR_N}};
    static const char *inc[1] = {"x"};
    eng_index_t idx[2] = {{.name = "gsi",
                           .global = true,
                           .hash_key = "g",
                           .hash_type = ENG_SCALAR_S,
                           .proj = ENG_PROJ_KEYS_ONLY},
                          {.name = "lsi",
                           .hash_key = "pk",
                           .hash_type = ENG_SCALAR_S,
                           .range_key = "n",
                           .range_type = ENG_SCALAR_N,
                           .proj = ENG_PROJ_INCLUDE,
                           .include = inc,
                           .n_include = 1}};
    def.attrs = attrs;
    def.n_attrs = 4;
    def.indexes = idx;
    def.n_indexes = 2;
    assert_int_equal(eng_table_create(e, &def), 0);
    eng_table_t *t;
    assert_int_equal(eng_table_get(e, kv_slice_str("ix"), a, &t), 0);
    assert_int_equal(t->n_indexes, 2);
    const eng_index_t *g = eng_index_find(t, kv_slice_str("gsi"));
    const eng_index_t *l = eng_index_find(t, kv_slice_str("lsi"));
    assert_non_null(g);
    assert_non_null(l);
    assert_int_not_equal(g->id, l->id);
    assert_int_equal(l->n_include, 1);

    /* A write puts the item's entries in both indexes, projected. */
    eng_item_t *it = ix_item(a, "a", "1", "G1", "5", "X");
    eng_attr_t *more = kv_arena_calloc(a, 6, sizeof(*more));
    memcpy(more, it->attrs, it->n * sizeof(*more));
    eng_av_t yv = {.t = ENG_AV_S, .u.s = KV_SLICE_LIT("Y")};
    more[it->n++] = (eng_attr_t){KV_SLICE_LIT("y"), &yv};
    it->attrs = more;
    kv_slice_t key, gk, lk;
    assert_int_equal(eng_item_key(t, it->attrs[0].v, it->attrs[1].v, a, &key), 0);
    assert_int_equal(eng_item_write(e, t, key, it), 0);
    assert_int_equal(eng_index_key(t, g, it, a, &gk), 0);
    assert_int_equal(eng_index_key(t, l, it, a, &lk), 0);
    eng_item_t *got;
    assert_int_equal(eng_item_get(e, gk, a, &got), 0);
    assert_int_equal(got->n, 3); /* KEYS_ONLY: pk, sk, g */
    assert_null(eng_item_get_attr(got, KV_SLICE_LIT("x")));
    assert_int_equal(eng_item_get(e, lk, a, &got), 0);
    assert_int_equal(got->n, 4); /* INCLUDE x: pk, sk, n, x */
    assert_non_null(eng_item_get_attr(got, KV_SLICE_LIT("x")));
    assert_null(eng_item_get_attr(got, KV_SLICE_LIT("y")));

    /* A read-modify-write that changes the index key moves the entry. */
    eng_item_t *it2 = ix_item(a, "a", "1", "G2", "5", NULL);
    eng_item_t *old;
    bool written;
    assert_int_equal(eng_item_rmw(e, t, key, a, put_cb, it2, &old, &written), 0);
    assert_int_equal(eng_item_get(e, gk, a, &got), KV_ENOTFOUND);
    assert_int_equal(eng_index_key(t, g, it2, a, &gk), 0);
    assert_int_equal(eng_item_get(e, gk, a, &got), 0);
    assert_int_equal(eng_item_get(e, lk, a, &got), 0);
    assert_null(eng_item_get_attr(got, KV_SLICE_LIT("x"))); /* the projection follows */

    /* Sparse: an item without the GSI key has no GSI entry. */
    eng_item_t *it3 = ix_item(a, "b", "2", NULL, "6", NULL);
    kv_slice_t key3;
    assert_int_equal(eng_item_key(t, it3->attrs[0].v, it3->attrs[1].v, a, &key3), 0);
    assert_int_equal(eng_item_write(e, t, key3, it3), 0);
    assert_int_equal(eng_index_key(t, g, it3, a, &gk), KV_ENOTFOUND);
    assert_int_equal(ix_count(e, t, g), 1);
    assert_int_equal(ix_count(e, t, l), 2);
    assert_int_equal(ix_count(e, t, NULL), 2);

    /* A GSI added later starts CREATING; writes maintain it at once; the backfill indexes the
     * rest and makes it ACTIVE. */
    eng_index_t nx = {.name = "byn",
                      .global = true,
                      .hash_key = "n",
                      .hash_type = ENG_SCALAR_N,
                      .proj = ENG_PROJ_ALL};
    assert_int_equal(eng_table_add_index(e, kv_slice_str("ix"), &nx), 0);
    assert_int_equal(eng_table_add_index(e, kv_slice_str("ix"), &nx), KV_EEXIST);
    eng_item_t *it4 = ix_item(a, "c", "3", NULL, "7", NULL);
    kv_slice_t key4;
    assert_int_equal(eng_item_key(t, it4->attrs[0].v, it4->attrs[1].v, a, &key4), 0);
    assert_int_equal(eng_item_write(e, t, key4, it4), 0); /* t is stale: the engine refreshes */
    eng_table_t *t2;
    assert_int_equal(eng_table_get(e, kv_slice_str("ix"), a, &t2), 0);
    const eng_index_t *n = eng_index_find(t2, kv_slice_str("byn"));
    assert_non_null(n);
    assert_true(n->creating);
    assert_int_equal(t2->n_attrs, 4); /* n was defined already */
    assert_int_equal(ix_count(e, t2, n), 1);
    assert_int_equal(eng_index_backfill(e, kv_slice_str("ix"), n->id), 0);
    assert_int_equal(eng_table_get(e, kv_slice_str("ix"), a, &t2), 0);
    n = eng_index_find(t2, kv_slice_str("byn"));
    assert_false(n->creating);
    assert_int_equal(ix_count(e, t2, n), 3);

    /* Deletes take entries with them; dropping an index drops its entries. */
    assert_int_equal(eng_item_write(e, t2, key3, NULL), 0);
    assert_int_equal(ix_count(e, t2, l), 2);
    assert_int_equal(ix_count(e, t2, n), 2);
    eng_index_t keep = *n;
    assert_int_equal(eng_table_drop_index(e, kv_slice_str("ix"), kv_slice_str("byn")), 0);
    assert_int_equal(eng_table_drop_index(e, kv_slice_str("ix"), kv_slice_str("byn")),
                     KV_ENOTFOUND);
    assert_int_equal(ix_count(e, t2, &keep), 0);
    eng_close(e);

    /* Definitions survive a reopen. */
    e = open_eng(ENG_FSYNC_BATCH);
    assert_int_equal(eng_table_get(e, kv_slice_str("ix"), a, &t2), 0);
    assert_int_equal(t2->n_indexes, 2);
    assert_string_equal(t2->indexes[1].name, "lsi");
    assert_string_equal(t2->indexes[1].include[0], "x");
    assert_int_equal(t2->last_index_id, 3);
    kv_arena_free(a);
    eng_close(e);
}

static int del_cb(void *arg, const eng_item_t *old, eng_item_t **nu)
{
    (void)arg, (void)nu;
    return old ? ENG_RMW_DELETE : ENG_RMW_NONE;
}

typedef struct {
    size_t n;
    uint64_t last_seq;
} walk_t;

static int walk_cb(void *arg, const eng_srec_t *r)
{
    walk_t *w = arg;
    assert_true(w->n == 0 || r->seq < w->last_seq); /* newest first */
    w->last_seq = r->seq;
    w->n++;
    return 0;
}

static void test_streams(void **state)
{
    (void)state;
    eng_t *e = open_eng(ENG_FSYNC_BATCH);
    kv_arena_t *a = kv_arena_new(4096);
    eng_table_t def;
    make_table(&def, "st", true);
    def.stream_view = ENG_STREAM_NEW_AND_OLD_IMAGES;
    assert_int_equal(eng_table_create(e, &def), 0);
    eng_table_t *t;
    assert_int_equal(eng_table_get(e, kv_slice_str("st"), a, &t), 0);
    assert_int_not_equal(t->stream_id, 0);
    eng_stream_t *s;
    assert_int_equal(eng_stream_get(e, t->stream_id, a, &s), 0);
    assert_string_equal(s->table, "st");
    assert_int_equal(s->view, ENG_STREAM_NEW_AND_OLD_IMAGES);
    assert_int_equal(s->disabled_ms, 0);

    /* INSERT, a no-op, MODIFY, REMOVE, and a delete of nothing: three records. */
    eng_item_t *i1 = ix_item(a, "a", "1", "G", NULL, NULL);
    eng_item_t *i2 = ix_item(a, "a", "1", "H", NULL, NULL);
    kv_slice_t key;
    assert_int_equal(eng_item_key(t, i1->attrs[0].v, i1->attrs[1].v, a, &key), 0);
    assert_int_equal(eng_item_write(e, t, key, i1), 0);
    assert_int_equal(eng_item_write(e, t, key, i1), 0);
    eng_item_t *old;
    bool written;
    assert_int_equal(eng_item_rmw(e, t, key, a, put_cb, i2, &old, &written), 0);
    assert_int_equal(eng_item_rmw_service(e, t, key, a, del_cb, NULL, &written), 0);
    assert_true(written);
    assert_int_equal(eng_item_write(e, t, key, NULL), 0);
    uint64_t first, last, trimmed;
    assert_int_equal(eng_stream_bounds(e, t->stream_id, &first, &last, &trimmed), 0);
    assert_int_equal(last - first, 2);
    assert_int_equal(trimmed, 0);
    eng_srec_t *recs;
    size_t n;
    assert_int_equal(eng_stream_read(e, t->stream_id, first, 10, 1 << 20, a, &recs, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(recs[0].event, ENG_EV_INSERT);
    assert_null(recs[0].old_img);
    assert_non_null(recs[0].new_img);
    assert_int_equal(recs[1].event, ENG_EV_MODIFY);
    assert_non_null(recs[1].old_img);
    assert_int_equal(recs[2].event, ENG_EV_REMOVE);
    assert_true(recs[2].service);
    assert_false(recs[1].service);
    assert_int_equal(recs[2].keys->n, 2);
    assert_true(recs[0].seq < recs[1].seq && recs[1].seq < recs[2].seq);
    /* Limit and position. */
    assert_int_equal(eng_stream_read(e, t->stream_id, recs[1].seq, 1, 1 << 20, a, &recs, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(recs[0].event, ENG_EV_MODIFY);
    walk_t w = {0, 0};
    assert_int_equal(eng_stream_walk_back(e, t->stream_id, 0, a, walk_cb, &w), 0);
    assert_int_equal(w.n, 3);
    /* One shard so far (4-hour periods), from the first record. */
    eng_shard_t *sh;
    size_t ns;
    assert_int_equal(eng_stream_shards(e, t->stream_id, a, &sh, &ns), 0);
    assert_int_equal(ns, 1);
    assert_int_equal(sh[0].first, first);
    /* With 30 ms periods, a write after a pause opens a second shard at its own number. */
    eng_stream_set_shard_ms(e, 30);
    usleep(40000);
    assert_int_equal(eng_item_write(e, t, key, i1), 0);
    assert_int_equal(eng_item_write(e, t, key, i2), 0);
    assert_int_equal(eng_stream_shards(e, t->stream_id, a, &sh, &ns), 0);
    assert_true(ns >= 2);
    assert_true(sh[ns - 1].start_ms > sh[0].start_ms);
    assert_true(sh[ns - 1].first > last);
    assert_int_equal(eng_stream_bounds(e, t->stream_id, &first, &last, &trimmed), 0);
    eng_stream_set_shard_ms(e, 0);

    /* Numbers go on increasing after a reopen. */
    eng_close(e);
    e = open_eng(ENG_FSYNC_BATCH);
    assert_int_equal(eng_table_get(e, kv_slice_str("st"), a, &t), 0);
    assert_int_equal(eng_item_write(e, t, key, i1), 0);
    uint64_t f2, l2;
    assert_int_equal(eng_stream_bounds(e, t->stream_id, &f2, &l2, &trimmed), 0);
    assert_int_equal(f2, first);
    assert_int_equal(l2, last + 1);

    /* Trimming drops records past their age and remembers where it stopped. */
    assert_int_equal(eng_stream_trim(e, kv_now_ms() + 10000, 5000, 5000), 0);
    assert_int_equal(eng_stream_bounds(e, t->stream_id, &f2, &l2, &trimmed), 0);
    assert_true(f2 > l2);
    assert_int_equal(trimmed, last + 1);

    /* Switching the stream off marks it disabled; a later trim removes it. */
    eng_table_t nt = *t;
    nt.stream_enabled = false;
    nt.stream_view = ENG_STREAM_NONE;
    assert_int_equal(eng_table_update(e, &nt), 0);
    assert_int_equal(eng_stream_get(e, t->stream_id, a, &s), 0);
    assert_int_not_equal(s->disabled_ms, 0);
    eng_table_t *t2;
    assert_int_equal(eng_table_get(e, kv_slice_str("st"), a, &t2), 0);
    assert_int_equal(t2->stream_id, 0);
    assert_int_equal(eng_stream_trim(e, kv_now_ms() + 10000, 5000, 5000), 0);
    assert_int_equal(eng_stream_get(e, t->stream_id, a, &s), KV_ENOTFOUND);
    kv_arena_free(a);
    eng_close(e);
}

/* The stream's layout now (no shard opened), its shards checked to follow each other. */
static eng_stream_layout_t layout_at(eng_t *e, uint32_t id, int64_t now_ms, kv_arena_t *a)
{
    eng_stream_layout_t v;
    assert_int_equal(eng_stream_layout(e, id, now_ms, a, &v), 0);
    for (size_t i = 0; i + 1 < v.n; i++) {
        assert_true(v.shards[i].start_ms < v.shards[i + 1].start_ms);
        assert_true(v.shards[i].first <= v.shards[i + 1].first);
    }
    return v;
}

static void test_stream_layout(void **state)
{
    (void)state;
    eng_t *e = open_eng(ENG_FSYNC_BATCH);
    kv_arena_t *a = kv_arena_new(4096);
    eng_table_t def;
    make_table(&def, "sl", true);
    def.stream_view = ENG_STREAM_KEYS_ONLY;
    assert_int_equal(eng_table_create(e, &def), 0);
    eng_table_t *t;
    assert_int_equal(eng_table_get(e, kv_slice_str("sl"), a, &t), 0);
    const int64_t period = 1000000; /* long enough that the writes below stay in one period */
    eng_stream_set_shard_ms(e, period);
    int64_t p0 = kv_now_ms() / period * period;
    eng_item_t *i1 = ix_item(a, "a", "1", "G", NULL, NULL);
    eng_item_t *i2 = ix_item(a, "a", "1", "H", NULL, NULL);
    kv_slice_t key;
    assert_int_equal(eng_item_key(t, i1->attrs[0].v, i1->attrs[1].v, a, &key), 0);
    assert_int_equal(eng_item_write(e, t, key, i1), 0);
    eng_stream_layout_t v = layout_at(e, t->stream_id, 0, a);
    assert_int_equal(v.n, 1);
    assert_int_equal(v.shards[0].start_ms, p0);
    assert_int_equal(v.shards[0].first, v.first);
    assert_int_equal(v.first, v.last);
    uint64_t r1 = v.last;
    /* Read in the next period: its shard opens from the next number, and stays. */
    v = layout_at(e, t->stream_id, p0 + period, a);
    assert_int_equal(v.n, 2);
    assert_int_equal(v.shards[1].start_ms, p0 + period);
    assert_int_equal(v.shards[1].first, r1 + 1);
    assert_int_equal(v.last, r1);
    v = layout_at(e, t->stream_id, 0, a);
    assert_int_equal(v.n, 2);
    v = layout_at(e, t->stream_id, p0 + period + 1, a); /* the same period: nothing new */
    assert_int_equal(v.n, 2);
    /* The period after passes idle: its shard stays, empty, before the next one. */
    v = layout_at(e, t->stream_id, p0 + 2 * period, a);
    assert_int_equal(v.n, 3);
    assert_int_equal(v.shards[1].first, v.shards[2].first);
    /* A write now goes to the last shard opened (the clock is behind the reader's here). */
    assert_int_equal(eng_item_write(e, t, key, i2), 0);
    v = layout_at(e, t->stream_id, 0, a);
    assert_int_equal(v.n, 3);
    assert_int_equal(v.last, v.shards[2].first);
    /* A disabled reader (now 0) or the bounds alone never open one. */
    uint64_t f, l, tr;
    assert_int_equal(eng_stream_bounds(e, t->stream_id, &f, &l, &tr), 0);
    assert_int_equal(f, v.first);
    assert_int_equal(l, v.last);
    /* Trimming every record drops the shards before the last. */
    int64_t far = p0 + 10 * period;
    assert_int_equal(eng_stream_trim(e, far, 1, 1), 0);
    v = layout_at(e, t->stream_id, 0, a);
    assert_int_equal(v.n, 1);
    assert_int_equal(v.shards[0].start_ms, p0 + 2 * period);
    assert_true(v.first > v.last);
    /* Shards opened for readers with no record in them go once retention is past them. */
    v = layout_at(e, t->stream_id, p0 + 3 * period, a);
    assert_int_equal(v.n, 2);
    assert_int_equal(eng_stream_trim(e, p0 + 3 * period + period / 2, period, period), 0);
    assert_int_equal(layout_at(e, t->stream_id, 0, a).n, 2); /* within retention: kept */
    assert_int_equal(eng_stream_trim(e, p0 + 3 * period + period + 1, period, period), 0);
    v = layout_at(e, t->stream_id, 0, a);
    assert_int_equal(v.n, 1);
    assert_int_equal(v.shards[0].start_ms, p0 + 3 * period);
    eng_stream_set_shard_ms(e, 0);
    kv_arena_free(a);
    eng_close(e);
}

/* Writers numbering records and opening shards (1 ms periods) while a reader takes layouts:
 * each layout holds every shard's first number, and its last shard begins at most one past
 * the last record (the shards and bounds are one read). */
typedef struct layout_writer {
    eng_t *e;
    eng_table_t *t;
    atomic_bool stop;
    int n, rc; /* writes made; the first failure (asserts belong to the test's thread) */
} layout_writer_t;

static void *layout_write(void *arg)
{
    layout_writer_t *w = arg;
    kv_arena_t *a = kv_arena_new(4096);
    while (!atomic_load(&w->stop) && w->rc == 0) {
        char pk[32];
        snprintf(pk, sizeof(pk), "k%d", w->n++);
        eng_item_t *it = ix_item(a, pk, "1", NULL, NULL, NULL);
        kv_slice_t key;
        w->rc = eng_item_key(w->t, it->attrs[0].v, it->attrs[1].v, a, &key);
        if (w->rc == 0)
            w->rc = eng_item_write(w->e, w->t, key, it);
        kv_arena_reset(a);
    }
    kv_arena_free(a);
    return NULL;
}

static void test_stream_layout_concurrent(void **state)
{
    (void)state;
    eng_t *e = open_eng(ENG_FSYNC_NONE);
    kv_arena_t *a = kv_arena_new(65536);
    eng_table_t def;
    make_table(&def, "sc", true);
    def.stream_view = ENG_STREAM_KEYS_ONLY;
    assert_int_equal(eng_table_create(e, &def), 0);
    layout_writer_t w = {.e = e};
    kv_arena_t *ta = kv_arena_new(4096); /* the table, for the writer: a is reset per read */
    assert_int_equal(eng_table_get(e, kv_slice_str("sc"), ta, &w.t), 0);
    eng_stream_set_shard_ms(e, 1);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, layout_write, &w), 0);
    uint64_t t0 = kv_now_mono_ns();
    int reads = 0;
    while (kv_now_mono_ns() - t0 < 400000000u || reads < 50) {
        eng_stream_layout_t v;
        int rc = eng_stream_layout(e, w.t->stream_id, reads % 2 ? kv_now_ms() : 0, a, &v);
        /* One stream only: the numbers are consecutive, and every shard starts at one of its
         * records or at the number after the last. */
        bool ok = rc == 0 && (v.n == 0 || v.shards[v.n - 1].first <= v.last + 1) &&
                  (v.n == 0 || v.first > v.last || v.shards[0].first <= v.first);
        for (size_t i = 0; ok && i + 1 < v.n; i++)
            ok = v.shards[i].start_ms < v.shards[i + 1].start_ms &&
                 v.shards[i].first <= v.shards[i + 1].first;
        if (!ok) {
            fprintf(stderr, "layout %d: rc %d first %llu last %llu n %zu\n", reads, rc,
                    (unsigned long long)v.first, (unsigned long long)v.last, v.n);
            for (size_t i = 0; i < v.n; i++)
                fprintf(stderr, "  %lld %llu\n", (long long)v.shards[i].start_ms,
                        (unsigned long long)v.shards[i].first);
            break;
        }
        reads++;
        kv_arena_reset(a);
    }
    atomic_store(&w.stop, true);
    pthread_join(th, NULL);
    assert_int_equal(w.rc, 0);
    assert_true(w.n > 0);
    assert_true(reads >= 50);
    eng_stream_set_shard_ms(e, 0);
    kv_arena_free(ta);
    kv_arena_free(a);
    eng_close(e);
}

/* An id whose counter write failed is not handed out: after a reopen it is not given twice. */
static void test_take_id_failed_write(void **state)
{
    (void)state;
    eng_t *e = open_eng(ENG_FSYNC_ALWAYS);
    uint32_t id1 = 0, id = 1;
    assert_int_equal(eng__take_id(e, &id1), 0);
    assert_true(id1 > 0);
    eng_close(e);
    /* A reserve larger than any disk: every plain write is refused. */
    eng_opts_t o = {.dir = dir, .fsync = ENG_FSYNC_ALWAYS, .disk_reserve = 1ull << 62};
    assert_int_equal(eng_open(&o, &e), 0);
    assert_int_equal(eng__take_id(e, &id), KV_ENOSPACE);
    assert_int_equal(id, 0);
    eng_close(e);
    e = open_eng(ENG_FSYNC_ALWAYS);
    uint32_t id2 = 0, id3 = 0;
    assert_int_equal(eng__take_id(e, &id2), 0);
    assert_int_equal(eng__take_id(e, &id3), 0);
    assert_int_equal(id2, id1 + 1);
    assert_int_equal(id3, id2 + 1);
    eng_close(e);
}

/* ---- read cursors: Query and Scan from typed values ---- */

/* The sort keys (attribute sk) a cursor returns, joined by ','; the count in *n. */
static const char *read_all(eng_t *e, const eng_read_spec_t *rs, kv_arena_t *a, size_t *n)
{
    eng_cursor_t *c;
    eng_read_err_t why;
    assert_int_equal(eng_cursor_open(e, rs, &c, &why), 0);
    kv_buf_t out;
    kv_buf_init(&out, 1 << 16);
    eng_item_t *it;
    int rc;
    *n = 0;
    while ((rc = eng_cursor_next(c, a, &it)) == 1) {
        eng_av_t *sk = eng_item_get_attr(it, KV_SLICE_LIT("sk"));
        assert_non_null(sk);
        if (out.len)
            kv_buf_append_byte(&out, ',');
        kv_buf_append_slice(&out, sk->u.s);
        (*n)++;
        assert_true(*n <= 1000);
    }
    assert_int_equal(rc, 0);
    eng_cursor_close(c);
    const char *r = kv_arena_strndup(a, out.p, out.len);
    kv_buf_dispose(&out);
    return r;
}

static eng_read_err_t refused(eng_t *e, const eng_read_spec_t *rs)
{
    eng_cursor_t *c = NULL;
    eng_read_err_t why = ENG_READ_OK;
    assert_int_equal(eng_cursor_open(e, rs, &c, &why), KV_EINVAL);
    assert_null(c);
    return why;
}

static void test_cursors(void **state)
{
    (void)state;
    eng_t *e = open_eng(ENG_FSYNC_NONE);
    kv_arena_t *a = kv_arena_new(4096);
    eng_table_t def;
    make_table(&def, "cur", true);
    static eng_attr_def_t attrs[3] = {
        {"pk", ENG_SCALAR_S}, {"sk", ENG_SCALAR_N}, {"g", ENG_SCALAR_S}};
    eng_index_t gsi = {.name = "gsi",
                       .global = true,
                       .hash_key = "g",
                       .hash_type = ENG_SCALAR_S,
                       .range_key = "sk",
                       .range_type = ENG_SCALAR_N};
    def.attrs = attrs;
    def.n_attrs = 3;
    def.indexes = &gsi;
    def.n_indexes = 1;
    assert_int_equal(eng_table_create(e, &def), 0);
    eng_table_t *t;
    assert_int_equal(eng_table_get(e, KV_SLICE_LIT("cur"), a, &t), 0);
    const eng_index_t *g = eng_index_find(t, KV_SLICE_LIT("gsi"));
    const char *pks[3] = {"a", "b", "c"}, *sks[5] = {"10", "-2", "1.5", "1", "3"};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 5; j++) {
            eng_item_t *it = ix_item(a, pks[i], sks[j], "G", NULL, NULL);
            kv_slice_t key;
            assert_int_equal(eng_item_key(t, it->attrs[0].v, it->attrs[1].v, a, &key), 0);
            assert_int_equal(eng_item_write(e, t, key, it), 0);
        }
    eng_av_t pa = {.t = ENG_AV_S, .u.s = KV_SLICE_LIT("a")};
    eng_av_t n1 = {.t = ENG_AV_N, .u.s = KV_SLICE_LIT("1")};
    eng_av_t n15 = {.t = ENG_AV_N, .u.s = KV_SLICE_LIT("1.5")};
    eng_av_t n3 = {.t = ENG_AV_N, .u.s = KV_SLICE_LIT("3")};
    size_t n;

    /* Query: the partition in sort-key order (numbers by value), each condition's slice. */
    eng_read_spec_t q = {.t = t, .pk = &pa};
    assert_string_equal(read_all(e, &q, a, &n), "-2,1,1.5,3,10");
    q.sk_op = ENG_SK_EQ;
    q.sk1 = &n15;
    assert_string_equal(read_all(e, &q, a, &n), "1.5");
    q.sk_op = ENG_SK_LT;
    assert_string_equal(read_all(e, &q, a, &n), "-2,1");
    q.sk_op = ENG_SK_LE;
    assert_string_equal(read_all(e, &q, a, &n), "-2,1,1.5");
    q.sk_op = ENG_SK_GT;
    assert_string_equal(read_all(e, &q, a, &n), "3,10");
    q.sk_op = ENG_SK_GE;
    assert_string_equal(read_all(e, &q, a, &n), "1.5,3,10");
    q.sk_op = ENG_SK_BETWEEN;
    q.sk1 = &n1;
    q.sk2 = &n3;
    assert_string_equal(read_all(e, &q, a, &n), "1,1.5,3");
    q.reverse = true;
    assert_string_equal(read_all(e, &q, a, &n), "3,1.5,1");
    /* ExclusiveStartKey: after it, in the read's direction. */
    eng_item_t *start = ix_item(a, "a", "1.5", NULL, NULL, NULL);
    q.start = start;
    assert_string_equal(read_all(e, &q, a, &n), "1");
    q.reverse = false;
    assert_string_equal(read_all(e, &q, a, &n), "3");
    q.sk_op = ENG_SK_NONE;
    assert_string_equal(read_all(e, &q, a, &n), "3,10");

    /* Refusals, each with its reason. */
    q.start = NULL;
    q.sk_op = ENG_SK_BETWEEN;
    q.sk1 = &n3;
    q.sk2 = &n1;
    assert_int_equal(refused(e, &q), ENG_READ_BAD_BETWEEN);
    q.sk_op = ENG_SK_BEGINS;
    assert_int_equal(refused(e, &q), ENG_READ_BAD_SK);
    q.sk_op = ENG_SK_EQ;
    q.sk1 = &pa; /* S for an N sort key */
    assert_int_equal(refused(e, &q), ENG_READ_BAD_SK);
    eng_read_spec_t bad = {.t = t, .pk = &n1};
    assert_int_equal(refused(e, &bad), ENG_READ_BAD_PK);
    bad.pk = &pa;
    bad.start = ix_item(a, "a", NULL, NULL, NULL, NULL); /* no sort key */
    assert_int_equal(refused(e, &bad), ENG_READ_BAD_START);

    /* An index: one partition holding every item, by the index's sort key. */
    eng_av_t gv = {.t = ENG_AV_S, .u.s = KV_SLICE_LIT("G")};
    eng_read_spec_t iq = {.t = t, .ix = g, .pk = &gv, .sk_op = ENG_SK_GE, .sk1 = &n3};
    assert_string_equal(read_all(e, &iq, a, &n), "3,3,3,10,10,10");
    iq.start = ix_item(a, "b", "3", "G", NULL, NULL); /* the table's and the index's keys */
    const char *rest = read_all(e, &iq, a, &n);
    assert_int_equal(n, 4);
    assert_string_equal(rest + strlen(rest) - 8, "10,10,10");

    /* Scan: every item once, whole or in segments; segments do not overlap. */
    eng_read_spec_t sc = {.t = t};
    read_all(e, &sc, a, &n);
    assert_int_equal(n, 15);
    size_t sum = 0;
    for (uint32_t i = 0; i < 4; i++) {
        eng_read_spec_t seg = {.t = t, .segment = i, .total_segments = 4};
        read_all(e, &seg, a, &n);
        sum += n;
    }
    assert_int_equal(sum, 15);
    sc.ix = g;
    read_all(e, &sc, a, &n);
    assert_int_equal(n, 15);

    kv_arena_free(a);
    eng_close(e);
}

/* ---- the one rule for decoding catalog records (eng_tlv.h) ---- */

/* Table record tags (eng_table.c); stored records depend on them never changing. */
enum { TT_NAME = 1, TT_ID = 2, TT_HASH_KEY = 5, TT_HASH_TYPE = 6, TT_CREATED = 4, TT_INDEX = 20 };

/* The record rec (version byte, fields) again, without the fields tagged drop and with the
 * field (tag, v) appended when tag is not 0. */
static void rewrite(kv_slice_t rec, uint8_t drop, uint8_t tag, kv_slice_t v, kv_buf_t *out)
{
    kv_buf_reset(out);
    kv_buf_append_byte(out, rec.p[0]);
    kv_slice_t in = kv_slice(rec.p + 1, rec.len - 1), fv;
    uint8_t t;
    while (eng_tlv_next(&in, &t, &fv) == 1)
        if (t != drop)
            eng_tlv_put(out, t, fv);
    if (tag)
        eng_tlv_put(out, tag, v);
}

static void test_record_rule(void **state)
{
    (void)state;
    eng_t *e = open_eng(ENG_FSYNC_NONE);
    eng_table_t t;
    make_table(&t, "rules", true);
    assert_int_equal(eng_table_create(e, &t), 0);
    eng_index_t ix = {.name = "g", .global = true, .hash_key = "sk", .hash_type = ENG_SCALAR_N};
    assert_int_equal(eng_table_add_index(e, KV_SLICE_LIT("rules"), &ix), 0);
    kv_buf_t k, raw, rec;
    kv_buf_init(&k, 1024);
    kv_buf_init(&raw, 1 << 20);
    kv_buf_init(&rec, 1 << 20);
    eng__cat_key(&k, ENG_CAT_TABLE, KV_SLICE_LIT("rules"));
    assert_int_equal(eng_rocks_get(e->rocks, ENG_CF_CATALOG, kv_buf_slice(&k), &raw), 0);
    kv_arena_t *a = kv_arena_new(4096);
    eng_table_t *d;

    /* The record as stored decodes whole. */
    assert_int_equal(eng__table_decode(kv_buf_slice(&raw), a, &d), 0);
    assert_string_equal(d->name, "rules");
    assert_int_equal(d->id, t.id);
    assert_int_equal(d->n_indexes, 1);
    assert_string_equal(d->indexes[0].name, "g");

    /* An unknown field (a newer version's) is skipped: the rest decodes as before. */
    rewrite(kv_buf_slice(&raw), 0, 200, KV_SLICE_LIT("from the future"), &rec);
    assert_int_equal(eng__table_decode(kv_buf_slice(&rec), a, &d), 0);
    assert_string_equal(d->hash_key, "pk");
    assert_int_equal(d->id, t.id);
    assert_int_equal(d->n_attrs, 2);

    /* A corrupt field refuses the whole record, never a default in its place: a number that
     * is not a varint, a number past its field's range, an enum past its last value, a
     * malformed nested index record. */
    rewrite(kv_buf_slice(&raw), 0, TT_CREATED, KV_SLICE_LIT("\xff\xff"), &rec);
    assert_int_equal(eng__table_decode(kv_buf_slice(&rec), a, &d), KV_ECORRUPT);
    rewrite(kv_buf_slice(&raw), 0, TT_ID, KV_SLICE_LIT("\x80\x80\x80\x80\x20"), &rec); /* 2^33 */
    assert_int_equal(eng__table_decode(kv_buf_slice(&rec), a, &d), KV_ECORRUPT);
    rewrite(kv_buf_slice(&raw), 0, TT_HASH_TYPE, KV_SLICE_LIT("\x09"), &rec);
    assert_int_equal(eng__table_decode(kv_buf_slice(&rec), a, &d), KV_ECORRUPT);
    rewrite(kv_buf_slice(&raw), 0, TT_INDEX, KV_SLICE_LIT("\x01\x05"), &rec); /* cut short */
    assert_int_equal(eng__table_decode(kv_buf_slice(&rec), a, &d), KV_ECORRUPT);
    /* ... and a record whose framing is cut short. */
    assert_int_equal(eng__table_decode(kv_slice(raw.p, raw.len - 1), a, &d), KV_ECORRUPT);

    /* A missing required field refuses the record; a missing optional one stays zero. */
    rewrite(kv_buf_slice(&raw), TT_HASH_KEY, 0, KV_SLICE_NULL, &rec);
    assert_int_equal(eng__table_decode(kv_buf_slice(&rec), a, &d), KV_ECORRUPT);
    rewrite(kv_buf_slice(&raw), TT_NAME, 0, KV_SLICE_NULL, &rec);
    assert_int_equal(eng__table_decode(kv_buf_slice(&rec), a, &d), KV_ECORRUPT);
    rewrite(kv_buf_slice(&raw), TT_CREATED, 0, KV_SLICE_NULL, &rec);
    assert_int_equal(eng__table_decode(kv_buf_slice(&rec), a, &d), 0);
    assert_int_equal(d->created_ms, 0);
    assert_string_equal(d->name, "rules");

    /* The engine refuses a stored record that breaks the rule as corrupt. */
    rewrite(kv_buf_slice(&raw), 0, TT_HASH_TYPE, KV_SLICE_LIT("\x09"), &rec);
    eng_batch_t *b = eng_batch_new(e->rocks);
    eng_batch_put(b, ENG_CF_CATALOG, kv_buf_slice(&k), kv_buf_slice(&rec));
    assert_int_equal(eng__write(e, b), 0);
    eng_batch_free(b);
    eng_close(e);
    e = open_eng(ENG_FSYNC_NONE); /* no cached copy */
    assert_int_equal(eng_table_get(e, KV_SLICE_LIT("rules"), a, &d), KV_ECORRUPT);

    kv_arena_free(a);
    kv_buf_dispose(&k);
    kv_buf_dispose(&raw);
    kv_buf_dispose(&rec);
    eng_close(e);
}

/* The decoder's kinds at their edges, on a record of its own. */
typedef struct {
    uint32_t u32;
    int32_t i32;
    uint8_t u8;
    char chars[4];
    const char **strs;
    size_t n_strs;
    eng_tlv_pair_t *pairs;
    size_t n_pairs;
    bool flag;
} probe_rec_t;

static const eng_tlv_field_t probe_fields[] = {
    ENG_TLV_ROW(1, ENG_TLV_U32, probe_rec_t, u32, .required = true),
    ENG_TLV_ROW(2, ENG_TLV_I32, probe_rec_t, i32),
    ENG_TLV_ROW(3, ENG_TLV_U8, probe_rec_t, u8),
    ENG_TLV_ROW(4, ENG_TLV_CHARS, probe_rec_t, chars, .size = 4),
    ENG_TLV_LIST_ROW(5, ENG_TLV_STR_LIST, probe_rec_t, strs, n_strs),
    ENG_TLV_LIST_ROW(6, ENG_TLV_PAIR_LIST, probe_rec_t, pairs, n_pairs),
    ENG_TLV_ROW(7, ENG_TLV_FLAG, probe_rec_t, flag),
};

static int probe(kv_buf_t *b, kv_arena_t *a, probe_rec_t *r)
{
    memset(r, 0, sizeof(*r));
    return eng_tlv_decode(kv_buf_slice(b), probe_fields,
                          sizeof(probe_fields) / sizeof(*probe_fields), a, r);
}

static void test_record_kinds(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(4096);
    kv_buf_t b;
    kv_buf_init(&b, 4096);
    probe_rec_t r;
    eng_tlv_put_u64(&b, 1, UINT32_MAX);
    eng_tlv_put_u64(&b, 2, (uint64_t)(int64_t)-5);
    eng_tlv_put_u64(&b, 3, 255);
    eng_tlv_put_str(&b, 4, "abc");
    eng_tlv_put_str(&b, 5, "x");
    eng_tlv_put_str(&b, 5, "y");
    eng_tlv_put(&b, 6, KV_SLICE_LIT("\x01kv"));
    eng_tlv_put(&b, 7, KV_SLICE_NULL);
    eng_tlv_put_str(&b, 99, "unknown");
    assert_int_equal(probe(&b, a, &r), 0);
    assert_int_equal(r.u32, UINT32_MAX);
    assert_int_equal(r.i32, -5);
    assert_int_equal(r.u8, 255);
    assert_string_equal(r.chars, "abc");
    assert_int_equal(r.n_strs, 2);
    assert_string_equal(r.strs[1], "y");
    assert_int_equal(r.n_pairs, 1);
    assert_string_equal(r.pairs[0].key, "k");
    assert_string_equal(r.pairs[0].value, "v");
    assert_true(r.flag);
    /* Each out of its range is corrupt. */
    const struct {
        uint8_t tag;
        kv_slice_t v;
    } bad[] = {
        {1, KV_SLICE_LIT("\x80\x80\x80\x80\x10")}, /* 2^32 */
        {1, KV_SLICE_LIT("\x01\x01")},             /* trailing byte */
        {2, KV_SLICE_LIT("\x80\x80\x80\x80\x08")}, /* 2^31 */
        {3, KV_SLICE_LIT("\x80\x02")},             /* 256 */
        {4, KV_SLICE_LIT("abcd")},                 /* no room for the NUL */
        {6, KV_SLICE_LIT("\x05k")},                /* key longer than the pair */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        kv_buf_t c;
        kv_buf_init(&c, 4096);
        kv_buf_append_slice(&c, kv_buf_slice(&b));
        eng_tlv_put(&c, bad[i].tag, bad[i].v);
        assert_int_equal(probe(&c, a, &r), KV_ECORRUPT);
        kv_buf_dispose(&c);
    }
    /* The required field absent. */
    kv_buf_reset(&b);
    eng_tlv_put_u64(&b, 3, 1);
    assert_int_equal(probe(&b, a, &r), KV_ECORRUPT);
    kv_buf_dispose(&b);
    kv_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_item_txn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_indexes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_streams, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_layout_concurrent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_buckets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bucket_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_commit_kick, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notifier_and_lock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_take_id_failed_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_rule, setup, teardown),
        cmocka_unit_test(test_record_kinds),
        cmocka_unit_test_setup_teardown(test_cursors, setup, teardown),
    };
    return cmocka_run_group_tests_name("eng_catalog", tests, NULL, NULL);
}
