/* SPDX-License-Identifier: Apache-2.0 */
/* Streaming XML writer for S3 responses: escaping, declaration, namespace. */
#ifndef API_XW_H
#define API_XW_H

#include <stdbool.h>
#include <stdint.h>

#include "base/kv_buf.h"

#define API_XW_S3_NS "http://s3.amazonaws.com/doc/2006-03-01/"

typedef struct api_xw {
    kv_buf_t *out;
    bool url_encode; /* EncodingType=url: percent-encode text instead of escaping */
} api_xw_t;

/** Start a document: declaration plus the root element (with the S3 namespace when ns). */
void api_xw_begin(api_xw_t *w, kv_buf_t *out, const char *root, bool ns);
void api_xw_open(api_xw_t *w, const char *tag);
void api_xw_close(api_xw_t *w, const char *tag);
/** <tag>escaped text</tag> */
void api_xw_elem(api_xw_t *w, const char *tag, kv_slice_t text);
void api_xw_elem_str(api_xw_t *w, const char *tag, const char *text);
void api_xw_elem_u64(api_xw_t *w, const char *tag, uint64_t v);
/** Append text escaped for XML; characters XML 1.0 forbids become numeric references. */
void api_xml_escape(kv_buf_t *b, kv_slice_t s);

#endif
