/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The function runner: function instances are processes that speak the Lambda Runtime API
 * (each on its own loopback port, answered only to the instance's own processes), started on
 * demand up to a function's concurrency in PID, mount and IPC namespaces of their own (code
 * read-only, a bounded tmpfs for temporary space), reused while warm, killed on timeout with
 * every process they started. One thread runs them all on an event loop of its own, another
 * unpacks code; no function work runs on an HTTP loop thread.
 */
#ifndef SRV_FN_H
#define SRV_FN_H

#include "api.h"

typedef struct srv_fn srv_fn_t;

/** Start the runner and register it with the api layer. main_port is stratusd's own port
 * (functions get AWS_ENDPOINT_URL pointing at it). @return NULL on failure. */
srv_fn_t *srv_fn_start(api_ctx_t *api, int main_port);
/** Stop every instance (pending invocations fail) and the thread. Accepts NULL. */
void srv_fn_stop(srv_fn_t *f);

#endif
