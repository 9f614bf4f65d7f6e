/* SPDX-License-Identifier: Apache-2.0 */
/* Catalog: tables and buckets on a temporary RocksDB, across reopen, and group commit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/kv_arena.h"
#include "base/kv_hash.h"
#include "eng.h"
#include "eng_int.h"

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
    eng_opts_t o = {dir, mode, 0};
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
    eng_opts_t o = {dir, ENG_FSYNC_BATCH, 0};
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_item_txn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_buckets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notifier_and_lock, setup, teardown),
    };
    return cmocka_run_group_tests_name("eng_catalog", tests, NULL, NULL);
}
