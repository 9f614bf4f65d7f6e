/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTP glue: raw bytes to an in-process stratusd over loopback (llhttp,
 * limits, pipelining, api routing). The server must answer or close, and
 * stay alive for the next input.
 */
#include <stdint.h>
#include <stdlib.h>

#include "srv_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kv_buf_t out;
    kv_buf_init(&out, 16u << 20);
    srv_harness_exchange(data, size, &out, 3000);
    /* The server is still serving. */
    kv_buf_t h;
    kv_buf_init(&h, 1 << 16);
    srv_harness_exchange("GET /health HTTP/1.1\r\nHost: x\r\n\r\n", 34, &h, 3000);
    if (h.len < 12 || memcmp(h.p, "HTTP/1.1 200", 12) != 0)
        abort();
    kv_buf_dispose(&h);
    kv_buf_dispose(&out);
    return 0;
}
