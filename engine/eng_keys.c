/* SPDX-License-Identifier: Apache-2.0 */
/* Order-preserving key codec; see eng_keys.h for the byte layout. */
#include "eng_keys.h"

#include "base/kv_err.h"
#include "base/kv_hash.h"

#define NUM_NEG  0x01
#define NUM_ZERO 0x02
#define NUM_POS  0x03

eng_num_status_t eng_num_parse(kv_slice_t t, eng_num_t *out)
{
    size_t i = 0;
    int sign = 1;
    out->sign = 0;
    out->exp = 0;
    out->n_digits = 0;
    if (t.len == 0 || t.len > ENG_NUM_MAX_TEXT)
        return ENG_NUM_SYNTAX;
    if (t.p[0] == '+' || t.p[0] == '-') {
        sign = t.p[0] == '-' ? -1 : 1;
        i++;
    }
    /* Mantissa: digits, optional point, digits; at least one digit. */
    size_t n_mant = 0;
    long point_pos = -1; /* number of mantissa digits before the point */
    long lead_zeros = 0; /* zeros before the first non-zero digit */
    bool seen_nonzero = false;
    size_t n_sig = 0;         /* digits kept, counting from the first non-zero */
    long last_nonzero = -1;   /* index among significant digits */
    long first_nz_index = -1; /* mantissa index of the first non-zero digit */
    uint8_t digits[ENG_NUM_MAX_DIGITS + 1];
    for (; i < t.len; i++) {
        uint8_t c = t.p[i];
        if (c == '.') {
            if (point_pos >= 0)
                return ENG_NUM_SYNTAX;
            point_pos = (long)n_mant;
            continue;
        }
        if (c < '0' || c > '9')
            break;
        if (c != '0' && !seen_nonzero) {
            seen_nonzero = true;
            first_nz_index = (long)n_mant;
        }
        if (!seen_nonzero) {
            lead_zeros++;
        } else {
            if (c != '0')
                last_nonzero = (long)n_sig;
            if (n_sig < sizeof(digits))
                digits[n_sig] = (uint8_t)(c - '0');
            else if (c != '0')
                last_nonzero = (long)n_sig; /* beyond capacity: precision error below */
            n_sig++;
        }
        n_mant++;
    }
    if (n_mant == 0)
        return ENG_NUM_SYNTAX;
    if (point_pos < 0)
        point_pos = (long)n_mant;
    long e10 = 0;
    if (i < t.len) {
        if (t.p[i] != 'e' && t.p[i] != 'E')
            return ENG_NUM_SYNTAX;
        i++;
        int esign = 1;
        if (i < t.len && (t.p[i] == '+' || t.p[i] == '-')) {
            esign = t.p[i] == '-' ? -1 : 1;
            i++;
        }
        if (i == t.len)
            return ENG_NUM_SYNTAX;
        for (; i < t.len; i++) {
            if (t.p[i] < '0' || t.p[i] > '9')
                return ENG_NUM_SYNTAX;
            if (e10 < 100000000)
                e10 = e10 * 10 + (t.p[i] - '0');
        }
        e10 *= esign;
    }
    if (!seen_nonzero)
        return ENG_NUM_OK; /* zero, whatever its spelling */
    size_t n_keep = (size_t)last_nonzero + 1;
    if (n_keep > ENG_NUM_MAX_DIGITS)
        return ENG_NUM_PRECISION;
    (void)lead_zeros;
    /* value = 0.d1d2.. * 10^(point_pos - first_nz_index + e10) */
    long exp = point_pos - first_nz_index + e10;
    if (exp > ENG_NUM_MAX_EXP)
        return ENG_NUM_OVERFLOW;
    if (exp < ENG_NUM_MIN_EXP)
        return ENG_NUM_UNDERFLOW;
    out->sign = (int8_t)sign;
    out->exp = (int16_t)exp;
    out->n_digits = (uint8_t)n_keep;
    memcpy(out->d, digits, n_keep);
    return ENG_NUM_OK;
}

void eng_num_format(const eng_num_t *n, kv_buf_t *out)
{
    if (n->sign == 0) {
        kv_buf_append_byte(out, '0');
        return;
    }
    if (n->sign < 0)
        kv_buf_append_byte(out, '-');
    int exp = n->exp, nd = n->n_digits;
    if (exp <= 0) {
        kv_buf_append(out, "0.", 2);
        for (int i = 0; i < -exp; i++)
            kv_buf_append_byte(out, '0');
        for (int i = 0; i < nd; i++)
            kv_buf_append_byte(out, (uint8_t)('0' + n->d[i]));
    } else if (exp >= nd) {
        for (int i = 0; i < nd; i++)
            kv_buf_append_byte(out, (uint8_t)('0' + n->d[i]));
        for (int i = nd; i < exp; i++)
            kv_buf_append_byte(out, '0');
    } else {
        for (int i = 0; i < exp; i++)
            kv_buf_append_byte(out, (uint8_t)('0' + n->d[i]));
        kv_buf_append_byte(out, '.');
        for (int i = exp; i < nd; i++)
            kv_buf_append_byte(out, (uint8_t)('0' + n->d[i]));
    }
}

static int mag_cmp(const eng_num_t *a, const eng_num_t *b)
{
    if (a->exp != b->exp)
        return a->exp < b->exp ? -1 : 1;
    int n = a->n_digits < b->n_digits ? a->n_digits : b->n_digits;
    for (int i = 0; i < n; i++)
        if (a->d[i] != b->d[i])
            return a->d[i] < b->d[i] ? -1 : 1;
    return a->n_digits < b->n_digits ? -1 : (a->n_digits > b->n_digits ? 1 : 0);
}

int eng_num_cmp(const eng_num_t *a, const eng_num_t *b)
{
    if (a->sign != b->sign)
        return a->sign < b->sign ? -1 : 1;
    if (a->sign == 0)
        return 0;
    int c = mag_cmp(a, b);
    return a->sign > 0 ? c : -c;
}

/* Digit i of |n| at decimal position pos (value = sum d * 10^pos), or 0. */
static int digit_at(const eng_num_t *n, int pos)
{
    int i = n->exp - 1 - pos;
    return n->sign != 0 && i >= 0 && i < n->n_digits ? n->d[i] : 0;
}

eng_num_status_t eng_num_add(const eng_num_t *a, const eng_num_t *b, bool subtract, eng_num_t *out)
{
    int bsign = subtract ? -b->sign : b->sign;
    if (a->sign == 0 && bsign == 0) {
        memset(out, 0, sizeof(*out));
        return ENG_NUM_OK;
    }
    /* Positions from low (bottom) to high (top); at most ~300 digits across the range. */
    int top = -100000, bottom = 100000;
    const eng_num_t *xs[2] = {a, b};
    for (int k = 0; k < 2; k++) {
        if (xs[k]->sign == 0)
            continue;
        if (xs[k]->exp > top)
            top = xs[k]->exp;
        if (xs[k]->exp - xs[k]->n_digits < bottom)
            bottom = xs[k]->exp - xs[k]->n_digits;
    }
    int width = top - bottom + 1;
    int r[320];
    memset(r, 0, sizeof(r));
    /* Work on magnitudes: decide which is larger when the signs differ. */
    int cmp = 0;
    if (a->sign != 0 && bsign != 0 && a->sign != bsign) {
        for (int pos = top - 1; pos >= bottom && cmp == 0; pos--)
            cmp = digit_at(a, pos) - digit_at(b, pos);
    }
    int sign;
    if (a->sign == 0)
        sign = bsign;
    else if (bsign == 0 || a->sign == bsign)
        sign = a->sign;
    else if (cmp == 0)
        sign = 0;
    else
        sign = cmp > 0 ? a->sign : bsign;
    if (sign == 0) {
        memset(out, 0, sizeof(*out));
        return ENG_NUM_OK;
    }
    bool add = a->sign == 0 || bsign == 0 || a->sign == bsign;
    const eng_num_t *big = (!add && cmp < 0) ? b : a, *small = (!add && cmp < 0) ? a : b;
    int carry = 0;
    for (int pos = bottom, i = 0; pos <= top && i < width; pos++, i++) {
        int v;
        if (add)
            v = digit_at(a, pos) + digit_at(b, pos) + carry;
        else
            v = digit_at(big, pos) - digit_at(small, pos) + carry;
        carry = 0;
        if (v >= 10) {
            v -= 10;
            carry = 1;
        } else if (v < 0) {
            v += 10;
            carry = -1;
        }
        r[i] = v;
    }
    /* r[i] is the digit at position bottom + i; find the significant span. */
    int hi = width - 1, lo = 0;
    while (hi >= 0 && r[hi] == 0)
        hi--;
    while (lo <= hi && r[lo] == 0)
        lo++;
    if (hi < 0) {
        memset(out, 0, sizeof(*out));
        return ENG_NUM_OK;
    }
    int nd = hi - lo + 1;
    int exp = bottom + hi + 1;
    if (exp > ENG_NUM_MAX_EXP)
        return ENG_NUM_OVERFLOW;
    if (exp < ENG_NUM_MIN_EXP)
        return ENG_NUM_UNDERFLOW;
    if (nd > ENG_NUM_MAX_DIGITS)
        return ENG_NUM_PRECISION;
    out->sign = (int8_t)sign;
    out->exp = (int16_t)exp;
    out->n_digits = (uint8_t)nd;
    for (int i = 0; i < nd; i++)
        out->d[i] = (uint8_t)r[hi - i];
    return ENG_NUM_OK;
}

void eng_num_encode(const eng_num_t *n, kv_buf_t *out)
{
    if (n->sign == 0) {
        kv_buf_append_byte(out, NUM_ZERO);
        return;
    }
    uint8_t tmp[2 + ENG_NUM_MAX_DIGITS / 2 + 1];
    size_t k = 0;
    tmp[k++] = (uint8_t)(n->exp - ENG_NUM_MIN_EXP);
    for (int i = 0; i < n->n_digits; i += 2) {
        uint8_t hi = (uint8_t)(n->d[i] + 1);
        uint8_t lo = i + 1 < n->n_digits ? (uint8_t)(n->d[i + 1] + 1) : 0;
        tmp[k++] = (uint8_t)(hi << 4 | lo);
    }
    if (n->n_digits % 2 == 0)
        tmp[k++] = 0;
    if (n->sign < 0)
        for (size_t i = 0; i < k; i++)
            tmp[i] = (uint8_t)~tmp[i];
    kv_buf_append_byte(out, n->sign < 0 ? NUM_NEG : NUM_POS);
    kv_buf_append(out, tmp, k);
}

int eng_num_decode(kv_slice_t *in, eng_num_t *out)
{
    if (in->len < 1)
        return KV_ECORRUPT;
    uint8_t m = in->p[0];
    out->sign = 0;
    out->exp = 0;
    out->n_digits = 0;
    if (m == NUM_ZERO) {
        in->p++;
        in->len--;
        return 0;
    }
    if (m != NUM_NEG && m != NUM_POS)
        return KV_ECORRUPT;
    uint8_t flip = m == NUM_NEG ? 0xFF : 0x00;
    size_t i = 1;
    if (in->len < 3)
        return KV_ECORRUPT;
    int exp = (int)(uint8_t)(in->p[i++] ^ flip) + ENG_NUM_MIN_EXP;
    int nd = 0;
    for (;;) {
        if (i >= in->len)
            return KV_ECORRUPT;
        uint8_t b = in->p[i++] ^ flip;
        uint8_t hi = b >> 4, lo = b & 15;
        if (hi == 0) {
            if (lo != 0 || nd == 0)
                return KV_ECORRUPT;
            break;
        }
        if (hi > 10 || nd >= ENG_NUM_MAX_DIGITS)
            return KV_ECORRUPT;
        out->d[nd++] = (uint8_t)(hi - 1);
        if (lo == 0)
            break;
        if (lo > 10 || nd >= ENG_NUM_MAX_DIGITS)
            return KV_ECORRUPT;
        out->d[nd++] = (uint8_t)(lo - 1);
    }
    if (out->d[nd - 1] == 0 || out->d[0] == 0 || exp > ENG_NUM_MAX_EXP)
        return KV_ECORRUPT;
    out->sign = m == NUM_NEG ? -1 : 1;
    out->exp = (int16_t)exp;
    out->n_digits = (uint8_t)nd;
    in->p += i;
    in->len -= i;
    return 0;
}

void eng_key_put_bytes(kv_buf_t *out, kv_slice_t v)
{
    size_t start = 0;
    for (size_t i = 0; i < v.len; i++) {
        if (v.p[i] == 0) {
            kv_buf_append(out, v.p + start, i - start);
            kv_buf_append(out, "\x00\xff", 2);
            start = i + 1;
        }
    }
    if (v.len > start) /* v.p may be NULL for an empty slice */
        kv_buf_append(out, v.p + start, v.len - start);
    kv_buf_append(out, "\x00\x01", 2);
}

int eng_key_get_bytes(kv_slice_t *in, kv_buf_t *out)
{
    size_t i = 0, start = 0;
    while (i < in->len) {
        if (in->p[i] != 0) {
            i++;
            continue;
        }
        if (i + 1 >= in->len)
            return KV_ECORRUPT;
        kv_buf_append(out, in->p + start, i - start);
        if (in->p[i + 1] == 0x01) {
            in->p += i + 2;
            in->len -= i + 2;
            return 0;
        }
        if (in->p[i + 1] != 0xFF)
            return KV_ECORRUPT;
        kv_buf_append_byte(out, 0);
        i += 2;
        start = i;
    }
    return KV_ECORRUPT;
}

void eng_key_put_u32(kv_buf_t *out, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    kv_buf_append(out, b, 4);
}

void eng_key_put_u64(kv_buf_t *out, uint64_t v)
{
    eng_key_put_u32(out, (uint32_t)(v >> 32));
    eng_key_put_u32(out, (uint32_t)v);
}

int eng_key_get_u32(kv_slice_t *in, uint32_t *v)
{
    if (in->len < 4)
        return KV_ECORRUPT;
    *v = (uint32_t)in->p[0] << 24 | (uint32_t)in->p[1] << 16 | (uint32_t)in->p[2] << 8 | in->p[3];
    in->p += 4;
    in->len -= 4;
    return 0;
}

int eng_key_get_u64(kv_slice_t *in, uint64_t *v)
{
    uint32_t hi, lo;
    if (eng_key_get_u32(in, &hi) < 0 || eng_key_get_u32(in, &lo) < 0)
        return KV_ECORRUPT;
    *v = (uint64_t)hi << 32 | lo;
    return 0;
}

int eng_key_put_scalar(kv_buf_t *out, eng_scalar_t type, kv_slice_t v, eng_num_status_t *why)
{
    if (type == ENG_SCALAR_N) {
        eng_num_t n;
        eng_num_status_t st = eng_num_parse(v, &n);
        if (why)
            *why = st;
        if (st != ENG_NUM_OK)
            return KV_EINVAL;
        eng_num_encode(&n, out);
        return 0;
    }
    eng_key_put_bytes(out, v);
    return 0;
}

int eng_key_get_scalar(kv_slice_t *in, eng_scalar_t type, kv_buf_t *out)
{
    if (type == ENG_SCALAR_N) {
        eng_num_t n;
        int rc = eng_num_decode(in, &n);
        if (rc < 0)
            return rc;
        eng_num_format(&n, out);
        return 0;
    }
    return eng_key_get_bytes(in, out);
}

uint64_t eng_key_partition_hash(kv_slice_t pk_enc)
{
    return kv_xxh3(pk_enc.p, pk_enc.len);
}

void eng_key_table_prefix(kv_buf_t *out, uint32_t table_id)
{
    eng_key_put_u32(out, table_id);
}

void eng_key_item(kv_buf_t *out, uint32_t table_id, uint8_t index_id, kv_slice_t pk_enc,
                  kv_slice_t sk_enc)
{
    eng_key_put_u32(out, table_id);
    kv_buf_append_byte(out, index_id);
    eng_key_put_u64(out, eng_key_partition_hash(pk_enc));
    kv_buf_append_slice(out, pk_enc);
    kv_buf_append_slice(out, sk_enc);
}
