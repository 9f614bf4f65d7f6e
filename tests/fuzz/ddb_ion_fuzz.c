/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The import's readers (issue 17, package I): the input as Ion text lines through the record
 * scanner and the Ion reader (each record read into an item, then its size taken), and as a
 * CSV record through the splitter.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../api/ddb/ddb_int.h"
#include "../../api/ddb/ddb_ion.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kv_arena_t *a = kv_arena_new(1 << 16);
    ddb_ion_scan_t s = {0};
    size_t start = 0;
    char err[256];
    for (size_t i = 0; i <= size; i++) {
        if (i < size && data[i] != '\n')
            continue;
        bool done = ddb_ion_scan_line(&s, kv_slice(data + (i > start ? start : i), i - start));
        if (done || i == size) {
            eng_item_t *it;
            if (ddb_ion_read_item(a, kv_slice(data, i), &it, err, sizeof(err)) == 1)
                (void)eng_item_size(it);
            memset(&s, 0, sizeof(s));
        }
        start = i + 1;
    }
    kv_slice_t f[64];
    (void)ddb_csv_split(a, kv_slice(data, size), ',', f, 64);
    bool q = false;
    (void)ddb_csv_scan_line(&q, kv_slice(data, size));
    kv_arena_free(a);
    return 0;
}
