/* SPDX-License-Identifier: Apache-2.0 */
/* Typed inputs and outputs of the DynamoDB operations, shared by the ddb_ files. */
#ifndef DDB_INT_H
#define DDB_INT_H

#include "../api_int.h"
#include "../api_service.h"
#include "../codec/api_json_r.h"
#include "../codec/api_jw.h"
#include "ddb_expr.h"
#include "ddb_ops.h"

/* ---- the services (ddb_exec.c) ---- */

/** DynamoDB (X-Amz-Target DynamoDB_20120810.<op>) and DynamoDB Streams
 * (DynamoDBStreams_20120810.<op>); both answer the dynamodb credential scope. */
extern const api_service_t ddb_service;
extern const api_service_t streams_service;

#define API_DDB_BODY_MAX (16u << 20) /* DynamoDB's request size limit */
#define DDB_TXN_TOKENS   1024

/** DynamoDB's own state: TransactWriteItems ClientRequestTokens of the last ten minutes. */
typedef struct ddb_state {
    pthread_mutex_t txn_lock;
    struct ddb_txn_token {
        char token[37];
        uint64_t hash; /* of the request body */
        int64_t expires_ms;
    } txn_tokens[DDB_TXN_TOKENS];
    size_t txn_next;
    struct ddb_bg *bg; /* the background jobs' cursors (ddb_jobs.c) */
    /* issue 17, package E (export): its state below */
    atomic_bool exp_pending; /* an export may be IN_PROGRESS (the job looks) */

    /* issue 17, package I (import): its state below */
    struct ddb_imp_state *imp;

} ddb_state_t;

/** DynamoDB Streams' own state. */
typedef struct streams_state {
    uint64_t iter_key; /* keys the MAC of shard iterators */
    int64_t keep_ms;   /* stream records are kept this long */
    int64_t shard_ms;  /* a stream shard rolls over after this long */
} streams_state_t;

/** The services' states (api_open made them). */
static inline ddb_state_t *ddb_state(api_ctx_t *ctx)
{
    return api_service_state(ctx, &ddb_service);
}
static inline streams_state_t *streams_state(api_ctx_t *ctx)
{
    return api_service_state(ctx, &streams_service);
}

/** Run the routed DynamoDB or Streams operation. */
void ddb_dispatch(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp);
/** Encode the recorded error as DynamoDB's JSON. */
void ddb_encode_error(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp);

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

/* issue 16, package K: SSESpecification (ddb_sse.c) */
typedef struct ddb_sse_in {
    bool has; /* the request names it */
    bool enabled;
    kv_slice_t key;       /* KMSMasterKeyId (empty: alias/aws/dynamodb) */
    bool type_ok;         /* SSEType absent or KMS (AES256 is refused) */
    bool key_without_kms; /* a KMSMasterKeyId without SSEType KMS */
} ddb_sse_in_t;
/** Decode SSESpecification of in (syntax: violations on d). */
void ddb_sse_decode(ddb_dec_t *d, const api_json_t *in, ddb_sse_in_t *out);
/** Apply it to t (its KMS key resolved and checked: sse_kms_arn set, or NULL for the AWS
 * owned key). @return 0, or -1 with DynamoDB's ValidationException. */
int ddb_sse_apply(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const ddb_sse_in_t *in,
                  eng_table_t *t);
/** SSEDescription of a TableDescription (nothing for the AWS owned key). */
void ddb_sse_encode(const eng_table_t *t, api_jw_t *w);

/* BillingMode, ProvisionedThroughput, StreamSpecification of CreateTable and UpdateTable */
typedef struct ddb_settings {
    bool has_billing;
    eng_billing_t billing;
    bool has_pt;
    int64_t rcu, wcu;
    bool has_stream, has_enabled, enabled, has_view;
    eng_stream_view_t view;
    ddb_sse_in_t sse; /* issue 16, package K */
} ddb_settings_t;

/* ddb_index.c: secondary index definitions, item checks, descriptions, backfill */
#define DDB_INDEX_KS_MAX (2 * ENG_INDEX_KEYS_MAX + 1) /* issue 17, package M */
typedef struct ddb_index_in {
    eng_index_t ix; /* key names resolved by ddb_index_check */
    kv_slice_t kname[DDB_INDEX_KS_MAX], ktype[DDB_INDEX_KS_MAX];
    size_t n_ks; /* a GSI's KeySchema longer than 8 keeps its first 9 (refused) */
    bool has_type, has_nonkey, has_pt;
} ddb_index_in_t;
/** Decode a GlobalSecondaryIndex, LocalSecondaryIndex or GSI Create object; constraint
 * violations name members under path ("globalSecondaryIndexes.1.member"). */
void ddb_index_decode(ddb_dec_t *d, const api_json_t *e, const char *path, bool global,
                      ddb_index_in_t *out);
/** CreateTable's index checks, in DynamoDB's order, against table t (attrs, keys, billing).
 * @return 0 or -1 with the response failed. */
int ddb_index_check(ddb_dec_t *d, const eng_table_t *t, ddb_index_in_t *lsi, size_t n_lsi,
                    bool has_lsi, ddb_index_in_t *gsi, size_t n_gsi, bool has_gsi);
/** UpdateTable's checks of a GSI to create (t->attrs holding the request's definitions). */
int ddb_index_check_update(ddb_dec_t *d, const eng_table_t *t, ddb_index_in_t *in);
/** Whether item it has an index key attribute DynamoDB refuses (wrong type, empty, too long);
 * the message goes to msg. */
bool ddb_index_item_error(const eng_table_t *t, const eng_item_t *it, char *msg, size_t cap);
/** GlobalSecondaryIndexes and LocalSecondaryIndexes members of a TableDescription. */
void ddb_encode_indexes(const eng_table_t *t, const char *table_arn, api_jw_t *w);

typedef struct ddb_gsi_update {
    enum { DDB_GSI_CREATE, DDB_GSI_DELETE, DDB_GSI_UPDATE } kind;
    kv_slice_t name;    /* Delete, Update */
    ddb_index_in_t idx; /* Create; Update's throughput */
} ddb_gsi_update_t;

typedef struct ddb_update_table_in {
    kv_slice_t name;
    ddb_settings_t st;
    bool has_gsi_updates;
    ddb_gsi_update_t *gsi;
    size_t n_gsi;
    eng_attr_def_t *attrs; /* AttributeDefinitions (for index creation) */
    size_t n_attrs;
    const api_json_t *replica_updates; /* issue 17, package S: ReplicaUpdates (refused) */
} ddb_update_table_in_t;

typedef struct ddb_backups_in {
    kv_slice_t name;
    bool has_spec, pitr;
    int64_t period; /* RecoveryPeriodInDays, 1..35 (0: not given; issue 17, package S) */
} ddb_backups_in_t;
typedef struct ddb_backups_out {
    eng_table_t *t;
    int period; /* the recovery period in days (issue 17, package S) */
} ddb_backups_out_t;
typedef ddb_backups_in_t ddb_update_continuous_backups_in_t;
typedef ddb_backups_in_t ddb_describe_continuous_backups_in_t;
typedef ddb_backups_out_t ddb_update_continuous_backups_out_t;
typedef ddb_backups_out_t ddb_describe_continuous_backups_out_t;

typedef struct ddb_create_table_in {
    eng_table_t t;
    bool has_billing;
    bool has_pt;
    ddb_sse_in_t sse; /* issue 16, package K */
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
typedef ddb_table_out_t ddb_update_table_out_t;

typedef struct ddb_list_tables_out {
    const char **names;
    size_t n;
    bool more;
} ddb_list_tables_out_t;

/* Typed members of a request object: absent (or null) gives false/NULL; a wrong JSON type
 * records a SerializationException. */
bool ddb_opt_str(ddb_dec_t *d, const api_json_t *obj, const char *key, kv_slice_t *out);
bool ddb_opt_int(ddb_dec_t *d, const api_json_t *obj, const char *key, int64_t *out);
bool ddb_opt_bool(ddb_dec_t *d, const api_json_t *obj, const char *key, bool *out);
const api_json_t *ddb_opt_kind(ddb_dec_t *d, const api_json_t *obj, const char *key,
                               api_json_type_t kind);
/** Validate a table name member; *name is updated for ARNs. */
void ddb_check_table_name(ddb_dec_t *d, kv_slice_t *name, bool present, const char *member);
/** The TableName or TargetTableName member (member) of a backup or TTL request, its length
 * checked; a violation is recorded when it is required and absent. */
kv_slice_t ddb_opt_table(ddb_dec_t *d, const api_json_t *in, const char *member, bool required);

/* ---- items ---- */

typedef enum ddb_rv {
    DDB_RV_NONE = 0,
    DDB_RV_ALL_OLD,
    DDB_RV_UPDATED_OLD,
    DDB_RV_ALL_NEW,
    DDB_RV_UPDATED_NEW,
} ddb_rv_t;

typedef enum ddb_rcc { DDB_RCC_NONE = 0, DDB_RCC_TOTAL, DDB_RCC_INDEXES } ddb_rcc_t;

/** What every item operation shares. */
typedef struct ddb_item_common {
    kv_slice_t table;
    ddb_expr_env_t env;
    ddb_cond_t *cond;       /* ConditionExpression */
    ddb_projection_t *proj; /* ProjectionExpression / AttributesToGet */
    ddb_rv_t rv;            /* ReturnValues */
    bool rv_on_fail;        /* ReturnValuesOnConditionCheckFailure = ALL_OLD */
    ddb_rcc_t rcc;          /* ReturnConsumedCapacity */
    bool consistent;
} ddb_item_common_t;

typedef struct ddb_put_item_in {
    ddb_item_common_t c;
    eng_item_t *item;
} ddb_put_item_in_t;

typedef struct ddb_key_in {
    ddb_item_common_t c;
    eng_item_t *key;
    ddb_update_t *update; /* UpdateItem */
} ddb_key_in_t;
typedef ddb_key_in_t ddb_get_item_in_t;
typedef ddb_key_in_t ddb_delete_item_in_t;
typedef ddb_key_in_t ddb_update_item_in_t;

/** Output of a single-item operation. */
typedef struct ddb_item_out {
    const eng_item_t *item; /* Item (GetItem) or Attributes (ReturnValues), or NULL */
    double units;
    bool read;
    kv_slice_t table;
    ddb_rcc_t rcc;
} ddb_item_out_t;
typedef ddb_item_out_t ddb_put_item_out_t;
typedef ddb_item_out_t ddb_get_item_out_t;
typedef ddb_item_out_t ddb_delete_item_out_t;
typedef ddb_item_out_t ddb_update_item_out_t;

typedef enum ddb_select {
    DDB_SEL_ALL = 0,
    DDB_SEL_PROJECTED,
    DDB_SEL_SPECIFIC,
    DDB_SEL_COUNT,
} ddb_select_t;

typedef struct ddb_query_in {
    ddb_item_common_t c;
    ddb_cond_t *key_cond; /* Query */
    ddb_cond_t *filter;
    eng_item_t *start; /* ExclusiveStartKey */
    int64_t limit;     /* 0: none */
    bool forward;
    ddb_select_t select;
    int64_t segment, total_segments; /* Scan; total 0: not parallel */
    kv_slice_t index;                /* IndexName, empty for the table */
    bool has_select;
    bool legacy_filter;  /* filter came from QueryFilter/ScanFilter */
    bool filter_keys_ok; /* PartiQL: the filter may name the key (Query's may not) */
} ddb_query_in_t;
typedef ddb_query_in_t ddb_scan_in_t;

typedef struct ddb_query_out {
    const eng_item_t **items;
    size_t n;
    size_t scanned;
    const eng_item_t *last_key;
    bool count_only;
    double units;
    kv_slice_t table;
    ddb_rcc_t rcc;
} ddb_query_out_t;
typedef ddb_query_out_t ddb_scan_out_t;

#define DDB_BATCH_GET_MAX   100
#define DDB_BATCH_WRITE_MAX 25

typedef struct ddb_batch_table {
    kv_slice_t table;
    ddb_item_common_t c;
    eng_item_t **keys; /* BatchGet: keys; BatchWrite: put items or delete keys */
    bool *is_put;
    size_t n;
    const eng_item_t **found; /* BatchGet results */
    size_t n_found;
    size_t first_unprocessed; /* keys from here on did not fit in the response */
    const api_json_t *spec;   /* the request's KeysAndAttributes, echoed with UnprocessedKeys */
    double units;
} ddb_batch_table_t;

typedef struct ddb_batch_in {
    ddb_batch_table_t *t;
    size_t n;
    ddb_rcc_t rcc;
} ddb_batch_in_t;
typedef ddb_batch_in_t ddb_batch_get_item_in_t;
typedef ddb_batch_in_t ddb_batch_write_item_in_t;
typedef ddb_batch_in_t ddb_batch_get_item_out_t;
typedef ddb_batch_in_t ddb_batch_write_item_out_t;

/* ddb_legacy.c: pre-expression parameters as condition and update trees */
int ddb_legacy_conditions(ddb_dec_t *d, const api_json_t *in, const char *param, ddb_cond_t **out);
int ddb_legacy_expected(ddb_dec_t *d, const api_json_t *in, ddb_cond_t **out);
int ddb_legacy_updates(ddb_dec_t *d, const api_json_t *in, ddb_update_t **out);

/* TransactWriteItems, TransactGetItems */
#define DDB_TXN_MAX 100
typedef enum { DDB_TX_PUT, DDB_TX_UPDATE, DDB_TX_DELETE, DDB_TX_CHECK, DDB_TX_GET } ddb_tx_kind_t;
typedef struct ddb_tx_action {
    ddb_tx_kind_t kind;
    bool insert; /* a PartiQL INSERT: a failed condition is a DuplicateItem */
    ddb_put_item_in_t put;
    ddb_key_in_t key; /* Update, Delete, ConditionCheck, Get */
} ddb_tx_action_t;
typedef struct ddb_transact_in {
    ddb_tx_action_t *acts;
    size_t n;
    kv_slice_t token; /* ClientRequestToken */
    ddb_rcc_t rcc;
} ddb_transact_in_t;
typedef struct ddb_transact_out {
    const eng_item_t **items; /* TransactGetItems: NULL for an absent item */
    size_t n;
    ddb_rcc_t rcc;
    bool read;
    size_t n_tables; /* ConsumedCapacity, one entry per table */
    kv_slice_t *tables;
    double *units;
} ddb_transact_out_t;
typedef ddb_transact_in_t ddb_transact_write_items_in_t;
typedef ddb_transact_in_t ddb_transact_get_items_in_t;
typedef ddb_transact_out_t ddb_transact_write_items_out_t;
typedef ddb_transact_out_t ddb_transact_get_items_out_t;

/* ---- what the item operations share (ddb_item_check.c, ddb_item_write.c) ---- */

/** Fail with an engine error as DynamoDB's (KV_EBUSY: a transaction holds the item). @return -1. */
int ddb_engine_fail(api_resp_t *resp, int rc);
/** The table name names (ResourceNotFoundException when there is none). @return 0 or -1. */
int ddb_get_table(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t name,
                  eng_table_t **t);
/** The AttributeValue type of a key scalar type. */
eng_av_type_t ddb_scalar_av(eng_scalar_t s);
/** Check an item's key attributes (exact: a Key holding nothing else) against t's schema and
 * compute its storage key. @return 0 or -1 (resp filled). */
int ddb_item_key(api_req_t *req, api_resp_t *resp, const eng_table_t *t, const eng_item_t *it,
                 bool exact, kv_slice_t *key);
/** Write capacity units of bytes written. */
double ddb_write_units(size_t bytes);
/** Read capacity units of bytes read (eventually consistent reads cost half). */
double ddb_read_units(size_t bytes, bool consistent);
/** Refuse (with msg) an item over the item size limit. @return 0 or -1. */
int ddb_item_too_big(api_resp_t *resp, const eng_item_t *it, const char *msg);
/** Refuse an item whose secondary index key attributes have the wrong type. @return 0 or -1. */
int ddb_index_keys_ok(api_resp_t *resp, const eng_table_t *t, const eng_item_t *it);
/** The table and storage key of the item a request's Key names. @return 0 or -1 (resp filled). */
int ddb_key_target(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const ddb_key_in_t *in,
                   eng_table_t **t, kv_slice_t *key);
/** A single-item operation's consumed capacity. */
void ddb_item_units(ddb_item_out_t *out, const ddb_item_common_t *c, double units);

/** One conditional write of one item: the argument of ddb_item_rmw. */
typedef struct ddb_rmw {
    const ddb_item_common_t *c;
    ddb_expr_env_t *env;
    const eng_table_t *t;
    eng_item_t *put;            /* PutItem */
    const ddb_update_t *update; /* UpdateItem */
    const eng_item_t *key;
    bool del;
    bool check; /* a transaction's ConditionCheck: the condition only */
    bool too_big;
    eng_item_t *result;
    char msg[512]; /* why an updated item's index key was refused */
} ddb_rmw_t;
/** The engine's read-modify-write step (eng_item_rmw, eng_txn_op_t) of a ddb_rmw_t: the
 * condition, then the put, update or delete. */
int ddb_item_rmw(void *arg, const eng_item_t *old, eng_item_t **nu);
/** Refuse an update that touches a key attribute. @return 0 or -1. */
int ddb_updates_key(api_resp_t *resp, const eng_table_t *t, const ddb_update_t *u);

/* UpdateTimeToLive, DescribeTimeToLive */
typedef struct ddb_ttl_in {
    kv_slice_t table;
    bool enabled;
    const char *attr;
} ddb_ttl_in_t;
typedef struct ddb_ttl_out {
    const ddb_ttl_in_t *in;
    eng_table_t *t;
} ddb_ttl_out_t;
typedef ddb_ttl_in_t ddb_update_time_to_live_in_t;
typedef ddb_ttl_in_t ddb_describe_time_to_live_in_t;
typedef ddb_ttl_out_t ddb_update_time_to_live_out_t;
typedef ddb_ttl_out_t ddb_describe_time_to_live_out_t;

/* CreateBackup, DescribeBackup, ListBackups, DeleteBackup, RestoreTableFromBackup */
typedef struct ddb_backup_in {
    kv_slice_t table; /* CreateBackup, ListBackups (filter) */
    const char *name; /* CreateBackup: BackupName; Restore: TargetTableName */
    kv_slice_t id;    /* from BackupArn */
    kv_slice_t after; /* ListBackups: ExclusiveStartBackupArn's id */
    size_t limit;
    int64_t at_ms;  /* RestoreTableToPointInTime: RestoreDateTime */
    bool latest;    /* UseLatestRestorableTime */
    kv_slice_t arn; /* BackupArn as given (issue 15, package D: authorization) */
} ddb_backup_in_t;
typedef struct ddb_backup_out {
    eng_backup_t *b;
    eng_backup_t *list;
    size_t n;
    bool more;
    bool deleted;
    eng_table_t *t; /* restored table */
} ddb_backup_out_t;
typedef ddb_backup_in_t ddb_create_backup_in_t;
typedef ddb_backup_in_t ddb_describe_backup_in_t;
typedef ddb_backup_in_t ddb_list_backups_in_t;
typedef ddb_backup_in_t ddb_delete_backup_in_t;
typedef ddb_backup_in_t ddb_restore_table_from_backup_in_t;
typedef ddb_backup_in_t ddb_restore_table_to_point_in_time_in_t;
typedef ddb_backup_out_t ddb_restore_table_to_point_in_time_out_t;
typedef ddb_backup_out_t ddb_create_backup_out_t;
typedef ddb_backup_out_t ddb_describe_backup_out_t;
typedef ddb_backup_out_t ddb_list_backups_out_t;
typedef ddb_backup_out_t ddb_delete_backup_out_t;
typedef ddb_backup_out_t ddb_restore_table_from_backup_out_t;

/* TagResource, UntagResource, ListTagsOfResource, DescribeLimits, DescribeEndpoints */
typedef struct ddb_meta_in {
    kv_slice_t table; /* from ResourceArn */
    eng_tag_t *tags;  /* TagResource */
    size_t n_tags;
    kv_slice_t *keys; /* UntagResource */
    size_t n_keys;
} ddb_meta_in_t;
typedef struct ddb_meta_out {
    eng_table_t *t;
} ddb_meta_out_t;
typedef ddb_meta_in_t ddb_tag_resource_in_t;
typedef ddb_meta_in_t ddb_untag_resource_in_t;
typedef ddb_meta_in_t ddb_list_tags_of_resource_in_t;
typedef ddb_meta_in_t ddb_describe_limits_in_t;
typedef ddb_meta_in_t ddb_describe_endpoints_in_t;
typedef ddb_meta_out_t ddb_tag_resource_out_t;
typedef ddb_meta_out_t ddb_untag_resource_out_t;
typedef ddb_meta_out_t ddb_list_tags_of_resource_out_t;
typedef ddb_meta_out_t ddb_describe_limits_out_t;
typedef ddb_meta_out_t ddb_describe_endpoints_out_t;
/** The table a tag or TTL request names (ResourceNotFoundException naming its ARN when there
 * is none). @return 0 or -1. */
int ddb_resource_table(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t name,
                       eng_table_t **t);

/* ExecuteStatement, BatchExecuteStatement, ExecuteTransaction (PartiQL) */
#define DDB_PQ_BATCH_MAX 25
typedef struct ddb_pq_stmt_in {
    kv_slice_t text;
    eng_av_t **params;
    size_t n_params;
    bool consistent;
    bool rv_on_fail; /* ReturnValuesOnConditionCheckFailure = ALL_OLD */
} ddb_pq_stmt_in_t;
typedef struct ddb_pq_in {
    ddb_pq_stmt_in_t *s; /* one for ExecuteStatement */
    size_t n;
    int64_t limit;     /* ExecuteStatement */
    eng_item_t *start; /* from NextToken */
    kv_slice_t token;  /* ClientRequestToken */
    ddb_rcc_t rcc;
    const char **denied; /* BatchExecuteStatement: a refused statement's AccessDenied message
                            (set by ddb_authz_batch_execute_statement; NULL: none refused) */
} ddb_pq_in_t;
typedef struct ddb_pq_result {
    kv_slice_t table;
    const eng_item_t **items; /* SELECT, or the RETURNING item */
    size_t n;
    bool has_items;
    const eng_item_t *last_key;
    const char *err_code; /* BatchExecuteStatement: this statement's error */
    const char *err_msg;
    kv_slice_t err_item; /* its Item (JSON "Item":{...}) on a failed condition */
    double units;
    bool read;
} ddb_pq_result_t;
typedef struct ddb_pq_out {
    ddb_pq_result_t *r;
    size_t n;
    ddb_rcc_t rcc;
    bool batch_read;
    ddb_transact_out_t txn; /* ExecuteTransaction */
} ddb_pq_out_t;
typedef ddb_pq_in_t ddb_execute_statement_in_t;
typedef ddb_pq_in_t ddb_batch_execute_statement_in_t;
typedef ddb_pq_in_t ddb_execute_transaction_in_t;
typedef ddb_pq_out_t ddb_execute_statement_out_t;
typedef ddb_pq_out_t ddb_batch_execute_statement_out_t;
typedef ddb_pq_out_t ddb_execute_transaction_out_t;

/* The DynamoDB Streams API */
typedef enum { DDB_IT_TRIM_HORIZON = 1, DDB_IT_LATEST, DDB_IT_AT, DDB_IT_AFTER } ddb_iter_type_t;
typedef struct ddb_streams_in {
    kv_slice_t table;    /* ListStreams: TableName */
    kv_slice_t arn;      /* StreamArn */
    kv_slice_t start;    /* ExclusiveStartStreamArn, ExclusiveStartShardId */
    int64_t limit;       /* 0: the default */
    kv_slice_t shard_id; /* GetShardIterator */
    ddb_iter_type_t type;
    bool has_seq;
    uint64_t seq;
    kv_slice_t iterator; /* GetRecords */
    bool child_filter;   /* DescribeStream's ShardFilter CHILD_SHARDS (issue 17, package S): */
    kv_slice_t parent;   /* the children of this shard only */
} ddb_streams_in_t;
typedef struct ddb_streams_out {
    eng_stream_t *list; /* ListStreams */
    size_t n;
    bool more;
    eng_stream_t *s; /* DescribeStream, GetRecords */
    uint64_t first, last;
    struct ddb_shard *shards; /* DescribeStream: the page of shards shown */
    size_t n_shards;
    const char *parent0; /* the first shown shard's parent ("" when none) */
    char iter[96];       /* GetShardIterator; GetRecords' NextShardIterator ("" when closed) */
    eng_srec_t *recs;
    size_t n_recs;
} ddb_streams_out_t;
typedef ddb_streams_in_t ddb_list_streams_in_t;
typedef ddb_streams_in_t ddb_describe_stream_in_t;
typedef ddb_streams_in_t ddb_get_shard_iterator_in_t;
typedef ddb_streams_in_t ddb_get_records_in_t;
typedef ddb_streams_out_t ddb_list_streams_out_t;
typedef ddb_streams_out_t ddb_describe_stream_out_t;
typedef ddb_streams_out_t ddb_get_shard_iterator_out_t;
typedef ddb_streams_out_t ddb_get_records_out_t;

/** ReturnConsumedCapacity of a request. */
void ddb_decode_rcc(ddb_dec_t *d, const api_json_t *in, ddb_rcc_t *out);
/** One ConsumedCapacity object. */
void ddb_capacity_obj(api_jw_t *w, kv_slice_t table, double u, ddb_rcc_t rcc);

#include "ddb_import.h" /* issue 17, package I: its operations' types */
#include "ddb_shape.h"  /* issue 17, package S: its operations' types */

#define XX(Name, name)                                                                    \
    int ddb_decode_##name(ddb_dec_t *d, const api_json_t *in, ddb_##name##_in_t *out);    \
    int ddb_exec_##name(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,                 \
                        const ddb_##name##_in_t *in, ddb_##name##_out_t *out);            \
    void ddb_encode_##name(api_ctx_t *ctx, api_req_t *req, const ddb_##name##_out_t *out, \
                           api_jw_t *w);
DDB_OP_MAP(XX)
STREAMS_OP_MAP(XX)
#undef XX

/** A stream's label ("2024-05-01T12:00:00.123") and ARN. */
void ddb_stream_label(int64_t created_ms, char out[25]);

/** A "KeySchema" member (range may be NULL). */
void ddb_encode_key_schema(api_jw_t *w, const char *hash, const char *range);
/** Write a TableDescription object. */
void ddb_encode_table(api_ctx_t *ctx, const eng_table_t *t, const char *status, api_jw_t *w);
/** The same, left open for more members. */
void ddb_encode_table_open(api_ctx_t *ctx, const eng_table_t *t, const char *status, api_jw_t *w);
/** Record a constraint violation ("Value 'x' at 'path' failed to satisfy constraint: ..."). */
void ddb_dec_violation(ddb_dec_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** A Tags list (50 tags, 128/256-character keys/values) into *out (arena), violations recorded. */
void ddb_decode_tags(ddb_dec_t *d, const api_json_t *in, const char *key, eng_tag_t **out,
                     size_t *n);

/* ---- background jobs (ddb_jobs.c): backfill, ttl, stream-trim ---- */
/** The jobs' cursors (in DynamoDB's state: ddb_bg_new, ddb_bg_free). */
typedef struct ddb_bg {
    atomic_uint_fast64_t ttl_gen; /* bumped by each TTL change (UpdateTimeToLive, restores) */
    uint64_t ttl_scan_gen;        /* the ttl_gen ttl_names was listed at */
    kv_buf_t ttl_names;           /* the tables whose TTL is on, NUL-terminated names */
    size_t ttl_pos;               /* the pass's cursor in ttl_names */
    bool bf_on;                   /* an index is being backfilled: */
    kv_buf_t bf_table;            /* its table */
    uint8_t bf_index;             /* its id */
    kv_buf_t bf_after;            /* the last item key written */
} ddb_bg_t;
ddb_bg_t *ddb_bg(api_ctx_t *ctx);
ddb_bg_t *ddb_bg_new(void);
void ddb_bg_free(ddb_bg_t *g);
/** A table's TTL setting changed (or a table was restored): the ttl job lists them again. */
void ddb_ttl_changed(api_ctx_t *ctx);
/* issue 17: each package that adds a job to ddb_jobs (ddb_jobs.c) counts it here */
#define DDB_N_JOBS_17E 1 /* package E (export) */
#define DDB_N_JOBS_17I 1 /* package I (import) */
#define DDB_N_JOBS     (3 + DDB_N_JOBS_17E + DDB_N_JOBS_17I)
extern const api_job_t ddb_jobs[DDB_N_JOBS];
/** Job steps (api_job_t.run). */
int ddb_backfill_run(api_ctx_t *ctx, void *state, unsigned budget);
int ddb_ttl_run(api_ctx_t *ctx, void *state, unsigned budget);
int ddb_trim_run(api_ctx_t *ctx, void *state, unsigned budget);

/* ---- what DynamoDB Streams offers the other services (event source mappings) ---- */
/** The table stream an ARN names. @return 0, KV_EINVAL (not a stream ARN), KV_ENOTFOUND. */
int ddb_stream_by_arn(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t arn, eng_stream_t **out);
/** One stream record as JSON: the Streams API's shape, or (lambda_arn: the stream's ARN) a
 * record of a Lambda event. */
void ddb_encode_stream_record(api_ctx_t *ctx, const eng_stream_t *s, const eng_srec_t *r,
                              const char *lambda_arn, api_jw_t *w);
/** How long a stream shard stays open (--stream-shard-ms; shard ids are built from it). */
int64_t ddb_stream_shard_ms(api_ctx_t *ctx);

/* ---- authorization (issue 15, package D: ddb_authz.c) ---- */
/** Whether the request's principal is the root (the one comparison the root pays). */
static inline bool ddb_authz_skip(const api_req_t *req)
{
    api_pr_kind_t k = req->_st->principal.kind;
    return k == API_PR_ROOT || k == API_PR_ROOT_SESSION;
}
/* ddb_authz_<op>: authorize the decoded operation (its action or actions, resource ARNs and
 * fine-grained condition keys) for a non-root principal. @return 0 when allowed, -1 with
 * DynamoDB's AccessDeniedException recorded on resp. BatchExecuteStatement records a refused
 * statement in in->denied instead and runs the others. */
#define XX(Name, name) \
    int ddb_authz_##name(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, ddb_##name##_in_t *in);
DDB_OP_MAP(XX)
STREAMS_OP_MAP(XX)
#undef XX
/** An operation without a row (UnknownOperationException): authorize "dynamodb:<name>" from
 * its X-Amz-Target on "*". @return 0 when allowed, -1 refused (resp filled). */
int ddb_authz_unknown(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp);
/** The canonical ARN of stream s (a table's, or a bucket's event log) into out. */
void ddb_stream_arn(api_ctx_t *ctx, const eng_stream_t *s, char *out, size_t cap);
/** The stream a shard iterator (GetRecords) reads. @return 0, KV_EINVAL (not an iterator this
 * server made), KV_ENOTFOUND (its stream is gone). */
int ddb_iter_stream(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t it, eng_stream_t **out);

/* ==== issue 17: one block per package (types, helpers, state) ==== */

/* ---- issue 17, package V1: its declarations below ---- */

/* ---- issue 17, package V2: its declarations below ---- */
/** Whether a projection of single names (AttributesToGet) names one twice; *dup: the name
 * (ddb_v2.c). O(n log n). */
bool ddb_names_dup(kv_arena_t *a, const ddb_projection_t *p, kv_slice_t *dup);
/** A Query's ExclusiveStartKey against its key condition (rs->pk, sk_op): 0, or -1 with
 * DynamoDB's error when the key is outside what the condition reads (ddb_v2.c). */
int ddb_start_in_query(api_resp_t *resp, const eng_read_spec_t *rs, const char *hash_key,
                       const char *range_key);

/* ---- issue 17, package M: its declarations below ---- */
/* ddb_multikey.c: multi-attribute keys of global secondary indexes */
/** Whether a GSI's decoded KeySchema is a multi-attribute one (more than one HASH or RANGE). */
bool ddb_multikey_schema(const ddb_index_in_t *in);
/** Check such a KeySchema (every name already defined in t->attrs) and resolve its names and
 * types into in->ix. @return 0 or -1 with DynamoDB's ValidationException. */
int ddb_multikey_check(ddb_dec_t *d, const eng_table_t *t, ddb_index_in_t *in);
/** The "KeySchema" member of an index description, every attribute in order. */
void ddb_multikey_encode_key_schema(api_jw_t *w, const eng_index_t *ix);
/** A Query's key condition kc on multi-attribute index ix as rs's bounds, with DynamoDB's
 * refusals. @return 0 or -1 (resp filled). */
int ddb_multikey_spec(api_resp_t *resp, const eng_index_t *ix, const ddb_cond_t *kc,
                      eng_read_spec_t *rs);
/** (ddb_index.c) DescribeBackup's SourceTableFeatureDetails object for table definition t. */
void ddb_encode_feature_details(const eng_table_t *t, api_jw_t *w);

/* ---- issue 17, package H: its declarations below ---- */
/* CORS on the DynamoDB endpoint (ddb_cors.c). A browser's preflight is an extra row of the
 * operation table after the X-macro's (DDB_OP_PREFLIGHT, API_OPF_UNSIGNED), reached only by
 * OPTIONS: no X-Amz-Target names it. */
#define DDB_OP_PREFLIGHT DDB_OP__COUNT
/** Claim an OPTIONS of "/" whose Access-Control-Request-Headers names X-Amz-Target: the preflight
 * of a DynamoDB (or any X-Amz-Target protocol's) request, which carries no credentials. */
bool ddb_cors_claim(api_ctx_t *ctx, const api_req_t *req);
/** DynamoDB's router: OPTIONS is the preflight; otherwise the row the X-Amz-Target names. */
int ddb_cors_route(api_ctx_t *ctx, api_req_t *req);
/** Answer the preflight (200 with DynamoDB's Access-Control-* headers; without an Origin, the
 * 404 DynamoDB answers an OPTIONS with). Reads nothing stored. */
void ddb_cors_preflight(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp);
/** ddb_finish's CORS part: true when resp is the preflight's (finished here); otherwise adds
 * Access-Control-Allow-Origin and -Expose-Headers to a response to a request with an Origin. */
bool ddb_cors_finish(api_req_t *req, api_resp_t *resp);

/* ---- issue 17, package S: its declarations below ---- */
/** UpdateTable's ReplicaUpdates on table t (ddb_global.c): this server has one region, so any
 * replica change is refused with DynamoDB's ValidationException. @return 0 (none listed), -1. */
int ddb_replica_updates(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const eng_table_t *t,
                        const api_json_t *updates);
/** Point-in-time recovery's period of table t in days (RecoveryPeriodInDays: 35 unless set).
 * @return 0 or a KV_ error. */
int ddb_pitr_period(api_ctx_t *ctx, kv_arena_t *a, const eng_table_t *t, int *days);
/** Store t's recovery period. @return 0 or a KV_ error. */
int ddb_pitr_period_set(api_ctx_t *ctx, kv_arena_t *a, const eng_table_t *t, int days);

/* ---- issue 17, package E: its declarations below ---- */
/* ddb_export.c: ExportTableToPointInTime, DescribeExport, ListExports and the export job */
typedef struct ddb_export {
    char id[24]; /* "<14-digit ms>-<8 hex>", as in an export ARN */
    const char *table, *table_id;
    const char *bucket, *owner, *prefix, *sse, *kms, *token; /* NULL: not given */
    int format;                                              /* 0 DYNAMODB_JSON, 1 ION */
    int type; /* 0 not given, 1 FULL, 2 INCREMENTAL */
    int view; /* 0 NEW_AND_OLD_IMAGES, 1 NEW_IMAGE */
    int64_t export_ms, from_ms, to_ms, start_ms, end_ms;
    const char *status; /* IN_PROGRESS, COMPLETED, FAILED */
    const char *fail_code, *fail_msg;
    uint64_t items, billed, files;
    uint32_t stage, stage2, stage3; /* staged: the items, the changed keys, the old images */
    int phase;                      /* 0 to stage, 1 writing data files, 2 done */
    kv_slice_t after;               /* the last staged key written */
    uint64_t hash;                  /* of the parameters its ClientToken binds */
    bool s3_denied;                 /* its caller may not write the bucket: it fails */
    const char *kms_arn, *kms_blob, *kms_dk; /* SSE-KMS: the key, the data key's blob and the
                                                data key sealed (base64) */
} ddb_export_t;
/* (the typedef names are in ddb_ops17.h) */
struct ddb_export_in {
    kv_slice_t table_arn, table, bucket, owner, prefix, kms, token;
    int sse; /* -1 not given, 0 AES256, 1 KMS */
    int format, type, view;
    bool has_time, has_spec, has_from, has_to;
    int64_t export_ms, from_ms, to_ms;
    bool s3_denied; /* the caller may not s3:PutObject there (authorization) */
};
struct ddb_export_out {
    ddb_export_t *x;
};
struct ddb_describe_export_in {
    kv_slice_t arn, id;
};
struct ddb_list_exports_in {
    kv_slice_t table_arn, table, next;
    size_t max;
};
struct ddb_list_exports_out {
    ddb_export_t *list;
    size_t n;
    bool more;
};
/** The export job's step (api_job_t.run). */
int ddb_export_run(api_ctx_t *ctx, void *state, unsigned budget);

/* ---- issue 17, package I: its declarations below ---- */

/* ImportTable, DescribeImport, ListImports (ddb_import.c) and the import job
 * (ddb_import_job.c). An import is a record under catalog kind 'E', key 'I' + its id. */
/** The imports' shared state (in ddb_state_t): the tables being imported, the job's cursor. */
typedef struct ddb_imp_state ddb_imp_state_t;
ddb_imp_state_t *ddb_imp_new(api_ctx_t *ctx);
void ddb_imp_free(ddb_imp_state_t *s);
/** Whether table id is being imported (its items are not to be read or written). */
bool ddb_imp_busy(api_ctx_t *ctx, uint32_t table_id);
/** Mark or unmark a table being imported. @return false when DDB_IMP_MAX run already. */
bool ddb_imp_mark(api_ctx_t *ctx, uint32_t table_id, bool busy);
/** The import job's cursor (ddb_import_job.c), kept in the state; freed with it. */
struct ddb_imp_cur **ddb_imp_cur_slot(api_ctx_t *ctx);
void ddb_imp_cur_free(struct ddb_imp_cur *c);
#define DDB_IMP_MAX 50 /* DynamoDB's concurrent imports */
/** Record codec (JSON text). */
void ddb_imp_rec_encode(const ddb_imp_rec_t *r, kv_buf_t *out);
int ddb_imp_rec_decode(kv_arena_t *a, kv_slice_t v, ddb_imp_rec_t *r);
/** Read an import record by id. @return 0, KV_ENOTFOUND, KV_E*. */
int ddb_imp_get(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t id, ddb_imp_rec_t *r);
/** Store it. */
int ddb_imp_put(api_ctx_t *ctx, const ddb_imp_rec_t *r);
/** The record key of an import ('I' + id) into out (cap >= 64). */
size_t ddb_imp_key(const char *id, char *out);
/** The import job's step (api_job_t.run). */
int ddb_import_run(api_ctx_t *ctx, void *state, unsigned budget);

/* The import readers (ddb_import_src.c), unit-tested on their own. */
/** Split a CSV record (RFC 4180: "" in quoted fields, quoted delimiters and newlines) into at
 * most max fields (arena a). @return the field count, or -1 (a quote left open, text after a
 * closing quote, more than max fields). */
int ddb_csv_split(kv_arena_t *a, kv_slice_t rec, uint8_t delim, kv_slice_t *fields, size_t max);
/** Whether a CSV record is complete at the end of this line (quotes balanced so far); *inq
 * carries the quote state across lines (start false). */
bool ddb_csv_scan_line(bool *inq, kv_slice_t line);
#define DDB_CSV_MAX_FIELDS 4096

/* ---- issue 17: what the export and the import share (ddb_s3io.c) ---- */
/** An S3Bucket of an export or import request: ^[a-z0-9A-Z]+[\.\-\w]*[a-z0-9A-Z]+$. */
bool ddb_s3io_bucket_ok(kv_slice_t s);
/** The ARN of table `table` into out. */
void ddb_s3io_table_arn(api_ctx_t *ctx, const char *table, char *out, size_t cap);
/** Member k with string v, unless v is NULL (their stored records). */
void ddb_s3io_kstr_opt(api_jw_t *w, const char *k, const char *v);
/** String member k of o copied into a, or NULL when absent or not a string. */
const char *ddb_s3io_jstr(kv_arena_t *a, const api_json_t *o, const char *k);
/** Integer member k of o, or 0 when absent or not an integer. */
int64_t ddb_s3io_jint(const api_json_t *o, const char *k);

/* ==== issue 17: end of the package blocks ==== */

#endif
