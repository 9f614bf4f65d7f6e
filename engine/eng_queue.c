/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SQS queues' storage: the queue records (catalog 'Q' + name, encoded by the api layer), their
 * messages (state CF 'Q' + u32 queue id + u64 sequence + u8 part; 'Q' + u32 queue id alone: the
 * queue's sequence high-water mark) and deduplication entries
 * (state CF 'D' + u32 queue id + key). The api layer indexes messages in memory and reads
 * these walks only at open; each change is one write batch (eng_qbatch_t).
 */
#include <string.h>

#include "base/kv_alloc.h"
#include "eng_int.h"

struct eng_qbatch {
    eng_t *e;
    eng_batch_t *b;
};

static void qkey(kv_buf_t *k, char kind, uint32_t id)
{
    kv_buf_append_byte(k, (uint8_t)kind);
    eng_key_put_u32(k, id);
}

int eng_queue_new_id(eng_t *e, uint32_t *id)
{
    return eng__take_id(e, id);
}

static void put_raw(const void *rec, kv_buf_t *b)
{
    kv_buf_append_slice(b, *(const kv_slice_t *)rec);
}

int eng_queue_put(eng_t *e, kv_slice_t name, kv_slice_t rec, int mode)
{
    kv_buf_t k;
    kv_buf_init(&k, 256);
    eng__cat_key(&k, ENG_CAT_QUEUE, name);
    int rc = eng__rec_put(e, kv_buf_slice(&k), mode, put_raw, &rec);
    kv_buf_dispose(&k);
    return rc;
}

static int drop_msgs(eng_t *e, eng_batch_t *b, const void *arg)
{
    (void)e;
    uint32_t id = *(const uint32_t *)arg;
    const char kinds[2] = {ENG_STATE_QMSG, ENG_STATE_QDEDUP};
    for (int i = 0; i < 2; i++) {
        kv_buf_t lo, hi;
        kv_buf_init(&lo, 16);
        kv_buf_init(&hi, 16);
        qkey(&lo, kinds[i], id);
        qkey(&hi, kinds[i], id + 1); /* id + 1 wraps only for the last id, never handed out */
        eng_batch_delete_range(b, ENG_CF_STATE, kv_buf_slice(&lo), kv_buf_slice(&hi));
        kv_buf_dispose(&lo);
        kv_buf_dispose(&hi);
    }
    return 0;
}

int eng_queue_delete(eng_t *e, kv_slice_t name, uint32_t id)
{
    kv_buf_t k;
    kv_buf_init(&k, 256);
    eng__cat_key(&k, ENG_CAT_QUEUE, name);
    int rc = eng__rec_delete(e, kv_buf_slice(&k), drop_msgs, &id);
    kv_buf_dispose(&k);
    return rc;
}

typedef struct each_arg {
    int (*take)(void *arg, kv_slice_t name, kv_slice_t rec);
    void *arg;
    kv_buf_t last;
} each_arg_t;

static int each_take(void *arg, size_t i, kv_slice_t name, kv_slice_t value)
{
    (void)i;
    each_arg_t *ea = arg;
    kv_buf_reset(&ea->last);
    kv_buf_append_slice(&ea->last, name);
    return ea->take(ea->arg, name, value);
}

int eng_queue_each(eng_t *e, int (*take)(void *arg, kv_slice_t name, kv_slice_t rec), void *arg)
{
    each_arg_t ea = {take, arg, {0}};
    kv_buf_init(&ea.last, 256);
    int rc = 0;
    for (int guard = 0; guard < 1000000; guard++) { /* pages of 256 */
        size_t n = 0;
        bool more = false;
        kv_buf_t after;
        kv_buf_init(&after, 256);
        kv_buf_append_slice(&after, kv_buf_slice(&ea.last));
        rc = eng__cat_page(e, ENG_CAT_QUEUE, kv_buf_slice(&after), 256, each_take, &ea, &n, &more);
        kv_buf_dispose(&after);
        if (rc < 0 || !more)
            break;
    }
    kv_buf_dispose(&ea.last);
    return rc;
}

/* Walk the state CF keys under kind + id; take gets the key after that prefix. */
static int walk(eng_t *e, char kind, uint32_t id,
                int (*take)(void *arg, kv_slice_t rest, kv_slice_t val), void *arg)
{
    kv_buf_t lo;
    kv_buf_init(&lo, 16);
    qkey(&lo, kind, id);
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_STATE);
    int rc = 0;
    for (eng_riter_seek(it, kv_buf_slice(&lo)); eng_riter_valid(it); eng_riter_next(it)) {
        kv_slice_t k = eng_riter_key(it);
        if (k.len < lo.len || memcmp(k.p, lo.p, lo.len) != 0)
            break;
        rc = take(arg, kv_slice(k.p + lo.len, k.len - lo.len), eng_riter_value(it));
        if (rc < 0)
            break;
    }
    eng_riter_free(it);
    kv_buf_dispose(&lo);
    return rc;
}

typedef struct msg_arg {
    int (*take)(void *arg, uint64_t seq, int part, kv_slice_t val);
    void *arg;
} msg_arg_t;

static int msg_take(void *arg, kv_slice_t rest, kv_slice_t val)
{
    msg_arg_t *ma = arg;
    uint64_t seq;
    if (rest.len != 9 || eng_key_get_u64(&rest, &seq) < 0)
        return 0; /* not a record this code wrote */
    return ma->take(ma->arg, seq, rest.p[0], val);
}

int eng_queue_msgs_each(eng_t *e, uint32_t id,
                        int (*take)(void *arg, uint64_t seq, int part, kv_slice_t val), void *arg)
{
    msg_arg_t ma = {take, arg};
    return walk(e, ENG_STATE_QMSG, id, msg_take, &ma);
}

int eng_queue_dedup_each(eng_t *e, uint32_t id,
                         int (*take)(void *arg, kv_slice_t key, kv_slice_t val), void *arg)
{
    return walk(e, ENG_STATE_QDEDUP, id, take, arg);
}

static void msg_key(kv_buf_t *k, uint32_t id, uint64_t seq, int part)
{
    qkey(k, ENG_STATE_QMSG, id);
    eng_key_put_u64(k, seq);
    kv_buf_append_byte(k, (uint8_t)part);
}

int eng_queue_msg_get(eng_t *e, uint32_t id, uint64_t seq, int part, kv_buf_t *out)
{
    kv_buf_t k;
    kv_buf_init(&k, 32);
    msg_key(&k, id, seq, part);
    int rc = eng_rocks_get(e->rocks, ENG_CF_STATE, kv_buf_slice(&k), out);
    kv_buf_dispose(&k);
    return rc;
}

eng_qbatch_t *eng_qbatch_new(eng_t *e)
{
    eng_qbatch_t *b = kv_malloc(sizeof(*b));
    b->e = e;
    b->b = eng_batch_new(e->rocks);
    return b;
}

void eng_qbatch_msg_put(eng_qbatch_t *b, uint32_t id, uint64_t seq, int part, kv_slice_t val)
{
    kv_buf_t k;
    kv_buf_init(&k, 32);
    msg_key(&k, id, seq, part);
    eng_batch_put(b->b, ENG_CF_STATE, kv_buf_slice(&k), val);
    kv_buf_dispose(&k);
}

void eng_qbatch_msg_del(eng_qbatch_t *b, uint32_t id, uint64_t seq)
{
    for (int part = 0; part < 2; part++) {
        kv_buf_t k;
        kv_buf_init(&k, 32);
        msg_key(&k, id, seq, part);
        eng_batch_delete(b->b, ENG_CF_STATE, kv_buf_slice(&k));
        kv_buf_dispose(&k);
    }
}

static void dedup_key(kv_buf_t *k, uint32_t id, kv_slice_t key)
{
    qkey(k, ENG_STATE_QDEDUP, id);
    kv_buf_append_slice(k, key);
}

void eng_qbatch_dedup_put(eng_qbatch_t *b, uint32_t id, kv_slice_t key, kv_slice_t val)
{
    kv_buf_t k;
    kv_buf_init(&k, 512);
    dedup_key(&k, id, key);
    eng_batch_put(b->b, ENG_CF_STATE, kv_buf_slice(&k), val);
    kv_buf_dispose(&k);
}

void eng_qbatch_dedup_del(eng_qbatch_t *b, uint32_t id, kv_slice_t key)
{
    kv_buf_t k;
    kv_buf_init(&k, 512);
    dedup_key(&k, id, key);
    eng_batch_delete(b->b, ENG_CF_STATE, kv_buf_slice(&k));
    kv_buf_dispose(&k);
}

int eng_queue_seq_get(eng_t *e, uint32_t id, uint64_t *hwm)
{
    kv_buf_t k, v;
    kv_buf_init(&k, 16);
    kv_buf_init(&v, 16);
    qkey(&k, ENG_STATE_QMSG, id);
    int rc = eng_rocks_get(e->rocks, ENG_CF_STATE, kv_buf_slice(&k), &v);
    if (rc == 0) {
        kv_slice_t s = kv_buf_slice(&v);
        rc = s.len == 8 && eng_key_get_u64(&s, hwm) == 0 ? 0 : KV_ECORRUPT;
    }
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

void eng_qbatch_seq_put(eng_qbatch_t *b, uint32_t id, uint64_t hwm)
{
    kv_buf_t k, v;
    kv_buf_init(&k, 16);
    kv_buf_init(&v, 16);
    qkey(&k, ENG_STATE_QMSG, id);
    eng_key_put_u64(&v, hwm);
    eng_batch_put(b->b, ENG_CF_STATE, kv_buf_slice(&k), kv_buf_slice(&v));
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
}

void eng_qbatch_msgs_clear(eng_qbatch_t *b, uint32_t id)
{
    kv_buf_t lo, hi;
    kv_buf_init(&lo, 16);
    kv_buf_init(&hi, 16);
    qkey(&lo, ENG_STATE_QMSG, id);
    eng_key_put_u64(&lo, 0); /* after the high-water mark ('Q' + id alone): it stays */
    qkey(&hi, ENG_STATE_QMSG, id + 1);
    eng_batch_delete_range(b->b, ENG_CF_STATE, kv_buf_slice(&lo), kv_buf_slice(&hi));
    kv_buf_dispose(&lo);
    kv_buf_dispose(&hi);
}

int eng_qbatch_commit(eng_qbatch_t *b)
{
    int rc = eng_batch_count(b->b) ? eng__write(b->e, b->b) : 0;
    eng_qbatch_free(b);
    return rc;
}

void eng_qbatch_free(eng_qbatch_t *b)
{
    if (!b)
        return;
    eng_batch_free(b->b);
    kv_free(b);
}
