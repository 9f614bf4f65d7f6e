/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SQS (issue 14, package Q): the queues' in-memory state shared by the service's files. A
 * queue's settings and its message index (ready heap, timer heap, FIFO groups, counters) live
 * in an sqs_queue_t under the queue's lock; RocksDB holds the records (engine/eng_queue.c) and
 * every change is committed in one batch before the index changes.
 */
#ifndef SQS_INT_H
#define SQS_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "api_int.h"
#include "api_msg.h"
#include "codec/api_json_r.h"
#include "codec/api_query.h"

#define SQS_TARGET_PREFIX  "AmazonSQS."
#define SQS_QUERY_NS       "http://queue.amazonaws.com/doc/2012-11-05/"
#define SQS_QUERY_VERSION  "2012-11-05"
#define SQS_NAME_MAX       80
#define SQS_MSG_MAX        1048576 /* MaximumMessageSize's maximum and default (AWS, 2025) */
#define SQS_BATCH_MAX      10      /* entries in a batch request */
#define SQS_DEDUP_MS       300000  /* the FIFO deduplication interval */
#define SQS_VIS_MAX_S      43200   /* 12 hours */
#define SQS_WAIT_MAX_S     20
#define SQS_DELETE_WAIT_MS 60000 /* a deleted queue's name: reusable after this */
#define SQS_PURGE_MS       60000
#define SQS_ATTEMPTS_MAX   100000 /* FIFO ReceiveRequestAttemptIds remembered per queue */

#define SQS_OP_MAP(XX)                                                \
    XX(CreateQueue, create_queue)                                     \
    XX(GetQueueUrl, get_queue_url)                                    \
    XX(ListQueues, list_queues)                                       \
    XX(DeleteQueue, delete_queue)                                     \
    XX(GetQueueAttributes, get_queue_attributes)                      \
    XX(SetQueueAttributes, set_queue_attributes)                      \
    XX(TagQueue, tag_queue)                                           \
    XX(UntagQueue, untag_queue)                                       \
    XX(ListQueueTags, list_queue_tags)                                \
    XX(PurgeQueue, purge_queue)                                       \
    XX(SendMessage, send_message)                                     \
    XX(SendMessageBatch, send_message_batch)                          \
    XX(ReceiveMessage, receive_message)                               \
    XX(DeleteMessage, delete_message)                                 \
    XX(DeleteMessageBatch, delete_message_batch)                      \
    XX(ChangeMessageVisibility, change_message_visibility)            \
    XX(ChangeMessageVisibilityBatch, change_message_visibility_batch) \
    XX(ListDeadLetterSourceQueues, list_dead_letter_source_queues)    \
    XX(AddPermission, add_permission)                                 \
    XX(RemovePermission, remove_permission)                           \
    XX(StartMessageMoveTask, start_message_move_task)                 \
    XX(ListMessageMoveTasks, list_message_move_tasks)                 \
    XX(CancelMessageMoveTask, cancel_message_move_task)

typedef enum {
#define XX(Name, name) SQS_OP_##name,
    SQS_OP_MAP(XX)
#undef XX
        SQS_OP__COUNT
} sqs_op_t;

/* ---- the message index ---- */

struct sqs_group;

/** One message in the index (its body and attributes stay in RocksDB). */
typedef struct sqs_m {
    uint64_t seq;        /* its key; the FIFO SequenceNumber */
    int64_t visible_at;  /* ms: delayed or in flight until then */
    int64_t sent_ms;     /* SentTimestamp */
    int64_t base_ms;     /* retention counts from here (the original enqueue) */
    int64_t first_recv;  /* ApproximateFirstReceiveTimestamp (0: never received) */
    int64_t last_recv;   /* the latest receive (the 12-hour visibility bound) */
    uint32_t receives;   /* ApproximateReceiveCount */
    uint32_t gen;        /* receipt generation: the latest receipt names it */
    uint32_t nonce;      /* random, in its receipts: a receipt never names another message */
    bool inflight;       /* received and not visible again yet */
    bool in_timer;       /* in the timer heap (else ready, or in its FIFO group) */
    size_t hpos;         /* position in its heap */
    struct sqs_group *g; /* FIFO: its group */
    struct sqs_m *gprev, *gnext;
    struct sqs_m *hnext; /* hash chain */
} sqs_m_t;

/** An indexed binary heap of messages: by visible_at (timer) or by seq (ready). */
typedef struct sqs_heap {
    sqs_m_t **a;
    size_t n, cap;
    bool by_time;
} sqs_heap_t;

/** A FIFO message group: its messages in order; one in-flight batch at a time. */
typedef struct sqs_group {
    char *name;
    sqs_m_t *head, *tail;
    uint32_t n_inflight;
    bool listed;                     /* in the queue's ready list */
    struct sqs_group *rprev, *rnext; /* ready list */
    struct sqs_group *hnext;         /* hash chain */
} sqs_group_t;

/** A FIFO deduplication entry (also a ReceiveRequestAttemptId's). */
typedef struct sqs_dedup {
    char *key;
    int64_t expires_ms;
    char msg_id[37];
    uint64_t seq;
    struct sqs_dedup *hnext;
} sqs_dedup_t;

struct sqs_waiter;

/** A queue: its settings (as SQS's attribute strings, and parsed) and its index. */
typedef struct sqs_queue {
    char name[SQS_NAME_MAX + 1];
    uint32_t id;
    bool fifo;
    atomic_int refs;
    atomic_bool deleted;      /* set under lock, with the queue's records' delete: a writer that
                                 checked it under lock commits before that delete */
    pthread_mutex_t lock;     /* two queues' locks (a move to a dead-letter queue): the lower id
                                 first, or the second one tried only */
    pthread_mutex_t set_lock; /* SetQueueAttributes: read, apply, store, one at a time (taken
                                 before any other lock) */
    /* settings (under lock) */
    int64_t created_ms, modified_ms;
    unsigned delay_s, max_size, retention_s, wait_s, vis_s, kms_reuse_s;
    bool cbd, sse, dedup_per_group, tput_per_group;
    char *policy, *redrive, *redrive_allow, *kms_key;
    char *dlq_arn; /* from redrive */
    unsigned max_receives;
    char **tag_k, **tag_v;
    size_t n_tags;
    /* index (under lock) */
    sqs_m_t **mtab; /* by seq */
    size_t mtab_cap, n_msgs;
    sqs_heap_t ready, timer;
    sqs_group_t **gtab;
    size_t gtab_cap, n_groups;
    sqs_group_t *rhead, *rtail;
    sqs_dedup_t **dtab;
    size_t dtab_cap, n_dedup;
    size_t n_inflight, n_delayed;
    atomic_uint_fast64_t next_seq; /* given out under lock; each batch that writes a message
                                      stores the high-water mark (eng_qbatch_seq_put) */
    int64_t purge_ms;
    struct sqs_waiter *waiters, *waiters_tail; /* held receives, oldest first (state wlock) */
    int64_t wake_at; /* state wlock: no message of q becomes visible before this (a bound:
                        lowered by every change that puts one in the timer heap) */
    size_t wqpos;    /* state wlock: its place in the state's heap of waited-on queues */
    atomic_uint_fast64_t sends;                   /* commits of sends (a held receive retries
                                                     when one came while it looked) */
    size_t ret_cursor;                            /* the retention job's place in mtab */
    struct sqs_attempt *attempts, *attempts_tail; /* FIFO ReceiveRequestAttemptIds (5 minutes),
                                                     oldest first */
    struct sqs_attempt **atab;                    /* the same by id */
    size_t atab_cap, n_attempts;
} sqs_queue_t;

/** A FIFO receive attempt: what it returned, returned again to a retry with its id. */
typedef struct sqs_attempt {
    char *id;
    int64_t expires_ms;
    uint64_t *seqs;
    uint32_t *gens;
    size_t n;
    struct sqs_attempt *next;  /* the queue's list, oldest first */
    struct sqs_attempt *hnext; /* hash chain */
} sqs_attempt_t;

/** A message move task (StartMessageMoveTask): from a dead-letter queue back to the sources
 * of its messages, or to DestinationArn. In memory: a restart ends it. */
typedef struct sqs_task {
    char handle[96];
    char src[256], dest[256]; /* dest empty: each message's source queue */
    int rate;                 /* messages per second; 0: no bound */
    int64_t started_ms, last_ms;
    double credit;
    uint64_t moved, to_move;
    int status; /* SQS_TASK_* */
    char reason[160];
    struct sqs_task *next;
} sqs_task_t;

enum { SQS_TASK_RUNNING = 0, SQS_TASK_COMPLETED, SQS_TASK_CANCELLED, SQS_TASK_FAILED };

/** The service's state. */
typedef struct sqs_state {
    api_ctx_t *ctx;
    pthread_rwlock_t lock; /* the registry */
    sqs_queue_t **q;       /* sorted by name */
    size_t n, cap;
    struct {
        char name[SQS_NAME_MAX + 1];
        int64_t at;
    } gone[64]; /* recently deleted names */
    size_t n_gone;
    pthread_mutex_t wlock;     /* the held receives (every queue's waiter list) */
    struct sqs_waiter **wheap; /* every held receive, a min-heap by deadline (the wait job) */
    size_t wheap_n, wheap_cap;
    sqs_queue_t **wq; /* the queues with held receives, a min-heap by wake_at */
    size_t wq_n, wq_cap;
    pthread_mutex_t tlock; /* the move tasks */
    sqs_task_t *tasks;     /* newest first */
    atomic_bool stopping;
    uint8_t receipt_key[16];
} sqs_state_t;

extern const api_service_t sqs_service;

/* sqs_index.c */
void sqs_heap_push(sqs_heap_t *h, sqs_m_t *m);
void sqs_heap_remove(sqs_heap_t *h, sqs_m_t *m);
sqs_m_t *sqs_heap_top(const sqs_heap_t *h);
sqs_m_t *sqs_find(sqs_queue_t *q, uint64_t seq);
/** Add a message to the index (visible_at decides ready or waiting). */
void sqs_index_add(sqs_queue_t *q, sqs_m_t *m, kv_slice_t group);
/** Remove and free a message. */
void sqs_index_del(sqs_queue_t *q, sqs_m_t *m);
/** Move a message to visible_at (a receive, a visibility change); inflight as given. */
void sqs_index_move(sqs_queue_t *q, sqs_m_t *m, int64_t visible_at, bool inflight);
/** Move the messages whose time came from the timer heap to ready. */
void sqs_index_settle(sqs_queue_t *q, int64_t now);
/** Drop every message (purge, delete). */
void sqs_index_clear(sqs_queue_t *q);
sqs_dedup_t *sqs_dedup_find(sqs_queue_t *q, kv_slice_t key, int64_t now);
void sqs_dedup_add(sqs_queue_t *q, kv_slice_t key, int64_t expires, const char *id, uint64_t seq);
/** Forget the entries past their interval; their keys are appended (NUL-separated) to gone. */
size_t sqs_dedup_expire(sqs_queue_t *q, int64_t now, kv_buf_t *gone, size_t max);
/** The retention job's next slice: up to max messages past retention (now - base_ms >= keep;
 * not in flight) from at most steps slots of the table from q->ret_cursor, each slot visited
 * at most once per call, so no message is listed twice. @return the count put in out. */
size_t sqs_index_expired(sqs_queue_t *q, int64_t now, int64_t keep, sqs_m_t **out, size_t max,
                         size_t steps);
/** A FIFO receive attempt by id (expired ones are dropped first), or NULL. */
sqs_attempt_t *sqs_attempt_find(sqs_queue_t *q, kv_slice_t id, int64_t now);
/** Remember an attempt's messages until expires; false (not remembered) past
 * SQS_ATTEMPTS_MAX. The id must not be there. */
bool sqs_attempt_add(sqs_queue_t *q, kv_slice_t id, int64_t expires, const uint64_t *seqs,
                     const uint32_t *gens, size_t n);
/** Drop the attempts past their time (oldest first: O(dropped)). */
void sqs_attempt_expire(sqs_queue_t *q, int64_t now);
/** Drop them all (the queue is freed). */
void sqs_attempt_clear(sqs_queue_t *q);
/** Free all the index holds (messages, groups, deduplication entries, attempts, the tables and
 * heaps), before the queue itself is freed. */
void sqs_index_free(sqs_queue_t *q);
/** The visible-message count. */
size_t sqs_n_visible(const sqs_queue_t *q);

/* sqs_api.c */
sqs_state_t *sqs_state(api_ctx_t *ctx);
/** The queue by name, referenced (sqs_queue_put releases), or NULL. */
sqs_queue_t *sqs_queue_get(sqs_state_t *s, kv_slice_t name);
sqs_queue_t *sqs_queue_by_arn(sqs_state_t *s, kv_slice_t arn);
void sqs_queue_put(sqs_queue_t *q);
/** The queue's ARN into out. */
void sqs_queue_arn(api_ctx_t *ctx, const sqs_queue_t *q, char *out, size_t cap);
/** Record the SQS error e (message fmt) in resp. */
int sqs_refuse(api_resp_t *resp, api_err_t e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* sqs_msg.c */
void sqs_op_send(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                 api_jw_t *w, bool batch);
void sqs_op_receive(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                    api_jw_t *w);
void sqs_op_delete(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                   api_jw_t *w, bool batch);
void sqs_op_visibility(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                       api_jw_t *w, bool batch);
void sqs_op_purge(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                  api_jw_t *w);
void sqs_op_move_start(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                       api_jw_t *w);
void sqs_op_move_list(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                      api_jw_t *w);
void sqs_op_move_cancel(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                        api_jw_t *w);
/** The move job: each running task moves what its rate allows. */
int sqs_move_run(api_ctx_t *ctx, void *state, unsigned budget);
/** Load a queue's messages and dedup entries at open. */
int sqs_queue_load(api_ctx_t *ctx, sqs_queue_t *q);
/** Answer every held receive of q now (the queue is deleted or the server stops). */
void sqs_waiters_flush(api_ctx_t *ctx, sqs_queue_t *q);
/** The abandon hook: a held receive whose client went away is answered empty. */
void sqs_abandon(api_ctx_t *ctx, api_resp_t *resp);
/** The hold hook. */
bool sqs_hold(api_resp_t *resp, api_released_cb cb, void *arg);
/** The wait job: held receives past their time; messages whose delay or visibility ended. */
int sqs_wait_run(api_ctx_t *ctx, void *state, unsigned budget);
/** The retention job: messages past the retention period, dedup entries past 5 minutes. */
int sqs_retention_run(api_ctx_t *ctx, void *state, unsigned budget);
/** The MD5 of message attributes as SQS computes it (hex into out[33]). */
void sqs_md5_attrs(const api_msg_attr_t *a, size_t n, char out[33]);

/* sqs_query.c: the query protocol (a request without X-Amz-Target) */
/** The operation Action names, or API_OP_NONE. */
int sqs_query_op(kv_slice_t action);
/** An operation's input shape (its query serialization), or NULL. */
const api_qshape_t *sqs_query_input(int op);
/** An operation's output shape (no fields: the response has no Result element), or NULL. */
const api_qshape_t *sqs_query_output(int op);
/** The query protocol's code of error e (SQS's legacy codes: x-amzn-query-error of the JSON
 * protocol), or NULL when it is the wire code (the shared authentication errors). */
const char *sqs_query_code(api_err_t e);
/** Parse the form (a POST's body, a GET's query string), set the request's operation and
 * decode its members into *in (QueueUrl from a queue URL's path when not given). 0, or -1
 * with resp's error set. */
int sqs_query_decode(api_req_t *req, api_resp_t *resp, api_json_t **in);
/** Rewrite the operation's JSON output in resp as its XML response, or the error recorded in
 * resp as the query protocol's ErrorResponse (SQS's legacy codes); the Content-Type. */
void sqs_query_finish(api_req_t *req, api_resp_t *resp);

/* sqs_authz.c (issue 15, package L2) */
/** Authorize the decoded operation op (its action, the queue's ARN and Policy, tag keys).
 * @return 0 allowed (or naming no queue: the operation refuses it), -1 refused with resp's
 * error set. */
int sqs_authorize(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, int op, const api_json_t *in);

#endif
