/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EventBridge (issue 14, package E): the AWS JSON 1.1 protocol (X-Amz-Target AWSEvents.<Op>)
 * over event buses, rules and targets; what its files share.
 */
#ifndef EVENTS_INT_H
#define EVENTS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "../api_int.h"
#include "codec/api_json_r.h"

#include "events_ops.h"

#define EVENTS_TARGET_PREFIX "AWSEvents."
#define EVENTS_DEFAULT_BUS   "default"

/* Limits (botocore's model and EventBridge's quotas). */
#define EVENTS_MAX_ENTRIES       10          /* PutEvents entries */
#define EVENTS_MAX_PUT_BYTES     (256 << 10) /* their total size, as AWS computes it */
#define EVENTS_MAX_TARGETS       5           /* per rule */
#define EVENTS_MAX_TAGS          50
#define EVENTS_MAX_PATHS         100 /* InputTransformer.InputPathsMap keys */
#define EVENTS_DEFAULT_RETRIES   185
#define EVENTS_DEFAULT_MAX_AGE   86400
#define EVENTS_MAX_RULES_PER_BUS 300

/* SQS (api_sqs_send) and SNS (api_sns_publish) are linked in: SQS and SNS targets and
 * dead-letter queues (0: PutTargets refuses them). */
#ifndef EVENTS_HAVE_MSG
#define EVENTS_HAVE_MSG 1
#endif

extern const api_service_t events_service;

/** A value's type, API_J_NULL for an absent one (api_json_type needs a value). */
static inline api_json_type_t events_jt(const api_json_t *v)
{
    return v ? api_json_type(v) : API_J_NULL;
}

/* ---- events_sched.c: rate() and cron() expressions ---- */

typedef struct events_sched events_sched_t;
/** Parse a ScheduleExpression as EventBridge accepts it. @return 0, or -1 when it is not valid. */
int events_sched_parse(kv_arena_t *a, kv_slice_t expr, events_sched_t **out);
/** The first fire time strictly after after_ms (rate: after_ms plus the period), or -1 when
 * the expression fires no more (a cron whose years are over). */
int64_t events_sched_next(const events_sched_t *s, int64_t after_ms);
/** The length of a schedule's minute in ms: 60000, or STRATUS_EVENTS_MINUTE_MS (tests). */
int64_t events_minute_ms(void);
/** The events-schedule job. */
int events_schedule_run(api_ctx_t *ctx, void *state, unsigned budget);

/* ---- events_deliver.c ---- */

/** Bus and rule ARNs into out (cap bytes). */
void events_bus_arn(api_ctx_t *ctx, kv_slice_t bus, char *out, size_t cap);
void events_rule_arn(api_ctx_t *ctx, kv_slice_t bus, kv_slice_t rule, char *out, size_t cap);
/**
 * Accept one event (its JSON text and parsed form) on bus: the bus's enabled rules whose
 * patterns match it give one delivery record per target, all in one batch; the delivery job
 * is woken. @return 0, KV_ENOTFOUND (no such bus), or a KV_ error of the write.
 */
int events_accept(api_ctx_t *ctx, kv_slice_t bus, kv_slice_t event_json, const api_json_t *ev);
/** Bus's rules changed (PutRule, DeleteRule, EnableRule, DisableRule, PutTargets,
 * RemoveTargets, DeleteEventBus): events_accept compiles them again (it caches each bus's
 * compiled rules). Call it after the change is written. */
void events_rules_changed(api_ctx_t *ctx, kv_slice_t bus);
/** The events-deliver job. */
int events_deliver_run(api_ctx_t *ctx, void *state, unsigned budget);
/** The service's state (its jobs' in-flight deliveries). */
int events_init(api_ctx_t *ctx, const api_cfg_t *cfg, void **state);
void events_fini(void *state);
/** Apply a target's Input, InputPath or InputTransformer to event (its text and parsed form):
 * what the target receives, appended to out. rule_arn and rule name feed the reserved
 * variables. @return 0 or -1 (a template that does not make valid input). */
int events_transform(kv_arena_t *a, const api_json_t *target, kv_slice_t event_json,
                     const api_json_t *ev, const char *rule_arn, const char *rule,
                     int64_t ingest_ms, kv_buf_t *out);
/** Check a JSONPath as InputPath and InputPathsMap take it ($, $.a.b, $.a[0], $['a']).
 * @return true when valid. */
bool events_path_valid(kv_slice_t path);

/* ---- events_authz.c (issue 15, package L2) ---- */

/** Authorize the decoded operation op: its action, the bus's or rule's ARN, the bus's policy
 * and condition keys. @return 0 allowed (or naming nothing: the operation refuses it), -1
 * refused with resp's error set. */
int events_authorize(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, int op,
                     const api_json_t *in);
/** PutPermission (add) and RemovePermission: the bus's resource policy. */
void events_op_permission(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                          api_jw_t *w, bool add);

#endif
