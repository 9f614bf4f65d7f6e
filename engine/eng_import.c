/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DynamoDB's ImportTable (issue 17, package I): the items of a table being imported go in
 * large write batches, each with their secondary index entries and the import's progress
 * record (catalog kind 'E'), so that a crash resumes exactly after the last batch committed.
 * No stream record is written (DynamoDB writes none for an import) and no item lock is taken:
 * the api layer refuses every other access to a table while it is being imported.
 */
#include <stdlib.h>
#include <string.h>

#include "base/kv_alloc.h"
#include "eng_int.h"

typedef struct ord {
    kv_slice_t key;
    size_t i;
} ord_t;

static int ord_cmp(const void *x, const void *y)
{
    const ord_t *a = x, *b = y;
    int c = kv_slice_cmp(a->key, b->key);
    if (c)
        return c;
    return a->i < b->i ? -1 : a->i > b->i;
}

int eng_import_write(eng_t *e, const eng_table_t *t, const eng_import_item_t *items, size_t n,
                     kv_slice_t rec_key, kv_slice_t rec_val)
{
    if (rec_key.len == 0 || rec_key.len > ENG_DDBIO_KEY_MAX || rec_val.len > ENG_DDBIO_VAL_MAX)
        return KV_EINVAL;
    /* Items sharing a key: the last one wins (DynamoDB overwrites them in some order). Sorting
     * a copy of the keys finds them in O(n log n); with no index nothing depends on it. */
    ord_t *ord = NULL;
    if (n > 1 && t->n_indexes > 0) {
        ord = kv_calloc(n, sizeof(*ord));
        for (size_t i = 0; i < n; i++)
            ord[i] = (ord_t){items[i].key, i};
        qsort(ord, n, sizeof(*ord), ord_cmp);
    }
    eng_batch_t *b = eng_batch_new(e->rocks);
    kv_buf_t v, old;
    kv_buf_init(&v, 2 * ENG_ITEM_MAX_BYTES + 65536);
    kv_buf_init(&old, 2 * ENG_ITEM_MAX_BYTES + 65536);
    kv_arena_t *a = t->n_indexes ? kv_arena_new(1u << 16) : NULL;
    int rc = 0;
    for (size_t j = 0; rc == 0 && j < n; j++) {
        size_t i = ord ? ord[j].i : j;
        if (ord && j + 1 < n && kv_slice_eq(ord[j].key, ord[j + 1].key))
            continue; /* a later item has this key */
        const eng_import_item_t *x = &items[i];
        kv_buf_reset(&v);
        eng_item_encode(x->item, &v);
        if (kv_buf_failed(&v)) {
            rc = KV_ETOOBIG;
            break;
        }
        eng_batch_put(b, ENG_CF_ITEMS, x->key, kv_buf_slice(&v));
        if (t->n_indexes) {
            /* An item of an earlier batch with this key (a duplicate in the source) leaves
             * index entries that this one replaces. */
            eng_item_t *prev = NULL;
            kv_buf_reset(&old);
            int g = eng_rocks_get(e->rocks, ENG_CF_ITEMS, x->key, &old);
            if (g == 0 && eng_item_decode(kv_buf_slice(&old), a, &prev) < 0)
                prev = NULL;
            else if (g < 0 && g != KV_ENOTFOUND)
                rc = g;
            eng__index_update(b, t, x->key, prev, x->item, kv_buf_slice(&v));
            kv_arena_reset(a);
        }
    }
    if (rc == 0) {
        kv_buf_t k;
        kv_buf_init(&k, ENG_DDBIO_KEY_MAX + 1);
        eng__cat_key(&k, ENG_CAT_DDBIO, rec_key);
        eng_batch_put(b, ENG_CF_CATALOG, kv_buf_slice(&k), rec_val);
        rc = eng__write(e, b);
        kv_buf_dispose(&k);
    }
    eng_batch_free(b);
    kv_buf_dispose(&v);
    kv_buf_dispose(&old);
    if (a)
        kv_arena_free(a);
    kv_free(ord);
    return rc;
}
