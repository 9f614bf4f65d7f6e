/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Order-preserving key encoding (private to the engine): the only code that knows the byte
 * layout of RocksDB keys. Encoded keys compare with memcmp in the same order DynamoDB
 * compares the logical values: strings and binary by unsigned bytes, numbers
 * numerically (38 significant digits, exponent range of DynamoDB).
 *
 * Layouts:
 *   S, B   bytes with 0x00 escaped as 00 FF, terminated by 00 01
 *   N      01 <inverted magnitude> (negative) | 02 (zero) | 03 <magnitude>
 *          magnitude = exponent byte (exp + 129), then digit nibbles (d + 1),
 *          ended by a zero nibble (a whole 00 byte when the digit count is even)
 *   item   u32 table id, u8 index id, u64 xxh3(encoded partition key),
 *          encoded partition key, encoded sort key (absent for hash-only)
 */
#ifndef ENG_KEYS_H
#define ENG_KEYS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/kv_buf.h"
#include "base/kv_slice.h"
#include "eng_item.h" /* eng_scalar_t, eng_num_t */

/** Append the order-preserving encoding. */
void eng_num_encode(const eng_num_t *n, kv_buf_t *out);
/** Decode one number from the front of *in, advancing it. @return 0 or KV_ECORRUPT. */
int eng_num_decode(kv_slice_t *in, eng_num_t *out);

/** Append the escaped, terminated encoding of a string or binary value. */
void eng_key_put_bytes(kv_buf_t *out, kv_slice_t v);
/** Decode an escaped value from the front of *in into out. @return 0 or KV_ECORRUPT. */
int eng_key_get_bytes(kv_slice_t *in, kv_buf_t *out);
/** Append a big-endian integer. */
void eng_key_put_u32(kv_buf_t *out, uint32_t v);
void eng_key_put_u64(kv_buf_t *out, uint64_t v);
/** Read big-endian integers from the front of *in. @return 0 or KV_ECORRUPT. */
int eng_key_get_u32(kv_slice_t *in, uint32_t *v);
int eng_key_get_u64(kv_slice_t *in, uint64_t *v);

/**
 * Append one key attribute value (text form: a string's bytes, a number's
 * text, a binary's raw bytes). Numbers are validated and normalised.
 * @return 0, or KV_EINVAL with *why set for a number that DynamoDB refuses.
 */
int eng_key_put_scalar(kv_buf_t *out, eng_scalar_t type, kv_slice_t v, eng_num_status_t *why);
/** Decode one scalar of a known type into its text form (numbers canonical). */
int eng_key_get_scalar(kv_slice_t *in, eng_scalar_t type, kv_buf_t *out);

/**
 * Build an item key. pk/sk are already-encoded scalars (eng_key_put_scalar);
 * sk may be empty for hash-only tables. The hash covers the encoded pk, so
 * equal numbers in different spellings land in one partition.
 */
void eng_key_item(kv_buf_t *out, uint32_t table_id, uint8_t index_id, kv_slice_t pk_enc,
                  kv_slice_t sk_enc);
/** Append the prefix of every key of one table (all indexes). */
void eng_key_table_prefix(kv_buf_t *out, uint32_t table_id);
/** The first 8 hash bytes of an item key's partition (for parallel scan segments). */
uint64_t eng_key_partition_hash(kv_slice_t pk_enc);

#endif
