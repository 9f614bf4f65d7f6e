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
    XX(ListFunctionEventInvokeConfigs, list_function_event_invoke_configs)   \
    XX(PublishVersion, publish_version)                                      \
    XX(ListVersionsByFunction, list_versions_by_function)                    \
    XX(CreateAlias, create_alias)                                            \
    XX(GetAlias, get_alias)                                                  \
    XX(UpdateAlias, update_alias)                                            \
    XX(DeleteAlias, delete_alias)                                            \
    XX(ListAliases, list_aliases)                                            \
    XX(AddPermission, add_permission)                                        \
    XX(RemovePermission, remove_permission)                                  \
    XX(GetPolicy, get_policy)                                                \
    XX(TagResource, tag_resource)                                            \
    XX(UntagResource, untag_resource)                                        \
    XX(ListTags, list_tags)                                                  \
    XX(GetAccountSettings, get_account_settings)                             \
    XX(PublishLayerVersion, publish_layer_version)                           \
    XX(GetLayerVersion, get_layer_version)                                   \
    XX(GetLayerVersionByArn, get_layer_version_by_arn)                       \
    XX(ListLayerVersions, list_layer_versions)                               \
    XX(ListLayers, list_layers)                                              \
    XX(DeleteLayerVersion, delete_layer_version)                             \
    XX(AddLayerVersionPermission, add_layer_version_permission)              \
    XX(RemoveLayerVersionPermission, remove_layer_version_permission)        \
    XX(GetLayerVersionPolicy, get_layer_version_policy)                      \
    XX(CreateFunctionUrlConfig, create_function_url_config)                  \
    XX(GetFunctionUrlConfig, get_function_url_config)                        \
    XX(UpdateFunctionUrlConfig, update_function_url_config)                  \
    XX(DeleteFunctionUrlConfig, delete_function_url_config)                  \
    XX(ListFunctionUrlConfigs, list_function_url_configs)

/** lambda_op_t: an operation's index in the service's table (api_service_t.ops). */
typedef enum {
#define XX(Name, name) LAMBDA_OP_##name,
    LAMBDA_OP_MAP(XX)
#undef XX
        LAMBDA_OP__COUNT
} lambda_op_t;

/* The CloudWatch Logs API over function logs. */
#define LOGS_OP_MAP(XX)                          \
    XX(DescribeLogGroups, describe_log_groups)   \
    XX(DescribeLogStreams, describe_log_streams) \
    XX(GetLogEvents, get_log_events)             \
    XX(FilterLogEvents, filter_log_events)       \
    XX(DeleteLogGroup, delete_log_group)

/** logs_op_t: an operation's index in the service's table (api_service_t.ops). */
typedef enum {
#define XX(Name, name) LOGS_OP_##name,
    LOGS_OP_MAP(XX)
#undef XX
        LOGS_OP__COUNT
} logs_op_t;

#define LOGS_TARGET_PREFIX "Logs_20140328."

#endif
