/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SQS over the query protocol (Version 2012-11-05), which older SDKs send (Debian's botocore
 * 1.29, the AWS CLI 2.9): a request with credential scope "sqs" and no X-Amz-Target carries
 * Action and its members in a form body (or a GET's query string), possibly at a queue URL's
 * path /<account>/<queue name>. The per-operation shapes below (the query serialization names
 * of botocore's sqs service-2.json: flattened lists and maps, locationNames) decode it into
 * the document the JSON protocol carries, so the operations run as they do for JSON; their JSON
 * output is written back as SQS's XML by the output shapes, and errors as the query protocol's
 * ErrorResponse with SQS's legacy codes.
 */
#include <string.h>

#include "codec/api_query.h"
#include "sqs_int.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define STRUCT(f)                                           \
    {                                                       \
        .kind = API_Q_STRUCT, .fields = f, .n_fields = N(f) \
    }
/* A flattened list of strings (AttributeName.1, TagKey.1, ...). */
#define FLIST(n, w)                                            \
    {                                                          \
        .name = n, .wire = w, .kind = API_Q_LIST, .flat = true \
    }
/* A flattened list of structures (SendMessageBatchRequestEntry.1.Id, ...). */
#define FLIST_OF(n, w, e)                                                    \
    {                                                                        \
        .name = n, .wire = w, .kind = API_Q_LIST, .flat = true, .elem = &(e) \
    }
#define INT(n)                       \
    {                                \
        .name = n, .kind = API_Q_INT \
    }
#define QURL               \
    {                      \
        .name = "QueueUrl" \
    }
/* Attribute.N.Name / Attribute.N.Value */
#define ATTRS(n)                                                        \
    {                                                                   \
        .name = n, .wire = "Attribute", .kind = API_Q_MAP, .flat = true \
    }
/* Tag.N.Key / Tag.N.Value */
#define TAGS(n)                                                                  \
    {                                                                            \
        .name = n, .wire = "Tag", .kind = API_Q_MAP, .flat = true, .item = "Key" \
    }
/* MessageAttribute.N.Name / MessageAttribute.N.Value.StringValue|BinaryValue|DataType|... */
#define MSG_ATTRS                                                                                 \
    {                                                                                             \
        .name = "MessageAttributes", .wire = "MessageAttribute", .kind = API_Q_MAP, .flat = true, \
        .elem = &mav                                                                              \
    }
#define SYS_ATTRS                                                                               \
    {                                                                                           \
        .name = "MessageSystemAttributes", .wire = "MessageSystemAttribute", .kind = API_Q_MAP, \
        .flat = true, .elem = &mav                                                              \
    }

/* MessageAttributeValue (and MessageSystemAttributeValue) */
static const api_qshape_t mav_f[] = {
    {.name = "StringValue"},
    {.name = "BinaryValue"},
    FLIST("StringListValues", "StringListValue"),
    FLIST("BinaryListValues", "BinaryListValue"),
    {.name = "DataType"},
};
static const api_qshape_t mav = STRUCT(mav_f);

/* ---- inputs ---- */

static const api_qshape_t in_create_f[] = {
    {.name = "QueueName"}, ATTRS("Attributes"), TAGS("tags")};
static const api_qshape_t in_get_url_f[] = {{.name = "QueueName"},
                                            {.name = "QueueOwnerAWSAccountId"}};
static const api_qshape_t in_list_f[] = {
    {.name = "QueueNamePrefix"}, {.name = "NextToken"}, INT("MaxResults")};
static const api_qshape_t in_qurl_f[] = {QURL};
static const api_qshape_t in_get_attrs_f[] = {QURL, FLIST("AttributeNames", "AttributeName")};
static const api_qshape_t in_set_attrs_f[] = {QURL, ATTRS("Attributes")};
static const api_qshape_t in_tag_f[] = {QURL, TAGS("Tags")};
static const api_qshape_t in_untag_f[] = {QURL, FLIST("TagKeys", "TagKey")};
static const api_qshape_t in_send_f[] = {
    QURL,
    {.name = "MessageBody"},
    INT("DelaySeconds"),
    MSG_ATTRS,
    SYS_ATTRS,
    {.name = "MessageDeduplicationId"},
    {.name = "MessageGroupId"},
};
static const api_qshape_t send_entry_f[] = {
    {.name = "Id"},
    {.name = "MessageBody"},
    INT("DelaySeconds"),
    MSG_ATTRS,
    SYS_ATTRS,
    {.name = "MessageDeduplicationId"},
    {.name = "MessageGroupId"},
};
static const api_qshape_t send_entry = STRUCT(send_entry_f);
static const api_qshape_t in_send_batch_f[] = {
    QURL, FLIST_OF("Entries", "SendMessageBatchRequestEntry", send_entry)};
static const api_qshape_t in_receive_f[] = {
    QURL,
    FLIST("AttributeNames", "AttributeName"),
    FLIST("MessageSystemAttributeNames", "MessageSystemAttributeName"),
    FLIST("MessageAttributeNames", "MessageAttributeName"),
    INT("MaxNumberOfMessages"),
    INT("VisibilityTimeout"),
    INT("WaitTimeSeconds"),
    {.name = "ReceiveRequestAttemptId"},
};
static const api_qshape_t in_delete_f[] = {QURL, {.name = "ReceiptHandle"}};
static const api_qshape_t delete_entry_f[] = {{.name = "Id"}, {.name = "ReceiptHandle"}};
static const api_qshape_t delete_entry = STRUCT(delete_entry_f);
static const api_qshape_t in_delete_batch_f[] = {
    QURL, FLIST_OF("Entries", "DeleteMessageBatchRequestEntry", delete_entry)};
static const api_qshape_t in_vis_f[] = {QURL, {.name = "ReceiptHandle"}, INT("VisibilityTimeout")};
static const api_qshape_t vis_entry_f[] = {
    {.name = "Id"}, {.name = "ReceiptHandle"}, INT("VisibilityTimeout")};
static const api_qshape_t vis_entry = STRUCT(vis_entry_f);
static const api_qshape_t in_vis_batch_f[] = {
    QURL, FLIST_OF("Entries", "ChangeMessageVisibilityBatchRequestEntry", vis_entry)};
static const api_qshape_t in_dlq_f[] = {QURL, {.name = "NextToken"}, INT("MaxResults")};
static const api_qshape_t in_add_perm_f[] = {
    QURL,
    {.name = "Label"},
    FLIST("AWSAccountIds", "AWSAccountId"),
    FLIST("Actions", "ActionName"),
};
static const api_qshape_t in_remove_perm_f[] = {QURL, {.name = "Label"}};
static const api_qshape_t in_move_start_f[] = {
    {.name = "SourceArn"}, {.name = "DestinationArn"}, INT("MaxNumberOfMessagesPerSecond")};
static const api_qshape_t in_move_list_f[] = {{.name = "SourceArn"}, INT("MaxResults")};
static const api_qshape_t in_move_cancel_f[] = {{.name = "TaskHandle"}};

static const api_qshape_t sqs_qin[SQS_OP__COUNT] = {
    [SQS_OP_create_queue] = STRUCT(in_create_f),
    [SQS_OP_get_queue_url] = STRUCT(in_get_url_f),
    [SQS_OP_list_queues] = STRUCT(in_list_f),
    [SQS_OP_delete_queue] = STRUCT(in_qurl_f),
    [SQS_OP_get_queue_attributes] = STRUCT(in_get_attrs_f),
    [SQS_OP_set_queue_attributes] = STRUCT(in_set_attrs_f),
    [SQS_OP_tag_queue] = STRUCT(in_tag_f),
    [SQS_OP_untag_queue] = STRUCT(in_untag_f),
    [SQS_OP_list_queue_tags] = STRUCT(in_qurl_f),
    [SQS_OP_purge_queue] = STRUCT(in_qurl_f),
    [SQS_OP_send_message] = STRUCT(in_send_f),
    [SQS_OP_send_message_batch] = STRUCT(in_send_batch_f),
    [SQS_OP_receive_message] = STRUCT(in_receive_f),
    [SQS_OP_delete_message] = STRUCT(in_delete_f),
    [SQS_OP_delete_message_batch] = STRUCT(in_delete_batch_f),
    [SQS_OP_change_message_visibility] = STRUCT(in_vis_f),
    [SQS_OP_change_message_visibility_batch] = STRUCT(in_vis_batch_f),
    [SQS_OP_list_dead_letter_source_queues] = STRUCT(in_dlq_f),
    [SQS_OP_add_permission] = STRUCT(in_add_perm_f),
    [SQS_OP_remove_permission] = STRUCT(in_remove_perm_f),
    [SQS_OP_start_message_move_task] = STRUCT(in_move_start_f),
    [SQS_OP_list_message_move_tasks] = STRUCT(in_move_list_f),
    [SQS_OP_cancel_message_move_task] = STRUCT(in_move_cancel_f),
};

/* ---- outputs (n_fields 0: the response has no Result element) ---- */

static const api_qshape_t out_url_f[] = {QURL};
static const api_qshape_t out_list_f[] = {FLIST("QueueUrls", "QueueUrl"), {.name = "NextToken"}};
static const api_qshape_t out_attrs_f[] = {ATTRS("Attributes")};
static const api_qshape_t out_tags_f[] = {TAGS("Tags")};
static const api_qshape_t out_send_f[] = {
    {.name = "MD5OfMessageBody"},
    {.name = "MD5OfMessageAttributes"},
    {.name = "MD5OfMessageSystemAttributes"},
    {.name = "MessageId"},
    {.name = "SequenceNumber"},
};
static const api_qshape_t err_entry_f[] = {
    {.name = "Id"},
    {.name = "SenderFault", .kind = API_Q_BOOL},
    {.name = "Code"},
    {.name = "Message"},
};
static const api_qshape_t err_entry = STRUCT(err_entry_f);
#define FAILED FLIST_OF("Failed", "BatchResultErrorEntry", err_entry)
static const api_qshape_t send_res_f[] = {
    {.name = "Id"},
    {.name = "MessageId"},
    {.name = "MD5OfMessageBody"},
    {.name = "MD5OfMessageAttributes"},
    {.name = "MD5OfMessageSystemAttributes"},
    {.name = "SequenceNumber"},
};
static const api_qshape_t send_res = STRUCT(send_res_f);
static const api_qshape_t out_send_batch_f[] = {
    FLIST_OF("Successful", "SendMessageBatchResultEntry", send_res), FAILED};
static const api_qshape_t id_res_f[] = {{.name = "Id"}};
static const api_qshape_t id_res = STRUCT(id_res_f);
static const api_qshape_t out_delete_batch_f[] = {
    FLIST_OF("Successful", "DeleteMessageBatchResultEntry", id_res), FAILED};
static const api_qshape_t out_vis_batch_f[] = {
    FLIST_OF("Successful", "ChangeMessageVisibilityBatchResultEntry", id_res), FAILED};
static const api_qshape_t message_f[] = {
    {.name = "MessageId"},
    {.name = "ReceiptHandle"},
    {.name = "MD5OfBody"},
    {.name = "Body"},
    ATTRS("Attributes"),
    {.name = "MD5OfMessageAttributes"},
    MSG_ATTRS,
};
static const api_qshape_t message = STRUCT(message_f);
static const api_qshape_t out_receive_f[] = {FLIST_OF("Messages", "Message", message)};
static const api_qshape_t out_dlq_f[] = {FLIST("queueUrls", "QueueUrl"), {.name = "NextToken"}};
static const api_qshape_t out_move_start_f[] = {{.name = "TaskHandle"}};
static const api_qshape_t task_f[] = {
    {.name = "TaskHandle"},
    {.name = "Status"},
    {.name = "SourceArn"},
    {.name = "DestinationArn"},
    INT("MaxNumberOfMessagesPerSecond"),
    INT("ApproximateNumberOfMessagesMoved"),
    INT("ApproximateNumberOfMessagesToMove"),
    {.name = "FailureReason"},
    INT("StartedTimestamp"),
};
static const api_qshape_t task = STRUCT(task_f);
static const api_qshape_t out_move_list_f[] = {
    FLIST_OF("Results", "ListMessageMoveTasksResultEntry", task)};
static const api_qshape_t out_move_cancel_f[] = {INT("ApproximateNumberOfMessagesMoved")};

static const api_qshape_t sqs_qout[SQS_OP__COUNT] = {
    [SQS_OP_create_queue] = STRUCT(out_url_f),
    [SQS_OP_get_queue_url] = STRUCT(out_url_f),
    [SQS_OP_list_queues] = STRUCT(out_list_f),
    [SQS_OP_get_queue_attributes] = STRUCT(out_attrs_f),
    [SQS_OP_list_queue_tags] = STRUCT(out_tags_f),
    [SQS_OP_send_message] = STRUCT(out_send_f),
    [SQS_OP_send_message_batch] = STRUCT(out_send_batch_f),
    [SQS_OP_receive_message] = STRUCT(out_receive_f),
    [SQS_OP_delete_message_batch] = STRUCT(out_delete_batch_f),
    [SQS_OP_change_message_visibility_batch] = STRUCT(out_vis_batch_f),
    [SQS_OP_list_dead_letter_source_queues] = STRUCT(out_dlq_f),
    [SQS_OP_start_message_move_task] = STRUCT(out_move_start_f),
    [SQS_OP_list_message_move_tasks] = STRUCT(out_move_list_f),
    [SQS_OP_cancel_message_move_task] = STRUCT(out_move_cancel_f),
};

const api_qshape_t *sqs_query_input(int op)
{
    return op >= 0 && op < SQS_OP__COUNT ? &sqs_qin[op] : NULL;
}

const api_qshape_t *sqs_query_output(int op)
{
    return op >= 0 && op < SQS_OP__COUNT ? &sqs_qout[op] : NULL;
}

int sqs_query_op(kv_slice_t action)
{
    for (int i = 0; i < SQS_OP__COUNT; i++)
        if (kv_slice_eq_str(action, sqs_service.ops[i].name))
            return i;
    return API_OP_NONE;
}

const char *sqs_query_code(api_err_t e)
{
    const char *ns = api_err_ns(e);
    /* SQS's rows hold the query code; the shared rows (authentication) a JSON namespace */
    return ns[0] && !strchr(ns, '#') ? ns : NULL;
}

/* ---- requests ---- */

/* The queue a request's path names (/<account>/<queue name>), or KV_SLICE_NULL. */
static kv_slice_t path_queue(kv_slice_t path)
{
    if (path.len < 4 || path.p[0] != '/')
        return KV_SLICE_NULL;
    const uint8_t *slash = memchr(path.p + 1, '/', path.len - 1);
    if (!slash || slash == path.p + 1)
        return KV_SLICE_NULL;
    size_t rest = path.len - (size_t)(slash + 1 - path.p);
    if (rest == 0 || rest > SQS_NAME_MAX || memchr(slash + 1, '/', rest))
        return KV_SLICE_NULL;
    return path;
}

int sqs_query_decode(api_req_t *req, api_resp_t *resp, api_json_t **in)
{
    api_state_t *st = req->_st;
    kv_slice_t body = kv_buf_slice(&st->body);
    bool get = kv_slice_eq_str(req->method, "GET");
    kv_slice_t form = get || body.len == 0 ? req->query : body;
    api_query_t q;
    const char *err = NULL;
    int rc = api_query_parse(req->arena, form, &q, &err);
    if (rc)
        return sqs_refuse(resp, API_E_SQS_BAD_PARAM, "%s", err);
    if (!q.has_action || q.action.len == 0)
        return sqs_refuse(resp, API_E_SQS_MISSING_PARAM,
                          "The request must contain the parameter Action.");
    int op = sqs_query_op(q.action);
    if (op == API_OP_NONE)
        return sqs_refuse(resp, API_E_SQS_INVALID_ACTION,
                          "The action %.*s is not valid for this endpoint.",
                          (int)(q.action.len > 80 ? 80 : q.action.len), (const char *)q.action.p);
    st->op = op;
    if (q.version.len && !kv_slice_eq_str(q.version, SQS_QUERY_VERSION))
        return sqs_refuse(resp, API_E_SQS_BAD_PARAM, "Unsupported API version %.*s",
                          (int)(q.version.len > 32 ? 32 : q.version.len),
                          (const char *)q.version.p);
    const api_qshape_t *shape = &sqs_qin[op];
    /* At a queue URL's path, the path names the queue when the parameters do not. */
    kv_slice_t pq = path_queue(req->path);
    if (pq.len && !strcmp(shape->fields[0].name, "QueueUrl")) {
        bool given = false;
        for (size_t i = 0; i < q.n && !given; i++)
            given = kv_slice_eq_str(q.params[i].name, "QueueUrl");
        if (!given) {
            api_qparam_t *p = kv_arena_calloc(req->arena, q.n + 1, sizeof(*p));
            if (q.n)
                memcpy(p, q.params, q.n * sizeof(*p));
            p[q.n].name = KV_SLICE_LIT("QueueUrl");
            p[q.n].value = pq;
            q.params = p;
            q.n++;
        }
    }
    rc = api_query_decode(req->arena, &q, shape, in, &err);
    if (rc)
        return sqs_refuse(resp, API_E_SQS_BAD_PARAM, "%s", err);
    return 0;
}

/* ---- responses ---- */

/* The shared authentication errors (the JSON protocols' rows) as SQS's query protocol names
 * them, like AWS's other query services. */
static const struct {
    api_err_t e;
    const char *code;
    int status;
} auth_codes[] = {
    {API_E_DDB_INVALID_SIGNATURE, "SignatureDoesNotMatch", 403},
    {API_E_DDB_UNRECOGNIZED_CLIENT, "InvalidClientTokenId", 403},
    {API_E_DDB_EXPIRED_TOKEN, "ExpiredToken", 403},
    {API_E_DDB_MISSING_AUTH, "MissingAuthenticationToken", 403},
    {API_E_DDB_INCOMPLETE_SIGNATURE, "IncompleteSignature", 400},
};

void sqs_query_finish(api_req_t *req, api_resp_t *resp)
{
    api_state_t *st = req->_st;
    kv_slice_t rid = kv_slice_str(st->request_id);
    if (!resp->_err && st->op >= 0 && st->op < SQS_OP__COUNT) {
        const api_qshape_t *out = &sqs_qout[st->op];
        const char *name = sqs_service.ops[st->op].name;
        api_json_t *doc = NULL;
        const char *err = NULL;
        kv_slice_t body = kv_buf_slice(&resp->body);
        if (out->n_fields && body.len && api_json_parse(req->arena, body, &doc, &err) < 0) {
            sqs_refuse(resp, API_E_SQS_INTERNAL, "The response could not be written");
        } else {
            kv_buf_reset(&resp->body);
            api_xw_t w;
            api_query_resp_begin(&w, &resp->body, name, SQS_QUERY_NS, out->n_fields > 0);
            if (doc)
                api_query_encode(&w, doc, out);
            api_query_resp_end(&w, name, out->n_fields > 0, rid);
            if (kv_buf_failed(&resp->body))
                sqs_refuse(resp, API_E_SQS_INTERNAL, "The response was too large");
        }
    }
    if (resp->_err) {
        api_err_t e = (api_err_t)resp->_err;
        const char *qcode = sqs_query_code(e);
        for (size_t i = 0; !qcode && i < N(auth_codes); i++)
            if (auth_codes[i].e == e) {
                qcode = auth_codes[i].code;
                resp->status = auth_codes[i].status;
            }
        api_query_error(&resp->body, SQS_QUERY_NS, resp->status,
                        kv_slice_str(qcode ? qcode : api_err_code(e)), resp->_msg, rid);
    }
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("text/xml"));
}
