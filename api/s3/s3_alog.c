/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 server access logs (issue 16, package G): the record of each request to a bucket with
 * logging on, in S3's access-log format, journaled in the engine (eng_alog.h) when its response
 * is done; and the job that delivers every source bucket's journaled records as one object of
 * its target bucket per flush interval, the object written and the records deleted in one
 * batch. The log objects are written by the service, not by a request: they make no records
 * themselves, so a bucket may log into itself.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/kv_aead.h"
#include "base/kv_alloc.h"
#include "base/kv_hash.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "eng_alog.h"
#include "s3_int.h"

#define ALOG_SLOTS    64 /* journal bounds: source buckets share a slot by hash */
#define ALOG_OBJ_RUNS 16 /* log objects at most per job step */

struct s3_alog {
    atomic_bool any; /* some bucket may have logging on (set for good once seen) */
    atomic_int_fast64_t pending[ALOG_SLOTS];
    kv_buf_t cursor; /* the job's place: the last source drained in this pass */
};

/* ---- the line ---- */

/* A free-text field, cut where its escaped text reaches S3_ALOG_FIELD_MAX bytes: a quoted
 * field's quotes and backslashes, an unquoted one's spaces, and control bytes are escaped, so
 * the line stays one line of space-separated fields. */
static void put_field(kv_buf_t *out, kv_slice_t v, bool quoted)
{
    if (quoted)
        kv_buf_append_byte(out, '"');
    if (v.len == 0) {
        kv_buf_append_byte(out, '-');
    } else {
        size_t start = out->len;
        for (size_t i = 0; i < v.len && out->len - start + 4 <= S3_ALOG_FIELD_MAX; i++) {
            uint8_t c = v.p[i];
            if (c < 0x20 || c == 0x7f || (!quoted && c == ' ')) {
                kv_buf_printf(out, "\\x%02X", c);
            } else if (quoted && (c == '"' || c == '\\')) {
                kv_buf_append_byte(out, '\\');
                kv_buf_append_byte(out, c);
            } else {
                kv_buf_append_byte(out, c);
            }
        }
    }
    if (quoted)
        kv_buf_append_byte(out, '"');
}

/* The key as S3 logs it: URL-encoded (unreserved characters and '/' as they are). */
static void put_key(kv_buf_t *out, kv_slice_t k)
{
    if (k.len == 0) {
        kv_buf_append_byte(out, '-');
        return;
    }
    size_t start = out->len;
    for (size_t i = 0; i < k.len && out->len - start + 3 <= S3_ALOG_FIELD_MAX; i++) {
        uint8_t c = k.p[i];
        bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '_' || c == '.' || c == '~' || c == '/';
        if (plain)
            kv_buf_append_byte(out, c);
        else
            kv_buf_printf(out, "%%%02X", c);
    }
}

static void put_num(kv_buf_t *out, int64_t v, bool zero_dash)
{
    if (v < 0 || (zero_dash && v == 0))
        kv_buf_append_byte(out, '-');
    else
        kv_buf_printf(out, "%lld", (long long)v);
}

void s3_alog_format(const s3_alog_fields_t *f, kv_buf_t *out)
{
    static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(f->time_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    put_field(out, f->owner, false);
    kv_buf_append_byte(out, ' ');
    put_field(out, f->bucket, false);
    kv_buf_printf(out, " [%02d/%s/%04d:%02d:%02d:%02d +0000] ", tm.tm_mday, mon[tm.tm_mon % 12],
                  tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    put_field(out, f->remote_ip, false);
    kv_buf_append_byte(out, ' ');
    put_field(out, f->requester, false);
    kv_buf_append_byte(out, ' ');
    put_field(out, f->request_id, false);
    kv_buf_append_byte(out, ' ');
    put_field(out, f->operation, false);
    kv_buf_append_byte(out, ' ');
    put_key(out, f->key);
    kv_buf_append_byte(out, ' ');
    /* "METHOD URI HTTP/1.1", quoted as a whole. */
    kv_buf_t uri;
    uint8_t um[S3_ALOG_FIELD_MAX + 64];
    kv_buf_init_on(&uri, um, sizeof(um), sizeof(um));
    kv_buf_append_slice(&uri, f->method.len > 16 ? kv_slice(f->method.p, 16) : f->method);
    kv_buf_append_byte(&uri, ' ');
    kv_buf_append_slice(&uri, f->uri.len > S3_ALOG_FIELD_MAX - 40
                                  ? kv_slice(f->uri.p, S3_ALOG_FIELD_MAX - 40)
                                  : f->uri);
    kv_buf_append_byte(&uri, ' ');
    kv_buf_append_slice(&uri, f->http_version.len > 16 ? kv_slice(f->http_version.p, 16)
                                                       : f->http_version);
    put_field(out, kv_buf_slice(&uri), true);
    kv_buf_dispose(&uri);
    kv_buf_printf(out, " %d ", f->status);
    put_field(out, f->error_code, false);
    kv_buf_append_byte(out, ' ');
    put_num(out, f->bytes_sent, true);
    kv_buf_append_byte(out, ' ');
    put_num(out, f->object_size, false);
    kv_buf_append_byte(out, ' ');
    put_num(out, f->total_ms, false);
    kv_buf_append_byte(out, ' ');
    put_num(out, f->turnaround_ms, false);
    kv_buf_append_byte(out, ' ');
    put_field(out, f->referer, true);
    kv_buf_append_byte(out, ' ');
    put_field(out, f->user_agent, true);
    const kv_slice_t rest[] = {f->version_id, f->host_id, f->sig_version, f->cipher,
                               f->auth_type,  f->host,    f->tls_version, f->access_point_arn};
    for (size_t i = 0; i < sizeof(rest) / sizeof(rest[0]); i++) {
        kv_buf_append_byte(out, ' ');
        put_field(out, rest[i], false);
    }
    kv_buf_append_str(out, f->has_acl_required && f->acl_required ? " Yes" : " -");
}

/* ---- operation names ---- */

/* Resource types S3 logs under other names than the operation's own. */
static const struct {
    int op;
    const char *name;
} op_names[] = {
    {S3_OP_list_buckets, "SERVICE"},
    {S3_OP_create_bucket, "BUCKET"},
    {S3_OP_head_bucket, "BUCKET"},
    {S3_OP_delete_bucket, "BUCKET"},
    {S3_OP_list_objects, "BUCKET"},
    {S3_OP_get_bucket_location, "LOCATION"},
    {S3_OP_list_object_versions, "BUCKETVERSIONS"},
    {S3_OP_put_object, "OBJECT"},
    {S3_OP_get_object, "OBJECT"},
    {S3_OP_head_object, "OBJECT"},
    {S3_OP_delete_object, "OBJECT"},
    {S3_OP_post_object, "OBJECT"},
    {S3_OP_copy_object, "OBJECT"},
    {S3_OP_delete_objects, "MULTI_OBJECT_DELETE"},
    {S3_OP_get_bucket_acl, "ACL"},
    {S3_OP_put_bucket_acl, "ACL"},
    {S3_OP_get_object_acl, "ACL"},
    {S3_OP_put_object_acl, "ACL"},
    {S3_OP_create_multipart_upload, "UPLOADS"},
    {S3_OP_list_multipart_uploads, "UPLOADS"},
    {S3_OP_upload_part, "PART"},
    {S3_OP_upload_part_copy, "PART"},
    {S3_OP_complete_multipart_upload, "UPLOAD"},
    {S3_OP_abort_multipart_upload, "UPLOAD"},
    {S3_OP_list_parts, "UPLOAD"},
    {S3_OP_put_bucket_policy, "BUCKETPOLICY"},
    {S3_OP_get_bucket_policy, "BUCKETPOLICY"},
    {S3_OP_delete_bucket_policy, "BUCKETPOLICY"},
    {S3_OP_put_bucket_lifecycle, "LIFECYCLE"},
    {S3_OP_get_bucket_lifecycle, "LIFECYCLE"},
    {S3_OP_delete_bucket_lifecycle, "LIFECYCLE"},
    {S3_OP_put_bucket_notification, "NOTIFICATION"},
    {S3_OP_get_bucket_notification, "NOTIFICATION"},
    {S3_OP_put_bucket_logging, "LOGGING_STATUS"},
    {S3_OP_get_bucket_logging, "LOGGING_STATUS"},
    {S3_OP_preflight, "PREFLIGHT"},
};

void s3_alog_operation(int op, kv_slice_t method, char *buf, size_t cap)
{
    const char *verb = "GET";
    char m[16];
    size_t n = method.len < sizeof(m) - 1 ? method.len : sizeof(m) - 1;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = method.p[i];
        m[i] = (char)(c >= 'a' && c <= 'z' ? c - 32 : (c > 0x20 && c < 0x7f ? c : '_'));
    }
    m[n] = 0;
    if (n)
        verb = m;
    if (op == S3_OP_copy_object || op == S3_OP_upload_part_copy)
        verb = "COPY";
    for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
        if (op_names[i].op == op) {
            snprintf(buf, cap, "REST.%s.%s", verb, op_names[i].name);
            return;
        }
    /* Otherwise the wire name without its verb and "Bucket", in upper snake case:
     * GetObjectTagging -> OBJECT_TAGGING, PutBucketVersioning -> VERSIONING. */
    const char *name = op >= 0 && op < S3_OP__COUNT ? s3_service.ops[op].name : "Unknown";
    /* A website endpoint's request (package W's rows are named Website...): S3 logs them as
     * WEBSITE.<method>.OBJECT. */
    if (strncmp(name, "Website", 7) == 0) {
        snprintf(buf, cap, "WEBSITE.%s.OBJECT", verb);
        return;
    }
    static const char *const verbs[] = {"Put", "Get", "Delete", "Head", "List", "Create", NULL};
    for (size_t i = 0; verbs[i]; i++)
        if (strncmp(name, verbs[i], strlen(verbs[i])) == 0) {
            name += strlen(verbs[i]);
            break;
        }
    if (strncmp(name, "Bucket", 6) == 0 && name[6])
        name += 6;
    int w = snprintf(buf, cap, "REST.%s.", verb);
    size_t at = w > 0 && (size_t)w < cap ? (size_t)w : cap - 1;
    for (size_t i = 0; name[i] && at + 2 < cap; i++) {
        char c = name[i];
        if (c >= 'A' && c <= 'Z' && i > 0)
            buf[at++] = '_';
        buf[at++] = (char)(c >= 'a' && c <= 'z' ? c - 32 : c);
    }
    buf[at] = 0;
}

/* ---- keys ---- */

void s3_alog_key(const s3_logging_t *c, kv_slice_t account, kv_slice_t region, kv_slice_t source,
                 int64_t at_ms, int64_t name_ms, uint64_t unique, kv_buf_t *out)
{
    kv_buf_append_slice(out, c->prefix);
    struct tm tm;
    time_t t;
    if (c->fmt == S3_LOGFMT_EVENT || c->fmt == S3_LOGFMT_DELIVERY) {
        t = (time_t)(at_ms / 1000);
        gmtime_r(&t, &tm);
        kv_buf_append_slice(out, account);
        kv_buf_append_byte(out, '/');
        kv_buf_append_slice(out, region);
        kv_buf_append_byte(out, '/');
        kv_buf_append_slice(out, source);
        kv_buf_printf(out, "/%04d/%02d/%02d/", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    }
    t = (time_t)(name_ms / 1000);
    gmtime_r(&t, &tm);
    kv_buf_printf(out, "%04d-%02d-%02d-%02d-%02d-%02d-%016llX", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned long long)unique);
}

/* ---- state ---- */

static bool any_logging(eng_t *e)
{
    kv_arena_t *a = kv_arena_new(4096);
    kv_slice_t src;
    bool any = eng_alog_next_source(e, KV_SLICE_NULL, a, &src) == 0;
    kv_slice_t after = KV_SLICE_NULL;
    while (!any) {
        eng_bucket_t *page;
        size_t n;
        bool more;
        if (eng_bucket_list(e, after, 256, a, &page, &n, &more) < 0) {
            any = true; /* cannot tell: look at each request */
            break;
        }
        for (size_t i = 0; i < n && !any; i++)
            any = page[i].docs[ENG_BDOC_LOGGING].len != 0;
        if (!more || n == 0)
            break;
        after = kv_slice_str(page[n - 1].name);
    }
    kv_arena_free(a);
    return any;
}

struct s3_alog *s3_alog_new(api_ctx_t *ctx)
{
    struct s3_alog *l = kv_calloc(1, sizeof(*l));
    atomic_init(&l->any, any_logging(ctx->eng));
    for (size_t i = 0; i < ALOG_SLOTS; i++)
        atomic_init(&l->pending[i], 0);
    kv_buf_init(&l->cursor, 1024);
    return l;
}

void s3_alog_free(struct s3_alog *l)
{
    if (l == NULL)
        return;
    kv_buf_dispose(&l->cursor);
    kv_free(l);
}

void s3_alog_changed(api_ctx_t *ctx)
{
    atomic_store(&s3_state(ctx)->alog->any, true);
}

static atomic_int_fast64_t *pending_slot(struct s3_alog *l, kv_slice_t source)
{
    return &l->pending[kv_xxh3(source.p, source.len) % ALOG_SLOTS];
}

/* ---- the record of a request ---- */

/* The head journaled with each record: where its object goes (format digit, target, NUL,
 * prefix). Records with equal heads share objects. */
static kv_slice_t head_of(kv_arena_t *a, const s3_logging_t *c)
{
    size_t n = 2 + c->target.len + c->prefix.len;
    uint8_t *p = kv_arena_alloc(a, n);
    p[0] = (uint8_t)('0' + c->fmt);
    memcpy(p + 1, c->target.p, c->target.len);
    p[1 + c->target.len] = 0;
    if (c->prefix.len)
        memcpy(p + 2 + c->target.len, c->prefix.p, c->prefix.len);
    return kv_slice(p, n);
}

static bool head_parse(kv_slice_t h, s3_logging_t *c)
{
    memset(c, 0, sizeof(*c));
    if (h.len < 2 || h.p[0] < '0' || h.p[0] > '0' + S3_LOGFMT_DELIVERY)
        return false;
    c->fmt = (s3_logfmt_t)(h.p[0] - '0');
    const uint8_t *z = memchr(h.p + 1, 0, h.len - 1);
    if (z == NULL || z == h.p + 1)
        return false;
    c->target = kv_slice(h.p + 1, (size_t)(z - h.p - 1));
    c->prefix = kv_slice(z + 1, h.len - (size_t)(z - h.p) - 1);
    c->enabled = true;
    return true;
}

static kv_slice_t resp_header(const api_resp_t *resp, const char *name)
{
    for (size_t i = 0; i < resp->n_hdrs; i++)
        if (kv_slice_eq_str(resp->hdrs[i].name, name))
            return resp->hdrs[i].value;
    return KV_SLICE_NULL;
}

static int64_t slice_i64(kv_slice_t s)
{
    int64_t v = 0;
    if (s.len == 0 || s.len > 18)
        return -1;
    for (size_t i = 0; i < s.len; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return -1;
        v = v * 10 + (s.p[i] - '0');
    }
    return v;
}

/* The object's size: what a GET or HEAD answered about (Content-Range's total, else the
 * length), or what a PUT sent. */
static int64_t object_size(const api_req_t *req, const api_resp_t *resp, int op)
{
    if (op == S3_OP_get_object || op == S3_OP_head_object) {
        if (resp->status >= 300)
            return -1;
        kv_slice_t cr = resp_header(resp, "Content-Range");
        for (size_t i = cr.len; i > 0; i--)
            if (cr.p[i - 1] == '/')
                return slice_i64(kv_slice(cr.p + i, cr.len - i));
        if (resp->src.read)
            return (int64_t)resp->src.length;
        int64_t n = slice_i64(resp_header(resp, "Content-Length"));
        return n >= 0 ? n : (int64_t)resp->body.len;
    }
    if (op == S3_OP_put_object || op == S3_OP_upload_part || op == S3_OP_post_object) {
        int64_t n = slice_i64(req->_st->h.decoded_length);
        return n >= 0 ? n : req->content_length;
    }
    return -1;
}

/* The client's address without its port ("192.0.2.3:5000", "[2001:db8::1]:5000"). */
static kv_slice_t peer_ip(kv_slice_t peer)
{
    if (peer.len && peer.p[0] == '[') {
        const uint8_t *e = memchr(peer.p, ']', peer.len);
        return e ? kv_slice(peer.p + 1, (size_t)(e - peer.p - 1)) : peer;
    }
    const uint8_t *c = memchr(peer.p, ':', peer.len);
    if (c && memchr(c + 1, ':', peer.len - (size_t)(c - peer.p) - 1) == NULL)
        return kv_slice(peer.p, (size_t)(c - peer.p));
    return peer;
}

/* The response's body bytes sent (S3 counts no HTTP overhead): at most what was written. */
static int64_t body_sent(const api_resp_t *resp, uint64_t bytes_out)
{
    uint64_t body = resp->no_body ? 0 : resp->src.read ? resp->src.length : resp->body.len;
    return (int64_t)(body < bytes_out ? body : bytes_out);
}

void s3_alog_done(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, uint64_t bytes_out)
{
    api_state_t *st = req->_st;
    s3_state_t *s3 = s3_state(ctx);
    if (st == NULL || st->open || st->bucket.len == 0 || s3 == NULL || s3->alog == NULL ||
        !atomic_load(&s3->alog->any))
        return;
    /* The bucket's record: the one authorization read, else a point read. */
    eng_bucket_t *b = st->s3_authz_bucket;
    if (b == NULL || !kv_slice_eq_str(st->bucket, b->name)) {
        if (eng_bucket_get(ctx->eng, st->bucket, req->arena, &b) < 0)
            return; /* no such bucket: nothing to log to */
    }
    s3_logging_t c;
    if (b->docs[ENG_BDOC_LOGGING].len == 0 || s3_logging_decode(b->docs[ENG_BDOC_LOGGING], &c) < 0)
        return;
    struct s3_alog *l = s3->alog;
    atomic_int_fast64_t *slot = pending_slot(l, st->bucket);
    if (atomic_load(slot) >= S3_ALOG_PENDING_MAX) {
        atomic_fetch_add(&ctx->m.s3_alog_dropped, 1);
        return;
    }
    uint64_t now = kv_now_mono_ns();
    uint64_t total_ns = now > req->start_ns ? now - req->start_ns : 0;
    char owner[65], op[96];
    s3_owner_id(ctx, owner);
    s3_alog_operation(st->op, req->method, op, sizeof(op));
    kv_buf_t uri;
    kv_buf_init(&uri, ENG_ALOG_LINE_MAX); /* the formatter cuts it */
    kv_buf_append_slice(&uri, req->path);
    if (req->query.len) {
        kv_buf_append_byte(&uri, '?');
        kv_buf_append_slice(&uri, req->query);
    }
    const api_principal_t *p = &st->principal;
    /* A signature that did not verify names nobody. */
    bool anon = !st->authed || !st->sig_verified || p->kind == API_PR_ANON;
    s3_alog_fields_t f = {
        .owner = kv_slice_str(owner),
        .bucket = st->bucket,
        .time_ms = kv_now_ms() - (int64_t)(total_ns / 1000000u),
        .remote_ip = peer_ip(req->peer),
        .requester = anon ? KV_SLICE_NULL : p->arn,
        .request_id = kv_slice_str(st->request_id),
        .operation = kv_slice_str(op),
        .key = st->key_name,
        .method = req->method,
        .uri = kv_buf_slice(&uri),
        .http_version = KV_SLICE_LIT("HTTP/1.1"),
        .status = resp->status,
        .error_code =
            resp->_err ? kv_slice_str(api_err_code((api_err_t)resp->_err)) : KV_SLICE_NULL,
        .bytes_sent = body_sent(resp, bytes_out),
        .object_size = object_size(req, resp, st->op),
        .total_ms = (int64_t)(total_ns / 1000000u),
        .turnaround_ms =
            st->finish_ns && st->finish_ns >= (st->handle_ns ? st->handle_ns : req->start_ns)
                ? (int64_t)((st->finish_ns - (st->handle_ns ? st->handle_ns : req->start_ns)) /
                            1000000u)
                : -1,
        .referer = api_req_header(req, "Referer"),
        .user_agent = api_req_header(req, "User-Agent"),
        .version_id = resp_header(resp, "x-amz-version-id"),
        .host_id = kv_slice_str(st->id2),
        .sig_version = anon        ? KV_SLICE_NULL
                       : st->sigv2 ? KV_SLICE_LIT("SigV2")
                                   : KV_SLICE_LIT("SigV4"),
        .cipher = KV_SLICE_NULL,
        .auth_type = anon            ? KV_SLICE_NULL
                     : st->presigned ? KV_SLICE_LIT("QueryString")
                                     : KV_SLICE_LIT("AuthHeader"),
        .host = st->h.host,
        .tls_version = KV_SLICE_NULL,
    };
    kv_buf_t line;
    kv_buf_init(&line, ENG_ALOG_LINE_MAX);
    s3_alog_format(&f, &line);
    kv_buf_dispose(&uri);
    if (kv_buf_failed(&line)) {
        kv_buf_dispose(&line);
        atomic_fetch_add(&ctx->m.s3_alog_dropped, 1);
        return;
    }
    eng_alog_rec_t r = {
        .time_ms = f.time_ms, .head = head_of(req->arena, &c), .line = kv_buf_slice(&line)};
    int rc = eng_alog_append(ctx->eng, st->bucket, &r);
    kv_buf_dispose(&line);
    if (rc < 0) {
        KV_LOG_WARN("s3: access log record of %.*s not journaled: %s", (int)st->bucket.len,
                    (const char *)st->bucket.p, kv_err_name(rc));
        atomic_fetch_add(&ctx->m.s3_alog_dropped, 1);
        return;
    }
    atomic_fetch_add(slot, 1);
    atomic_fetch_add(&ctx->m.s3_alog_records, 1);
}

/* ---- delivery ---- */

/* One object's run: records with the first one's head, journaled before the step began, up
 * to the object's bounds (and, partitioned by event time, of the first one's day). */
typedef struct run {
    kv_slice_t head;
    uint64_t cut; /* records journaled later wait for the next step */
    int64_t day;  /* S3_LOGFMT_EVENT: the first record's UTC day */
    bool by_day;
    size_t n, bytes;
    api_ck_t md5;
    char etag[33];
} run_t;

static bool take_rec(void *arg, const eng_alog_rec_t *r)
{
    run_t *u = arg;
    if (r == NULL) {
        uint8_t d[API_CK_MAX];
        api_ck_final(&u->md5, d);
        static const char hex[] = "0123456789abcdef";
        for (size_t i = 0; i < 16; i++) {
            u->etag[2 * i] = hex[d[i] >> 4];
            u->etag[2 * i + 1] = hex[d[i] & 15];
        }
        u->etag[32] = 0;
        return true;
    }
    if (r->seq > u->cut || !kv_slice_eq(r->head, u->head) || u->n >= S3_ALOG_OBJ_LINES ||
        (u->n && u->bytes + r->line.len + 1 > S3_ALOG_OBJ_BYTES) ||
        (u->by_day && r->time_ms / 86400000 != u->day))
        return false;
    api_ck_update(&u->md5, r->line.p, r->line.len);
    api_ck_update(&u->md5, "\n", 1);
    u->n++;
    u->bytes += r->line.len + 1;
    return true;
}

/* Deliver (or drop, when the target is gone) one run of source's oldest records.
 * @return 1 when one was delivered or dropped, 0 when source has none older than cut, or a
 * KV_E* code. */
static int deliver_one(api_ctx_t *ctx, struct s3_alog *l, kv_slice_t source, uint64_t cut,
                       kv_arena_t *a)
{
    eng_alog_rec_t first;
    int rc = eng_alog_first(ctx->eng, source, a, &first);
    if (rc == KV_ENOTFOUND || (rc == 0 && first.seq > cut))
        return 0;
    if (rc < 0)
        return rc;
    run_t u = {.head = first.head, .cut = cut};
    api_ck_init(&u.md5, API_CK_MD5);
    s3_logging_t c;
    eng_bucket_t *t = NULL;
    size_t n = 0;
    bool ok = head_parse(first.head, &c);
    if (ok && eng_bucket_get(ctx->eng, c.target, a, &t) < 0)
        t = NULL;
    if (!ok || t == NULL) {
        /* The target is gone (or the head unreadable): the records have nowhere to go. */
        rc = eng_alog_drop(ctx->eng, source, take_rec, &u, &n);
        api_ck_dispose(&u.md5);
        if (rc < 0)
            return rc;
        atomic_fetch_add(&ctx->m.s3_alog_dropped, n);
        atomic_fetch_sub(pending_slot(l, source), (int_fast64_t)n);
        KV_LOG_WARN("s3: %zu access log records of %.*s dropped: target bucket %.*s is gone", n,
                    (int)source.len, (const char *)source.p, (int)c.target.len,
                    (const char *)c.target.p);
        return 1;
    }
    u.by_day = c.fmt == S3_LOGFMT_EVENT;
    u.day = first.time_ms / 86400000;
    int64_t now = kv_now_ms();
    kv_buf_t key;
    kv_buf_init(&key, ENG_OBJ_KEY_MAX);
    s3_alog_key(&c, KV_SLICE_LIT(API_ACCOUNT_ID),
                kv_slice_str(t->region && t->region[0] ? t->region : "us-east-1"), source,
                c.fmt == S3_LOGFMT_EVENT ? first.time_ms : now,
                c.fmt == S3_LOGFMT_EVENT ? first.time_ms : now, first.seq, &key);
    if (kv_buf_failed(&key)) {
        kv_buf_dispose(&key);
        api_ck_dispose(&u.md5);
        return KV_ETOOBIG;
    }
    eng_object_t o = {
        .key = kv_arena_dup(a, kv_buf_slice(&key)),
        .etag = u.etag,
        .mtime_ms = now,
        .content_type = "text/plain",
        .storage_class = "STANDARD",
        .log_id = t->log_id,
        .event = "ObjectCreated:Put",
    };
    kv_buf_dispose(&key);
    /* A new object of the target: encrypted as the target's new objects are (SSE-S3). */
    uint8_t dk[S3_SSE_KEY_LEN];
    int enc = s3_sse_new_internal(ctx, a, t, &o, dk);
    if (enc < 0) {
        api_ck_dispose(&u.md5);
        return KV_EINTERNAL;
    }
    rc = eng_alog_deliver(ctx->eng, source, take_rec, &u, t->id, &o, t->versioning,
                          enc > 0 ? dk : NULL, &n);
    kv_wipe(dk, sizeof(dk));
    api_ck_dispose(&u.md5);
    if (rc < 0)
        return rc;
    atomic_fetch_sub(pending_slot(l, source), (int_fast64_t)n);
    atomic_fetch_add(&ctx->m.s3_alog_objects, 1);
    return n ? 1 : 0;
}

int s3_alog_run(api_ctx_t *ctx, void *state, unsigned budget)
{
    s3_state_t *s3 = state;
    struct s3_alog *l = s3->alog;
    /* Records journaled from now on wait for the next step: a busy source cannot hold the
     * job, and each step ends. */
    uint64_t cut = (uint64_t)kv_now_ms() << 16;
    unsigned runs = budget < ALOG_OBJ_RUNS ? budget : ALOG_OBJ_RUNS;
    kv_arena_t *a = kv_arena_new(64 * 1024);
    int ret = INT_MAX;
    while (runs > 0) {
        kv_slice_t source;
        int rc = eng_alog_next_source(ctx->eng, kv_buf_slice(&l->cursor), a, &source);
        if (rc == KV_ENOTFOUND) {
            kv_buf_reset(&l->cursor); /* the pass is over */
            break;
        }
        if (rc < 0) {
            KV_LOG_ERROR("s3: access log journal: %s", kv_err_name(rc));
            kv_buf_reset(&l->cursor);
            break;
        }
        for (;;) {
            rc = deliver_one(ctx, l, source, cut, a);
            if (rc <= 0 || --runs == 0)
                break;
        }
        if (rc < 0) {
            KV_LOG_ERROR("s3: access log delivery of %.*s: %s", (int)source.len,
                         (const char *)source.p, kv_err_name(rc));
        }
        if (runs == 0 && rc > 0) {
            ret = 0; /* more of this source waits: soon */
            break;
        }
        kv_buf_reset(&l->cursor);
        kv_buf_append_slice(&l->cursor, source);
    }
    if (runs == 0 && ret != 0)
        ret = 0;
    kv_arena_free(a);
    return ret;
}
