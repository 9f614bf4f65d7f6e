/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The query protocol's codec (api_query.c): the input is a form body, parsed and decoded by a
 * shape with every kind (scalars, integers, booleans, lists and maps flat and not, nested
 * structures), as SNS's PublishBatch and SQS's SendMessageBatch nest them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/kv_arena.h"
#include "codec/api_json_r.h"
#include "codec/api_query.h"

static const api_qshape_t mav_f[] = {
    {.name = "DataType"}, {.name = "StringValue"}, {.name = "BinaryValue"}};
static const api_qshape_t mav = {.kind = API_Q_STRUCT, .fields = mav_f, .n_fields = 3};
static const api_qshape_t ent_f[] = {
    {.name = "Id"},
    {.name = "Count", .kind = API_Q_INT},
    {.name = "MessageAttributes", .kind = API_Q_MAP, .item = "Name", .val = "Value", .elem = &mav},
    {.name = "MessageAttribute", .kind = API_Q_MAP, .flat = true, .elem = &mav},
};
static const api_qshape_t ent = {.kind = API_Q_STRUCT, .fields = ent_f, .n_fields = 4};
static const api_qshape_t op_f[] = {
    {.name = "Name"},
    {.name = "On", .kind = API_Q_BOOL},
    {.name = "Attributes", .kind = API_Q_MAP},
    {.name = "Tags", .wire = "Tag", .kind = API_Q_MAP, .flat = true, .item = "Key"},
    {.name = "Keys", .kind = API_Q_LIST},
    {.name = "Names", .wire = "Name", .kind = API_Q_LIST, .flat = true},
    {.name = "Entries", .kind = API_Q_LIST, .elem = &ent},
    {.name = "Flat", .kind = API_Q_LIST, .flat = true, .elem = &ent},
};
static const api_qshape_t op = {.kind = API_Q_STRUCT, .fields = op_f, .n_fields = 8};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool init;
    if (!init) {
        api_json_global_init();
        init = true;
    }
    kv_arena_t *a = kv_arena_new(4096);
    api_query_t q;
    api_json_t *doc;
    const char *err;
    if (api_query_parse(a, kv_slice(data, size), &q, &err) == 0)
        (void)api_query_decode(a, &q, &op, &doc, &err);
    kv_arena_free(a);
    return 0;
}
