/* SPDX-License-Identifier: Apache-2.0 */
/* SNS's outbound HTTP(S) client (sns_http.c): requests posted from worker threads. */
#ifndef SNS_HTTP_H
#define SNS_HTTP_H

#include <stdbool.h>

#include "base/kv_buf.h"

typedef struct sns_http sns_http_t;

/** One POST: the caller fills url, headers ("Name: value\r\n" lines) and body, and done. */
typedef struct sns_http_req {
    const char *url;
    kv_buf_t headers, body;
    int status;                             /* the response's status, or -1 (no response) */
    void (*done)(struct sns_http_req *req); /* on a worker thread, once */
    void *arg;
    struct sns_http_req *next; /* the queue's */
} sns_http_req_t;

/** A client (threads start with its first request). */
sns_http_t *sns_http_new(void);
/** Queue a request. @return 0, or -1 when the client is stopping (done is not called). */
int sns_http_post(sns_http_t *h, sns_http_req_t *r);
/** Stop: requests still queued end with status -1; waits for the threads. Accepts NULL. */
void sns_http_free(sns_http_t *h);

#endif
