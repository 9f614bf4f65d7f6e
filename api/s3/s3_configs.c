/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 16, package R: the bucket configurations that have no effect where there is one storage
 * tier and no reports, stored, validated and returned as S3 does: RequestPayment (and Requester
 * Pays on object requests), Accelerate, and the four kinds keyed by id (Intelligent-Tiering,
 * Inventory, Analytics, Metrics) with Put, Get, Delete and a paginated List each.
 *
 * A kind keyed by id keeps all of a bucket's configurations in its one bucket document: entries
 * in id order, each the id and the configuration's canonical XML (the validated elements,
 * re-written; S3's schema has no attributes). A change is a read-modify-write of that document
 * with eng_bucket_swap_doc, retried when another change came between.
 */
#include <string.h>

#include "base/kv_b64.h"
#include "s3_int.h"

/* ---- the kinds ---- */

typedef struct cfg_kind {
    int put, get, del, list;
    eng_bucket_doc_t which;
    const char *root;      /* the configuration element */
    const char *list_root; /* ListBucket...Result */
    s3_cfg_kind_t k;       /* kinds keyed by id; S3_CFG_N_KINDS for the single-value ones */
} cfg_kind_t;

static const cfg_kind_t kinds[] = {
    {S3_OP_put_bucket_request_payment, S3_OP_get_bucket_request_payment, -1, -1,
     ENG_BDOC_REQUEST_PAYMENT, "RequestPaymentConfiguration", NULL, S3_CFG_N_KINDS},
    {S3_OP_put_bucket_accelerate, S3_OP_get_bucket_accelerate, -1, -1, ENG_BDOC_ACCELERATE,
     "AccelerateConfiguration", NULL, S3_CFG_N_KINDS},
    {S3_OP_put_bucket_tiering, S3_OP_get_bucket_tiering, S3_OP_delete_bucket_tiering,
     S3_OP_list_bucket_tiering, ENG_BDOC_TIERING, "IntelligentTieringConfiguration",
     "ListIntelligentTieringConfigurationsResult", S3_CFG_TIERING},
    {S3_OP_put_bucket_inventory, S3_OP_get_bucket_inventory, S3_OP_delete_bucket_inventory,
     S3_OP_list_bucket_inventory, ENG_BDOC_INVENTORY, "InventoryConfiguration",
     "ListInventoryConfigurationsResult", S3_CFG_INVENTORY},
    {S3_OP_put_bucket_analytics, S3_OP_get_bucket_analytics, S3_OP_delete_bucket_analytics,
     S3_OP_list_bucket_analytics, ENG_BDOC_ANALYTICS, "AnalyticsConfiguration",
     "ListBucketAnalyticsConfigurationsResult", S3_CFG_ANALYTICS},
    {S3_OP_put_bucket_metrics, S3_OP_get_bucket_metrics, S3_OP_delete_bucket_metrics,
     S3_OP_list_bucket_metrics, ENG_BDOC_METRICS, "MetricsConfiguration",
     "ListMetricsConfigurationsResult", S3_CFG_METRICS},
};
#define KIND_PAYMENT    0
#define KIND_ACCELERATE 1

static size_t kind_of(int op)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++)
        if (kinds[i].put == op || kinds[i].get == op || kinds[i].del == op || kinds[i].list == op)
            return i;
    return 0;
}

bool s3_cfg_is_put(int op)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++)
        if (kinds[i].put == op)
            return true;
    return false;
}

/* ---- validation: a small schema per kind, then S3's own checks ---- */

/** An element: how often it may appear, its children (NULL: a leaf holding text), a leaf's
 * allowed values (NULL: any text). */
typedef struct xs xs_t;
struct xs {
    const char *name;
    unsigned min, max; /* max 0: unbounded */
    const xs_t *kids;
    const char *const *vals;
};
#define XS_END                 \
    {                          \
        NULL, 0, 0, NULL, NULL \
    }

static const xs_t xs_empty[] = {XS_END};
static const xs_t xs_tag[] = {{"Key", 1, 1, NULL, NULL}, {"Value", 1, 1, NULL, NULL}, XS_END};
static const xs_t xs_and[] = {{"Prefix", 0, 1, NULL, NULL}, {"Tag", 0, 0, xs_tag, NULL}, XS_END};
static const xs_t xs_filter[] = {
    {"Prefix", 0, 1, NULL, NULL}, {"Tag", 0, 1, xs_tag, NULL}, {"And", 0, 1, xs_and, NULL}, XS_END};
static const xs_t xs_m_and[] = {{"Prefix", 0, 1, NULL, NULL},
                                {"Tag", 0, 0, xs_tag, NULL},
                                {"AccessPointArn", 0, 1, NULL, NULL},
                                XS_END};
static const xs_t xs_m_filter[] = {{"Prefix", 0, 1, NULL, NULL},
                                   {"Tag", 0, 1, xs_tag, NULL},
                                   {"AccessPointArn", 0, 1, NULL, NULL},
                                   {"And", 0, 1, xs_m_and, NULL},
                                   XS_END};

static const char *const v_status[] = {"Enabled", "Disabled", NULL};
static const char *const v_tier[] = {"ARCHIVE_ACCESS", "DEEP_ARCHIVE_ACCESS", NULL};
static const xs_t xs_tiering[] = {
    {"Days", 1, 1, NULL, NULL}, {"AccessTier", 1, 1, NULL, v_tier}, XS_END};
static const xs_t xs_tiering_cfg[] = {{"Id", 1, 1, NULL, NULL},
                                      {"Filter", 0, 1, xs_filter, NULL},
                                      {"Status", 1, 1, NULL, v_status},
                                      {"Tiering", 1, 0, xs_tiering, NULL},
                                      XS_END};

static const char *const v_format[] = {"CSV", "ORC", "Parquet", NULL};
static const char *const v_bool[] = {"true", "false", NULL};
static const char *const v_versions[] = {"All", "Current", NULL};
static const char *const v_frequency[] = {"Daily", "Weekly", NULL};
static const char *const v_fields[] = {"Size",
                                       "LastModifiedDate",
                                       "StorageClass",
                                       "ETag",
                                       "IsMultipartUploaded",
                                       "ReplicationStatus",
                                       "EncryptionStatus",
                                       "ObjectLockRetainUntilDate",
                                       "ObjectLockMode",
                                       "ObjectLockLegalHoldStatus",
                                       "IntelligentTieringAccessTier",
                                       "BucketKeyStatus",
                                       "ChecksumAlgorithm",
                                       "ObjectAccessControlList",
                                       "ObjectOwner",
                                       NULL};
static const xs_t xs_kms[] = {{"KeyId", 1, 1, NULL, NULL}, XS_END};
static const xs_t xs_inv_enc[] = {
    {"SSE-S3", 0, 1, xs_empty, NULL}, {"SSE-KMS", 0, 1, xs_kms, NULL}, XS_END};
static const xs_t xs_inv_s3dest[] = {
    {"AccountId", 0, 1, NULL, NULL},        {"Bucket", 1, 1, NULL, NULL},
    {"Format", 1, 1, NULL, v_format},       {"Prefix", 0, 1, NULL, NULL},
    {"Encryption", 0, 1, xs_inv_enc, NULL}, XS_END};
static const xs_t xs_inv_dest[] = {{"S3BucketDestination", 1, 1, xs_inv_s3dest, NULL}, XS_END};
static const xs_t xs_inv_filter[] = {{"Prefix", 1, 1, NULL, NULL}, XS_END};
static const xs_t xs_inv_fields[] = {{"Field", 0, 0, NULL, v_fields}, XS_END};
static const xs_t xs_schedule[] = {{"Frequency", 1, 1, NULL, v_frequency}, XS_END};
static const xs_t xs_inventory_cfg[] = {{"Destination", 1, 1, xs_inv_dest, NULL},
                                        {"IsEnabled", 1, 1, NULL, v_bool},
                                        {"Filter", 0, 1, xs_inv_filter, NULL},
                                        {"Id", 1, 1, NULL, NULL},
                                        {"IncludedObjectVersions", 1, 1, NULL, v_versions},
                                        {"OptionalFields", 0, 1, xs_inv_fields, NULL},
                                        {"Schedule", 1, 1, xs_schedule, NULL},
                                        XS_END};

static const char *const v_csv[] = {"CSV", NULL};
static const char *const v_schema[] = {"V_1", NULL};
static const xs_t xs_an_s3dest[] = {{"Format", 1, 1, NULL, v_csv},
                                    {"BucketAccountId", 0, 1, NULL, NULL},
                                    {"Bucket", 1, 1, NULL, NULL},
                                    {"Prefix", 0, 1, NULL, NULL},
                                    XS_END};
static const xs_t xs_an_dest[] = {{"S3BucketDestination", 1, 1, xs_an_s3dest, NULL}, XS_END};
static const xs_t xs_an_export[] = {
    {"OutputSchemaVersion", 1, 1, NULL, v_schema}, {"Destination", 1, 1, xs_an_dest, NULL}, XS_END};
static const xs_t xs_an_sca[] = {{"DataExport", 0, 1, xs_an_export, NULL}, XS_END};
static const xs_t xs_analytics_cfg[] = {{"Id", 1, 1, NULL, NULL},
                                        {"Filter", 0, 1, xs_filter, NULL},
                                        {"StorageClassAnalysis", 1, 1, xs_an_sca, NULL},
                                        XS_END};

static const xs_t xs_metrics_cfg[] = {
    {"Id", 1, 1, NULL, NULL}, {"Filter", 0, 1, xs_m_filter, NULL}, XS_END};

static const xs_t *const schemas[S3_CFG_N_KINDS] = {xs_tiering_cfg, xs_inventory_cfg,
                                                    xs_analytics_cfg, xs_metrics_cfg};
static const char *const roots[S3_CFG_N_KINDS] = {"IntelligentTieringConfiguration",
                                                  "InventoryConfiguration",
                                                  "AnalyticsConfiguration", "MetricsConfiguration"};

static bool is_space_only(kv_slice_t s)
{
    return kv_slice_trim(s).len == 0;
}

/* Check n's children against spec and write them canonically into out (depth is bounded by
 * the schema). */
static bool xs_check(const api_xnode_t *n, const xs_t *spec, kv_buf_t *out)
{
    unsigned seen[16] = {0};
    for (const api_xnode_t *c = n->child; c; c = c->next) {
        size_t i = 0;
        while (spec[i].name && strcmp(spec[i].name, c->name) != 0)
            i++;
        if (spec[i].name == NULL || i >= sizeof(seen) / sizeof(*seen))
            return false; /* an element the schema does not have */
        if (++seen[i] > spec[i].max && spec[i].max)
            return false;
        kv_buf_printf(out, "<%s>", c->name);
        if (spec[i].kids) {
            if (!is_space_only(c->text) || !xs_check(c, spec[i].kids, out))
                return false;
        } else {
            if (c->child)
                return false;
            if (spec[i].vals) {
                kv_slice_t v = kv_slice_trim(c->text);
                size_t j = 0;
                while (spec[i].vals[j] && !kv_slice_eq_str(v, spec[i].vals[j]))
                    j++;
                if (spec[i].vals[j] == NULL)
                    return false;
                kv_buf_append_str(out, spec[i].vals[j]);
            } else {
                api_xml_escape(out, c->text);
            }
        }
        kv_buf_printf(out, "</%s>", c->name);
    }
    for (size_t i = 0; spec[i].name; i++)
        if (seen[i] < spec[i].min)
            return false;
    return true;
}

bool s3_cfg_id_valid(kv_slice_t id)
{
    if (id.len == 0 || id.len > S3_CFG_ID_MAX)
        return false;
    for (size_t i = 0; i < id.len; i++) {
        uint8_t c = id.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_'))
            return false;
    }
    return true;
}

/* A filter names one thing: a prefix, a tag, an access point, or a conjunction of them. */
static bool filter_ok(const api_xnode_t *f)
{
    if (f == NULL)
        return true;
    size_t n = 0;
    for (const api_xnode_t *c = f->child; c; c = c->next)
        n++;
    const api_xnode_t *and = api_xml_child(f, "And");
    return n == 1 && (and == NULL || and->child != NULL);
}

/* arn:<partition>:s3:::<a valid bucket name> */
static bool bucket_arn_ok(kv_slice_t arn)
{
    static const char *const pre[] = {
        "arn:aws:s3:::", "arn:aws-cn:s3:::", "arn:aws-us-gov:s3:::", NULL};
    for (size_t i = 0; pre[i]; i++)
        if (kv_slice_starts_with(arn, pre[i])) {
            size_t l = strlen(pre[i]);
            return s3_bucket_name_error(kv_slice(arn.p + l, arn.len - l)) == NULL;
        }
    return false;
}

static api_err_t tiering_check(const api_xnode_t *root, const char **msg)
{
    bool seen[2] = {false, false};
    for (const api_xnode_t *t = root->child; t; t = t->next) {
        if (strcmp(t->name, "Tiering") != 0)
            continue;
        kv_slice_t tier = kv_slice_trim(api_xml_child(t, "AccessTier")->text);
        bool deep = kv_slice_eq_str(tier, "DEEP_ARCHIVE_ACCESS");
        uint64_t days;
        if (!kv_slice_to_u64(kv_slice_trim(api_xml_child(t, "Days")->text), &days))
            return API_E_S3_MALFORMED_XML;
        if (days < (deep ? 180u : 90u) || days > 730) {
            *msg = deep ? "Days for Deep Archive Access tier must be between 180 and 730"
                        : "Days for Archive Access tier must be between 90 and 730";
            return API_E_S3_INVALID_ARGUMENT;
        }
        if (seen[deep]) {
            *msg = "Each access tier may be configured only once";
            return API_E_S3_INVALID_ARGUMENT;
        }
        seen[deep] = true;
    }
    return API_E_NONE;
}

api_err_t s3_cfg_validate(kv_arena_t *a, s3_cfg_kind_t k, kv_slice_t id, kv_slice_t body,
                          kv_buf_t *out, const char **msg)
{
    *msg = NULL;
    api_xnode_t *root;
    if ((unsigned)k >= S3_CFG_N_KINDS || api_xml_parse(a, body, &root) < 0 ||
        strcmp(root->name, roots[k]) != 0 || !is_space_only(root->text) ||
        !xs_check(root, schemas[k], out))
        return API_E_S3_MALFORMED_XML;
    if (out->len > S3_CFG_XML_MAX || kv_buf_failed(out)) {
        *msg = "The configuration is too large";
        return API_E_S3_INVALID_REQUEST;
    }
    if (!filter_ok(api_xml_child(root, "Filter")))
        return API_E_S3_MALFORMED_XML;
    if (!kv_slice_eq(api_xml_child(root, "Id")->text, id))
        return k == S3_CFG_INVENTORY ? API_E_S3_ID_MISMATCH : API_E_S3_MALFORMED_XML;
    if (k == S3_CFG_TIERING)
        return tiering_check(root, msg);
    const api_xnode_t *dest = NULL;
    if (k == S3_CFG_INVENTORY)
        dest = api_xml_child(api_xml_child(root, "Destination"), "S3BucketDestination");
    if (k == S3_CFG_ANALYTICS) {
        const api_xnode_t *x =
            api_xml_child(api_xml_child(root, "StorageClassAnalysis"), "DataExport");
        if (x)
            dest = api_xml_child(api_xml_child(x, "Destination"), "S3BucketDestination");
    }
    if (dest && !bucket_arn_ok(kv_slice_trim(api_xml_child(dest, "Bucket")->text)))
        return API_E_S3_INVALID_DESTINATION_BUCKET;
    return API_E_NONE;
}

/* ---- the stored document: [u8 id length][id][u32 xml length][xml]... in id order ---- */

int s3_cfg_decode(kv_arena_t *a, kv_slice_t doc, s3_cfg_entry_t **out, size_t *n)
{
    size_t cap = doc.len / 6 + 1, i = 0, at = 0;
    s3_cfg_entry_t *e = kv_arena_calloc(a, cap, sizeof(*e));
    while (at < doc.len) {
        size_t il = doc.p[at++];
        if (il == 0 || doc.len - at < il + 4)
            return -1;
        e[i].id = kv_slice(doc.p + at, il);
        at += il;
        size_t xl = (size_t)doc.p[at] << 24 | (size_t)doc.p[at + 1] << 16 |
                    (size_t)doc.p[at + 2] << 8 | doc.p[at + 3];
        at += 4;
        if (doc.len - at < xl || (i && kv_slice_cmp(e[i - 1].id, e[i].id) >= 0))
            return -1;
        e[i].xml = kv_slice(doc.p + at, xl);
        at += xl;
        i++;
    }
    *out = e;
    *n = i;
    return 0;
}

void s3_cfg_encode(kv_buf_t *b, const s3_cfg_entry_t *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        kv_buf_append_byte(b, (uint8_t)e[i].id.len);
        kv_buf_append_slice(b, e[i].id);
        uint32_t l = (uint32_t)e[i].xml.len;
        uint8_t be[4] = {(uint8_t)(l >> 24), (uint8_t)(l >> 16), (uint8_t)(l >> 8), (uint8_t)l};
        kv_buf_append(b, be, 4);
        kv_buf_append_slice(b, e[i].xml);
    }
}

/* The first entry whose id is not below id. */
static size_t lower_bound(const s3_cfg_entry_t *e, size_t n, kv_slice_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (kv_slice_cmp(e[mid].id, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---- decode ---- */

static void cfg_in(api_req_t *req, s3_cfg_in_t *out)
{
    memset(out, 0, sizeof(*out));
    out->bucket = req->_st->bucket;
    out->kind = kind_of(req->_st->op);
    api_req_query(req, "id", &out->id);
}

/* A document of one element holding one of the allowed values. */
static int decode_single(api_req_t *req, api_resp_t *resp, s3_cfg_in_t *out, const char *elem,
                         const char *const *vals)
{
    api_xnode_t *root, *v;
    if (api_xml_parse(req->arena, kv_buf_slice(&req->_st->body), &root) < 0 ||
        strcmp(root->name, kinds[out->kind].root) != 0 || (v = api_xml_child(root, elem)) == NULL) {
        api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
        return -1;
    }
    kv_slice_t t = kv_slice_trim(v->text);
    for (size_t i = 0; vals[i]; i++)
        if (kv_slice_eq_str(t, vals[i])) {
            out->value = kv_slice_str(vals[i]);
            return 0;
        }
    api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
    return -1;
}

int s3_decode_put_bucket_request_payment(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                         s3_cfg_in_t *out)
{
    (void)ctx;
    cfg_in(req, out);
    static const char *const payers[] = {"BucketOwner", "Requester", NULL};
    return decode_single(req, resp, out, "Payer", payers);
}

int s3_decode_put_bucket_accelerate(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                    s3_cfg_in_t *out)
{
    (void)ctx;
    cfg_in(req, out);
    static const char *const states[] = {"Enabled", "Suspended", NULL};
    if (decode_single(req, resp, out, "Status", states) < 0)
        return -1;
    if (memchr(out->bucket.p, '.', out->bucket.len)) {
        api_fail(resp, API_E_S3_INVALID_REQUEST,
                 "S3 Transfer Acceleration is not supported for buckets with periods (.) in "
                 "their names");
        return -1;
    }
    return 0;
}

static int decode_put(api_req_t *req, api_resp_t *resp, s3_cfg_in_t *out)
{
    cfg_in(req, out);
    if (!s3_cfg_id_valid(out->id)) {
        api_fail(resp, API_E_S3_INVALID_CONFIGURATION_ID, NULL);
        return -1;
    }
    kv_buf_t b;
    kv_buf_init(&b, S3_CFG_XML_MAX + 1);
    const char *msg;
    api_err_t e = s3_cfg_validate(req->arena, kinds[out->kind].k, out->id,
                                  kv_buf_slice(&req->_st->body), &b, &msg);
    out->value = kv_arena_dup(req->arena, kv_buf_slice(&b));
    kv_buf_dispose(&b);
    if (e == API_E_NONE)
        return 0;
    if (msg)
        api_fail(resp, e, "%s", msg);
    else
        api_fail(resp, e, NULL);
    return -1;
}

static int decode_list(api_req_t *req, api_resp_t *resp, s3_cfg_in_t *out)
{
    cfg_in(req, out);
    out->list = true;
    out->has_token = api_req_query(req, "continuation-token", &out->token);
    if (out->token.len == 0)
        return 0;
    kv_buf_t b;
    kv_buf_init(&b, out->token.len + 4);
    bool ok = kv_b64_decode(&b, out->token) && s3_cfg_id_valid(kv_buf_slice(&b));
    out->after = kv_arena_dup(req->arena, kv_buf_slice(&b));
    kv_buf_dispose(&b);
    if (!ok) {
        api_fail(resp, API_E_S3_MALFORMED_CONTINUATION_TOKEN, NULL);
        return -1;
    }
    return 0;
}

static int decode_get(api_req_t *req, api_resp_t *resp, s3_cfg_in_t *out)
{
    cfg_in(req, out);
    /* An empty id is the listing, as S3 answers it. */
    return out->id.len ? 0 : decode_list(req, resp, out);
}

static int decode_plain(api_req_t *req, api_resp_t *resp, s3_cfg_in_t *out)
{
    (void)resp;
    cfg_in(req, out);
    return 0;
}

#define CFG_DECODE(name, fn)                                                                 \
    int s3_decode_##name(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, s3_cfg_in_t *out) \
    {                                                                                        \
        (void)ctx;                                                                           \
        return fn(req, resp, out);                                                           \
    }
CFG_DECODE(get_bucket_request_payment, decode_plain)
CFG_DECODE(get_bucket_accelerate, decode_plain)
#define CFG_DECODE_KIND(kind)                      \
    CFG_DECODE(put_bucket_##kind, decode_put)      \
    CFG_DECODE(get_bucket_##kind, decode_get)      \
    CFG_DECODE(delete_bucket_##kind, decode_plain) \
    CFG_DECODE(list_bucket_##kind, decode_list)
CFG_DECODE_KIND(tiering)
CFG_DECODE_KIND(inventory)
CFG_DECODE_KIND(analytics)
CFG_DECODE_KIND(metrics)

/* ---- execute ---- */

static int exec_single_put(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const s3_cfg_in_t *in)
{
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0)
        return -1;
    /* BucketOwner is the default: nothing is stored for it. */
    kv_slice_t v = kv_slice_eq_str(in->value, "BucketOwner") ? KV_SLICE_NULL : in->value;
    return s3_bucket_written(resp,
                             eng_bucket_set_doc(ctx->eng, in->bucket, kinds[in->kind].which, v));
}

static int exec_single_get(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const s3_cfg_in_t *in,
                           s3_cfg_out_t *out)
{
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0)
        return -1;
    out->in = in;
    out->value = b->docs[kinds[in->kind].which];
    return 0;
}

/* The bucket's configurations of the kind (b read here, in the request arena). */
static int entries_of(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const s3_cfg_in_t *in,
                      eng_bucket_t **b, s3_cfg_entry_t **e, size_t *n)
{
    if (s3_bucket_find(ctx, req, resp, in->bucket, b) < 0)
        return -1;
    if (s3_cfg_decode(req->arena, (*b)->docs[kinds[in->kind].which], e, n) < 0) {
        api_fail(resp, API_E_S3_INTERNAL, NULL);
        return -1;
    }
    return 0;
}

/* Put (value set) or Delete (value empty) one configuration: read, change, swap. */
static int exec_change(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const s3_cfg_in_t *in)
{
    for (int attempt = 0; attempt < S3_CFG_SWAP_MAX; attempt++) {
        eng_bucket_t *b;
        s3_cfg_entry_t *e;
        size_t n;
        if (entries_of(ctx, req, resp, in, &b, &e, &n) < 0)
            return -1;
        size_t at = lower_bound(e, n, in->id);
        bool found = at < n && kv_slice_eq(e[at].id, in->id);
        s3_cfg_entry_t *ne = kv_arena_calloc(req->arena, n + 1, sizeof(*ne));
        size_t nn = 0;
        if (in->value.len == 0 && !found) {
            api_fail(resp, API_E_S3_NO_SUCH_CONFIGURATION, NULL);
            return -1;
        }
        if (in->value.len && !found && n >= S3_CFG_MAX) {
            api_fail(resp, API_E_S3_TOO_MANY_CONFIGURATIONS, NULL);
            return -1;
        }
        for (size_t i = 0; i < at; i++)
            ne[nn++] = e[i];
        if (in->value.len)
            ne[nn++] = (s3_cfg_entry_t){in->id, in->value};
        for (size_t i = at + found; i < n; i++)
            ne[nn++] = e[i];
        kv_buf_t doc;
        kv_buf_init(&doc, 4u << 20);
        s3_cfg_encode(&doc, ne, nn);
        int rc = kv_buf_failed(&doc)
                     ? KV_ETOOBIG
                     : eng_bucket_swap_doc(ctx->eng, in->bucket, kinds[in->kind].which,
                                           b->docs[kinds[in->kind].which], kv_buf_slice(&doc));
        kv_buf_dispose(&doc);
        if (rc == KV_ECONDFAIL)
            continue; /* another change came between: read again */
        if (rc == KV_ETOOBIG) {
            api_fail(resp, API_E_S3_INVALID_REQUEST,
                     "The bucket's configurations exceed the size a bucket can hold");
            return -1;
        }
        return s3_bucket_written(resp, rc);
    }
    api_fail(resp, API_E_S3_OPERATION_ABORTED, NULL);
    return -1;
}

static int exec_get(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const s3_cfg_in_t *in,
                    s3_cfg_out_t *out);

static int exec_list(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const s3_cfg_in_t *in,
                     s3_cfg_out_t *out)
{
    eng_bucket_t *b;
    s3_cfg_entry_t *e;
    size_t n;
    if (entries_of(ctx, req, resp, in, &b, &e, &n) < 0)
        return -1;
    out->in = in;
    size_t at = in->after.len ? lower_bound(e, n, in->after) : 0;
    if (at < n && in->after.len && kv_slice_eq(e[at].id, in->after))
        at++;
    size_t take = n - at < S3_CFG_PAGE ? n - at : S3_CFG_PAGE;
    out->items = kv_arena_calloc(req->arena, take + 1, sizeof(*out->items));
    for (size_t i = 0; i < take; i++)
        out->items[out->n++] = e[at + i].xml;
    out->more = at + take < n;
    if (out->more)
        out->next = e[at + take - 1].id;
    return 0;
}

static int exec_get(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const s3_cfg_in_t *in,
                    s3_cfg_out_t *out)
{
    if (in->list)
        return exec_list(ctx, req, resp, in, out);
    eng_bucket_t *b;
    s3_cfg_entry_t *e;
    size_t n;
    if (entries_of(ctx, req, resp, in, &b, &e, &n) < 0)
        return -1;
    size_t at = lower_bound(e, n, in->id);
    if (at == n || !kv_slice_eq(e[at].id, in->id)) {
        api_fail(resp, API_E_S3_NO_SUCH_CONFIGURATION, NULL);
        return -1;
    }
    out->in = in;
    out->value = e[at].xml;
    return 0;
}

static int exec_delete(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const s3_cfg_in_t *in)
{
    s3_cfg_in_t del = *in;
    del.value = KV_SLICE_NULL;
    return exec_change(ctx, req, resp, &del);
}

#define CFG_EXEC(name, call)                                                                    \
    int s3_exec_##name(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const s3_cfg_in_t *in, \
                       s3_cfg_out_t *out)                                                       \
    {                                                                                           \
        (void)out;                                                                              \
        return call;                                                                            \
    }
CFG_EXEC(put_bucket_request_payment, exec_single_put(ctx, req, resp, in))
CFG_EXEC(get_bucket_request_payment, exec_single_get(ctx, req, resp, in, out))
CFG_EXEC(put_bucket_accelerate, exec_single_put(ctx, req, resp, in))
CFG_EXEC(get_bucket_accelerate, exec_single_get(ctx, req, resp, in, out))
#define CFG_EXEC_KIND(kind)                                         \
    CFG_EXEC(put_bucket_##kind, exec_change(ctx, req, resp, in))    \
    CFG_EXEC(get_bucket_##kind, exec_get(ctx, req, resp, in, out))  \
    CFG_EXEC(delete_bucket_##kind, exec_delete(ctx, req, resp, in)) \
    CFG_EXEC(list_bucket_##kind, exec_list(ctx, req, resp, in, out))
CFG_EXEC_KIND(tiering)
CFG_EXEC_KIND(inventory)
CFG_EXEC_KIND(analytics)
CFG_EXEC_KIND(metrics)

/* ---- encode ---- */

static void xml_type(api_resp_t *resp)
{
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/xml"));
}

static void encode_single(api_resp_t *resp, const s3_cfg_out_t *out)
{
    const cfg_kind_t *k = &kinds[out->in->kind];
    api_xw_t w;
    api_xw_begin(&w, &resp->body, k->root, true);
    if (out->in->kind == KIND_PAYMENT)
        api_xw_elem(&w, "Payer", out->value.len ? out->value : KV_SLICE_LIT("BucketOwner"));
    else if (out->value.len) /* never set: an empty configuration */
        api_xw_elem(&w, "Status", out->value);
    api_xw_close(&w, k->root);
    xml_type(resp);
}

static void encode_list(api_resp_t *resp, const s3_cfg_out_t *out)
{
    const s3_cfg_in_t *in = out->in;
    const cfg_kind_t *k = &kinds[in->kind];
    api_xw_t w;
    api_xw_begin(&w, &resp->body, k->list_root, true);
    api_xw_elem_str(&w, "IsTruncated", out->more ? "true" : "false");
    if (in->has_token)
        api_xw_elem(&w, "ContinuationToken", in->token);
    if (out->more) {
        kv_buf_t tok;
        kv_buf_init(&tok, 4 * S3_CFG_ID_MAX);
        kv_b64_encode(&tok, out->next.p, out->next.len);
        api_xw_elem(&w, "NextContinuationToken", kv_buf_slice(&tok));
        kv_buf_dispose(&tok);
    }
    for (size_t i = 0; i < out->n; i++) {
        api_xw_open(&w, k->root);
        kv_buf_append_slice(&resp->body, out->items[i]);
        api_xw_close(&w, k->root);
    }
    api_xw_close(&w, k->list_root);
    xml_type(resp);
}

static void encode_get(api_resp_t *resp, const s3_cfg_out_t *out)
{
    if (out->in->list) {
        encode_list(resp, out);
        return;
    }
    const cfg_kind_t *k = &kinds[out->in->kind];
    api_xw_t w;
    api_xw_begin(&w, &resp->body, k->root, true);
    kv_buf_append_slice(&resp->body, out->value);
    api_xw_close(&w, k->root);
    xml_type(resp);
}

#define CFG_ENCODE(name, body)                                              \
    void s3_encode_##name(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, \
                          const s3_cfg_out_t *out)                          \
    {                                                                       \
        (void)ctx, (void)req, (void)out;                                    \
        body;                                                               \
    }
CFG_ENCODE(put_bucket_request_payment, (void)resp)
CFG_ENCODE(get_bucket_request_payment, encode_single(resp, out))
CFG_ENCODE(put_bucket_accelerate, (void)resp)
CFG_ENCODE(get_bucket_accelerate, encode_single(resp, out))
#define CFG_ENCODE_KIND(kind)                            \
    CFG_ENCODE(put_bucket_##kind, (void)resp)            \
    CFG_ENCODE(get_bucket_##kind, encode_get(resp, out)) \
    CFG_ENCODE(delete_bucket_##kind, resp->status = 204) \
    CFG_ENCODE(list_bucket_##kind, encode_list(resp, out))
CFG_ENCODE_KIND(tiering)
CFG_ENCODE_KIND(inventory)
CFG_ENCODE_KIND(analytics)
CFG_ENCODE_KIND(metrics)

/* ---- Requester Pays on other requests ---- */

bool s3_requester_pays(const eng_bucket_t *b)
{
    return b && kv_slice_eq_str(b->docs[ENG_BDOC_REQUEST_PAYMENT], "Requester");
}

void s3_request_charged(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    api_state_t *st = req->_st;
    if (st->bucket.len == 0 ||
        !kv_slice_eq_nocase(kv_slice_trim(api_req_header(req, "x-amz-request-payer")), "requester"))
        return;
    eng_bucket_t *b = st->s3_authz_bucket;
    if ((b == NULL || !kv_slice_eq(st->bucket, kv_slice_str(b->name))) &&
        eng_bucket_get(ctx->eng, st->bucket, req->arena, &b) != 0)
        return;
    if (s3_requester_pays(b))
        api_resp_header(resp, "x-amz-request-charged", KV_SLICE_LIT("requester"));
}
