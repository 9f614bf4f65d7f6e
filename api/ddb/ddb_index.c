/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Secondary indexes at the API: index definitions of CreateTable and UpdateTable with
 * DynamoDB's validation, their descriptions, the checks an item's index keys must pass, and
 * the backfill of new GSIs (run by the services thread).
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/kv_log.h"
#include "ddb_int.h"

#define INDEX_NAME_MIN 3

static const char *scalar_name(eng_scalar_t t)
{
    return t == ENG_SCALAR_N ? "N" : (t == ENG_SCALAR_B ? "B" : "S");
}

static bool name_chars_ok(kv_slice_t s)
{
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = s.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

static int clip(kv_slice_t s)
{
    return (int)(s.len > 300 ? 300 : s.len);
}

static void decode_throughput(ddb_dec_t *d, const api_json_t *pt, const char *path,
                              ddb_index_in_t *out)
{
    out->has_pt = true;
    int64_t r = 0, w = 0;
    if (!ddb_opt_int(d, pt, "ReadCapacityUnits", &r))
        ddb_dec_violation(d,
                          "Value null at '%s.provisionedThroughput.readCapacityUnits' failed to "
                          "satisfy constraint: Member must not be null",
                          path);
    else if (r < 1)
        ddb_dec_violation(d,
                          "Value '%lld' at '%s.provisionedThroughput.readCapacityUnits' failed to "
                          "satisfy constraint: Member must have value greater than or equal to 1",
                          (long long)r, path);
    if (!ddb_opt_int(d, pt, "WriteCapacityUnits", &w))
        ddb_dec_violation(d,
                          "Value null at '%s.provisionedThroughput.writeCapacityUnits' failed to "
                          "satisfy constraint: Member must not be null",
                          path);
    else if (w < 1)
        ddb_dec_violation(d,
                          "Value '%lld' at '%s.provisionedThroughput.writeCapacityUnits' failed to "
                          "satisfy constraint: Member must have value greater than or equal to 1",
                          (long long)w, path);
    out->ix.rcu = r > 0 ? (uint64_t)r : 0;
    out->ix.wcu = w > 0 ? (uint64_t)w : 0;
}

void ddb_index_decode(ddb_dec_t *d, const api_json_t *e, const char *path, bool global,
                      ddb_index_in_t *out)
{
    memset(out, 0, sizeof(*out));
    out->ix.global = global;
    if (api_json_type(e) != API_J_OBJ) {
        ddb_dec_serial(d, "Expected structure");
        return;
    }
    kv_slice_t name;
    if (!ddb_opt_str(d, e, "IndexName", &name))
        ddb_dec_violation(d,
                          "Value null at '%s.indexName' failed to satisfy constraint: Member "
                          "must not be null",
                          path);
    else if (name.len < INDEX_NAME_MIN || name.len > ENG_INDEX_NAME_MAX)
        ddb_dec_violation(d,
                          "Value '%.*s' at '%s.indexName' failed to satisfy constraint: Member "
                          "must have length %s",
                          clip(name), (const char *)name.p, path,
                          name.len < INDEX_NAME_MIN ? "greater than or equal to 3"
                                                    : "less than or equal to 255");
    else if (!name_chars_ok(name))
        ddb_dec_violation(d,
                          "Value '%.*s' at '%s.indexName' failed to satisfy constraint: Member "
                          "must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
                          clip(name), (const char *)name.p, path);
    else
        out->ix.name = kv_arena_strndup(d->a, name.p, name.len);

    const api_json_t *ks = ddb_opt_kind(d, e, "KeySchema", API_J_ARR);
    if (ks == NULL) {
        ddb_dec_violation(d,
                          "Value null at '%s.keySchema' failed to satisfy constraint: Member "
                          "must not be null",
                          path);
    } else {
        size_t n = api_json_len(ks);
        /* A GSI's key may have up to 4 HASH and 4 RANGE attributes (issue 17, package M). */
        size_t cap = global ? DDB_INDEX_KS_MAX : 2;
        if (n == 0 || (!global && n > 2))
            ddb_dec_violation(d,
                              "Value '[...]' at '%s.keySchema' failed to satisfy constraint: "
                              "Member must have length %s",
                              path,
                              n == 0 ? "greater than or equal to 1" : "less than or equal to 2");
        for (size_t i = 0; i < n && i < cap; i++) {
            const api_json_t *k = api_json_at(ks, i);
            if (api_json_type(k) != API_J_OBJ) {
                ddb_dec_serial(d, "Expected structure");
                return;
            }
            if (!ddb_opt_str(d, k, "AttributeName", &out->kname[i]))
                ddb_dec_violation(d,
                                  "Value null at '%s.keySchema.%zu.member.attributeName' failed "
                                  "to satisfy constraint: Member must not be null",
                                  path, i + 1);
            else if (out->kname[i].len == 0 || out->kname[i].len > 255)
                ddb_dec_violation(d,
                                  "Value '%.*s' at '%s.keySchema.%zu.member.attributeName' "
                                  "failed to satisfy constraint: Member must have length %s",
                                  clip(out->kname[i]), (const char *)out->kname[i].p, path, i + 1,
                                  out->kname[i].len == 0 ? "greater than or equal to 1"
                                                         : "less than or equal to 255");
            if (!ddb_opt_str(d, k, "KeyType", &out->ktype[i]))
                ddb_dec_violation(d,
                                  "Value null at '%s.keySchema.%zu.member.keyType' failed to "
                                  "satisfy constraint: Member must not be null",
                                  path, i + 1);
            else if (!kv_slice_eq_str(out->ktype[i], "HASH") &&
                     !kv_slice_eq_str(out->ktype[i], "RANGE"))
                ddb_dec_violation(d,
                                  "Value '%.*s' at '%s.keySchema.%zu.member.keyType' failed to "
                                  "satisfy constraint: Member must satisfy enum value set: "
                                  "[HASH, RANGE]",
                                  clip(out->ktype[i]), (const char *)out->ktype[i].p, path, i + 1);
        }
        out->n_ks = n < cap ? n : cap;
    }

    const api_json_t *pr = ddb_opt_kind(d, e, "Projection", API_J_OBJ);
    if (pr == NULL) {
        ddb_dec_violation(d,
                          "Value null at '%s.projection' failed to satisfy constraint: Member "
                          "must not be null",
                          path);
    } else {
        kv_slice_t pt;
        if (ddb_opt_str(d, pr, "ProjectionType", &pt)) {
            out->has_type = true;
            if (kv_slice_eq_str(pt, "ALL"))
                out->ix.proj = ENG_PROJ_ALL;
            else if (kv_slice_eq_str(pt, "KEYS_ONLY"))
                out->ix.proj = ENG_PROJ_KEYS_ONLY;
            else if (kv_slice_eq_str(pt, "INCLUDE"))
                out->ix.proj = ENG_PROJ_INCLUDE;
            else
                ddb_dec_violation(d,
                                  "Value '%.*s' at '%s.projection.projectionType' failed to "
                                  "satisfy constraint: Member must satisfy enum value set: "
                                  "[ALL, INCLUDE, KEYS_ONLY]",
                                  clip(pt), (const char *)pt.p, path);
        }
        const api_json_t *nk = ddb_opt_kind(d, pr, "NonKeyAttributes", API_J_ARR);
        if (nk) {
            size_t n = api_json_len(nk);
            out->has_nonkey = true;
            if (n == 0 || n > 20)
                ddb_dec_violation(
                    d,
                    "Value '[...]' at '%s.projection.nonKeyAttributes' failed to "
                    "satisfy constraint: Member must have length %s",
                    path, n == 0 ? "greater than or equal to 1" : "less than or equal to 20");
            out->ix.include = kv_arena_calloc(d->a, n ? n : 1, sizeof(char *));
            for (size_t i = 0; i < n && i < 20; i++) {
                const api_json_t *s = api_json_at(nk, i);
                if (api_json_type(s) != API_J_STR) {
                    ddb_dec_serial(d, "Expected string");
                    return;
                }
                kv_slice_t v = api_json_str(s);
                if (v.len == 0 || v.len > 255)
                    ddb_dec_violation(d,
                                      "Value '[...]' at '%s.projection.nonKeyAttributes' failed "
                                      "to satisfy constraint: Member must satisfy constraint: "
                                      "[Member must have length less than or equal to 255, "
                                      "Member must have length greater than or equal to 1]",
                                      path);
                out->ix.include[out->ix.n_include++] = kv_arena_strndup(d->a, v.p, v.len);
            }
        }
    }
    const api_json_t *pt = global ? ddb_opt_kind(d, e, "ProvisionedThroughput", API_J_OBJ) : NULL;
    if (pt)
        decode_throughput(d, pt, path, out);
}

static bool attr_type(const eng_table_t *t, kv_slice_t name, const char **canon, eng_scalar_t *ty)
{
    for (size_t i = 0; i < t->n_attrs; i++)
        if (kv_slice_eq_str(name, t->attrs[i].name)) {
            *canon = t->attrs[i].name;
            *ty = t->attrs[i].type;
            return true;
        }
    return false;
}

static int fail(ddb_dec_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(ddb_dec_t *d, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    api_fail(d->resp, API_E_DDB_VALIDATION, "%s", msg);
    return -1;
}

static int undefined_keys(ddb_dec_t *d, const eng_table_t *t, const ddb_index_in_t *in)
{
    kv_buf_t keys, defs;
    kv_buf_init(&keys, 4096);
    kv_buf_init(&defs, 1 << 16);
    for (size_t i = 0; i < in->n_ks; i++)
        kv_buf_printf(&keys, "%s%.*s", i ? ", " : "", (int)in->kname[i].len,
                      (const char *)in->kname[i].p);
    for (size_t i = 0; i < t->n_attrs; i++)
        kv_buf_printf(&defs, "%s%s", i ? ", " : "", t->attrs[i].name);
    api_fail(d->resp, API_E_DDB_VALIDATION,
             "One or more parameter values were invalid: Some index key attributes are not "
             "defined in AttributeDefinitions. Keys: [%.*s], AttributeDefinitions: [%.*s]",
             (int)keys.len, (const char *)keys.p, (int)defs.len, (const char *)defs.p);
    kv_buf_dispose(&keys);
    kv_buf_dispose(&defs);
    return -1;
}

/* Resolve and check one index of table t. */
static int check_one(ddb_dec_t *d, const eng_table_t *t, ddb_index_in_t *in, bool create_table)
{
    eng_index_t *ix = &in->ix;
    const char *nm = ix->name;
    for (size_t i = 0; i < in->n_ks; i++) {
        const char *canon;
        eng_scalar_t ty;
        if (!attr_type(t, in->kname[i], &canon, &ty))
            return undefined_keys(d, t, in);
    }
    if (ddb_multikey_schema(in)) { /* issue 17, package M */
        if (ddb_multikey_check(d, t, in) < 0)
            return -1;
    } else if (in->n_ks == 2 && kv_slice_eq(in->kname[0], in->kname[1]))
        return fail(d, "Both the Hash Key and the Range Key element in the KeySchema have the "
                       "same name");
    else if (!kv_slice_eq_str(in->ktype[0], "HASH"))
        return fail(d, "Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
    else if (in->n_ks == 2 && !kv_slice_eq_str(in->ktype[1], "RANGE"))
        return fail(d, "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type");
    if (!ddb_multikey_schema(in)) {
        attr_type(t, in->kname[0], &ix->hash_key, &ix->hash_type);
        if (in->n_ks == 2)
            attr_type(t, in->kname[1], &ix->range_key, &ix->range_type);
    }
    if (!ix->global) {
        if (in->n_ks != 2)
            return fail(d,
                        "One or more parameter values were invalid: Index KeySchema does not "
                        "have a range key for index: %s",
                        nm);
        if (strcmp(ix->hash_key, t->hash_key) != 0)
            return fail(d,
                        "One or more parameter values were invalid: Index KeySchema does not "
                        "have the same leading hash key as table KeySchema for index: %s. index "
                        "hash key: %s, table hash key: %s",
                        nm, ix->hash_key, t->hash_key);
    }
    if (!in->has_type)
        return fail(d, "One or more parameter values were invalid: Unknown ProjectionType: null");
    if (in->has_nonkey && ix->proj != ENG_PROJ_INCLUDE)
        return fail(d,
                    "One or more parameter values were invalid: ProjectionType is %s, but "
                    "NonKeyAttributes is specified",
                    ix->proj == ENG_PROJ_ALL ? "ALL" : "KEYS_ONLY");
    if (!in->has_nonkey && ix->proj == ENG_PROJ_INCLUDE)
        return fail(d, "One or more parameter values were invalid: ProjectionType is INCLUDE, but "
                       "NonKeyAttributes is not specified");
    for (size_t i = 0; i < ix->n_include; i++)
        for (size_t j = i + 1; j < ix->n_include; j++)
            if (strcmp(ix->include[i], ix->include[j]) == 0)
                return fail(d,
                            "One or more parameter values were invalid: Duplicate element in "
                            "NonKeyAttributes: %s",
                            ix->include[i]);
    if (ix->global) {
        if (t->billing == ENG_BILLING_PAY_PER_REQUEST && in->has_pt)
            return fail(d,
                        "One or more parameter values were invalid: ProvisionedThroughput should "
                        "not be specified for index: %s when BillingMode is PAY_PER_REQUEST",
                        nm);
        if (t->billing == ENG_BILLING_PROVISIONED && !in->has_pt)
            return fail(d,
                        "One or more parameter values were invalid: ProvisionedThroughput %s "
                        "specified for index: %s",
                        create_table ? "is not" : "must be", nm);
    }
    return 0;
}

/* One list (LSIs, then GSIs): each index checked, its name unique among every index before it
 * (prior: the earlier list), then the list's count limit. */
static int check_list(ddb_dec_t *d, const eng_table_t *t, ddb_index_in_t *ix, size_t n,
                      const ddb_index_in_t *prior, size_t n_prior, bool global, size_t *nonkey)
{
    if (n == 0)
        return fail(d, "One or more parameter values were invalid: List of %s is empty",
                    global ? "GlobalSecondaryIndexes" : "LocalSecondaryIndexes");
    if (!global && t->range_key == NULL)
        return fail(d, "One or more parameter values were invalid: Table KeySchema does not "
                       "have a range key, which is required when specifying a "
                       "LocalSecondaryIndex");
    for (size_t i = 0; i < n; i++) {
        if (check_one(d, t, &ix[i], true) < 0)
            return -1;
        bool dup = false;
        for (size_t j = 0; j < n_prior; j++)
            dup |= strcmp(prior[j].ix.name, ix[i].ix.name) == 0;
        for (size_t j = 0; j < i; j++)
            dup |= strcmp(ix[j].ix.name, ix[i].ix.name) == 0;
        if (dup)
            return fail(d, "One or more parameter values were invalid: Duplicate index name: %s",
                        ix[i].ix.name);
        *nonkey += ix[i].ix.n_include;
    }
    if (!global && n > ENG_MAX_LSI)
        return fail(d, "One or more parameter values were invalid: Number of "
                       "LocalSecondaryIndexes exceeds per-table limit of 5");
    if (global && n > ENG_MAX_GSI)
        return fail(d, "One or more parameter values were invalid: GlobalSecondaryIndex count "
                       "exceeds the per-table limit of 20");
    return 0;
}

int ddb_index_check(ddb_dec_t *d, const eng_table_t *t, ddb_index_in_t *lsi, size_t n_lsi,
                    bool has_lsi, ddb_index_in_t *gsi, size_t n_gsi, bool has_gsi)
{
    size_t nonkey = 0;
    if (has_lsi && check_list(d, t, lsi, n_lsi, NULL, 0, false, &nonkey) < 0)
        return -1;
    if (has_gsi && check_list(d, t, gsi, n_gsi, lsi, n_lsi, true, &nonkey) < 0)
        return -1;
    if (nonkey > ENG_MAX_NONKEY)
        return fail(d, "One or more parameter values were invalid: The number of attributes in key "
                       "schema and projection of all secondary indexes exceeds the per-table limit "
                       "of 100");
    return 0;
}

int ddb_index_check_update(ddb_dec_t *d, const eng_table_t *t, ddb_index_in_t *in)
{
    return check_one(d, t, in, false);
}

/* ---- items ---- */

static eng_av_type_t scalar_av(eng_scalar_t s)
{
    return s == ENG_SCALAR_S ? ENG_AV_S : (s == ENG_SCALAR_N ? ENG_AV_N : ENG_AV_B);
}

static const char *av_type_name(eng_av_type_t t)
{
    static const char *n[] = {"", "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"};
    return n[t];
}

bool ddb_index_item_error(const eng_table_t *t, const eng_item_t *it, char *msg, size_t cap)
{
    for (size_t i = 0; i < t->n_indexes; i++) {
        const eng_index_t *ix = &t->indexes[i];
        size_t nh = eng_index_n_hash(ix);
        for (size_t j = 0; j < nh + eng_index_n_range(ix); j++) {
            /* k: 0 for a HASH attribute, 1 for a RANGE one (of a multi-attribute key too) */
            int k = j >= nh;
            eng_attr_def_t a = k ? eng_index_range_at(ix, j - nh) : eng_index_hash_at(ix, j);
            const eng_av_t *v = eng_item_get_attr(it, kv_slice_str(a.name));
            if (v == NULL)
                continue; /* not in the index (sparse) */
            if (v->t != scalar_av(a.type)) {
                snprintf(msg, cap,
                         "One or more parameter values were invalid: Type mismatch for Index Key "
                         "%s Expected: %s Actual: %s IndexName: %s",
                         a.name, scalar_name(a.type), av_type_name(v->t), ix->name);
                return true;
            }
            if (v->t != ENG_AV_N && v->u.s.len == 0) {
                snprintf(msg, cap,
                         "One or more parameter values are not valid. A value specified for a "
                         "secondary index key is not supported. The AttributeValue for a key "
                         "attribute cannot contain an empty %s value. IndexName: %s, IndexKey: %s",
                         v->t == ENG_AV_S ? "string" : "binary", ix->name, a.name);
                return true;
            }
            if (k == 0 && v->u.s.len > ENG_KEY_MAX_PK) {
                snprintf(msg, cap,
                         "One or more parameter values were invalid: Size of hashkey has exceeded "
                         "the maximum size limit of2048 bytes");
                return true;
            }
            if (k == 1 && v->u.s.len > ENG_KEY_MAX_SK) {
                snprintf(msg, cap,
                         "One or more parameter values were invalid: Aggregated size of all range "
                         "keys has exceeded the size limit of 1024 bytes");
                return true;
            }
        }
    }
    return false;
}

/* ---- descriptions ---- */

/* An index's IndexName, KeySchema (as given) and Projection members, which every
 * description of it starts with. */
static void encode_head(const eng_index_t *ix, api_jw_t *w)
{
    api_jw_kstr(w, "IndexName", ix->name);
    if (eng_index_multi(ix))
        ddb_multikey_encode_key_schema(w, ix); /* issue 17, package M */
    else
        ddb_encode_key_schema(w, ix->hash_key, ix->range_key);
    api_jw_key(w, "Projection");
    api_jw_obj_begin(w);
    api_jw_kstr(w, "ProjectionType",
                ix->proj == ENG_PROJ_ALL         ? "ALL"
                : ix->proj == ENG_PROJ_KEYS_ONLY ? "KEYS_ONLY"
                                                 : "INCLUDE");
    if (ix->proj == ENG_PROJ_INCLUDE) {
        api_jw_key(w, "NonKeyAttributes");
        api_jw_arr_begin(w);
        for (size_t i = 0; i < ix->n_include; i++)
            api_jw_cstr(w, ix->include[i]);
        api_jw_arr_end(w);
    }
    api_jw_obj_end(w);
}

/* A table description's index (GlobalSecondaryIndexDescription / LocalSecondaryIndexDescription).
 */
static void encode_one(const eng_table_t *t, const eng_index_t *ix, const char *table_arn,
                       api_jw_t *w)
{
    api_jw_obj_begin(w);
    encode_head(ix, w);
    if (ix->global) {
        api_jw_kstr(w, "IndexStatus", ix->creating ? "CREATING" : "ACTIVE");
        if (ix->creating)
            api_jw_kbool(w, "Backfilling", true);
        api_jw_key(w, "ProvisionedThroughput");
        api_jw_obj_begin(w);
        api_jw_ku64(w, "NumberOfDecreasesToday", 0);
        api_jw_ku64(w, "ReadCapacityUnits", t->billing == ENG_BILLING_PROVISIONED ? ix->rcu : 0);
        api_jw_ku64(w, "WriteCapacityUnits", t->billing == ENG_BILLING_PROVISIONED ? ix->wcu : 0);
        api_jw_obj_end(w);
    }
    api_jw_ku64(w, "IndexSizeBytes", ix->size_bytes);
    api_jw_ku64(w, "ItemCount", ix->item_count);
    char arn[1024];
    snprintf(arn, sizeof(arn), "%s/index/%s", table_arn, ix->name);
    api_jw_kstr(w, "IndexArn", arn);
    api_jw_obj_end(w);
}

/* A backup's index (GlobalSecondaryIndexInfo / LocalSecondaryIndexInfo): a GSI's throughput
 * only when the table is provisioned. */
static void encode_info(const eng_table_t *t, const eng_index_t *ix, const char *table_arn,
                        api_jw_t *w)
{
    (void)table_arn;
    api_jw_obj_begin(w);
    encode_head(ix, w);
    if (ix->global && t->billing == ENG_BILLING_PROVISIONED) {
        api_jw_key(w, "ProvisionedThroughput");
        api_jw_obj_begin(w);
        api_jw_ku64(w, "ReadCapacityUnits", ix->rcu);
        api_jw_ku64(w, "WriteCapacityUnits", ix->wcu);
        api_jw_obj_end(w);
    }
    api_jw_obj_end(w);
}

/* The GlobalSecondaryIndexes and LocalSecondaryIndexes members (each only when not empty),
 * every index written by one(). */
static void encode_lists(const eng_table_t *t, const char *table_arn, api_jw_t *w,
                         void (*one)(const eng_table_t *, const eng_index_t *, const char *,
                                     api_jw_t *))
{
    for (int global = 0; global < 2; global++) {
        size_t n = 0;
        for (size_t i = 0; i < t->n_indexes; i++)
            n += t->indexes[i].global == (global != 0);
        if (n == 0)
            continue;
        api_jw_key(w, global ? "GlobalSecondaryIndexes" : "LocalSecondaryIndexes");
        api_jw_arr_begin(w);
        for (size_t i = 0; i < t->n_indexes; i++)
            if (t->indexes[i].global == (global != 0))
                one(t, &t->indexes[i], table_arn, w);
        api_jw_arr_end(w);
    }
}

void ddb_encode_indexes(const eng_table_t *t, const char *table_arn, api_jw_t *w)
{
    encode_lists(t, table_arn, w, encode_one);
}

static const char *view_name(eng_stream_view_t v)
{
    return v == ENG_STREAM_KEYS_ONLY   ? "KEYS_ONLY"
           : v == ENG_STREAM_NEW_IMAGE ? "NEW_IMAGE"
           : v == ENG_STREAM_OLD_IMAGE ? "OLD_IMAGE"
                                       : "NEW_AND_OLD_IMAGES";
}

/* Issue 17, package M: DescribeBackup's SourceTableFeatureDetails: the indexes (as
 * GlobalSecondaryIndexInfo / LocalSecondaryIndexInfo: name, KeySchema as given, projection,
 * a GSI's throughput), the stream, Time to Live and SSE settings the backup was taken with. */
void ddb_encode_feature_details(const eng_table_t *t, api_jw_t *w)
{
    api_jw_obj_begin(w);
    encode_lists(t, NULL, w, encode_info);
    if (t->stream_enabled) {
        api_jw_key(w, "StreamDescription");
        api_jw_obj_begin(w);
        api_jw_kbool(w, "StreamEnabled", true);
        api_jw_kstr(w, "StreamViewType", view_name(t->stream_view));
        api_jw_obj_end(w);
    }
    api_jw_key(w, "TimeToLiveDescription");
    api_jw_obj_begin(w);
    if (t->ttl_attr)
        api_jw_kstr(w, "AttributeName", t->ttl_attr);
    api_jw_kstr(w, "TimeToLiveStatus", t->ttl_attr ? "ENABLED" : "DISABLED");
    api_jw_obj_end(w);
    ddb_sse_encode(t, w);
    api_jw_obj_end(w);
}

/* ---- backfill ---- */

/* The first index still CREATING, into g (false: none). Lists the tables: only when a backfill
 * ended, at the start, or when an UpdateTable added an index (a kick). */
static bool find_creating(api_ctx_t *ctx, ddb_bg_t *g)
{
    kv_arena_t *a = kv_arena_new(65536);
    kv_buf_t after;
    kv_buf_init(&after, 1024);
    bool found = false;
    for (;;) {
        const char **names;
        size_t n;
        bool more;
        kv_arena_reset(a);
        if (eng_table_list(ctx->eng, after.len ? kv_buf_slice(&after) : KV_SLICE_NULL, 100, a,
                           &names, &n, &more) < 0)
            break;
        for (size_t i = 0; i < n && !found; i++) {
            eng_table_t *t;
            if (eng_table_get(ctx->eng, kv_slice_str(names[i]), a, &t) < 0)
                continue;
            for (size_t k = 0; k < t->n_indexes && !found; k++) {
                if (!t->indexes[k].creating)
                    continue;
                kv_buf_reset(&g->bf_table);
                kv_buf_append_str(&g->bf_table, t->name);
                g->bf_index = t->indexes[k].id;
                kv_buf_reset(&g->bf_after);
                found = !kv_buf_failed(&g->bf_table);
            }
        }
        if (found || !more || n == 0)
            break;
        kv_buf_reset(&after);
        kv_buf_append_str(&after, names[n - 1]);
    }
    kv_buf_dispose(&after);
    kv_arena_free(a);
    return found;
}

int ddb_backfill_run(api_ctx_t *ctx, void *state, unsigned budget)
{
    (void)state;
    ddb_bg_t *g = ddb_bg(ctx);
    if (!g->bf_on && !(g->bf_on = find_creating(ctx, g)))
        return -1; /* until an UpdateTable adds an index */
    kv_slice_t table = kv_buf_slice(&g->bf_table);
    int rc = eng_index_backfill_step(ctx->eng, table, g->bf_index, &g->bf_after, budget);
    if (rc == 1)
        return INT_MAX; /* more: after the other jobs, or the job's period */
    if (rc < 0 && rc != KV_ENOTFOUND)
        KV_LOG_ERROR("dynamodb: backfill of index %u of %.*s failed: %s", g->bf_index,
                     (int)table.len, (const char *)table.p, kv_err_name(rc));
    else if (rc == 0)
        KV_LOG_INFO("dynamodb: index %u of %.*s is ACTIVE", g->bf_index, (int)table.len,
                    (const char *)table.p);
    g->bf_on = false;
    return rc < 0 && rc != KV_ENOTFOUND ? 1000 : 0; /* try again, or the next index */
}
