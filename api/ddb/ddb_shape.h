/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 17, package S: the operations a single-region server answers as a region without them
 * (global tables, replica auto scaling, Kinesis streaming destinations) and contributor
 * insights (ddb_global.c). Included by ddb_int.h before the operations' prototypes.
 */
#ifndef DDB_SHAPE_H
#define DDB_SHAPE_H

/** The most region names one request's ReplicationGroup or ReplicaUpdates lists. */
#define DDB_SHAPE_REGIONS_MAX 64

typedef struct ddb_shape_in {
    kv_slice_t table;    /* TableName */
    kv_slice_t index;    /* IndexName (contributor insights) */
    kv_slice_t gt;       /* GlobalTableName; ListGlobalTables' ExclusiveStartGlobalTableName */
    kv_slice_t arn;      /* StreamArn (Kinesis) */
    kv_slice_t next;     /* NextToken */
    int64_t limit;       /* Limit, MaxResults (0: the default) */
    bool enable;         /* ContributorInsightsAction ENABLE */
    bool throttled_only; /* ContributorInsightsMode THROTTLED_KEYS */
    kv_slice_t *regions; /* ReplicationGroup's or ReplicaUpdates' region names */
    size_t n_regions;
    bool has_replicas; /* UpdateTableReplicaAutoScaling: ReplicaUpdates given */
} ddb_shape_in_t;

/** One table's or global secondary index's contributor insights setting. */
typedef struct ddb_ci {
    const char *table;
    const char *index; /* NULL: the table */
    bool enabled;
    bool throttled_only;
    int64_t updated_ms; /* 0: never set */
} ddb_ci_t;

typedef struct ddb_shape_out {
    const ddb_shape_in_t *in;
    eng_table_t *t;
    ddb_ci_t ci;    /* DescribeContributorInsights, UpdateContributorInsights */
    ddb_ci_t *list; /* ListContributorInsights */
    size_t n;
    const char *next; /* its NextToken (NULL: the last page) */
} ddb_shape_out_t;

#define DDB_SHAPE_TYPES(XX)                    \
    XX(create_global_table)                    \
    XX(describe_global_table)                  \
    XX(describe_global_table_settings)         \
    XX(update_global_table)                    \
    XX(update_global_table_settings)           \
    XX(list_global_tables)                     \
    XX(describe_table_replica_auto_scaling)    \
    XX(update_table_replica_auto_scaling)      \
    XX(describe_contributor_insights)          \
    XX(list_contributor_insights)              \
    XX(update_contributor_insights)            \
    XX(describe_kinesis_streaming_destination) \
    XX(enable_kinesis_streaming_destination)   \
    XX(disable_kinesis_streaming_destination)  \
    XX(update_kinesis_streaming_destination)
#define XX(name)                              \
    typedef ddb_shape_in_t ddb_##name##_in_t; \
    typedef ddb_shape_out_t ddb_##name##_out_t;
DDB_SHAPE_TYPES(XX)
#undef XX

#endif
