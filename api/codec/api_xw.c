/* SPDX-License-Identifier: Apache-2.0 */
/* Streaming XML writer. */
#include "api_xw.h"

#include "auth/sigv4.h"

void api_xml_escape(kv_buf_t *b, kv_slice_t s)
{
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = s.p[i];
        switch (c) {
        case '&':
            kv_buf_append_str(b, "&amp;");
            break;
        case '<':
            kv_buf_append_str(b, "&lt;");
            break;
        case '>':
            kv_buf_append_str(b, "&gt;");
            break;
        case '"':
            kv_buf_append_str(b, "&quot;");
            break;
        case '\'':
            kv_buf_append_str(b, "&apos;");
            break;
        default:
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                kv_buf_printf(b, "&#x%X;", c); /* not XML 1.0; S3 clients use EncodingType=url */
            else if (c == '\r' || c == '\n')
                kv_buf_printf(b, "&#x%X;", c); /* keep line ends exact */
            else
                kv_buf_append_byte(b, c);
        }
    }
}

void api_xw_begin(api_xw_t *w, kv_buf_t *out, const char *root, bool ns)
{
    w->out = out;
    w->url_encode = false;
    kv_buf_append_str(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<");
    kv_buf_append_str(out, root);
    if (ns)
        kv_buf_append_str(out, " xmlns=\"" API_XW_S3_NS "\"");
    kv_buf_append_byte(out, '>');
}

void api_xw_open(api_xw_t *w, const char *tag)
{
    kv_buf_append_byte(w->out, '<');
    kv_buf_append_str(w->out, tag);
    kv_buf_append_byte(w->out, '>');
}

void api_xw_close(api_xw_t *w, const char *tag)
{
    kv_buf_append(w->out, "</", 2);
    kv_buf_append_str(w->out, tag);
    kv_buf_append_byte(w->out, '>');
}

void api_xw_elem(api_xw_t *w, const char *tag, kv_slice_t text)
{
    api_xw_open(w, tag);
    if (w->url_encode)
        sigv4_uri_encode(w->out, text, false);
    else
        api_xml_escape(w->out, text);
    api_xw_close(w, tag);
}

void api_xw_elem_str(api_xw_t *w, const char *tag, const char *text)
{
    api_xw_elem(w, tag, kv_slice_str(text));
}

void api_xw_elem_u64(api_xw_t *w, const char *tag, uint64_t v)
{
    api_xw_open(w, tag);
    kv_buf_append_u64(w->out, v);
    api_xw_close(w, tag);
}
