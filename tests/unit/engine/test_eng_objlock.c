/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Object Lock in the engine (issue 16, package L): the verdicts of eng_object_lock_holds and
 * eng_lock_retention_check at their edges, and on a temporary RocksDB the checks the object
 * paths make under the key lock: a held version is neither deleted (bypass or not, as its mode
 * says) nor replaced, a delete marker may still be added, retention changes are judged
 * against the stored record, and the bucket keeps versioning Enabled under Object Lock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/kv_arena.h"
#include "base/kv_time.h"
#include "eng.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/stratus-objlock-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_verdicts(void **state)
{
    (void)state;
    const int64_t now = 1000000;
    eng_object_t o = {0};
    /* nothing set */
    assert_false(eng_object_lock_holds(&o, now, false));
    /* GOVERNANCE in force: held unless bypassed; expired at exactly its date */
    o.lock_mode = ENG_LOCK_GOVERNANCE;
    o.lock_until_ms = now + 1;
    assert_true(eng_object_lock_holds(&o, now, false));
    assert_false(eng_object_lock_holds(&o, now, true));
    assert_false(eng_object_lock_holds(&o, now + 1, false));
    /* COMPLIANCE in force: held whatever the bypass */
    o.lock_mode = ENG_LOCK_COMPLIANCE;
    assert_true(eng_object_lock_holds(&o, now, true));
    assert_false(eng_object_lock_holds(&o, now + 2, true));
    /* a legal hold holds alone, even past the retention, even bypassed */
    o.legal_hold = true;
    assert_true(eng_object_lock_holds(&o, now + 10, true));
    o.lock_mode = ENG_LOCK_NONE;
    assert_true(eng_object_lock_holds(&o, now, true));
    /* a hold set OFF holds nothing */
    eng_object_t off = {.legal_hold_set = true};
    assert_false(eng_object_lock_holds(&off, now, false));
    /* a delete marker holds nothing */
    o.delete_marker = true;
    assert_false(eng_object_lock_holds(&o, now, false));
}

static void test_retention_rules(void **state)
{
    (void)state;
    const int64_t now = 5000, until = 10000;
    eng_object_t g = {.lock_mode = ENG_LOCK_GOVERNANCE, .lock_until_ms = until};
    eng_object_t c = {.lock_mode = ENG_LOCK_COMPLIANCE, .lock_until_ms = until};
    eng_object_t none = {0};
    /* no retention, or an expired one: anything */
    assert_int_equal(eng_lock_retention_check(&none, ENG_LOCK_GOVERNANCE, 1, now, false), 0);
    assert_int_equal(eng_lock_retention_check(&c, ENG_LOCK_NONE, 0, until, false), 0);
    /* GOVERNANCE: keep, extend, harden to COMPLIANCE; shorten or remove only bypassed */
    assert_int_equal(eng_lock_retention_check(&g, ENG_LOCK_GOVERNANCE, until, now, false), 0);
    assert_int_equal(eng_lock_retention_check(&g, ENG_LOCK_GOVERNANCE, until + 1, now, false), 0);
    assert_int_equal(eng_lock_retention_check(&g, ENG_LOCK_COMPLIANCE, until, now, false), 0);
    assert_int_equal(eng_lock_retention_check(&g, ENG_LOCK_COMPLIANCE, until - 1, now, false),
                     KV_ELOCKED);
    assert_int_equal(eng_lock_retention_check(&g, ENG_LOCK_GOVERNANCE, until - 1, now, false),
                     KV_ELOCKED);
    assert_int_equal(eng_lock_retention_check(&g, ENG_LOCK_NONE, 0, now, false), KV_ELOCKED);
    assert_int_equal(eng_lock_retention_check(&g, ENG_LOCK_GOVERNANCE, until - 1, now, true), 0);
    assert_int_equal(eng_lock_retention_check(&g, ENG_LOCK_NONE, 0, now, true), 0);
    /* COMPLIANCE: keep or extend only, bypass or not */
    assert_int_equal(eng_lock_retention_check(&c, ENG_LOCK_COMPLIANCE, until, now, false), 0);
    assert_int_equal(eng_lock_retention_check(&c, ENG_LOCK_COMPLIANCE, until + 9, now, false), 0);
    assert_int_equal(eng_lock_retention_check(&c, ENG_LOCK_COMPLIANCE, until - 1, now, true),
                     KV_ELOCKED);
    assert_int_equal(eng_lock_retention_check(&c, ENG_LOCK_GOVERNANCE, until + 9, now, true),
                     KV_ELOCKED);
    assert_int_equal(eng_lock_retention_check(&c, ENG_LOCK_NONE, 0, now, true), KV_ELOCKED);
}

static eng_t *open_eng(uint32_t *bucket, eng_versioning_t v)
{
    eng_opts_t o = {.dir = dir, .fsync = ENG_FSYNC_BATCH};
    eng_t *e = NULL;
    assert_int_equal(eng_open(&o, &e), 0);
    eng_bucket_t b = {.name = "locked", .versioning = v};
    assert_int_equal(eng_bucket_create(e, &b), 0);
    *bucket = b.id;
    return e;
}

static uint64_t put(eng_t *e, uint32_t bid, const char *key, eng_versioning_t v,
                    eng_lock_mode_t mode, int64_t until, bool hold)
{
    eng_blob_writer_t *w = eng_blob_writer_new(e);
    assert_int_equal(eng_blob_write(w, (const uint8_t *)"bytes", 5), 0);
    eng_object_t o = {.key = kv_slice_str(key),
                      .etag = "etag",
                      .lock_mode = mode,
                      .lock_until_ms = until,
                      .legal_hold = hold};
    eng_obj_cond_t cond = {.versioning = v};
    assert_int_equal(eng_object_put_blob(e, bid, &o, &cond, w), 0);
    return o.version;
}

static eng_object_t *get(eng_t *e, uint32_t bid, const char *key, uint64_t version, kv_arena_t *a)
{
    eng_vref_t ref = {.kind = ENG_VREF_ID, .id = version};
    eng_object_t *m;
    int rc = eng_object_open(e, bid, kv_slice_str(key), &ref, a, &m, NULL);
    return rc == 0 ? m : NULL;
}

static void test_delete_and_replace(void **state)
{
    (void)state;
    uint32_t bid;
    eng_t *e = open_eng(&bid, ENG_VERSIONING_ENABLED);
    kv_arena_t *a = kv_arena_new(4096);
    int64_t later = kv_now_ms() + 3600 * 1000;
    const eng_versioning_t en = ENG_VERSIONING_ENABLED;
    uint64_t g = put(e, bid, "g", en, ENG_LOCK_GOVERNANCE, later, false);
    uint64_t c = put(e, bid, "c", en, ENG_LOCK_COMPLIANCE, later, false);
    uint64_t h = put(e, bid, "h", en, ENG_LOCK_NONE, 0, true);
    eng_vref_t rg = {ENG_VREF_ID, g}, rc_ = {ENG_VREF_ID, c}, rh = {ENG_VREF_ID, h};
    eng_del_result_t res;
    /* the stored fields come back */
    eng_object_t *m = get(e, bid, "c", c, a);
    assert_non_null(m);
    assert_int_equal(m->lock_mode, ENG_LOCK_COMPLIANCE);
    assert_true(m->lock_until_ms == later);
    /* versions: refused, bypass or not as the mode says */
    assert_int_equal(eng_object_delete(e, bid, KV_SLICE_LIT("g"), en, &rg, &res), KV_ELOCKED);
    assert_int_equal(eng_object_delete_ex(e, bid, KV_SLICE_LIT("c"), en, &rc_, &res, 0, NULL, true),
                     KV_ELOCKED);
    assert_int_equal(eng_object_delete_ex(e, bid, KV_SLICE_LIT("h"), en, &rh, &res, 0, NULL, true),
                     KV_ELOCKED);
    assert_non_null(get(e, bid, "c", c, a));
    assert_non_null(get(e, bid, "h", h, a));
    /* without a version: a delete marker on top, the version stays */
    assert_int_equal(eng_object_delete(e, bid, KV_SLICE_LIT("c"), en, NULL, &res), 0);
    assert_true(res.delete_marker);
    assert_non_null(get(e, bid, "c", c, a));
    /* GOVERNANCE with the bypass goes */
    assert_int_equal(eng_object_delete_ex(e, bid, KV_SLICE_LIT("g"), en, &rg, &res, 0, NULL, true),
                     0);
    assert_true(res.found);
    assert_null(get(e, bid, "g", g, a));
    /* a held null version is never replaced, nor removed by a suspended-bucket write */
    eng_object_t *cur;
    put(e, bid, "n", ENG_VERSIONING_OFF, ENG_LOCK_COMPLIANCE, later, false);
    eng_blob_writer_t *w = eng_blob_writer_new(e);
    assert_int_equal(eng_blob_write(w, (const uint8_t *)"x", 1), 0);
    eng_object_t o = {.key = KV_SLICE_LIT("n"), .etag = "e2"};
    eng_obj_cond_t off = {.versioning = ENG_VERSIONING_OFF};
    assert_int_equal(eng_object_put_blob(e, bid, &o, &off, w), KV_ELOCKED);
    assert_int_equal(eng_object_open(e, bid, KV_SLICE_LIT("n"), NULL, a, &cur, NULL), 0);
    assert_int_equal(cur->lock_mode, ENG_LOCK_COMPLIANCE);
    put(e, bid, "n", en, ENG_LOCK_NONE, 0, false); /* the held null version becomes noncurrent */
    w = eng_blob_writer_new(e);
    assert_int_equal(eng_blob_write(w, (const uint8_t *)"y", 1), 0);
    eng_object_t o2 = {.key = KV_SLICE_LIT("n"), .etag = "e3"};
    eng_obj_cond_t sus = {.versioning = ENG_VERSIONING_SUSPENDED};
    assert_int_equal(eng_object_put_blob(e, bid, &o2, &sus, w), KV_ELOCKED);
    kv_arena_free(a);
    eng_close(e);
}

static void test_set_lock(void **state)
{
    (void)state;
    uint32_t bid;
    eng_t *e = open_eng(&bid, ENG_VERSIONING_ENABLED);
    kv_arena_t *a = kv_arena_new(4096);
    int64_t now = kv_now_ms(), later = now + 3600 * 1000;
    const eng_versioning_t en = ENG_VERSIONING_ENABLED;
    uint64_t v = put(e, bid, "k", en, ENG_LOCK_NONE, 0, false);
    eng_vref_t ref = {ENG_VREF_ID, v};
    eng_lock_set_t set = {.retention = true, .mode = ENG_LOCK_COMPLIANCE, .until_ms = later};
    assert_int_equal(eng_object_set_lock(e, bid, KV_SLICE_LIT("k"), &ref, &set, now), 0);
    set.until_ms = later - 1;
    set.bypass_governance = true;
    assert_int_equal(eng_object_set_lock(e, bid, KV_SLICE_LIT("k"), &ref, &set, now), KV_ELOCKED);
    /* the legal hold changes alone, leaving the retention as it was */
    eng_lock_set_t hold = {.legal_hold = true, .hold = true};
    assert_int_equal(eng_object_set_lock(e, bid, KV_SLICE_LIT("k"), &ref, &hold, now), 0);
    eng_object_t *m = get(e, bid, "k", v, a);
    assert_non_null(m);
    assert_true(m->legal_hold);
    assert_int_equal(m->lock_mode, ENG_LOCK_COMPLIANCE);
    assert_true(m->lock_until_ms == later);
    assert_int_equal(m->size, 5); /* bytes untouched */
    assert_true(m->legal_hold_set);
    hold.hold = false;
    assert_int_equal(eng_object_set_lock(e, bid, KV_SLICE_LIT("k"), &ref, &hold, now), 0);
    m = get(e, bid, "k", v, a);
    assert_false(m->legal_hold);
    assert_true(m->legal_hold_set); /* OFF, as set: not "never set" */
    /* no such version; a delete marker */
    eng_vref_t missing = {ENG_VREF_ID, v + 12345};
    assert_int_equal(eng_object_set_lock(e, bid, KV_SLICE_LIT("k"), &missing, &hold, now),
                     KV_ENOTFOUND);
    eng_del_result_t res;
    assert_int_equal(eng_object_delete(e, bid, KV_SLICE_LIT("k"), en, NULL, &res), 0);
    eng_vref_t dm = {ENG_VREF_ID, res.version};
    assert_int_equal(eng_object_set_lock(e, bid, KV_SLICE_LIT("k"), &dm, &hold, now), KV_EINVAL);
    kv_arena_free(a);
    eng_close(e);
}

static void test_bucket_invariant(void **state)
{
    (void)state;
    uint32_t bid;
    eng_t *e = open_eng(&bid, ENG_VERSIONING_OFF);
    kv_slice_t name = KV_SLICE_LIT("locked"), doc = KV_SLICE_LIT("<ObjectLockConfiguration/>");
    /* Object Lock needs versioning Enabled */
    assert_int_equal(eng_bucket_set_doc(e, name, ENG_BDOC_OBJECT_LOCK, doc), KV_ELOCKED);
    assert_int_equal(eng_bucket_set_versioning(e, name, ENG_VERSIONING_ENABLED), 0);
    assert_int_equal(eng_bucket_set_doc(e, name, ENG_BDOC_OBJECT_LOCK, doc), 0);
    /* then versioning stays Enabled and the configuration stays */
    assert_int_equal(eng_bucket_set_versioning(e, name, ENG_VERSIONING_SUSPENDED), KV_ELOCKED);
    assert_int_equal(eng_bucket_set_doc(e, name, ENG_BDOC_OBJECT_LOCK, KV_SLICE_NULL), KV_ELOCKED);
    assert_int_equal(eng_bucket_set_versioning(e, name, ENG_VERSIONING_ENABLED), 0);
    kv_arena_t *a = kv_arena_new(4096);
    eng_bucket_t *b;
    assert_int_equal(eng_bucket_get(e, name, a, &b), 0);
    assert_int_equal(b->versioning, ENG_VERSIONING_ENABLED);
    assert_true(kv_slice_eq(b->docs[ENG_BDOC_OBJECT_LOCK], doc));
    kv_arena_free(a);
    eng_close(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdicts),
        cmocka_unit_test(test_retention_rules),
        cmocka_unit_test_setup_teardown(test_delete_and_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_lock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bucket_invariant, setup, teardown),
    };
    return cmocka_run_group_tests_name("eng_objlock", tests, NULL, NULL);
}
