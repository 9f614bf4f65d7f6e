/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PartiQL parser, table-driven: statements that parse (and what their WHERE says about a fixed
 * item), statements refused with their messages, literals, parameters, RETURNING, EXISTS.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../../api/ddb/ddb_int.h"
#include "../../../api/ddb/ddb_partiql.h"

static kv_arena_t *A;
static eng_item_t *ITEM;

static eng_item_t *decode_map(const char *json)
{
    api_json_t *j;
    const char *err;
    assert_int_equal(api_json_parse(A, kv_slice_str(json), &j, &err), 0);
    ddb_dec_t d;
    memset(&d, 0, sizeof(d));
    d.a = A;
    eng_item_t *it;
    assert_int_equal(ddb_item_decode(&d, j, &it), 0);
    return it;
}

static int setup(void **state)
{
    (void)state;
    api_json_global_init();
    A = kv_arena_new(1 << 16);
    ITEM = decode_map("{\"pk\":{\"S\":\"a\"},\"sk\":{\"N\":\"5\"},\"s\":{\"S\":\"hello\"},"
                      "\"z\":{\"NULL\":true},\"l\":{\"L\":[{\"N\":\"1\"},{\"S\":\"x\"}]},"
                      "\"m\":{\"M\":{\"k\":{\"S\":\"v\"}}},\"ss\":{\"SS\":[\"r\",\"g\"]},"
                      "\"select\":{\"N\":\"1\"}}");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kv_arena_free(A);
    return 0;
}

static ddb_pq_t parse_ok(const char *text)
{
    ddb_pq_t q;
    const char *err = NULL;
    int rc = ddb_pq_parse(A, kv_slice_str(text), NULL, 0, &q, &err);
    if (rc != 0)
        fail_msg("%s: %s", text, err);
    return q;
}

static void test_where_semantics(void **state)
{
    (void)state;
    static const struct {
        const char *where;
        bool want;
    } cases[] = {
        {"pk = 'a'", true},
        {"'a' = pk", true},
        {"pk <> 'a'", false},
        {"pk != 'b'", true},
        {"sk > 4 AND sk < 6", true},
        {"sk BETWEEN 5 AND 5", true},
        {"sk NOT BETWEEN 1 AND 4", true},
        {"sk IN [1, 2, 5]", true},
        {"sk IN (1, 2)", false},
        {"sk NOT IN [1, 2]", true},
        {"begins_with(s, 'he')", true},
        {"contains(s, 'ell')", true},
        {"contains(ss, 'g')", true},
        {"contains(l, 1)", true},
        {"attribute_type(m, 'M')", true},
        {"size(l) = 2", true},
        {"l[1] = 'x'", true},
        {"m.k = 'v'", true},
        {"\"m\".\"k\" = 'v'", true},
        {"nope IS MISSING", true},
        {"pk IS NOT MISSING", true},
        {"nope = MISSING", true},
        {"z IS NULL", true},
        {"nope IS NULL", true},
        {"pk IS NOT NULL", true},
        {"pk = 'x' OR sk = 5 AND s = 'hello'", true}, /* AND binds tighter */
        {"(pk = 'x' OR sk = 5) AND s = 'nope'", false},
        {"NOT (pk = 'x')", true},
        {"sk = 5.0", true}, /* numbers compare by value */
        {"sk = 5e0", true},
        {"sk > -1", true},
        {"\"select\" = 1", true}, /* a keyword as a quoted name */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[512];
        snprintf(text, sizeof(text), "SELECT * FROM t WHERE %s", cases[i].where);
        ddb_pq_t q = parse_ok(text);
        assert_int_equal(q.kind, DDB_PQ_SELECT);
        if (ddb_cond_eval(q.where, ITEM) != cases[i].want)
            fail_msg("%s: want %d", cases[i].where, cases[i].want);
    }
}

static void test_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *msg; /* a prefix of the message */
    } cases[] = {
        {"", "Statement wasn't well formed, can't be processed: Expected data manipulation"},
        {"SELEC * FROM t", "Statement wasn't well formed, can't be processed: Expected data"},
        {"SELECT * FROM t WHERE", "Statement wasn't well formed"},
        {"SELECT * FROM t WHERE pk = 'a", "Statement wasn't well formed, can't be processed: "
                                          "Unterminated string literal"},
        {"SELECT * FROM t x", "Statement wasn't well formed, can't be processed: Aliasing"},
        {"SELECT * FROM t WHERE pk = ?", "Number of parameters in request and statement"},
        {"SELECT * FROM t WHERE a = 1 extra", "Statement wasn't well formed, can't be processed: "
                                              "Unexpected token after expression"},
        {"INSERT INTO t VALUE [1]", "Statement wasn't well formed, can't be processed: Expected "
                                    "a tuple in VALUE"},
        {"INSERT INTO t VALUE {'a': 1, 'a': 2}", "Duplicate attribute name in a tuple: a"},
        {"INSERT INTO t VALUE {'a': <<1, 1>>}", "One or more parameter values were invalid: Input "
                                                "collection contains duplicates"},
        {"INSERT INTO t VALUE {'a': <<1, 'x'>>}", "Unsupported type passed in a set"},
        {"INSERT INTO t VALUE {'a': 1e999}", "Number overflow"},
        {"INSERT INTO t VALUE {'a': 123456789012345678901234567890123456789}",
         "Attempting to store more than 38 significant digits"},
        {"UPDATE t WHERE pk = 'a'", "Statement wasn't well formed, can't be processed: Expected "
                                    "SET or REMOVE"},
        {"UPDATE t SET a = 1 WHERE pk = 'a' RETURNING ALL *", "Statement wasn't well formed"},
        {"DELETE FROM t", "Statement wasn't well formed, can't be processed: Expected WHERE"},
        {"SELECT * FROM t WHERE EXISTS(SELECT * FROM t)", "Statement wasn't well formed, can't be "
                                                          "processed: EXISTS can only"},
        {"SELECT * FROM t WHERE a # 1", "Statement wasn't well formed, can't be processed: "
                                        "Unexpected character: #"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ddb_pq_t q;
        const char *err = NULL;
        if (ddb_pq_parse(A, kv_slice_str(cases[i].text), NULL, 0, &q, &err) == 0)
            fail_msg("parsed: %s", cases[i].text);
        if (strncmp(err, cases[i].msg, strlen(cases[i].msg)) != 0)
            fail_msg("%s: got \"%s\"", cases[i].text, err);
    }
    /* Nesting is bounded, not a stack overflow. */
    kv_buf_t deep;
    kv_buf_init(&deep, 1 << 16);
    kv_buf_append_str(&deep, "SELECT * FROM t WHERE ");
    for (int i = 0; i < 200; i++)
        kv_buf_append_str(&deep, "(");
    kv_buf_append_str(&deep, "a = 1");
    for (int i = 0; i < 200; i++)
        kv_buf_append_str(&deep, ")");
    ddb_pq_t q;
    const char *err = NULL;
    assert_int_equal(ddb_pq_parse(A, kv_buf_slice(&deep), NULL, 0, &q, &err), -1);
    assert_non_null(strstr(err, "nesting"));
    kv_buf_dispose(&deep);
}

static void test_statements(void **state)
{
    (void)state;
    eng_av_t *params[2];
    eng_item_t *p = decode_map("{\"a\":{\"S\":\"x\"},\"b\":{\"B\":\"AAE=\"}}");
    params[0] = p->attrs[0].v;
    params[1] = p->attrs[1].v;
    ddb_pq_t q;
    const char *err = NULL;
    assert_int_equal(ddb_pq_parse(A,
                                  KV_SLICE_LIT("insert into \"t\" value {'pk': ?, 'bin': ?, "
                                               "'n': -0.50, 'l': [], 'm': {}, 'q': 'it''s'};"),
                                  params, 2, &q, &err),
                     0);
    assert_int_equal(q.kind, DDB_PQ_INSERT);
    assert_true(kv_slice_eq_str(q.table, "t"));
    assert_int_equal(q.item->n, 6);
    assert_int_equal(q.item->attrs[1].v->t, ENG_AV_B);
    assert_true(kv_slice_eq_str(q.item->attrs[2].v->u.s, "-0.5")); /* canonical */
    assert_true(kv_slice_eq_str(q.item->attrs[5].v->u.s, "it's"));

    q = parse_ok("SELECT a, m.k, l[1] FROM \"t\".\"idx\" WHERE pk = 'a' ORDER BY sk DESC");
    assert_true(kv_slice_eq_str(q.index, "idx"));
    assert_int_equal(q.proj->n, 3);
    assert_int_equal(q.proj->paths[1].n, 2);
    assert_true(q.proj->paths[2].e[1].is_index);
    assert_true(q.has_order && q.desc);

    q = parse_ok(
        "UPDATE t SET a = a + 1, b = list_append(b, [1]) SET c = set_add(c, <<'x'>>) "
        "REMOVE d, e[0] SET f = if_not_exists(f, 0) WHERE pk = 'a' RETURNING MODIFIED OLD *");
    assert_int_equal(q.kind, DDB_PQ_UPDATE);
    assert_int_equal(q.update->n, 6);
    assert_int_equal(q.update->acts[0].value->kind, DDB_OP_PLUS);
    assert_int_equal(q.update->acts[2].kind, DDB_ACT_ADD);
    assert_int_equal(q.update->acts[3].kind, DDB_ACT_REMOVE);
    assert_int_equal(q.returning, DDB_PQ_RET_MODIFIED_OLD);
    ddb_expr_env_t env;
    ddb_expr_env_init(&env, A, NULL, NULL);
    eng_item_t *out;
    ddb_pq_t u = parse_ok("UPDATE t SET sk = sk - 2 SET ss = set_delete(ss, <<'r'>>) "
                          "REMOVE l[0] WHERE pk = 'a'");
    assert_int_equal(ddb_update_apply(&env, u.update, ITEM, ITEM, &out), 0);
    assert_true(kv_slice_eq_str(eng_item_get_attr(out, KV_SLICE_LIT("sk"))->u.s, "3"));
    assert_int_equal(eng_item_get_attr(out, KV_SLICE_LIT("ss"))->n, 1);
    assert_int_equal(eng_item_get_attr(out, KV_SLICE_LIT("l"))->n, 1);

    q = parse_ok("DELETE FROM t WHERE pk = 'a' AND sk = 1 RETURNING ALL OLD *");
    assert_int_equal(q.kind, DDB_PQ_DELETE);
    assert_int_equal(q.returning, DDB_PQ_RET_ALL_OLD);
    const ddb_cond_t *cj[8];
    assert_int_equal(ddb_pq_conjuncts(q.where, cj, 8), 2);

    q = parse_ok("EXISTS (SELECT * FROM t WHERE pk = 'a' AND x > 1)");
    assert_int_equal(q.kind, DDB_PQ_EXISTS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_where_semantics),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_statements),
    };
    return cmocka_run_group_tests_name("ddb_partiql", tests, setup, teardown);
}
