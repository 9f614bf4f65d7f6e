/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Attribute values: size rules, equality, and the stored binary form
 * (type byte, then varint-prefixed payloads, recursively).
 */
#include "eng_item.h"

#include <stdlib.h>
#include <string.h>

#include "base/kv_alloc.h"
#include "base/kv_err.h"
#include "eng_keys.h"
#include "eng_tlv.h"

size_t eng_av_size(const eng_av_t *v)
{
    size_t n = 0;
    switch (v->t) {
    case ENG_AV_S:
    case ENG_AV_B:
        return v->u.s.len;
    case ENG_AV_N: {
        /* About one byte per two significant digits, plus one. */
        eng_num_t num;
        if (eng_num_parse(v->u.s, &num) != ENG_NUM_OK)
            return v->u.s.len;
        return (size_t)(num.n_digits + 1) / 2 + 1;
    }
    case ENG_AV_BOOL:
    case ENG_AV_NULL:
        return 1;
    case ENG_AV_M:
        n = 3;
        for (size_t i = 0; i < v->n; i++)
            n += 1 + v->u.m[i].name.len + eng_av_size(v->u.m[i].v);
        return n;
    case ENG_AV_L:
        n = 3;
        for (size_t i = 0; i < v->n; i++)
            n += 1 + eng_av_size(v->u.l[i]);
        return n;
    case ENG_AV_SS:
    case ENG_AV_BS:
        for (size_t i = 0; i < v->n; i++)
            n += v->u.set[i].len;
        return n;
    case ENG_AV_NS:
        for (size_t i = 0; i < v->n; i++) {
            eng_av_t one = {ENG_AV_N, 0, {.s = v->u.set[i]}};
            n += eng_av_size(&one);
        }
        return n;
    }
    return n;
}

size_t eng_item_size(const eng_item_t *it)
{
    size_t n = 0;
    for (size_t i = 0; i < it->n; i++)
        n += it->attrs[i].name.len + eng_av_size(it->attrs[i].v);
    return n;
}

eng_av_t *eng_item_get_attr(const eng_item_t *it, kv_slice_t name)
{
    for (size_t i = 0; it && i < it->n; i++)
        if (kv_slice_eq(it->attrs[i].name, name))
            return it->attrs[i].v;
    return NULL;
}

static bool num_eq(kv_slice_t a, kv_slice_t b)
{
    eng_num_t x, y;
    if (eng_num_parse(a, &x) != ENG_NUM_OK || eng_num_parse(b, &y) != ENG_NUM_OK)
        return kv_slice_eq(a, b);
    return eng_num_cmp(&x, &y) == 0;
}

static bool set_has(const eng_av_t *s, kv_slice_t x)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->t == ENG_AV_NS ? num_eq(s->u.set[i], x) : kv_slice_eq(s->u.set[i], x))
            return true;
    return false;
}

/* ---- sets: members ordered once, so every set operation is O(n log n) ---- */

typedef struct set_ent {
    kv_slice_t s;
    bool is_num; /* parsed: compare by value */
    eng_num_t num;
} set_ent_t;

static int bytes_cmp(kv_slice_t a, kv_slice_t b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.p, b.p, n) : 0;
    if (c)
        return c;
    return a.len < b.len ? -1 : (a.len > b.len ? 1 : 0);
}

static int ent_cmp(const void *x, const void *y)
{
    const set_ent_t *a = x, *b = y;
    if (a->is_num && b->is_num)
        return eng_num_cmp(&a->num, &b->num);
    if (a->is_num != b->is_num) /* an unparsable member sorts after every number */
        return a->is_num ? -1 : 1;
    return bytes_cmp(a->s, b->s);
}

static void ent_init(set_ent_t *e, eng_av_type_t t, kv_slice_t s)
{
    e->s = s;
    e->is_num = t == ENG_AV_NS && eng_num_parse(s, &e->num) == ENG_NUM_OK;
}

/* s's members sorted, in a kv_malloc'ed array. */
static set_ent_t *sort_set(const eng_av_t *s)
{
    set_ent_t *e = kv_malloc((s->n ? s->n : 1) * sizeof(*e));
    for (size_t i = 0; i < s->n; i++)
        ent_init(&e[i], s->t, s->u.set[i]);
    qsort(e, s->n, sizeof(*e), ent_cmp);
    return e;
}

kv_slice_t *eng_set_sorted(kv_arena_t *a, const eng_av_t *s)
{
    kv_slice_t *r = kv_arena_alloc(a, (s->n ? s->n : 1) * sizeof(*r));
    set_ent_t *e = sort_set(s);
    for (size_t i = 0; i < s->n; i++)
        r[i] = e[i].s;
    kv_free(e);
    return r;
}

bool eng_set_find(eng_av_type_t t, const kv_slice_t *sorted, size_t n, kv_slice_t x)
{
    set_ent_t key, probe;
    ent_init(&key, t, x);
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        ent_init(&probe, t, sorted[mid]);
        int c = ent_cmp(&probe, &key);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

bool eng_set_has_dups(const eng_av_t *s)
{
    if (s->n < 2)
        return false;
    set_ent_t *e = sort_set(s);
    bool dup = false;
    for (size_t i = 1; i < s->n && !dup; i++)
        dup = ent_cmp(&e[i - 1], &e[i]) == 0;
    kv_free(e);
    return dup;
}

/* Two sets of one type with n members each hold the same members. */
static bool set_equal(const eng_av_t *a, const eng_av_t *b)
{
    set_ent_t *x = sort_set(a), *y = sort_set(b);
    bool eq = true;
    for (size_t i = 0; i < a->n && eq; i++)
        eq = ent_cmp(&x[i], &y[i]) == 0;
    kv_free(x);
    kv_free(y);
    return eq;
}

static int attr_cmp(const void *x, const void *y)
{
    return bytes_cmp(((const eng_attr_t *)x)->name, ((const eng_attr_t *)y)->name);
}

/* Two maps with n members each: members paired by name (sorted copies, not a nested scan). */
static bool map_equal(const eng_av_t *a, const eng_av_t *b)
{
    size_t n = a->n;
    eng_attr_t *x = kv_malloc((n ? n : 1) * sizeof(*x) * 2), *y = x + n;
    memcpy(x, a->u.m, n * sizeof(*x));
    memcpy(y, b->u.m, n * sizeof(*y));
    qsort(x, n, sizeof(*x), attr_cmp);
    qsort(y, n, sizeof(*y), attr_cmp);
    bool eq = true;
    for (size_t i = 0; i < n && eq; i++)
        eq = kv_slice_eq(x[i].name, y[i].name) && eng_av_equal(x[i].v, y[i].v);
    kv_free(x);
    return eq;
}

/* Below this many members a nested scan is cheaper than sorting. */
#define SMALL_N 8

bool eng_av_equal(const eng_av_t *a, const eng_av_t *b)
{
    if (a->t != b->t)
        return false;
    switch (a->t) {
    case ENG_AV_S:
    case ENG_AV_B:
        return kv_slice_eq(a->u.s, b->u.s);
    case ENG_AV_N:
        return num_eq(a->u.s, b->u.s);
    case ENG_AV_BOOL:
        return a->u.b == b->u.b;
    case ENG_AV_NULL:
        return true;
    case ENG_AV_M:
        if (a->n != b->n)
            return false;
        if (a->n > SMALL_N)
            return map_equal(a, b);
        for (size_t i = 0; i < a->n; i++) {
            const eng_av_t *o = NULL;
            for (size_t j = 0; j < b->n && !o; j++)
                if (kv_slice_eq(a->u.m[i].name, b->u.m[j].name))
                    o = b->u.m[j].v;
            if (o == NULL || !eng_av_equal(a->u.m[i].v, o))
                return false;
        }
        return true;
    case ENG_AV_L:
        if (a->n != b->n)
            return false;
        for (size_t i = 0; i < a->n; i++)
            if (!eng_av_equal(a->u.l[i], b->u.l[i]))
                return false;
        return true;
    default: /* sets */
        if (a->n != b->n)
            return false;
        if (a->n > SMALL_N)
            return set_equal(a, b);
        for (size_t i = 0; i < a->n; i++)
            if (!set_has(b, a->u.set[i]))
                return false;
        return true;
    }
}

eng_av_t *eng_av_dup(kv_arena_t *a, const eng_av_t *v)
{
    eng_av_t *c = kv_arena_alloc(a, sizeof(*c));
    *c = *v;
    switch (v->t) {
    case ENG_AV_M:
        c->u.m = kv_arena_alloc(a, (v->n ? v->n : 1) * sizeof(eng_attr_t));
        for (size_t i = 0; i < v->n; i++) {
            c->u.m[i].name = v->u.m[i].name;
            c->u.m[i].v = eng_av_dup(a, v->u.m[i].v);
        }
        break;
    case ENG_AV_L:
        c->u.l = kv_arena_alloc(a, (v->n ? v->n : 1) * sizeof(eng_av_t *));
        for (size_t i = 0; i < v->n; i++)
            c->u.l[i] = eng_av_dup(a, v->u.l[i]);
        break;
    case ENG_AV_SS:
    case ENG_AV_NS:
    case ENG_AV_BS:
        c->u.set = kv_arena_alloc(a, (v->n ? v->n : 1) * sizeof(kv_slice_t));
        memcpy(c->u.set, v->u.set, v->n * sizeof(kv_slice_t));
        break;
    default:
        break;
    }
    return c;
}

/* ---- binary form ---- */

static void put_bytes(kv_buf_t *out, kv_slice_t s)
{
    eng_tlv_put_varint(out, s.len);
    kv_buf_append_slice(out, s);
}

static void encode_av(const eng_av_t *v, kv_buf_t *out)
{
    kv_buf_append_byte(out, (uint8_t)v->t);
    switch (v->t) {
    case ENG_AV_S:
    case ENG_AV_N:
    case ENG_AV_B:
        put_bytes(out, v->u.s);
        break;
    case ENG_AV_BOOL:
        kv_buf_append_byte(out, v->u.b ? 1 : 0);
        break;
    case ENG_AV_NULL:
        break;
    case ENG_AV_M:
        eng_tlv_put_varint(out, v->n);
        for (size_t i = 0; i < v->n; i++) {
            put_bytes(out, v->u.m[i].name);
            encode_av(v->u.m[i].v, out);
        }
        break;
    case ENG_AV_L:
        eng_tlv_put_varint(out, v->n);
        for (size_t i = 0; i < v->n; i++)
            encode_av(v->u.l[i], out);
        break;
    default:
        eng_tlv_put_varint(out, v->n);
        for (size_t i = 0; i < v->n; i++)
            put_bytes(out, v->u.set[i]);
    }
}

void eng_item_encode(const eng_item_t *it, kv_buf_t *out)
{
    eng_av_t m = {ENG_AV_M, it->n, {.m = it->attrs}};
    encode_av(&m, out);
}

static int get_bytes(kv_slice_t *in, kv_slice_t *out)
{
    uint64_t n;
    if (!eng_tlv_get_varint(in, &n) || n > in->len)
        return KV_ECORRUPT;
    *out = kv_slice(in->p, (size_t)n);
    in->p += n;
    in->len -= n;
    return 0;
}

static int get_count(kv_slice_t *in, size_t *n)
{
    uint64_t v;
    /* Every member takes at least one byte, which bounds the allocation. */
    if (!eng_tlv_get_varint(in, &v) || v > in->len)
        return KV_ECORRUPT;
    *n = (size_t)v;
    return 0;
}

static int decode_av(kv_slice_t *in, kv_arena_t *a, int depth, eng_av_t **out)
{
    if (in->len < 1 || depth > ENG_AV_MAX_DEPTH + 1)
        return KV_ECORRUPT;
    eng_av_t *v = kv_arena_alloc(a, sizeof(*v));
    memset(v, 0, sizeof(*v));
    v->t = (eng_av_type_t)in->p[0];
    in->p++;
    in->len--;
    int rc = 0;
    switch (v->t) {
    case ENG_AV_S:
    case ENG_AV_N:
    case ENG_AV_B:
        rc = get_bytes(in, &v->u.s);
        break;
    case ENG_AV_BOOL:
        if (in->len < 1)
            return KV_ECORRUPT;
        v->u.b = in->p[0] != 0;
        in->p++;
        in->len--;
        break;
    case ENG_AV_NULL:
        break;
    case ENG_AV_M:
        if ((rc = get_count(in, &v->n)) < 0)
            return rc;
        v->u.m = kv_arena_alloc(a, (v->n ? v->n : 1) * sizeof(eng_attr_t));
        for (size_t i = 0; i < v->n && rc == 0; i++) {
            rc = get_bytes(in, &v->u.m[i].name);
            if (rc == 0)
                rc = decode_av(in, a, depth + 1, &v->u.m[i].v);
        }
        break;
    case ENG_AV_L:
        if ((rc = get_count(in, &v->n)) < 0)
            return rc;
        v->u.l = kv_arena_alloc(a, (v->n ? v->n : 1) * sizeof(eng_av_t *));
        for (size_t i = 0; i < v->n && rc == 0; i++)
            rc = decode_av(in, a, depth + 1, &v->u.l[i]);
        break;
    case ENG_AV_SS:
    case ENG_AV_NS:
    case ENG_AV_BS:
        if ((rc = get_count(in, &v->n)) < 0)
            return rc;
        v->u.set = kv_arena_alloc(a, (v->n ? v->n : 1) * sizeof(kv_slice_t));
        for (size_t i = 0; i < v->n && rc == 0; i++)
            rc = get_bytes(in, &v->u.set[i]);
        break;
    default:
        return KV_ECORRUPT;
    }
    *out = v;
    return rc;
}

int eng_item_decode(kv_slice_t in, kv_arena_t *a, eng_item_t **out)
{
    eng_av_t *m;
    int rc = decode_av(&in, a, 0, &m);
    if (rc < 0)
        return rc;
    if (m->t != ENG_AV_M || in.len != 0)
        return KV_ECORRUPT;
    eng_item_t *it = kv_arena_alloc(a, sizeof(*it));
    it->attrs = m->u.m;
    it->n = m->n;
    *out = it;
    return 0;
}
