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

typedef struct tok {
    tok_kind_t k;
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

static size_t lex(kv_slice_t s, tok_t *out, size_t cap)
{
    size_t n = 0, i = 0;
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
        out[n].s = kv_slice(s.p + st, i - st);
        n++;
    }
    out[n].k = T_EOF;
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

/* Operand of a condition: path, :value, or size(path). */
static ddb_operand_t *parse_operand(parser_t *p)
{
    tok_t *t = peek(p);
    if (t->k == T_VALUE) {
        ddb_operand_t *o = new_operand(p, DDB_OP_VALUE);
        o->value = resolve_value(p, t->s);
        p->i++;
        return o->value ? o : NULL;
    }
    if (is_func(p, "size")) {
        if (!count_op(p))
            return NULL;
        p->i += 2;
        ddb_operand_t *o = new_operand(p, DDB_OP_SIZE);
        if (!parse_path(p, &o->path) || !expect(p, T_RP))
            return NULL;
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

static const char *av_type_name(eng_av_type_t t)
{
    static const char *n[] = {"", "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"};
    return n[t];
}

static ddb_cond_t *parse_or(parser_t *p);

static ddb_cond_t *parse_function(parser_t *p)
{
    tok_t *t = peek(p);
    ddb_cond_t *c;
    if (!count_op(p))
        return NULL;
    if (kv_slice_eq_str(t->s, "attribute_exists") ||
        kv_slice_eq_str(t->s, "attribute_not_exists")) {
        c = new_cond(p,
                     kv_slice_eq_str(t->s, "attribute_exists") ? DDB_C_EXISTS : DDB_C_NOT_EXISTS);
        p->i += 2;
        c->a = new_operand(p, DDB_OP_PATH);
        if (!parse_path(p, &c->a->path) || !expect(p, T_RP))
            return NULL;
        return c;
    }
    if (kv_slice_eq_str(t->s, "attribute_type")) {
        c = new_cond(p, DDB_C_TYPE);
        p->i += 2;
        c->a = new_operand(p, DDB_OP_PATH);
        if (!parse_path(p, &c->a->path) || !expect(p, T_COMMA))
            return NULL;
        if (!(c->b = parse_operand(p)) || !expect(p, T_RP))
            return NULL;
        if (c->b->kind == DDB_OP_VALUE) {
            const eng_av_t *v = c->b->value;
            static const char *valid[] = {"S", "N", "B",  "BOOL", "NULL",
                                          "M", "L", "SS", "NS",   "BS"};
            bool ok = false;
            for (size_t i = 0; v->t == ENG_AV_S && i < 10; i++)
                ok |= kv_slice_eq_str(v->u.s, valid[i]);
            if (!ok)
                return fail(p,
                            "Invalid attribute type name found; type: %.*s, valid types: "
                            "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}",
                            v->t == ENG_AV_S ? (int)v->u.s.len : 0,
                            v->t == ENG_AV_S ? (const char *)v->u.s.p : "");
        }
        return c;
    }
    bool begins = kv_slice_eq_str(t->s, "begins_with");
    if (begins || kv_slice_eq_str(t->s, "contains")) {
        c = new_cond(p, begins ? DDB_C_BEGINS : DDB_C_CONTAINS);
        p->i += 2;
        if (!(c->a = parse_operand(p)) || !expect(p, T_COMMA) || !(c->b = parse_operand(p)) ||
            !expect(p, T_RP))
            return NULL;
        if (begins && c->b->kind == DDB_OP_VALUE && c->b->value->t != ENG_AV_S &&
            c->b->value->t != ENG_AV_B)
            return fail(p,
                        "Incorrect operand type for operator or function; operator or "
                        "function: begins_with, operand type: %s",
                        av_type_name(c->b->value->t));
        return c;
    }
    return NULL;
}

static ddb_cond_t *parse_primary(parser_t *p)
{
    if (++p->depth > DDB_EXPR_MAX_DEPTH)
        return fail(p, "The expression has too many levels of nesting");
    ddb_cond_t *c = NULL;
    tok_t *t = peek(p);
    if (t->k == T_LP) {
        p->i++;
        c = parse_or(p);
        if (c && !expect(p, T_RP))
            c = NULL;
    } else if (t->k == T_IDENT && p->t[p->i + 1].k == T_LP && !kv_slice_eq_str(t->s, "size")) {
        c = parse_function(p);
        if (c == NULL && !p->failed)
            fail(p, "Invalid function name; function: %.*s", (int)t->s.len, (const char *)t->s.p);
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
                c = NULL;
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
                if (!(list[n++] = parse_operand(p)))
                    goto fail_out;
            } while (accept(p, T_COMMA));
            if (!expect(p, T_RP))
                goto fail_out;
            c->list = kv_arena_alloc(p->env->a, n * sizeof(*list));
            memcpy(c->list, list, n * sizeof(*list));
            c->n_list = n;
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
    p->n = lex(text, p->t, text.len + 2);
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
    if (is_func(p, "if_not_exists")) {
        if (!count_op(p))
            return NULL;
        p->i += 2;
        ddb_operand_t *o = new_operand(p, DDB_OP_IF_NOT_EXISTS);
        if (!parse_path(p, &o->path) || !expect(p, T_COMMA) || !(o->b = parse_term(p)) ||
            !expect(p, T_RP))
            return NULL;
        return o;
    }
    if (is_func(p, "list_append")) {
        if (!count_op(p))
            return NULL;
        p->i += 2;
        ddb_operand_t *o = new_operand(p, DDB_OP_LIST_APPEND);
        if (!(o->a = parse_term(p)) || !expect(p, T_COMMA) || !(o->b = parse_term(p)) ||
            !expect(p, T_RP))
            return NULL;
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
        return o;
    }
    return a;
}

static bool path_overlap(const ddb_path_t *a, const ddb_path_t *b)
{
    size_t n = a->n < b->n ? a->n : b->n;
    for (size_t i = 0; i < n; i++) {
        if (a->e[i].is_index != b->e[i].is_index)
            return false;
        if (a->e[i].is_index ? a->e[i].index != b->e[i].index
                             : !kv_slice_eq(a->e[i].name, b->e[i].name))
            return false;
    }
    return true;
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
            }
            n++;
        } while (accept(&p, T_COMMA));
    }
    if (p.failed || env->error)
        return -1;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (path_overlap(&acts[i].path, &acts[j].path)) {
                kv_buf_t b1, b2;
                kv_buf_init(&b1, 8192);
                kv_buf_init(&b2, 8192);
                ddb_path_format(&acts[i].path, &b1);
                ddb_path_format(&acts[j].path, &b2);
                env_error(env,
                          "Invalid UpdateExpression: Two document paths overlap with each "
                          "other; must remove or rewrite one of these paths; path one: %.*s, "
                          "path two: %.*s",
                          (int)b1.len, (const char *)b1.p, (int)b2.len, (const char *)b2.p);
                kv_buf_dispose(&b1);
                kv_buf_dispose(&b2);
                return -1;
            }
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
            if (path_overlap(&paths[i], &paths[j])) {
                kv_buf_t b1, b2;
                kv_buf_init(&b1, 8192);
                kv_buf_init(&b2, 8192);
                ddb_path_format(&paths[i], &b1);
                ddb_path_format(&paths[j], &b2);
                env_error(env,
                          "Invalid ProjectionExpression: Two document paths overlap with "
                          "each other; must remove or rewrite one of these paths; path one: "
                          "%.*s, path two: %.*s",
                          (int)b1.len, (const char *)b1.p, (int)b2.len, (const char *)b2.p);
                kv_buf_dispose(&b1);
                kv_buf_dispose(&b2);
                return -1;
            }
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
        switch (v->t) {
        case ENG_AV_S:
        case ENG_AV_B:
            n = v->u.s.len;
            break;
        case ENG_AV_M:
        case ENG_AV_L:
        case ENG_AV_SS:
        case ENG_AV_NS:
        case ENG_AV_BS:
            n = v->n;
            break;
        default:
            return NULL; /* size() of a number, boolean or null is an error: false */
        }
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
