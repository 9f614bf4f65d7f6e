/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy language (api/authz/pol.c): the input is a policy document, optionally followed by
 * a NUL and a request context ("action\nresource\nprincipal\nkey=value\n..."). The document is
 * parsed as each kind; what parses is evaluated against the given context and a few fixed ones
 * (a user, a role session, anonymous, a service), and asked for its keys and publicness.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authz/pol.h"
#include "base/kv_arena.h"

#define MAX_KEYS 16

static void count_key(void *arg, kv_slice_t name)
{
    *(size_t *)arg += name.len;
}

static void eval_all(const pol_t *p, pol_ctx_t *c)
{
    pol_match_info_t info;
    unsigned by;
    (void)pol_eval(p, c);
    (void)pol_eval_info(p, c, &info);
    (void)pol_eval_by(p, c, &by);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t plen = nul ? (size_t)(nul - data) : size;
    kv_slice_t text = kv_slice(data, plen);
    kv_arena_t *a = kv_arena_new(4096);

    /* The context from the input's tail: lines of action, resource, principal, then keys. */
    pol_val_t keys[MAX_KEYS + 4];
    kv_slice_t vals[MAX_KEYS + 4];
    size_t nk = 0;
    kv_slice_t line[3] = {KV_SLICE_LIT("s3:GetObject"), KV_SLICE_LIT("arn:aws:s3:::b/k"),
                          KV_SLICE_LIT("arn:aws:iam::000000000000:user/alice")};
    if (nul) {
        const uint8_t *p = nul + 1, *end = data + size;
        size_t li = 0;
        while (p < end && nk < MAX_KEYS) {
            const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
            const uint8_t *e = nl ? nl : end;
            kv_slice_t l = kv_slice(p, (size_t)(e - p));
            if (li < 3) {
                line[li++] = l;
            } else {
                const uint8_t *eq = memchr(l.p, '=', l.len);
                if (eq) {
                    keys[nk].name = kv_arena_strndup(a, l.p, (size_t)(eq - l.p));
                    vals[nk] = kv_slice(eq + 1, l.len - (size_t)(eq + 1 - l.p));
                    keys[nk].values = &vals[nk];
                    keys[nk].n = 1;
                    nk++;
                }
            }
            p = e + 1;
        }
    }
    static const kv_slice_t fixed_v[] = {KV_SLICE_LIT("10.1.2.3"), KV_SLICE_LIT("alice"),
                                         KV_SLICE_LIT("2026-12-04T13:55:00Z"), KV_SLICE_LIT("red")};
    static const pol_val_t fixed[] = {{"aws:SourceIp", &fixed_v[0], 1},
                                      {"aws:username", &fixed_v[1], 1},
                                      {"aws:CurrentTime", &fixed_v[2], 1},
                                      {"aws:PrincipalTag/team", &fixed_v[3], 1}};
    const pol_val_t *lists[2] = {fixed, keys};
    size_t lens[2] = {sizeof(fixed) / sizeof(fixed[0]), nk};

    for (int kind = POL_IDENTITY; kind <= POL_TRUST; kind++) {
        const char *err;
        pol_t *p = pol_parse(text, (pol_kind_t)kind, a, &err);
        if (!p)
            continue;
        pol_ctx_t c = {.action = line[0],
                       .resource = line[1],
                       .principal_arn = line[2],
                       .vals = lists,
                       .n_vals = lens,
                       .n_lists = 2};
        eval_all(p, &c);
        c.principal_arn = KV_SLICE_LIT("arn:aws:sts::000000000000:assumed-role/R/s");
        c.principal_role = KV_SLICE_LIT("arn:aws:iam::000000000000:role/R");
        eval_all(p, &c);
        c.principal_arn = KV_SLICE_LIT("*");
        c.principal_role = KV_SLICE_NULL;
        c.anonymous = true;
        c.n_lists = 0;
        eval_all(p, &c);
        c.anonymous = false;
        c.principal_arn = KV_SLICE_NULL;
        c.principal_service = KV_SLICE_LIT("lambda.amazonaws.com");
        c.resource = KV_SLICE_LIT("*");
        eval_all(p, &c);
        size_t klen = 0;
        pol_keys_each(p, count_key, &klen);
        (void)pol_is_public(p);
        pol_set_t *s = pol_set_new(2);
        pol_set_add(s, p);
        pol_set_add(s, p);
        (void)pol_set_eval(s, &c);
        pol_set_free(s);
        pol_free(p);
    }
    kv_arena_free(a);
    return 0;
}
