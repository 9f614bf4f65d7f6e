/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Messages between services: what one service hands to a queue (SQS), a topic (SNS) or an
 * event bus (EventBridge) of this server — S3 notifications, Lambda destinations, SNS
 * subscriptions, EventBridge targets. Each entry point is implemented in its service's folder
 * (api/sqs, api/sns, api/events) and called in-process, never over HTTP.
 *
 * Every send commits durably in one write batch before it returns 0: the caller (a scheduler
 * job holding its own checkpoint) advances its checkpoint only afterwards, so a delivery is at
 * least once and nothing acknowledged is lost. The calls never block on a function or a
 * client; they may run on a loop thread or on the services thread.
 *
 * Errors: KV_ENOTFOUND (no such queue, topic or bus: the caller's destination is gone),
 * KV_EINVAL (the target refuses this message for good: too large, a FIFO target without a
 * group id, ...; *why names it when non-NULL), KV_ENOSPACE or KV_EBUSY (throttled: the disk is
 * full or the target is over a limit; retry later), other KV_ codes (retry later).
 */
#ifndef API_MSG_H
#define API_MSG_H

#include <stdbool.h>
#include <stddef.h>

#include "api.h"

/** One message attribute (SQS MessageAttributes, SNS MessageAttributes). */
typedef struct api_msg_attr {
    kv_slice_t name;
    kv_slice_t data_type; /* "String", "Number", "Binary", or one with a ".label" */
    kv_slice_t value;     /* the string value, or the binary value's bytes */
} api_msg_attr_t;

/** A message for a queue or a topic. Slices are the caller's, read only during the call. */
typedef struct api_msg {
    kv_slice_t body; /* the message (SQS MessageBody, SNS Message) */
    const api_msg_attr_t *attrs;
    size_t n_attrs;
    kv_slice_t subject;    /* SNS Subject (empty: none) */
    kv_slice_t group_id;   /* FIFO: MessageGroupId (empty: none) */
    kv_slice_t dedup_id;   /* FIFO: MessageDeduplicationId (empty: content-based when the
                              target has it on, else refused as SQS/SNS refuse it) */
    kv_slice_t source_arn; /* the sender (aws:SourceArn for policies; SNS's topic for SQS) */
} api_msg_t;

/** Whether a queue, topic or bus ARN names one that exists here (configuration checks:
 * PutBucketNotificationConfiguration, PutFunctionEventInvokeConfig, PutTargets, Subscribe). */
bool api_sqs_exists(api_ctx_t *ctx, kv_slice_t queue_arn);
bool api_sns_exists(api_ctx_t *ctx, kv_slice_t topic_arn);
bool api_events_exists(api_ctx_t *ctx, kv_slice_t bus_arn);
/** A queue's visibility timeout and whether it is FIFO (either pointer may be NULL), for
 * configuration checks (an event source mapping's). @return 0, KV_ENOTFOUND. */
int api_sqs_info(api_ctx_t *ctx, kv_slice_t queue_arn, unsigned *vis_s, bool *fifo);

/**
 * Send one message to the queue queue_arn (api/sqs). Validated as SendMessage validates it;
 * the queue's delay, FIFO deduplication and group rules apply. The new message id (a UUID) is
 * appended to id_out when non-NULL. why (non-NULL) receives a static reason for KV_EINVAL.
 */
int api_sqs_send(api_ctx_t *ctx, kv_slice_t queue_arn, const api_msg_t *m, kv_buf_t *id_out,
                 const char **why);

/**
 * Publish one message to the topic topic_arn (api/sns), as Publish does: the topic's
 * subscriptions (filter policies applied) each get a durable delivery. The message id is
 * appended to id_out when non-NULL.
 */
int api_sns_publish(api_ctx_t *ctx, kv_slice_t topic_arn, const api_msg_t *m, kv_buf_t *id_out,
                    const char **why);

/**
 * Put one event on the bus bus_arn (api/events), as PutEvents does with one entry: event_json
 * is the whole event (version, id, detail-type, source, account, time, region, resources,
 * detail) that rules match and targets receive; it is stored as given after validation. The
 * event id is appended to id_out when non-NULL (the id in event_json when it has one).
 */
int api_events_put(api_ctx_t *ctx, kv_slice_t bus_arn, kv_slice_t event_json, kv_buf_t *id_out,
                   const char **why);

/* ---- consumers inside the server (a Lambda event source mapping on a queue) ---- */

/** One received message, as a Lambda SQS event record. */
typedef struct api_sqs_rec {
    kv_slice_t json;       /* the record: messageId, receiptHandle, body, attributes (with
                              ApproximateReceiveCount, SentTimestamp, SenderId,
                              ApproximateFirstReceiveTimestamp; FIFO: SequenceNumber,
                              MessageGroupId, MessageDeduplicationId), messageAttributes,
                              md5OfBody, md5OfMessageAttributes, eventSource "aws:sqs",
                              eventSourceARN, awsRegion — Lambda's shape, field for field */
    kv_slice_t receipt;    /* its receipt handle */
    kv_slice_t message_id; /* its id (ReportBatchItemFailures names it) */
    kv_slice_t group_id;   /* FIFO: its group (empty on standard queues) */
} api_sqs_rec_t;

/**
 * Receive up to max messages of queue_arn as ReceiveMessage does (max up to 10 000 for a
 * mapping's batch; visibility_s seconds invisible; FIFO: the queue's group rules, in order),
 * without waiting. Records are allocated in a. *n is 0 when nothing is visible; then *wake_ms
 * (when non-NULL) is the time until a message becomes visible (delay or visibility end), or -1
 * for "only when a message is sent" (a send is an engine commit, which wakes on_commit jobs).
 */
int api_sqs_consume(api_ctx_t *ctx, kv_slice_t queue_arn, unsigned max, unsigned visibility_s,
                    kv_arena_t *a, api_sqs_rec_t **recs, size_t *n, int64_t *wake_ms);
/** Delete a consumed message by its receipt handle (DeleteMessage). */
int api_sqs_ack(api_ctx_t *ctx, kv_slice_t queue_arn, kv_slice_t receipt);
/** Make a consumed message visible again after visibility_s seconds (ChangeMessageVisibility;
 * 0: at once). Its receive count already counts this receipt: the queue's redrive policy moves
 * it to the dead-letter queue at the receive that passes maxReceiveCount. */
int api_sqs_nack(api_ctx_t *ctx, kv_slice_t queue_arn, kv_slice_t receipt, unsigned visibility_s);

/* ---- one dispatcher for the senders (issue 14, package W1) ---- */

/**
 * Send body (a JSON document) to the destination arn, whichever service it names: an SQS queue
 * (api_sqs_send, body as the message), an SNS topic (api_sns_publish, body as the message) or
 * an EventBridge bus (api_events_put of the event {version "0", id (a UUID), detail-type
 * ev_detail_type, source ev_source, account, time, region, resources [ev_resource when it is
 * not empty], detail: body}; body must then be a JSON object). Used by S3 notifications and
 * Lambda destinations; callers keep their own function and bucket cases.
 * @return 0 (committed), KV_EINVAL for an ARN of another service (or one the target refuses for
 * good; *why names it when non-NULL), or the target's error (see above).
 */
int api_msg_deliver(api_ctx_t *ctx, kv_slice_t arn, kv_slice_t body, const char *ev_source,
                    const char *ev_detail_type, kv_slice_t ev_resource, const char **why);
/** Whether arn names a queue, topic or bus (by its service; it need not exist). */
bool api_msg_is_target(kv_slice_t arn);
/** Whether arn names a queue, topic or bus that exists here. */
bool api_msg_exists(api_ctx_t *ctx, kv_slice_t arn);

/* ---- resource policies and service principals (issue 15, packages L1 and L2) ---- */

/** The resource policy text of a queue (its Policy attribute), a topic (its Policy attribute),
 * a bus (PutPermission's policy) or a function (AddPermission's policy; an alias or version
 * ARN: that qualifier's), into *policy in arena a (empty: it has none).
 * @return 0 or KV_ENOTFOUND. Implemented by L2 (queues, topics, buses) and L1 (functions). */
int api_sqs_policy(api_ctx_t *ctx, kv_slice_t queue_arn, kv_arena_t *a, kv_slice_t *policy);
int api_sns_policy(api_ctx_t *ctx, kv_slice_t topic_arn, kv_arena_t *a, kv_slice_t *policy);
int api_events_policy(api_ctx_t *ctx, kv_slice_t bus_arn, kv_arena_t *a, kv_slice_t *policy);
int api_lambda_policy(api_ctx_t *ctx, kv_slice_t function_arn, kv_arena_t *a, kv_slice_t *policy);

/**
 * May the AWS service principal `service` ("s3.amazonaws.com", "sns.amazonaws.com",
 * "events.amazonaws.com") perform action ("sqs:SendMessage", "sns:Publish",
 * "events:PutEvents", "lambda:InvokeFunction") on target (a queue, topic, bus or function ARN)
 * on behalf of source_arn (the bucket, topic or rule: aws:SourceArn; aws:SourceAccount is the
 * account)? As AWS does, only the target's resource policy can allow a service principal.
 * @return true when allowed; false with *why (may be NULL) set to the reason, in arena a.
 * Implemented by L2 in api_msg.c.
 */
bool api_msg_permitted(api_ctx_t *ctx, kv_slice_t target, const char *service, const char *action,
                       kv_slice_t source_arn, kv_arena_t *a, const char **why);

/**
 * api_msg_permitted for a delivery about to be made (not a configuration check): a refusal is
 * counted (stratus_msg_denied_total) and logged with the reason, which *why (may be NULL)
 * receives. Issue 15, package L2.
 */
bool api_msg_deliverable(api_ctx_t *ctx, kv_slice_t target, const char *service, const char *action,
                         kv_slice_t source_arn, kv_arena_t *a, const char **why);

#endif
