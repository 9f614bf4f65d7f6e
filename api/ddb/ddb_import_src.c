/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The import's CSV reader (issue 17, package I): RFC 4180 records (quoted fields with ""
 * for a quote, quoted delimiters and newlines), split in one pass.
 */
#include <string.h>

#include "ddb_int.h"

bool ddb_csv_scan_line(bool *inq, kv_slice_t line)
{
    for (size_t i = 0; i < line.len; i++)
        if (line.p[i] == '"')
            *inq = !*inq; /* "" inside quotes toggles twice */
    return !*inq;
}

int ddb_csv_split(kv_arena_t *a, kv_slice_t rec, uint8_t delim, kv_slice_t *fields, size_t max)
{
    const uint8_t *p = rec.p, *end = rec.p + rec.len;
    /* A record's own line break (CRLF or LF) is not part of its last field. */
    if (end > p && end[-1] == '\n')
        end--;
    if (end > p && end[-1] == '\r')
        end--;
    size_t n = 0;
    /* Every quoted field's unquoted copy goes in one buffer as long as the record (a copy is
     * never longer than its text), so memory stays linear in the record. */
    uint8_t *out = NULL;
    for (;;) {
        if (n == max)
            return -1;
        if (p < end && *p == '"') {
            /* a quoted field: copy it without its quotes, "" as one quote */
            p++;
            if (out == NULL)
                out = kv_arena_alloc(a, (size_t)(end - p) + 1);
            size_t k = 0;
            for (;;) {
                if (p >= end)
                    return -1; /* a quote left open */
                if (*p == '"') {
                    if (p + 1 < end && p[1] == '"') {
                        out[k++] = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                out[k++] = *p++;
            }
            fields[n++] = kv_slice(out, k);
            out += k;
            if (p == end)
                return (int)n;
            if (*p != delim)
                return -1; /* text after a closing quote */
            p++;
            continue;
        }
        const uint8_t *s = p;
        while (p < end && *p != delim) {
            if (*p == '"')
                return -1; /* a quote inside an unquoted field */
            p++;
        }
        fields[n++] = kv_slice(s, (size_t)(p - s));
        if (p == end)
            return (int)n;
        p++;
    }
}
