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

/** Sandbox settings from the command line, before srv_fn_start: insecure
 * (--insecure-no-sandbox: where instances cannot have namespaces, they run without them; else
 * they do not run), and the server's own files that no instance may see wherever a bind would
 * show them (the secret key file, TLS key and certificate; the data directory always). */
void srv_fn_sandbox_configure(bool insecure, const char *const *hidden, size_t n);
/** Start the runner and register it with the api layer. main_port is stratusd's own port
 * (functions get AWS_ENDPOINT_URL pointing at it). @return NULL on failure. */
srv_fn_t *srv_fn_start(api_ctx_t *api, int main_port);
/** Stop every instance (pending invocations fail) and the thread. Accepts NULL. */
void srv_fn_stop(srv_fn_t *f);

#endif
