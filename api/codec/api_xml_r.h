/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Small XML request bodies (CreateBucketConfiguration, DeleteObjects, ...)
 * parsed with expat into an arena tree. DOCTYPE is refused outright; depth and
 * element count are limited.
 */
#ifndef API_XML_R_H
#define API_XML_R_H

#include "base/kv_arena.h"
#include "base/kv_slice.h"

#define API_XML_MAX_DEPTH 32
#define API_XML_MAX_NODES 20000

typedef struct api_xnode {
    const char *name;
    kv_slice_t text; /* concatenated character data directly inside this element */
    struct api_xnode *child;
    struct api_xnode *next;
} api_xnode_t;

/** Parse a document. @return 0, KV_EINVAL (malformed or DOCTYPE), KV_ETOOBIG. */
int api_xml_parse(kv_arena_t *a, kv_slice_t text, api_xnode_t **root);
/** First child element with this name, or NULL. */
api_xnode_t *api_xml_child(const api_xnode_t *n, const char *name);

#endif
