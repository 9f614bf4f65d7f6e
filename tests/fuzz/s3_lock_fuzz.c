/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 Object Lock (api/s3/s3_lock.c, issue 16 package L): the input goes to each parser of
 * untrusted Object Lock text: an ISO 8601 date (the x-amz-object-lock-retain-until-date header
 * and RetainUntilDate), an ObjectLockConfiguration body, a Retention body and a LegalHold body.
 * A configuration that parses must survive its stored form unchanged; what parses must be in
 * range (a date from 1970 to 9999, a default period S3 allows).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/kv_arena.h"
#include "base/kv_buf.h"
#include "s3/s3_int.h"

#define MAX_MS 253402300800000LL /* 10000-01-01T00:00:00Z */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kv_slice_t in = kv_slice(data, size);
    kv_arena_t *a = kv_arena_new(4096);
    const char *msg;

    int64_t ms;
    if (s3_lock_date(in, &ms) && (ms < 0 || ms >= MAX_MS))
        abort();

    s3_lock_conf_t c;
    if (s3_lock_conf_parse(a, in, &c, &msg) == API_E_NONE) {
        if (c.has_rule && ((c.days == 0) == (c.years == 0) || c.days > S3_LOCK_MAX_DAYS ||
                           c.years > S3_LOCK_MAX_YEARS ||
                           (c.mode != ENG_LOCK_GOVERNANCE && c.mode != ENG_LOCK_COMPLIANCE)))
            abort();
        kv_buf_t x;
        kv_buf_init(&x, 4096);
        s3_lock_conf_xml(&c, &x);
        s3_lock_conf_t back;
        if (s3_lock_conf_parse(a, kv_buf_slice(&x), &back, &msg) != API_E_NONE ||
            memcmp(&back, &c, sizeof(c)) != 0)
            abort();
        kv_buf_dispose(&x);
    }

    eng_lock_mode_t mode;
    int64_t until;
    if (s3_lock_retention_parse(a, in, &mode, &until, &msg) == API_E_NONE &&
        mode != ENG_LOCK_NONE && (until < 0 || until >= MAX_MS))
        abort();

    bool on;
    (void)s3_lock_hold_parse(a, in, &on, &msg);

    kv_arena_free(a);
    return 0;
}
