/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The AWS query protocol (SNS, SQS's older clients, IAM, STS): a form-encoded body (or a GET's
 * query string) of Action, Version and members named by paths ("Attributes.entry.1.key",
 * "Tags.member.2.Value", "MessageAttribute.1.Value.StringValue"), decoded by a per-operation
 * shape table into the same JSON document a JSON-protocol client would send, so that a
 * service's operation decoders read both alike. Responses are XML: the envelope and the error
 * document are written here.
 */
#ifndef API_QUERY_H
#define API_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "api_json_r.h"
#include "api_xw.h"
#include "base/kv_arena.h"
#include "base/kv_buf.h"
#include "base/kv_slice.h"

/* Limits, checked before anything is allocated for a parameter. */
#define API_QUERY_MAX_PARAMS 4096 /* parameters in one request */
#define API_QUERY_MAX_NAME   256  /* bytes of one parameter's (decoded) name */
#define API_QUERY_MAX_INDEX  1000 /* a list's or map's N */
#define API_QUERY_MAX_DEPTH  12   /* shapes nested in one parameter's path */

/** What a member is. */
typedef enum api_qkind {
    API_Q_STR = 0, /* a string (blobs too: their base64 text, as the JSON protocol has it) */
    API_Q_INT,     /* an integer: a JSON number */
    API_Q_BOOL,    /* "true" or "false": a JSON boolean */
    API_Q_LIST,    /* Name.member.N (flat: Name.N), elements of shape elem */
    API_Q_MAP,     /* Name.entry.N.key / .value (flat: Name.N.Name / .Value), values of elem */
    API_Q_STRUCT,  /* Name.Field...: the n_fields shapes of fields */
} api_qkind_t;

typedef struct api_qshape api_qshape_t;
/** One member of an operation's input (the operation itself is an API_Q_STRUCT). */
struct api_qshape {
    const char *name; /* its name in the JSON document */
    const char *wire; /* its name in the query (NULL: name) */
    api_qkind_t kind;
    bool flat;                  /* lists and maps: flattened (no "member"/"entry" step) */
    const char *item;           /* a list's element name (NULL: "member"); a map's key name
                                   (NULL: "key", flat "Name") */
    const char *val;            /* a map's value name (NULL: "value", flat "Value") */
    const api_qshape_t *elem;   /* a list's elements, a map's values (NULL: strings) */
    const api_qshape_t *fields; /* a structure's members */
    size_t n_fields;
};

/** One decoded parameter. */
typedef struct api_qparam {
    kv_slice_t name, value;
} api_qparam_t;

/** A parsed request: its Action, Version and the other parameters (in the arena). */
typedef struct api_query {
    kv_slice_t action, version;
    bool has_action;
    api_qparam_t *params;
    size_t n;
} api_query_t;

/**
 * Split and percent-decode form (application/x-www-form-urlencoded: '+' is a space, %XX
 * strict, names and values valid UTF-8) into q, in arena a. @return 0, or KV_EINVAL with a
 * message in *err (a malformed escape, invalid UTF-8, a repeated name), KV_ETOOBIG (over a
 * limit above; *err says which).
 */
int api_query_parse(kv_arena_t *a, kv_slice_t form, api_query_t *q, const char **err);

/**
 * Build the JSON document of q's parameters by op's members (an API_Q_STRUCT). Names no shape
 * knows are ignored, as AWS ignores them. @return 0 with *out, or KV_EINVAL with *err (an
 * index that is not 1..API_QUERY_MAX_INDEX, a map entry without its key, a value that is not
 * its member's integer or boolean, too deep), KV_ETOOBIG.
 */
int api_query_decode(kv_arena_t *a, const api_query_t *q, const api_qshape_t *op, api_json_t **out,
                     const char **err);

/**
 * Start a response: the XML declaration, <{op}Response xmlns="{xmlns}"> and, when result,
 * <{op}Result>. w then writes the result's members into out.
 */
void api_query_resp_begin(api_xw_t *w, kv_buf_t *out, const char *op, const char *xmlns,
                          bool result);
/** End it: </{op}Result> (when result), ResponseMetadata with the request id, </{op}Response>. */
void api_query_resp_end(api_xw_t *w, const char *op, bool result, kv_slice_t request_id);

/**
 * The query protocol's error document into out (replacing what it held):
 * <ErrorResponse xmlns><Error><Type>Sender|Receiver</Type><Code/><Message/></Error>
 * <RequestId/></ErrorResponse>; Receiver when status is 500 or more.
 */
void api_query_error(kv_buf_t *out, const char *xmlns, int status, kv_slice_t code, const char *msg,
                     kv_slice_t request_id);

#endif
