/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EventBridge's deliveries: accepting an event on a bus (its matching rules' targets become
 * delivery records in the state CF, in the batch that accepts it), the target input (Input,
 * InputPath, InputTransformer), and the events-deliver job, which delivers each record —
 * a Lambda function invoked as the s3-events job invokes (started, kicked on completion),
 * another bus — and deletes it only after success or after giving up under the target's
 * RetryPolicy (then its DeadLetterConfig queue, once SQS is linked in). The in-process entry
 * points api_events_put and api_events_exists (api_msg.h).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "../api_msg.h"
#include "../lambda/lambda_int.h"
#include "../lambda/lambda_inv.h"
#include "base/kv_alloc.h"
#include "base/kv_err.h"
#include "base/kv_hash.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "codec/api_pattern.h"
#include "events_int.h"

#define MAX_FLIGHTS  64 /* Lambda invocations in flight at once */
#define LANE_FLIGHTS 8  /* of them for one function (its lane) */
#define SCAN_MAX     64 /* delivery records looked at per step */
#define BACKOFF_MS   1000
#define BACKOFF_MAX  (5 * 60 * 1000)

void events_bus_arn(api_ctx_t *ctx, kv_slice_t bus, char *out, size_t cap)
{
    api_arn_write(out, cap, "events", ctx->region, "event-bus/%.*s", (int)bus.len,
                  (const char *)bus.p);
}

void events_rule_arn(api_ctx_t *ctx, kv_slice_t bus, kv_slice_t rule, char *out, size_t cap)
{
    if (kv_slice_eq_str(bus, EVENTS_DEFAULT_BUS))
        api_arn_write(out, cap, "events", ctx->region, "rule/%.*s", (int)rule.len,
                      (const char *)rule.p);
    else
        api_arn_write(out, cap, "events", ctx->region, "rule/%.*s/%.*s", (int)bus.len,
                      (const char *)bus.p, (int)rule.len, (const char *)rule.p);
}

/* ---- the compiled rules of each bus (shared by every events_accept) ---- */

/* One enabled rule with a pattern and targets, compiled. */
typedef struct crule {
    const char *bus, *name;
    api_pattern_t *pattern;
    const char **targets;
    size_t n_targets;
} crule_t;

/* A bus's compiled rules as they were at one generation; freed by its last user. */
typedef struct rule_set {
    atomic_int refs;
    kv_arena_t *a;
    crule_t *r;
    size_t n;
} rule_set_t;

/* A bus's cache entry: gen grows whenever its rules may have changed (events_rules_changed);
 * set was built at set_gen (usable while it equals gen). */
typedef struct bus_cache {
    char *bus;
    uint64_t gen, set_gen;
    rule_set_t *set;
    struct bus_cache *next;
} bus_cache_t;

#define CACHE_BUCKETS 64
#define CACHE_MAX     4096 /* entries; past it the cache starts again */

typedef struct rule_cache {
    pthread_mutex_t lock;
    bus_cache_t *b[CACHE_BUCKETS];
    size_t n;
    uint64_t gens;      /* the last generation given out (they only grow) */
    uint64_t clear_gen; /* gens when the cache was last emptied */
} rule_cache_t;

static void set_put(rule_set_t *s)
{
    if (s && atomic_fetch_sub(&s->refs, 1) == 1) {
        kv_arena_free(s->a);
        kv_free(s);
    }
}

static bus_cache_t **cache_slot(rule_cache_t *c, kv_slice_t bus)
{
    bus_cache_t **p = &c->b[kv_xxh3(bus.p, bus.len) % CACHE_BUCKETS];
    while (*p && !kv_slice_eq_str(bus, (*p)->bus))
        p = &(*p)->next;
    return p;
}

static void cache_clear(rule_cache_t *c)
{
    for (size_t i = 0; i < CACHE_BUCKETS; i++)
        while (c->b[i]) {
            bus_cache_t *e = c->b[i];
            c->b[i] = e->next;
            set_put(e->set);
            kv_free(e->bus);
            kv_free(e);
        }
    c->n = 0;
    c->clear_gen = ++c->gens;
}

/* The entry of bus, made when missing (under c->lock). */
static bus_cache_t *cache_entry(rule_cache_t *c, kv_slice_t bus)
{
    bus_cache_t **p = cache_slot(c, bus);
    if (*p)
        return *p;
    if (c->n >= CACHE_MAX) {
        cache_clear(c);
        p = cache_slot(c, bus);
    }
    bus_cache_t *e = kv_calloc(1, sizeof(*e));
    e->bus = kv_malloc(bus.len + 1);
    memcpy(e->bus, bus.p, bus.len);
    e->bus[bus.len] = 0;
    e->gen = ++c->gens;
    *p = e;
    c->n++;
    return e;
}

static rule_cache_t *cache_of(api_ctx_t *ctx);

void events_rules_changed(api_ctx_t *ctx, kv_slice_t bus)
{
    rule_cache_t *c = cache_of(ctx);
    if (c == NULL)
        return;
    pthread_mutex_lock(&c->lock);
    bus_cache_t *e = cache_entry(c, bus);
    e->gen = ++c->gens;
    set_put(e->set);
    e->set = NULL;
    pthread_mutex_unlock(&c->lock);
}

/* Read and compile bus's rules. @return 0, KV_ENOTFOUND (no such bus), a KV_ error. */
static int set_build(api_ctx_t *ctx, kv_slice_t bus, rule_set_t **out)
{
    rule_set_t *s = kv_calloc(1, sizeof(*s));
    atomic_init(&s->refs, 1);
    s->a = kv_arena_new(1 << 16);
    eng_evbus_t *b;
    int rc = eng_evbus_get(ctx->eng, bus, s->a, &b);
    if (rc == KV_ENOTFOUND && kv_slice_eq_str(bus, EVENTS_DEFAULT_BUS))
        rc = 0; /* the default bus always exists */
    eng_evrule_t *rs = NULL;
    size_t n = 0;
    bool more;
    if (rc == 0)
        rc = eng_evrule_list(ctx->eng, bus, KV_SLICE_NULL, 0, s->a, &rs, &n, &more);
    s->r = kv_arena_calloc(s->a, n ? n : 1, sizeof(*s->r));
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const eng_evrule_t *r = &rs[i];
        api_pattern_t *p;
        const char *err;
        if (r->state == ENG_EVR_DISABLED || r->pattern == NULL || r->n_targets == 0 ||
            api_pattern_compile(s->a, kv_slice_str(r->pattern), 0, &p, &err) < 0)
            continue;
        s->r[s->n++] = (crule_t){r->bus, r->name, p, r->targets, r->n_targets};
    }
    if (rc < 0) {
        set_put(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* Bus's compiled rules (a reference the caller puts back with set_put). Only a bus that
 * exists gets an entry (events put to made-up bus names leave nothing behind). */
static int set_get(api_ctx_t *ctx, kv_slice_t bus, rule_set_t **out)
{
    rule_cache_t *c = cache_of(ctx);
    if (c == NULL)
        return set_build(ctx, bus, out);
    pthread_mutex_lock(&c->lock);
    bus_cache_t *e = *cache_slot(c, bus);
    if (e && e->set && e->set_gen == e->gen) {
        atomic_fetch_add(&e->set->refs, 1);
        *out = e->set;
        pthread_mutex_unlock(&c->lock);
        return 0;
    }
    uint64_t g0 = c->gens; /* a change from here on gives the bus a later generation */
    pthread_mutex_unlock(&c->lock);
    int rc = set_build(ctx, bus, out);
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&c->lock);
    e = *cache_slot(c, bus);
    if (e == NULL && g0 >= c->clear_gen && c->n < CACHE_MAX) {
        e = cache_entry(c, bus);
        e->gen = g0;
    }
    if (e && e->gen <= g0) { /* nothing changed since the build began: keep it */
        set_put(e->set);
        atomic_fetch_add(&(*out)->refs, 1);
        e->set = *out;
        e->set_gen = e->gen;
    }
    pthread_mutex_unlock(&c->lock);
    return 0;
}

/* ---- accepting an event ---- */

int events_accept(api_ctx_t *ctx, kv_slice_t bus, kv_slice_t event_json, const api_json_t *ev)
{
    rule_set_t *rs;
    int rc = set_get(ctx, bus, &rs);
    if (rc < 0)
        return rc;
    kv_arena_t *a = kv_arena_new(4096);
    size_t nd = 0, cap = 0;
    for (size_t i = 0; i < rs->n; i++)
        cap += rs->r[i].n_targets;
    eng_evdel_t *d = kv_arena_calloc(a, cap ? cap : 1, sizeof(*d));
    int64_t now = kv_now_ms();
    for (size_t i = 0; i < rs->n; i++) {
        const crule_t *r = &rs->r[i];
        if (!api_pattern_match(r->pattern, ev))
            continue;
        for (size_t t = 0; t < r->n_targets; t++)
            d[nd++] = (eng_evdel_t){.bus = r->bus,
                                    .rule = r->name,
                                    .target = r->targets[t],
                                    .accepted_ms = now,
                                    .due_ms = now};
    }
    if (nd) { /* the event is stored once, its deliveries refer to it */
        rc = eng_evdel_add(ctx->eng, event_json, d, nd, KV_SLICE_NULL, KV_SLICE_NULL, 0);
        if (rc == 0) {
            api_sched_listen(ctx, "events-deliver", true);
            api_sched_kick(ctx, "events-deliver");
        }
    }
    kv_arena_free(a);
    set_put(rs);
    return rc;
}

bool api_events_exists(api_ctx_t *ctx, kv_slice_t bus_arn)
{
    api_arn_t arn;
    kv_slice_t bus;
    if (!api_arn_parse(bus_arn, &arn) || !kv_slice_eq_str(arn.service, "events") ||
        !api_arn_after(&arn, "event-bus/", &bus))
        return false;
    if (kv_slice_eq_str(bus, EVENTS_DEFAULT_BUS))
        return true;
    kv_arena_t *a = kv_arena_new(4096);
    eng_evbus_t *b;
    bool ok = eng_evbus_get(ctx->eng, bus, a, &b) == 0;
    kv_arena_free(a);
    return ok;
}

int api_events_put(api_ctx_t *ctx, kv_slice_t bus_arn, kv_slice_t event_json, kv_buf_t *id_out,
                   const char **why)
{
    api_arn_t arn;
    kv_slice_t bus;
    if (!api_arn_parse(bus_arn, &arn) || !kv_slice_eq_str(arn.service, "events") ||
        !api_arn_after(&arn, "event-bus/", &bus))
        return KV_ENOTFOUND;
    if (event_json.len > EVENTS_MAX_PUT_BYTES) {
        if (why)
            *why = "The event is over the 256 KB limit.";
        return KV_EINVAL;
    }
    kv_arena_t *a = kv_arena_new(event_json.len * 2 + 4096);
    api_json_t *ev;
    const char *err;
    int rc = 0;
    if (api_json_parse(a, event_json, &ev, &err) < 0 || events_jt(ev) != API_J_OBJ ||
        events_jt(api_json_get(ev, "source")) != API_J_STR ||
        events_jt(api_json_get(ev, "detail-type")) != API_J_STR ||
        events_jt(api_json_get(ev, "detail")) != API_J_OBJ) {
        if (why)
            *why = "The event is not an EventBridge event (source, detail-type, detail).";
        rc = KV_EINVAL;
    }
    if (rc == 0)
        rc = events_accept(ctx, bus, event_json, ev);
    if (rc == 0 && id_out) {
        kv_slice_t id = api_json_str(api_json_get(ev, "id"));
        if (id.len)
            kv_buf_append_slice(id_out, id);
        else {
            char u[37];
            kv_uuid4(u);
            kv_buf_append_str(id_out, u);
        }
    }
    kv_arena_free(a);
    return rc;
}

/* ---- target input ---- */

/* Walk a JSONPath ($, .name, ['name'], [n]) over v; NULL when it names nothing (or, with
 * check set, the path's syntax alone is checked: a non-NULL result means valid). */
static const api_json_t *path_eval(kv_slice_t p, const api_json_t *v, bool check)
{
    static const int dummy;
    if (p.len == 0 || p.p[0] != '$')
        return NULL;
    size_t i = 1;
    char key[260];
    while (i < p.len) {
        size_t kl = 0;
        if (p.p[i] == '.') {
            i++;
            while (i < p.len && p.p[i] != '.' && p.p[i] != '[' && kl < sizeof(key) - 1)
                key[kl++] = (char)p.p[i++];
            if (kl == 0 || (i < p.len && p.p[i] != '.' && p.p[i] != '['))
                return NULL; /* empty, or longer than a key can be: refused, not cut short */
        } else if (p.p[i] == '[') {
            i++;
            if (i < p.len && (p.p[i] == '\'' || p.p[i] == '"')) {
                uint8_t q = p.p[i++];
                while (i < p.len && p.p[i] != q && kl < sizeof(key) - 1)
                    key[kl++] = (char)p.p[i++];
                /* (a key longer than key[] leaves i short of its quote: refused below) */
                if (i + 1 >= p.len || p.p[i] != q || p.p[i + 1] != ']')
                    return NULL;
                i += 2;
            } else {
                uint64_t n = 0;
                size_t st = i;
                while (i < p.len && p.p[i] >= '0' && p.p[i] <= '9' && i - st < 9)
                    n = n * 10 + (p.p[i++] - '0');
                if (i == st || i >= p.len || p.p[i] != ']')
                    return NULL;
                i++;
                if (!check)
                    v = events_jt(v) == API_J_ARR && n < api_json_len(v) ? api_json_at(v, n) : NULL;
                if (!check && v == NULL)
                    return NULL;
                continue;
            }
        } else
            return NULL;
        key[kl] = 0;
        if (!check)
            v = api_json_get(v, key);
        if (!check && v == NULL)
            return NULL;
    }
    return check ? (const api_json_t *)&dummy : v;
}

bool events_path_valid(kv_slice_t path)
{
    return path_eval(path, NULL, true) != NULL;
}

/* Append s JSON-escaped without quotes (inside a template's string), or as a JSON string. */
static void esc(kv_buf_t *out, kv_slice_t s)
{
    api_json_escape(out, s);
}

static void jstr(kv_buf_t *out, kv_slice_t s)
{
    kv_buf_append_byte(out, '"');
    api_json_escape(out, s);
    kv_buf_append_byte(out, '"');
}

int events_transform(kv_arena_t *a, const api_json_t *target, kv_slice_t event_json,
                     const api_json_t *ev, const char *rule_arn, const char *rule,
                     int64_t ingest_ms, kv_buf_t *out)
{
    api_json_t *input = api_json_get(target, "Input");
    api_json_t *path = api_json_get(target, "InputPath");
    api_json_t *tr = api_json_get(target, "InputTransformer");
    if (input && events_jt(input) == API_J_STR) {
        kv_buf_append_slice(out, api_json_str(input));
        return 0;
    }
    if (path && events_jt(path) == API_J_STR && api_json_str(path).len) {
        const api_json_t *v = path_eval(api_json_str(path), ev, false);
        if (v == NULL)
            kv_buf_append_str(out, "null");
        else
            api_json_dump(v, out);
        return 0;
    }
    if (tr == NULL || events_jt(tr) != API_J_OBJ) {
        kv_buf_append_slice(out, event_json);
        return 0;
    }
    kv_slice_t tmpl = api_json_str(api_json_get(tr, "InputTemplate"));
    api_json_t *paths = api_json_get(tr, "InputPathsMap");
    char ingest[25];
    kv_time_fmt_iso(ingest_ms, ingest);
    bool quoted = false;
    for (size_t i = 0; i < tmpl.len; i++) {
        uint8_t c = tmpl.p[i];
        if (c == '\\' && quoted && i + 1 < tmpl.len) {
            kv_buf_append(out, tmpl.p + i, 2);
            i++;
            continue;
        }
        if (c == '"')
            quoted = !quoted;
        if (c != '<') {
            kv_buf_append_byte(out, c);
            continue;
        }
        size_t q = i + 1;
        while (q < tmpl.len && tmpl.p[q] != '>' && tmpl.p[q] != '<' && q - i < 300)
            q++;
        if (q >= tmpl.len || tmpl.p[q] != '>' || q == i + 1) {
            kv_buf_append_byte(out, c);
            continue;
        }
        kv_slice_t name = kv_slice(tmpl.p + i + 1, q - i - 1);
        i = q;
        /* the value: a string (text) or a JSON value (json) */
        const char *text = NULL;
        const api_json_t *json = NULL;
        bool raw_event = false;
        if (kv_slice_eq_str(name, "aws.events.rule-arn"))
            text = rule_arn;
        else if (kv_slice_eq_str(name, "aws.events.rule-name"))
            text = rule;
        else if (kv_slice_eq_str(name, "aws.events.event.ingestion-time"))
            text = ingest;
        else if (kv_slice_eq_str(name, "aws.events.event") ||
                 kv_slice_eq_str(name, "aws.events.event.json"))
            raw_event = true;
        else {
            char *k = kv_arena_strndup(a, name.p, name.len);
            api_json_t *pv = api_json_get(paths, k);
            json = pv ? path_eval(api_json_str(pv), ev, false) : NULL;
        }
        if (raw_event) {
            if (quoted)
                esc(out, event_json);
            else
                kv_buf_append_slice(out, event_json);
        } else if (text) {
            if (quoted)
                esc(out, kv_slice_str(text));
            else
                jstr(out, kv_slice_str(text));
        } else if (json == NULL) {
            if (!quoted)
                kv_buf_append_str(out, "null");
        } else if (events_jt(json) == API_J_STR) {
            if (quoted)
                esc(out, api_json_str(json));
            else
                jstr(out, api_json_str(json));
        } else {
            kv_buf_t j;
            kv_buf_init(&j, 1u << 20);
            api_json_dump(json, &j);
            if (kv_buf_failed(&j)) { /* over the buffer: it can never be made */
                kv_buf_dispose(&j);
                return -1;
            }
            if (quoted)
                esc(out, kv_buf_slice(&j));
            else
                kv_buf_append_slice(out, kv_buf_slice(&j));
            kv_buf_dispose(&j);
        }
    }
    return kv_buf_failed(out) ? -1 : 0;
}

/* ---- the events-deliver job ---- */

/* A Lambda invocation in flight; its record stays until the function ran. */
typedef struct flight {
    api_ctx_t *ctx;
    uint64_t id;
    kv_arena_t *a;
    api_invocation_t inv;
    atomic_bool done;
    bool started;
    const char *fn; /* the function's name (its lane) */
    /* the function's asynchronous-invocation settings (PutFunctionEventInvokeConfig) */
    int64_t retries, max_age_s;
    const char *on_success, *on_failure;
} flight_t;

typedef struct events_state {
    flight_t *fl[MAX_FLIGHTS];
    uint64_t cursor;   /* the last record id looked at */
    int64_t pass_wait; /* this pass over the records: the earliest due one's wait (-1: none) */
    bool pass_worked;  /* and whether it delivered any */
    rule_cache_t cache;
} events_state_t;

static rule_cache_t *cache_of(api_ctx_t *ctx)
{
    events_state_t *s = api_service_state(ctx, &events_service);
    return s ? &s->cache : NULL;
}

int events_init(api_ctx_t *ctx, const api_cfg_t *cfg, void **state)
{
    (void)ctx;
    (void)cfg;
    events_state_t *s = kv_calloc(1, sizeof(*s));
    s->pass_wait = -1;
    pthread_mutex_init(&s->cache.lock, NULL);
    *state = s;
    return 0;
}

static void flight_free(flight_t *f)
{
    kv_buf_dispose(&f->inv.result);
    kv_buf_dispose(&f->inv.log);
    kv_arena_free(f->a);
    kv_free(f);
}

void events_fini(void *state)
{
    events_state_t *s = state;
    if (s == NULL)
        return;
    for (size_t i = 0; i < MAX_FLIGHTS; i++)
        if (s->fl[i] && (!s->fl[i]->started || atomic_load(&s->fl[i]->done)))
            flight_free(s->fl[i]);
    cache_clear(&s->cache);
    pthread_mutex_destroy(&s->cache.lock);
    kv_free(s);
}

static void on_done(api_invocation_t *inv)
{
    flight_t *f = inv->done_arg;
    api_ctx_t *ctx = f->ctx;
    atomic_store(&f->done, true); /* f may be freed from here on */
    api_sched_kick(ctx, "events-deliver");
}

/* A record's attempt failed: retry it later or give up (its dead-letter queue). fl: the
 * invocation whose function failed (its own asynchronous settings apply, as Lambda applies
 * them to the events EventBridge hands it: retries, event age, the on-failure destination in
 * place of the rule's dead-letter queue); NULL for every other failure. */
static void failed(api_ctx_t *ctx, eng_evdel_t *d, const api_json_t *target, const char *code,
                   const char *msg, const flight_t *fl)
{
    int64_t now = kv_now_ms(), max_retries = EVENTS_DEFAULT_RETRIES,
            max_age = EVENTS_DEFAULT_MAX_AGE;
    api_json_t *rp = api_json_get(target, "RetryPolicy");
    api_json_int(api_json_get(rp, "MaximumRetryAttempts"), &max_retries);
    api_json_int(api_json_get(rp, "MaximumEventAgeInSeconds"), &max_age);
    if (fl) { /* the function ran and failed: Lambda's asynchronous retries, no DLQ */
        max_retries = fl->retries >= 0 ? fl->retries : LAMBDA_ASYNC_RETRIES;
        max_age = fl->max_age_s >= 0 ? fl->max_age_s : LAMBDA_ASYNC_AGE_MAX;
    }
    /* refused for good, or an input that can never be made: no retry */
    if (strcmp(code, "InvalidParameterException") == 0 || strcmp(code, "InvalidInput") == 0 ||
        strcmp(code, "NO_PERMISSIONS") == 0) /* issue 15: a policy's refusal is not retried */
        max_retries = 0;
    d->attempts++;
    bool age = now - d->accepted_ms >= max_age * 1000;
    if ((int64_t)d->attempts <= max_retries && !age) {
        int64_t back = BACKOFF_MS << (d->attempts > 8 ? 8 : d->attempts - 1);
        d->due_ms = now + (back > BACKOFF_MAX ? BACKOFF_MAX : back);
        d->last_err = code;
        d->last_msg = msg;
        if (eng_evdel_update(ctx->eng, d) < 0)
            KV_LOG_WARN("events: delivery %llu: its retry could not be written",
                        (unsigned long long)d->id);
        return;
    }
    kv_slice_t dlq = api_json_str(api_json_get(api_json_get(target, "DeadLetterConfig"), "Arn"));
    char rule_arn[1024];
    events_rule_arn(ctx, kv_slice_str(d->bus), kv_slice_str(d->rule), rule_arn, sizeof(rule_arn));
    kv_slice_t tarn = api_json_str(api_json_get(target, "Arn"));
    if (fl) {
        if (fl->on_failure)
            lambda_async_destination(ctx, &fl->inv, (int)d->attempts, fl->on_failure,
                                     age ? "EventAgeExceeded" : "RetriesExhausted");
        else
            KV_LOG_WARN("events: rule %s: function %.*s failed on event delivery %llu: %s",
                        rule_arn, (int)tarn.len, (const char *)tarn.p, (unsigned long long)d->id,
                        msg);
    } else if (dlq.len && d->event) {
#if EVENTS_HAVE_MSG
        char attempts[16];
        snprintf(attempts, sizeof(attempts), "%u", d->attempts > 0 ? d->attempts - 1 : 0);
        api_msg_attr_t at[] = {
            {KV_SLICE_LIT("RULE_ARN"), KV_SLICE_LIT("String"), kv_slice_str(rule_arn)},
            {KV_SLICE_LIT("TARGET_ARN"), KV_SLICE_LIT("String"), tarn},
            {KV_SLICE_LIT("ERROR_CODE"), KV_SLICE_LIT("String"), kv_slice_str(code)},
            {KV_SLICE_LIT("ERROR_MESSAGE"), KV_SLICE_LIT("String"), kv_slice_str(msg)},
            {KV_SLICE_LIT("EXHAUSTED_RETRY_CONDITION"), KV_SLICE_LIT("String"),
             age ? KV_SLICE_LIT("MaximumEventAgeExceeded") : KV_SLICE_LIT("MaximumRetryAttempts")},
            {KV_SLICE_LIT("RETRY_ATTEMPTS"), KV_SLICE_LIT("Number"), kv_slice_str(attempts)},
        };
        api_msg_t m = {.body = kv_slice_str(d->event),
                       .attrs = at,
                       .n_attrs = 6,
                       .source_arn = kv_slice_str(rule_arn)};
        const char *why = NULL;
        /* issue 15 (package L2): the dead-letter queue's policy must let EventBridge send */
        kv_arena_t *pa = kv_arena_new(4096);
        int rc = api_msg_deliverable(ctx, dlq, "events.amazonaws.com", "sqs:SendMessage",
                                     kv_slice_str(rule_arn), pa, &why)
                     ? api_sqs_send(ctx, dlq, &m, NULL, &why)
                     : KV_EINVAL;
        if (rc < 0 && rc != KV_ENOTFOUND && rc != KV_EINVAL) { /* throttled: try again later */
            kv_arena_free(pa);
            d->due_ms = now + BACKOFF_MS;
            eng_evdel_update(ctx->eng, d);
            return;
        }
        if (rc < 0)
            KV_LOG_WARN("events: rule %s: dead-letter queue %.*s refused the event: %s", rule_arn,
                        (int)dlq.len, (const char *)dlq.p, why ? why : kv_err_str(rc));
        kv_arena_free(pa);
#endif
    } else
        KV_LOG_WARN("events: rule %s: target %.*s gave up on event delivery %llu: %s: %s", rule_arn,
                    (int)tarn.len, (const char *)tarn.p, (unsigned long long)d->id, code, msg);
    eng_evdel_delete(ctx->eng, d);
}

/* A free flight slot for function fn: -1 when every slot is taken or fn has its lane's worth
 * in flight (a slow function holds only its own deliveries). */
static int lane_slot(const events_state_t *s, kv_slice_t fn)
{
    int free_slot = -1;
    unsigned in_lane = 0;
    for (int i = 0; i < MAX_FLIGHTS; i++) {
        if (s->fl[i] == NULL) {
            if (free_slot < 0)
                free_slot = i;
        } else if (kv_slice_eq_str(fn, s->fl[i]->fn))
            in_lane++;
    }
    return in_lane >= LANE_FLIGHTS ? -1 : free_slot;
}

/* Start or do one delivery. @return 1 when an invocation was started (the record stays until
 * it completes), 0 when the record was settled now, -1 when its function's lane is full (the
 * record waits; the others go on). */
static int deliver(api_ctx_t *ctx, events_state_t *s, kv_arena_t *a, eng_evdel_t *d)
{
    api_json_t *target, *ev;
    const char *err;
    if (api_json_parse(a, kv_slice_str(d->target), &target, &err) < 0) {
        KV_LOG_WARN("events: delivery %llu is unreadable; dropped", (unsigned long long)d->id);
        eng_evdel_delete(ctx->eng, d);
        return 0;
    }
    kv_slice_t arn = api_json_str(api_json_get(target, "Arn"));
    kv_slice_t fn;
    bool lambda = lambda_arn_function(arn, &fn);
    int slot = lambda ? lane_slot(s, fn) : -1;
    if (lambda && slot < 0)
        return -1; /* before any work: it waits for its lane */
    if (eng_evdel_event(ctx->eng, d, a) < 0 ||
        api_json_parse(a, kv_slice_str(d->event), &ev, &err) < 0) {
        KV_LOG_WARN("events: delivery %llu's event is unreadable; dropped",
                    (unsigned long long)d->id);
        eng_evdel_delete(ctx->eng, d);
        return 0;
    }
    char rule_arn[1024];
    events_rule_arn(ctx, kv_slice_str(d->bus), kv_slice_str(d->rule), rule_arn, sizeof(rule_arn));
    kv_buf_t in;
    kv_buf_init(&in, 1u << 20);
    if (events_transform(a, target, kv_slice_str(d->event), ev, rule_arn, d->rule, d->accepted_ms,
                         &in) < 0) {
        kv_buf_dispose(&in);
        failed(ctx, d, target, "InvalidInput", "The target input could not be made.", NULL);
        return 0;
    }
    api_arn_t pa;
    api_arn_parse(arn, &pa);
    int rc = 0;
    if (lambda) {
        const char *end = (const char *)fn.p + fn.len;
        eng_function_t *f;
        size_t rest = (size_t)((const char *)arn.p + arn.len - end);
        kv_slice_t qual = rest > 1 && *end == ':' ? kv_slice(end + 1, rest - 1) : KV_SLICE_NULL;
        flight_t *fl = kv_calloc(1, sizeof(*fl));
        fl->ctx = ctx;
        fl->id = d->id;
        fl->a = kv_arena_new(in.len + 16384);
        fl->fn = kv_arena_strndup(fl->a, fn.p, fn.len);
        atomic_init(&fl->done, false);
        int pick = ctx->invoke ? lambda_qual_pick(ctx, fl->a, fn, qual, &f) : KV_ENOTFOUND;
        if (pick == 0 && f->reserved == 0) { /* its reserved concurrency is 0: throttled */
            flight_free(fl);
            kv_buf_dispose(&in);
            failed(ctx, d, target, "TooManyRequestsException", "Rate Exceeded.", NULL);
            return 0;
        }
        if (pick < 0) {
            flight_free(fl);
            kv_buf_dispose(&in);
            failed(ctx, d, target, "ResourceNotFoundException", "Function not found.", NULL);
            return 0;
        }
        if (!lambda_events_may_invoke(ctx, arn, rule_arn)) { /* the function policy (issue 15) */
            flight_free(fl);
            kv_buf_dispose(&in);
            failed(ctx, d, target, "AccessDeniedException",
                   "The function policy does not allow events.amazonaws.com to invoke it.", NULL);
            return 0;
        }
        evcfg_t c;
        lambda_evcfg_read(fl->a, f->event_config, &c);
        fl->retries = c.retries;
        fl->max_age_s = c.max_age_s;
        fl->on_success = c.on_success;
        fl->on_failure = c.on_failure;
        lambda_inv_fill(ctx, f, kv_buf_slice(&in), NULL, fl->a, &fl->inv);
        if (qual.len)
            fl->inv.invoked_arn = kv_arena_strndup(fl->a, arn.p, arn.len);
        fl->inv.done = on_done;
        fl->inv.done_arg = fl;
        fl->started = true;
        s->fl[slot] = fl;
        if (ctx->invoke(ctx->runner, &fl->inv) < 0) {
            s->fl[slot] = NULL;
            flight_free(fl);
            kv_buf_dispose(&in);
            failed(ctx, d, target, "ThrottlingException", "The function could not start.", NULL);
            return 0;
        }
        kv_buf_dispose(&in);
        return 1;
    }
    const char *why = NULL; /* the target's reason for refusing it for good */
    /* issue 15 (package L2): the queue's, topic's or bus's policy must let EventBridge send for
     * this rule (not retried: the dead-letter queue, or dropped) */
    const char *act = kv_slice_eq_str(pa.service, "sqs")   ? "sqs:SendMessage"
                      : kv_slice_eq_str(pa.service, "sns") ? "sns:Publish"
                                                           : "events:PutEvents";
    if ((kv_slice_eq_str(pa.service, "sqs") || kv_slice_eq_str(pa.service, "sns") ||
         kv_slice_eq_str(pa.service, "events")) &&
        !api_msg_deliverable(ctx, arn, "events.amazonaws.com", act, kv_slice_str(rule_arn), a,
                             &why)) {
        kv_buf_dispose(&in);
        failed(ctx, d, target, "NO_PERMISSIONS",
               why ? why : "Access denied by the target's policy.", NULL);
        return 0;
    }
    if (kv_slice_eq_str(pa.service, "events")) { /* another bus: the event as it is */
        rc = api_events_put(ctx, arn, kv_buf_slice(&in), NULL, &why);
    }
#if EVENTS_HAVE_MSG
    else if (kv_slice_eq_str(pa.service, "sqs")) {
        api_msg_t m = {.body = kv_buf_slice(&in), .source_arn = kv_slice_str(rule_arn)};
        m.group_id =
            api_json_str(api_json_get(api_json_get(target, "SqsParameters"), "MessageGroupId"));
        if (m.group_id.len) /* FIFO: the event id deduplicates, as EventBridge does */
            m.dedup_id = api_json_str(api_json_get(ev, "id"));
        rc = api_sqs_send(ctx, arn, &m, NULL, &why);
    } else if (kv_slice_eq_str(pa.service, "sns")) {
        api_msg_t m = {.body = kv_buf_slice(&in), .source_arn = kv_slice_str(rule_arn)};
        rc = api_sns_publish(ctx, arn, &m, NULL, &why);
    }
#endif
    else
        rc = KV_EINVAL;
    kv_buf_dispose(&in);
    if (rc == 0) {
        eng_evdel_delete(ctx->eng, d);
        return 0;
    }
    failed(ctx, d, target,
           rc == KV_ENOTFOUND ? "ResourceNotFoundException"
           : rc == KV_EINVAL  ? "InvalidParameterException"
                              : "ThrottlingException",
           rc == KV_ENOTFOUND ? "The target does not exist."
           : why              ? why
                              : kv_err_str(rc),
           NULL);
    return 0;
}

/* Settle the finished invocations: a success (its on-success destination) or a service
 * failure (the target's RetryPolicy) or a function error (the function's own settings). */
static void settle(api_ctx_t *ctx, events_state_t *s)
{
    for (size_t i = 0; i < MAX_FLIGHTS; i++) {
        flight_t *f = s->fl[i];
        if (f == NULL || !atomic_load(&f->done))
            continue;
        s->fl[i] = NULL;
        kv_arena_t *a = kv_arena_new(1 << 16);
        eng_evdel_t *d;
        size_t n;
        if (eng_evdel_scan(ctx->eng, f->id - 1, 1, a, &d, &n) == 0 && n == 1 && d->id == f->id) {
            if (f->inv.outcome == API_INV_OK) {
                if (f->on_success)
                    lambda_async_destination(ctx, &f->inv, (int)d->attempts + 1, f->on_success,
                                             "Success");
                eng_evdel_delete(ctx->eng, d);
            } else {
                api_json_t *target;
                const char *err;
                bool fn_error = f->inv.outcome == API_INV_FN_ERROR;
                eng_evdel_event(ctx->eng, d, a);
                if (api_json_parse(a, kv_slice_str(d->target), &target, &err) == 0)
                    failed(ctx, d, target,
                           fn_error ? "Lambda.FunctionError" : "Lambda.ServiceException",
                           kv_arena_strndup(a, f->inv.result.p,
                                            f->inv.result.len > 256 ? 256 : f->inv.result.len),
                           fn_error ? f : NULL);
            }
        }
        kv_arena_free(a);
        flight_free(f);
    }
}

int events_deliver_run(api_ctx_t *ctx, void *state, unsigned budget)
{
    events_state_t *s = state;
    settle(ctx, s);
    kv_arena_t *a = kv_arena_new(1 << 16);
    eng_evdel_t *ds;
    size_t n = 0;
    size_t lim = budget < SCAN_MAX ? (budget ? budget : 1) : SCAN_MAX;
    int64_t now = kv_now_ms(), wait = -1;
    bool worked = false;
    if (eng_evdel_scan(ctx->eng, s->cursor, lim, a, &ds, &n) < 0)
        n = 0;
    for (size_t i = 0; i < n; i++) {
        eng_evdel_t *d = &ds[i];
        bool busy = false;
        for (size_t f = 0; f < MAX_FLIGHTS && !busy; f++)
            busy = s->fl[f] && s->fl[f]->id == d->id;
        if (busy)
            continue;
        if (d->due_ms > now) {
            if (wait < 0 || d->due_ms - now < wait)
                wait = d->due_ms - now;
            continue;
        }
        /* a full lane skips its record: a completion kicks the job and the next pass has it */
        if (deliver(ctx, s, a, d) >= 0)
            worked = true;
    }
    bool in_flight = false;
    for (size_t f = 0; f < MAX_FLIGHTS; f++)
        in_flight |= s->fl[f] != NULL;
    /* a pass walks every record in steps; its end sleeps until the earliest due record */
    if (wait >= 0 && (s->pass_wait < 0 || wait < s->pass_wait))
        s->pass_wait = wait;
    s->pass_worked |= worked;
    int ret;
    if (n == lim) { /* more records after these */
        s->cursor = ds[n - 1].id;
        ret = 0;
    } else {
        s->cursor = 0; /* from the start next time */
        ret = s->pass_worked ? 0 : (int)(s->pass_wait < 0 ? -1 : s->pass_wait);
        s->pass_wait = -1;
        s->pass_worked = false;
    }
    /* nothing stored and nothing running: commits need not wake the job (a put kicks it) */
    api_sched_listen(ctx, "events-deliver", n > 0 || s->cursor != 0 || in_flight);
    kv_arena_free(a);
    return ret;
}
