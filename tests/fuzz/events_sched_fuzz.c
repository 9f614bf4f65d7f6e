/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EventBridge's pure parsers (api/events): the first byte picks one. 0: a ScheduleExpression
 * (rate() or cron()) is parsed and, when valid, its next fire times are walked from a moment
 * the next 8 bytes give. 1: a JSONPath is checked and evaluated over a fixed event. 2: the rest
 * is a target (JSON: Input, InputPath, InputTransformer) and an event separated by the first NUL
 * byte; the target input is made and, when the template is valid JSON, must parse.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "events/events_int.h"

static const char event[] =
    "{\"version\":\"0\",\"id\":\"i\",\"detail-type\":\"t\",\"source\":\"s\",\"account\":\"1\","
    "\"time\":\"2026-01-01T00:00:00Z\",\"region\":\"r\",\"resources\":[\"x\"],\"detail\":{\"a\":"
    "1,\"b\":[\"q\\\"\",{\"c\":null}],\"a b\":true}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    kv_arena_t *a = kv_arena_new(4096);
    kv_slice_t in = kv_slice(data + 1, size - 1);
    api_json_t *ev, *t;
    const char *err;
    switch (data[0] % 3) {
    case 0: {
        int64_t after = 0;
        if (in.len >= 8) {
            memcpy(&after, in.p, 8);
            in = kv_slice(in.p + 8, in.len - 8);
        }
        after = after < 0 ? -(after / 2) : after;
        after %= 4102444800000LL; /* before 2100 */
        events_sched_t *s;
        if (events_sched_parse(a, in, &s) == 0)
            for (int i = 0; i < 4 && after >= 0; i++) {
                int64_t next = events_sched_next(s, after);
                if (next >= 0 && next <= after)
                    abort(); /* strictly after */
                after = next;
            }
        break;
    }
    case 1: {
        bool ok = events_path_valid(in);
        kv_buf_t tj, out;
        kv_buf_init(&tj, 1 << 16);
        kv_buf_init(&out, 1 << 20);
        kv_buf_append_byte(&out, '['); /* (the parser takes arrays and objects only) */
        api_jw_t w;
        api_jw_init(&w, &tj);
        api_jw_obj_begin(&w);
        api_jw_key(&w, "InputPath");
        api_jw_str(&w, in);
        api_jw_obj_end(&w);
        if (ok && api_json_parse(a, kv_buf_slice(&tj), &t, &err) == 0 &&
            api_json_parse(a, kv_slice_str(event), &ev, &err) == 0 &&
            events_transform(a, t, kv_slice_str(event), ev, "arn:r", "r", 0, &out) == 0 &&
            (kv_buf_append_byte(&out, ']'), api_json_parse(a, kv_buf_slice(&out), &t, &err) < 0))
            abort(); /* a path's value is JSON */
        kv_buf_dispose(&tj);
        kv_buf_dispose(&out);
        break;
    }
    default: {
        const uint8_t *nul = memchr(in.p, 0, in.len);
        size_t tl = nul ? (size_t)(nul - in.p) : in.len;
        kv_slice_t ej = nul ? kv_slice(nul + 1, in.len - tl - 1) : kv_slice_str(event);
        if (api_json_parse(a, kv_slice(in.p, tl), &t, &err) < 0 ||
            api_json_parse(a, ej, &ev, &err) < 0)
            break;
        kv_buf_t out;
        kv_buf_init(&out, 1 << 20);
        (void)events_transform(a, t, ej, ev, "arn:aws:events:r:1:rule/r", "r", 1, &out);
        kv_buf_dispose(&out);
        break;
    }
    }
    kv_arena_free(a);
    return 0;
}
