/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The delimiter "\r\n--boundary" is searched for with a KMP automaton, one byte of state
 * per matched delimiter byte; runs of bytes that cannot start a delimiter are found with
 * memchr and handed over whole. The body's first delimiter has no leading CRLF: the reader
 * starts as if it had just seen one.
 */
#include "api_multipart.h"

#include <string.h>

#include "base/kv_err.h"

enum { MP_PREAMBLE, MP_AFTER_DELIM, MP_AFTER_DASH, MP_AFTER_CR, MP_HEADERS, MP_DATA, MP_DONE };

struct api_mp {
    const api_mp_cb_t *cb;
    void *arg;
    kv_arena_t *arena;
    int state;
    uint8_t delim[API_MP_BOUNDARY_MAX + 4];
    size_t dlen;
    size_t fail[API_MP_BOUNDARY_MAX + 5];
    size_t match; /* delimiter bytes matched so far (held back, not yet data) */
    uint8_t hbuf[API_MP_HEADERS_MAX];
    size_t hlen;
};

bool api_mp_boundary(kv_slice_t ct, kv_slice_t *boundary)
{
    static const char mt[] = "multipart/form-data";
    if (ct.len < sizeof(mt) - 1 || !kv_slice_eq_nocase(kv_slice(ct.p, sizeof(mt) - 1), mt))
        return false;
    for (size_t i = sizeof(mt) - 1; i + 9 <= ct.len; i++) {
        if (!kv_slice_eq_nocase(kv_slice(ct.p + i, 9), "boundary="))
            continue;
        if (i > 0 && ct.p[i - 1] != ';' && ct.p[i - 1] != ' ' && ct.p[i - 1] != '\t')
            continue;
        kv_slice_t v = kv_slice(ct.p + i + 9, ct.len - i - 9);
        if (v.len && v.p[0] == '"') {
            const uint8_t *q = memchr(v.p + 1, '"', v.len - 1);
            if (q == NULL)
                return false;
            v = kv_slice(v.p + 1, (size_t)(q - v.p) - 1);
        } else {
            size_t n = 0;
            while (n < v.len && v.p[n] != ';' && v.p[n] != ' ' && v.p[n] != '\t')
                n++;
            v.len = n;
        }
        if (v.len == 0 || v.len > API_MP_BOUNDARY_MAX)
            return false;
        *boundary = v;
        return true;
    }
    return false;
}

api_mp_t *api_mp_new(kv_arena_t *a, kv_slice_t boundary, const api_mp_cb_t *cb, void *arg)
{
    api_mp_t *m = kv_arena_calloc(a, 1, sizeof(*m));
    m->cb = cb;
    m->arg = arg;
    m->arena = a;
    memcpy(m->delim, "\r\n--", 4);
    memcpy(m->delim + 4, boundary.p, boundary.len);
    m->dlen = boundary.len + 4;
    /* KMP failure function: fail[k] = longest proper border of delim[0..k). */
    m->fail[0] = m->fail[1] = 0;
    for (size_t k = 2, b = 0; k <= m->dlen; k++) {
        while (b > 0 && m->delim[b] != m->delim[k - 1])
            b = m->fail[b];
        if (m->delim[b] == m->delim[k - 1])
            b++;
        m->fail[k] = b;
    }
    m->state = MP_PREAMBLE;
    m->match = 2; /* as if the CRLF before the first delimiter had been read */
    return m;
}

bool api_mp_done(const api_mp_t *m)
{
    return m->state == MP_DONE;
}

static int emit(api_mp_t *m, const uint8_t *p, size_t n)
{
    if (n == 0 || m->state != MP_DATA)
        return 0; /* the preamble is discarded */
    return m->cb->data(m->arg, p, n);
}

/* A parameter of a Content-Disposition value: name="x" or name=x. */
static kv_slice_t disp_param(kv_slice_t v, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i + nl + 1 <= v.len; i++) {
        if ((i > 0 && v.p[i - 1] != ';' && v.p[i - 1] != ' ' && v.p[i - 1] != '\t') ||
            !kv_slice_eq_nocase(kv_slice(v.p + i, nl), name) || v.p[i + nl] != '=')
            continue;
        kv_slice_t r = kv_slice(v.p + i + nl + 1, v.len - i - nl - 1);
        if (r.len && r.p[0] == '"') {
            const uint8_t *q = memchr(r.p + 1, '"', r.len - 1);
            return q ? kv_slice(r.p + 1, (size_t)(q - r.p) - 1) : KV_SLICE_NULL;
        }
        size_t n = 0;
        while (n < r.len && r.p[n] != ';')
            n++;
        return kv_slice_trim(kv_slice(r.p, n));
    }
    return KV_SLICE_NULL;
}

/* The header block is complete (hbuf ends with the blank line): start the part. */
static int part_headers(api_mp_t *m)
{
    kv_slice_t name = KV_SLICE_NULL, file = KV_SLICE_NULL, ctype = KV_SLICE_NULL;
    bool disp = false;
    const uint8_t *p = m->hbuf, *end = m->hbuf + m->hlen;
    while (p < end) {
        const uint8_t *eol = memchr(p, '\r', (size_t)(end - p));
        size_t len = eol ? (size_t)(eol - p) : (size_t)(end - p);
        kv_slice_t line = kv_slice(p, len);
        p += len + 2;
        const uint8_t *colon = len ? memchr(line.p, ':', len) : NULL;
        if (colon == NULL)
            continue;
        kv_slice_t hn = kv_slice_trim(kv_slice(line.p, (size_t)(colon - line.p)));
        kv_slice_t hv = kv_slice_trim(kv_slice(colon + 1, len - (size_t)(colon - line.p) - 1));
        if (kv_slice_eq_nocase(hn, "content-disposition")) {
            if (!kv_slice_starts_with(hv, "form-data"))
                return KV_EINVAL;
            disp = true;
            name = kv_arena_dup(m->arena, disp_param(hv, "name"));
            file = kv_arena_dup(m->arena, disp_param(hv, "filename"));
        } else if (kv_slice_eq_nocase(hn, "content-type")) {
            ctype = kv_arena_dup(m->arena, hv);
        }
    }
    if (!disp)
        return KV_EINVAL;
    return m->cb->begin(m->arg, name, file, ctype);
}

int api_mp_feed(api_mp_t *m, const uint8_t *p, size_t n)
{
    size_t i = 0;
    int rc;
    while (i < n) {
        uint8_t c = p[i];
        switch (m->state) {
        case MP_DONE:
            return 0; /* the epilogue is ignored */
        case MP_AFTER_DELIM:
            i++;
            if (c == '-')
                m->state = MP_AFTER_DASH;
            else if (c == '\r')
                m->state = MP_AFTER_CR;
            else if (c != ' ' && c != '\t')
                return KV_EINVAL;
            continue;
        case MP_AFTER_DASH:
            i++;
            if (c != '-')
                return KV_EINVAL;
            m->state = MP_DONE;
            continue;
        case MP_AFTER_CR:
            i++;
            if (c != '\n')
                return KV_EINVAL;
            m->state = MP_HEADERS;
            m->hlen = 0;
            continue;
        case MP_HEADERS:
            i++;
            if (m->hlen == sizeof(m->hbuf))
                return KV_EINVAL;
            m->hbuf[m->hlen++] = c;
            if ((m->hlen == 2 && memcmp(m->hbuf, "\r\n", 2) == 0) ||
                (m->hlen >= 4 && memcmp(m->hbuf + m->hlen - 4, "\r\n\r\n", 4) == 0)) {
                if ((rc = part_headers(m)) != 0)
                    return rc;
                m->state = MP_DATA;
                m->match = 0;
            }
            continue;
        default: /* MP_PREAMBLE, MP_DATA: look for the delimiter */
            break;
        }
        if (m->match == 0 && c != m->delim[0]) {
            /* Fast path: a run that cannot start a delimiter. */
            const uint8_t *cr = memchr(p + i, m->delim[0], n - i);
            size_t run = cr ? (size_t)(cr - (p + i)) : n - i;
            if ((rc = emit(m, p + i, run)) != 0)
                return rc;
            i += run;
            continue;
        }
        while (m->match > 0 && m->delim[m->match] != c) {
            /* The held bytes beyond the longest border are data after all. */
            size_t b = m->fail[m->match];
            if ((rc = emit(m, m->delim, m->match - b)) != 0)
                return rc;
            m->match = b;
        }
        if (m->delim[m->match] == c)
            m->match++;
        else if ((rc = emit(m, &c, 1)) != 0)
            return rc;
        i++;
        if (m->match == m->dlen) {
            if (m->state == MP_DATA && (rc = m->cb->end(m->arg)) != 0)
                return rc;
            m->match = 0;
            m->state = MP_AFTER_DELIM;
        }
    }
    return 0;
}
