/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DynamoDB and DynamoDB Streams authorization (issue 15, package D): every operation's IAM
 * action and resource ARN as the Service Authorization Reference lists them (tables, indexes,
 * streams, backups, "*" where AWS has no resource), the actions a batch, a transaction, a
 * PartiQL statement or a restore asks on each table, and the fine-grained access condition
 * keys (dynamodb:LeadingKeys, dynamodb:Attributes, dynamodb:Select, dynamodb:ReturnValues,
 * dynamodb:ReturnConsumedCapacity, dynamodb:FullTableScan, dynamodb:EnclosingOperation), with the
 * table's tags as aws:ResourceTag/<key> and a request's tags as aws:RequestTag/<key> and
 * aws:TagKeys.
 *
 * ddb_dispatch calls ddb_authz_<op> between decoding and execution; the root skips it with one
 * comparison (ddb_authz_skip). Everything else lives in the request arena.
 */
#include <stdlib.h>
#include <string.h>

#include "../api_arn.h"
#include "../authz/api_authz.h"
#include "base/kv_b64.h"
#include "base/kv_buf.h"
#include "ddb_int.h"
#include "ddb_partiql.h"

/* ---- a growing list of values (arena memory), sorted and unique when asked ---- */

typedef struct vec {
    kv_slice_t *v;
    size_t n, cap;
} vec_t;

static void vec_add(kv_arena_t *a, vec_t *x, kv_slice_t s)
{
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 8;
        kv_slice_t *v = kv_arena_alloc(a, cap * sizeof(*v));
        if (x->n)
            memcpy(v, x->v, x->n * sizeof(*v));
        x->v = v;
        x->cap = cap;
    }
    x->v[x->n++] = s;
}

static int slice_cmp(const void *a, const void *b)
{
    return kv_slice_cmp(*(const kv_slice_t *)a, *(const kv_slice_t *)b);
}

/* Sort and drop duplicates: O(n log n). */
static void vec_uniq(vec_t *x)
{
    if (x->n < 2)
        return;
    qsort(x->v, x->n, sizeof(*x->v), slice_cmp);
    size_t k = 1;
    for (size_t i = 1; i < x->n; i++)
        if (!kv_slice_eq(x->v[i], x->v[k - 1]))
            x->v[k++] = x->v[i];
    x->n = k;
}

/* ---- what one authorization asks ---- */

typedef struct fg {
    bool has_lead;     /* dynamodb:LeadingKeys applies (an item or key-condition access) */
    vec_t lead, attrs; /* LeadingKeys, Attributes */
    const char *select, *rv, *rcc, *full_scan, *enclosing;
} fg_t;

typedef struct az {
    api_ctx_t *ctx;
    api_req_t *req;
    api_resp_t *resp;
    kv_arena_t *a;
} az_t;

/* api_arn_new(a, "dynamodb", region, "table/%.*s", ...) without printf (every item operation
 * asks for one). */
static kv_slice_t table_arn(az_t *z, kv_slice_t table)
{
    const char *region = z->ctx->region;
    kv_slice_t pre = region ? KV_SLICE_LIT(":" API_ACCOUNT_ID ":table/") : KV_SLICE_LIT("::table/");
    size_t rl = region ? strlen(region) : 0;
    size_t n = 17 + rl + pre.len + table.len;
    char *s = kv_arena_alloc(z->a, n + 1);
    memcpy(s, "arn:aws:dynamodb:", 17);
    memcpy(s + 17, region ? region : "", rl);
    memcpy(s + 17 + rl, pre.p, pre.len);
    memcpy(s + 17 + rl + pre.len, table.p, table.len);
    s[n] = 0;
    return kv_slice(s, n);
}

static kv_slice_t index_arn(az_t *z, kv_slice_t table, kv_slice_t index)
{
    return kv_slice_str(api_arn_new(z->a, "dynamodb", z->ctx->region, "table/%.*s/index/%.*s",
                                    (int)table.len, (const char *)table.p, (int)index.len,
                                    (const char *)index.p));
}

/* The table (for its key schema and tags), or NULL when it does not exist: execution then
 * answers ResourceNotFoundException to a principal allowed to ask. */
static eng_table_t *table_of(az_t *z, kv_slice_t name)
{
    eng_table_t *t = NULL;
    if (name.len == 0 || eng_table_get(z->ctx->eng, name, z->a, &t) < 0)
        return NULL;
    return t;
}

static void key_add(api_ckey_t *keys, size_t *n, const char *name, const kv_slice_t *v, size_t nv)
{
    keys[(*n)++] = (api_ckey_t){.name = name, .values = v, .n = nv};
}

static const kv_slice_t *one(az_t *z, const char *s)
{
    kv_slice_t *v = kv_arena_alloc(z->a, sizeof(*v));
    *v = kv_slice_str(s);
    return v;
}

/* Ask one action on one resource with the fine-grained keys fg (may be NULL), the tags of
 * table t (may be NULL) as aws:ResourceTag/<k>, and tags/tag keys of the request. */
static int ask_tags(az_t *z, const char *action, kv_slice_t resource, fg_t *fg,
                    const eng_table_t *t, const eng_tag_t *tags, size_t n_tags,
                    const kv_slice_t *tag_keys, size_t n_tag_keys, api_resp_t *resp)
{
    size_t nt = t ? t->n_tags : 0;
    api_ckey_t *keys = kv_arena_alloc(z->a, (8 + nt + n_tags) * sizeof(*keys));
    size_t n = 0;
    if (fg) {
        if (fg->has_lead) {
            vec_uniq(&fg->lead);
            key_add(keys, &n, "dynamodb:LeadingKeys", fg->lead.v, fg->lead.n);
        }
        if (fg->attrs.n) {
            vec_uniq(&fg->attrs);
            key_add(keys, &n, "dynamodb:Attributes", fg->attrs.v, fg->attrs.n);
        }
        if (fg->select)
            key_add(keys, &n, "dynamodb:Select", one(z, fg->select), 1);
        if (fg->rv)
            key_add(keys, &n, "dynamodb:ReturnValues", one(z, fg->rv), 1);
        if (fg->rcc)
            key_add(keys, &n, "dynamodb:ReturnConsumedCapacity", one(z, fg->rcc), 1);
        if (fg->full_scan)
            key_add(keys, &n, "dynamodb:FullTableScan", one(z, fg->full_scan), 1);
        if (fg->enclosing)
            key_add(keys, &n, "dynamodb:EnclosingOperation", one(z, fg->enclosing), 1);
    }
    for (size_t i = 0; i < nt; i++) {
        kv_slice_t *v = kv_arena_alloc(z->a, sizeof(*v));
        *v = kv_slice_str(t->tags[i].value);
        key_add(keys, &n, kv_arena_printf(z->a, "aws:ResourceTag/%s", t->tags[i].key), v, 1);
    }
    for (size_t i = 0; i < n_tags; i++) {
        kv_slice_t *v = kv_arena_alloc(z->a, sizeof(*v));
        *v = kv_slice_str(tags[i].value);
        key_add(keys, &n, kv_arena_printf(z->a, "aws:RequestTag/%s", tags[i].key), v, 1);
    }
    if (n_tag_keys)
        key_add(keys, &n, "aws:TagKeys", tag_keys, n_tag_keys);
    api_authz_t q = {.action = action, .resource = resource, .keys = keys, .n_keys = n};
    return api_authorize(z->ctx, z->req, resp, &q) == 0 ? 0 : -1;
}

static int ask(az_t *z, const char *action, kv_slice_t resource, fg_t *fg, const eng_table_t *t)
{
    return ask_tags(z, action, resource, fg, t, NULL, 0, NULL, 0, z->resp);
}

/* An operation on a table by name: its ARN, its tags. */
static int ask_table(az_t *z, const char *action, kv_slice_t table)
{
    return ask(z, action, table_arn(z, table), NULL, table_of(z, table));
}

static int ask_star(az_t *z, const char *action)
{
    return ask(z, action, KV_SLICE_LIT("*"), NULL, NULL);
}

/* ---- the fine-grained keys of expressions, items and keys ---- */

static void path_name(az_t *z, fg_t *fg, const ddb_path_t *p)
{
    if (p->n > 0 && !p->e[0].is_index)
        vec_add(z->a, &fg->attrs, p->e[0].name);
}

static void operand_names(az_t *z, fg_t *fg, const ddb_operand_t *o)
{
    /* Operands nest only as deep as the expression parser allowed (DDB_EXPR_MAX_DEPTH). */
    if (o == NULL)
        return;
    if (o->kind == DDB_OP_PATH || o->kind == DDB_OP_SIZE || o->kind == DDB_OP_IF_NOT_EXISTS)
        path_name(z, fg, &o->path);
    operand_names(z, fg, o->a);
    operand_names(z, fg, o->b);
}

static void cond_names(az_t *z, fg_t *fg, const ddb_cond_t *c)
{
    if (c == NULL)
        return;
    operand_names(z, fg, c->a);
    operand_names(z, fg, c->b);
    operand_names(z, fg, c->c);
    for (size_t i = 0; i < c->n_list; i++)
        operand_names(z, fg, c->list[i]);
    cond_names(z, fg, c->l);
    cond_names(z, fg, c->r);
}

static void update_names(az_t *z, fg_t *fg, const ddb_update_t *u)
{
    for (size_t i = 0; u && i < u->n; i++) {
        path_name(z, fg, &u->acts[i].path);
        operand_names(z, fg, u->acts[i].value);
    }
}

static void proj_names(az_t *z, fg_t *fg, const ddb_projection_t *p)
{
    for (size_t i = 0; p && i < p->n; i++)
        path_name(z, fg, &p->paths[i]);
}

static void item_names(az_t *z, fg_t *fg, const eng_item_t *it)
{
    for (size_t i = 0; it && i < it->n; i++)
        vec_add(z->a, &fg->attrs, it->attrs[i].name);
}

/* A partition key value as policies compare it: a string's text, a number's canonical text, a
 * binary's base64. */
static kv_slice_t key_text(az_t *z, const eng_av_t *v)
{
    if (v->t != ENG_AV_B)
        return v->u.s;
    /* Exactly the encoding's size, in the arena: the buffer never grows onto the heap. */
    size_t cap = 4 * ((v->u.s.len + 2) / 3) + 1;
    kv_buf_t b;
    kv_buf_init_on(&b, kv_arena_alloc(z->a, cap), cap, cap);
    kv_b64_encode(&b, v->u.s.p, v->u.s.len);
    kv_slice_t s = kv_buf_slice(&b);
    return s;
}

/* The partition key value of an item or key (of table t's schema) into LeadingKeys. */
static void lead_of(az_t *z, fg_t *fg, const eng_table_t *t, const eng_item_t *it)
{
    fg->has_lead = true;
    if (t == NULL || it == NULL)
        return;
    const eng_av_t *v = eng_item_get_attr(it, kv_slice_str(t->hash_key));
    if (v && (v->t == ENG_AV_S || v->t == ENG_AV_N || v->t == ENG_AV_B))
        vec_add(z->a, &fg->lead, key_text(z, v));
}

static bool is_name(const ddb_operand_t *o, const char *name)
{
    return o && name && o->kind == DDB_OP_PATH && o->path.n == 1 && !o->path.e[0].is_index &&
           kv_slice_eq_str(o->path.e[0].name, name);
}

/* The equality on attribute `name` among a condition's AND terms: Query's key condition, a
 * PartiQL WHERE. @return whether one was found. */
static bool eq_value(az_t *z, fg_t *fg, const ddb_cond_t *c, const char *name)
{
    const ddb_cond_t *cj[64];
    size_t n = ddb_pq_conjuncts(c, cj, 64);
    for (size_t i = 0; i < n; i++) {
        const ddb_cond_t *e = cj[i];
        if (e->kind != DDB_C_CMP || e->cmp != DDB_EQ)
            continue;
        const ddb_operand_t *v = is_name(e->a, name) ? e->b : (is_name(e->b, name) ? e->a : NULL);
        if (v && v->kind == DDB_OP_VALUE && v->value &&
            (v->value->t == ENG_AV_S || v->value->t == ENG_AV_N || v->value->t == ENG_AV_B)) {
            vec_add(z->a, &fg->lead, key_text(z, v->value));
            return true;
        }
    }
    return false;
}

static const char *rv_name(ddb_rv_t rv)
{
    static const char *const n[] = {"NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"};
    return (size_t)rv < sizeof(n) / sizeof(n[0]) ? n[rv] : "NONE";
}

static const char *rcc_name(ddb_rcc_t r)
{
    return r == DDB_RCC_TOTAL ? "TOTAL" : r == DDB_RCC_INDEXES ? "INDEXES" : "NONE";
}

/* dynamodb:Select of a read: SPECIFIC_ATTRIBUTES with a projection; otherwise every attribute
 * (the request did not limit what it reads). */
static const char *select_of(const ddb_item_common_t *c)
{
    return c->proj ? "SPECIFIC_ATTRIBUTES" : "ALL_ATTRIBUTES";
}

/* ---- the item operations ---- */

#define AZ_INIT(z) az_t z = {.ctx = ctx, .req = req, .resp = resp, .a = req->arena}

/* A single-item access's keys: GetItem, PutItem, UpdateItem, DeleteItem and their transaction
 * forms. put: PutItem's item (else key: the Key). */
static void item_fg(az_t *z, fg_t *fg, const eng_table_t *t, const ddb_item_common_t *c,
                    const eng_item_t *put, const eng_item_t *key, const ddb_update_t *u, bool read)
{
    memset(fg, 0, sizeof(*fg));
    lead_of(z, fg, t, put ? put : key);
    item_names(z, fg, put ? put : key);
    update_names(z, fg, u);
    cond_names(z, fg, c->cond);
    proj_names(z, fg, c->proj);
    fg->rcc = rcc_name(c->rcc);
    if (read)
        fg->select = select_of(c);
}

static int item_op(az_t *z, const char *action, const ddb_item_common_t *c, const eng_item_t *put,
                   const eng_item_t *key, const ddb_update_t *u, bool read, bool rv)
{
    eng_table_t *t = table_of(z, c->table);
    fg_t fg;
    item_fg(z, &fg, t, c, put, key, u, read);
    if (rv)
        fg.rv = rv_name(c->rv);
    return ask(z, action, table_arn(z, c->table), &fg, t);
}

int ddb_authz_put_item(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, ddb_put_item_in_t *in)
{
    AZ_INIT(z);
    return item_op(&z, "dynamodb:PutItem", &in->c, in->item, NULL, NULL, false, true);
}

int ddb_authz_get_item(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, ddb_key_in_t *in)
{
    AZ_INIT(z);
    return item_op(&z, "dynamodb:GetItem", &in->c, NULL, in->key, NULL, true, false);
}

int ddb_authz_delete_item(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, ddb_key_in_t *in)
{
    AZ_INIT(z);
    return item_op(&z, "dynamodb:DeleteItem", &in->c, NULL, in->key, NULL, false, true);
}

int ddb_authz_update_item(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, ddb_key_in_t *in)
{
    AZ_INIT(z);
    return item_op(&z, "dynamodb:UpdateItem", &in->c, NULL, in->key, in->update, false, true);
}

static int query_scan(az_t *z, const char *action, const ddb_query_in_t *in)
{
    eng_table_t *t = table_of(z, in->c.table);
    fg_t fg;
    memset(&fg, 0, sizeof(fg));
    if (in->key_cond) {
        /* Query: the partition key is the queried index's (an LSI shares the table's). */
        const char *hash = t ? t->hash_key : NULL;
        if (t && in->index.len) {
            const eng_index_t *ix = eng_index_find(t, in->index);
            hash = ix ? ix->hash_key : NULL;
        }
        fg.has_lead = true;
        eq_value(z, &fg, in->key_cond, hash);
        cond_names(z, &fg, in->key_cond);
    }
    cond_names(z, &fg, in->filter);
    proj_names(z, &fg, in->c.proj);
    static const char *const sel[] = {"ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES",
                                      "SPECIFIC_ATTRIBUTES", "COUNT"};
    if (in->has_select && (size_t)in->select < 4)
        fg.select = sel[in->select];
    else if (in->c.proj)
        fg.select = "SPECIFIC_ATTRIBUTES";
    else
        fg.select = in->index.len ? "ALL_PROJECTED_ATTRIBUTES" : "ALL_ATTRIBUTES";
    fg.rcc = rcc_name(in->c.rcc);
    kv_slice_t res =
        in->index.len ? index_arn(z, in->c.table, in->index) : table_arn(z, in->c.table);
    return ask(z, action, res, &fg, t);
}

int ddb_authz_query(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, ddb_query_in_t *in)
{
    AZ_INIT(z);
    return query_scan(&z, "dynamodb:Query", in);
}

int ddb_authz_scan(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, ddb_query_in_t *in)
{
    AZ_INIT(z);
    return query_scan(&z, "dynamodb:Scan", in);
}

/* BatchGetItem and BatchWriteItem: their own action on each table, with the set of partition
 * keys and attribute names of that table's part. */
static int batch(az_t *z, const char *action, const ddb_batch_in_t *in, bool read)
{
    for (size_t i = 0; i < in->n; i++) {
        const ddb_batch_table_t *bt = &in->t[i];
        eng_table_t *t = table_of(z, bt->table);
        fg_t fg;
        memset(&fg, 0, sizeof(fg));
        fg.has_lead = true;
        for (size_t k = 0; k < bt->n; k++) {
            lead_of(z, &fg, t, bt->keys[k]);
            item_names(z, &fg, bt->keys[k]);
        }
        proj_names(z, &fg, bt->c.proj);
        if (read)
            fg.select = select_of(&bt->c);
        fg.rcc = rcc_name(in->rcc);
        if (ask(z, action, table_arn(z, bt->table), &fg, t) < 0)
            return -1;
    }
    return 0;
}

int ddb_authz_batch_get_item(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, ddb_batch_in_t *in)
{
    AZ_INIT(z);
    return batch(&z, "dynamodb:BatchGetItem", in, true);
}

int ddb_authz_batch_write_item(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, ddb_batch_in_t *in)
{
    AZ_INIT(z);
    return batch(&z, "dynamodb:BatchWriteItem", in, false);
}

/* One action of a transaction (TransactWriteItems, TransactGetItems, ExecuteTransaction). */
static int tx_action(az_t *z, const ddb_tx_action_t *a, ddb_rcc_t rcc)
{
    switch (a->kind) {
    case DDB_TX_PUT: {
        ddb_item_common_t c = a->put.c;
        c.rcc = rcc;
        return item_op(z, "dynamodb:PutItem", &c, a->put.item, NULL, NULL, false, false);
    }
    case DDB_TX_UPDATE:
    case DDB_TX_DELETE:
    case DDB_TX_CHECK:
    case DDB_TX_GET: {
        static const char *const act[] = {
            [DDB_TX_UPDATE] = "dynamodb:UpdateItem",
            [DDB_TX_DELETE] = "dynamodb:DeleteItem",
            [DDB_TX_CHECK] = "dynamodb:ConditionCheckItem",
            [DDB_TX_GET] = "dynamodb:GetItem",
        };
        ddb_item_common_t c = a->key.c;
        c.rcc = rcc;
        return item_op(z, act[a->kind], &c, NULL, a->key.key, a->key.update, a->kind == DDB_TX_GET,
                       false);
    }
    }
    /* An action kind without a mapping: refused. */
    return ask_star(z, "dynamodb:Unknown");
}

static int transact(az_t *z, const ddb_transact_in_t *in)
{
    for (size_t i = 0; i < in->n; i++)
        if (tx_action(z, &in->acts[i], in->rcc) < 0)
            return -1;
    return 0;
}

int ddb_authz_transact_write_items(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                   ddb_transact_in_t *in)
{
    AZ_INIT(z);
    return transact(&z, in);
}

int ddb_authz_transact_get_items(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                 ddb_transact_in_t *in)
{
    AZ_INIT(z);
    return transact(&z, in);
}

/* ---- PartiQL: each statement's PartiQL action on the table or index it names ---- */

static const char *pq_action(ddb_pq_kind_t k)
{
    switch (k) {
    case DDB_PQ_SELECT:
    case DDB_PQ_EXISTS:
        return "dynamodb:PartiQLSelect";
    case DDB_PQ_INSERT:
        return "dynamodb:PartiQLInsert";
    case DDB_PQ_UPDATE:
        return "dynamodb:PartiQLUpdate";
    case DDB_PQ_DELETE:
        return "dynamodb:PartiQLDelete";
    }
    return "dynamodb:Unknown"; /* no policy names it: refused */
}

/* Authorize one statement (resp receives a refusal). A statement that does not parse is
 * refused by execution with the parser's ValidationException before anything runs.
 * @return 0, -1 (refused), 1 (does not parse: nothing to ask). */
static int pq_stmt(az_t *z, const ddb_pq_stmt_in_t *s, ddb_rcc_t rcc, const char *enclosing,
                   api_resp_t *resp)
{
    ddb_pq_t q;
    const char *err = NULL;
    if (ddb_pq_parse(z->a, s->text, s->params, s->n_params, &q, &err) < 0)
        return 1;
    eng_table_t *t = table_of(z, q.table);
    const char *hash = t ? t->hash_key : NULL;
    if (t && q.index.len) {
        const eng_index_t *ix = eng_index_find(t, q.index);
        hash = ix ? ix->hash_key : NULL;
    }
    fg_t fg;
    memset(&fg, 0, sizeof(fg));
    fg.has_lead = true;
    fg.rcc = rcc_name(rcc);
    fg.enclosing = enclosing;
    if (q.kind == DDB_PQ_INSERT) {
        lead_of(z, &fg, t, q.item);
        item_names(z, &fg, q.item);
    } else {
        bool keyed = eq_value(z, &fg, q.where, hash);
        cond_names(z, &fg, q.where);
        update_names(z, &fg, q.update);
        proj_names(z, &fg, q.proj);
        if (q.kind == DDB_PQ_SELECT || q.kind == DDB_PQ_EXISTS) {
            fg.select = q.proj ? "SPECIFIC_ATTRIBUTES" : "ALL_ATTRIBUTES";
            fg.full_scan = keyed ? "false" : "true";
            if (!keyed)
                fg.has_lead = false; /* a scan names no partition */
        }
        static const char *const ret[] = {"NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW",
                                          "UPDATED_NEW"};
        if (q.kind == DDB_PQ_UPDATE || q.kind == DDB_PQ_DELETE)
            fg.rv = (size_t)q.returning < 5 ? ret[q.returning] : "NONE";
    }
    kv_slice_t res = q.index.len ? index_arn(z, q.table, q.index) : table_arn(z, q.table);
    return ask_tags(z, pq_action(q.kind), res, &fg, t, NULL, 0, NULL, 0, resp);
}

static int pq_all(az_t *z, const ddb_pq_in_t *in, const char *enclosing)
{
    for (size_t i = 0; i < in->n; i++)
        if (pq_stmt(z, &in->s[i], in->rcc, enclosing, z->resp) < 0)
            return -1;
    return 0;
}

int ddb_authz_execute_statement(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, ddb_pq_in_t *in)
{
    AZ_INIT(z);
    return pq_all(&z, in, NULL);
}

int ddb_authz_execute_transaction(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, ddb_pq_in_t *in)
{
    AZ_INIT(z);
    /* dynamodb:EnclosingOperation lets a policy allow statements only inside a transaction. */
    return pq_all(&z, in, "ExecuteTransaction");
}

/* BatchExecuteStatement: a refused statement is that statement's AccessDenied error, the others
 * run (as DynamoDB answers a batch: one error per statement). */
int ddb_authz_batch_execute_statement(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                      ddb_pq_in_t *in)
{
    AZ_INIT(z);
    in->denied = kv_arena_calloc(req->arena, in->n + 1, sizeof(*in->denied));
    for (size_t i = 0; i < in->n; i++) {
        api_resp_t one;
        memset(&one, 0, sizeof(one));
        one._arena = resp->_arena;
        one._st = resp->_st;
        if (pq_stmt(&z, &in->s[i], in->rcc, NULL, &one) < 0)
            in->denied[i] = one._msg ? one._msg : "Access denied";
    }
    /* Every statement was asked about, or fails to parse (a ValidationError of its own). */
    req->_st->authorized = true;
    return 0;
}

/* ---- tables, their settings, tags, backups ---- */

int ddb_authz_create_table(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                           ddb_create_table_in_t *in)
{
    AZ_INIT(z);
    kv_slice_t name = kv_slice_str(in->t.name);
    kv_slice_t *keys = kv_arena_alloc(z.a, (in->t.n_tags + 1) * sizeof(*keys));
    for (size_t i = 0; i < in->t.n_tags; i++)
        keys[i] = kv_slice_str(in->t.tags[i].key);
    return ask_tags(&z, "dynamodb:CreateTable", table_arn(&z, name), NULL, NULL, in->t.tags,
                    in->t.n_tags, keys, in->t.n_tags, resp);
}

int ddb_authz_delete_table(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                           ddb_table_name_in_t *in)
{
    AZ_INIT(z);
    return ask_table(&z, "dynamodb:DeleteTable", in->name);
}

int ddb_authz_describe_table(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                             ddb_table_name_in_t *in)
{
    AZ_INIT(z);
    return ask_table(&z, "dynamodb:DescribeTable", in->name);
}

int ddb_authz_list_tables(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                          ddb_list_tables_in_t *in)
{
    (void)in;
    AZ_INIT(z);
    return ask_star(&z, "dynamodb:ListTables");
}

int ddb_authz_update_table(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                           ddb_update_table_in_t *in)
{
    AZ_INIT(z);
    return ask_table(&z, "dynamodb:UpdateTable", in->name);
}

int ddb_authz_tag_resource(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, ddb_meta_in_t *in)
{
    AZ_INIT(z);
    kv_slice_t *keys = kv_arena_alloc(z.a, (in->n_tags + 1) * sizeof(*keys));
    for (size_t i = 0; i < in->n_tags; i++)
        keys[i] = kv_slice_str(in->tags[i].key);
    return ask_tags(&z, "dynamodb:TagResource", table_arn(&z, in->table), NULL,
                    table_of(&z, in->table), in->tags, in->n_tags, keys, in->n_tags, resp);
}

int ddb_authz_untag_resource(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, ddb_meta_in_t *in)
{
    AZ_INIT(z);
    return ask_tags(&z, "dynamodb:UntagResource", table_arn(&z, in->table), NULL,
                    table_of(&z, in->table), NULL, 0, in->keys, in->n_keys, resp);
}

int ddb_authz_list_tags_of_resource(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                    ddb_meta_in_t *in)
{
    AZ_INIT(z);
    return ask_table(&z, "dynamodb:ListTagsOfResource", in->table);
}

int ddb_authz_describe_limits(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, ddb_meta_in_t *in)
{
    (void)in;
    AZ_INIT(z);
    return ask_star(&z, "dynamodb:DescribeLimits");
}

int ddb_authz_describe_endpoints(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                 ddb_meta_in_t *in)
{
    (void)in;
    AZ_INIT(z);
    return ask_star(&z, "dynamodb:DescribeEndpoints");
}

int ddb_authz_update_continuous_backups(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                        ddb_backups_in_t *in)
{
    AZ_INIT(z);
    return ask_table(&z, "dynamodb:UpdateContinuousBackups", in->name);
}

int ddb_authz_describe_continuous_backups(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                          ddb_backups_in_t *in)
{
    AZ_INIT(z);
    return ask_table(&z, "dynamodb:DescribeContinuousBackups", in->name);
}

int ddb_authz_update_time_to_live(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                  ddb_ttl_in_t *in)
{
    AZ_INIT(z);
    return ask_table(&z, "dynamodb:UpdateTimeToLive", in->table);
}

int ddb_authz_describe_time_to_live(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                    ddb_ttl_in_t *in)
{
    AZ_INIT(z);
    return ask_table(&z, "dynamodb:DescribeTimeToLive", in->table);
}

int ddb_authz_create_backup(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, ddb_backup_in_t *in)
{
    AZ_INIT(z);
    return ask_table(&z, "dynamodb:CreateBackup", in->table);
}

int ddb_authz_list_backups(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, ddb_backup_in_t *in)
{
    (void)in;
    AZ_INIT(z);
    return ask_star(&z, "dynamodb:ListBackups");
}

/* A backup's ARN: built from the backup's own table when it exists (so an ARN naming another
 * table cannot borrow that table's permissions), else the ARN the request gave. */
static kv_slice_t backup_arn(az_t *z, const ddb_backup_in_t *in)
{
    eng_backup_t *b = NULL;
    if (eng_backup_get(z->ctx->eng, in->id, z->a, &b) == 0 && b)
        return kv_slice_str(
            api_arn_new(z->a, "dynamodb", z->ctx->region, "table/%s/backup/%s", b->table, b->id));
    return in->arn;
}

int ddb_authz_describe_backup(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, ddb_backup_in_t *in)
{
    AZ_INIT(z);
    return ask(&z, "dynamodb:DescribeBackup", backup_arn(&z, in), NULL, NULL);
}

int ddb_authz_delete_backup(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, ddb_backup_in_t *in)
{
    AZ_INIT(z);
    return ask(&z, "dynamodb:DeleteBackup", backup_arn(&z, in), NULL, NULL);
}

/* A restore writes a whole table: AWS asks these actions on the target table besides the
 * restore's own. */
static int restore_writes(az_t *z, const char *target)
{
    static const char *const acts[] = {
        "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",    "dynamodb:GetItem",
        "dynamodb:Query",   "dynamodb:Scan",       "dynamodb:BatchWriteItem"};
    kv_slice_t arn = table_arn(z, kv_slice_str(target ? target : ""));
    for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
        if (ask(z, acts[i], arn, NULL, NULL) < 0)
            return -1;
    return 0;
}

int ddb_authz_restore_table_from_backup(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                        ddb_backup_in_t *in)
{
    AZ_INIT(z);
    if (ask(&z, "dynamodb:RestoreTableFromBackup", backup_arn(&z, in), NULL, NULL) < 0)
        return -1;
    return restore_writes(&z, in->name);
}

int ddb_authz_restore_table_to_point_in_time(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                             ddb_backup_in_t *in)
{
    AZ_INIT(z);
    if (ask_table(&z, "dynamodb:RestoreTableToPointInTime", in->table) < 0)
        return -1;
    return restore_writes(&z, in->name);
}

/* ---- DynamoDB Streams ---- */

int ddb_authz_list_streams(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, ddb_streams_in_t *in)
{
    (void)in;
    AZ_INIT(z);
    return ask_star(&z, "dynamodb:ListStreams");
}

/* A stream's ARN: the canonical one of the stream the request names when it exists, else the
 * ARN as given (execution then refuses it). */
static kv_slice_t stream_arn_of(az_t *z, kv_slice_t arn)
{
    eng_stream_t *s;
    if (ddb_stream_by_arn(z->ctx, z->a, arn, &s) == 0) {
        char *out = kv_arena_alloc(z->a, 512);
        ddb_stream_arn(z->ctx, s, out, 512);
        return kv_slice_str(out);
    }
    return arn;
}

int ddb_authz_describe_stream(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                              ddb_streams_in_t *in)
{
    AZ_INIT(z);
    return ask(&z, "dynamodb:DescribeStream", stream_arn_of(&z, in->arn), NULL, NULL);
}

int ddb_authz_get_shard_iterator(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                 ddb_streams_in_t *in)
{
    AZ_INIT(z);
    return ask(&z, "dynamodb:GetShardIterator", stream_arn_of(&z, in->arn), NULL, NULL);
}

int ddb_authz_get_records(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, ddb_streams_in_t *in)
{
    AZ_INIT(z);
    eng_stream_t *s;
    int rc = ddb_iter_stream(ctx, z.a, in->iterator, &s);
    if (rc == KV_EINVAL) {
        /* Not an iterator this server made: it names no stream to ask about. */
        api_fail(resp, API_E_DDB_VALIDATION, "Invalid ShardIterator");
        return -1;
    }
    if (rc < 0) {
        /* The stream is gone: ask on the stream ARNs of any table; execution answers
         * ResourceNotFoundException to a principal allowed to read streams. */
        return ask(&z, "dynamodb:GetRecords",
                   kv_slice_str(api_arn_new(z.a, "dynamodb", ctx->region, "table/*/stream/*")),
                   NULL, NULL);
    }
    char *arn = kv_arena_alloc(z.a, 512);
    ddb_stream_arn(ctx, s, arn, 512);
    return ask(&z, "dynamodb:GetRecords", kv_slice_str(arn), NULL, NULL);
}

/* ---- an operation this server does not implement ---- */

int ddb_authz_unknown(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    AZ_INIT(z);
    kv_slice_t t = req->_st->target;
    const uint8_t *dot = memchr(t.p, '.', t.len);
    kv_slice_t name = dot ? kv_slice(dot + 1, t.len - (size_t)(dot + 1 - t.p)) : KV_SLICE_NULL;
    bool ok = name.len > 0 && name.len <= 64;
    for (size_t i = 0; ok && i < name.len; i++)
        ok = (name.p[i] >= 'A' && name.p[i] <= 'Z') || (name.p[i] >= 'a' && name.p[i] <= 'z') ||
             (name.p[i] >= '0' && name.p[i] <= '9');
    const char *action =
        ok ? kv_arena_printf(z.a, "dynamodb:%.*s", (int)name.len, (const char *)name.p)
           : "dynamodb:Unknown";
    return ask_star(&z, action);
}

/* ---- issue 17, package I: imports ---- */

int ddb_authz_import_table(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                           ddb_import_table_in_t *in)
{
    AZ_INIT(z);
    if (ask(&z, "dynamodb:ImportTable", table_arn(&z, kv_slice_str(in->ct.t.name)), NULL, NULL) < 0)
        return -1;
    /* DynamoDB reads the source with the caller's permissions (s3:ListBucket on the bucket,
     * s3:GetObject on the objects under the prefix): without them the import starts and then
     * fails (S3AccessDenied), as the export does without s3:PutObject. */
    const char *bucket = kv_arena_printf(req->arena, "arn:aws:s3:::%.*s", (int)in->bucket.len,
                                         (const char *)in->bucket.p);
    const char *objs = kv_arena_printf(req->arena, "arn:aws:s3:::%.*s/%.*s*", (int)in->bucket.len,
                                       (const char *)in->bucket.p, (int)in->prefix.len,
                                       (const char *)in->prefix.p);
    api_authz_t l = {
        .action = "s3:ListBucket", .resource = kv_slice_str(bucket), .flags = API_AZ_QUIET};
    api_authz_t g = {
        .action = "s3:GetObject", .resource = kv_slice_str(objs), .flags = API_AZ_QUIET};
    in->s3_denied =
        api_authorize(ctx, req, resp, &l) != 0 || api_authorize(ctx, req, resp, &g) != 0;
    return 0;
}

int ddb_authz_describe_import(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                              ddb_describe_import_in_t *in)
{
    AZ_INIT(z);
    return ask(&z, "dynamodb:DescribeImport", in->arn, NULL, NULL);
}

int ddb_authz_list_imports(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                           ddb_list_imports_in_t *in)
{
    (void)in;
    AZ_INIT(z);
    return ask_star(&z, "dynamodb:ListImports");
}
