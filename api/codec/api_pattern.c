/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EventBridge event patterns: compilation (validation with EventBridge's reasons) into a tree of
 * fields and rules, and matching of parsed events against it.
 */
#include "api_pattern.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/kv_err.h"

typedef enum rule_kind {
    R_STR,      /* exact string */
    R_NUM,      /* exact number (compared numerically) */
    R_NULL,     /* null */
    R_BOOL,     /* true / false */
    R_PREFIX,   /* {"prefix": s} or {"prefix": {"equals-ignore-case": s}} (ic) */
    R_SUFFIX,   /* likewise for suffix */
    R_EQ_IC,    /* {"equals-ignore-case": s} */
    R_WILDCARD, /* {"wildcard": s} */
    R_EXISTS,   /* {"exists": b} */
    R_NUMERIC,  /* {"numeric": [op, n, (op, n)]} */
    R_CIDR,     /* {"cidr": "a/len"} */
    R_BUT,      /* {"anything-but": ...}: none of the sub-rules match */
} rule_kind_t;

typedef struct rule {
    rule_kind_t kind;
    bool ic;          /* ignore case (prefix/suffix) */
    bool b;           /* R_BOOL, R_EXISTS */
    kv_slice_t s;     /* string operand */
    double n;         /* R_NUM */
    int nops;         /* R_NUMERIC: 1 or 2 comparisons */
    char op[2][3];    /* "=", "<", "<=", ">", ">=" */
    double opv[2];    /* their operands */
    int family;       /* R_CIDR: AF_INET or AF_INET6 */
    uint8_t net[16];  /* R_CIDR network */
    int bits;         /* R_CIDR prefix length */
    struct rule *sub; /* R_BUT: rules excluded */
    size_t nsub;
} rule_t;

typedef struct pnode pnode_t;
typedef struct field {
    const char *key;
    pnode_t *obj; /* nested object, or NULL: rules */
    rule_t *rules;
    size_t nrules;
} field_t;

struct pnode {
    field_t *fields;
    size_t nfields;
    pnode_t **ors; /* $or alternatives: one must match too */
    size_t nors;
};

struct api_pattern {
    pnode_t *root;
    unsigned opts;
};

typedef struct comp {
    kv_arena_t *a;
    const char *err;
    size_t values;
} comp_t;

static int fail(comp_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(comp_t *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *r = kv_arena_vprintf(c->a, fmt, ap);
    va_end(ap);
    c->err = kv_arena_printf(c->a, "Event pattern is not valid. Reason: %s", r ? r : "");
    return KV_EINVAL;
}

static bool is_num(const api_json_t *v)
{
    api_json_type_t t = api_json_type(v);
    return t == API_J_INT || t == API_J_REAL;
}

/* EventBridge refuses two consecutive unescaped '*' and dangling or unknown escapes. */
static int check_wildcard(comp_t *c, kv_slice_t s)
{
    for (size_t i = 0; i < s.len; i++) {
        if (s.p[i] == '\\') {
            if (i + 1 >= s.len || (s.p[i + 1] != '*' && s.p[i + 1] != '\\'))
                return fail(c, "Invalid escape character at pos %zu", i);
            i++;
        } else if (s.p[i] == '*' && i + 1 < s.len && s.p[i + 1] == '*') {
            return fail(c, "Consecutive wildcard characters at pos %zu", i + 1);
        }
    }
    return 0;
}

static int parse_cidr(comp_t *c, rule_t *r, kv_slice_t s)
{
    char buf[64];
    if (s.len == 0 || s.len >= sizeof(buf))
        return fail(c, "Nonsensical CIDR IP argument: \"%.*s\"", (int)(s.len > 64 ? 64 : s.len),
                    s.p);
    memcpy(buf, s.p, s.len);
    buf[s.len] = 0;
    char *slash = strchr(buf, '/');
    if (!slash)
        return fail(c, "Malformed CIDR, one '/' required");
    *slash = 0;
    r->family = strchr(buf, ':') ? AF_INET6 : AF_INET;
    int max = r->family == AF_INET6 ? 128 : 32;
    char *end;
    long bits = strtol(slash + 1, &end, 10);
    if (inet_pton(r->family, buf, r->net) != 1 || end == slash + 1 || *end || bits < 0 ||
        bits > max)
        return fail(c, "Nonsensical CIDR IP argument: \"%s/%s\"", buf, slash + 1);
    r->bits = (int)bits;
    return 0;
}

static int compile_rule(comp_t *c, const api_json_t *v, rule_t *r, bool in_but);

/* The operand of a string-taking operator. */
static int want_str(comp_t *c, const api_json_t *v, const char *op, kv_slice_t *out)
{
    if (api_json_type(v) != API_J_STR)
        return fail(c, "%s match pattern must be a string", op);
    *out = api_json_str(v);
    return 0;
}

/* A value's text as the message of a refusal shows it ("]" for none). */
static const char *token_text(comp_t *c, const api_json_t *v)
{
    if (v == NULL)
        return "]";
    if (api_json_type(v) == API_J_ARR)
        return "[";
    if (api_json_type(v) == API_J_OBJ)
        return "{";
    kv_buf_t b;
    kv_buf_init(&b, 64);
    if (api_json_type(v) == API_J_STR)
        kv_buf_append_slice(&b, api_json_str(v));
    else
        api_json_dump(v, &b);
    const char *t = kv_arena_strndup(c->a, b.p, b.len);
    kv_buf_dispose(&b);
    return t;
}

static int compile_numeric(comp_t *c, const api_json_t *v, rule_t *r)
{
    if (api_json_type(v) != API_J_ARR)
        return fail(c, "Value of numeric must be an array.");
    size_t n = api_json_len(v);
    if (n == 0 || api_json_type(api_json_at(v, 0)) != API_J_STR)
        return fail(c, "Invalid member in numeric match: %s",
                    token_text(c, n ? api_json_at(v, 0) : NULL));
    if (n > 4)
        return fail(c, "Too many terms in numeric range expression");
    if (n != 2 && n != 4)
        return fail(c, "Value of numeric must be an array of one or two comparisons.");
    bool lower = false, upper = false;
    for (size_t i = 0; i < n; i += 2) {
        const api_json_t *op = api_json_at(v, i), *num = api_json_at(v, i + 1);
        kv_slice_t o = api_json_str(op);
        if (i == 2 && (api_json_type(op) != API_J_STR || o.len == 0))
            return fail(c, "Bad value in numeric range: %s", api_json_type_name(api_json_type(op)));
        if (i == 2 && !(kv_slice_eq_str(o, "<") || kv_slice_eq_str(o, "<=")))
            return fail(c, "Bad numeric range operator: %.*s", (int)(o.len > 16 ? 16 : o.len), o.p);
        if (api_json_type(op) != API_J_STR || o.len == 0 || o.len > 2 ||
            !(kv_slice_eq_str(o, "=") || kv_slice_eq_str(o, "<") || kv_slice_eq_str(o, "<=") ||
              kv_slice_eq_str(o, ">") || kv_slice_eq_str(o, ">=")))
            return fail(c, "Unrecognized numeric range operator: %.*s",
                        (int)(o.len > 16 ? 16 : o.len), o.p);
        if (i == 0 && n == 4 && o.p[0] != '>')
            return fail(c, "Too many elements in numeric expression");
        if (!is_num(num))
            return fail(c, "Value of %.*s must be numeric", (int)o.len, o.p);
        if (o.p[0] == '=' && n != 2)
            return fail(c, "Bad numeric range definition");
        bool lo = o.p[0] == '>', up = o.p[0] == '<';
        if ((lo && lower) || (up && upper))
            return fail(c, "Bad numeric range definition");
        lower |= lo;
        upper |= up;
        memcpy(r->op[i / 2], o.p, o.len);
        r->op[i / 2][o.len] = 0;
        api_json_num(num, &r->opv[i / 2]);
    }
    r->nops = (int)(n / 2);
    if (r->nops == 2) {
        int lo = r->op[0][0] == '>' ? 0 : 1;
        if (r->opv[lo] >= r->opv[1 - lo])
            return fail(c, "Bottom must be less than top");
    }
    r->kind = R_NUMERIC;
    return 0;
}

static int compile_but(comp_t *c, const api_json_t *v, rule_t *r)
{
    r->kind = R_BUT;
    api_json_type_t t = api_json_type(v);
    if (t == API_J_ARR) {
        size_t n = api_json_len(v);
        if (n == 0)
            return fail(c, "Empty arrays are not allowed");
        if (c->values + n > API_PAT_MAX_VALUES)
            return fail(c, "Filter is too complex");
        r->sub = kv_arena_calloc(c->a, n, sizeof(*r->sub));
        r->nsub = n;
        bool str = false, num = false;
        for (size_t i = 0; i < n; i++) {
            const api_json_t *e = api_json_at(v, i);
            if (api_json_type(e) == API_J_STR)
                str = true;
            else if (is_num(e))
                num = true;
            else
                return fail(c, "Inside anything but list, start|null|boolean is not supported.");
            int rc = compile_rule(c, e, &r->sub[i], true);
            if (rc)
                return rc;
        }
        if (str && num)
            return fail(c, "Inside anything but list, either all values are number or string, "
                           "mixed type is not supported");
        return 0;
    }
    if (t == API_J_ARR || t == API_J_NULL || t == API_J_BOOL)
        return fail(c, "Inside anything-but list, start|null|boolean is not supported.");
    r->sub = kv_arena_calloc(c->a, 1, sizeof(*r->sub));
    r->nsub = 1;
    if (t == API_J_OBJ) {
        void *it = NULL;
        const char *k;
        api_json_t *x;
        if (api_json_len(v) != 1 || !api_json_next(v, &it, &k, &x))
            return fail(c, "Value of anything-but must be an array or single string/number value.");
        if (strcmp(k, "prefix") && strcmp(k, "suffix") && strcmp(k, "equals-ignore-case") &&
            strcmp(k, "wildcard"))
            return fail(c, "Unsupported anything-but pattern: %s", k);
    }
    return compile_rule(c, v, &r->sub[0], true);
}

/* One entry of a field's value list. */
static int compile_rule(comp_t *c, const api_json_t *v, rule_t *r, bool in_but)
{
    if (++c->values > API_PAT_MAX_VALUES)
        return fail(c, "Filter is too complex");
    switch (api_json_type(v)) {
    case API_J_STR:
        r->kind = R_STR;
        r->s = api_json_str(v);
        return 0;
    case API_J_INT:
    case API_J_REAL:
        r->kind = R_NUM;
        api_json_num(v, &r->n);
        return 0;
    case API_J_NULL:
        r->kind = R_NULL;
        return 0;
    case API_J_BOOL:
        r->kind = R_BOOL;
        r->b = api_json_bool(v);
        return 0;
    case API_J_ARR:
        return fail(c, "Match value must be String, number, true, false, or null");
    case API_J_OBJ:
        break;
    }
    void *it = NULL;
    const char *k;
    api_json_t *x;
    if (!api_json_next(v, &it, &k, &x))
        return fail(c, "Empty objects are not allowed");
    if (api_json_len(v) != 1)
        return fail(c, "Only one key allowed in match expression");
    int rc;
    if (!strcmp(k, "prefix") || !strcmp(k, "suffix")) {
        r->kind = k[0] == 'p' ? R_PREFIX : R_SUFFIX;
        if (api_json_type(x) == API_J_OBJ) {
            api_json_t *ic = api_json_get(x, "equals-ignore-case");
            if (!ic || api_json_len(x) != 1) {
                void *xi = NULL;
                const char *xk = "";
                api_json_t *xv;
                api_json_next(x, &xi, &xk, &xv);
                return fail(c, "Unsupported %s pattern: %s", k, xk);
            }
            r->ic = true;
            x = ic;
        }
        if (in_but && api_json_type(x) != API_J_STR)
            return fail(c, "prefix/suffix match pattern must be a string");
        if (in_but && api_json_str(x).len == 0)
            return fail(c, "Null prefix/suffix not allowed");
        return want_str(c, x, k, &r->s);
    }
    if (!strcmp(k, "equals-ignore-case")) {
        r->kind = R_EQ_IC;
        if (in_but && api_json_type(x) != API_J_STR)
            return fail(c, "Inside anything-but/equals-ignore-case list, "
                           "number|start|null|boolean is not supported.");
        return want_str(c, x, k, &r->s);
    }
    if (!strcmp(k, "wildcard")) {
        r->kind = R_WILDCARD;
        if ((rc = want_str(c, x, k, &r->s)))
            return rc;
        return check_wildcard(c, r->s);
    }
    if (in_but)
        return fail(c, "Unsupported anything-but pattern: %s", k);
    if (!strcmp(k, "exists")) {
        if (api_json_type(x) != API_J_BOOL)
            return fail(c, "exists match pattern must be either true or false.");
        r->kind = R_EXISTS;
        r->b = api_json_bool(x);
        return 0;
    }
    if (!strcmp(k, "numeric"))
        return compile_numeric(c, x, r);
    if (!strcmp(k, "cidr")) {
        r->kind = R_CIDR;
        if (api_json_type(x) != API_J_STR) /* sic: EventBridge's message for cidr */
            return fail(c, "prefix match pattern must be a string");
        return parse_cidr(c, r, api_json_str(x));
    }
    if (!strcmp(k, "anything-but"))
        return compile_but(c, x, r);
    return fail(c, "Unrecognized match type %s", k);
}

static int compile_obj(comp_t *c, const api_json_t *v, int depth, pnode_t **out)
{
    if (depth > API_PAT_MAX_DEPTH)
        return fail(c, "Filter is too complex");
    size_t n = api_json_len(v);
    if (n == 0)
        return fail(c, "Empty objects are not allowed");
    pnode_t *p = kv_arena_calloc(c->a, 1, sizeof(*p));
    p->fields = kv_arena_calloc(c->a, n, sizeof(*p->fields));
    void *it = NULL;
    const char *k;
    api_json_t *x;
    int rc;
    while (api_json_next(v, &it, &k, &x)) {
        if (!strcmp(k, "$or")) {
            if (api_json_type(x) != API_J_ARR)
                return fail(c, "It must be an Array followed with $or.");
            for (size_t i = 0; i < api_json_len(x); i++)
                if (api_json_type(api_json_at(x, i)) != API_J_OBJ)
                    return fail(c, "Only JSON object is allowed in array of $or relationship.");
            if (api_json_len(x) < 2)
                return fail(c, "There must have at least 2 Objects in $or relationship.");
            if (p->ors)
                return fail(c, "Only one $or allowed per object");
            p->nors = api_json_len(x);
            p->ors = kv_arena_calloc(c->a, p->nors, sizeof(*p->ors));
            for (size_t i = 0; i < p->nors; i++) {
                const api_json_t *alt = api_json_at(x, i);
                if ((rc = compile_obj(c, alt, depth + 1, &p->ors[i])))
                    return rc;
            }
            continue;
        }
        field_t *f = &p->fields[p->nfields++];
        f->key = k;
        if (api_json_type(x) == API_J_OBJ) {
            if ((rc = compile_obj(c, x, depth + 1, &f->obj)))
                return rc;
        } else if (api_json_type(x) == API_J_ARR) {
            f->nrules = api_json_len(x);
            if (f->nrules == 0)
                return fail(c, "Empty arrays are not allowed");
            if (c->values + f->nrules > API_PAT_MAX_VALUES)
                return fail(c, "Filter is too complex");
            f->rules = kv_arena_calloc(c->a, f->nrules, sizeof(*f->rules));
            for (size_t i = 0; i < f->nrules; i++)
                if ((rc = compile_rule(c, api_json_at(x, i), &f->rules[i], false)))
                    return rc;
        } else {
            return fail(c, "\"%s\" must be an object or an array", k);
        }
    }
    *out = p;
    return 0;
}

int api_pattern_compile(kv_arena_t *a, kv_slice_t text, unsigned opts, api_pattern_t **out,
                        const char **err)
{
    comp_t c = {.a = a};
    if (text.len > API_PAT_MAX_LEN) {
        fail(&c, "Filter is too long (%zu characters, at most %d)", text.len, API_PAT_MAX_LEN);
        *err = c.err;
        return KV_EINVAL;
    }
    api_json_t *doc;
    const char *jerr;
    if (api_json_parse(a, text, &doc, &jerr) < 0) {
        fail(&c, "Filter is not valid JSON: %s", jerr ? jerr : "");
        *err = c.err;
        return KV_EINVAL;
    }
    if (api_json_type(doc) != API_J_OBJ) {
        fail(&c, "Filter is not an object");
        *err = c.err;
        return KV_EINVAL;
    }
    api_pattern_t *p = kv_arena_calloc(a, 1, sizeof(*p));
    p->opts = opts;
    if (compile_obj(&c, doc, 0, &p->root)) {
        *err = c.err;
        return KV_EINVAL;
    }
    *out = p;
    return 0;
}

/* ---- matching ---- */

static uint8_t lower(uint8_t ch)
{
    return ch >= 'A' && ch <= 'Z' ? (uint8_t)(ch + 32) : ch;
}

static bool bytes_eq(const uint8_t *x, const uint8_t *y, size_t n, bool ic)
{
    if (!ic)
        return memcmp(x, y, n) == 0;
    for (size_t i = 0; i < n; i++)
        if (lower(x[i]) != lower(y[i]))
            return false;
    return true;
}

/* Glob with '*' (escapes "\*" and "\\"); iterative with one backtrack point (no '**'). */
static bool wildcard_match(kv_slice_t pat, kv_slice_t s)
{
    size_t p = 0, i = 0, star_p = SIZE_MAX, star_i = 0;
    while (i < s.len) {
        if (p < pat.len && pat.p[p] == '*') {
            star_p = ++p;
            star_i = i;
            continue;
        }
        if (p < pat.len) {
            size_t w = pat.p[p] == '\\' && p + 1 < pat.len ? 2 : 1;
            if (pat.p[p + w - 1] == s.p[i]) {
                p += w;
                i++;
                continue;
            }
        }
        if (star_p == SIZE_MAX)
            return false;
        p = star_p;
        i = ++star_i;
    }
    while (p < pat.len && pat.p[p] == '*')
        p++;
    return p == pat.len;
}

static bool cidr_match(const rule_t *r, kv_slice_t s)
{
    char buf[64];
    uint8_t addr[16];
    if (s.len == 0 || s.len >= sizeof(buf))
        return false;
    memcpy(buf, s.p, s.len);
    buf[s.len] = 0;
    if (inet_pton(r->family, buf, addr) != 1)
        return false;
    int full = r->bits / 8, rest = r->bits % 8;
    if (memcmp(addr, r->net, (size_t)full))
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (addr[full] & mask) == (r->net[full] & mask);
}

static bool value_num(const api_json_t *v, unsigned opts, double *x)
{
    if (api_json_num(v, x))
        return is_num(v);
    if (!(opts & API_PAT_NUMSTR) || api_json_type(v) != API_J_STR)
        return false;
    char buf[64];
    kv_slice_t s = api_json_str(v);
    if (s.len == 0 || s.len >= sizeof(buf))
        return false;
    memcpy(buf, s.p, s.len);
    buf[s.len] = 0;
    char *end;
    *x = strtod(buf, &end);
    return *end == 0;
}

/* Does one scalar event value v (never an array) match the rule? */
static bool rule_match(const rule_t *r, const api_json_t *v, unsigned opts)
{
    api_json_type_t t = api_json_type(v);
    if (t == API_J_OBJ || t == API_J_ARR)
        return false; /* only leaves match (an array's elements are tried one by one) */
    kv_slice_t s = t == API_J_STR ? api_json_str(v) : kv_slice(NULL, 0);
    double x;
    switch (r->kind) {
    case R_STR:
        return t == API_J_STR && kv_slice_eq(s, r->s);
    case R_NUM:
        return is_num(v) && api_json_num(v, &x) && x == r->n;
    case R_NULL:
        return t == API_J_NULL;
    case R_BOOL:
        return t == API_J_BOOL && api_json_bool(v) == r->b;
    case R_PREFIX:
        return t == API_J_STR && s.len >= r->s.len && bytes_eq(s.p, r->s.p, r->s.len, r->ic);
    case R_SUFFIX:
        return t == API_J_STR && s.len >= r->s.len &&
               bytes_eq(s.p + s.len - r->s.len, r->s.p, r->s.len, r->ic);
    case R_EQ_IC:
        return t == API_J_STR && s.len == r->s.len && bytes_eq(s.p, r->s.p, s.len, true);
    case R_WILDCARD:
        return t == API_J_STR && wildcard_match(r->s, s);
    case R_CIDR:
        return t == API_J_STR && cidr_match(r, s);
    case R_NUMERIC:
        if (!value_num(v, opts, &x))
            return false;
        for (int i = 0; i < r->nops; i++) {
            const char *op = r->op[i];
            double y = r->opv[i];
            bool ok = op[0] == '='   ? x == y
                      : op[0] == '<' ? (op[1] ? x <= y : x < y)
                                     : (op[1] ? x >= y : x > y);
            if (!ok)
                return false;
        }
        return true;
    case R_BUT:
        for (size_t i = 0; i < r->nsub; i++)
            if (rule_match(&r->sub[i], v, opts))
                return false;
        return true;
    case R_EXISTS:
        return false; /* handled by field_match */
    }
    return false;
}

static bool node_match(const pnode_t *p, const api_json_t *ev, unsigned opts, int depth);

/* A field of the pattern against the event's member v (NULL: absent). */
static bool field_match(const field_t *f, const api_json_t *v, unsigned opts, int depth)
{
    if (f->obj) {
        if (v && api_json_type(v) == API_J_ARR) {
            for (size_t i = 0; i < api_json_len(v); i++)
                if (node_match(f->obj, api_json_at(v, i), opts, depth + 1))
                    return true;
            return false;
        }
        return node_match(f->obj, v, opts, depth + 1);
    }
    bool leaf = v && api_json_type(v) != API_J_OBJ; /* exists matches leaves only */
    if (v && api_json_type(v) == API_J_ARR && api_json_len(v) == 0)
        leaf = false;
    for (size_t r = 0; r < f->nrules; r++) {
        const rule_t *ru = &f->rules[r];
        if (ru->kind == R_EXISTS) {
            if (ru->b == leaf)
                return true;
            continue;
        }
        if (!v)
            continue;
        if (api_json_type(v) == API_J_ARR) {
            for (size_t i = 0; i < api_json_len(v); i++)
                if (rule_match(ru, api_json_at(v, i), opts))
                    return true;
        } else if (rule_match(ru, v, opts)) {
            return true;
        }
    }
    return false;
}

static bool node_match(const pnode_t *p, const api_json_t *ev, unsigned opts, int depth)
{
    if (depth > API_PAT_MAX_DEPTH + 1)
        return false;
    const api_json_t *obj = ev && api_json_type(ev) == API_J_OBJ ? ev : NULL;
    for (size_t i = 0; i < p->nfields; i++)
        if (!field_match(&p->fields[i], obj ? api_json_get(obj, p->fields[i].key) : NULL, opts,
                         depth))
            return false;
    if (p->nors == 0)
        return true;
    for (size_t i = 0; i < p->nors; i++)
        if (node_match(p->ors[i], ev, opts, depth + 1))
            return true;
    return false;
}

bool api_pattern_match(const api_pattern_t *p, const api_json_t *event)
{
    return p && node_match(p->root, event, p->opts, 0);
}
