/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SNS topics, subscriptions and their deliveries (issue 14). Topics are catalog records 'N' +
 * name; subscriptions 'S' + topic name + ':' + id (a topic's subscriptions are one range).
 * A publish commits, in one write batch, one delivery record per subscription that takes the
 * message (state 'S' + sequence number: an outbox read in order by the delivery job, each
 * record deleted once delivered or given up) and, on FIFO topics, the deduplication entry
 * (state 'N' + topic + 0 + deduplication id).
 */
#ifndef ENG_SNS_H
#define ENG_SNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eng.h"

/** A topic. Attributes are the settable ones as set (DisplayName, Policy, ...). */
typedef struct eng_sns_topic {
    const char *name;
    bool fifo;
    eng_tag_t *attrs;
    size_t n_attrs;
    eng_tag_t *tags;
    size_t n_tags;
    int64_t created_ms;
} eng_sns_topic_t;

/** Create (ENG_FN_CREATE: KV_EEXIST when it exists) or replace (ENG_FN_UPDATE: KV_ENOTFOUND
 * when it does not) a topic. */
int eng_sns_topic_put(eng_t *e, const eng_sns_topic_t *t, int mode);
int eng_sns_topic_get(eng_t *e, kv_slice_t name, kv_arena_t *a, eng_sns_topic_t **out);
/** Delete a topic and its subscriptions in one batch. KV_ENOTFOUND when there is none. */
int eng_sns_topic_delete(eng_t *e, kv_slice_t name);
/** Up to limit topics after the name after (empty: from the first), in name order. */
int eng_sns_topic_list(eng_t *e, kv_slice_t after, size_t limit, kv_arena_t *a,
                       eng_sns_topic_t **out, size_t *n, bool *more);

/** A subscription. */
typedef struct eng_sns_sub {
    const char *topic;
    const char *id; /* a UUID: the subscription ARN's last part */
    const char *protocol, *endpoint;
    const char *token; /* the confirmation token while pending */
    bool pending;      /* waiting for ConfirmSubscription */
    eng_tag_t *attrs;  /* RawMessageDelivery, FilterPolicy, ... as set */
    size_t n_attrs;
    int64_t created_ms;
} eng_sns_sub_t;

/** Store a subscription (its topic must exist: KV_ENOTFOUND). ENG_FN_CREATE / ENG_FN_UPDATE. */
int eng_sns_sub_put(eng_t *e, const eng_sns_sub_t *s, int mode);
int eng_sns_sub_get(eng_t *e, kv_slice_t topic, kv_slice_t id, kv_arena_t *a, eng_sns_sub_t **out);
int eng_sns_sub_delete(eng_t *e, kv_slice_t topic, kv_slice_t id);
/** Up to limit subscriptions of topic (empty: of every topic) after the key after (the
 * "topic:id" of the last one listed; empty: from the first). */
int eng_sns_sub_list(eng_t *e, kv_slice_t topic, kv_slice_t after, size_t limit, kv_arena_t *a,
                     eng_sns_sub_t **out, size_t *n, bool *more);

/** A message attribute. */
typedef struct eng_sns_attr {
    const char *name, *type;
    kv_slice_t value; /* a string's text or a binary's bytes */
} eng_sns_attr_t;

/** One delivery: a message for one subscription. */
typedef struct eng_sns_dlv {
    uint64_t seq; /* its outbox position */
    const char *topic, *sub_id;
    const char *msg_id;
    kv_slice_t body;     /* the message for this subscription's protocol */
    const char *subject; /* NULL: none */
    const char *group, *dedup;
    uint64_t fifo_seq; /* FIFO: the topic's sequence number of the message */
    int64_t ts_ms;
    eng_sns_attr_t *attrs;
    size_t n_attrs;
} eng_sns_dlv_t;

/**
 * Publish message msg_id: commit the n deliveries d (seq and fifo_seq are set here) in one
 * batch. On a FIFO topic (fifo_topic non-NULL) with a deduplication id: a message of that id
 * published within dedup_ms is not published again — KV_EEXIST, with *dup_id its message id
 * (in a) and *fifo_seq its sequence number — else the id is kept for dedup_ms. *fifo_seq
 * (when non-NULL) is the message's sequence number: it grows with every publish of the server.
 */
int eng_sns_publish(eng_t *e, const char *msg_id, const char *fifo_topic, const char *dedup_id,
                    int64_t dedup_ms, eng_sns_dlv_t *d, size_t n, kv_arena_t *a,
                    const char **dup_id, uint64_t *fifo_seq);
/** Up to limit deliveries after outbox position after, in order. */
int eng_sns_dlv_list(eng_t *e, uint64_t after, size_t limit, kv_arena_t *a, eng_sns_dlv_t **out,
                     size_t *n);
/** Delete a delivery (done or given up). */
int eng_sns_dlv_delete(eng_t *e, uint64_t seq);

#endif
