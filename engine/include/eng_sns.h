/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SNS topics, subscriptions and their deliveries (issue 14). Topics are catalog records 'N' +
 * name; subscriptions 'S' + topic name + ':' + id (a topic's subscriptions are one range).
 * A publish commits, in one write batch, the message once (state 'N' 0 'M' + its sequence
 * number), the count of its deliveries ('N' 0 'C' + sequence number), one small delivery
 * record per subscription that takes it (state 'S' + u64 due ms + u64 sequence number: the
 * outbox, in the order of the next attempt, so records waiting for a retry stand behind those
 * due now) and, on FIFO topics, the deduplication entry (state 'N' + topic + 0 + deduplication
 * id). The message goes with its last delivery. Sequence numbers come from a high-water mark
 * kept in the store ('N' 0 'H'), so they never repeat, whatever the clock does.
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

/** A published message, stored once; its deliveries name it by seq. */
typedef struct eng_sns_msg {
    uint64_t seq; /* its number: the FIFO SequenceNumber; grows with every publish */
    const char *topic;
    const char *msg_id;
    kv_slice_t body;     /* as published (structure: the MessageStructure json document) */
    bool structure;      /* MessageStructure json */
    const char *subject; /* NULL: none */
    const char *group, *dedup;
    int64_t ts_ms;
    eng_sns_attr_t *attrs;
    size_t n_attrs;
    uint8_t kind;        /* ENG_SNS_NOTIFICATION or ENG_SNS_CONFIRMATION (body: its Message) */
    uint8_t sig_version; /* SignatureVersion its topic had at the publish (1 or 2; 0: a record
                            written before it was kept, signed as the topic says now) */
} eng_sns_msg_t;

/** One delivery: message msg_seq for subscription sub_id, at its place in the outbox. */
typedef struct eng_sns_dlv {
    int64_t due_ms; /* when it is next tried */
    uint64_t seq;   /* its own number (unique; orders records due at the same ms) */
    uint64_t msg_seq;
    const char *sub_id;
    uint32_t attempts;  /* failed attempts so far */
    uint32_t deferrals; /* times put off while its subscription had no free slot */
} eng_sns_dlv_t;

enum { ENG_SNS_NOTIFICATION = 0, ENG_SNS_CONFIRMATION = 1 };

/**
 * Publish m (m->seq is set here) to the n subscriptions sub_ids: the message, its count and a
 * delivery due at m->ts_ms per subscription, in one batch (nothing but the deduplication entry
 * when n is 0). On a FIFO topic (m->dedup set; the topic's publishes are serialised) a message
 * of the same deduplication id published within dedup_ms is not published again — KV_EEXIST,
 * with *dup_id its message id (in a) and m->seq its sequence number — else the id is kept for
 * dedup_ms.
 */
int eng_sns_publish(eng_t *e, eng_sns_msg_t *m, const char *const *sub_ids, size_t n,
                    int64_t dedup_ms, kv_arena_t *a, const char **dup_id);
/** A message by its sequence number (KV_ENOTFOUND: none). */
int eng_sns_msg_get(eng_t *e, uint64_t seq, kv_arena_t *a, eng_sns_msg_t **out);
/**
 * Up to limit deliveries due at now_ms, in outbox order, after the one (after_due, after_seq)
 * (0, 0: from the first). *next_due: the due time of the first record not due yet (-1: none
 * seen; records past limit are not looked at).
 */
int eng_sns_dlv_due(eng_t *e, int64_t now_ms, int64_t after_due, uint64_t after_seq, size_t limit,
                    kv_arena_t *a, eng_sns_dlv_t **out, size_t *n, int64_t *next_due);
/** A delivery is finished (done or given up): delete it, and its message with the last one;
 * with unblock, its subscription's FIFO block too. */
int eng_sns_dlv_done(eng_t *e, const eng_sns_dlv_t *d, bool unblock);
/** Move delivery d (its attempts and deferrals as they now are) to due_ms. With block (a FIFO
 * subscription's record waiting for a retry), its subscription's records due before due_ms
 * wait until then too (eng_sns_block_get), so none overtakes it, across restarts as well. */
int eng_sns_dlv_move(eng_t *e, eng_sns_dlv_t *d, int64_t due_ms, bool block);
/** Until when a FIFO subscription's records wait (0: they do not). */
int eng_sns_block_get(eng_t *e, const char *sub_id, int64_t *until);
/** Delete up to limit FIFO deduplication entries expired at now_ms. *more: others may remain. */
int eng_sns_dedup_trim(eng_t *e, int64_t now_ms, size_t limit, bool *more);

#endif
