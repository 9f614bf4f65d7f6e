/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PartiQL parser: the input is a statement, parsed with three fixed parameters; when it
 * parses, its WHERE is evaluated, its projection taken and its update applied to a fixed item.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../api/ddb/ddb_int.h"
#include "../../api/ddb/ddb_partiql.h"

static kv_arena_t *g_arena;
static eng_item_t *g_item;
static eng_av_t *g_params[3];

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
        g_item = decode("{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"1\"},\"l\":{\"L\":[{\"N\":\"1\"},"
                        "{\"M\":{\"k\":{\"SS\":[\"a\"]}}}]},\"ns\":{\"NS\":[\"1\",\"2\"]}}");
        eng_item_t *p = decode("{\"a\":{\"S\":\"a\"},\"b\":{\"N\":\"2\"},\"c\":{\"SS\":[\"x\"]}}");
        for (size_t i = 0; i < 3; i++)
            g_params[i] = p->attrs[i].v;
    }
    if (size > DDB_PQ_MAX_LEN)
        return 0;
    kv_arena_t *a = kv_arena_new(4096);
    size_t n_params = size ? data[0] % 4 : 0;
    ddb_pq_t q;
    const char *err = NULL;
    if (ddb_pq_parse(a, kv_slice(data, size), g_params, n_params, &q, &err) == 0) {
        if (q.where)
            (void)ddb_cond_eval(q.where, g_item);
        if (q.proj)
            (void)ddb_project(a, g_item, q.proj);
        if (q.update) {
            ddb_expr_env_t env;
            ddb_expr_env_init(&env, a, NULL, NULL);
            eng_item_t *out;
            (void)ddb_update_apply(&env, q.update, g_item, g_item, &out);
        }
        const ddb_cond_t *cj[64];
        (void)ddb_pq_conjuncts(q.where, cj, 64);
    } else if (err == NULL) {
        abort();
    }
    kv_arena_free(a);
    return 0;
}
