/* SPDX-License-Identifier: Apache-2.0 */
/*
 * POST Object bodies: the input is a multipart/form-data body with boundary "b". It goes
 * through the streaming reader directly, whole and split at every few bytes (the parts and
 * bytes seen must not depend on how the body arrives), and then as a POST Object request
 * through the api layer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_harness.h"
#include "base/kv_arena.h"
#include "base/kv_buf.h"
#include "codec/api_multipart.h"

typedef struct {
    kv_buf_t log; /* B<name>|<filename>\n, data bytes, E\n */
} rec_t;

static int rec_begin(void *arg, kv_slice_t name, kv_slice_t filename, kv_slice_t ctype)
{
    rec_t *r = arg;
    (void)ctype;
    kv_buf_append_byte(&r->log, 'B');
    kv_buf_append_slice(&r->log, name);
    kv_buf_append_byte(&r->log, '|');
    kv_buf_append_slice(&r->log, filename);
    kv_buf_append_byte(&r->log, '\n');
    return 0;
}

static int rec_data(void *arg, const uint8_t *p, size_t n)
{
    rec_t *r = arg;
    if (n == 0)
        abort(); /* never called empty */
    kv_buf_append(&r->log, p, n);
    return 0;
}

static int rec_end(void *arg)
{
    kv_buf_append_str(&((rec_t *)arg)->log, "E\n");
    return 0;
}

static const api_mp_cb_t rec_cb = {rec_begin, rec_data, rec_end};

/* Feed in pieces of `step` bytes; the log, the result and the done flag. */
static int run_split(kv_slice_t in, size_t step, rec_t *r, bool *done)
{
    kv_arena_t *a = kv_arena_new(4096);
    api_mp_t *m = api_mp_new(a, KV_SLICE_LIT("b"), &rec_cb, r);
    int rc = 0;
    for (size_t off = 0; off < in.len && rc == 0; off += step) {
        size_t n = in.len - off < step ? in.len - off : step;
        rc = api_mp_feed(m, in.p + off, n);
    }
    *done = api_mp_done(m);
    kv_arena_free(a);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static harness_t h;
    static int ready;
    if (!ready) {
        if (harness_open(&h, "us-east-1") != 0)
            abort();
        harness_s3(&h, "PUT", "/fuzz-post", NULL, KV_SLICE_NULL, NULL);
        ready = 1;
    }
    kv_slice_t in = kv_slice(data, size);
    rec_t whole = {0};
    kv_buf_init(&whole.log, 1 << 24);
    bool done_whole;
    int rc_whole = run_split(in, size ? size : 1, &whole, &done_whole);
    static const size_t steps[] = {1, 2, 3, 7};
    for (size_t i = 0; i < sizeof(steps) / sizeof(*steps); i++) {
        rec_t piece = {0};
        kv_buf_init(&piece.log, 1 << 24);
        bool done;
        int rc = run_split(in, steps[i], &piece, &done);
        /* Errors can be found earlier or later; a clean read must match exactly. */
        if (rc_whole == 0 && rc == 0 &&
            (done != done_whole ||
             !kv_slice_eq(kv_buf_slice(&piece.log), kv_buf_slice(&whole.log))))
            abort();
        kv_buf_dispose(&piece.log);
    }
    kv_buf_dispose(&whole.log);
    /* As a POST Object request (anonymous: it is refused once the file starts, or earlier). */
    kv_buf_t req;
    kv_buf_init(&req, size + 1024);
    kv_buf_printf(&req,
                  "POST /fuzz-post HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: %zu\r\n\r\n",
                  size);
    kv_buf_append(&req, data, size);
    if (harness_run(&h, kv_buf_slice(&req), NULL) >= 500)
        abort();
    kv_buf_dispose(&req);
    return 0;
}
