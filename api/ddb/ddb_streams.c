/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DynamoDB Streams API: ListStreams, DescribeStream, GetShardIterator, GetRecords over
 * the engine's stream records, in shards that roll over by time. Shard iterators carry the stream,
 * the position and their issue time under a MAC, and expire after 15 minutes.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "base/kv_hash.h"
#include "base/kv_time.h"
#include "ddb_int.h"

#define ITER_TTL_MS   (15 * 60 * 1000)
#define LIST_MAX      100
#define RECORDS_MAX   1000
#define RECORDS_BYTES (1u << 20)
#define PITR_KEEP_MS  (35LL * 86400 * 1000)
#define SEQ_DIGITS    21

void ddb_stream_label(int64_t created_ms, char out[25])
{
    kv_time_fmt_iso(created_ms, out);
    out[23] = 0; /* without the 'Z' */
}

void ddb_stream_arn(api_ctx_t *ctx, const eng_stream_t *s, char *out, size_t cap)
{
    char label[25];
    ddb_stream_label(s->created_ms, label);
    if (s->bucket) /* a bucket's event log */
        api_arn_write(out, cap, "s3", NULL, "%s/stream/%s", s->table, label);
    else
        api_arn_write(out, cap, "dynamodb", ctx->region, "table/%s/stream/%s", s->table, label);
}

/* A shard as the API shows it: records from first; a closed shard's end. */
typedef struct ddb_shard {
    int64_t start;
    uint64_t first, end;
    bool closed;
} ddb_shard_t;

static void shard_id(const eng_stream_t *s, int64_t start, char out[40])
{
    snprintf(out, 40, "shardId-%020llu-%08x", (unsigned long long)start, s->id);
}

/*
 * The shards of s: one per period it had records in or was read in (DynamoDB rolls a shard over
 * about every four hours; --stream-shard-seconds), each closed by the next, the last open in the
 * current period; wholly trimmed shards are left out (*parent then names the last of them, else
 * "").
 */
static int load_shards(api_ctx_t *ctx, kv_arena_t *a, const eng_stream_t *s, ddb_shard_t **out,
                       size_t *n, char parent[40], uint64_t *first, uint64_t *last,
                       uint64_t *trimmed)
{
    parent[0] = 0;
    /* One read of the shards and the bounds (they agree whatever is written meanwhile); an
     * enabled stream read in a new period gets that period's shard first, kept from then on. */
    int64_t now = kv_now_ms();
    eng_stream_layout_t v;
    int rc = eng_stream_layout(ctx->eng, s->id, s->disabled_ms ? 0 : now, a, &v);
    if (rc < 0)
        return rc;
    eng_shard_t *es = v.shards;
    size_t ne = v.n;
    *first = v.first;
    *last = v.last;
    *trimmed = v.trimmed;
    int64_t period = streams_state(ctx)->shard_ms;
    int64_t now_start = now / period * period;
    ddb_shard_t *sh = kv_arena_calloc(a, ne + 1, sizeof(*sh));
    size_t m = 0;
    for (size_t i = 0; i < ne; i++) {
        sh[m] = (ddb_shard_t){.start = es[i].start_ms, .first = es[i].first};
        if (i + 1 < ne) {
            sh[m].closed = true;
            sh[m].end = es[i + 1].first - 1;
        }
        m++;
    }
    bool rolled = m == 0 || sh[m - 1].start < now_start;
    if (s->disabled_ms) {
        if (m) {
            sh[m - 1].closed = true;
            sh[m - 1].end = *last;
        }
    } else if (rolled) {
        /* The current period's shard, when its marker could not be written (a full disk):
         * open before its first record arrives. */
        uint64_t next = *first;
        if (m) {
            sh[m - 1].closed = true;
            sh[m - 1].end = *last;
            next = *last + 1 > sh[m - 1].first ? *last + 1 : sh[m - 1].first;
        }
        int64_t start = m ? now_start : s->created_ms / period * period;
        sh[m++] = (ddb_shard_t){.start = start, .first = next};
    }
    if (m == 0) { /* a disabled stream that never had a record */
        sh[m++] = (ddb_shard_t){
            .start = s->created_ms, .first = *first, .closed = true, .end = *first - 1};
    }
    /* A closed shard no record came in ends just before its start (and before its child's). */
    for (size_t i = 0; i < m; i++)
        if (sh[i].closed && sh[i].end < sh[i].first)
            sh[i].end = sh[i].first - 1;
    size_t skip = 0;
    while (skip + 1 < m && sh[skip].closed && sh[skip].end <= *trimmed)
        skip++;
    if (skip)
        shard_id(s, sh[skip - 1].start, parent);
    *out = sh + skip;
    *n = m - skip;
    return 0;
}

static ddb_shard_t *find_shard(const eng_stream_t *s, ddb_shard_t *sh, size_t n, kv_slice_t id)
{
    for (size_t i = 0; i < n; i++) {
        char sid[40];
        shard_id(s, sh[i].start, sid);
        if (kv_slice_eq_str(id, sid))
            return &sh[i];
    }
    return NULL;
}

static void seq_text(uint64_t seq, char out[32])
{
    snprintf(out, 32, "%0*llu", SEQ_DIGITS, (unsigned long long)seq);
}

static int not_found(api_resp_t *resp, kv_slice_t arn)
{
    api_fail(resp, API_E_DDB_RESOURCE_NOT_FOUND,
             "Requested resource not found: Stream: %.*s not found",
             (int)(arn.len > 1024 ? 1024 : arn.len), (const char *)arn.p);
    return -1;
}

int ddb_stream_by_arn(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t arn, eng_stream_t **out)
{
    /* arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL, or a bucket's
     * arn:aws:s3:::BUCKET/stream/LABEL (neither name has a '/'). */
    static const char sprefix[] = "/stream/";
    api_arn_t parts;
    kv_slice_t r = KV_SLICE_NULL;
    if (!api_arn_parse(arn, &parts))
        return KV_EINVAL;
    bool bucket =
        kv_slice_eq_str(parts.service, "s3") && parts.region.len == 0 && parts.account.len == 0;
    if (bucket)
        r = parts.resource;
    else if (!kv_slice_eq_str(parts.service, "dynamodb") || !api_arn_after(&parts, "table/", &r))
        return KV_EINVAL;
    const uint8_t *st = memchr(r.p, '/', r.len);
    kv_slice_t table = kv_slice(r.p, st ? (size_t)(st - r.p) : r.len);
    kv_slice_t label = kv_slice(r.p + table.len, r.len - table.len);
    if (!kv_slice_starts_with(label, sprefix))
        return KV_EINVAL;
    label = kv_slice(label.p + sizeof(sprefix) - 1, label.len - (sizeof(sprefix) - 1));
    uint32_t after = 0;
    for (;;) {
        eng_stream_t *list;
        size_t n;
        bool more;
        int rc = eng_stream_list(ctx->eng, after, LIST_MAX, a, &list, &n, &more);
        if (rc < 0)
            return rc;
        for (size_t i = 0; i < n; i++) {
            char l[25];
            ddb_stream_label(list[i].created_ms, l);
            if (list[i].bucket == bucket && kv_slice_eq_str(table, list[i].table) &&
                kv_slice_eq_str(label, l)) {
                *out = &list[i];
                return 0;
            }
        }
        if (!more || n == 0)
            return KV_ENOTFOUND;
        after = list[n - 1].id;
    }
}

/* The stream an ARN names: its table and label, among the streams the catalog keeps. */
static int find_stream(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t arn,
                       eng_stream_t **out)
{
    int rc = ddb_stream_by_arn(ctx, req->arena, arn, out);
    if (rc == KV_EINVAL) {
        api_fail(resp, API_E_DDB_VALIDATION, "Invalid StreamArn");
        return -1;
    }
    if (rc == KV_ENOTFOUND)
        return not_found(resp, arn);
    if (rc < 0) {
        api_fail(resp, API_E_DDB_INTERNAL, NULL);
        return -1;
    }
    return 0;
}

/* An iterator: stream id, shard start, position, when issued, and a keyed hash of those. */
#define ITER_BODY 56
static void make_iter(api_ctx_t *ctx, uint32_t id, int64_t shard, uint64_t pos, char out[96])
{
    char body[64];
    snprintf(body, sizeof(body), "%08x%016llx%016llx%016llx", id, (unsigned long long)shard,
             (unsigned long long)pos, (unsigned long long)kv_now_ms());
    uint64_t mac = kv_xxh3_seed(body, ITER_BODY, streams_state(ctx)->iter_key);
    snprintf(out, 96, "%s%016llx", body, (unsigned long long)mac);
}

static bool hex_u64(const uint8_t *p, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return false;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return true;
}

/* ---- decode ---- */

static void opt_limit(ddb_dec_t *d, const api_json_t *in, int64_t max, ddb_streams_in_t *out)
{
    if (ddb_opt_int(d, in, "Limit", &out->limit) && (out->limit < 1 || out->limit > max))
        ddb_dec_violation(d,
                          "Value '%lld' at 'limit' failed to satisfy constraint: Member must "
                          "have value %s %lld",
                          (long long)out->limit,
                          out->limit < 1 ? "greater than or equal to" : "less than or equal to",
                          out->limit < 1 ? 1LL : (long long)max);
}

static void need_str(ddb_dec_t *d, const api_json_t *in, const char *key, const char *member,
                     kv_slice_t *out)
{
    if (!ddb_opt_str(d, in, key, out))
        ddb_dec_violation(d,
                          "Value null at '%s' failed to satisfy constraint: Member must not be "
                          "null",
                          member);
}

int ddb_decode_list_streams(ddb_dec_t *d, const api_json_t *in, ddb_streams_in_t *out)
{
    memset(out, 0, sizeof(*out));
    ddb_opt_str(d, in, "TableName", &out->table);
    ddb_opt_str(d, in, "ExclusiveStartStreamArn", &out->start);
    opt_limit(d, in, LIST_MAX, out);
    return ddb_dec_finish(d);
}

/* A shard id member: 28 to 65 characters (the Streams API's ShardId). */
static void shard_id_len(ddb_dec_t *d, kv_slice_t id, const char *member)
{
    if (id.len < 28 || id.len > 65)
        ddb_dec_violation(d,
                          "Value '%.*s' at '%s' failed to satisfy constraint: Member must have "
                          "length %s",
                          (int)(id.len > 100 ? 100 : id.len), (const char *)id.p, member,
                          id.len < 28 ? "greater than or equal to 28" : "less than or equal to 65");
}

int ddb_decode_describe_stream(ddb_dec_t *d, const api_json_t *in, ddb_streams_in_t *out)
{
    memset(out, 0, sizeof(*out));
    need_str(d, in, "StreamArn", "streamArn", &out->arn);
    if (ddb_opt_str(d, in, "ExclusiveStartShardId", &out->start))
        shard_id_len(d, out->start, "exclusiveStartShardId");
    opt_limit(d, in, LIST_MAX, out);
    /* ShardFilter {Type: CHILD_SHARDS, ShardId}: only the shards whose parent is ShardId. */
    const api_json_t *f = ddb_opt_kind(d, in, "ShardFilter", API_J_OBJ);
    if (f) {
        kv_slice_t type;
        if (!ddb_opt_str(d, f, "Type", &type))
            ddb_dec_violation(d, "Value null at 'shardFilter.type' failed to satisfy "
                                 "constraint: Member must not be null");
        else if (!kv_slice_eq_str(type, "CHILD_SHARDS"))
            ddb_dec_violation(d,
                              "Value '%.*s' at 'shardFilter.type' failed to satisfy "
                              "constraint: Member must satisfy enum value set: [CHILD_SHARDS]",
                              (int)(type.len > 64 ? 64 : type.len), (const char *)type.p);
        out->child_filter = true;
        if (!ddb_opt_str(d, f, "ShardId", &out->parent))
            ddb_dec_violation(d, "Value null at 'shardFilter.shardId' failed to satisfy "
                                 "constraint: Member must not be null");
        else
            shard_id_len(d, out->parent, "shardFilter.shardId");
    }
    return ddb_dec_finish(d);
}

int ddb_decode_get_shard_iterator(ddb_dec_t *d, const api_json_t *in, ddb_streams_in_t *out)
{
    memset(out, 0, sizeof(*out));
    need_str(d, in, "StreamArn", "streamArn", &out->arn);
    need_str(d, in, "ShardId", "shardId", &out->shard_id);
    kv_slice_t type = KV_SLICE_NULL, seq;
    need_str(d, in, "ShardIteratorType", "shardIteratorType", &type);
    if (type.p) {
        if (kv_slice_eq_str(type, "TRIM_HORIZON"))
            out->type = DDB_IT_TRIM_HORIZON;
        else if (kv_slice_eq_str(type, "LATEST"))
            out->type = DDB_IT_LATEST;
        else if (kv_slice_eq_str(type, "AT_SEQUENCE_NUMBER"))
            out->type = DDB_IT_AT;
        else if (kv_slice_eq_str(type, "AFTER_SEQUENCE_NUMBER"))
            out->type = DDB_IT_AFTER;
        else
            ddb_dec_violation(d,
                              "Value '%.*s' at 'shardIteratorType' failed to satisfy constraint: "
                              "Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, "
                              "LATEST, AT_SEQUENCE_NUMBER, TRIM_HORIZON]",
                              (int)(type.len > 64 ? 64 : type.len), (const char *)type.p);
    }
    if (ddb_opt_str(d, in, "SequenceNumber", &seq)) {
        if (seq.len < 21 || seq.len > 40) {
            ddb_dec_violation(d,
                              "Value '%.*s' at 'sequenceNumber' failed to satisfy constraint: "
                              "Member must have length %s",
                              (int)(seq.len > 100 ? 100 : seq.len), (const char *)seq.p,
                              seq.len < 21 ? "greater than or equal to 21"
                                           : "less than or equal to 40");
            return ddb_dec_finish(d);
        }
        out->has_seq = true;
        for (size_t i = 0; out->has_seq && i < seq.len; i++)
            out->has_seq = seq.p[i] >= '0' && seq.p[i] <= '9';
        uint64_t v = 0;
        for (size_t i = 0; out->has_seq && i < seq.len; i++) {
            if (v > (UINT64_MAX - 9) / 10) {
                out->has_seq = false;
                break;
            }
            v = v * 10 + (uint64_t)(seq.p[i] - '0');
        }
        out->seq = v;
        if (!out->has_seq) {
            if (ddb_dec_finish(d) < 0)
                return -1;
            return ddb_dec_fail(d, "Invalid SequenceNumber");
        }
    }
    if (ddb_dec_finish(d) < 0)
        return -1;
    if ((out->type == DDB_IT_AT || out->type == DDB_IT_AFTER) && !out->has_seq)
        return ddb_dec_fail(d, "Must provide a SequenceNumber for iterator type %.*s",
                            (int)type.len, (const char *)type.p);
    if ((out->type == DDB_IT_TRIM_HORIZON || out->type == DDB_IT_LATEST) && out->has_seq)
        return ddb_dec_fail(d, "Must not provide a SequenceNumber for iterator type %.*s",
                            (int)type.len, (const char *)type.p);
    return 0;
}

int ddb_decode_get_records(ddb_dec_t *d, const api_json_t *in, ddb_streams_in_t *out)
{
    memset(out, 0, sizeof(*out));
    need_str(d, in, "ShardIterator", "shardIterator", &out->iterator);
    opt_limit(d, in, RECORDS_MAX, out);
    return ddb_dec_finish(d);
}

/* ---- execute ---- */

int ddb_exec_list_streams(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                          const ddb_streams_in_t *in, ddb_streams_out_t *out)
{
    size_t limit = in->limit ? (size_t)in->limit : LIST_MAX;
    uint32_t after = 0;
    if (in->start.len) {
        eng_stream_t *s;
        if (find_stream(ctx, req, resp, in->start, &s) < 0)
            return -1;
        after = s->id;
    }
    out->list = kv_arena_calloc(req->arena, limit, sizeof(*out->list));
    for (;;) {
        eng_stream_t *list;
        size_t n;
        bool more;
        if (eng_stream_list(ctx->eng, after, LIST_MAX, req->arena, &list, &n, &more) < 0) {
            api_fail(resp, API_E_DDB_INTERNAL, NULL);
            return -1;
        }
        for (size_t i = 0; i < n; i++) {
            if (in->table.len && !kv_slice_eq_str(in->table, list[i].table))
                continue;
            if (out->n == limit) {
                out->more = true;
                return 0;
            }
            out->list[out->n++] = list[i];
        }
        if (!more || n == 0)
            return 0;
        after = list[n - 1].id;
    }
}

int ddb_exec_describe_stream(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                             const ddb_streams_in_t *in, ddb_streams_out_t *out)
{
    uint64_t trimmed;
    ddb_shard_t *sh;
    size_t n;
    char *parent = kv_arena_alloc(req->arena, 40);
    if (find_stream(ctx, req, resp, in->arn, &out->s) < 0)
        return -1;
    if (load_shards(ctx, req->arena, out->s, &sh, &n, parent, &out->first, &out->last, &trimmed) <
        0) {
        api_fail(resp, API_E_DDB_INTERNAL, NULL);
        return -1;
    }
    /* ShardFilter CHILD_SHARDS: the shards are one chain, each the parent of the next, so a
     * shard's child is the one after it (the first listed one for the last trimmed shard); an
     * open shard, or an id that names no shard, has none. */
    if (in->child_filter) {
        size_t i = n; /* the child's index (n: none) */
        if (parent[0] && kv_slice_eq_str(in->parent, parent)) {
            i = 0;
        } else {
            ddb_shard_t *at = find_shard(out->s, sh, n, in->parent);
            if (at)
                i = (size_t)(at - sh) + 1;
        }
        if (i > 0 && i < n)
            shard_id(out->s, sh[i - 1].start, parent);
        out->shards = sh + (i < n ? i : n);
        out->n_shards = i < n ? 1 : 0;
        out->parent0 = parent;
        return 0;
    }
    /* A page: the shards after ExclusiveStartShardId in id order (shard ids sort by their
     * start), at most Limit of them; an id that names no shard is no error (DynamoDB answers
     * the shards after it). */
    size_t from = 0;
    if (in->start.len) {
        while (from < n) {
            char sid[40];
            shard_id(out->s, sh[from].start, sid);
            kv_slice_t id = kv_slice_str(sid);
            int c = memcmp(id.p, in->start.p, id.len < in->start.len ? id.len : in->start.len);
            if (c > 0 || (c == 0 && id.len > in->start.len))
                break;
            from++;
        }
        if (from > 0)
            shard_id(out->s, sh[from - 1].start, parent);
    }
    size_t limit = in->limit ? (size_t)in->limit : LIST_MAX;
    out->shards = sh + from;
    out->n_shards = n - from < limit ? n - from : limit;
    out->more = from + out->n_shards < n;
    out->parent0 = parent;
    return 0;
}

int ddb_exec_get_shard_iterator(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                const ddb_streams_in_t *in, ddb_streams_out_t *out)
{
    eng_stream_t *s;
    uint64_t first, last, trimmed;
    ddb_shard_t *sh;
    size_t n;
    char parent[40];
    if (find_stream(ctx, req, resp, in->arn, &s) < 0)
        return -1;
    if (load_shards(ctx, req->arena, s, &sh, &n, parent, &first, &last, &trimmed) < 0) {
        api_fail(resp, API_E_DDB_INTERNAL, NULL);
        return -1;
    }
    ddb_shard_t *at = find_shard(s, sh, n, in->shard_id);
    if (at == NULL) {
        api_fail(resp, API_E_DDB_RESOURCE_NOT_FOUND,
                 "Requested resource not found: Shard does not exist");
        return -1;
    }
    uint64_t lo = at->first > trimmed + 1 ? at->first : trimmed + 1;
    uint64_t hi = at->closed ? at->end : last; /* its last record (hi < lo: none yet) */
    uint64_t pos;
    switch (in->type) {
    case DDB_IT_TRIM_HORIZON:
        pos = lo;
        break;
    case DDB_IT_LATEST:
        pos = hi + 1 > lo ? hi + 1 : lo;
        break;
    default:
        if (in->seq <= trimmed) {
            api_fail(resp, API_E_DDB_TRIMMED_DATA, NULL);
            return -1;
        }
        if (in->seq < at->first || in->seq > hi) {
            /* Kinesis's words for a number its shard never gave (DynamoDB Streams shares its
             * shard model), as a ValidationException. */
            char sid[40], arn[1400], seq[32];
            shard_id(s, at->start, sid);
            ddb_stream_arn(ctx, s, arn, sizeof(arn));
            seq_text(in->seq, seq);
            api_fail(resp, API_E_DDB_VALIDATION,
                     "StartingSequenceNumber %s used in GetShardIterator on shard %s in stream %s "
                     "under account " API_ACCOUNT_ID
                     " is invalid because it did not come from this stream.",
                     seq, sid, arn);
            return -1;
        }
        pos = in->type == DDB_IT_AT ? in->seq : in->seq + 1;
    }
    make_iter(ctx, s->id, at->start, pos, out->iter);
    return 0;
}

int ddb_exec_get_records(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                         const ddb_streams_in_t *in, ddb_streams_out_t *out)
{
    kv_slice_t it = in->iterator;
    uint64_t id, start, pos, issued, mac;
    if (it.len != ITER_BODY + 16 || !hex_u64(it.p, 8, &id) || !hex_u64(it.p + 8, 16, &start) ||
        !hex_u64(it.p + 24, 16, &pos) || !hex_u64(it.p + 40, 16, &issued) ||
        !hex_u64(it.p + ITER_BODY, 16, &mac) ||
        kv_xxh3_seed(it.p, ITER_BODY, streams_state(ctx)->iter_key) != mac) {
        api_fail(resp, API_E_DDB_VALIDATION, "Invalid ShardIterator");
        return -1;
    }
    int64_t now = kv_now_ms();
    if (now - (int64_t)issued > ITER_TTL_MS) {
        api_fail(resp, API_E_DDB_EXPIRED_ITERATOR,
                 "Iterator expired. The iterator was created at time %lld while right now it's "
                 "%lld. The iterator is only valid for 15 minutes.",
                 (long long)issued, (long long)now);
        return -1;
    }
    if (eng_stream_get(ctx->eng, (uint32_t)id, req->arena, &out->s) < 0) {
        api_fail(resp, API_E_DDB_RESOURCE_NOT_FOUND,
                 "Requested resource not found: Stream does not exist");
        return -1;
    }
    uint64_t first, last, trimmed;
    ddb_shard_t *sh;
    size_t n;
    char parent[40];
    int rc = load_shards(ctx, req->arena, out->s, &sh, &n, parent, &first, &last, &trimmed);
    if (rc == 0 && pos <= trimmed) {
        api_fail(resp, API_E_DDB_TRIMMED_DATA, NULL);
        return -1;
    }
    /* The shard's end, as of now: a shard open when the iterator was made may have closed. */
    uint64_t end = UINT64_MAX;
    bool closed = false;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (sh[i].start == (int64_t)start && sh[i].closed) {
            end = sh[i].end;
            closed = true;
        }
        if (sh[i].start > (int64_t)start && !closed) {
            /* The shard is gone from the list (an open shard shown before its first record
             * whose marker could not be written, a full disk): it ends where the next begins. */
            bool listed = false;
            for (size_t j = 0; j < i; j++)
                listed |= sh[j].start == (int64_t)start;
            if (!listed) {
                end = sh[i].first - 1;
                closed = true;
            }
            break;
        }
    }
    size_t limit = in->limit ? (size_t)in->limit : RECORDS_MAX;
    if (rc == 0 && pos <= end)
        rc = eng_stream_read(ctx->eng, (uint32_t)id, pos, limit, RECORDS_BYTES, req->arena,
                             &out->recs, &out->n_recs);
    if (rc < 0) {
        api_fail(resp, API_E_DDB_INTERNAL, NULL);
        return -1;
    }
    while (out->n_recs && out->recs[out->n_recs - 1].seq > end) /* the next shard's */
        out->n_recs--;
    uint64_t next = out->n_recs ? out->recs[out->n_recs - 1].seq + 1 : pos;
    if (closed && out->n_recs == 0 && next <= end)
        next = end + 1; /* nothing of this stream is left before the end */
    /* A closed shard read to its end has no next iterator: its child goes on. */
    if (!(closed && next > end))
        make_iter(ctx, (uint32_t)id, (int64_t)start, next, out->iter);
    return 0;
}

/* ---- encode ---- */

static const char *view_name(eng_stream_view_t v)
{
    switch (v) {
    case ENG_STREAM_KEYS_ONLY:
        return "KEYS_ONLY";
    case ENG_STREAM_NEW_IMAGE:
        return "NEW_IMAGE";
    case ENG_STREAM_OLD_IMAGE:
        return "OLD_IMAGE";
    default:
        return "NEW_AND_OLD_IMAGES";
    }
}

void ddb_encode_list_streams(api_ctx_t *ctx, api_req_t *req, const ddb_streams_out_t *out,
                             api_jw_t *w)
{
    (void)req;
    char arn[1400], label[25];
    api_jw_obj_begin(w);
    api_jw_key(w, "Streams");
    api_jw_arr_begin(w);
    for (size_t i = 0; i < out->n; i++) {
        ddb_stream_arn(ctx, &out->list[i], arn, sizeof(arn));
        ddb_stream_label(out->list[i].created_ms, label);
        api_jw_obj_begin(w);
        api_jw_kstr(w, "StreamArn", arn);
        api_jw_kstr(w, "TableName", out->list[i].table);
        api_jw_kstr(w, "StreamLabel", label);
        api_jw_obj_end(w);
    }
    api_jw_arr_end(w);
    if (out->more && out->n) {
        ddb_stream_arn(ctx, &out->list[out->n - 1], arn, sizeof(arn));
        api_jw_kstr(w, "LastEvaluatedStreamArn", arn);
    }
    api_jw_obj_end(w);
}

void ddb_encode_describe_stream(api_ctx_t *ctx, api_req_t *req, const ddb_streams_out_t *out,
                                api_jw_t *w)
{
    (void)req;
    const eng_stream_t *s = out->s;
    char arn[1400], label[25], sid[40], seq[32];
    ddb_stream_arn(ctx, s, arn, sizeof(arn));
    ddb_stream_label(s->created_ms, label);
    api_jw_obj_begin(w);
    api_jw_key(w, "StreamDescription");
    api_jw_obj_begin(w);
    api_jw_kstr(w, "StreamArn", arn);
    api_jw_kstr(w, "StreamLabel", label);
    api_jw_kstr(w, "StreamStatus", s->disabled_ms ? "DISABLED" : "ENABLED");
    api_jw_kstr(w, "StreamViewType", view_name(s->view));
    api_jw_key(w, "CreationRequestDateTime");
    api_jw_epoch_ms(w, s->created_ms);
    api_jw_kstr(w, "TableName", s->table);
    ddb_encode_key_schema(w, s->hash_key, s->range_key);
    api_jw_key(w, "Shards");
    api_jw_arr_begin(w);
    char parent[40];
    snprintf(parent, sizeof(parent), "%s", out->parent0 ? out->parent0 : "");
    for (size_t i = 0; i < out->n_shards; i++) {
        const ddb_shard_t *sh = &out->shards[i];
        shard_id(s, sh->start, sid);
        api_jw_obj_begin(w);
        api_jw_kstr(w, "ShardId", sid);
        if (parent[0])
            api_jw_kstr(w, "ParentShardId", parent);
        api_jw_key(w, "SequenceNumberRange");
        api_jw_obj_begin(w);
        seq_text(sh->first, seq);
        api_jw_kstr(w, "StartingSequenceNumber", seq);
        /* Present exactly when the shard is closed (DescribeStream's contract), a shard no
         * record came in included: it ends just before its first number (load_shards). */
        if (sh->closed) {
            seq_text(sh->end, seq);
            api_jw_kstr(w, "EndingSequenceNumber", seq);
        }
        api_jw_obj_end(w);
        api_jw_obj_end(w);
        memcpy(parent, sid, sizeof(parent));
    }
    api_jw_arr_end(w);
    if (out->more && out->n_shards) {
        shard_id(s, out->shards[out->n_shards - 1].start, sid);
        api_jw_kstr(w, "LastEvaluatedShardId", sid);
    }
    api_jw_obj_end(w);
    api_jw_obj_end(w);
}

void ddb_encode_get_shard_iterator(api_ctx_t *ctx, api_req_t *req, const ddb_streams_out_t *out,
                                   api_jw_t *w)
{
    (void)ctx, (void)req;
    api_jw_obj_begin(w);
    api_jw_kstr(w, "ShardIterator", out->iter);
    api_jw_obj_end(w);
}

void ddb_encode_stream_record(api_ctx_t *ctx, const eng_stream_t *s, const eng_srec_t *r,
                              const char *lambda_arn, api_jw_t *w)
{
    static const char *const events[] = {"", "INSERT", "MODIFY", "REMOVE"};
    char id[40], seq[32];
    snprintf(id, sizeof(id), "%08x%08x%016llx", s->id, 0u, (unsigned long long)r->seq);
    seq_text(r->seq, seq);
    api_jw_obj_begin(w);
    api_jw_kstr(w, "eventID", id);
    api_jw_kstr(w, "eventName", r->event <= ENG_EV_REMOVE ? events[r->event] : "MODIFY");
    api_jw_kstr(w, "eventVersion", "1.1");
    api_jw_kstr(w, "eventSource", "aws:dynamodb");
    api_jw_kstr(w, "awsRegion", ctx->region);
    api_jw_key(w, "dynamodb");
    api_jw_obj_begin(w);
    api_jw_ku64(w, "ApproximateCreationDateTime", (uint64_t)(r->time_ms / 1000));
    api_jw_key(w, "Keys");
    ddb_item_encode(w, r->keys);
    if (r->new_img) {
        api_jw_key(w, "NewImage");
        ddb_item_encode(w, r->new_img);
    }
    if (r->old_img) {
        api_jw_key(w, "OldImage");
        ddb_item_encode(w, r->old_img);
    }
    api_jw_kstr(w, "SequenceNumber", seq);
    api_jw_ku64(w, "SizeBytes", r->size_bytes);
    api_jw_kstr(w, "StreamViewType", view_name(s->view));
    api_jw_obj_end(w);
    if (lambda_arn)
        api_jw_kstr(w, "eventSourceARN", lambda_arn);
    if (r->service) {
        /* The Streams API spells these in capitals, a Lambda event in lower case. */
        api_jw_key(w, "userIdentity");
        api_jw_obj_begin(w);
        api_jw_kstr(w, lambda_arn ? "principalId" : "PrincipalId", "dynamodb.amazonaws.com");
        api_jw_kstr(w, lambda_arn ? "type" : "Type", "Service");
        api_jw_obj_end(w);
    }
    api_jw_obj_end(w);
}

void ddb_encode_get_records(api_ctx_t *ctx, api_req_t *req, const ddb_streams_out_t *out,
                            api_jw_t *w)
{
    (void)req;
    api_jw_obj_begin(w);
    api_jw_key(w, "Records");
    api_jw_arr_begin(w);
    for (size_t i = 0; i < out->n_recs; i++)
        ddb_encode_stream_record(ctx, out->s, &out->recs[i], NULL, w);
    api_jw_arr_end(w);
    if (out->iter[0])
        api_jw_kstr(w, "NextShardIterator", out->iter);
    api_jw_obj_end(w);
}

int ddb_trim_run(api_ctx_t *ctx, void *state, unsigned budget)
{
    (void)state, (void)budget;
    /* Stream records past their retention, and the point-in-time log past its window. */
    eng_stream_trim(ctx->eng, kv_now_ms(), streams_state(ctx)->keep_ms, PITR_KEEP_MS);
    return INT_MAX;
}

int64_t ddb_stream_shard_ms(api_ctx_t *ctx)
{
    return streams_state(ctx)->shard_ms;
}

int ddb_iter_stream(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t it, eng_stream_t **out)
{
    uint64_t id, start, pos, issued, mac;
    if (it.len != ITER_BODY + 16 || !hex_u64(it.p, 8, &id) || !hex_u64(it.p + 8, 16, &start) ||
        !hex_u64(it.p + 24, 16, &pos) || !hex_u64(it.p + 40, 16, &issued) ||
        !hex_u64(it.p + ITER_BODY, 16, &mac) ||
        kv_xxh3_seed(it.p, ITER_BODY, streams_state(ctx)->iter_key) != mac)
        return KV_EINVAL;
    return eng_stream_get(ctx->eng, (uint32_t)id, a, out) < 0 ? KV_ENOTFOUND : 0;
}
