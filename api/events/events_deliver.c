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

#define MAX_FLIGHTS          32 /* Lambda invocations in flight at once */
#define SCAN_MAX             64 /* delivery records looked at per step */
#define BACKOFF_MS           1000
#define BACKOFF_MAX          (5 * 60 * 1000)
#define LAMBDA_ASYNC_RETRIES 2 /* a function error: Lambda's asynchronous retries */

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

/* ---- accepting an event ---- */

int events_accept(api_ctx_t *ctx, kv_slice_t bus, kv_slice_t event_json, const api_json_t *ev)
{
    kv_arena_t *a = kv_arena_new(1 << 16);
    eng_evbus_t *b;
    int rc = eng_evbus_get(ctx->eng, bus, a, &b);
    if (rc == KV_ENOTFOUND && kv_slice_eq_str(bus, EVENTS_DEFAULT_BUS))
        rc = 0; /* the default bus always exists */
    eng_evrule_t *rs = NULL;
    size_t n = 0;
    bool more;
    if (rc == 0)
        rc = eng_evrule_list(ctx->eng, bus, KV_SLICE_NULL, 0, a, &rs, &n, &more);
    size_t nd = 0, cap = 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        cap += rs[i].n_targets;
    eng_evdel_t *d = kv_arena_calloc(a, cap ? cap : 1, sizeof(*d));
    const char *evs = kv_arena_strndup(a, event_json.p, event_json.len);
    int64_t now = kv_now_ms();
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const eng_evrule_t *r = &rs[i];
        api_pattern_t *p;
        const char *err;
        if (r->state == ENG_EVR_DISABLED || r->pattern == NULL || r->n_targets == 0 ||
            api_pattern_compile(a, kv_slice_str(r->pattern), 0, &p, &err) < 0 ||
            !api_pattern_match(p, ev))
            continue;
        for (size_t t = 0; t < r->n_targets; t++)
            d[nd++] =
                (eng_evdel_t){0, r->bus, r->name, r->targets[t], evs, 0, now, now, NULL, NULL};
    }
    if (rc == 0 && nd) {
        rc = eng_evdel_add(ctx->eng, d, nd, KV_SLICE_NULL, KV_SLICE_NULL, 0);
        if (rc == 0) {
            api_sched_listen(ctx, "events-deliver", true);
            api_sched_kick(ctx, "events-deliver");
        }
    }
    kv_arena_free(a);
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
    if (api_json_parse(a, event_json, &ev, &err) < 0 || api_json_type(ev) != API_J_OBJ ||
        api_json_type(api_json_get(ev, "source")) != API_J_STR ||
        api_json_type(api_json_get(ev, "detail-type")) != API_J_STR ||
        api_json_type(api_json_get(ev, "detail")) != API_J_OBJ) {
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
            if (kl == 0)
                return NULL;
        } else if (p.p[i] == '[') {
            i++;
            if (i < p.len && (p.p[i] == '\'' || p.p[i] == '"')) {
                uint8_t q = p.p[i++];
                while (i < p.len && p.p[i] != q && kl < sizeof(key) - 1)
                    key[kl++] = (char)p.p[i++];
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
                    v = api_json_type(v) == API_J_ARR && n < api_json_len(v) ? api_json_at(v, n)
                                                                             : NULL;
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
    if (input && api_json_type(input) == API_J_STR) {
        kv_buf_append_slice(out, api_json_str(input));
        return 0;
    }
    if (path && api_json_type(path) == API_J_STR && api_json_str(path).len) {
        const api_json_t *v = path_eval(api_json_str(path), ev, false);
        if (v == NULL)
            kv_buf_append_str(out, "null");
        else
            api_json_dump(v, out);
        return 0;
    }
    if (tr == NULL || api_json_type(tr) != API_J_OBJ) {
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
        } else if (api_json_type(json) == API_J_STR) {
            if (quoted)
                esc(out, api_json_str(json));
            else
                jstr(out, api_json_str(json));
        } else {
            kv_buf_t j;
            kv_buf_init(&j, 1u << 20);
            api_json_dump(json, &j);
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

typedef struct flight {
    api_ctx_t *ctx;
    uint64_t id;
    kv_arena_t *a;
    api_invocation_t inv;
    atomic_bool done;
    bool started;
} flight_t;

typedef struct events_state {
    flight_t *fl[MAX_FLIGHTS];
    uint64_t cursor; /* the last record id looked at */
} events_state_t;

int events_init(api_ctx_t *ctx, const api_cfg_t *cfg, void **state)
{
    (void)ctx;
    (void)cfg;
    *state = kv_calloc(1, sizeof(events_state_t));
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
    kv_free(s);
}

static void on_done(api_invocation_t *inv)
{
    flight_t *f = inv->done_arg;
    api_ctx_t *ctx = f->ctx;
    atomic_store(&f->done, true); /* f may be freed from here on */
    api_sched_kick(ctx, "events-deliver");
}

/* A record's attempt failed: retry it later or give up (its dead-letter queue). */
static void failed(api_ctx_t *ctx, kv_arena_t *a, eng_evdel_t *d, const api_json_t *target,
                   const char *code, const char *msg, bool fn_error)
{
    int64_t now = kv_now_ms(), max_retries = EVENTS_DEFAULT_RETRIES,
            max_age = EVENTS_DEFAULT_MAX_AGE;
    api_json_t *rp = api_json_get(target, "RetryPolicy");
    api_json_int(api_json_get(rp, "MaximumRetryAttempts"), &max_retries);
    api_json_int(api_json_get(rp, "MaximumEventAgeInSeconds"), &max_age);
    if (fn_error) /* the function ran and failed: Lambda's asynchronous retries, no DLQ */
        max_retries = LAMBDA_ASYNC_RETRIES;
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
    if (dlq.len && !fn_error) {
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
        int rc = api_sqs_send(ctx, dlq, &m, NULL, &why);
        if (rc < 0 && rc != KV_ENOTFOUND && rc != KV_EINVAL) { /* throttled: try again later */
            d->due_ms = now + BACKOFF_MS;
            eng_evdel_update(ctx->eng, d);
            return;
        }
        if (rc < 0)
            KV_LOG_WARN("events: rule %s: dead-letter queue %.*s refused the event: %s", rule_arn,
                        (int)dlq.len, (const char *)dlq.p, why ? why : kv_err_str(rc));
#else
        (void)tarn;
#endif
    } else
        KV_LOG_WARN("events: rule %s: target %.*s gave up on event delivery %llu: %s: %s", rule_arn,
                    (int)tarn.len, (const char *)tarn.p, (unsigned long long)d->id, code, msg);
    (void)a;
    eng_evdel_delete(ctx->eng, d->id);
}

/* Start or do one delivery. @return 1 when an invocation was started (the record stays until
 * it completes), 0 when the record was settled now, -1 when no flight slot is free. */
static int deliver(api_ctx_t *ctx, events_state_t *s, kv_arena_t *a, eng_evdel_t *d)
{
    api_json_t *target, *ev;
    const char *err;
    if (api_json_parse(a, kv_slice_str(d->target), &target, &err) < 0 ||
        api_json_parse(a, kv_slice_str(d->event), &ev, &err) < 0) {
        KV_LOG_WARN("events: delivery %llu is unreadable; dropped", (unsigned long long)d->id);
        eng_evdel_delete(ctx->eng, d->id);
        return 0;
    }
    kv_slice_t arn = api_json_str(api_json_get(target, "Arn"));
    char rule_arn[1024];
    events_rule_arn(ctx, kv_slice_str(d->bus), kv_slice_str(d->rule), rule_arn, sizeof(rule_arn));
    kv_buf_t in;
    kv_buf_init(&in, 1u << 20);
    if (events_transform(a, target, kv_slice_str(d->event), ev, rule_arn, d->rule, d->accepted_ms,
                         &in) < 0) {
        kv_buf_dispose(&in);
        failed(ctx, a, d, target, "InvalidInput", "The target input could not be made.", false);
        return 0;
    }
    api_arn_t pa;
    api_arn_parse(arn, &pa);
    kv_slice_t fn;
    int rc = 0;
    if (lambda_arn_function(arn, &fn)) {
        size_t slot = 0;
        while (slot < MAX_FLIGHTS && s->fl[slot])
            slot++;
        if (slot == MAX_FLIGHTS) {
            kv_buf_dispose(&in);
            return -1;
        }
        const char *end = (const char *)fn.p + fn.len;
        eng_function_t *f;
        size_t rest = (size_t)((const char *)arn.p + arn.len - end);
        kv_slice_t qual = rest > 1 && *end == ':' ? kv_slice(end + 1, rest - 1) : KV_SLICE_NULL;
        flight_t *fl = kv_calloc(1, sizeof(*fl));
        fl->ctx = ctx;
        fl->id = d->id;
        fl->a = kv_arena_new(in.len + 16384);
        atomic_init(&fl->done, false);
        if (ctx->invoke == NULL || lambda_qual_pick(ctx, fl->a, fn, qual, &f) < 0) {
            kv_arena_free(fl->a);
            kv_free(fl);
            kv_buf_dispose(&in);
            failed(ctx, a, d, target, "ResourceNotFoundException", "Function not found.", false);
            return 0;
        }
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
            failed(ctx, a, d, target, "ThrottlingException", "The function could not start.",
                   false);
            return 0;
        }
        kv_buf_dispose(&in);
        return 1;
    }
    if (kv_slice_eq_str(pa.service, "events")) { /* another bus: the event as it is */
        const char *why = NULL;
        rc = api_events_put(ctx, arn, kv_buf_slice(&in), NULL, &why);
    }
#if EVENTS_HAVE_MSG
    else if (kv_slice_eq_str(pa.service, "sqs")) {
        api_msg_t m = {.body = kv_buf_slice(&in), .source_arn = kv_slice_str(rule_arn)};
        m.group_id =
            api_json_str(api_json_get(api_json_get(target, "SqsParameters"), "MessageGroupId"));
        const char *why = NULL;
        rc = api_sqs_send(ctx, arn, &m, NULL, &why);
    } else if (kv_slice_eq_str(pa.service, "sns")) {
        api_msg_t m = {.body = kv_buf_slice(&in), .source_arn = kv_slice_str(rule_arn)};
        const char *why = NULL;
        rc = api_sns_publish(ctx, arn, &m, NULL, &why);
    }
#endif
    else
        rc = KV_EINVAL;
    kv_buf_dispose(&in);
    if (rc == 0) {
        eng_evdel_delete(ctx->eng, d->id);
        return 0;
    }
    failed(ctx, a, d, target,
           rc == KV_ENOTFOUND ? "ResourceNotFoundException"
           : rc == KV_EINVAL  ? "InvalidParameterException"
                              : "ThrottlingException",
           rc == KV_ENOTFOUND ? "The target does not exist." : kv_err_str(rc), false);
    return 0;
}

/* Settle the finished invocations. */
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
            if (f->inv.outcome == API_INV_OK)
                eng_evdel_delete(ctx->eng, f->id);
            else {
                api_json_t *target;
                const char *err;
                if (api_json_parse(a, kv_slice_str(d->target), &target, &err) == 0)
                    failed(ctx, a, d, target,
                           f->inv.outcome == API_INV_FN_ERROR ? "Lambda.FunctionError"
                                                              : "Lambda.ServiceException",
                           kv_arena_strndup(a, f->inv.result.p,
                                            f->inv.result.len > 256 ? 256 : f->inv.result.len),
                           f->inv.outcome == API_INV_FN_ERROR);
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
    bool full = false, worked = false;
    if (eng_evdel_scan(ctx->eng, s->cursor, lim, a, &ds, &n) < 0)
        n = 0;
    size_t i = 0;
    for (; i < n && !full; i++) {
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
        int rc = deliver(ctx, s, a, d);
        if (rc < 0)
            full = true;
        else
            worked = true;
    }
    bool in_flight = false;
    for (size_t f = 0; f < MAX_FLIGHTS; f++)
        in_flight |= s->fl[f] != NULL;
    int ret;
    if (n == lim && !full) { /* more records after these */
        s->cursor = ds[n - 1].id;
        ret = 0;
    } else {
        s->cursor = 0; /* from the start next time */
        ret = worked && !full ? 0 : (int)(wait < 0 ? -1 : wait);
    }
    if (full && ret != 0)
        ret = -1; /* a completion kicks */
    /* nothing stored and nothing running: commits need not wake the job (a put kicks it) */
    api_sched_listen(ctx, "events-deliver", n > 0 || in_flight);
    kv_arena_free(a);
    return ret;
}
