/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy language's parser and compiler (pol.h): a document's JSON is checked against
 * IAM's grammar for its kind, with IAM's MalformedPolicyDocument messages, and compiled into
 * the immutable form pol_eval.c evaluates (pol_int.h). Also the process-wide cache of compiled
 * resource policies (pol_cached), policy sets, and IAM's character count.
 */
#include "authz/pol.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authz/pol_int.h"
#include "base/kv_alloc.h"
#include "base/kv_b64.h"
#include "base/kv_buf.h"
#include "base/kv_hash.h"
#include "base/kv_time.h"
#include "codec/api_json_r.h"

/* IAM's MalformedPolicyDocument messages. */
#define E_SYNTAX     "Syntax errors in policy."
#define E_LEGACY     "The policy failed legacy parsing"
#define E_NO_STMT    "Missing required field Statement"
#define E_NO_EFFECT  "Missing required field Effect"
#define E_NO_PRIN    "Missing required field Principal"
#define E_ID_PRIN    "Policy document should not specify a principal."
#define E_TRUST_RES  "Has prohibited field Resource"
#define E_NO_ACTIONS "Policy statement must contain actions."
#define E_NO_RES     "Policy statement must contain resources."
#define E_VENDOR     "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
#define E_ONE_COLON  "Actions/Condition can contain only one colon."
#define E_SID_UNIQUE "Statement IDs (SID) in a single policy must be unique."
#define E_SID_ALNUM                                                                           \
    "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular " \
    "expression [0-9A-Za-z]*"
#define E_BAD_PRIN  "Invalid principal in policy"
#define E_TRUST_ACT "AssumeRole policy may only specify STS AssumeRole actions."

/* Bounds on a document's shape (beyond POL_MAX_TEXT), so a compiled policy stays small. */
#define POL_MAX_STMTS 4096
#define POL_MAX_ITEMS 16384 /* actions, resources, principals or condition values per statement */

typedef struct pc {
    pol_t *p;
    kv_arena_t *ea; /* where messages go */
    const char *err;
} pc_t;

static bool fail(pc_t *c, const char *msg)
{
    if (!c->err)
        c->err = msg;
    return false;
}

/* A message quoting v between pre and post (at most 256 bytes of it). */
static bool failf(pc_t *c, const char *pre, kv_slice_t v, const char *post)
{
    if (!c->err && !c->ea)
        c->err = E_SYNTAX; /* no arena for the quoted message */
    if (!c->err)
        c->err = kv_arena_printf(c->ea, "%s%.*s%s", pre, (int)(v.len > 256 ? 256 : v.len),
                                 (const char *)v.p, post);
    return false;
}

static kv_slice_t dup(pc_t *c, kv_slice_t s)
{
    return kv_arena_dup(c->p->arena, s);
}

/* A string or an array of strings (Action, Resource, a principal type's value): calls
 * fn for each; false on any other shape. */
typedef bool (*str_fn)(pc_t *c, kv_slice_t s, void *arg);

static bool each_str(pc_t *c, const api_json_t *v, str_fn fn, void *arg, size_t *count)
{
    *count = 0;
    if (api_json_type(v) == API_J_STR) {
        *count = 1;
        return fn(c, api_json_str(v), arg);
    }
    if (api_json_type(v) != API_J_ARR)
        return fail(c, E_SYNTAX);
    size_t n = api_json_len(v);
    if (n > POL_MAX_ITEMS)
        return fail(c, E_SYNTAX);
    for (size_t i = 0; i < n; i++) {
        const api_json_t *e = api_json_at(v, i);
        if (api_json_type(e) != API_J_STR)
            return fail(c, E_SYNTAX);
        if (!fn(c, api_json_str(e), arg))
            return false;
        (*count)++;
    }
    return true;
}

static size_t str_count(const api_json_t *v)
{
    return api_json_type(v) == API_J_ARR ? api_json_len(v) : 1;
}

static uint8_t pat_flags(kv_slice_t s, bool vars)
{
    uint8_t f = 0;
    if (s.len == 1 && s.p[0] == '*')
        f |= POL_PAT_STAR;
    for (size_t i = 0; i < s.len; i++) {
        if (s.p[i] == '*' || s.p[i] == '?')
            f |= POL_PAT_WILD;
        else if (vars && s.p[i] == '$' && i + 1 < s.len && s.p[i + 1] == '{')
            f |= POL_PAT_VAR;
    }
    return f;
}

static void pat_init(pc_t *c, pol_pat_t *pt, kv_slice_t s, bool arn)
{
    memset(pt, 0, sizeof(*pt));
    pt->s = dup(c, s);
    pt->flags = pat_flags(s, c->p->vars);
    while (pt->lit < s.len && s.p[pt->lit] != '*' && s.p[pt->lit] != '?' &&
           !(c->p->vars && s.p[pt->lit] == '$' && pt->lit + 1 < s.len && s.p[pt->lit + 1] == '{'))
        pt->lit++;
    if (arn && !(pt->flags & POL_PAT_VAR))
        pt->nseg = (uint8_t)pol__arn_split(pt->s, pt->seg_off, pt->seg_len);
}

/* ---- Action / NotAction ---- */

typedef struct list_arg {
    pol_pat_t *v;
    uint32_t n;
} list_arg_t;

static bool add_action(pc_t *c, kv_slice_t s, void *arg)
{
    list_arg_t *l = arg;
    if (!(s.len == 1 && s.p[0] == '*')) {
        const uint8_t *colon = memchr(s.p, ':', s.len);
        if (!colon || colon == s.p)
            return fail(c, E_VENDOR);
        if (memchr(colon + 1, ':', s.len - (size_t)(colon + 1 - s.p)))
            return fail(c, E_ONE_COLON);
    }
    pat_init(c, &l->v[l->n++], s, false);
    return true;
}

static bool add_resource(pc_t *c, kv_slice_t s, void *arg)
{
    list_arg_t *l = arg;
    if (!(s.len == 1 && s.p[0] == '*') && !kv_slice_starts_with(s, "arn:") &&
        !(c->p->vars && kv_slice_starts_with(s, "${")))
        return failf(c, "Resource ", s, " must be in ARN format or \"*\".");
    pat_init(c, &l->v[l->n++], s, true);
    return true;
}

static bool parse_list(pc_t *c, const api_json_t *v, bool resource, pol_pat_t **out, uint32_t *n)
{
    size_t cnt = str_count(v);
    if (cnt > POL_MAX_ITEMS)
        return fail(c, E_SYNTAX);
    list_arg_t l = {kv_arena_calloc(c->p->arena, cnt ? cnt : 1, sizeof(pol_pat_t)), 0};
    size_t got;
    if (!each_str(c, v, resource ? add_resource : add_action, &l, &got))
        return false;
    if (got == 0)
        return fail(c, resource ? E_NO_RES : E_NO_ACTIONS);
    *out = l.v;
    *n = l.n;
    return true;
}

/* ---- Principal / NotPrincipal ---- */

typedef struct prin_arg {
    pol_prin_t *v;
    uint32_t n;
    const char *type; /* "AWS", "Service", ... for messages */
} prin_arg_t;

static bool all_digits(kv_slice_t s)
{
    if (s.len == 0)
        return false;
    for (size_t i = 0; i < s.len; i++)
        if (s.p[i] < '0' || s.p[i] > '9')
            return false;
    return true;
}

static bool bad_principal(pc_t *c, const char *type, kv_slice_t s)
{
    if (!c->err && !c->ea)
        c->err = E_BAD_PRIN;
    if (!c->err)
        c->err = kv_arena_printf(c->ea, E_BAD_PRIN ": \"%s\":\"%.*s\"", type,
                                 (int)(s.len > 256 ? 256 : s.len), (const char *)s.p);
    return false;
}

/* An AWS principal: "*", an account id, or an IAM/STS ARN of this partition. */
static bool add_aws(pc_t *c, kv_slice_t s, void *arg)
{
    prin_arg_t *l = arg;
    pol_prin_t *e = &l->v[l->n];
    if (s.len == 1 && s.p[0] == '*') {
        e->type = POL_PR_ANY;
    } else if (s.len == 12 && all_digits(s)) {
        e->type = POL_PR_ACCOUNT;
        e->v = dup(c, s);
    } else {
        uint32_t off[POL_ARN_SEGS], len[POL_ARN_SEGS];
        if (pol__arn_split(s, off, len) != POL_ARN_SEGS || memchr(s.p, '*', s.len) ||
            memchr(s.p, '?', s.len))
            return bad_principal(c, l->type, s);
        kv_slice_t svc = kv_slice(s.p + off[2], len[2]);
        kv_slice_t acct = kv_slice(s.p + off[4], len[4]);
        kv_slice_t res = kv_slice(s.p + off[5], len[5]);
        if (!kv_slice_eq_str(kv_slice(s.p, len[0]), "arn") || len[1] == 0 || len[3] != 0 ||
            acct.len != 12 || !all_digits(acct) || res.len == 0)
            return bad_principal(c, l->type, s);
        if (kv_slice_eq_str(svc, "iam") && kv_slice_eq_str(res, "root")) {
            e->type = POL_PR_ACCOUNT;
            e->v = dup(c, acct);
        } else if ((kv_slice_eq_str(svc, "iam") &&
                    (kv_slice_starts_with(res, "user/") || kv_slice_starts_with(res, "role/"))) ||
                   (kv_slice_eq_str(svc, "sts") &&
                    (kv_slice_starts_with(res, "assumed-role/") ||
                     kv_slice_starts_with(res, "federated-user/")))) {
            e->type = POL_PR_ARN;
            e->v = dup(c, s);
        } else {
            return bad_principal(c, l->type, s);
        }
    }
    l->n++;
    return true;
}

static bool add_named(pc_t *c, kv_slice_t s, void *arg)
{
    prin_arg_t *l = arg;
    if (s.len == 0)
        return bad_principal(c, l->type, s);
    pol_prin_t *e = &l->v[l->n++];
    e->type = !strcmp(l->type, "Service")     ? POL_PR_SERVICE
              : !strcmp(l->type, "Federated") ? POL_PR_FEDERATED
                                              : POL_PR_CANONICAL;
    e->v = dup(c, s);
    return true;
}

static bool parse_principal(pc_t *c, const api_json_t *v, pol_stmt_t *st)
{
    if (api_json_type(v) == API_J_STR) {
        kv_slice_t s = api_json_str(v);
        if (!(s.len == 1 && s.p[0] == '*'))
            return failf(c, E_BAD_PRIN ": \"", s, "\"");
        st->prin = kv_arena_calloc(c->p->arena, 1, sizeof(pol_prin_t));
        st->prin[0].type = POL_PR_ANY;
        st->n_prin = 1;
        return true;
    }
    if (api_json_type(v) != API_J_OBJ || api_json_len(v) == 0)
        return fail(c, E_SYNTAX);
    size_t total = 0;
    void *it = NULL;
    const char *k;
    api_json_t *e;
    while (api_json_next(v, &it, &k, &e)) {
        total += str_count(e);
        if (total > POL_MAX_ITEMS)
            return fail(c, E_SYNTAX);
    }
    prin_arg_t l = {kv_arena_calloc(c->p->arena, total ? total : 1, sizeof(pol_prin_t)), 0, NULL};
    it = NULL;
    while (api_json_next(v, &it, &k, &e)) {
        size_t got;
        if (!strcmp(k, "AWS")) {
            l.type = "AWS";
            if (!each_str(c, e, add_aws, &l, &got))
                return false;
        } else if (!strcmp(k, "Service") || !strcmp(k, "Federated") ||
                   !strcmp(k, "CanonicalUser")) {
            l.type = !strcmp(k, "Service")     ? "Service"
                     : !strcmp(k, "Federated") ? "Federated"
                                               : "CanonicalUser";
            if (!each_str(c, e, add_named, &l, &got))
                return false;
        } else {
            return failf(c, E_BAD_PRIN ": \"", kv_slice_str(k), "\"");
        }
        if (got == 0)
            return fail(c, E_SYNTAX);
    }
    st->prin = l.v;
    st->n_prin = l.n;
    return true;
}

/* ---- Condition ---- */

typedef struct op_def {
    const char *name;
    uint8_t type, rel;
    bool negated;
} op_def_t;

static const op_def_t OPS[] = {
    {"StringEquals", POL_C_STR, POL_R_EQ, false},
    {"StringNotEquals", POL_C_STR, POL_R_EQ, true},
    {"StringEqualsIgnoreCase", POL_C_STRI, POL_R_EQ, false},
    {"StringNotEqualsIgnoreCase", POL_C_STRI, POL_R_EQ, true},
    {"StringLike", POL_C_LIKE, POL_R_EQ, false},
    {"StringNotLike", POL_C_LIKE, POL_R_EQ, true},
    {"NumericEquals", POL_C_NUM, POL_R_EQ, false},
    {"NumericNotEquals", POL_C_NUM, POL_R_EQ, true},
    {"NumericLessThan", POL_C_NUM, POL_R_LT, false},
    {"NumericLessThanEquals", POL_C_NUM, POL_R_LE, false},
    {"NumericGreaterThan", POL_C_NUM, POL_R_GT, false},
    {"NumericGreaterThanEquals", POL_C_NUM, POL_R_GE, false},
    {"DateEquals", POL_C_DATE, POL_R_EQ, false},
    {"DateNotEquals", POL_C_DATE, POL_R_EQ, true},
    {"DateLessThan", POL_C_DATE, POL_R_LT, false},
    {"DateLessThanEquals", POL_C_DATE, POL_R_LE, false},
    {"DateGreaterThan", POL_C_DATE, POL_R_GT, false},
    {"DateGreaterThanEquals", POL_C_DATE, POL_R_GE, false},
    {"Bool", POL_C_BOOL, POL_R_EQ, false},
    {"BinaryEquals", POL_C_BIN, POL_R_EQ, false},
    {"IpAddress", POL_C_IP, POL_R_EQ, false},
    {"NotIpAddress", POL_C_IP, POL_R_EQ, true},
    {"ArnEquals", POL_C_ARN, POL_R_EQ, false},
    {"ArnLike", POL_C_ARN, POL_R_EQ, false},
    {"ArnNotEquals", POL_C_ARN, POL_R_EQ, true},
    {"ArnNotLike", POL_C_ARN, POL_R_EQ, true},
    {"Null", POL_C_NULL, POL_R_EQ, false},
};

/* "ForAnyValue:StringLikeIfExists" -> its definition, set operator and IfExists. */
static bool parse_op(kv_slice_t s, pol_cond_t *cd)
{
    cd->set = POL_SET_NONE;
    if (kv_slice_starts_with(s, "ForAllValues:")) {
        cd->set = POL_SET_ALL;
        s = kv_slice(s.p + 13, s.len - 13);
    } else if (kv_slice_starts_with(s, "ForAnyValue:")) {
        cd->set = POL_SET_ANY;
        s = kv_slice(s.p + 12, s.len - 12);
    }
    cd->if_exists = false;
    if (s.len > 8 && !memcmp(s.p + s.len - 8, "IfExists", 8)) {
        cd->if_exists = true;
        s.len -= 8;
    }
    for (size_t i = 0; i < sizeof(OPS) / sizeof(OPS[0]); i++) {
        if (kv_slice_eq_str(s, OPS[i].name)) {
            cd->type = OPS[i].type;
            cd->rel = OPS[i].rel;
            cd->negated = OPS[i].negated;
            /* Null takes neither IfExists nor a set operator. */
            return !(cd->type == POL_C_NULL && (cd->if_exists || cd->set != POL_SET_NONE));
        }
    }
    return false;
}

static bool b64_decode(kv_arena_t *a, kv_slice_t in, kv_slice_t *out)
{
    kv_buf_t b;
    kv_buf_init(&b, in.len + 4);
    bool ok = kv_b64_decode(&b, in) && !kv_buf_failed(&b);
    if (ok)
        *out = kv_arena_dup(a, kv_buf_slice(&b));
    kv_buf_dispose(&b);
    return ok;
}

bool pol__cval_parse(pol_cval_t *v, uint8_t type, kv_arena_t *a)
{
    kv_slice_t s = v->pat.s;
    switch (type) {
    case POL_C_NUM:
        return pol__num_parse(s, &v->num);
    case POL_C_DATE:
        return pol__date_parse(s, &v->date_ms);
    case POL_C_BOOL:
    case POL_C_NULL:
        if (kv_slice_eq_nocase(s, "true"))
            v->b = true;
        else if (kv_slice_eq_nocase(s, "false"))
            v->b = false;
        else
            return false;
        return true;
    case POL_C_IP:
        return pol__ip_parse(s, true, v->ip, &v->ip_bits);
    case POL_C_BIN:
        return a ? b64_decode(a, s, &v->bin) : false;
    default:
        return true;
    }
}

/* A condition value's text: strings as they are, numbers and booleans as JSON writes them. */
static bool cval_text(pc_t *c, const api_json_t *e, kv_slice_t *out)
{
    char tmp[64];
    int64_t i;
    double d;
    switch (api_json_type(e)) {
    case API_J_STR:
        *out = api_json_str(e);
        return true;
    case API_J_BOOL:
        *out = api_json_bool(e) ? KV_SLICE_LIT("true") : KV_SLICE_LIT("false");
        return true;
    case API_J_INT:
        api_json_int(e, &i);
        snprintf(tmp, sizeof(tmp), "%" PRId64, i);
        *out = kv_arena_dup(c->p->arena, kv_slice_str(tmp));
        return true;
    case API_J_REAL:
        api_json_num(e, &d);
        snprintf(tmp, sizeof(tmp), "%.17g", d);
        *out = kv_arena_dup(c->p->arena, kv_slice_str(tmp));
        return true;
    default:
        return fail(c, E_SYNTAX);
    }
}

static bool parse_cond_values(pc_t *c, pol_cond_t *cd, const api_json_t *v)
{
    bool arr = api_json_type(v) == API_J_ARR;
    size_t n = arr ? api_json_len(v) : 1;
    if (n == 0 || n > POL_MAX_ITEMS)
        return fail(c, E_SYNTAX);
    cd->vals = kv_arena_calloc(c->p->arena, n, sizeof(pol_cval_t));
    for (size_t i = 0; i < n; i++) {
        const api_json_t *e = arr ? api_json_at(v, i) : v;
        kv_slice_t s;
        if (!cval_text(c, e, &s))
            return false;
        pol_cval_t *cv = &cd->vals[cd->n_vals++];
        pat_init(c, &cv->pat, s, cd->type == POL_C_ARN);
        if (cv->pat.flags & POL_PAT_VAR)
            continue; /* parsed when expanded */
        if (!pol__cval_parse(cv, cd->type, c->p->arena)) {
            if (!c->err && !c->ea)
                c->err = E_SYNTAX;
            if (!c->err)
                c->err = kv_arena_printf(c->ea, "Invalid Condition value: %.*s for %.*s",
                                         (int)(s.len > 256 ? 256 : s.len), (const char *)s.p,
                                         (int)cd->op.len, (const char *)cd->op.p);
            return false;
        }
        cv->ok = true;
    }
    return true;
}

static bool check_key(pc_t *c, kv_slice_t k)
{
    const uint8_t *colon = memchr(k.p, ':', k.len);
    if (!colon || colon == k.p || colon + 1 == k.p + k.len)
        return fail(c, E_VENDOR);
    return true;
}

static bool parse_condition(pc_t *c, const api_json_t *v, pol_stmt_t *st)
{
    if (api_json_type(v) != API_J_OBJ)
        return fail(c, E_SYNTAX);
    size_t total = 0;
    void *it = NULL;
    const char *k;
    api_json_t *e;
    while (api_json_next(v, &it, &k, &e)) {
        if (api_json_type(e) != API_J_OBJ)
            return fail(c, E_SYNTAX);
        total += api_json_len(e);
        if (total > POL_MAX_ITEMS)
            return fail(c, E_SYNTAX);
    }
    st->cond = kv_arena_calloc(c->p->arena, total ? total : 1, sizeof(pol_cond_t));
    it = NULL;
    while (api_json_next(v, &it, &k, &e)) {
        kv_slice_t op = kv_slice_str(k);
        pol_cond_t proto;
        memset(&proto, 0, sizeof(proto));
        if (!parse_op(op, &proto))
            return failf(c, "Invalid Condition type : ", op, "");
        proto.op = dup(c, op);
        void *it2 = NULL;
        const char *key;
        api_json_t *vals;
        while (api_json_next(e, &it2, &key, &vals)) {
            kv_slice_t ks = kv_slice_str(key);
            if (!check_key(c, ks))
                return false;
            pol_cond_t *cd = &st->cond[st->n_cond++];
            *cd = proto;
            cd->key = dup(c, ks);
            cd->key_h = pol__key_hash(cd->key.p, cd->key.len);
            if (!parse_cond_values(c, cd, vals))
                return false;
        }
    }
    return true;
}

/* ---- Statement, document ---- */

static bool sid_alnum(kv_slice_t s)
{
    for (size_t i = 0; i < s.len; i++) {
        uint8_t ch = s.p[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z')))
            return false;
    }
    return true;
}

/* The actions a role's trust policy may name: assuming the role and what goes with it. */
static bool trust_action(kv_slice_t a)
{
    static const char *const ok[] = {"*",
                                     "sts:*",
                                     "sts:AssumeRole",
                                     "sts:AssumeRoleWithSAML",
                                     "sts:AssumeRoleWithWebIdentity",
                                     "sts:TagSession",
                                     "sts:SetSourceIdentity",
                                     "sts:SetContext"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (kv_slice_eq_nocase(a, ok[i]))
            return true;
    /* "sts:AssumeRole*" and the like */
    return a.len > 14 && kv_slice_eq_nocase(kv_slice(a.p, 14), "sts:AssumeRole") &&
           (memchr(a.p, '*', a.len) || memchr(a.p, '?', a.len));
}

static const char *const STMT_FIELDS[] = {"Sid",          "Effect",      "Principal",
                                          "NotPrincipal", "Action",      "NotAction",
                                          "Resource",     "NotResource", "Condition"};

static bool parse_stmt(pc_t *c, const api_json_t *v, pol_stmt_t *st)
{
    if (api_json_type(v) != API_J_OBJ)
        return fail(c, E_SYNTAX);
    void *it = NULL;
    const char *k;
    api_json_t *e;
    while (api_json_next(v, &it, &k, &e)) {
        bool known = false;
        for (size_t i = 0; i < sizeof(STMT_FIELDS) / sizeof(STMT_FIELDS[0]); i++)
            known = known || !strcmp(k, STMT_FIELDS[i]);
        if (!known)
            return fail(c, E_SYNTAX);
    }
    pol_kind_t kind = c->p->kind;
    const api_json_t *sid = api_json_get(v, "Sid");
    if (sid) {
        if (api_json_type(sid) != API_J_STR)
            return fail(c, E_SYNTAX);
        st->sid = dup(c, api_json_str(sid));
        if (kind == POL_IDENTITY && !sid_alnum(st->sid))
            return fail(c, E_SID_ALNUM);
    }
    const api_json_t *eff = api_json_get(v, "Effect");
    if (!eff)
        return fail(c, E_NO_EFFECT);
    if (api_json_type(eff) != API_J_STR)
        return fail(c, E_SYNTAX);
    kv_slice_t es = api_json_str(eff);
    if (kv_slice_eq_str(es, "Deny"))
        st->deny = true;
    else if (!kv_slice_eq_str(es, "Allow"))
        return failf(c, "Invalid effect: ", es, "");

    const api_json_t *pr = api_json_get(v, "Principal");
    const api_json_t *npr = api_json_get(v, "NotPrincipal");
    if (kind == POL_IDENTITY) {
        if (pr || npr)
            return fail(c, E_ID_PRIN);
    } else {
        if (!pr && !npr)
            return fail(c, E_NO_PRIN);
        if (pr && npr)
            return fail(c, E_SYNTAX);
        st->has_principal = true;
        st->not_principal = npr != NULL;
        if (!parse_principal(c, pr ? pr : npr, st))
            return false;
    }

    const api_json_t *act = api_json_get(v, "Action");
    const api_json_t *nact = api_json_get(v, "NotAction");
    if (!act && !nact)
        return fail(c, E_NO_ACTIONS);
    if (act && nact)
        return fail(c, E_SYNTAX);
    st->not_action = nact != NULL;
    if (!parse_list(c, act ? act : nact, false, &st->act, &st->n_act))
        return false;
    if (kind == POL_TRUST && !st->not_action)
        for (uint32_t i = 0; i < st->n_act; i++)
            if (!trust_action(st->act[i].s))
                return fail(c, E_TRUST_ACT);

    const api_json_t *res = api_json_get(v, "Resource");
    const api_json_t *nres = api_json_get(v, "NotResource");
    if (kind == POL_TRUST) {
        if (res || nres)
            return fail(c, E_TRUST_RES);
    } else {
        if (!res && !nres)
            return fail(c, E_NO_RES);
        if (res && nres)
            return fail(c, E_SYNTAX);
        st->has_resource = true;
        st->not_resource = nres != NULL;
        if (!parse_list(c, res ? res : nres, true, &st->res, &st->n_res))
            return false;
    }

    const api_json_t *cond = api_json_get(v, "Condition");
    if (cond && !parse_condition(c, cond, st))
        return false;
    return true;
}

/* Keys whose fixed value makes a grant to everyone non-public (S3's "The meaning of public"). */
static const char *const FIXING_KEYS[] = {
    "aws:SourceArn",    "aws:SourceVpc",      "aws:SourceVpce",
    "aws:SourceOwner",  "aws:SourceAccount",  "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "aws:userid",       "aws:PrincipalOrgID", "aws:PrincipalAccount",
    "aws:PrincipalArn", "aws:SourceOrgID",    "aws:PrincipalOrgPaths",
};

static bool cond_fixes(const pol_cond_t *cd)
{
    if (cd->negated || cd->if_exists || cd->set != POL_SET_NONE || cd->type == POL_C_NULL)
        return false;
    for (uint32_t i = 0; i < cd->n_vals; i++)
        if (cd->vals[i].pat.flags & (POL_PAT_WILD | POL_PAT_VAR))
            return false;
    if (kv_slice_eq_nocase(cd->key, "aws:SourceIp")) {
        if (cd->type != POL_C_IP)
            return false;
        for (uint32_t i = 0; i < cd->n_vals; i++) {
            /* A range that holds every address does not limit anything. */
            bool v4 = !memcmp(cd->vals[i].ip, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12);
            if (cd->vals[i].ip_bits <= (v4 ? 96 : 0))
                return false;
        }
        return true;
    }
    if (cd->type != POL_C_STR && cd->type != POL_C_STRI && cd->type != POL_C_ARN &&
        cd->type != POL_C_LIKE)
        return false;
    for (size_t i = 0; i < sizeof(FIXING_KEYS) / sizeof(FIXING_KEYS[0]); i++) {
        if (kv_slice_eq_nocase(cd->key, FIXING_KEYS[i])) {
            if (!strcmp(FIXING_KEYS[i], "aws:userid"))
                for (uint32_t j = 0; j < cd->n_vals; j++) {
                    kv_slice_t s = cd->vals[j].pat.s;
                    if (s.len >= 2 && s.p[s.len - 2] == ':' && s.p[s.len - 1] == '*')
                        return false;
                }
            return true;
        }
    }
    return false;
}

static bool stmt_public(const pol_stmt_t *st)
{
    if (st->deny || !st->has_principal)
        return false;
    bool everyone = st->not_principal; /* Allow with NotPrincipal grants to all but a few */
    for (uint32_t i = 0; !everyone && i < st->n_prin; i++)
        everyone = st->prin[i].type == POL_PR_ANY;
    if (!everyone)
        return false;
    for (uint32_t i = 0; i < st->n_cond; i++)
        if (cond_fixes(&st->cond[i]))
            return false;
    return true;
}

typedef struct sid_ref {
    uint64_t h;
    kv_slice_t sid;
} sid_ref_t;

static int sid_cmp(const void *x, const void *y)
{
    const sid_ref_t *a = x, *b = y;
    if (a->h != b->h)
        return a->h < b->h ? -1 : 1;
    return kv_slice_cmp(a->sid, b->sid);
}

static bool compile(pc_t *c, const api_json_t *root)
{
    if (api_json_type(root) != API_J_OBJ)
        return fail(c, E_SYNTAX);
    void *it = NULL;
    const char *k;
    api_json_t *e;
    while (api_json_next(root, &it, &k, &e))
        if (strcmp(k, "Version") && strcmp(k, "Id") && strcmp(k, "Statement"))
            return fail(c, E_SYNTAX);
    const api_json_t *ver = api_json_get(root, "Version");
    if (ver) {
        if (api_json_type(ver) != API_J_STR)
            return fail(c, E_LEGACY);
        kv_slice_t vs = api_json_str(ver);
        if (kv_slice_eq_str(vs, "2012-10-17"))
            c->p->vars = true;
        else if (!kv_slice_eq_str(vs, "2008-10-17"))
            return fail(c, E_LEGACY);
    }
    const api_json_t *id = api_json_get(root, "Id");
    if (id && api_json_type(id) != API_J_STR)
        return fail(c, E_SYNTAX);
    const api_json_t *sts = api_json_get(root, "Statement");
    if (!sts)
        return fail(c, E_NO_STMT);
    bool arr = api_json_type(sts) == API_J_ARR;
    size_t n = arr ? api_json_len(sts) : 1;
    if (n > POL_MAX_STMTS)
        return fail(c, E_SYNTAX);
    pol_t *p = c->p;
    p->stmt = kv_arena_calloc(p->arena, n ? n : 1, sizeof(pol_stmt_t));
    for (size_t i = 0; i < n; i++) {
        if (!parse_stmt(c, arr ? api_json_at(sts, i) : sts, &p->stmt[i]))
            return false;
        p->n_stmt++;
    }
    /* Sids are unique in IAM's documents (resource policies of other services let them
     * repeat): sorted by hash, duplicates are neighbours. */
    if (p->kind != POL_RESOURCE && n > 1) {
        sid_ref_t *h = kv_arena_calloc(p->arena, n, sizeof(sid_ref_t));
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (p->stmt[i].sid.len)
                h[m++] = (sid_ref_t){kv_xxh3(p->stmt[i].sid.p, p->stmt[i].sid.len), p->stmt[i].sid};
        qsort(h, m, sizeof(sid_ref_t), sid_cmp);
        for (size_t i = 1; i < m; i++)
            if (h[i].h == h[i - 1].h && kv_slice_eq(h[i].sid, h[i - 1].sid))
                return fail(c, E_SID_UNIQUE);
    }
    for (size_t i = 0; i < n; i++) {
        p->stmt[i].is_public = stmt_public(&p->stmt[i]);
        p->is_public = p->is_public || p->stmt[i].is_public;
    }
    return true;
}

/* Does s hold "ExistingObjectTag" (any case)? */
static bool has_obj_tag(kv_slice_t s)
{
    static const char w[] = "existingobjecttag";
    size_t n = sizeof(w) - 1;
    for (size_t i = 0; i + n <= s.len; i++) {
        size_t j = 0;
        while (j < n && (s.p[i + j] | 0x20) == (uint8_t)w[j])
            j++;
        if (j == n)
            return true;
    }
    return false;
}

/* Could the compiled document test s3:ExistingObjectTag/<k> (a condition key, or a variable
 * in a pattern or value)? Every text is looked at: a superset is harmless. */
static bool mentions_obj_tags(const pol_t *p)
{
    for (size_t i = 0; i < p->n_stmt; i++) {
        const pol_stmt_t *st = &p->stmt[i];
        for (uint32_t j = 0; j < st->n_act; j++)
            if (has_obj_tag(st->act[j].s))
                return true;
        for (uint32_t j = 0; j < st->n_res; j++)
            if (has_obj_tag(st->res[j].s))
                return true;
        for (uint32_t j = 0; j < st->n_prin; j++)
            if (has_obj_tag(st->prin[j].v))
                return true;
        for (uint32_t j = 0; j < st->n_cond; j++) {
            const pol_cond_t *cd = &st->cond[j];
            if (has_obj_tag(cd->key))
                return true;
            for (uint32_t k = 0; k < cd->n_vals; k++)
                if (has_obj_tag(cd->vals[k].pat.s))
                    return true;
        }
    }
    return false;
}

pol_t *pol_parse(kv_slice_t text, pol_kind_t kind, kv_arena_t *a, const char **err)
{
    *err = NULL;
    if (text.len > POL_MAX_TEXT) {
        *err = E_SYNTAX;
        return NULL;
    }
    kv_arena_t *ja = kv_arena_new(text.len * 2 + 4096);
    api_json_t *root;
    const char *jerr;
    if (api_json_parse(ja, text, &root, &jerr) != 0) {
        kv_arena_free(ja);
        *err = E_SYNTAX;
        return NULL;
    }
    pol_t *p = kv_calloc(1, sizeof(*p));
    p->arena = kv_arena_new(text.len + 1024);
    p->kind = kind;
    pc_t c = {p, a, NULL};
    bool ok = compile(&c, root);
    kv_arena_free(ja);
    if (!ok) {
        *err = c.err ? c.err : E_SYNTAX;
        pol_free(p);
        return NULL;
    }
    p->obj_tags = mentions_obj_tags(p);
    p->mem = sizeof(*p) + kv_arena_used(p->arena);
    return p;
}

void pol_free(pol_t *p)
{
    if (!p)
        return;
    kv_arena_free(p->arena);
    kv_free(p);
}

size_t pol_chars(kv_slice_t text, bool skip_space)
{
    size_t n = 0;
    for (size_t i = 0; i < text.len; i++) {
        uint8_t ch = text.p[i];
        if ((ch & 0xC0) == 0x80)
            continue; /* a UTF-8 continuation byte */
        if (skip_space && (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'))
            continue;
        n++;
    }
    return n;
}

/* ---- Sets ---- */

pol_set_t *pol_set_new(size_t cap)
{
    pol_set_t *s = kv_calloc(1, sizeof(*s));
    s->cap = cap;
    s->v = kv_calloc(cap ? cap : 1, sizeof(*s->v));
    return s;
}

bool pol_set_add(pol_set_t *s, const pol_t *p)
{
    if (!p || s->n >= s->cap)
        return false;
    s->v[s->n++] = p;
    return true;
}

size_t pol_set_len(const pol_set_t *s)
{
    return s ? s->n : 0;
}

void pol_set_free(pol_set_t *s)
{
    if (!s)
        return;
    kv_free(s->v);
    kv_free(s);
}

/* ---- The cache of compiled documents ---- */

typedef struct pol_centry {
    struct pol_centry *next;
    uint64_t hash;
    pol_kind_t kind;
    uint8_t *copy;   /* the text, owned */
    kv_slice_t text; /* over copy */
    pol_t *pol;
    int64_t used_ms; /* the last time pol_cached handed it out */
    size_t mem;
} pol_centry_t;

#define POL_CACHE_BUCKETS 1024

static struct {
    pthread_mutex_t lock;
    pol_centry_t *b[POL_CACHE_BUCKETS];
    size_t n, mem;
    int64_t last_trim_ms;
    size_t max_n, max_mem;
    int64_t grace_ms;
    uint64_t hits, misses, uncached;
} cache = {PTHREAD_MUTEX_INITIALIZER, {0}, 0, 0, 0, 4096, 64u << 20, POL_CACHE_GRACE_MS, 0, 0, 0};

static void entry_free(pol_centry_t *e)
{
    pol_free(e->pol);
    kv_free(e->copy);
    kv_free(e);
}

/* Frees entries not handed out for the grace period, while over the bounds (lock held). */
static size_t trim_locked(int64_t now, bool all_old)
{
    size_t freed = 0;
    for (size_t i = 0; i < POL_CACHE_BUCKETS; i++) {
        pol_centry_t **pp = &cache.b[i];
        while (*pp) {
            pol_centry_t *e = *pp;
            bool over = all_old || cache.n > cache.max_n || cache.mem > cache.max_mem;
            if (over && now - e->used_ms >= cache.grace_ms) {
                *pp = e->next;
                cache.n--;
                cache.mem -= e->mem;
                entry_free(e);
                freed++;
            } else {
                pp = &e->next;
            }
        }
    }
    cache.last_trim_ms = now;
    return freed;
}

size_t pol_cache_trim(bool all_old)
{
    pthread_mutex_lock(&cache.lock);
    size_t n = trim_locked(kv_now_ms(), all_old);
    pthread_mutex_unlock(&cache.lock);
    return n;
}

void pol_cache_limits(size_t max_entries, size_t max_bytes, int64_t grace_ms)
{
    pthread_mutex_lock(&cache.lock);
    cache.max_n = max_entries;
    cache.max_mem = max_bytes;
    cache.grace_ms = grace_ms;
    pthread_mutex_unlock(&cache.lock);
}

void pol_cache_stats(size_t *entries, size_t *bytes)
{
    pthread_mutex_lock(&cache.lock);
    *entries = cache.n;
    *bytes = cache.mem;
    pthread_mutex_unlock(&cache.lock);
}

static void free_pol_cb(void *arg)
{
    pol_free(arg);
}

const pol_t *pol_cached(kv_slice_t text, pol_kind_t kind, kv_arena_t *a, const char **err)
{
    *err = NULL;
    if (text.len > POL_MAX_TEXT) {
        *err = E_SYNTAX;
        return NULL;
    }
    uint64_t h = kv_xxh3_seed(text.p, text.len, (uint64_t)kind + 1);
    size_t bi = h % POL_CACHE_BUCKETS;
    int64_t now = kv_now_ms();
    pthread_mutex_lock(&cache.lock);
    for (pol_centry_t *e = cache.b[bi]; e; e = e->next) {
        if (e->hash == h && e->kind == kind && kv_slice_eq(e->text, text)) {
            e->used_ms = now;
            cache.hits++;
            pthread_mutex_unlock(&cache.lock);
            return e->pol;
        }
    }
    cache.misses++;
    pthread_mutex_unlock(&cache.lock);

    /* Compile outside the lock (another thread may compile the same text: the first to insert
     * wins, the other's copy is freed). */
    pol_t *p = pol_parse(text, kind, a, err);
    if (!p)
        return NULL;
    size_t mem = p->mem + text.len + sizeof(pol_centry_t);
    pthread_mutex_lock(&cache.lock);
    for (pol_centry_t *e = cache.b[bi]; e; e = e->next) {
        if (e->hash == h && e->kind == kind && kv_slice_eq(e->text, text)) {
            e->used_ms = now;
            pthread_mutex_unlock(&cache.lock);
            pol_free(p);
            return e->pol;
        }
    }
    if ((cache.n + 1 > cache.max_n || cache.mem + mem > cache.max_mem) &&
        now - cache.last_trim_ms >= 1000)
        trim_locked(now, false);
    if (a && (cache.n + 1 > cache.max_n || cache.mem + mem > cache.max_mem)) {
        /* Everything cached is in use: this one lives as long as the caller's arena. */
        cache.uncached++;
        pthread_mutex_unlock(&cache.lock);
        kv_arena_on_destroy(a, free_pol_cb, p);
        return p;
    }
    pol_centry_t *e = kv_calloc(1, sizeof(*e));
    uint8_t *copy = kv_malloc(text.len ? text.len : 1);
    if (text.len)
        memcpy(copy, text.p, text.len);
    e->hash = h;
    e->kind = kind;
    e->copy = copy;
    e->text = kv_slice(copy, text.len);
    e->pol = p;
    e->used_ms = now;
    e->mem = mem;
    e->next = cache.b[bi];
    cache.b[bi] = e;
    cache.n++;
    cache.mem += mem;
    pthread_mutex_unlock(&cache.lock);
    return p;
}

bool pol_mentions_obj_tags(const pol_t *p)
{
    return p && p->obj_tags;
}

bool pol_set_mentions_obj_tags(const pol_set_t *s)
{
    for (size_t i = 0; s && i < s->n; i++)
        if (s->v[i]->obj_tags)
            return true;
    return false;
}
