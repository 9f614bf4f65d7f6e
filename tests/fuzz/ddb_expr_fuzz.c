/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Expression parser and evaluator: the first byte picks condition, update or
 * projection; the rest is the expression, parsed with fixed placeholder
 * tables and, when it parses, evaluated or applied to a fixed item.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../api/ddb/ddb_int.h"

static kv_arena_t *g_arena;
static eng_item_t *g_item;
static eng_item_t *g_values;
static api_json_t *g_names;

static eng_item_t *decode(const char *json)
{
    api_json_t *j;
    const char *err;
    if (api_json_parse(g_arena, kv_slice_str(json), &j, &err) != 0)
        abort();
    ddb_dec_t d;
    memset(&d, 0, sizeof(d));
    d.a = g_arena;
    eng_item_t *it;
    if (ddb_item_decode(&d, j, &it) != 0)
        abort();
    return it;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (g_arena == NULL) {
        api_json_global_init();
        g_arena = kv_arena_new(1 << 16);
        g_item =
            decode("{\"a\":{\"N\":\"1\"},\"s\":{\"S\":\"x\"},\"l\":{\"L\":[{\"N\":\"1\"},"
                   "{\"M\":{\"k\":{\"SS\":[\"a\"]}}}]},\"m\":{\"M\":{\"n\":{\"NS\":[\"1\"]}}}}");
        g_values = decode("{\":v\":{\"N\":\"2\"},\":s\":{\"S\":\"x\"},\":l\":{\"L\":[]},"
                          "\":ss\":{\"SS\":[\"a\",\"b\"]},\":t\":{\"S\":\"N\"}}");
        const char *err;
        if (api_json_parse(g_arena, KV_SLICE_LIT("{\"#a\":\"a\",\"#b\":\"b.c\"}"), &g_names, &err))
            abort();
    }
    if (size < 1)
        return 0;
    kv_arena_t *a = kv_arena_new(4096);
    ddb_expr_env_t env;
    ddb_expr_env_init(&env, a, g_names, g_values);
    kv_slice_t text = kv_slice(data + 1, size - 1);
    switch (data[0] % 3) {
    case 0: {
        ddb_cond_t *c;
        if (ddb_cond_parse(&env, "ConditionExpression", text, &c) == 0)
            ddb_cond_eval(c, g_item);
        else if (env.error == NULL)
            abort(); /* a refusal always explains itself */
        break;
    }
    case 1: {
        ddb_update_t *u;
        eng_item_t *out;
        if (ddb_update_parse(&env, text, &u) == 0 &&
            ddb_update_apply(&env, u, g_item, NULL, &out) == 0)
            eng_item_size(out);
        break;
    }
    default: {
        ddb_projection_t *p;
        if (ddb_projection_parse(&env, text, &p) == 0)
            ddb_project(a, g_item, p);
    }
    }
    kv_arena_free(a);
    return 0;
}
