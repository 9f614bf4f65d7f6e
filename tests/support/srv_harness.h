/* SPDX-License-Identifier: Apache-2.0 */
/* An in-process stratusd on 127.0.0.1 (port 0) for HTTP-glue tests and the HTTP fuzz target. */
#ifndef SRV_HARNESS_H
#define SRV_HARNESS_H

#include <stddef.h>

#include "base/kv_buf.h"

/** Start the process-wide test server once; returns its port. */
int srv_harness_port(void);
/** Connect, send data, half-close, and read everything until the server closes (or timeout_ms). */
int srv_harness_exchange(const void *data, size_t len, kv_buf_t *out, int timeout_ms);

#endif
