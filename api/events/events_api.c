/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The EventBridge API (AWS JSON 1.1, X-Amz-Target AWSEvents.<Op>, credential scope "events"):
 * event buses (the default bus always exists), PutEvents, rules (patterns and schedules),
 * targets, TestEventPattern and tags, with EventBridge's validation, messages and limits; the
 * service's table row.
 */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/kv_alloc.h"
#include "base/kv_err.h"
#include "base/kv_hash.h"
#include "base/kv_time.h"
#include "codec/api_pattern.h"
#include "events_int.h"

#define LIST_MAX 100

typedef struct op {
    api_ctx_t *ctx;
    api_req_t *req;
    api_resp_t *resp;
    api_json_t *in;
    api_jw_t *w;
    kv_arena_t *a;
} op_t;

/* ---- validation ---- */

static int invalid(op_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int invalid(op_t *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *m = kv_arena_vprintf(o->a, fmt, ap);
    va_end(ap);
    return api_refuse(o->resp, API_E_EVENTS_VALIDATION, "%s", m);
}

/* The constraint message of the JSON protocols' validation ("1 validation error detected"). */
static int constraint(op_t *o, kv_slice_t v, const char *field, const char *what)
{
    return invalid(o,
                   "1 validation error detected: Value '%.*s' at '%s' failed to satisfy "
                   "constraint: Member must %s",
                   (int)(v.len > 256 ? 256 : v.len), (const char *)v.p, field, what);
}

static bool chars_ok(kv_slice_t s, const char *extra)
{
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = s.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              (c && strchr(extra, c))))
            return false;
    }
    return true;
}

/*
 * A string member: absent (required: a validation error), not a string (SerializationException),
 * or checked for length (min..max) and characters (extra: the punctuation allowed besides
 * letters and digits; NULL: any), field naming it in messages (its camelCase wire path).
 * @return 1 present, 0 absent (not required), -1 refused.
 */
static int str_arg(op_t *o, const api_json_t *obj, const char *key, const char *field,
                   bool required, size_t min, size_t max, const char *extra, const char *pattern,
                   kv_slice_t *out)
{
    api_json_t *v = api_json_get(obj, key);
    *out = KV_SLICE_NULL;
    if (v == NULL || events_jt(v) == API_J_NULL) {
        if (required)
            return invalid(o,
                           "1 validation error detected: Value null at '%s' failed to satisfy "
                           "constraint: Member must not be null",
                           field);
        return 0;
    }
    if (events_jt(v) != API_J_STR)
        return api_refuse(o->resp, API_E_EVENTS_SERIALIZATION,
                          "Start of structure or map found "
                          "where not expected.");
    kv_slice_t s = api_json_str(v);
    char what[160];
    if (s.len < min) {
        snprintf(what, sizeof(what), "have length greater than or equal to %zu", min);
        return constraint(o, s, field, what);
    }
    if (s.len > max) {
        snprintf(what, sizeof(what), "have length less than or equal to %zu", max);
        return constraint(o, s, field, what);
    }
    if (extra && !chars_ok(s, extra)) {
        snprintf(what, sizeof(what), "satisfy regular expression pattern: %s", pattern);
        return constraint(o, s, field, what);
    }
    *out = s;
    return 1;
}

#define RULE_NAME_PAT "[\\.\\-_A-Za-z0-9]+"
#define BUS_NAME_PAT  "[/\\.\\-_A-Za-z0-9]+"
#define BUS_ARN_PAT \
    "(arn:aws[\\w-]*:events:[a-z]+-[a-z]+-[\\w-]+:[0-9]{12}:event-bus\\/)?[/\\.\\-_A-Za-z0-9]+"

/* A name or ARN of a bus (EventBusName) into *bus; absent: the default bus.
 * @return 0 or -1 (refused). */
static int bus_arg(op_t *o, const api_json_t *obj, const char *key, const char *field,
                   kv_slice_t *bus)
{
    kv_slice_t s;
    int rc = str_arg(o, obj, key, field, false, 1, 1600, NULL, NULL, &s);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        *bus = KV_SLICE_LIT(EVENTS_DEFAULT_BUS);
        return 0;
    }
    api_arn_t arn;
    kv_slice_t name = s;
    if (kv_slice_starts_with(s, "arn:")) {
        if (!api_arn_parse(s, &arn) || !kv_slice_eq_str(arn.service, "events") ||
            !api_arn_after(&arn, "event-bus/", &name))
            name = KV_SLICE_NULL;
    }
    if (name.len == 0 || name.len > 256 || !chars_ok(name, "/.-_")) {
        char what[200];
        snprintf(what, sizeof(what), "satisfy regular expression pattern: %s", BUS_ARN_PAT);
        return constraint(o, s, field, what);
    }
    *bus = name;
    return 0;
}

static int bus_missing(op_t *o, kv_slice_t bus)
{
    return api_refuse(o->resp, API_E_EVENTS_NOT_FOUND, "Event bus %.*s does not exist.",
                      (int)bus.len, (const char *)bus.p);
}

static int rule_missing(op_t *o, kv_slice_t bus, kv_slice_t rule)
{
    return api_refuse(o->resp, API_E_EVENTS_NOT_FOUND, "Rule %.*s does not exist on EventBus %.*s.",
                      (int)rule.len, (const char *)rule.p, (int)bus.len, (const char *)bus.p);
}

static int internal(op_t *o, int rc)
{
    if (rc == KV_ENOSPACE)
        return api_refuse(o->resp, API_E_EVENTS_THROTTLING, "Rate exceeded");
    return api_refuse(o->resp, API_E_EVENTS_INTERNAL, "%s", kv_err_str(rc));
}

/* Whether a bus exists (the default bus always does). */
static bool bus_exists(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t bus)
{
    eng_evbus_t *b;
    return eng_evbus_get(ctx->eng, bus, a, &b) == 0;
}

/* Limit and NextToken of a List operation. @return -1 when refused. */
static int page_args(op_t *o, size_t *limit, kv_slice_t *token)
{
    api_json_t *l = api_json_get(o->in, "Limit");
    int64_t v = LIST_MAX;
    if (l && events_jt(l) != API_J_NULL) {
        if (!api_json_int(l, &v))
            return api_refuse(o->resp, API_E_EVENTS_SERIALIZATION,
                              "STRING_VALUE can not be converted to an Integer");
        if (v < 1 || v > 100) {
            char t[32];
            snprintf(t, sizeof(t), "%lld", (long long)v);
            return constraint(o, kv_slice_str(t), "limit",
                              v < 1 ? "have value greater than or equal to 1"
                                    : "have value less than or equal to 100");
        }
    }
    *limit = (size_t)v;
    if (str_arg(o, o->in, "NextToken", "nextToken", false, 1, 2048, NULL, NULL, token) < 0)
        return -1;
    return 0;
}

/* Tags (a list of {Key, Value}) into an arena array. @return -1 when refused. */
static int tags_arg(op_t *o, const api_json_t *v, eng_tag_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (v == NULL || events_jt(v) == API_J_NULL)
        return 0;
    if (events_jt(v) != API_J_ARR)
        return api_refuse(o->resp, API_E_EVENTS_SERIALIZATION, "Tags must be a list");
    size_t len = api_json_len(v);
    if (len > EVENTS_MAX_TAGS)
        return api_refuse(o->resp, API_E_EVENTS_LIMIT,
                          "The requested resource exceeds the maximum number allowed.");
    eng_tag_t *t = kv_arena_calloc(o->a, len ? len : 1, sizeof(*t));
    for (size_t i = 0; i < len; i++) {
        kv_slice_t k, val;
        api_json_t *e = api_json_at(v, i);
        char fk[40], fv[40];
        snprintf(fk, sizeof(fk), "tags.%zu.member.key", i + 1);
        snprintf(fv, sizeof(fv), "tags.%zu.member.value", i + 1);
        if (str_arg(o, e, "Key", fk, true, 1, 128, NULL, NULL, &k) < 0 ||
            str_arg(o, e, "Value", fv, true, 0, 256, NULL, NULL, &val) < 0)
            return -1;
        size_t j = 0;
        while (j < *n && !kv_slice_eq_str(k, t[j].key))
            j++;
        t[j].key = kv_arena_strndup(o->a, k.p, k.len);
        t[j].value = kv_arena_strndup(o->a, val.p, val.len);
        if (j == *n)
            (*n)++;
    }
    *out = t;
    return 0;
}

static void write_tags(api_jw_t *w, const eng_tag_t *t, size_t n)
{
    api_jw_key(w, "Tags");
    api_jw_arr_begin(w);
    for (size_t i = 0; i < n; i++) {
        api_jw_obj_begin(w);
        api_jw_kstr(w, "Key", t[i].key);
        api_jw_kstr(w, "Value", t[i].value);
        api_jw_obj_end(w);
    }
    api_jw_arr_end(w);
}

static void epoch_s(api_jw_t *w, const char *key, int64_t ms)
{
    char t[40];
    snprintf(t, sizeof(t), "%lld.%03lld", (long long)(ms / 1000), (long long)(ms % 1000));
    api_jw_key(w, key);
    api_jw_raw(w, kv_slice_str(t));
}

/* ---- event buses ---- */

/* The default bus's record, made the first time it is needed (it always exists). */
static void ensure_default(api_ctx_t *ctx)
{
    static _Atomic bool done;
    if (done)
        return;
    int64_t now = kv_now_ms();
    eng_evbus_t b = {EVENTS_DEFAULT_BUS, NULL, now, now, NULL, 0, NULL};
    int rc = eng_evbus_put(ctx->eng, &b, ENG_FN_CREATE);
    if (rc == 0 || rc == KV_EEXIST)
        done = true;
}

static void op_create_bus(op_t *o)
{
    kv_slice_t name, desc, src;
    if (str_arg(o, o->in, "Name", "name", true, 1, 256, "/.-_", BUS_NAME_PAT, &name) < 0 ||
        str_arg(o, o->in, "Description", "description", false, 0, 512, NULL, NULL, &desc) < 0 ||
        str_arg(o, o->in, "EventSourceName", "eventSourceName", false, 1, 256, NULL, NULL, &src) <
            0)
        return;
    if (src.len) {
        api_refuse(o->resp, API_E_EVENTS_NOT_FOUND, "Event source %.*s does not exist.",
                   (int)src.len, (const char *)src.p);
        return;
    }
    if (memchr(name.p, '/', name.len)) {
        invalid(o, "Event bus name must not contain '/'.");
        return;
    }
    eng_evbus_t b = {0};
    if (tags_arg(o, api_json_get(o->in, "Tags"), &b.tags, &b.n_tags) < 0)
        return;
    ensure_default(o->ctx);
    b.name = kv_arena_strndup(o->a, name.p, name.len);
    b.description = desc.len ? kv_arena_strndup(o->a, desc.p, desc.len) : NULL;
    b.created_ms = b.modified_ms = kv_now_ms();
    int rc = eng_evbus_put(o->ctx->eng, &b, ENG_FN_CREATE);
    if (rc == KV_EEXIST) {
        api_refuse(o->resp, API_E_EVENTS_EXISTS, "Event bus %s already exists.", b.name);
        return;
    }
    if (rc < 0) {
        internal(o, rc);
        return;
    }
    o->resp->durable = true;
    char arn[512];
    events_bus_arn(o->ctx, name, arn, sizeof(arn));
    api_jw_obj_begin(o->w);
    api_jw_kstr(o->w, "EventBusArn", arn);
    if (b.description)
        api_jw_kstr(o->w, "Description", b.description);
    api_jw_obj_end(o->w);
}

static void write_bus(op_t *o, const eng_evbus_t *b, bool describe)
{
    char arn[512];
    events_bus_arn(o->ctx, kv_slice_str(b->name), arn, sizeof(arn));
    api_jw_obj_begin(o->w);
    api_jw_kstr(o->w, "Name", b->name);
    api_jw_kstr(o->w, "Arn", arn);
    if (b->description)
        api_jw_kstr(o->w, "Description", b->description);
    epoch_s(o->w, "CreationTime", b->created_ms);
    epoch_s(o->w, "LastModifiedTime", b->modified_ms);
    if (describe && b->policy) /* issue 15 (package L2) */
        api_jw_kstr(o->w, "Policy", b->policy);
    api_jw_obj_end(o->w);
}

static void op_describe_bus(op_t *o)
{
    kv_slice_t bus;
    if (bus_arg(o, o->in, "Name", "name", &bus) < 0)
        return;
    ensure_default(o->ctx);
    eng_evbus_t *b;
    int rc = eng_evbus_get(o->ctx->eng, bus, o->a, &b);
    if (rc == KV_ENOTFOUND) {
        bus_missing(o, bus);
        return;
    }
    if (rc < 0) {
        internal(o, rc);
        return;
    }
    write_bus(o, b, true);
}

static void op_list_buses(op_t *o)
{
    kv_slice_t prefix, token;
    size_t limit;
    if (str_arg(o, o->in, "NamePrefix", "namePrefix", false, 1, 256, "/.-_", BUS_NAME_PAT,
                &prefix) < 0 ||
        page_args(o, &limit, &token) < 0)
        return;
    ensure_default(o->ctx);
    const char *pre = kv_arena_strndup(o->a, prefix.p, prefix.len);
    kv_slice_t after = token;
    api_jw_obj_begin(o->w);
    api_jw_key(o->w, "EventBuses");
    api_jw_arr_begin(o->w);
    size_t shown = 0;
    const char *last = NULL;
    bool more = true, left = false;
    /* a server holds at most a few hundred buses: the walk is bounded by its pages */
    for (int pages = 0; more && !left && pages < 1000; pages++) {
        eng_evbus_t *bs;
        size_t n;
        int rc = eng_evbus_list(o->ctx->eng, after, 100, o->a, &bs, &n, &more);
        if (rc < 0) {
            internal(o, rc);
            return;
        }
        for (size_t i = 0; i < n; i++) {
            if (prefix.len && !kv_slice_starts_with(kv_slice_str(bs[i].name), pre))
                continue;
            if (shown == limit) {
                left = true;
                break;
            }
            write_bus(o, &bs[i], false);
            shown++;
            last = bs[i].name;
        }
        if (n)
            after = kv_slice_str(bs[n - 1].name);
    }
    api_jw_arr_end(o->w);
    if (left)
        api_jw_kstr(o->w, "NextToken", last);
    api_jw_obj_end(o->w);
}

static void op_delete_bus(op_t *o)
{
    kv_slice_t name;
    if (str_arg(o, o->in, "Name", "name", true, 1, 256, "/.-_", BUS_NAME_PAT, &name) < 0)
        return;
    if (kv_slice_eq_str(name, EVENTS_DEFAULT_BUS)) {
        invalid(o, "Cannot delete event bus default.");
        return;
    }
    int rc = eng_evbus_delete(o->ctx->eng, name);
    events_rules_changed(o->ctx, name);
    if (rc == KV_ENOTEMPTY) {
        invalid(o, "EventBus can't be deleted since it has rules.");
        return;
    }
    if (rc < 0 && rc != KV_ENOTFOUND) { /* deleting a missing bus succeeds, as on AWS */
        internal(o, rc);
        return;
    }
    o->resp->durable = true;
    api_jw_obj_begin(o->w);
    api_jw_obj_end(o->w);
}

/* ---- PutEvents ---- */

static void entry_error(op_t *o, const char *code, const char *msg)
{
    api_jw_obj_begin(o->w);
    api_jw_kstr(o->w, "ErrorCode", code);
    api_jw_kstr(o->w, "ErrorMessage", msg);
    api_jw_obj_end(o->w);
}

/* An entry's size as EventBridge computes it (Time 14 bytes, Source, DetailType, Detail and
 * each Resources entry in UTF-8 bytes). */
static size_t entry_size(const api_json_t *e)
{
    size_t n = 0;
    if (api_json_get(e, "Time"))
        n += 14;
    n += api_json_str(api_json_get(e, "Source")).len;
    n += api_json_str(api_json_get(e, "DetailType")).len;
    n += api_json_str(api_json_get(e, "Detail")).len;
    api_json_t *r = api_json_get(e, "Resources");
    for (size_t i = 0; r && i < api_json_len(r); i++)
        n += api_json_str(api_json_at(r, i)).len;
    return n;
}

static void fmt_time(int64_t ms, char out[25])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 25, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void op_put_events(op_t *o)
{
    api_json_t *list = api_json_get(o->in, "Entries");
    if (list == NULL || events_jt(list) == API_J_NULL) {
        invalid(o, "1 validation error detected: Value null at 'entries' failed to satisfy "
                   "constraint: Member must not be null");
        return;
    }
    if (events_jt(list) != API_J_ARR) {
        api_refuse(o->resp, API_E_EVENTS_SERIALIZATION, "Entries must be a list");
        return;
    }
    size_t n = api_json_len(list);
    if (n < 1 || n > EVENTS_MAX_ENTRIES) {
        invalid(o,
                "1 validation error detected: Value '[...]' at 'entries' failed to satisfy "
                "constraint: Member must have length %s",
                n < 1 ? "greater than or equal to 1" : "less than or equal to 10");
        return;
    }
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (events_jt(api_json_at(list, i)) != API_J_OBJ) {
            api_refuse(o->resp, API_E_EVENTS_SERIALIZATION, "Entries must be objects");
            return;
        }
        total += entry_size(api_json_at(list, i));
        api_json_t *th = api_json_get(api_json_at(list, i), "TraceHeader");
        kv_slice_t ths = api_json_str(th);
        if (th && events_jt(th) != API_J_NULL && (ths.len < 1 || ths.len > 500)) {
            char f[48];
            snprintf(f, sizeof(f), "entries.%zu.member.traceHeader", i + 1);
            constraint(o, ths, f,
                       ths.len < 1 ? "have length greater than or equal to 1"
                                   : "have length less than or equal to 500");
            return;
        }
    }
    if (total > EVENTS_MAX_PUT_BYTES) {
        invalid(o, "Total size of the entries in the request is over the limit.");
        return;
    }
    ensure_default(o->ctx);
    size_t failed = 0;
    api_jw_obj_begin(o->w);
    api_jw_key(o->w, "Entries");
    api_jw_arr_begin(o->w);
    for (size_t i = 0; i < n; i++) {
        api_json_t *e = api_json_at(list, i);
        api_json_t *src = api_json_get(e, "Source"), *dt = api_json_get(e, "DetailType"),
                   *det = api_json_get(e, "Detail"), *res = api_json_get(e, "Resources"),
                   *tm = api_json_get(e, "Time"), *bn = api_json_get(e, "EventBusName");
        const char *code = NULL, *msg = NULL;
        api_json_t *detail = NULL;
        const char *jerr;
        kv_slice_t bus = KV_SLICE_LIT(EVENTS_DEFAULT_BUS);
        if (src == NULL || api_json_str(src).len == 0)
            code = "InvalidArgument",
            msg = "Parameter Source is not valid. Reason: Source is a required argument.";
        else if (dt == NULL || api_json_str(dt).len == 0)
            code = "InvalidArgument",
            msg = "Parameter DetailType is not valid. Reason: DetailType is a required argument.";
        else if (det == NULL || api_json_str(det).len == 0)
            code = "InvalidArgument",
            msg = "Parameter Detail is not valid. Reason: Detail is a required argument.";
        else if (api_json_parse(o->a, api_json_str(det), &detail, &jerr) < 0 ||
                 events_jt(detail) != API_J_OBJ)
            code = "MalformedDetail", msg = "Detail is malformed.";
        else if (res && events_jt(res) != API_J_ARR)
            code = "InvalidArgument", msg = "Parameter Resources is not valid.";
        else if (bn && events_jt(bn) != API_J_NULL) {
            kv_slice_t s = api_json_str(bn);
            api_arn_t arn;
            bus = s;
            /* An events ARN only, as bus_arg and the authorization (events_authz.c) read it:
             * another service's ARN ending in event-bus/<name> names no bus. */
            if (kv_slice_starts_with(s, "arn:") &&
                (!api_arn_parse(s, &arn) || !kv_slice_eq_str(arn.service, "events") ||
                 !api_arn_after(&arn, "event-bus/", &bus)))
                bus = KV_SLICE_NULL;
            if (bus.len == 0 || bus.len > 256 || !chars_ok(bus, "/.-_"))
                code = "InvalidArgument", msg = "Parameter EventBusName is not valid.";
        }
        int64_t when = kv_now_ms();
        if (!code && tm && events_jt(tm) != API_J_NULL) {
            double t;
            if (!api_json_num(tm, &t) || !isfinite(t) || t < 0 || t > 253402300799.0)
                code = "InvalidArgument", msg = "Parameter Time is not valid.";
            else
                when = (int64_t)(t * 1000);
        }
        for (size_t r = 0; !code && res && r < api_json_len(res); r++)
            if (events_jt(api_json_at(res, r)) != API_J_STR)
                code = "InvalidArgument", msg = "Parameter Resources is not valid.";
        if (code) {
            entry_error(o, code, msg);
            failed++;
            continue;
        }
        /* the event as targets receive it */
        char id[37], ts[25];
        kv_uuid4(id);
        fmt_time(when, ts);
        kv_buf_t ev;
        kv_buf_init(&ev, 1u << 20);
        api_jw_t w;
        api_jw_init(&w, &ev);
        api_jw_obj_begin(&w);
        api_jw_kstr(&w, "version", "0");
        api_jw_kstr(&w, "id", id);
        api_jw_key(&w, "detail-type");
        api_jw_str(&w, api_json_str(dt));
        api_jw_key(&w, "source");
        api_jw_str(&w, api_json_str(src));
        api_jw_kstr(&w, "account", API_ACCOUNT_ID);
        api_jw_kstr(&w, "time", ts);
        api_jw_kstr(&w, "region", o->ctx->region);
        api_jw_key(&w, "resources");
        api_jw_arr_begin(&w);
        for (size_t r = 0; res && r < api_json_len(res); r++)
            api_jw_str(&w, api_json_str(api_json_at(res, r)));
        api_jw_arr_end(&w);
        api_jw_key(&w, "detail");
        kv_buf_t dbuf;
        kv_buf_init(&dbuf, 1u << 20);
        api_json_dump(detail, &dbuf);
        api_jw_raw(&w, kv_buf_slice(&dbuf));
        kv_buf_dispose(&dbuf);
        api_jw_obj_end(&w);
        api_json_t *parsed = NULL;
        int rc = api_json_parse(o->a, kv_buf_slice(&ev), &parsed, &jerr);
        if (rc == 0)
            rc = events_accept(o->ctx, bus, kv_buf_slice(&ev), parsed);
        kv_buf_dispose(&ev);
        if (rc == KV_ENOTFOUND) {
            char *m = kv_arena_printf(o->a, "Event bus %.*s does not exist.", (int)bus.len,
                                      (const char *)bus.p);
            entry_error(o, "ResourceNotFoundException", m);
            failed++;
            continue;
        }
        if (rc < 0) {
            entry_error(o, rc == KV_ENOSPACE ? "ThrottlingException" : "InternalFailure",
                        rc == KV_ENOSPACE ? "Rate exceeded" : "Internal failure");
            failed++;
            continue;
        }
        o->resp->durable = true;
        api_jw_obj_begin(o->w);
        api_jw_kstr(o->w, "EventId", id);
        api_jw_obj_end(o->w);
    }
    api_jw_arr_end(o->w);
    api_jw_ku64(o->w, "FailedEntryCount", failed);
    api_jw_obj_end(o->w);
}

/* ---- rules ---- */

static const char *const state_names[] = {"ENABLED", "DISABLED",
                                          "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"};

typedef struct put_rule {
    op_t *o;
    kv_slice_t pattern, schedule, desc, role;
    bool has_pattern, has_schedule, has_desc, has_role, has_state;
    eng_evrule_state_t state;
    eng_tag_t *tags;
    size_t n_tags;
    bool tags_given;
} put_rule_t;

static int put_rule_fn(void *arg, eng_evrule_t *r, bool exists, kv_arena_t *a, bool *clear)
{
    put_rule_t *p = arg;
#define DUP(s) ((s).len ? kv_arena_strndup(a, (s).p, (s).len) : NULL)
    const char *old_sched = exists ? r->schedule : NULL;
    r->pattern = DUP(p->pattern);
    r->schedule = DUP(p->schedule);
    r->description = DUP(p->desc);
    r->role_arn = DUP(p->role);
    if (p->has_state || !exists)
        r->state = p->has_state ? p->state : ENG_EVR_ENABLED;
    if (!exists) {
        r->created_ms = kv_now_ms();
        r->tags = p->tags;
        r->n_tags = p->n_tags;
    }
#undef DUP
    *clear = (old_sched == NULL) != (r->schedule == NULL) ||
             (old_sched && strcmp(old_sched, r->schedule) != 0) || r->state == ENG_EVR_DISABLED;
    return 0;
}

static void op_put_rule(op_t *o)
{
    put_rule_t p = {.o = o};
    kv_slice_t name, bus, state;
    if (str_arg(o, o->in, "Name", "name", true, 1, 64, ".-_", RULE_NAME_PAT, &name) < 0 ||
        str_arg(o, o->in, "ScheduleExpression", "scheduleExpression", false, 0, 256, NULL, NULL,
                &p.schedule) < 0 ||
        str_arg(o, o->in, "EventPattern", "eventPattern", false, 0, API_PAT_MAX_LEN, NULL, NULL,
                &p.pattern) < 0 ||
        str_arg(o, o->in, "State", "state", false, 0, 64, NULL, NULL, &state) < 0 ||
        str_arg(o, o->in, "Description", "description", false, 0, 512, NULL, NULL, &p.desc) < 0 ||
        str_arg(o, o->in, "RoleArn", "roleArn", false, 1, 1600, NULL, NULL, &p.role) < 0 ||
        bus_arg(o, o->in, "EventBusName", "eventBusName", &bus) < 0 ||
        tags_arg(o, api_json_get(o->in, "Tags"), &p.tags, &p.n_tags) < 0)
        return;
    if (state.len) {
        size_t i = 0;
        while (i < 3 && !kv_slice_eq_str(state, state_names[i]))
            i++;
        if (i == 3) {
            constraint(o, state, "state",
                       "satisfy enum value set: [ENABLED, DISABLED, "
                       "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]");
            return;
        }
        p.has_state = true;
        p.state = (eng_evrule_state_t)i;
    }
    if (p.pattern.len == 0 && p.schedule.len == 0) {
        invalid(o, "Parameter(s) EventPattern or ScheduleExpression must be specified.");
        return;
    }
    if (p.schedule.len) {
        events_sched_t *s;
        if (!kv_slice_eq_str(bus, EVENTS_DEFAULT_BUS)) {
            invalid(o, "ScheduleExpression is supported only on the default event bus.");
            return;
        }
        if (events_sched_parse(o->a, p.schedule, &s) < 0) {
            invalid(o, "Parameter ScheduleExpression is not valid.");
            return;
        }
    }
    if (p.pattern.len) {
        api_pattern_t *pat;
        const char *err;
        if (api_pattern_compile(o->a, p.pattern, 0, &pat, &err) < 0) {
            api_refuse(o->resp, API_E_EVENTS_PATTERN, "%s", err);
            return;
        }
    }
    ensure_default(o->ctx);
    eng_evrule_t *rs;
    size_t n;
    bool more;
    if (eng_evrule_get(o->ctx->eng, bus, name, o->a, &rs) == KV_ENOTFOUND &&
        eng_evrule_list(o->ctx->eng, bus, KV_SLICE_NULL, EVENTS_MAX_RULES_PER_BUS, o->a, &rs, &n,
                        &more) == 0 &&
        more) {
        api_refuse(o->resp, API_E_EVENTS_LIMIT,
                   "The requested resource exceeds the maximum "
                   "number allowed.");
        return;
    }
    int rc = eng_evrule_modify(o->ctx->eng, bus, name, put_rule_fn, &p);
    events_rules_changed(o->ctx, bus); /* its compiled rules are stale */
    if (rc == KV_ENOTFOUND) {
        bus_missing(o, bus);
        return;
    }
    if (rc < 0) {
        internal(o, rc);
        return;
    }
    o->resp->durable = true;
    if (p.schedule.len)
        api_sched_kick(o->ctx, "events-schedule");
    char arn[1024];
    events_rule_arn(o->ctx, bus, name, arn, sizeof(arn));
    api_jw_obj_begin(o->w);
    api_jw_kstr(o->w, "RuleArn", arn);
    api_jw_obj_end(o->w);
}

static void write_rule(op_t *o, const eng_evrule_t *r, bool describe)
{
    char arn[1024];
    events_rule_arn(o->ctx, kv_slice_str(r->bus), kv_slice_str(r->name), arn, sizeof(arn));
    api_jw_obj_begin(o->w);
    api_jw_kstr(o->w, "Name", r->name);
    api_jw_kstr(o->w, "Arn", arn);
    if (r->pattern)
        api_jw_kstr(o->w, "EventPattern", r->pattern);
    if (r->schedule)
        api_jw_kstr(o->w, "ScheduleExpression", r->schedule);
    api_jw_kstr(o->w, "State", state_names[r->state]);
    if (r->description)
        api_jw_kstr(o->w, "Description", r->description);
    if (r->role_arn)
        api_jw_kstr(o->w, "RoleArn", r->role_arn);
    api_jw_kstr(o->w, "EventBusName", r->bus);
    if (describe)
        api_jw_kstr(o->w, "CreatedBy", API_ACCOUNT_ID);
    api_jw_obj_end(o->w);
}

/* Name and EventBusName of a rule operation, and the rule. @return -1 when refused. */
static int rule_args(op_t *o, const char *key, const char *field, kv_slice_t *name, kv_slice_t *bus,
                     eng_evrule_t **r)
{
    if (str_arg(o, o->in, key, field, true, 1, 64, ".-_", RULE_NAME_PAT, name) < 0 ||
        bus_arg(o, o->in, "EventBusName", "eventBusName", bus) < 0)
        return -1;
    if (r == NULL)
        return 0;
    int rc = eng_evrule_get(o->ctx->eng, *bus, *name, o->a, r);
    if (rc == KV_ENOTFOUND)
        return rule_missing(o, *bus, *name);
    if (rc < 0)
        return internal(o, rc);
    return 0;
}

static void op_describe_rule(op_t *o)
{
    kv_slice_t name, bus;
    eng_evrule_t *r;
    if (rule_args(o, "Name", "name", &name, &bus, &r) < 0)
        return;
    write_rule(o, r, true);
}

/* The rules of bus from token on (all of them: the callers filter, then page), and the start of
 * the answer: {"<key>": [. @return 0, or -1 with the error answered (no bus, storage). */
static int bus_rules(op_t *o, kv_slice_t bus, kv_slice_t token, const char *key, eng_evrule_t **rs,
                     size_t *n)
{
    ensure_default(o->ctx);
    if (!bus_exists(o->ctx, o->a, bus))
        return bus_missing(o, bus);
    bool more;
    int rc = eng_evrule_list(o->ctx->eng, bus, token, 0, o->a, rs, n, &more);
    if (rc < 0)
        return internal(o, rc);
    api_jw_obj_begin(o->w);
    api_jw_key(o->w, key);
    api_jw_arr_begin(o->w);
    return 0;
}

static void op_list_rules(op_t *o)
{
    kv_slice_t prefix, bus, token;
    size_t limit;
    if (str_arg(o, o->in, "NamePrefix", "namePrefix", false, 1, 64, ".-_", RULE_NAME_PAT, &prefix) <
            0 ||
        bus_arg(o, o->in, "EventBusName", "eventBusName", &bus) < 0 ||
        page_args(o, &limit, &token) < 0)
        return;
    eng_evrule_t *rs;
    size_t n;
    if (bus_rules(o, bus, token, "Rules", &rs, &n) < 0)
        return;
    size_t shown = 0;
    const char *last = NULL;
    bool left = false;
    char *pre = kv_arena_strndup(o->a, prefix.p, prefix.len);
    for (size_t i = 0; i < n; i++) {
        if (prefix.len && !kv_slice_starts_with(kv_slice_str(rs[i].name), pre))
            continue;
        if (shown == limit) {
            left = true;
            break;
        }
        write_rule(o, &rs[i], false);
        shown++;
        last = rs[i].name;
    }
    api_jw_arr_end(o->w);
    if (left)
        api_jw_kstr(o->w, "NextToken", last);
    api_jw_obj_end(o->w);
}

static void op_delete_rule(op_t *o)
{
    kv_slice_t name, bus;
    if (rule_args(o, "Name", "name", &name, &bus, NULL) < 0)
        return;
    int rc = eng_evrule_delete(o->ctx->eng, bus, name, true);
    events_rules_changed(o->ctx, bus);
    if (rc == KV_ENOTEMPTY) {
        invalid(o, "Rule can't be deleted since it has targets.");
        return;
    }
    if (rc < 0 && rc != KV_ENOTFOUND) { /* deleting a missing rule succeeds, as on AWS */
        internal(o, rc);
        return;
    }
    o->resp->durable = true;
    api_jw_obj_begin(o->w);
    api_jw_obj_end(o->w);
}

typedef struct set_state {
    eng_evrule_state_t state;
} set_state_t;

static int set_state_fn(void *arg, eng_evrule_t *r, bool exists, kv_arena_t *a, bool *clear)
{
    (void)a;
    set_state_t *s = arg;
    if (!exists)
        return KV_ENOTFOUND;
    if (r->state == s->state || (s->state == ENG_EVR_ENABLED && r->state == ENG_EVR_ENABLED_CT))
        return 1;
    r->state = s->state;
    *clear = true; /* a schedule starts again when enabled */
    return 0;
}

static void op_set_state(op_t *o, eng_evrule_state_t state)
{
    kv_slice_t name, bus;
    if (rule_args(o, "Name", "name", &name, &bus, NULL) < 0)
        return;
    set_state_t s = {state};
    int rc = eng_evrule_modify(o->ctx->eng, bus, name, set_state_fn, &s);
    events_rules_changed(o->ctx, bus); /* its compiled rules are stale */
    if (rc == KV_ENOTFOUND) {
        rule_missing(o, bus, name);
        return;
    }
    if (rc < 0) {
        internal(o, rc);
        return;
    }
    o->resp->durable = true;
    api_sched_kick(o->ctx, "events-schedule");
    api_jw_obj_begin(o->w);
    api_jw_obj_end(o->w);
}

static void op_list_rule_names(op_t *o)
{
    kv_slice_t target, bus, token;
    size_t limit;
    if (str_arg(o, o->in, "TargetArn", "targetArn", true, 1, 1600, NULL, NULL, &target) < 0 ||
        bus_arg(o, o->in, "EventBusName", "eventBusName", &bus) < 0 ||
        page_args(o, &limit, &token) < 0)
        return;
    eng_evrule_t *rs;
    size_t n;
    if (bus_rules(o, bus, token, "RuleNames", &rs, &n) < 0)
        return;
    size_t shown = 0;
    const char *last = NULL;
    bool left = false;
    for (size_t i = 0; i < n && !left; i++)
        for (size_t t = 0; t < rs[i].n_targets; t++) {
            api_json_t *tj;
            const char *err;
            if (api_json_parse(o->a, kv_slice_str(rs[i].targets[t]), &tj, &err) < 0 ||
                !kv_slice_eq(api_json_str(api_json_get(tj, "Arn")), target))
                continue;
            if (shown == limit) {
                left = true;
                break;
            }
            api_jw_cstr(o->w, rs[i].name);
            shown++;
            last = rs[i].name;
            break;
        }
    api_jw_arr_end(o->w);
    if (left)
        api_jw_kstr(o->w, "NextToken", last);
    api_jw_obj_end(o->w);
}

static void op_test_pattern(op_t *o)
{
    kv_slice_t pattern, event;
    if (str_arg(o, o->in, "EventPattern", "eventPattern", true, 0, API_PAT_MAX_LEN, NULL, NULL,
                &pattern) < 0 ||
        str_arg(o, o->in, "Event", "event", true, 0, 1u << 20, NULL, NULL, &event) < 0)
        return;
    api_pattern_t *p;
    const char *err;
    if (api_pattern_compile(o->a, pattern, 0, &p, &err) < 0) {
        api_refuse(o->resp, API_E_EVENTS_PATTERN, "%s", err);
        return;
    }
    api_json_t *ev;
    if (api_json_parse(o->a, event, &ev, &err) < 0 || events_jt(ev) != API_J_OBJ) {
        invalid(o, "Parameter Event is not valid.");
        return;
    }
    static const char *const need[] = {"id", "account", "source", "time", "region", "detail-type"};
    for (size_t i = 0; i < sizeof(need) / sizeof(*need); i++)
        if (api_json_get(ev, need[i]) == NULL) {
            invalid(o, "Parameter Event is not valid.");
            return;
        }
    api_jw_obj_begin(o->w);
    api_jw_kbool(o->w, "Result", api_pattern_match(p, ev));
    api_jw_obj_end(o->w);
}

/* ---- targets ---- */

/* Does the template's placeholder <name> name a path or a reserved variable? */
static bool placeholder_ok(const api_json_t *paths, kv_slice_t name)
{
    static const char *const reserved[] = {"aws.events.rule-arn", "aws.events.rule-name",
                                           "aws.events.event", "aws.events.event.json",
                                           "aws.events.event.ingestion-time"};
    for (size_t i = 0; i < sizeof(reserved) / sizeof(*reserved); i++)
        if (kv_slice_eq_str(name, reserved[i]))
            return true;
    void *it = NULL;
    const char *k;
    api_json_t *v;
    while (paths && api_json_next(paths, &it, &k, &v))
        if (kv_slice_eq_str(name, k))
            return true;
    return false;
}

/* Check one target (i: its position, for messages). @return -1 when refused. */
/* Whether text is one JSON text (RFC 8259: an object, an array or a bare value — a target's
 * Input may be "\"text\"" or 5): parsed as the only element of an array. */
static bool json_text(kv_arena_t *a, kv_slice_t text)
{
    kv_buf_t b;
    kv_buf_init(&b, text.len + 2);
    kv_buf_append_byte(&b, '[');
    kv_buf_append_slice(&b, text);
    kv_buf_append_byte(&b, ']');
    api_json_t *j;
    const char *err;
    bool ok = api_json_parse(a, kv_buf_slice(&b), &j, &err) == 0 && events_jt(j) == API_J_ARR &&
              api_json_len(j) == 1;
    kv_buf_dispose(&b);
    return ok;
}

static int check_target(op_t *o, const api_json_t *t, size_t i, kv_slice_t *id_out)
{
    char f[64];
    kv_slice_t id, arn, input, path, role;
    snprintf(f, sizeof(f), "targets.%zu.member.id", i + 1);
    if (str_arg(o, t, "Id", f, true, 1, 64, ".-_", RULE_NAME_PAT, &id) < 0)
        return -1;
    snprintf(f, sizeof(f), "targets.%zu.member.arn", i + 1);
    if (str_arg(o, t, "Arn", f, true, 1, 1600, NULL, NULL, &arn) < 0)
        return -1;
    snprintf(f, sizeof(f), "targets.%zu.member.roleArn", i + 1);
    if (str_arg(o, t, "RoleArn", f, false, 1, 1600, NULL, NULL, &role) < 0)
        return -1;
    snprintf(f, sizeof(f), "targets.%zu.member.input", i + 1);
    if (str_arg(o, t, "Input", f, false, 0, 8192, NULL, NULL, &input) < 0)
        return -1;
    snprintf(f, sizeof(f), "targets.%zu.member.inputPath", i + 1);
    if (str_arg(o, t, "InputPath", f, false, 0, 256, NULL, NULL, &path) < 0)
        return -1;
    *id_out = id;
    int idn = (int)id.len;
    const char *idp = (const char *)id.p;
    api_json_t *tr = api_json_get(t, "InputTransformer");
    if (tr && events_jt(tr) == API_J_NULL)
        tr = NULL;
    if ((input.len > 0) + (path.len > 0) + (tr != NULL) > 1)
        return invalid(o,
                       "Only one of Input, InputPath, or InputTransformer must be provided for "
                       "target %.*s.",
                       idn, idp);
    if (input.len && !json_text(o->a, input))
        return invalid(o, "Input for target %.*s is not a valid JSON text.", idn, idp);
    if (path.len && !events_path_valid(path))
        return invalid(o, "InputPath for target %.*s is invalid.", idn, idp);
    if (tr) {
        kv_slice_t tmpl;
        snprintf(f, sizeof(f), "targets.%zu.member.inputTransformer.inputTemplate", i + 1);
        if (str_arg(o, tr, "InputTemplate", f, true, 1, 8192, NULL, NULL, &tmpl) < 0)
            return -1;
        api_json_t *paths = api_json_get(tr, "InputPathsMap");
        if (paths && events_jt(paths) != API_J_NULL) {
            if (events_jt(paths) != API_J_OBJ)
                return api_refuse(o->resp, API_E_EVENTS_SERIALIZATION,
                                  "InputPathsMap must be a map");
            void *it = NULL;
            const char *k;
            api_json_t *v;
            size_t nk = 0;
            while (api_json_next(paths, &it, &k, &v)) {
                if (++nk > EVENTS_MAX_PATHS)
                    return invalid(o,
                                   "1 validation error detected: Value at "
                                   "'targets.%zu.member.inputTransformer.inputPathsMap' failed "
                                   "to satisfy constraint: Member must have length less than or "
                                   "equal to 100",
                                   i + 1);
                kv_slice_t ks = kv_slice_str(k);
                if (ks.len < 1 || ks.len > 256 || !chars_ok(ks, "_-"))
                    return invalid(o, "InputPathsMap for target %.*s contains invalid key %s.", idn,
                                   idp, k);
                if (kv_slice_starts_with(ks, "aws."))
                    return invalid(o, "InputPathsMap for target %.*s contains invalid key %s.", idn,
                                   idp, k);
                if (events_jt(v) != API_J_STR || api_json_str(v).len > 256 ||
                    !events_path_valid(api_json_str(v)))
                    return invalid(o,
                                   "InputPathsMap for target %.*s contains invalid JSONPath for "
                                   "key %s.",
                                   idn, idp, k);
            }
        } else
            paths = NULL;
        /* every <name> in the template names a path or a reserved variable */
        for (size_t p = 0; p < tmpl.len; p++) {
            if (tmpl.p[p] != '<')
                continue;
            size_t q = p + 1;
            while (q < tmpl.len && tmpl.p[q] != '>' && tmpl.p[q] != '<' && tmpl.p[q] != ' ' &&
                   tmpl.p[q] != '"' && q - p < 300)
                q++;
            if (q < tmpl.len && tmpl.p[q] == '>' && q > p + 1) {
                kv_slice_t nm = kv_slice(tmpl.p + p + 1, q - p - 1);
                if (!placeholder_ok(paths, nm))
                    return invalid(o,
                                   "InputTemplate for target %.*s contains invalid placeholder "
                                   "%.*s.",
                                   idn, idp, (int)nm.len, (const char *)nm.p);
                p = q;
            }
        }
    }
    api_json_t *rp = api_json_get(t, "RetryPolicy");
    if (rp && events_jt(rp) == API_J_OBJ) {
        int64_t v;
        api_json_t *x = api_json_get(rp, "MaximumRetryAttempts");
        if (x && (!api_json_int(x, &v) || v < 0 || v > 185))
            return invalid(o,
                           "1 validation error detected: Value at "
                           "'targets.%zu.member.retryPolicy.maximumRetryAttempts' failed to "
                           "satisfy constraint: Member must have value %s",
                           i + 1,
                           v < 0 ? "greater than or equal to 0" : "less than or equal to 185");
        x = api_json_get(rp, "MaximumEventAgeInSeconds");
        if (x && (!api_json_int(x, &v) || v < 60 || v > 86400))
            return invalid(o,
                           "1 validation error detected: Value at "
                           "'targets.%zu.member.retryPolicy.maximumEventAgeInSeconds' failed to "
                           "satisfy constraint: Member must have value %s",
                           i + 1,
                           v < 60 ? "greater than or equal to 60" : "less than or equal to 86400");
    }
    /* what the target is */
    api_arn_t a;
    if (!api_arn_parse(arn, &a))
        return invalid(o, "Parameter %.*s is not valid.", (int)arn.len, (const char *)arn.p);
    api_json_t *dlq = api_json_get(api_json_get(t, "DeadLetterConfig"), "Arn");
    if (dlq) {
        api_arn_t d;
        if (!api_arn_parse(api_json_str(dlq), &d) || !kv_slice_eq_str(d.service, "sqs"))
            return invalid(o, "The provided DeadLetterConfig ARN is not a valid SQS queue ARN.");
        if (!EVENTS_HAVE_MSG)
            return invalid(o, "DeadLetterConfig needs SQS, which this server does not have yet.");
    }
    if (kv_slice_eq_str(a.service, "lambda") || kv_slice_eq_str(a.service, "events"))
        return 0;
    if (kv_slice_eq_str(a.service, "sqs") && EVENTS_HAVE_MSG) {
        kv_slice_t g =
            api_json_str(api_json_get(api_json_get(t, "SqsParameters"), "MessageGroupId"));
        bool fifo = arn.len > 5 && memcmp(arn.p + arn.len - 5, ".fifo", 5) == 0;
        if (fifo && g.len == 0)
            return invalid(o, "Parameter(s) SqsParameters must be specified for target: %.*s.", idn,
                           idp);
        if (!fifo && g.len)
            return invalid(o, "Parameter(s) SqsParameters not supported for target: %.*s.", idn,
                           idp);
        return 0;
    }
    if (kv_slice_eq_str(a.service, "sns") && EVENTS_HAVE_MSG)
        return 0;
    return invalid(o,
                   "Parameter %.*s is not valid. Reason: this server delivers to Lambda "
                   "functions, SQS queues, SNS topics and event buses only.",
                   (int)arn.len, (const char *)arn.p);
}

typedef struct put_targets {
    op_t *o;
    const char **texts; /* the new targets' JSON */
    kv_slice_t *ids;
    size_t n;
    bool remove; /* RemoveTargets: ids only */
    bool too_many;
} put_targets_t;

static kv_slice_t target_id(kv_arena_t *a, const char *text)
{
    api_json_t *j;
    const char *err;
    if (api_json_parse(a, kv_slice_str(text), &j, &err) < 0)
        return KV_SLICE_NULL;
    return api_json_str(api_json_get(j, "Id"));
}

static int put_targets_fn(void *arg, eng_evrule_t *r, bool exists, kv_arena_t *a, bool *clear)
{
    (void)clear;
    put_targets_t *p = arg;
    if (!exists)
        return KV_ENOTFOUND;
    size_t cap = r->n_targets + p->n;
    const char **ts = kv_arena_calloc(a, cap ? cap : 1, sizeof(*ts));
    size_t n = 0;
    for (size_t i = 0; i < r->n_targets; i++) { /* keep those not replaced or removed */
        kv_slice_t id = target_id(a, r->targets[i]);
        bool hit = false;
        for (size_t j = 0; j < p->n && !hit; j++)
            hit = kv_slice_eq(id, p->ids[j]);
        if (!hit)
            ts[n++] = r->targets[i];
    }
    if (!p->remove)
        for (size_t j = 0; j < p->n; j++)
            ts[n++] = p->texts[j];
    if (n > EVENTS_MAX_TARGETS) {
        p->too_many = true;
        return KV_ETOOBIG;
    }
    r->targets = ts;
    r->n_targets = n;
    return 0;
}

static void op_put_targets(op_t *o, bool remove)
{
    kv_slice_t name, bus;
    if (rule_args(o, "Rule", "rule", &name, &bus, NULL) < 0)
        return;
    api_json_t *list = api_json_get(o->in, remove ? "Ids" : "Targets");
    const char *field = remove ? "ids" : "targets";
    if (list == NULL || events_jt(list) == API_J_NULL) {
        invalid(o,
                "1 validation error detected: Value null at '%s' failed to satisfy constraint: "
                "Member must not be null",
                field);
        return;
    }
    if (events_jt(list) != API_J_ARR) {
        api_refuse(o->resp, API_E_EVENTS_SERIALIZATION, "%s must be a list", field);
        return;
    }
    size_t n = api_json_len(list);
    if (n < 1 || n > 100) {
        invalid(o,
                "1 validation error detected: Value '[...]' at '%s' failed to satisfy "
                "constraint: Member must have length %s",
                field, n < 1 ? "greater than or equal to 1" : "less than or equal to 100");
        return;
    }
    put_targets_t p = {o,
                       kv_arena_calloc(o->a, n, sizeof(char *)),
                       kv_arena_calloc(o->a, n, sizeof(kv_slice_t)),
                       n,
                       remove,
                       false};
    for (size_t i = 0; i < n; i++) {
        api_json_t *t = api_json_at(list, i);
        if (remove) {
            char f[40];
            snprintf(f, sizeof(f), "ids.%zu.member", i + 1);
            kv_slice_t id = api_json_str(t);
            if (events_jt(t) != API_J_STR || id.len < 1 || id.len > 64 || !chars_ok(id, ".-_")) {
                constraint(o, id, f, "satisfy regular expression pattern: " RULE_NAME_PAT);
                return;
            }
            p.ids[i] = id;
            continue;
        }
        if (events_jt(t) != API_J_OBJ) {
            api_refuse(o->resp, API_E_EVENTS_SERIALIZATION, "Targets must be objects");
            return;
        }
        if (check_target(o, t, i, &p.ids[i]) < 0)
            return;
        for (size_t j = 0; j < i; j++)
            if (kv_slice_eq(p.ids[j], p.ids[i])) {
                invalid(o, "The same target ID cannot be used more than once in a request.");
                return;
            }
        kv_buf_t b;
        kv_buf_init(&b, 1u << 16);
        api_json_dump(t, &b);
        p.texts[i] = kv_arena_strndup(o->a, b.p, b.len);
        kv_buf_dispose(&b);
    }
    int rc = eng_evrule_modify(o->ctx->eng, bus, name, put_targets_fn, &p);
    events_rules_changed(o->ctx, bus); /* its compiled rules are stale */
    if (rc == KV_ENOTFOUND) {
        rule_missing(o, bus, name);
        return;
    }
    if (p.too_many) {
        api_refuse(o->resp, API_E_EVENTS_LIMIT,
                   "The requested resource exceeds the maximum number allowed.");
        return;
    }
    if (rc < 0) {
        internal(o, rc);
        return;
    }
    o->resp->durable = true;
    api_jw_obj_begin(o->w);
    api_jw_ku64(o->w, "FailedEntryCount", 0);
    api_jw_key(o->w, "FailedEntries");
    api_jw_arr_begin(o->w);
    api_jw_arr_end(o->w);
    api_jw_obj_end(o->w);
}

static void op_list_targets(op_t *o)
{
    kv_slice_t name, bus, token;
    size_t limit;
    eng_evrule_t *r;
    if (rule_args(o, "Rule", "rule", &name, &bus, &r) < 0 || page_args(o, &limit, &token) < 0)
        return;
    uint64_t from = 0;
    if (token.len && (!kv_slice_to_u64(token, &from) || from > r->n_targets)) {
        invalid(o, "The NextToken is not valid.");
        return;
    }
    api_jw_obj_begin(o->w);
    api_jw_key(o->w, "Targets");
    api_jw_arr_begin(o->w);
    size_t i = (size_t)from;
    for (; i < r->n_targets && i < from + limit; i++)
        api_jw_raw(o->w, kv_slice_str(r->targets[i]));
    api_jw_arr_end(o->w);
    if (i < r->n_targets) {
        char t[24];
        snprintf(t, sizeof(t), "%zu", i);
        api_jw_kstr(o->w, "NextToken", t);
    }
    api_jw_obj_end(o->w);
}

/* ---- tags ---- */

/* The bus or rule a ResourceARN names. @return 0 (*rule empty for a bus), -1 refused. */
static int resource_arg(op_t *o, kv_slice_t *bus, kv_slice_t *rule)
{
    kv_slice_t s;
    if (str_arg(o, o->in, "ResourceARN", "resourceARN", true, 1, 1600, NULL, NULL, &s) < 0)
        return -1;
    api_arn_t a;
    kv_slice_t rest;
    *rule = KV_SLICE_NULL;
    if (api_arn_parse(s, &a) && kv_slice_eq_str(a.service, "events")) {
        if (api_arn_after(&a, "event-bus/", bus))
            return 0;
        if (api_arn_after(&a, "rule/", &rest) && rest.len) {
            const uint8_t *slash = memchr(rest.p, '/', rest.len);
            if (slash == NULL) {
                *bus = KV_SLICE_LIT(EVENTS_DEFAULT_BUS);
                *rule = rest;
            } else {
                *bus = kv_slice(rest.p, (size_t)(slash - rest.p));
                *rule = kv_slice(slash + 1, rest.len - bus->len - 1);
            }
            return 0;
        }
    }
    return api_refuse(o->resp, API_E_EVENTS_NOT_FOUND, "Resource %.*s does not exist.", (int)s.len,
                      (const char *)s.p);
}

typedef struct tag_op {
    const eng_tag_t *add;
    size_t n_add;
    api_json_t *remove;
} tag_op_t;

/* Merge add into (t, n) and drop the keys of remove, in arena a. */
static void merge_tags(kv_arena_t *a, const tag_op_t *op, eng_tag_t **t, size_t *n)
{
    eng_tag_t *out = kv_arena_calloc(a, *n + op->n_add + 1, sizeof(*out));
    size_t m = 0;
    for (size_t i = 0; i < *n; i++) {
        bool drop = false;
        for (size_t j = 0; op->remove && j < api_json_len(op->remove) && !drop; j++)
            drop = kv_slice_eq_str(api_json_str(api_json_at(op->remove, j)), (*t)[i].key);
        for (size_t j = 0; j < op->n_add && !drop; j++)
            drop = strcmp(op->add[j].key, (*t)[i].key) == 0;
        if (!drop)
            out[m++] = (*t)[i];
    }
    for (size_t j = 0; j < op->n_add; j++)
        out[m++] = op->add[j];
    *t = out;
    *n = m;
}

static int rule_tags_fn(void *arg, eng_evrule_t *r, bool exists, kv_arena_t *a, bool *clear)
{
    (void)clear;
    if (!exists)
        return KV_ENOTFOUND;
    merge_tags(a, arg, &r->tags, &r->n_tags);
    return r->n_tags > EVENTS_MAX_TAGS ? KV_ETOOBIG : 0;
}

static void op_tags(op_t *o, events_op_t which)
{
    kv_slice_t bus, rule;
    if (resource_arg(o, &bus, &rule) < 0)
        return;
    tag_op_t t = {0};
    if (which == EVENTS_OP_tag_resource) {
        api_json_t *tl = api_json_get(o->in, "Tags");
        if (tl == NULL) {
            invalid(o, "1 validation error detected: Value null at 'tags' failed to satisfy "
                       "constraint: Member must not be null");
            return;
        }
        eng_tag_t *add;
        if (tags_arg(o, tl, &add, &t.n_add) < 0)
            return;
        t.add = add;
    } else if (which == EVENTS_OP_untag_resource) {
        t.remove = api_json_get(o->in, "TagKeys");
        if (t.remove == NULL || events_jt(t.remove) != API_J_ARR) {
            invalid(o, "1 validation error detected: Value null at 'tagKeys' failed to satisfy "
                       "constraint: Member must not be null");
            return;
        }
    }
    ensure_default(o->ctx);
    int rc;
    eng_tag_t *tags = NULL;
    size_t n_tags = 0;
    if (rule.len) {
        eng_evrule_t *r;
        if (which == EVENTS_OP_list_tags_for_resource) {
            rc = eng_evrule_get(o->ctx->eng, bus, rule, o->a, &r);
            if (rc == 0)
                tags = r->tags, n_tags = r->n_tags;
        } else
            rc = eng_evrule_modify(o->ctx->eng, bus, rule, rule_tags_fn, &t);
        if (rc == KV_ENOTFOUND) {
            rule_missing(o, bus, rule);
            return;
        }
    } else {
        eng_evbus_t *b;
        rc = eng_evbus_get(o->ctx->eng, bus, o->a, &b);
        if (rc == KV_ENOTFOUND) {
            bus_missing(o, bus);
            return;
        }
        if (rc == 0 && which == EVENTS_OP_list_tags_for_resource)
            tags = b->tags, n_tags = b->n_tags;
        else if (rc == 0) {
            merge_tags(o->a, &t, &b->tags, &b->n_tags);
            rc = b->n_tags > EVENTS_MAX_TAGS ? KV_ETOOBIG : 0;
            if (rc == 0)
                rc = eng_evbus_put(o->ctx->eng, b, ENG_FN_UPDATE);
        }
    }
    if (rc == KV_ETOOBIG) {
        api_refuse(o->resp, API_E_EVENTS_LIMIT,
                   "The requested resource exceeds the maximum number allowed.");
        return;
    }
    if (rc < 0) {
        internal(o, rc);
        return;
    }
    api_jw_obj_begin(o->w);
    if (which == EVENTS_OP_list_tags_for_resource)
        write_tags(o->w, tags, n_tags);
    else
        o->resp->durable = true;
    api_jw_obj_end(o->w);
}

/* ---- the service ---- */

static void events_dispatch(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    kv_slice_t body = kv_buf_slice(&req->_st->body);
    api_json_t *in;
    const char *err = NULL;
    if (body.len == 0)
        body = KV_SLICE_LIT("{}");
    if (api_json_parse(req->arena, body, &in, &err) < 0 || events_jt(in) != API_J_OBJ) {
        api_refuse(resp, API_E_EVENTS_SERIALIZATION, "%s", err ? err : "Expected a JSON object");
        return;
    }
    resp->status = 200;
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/x-amz-json-1.1"));
    /* issue 15 (package L2): the operation's action on its bus or rule, once decoded */
    if (events_authorize(ctx, req, resp, req->_st->op, in) < 0)
        return;
    api_jw_t w;
    api_jw_init(&w, &resp->body);
    op_t o = {ctx, req, resp, in, &w, req->arena};
    switch ((events_op_t)req->_st->op) {
    case EVENTS_OP_create_event_bus:
        op_create_bus(&o);
        break;
    case EVENTS_OP_describe_event_bus:
        op_describe_bus(&o);
        break;
    case EVENTS_OP_list_event_buses:
        op_list_buses(&o);
        break;
    case EVENTS_OP_delete_event_bus:
        op_delete_bus(&o);
        break;
    case EVENTS_OP_put_events:
        op_put_events(&o);
        break;
    case EVENTS_OP_put_rule:
        op_put_rule(&o);
        break;
    case EVENTS_OP_describe_rule:
        op_describe_rule(&o);
        break;
    case EVENTS_OP_list_rules:
        op_list_rules(&o);
        break;
    case EVENTS_OP_delete_rule:
        op_delete_rule(&o);
        break;
    case EVENTS_OP_enable_rule:
        op_set_state(&o, ENG_EVR_ENABLED);
        break;
    case EVENTS_OP_disable_rule:
        op_set_state(&o, ENG_EVR_DISABLED);
        break;
    case EVENTS_OP_list_rule_names_by_target:
        op_list_rule_names(&o);
        break;
    case EVENTS_OP_test_event_pattern:
        op_test_pattern(&o);
        break;
    case EVENTS_OP_put_targets:
        op_put_targets(&o, false);
        break;
    case EVENTS_OP_remove_targets:
        op_put_targets(&o, true);
        break;
    case EVENTS_OP_list_targets_by_rule:
        op_list_targets(&o);
        break;
    case EVENTS_OP_tag_resource:
    case EVENTS_OP_untag_resource:
    case EVENTS_OP_list_tags_for_resource:
        op_tags(&o, (events_op_t)req->_st->op);
        break;
    case EVENTS_OP_put_permission:
    case EVENTS_OP_remove_permission:
        ensure_default(ctx);
        events_op_permission(ctx, req, resp, in, &w, req->_st->op == EVENTS_OP_put_permission);
        break;
    default: {
        kv_slice_t t = req->_st->target;
        api_refuse(resp, API_E_EVENTS_UNKNOWN_OP, "Operation %.*s is not supported by this server",
                   (int)(t.len > 64 ? 64 : t.len), (const char *)t.p);
    }
    }
    if (!resp->_err && !api_jw_ok(&w))
        api_refuse(resp, API_E_EVENTS_INTERNAL, "The response was too large");
}

static const api_op_desc_t events_ops[] = {
#define XX(Name, cname) {.name = #Name, .flags = 0},
    EVENTS_OP_MAP(XX)
#undef XX
};

static const char *const events_scopes[] = {"events", NULL};

static const api_job_t events_jobs[] = {
    {"events-deliver", 1000, true, events_deliver_run},
    {"events-schedule", 60000, false, events_schedule_run},
};

const api_service_t events_service = {
    .name = "events",
    .scopes = events_scopes,
    .target_prefix = EVENTS_TARGET_PREFIX,
    .ops = events_ops,
    .n_ops = EVENTS_OP__COUNT,
    .body_max = 1u << 20, /* PutEvents: 256 KB of entries, JSON-escaped */
    .dispatch = events_dispatch,
    .finish = api_json11_finish,
    .ids = API_IDS_UUID,
    .err_internal = API_E_EVENTS_INTERNAL,
    .err_throttle = API_E_EVENTS_THROTTLING,
    .iam_prefix = "events",
    .err_denied = API_E_EVENTS_ACCESS_DENIED,
    .err_too_large = API_E_EVENTS_VALIDATION,
    .err_stream_large = API_E_EVENTS_VALIDATION,
    .jobs = events_jobs,
    .n_jobs = sizeof(events_jobs) / sizeof(events_jobs[0]),
    .init = events_init,
    .fini = events_fini,
};
