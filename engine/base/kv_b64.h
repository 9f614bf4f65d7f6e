/* SPDX-License-Identifier: Apache-2.0 */
/* Standard base64 (RFC 4648, with padding). */
#ifndef KV_B64_H
#define KV_B64_H

#include <stdbool.h>

#include "kv_buf.h"

void kv_b64_encode(kv_buf_t *out, const uint8_t *p, size_t n);
/** Strict decode (padding required, no whitespace). @return false on bad input. */
bool kv_b64_decode(kv_buf_t *out, kv_slice_t in);

#endif
