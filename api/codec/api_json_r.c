/* SPDX-License-Identifier: Apache-2.0 */
/* jansson glue: the only file that includes <jansson.h>. */
#include "api_json_r.h"

#include <jansson.h>

#include "base/kv_alloc.h"
#include "base/kv_err.h"

/*
 * The memory one parse may take. jansson spends tens of bytes on every value ("1" in an array
 * costs about a hundred), so a 16 MB body of small values would otherwise decode into hundreds
 * of megabytes. While api_json_parse runs, this thread's allocations are counted against the
 * budget, and the parse fails when it runs out.
 *
 * They also come from the request's arena (a bump allocation instead of a malloc per value,
 * and nothing to walk and free afterwards: the document dies with the arena). Each block
 * carries a 16-byte header that says where it came from, so that j_free leaves arena memory
 * alone and frees what jansson allocated outside a parse (api_json_dump's buffers).
 */
static _Thread_local bool j_counting;
static _Thread_local size_t j_left;
static _Thread_local bool j_over;
static _Thread_local kv_arena_t *j_arena;

#define J_HDR        16
#define J_FROM_ARENA 0x41u
#define J_FROM_HEAP  0x48u

static void *j_malloc(size_t n)
{
    uint8_t *p;
    if (j_counting) {
        size_t cost = n + J_HDR;
        if (cost > j_left) {
            j_over = true;
            return NULL;
        }
        j_left -= cost;
        p = kv_arena_alloc(j_arena, n + J_HDR);
        p[0] = J_FROM_ARENA;
    } else {
        p = kv_malloc(n + J_HDR);
        p[0] = J_FROM_HEAP;
    }
    return p + J_HDR;
}

static void j_free(void *ptr)
{
    if (ptr == NULL)
        return;
    uint8_t *p = (uint8_t *)ptr - J_HDR;
    if (p[0] == J_FROM_HEAP)
        kv_free(p);
}

void api_json_global_init(void)
{
    json_object_seed(0);
    json_set_alloc_funcs(j_malloc, j_free);
}

/* jansson has a fixed depth limit of 2048; ours is lower, so check it here. */
static bool too_deep(json_t *v, int depth)
{
    if (depth > API_JSON_MAX_DEPTH)
        return true;
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach(v, k, c)
        {
            if (too_deep(c, depth + 1))
                return true;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c)
        {
            if (too_deep(c, depth + 1))
                return true;
        }
    }
    return false;
}

/*
 * A lower estimate of what jansson will allocate for text, from one pass over its bytes (an
 * object with its hash table takes about 330 bytes, a string about 50 plus its length, other
 * values about 40): a document far over the budget is refused before any of it is built.
 */
static size_t estimate(kv_slice_t text)
{
    size_t cost = 0;
    bool in_value = false; /* inside a number or literal */
    for (size_t i = 0; i < text.len; i++) {
        uint8_t c = text.p[i];
        if (c == '"') {
            size_t start = i++;
            while (i < text.len && text.p[i] != '"')
                i += text.p[i] == '\\' ? 2 : 1;
            cost += 48 + (i - start);
            in_value = false;
        } else if (c == '{') {
            cost += 256;
        } else if (c == '[') {
            cost += 64;
        } else if (c == ',' || c == ':' || c == '}' || c == ']' || c == ' ' || c == '\n' ||
                   c == '\r' || c == '\t') {
            in_value = false;
        } else if (!in_value) {
            cost += 32;
            in_value = true;
        }
    }
    return cost;
}

int api_json_parse(kv_arena_t *a, kv_slice_t text, api_json_t **out, const char **err)
{
    json_error_t je;
    if (estimate(text) > API_JSON_MAX_MEM) {
        *err = "The request is too large to decode";
        return KV_ETOOBIG;
    }
    j_counting = true;
    j_arena = a;
    j_left = API_JSON_MAX_MEM;
    j_over = false;
    json_t *root = json_loadb((const char *)text.p, text.len, JSON_ALLOW_NUL, &je);
    j_counting = false;
    j_arena = NULL;
    if (j_over) {
        *err = "The request is too large to decode";
        return KV_ETOOBIG;
    }
    if (root == NULL) {
        *err = kv_arena_printf(a, "%s", je.text);
        return KV_EINVAL;
    }
    /* No json_decref: every value lives in the arena. */
    if (too_deep(root, 0)) {
        *err = "Nesting too deep";
        return KV_EINVAL;
    }
    *out = (api_json_t *)root;
    return 0;
}

api_json_type_t api_json_type(const api_json_t *v)
{
    switch (json_typeof((const json_t *)v)) {
    case JSON_OBJECT:
        return API_J_OBJ;
    case JSON_ARRAY:
        return API_J_ARR;
    case JSON_STRING:
        return API_J_STR;
    case JSON_INTEGER:
        return API_J_INT;
    case JSON_REAL:
        return API_J_REAL;
    case JSON_TRUE:
    case JSON_FALSE:
        return API_J_BOOL;
    default:
        return API_J_NULL;
    }
}

api_json_t *api_json_get(const api_json_t *v, const char *key)
{
    if (v == NULL || !json_is_object((const json_t *)v))
        return NULL;
    return (api_json_t *)json_object_get((const json_t *)v, key);
}

kv_slice_t api_json_str(const api_json_t *v)
{
    const json_t *j = (const json_t *)v;
    if (!json_is_string(j))
        return KV_SLICE_NULL;
    return kv_slice(json_string_value(j), json_string_length(j));
}

bool api_json_int(const api_json_t *v, int64_t *out)
{
    const json_t *j = (const json_t *)v;
    if (json_is_integer(j)) {
        *out = (int64_t)json_integer_value(j);
        return true;
    }
    if (json_is_real(j)) {
        double d = json_real_value(j);
        if (d >= -9.2e18 && d <= 9.2e18 && d == (double)(int64_t)d) {
            *out = (int64_t)d;
            return true;
        }
    }
    return false;
}

bool api_json_num(const api_json_t *v, double *out)
{
    const json_t *j = (const json_t *)v;
    if (!json_is_number(j))
        return false;
    *out = json_number_value(j);
    return true;
}

bool api_json_bool(const api_json_t *v)
{
    return json_is_true((const json_t *)v);
}

size_t api_json_len(const api_json_t *v)
{
    const json_t *j = (const json_t *)v;
    if (json_is_array(j))
        return json_array_size(j);
    if (json_is_object(j))
        return json_object_size(j);
    return 0;
}

api_json_t *api_json_at(const api_json_t *v, size_t i)
{
    return (api_json_t *)json_array_get((const json_t *)v, i);
}

bool api_json_next(const api_json_t *obj, void **it, const char **key, api_json_t **val)
{
    json_t *o = (json_t *)(uintptr_t)obj;
    void *i = *it ? json_object_iter_next(o, *it) : json_object_iter(o);
    if (i == NULL)
        return false;
    *it = i;
    *key = json_object_iter_key(i);
    *val = (api_json_t *)json_object_iter_value(i);
    return true;
}

const char *api_json_type_name(api_json_type_t t)
{
    static const char *n[] = {"null", "boolean", "number", "number", "string", "array", "object"};
    return n[t];
}

/* ---- EventBridge (issue 14, package E): a value back to text ---- */

static int dump_cb(const char *p, size_t n, void *arg)
{
    kv_buf_append((kv_buf_t *)arg, p, n);
    return kv_buf_failed((kv_buf_t *)arg) ? -1 : 0;
}

bool api_json_dump(const api_json_t *v, kv_buf_t *out)
{
    return v && json_dump_callback((const json_t *)v, dump_cb, out,
                                   JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER) == 0;
}
