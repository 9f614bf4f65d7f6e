/* SPDX-License-Identifier: Apache-2.0 */
/* TLV records of catalog values: the codec, and the one table-driven decoder (eng_tlv.h). */
#include "eng_tlv.h"

#include <string.h>

#include "base/kv_err.h"

void eng_tlv_put_varint(kv_buf_t *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        tmp[n++] = (uint8_t)(c | (v ? 0x80 : 0));
    } while (v);
    kv_buf_append(b, tmp, n);
}

bool eng_tlv_get_varint(kv_slice_t *in, uint64_t *v)
{
    uint64_t r = 0;
    for (size_t i = 0; i < 10 && i < in->len; i++) {
        r |= (uint64_t)(in->p[i] & 0x7f) << (7 * i);
        if (!(in->p[i] & 0x80)) {
            in->p += i + 1;
            in->len -= i + 1;
            *v = r;
            return true;
        }
    }
    return false;
}

void eng_tlv_put(kv_buf_t *b, uint8_t tag, kv_slice_t v)
{
    kv_buf_append_byte(b, tag);
    eng_tlv_put_varint(b, v.len);
    kv_buf_append_slice(b, v);
}

void eng_tlv_put_str(kv_buf_t *b, uint8_t tag, const char *s)
{
    if (s)
        eng_tlv_put(b, tag, kv_slice_str(s));
}

void eng_tlv_put_u64(kv_buf_t *b, uint8_t tag, uint64_t v)
{
    uint8_t tmp[10];
    kv_buf_t t = {tmp, 0, sizeof(tmp), sizeof(tmp), false, true};
    eng_tlv_put_varint(&t, v);
    eng_tlv_put(b, tag, kv_slice(tmp, t.len));
}

int eng_tlv_next(kv_slice_t *in, uint8_t *tag, kv_slice_t *val)
{
    uint64_t len;
    if (in->len == 0)
        return 0;
    *tag = in->p[0];
    in->p++;
    in->len--;
    if (!eng_tlv_get_varint(in, &len) || len > in->len)
        return KV_ECORRUPT;
    *val = kv_slice(in->p, (size_t)len);
    in->p += len;
    in->len -= len;
    return 1;
}

bool eng_tlv_u64(kv_slice_t v, uint64_t *out)
{
    return eng_tlv_get_varint(&v, out) && v.len == 0;
}

/* ---- table-driven decoding ---- */

/* ENG_TLV_ENUM stores an int: enum types must be int-sized (they are, with GCC and Clang). */
_Static_assert(sizeof(eng_tlv_kind_t) == sizeof(int), "enums are int-sized");

static const eng_tlv_field_t *row_of(const eng_tlv_field_t *f, size_t n, uint8_t tag)
{
    for (size_t i = 0; i < n; i++)
        if (f[i].tag == tag)
            return &f[i];
    return NULL;
}

static size_t elem_size(const eng_tlv_field_t *r)
{
    switch (r->kind) {
    case ENG_TLV_STR_LIST:
        return sizeof(const char *);
    case ENG_TLV_PAIR_LIST:
        return sizeof(eng_tlv_pair_t);
    case ENG_TLV_LIST:
        return r->size;
    default:
        return 0; /* not a list */
    }
}

/* Store the number of the value v as the row's kind says. @return 0 or KV_ECORRUPT. */
static int put_number(const eng_tlv_field_t *r, kv_slice_t v, void *dst)
{
    uint64_t u;
    if (!eng_tlv_u64(v, &u))
        return KV_ECORRUPT;
    switch (r->kind) {
    case ENG_TLV_U64:
    case ENG_TLV_I64: /* the same bits */
        memcpy(dst, &u, sizeof(u));
        return 0;
    case ENG_TLV_U32: {
        if (u > UINT32_MAX)
            return KV_ECORRUPT;
        uint32_t x = (uint32_t)u;
        memcpy(dst, &x, sizeof(x));
        return 0;
    }
    case ENG_TLV_I32: {
        int64_t s = (int64_t)u;
        if (s < INT32_MIN || s > INT32_MAX)
            return KV_ECORRUPT;
        int32_t x = (int32_t)s;
        memcpy(dst, &x, sizeof(x));
        return 0;
    }
    case ENG_TLV_U8: {
        if (u > UINT8_MAX)
            return KV_ECORRUPT;
        uint8_t x = (uint8_t)u;
        memcpy(dst, &x, sizeof(x));
        return 0;
    }
    case ENG_TLV_BOOL: {
        bool x = u != 0;
        memcpy(dst, &x, sizeof(x));
        return 0;
    }
    default: { /* ENG_TLV_ENUM */
        if (u > r->max)
            return KV_ECORRUPT;
        int x = (int)u;
        memcpy(dst, &x, sizeof(x));
        return 0;
    }
    }
}

static int decode_pair(kv_slice_t v, kv_arena_t *a, void *dst)
{
    uint64_t kl;
    if (!eng_tlv_get_varint(&v, &kl) || kl > v.len)
        return KV_ECORRUPT;
    eng_tlv_pair_t p = {kv_arena_strndup(a, v.p, (size_t)kl),
                        kv_arena_strndup(a, v.p + kl, v.len - (size_t)kl)};
    memcpy(dst, &p, sizeof(p));
    return 0;
}

/* Decode one occurrence of row r's field into the record at base. */
static int decode_field(const eng_tlv_field_t *r, kv_slice_t v, kv_arena_t *a, char *base)
{
    void *dst = base + r->off;
    switch (r->kind) {
    case ENG_TLV_STR: {
        const char *s = kv_arena_strndup(a, v.p, v.len);
        memcpy(dst, &s, sizeof(s));
        return 0;
    }
    case ENG_TLV_BYTES: {
        kv_slice_t s = kv_arena_dup(a, v);
        memcpy(dst, &s, sizeof(s));
        return 0;
    }
    case ENG_TLV_CHARS:
        if (v.len >= r->size || (r->len && v.len != r->len))
            return KV_ECORRUPT;
        memcpy(dst, v.p, v.len);
        ((char *)dst)[v.len] = 0;
        return 0;
    case ENG_TLV_FLAG: {
        bool t = true;
        memcpy(dst, &t, sizeof(t));
        return 0;
    }
    case ENG_TLV_FN:
        return r->fn(v, a, dst) < 0 ? KV_ECORRUPT : 0;
    case ENG_TLV_STR_LIST:
    case ENG_TLV_PAIR_LIST:
    case ENG_TLV_LIST: {
        char *arr;
        size_t n;
        memcpy(&arr, dst, sizeof(arr));
        memcpy(&n, base + r->n_off, sizeof(n));
        char *el = arr + n * elem_size(r);
        int rc = 0;
        if (r->kind == ENG_TLV_STR_LIST) {
            const char *s = kv_arena_strndup(a, v.p, v.len);
            memcpy(el, &s, sizeof(s));
        } else if (r->kind == ENG_TLV_PAIR_LIST) {
            rc = decode_pair(v, a, el);
        } else {
            rc = r->fn(v, a, el) < 0 ? KV_ECORRUPT : 0;
        }
        if (rc < 0)
            return rc;
        n++;
        memcpy(base + r->n_off, &n, sizeof(n));
        return 0;
    }
    default:
        return put_number(r, v, dst);
    }
}

int eng_tlv_decode(kv_slice_t in, const eng_tlv_field_t *fields, size_t n, kv_arena_t *a, void *rec)
{
    if (n > ENG_TLV_MAX_FIELDS)
        return KV_ECORRUPT;
    char *base = rec;
    /* First pass: the framing of every field, and how often each known tag occurs. */
    size_t seen[ENG_TLV_MAX_FIELDS] = {0};
    kv_slice_t scan = in, v;
    uint8_t tag;
    int rc;
    while ((rc = eng_tlv_next(&scan, &tag, &v)) == 1) {
        const eng_tlv_field_t *r = row_of(fields, n, tag);
        if (r)
            seen[r - fields]++;
    }
    if (rc < 0)
        return KV_ECORRUPT;
    for (size_t i = 0; i < n; i++) {
        if (fields[i].required && seen[i] == 0)
            return KV_ECORRUPT;
        size_t es = elem_size(&fields[i]);
        if (es) {
            size_t cap = seen[i] + fields[i].spare, zero = 0;
            void *arr = kv_arena_calloc(a, cap ? cap : 1, es);
            memcpy(base + fields[i].off, &arr, sizeof(arr));
            memcpy(base + fields[i].n_off, &zero, sizeof(zero));
        }
    }
    /* Second pass: the values. */
    while ((rc = eng_tlv_next(&in, &tag, &v)) == 1) {
        const eng_tlv_field_t *r = row_of(fields, n, tag);
        if (r == NULL)
            continue; /* a field of a newer version */
        if (decode_field(r, v, a, base) < 0)
            return KV_ECORRUPT;
    }
    return rc < 0 ? KV_ECORRUPT : 0;
}
