/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The CloudWatch Logs API (JSON 1.1, X-Amz-Target Logs_20140328.*) over the log groups
 * engine/eng_fnlog.h lays out: what the function runner writes (a function's group, one
 * stream per instance) and the user's own groups and streams. Reads: DescribeLogGroups,
 * DescribeLogStreams, GetLogEvents, FilterLogEvents; writes: CreateLogGroup, CreateLogStream,
 * PutLogEvents, DeleteLogStream, DeleteLogGroup, PutRetentionPolicy and DeleteRetentionPolicy,
 * whose expired events the "log-retention" job deletes.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../codec/api_json_r.h"
#include "../codec/api_jw.h"
#include "api_arn.h"
#include "api_service.h"
#include "base/kv_alloc.h"
#include "base/kv_arena.h"
#include "base/kv_err.h"
#include "base/kv_time.h"
#include "eng_fnlog.h"
#include "lambda_int.h"

#define GROUP_PREFIX    ENG_FNLOG_GROUP_PREFIX
#define EVENTS_MAX      10000
#define EVENT_BYTES_MAX (1u << 20) /* a response's events */
#define LIST_MAX        50
#define LOG_DIR_MAX     4800 /* a group directory's path */

/* ---- names and files ---- */

/* The directory of a log group, or -1 (a ResourceNotFoundException is recorded). */
static int group_dir(api_ctx_t *ctx, api_resp_t *resp, kv_slice_t group, char *out, size_t cap)
{
    struct stat st;
    if (eng_fnlog_group_name_ok(group))
        eng_fnlog_group_path(ctx->data_dir, group, out, cap);
    if (!eng_fnlog_group_name_ok(group) || stat(out, &st) < 0 || !S_ISDIR(st.st_mode))
        return api_refuse(resp, API_E_LOGS_NOT_FOUND, "The specified log group does not exist.");
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of dir that pass keep, sorted; in the arena. */
static size_t list_dir(kv_arena_t *a, const char *dir, bool streams, char ***out)
{
    size_t n = 0, cap = 16;
    char **names = kv_malloc(cap * sizeof(*names));
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (streams ? !eng_fnlog_is_stream_file(e->d_name)
                    : !eng_fnlog_group_ok(kv_slice_str(e->d_name)) && e->d_name[0] != '@')
            continue;
        if (n == cap) {
            cap *= 2;
            names = kv_realloc(names, cap * sizeof(*names));
        }
        names[n++] = kv_arena_strndup(a, e->d_name, strlen(e->d_name));
    }
    if (d)
        closedir(d);
    qsort(names, n, sizeof(*names), cmp_str);
    *out = kv_arena_calloc(a, n + 1, sizeof(**out));
    memcpy(*out, names, n * sizeof(*names));
    kv_free(names);
    return n;
}

/* ---- reading events ---- */

typedef eng_fnlog_event_t event_t;

static void write_event(api_jw_t *w, const event_t *ev, const char *stream, long id)
{
    api_jw_obj_begin(w);
    if (stream)
        api_jw_kstr(w, "logStreamName", stream);
    api_jw_key(w, "timestamp");
    api_jw_i64(w, ev->ts);
    api_jw_key(w, "message");
    api_jw_str(w, ev->msg);
    api_jw_key(w, "ingestionTime");
    api_jw_i64(w, ev->ts);
    if (stream) {
        char eid[64];
        snprintf(eid, sizeof(eid), "%020lld%020ld", (long long)ev->ts, id);
        api_jw_kstr(w, "eventId", eid);
    }
    api_jw_obj_end(w);
}

/* ---- requests ---- */

static int64_t opt_int(const api_json_t *in, const char *key, int64_t dflt)
{
    const api_json_t *v = api_json_get(in, key);
    int64_t x;
    return v && api_json_int(v, &x) ? x : dflt;
}

static kv_slice_t opt_str(const api_json_t *in, const char *key)
{
    const api_json_t *v = api_json_get(in, key);
    return v && api_json_type(v) == API_J_STR ? api_json_str(v) : KV_SLICE_NULL;
}

/* Refusals of a request's member: missing, or not matching pattern (value shown). */
static int refuse_null(api_resp_t *resp, const char *member)
{
    return api_refuse(resp, API_E_LOGS_INVALID_PARAM,
                      "1 validation error detected: Value null at '%s' failed to satisfy "
                      "constraint: Member must not be null",
                      member);
}

static int refuse_pattern(api_resp_t *resp, const char *member, kv_slice_t value,
                          const char *pattern)
{
    return api_refuse(resp, API_E_LOGS_INVALID_PARAM,
                      "1 validation error detected: Value '%.*s' at '%s' failed to satisfy "
                      "constraint: Member must satisfy regular expression pattern: %s",
                      (int)(value.len > 600 ? 600 : value.len), (const char *)value.p, member,
                      pattern);
}

static int refuse_no_stream(api_resp_t *resp)
{
    return api_refuse(resp, API_E_LOGS_NOT_FOUND, "The specified log stream does not exist.");
}

static int refuse_token(api_resp_t *resp)
{
    return api_refuse(resp, API_E_LOGS_INVALID_PARAM, "The specified nextToken is invalid.");
}

/* The reply of the operations that return nothing: {}. */
static int reply_empty(api_jw_t *w)
{
    api_jw_obj_begin(w);
    api_jw_obj_end(w);
    return 0;
}

static int need_group(api_resp_t *resp, const api_json_t *in, kv_slice_t *out)
{
    *out = opt_str(in, "logGroupName");
    return out->len ? 0 : refuse_null(resp, "logGroupName");
}

static int limit_in(api_resp_t *resp, const api_json_t *in, int64_t hi, int64_t *out)
{
    *out = opt_int(in, "limit", hi);
    if (*out < 1 || *out > hi)
        return api_refuse(resp, API_E_LOGS_INVALID_PARAM,
                          "1 validation error detected: Value '%lld' at 'limit' failed to satisfy "
                          "constraint: Member must have value less than or equal to %lld",
                          (long long)*out, (long long)hi);
    return 0;
}

static int cmp_group(const void *a, const void *b)
{
    return strcmp(((const eng_fnlog_group_t *)a)->name, ((const eng_fnlog_group_t *)b)->name);
}

static int op_describe_groups(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                              const api_json_t *in, api_jw_t *w)
{
    int64_t limit;
    if (limit_in(resp, in, LIST_MAX, &limit) < 0)
        return -1;
    kv_slice_t prefix = opt_str(in, "logGroupNamePrefix"), token = opt_str(in, "nextToken");
    char base[4200], path[4400];
    eng_fnlog_dir(ctx->eng, base, sizeof(base));
    char **names;
    size_t n = list_dir(req->arena, base, false, &names);
    eng_fnlog_group_t *gs = kv_malloc((n + 1) * sizeof(*gs));
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (eng_fnlog_group_read(base, names[i], &gs[m]))
            m++;
    qsort(gs, m, sizeof(*gs), cmp_group);
    api_jw_obj_begin(w);
    api_jw_key(w, "logGroups");
    api_jw_arr_begin(w);
    int64_t shown = 0;
    const char *last = NULL,
               *after = token.len ? kv_arena_strndup(req->arena, token.p, token.len) : NULL;
    bool more = false;
    for (size_t i = 0; i < m; i++) {
        const eng_fnlog_group_t *g = &gs[i];
        if (prefix.len && strncmp(g->name, (const char *)prefix.p, prefix.len) != 0)
            continue;
        if (after && strcmp(g->name, after) <= 0) /* the token names the last group shown */
            continue;
        if (shown == limit) {
            more = true;
            break;
        }
        eng_fnlog_group_path(ctx->data_dir, kv_slice_str(g->name), path, sizeof(path));
        char **files;
        size_t nf = list_dir(req->arena, path, true, &files);
        uint64_t bytes = 0;
        struct stat st;
        for (size_t j = 0; j < nf; j++) {
            char fp[4500];
            snprintf(fp, sizeof(fp), "%s/%s", path, files[j]);
            if (stat(fp, &st) == 0)
                bytes += (uint64_t)st.st_size;
        }
        char arn[700];
        api_arn_write(arn, sizeof(arn), "logs", ctx->region, "log-group:%s:*", g->name);
        api_jw_obj_begin(w);
        api_jw_kstr(w, "logGroupName", g->name);
        api_jw_key(w, "creationTime");
        api_jw_i64(w, g->created_ms);
        if (g->retention_days)
            api_jw_ku64(w, "retentionInDays", g->retention_days);
        api_jw_ku64(w, "metricFilterCount", 0);
        api_jw_kstr(w, "arn", arn);
        api_jw_ku64(w, "storedBytes", bytes);
        if (g->kms[0])
            api_jw_kstr(w, "kmsKeyId", g->kms);
        arn[strlen(arn) - 2] = 0; /* logGroupArn: without the trailing ":*" */
        api_jw_kstr(w, "logGroupArn", arn);
        api_jw_kstr(w, "logGroupClass", "STANDARD");
        api_jw_obj_end(w);
        shown++;
        last = kv_arena_strndup(req->arena, g->name, strlen(g->name));
    }
    api_jw_arr_end(w);
    if (more && last)
        api_jw_kstr(w, "nextToken", last);
    api_jw_obj_end(w);
    kv_free(gs);
    return 0;
}

/* The first and last event times of a stream file. */
static void stream_times(const char *path, int64_t *first, int64_t *last)
{
    *first = *last = 0;
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return;
    kv_buf_t line;
    kv_buf_init(&line, 1u << 20);
    event_t ev;
    long off = 0;
    if (eng_fnlog_next(f, &off, &line, &ev))
        *first = *last = ev.ts;
    /* The last line: scan the file's tail. */
    if (fseek(f, 0, SEEK_END) == 0) {
        long end = ftell(f);
        off = end > 4096 ? end - 4096 : 0;
        if (off > 0) { /* start at a line boundary */
            fseek(f, off, SEEK_SET);
            int c;
            while ((c = getc(f)) != EOF && c != '\n')
                off++;
            off++;
        }
        while (eng_fnlog_next(f, &off, &line, &ev))
            *last = ev.ts;
    }
    kv_buf_dispose(&line);
    fclose(f);
}

typedef struct {
    const char *file, *name;
    int64_t first, last, created;
    uint64_t bytes;
} sinfo_t;

static int cmp_stream_name(const void *a, const void *b)
{
    return strcmp(((const sinfo_t *)a)->name, ((const sinfo_t *)b)->name);
}

static int cmp_stream_time(const void *a, const void *b)
{
    int64_t x = ((const sinfo_t *)a)->last, y = ((const sinfo_t *)b)->last;
    return x < y ? -1 : x > y ? 1 : cmp_stream_name(a, b);
}

static int op_describe_streams(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                               const api_json_t *in, api_jw_t *w)
{
    kv_slice_t group;
    char dir[4400];
    int64_t limit;
    if (need_group(resp, in, &group) < 0 || limit_in(resp, in, LIST_MAX, &limit) < 0 ||
        group_dir(ctx, resp, group, dir, sizeof(dir)) < 0)
        return -1;
    kv_slice_t order = opt_str(in, "orderBy"), prefix = opt_str(in, "logStreamNamePrefix");
    bool by_time = kv_slice_eq_str(order, "LastEventTime");
    if (order.len && !by_time && !kv_slice_eq_str(order, "LogStreamName"))
        return api_refuse(
            resp, API_E_LOGS_INVALID_PARAM,
            "1 validation error detected: Value '%.*s' at 'orderBy' failed to satisfy "
            "constraint: Member must satisfy enum value set: [LogStreamName, "
            "LastEventTime]",
            (int)(order.len > 64 ? 64 : order.len), (const char *)order.p);
    if (by_time && prefix.len)
        return api_refuse(resp, API_E_LOGS_INVALID_PARAM,
                          "Cannot order by LastEventTime with a logStreamNamePrefix.");
    const api_json_t *dv = api_json_get(in, "descending");
    bool desc = dv && api_json_bool(dv);
    int64_t skip = opt_int(in, "nextToken", 0);
    kv_slice_t tok = opt_str(in, "nextToken");
    if (tok.len)
        skip = strtoll(kv_arena_strndup(req->arena, tok.p, tok.len), NULL, 10);
    char **files;
    size_t n = list_dir(req->arena, dir, true, &files);
    sinfo_t *si = kv_arena_calloc(req->arena, n + 1, sizeof(*si));
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        char name[ENG_FNLOG_SNAME_MAX + 1], path[4500];
        int64_t created;
        if (!eng_fnlog_stream_name_in(dir, files[i], name, sizeof(name), &created))
            continue;
        if (prefix.len && strncmp(name, (const char *)prefix.p, prefix.len) != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        struct stat st;
        si[m].file = files[i];
        si[m].name = kv_arena_strndup(req->arena, name, strlen(name));
        si[m].bytes = stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
        stream_times(path, &si[m].first, &si[m].last);
        si[m].created = created ? created : si[m].first;
        m++;
    }
    qsort(si, m, sizeof(*si), by_time ? cmp_stream_time : cmp_stream_name);
    api_jw_obj_begin(w);
    api_jw_key(w, "logStreams");
    api_jw_arr_begin(w);
    int64_t shown = 0;
    for (size_t k = (size_t)(skip > 0 ? skip : 0); k < m && shown < limit; k++, shown++) {
        const sinfo_t *s = &si[desc ? m - 1 - k : k];
        char arn[1200];
        api_arn_write(arn, sizeof(arn), "logs", ctx->region, "log-group:%.*s:log-stream:%s",
                      (int)group.len, (const char *)group.p, s->name);
        api_jw_obj_begin(w);
        api_jw_kstr(w, "logStreamName", s->name);
        api_jw_key(w, "creationTime");
        api_jw_i64(w, s->created);
        if (s->first) {
            api_jw_key(w, "firstEventTimestamp");
            api_jw_i64(w, s->first);
            api_jw_key(w, "lastEventTimestamp");
            api_jw_i64(w, s->last);
            api_jw_key(w, "lastIngestionTime");
            api_jw_i64(w, s->last);
        }
        api_jw_kstr(w, "arn", arn);
        api_jw_ku64(w, "storedBytes", s->bytes);
        api_jw_obj_end(w);
    }
    api_jw_arr_end(w);
    size_t next = (size_t)(skip > 0 ? skip : 0) + (size_t)shown;
    if (next < m) {
        char t[32];
        snprintf(t, sizeof(t), "%zu", next);
        api_jw_kstr(w, "nextToken", t);
    }
    api_jw_obj_end(w);
    return 0;
}

static int op_get_events(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                         api_jw_t *w)
{
    kv_slice_t group, stream = opt_str(in, "logStreamName"), token = opt_str(in, "nextToken");
    char dir[4400], file[48], path[4500];
    int64_t limit;
    if (need_group(resp, in, &group) < 0 || limit_in(resp, in, EVENTS_MAX, &limit) < 0 ||
        group_dir(ctx, resp, group, dir, sizeof(dir)) < 0)
        return -1;
    int64_t t0 = opt_int(in, "startTime", INT64_MIN), t1 = opt_int(in, "endTime", INT64_MAX);
    const api_json_t *hv = api_json_get(in, "startFromHead");
    bool head = hv && api_json_bool(hv);
    /* Tokens: "f/<offset>" reads forward from there, "b/<offset>" backward from there. */
    long at = -1;
    bool backward = !head;
    if (token.len) {
        if (token.len < 3 || (token.p[0] != 'f' && token.p[0] != 'b') || token.p[1] != '/')
            return refuse_token(resp);
        backward = token.p[0] == 'b';
        at = strtol(kv_arena_strndup(req->arena, token.p + 2, token.len - 2), NULL, 10);
    }
    struct stat st;
    if (!eng_fnlog_stream_file(stream, file) || !eng_fnlog_stream_is(dir, file, stream) ||
        (snprintf(path, sizeof(path), "%s/%s", dir, file), stat(path, &st) < 0))
        return refuse_no_stream(resp);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return refuse_no_stream(resp);
    kv_buf_t line;
    kv_buf_init(&line, 1u << 20);
    event_t ev;
    /* Forward: from at (0). Backward: the last `limit` events before at (the end). */
    size_t cap = (size_t)limit, n = 0, first = 0;
    long *starts = kv_calloc(cap, sizeof(*starts));
    long off = backward ? 0 : (at >= 0 ? at : 0), end_fwd = off, first_off = off;
    long stop = backward && at >= 0 ? at : LONG_MAX;
    size_t bytes = 0;
    while (off < stop && eng_fnlog_next(f, &off, &line, &ev)) {
        if (ev.end > stop)
            break;
        if (ev.ts < t0 || ev.ts >= t1) {
            if (!backward)
                end_fwd = off;
            continue;
        }
        if (backward) { /* keep a ring of the latest starts */
            starts[(first + n) % cap] = ev.start;
            if (n < cap)
                n++;
            else
                first = (first + 1) % cap;
            continue;
        }
        if ((int64_t)n == limit || bytes + line.len > EVENT_BYTES_MAX)
            break;
        starts[n++] = ev.start;
        bytes += line.len;
        end_fwd = off;
    }
    api_jw_obj_begin(w);
    api_jw_key(w, "events");
    api_jw_arr_begin(w);
    long lo = -1, hi = -1;
    for (size_t i = 0; i < n; i++) {
        long s = backward ? starts[(first + i) % cap] : starts[i];
        long o = s;
        if (!eng_fnlog_next(f, &o, &line, &ev))
            break;
        if (lo < 0)
            lo = ev.start;
        hi = ev.end;
        write_event(w, &ev, NULL, 0);
    }
    api_jw_arr_end(w);
    /* With nothing new, a token stays as it was: SDK paginators stop on a repeated token. */
    char fwd[40], back[40];
    snprintf(fwd, sizeof(fwd), "f/%ld", backward ? (hi >= 0 ? hi : (at >= 0 ? at : off)) : end_fwd);
    snprintf(back, sizeof(back), "b/%ld",
             lo >= 0 ? lo : (backward ? (at >= 0 ? at : 0) : first_off));
    api_jw_kstr(w, "nextForwardToken", fwd);
    api_jw_kstr(w, "nextBackwardToken", back);
    api_jw_obj_end(w);
    kv_free(starts);
    kv_buf_dispose(&line);
    fclose(f);
    return 0;
}

/* Does msg match a filter pattern: space-separated terms (or "quoted phrases") that must all
 * appear, a leading '-' excluding a term; empty matches everything. */
static bool pattern_match(kv_slice_t pat, kv_slice_t msg)
{
    size_t i = 0;
    while (i < pat.len) {
        while (i < pat.len && pat.p[i] == ' ')
            i++;
        if (i == pat.len)
            break;
        bool neg = pat.p[i] == '-';
        if (neg)
            i++;
        uint8_t term[512];
        size_t tl = 0;
        if (i < pat.len && pat.p[i] == '"') { /* a phrase; \" is a quote inside it */
            for (i++; i < pat.len && pat.p[i] != '"'; i++) {
                if (pat.p[i] == '\\' && i + 1 < pat.len)
                    i++;
                if (tl < sizeof(term))
                    term[tl++] = pat.p[i];
            }
            i++;
        } else {
            for (; i < pat.len && pat.p[i] != ' '; i++)
                if (tl < sizeof(term))
                    term[tl++] = pat.p[i];
        }
        bool found = tl == 0 || (msg.len >= tl && memmem(msg.p, msg.len, term, tl));
        if (found == neg)
            return false;
    }
    return true;
}

static int op_filter_events(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                            api_jw_t *w)
{
    kv_slice_t group, pat = opt_str(in, "filterPattern"), token = opt_str(in, "nextToken");
    char dir[4400];
    int64_t limit;
    if (need_group(resp, in, &group) < 0 || limit_in(resp, in, EVENTS_MAX, &limit) < 0 ||
        group_dir(ctx, resp, group, dir, sizeof(dir)) < 0)
        return -1;
    if (pat.len && (pat.p[0] == '{' || pat.p[0] == '['))
        return api_refuse(
            resp, API_E_LOGS_INVALID_PARAM,
            "Invalid filter pattern: JSON and space-delimited patterns are not supported "
            "here; use terms and quoted phrases");
    int64_t t0 = opt_int(in, "startTime", INT64_MIN), t1 = opt_int(in, "endTime", INT64_MAX);
    const api_json_t *only = api_json_get(in, "logStreamNames");
    kv_slice_t sprefix = opt_str(in, "logStreamNamePrefix");
    size_t from_file = 0;
    long from_off = 0;
    if (token.len) {
        char *t = kv_arena_strndup(req->arena, token.p, token.len), *slash = strchr(t, '/');
        if (slash == NULL)
            return refuse_token(resp);
        from_file = (size_t)strtoull(t, NULL, 10);
        from_off = strtol(slash + 1, NULL, 10);
    }
    char **files;
    size_t n = list_dir(req->arena, dir, true, &files);
    kv_buf_t line;
    kv_buf_init(&line, 1u << 20);
    api_jw_obj_begin(w);
    api_jw_key(w, "events");
    api_jw_arr_begin(w);
    int64_t shown = 0;
    size_t bytes = 0;
    bool more = false;
    size_t at_file = n;
    long at_off = 0;
    for (size_t i = from_file; i < n && !more; i++) {
        char name[ENG_FNLOG_SNAME_MAX + 1], path[4500];
        int64_t created;
        if (!eng_fnlog_stream_name_in(dir, files[i], name, sizeof(name), &created))
            continue;
        if (sprefix.len && strncmp(name, (const char *)sprefix.p, sprefix.len) != 0)
            continue;
        bool listed = only == NULL || api_json_type(only) != API_J_ARR;
        for (size_t k = 0; !listed && k < api_json_len(only); k++)
            listed = kv_slice_eq_str(api_json_str(api_json_at(only, k)), name);
        if (!listed)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        FILE *f = fopen(path, "re");
        if (f == NULL)
            continue;
        long off = i == from_file ? from_off : 0;
        event_t ev;
        for (;;) {
            long before = off;
            if (!eng_fnlog_next(f, &off, &line, &ev))
                break;
            if (ev.ts < t0 || ev.ts >= t1 || !pattern_match(pat, ev.msg))
                continue;
            if (shown == limit || bytes + line.len > EVENT_BYTES_MAX) {
                more = true;
                at_file = i;
                at_off = before;
                break;
            }
            write_event(w, &ev, name, ev.start);
            shown++;
            bytes += line.len;
        }
        fclose(f);
    }
    api_jw_arr_end(w);
    api_jw_key(w, "searchedLogStreams");
    api_jw_arr_begin(w);
    api_jw_arr_end(w);
    if (more) {
        char t[64];
        snprintf(t, sizeof(t), "%zu/%ld", at_file, at_off);
        api_jw_kstr(w, "nextToken", t);
    }
    api_jw_obj_end(w);
    kv_buf_dispose(&line);
    return 0;
}

static int op_delete_group(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                           api_jw_t *w)
{
    (void)req;
    kv_slice_t group;
    char dir[4400];
    if (need_group(resp, in, &group) < 0 || group_dir(ctx, resp, group, dir, sizeof(dir)) < 0)
        return -1;
    eng_fnlog_delete_group(dir);
    return reply_empty(w);
}

/* ---- writes: the user's own groups, streams and events ---- */

#define PUT_BATCH_MAX  1048576 /* messages' bytes plus 26 per event */
#define PUT_EVENT_OVER 26
#define PUT_EVENTS_MAX 10000
#define PUT_SPAN_MS    (24LL * 3600 * 1000)
#define PUT_NEW_MS     (2LL * 3600 * 1000)
#define PUT_OLD_MS     (14LL * 24 * 3600 * 1000)
#define DAY_MS         (24LL * 3600 * 1000)

static const uint32_t RETENTION_DAYS[] = {1,    3,    5,    7,    14,   30,  60,  90,
                                          120,  150,  180,  365,  400,  545, 731, 1096,
                                          1827, 2192, 2557, 2922, 3288, 3653};

static int group_name_in(api_resp_t *resp, const api_json_t *in, kv_slice_t *out)
{
    if (need_group(resp, in, out) < 0)
        return -1;
    if (!eng_fnlog_group_name_ok(*out))
        return refuse_pattern(resp, "logGroupName", *out, "[\\.\\-_/#A-Za-z0-9]+");
    return 0;
}

/* The group's record (its directory dir must exist). */
static void group_record(api_ctx_t *ctx, kv_slice_t group, eng_fnlog_group_t *g)
{
    char root[4200], dir[4800];
    eng_fnlog_dir(ctx->eng, root, sizeof(root));
    eng_fnlog_group_path(ctx->data_dir, group, dir, sizeof(dir));
    if (!eng_fnlog_group_read(root, dir + strlen(root) + 1, g)) {
        memset(g, 0, sizeof(*g));
        g->created_ms = kv_now_ms();
    }
    snprintf(g->name, sizeof(g->name), "%.*s", (int)group.len, (const char *)group.p);
}

static int op_create_group(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                           api_jw_t *w)
{
    (void)req;
    kv_slice_t group, kms = opt_str(in, "kmsKeyId");
    if (group_name_in(resp, in, &group) < 0)
        return -1;
    if (kv_slice_starts_with(group, "aws/")) /* CloudWatch reserves it */
        return api_refuse(resp, API_E_LOGS_INVALID_PARAM,
                          "Log group names can't start with the string aws/");
    if (kms.len > ENG_FNLOG_KMS_MAX)
        return api_refuse(resp, API_E_LOGS_INVALID_PARAM,
                          "1 validation error detected: Value at 'kmsKeyId' failed to satisfy "
                          "constraint: Member must have length less than or equal to 256");
    const api_json_t *tags = api_json_get(in, "tags");
    if (tags && (api_json_type(tags) != API_J_OBJ || api_json_len(tags) > 50))
        return api_refuse(resp, API_E_LOGS_INVALID_PARAM,
                          "1 validation error detected: Value at 'tags' failed to satisfy "
                          "constraint: Member must have length less than or equal to 50");
    eng_fnlog_group_t g;
    memset(&g, 0, sizeof(g));
    snprintf(g.name, sizeof(g.name), "%.*s", (int)group.len, (const char *)group.p);
    snprintf(g.kms, sizeof(g.kms), "%.*s", (int)kms.len, (const char *)kms.p);
    int rc = eng_fnlog_group_create(ctx->data_dir, &g);
    if (rc == KV_EEXIST)
        return api_refuse(resp, API_E_LOGS_EXISTS, "The specified log group already exists");
    if (rc < 0)
        return api_refuse(resp, API_E_LOGS_SERVICE, "The log group could not be created");
    resp->durable = true;
    return reply_empty(w);
}

static int stream_name_in(api_resp_t *resp, const api_json_t *in, kv_slice_t *name, char file[48])
{
    *name = opt_str(in, "logStreamName");
    if (name->len == 0)
        return refuse_null(resp, "logStreamName");
    if (!eng_fnlog_stream_file(*name, file))
        return refuse_pattern(resp, "logStreamName", *name, "[^:*]*");
    return 0;
}

/* The group and stream a stream operation names, the group's directory dir and
 * the stream's file name. */
static int stream_target(api_ctx_t *ctx, api_resp_t *resp, const api_json_t *in, kv_slice_t *group,
                         kv_slice_t *name, char dir[LOG_DIR_MAX], char file[48])
{
    if (need_group(resp, in, group) < 0 || stream_name_in(resp, in, name, file) < 0)
        return -1;
    return group_dir(ctx, resp, *group, dir, LOG_DIR_MAX);
}

/* CreateLogStream (create) or DeleteLogStream. */
static int op_stream(api_ctx_t *ctx, api_resp_t *resp, const api_json_t *in, api_jw_t *w,
                     bool create)
{
    kv_slice_t group, name;
    char dir[LOG_DIR_MAX], file[48];
    if (stream_target(ctx, resp, in, &group, &name, dir, file) < 0)
        return -1;
    if (!create) {
        if (!eng_fnlog_stream_is(dir, file, name) || eng_fnlog_stream_delete(dir, file) < 0)
            return refuse_no_stream(resp);
        return reply_empty(w);
    }
    int rc = eng_fnlog_stream_create(dir, name);
    if (rc == KV_EEXIST)
        return api_refuse(resp, API_E_LOGS_EXISTS, "The specified log stream already exists");
    if (rc < 0)
        return api_refuse(resp, API_E_LOGS_SERVICE, "The log stream could not be created");
    resp->durable = true;
    return reply_empty(w);
}

static int op_put_events(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                         api_jw_t *w)
{
    kv_slice_t group, name;
    char dir[LOG_DIR_MAX], file[48], path[4900];
    if (need_group(resp, in, &group) < 0 || stream_name_in(resp, in, &name, file) < 0)
        return -1;
    const api_json_t *evs = api_json_get(in, "logEvents");
    size_t n = evs && api_json_type(evs) == API_J_ARR ? api_json_len(evs) : 0;
    if (evs == NULL)
        return refuse_null(resp, "logEvents");
    if (n < 1 || n > PUT_EVENTS_MAX)
        return api_refuse(resp, API_E_LOGS_INVALID_PARAM,
                          "1 validation error detected: Value at 'logEvents' failed to satisfy "
                          "constraint: Member must have length %s",
                          n < 1 ? "greater than or equal to 1" : "less than or equal to 10000");
    int64_t *ts = kv_arena_calloc(req->arena, n, sizeof(*ts));
    kv_slice_t *msg = kv_arena_calloc(req->arena, n, sizeof(*msg));
    uint64_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        const api_json_t *e = api_json_at(evs, i);
        const api_json_t *t = api_json_type(e) == API_J_OBJ ? api_json_get(e, "timestamp") : NULL;
        const api_json_t *m = api_json_type(e) == API_J_OBJ ? api_json_get(e, "message") : NULL;
        if (t == NULL || !api_json_int(t, &ts[i]) || m == NULL || api_json_type(m) != API_J_STR)
            return api_refuse(
                resp, API_E_LOGS_INVALID_PARAM,
                "1 validation error detected: Value null at 'logEvents.%zu.member.%s' "
                "failed to satisfy constraint: Member must not be null",
                i + 1, t == NULL || !api_json_int(t, &ts[i]) ? "timestamp" : "message");
        msg[i] = api_json_str(m);
        if (msg[i].len == 0)
            return api_refuse(resp, API_E_LOGS_INVALID_PARAM,
                              "1 validation error detected: Value '' at 'logEvents.%zu.member."
                              "message' failed to satisfy constraint: Member must have length "
                              "greater than or equal to 1",
                              i + 1);
        bytes += msg[i].len + PUT_EVENT_OVER;
        if (i && ts[i] < ts[i - 1])
            return api_refuse(resp, API_E_LOGS_INVALID_PARAM,
                              "Log events in a single PutLogEvents request must be in "
                              "chronological order.");
    }
    if (bytes > PUT_BATCH_MAX)
        return api_refuse(resp, API_E_LOGS_INVALID_PARAM,
                          "Upload too large: %llu bytes exceeds limit of %u",
                          (unsigned long long)bytes, PUT_BATCH_MAX);
    if (group_dir(ctx, resp, group, dir, sizeof(dir)) < 0)
        return -1;
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    if (!eng_fnlog_stream_is(dir, file, name) || stat(path, &st) < 0)
        return refuse_no_stream(resp);
    eng_fnlog_group_t g;
    group_record(ctx, group, &g);
    /* Too old (14 days), expired (the group's retention) and too new (2 hours) are rejected
     * and reported; the rest are kept. Events are in order: those are a prefix and a suffix. */
    int64_t now = kv_now_ms();
    int64_t old_cut = now - PUT_OLD_MS,
            exp_cut = g.retention_days ? now - (int64_t)g.retention_days * DAY_MS : INT64_MIN;
    long too_old = -1, expired = -1, too_new = -1;
    size_t lo = 0, hi = n;
    for (size_t i = 0; i < n; i++) {
        if (ts[i] < old_cut)
            too_old = (long)i;
        if (ts[i] < exp_cut)
            expired = (long)i;
        if (ts[i] < old_cut || ts[i] < exp_cut)
            lo = i + 1;
        if (ts[i] > now + PUT_NEW_MS && too_new < 0) {
            too_new = (long)i;
            hi = i;
        }
    }
    if (lo < hi && ts[hi - 1] - ts[lo] > PUT_SPAN_MS)
        return api_refuse(resp, API_E_LOGS_INVALID_PARAM,
                          "The batch of log events in a single PutLogEvents request cannot span "
                          "more than 24 hours.");
    if (lo < hi && !eng_space_room(ctx->eng, bytes)) /* log files live beside the database */
        return api_refuse(resp, API_E_LOGS_SERVICE,
                          "The server's disk is nearly full: the events were not stored");
    if (lo < hi) {
        int rc = eng_fnlog_append(dir, file, ts + lo, msg + lo, hi - lo);
        if (rc == KV_ENOTFOUND)
            return refuse_no_stream(resp);
        if (rc < 0)
            return api_refuse(resp, API_E_LOGS_SERVICE, "The events could not be stored");
    }
    resp->durable = true;
    api_jw_obj_begin(w);
    char token[32];
    snprintf(token, sizeof(token), "%020lld", (long long)(st.st_size + (off_t)bytes));
    api_jw_kstr(w, "nextSequenceToken", token);
    if (too_old >= 0 || expired >= 0 || too_new >= 0) {
        api_jw_key(w, "rejectedLogEventsInfo");
        api_jw_obj_begin(w);
        if (too_new >= 0) {
            api_jw_key(w, "tooNewLogEventStartIndex");
            api_jw_i64(w, too_new);
        }
        if (too_old >= 0) {
            api_jw_key(w, "tooOldLogEventEndIndex");
            api_jw_i64(w, too_old);
        }
        if (expired >= 0) {
            api_jw_key(w, "expiredLogEventEndIndex");
            api_jw_i64(w, expired);
        }
        api_jw_obj_end(w);
    }
    api_jw_obj_end(w);
    return 0;
}

static int op_retention(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                        api_jw_t *w, bool put)
{
    (void)req;
    kv_slice_t group;
    char dir[LOG_DIR_MAX];
    if (need_group(resp, in, &group) < 0)
        return -1;
    uint32_t days = 0;
    if (put) {
        int64_t d = opt_int(in, "retentionInDays", -1);
        for (size_t i = 0; i < sizeof(RETENTION_DAYS) / sizeof(*RETENTION_DAYS); i++)
            if (d == RETENTION_DAYS[i])
                days = (uint32_t)d;
        if (days == 0)
            return api_refuse(resp, API_E_LOGS_INVALID_PARAM,
                              "1 validation error detected: Value '%lld' at 'retentionInDays' "
                              "failed to satisfy constraint: Member must satisfy enum value set: "
                              "[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, "
                              "1096, 1827, 2192, 2557, 2922, 3288, 3653]",
                              (long long)d);
    }
    if (group_dir(ctx, resp, group, dir, sizeof(dir)) < 0)
        return -1;
    eng_fnlog_group_t g;
    group_record(ctx, group, &g);
    g.retention_days = days;
    if (eng_fnlog_group_update(ctx->data_dir, &g) < 0)
        return api_refuse(resp, API_E_LOGS_SERVICE, "The retention policy could not be stored");
    resp->durable = true;
    if (put)
        api_sched_kick(ctx, "log-retention");
    return reply_empty(w);
}

/* ---- the retention job ---- */

/* Expired events of every group with a retention policy, at most budget stream files a step
 * (a pass resumes where the last step stopped: after `done` files). */
static int logs_retention_run(api_ctx_t *ctx, void *state, unsigned budget)
{
    (void)state;
    static _Thread_local size_t done; /* the one services thread runs it */
    char root[4200], dir[4800];
    eng_fnlog_dir(ctx->eng, root, sizeof(root));
    kv_arena_t *a = kv_arena_new(1 << 16);
    char **names;
    size_t n = list_dir(a, root, false, &names), seen = 0, worked = 0;
    int64_t now = kv_now_ms();
    bool more = false;
    for (size_t i = 0; i < n && !more; i++) {
        eng_fnlog_group_t g;
        if (!eng_fnlog_group_read(root, names[i], &g) || g.retention_days == 0)
            continue;
        snprintf(dir, sizeof(dir), "%s/%s", root, names[i]);
        char **files;
        size_t nf = list_dir(a, dir, true, &files);
        for (size_t j = 0; j < nf; j++, seen++) {
            if (seen < done)
                continue;
            if (worked == budget) {
                more = true;
                break;
            }
            eng_fnlog_expire(dir, files[j], now - (int64_t)g.retention_days * DAY_MS, now);
            worked++;
        }
    }
    done = more ? seen : 0;
    kv_arena_free(a);
    return more ? 0 : INT_MAX;
}

static const api_job_t logs_jobs[] = {
    {"log-retention", 60000, false, logs_retention_run},
};

void logs_dispatch(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    kv_slice_t target = req->_st->target;
    kv_slice_t op = kv_slice_starts_with(target, LOGS_TARGET_PREFIX)
                        ? kv_slice(target.p + sizeof(LOGS_TARGET_PREFIX) - 1,
                                   target.len - (sizeof(LOGS_TARGET_PREFIX) - 1))
                        : KV_SLICE_NULL;
    kv_slice_t body = kv_buf_slice(&req->_st->body);
    api_json_t *in;
    const char *err = NULL;
    if (body.len == 0)
        body = KV_SLICE_LIT("{}");
    if (api_json_parse(req->arena, body, &in, &err) < 0 || api_json_type(in) != API_J_OBJ) {
        api_refuse(resp, API_E_LOGS_SERIALIZATION, "%s", err ? err : "Expected a JSON object");
        return;
    }
    /* Authorization once decoded (issue 15); an unknown operation is refused below. */
    if (req->_st->op >= 0 && req->_st->op < LOGS_OP__COUNT && logs_authz(ctx, req, resp, in) < 0)
        return;
    resp->status = 200;
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/x-amz-json-1.1"));
    api_jw_t w;
    api_jw_init(&w, &resp->body);
    switch (req->_st->op) { /* api_begin's routing: LOGS_OP_MAP */
    case LOGS_OP_describe_log_groups:
        op_describe_groups(ctx, req, resp, in, &w);
        break;
    case LOGS_OP_describe_log_streams:
        op_describe_streams(ctx, req, resp, in, &w);
        break;
    case LOGS_OP_get_log_events:
        op_get_events(ctx, req, resp, in, &w);
        break;
    case LOGS_OP_filter_log_events:
        op_filter_events(ctx, req, resp, in, &w);
        break;
    case LOGS_OP_delete_log_group:
        op_delete_group(ctx, req, resp, in, &w);
        break;
    case LOGS_OP_create_log_group:
        op_create_group(ctx, req, resp, in, &w);
        break;
    case LOGS_OP_create_log_stream:
        op_stream(ctx, resp, in, &w, true);
        break;
    case LOGS_OP_delete_log_stream:
        op_stream(ctx, resp, in, &w, false);
        break;
    case LOGS_OP_put_log_events:
        op_put_events(ctx, req, resp, in, &w);
        break;
    case LOGS_OP_put_retention_policy:
        op_retention(ctx, req, resp, in, &w, true);
        break;
    case LOGS_OP_delete_retention_policy:
        op_retention(ctx, req, resp, in, &w, false);
        break;
    default:
        api_refuse(resp, API_E_LOGS_UNKNOWN_OP, "Operation %.*s is not supported by this server",
                   (int)(op.len > 64 ? 64 : op.len), (const char *)op.p);
    }
    if (!resp->_err && !api_jw_ok(&w))
        api_refuse(resp, API_E_LOGS_SERVICE, "The response was too large");
}

/* ---- the service ---- */

static const api_op_desc_t logs_ops[] = {
#define XX(Name, cname) {.name = #Name, .flags = 0},
    LOGS_OP_MAP(XX)
#undef XX
};

/* The JSON 1.1 protocol's error body and its headers. */
static void logs_finish(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    (void)ctx;
    if (resp->_err) {
        lambda_error_body(resp, "__type", api_err_code(resp->_err));
        api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/x-amz-json-1.1"));
    }
    api_resp_header(resp, "x-amzn-RequestId", kv_slice_str(req->_st->request_id));
}

static const char *const logs_scopes[] = {"logs", NULL};

const api_service_t logs_service = {
    .name = "logs",
    .scopes = logs_scopes,
    .target_prefix = LOGS_TARGET_PREFIX,
    .ops = logs_ops,
    .n_ops = LOGS_OP__COUNT,
    .body_max = 8u << 20, /* PutLogEvents: 1 MiB of messages, JSON-escaped, 10 000 events */
    .dispatch = logs_dispatch,
    .finish = logs_finish,
    .ids = API_IDS_AMZN,
    .err_internal = API_E_LOGS_SERVICE,
    .err_throttle = API_E_LOGS_THROTTLING,
    .iam_prefix = "logs",
    .err_denied = API_E_LOGS_ACCESS_DENIED,
    .err_too_large = API_E_DDB_TOO_LARGE, /* as the service has always answered */
    .err_stream_large = API_E_DDB_TOO_LARGE,
    .too_large_sized = true,
    .jobs = logs_jobs,
    .n_jobs = sizeof(logs_jobs) / sizeof(logs_jobs[0]),
};

/* ---- the runner's writer (api.h), over the engine's format ---- */

_Static_assert(API_FNLOG_LINE_MAX == ENG_FNLOG_LINE_MAX, "one line limit");
_Static_assert(sizeof(API_FNLOG_GROUP_PREFIX) == sizeof(ENG_FNLOG_GROUP_PREFIX),
               "one group prefix");

int api_fnlog_open(api_ctx_t *ctx, const char *group, const char *version, api_fnlog_t *w)
{
    eng_fnlog_w_t e;
    int rc = eng_fnlog_create(ctx->data_dir, group, version, &e);
    w->fd = e.fd;
    w->written = e.written;
    memcpy(w->stream, e.stream, sizeof(w->stream));
    return rc;
}

void api_fnlog_write(api_fnlog_t *w, int64_t ts_ms, const char *text, size_t len)
{
    eng_fnlog_w_t e = {w->fd, w->written, {0}};
    eng_fnlog_write(&e, ts_ms, text, len);
    w->fd = e.fd;
    w->written = e.written;
}

void api_fnlog_close(api_fnlog_t *w)
{
    eng_fnlog_w_t e = {w->fd, w->written, {0}};
    eng_fnlog_close(&e);
    w->fd = e.fd;
    w->written = e.written;
}
