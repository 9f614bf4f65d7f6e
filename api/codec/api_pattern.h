/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EventBridge event patterns (shared by Lambda FilterCriteria, EventBridge rules and SNS filter
 * policies): a pattern's JSON text is compiled once into a tree matched against parsed events
 * (api_json_t) without re-parsing. Invalid patterns are refused with EventBridge's
 * InvalidEventPatternException reasons.
 */
#ifndef API_PATTERN_H
#define API_PATTERN_H

#include <stdbool.h>

#include "base/kv_arena.h"
#include "base/kv_slice.h"
#include "codec/api_json_r.h"

/* Limits checked before allocation: Lambda's Filter.Pattern is at most 4096 characters. */
#define API_PAT_MAX_LEN    4096
#define API_PAT_MAX_DEPTH  32   /* nested objects and $or levels */
#define API_PAT_MAX_VALUES 1000 /* match values in one pattern */

typedef struct api_pattern api_pattern_t;

/* Options of api_pattern_compile. */
enum {
    API_PAT_NUMSTR = 1, /* numeric rules also match strings holding numbers (DynamoDB "N") */
};

/**
 * Compile pattern text into a (arena-owned). @return 0, or KV_EINVAL with *err set to
 * "Event pattern is not valid. Reason: ..." (arena-owned).
 */
int api_pattern_compile(kv_arena_t *a, kv_slice_t text, unsigned opts, api_pattern_t **out,
                        const char **err);
/** Does the event (a parsed JSON object) match the compiled pattern? */
bool api_pattern_match(const api_pattern_t *p, const api_json_t *event);

#endif
