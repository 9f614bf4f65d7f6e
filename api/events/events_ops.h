/* SPDX-License-Identifier: Apache-2.0 */
/* EventBridge's operations (issue 14, package E): the X-macro and its indexes. */
#ifndef EVENTS_OPS_H
#define EVENTS_OPS_H

#define EVENTS_OP_MAP(XX)                                \
    XX(CreateEventBus, create_event_bus)                 \
    XX(DescribeEventBus, describe_event_bus)             \
    XX(ListEventBuses, list_event_buses)                 \
    XX(DeleteEventBus, delete_event_bus)                 \
    XX(PutEvents, put_events)                            \
    XX(PutRule, put_rule)                                \
    XX(DescribeRule, describe_rule)                      \
    XX(ListRules, list_rules)                            \
    XX(DeleteRule, delete_rule)                          \
    XX(EnableRule, enable_rule)                          \
    XX(DisableRule, disable_rule)                        \
    XX(ListRuleNamesByTarget, list_rule_names_by_target) \
    XX(TestEventPattern, test_event_pattern)             \
    XX(PutTargets, put_targets)                          \
    XX(RemoveTargets, remove_targets)                    \
    XX(ListTargetsByRule, list_targets_by_rule)          \
    XX(TagResource, tag_resource)                        \
    XX(UntagResource, untag_resource)                    \
    XX(ListTagsForResource, list_tags_for_resource)      \
    /* issue 15, package L2: the bus policy */           \
    XX(PutPermission, put_permission)                    \
    XX(RemovePermission, remove_permission)

/** events_op_t: an operation's index in the service's table. */
typedef enum {
#define XX(Name, name) EVENTS_OP_##name,
    EVENTS_OP_MAP(XX)
#undef XX
        EVENTS_OP__COUNT
} events_op_t;

#endif
