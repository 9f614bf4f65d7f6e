/* SPDX-License-Identifier: Apache-2.0 */
/* PartiQL for DynamoDB: lexer and recursive-descent parser into condition/update trees. */
#include "ddb_partiql.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define PQ_MAX_TOKENS 4096
#define PQ_MAX_DEPTH  64
#define PQ_MAX_LIST   1000 /* members of one list, map or set literal */
#define PQ_ERR_PREFIX "Statement wasn't well formed, can't be processed: "

typedef enum {
    K_END = 0,
    K_IDENT,  /* bare word (keyword or name) */
    K_QIDENT, /* "quoted name" */
    K_STR,    /* 'string' */
    K_NUM,
    K_PARAM, /* ? */
    K_LP,
    K_RP,
    K_LB,
    K_RB,
    K_LC,
    K_RC,
    K_COMMA,
    K_DOT,
    K_COLON,
    K_STAR,
    K_PLUS,
    K_MINUS,
    K_SEMI,
    K_LSET, /* << */
    K_RSET, /* >> */
    K_EQ,   /* the order of these six matches ddb_cmp_t */
    K_NE,
    K_LT,
    K_LE,
    K_GT,
    K_GE,
} kind_t;

typedef struct {
    kind_t k;
    kv_slice_t s; /* text; K_STR and K_QIDENT: unescaped */
} tok_t;

typedef struct {
    kv_arena_t *a;
    tok_t *t;
    size_t n, i;
    eng_av_t *const *params;
    size_t n_params, next_param;
    int depth;
    const char *err;
} pq_t;

static void *fail(pq_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void *fail(pq_t *p, const char *fmt, ...)
{
    if (p->err == NULL) {
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        p->err = kv_arena_strndup(p->a, msg, strlen(msg));
    }
    return NULL;
}

static void *syntax(pq_t *p, const char *what)
{
    return fail(p, PQ_ERR_PREFIX "%s", what);
}

/* ---- lexer ---- */

static bool word_char(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$';
}

/* A quoted run ('...' or "..."), the quote doubled inside. */
static bool quoted(pq_t *p, kv_slice_t in, size_t *i, uint8_t q, kv_slice_t *out)
{
    kv_buf_t b;
    kv_buf_init(&b, in.len + 1);
    size_t j = *i + 1;
    bool closed = false;
    while (j < in.len) {
        if (in.p[j] == q) {
            if (j + 1 < in.len && in.p[j + 1] == q) {
                kv_buf_append_byte(&b, q);
                j += 2;
                continue;
            }
            closed = true;
            j++;
            break;
        }
        kv_buf_append_byte(&b, in.p[j++]);
    }
    *out = kv_arena_dup(p->a, kv_buf_slice(&b));
    kv_buf_dispose(&b);
    *i = j;
    return closed;
}

static int lex(pq_t *p, kv_slice_t in)
{
    p->t = kv_arena_calloc(p->a, PQ_MAX_TOKENS + 1, sizeof(tok_t));
    size_t i = 0;
    while (i < in.len) {
        uint8_t c = in.p[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            i++;
            continue;
        }
        if (c == '-' && i + 1 < in.len && in.p[i + 1] == '-') { /* -- comment */
            while (i < in.len && in.p[i] != '\n')
                i++;
            continue;
        }
        if (p->n == PQ_MAX_TOKENS) {
            syntax(p, "The statement is too complex");
            return -1;
        }
        tok_t *t = &p->t[p->n++];
        size_t st = i;
        if (c == '\'' || c == '"') {
            t->k = c == '\'' ? K_STR : K_QIDENT;
            if (!quoted(p, in, &i, c, &t->s)) {
                syntax(p, c == '\'' ? "Unterminated string literal"
                                    : "Unterminated quoted identifier");
                return -1;
            }
            continue;
        }
        if (c >= '0' && c <= '9') {
            t->k = K_NUM;
            while (i < in.len && ((in.p[i] >= '0' && in.p[i] <= '9') || in.p[i] == '.'))
                i++;
            if (i < in.len && (in.p[i] == 'e' || in.p[i] == 'E')) {
                i++;
                if (i < in.len && (in.p[i] == '+' || in.p[i] == '-'))
                    i++;
                while (i < in.len && in.p[i] >= '0' && in.p[i] <= '9')
                    i++;
            }
            t->s = kv_slice(in.p + st, i - st);
            continue;
        }
        if (word_char(c)) {
            t->k = K_IDENT;
            while (i < in.len && word_char(in.p[i]))
                i++;
            t->s = kv_slice(in.p + st, i - st);
            continue;
        }
        i++;
        uint8_t d = i < in.len ? in.p[i] : 0;
        switch (c) {
        case '(':
            t->k = K_LP;
            break;
        case ')':
            t->k = K_RP;
            break;
        case '[':
            t->k = K_LB;
            break;
        case ']':
            t->k = K_RB;
            break;
        case '{':
            t->k = K_LC;
            break;
        case '}':
            t->k = K_RC;
            break;
        case ',':
            t->k = K_COMMA;
            break;
        case '.':
            t->k = K_DOT;
            break;
        case ':':
            t->k = K_COLON;
            break;
        case '*':
            t->k = K_STAR;
            break;
        case '+':
            t->k = K_PLUS;
            break;
        case '-':
            t->k = K_MINUS;
            break;
        case ';':
            t->k = K_SEMI;
            break;
        case '?':
            t->k = K_PARAM;
            break;
        case '=':
            t->k = K_EQ;
            break;
        case '!':
            if (d != '=') {
                syntax(p, "Unexpected character: !");
                return -1;
            }
            t->k = K_NE;
            i++;
            break;
        case '<':
            t->k = d == '<' ? K_LSET : d == '=' ? K_LE : d == '>' ? K_NE : K_LT;
            i += t->k != K_LT;
            break;
        case '>':
            t->k = d == '>' ? K_RSET : d == '=' ? K_GE : K_GT;
            i += t->k != K_GT;
            break;
        default:
            fail(p, PQ_ERR_PREFIX "Unexpected character: %c", c >= 32 && c < 127 ? c : '?');
            return -1;
        }
        t->s = kv_slice(in.p + st, i - st);
    }
    p->t[p->n].k = K_END;
    return 0;
}

/* ---- helpers ---- */

static tok_t *peek(pq_t *p)
{
    return &p->t[p->i];
}

static bool kw(const tok_t *t, const char *word)
{
    size_t n = strlen(word);
    if (t->k != K_IDENT || t->s.len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = t->s.p[i];
        if (c >= 'a' && c <= 'z')
            c = (uint8_t)(c - 32);
        if (c != (uint8_t)word[i])
            return false;
    }
    return true;
}

static bool accept_kw(pq_t *p, const char *word)
{
    if (!kw(peek(p), word))
        return false;
    p->i++;
    return true;
}

static bool expect_kw(pq_t *p, const char *word)
{
    if (accept_kw(p, word))
        return true;
    fail(p, PQ_ERR_PREFIX "Expected %s", word);
    return false;
}

static bool accept(pq_t *p, kind_t k)
{
    if (peek(p)->k != k)
        return false;
    p->i++;
    return true;
}

static bool expect(pq_t *p, kind_t k, const char *what)
{
    if (accept(p, k))
        return true;
    fail(p, PQ_ERR_PREFIX "Expected %s", what);
    return false;
}

/* Words that end a name or start a clause: never attribute names unless quoted. */
static bool reserved(const tok_t *t)
{
    static const char *const words[] = {
        "SELECT", "FROM",      "WHERE",   "AND",     "OR",     "NOT",  "SET",    "REMOVE",
        "VALUE",  "RETURNING", "ORDER",   "BY",      "INSERT", "INTO", "UPDATE", "DELETE",
        "IN",     "IS",        "BETWEEN", "MISSING", "NULL",   "TRUE", "FALSE",  "EXISTS"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (kw(t, words[i]))
            return true;
    return false;
}

static bool name(pq_t *p, kv_slice_t *out)
{
    tok_t *t = peek(p);
    if (t->k == K_QIDENT ||
        (t->k == K_IDENT && !reserved(t) && !(t->s.p[0] >= '0' && t->s.p[0] <= '9'))) {
        if (t->s.len == 0 || t->s.len > 65535) {
            fail(p, PQ_ERR_PREFIX "Invalid name");
            return false;
        }
        *out = t->s;
        p->i++;
        return true;
    }
    fail(p, PQ_ERR_PREFIX "Expected a name");
    return false;
}

static bool path(pq_t *p, ddb_path_t *out)
{
    ddb_path_elem_t tmp[DDB_PATH_MAX_ELEMS];
    size_t n = 0;
    if (!name(p, &tmp[0].name))
        return false;
    tmp[n++].is_index = false;
    for (;;) {
        if (n == DDB_PATH_MAX_ELEMS) {
            fail(p, "The document path has too many nesting levels; nesting levels: %zu", n);
            return false;
        }
        if (peek(p)->k == K_DOT && (p->t[p->i + 1].k == K_IDENT || p->t[p->i + 1].k == K_QIDENT)) {
            p->i++;
            if (!name(p, &tmp[n].name))
                return false;
            tmp[n++].is_index = false;
        } else if (peek(p)->k == K_LB) {
            p->i++;
            tok_t *t = peek(p);
            unsigned long v = 0;
            bool ok = t->k == K_NUM && t->s.len <= 9;
            for (size_t i = 0; ok && i < t->s.len; i++) {
                ok = t->s.p[i] >= '0' && t->s.p[i] <= '9';
                v = v * 10 + (unsigned long)(t->s.p[i] - '0');
            }
            if (!ok) {
                fail(p, PQ_ERR_PREFIX "Invalid list index");
                return false;
            }
            p->i++;
            if (!expect(p, K_RB, "]"))
                return false;
            tmp[n].is_index = true;
            tmp[n++].index = (uint32_t)v;
        } else {
            break;
        }
    }
    out->e = kv_arena_alloc(p->a, n * sizeof(ddb_path_elem_t));
    memcpy(out->e, tmp, n * sizeof(ddb_path_elem_t));
    out->n = n;
    return true;
}

/* ---- literals ---- */

static eng_av_t *new_av(pq_t *p, eng_av_type_t t)
{
    eng_av_t *v = kv_arena_calloc(p->a, 1, sizeof(*v));
    v->t = t;
    return v;
}

static eng_av_t *number(pq_t *p, kv_slice_t text, bool neg)
{
    char buf[ENG_NUM_MAX_TEXT + 2];
    if (text.len + 1 > ENG_NUM_MAX_TEXT)
        return fail(p, "Number overflow. Attempting to store a number with magnitude larger than "
                       "supported range");
    size_t n = 0;
    if (neg)
        buf[n++] = '-';
    memcpy(buf + n, text.p, text.len);
    n += text.len;
    eng_num_t num;
    switch (eng_num_parse(kv_slice(buf, n), &num)) {
    case ENG_NUM_OK:
        break;
    case ENG_NUM_PRECISION:
        return fail(p, "Attempting to store more than 38 significant digits in a Number");
    case ENG_NUM_OVERFLOW:
        return fail(p, "Number overflow. Attempting to store a number with magnitude larger than "
                       "supported range");
    case ENG_NUM_UNDERFLOW:
        return fail(p, "Number underflow. Attempting to store a number with magnitude smaller "
                       "than supported range");
    default:
        return syntax(p, "Invalid number");
    }
    kv_buf_t out;
    kv_buf_init(&out, 128);
    eng_num_format(&num, &out);
    eng_av_t *v = new_av(p, ENG_AV_N);
    v->u.s = kv_arena_dup(p->a, kv_buf_slice(&out));
    kv_buf_dispose(&out);
    return v;
}

static eng_av_t *literal(pq_t *p);

static eng_av_t *param(pq_t *p)
{
    p->i++;
    if (p->next_param >= p->n_params)
        return fail(p, "Number of parameters in request and statement don't match.");
    return p->params[p->next_param++];
}

static eng_av_t *set_literal(pq_t *p)
{
    p->i++; /* << */
    eng_av_t *members[PQ_MAX_LIST];
    size_t n = 0;
    if (peek(p)->k != K_RSET) {
        do {
            if (n == PQ_MAX_LIST)
                return syntax(p, "Too many members in a set");
            if (!(members[n++] = literal(p)))
                return NULL;
        } while (accept(p, K_COMMA));
    }
    if (!expect(p, K_RSET, ">>"))
        return NULL;
    if (n == 0)
        return fail(p, "One or more parameter values were invalid: An number set  may not be "
                       "empty");
    eng_av_type_t mt = members[0]->t;
    if (mt != ENG_AV_S && mt != ENG_AV_N && mt != ENG_AV_B)
        return fail(p, "Unsupported type passed in a set");
    eng_av_t *s = new_av(p, mt == ENG_AV_S ? ENG_AV_SS : mt == ENG_AV_N ? ENG_AV_NS : ENG_AV_BS);
    s->u.set = kv_arena_alloc(p->a, n * sizeof(kv_slice_t));
    for (size_t i = 0; i < n; i++) {
        if (members[i]->t != mt)
            return fail(p, "Unsupported type passed in a set: members of different types");
        s->u.set[i] = members[i]->u.s;
    }
    s->n = n;
    if (eng_set_has_dups(s))
        return fail(p, "One or more parameter values were invalid: Input collection "
                       "contains duplicates");
    return s;
}

static eng_av_t *literal(pq_t *p)
{
    if (++p->depth > PQ_MAX_DEPTH)
        return syntax(p, "The statement has too many levels of nesting");
    tok_t *t = peek(p);
    eng_av_t *v = NULL;
    if (t->k == K_STR) {
        v = new_av(p, ENG_AV_S);
        v->u.s = t->s;
        p->i++;
    } else if (t->k == K_NUM) {
        v = number(p, t->s, false);
        p->i++;
    } else if (t->k == K_MINUS && p->t[p->i + 1].k == K_NUM) {
        v = number(p, p->t[p->i + 1].s, true);
        p->i += 2;
    } else if (t->k == K_PARAM) {
        v = param(p);
    } else if (kw(t, "TRUE") || kw(t, "FALSE")) {
        v = new_av(p, ENG_AV_BOOL);
        v->u.b = kw(t, "TRUE");
        p->i++;
    } else if (kw(t, "NULL")) {
        v = new_av(p, ENG_AV_NULL);
        v->u.b = true;
        p->i++;
    } else if (t->k == K_LB) {
        p->i++;
        eng_av_t *items[PQ_MAX_LIST];
        size_t n = 0;
        if (peek(p)->k != K_RB) {
            do {
                if (n == PQ_MAX_LIST)
                    return syntax(p, "Too many members in a list");
                if (!(items[n++] = literal(p)))
                    return NULL;
            } while (accept(p, K_COMMA));
        }
        if (!expect(p, K_RB, "]"))
            return NULL;
        v = new_av(p, ENG_AV_L);
        v->n = n;
        v->u.l = kv_arena_alloc(p->a, (n ? n : 1) * sizeof(eng_av_t *));
        memcpy(v->u.l, items, n * sizeof(eng_av_t *));
    } else if (t->k == K_LC) {
        p->i++;
        eng_attr_t *m = kv_arena_alloc(p->a, PQ_MAX_LIST * sizeof(eng_attr_t));
        size_t n = 0;
        if (peek(p)->k != K_RC) {
            do {
                tok_t *k = peek(p);
                if (k->k != K_STR && k->k != K_QIDENT)
                    return syntax(p, "Expected a string key in a tuple");
                if (n == PQ_MAX_LIST)
                    return syntax(p, "Too many members in a tuple");
                p->i++;
                if (!expect(p, K_COLON, ":"))
                    return NULL;
                for (size_t j = 0; j < n; j++)
                    if (kv_slice_eq(m[j].name, k->s))
                        return fail(p, "Duplicate attribute name in a tuple: %.*s",
                                    (int)(k->s.len > 255 ? 255 : k->s.len), (const char *)k->s.p);
                m[n].name = k->s;
                if (!(m[n].v = literal(p)))
                    return NULL;
                n++;
            } while (accept(p, K_COMMA));
        }
        if (!expect(p, K_RC, "}"))
            return NULL;
        v = new_av(p, ENG_AV_M);
        v->n = n;
        v->u.m = m;
    } else if (t->k == K_LSET) {
        v = set_literal(p);
    } else {
        v = syntax(p, "Expected a value");
    }
    p->depth--;
    return v;
}

/* ---- conditions ---- */

static ddb_operand_t *new_operand(pq_t *p, ddb_operand_kind_t k)
{
    ddb_operand_t *o = kv_arena_calloc(p->a, 1, sizeof(*o));
    o->kind = k;
    return o;
}

static ddb_cond_t *new_cond(pq_t *p, ddb_cond_kind_t k)
{
    ddb_cond_t *c = kv_arena_calloc(p->a, 1, sizeof(*c));
    c->kind = k;
    return c;
}

static bool is_literal_start(const tok_t *t, const tok_t *next)
{
    return t->k == K_STR || t->k == K_NUM || t->k == K_PARAM || t->k == K_LB || t->k == K_LC ||
           t->k == K_LSET || (t->k == K_MINUS && next->k == K_NUM) || kw(t, "TRUE") ||
           kw(t, "FALSE") || kw(t, "NULL");
}

static bool func(pq_t *p, const char *fname)
{
    return kw(peek(p), fname) && p->t[p->i + 1].k == K_LP;
}

/* A value, a path, or size(path). */
static ddb_operand_t *operand(pq_t *p)
{
    tok_t *t = peek(p);
    if (is_literal_start(t, &p->t[p->i + 1])) {
        ddb_operand_t *o = new_operand(p, DDB_OP_VALUE);
        return (o->value = literal(p)) ? o : NULL;
    }
    if (func(p, "SIZE")) {
        p->i += 2;
        ddb_operand_t *o = new_operand(p, DDB_OP_SIZE);
        if (!path(p, &o->path) || !expect(p, K_RP, ")"))
            return NULL;
        return o;
    }
    ddb_operand_t *o = new_operand(p, DDB_OP_PATH);
    return path(p, &o->path) ? o : NULL;
}

static ddb_cond_t *cond_or(pq_t *p);

static ddb_cond_t *exists_of(pq_t *p, ddb_operand_t *a, bool exists)
{
    if (a->kind != DDB_OP_PATH)
        return syntax(p, "IS MISSING needs an attribute path");
    ddb_cond_t *c = new_cond(p, exists ? DDB_C_EXISTS : DDB_C_NOT_EXISTS);
    c->a = a;
    return c;
}

static ddb_cond_t *join(pq_t *p, ddb_cond_kind_t k, ddb_cond_t *l, ddb_cond_t *r)
{
    ddb_cond_t *c = new_cond(p, k);
    c->l = l;
    c->r = r;
    return c;
}

static ddb_cond_t *type_is(pq_t *p, ddb_operand_t *a, const char *type)
{
    ddb_cond_t *c = new_cond(p, DDB_C_TYPE);
    c->a = a;
    c->b = new_operand(p, DDB_OP_VALUE);
    eng_av_t *v = new_av(p, ENG_AV_S);
    v->u.s = kv_slice_str(type);
    c->b->value = v;
    return c;
}

static ddb_cond_t *predicate(pq_t *p)
{
    if (func(p, "BEGINS_WITH") || func(p, "CONTAINS")) {
        bool begins = kw(peek(p), "BEGINS_WITH");
        p->i += 2;
        ddb_cond_t *c = new_cond(p, begins ? DDB_C_BEGINS : DDB_C_CONTAINS);
        if (!(c->a = operand(p)) || !expect(p, K_COMMA, ",") || !(c->b = operand(p)) ||
            !expect(p, K_RP, ")"))
            return NULL;
        return c;
    }
    if (func(p, "ATTRIBUTE_TYPE")) {
        p->i += 2;
        ddb_cond_t *c = new_cond(p, DDB_C_TYPE);
        c->a = new_operand(p, DDB_OP_PATH);
        if (!path(p, &c->a->path) || !expect(p, K_COMMA, ",") || !(c->b = operand(p)) ||
            !expect(p, K_RP, ")"))
            return NULL;
        return c;
    }
    if (func(p, "EXISTS") || func(p, "MISSING"))
        return syntax(p, "EXISTS can only be used as a statement of a transaction");
    ddb_operand_t *a = operand(p);
    if (a == NULL)
        return NULL;
    tok_t *op = peek(p);
    if (op->k >= K_EQ && op->k <= K_GE) {
        p->i++;
        ddb_cond_t *c = new_cond(p, DDB_C_CMP);
        c->cmp = (ddb_cmp_t)(DDB_EQ + (op->k - K_EQ));
        c->a = a;
        if (kw(peek(p), "MISSING")) { /* x = MISSING, x <> MISSING */
            p->i++;
            if (c->cmp != DDB_EQ && c->cmp != DDB_NE)
                return syntax(p, "MISSING can only be compared with = or <>");
            return exists_of(p, a, c->cmp == DDB_NE);
        }
        return (c->b = operand(p)) ? c : NULL;
    }
    bool neg = false;
    if (kw(op, "NOT") && (kw(&p->t[p->i + 1], "BETWEEN") || kw(&p->t[p->i + 1], "IN"))) {
        neg = true;
        p->i++;
        op = peek(p);
    }
    ddb_cond_t *c = NULL;
    if (accept_kw(p, "BETWEEN")) {
        c = new_cond(p, DDB_C_BETWEEN);
        c->a = a;
        if (!(c->b = operand(p)) || !expect_kw(p, "AND") || !(c->c = operand(p)))
            return NULL;
    } else if (accept_kw(p, "IN")) {
        c = new_cond(p, DDB_C_IN);
        c->a = a;
        kind_t close = peek(p)->k == K_LB ? K_RB : K_RP;
        if (!accept(p, K_LB) && !expect(p, K_LP, "( or [ after IN"))
            return NULL;
        ddb_operand_t *list[DDB_EXPR_MAX_IN];
        size_t n = 0;
        do {
            if (n == DDB_EXPR_MAX_IN)
                return fail(p,
                            "The IN operator is provided with too many operands; number of "
                            "operands: %d",
                            DDB_EXPR_MAX_IN + 1);
            if (!(list[n++] = operand(p)))
                return NULL;
        } while (accept(p, K_COMMA));
        if (!expect(p, close, close == K_RB ? "]" : ")"))
            return NULL;
        c->list = kv_arena_alloc(p->a, n * sizeof(*c->list));
        memcpy(c->list, list, n * sizeof(*c->list));
        c->n_list = n;
    } else if (accept_kw(p, "IS")) {
        bool not = accept_kw(p, "NOT");
        if (accept_kw(p, "MISSING")) {
            c = exists_of(p, a, not );
        } else if (accept_kw(p, "NULL")) {
            /* NULL is the NULL type or no value at all. */
            if (a->kind != DDB_OP_PATH)
                return syntax(p, "IS NULL needs an attribute path");
            ddb_cond_t *isnull = join(p, DDB_C_OR, type_is(p, a, "NULL"), exists_of(p, a, false));
            c = not ? join(p, DDB_C_NOT, isnull, NULL) : isnull;
        } else {
            return syntax(p, "Expected MISSING or NULL after IS");
        }
        return c;
    } else {
        return syntax(p, "Expected a comparison");
    }
    return neg ? join(p, DDB_C_NOT, c, NULL) : c;
}

static ddb_cond_t *cond_not(pq_t *p)
{
    if (++p->depth > PQ_MAX_DEPTH)
        return syntax(p, "The statement has too many levels of nesting");
    ddb_cond_t *c;
    if (accept_kw(p, "NOT")) {
        ddb_cond_t *x = cond_not(p);
        c = x ? join(p, DDB_C_NOT, x, NULL) : NULL;
    } else if (peek(p)->k == K_LP) {
        /* A parenthesised condition (an operand never starts with '('). */
        p->i++;
        c = cond_or(p);
        if (c && !expect(p, K_RP, ")"))
            c = NULL;
    } else {
        c = predicate(p);
    }
    p->depth--;
    return c;
}

static ddb_cond_t *cond_and(pq_t *p)
{
    ddb_cond_t *l = cond_not(p);
    while (l && accept_kw(p, "AND")) {
        ddb_cond_t *r = cond_not(p);
        l = r ? join(p, DDB_C_AND, l, r) : NULL;
    }
    return l;
}

static ddb_cond_t *cond_or(pq_t *p)
{
    ddb_cond_t *l = cond_and(p);
    while (l && accept_kw(p, "OR")) {
        ddb_cond_t *r = cond_and(p);
        l = r ? join(p, DDB_C_OR, l, r) : NULL;
    }
    return l;
}

size_t ddb_pq_conjuncts(const ddb_cond_t *c, const ddb_cond_t **out, size_t cap)
{
    if (c == NULL || cap == 0)
        return 0;
    if (c->kind != DDB_C_AND) {
        out[0] = c;
        return 1;
    }
    size_t n = ddb_pq_conjuncts(c->l, out, cap);
    return n + ddb_pq_conjuncts(c->r, out + n, cap - n);
}

/* ---- statements ---- */

static bool table_ref(pq_t *p, ddb_pq_t *out, bool allow_index)
{
    if (!name(p, &out->table))
        return false;
    if (allow_index && accept(p, K_DOT) && !name(p, &out->index))
        return false;
    if (peek(p)->k == K_IDENT && !reserved(peek(p)))
        return syntax(p, "Aliasing is not supported"), false;
    return true;
}

static bool select_stmt(pq_t *p, ddb_pq_t *out)
{
    out->kind = DDB_PQ_SELECT;
    if (!accept(p, K_STAR)) {
        ddb_path_t paths[DDB_EXPR_MAX_OPS];
        size_t n = 0;
        do {
            if (n == DDB_EXPR_MAX_OPS)
                return syntax(p, "Too many attributes in the projection"), false;
            if (!path(p, &paths[n++]))
                return false;
        } while (accept(p, K_COMMA));
        out->proj = kv_arena_calloc(p->a, 1, sizeof(*out->proj));
        out->proj->paths = kv_arena_alloc(p->a, n * sizeof(ddb_path_t));
        memcpy(out->proj->paths, paths, n * sizeof(ddb_path_t));
        out->proj->n = n;
    }
    if (!expect_kw(p, "FROM") || !table_ref(p, out, true))
        return false;
    if (accept_kw(p, "WHERE") && !(out->where = cond_or(p)))
        return false;
    if (accept_kw(p, "ORDER")) {
        if (!expect_kw(p, "BY") || !name(p, &out->order_key))
            return false;
        out->has_order = true;
        if (accept_kw(p, "DESC"))
            out->desc = true;
        else
            accept_kw(p, "ASC");
    }
    return true;
}

static bool insert_stmt(pq_t *p, ddb_pq_t *out)
{
    out->kind = DDB_PQ_INSERT;
    if (!expect_kw(p, "INTO") || !table_ref(p, out, false) || !expect_kw(p, "VALUE"))
        return false;
    eng_av_t *v = literal(p);
    if (v == NULL)
        return false;
    if (v->t != ENG_AV_M)
        return syntax(p, "Expected a tuple in VALUE"), false;
    out->item = kv_arena_calloc(p->a, 1, sizeof(*out->item));
    out->item->attrs = v->u.m;
    out->item->n = v->n;
    return true;
}

/* The value of a SET: a value, a path, list_append/set_add/set_delete/if_not_exists, and
 * + or - between two of those. */
static ddb_operand_t *set_term(pq_t *p, ddb_action_kind_t *kind, ddb_path_t *target)
{
    if (func(p, "LIST_APPEND") || func(p, "IF_NOT_EXISTS")) {
        bool append = kw(peek(p), "LIST_APPEND");
        p->i += 2;
        ddb_operand_t *o = new_operand(p, append ? DDB_OP_LIST_APPEND : DDB_OP_IF_NOT_EXISTS);
        if (append) {
            if (!(o->a = operand(p)))
                return NULL;
        } else if (!path(p, &o->path)) {
            return NULL;
        }
        if (!expect(p, K_COMMA, ",") || !(o->b = operand(p)) || !expect(p, K_RP, ")"))
            return NULL;
        return o;
    }
    if (func(p, "SET_ADD") || func(p, "SET_DELETE")) {
        /* set_add(path, <<...>>) is DynamoDB's ADD (set_delete its DELETE) on that path. */
        bool add = kw(peek(p), "SET_ADD");
        p->i += 2;
        ddb_path_t pp;
        if (!path(p, &pp) || !expect(p, K_COMMA, ","))
            return NULL;
        ddb_operand_t *o = operand(p);
        if (o == NULL || !expect(p, K_RP, ")"))
            return NULL;
        if (kind == NULL || pp.n != target->n)
            return syntax(p, "set_add and set_delete apply to the attribute being set");
        for (size_t i = 0; i < pp.n; i++)
            if (pp.e[i].is_index != target->e[i].is_index ||
                (pp.e[i].is_index ? pp.e[i].index != target->e[i].index
                                  : !kv_slice_eq(pp.e[i].name, target->e[i].name)))
                return syntax(p, "set_add and set_delete apply to the attribute being set");
        *kind = add ? DDB_ACT_ADD : DDB_ACT_DELETE;
        return o;
    }
    return operand(p);
}

static bool update_stmt(pq_t *p, ddb_pq_t *out)
{
    out->kind = DDB_PQ_UPDATE;
    if (!table_ref(p, out, false))
        return false;
    ddb_action_t acts[DDB_EXPR_MAX_OPS];
    size_t n = 0;
    for (;;) {
        bool set = accept_kw(p, "SET");
        if (!set && !accept_kw(p, "REMOVE"))
            break;
        do {
            if (n == DDB_EXPR_MAX_OPS)
                return syntax(p, "Too many SET and REMOVE clauses"), false;
            ddb_action_t *a = &acts[n++];
            memset(a, 0, sizeof(*a));
            a->kind = set ? DDB_ACT_SET : DDB_ACT_REMOVE;
            if (!path(p, &a->path))
                return false;
            if (!set)
                continue;
            if (!expect(p, K_EQ, "="))
                return false;
            ddb_action_kind_t k = DDB_ACT_SET;
            ddb_operand_t *v = set_term(p, &k, &a->path);
            if (v == NULL)
                return false;
            if (k == DDB_ACT_SET && (peek(p)->k == K_PLUS || peek(p)->k == K_MINUS)) {
                ddb_operand_t *o =
                    new_operand(p, peek(p)->k == K_PLUS ? DDB_OP_PLUS : DDB_OP_MINUS);
                p->i++;
                o->a = v;
                if (!(o->b = set_term(p, NULL, NULL)))
                    return false;
                v = o;
            }
            a->kind = k;
            a->value = v;
        } while (accept(p, K_COMMA));
    }
    if (n == 0)
        return syntax(p, "Expected SET or REMOVE"), false;
    out->update = kv_arena_calloc(p->a, 1, sizeof(*out->update));
    out->update->acts = kv_arena_alloc(p->a, n * sizeof(ddb_action_t));
    memcpy(out->update->acts, acts, n * sizeof(ddb_action_t));
    out->update->n = n;
    if (!expect_kw(p, "WHERE") || !(out->where = cond_or(p)))
        return false;
    if (accept_kw(p, "RETURNING")) {
        bool all = accept_kw(p, "ALL");
        if (!all && !expect_kw(p, "MODIFIED"))
            return false;
        bool old = accept_kw(p, "OLD");
        if (!old && !expect_kw(p, "NEW"))
            return false;
        if (!expect(p, K_STAR, "*"))
            return false;
        out->returning = all ? (old ? DDB_PQ_RET_ALL_OLD : DDB_PQ_RET_ALL_NEW)
                             : (old ? DDB_PQ_RET_MODIFIED_OLD : DDB_PQ_RET_MODIFIED_NEW);
    }
    return true;
}

static bool delete_stmt(pq_t *p, ddb_pq_t *out)
{
    out->kind = DDB_PQ_DELETE;
    if (!expect_kw(p, "FROM") || !table_ref(p, out, false) || !expect_kw(p, "WHERE") ||
        !(out->where = cond_or(p)))
        return false;
    if (accept_kw(p, "RETURNING")) {
        if (!expect_kw(p, "ALL") || !expect_kw(p, "OLD") || !expect(p, K_STAR, "*"))
            return false;
        out->returning = DDB_PQ_RET_ALL_OLD;
    }
    return true;
}

int ddb_pq_parse(kv_arena_t *a, kv_slice_t text, eng_av_t *const *params, size_t n_params,
                 ddb_pq_t *out, const char **err)
{
    memset(out, 0, sizeof(*out));
    pq_t p = {.a = a, .params = params, .n_params = n_params};
    bool ok = lex(&p, text) == 0;
    if (ok) {
        bool exists = func(&p, "EXISTS");
        if (exists) {
            p.i += 2;
            if (!expect_kw(&p, "SELECT"))
                ok = false;
        }
        if (!ok)
            ;
        else if (exists || accept_kw(&p, "SELECT"))
            ok = select_stmt(&p, out);
        else if (accept_kw(&p, "INSERT"))
            ok = insert_stmt(&p, out);
        else if (accept_kw(&p, "UPDATE"))
            ok = update_stmt(&p, out);
        else if (accept_kw(&p, "DELETE"))
            ok = delete_stmt(&p, out);
        else
            ok = syntax(&p, "Expected data manipulation") != NULL;
        if (ok && exists) {
            out->kind = DDB_PQ_EXISTS;
            ok = expect(&p, K_RP, ")");
        }
        accept(&p, K_SEMI);
        if (ok && peek(&p)->k != K_END)
            ok = syntax(&p, "Unexpected token after expression") != NULL;
    }
    if (ok && p.next_param != n_params)
        ok = fail(&p, "Number of parameters in request and statement don't match.") != NULL;
    if (!ok) {
        *err = p.err ? p.err : PQ_ERR_PREFIX "Unexpected input";
        return -1;
    }
    return 0;
}
