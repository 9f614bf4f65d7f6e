/* SPDX-License-Identifier: Apache-2.0 */
/* expat glue: the only file that includes <expat.h>. */
#include "api_xml_r.h"

#include <expat.h>
#include <string.h>

#include "base/kv_alloc.h"
#include "base/kv_buf.h"
#include "base/kv_err.h"

typedef struct xstate {
    XML_Parser p;
    kv_arena_t *a;
    api_xnode_t *root;
    api_xnode_t *stack[API_XML_MAX_DEPTH];
    api_xnode_t *last_child[API_XML_MAX_DEPTH];
    kv_buf_t text[API_XML_MAX_DEPTH];
    int depth;
    size_t nodes;
    int err;
} xstate_t;

static void on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    xstate_t *s = ud;
    (void)attrs;
    if (s->depth >= API_XML_MAX_DEPTH || ++s->nodes > API_XML_MAX_NODES) {
        s->err = KV_ETOOBIG;
        XML_StopParser(s->p, XML_FALSE);
        return;
    }
    api_xnode_t *n = kv_arena_calloc(s->a, 1, sizeof(*n));
    const char *colon = strchr(name, ':'); /* drop a namespace prefix */
    n->name = kv_arena_strndup(s->a, colon ? colon + 1 : name, strlen(colon ? colon + 1 : name));
    if (s->depth == 0) {
        if (s->root) {
            s->err = KV_EINVAL;
            XML_StopParser(s->p, XML_FALSE);
            return;
        }
        s->root = n;
    } else {
        int d = s->depth - 1;
        if (s->last_child[d])
            s->last_child[d]->next = n;
        else
            s->stack[d]->child = n;
        s->last_child[d] = n;
    }
    s->stack[s->depth] = n;
    s->last_child[s->depth] = NULL;
    kv_buf_reset(&s->text[s->depth]);
    s->depth++;
}

static void on_end(void *ud, const XML_Char *name)
{
    xstate_t *s = ud;
    (void)name;
    s->depth--;
    api_xnode_t *n = s->stack[s->depth];
    n->text = kv_arena_dup(s->a, kv_buf_slice(&s->text[s->depth]));
}

static void on_text(void *ud, const XML_Char *t, int len)
{
    xstate_t *s = ud;
    if (s->depth > 0)
        kv_buf_append(&s->text[s->depth - 1], t, (size_t)len);
}

static void on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
                       int has_internal)
{
    xstate_t *s = ud;
    (void)name, (void)sysid, (void)pubid, (void)has_internal;
    s->err = KV_EINVAL;
    XML_StopParser(s->p, XML_FALSE);
}

static void *x_malloc(size_t n)
{
    return kv_malloc(n);
}
static void *x_realloc(void *p, size_t n)
{
    return kv_realloc(p, n);
}

int api_xml_parse(kv_arena_t *a, kv_slice_t text, api_xnode_t **root)
{
    static const XML_Memory_Handling_Suite mm = {x_malloc, x_realloc, kv_free};
    xstate_t s;
    memset(&s, 0, sizeof(s));
    s.a = a;
    for (int i = 0; i < API_XML_MAX_DEPTH; i++)
        kv_buf_init(&s.text[i], text.len + 1);
    s.p = XML_ParserCreate_MM("UTF-8", &mm, NULL);
    XML_SetUserData(s.p, &s);
    XML_SetElementHandler(s.p, on_start, on_end);
    XML_SetCharacterDataHandler(s.p, on_text);
    XML_SetStartDoctypeDeclHandler(s.p, on_doctype);
    if (text.len > (size_t)1 << 30)
        s.err = KV_ETOOBIG;
    else if (XML_Parse(s.p, (const char *)text.p, (int)text.len, XML_TRUE) != XML_STATUS_OK &&
             s.err == 0)
        s.err = KV_EINVAL;
    if (s.err == 0 && s.root == NULL)
        s.err = KV_EINVAL;
    XML_ParserFree(s.p);
    for (int i = 0; i < API_XML_MAX_DEPTH; i++)
        kv_buf_dispose(&s.text[i]);
    if (s.err)
        return s.err;
    *root = s.root;
    return 0;
}

api_xnode_t *api_xml_child(const api_xnode_t *n, const char *name)
{
    for (api_xnode_t *c = n ? n->child : NULL; c; c = c->next)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}
