/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AttributeValue JSON <-> typed engine values, with DynamoDB's validation:
 * exactly one type per value, numbers normalised (38 digits, exponent range),
 * sets non-empty and without duplicates, nesting at most 32 levels.
 */
#include <string.h>

#include "base/kv_b64.h"
#include "ddb_int.h"

static const char *num_error(eng_num_status_t st)
{
    switch (st) {
    case ENG_NUM_PRECISION:
        return "Attempting to store more than 38 significant digits in a Number";
    case ENG_NUM_OVERFLOW:
        return "Number overflow. Attempting to store a number with magnitude larger than "
               "supported range";
    case ENG_NUM_UNDERFLOW:
        return "Number underflow. Attempting to store a number with magnitude smaller than "
               "supported range";
    default:
        return NULL;
    }
}

/* Normalise a number's text into the arena. */
static int decode_num(ddb_dec_t *d, kv_slice_t text, kv_slice_t *out)
{
    eng_num_t n;
    eng_num_status_t st = eng_num_parse(text, &n);
    if (st == ENG_NUM_SYNTAX)
        return ddb_dec_fail(d, "The parameter cannot be converted to a numeric value: %.*s",
                            (int)(text.len > 100 ? 100 : text.len), (const char *)text.p);
    if (st != ENG_NUM_OK)
        return ddb_dec_fail(d, "%s", num_error(st));
    uint8_t mem[200];
    kv_buf_t b;
    kv_buf_init_on(&b, mem, sizeof(mem), 1024);
    eng_num_format(&n, &b);
    *out = kv_arena_dup(d->a, kv_buf_slice(&b));
    kv_buf_dispose(&b);
    return 0;
}

static int decode_b64(ddb_dec_t *d, const api_json_t *j, kv_slice_t *out)
{
    if (api_json_type(j) != API_J_STR) {
        ddb_dec_serial(d, "Expected a base64-encoded string for a binary value");
        return -1;
    }
    kv_slice_t s = api_json_str(j);
    kv_buf_t b;
    kv_buf_init(&b, s.len + 4);
    bool ok = kv_b64_decode(&b, s);
    if (ok)
        *out = kv_arena_dup(d->a, kv_buf_slice(&b));
    kv_buf_dispose(&b);
    if (!ok) {
        ddb_dec_serial(d, "Base64 encoded value is not valid");
        return -1;
    }
    return 0;
}

static int want_str(ddb_dec_t *d, const api_json_t *j, kv_slice_t *out)
{
    if (api_json_type(j) != API_J_STR) {
        ddb_dec_serial(d, api_json_type(j) == API_J_OBJ
                              ? "Start of structure or map found where not expected."
                              : "Expected a string value");
        return -1;
    }
    *out = api_json_str(j);
    return 0;
}

static int decode_set(ddb_dec_t *d, const api_json_t *j, eng_av_t *v)
{
    static const char *names[] = {"string", "number", "binary"};
    const char *kind = names[v->t - ENG_AV_SS];
    if (api_json_type(j) != API_J_ARR) {
        ddb_dec_serial(d, "Expected a list for a set value");
        return -1;
    }
    size_t n = api_json_len(j);
    if (n == 0)
        return ddb_dec_fail(d,
                            "One or more parameter values were invalid: An %s set  may not be "
                            "empty",
                            kind);
    v->n = n;
    v->u.set = kv_arena_calloc(d->a, n, sizeof(kv_slice_t));
    size_t size = 0;
    for (size_t i = 0; i < n; i++) {
        const api_json_t *e = api_json_at(j, i);
        int rc;
        if (v->t == ENG_AV_BS) {
            rc = decode_b64(d, e, &v->u.set[i]);
        } else {
            kv_slice_t s = KV_SLICE_NULL;
            rc = want_str(d, e, &s);
            if (rc == 0 && v->t == ENG_AV_NS)
                rc = decode_num(d, s, &s);
            v->u.set[i] = s;
        }
        if (rc < 0)
            return -1;
        eng_av_t one = {v->t == ENG_AV_NS ? ENG_AV_N : ENG_AV_S, 0, {.s = v->u.set[i]}};
        size += eng_av_size(&one);
        /* No item holds a bigger set: refuse it before sorting it. */
        if (size > ENG_ITEM_MAX_BYTES)
            return ddb_dec_fail(d, "Item size has exceeded the maximum allowed size");
    }
    /* Duplicates, by sorting (numbers compare by value). */
    if (eng_set_has_dups(v)) {
        kv_buf_t b;
        kv_buf_init(&b, 4096);
        for (size_t m = 0; m < n && m < 20; m++) {
            if (m)
                kv_buf_append_str(&b, ", ");
            if (v->t == ENG_AV_BS)
                kv_b64_encode(&b, v->u.set[m].p, v->u.set[m].len);
            else
                kv_buf_append_slice(&b, v->u.set[m]);
        }
        ddb_dec_fail(d,
                     "One or more parameter values were invalid: Input collection [%.*s] "
                     "contains duplicates.",
                     (int)b.len, (const char *)b.p);
        kv_buf_dispose(&b);
        return -1;
    }
    return 0;
}

int ddb_av_decode(ddb_dec_t *d, const api_json_t *j, int depth, eng_av_t **out)
{
    if (depth > ENG_AV_MAX_DEPTH)
        return ddb_dec_fail(d, "Nesting Levels have exceeded supported limits");
    if (api_json_type(j) != API_J_OBJ) {
        ddb_dec_serial(d, "Expected an AttributeValue object");
        return -1;
    }
    static const struct {
        const char *key;
        eng_av_type_t t;
    } types[] = {{"S", ENG_AV_S},       {"N", ENG_AV_N},  {"B", ENG_AV_B}, {"BOOL", ENG_AV_BOOL},
                 {"NULL", ENG_AV_NULL}, {"M", ENG_AV_M},  {"L", ENG_AV_L}, {"SS", ENG_AV_SS},
                 {"NS", ENG_AV_NS},     {"BS", ENG_AV_BS}};
    const api_json_t *val = NULL;
    eng_av_type_t t = 0;
    int found = 0;
    for (size_t i = 0; i < sizeof(types) / sizeof(*types); i++) {
        const api_json_t *x = api_json_get(j, types[i].key);
        if (x && api_json_type(x) != API_J_NULL) {
            found++;
            val = x;
            t = types[i].t;
        }
    }
    if (found == 0)
        return ddb_dec_fail(d, "Supplied AttributeValue is empty, must contain exactly one of the "
                               "supported datatypes");
    if (found > 1)
        return ddb_dec_fail(d, "Supplied AttributeValue has more than one datatypes set, must "
                               "contain exactly one of the supported datatypes");
    eng_av_t *v = kv_arena_calloc(d->a, 1, sizeof(*v));
    v->t = t;
    int rc = 0;
    switch (t) {
    case ENG_AV_S:
        rc = want_str(d, val, &v->u.s);
        break;
    case ENG_AV_N: {
        kv_slice_t s;
        rc = want_str(d, val, &s);
        if (rc == 0)
            rc = decode_num(d, s, &v->u.s);
        break;
    }
    case ENG_AV_B:
        rc = decode_b64(d, val, &v->u.s);
        break;
    case ENG_AV_BOOL:
        if (api_json_type(val) != API_J_BOOL) {
            ddb_dec_serial(d, "Expected a boolean value");
            rc = -1;
        }
        v->u.b = api_json_bool(val);
        break;
    case ENG_AV_NULL:
        if (api_json_type(val) != API_J_BOOL) {
            ddb_dec_serial(d, "Expected a boolean value");
            rc = -1;
        } else if (!api_json_bool(val)) {
            rc = ddb_dec_fail(d, "One or more parameter values were invalid: Null attribute value "
                                 "types must have the value of true");
        }
        break;
    case ENG_AV_M: {
        if (api_json_type(val) != API_J_OBJ) {
            ddb_dec_serial(d, "Expected a map value");
            return -1;
        }
        v->n = api_json_len(val);
        v->u.m = kv_arena_calloc(d->a, v->n ? v->n : 1, sizeof(eng_attr_t));
        void *it = NULL;
        const char *k;
        api_json_t *x;
        size_t i = 0;
        while (rc == 0 && api_json_next(val, &it, &k, &x)) {
            v->u.m[i].name = kv_arena_dup(d->a, kv_slice_str(k));
            rc = ddb_av_decode(d, x, depth + 1, &v->u.m[i].v);
            i++;
        }
        break;
    }
    case ENG_AV_L:
        if (api_json_type(val) != API_J_ARR) {
            ddb_dec_serial(d, "Expected a list value");
            return -1;
        }
        v->n = api_json_len(val);
        v->u.l = kv_arena_calloc(d->a, v->n ? v->n : 1, sizeof(eng_av_t *));
        for (size_t i = 0; rc == 0 && i < v->n; i++)
            rc = ddb_av_decode(d, api_json_at(val, i), depth + 1, &v->u.l[i]);
        break;
    default:
        rc = decode_set(d, val, v);
    }
    if (rc < 0)
        return -1;
    *out = v;
    return 0;
}

int ddb_item_decode(ddb_dec_t *d, const api_json_t *j, eng_item_t **out)
{
    if (api_json_type(j) != API_J_OBJ) {
        ddb_dec_serial(d, "Expected a map of attribute values");
        return -1;
    }
    eng_item_t *it = kv_arena_calloc(d->a, 1, sizeof(*it));
    it->n = api_json_len(j);
    it->attrs = kv_arena_calloc(d->a, it->n ? it->n : 1, sizeof(eng_attr_t));
    void *iter = NULL;
    const char *k;
    api_json_t *x;
    size_t i = 0;
    while (api_json_next(j, &iter, &k, &x)) {
        it->attrs[i].name = kv_arena_dup(d->a, kv_slice_str(k));
        if (ddb_av_decode(d, x, 1, &it->attrs[i].v) < 0)
            return -1;
        i++;
    }
    *out = it;
    return 0;
}

static void encode_b64(api_jw_t *w, kv_slice_t s)
{
    kv_buf_t b;
    kv_buf_init(&b, SIZE_MAX);
    kv_b64_encode(&b, s.p, s.len);
    api_jw_str(w, kv_buf_slice(&b));
    kv_buf_dispose(&b);
}

void ddb_av_encode(api_jw_t *w, const eng_av_t *v)
{
    static const char *keys[] = {"", "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"};
    api_jw_obj_begin(w);
    api_jw_key(w, keys[v->t]);
    switch (v->t) {
    case ENG_AV_S:
    case ENG_AV_N:
        api_jw_str(w, v->u.s);
        break;
    case ENG_AV_B:
        encode_b64(w, v->u.s);
        break;
    case ENG_AV_BOOL:
        api_jw_bool(w, v->u.b);
        break;
    case ENG_AV_NULL:
        api_jw_bool(w, true);
        break;
    case ENG_AV_M:
        api_jw_obj_begin(w);
        for (size_t i = 0; i < v->n; i++) {
            api_jw_key_slice(w, v->u.m[i].name);
            ddb_av_encode(w, v->u.m[i].v);
        }
        api_jw_obj_end(w);
        break;
    case ENG_AV_L:
        api_jw_arr_begin(w);
        for (size_t i = 0; i < v->n; i++)
            ddb_av_encode(w, v->u.l[i]);
        api_jw_arr_end(w);
        break;
    default:
        api_jw_arr_begin(w);
        for (size_t i = 0; i < v->n; i++) {
            if (v->t == ENG_AV_BS)
                encode_b64(w, v->u.set[i]);
            else
                api_jw_str(w, v->u.set[i]);
        }
        api_jw_arr_end(w);
    }
    api_jw_obj_end(w);
}

void ddb_item_encode(api_jw_t *w, const eng_item_t *it)
{
    api_jw_obj_begin(w);
    for (size_t i = 0; i < it->n; i++) {
        api_jw_key_slice(w, it->attrs[i].name);
        ddb_av_encode(w, it->attrs[i].v);
    }
    api_jw_obj_end(w);
}
