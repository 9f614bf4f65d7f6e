/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JSON -> typed inputs for the DynamoDB operations, with DynamoDB's own
 * validation: constraint violations are collected and reported together
 * ("2 validation errors detected: ..."), wrong JSON types are a
 * SerializationException. Decoders never call the engine.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ddb_int.h"

#define TABLE_NAME_MIN  3
#define ATTR_NAME_MAX   255
#define LIST_TABLES_MAX 100

void ddb_dec_violation(ddb_dec_t *d, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (d->n_errors++)
        kv_buf_append_str(&d->errors, "; ");
    kv_buf_append(&d->errors, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static void ser_error(ddb_dec_t *d, const char *msg)
{
    if (!d->serialization) {
        d->serialization = true;
        d->ser_msg = msg;
    }
}

void ddb_dec_serial(ddb_dec_t *d, const char *msg)
{
    ser_error(d, msg);
}

int ddb_dec_fail(ddb_dec_t *d, const char *fmt, ...)
{
    if (d->fail_msg)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    d->fail_msg = kv_arena_vprintf(d->a, fmt, ap);
    va_end(ap);
    return -1;
}

/* A member that must be a string when present. */
bool ddb_opt_str(ddb_dec_t *d, const api_json_t *obj, const char *key, kv_slice_t *out)
{
    api_json_t *v = api_json_get(obj, key);
    if (v == NULL || api_json_type(v) == API_J_NULL)
        return false;
    if (api_json_type(v) != API_J_STR) {
        ser_error(d, api_json_type(v) == API_J_OBJ
                         ? "Start of structure or map found where not expected."
                         : (api_json_type(v) == API_J_ARR
                                ? "Start of list found where not expected"
                                : "NUMBER_VALUE cannot be converted to String"));
        return false;
    }
    *out = api_json_str(v);
    return true;
}

bool ddb_opt_int(ddb_dec_t *d, const api_json_t *obj, const char *key, int64_t *out)
{
    api_json_t *v = api_json_get(obj, key);
    if (v == NULL || api_json_type(v) == API_J_NULL)
        return false;
    if (!api_json_int(v, out)) {
        ser_error(d, api_json_type(v) == API_J_STR ? "STRING_VALUE cannot be converted to Long"
                                                   : "Expected a number");
        return false;
    }
    return true;
}

const api_json_t *ddb_opt_kind(ddb_dec_t *d, const api_json_t *obj, const char *key,
                               api_json_type_t kind)
{
    api_json_t *v = api_json_get(obj, key);
    if (v == NULL || api_json_type(v) == API_J_NULL)
        return NULL;
    if (api_json_type(v) != kind) {
        ser_error(d, kind == API_J_ARR ? "Expected list or null" : "Expected structure or null");
        return NULL;
    }
    return v;
}

bool ddb_opt_bool(ddb_dec_t *d, const api_json_t *obj, const char *key, bool *out)
{
    api_json_t *v = api_json_get(obj, key);
    if (v == NULL || api_json_type(v) == API_J_NULL)
        return false;
    if (api_json_type(v) != API_J_BOOL) {
        ser_error(d, "Expected a boolean value");
        return false;
    }
    *out = api_json_bool(v);
    return true;
}

static bool table_name_chars_ok(kv_slice_t n)
{
    if (n.len == 0) /* the pattern asks for one character at least */
        return false;
    for (size_t i = 0; i < n.len; i++) {
        uint8_t c = n.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

/* Validate a table name (or ARN for the operations that take one) at the given member path. */
static void check_table_name(ddb_dec_t *d, kv_slice_t *name, bool present, const char *member,
                             bool allow_arn)
{
    if (!present) {
        ddb_dec_violation(d,
                          "Value null at '%s' failed to satisfy constraint: Member must not "
                          "be null",
                          member);
        return;
    }
    kv_slice_t n = *name;
    api_arn_t arn;
    kv_slice_t rest;
    if (allow_arn && n.len <= 1024 && api_arn_parse(n, &arn) &&
        api_arn_after(&arn, "table/", &rest)) {
        n = rest;
        *name = n;
    }
    /* ListTables' ExclusiveStartTableName reports its pattern first (DynamoDB's order). */
    bool pattern_first = strcmp(member, "exclusiveStartTableName") == 0;
    if (pattern_first && !table_name_chars_ok(n))
        ddb_dec_violation(d,
                          "Value '%.*s' at '%s' failed to satisfy constraint: Member must "
                          "satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
                          (int)(n.len > 300 ? 300 : n.len), (const char *)n.p, member);
    if (n.len < TABLE_NAME_MIN)
        ddb_dec_violation(d,
                          "Value '%.*s' at '%s' failed to satisfy constraint: Member must "
                          "have length greater than or equal to 3",
                          (int)n.len, (const char *)n.p, member);
    if (n.len > ENG_TABLE_NAME_MAX)
        ddb_dec_violation(d,
                          "Value '%.*s' at '%s' failed to satisfy constraint: Member must "
                          "have length less than or equal to 255",
                          (int)(n.len > 300 ? 300 : n.len), (const char *)n.p, member);
    if (!pattern_first && !table_name_chars_ok(n))
        ddb_dec_violation(d,
                          "Value '%.*s' at '%s' failed to satisfy constraint: Member must "
                          "satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
                          (int)(n.len > 300 ? 300 : n.len), (const char *)n.p, member);
}

void ddb_check_table_name(ddb_dec_t *d, kv_slice_t *name, bool present, const char *member)
{
    check_table_name(d, name, present, member, true);
}

kv_slice_t ddb_opt_table(ddb_dec_t *d, const api_json_t *in, const char *member, bool required)
{
    kv_slice_t t = KV_SLICE_NULL;
    if (!ddb_opt_str(d, in, member, &t) && required)
        ddb_dec_violation(d,
                          "Value null at '%s' failed to satisfy constraint: Member must not "
                          "be null",
                          strcmp(member, "TableName") == 0 ? "tableName" : "targetTableName");
    else if (t.len && (t.len < 3 || t.len > 255))
        ddb_dec_violation(d,
                          "Value '%.*s' at 'tableName' failed to satisfy constraint: Member "
                          "must have length between 3 and 255",
                          (int)(t.len > 300 ? 300 : t.len), (const char *)t.p);
    return t;
}

static char *dupz(ddb_dec_t *d, kv_slice_t s)
{
    return kv_arena_strndup(d->a, s.p, s.len);
}

int ddb_dec_finish(ddb_dec_t *d)
{
    if (d->serialization) {
        api_fail(d->resp, API_E_DDB_SERIALIZATION, "%s", d->ser_msg);
        return -1;
    }
    if (d->n_errors) {
        api_fail(d->resp, API_E_DDB_VALIDATION, "%d validation error%s detected: %.*s", d->n_errors,
                 d->n_errors > 1 ? "s" : "", (int)d->errors.len, (const char *)d->errors.p);
        return -1;
    }
    if (d->fail_msg) {
        api_fail(d->resp, API_E_DDB_VALIDATION, "%s", d->fail_msg);
        return -1;
    }
    return 0;
}

static int finish(ddb_dec_t *d)
{
    return ddb_dec_finish(d);
}

static int fail_validation(ddb_dec_t *d, const char *msg)
{
    api_fail(d->resp, API_E_DDB_VALIDATION, "%s", msg);
    return -1;
}

/* ddb_decode_tags: ddb_tags.c (issue 17, package V2). */

/* BillingMode, ProvisionedThroughput and StreamSpecification, as CreateTable and
 * UpdateTable take them (syntax only; each operation checks the combination). */
static void decode_settings(ddb_dec_t *d, const api_json_t *in, ddb_settings_t *st)
{
    memset(st, 0, sizeof(*st));
    kv_slice_t billing = KV_SLICE_NULL;
    st->has_billing = ddb_opt_str(d, in, "BillingMode", &billing);
    st->billing = ENG_BILLING_PROVISIONED;
    if (st->has_billing) {
        if (kv_slice_eq_str(billing, "PAY_PER_REQUEST"))
            st->billing = ENG_BILLING_PAY_PER_REQUEST;
        else if (!kv_slice_eq_str(billing, "PROVISIONED"))
            ddb_dec_violation(d,
                              "Value '%.*s' at 'billingMode' failed to satisfy constraint: "
                              "Member must satisfy enum value set: [PROVISIONED, "
                              "PAY_PER_REQUEST]",
                              (int)(billing.len > 100 ? 100 : billing.len),
                              (const char *)billing.p);
    }
    const api_json_t *pt = ddb_opt_kind(d, in, "ProvisionedThroughput", API_J_OBJ);
    int64_t rcu = 0, wcu = 0;
    bool hr = false, hw = false;
    if (pt) {
        st->has_pt = true;
        hr = ddb_opt_int(d, pt, "ReadCapacityUnits", &rcu);
        hw = ddb_opt_int(d, pt, "WriteCapacityUnits", &wcu);
        if (!hr)
            ddb_dec_violation(d, "Value null at 'provisionedThroughput.readCapacityUnits' failed "
                                 "to satisfy constraint: Member must not be null");
        else if (rcu < 1)
            ddb_dec_violation(d,
                              "Value '%lld' at 'provisionedThroughput.readCapacityUnits' "
                              "failed to satisfy constraint: Member must have value greater "
                              "than or equal to 1",
                              (long long)rcu);
        if (!hw)
            ddb_dec_violation(d, "Value null at 'provisionedThroughput.writeCapacityUnits' failed "
                                 "to satisfy constraint: Member must not be null");
        else if (wcu < 1)
            ddb_dec_violation(d,
                              "Value '%lld' at 'provisionedThroughput.writeCapacityUnits' "
                              "failed to satisfy constraint: Member must have value greater "
                              "than or equal to 1",
                              (long long)wcu);
    }

    st->rcu = rcu;
    st->wcu = wcu;
    const api_json_t *ss = ddb_opt_kind(d, in, "StreamSpecification", API_J_OBJ);
    kv_slice_t view = KV_SLICE_NULL;
    bool has_view = false, enabled = false, has_enabled = false;
    st->has_stream = ss != NULL;
    if (ss) {
        has_enabled = ddb_opt_bool(d, ss, "StreamEnabled", &enabled);
        has_view = ddb_opt_str(d, ss, "StreamViewType", &view);
        if (!has_enabled)
            ddb_dec_violation(d, "Value null at 'streamSpecification.streamEnabled' failed to "
                                 "satisfy constraint: Member must not be null");
        if (has_view) {
            if (kv_slice_eq_str(view, "KEYS_ONLY"))
                st->view = ENG_STREAM_KEYS_ONLY;
            else if (kv_slice_eq_str(view, "NEW_IMAGE"))
                st->view = ENG_STREAM_NEW_IMAGE;
            else if (kv_slice_eq_str(view, "OLD_IMAGE"))
                st->view = ENG_STREAM_OLD_IMAGE;
            else if (kv_slice_eq_str(view, "NEW_AND_OLD_IMAGES"))
                st->view = ENG_STREAM_NEW_AND_OLD_IMAGES;
            else
                ddb_dec_violation(d,
                                  "Value '%.*s' at 'streamSpecification.streamViewType' failed "
                                  "to satisfy constraint: Member must satisfy enum value set: "
                                  "[NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY]",
                                  (int)(view.len > 100 ? 100 : view.len), (const char *)view.p);
        }
    }
    st->has_view = has_view;
    st->enabled = enabled;
    st->has_enabled = has_enabled;
    ddb_sse_decode(d, in, &st->sse); /* issue 16, package K */
}

static bool key_used(const char *name, const eng_table_t *t, const ddb_index_in_t *lsi,
                     size_t n_lsi, const ddb_index_in_t *gsi, size_t n_gsi)
{
    if (strcmp(name, t->hash_key) == 0 || (t->range_key && strcmp(name, t->range_key) == 0))
        return true;
    const ddb_index_in_t *lists[2] = {lsi, gsi};
    size_t ns[2] = {n_lsi, n_gsi};
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; i < ns[l]; i++)
            for (size_t k = 0; k < lists[l][i].n_ks; k++)
                if (kv_slice_eq_str(lists[l][i].kname[k], name))
                    return true;
    return false;
}

/* With indexes, every AttributeDefinition must be a key of the table or of an index. */
static int unused_definitions(ddb_dec_t *d, const eng_table_t *t, const ddb_index_in_t *lsi,
                              size_t n_lsi, const ddb_index_in_t *gsi, size_t n_gsi)
{
    bool unused = false;
    for (size_t i = 0; i < t->n_attrs; i++)
        unused |= !key_used(t->attrs[i].name, t, lsi, n_lsi, gsi, n_gsi);
    if (!unused)
        return 0;
    kv_buf_t defs, used;
    kv_buf_init(&defs, 1 << 16);
    kv_buf_init(&used, 1 << 16);
    for (size_t i = 0; i < t->n_attrs; i++) {
        kv_buf_printf(&defs, "%s%s", i ? ", " : "", t->attrs[i].name);
        if (key_used(t->attrs[i].name, t, lsi, n_lsi, gsi, n_gsi))
            kv_buf_printf(&used, "%s%s", used.len ? ", " : "", t->attrs[i].name);
    }
    api_fail(d->resp, API_E_DDB_VALIDATION,
             "One or more parameter values were invalid: Some AttributeDefinitions are not used. "
             "AttributeDefinitions: [%.*s], keys used: [%.*s]",
             (int)defs.len, (const char *)defs.p, (int)used.len, (const char *)used.p);
    kv_buf_dispose(&defs);
    kv_buf_dispose(&used);
    return -1;
}

int ddb_decode_create_table(ddb_dec_t *d, const api_json_t *in, ddb_create_table_in_t *out)
{
    eng_table_t *t = &out->t;
    memset(out, 0, sizeof(*out));
    kv_slice_t name = KV_SLICE_NULL;
    bool has_name = ddb_opt_str(d, in, "TableName", &name);

    /* AttributeDefinitions */
    const api_json_t *ad = ddb_opt_kind(d, in, "AttributeDefinitions", API_J_ARR);
    size_t n_ad = ad ? api_json_len(ad) : 0;
    if (n_ad > 1000)
        n_ad = 1000;
    t->attrs = kv_arena_calloc(d->a, n_ad ? n_ad : 1, sizeof(*t->attrs));
    /* KeySchema */
    const api_json_t *ks = ddb_opt_kind(d, in, "KeySchema", API_J_ARR);
    size_t n_ks = ks ? api_json_len(ks) : 0;

    check_table_name(d, &name, has_name, "tableName", false);
    if (ad == NULL && !d->serialization)
        ddb_dec_violation(d, "Value null at 'attributeDefinitions' failed to satisfy constraint: "
                             "Member must not be null");
    if (ks == NULL && !d->serialization)
        ddb_dec_violation(d, "Value null at 'keySchema' failed to satisfy constraint: Member must "
                             "not be null");
    if (ks && n_ks > 2)
        ddb_dec_violation(d, "Value '[...]' at 'keySchema' failed to satisfy constraint: Member "
                             "must have length less than or equal to 2");
    if (ks && n_ks == 0)
        ddb_dec_violation(d, "Value '[]' at 'keySchema' failed to satisfy constraint: Member "
                             "must have length greater than or equal to 1");

    for (size_t i = 0; i < n_ad; i++) {
        const api_json_t *e = api_json_at(ad, i);
        if (api_json_type(e) != API_J_OBJ) {
            ser_error(d, "Expected structure");
            break;
        }
        kv_slice_t an = KV_SLICE_NULL, at = KV_SLICE_NULL;
        bool han = ddb_opt_str(d, e, "AttributeName", &an);
        bool hat = ddb_opt_str(d, e, "AttributeType", &at);
        if (!han)
            ddb_dec_violation(d,
                              "Value null at 'attributeDefinitions.%zu.member.attributeName' "
                              "failed to satisfy constraint: Member must not be null",
                              i + 1);
        else if (an.len == 0 || an.len > ATTR_NAME_MAX)
            ddb_dec_violation(d,
                              "Value '%.*s' at 'attributeDefinitions.%zu.member.attributeName' "
                              "failed to satisfy constraint: Member must have length %s",
                              (int)(an.len > 300 ? 300 : an.len), (const char *)an.p, i + 1,
                              an.len == 0 ? "greater than or equal to 1"
                                          : "less than or equal to 255");
        eng_scalar_t ty = 0;
        if (!hat)
            ddb_dec_violation(d,
                              "Value null at 'attributeDefinitions.%zu.member.attributeType' "
                              "failed to satisfy constraint: Member must not be null",
                              i + 1);
        else if (kv_slice_eq_str(at, "S"))
            ty = ENG_SCALAR_S;
        else if (kv_slice_eq_str(at, "N"))
            ty = ENG_SCALAR_N;
        else if (kv_slice_eq_str(at, "B"))
            ty = ENG_SCALAR_B;
        else
            ddb_dec_violation(d,
                              "Value '%.*s' at 'attributeDefinitions.%zu.member.attributeType' "
                              "failed to satisfy constraint: Member must satisfy enum value "
                              "set: [B, N, S]",
                              (int)(at.len > 100 ? 100 : at.len), (const char *)at.p, i + 1);
        if (han) {
            t->attrs[t->n_attrs].name = dupz(d, an);
            t->attrs[t->n_attrs].type = ty;
            t->n_attrs++;
        }
    }

    kv_slice_t kname[2] = {KV_SLICE_NULL, KV_SLICE_NULL};
    kv_slice_t ktype[2] = {KV_SLICE_NULL, KV_SLICE_NULL};
    for (size_t i = 0; ks && i < n_ks && i < 2; i++) {
        const api_json_t *e = api_json_at(ks, i);
        if (api_json_type(e) != API_J_OBJ) {
            ser_error(d, "Expected structure");
            break;
        }
        bool hn = ddb_opt_str(d, e, "AttributeName", &kname[i]);
        bool ht = ddb_opt_str(d, e, "KeyType", &ktype[i]);
        if (!hn)
            ddb_dec_violation(d,
                              "Value null at 'keySchema.%zu.member.attributeName' failed to "
                              "satisfy constraint: Member must not be null",
                              i + 1);
        else if (kname[i].len == 0 || kname[i].len > ATTR_NAME_MAX)
            ddb_dec_violation(
                d,
                "Value '%.*s' at 'keySchema.%zu.member.attributeName' failed to "
                "satisfy constraint: Member must have length %s",
                (int)(kname[i].len > 300 ? 300 : kname[i].len), (const char *)kname[i].p, i + 1,
                kname[i].len == 0 ? "greater than or equal to 1" : "less than or equal to 255");
        if (!ht)
            ddb_dec_violation(d,
                              "Value null at 'keySchema.%zu.member.keyType' failed to satisfy "
                              "constraint: Member must not be null",
                              i + 1);
        else if (!kv_slice_eq_str(ktype[i], "HASH") && !kv_slice_eq_str(ktype[i], "RANGE"))
            ddb_dec_violation(d,
                              "Value '%.*s' at 'keySchema.%zu.member.keyType' failed to satisfy "
                              "constraint: Member must satisfy enum value set: [HASH, RANGE]",
                              (int)(ktype[i].len > 100 ? 100 : ktype[i].len),
                              (const char *)ktype[i].p, i + 1);
    }

    ddb_settings_t st;
    decode_settings(d, in, &st);
    out->has_billing = st.has_billing;
    out->has_pt = st.has_pt;
    out->sse = st.sse;
    t->billing = st.has_billing ? st.billing : ENG_BILLING_PROVISIONED;
    t->stream_view = st.view;
    int64_t rcu = st.rcu, wcu = st.wcu;
    bool has_view = st.has_view, enabled = st.enabled, has_enabled = st.has_enabled;

    ddb_decode_tags(d, in, "Tags", &t->tags, &t->n_tags);

    /* Secondary indexes (at most 100 of each are looked at: the limits are 5 and 20). */
    const api_json_t *lj = ddb_opt_kind(d, in, "LocalSecondaryIndexes", API_J_ARR);
    const api_json_t *gj = ddb_opt_kind(d, in, "GlobalSecondaryIndexes", API_J_ARR);
    size_t n_lsi = lj ? api_json_len(lj) : 0, n_gsi = gj ? api_json_len(gj) : 0;
    if (n_lsi > 100)
        n_lsi = 100;
    if (n_gsi > 100)
        n_gsi = 100;
    ddb_index_in_t *lsi = kv_arena_calloc(d->a, n_lsi + 1, sizeof(*lsi));
    ddb_index_in_t *gsi = kv_arena_calloc(d->a, n_gsi + 1, sizeof(*gsi));
    for (size_t i = 0; i < n_lsi; i++) {
        char path[64];
        snprintf(path, sizeof(path), "localSecondaryIndexes.%zu.member", i + 1);
        ddb_index_decode(d, api_json_at(lj, i), path, false, &lsi[i]);
    }
    for (size_t i = 0; i < n_gsi; i++) {
        char path[64];
        snprintf(path, sizeof(path), "globalSecondaryIndexes.%zu.member", i + 1);
        ddb_index_decode(d, api_json_at(gj, i), path, true, &gsi[i]);
    }
    if (finish(d) < 0)
        return -1;

    /* Semantic checks, in the order DynamoDB reports them. */
    if (!kv_slice_eq_str(ktype[0], "HASH"))
        return fail_validation(d, "Invalid KeySchema: The first KeySchemaElement is not a HASH "
                                  "key type");
    if (n_ks == 2 && !kv_slice_eq_str(ktype[1], "RANGE"))
        return fail_validation(d, "Invalid KeySchema: The second KeySchemaElement is not a RANGE "
                                  "key type");
    if (n_ks == 2 && kv_slice_eq(kname[0], kname[1]))
        return fail_validation(d, "Both the Hash Key and the Range Key element in the KeySchema "
                                  "have the same name");
    for (size_t i = 0; i < t->n_attrs; i++)
        for (size_t j = i + 1; j < t->n_attrs; j++)
            if (strcmp(t->attrs[i].name, t->attrs[j].name) == 0) {
                api_fail(d->resp, API_E_DDB_VALIDATION,
                         "Cannot have two attributes with the same name; attribute name: %s",
                         t->attrs[i].name);
                return -1;
            }
    for (size_t k = 0; k < n_ks; k++) {
        bool found = false;
        for (size_t i = 0; i < t->n_attrs; i++)
            if (kv_slice_eq_str(kname[k], t->attrs[i].name)) {
                found = true;
                if (k == 0) {
                    t->hash_key = t->attrs[i].name;
                    t->hash_type = t->attrs[i].type;
                } else {
                    t->range_key = t->attrs[i].name;
                    t->range_type = t->attrs[i].type;
                }
            }
        if (!found) {
            kv_buf_t names;
            kv_buf_init(&names, 1 << 16);
            for (size_t i = 0; i < t->n_attrs; i++) {
                if (i)
                    kv_buf_append_str(&names, ", ");
                kv_buf_append_str(&names, t->attrs[i].name);
            }
            api_fail(d->resp, API_E_DDB_VALIDATION,
                     "One or more parameter values were invalid: Some index key attributes are "
                     "not defined in AttributeDefinitions. Keys: [%.*s%s%.*s], "
                     "AttributeDefinitions: [%.*s]",
                     (int)kname[0].len, (const char *)kname[0].p, n_ks == 2 ? ", " : "",
                     n_ks == 2 ? (int)kname[1].len : 0, n_ks == 2 ? (const char *)kname[1].p : "",
                     (int)names.len, (const char *)names.p);
            kv_buf_dispose(&names);
            return -1;
        }
    }
    if (lj == NULL && gj == NULL && t->n_attrs != n_ks)
        return fail_validation(d, "One or more parameter values were invalid: Number of "
                                  "attributes in KeySchema does not exactly match number of "
                                  "attributes defined in AttributeDefinitions");
    if (lj || gj) {
        if (ddb_index_check(d, t, lsi, n_lsi, lj != NULL, gsi, n_gsi, gj != NULL) < 0)
            return -1;
        if (unused_definitions(d, t, lsi, n_lsi, gsi, n_gsi) < 0)
            return -1;
        t->indexes = kv_arena_calloc(d->a, n_lsi + n_gsi + 1, sizeof(*t->indexes));
        for (size_t i = 0; i < n_lsi; i++)
            t->indexes[t->n_indexes++] = lsi[i].ix;
        for (size_t i = 0; i < n_gsi; i++)
            t->indexes[t->n_indexes++] = gsi[i].ix;
    }
    if (t->billing == ENG_BILLING_PAY_PER_REQUEST && out->has_pt)
        return fail_validation(d, "One or more parameter values were invalid: Neither "
                                  "ReadCapacityUnits nor WriteCapacityUnits can be specified when "
                                  "BillingMode is PAY_PER_REQUEST");
    if (t->billing == ENG_BILLING_PROVISIONED && !out->has_pt)
        return fail_validation(d, out->has_billing
                                      ? "One or more parameter values were invalid: "
                                        "ReadCapacityUnits and WriteCapacityUnits must both be "
                                        "specified when BillingMode is PROVISIONED"
                                      : "No provisioned throughput specified for the table");
    if (has_enabled && enabled && !has_view)
        return fail_validation(d, "One or more parameter values were invalid: You must specify a "
                                  "StreamViewType when enabling a stream");
    if (has_enabled && !enabled && has_view)
        return fail_validation(d, "One or more parameter values were invalid: Table is being "
                                  "created with a stream disabled, UpdateViewType should not be "
                                  "specified");
    t->name = dupz(d, name);
    t->rcu = (uint64_t)rcu;
    t->wcu = (uint64_t)wcu;
    t->stream_enabled = has_enabled && enabled;
    if (!t->stream_enabled)
        t->stream_view = ENG_STREAM_NONE;
    return 0;
}

static int decode_table_name(ddb_dec_t *d, const api_json_t *in, ddb_table_name_in_t *out)
{
    kv_slice_t name = KV_SLICE_NULL;
    bool has = ddb_opt_str(d, in, "TableName", &name);
    check_table_name(d, &name, has, "tableName", true);
    if (finish(d) < 0)
        return -1;
    out->name = name;
    return 0;
}

int ddb_decode_describe_table(ddb_dec_t *d, const api_json_t *in, ddb_describe_table_in_t *out)
{
    return decode_table_name(d, in, out);
}

int ddb_decode_delete_table(ddb_dec_t *d, const api_json_t *in, ddb_delete_table_in_t *out)
{
    return decode_table_name(d, in, out);
}

int ddb_decode_list_tables(ddb_dec_t *d, const api_json_t *in, ddb_list_tables_in_t *out)
{
    int64_t limit = LIST_TABLES_MAX;
    kv_slice_t start = KV_SLICE_NULL;
    if (ddb_opt_int(d, in, "Limit", &limit)) {
        if (limit < 1)
            ddb_dec_violation(d,
                              "Value '%lld' at 'limit' failed to satisfy constraint: Member "
                              "must have value greater than or equal to 1",
                              (long long)limit);
        else if (limit > LIST_TABLES_MAX)
            ddb_dec_violation(d,
                              "Value '%lld' at 'limit' failed to satisfy constraint: Member "
                              "must have value less than or equal to 100",
                              (long long)limit);
    }
    if (ddb_opt_str(d, in, "ExclusiveStartTableName", &start))
        check_table_name(d, &start, true, "exclusiveStartTableName", true);
    if (finish(d) < 0)
        return -1;
    out->start = start;
    out->limit = (size_t)limit;
    return 0;
}

int ddb_decode_update_table(ddb_dec_t *d, const api_json_t *in, ddb_update_table_in_t *out)
{
    memset(out, 0, sizeof(*out));
    kv_slice_t name = KV_SLICE_NULL;
    bool has = ddb_opt_str(d, in, "TableName", &name);
    check_table_name(d, &name, has, "tableName", true);
    decode_settings(d, in, &out->st);
    out->replica_updates = ddb_opt_kind(d, in, "ReplicaUpdates", API_J_ARR); /* issue 17 S */
    const api_json_t *gu = ddb_opt_kind(d, in, "GlobalSecondaryIndexUpdates", API_J_ARR);
    out->has_gsi_updates = gu != NULL;
    size_t n = gu ? api_json_len(gu) : 0;
    if (n > 100)
        n = 100;
    out->gsi = kv_arena_calloc(d->a, n + 1, sizeof(*out->gsi));
    for (size_t i = 0; i < n && !d->serialization; i++) {
        const api_json_t *e = api_json_at(gu, i);
        if (api_json_type(e) != API_J_OBJ) {
            ser_error(d, "Expected structure");
            break;
        }
        ddb_gsi_update_t *g = &out->gsi[out->n_gsi++];
        const api_json_t *c = ddb_opt_kind(d, e, "Create", API_J_OBJ);
        const api_json_t *dl = ddb_opt_kind(d, e, "Delete", API_J_OBJ);
        const api_json_t *up = ddb_opt_kind(d, e, "Update", API_J_OBJ);
        char path[96];
        if ((c != NULL) + (dl != NULL) + (up != NULL) != 1) {
            if (finish(d) < 0)
                return -1;
            return fail_validation(d, (c != NULL) + (dl != NULL) + (up != NULL) == 0
                                          ? "One or more parameter values were invalid: One of "
                                            "GlobalSecondaryIndexUpdate.Update, "
                                            "GlobalSecondaryIndexUpdate.Create, "
                                            "GlobalSecondaryIndexUpdate.Delete must not be null"
                                          : "One or more parameter values were invalid: Only one "
                                            "global secondary index action is allowed per "
                                            "GlobalSecondaryIndexUpdate object");
        }
        if (c) {
            g->kind = DDB_GSI_CREATE;
            snprintf(path, sizeof(path), "globalSecondaryIndexUpdates.%zu.member.create", i + 1);
            ddb_index_decode(d, c, path, true, &g->idx);
            g->name = g->idx.ix.name ? kv_slice_str(g->idx.ix.name) : KV_SLICE_NULL;
        } else {
            const api_json_t *o = dl ? dl : up;
            g->kind = dl ? DDB_GSI_DELETE : DDB_GSI_UPDATE;
            if (!ddb_opt_str(d, o, "IndexName", &g->name))
                ddb_dec_violation(d,
                                  "Value null at 'globalSecondaryIndexUpdates.%zu.member.%s."
                                  "indexName' failed to satisfy constraint: Member must not be "
                                  "null",
                                  i + 1, dl ? "delete" : "update");
            const api_json_t *pt =
                up ? ddb_opt_kind(d, up, "ProvisionedThroughput", API_J_OBJ) : NULL;
            if (pt) {
                g->idx.has_pt = true;
                int64_t r = 0, w = 0;
                ddb_opt_int(d, pt, "ReadCapacityUnits", &r);
                ddb_opt_int(d, pt, "WriteCapacityUnits", &w);
                if (r < 1 || w < 1)
                    ddb_dec_violation(d,
                                      "Value '%lld' at 'globalSecondaryIndexUpdates.%zu.member."
                                      "update.provisionedThroughput.%s' failed to satisfy "
                                      "constraint: Member must have value greater than or equal "
                                      "to 1",
                                      (long long)(r < 1 ? r : w), i + 1,
                                      r < 1 ? "readCapacityUnits" : "writeCapacityUnits");
                g->idx.ix.rcu = r > 0 ? (uint64_t)r : 0;
                g->idx.ix.wcu = w > 0 ? (uint64_t)w : 0;
            }
        }
    }
    const api_json_t *ad = ddb_opt_kind(d, in, "AttributeDefinitions", API_J_ARR);
    size_t n_ad = ad ? api_json_len(ad) : 0;
    if (n_ad > 100)
        n_ad = 100;
    out->attrs = kv_arena_calloc(d->a, n_ad + 1, sizeof(*out->attrs));
    for (size_t i = 0; i < n_ad && !d->serialization; i++) {
        const api_json_t *e = api_json_at(ad, i);
        kv_slice_t an, at;
        if (api_json_type(e) != API_J_OBJ) {
            ser_error(d, "Expected structure");
            break;
        }
        if (!ddb_opt_str(d, e, "AttributeName", &an) || !ddb_opt_str(d, e, "AttributeType", &at)) {
            ddb_dec_violation(d,
                              "Value null at 'attributeDefinitions.%zu.member.attribute%s' failed "
                              "to satisfy constraint: Member must not be null",
                              i + 1, api_json_get(e, "AttributeName") ? "Type" : "Name");
            continue;
        }
        eng_scalar_t ty = kv_slice_eq_str(at, "S")   ? ENG_SCALAR_S
                          : kv_slice_eq_str(at, "N") ? ENG_SCALAR_N
                          : kv_slice_eq_str(at, "B") ? ENG_SCALAR_B
                                                     : 0;
        if (ty == 0) {
            ddb_dec_violation(d,
                              "Value '%.*s' at 'attributeDefinitions.%zu.member.attributeType' "
                              "failed to satisfy constraint: Member must satisfy enum value "
                              "set: [B, N, S]",
                              (int)(at.len > 100 ? 100 : at.len), (const char *)at.p, i + 1);
            continue;
        }
        out->attrs[out->n_attrs].name = dupz(d, an);
        out->attrs[out->n_attrs].type = ty;
        out->n_attrs++;
    }
    if (finish(d) < 0)
        return -1;
    if (gu && n == 0)
        return fail_validation(d, "One or more parameter values were invalid: List of "
                                  "GlobalSecondaryIndexUpdates is empty");
    out->name = name;
    return 0;
}
