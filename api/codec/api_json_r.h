/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Read-only JSON access for decoders: the document is parsed into the arena it is given and
 * lives until that arena is destroyed (nothing to free); decoders copy what they keep into
 * typed structs. api_json_r.c says what it accepts (what jansson accepted with JSON_ALLOW_NUL,
 * the reader it replaced in issue 18; tests still read the writers' output with jansson).
 */
#ifndef API_JSON_R_H
#define API_JSON_R_H

#include <stdbool.h>
#include <stdint.h>

#include "base/kv_arena.h"
#include "base/kv_buf.h"
#include "base/kv_slice.h"

typedef struct api_json api_json_t;

typedef enum api_json_type {
    API_J_NULL = 0,
    API_J_BOOL,
    API_J_INT,
    API_J_REAL,
    API_J_STR,
    API_J_ARR,
    API_J_OBJ,
} api_json_type_t;

#define API_JSON_MAX_DEPTH 100 /* 32 AttributeValue levels take two JSON levels each */
/* Memory one parse may allocate: a request's decoded tree stays bounded whatever its shape. */
#define API_JSON_MAX_MEM (96u * 1024 * 1024)

/** One-time global setup (nothing is needed now; kept for callers). */
void api_json_global_init(void);
/**
 * Parse text. @return 0, or KV_EINVAL with a message in err (valid until the
 * arena dies), or KV_ETOOBIG when the document would take more than API_JSON_MAX_MEM.
 * The result is borrowed from the arena.
 */
int api_json_parse(kv_arena_t *a, kv_slice_t text, api_json_t **out, const char **err);
api_json_type_t api_json_type(const api_json_t *v);
/** Member of an object by key, or NULL (also when v is not an object). */
api_json_t *api_json_get(const api_json_t *v, const char *key);
/** String bytes (borrowed, valid as long as the document). Empty if not a string. */
kv_slice_t api_json_str(const api_json_t *v);
bool api_json_int(const api_json_t *v, int64_t *out);
/** Any JSON number (integer or real) as a double. */
bool api_json_num(const api_json_t *v, double *out);
bool api_json_bool(const api_json_t *v);
size_t api_json_len(const api_json_t *v);
api_json_t *api_json_at(const api_json_t *v, size_t i);
/** Iterate an object: start with *it = NULL; returns false at the end. */
bool api_json_next(const api_json_t *obj, void **it, const char **key, api_json_t **val);
/** Name of a type for messages ("string", "object", ...). */
const char *api_json_type_name(api_json_type_t t);

/** Append v as compact JSON text to out (issue 14: EventBridge's InputPath and stored targets).
 * @return false when out is full. */
bool api_json_dump(const api_json_t *v, kv_buf_t *out);

#endif
