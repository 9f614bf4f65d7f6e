/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The parts of a fake api layer that server tests share (the server's real code linked against
 * a test's own api_begin, api_handle, api_offload and api_resp_hold): response set-up, a body
 * sink that takes everything, no-op metrics (connections counted in fake_api_conns), and a
 * loopback client connection.
 */
#ifndef FAKE_API_H
#define FAKE_API_H

#include <stdatomic.h>

#include "api.h"

/** Connections open, as the server reported them (api_count_conn). */
extern atomic_int fake_api_conns;

/** The WAL buffer as the server sees it (api_wal_*): pending is set by a test's "write" and
 * cleared by a flush that succeeds; flushes counts api_wal_flush calls; while fail is set a
 * flush fails. */
extern atomic_int fake_api_wal_pending, fake_api_wal_flushes, fake_api_wal_fail;

/** Connect to 127.0.0.1:port (asserting success); reads time out after recv_timeout_s when
 * it is not 0. */
int fake_api_connect(int port, int recv_timeout_s);

#endif
