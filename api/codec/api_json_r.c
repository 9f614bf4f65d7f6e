/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON reader: RFC 8259 text into a read-only tree in the request's arena.
 *
 * Every node, string and member list is bump-allocated in the arena and dies with it; there
 * is no per-value malloc and nothing to free (issue 18: jansson's allocation and hashing were
 * a tenth of a PutItem). What it accepts is what jansson accepted with JSON_ALLOW_NUL: an
 * object or array at the top, strict numbers (integers that fit int64_t, doubles that do not
 * overflow), strings of valid UTF-8 with the standard escapes (\u0000 only in values, not in
 * keys), true/false/null. A repeated key keeps its first place and its last value. An object
 * of more than SORT_MIN members gets a sorted index, so a lookup is O(log n) and finding
 * repeats O(n log n).
 */
#include "api_json_r.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/kv_err.h"

typedef struct member {
    const char *key;
    api_json_t *val;
} member_t;

struct api_json {
    uint8_t type; /* api_json_type_t */
    bool b;
    uint32_t n;       /* string bytes, array items, object members */
    uint32_t *sorted; /* objects of more than SORT_MIN members: indexes in key order */
    union {
        int64_t i;
        double d;
        const char *s; /* NUL-terminated (and may hold NULs: n is the length) */
        api_json_t **items;
        member_t *members;
    } u;
};

#define SORT_MIN 8

typedef struct parser {
    const uint8_t *p, *end;
    kv_arena_t *a;
    size_t left; /* of the memory budget */
    const char *err;
    int rc;
} parser_t;

static void *palloc(parser_t *ps, size_t n)
{
    if (n > ps->left) {
        ps->err = "The request is too large to decode";
        ps->rc = KV_ETOOBIG;
        return NULL;
    }
    ps->left -= n;
    return kv_arena_alloc(ps->a, n ? n : 1);
}

static void *fail(parser_t *ps, const char *msg)
{
    if (ps->rc == 0) {
        ps->err = msg;
        ps->rc = KV_EINVAL;
    }
    return NULL;
}

static void skip_ws(parser_t *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t'))
        ps->p++;
}

static int hex4(const uint8_t *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int c = p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v << 4 | d;
    }
    return v;
}

/* The length of the valid UTF-8 sequence at p (RFC 3629: no overlongs, no surrogates, at
 * most U+10FFFF), or 0. */
static size_t utf8_len(const uint8_t *p, const uint8_t *end)
{
    uint8_t c = p[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

static size_t put_utf8(uint8_t *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (uint8_t)(0xC0 | cp >> 6);
        o[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (uint8_t)(0xE0 | cp >> 12);
        o[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (uint8_t)(0xF0 | cp >> 18);
    o[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* A string at ps->p (just past its opening quote). The decoded text is never longer than
 * the encoded one, so it is written into one allocation of the encoded length. */
static const char *parse_string(parser_t *ps, uint32_t *len, bool key)
{
    const uint8_t *start = ps->p, *q = start;
    bool plain = true;
    while (q < ps->end && *q != '"') {
        if (*q == '\\') {
            plain = false;
            q += q + 1 < ps->end ? 2 : 1;
            continue;
        }
        if (*q < 0x20)
            return fail(ps, "control character in a string");
        if (*q >= 0x80) {
            size_t n = utf8_len(q, ps->end);
            if (n == 0)
                return fail(ps, "Invalid UTF-8 string");
            q += n;
            continue;
        }
        q++;
    }
    if (q >= ps->end)
        return fail(ps, "premature end of input in a string");
    size_t enc = (size_t)(q - start);
    if (enc > UINT32_MAX)
        return fail(ps, "string too long");
    uint8_t *out = palloc(ps, enc + 1);
    if (out == NULL)
        return NULL;
    ps->p = q + 1;
    if (plain) {
        memcpy(out, start, enc);
        out[enc] = 0;
        *len = (uint32_t)enc;
        return (const char *)out;
    }
    size_t o = 0;
    for (const uint8_t *s = start; s < q;) {
        if (*s != '\\') {
            out[o++] = *s++;
            continue;
        }
        if (s + 1 >= q)
            return fail(ps, "invalid escape");
        uint8_t e = s[1];
        s += 2;
        switch (e) {
        case '"':
        case '\\':
        case '/':
            out[o++] = e;
            break;
        case 'b':
            out[o++] = '\b';
            break;
        case 'f':
            out[o++] = '\f';
            break;
        case 'n':
            out[o++] = '\n';
            break;
        case 'r':
            out[o++] = '\r';
            break;
        case 't':
            out[o++] = '\t';
            break;
        case 'u': {
            int v = q - s >= 4 ? hex4(s) : -1;
            if (v < 0)
                return fail(ps, "invalid escape");
            s += 4;
            uint32_t cp = (uint32_t)v;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                int lo = q - s >= 6 && s[0] == '\\' && s[1] == 'u' ? hex4(s + 2) : -1;
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return fail(ps, "invalid Unicode escape (a lone surrogate)");
                cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
                s += 6;
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return fail(ps, "invalid Unicode escape (a lone surrogate)");
            }
            if (cp == 0 && key)
                return fail(ps, "NUL byte in object key not supported");
            o += put_utf8(out + o, cp); /* \uXXXX (6 bytes) never decodes to more than 4 */
            break;
        }
        default:
            return fail(ps, "invalid escape");
        }
    }
    out[o] = 0;
    *len = (uint32_t)o;
    return (const char *)out;
}

static api_json_t *node(parser_t *ps, api_json_type_t t)
{
    api_json_t *v = palloc(ps, sizeof(*v));
    if (v) {
        memset(v, 0, sizeof(*v));
        v->type = (uint8_t)t;
    }
    return v;
}

static api_json_t *parse_number(parser_t *ps)
{
    const uint8_t *s = ps->p, *q = s;
    bool real = false;
    if (q < ps->end && *q == '-')
        q++;
    if (q < ps->end && *q == '0') {
        q++;
    } else if (q < ps->end && *q >= '1' && *q <= '9') {
        while (q < ps->end && *q >= '0' && *q <= '9')
            q++;
    } else {
        return fail(ps, "invalid token");
    }
    if (q < ps->end && *q == '.') {
        real = true;
        q++;
        if (q >= ps->end || *q < '0' || *q > '9')
            return fail(ps, "invalid number");
        while (q < ps->end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < ps->end && (*q == 'e' || *q == 'E')) {
        real = true;
        q++;
        if (q < ps->end && (*q == '+' || *q == '-'))
            q++;
        if (q >= ps->end || *q < '0' || *q > '9')
            return fail(ps, "invalid number");
        while (q < ps->end && *q >= '0' && *q <= '9')
            q++;
    }
    size_t n = (size_t)(q - s);
    char small[64], *text = small;
    if (n >= sizeof(small)) {
        text = palloc(ps, n + 1);
        if (text == NULL)
            return NULL;
    }
    memcpy(text, s, n);
    text[n] = 0;
    ps->p = q;
    api_json_t *v = node(ps, real ? API_J_REAL : API_J_INT);
    if (v == NULL)
        return NULL;
    errno = 0;
    if (!real) {
        long long i = strtoll(text, NULL, 10);
        if (errno == ERANGE)
            return fail(ps, i < 0 ? "too big negative integer" : "too big integer");
        v->u.i = i;
    } else {
        double d = strtod(text, NULL);
        if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL))
            return fail(ps, "real number overflow");
        v->u.d = d;
    }
    return v;
}

static int member_cmp(const void *a, const void *b, void *arg)
{
    const member_t *m = arg;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    int c = strcmp(m[x].key, m[y].key);
    return c ? c : x < y ? -1 : x > y;
}

/* A repeated key keeps its first place and takes its last value; the members of a larger
 * object get a sorted index for lookups. */
static bool finish_object(parser_t *ps, api_json_t *o)
{
    member_t *m = o->u.members;
    uint32_t n = o->n;
    if (n <= SORT_MIN) {
        uint32_t w = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t j = 0;
            while (j < w && strcmp(m[j].key, m[i].key) != 0)
                j++;
            if (j < w)
                m[j].val = m[i].val;
            else
                m[w++] = m[i];
        }
        o->n = w;
        return true;
    }
    uint32_t *idx = palloc(ps, (size_t)n * sizeof(*idx));
    bool *drop = palloc(ps, n);
    if (idx == NULL || drop == NULL)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        idx[i] = i;
        drop[i] = false;
    }
    qsort_r(idx, n, sizeof(*idx), member_cmp, m);
    bool dups = false;
    for (uint32_t i = 0; i + 1 < n; i++) {
        if (strcmp(m[idx[i]].key, m[idx[i + 1]].key) != 0)
            continue;
        /* idx[i] is the first of a run (runs are sorted by position): it takes the last
         * value, the others go */
        uint32_t first = idx[i], k = i + 1;
        while (k < n && strcmp(m[idx[k]].key, m[first].key) == 0) {
            drop[idx[k]] = true;
            k++;
        }
        m[first].val = m[idx[k - 1]].val;
        dups = true;
        i = k - 1;
    }
    if (dups) { /* compact in place, then sort again (rare: repeated keys) */
        uint32_t w = 0;
        for (uint32_t i = 0; i < n; i++)
            if (!drop[i])
                m[w++] = m[i];
        n = o->n = w;
        for (uint32_t i = 0; i < n; i++)
            idx[i] = i;
        qsort_r(idx, n, sizeof(*idx), member_cmp, m);
    }
    o->sorted = n > SORT_MIN ? idx : NULL;
    return true;
}

/* A growing list of pointers or members in the arena: doubled (the old copy stays in the
 * arena; the total is at most twice the final size). */
static void *grow(parser_t *ps, void *old, uint32_t n, uint32_t *cap, size_t each)
{
    uint32_t c = *cap ? *cap * 2 : 4;
    void *p = palloc(ps, (size_t)c * each);
    if (p == NULL)
        return NULL;
    if (n)
        memcpy(p, old, (size_t)n * each);
    *cap = c;
    return p;
}

static api_json_t *parse_value(parser_t *ps, int depth);

static api_json_t *parse_array(parser_t *ps, int depth)
{
    api_json_t *v = node(ps, API_J_ARR);
    if (v == NULL)
        return NULL;
    uint32_t cap = 0;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        return v;
    }
    for (;;) {
        api_json_t *item = parse_value(ps, depth + 1);
        if (item == NULL)
            return NULL;
        if (v->n == cap && (v->u.items = grow(ps, v->u.items, v->n, &cap, sizeof(item))) == NULL)
            return NULL;
        v->u.items[v->n++] = item;
        skip_ws(ps);
        if (ps->p >= ps->end)
            return fail(ps, "premature end of input in an array");
        uint8_t c = *ps->p++;
        if (c == ']')
            return v;
        if (c != ',')
            return fail(ps, "',' or ']' expected");
    }
}

static api_json_t *parse_object(parser_t *ps, int depth)
{
    api_json_t *v = node(ps, API_J_OBJ);
    if (v == NULL)
        return NULL;
    uint32_t cap = 0;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        return v;
    }
    for (;;) {
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != '"')
            return fail(ps, "string or '}' expected");
        ps->p++;
        uint32_t klen;
        const char *key = parse_string(ps, &klen, true);
        if (key == NULL)
            return NULL;
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != ':')
            return fail(ps, "':' expected");
        ps->p++;
        api_json_t *val = parse_value(ps, depth + 1);
        if (val == NULL)
            return NULL;
        if (v->n == cap &&
            (v->u.members = grow(ps, v->u.members, v->n, &cap, sizeof(member_t))) == NULL)
            return NULL;
        v->u.members[v->n++] = (member_t){key, val};
        skip_ws(ps);
        if (ps->p >= ps->end)
            return fail(ps, "premature end of input in an object");
        uint8_t c = *ps->p++;
        if (c == '}')
            return finish_object(ps, v) ? v : NULL;
        if (c != ',')
            return fail(ps, "',' or '}' expected");
    }
}

static bool literal(parser_t *ps, const char *word, size_t n)
{
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return false;
    ps->p += n;
    return true;
}

static api_json_t *parse_value(parser_t *ps, int depth)
{
    if (depth > API_JSON_MAX_DEPTH)
        return fail(ps, "Nesting too deep");
    skip_ws(ps);
    if (ps->p >= ps->end)
        return fail(ps, "premature end of input");
    api_json_t *v;
    switch (*ps->p) {
    case '{':
        ps->p++;
        return parse_object(ps, depth);
    case '[':
        ps->p++;
        return parse_array(ps, depth);
    case '"': {
        ps->p++;
        uint32_t len;
        const char *s = parse_string(ps, &len, false);
        if (s == NULL || (v = node(ps, API_J_STR)) == NULL)
            return NULL;
        v->u.s = s;
        v->n = len;
        return v;
    }
    case 't':
    case 'f': {
        bool t = *ps->p == 't';
        if (!(t ? literal(ps, "true", 4) : literal(ps, "false", 5)))
            return fail(ps, "invalid token");
        if ((v = node(ps, API_J_BOOL)) != NULL)
            v->b = t;
        return v;
    }
    case 'n':
        if (!literal(ps, "null", 4))
            return fail(ps, "invalid token");
        return node(ps, API_J_NULL);
    default:
        return parse_number(ps);
    }
}

void api_json_global_init(void)
{
}

/*
 * A lower estimate of what a decoded document costs, from one pass over its bytes (as the
 * jansson reader this file replaced counted: an object about 256 bytes, a string about 48
 * plus its length, other values about 32): a document far over the budget is refused before
 * any of it is built.
 */
static size_t estimate(kv_slice_t text)
{
    size_t cost = 0;
    bool in_value = false; /* inside a number or literal */
    for (size_t i = 0; i < text.len; i++) {
        uint8_t c = text.p[i];
        if (c == '"') {
            size_t start = i++;
            while (i < text.len && text.p[i] != '"')
                i += text.p[i] == '\\' ? 2 : 1;
            cost += 48 + (i - start);
            in_value = false;
        } else if (c == '{') {
            cost += 256;
        } else if (c == '[') {
            cost += 64;
        } else if (c == ',' || c == ':' || c == '}' || c == ']' || c == ' ' || c == '\n' ||
                   c == '\r' || c == '\t') {
            in_value = false;
        } else if (!in_value) {
            cost += 32;
            in_value = true;
        }
    }
    return cost;
}

int api_json_parse(kv_arena_t *a, kv_slice_t text, api_json_t **out, const char **err)
{
    if (estimate(text) > API_JSON_MAX_MEM) {
        *err = "The request is too large to decode";
        return KV_ETOOBIG;
    }
    parser_t ps = {text.p, text.p + text.len, a, API_JSON_MAX_MEM, NULL, 0};
    skip_ws(&ps);
    api_json_t *root = NULL;
    if (ps.p >= ps.end || (*ps.p != '{' && *ps.p != '['))
        fail(&ps, "'[' or '{' expected");
    else
        root = parse_value(&ps, 0);
    if (root) {
        skip_ws(&ps);
        if (ps.p != ps.end)
            root = fail(&ps, "end of file expected");
    }
    if (root == NULL) {
        *err = ps.err ? ps.err : "Malformed JSON";
        return ps.rc ? ps.rc : KV_EINVAL;
    }
    *out = root;
    return 0;
}

api_json_type_t api_json_type(const api_json_t *v)
{
    return v ? (api_json_type_t)v->type : API_J_NULL;
}

static int key_cmp(const void *key, const void *elt, void *arg)
{
    const member_t *m = arg;
    return strcmp(key, m[*(const uint32_t *)elt].key);
}

api_json_t *api_json_get(const api_json_t *v, const char *key)
{
    if (v == NULL || v->type != API_J_OBJ)
        return NULL;
    if (v->sorted) {
        /* bsearch has no context argument: a small binary search of our own */
        size_t lo = 0, hi = v->n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            int c = key_cmp(key, &v->sorted[mid], v->u.members);
            if (c == 0)
                return v->u.members[v->sorted[mid]].val;
            if (c < 0)
                hi = mid;
            else
                lo = mid + 1;
        }
        return NULL;
    }
    for (uint32_t i = 0; i < v->n; i++)
        if (strcmp(v->u.members[i].key, key) == 0)
            return v->u.members[i].val;
    return NULL;
}

kv_slice_t api_json_str(const api_json_t *v)
{
    if (v == NULL || v->type != API_J_STR)
        return KV_SLICE_NULL;
    return kv_slice(v->u.s, v->n);
}

bool api_json_int(const api_json_t *v, int64_t *out)
{
    if (v && v->type == API_J_INT) {
        *out = v->u.i;
        return true;
    }
    if (v && v->type == API_J_REAL) {
        double d = v->u.d;
        if (d >= -9.2e18 && d <= 9.2e18 && d == (double)(int64_t)d) {
            *out = (int64_t)d;
            return true;
        }
    }
    return false;
}

bool api_json_num(const api_json_t *v, double *out)
{
    if (v && v->type == API_J_INT) {
        *out = (double)v->u.i;
        return true;
    }
    if (v && v->type == API_J_REAL) {
        *out = v->u.d;
        return true;
    }
    return false;
}

bool api_json_bool(const api_json_t *v)
{
    return v && v->type == API_J_BOOL && v->b;
}

size_t api_json_len(const api_json_t *v)
{
    return v && (v->type == API_J_ARR || v->type == API_J_OBJ) ? v->n : 0;
}

api_json_t *api_json_at(const api_json_t *v, size_t i)
{
    return v && v->type == API_J_ARR && i < v->n ? v->u.items[i] : NULL;
}

bool api_json_next(const api_json_t *obj, void **it, const char **key, api_json_t **val)
{
    if (obj == NULL || obj->type != API_J_OBJ)
        return false;
    uintptr_t i = (uintptr_t)*it; /* members handed out so far */
    if (i >= obj->n)
        return false;
    *it = (void *)(i + 1);
    *key = obj->u.members[i].key;
    *val = obj->u.members[i].val;
    return true;
}

const char *api_json_type_name(api_json_type_t t)
{
    static const char *n[] = {"null", "boolean", "number", "number", "string", "array", "object"};
    return n[t];
}

/* ---- a value back to compact text (EventBridge's InputPath, stored targets, KMS grant
 * contexts): the same text jansson's compact dump wrote, members in their order ---- */

static void dump_str(kv_buf_t *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    kv_buf_append_byte(out, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)s[i];
        const char *esc = NULL;
        char u[6];
        if (c == '"')
            esc = "\\\"";
        else if (c == '\\')
            esc = "\\\\";
        else if (c == '\b')
            esc = "\\b";
        else if (c == '\f')
            esc = "\\f";
        else if (c == '\n')
            esc = "\\n";
        else if (c == '\r')
            esc = "\\r";
        else if (c == '\t')
            esc = "\\t";
        else if (c >= 0x20) {
            continue;
        }
        kv_buf_append(out, s + run, i - run);
        run = i + 1;
        if (esc) {
            kv_buf_append_str(out, esc);
        } else {
            memcpy(u, "\\u00", 4);
            u[4] = hex[c >> 4];
            u[5] = hex[c & 15];
            kv_buf_append(out, u, 6);
        }
    }
    kv_buf_append(out, s + run, n - run);
    kv_buf_append_byte(out, '"');
}

static bool dump_real(kv_buf_t *out, double d)
{
    if (!isfinite(d))
        return false;
    char b[64];
    int n = snprintf(b, sizeof(b), "%.17g", d);
    if (n <= 0 || (size_t)n >= sizeof(b) - 3)
        return false;
    if (!strpbrk(b, ".eE")) { /* stays a real when read back */
        memcpy(b + n, ".0", 3);
        n += 2;
    }
    char *e = strchr(b, 'e');
    if (e) { /* "1e+05" -> "1e5", "1e-05" -> "1e-5" */
        char *start = e + 1, *end = start + 1;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start)
            memmove(start, end, strlen(end) + 1);
        n = (int)strlen(b);
    }
    kv_buf_append(out, b, (size_t)n);
    return true;
}

static bool dump(const api_json_t *v, kv_buf_t *out, int depth)
{
    if (depth > API_JSON_MAX_DEPTH + 1)
        return false;
    switch (v->type) {
    case API_J_NULL:
        kv_buf_append_str(out, "null");
        return true;
    case API_J_BOOL:
        kv_buf_append_str(out, v->b ? "true" : "false");
        return true;
    case API_J_INT: {
        char b[32];
        int n = snprintf(b, sizeof(b), "%lld", (long long)v->u.i);
        kv_buf_append(out, b, (size_t)n);
        return true;
    }
    case API_J_REAL:
        return dump_real(out, v->u.d);
    case API_J_STR:
        dump_str(out, v->u.s, v->n);
        return true;
    case API_J_ARR:
        kv_buf_append_byte(out, '[');
        for (uint32_t i = 0; i < v->n; i++) {
            if (i)
                kv_buf_append_byte(out, ',');
            if (!dump(v->u.items[i], out, depth + 1))
                return false;
        }
        kv_buf_append_byte(out, ']');
        return true;
    case API_J_OBJ:
        kv_buf_append_byte(out, '{');
        for (uint32_t i = 0; i < v->n; i++) {
            if (i)
                kv_buf_append_byte(out, ',');
            dump_str(out, v->u.members[i].key, strlen(v->u.members[i].key));
            kv_buf_append_byte(out, ':');
            if (!dump(v->u.members[i].val, out, depth + 1))
                return false;
        }
        kv_buf_append_byte(out, '}');
        return true;
    default:
        return false;
    }
}

bool api_json_dump(const api_json_t *v, kv_buf_t *out)
{
    return v && dump(v, out, 0) && !kv_buf_failed(out);
}
