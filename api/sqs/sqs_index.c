/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A queue's in-memory message index: messages by sequence (a chained hash), the ready heap
 * (standard queues: visible messages by sequence), the timer heap (delayed and in-flight
 * messages by the time they become visible), FIFO groups (each group's messages in order, a
 * ready list of groups with nothing in flight) and the deduplication entries. Callers hold the
 * queue's lock and change the index only after the write batch that records the change
 * committed. Receives never walk RocksDB, so deleted messages' tombstones cost them nothing.
 */
#include <stdio.h>
#include <string.h>

#include "base/kv_alloc.h"
#include "base/kv_hash.h"
#include "base/kv_time.h"
#include "sqs_int.h"

/* ---- heaps ---- */

static bool less(const sqs_heap_t *h, const sqs_m_t *a, const sqs_m_t *b)
{
    if (h->by_time && a->visible_at != b->visible_at)
        return a->visible_at < b->visible_at;
    return a->seq < b->seq;
}

static void swap(sqs_heap_t *h, size_t i, size_t j)
{
    sqs_m_t *t = h->a[i];
    h->a[i] = h->a[j];
    h->a[j] = t;
    h->a[i]->hpos = i;
    h->a[j]->hpos = j;
}

static void up(sqs_heap_t *h, size_t i)
{
    while (i > 0 && less(h, h->a[i], h->a[(i - 1) / 2])) {
        swap(h, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void down(sqs_heap_t *h, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && less(h, h->a[l], h->a[m]))
            m = l;
        if (r < h->n && less(h, h->a[r], h->a[m]))
            m = r;
        if (m == i)
            return;
        swap(h, i, m);
        i = m;
    }
}

void sqs_heap_push(sqs_heap_t *h, sqs_m_t *m)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 64;
        h->a = kv_realloc(h->a, h->cap * sizeof(*h->a));
    }
    m->hpos = h->n;
    h->a[h->n++] = m;
    up(h, m->hpos);
}

void sqs_heap_remove(sqs_heap_t *h, sqs_m_t *m)
{
    size_t i = m->hpos;
    if (i >= h->n || h->a[i] != m)
        return;
    h->n--;
    if (i != h->n) {
        h->a[i] = h->a[h->n];
        h->a[i]->hpos = i;
        up(h, i);
        down(h, h->a[i]->hpos);
    }
}

sqs_m_t *sqs_heap_top(const sqs_heap_t *h)
{
    return h->n ? h->a[0] : NULL;
}

/* The four chained hashes below (messages, groups, deduplication entries, receive attempts) link
 * their elements through hnext. SQS_TAB_GROW doubles q->TAB (FIRST slots the first time) and
 * moves each element X of type T to its slot under the new capacity, SLOT (an expression of X). */
#define SQS_TAB_GROW(q, TAB, FIRST, T, X, SLOT)                      \
    do {                                                             \
        size_t cap_ = (q)->TAB##_cap ? (q)->TAB##_cap * 2 : (FIRST); \
        T **t_ = kv_calloc(cap_, sizeof(*t_));                       \
        T **old_ = (q)->TAB;                                         \
        size_t ocap_ = (q)->TAB##_cap;                               \
        (q)->TAB = t_;                                               \
        (q)->TAB##_cap = cap_;                                       \
        for (size_t i_ = 0; i_ < ocap_; i_++)                        \
            for (T *X = old_[i_], *nx_; X; X = nx_) {                \
                nx_ = X->hnext;                                      \
                size_t s_ = (SLOT);                                  \
                X->hnext = t_[s_];                                   \
                t_[s_] = X;                                          \
            }                                                        \
        kv_free(old_);                                               \
    } while (0)

/* ---- messages by sequence ---- */

static size_t mslot(const sqs_queue_t *q, uint64_t seq)
{
    return (size_t)(kv_xxh3(&seq, sizeof(seq)) & (q->mtab_cap - 1));
}

sqs_m_t *sqs_find(sqs_queue_t *q, uint64_t seq)
{
    if (!q->mtab_cap)
        return NULL;
    for (sqs_m_t *m = q->mtab[mslot(q, seq)]; m; m = m->hnext)
        if (m->seq == seq)
            return m;
    return NULL;
}

/* ---- FIFO groups ---- */

static size_t gslot(const sqs_queue_t *q, kv_slice_t name)
{
    return (size_t)(kv_xxh3(name.p, name.len) & (q->gtab_cap - 1));
}

static sqs_group_t *group_get(sqs_queue_t *q, kv_slice_t name)
{
    if (q->gtab_cap)
        for (sqs_group_t *g = q->gtab[gslot(q, name)]; g; g = g->hnext)
            if (kv_slice_eq_str(name, g->name))
                return g;
    if (q->n_groups + 1 > q->gtab_cap / 2)
        SQS_TAB_GROW(q, gtab, 64, sqs_group_t, x, gslot(q, kv_slice_str(x->name)));
    sqs_group_t *g = kv_calloc(1, sizeof(*g));
    g->name = kv_malloc(name.len + 1);
    memcpy(g->name, name.p, name.len);
    g->name[name.len] = 0;
    size_t s = gslot(q, name);
    g->hnext = q->gtab[s];
    q->gtab[s] = g;
    q->n_groups++;
    return g;
}

static void group_unlist(sqs_queue_t *q, sqs_group_t *g)
{
    if (!g->listed)
        return;
    if (g->rprev)
        g->rprev->rnext = g->rnext;
    else
        q->rhead = g->rnext;
    if (g->rnext)
        g->rnext->rprev = g->rprev;
    else
        q->rtail = g->rprev;
    g->rprev = g->rnext = NULL;
    g->listed = false;
}

/* Put the group on the ready list when it can give messages, else off it; free it when empty. */
static void group_check(sqs_queue_t *q, sqs_group_t *g)
{
    bool ready = g->n_inflight == 0 && g->head && !g->head->in_timer;
    if (ready && !g->listed) {
        g->rprev = q->rtail;
        g->rnext = NULL;
        if (q->rtail)
            q->rtail->rnext = g;
        else
            q->rhead = g;
        q->rtail = g;
        g->listed = true;
    } else if (!ready && g->listed) {
        group_unlist(q, g);
    }
    if (!g->head && g->n_inflight == 0) {
        group_unlist(q, g);
        size_t s = gslot(q, kv_slice_str(g->name));
        for (sqs_group_t **pp = &q->gtab[s]; *pp; pp = &(*pp)->hnext)
            if (*pp == g) {
                *pp = g->hnext;
                break;
            }
        q->n_groups--;
        kv_free(g->name);
        kv_free(g);
    }
}

/* ---- the index ---- */

static void place(sqs_queue_t *q, sqs_m_t *m, int64_t now)
{
    if (m->visible_at > now) {
        m->in_timer = true;
        sqs_heap_push(&q->timer, m);
        if (m->inflight)
            q->n_inflight++;
        else
            q->n_delayed++;
    } else {
        m->in_timer = false;
        m->inflight = false;
        if (!q->fifo)
            sqs_heap_push(&q->ready, m);
    }
}

static void unplace(sqs_queue_t *q, sqs_m_t *m)
{
    if (m->in_timer) {
        sqs_heap_remove(&q->timer, m);
        if (m->inflight)
            q->n_inflight--;
        else
            q->n_delayed--;
        m->in_timer = false;
    } else if (!q->fifo) {
        sqs_heap_remove(&q->ready, m);
    }
}

void sqs_index_add(sqs_queue_t *q, sqs_m_t *m, kv_slice_t group)
{
    if (q->n_msgs + 1 > q->mtab_cap)
        SQS_TAB_GROW(q, mtab, 256, sqs_m_t, x, mslot(q, x->seq));
    size_t s = mslot(q, m->seq);
    m->hnext = q->mtab[s];
    q->mtab[s] = m;
    q->n_msgs++;
    q->timer.by_time = true;
    if (q->fifo) {
        sqs_group_t *g = group_get(q, group);
        m->g = g;
        /* in sequence order (a load may meet them in order; sends append) */
        sqs_m_t *at = g->tail;
        while (at && at->seq > m->seq)
            at = at->gprev;
        m->gprev = at;
        m->gnext = at ? at->gnext : g->head;
        if (m->gnext)
            m->gnext->gprev = m;
        else
            g->tail = m;
        if (at)
            at->gnext = m;
        else
            g->head = m;
        if (m->inflight && m->visible_at > kv_now_ms())
            g->n_inflight++;
    }
    place(q, m, kv_now_ms());
    if (m->g)
        group_check(q, m->g);
}

void sqs_index_del(sqs_queue_t *q, sqs_m_t *m)
{
    bool was_inflight = m->in_timer && m->inflight;
    unplace(q, m);
    size_t s = mslot(q, m->seq);
    for (sqs_m_t **pp = &q->mtab[s]; *pp; pp = &(*pp)->hnext)
        if (*pp == m) {
            *pp = m->hnext;
            break;
        }
    q->n_msgs--;
    sqs_group_t *g = m->g;
    if (g) {
        if (m->gprev)
            m->gprev->gnext = m->gnext;
        else
            g->head = m->gnext;
        if (m->gnext)
            m->gnext->gprev = m->gprev;
        else
            g->tail = m->gprev;
        if (was_inflight && g->n_inflight)
            g->n_inflight--;
        group_check(q, g);
    }
    kv_free(m);
}

static void move_at(sqs_queue_t *q, sqs_m_t *m, int64_t visible_at, bool inflight, int64_t now)
{
    bool was_inflight = m->in_timer && m->inflight;
    unplace(q, m);
    m->visible_at = visible_at;
    m->inflight = inflight;
    place(q, m, now);
    bool is_inflight = m->in_timer && m->inflight;
    if (m->g) {
        if (was_inflight && !is_inflight && m->g->n_inflight)
            m->g->n_inflight--;
        else if (!was_inflight && is_inflight)
            m->g->n_inflight++;
        group_check(q, m->g);
    }
}

void sqs_index_move(sqs_queue_t *q, sqs_m_t *m, int64_t visible_at, bool inflight)
{
    move_at(q, m, visible_at, inflight, kv_now_ms());
}

void sqs_index_settle(sqs_queue_t *q, int64_t now)
{
    for (size_t guard = 0; guard < 1000000; guard++) {
        sqs_m_t *m = sqs_heap_top(&q->timer);
        if (!m || m->visible_at > now)
            return;
        move_at(q, m, m->visible_at, false, now);
    }
}

void sqs_index_clear(sqs_queue_t *q)
{
    for (size_t i = 0; i < q->mtab_cap; i++)
        while (q->mtab[i])
            sqs_index_del(q, q->mtab[i]);
}

size_t sqs_index_expired(sqs_queue_t *q, int64_t now, int64_t keep, sqs_m_t **out, size_t max,
                         size_t steps)
{
    size_t n = 0;
    if (!q->mtab_cap)
        return 0;
    if (steps > q->mtab_cap) /* each slot once per call: a message is never listed twice */
        steps = q->mtab_cap;
    for (size_t k = 0; k < steps; k++) {
        size_t slot = q->ret_cursor % q->mtab_cap, here = 0;
        for (sqs_m_t *m = q->mtab[slot]; m; m = m->hnext)
            if (now - m->base_ms >= keep && !(m->in_timer && m->inflight))
                here++;
        if (n + here > max) { /* the rest of this slot's chain next time */
            for (sqs_m_t *m = q->mtab[slot]; m && n < max; m = m->hnext)
                if (now - m->base_ms >= keep && !(m->in_timer && m->inflight))
                    out[n++] = m;
            break;
        }
        for (sqs_m_t *m = q->mtab[slot]; m; m = m->hnext)
            if (now - m->base_ms >= keep && !(m->in_timer && m->inflight))
                out[n++] = m;
        q->ret_cursor++;
    }
    return n;
}

size_t sqs_n_visible(const sqs_queue_t *q)
{
    return q->n_msgs - q->n_inflight - q->n_delayed;
}

/* ---- deduplication ---- */

static size_t dslot(const sqs_queue_t *q, kv_slice_t key)
{
    return (size_t)(kv_xxh3(key.p, key.len) & (q->dtab_cap - 1));
}

sqs_dedup_t *sqs_dedup_find(sqs_queue_t *q, kv_slice_t key, int64_t now)
{
    if (!q->dtab_cap)
        return NULL;
    for (sqs_dedup_t *d = q->dtab[dslot(q, key)]; d; d = d->hnext)
        if (kv_slice_eq_str(key, d->key))
            return d->expires_ms > now ? d : NULL;
    return NULL;
}

void sqs_dedup_add(sqs_queue_t *q, kv_slice_t key, int64_t expires, const char *id, uint64_t seq)
{
    if (q->n_dedup + 1 > q->dtab_cap / 2)
        SQS_TAB_GROW(q, dtab, 256, sqs_dedup_t, x, dslot(q, kv_slice_str(x->key)));
    size_t s = dslot(q, key);
    for (sqs_dedup_t *d = q->dtab[s]; d; d = d->hnext)
        if (kv_slice_eq_str(key, d->key)) { /* an expired entry taken over */
            d->expires_ms = expires;
            snprintf(d->msg_id, sizeof(d->msg_id), "%s", id);
            d->seq = seq;
            return;
        }
    sqs_dedup_t *d = kv_calloc(1, sizeof(*d));
    d->key = kv_malloc(key.len + 1);
    memcpy(d->key, key.p, key.len);
    d->key[key.len] = 0;
    d->expires_ms = expires;
    snprintf(d->msg_id, sizeof(d->msg_id), "%s", id);
    d->seq = seq;
    d->hnext = q->dtab[s];
    q->dtab[s] = d;
    q->n_dedup++;
}

size_t sqs_dedup_expire(sqs_queue_t *q, int64_t now, kv_buf_t *gone, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < q->dtab_cap && n < max; i++)
        for (sqs_dedup_t **pp = &q->dtab[i]; *pp && n < max;) {
            sqs_dedup_t *d = *pp;
            if (d->expires_ms > now) {
                pp = &d->hnext;
                continue;
            }
            *pp = d->hnext;
            if (gone) {
                kv_buf_append_str(gone, d->key);
                kv_buf_append_byte(gone, 0);
            }
            kv_free(d->key);
            kv_free(d);
            q->n_dedup--;
            n++;
        }
    return n;
}

/* ---- FIFO receive attempts: a hash by id, and a list in insertion (= expiry) order ---- */

static size_t aslot(const sqs_queue_t *q, kv_slice_t id)
{
    return (size_t)(kv_xxh3(id.p, id.len) & (q->atab_cap - 1));
}

static void attempt_free(sqs_attempt_t *a)
{
    kv_free(a->id);
    kv_free(a->seqs);
    kv_free(a->gens);
    kv_free(a);
}

void sqs_attempt_expire(sqs_queue_t *q, int64_t now)
{
    while (q->attempts && q->attempts->expires_ms <= now) { /* each one once */
        sqs_attempt_t *a = q->attempts;
        q->attempts = a->next;
        if (!q->attempts)
            q->attempts_tail = NULL;
        for (sqs_attempt_t **pp = &q->atab[aslot(q, kv_slice_str(a->id))]; *pp; pp = &(*pp)->hnext)
            if (*pp == a) {
                *pp = a->hnext;
                break;
            }
        attempt_free(a);
        q->n_attempts--;
    }
}

sqs_attempt_t *sqs_attempt_find(sqs_queue_t *q, kv_slice_t id, int64_t now)
{
    sqs_attempt_expire(q, now);
    if (!q->atab_cap)
        return NULL;
    for (sqs_attempt_t *a = q->atab[aslot(q, id)]; a; a = a->hnext)
        if (kv_slice_eq_str(id, a->id))
            return a;
    return NULL;
}

bool sqs_attempt_add(sqs_queue_t *q, kv_slice_t id, int64_t expires, const uint64_t *seqs,
                     const uint32_t *gens, size_t n)
{
    if (q->n_attempts >= SQS_ATTEMPTS_MAX)
        return false;
    if (q->n_attempts + 1 > q->atab_cap / 2)
        SQS_TAB_GROW(q, atab, 64, sqs_attempt_t, x, aslot(q, kv_slice_str(x->id)));
    sqs_attempt_t *a = kv_calloc(1, sizeof(*a));
    a->id = kv_strndup((const char *)id.p, id.len);
    a->expires_ms = expires;
    a->seqs = kv_calloc(n ? n : 1, sizeof(*a->seqs));
    a->gens = kv_calloc(n ? n : 1, sizeof(*a->gens));
    memcpy(a->seqs, seqs, n * sizeof(*seqs));
    memcpy(a->gens, gens, n * sizeof(*gens));
    a->n = n;
    size_t sl = aslot(q, id);
    a->hnext = q->atab[sl];
    q->atab[sl] = a;
    if (q->attempts_tail)
        q->attempts_tail->next = a;
    else
        q->attempts = a;
    q->attempts_tail = a;
    q->n_attempts++;
    return true;
}

void sqs_attempt_clear(sqs_queue_t *q)
{
    for (sqs_attempt_t *a = q->attempts, *nx; a; a = nx) {
        nx = a->next;
        attempt_free(a);
    }
    q->attempts = q->attempts_tail = NULL;
    q->n_attempts = 0;
    kv_free(q->atab);
    q->atab = NULL;
    q->atab_cap = 0;
}

void sqs_index_free(sqs_queue_t *q)
{
    sqs_index_clear(q);
    sqs_dedup_expire(q, INT64_MAX, NULL, SIZE_MAX);
    sqs_attempt_clear(q);
    kv_free(q->mtab);
    kv_free(q->gtab);
    kv_free(q->dtab);
    kv_free(q->ready.a);
    kv_free(q->timer.a);
}
