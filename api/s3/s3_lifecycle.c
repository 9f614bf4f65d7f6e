/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The S3 lifecycle sweeper: runs on the services thread, reads every bucket's stored
 * LifecycleConfiguration and applies its enabled rules through the normal delete paths:
 *   Expiration (Days or Date): the current version is deleted (a delete marker in a
 *     versioned bucket); ExpiredObjectDeleteMarker removes a marker with no versions left;
 *   NoncurrentVersionExpiration (NoncurrentDays, NewerNoncurrentVersions): noncurrent
 *     versions are removed a number of days after they stopped being current;
 *   AbortIncompleteMultipartUpload (DaysAfterInitiation): uploads are aborted.
 * Filters: Prefix, Tag, And (Prefix, Tags, sizes), ObjectSizeGreaterThan/LessThan, and the
 * legacy Rule/Prefix. A day is the state's lifecycle_day_ms (86400000 unless a test shortens it);
 * an object is due once that many whole days have passed since it was written (S3 rounds
 * to the next midnight UTC). Transitions are accepted and ignored: there is one storage tier.
 */
#include <limits.h>
#include <string.h>

#include "base/kv_alloc.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "s3_int.h"

#define LC_PAGE 256 /* buckets read per catalog page */

typedef struct lc_rule {
    kv_slice_t prefix;
    eng_tag_t *tags;
    size_t n_tags;
    uint64_t size_gt, size_lt;     /* 0 / UINT64_MAX when absent */
    int64_t exp_days, exp_date_ms; /* 0 when absent */
    bool exp_marker;
    int64_t nc_days;
    uint64_t nc_keep; /* NewerNoncurrentVersions */
    int64_t abort_days;
} lc_rule_t;

static int64_t num(const api_xnode_t *n, const char *tag)
{
    api_xnode_t *c = n ? api_xml_child(n, tag) : NULL;
    uint64_t v;
    return c && kv_slice_to_u64(kv_slice_trim(c->text), &v) && v <= INT32_MAX ? (int64_t)v : 0;
}

static void add_tag(kv_arena_t *a, lc_rule_t *r, const api_xnode_t *t, size_t cap)
{
    api_xnode_t *k = api_xml_child(t, "Key"), *v = api_xml_child(t, "Value");
    if (k == NULL || r->n_tags == cap)
        return;
    r->tags[r->n_tags].key = kv_arena_strndup(a, k->text.p, k->text.len);
    r->tags[r->n_tags++].value = v ? kv_arena_strndup(a, v->text.p, v->text.len) : "";
}

static void filter_of(kv_arena_t *a, const api_xnode_t *f, lc_rule_t *r)
{
    if (f == NULL)
        return;
    const api_xnode_t *and = api_xml_child(f, "And");
    const api_xnode_t *src = and? and : f;
    api_xnode_t *p = api_xml_child(src, "Prefix");
    if (p)
        r->prefix = p->text;
    size_t cap = 0;
    for (api_xnode_t *c = src->child; c; c = c->next)
        cap += strcmp(c->name, "Tag") == 0;
    r->tags = kv_arena_calloc(a, cap ? cap : 1, sizeof(*r->tags));
    for (api_xnode_t *c = src->child; c; c = c->next)
        if (strcmp(c->name, "Tag") == 0)
            add_tag(a, r, c, cap);
    if (num(src, "ObjectSizeGreaterThan"))
        r->size_gt = (uint64_t)num(src, "ObjectSizeGreaterThan");
    if (num(src, "ObjectSizeLessThan"))
        r->size_lt = (uint64_t)num(src, "ObjectSizeLessThan");
}

/* The enabled rules of a stored configuration (validated when it was put). */
static size_t parse_rules(kv_arena_t *a, kv_slice_t doc, lc_rule_t **out)
{
    api_xnode_t *root;
    *out = NULL;
    if (api_xml_parse(a, doc, &root) < 0)
        return 0;
    size_t n = 0;
    for (api_xnode_t *r = root->child; r; r = r->next)
        n += strcmp(r->name, "Rule") == 0;
    lc_rule_t *rules = kv_arena_calloc(a, n ? n : 1, sizeof(*rules));
    size_t k = 0;
    for (api_xnode_t *x = root->child; x; x = x->next) {
        api_xnode_t *st = api_xml_child(x, "Status");
        if (strcmp(x->name, "Rule") != 0 || st == NULL ||
            !kv_slice_eq_str(kv_slice_trim(st->text), "Enabled"))
            continue;
        lc_rule_t *r = &rules[k++];
        r->size_lt = UINT64_MAX;
        api_xnode_t *legacy = api_xml_child(x, "Prefix");
        if (legacy)
            r->prefix = legacy->text;
        filter_of(a, api_xml_child(x, "Filter"), r);
        api_xnode_t *exp = api_xml_child(x, "Expiration");
        r->exp_days = num(exp, "Days");
        api_xnode_t *date = exp ? api_xml_child(exp, "Date") : NULL;
        if (date)
            s3_iso_date(kv_slice_trim(date->text), &r->exp_date_ms);
        api_xnode_t *edm = exp ? api_xml_child(exp, "ExpiredObjectDeleteMarker") : NULL;
        r->exp_marker = edm && kv_slice_eq_str(kv_slice_trim(edm->text), "true");
        api_xnode_t *nce = api_xml_child(x, "NoncurrentVersionExpiration");
        r->nc_days = num(nce, "NoncurrentDays");
        r->nc_keep = (uint64_t)num(nce, "NewerNoncurrentVersions");
        r->abort_days =
            num(api_xml_child(x, "AbortIncompleteMultipartUpload"), "DaysAfterInitiation");
    }
    *out = rules;
    return k;
}

static bool has_prefix(kv_slice_t key, kv_slice_t prefix)
{
    return prefix.len == 0 || (key.len >= prefix.len && memcmp(key.p, prefix.p, prefix.len) == 0);
}

static bool filter_match(const lc_rule_t *r, const eng_object_t *o)
{
    if (!has_prefix(o->key, r->prefix))
        return false;
    if (r->size_gt && o->size <= r->size_gt)
        return false;
    if (o->size >= r->size_lt)
        return false;
    for (size_t i = 0; i < r->n_tags; i++) {
        bool found = false;
        for (size_t j = 0; j < o->n_tags && !found; j++)
            found = strcmp(o->tags[j].key, r->tags[i].key) == 0 &&
                    strcmp(o->tags[j].value, r->tags[i].value) == 0;
        if (!found)
            return false;
    }
    return true;
}

static eng_vref_t ref_of(const eng_object_t *o)
{
    eng_vref_t ref = {.kind = o->null_version ? ENG_VREF_NULL : ENG_VREF_ID, .id = o->version};
    return ref;
}

/* The key of the version being looked at, and a current delete marker not yet known to
 * have versions behind it (owned copies: the per-object arena is reset as we go). */
typedef struct {
    kv_buf_t key;
    bool have_key;
    bool marker;
    eng_vref_t marker_ref;
} lc_cursor_t;

static void drop_lone_marker(api_ctx_t *ctx, const eng_bucket_t *b, lc_cursor_t *c, size_t *n_done)
{
    if (c->marker &&
        eng_object_delete_logged(ctx->eng, b->id, kv_buf_slice(&c->key), b->versioning,
                                 &c->marker_ref, NULL, b->log_id, "LifecycleExpiration") == 0)
        (*n_done)++;
    c->marker = false;
}

/* Apply one rule's object actions to the versions under its prefix. */
static int sweep_objects(api_ctx_t *ctx, const eng_bucket_t *b, const lc_rule_t *r, int64_t now,
                         size_t *n_done)
{
    int64_t day = s3_state(ctx)->lifecycle_day_ms;
    if (!r->exp_days && !r->exp_date_ms && !r->exp_marker && !r->nc_days)
        return 0;
    kv_arena_t *a = kv_arena_new(16384);
    eng_obj_iter_t *it = eng_obj_iter_new(ctx->eng, b->id, r->prefix, true);
    lc_cursor_t c = {0};
    kv_buf_init(&c.key, 4 * ENG_OBJ_KEY_MAX);
    int64_t newer_mtime = 0; /* when the version after this one was written */
    uint64_t nc_seen = 0;
    int rc;
    for (size_t n = 0;; n++) {
        if (n % 1024 == 0)
            kv_arena_reset(a);
        eng_object_t *o;
        rc = eng_obj_iter_next(it, a, &o);
        if (rc <= 0 || !has_prefix(o->key, r->prefix))
            break;
        bool same_key = c.have_key && kv_slice_eq(o->key, kv_buf_slice(&c.key));
        if (!same_key) {
            drop_lone_marker(ctx, b, &c, n_done);
            kv_buf_reset(&c.key);
            kv_buf_append_slice(&c.key, o->key);
            c.have_key = true;
            nc_seen = 0;
        }
        c.marker = false; /* a marker followed by a version of its key stays */
        if (!o->noncurrent) {
            if (o->delete_marker) {
                c.marker = r->exp_marker || r->exp_days || r->exp_date_ms;
                c.marker_ref = ref_of(o);
            } else if (filter_match(r, o) &&
                       ((r->exp_days && now - o->mtime_ms >= r->exp_days * day) ||
                        (r->exp_date_ms && now >= r->exp_date_ms))) {
                if (eng_object_delete_logged(ctx->eng, b->id, o->key, b->versioning, NULL, NULL,
                                             b->log_id, "LifecycleExpiration") == 0)
                    (*n_done)++;
            }
        } else if (r->nc_days) {
            nc_seen++;
            if (nc_seen > r->nc_keep && filter_match(r, o) &&
                now - newer_mtime >= r->nc_days * day &&
                !s3_lock_keeps(o, kv_now_ms())) { /* issue 16, package L */
                eng_vref_t ref = ref_of(o);
                if (eng_object_delete_logged(ctx->eng, b->id, o->key, b->versioning, &ref, NULL,
                                             b->log_id, "LifecycleExpiration") == 0)
                    (*n_done)++;
            }
        }
        newer_mtime = o->mtime_ms;
    }
    if (rc >= 0)
        drop_lone_marker(ctx, b, &c, n_done);
    eng_obj_iter_free(it);
    kv_buf_dispose(&c.key);
    kv_arena_free(a);
    return rc < 0 ? rc : 0;
}

static int sweep_uploads(api_ctx_t *ctx, const eng_bucket_t *b, const lc_rule_t *r, int64_t now,
                         size_t *n_done)
{
    if (!r->abort_days)
        return 0;
    kv_arena_t *a = kv_arena_new(16384);
    kv_slice_t from = r->prefix;
    uint64_t after = 0;
    int rc = 0;
    for (;;) {
        eng_upload_t *ups;
        size_t n;
        bool more;
        rc = eng_upload_list(ctx->eng, b->id, from, after, 100, a, &ups, &n, &more);
        if (rc < 0)
            break;
        for (size_t i = 0; i < n; i++) {
            eng_object_t *p = ups[i].proto;
            if (!has_prefix(p->key, r->prefix)) {
                more = false;
                break;
            }
            if (now - p->mtime_ms >= r->abort_days * s3_state(ctx)->lifecycle_day_ms &&
                eng_upload_abort(ctx->eng, b->id, ups[i].upload_id, p->key) == 0)
                (*n_done)++;
        }
        if (!more || n == 0)
            break;
        from = kv_arena_dup(a, ups[n - 1].proto->key);
        after = ups[n - 1].upload_id;
    }
    kv_arena_free(a);
    return rc;
}

void s3_lifecycle_changed(api_ctx_t *ctx)
{
    s3_bg_t *g = s3_bg(ctx);
    atomic_fetch_add(&g->lc_gen, 1);
}

/* The names of the buckets with lifecycle rules, listed again only when a lifecycle
 * configuration was put or deleted. */
static void list_lc_buckets(api_ctx_t *ctx, s3_bg_t *g)
{
    uint64_t gen = atomic_load(&g->lc_gen);
    if (gen == g->lc_scan_gen)
        return;
    kv_buf_reset(&g->lc_names);
    kv_arena_t *a = kv_arena_new(65536);
    kv_buf_t after;
    kv_buf_init(&after, 1024);
    int rc = 0;
    for (;;) {
        eng_bucket_t *bs;
        size_t n;
        bool more;
        kv_arena_reset(a);
        rc = eng_bucket_list(ctx->eng, after.len ? kv_buf_slice(&after) : KV_SLICE_NULL, LC_PAGE, a,
                             &bs, &n, &more);
        if (rc < 0)
            break;
        for (size_t i = 0; i < n; i++) {
            if (bs[i].docs[ENG_BDOC_LIFECYCLE].len == 0)
                continue;
            kv_buf_append_str(&g->lc_names, bs[i].name);
            kv_buf_append_byte(&g->lc_names, 0);
        }
        if (!more || n == 0)
            break;
        kv_buf_reset(&after);
        kv_buf_append_str(&after, bs[n - 1].name);
    }
    kv_buf_dispose(&after);
    kv_arena_free(a);
    g->lc_pos = 0;
    if (rc == 0 && !kv_buf_failed(&g->lc_names))
        g->lc_scan_gen = gen;
}

/* One step of the lifecycle pass over the buckets with rules (a cached list; a cursor goes round
 * it), until budget objects, versions or uploads were removed; the pass starts again after the
 * job's period (--sweep-interval). */
int s3_lifecycle_run(api_ctx_t *ctx, void *state, unsigned budget)
{
    (void)state;
    s3_bg_t *g = s3_bg(ctx);
    list_lc_buckets(ctx, g);
    int64_t now = kv_now_ms();
    size_t done = 0;
    kv_arena_t *a = kv_arena_new(65536);
    while (g->lc_pos < g->lc_names.len && done < budget) {
        const char *name = (const char *)g->lc_names.p + g->lc_pos;
        g->lc_pos += strlen(name) + 1;
        eng_bucket_t *b;
        kv_arena_reset(a);
        if (eng_bucket_get(ctx->eng, kv_slice_str(name), a, &b) < 0 ||
            b->docs[ENG_BDOC_LIFECYCLE].len == 0)
            continue; /* deleted, or its rules removed since the listing */
        lc_rule_t *rules;
        size_t nr = parse_rules(a, b->docs[ENG_BDOC_LIFECYCLE], &rules);
        for (size_t k = 0; k < nr; k++) {
            int rc = sweep_objects(ctx, b, &rules[k], now, &done);
            if (rc == 0)
                rc = sweep_uploads(ctx, b, &rules[k], now, &done);
            if (rc < 0)
                KV_LOG_ERROR("lifecycle: bucket %s: %s", b->name, kv_err_name(rc));
        }
    }
    kv_arena_free(a);
    if (done)
        KV_LOG_INFO("lifecycle: %zu objects, versions or uploads removed", done);
    if (g->lc_pos < g->lc_names.len)
        return 0; /* the rest of the pass */
    g->lc_pos = 0;
    return INT_MAX;
}

const api_job_t s3_jobs[S3_N_JOBS] = {
    {"lifecycle", 60000, false, s3_lifecycle_run},       /* --sweep-interval */
    {S3_ALOG_JOB, S3_ALOG_FLUSH_MS, false, s3_alog_run}, /* issue 16, package G */
};

int s3_init(api_ctx_t *ctx, const api_cfg_t *cfg, void **state)
{
    (void)ctx;
    s3_state_t *st = kv_calloc(1, sizeof(*st));
    atomic_init(&st->bg.lc_gen, 1); /* the first step lists the buckets */
    kv_buf_init(&st->bg.lc_names, 64u << 20);
    st->lifecycle_day_ms = cfg->lifecycle_day_ms > 0 ? cfg->lifecycle_day_ms : 86400000;
    *state = st;
    st->alog = s3_alog_new(ctx); /* issue 16, package G */
    return 0;
}

s3_bg_t *s3_bg(api_ctx_t *ctx)
{
    return &s3_state(ctx)->bg;
}

void s3_fini(void *state)
{
    s3_state_t *st = state;
    kv_buf_dispose(&st->bg.lc_names);
    s3_alog_free(st->alog); /* issue 16, package G */
    kv_free(st);
}
