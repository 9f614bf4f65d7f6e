/* SPDX-License-Identifier: Apache-2.0 */
/* EventBridge's storage (eng_events.c): buses, rules with targets, a bus's deletion taking its
 * rules and schedules, delivery records (ids increasing across reopen), next fire times. */
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
#include "base/kv_err.h"
#include "eng.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/stratus-ev-XXXXXX");
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static eng_t *open_eng(void)
{
    eng_opts_t o = {.dir = dir, .fsync = ENG_FSYNC_BATCH};
    eng_t *e = NULL;
    assert_int_equal(eng_open(&o, &e), 0);
    return e;
}

typedef struct add_target {
    const char *target;
} add_target_t;

static int add_fn(void *arg, eng_evrule_t *r, bool exists, kv_arena_t *a, bool *clear)
{
    (void)clear;
    add_target_t *t = arg;
    if (!exists) {
        r->pattern = "{\"source\":[\"a\"]}";
        r->state = ENG_EVR_ENABLED;
        return 0;
    }
    const char **ts = kv_arena_calloc(a, r->n_targets + 1, sizeof(*ts));
    memcpy(ts, r->targets, r->n_targets * sizeof(*ts));
    ts[r->n_targets] = t->target;
    r->targets = ts;
    r->n_targets++;
    return 0;
}

static void test_buses_and_rules(void **state)
{
    (void)state;
    eng_t *e = open_eng();
    kv_arena_t *a = kv_arena_new(4096);
    eng_tag_t tags[] = {{"k", "v"}};
    eng_evbus_t b = {"bus-a", "desc", 1, 2, tags, 1, "{\"Statement\":[]}"};
    assert_int_equal(eng_evbus_put(e, &b, ENG_FN_CREATE), 0);
    assert_int_equal(eng_evbus_put(e, &b, ENG_FN_CREATE), KV_EEXIST);
    eng_evbus_t b2 = {"bus-b", NULL, 1, 1, NULL, 0, NULL};
    assert_int_equal(eng_evbus_put(e, &b2, ENG_FN_CREATE), 0);
    eng_evbus_t *got;
    assert_int_equal(eng_evbus_get(e, KV_SLICE_LIT("bus-a"), a, &got), 0);
    assert_string_equal(got->description, "desc");
    assert_int_equal(got->n_tags, 1);
    assert_string_equal(got->policy, "{\"Statement\":[]}"); /* issue 15: the bus policy */
    /* rules: the bus must exist; targets accumulate */
    add_target_t t = {"{\"Id\":\"1\"}"};
    assert_int_equal(eng_evrule_modify(e, KV_SLICE_LIT("nope"), KV_SLICE_LIT("r"), add_fn, &t),
                     KV_ENOTFOUND);
    assert_int_equal(eng_evrule_modify(e, KV_SLICE_LIT("bus-a"), KV_SLICE_LIT("r1"), add_fn, &t),
                     0);
    assert_int_equal(eng_evrule_modify(e, KV_SLICE_LIT("bus-a"), KV_SLICE_LIT("r1"), add_fn, &t),
                     0);
    assert_int_equal(eng_evrule_modify(e, KV_SLICE_LIT("bus-a"), KV_SLICE_LIT("r2"), add_fn, &t),
                     0);
    assert_int_equal(eng_evrule_modify(e, KV_SLICE_LIT("bus-b"), KV_SLICE_LIT("r1"), add_fn, &t),
                     0);
    eng_evrule_t *r;
    assert_int_equal(eng_evrule_get(e, KV_SLICE_LIT("bus-a"), KV_SLICE_LIT("r1"), a, &r), 0);
    assert_int_equal(r->n_targets, 1);
    assert_string_equal(r->targets[0], "{\"Id\":\"1\"}");
    assert_int_equal(eng_evrule_delete(e, KV_SLICE_LIT("bus-a"), KV_SLICE_LIT("r1"), true),
                     KV_ENOTEMPTY);
    eng_evrule_t *rs;
    size_t n;
    bool more;
    assert_int_equal(eng_evrule_list(e, KV_SLICE_LIT("bus-a"), KV_SLICE_NULL, 1, a, &rs, &n, &more),
                     0);
    assert_int_equal(n, 1);
    assert_true(more);
    assert_int_equal(
        eng_evrule_list(e, KV_SLICE_LIT("bus-a"), KV_SLICE_LIT("r1"), 0, a, &rs, &n, &more), 0);
    assert_int_equal(n, 1);
    assert_string_equal(rs[0].name, "r2");
    /* a bus "bus" is a prefix of "bus-a": its rules stay apart */
    assert_int_equal(eng_evrule_list(e, KV_SLICE_LIT("bus"), KV_SLICE_NULL, 0, a, &rs, &n, &more),
                     0);
    assert_int_equal(n, 0);
    /* a bus with rules is not deleted; without them its leftover fire times go with it */
    assert_int_equal(eng_evbus_delete(e, KV_SLICE_LIT("bus-a")), KV_ENOTEMPTY);
    assert_int_equal(eng_evsched_set(e, KV_SLICE_LIT("bus-a"), KV_SLICE_LIT("r2"), 77), 0);
    assert_int_equal(eng_evrule_delete(e, KV_SLICE_LIT("bus-a"), KV_SLICE_LIT("r1"), false), 0);
    assert_int_equal(eng_evrule_delete(e, KV_SLICE_LIT("bus-a"), KV_SLICE_LIT("r2"), false), 0);
    assert_int_equal(eng_evsched_set(e, KV_SLICE_LIT("bus-a"), KV_SLICE_LIT("r2"), 77), 0);
    assert_int_equal(eng_evbus_delete(e, KV_SLICE_LIT("bus-a")), 0);
    assert_int_equal(eng_evrule_get(e, KV_SLICE_LIT("bus-a"), KV_SLICE_LIT("r2"), a, &r),
                     KV_ENOTFOUND);
    int64_t next;
    assert_int_equal(eng_evsched_get(e, KV_SLICE_LIT("bus-a"), KV_SLICE_LIT("r2"), &next),
                     KV_ENOTFOUND);
    assert_int_equal(eng_evrule_get(e, KV_SLICE_LIT("bus-b"), KV_SLICE_LIT("r1"), a, &r), 0);
    eng_evbus_t *bs;
    assert_int_equal(eng_evbus_list(e, KV_SLICE_NULL, 10, a, &bs, &n, &more), 0);
    assert_int_equal(n, 1);
    assert_string_equal(bs[0].name, "bus-b");
    kv_arena_free(a);
    eng_close(e);
}

static void test_deliveries(void **state)
{
    (void)state;
    eng_t *e = open_eng();
    kv_arena_t *a = kv_arena_new(4096);
    eng_evdel_t d[3];
    for (int i = 0; i < 3; i++)
        d[i] = (eng_evdel_t){0, "default", "r", "{\"Id\":\"t\"}", NULL, 0, 1, 1, NULL, NULL, 0};
    assert_int_equal(eng_evdel_add(e, KV_SLICE_LIT("{\"e\":1}"), d, 3, KV_SLICE_LIT("default"),
                                   KV_SLICE_LIT("r"), 99),
                     0);
    assert_true(d[0].id < d[1].id && d[1].id < d[2].id);
    int64_t next;
    assert_int_equal(eng_evsched_get(e, KV_SLICE_LIT("default"), KV_SLICE_LIT("r"), &next), 0);
    assert_int_equal(next, 99);
    eng_evdel_t *ds;
    size_t n;
    assert_int_equal(eng_evdel_scan(e, 0, 10, a, &ds, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(ds[1].id, d[1].id);
    ds[1].attempts = 4;
    ds[1].last_err = "X";
    assert_int_equal(eng_evdel_update(e, &ds[1]), 0);
    assert_null(ds[1].event); /* stored once, loaded on demand */
    assert_int_equal(eng_evdel_event(e, &ds[1], a), 0);
    assert_string_equal(ds[1].event, "{\"e\":1}");
    assert_int_equal(eng_evdel_delete(e, &d[0]), 0);
    uint64_t last = d[2].id;
    eng_close(e);
    e = open_eng(); /* records and ids survive a reopen; new ids come after the old ones */
    assert_int_equal(eng_evdel_scan(e, 0, 10, a, &ds, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(ds[0].attempts, 4);
    assert_string_equal(ds[0].last_err, "X");
    assert_int_equal(eng_evdel_scan(e, d[1].id, 10, a, &ds, &n), 0);
    assert_int_equal(n, 1);
    eng_evdel_t x = {0, "default", "r", "{}", NULL, 0, 1, 1, NULL, NULL, 0};
    assert_int_equal(eng_evdel_add(e, KV_SLICE_LIT("{}"), &x, 1, KV_SLICE_NULL, KV_SLICE_NULL, 0),
                     0);
    assert_true(x.id > last);
    /* the event stays while a delivery refers to it and goes with the last one */
    assert_int_equal(eng_evdel_delete(e, &d[1]), 0);
    eng_evdel_t y = d[2];
    y.event = NULL;
    assert_int_equal(eng_evdel_event(e, &y, a), 0);
    assert_int_equal(eng_evdel_delete(e, &d[2]), 0);
    y.event = NULL;
    assert_int_equal(eng_evdel_event(e, &y, a), KV_ENOTFOUND);
    assert_int_equal(eng_evdel_scan(e, 0, 10, a, &ds, &n), 0);
    assert_int_equal(n, 1); /* x alone; the event records are not deliveries */
    assert_int_equal(ds[0].id, x.id);
    kv_arena_free(a);
    eng_close(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_buses_and_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deliveries, setup, teardown),
    };
    return cmocka_run_group_tests_name("eng_events", tests, NULL, NULL);
}
