/* SPDX-License-Identifier: Apache-2.0 */
/* Streaming JSON writer. */
#include "api_jw.h"

#include <inttypes.h>
#include <stdio.h>

void api_jw_init(api_jw_t *w, kv_buf_t *out)
{
    w->out = out;
    w->depth = 0;
    w->first[0] = true;
    w->after_key = false;
    w->failed = false;
}

static void sep(api_jw_t *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (!w->first[w->depth])
        kv_buf_append_byte(w->out, ',');
    w->first[w->depth] = false;
}

static void open_(api_jw_t *w, uint8_t c)
{
    sep(w);
    kv_buf_append_byte(w->out, c);
    if (w->depth + 1 >= API_JW_MAX_DEPTH) {
        w->failed = true;
        return;
    }
    w->first[++w->depth] = true;
}

static void close_(api_jw_t *w, uint8_t c)
{
    if (w->depth == 0 || w->after_key) {
        w->failed = true;
        return;
    }
    w->depth--;
    kv_buf_append_byte(w->out, c);
}

void api_jw_obj_begin(api_jw_t *w)
{
    open_(w, '{');
}
void api_jw_obj_end(api_jw_t *w)
{
    close_(w, '}');
}
void api_jw_arr_begin(api_jw_t *w)
{
    open_(w, '[');
}
void api_jw_arr_end(api_jw_t *w)
{
    close_(w, ']');
}

void api_json_escape(kv_buf_t *b, kv_slice_t s)
{
    static const char hx[] = "0123456789abcdef";
    size_t start = 0;
    if (s.len == 0)
        return;
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = s.p[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        kv_buf_append(b, s.p + start, i - start);
        start = i + 1;
        switch (c) {
        case '"':
            kv_buf_append(b, "\\\"", 2);
            break;
        case '\\':
            kv_buf_append(b, "\\\\", 2);
            break;
        case '\n':
            kv_buf_append(b, "\\n", 2);
            break;
        case '\r':
            kv_buf_append(b, "\\r", 2);
            break;
        case '\t':
            kv_buf_append(b, "\\t", 2);
            break;
        default: {
            uint8_t e[6] = {'\\', 'u', '0', '0', (uint8_t)hx[c >> 4], (uint8_t)hx[c & 15]};
            kv_buf_append(b, e, 6);
        }
        }
    }
    kv_buf_append(b, s.p + start, s.len - start);
}

void api_jw_key_slice(api_jw_t *w, kv_slice_t k)
{
    sep(w);
    kv_buf_append_byte(w->out, '"');
    api_json_escape(w->out, k);
    kv_buf_append(w->out, "\":", 2);
    w->after_key = true;
}

void api_jw_key(api_jw_t *w, const char *k)
{
    api_jw_key_slice(w, kv_slice_str(k));
}

void api_jw_str(api_jw_t *w, kv_slice_t s)
{
    sep(w);
    kv_buf_append_byte(w->out, '"');
    api_json_escape(w->out, s);
    kv_buf_append_byte(w->out, '"');
}

void api_jw_cstr(api_jw_t *w, const char *s)
{
    api_jw_str(w, kv_slice_str(s));
}

void api_jw_i64(api_jw_t *w, int64_t v)
{
    sep(w);
    kv_buf_printf(w->out, "%" PRId64, v);
}

void api_jw_u64(api_jw_t *w, uint64_t v)
{
    sep(w);
    kv_buf_append_u64(w->out, v);
}

void api_jw_epoch_ms(api_jw_t *w, int64_t ms)
{
    sep(w);
    kv_buf_printf(w->out, "%" PRId64 ".%03d", ms / 1000, (int)(ms % 1000));
}

void api_jw_bool(api_jw_t *w, bool v)
{
    sep(w);
    kv_buf_append_str(w->out, v ? "true" : "false");
}

void api_jw_null(api_jw_t *w)
{
    sep(w);
    kv_buf_append_str(w->out, "null");
}

void api_jw_raw(api_jw_t *w, kv_slice_t s)
{
    sep(w);
    kv_buf_append_slice(w->out, s);
}

void api_jw_kstr(api_jw_t *w, const char *k, const char *v)
{
    api_jw_key(w, k);
    api_jw_cstr(w, v);
}

void api_jw_ku64(api_jw_t *w, const char *k, uint64_t v)
{
    api_jw_key(w, k);
    api_jw_u64(w, v);
}

void api_jw_kbool(api_jw_t *w, const char *k, bool v)
{
    api_jw_key(w, k);
    api_jw_bool(w, v);
}

bool api_jw_ok(const api_jw_t *w)
{
    return !w->failed && w->depth == 0 && !w->after_key && !kv_buf_failed(w->out);
}
