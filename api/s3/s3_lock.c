/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 16, package L: S3 Object Lock.
 *
 * A bucket has Object Lock when its ENG_BDOC_OBJECT_LOCK document exists (CreateBucket with
 * x-amz-bucket-object-lock-enabled, or PutObjectLockConfiguration on a bucket whose versioning
 * is Enabled); it keeps it for good, and its versioning stays Enabled (the engine refuses
 * anything else under the catalog lock). The document is the configuration as S3 returns it:
 * ObjectLockEnabled and an optional default retention (GOVERNANCE or COMPLIANCE, Days or
 * Years), applied to every new version that asks for no retention of its own.
 *
 * Each version carries its retention (mode, retain-until) and legal hold in its record: set by
 * the x-amz-object-lock-* headers of PutObject, CopyObject, CreateMultipartUpload (kept to the
 * completed object) and POST Object, or later by PutObjectRetention and PutObjectLegalHold.
 * The engine judges every removal and every retention change against the stored record under
 * the key's lock (eng_objlock.c): a held version cannot be deleted or replaced by anyone, a
 * COMPLIANCE retention cannot be shortened or removed even by the root, a GOVERNANCE one only
 * with x-amz-bypass-governance-retention and s3:BypassGovernanceRetention.
 */
#include <stdio.h>
#include <string.h>

#include "base/kv_time.h"
#include "s3_authz.h"
#include "s3_int.h"

/* ---- dates ---- */

static bool digits(const char *p, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int month_days(int y, int m)
{
    static const int n[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : n[m - 1];
}

bool s3_lock_date(kv_slice_t v, int64_t *ms)
{
    v = kv_slice_trim(v);
    const char *p = (const char *)v.p;
    size_t n = v.len;
    int y, mo, d, h = 0, mi = 0, s = 0, frac = 0;
    if (n < 10 || !digits(p, 4, &y) || p[4] != '-' || !digits(p + 5, 2, &mo) || p[7] != '-' ||
        !digits(p + 8, 2, &d))
        return false;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo))
        return false;
    size_t i = 10;
    int64_t off_min = 0;
    if (i < n) {
        if (n - i < 9 || (p[i] != 'T' && p[i] != 't') || !digits(p + i + 1, 2, &h) ||
            p[i + 3] != ':' || !digits(p + i + 4, 2, &mi) || p[i + 6] != ':' ||
            !digits(p + i + 7, 2, &s) || h > 23 || mi > 59 || s > 59)
            return false;
        i += 9;
        if (i < n && p[i] == '.') {
            size_t k = 0;
            for (i++; i < n && p[i] >= '0' && p[i] <= '9'; i++, k++)
                if (k < 3)
                    frac = frac * 10 + (p[i] - '0');
            if (k == 0)
                return false;
            for (; k < 3; k++)
                frac *= 10;
        }
        if (i == n)
            return false; /* a date-time names its zone */
        if ((p[i] == 'Z' || p[i] == 'z') && i + 1 == n) {
            off_min = 0;
        } else if (p[i] == '+' || p[i] == '-') {
            int oh, om;
            size_t rest = n - i - 1;
            if (!(rest == 5 && p[i + 3] == ':' && digits(p + i + 1, 2, &oh) &&
                  digits(p + i + 4, 2, &om)) &&
                !(rest == 4 && digits(p + i + 1, 2, &oh) && digits(p + i + 3, 2, &om)))
                return false;
            if (oh > 23 || om > 59)
                return false;
            off_min = (p[i] == '-' ? -1 : 1) * (int64_t)(oh * 60 + om);
        } else {
            return false;
        }
    }
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - off_min * 60;
    if (secs < 0 || secs >= 253402300800LL) /* before 1970, or after 9999 once in UTC */
        return false;
    *ms = secs * 1000 + frac;
    return true;
}

/* ---- parsers of the request bodies ---- */

static bool mode_of(kv_slice_t v, eng_lock_mode_t *mode)
{
    v = kv_slice_trim(v);
    if (kv_slice_eq_str(v, "GOVERNANCE"))
        *mode = ENG_LOCK_GOVERNANCE;
    else if (kv_slice_eq_str(v, "COMPLIANCE"))
        *mode = ENG_LOCK_COMPLIANCE;
    else
        return false;
    return true;
}

static const char *mode_name(eng_lock_mode_t m)
{
    return m == ENG_LOCK_COMPLIANCE ? "COMPLIANCE" : "GOVERNANCE";
}

api_err_t s3_lock_conf_parse(kv_arena_t *a, kv_slice_t xml, s3_lock_conf_t *out, const char **msg)
{
    memset(out, 0, sizeof(*out));
    *msg = NULL;
    api_xnode_t *root;
    if (api_xml_parse(a, xml, &root) < 0 || strcmp(root->name, "ObjectLockConfiguration") != 0)
        return API_E_S3_MALFORMED_XML;
    api_xnode_t *en = api_xml_child(root, "ObjectLockEnabled");
    if (en == NULL || !kv_slice_eq_str(kv_slice_trim(en->text), "Enabled"))
        return API_E_S3_MALFORMED_XML;
    api_xnode_t *rule = api_xml_child(root, "Rule");
    if (rule == NULL)
        return API_E_NONE;
    api_xnode_t *dr = api_xml_child(rule, "DefaultRetention");
    api_xnode_t *m = dr ? api_xml_child(dr, "Mode") : NULL;
    api_xnode_t *days = dr ? api_xml_child(dr, "Days") : NULL;
    api_xnode_t *years = dr ? api_xml_child(dr, "Years") : NULL;
    if (m == NULL || (days == NULL) == (years == NULL) || !mode_of(m->text, &out->mode))
        return API_E_S3_MALFORMED_XML;
    uint64_t v;
    if (!kv_slice_to_u64(kv_slice_trim(days ? days->text : years->text), &v) || v == 0) {
        *msg = "Default retention period must be a positive integer value.";
        return API_E_S3_INVALID_ARGUMENT;
    }
    if (v > (days ? S3_LOCK_MAX_DAYS : S3_LOCK_MAX_YEARS)) {
        *msg = "Default retention period is too large.";
        return API_E_S3_INVALID_ARGUMENT;
    }
    out->has_rule = true;
    if (days)
        out->days = (uint32_t)v;
    else
        out->years = (uint32_t)v;
    return API_E_NONE;
}

void s3_lock_conf_xml(const s3_lock_conf_t *c, kv_buf_t *out)
{
    api_xw_t w;
    api_xw_begin(&w, out, "ObjectLockConfiguration", true);
    api_xw_elem_str(&w, "ObjectLockEnabled", "Enabled");
    if (c->has_rule) {
        api_xw_open(&w, "Rule");
        api_xw_open(&w, "DefaultRetention");
        api_xw_elem_str(&w, "Mode", mode_name(c->mode));
        if (c->days)
            api_xw_elem_u64(&w, "Days", c->days);
        else
            api_xw_elem_u64(&w, "Years", c->years);
        api_xw_close(&w, "DefaultRetention");
        api_xw_close(&w, "Rule");
    }
    api_xw_close(&w, "ObjectLockConfiguration");
}

api_err_t s3_lock_retention_parse(kv_arena_t *a, kv_slice_t xml, eng_lock_mode_t *mode,
                                  int64_t *until_ms, const char **msg)
{
    *mode = ENG_LOCK_NONE;
    *until_ms = 0;
    *msg = NULL;
    api_xnode_t *root;
    if (api_xml_parse(a, xml, &root) < 0 || strcmp(root->name, "Retention") != 0)
        return API_E_S3_MALFORMED_XML;
    api_xnode_t *m = api_xml_child(root, "Mode"), *d = api_xml_child(root, "RetainUntilDate");
    if (m == NULL && d == NULL)
        return API_E_NONE; /* no retention: remove it */
    if (m == NULL || d == NULL || !mode_of(m->text, mode) || !s3_lock_date(d->text, until_ms)) {
        *mode = ENG_LOCK_NONE;
        return API_E_S3_MALFORMED_XML;
    }
    return API_E_NONE;
}

api_err_t s3_lock_hold_parse(kv_arena_t *a, kv_slice_t xml, bool *on, const char **msg)
{
    *on = false;
    *msg = NULL;
    api_xnode_t *root;
    if (api_xml_parse(a, xml, &root) < 0 || strcmp(root->name, "LegalHold") != 0)
        return API_E_S3_MALFORMED_XML;
    api_xnode_t *s = api_xml_child(root, "Status");
    kv_slice_t v = s ? kv_slice_trim(s->text) : KV_SLICE_NULL;
    if (kv_slice_eq_str(v, "ON"))
        *on = true;
    else if (!kv_slice_eq_str(v, "OFF"))
        return API_E_S3_MALFORMED_XML;
    return API_E_NONE;
}

int64_t s3_lock_default_until(const s3_lock_conf_t *c, int64_t now_ms)
{
    /* A year of a default retention is 365 days. */
    int64_t days = c->days ? (int64_t)c->days : (int64_t)c->years * 365;
    return now_ms + days * S3_LOCK_DAY_MS;
}

/* The bucket's configuration: false when Object Lock is off (or, never expected, its stored
 * document does not parse). */
static bool bucket_conf(kv_arena_t *a, const eng_bucket_t *b, s3_lock_conf_t *c)
{
    memset(c, 0, sizeof(*c));
    if (b == NULL || b->docs[ENG_BDOC_OBJECT_LOCK].len == 0)
        return false;
    const char *msg;
    if (s3_lock_conf_parse(a, b->docs[ENG_BDOC_OBJECT_LOCK], c, &msg) != API_E_NONE)
        memset(c, 0, sizeof(*c)); /* enabled, without a usable default */
    return true;
}

static int missing_config(api_resp_t *resp)
{
    api_fail(resp, API_E_S3_INVALID_REQUEST, "Bucket is missing Object Lock Configuration");
    return -1;
}

/* S3 asks these requests for an integrity check (verified in the body path). */
static int need_digest(api_req_t *req, api_resp_t *resp)
{
    const api_state_t *st = req->_st;
    if (st->h.content_md5.len || st->h.checksum || st->h.trailer.len)
        return 0;
    api_fail(resp, API_E_S3_INVALID_REQUEST,
             "Missing required header for this request: Content-MD5 OR x-amz-checksum-*");
    return -1;
}

/* ---- hooks into the other operations ---- */

int s3_lock_create_bucket(api_req_t *req, api_resp_t *resp, eng_bucket_t *b)
{
    kv_slice_t v = kv_slice_trim(api_req_header(req, "x-amz-bucket-object-lock-enabled"));
    if (v.len == 0 || kv_slice_eq_nocase(v, "false"))
        return 0;
    if (!kv_slice_eq_nocase(v, "true")) {
        api_fail(resp, API_E_S3_INVALID_ARGUMENT,
                 "x-amz-bucket-object-lock-enabled must be true or false");
        return -1;
    }
    s3_lock_conf_t c = {0};
    kv_buf_t x;
    kv_buf_init(&x, 4096);
    s3_lock_conf_xml(&c, &x);
    b->docs[ENG_BDOC_OBJECT_LOCK] = kv_arena_dup(req->arena, kv_buf_slice(&x));
    kv_buf_dispose(&x);
    b->versioning = ENG_VERSIONING_ENABLED;
    return 0;
}

int s3_lock_versioning_check(api_resp_t *resp, const eng_bucket_t *b, eng_versioning_t state)
{
    if (b && (b->docs[ENG_BDOC_OBJECT_LOCK].len == 0 || state == ENG_VERSIONING_ENABLED ||
              state == ENG_VERSIONING_OFF))
        return 0;
    api_fail(resp, API_E_S3_LOCK_BUCKET_STATE,
             "An Object Lock configuration is present on this bucket, so the versioning state "
             "cannot be changed.");
    return -1;
}

static bool has_lock_headers(api_req_t *req)
{
    return api_req_has_header(req, "x-amz-object-lock-mode") ||
           api_req_has_header(req, "x-amz-object-lock-retain-until-date") ||
           api_req_has_header(req, "x-amz-object-lock-legal-hold");
}

/* A new version's lock from the three values (headers or POST fields; any: one was given). */
static int lock_from(api_req_t *req, api_resp_t *resp, const eng_bucket_t *b, eng_object_t *o,
                     bool with_default, bool any, kv_slice_t mode, kv_slice_t until,
                     kv_slice_t hold)
{
    o->lock_mode = ENG_LOCK_NONE;
    o->lock_until_ms = 0;
    o->legal_hold = o->legal_hold_set = false;
    s3_lock_conf_t c;
    bool enabled = bucket_conf(req->arena, b, &c);
    if (!any) {
        if (enabled && with_default && c.has_rule) {
            o->lock_mode = c.mode;
            o->lock_until_ms = s3_lock_default_until(&c, kv_now_ms());
        }
        return 0;
    }
    if (!enabled)
        return missing_config(resp);
    mode = kv_slice_trim(mode);
    until = kv_slice_trim(until);
    hold = kv_slice_trim(hold);
    if ((mode.len == 0) != (until.len == 0)) {
        api_fail(resp, API_E_S3_INVALID_ARGUMENT,
                 "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be "
                 "supplied");
        return -1;
    }
    if (mode.len) {
        if (!mode_of(mode, &o->lock_mode)) {
            api_fail(resp, API_E_S3_INVALID_ARGUMENT, "Unknown wormMode directive.");
            return -1;
        }
        if (!s3_lock_date(until, &o->lock_until_ms)) {
            o->lock_mode = ENG_LOCK_NONE;
            api_fail(resp, API_E_S3_INVALID_ARGUMENT,
                     "The retain until date must be provided in ISO 8601 format");
            return -1;
        }
        if (o->lock_until_ms <= kv_now_ms()) {
            o->lock_mode = ENG_LOCK_NONE;
            api_fail(resp, API_E_S3_INVALID_ARGUMENT,
                     "The retain until date must be in the future!");
            return -1;
        }
    } else if (with_default && c.has_rule) {
        o->lock_mode = c.mode;
        o->lock_until_ms = s3_lock_default_until(&c, kv_now_ms());
    }
    if (hold.len) {
        if (kv_slice_eq_str(hold, "ON"))
            o->legal_hold = true;
        else if (!kv_slice_eq_str(hold, "OFF")) {
            api_fail(resp, API_E_S3_INVALID_ARGUMENT, "Legal Hold must be either of 'ON' or 'OFF'");
            return -1;
        }
        o->legal_hold_set = true;
    }
    return 0;
}

int s3_lock_for_write(api_req_t *req, api_resp_t *resp, const eng_bucket_t *b, eng_object_t *o,
                      bool with_default)
{
    return lock_from(req, resp, b, o, with_default, has_lock_headers(req),
                     api_req_header(req, "x-amz-object-lock-mode"),
                     api_req_header(req, "x-amz-object-lock-retain-until-date"),
                     api_req_header(req, "x-amz-object-lock-legal-hold"));
}

int s3_lock_for_post(api_req_t *req, api_resp_t *resp, const eng_bucket_t *b, eng_object_t *o,
                     kv_slice_t mode, kv_slice_t until, kv_slice_t hold)
{
    return lock_from(req, resp, b, o, true, mode.len || until.len || hold.len, mode, until, hold);
}

void s3_lock_default(const eng_bucket_t *b, eng_object_t *o)
{
    if (o->lock_mode != ENG_LOCK_NONE || b->docs[ENG_BDOC_OBJECT_LOCK].len == 0)
        return;
    kv_arena_t *a = kv_arena_new(1024);
    s3_lock_conf_t c;
    if (bucket_conf(a, b, &c) && c.has_rule) {
        o->lock_mode = c.mode;
        o->lock_until_ms = s3_lock_default_until(&c, kv_now_ms());
    }
    kv_arena_free(a);
}

int s3_lock_put_begin(api_req_t *req, api_resp_t *resp, const eng_bucket_t *b)
{
    api_state_t *st = req->_st;
    eng_object_t o = {0};
    if (s3_lock_for_write(req, resp, b, &o, true) < 0)
        return -1;
    /* A write that asks for a lock of its own carries an integrity check, as S3 requires. */
    if (has_lock_headers(req) && need_digest(req, resp) < 0)
        return -1;
    st->s3_lock_mode = (uint8_t)o.lock_mode;
    st->s3_lock_until_ms = o.lock_until_ms;
    st->s3_lock_hold = o.legal_hold ? 1 : o.legal_hold_set ? 2 : 0;
    return 0;
}

void s3_lock_put_apply(const api_req_t *req, eng_object_t *o)
{
    const api_state_t *st = req->_st;
    o->lock_mode = (eng_lock_mode_t)st->s3_lock_mode;
    o->lock_until_ms = st->s3_lock_until_ms;
    o->legal_hold = st->s3_lock_hold == 1;
    o->legal_hold_set = st->s3_lock_hold != 0;
}

bool s3_lock_bypass(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t key)
{
    kv_slice_t v = kv_slice_trim(api_req_header(req, "x-amz-bypass-governance-retention"));
    if (!kv_slice_eq_nocase(v, "true"))
        return false;
    return s3_authz_check(ctx, req, resp, "s3:BypassGovernanceRetention", req->_st->bucket, key,
                          NULL, NULL, S3_AZ_QUIET) == 0;
}

int s3_lock_refused(api_resp_t *resp)
{
    api_fail(resp, API_E_S3_LOCK_PROTECTED, NULL);
    return -1;
}

/* May the principal read this part of the object's lock (quietly: a refusal hides it)? */
static bool may_read(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const char *action,
                     const eng_object_t *o)
{
    eng_vref_t ref = {o->null_version ? ENG_VREF_NULL : ENG_VREF_ID, o->version};
    return s3_authz_check(ctx, req, resp, action, req->_st->bucket, o->key, &ref, NULL,
                          S3_AZ_QUIET) == 0;
}

void s3_lock_headers_out(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const eng_object_t *o)
{
    if (o->lock_mode != ENG_LOCK_NONE && may_read(ctx, req, resp, "s3:GetObjectRetention", o)) {
        char date[25];
        kv_time_fmt_iso(o->lock_until_ms, date);
        api_resp_header(resp, "x-amz-object-lock-mode", kv_slice_str(mode_name(o->lock_mode)));
        api_resp_header(resp, "x-amz-object-lock-retain-until-date", kv_slice_str(date));
    }
    if (o->legal_hold_set && may_read(ctx, req, resp, "s3:GetObjectLegalHold", o))
        api_resp_header(resp, "x-amz-object-lock-legal-hold",
                        o->legal_hold ? KV_SLICE_LIT("ON") : KV_SLICE_LIT("OFF"));
}

bool s3_lock_keeps(const eng_object_t *o, int64_t now_ms)
{
    return eng_object_lock_holds(o, now_ms, false);
}

/* ---- condition keys ---- */

static void azq_add(s3_azq_t *q, kv_arena_t *a, const char *name, kv_slice_t v)
{
    if (q->n == S3_AZ_KEYS_MAX)
        return;
    kv_slice_t *vs = kv_arena_alloc(a, sizeof(*vs));
    *vs = kv_arena_dup(a, v);
    q->keys[q->n++] = (api_ckey_t){name, vs, 1};
}

/* s3:object-lock-retain-until-date and s3:object-lock-remaining-retention-days of a date. */
static void azq_until(s3_azq_t *q, kv_arena_t *a, int64_t until_ms)
{
    char date[25], days[24];
    kv_time_fmt_iso(until_ms, date);
    azq_add(q, a, "s3:object-lock-retain-until-date", kv_slice_str(date));
    int64_t left = until_ms - kv_now_ms();
    int64_t n = left <= 0 ? 0 : (left + S3_LOCK_DAY_MS - 1) / S3_LOCK_DAY_MS;
    snprintf(days, sizeof(days), "%lld", (long long)n);
    azq_add(q, a, "s3:object-lock-remaining-retention-days", kv_slice_str(days));
}

void s3_lock_azq(api_req_t *req, int op, const s3_lock_in_t *in, s3_azq_t *q)
{
    kv_arena_t *a = req->arena;
    if (op == S3_OP_put_object_retention && in) {
        if (in->mode != ENG_LOCK_NONE) {
            azq_add(q, a, "s3:object-lock-mode", kv_slice_str(mode_name(in->mode)));
            azq_until(q, a, in->until_ms);
        }
        return;
    }
    if (op == S3_OP_put_object_legal_hold && in) {
        azq_add(q, a, "s3:object-lock-legal-hold",
                in->hold ? KV_SLICE_LIT("ON") : KV_SLICE_LIT("OFF"));
        return;
    }
    /* A write's headers (s3:object-lock-mode is one of every request's keys). */
    int64_t until;
    if (s3_lock_date(api_req_header(req, "x-amz-object-lock-retain-until-date"), &until))
        azq_until(q, a, until);
    kv_slice_t hold = kv_slice_trim(api_req_header(req, "x-amz-object-lock-legal-hold"));
    if (hold.len)
        azq_add(q, a, "s3:object-lock-legal-hold", hold);
}

/* ---- the operations ---- */

static int lock_in(api_req_t *req, s3_lock_in_t *out)
{
    memset(out, 0, sizeof(*out));
    out->bucket = req->_st->bucket;
    out->key = req->_st->key_name;
    return 0;
}

static int body_fail(api_resp_t *resp, api_err_t e, const char *msg)
{
    if (msg)
        api_fail(resp, e, "%s", msg);
    else
        api_fail(resp, e, NULL);
    return -1;
}

/* The bucket, which must have Object Lock, and the version the request names. */
static int lock_version(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const s3_lock_in_t *in,
                        eng_bucket_t **b, eng_object_t **o)
{
    if (s3_bucket_find(ctx, req, resp, in->bucket, b) < 0)
        return -1;
    if ((*b)->docs[ENG_BDOC_OBJECT_LOCK].len == 0)
        return missing_config(resp);
    return s3_open_version(ctx, req, resp, *b, in->key, o, NULL);
}

static int set_lock(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const s3_lock_in_t *in,
                    eng_lock_set_t *set)
{
    eng_bucket_t *b;
    eng_object_t *o;
    if (lock_version(ctx, req, resp, in, &b, &o) < 0)
        return -1;
    int64_t now = kv_now_ms();
    if (set->retention && set->mode != ENG_LOCK_NONE && set->until_ms <= now) {
        api_fail(resp, API_E_S3_INVALID_ARGUMENT, "The retain until date must be in the future!");
        return -1;
    }
    set->bypass_governance = set->retention && s3_lock_bypass(ctx, req, resp, in->key);
    eng_vref_t ref = {o->null_version ? ENG_VREF_NULL : ENG_VREF_ID, o->version};
    int rc = eng_object_set_lock(ctx->eng, b->id, in->key, &ref, set, now);
    if (rc == KV_ELOCKED)
        return s3_lock_refused(resp);
    if (rc == KV_ENOTFOUND) { /* removed since it was read */
        api_fail(resp, API_E_S3_NO_SUCH_KEY, NULL);
        return -1;
    }
    if (rc == KV_EINVAL) {
        api_fail(resp, API_E_S3_METHOD_NOT_ALLOWED, NULL);
        return -1;
    }
    if (rc < 0)
        return s3_engine_fail(resp, rc);
    resp->durable = true;
    return 0;
}

/* GetObjectLockConfiguration */

int s3_decode_get_object_lock_configuration(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                            s3_lock_in_t *out)
{
    (void)ctx, (void)resp;
    return lock_in(req, out);
}

int s3_exec_get_object_lock_configuration(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                          const s3_lock_in_t *in, s3_lock_out_t *out)
{
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0)
        return -1;
    if (!bucket_conf(req->arena, b, &out->conf)) {
        api_fail(resp, API_E_S3_NO_OBJECT_LOCK, NULL);
        return -1;
    }
    return 0;
}

void s3_encode_get_object_lock_configuration(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                             const s3_lock_out_t *out)
{
    (void)ctx, (void)req;
    s3_lock_conf_xml(&out->conf, &resp->body);
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/xml"));
}

/* PutObjectLockConfiguration */

int s3_decode_put_object_lock_configuration(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                            s3_lock_in_t *out)
{
    (void)ctx;
    lock_in(req, out);
    if (need_digest(req, resp) < 0)
        return -1;
    const char *msg;
    api_err_t e = s3_lock_conf_parse(req->arena, kv_buf_slice(&req->_st->body), &out->conf, &msg);
    return e == API_E_NONE ? 0 : body_fail(resp, e, msg);
}

int s3_exec_put_object_lock_configuration(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                          const s3_lock_in_t *in, s3_lock_out_t *out)
{
    (void)out;
    eng_bucket_t *b;
    if (s3_bucket_find(ctx, req, resp, in->bucket, &b) < 0)
        return -1;
    /* x-amz-bucket-object-lock-token: once needed to turn Object Lock on for an existing
     * bucket; S3 no longer asks for it, and it changes nothing here. */
    if (b->versioning != ENG_VERSIONING_ENABLED) {
        api_fail(resp, API_E_S3_LOCK_BUCKET_STATE, NULL);
        return -1;
    }
    kv_buf_t x;
    kv_buf_init(&x, 4096);
    s3_lock_conf_xml(&in->conf, &x);
    int rc = eng_bucket_set_doc(ctx->eng, in->bucket, ENG_BDOC_OBJECT_LOCK, kv_buf_slice(&x));
    kv_buf_dispose(&x);
    if (rc == KV_ELOCKED) { /* versioning changed since it was read */
        api_fail(resp, API_E_S3_LOCK_BUCKET_STATE, NULL);
        return -1;
    }
    return s3_bucket_written(resp, rc);
}

void s3_encode_put_object_lock_configuration(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                             const s3_lock_out_t *out)
{
    (void)ctx, (void)req, (void)resp, (void)out;
}

/* PutObjectRetention / GetObjectRetention */

int s3_decode_put_object_retention(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                   s3_lock_in_t *out)
{
    (void)ctx;
    lock_in(req, out);
    if (need_digest(req, resp) < 0)
        return -1;
    const char *msg;
    api_err_t e = s3_lock_retention_parse(req->arena, kv_buf_slice(&req->_st->body), &out->mode,
                                          &out->until_ms, &msg);
    return e == API_E_NONE ? 0 : body_fail(resp, e, msg);
}

int s3_exec_put_object_retention(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                 const s3_lock_in_t *in, s3_lock_out_t *out)
{
    (void)out;
    eng_lock_set_t set = {.retention = true, .mode = in->mode, .until_ms = in->until_ms};
    return set_lock(ctx, req, resp, in, &set);
}

void s3_encode_put_object_retention(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                    const s3_lock_out_t *out)
{
    (void)ctx, (void)req, (void)resp, (void)out;
}

int s3_decode_get_object_retention(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                   s3_lock_in_t *out)
{
    (void)ctx, (void)resp;
    return lock_in(req, out);
}

int s3_exec_get_object_retention(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                 const s3_lock_in_t *in, s3_lock_out_t *out)
{
    eng_bucket_t *b;
    if (lock_version(ctx, req, resp, in, &b, &out->o) < 0)
        return -1;
    if (out->o->lock_mode == ENG_LOCK_NONE) {
        api_fail(resp, API_E_S3_LOCK_NO_SUCH_CONFIG, NULL);
        return -1;
    }
    return 0;
}

void s3_encode_get_object_retention(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                    const s3_lock_out_t *out)
{
    (void)ctx, (void)req;
    char date[25];
    kv_time_fmt_iso(out->o->lock_until_ms, date);
    api_xw_t w;
    api_xw_begin(&w, &resp->body, "Retention", true);
    api_xw_elem_str(&w, "Mode", mode_name(out->o->lock_mode));
    api_xw_elem_str(&w, "RetainUntilDate", date);
    api_xw_close(&w, "Retention");
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/xml"));
}

/* PutObjectLegalHold / GetObjectLegalHold */

int s3_decode_put_object_legal_hold(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                    s3_lock_in_t *out)
{
    (void)ctx;
    lock_in(req, out);
    if (need_digest(req, resp) < 0)
        return -1;
    const char *msg;
    api_err_t e = s3_lock_hold_parse(req->arena, kv_buf_slice(&req->_st->body), &out->hold, &msg);
    return e == API_E_NONE ? 0 : body_fail(resp, e, msg);
}

int s3_exec_put_object_legal_hold(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                  const s3_lock_in_t *in, s3_lock_out_t *out)
{
    (void)out;
    eng_lock_set_t set = {.legal_hold = true, .hold = in->hold};
    return set_lock(ctx, req, resp, in, &set);
}

void s3_encode_put_object_legal_hold(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                     const s3_lock_out_t *out)
{
    (void)ctx, (void)req, (void)resp, (void)out;
}

int s3_decode_get_object_legal_hold(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                    s3_lock_in_t *out)
{
    (void)ctx, (void)resp;
    return lock_in(req, out);
}

int s3_exec_get_object_legal_hold(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                  const s3_lock_in_t *in, s3_lock_out_t *out)
{
    eng_bucket_t *b;
    if (lock_version(ctx, req, resp, in, &b, &out->o) < 0)
        return -1;
    if (!out->o->legal_hold_set) { /* never set, ON or OFF */
        api_fail(resp, API_E_S3_LOCK_NO_SUCH_CONFIG, NULL);
        return -1;
    }
    return 0;
}

void s3_encode_get_object_legal_hold(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                     const s3_lock_out_t *out)
{
    (void)ctx, (void)req;
    api_xw_t w;
    api_xw_begin(&w, &resp->body, "LegalHold", true);
    api_xw_elem_str(&w, "Status", out->o->legal_hold ? "ON" : "OFF");
    api_xw_close(&w, "LegalHold");
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/xml"));
}
