/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PartiQL for DynamoDB: a parser of the statements DynamoDB accepts (SELECT, INSERT, UPDATE,
 * DELETE, and EXISTS in transactions) into the same typed trees the expression parameters
 * produce (conditions, updates, projections, items), so every statement runs through the
 * ordinary item operations.
 */
#ifndef DDB_PARTIQL_H
#define DDB_PARTIQL_H

#include "ddb_expr.h"

#define DDB_PQ_MAX_LEN    8192 /* characters of a statement */
#define DDB_PQ_MAX_PARAMS 1000

typedef enum ddb_pq_kind {
    DDB_PQ_SELECT = 1,
    DDB_PQ_INSERT,
    DDB_PQ_UPDATE,
    DDB_PQ_DELETE,
    DDB_PQ_EXISTS, /* EXISTS(SELECT ...) in a transaction: a condition check */
} ddb_pq_kind_t;

typedef enum ddb_pq_returning {
    DDB_PQ_RET_NONE = 0,
    DDB_PQ_RET_ALL_OLD,
    DDB_PQ_RET_MODIFIED_OLD,
    DDB_PQ_RET_ALL_NEW,
    DDB_PQ_RET_MODIFIED_NEW,
} ddb_pq_returning_t;

typedef struct ddb_pq {
    ddb_pq_kind_t kind;
    kv_slice_t table;
    kv_slice_t index;       /* SELECT FROM "table"."index" */
    ddb_projection_t *proj; /* SELECT list; NULL for * */
    ddb_cond_t *where;      /* NULL without WHERE */
    bool has_order, desc;   /* ORDER BY key [ASC|DESC] */
    kv_slice_t order_key;
    eng_item_t *item;     /* INSERT ... VALUE {...} */
    ddb_update_t *update; /* UPDATE's SET and REMOVE clauses */
    ddb_pq_returning_t returning;
} ddb_pq_t;

/**
 * Parse one statement, binding the `?` placeholders to params in order. Everything lives in
 * arena a. @return 0, or -1 with *err set to the ValidationException message.
 */
int ddb_pq_parse(kv_arena_t *a, kv_slice_t text, eng_av_t *const *params, size_t n_params,
                 ddb_pq_t *out, const char **err);

/** The top-level AND terms of a condition (at most cap of them). @return their count. */
size_t ddb_pq_conjuncts(const ddb_cond_t *c, const ddb_cond_t **out, size_t cap);

#endif
