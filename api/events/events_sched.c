/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EventBridge schedules: rate(N unit) and cron(minutes hours day-of-month month day-of-week
 * year) as EventBridge accepts them (UTC), their next fire times, and the events-schedule job,
 * which fires the due scheduled rules of the default bus: each fire writes its delivery records
 * and the rule's next fire time (state CF) in one batch, so a restart neither loses a fire nor
 * repeats one.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/kv_hash.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "events_int.h"

#define YEAR_MIN 1970
#define YEAR_MAX 2199

struct events_sched {
    int64_t rate_ms; /* rate(): the period; 0 for cron() */
    uint64_t minutes;
    uint32_t hours;
    uint32_t dom;             /* bits 1..31 */
    bool dom_any;             /* '?' */
    bool dom_last;            /* L: the month's last day */
    int dom_w;                /* nW: the weekday nearest day n (0: none; 32: LW) */
    uint16_t month;           /* bits 1..12 */
    uint8_t dow;              /* bits 1..7 (1 = Sunday) */
    bool dow_any;             /* '?' */
    int dow_last;             /* nL: the month's last weekday n (0: none) */
    int dow_nth_d, dow_nth_n; /* d#n: the n-th weekday d of the month */
    uint64_t years[4];        /* bits for YEAR_MIN.. */
};

int64_t events_minute_ms(void)
{
    const char *s = getenv("STRATUS_EVENTS_MINUTE_MS");
    long v = s ? strtol(s, NULL, 10) : 0;
    return v >= 10 && v <= 60000 ? v : 60000;
}

/* ---- rate() ---- */

static int parse_rate(kv_slice_t body, events_sched_t *s)
{
    /* "N unit": N a positive integer; unit singular for 1 and plural otherwise */
    size_t i = 0;
    uint64_t n = 0;
    while (i < body.len && body.p[i] >= '0' && body.p[i] <= '9' && i < 10)
        n = n * 10 + (body.p[i++] - '0');
    if (i == 0 || n == 0 || i >= body.len || body.p[i] != ' ')
        return -1;
    kv_slice_t unit = kv_slice(body.p + i + 1, body.len - i - 1);
    static const struct {
        const char *one, *many;
        int64_t minutes;
    } units[] = {{"minute", "minutes", 1}, {"hour", "hours", 60}, {"day", "days", 1440}};
    for (size_t u = 0; u < 3; u++)
        if (kv_slice_eq_str(unit, n == 1 ? units[u].one : units[u].many)) {
            s->rate_ms = (int64_t)n * units[u].minutes * events_minute_ms();
            return 0;
        }
    return -1;
}

/* ---- cron() ---- */

static const char *const month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
static const char *const day_names[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

/* A number or (names non-NULL) a name of field text t (upper-cased comparison). */
static bool field_value(kv_slice_t t, const char *const *names, int n_names, int base, int *out)
{
    if (t.len == 0)
        return false;
    if (names && t.len == 3)
        for (int i = 0; i < n_names; i++)
            if (kv_slice_eq_nocase(t, names[i])) {
                *out = base + i;
                return true;
            }
    int v = 0;
    for (size_t i = 0; i < t.len; i++) {
        if (t.p[i] < '0' || t.p[i] > '9' || i >= 4)
            return false;
        v = v * 10 + (t.p[i] - '0');
    }
    *out = v;
    return true;
}

/* Set the bits of one comma-separated part of a plain field (ranges, steps, '*'). */
static int set_part(kv_slice_t p, int lo, int hi, const char *const *names, int n_names,
                    uint64_t *bits, size_t n_words)
{
    int step = 1;
    const uint8_t *slash = memchr(p.p, '/', p.len);
    kv_slice_t r = p;
    if (slash) {
        r = kv_slice(p.p, (size_t)(slash - p.p));
        kv_slice_t st = kv_slice(slash + 1, p.len - r.len - 1);
        if (!field_value(st, NULL, 0, 0, &step) || step < 1 || step > hi)
            return -1;
    }
    int a, b;
    if (kv_slice_eq_str(r, "*")) {
        a = lo;
        b = hi;
    } else {
        const uint8_t *dash = memchr(r.p, '-', r.len);
        if (dash) {
            kv_slice_t x = kv_slice(r.p, (size_t)(dash - r.p));
            kv_slice_t y = kv_slice(dash + 1, r.len - x.len - 1);
            if (!field_value(x, names, n_names, lo, &a) || !field_value(y, names, n_names, lo, &b))
                return -1;
        } else {
            if (!field_value(r, names, n_names, lo, &a))
                return -1;
            b = slash ? hi : a;
        }
    }
    if (a < lo || a > hi || b < lo || b > hi || a > b)
        return -1;
    for (int v = a; v <= b; v += step) {
        size_t bit = (size_t)(v - (n_words > 1 ? lo : 0));
        if (bit / 64 >= n_words)
            return -1;
        bits[bit / 64] |= 1ull << (bit % 64);
    }
    return 0;
}

static int set_field(kv_slice_t f, int lo, int hi, const char *const *names, int n_names,
                     uint64_t *bits, size_t n_words)
{
    size_t start = 0;
    for (size_t i = 0; i <= f.len; i++)
        if (i == f.len || f.p[i] == ',') {
            if (set_part(kv_slice(f.p + start, i - start), lo, hi, names, n_names, bits, n_words) <
                0)
                return -1;
            start = i + 1;
        }
    return 0;
}

static int parse_cron(kv_slice_t body, events_sched_t *s)
{
    kv_slice_t f[6];
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= body.len; i++) {
        if (i < body.len && body.p[i] != ' ')
            continue;
        if (i > start) {
            if (n == 6)
                return -1;
            f[n++] = kv_slice(body.p + start, i - start);
        }
        start = i + 1;
    }
    if (n != 6)
        return -1;
    uint64_t w;
    if (set_field(f[0], 0, 59, NULL, 0, &s->minutes, 1) < 0)
        return -1;
    w = 0;
    if (set_field(f[1], 0, 23, NULL, 0, &w, 1) < 0)
        return -1;
    s->hours = (uint32_t)w;
    w = 0;
    if (set_field(f[3], 1, 12, month_names, 12, &w, 1) < 0)
        return -1;
    s->month = (uint16_t)w;
    if (set_field(f[5], YEAR_MIN, YEAR_MAX, NULL, 0, s->years, 4) < 0)
        return -1;
    /* day of month and day of week: exactly one is '?' */
    s->dom_any = kv_slice_eq_str(f[2], "?");
    s->dow_any = kv_slice_eq_str(f[4], "?");
    if (s->dom_any == s->dow_any)
        return -1;
    if (!s->dom_any) {
        kv_slice_t d = f[2];
        if (kv_slice_eq_str(d, "L"))
            s->dom_last = true;
        else if (kv_slice_eq_str(d, "LW"))
            s->dom_w = 32;
        else if (d.len >= 2 && d.p[d.len - 1] == 'W') {
            int v;
            if (!field_value(kv_slice(d.p, d.len - 1), NULL, 0, 0, &v) || v < 1 || v > 31)
                return -1;
            s->dom_w = v;
        } else {
            w = 0;
            if (set_field(d, 1, 31, NULL, 0, &w, 1) < 0)
                return -1;
            s->dom = (uint32_t)w;
        }
    }
    if (!s->dow_any) {
        kv_slice_t d = f[4];
        const uint8_t *hash = memchr(d.p, '#', d.len);
        if (hash) {
            int a, b;
            kv_slice_t x = kv_slice(d.p, (size_t)(hash - d.p));
            kv_slice_t y = kv_slice(hash + 1, d.len - x.len - 1);
            if (!field_value(x, day_names, 7, 1, &a) || !field_value(y, NULL, 0, 0, &b) || a < 1 ||
                a > 7 || b < 1 || b > 5)
                return -1;
            s->dow_nth_d = a;
            s->dow_nth_n = b;
        } else if (kv_slice_eq_str(d, "L")) {
            s->dow_last = 7;
        } else if (d.len >= 2 && d.p[d.len - 1] == 'L') {
            int a;
            if (!field_value(kv_slice(d.p, d.len - 1), day_names, 7, 1, &a) || a < 1 || a > 7)
                return -1;
            s->dow_last = a;
        } else {
            w = 0;
            if (set_field(d, 1, 7, day_names, 7, &w, 1) < 0)
                return -1;
            s->dow = (uint8_t)w;
        }
    }
    return 0;
}

int events_sched_parse(kv_arena_t *a, kv_slice_t expr, events_sched_t **out)
{
    events_sched_t *s = kv_arena_calloc(a, 1, sizeof(*s));
    int rc = -1;
    if (expr.len > 6 && expr.p[expr.len - 1] == ')') {
        if (kv_slice_starts_with(expr, "rate("))
            rc = parse_rate(kv_slice(expr.p + 5, expr.len - 6), s);
        else if (kv_slice_starts_with(expr, "cron("))
            rc = parse_cron(kv_slice(expr.p + 5, expr.len - 6), s);
    }
    if (rc == 0)
        *out = s;
    return rc;
}

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : d[m - 1];
}

/* Day of week, 1 = Sunday. */
static int weekday(int y, int m, int d)
{
    struct tm t = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = 12};
    time_t x = timegm(&t);
    struct tm o;
    gmtime_r(&x, &o);
    return o.tm_wday + 1;
}

/* Does the day match the day-of-month and day-of-week fields? */
static bool day_ok(const events_sched_t *s, int y, int m, int d)
{
    int last = days_in_month(y, m);
    if (!s->dom_any) {
        if (s->dom_last)
            return d == last;
        if (s->dom_w) {
            int target = s->dom_w == 32 ? last : (s->dom_w > last ? last : s->dom_w);
            int wd = weekday(y, m, target);
            int near = target;
            if (wd == 7) /* Saturday: Friday, or Monday when that leaves the month */
                near = target > 1 ? target - 1 : target + 2;
            else if (wd == 1) /* Sunday: Monday, or Friday when that leaves the month */
                near = target < last ? target + 1 : target - 2;
            return d == near;
        }
        return (s->dom >> d) & 1;
    }
    int wd = weekday(y, m, d);
    if (s->dow_last)
        return wd == s->dow_last && d + 7 > last;
    if (s->dow_nth_n)
        return wd == s->dow_nth_d && (d - 1) / 7 + 1 == s->dow_nth_n;
    return (s->dow >> wd) & 1;
}

int64_t events_sched_next(const events_sched_t *s, int64_t after_ms)
{
    if (s->rate_ms)
        return after_ms + s->rate_ms;
    time_t t = (time_t)(after_ms / 1000) / 60 * 60 + 60; /* the next whole minute */
    struct tm tm;
    gmtime_r(&t, &tm);
    int y = tm.tm_year + 1900, m = tm.tm_mon + 1, d = tm.tm_mday;
    int h0 = tm.tm_hour, mi0 = tm.tm_min;
    for (int days = 0; days < 366 * (YEAR_MAX - YEAR_MIN + 1) && y <= YEAR_MAX; days++) {
        int yb = y - YEAR_MIN;
        if (yb >= 0 && ((s->years[yb / 64] >> (yb % 64)) & 1) && ((s->month >> m) & 1) &&
            day_ok(s, y, m, d))
            for (int h = h0; h < 24; h++) {
                if (!((s->hours >> h) & 1))
                    continue;
                for (int mi = h == h0 ? mi0 : 0; mi < 60; mi++)
                    if ((s->minutes >> mi) & 1) {
                        struct tm o = {.tm_year = y - 1900,
                                       .tm_mon = m - 1,
                                       .tm_mday = d,
                                       .tm_hour = h,
                                       .tm_min = mi};
                        return (int64_t)timegm(&o) * 1000;
                    }
            }
        h0 = mi0 = 0;
        if (++d > days_in_month(y, m)) {
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
    }
    return -1;
}

/* ---- the events-schedule job ---- */

/* Fire rule r (due at due_ms): its Scheduled Event to each target, and its next fire time,
 * in one batch. */
static int fire(api_ctx_t *ctx, kv_arena_t *a, const eng_evrule_t *r, int64_t next_ms)
{
    char id[37], when[25], arn[1024];
    kv_uuid4(id);
    int64_t now = kv_now_ms();
    kv_time_fmt_iso(now / 1000 * 1000, when); /* "YYYY-MM-DDTHH:MM:SS.000Z" */
    memcpy(when + 19, "Z", 2);
    events_rule_arn(ctx, kv_slice_str(r->bus), kv_slice_str(r->name), arn, sizeof(arn));
    kv_buf_t ev;
    kv_buf_init(&ev, 1 << 16);
    api_jw_t w;
    api_jw_init(&w, &ev);
    api_jw_obj_begin(&w);
    api_jw_kstr(&w, "version", "0");
    api_jw_kstr(&w, "id", id);
    api_jw_kstr(&w, "detail-type", "Scheduled Event");
    api_jw_kstr(&w, "source", "aws.events");
    api_jw_kstr(&w, "account", API_ACCOUNT_ID);
    api_jw_kstr(&w, "time", when);
    api_jw_kstr(&w, "region", ctx->region);
    api_jw_key(&w, "resources");
    api_jw_arr_begin(&w);
    api_jw_cstr(&w, arn);
    api_jw_arr_end(&w);
    api_jw_key(&w, "detail");
    api_jw_raw(&w, KV_SLICE_LIT("{}"));
    api_jw_obj_end(&w);
    const char *evs = kv_arena_strndup(a, ev.p, ev.len);
    kv_buf_dispose(&ev);
    eng_evdel_t *d = kv_arena_calloc(a, r->n_targets ? r->n_targets : 1, sizeof(*d));
    for (size_t i = 0; i < r->n_targets; i++)
        d[i] = (eng_evdel_t){0, r->bus, r->name, r->targets[i], evs, 0, now, now, NULL, NULL};
    int rc = eng_evdel_add(ctx->eng, d, r->n_targets, kv_slice_str(r->bus), kv_slice_str(r->name),
                           next_ms);
    if (rc == 0 && r->n_targets)
        api_sched_kick(ctx, "events-deliver");
    return rc;
}

int events_schedule_run(api_ctx_t *ctx, void *state, unsigned budget)
{
    (void)state;
    (void)budget;
    kv_arena_t *a = kv_arena_new(1 << 16);
    eng_evrule_t *rs;
    size_t n;
    bool more;
    int64_t now = kv_now_ms(), wait = INT_MAX;
    kv_slice_t bus = KV_SLICE_LIT(EVENTS_DEFAULT_BUS);
    if (eng_evrule_list(ctx->eng, bus, KV_SLICE_NULL, 0, a, &rs, &n, &more) < 0)
        n = 0;
    for (size_t i = 0; i < n; i++) {
        const eng_evrule_t *r = &rs[i];
        events_sched_t *s;
        if (r->schedule == NULL || r->state == ENG_EVR_DISABLED ||
            events_sched_parse(a, kv_slice_str(r->schedule), &s) < 0)
            continue;
        kv_slice_t name = kv_slice_str(r->name);
        int64_t next;
        if (eng_evsched_get(ctx->eng, bus, name, &next) < 0) {
            /* first seen (created, changed or enabled): a rate fires one period from now */
            next = events_sched_next(s, now);
            if (next < 0 || eng_evsched_set(ctx->eng, bus, name, next) < 0)
                continue;
        }
        if (next <= now) {
            int64_t after = events_sched_next(s, next > now - 1 ? next : now);
            if (s->rate_ms && after <= now) /* missed fires while stopped: not replayed */
                after = now + s->rate_ms;
            if (fire(ctx, a, r, after < 0 ? INT64_MAX : after) < 0) {
                KV_LOG_WARN("events: rule %s: a scheduled fire could not be written", r->name);
                wait = 1000 < wait ? 1000 : wait;
                continue;
            }
            next = after < 0 ? INT64_MAX : after;
        }
        if (next - now < wait)
            wait = next - now;
    }
    kv_arena_free(a);
    return wait < 0 ? 0 : (int)wait;
}
