/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Applying UpdateExpressions and ProjectionExpressions to items. Containers
 * along a document path are copied before they change (copy-on-write), so the
 * old item stays intact for ReturnValues. Every SET value is computed from the
 * item as it was before the update, as DynamoDB does.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb_expr.h"

static int err(ddb_expr_env_t *env, const char *msg)
{
    if (env->error == NULL)
        env->error = msg;
    return -1;
}

#define E_TYPE    "An operand in the update expression has an incorrect data type"
#define E_PATH    "The document path provided in the update expression is invalid for update"
#define E_MISSING "The provided expression refers to an attribute that does not exist in the item"

static eng_av_t *num_av(kv_arena_t *a, const eng_num_t *n)
{
    uint8_t mem[200];
    kv_buf_t b;
    kv_buf_init_on(&b, mem, sizeof(mem), 1024);
    eng_num_format(n, &b);
    eng_av_t *v = kv_arena_calloc(a, 1, sizeof(*v));
    v->t = ENG_AV_N;
    v->u.s = kv_arena_dup(a, kv_buf_slice(&b));
    kv_buf_dispose(&b);
    return v;
}

static int num_op(ddb_expr_env_t *env, const eng_av_t *x, const eng_av_t *y, bool sub,
                  eng_av_t **out)
{
    eng_num_t a, b, r;
    if (x->t != ENG_AV_N || y->t != ENG_AV_N)
        return err(env, E_TYPE);
    if (eng_num_parse(x->u.s, &a) != ENG_NUM_OK || eng_num_parse(y->u.s, &b) != ENG_NUM_OK)
        return err(env, E_TYPE);
    switch (eng_num_add(&a, &b, sub, &r)) {
    case ENG_NUM_OK:
        *out = num_av(env->a, &r);
        return 0;
    case ENG_NUM_PRECISION:
        return err(env, "Attempting to store more than 38 significant digits in a Number");
    case ENG_NUM_UNDERFLOW:
        return err(env, "Number underflow. Attempting to store a number with magnitude smaller "
                        "than supported range");
    default:
        return err(env, "Number overflow. Attempting to store a number with magnitude larger "
                        "than supported range");
    }
}

static int eval(ddb_expr_env_t *env, const ddb_operand_t *o, const eng_item_t *old,
                const eng_av_t **out)
{
    const eng_av_t *a, *b;
    switch (o->kind) {
    case DDB_OP_VALUE:
        *out = o->value;
        return 0;
    case DDB_OP_PATH:
        *out = ddb_path_get(old, &o->path);
        return *out ? 0 : err(env, E_MISSING);
    case DDB_OP_IF_NOT_EXISTS:
        *out = ddb_path_get(old, &o->path);
        return *out ? 0 : eval(env, o->b, old, out);
    case DDB_OP_LIST_APPEND: {
        if (eval(env, o->a, old, &a) < 0 || eval(env, o->b, old, &b) < 0)
            return -1;
        if (a->t != ENG_AV_L || b->t != ENG_AV_L)
            return err(env, E_TYPE);
        eng_av_t *l = kv_arena_calloc(env->a, 1, sizeof(*l));
        l->t = ENG_AV_L;
        l->n = a->n + b->n;
        l->u.l = kv_arena_alloc(env->a, (l->n ? l->n : 1) * sizeof(eng_av_t *));
        memcpy(l->u.l, a->u.l, a->n * sizeof(eng_av_t *));
        memcpy(l->u.l + a->n, b->u.l, b->n * sizeof(eng_av_t *));
        *out = l;
        return 0;
    }
    case DDB_OP_PLUS:
    case DDB_OP_MINUS: {
        eng_av_t *r;
        if (eval(env, o->a, old, &a) < 0 || eval(env, o->b, old, &b) < 0)
            return -1;
        if (num_op(env, a, b, o->kind == DDB_OP_MINUS, &r) < 0)
            return -1;
        *out = r;
        return 0;
    }
    default:
        return err(env, E_TYPE);
    }
}

/* Copies of containers, one level deep. */
static eng_av_t *copy_map(kv_arena_t *a, const eng_av_t *m, size_t extra)
{
    eng_av_t *c = kv_arena_calloc(a, 1, sizeof(*c));
    *c = *m;
    c->u.m = kv_arena_alloc(a, (m->n + extra + 1) * sizeof(eng_attr_t));
    memcpy(c->u.m, m->u.m, m->n * sizeof(eng_attr_t));
    return c;
}

static eng_av_t *copy_list(kv_arena_t *a, const eng_av_t *l, size_t extra)
{
    eng_av_t *c = kv_arena_calloc(a, 1, sizeof(*c));
    *c = *l;
    c->u.l = kv_arena_alloc(a, (l->n + extra + 1) * sizeof(eng_av_t *));
    memcpy(c->u.l, l->u.l, l->n * sizeof(eng_av_t *));
    return c;
}

/*
 * Set (v != NULL) or remove (v == NULL) the element at p[i..] inside container
 * cur; *out is the changed copy. Removing what is not there leaves cur as is.
 */
static int change_in(ddb_expr_env_t *env, const eng_av_t *cur, const ddb_path_t *p, size_t i,
                     const eng_av_t *v, const eng_av_t **out)
{
    const ddb_path_elem_t *e = &p->e[i];
    bool last = i + 1 == p->n;
    if (!e->is_index) {
        if (cur->t != ENG_AV_M)
            return v ? err(env, E_PATH) : (*out = cur, 0);
        size_t k = 0;
        while (k < cur->n && !kv_slice_eq(cur->u.m[k].name, e->name))
            k++;
        if (!last) {
            if (k == cur->n)
                return v ? err(env, E_PATH) : (*out = cur, 0);
            const eng_av_t *child;
            if (change_in(env, cur->u.m[k].v, p, i + 1, v, &child) < 0)
                return -1;
            eng_av_t *c = copy_map(env->a, cur, 0);
            c->u.m[k].v = (eng_av_t *)(uintptr_t)child;
            *out = c;
            return 0;
        }
        eng_av_t *c = copy_map(env->a, cur, 1);
        if (v == NULL) {
            if (k < c->n) {
                memmove(&c->u.m[k], &c->u.m[k + 1], (c->n - k - 1) * sizeof(eng_attr_t));
                c->n--;
            }
        } else if (k < c->n) {
            c->u.m[k].v = (eng_av_t *)(uintptr_t)v;
        } else {
            c->u.m[c->n].name = e->name;
            c->u.m[c->n].v = (eng_av_t *)(uintptr_t)v;
            c->n++;
        }
        *out = c;
        return 0;
    }
    if (cur->t != ENG_AV_L)
        return v ? err(env, E_PATH) : (*out = cur, 0);
    if (!last) {
        if (e->index >= cur->n)
            return v ? err(env, E_PATH) : (*out = cur, 0);
        const eng_av_t *child;
        if (change_in(env, cur->u.l[e->index], p, i + 1, v, &child) < 0)
            return -1;
        eng_av_t *c = copy_list(env->a, cur, 0);
        c->u.l[e->index] = (eng_av_t *)(uintptr_t)child;
        *out = c;
        return 0;
    }
    eng_av_t *c = copy_list(env->a, cur, 1);
    if (v == NULL) {
        if (e->index < c->n) {
            memmove(&c->u.l[e->index], &c->u.l[e->index + 1],
                    (c->n - e->index - 1) * sizeof(eng_av_t *));
            c->n--;
        }
    } else if (e->index < c->n) {
        c->u.l[e->index] = (eng_av_t *)(uintptr_t)v;
    } else {
        c->u.l[c->n++] = (eng_av_t *)(uintptr_t)v; /* past the end: append */
    }
    *out = c;
    return 0;
}

/* Set or remove a path in the (copied, growable) top-level item. */
static int change(ddb_expr_env_t *env, eng_item_t *it, size_t cap, const ddb_path_t *p,
                  const eng_av_t *v)
{
    kv_slice_t name = p->e[0].name;
    size_t k = 0;
    while (k < it->n && !kv_slice_eq(it->attrs[k].name, name))
        k++;
    if (p->n == 1) {
        if (v == NULL) {
            if (k < it->n) {
                memmove(&it->attrs[k], &it->attrs[k + 1], (it->n - k - 1) * sizeof(eng_attr_t));
                it->n--;
            }
        } else if (k < it->n) {
            it->attrs[k].v = (eng_av_t *)(uintptr_t)v;
        } else {
            if (it->n == cap)
                return err(env, E_PATH);
            it->attrs[it->n].name = name;
            it->attrs[it->n].v = (eng_av_t *)(uintptr_t)v;
            it->n++;
        }
        return 0;
    }
    if (k == it->n)
        return v ? err(env, E_PATH) : 0;
    const eng_av_t *nv;
    if (change_in(env, it->attrs[k].v, p, 1, v, &nv) < 0)
        return -1;
    it->attrs[k].v = (eng_av_t *)(uintptr_t)nv;
    return 0;
}

static bool is_set(eng_av_type_t t)
{
    return t == ENG_AV_SS || t == ENG_AV_NS || t == ENG_AV_BS;
}

/* Union (add) or difference (!add) of two sets of one type; NULL for an empty result. One set
 * is sorted and the other's members are looked up in it: O((n + m) log n). */
static eng_av_t *set_op(kv_arena_t *a, const eng_av_t *x, const eng_av_t *y, bool add)
{
    eng_av_t *r = kv_arena_calloc(a, 1, sizeof(*r));
    r->t = x->t;
    r->u.set = kv_arena_alloc(a, (x->n + y->n + 1) * sizeof(kv_slice_t));
    if (add) {
        const kv_slice_t *sx = eng_set_sorted(a, x);
        memcpy(r->u.set, x->u.set, x->n * sizeof(kv_slice_t));
        r->n = x->n;
        for (size_t i = 0; i < y->n; i++)
            if (!eng_set_find(x->t, sx, x->n, y->u.set[i]))
                r->u.set[r->n++] = y->u.set[i];
    } else {
        const kv_slice_t *sy = eng_set_sorted(a, y);
        for (size_t i = 0; i < x->n; i++)
            if (!eng_set_find(y->t, sy, y->n, x->u.set[i]))
                r->u.set[r->n++] = x->u.set[i];
    }
    return r->n ? r : NULL;
}

static int cmp_remove(const void *a, const void *b)
{
    /* Later list indexes first, so earlier removals do not shift them. */
    const ddb_action_t *x = *(ddb_action_t *const *)a, *y = *(ddb_action_t *const *)b;
    uint32_t ix = x->path.e[x->path.n - 1].is_index ? x->path.e[x->path.n - 1].index : 0;
    uint32_t iy = y->path.e[y->path.n - 1].is_index ? y->path.e[y->path.n - 1].index : 0;
    return ix < iy ? 1 : (ix > iy ? -1 : 0);
}

int ddb_update_apply(ddb_expr_env_t *env, const ddb_update_t *u, const eng_item_t *old,
                     const eng_item_t *key, eng_item_t **out)
{
    const eng_item_t *base = old ? old : key;
    size_t cap = base->n + u->n + 1;
    eng_item_t *it = kv_arena_calloc(env->a, 1, sizeof(*it));
    it->attrs = kv_arena_alloc(env->a, cap * sizeof(eng_attr_t));
    memcpy(it->attrs, base->attrs, base->n * sizeof(eng_attr_t));
    it->n = base->n;

    /* SET values come from the old item. */
    const eng_av_t **vals = kv_arena_calloc(env->a, u->n + 1, sizeof(*vals));
    for (size_t i = 0; i < u->n; i++)
        if (u->acts[i].kind == DDB_ACT_SET && eval(env, u->acts[i].value, old, &vals[i]) < 0)
            return -1;
    for (size_t i = 0; i < u->n; i++)
        if (u->acts[i].kind == DDB_ACT_SET && change(env, it, cap, &u->acts[i].path, vals[i]) < 0)
            return -1;
    const ddb_action_t **rm = kv_arena_calloc(env->a, u->n + 1, sizeof(*rm));
    size_t n_rm = 0;
    for (size_t i = 0; i < u->n; i++)
        if (u->acts[i].kind == DDB_ACT_REMOVE)
            rm[n_rm++] = &u->acts[i];
    qsort(rm, n_rm, sizeof(*rm), cmp_remove);
    for (size_t i = 0; i < n_rm; i++)
        if (change(env, it, cap, &rm[i]->path, NULL) < 0)
            return -1;
    for (size_t i = 0; i < u->n; i++) {
        const ddb_action_t *a = &u->acts[i];
        if (a->kind != DDB_ACT_ADD && a->kind != DDB_ACT_DELETE)
            continue;
        const eng_av_t *v = a->value->value;
        eng_item_t view = *it;
        const eng_av_t *cur = ddb_path_get(&view, &a->path);
        const eng_av_t *res = NULL;
        if (a->kind == DDB_ACT_ADD) {
            if (v->t != ENG_AV_N && !is_set(v->t)) {
                static char msg[160];
                snprintf(msg, sizeof(msg),
                         "Invalid UpdateExpression: Incorrect operand type for operator or "
                         "function; operator: ADD, operand type: %s",
                         v->t == ENG_AV_S ? "STRING" : (v->t == ENG_AV_M ? "MAP" : "OTHER"));
                return err(env, kv_arena_strndup(env->a, msg, strlen(msg)));
            }
            if (cur == NULL) {
                res = v;
            } else if (cur->t == ENG_AV_N && v->t == ENG_AV_N) {
                eng_av_t *r;
                if (num_op(env, cur, v, false, &r) < 0)
                    return -1;
                res = r;
            } else if (is_set(cur->t) && cur->t == v->t) {
                res = set_op(env->a, cur, v, true);
            } else {
                return err(env, E_TYPE);
            }
        } else {
            if (!is_set(v->t))
                return err(env, "Invalid UpdateExpression: Incorrect operand type for operator or "
                                "function; operator: DELETE, operand type: not a set");
            if (cur == NULL)
                continue;
            if (cur->t != v->t)
                return err(env, E_TYPE);
            res = set_op(env->a, cur, v, false); /* NULL: the set became empty, remove it */
        }
        if (change(env, it, cap, &a->path, res) < 0)
            return -1;
    }
    *out = it;
    return 0;
}

eng_item_t *ddb_project(kv_arena_t *a, const eng_item_t *item, const ddb_projection_t *p)
{
    eng_item_t *r = kv_arena_calloc(a, 1, sizeof(*r));
    r->attrs = kv_arena_alloc(a, (p->n + 1) * sizeof(eng_attr_t));
    ddb_expr_env_t env;
    memset(&env, 0, sizeof(env));
    env.a = a;
    for (size_t i = 0; item && i < p->n; i++) {
        const ddb_path_t *path = &p->paths[i];
        const eng_av_t *v = ddb_path_get(item, path);
        if (v == NULL)
            continue;
        /* Build the skeleton down to v: maps keep names, lists keep picked elements in order. */
        const eng_av_t *node = v;
        for (size_t k = path->n; k-- > 1;) {
            eng_av_t *c = kv_arena_calloc(a, 1, sizeof(*c));
            if (path->e[k].is_index) {
                c->t = ENG_AV_L;
                c->n = 1;
                c->u.l = kv_arena_alloc(a, sizeof(eng_av_t *));
                c->u.l[0] = (eng_av_t *)(uintptr_t)node;
            } else {
                c->t = ENG_AV_M;
                c->n = 1;
                c->u.m = kv_arena_alloc(a, sizeof(eng_attr_t));
                c->u.m[0].name = path->e[k].name;
                c->u.m[0].v = (eng_av_t *)(uintptr_t)node;
            }
            node = c;
        }
        /* Merge into an existing top-level attribute when paths share it. */
        eng_av_t *top = eng_item_get_attr(r, path->e[0].name);
        if (top == NULL) {
            r->attrs[r->n].name = path->e[0].name;
            r->attrs[r->n].v = (eng_av_t *)(uintptr_t)node;
            r->n++;
        } else if (top->t == ENG_AV_M && node->t == ENG_AV_M) {
            eng_av_t *m = copy_map(a, top, node->n);
            memcpy(m->u.m + m->n, node->u.m, node->n * sizeof(eng_attr_t));
            m->n += node->n;
            for (size_t k = 0; k < r->n; k++)
                if (kv_slice_eq(r->attrs[k].name, path->e[0].name))
                    r->attrs[k].v = m;
        } else if (top->t == ENG_AV_L && node->t == ENG_AV_L) {
            eng_av_t *l = copy_list(a, top, node->n);
            memcpy(l->u.l + l->n, node->u.l, node->n * sizeof(eng_av_t *));
            l->n += node->n;
            for (size_t k = 0; k < r->n; k++)
                if (kv_slice_eq(r->attrs[k].name, path->e[0].name))
                    r->attrs[k].v = l;
        }
    }
    return r;
}
