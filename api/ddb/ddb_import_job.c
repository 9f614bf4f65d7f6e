/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "import" job (issue 17, package I): reads an IN_PROGRESS import's source objects in key
 * order (every object under the prefix, as DynamoDB reads them), decompresses them as a stream
 * (zlib's gzip, libzstd), splits them into records (a line of DYNAMODB_JSON; an Ion value,
 * which may span lines; an RFC 4180 CSV record) and writes the items in large batches with the
 * import's progress (the object, the uncompressed offset of its next record, the counters) in
 * the same write batch (eng_import_write): after a crash the import resumes at the record after
 * the last batch committed, so it ends with exactly the source's items.
 *
 * As DynamoDB: the first record that does not make an item (not parseable, no Item, a key
 * missing or of the wrong type, over 400 KB) is counted and logged to the log group
 * /aws-dynamodb/imports (one stream per import) and the rest of its object is skipped; blank
 * records are ignored; an import with errors ends FAILED (ItemValidationError) with its table
 * kept; a missing bucket fails it (S3NoSuchBucket) and drops the table; no object at all is an
 * empty, COMPLETED import.
 *
 * Each step runs for a bounded time and opens the object only for that step (a reader holds a
 * snapshot); the decompressor's state is kept between steps, so no byte is read twice.
 */
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "../api_arn.h"
#include "../s3/s3_sse.h"
#include "base/kv_alloc.h"
#include "base/kv_b64.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "ddb_int.h"
#include "ddb_ion.h"
#include "eng_fnlog.h"

#define BATCH_ITEMS 4096
#define BATCH_BYTES (16u << 20)
#define READ_CHUNK  (1u << 20)
#define PEND_HIGH   (4u << 20)               /* decompress no further ahead than this */
#define RECORD_MAX  (ENG_ITEM_MAX_BYTES * 4) /* a record's text (an item's, with its syntax) */
#define STEP_NS     (100u * 1000 * 1000)     /* a step's time */
#define LOG_GROUP   "/aws-dynamodb/imports"

enum { FMT_JSON, FMT_ION, FMT_CSV };
enum { COMP_NONE, COMP_GZIP, COMP_ZSTD };

typedef struct ddb_imp_cur {
    kv_arena_t *a; /* the record's strings, the table */
    ddb_imp_rec_t rec;
    eng_table_t *t;
    uint32_t bucket_id;
    int fmt, comp;
    uint8_t delim;
    /* the object being read */
    bool open;     /* its decompressor is set up */
    uint64_t size; /* its stored size */
    uint64_t coff; /* compressed bytes read */
    bool in_eof;   /* ... all of them */
    bool out_eof;  /* the decompressor finished */
    z_stream z;
    bool z_on, z_end;
    ZSTD_DStream *zs;
    kv_buf_t in; /* compressed bytes read, not yet decompressed (in_pos of them used) */
    size_t in_pos;
    kv_buf_t pend;     /* uncompressed bytes not yet made records */
    size_t pend_pos;   /* the next record's start in pend */
    size_t scan_pos;   /* bytes of that record scanned for its end */
    uint64_t pend_off; /* uncompressed offset of pend's first byte */
    ddb_ion_scan_t ion;
    bool csv_q;
    kv_arena_t *ha; /* the object's CSV header */
    kv_slice_t *hdr;
    size_t n_hdr;
    bool have_hdr;
    /* the batch */
    kv_arena_t *ba;
    eng_import_item_t *items;
    size_t n_items, batch_bytes;
    kv_slice_t *fields; /* CSV scratch */
} ddb_imp_cur_t;

static void dec_reset(ddb_imp_cur_t *c)
{
    if (c->z_on)
        inflateEnd(&c->z);
    c->z_on = c->z_end = false;
    if (c->zs)
        ZSTD_freeDStream(c->zs);
    c->zs = NULL;
    c->open = false;
    c->coff = 0;
    c->in_eof = c->out_eof = false;
    kv_buf_reset(&c->in);
    c->in_pos = 0;
    kv_buf_reset(&c->pend);
    c->pend_pos = c->scan_pos = 0;
    c->pend_off = 0;
    memset(&c->ion, 0, sizeof(c->ion));
    c->csv_q = false;
    kv_arena_reset(c->ha);
    c->have_hdr = false;
    c->hdr = NULL;
    c->n_hdr = 0;
    if (c->rec.headers) { /* HeaderList: every object's columns */
        c->hdr = kv_arena_calloc(c->ha, c->rec.n_headers + 1, sizeof(kv_slice_t));
        for (size_t i = 0; i < c->rec.n_headers; i++)
            c->hdr[i] = kv_slice_str(c->rec.headers[i]);
        c->n_hdr = c->rec.n_headers;
    }
}

void ddb_imp_cur_free(ddb_imp_cur_t *c)
{
    if (c == NULL)
        return;
    dec_reset(c);
    kv_buf_dispose(&c->in);
    kv_buf_dispose(&c->pend);
    kv_arena_free(c->a);
    kv_arena_free(c->ba);
    kv_arena_free(c->ha);
    kv_free(c->items);
    kv_free(c->fields);
    kv_free(c);
}

/* ---- the error log ---- */

static void log_error(api_ctx_t *ctx, ddb_imp_cur_t *c, const char *key, uint64_t index,
                      const char *msg)
{
    char dir[4096];
    kv_slice_t group = KV_SLICE_LIT(LOG_GROUP);
    eng_fnlog_group_path(ctx->data_dir, group, dir, sizeof(dir));
    eng_fnlog_group_t g;
    memset(&g, 0, sizeof(g));
    snprintf(g.name, sizeof(g.name), "%s", LOG_GROUP);
    int rc = eng_fnlog_group_create(ctx->data_dir, &g);
    if (rc < 0 && rc != KV_EEXIST)
        return;
    kv_slice_t stream = kv_slice_str(c->rec.id);
    rc = eng_fnlog_stream_create(dir, stream);
    if (rc < 0 && rc != KV_EEXIST)
        return;
    char file[48];
    if (!eng_fnlog_stream_file(stream, file))
        return;
    /* The shape of DynamoDB's import error events: where the item was, and why. */
    kv_buf_t b;
    kv_buf_init(&b, 64 * 1024);
    char arn[1200];
    api_arn_write(arn, sizeof(arn), "dynamodb", ctx->region, "table/%s/import/%s", c->rec.table,
                  c->rec.id);
    api_jw_t w;
    api_jw_init(&w, &b);
    api_jw_obj_begin(&w);
    api_jw_key(&w, "itemS3Pointer");
    api_jw_obj_begin(&w);
    api_jw_kstr(&w, "bucket", c->rec.bucket);
    api_jw_kstr(&w, "key", key);
    api_jw_ku64(&w, "itemIndex", index);
    api_jw_obj_end(&w);
    api_jw_kstr(&w, "importArn", arn);
    api_jw_key(&w, "errorMessages");
    api_jw_arr_begin(&w);
    api_jw_cstr(&w, msg);
    api_jw_arr_end(&w);
    api_jw_obj_end(&w);
    int64_t ts = kv_now_ms();
    kv_slice_t m = kv_buf_slice(&b);
    if (api_jw_ok(&w))
        eng_fnlog_append(dir, file, &ts, &m, 1);
    kv_buf_dispose(&b);
}

/* ---- a record into an item ---- */

typedef struct conv {
    api_req_t rq;
    api_resp_t rs;
    char err[1024];
} conv_t;

static void conv_init(conv_t *v, kv_arena_t *a)
{
    memset(v, 0, sizeof(*v));
    v->rq.arena = a;
    v->rs._arena = a;
}

/* A message from a decoder (its first semantic, serialization or constraint error). */
static void dec_msg(ddb_dec_t *d, char *out, size_t cap)
{
    if (d->serialization)
        snprintf(out, cap, "%s", d->ser_msg);
    else if (d->fail_msg)
        snprintf(out, cap, "%s", d->fail_msg);
    else if (d->n_errors)
        snprintf(out, cap, "%.*s", (int)d->errors.len, (const char *)d->errors.p);
    else
        snprintf(out, cap, "Invalid item");
}

static int from_json(kv_arena_t *a, kv_slice_t text, eng_item_t **out, char *err, size_t cap)
{
    api_json_t *root;
    const char *jerr = NULL;
    if (api_json_parse(a, text, &root, &jerr) < 0) {
        snprintf(err, cap, "Unexpected token in the record: not valid JSON");
        return -1;
    }
    const api_json_t *item = api_json_type(root) == API_J_OBJ ? api_json_get(root, "Item") : NULL;
    if (item == NULL || api_json_type(item) != API_J_OBJ) {
        snprintf(err, cap, "Unable to parse the item: the record has no Item object");
        return -1;
    }
    ddb_dec_t d;
    memset(&d, 0, sizeof(d));
    d.a = a;
    kv_buf_init(&d.errors, 4096);
    int rc = ddb_item_decode(&d, item, out);
    if (rc < 0 || d.serialization || d.fail_msg || d.n_errors) {
        dec_msg(&d, err, cap);
        rc = -1;
    }
    kv_buf_dispose(&d.errors);
    return rc;
}

/* A CSV value of a key attribute, typed by its definition. */
static int csv_value(ddb_imp_cur_t *c, kv_arena_t *a, kv_slice_t name, kv_slice_t s, eng_av_t **out,
                     char *err, size_t cap)
{
    eng_scalar_t ty = ENG_SCALAR_S;
    for (size_t i = 0; i < c->t->n_attrs; i++)
        if (kv_slice_eq_str(name, c->t->attrs[i].name))
            ty = c->t->attrs[i].type;
    eng_av_t *v = kv_arena_calloc(a, 1, sizeof(*v));
    *out = v;
    if (ty == ENG_SCALAR_S) {
        v->t = ENG_AV_S;
        v->u.s = s;
        return 0;
    }
    if (ty == ENG_SCALAR_B) {
        kv_buf_t b;
        kv_buf_init(&b, 2 * ENG_ITEM_MAX_BYTES);
        bool ok = kv_b64_decode(&b, s);
        if (ok)
            v->u.s = kv_arena_dup(a, kv_buf_slice(&b));
        kv_buf_dispose(&b);
        if (!ok) {
            snprintf(err, cap, "Base64 encoded value is not valid");
            return -1;
        }
        v->t = ENG_AV_B;
        return 0;
    }
    eng_num_t n;
    eng_num_status_t st = eng_num_parse(s, &n);
    if (st != ENG_NUM_OK) {
        snprintf(err, cap, "The parameter cannot be converted to a numeric value: %.*s",
                 (int)(s.len > 100 ? 100 : s.len), (const char *)s.p);
        return -1;
    }
    uint8_t mem[200];
    kv_buf_t b;
    kv_buf_init_on(&b, mem, sizeof(mem), 1024);
    eng_num_format(&n, &b);
    v->t = ENG_AV_N;
    v->u.s = kv_arena_dup(a, kv_buf_slice(&b));
    kv_buf_dispose(&b);
    return 0;
}

static int from_csv(ddb_imp_cur_t *c, kv_arena_t *a, kv_slice_t text, eng_item_t **out, char *err,
                    size_t cap)
{
    int n = ddb_csv_split(a, text, c->delim, c->fields, DDB_CSV_MAX_FIELDS);
    if (n < 0) {
        snprintf(err, cap,
                 "Unable to parse the CSV record: unbalanced quotes or too many "
                 "columns");
        return -1;
    }
    if ((size_t)n != c->n_hdr) {
        snprintf(err, cap, "The number of columns (%d) does not match the header (%zu)", n,
                 c->n_hdr);
        return -1;
    }
    eng_item_t *it = kv_arena_calloc(a, 1, sizeof(*it));
    it->attrs = kv_arena_calloc(a, (size_t)n + 1, sizeof(eng_attr_t));
    for (int i = 0; i < n; i++) {
        bool key = false;
        for (size_t j = 0; j < c->t->n_attrs; j++)
            key |= kv_slice_eq_str(c->hdr[i], c->t->attrs[j].name);
        if (c->fields[i].len == 0 && !key)
            continue; /* an empty cell: no attribute */
        eng_attr_t *at = &it->attrs[it->n++];
        at->name = c->hdr[i];
        if (csv_value(c, a, c->hdr[i], c->fields[i], &at->v, err, cap) < 0)
            return -1;
    }
    *out = it;
    return 0;
}

/* The checks PutItem makes of an item, without a request. */
static int check_item(ddb_imp_cur_t *c, conv_t *v, const eng_item_t *it, kv_slice_t *key)
{
    for (size_t i = 0; i < it->n; i++)
        if (it->attrs[i].name.len == 0) {
            snprintf(v->err, sizeof(v->err),
                     "One or more parameter values were invalid: An attribute name may not "
                     "be empty");
            return -1;
        }
    v->rs._err = 0;
    if (ddb_item_key(&v->rq, &v->rs, c->t, it, false, key) < 0 ||
        ddb_index_keys_ok(&v->rs, c->t, it) < 0 ||
        ddb_item_too_big(&v->rs, it, "Item size has exceeded the maximum allowed size") < 0) {
        snprintf(v->err, sizeof(v->err), "%s", v->rs._msg ? v->rs._msg : "Invalid item");
        return -1;
    }
    return 0;
}

/* ---- the cursor ---- */

static int fmt_of(const char *f)
{
    return strcmp(f, "ION") == 0 ? FMT_ION : (strcmp(f, "CSV") == 0 ? FMT_CSV : FMT_JSON);
}

static int comp_of(const char *f)
{
    return strcmp(f, "GZIP") == 0 ? COMP_GZIP : (strcmp(f, "ZSTD") == 0 ? COMP_ZSTD : COMP_NONE);
}

typedef struct first_run {
    kv_arena_t *a;
    ddb_imp_rec_t *r;
    bool found;
} first_run_t;

static int take_running(void *arg, kv_slice_t suffix, kv_slice_t val)
{
    first_run_t *f = arg;
    (void)suffix;
    if (ddb_imp_rec_decode(f->a, val, f->r) == 0 && strcmp(f->r->status, "IN_PROGRESS") == 0) {
        f->found = true;
        return 1;
    }
    kv_arena_reset(f->a);
    return 0;
}

static int commit(api_ctx_t *ctx, ddb_imp_cur_t *c);

/* End the import: COMPLETED, or FAILED (code, message); drop_table for a source that never
 * was (DynamoDB keeps no table then). */
static void finish(api_ctx_t *ctx, ddb_imp_cur_t **slot, const char *code, const char *msg,
                   bool drop_table)
{
    ddb_imp_cur_t *c = *slot;
    ddb_imp_rec_t *r = &c->rec;
    if (code == NULL && r->errors) {
        code = "ItemValidationError";
        msg = "Some of the items failed validation checks and were not imported. Please check "
              "CloudWatch error logs for more details.";
    }
    r->status = code ? "FAILED" : "COMPLETED";
    r->fcode = code;
    r->fmsg = msg;
    r->end_ms = kv_now_ms();
    if (drop_table) {
        eng_table_t *old;
        kv_arena_t *a = kv_arena_new(4096);
        eng_table_delete(ctx->eng, kv_slice_str(r->table), a, &old);
        kv_arena_free(a);
    }
    int rc = ddb_imp_put(ctx, r);
    if (rc < 0) {
        KV_LOG_ERROR("dynamodb: import %s: cannot record its end: %s", r->id, kv_err_name(rc));
        return; /* the next step tries again */
    }
    KV_LOG_INFO("dynamodb: import %s into %s %s (%llu items, %llu errors)", r->id, r->table,
                r->status, (unsigned long long)r->imported, (unsigned long long)r->errors);
    ddb_imp_mark(ctx, r->tid, false);
    ddb_imp_cur_free(c);
    *slot = NULL;
}

/* Set up the cursor of the first running import. @return 1, 0 when none runs, -1 ended. */
static int load(api_ctx_t *ctx, ddb_imp_cur_t **slot)
{
    ddb_imp_cur_t *c = kv_calloc(1, sizeof(*c));
    c->a = kv_arena_new(1u << 16);
    c->ba = kv_arena_new(1u << 20);
    c->ha = kv_arena_new(4096);
    kv_buf_init(&c->in, 4u * READ_CHUNK);
    kv_buf_init(&c->pend, PEND_HIGH + RECORD_MAX + 2u * READ_CHUNK);
    c->items = kv_calloc(BATCH_ITEMS, sizeof(*c->items));
    first_run_t f = {.a = c->a, .r = &c->rec};
    eng_ddbio_scan(ctx->eng, KV_SLICE_LIT("I"), KV_SLICE_NULL, 0, take_running, &f);
    if (!f.found) {
        ddb_imp_cur_free(c);
        return 0;
    }
    *slot = c;
    c->fmt = fmt_of(c->rec.format);
    c->comp = comp_of(c->rec.comp);
    c->delim = c->rec.delim && c->rec.delim[0] ? (uint8_t)c->rec.delim[0] : ',';
    if (c->fmt == FMT_CSV)
        c->fields = kv_calloc(DDB_CSV_MAX_FIELDS, sizeof(*c->fields));
    ddb_imp_mark(ctx, c->rec.tid, true);
    int rc = eng_table_get(ctx->eng, kv_slice_str(c->rec.table), c->a, &c->t);
    if (rc < 0 || c->t->id != c->rec.tid) {
        finish(ctx, slot, "InternalServerError", "The table being imported into is gone", false);
        return -1;
    }
    if (c->rec.s3_denied) { /* before the bucket is looked up: its existence is not told */
        finish(ctx, slot, "S3AccessDenied", "Access Denied", true);
        return -1;
    }
    eng_bucket_t *b;
    rc = eng_bucket_get(ctx->eng, kv_slice_str(c->rec.bucket), c->a, &b);
    if (rc == KV_ENOTFOUND) {
        finish(ctx, slot, "S3NoSuchBucket", "The specified bucket does not exist", true);
        return -1;
    }
    if (rc < 0) {
        finish(ctx, slot, "InternalServerError", "The source bucket cannot be read", false);
        return -1;
    }
    c->bucket_id = b->id;
    KV_LOG_INFO("dynamodb: import %s into %s: from object '%s' at %llu", c->rec.id, c->rec.table,
                c->rec.obj, (unsigned long long)c->rec.off);
    return 1;
}

/* The next object to read: the current one again when it is unfinished, else the first key
 * after it under the prefix. @return 1 with *key (arena a), 0 when none is left, or an error. */
static int next_object(api_ctx_t *ctx, ddb_imp_cur_t *c, kv_arena_t *a, kv_slice_t *key,
                       uint64_t *size)
{
    kv_slice_t prefix = kv_slice_str(c->rec.prefix ? c->rec.prefix : "");
    kv_slice_t from = c->rec.obj[0] ? kv_slice_str(c->rec.obj) : prefix;
    eng_obj_iter_t *it = eng_obj_iter_new(ctx->eng, c->bucket_id, from, false);
    int rc;
    eng_object_t *o;
    while ((rc = eng_obj_iter_next(it, a, &o)) == 1) {
        if (o->key.len < prefix.len || memcmp(o->key.p, prefix.p, prefix.len) != 0) {
            rc = 0;
            break;
        }
        if (c->rec.obj_done && kv_slice_eq_str(o->key, c->rec.obj))
            continue;
        *key = o->key;
        *size = o->size;
        break;
    }
    eng_obj_iter_free(it);
    return rc;
}

/* Feed the decompressor: compressed bytes from the object (reader rd) into pend, until pend
 * holds PEND_HIGH bytes or the object ends. @return 0, or -1 with a message. */
static int fill(ddb_imp_cur_t *c, eng_object_reader_t *rd, char *err, size_t cap)
{
    /* compact pend */
    if (c->pend_pos > 0) {
        size_t rest = c->pend.len - c->pend_pos;
        memmove(c->pend.p, c->pend.p + c->pend_pos, rest);
        c->pend.len = rest;
        c->pend_off += c->pend_pos;
        c->pend_pos = 0;
    }
    while (!c->out_eof && c->pend.len < PEND_HIGH) {
        if (c->in_pos == c->in.len && !c->in_eof) {
            kv_buf_reset(&c->in);
            c->in_pos = 0;
            if (!kv_buf_reserve(&c->in, READ_CHUNK)) {
                snprintf(err, cap, "Out of memory");
                return -1;
            }
            int64_t n = eng_object_read(rd, c->coff, c->in.p, READ_CHUNK);
            if (n < 0) {
                snprintf(err, cap, "Unable to read the S3 object");
                return -1;
            }
            c->in.len = (size_t)n;
            c->coff += (uint64_t)n;
            if (n == 0 || c->coff >= c->size)
                c->in_eof = true;
        }
        size_t avail = c->in.len - c->in_pos;
        if (avail == 0 && c->in_eof && c->comp != COMP_ZSTD) {
            /* a gzip stream must have reached its end (an empty object is no stream) */
            if (c->comp == COMP_GZIP && c->z_on && !c->z_end) {
                snprintf(err, cap, "Unable to decompress the S3 object: unexpected end of data");
                return -1;
            }
            c->out_eof = true;
            break;
        }
        if (!kv_buf_reserve(&c->pend, READ_CHUNK)) {
            snprintf(err, cap, "A record is too large");
            return -1;
        }
        uint8_t *dst = c->pend.p + c->pend.len;
        size_t room = c->pend.cap - c->pend.len;
        if (room > 4 * READ_CHUNK)
            room = 4 * READ_CHUNK;
        if (c->comp == COMP_NONE) {
            size_t n = avail < room ? avail : room;
            memcpy(dst, c->in.p + c->in_pos, n);
            c->in_pos += n;
            c->pend.len += n;
        } else if (c->comp == COMP_GZIP) {
            if (!c->z_on) {
                memset(&c->z, 0, sizeof(c->z));
                if (inflateInit2(&c->z, 15 + 32) != Z_OK) {
                    snprintf(err, cap, "Out of memory");
                    return -1;
                }
                c->z_on = true;
            }
            c->z.next_in = c->in.p + c->in_pos;
            c->z.avail_in = (uInt)avail;
            c->z.next_out = dst;
            c->z.avail_out = (uInt)room;
            int zr = inflate(&c->z, Z_NO_FLUSH);
            size_t used = avail - c->z.avail_in, made = room - c->z.avail_out;
            c->in_pos += used;
            c->pend.len += made;
            if (zr == Z_STREAM_END) {
                c->z_end = true;
                if (c->in_pos < c->in.len) { /* concatenated members: the next one */
                    inflateReset(&c->z);
                    c->z_end = false;
                }
            } else if (zr != Z_OK && zr != Z_BUF_ERROR) {
                snprintf(err, cap, "Unable to decompress the S3 object: not valid GZIP data");
                return -1;
            } else if (used || made) {
                c->z_end = false;
            }
        } else {
            if (!c->zs && !(c->zs = ZSTD_createDStream())) {
                snprintf(err, cap, "Out of memory");
                return -1;
            }
            ZSTD_inBuffer ib = {c->in.p, c->in.len, c->in_pos};
            ZSTD_outBuffer ob = {dst, room, 0};
            size_t zr = ZSTD_decompressStream(c->zs, &ob, &ib);
            if (ZSTD_isError(zr)) {
                snprintf(err, cap, "Unable to decompress the S3 object: not valid ZSTD data");
                return -1;
            }
            c->in_pos = ib.pos;
            c->pend.len += ob.pos;
            if (avail == 0 && ob.pos == 0) { /* nothing left in the decoder either */
                if (zr != 0 && c->size > 0) {
                    snprintf(err, cap,
                             "Unable to decompress the S3 object: unexpected end of data");
                    return -1;
                }
                c->out_eof = true;
            } else if (ib.pos == ib.size && c->in_eof && ob.pos < room) {
                if (zr != 0) {
                    snprintf(err, cap,
                             "Unable to decompress the S3 object: unexpected end of data");
                    return -1;
                }
                c->out_eof = true;
            }
        }
    }
    return 0;
}

/* The next complete record in pend: [pend_pos, *end). @return 1, 0 when more bytes are
 * needed (or, at the end, none is left). */
static int next_record(ddb_imp_cur_t *c, size_t *end)
{
    uint8_t *p = c->pend.p;
    size_t n = c->pend.len;
    while (c->pend_pos + c->scan_pos < n) {
        size_t s = c->pend_pos + c->scan_pos;
        uint8_t *nl = memchr(p + s, '\n', n - s);
        size_t e = nl ? (size_t)(nl - p) : n;
        if (nl == NULL && !c->out_eof)
            return 0;
        kv_slice_t line = kv_slice(p + s, e - s);
        bool done = true;
        if (c->fmt == FMT_ION)
            done = ddb_ion_scan_line(&c->ion, line);
        else if (c->fmt == FMT_CSV)
            done = ddb_csv_scan_line(&c->csv_q, line);
        size_t past = nl ? e + 1 : n;
        if (done || past == n) {
            if (!done && !c->out_eof) {
                c->scan_pos = past - c->pend_pos;
                return 0;
            }
            *end = past;
            c->scan_pos = 0;
            memset(&c->ion, 0, sizeof(c->ion));
            c->csv_q = false;
            return 1;
        }
        c->scan_pos = past - c->pend_pos;
    }
    return 0;
}

static bool blank(kv_slice_t s)
{
    for (size_t i = 0; i < s.len; i++)
        if (s.p[i] != ' ' && s.p[i] != '\t' && s.p[i] != '\r' && s.p[i] != '\n')
            return false;
    return true;
}

static int commit(api_ctx_t *ctx, ddb_imp_cur_t *c)
{
    char key[64];
    size_t kn = ddb_imp_key(c->rec.id, key);
    kv_buf_t v;
    kv_buf_init(&v, ENG_DDBIO_VAL_MAX);
    ddb_imp_rec_encode(&c->rec, &v);
    int rc = kv_buf_failed(&v) ? KV_ETOOBIG
                               : eng_import_write(ctx->eng, c->t, c->items, c->n_items,
                                                  kv_slice(key, kn), kv_buf_slice(&v));
    kv_buf_dispose(&v);
    c->n_items = 0;
    c->batch_bytes = 0;
    kv_arena_reset(c->ba);
    return rc;
}

/* Make an item of one record (or count its error). @return 0, or 1 when the object is to
 * be abandoned (the record did not make an item). */
static int one_record(api_ctx_t *ctx, ddb_imp_cur_t *c, kv_slice_t rec, uint64_t index)
{
    c->rec.psize += rec.len;
    if (blank(rec))
        return 0;
    conv_t *v = kv_arena_alloc(c->ba, sizeof(*v));
    conv_init(v, c->ba);
    if (c->fmt == FMT_CSV && !ddb_utf8_valid(rec)) { /* its cells become S values and names */
        snprintf(v->err, sizeof(v->err), "Unable to parse the CSV record: not valid UTF-8");
        goto bad;
    }
    if (c->fmt == FMT_CSV && !c->have_hdr && c->hdr == NULL) {
        /* the object's first record is its header */
        int n = ddb_csv_split(c->ha, rec, c->delim, c->fields, DDB_CSV_MAX_FIELDS);
        if (n <= 0) {
            snprintf(v->err, sizeof(v->err), "Unable to parse the CSV header");
            goto bad;
        }
        c->hdr = kv_arena_calloc(c->ha, (size_t)n, sizeof(kv_slice_t));
        for (int i = 0; i < n; i++)
            c->hdr[i] = kv_arena_dup(c->ha, c->fields[i]);
        c->n_hdr = (size_t)n;
        c->have_hdr = true;
        return 0;
    }
    eng_item_t *it = NULL;
    int rc;
    if (c->fmt == FMT_JSON) {
        rc = from_json(c->ba, rec, &it, v->err, sizeof(v->err));
    } else if (c->fmt == FMT_ION) {
        rc = ddb_ion_read_item(c->ba, rec, &it, v->err, sizeof(v->err));
        if (rc == 0)
            return 0; /* a version marker or comments: no value */
        rc = rc == 1 ? 0 : -1;
    } else {
        rc = from_csv(c, c->ba, rec, &it, v->err, sizeof(v->err));
    }
    kv_slice_t key;
    if (rc < 0 || check_item(c, v, it, &key) < 0)
        goto bad;
    c->rec.processed++;
    c->rec.imported++;
    c->items[c->n_items++] = (eng_import_item_t){key, it};
    c->batch_bytes += rec.len;
    return 0;
bad:
    c->rec.processed++;
    c->rec.errors++;
    log_error(ctx, c, c->rec.obj, index, v->err);
    return 1;
}

/* Abandon or end the current object: the next commit records it done. */
static void object_done(ddb_imp_cur_t *c)
{
    c->rec.obj_done = true;
    c->rec.off = 0;
    c->rec.index = 0;
    dec_reset(c);
}

/* One bounded step of the current object. @return 0 to go on, 1 when the import ended, or
 * an error. */
static int step_object(api_ctx_t *ctx, ddb_imp_cur_t **slot, uint64_t deadline)
{
    ddb_imp_cur_t *c = *slot;
    kv_arena_t *a = kv_arena_new(4096);
    if (!c->open) {
        kv_slice_t key = KV_SLICE_NULL;
        uint64_t size = 0;
        int rc = next_object(ctx, c, a, &key, &size);
        if (rc < 0) {
            kv_arena_free(a);
            return rc;
        }
        if (rc == 0) {
            kv_arena_free(a);
            int crc = commit(ctx, c);
            if (crc < 0)
                return crc;
            finish(ctx, slot, NULL, NULL, false);
            return 1;
        }
        bool same = c->rec.obj[0] && !c->rec.obj_done && kv_slice_eq_str(key, c->rec.obj);
        if (!same) {
            c->rec.obj = kv_arena_strndup(c->a, key.p, key.len);
            c->rec.off = 0;
            c->rec.index = 0;
        }
        c->rec.obj_done = false;
        dec_reset(c);
        c->open = true;
        c->size = size;
        if (size == 0)
            c->in_eof = true;
    }
    eng_object_t *meta;
    eng_object_reader_t *rd = NULL;
    char err[256] = "";
    int rc = eng_object_open(ctx->eng, c->bucket_id, kv_slice_str(c->rec.obj), NULL, a, &meta, &rd);
    if (rc == KV_ENOTFOUND || (rc == 0 && rd == NULL)) {
        object_done(c); /* deleted meanwhile: nothing to read */
        kv_arena_free(a);
        return 0;
    }
    if (rc < 0) {
        kv_arena_free(a);
        return rc;
    }
    if (meta->sse != ENG_SSE_NONE &&
        s3_sse_read_internal(ctx, kv_slice_str(c->rec.bucket), meta, rd) < 0) {
        snprintf(err, sizeof(err),
                 "Unable to read the S3 object: it is encrypted with a key "
                 "the import cannot use");
        goto bad_object;
    }
    for (;;) {
        if (fill(c, rd, err, sizeof(err)) < 0)
            goto bad_object;
        size_t end;
        bool abandoned = false;
        while (next_record(c, &end) == 1) {
            kv_slice_t rec = kv_slice(c->pend.p + c->pend_pos, end - c->pend_pos);
            uint64_t at = c->pend_off + c->pend_pos;
            c->pend_pos = end;
            if (at < c->rec.off)
                continue; /* written before a restart */
            uint64_t index = c->rec.index++;
            c->rec.off = c->pend_off + end;
            if (one_record(ctx, c, rec, index) == 1) {
                abandoned = true;
                break;
            }
            if (c->n_items == BATCH_ITEMS || c->batch_bytes >= BATCH_BYTES) {
                if ((rc = commit(ctx, c)) < 0)
                    goto out;
            }
        }
        if (abandoned || (c->out_eof && c->pend_pos == c->pend.len)) {
            object_done(c);
            rc = commit(ctx, c);
            goto out;
        }
        if (c->pend.len - c->pend_pos > RECORD_MAX) {
            snprintf(err, sizeof(err), "A record is larger than the item size limit allows");
            goto bad_object;
        }
        if (kv_now_mono_ns() > deadline) {
            rc = commit(ctx, c);
            goto out;
        }
    }
bad_object:
    c->rec.processed++;
    c->rec.errors++;
    log_error(ctx, c, c->rec.obj, c->rec.index, err);
    object_done(c);
    rc = commit(ctx, c);
out:
    if (rd)
        eng_object_close(rd);
    kv_arena_free(a);
    return rc < 0 ? rc : 0;
}

int ddb_import_run(api_ctx_t *ctx, void *state, unsigned budget)
{
    (void)state, (void)budget;
    ddb_imp_cur_t **slot = ddb_imp_cur_slot(ctx);
    if (*slot == NULL) {
        int rc = load(ctx, slot);
        if (rc == 0)
            return -1; /* until an ImportTable */
        if (rc < 0)
            return 0; /* that import ended at once: the next one */
    }
    uint64_t deadline = kv_now_mono_ns() + STEP_NS;
    while (*slot && kv_now_mono_ns() <= deadline) {
        int rc = step_object(ctx, slot, deadline);
        if (rc < 0) {
            KV_LOG_ERROR("dynamodb: import step failed: %s", kv_err_name(rc));
            if (*slot) { /* drop the cursor: the import resumes from its record */
                ddb_imp_cur_free(*slot);
                *slot = NULL;
            }
            return 1000;
        }
        if (rc == 1)
            return 0; /* ended: the next import, if any */
    }
    return 0;
}
