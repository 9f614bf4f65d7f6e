/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DynamoDB's ImportTable, DescribeImport and ListImports (issue 17, package I). ImportTable
 * validates its request (TableCreationParameters with CreateTable's own decoder), creates the
 * table at once (so its TableId never changes and its name is taken) and records the import
 * IN_PROGRESS under catalog kind 'E', key 'I' + id; the "import" job (ddb_import_job.c) reads
 * the source objects and ends it. While a table is being imported, DescribeTable says
 * CREATING and item operations find no table, as DynamoDB answers them.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "../api_arn.h"
#include "base/kv_alloc.h"
#include "base/kv_hash.h"
#include "base/kv_time.h"
#include "ddb_int.h"

/* ---- the tables being imported ---- */

struct ddb_imp_state {
    pthread_mutex_t lock;
    atomic_uint n_busy; /* read without the lock by every item operation */
    uint32_t busy[DDB_IMP_MAX];
    struct ddb_imp_cur *cur; /* the job's cursor (ddb_import_job.c) */
};

static bool mark_in(ddb_imp_state_t *s, uint32_t table_id, bool busy)
{
    bool ok = true;
    pthread_mutex_lock(&s->lock);
    unsigned n = atomic_load(&s->n_busy), i = 0;
    while (i < n && s->busy[i] != table_id)
        i++;
    if (busy && i == n) {
        if (n == DDB_IMP_MAX)
            ok = false;
        else
            s->busy[n++] = table_id;
    } else if (!busy && i < n) {
        s->busy[i] = s->busy[--n];
    }
    atomic_store_explicit(&s->n_busy, n, memory_order_release);
    pthread_mutex_unlock(&s->lock);
    return ok;
}

/* The imports a restart interrupted are still running: their tables stay hidden. */
static int mark_running(void *arg, kv_slice_t suffix, kv_slice_t val)
{
    ddb_imp_state_t *s = arg;
    (void)suffix;
    kv_arena_t *a = kv_arena_new(4096);
    ddb_imp_rec_t r;
    if (ddb_imp_rec_decode(a, val, &r) == 0 && strcmp(r.status, "IN_PROGRESS") == 0)
        mark_in(s, r.tid, true);
    kv_arena_free(a);
    return 0;
}

ddb_imp_state_t *ddb_imp_new(api_ctx_t *ctx)
{
    ddb_imp_state_t *s = kv_calloc(1, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
    atomic_init(&s->n_busy, 0);
    eng_ddbio_scan(ctx->eng, KV_SLICE_LIT("I"), KV_SLICE_NULL, 0, mark_running, s);
    return s;
}

void ddb_imp_free(ddb_imp_state_t *s)
{
    if (s == NULL)
        return;
    ddb_imp_cur_free(s->cur);
    pthread_mutex_destroy(&s->lock);
    kv_free(s);
}

struct ddb_imp_cur **ddb_imp_cur_slot(api_ctx_t *ctx)
{
    return &ddb_state(ctx)->imp->cur;
}

bool ddb_imp_busy(api_ctx_t *ctx, uint32_t table_id)
{
    ddb_imp_state_t *s = ddb_state(ctx)->imp;
    if (atomic_load_explicit(&s->n_busy, memory_order_acquire) == 0)
        return false;
    bool busy = false;
    pthread_mutex_lock(&s->lock);
    for (unsigned i = 0; i < atomic_load(&s->n_busy); i++)
        busy |= s->busy[i] == table_id;
    pthread_mutex_unlock(&s->lock);
    return busy;
}

bool ddb_imp_mark(api_ctx_t *ctx, uint32_t table_id, bool busy)
{
    return mark_in(ddb_state(ctx)->imp, table_id, busy);
}

/* ---- the record ---- */

size_t ddb_imp_key(const char *id, char *out)
{
    return (size_t)snprintf(out, 64, "I%.60s", id);
}

void ddb_imp_rec_encode(const ddb_imp_rec_t *r, kv_buf_t *out)
{
    api_jw_t w;
    api_jw_init(&w, out);
    api_jw_obj_begin(&w);
    api_jw_kstr(&w, "id", r->id);
    api_jw_kstr(&w, "table", r->table);
    api_jw_kstr(&w, "status", r->status);
    api_jw_kstr(&w, "token", r->token);
    api_jw_kstr(&w, "bucket", r->bucket);
    ddb_s3io_kstr_opt(&w, "prefix", r->prefix);
    ddb_s3io_kstr_opt(&w, "owner", r->owner);
    api_jw_kstr(&w, "format", r->format);
    api_jw_kstr(&w, "comp", r->comp);
    if (r->has_csv) {
        api_jw_key(&w, "csv");
        api_jw_obj_begin(&w);
        ddb_s3io_kstr_opt(&w, "delim", r->delim);
        if (r->headers) {
            api_jw_key(&w, "headers");
            api_jw_arr_begin(&w);
            for (size_t i = 0; i < r->n_headers; i++)
                api_jw_cstr(&w, r->headers[i]);
            api_jw_arr_end(&w);
        }
        api_jw_obj_end(&w);
    }
    api_jw_key(&w, "tcp");
    api_jw_raw(&w, r->tcp);
    api_jw_kstr(&w, "table_id", r->table_id);
    api_jw_ku64(&w, "tid", r->tid);
    api_jw_key(&w, "start");
    api_jw_i64(&w, r->start_ms);
    api_jw_key(&w, "end");
    api_jw_i64(&w, r->end_ms);
    api_jw_ku64(&w, "processed", r->processed);
    api_jw_ku64(&w, "psize", r->psize);
    api_jw_ku64(&w, "imported", r->imported);
    api_jw_ku64(&w, "errors", r->errors);
    api_jw_kstr(&w, "obj", r->obj ? r->obj : "");
    api_jw_ku64(&w, "off", r->off);
    api_jw_ku64(&w, "index", r->index);
    api_jw_kbool(&w, "odone", r->obj_done);
    if (r->s3_denied)
        api_jw_kbool(&w, "s3_denied", true);
    ddb_s3io_kstr_opt(&w, "fcode", r->fcode);
    ddb_s3io_kstr_opt(&w, "fmsg", r->fmsg);
    api_jw_obj_end(&w);
}

static uint64_t ju64(const api_json_t *o, const char *k)
{
    int64_t v = 0;
    const api_json_t *j = api_json_get(o, k);
    return j && api_json_int(j, &v) && v > 0 ? (uint64_t)v : 0;
}

int ddb_imp_rec_decode(kv_arena_t *a, kv_slice_t v, ddb_imp_rec_t *r)
{
    memset(r, 0, sizeof(*r));
    api_json_t *o;
    const char *err;
    if (api_json_parse(a, v, &o, &err) < 0 || api_json_type(o) != API_J_OBJ)
        return KV_ECORRUPT;
    r->id = ddb_s3io_jstr(a, o, "id");
    r->table = ddb_s3io_jstr(a, o, "table");
    r->status = ddb_s3io_jstr(a, o, "status");
    r->token = ddb_s3io_jstr(a, o, "token");
    r->bucket = ddb_s3io_jstr(a, o, "bucket");
    r->prefix = ddb_s3io_jstr(a, o, "prefix");
    r->owner = ddb_s3io_jstr(a, o, "owner");
    r->format = ddb_s3io_jstr(a, o, "format");
    r->comp = ddb_s3io_jstr(a, o, "comp");
    const api_json_t *csv = api_json_get(o, "csv");
    if (csv && api_json_type(csv) == API_J_OBJ) {
        r->has_csv = true;
        r->delim = ddb_s3io_jstr(a, csv, "delim");
        const api_json_t *h = api_json_get(csv, "headers");
        if (h && api_json_type(h) == API_J_ARR) {
            r->n_headers = api_json_len(h);
            r->headers = kv_arena_calloc(a, r->n_headers + 1, sizeof(char *));
            for (size_t i = 0; i < r->n_headers; i++) {
                kv_slice_t s = api_json_str(api_json_at(h, i));
                r->headers[i] = kv_arena_strndup(a, s.p, s.len);
            }
        }
    }
    const api_json_t *tcp = api_json_get(o, "tcp");
    kv_buf_t b;
    kv_buf_init(&b, ENG_DDBIO_VAL_MAX);
    if (tcp && api_json_dump(tcp, &b))
        r->tcp = kv_arena_dup(a, kv_buf_slice(&b));
    else
        r->tcp = KV_SLICE_LIT("{}");
    kv_buf_dispose(&b);
    r->table_id = ddb_s3io_jstr(a, o, "table_id");
    r->tid = (uint32_t)ju64(o, "tid");
    r->start_ms = (int64_t)ju64(o, "start");
    r->end_ms = (int64_t)ju64(o, "end");
    r->processed = ju64(o, "processed");
    r->psize = ju64(o, "psize");
    r->imported = ju64(o, "imported");
    r->errors = ju64(o, "errors");
    r->obj = ddb_s3io_jstr(a, o, "obj");
    r->off = ju64(o, "off");
    r->index = ju64(o, "index");
    const api_json_t *od = api_json_get(o, "odone");
    r->obj_done = od && api_json_type(od) == API_J_BOOL && api_json_bool(od);
    const api_json_t *den = api_json_get(o, "s3_denied");
    r->s3_denied = den && api_json_type(den) == API_J_BOOL && api_json_bool(den);
    r->fcode = ddb_s3io_jstr(a, o, "fcode");
    r->fmsg = ddb_s3io_jstr(a, o, "fmsg");
    if (!r->id || !r->table || !r->status || !r->token || !r->bucket || !r->format || !r->comp)
        return KV_ECORRUPT;
    if (!r->table_id)
        r->table_id = "";
    if (!r->obj)
        r->obj = "";
    return 0;
}

int ddb_imp_get(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t id, ddb_imp_rec_t *r)
{
    char key[64];
    if (id.len > 60)
        return KV_ENOTFOUND;
    char idz[64];
    memcpy(idz, id.p, id.len);
    idz[id.len] = 0;
    size_t n = ddb_imp_key(idz, key);
    kv_slice_t v;
    int rc = eng_ddbio_get(ctx->eng, kv_slice(key, n), a, &v);
    if (rc < 0)
        return rc;
    return ddb_imp_rec_decode(a, v, r);
}

int ddb_imp_put(api_ctx_t *ctx, const ddb_imp_rec_t *r)
{
    char key[64];
    size_t n = ddb_imp_key(r->id, key);
    kv_buf_t v;
    kv_buf_init(&v, ENG_DDBIO_VAL_MAX);
    ddb_imp_rec_encode(r, &v);
    eng_cat_op_t op = {kv_slice(key, n), kv_buf_slice(&v)};
    int rc = kv_buf_failed(&v) ? KV_ETOOBIG : eng_ddbio_write(ctx->eng, &op, 1);
    kv_buf_dispose(&v);
    return rc;
}

/* ---- decoding ---- */

/* DynamoDB's S3 bucket name pattern: ^[a-z0-9A-Z]+[\.\-\w]*[a-z0-9A-Z]+$ */
static bool digits12(kv_slice_t s)
{
    if (s.len != 12)
        return false;
    for (size_t i = 0; i < s.len; i++)
        if (s.p[i] < '0' || s.p[i] > '9')
            return false;
    return true;
}

/* HeaderList members: [\x20-\x21\x23-\x2B\x2D-\x7E]* (no '"' or ','). */
static bool header_ok(kv_slice_t s)
{
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = s.p[i];
        if (c < 0x20 || c > 0x7E || c == '"' || c == ',')
            return false;
    }
    return true;
}

static int clip(size_t n)
{
    return (int)(n > 200 ? 200 : n);
}

/* Add the violations of a failed TableCreationParameters decode to d, their paths under
 * tableCreationParameters. */
static void nest_violations(ddb_dec_t *d, const char *msg)
{
    const char *p = strstr(msg, "detected: ");
    if (p == NULL)
        return;
    p += 10;
    for (;;) {
        const char *e = strstr(p, "; Value ");
        size_t n = e ? (size_t)(e - p) : strlen(p);
        const char *at = strstr(p, " at '");
        if (at && (size_t)(at - p) < n) {
            size_t pre = (size_t)(at - p) + 5;
            ddb_dec_violation(d, "%.*stableCreationParameters.%.*s", (int)pre, p, (int)(n - pre),
                              p + pre);
        } else {
            ddb_dec_violation(d, "%.*s", (int)n, p);
        }
        if (e == NULL)
            break;
        p = e + 2;
    }
}

int ddb_decode_import_table(ddb_dec_t *d, const api_json_t *in, ddb_import_table_in_t *out)
{
    memset(out, 0, sizeof(*out));
    bool has_token = ddb_opt_str(d, in, "ClientToken", &out->token);
    const api_json_t *src = ddb_opt_kind(d, in, "S3BucketSource", API_J_OBJ);
    bool has_fmt = ddb_opt_str(d, in, "InputFormat", &out->format);
    bool has_comp = ddb_opt_str(d, in, "InputCompressionType", &out->comp);
    const api_json_t *opts = ddb_opt_kind(d, in, "InputFormatOptions", API_J_OBJ);
    const api_json_t *tcp = ddb_opt_kind(d, in, "TableCreationParameters", API_J_OBJ);
    if (d->serialization)
        return ddb_dec_finish(d);

    if (!has_token)
        ddb_dec_violation(d, "Value null at 'clientToken' failed to satisfy constraint: Member "
                             "must not be null");
    else if (out->token.len == 0 || memchr(out->token.p, '$', out->token.len))
        ddb_dec_violation(d,
                          "Value '%.*s' at 'clientToken' failed to satisfy constraint: Member "
                          "must satisfy regular expression pattern: ^[^\\$]+$",
                          clip(out->token.len), (const char *)out->token.p);
    if (src == NULL) {
        ddb_dec_violation(d, "Value null at 's3BucketSource' failed to satisfy constraint: "
                             "Member must not be null");
    } else {
        bool hb = ddb_opt_str(d, src, "S3Bucket", &out->bucket);
        ddb_opt_str(d, src, "S3KeyPrefix", &out->prefix);
        bool ho = ddb_opt_str(d, src, "S3BucketOwner", &out->owner);
        if (!hb)
            ddb_dec_violation(d, "Value null at 's3BucketSource.s3Bucket' failed to satisfy "
                                 "constraint: Member must not be null");
        else if (out->bucket.len > 255)
            ddb_dec_violation(d,
                              "Value '%.*s' at 's3BucketSource.s3Bucket' failed to satisfy "
                              "constraint: Member must have length less than or equal to 255",
                              clip(out->bucket.len), (const char *)out->bucket.p);
        else if (!ddb_s3io_bucket_ok(out->bucket))
            ddb_dec_violation(d,
                              "Value '%.*s' at 's3BucketSource.s3Bucket' failed to satisfy "
                              "constraint: Member must satisfy regular expression pattern: "
                              "^[a-z0-9A-Z]+[\\.\\-\\w]*[a-z0-9A-Z]+$",
                              clip(out->bucket.len), (const char *)out->bucket.p);
        if (out->prefix.len > 1024)
            ddb_dec_violation(d,
                              "Value '%.*s' at 's3BucketSource.s3KeyPrefix' failed to satisfy "
                              "constraint: Member must have length less than or equal to 1024",
                              clip(out->prefix.len), (const char *)out->prefix.p);
        if (ho && !digits12(out->owner))
            ddb_dec_violation(d,
                              "Value '%.*s' at 's3BucketSource.s3BucketOwner' failed to satisfy "
                              "constraint: Member must satisfy regular expression pattern: "
                              "[0-9]{12}",
                              clip(out->owner.len), (const char *)out->owner.p);
    }
    if (!has_fmt)
        ddb_dec_violation(d, "Value null at 'inputFormat' failed to satisfy constraint: Member "
                             "must not be null");
    else if (!kv_slice_eq_str(out->format, "DYNAMODB_JSON") &&
             !kv_slice_eq_str(out->format, "ION") && !kv_slice_eq_str(out->format, "CSV"))
        ddb_dec_violation(d,
                          "Value '%.*s' at 'inputFormat' failed to satisfy constraint: Member "
                          "must satisfy enum value set: [DYNAMODB_JSON, ION, CSV]",
                          clip(out->format.len), (const char *)out->format.p);
    if (has_comp && !kv_slice_eq_str(out->comp, "GZIP") && !kv_slice_eq_str(out->comp, "ZSTD") &&
        !kv_slice_eq_str(out->comp, "NONE"))
        ddb_dec_violation(d,
                          "Value '%.*s' at 'inputCompressionType' failed to satisfy constraint: "
                          "Member must satisfy enum value set: [GZIP, ZSTD, NONE]",
                          clip(out->comp.len), (const char *)out->comp.p);
    if (!has_comp)
        out->comp = KV_SLICE_LIT("NONE");
    const api_json_t *csv = opts ? ddb_opt_kind(d, opts, "Csv", API_J_OBJ) : NULL;
    if (csv) {
        out->has_csv = true;
        bool hd = ddb_opt_str(d, csv, "Delimiter", &out->delim);
        if (hd && out->delim.len != 1)
            ddb_dec_violation(d,
                              "Value '%.*s' at 'inputFormatOptions.csv.delimiter' failed to "
                              "satisfy constraint: Member must have length %s",
                              clip(out->delim.len), (const char *)out->delim.p,
                              out->delim.len ? "less than or equal to 1"
                                             : "greater than or equal to 1");
        else if (hd && !strchr(",;:|\t ", out->delim.p[0]))
            ddb_dec_violation(d,
                              "Value '%.*s' at 'inputFormatOptions.csv.delimiter' failed to "
                              "satisfy constraint: Member must satisfy regular expression "
                              "pattern: [,;:|\\t ]",
                              1, (const char *)out->delim.p);
        const api_json_t *hl = ddb_opt_kind(d, csv, "HeaderList", API_J_ARR);
        if (hl) {
            size_t n = api_json_len(hl);
            if (n == 0 || n > 255)
                ddb_dec_violation(d,
                                  "Value '[...]' at 'inputFormatOptions.csv.headerList' failed "
                                  "to satisfy constraint: Member must have length %s",
                                  n ? "less than or equal to 255" : "greater than or equal to 1");
            if (n > 255)
                n = 255;
            out->headers = kv_arena_calloc(d->a, n + 1, sizeof(kv_slice_t));
            for (size_t i = 0; i < n; i++) {
                const api_json_t *e = api_json_at(hl, i);
                if (api_json_type(e) != API_J_STR) {
                    ddb_dec_serial(d, "NUMBER_VALUE cannot be converted to String");
                    break;
                }
                kv_slice_t h = api_json_str(e);
                if (h.len == 0 || h.len > 65536 || !header_ok(h))
                    ddb_dec_violation(
                        d, "Value '[...]' at 'inputFormatOptions.csv.headerList' failed to satisfy "
                           "constraint: Member must satisfy constraint: [Member must have length "
                           "less than or equal to 65536, Member must have length greater than or "
                           "equal to 1, Member must satisfy regular expression pattern: "
                           "[\\x20-\\x21\\x23-\\x2B\\x2D-\\x7E]*]");
                out->headers[out->n_headers++] = h;
            }
        }
    }
    if (tcp == NULL)
        ddb_dec_violation(d, "Value null at 'tableCreationParameters' failed to satisfy "
                             "constraint: Member must not be null");
    if (d->serialization || tcp == NULL)
        return ddb_dec_finish(d);

    /* TableCreationParameters: CreateTable's decoder, its violations under this member. */
    api_resp_t r2;
    memset(&r2, 0, sizeof(r2));
    r2._arena = d->a;
    ddb_dec_t d2;
    memset(&d2, 0, sizeof(d2));
    d2.req = d->req;
    d2.resp = &r2;
    d2.a = d->a;
    kv_buf_init(&d2.errors, 64 * 1024);
    int rc = ddb_decode_create_table(&d2, tcp, &out->ct);
    if (rc < 0 && !r2._err && ddb_dec_finish(&d2) == 0)
        api_fail(&r2, API_E_DDB_VALIDATION, NULL);
    kv_buf_dispose(&d2.errors);
    if (rc < 0 && r2._err == API_E_DDB_VALIDATION && r2._msg && strstr(r2._msg, " detected: "))
        nest_violations(d, r2._msg);
    if (ddb_dec_finish(d) < 0)
        return -1;
    if (rc < 0) {
        d->resp->_err = r2._err;
        d->resp->status = r2.status;
        d->resp->_msg = r2._msg;
        return -1;
    }
    if (out->has_csv && !kv_slice_eq_str(out->format, "CSV")) {
        api_fail(d->resp, API_E_DDB_VALIDATION,
                 "One or more parameter values were invalid: InputFormatOptions is only "
                 "supported for the CSV InputFormat");
        return -1;
    }
    kv_buf_t b;
    kv_buf_init(&b, ENG_DDBIO_VAL_MAX / 2);
    if (!api_json_dump(tcp, &b) || kv_buf_failed(&b)) {
        kv_buf_dispose(&b);
        api_fail(d->resp, API_E_DDB_VALIDATION, "TableCreationParameters is too large");
        return -1;
    }
    out->tcp = kv_arena_dup(d->a, kv_buf_slice(&b));
    kv_buf_dispose(&b);
    /* What ImportTable's TableCreationParameters cannot ask (CreateTable's decoder read them). */
    eng_table_t *t = &out->ct.t;
    t->stream_enabled = false;
    t->stream_view = ENG_STREAM_NONE;
    t->n_tags = 0;
    return 0;
}

/* arn:aws:dynamodb:<region>:<account>:table/<name>/import/<id> -> name, id. */
static bool parse_import_arn(kv_slice_t arn, kv_slice_t *table, kv_slice_t *id)
{
    const char *p = (const char *)arn.p;
    size_t n = arn.len;
    if (n < 17 || memcmp(p, "arn:aws:dynamodb:", 17) != 0)
        return false;
    const char *t = memmem(p, n, ":table/", 7);
    if (t == NULL)
        return false;
    t += 7;
    const char *imp = memmem(t, n - (size_t)(t - p), "/import/", 8);
    if (imp == NULL)
        return false;
    *table = kv_slice(t, (size_t)(imp - t));
    *id = kv_slice(imp + 8, n - (size_t)(imp + 8 - p));
    if (table->len < 3 || table->len > 255 || id->len != 23 || id->p[14] != '-')
        return false;
    for (size_t i = 0; i < id->len; i++) {
        uint8_t c = id->p[i];
        if (i == 14)
            continue;
        if (!((c >= '0' && c <= '9') || (i > 14 && c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

int ddb_decode_describe_import(ddb_dec_t *d, const api_json_t *in, ddb_describe_import_in_t *out)
{
    memset(out, 0, sizeof(*out));
    bool has = ddb_opt_str(d, in, "ImportArn", &out->arn);
    if (!has)
        ddb_dec_violation(d, "Value null at 'importArn' failed to satisfy constraint: Member "
                             "must not be null");
    else if (out->arn.len < 37 || out->arn.len > 1024)
        ddb_dec_violation(d,
                          "Value '%.*s' at 'importArn' failed to satisfy constraint: Member "
                          "must have length %s",
                          clip(out->arn.len), (const char *)out->arn.p,
                          out->arn.len < 37 ? "greater than or equal to 37"
                                            : "less than or equal to 1024");
    if (ddb_dec_finish(d) < 0)
        return -1;
    kv_slice_t table;
    if (!parse_import_arn(out->arn, &table, &out->id)) {
        api_fail(d->resp, API_E_DDB_VALIDATION, "Invalid Import ARN");
        return -1;
    }
    return 0;
}

#define LIST_TOKEN_PREFIX "imp1."

int ddb_decode_list_imports(ddb_dec_t *d, const api_json_t *in, ddb_list_imports_in_t *out)
{
    memset(out, 0, sizeof(*out));
    bool ha = ddb_opt_str(d, in, "TableArn", &out->table_arn);
    int64_t page = 0;
    bool hp = ddb_opt_int(d, in, "PageSize", &page);
    bool hn = ddb_opt_str(d, in, "NextToken", &out->next);
    if (ha && (out->table_arn.len < 1 || out->table_arn.len > 1024))
        ddb_dec_violation(d,
                          "Value '%.*s' at 'tableArn' failed to satisfy constraint: Member must "
                          "have length %s",
                          clip(out->table_arn.len), (const char *)out->table_arn.p,
                          out->table_arn.len ? "less than or equal to 1024"
                                             : "greater than or equal to 1");
    if (hp && page < 1)
        ddb_dec_violation(d,
                          "Value '%lld' at 'pageSize' failed to satisfy constraint: Member must "
                          "have value greater than or equal to 1",
                          (long long)page);
    else if (hp && page > 25)
        ddb_dec_violation(d,
                          "Value '%lld' at 'pageSize' failed to satisfy constraint: Member must "
                          "have value less than or equal to 25",
                          (long long)page);
    if (hn && (out->next.len < 112 || out->next.len > 1024))
        ddb_dec_violation(d,
                          "Value '%.*s' at 'nextToken' failed to satisfy constraint: Member must "
                          "have length %s",
                          clip(out->next.len), (const char *)out->next.p,
                          out->next.len < 112 ? "greater than or equal to 112"
                                              : "less than or equal to 1024");
    if (ddb_dec_finish(d) < 0)
        return -1;
    out->page = hp ? (size_t)page : 25;
    if (ha) {
        const char *p = (const char *)out->table_arn.p;
        const char *t = memmem(p, out->table_arn.len, ":table/", 7);
        if (out->table_arn.len < 17 || memcmp(p, "arn:aws:dynamodb:", 17) != 0 || t == NULL) {
            api_fail(d->resp, API_E_DDB_VALIDATION, "Invalid Table ARN");
            return -1;
        }
        out->table = kv_slice(t + 7, out->table_arn.len - (size_t)(t + 7 - p));
    }
    if (hn) {
        /* Our tokens: the prefix, the last import id, padding to DynamoDB's 112 characters. */
        if (out->next.len < sizeof(LIST_TOKEN_PREFIX) - 1 + 23 ||
            memcmp(out->next.p, LIST_TOKEN_PREFIX, sizeof(LIST_TOKEN_PREFIX) - 1) != 0) {
            api_fail(d->resp, API_E_DDB_VALIDATION, "Invalid NextToken");
            return -1;
        }
        out->next = kv_slice(out->next.p + sizeof(LIST_TOKEN_PREFIX) - 1, 23);
    }
    return 0;
}

/* ---- executing ---- */

typedef struct find_tok {
    kv_arena_t *a;
    kv_slice_t token;
    ddb_imp_rec_t *found;
} find_tok_t;

static int take_token(void *arg, kv_slice_t suffix, kv_slice_t val)
{
    find_tok_t *f = arg;
    (void)suffix;
    ddb_imp_rec_t r;
    if (ddb_imp_rec_decode(f->a, val, &r) < 0 || strcmp(r.status, "IN_PROGRESS") != 0 ||
        !kv_slice_eq_str(f->token, r.token))
        return 0;
    f->found = kv_arena_alloc(f->a, sizeof(r));
    *f->found = r;
    return 1;
}

static const char *dupz(kv_arena_t *a, kv_slice_t s)
{
    return s.p ? kv_arena_strndup(a, s.p, s.len) : NULL;
}

int ddb_exec_import_table(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                          const ddb_import_table_in_t *in, ddb_import_table_out_t *out)
{
    /* A request replayed with its ClientToken while its import runs: the same import back
     * (whatever else it changed, as DynamoDB answers), or a conflict for another table. */
    find_tok_t f = {.a = req->arena, .token = in->token};
    int rc = eng_ddbio_scan(ctx->eng, KV_SLICE_LIT("I"), KV_SLICE_NULL, 0, take_token, &f);
    if (rc < 0)
        return ddb_engine_fail(resp, rc);
    if (f.found) {
        if (strcmp(f.found->table, in->ct.t.name) != 0)
            return api_refuse(resp, API_E_DDB_IMPORT_CONFLICT,
                              "Duplicate request detected with conflicting parameters");
        out->r = f.found;
        return 0;
    }
    eng_table_t *t = kv_arena_alloc(req->arena, sizeof(*t));
    *t = in->ct.t;
    if (ddb_sse_apply(ctx, req, resp, &in->ct.sse, t) < 0)
        return -1;
    if (!ddb_imp_mark(ctx, 0xFFFFFFFFu, true)) /* room for one more (a placeholder) */
        return api_refuse(resp, API_E_DDB_LIMIT_EXCEEDED,
                          "Subscriber limit exceeded: There is a limit of %d concurrent "
                          "imports",
                          DDB_IMP_MAX);
    rc = eng_table_create(ctx->eng, t);
    if (rc == 0 && !ddb_imp_mark(ctx, t->id, true))
        rc = KV_ETOOBIG;
    ddb_imp_mark(ctx, 0xFFFFFFFFu, false);
    if (rc == KV_EEXIST)
        return api_refuse(resp, API_E_DDB_RESOURCE_IN_USE, "Table already exists: %s", t->name);
    if (rc < 0)
        return ddb_engine_fail(resp, rc);

    ddb_imp_rec_t *r = kv_arena_calloc(req->arena, 1, sizeof(*r));
    int64_t now = kv_now_ms();
    uint32_t rnd;
    kv_random(&rnd, sizeof(rnd));
    char id[32];
    snprintf(id, sizeof(id), "%014lld-%08x", (long long)now, rnd);
    r->id = kv_arena_strndup(req->arena, id, strlen(id));
    r->table = t->name;
    r->status = "IN_PROGRESS";
    r->token = dupz(req->arena, in->token);
    r->bucket = dupz(req->arena, in->bucket);
    r->prefix = dupz(req->arena, in->prefix);
    r->owner = dupz(req->arena, in->owner);
    r->format = dupz(req->arena, in->format);
    r->comp = dupz(req->arena, in->comp);
    r->has_csv = in->has_csv;
    r->delim = dupz(req->arena, in->delim);
    if (in->headers) {
        r->n_headers = in->n_headers;
        r->headers = kv_arena_calloc(req->arena, in->n_headers + 1, sizeof(char *));
        for (size_t i = 0; i < in->n_headers; i++)
            r->headers[i] = dupz(req->arena, in->headers[i]);
    }
    r->tcp = in->tcp;
    r->table_id = kv_arena_strndup(req->arena, t->uuid, strlen(t->uuid));
    r->tid = t->id;
    r->start_ms = now;
    r->obj = "";
    r->s3_denied = in->s3_denied;
    rc = ddb_imp_put(ctx, r);
    if (rc < 0) {
        ddb_imp_mark(ctx, t->id, false);
        return ddb_engine_fail(resp, rc);
    }
    resp->durable = true;
    api_sched_kick(ctx, "import");
    out->r = r;
    return 0;
}

static void import_arn(api_ctx_t *ctx, const ddb_imp_rec_t *r, char *out, size_t cap);

int ddb_exec_describe_import(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                             const ddb_describe_import_in_t *in, ddb_describe_import_out_t *out)
{
    out->r = kv_arena_alloc(req->arena, sizeof(*out->r));
    int rc = ddb_imp_get(ctx, req->arena, in->id, out->r);
    if (rc == 0) {
        /* The request was authorized on the ARN it gives: an import of another table (its id
         * under this table's name) is not this ARN's import. */
        char arn[700];
        import_arn(ctx, out->r, arn, sizeof(arn));
        if (!kv_slice_eq_str(in->arn, arn))
            rc = KV_ENOTFOUND;
    }
    if (rc == KV_ENOTFOUND)
        return api_refuse(resp, API_E_DDB_IMPORT_NOT_FOUND, "Import not found: %.*s",
                          (int)in->arn.len, (const char *)in->arn.p);
    if (rc < 0)
        return ddb_engine_fail(resp, rc);
    return 0;
}

typedef struct lister {
    kv_arena_t *a;
    const ddb_list_imports_in_t *in;
    ddb_list_imports_out_t *out;
    size_t cap;
} lister_t;

static int take_import(void *arg, kv_slice_t suffix, kv_slice_t val)
{
    lister_t *l = arg;
    (void)suffix;
    ddb_imp_rec_t r;
    if (ddb_imp_rec_decode(l->a, val, &r) < 0)
        return 0;
    if (l->in->table.len && !kv_slice_eq_str(l->in->table, r.table))
        return 0;
    if (l->out->n == l->in->page) {
        l->out->next = l->out->list[l->out->n - 1].id;
        return 1;
    }
    l->out->list[l->out->n++] = r;
    return 0;
}

int ddb_exec_list_imports(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                          const ddb_list_imports_in_t *in, ddb_list_imports_out_t *out)
{
    out->list = kv_arena_calloc(req->arena, in->page + 1, sizeof(*out->list));
    lister_t l = {.a = req->arena, .in = in, .out = out};
    int rc = eng_ddbio_scan(ctx->eng, KV_SLICE_LIT("I"), in->next, 0, take_import, &l);
    return rc < 0 ? ddb_engine_fail(resp, rc) : 0;
}

/* ---- encoding ---- */

static void import_arn(api_ctx_t *ctx, const ddb_imp_rec_t *r, char *out, size_t cap)
{
    api_arn_write(out, cap, "dynamodb", ctx->region, "table/%s/import/%s", r->table, r->id);
}

static void log_group_arn(api_ctx_t *ctx, char *out, size_t cap)
{
    api_arn_write(out, cap, "logs", ctx->region, "log-group:/aws-dynamodb/imports:*");
}

static void encode_source(const ddb_imp_rec_t *r, api_jw_t *w)
{
    api_jw_key(w, "S3BucketSource");
    api_jw_obj_begin(w);
    api_jw_kstr(w, "S3Bucket", r->bucket);
    ddb_s3io_kstr_opt(w, "S3BucketOwner", r->owner);
    ddb_s3io_kstr_opt(w, "S3KeyPrefix", r->prefix);
    api_jw_obj_end(w);
}

static void encode_desc(api_ctx_t *ctx, const ddb_imp_rec_t *r, api_jw_t *w)
{
    char arn[1200];
    bool done = strcmp(r->status, "IN_PROGRESS") != 0;
    api_jw_obj_begin(w);
    import_arn(ctx, r, arn, sizeof(arn));
    api_jw_kstr(w, "ImportArn", arn);
    api_jw_kstr(w, "ImportStatus", r->status);
    ddb_s3io_table_arn(ctx, r->table, arn, sizeof(arn));
    api_jw_kstr(w, "TableArn", arn);
    api_jw_kstr(w, "TableId", r->table_id);
    api_jw_kstr(w, "ClientToken", r->token);
    encode_source(r, w);
    log_group_arn(ctx, arn, sizeof(arn));
    api_jw_kstr(w, "CloudWatchLogGroupArn", arn);
    api_jw_kstr(w, "InputFormat", r->format);
    if (r->has_csv) {
        api_jw_key(w, "InputFormatOptions");
        api_jw_obj_begin(w);
        api_jw_key(w, "Csv");
        api_jw_obj_begin(w);
        ddb_s3io_kstr_opt(w, "Delimiter", r->delim);
        if (r->headers) {
            api_jw_key(w, "HeaderList");
            api_jw_arr_begin(w);
            for (size_t i = 0; i < r->n_headers; i++)
                api_jw_cstr(w, r->headers[i]);
            api_jw_arr_end(w);
        }
        api_jw_obj_end(w);
        api_jw_obj_end(w);
    }
    api_jw_kstr(w, "InputCompressionType", r->comp);
    api_jw_key(w, "TableCreationParameters");
    api_jw_raw(w, r->tcp);
    api_jw_key(w, "StartTime");
    api_jw_epoch_ms(w, r->start_ms);
    if (done) {
        api_jw_key(w, "EndTime");
        api_jw_epoch_ms(w, r->end_ms);
    }
    /* As DynamoDB: the counters appear when the import ends (zero while it runs). */
    api_jw_ku64(w, "ProcessedItemCount", done ? r->processed : 0);
    if (done && r->psize)
        api_jw_ku64(w, "ProcessedSizeBytes", r->psize);
    api_jw_ku64(w, "ImportedItemCount", done ? r->imported : 0);
    api_jw_ku64(w, "ErrorCount", done ? r->errors : 0);
    ddb_s3io_kstr_opt(w, "FailureCode", r->fcode);
    ddb_s3io_kstr_opt(w, "FailureMessage", r->fmsg);
    api_jw_obj_end(w);
}

void ddb_encode_import_table(api_ctx_t *ctx, api_req_t *req, const ddb_import_table_out_t *out,
                             api_jw_t *w)
{
    (void)req;
    api_jw_obj_begin(w);
    api_jw_key(w, "ImportTableDescription");
    encode_desc(ctx, out->r, w);
    api_jw_obj_end(w);
}

void ddb_encode_describe_import(api_ctx_t *ctx, api_req_t *req,
                                const ddb_describe_import_out_t *out, api_jw_t *w)
{
    ddb_encode_import_table(ctx, req, out, w);
}

void ddb_encode_list_imports(api_ctx_t *ctx, api_req_t *req, const ddb_list_imports_out_t *out,
                             api_jw_t *w)
{
    (void)req;
    char arn[1200];
    api_jw_obj_begin(w);
    api_jw_key(w, "ImportSummaryList");
    api_jw_arr_begin(w);
    for (size_t i = 0; i < out->n; i++) {
        const ddb_imp_rec_t *r = &out->list[i];
        api_jw_obj_begin(w);
        import_arn(ctx, r, arn, sizeof(arn));
        api_jw_kstr(w, "ImportArn", arn);
        api_jw_kstr(w, "ImportStatus", r->status);
        ddb_s3io_table_arn(ctx, r->table, arn, sizeof(arn));
        api_jw_kstr(w, "TableArn", arn);
        encode_source(r, w);
        log_group_arn(ctx, arn, sizeof(arn));
        api_jw_kstr(w, "CloudWatchLogGroupArn", arn);
        api_jw_kstr(w, "InputFormat", r->format);
        api_jw_key(w, "StartTime");
        api_jw_epoch_ms(w, r->start_ms);
        if (strcmp(r->status, "IN_PROGRESS") != 0) {
            api_jw_key(w, "EndTime");
            api_jw_epoch_ms(w, r->end_ms);
        }
        api_jw_obj_end(w);
    }
    api_jw_arr_end(w);
    if (out->next) {
        /* DynamoDB's tokens are at least 112 characters: the id, padded. */
        char tok[160];
        snprintf(tok, sizeof(tok), LIST_TOKEN_PREFIX "%s%0*d", out->next,
                 (int)(112 - (sizeof(LIST_TOKEN_PREFIX) - 1) - strlen(out->next)), 0);
        api_jw_kstr(w, "NextToken", tok);
    }
    api_jw_obj_end(w);
}
