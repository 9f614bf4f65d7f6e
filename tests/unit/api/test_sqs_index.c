/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SQS in-memory index (api/sqs/sqs_index.c): the heaps under random insertions, removals
 * and moves; counters by state; FIFO groups (order, one in-flight batch, the ready list); the
 * deduplication table's expiry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/kv_alloc.h"
#include "base/kv_time.h"
#include "sqs/sqs_int.h"

static sqs_queue_t *qnew(bool fifo)
{
    sqs_queue_t *q = kv_calloc(1, sizeof(*q));
    q->fifo = fifo;
    q->timer.by_time = true;
    pthread_mutex_init(&q->lock, NULL);
    return q;
}

static void qfree(sqs_queue_t *q)
{
    sqs_index_free(q);
    pthread_mutex_destroy(&q->lock);
    kv_free(q);
}

static sqs_m_t *msg(uint64_t seq, int64_t visible_at)
{
    sqs_m_t *m = kv_calloc(1, sizeof(*m));
    m->seq = seq;
    m->visible_at = visible_at;
    return m;
}

/* Standard queue: the ready heap gives the lowest sequence first, whatever the order of
 * insertion and removal; the timer heap orders by time. */
static void test_heaps_random(void **state)
{
    (void)state;
    sqs_queue_t *q = qnew(false);
    int64_t now = kv_now_ms();
    srand(7);
    enum { N = 2000 };
    uint64_t order[N];
    for (int i = 0; i < N; i++)
        order[i] = (uint64_t)i + 1;
    for (int i = N - 1; i > 0; i--) {
        int j = rand() % (i + 1);
        uint64_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (int i = 0; i < N; i++) /* a third delayed */
        sqs_index_add(q, msg(order[i], order[i] % 3 == 0 ? now + 60000 + (int64_t)order[i] : 0),
                      KV_SLICE_NULL);
    assert_int_equal(q->n_msgs, N);
    assert_int_equal(q->n_delayed, N / 3);
    assert_int_equal(sqs_n_visible(q), N - N / 3);
    /* remove every fifth message from wherever it is */
    for (uint64_t s = 5; s <= N; s += 5)
        sqs_index_del(q, sqs_find(q, s));
    assert_null(sqs_find(q, 5));
    /* the ready heap pops in sequence order */
    uint64_t last = 0;
    size_t popped = 0;
    while (sqs_heap_top(&q->ready)) {
        sqs_m_t *m = sqs_heap_top(&q->ready);
        assert_true(m->seq > last);
        assert_true(m->seq % 3 != 0 && m->seq % 5 != 0);
        last = m->seq;
        /* receive it: in flight for a minute */
        sqs_index_move(q, m, now + 60000, true);
        popped++;
    }
    assert_int_equal(sqs_n_visible(q), 0);
    assert_int_equal(q->n_inflight, popped);
    /* the timer heap is ordered by time */
    int64_t t = 0;
    sqs_m_t *top = sqs_heap_top(&q->timer);
    assert_non_null(top);
    while ((top = sqs_heap_top(&q->timer)) != NULL) {
        assert_true(top->visible_at >= t);
        t = top->visible_at;
        sqs_index_del(q, top);
    }
    assert_int_equal(q->n_msgs, 0);
    assert_int_equal(q->n_inflight + q->n_delayed, 0);
    qfree(q);
}

/* Settling moves what is due back to ready, and a visibility change to 0 is visible at once. */
static void test_settle(void **state)
{
    (void)state;
    sqs_queue_t *q = qnew(false);
    int64_t now = kv_now_ms();
    sqs_index_add(q, msg(1, now + 1000), KV_SLICE_NULL);
    sqs_index_add(q, msg(2, now + 5000), KV_SLICE_NULL);
    sqs_index_settle(q, now + 2000);
    assert_int_equal(q->ready.n, 1);
    assert_int_equal(sqs_heap_top(&q->ready)->seq, 1);
    assert_int_equal(q->n_delayed, 1);
    sqs_index_move(q, sqs_find(q, 2), now, false);
    assert_int_equal(q->ready.n, 2);
    assert_int_equal(q->n_delayed, 0);
    qfree(q);
}

/* FIFO: order within a group; a group with a message in flight gives nothing more; the ready
 * list holds the groups that can give. */
static void test_fifo_groups(void **state)
{
    (void)state;
    sqs_queue_t *q = qnew(true);
    int64_t now = kv_now_ms();
    uint64_t seq = 1;
    for (int i = 0; i < 3; i++) {
        sqs_index_add(q, msg(seq++, 0), KV_SLICE_LIT("A"));
        sqs_index_add(q, msg(seq++, 0), KV_SLICE_LIT("B"));
    }
    assert_int_equal(q->n_groups, 2);
    assert_non_null(q->rhead);
    assert_string_equal(q->rhead->name, "A");
    assert_string_equal(q->rhead->rnext->name, "B");
    sqs_group_t *a = q->rhead;
    assert_int_equal(a->head->seq, 1);
    assert_int_equal(a->head->gnext->seq, 3);
    /* receive A's first two */
    sqs_m_t *m1 = a->head, *m3 = a->head->gnext;
    sqs_index_move(q, m1, now + 30000, true);
    sqs_index_move(q, m3, now + 30000, true);
    assert_int_equal(a->n_inflight, 2);
    assert_string_equal(q->rhead->name, "B"); /* A left the ready list */
    assert_null(q->rhead->rnext);
    /* deleting one is not enough */
    sqs_index_del(q, m1);
    assert_string_equal(q->rhead->name, "B");
    assert_null(q->rhead->rnext);
    /* the other visible again: A is back, its head the re-visible message */
    sqs_index_move(q, m3, now, false);
    assert_int_equal(a->n_inflight, 0);
    assert_string_equal(q->rtail->name, "A");
    assert_int_equal(a->head->seq, 3);
    /* a group emptied is freed */
    sqs_group_t *b = q->rhead;
    for (int i = 0; i < 3; i++) /* the last deletion frees the group */
        sqs_index_del(q, b->head);
    assert_int_equal(q->n_groups, 1);
    assert_string_equal(q->rhead->name, "A");
    /* out-of-order loading keeps sequence order in the group */
    sqs_index_add(q, msg(100, 0), KV_SLICE_LIT("C"));
    sqs_index_add(q, msg(50, 0), KV_SLICE_LIT("C"));
    sqs_index_add(q, msg(75, 0), KV_SLICE_LIT("C"));
    sqs_group_t *c = q->rtail;
    assert_string_equal(c->name, "C");
    assert_int_equal(c->head->seq, 50);
    assert_int_equal(c->head->gnext->seq, 75);
    assert_int_equal(c->tail->seq, 100);
    qfree(q);
}

static void test_dedup(void **state)
{
    (void)state;
    sqs_queue_t *q = qnew(true);
    int64_t now = kv_now_ms();
    char key[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        sqs_dedup_add(q, kv_slice_str(key), now + (i % 2 ? 300000 : 10), "id", (uint64_t)i);
    }
    assert_non_null(sqs_dedup_find(q, KV_SLICE_LIT("k1"), now));
    assert_non_null(sqs_dedup_find(q, KV_SLICE_LIT("k0"), now));
    assert_null(sqs_dedup_find(q, KV_SLICE_LIT("k0"), now + 20)); /* past its interval */
    kv_buf_t gone;
    kv_buf_init(&gone, 1 << 20);
    assert_int_equal(sqs_dedup_expire(q, now + 20, &gone, SIZE_MAX), 500);
    assert_int_equal(q->n_dedup, 500);
    assert_null(sqs_dedup_find(q, KV_SLICE_LIT("k2"), now));
    assert_int_equal(sqs_dedup_find(q, KV_SLICE_LIT("k999"), now)->seq, 999);
    kv_buf_dispose(&gone);
    qfree(q);
}

/* The retention job's slice (review finding 1): a table smaller than the slot steps per run is
 * visited once per call, so an expired message is listed (and freed) once; a long run of calls
 * lists every expired message exactly once and never one in flight. */
static void test_expired_once(void **state)
{
    (void)state;
    sqs_queue_t *q = qnew(false);
    int64_t now = kv_now_ms();
    sqs_m_t *old = msg(1, 0);
    old->base_ms = now - 120000;
    sqs_index_add(q, old, KV_SLICE_NULL);
    sqs_m_t *young = msg(2, 0);
    young->base_ms = now;
    sqs_index_add(q, young, KV_SLICE_NULL);
    assert_int_equal(q->mtab_cap, 256);
    sqs_m_t *dead[256];
    size_t nd = sqs_index_expired(q, now, 60000, dead, 256, 4096);
    assert_int_equal(nd, 1);
    assert_ptr_equal(dead[0], old);
    for (size_t k = 0; k < nd; k++)
        sqs_index_del(q, dead[k]);
    assert_int_equal(q->n_msgs, 1);
    assert_int_equal(sqs_index_expired(q, now, 60000, dead, 256, 4096), 0);
    qfree(q);

    /* 3000 messages, 2000 of them expired, 100 of those in flight: slices of at most 256 */
    q = qnew(false);
    enum { N = 3000 };
    for (int i = 1; i <= N; i++) {
        sqs_m_t *m = msg((uint64_t)i, 0);
        m->base_ms = i <= 2000 ? now - 120000 : now;
        sqs_index_add(q, m, KV_SLICE_NULL);
        if (i <= 100)
            sqs_index_move(q, m, now + 60000, true);
    }
    size_t total = 0;
    for (int run = 0; run < 100; run++) {
        nd = sqs_index_expired(q, now, 60000, dead, 256, 1024);
        assert_true(nd <= 256);
        for (size_t k = 0; k < nd; k++) {
            for (size_t j = 0; j < k; j++)
                assert_ptr_not_equal(dead[j], dead[k]);
            assert_true(dead[k]->seq > 100 && dead[k]->seq <= 2000);
        }
        for (size_t k = 0; k < nd; k++)
            sqs_index_del(q, dead[k]);
        total += nd;
    }
    assert_int_equal(total, 1900);
    assert_int_equal(q->n_msgs, N - 1900);
    qfree(q);
}

/* FIFO receive attempt ids (review finding 7): found by id in a hash, dropped oldest first when
 * their time passes, none lost below SQS_ATTEMPTS_MAX and none kept past it. */
static void test_attempts(void **state)
{
    (void)state;
    sqs_queue_t *q = qnew(true);
    int64_t now = 1000000;
    char id[32];
    uint64_t seqs[2] = {7, 8};
    uint32_t gens[2] = {1, 2};
    for (int i = 0; i < 5000; i++) {
        snprintf(id, sizeof(id), "a%d", i);
        assert_true(sqs_attempt_add(q, kv_slice_str(id), now + i, seqs, gens, 2));
    }
    for (int i = 0; i < 5000; i += 7) {
        snprintf(id, sizeof(id), "a%d", i);
        sqs_attempt_t *a = sqs_attempt_find(q, kv_slice_str(id), now - 1);
        assert_non_null(a);
        assert_int_equal(a->n, 2);
        assert_int_equal(a->seqs[1], 8);
        assert_int_equal(a->gens[1], 2);
    }
    assert_null(sqs_attempt_find(q, KV_SLICE_LIT("nope"), now - 1));
    /* the first 2500 are past their time */
    assert_null(sqs_attempt_find(q, KV_SLICE_LIT("a10"), now + 2499));
    assert_int_equal(q->n_attempts, 2500);
    assert_non_null(sqs_attempt_find(q, KV_SLICE_LIT("a2500"), now + 2499));
    sqs_attempt_expire(q, now + 5000);
    assert_int_equal(q->n_attempts, 0);
    assert_null(q->attempts);
    /* the bound */
    for (int i = 0; i < SQS_ATTEMPTS_MAX; i++) {
        snprintf(id, sizeof(id), "b%d", i);
        assert_true(sqs_attempt_add(q, kv_slice_str(id), now + 10000, seqs, gens, 1));
    }
    assert_false(sqs_attempt_add(q, KV_SLICE_LIT("over"), now + 10000, seqs, gens, 1));
    assert_non_null(sqs_attempt_find(q, KV_SLICE_LIT("b99999"), now));
    sqs_attempt_clear(q);
    assert_int_equal(q->n_attempts, 0);
    qfree(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heaps_random), cmocka_unit_test(test_settle),
        cmocka_unit_test(test_fifo_groups),  cmocka_unit_test(test_dedup),
        cmocka_unit_test(test_expired_once), cmocka_unit_test(test_attempts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
