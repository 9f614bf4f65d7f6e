/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Amazon Ion text for DynamoDB's ION export and import format (issue 17): one top-level value
 * per item, `$ion_1_0 {Item:{...}}` in a full export's data files; numbers are Ion decimals,
 * binary values blobs, the set types are lists annotated `$dynamodb_SS::`, `$dynamodb_NS::`,
 * `$dynamodb_BS::`. The writer belongs to package E (ddb_ion_w.c), the reader to package I
 * (ddb_ion_r.c); each keeps to its own section below.
 */
#ifndef DDB_ION_H
#define DDB_ION_H

#include "base/kv_arena.h"
#include "base/kv_buf.h"
#include "base/kv_slice.h"
#include "eng_item.h"

/* ---- the writer (package E): its declarations below ---- */

/* ---- the reader (package I): its declarations below ---- */

#endif
