/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tag-length-value records for catalog entries: a version byte, then fields
 * (u8 tag, varint length, bytes). Readers skip unknown tags, so new fields can
 * be added without rewriting stored definitions.
 */
#ifndef ENG_TLV_H
#define ENG_TLV_H

#include <stdbool.h>
#include <stdint.h>

#include "base/kv_buf.h"
#include "base/kv_slice.h"

void eng_tlv_put_varint(kv_buf_t *b, uint64_t v);
bool eng_tlv_get_varint(kv_slice_t *in, uint64_t *v);
void eng_tlv_put(kv_buf_t *b, uint8_t tag, kv_slice_t v);
void eng_tlv_put_str(kv_buf_t *b, uint8_t tag, const char *s);
void eng_tlv_put_u64(kv_buf_t *b, uint8_t tag, uint64_t v);

/** Read the next field from *in. @return 1 with tag and value, 0 at the end, KV_ECORRUPT. */
int eng_tlv_next(kv_slice_t *in, uint8_t *tag, kv_slice_t *val);
/** Decode a field value written by eng_tlv_put_u64. */
bool eng_tlv_u64(kv_slice_t v, uint64_t *out);

#endif
