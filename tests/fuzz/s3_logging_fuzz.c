/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 server access logging (issue 16, package G): the input is given to the BucketLoggingStatus
 * parser (PutBucketLogging's body) and to the stored-form reader; what parses is stored,
 * read back and rendered as GetBucketLogging's XML, which must parse to the same status. The
 * input also fills the free-text fields of an access-log line, which must stay one bounded
 * line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/kv_arena.h"
#include "base/kv_buf.h"
#include "eng_alog.h"
#include "s3/s3_int.h"

static void round_trip(kv_arena_t *a, const s3_logging_t *c)
{
    kv_buf_t doc, xml;
    kv_buf_init(&doc, 4u << 20);
    kv_buf_init(&xml, 4u << 20);
    s3_logging_t d, e;
    if (c->enabled) {
        s3_logging_encode(c, &doc);
        if (s3_logging_decode(kv_buf_slice(&doc), &d) != 0 || !d.enabled || d.fmt != c->fmt ||
            d.n_grants != c->n_grants || !kv_slice_eq(d.target, c->target) ||
            !kv_slice_eq(d.prefix, c->prefix) || !kv_slice_eq(d.grants, c->grants))
            abort();
    } else {
        d = *c;
    }
    s3_logging_xml(&d, &xml);
    /* Text may change in the XML round trip (a parser normalises line ends), the shape not. */
    if (s3_logging_parse(a, kv_buf_slice(&xml), &e) != 0 || e.enabled != d.enabled ||
        (e.enabled && (e.n_grants != d.n_grants || e.fmt != d.fmt)))
        abort();
    kv_buf_dispose(&doc);
    kv_buf_dispose(&xml);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kv_slice_t in = kv_slice(data, size);
    kv_arena_t *a = kv_arena_new(4096);
    s3_logging_t c;
    if (s3_logging_parse(a, in, &c) == 0)
        round_trip(a, &c);
    if (s3_logging_decode(in, &c) == 0 && c.enabled) {
        kv_buf_t xml;
        kv_buf_init(&xml, 4u << 20);
        s3_logging_xml(&c, &xml);
        kv_buf_dispose(&xml);
    }
    s3_alog_fields_t f = {.owner = in,
                          .bucket = in,
                          .remote_ip = in,
                          .requester = in,
                          .request_id = in,
                          .operation = in,
                          .key = in,
                          .method = in,
                          .uri = in,
                          .http_version = in,
                          .status = 200,
                          .error_code = in,
                          .referer = in,
                          .user_agent = in,
                          .host = in,
                          .time_ms = (int64_t)size};
    kv_buf_t line;
    kv_buf_init(&line, ENG_ALOG_LINE_MAX);
    s3_alog_format(&f, &line);
    /* 25 fields of at most S3_ALOG_FIELD_MAX bytes each, and their separators. */
    if (kv_buf_failed(&line) || line.len > 25 * (S3_ALOG_FIELD_MAX + 4) ||
        memchr(line.p, '\n', line.len) || memchr(line.p, '\r', line.len))
        abort();
    kv_buf_dispose(&line);
    char op[96];
    s3_alog_operation((int)(size % (S3_OP__COUNT + 2)) - 1, in, op, sizeof(op));
    kv_arena_free(a);
    return 0;
}
