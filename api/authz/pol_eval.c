/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Evaluating compiled policies (pol.h): action, resource and principal matching, policy
 * variables, the condition operators with AWS's rules for missing keys and multivalued keys,
 * and the value parsers they share with the compiler (numbers, dates, IP ranges). Nothing here
 * allocates: variables are expanded into small stack buffers.
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authz/pol.h"
#include "authz/pol_int.h"

#define POL_VAR_BUF 2048 /* an expanded pattern or value longer than this does not match */

static inline uint8_t lower(uint8_t ch)
{
    return (ch >= 'A' && ch <= 'Z') ? (uint8_t)(ch + 32) : ch;
}

/* '*' any run, '?' one character; with esc, '\' makes the next character literal (expanded
 * variables and ${*} escapes). Linear in practice: only the last '*' is backtracked to. */
static bool wild(const uint8_t *p, size_t pn, const uint8_t *v, size_t vn, bool nocase, bool esc)
{
    size_t pi = 0, vi = 0, star_p = SIZE_MAX, star_v = 0;
    while (vi < vn) {
        if (pi < pn) {
            uint8_t pc = p[pi];
            bool lit = false;
            size_t adv = 1;
            if (esc && pc == '\\' && pi + 1 < pn) {
                pc = p[pi + 1];
                lit = true;
                adv = 2;
            }
            if (!lit && pc == '*') {
                star_p = ++pi;
                star_v = vi;
                continue;
            }
            if ((!lit && pc == '?') || pc == v[vi] || (nocase && lower(pc) == lower(v[vi]))) {
                pi += adv;
                vi++;
                continue;
            }
        }
        if (star_p != SIZE_MAX) {
            pi = star_p;
            vi = ++star_v;
            continue;
        }
        return false;
    }
    while (pi < pn && p[pi] == '*')
        pi++;
    return pi == pn;
}

bool pol_match(kv_slice_t pattern, kv_slice_t value, bool nocase)
{
    return wild(pattern.p, pattern.len, value.p, value.len, nocase, false);
}

unsigned pol__arn_split(kv_slice_t s, uint32_t off[POL_ARN_SEGS], uint32_t len[POL_ARN_SEGS])
{
    unsigned n = 0;
    size_t start = 0;
    for (size_t i = 0; i < s.len && n < POL_ARN_SEGS - 1; i++) {
        if (s.p[i] == ':') {
            off[n] = (uint32_t)start;
            len[n] = (uint32_t)(i - start);
            n++;
            start = i + 1;
        }
    }
    off[n] = (uint32_t)start;
    len[n] = (uint32_t)(s.len - start);
    return n + 1;
}

/* An ARN pattern against an ARN, segment by segment as IAM matches them: a wildcard in the
 * first five segments stays in its segment, the last pattern segment takes the rest. */
static bool arn_match(kv_slice_t pat, const pol_pat_t *pre, kv_slice_t val, bool esc)
{
    if (pat.len == 1 && pat.p[0] == '*')
        return true;
    uint32_t po_buf[POL_ARN_SEGS], pl_buf[POL_ARN_SEGS];
    const uint32_t *po, *pl;
    unsigned pn;
    if (pre && pre->nseg) {
        po = pre->seg_off;
        pl = pre->seg_len;
        pn = pre->nseg;
    } else {
        pn = pol__arn_split(pat, po_buf, pl_buf);
        po = po_buf;
        pl = pl_buf;
    }
    uint32_t vo[POL_ARN_SEGS], vl[POL_ARN_SEGS];
    unsigned vn = pol__arn_split(val, vo, vl);
    if (vn < pn)
        return false;
    for (unsigned k = 0; k + 1 < pn; k++)
        if (!wild(pat.p + po[k], pl[k], val.p + vo[k], vl[k], false, esc))
            return false;
    unsigned k = pn - 1;
    return wild(pat.p + po[k], pl[k], val.p + vo[k], val.len - vo[k], false, esc);
}

/* ---- Request context ---- */

uint32_t pol__key_hash(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ lower(p[i])) * 16777619u;
    return h;
}

/* Is the NUL-terminated name n the len bytes of name, without regard to case? */
static bool name_eq(const char *n, const uint8_t *name, size_t len)
{
    size_t j = 0;
    while (j < len && n[j] && lower((uint8_t)n[j]) == lower(name[j]))
        j++;
    return j == len && n[j] == 0;
}

/* Hash the context's keys into its memo (the first of a name wins, as the linear lookup). */
static void memo_build(const pol_ctx_t *c, pol_memo_t *m)
{
    m->built = true;
    m->linear = false;
    m->n_parsed = 0;
    memset(m->slot, 0, sizeof(m->slot));
    size_t used = 0;
    for (size_t l = 0; l < c->n_lists; l++) {
        const pol_val_t *v = c->vals[l];
        for (size_t i = 0; i < c->n_vals[l]; i++) {
            const char *n = v[i].name;
            size_t len = strlen(n);
            uint32_t h = pol__key_hash((const uint8_t *)n, len);
            size_t k = h & (POL_MEMO_SLOTS - 1);
            bool dup = false;
            while (m->slot[k].v) {
                if (m->slot[k].h == h && name_eq(m->slot[k].v->name, (const uint8_t *)n, len)) {
                    dup = true;
                    break;
                }
                k = (k + 1) & (POL_MEMO_SLOTS - 1);
            }
            if (dup)
                continue;
            if (++used > POL_MEMO_SLOTS * 3 / 4) {
                m->linear = true;
                return;
            }
            m->slot[k].v = &v[i];
            m->slot[k].h = h;
        }
    }
}

/* The context's values of a key (h: pol__key_hash of the name), or NULL. */
static const pol_val_t *lookup_h(const pol_ctx_t *c, const uint8_t *name, size_t len, uint32_t h)
{
    pol_memo_t *m = c->memo;
    if (m) {
        if (!m->built)
            memo_build(c, m);
        if (!m->linear) {
            for (size_t k = h & (POL_MEMO_SLOTS - 1); m->slot[k].v;
                 k = (k + 1) & (POL_MEMO_SLOTS - 1))
                if (m->slot[k].h == h && name_eq(m->slot[k].v->name, name, len))
                    return m->slot[k].v;
            return NULL;
        }
    }
    for (size_t l = 0; l < c->n_lists; l++) {
        const pol_val_t *v = c->vals[l];
        for (size_t i = 0; i < c->n_vals[l]; i++)
            if (name_eq(v[i].name, name, len))
                return &v[i];
    }
    return NULL;
}

static const pol_val_t *lookup(const pol_ctx_t *c, const uint8_t *name, size_t len)
{
    return lookup_h(c, name, len, pol__key_hash(name, len));
}

static kv_slice_t trim(kv_slice_t s)
{
    while (s.len && (s.p[0] == ' ' || s.p[0] == '\t')) {
        s.p++;
        s.len--;
    }
    while (s.len && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
        s.len--;
    return s;
}

typedef struct obuf {
    char *p;
    size_t len, cap;
    bool over;
} obuf_t;

static void put(obuf_t *o, const uint8_t *p, size_t n, bool esc)
{
    for (size_t i = 0; i < n; i++) {
        bool special = esc && (p[i] == '*' || p[i] == '?' || p[i] == '\\');
        if (o->len + 1 + special > o->cap) {
            o->over = true;
            return;
        }
        if (special)
            o->p[o->len++] = '\\';
        o->p[o->len++] = (char)p[i];
    }
}

/*
 * Substitute the policy variables of s (${aws:username}, ${aws:PrincipalTag/team, 'none'},
 * the escapes ${*} ${?} ${$}) from the request context into buf. With esc the result is a
 * pattern: literal text keeps its wildcards (a '\' in it is escaped), substituted values are
 * escaped. @return false when a variable has no value and no default (the statement does not
 * match) or the result does not fit.
 */
static bool expand(const pol_ctx_t *c, kv_slice_t s, bool esc, char *buf, size_t cap,
                   kv_slice_t *out)
{
    obuf_t o = {buf, 0, cap, false};
    size_t i = 0;
    while (i < s.len) {
        if (s.p[i] == '$' && i + 1 < s.len && s.p[i + 1] == '{') {
            const uint8_t *close = memchr(s.p + i + 2, '}', s.len - i - 2);
            if (close) {
                kv_slice_t in = trim(kv_slice(s.p + i + 2, (size_t)(close - (s.p + i + 2))));
                i = (size_t)(close - s.p) + 1;
                if (in.len == 1 && (in.p[0] == '*' || in.p[0] == '?' || in.p[0] == '$')) {
                    put(&o, in.p, 1, esc);
                    continue;
                }
                kv_slice_t name = in, def = KV_SLICE_NULL;
                bool has_def = false;
                const uint8_t *comma = memchr(in.p, ',', in.len);
                if (comma) {
                    name = trim(kv_slice(in.p, (size_t)(comma - in.p)));
                    def = trim(kv_slice(comma + 1, in.len - (size_t)(comma + 1 - in.p)));
                    if (def.len < 2 || def.p[0] != '\'' || def.p[def.len - 1] != '\'')
                        return false;
                    def = kv_slice(def.p + 1, def.len - 2);
                    has_def = true;
                }
                const pol_val_t *v = lookup(c, name.p, name.len);
                if (v && v->n == 1)
                    put(&o, v->values[0].p, v->values[0].len, esc);
                else if (has_def)
                    put(&o, def.p, def.len, esc);
                else
                    return false;
                continue;
            }
        }
        /* Literal text: its wildcards stay wildcards; only a backslash needs escaping. */
        if (esc && s.p[i] == '\\')
            put(&o, s.p + i, 1, true);
        else
            put(&o, s.p + i, 1, false);
        i++;
    }
    if (o.over)
        return false;
    *out = kv_slice(buf, o.len);
    return true;
}

/* ---- Value parsers ---- */

bool pol__num_parse(kv_slice_t s, double *out)
{
    char tmp[64];
    if (s.len == 0 || s.len >= sizeof(tmp))
        return false;
    memcpy(tmp, s.p, s.len);
    tmp[s.len] = 0;
    if (!((tmp[0] >= '0' && tmp[0] <= '9') || tmp[0] == '-' || tmp[0] == '+' || tmp[0] == '.'))
        return false;
    for (size_t i = 0; i < s.len; i++)
        if (tmp[i] == 'x' || tmp[i] == 'X' || tmp[i] == 'n' || tmp[i] == 'N' || tmp[i] == 'i' ||
            tmp[i] == 'I')
            return false; /* no hex, nan or inf */
    char *end;
    double d = strtod(tmp, &end);
    if (end != tmp + s.len || !isfinite(d))
        return false;
    *out = d;
    return true;
}

static bool digits(const uint8_t *p, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return true;
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

bool pol__date_parse(kv_slice_t s, int64_t *ms)
{
    if (s.len == 0 || s.len > 40)
        return false;
    bool all = true;
    for (size_t i = 0; i < s.len; i++)
        all = all && s.p[i] >= '0' && s.p[i] <= '9';
    if (all) { /* epoch seconds */
        uint64_t v;
        if (!kv_slice_to_u64(s, &v) || v > (uint64_t)INT64_MAX / 1000)
            return false;
        *ms = (int64_t)v * 1000;
        return true;
    }
    const uint8_t *p = s.p;
    size_t n = s.len, i = 0;
    int y, mo, d, h = 0, mi = 0, sec = 0, frac_ms = 0;
    if (n < 10 || !digits(p, 4, &y) || p[4] != '-' || !digits(p + 5, 2, &mo) || p[7] != '-' ||
        !digits(p + 8, 2, &d))
        return false;
    i = 10;
    if (i < n && (p[i] == 'T' || p[i] == 't' || p[i] == ' ')) {
        i++;
        if (i + 5 > n || !digits(p + i, 2, &h) || p[i + 2] != ':' || !digits(p + i + 3, 2, &mi))
            return false;
        i += 5;
        if (i < n && p[i] == ':') {
            if (i + 3 > n || !digits(p + i + 1, 2, &sec))
                return false;
            i += 3;
            if (i < n && (p[i] == '.' || p[i] == ',')) {
                i++;
                size_t fs = i;
                int scale = 100;
                while (i < n && p[i] >= '0' && p[i] <= '9') {
                    frac_ms += (p[i] - '0') * scale;
                    scale /= 10;
                    i++;
                }
                if (i == fs)
                    return false;
            }
        }
    }
    int64_t off_min = 0;
    if (i < n) {
        if (p[i] == 'Z' || p[i] == 'z') {
            i++;
        } else if (p[i] == '+' || p[i] == '-') {
            int oh, om;
            int sign = p[i] == '-' ? -1 : 1;
            i++;
            if (i + 2 > n || !digits(p + i, 2, &oh))
                return false;
            i += 2;
            if (i < n && p[i] == ':')
                i++;
            if (i + 2 > n || !digits(p + i, 2, &om))
                return false;
            i += 2;
            off_min = sign * (oh * 60 + om);
        }
    }
    if (i != n || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 24 || mi > 59 || sec > 60)
        return false;
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    *ms = ((days * 86400 + h * 3600 + mi * 60 + sec) - off_min * 60) * 1000 + frac_ms;
    return true;
}

bool pol__ip_parse(kv_slice_t s, bool cidr, uint8_t out[16], uint8_t *bits)
{
    char tmp[64];
    if (s.len == 0 || s.len >= sizeof(tmp))
        return false;
    memcpy(tmp, s.p, s.len);
    tmp[s.len] = 0;
    int b = -1;
    char *slash = strchr(tmp, '/');
    if (slash) {
        if (!cidr || !digits((const uint8_t *)slash + 1, strlen(slash + 1), &b) ||
            strlen(slash + 1) == 0 || strlen(slash + 1) > 3)
            return false;
        *slash = 0;
    }
    memset(out, 0, 16);
    uint8_t v4[4];
    if (inet_pton(AF_INET, tmp, v4) == 1) {
        if (b > 32)
            return false;
        out[10] = out[11] = 0xff;
        memcpy(out + 12, v4, 4);
        *bits = (uint8_t)(b < 0 ? 128 : 96 + b);
        return true;
    }
    if (inet_pton(AF_INET6, tmp, out) == 1) {
        if (b > 128)
            return false;
        *bits = (uint8_t)(b < 0 ? 128 : b);
        return true;
    }
    return false;
}

static bool ip_in(const uint8_t net[16], uint8_t bits, const uint8_t ip[16])
{
    size_t full = bits / 8;
    if (memcmp(net, ip, full) != 0)
        return false;
    unsigned rest = bits % 8;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (net[full] & mask) == (ip[full] & mask);
}

/* ---- Conditions ---- */

/* A request value, parsed once for the operator's type. */
typedef struct rval {
    kv_slice_t s;
    bool ok;
    double num;
    int64_t date_ms;
    uint8_t ip[16];
} rval_t;

static void rval_parse(rval_t *r, uint8_t type, kv_slice_t s)
{
    uint8_t bits;
    r->s = s;
    switch (type) {
    case POL_C_NUM:
        r->ok = pol__num_parse(s, &r->num);
        break;
    case POL_C_DATE:
        r->ok = pol__date_parse(s, &r->date_ms);
        break;
    case POL_C_IP:
        r->ok = pol__ip_parse(s, false, r->ip, &bits);
        break;
    default:
        r->ok = true;
    }
}

/* rval_parse of the context value *s, once per memo for the types that parse. */
static void rval_get(const pol_ctx_t *c, rval_t *r, uint8_t type, const kv_slice_t *s)
{
    pol_memo_t *m = c->memo;
    if (!m || (type != POL_C_NUM && type != POL_C_DATE && type != POL_C_IP)) {
        rval_parse(r, type, *s);
        return;
    }
    for (unsigned i = 0; i < m->n_parsed; i++) {
        if (m->parsed[i].s == s && m->parsed[i].type == type) {
            r->s = *s;
            r->ok = m->parsed[i].ok;
            r->num = m->parsed[i].num;
            r->date_ms = m->parsed[i].date_ms;
            memcpy(r->ip, m->parsed[i].ip, 16);
            return;
        }
    }
    memset(r, 0, sizeof(*r));
    rval_parse(r, type, *s);
    if (m->n_parsed < POL_MEMO_PARSED) {
        unsigned i = m->n_parsed++;
        m->parsed[i].s = s;
        m->parsed[i].type = type;
        m->parsed[i].ok = r->ok;
        m->parsed[i].num = r->num;
        m->parsed[i].date_ms = r->date_ms;
        memcpy(m->parsed[i].ip, r->ip, 16);
    }
}

static bool rel_ok(uint8_t rel, double a, double b)
{
    switch (rel) {
    case POL_R_LT:
        return a < b;
    case POL_R_LE:
        return a <= b;
    case POL_R_GT:
        return a > b;
    case POL_R_GE:
        return a >= b;
    default:
        return a == b;
    }
}

/* The positive sense of one comparison: request value r against policy value v (esc: v's
 * pattern came from variable expansion). */
static bool match1(const pol_cond_t *cd, const pol_cval_t *v, bool esc, const rval_t *r)
{
    if (!r->ok)
        return false;
    switch (cd->type) {
    case POL_C_STR:
        return kv_slice_eq(r->s, v->pat.s);
    case POL_C_STRI:
        return kv_slice_eq_nocase_slice(r->s, v->pat.s);
    case POL_C_LIKE:
        return wild(v->pat.s.p, v->pat.s.len, r->s.p, r->s.len, false, esc);
    case POL_C_NUM:
        return rel_ok(cd->rel, r->num, v->num);
    case POL_C_DATE:
        return rel_ok(cd->rel, (double)r->date_ms, (double)v->date_ms);
    case POL_C_BOOL:
        return kv_slice_eq_nocase(r->s, v->b ? "true" : "false");
    case POL_C_BIN:
        return kv_slice_eq(r->s, v->bin);
    case POL_C_IP:
        return ip_in(v->ip, v->ip_bits, r->ip);
    case POL_C_ARN:
        return arn_match(v->pat.s, esc ? NULL : &v->pat, r->s, esc);
    default:
        return false;
    }
}

/* Does any policy value match r? -1: a variable has no value (the statement does not apply). */
static int any_match(const pol_ctx_t *c, const pol_cond_t *cd, const rval_t *r)
{
    for (uint32_t i = 0; i < cd->n_vals; i++) {
        const pol_cval_t *v = &cd->vals[i];
        if (v->ok) {
            if (match1(cd, v, false, r))
                return 1;
            continue;
        }
        /* A value holding a variable: expand, then parse for the operator. */
        char buf[POL_VAR_BUF];
        bool esc = cd->type == POL_C_LIKE || cd->type == POL_C_ARN;
        pol_cval_t tmp;
        memset(&tmp, 0, sizeof(tmp));
        if (!expand(c, v->pat.s, esc, buf, sizeof(buf), &tmp.pat.s))
            return -1;
        if (!pol__cval_parse(&tmp, cd->type, NULL))
            continue;
        if (match1(cd, &tmp, esc, r))
            return 1;
    }
    return 0;
}

/* One condition (an operator and a key): 1 true, 0 false, -1 a variable has no value. */
static int cond_eval(const pol_ctx_t *c, const pol_cond_t *cd)
{
    const pol_val_t *kv = lookup_h(c, cd->key.p, cd->key.len, cd->key_h);
    bool present = kv && kv->n > 0;
    if (cd->type == POL_C_NULL) {
        for (uint32_t i = 0; i < cd->n_vals; i++)
            if (cd->vals[i].ok && cd->vals[i].b == !present)
                return 1;
        return 0;
    }
    if (!present) {
        if (cd->if_exists)
            return 1;
        if (cd->set == POL_SET_ALL)
            return 1;
        if (cd->set == POL_SET_ANY)
            return 0;
        return cd->negated ? 1 : 0;
    }
    if (cd->set == POL_SET_NONE) {
        /* Any request value matching any policy value; negated: none does. */
        for (size_t j = 0; j < kv->n; j++) {
            rval_t r;
            rval_get(c, &r, cd->type, &kv->values[j]);
            int m = any_match(c, cd, &r);
            if (m < 0)
                return -1;
            if (m)
                return cd->negated ? 0 : 1;
        }
        return cd->negated ? 1 : 0;
    }
    /* ForAllValues: every request value satisfies the operator; ForAnyValue: one does. */
    for (size_t j = 0; j < kv->n; j++) {
        rval_t r;
        rval_get(c, &r, cd->type, &kv->values[j]);
        int m = any_match(c, cd, &r);
        if (m < 0)
            return -1;
        bool sat = cd->negated ? !m : m;
        if (cd->set == POL_SET_ANY && sat)
            return 1;
        if (cd->set == POL_SET_ALL && !sat)
            return 0;
    }
    return cd->set == POL_SET_ALL ? 1 : 0;
}

/* ---- Statements ---- */

static bool action_match(const pol_pat_t *pt, kv_slice_t action)
{
    if (pt->flags & POL_PAT_STAR)
        return true;
    if (!(pt->flags & POL_PAT_WILD))
        return kv_slice_eq_nocase_slice(pt->s, action);
    return wild(pt->s.p, pt->s.len, action.p, action.len, true, false);
}

/* 1 match, 0 not, -1 a variable without a value. */
static int resource_match(const pol_t *p, const pol_pat_t *pt, const pol_ctx_t *c, bool negated)
{
    if (pt->flags & POL_PAT_STAR)
        return 1;
    kv_slice_t r = c->resource;
    bool var = p->vars && (pt->flags & POL_PAT_VAR);
    /* A value that does not start with the literal prefix cannot match (for NotResource, a
     * missing variable still has to make the statement not apply: expand first). */
    if ((pt->lit > r.len || memcmp(pt->s.p, r.p, pt->lit) != 0) && !(var && negated))
        return 0;
    if (p->vars && (pt->flags & POL_PAT_VAR)) {
        char buf[POL_VAR_BUF];
        kv_slice_t s;
        if (!expand(c, pt->s, true, buf, sizeof(buf), &s))
            return -1;
        return arn_match(s, NULL, c->resource, true);
    }
    return arn_match(pt->s, pt, c->resource, false);
}

static kv_slice_t arn_account(kv_slice_t arn)
{
    uint32_t off[POL_ARN_SEGS], len[POL_ARN_SEGS];
    if (pol__arn_split(arn, off, len) != POL_ARN_SEGS)
        return KV_SLICE_NULL;
    return kv_slice(arn.p + off[4], len[4]);
}

static bool is_root_arn(kv_slice_t arn)
{
    return arn.len > 5 && !memcmp(arn.p + arn.len - 5, ":root", 5) &&
           kv_slice_starts_with(arn, "arn:aws:iam::");
}

#define BY_ANY (1u << 7) /* internal: the entry is "*" */

/* How the entry names the context's principal: POL_BY_SELF, POL_BY_ROLE, POL_BY_ACCOUNT, or 0. For
 * NotPrincipal (negative) an account names only the account's root. */
static unsigned prin_names(const pol_prin_t *e, const pol_ctx_t *c, bool negative)
{
    switch (e->type) {
    case POL_PR_ANY:
        return POL_BY_SELF | BY_ANY;
    case POL_PR_ARN:
        if (c->anonymous)
            return 0;
        if (c->principal_arn.len && kv_slice_eq(e->v, c->principal_arn))
            return POL_BY_SELF;
        if (c->principal_role.len && kv_slice_eq(e->v, c->principal_role))
            return POL_BY_ROLE;
        return 0;
    case POL_PR_ACCOUNT: {
        if (c->anonymous || c->principal_service.len || !c->principal_arn.len)
            return 0;
        if (!kv_slice_eq(arn_account(c->principal_arn), e->v))
            return 0;
        if (is_root_arn(c->principal_arn))
            return POL_BY_SELF;
        return negative ? 0 : POL_BY_ACCOUNT;
    }
    case POL_PR_SERVICE:
        return c->principal_service.len && kv_slice_eq_nocase_slice(e->v, c->principal_service)
                   ? POL_BY_SELF
                   : 0;
    default:
        return 0;
    }
}

/* Does the statement apply? *by: how it names the principal. -1 never: a missing variable is
 * a non-match. */
static bool stmt_applies(const pol_t *p, const pol_stmt_t *st, const pol_ctx_t *c, unsigned *by)
{
    bool hit = false;
    for (uint32_t i = 0; i < st->n_act && !hit; i++)
        hit = action_match(&st->act[i], c->action);
    if (hit == st->not_action)
        return false;
    if (st->has_resource) {
        hit = false;
        for (uint32_t i = 0; i < st->n_res && !hit; i++) {
            int m = resource_match(p, &st->res[i], c, st->not_resource);
            if (m < 0)
                return false;
            hit = m > 0;
        }
        if (hit == st->not_resource)
            return false;
    }
    *by = POL_BY_SELF;
    if (st->has_principal) {
        unsigned named = 0;
        for (uint32_t i = 0; i < st->n_prin; i++)
            named |= prin_names(&st->prin[i], c, st->not_principal);
        if (st->not_principal) {
            /* Excluded: "*", the user (or root) itself, or a role session listed both by its
             * session ARN and its role's ARN, as AWS asks NotPrincipal to list them. */
            bool session = c->principal_role.len > 0;
            if ((named & BY_ANY) || ((named & POL_BY_SELF) && (!session || (named & POL_BY_ROLE))))
                return false;
        } else {
            if (!named)
                return false;
            *by = (named & POL_BY_SELF)   ? POL_BY_SELF
                  : (named & POL_BY_ROLE) ? POL_BY_ROLE
                                          : POL_BY_ACCOUNT;
        }
    }
    for (uint32_t i = 0; i < st->n_cond; i++)
        if (cond_eval(c, &st->cond[i]) != 1)
            return false;
    return true;
}

static pol_effect_t eval(const pol_t *p, const pol_ctx_t *c, unsigned *by_out,
                         pol_match_info_t *info)
{
    bool allow = false;
    unsigned by_all = 0;
    int first_allow = -1;
    for (size_t i = 0; i < p->n_stmt; i++) {
        const pol_stmt_t *st = &p->stmt[i];
        unsigned by = 0;
        if (!stmt_applies(p, st, c, &by))
            continue;
        if (st->deny) {
            if (info) {
                info->effect = POL_DENY;
                info->statement = (int)i;
                info->sid = st->sid;
            }
            if (by_out)
                *by_out = 0;
            return POL_DENY;
        }
        if (!allow)
            first_allow = (int)i;
        allow = true;
        by_all |= by | (st->is_public ? POL_BY_PUBLIC : 0);
    }
    if (by_out)
        *by_out = allow ? by_all : 0;
    if (info) {
        info->effect = allow ? POL_ALLOW : POL_NONE;
        info->statement = first_allow;
        info->sid = first_allow >= 0 ? p->stmt[first_allow].sid : KV_SLICE_NULL;
    }
    return allow ? POL_ALLOW : POL_NONE;
}

/* eval with a memo: the context's own, or one for this call. */
static pol_effect_t eval_m(const pol_t *p, const pol_ctx_t *c, unsigned *by_out,
                           pol_match_info_t *info)
{
    if (c->memo)
        return eval(p, c, by_out, info);
    pol_memo_t m;
    m.built = false;
    pol_ctx_t c2 = *c;
    c2.memo = &m;
    return eval(p, &c2, by_out, info);
}

pol_effect_t pol_eval(const pol_t *p, const pol_ctx_t *c)
{
    return p ? eval_m(p, c, NULL, NULL) : POL_NONE;
}

pol_effect_t pol_eval_by(const pol_t *p, const pol_ctx_t *c, unsigned *by)
{
    *by = 0;
    return p ? eval_m(p, c, by, NULL) : POL_NONE;
}

pol_effect_t pol_eval_info(const pol_t *p, const pol_ctx_t *c, pol_match_info_t *info)
{
    info->effect = POL_NONE;
    info->statement = -1;
    info->sid = KV_SLICE_NULL;
    return p ? eval_m(p, c, NULL, info) : POL_NONE;
}

pol_effect_t pol_set_eval(const pol_set_t *s, const pol_ctx_t *c)
{
    pol_memo_t m;
    pol_ctx_t c2;
    if (!c->memo) {
        m.built = false;
        c2 = *c;
        c2.memo = &m;
        c = &c2;
    }
    bool allow = false;
    for (size_t i = 0; s && i < s->n; i++) {
        pol_effect_t e = eval(s->v[i], c, NULL, NULL);
        if (e == POL_DENY)
            return POL_DENY;
        allow = allow || e == POL_ALLOW;
    }
    return allow ? POL_ALLOW : POL_NONE;
}

void pol_keys_each(const pol_t *p, void (*take)(void *arg, kv_slice_t name), void *arg)
{
    for (size_t i = 0; i < p->n_stmt; i++) {
        const pol_stmt_t *st = &p->stmt[i];
        for (uint32_t j = 0; j < st->n_cond; j++) {
            kv_slice_t k = st->cond[j].key;
            bool seen = false;
            for (size_t i2 = 0; i2 <= i && !seen; i2++) {
                const pol_stmt_t *s2 = &p->stmt[i2];
                uint32_t lim = i2 == i ? j : s2->n_cond;
                for (uint32_t j2 = 0; j2 < lim && !seen; j2++)
                    seen = kv_slice_eq_nocase_slice(s2->cond[j2].key, k);
            }
            if (!seen)
                take(arg, k);
        }
    }
}

bool pol_is_public(const pol_t *p)
{
    return p && p->is_public;
}

pol_kind_t pol_kind(const pol_t *p)
{
    return p->kind;
}
