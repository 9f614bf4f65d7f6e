/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DynamoDB expressions: a lexer and recursive-descent parser for condition,
 * filter, key-condition, update and projection expressions, and one typed
 * evaluator over engine items. Placeholders (#name, :value) are resolved at
 * parse time and their use tracked, so unused ones can be reported.
 */
#ifndef DDB_EXPR_H
#define DDB_EXPR_H

#include <stdbool.h>

#include "../codec/api_json_r.h"
#include "eng.h"

#define DDB_EXPR_MAX_LEN   4096 /* bytes of one expression */
#define DDB_EXPR_MAX_OPS   300  /* operators and functions in one expression */
#define DDB_EXPR_MAX_DEPTH 64   /* parenthesis and path nesting */
#define DDB_EXPR_MAX_IN    100  /* operands of IN */
#define DDB_PATH_MAX_ELEMS 33

typedef struct ddb_path_elem {
    bool is_index;
    kv_slice_t name;
    uint32_t index;
} ddb_path_elem_t;

typedef struct ddb_path {
    ddb_path_elem_t *e;
    size_t n;
} ddb_path_t;

typedef enum ddb_operand_kind {
    DDB_OP_PATH = 1,
    DDB_OP_VALUE,
    DDB_OP_SIZE,
    DDB_OP_IF_NOT_EXISTS,
    DDB_OP_LIST_APPEND,
    DDB_OP_PLUS,
    DDB_OP_MINUS,
} ddb_operand_kind_t;

typedef struct ddb_operand {
    ddb_operand_kind_t kind;
    ddb_path_t path;       /* PATH, SIZE, IF_NOT_EXISTS */
    const eng_av_t *value; /* VALUE */
    struct ddb_operand *a, *b;
} ddb_operand_t;

typedef enum ddb_cond_kind {
    DDB_C_CMP = 1,
    DDB_C_BETWEEN,
    DDB_C_IN,
    DDB_C_EXISTS,
    DDB_C_NOT_EXISTS,
    DDB_C_TYPE,
    DDB_C_BEGINS,
    DDB_C_CONTAINS,
    DDB_C_AND,
    DDB_C_OR,
    DDB_C_NOT,
} ddb_cond_kind_t;

typedef enum ddb_cmp { DDB_EQ = 1, DDB_NE, DDB_LT, DDB_LE, DDB_GT, DDB_GE } ddb_cmp_t;

typedef struct ddb_cond {
    ddb_cond_kind_t kind;
    ddb_cmp_t cmp;
    ddb_operand_t *a, *b, *c;
    ddb_operand_t **list;
    size_t n_list;
    struct ddb_cond *l, *r;
} ddb_cond_t;

typedef enum ddb_action_kind {
    DDB_ACT_SET = 1,
    DDB_ACT_REMOVE,
    DDB_ACT_ADD,
    DDB_ACT_DELETE
} ddb_action_kind_t;

typedef struct ddb_action {
    ddb_action_kind_t kind;
    ddb_path_t path;
    ddb_operand_t *value; /* SET, ADD, DELETE */
} ddb_action_t;

typedef struct ddb_update {
    ddb_action_t *acts;
    size_t n;
} ddb_update_t;

typedef struct ddb_projection {
    ddb_path_t *paths;
    size_t n;
} ddb_projection_t;

/** Placeholder tables shared by every expression of one request. */
typedef struct ddb_expr_env {
    kv_arena_t *a;
    const api_json_t *names;  /* ExpressionAttributeNames (object) or NULL */
    const eng_item_t *values; /* ExpressionAttributeValues or NULL */
    bool *names_used;         /* parallel to the names object's iteration order */
    bool *values_used;        /* parallel to values->attrs */
    size_t n_names;
    struct ddb_ph *names_ix; /* names and values sorted by placeholder, built on first use */
    struct ddb_ph *values_ix;
    const char *error; /* the first error message, for a ValidationException */
} ddb_expr_env_t;

/** Prepare an environment (names may be NULL; values may be NULL). */
void ddb_expr_env_init(ddb_expr_env_t *env, kv_arena_t *a, const api_json_t *names,
                       const eng_item_t *values);
/** After every expression is parsed: report unused placeholders. @return 0 or -1 (env->error). */
int ddb_expr_env_check_unused(ddb_expr_env_t *env);

/** Parse a condition (ConditionExpression, FilterExpression, KeyConditionExpression). */
int ddb_cond_parse(ddb_expr_env_t *env, const char *what, kv_slice_t text, ddb_cond_t **out);
int ddb_update_parse(ddb_expr_env_t *env, kv_slice_t text, ddb_update_t **out);
int ddb_projection_parse(ddb_expr_env_t *env, kv_slice_t text, ddb_projection_t **out);

/** Evaluate a condition against an item (NULL: no item). */
bool ddb_cond_eval(const ddb_cond_t *c, const eng_item_t *item);
/** Resolve a document path in an item, or NULL. */
const eng_av_t *ddb_path_get(const eng_item_t *item, const ddb_path_t *p);
/**
 * Apply an update to a copy of old (NULL: a new item holding only key attrs
 * from key). *out is in arena a. @return 0, or -1 with env->error.
 */
int ddb_update_apply(ddb_expr_env_t *env, const ddb_update_t *u, const eng_item_t *old,
                     const eng_item_t *key, eng_item_t **out);
/** The projection of an item (paths that do not exist are left out). */
eng_item_t *ddb_project(kv_arena_t *a, const eng_item_t *item, const ddb_projection_t *p);
/** True for DynamoDB's reserved words (any case). */
bool ddb_is_reserved_word(kv_slice_t word);
/** Format a path as DynamoDB prints it in messages ("[a, b, [0]]"). */
void ddb_path_format(const ddb_path_t *p, kv_buf_t *out);

#endif
