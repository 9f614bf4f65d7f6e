/* SPDX-License-Identifier: Apache-2.0 */
/* SNS's storage (eng_sns.c): a message stored once with a delivery record per subscription,
 * deleted with its last delivery; numbers that never repeat across reopen, even when the clock
 * is behind the numbers already given; the outbox in due order (a moved record stands behind
 * those due now); a FIFO subscription's block. */
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
#include "base/kv_time.h"
#include "eng.h"
#include "eng_int.h"
#include "eng_keys.h"
#include "eng_rocks.h"
#include "eng_sns.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/stratus-sns-XXXXXX");
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

static uint64_t publish(eng_t *e, kv_arena_t *a, const char *body, size_t n_subs)
{
    static const char *subs[] = {"s1", "s2", "s3"};
    eng_sns_attr_t at = {.name = "n", .type = "Number", .value = KV_SLICE_LIT("+5")};
    eng_sns_msg_t m = {.topic = "t",
                       .msg_id = "00000000-0000-0000-0000-000000000001",
                       .body = kv_slice_str(body),
                       .ts_ms = kv_now_ms(),
                       .attrs = &at,
                       .n_attrs = 1};
    const char *dup = NULL;
    assert_int_equal(eng_sns_publish(e, &m, subs, n_subs, 0, a, &dup), 0);
    return m.seq;
}

static void test_message_once(void **state)
{
    (void)state;
    eng_t *e = open_eng();
    kv_arena_t *a = kv_arena_new(1 << 16);
    uint64_t seq = publish(e, a, "hello", 3);
    eng_sns_dlv_t *ds;
    size_t n;
    int64_t next;
    assert_int_equal(eng_sns_dlv_due(e, kv_now_ms(), 0, 0, 10, a, &ds, &n, &next), 0);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ds[i].msg_seq, seq);
        assert_true(ds[i].seq > seq);
    }
    eng_sns_msg_t *m;
    assert_int_equal(eng_sns_msg_get(e, seq, a, &m), 0);
    assert_memory_equal(m->body.p, "hello", 5);
    assert_int_equal(m->n_attrs, 1);
    assert_memory_equal(m->attrs[0].value.p, "+5", 2);
    /* the message goes with its last delivery */
    assert_int_equal(eng_sns_dlv_done(e, &ds[0], false), 0);
    assert_int_equal(eng_sns_dlv_done(e, &ds[1], false), 0);
    assert_int_equal(eng_sns_msg_get(e, seq, a, &m), 0);
    assert_int_equal(eng_sns_dlv_done(e, &ds[2], false), 0);
    assert_int_equal(eng_sns_msg_get(e, seq, a, &m), KV_ENOTFOUND);
    assert_int_equal(eng_sns_dlv_due(e, kv_now_ms(), 0, 0, 10, a, &ds, &n, &next), 0);
    assert_int_equal(n, 0);
    assert_int_equal(next, -1);
    kv_arena_free(a);
    eng_close(e);
}

/* A record moved to a later attempt stands behind the records due now. */
static void test_due_order(void **state)
{
    (void)state;
    eng_t *e = open_eng();
    kv_arena_t *a = kv_arena_new(1 << 16);
    publish(e, a, "first", 1);
    int64_t now = kv_now_ms();
    eng_sns_dlv_t *ds;
    size_t n;
    int64_t next;
    assert_int_equal(eng_sns_dlv_due(e, now, 0, 0, 10, a, &ds, &n, &next), 0);
    assert_int_equal(n, 1);
    eng_sns_dlv_t r = ds[0];
    r.attempts = 3;
    assert_int_equal(eng_sns_dlv_move(e, &r, now + 60000, false), 0);
    publish(e, a, "second", 1);
    assert_int_equal(eng_sns_dlv_due(e, now + 1000, 0, 0, 10, a, &ds, &n, &next), 0);
    assert_int_equal(n, 1); /* only the second is due */
    assert_int_equal(next, now + 60000);
    assert_int_equal(eng_sns_dlv_due(e, now + 60000, 0, 0, 10, a, &ds, &n, &next), 0);
    assert_int_equal(n, 2);
    assert_int_equal(ds[1].attempts, 3);
    /* a FIFO block */
    int64_t until;
    assert_int_equal(eng_sns_block_get(e, "s1", &until), 0);
    assert_int_equal(until, 0);
    r = ds[1];
    assert_int_equal(eng_sns_dlv_move(e, &r, now + 90000, true), 0);
    assert_int_equal(eng_sns_block_get(e, "s1", &until), 0);
    assert_int_equal(until, now + 90000);
    assert_int_equal(eng_sns_dlv_done(e, &r, true), 0);
    assert_int_equal(eng_sns_block_get(e, "s1", &until), 0);
    assert_int_equal(until, 0);
    kv_arena_free(a);
    eng_close(e);
}

/* Numbers grow across reopen, also when the clock is behind the numbers given before (here:
 * a mark left by a run whose clock was a day ahead). */
static void test_numbers_survive_clock(void **state)
{
    (void)state;
    eng_t *e = open_eng();
    kv_arena_t *a = kv_arena_new(1 << 16);
    uint64_t last = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t s = publish(e, a, "x", 2);
        assert_true(s > last);
        last = s + 2;
    }
    eng_close(e);
    e = open_eng();
    uint64_t s = publish(e, a, "x", 1);
    assert_true(s > last);
    /* a run with the clock a day ahead reserved numbers up to ahead */
    uint64_t ahead = (uint64_t)(kv_now_ms() + 86400000) << 16;
    kv_buf_t k, v;
    kv_buf_init(&k, 16);
    kv_buf_init(&v, 16);
    kv_buf_append_byte(&k, 'N');
    kv_buf_append_byte(&k, 0);
    kv_buf_append_byte(&k, 'H');
    eng_key_put_u64(&v, ahead);
    eng_batch_t *b = eng_batch_new(e->rocks);
    eng_batch_put(b, ENG_CF_STATE, kv_buf_slice(&k), kv_buf_slice(&v));
    assert_int_equal(eng_rocks_write(e->rocks, b), 0);
    eng_batch_free(b);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    eng_close(e);
    e = open_eng();
    s = publish(e, a, "x", 1);
    assert_true(s >= ahead);
    eng_sns_dlv_t *ds;
    size_t n;
    int64_t next;
    assert_int_equal(eng_sns_dlv_due(e, kv_now_ms(), 0, 0, 1000, a, &ds, &n, &next), 0);
    assert_int_equal(n, 100 * 2 + 2); /* none overwritten */
    kv_arena_free(a);
    eng_close(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_message_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_due_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_numbers_survive_clock, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
