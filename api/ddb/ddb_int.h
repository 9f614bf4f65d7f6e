/* SPDX-License-Identifier: Apache-2.0 */
/* Typed inputs and outputs of the DynamoDB operations, shared by the ddb_ files. */
#ifndef DDB_INT_H
#define DDB_INT_H

#include "../api_int.h"
#include "../codec/api_json_r.h"
#include "../codec/api_jw.h"

/** Decoding context: collects DynamoDB-style validation messages. */
typedef struct ddb_dec {
    api_req_t *req;
    api_resp_t *resp;
    kv_arena_t *a;
    int n_errors;
    kv_buf_t errors; /* "Value ... ; Value ..." */
    bool serialization;
    const char *ser_msg;
    const char *fail_msg; /* first semantic ValidationException message */
} ddb_dec_t;

/** Record a ValidationException message (the first one wins). @return -1. */
int ddb_dec_fail(ddb_dec_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Record a SerializationException (the first one wins). */
void ddb_dec_serial(ddb_dec_t *d, const char *msg);
/** Turn what the decoder recorded into the response error. @return 0 when clean, -1 otherwise. */
int ddb_dec_finish(ddb_dec_t *d);

/* ddb_av.c: AttributeValue JSON <-> typed values */
/** Decode one AttributeValue. @return 0 or -1 (error recorded in d). */
int ddb_av_decode(ddb_dec_t *d, const api_json_t *j, int depth, eng_av_t **out);
/** Decode a map of AttributeValues (Item, Key, ExpressionAttributeValues). */
int ddb_item_decode(ddb_dec_t *d, const api_json_t *j, eng_item_t **out);
void ddb_av_encode(api_jw_t *w, const eng_av_t *v);
void ddb_item_encode(api_jw_t *w, const eng_item_t *it);

typedef struct ddb_create_table_in {
    eng_table_t t;
    bool has_billing;
    bool has_pt;
} ddb_create_table_in_t;

typedef struct ddb_table_name_in {
    kv_slice_t name;
} ddb_table_name_in_t;

typedef ddb_table_name_in_t ddb_describe_table_in_t;
typedef ddb_table_name_in_t ddb_delete_table_in_t;

typedef struct ddb_list_tables_in {
    kv_slice_t start;
    size_t limit;
} ddb_list_tables_in_t;

typedef struct ddb_table_out {
    eng_table_t *t;
    const char *status;
} ddb_table_out_t;

typedef ddb_table_out_t ddb_create_table_out_t;
typedef ddb_table_out_t ddb_describe_table_out_t;
typedef ddb_table_out_t ddb_delete_table_out_t;

typedef struct ddb_list_tables_out {
    const char **names;
    size_t n;
    bool more;
} ddb_list_tables_out_t;

#define XX(Name, name)                                                                    \
    int ddb_decode_##name(ddb_dec_t *d, const api_json_t *in, ddb_##name##_in_t *out);    \
    int ddb_exec_##name(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,                 \
                        const ddb_##name##_in_t *in, ddb_##name##_out_t *out);            \
    void ddb_encode_##name(api_ctx_t *ctx, api_req_t *req, const ddb_##name##_out_t *out, \
                           api_jw_t *w);
DDB_OP_MAP(XX)
#undef XX

/** Write a TableDescription object. */
void ddb_encode_table(api_ctx_t *ctx, const eng_table_t *t, const char *status, api_jw_t *w);
/** Record a constraint violation ("Value 'x' at 'path' failed to satisfy constraint: ..."). */
void ddb_dec_violation(ddb_dec_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
