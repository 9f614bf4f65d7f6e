/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Lambda API's layers (REST JSON under /2018-10-31/layers): PublishLayerVersion (a base64
 * zip or an object in Stratus's S3), GetLayerVersion, GetLayerVersionByArn, ListLayerVersions,
 * ListLayers, DeleteLayerVersion and the layer version permissions; and a function's Layers
 * member (at most 5 existing layer versions, fitting the unzipped limit with the code).
 */
#include <stdio.h>
#include <string.h>

#include "base/kv_time.h"
#include "lambda_int.h"

#define LAYERS_MAX       5
#define LAYER_LIST_MAX   50
#define UNZIPPED_MAX     262144000ull
#define LAYER_POLICY_MAX 20480
#define LICENSE_MAX      512
#define RUNTIMES_MAX     15

static bool name_ok(kv_slice_t s)
{
    if (s.len == 0 || s.len > 64)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = s.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

bool lambda_layer_arn_parse(kv_slice_t arn, kv_slice_t *name, uint32_t *version)
{
    api_arn_t a;
    kv_slice_t rest;
    if (!api_arn_parse(arn, &a) || !kv_slice_eq_str(a.service, "lambda") ||
        !api_arn_after(&a, "layer:", &rest))
        return false;
    const uint8_t *c = memchr(rest.p, ':', rest.len);
    if (c == NULL)
        return false;
    *name = kv_slice(rest.p, (size_t)(c - rest.p));
    kv_slice_t v = kv_slice(c + 1, rest.len - (size_t)(c - rest.p) - 1);
    if (!name_ok(*name) || v.len == 0 || v.len > 9)
        return false;
    uint32_t n = 0;
    for (size_t i = 0; i < v.len; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return false;
        n = n * 10 + (uint32_t)(v.p[i] - '0');
    }
    *version = n;
    return n > 0;
}

/* A layer name in a path: a name or a layer ARN ("arn:...:layer:name"). */
static bool layer_name(kv_slice_t in, kv_slice_t *out)
{
    api_arn_t a;
    if (kv_slice_starts_with(in, "arn:")) {
        if (!api_arn_parse(in, &a) || !api_arn_name(&a, "layer:", out))
            return false;
    } else {
        *out = in;
    }
    return name_ok(*out);
}

/* Does f name the layers whose zips are ids, in order? */
static bool names_set(api_ctx_t *ctx, kv_arena_t *a, const eng_function_t *f, const uint32_t *ids,
                      size_t n)
{
    if (f->n_layers != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        kv_slice_t name;
        uint32_t ver;
        eng_layer_t *l;
        if (!lambda_layer_arn_parse(kv_slice_str(f->layers[i]), &name, &ver) ||
            eng_layer_get(ctx->eng, name, ver, a, &l) < 0 || l->code_id != ids[i])
            return false;
    }
    return true;
}

bool api_lambda_layers_used(api_ctx_t *ctx, const uint32_t *code_ids, size_t n)
{
    kv_arena_t *a = kv_arena_new(1 << 16);
    bool used = false, more = true;
    kv_slice_t after = KV_SLICE_NULL;
    /* every function's $LATEST and versions; bounded by what the catalog holds */
    while (more && !used) {
        eng_function_t *fns;
        size_t nf;
        if (eng_function_list(ctx->eng, after, 100, a, &fns, &nf, &more) < 0) {
            used = true; /* cannot tell: keep the files */
            break;
        }
        for (size_t i = 0; i < nf && !used; i++) {
            used = names_set(ctx, a, &fns[i], code_ids, n);
            uint32_t vafter = 0;
            bool vmore = true;
            while (vmore && !used) {
                eng_function_t *vs;
                size_t nv;
                if (eng_version_list(ctx->eng, kv_slice_str(fns[i].name), vafter, 100, a, &vs, &nv,
                                     &vmore) < 0) {
                    used = true; /* cannot tell */
                    break;
                }
                if (nv == 0)
                    break;
                for (size_t j = 0; j < nv && !used; j++)
                    used = names_set(ctx, a, &vs[j], code_ids, n);
                vafter = vs[nv - 1].version;
            }
        }
        if (nf)
            after = kv_slice_str(fns[nf - 1].name);
        else
            more = false;
    }
    kv_arena_free(a);
    return used;
}

static int too_big(api_resp_t *resp, uint64_t total)
{
    return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                      "Function code combined with layers exceeds the maximum allowed size of "
                      "262144000 bytes. The actual size is %llu bytes.",
                      (unsigned long long)total);
}

int lambda_apply_layers(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                        eng_function_t *f)
{
    const api_json_t *ls = api_json_get(in, "Layers");
    if (ls == NULL)
        return 0;
    if (api_json_type(ls) != API_J_ARR)
        return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM, "Layers must be a list");
    size_t n = api_json_len(ls);
    if (n > LAYERS_MAX)
        return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM, "Cannot reference more than 5 layers.");
    const char **arns = kv_arena_calloc(req->arena, n + 1, sizeof(*arns));
    /* the code unzipped (a function stored before that was kept: its zip, which is less) */
    uint64_t total = f->unzipped_size ? f->unzipped_size : f->code_size;
    for (size_t i = 0; i < n; i++) {
        const api_json_t *v = api_json_at(ls, i);
        kv_slice_t arn = api_json_type(v) == API_J_STR ? api_json_str(v) : KV_SLICE_NULL, name;
        uint32_t ver;
        if (!lambda_layer_arn_parse(arn, &name, &ver))
            return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                              "1 validation error detected: Value '[%.*s]' at 'layers' failed to "
                              "satisfy constraint: Member must satisfy constraint: [Member must "
                              "have length less than or equal to 140, Member must have length "
                              "greater than or equal to 1, Member must satisfy regular expression "
                              "pattern: arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-"
                              "Z0-9-_]+:[0-9]+]",
                              (int)(arn.len > 140 ? 140 : arn.len), (const char *)arn.p);
        for (size_t j = 0; j < i; j++)
            if (kv_slice_eq_str(arn, arns[j]))
                return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                                  "Two different versions of the same layer are not allowed to "
                                  "be referenced in the same function. %.*s",
                                  (int)arn.len, (const char *)arn.p);
        eng_layer_t *l;
        int rc = eng_layer_get(ctx->eng, name, ver, req->arena, &l);
        if (rc == KV_ENOTFOUND || (rc == 0 && l->deleted))
            return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                              "Layer version %.*s does not exist.", (int)arn.len,
                              (const char *)arn.p);
        if (rc < 0)
            return lambda_engine_fail(resp, rc);
        total += l->unzipped_size;
        arns[i] =
            api_arn_new(req->arena, "lambda", ctx->region, "layer:%s:%u", l->name, l->version);
    }
    if (total > UNZIPPED_MAX)
        return too_big(resp, total);
    f->layers = arns;
    f->n_layers = n;
    return 0;
}

int lambda_layers_fit(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const eng_function_t *f)
{
    uint64_t total = f->unzipped_size;
    for (size_t i = 0; i < f->n_layers; i++) {
        kv_slice_t name;
        uint32_t ver;
        eng_layer_t *l;
        /* a layer deleted since still counts: the function keeps it */
        if (lambda_layer_arn_parse(kv_slice_str(f->layers[i]), &name, &ver) &&
            eng_layer_get(ctx->eng, name, ver, req->arena, &l) == 0)
            total += l->unzipped_size;
    }
    return total > UNZIPPED_MAX ? too_big(resp, total) : 0;
}

/* ---- responses ---- */

static void created_date(int64_t ms, char out[40])
{
    kv_time_fmt_iso(ms, out);
    out[23] = 0;
    strcat(out, "+0000");
}

static void str_list(api_jw_t *w, const char *key, const char *const *l, size_t n)
{
    api_jw_key(w, key);
    api_jw_arr_begin(w);
    for (size_t i = 0; i < n; i++)
        api_jw_cstr(w, l[i]);
    api_jw_arr_end(w);
}

/* The members of a layer version (whole: GetLayerVersion/Publish, with Content and LayerArn). */
static void encode_layer(api_ctx_t *ctx, const eng_layer_t *l, bool whole, api_jw_t *w)
{
    char arn[300], ts[40];
    api_jw_obj_begin(w);
    if (whole) {
        api_jw_key(w, "Content");
        api_jw_obj_begin(w);
        char loc[64];
        snprintf(loc, sizeof(loc), "file://functions/%u.zip", l->code_id);
        api_jw_kstr(w, "Location", loc);
        api_jw_kstr(w, "CodeSha256", l->code_sha256);
        api_jw_ku64(w, "CodeSize", l->code_size);
        api_jw_obj_end(w);
        api_arn_write(arn, sizeof(arn), "lambda", ctx->region, "layer:%s", l->name);
        api_jw_kstr(w, "LayerArn", arn);
    }
    api_arn_write(arn, sizeof(arn), "lambda", ctx->region, "layer:%s:%u", l->name, l->version);
    api_jw_kstr(w, "LayerVersionArn", arn);
    api_jw_kstr(w, "Description", l->description ? l->description : "");
    created_date(l->created_ms, ts);
    api_jw_kstr(w, "CreatedDate", ts);
    api_jw_ku64(w, "Version", l->version);
    if (l->n_runtimes)
        str_list(w, "CompatibleRuntimes", l->runtimes, l->n_runtimes);
    if (l->license)
        api_jw_kstr(w, "LicenseInfo", l->license);
    if (l->n_archs)
        str_list(w, "CompatibleArchitectures", l->archs, l->n_archs);
    api_jw_obj_end(w);
}

/* A ListLayers entry: the layer and its latest version l (that matched the filters). */
static void encode_layer_entry(api_ctx_t *ctx, const eng_layer_t *l, api_jw_t *w)
{
    char arn[300];
    api_jw_obj_begin(w);
    api_jw_kstr(w, "LayerName", l->name);
    api_arn_write(arn, sizeof(arn), "lambda", ctx->region, "layer:%s", l->name);
    api_jw_kstr(w, "LayerArn", arn);
    api_jw_key(w, "LatestMatchingVersion");
    encode_layer(ctx, l, false, w);
    api_jw_obj_end(w);
}

static int layer_not_found(api_resp_t *resp)
{
    return api_refuse(resp, API_E_LAMBDA_NOT_FOUND, "The resource you requested does not exist.");
}

/* A list of strings member (at most max, each one of allowed when given). */
static int strings_in(api_req_t *req, api_resp_t *resp, const api_json_t *in, const char *key,
                      const char *member, size_t max, const char *const *allowed, const char ***out,
                      size_t *n)
{
    const api_json_t *v = api_json_get(in, key);
    if (v == NULL)
        return 0;
    if (api_json_type(v) != API_J_ARR || api_json_len(v) > max)
        return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                          "1 validation error detected: Value at '%s' failed to satisfy "
                          "constraint: Member must have length less than or equal to %zu",
                          member, max);
    *n = api_json_len(v);
    *out = kv_arena_calloc(req->arena, *n + 1, sizeof(**out));
    for (size_t i = 0; i < *n; i++) {
        const api_json_t *e = api_json_at(v, i);
        bool ok = api_json_type(e) == API_J_STR;
        if (ok && allowed) {
            ok = false;
            for (const char *const *a = allowed; *a && !ok; a++)
                ok = kv_slice_eq_str(api_json_str(e), *a);
        }
        if (!ok)
            return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                              "1 validation error detected: Value at '%s' failed to satisfy "
                              "constraint: Member must satisfy enum value set",
                              member);
        (*out)[i] = lambda_dup_str(req, api_json_str(e));
    }
    return 0;
}

static const char *const RUNTIMES[] = {
    "provided",   "provided.al2", "provided.al2023", "python3.9",  "python3.10", "python3.11",
    "python3.12", "python3.13",   "nodejs18.x",      "nodejs20.x", "nodejs22.x", "java21",
    "java17",     "ruby3.3",      "dotnet8",         NULL};
static const char *const ARCHS[] = {"x86_64", "arm64", NULL};

static int op_publish(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t name,
                      api_jw_t *w)
{
    const api_json_t *in = lambda_body_json(req, resp);
    if (in == NULL)
        return -1;
    eng_layer_t l;
    memset(&l, 0, sizeof(l));
    l.name = lambda_dup_str(req, name);
    const api_json_t *v;
    if (lambda_description_in(req, resp, in, &l.description) < 0)
        return -1;
    if ((v = api_json_get(in, "LicenseInfo")) && api_json_type(v) == API_J_STR) {
        if (api_json_str(v).len > LICENSE_MAX)
            return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                              "1 validation error detected: Value at 'licenseInfo' failed to "
                              "satisfy constraint: Member must have length less than or equal to "
                              "512");
        l.license = lambda_dup_str(req, api_json_str(v));
    }
    if (strings_in(req, resp, in, "CompatibleRuntimes", "compatibleRuntimes", RUNTIMES_MAX,
                   RUNTIMES, &l.runtimes, &l.n_runtimes) < 0 ||
        strings_in(req, resp, in, "CompatibleArchitectures", "compatibleArchitectures", 2, ARCHS,
                   &l.archs, &l.n_archs) < 0)
        return -1;
    const api_json_t *content = api_json_get(in, "Content");
    if (content == NULL || api_json_type(content) != API_J_OBJ)
        return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                          "1 validation error detected: Value null at 'content' failed to "
                          "satisfy constraint: Member must not be null");
    kv_slice_t zip;
    if (lambda_load_code(ctx, req, resp, content, &zip, &l.unzipped_size) < 0)
        return -1;
    l.code_size = zip.len;
    lambda_code_sha(zip, l.code_sha256);
    int rc = eng_layer_publish(ctx->eng, &l, zip);
    if (rc < 0)
        return lambda_engine_fail(resp, rc);
    resp->durable = true;
    lambda_respond_json(resp, 201);
    encode_layer(ctx, &l, true, w);
    return 0;
}

static bool compatible(const eng_layer_t *l, kv_slice_t rt, kv_slice_t arch)
{
    bool ok = rt.len == 0, aok = arch.len == 0;
    for (size_t i = 0; !ok && i < l->n_runtimes; i++)
        ok = kv_slice_eq_str(rt, l->runtimes[i]);
    for (size_t i = 0; !aok && i < l->n_archs; i++)
        aok = kv_slice_eq_str(arch, l->archs[i]);
    return ok && aok;
}

/* ListLayers (name empty: every layer, its latest matching version) or ListLayerVersions. */
static int op_list(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t name, api_jw_t *w)
{
    size_t limit = LAYER_LIST_MAX;
    if (lambda_max_items(req, resp, &limit) < 0)
        return -1;
    if (limit > LAYER_LIST_MAX)
        limit = LAYER_LIST_MAX;
    kv_slice_t rt = KV_SLICE_NULL, arch = KV_SLICE_NULL, marker = KV_SLICE_NULL;
    api_req_query(req, "CompatibleRuntime", &rt);
    api_req_query(req, "CompatibleArchitecture", &arch);
    api_req_query(req, "Marker", &marker);
    /* The marker: "name:version" of the last entry given. */
    kv_slice_t after = KV_SLICE_NULL;
    uint32_t after_v = UINT32_MAX;
    if (marker.len) {
        const uint8_t *c = memchr(marker.p, ':', marker.len);
        after = kv_slice(marker.p, c ? (size_t)(c - marker.p) : marker.len);
        if (c) {
            after_v = 0;
            for (const uint8_t *d = c + 1; d < marker.p + marker.len; d++)
                after_v = after_v * 10 + (uint32_t)(*d - '0');
        }
    }
    kv_arena_t *a = req->arena;
    lambda_respond_json(resp, 200);
    api_jw_obj_begin(w);
    api_jw_key(w, name.len ? "LayerVersions" : "Layers");
    api_jw_arr_begin(w);
    size_t given = 0;
    bool more_out = false;
    char next[200] = "";
    /* ListLayers groups the versions of each name (in ascending order) and gives the last
     * matching one; pages of 100 versions at a time, bounded. */
    const eng_layer_t *best = NULL;
    for (int page = 0; page < 100000 && !more_out; page++) {
        eng_layer_t *ls;
        size_t n;
        bool more;
        int rc = eng_layer_list(ctx->eng, name, after, after_v, 100, a, &ls, &n, &more);
        if (rc < 0)
            return lambda_engine_fail(resp, rc);
        for (size_t i = 0; i < n && !more_out; i++) {
            const eng_layer_t *l = &ls[i];
            if (name.len) {
                if (!compatible(l, rt, arch))
                    continue;
                if (given == limit) {
                    more_out = true;
                    break;
                }
                encode_layer(ctx, l, false, w);
                snprintf(next, sizeof(next), "%s:%u", l->name, l->version);
                given++;
                continue;
            }
            if (best && strcmp(best->name, l->name) != 0) {
                if (given == limit) {
                    more_out = true;
                    break;
                }
                encode_layer_entry(ctx, best, w);
                snprintf(next, sizeof(next), "%s", best->name);
                given++;
                best = NULL;
            }
            if (compatible(l, rt, arch))
                best = l;
        }
        if (n) {
            after = kv_slice_str(ls[n - 1].name);
            after_v = ls[n - 1].version;
        }
        if (!more)
            break;
    }
    if (!name.len && best && !more_out) {
        if (given == limit) {
            more_out = true;
        } else {
            encode_layer_entry(ctx, best, w);
        }
    }
    api_jw_arr_end(w);
    if (more_out && next[0])
        api_jw_kstr(w, "NextMarker", next);
    api_jw_obj_end(w);
    return 0;
}

int lambda_op_layer(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, int op, kv_slice_t raw,
                    kv_slice_t version, kv_slice_t sid, api_jw_t *w)
{
    kv_slice_t name = KV_SLICE_NULL;
    uint32_t ver = 0;
    if (op == LAMBDA_OP_get_layer_version_by_arn) {
        kv_slice_t arn;
        if (!api_req_query(req, "Arn", &arn) || !lambda_layer_arn_parse(arn, &name, &ver))
            return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                              "1 validation error detected: Value at 'arn' failed to satisfy "
                              "constraint: Member must satisfy regular expression pattern: "
                              "arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]"
                              "+:[0-9]+");
        op = LAMBDA_OP_get_layer_version;
    } else if (op != LAMBDA_OP_list_layers) {
        if (!layer_name(raw, &name))
            return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                              "1 validation error detected: Value '%.*s' at 'layerName' failed to "
                              "satisfy constraint: Member must satisfy regular expression "
                              "pattern: (arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-"
                              "zA-Z0-9-_]+)|[a-zA-Z0-9-_]+",
                              (int)(raw.len > 140 ? 140 : raw.len), (const char *)raw.p);
        if (version.len) {
            bool ok = version.len <= 9;
            for (size_t i = 0; ok && i < version.len; i++) {
                ok = version.p[i] >= '0' && version.p[i] <= '9';
                ver = ver * 10 + (uint32_t)(version.p[i] - '0');
            }
            if (!ok)
                return layer_not_found(resp);
        }
    }
    switch (op) {
    case LAMBDA_OP_publish_layer_version:
        return op_publish(ctx, req, resp, name, w);
    case LAMBDA_OP_list_layers:
    case LAMBDA_OP_list_layer_versions:
        return op_list(ctx, req, resp, op == LAMBDA_OP_list_layers ? KV_SLICE_NULL : name, w);
    case LAMBDA_OP_delete_layer_version: {
        int rc = eng_layer_delete(ctx->eng, name, ver);
        if (rc < 0 && rc != KV_ENOTFOUND) /* deleting what is gone succeeds, as on Lambda */
            return lambda_engine_fail(resp, rc);
        resp->durable = true;
        resp->status = 204;
        return 0;
    }
    default:
        break;
    }
    eng_layer_t *l;
    int rc = eng_layer_get(ctx->eng, name, ver, req->arena, &l);
    if (rc == KV_ENOTFOUND || (rc == 0 && l->deleted))
        return layer_not_found(resp);
    if (rc < 0)
        return lambda_engine_fail(resp, rc);
    char rev[40];
    snprintf(rev, sizeof(rev), "%u-%zu", l->version, l->n_statements);
    if (op == LAMBDA_OP_get_layer_version) {
        lambda_respond_json(resp, 200);
        encode_layer(ctx, l, true, w);
        return 0;
    }
    if (op == LAMBDA_OP_get_layer_version_policy) {
        if (l->n_statements == 0)
            return layer_not_found(resp);
        lambda_policy_reply(resp, l->statements, l->n_statements, rev, w);
        return 0;
    }
    kv_slice_t want = KV_SLICE_NULL;
    api_req_query(req, "RevisionId", &want);
    if (lambda_revision_check(resp, want, rev, "GetLayerVersionPolicy") < 0)
        return -1;
    const char **list = l->statements;
    size_t n = l->n_statements;
    const char *added = NULL;
    if (op == LAMBDA_OP_add_layer_version_permission) {
        const api_json_t *in = lambda_body_json(req, resp);
        if (in == NULL)
            return -1;
        char arn[300];
        api_arn_write(arn, sizeof(arn), "lambda", ctx->region, "layer:%s:%u", l->name, l->version);
        if (lambda_policy_add(req, resp, in, arn, true, &list, &n, LAYER_POLICY_MAX, &added) < 0)
            return -1;
    } else if (lambda_policy_remove(req, resp, sid, &list, &n) < 0) {
        return -1;
    }
    rc = eng_layer_set_policy(ctx->eng, name, ver, list, n);
    if (rc == KV_ENOTFOUND)
        return layer_not_found(resp);
    if (rc < 0)
        return lambda_engine_fail(resp, rc);
    resp->durable = true;
    if (op == LAMBDA_OP_remove_layer_version_permission) {
        resp->status = 204;
        return 0;
    }
    snprintf(rev, sizeof(rev), "%u-%zu", l->version, n);
    lambda_respond_json(resp, 201);
    api_jw_obj_begin(w);
    api_jw_kstr(w, "Statement", added);
    api_jw_kstr(w, "RevisionId", rev);
    api_jw_obj_end(w);
    return 0;
}
