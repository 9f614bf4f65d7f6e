/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DynamoDB expressions: lexer, recursive-descent parser (precedence, from
 * low to high: OR, AND, NOT, then comparisons, BETWEEN, IN and functions),
 * and the evaluator shared by every kind of expression.
 */
#include "ddb_expr.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/kv_alloc.h"
#include "base/kv_b64.h"
#include "base/kv_err.h"

/* ---- lexer ---- */

typedef enum tok_kind {
    T_EOF = 0,
    T_IDENT,
    T_NAME,  /* #placeholder */
    T_VALUE, /* :placeholder */
    T_NUM,
    T_EQ,
    T_NE,
    T_LT,
    T_LE,
    T_GT,
    T_GE,
    T_LP,
    T_RP,
    T_LB,
    T_RB,
    T_COMMA,
    T_DOT,
    T_PLUS,
    T_MINUS,
    T_BAD,
} tok_kind_t;

#define TOK_UNMATCHED UINT32_MAX

typedef struct tok {
    tok_kind_t k;
    uint32_t m; /* ( and ): the index of the matching parenthesis, or TOK_UNMATCHED */
    kv_slice_t s;
} tok_t;

typedef struct parser {
    ddb_expr_env_t *env;
    const char *what;
    kv_slice_t text;
    tok_t *t;
    size_t n, i;
    int ops;
    int depth;
    bool failed;
} parser_t;

static bool is_ident_start(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident(uint8_t c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

static bool is_keyword(const tok_t *t);

/* Tokens of s into out; parentheses are matched on the way (an open one's m threads the stack of
 * open ones until it closes). *redundant: "((x))", parentheses directly around parentheses other
 * than a function call's. */
static size_t lex(kv_slice_t s, tok_t *out, size_t cap, bool *redundant)
{
    size_t n = 0, i = 0;
    uint32_t top = TOK_UNMATCHED;
    *redundant = false;
    while (i < s.len && n + 1 < cap) {
        uint8_t c = s.p[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            i++;
            continue;
        }
        size_t st = i;
        tok_kind_t k = T_BAD;
        if (is_ident_start(c)) {
            while (i < s.len && is_ident(s.p[i]))
                i++;
            k = T_IDENT;
        } else if ((c == '#' || c == ':') && i + 1 < s.len && is_ident(s.p[i + 1])) {
            i++;
            while (i < s.len && is_ident(s.p[i]))
                i++;
            k = c == '#' ? T_NAME : T_VALUE;
        } else if (c >= '0' && c <= '9') {
            while (i < s.len && s.p[i] >= '0' && s.p[i] <= '9')
                i++;
            k = T_NUM;
        } else {
            i++;
            switch (c) {
            case '=':
                k = T_EQ;
                break;
            case '<':
                if (i < s.len && s.p[i] == '>') {
                    k = T_NE;
                    i++;
                } else if (i < s.len && s.p[i] == '=') {
                    k = T_LE;
                    i++;
                } else {
                    k = T_LT;
                }
                break;
            case '>':
                if (i < s.len && s.p[i] == '=') {
                    k = T_GE;
                    i++;
                } else {
                    k = T_GT;
                }
                break;
            case '(':
                k = T_LP;
                break;
            case ')':
                k = T_RP;
                break;
            case '[':
                k = T_LB;
                break;
            case ']':
                k = T_RB;
                break;
            case ',':
                k = T_COMMA;
                break;
            case '.':
                k = T_DOT;
                break;
            case '+':
                k = T_PLUS;
                break;
            case '-':
                k = T_MINUS;
                break;
            default:
                k = T_BAD;
            }
        }
        out[n].k = k;
        out[n].m = TOK_UNMATCHED;
        out[n].s = kv_slice(s.p + st, i - st);
        if (k == T_LP) {
            out[n].m = top;
            top = (uint32_t)n;
        } else if (k == T_RP && top != TOK_UNMATCHED) {
            uint32_t open = top;
            top = out[open].m;
            out[open].m = (uint32_t)n;
            out[n].m = open;
            bool call = open > 0 && out[open - 1].k == T_IDENT && !is_keyword(&out[open - 1]);
            if (!call && out[open + 1].k == T_LP && out[open + 1].m + 1 == n)
                *redundant = true;
        }
        n++;
    }
    while (top != TOK_UNMATCHED) { /* left open: unmatched */
        uint32_t below = out[top].m;
        out[top].m = TOK_UNMATCHED;
        top = below;
    }
    out[n].k = T_EOF;
    out[n].m = TOK_UNMATCHED;
    out[n].s = kv_slice(s.p + s.len, 0);
    return n;
}

/* ---- errors ---- */

static void env_error(ddb_expr_env_t *env, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void env_error(ddb_expr_env_t *env, const char *fmt, ...)
{
    if (env->error)
        return;
    va_list ap;
    va_start(ap, fmt);
    env->error = kv_arena_vprintf(env->a, fmt, ap);
    va_end(ap);
}

static void *syntax(parser_t *p)
{
    if (p->failed)
        return NULL;
    p->failed = true;
    tok_t *t = &p->t[p->i];
    /* "near" spans the previous token to the next one, as DynamoDB reports it. */
    const uint8_t *from = p->i > 0 ? p->t[p->i - 1].s.p : t->s.p;
    const tok_t *nx = t->k != T_EOF ? &p->t[p->i + 1] : t;
    const uint8_t *to = nx->s.p + nx->s.len;
    if (t->k == T_EOF)
        env_error(p->env, "Invalid %s: Syntax error; token: \"<EOF>\", near: \"%.*s\"", p->what,
                  (int)(to - from), (const char *)from);
    else
        env_error(p->env, "Invalid %s: Syntax error; token: \"%.*s\", near: \"%.*s\"", p->what,
                  (int)t->s.len, (const char *)t->s.p, (int)(to - from), (const char *)from);
    return NULL;
}

static void *fail(parser_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void *fail(parser_t *p, const char *fmt, ...)
{
    if (p->failed)
        return NULL;
    p->failed = true;
    va_list ap;
    va_start(ap, fmt);
    const char *detail = kv_arena_vprintf(p->env->a, fmt, ap);
    va_end(ap);
    env_error(p->env, "Invalid %s: %s", p->what, detail);
    return NULL;
}

static bool kw(const tok_t *t, const char *word)
{
    return t->k == T_IDENT && kv_slice_eq_nocase(t->s, word);
}

static bool is_keyword(const tok_t *t)
{
    static const char *words[] = {"AND", "OR", "NOT", "BETWEEN", "IN"};
    for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
        if (kw(t, words[i]))
            return true;
    return false;
}

static tok_t *peek(parser_t *p)
{
    return &p->t[p->i];
}

static bool accept(parser_t *p, tok_kind_t k)
{
    if (p->t[p->i].k != k)
        return false;
    p->i++;
    return true;
}

static bool expect(parser_t *p, tok_kind_t k)
{
    if (accept(p, k))
        return true;
    syntax(p);
    return false;
}

static bool count_op(parser_t *p)
{
    if (++p->ops > DDB_EXPR_MAX_OPS) {
        fail(p, "The expression contains too many operators; operator count: %d", p->ops);
        return false;
    }
    return true;
}

/* ---- placeholders ---- */

void ddb_expr_env_init(ddb_expr_env_t *env, kv_arena_t *a, const api_json_t *names,
                       const eng_item_t *values)
{
    memset(env, 0, sizeof(*env));
    env->a = a;
    env->names = names;
    env->values = values;
    env->n_names = names ? api_json_len(names) : 0;
    env->names_used = kv_arena_calloc(a, env->n_names ? env->n_names : 1, sizeof(bool));
    env->values_used = kv_arena_calloc(a, values && values->n ? values->n : 1, sizeof(bool));
}

/* A placeholder's position in the request's names object or values item. */
typedef struct ddb_ph {
    kv_slice_t k;
    size_t i;
    api_json_t *v; /* names */
} ddb_ph_t;

static int ph_cmp(const void *x, const void *y)
{
    kv_slice_t a = ((const ddb_ph_t *)x)->k, b = ((const ddb_ph_t *)y)->k;
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.p, b.p, n) : 0;
    return c ? c : (a.len < b.len ? -1 : (a.len > b.len ? 1 : 0));
}

/* Placeholders are looked up by binary search in a sorted copy, so an expression's lookups
 * cost O(log n) each however many names or values the request defines. */
static const ddb_ph_t *ph_find(const ddb_ph_t *ix, size_t n, kv_slice_t ph)
{
    ddb_ph_t key = {ph, 0, NULL};
    return n ? bsearch(&key, ix, n, sizeof(*ix), ph_cmp) : NULL;
}

static bool resolve_name(parser_t *p, kv_slice_t ph, kv_slice_t *out)
{
    ddb_expr_env_t *env = p->env;
    if (env->names && env->names_ix == NULL) {
        env->names_ix = kv_arena_calloc(env->a, env->n_names + 1, sizeof(ddb_ph_t));
        void *it = NULL;
        const char *k;
        api_json_t *v;
        size_t i = 0;
        while (i < env->n_names && api_json_next(env->names, &it, &k, &v)) {
            env->names_ix[i] = (ddb_ph_t){kv_slice_str(k), i, v};
            i++;
        }
        qsort(env->names_ix, i, sizeof(ddb_ph_t), ph_cmp);
    }
    const ddb_ph_t *e = env->names ? ph_find(env->names_ix, env->n_names, ph) : NULL;
    if (e && api_json_type(e->v) == API_J_STR) {
        env->names_used[e->i] = true;
        *out = api_json_str(e->v);
        return true;
    }
    fail(p,
         "An expression attribute name used in the document path is not defined; attribute "
         "name: %.*s",
         (int)ph.len, (const char *)ph.p);
    return false;
}

static const eng_av_t *resolve_value(parser_t *p, kv_slice_t ph)
{
    ddb_expr_env_t *env = p->env;
    const eng_item_t *vals = env->values;
    if (vals && env->values_ix == NULL) {
        env->values_ix = kv_arena_calloc(env->a, vals->n + 1, sizeof(ddb_ph_t));
        for (size_t i = 0; i < vals->n; i++)
            env->values_ix[i] = (ddb_ph_t){vals->attrs[i].name, i, NULL};
        qsort(env->values_ix, vals->n, sizeof(ddb_ph_t), ph_cmp);
    }
    const ddb_ph_t *e = vals ? ph_find(env->values_ix, vals->n, ph) : NULL;
    if (e) {
        env->values_used[e->i] = true;
        return vals->attrs[e->i].v;
    }
    return fail(p,
                "An expression attribute value used in expression is not defined; attribute "
                "value: %.*s",
                (int)ph.len, (const char *)ph.p);
}

int ddb_expr_env_check_unused(ddb_expr_env_t *env)
{
    if (env->error)
        return -1;
    kv_buf_t b;
    kv_buf_init(&b, 1 << 16);
    void *it = NULL;
    const char *k;
    api_json_t *v;
    size_t i = 0;
    while (env->names && api_json_next(env->names, &it, &k, &v)) {
        if (!env->names_used[i]) {
            kv_buf_append_str(&b, b.len ? ", " : "");
            kv_buf_append_str(&b, k);
        }
        i++;
    }
    if (b.len) {
        env_error(env,
                  "Value provided in ExpressionAttributeNames unused in expressions: keys: {%.*s}",
                  (int)b.len, (const char *)b.p);
        kv_buf_dispose(&b);
        return -1;
    }
    for (size_t j = 0; env->values && j < env->values->n; j++)
        if (!env->values_used[j]) {
            kv_buf_append_str(&b, b.len ? ", " : "");
            kv_buf_append_slice(&b, env->values->attrs[j].name);
        }
    if (b.len) {
        env_error(env,
                  "Value provided in ExpressionAttributeValues unused in expressions: keys: {%.*s}",
                  (int)b.len, (const char *)b.p);
        kv_buf_dispose(&b);
        return -1;
    }
    kv_buf_dispose(&b);
    return 0;
}

/* ---- parsing ---- */

static bool parse_path(parser_t *p, ddb_path_t *out)
{
    ddb_path_elem_t tmp[DDB_PATH_MAX_ELEMS];
    size_t n = 0;
    for (;;) {
        tok_t *t = peek(p);
        if (n == DDB_PATH_MAX_ELEMS) {
            fail(p, "The document path has too many nesting levels; nesting levels: %zu", n);
            return false;
        }
        if (t->k == T_IDENT && !is_keyword(t)) {
            if (ddb_is_reserved_word(t->s)) {
                fail(p, "Attribute name is a reserved keyword; reserved keyword: %.*s",
                     (int)t->s.len, (const char *)t->s.p);
                return false;
            }
            tmp[n].is_index = false;
            tmp[n].name = t->s;
            p->i++;
        } else if (t->k == T_NAME) {
            tmp[n].is_index = false;
            if (!resolve_name(p, t->s, &tmp[n].name))
                return false;
            p->i++;
        } else {
            syntax(p);
            return false;
        }
        n++;
        /* Any number of list indexes. */
        while (peek(p)->k == T_LB) {
            p->i++;
            tok_t *num = peek(p);
            if (num->k != T_NUM || num->s.len > 9) {
                syntax(p);
                return false;
            }
            if (n == DDB_PATH_MAX_ELEMS) {
                fail(p, "The document path has too many nesting levels; nesting levels: %zu", n);
                return false;
            }
            tmp[n].is_index = true;
            tmp[n].index =
                (uint32_t)strtoul((const char *)kv_arena_dup(p->env->a, num->s).p, NULL, 10);
            tmp[n].name = KV_SLICE_NULL;
            n++;
            p->i++;
            if (!expect(p, T_RB))
                return false;
        }
        if (!accept(p, T_DOT))
            break;
    }
    out->e = kv_arena_alloc(p->env->a, n * sizeof(ddb_path_elem_t));
    memcpy(out->e, tmp, n * sizeof(ddb_path_elem_t));
    out->n = n;
    return true;
}

static ddb_operand_t *new_operand(parser_t *p, ddb_operand_kind_t k)
{
    ddb_operand_t *o = kv_arena_calloc(p->env->a, 1, sizeof(*o));
    o->kind = k;
    return o;
}

static bool is_func(parser_t *p, const char *name)
{
    tok_t *t = peek(p);
    return t->k == T_IDENT && kv_slice_eq_str(t->s, name) && p->t[p->i + 1].k == T_LP;
}

/* ---- parse-time checks (DynamoDB refuses these before reading any item) ---- */

static const char *av_type_name(eng_av_type_t t)
{
    static const char *n[] = {"", "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"};
    return n[t];
}

/* The type names UpdateExpression's ADD and DELETE print. */
static const char *av_long_name(eng_av_type_t t)
{
    static const char *n[] = {"",    "STRING", "NUMBER",     "BINARY",     "BOOLEAN",   "NULL",
                              "MAP", "LIST",   "STRING SET", "NUMBER SET", "BINARY SET"};
    return n[t];
}

/* The type an operand has whatever the item holds: a constant's, size()'s (N); 0: unknown. */
static eng_av_type_t const_type(const ddb_operand_t *o)
{
    if (o->kind == DDB_OP_VALUE)
        return o->value->t;
    if (o->kind == DDB_OP_SIZE)
        return ENG_AV_N;
    return 0;
}

static void *bad_operand_type(parser_t *p, const char *fn, eng_av_type_t t)
{
    return fail(p,
                "Incorrect operand type for operator or function; operator or function: %s, "
                "operand type: %s",
                fn, av_type_name(t));
}

static void *needs_path(parser_t *p, const char *fn)
{
    return fail(p, "Operator or function requires a document path; operator or function: %s", fn);
}

/* A function called with the wrong number of operands: count them between its parentheses
 * (only on this error path, so well-formed expressions pay nothing). */
static void *nargs(parser_t *p, const char *fn, size_t open)
{
    uint32_t close = p->t[open].m;
    if (close == TOK_UNMATCHED)
        return syntax(p);
    size_t n = p->t[open + 1].k == T_RP ? 0 : 1;
    for (size_t j = open + 1; j < close; j++) {
        if (p->t[j].k == T_LP && p->t[j].m != TOK_UNMATCHED)
            j = p->t[j].m;
        else if (p->t[j].k == T_COMMA)
            n++;
    }
    return fail(p,
                "Incorrect number of operands for operator or function; operator or function: "
                "%s, number of operands: %zu",
                fn, n);
}

/* The separator after an operand of function fn: want (',' or ')'); the other one means a
 * wrong operand count. */
static bool arg_sep(parser_t *p, tok_kind_t want, const char *fn, size_t open)
{
    if (accept(p, want))
        return true;
    tok_kind_t k = peek(p)->k;
    if (k == T_RP || k == T_COMMA)
        nargs(p, fn, open);
    else
        syntax(p);
    return false;
}

/* 0: unrelated paths; 1: one is a prefix of the other (overlap); 2: they reach one element as
 * a map member in one and a list element in the other (conflict). */
static int path_relation(const ddb_path_t *a, const ddb_path_t *b)
{
    size_t n = a->n < b->n ? a->n : b->n;
    for (size_t i = 0; i < n; i++) {
        if (a->e[i].is_index != b->e[i].is_index)
            return 2;
        if (a->e[i].is_index ? a->e[i].index != b->e[i].index
                             : !kv_slice_eq(a->e[i].name, b->e[i].name))
            return 0;
    }
    return 1;
}

static bool same_path(const ddb_operand_t *a, const ddb_operand_t *b)
{
    return a->kind == DDB_OP_PATH && b->kind == DDB_OP_PATH && a->path.n == b->path.n &&
           path_relation(&a->path, &b->path) == 1;
}

/* DynamoDB refuses comparing a path with itself ("a = a"), as it can be decided without the
 * item. */
static bool distinct(parser_t *p, const char *op, const ddb_operand_t *first,
                     const ddb_operand_t *other)
{
    if (!same_path(first, other))
        return true;
    kv_buf_t b;
    kv_buf_init(&b, 8192);
    ddb_path_format(&first->path, &b);
    fail(p,
         "The first operand must be distinct from the remaining operands for this operator or "
         "function; operator: %s, first operand: %.*s",
         op, (int)b.len, (const char *)b.p);
    kv_buf_dispose(&b);
    return false;
}

/* A constant as DynamoDB prints it in BETWEEN's messages: "AttributeValue: {N:2}". */
static void av_brief(const eng_av_t *v, kv_buf_t *out)
{
    kv_buf_printf(out, "AttributeValue: {%s:", av_type_name(v->t));
    if (v->t == ENG_AV_S || v->t == ENG_AV_N)
        kv_buf_append_slice(out, v->u.s);
    else if (v->t == ENG_AV_B)
        kv_b64_encode(out, v->u.s.p, v->u.s.len);
    kv_buf_append_byte(out, '}');
}

static bool order(const eng_av_t *a, const eng_av_t *b, int *out);

/* BETWEEN with two constant bounds: one type, lower <= upper. */
static bool between_bounds(parser_t *p, const eng_av_t *lo, const eng_av_t *hi)
{
    int o = 0;
    bool same = lo->t == hi->t;
    if (same && (!order(lo, hi, &o) || o <= 0))
        return true;
    kv_buf_t b1, b2;
    kv_buf_init(&b1, 1 << 20);
    kv_buf_init(&b2, 1 << 20);
    av_brief(lo, &b1);
    av_brief(hi, &b2);
    fail(p,
         same ? "The BETWEEN operator requires upper bound to be greater than or equal to lower "
                "bound; lower bound operand: %.*s, upper bound operand: %.*s"
              : "The BETWEEN operator requires same data type for lower and upper bounds; lower "
                "bound operand: %.*s, upper bound operand: %.*s",
         (int)b1.len, (const char *)b1.p, (int)b2.len, (const char *)b2.p);
    kv_buf_dispose(&b1);
    kv_buf_dispose(&b2);
    return false;
}

/* Ordering (<, <=, >, >=, BETWEEN) is defined on S, N and B only. */
static bool orderable(parser_t *p, const char *op, const ddb_operand_t *o)
{
    eng_av_type_t t = const_type(o);
    if (t == 0 || t == ENG_AV_S || t == ENG_AV_N || t == ENG_AV_B)
        return true;
    bad_operand_type(p, op, t);
    return false;
}

static bool is_cmp_tok(const tok_t *t)
{
    return (t->k >= T_EQ && t->k <= T_GE) || kw(t, "BETWEEN") || kw(t, "IN");
}

/* size() of a value into *n: bytes of S and B, members of M, L and the sets. @return false
 * for the types size() does not take (N, BOOL, NULL). */
static bool av_size(const eng_av_t *v, size_t *n)
{
    switch (v->t) {
    case ENG_AV_S:
    case ENG_AV_B:
        *n = v->u.s.len;
        return true;
    case ENG_AV_M:
    case ENG_AV_L:
    case ENG_AV_SS:
    case ENG_AV_NS:
    case ENG_AV_BS:
        *n = v->n;
        return true;
    default:
        return false;
    }
}

/* size(:value) of a constant is a constant. */
static ddb_operand_t *const_size(parser_t *p, const eng_av_t *v)
{
    size_t n;
    if (!av_size(v, &n))
        return bad_operand_type(p, "size", v->t);
    eng_av_t *nv = kv_arena_calloc(p->env->a, 1, sizeof(*nv));
    nv->t = ENG_AV_N;
    nv->u.s = kv_slice_str(kv_arena_printf(p->env->a, "%zu", n));
    ddb_operand_t *o = new_operand(p, DDB_OP_VALUE);
    o->value = nv;
    return o;
}

/* Operand of a condition: path, :value, size(operand), or one in parentheses. */
static ddb_operand_t *parse_operand(parser_t *p)
{
    tok_t *t = peek(p);
    if (t->k == T_LP) {
        if (++p->depth > DDB_EXPR_MAX_DEPTH)
            return fail(p, "The expression has too many levels of nesting");
        p->i++;
        ddb_operand_t *o = parse_operand(p);
        p->depth--;
        return o && expect(p, T_RP) ? o : NULL;
    }
    if (t->k == T_VALUE) {
        ddb_operand_t *o = new_operand(p, DDB_OP_VALUE);
        o->value = resolve_value(p, t->s);
        p->i++;
        return o->value ? o : NULL;
    }
    if (is_func(p, "size")) {
        if (!count_op(p))
            return NULL;
        size_t open = p->i + 1;
        p->i += 2;
        if (peek(p)->k == T_RP)
            return nargs(p, "size", open);
        ddb_operand_t *in = parse_operand(p);
        if (in == NULL || !arg_sep(p, T_RP, "size", open))
            return NULL;
        if (in->kind == DDB_OP_VALUE)
            return const_size(p, in->value);
        if (in->kind != DDB_OP_PATH)
            return bad_operand_type(p, "size", ENG_AV_N);
        ddb_operand_t *o = new_operand(p, DDB_OP_SIZE);
        o->path = in->path;
        return o;
    }
    if (t->k == T_IDENT && p->t[p->i + 1].k == T_LP) {
        if (kv_slice_eq_str(t->s, "attribute_exists") || kv_slice_eq_str(t->s, "begins_with") ||
            kv_slice_eq_str(t->s, "contains") || kv_slice_eq_str(t->s, "attribute_not_exists") ||
            kv_slice_eq_str(t->s, "attribute_type"))
            return fail(p,
                        "The function is not allowed to be used this way in an expression; "
                        "function: %.*s",
                        (int)t->s.len, (const char *)t->s.p);
        return fail(p, "Invalid function name; function: %.*s", (int)t->s.len,
                    (const char *)t->s.p);
    }
    ddb_operand_t *o = new_operand(p, DDB_OP_PATH);
    if (!parse_path(p, &o->path))
        return NULL;
    return o;
}

static ddb_cond_t *new_cond(parser_t *p, ddb_cond_kind_t k)
{
    ddb_cond_t *c = kv_arena_calloc(p->env->a, 1, sizeof(*c));
    c->kind = k;
    return c;
}

static ddb_cond_t *parse_or(parser_t *p);

static ddb_cond_t *parse_function(parser_t *p)
{
    static const struct {
        const char *name;
        ddb_cond_kind_t kind;
        int n;
    } fns[] = {{"attribute_exists", DDB_C_EXISTS, 1},
               {"attribute_not_exists", DDB_C_NOT_EXISTS, 1},
               {"attribute_type", DDB_C_TYPE, 2},
               {"begins_with", DDB_C_BEGINS, 2},
               {"contains", DDB_C_CONTAINS, 2}};
    tok_t *t = peek(p);
    size_t f = 0;
    while (f < sizeof(fns) / sizeof(*fns) && !kv_slice_eq_str(t->s, fns[f].name))
        f++;
    if (f == sizeof(fns) / sizeof(*fns))
        return NULL;
    if (!count_op(p))
        return NULL;
    const char *fn = fns[f].name;
    size_t open = p->i + 1;
    p->i += 2;
    if (peek(p)->k == T_RP)
        return nargs(p, fn, open);
    ddb_operand_t *args[2] = {NULL, NULL};
    for (int k = 0; k < fns[f].n; k++)
        if ((k > 0 && !arg_sep(p, T_COMMA, fn, open)) || !(args[k] = parse_operand(p)))
            return NULL;
    if (!arg_sep(p, T_RP, fn, open))
        return NULL;
    ddb_cond_t *c = new_cond(p, fns[f].kind);
    c->a = args[0];
    c->b = args[1];
    switch (c->kind) {
    case DDB_C_EXISTS:
    case DDB_C_NOT_EXISTS:
        if (c->a->kind != DDB_OP_PATH)
            return needs_path(p, fn);
        break;
    case DDB_C_TYPE: {
        if (c->a->kind != DDB_OP_PATH)
            return needs_path(p, fn);
        eng_av_type_t ty = const_type(c->b);
        if (ty && ty != ENG_AV_S)
            return bad_operand_type(p, fn, ty);
        if (!distinct(p, fn, c->a, c->b))
            return NULL;
        if (c->b->kind == DDB_OP_VALUE) {
            const eng_av_t *v = c->b->value;
            static const char *valid[] = {"S", "N", "B",  "BOOL", "NULL",
                                          "M", "L", "SS", "NS",   "BS"};
            bool ok = false;
            for (size_t i = 0; i < 10; i++)
                ok |= kv_slice_eq_str(v->u.s, valid[i]);
            if (!ok)
                return fail(p,
                            "Invalid attribute type name found; type: %.*s, valid types: "
                            "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}",
                            (int)v->u.s.len, (const char *)v->u.s.p);
        }
        break;
    }
    case DDB_C_BEGINS:
        for (int k = 0; k < 2; k++) {
            eng_av_type_t ty = const_type(args[k]);
            if (ty && ty != ENG_AV_S && ty != ENG_AV_B)
                return bad_operand_type(p, fn, ty);
        }
        if (!distinct(p, fn, c->a, c->b))
            return NULL;
        break;
    default: /* contains */
        if (!distinct(p, fn, c->a, c->b))
            return NULL;
    }
    return c;
}

static ddb_cond_t *parse_primary(parser_t *p)
{
    if (++p->depth > DDB_EXPR_MAX_DEPTH)
        return fail(p, "The expression has too many levels of nesting");
    ddb_cond_t *c = NULL;
    tok_t *t = peek(p);
    /* "(a) < b": parentheses around an operand, told from a condition's by what follows. */
    bool operand_parens = t->k == T_LP && t->m != TOK_UNMATCHED && is_cmp_tok(&p->t[t->m + 1]);
    if (t->k == T_LP && !operand_parens) {
        p->i++;
        c = parse_or(p);
        if (c && !expect(p, T_RP))
            c = NULL;
    } else if (t->k == T_IDENT && p->t[p->i + 1].k == T_LP && !kv_slice_eq_str(t->s, "size")) {
        c = parse_function(p);
        if (c == NULL && !p->failed)
            fail(p, "Invalid function name; function: %.*s", (int)t->s.len, (const char *)t->s.p);
        else if (c && is_cmp_tok(peek(p)))
            c = fail(p,
                     "The function is not allowed to be used this way in an expression; "
                     "function: %.*s",
                     (int)t->s.len, (const char *)t->s.p);
    } else {
        ddb_operand_t *a = parse_operand(p);
        if (a == NULL)
            goto out;
        tok_t *op = peek(p);
        if (op->k >= T_EQ && op->k <= T_GE) {
            if (!count_op(p))
                goto out;
            p->i++;
            c = new_cond(p, DDB_C_CMP);
            c->cmp = (ddb_cmp_t)(DDB_EQ + (op->k - T_EQ));
            c->a = a;
            if (!(c->b = parse_operand(p)))
                goto fail_out;
            char opz[3];
            snprintf(opz, sizeof(opz), "%.*s", (int)op->s.len, (const char *)op->s.p);
            if (c->cmp >= DDB_LT && (!orderable(p, opz, a) || !orderable(p, opz, c->b)))
                goto fail_out;
            if (!distinct(p, opz, a, c->b))
                goto fail_out;
        } else if (kw(op, "BETWEEN")) {
            if (!count_op(p))
                goto out;
            p->i++;
            c = new_cond(p, DDB_C_BETWEEN);
            c->a = a;
            if (!(c->b = parse_operand(p)))
                goto fail_out;
            if (!kw(peek(p), "AND")) {
                syntax(p);
                goto fail_out;
            }
            p->i++;
            if (!(c->c = parse_operand(p)))
                goto fail_out;
            if (!orderable(p, "BETWEEN", a) || !orderable(p, "BETWEEN", c->b) ||
                !orderable(p, "BETWEEN", c->c))
                goto fail_out;
            if (c->b->kind == DDB_OP_VALUE && c->c->kind == DDB_OP_VALUE &&
                !between_bounds(p, c->b->value, c->c->value))
                goto fail_out;
            if (!distinct(p, "BETWEEN", a, c->b) || !distinct(p, "BETWEEN", a, c->c))
                goto fail_out;
        } else if (kw(op, "IN")) {
            if (!count_op(p))
                goto out;
            p->i++;
            c = new_cond(p, DDB_C_IN);
            c->a = a;
            if (!expect(p, T_LP))
                goto fail_out;
            ddb_operand_t *list[DDB_EXPR_MAX_IN];
            size_t n = 0;
            do {
                if (n == DDB_EXPR_MAX_IN) {
                    fail(p,
                         "The IN operator is provided with too many operands; number of "
                         "operands: %d",
                         DDB_EXPR_MAX_IN + 1);
                    goto fail_out;
                }
                if (!(list[n++] = parse_operand(p)) || !distinct(p, "IN", a, list[n - 1]))
                    goto fail_out;
            } while (accept(p, T_COMMA));
            if (!expect(p, T_RP))
                goto fail_out;
            c->list = kv_arena_alloc(p->env->a, n * sizeof(*list));
            memcpy(c->list, list, n * sizeof(*list));
            c->n_list = n;
        } else if (a->kind == DDB_OP_SIZE || a->kind == DDB_OP_VALUE) {
            if (a->kind == DDB_OP_SIZE || p->t[p->i - 1].k == T_RP)
                fail(p, "The function is not allowed to be used this way in an expression; "
                        "function: size");
            else
                syntax(p);
        } else {
            syntax(p);
        }
    }
    goto out;
fail_out:
    c = NULL;
out:
    p->depth--;
    return p->failed ? NULL : c;
}

static ddb_cond_t *parse_not(parser_t *p)
{
    if (kw(peek(p), "NOT")) {
        if (!count_op(p))
            return NULL;
        p->i++;
        if (++p->depth > DDB_EXPR_MAX_DEPTH)
            return fail(p, "The expression has too many levels of nesting");
        ddb_cond_t *inner = parse_not(p);
        p->depth--;
        if (inner == NULL)
            return NULL;
        ddb_cond_t *c = new_cond(p, DDB_C_NOT);
        c->l = inner;
        return c;
    }
    return parse_primary(p);
}

static ddb_cond_t *parse_and(parser_t *p)
{
    ddb_cond_t *l = parse_not(p);
    while (l && kw(peek(p), "AND")) {
        if (!count_op(p))
            return NULL;
        p->i++;
        ddb_cond_t *r = parse_not(p);
        if (r == NULL)
            return NULL;
        ddb_cond_t *c = new_cond(p, DDB_C_AND);
        c->l = l;
        c->r = r;
        l = c;
    }
    return l;
}

static ddb_cond_t *parse_or(parser_t *p)
{
    ddb_cond_t *l = parse_and(p);
    while (l && kw(peek(p), "OR")) {
        if (!count_op(p))
            return NULL;
        p->i++;
        ddb_cond_t *r = parse_and(p);
        if (r == NULL)
            return NULL;
        ddb_cond_t *c = new_cond(p, DDB_C_OR);
        c->l = l;
        c->r = r;
        l = c;
    }
    return l;
}

static bool parser_init(parser_t *p, ddb_expr_env_t *env, const char *what, kv_slice_t text)
{
    memset(p, 0, sizeof(*p));
    p->env = env;
    p->what = what;
    p->text = text;
    if (text.len > DDB_EXPR_MAX_LEN) {
        env_error(env,
                  "Invalid %s: Expression size has exceeded the maximum allowed size; "
                  "expression size: %zu",
                  what, text.len);
        return false;
    }
    p->t = kv_arena_alloc(env->a, (text.len + 2) * sizeof(tok_t));
    bool redundant;
    p->n = lex(text, p->t, text.len + 2, &redundant);
    if (p->n == 0) {
        env_error(env, "Invalid %s: The expression can not be empty;", what);
        return false;
    }
    for (size_t i = 0; i < p->n; i++)
        if (p->t[i].k == T_BAD) {
            p->i = i;
            env_error(
                env, "Invalid %s: Syntax error; token: \"%.*s\", near: \"%.*s\"", what,
                (int)p->t[i].s.len, (const char *)p->t[i].s.p,
                (int)(p->t[i + 1].s.p + p->t[i + 1].s.len - (i ? p->t[i - 1].s.p : p->t[i].s.p)),
                (const char *)(i ? p->t[i - 1].s.p : p->t[i].s.p));
            return false;
        }
    if (redundant) {
        env_error(env, "Invalid %s: The expression has redundant parentheses;", what);
        return false;
    }
    return true;
}

int ddb_cond_parse(ddb_expr_env_t *env, const char *what, kv_slice_t text, ddb_cond_t **out)
{
    parser_t p;
    if (!parser_init(&p, env, what, text))
        return -1;
    ddb_cond_t *c = parse_or(&p);
    if (c && peek(&p)->k != T_EOF) {
        syntax(&p);
        c = NULL;
    }
    if (c == NULL) {
        if (!env->error)
            syntax(&p);
        return -1;
    }
    *out = c;
    return 0;
}

/* Update value: term [(+|-) term]; term: path | :value | if_not_exists(path, term) |
 * list_append(term, term). */
static ddb_operand_t *parse_term(parser_t *p)
{
    bool ine = is_func(p, "if_not_exists");
    if (ine || is_func(p, "list_append")) {
        const char *fn = ine ? "if_not_exists" : "list_append";
        if (!count_op(p))
            return NULL;
        size_t open = p->i + 1;
        p->i += 2;
        if (peek(p)->k == T_RP)
            return nargs(p, fn, open);
        ddb_operand_t *o = new_operand(p, ine ? DDB_OP_IF_NOT_EXISTS : DDB_OP_LIST_APPEND);
        if (!(o->a = parse_term(p)) || !arg_sep(p, T_COMMA, fn, open) || !(o->b = parse_term(p)) ||
            !arg_sep(p, T_RP, fn, open))
            return NULL;
        if (ine) {
            if (o->a->kind != DDB_OP_PATH)
                return needs_path(p, fn);
            o->path = o->a->path;
            o->a = NULL;
        } else {
            for (int k = 0; k < 2; k++) {
                const ddb_operand_t *x = k ? o->b : o->a;
                if (x->kind == DDB_OP_VALUE && x->value->t != ENG_AV_L)
                    return bad_operand_type(p, fn, x->value->t);
            }
        }
        return o;
    }
    tok_t *t = peek(p);
    if (t->k == T_IDENT && p->t[p->i + 1].k == T_LP)
        return fail(p, "Invalid function name; function: %.*s", (int)t->s.len,
                    (const char *)t->s.p);
    if (t->k == T_VALUE) {
        ddb_operand_t *o = new_operand(p, DDB_OP_VALUE);
        o->value = resolve_value(p, t->s);
        p->i++;
        return o->value ? o : NULL;
    }
    ddb_operand_t *o = new_operand(p, DDB_OP_PATH);
    return parse_path(p, &o->path) ? o : NULL;
}

static ddb_operand_t *parse_set_value(parser_t *p)
{
    ddb_operand_t *a = parse_term(p);
    if (a == NULL)
        return NULL;
    tok_t *t = peek(p);
    if (t->k == T_PLUS || t->k == T_MINUS) {
        if (!count_op(p))
            return NULL;
        p->i++;
        ddb_operand_t *o = new_operand(p, t->k == T_PLUS ? DDB_OP_PLUS : DDB_OP_MINUS);
        o->a = a;
        if (!(o->b = parse_term(p)))
            return NULL;
        /* Arithmetic is on numbers only: a constant of another type can never work. */
        for (int k = 0; k < 2; k++) {
            const ddb_operand_t *x = k ? o->b : o->a;
            if (x->kind == DDB_OP_VALUE && x->value->t != ENG_AV_N)
                return bad_operand_type(p, t->k == T_PLUS ? "+" : "-", x->value->t);
        }
        return o;
    }
    return a;
}

void ddb_path_format(const ddb_path_t *p, kv_buf_t *out)
{
    kv_buf_append_byte(out, '[');
    for (size_t i = 0; i < p->n; i++) {
        if (i)
            kv_buf_append_str(out, ", ");
        if (p->e[i].is_index)
            kv_buf_printf(out, "[%u]", p->e[i].index);
        else
            kv_buf_append_slice(out, p->e[i].name);
    }
    kv_buf_append_byte(out, ']');
}

/* Refuse two paths of one update or projection that overlap or conflict. */
static int paths_check(ddb_expr_env_t *env, const char *what, const ddb_path_t *a,
                       const ddb_path_t *b)
{
    int r = path_relation(a, b);
    if (r == 0)
        return 0;
    kv_buf_t b1, b2;
    kv_buf_init(&b1, 8192);
    kv_buf_init(&b2, 8192);
    ddb_path_format(a, &b1);
    ddb_path_format(b, &b2);
    env_error(env,
              "Invalid %s: Two document paths %s with each other; must remove or rewrite one of "
              "these paths; path one: %.*s, path two: %.*s",
              what, r == 1 ? "overlap" : "conflict", (int)b1.len, (const char *)b1.p, (int)b2.len,
              (const char *)b2.p);
    kv_buf_dispose(&b1);
    kv_buf_dispose(&b2);
    return -1;
}

int ddb_update_parse(ddb_expr_env_t *env, kv_slice_t text, ddb_update_t **out)
{
    parser_t p;
    if (!parser_init(&p, env, "UpdateExpression", text))
        return -1;
    size_t cap = text.len / 2 + 2;
    ddb_action_t *acts = kv_arena_calloc(env->a, cap, sizeof(*acts));
    size_t n = 0;
    bool seen[5] = {false};
    static const char *names[] = {"", "SET", "REMOVE", "ADD", "DELETE"};
    while (peek(&p)->k != T_EOF && !p.failed) {
        ddb_action_kind_t k = 0;
        for (int i = 1; i <= 4; i++)
            if (kw(peek(&p), names[i]))
                k = (ddb_action_kind_t)i;
        if (k == 0) {
            syntax(&p);
            break;
        }
        if (seen[k]) {
            fail(&p, "The \"%s\" section can only be used once in an update expression;", names[k]);
            break;
        }
        seen[k] = true;
        p.i++;
        do {
            if (n == cap) {
                syntax(&p);
                break;
            }
            ddb_action_t *a = &acts[n];
            a->kind = k;
            if (!parse_path(&p, &a->path))
                break;
            if (k == DDB_ACT_SET) {
                if (!expect(&p, T_EQ) || !(a->value = parse_set_value(&p)))
                    break;
            } else if (k == DDB_ACT_ADD || k == DDB_ACT_DELETE) {
                tok_t *t = peek(&p);
                if (t->k != T_VALUE) {
                    syntax(&p);
                    break;
                }
                a->value = new_operand(&p, DDB_OP_VALUE);
                if (!(a->value->value = resolve_value(&p, t->s)))
                    break;
                p.i++;
                /* ADD takes a number or a set, DELETE a set. */
                eng_av_type_t ty = a->value->value->t;
                if (ty != ENG_AV_SS && ty != ENG_AV_NS && ty != ENG_AV_BS &&
                    (k == DDB_ACT_DELETE || ty != ENG_AV_N)) {
                    fail(&p,
                         "Incorrect operand type for operator or function; operator: %s, operand "
                         "type: %s, typeSet: ALLOWED_FOR_%s_OPERAND",
                         names[k], av_long_name(ty), names[k]);
                    break;
                }
            }
            n++;
        } while (accept(&p, T_COMMA));
    }
    if (p.failed || env->error)
        return -1;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (paths_check(env, "UpdateExpression", &acts[i].path, &acts[j].path) < 0)
                return -1;
    ddb_update_t *u = kv_arena_alloc(env->a, sizeof(*u));
    u->acts = acts;
    u->n = n;
    *out = u;
    return 0;
}

int ddb_projection_parse(ddb_expr_env_t *env, kv_slice_t text, ddb_projection_t **out)
{
    parser_t p;
    if (!parser_init(&p, env, "ProjectionExpression", text))
        return -1;
    size_t cap = text.len / 2 + 2, n = 0;
    ddb_path_t *paths = kv_arena_calloc(env->a, cap, sizeof(*paths));
    do {
        if (n == cap || !parse_path(&p, &paths[n]))
            break;
        n++;
    } while (accept(&p, T_COMMA));
    if (!p.failed && peek(&p)->k != T_EOF)
        syntax(&p);
    if (p.failed || env->error)
        return -1;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (paths_check(env, "ProjectionExpression", &paths[i], &paths[j]) < 0)
                return -1;
    ddb_projection_t *pr = kv_arena_alloc(env->a, sizeof(*pr));
    pr->paths = paths;
    pr->n = n;
    *out = pr;
    return 0;
}

/* ---- evaluation ---- */

const eng_av_t *ddb_path_get(const eng_item_t *item, const ddb_path_t *p)
{
    if (item == NULL || p->n == 0 || p->e[0].is_index)
        return NULL;
    const eng_av_t *v = eng_item_get_attr(item, p->e[0].name);
    for (size_t i = 1; v && i < p->n; i++) {
        if (p->e[i].is_index) {
            v = v->t == ENG_AV_L && p->e[i].index < v->n ? v->u.l[p->e[i].index] : NULL;
        } else if (v->t == ENG_AV_M) {
            const eng_av_t *nx = NULL;
            for (size_t k = 0; k < v->n && !nx; k++)
                if (kv_slice_eq(v->u.m[k].name, p->e[i].name))
                    nx = v->u.m[k].v;
            v = nx;
        } else {
            v = NULL;
        }
    }
    return v;
}

typedef struct numbuf {
    eng_av_t av;
    char text[32];
} numbuf_t;

static const eng_av_t *operand_value(const ddb_operand_t *o, const eng_item_t *item, numbuf_t *nb)
{
    switch (o->kind) {
    case DDB_OP_VALUE:
        return o->value;
    case DDB_OP_PATH:
        return ddb_path_get(item, &o->path);
    case DDB_OP_SIZE: {
        const eng_av_t *v = ddb_path_get(item, &o->path);
        if (v == NULL)
            return NULL;
        size_t n;
        if (!av_size(v, &n))
            return NULL; /* size() of a number, boolean or null is an error: false */
        int len = snprintf(nb->text, sizeof(nb->text), "%zu", n);
        nb->av.t = ENG_AV_N;
        nb->av.n = 0;
        nb->av.u.s = kv_slice(nb->text, (size_t)len);
        return &nb->av;
    }
    default:
        return NULL;
    }
}

/* Ordering of two scalars of one type (N, S or B); false when not comparable. */
static bool order(const eng_av_t *a, const eng_av_t *b, int *out)
{
    if (a->t != b->t)
        return false;
    if (a->t == ENG_AV_N) {
        eng_num_t x, y;
        if (eng_num_parse(a->u.s, &x) != ENG_NUM_OK || eng_num_parse(b->u.s, &y) != ENG_NUM_OK)
            return false;
        *out = eng_num_cmp(&x, &y);
        return true;
    }
    if (a->t == ENG_AV_S || a->t == ENG_AV_B) {
        *out = kv_slice_cmp(a->u.s, b->u.s);
        return true;
    }
    return false;
}

static bool slice_contains(kv_slice_t hay, kv_slice_t needle)
{
    if (needle.len == 0)
        return true;
    for (size_t i = 0; i + needle.len <= hay.len; i++)
        if (memcmp(hay.p + i, needle.p, needle.len) == 0)
            return true;
    return false;
}

bool ddb_cond_eval(const ddb_cond_t *c, const eng_item_t *item)
{
    numbuf_t n1, n2, n3;
    const eng_av_t *a, *b, *x;
    int o;
    switch (c->kind) {
    case DDB_C_AND:
        return ddb_cond_eval(c->l, item) && ddb_cond_eval(c->r, item);
    case DDB_C_OR:
        return ddb_cond_eval(c->l, item) || ddb_cond_eval(c->r, item);
    case DDB_C_NOT:
        return !ddb_cond_eval(c->l, item);
    case DDB_C_EXISTS:
        return ddb_path_get(item, &c->a->path) != NULL;
    case DDB_C_NOT_EXISTS:
        return ddb_path_get(item, &c->a->path) == NULL;
    case DDB_C_TYPE:
        a = ddb_path_get(item, &c->a->path);
        b = operand_value(c->b, item, &n2);
        return a && b && b->t == ENG_AV_S && kv_slice_eq_str(b->u.s, av_type_name(a->t));
    case DDB_C_BEGINS:
        a = operand_value(c->a, item, &n1);
        b = operand_value(c->b, item, &n2);
        if (!a || !b || a->t != b->t || (a->t != ENG_AV_S && a->t != ENG_AV_B))
            return false;
        return a->u.s.len >= b->u.s.len && memcmp(a->u.s.p, b->u.s.p, b->u.s.len) == 0;
    case DDB_C_CONTAINS:
        a = operand_value(c->a, item, &n1);
        b = operand_value(c->b, item, &n2);
        if (!a || !b)
            return false;
        if (a->t == ENG_AV_S && b->t == ENG_AV_S)
            return slice_contains(a->u.s, b->u.s);
        if (a->t == ENG_AV_B && b->t == ENG_AV_B)
            return slice_contains(a->u.s, b->u.s);
        if ((a->t == ENG_AV_SS && b->t == ENG_AV_S) || (a->t == ENG_AV_NS && b->t == ENG_AV_N) ||
            (a->t == ENG_AV_BS && b->t == ENG_AV_B)) {
            for (size_t i = 0; i < a->n; i++) {
                eng_av_t m = {b->t, 0, {.s = a->u.set[i]}};
                if (eng_av_equal(&m, b))
                    return true;
            }
            return false;
        }
        if (a->t == ENG_AV_L) {
            for (size_t i = 0; i < a->n; i++)
                if (eng_av_equal(a->u.l[i], b))
                    return true;
        }
        return false;
    case DDB_C_CMP:
        a = operand_value(c->a, item, &n1);
        b = operand_value(c->b, item, &n2);
        if (c->cmp == DDB_EQ)
            return a && b && eng_av_equal(a, b);
        if (c->cmp == DDB_NE)
            return !(a && b && eng_av_equal(a, b));
        if (!a || !b || !order(a, b, &o))
            return false;
        switch (c->cmp) {
        case DDB_LT:
            return o < 0;
        case DDB_LE:
            return o <= 0;
        case DDB_GT:
            return o > 0;
        default:
            return o >= 0;
        }
    case DDB_C_BETWEEN: {
        int lo, hi;
        a = operand_value(c->a, item, &n1);
        b = operand_value(c->b, item, &n2);
        x = operand_value(c->c, item, &n3);
        if (!a || !b || !x || !order(a, b, &lo) || !order(a, x, &hi))
            return false;
        return lo >= 0 && hi <= 0;
    }
    case DDB_C_IN:
        a = operand_value(c->a, item, &n1);
        if (!a)
            return false;
        for (size_t i = 0; i < c->n_list; i++) {
            b = operand_value(c->list[i], item, &n2);
            if (b && eng_av_equal(a, b))
                return true;
        }
        return false;
    }
    return false;
}
