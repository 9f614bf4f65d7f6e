/* SPDX-License-Identifier: Apache-2.0 */
/* The one builder of a function invocation (see lambda_inv.h). */
#include "lambda_inv.h"

#include <stdio.h>
#include <string.h>

#include "api_arn.h"
#include "api_int.h"
#include "base/kv_hash.h"
#include "lambda_int.h"

#define INV_RESULT_MAX (6u << 20) /* a synchronous response's limit */
#define INV_LOG_TAIL   4096       /* LogType Tail: the last 4 KB */

static const char *adup(kv_arena_t *a, const char *s)
{
    return s ? kv_arena_strndup(a, s, strlen(s)) : "";
}

void lambda_inv_fill(api_ctx_t *ctx, const eng_function_t *f, kv_slice_t payload,
                     const char *request_id, kv_arena_t *a, api_invocation_t *inv)
{
    memset(inv, 0, sizeof(*inv));
    char code[4400], rid[37];
    eng_function_code_path(ctx->eng, f->code_id, code, sizeof(code));
    if (request_id)
        snprintf(rid, sizeof(rid), "%s", request_id);
    else
        kv_uuid4(rid);
    inv->function = adup(a, f->name);
    inv->arn = api_arn_new(a, "lambda", ctx->region, "function:%s", f->name);
    inv->code_id = f->code_id;
    inv->config = adup(a, f->revision);
    inv->code_path = adup(a, code);
    inv->runtime = adup(a, f->runtime);
    inv->handler = adup(a, f->handler);
    inv->role = adup(a, f->role);
    inv->timeout_s = f->timeout_s;
    inv->memory_mb = f->memory_mb;
    inv->ephemeral_mb = f->ephemeral_mb ? f->ephemeral_mb : 512; /* Lambda's default */
    const char **env = kv_arena_calloc(a, f->n_env + 1, sizeof(*env));
    for (size_t i = 0; i < f->n_env; i++) {
        size_t kl = strlen(f->env[i].key), vl = strlen(f->env[i].value);
        char *kv = kv_arena_alloc(a, kl + vl + 2);
        memcpy(kv, f->env[i].key, kl);
        kv[kl] = '=';
        memcpy(kv + kl + 1, f->env[i].value, vl + 1);
        env[i] = kv;
    }
    inv->env = env;
    inv->n_env = f->n_env;
    inv->concurrency = f->reserved >= 0 ? f->reserved : 10;
    inv->request_id = adup(a, rid);
    inv->payload = kv_arena_dup(a, payload);
    char ver[16];
    snprintf(ver, sizeof(ver), "%u", f->version);
    inv->version = adup(a, f->version ? ver : "$LATEST");
    inv->invoked_arn = inv->arn;
    if (f->n_layers) {
        const char **paths = kv_arena_calloc(a, f->n_layers, sizeof(*paths));
        uint32_t *ids = kv_arena_calloc(a, f->n_layers, sizeof(*ids));
        size_t n = 0;
        for (size_t i = 0; i < f->n_layers; i++) {
            kv_slice_t ln;
            uint32_t lv;
            eng_layer_t *l;
            /* a layer deleted since is kept for the functions naming it (deleted set) */
            if (!lambda_layer_arn_parse(kv_slice_str(f->layers[i]), &ln, &lv) ||
                eng_layer_get(ctx->eng, ln, lv, a, &l) < 0)
                continue;
            char path[4400];
            eng_function_code_path(ctx->eng, l->code_id, path, sizeof(path));
            paths[n] = adup(a, path);
            ids[n++] = l->code_id;
        }
        inv->layer_paths = paths;
        inv->layer_ids = ids;
        inv->n_layers = n;
    }
    char group[600];
    lambda_fn_log_group(f, group, sizeof(group));
    inv->log_group = adup(a, group);
    inv->log_json = f->log_format && strcmp(f->log_format, "JSON") == 0;
    inv->app_log_level = inv->log_json ? adup(a, f->app_log_level ? f->app_log_level : "INFO") : "";
    inv->sys_log_level = inv->log_json ? adup(a, f->sys_log_level ? f->sys_log_level : "INFO") : "";
    kv_buf_init(&inv->result, INV_RESULT_MAX);
    kv_buf_init(&inv->log, INV_LOG_TAIL);
}
