/* SPDX-License-Identifier: Apache-2.0 */
/* TLV record helpers for catalog values. */
#include "eng_tlv.h"

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
