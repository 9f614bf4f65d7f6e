/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Lambda and CloudWatch Logs operations, each listed once: XX(WireName, c_name). The
 * Lambda router picks a row from the method and the REST path; Logs from X-Amz-Target
 * (Logs_20140328.<op>). Metrics and the access log name requests by the same rows.
 */
#ifndef LAMBDA_OPS_H
#define LAMBDA_OPS_H

#define LAMBDA_OP_MAP(XX)                                                    \
    XX(CreateFunction, create_function)                                      \
    XX(ListFunctions, list_functions)                                        \
    XX(GetFunction, get_function)                                            \
    XX(GetFunctionConfiguration, get_function_configuration)                 \
    XX(UpdateFunctionConfiguration, update_function_configuration)           \
    XX(UpdateFunctionCode, update_function_code)                             \
    XX(DeleteFunction, delete_function)                                      \
    XX(PutFunctionConcurrency, put_function_concurrency)                     \
    XX(GetFunctionConcurrency, get_function_concurrency)                     \
    XX(DeleteFunctionConcurrency, delete_function_concurrency)               \
    XX(CreateEventSourceMapping, create_event_source_mapping)                \
    XX(ListEventSourceMappings, list_event_source_mappings)                  \
    XX(GetEventSourceMapping, get_event_source_mapping)                      \
    XX(UpdateEventSourceMapping, update_event_source_mapping)                \
    XX(DeleteEventSourceMapping, delete_event_source_mapping)                \
    XX(Invoke, invoke)                                                       \
    XX(PutFunctionEventInvokeConfig, put_function_event_invoke_config)       \
    XX(UpdateFunctionEventInvokeConfig, update_function_event_invoke_config) \
    XX(GetFunctionEventInvokeConfig, get_function_event_invoke_config)       \
    XX(DeleteFunctionEventInvokeConfig, delete_function_event_invoke_config) \
    XX(ListFunctionEventInvokeConfigs, list_function_event_invoke_configs)

/** lambda_op_t: an operation's index in the service's table (api_service_t.ops). */
typedef enum {
#define XX(Name, name) LAMBDA_OP_##name,
    LAMBDA_OP_MAP(XX)
#undef XX
        LAMBDA_OP__COUNT
} lambda_op_t;

/* The CloudWatch Logs API over function logs and the user's own. */
#define LOGS_OP_MAP(XX)                          \
    XX(DescribeLogGroups, describe_log_groups)   \
    XX(DescribeLogStreams, describe_log_streams) \
    XX(GetLogEvents, get_log_events)             \
    XX(FilterLogEvents, filter_log_events)       \
    XX(DeleteLogGroup, delete_log_group)         \
    XX(CreateLogGroup, create_log_group)         \
    XX(CreateLogStream, create_log_stream)       \
    XX(DeleteLogStream, delete_log_stream)       \
    XX(PutLogEvents, put_log_events)             \
    XX(PutRetentionPolicy, put_retention_policy) \
    XX(DeleteRetentionPolicy, delete_retention_policy)

/** logs_op_t: an operation's index in the service's table (api_service_t.ops). */
typedef enum {
#define XX(Name, name) LOGS_OP_##name,
    LOGS_OP_MAP(XX)
#undef XX
        LOGS_OP__COUNT
} logs_op_t;

#define LOGS_TARGET_PREFIX "Logs_20140328."

#endif
