/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Order-preserving key encoding: the only code that knows the byte layout of
 * RocksDB keys. Encoded keys compare with memcmp in the same order DynamoDB
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

#define ENG_NUM_MAX_DIGITS 38
#define ENG_NUM_MIN_EXP    (-129) /* 0.1e-129 == 1E-130 */
#define ENG_NUM_MAX_EXP    126    /* 0.999..e126 < 1E126 */
#define ENG_NUM_MAX_TEXT   4096   /* longest numeric string accepted for parsing */

/** Scalar types that can form a key. */
typedef enum eng_scalar {
    ENG_SCALAR_S = 1,
    ENG_SCALAR_N = 2,
    ENG_SCALAR_B = 3,
} eng_scalar_t;

/** A DynamoDB number: sign * 0.d[0]d[1]...d[n-1] * 10^exp, normalised (no
 * leading or trailing zero digits; zero has sign 0 and no digits). */
typedef struct eng_num {
    int8_t sign;
    int16_t exp;
    uint8_t n_digits;
    uint8_t d[ENG_NUM_MAX_DIGITS];
} eng_num_t;

/** Why a numeric string was refused. */
typedef enum eng_num_status {
    ENG_NUM_OK = 0,
    ENG_NUM_SYNTAX,    /* not a number */
    ENG_NUM_PRECISION, /* more than 38 significant digits */
    ENG_NUM_OVERFLOW,  /* magnitude too large */
    ENG_NUM_UNDERFLOW, /* magnitude too small */
} eng_num_status_t;

/** Parse and normalise a DynamoDB number ("-1.5E+3", "0010", ".5"). */
eng_num_status_t eng_num_parse(kv_slice_t text, eng_num_t *out);
/** Append the canonical decimal text ("1", "-0.05", "1500"), as DynamoDB returns it. */
void eng_num_format(const eng_num_t *n, kv_buf_t *out);
/**
 * Exact decimal a + b (or a - b when subtract). @return ENG_NUM_OK, or
 * ENG_NUM_PRECISION / OVERFLOW / UNDERFLOW when the result does not fit.
 */
eng_num_status_t eng_num_add(const eng_num_t *a, const eng_num_t *b, bool subtract, eng_num_t *out);
/** Numeric comparison: <0, 0, >0. */
int eng_num_cmp(const eng_num_t *a, const eng_num_t *b);
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
