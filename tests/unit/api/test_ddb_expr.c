/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DynamoDB expressions, table-driven: parsing (errors with their exact
 * messages), condition evaluation on a fixed item (hand-written cases plus a
 * generated grid of numeric comparisons), update application, projection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../../api/ddb/ddb_int.h"

static const char *ITEM_JSON =
    "{\"id\":{\"S\":\"x\"},\"n\":{\"N\":\"5\"},\"neg\":{\"N\":\"-2.5\"},\"s\":{\"S\":\"hello\"},"
    "\"b\":{\"B\":\"AAEC\"},\"t\":{\"BOOL\":true},\"z\":{\"NULL\":true},"
    "\"m\":{\"M\":{\"k\":{\"S\":\"v\"},\"deep\":{\"M\":{\"x\":{\"N\":\"1\"}}}}},"
    "\"l\":{\"L\":[{\"S\":\"a\"},{\"N\":\"2\"},{\"M\":{\"q\":{\"S\":\"r\"}}}]},"
    "\"ss\":{\"SS\":[\"red\",\"blue\"]},\"ns\":{\"NS\":[\"1\",\"2\"]},\"bs\":{\"BS\":[\"AQ==\"]},"
    "\"a b\":{\"S\":\"spaced\"}}";

static const char *VALUES_JSON =
    "{\":five\":{\"N\":\"5\"},\":six\":{\"N\":\"6\"},\":four\":{\"N\":\"4\"},\":one\":{\"N\":\"1\"}"
    ","
    "\":hello\":{\"S\":\"hello\"},\":he\":{\"S\":\"he\"},\":ll\":{\"S\":\"ll\"},\":red\":{\"S\":"
    "\"red\"},"
    "\":green\":{\"S\":\"green\"},\":a\":{\"S\":\"a\"},\":N\":{\"S\":\"N\"},\":S\":{\"S\":\"S\"},"
    "\":M\":{\"S\":\"M\"},\":L\":{\"S\":\"L\"},\":SS\":{\"S\":\"SS\"},\":NULL\":{\"S\":\"NULL\"},"
    "\":BOOL\":{\"S\":\"BOOL\"},\":B\":{\"S\":\"B\"},\":BS\":{\"S\":\"BS\"},\":NS\":{\"S\":\"NS\"},"
    "\":bin\":{\"B\":\"AAE=\"},\":bin2\":{\"B\":\"AA==\"},\":v\":{\"S\":\"v\"},\":three\":{\"N\":"
    "\"3\"},\":true\":{\"BOOL\":"
    "true},"
    "\":list\":{\"L\":[{\"S\":\"new\"}]},\":set\":{\"SS\":[\"green\",\"red\"]},\":nset\":{\"NS\":["
    "\"2\",\"3\"]},"
    "\":half\":{\"N\":\"0.5\"},\":zero\":{\"N\":\"0\"},\":m3\":{\"N\":\"-3\"},\":m2\":{\"N\":\"-"
    "2\"},"
    "\":m1\":{\"N\":\"-1\"},\":z0\":{\"N\":\"0\"},\":p1\":{\"N\":\"1\"},\":p2\":{\"N\":\"2\"},"
    "\":p3\":{\"N\":\"3\"},\":empty\":{\"S\":\"\"}}";

static const char *NAMES_JSON = "{\"#n\":\"n\",\"#sp\":\"a b\",\"#m\":\"m\",\"#k\":\"k\"}";

typedef struct fixture {
    kv_arena_t *a;
    ddb_expr_env_t env;
    eng_item_t *item;
} fixture_t;

static fixture_t F;

static eng_item_t *decode_map(kv_arena_t *a, const char *json)
{
    api_json_t *j;
    const char *err;
    assert_int_equal(api_json_parse(a, kv_slice_str(json), &j, &err), 0);
    ddb_dec_t d;
    memset(&d, 0, sizeof(d));
    d.a = a;
    eng_item_t *it = NULL;
    assert_int_equal(ddb_item_decode(&d, j, &it), 0);
    return it;
}

static int setup(void **state)
{
    (void)state;
    api_json_global_init();
    F.a = kv_arena_new(1 << 16);
    F.item = decode_map(F.a, ITEM_JSON);
    api_json_t *names;
    const char *err;
    if (api_json_parse(F.a, kv_slice_str(NAMES_JSON), &names, &err) != 0)
        return -1;
    ddb_expr_env_init(&F.env, F.a, names, decode_map(F.a, VALUES_JSON));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kv_arena_free(F.a);
    return 0;
}

typedef struct cond_case {
    const char *expr;
    int want; /* 1 true, 0 false */
} cond_case_t;

static const cond_case_t conds[] = {
    {"n = :five", 1},
    {"n = :six", 0},
    {"n <> :six", 1},
    {"n <> :five", 0},
    {"n < :six", 1},
    {"n <= :five", 1},
    {"n > :four", 1},
    {"n >= :six", 0},
    {"#n = :five", 1},
    {"neg < :zero", 1},
    {"neg < :m2", 1},
    {"neg > :m3", 1},
    {"s = :hello", 1},
    {"s > :he", 1},
    {"s < :he", 0},
    {"s BETWEEN :he AND :ll", 1},
    {"n BETWEEN :four AND :six", 1},
    {"n BETWEEN :six AND :six", 0},
    {"n BETWEEN :five AND :five", 1},
    {"n IN (:four, :five)", 1},
    {"n IN (:four, :six)", 0},
    {"s IN (:hello)", 1},
    {"attribute_exists(n)", 1},
    {"attribute_exists(nope)", 0},
    {"attribute_not_exists(nope)", 1},
    {"attribute_exists(m.k)", 1},
    {"attribute_exists(m.deep.x)", 1},
    {"attribute_exists(m.deep.y)", 0},
    {"attribute_exists(l[2].q)", 1},
    {"attribute_exists(l[3])", 0},
    {"attribute_exists(#sp)", 1},
    {"attribute_exists(#m.#k)", 1},
    {"attribute_type(n, :N)", 1},
    {"attribute_type(n, :S)", 0},
    {"attribute_type(s, :S)", 1},
    {"attribute_type(m, :M)", 1},
    {"attribute_type(l, :L)", 1},
    {"attribute_type(ss, :SS)", 1},
    {"attribute_type(ns, :NS)", 1},
    {"attribute_type(bs, :BS)", 1},
    {"attribute_type(z, :NULL)", 1},
    {"attribute_type(t, :BOOL)", 1},
    {"attribute_type(b, :B)", 1},
    {"attribute_type(nope, :S)", 0},
    {"begins_with(s, :he)", 1},
    {"begins_with(s, :ll)", 0},
    {"begins_with(s, :empty)", 1},
    {"begins_with(b, :bin)", 1},
    {"begins_with(n, :he)", 0},
    {"contains(s, :ll)", 1},
    {"contains(s, :red)", 0},
    {"contains(ss, :red)", 1},
    {"contains(ss, :green)", 0},
    {"contains(ns, :one)", 1},
    {"contains(l, :a)", 1},
    {"contains(l, :red)", 0},
    {"contains(nope, :a)", 0},
    {"size(s) = :five", 1},
    {"size(l) = :three", 1},
    {"size(ss) < :three", 1},
    {"size(m) = :p2", 1},
    {"size(b) = :three", 1},
    {"size(n) = :one", 0},
    {"size(nope) = :zero", 0},
    {"NOT n = :six", 1},
    {"NOT NOT n = :six", 0},
    {"n = :five AND s = :hello", 1},
    {"n = :five AND s = :he", 0},
    {"n = :six OR s = :hello", 1},
    {"n = :six OR s = :he", 0},
    {"n = :six OR n = :five AND s = :hello", 1},
    {"n = :six OR n = :five AND s = :he", 0},
    {"(n = :six OR n = :five) AND s = :he", 0},
    {"NOT n = :six AND s = :hello", 1},
    {"NOT (n = :five AND s = :hello)", 0},
    {"(n = :five)", 1},
    {"(n) = :five", 1},
    {"(n) BETWEEN (:four) AND (:six)", 1},
    {"size(:hello) = :five", 1},
    {"((n = :five) OR (s = :he))", 1},
    {"n = :five and s = :hello", 1},
    {"n = :six or s = :hello", 1},
    {"not n = :six", 1},
    {"n between :four and :six", 1},
    {"n in (:five)", 1},
    {"t = :true", 1},
    {"m.k = :v", 1},
    {"l[0] = :a", 1},
    {"l[1] = :p2", 1},
    {"nope = :five", 0},
    {"nope <> :five", 1},
    {"nope < :five", 0},
    {"s < :five", 0},
    {":five = :five", 1},
    {":five < :six", 1},
    {"n = :five AND (s = :he OR attribute_exists(m.deep))", 1},
};

static void test_conditions(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(conds) / sizeof(*conds); i++) {
        ddb_cond_t *c;
        F.env.error = NULL;
        if (ddb_cond_parse(&F.env, "ConditionExpression", kv_slice_str(conds[i].expr), &c) != 0)
            fail_msg("parse of '%s': %s", conds[i].expr, F.env.error);
        if ((int)ddb_cond_eval(c, F.item) != conds[i].want)
            fail_msg("'%s' evaluated to %d", conds[i].expr, !conds[i].want);
    }
}

static void test_numeric_grid(void **state)
{
    (void)state;
    static const char *vals[] = {":m3", ":m2", ":m1", ":z0", ":p1", ":p2", ":p3"};
    static const char *ops[] = {"=", "<>", "<", "<=", ">", ">="};
    int ran = 0;
    for (int i = 0; i < 7; i++)
        for (int j = 0; j < 7; j++)
            for (int o = 0; o < 6; o++) {
                char expr[64];
                snprintf(expr, sizeof(expr), "%s %s %s", vals[i], ops[o], vals[j]);
                int x = i - 3, y = j - 3;
                int want = o == 0   ? x == y
                           : o == 1 ? x != y
                           : o == 2 ? x < y
                           : o == 3 ? x <= y
                           : o == 4 ? x > y
                                    : x >= y;
                ddb_cond_t *c;
                F.env.error = NULL;
                assert_int_equal(
                    ddb_cond_parse(&F.env, "ConditionExpression", kv_slice_str(expr), &c), 0);
                if ((int)ddb_cond_eval(c, F.item) != want)
                    fail_msg("'%s' evaluated to %d", expr, !want);
                char between[64];
                snprintf(between, sizeof(between), ":z0 BETWEEN %s AND %s", vals[i], vals[j]);
                F.env.error = NULL;
                int rc = ddb_cond_parse(&F.env, "ConditionExpression", kv_slice_str(between), &c);
                if (x > y) { /* constant bounds in the wrong order are refused */
                    assert_int_not_equal(rc, 0);
                    assert_non_null(strstr(F.env.error, "requires upper bound to be greater"));
                    ran += 2;
                    continue;
                }
                assert_int_equal(rc, 0);
                assert_int_equal(ddb_cond_eval(c, F.item), x <= 0 && 0 <= y);
                ran += 2;
            }
    assert_true(ran >= 500);
}

typedef struct err_case {
    const char *expr;
    const char *msg;
} err_case_t;

static const err_case_t cond_errors[] = {
    {"", "Invalid ConditionExpression: The expression can not be empty;"},
    {"   ", "Invalid ConditionExpression: The expression can not be empty;"},
    {"n = = :five", "Invalid ConditionExpression: Syntax error; token: \"=\", near: \"= = :five\""},
    {"n =", "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"=\""},
    {"n = :five AND", "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"AND\""},
    {"(n = :five", "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \":five\""},
    {"n = :five)", "Invalid ConditionExpression: Syntax error; token: \")\", near: \":five)\""},
    {"n ! :five", "Invalid ConditionExpression: Syntax error; token: \"!\", near: \"n ! :five\""},
    {"n = :nope", "Invalid ConditionExpression: An expression attribute value used in expression "
                  "is not defined; "
                  "attribute value: :nope"},
    {"#nope = :five",
     "Invalid ConditionExpression: An expression attribute name used in the document path is not "
     "defined; attribute name: #nope"},
    {"foo(n)", "Invalid ConditionExpression: Invalid function name; function: foo"},
    {"size(n)", "Invalid ConditionExpression: The function is not allowed to be used this way in "
                "an expression; function: size"},
    {"((n = :five))", "Invalid ConditionExpression: The expression has redundant parentheses;"},
    {"n = :five AND ((s))= :he",
     "Invalid ConditionExpression: The expression has redundant parentheses;"},
    {"n = n", "Invalid ConditionExpression: The first operand must be distinct from the remaining "
              "operands for this operator or function; operator: =, first operand: [n]"},
    {"n BETWEEN :one AND n",
     "Invalid ConditionExpression: The first operand must be distinct from the remaining operands "
     "for this operator or function; operator: BETWEEN, first operand: [n]"},
    {"n IN (:one, n)", "Invalid ConditionExpression: The first operand must be distinct from the "
                       "remaining operands for this operator or function; operator: IN, first "
                       "operand: [n]"},
    {"contains(s, s)", "Invalid ConditionExpression: The first operand must be distinct from the "
                       "remaining operands for this operator or function; operator: contains, "
                       "first operand: [s]"},
    {"attribute_exists(:five)", "Invalid ConditionExpression: Operator or function requires a "
                                "document path; operator or function: attribute_exists"},
    {"attribute_type(:hello, :hello)", "Invalid ConditionExpression: Operator or function "
                                       "requires a document path; operator or function: "
                                       "attribute_type"},
    {"size(:five) = n", "Invalid ConditionExpression: Incorrect operand type for operator or "
                        "function; operator or function: size, operand type: N"},
    {"size(size(s)) = n", "Invalid ConditionExpression: Incorrect operand type for operator or "
                          "function; operator or function: size, operand type: N"},
    {"size() = n", "Invalid ConditionExpression: Incorrect number of operands for operator or "
                   "function; operator or function: size, number of operands: 0"},
    {"begins_with(s)", "Invalid ConditionExpression: Incorrect number of operands for operator or "
                       "function; operator or function: begins_with, number of operands: 1"},
    {"contains(s, (a), b, (c, d))",
     "Invalid ConditionExpression: Incorrect number of operands for operator or function; "
     "operator or function: contains, number of operands: 4"},
    {"attribute_exists(s) = :one", "Invalid ConditionExpression: The function is not allowed to "
                                   "be used this way in an expression; function: "
                                   "attribute_exists"},
    {"n < :true", "Invalid ConditionExpression: Incorrect operand type for operator or function; "
                  "operator or function: <, operand type: BOOL"},
    {"n BETWEEN :set AND :set", "Invalid ConditionExpression: Incorrect operand type for operator "
                                "or function; operator or function: BETWEEN, operand type: SS"},
    {"n BETWEEN :six AND :five",
     "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or "
     "equal to lower bound; lower bound operand: AttributeValue: {N:6}, upper bound operand: "
     "AttributeValue: {N:5}"},
    {"n BETWEEN :five AND :hello",
     "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and "
     "upper bounds; lower bound operand: AttributeValue: {N:5}, upper bound operand: "
     "AttributeValue: {S:hello}"},
    {"b BETWEEN :bin AND :bin2",
     "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or "
     "equal to lower bound; lower bound operand: AttributeValue: {B:AAE=}, upper bound operand: "
     "AttributeValue: {B:AA==}"},
    {"attribute_type(n, :five)", "Invalid ConditionExpression: Incorrect operand type for operator "
                                 "or function; operator or function: attribute_type, operand "
                                 "type: N"},
    {"begins_with(:true, s)", "Invalid ConditionExpression: Incorrect operand type for operator or "
                              "function; operator or function: begins_with, operand type: BOOL"},
    {"attribute_type(n, :hello)",
     "Invalid ConditionExpression: Invalid attribute type name found; type: hello, valid types: "
     "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}"},
    {"begins_with(s, :five)",
     "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or "
     "function: begins_with, operand type: N"},
    {"n BETWEEN :four",
     "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \":four\""},
    {"n IN ()", "Invalid ConditionExpression: Syntax error; token: \")\", near: \"()\""},
    {"l[x] = :a", "Invalid ConditionExpression: Syntax error; token: \"x\", near: \"[x]\""},
    {"AND = :a", "Invalid ConditionExpression: Syntax error; token: \"AND\", near: \"AND =\""},
    {"status = :a",
     "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status"},
    {"m.Name = :a",
     "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: Name"},
};

static void test_condition_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cond_errors) / sizeof(*cond_errors); i++) {
        ddb_cond_t *c;
        F.env.error = NULL;
        if (ddb_cond_parse(&F.env, "ConditionExpression", kv_slice_str(cond_errors[i].expr), &c) ==
            0)
            fail_msg("'%s' parsed", cond_errors[i].expr);
        if (strcmp(F.env.error, cond_errors[i].msg) != 0)
            fail_msg("'%s': got '%s', want '%s'", cond_errors[i].expr, F.env.error,
                     cond_errors[i].msg);
    }
    /* Limits: length and IN operands. */
    char big[5000];
    memset(big, ' ', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    memcpy(big, "n = :five", 9);
    ddb_cond_t *c;
    F.env.error = NULL;
    assert_int_not_equal(ddb_cond_parse(&F.env, "ConditionExpression", kv_slice_str(big), &c), 0);
    assert_non_null(strstr(F.env.error, "Expression size has exceeded the maximum allowed size"));
    kv_buf_t in;
    kv_buf_init(&in, 1 << 16);
    kv_buf_append_str(&in, "n IN (");
    for (int i = 0; i < 101; i++)
        kv_buf_append_str(&in, i ? ",:one" : ":one");
    kv_buf_append_str(&in, ")");
    F.env.error = NULL;
    assert_int_not_equal(ddb_cond_parse(&F.env, "ConditionExpression", kv_buf_slice(&in), &c), 0);
    assert_non_null(strstr(F.env.error, "The IN operator is provided with too many operands"));
    kv_buf_dispose(&in);
}

typedef struct upd_case {
    const char *expr;
    const char *attr; /* attribute to check after the update */
    const char *want; /* its JSON AttributeValue, NULL: removed; or an error message */
    bool error;
} upd_case_t;

static const upd_case_t updates[] = {
    {"SET n = :six", "n", "{\"N\":\"6\"}", false},
    {"SET n = n + :one", "n", "{\"N\":\"6\"}", false},
    {"SET n = n - :half", "n", "{\"N\":\"4.5\"}", false},
    {"SET n = :one - n", "n", "{\"N\":\"-4\"}", false},
    {"SET fresh = if_not_exists(fresh, :one)", "fresh", "{\"N\":\"1\"}", false},
    {"SET n = if_not_exists(n, :one)", "n", "{\"N\":\"5\"}", false},
    {"SET l = list_append(l, :list)", "l",
     "{\"L\":[{\"S\":\"a\"},{\"N\":\"2\"},{\"M\":{\"q\":{\"S\":\"r\"}}},{\"S\":\"new\"}]}", false},
    {"SET l = list_append(:list, l)", "l",
     "{\"L\":[{\"S\":\"new\"},{\"S\":\"a\"},{\"N\":\"2\"},{\"M\":{\"q\":{\"S\":\"r\"}}}]}", false},
    {"SET l[0] = :v", "l", "{\"L\":[{\"S\":\"v\"},{\"N\":\"2\"},{\"M\":{\"q\":{\"S\":\"r\"}}}]}",
     false},
    {"SET l[10] = :v", "l",
     "{\"L\":[{\"S\":\"a\"},{\"N\":\"2\"},{\"M\":{\"q\":{\"S\":\"r\"}}},{\"S\":\"v\"}]}", false},
    {"SET l[2].q = :v", "l", "{\"L\":[{\"S\":\"a\"},{\"N\":\"2\"},{\"M\":{\"q\":{\"S\":\"v\"}}}]}",
     false},
    {"SET m.k = :a", "m", "{\"M\":{\"k\":{\"S\":\"a\"},\"deep\":{\"M\":{\"x\":{\"N\":\"1\"}}}}}",
     false},
    {"SET m.deep.y = :one", "m",
     "{\"M\":{\"k\":{\"S\":\"v\"},\"deep\":{\"M\":{\"x\":{\"N\":\"1\"},\"y\":{\"N\":\"1\"}}}}}",
     false},
    {"SET #sp = :a", "a b", "{\"S\":\"a\"}", false},
    {"SET dup = s", "dup", "{\"S\":\"hello\"}", false},
    {"REMOVE n", "n", NULL, false},
    {"REMOVE nope", "nope", NULL, false},
    {"REMOVE l[1]", "l", "{\"L\":[{\"S\":\"a\"},{\"M\":{\"q\":{\"S\":\"r\"}}}]}", false},
    {"REMOVE l[0], l[2]", "l", "{\"L\":[{\"N\":\"2\"}]}", false},
    {"REMOVE m.deep", "m", "{\"M\":{\"k\":{\"S\":\"v\"}}}", false},
    {"ADD n :one", "n", "{\"N\":\"6\"}", false},
    {"ADD fresh :one", "fresh", "{\"N\":\"1\"}", false},
    {"ADD ss :set", "ss", "{\"SS\":[\"red\",\"blue\",\"green\"]}", false},
    {"ADD ns :nset", "ns", "{\"NS\":[\"1\",\"2\",\"3\"]}", false},
    {"DELETE ss :set", "ss", "{\"SS\":[\"blue\"]}", false},
    {"DELETE nope :set", "nope", NULL, false},
    {"SET a = :one REMOVE n ADD fresh :one DELETE ss :set", "fresh", "{\"N\":\"1\"}", false},
    {"SET s2 = s + :one", "", "An operand in the update expression has an incorrect data type",
     true},
    {"SET x = list_append(s, :list)", "",
     "An operand in the update expression has an incorrect data type", true},
    {"SET x = nope", "",
     "The provided expression refers to an attribute that does not exist in the item", true},
    {"SET a.b.c = :one", "",
     "The document path provided in the update expression is invalid for update", true},
    {"ADD s :one", "", "An operand in the update expression has an incorrect data type", true},
    {"DELETE ns :set", "", "An operand in the update expression has an incorrect data type", true},
};

static void test_updates(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(updates) / sizeof(*updates); i++) {
        const upd_case_t *c = &updates[i];
        ddb_update_t *u;
        F.env.error = NULL;
        if (ddb_update_parse(&F.env, kv_slice_str(c->expr), &u) != 0)
            fail_msg("parse of '%s': %s", c->expr, F.env.error);
        eng_item_t *out;
        int rc = ddb_update_apply(&F.env, u, F.item, NULL, &out);
        if (c->error) {
            if (rc == 0 || strstr(F.env.error, c->want) == NULL)
                fail_msg("'%s': got '%s', want error '%s'", c->expr, rc ? F.env.error : "success",
                         c->want);
            continue;
        }
        if (rc != 0)
            fail_msg("'%s' failed: %s", c->expr, F.env.error);
        const eng_av_t *got = eng_item_get_attr(out, kv_slice_str(c->attr));
        if (c->want == NULL) {
            if (got)
                fail_msg("'%s': %s still present", c->expr, c->attr);
            continue;
        }
        char wrap[512];
        snprintf(wrap, sizeof(wrap), "{\"v\":%s}", c->want);
        eng_item_t *w = decode_map(F.a, wrap);
        if (got == NULL || !eng_av_equal(got, w->attrs[0].v))
            fail_msg("'%s': %s differs", c->expr, c->attr);
        /* The original item is untouched (copy-on-write). */
        assert_true(eng_av_equal(eng_item_get_attr(F.item, KV_SLICE_LIT("n")),
                                 decode_map(F.a, "{\"v\":{\"N\":\"5\"}}")->attrs[0].v));
    }
}

static const err_case_t update_errors[] = {
    {"SET", "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \"SET\""},
    {"SET a", "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \"a\""},
    {"SET a = :one, a = :one",
     "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite "
     "one of these paths; path one: [a], path two: [a]"},
    {"SET a.b = :one REMOVE a",
     "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite "
     "one of these paths; path one: [a, b], path two: [a]"},
    {"SET l[1] = :one REMOVE l",
     "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite "
     "one of these paths; path one: [l, [1]], path two: [l]"},
    {"REMOVE a SET b = :one REMOVE c", "Invalid UpdateExpression: The \"REMOVE\" section can only "
                                       "be used once in an update expression;"},
    {"ADD a", "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \"a\""},
    {"ADD a b", "Invalid UpdateExpression: Syntax error; token: \"b\", near: \"a b\""},
    {"UPSERT a = :one",
     "Invalid UpdateExpression: Syntax error; token: \"UPSERT\", near: \"UPSERT a\""},
    {"SET a = foo(:one)", "Invalid UpdateExpression: Invalid function name; function: foo"},
    {"ADD n :hello", "Invalid UpdateExpression: Incorrect operand type for operator or function; "
                     "operator: ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND"},
    {"DELETE ss :one", "Invalid UpdateExpression: Incorrect operand type for operator or function; "
                       "operator: DELETE, operand type: NUMBER, typeSet: "
                       "ALLOWED_FOR_DELETE_OPERAND"},
    {"ADD n :true", "Invalid UpdateExpression: Incorrect operand type for operator or function; "
                    "operator: ADD, operand type: BOOLEAN, typeSet: ALLOWED_FOR_ADD_OPERAND"},
    {"SET x = s + :hello", "Invalid UpdateExpression: Incorrect operand type for operator or "
                           "function; operator or function: +, operand type: S"},
    {"SET x = :true - n", "Invalid UpdateExpression: Incorrect operand type for operator or "
                          "function; operator or function: -, operand type: BOOL"},
    {"SET x = list_append(l, :one)", "Invalid UpdateExpression: Incorrect operand type for "
                                     "operator or function; operator or function: list_append, "
                                     "operand type: N"},
    {"SET x = if_not_exists(:one, n)", "Invalid UpdateExpression: Operator or function requires a "
                                       "document path; operator or function: if_not_exists"},
    {"SET x = if_not_exists(n)", "Invalid UpdateExpression: Incorrect number of operands for "
                                 "operator or function; operator or function: if_not_exists, "
                                 "number of operands: 1"},
    {"SET x = list_append(l, l, l)", "Invalid UpdateExpression: Incorrect number of operands for "
                                     "operator or function; operator or function: list_append, "
                                     "number of operands: 3"},
    {"SET a.b = :one, a[1] = :one",
     "Invalid UpdateExpression: Two document paths conflict with each other; must remove or "
     "rewrite one of these paths; path one: [a, b], path two: [a, [1]]"},
    {"", "Invalid UpdateExpression: The expression can not be empty;"},
};

static void test_update_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(update_errors) / sizeof(*update_errors); i++) {
        ddb_update_t *u;
        F.env.error = NULL;
        if (ddb_update_parse(&F.env, kv_slice_str(update_errors[i].expr), &u) == 0)
            fail_msg("'%s' parsed", update_errors[i].expr);
        if (strcmp(F.env.error, update_errors[i].msg) != 0)
            fail_msg("'%s': got '%s', want '%s'", update_errors[i].expr, F.env.error,
                     update_errors[i].msg);
    }
}

static void test_projection(void **state)
{
    (void)state;
    ddb_projection_t *p;
    F.env.error = NULL;
    assert_int_equal(ddb_projection_parse(&F.env, KV_SLICE_LIT("n, m.deep.x, l[2], #sp, nope"), &p),
                     0);
    eng_item_t *r = ddb_project(F.a, F.item, p);
    eng_item_t *want = decode_map(
        F.a, "{\"n\":{\"N\":\"5\"},\"m\":{\"M\":{\"deep\":{\"M\":{\"x\":{\"N\":\"1\"}}}}},"
             "\"l\":{\"L\":[{\"M\":{\"q\":{\"S\":\"r\"}}}]},\"a b\":{\"S\":\"spaced\"}}");
    eng_av_t wm = {ENG_AV_M, want->n, {.m = want->attrs}}, rm = {ENG_AV_M, r->n, {.m = r->attrs}};
    assert_true(eng_av_equal(&wm, &rm));
    F.env.error = NULL;
    assert_int_not_equal(ddb_projection_parse(&F.env, KV_SLICE_LIT("m, m.k"), &p), 0);
    assert_non_null(strstr(F.env.error, "Two document paths overlap"));
    F.env.error = NULL;
    assert_int_not_equal(ddb_projection_parse(&F.env, KV_SLICE_LIT("l[0].a, l.b"), &p), 0);
    assert_string_equal(F.env.error, "Invalid ProjectionExpression: Two document paths conflict "
                                     "with each other; must remove or rewrite one of these paths; "
                                     "path one: [l, [0], a], path two: [l, b]");
    F.env.error = NULL;
    assert_int_not_equal(ddb_projection_parse(&F.env, KV_SLICE_LIT("a,,b"), &p), 0);
    assert_string_equal(F.env.error,
                        "Invalid ProjectionExpression: Syntax error; token: \",\", near: \",,b\"");
}

typedef struct add_case {
    const char *a, *b;
    bool sub;
    const char *want; /* NULL: refused */
    eng_num_status_t st;
} add_case_t;

static const add_case_t adds[] = {
    {"1", "2", false, "3", ENG_NUM_OK},
    {"0.1", "0.2", false, "0.3", ENG_NUM_OK},
    {"-5", "3", false, "-2", ENG_NUM_OK},
    {"5", "-5", false, "0", ENG_NUM_OK},
    {"5", "5", true, "0", ENG_NUM_OK},
    {"1", "0.001", true, "0.999", ENG_NUM_OK},
    {"-1.5", "-2.25", false, "-3.75", ENG_NUM_OK},
    {"1e10", "1", false, "10000000001", ENG_NUM_OK},
    {"99999999999999999999999999999999999999", "1", false,
     "100000000000000000000000000000000000000", ENG_NUM_OK},
    {"12345678901234567890123456789012345678", "0.1", false, NULL, ENG_NUM_PRECISION},
    {"9.9999999999999999999999999999999999999E+125", "1E+125", false, NULL, ENG_NUM_OVERFLOW},
    {"1E-130", "1E-130", true, "0", ENG_NUM_OK},
    {"2E-130", "1E-130", true,
     "0.00000000000000000000000000000000000000000000000000000000000000000000"
     "00000000000000000000000000000000000000000000000000000000000001",
     ENG_NUM_OK},
    {"0", "0", false, "0", ENG_NUM_OK},
    {"-0.5", "0.5", false, "0", ENG_NUM_OK},
    {"100", "0.01", true, "99.99", ENG_NUM_OK},
};

static void test_decimal_addition(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(adds) / sizeof(*adds); i++) {
        eng_num_t a, b, r;
        assert_int_equal(eng_num_parse(kv_slice_str(adds[i].a), &a), ENG_NUM_OK);
        assert_int_equal(eng_num_parse(kv_slice_str(adds[i].b), &b), ENG_NUM_OK);
        eng_num_status_t st = eng_num_add(&a, &b, adds[i].sub, &r);
        if (st != adds[i].st)
            fail_msg("%s %c %s: status %d", adds[i].a, adds[i].sub ? '-' : '+', adds[i].b, st);
        if (st == ENG_NUM_OK && adds[i].want) {
            kv_buf_t t;
            kv_buf_init(&t, 4096);
            eng_num_format(&r, &t);
            kv_buf_append_byte(&t, 0);
            assert_string_equal((char *)t.p, adds[i].want);
            kv_buf_dispose(&t);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conditions),       cmocka_unit_test(test_numeric_grid),
        cmocka_unit_test(test_condition_errors), cmocka_unit_test(test_updates),
        cmocka_unit_test(test_update_errors),    cmocka_unit_test(test_projection),
        cmocka_unit_test(test_decimal_addition),
    };
    return cmocka_run_group_tests_name("ddb_expr", tests, setup, teardown);
}
