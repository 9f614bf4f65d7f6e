/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SQS messages: SendMessage(Batch), ReceiveMessage with long polling, DeleteMessage(Batch),
 * ChangeMessageVisibility(Batch), PurgeQueue, dead-letter moves, retention, and the
 * in-process interface of api_msg.h. Each operation is decode (JSON -> C input) / execute
 * (C input -> C output, one write batch under the queue's lock, the index changed after the
 * commit) / encode (C output -> JSON), so that the query protocol adds only its decoder and
 * encoder.
 *
 * Long polling: a receive that finds nothing and may wait is held (resp->_pending, the hold
 * hook) on its queue's waiter list. The thread that commits a send (or a visibility change to
 * 0) answers the oldest waiter right after its commit; the wait job answers those whose wait
 * ended (empty) or whose queue has a message whose delay or visibility ended. Messages are
 * taken only when a held receive is answered, so a client that went away loses none.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/kv_alloc.h"
#include "base/kv_b64.h"
#include "base/kv_hash.h"
#include "base/kv_time.h"
#include "sqs_int.h"

sqs_queue_t *sqs_queue_of(api_ctx_t *ctx, api_resp_t *resp, const api_json_t *in);
void sqs_queue_url(api_req_t *req, const sqs_queue_t *q, kv_buf_t *out);

/* ---- hashes ---- */

static void hex(const uint8_t *p, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[p[i] >> 4];
        out[2 * i + 1] = d[p[i] & 15];
    }
    out[2 * n] = 0;
}

static void md5_hex(kv_slice_t s, char out[33])
{
    uint8_t d[16];
    kv_md5(s.p, s.len, d);
    hex(d, 16, out);
}

static void put_len(kv_buf_t *b, size_t n)
{
    uint8_t l[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
    kv_buf_append(b, l, 4);
}

static int attr_cmp(const void *a, const void *b)
{
    return kv_slice_cmp(((const api_msg_attr_t *)a)->name, ((const api_msg_attr_t *)b)->name);
}

void sqs_md5_attrs(const api_msg_attr_t *a, size_t n, char out[33])
{
    api_msg_attr_t *s = kv_malloc((n ? n : 1) * sizeof(*s));
    memcpy(s, a, n * sizeof(*s));
    qsort(s, n, sizeof(*s), attr_cmp);
    kv_buf_t b;
    kv_buf_init(&b, 64u << 20);
    for (size_t i = 0; i < n; i++) {
        put_len(&b, s[i].name.len);
        kv_buf_append_slice(&b, s[i].name);
        put_len(&b, s[i].data_type.len);
        kv_buf_append_slice(&b, s[i].data_type);
        bool bin = kv_slice_starts_with(s[i].data_type, "Binary");
        kv_buf_append_byte(&b, bin ? 2 : 1);
        put_len(&b, s[i].value.len);
        kv_buf_append_slice(&b, s[i].value);
    }
    md5_hex(kv_buf_slice(&b), out);
    kv_buf_dispose(&b);
    kv_free(s);
}

static void sha256_hex(kv_slice_t s, char out[65])
{
    uint8_t d[API_CK_MAX];
    api_ck_t c;
    api_ck_init(&c, API_CK_SHA256);
    api_ck_update(&c, s.p, s.len);
    api_ck_final(&c, d);
    api_ck_dispose(&c);
    hex(d, 32, out);
}

/* ---- records ---- */

/* Part 0 (immutable): u8 version, u64 sent, u64 base, then u32-length strings: id, body, group,
 * dedup, sender, trace header, dead-letter source ARN, then u32 n and per attribute name,
 * type, value. */
typedef struct sqs_rec {
    int64_t sent_ms, base_ms;
    kv_slice_t id, body, group, dedup, sender, trace, dlq_src;
    const api_msg_attr_t *attrs;
    size_t n_attrs;
} sqs_rec_t;

static void put_u64(kv_buf_t *b, uint64_t v)
{
    uint8_t x[8];
    for (int i = 0; i < 8; i++)
        x[i] = (uint8_t)(v >> (56 - 8 * i));
    kv_buf_append(b, x, 8);
}

static void put_str(kv_buf_t *b, kv_slice_t s)
{
    put_len(b, s.len);
    kv_buf_append_slice(b, s);
}

static void rec_encode(const sqs_rec_t *r, kv_buf_t *b)
{
    kv_buf_append_byte(b, 1);
    put_u64(b, (uint64_t)r->sent_ms);
    put_u64(b, (uint64_t)r->base_ms);
    put_str(b, r->id);
    put_str(b, r->body);
    put_str(b, r->group);
    put_str(b, r->dedup);
    put_str(b, r->sender);
    put_str(b, r->trace);
    put_str(b, r->dlq_src);
    put_len(b, r->n_attrs);
    for (size_t i = 0; i < r->n_attrs; i++) {
        put_str(b, r->attrs[i].name);
        put_str(b, r->attrs[i].data_type);
        put_str(b, r->attrs[i].value);
    }
}

static bool get_u64(kv_slice_t *in, uint64_t *v)
{
    if (in->len < 8)
        return false;
    *v = 0;
    for (int i = 0; i < 8; i++)
        *v = (*v << 8) | in->p[i];
    in->p += 8;
    in->len -= 8;
    return true;
}

static bool get_u32(kv_slice_t *in, uint32_t *v)
{
    if (in->len < 4)
        return false;
    *v = (uint32_t)in->p[0] << 24 | (uint32_t)in->p[1] << 16 | (uint32_t)in->p[2] << 8 | in->p[3];
    in->p += 4;
    in->len -= 4;
    return true;
}

static bool get_str(kv_slice_t *in, kv_slice_t *s)
{
    uint32_t n;
    if (!get_u32(in, &n) || in->len < n)
        return false;
    *s = kv_slice(in->p, n);
    in->p += n;
    in->len -= n;
    return true;
}

/* Decode a part 0 record (slices point into in, attributes into arena a). */
static bool rec_decode(kv_slice_t in, kv_arena_t *a, sqs_rec_t *r)
{
    uint64_t sent, base;
    uint32_t n;
    memset(r, 0, sizeof(*r));
    if (in.len < 1 || in.p[0] != 1)
        return false;
    in.p++, in.len--;
    if (!get_u64(&in, &sent) || !get_u64(&in, &base) || !get_str(&in, &r->id) ||
        !get_str(&in, &r->body) || !get_str(&in, &r->group) || !get_str(&in, &r->dedup) ||
        !get_str(&in, &r->sender) || !get_str(&in, &r->trace) || !get_str(&in, &r->dlq_src) ||
        !get_u32(&in, &n) || n > 64)
        return false;
    r->sent_ms = (int64_t)sent;
    r->base_ms = (int64_t)base;
    api_msg_attr_t *attrs = a ? kv_arena_calloc(a, n ? n : 1, sizeof(*attrs)) : NULL;
    r->attrs = attrs;
    r->n_attrs = n;
    for (uint32_t i = 0; i < n; i++) {
        api_msg_attr_t x;
        if (!get_str(&in, &x.name) || !get_str(&in, &x.data_type) || !get_str(&in, &x.value))
            return false;
        if (attrs)
            attrs[i] = x;
    }
    return true;
}

/* Part 1 (delivery state): u64 visible_at, u32 receives, u64 first receive, u64 last receive,
 * u32 generation, u8 in flight, u32 receipt nonce (absent in records of older versions: 0). */
static void state_encode(const sqs_m_t *m, kv_buf_t *b)
{
    put_u64(b, (uint64_t)m->visible_at);
    put_len(b, m->receives);
    put_u64(b, (uint64_t)m->first_recv);
    put_u64(b, (uint64_t)m->last_recv);
    put_len(b, m->gen);
    kv_buf_append_byte(b, m->inflight ? 1 : 0);
    put_len(b, m->nonce);
}

static bool state_decode(kv_slice_t in, sqs_m_t *m)
{
    uint64_t v, f, l;
    uint32_t r, g;
    if (!get_u64(&in, &v) || !get_u32(&in, &r) || !get_u64(&in, &f) || !get_u64(&in, &l) ||
        !get_u32(&in, &g) || in.len < 1)
        return false;
    m->visible_at = (int64_t)v;
    m->receives = r;
    m->first_recv = (int64_t)f;
    m->last_recv = (int64_t)l;
    m->gen = g;
    m->inflight = in.p[0] != 0;
    in.p++, in.len--;
    uint32_t nonce = 0;
    if (in.len >= 4)
        get_u32(&in, &nonce);
    m->nonce = nonce;
    return true;
}

/* The FIFO sequence number: the queue's creation time above its message sequence (128 bits),
 * in decimal. */
static void seq_number(const sqs_queue_t *q, uint64_t seq, char out[48])
{
    unsigned __int128 v = ((unsigned __int128)(uint64_t)q->created_ms << 64) | seq;
    char tmp[48];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v && n < 47);
    for (int i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = 0;
}

/* ---- receipt handles: hex of queue id, sequence, generation, the message's nonce and a keyed
 * check ---- */

#define RAW_N 20 /* u32 queue id, u64 sequence, u32 generation, u32 nonce */

static uint32_t new_nonce(void)
{
    uint32_t n;
    kv_random(&n, sizeof(n));
    return n ? n : 1; /* 0: a message of an older version */
}

static void receipt_make(sqs_state_t *s, uint32_t qid, uint64_t seq, uint32_t gen, uint32_t nonce,
                         char out[64])
{
    uint8_t all[RAW_N + 8];
    for (int i = 0; i < 4; i++)
        all[i] = (uint8_t)(qid >> (24 - 8 * i));
    for (int i = 0; i < 8; i++)
        all[4 + i] = (uint8_t)(seq >> (56 - 8 * i));
    for (int i = 0; i < 4; i++)
        all[12 + i] = (uint8_t)(gen >> (24 - 8 * i));
    for (int i = 0; i < 4; i++)
        all[16 + i] = (uint8_t)(nonce >> (24 - 8 * i));
    uint64_t key;
    memcpy(&key, s->receipt_key, 8);
    uint64_t mac = kv_xxh3_seed(all, RAW_N, key);
    for (int i = 0; i < 8; i++)
        all[RAW_N + i] = (uint8_t)(mac >> (56 - 8 * i));
    hex(all, RAW_N + 8, out); /* 56 characters */
}

static int hexval(uint8_t c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool receipt_parse(sqs_state_t *s, kv_slice_t r, uint32_t *qid, uint64_t *seq, uint32_t *gen,
                          uint32_t *nonce)
{
    uint8_t all[RAW_N + 8];
    if (r.len != 2 * sizeof(all))
        return false;
    for (size_t i = 0; i < sizeof(all); i++) {
        int a = hexval(r.p[2 * i]), b = hexval(r.p[2 * i + 1]);
        if (a < 0 || b < 0)
            return false;
        all[i] = (uint8_t)(a << 4 | b);
    }
    uint64_t key, mac = 0;
    memcpy(&key, s->receipt_key, 8);
    for (int i = 0; i < 8; i++)
        mac = (mac << 8) | all[RAW_N + i];
    if (mac != kv_xxh3_seed(all, RAW_N, key))
        return false;
    *qid = be32(all);
    *seq = 0;
    for (int i = 0; i < 8; i++)
        *seq = (*seq << 8) | all[4 + i];
    *gen = be32(all + 12);
    *nonce = be32(all + 16);
    return true;
}

/* ---- sending ---- */

/** One message to send (decoded from SendMessage, a batch entry, or api_msg_t). */
typedef struct sqs_send_in {
    kv_slice_t entry_id; /* batch entry Id */
    kv_slice_t body, group, dedup, trace, source_arn;
    int64_t delay_s; /* -1: the queue's */
    const api_msg_attr_t *attrs;
    size_t n_attrs;
    bool has_trace;
    /* decode errors of a batch entry: reported as its failure */
    api_err_t err;
    const char *why;
} sqs_send_in_t;

typedef struct sqs_send_out {
    char msg_id[37];
    char md5_body[33], md5_attrs[33], md5_sys[33];
    char seqno[48];
    api_err_t err;
    const char *why;
} sqs_send_out_t;

static bool body_chars_ok(kv_slice_t s)
{
    const uint8_t *p = s.p, *e = s.p + s.len;
    while (p < e) {
        uint32_t c;
        size_t n;
        if (*p < 0x80)
            c = *p, n = 1;
        else if ((*p & 0xE0) == 0xC0)
            c = *p & 0x1F, n = 2;
        else if ((*p & 0xF0) == 0xE0)
            c = *p & 0x0F, n = 3;
        else if ((*p & 0xF8) == 0xF0)
            c = *p & 0x07, n = 4;
        else
            return false;
        if ((size_t)(e - p) < n)
            return false;
        for (size_t i = 1; i < n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return false;
            c = (c << 6) | (p[i] & 0x3F);
        }
        if (!(c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
              (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF)))
            return false;
        p += n;
    }
    return true;
}

static bool id_chars_ok(kv_slice_t s)
{
    if (s.len == 0 || s.len > 128)
        return false;
    for (size_t i = 0; i < s.len; i++)
        if (s.p[i] < 0x21 || s.p[i] > 0x7E)
            return false;
    return true;
}

static bool attr_name_ok(kv_slice_t n)
{
    if (n.len == 0 || n.len > 256 || n.p[0] == '.' || n.p[n.len - 1] == '.')
        return false;
    if (kv_slice_starts_with(n, "AWS.") || kv_slice_starts_with(n, "Amazon.") ||
        kv_slice_starts_with(n, "aws.") || kv_slice_starts_with(n, "amazon."))
        return false;
    for (size_t i = 0; i < n.len; i++) {
        uint8_t c = n.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return false;
        if (c == '.' && i + 1 < n.len && n.p[i + 1] == '.')
            return false;
    }
    return true;
}

static bool number_ok(kv_slice_t v)
{
    char buf[128];
    if (v.len == 0 || v.len >= sizeof(buf))
        return false;
    memcpy(buf, v.p, v.len);
    buf[v.len] = 0;
    char *end;
    double d = strtod(buf, &end);
    if (*end || end == buf)
        return false;
    size_t digits = 0;
    for (size_t i = 0; i < v.len; i++)
        if (buf[i] >= '0' && buf[i] <= '9')
            digits++;
        else if (buf[i] == 'e' || buf[i] == 'E')
            break;
    return digits <= 38 && d <= 9.9999999999999999999999999999999999999e125 &&
           d >= -9.9999999999999999999999999999999999999e127;
}

/* Check one message against the queue's rules; sets out->err and why. */
static bool send_check(const sqs_queue_t *q, const sqs_send_in_t *m, sqs_send_out_t *out,
                       kv_arena_t *a)
{
#define FAIL(e, ...) (out->err = (e), out->why = kv_arena_printf(a, __VA_ARGS__), false)
    if (m->err)
        return out->err = m->err, out->why = m->why, false;
    if (m->body.p == NULL || m->body.len == 0)
        return FAIL(API_E_SQS_MISSING_PARAM, "The request must contain the parameter "
                                             "MessageBody.");
    if (!body_chars_ok(m->body))
        return FAIL(API_E_SQS_BAD_CONTENTS,
                    "Invalid binary character was found in the message body, the set of allowed "
                    "characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 "
                    "to #x10FFFF");
    if (m->n_attrs > 10)
        return FAIL(API_E_SQS_BAD_PARAM,
                    "Number of message attributes [%zu] exceeds the allowed maximum [10].",
                    m->n_attrs);
    size_t size = m->body.len;
    for (size_t i = 0; i < m->n_attrs; i++) {
        const api_msg_attr_t *x = &m->attrs[i];
        if (!attr_name_ok(x->name))
            return FAIL(API_E_SQS_BAD_PARAM,
                        "Message attribute name '%.*s' is invalid. Reason: Only alphanumeric, "
                        "hyphen, underscore, and period characters are allowed, without leading "
                        "or trailing periods or consecutive periods, and not beginning with AWS. "
                        "or Amazon.",
                        (int)(x->name.len > 256 ? 256 : x->name.len), (const char *)x->name.p);
        for (size_t j = 0; j < i; j++)
            if (kv_slice_eq(x->name, m->attrs[j].name))
                return FAIL(API_E_SQS_BAD_PARAM, "Message attribute name '%.*s' already exists.",
                            (int)x->name.len, (const char *)x->name.p);
        kv_slice_t t = x->data_type;
        const char *base = kv_slice_starts_with(t, "String")   ? "String"
                           : kv_slice_starts_with(t, "Number") ? "Number"
                           : kv_slice_starts_with(t, "Binary") ? "Binary"
                                                               : NULL;
        if (t.len == 0)
            return FAIL(API_E_SQS_BAD_PARAM,
                        "The message attribute '%.*s' must contain non-empty message attribute "
                        "type.",
                        (int)x->name.len, (const char *)x->name.p);
        if (!base || (t.len > 6 && (t.p[6] != '.' || t.len == 7)) || t.len > 256)
            return FAIL(API_E_SQS_BAD_PARAM,
                        "The type of message (user) attribute '%.*s' is invalid. You must use "
                        "only the following supported type prefixes: Binary, Number, String.",
                        (int)x->name.len, (const char *)x->name.p);
        if (x->value.len == 0)
            return FAIL(API_E_SQS_BAD_PARAM,
                        "The message attribute '%.*s' must contain non-empty message attribute "
                        "value for message attribute type '%s'.",
                        (int)x->name.len, (const char *)x->name.p, base);
        if (strcmp(base, "Binary") != 0 && !body_chars_ok(x->value))
            return FAIL(API_E_SQS_BAD_CONTENTS,
                        "Invalid binary character was found in the value of message attribute "
                        "'%.*s'.",
                        (int)x->name.len, (const char *)x->name.p);
        if (strcmp(base, "Number") == 0 && !number_ok(x->value))
            return FAIL(API_E_SQS_BAD_PARAM,
                        "Can't cast the value of message (user) attribute '%.*s' to a number.",
                        (int)x->name.len, (const char *)x->name.p);
        size += x->name.len + t.len + x->value.len;
    }
    if (size > q->max_size)
        return FAIL(API_E_SQS_BAD_PARAM,
                    "One or more parameters are invalid. Reason: Message must be shorter than "
                    "%u bytes.",
                    q->max_size);
    if (m->delay_s >= 0 && q->fifo)
        return FAIL(API_E_SQS_BAD_PARAM,
                    "Value %lld for parameter DelaySeconds is invalid. Reason: The request "
                    "include parameter that is not valid for this queue type.",
                    (long long)m->delay_s);
    if (m->delay_s > 900)
        return FAIL(API_E_SQS_BAD_PARAM,
                    "Value %lld for parameter DelaySeconds is invalid. Reason: DelaySeconds must "
                    "be >= 0 and <= 900.",
                    (long long)m->delay_s);
    if (m->has_trace && (m->trace.len == 0 || m->trace.len > 8192))
        return FAIL(API_E_SQS_BAD_PARAM, "The AWSTraceHeader system attribute is invalid.");
    /* in this order: FIFO without a group; a standard queue's deduplication id; the group's
     * characters (a standard queue may name a group too); FIFO deduplication */
    if (q->fifo && m->group.len == 0)
        return FAIL(API_E_SQS_MISSING_PARAM,
                    "The request must contain the parameter MessageGroupId.");
    if (!q->fifo && m->dedup.p)
        return FAIL(API_E_SQS_BAD_PARAM,
                    "Value %.*s for parameter MessageDeduplicationId is invalid. Reason: The "
                    "request includes a parameter that is not valid for this queue type.",
                    (int)(m->dedup.len > 128 ? 128 : m->dedup.len), (const char *)m->dedup.p);
    if (m->group.p && !id_chars_ok(m->group))
        return FAIL(API_E_SQS_BAD_PARAM,
                    "Value %.*s for parameter MessageGroupId is invalid. Reason: "
                    "MessageGroupId can only include alphanumeric and punctuation characters. "
                    "1 to 128 in length.",
                    (int)(m->group.len > 128 ? 128 : m->group.len), (const char *)m->group.p);
    if (q->fifo) {
        if (m->dedup.p && !id_chars_ok(m->dedup))
            return FAIL(API_E_SQS_BAD_PARAM,
                        "Value %.*s for parameter MessageDeduplicationId is invalid. Reason: "
                        "MessageDeduplicationId can only include alphanumeric and punctuation "
                        "characters. 1 to 128 in length.",
                        (int)(m->dedup.len > 128 ? 128 : m->dedup.len), (const char *)m->dedup.p);
        if (m->dedup.len == 0 && !q->cbd)
            return FAIL(API_E_SQS_BAD_PARAM,
                        "The queue should either have ContentBasedDeduplication enabled or "
                        "MessageDeduplicationId provided explicitly");
    }
    return true;
#undef FAIL
}

static void waiters_wake(api_ctx_t *ctx, sqs_queue_t *q);

/* A message of q became delayed or in flight: the wait job's next time may be earlier now.
 * (Lock order: state wlock, then a queue's lock; so q's timer is read first and its wake_at
 * only ever lowered here: a later kick with an earlier time wins.) */
static int64_t timer_top(sqs_queue_t *q);
static void qheap_fix(sqs_queue_t **a, size_t n, size_t i);

static void wait_job_kick(api_ctx_t *ctx, sqs_queue_t *q)
{
    sqs_state_t *s = sqs_state(ctx);
    pthread_mutex_lock(&q->lock);
    int64_t at = timer_top(q);
    pthread_mutex_unlock(&q->lock);
    pthread_mutex_lock(&s->wlock);
    bool waiting = q->waiters != NULL;
    bool earlier = waiting && at < q->wake_at;
    if (earlier) {
        q->wake_at = at;
        qheap_fix(s->wq, s->wq_n, q->wqpos);
    }
    pthread_mutex_unlock(&s->wlock);
    if (earlier)
        api_sched_kick(ctx, "sqs-wait");
}

/* Send n checked messages (those with out[i].err unset) to q in one write batch. */
static int send_exec(api_ctx_t *ctx, sqs_queue_t *q, const sqs_send_in_t *in, sqs_send_out_t *out,
                     size_t n, kv_arena_t *a)
{
    int64_t now = kv_now_ms();
    sqs_m_t **ms = kv_arena_calloc(a, n, sizeof(*ms));
    kv_slice_t *dkeys = kv_arena_calloc(a, n, sizeof(*dkeys));
    eng_qbatch_t *b = eng_qbatch_new(ctx->eng);
    kv_buf_t v;
    kv_buf_init(&v, 64u << 20);
    size_t added = 0;
    pthread_mutex_lock(&q->lock);
    if (q->deleted) {
        pthread_mutex_unlock(&q->lock);
        eng_qbatch_free(b);
        kv_buf_dispose(&v);
        return KV_ENOTFOUND;
    }
    for (size_t i = 0; i < n; i++) {
        const sqs_send_in_t *m = &in[i];
        sqs_send_out_t *o = &out[i];
        if (o->err)
            continue;
        md5_hex(m->body, o->md5_body);
        if (m->n_attrs)
            sqs_md5_attrs(m->attrs, m->n_attrs, o->md5_attrs);
        if (m->has_trace) {
            api_msg_attr_t t = {KV_SLICE_LIT("AWSTraceHeader"), KV_SLICE_LIT("String"), m->trace};
            sqs_md5_attrs(&t, 1, o->md5_sys);
        }
        kv_slice_t dedup = m->dedup;
        if (q->fifo) {
            char sha[65];
            if (dedup.len == 0) {
                sha256_hex(m->body, sha);
                dedup = kv_arena_dup(a, kv_slice_str(sha));
            }
            kv_buf_t k;
            kv_buf_init(&k, 64u << 20);
            if (q->dedup_per_group) {
                kv_buf_append_slice(&k, m->group);
                kv_buf_append_byte(&k, 0xFF);
            }
            kv_buf_append_slice(&k, dedup);
            dkeys[i] = kv_arena_dup(a, kv_buf_slice(&k));
            kv_buf_dispose(&k);
            sqs_dedup_t *d = sqs_dedup_find(q, dkeys[i], now);
            bool dup_in_batch = false;
            for (size_t j = 0; j < i && !dup_in_batch; j++)
                if (!out[j].err && kv_slice_eq(dkeys[j], dkeys[i]) && ms[j]) {
                    memcpy(o->msg_id, out[j].msg_id, sizeof(o->msg_id));
                    memcpy(o->seqno, out[j].seqno, sizeof(o->seqno));
                    dup_in_batch = true;
                }
            if (dup_in_batch)
                continue;
            if (d) { /* deduplicated: accepted, not delivered again */
                snprintf(o->msg_id, sizeof(o->msg_id), "%s", d->msg_id);
                seq_number(q, d->seq, o->seqno);
                continue;
            }
        }
        kv_uuid4(o->msg_id);
        sqs_m_t *x = kv_calloc(1, sizeof(*x));
        x->seq = atomic_fetch_add(&q->next_seq, 1);
        x->nonce = new_nonce();
        x->sent_ms = x->base_ms = now;
        int64_t delay = m->delay_s >= 0 ? m->delay_s : q->delay_s;
        x->visible_at = now + delay * 1000;
        ms[i] = x;
        if (q->fifo)
            seq_number(q, x->seq, o->seqno);
        sqs_rec_t r = {now,
                       now,
                       kv_slice_str(o->msg_id),
                       m->body,
                       m->group,
                       q->fifo ? dedup : KV_SLICE_NULL,
                       KV_SLICE_LIT(API_ACCOUNT_ID),
                       m->has_trace ? m->trace : KV_SLICE_NULL,
                       KV_SLICE_NULL,
                       m->attrs,
                       m->n_attrs};
        kv_buf_reset(&v);
        rec_encode(&r, &v);
        eng_qbatch_msg_put(b, q->id, x->seq, 0, kv_buf_slice(&v));
        kv_buf_reset(&v);
        state_encode(x, &v);
        eng_qbatch_msg_put(b, q->id, x->seq, 1, kv_buf_slice(&v));
        if (q->fifo) {
            kv_buf_reset(&v);
            put_u64(&v, (uint64_t)(now + SQS_DEDUP_MS));
            put_u64(&v, x->seq);
            kv_buf_append_str(&v, o->msg_id);
            eng_qbatch_dedup_put(b, q->id, dkeys[i], kv_buf_slice(&v));
        }
        added++;
    }
    kv_buf_dispose(&v);
    if (added) /* under the lock: the stored mark never goes back */
        eng_qbatch_seq_put(b, q->id, atomic_load(&q->next_seq) - 1);
    int rc = eng_qbatch_commit(b);
    if (rc < 0) {
        pthread_mutex_unlock(&q->lock);
        for (size_t i = 0; i < n; i++)
            kv_free(ms[i]);
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        if (!ms[i])
            continue;
        sqs_index_add(q, ms[i], in[i].group);
        if (q->fifo)
            sqs_dedup_add(q, dkeys[i], now + SQS_DEDUP_MS, out[i].msg_id, ms[i]->seq);
    }
    bool delayed = false;
    for (size_t i = 0; i < n; i++)
        delayed |= ms[i] && ms[i]->in_timer;
    pthread_mutex_unlock(&q->lock);
    if (added) {
        atomic_fetch_add(&q->sends, 1);
        waiters_wake(ctx, q);
        if (delayed)
            wait_job_kick(ctx, q);
    }
    return 0;
}

/* Decode a MessageAttributes map into attrs (values in arena a). */
static int decode_attrs(const api_json_t *map, kv_arena_t *a, const api_msg_attr_t **out, size_t *n,
                        const char **why)
{
    *out = NULL;
    *n = 0;
    if (!map)
        return 0;
    if (api_json_type(map) != API_J_OBJ)
        return *why = "MessageAttributes must be a map", -1;
    size_t cap = api_json_len(map);
    if (cap > 64) {
        *why = kv_arena_printf(a,
                               "Number of message attributes [%zu] exceeds the allowed maximum "
                               "[10].",
                               cap);
        return -1;
    }
    api_msg_attr_t *x = kv_arena_calloc(a, cap ? cap : 1, sizeof(*x));
    void *it = NULL;
    const char *k;
    api_json_t *v;
    size_t i = 0;
    while (api_json_next(map, &it, &k, &v) && i < cap) {
        x[i].name = kv_slice_str(k);
        x[i].data_type = api_json_str(api_json_get(v, "DataType"));
        if (api_json_get(v, "StringListValues") || api_json_get(v, "BinaryListValues")) {
            *why = "Message attribute list values in SendMessage operation are not supported.";
            return -1;
        }
        if (kv_slice_starts_with(x[i].data_type, "Binary")) {
            kv_slice_t b64 = api_json_str(api_json_get(v, "BinaryValue"));
            kv_buf_t d;
            kv_buf_init(&d, 64u << 20);
            if (!kv_b64_decode(&d, b64)) {
                kv_buf_dispose(&d);
                *why = "BinaryValue must be base64";
                return -1;
            }
            x[i].value = kv_arena_dup(a, kv_buf_slice(&d));
            kv_buf_dispose(&d);
        } else {
            x[i].value = api_json_str(api_json_get(v, "StringValue"));
        }
        i++;
    }
    *out = x;
    *n = i;
    return 0;
}

/* Decode one SendMessage (or batch entry) object. Errors land in m->err. */
static void decode_send(const api_json_t *o, kv_arena_t *a, sqs_send_in_t *m)
{
    memset(m, 0, sizeof(*m));
    m->delay_s = -1;
    m->entry_id = api_json_str(api_json_get(o, "Id"));
    api_json_t *body = api_json_get(o, "MessageBody");
    if (body && api_json_type(body) == API_J_STR) {
        m->body = api_json_str(body);
        if (m->body.p == NULL)
            m->body = KV_SLICE_LIT("");
    }
    api_json_t *g = api_json_get(o, "MessageGroupId");
    if (g) {
        m->group = api_json_str(g);
        if (!m->group.p)
            m->group = KV_SLICE_LIT("");
    }
    api_json_t *d = api_json_get(o, "MessageDeduplicationId");
    if (d) {
        m->dedup = api_json_str(d);
        if (!m->dedup.p)
            m->dedup = KV_SLICE_LIT("");
    }
    api_json_t *ds = api_json_get(o, "DelaySeconds");
    if (ds && api_json_type(ds) != API_J_NULL) {
        if (!api_json_int(ds, &m->delay_s) || m->delay_s < 0) {
            m->err = API_E_SQS_BAD_PARAM;
            m->why = "Value for parameter DelaySeconds is invalid. Reason: DelaySeconds must be "
                     ">= 0 and <= 900.";
            return;
        }
    }
    const char *why = NULL;
    if (decode_attrs(api_json_get(o, "MessageAttributes"), a, &m->attrs, &m->n_attrs, &why) < 0) {
        m->err = API_E_SQS_BAD_PARAM;
        m->why = why;
        return;
    }
    api_json_t *sys = api_json_get(o, "MessageSystemAttributes");
    if (sys) {
        void *it = NULL;
        const char *k;
        api_json_t *v;
        while (api_json_next(sys, &it, &k, &v)) {
            if (strcmp(k, "AWSTraceHeader") != 0 ||
                !kv_slice_eq_str(api_json_str(api_json_get(v, "DataType")), "String")) {
                m->err = API_E_SQS_BAD_PARAM;
                m->why = kv_arena_printf(a,
                                         "Message system attribute name '%s' is invalid. Only "
                                         "AWSTraceHeader of DataType String is supported.",
                                         k);
                return;
            }
            m->trace = api_json_str(api_json_get(v, "StringValue"));
            m->has_trace = true;
        }
    }
}

static bool entry_id_ok(kv_slice_t id)
{
    if (id.len == 0 || id.len > 80)
        return false;
    for (size_t i = 0; i < id.len; i++) {
        uint8_t c = id.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

/* The checks every batch request makes on Entries. 0 or -1 with the error set. */
/* Check a batch's entries (kind: the entry shape's name, for the messages). */
static int batch_check(api_resp_t *resp, const api_json_t *entries, const char *kind)
{
    if (!entries || api_json_type(entries) != API_J_ARR || api_json_len(entries) == 0)
        return sqs_refuse(resp, API_E_SQS_EMPTY_BATCH,
                          "There should be at least one %s in the request.", kind);
    size_t n = api_json_len(entries);
    if (n > SQS_BATCH_MAX)
        return sqs_refuse(resp, API_E_SQS_TOO_MANY_ENTRIES,
                          "Maximum number of entries per request are 10. You have sent %zu.", n);
    for (size_t i = 0; i < n; i++) {
        kv_slice_t id = api_json_str(api_json_get(api_json_at(entries, i), "Id"));
        if (!entry_id_ok(id))
            return sqs_refuse(resp, API_E_SQS_BAD_BATCH_ID,
                              "A batch entry id can only contain alphanumeric characters, "
                              "hyphens and underscores. It can be at most 80 letters long.");
        for (size_t j = 0; j < i; j++)
            if (kv_slice_eq(id, api_json_str(api_json_get(api_json_at(entries, j), "Id"))))
                return sqs_refuse(resp, API_E_SQS_IDS_NOT_DISTINCT, "Id %.*s repeated.",
                                  (int)id.len, (const char *)id.p);
    }
    return 0;
}

static void jw_failed(api_jw_t *w, kv_slice_t id, api_err_t e, const char *why)
{
    api_jw_obj_begin(w);
    api_jw_key(w, "Id");
    api_jw_str(w, id);
    api_jw_kbool(w, "SenderFault", api_err_status(e) < 500);
    api_jw_kstr(w, "Code", api_err_ns(e)[0] ? api_err_ns(e) : api_err_code(e));
    api_jw_kstr(w, "Message", why ? why : "");
    api_jw_obj_end(w);
}

static void jw_send_result(api_jw_t *w, const sqs_send_in_t *m, const sqs_send_out_t *o, bool batch)
{
    api_jw_obj_begin(w);
    if (batch) {
        api_jw_key(w, "Id");
        api_jw_str(w, m->entry_id);
    }
    api_jw_kstr(w, "MessageId", o->msg_id);
    api_jw_kstr(w, "MD5OfMessageBody", o->md5_body);
    if (o->md5_attrs[0])
        api_jw_kstr(w, "MD5OfMessageAttributes", o->md5_attrs);
    if (o->md5_sys[0])
        api_jw_kstr(w, "MD5OfMessageSystemAttributes", o->md5_sys);
    if (o->seqno[0])
        api_jw_kstr(w, "SequenceNumber", o->seqno);
    api_jw_obj_end(w);
}

void sqs_op_send(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                 api_jw_t *w, bool batch)
{
    sqs_queue_t *q = sqs_queue_of(ctx, resp, in);
    if (!q)
        return;
    const api_json_t *entries = api_json_get(in, "Entries");
    if (batch && batch_check(resp, entries, "SendMessageBatchRequestEntry") < 0) {
        sqs_queue_put(q);
        return;
    }
    size_t n = batch ? api_json_len(entries) : 1;
    sqs_send_in_t *ms = kv_arena_calloc(req->arena, n, sizeof(*ms));
    sqs_send_out_t *os = kv_arena_calloc(req->arena, n, sizeof(*os));
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        decode_send(batch ? api_json_at(entries, i) : in, req->arena, &ms[i]);
        pthread_mutex_lock(&q->lock);
        send_check(q, &ms[i], &os[i], req->arena);
        pthread_mutex_unlock(&q->lock);
        total += ms[i].body.len;
        for (size_t j = 0; j < ms[i].n_attrs; j++)
            total +=
                ms[i].attrs[j].name.len + ms[i].attrs[j].data_type.len + ms[i].attrs[j].value.len;
    }
    if (!batch && os[0].err) {
        api_refuse(resp, os[0].err, "%s", os[0].why);
        sqs_queue_put(q);
        return;
    }
    if (batch && total > q->max_size && total > SQS_MSG_MAX) {
        sqs_refuse(resp, API_E_SQS_BATCH_TOO_LONG,
                   "Batch requests cannot be longer than %u bytes. You have sent %zu bytes.",
                   SQS_MSG_MAX, total);
        sqs_queue_put(q);
        return;
    }
    int rc = send_exec(ctx, q, ms, os, n, req->arena);
    sqs_queue_put(q);
    if (rc < 0) {
        if (rc == KV_ENOTFOUND)
            sqs_refuse(resp, API_E_SQS_NO_QUEUE, "The specified queue does not exist.");
        else
            sqs_refuse(resp, API_E_SQS_INTERNAL, "The message could not be stored");
        return;
    }
    if (!batch) {
        jw_send_result(w, &ms[0], &os[0], false);
        return;
    }
    api_jw_obj_begin(w);
    api_jw_key(w, "Successful");
    api_jw_arr_begin(w);
    for (size_t i = 0; i < n; i++)
        if (!os[i].err)
            jw_send_result(w, &ms[i], &os[i], true);
    api_jw_arr_end(w);
    api_jw_key(w, "Failed");
    api_jw_arr_begin(w);
    for (size_t i = 0; i < n; i++)
        if (os[i].err)
            jw_failed(w, ms[i].entry_id, os[i].err, os[i].why);
    api_jw_arr_end(w);
    api_jw_obj_end(w);
}

/* ---- receiving ---- */

/** What a receive asks for. */
typedef struct sqs_recv_in {
    unsigned max;
    int64_t vis_s;  /* -1: the queue's */
    int64_t wait_s; /* -1: the queue's */
    bool all_sys;
    const api_json_t *sys_names; /* AttributeNames + MessageSystemAttributeNames */
    const api_json_t *sys_names2;
    const api_json_t *attr_names; /* MessageAttributeNames */
    kv_slice_t attempt;
} sqs_recv_in_t;

/** One message taken. */
typedef struct sqs_got {
    uint64_t seq;
    uint32_t gen;
    uint32_t receives;
    int64_t first_recv;
    kv_slice_t rec; /* part 0, in the arena */
    uint32_t nonce;
} sqs_got_t;

static bool want_sys(const sqs_recv_in_t *r, const char *name)
{
    const api_json_t *lists[2] = {r->sys_names, r->sys_names2};
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; i < api_json_len(lists[l]); i++) {
            kv_slice_t n = api_json_str(api_json_at(lists[l], i));
            if (kv_slice_eq_str(n, "All") || kv_slice_eq_str(n, name))
                return true;
        }
    return false;
}

static bool want_attr(const sqs_recv_in_t *r, kv_slice_t name)
{
    for (size_t i = 0; i < api_json_len(r->attr_names); i++) {
        kv_slice_t n = api_json_str(api_json_at(r->attr_names, i));
        if (kv_slice_eq_str(n, "All") || kv_slice_eq_str(n, ".*") || kv_slice_eq(n, name))
            return true;
        if (n.len >= 2 && n.p[n.len - 1] == '*' && n.p[n.len - 2] == '.' && name.len >= n.len - 1 &&
            memcmp(name.p, n.p, n.len - 1) == 0)
            return true;
    }
    return false;
}

typedef struct dlq_move {
    sqs_m_t *m;
    uint64_t new_seq;
    kv_slice_t group;
    int64_t sent_ms, base_ms;
    uint32_t nonce;
} dlq_move_t;

/* Lock q and its dead-letter queue *dq (if any): the lower id first, so two receives moving
 * messages to each other's queues cannot deadlock. A deleted *dq is dropped (released, NULL):
 * nothing is written under its id after its records' delete. */
static void lock_pair(sqs_queue_t *q, sqs_queue_t **dq)
{
    sqs_queue_t *d = *dq;
    if (!d) {
        pthread_mutex_lock(&q->lock);
        return;
    }
    pthread_mutex_lock(d->id < q->id ? &d->lock : &q->lock);
    pthread_mutex_lock(d->id < q->id ? &q->lock : &d->lock);
    if (atomic_load(&d->deleted)) {
        pthread_mutex_unlock(&d->lock);
        sqs_queue_put(d);
        *dq = NULL;
    }
}

static void unlock_pair(sqs_queue_t *q, sqs_queue_t *dq)
{
    if (dq)
        pthread_mutex_unlock(&dq->lock);
    pthread_mutex_unlock(&q->lock);
}

/* Take up to r->max visible messages of q (one write batch): the messages delivered into got,
 * those past their receive count moved to the dead-letter queue, those past retention
 * dropped. @return the count taken, or a negative KV_ error. */
static int take(api_ctx_t *ctx, sqs_queue_t *q, const sqs_recv_in_t *r, kv_arena_t *a,
                sqs_got_t **got_out)
{
    sqs_state_t *s = sqs_state(ctx);
    /* the dead-letter queue, found before the queue's lock (lock order: registry, queue) */
    char dlq_arn[512] = "";
    pthread_mutex_lock(&q->lock);
    if (q->dlq_arn)
        snprintf(dlq_arn, sizeof(dlq_arn), "%s", q->dlq_arn);
    pthread_mutex_unlock(&q->lock);
    sqs_queue_t *dq = dlq_arn[0] ? sqs_queue_by_arn(s, kv_slice_str(dlq_arn)) : NULL;
    if (dq == q) {
        sqs_queue_put(dq);
        dq = NULL;
    }
    sqs_got_t *got = kv_arena_calloc(a, r->max ? r->max : 1, sizeof(*got));
    size_t n_got = 0;
    int64_t now = kv_now_ms();
    lock_pair(q, &dq);
    if (q->deleted) {
        unlock_pair(q, dq);
        sqs_queue_put(dq);
        *got_out = got;
        return 0;
    }
    int64_t vis = r->vis_s >= 0 ? r->vis_s : q->vis_s;
    sqs_index_settle(q, now);
    /* a FIFO retry with the same attempt id: the same messages, while they stay in flight */
    if (q->fifo && r->attempt.len) {
        sqs_attempt_t *at = sqs_attempt_find(q, r->attempt, now);
        if (at) {
            for (size_t i = 0; i < at->n && n_got < r->max; i++) {
                sqs_m_t *m = sqs_find(q, at->seqs[i]);
                if (!m || m->gen != at->gens[i] || !m->in_timer || !m->inflight)
                    continue;
                kv_buf_t v;
                kv_buf_init(&v, 64u << 20);
                if (eng_queue_msg_get(ctx->eng, q->id, m->seq, 0, &v) == 0) {
                    got[n_got] = (sqs_got_t){m->seq,
                                             m->gen,
                                             m->receives,
                                             m->first_recv,
                                             kv_arena_dup(a, kv_buf_slice(&v)),
                                             m->nonce};
                    n_got++;
                }
                kv_buf_dispose(&v);
            }
            unlock_pair(q, dq);
            sqs_queue_put(dq);
            *got_out = got;
            return (int)n_got;
        }
    }
    /* candidates, in order */
    size_t cap = r->max + 64;
    sqs_m_t **cand = kv_arena_calloc(a, cap, sizeof(*cand));
    size_t n_cand = 0, n_deliver = 0;
    if (!q->fifo) {
        while (n_deliver < r->max && n_cand < cap) {
            sqs_m_t *m = sqs_heap_top(&q->ready);
            if (!m)
                break;
            sqs_heap_remove(&q->ready, m);
            cand[n_cand++] = m;
            bool expired = now - m->base_ms >= (int64_t)q->retention_s * 1000;
            bool dead = dq && q->max_receives && m->receives >= q->max_receives;
            if (!expired && !dead)
                n_deliver++;
        }
    } else {
        for (sqs_group_t *g = q->rhead; g && n_deliver < r->max && n_cand < cap; g = g->rnext)
            for (sqs_m_t *m = g->head; m && !m->in_timer && n_deliver < r->max && n_cand < cap;
                 m = m->gnext) {
                cand[n_cand++] = m;
                bool expired = now - m->base_ms >= (int64_t)q->retention_s * 1000;
                bool dead = dq && q->max_receives && m->receives >= q->max_receives;
                if (!expired && !dead)
                    n_deliver++;
            }
    }
    eng_qbatch_t *b = eng_qbatch_new(ctx->eng);
    dlq_move_t *moves = kv_arena_calloc(a, n_cand ? n_cand : 1, sizeof(*moves));
    uint8_t *what = kv_arena_calloc(a, n_cand ? n_cand : 1, 1); /* 0 deliver 1 drop 2 move */
    size_t n_moves = 0;
    kv_buf_t v;
    kv_buf_init(&v, 64u << 20);
    int rc = 0;
    char src_arn[256];
    sqs_queue_arn(ctx, q, src_arn, sizeof(src_arn));
    for (size_t i = 0; i < n_cand && rc == 0; i++) {
        sqs_m_t *m = cand[i];
        bool expired = now - m->base_ms >= (int64_t)q->retention_s * 1000;
        bool dead = dq && q->max_receives && m->receives >= q->max_receives;
        kv_buf_reset(&v);
        rc = eng_queue_msg_get(ctx->eng, q->id, m->seq, 0, &v);
        if (rc == KV_ENOTFOUND) { /* not a message any more */
            rc = 0;
            what[i] = 1;
            eng_qbatch_msg_del(b, q->id, m->seq);
            continue;
        }
        if (rc < 0)
            break;
        if (expired) {
            what[i] = 1;
            eng_qbatch_msg_del(b, q->id, m->seq);
        } else if (dead) {
            /* the same message (id, attributes, SentTimestamp, retention base) in the DLQ */
            sqs_rec_t rec;
            kv_arena_t *t = kv_arena_new(1024);
            if (rec_decode(kv_buf_slice(&v), t, &rec)) {
                rec.dlq_src = kv_slice_str(src_arn);
                /* retention: standard queues keep the original enqueue time, FIFO resets it */
                if (q->fifo)
                    rec.base_ms = now;
                moves[n_moves].sent_ms = rec.sent_ms;
                moves[n_moves].base_ms = rec.base_ms;
                kv_buf_t nv;
                kv_buf_init(&nv, 64u << 20);
                rec_encode(&rec, &nv);
                moves[n_moves].m = m;
                moves[n_moves].new_seq = atomic_fetch_add(&dq->next_seq, 1); /* dq locked */
                moves[n_moves].group = kv_arena_dup(a, rec.group);
                eng_qbatch_msg_put(b, dq->id, moves[n_moves].new_seq, 0, kv_buf_slice(&nv));
                sqs_m_t st = {0};
                st.visible_at = now;
                st.nonce = moves[n_moves].nonce = new_nonce();
                kv_buf_reset(&nv);
                state_encode(&st, &nv);
                eng_qbatch_msg_put(b, dq->id, moves[n_moves].new_seq, 1, kv_buf_slice(&nv));
                eng_qbatch_seq_put(b, dq->id, moves[n_moves].new_seq);
                kv_buf_dispose(&nv);
                n_moves++;
            }
            kv_arena_free(t);
            what[i] = 2;
            eng_qbatch_msg_del(b, q->id, m->seq);
        } else {
            sqs_m_t st = *m;
            st.visible_at = now + vis * 1000;
            st.receives++;
            st.gen++;
            st.last_recv = now;
            if (!st.first_recv)
                st.first_recv = now;
            st.inflight = true;
            got[n_got] = (sqs_got_t){
                m->seq,  st.gen, st.receives, st.first_recv, kv_arena_dup(a, kv_buf_slice(&v)),
                m->nonce};
            n_got++;
            kv_buf_reset(&v);
            state_encode(&st, &v);
            eng_qbatch_msg_put(b, q->id, m->seq, 1, kv_buf_slice(&v));
        }
    }
    kv_buf_dispose(&v);
    if (rc == 0)
        rc = eng_qbatch_commit(b);
    else
        eng_qbatch_free(b);
    if (rc < 0) { /* nothing changed: the candidates go back */
        if (!q->fifo)
            for (size_t i = 0; i < n_cand; i++)
                sqs_heap_push(&q->ready, cand[i]);
        unlock_pair(q, dq);
        sqs_queue_put(dq);
        return rc;
    }
    size_t gi = 0;
    for (size_t i = 0; i < n_cand; i++) {
        sqs_m_t *m = cand[i];
        if (!q->fifo)
            sqs_heap_push(&q->ready, m); /* back in place: move/del take it out properly */
        if (what[i] != 0) {
            sqs_index_del(q, m);
            continue;
        }
        m->receives = got[gi].receives;
        m->gen = got[gi].gen;
        m->first_recv = got[gi].first_recv;
        m->last_recv = now;
        gi++;
        sqs_index_move(q, m, now + vis * 1000, true);
    }
    if (q->fifo && r->attempt.len && n_got) {
        uint64_t *seqs = kv_arena_calloc(a, n_got, sizeof(*seqs));
        uint32_t *gens = kv_arena_calloc(a, n_got, sizeof(*gens));
        for (size_t i = 0; i < n_got; i++) {
            seqs[i] = got[i].seq;
            gens[i] = got[i].gen;
        }
        sqs_attempt_add(q, r->attempt, now + SQS_DEDUP_MS, seqs, gens, n_got);
    }
    for (size_t i = 0; i < n_moves; i++) { /* dq is still locked (and not deleted) */
        sqs_m_t *x = kv_calloc(1, sizeof(*x));
        x->seq = moves[i].new_seq;
        x->nonce = moves[i].nonce;
        x->visible_at = now;
        x->sent_ms = moves[i].sent_ms;
        x->base_ms = moves[i].base_ms;
        sqs_index_add(dq, x, moves[i].group);
    }
    unlock_pair(q, dq);
    if (n_got && vis > 0)
        wait_job_kick(ctx, q); /* their visibility's end may come before the next wait's */
    if (n_moves) {
        atomic_fetch_add(&dq->sends, 1);
        waiters_wake(ctx, dq);
    }
    sqs_queue_put(dq);
    *got_out = got;
    return (int)n_got;
}

/* Encode the messages taken as ReceiveMessage's result. */
static void jw_received(api_ctx_t *ctx, sqs_queue_t *q, const sqs_recv_in_t *r,
                        const sqs_got_t *got, size_t n, kv_arena_t *a, api_jw_t *w)
{
    sqs_state_t *s = sqs_state(ctx);
    api_jw_obj_begin(w);
    if (n) {
        api_jw_key(w, "Messages");
        api_jw_arr_begin(w);
    }
    for (size_t i = 0; i < n; i++) {
        sqs_rec_t rec;
        if (!rec_decode(got[i].rec, a, &rec))
            continue;
        char rh[64], md5[33];
        receipt_make(s, q->id, got[i].seq, got[i].gen, got[i].nonce, rh);
        api_jw_obj_begin(w);
        api_jw_key(w, "MessageId");
        api_jw_str(w, rec.id);
        api_jw_kstr(w, "ReceiptHandle", rh);
        md5_hex(rec.body, md5);
        api_jw_kstr(w, "MD5OfBody", md5);
        api_jw_key(w, "Body");
        api_jw_str(w, rec.body);
        /* system attributes */
        bool any = false;
        char buf[64];
#define SYS(name, val)                                            \
    do {                                                          \
        if (want_sys(r, name)) {                                  \
            if (!any)                                             \
                api_jw_key(w, "Attributes"), api_jw_obj_begin(w); \
            any = true;                                           \
            api_jw_key(w, name);                                  \
            api_jw_str(w, val);                                   \
        }                                                         \
    } while (0)
        SYS("SenderId", rec.sender);
        snprintf(buf, sizeof(buf), "%lld", (long long)rec.sent_ms);
        SYS("SentTimestamp", kv_slice_str(buf));
        snprintf(buf, sizeof(buf), "%u", got[i].receives);
        SYS("ApproximateReceiveCount", kv_slice_str(buf));
        snprintf(buf, sizeof(buf), "%lld", (long long)got[i].first_recv);
        SYS("ApproximateFirstReceiveTimestamp", kv_slice_str(buf));
        if (q->fifo) {
            char sn[48];
            seq_number(q, got[i].seq, sn);
            SYS("SequenceNumber", kv_slice_str(sn));
            SYS("MessageDeduplicationId", rec.dedup);
            SYS("MessageGroupId", rec.group);
        } else if (rec.group.len) {
            SYS("MessageGroupId", rec.group);
        }
        if (rec.trace.len)
            SYS("AWSTraceHeader", rec.trace);
        if (rec.dlq_src.len)
            SYS("DeadLetterQueueSourceArn", rec.dlq_src);
#undef SYS
        if (any)
            api_jw_obj_end(w);
        /* message attributes: those asked for, and their MD5 */
        api_msg_attr_t *sel = kv_arena_calloc(a, rec.n_attrs ? rec.n_attrs : 1, sizeof(*sel));
        size_t ns = 0;
        for (size_t j = 0; j < rec.n_attrs; j++)
            if (want_attr(r, rec.attrs[j].name))
                sel[ns++] = rec.attrs[j];
        if (ns) {
            sqs_md5_attrs(sel, ns, md5);
            api_jw_kstr(w, "MD5OfMessageAttributes", md5);
            api_jw_key(w, "MessageAttributes");
            api_jw_obj_begin(w);
            for (size_t j = 0; j < ns; j++) {
                api_jw_key_slice(w, sel[j].name);
                api_jw_obj_begin(w);
                api_jw_key(w, "DataType");
                api_jw_str(w, sel[j].data_type);
                if (kv_slice_starts_with(sel[j].data_type, "Binary")) {
                    kv_buf_t b;
                    kv_buf_init(&b, 64u << 20);
                    kv_b64_encode(&b, sel[j].value.p, sel[j].value.len);
                    api_jw_key(w, "BinaryValue");
                    api_jw_str(w, kv_buf_slice(&b));
                    kv_buf_dispose(&b);
                } else {
                    api_jw_key(w, "StringValue");
                    api_jw_str(w, sel[j].value);
                }
                api_jw_obj_end(w);
            }
            api_jw_obj_end(w);
        }
        api_jw_obj_end(w);
    }
    if (n)
        api_jw_arr_end(w);
    api_jw_obj_end(w);
}

/* ---- held receives ---- */

enum { W_WAITING = 0, W_HELD, W_DONE };

typedef struct sqs_waiter {
    pthread_mutex_t lock; /* first: the hand-off (sqs_hold) */
    int state;
    api_released_cb cb;
    void *cb_arg;
    api_ctx_t *ctx;
    api_req_t *req;
    api_resp_t *resp;
    sqs_queue_t *q; /* referenced */
    sqs_recv_in_t r;
    int64_t deadline;
    bool queued;                    /* on the list and the heap (state wlock) */
    struct sqs_waiter *prev, *next; /* the queue's list */
    size_t hpos;                    /* its place in the state's deadline heap */
} sqs_waiter_t;

static void waiter_lock_free(void *lock)
{
    pthread_mutex_destroy(lock);
}

bool sqs_hold(api_resp_t *resp, api_released_cb cb, void *arg)
{
    sqs_waiter_t *w = resp->_pending;
    pthread_mutex_lock(&w->lock);
    bool hold = w->state != W_DONE;
    if (hold) {
        w->cb = cb;
        w->cb_arg = arg;
        w->state = W_HELD;
    }
    pthread_mutex_unlock(&w->lock);
    return hold;
}

/* ---- the wait job's heaps (state wlock held): waiters by deadline, waited-on queues by the
 * time a message of theirs may become visible ---- */

#define HEAP_FNS(name, T, key, pos)                               \
    static void name##_set(T **a, size_t i, T *x)                 \
    {                                                             \
        a[i] = x;                                                 \
        x->pos = i;                                               \
    }                                                             \
    static void name##_fix(T **a, size_t n, size_t i)             \
    {                                                             \
        T *x = a[i];                                              \
        while (i > 0 && x->key < a[(i - 1) / 2]->key) {           \
            name##_set(a, i, a[(i - 1) / 2]);                     \
            i = (i - 1) / 2;                                      \
        }                                                         \
        for (;;) {                                                \
            size_t l = 2 * i + 1, r = l + 1, m = i;               \
            int64_t mk = x->key;                                  \
            if (l < n && a[l]->key < mk)                          \
                m = l, mk = a[l]->key;                            \
            if (r < n && a[r]->key < mk)                          \
                m = r;                                            \
            if (m == i)                                           \
                break;                                            \
            name##_set(a, i, a[m]);                               \
            i = m;                                                \
        }                                                         \
        name##_set(a, i, x);                                      \
    }                                                             \
    static void name##_push(T ***a, size_t *n, size_t *cap, T *x) \
    {                                                             \
        if (*n == *cap) {                                         \
            *cap = *cap ? *cap * 2 : 64;                          \
            *a = kv_realloc(*a, *cap * sizeof(**a));              \
        }                                                         \
        name##_set(*a, *n, x);                                    \
        (*n)++;                                                   \
        name##_fix(*a, *n, *n - 1);                               \
    }                                                             \
    static void name##_remove(T **a, size_t *n, T *x)             \
    {                                                             \
        size_t i = x->pos;                                        \
        if (i >= *n || a[i] != x)                                 \
            return;                                               \
        (*n)--;                                                   \
        if (i != *n) {                                            \
            name##_set(a, i, a[*n]);                              \
            name##_fix(a, *n, i);                                 \
        }                                                         \
    }

HEAP_FNS(wheap, sqs_waiter_t, deadline, hpos)
HEAP_FNS(qheap, sqs_queue_t, wake_at, wqpos)

/* The earliest time a message of q becomes visible (q's lock held), or INT64_MAX. */
static int64_t timer_top(sqs_queue_t *q)
{
    sqs_m_t *t = sqs_heap_top(&q->timer);
    return t ? t->visible_at : INT64_MAX;
}

/* Link w at the tail (or the head) of its queue's list and into the deadline heap; a queue
 * with its first waiter joins the queues' heap (state wlock held; takes the queue's lock). */
static void w_link_at(sqs_state_t *s, sqs_waiter_t *w, bool head)
{
    sqs_queue_t *q = w->q;
    if (!q->waiters) {
        pthread_mutex_lock(&q->lock);
        q->wake_at = timer_top(q);
        pthread_mutex_unlock(&q->lock);
        qheap_push(&s->wq, &s->wq_n, &s->wq_cap, q);
    }
    if (head) {
        w->prev = NULL;
        w->next = q->waiters;
        if (q->waiters)
            q->waiters->prev = w;
        else
            q->waiters_tail = w;
        q->waiters = w;
    } else {
        w->prev = q->waiters_tail;
        w->next = NULL;
        if (q->waiters_tail)
            q->waiters_tail->next = w;
        else
            q->waiters = w;
        q->waiters_tail = w;
    }
    wheap_push(&s->wheap, &s->wheap_n, &s->wheap_cap, w);
    w->queued = true;
}

static void w_link(sqs_state_t *s, sqs_waiter_t *w)
{
    w_link_at(s, w, false);
}

static void w_unlink(sqs_state_t *s, sqs_waiter_t *w)
{
    sqs_queue_t *q = w->q;
    if (w->prev)
        w->prev->next = w->next;
    else
        q->waiters = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        q->waiters_tail = w->prev;
    wheap_remove(s->wheap, &s->wheap_n, w);
    if (!q->waiters)
        qheap_remove(s->wq, &s->wq_n, q);
    w->queued = false;
}

/* Answer w (unlinked by the caller) with what take gives now, or empty when empty is set. */
static void w_answer(sqs_waiter_t *w, const sqs_got_t *got, int n)
{
    api_ctx_t *ctx = w->ctx;
    api_resp_t *resp = w->resp;
    if (n < 0) {
        sqs_refuse(resp, API_E_SQS_INTERNAL, "The messages could not be received");
    } else {
        api_jw_t jw;
        kv_buf_reset(&resp->body);
        api_jw_init(&jw, &resp->body);
        jw_received(ctx, w->q, &w->r, got, (size_t)n, w->req->arena, &jw);
    }
    sqs_queue_put(w->q);
    w->q = NULL;
    api__finish(ctx, w->req, resp);
    pthread_mutex_lock(&w->lock);
    api_released_cb cb = w->state == W_HELD ? w->cb : NULL;
    void *arg = w->cb_arg;
    w->state = W_DONE;
    pthread_mutex_unlock(&w->lock);
    /* w lives in the request's arena: not touched after this */
    if (cb)
        cb(arg, 0);
}

/* Try the oldest waiters of q after a send committed (or a message became visible). */
static void waiters_wake(api_ctx_t *ctx, sqs_queue_t *q)
{
    sqs_state_t *s = sqs_state(ctx);
    for (int round = 0; round < 64; round++) {
        pthread_mutex_lock(&s->wlock);
        sqs_waiter_t *w = q->waiters;
        if (!w) {
            pthread_mutex_unlock(&s->wlock);
            return;
        }
        w_unlink(s, w);
        uint64_t sends = atomic_load(&q->sends);
        pthread_mutex_unlock(&s->wlock);
        sqs_got_t *got = NULL;
        int n = take(ctx, q, &w->r, w->req->arena, &got);
        if (n != 0) {
            w_answer(w, got, n);
            continue; /* more may be visible: the next waiter */
        }
        /* nothing (another receive took it): back at the head, unless a send came meanwhile */
        pthread_mutex_lock(&s->wlock);
        w_link_at(s, w, true);
        bool again = atomic_load(&q->sends) != sends;
        pthread_mutex_unlock(&s->wlock);
        /* the wait job may have run while w was off the heaps and gone to sleep without its
         * deadline (or its queue's next visibility time): it looks again */
        api_sched_kick(ctx, "sqs-wait");
        if (!again)
            return;
    }
}

void sqs_abandon(api_ctx_t *ctx, api_resp_t *resp)
{
    sqs_state_t *s = sqs_state(ctx);
    sqs_waiter_t *w = resp->_pending;
    pthread_mutex_lock(&s->wlock);
    bool mine = w->queued;
    if (mine)
        w_unlink(s, w);
    pthread_mutex_unlock(&s->wlock);
    if (mine) /* nothing taken: the client is gone */
        w_answer(w, NULL, 0);
}

void sqs_waiters_flush(api_ctx_t *ctx, sqs_queue_t *q)
{
    sqs_state_t *s = sqs_state(ctx);
    for (size_t guard = 0; guard < 1000000; guard++) {
        pthread_mutex_lock(&s->wlock);
        sqs_waiter_t *w = q->waiters;
        if (w)
            w_unlink(s, w);
        pthread_mutex_unlock(&s->wlock);
        if (!w)
            return;
        w_answer(w, NULL, 0);
    }
}

int sqs_wait_run(api_ctx_t *ctx, void *state, unsigned budget)
{
    (void)budget;
    sqs_state_t *s = state;
    int64_t now = kv_now_ms();
    /* waits that ended, from the deadline heap's top: answered (at most 256 per run) */
    for (int i = 0; i < 256; i++) {
        pthread_mutex_lock(&s->wlock);
        sqs_waiter_t *due = s->wheap_n && s->wheap[0]->deadline <= now ? s->wheap[0] : NULL;
        if (due)
            w_unlink(s, due);
        pthread_mutex_unlock(&s->wlock);
        if (!due)
            break;
        sqs_got_t *got = NULL;
        int n = take(ctx, due->q, &due->r, due->req->arena, &got); /* a last look */
        w_answer(due, got, n);
    }
    /* waited-on queues whose messages' delay or visibility ended, from the queues' heap's top:
     * each settled once (its new wake_at is past now) */
    sqs_queue_t *wake[64];
    size_t n_wake = 0;
    pthread_mutex_lock(&s->wlock);
    while (n_wake < 64 && s->wq_n && s->wq[0]->wake_at <= now) {
        sqs_queue_t *q = s->wq[0];
        pthread_mutex_lock(&q->lock);
        sqs_index_settle(q, now);
        bool ready = q->fifo ? q->rhead != NULL : q->ready.n > 0;
        q->wake_at = timer_top(q); /* past now after the settle */
        pthread_mutex_unlock(&q->lock);
        qheap_fix(s->wq, s->wq_n, 0);
        if (ready) {
            atomic_fetch_add(&q->refs, 1);
            wake[n_wake++] = q;
        }
    }
    int64_t next = s->wheap_n ? s->wheap[0]->deadline : INT64_MAX;
    if (s->wq_n && s->wq[0]->wake_at < next)
        next = s->wq[0]->wake_at;
    bool any = s->wheap_n > 0;
    pthread_mutex_unlock(&s->wlock);
    for (size_t j = 0; j < n_wake; j++) {
        waiters_wake(ctx, wake[j]);
        sqs_queue_put(wake[j]);
    }
    if (n_wake)
        return 0;
    if (!any)
        return -1;
    int64_t ms = next - kv_now_ms();
    return ms < 1 ? 1 : ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Optional integer member name of in, from lo to hi, into *out (left as it is when absent or
 * null); InvalidParameterValue with reason otherwise. @return 0 or -1. */
static int opt_int(api_resp_t *resp, const api_json_t *in, const char *name, int64_t lo, int64_t hi,
                   const char *reason, int64_t *out)
{
    const api_json_t *x = api_json_get(in, name);
    if (!x || api_json_type(x) == API_J_NULL)
        return 0;
    int64_t v;
    if (!api_json_int(x, &v) || v < lo || v > hi)
        return sqs_refuse(resp, API_E_SQS_BAD_PARAM,
                          "Value %lld for parameter %s is invalid. Reason: %s, if provided.",
                          (long long)(api_json_int(x, &v) ? v : 0), name, reason);
    *out = v;
    return 0;
}

static int decode_recv(api_resp_t *resp, const api_json_t *in, sqs_recv_in_t *r)
{
    memset(r, 0, sizeof(*r));
    int64_t max = 1;
    r->vis_s = r->wait_s = -1;
    if (opt_int(resp, in, "MaxNumberOfMessages", 1, 10, "Must be between 1 and 10", &max) < 0 ||
        opt_int(resp, in, "VisibilityTimeout", 0, SQS_VIS_MAX_S, "Must be >= 0 and <= 43200",
                &r->vis_s) < 0 ||
        opt_int(resp, in, "WaitTimeSeconds", 0, SQS_WAIT_MAX_S, "Must be >= 0 and <= 20",
                &r->wait_s) < 0)
        return -1;
    r->max = (unsigned)max;
    r->sys_names = api_json_get(in, "AttributeNames");
    r->sys_names2 = api_json_get(in, "MessageSystemAttributeNames");
    r->attr_names = api_json_get(in, "MessageAttributeNames");
    static const char *const known[] = {"All",
                                        "SenderId",
                                        "SentTimestamp",
                                        "ApproximateReceiveCount",
                                        "ApproximateFirstReceiveTimestamp",
                                        "SequenceNumber",
                                        "MessageDeduplicationId",
                                        "MessageGroupId",
                                        "AWSTraceHeader",
                                        "DeadLetterQueueSourceArn",
                                        "SqsManagedSseEnabled"};
    const api_json_t *lists[2] = {r->sys_names, r->sys_names2};
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; i < api_json_len(lists[l]); i++) {
            kv_slice_t n = api_json_str(api_json_at(lists[l], i));
            bool ok = false;
            for (size_t k = 0; k < sizeof(known) / sizeof(*known); k++)
                ok |= kv_slice_eq_str(n, known[k]);
            if (!ok)
                return sqs_refuse(resp, API_E_SQS_BAD_ATTR_NAME, "Unknown Attribute %.*s.",
                                  (int)(n.len > 256 ? 256 : n.len), (const char *)n.p);
        }
    for (size_t i = 0; i < api_json_len(r->attr_names); i++) {
        kv_slice_t n = api_json_str(api_json_at(r->attr_names, i));
        if (n.len == 0 || n.len > 256)
            return sqs_refuse(resp, API_E_SQS_BAD_PARAM,
                              "Message attribute name '%.*s' is invalid.",
                              (int)(n.len > 256 ? 256 : n.len), (const char *)n.p);
    }
    const api_json_t *x = api_json_get(in, "ReceiveRequestAttemptId");
    if (x) {
        r->attempt = api_json_str(x);
        if (r->attempt.len == 0 || r->attempt.len > 128 || !id_chars_ok(r->attempt))
            return sqs_refuse(resp, API_E_SQS_BAD_PARAM,
                              "Value %.*s for parameter ReceiveRequestAttemptId is invalid. "
                              "Reason: ReceiveRequestAttemptId can only include alphanumeric and "
                              "punctuation characters. 1 to 128 in length.",
                              (int)(r->attempt.len > 128 ? 128 : r->attempt.len),
                              (const char *)r->attempt.p);
    }
    return 0;
}

void sqs_op_receive(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                    api_jw_t *w)
{
    sqs_state_t *s = sqs_state(ctx);
    sqs_queue_t *q = sqs_queue_of(ctx, resp, in);
    if (!q)
        return;
    sqs_recv_in_t r;
    if (decode_recv(resp, in, &r) < 0) {
        sqs_queue_put(q);
        return;
    }
    if (!q->fifo)
        r.attempt = KV_SLICE_NULL; /* FIFO only; ignored elsewhere */
    sqs_got_t *got = NULL;
    int n = take(ctx, q, &r, req->arena, &got);
    if (n < 0) {
        sqs_queue_put(q);
        sqs_refuse(resp, API_E_SQS_INTERNAL, "The messages could not be received");
        return;
    }
    pthread_mutex_lock(&q->lock);
    int64_t wait = r.wait_s >= 0 ? r.wait_s : q->wait_s;
    pthread_mutex_unlock(&q->lock);
    if (n > 0 || wait == 0) {
        jw_received(ctx, q, &r, got, (size_t)n, req->arena, w);
        sqs_queue_put(q);
        return;
    }
    /* hold the response until a message comes or the wait ends */
    sqs_waiter_t *wt = kv_arena_calloc(req->arena, 1, sizeof(*wt));
    pthread_mutex_init(&wt->lock, NULL);
    kv_arena_on_destroy(req->arena, waiter_lock_free, &wt->lock);
    wt->state = W_WAITING;
    wt->ctx = ctx;
    wt->req = req;
    wt->resp = resp;
    wt->q = q; /* the reference moves to the waiter */
    wt->r = r;
    wt->deadline = kv_now_ms() + wait * 1000;
    pthread_mutex_lock(&s->wlock);
    bool stop = s->stopping || q->deleted;
    if (!stop) {
        resp->_pending = wt;
        w_link(s, wt);
    }
    uint64_t sends = atomic_load(&q->sends);
    pthread_mutex_unlock(&s->wlock);
    if (stop) {
        jw_received(ctx, q, &r, got, 0, req->arena, w);
        sqs_queue_put(q);
        return;
    }
    (void)sends;
    api_sched_kick(ctx, "sqs-wait"); /* its next deadline may be this one */
    waiters_wake(ctx, q);            /* a send between take and the link */
}

/* ---- deleting and visibility ---- */

/* Find the message a receipt names. 0 (m NULL: gone), or -1 with the error recorded. */
static int receipt_find(api_ctx_t *ctx, api_resp_t *resp, sqs_queue_t *q, kv_slice_t rh,
                        sqs_m_t **m, uint32_t *gen, api_err_t *e, const char **why, kv_arena_t *a)
{
    uint32_t qid, nonce;
    uint64_t seq;
    *m = NULL;
    (void)resp;
    if (!receipt_parse(sqs_state(ctx), rh, &qid, &seq, gen, &nonce) || qid != q->id) {
        *e = API_E_SQS_BAD_RECEIPT;
        *why = kv_arena_printf(a,
                               "The input receipt handle \"%.*s\" is not a valid receipt "
                               "handle.",
                               (int)(rh.len > 128 ? 128 : rh.len), (const char *)rh.p);
        return -1;
    }
    *m = sqs_find(q, seq);
    if (*m && (*m)->nonce != nonce)
        *m = NULL; /* another message at that sequence (never: sequences are not reused) */
    return 0;
}

/* One delete or visibility change; visibility < 0: delete. */
typedef struct sqs_rh_in {
    kv_slice_t id, receipt;
    int64_t vis;
    api_err_t err;
    const char *why;
} sqs_rh_in_t;

static void rh_exec(api_ctx_t *ctx, sqs_queue_t *q, sqs_rh_in_t *in, size_t n, bool del,
                    kv_arena_t *a)
{
    int64_t now = kv_now_ms();
    eng_qbatch_t *b = eng_qbatch_new(ctx->eng);
    sqs_m_t **ms = kv_arena_calloc(a, n, sizeof(*ms));
    kv_buf_t v;
    kv_buf_init(&v, 64u << 20);
    bool woke = false;
    pthread_mutex_lock(&q->lock);
    sqs_index_settle(q, now);
    bool gone = atomic_load(&q->deleted); /* nothing is written after the queue's delete */
    for (size_t i = 0; i < n; i++) {
        sqs_rh_in_t *x = &in[i];
        if (x->err)
            continue;
        if (gone) {
            x->err = API_E_SQS_NO_QUEUE;
            x->why = "The specified queue does not exist.";
            continue;
        }
        if (x->receipt.len == 0) {
            x->err = API_E_SQS_MISSING_PARAM;
            x->why = "The request must contain the parameter ReceiptHandle.";
            continue;
        }
        sqs_m_t *m;
        uint32_t gen;
        if (receipt_find(ctx, NULL, q, x->receipt, &m, &gen, &x->err, &x->why, a) < 0)
            continue;
        bool current = m && m->gen == gen;
        bool inflight = m && m->in_timer && m->inflight;
        if (del) {
            /* an old receipt of a message received again (in flight or visible again):
             * accepted, the message stays */
            if (current) {
                bool dup = false;
                for (size_t j = 0; j < i; j++)
                    dup |= ms[j] == m;
                if (!dup) {
                    eng_qbatch_msg_del(b, q->id, m->seq);
                    ms[i] = m;
                }
            }
            continue;
        }
        if (!m || !current || !inflight) {
            x->err = API_E_SQS_NOT_INFLIGHT;
            x->why = "Message does not exist or is not available for visibility timeout change.";
            continue;
        }
        if (now + x->vis * 1000 > m->last_recv + (int64_t)SQS_VIS_MAX_S * 1000) {
            x->err = API_E_SQS_BAD_PARAM;
            x->why = kv_arena_printf(a,
                                     "Value %lld for parameter VisibilityTimeout is invalid. "
                                     "Reason: Total VisibilityTimeout for the message is beyond "
                                     "the limit [43200 seconds]",
                                     (long long)x->vis);
            continue;
        }
        sqs_m_t st = *m;
        st.visible_at = now + x->vis * 1000;
        st.inflight = st.visible_at > now;
        kv_buf_reset(&v);
        state_encode(&st, &v);
        eng_qbatch_msg_put(b, q->id, m->seq, 1, kv_buf_slice(&v));
        ms[i] = m;
    }
    kv_buf_dispose(&v);
    int rc = eng_qbatch_commit(b);
    for (size_t i = 0; i < n; i++) {
        if (!ms[i])
            continue;
        if (rc < 0) {
            in[i].err = API_E_SQS_INTERNAL;
            in[i].why = "The change could not be stored";
            continue;
        }
        if (del) {
            sqs_index_del(q, ms[i]);
            woke |= q->fifo; /* the next message of its group may be ready now */
        } else {
            int64_t at = now + in[i].vis * 1000;
            sqs_index_move(q, ms[i], at, at > now);
            woke |= at <= now;
        }
    }
    pthread_mutex_unlock(&q->lock);
    if (woke) {
        atomic_fetch_add(&q->sends, 1);
        waiters_wake(ctx, q);
    }
    if (!del)
        wait_job_kick(ctx, q);
}

static void rh_op(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                  api_jw_t *w, bool batch, bool del)
{
    sqs_queue_t *q = sqs_queue_of(ctx, resp, in);
    if (!q)
        return;
    const api_json_t *entries = api_json_get(in, "Entries");
    if (batch && batch_check(resp, entries,
                             del ? "DeleteMessageBatchRequestEntry"
                                 : "ChangeMessageVisibilityBatchRequestEntry") < 0) {
        sqs_queue_put(q);
        return;
    }
    size_t n = batch ? api_json_len(entries) : 1;
    sqs_rh_in_t *xs = kv_arena_calloc(req->arena, n, sizeof(*xs));
    for (size_t i = 0; i < n; i++) {
        const api_json_t *o = batch ? api_json_at(entries, i) : in;
        xs[i].id = api_json_str(api_json_get(o, "Id"));
        xs[i].receipt = api_json_str(api_json_get(o, "ReceiptHandle"));
        if (!del) {
            api_json_t *vt = api_json_get(o, "VisibilityTimeout");
            if (!vt) {
                xs[i].err = API_E_SQS_MISSING_PARAM;
                xs[i].why = "The request must contain the parameter VisibilityTimeout.";
            } else if (!api_json_int(vt, &xs[i].vis) || xs[i].vis < 0 ||
                       xs[i].vis > SQS_VIS_MAX_S) {
                xs[i].err = API_E_SQS_BAD_PARAM;
                xs[i].why = kv_arena_printf(req->arena,
                                            "Value %lld for parameter VisibilityTimeout is "
                                            "invalid. Reason: Must be >= 0 and <= 43200.",
                                            (long long)xs[i].vis);
            }
        }
    }
    rh_exec(ctx, q, xs, n, del, req->arena);
    sqs_queue_put(q);
    if (!batch) {
        if (xs[0].err)
            api_refuse(resp, xs[0].err, "%s", xs[0].why);
        else
            api_jw_obj_begin(w), api_jw_obj_end(w);
        return;
    }
    api_jw_obj_begin(w);
    api_jw_key(w, "Successful");
    api_jw_arr_begin(w);
    for (size_t i = 0; i < n; i++)
        if (!xs[i].err) {
            api_jw_obj_begin(w);
            api_jw_key(w, "Id");
            api_jw_str(w, xs[i].id);
            api_jw_obj_end(w);
        }
    api_jw_arr_end(w);
    api_jw_key(w, "Failed");
    api_jw_arr_begin(w);
    for (size_t i = 0; i < n; i++)
        if (xs[i].err)
            jw_failed(w, xs[i].id, xs[i].err, xs[i].why);
    api_jw_arr_end(w);
    api_jw_obj_end(w);
}

void sqs_op_delete(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                   api_jw_t *w, bool batch)
{
    rh_op(ctx, req, resp, in, w, batch, true);
}

void sqs_op_visibility(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                       api_jw_t *w, bool batch)
{
    rh_op(ctx, req, resp, in, w, batch, false);
}

void sqs_op_purge(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                  api_jw_t *w)
{
    (void)req;
    sqs_queue_t *q = sqs_queue_of(ctx, resp, in);
    if (!q)
        return;
    int64_t now = kv_now_ms();
    pthread_mutex_lock(&q->lock);
    if (q->purge_ms && now - q->purge_ms < SQS_PURGE_MS) {
        pthread_mutex_unlock(&q->lock);
        char arn[256];
        sqs_queue_arn(ctx, q, arn, sizeof(arn));
        sqs_refuse(resp, API_E_SQS_PURGE_IN_PROGRESS,
                   "Only one PurgeQueue operation on %s is allowed every 60 seconds.", q->name);
        sqs_queue_put(q);
        return;
    }
    eng_qbatch_t *b = eng_qbatch_new(ctx->eng);
    eng_qbatch_msgs_clear(b, q->id);
    int rc = eng_qbatch_commit(b);
    if (rc == 0) {
        sqs_index_clear(q);
        q->purge_ms = now;
    }
    pthread_mutex_unlock(&q->lock);
    sqs_queue_put(q);
    if (rc < 0)
        sqs_refuse(resp, API_E_SQS_INTERNAL, "The queue could not be purged");
    else
        api_jw_obj_begin(w), api_jw_obj_end(w);
}

/* ---- open and retention ---- */

typedef struct load_arg {
    sqs_queue_t *q;
    sqs_m_t *m; /* read part 0, waiting for its part 1 */
    kv_slice_t group;
    kv_buf_t gbuf;
    uint64_t max_seq;
} load_arg_t;

static void load_flush(load_arg_t *la)
{
    if (!la->m)
        return;
    sqs_index_add(la->q, la->m, kv_buf_slice(&la->gbuf));
    la->m = NULL;
}

static int load_msg(void *arg, uint64_t seq, int part, kv_slice_t val)
{
    load_arg_t *la = arg;
    if (seq > la->max_seq)
        la->max_seq = seq;
    if (part == 0) {
        load_flush(la);
        sqs_rec_t r;
        if (!rec_decode(val, NULL, &r))
            return 0; /* unreadable: left alone (never delivered) */
        sqs_m_t *m = kv_calloc(1, sizeof(*m));
        m->seq = seq;
        m->sent_ms = r.sent_ms;
        m->base_ms = r.base_ms;
        m->visible_at = r.sent_ms;
        kv_buf_reset(&la->gbuf);
        kv_buf_append_slice(&la->gbuf, r.group);
        la->m = m;
    } else if (part == 1 && la->m && la->m->seq == seq) {
        state_decode(val, la->m);
        load_flush(la);
    }
    return 0;
}

static int load_dedup(void *arg, kv_slice_t key, kv_slice_t val)
{
    sqs_queue_t *q = arg;
    uint64_t exp, seq;
    if (!get_u64(&val, &exp) || !get_u64(&val, &seq) || val.len > 36)
        return 0;
    if ((int64_t)exp <= kv_now_ms())
        return 0; /* the retention job deletes it */
    char id[37];
    memcpy(id, val.p, val.len);
    id[val.len] = 0;
    sqs_dedup_add(q, key, (int64_t)exp, id, seq);
    return 0;
}

int sqs_queue_load(api_ctx_t *ctx, sqs_queue_t *q)
{
    load_arg_t la = {q, NULL, KV_SLICE_NULL, {0}, 0};
    kv_buf_init(&la.gbuf, 64u << 20);
    int rc = eng_queue_msgs_each(ctx->eng, q->id, load_msg, &la);
    load_flush(&la);
    kv_buf_dispose(&la.gbuf);
    uint64_t hwm = 0; /* the mark: sequences of deleted messages are never given out again */
    int hrc = eng_queue_seq_get(ctx->eng, q->id, &hwm);
    if (hrc < 0 && hrc != KV_ENOTFOUND && rc == 0)
        rc = hrc;
    atomic_store(&q->next_seq, (hwm > la.max_seq ? hwm : la.max_seq) + 1);
    if (rc == 0)
        rc = eng_queue_dedup_each(ctx->eng, q->id, load_dedup, q);
    return rc;
}

int sqs_retention_run(api_ctx_t *ctx, void *state, unsigned budget)
{
    sqs_state_t *s = state;
    int64_t now = kv_now_ms();
    pthread_rwlock_rdlock(&s->lock);
    size_t n = s->n;
    sqs_queue_t **qs = kv_calloc(n ? n : 1, sizeof(*qs));
    for (size_t i = 0; i < n; i++) {
        qs[i] = s->q[i];
        atomic_fetch_add(&qs[i]->refs, 1);
    }
    pthread_rwlock_unlock(&s->lock);
    size_t work = budget ? budget : 1000;
    for (size_t i = 0; i < n; i++) {
        sqs_queue_t *q = qs[i];
        pthread_mutex_lock(&q->lock);
        if (!q->deleted) {
            eng_qbatch_t *b = eng_qbatch_new(ctx->eng);
            /* messages past retention (not in flight), a bounded slice of the table per run */
            sqs_m_t *dead[256];
            int64_t keep = (int64_t)q->retention_s * 1000;
            size_t nd = sqs_index_expired(q, now, keep, dead, 256, 4096);
            for (size_t k = 0; k < nd; k++)
                eng_qbatch_msg_del(b, q->id, dead[k]->seq);
            /* deduplication entries past their 5 minutes */
            kv_buf_t gone;
            kv_buf_init(&gone, 64u << 20);
            size_t ng = 0;
            for (size_t k = 0; k < q->dtab_cap && ng < 256; k++)
                for (sqs_dedup_t *d = q->dtab[k]; d && ng < 256; d = d->hnext)
                    if (d->expires_ms <= now) {
                        eng_qbatch_dedup_del(b, q->id, kv_slice_str(d->key));
                        ng++;
                    }
            if (eng_qbatch_commit(b) == 0) {
                for (size_t k = 0; k < nd; k++)
                    sqs_index_del(q, dead[k]);
                sqs_dedup_expire(q, now, NULL, ng);
                sqs_attempt_expire(q, now);
            }
            kv_buf_dispose(&gone);
            work = work > nd ? work - nd : 0;
        }
        pthread_mutex_unlock(&q->lock);
        sqs_queue_put(q);
    }
    kv_free(qs);
    return INT_MAX;
}

/* ---- the in-process interface (api_msg.h) ---- */

int api_sqs_send(api_ctx_t *ctx, kv_slice_t queue_arn, const api_msg_t *m, kv_buf_t *id_out,
                 const char **why)
{
    sqs_state_t *s = sqs_state(ctx);
    sqs_queue_t *q = s ? sqs_queue_by_arn(s, queue_arn) : NULL;
    if (!q)
        return KV_ENOTFOUND;
    kv_arena_t *a = kv_arena_new(4096);
    sqs_send_in_t in = {0};
    in.body = m->body;
    in.group = m->group_id;
    in.dedup = m->dedup_id.len ? m->dedup_id : KV_SLICE_NULL;
    if (!q->fifo && in.group.len == 0)
        in.group = KV_SLICE_NULL;
    in.delay_s = -1;
    in.attrs = m->attrs;
    in.n_attrs = m->n_attrs;
    sqs_send_out_t out = {0};
    pthread_mutex_lock(&q->lock);
    bool ok = send_check(q, &in, &out, a);
    pthread_mutex_unlock(&q->lock);
    int rc;
    if (!ok) {
        if (why)
            *why = out.err == API_E_SQS_BAD_CONTENTS
                       ? "the message holds characters SQS does not allow"
                   : out.err == API_E_SQS_MISSING_PARAM
                       ? (m->body.len ? "the FIFO queue needs a message group id"
                                      : "the message is empty")
                   : q->fifo && m->dedup_id.len == 0 && !q->cbd
                       ? "the FIFO queue needs a deduplication id (no content-based deduplication)"
                       : "the message is over the queue's size limit or has invalid attributes";
        rc = KV_EINVAL;
    } else {
        rc = send_exec(ctx, q, &in, &out, 1, a);
        if (rc == 0 && id_out)
            kv_buf_append_str(id_out, out.msg_id);
    }
    kv_arena_free(a);
    sqs_queue_put(q);
    return rc;
}

/* ---- consumers inside the server (api_msg.h): Lambda's SQS event records ---- */

static void jw_lambda_record(api_ctx_t *ctx, sqs_queue_t *q, const sqs_got_t *g, kv_arena_t *a,
                             api_sqs_rec_t *out)
{
    sqs_state_t *s = sqs_state(ctx);
    sqs_rec_t rec;
    memset(out, 0, sizeof(*out));
    if (!rec_decode(g->rec, a, &rec))
        return;
    char rh[64], md5[33], buf[48], arn[256];
    receipt_make(s, q->id, g->seq, g->gen, g->nonce, rh);
    sqs_queue_arn(ctx, q, arn, sizeof(arn));
    kv_buf_t b;
    kv_buf_init(&b, 64u << 20);
    api_jw_t w;
    api_jw_init(&w, &b);
    api_jw_obj_begin(&w);
    api_jw_key(&w, "messageId");
    api_jw_str(&w, rec.id);
    api_jw_kstr(&w, "receiptHandle", rh);
    api_jw_key(&w, "body");
    api_jw_str(&w, rec.body);
    api_jw_key(&w, "attributes");
    api_jw_obj_begin(&w);
    snprintf(buf, sizeof(buf), "%u", g->receives);
    api_jw_kstr(&w, "ApproximateReceiveCount", buf);
    snprintf(buf, sizeof(buf), "%lld", (long long)rec.sent_ms);
    api_jw_kstr(&w, "SentTimestamp", buf);
    if (q->fifo) {
        seq_number(q, g->seq, buf);
        api_jw_kstr(&w, "SequenceNumber", buf);
        api_jw_key(&w, "MessageGroupId");
        api_jw_str(&w, rec.group);
    }
    api_jw_key(&w, "SenderId");
    api_jw_str(&w, rec.sender);
    if (q->fifo) {
        api_jw_key(&w, "MessageDeduplicationId");
        api_jw_str(&w, rec.dedup);
    }
    snprintf(buf, sizeof(buf), "%lld", (long long)g->first_recv);
    api_jw_kstr(&w, "ApproximateFirstReceiveTimestamp", buf);
    if (rec.trace.len) {
        api_jw_key(&w, "AWSTraceHeader");
        api_jw_str(&w, rec.trace);
    }
    if (rec.dlq_src.len) {
        api_jw_key(&w, "DeadLetterQueueSourceArn");
        api_jw_str(&w, rec.dlq_src);
    }
    api_jw_obj_end(&w);
    api_jw_key(&w, "messageAttributes");
    api_jw_obj_begin(&w);
    for (size_t j = 0; j < rec.n_attrs; j++) {
        const api_msg_attr_t *x = &rec.attrs[j];
        api_jw_key_slice(&w, x->name);
        api_jw_obj_begin(&w);
        if (kv_slice_starts_with(x->data_type, "Binary")) {
            kv_buf_t e;
            kv_buf_init(&e, 64u << 20);
            kv_b64_encode(&e, x->value.p, x->value.len);
            api_jw_key(&w, "binaryValue");
            api_jw_str(&w, kv_buf_slice(&e));
            kv_buf_dispose(&e);
        } else {
            api_jw_key(&w, "stringValue");
            api_jw_str(&w, x->value);
        }
        api_jw_key(&w, "stringListValues");
        api_jw_arr_begin(&w);
        api_jw_arr_end(&w);
        api_jw_key(&w, "binaryListValues");
        api_jw_arr_begin(&w);
        api_jw_arr_end(&w);
        api_jw_key(&w, "dataType");
        api_jw_str(&w, x->data_type);
        api_jw_obj_end(&w);
    }
    api_jw_obj_end(&w);
    md5_hex(rec.body, md5);
    api_jw_kstr(&w, "md5OfBody", md5);
    if (rec.n_attrs) {
        sqs_md5_attrs(rec.attrs, rec.n_attrs, md5);
        api_jw_kstr(&w, "md5OfMessageAttributes", md5);
    } else {
        api_jw_key(&w, "md5OfMessageAttributes");
        api_jw_null(&w);
    }
    api_jw_kstr(&w, "eventSource", "aws:sqs");
    api_jw_kstr(&w, "eventSourceARN", arn);
    api_jw_kstr(&w, "awsRegion", ctx->region);
    api_jw_obj_end(&w);
    out->json = kv_arena_dup(a, kv_buf_slice(&b));
    out->receipt = kv_arena_dup(a, kv_slice_str(rh));
    out->message_id = kv_arena_dup(a, rec.id);
    out->group_id = q->fifo ? kv_arena_dup(a, rec.group) : KV_SLICE_NULL;
    kv_buf_dispose(&b);
}

int api_sqs_consume(api_ctx_t *ctx, kv_slice_t queue_arn, unsigned max, unsigned visibility_s,
                    kv_arena_t *a, api_sqs_rec_t **recs, size_t *n, int64_t *wake_ms)
{
    sqs_state_t *s = sqs_state(ctx);
    *n = 0;
    *recs = NULL;
    if (wake_ms)
        *wake_ms = -1;
    sqs_queue_t *q = s ? sqs_queue_by_arn(s, queue_arn) : NULL;
    if (!q)
        return KV_ENOTFOUND;
    if (max == 0 || max > 10000 || visibility_s > SQS_VIS_MAX_S) {
        sqs_queue_put(q);
        return KV_EINVAL;
    }
    sqs_recv_in_t r = {0};
    r.max = max;
    r.vis_s = visibility_s;
    r.wait_s = 0;
    sqs_got_t *got = NULL;
    int k = take(ctx, q, &r, a, &got);
    if (k < 0) {
        sqs_queue_put(q);
        return k;
    }
    api_sqs_rec_t *out = kv_arena_calloc(a, k ? (size_t)k : 1, sizeof(*out));
    size_t m = 0;
    for (int i = 0; i < k; i++) {
        jw_lambda_record(ctx, q, &got[i], a, &out[m]);
        if (out[m].json.len)
            m++;
    }
    if (m == 0 && wake_ms) {
        int64_t now = kv_now_ms();
        pthread_mutex_lock(&q->lock);
        sqs_index_settle(q, now);
        sqs_m_t *t = sqs_heap_top(&q->timer);
        bool ready = q->fifo ? q->rhead != NULL : q->ready.n > 0;
        *wake_ms = ready ? 0 : t ? (t->visible_at > now ? t->visible_at - now : 0) : -1;
        pthread_mutex_unlock(&q->lock);
    }
    sqs_queue_put(q);
    *recs = out;
    *n = m;
    return 0;
}

static int consumer_rh(api_ctx_t *ctx, kv_slice_t queue_arn, kv_slice_t receipt, int64_t vis,
                       bool del)
{
    sqs_state_t *s = sqs_state(ctx);
    sqs_queue_t *q = s ? sqs_queue_by_arn(s, queue_arn) : NULL;
    if (!q)
        return KV_ENOTFOUND;
    kv_arena_t *a = kv_arena_new(1024);
    sqs_rh_in_t x = {KV_SLICE_LIT("0"), receipt, vis, API_E_NONE, NULL};
    rh_exec(ctx, q, &x, 1, del, a);
    kv_arena_free(a);
    sqs_queue_put(q);
    return x.err == API_E_NONE                       ? 0
           : x.err == API_E_SQS_INTERNAL             ? KV_EIO
           : x.err == API_E_SQS_NOT_INFLIGHT && !del ? KV_ENOTFOUND
                                                     : KV_EINVAL;
}

int api_sqs_ack(api_ctx_t *ctx, kv_slice_t queue_arn, kv_slice_t receipt)
{
    return consumer_rh(ctx, queue_arn, receipt, -1, true);
}

int api_sqs_nack(api_ctx_t *ctx, kv_slice_t queue_arn, kv_slice_t receipt, unsigned visibility_s)
{
    if (visibility_s > SQS_VIS_MAX_S)
        return KV_EINVAL;
    return consumer_rh(ctx, queue_arn, receipt, visibility_s, false);
}

/* ---- message move tasks ---- */

/* Queues whose RedrivePolicy names dlq_arn (referenced; *n of them, at most cap). */
static size_t dlq_sources(sqs_state_t *s, const char *dlq_arn, sqs_queue_t **out, size_t cap)
{
    size_t n = 0;
    pthread_rwlock_rdlock(&s->lock);
    for (size_t i = 0; i < s->n && n < cap; i++) {
        sqs_queue_t *q = s->q[i];
        pthread_mutex_lock(&q->lock);
        bool src = q->dlq_arn && strcmp(q->dlq_arn, dlq_arn) == 0;
        pthread_mutex_unlock(&q->lock);
        if (src) {
            atomic_fetch_add(&q->refs, 1);
            out[n++] = q;
        }
    }
    pthread_rwlock_unlock(&s->lock);
    return n;
}

/* Move up to max visible messages of task t's source (one write batch). @return the count
 * moved, or -1 when the task cannot go on (t->reason set). */
static int move_some(api_ctx_t *ctx, sqs_task_t *t, size_t max)
{
    sqs_state_t *s = sqs_state(ctx);
    sqs_queue_t *src = sqs_queue_by_arn(s, kv_slice_str(t->src));
    if (!src) {
        snprintf(t->reason, sizeof(t->reason), "The source queue does not exist.");
        return -1;
    }
    sqs_queue_t *fixed = t->dest[0] ? sqs_queue_by_arn(s, kv_slice_str(t->dest)) : NULL;
    if (t->dest[0] && !fixed) {
        sqs_queue_put(src);
        snprintf(t->reason, sizeof(t->reason), "The destination queue does not exist.");
        return -1;
    }
    sqs_queue_t *srcs[64];
    size_t n_srcs = fixed ? 0 : dlq_sources(s, t->src, srcs, 64);
    char arns[64][256];
    for (size_t i = 0; i < n_srcs; i++)
        sqs_queue_arn(ctx, srcs[i], arns[i], sizeof(arns[i]));
    kv_arena_t *a = kv_arena_new(4096);
    sqs_m_t **cand = kv_arena_calloc(a, max, sizeof(*cand));
    sqs_m_t **moved = kv_arena_calloc(a, max, sizeof(*moved));
    sqs_queue_t **to = kv_arena_calloc(a, max, sizeof(*to));
    uint64_t *seqs = kv_arena_calloc(a, max, sizeof(*seqs));
    kv_slice_t *groups = kv_arena_calloc(a, max, sizeof(*groups));
    int64_t *bases = kv_arena_calloc(a, max, sizeof(*bases));
    int64_t *sents = kv_arena_calloc(a, max ? max : 1, sizeof(*sents));
    uint32_t *nonces = kv_arena_calloc(a, max ? max : 1, sizeof(*nonces));
    size_t nc = 0;
    int64_t now = kv_now_ms();
    int rc = 0;
    eng_qbatch_t *b = eng_qbatch_new(ctx->eng);
    kv_buf_t v;
    kv_buf_init(&v, 64u << 20);
    pthread_mutex_lock(&src->lock);
    if (atomic_load(&src->deleted))
        max = 0;
    sqs_index_settle(src, now);
    if (!src->fifo) {
        while (nc < max && sqs_heap_top(&src->ready)) {
            cand[nc] = sqs_heap_top(&src->ready);
            sqs_heap_remove(&src->ready, cand[nc]);
            nc++;
        }
    } else {
        for (sqs_group_t *g = src->rhead; g && nc < max; g = g->rnext)
            for (sqs_m_t *m = g->head; m && !m->in_timer && nc < max; m = m->gnext)
                cand[nc++] = m;
    }
    size_t nm = 0;
    sqs_queue_t *locked = NULL; /* the one destination of this batch, locked */
    for (size_t i = 0; i < nc && rc == 0; i++) {
        kv_buf_reset(&v);
        if (eng_queue_msg_get(ctx->eng, src->id, cand[i]->seq, 0, &v) < 0)
            continue;
        sqs_rec_t rec;
        if (!rec_decode(kv_buf_slice(&v), a, &rec))
            continue;
        sqs_queue_t *d = fixed;
        for (size_t k = 0; !d && k < n_srcs; k++)
            if (kv_slice_eq_str(rec.dlq_src, arns[k]))
                d = srcs[k];
        if (!d || d == src || d->fifo != src->fifo) {
            snprintf(t->reason, sizeof(t->reason),
                     "A message's source queue %.*s is not a source of this dead-letter queue.",
                     (int)(rec.dlq_src.len > 100 ? 100 : rec.dlq_src.len),
                     (const char *)rec.dlq_src.p);
            rc = -1;
            break;
        }
        if (locked && d != locked)
            break; /* one destination per batch: the others at the next call */
        if (!locked) {
            /* lock order: the lower id first; a destination with a lower id is only tried */
            if (d->id > src->id)
                pthread_mutex_lock(&d->lock);
            else if (pthread_mutex_trylock(&d->lock) != 0)
                break; /* retried at the next run */
            if (atomic_load(&d->deleted)) {
                pthread_mutex_unlock(&d->lock);
                snprintf(t->reason, sizeof(t->reason), "The destination queue does not exist.");
                rc = -1;
                break;
            }
            locked = d;
        }
        rec.dlq_src = KV_SLICE_NULL;
        if (src->fifo)
            rec.base_ms = now; /* as a move to a FIFO dead-letter queue does */
        bases[nm] = rec.base_ms;
        sents[nm] = rec.sent_ms;
        kv_buf_t nv;
        kv_buf_init(&nv, 64u << 20);
        rec_encode(&rec, &nv);
        seqs[nm] = atomic_fetch_add(&d->next_seq, 1); /* d locked */
        eng_qbatch_msg_put(b, d->id, seqs[nm], 0, kv_buf_slice(&nv));
        sqs_m_t st = {0};
        st.visible_at = now;
        st.nonce = nonces[nm] = new_nonce();
        kv_buf_reset(&nv);
        state_encode(&st, &nv);
        eng_qbatch_msg_put(b, d->id, seqs[nm], 1, kv_buf_slice(&nv));
        eng_qbatch_seq_put(b, d->id, seqs[nm]);
        kv_buf_dispose(&nv);
        eng_qbatch_msg_del(b, src->id, cand[i]->seq);
        to[nm] = d;
        groups[nm] = kv_arena_dup(a, rec.group);
        moved[nm] = cand[i];
        nm++;
    }
    kv_buf_dispose(&v);
    int crc = rc == 0 ? eng_qbatch_commit(b) : (eng_qbatch_free(b), 0);
    if (!src->fifo) /* back in place; those moved leave below */
        for (size_t i = 0; i < nc; i++)
            if (cand[i]->hpos >= src->ready.n || src->ready.a[cand[i]->hpos] != cand[i])
                sqs_heap_push(&src->ready, cand[i]);
    if (rc == 0 && crc == 0)
        for (size_t i = 0; i < nm; i++) {
            sqs_index_del(src, moved[i]);
            sqs_m_t *x = kv_calloc(1, sizeof(*x));
            x->seq = seqs[i];
            x->nonce = nonces[i];
            x->visible_at = now;
            x->sent_ms = sents[i];
            x->base_ms = bases[i];
            sqs_index_add(to[i], x, groups[i]); /* locked, not deleted */
        }
    if (locked)
        pthread_mutex_unlock(&locked->lock);
    pthread_mutex_unlock(&src->lock);
    if (rc == 0 && crc == 0 && nm) {
        atomic_fetch_add(&locked->sends, 1);
        waiters_wake(ctx, locked);
    }
    kv_arena_free(a);
    for (size_t i = 0; i < n_srcs; i++)
        sqs_queue_put(srcs[i]);
    sqs_queue_put(fixed);
    sqs_queue_put(src);
    if (crc < 0)
        return 0; /* retried at the next run */
    return rc < 0 ? -1 : (int)nm;
}

int sqs_move_run(api_ctx_t *ctx, void *state, unsigned budget)
{
    sqs_state_t *s = state;
    int64_t now = kv_now_ms();
    bool more = false;
    size_t cap = budget ? budget : 1000;
    pthread_mutex_lock(&s->tlock);
    for (sqs_task_t *t = s->tasks; t; t = t->next) {
        if (t->status != SQS_TASK_RUNNING)
            continue;
        size_t max = cap;
        if (t->rate) {
            t->credit += (double)(now - t->last_ms) * t->rate / 1000.0;
            if (t->credit > t->rate)
                t->credit = t->rate;
            max = (size_t)t->credit;
        }
        t->last_ms = now;
        if (max == 0) {
            more = true;
            continue;
        }
        if (max > 100)
            max = 100; /* one batch */
        int n = move_some(ctx, t, max);
        if (n < 0) {
            t->status = SQS_TASK_FAILED;
            continue;
        }
        t->moved += (uint64_t)n;
        t->credit -= n;
        if (t->credit < 0)
            t->credit = 0;
        if (n == 0 || t->moved >= t->to_move)
            t->status = SQS_TASK_COMPLETED;
        else
            more = true;
    }
    pthread_mutex_unlock(&s->tlock);
    return more ? 100 : -1;
}

void sqs_op_move_start(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                       api_jw_t *w)
{
    (void)req;
    sqs_state_t *s = sqs_state(ctx);
    kv_slice_t src = api_json_str(api_json_get(in, "SourceArn"));
    kv_slice_t dest = api_json_str(api_json_get(in, "DestinationArn"));
    api_json_t *rate = api_json_get(in, "MaxNumberOfMessagesPerSecond");
    int64_t r = 0;
    if (src.len == 0) {
        sqs_refuse(resp, API_E_SQS_MISSING_PARAM,
                   "The request must contain the parameter SourceArn.");
        return;
    }
    if (rate && (!api_json_int(rate, &r) || r < 1 || r > 500)) {
        sqs_refuse(resp, API_E_SQS_BAD_PARAM,
                   "Value for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: must be "
                   "between 1 and 500.");
        return;
    }
    sqs_queue_t *q = src.len < 256 ? sqs_queue_by_arn(s, src) : NULL;
    if (!q) {
        sqs_refuse(resp, API_E_SQS_RESOURCE_NOT_FOUND,
                   "The resource that you specified for the SourceArn parameter doesn't exist.");
        return;
    }
    char arn[256];
    sqs_queue_arn(ctx, q, arn, sizeof(arn));
    sqs_queue_t *srcs[1];
    size_t ns = dlq_sources(s, arn, srcs, 1);
    if (ns)
        sqs_queue_put(srcs[0]);
    if (!ns) {
        sqs_queue_put(q);
        sqs_refuse(resp, API_E_SQS_BAD_PARAM,
                   "Source queue must be configured as a Dead Letter Queue.");
        return;
    }
    if (dest.len) {
        sqs_queue_t *d = dest.len < 256 ? sqs_queue_by_arn(s, dest) : NULL;
        bool ok = d && d != q;
        sqs_queue_put(d);
        if (!ok) {
            sqs_queue_put(q);
            sqs_refuse(resp, API_E_SQS_RESOURCE_NOT_FOUND,
                       "The resource that you specified for the DestinationArn parameter doesn't "
                       "exist.");
            return;
        }
    }
    pthread_mutex_lock(&q->lock);
    sqs_index_settle(q, kv_now_ms());
    uint64_t to_move = sqs_n_visible(q);
    pthread_mutex_unlock(&q->lock);
    sqs_queue_put(q);
    pthread_mutex_lock(&s->tlock);
    for (sqs_task_t *t = s->tasks; t; t = t->next)
        if (t->status == SQS_TASK_RUNNING && strcmp(t->src, arn) == 0) {
            pthread_mutex_unlock(&s->tlock);
            sqs_refuse(resp, API_E_SQS_UNSUPPORTED,
                       "There is already a task running. Only one active task is allowed for a "
                       "source queue arn at a given time.");
            return;
        }
    sqs_task_t *t = kv_calloc(1, sizeof(*t));
    char id[37];
    kv_uuid4(id);
    kv_buf_t hb;
    kv_buf_init(&hb, 1024);
    kv_buf_t raw;
    kv_buf_init(&raw, 1024);
    kv_buf_printf(&raw, "{\"taskId\":\"%s\",\"sourceArn\":\"%s\"}", id, arn);
    kv_b64_encode(&hb, raw.p, raw.len);
    snprintf(t->handle, sizeof(t->handle), "%.*s", (int)hb.len, (const char *)hb.p);
    kv_buf_dispose(&hb);
    kv_buf_dispose(&raw);
    snprintf(t->src, sizeof(t->src), "%s", arn);
    snprintf(t->dest, sizeof(t->dest), "%.*s", (int)dest.len, (const char *)dest.p);
    t->rate = (int)r;
    t->started_ms = t->last_ms = kv_now_ms();
    t->credit = r ? 1 : 0;
    t->to_move = to_move;
    t->status = to_move ? SQS_TASK_RUNNING : SQS_TASK_COMPLETED;
    t->next = s->tasks;
    s->tasks = t;
    /* keep the ten newest tasks of each source */
    size_t k = 0;
    for (sqs_task_t **pp = &s->tasks; *pp;) {
        if (strcmp((*pp)->src, arn) == 0 && ++k > 10) {
            sqs_task_t *x = *pp;
            *pp = x->next;
            kv_free(x);
            continue;
        }
        pp = &(*pp)->next;
    }
    api_jw_obj_begin(w);
    api_jw_kstr(w, "TaskHandle", t->handle);
    api_jw_obj_end(w);
    pthread_mutex_unlock(&s->tlock);
    api_sched_kick(ctx, "sqs-move");
}

void sqs_op_move_list(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                      api_jw_t *w)
{
    (void)req;
    sqs_state_t *s = sqs_state(ctx);
    kv_slice_t src = api_json_str(api_json_get(in, "SourceArn"));
    int64_t max = 1;
    api_json_t *mx = api_json_get(in, "MaxResults");
    if (mx && (!api_json_int(mx, &max) || max < 1 || max > 10)) {
        sqs_refuse(resp, API_E_SQS_BAD_PARAM,
                   "Value for parameter MaxResults is invalid. Reason: must be between 1 and 10.");
        return;
    }
    sqs_queue_t *q = src.len && src.len < 256 ? sqs_queue_by_arn(s, src) : NULL;
    if (!q) {
        sqs_refuse(resp, API_E_SQS_RESOURCE_NOT_FOUND,
                   "The resource that you specified for the SourceArn parameter doesn't exist.");
        return;
    }
    char arn[256];
    sqs_queue_arn(ctx, q, arn, sizeof(arn));
    sqs_queue_put(q);
    static const char *const st[] = {"RUNNING", "COMPLETED", "CANCELLED", "FAILED"};
    api_jw_obj_begin(w);
    api_jw_key(w, "Results");
    api_jw_arr_begin(w);
    int64_t n = 0;
    pthread_mutex_lock(&s->tlock);
    for (sqs_task_t *t = s->tasks; t && n < max; t = t->next) {
        if (strcmp(t->src, arn) != 0)
            continue;
        n++;
        api_jw_obj_begin(w);
        if (t->status == SQS_TASK_RUNNING)
            api_jw_kstr(w, "TaskHandle", t->handle);
        api_jw_kstr(w, "Status", st[t->status]);
        api_jw_kstr(w, "SourceArn", t->src);
        if (t->dest[0])
            api_jw_kstr(w, "DestinationArn", t->dest);
        if (t->rate) {
            api_jw_key(w, "MaxNumberOfMessagesPerSecond");
            api_jw_i64(w, t->rate);
        }
        api_jw_key(w, "ApproximateNumberOfMessagesMoved");
        api_jw_u64(w, t->moved);
        api_jw_key(w, "ApproximateNumberOfMessagesToMove");
        api_jw_u64(w, t->to_move);
        if (t->status == SQS_TASK_FAILED)
            api_jw_kstr(w, "FailureReason", t->reason);
        api_jw_key(w, "StartedTimestamp");
        api_jw_i64(w, t->started_ms);
        api_jw_obj_end(w);
    }
    pthread_mutex_unlock(&s->tlock);
    api_jw_arr_end(w);
    api_jw_obj_end(w);
}

void sqs_op_move_cancel(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                        api_jw_t *w)
{
    (void)req;
    sqs_state_t *s = sqs_state(ctx);
    kv_slice_t h = api_json_str(api_json_get(in, "TaskHandle"));
    if (h.len == 0) {
        sqs_refuse(resp, API_E_SQS_MISSING_PARAM,
                   "The request must contain the parameter TaskHandle.");
        return;
    }
    pthread_mutex_lock(&s->tlock);
    sqs_task_t *t = s->tasks;
    while (t && !kv_slice_eq_str(h, t->handle))
        t = t->next;
    if (!t || t->status != SQS_TASK_RUNNING) {
        pthread_mutex_unlock(&s->tlock);
        if (!t)
            sqs_refuse(resp, API_E_SQS_RESOURCE_NOT_FOUND, "Task does not exist.");
        else
            sqs_refuse(resp, API_E_SQS_UNSUPPORTED, "Only active tasks can be cancelled.");
        return;
    }
    t->status = SQS_TASK_CANCELLED;
    api_jw_obj_begin(w);
    api_jw_key(w, "ApproximateNumberOfMessagesMoved");
    api_jw_u64(w, t->moved);
    api_jw_obj_end(w);
    pthread_mutex_unlock(&s->tlock);
}
