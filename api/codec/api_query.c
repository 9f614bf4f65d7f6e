/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The AWS query protocol's codec: form decoding, the shape-driven build of a request's JSON
 * document, and the XML response envelope and error document.
 *
 * Parameters are sorted by name, segment by segment with numeric segments compared as numbers
 * ("member.2" before "member.10"), so every parameter under one list entry or map entry
 * follows the one before it: building the tree appends an entry or extends the last, and the
 * whole decode is O(n log n) in the request.
 */
#include "api_query.h"

#include <stdlib.h>
#include <string.h>

#include "api_jw.h"
#include "base/kv_err.h"

/* ---- form decoding ---- */

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Whether s is valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
static bool utf8_ok(kv_slice_t s)
{
    size_t i = 0;
    while (i < s.len) {
        uint8_t c = s.p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp;
        if ((c & 0xE0) == 0xC0) {
            n = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + n >= s.len)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s.p[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s.p[i + k] & 0x3F);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

/* Percent-decode raw ('+' is a space) into the arena. false: a malformed escape. */
static bool form_decode(kv_arena_t *a, kv_slice_t raw, kv_slice_t *out)
{
    if (!memchr(raw.p, '%', raw.len) && !memchr(raw.p, '+', raw.len)) {
        *out = raw;
        return true;
    }
    uint8_t *d = kv_arena_alloc(a, raw.len + 1);
    size_t n = 0;
    for (size_t i = 0; i < raw.len; i++) {
        uint8_t c = raw.p[i];
        if (c == '+') {
            d[n++] = ' ';
        } else if (c == '%') {
            if (i + 2 >= raw.len)
                return false;
            int h = hexval(raw.p[i + 1]), l = hexval(raw.p[i + 2]);
            if (h < 0 || l < 0)
                return false;
            d[n++] = (uint8_t)(h << 4 | l);
            i += 2;
        } else {
            d[n++] = c;
        }
    }
    *out = kv_slice(d, n);
    return true;
}

/* The next segment of a dotted name from *p (advancing past its dot). */
static kv_slice_t next_seg(kv_slice_t *p)
{
    const uint8_t *dot = memchr(p->p, '.', p->len);
    size_t n = dot ? (size_t)(dot - p->p) : p->len;
    kv_slice_t s = kv_slice(p->p, n);
    *p = dot ? kv_slice(dot + 1, p->len - n - 1) : kv_slice(p->p + n, 0);
    return s;
}

static bool all_digits(kv_slice_t s)
{
    if (s.len == 0)
        return false;
    for (size_t i = 0; i < s.len; i++)
        if (s.p[i] < '0' || s.p[i] > '9')
            return false;
    return true;
}

/* Names compare segment by segment; two numeric segments compare as numbers. */
static int name_cmp(kv_slice_t a, kv_slice_t b)
{
    while (a.len || b.len) {
        if (!a.len || !b.len)
            return a.len ? 1 : -1;
        kv_slice_t sa = next_seg(&a), sb = next_seg(&b);
        int c;
        if (all_digits(sa) && all_digits(sb)) {
            /* without leading zeros (refused as indices later) length orders first */
            size_t za = 0, zb = 0;
            while (za + 1 < sa.len && sa.p[za] == '0')
                za++;
            while (zb + 1 < sb.len && sb.p[zb] == '0')
                zb++;
            kv_slice_t ta = kv_slice(sa.p + za, sa.len - za), tb = kv_slice(sb.p + zb, sb.len - zb);
            c = ta.len != tb.len ? (ta.len < tb.len ? -1 : 1) : memcmp(ta.p, tb.p, ta.len);
            if (c == 0)
                c = kv_slice_cmp(sa, sb);
        } else {
            c = kv_slice_cmp(sa, sb);
        }
        if (c)
            return c;
    }
    return 0;
}

static int param_cmp(const void *x, const void *y)
{
    return name_cmp(((const api_qparam_t *)x)->name, ((const api_qparam_t *)y)->name);
}

int api_query_parse(kv_arena_t *a, kv_slice_t form, api_query_t *q, const char **err)
{
    memset(q, 0, sizeof(*q));
    size_t count = form.len ? 1 : 0;
    for (size_t i = 0; i < form.len; i++)
        if (form.p[i] == '&')
            count++;
    if (count > API_QUERY_MAX_PARAMS + 2) {
        *err = "Too many parameters";
        return KV_ETOOBIG;
    }
    q->params = kv_arena_calloc(a, count ? count : 1, sizeof(*q->params));
    kv_slice_t rest = form;
    while (rest.len) {
        const uint8_t *amp = memchr(rest.p, '&', rest.len);
        size_t n = amp ? (size_t)(amp - rest.p) : rest.len;
        kv_slice_t pair = kv_slice(rest.p, n);
        rest = amp ? kv_slice(amp + 1, rest.len - n - 1) : kv_slice(rest.p + n, 0);
        if (pair.len == 0)
            continue;
        const uint8_t *eq = memchr(pair.p, '=', pair.len);
        kv_slice_t rn = kv_slice(pair.p, eq ? (size_t)(eq - pair.p) : pair.len);
        kv_slice_t rv = eq ? kv_slice(eq + 1, pair.len - rn.len - 1) : kv_slice(pair.p, 0);
        if (rn.len > 3 * API_QUERY_MAX_NAME) {
            *err = "A parameter name is too long";
            return KV_ETOOBIG;
        }
        kv_slice_t name, value;
        if (!form_decode(a, rn, &name) || !form_decode(a, rv, &value)) {
            *err = "Malformed percent-encoding in the query string";
            return KV_EINVAL;
        }
        if (name.len > API_QUERY_MAX_NAME) {
            *err = "A parameter name is too long";
            return KV_ETOOBIG;
        }
        if (!utf8_ok(name) || !utf8_ok(value)) {
            *err = "Invalid UTF-8 in the query string";
            return KV_EINVAL;
        }
        if (kv_slice_eq_str(name, "Action")) {
            q->action = value;
            q->has_action = true;
        } else if (kv_slice_eq_str(name, "Version")) {
            q->version = value;
        } else {
            q->params[q->n].name = name;
            q->params[q->n].value = value;
            q->n++;
        }
    }
    if (q->n > API_QUERY_MAX_PARAMS) {
        *err = "Too many parameters";
        return KV_ETOOBIG;
    }
    if (q->n > 1)
        qsort(q->params, q->n, sizeof(*q->params), param_cmp);
    for (size_t i = 1; i < q->n; i++) {
        if (kv_slice_eq(q->params[i - 1].name, q->params[i].name)) {
            *err = "A parameter is given more than once";
            return KV_EINVAL;
        }
    }
    return 0;
}

/* ---- the document ---- */

typedef struct qnode qnode_t;

/* One entry of a list or map: its index, a map's key, its value. */
typedef struct qent {
    uint32_t index;
    bool has_key;
    kv_slice_t key;
    qnode_t *val;
} qent_t;

struct qnode {
    const api_qshape_t *shape; /* NULL: a string */
    bool has_value;
    kv_slice_t value; /* scalars */
    qnode_t **kids;   /* structures: one per field */
    qent_t *ents;     /* lists and maps, in index order */
    size_t n_ents, cap_ents;
};

static qnode_t *node_new(kv_arena_t *a, const api_qshape_t *shape)
{
    qnode_t *n = kv_arena_calloc(a, 1, sizeof(*n));
    n->shape = shape;
    if (shape && shape->kind == API_Q_STRUCT && shape->n_fields)
        n->kids = kv_arena_calloc(a, shape->n_fields, sizeof(*n->kids));
    return n;
}

static api_qkind_t kind_of(const qnode_t *n)
{
    return n->shape ? n->shape->kind : API_Q_STR;
}

/* The entry of index idx: the last one, or a new one after it (names are sorted). */
static qent_t *entry(kv_arena_t *a, qnode_t *n, uint32_t idx)
{
    if (n->n_ents && n->ents[n->n_ents - 1].index == idx)
        return &n->ents[n->n_ents - 1];
    if (n->n_ents == n->cap_ents) {
        size_t cap = n->cap_ents ? n->cap_ents * 2 : 4;
        qent_t *e = kv_arena_calloc(a, cap, sizeof(*e));
        if (n->n_ents)
            memcpy(e, n->ents, n->n_ents * sizeof(*e));
        n->ents = e;
        n->cap_ents = cap;
    }
    qent_t *e = &n->ents[n->n_ents++];
    memset(e, 0, sizeof(*e));
    e->index = idx;
    return e;
}

/* An index segment: 1..API_QUERY_MAX_INDEX without leading zeros. */
static bool index_of(kv_slice_t s, uint32_t *out)
{
    if (!all_digits(s) || s.len > 4 || s.p[0] == '0')
        return false;
    uint32_t v = 0;
    for (size_t i = 0; i < s.len; i++)
        v = v * 10 + (uint32_t)(s.p[i] - '0');
    if (v > API_QUERY_MAX_INDEX)
        return false;
    *out = v;
    return true;
}

static const char *wire_of(const api_qshape_t *s)
{
    return s->wire ? s->wire : s->name;
}

/*
 * Place one parameter: path is what follows the node's own name. @return 0 (placed or
 * ignored), KV_EINVAL with *err.
 */
static int place(kv_arena_t *a, qnode_t *n, kv_slice_t path, kv_slice_t value, const char **err)
{
    for (unsigned depth = 0; depth < API_QUERY_MAX_DEPTH; depth++) {
        api_qkind_t k = kind_of(n);
        if (k == API_Q_STR || k == API_Q_INT || k == API_Q_BOOL) {
            if (path.len)
                return 0; /* "Name.more" for a scalar: no such member */
            n->value = value;
            n->has_value = true;
            return 0;
        }
        if (!path.len)
            return 0; /* a list, map or structure given a value of its own */
        kv_slice_t seg = next_seg(&path);
        if (k == API_Q_STRUCT) {
            const api_qshape_t *s = n->shape;
            size_t i = 0;
            while (i < s->n_fields && !kv_slice_eq_str(seg, wire_of(&s->fields[i])))
                i++;
            if (i == s->n_fields)
                return 0;
            if (!n->kids[i])
                n->kids[i] = node_new(a, &s->fields[i]);
            n = n->kids[i];
            continue;
        }
        const api_qshape_t *s = n->shape;
        if (!s->flat) {
            if (!kv_slice_eq_str(seg, k == API_Q_LIST ? (s->item ? s->item : "member") : "entry"))
                return 0;
            if (!path.len)
                return 0;
            seg = next_seg(&path);
        }
        uint32_t idx;
        if (!index_of(seg, &idx)) {
            *err = "Invalid list index in a parameter name";
            return KV_EINVAL;
        }
        qent_t *e = entry(a, n, idx);
        if (k == API_Q_LIST) {
            if (!e->val)
                e->val = node_new(a, s->elem);
            n = e->val;
            continue;
        }
        if (!path.len)
            return 0;
        seg = next_seg(&path);
        const char *kname = s->item ? s->item : s->flat ? "Name" : "key";
        const char *vname = s->val ? s->val : s->flat ? "Value" : "value";
        if (kv_slice_eq_str(seg, kname)) {
            if (path.len)
                return 0;
            e->key = value;
            e->has_key = true;
            return 0;
        }
        if (!kv_slice_eq_str(seg, vname))
            return 0;
        if (!e->val)
            e->val = node_new(a, s->elem);
        n = e->val;
    }
    *err = "A parameter name is nested too deeply";
    return KV_EINVAL;
}

static bool int_ok(kv_slice_t v)
{
    size_t i = v.len && v.p[0] == '-' ? 1 : 0;
    return v.len > i && v.len - i <= 18 && all_digits(kv_slice(v.p + i, v.len - i));
}

/* Write node n as JSON. */
static int emit(api_jw_t *w, const qnode_t *n, const char **err)
{
    switch (kind_of(n)) {
    case API_Q_STR:
        api_jw_str(w, n->value);
        return 0;
    case API_Q_INT:
        if (!int_ok(n->value)) {
            *err = n->shape->name;
            return KV_EINVAL;
        }
        api_jw_raw(w, n->value);
        return 0;
    case API_Q_BOOL:
        if (kv_slice_eq_nocase(n->value, "true") || kv_slice_eq_nocase(n->value, "false")) {
            api_jw_bool(w, kv_slice_eq_nocase(n->value, "true"));
            return 0;
        }
        *err = n->shape->name;
        return KV_EINVAL;
    case API_Q_STRUCT:
        api_jw_obj_begin(w);
        for (size_t i = 0; i < n->shape->n_fields; i++) {
            const qnode_t *kid = n->kids[i];
            /* made on the way to a name no shape knows: nothing was given */
            if (!kid || ((kind_of(kid) == API_Q_LIST || kind_of(kid) == API_Q_MAP) &&
                         kid->n_ents == 0) ||
                (kind_of(kid) <= API_Q_BOOL && !kid->has_value))
                continue;
            api_jw_key(w, n->shape->fields[i].name);
            int rc = emit(w, n->kids[i], err);
            if (rc)
                return rc;
        }
        api_jw_obj_end(w);
        return 0;
    case API_Q_LIST:
        api_jw_arr_begin(w);
        for (size_t i = 0; i < n->n_ents; i++) {
            int rc = emit(w, n->ents[i].val, err);
            if (rc)
                return rc;
        }
        api_jw_arr_end(w);
        return 0;
    case API_Q_MAP:
        api_jw_obj_begin(w);
        for (size_t i = 0; i < n->n_ents; i++) {
            const qent_t *e = &n->ents[i];
            if (!e->has_key) {
                *err = n->shape->name;
                return KV_ENOTFOUND; /* told apart by the caller: an entry without its key */
            }
            api_jw_key_slice(w, e->key);
            if (e->val) {
                int rc = emit(w, e->val, err);
                if (rc)
                    return rc;
            } else if (n->shape->elem && n->shape->elem->kind == API_Q_STRUCT) {
                api_jw_obj_begin(w);
                api_jw_obj_end(w);
            } else {
                api_jw_str(w, kv_slice("", 0));
            }
        }
        api_jw_obj_end(w);
        return 0;
    }
    return KV_EINVAL;
}

int api_query_decode(kv_arena_t *a, const api_query_t *q, const api_qshape_t *op, api_json_t **out,
                     const char **err)
{
    qnode_t *root = node_new(a, op);
    size_t bytes = 0;
    for (size_t i = 0; i < q->n; i++) {
        kv_slice_t path = q->params[i].name;
        bytes += q->params[i].name.len + q->params[i].value.len;
        int rc = place(a, root, path, q->params[i].value, err);
        if (rc)
            return rc;
    }
    /* JSON escapes a byte into at most 6; names and punctuation add a little */
    size_t limit = bytes * 6 + q->n * 16 + 4096;
    if (limit > API_JSON_MAX_MEM) {
        *err = "The request is too large";
        return KV_ETOOBIG;
    }
    kv_buf_t b;
    kv_buf_init(&b, limit);
    api_jw_t w;
    api_jw_init(&w, &b);
    const char *what = NULL;
    int rc = emit(&w, root, &what);
    if (rc == KV_ENOTFOUND) {
        *err = kv_arena_printf(a, "A map entry of %s has no key", what ? what : "a parameter");
        rc = KV_EINVAL;
    } else if (rc) {
        *err = kv_arena_printf(a, "Invalid value for the parameter %s", what ? what : "");
    } else if (!api_jw_ok(&w) || kv_buf_failed(&b)) {
        *err = "The request is too large";
        rc = KV_ETOOBIG;
    } else {
        rc = api_json_parse(a, kv_buf_slice(&b), out, err);
    }
    kv_buf_dispose(&b);
    return rc;
}

/* ---- responses ---- */

void api_query_resp_begin(api_xw_t *w, kv_buf_t *out, const char *op, const char *xmlns,
                          bool result)
{
    w->out = out;
    w->url_encode = false;
    kv_buf_printf(out, "<?xml version=\"1.0\"?>\n<%sResponse xmlns=\"%s\">", op, xmlns);
    if (result)
        kv_buf_printf(out, "<%sResult>", op);
}

void api_query_resp_end(api_xw_t *w, const char *op, bool result, kv_slice_t request_id)
{
    if (result)
        kv_buf_printf(w->out, "</%sResult>", op);
    api_xw_open(w, "ResponseMetadata");
    api_xw_elem(w, "RequestId", request_id);
    api_xw_close(w, "ResponseMetadata");
    kv_buf_printf(w->out, "</%sResponse>", op);
}

void api_query_error(kv_buf_t *out, const char *xmlns, int status, kv_slice_t code, const char *msg,
                     kv_slice_t request_id)
{
    kv_buf_reset(out);
    api_xw_t w = {.out = out};
    kv_buf_printf(out, "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"%s\">", xmlns);
    api_xw_open(&w, "Error");
    api_xw_elem_str(&w, "Type", status >= 500 ? "Receiver" : "Sender");
    api_xw_elem(&w, "Code", code);
    api_xw_elem_str(&w, "Message", msg ? msg : "");
    api_xw_close(&w, "Error");
    api_xw_elem(&w, "RequestId", request_id);
    kv_buf_append_str(out, "</ErrorResponse>");
}
