/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Amazon Ion text reader of DynamoDB's ION import format (issue 17, package I): one
 * record `$ion_1_0 {Item:{...}}` into an item. A recursive-descent parser over the record's
 * bytes, bounded in depth (DynamoDB's 32 levels) and linear in the text: every byte is looked
 * at a bounded number of times. Timestamps, S-expressions and symbol ids are refused (an export
 * writes none), as are values of no DynamoDB type.
 */
#include <stdio.h>
#include <string.h>

#include "base/kv_b64.h"
#include "ddb_ion.h"

/* ---- where a record ends ---- */

bool ddb_ion_scan_line(ddb_ion_scan_t *s, kv_slice_t line)
{
    const uint8_t *p = line.p;
    size_t n = line.len;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (s->in == 1) { /* block comment */
            if (c == '*' && i + 1 < n && p[i + 1] == '/') {
                s->in = 0;
                i++;
            }
            continue;
        }
        if (s->in == 2) { /* long string */
            if (c == '\\') {
                i++;
            } else if (c == '\'' && i + 2 < n && p[i + 1] == '\'' && p[i + 2] == '\'') {
                s->in = s->lob ? 3 : 0;
                i += 2;
            }
            continue;
        }
        if (s->in == 3) { /* a blob or clob: base64 (whose / is no comment) or a clob's string */
            if (c == '}' && i + 1 < n && p[i + 1] == '}') {
                s->in = 0;
                s->lob = 0;
                i++;
            } else if (c == '\'' && i + 2 < n && p[i + 1] == '\'' && p[i + 2] == '\'') {
                s->in = 2;
                i += 2;
            } else if (c == '"') {
                for (i++; i < n && p[i] != '"'; i++)
                    if (p[i] == '\\')
                        i++;
            }
            continue;
        }
        switch (c) {
        case '/':
            if (i + 1 < n && p[i + 1] == '/')
                i = n; /* a line comment: the rest of the line */
            else if (i + 1 < n && p[i + 1] == '*') {
                s->in = 1;
                i++;
            }
            break;
        case '"': /* a short string ends on its line */
        case '\'':
            if (c == '\'' && i + 2 < n && p[i + 1] == '\'' && p[i + 2] == '\'') {
                s->in = 2;
                i += 2;
                break;
            }
            for (i++; i < n && p[i] != c; i++)
                if (p[i] == '\\')
                    i++;
            break;
        case '{':
            if (i + 1 < n && p[i + 1] == '{') { /* {{ opens a lob, never a container */
                s->in = 3;
                s->lob = 1;
                i++;
                break;
            }
            if (s->depth < UINT32_MAX)
                s->depth++;
            break;
        case '[':
        case '(':
            if (s->depth < UINT32_MAX)
                s->depth++;
            break;
        case '}':
        case ']':
        case ')':
            if (s->depth)
                s->depth--;
            break;
        default:
            break;
        }
    }
    return s->depth == 0 && s->in == 0;
}

bool ddb_utf8_valid(kv_slice_t s)
{
    const uint8_t *p = s.p, *end = s.p + s.len;
    while (p < end) {
        uint8_t c = *p;
        if (c < 0x80) {
            p++;
            continue;
        }
        size_t n;
        uint32_t min, cp;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1, min = 0x80, cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2, min = 0x800, cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3, min = 0x10000, cp = c & 0x07;
        } else {
            return false;
        }
        if ((size_t)(end - p) <= n)
            return false;
        for (size_t i = 1; i <= n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (p[i] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        p += n + 1;
    }
    return true;
}

/* ---- the parser ---- */

typedef struct rd {
    const uint8_t *p, *end;
    kv_arena_t *a;
    char *err;
    size_t cap;
    bool failed;
} rd_t;

static int fail(rd_t *r, const char *msg)
{
    if (!r->failed) {
        r->failed = true;
        snprintf(r->err, r->cap, "%s", msg);
    }
    return -1;
}

/* Skip whitespace and comments. @return -1 on an unterminated block comment. */
static int skip_ws(rd_t *r)
{
    while (r->p < r->end) {
        uint8_t c = *r->p;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
            r->p++;
        } else if (c == '/' && r->p + 1 < r->end && r->p[1] == '/') {
            while (r->p < r->end && *r->p != '\n')
                r->p++;
        } else if (c == '/' && r->p + 1 < r->end && r->p[1] == '*') {
            const uint8_t *q = r->p + 2;
            while (q + 1 < r->end && !(q[0] == '*' && q[1] == '/'))
                q++;
            if (q + 1 >= r->end)
                return fail(r, "Ion: unterminated comment");
            r->p = q + 2;
        } else {
            break;
        }
    }
    return 0;
}

/* Skip whitespace only (inside a lob). */
static void skip_space(rd_t *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r' ||
                             *r->p == '\v' || *r->p == '\f'))
        r->p++;
}

static bool ident_start(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
}

static bool ident_char(uint8_t c)
{
    return ident_start(c) || (c >= '0' && c <= '9');
}

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

static void put_utf8(kv_buf_t *b, uint32_t cp)
{
    uint8_t u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (uint8_t)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (uint8_t)(0xC0 | (cp >> 6));
        u[1] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (uint8_t)(0xE0 | (cp >> 12));
        u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (uint8_t)(0xF0 | (cp >> 18));
        u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 4;
    }
    kv_buf_append(b, u, n);
}

/* n hex digits at r->p. */
static int hex_n(rd_t *r, int n, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < n; i++) {
        int h = r->p < r->end ? hexval(*r->p) : -1;
        if (h < 0)
            return fail(r, "Ion: bad escape in a string");
        v = v << 4 | (uint32_t)h;
        r->p++;
    }
    *out = v;
    return 0;
}

/* The body of a quoted text after its opening quote, up to (and past) the closing one: q is
 * the quote ('"' or '\''), long is a ''' string. Escapes are decoded into b. */
static int quoted(rd_t *r, uint8_t q, bool lng, kv_buf_t *b)
{
    for (;;) {
        if (r->p >= r->end)
            return fail(r, "Ion: unterminated string");
        uint8_t c = *r->p;
        if (!lng && c == q) {
            r->p++;
            return 0;
        }
        if (lng && c == '\'' && r->p + 2 < r->end && r->p[1] == '\'' && r->p[2] == '\'') {
            r->p += 3;
            return 0;
        }
        if (!lng && (c == '\n' || c == '\r'))
            return fail(r, "Ion: newline in a short string");
        if (c != '\\') {
            kv_buf_append_byte(b, c);
            r->p++;
            continue;
        }
        r->p++;
        if (r->p >= r->end)
            return fail(r, "Ion: unterminated string");
        c = *r->p++;
        uint32_t cp;
        switch (c) {
        case 'n':
            kv_buf_append_byte(b, '\n');
            break;
        case 't':
            kv_buf_append_byte(b, '\t');
            break;
        case 'r':
            kv_buf_append_byte(b, '\r');
            break;
        case '0':
            kv_buf_append_byte(b, 0);
            break;
        case 'a':
            kv_buf_append_byte(b, 7);
            break;
        case 'b':
            kv_buf_append_byte(b, 8);
            break;
        case 'f':
            kv_buf_append_byte(b, 12);
            break;
        case 'v':
            kv_buf_append_byte(b, 11);
            break;
        case '"':
        case '\'':
        case '\\':
        case '/':
        case '?':
            kv_buf_append_byte(b, c);
            break;
        case '\n': /* a line continuation */
            break;
        case '\r':
            if (r->p < r->end && *r->p == '\n')
                r->p++;
            break;
        case 'x':
            if (hex_n(r, 2, &cp) < 0)
                return -1;
            put_utf8(b, cp);
            break;
        case 'u':
            if (hex_n(r, 4, &cp) < 0)
                return -1;
            if (cp >= 0xD800 && cp < 0xDC00) { /* a surrogate pair */
                uint32_t lo;
                if (r->p + 1 >= r->end || r->p[0] != '\\' || r->p[1] != 'u')
                    return fail(r, "Ion: bad surrogate pair in a string");
                r->p += 2;
                if (hex_n(r, 4, &lo) < 0)
                    return -1;
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return fail(r, "Ion: bad surrogate pair in a string");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return fail(r, "Ion: bad surrogate pair in a string");
            }
            put_utf8(b, cp);
            break;
        case 'U':
            if (hex_n(r, 8, &cp) < 0)
                return -1;
            if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                return fail(r, "Ion: bad escape in a string");
            put_utf8(b, cp);
            break;
        default:
            return fail(r, "Ion: bad escape in a string");
        }
    }
}

/* A string value: "..." or one or more adjacent '''...''' (concatenated). */
static int string_val(rd_t *r, kv_slice_t *out)
{
    kv_buf_t b;
    kv_buf_init(&b, 2 * ENG_ITEM_MAX_BYTES);
    int rc = 0;
    if (*r->p == '"') {
        r->p++;
        rc = quoted(r, '"', false, &b);
    } else {
        do {
            r->p += 3;
            if ((rc = quoted(r, '\'', true, &b)) < 0 || (rc = skip_ws(r)) < 0)
                break;
        } while (r->end - r->p >= 3 && r->p[0] == '\'' && r->p[1] == '\'' && r->p[2] == '\'');
    }
    if (rc == 0 && kv_buf_failed(&b))
        rc = fail(r, "Item size has exceeded the maximum allowed size");
    if (rc == 0)
        *out = kv_arena_dup(r->a, kv_buf_slice(&b));
    kv_buf_dispose(&b);
    return rc;
}

static bool long_quote(const rd_t *r)
{
    return r->end - r->p >= 3 && r->p[0] == '\'' && r->p[1] == '\'' && r->p[2] == '\'';
}

/* A symbol: an identifier or a quoted '...'. */
static int symbol(rd_t *r, kv_slice_t *out)
{
    if (r->p < r->end && *r->p == '\'' && !long_quote(r)) {
        kv_buf_t b;
        kv_buf_init(&b, 1u << 20);
        r->p++;
        int rc = quoted(r, '\'', false, &b);
        if (rc == 0)
            *out = kv_arena_dup(r->a, kv_buf_slice(&b));
        kv_buf_dispose(&b);
        return rc;
    }
    const uint8_t *s = r->p;
    if (r->p >= r->end || !ident_start(*r->p))
        return fail(r, "Ion: a symbol expected");
    while (r->p < r->end && ident_char(*r->p))
        r->p++;
    *out = kv_slice(s, (size_t)(r->p - s));
    return 0;
}

/* Whether the text at r->p is `sym` followed by a non-identifier byte. */
static bool at_word(const rd_t *r, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n) != 0)
        return false;
    return r->p + n == r->end || !ident_char(r->p[n]);
}

/* A number's token: [+-] digits, '.', exponent letters, underscores, hex/binary letters. */
static int number_val(rd_t *r, kv_slice_t *out)
{
    const uint8_t *s = r->p;
    if (r->p < r->end && (*r->p == '-' || *r->p == '+'))
        r->p++;
    while (r->p < r->end &&
           (ident_char(*r->p) || *r->p == '.' ||
            ((*r->p == '-' || *r->p == '+') &&
             (r->p[-1] == 'e' || r->p[-1] == 'E' || r->p[-1] == 'd' || r->p[-1] == 'D'))))
        r->p++;
    size_t n = (size_t)(r->p - s);
    if (n > 256)
        return fail(r, "Ion: a number too long");
    char t[300];
    size_t k = 0;
    bool neg = s[0] == '-';
    size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
    if (s[0] == '+')
        return fail(r, "Ion: bad number"); /* +inf is the only value with a '+' */
    if (n - i > 2 && s[i] == '0' &&
        (s[i + 1] == 'x' || s[i + 1] == 'X' || s[i + 1] == 'b' || s[i + 1] == 'B')) {
        unsigned base = (s[i + 1] == 'x' || s[i + 1] == 'X') ? 16 : 2;
        uint64_t v = 0;
        bool any = false;
        for (size_t j = i + 2; j < n; j++) {
            if (s[j] == '_')
                continue;
            int h = hexval(s[j]);
            if (h < 0 || (unsigned)h >= base)
                return fail(r, "Ion: bad number");
            if (v > (UINT64_MAX - (uint64_t)h) / base)
                return fail(r, "Ion: an integer too large");
            v = v * base + (uint64_t)h;
            any = true;
        }
        if (!any)
            return fail(r, "Ion: bad number");
        int m = snprintf(t, sizeof(t), "%s%llu", neg ? "-" : "", (unsigned long long)v);
        *out = kv_arena_dup(r->a, kv_slice(t, (size_t)m));
        return 0;
    }
    if (neg)
        t[k++] = '-';
    bool digit = false;
    for (size_t j = i; j < n; j++) {
        uint8_t c = s[j];
        if (c == '_')
            continue;
        if (c == 'd' || c == 'D')
            c = 'e';
        if (c >= '0' && c <= '9')
            digit = true;
        else if (c != '.' && c != 'e' && c != 'E' && c != '-' && c != '+')
            return fail(r, "Ion: bad number");
        t[k++] = (char)c;
    }
    if (!digit)
        return fail(r, "Ion: bad number");
    /* "1." and "1.e3" are Ion decimals: drop the dot with nothing after it. */
    char u[300];
    size_t m = 0;
    for (size_t j = 0; j < k; j++) {
        if (t[j] == '.' && (j + 1 == k || t[j + 1] == 'e' || t[j + 1] == 'E'))
            continue;
        u[m++] = t[j];
    }
    *out = kv_arena_dup(r->a, kv_slice(u, m));
    return 0;
}

/* A normalised DynamoDB number from Ion number text. */
static int to_number(rd_t *r, kv_slice_t text, kv_slice_t *out)
{
    eng_num_t n;
    eng_num_status_t st = eng_num_parse(text, &n);
    if (st == ENG_NUM_SYNTAX)
        return fail(r, "The parameter cannot be converted to a numeric value");
    if (st == ENG_NUM_PRECISION)
        return fail(r, "Attempting to store more than 38 significant digits in a Number");
    if (st != ENG_NUM_OK)
        return fail(r, "Number overflow or underflow");
    uint8_t mem[200];
    kv_buf_t b;
    kv_buf_init_on(&b, mem, sizeof(mem), 1024);
    eng_num_format(&n, &b);
    *out = kv_arena_dup(r->a, kv_buf_slice(&b));
    kv_buf_dispose(&b);
    return 0;
}

/* {{ base64 }} or {{ "clob" }}, r->p after the "{{". */
static int lob_val(rd_t *r, kv_slice_t *out)
{
    skip_space(r); /* no comments in a lob: / is a base64 letter */
    kv_buf_t b;
    kv_buf_init(&b, 2 * ENG_ITEM_MAX_BYTES);
    int rc = 0;
    if (r->p < r->end && (*r->p == '"' || long_quote(r))) {
        kv_slice_t s;
        rc = string_val(r, &s);
        if (rc == 0)
            kv_buf_append_slice(&b, s);
    } else {
        /* base64 with whitespace anywhere: gather the letters, then decode */
        kv_buf_t t;
        kv_buf_init(&t, 4 * ENG_ITEM_MAX_BYTES);
        while (r->p < r->end && *r->p != '}') {
            uint8_t c = *r->p++;
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
                continue;
            kv_buf_append_byte(&t, c);
        }
        if (kv_buf_failed(&t) || !kv_b64_decode(&b, kv_buf_slice(&t)))
            rc = fail(r, "Ion: bad base64 in a blob");
        kv_buf_dispose(&t);
    }
    if (rc == 0)
        skip_space(r);
    if (rc == 0 && (r->end - r->p < 2 || r->p[0] != '}' || r->p[1] != '}'))
        rc = fail(r, "Ion: unterminated blob");
    if (rc == 0 && kv_buf_failed(&b))
        rc = fail(r, "Item size has exceeded the maximum allowed size");
    if (rc == 0) {
        r->p += 2;
        *out = kv_arena_dup(r->a, kv_buf_slice(&b));
    }
    kv_buf_dispose(&b);
    return rc;
}

static int value(rd_t *r, int depth, eng_av_t **out);

/* After a member or element: ',' or the closing byte. @return 1 at the close, 0 after a
 * comma, -1 on anything else. */
static int sep_or_close(rd_t *r, uint8_t close)
{
    if (skip_ws(r) < 0)
        return -1;
    if (r->p < r->end && *r->p == close) {
        r->p++;
        return 1;
    }
    if (r->p < r->end && *r->p == ',') {
        r->p++;
        return 0;
    }
    return fail(r, "Ion: ',' or a closing bracket expected");
}

typedef struct grow {
    void *v;
    size_t n, cap, size;
} grow_t;

/* Append one element (size bytes) to g (arena memory: doubled, so O(n) in all). */
static void *grow_add(kv_arena_t *a, grow_t *g)
{
    if (g->n == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 8;
        void *v = kv_arena_alloc(a, cap * g->size);
        if (g->n)
            memcpy(v, g->v, g->n * g->size);
        g->v = v;
        g->cap = cap;
    }
    return (char *)g->v + g->size * g->n++;
}

/* A struct's members, r->p after '{'. */
static int struct_body(rd_t *r, int depth, eng_attr_t **attrs, size_t *n)
{
    grow_t g = {.size = sizeof(eng_attr_t)};
    if (skip_ws(r) < 0)
        return -1;
    if (r->p < r->end && *r->p == '}') {
        r->p++;
        *attrs = kv_arena_calloc(r->a, 1, sizeof(eng_attr_t));
        *n = 0;
        return 0;
    }
    for (;;) {
        if (skip_ws(r) < 0)
            return -1;
        if (r->p < r->end && *r->p == '}') { /* after a trailing comma */
            r->p++;
            break;
        }
        kv_slice_t name;
        if (r->p < r->end && (*r->p == '"' || long_quote(r))) {
            if (string_val(r, &name) < 0)
                return -1;
        } else if (symbol(r, &name) < 0) {
            return -1;
        }
        if (skip_ws(r) < 0)
            return -1;
        if (r->p >= r->end || *r->p != ':' || (r->p + 1 < r->end && r->p[1] == ':'))
            return fail(r, "Ion: ':' expected after a field name");
        r->p++;
        eng_attr_t *at = grow_add(r->a, &g);
        at->name = name;
        if (value(r, depth + 1, &at->v) < 0)
            return -1;
        int s = sep_or_close(r, '}');
        if (s < 0)
            return -1;
        if (s == 1)
            break;
    }
    /* An item or map names each attribute once (Ion allows a field twice; DynamoDB does not). */
    if (g.n > 1) {
        eng_attr_t *at = g.v;
        kv_slice_t *names = kv_arena_alloc(r->a, g.n * sizeof(*names));
        for (size_t i = 0; i < g.n; i++)
            names[i] = at[i].name;
        eng_av_t set = {.t = ENG_AV_SS, .n = g.n};
        set.u.set = names;
        if (eng_set_has_dups(&set))
            return fail(r, "Ion: a struct names a field more than once");
    }
    *attrs = g.v;
    *n = g.n;
    return 0;
}

/* A list's elements, r->p after '['. */
static int list_body(rd_t *r, int depth, eng_av_t ***elems, size_t *n)
{
    grow_t g = {.size = sizeof(eng_av_t *)};
    for (;;) {
        if (skip_ws(r) < 0)
            return -1;
        if (r->p < r->end && *r->p == ']') {
            r->p++;
            break;
        }
        eng_av_t **e = grow_add(r->a, &g);
        if (value(r, depth + 1, e) < 0)
            return -1;
        int s = sep_or_close(r, ']');
        if (s < 0)
            return -1;
        if (s == 1)
            break;
    }
    *elems = g.n ? g.v : kv_arena_calloc(r->a, 1, sizeof(eng_av_t *));
    *n = g.n;
    return 0;
}

/* A set from an annotated list of scalars of type want. */
static int make_set(rd_t *r, eng_av_t *v, eng_av_type_t set, eng_av_type_t want)
{
    eng_av_t **el = v->u.l;
    size_t n = v->n;
    if (n == 0)
        return fail(r, set == ENG_AV_SS
                           ? "One or more parameter values were invalid: An string set may not "
                             "be empty"
                           : (set == ENG_AV_NS ? "One or more parameter values were invalid: An "
                                                 "number set may not be empty"
                                               : "One or more parameter values were invalid: "
                                                 "An binary set may not be empty"));
    kv_slice_t *m = kv_arena_calloc(r->a, n, sizeof(*m));
    for (size_t i = 0; i < n; i++) {
        if (el[i]->t != want)
            return fail(r, "Ion: a set member of the wrong type");
        m[i] = el[i]->u.s;
    }
    v->t = set;
    v->u.set = m;
    if (eng_set_has_dups(v))
        return fail(r, "One or more parameter values were invalid: Input collection contains "
                       "duplicates");
    return 0;
}

static int value(rd_t *r, int depth, eng_av_t **out)
{
    if (depth > DDB_ION_MAX_DEPTH)
        return fail(r, "Nesting Levels have exceeded supported limits");
    if (skip_ws(r) < 0)
        return -1;
    /* annotations: sym :: ... */
    eng_av_type_t set = ENG_AV_NULL;
    bool annotated = false;
    for (;;) {
        const uint8_t *save = r->p;
        if (r->p >= r->end || !(ident_start(*r->p) || (*r->p == '\'' && !long_quote(r))))
            break;
        kv_slice_t ann;
        if (symbol(r, &ann) < 0)
            return -1;
        if (skip_ws(r) < 0)
            return -1;
        if (r->end - r->p >= 2 && r->p[0] == ':' && r->p[1] == ':') {
            r->p += 2;
            if (annotated)
                return fail(r, "Ion: more than one annotation");
            annotated = true;
            if (kv_slice_eq_str(ann, "$dynamodb_SS"))
                set = ENG_AV_SS;
            else if (kv_slice_eq_str(ann, "$dynamodb_NS"))
                set = ENG_AV_NS;
            else if (kv_slice_eq_str(ann, "$dynamodb_BS"))
                set = ENG_AV_BS;
            else
                return fail(r, "Ion: unknown annotation");
            if (skip_ws(r) < 0)
                return -1;
            continue;
        }
        r->p = save;
        break;
    }
    if (r->p >= r->end)
        return fail(r, "Ion: a value expected");
    eng_av_t *v = kv_arena_calloc(r->a, 1, sizeof(*v));
    *out = v;
    uint8_t c = *r->p;
    if (set != ENG_AV_NULL && c != '[')
        return fail(r, "Ion: a set annotation on something other than a list");
    if (c == '{' && r->p + 1 < r->end && r->p[1] == '{') {
        r->p += 2;
        v->t = ENG_AV_B;
        return lob_val(r, &v->u.s);
    }
    if (c == '{') {
        r->p++;
        v->t = ENG_AV_M;
        return struct_body(r, depth, &v->u.m, &v->n);
    }
    if (c == '[') {
        r->p++;
        v->t = ENG_AV_L;
        if (list_body(r, depth, &v->u.l, &v->n) < 0)
            return -1;
        if (set == ENG_AV_SS)
            return make_set(r, v, ENG_AV_SS, ENG_AV_S);
        if (set == ENG_AV_NS)
            return make_set(r, v, ENG_AV_NS, ENG_AV_N);
        if (set == ENG_AV_BS)
            return make_set(r, v, ENG_AV_BS, ENG_AV_B);
        return 0;
    }
    if (c == '(')
        return fail(r, "Ion: S-expressions have no DynamoDB type");
    if (c == '"' || long_quote(r)) {
        v->t = ENG_AV_S;
        return string_val(r, &v->u.s);
    }
    if (at_word(r, "true") || at_word(r, "false")) {
        v->t = ENG_AV_BOOL;
        v->u.b = *r->p == 't';
        r->p += v->u.b ? 4 : 5;
        return 0;
    }
    if (at_word(r, "null")) {
        r->p += 4;
        if (r->p < r->end && *r->p == '.') { /* a typed null */
            r->p++;
            kv_slice_t ty;
            if (symbol(r, &ty) < 0)
                return -1;
        }
        v->t = ENG_AV_NULL;
        v->u.b = true;
        return 0;
    }
    if (at_word(r, "nan") ||
        (r->end - r->p >= 4 && (memcmp(r->p, "+inf", 4) == 0 || memcmp(r->p, "-inf", 4) == 0)))
        return fail(r, "Ion: nan and infinity have no DynamoDB type");
    if ((c >= '0' && c <= '9') || c == '-' || c == '+') {
        /* a timestamp has a '-' or 'T' after four digits */
        const uint8_t *q = r->p;
        while (q < r->end && *q >= '0' && *q <= '9')
            q++;
        if (q - r->p == 4 && q < r->end && (*q == '-' || *q == 'T'))
            return fail(r, "Ion: timestamps have no DynamoDB type");
        kv_slice_t text;
        if (number_val(r, &text) < 0)
            return -1;
        v->t = ENG_AV_N;
        return to_number(r, text, &v->u.s);
    }
    if (ident_start(c) || c == '\'')
        return fail(r, "Ion: symbol values have no DynamoDB type");
    return fail(r, "Ion: unexpected character");
}

int ddb_ion_read_item(kv_arena_t *a, kv_slice_t text, eng_item_t **out, char *err, size_t cap)
{
    rd_t r = {.p = text.p, .end = text.p + text.len, .a = a, .err = err, .cap = cap};
    if (cap)
        err[0] = 0;
    if (!ddb_utf8_valid(text))
        return fail(&r, "Ion: the text is not valid UTF-8");
    int found = 0;
    for (;;) {
        if (skip_ws(&r) < 0)
            return -1;
        if (r.p >= r.end)
            break;
        if (at_word(&r, "$ion_1_0")) {
            r.p += 8;
            continue;
        }
        if (found)
            return fail(&r, "Ion: more than one value in a record");
        if (*r.p != '{' || (r.p + 1 < r.end && r.p[1] == '{'))
            return fail(&r, "Ion: a record must be a struct {Item:{...}}");
        r.p++;
        eng_attr_t *top;
        size_t n;
        if (struct_body(&r, 0, &top, &n) < 0)
            return -1;
        const eng_av_t *item = NULL;
        for (size_t i = 0; i < n; i++)
            if (kv_slice_eq_str(top[i].name, "Item"))
                item = top[i].v;
        if (item == NULL || item->t != ENG_AV_M)
            return fail(&r, "Ion: a record without an Item struct");
        eng_item_t *it = kv_arena_calloc(a, 1, sizeof(*it));
        it->attrs = item->u.m;
        it->n = item->n;
        *out = it;
        found = 1;
    }
    return found;
}
