/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EventBridge's storage: event buses (catalog 'G' + name) and rules with their targets
 * (catalog 'L' + escaped bus name + rule name), both TLV records; in the state CF the delivery
 * records of accepted events (state 'G' + u64 id: one per matched rule target, written in the
 * batch that accepts it, deleted once delivered or given up), the events they share (state
 * 'G' + u64 event id + 'E': the event's JSON text, stored once; 'G' + id + 'N': how many
 * delivery records still refer to it, the last one's delete deletes both) and the scheduled
 * rules' next fire times (state 'L' + escaped bus name + rule name).
 */
#include <string.h>

#include "base/kv_alloc.h"
#include "base/kv_time.h"
#include "eng_int.h"
#include "eng_tlv.h"

enum { B_NAME = 1, B_DESC, B_CREATED, B_MODIFIED, B_TAG, B_POLICY /* issue 15, L2 */ };
enum {
    R_BUS = 1,
    R_NAME,
    R_PATTERN,
    R_SCHEDULE,
    R_DESC,
    R_ROLE,
    R_STATE,
    R_CREATED,
    R_TAG,
    R_TARGET,
};
enum {
    D_BUS = 1,
    D_RULE,
    D_TARGET,
    D_EVENT,
    D_ATTEMPTS,
    D_ACCEPTED,
    D_DUE,
    D_ERR,
    D_MSG,
    D_EVENT_ID,
};

static void put_opt(kv_buf_t *b, uint8_t tag, const char *s)
{
    if (s)
        eng_tlv_put_str(b, tag, s);
}

/* ---- buses ---- */

static void encode_bus(const void *rec, kv_buf_t *b)
{
    const eng_evbus_t *x = rec;
    eng_tlv_put_str(b, B_NAME, x->name);
    put_opt(b, B_DESC, x->description);
    eng_tlv_put_u64(b, B_CREATED, (uint64_t)x->created_ms);
    eng_tlv_put_u64(b, B_MODIFIED, (uint64_t)x->modified_ms);
    eng__put_pairs(b, B_TAG, x->tags, x->n_tags);
    put_opt(b, B_POLICY, x->policy);
}

static const eng_tlv_field_t bus_fields[] = {
    ENG_TLV_ROW(B_NAME, ENG_TLV_STR, eng_evbus_t, name, .required = true),
    ENG_TLV_ROW(B_DESC, ENG_TLV_STR, eng_evbus_t, description),
    ENG_TLV_ROW(B_CREATED, ENG_TLV_I64, eng_evbus_t, created_ms),
    ENG_TLV_ROW(B_MODIFIED, ENG_TLV_I64, eng_evbus_t, modified_ms),
    ENG_TLV_LIST_ROW(B_TAG, ENG_TLV_PAIR_LIST, eng_evbus_t, tags, n_tags),
    ENG_TLV_ROW(B_POLICY, ENG_TLV_STR, eng_evbus_t, policy),
};

static int decode_bus(kv_slice_t in, kv_arena_t *a, eng_evbus_t *out)
{
    memset(out, 0, sizeof(*out));
    return eng_tlv_decode(in, bus_fields, sizeof(bus_fields) / sizeof(*bus_fields), a, out) < 0
               ? KV_ECORRUPT
               : 0;
}

static kv_slice_t bus_key(kv_buf_t *k, kv_slice_t name)
{
    eng__cat_key(k, ENG_CAT_EVBUS, name);
    return kv_buf_slice(k);
}

int eng_evbus_put(eng_t *e, const eng_evbus_t *b, int mode)
{
    kv_buf_t k;
    kv_buf_init(&k, 512);
    int rc = eng__rec_put(e, bus_key(&k, kv_slice_str(b->name)), mode, encode_bus, b);
    kv_buf_dispose(&k);
    return rc;
}

int eng_evbus_get(eng_t *e, kv_slice_t name, kv_arena_t *a, eng_evbus_t **out)
{
    kv_buf_t k;
    kv_buf_init(&k, 512);
    kv_slice_t v;
    int rc = eng__rec_get(e, bus_key(&k, name), a, &v);
    if (rc == 0) {
        *out = kv_arena_calloc(a, 1, sizeof(**out));
        rc = decode_bus(v, a, *out);
    }
    kv_buf_dispose(&k);
    return rc;
}

/* The key prefix of a bus's rules (kind, escaped bus name) in k; *end is the end of its range. */
static void rules_range(kv_buf_t *k, kv_buf_t *end, char kind, kv_slice_t bus)
{
    kv_buf_append_byte(k, (uint8_t)kind);
    eng_key_put_bytes(k, bus);
    kv_buf_append_slice(end, kv_buf_slice(k));
    end->p[end->len - 1]++; /* the terminator 00 01 becomes 00 02 */
}

/* A bus is deleted only without rules (EventBridge: "EventBus can't be deleted since it has
 * rules."); its rules' leftover fire times go in the same batch. */
static int drop_rules(eng_t *e, eng_batch_t *b, const void *arg)
{
    kv_slice_t bus = *(const kv_slice_t *)arg;
    {
        kv_buf_t k, end;
        kv_buf_init(&k, 1024);
        kv_buf_init(&end, 1024);
        rules_range(&k, &end, ENG_CAT_EVRULE, bus);
        eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_CATALOG);
        eng_riter_seek(it, kv_buf_slice(&k));
        bool any = eng_riter_valid(it) && kv_slice_cmp(eng_riter_key(it), kv_buf_slice(&end)) < 0;
        int rc = eng_riter_status(it);
        eng_riter_free(it);
        kv_buf_dispose(&k);
        kv_buf_dispose(&end);
        if (rc < 0)
            return rc;
        if (any)
            return KV_ENOTEMPTY;
    }
    const char kinds[2] = {ENG_CAT_EVRULE, ENG_CAT_EVRULE};
    const eng_cf_t cfs[2] = {ENG_CF_CATALOG, ENG_CF_STATE};
    for (int i = 0; i < 2; i++) {
        kv_buf_t k, end;
        kv_buf_init(&k, 1024);
        kv_buf_init(&end, 1024);
        rules_range(&k, &end, kinds[i], bus);
        eng_batch_delete_range(b, cfs[i], kv_buf_slice(&k), kv_buf_slice(&end));
        kv_buf_dispose(&k);
        kv_buf_dispose(&end);
    }
    return 0;
}

int eng_evbus_delete(eng_t *e, kv_slice_t name)
{
    kv_buf_t k;
    kv_buf_init(&k, 512);
    int rc = eng__rec_delete(e, bus_key(&k, name), drop_rules, &name);
    kv_buf_dispose(&k);
    return rc;
}

typedef struct bus_page {
    kv_arena_t *a;
    eng_evbus_t *out;
} bus_page_t;

static int take_bus(void *arg, size_t i, kv_slice_t name, kv_slice_t value)
{
    (void)name;
    bus_page_t *p = arg;
    return decode_bus(kv_arena_dup(p->a, value), p->a, &p->out[i]);
}

int eng_evbus_list(eng_t *e, kv_slice_t after, size_t limit, kv_arena_t *a, eng_evbus_t **out,
                   size_t *n, bool *more)
{
    bus_page_t p = {a, kv_arena_calloc(a, limit ? limit : 1, sizeof(**out))};
    *out = p.out;
    return eng__cat_page(e, ENG_CAT_EVBUS, after, limit, take_bus, &p, n, more);
}

/* ---- rules ---- */

static void encode_rule(const void *rec, kv_buf_t *b)
{
    const eng_evrule_t *r = rec;
    eng_tlv_put_str(b, R_BUS, r->bus);
    eng_tlv_put_str(b, R_NAME, r->name);
    put_opt(b, R_PATTERN, r->pattern);
    put_opt(b, R_SCHEDULE, r->schedule);
    put_opt(b, R_DESC, r->description);
    put_opt(b, R_ROLE, r->role_arn);
    eng_tlv_put_u64(b, R_STATE, (uint64_t)r->state);
    eng_tlv_put_u64(b, R_CREATED, (uint64_t)r->created_ms);
    eng__put_pairs(b, R_TAG, r->tags, r->n_tags);
    for (size_t i = 0; i < r->n_targets; i++)
        eng_tlv_put_str(b, R_TARGET, r->targets[i]);
}

static const eng_tlv_field_t rule_fields[] = {
    ENG_TLV_ROW(R_BUS, ENG_TLV_STR, eng_evrule_t, bus, .required = true),
    ENG_TLV_ROW(R_NAME, ENG_TLV_STR, eng_evrule_t, name, .required = true),
    ENG_TLV_ROW(R_PATTERN, ENG_TLV_STR, eng_evrule_t, pattern),
    ENG_TLV_ROW(R_SCHEDULE, ENG_TLV_STR, eng_evrule_t, schedule),
    ENG_TLV_ROW(R_DESC, ENG_TLV_STR, eng_evrule_t, description),
    ENG_TLV_ROW(R_ROLE, ENG_TLV_STR, eng_evrule_t, role_arn),
    ENG_TLV_ROW(R_STATE, ENG_TLV_ENUM, eng_evrule_t, state, .max = ENG_EVR_ENABLED_CT),
    ENG_TLV_ROW(R_CREATED, ENG_TLV_I64, eng_evrule_t, created_ms),
    ENG_TLV_LIST_ROW(R_TAG, ENG_TLV_PAIR_LIST, eng_evrule_t, tags, n_tags),
    ENG_TLV_LIST_ROW(R_TARGET, ENG_TLV_STR_LIST, eng_evrule_t, targets, n_targets, .spare = 5),
};

static int decode_rule(kv_slice_t in, kv_arena_t *a, eng_evrule_t *out)
{
    memset(out, 0, sizeof(*out));
    return eng_tlv_decode(in, rule_fields, sizeof(rule_fields) / sizeof(*rule_fields), a, out) < 0
               ? KV_ECORRUPT
               : 0;
}

/* A rule's key (catalog or state kind) in k. */
static kv_slice_t rule_key(kv_buf_t *k, char kind, kv_slice_t bus, kv_slice_t name)
{
    kv_buf_append_byte(k, (uint8_t)kind);
    eng_key_put_bytes(k, bus);
    kv_buf_append_slice(k, name);
    return kv_buf_slice(k);
}

int eng_evrule_modify(eng_t *e, kv_slice_t bus, kv_slice_t name, eng_evrule_fn fn, void *arg)
{
    kv_buf_t k, bk, v;
    kv_buf_init(&k, 1024);
    kv_buf_init(&bk, 512);
    kv_buf_init(&v, ENG_REC_MAX);
    kv_arena_t *a = kv_arena_new(1 << 14);
    pthread_mutex_lock(&e->cat_lock);
    int rc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, bus_key(&bk, bus), &v);
    if (rc == 0) {
        kv_buf_reset(&v);
        rc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, rule_key(&k, ENG_CAT_EVRULE, bus, name), &v);
        eng_evrule_t r;
        bool exists = rc == 0, clear = false;
        if (rc == 0)
            rc = decode_rule(kv_arena_dup(a, kv_buf_slice(&v)), a, &r);
        else if (rc == KV_ENOTFOUND) {
            rc = 0;
            memset(&r, 0, sizeof(r));
            r.bus = kv_arena_strndup(a, bus.p, bus.len);
            r.name = kv_arena_strndup(a, name.p, name.len);
        }
        if (rc == 0)
            rc = fn(arg, &r, exists, a, &clear);
        if (rc == 0) {
            kv_buf_reset(&v);
            encode_rule(&r, &v);
            eng_batch_t *b = eng_batch_new(e->rocks);
            eng_batch_put(b, ENG_CF_CATALOG, kv_buf_slice(&k), kv_buf_slice(&v));
            if (clear) {
                kv_buf_t sk;
                kv_buf_init(&sk, 1024);
                eng_batch_delete(b, ENG_CF_STATE, rule_key(&sk, ENG_CAT_EVRULE, bus, name));
                kv_buf_dispose(&sk);
            }
            rc = kv_buf_failed(&v) ? KV_ETOOBIG : eng__write(e, b);
            eng_batch_free(b);
        }
    }
    pthread_mutex_unlock(&e->cat_lock);
    kv_arena_free(a);
    kv_buf_dispose(&k);
    kv_buf_dispose(&bk);
    kv_buf_dispose(&v);
    return rc;
}

int eng_evrule_get(eng_t *e, kv_slice_t bus, kv_slice_t name, kv_arena_t *a, eng_evrule_t **out)
{
    kv_buf_t k;
    kv_buf_init(&k, 1024);
    kv_slice_t v;
    int rc = eng__rec_get(e, rule_key(&k, ENG_CAT_EVRULE, bus, name), a, &v);
    if (rc == 0) {
        *out = kv_arena_calloc(a, 1, sizeof(**out));
        rc = decode_rule(v, a, *out);
    }
    kv_buf_dispose(&k);
    return rc;
}

int eng_evrule_delete(eng_t *e, kv_slice_t bus, kv_slice_t name, bool refuse_targets)
{
    kv_buf_t k, sk, v;
    kv_buf_init(&k, 1024);
    kv_buf_init(&sk, 1024);
    kv_buf_init(&v, ENG_REC_MAX);
    kv_arena_t *a = kv_arena_new(4096);
    pthread_mutex_lock(&e->cat_lock);
    kv_slice_t key = rule_key(&k, ENG_CAT_EVRULE, bus, name);
    int rc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, key, &v);
    eng_evrule_t r;
    if (rc == 0)
        rc = decode_rule(kv_buf_slice(&v), a, &r);
    if (rc == 0 && refuse_targets && r.n_targets)
        rc = KV_ENOTEMPTY;
    if (rc == 0) {
        eng_batch_t *b = eng_batch_new(e->rocks);
        eng_batch_delete(b, ENG_CF_CATALOG, key);
        eng_batch_delete(b, ENG_CF_STATE, rule_key(&sk, ENG_CAT_EVRULE, bus, name));
        rc = eng__write(e, b);
        eng_batch_free(b);
    }
    pthread_mutex_unlock(&e->cat_lock);
    kv_arena_free(a);
    kv_buf_dispose(&k);
    kv_buf_dispose(&sk);
    kv_buf_dispose(&v);
    return rc;
}

int eng_evrule_list(eng_t *e, kv_slice_t bus, kv_slice_t after, size_t limit, kv_arena_t *a,
                    eng_evrule_t **out, size_t *n, bool *more)
{
    kv_buf_t k, end, start;
    kv_buf_init(&k, 1024);
    kv_buf_init(&end, 1024);
    kv_buf_init(&start, 1024);
    rules_range(&k, &end, ENG_CAT_EVRULE, bus);
    kv_buf_append_slice(&start, kv_buf_slice(&k));
    kv_buf_append_slice(&start, after);
    size_t cap = limit ? limit : 16;
    eng_evrule_t *rs = kv_arena_calloc(a, cap, sizeof(*rs));
    *n = 0;
    *more = false;
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_CATALOG);
    int rc = 0;
    for (eng_riter_seek(it, kv_buf_slice(&start)); eng_riter_valid(it); eng_riter_next(it)) {
        kv_slice_t key = eng_riter_key(it);
        if (kv_slice_cmp(key, kv_buf_slice(&end)) >= 0)
            break;
        kv_slice_t nm = kv_slice(key.p + k.len, key.len - k.len);
        if (after.len && kv_slice_eq(nm, after))
            continue;
        if (limit && *n == limit) {
            *more = true;
            break;
        }
        if (*n == cap) { /* no limit: grow */
            eng_evrule_t *bigger = kv_arena_calloc(a, cap * 2, sizeof(*rs));
            memcpy(bigger, rs, cap * sizeof(*rs));
            rs = bigger;
            cap *= 2;
        }
        rc = decode_rule(kv_arena_dup(a, eng_riter_value(it)), a, &rs[*n]);
        if (rc < 0)
            break;
        (*n)++;
    }
    if (rc == 0)
        rc = eng_riter_status(it);
    eng_riter_free(it);
    kv_buf_dispose(&k);
    kv_buf_dispose(&end);
    kv_buf_dispose(&start);
    *out = rs;
    return rc;
}

/* ---- delivery records and schedules ---- */

static void encode_del(const eng_evdel_t *d, kv_buf_t *b)
{
    eng_tlv_put_str(b, D_BUS, d->bus);
    eng_tlv_put_str(b, D_RULE, d->rule);
    eng_tlv_put_str(b, D_TARGET, d->target);
    if (d->event_id)
        eng_tlv_put_u64(b, D_EVENT_ID, d->event_id);
    else
        eng_tlv_put_str(b, D_EVENT, d->event);
    eng_tlv_put_u64(b, D_ATTEMPTS, d->attempts);
    eng_tlv_put_u64(b, D_ACCEPTED, (uint64_t)d->accepted_ms);
    eng_tlv_put_u64(b, D_DUE, (uint64_t)d->due_ms);
    put_opt(b, D_ERR, d->last_err);
    put_opt(b, D_MSG, d->last_msg);
}

static const eng_tlv_field_t del_fields[] = {
    ENG_TLV_ROW(D_BUS, ENG_TLV_STR, eng_evdel_t, bus, .required = true),
    ENG_TLV_ROW(D_RULE, ENG_TLV_STR, eng_evdel_t, rule, .required = true),
    ENG_TLV_ROW(D_TARGET, ENG_TLV_STR, eng_evdel_t, target, .required = true),
    ENG_TLV_ROW(D_EVENT, ENG_TLV_STR, eng_evdel_t, event),
    ENG_TLV_ROW(D_ATTEMPTS, ENG_TLV_U32, eng_evdel_t, attempts),
    ENG_TLV_ROW(D_ACCEPTED, ENG_TLV_I64, eng_evdel_t, accepted_ms),
    ENG_TLV_ROW(D_DUE, ENG_TLV_I64, eng_evdel_t, due_ms),
    ENG_TLV_ROW(D_ERR, ENG_TLV_STR, eng_evdel_t, last_err),
    ENG_TLV_ROW(D_MSG, ENG_TLV_STR, eng_evdel_t, last_msg),
    ENG_TLV_ROW(D_EVENT_ID, ENG_TLV_U64, eng_evdel_t, event_id),
};

static kv_slice_t del_key(uint8_t kb[9], uint64_t id)
{
    kb[0] = (uint8_t)ENG_CAT_EVBUS;
    for (int i = 0; i < 8; i++)
        kb[1 + i] = (uint8_t)(id >> (56 - 8 * i));
    return kv_slice(kb, 9);
}

/* An event record's key (what 'E': its text, 'N': its count of deliveries). */
static kv_slice_t ev_key(uint8_t kb[10], uint64_t id, char what)
{
    del_key(kb, id);
    kb[9] = (uint8_t)what;
    return kv_slice(kb, 10);
}

/* The event records' counts change under this lock (a read, then a write). */
static pthread_mutex_t ref_lock = PTHREAD_MUTEX_INITIALIZER;

/* Delivery ids: increasing across restarts (seeded past the last stored one and the clock). */
static pthread_mutex_t del_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t del_last;
static bool del_seeded;

static uint64_t del_next(eng_t *e)
{
    pthread_mutex_lock(&del_lock);
    if (!del_seeded) {
        uint8_t kb[9];
        eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_STATE);
        eng_riter_seek_before(it, del_key(kb, UINT64_MAX));
        if (eng_riter_valid(it)) {
            kv_slice_t k = eng_riter_key(it);
            if (k.len >= 9 && k.p[0] == (uint8_t)ENG_CAT_EVBUS)
                for (int i = 0; i < 8; i++)
                    del_last = del_last << 8 | k.p[1 + i];
        }
        eng_riter_free(it);
        del_seeded = true;
    }
    uint64_t t = (uint64_t)kv_now_ms() << 12;
    del_last = t > del_last ? t : del_last + 1;
    uint64_t id = del_last;
    pthread_mutex_unlock(&del_lock);
    return id;
}

int eng_evdel_add(eng_t *e, kv_slice_t event, eng_evdel_t *d, size_t n, kv_slice_t sched_bus,
                  kv_slice_t sched_name, int64_t next_ms)
{
    eng_batch_t *b = eng_batch_new(e->rocks);
    kv_buf_t v;
    kv_buf_init(&v, 2u << 20);
    int rc = 0;
    uint64_t ev_id = 0;
    if (n) { /* the event, once; its deliveries' ids come after its own */
        uint8_t kb[10];
        ev_id = del_next(e);
        eng_batch_put(b, ENG_CF_STATE, ev_key(kb, ev_id, 'E'), event);
        eng_key_put_u64(&v, n);
        eng_batch_put(b, ENG_CF_STATE, ev_key(kb, ev_id, 'N'), kv_buf_slice(&v));
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        uint8_t kb[9];
        d[i].id = del_next(e);
        d[i].event = NULL;
        d[i].event_id = ev_id;
        kv_buf_reset(&v);
        encode_del(&d[i], &v);
        if (kv_buf_failed(&v))
            rc = KV_ETOOBIG;
        else
            eng_batch_put(b, ENG_CF_STATE, del_key(kb, d[i].id), kv_buf_slice(&v));
    }
    if (rc == 0 && sched_name.len) {
        kv_buf_t k, t;
        kv_buf_init(&k, 1024);
        kv_buf_init(&t, 16);
        eng_key_put_u64(&t, (uint64_t)next_ms);
        eng_batch_put(b, ENG_CF_STATE, rule_key(&k, ENG_CAT_EVRULE, sched_bus, sched_name),
                      kv_buf_slice(&t));
        kv_buf_dispose(&k);
        kv_buf_dispose(&t);
    }
    if (rc == 0 && eng_batch_count(b))
        rc = eng__write(e, b);
    kv_buf_dispose(&v);
    eng_batch_free(b);
    return rc;
}

int eng_evdel_scan(eng_t *e, uint64_t after, size_t limit, kv_arena_t *a, eng_evdel_t **out,
                   size_t *n)
{
    uint8_t kb[9];
    eng_evdel_t *ds = kv_arena_calloc(a, limit ? limit : 1, sizeof(*ds));
    *n = 0;
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_STATE);
    int rc = 0;
    for (eng_riter_seek(it, del_key(kb, after + 1)); eng_riter_valid(it) && *n < limit;
         eng_riter_next(it)) {
        kv_slice_t k = eng_riter_key(it);
        if (k.len < 9 || k.p[0] != (uint8_t)ENG_CAT_EVBUS)
            break;
        if (k.len != 9) /* an event record */
            continue;
        eng_evdel_t *d = &ds[*n];
        rc = eng_tlv_decode(kv_arena_dup(a, eng_riter_value(it)), del_fields,
                            sizeof(del_fields) / sizeof(*del_fields), a, d);
        if (rc < 0) {
            rc = KV_ECORRUPT;
            break;
        }
        for (int i = 0; i < 8; i++)
            d->id = d->id << 8 | k.p[1 + i];
        (*n)++;
    }
    if (rc == 0)
        rc = eng_riter_status(it);
    eng_riter_free(it);
    *out = ds;
    return rc;
}

int eng_evdel_update(eng_t *e, const eng_evdel_t *d)
{
    uint8_t kb[9];
    kv_buf_t v;
    kv_buf_init(&v, 2u << 20);
    encode_del(d, &v);
    eng_batch_t *b = eng_batch_new(e->rocks);
    eng_batch_put(b, ENG_CF_STATE, del_key(kb, d->id), kv_buf_slice(&v));
    int rc = kv_buf_failed(&v) ? KV_ETOOBIG : eng__write(e, b);
    eng_batch_free(b);
    kv_buf_dispose(&v);
    return rc;
}

int eng_evdel_event(eng_t *e, eng_evdel_t *d, kv_arena_t *a)
{
    if (d->event)
        return 0;
    if (d->event_id == 0)
        return KV_ENOTFOUND;
    uint8_t kb[10];
    kv_buf_t v;
    kv_buf_init(&v, 4u << 20);
    int rc = eng_rocks_get(e->rocks, ENG_CF_STATE, ev_key(kb, d->event_id, 'E'), &v);
    if (rc == 0)
        d->event = kv_arena_strndup(a, v.p, v.len);
    kv_buf_dispose(&v);
    return rc;
}

int eng_evdel_delete(eng_t *e, const eng_evdel_t *d)
{
    uint8_t kb[10];
    eng_batch_t *b = eng_batch_new(e->rocks);
    eng_batch_delete(b, ENG_CF_STATE, del_key(kb, d->id));
    kv_buf_t v;
    kv_buf_init(&v, 64);
    int rc = 0;
    if (d->event_id) { /* one reference fewer; the last one deletes the event */
        pthread_mutex_lock(&ref_lock);
        uint64_t refs = 0;
        rc = eng_rocks_get(e->rocks, ENG_CF_STATE, ev_key(kb, d->event_id, 'N'), &v);
        kv_slice_t s = kv_buf_slice(&v);
        if (rc == 0 && eng_key_get_u64(&s, &refs) < 0)
            refs = 0;
        if (rc == KV_ENOTFOUND)
            rc = 0;
        if (rc == 0 && refs > 1) {
            kv_buf_reset(&v);
            eng_key_put_u64(&v, refs - 1);
            eng_batch_put(b, ENG_CF_STATE, ev_key(kb, d->event_id, 'N'), kv_buf_slice(&v));
        } else if (rc == 0) {
            eng_batch_delete(b, ENG_CF_STATE, ev_key(kb, d->event_id, 'N'));
            eng_batch_delete(b, ENG_CF_STATE, ev_key(kb, d->event_id, 'E'));
        }
        if (rc == 0)
            rc = eng__write(e, b);
        pthread_mutex_unlock(&ref_lock);
    } else
        rc = eng__write(e, b);
    kv_buf_dispose(&v);
    eng_batch_free(b);
    return rc;
}

int eng_evsched_get(eng_t *e, kv_slice_t bus, kv_slice_t name, int64_t *next_ms)
{
    kv_buf_t k, v;
    kv_buf_init(&k, 1024);
    kv_buf_init(&v, 16);
    int rc = eng_rocks_get(e->rocks, ENG_CF_STATE, rule_key(&k, ENG_CAT_EVRULE, bus, name), &v);
    if (rc == 0) {
        kv_slice_t s = kv_buf_slice(&v);
        uint64_t t;
        rc = eng_key_get_u64(&s, &t);
        *next_ms = (int64_t)t;
    }
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

int eng_evsched_set(eng_t *e, kv_slice_t bus, kv_slice_t name, int64_t next_ms)
{
    return eng_evdel_add(e, KV_SLICE_NULL, NULL, 0, bus, name, next_ms);
}
