/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 16, package R: the configuration parsers of untrusted text. The input is validated as
 * each kind of configuration (under the id its <Id> names, and under "x"); what validates is
 * validated again in its canonical form, which must reproduce itself. The input is also read as
 * a stored configuration document (whose entries must re-encode to the same bytes), as a
 * Content-Encoding, as a metadata value, and as a DeleteObjects <Object> with conditions.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/kv_arena.h"
#include "base/kv_buf.h"
#include "s3/s3_int.h"

static const char *const roots[S3_CFG_N_KINDS] = {"IntelligentTieringConfiguration",
                                                  "InventoryConfiguration",
                                                  "AnalyticsConfiguration", "MetricsConfiguration"};

static void validate(kv_arena_t *a, s3_cfg_kind_t k, kv_slice_t id, kv_slice_t in)
{
    kv_buf_t out, again, doc;
    kv_buf_init(&out, 1u << 20);
    kv_buf_init(&again, 1u << 20);
    kv_buf_init(&doc, 2u << 20);
    const char *msg;
    if (s3_cfg_validate(a, k, id, in, &out, &msg) == API_E_NONE) {
        kv_buf_printf(&doc, "<%s>", roots[k]);
        kv_buf_append_slice(&doc, kv_buf_slice(&out));
        kv_buf_printf(&doc, "</%s>", roots[k]);
        if (s3_cfg_validate(a, k, id, kv_buf_slice(&doc), &again, &msg) != API_E_NONE ||
            !kv_slice_eq(kv_buf_slice(&out), kv_buf_slice(&again)))
            abort();
    }
    kv_buf_dispose(&out);
    kv_buf_dispose(&again);
    kv_buf_dispose(&doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kv_slice_t in = kv_slice(data, size);
    kv_arena_t *a = kv_arena_new(4096);

    /* as each kind, under the document's own id (when it has one) and under "x" */
    api_xnode_t *root;
    kv_slice_t id = KV_SLICE_LIT("x");
    if (api_xml_parse(a, in, &root) == 0) {
        api_xnode_t *n = api_xml_child(root, "Id");
        if (n)
            id = n->text;
        const eng_del_cond_t *c;
        (void)s3_delete_cond_xml(a, root, &c);
    }
    for (int k = 0; k < S3_CFG_N_KINDS; k++) {
        validate(a, (s3_cfg_kind_t)k, id, in);
        validate(a, (s3_cfg_kind_t)k, KV_SLICE_LIT("x"), in);
    }

    /* as a stored document */
    s3_cfg_entry_t *e;
    size_t n;
    if (s3_cfg_decode(a, in, &e, &n) == 0) {
        kv_buf_t b;
        kv_buf_init(&b, size + 1);
        s3_cfg_encode(&b, e, n);
        if (!kv_slice_eq(kv_buf_slice(&b), in))
            abort();
        kv_buf_dispose(&b);
    }

    /* as a header value */
    const char *ce = s3_content_encoding_in(a, in);
    if (ce && strlen(ce) > size)
        abort();
    if (memchr(data, 0, size) == NULL) {
        char *v = kv_arena_strndup(a, (const char *)data, size);
        const char *m = s3_meta_out(a, v);
        for (const char *p = m; *p; p++)
            if ((uint8_t)*p >= 0x80)
                abort(); /* what S3 answers is US-ASCII */
    }
    kv_arena_free(a);
    return 0;
}
