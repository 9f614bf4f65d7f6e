/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The legacy (pre-expression) parameters older code still sends -- Expected,
 * KeyConditions, QueryFilter, ScanFilter, ConditionalOperator and
 * AttributeUpdates -- translated into the same condition and update trees the
 * expressions produce, so one evaluator serves both.
 */
#include <stdio.h>
#include <string.h>

#include "ddb_int.h"

static ddb_operand_t *path_op(ddb_dec_t *d, const char *name)
{
    ddb_operand_t *o = kv_arena_calloc(d->a, 1, sizeof(*o));
    o->kind = DDB_OP_PATH;
    o->path.e = kv_arena_calloc(d->a, 1, sizeof(ddb_path_elem_t));
    o->path.e[0].name = kv_arena_dup(d->a, kv_slice_str(name));
    o->path.n = 1;
    return o;
}

static ddb_operand_t *value_op(ddb_dec_t *d, const api_json_t *j)
{
    eng_av_t *v;
    if (ddb_av_decode(d, j, 1, &v) < 0)
        return NULL;
    ddb_operand_t *o = kv_arena_calloc(d->a, 1, sizeof(*o));
    o->kind = DDB_OP_VALUE;
    o->value = v;
    return o;
}

static ddb_cond_t *node(ddb_dec_t *d, ddb_cond_kind_t k)
{
    ddb_cond_t *c = kv_arena_calloc(d->a, 1, sizeof(*c));
    c->kind = k;
    return c;
}

static int argc_error(ddb_dec_t *d, const char *op)
{
    return ddb_dec_fail(d,
                        "One or more parameter values were invalid: Invalid number of "
                        "argument(s) for the %s ComparisonOperator",
                        op);
}

static const char *type_name(eng_av_type_t t)
{
    static const char *n[] = {"", "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"};
    return n[t];
}

/* Whether a legacy ComparisonOperator is defined on values of type t (DynamoDB refuses the
 * others: "ComparisonOperator LT is not valid for BOOL AttributeValue type"). */
static bool op_takes(kv_slice_t op, eng_av_type_t t)
{
    bool scalar = t == ENG_AV_S || t == ENG_AV_N || t == ENG_AV_B;
    if (kv_slice_eq_str(op, "EQ") || kv_slice_eq_str(op, "NE"))
        return true;
    if (kv_slice_eq_str(op, "CONTAINS") || kv_slice_eq_str(op, "NOT_CONTAINS"))
        return scalar || t == ENG_AV_BOOL || t == ENG_AV_NULL;
    if (kv_slice_eq_str(op, "BEGINS_WITH"))
        return t == ENG_AV_S || t == ENG_AV_B;
    return scalar; /* LT LE GT GE BETWEEN IN */
}

static ddb_operand_t *arg_op(ddb_dec_t *d, const api_json_t *list, const api_json_t *value,
                             size_t i, kv_slice_t op, const char *opz)
{
    ddb_operand_t *o = value_op(d, list ? api_json_at(list, i) : value);
    if (o && !op_takes(op, o->value->t)) {
        ddb_dec_fail(d,
                     "One or more parameter values were invalid: ComparisonOperator %s is not "
                     "valid for %s AttributeValue type",
                     opz, type_name(o->value->t));
        return NULL;
    }
    return o;
}

/* One {ComparisonOperator, AttributeValueList} condition on attribute name; value: Expected's
 * Value, which stands for a one-element list. */
static int one_condition(ddb_dec_t *d, const char *name, const api_json_t *spec,
                         const api_json_t *value, ddb_cond_t **out)
{
    kv_slice_t op;
    if (!ddb_opt_str(d, spec, "ComparisonOperator", &op))
        return ddb_dec_fail(d,
                            "One or more parameter values were invalid: ComparisonOperator is "
                            "required for attribute %s",
                            name);
    const api_json_t *list = ddb_opt_kind(d, spec, "AttributeValueList", API_J_ARR);
    size_t n = list ? api_json_len(list) : (value ? 1 : 0);
    char opz[32];
    snprintf(opz, sizeof(opz), "%.*s", (int)(op.len > 20 ? 20 : op.len), (const char *)op.p);
    static const struct {
        const char *name;
        ddb_cmp_t cmp;
    } cmps[] = {{"EQ", DDB_EQ}, {"NE", DDB_NE}, {"LT", DDB_LT},
                {"LE", DDB_LE}, {"GT", DDB_GT}, {"GE", DDB_GE}};
    ddb_cond_t *c = NULL;
    for (size_t i = 0; i < 6; i++)
        if (kv_slice_eq_str(op, cmps[i].name)) {
            if (n != 1)
                return argc_error(d, opz);
            c = node(d, DDB_C_CMP);
            c->cmp = cmps[i].cmp;
            c->a = path_op(d, name);
            if (!(c->b = arg_op(d, list, value, 0, op, opz)))
                return -1;
        }
    if (c == NULL) {
        if (kv_slice_eq_str(op, "NOT_NULL") || kv_slice_eq_str(op, "NULL")) {
            if (n != 0)
                return argc_error(d, opz);
            c = node(d, kv_slice_eq_str(op, "NULL") ? DDB_C_NOT_EXISTS : DDB_C_EXISTS);
            c->a = path_op(d, name);
        } else if (kv_slice_eq_str(op, "CONTAINS") || kv_slice_eq_str(op, "NOT_CONTAINS") ||
                   kv_slice_eq_str(op, "BEGINS_WITH")) {
            if (n != 1)
                return argc_error(d, opz);
            c = node(d, kv_slice_eq_str(op, "BEGINS_WITH") ? DDB_C_BEGINS : DDB_C_CONTAINS);
            c->a = path_op(d, name);
            if (!(c->b = arg_op(d, list, value, 0, op, opz)))
                return -1;
            if (kv_slice_eq_str(op, "NOT_CONTAINS")) {
                ddb_cond_t *nt = node(d, DDB_C_NOT);
                nt->l = c;
                c = nt;
            }
        } else if (kv_slice_eq_str(op, "BETWEEN")) {
            if (n != 2)
                return argc_error(d, opz);
            c = node(d, DDB_C_BETWEEN);
            c->a = path_op(d, name);
            if (!(c->b = arg_op(d, list, value, 0, op, opz)) ||
                !(c->c = arg_op(d, list, value, 1, op, opz)))
                return -1;
        } else if (kv_slice_eq_str(op, "IN")) {
            if (n == 0)
                return argc_error(d, opz);
            c = node(d, DDB_C_IN);
            c->a = path_op(d, name);
            c->list = kv_arena_calloc(d->a, n, sizeof(*c->list));
            c->n_list = n;
            for (size_t i = 0; i < n; i++)
                if (!(c->list[i] = arg_op(d, list, value, i, op, opz)))
                    return -1;
        } else {
            return ddb_dec_fail(d,
                                "1 validation error detected: Value '%s' at "
                                "'comparisonOperator' failed to satisfy constraint: Member must "
                                "satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, "
                                "GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]",
                                opz);
        }
    }
    *out = c;
    return 0;
}

static int combine(ddb_dec_t *d, const api_json_t *in, ddb_cond_t **acc, ddb_cond_t *c)
{
    kv_slice_t op = KV_SLICE_LIT("AND");
    ddb_opt_str(d, in, "ConditionalOperator", &op);
    if (!kv_slice_eq_str(op, "AND") && !kv_slice_eq_str(op, "OR"))
        return ddb_dec_fail(d,
                            "1 validation error detected: Value '%.*s' at 'conditionalOperator' "
                            "failed to satisfy constraint: Member must satisfy enum value set: "
                            "[AND, OR]",
                            (int)(op.len > 20 ? 20 : op.len), (const char *)op.p);
    if (*acc == NULL) {
        *acc = c;
        return 0;
    }
    ddb_cond_t *j = node(d, kv_slice_eq_str(op, "OR") ? DDB_C_OR : DDB_C_AND);
    j->l = *acc;
    j->r = c;
    *acc = j;
    return 0;
}

int ddb_legacy_conditions(ddb_dec_t *d, const api_json_t *in, const char *param, ddb_cond_t **out)
{
    const api_json_t *m = ddb_opt_kind(d, in, param, API_J_OBJ);
    if (m == NULL)
        return 0;
    ddb_cond_t *acc = NULL;
    void *it = NULL;
    const char *name;
    api_json_t *spec;
    while (api_json_next(m, &it, &name, &spec)) {
        ddb_cond_t *c;
        if (api_json_type(spec) != API_J_OBJ) {
            ddb_dec_serial(d, "Expected a Condition structure");
            return -1;
        }
        if (one_condition(d, name, spec, NULL, &c) < 0)
            return -1;
        /* A key condition is a range of the index: equality, an order, a prefix or BETWEEN. */
        if (strcmp(param, "KeyConditions") == 0 &&
            (c->kind == DDB_C_NOT || c->kind == DDB_C_EXISTS || c->kind == DDB_C_NOT_EXISTS ||
             c->kind == DDB_C_CONTAINS || c->kind == DDB_C_IN ||
             (c->kind == DDB_C_CMP && c->cmp == DDB_NE)))
            return ddb_dec_fail(d,
                                "Attempted conditional constraint is not an indexable operation");
        if (combine(d, in, &acc, c) < 0)
            return -1;
    }
    *out = acc;
    return 0;
}

int ddb_legacy_expected(ddb_dec_t *d, const api_json_t *in, ddb_cond_t **out)
{
    const api_json_t *m = ddb_opt_kind(d, in, "Expected", API_J_OBJ);
    if (m == NULL)
        return 0;
    ddb_cond_t *acc = NULL;
    void *it = NULL;
    const char *name;
    api_json_t *spec;
    while (api_json_next(m, &it, &name, &spec)) {
        ddb_cond_t *c = NULL;
        if (api_json_type(spec) != API_J_OBJ) {
            ddb_dec_serial(d, "Expected an ExpectedAttributeValue structure");
            return -1;
        }
        bool exists = true, has_exists = ddb_opt_bool(d, spec, "Exists", &exists);
        const api_json_t *value = ddb_opt_kind(d, spec, "Value", API_J_OBJ);
        const api_json_t *list = api_json_get(spec, "AttributeValueList");
        bool has_op = api_json_get(spec, "ComparisonOperator") != NULL;
        kv_slice_t op = KV_SLICE_NULL;
        ddb_opt_str(d, spec, "ComparisonOperator", &op);
        if (value && list)
            return ddb_dec_fail(d,
                                "One or more parameter values were invalid: Value and "
                                "AttributeValueList cannot be used together for Attribute: %s",
                                name);
        if (has_op && has_exists)
            return ddb_dec_fail(d,
                                "One or more parameter values were invalid: Exists and "
                                "ComparisonOperator cannot be used together for Attribute: %s",
                                name);
        if (has_op && !value && !list && !kv_slice_eq_str(op, "NULL") &&
            !kv_slice_eq_str(op, "NOT_NULL"))
            return ddb_dec_fail(d,
                                "One or more parameter values were invalid: Value or "
                                "AttributeValueList must be used with ComparisonOperator: %.*s "
                                "for Attribute: %s",
                                (int)(op.len > 20 ? 20 : op.len), (const char *)op.p, name);
        if (list && !has_op)
            return ddb_dec_fail(d,
                                "One or more parameter values were invalid: AttributeValueList "
                                "can only be used with a ComparisonOperator for Attribute: %s",
                                name);
        if (has_op) {
            if (one_condition(d, name, spec, value, &c) < 0)
                return -1;
        } else {
            if (!exists && value)
                return ddb_dec_fail(d,
                                    "One or more parameter values were invalid: Value cannot "
                                    "be used when Exists is false for Attribute: %s",
                                    name);
            if (exists && !value)
                return ddb_dec_fail(d,
                                    "One or more parameter values were invalid: Value must be "
                                    "provided when Exists is %s for Attribute: %s",
                                    has_exists ? "true" : "null", name);
            if (!exists) {
                c = node(d, DDB_C_NOT_EXISTS);
                c->a = path_op(d, name);
            } else {
                c = node(d, DDB_C_CMP);
                c->cmp = DDB_EQ;
                c->a = path_op(d, name);
                if (!(c->b = value_op(d, value)))
                    return -1;
            }
        }
        if (combine(d, in, &acc, c) < 0)
            return -1;
    }
    *out = acc;
    return 0;
}

int ddb_legacy_updates(ddb_dec_t *d, const api_json_t *in, ddb_update_t **out)
{
    const api_json_t *m = ddb_opt_kind(d, in, "AttributeUpdates", API_J_OBJ);
    if (m == NULL)
        return 0;
    size_t n = api_json_len(m);
    ddb_update_t *u = kv_arena_calloc(d->a, 1, sizeof(*u));
    u->acts = kv_arena_calloc(d->a, n ? n : 1, sizeof(ddb_action_t));
    void *it = NULL;
    const char *name;
    api_json_t *spec;
    while (api_json_next(m, &it, &name, &spec)) {
        ddb_action_t *a = &u->acts[u->n++];
        kv_slice_t action = KV_SLICE_LIT("PUT");
        ddb_opt_str(d, spec, "Action", &action);
        const api_json_t *value = ddb_opt_kind(d, spec, "Value", API_J_OBJ);
        a->path = path_op(d, name)->path;
        if (value && !(a->value = value_op(d, value)))
            return -1;
        if (kv_slice_eq_str(action, "PUT")) {
            if (!value)
                return ddb_dec_fail(d, "One or more parameter values were invalid: Only DELETE "
                                       "action is allowed when no attribute value is specified");
            a->kind = DDB_ACT_SET;
        } else if (kv_slice_eq_str(action, "ADD")) {
            if (!value)
                return ddb_dec_fail(d, "One or more parameter values were invalid: Only DELETE "
                                       "action is allowed when no attribute value is specified");
            a->kind = DDB_ACT_ADD;
        } else if (kv_slice_eq_str(action, "DELETE")) {
            a->kind = value ? DDB_ACT_DELETE : DDB_ACT_REMOVE;
        } else {
            return ddb_dec_fail(d,
                                "1 validation error detected: Value '%.*s' at "
                                "'attributeUpdates.%s.member.action' failed to satisfy "
                                "constraint: Member must satisfy enum value set: [ADD, PUT, "
                                "DELETE]",
                                (int)(action.len > 20 ? 20 : action.len), (const char *)action.p,
                                name);
        }
    }
    *out = u;
    return 0;
}
