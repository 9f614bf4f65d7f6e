/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SNS topics ('N'), subscriptions ('S' + topic + ':' + id) in the catalog, and in the state
 * CF: the delivery outbox ('S' + u64 due ms + u64 sequence), FIFO deduplication entries ('N' +
 * topic + 0 + deduplication id -> u64 expiry ms, u64 sequence, message id) and, under 'N' 0
 * (no topic name is empty), the messages ('N' 0 'M' + u64 sequence), their delivery counts
 * ('N' 0 'C' + u64 sequence) and the numbers' high-water mark ('N' 0 'H').
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "base/kv_hash.h"
#include "base/kv_time.h"
#include "eng_int.h"
#include "eng_keys.h"
#include "eng_rocks.h"
#include "eng_sns.h"
#include "eng_tlv.h"

#define ENG_CAT_SNS_TOPIC 'N'   /* issue 14: SNS topics: name */
#define ENG_CAT_SNS_SUB   'S'   /* issue 14: SNS subscriptions: topic, ':', id */
#define ENG_ST_SNS_DEDUP  'N'   /* state: FIFO deduplication: topic, 0, id */
#define ENG_ST_SNS_DLV    'S'   /* state: the delivery outbox: u64 due ms, u64 sequence */
#define SNS_SUB_MSG       'M'   /* under state 'N' 0: a message: u64 sequence */
#define SNS_SUB_COUNT     'C'   /* under state 'N' 0: its deliveries left: u64 sequence */
#define SNS_SUB_MARK      'H'   /* under state 'N' 0: the numbers' high-water mark */
#define SNS_SUB_BLOCK     'B'   /* under state 'N' 0: a FIFO subscription's wait: its id */
#define SNS_RESERVE       65536 /* numbers reserved at a time */

/* ---- topics ---- */

enum { T_NAME = 1, T_FIFO, T_ATTR, T_TAG, T_CREATED };

static void encode_topic(const void *rec, kv_buf_t *b)
{
    const eng_sns_topic_t *t = rec;
    eng_tlv_put_str(b, T_NAME, t->name);
    eng_tlv_put_u64(b, T_FIFO, t->fifo);
    eng__put_pairs(b, T_ATTR, t->attrs, t->n_attrs);
    eng__put_pairs(b, T_TAG, t->tags, t->n_tags);
    eng_tlv_put_u64(b, T_CREATED, (uint64_t)t->created_ms);
}

static const eng_tlv_field_t topic_fields[] = {
    ENG_TLV_ROW(T_NAME, ENG_TLV_STR, eng_sns_topic_t, name, .required = true),
    ENG_TLV_ROW(T_FIFO, ENG_TLV_BOOL, eng_sns_topic_t, fifo),
    ENG_TLV_LIST_ROW(T_ATTR, ENG_TLV_PAIR_LIST, eng_sns_topic_t, attrs, n_attrs),
    ENG_TLV_LIST_ROW(T_TAG, ENG_TLV_PAIR_LIST, eng_sns_topic_t, tags, n_tags),
    ENG_TLV_ROW(T_CREATED, ENG_TLV_I64, eng_sns_topic_t, created_ms),
};

static int decode_topic(kv_slice_t in, kv_arena_t *a, eng_sns_topic_t **out)
{
    eng_sns_topic_t *t = kv_arena_calloc(a, 1, sizeof(*t));
    int rc = eng_tlv_decode(in, topic_fields, sizeof(topic_fields) / sizeof(*topic_fields), a, t);
    if (rc < 0)
        return KV_ECORRUPT;
    *out = t;
    return 0;
}

static kv_slice_t topic_key(kv_buf_t *k, kv_slice_t name)
{
    eng__cat_key(k, ENG_CAT_SNS_TOPIC, name);
    return kv_buf_slice(k);
}

int eng_sns_topic_put(eng_t *e, const eng_sns_topic_t *t, int mode)
{
    kv_buf_t k;
    kv_buf_init(&k, 512);
    int rc = eng__rec_put(e, topic_key(&k, kv_slice_str(t->name)), mode, encode_topic, t);
    kv_buf_dispose(&k);
    return rc;
}

int eng_sns_topic_get(eng_t *e, kv_slice_t name, kv_arena_t *a, eng_sns_topic_t **out)
{
    kv_buf_t k;
    kv_buf_init(&k, 512);
    kv_slice_t v;
    int rc = eng__rec_get(e, topic_key(&k, name), a, &v);
    if (rc == 0)
        rc = decode_topic(v, a, out);
    kv_buf_dispose(&k);
    return rc;
}

/* The range of a topic's subscriptions: 'S' topic ':' .. 'S' topic ';'. */
static void subs_range(kv_buf_t *lo, kv_buf_t *hi, kv_slice_t topic)
{
    eng__cat_key(lo, ENG_CAT_SNS_SUB, topic);
    kv_buf_append_byte(lo, ':');
    eng__cat_key(hi, ENG_CAT_SNS_SUB, topic);
    kv_buf_append_byte(hi, ':' + 1);
}

static int drop_subs(eng_t *e, eng_batch_t *b, const void *arg)
{
    (void)e;
    kv_slice_t topic = *(const kv_slice_t *)arg;
    kv_buf_t lo, hi;
    kv_buf_init(&lo, 512);
    kv_buf_init(&hi, 512);
    subs_range(&lo, &hi, topic);
    eng_batch_delete_range(b, ENG_CF_CATALOG, kv_buf_slice(&lo), kv_buf_slice(&hi));
    kv_buf_dispose(&lo);
    kv_buf_dispose(&hi);
    return 0;
}

int eng_sns_topic_delete(eng_t *e, kv_slice_t name)
{
    kv_buf_t k;
    kv_buf_init(&k, 512);
    int rc = eng__rec_delete(e, topic_key(&k, name), drop_subs, &name);
    kv_buf_dispose(&k);
    return rc;
}

typedef struct tpage {
    eng_sns_topic_t *out;
    kv_arena_t *a;
} tpage_t;

static int take_topic(void *arg, size_t i, kv_slice_t key, kv_slice_t val)
{
    (void)key;
    tpage_t *p = arg;
    eng_sns_topic_t *t;
    int rc = decode_topic(val, p->a, &t);
    if (rc == 0)
        p->out[i] = *t;
    return rc;
}

int eng_sns_topic_list(eng_t *e, kv_slice_t after, size_t limit, kv_arena_t *a,
                       eng_sns_topic_t **out, size_t *n, bool *more)
{
    tpage_t p = {kv_arena_calloc(a, limit ? limit : 1, sizeof(eng_sns_topic_t)), a};
    *out = p.out;
    return eng__cat_page(e, ENG_CAT_SNS_TOPIC, after, limit, take_topic, &p, n, more);
}

/* ---- subscriptions ---- */

enum { S_TOPIC = 1, S_ID, S_PROTO, S_ENDPOINT, S_TOKEN, S_PENDING, S_ATTR, S_CREATED };

static void encode_sub(const void *rec, kv_buf_t *b)
{
    const eng_sns_sub_t *s = rec;
    eng_tlv_put_str(b, S_TOPIC, s->topic);
    eng_tlv_put_str(b, S_ID, s->id);
    eng_tlv_put_str(b, S_PROTO, s->protocol);
    eng_tlv_put_str(b, S_ENDPOINT, s->endpoint);
    if (s->token)
        eng_tlv_put_str(b, S_TOKEN, s->token);
    eng_tlv_put_u64(b, S_PENDING, s->pending);
    eng__put_pairs(b, S_ATTR, s->attrs, s->n_attrs);
    eng_tlv_put_u64(b, S_CREATED, (uint64_t)s->created_ms);
}

static const eng_tlv_field_t sub_fields[] = {
    ENG_TLV_ROW(S_TOPIC, ENG_TLV_STR, eng_sns_sub_t, topic, .required = true),
    ENG_TLV_ROW(S_ID, ENG_TLV_STR, eng_sns_sub_t, id, .required = true),
    ENG_TLV_ROW(S_PROTO, ENG_TLV_STR, eng_sns_sub_t, protocol, .required = true),
    ENG_TLV_ROW(S_ENDPOINT, ENG_TLV_STR, eng_sns_sub_t, endpoint, .required = true),
    ENG_TLV_ROW(S_TOKEN, ENG_TLV_STR, eng_sns_sub_t, token),
    ENG_TLV_ROW(S_PENDING, ENG_TLV_BOOL, eng_sns_sub_t, pending),
    ENG_TLV_LIST_ROW(S_ATTR, ENG_TLV_PAIR_LIST, eng_sns_sub_t, attrs, n_attrs),
    ENG_TLV_ROW(S_CREATED, ENG_TLV_I64, eng_sns_sub_t, created_ms),
};

static int decode_sub(kv_slice_t in, kv_arena_t *a, eng_sns_sub_t **out)
{
    eng_sns_sub_t *s = kv_arena_calloc(a, 1, sizeof(*s));
    int rc = eng_tlv_decode(in, sub_fields, sizeof(sub_fields) / sizeof(*sub_fields), a, s);
    if (rc < 0)
        return KV_ECORRUPT;
    *out = s;
    return 0;
}

static kv_slice_t sub_key(kv_buf_t *k, kv_slice_t topic, kv_slice_t id)
{
    eng__cat_key(k, ENG_CAT_SNS_SUB, topic);
    kv_buf_append_byte(k, ':');
    kv_buf_append_slice(k, id);
    return kv_buf_slice(k);
}

int eng_sns_sub_put(eng_t *e, const eng_sns_sub_t *s, int mode)
{
    kv_buf_t k, tk, v;
    kv_buf_init(&k, 1024);
    kv_buf_init(&tk, 512);
    kv_buf_init(&v, ENG_REC_MAX);
    pthread_mutex_lock(&e->cat_lock);
    /* the topic must still be there: a delete in between would orphan the subscription */
    int rc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, topic_key(&tk, kv_slice_str(s->topic)), &v);
    if (rc == 0)
        rc = eng__rec_put_locked(e, sub_key(&k, kv_slice_str(s->topic), kv_slice_str(s->id)), mode,
                                 encode_sub, s);
    pthread_mutex_unlock(&e->cat_lock);
    kv_buf_dispose(&k);
    kv_buf_dispose(&tk);
    kv_buf_dispose(&v);
    return rc;
}

int eng_sns_sub_get(eng_t *e, kv_slice_t topic, kv_slice_t id, kv_arena_t *a, eng_sns_sub_t **out)
{
    kv_buf_t k;
    kv_buf_init(&k, 1024);
    kv_slice_t v;
    int rc = eng__rec_get(e, sub_key(&k, topic, id), a, &v);
    if (rc == 0)
        rc = decode_sub(v, a, out);
    kv_buf_dispose(&k);
    return rc;
}

/* A subscription's deletion takes its FIFO block ('N' 0 'B' + id) along. */
static int drop_block(eng_t *e, eng_batch_t *b, const void *arg)
{
    (void)e;
    kv_slice_t id = *(const kv_slice_t *)arg;
    kv_buf_t k;
    kv_buf_init(&k, 128);
    kv_buf_append_byte(&k, ENG_ST_SNS_DEDUP);
    kv_buf_append_byte(&k, 0);
    kv_buf_append_byte(&k, SNS_SUB_BLOCK);
    kv_buf_append_slice(&k, id);
    eng_batch_delete(b, ENG_CF_STATE, kv_buf_slice(&k));
    kv_buf_dispose(&k);
    return 0;
}

int eng_sns_sub_delete(eng_t *e, kv_slice_t topic, kv_slice_t id)
{
    kv_buf_t k;
    kv_buf_init(&k, 1024);
    int rc = eng__rec_delete(e, sub_key(&k, topic, id), drop_block, &id);
    kv_buf_dispose(&k);
    return rc;
}

int eng_sns_sub_list(eng_t *e, kv_slice_t topic, kv_slice_t after, size_t limit, kv_arena_t *a,
                     eng_sns_sub_t **out, size_t *n, bool *more)
{
    *n = 0;
    *more = false;
    *out = kv_arena_calloc(a, limit ? limit : 1, sizeof(eng_sns_sub_t));
    kv_buf_t lo, hi;
    kv_buf_init(&lo, 1024);
    kv_buf_init(&hi, 1024);
    if (topic.len) {
        subs_range(&lo, &hi, topic);
    } else {
        kv_buf_append_byte(&lo, ENG_CAT_SNS_SUB);
        kv_buf_append_byte(&hi, ENG_CAT_SNS_SUB + 1);
    }
    kv_buf_t start;
    kv_buf_init(&start, 1024);
    if (after.len) {
        eng__cat_key(&start, ENG_CAT_SNS_SUB, after);
        kv_buf_append_byte(&start, 0); /* just after it */
        if (kv_slice_cmp(kv_buf_slice(&start), kv_buf_slice(&lo)) < 0) {
            kv_buf_reset(&start);
            kv_buf_append_slice(&start, kv_buf_slice(&lo));
        }
    } else {
        kv_buf_append_slice(&start, kv_buf_slice(&lo));
    }
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_CATALOG);
    int rc = 0;
    for (eng_riter_seek(it, kv_buf_slice(&start)); eng_riter_valid(it); eng_riter_next(it)) {
        kv_slice_t key = eng_riter_key(it);
        if (kv_slice_cmp(key, kv_buf_slice(&hi)) >= 0)
            break;
        if (*n == limit) {
            *more = true;
            break;
        }
        eng_sns_sub_t *s;
        rc = decode_sub(kv_arena_dup(a, eng_riter_value(it)), a, &s);
        if (rc < 0)
            break;
        (*out)[(*n)++] = *s;
    }
    if (rc >= 0)
        rc = eng_riter_status(it);
    eng_riter_free(it);
    kv_buf_dispose(&lo);
    kv_buf_dispose(&hi);
    kv_buf_dispose(&start);
    return rc;
}

/* ---- messages and deliveries ---- */

enum {
    D_TOPIC = 1,
    D_SUB,
    D_MSG_ID,
    D_BODY,
    D_SUBJECT,
    D_GROUP,
    D_DEDUP,
    D_FIFO_SEQ,
    D_TS,
    D_ATTR, /* nested: A_NAME, A_TYPE, A_VALUE */
    D_KIND,
    D_STRUCTURE,
    D_SIG_VERSION,
};
enum { A_NAME = 1, A_TYPE, A_VALUE };

static const eng_tlv_field_t attr_fields[] = {
    ENG_TLV_ROW(A_NAME, ENG_TLV_STR, eng_sns_attr_t, name, .required = true),
    ENG_TLV_ROW(A_TYPE, ENG_TLV_STR, eng_sns_attr_t, type, .required = true),
    ENG_TLV_ROW(A_VALUE, ENG_TLV_BYTES, eng_sns_attr_t, value),
};

static int decode_attr(kv_slice_t v, kv_arena_t *a, void *dst)
{
    return eng_tlv_decode(v, attr_fields, sizeof(attr_fields) / sizeof(*attr_fields), a, dst);
}

static const eng_tlv_field_t msg_fields[] = {
    ENG_TLV_ROW(D_TOPIC, ENG_TLV_STR, eng_sns_msg_t, topic, .required = true),
    ENG_TLV_ROW(D_MSG_ID, ENG_TLV_STR, eng_sns_msg_t, msg_id, .required = true),
    ENG_TLV_ROW(D_BODY, ENG_TLV_BYTES, eng_sns_msg_t, body),
    ENG_TLV_ROW(D_SUBJECT, ENG_TLV_STR, eng_sns_msg_t, subject),
    ENG_TLV_ROW(D_GROUP, ENG_TLV_STR, eng_sns_msg_t, group),
    ENG_TLV_ROW(D_DEDUP, ENG_TLV_STR, eng_sns_msg_t, dedup),
    ENG_TLV_ROW(D_TS, ENG_TLV_I64, eng_sns_msg_t, ts_ms),
    ENG_TLV_LIST_ROW(D_ATTR, ENG_TLV_LIST, eng_sns_msg_t, attrs, n_attrs,
                     .size = sizeof(eng_sns_attr_t), .fn = decode_attr),
    ENG_TLV_ROW(D_KIND, ENG_TLV_U8, eng_sns_msg_t, kind),
    ENG_TLV_ROW(D_STRUCTURE, ENG_TLV_BOOL, eng_sns_msg_t, structure),
    ENG_TLV_ROW(D_SIG_VERSION, ENG_TLV_U8, eng_sns_msg_t, sig_version),
};

static void encode_msg(const eng_sns_msg_t *m, kv_buf_t *b)
{
    eng_tlv_put_str(b, D_TOPIC, m->topic);
    eng_tlv_put_str(b, D_MSG_ID, m->msg_id);
    eng_tlv_put(b, D_BODY, m->body);
    if (m->subject)
        eng_tlv_put_str(b, D_SUBJECT, m->subject);
    if (m->group)
        eng_tlv_put_str(b, D_GROUP, m->group);
    if (m->dedup)
        eng_tlv_put_str(b, D_DEDUP, m->dedup);
    eng_tlv_put_u64(b, D_TS, (uint64_t)m->ts_ms);
    if (m->kind)
        eng_tlv_put_u64(b, D_KIND, m->kind);
    if (m->structure)
        eng_tlv_put_u64(b, D_STRUCTURE, 1);
    if (m->sig_version)
        eng_tlv_put_u64(b, D_SIG_VERSION, m->sig_version);
    for (size_t i = 0; i < m->n_attrs; i++) {
        kv_buf_t a;
        kv_buf_init(&a, ENG_REC_MAX);
        eng_tlv_put_str(&a, A_NAME, m->attrs[i].name);
        eng_tlv_put_str(&a, A_TYPE, m->attrs[i].type);
        eng_tlv_put(&a, A_VALUE, m->attrs[i].value);
        eng_tlv_put(b, D_ATTR, kv_buf_slice(&a));
        kv_buf_dispose(&a);
    }
}

enum { R_MSG = 1, R_SUB, R_ATTEMPTS, R_DEFERRALS };

static const eng_tlv_field_t dlv_fields[] = {
    ENG_TLV_ROW(R_MSG, ENG_TLV_U64, eng_sns_dlv_t, msg_seq, .required = true),
    ENG_TLV_ROW(R_SUB, ENG_TLV_STR, eng_sns_dlv_t, sub_id, .required = true),
    ENG_TLV_ROW(R_ATTEMPTS, ENG_TLV_U32, eng_sns_dlv_t, attempts),
    ENG_TLV_ROW(R_DEFERRALS, ENG_TLV_U32, eng_sns_dlv_t, deferrals),
};

static void encode_dlv(const eng_sns_dlv_t *d, kv_buf_t *b)
{
    eng_tlv_put_u64(b, R_MSG, d->msg_seq);
    eng_tlv_put_str(b, R_SUB, d->sub_id);
    if (d->attempts)
        eng_tlv_put_u64(b, R_ATTEMPTS, d->attempts);
    if (d->deferrals)
        eng_tlv_put_u64(b, R_DEFERRALS, d->deferrals);
}

static kv_slice_t dlv_key(kv_buf_t *k, int64_t due, uint64_t seq)
{
    kv_buf_reset(k);
    kv_buf_append_byte(k, ENG_ST_SNS_DLV);
    eng_key_put_u64(k, due > 0 ? (uint64_t)due : 0);
    eng_key_put_u64(k, seq);
    return kv_buf_slice(k);
}

/* 'N' 0 sub [u64 seq]: a message, its count, the mark. */
static kv_slice_t block_key(kv_buf_t *k, const char *sub_id)
{
    kv_buf_reset(k);
    kv_buf_append_byte(k, ENG_ST_SNS_DEDUP);
    kv_buf_append_byte(k, 0);
    kv_buf_append_byte(k, SNS_SUB_BLOCK);
    kv_buf_append_str(k, sub_id);
    return kv_buf_slice(k);
}

int eng_sns_block_get(eng_t *e, const char *sub_id, int64_t *until)
{
    kv_buf_t k, v;
    kv_buf_init(&k, 128);
    kv_buf_init(&v, 16);
    *until = 0;
    int rc = eng_rocks_get(e->rocks, ENG_CF_STATE, block_key(&k, sub_id), &v);
    uint64_t u = 0;
    kv_slice_t s = kv_buf_slice(&v);
    if (rc == 0 && eng_key_get_u64(&s, &u) == 0)
        *until = (int64_t)u;
    if (rc == KV_ENOTFOUND)
        rc = 0;
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

static kv_slice_t aux_key(kv_buf_t *k, uint8_t sub, uint64_t seq)
{
    kv_buf_reset(k);
    kv_buf_append_byte(k, ENG_ST_SNS_DEDUP);
    kv_buf_append_byte(k, 0);
    kv_buf_append_byte(k, sub);
    if (sub != SNS_SUB_MARK)
        eng_key_put_u64(k, seq);
    return kv_buf_slice(k);
}

/*
 * n consecutive numbers. The mark in the store is past every number handed out: it is moved
 * SNS_RESERVE ahead (a small write of its own, before the numbers are used) when the
 * reservation runs out, so numbers never repeat across restarts, whatever the clock does.
 */
static int take_numbers(eng_t *e, size_t n, uint64_t *first)
{
    int rc = 0;
    pthread_mutex_lock(&e->sns_lock);
    kv_buf_t k, v;
    kv_buf_init(&k, 16);
    kv_buf_init(&v, 16);
    if (e->sns_reserved == 0) {
        int g = eng_rocks_get(e->rocks, ENG_CF_STATE, aux_key(&k, SNS_SUB_MARK, 0), &v);
        uint64_t mark = 0;
        kv_slice_t s = kv_buf_slice(&v);
        if (g == 0 && eng_key_get_u64(&s, &mark) < 0)
            g = KV_ECORRUPT;
        if (g < 0 && g != KV_ENOTFOUND) {
            rc = g;
            goto out;
        }
        /* a store without a mark (new, or from before it): above the clock-made numbers */
        e->sns_next = g == 0 ? mark : (uint64_t)kv_now_ms() << 16;
        e->sns_reserved = e->sns_next;
    }
    if (e->sns_next + n > e->sns_reserved) {
        uint64_t mark = e->sns_next + n + SNS_RESERVE;
        kv_buf_reset(&v);
        eng_key_put_u64(&v, mark);
        eng_batch_t *b = eng_batch_new(e->rocks);
        eng_batch_put(b, ENG_CF_STATE, aux_key(&k, SNS_SUB_MARK, 0), kv_buf_slice(&v));
        rc = eng_rocks_write(e->rocks, b);
        eng_batch_free(b);
        if (rc < 0)
            goto out;
        e->sns_reserved = mark;
    }
    *first = e->sns_next;
    e->sns_next += n;
out:
    pthread_mutex_unlock(&e->sns_lock);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

/* FIFO topics' publishes (deduplication check, numbers, commit) are serialised per topic. */
#define FIFO_STRIPES 64
static pthread_mutex_t fifo_locks[FIFO_STRIPES] = {[0 ... FIFO_STRIPES - 1] =
                                                       PTHREAD_MUTEX_INITIALIZER};

int eng_sns_publish(eng_t *e, eng_sns_msg_t *m, const char *const *sub_ids, size_t n,
                    int64_t dedup_ms, kv_arena_t *a, const char **dup_id)
{
    kv_buf_t k, v;
    kv_buf_init(&k, 1024);
    kv_buf_init(&v, 64u << 20);
    eng_batch_t *b = eng_batch_new(e->rocks);
    int64_t now = kv_now_ms();
    int rc = 0;
    pthread_mutex_t *lock = NULL;
    if (m->dedup) {
        lock = &fifo_locks[kv_xxh3(m->topic, strlen(m->topic)) % FIFO_STRIPES];
        pthread_mutex_lock(lock);
        kv_buf_append_byte(&k, ENG_ST_SNS_DEDUP);
        kv_buf_append_str(&k, m->topic);
        kv_buf_append_byte(&k, 0);
        kv_buf_append_str(&k, m->dedup);
        int g = eng_rocks_get(e->rocks, ENG_CF_STATE, kv_buf_slice(&k), &v);
        if (g == 0 && v.len >= 16) {
            kv_slice_t s = kv_buf_slice(&v);
            uint64_t until, seq;
            if (eng_key_get_u64(&s, &until) == 0 && eng_key_get_u64(&s, &seq) == 0 &&
                (int64_t)until > now) {
                *dup_id = kv_arena_strndup(a, s.p, s.len);
                m->seq = seq;
                rc = KV_EEXIST;
                goto out;
            }
        } else if (g != 0 && g != KV_ENOTFOUND) {
            rc = g;
            goto out;
        }
    }
    uint64_t s;
    rc = take_numbers(e, n + 1, &s);
    if (rc < 0)
        goto out;
    m->seq = s;
    if (m->dedup) {
        kv_buf_reset(&v);
        eng_key_put_u64(&v, (uint64_t)(now + dedup_ms));
        eng_key_put_u64(&v, s);
        kv_buf_append_str(&v, m->msg_id);
        eng_batch_put(b, ENG_CF_STATE, kv_buf_slice(&k), kv_buf_slice(&v));
    }
    if (n) {
        kv_buf_reset(&v);
        encode_msg(m, &v);
        if (kv_buf_failed(&v)) {
            rc = KV_ETOOBIG;
            goto out;
        }
        eng_batch_put(b, ENG_CF_STATE, aux_key(&k, SNS_SUB_MSG, s), kv_buf_slice(&v));
        kv_buf_reset(&v);
        eng_key_put_u64(&v, n);
        eng_batch_put(b, ENG_CF_STATE, aux_key(&k, SNS_SUB_COUNT, s), kv_buf_slice(&v));
    }
    for (size_t i = 0; i < n; i++) {
        eng_sns_dlv_t d = {
            .due_ms = m->ts_ms, .seq = s + 1 + i, .msg_seq = s, .sub_id = sub_ids[i]};
        kv_buf_reset(&v);
        encode_dlv(&d, &v);
        eng_batch_put(b, ENG_CF_STATE, dlv_key(&k, d.due_ms, d.seq), kv_buf_slice(&v));
    }
    if (eng_batch_count(b))
        rc = eng__write(e, b);
out:
    if (lock)
        pthread_mutex_unlock(lock);
    eng_batch_free(b);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

int eng_sns_msg_get(eng_t *e, uint64_t seq, kv_arena_t *a, eng_sns_msg_t **out)
{
    kv_buf_t k, v;
    kv_buf_init(&k, 16);
    kv_buf_init(&v, 64u << 20);
    int rc = eng_rocks_get(e->rocks, ENG_CF_STATE, aux_key(&k, SNS_SUB_MSG, seq), &v);
    if (rc == 0) {
        eng_sns_msg_t *m = kv_arena_calloc(a, 1, sizeof(*m));
        if (eng_tlv_decode(kv_arena_dup(a, kv_buf_slice(&v)), msg_fields,
                           sizeof(msg_fields) / sizeof(*msg_fields), a, m) < 0) {
            rc = KV_ECORRUPT;
        } else {
            m->seq = seq;
            *out = m;
        }
    }
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

int eng_sns_dlv_due(eng_t *e, int64_t now_ms, int64_t after_due, uint64_t after_seq, size_t limit,
                    kv_arena_t *a, eng_sns_dlv_t **out, size_t *n, int64_t *next_due)
{
    *n = 0;
    *next_due = -1;
    *out = kv_arena_calloc(a, limit ? limit : 1, sizeof(eng_sns_dlv_t));
    kv_buf_t k;
    kv_buf_init(&k, 32);
    dlv_key(&k, after_due, after_seq);
    if (after_due || after_seq)
        kv_buf_append_byte(&k, 0); /* just after it */
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_STATE);
    int rc = 0;
    size_t seen = 0;
    for (eng_riter_seek(it, kv_buf_slice(&k)); eng_riter_valid(it) && *n < limit;
         eng_riter_next(it)) {
        kv_slice_t key = eng_riter_key(it);
        if (key.len < 1 || key.p[0] != ENG_ST_SNS_DLV || seen++ > limit + 1024)
            break;
        kv_slice_t ks = kv_slice(key.p + 1, key.len - 1);
        uint64_t due, seq;
        if (key.len != 17 || eng_key_get_u64(&ks, &due) < 0 || eng_key_get_u64(&ks, &seq) < 0)
            continue; /* not a record of this version (nothing else is under 'S') */
        if ((int64_t)due > now_ms) {
            *next_due = (int64_t)due;
            break;
        }
        eng_sns_dlv_t *d = &(*out)[*n];
        if (eng_tlv_decode(kv_arena_dup(a, eng_riter_value(it)), dlv_fields,
                           sizeof(dlv_fields) / sizeof(*dlv_fields), a, d) < 0) {
            rc = KV_ECORRUPT;
            break;
        }
        d->due_ms = (int64_t)due;
        d->seq = seq;
        (*n)++;
    }
    if (rc >= 0)
        rc = eng_riter_status(it);
    eng_riter_free(it);
    kv_buf_dispose(&k);
    return rc;
}

int eng_sns_dlv_done(eng_t *e, const eng_sns_dlv_t *d, bool unblock)
{
    kv_buf_t k, v;
    kv_buf_init(&k, 128);
    kv_buf_init(&v, 16);
    eng_batch_t *b = eng_batch_new(e->rocks);
    eng_batch_delete(b, ENG_CF_STATE, dlv_key(&k, d->due_ms, d->seq));
    if (unblock)
        eng_batch_delete(b, ENG_CF_STATE, block_key(&k, d->sub_id));
    /* the count is changed by this job only (one thread); the lock keeps it so regardless */
    pthread_mutex_lock(&e->sns_lock);
    int rc = eng_rocks_get(e->rocks, ENG_CF_STATE, aux_key(&k, SNS_SUB_COUNT, d->msg_seq), &v);
    uint64_t left = 0;
    kv_slice_t s = kv_buf_slice(&v);
    if (rc == 0 && eng_key_get_u64(&s, &left) < 0)
        left = 0; /* unreadable: dropped with this delivery */
    if (rc == 0 || rc == KV_ENOTFOUND) {
        if (left > 1) {
            kv_buf_reset(&v);
            eng_key_put_u64(&v, left - 1);
            eng_batch_put(b, ENG_CF_STATE, kv_buf_slice(&k), kv_buf_slice(&v));
        } else {
            eng_batch_delete(b, ENG_CF_STATE, aux_key(&k, SNS_SUB_COUNT, d->msg_seq));
            eng_batch_delete(b, ENG_CF_STATE, aux_key(&k, SNS_SUB_MSG, d->msg_seq));
        }
        rc = eng_rocks_write(e->rocks, b); /* not eng__write: a delete wakes no consumer */
    }
    pthread_mutex_unlock(&e->sns_lock);
    eng_batch_free(b);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

int eng_sns_dlv_move(eng_t *e, eng_sns_dlv_t *d, int64_t due_ms, bool block)
{
    kv_buf_t k, v;
    kv_buf_init(&k, 128);
    kv_buf_init(&v, 4096);
    eng_batch_t *b = eng_batch_new(e->rocks);
    eng_batch_delete(b, ENG_CF_STATE, dlv_key(&k, d->due_ms, d->seq));
    encode_dlv(d, &v);
    eng_batch_put(b, ENG_CF_STATE, dlv_key(&k, due_ms, d->seq), kv_buf_slice(&v));
    if (block) {
        kv_buf_reset(&v);
        eng_key_put_u64(&v, due_ms > 0 ? (uint64_t)due_ms : 0);
        eng_batch_put(b, ENG_CF_STATE, block_key(&k, d->sub_id), kv_buf_slice(&v));
    }
    int rc = eng_rocks_write(e->rocks, b);
    if (rc == 0)
        d->due_ms = due_ms;
    eng_batch_free(b);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

int eng_sns_dedup_trim(eng_t *e, int64_t now_ms, size_t limit, bool *more)
{
    *more = false;
    uint8_t lo = ENG_ST_SNS_DEDUP;
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_STATE);
    eng_batch_t *b = eng_batch_new(e->rocks);
    size_t seen = 0;
    for (eng_riter_seek(it, kv_slice(&lo, 1)); eng_riter_valid(it); eng_riter_next(it)) {
        kv_slice_t key = eng_riter_key(it);
        if (key.len < 1 || key.p[0] != ENG_ST_SNS_DEDUP)
            break;
        if (key.len >= 2 && key.p[1] == 0) { /* 'N' 0: messages, counts, the mark */
            uint8_t past[2] = {ENG_ST_SNS_DEDUP, 1};
            eng_riter_seek(it, kv_slice(past, 2));
            if (!eng_riter_valid(it))
                break;
            key = eng_riter_key(it);
            if (key.len < 1 || key.p[0] != ENG_ST_SNS_DEDUP)
                break;
        }
        if (seen++ == limit) {
            *more = true;
            break;
        }
        kv_slice_t v = eng_riter_value(it);
        uint64_t until;
        if (eng_key_get_u64(&v, &until) < 0 || (int64_t)until <= now_ms)
            eng_batch_delete(b, ENG_CF_STATE, key);
    }
    int rc = eng_riter_status(it);
    if (rc == 0 && eng_batch_count(b))
        rc = eng_rocks_write(e->rocks, b);
    eng_batch_free(b);
    eng_riter_free(it);
    return rc;
}
