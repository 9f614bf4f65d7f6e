/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decoders of the item operations: JSON -> typed inputs, expressions parsed,
 * placeholders checked. Key shapes are checked in exec (they need the table).
 */
#include <string.h>

#include "ddb_int.h"

#define RV_ALL "[ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]"

static int expr_fail(ddb_dec_t *d, ddb_expr_env_t *env)
{
    return ddb_dec_fail(d, "%s", env->error ? env->error : "Invalid expression");
}

static bool present(const api_json_t *in, const char *k)
{
    const api_json_t *v = api_json_get(in, k);
    return v && api_json_type(v) != API_J_NULL;
}

/* Refuse a request mixing legacy parameters (names[]) with expression ones (exprs[]). */
static int legacy(ddb_dec_t *d, const api_json_t *in, const char *const *names)
{
    static const char *const exprs[] = {"ConditionExpression",    "UpdateExpression",
                                        "KeyConditionExpression", "FilterExpression",
                                        "ProjectionExpression",   NULL};
    for (size_t i = 0; names[i]; i++) {
        if (!present(in, names[i]))
            continue;
        for (size_t k = 0; exprs[k]; k++)
            if (present(in, exprs[k]))
                return ddb_dec_fail(d,
                                    "Can not use both expression and non-expression parameters "
                                    "in the same request: Non-expression parameters: {%s} "
                                    "Expression parameters: {%s}",
                                    names[i], exprs[k]);
    }
    if (present(in, "ConditionalOperator") && !present(in, "Expected") &&
        !present(in, "QueryFilter") && !present(in, "ScanFilter"))
        return ddb_dec_fail(d, "ConditionalOperator can only be used when Filter or Expected has "
                               "been specified.");
    return 0;
}

void ddb_decode_rcc(ddb_dec_t *d, const api_json_t *in, ddb_rcc_t *out)
{
    kv_slice_t rcc;
    *out = DDB_RCC_NONE;
    if (!ddb_opt_str(d, in, "ReturnConsumedCapacity", &rcc))
        return;
    if (kv_slice_eq_str(rcc, "TOTAL"))
        *out = DDB_RCC_TOTAL;
    else if (kv_slice_eq_str(rcc, "INDEXES"))
        *out = DDB_RCC_INDEXES;
    else if (!kv_slice_eq_str(rcc, "NONE"))
        ddb_dec_violation(d,
                          "Value '%.*s' at 'returnConsumedCapacity' failed to satisfy "
                          "constraint: Member must satisfy enum value set: [INDEXES, "
                          "TOTAL, NONE]",
                          (int)(rcc.len > 64 ? 64 : rcc.len), (const char *)rcc.p);
}

/* Table name, placeholders, ReturnConsumedCapacity; expressions are parsed by the caller. */
static int decode_common_opt(ddb_dec_t *d, const api_json_t *in, ddb_item_common_t *c,
                             bool need_table)
{
    memset(c, 0, sizeof(*c));
    if (need_table) {
        bool has = ddb_opt_str(d, in, "TableName", &c->table);
        ddb_check_table_name(d, &c->table, has, "tableName");
    }
    const api_json_t *names = ddb_opt_kind(d, in, "ExpressionAttributeNames", API_J_OBJ);
    const api_json_t *vals = ddb_opt_kind(d, in, "ExpressionAttributeValues", API_J_OBJ);
    ddb_decode_rcc(d, in, &c->rcc);
    ddb_opt_bool(d, in, "ConsistentRead", &c->consistent);
    kv_slice_t ricm;
    /* Item collection metrics exist only for tables with local secondary indexes. */
    if (ddb_opt_str(d, in, "ReturnItemCollectionMetrics", &ricm) &&
        !kv_slice_eq_str(ricm, "SIZE") && !kv_slice_eq_str(ricm, "NONE"))
        ddb_dec_violation(d,
                          "Value '%.*s' at 'returnItemCollectionMetrics' failed to satisfy "
                          "constraint: Member must satisfy enum value set: [SIZE, NONE]",
                          (int)(ricm.len > 64 ? 64 : ricm.len), (const char *)ricm.p);
    if (ddb_dec_finish(d) < 0)
        return -1;
    if (names && api_json_len(names) == 0)
        return ddb_dec_fail(d, "ExpressionAttributeNames must not be empty");
    if (vals && api_json_len(vals) == 0)
        return ddb_dec_fail(d, "ExpressionAttributeValues must not be empty");
    void *it = NULL;
    const char *k;
    api_json_t *v;
    while (names && api_json_next(names, &it, &k, &v)) {
        if (k[0] != '#' || k[1] == 0)
            return ddb_dec_fail(d,
                                "ExpressionAttributeNames contains invalid key: Syntax error; "
                                "key: \"%s\"",
                                k);
        if (api_json_type(v) != API_J_STR) {
            ddb_dec_serial(d, "Expected a string value in ExpressionAttributeNames");
            return -1;
        }
    }
    eng_item_t *values = NULL;
    if (vals) {
        it = NULL;
        while (api_json_next(vals, &it, &k, &v))
            if (k[0] != ':' || k[1] == 0)
                return ddb_dec_fail(d,
                                    "ExpressionAttributeValues contains invalid key: Syntax "
                                    "error; key: \"%s\"",
                                    k);
        if (ddb_item_decode(d, vals, &values) < 0)
            return -1;
    }
    ddb_expr_env_init(&c->env, d->a, names, values);
    return 0;
}

static int decode_common(ddb_dec_t *d, const api_json_t *in, ddb_item_common_t *c)
{
    return decode_common_opt(d, in, c, true);
}

static int decode_cond(ddb_dec_t *d, const api_json_t *in, ddb_item_common_t *c)
{
    kv_slice_t text;
    if (ddb_opt_str(d, in, "ConditionExpression", &text) &&
        ddb_cond_parse(&c->env, "ConditionExpression", text, &c->cond) < 0)
        return expr_fail(d, &c->env);
    if (c->cond == NULL && ddb_legacy_expected(d, in, &c->cond) < 0)
        return -1;
    return 0;
}

static int decode_projection(ddb_dec_t *d, const api_json_t *in, ddb_item_common_t *c)
{
    kv_slice_t text;
    bool has_expr = ddb_opt_str(d, in, "ProjectionExpression", &text);
    const api_json_t *atg = ddb_opt_kind(d, in, "AttributesToGet", API_J_ARR);
    if (has_expr && atg)
        return ddb_dec_fail(d, "Can not use both expression and non-expression parameters in the "
                               "same request: Non-expression parameters: {AttributesToGet} "
                               "Expression parameters: {ProjectionExpression}");
    if (has_expr && ddb_projection_parse(&c->env, text, &c->proj) < 0)
        return expr_fail(d, &c->env);
    if (atg) {
        size_t n = api_json_len(atg);
        if (n == 0)
            return ddb_dec_fail(d, "1 validation error detected: Value '[]' at 'attributesToGet' "
                                   "failed to satisfy constraint: Member must have length greater "
                                   "than or equal to 1");
        c->proj = kv_arena_calloc(d->a, 1, sizeof(*c->proj));
        c->proj->paths = kv_arena_calloc(d->a, n, sizeof(ddb_path_t));
        for (size_t i = 0; i < n; i++) {
            const api_json_t *e = api_json_at(atg, i);
            if (api_json_type(e) != API_J_STR) {
                ddb_dec_serial(d, "Expected a string in AttributesToGet");
                return -1;
            }
            ddb_path_t *p = &c->proj->paths[c->proj->n++];
            p->e = kv_arena_calloc(d->a, 1, sizeof(ddb_path_elem_t));
            p->e[0].name = kv_arena_dup(d->a, api_json_str(e));
            p->n = 1;
        }
        kv_slice_t dup;
        if (ddb_names_dup(d->a, c->proj, &dup))
            return ddb_dec_fail(d,
                                "One or more parameter values were invalid: Duplicate value in "
                                "attribute name: %.*s",
                                (int)dup.len, (const char *)dup.p);
    }
    return 0;
}

/* ReturnValues with the set an operation allows (bit per ddb_rv_t). */
static int decode_rv(ddb_dec_t *d, const api_json_t *in, ddb_item_common_t *c, unsigned allowed,
                     const char *not_allowed_msg)
{
    static const char *names[] = {"NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"};
    kv_slice_t v;
    if (ddb_opt_str(d, in, "ReturnValues", &v)) {
        int found = -1;
        for (int i = 0; i < 5; i++)
            if (kv_slice_eq_str(v, names[i]))
                found = i;
        if (found < 0)
            return ddb_dec_fail(d,
                                "1 validation error detected: Value '%.*s' at 'returnValues' "
                                "failed to satisfy constraint: Member must satisfy enum value "
                                "set: " RV_ALL,
                                (int)(v.len > 64 ? 64 : v.len), (const char *)v.p);
        if (!(allowed & (1u << found)))
            return ddb_dec_fail(d, "%s", not_allowed_msg);
        c->rv = (ddb_rv_t)found;
    }
    if (ddb_opt_str(d, in, "ReturnValuesOnConditionCheckFailure", &v)) {
        if (kv_slice_eq_str(v, "ALL_OLD"))
            c->rv_on_fail = true;
        else if (!kv_slice_eq_str(v, "NONE"))
            return ddb_dec_fail(d,
                                "1 validation error detected: Value '%.*s' at "
                                "'returnValuesOnConditionCheckFailure' failed to satisfy "
                                "constraint: Member must satisfy enum value set: [ALL_OLD, "
                                "NONE]",
                                (int)(v.len > 64 ? 64 : v.len), (const char *)v.p);
    }
    return 0;
}

static int finish(ddb_dec_t *d, ddb_item_common_t *c)
{
    if (ddb_dec_finish(d) < 0)
        return -1;
    if (ddb_expr_env_check_unused(&c->env) < 0)
        return expr_fail(d, &c->env);
    return 0;
}

static int required_map(ddb_dec_t *d, const api_json_t *in, const char *key, const char *member,
                        eng_item_t **out)
{
    const api_json_t *j = ddb_opt_kind(d, in, key, API_J_OBJ);
    if (j == NULL) {
        if (!d->serialization)
            ddb_dec_violation(d,
                              "Value null at '%s' failed to satisfy constraint: Member must "
                              "not be null",
                              member);
        return ddb_dec_finish(d);
    }
    return ddb_item_decode(d, j, out);
}

int ddb_decode_put_item(ddb_dec_t *d, const api_json_t *in, ddb_put_item_in_t *out)
{
    static const char *const old[] = {"Expected", "ConditionalOperator", NULL};
    memset(out, 0, sizeof(*out));
    if (decode_common(d, in, &out->c) < 0 || legacy(d, in, old) < 0 ||
        required_map(d, in, "Item", "item", &out->item) < 0 ||
        decode_rv(d, in, &out->c, 1u << DDB_RV_NONE | 1u << DDB_RV_ALL_OLD,
                  "ReturnValues can only be ALL_OLD or NONE") < 0 ||
        decode_cond(d, in, &out->c) < 0)
        return -1;
    return finish(d, &out->c);
}

static int decode_key_op(ddb_dec_t *d, const api_json_t *in, ddb_key_in_t *out)
{
    memset(out, 0, sizeof(*out));
    if (decode_common(d, in, &out->c) < 0)
        return -1;
    return required_map(d, in, "Key", "key", &out->key);
}

int ddb_decode_get_item(ddb_dec_t *d, const api_json_t *in, ddb_get_item_in_t *out)
{
    if (decode_key_op(d, in, out) < 0 || decode_projection(d, in, &out->c) < 0)
        return -1;
    return finish(d, &out->c);
}

int ddb_decode_delete_item(ddb_dec_t *d, const api_json_t *in, ddb_delete_item_in_t *out)
{
    static const char *const old[] = {"Expected", "ConditionalOperator", NULL};
    if (decode_key_op(d, in, out) < 0 || legacy(d, in, old) < 0 ||
        decode_rv(d, in, &out->c, 1u << DDB_RV_NONE | 1u << DDB_RV_ALL_OLD,
                  "ReturnValues can only be ALL_OLD or NONE") < 0 ||
        decode_cond(d, in, &out->c) < 0)
        return -1;
    return finish(d, &out->c);
}

int ddb_decode_update_item(ddb_dec_t *d, const api_json_t *in, ddb_update_item_in_t *out)
{
    static const char *const old[] = {"Expected", "ConditionalOperator", "AttributeUpdates", NULL};
    if (decode_key_op(d, in, out) < 0 || legacy(d, in, old) < 0 ||
        decode_rv(d, in, &out->c, 0x1f, "") < 0)
        return -1;
    kv_slice_t text;
    if (ddb_opt_str(d, in, "UpdateExpression", &text) &&
        ddb_update_parse(&out->c.env, text, &out->update) < 0)
        return expr_fail(d, &out->c.env);
    if (out->update == NULL && ddb_legacy_updates(d, in, &out->update) < 0)
        return -1;
    if (decode_cond(d, in, &out->c) < 0)
        return -1;
    return finish(d, &out->c);
}

static int decode_read_many(ddb_dec_t *d, const api_json_t *in, ddb_query_in_t *out, bool query)
{
    static const char *const old_q[] = {"KeyConditions", "QueryFilter", "AttributesToGet", NULL};
    static const char *const old_s[] = {"ScanFilter", "AttributesToGet", NULL};
    memset(out, 0, sizeof(*out));
    out->forward = true;
    if (decode_common(d, in, &out->c) < 0 || legacy(d, in, query ? old_q : old_s) < 0)
        return -1;
    kv_slice_t s;
    if (ddb_opt_str(d, in, "IndexName", &s)) {
        bool chars = true;
        for (size_t i = 0; i < s.len; i++) {
            uint8_t c = s.p[i];
            chars &= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '_' || c == '.' || c == '-';
        }
        if (s.len < 3 || s.len > ENG_INDEX_NAME_MAX)
            ddb_dec_violation(d,
                              "Value '%.*s' at 'indexName' failed to satisfy constraint: Member "
                              "must have length %s",
                              (int)(s.len > 300 ? 300 : s.len), (const char *)s.p,
                              s.len < 3 ? "greater than or equal to 3"
                                        : "less than or equal to 255");
        else if (!chars)
            ddb_dec_violation(d,
                              "Value '%.*s' at 'indexName' failed to satisfy constraint: Member "
                              "must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
                              (int)s.len, (const char *)s.p);
        out->index = s;
    }
    if (ddb_opt_int(d, in, "Limit", &out->limit) && out->limit < 1)
        ddb_dec_violation(d,
                          "Value '%lld' at 'limit' failed to satisfy constraint: Member must "
                          "have value greater than or equal to 1",
                          (long long)out->limit);
    if (query)
        ddb_opt_bool(d, in, "ScanIndexForward", &out->forward);
    if (ddb_opt_str(d, in, "Select", &s)) {
        out->has_select = true;
        if (kv_slice_eq_str(s, "ALL_ATTRIBUTES"))
            out->select = DDB_SEL_ALL;
        else if (kv_slice_eq_str(s, "ALL_PROJECTED_ATTRIBUTES"))
            out->select = DDB_SEL_PROJECTED;
        else if (kv_slice_eq_str(s, "SPECIFIC_ATTRIBUTES"))
            out->select = DDB_SEL_SPECIFIC;
        else if (kv_slice_eq_str(s, "COUNT"))
            out->select = DDB_SEL_COUNT;
        else
            ddb_dec_violation(d,
                              "Value '%.*s' at 'select' failed to satisfy constraint: Member "
                              "must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, "
                              "ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]",
                              (int)(s.len > 64 ? 64 : s.len), (const char *)s.p);
    }
    if (!query) {
        bool hs = ddb_opt_int(d, in, "Segment", &out->segment);
        bool ht = ddb_opt_int(d, in, "TotalSegments", &out->total_segments);
        if (ht && (out->total_segments < 1 || out->total_segments > 1000000))
            ddb_dec_violation(d,
                              "Value '%lld' at 'totalSegments' failed to satisfy constraint: "
                              "Member must have value %s",
                              (long long)out->total_segments,
                              out->total_segments < 1 ? "greater than or equal to 1"
                                                      : "less than or equal to 1000000");
        if (hs && out->segment < 0)
            ddb_dec_violation(d,
                              "Value '%lld' at 'segment' failed to satisfy constraint: Member "
                              "must have value greater than or equal to 0",
                              (long long)out->segment);
        if (ddb_dec_finish(d) < 0)
            return -1;
        if (hs && !ht)
            return ddb_dec_fail(d, "The TotalSegments parameter is required but was not present "
                                   "in the request when Segment parameter is present");
        if (ht && !hs)
            return ddb_dec_fail(d, "The Segment parameter is required but was not present in the "
                                   "request when parameter TotalSegments is present");
        if (hs && out->segment >= out->total_segments)
            return ddb_dec_fail(d,
                                "The Segment parameter is zero-based and must be less than "
                                "parameter TotalSegments: Segment: %lld is not less than "
                                "TotalSegments: %lld",
                                (long long)out->segment, (long long)out->total_segments);
    }
    if (ddb_dec_finish(d) < 0 || decode_projection(d, in, &out->c) < 0)
        return -1;
    if (out->select == DDB_SEL_SPECIFIC && out->c.proj == NULL)
        return ddb_dec_fail(d, "1 validation error detected: Value null at 'projectionExpression' "
                               "failed to satisfy constraint: Member must not be null when Select "
                               "is SPECIFIC_ATTRIBUTES");
    if (out->c.proj && out->select != DDB_SEL_SPECIFIC && out->has_select)
        return ddb_dec_fail(d, "%sCannot specify the %s when choosing to get %s",
                            query ? "1 validation error detected: " : "",
                            api_json_get(in, "AttributesToGet") ? "AttributesToGet"
                                                                : "ProjectionExpression",
                            out->select == DDB_SEL_COUNT ? "only the Count"
                            : out->select == DDB_SEL_ALL ? "ALL_ATTRIBUTES"
                                                         : "ALL_PROJECTED_ATTRIBUTES");
    if (out->select == DDB_SEL_PROJECTED && out->index.len == 0)
        return ddb_dec_fail(d,
                            "%sALL_PROJECTED_ATTRIBUTES can be used only when Querying using "
                            "an IndexName",
                            query ? "1 validation error detected: " : "");
    if (query) {
        if (ddb_opt_str(d, in, "KeyConditionExpression", &s)) {
            if (ddb_cond_parse(&out->c.env, "KeyConditionExpression", s, &out->key_cond) < 0)
                return expr_fail(d, &out->c.env);
        } else {
            if (ddb_legacy_conditions(d, in, "KeyConditions", &out->key_cond) < 0)
                return -1;
            /* KeyConditions always join with AND, whatever ConditionalOperator says. */
            for (ddb_cond_t *j = out->key_cond; j && j->kind == DDB_C_OR; j = j->l)
                j->kind = DDB_C_AND; /* every join (a multi-attribute key has more than one) */
            if (out->key_cond == NULL) {
                if (ddb_dec_finish(d) < 0)
                    return -1;
                return ddb_dec_fail(d, "Either the KeyConditions or KeyConditionExpression "
                                       "parameter must be specified in the request.");
            }
        }
    }
    if (ddb_opt_str(d, in, "FilterExpression", &s) &&
        ddb_cond_parse(&out->c.env, "FilterExpression", s, &out->filter) < 0)
        return expr_fail(d, &out->c.env);
    if (out->filter == NULL) {
        if (ddb_legacy_conditions(d, in, query ? "QueryFilter" : "ScanFilter", &out->filter) < 0)
            return -1;
        out->legacy_filter = out->filter != NULL;
    }
    const api_json_t *start = ddb_opt_kind(d, in, "ExclusiveStartKey", API_J_OBJ);
    if (start && ddb_item_decode(d, start, &out->start) < 0)
        return -1;
    return finish(d, &out->c);
}

int ddb_decode_query(ddb_dec_t *d, const api_json_t *in, ddb_query_in_t *out)
{
    return decode_read_many(d, in, out, true);
}

int ddb_decode_scan(ddb_dec_t *d, const api_json_t *in, ddb_scan_in_t *out)
{
    return decode_read_many(d, in, out, false);
}

static int decode_batch(ddb_dec_t *d, const api_json_t *in, ddb_batch_in_t *out, bool write)
{
    memset(out, 0, sizeof(*out));
    const api_json_t *ri = ddb_opt_kind(d, in, "RequestItems", API_J_OBJ);
    kv_slice_t rcc;
    if (ddb_opt_str(d, in, "ReturnConsumedCapacity", &rcc))
        out->rcc = kv_slice_eq_str(rcc, "TOTAL")     ? DDB_RCC_TOTAL
                   : kv_slice_eq_str(rcc, "INDEXES") ? DDB_RCC_INDEXES
                                                     : DDB_RCC_NONE;
    if (ri == NULL) {
        if (!d->serialization)
            ddb_dec_violation(d, "Value null at 'requestItems' failed to satisfy constraint: "
                                 "Member must not be null");
        ddb_dec_finish(d);
        return -1;
    }
    size_t nt = api_json_len(ri);
    if (nt == 0)
        return ddb_dec_fail(d, "1 validation error detected: Value '{}' at 'requestItems' failed "
                               "to satisfy constraint: Member must have length greater than or "
                               "equal to 1");
    out->t = kv_arena_calloc(d->a, nt, sizeof(*out->t));
    size_t total = 0;
    void *it = NULL;
    const char *name;
    api_json_t *tv;
    while (api_json_next(ri, &it, &name, &tv)) {
        ddb_batch_table_t *t = &out->t[out->n++];
        t->table = kv_slice_str(name);
        ddb_check_table_name(d, &t->table, true, "requestItems.key");
        const api_json_t *list;
        if (write) {
            list = tv;
            if (api_json_type(list) != API_J_ARR) {
                ddb_dec_serial(d, "Expected a list of write requests");
                return -1;
            }
        } else {
            if (api_json_type(tv) != API_J_OBJ) {
                ddb_dec_serial(d, "Expected a KeysAndAttributes structure");
                return -1;
            }
            if (decode_common_opt(d, tv, &t->c, false) < 0 || decode_projection(d, tv, &t->c) < 0)
                return -1;
            t->c.table = t->table;
            ddb_opt_bool(d, tv, "ConsistentRead", &t->c.consistent);
            t->spec = tv;
            list = ddb_opt_kind(d, tv, "Keys", API_J_ARR);
            if (list == NULL)
                return ddb_dec_fail(d,
                                    "1 validation error detected: Value null at "
                                    "'requestItems.%s.member.keys' failed to satisfy "
                                    "constraint: Member must not be null",
                                    name);
        }
        t->n = api_json_len(list);
        total += t->n;
        if (write && (t->n == 0 || total > DDB_BATCH_WRITE_MAX))
            return ddb_dec_fail(d, "1 validation error detected: Value at 'requestItems' failed "
                                   "to satisfy constraint: Map value must satisfy constraint: "
                                   "[Member must have length less than or equal to 25, Member "
                                   "must have length greater than or equal to 1]");
        if (!write && total > DDB_BATCH_GET_MAX)
            return ddb_dec_fail(d, "Too many items requested for the BatchGetItem call");
        if (!write && t->n == 0)
            return ddb_dec_fail(d,
                                "1 validation error detected: Value '[]' at "
                                "'requestItems.%s.member.keys' failed to satisfy constraint: "
                                "Member must have length greater than or equal to 1",
                                name);
        t->keys = kv_arena_calloc(d->a, t->n, sizeof(*t->keys));
        t->is_put = kv_arena_calloc(d->a, t->n, sizeof(bool));
        for (size_t i = 0; i < t->n; i++) {
            const api_json_t *e = api_json_at(list, i);
            if (!write) {
                if (ddb_item_decode(d, e, &t->keys[i]) < 0)
                    return -1;
                continue;
            }
            const api_json_t *put = ddb_opt_kind(d, e, "PutRequest", API_J_OBJ);
            const api_json_t *del = ddb_opt_kind(d, e, "DeleteRequest", API_J_OBJ);
            if ((put == NULL) == (del == NULL))
                return ddb_dec_fail(d, "Supplied AttributeValue has more than one datatypes set, "
                                       "must contain exactly one of the supported datatypes");
            t->is_put[i] = put != NULL;
            const api_json_t *m = put ? api_json_get(put, "Item") : api_json_get(del, "Key");
            if (m == NULL)
                return ddb_dec_fail(d,
                                    "1 validation error detected: Value null at '%s' failed "
                                    "to satisfy constraint: Member must not be null",
                                    put ? "item" : "key");
            if (ddb_item_decode(d, m, &t->keys[i]) < 0)
                return -1;
        }
        if (!write && finish(d, &t->c) < 0)
            return -1;
    }
    return ddb_dec_finish(d);
}

int ddb_decode_batch_get_item(ddb_dec_t *d, const api_json_t *in, ddb_batch_get_item_in_t *out)
{
    return decode_batch(d, in, out, false);
}

int ddb_decode_batch_write_item(ddb_dec_t *d, const api_json_t *in, ddb_batch_write_item_in_t *out)
{
    return decode_batch(d, in, out, true);
}

/* TransactItems: 1..100 objects, each holding exactly one of the kinds named. */
static int decode_transact(ddb_dec_t *d, const api_json_t *in, ddb_transact_in_t *out, bool write)
{
    memset(out, 0, sizeof(*out));
    const api_json_t *items = ddb_opt_kind(d, in, "TransactItems", API_J_ARR);
    size_t n = items ? api_json_len(items) : 0;
    if (items == NULL)
        ddb_dec_violation(d, "Value null at 'transactItems' failed to satisfy constraint: Member "
                             "must not be null");
    else if (n == 0)
        ddb_dec_violation(d, "Value '[]' at 'transactItems' failed to satisfy constraint: Member "
                             "must have length greater than or equal to 1");
    else if (n > DDB_TXN_MAX)
        ddb_dec_violation(d, "Value '[...]' at 'transactItems' failed to satisfy constraint: "
                             "Member must have length less than or equal to 100");
    ddb_decode_rcc(d, in, &out->rcc);
    if (write && ddb_opt_str(d, in, "ClientRequestToken", &out->token) &&
        (out->token.len == 0 || out->token.len > 36))
        ddb_dec_violation(d,
                          "Value '%.*s' at 'clientRequestToken' failed to satisfy constraint: "
                          "Member must have length less than or equal to 36",
                          (int)(out->token.len > 100 ? 100 : out->token.len),
                          (const char *)out->token.p);
    if (ddb_dec_finish(d) < 0)
        return -1;
    out->acts = kv_arena_calloc(d->a, n, sizeof(*out->acts));
    static const char *const wkinds[] = {"Put", "Update", "Delete", "ConditionCheck"};
    for (size_t i = 0; i < n; i++) {
        const api_json_t *e = api_json_at(items, i);
        if (api_json_type(e) != API_J_OBJ) {
            ddb_dec_serial(d, "Unexpected value type in payload");
            return -1;
        }
        ddb_tx_action_t *a = &out->acts[i];
        const api_json_t *body = NULL;
        size_t found = 0;
        if (write) {
            for (size_t k = 0; k < 4; k++) {
                const api_json_t *v = api_json_get(e, wkinds[k]);
                if (v && api_json_type(v) != API_J_NULL) {
                    found++;
                    body = v;
                    a->kind = (ddb_tx_kind_t)k;
                }
            }
        } else {
            body = api_json_get(e, "Get");
            found = body != NULL;
            a->kind = DDB_TX_GET;
        }
        if ((found != 1 || api_json_type(body) != API_J_OBJ) && write)
            return ddb_dec_fail(d, "TransactItems can only contain one of Check, Put, Update or "
                                   "Delete");
        if (found != 1 || api_json_type(body) != API_J_OBJ)
            return ddb_dec_fail(d,
                                "1 validation error detected: Value null at "
                                "'transactItems.%zu.member.get' failed to satisfy constraint: "
                                "Member must not be null",
                                i + 1);
        int rc;
        switch (a->kind) {
        case DDB_TX_PUT:
            rc = ddb_decode_put_item(d, body, &a->put);
            break;
        case DDB_TX_UPDATE:
            rc = ddb_decode_update_item(d, body, &a->key);
            break;
        case DDB_TX_GET:
            rc = ddb_decode_get_item(d, body, &a->key);
            break;
        default: /* Delete, ConditionCheck */
            rc = ddb_decode_delete_item(d, body, &a->key);
            if (rc == 0 && a->kind == DDB_TX_CHECK && a->key.c.cond == NULL)
                return ddb_dec_fail(d, "The ConditionExpression parameter is required for "
                                       "ConditionCheck");
            break;
        }
        if (rc < 0)
            return -1;
    }
    out->n = n;
    return 0;
}

int ddb_decode_transact_write_items(ddb_dec_t *d, const api_json_t *in,
                                    ddb_transact_write_items_in_t *out)
{
    return decode_transact(d, in, out, true);
}

int ddb_decode_transact_get_items(ddb_dec_t *d, const api_json_t *in,
                                  ddb_transact_get_items_in_t *out)
{
    return decode_transact(d, in, out, false);
}
