/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Lambda API's function management (REST JSON under /2015-03-31 and friends):
 * CreateFunction, GetFunction, GetFunctionConfiguration, ListFunctions, UpdateFunctionCode,
 * UpdateFunctionConfiguration, DeleteFunction, and reserved concurrency. Code arrives as a
 * base64 zip or from Stratus's own S3, is checked with libarchive and kept by the engine.
 */
#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "../codec/api_json_r.h"
#include "../codec/api_jw.h"
#include "../ddb/ddb_int.h"
#include "../s3/s3_int.h"
#include "base/kv_alloc.h"
#include "base/kv_b64.h"
#include "base/kv_hash.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "lambda_int.h"

#define FN_NAME_MAX     64
#define ZIP_MAX         (50u << 20)  /* a direct upload's zip */
#define UNZIPPED_MAX    262144000ull /* the code once unzipped */
#define DESC_MAX        256
#define ENV_MAX_BYTES   4096
#define LIST_DEFAULT    50
#define LIST_MAX        10000
#define TIMEOUT_MAX     900
#define MEMORY_MIN      128
#define MEMORY_MAX      10240
#define CONCURRENCY_MAX 1000 /* the account's (default) limit */

static const char *const RUNTIMES[] = {
    "provided",   "provided.al2", "provided.al2023", "python3.9",  "python3.10", "python3.11",
    "python3.12", "python3.13",   "nodejs18.x",      "nodejs20.x", "nodejs22.x",
};

/* ---- routing ---- */

/* The operation of a request and the function name in its path (URL-decoded). */
static int route(api_req_t *req, kv_slice_t *name)
{
    kv_slice_t p = req->path, m = req->method;
    static const char esm[] = "/2015-03-31/event-source-mappings";
    if (kv_slice_starts_with(p, esm)) {
        kv_slice_t rest = kv_slice(p.p + sizeof(esm) - 1, p.len - (sizeof(esm) - 1));
        if (rest.len && rest.p[0] == '/') {
            rest.p++;
            rest.len--;
        }
        *name = rest;
        if (rest.len == 0)
            return kv_slice_eq_str(m, "POST")  ? LAMBDA_OP_create_event_source_mapping
                   : kv_slice_eq_str(m, "GET") ? LAMBDA_OP_list_event_source_mappings
                                               : API_OP_NONE;
        return kv_slice_eq_str(m, "GET")      ? LAMBDA_OP_get_event_source_mapping
               : kv_slice_eq_str(m, "PUT")    ? LAMBDA_OP_update_event_source_mapping
               : kv_slice_eq_str(m, "DELETE") ? LAMBDA_OP_delete_event_source_mapping
                                              : API_OP_NONE;
    }
    static const char *const dates[] = {"/2015-03-31/functions", "/2017-10-31/functions",
                                        "/2019-09-30/functions", "/2019-09-25/functions"};
    int date = -1;
    for (int i = 0; i < 4; i++)
        if (kv_slice_starts_with(p, dates[i]))
            date = i;
    if (date < 0)
        return API_OP_NONE;
    p = kv_slice(p.p + strlen(dates[date]), p.len - strlen(dates[date]));
    if (p.len && p.p[0] == '/') {
        p.p++;
        p.len--;
    }
    if (p.len == 0)
        return date == 0 && kv_slice_eq_str(m, "POST")  ? LAMBDA_OP_create_function
               : date == 0 && kv_slice_eq_str(m, "GET") ? LAMBDA_OP_list_functions
                                                        : API_OP_NONE;
    const uint8_t *slash = memchr(p.p, '/', p.len);
    kv_slice_t raw = kv_slice(p.p, slash ? (size_t)(slash - p.p) : p.len);
    kv_slice_t rest = slash ? kv_slice(slash, p.len - (size_t)(slash - p.p)) : KV_SLICE_NULL;
    if (!api_form_decode(req->arena, raw, name))
        *name = raw;
    if (rest.len == 0)
        return date != 0                      ? API_OP_NONE
               : kv_slice_eq_str(m, "GET")    ? LAMBDA_OP_get_function
               : kv_slice_eq_str(m, "DELETE") ? LAMBDA_OP_delete_function
                                              : API_OP_NONE;
    if (kv_slice_eq_str(rest, "/configuration") && date == 0)
        return kv_slice_eq_str(m, "GET")   ? LAMBDA_OP_get_function_configuration
               : kv_slice_eq_str(m, "PUT") ? LAMBDA_OP_update_function_configuration
                                           : API_OP_NONE;
    if (kv_slice_eq_str(rest, "/code") && date == 0 && kv_slice_eq_str(m, "PUT"))
        return LAMBDA_OP_update_function_code;
    if (kv_slice_eq_str(rest, "/invocations") && date == 0 && kv_slice_eq_str(m, "POST"))
        return LAMBDA_OP_invoke;
    if (kv_slice_eq_str(rest, "/event-invoke-config") && date == 3)
        return kv_slice_eq_str(m, "PUT")      ? LAMBDA_OP_put_function_event_invoke_config
               : kv_slice_eq_str(m, "POST")   ? LAMBDA_OP_update_function_event_invoke_config
               : kv_slice_eq_str(m, "GET")    ? LAMBDA_OP_get_function_event_invoke_config
               : kv_slice_eq_str(m, "DELETE") ? LAMBDA_OP_delete_function_event_invoke_config
                                              : API_OP_NONE;
    if (kv_slice_eq_str(rest, "/event-invoke-config/list") && date == 3 &&
        kv_slice_eq_str(m, "GET"))
        return LAMBDA_OP_list_function_event_invoke_configs;
    if (kv_slice_eq_str(rest, "/concurrency")) {
        if (date == 1 && kv_slice_eq_str(m, "PUT"))
            return LAMBDA_OP_put_function_concurrency;
        if (date == 1 && kv_slice_eq_str(m, "DELETE"))
            return LAMBDA_OP_delete_function_concurrency;
        if (date == 2 && kv_slice_eq_str(m, "GET"))
            return LAMBDA_OP_get_function_concurrency;
    }
    return API_OP_NONE;
}

int lambda_route(api_ctx_t *ctx, api_req_t *req)
{
    (void)ctx;
    kv_slice_t name;
    return route(req, &name);
}

uint64_t lambda_body_limit(const api_req_t *req)
{
    int op = req->_st->op;
    /* A base64 zip of up to 50 MB travels inside the JSON; a synchronous payload is 6 MB. */
    return op == LAMBDA_OP_create_function || op == LAMBDA_OP_update_function_code ? 69905067u
           : op == LAMBDA_OP_invoke                                                ? 6291456u
                                                                                   : 6u << 20;
}

/* ---- names and ARNs ---- */

static void fn_arn(api_ctx_t *ctx, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "arn:aws:lambda:%s:" API_ACCOUNT_ID ":function:%s", ctx->region, name);
}

static bool name_ok(kv_slice_t n)
{
    if (n.len == 0 || n.len > FN_NAME_MAX)
        return false;
    for (size_t i = 0; i < n.len; i++) {
        uint8_t c = n.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

/* A name, a partial ARN ("123456789012:function:name") or an ARN: the bare name. Qualifiers
 * other than $LATEST name versions this server does not publish. */
static int resolve_name(api_resp_t *resp, kv_slice_t in, kv_slice_t *out)
{
    kv_slice_t n = in;
    static const char marker[] = "function:";
    const uint8_t *f = in.len ? memmem(in.p, in.len, marker, sizeof(marker) - 1) : NULL;
    if (f) {
        n = kv_slice(f + sizeof(marker) - 1, in.len - (size_t)(f - in.p) - (sizeof(marker) - 1));
        const uint8_t *q = memchr(n.p, ':', n.len);
        if (q) {
            kv_slice_t qual = kv_slice(q + 1, n.len - (size_t)(q - n.p) - 1);
            n.len = (size_t)(q - n.p);
            if (!kv_slice_eq_str(qual, "$LATEST"))
                return api_refuse(resp, API_E_LAMBDA_NOT_FOUND, "Function not found: %.*s",
                                  (int)(in.len > 200 ? 200 : in.len), (const char *)in.p);
        }
    }
    if (!name_ok(n))
        return api_refuse(
            resp, API_E_LAMBDA_VALIDATION,
            "1 validation error detected: Value '%.*s' at 'functionName' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: "
            "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?"
            "(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?",
            (int)(in.len > 200 ? 200 : in.len), (const char *)in.p);
    *out = n;
    return 0;
}

static int not_found(api_ctx_t *ctx, api_resp_t *resp, kv_slice_t name)
{
    char arn[256], nm[80];
    snprintf(nm, sizeof(nm), "%.*s", (int)(name.len > 64 ? 64 : name.len), (const char *)name.p);
    fn_arn(ctx, nm, arn, sizeof(arn));
    return api_refuse(resp, API_E_LAMBDA_NOT_FOUND, "Function not found: %s", arn);
}

static int engine_fail(api_resp_t *resp, int rc)
{
    if (rc == KV_ENOSPACE)
        return api_refuse(resp, API_E_LAMBDA_TOO_MANY,
                          "The server's disk is nearly full: writes are refused until space is "
                          "freed.");
    KV_LOG_ERROR("lambda: engine error %s", kv_err_name(rc));
    return api_refuse(resp, API_E_LAMBDA_SERVICE, "An internal error occurred");
}

/* ---- code ---- */

/* The depth a relative path reaches from a directory depth deep; -1 if it climbs above the
 * top (or, without dotdot, if it has a ".." at all). */
static int path_depth(const char *p, int depth, bool dotdot)
{
    while (*p) {
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (!dotdot || --depth < 0)
                return -1;
        } else if (n && !(n == 1 && p[0] == '.')) {
            depth++;
        }
        p += n + (end != NULL);
    }
    return depth;
}

/* Can the entry be unpacked into a code directory: a regular file, a directory or a symbolic
 * link that stays inside, under a relative name without ".."? (Device nodes, FIFOs, sockets,
 * hard links, absolute names and escaping links are not.) CreateFunction refuses zips with
 * others; the runner checks each entry again as it unpacks (the zip on disk may be older). */
bool api_zip_entry_ok(struct archive_entry *e)
{
    const char *name = archive_entry_pathname(e);
    if (name == NULL || name[0] == 0 || name[0] == '/' || archive_entry_hardlink(e))
        return false;
    int depth = path_depth(name, 0, false);
    if (depth < 0 || (depth == 0 && archive_entry_filetype(e) != AE_IFDIR))
        return false; /* "./" may name the top directory itself */
    switch (archive_entry_filetype(e)) {
    case AE_IFREG:
    case AE_IFDIR:
        return true;
    case AE_IFLNK: {
        const char *to = archive_entry_symlink(e);
        return to && to[0] && to[0] != '/' && path_depth(to, depth - 1, true) >= 0;
    }
    default:
        return false;
    }
}

/* Check that the zip opens, its entries are all safe to unpack and its files fit the
 * unzipped limit. */
static int check_zip(api_resp_t *resp, kv_slice_t zip)
{
    struct archive *ar = archive_read_new();
    archive_read_support_format_zip(ar);
    int rc = archive_read_open_memory(ar, zip.p, zip.len) == ARCHIVE_OK ? 0 : -1;
    uint64_t total = 0;
    size_t files = 0;
    struct archive_entry *ent;
    while (rc == 0) {
        int r = archive_read_next_header(ar, &ent);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            rc = -1;
            break;
        }
        if (!api_zip_entry_ok(ent)) {
            rc = -1;
            break;
        }
        files++;
        int64_t sz = archive_entry_size(ent);
        total += sz > 0 ? (uint64_t)sz : 0;
        if (total > UNZIPPED_MAX) {
            archive_read_free(ar);
            return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                              "Unzipped size must be smaller than %llu bytes", UNZIPPED_MAX);
        }
    }
    archive_read_free(ar);
    if (rc < 0 || files == 0)
        return api_refuse(
            resp, API_E_LAMBDA_INVALID_PARAM,
            "Could not unzip uploaded file. Please check your file, then try to upload "
            "again.");
    return 0;
}

/* The Code object (or UpdateFunctionCode's body): a base64 ZipFile, or an object in
 * Stratus's S3. *zip is in the request's arena. */
static int load_code(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *code,
                     kv_slice_t *zip)
{
    const api_json_t *zf = api_json_get(code, "ZipFile");
    const api_json_t *sb = api_json_get(code, "S3Bucket");
    const api_json_t *sk = api_json_get(code, "S3Key");
    if (api_json_get(code, "ImageUri"))
        return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                          "Container images are not supported by this server; use a zip package");
    if (zf && api_json_type(zf) == API_J_STR) {
        kv_buf_t raw;
        kv_buf_init(&raw, ZIP_MAX + 16);
        if (!kv_b64_decode(&raw, api_json_str(zf))) {
            kv_buf_dispose(&raw);
            return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                              "Could not unzip uploaded file. Please check your file, then try to "
                              "upload again.");
        }
        *zip = kv_arena_dup(req->arena, kv_buf_slice(&raw));
        kv_buf_dispose(&raw);
    } else if (sb && sk && api_json_type(sb) == API_J_STR && api_json_type(sk) == API_J_STR) {
        kv_slice_t bucket = api_json_str(sb), key = api_json_str(sk);
        eng_bucket_t *b;
        eng_object_t *meta;
        eng_object_reader_t *rd;
        eng_vref_t ref = {0};
        if (eng_bucket_get(ctx->eng, bucket, req->arena, &b) < 0 ||
            eng_object_open(ctx->eng, b->id, key, &ref, req->arena, &meta, &rd) < 0)
            return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                              "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error "
                              "Message: The specified key does not exist.");
        if (meta->size > ZIP_MAX * 5) {
            eng_object_close(rd);
            return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM, "Code is too large");
        }
        uint8_t *buf = kv_arena_alloc(req->arena, meta->size ? meta->size : 1);
        uint64_t off = 0;
        while (off < meta->size) {
            int64_t n = eng_object_read(rd, off, buf + off, (size_t)(meta->size - off));
            if (n <= 0)
                break;
            off += (uint64_t)n;
        }
        eng_object_close(rd);
        if (off != meta->size)
            return engine_fail(resp, KV_EIO);
        *zip = kv_slice(buf, meta->size);
    } else {
        return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                          "Please provide a source for function code: ZipFile, or S3Bucket and "
                          "S3Key");
    }
    return check_zip(resp, *zip);
}

static void code_sha(kv_slice_t zip, char out[48])
{
    uint8_t md[32];
    unsigned n = 0;
    EVP_Digest(zip.p, zip.len, md, &n, EVP_sha256(), NULL);
    kv_buf_t b;
    kv_buf_init_on(&b, out, 48, 48);
    kv_b64_encode(&b, md, 32);
    out[b.len < 47 ? b.len : 47] = 0;
}

static void new_revision(char out[40])
{
    uint8_t r[16];
    kv_random(r, sizeof(r));
    snprintf(out, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0],
             r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13],
             r[14], r[15]);
}

/* ---- configuration members ---- */

static const char *dup_str(api_req_t *req, kv_slice_t s)
{
    return kv_arena_strndup(req->arena, s.p, s.len);
}

/* The members CreateFunction and UpdateFunctionConfiguration share, applied to f. */
static int apply_config(api_req_t *req, api_resp_t *resp, const api_json_t *in, eng_function_t *f)
{
    const api_json_t *v;
    if ((v = api_json_get(in, "Runtime")) && api_json_type(v) == API_J_STR) {
        kv_slice_t rt = api_json_str(v);
        bool known = false;
        for (size_t i = 0; i < sizeof(RUNTIMES) / sizeof(RUNTIMES[0]); i++)
            known |= kv_slice_eq_str(rt, RUNTIMES[i]);
        if (!known)
            return api_refuse(
                resp, API_E_LAMBDA_INVALID_PARAM,
                "Value %.*s at 'runtime' is not a runtime this server runs: provided, "
                "provided.al2, provided.al2023, python3.9 to python3.13, nodejs18.x, "
                "nodejs20.x, nodejs22.x",
                (int)(rt.len > 64 ? 64 : rt.len), (const char *)rt.p);
        f->runtime = dup_str(req, rt);
    }
    if ((v = api_json_get(in, "Role")) && api_json_type(v) == API_J_STR) {
        kv_slice_t r = api_json_str(v);
        if (!kv_slice_starts_with(r, "arn:") || r.len > 2048)
            return api_refuse(
                resp, API_E_LAMBDA_VALIDATION,
                "1 validation error detected: Value '%.*s' at 'role' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: "
                "arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+",
                (int)(r.len > 200 ? 200 : r.len), (const char *)r.p);
        f->role = dup_str(req, r);
    }
    if ((v = api_json_get(in, "Handler")) && api_json_type(v) == API_J_STR) {
        kv_slice_t h = api_json_str(v);
        if (h.len > 128)
            return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                              "1 validation error detected: Value at 'handler' failed to satisfy "
                              "constraint: Member must have length less than or equal to 128");
        f->handler = dup_str(req, h);
    }
    if ((v = api_json_get(in, "Description")) && api_json_type(v) == API_J_STR) {
        kv_slice_t d = api_json_str(v);
        if (d.len > DESC_MAX)
            return api_refuse(
                resp, API_E_LAMBDA_VALIDATION,
                "1 validation error detected: Value at 'description' failed to satisfy "
                "constraint: Member must have length less than or equal to 256");
        f->description = dup_str(req, d);
    }
    int64_t n;
    if ((v = api_json_get(in, "Timeout"))) {
        if (!api_json_int(v, &n) || n < 1 || n > TIMEOUT_MAX)
            return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                              "1 validation error detected: Value '%lld' at 'timeout' failed to "
                              "satisfy constraint: Member must have value %s",
                              (long long)n,
                              n < 1 ? "greater than or equal to 1" : "less than or equal to 900");
        f->timeout_s = (uint32_t)n;
    }
    if ((v = api_json_get(in, "MemorySize"))) {
        if (!api_json_int(v, &n) || n < MEMORY_MIN || n > MEMORY_MAX)
            return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                              "1 validation error detected: Value '%lld' at 'memorySize' failed to "
                              "satisfy constraint: Member must have value %s",
                              (long long)n,
                              n < MEMORY_MIN ? "greater than or equal to 128"
                                             : "less than or equal to 10240");
        f->memory_mb = (uint32_t)n;
    }
    const api_json_t *env = api_json_get(in, "Environment");
    const api_json_t *vars = env ? api_json_get(env, "Variables") : NULL;
    if (env && (vars == NULL || api_json_type(vars) == API_J_OBJ)) {
        size_t count = 0, bytes = 0;
        void *it = NULL;
        const char *k;
        api_json_t *val;
        while (vars && api_json_next(vars, &it, &k, &val))
            count++;
        f->env = kv_arena_calloc(req->arena, count + 1, sizeof(*f->env));
        f->n_env = 0;
        it = NULL;
        while (vars && api_json_next(vars, &it, &k, &val)) {
            if (api_json_type(val) != API_J_STR)
                return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                                  "Environment variable values must be strings");
            kv_slice_t sv = api_json_str(val);
            bool key_ok = k[0] && !(k[0] >= '0' && k[0] <= '9');
            for (const char *c = k; *c && key_ok; c++)
                key_ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                         (*c >= '0' && *c <= '9') || *c == '_';
            if (!key_ok)
                return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                                  "1 validation error detected: Value at 'environment.variables' "
                                  "failed to satisfy constraint: Map keys must satisfy constraint: "
                                  "[Member must satisfy regular expression pattern: "
                                  "[a-zA-Z]([a-zA-Z0-9_])+]");
            bytes += strlen(k) + sv.len;
            f->env[f->n_env].key = k;
            f->env[f->n_env++].value = dup_str(req, sv);
        }
        if (bytes > ENV_MAX_BYTES)
            return api_refuse(
                resp, API_E_LAMBDA_INVALID_PARAM,
                "Lambda was unable to configure your environment variables because the "
                "environment variables you have provided exceeded the 4KB limit. String "
                "measured: %zu bytes",
                bytes);
    }
    return 0;
}

/* ---- responses ---- */

static void encode_config(api_ctx_t *ctx, const eng_function_t *f, api_jw_t *w)
{
    char arn[256], ts[40];
    fn_arn(ctx, f->name, arn, sizeof(arn));
    api_jw_obj_begin(w);
    api_jw_kstr(w, "FunctionName", f->name);
    api_jw_kstr(w, "FunctionArn", arn);
    if (f->runtime && f->runtime[0])
        api_jw_kstr(w, "Runtime", f->runtime);
    api_jw_kstr(w, "Role", f->role ? f->role : "");
    if (f->handler && f->handler[0])
        api_jw_kstr(w, "Handler", f->handler);
    api_jw_ku64(w, "CodeSize", f->code_size);
    api_jw_kstr(w, "Description", f->description ? f->description : "");
    api_jw_ku64(w, "Timeout", f->timeout_s);
    api_jw_ku64(w, "MemorySize", f->memory_mb);
    /* Lambda's own timestamp shape: 2024-05-01T12:00:00.000+0000 */
    kv_time_fmt_iso(f->modified_ms, ts);
    ts[23] = 0;
    strcat(ts, "+0000");
    api_jw_kstr(w, "LastModified", ts);
    api_jw_kstr(w, "CodeSha256", f->code_sha256);
    api_jw_kstr(w, "Version", "$LATEST");
    if (f->n_env) {
        api_jw_key(w, "Environment");
        api_jw_obj_begin(w);
        api_jw_key(w, "Variables");
        api_jw_obj_begin(w);
        for (size_t i = 0; i < f->n_env; i++)
            api_jw_kstr(w, f->env[i].key, f->env[i].value);
        api_jw_obj_end(w);
        api_jw_obj_end(w);
    }
    api_jw_key(w, "TracingConfig");
    api_jw_obj_begin(w);
    api_jw_kstr(w, "Mode", "PassThrough");
    api_jw_obj_end(w);
    api_jw_kstr(w, "RevisionId", f->revision);
    api_jw_kstr(w, "State", "Active");
    api_jw_kstr(w, "LastUpdateStatus", "Successful");
    api_jw_kstr(w, "PackageType", "Zip");
    api_jw_key(w, "Architectures");
    api_jw_arr_begin(w);
    api_jw_cstr(w, f->arch ? f->arch : "x86_64");
    api_jw_arr_end(w);
    api_jw_key(w, "EphemeralStorage");
    api_jw_obj_begin(w);
    api_jw_ku64(w, "Size", 512);
    api_jw_obj_end(w);
    api_jw_key(w, "LoggingConfig");
    api_jw_obj_begin(w);
    api_jw_kstr(w, "LogFormat", "Text");
    char group[128];
    snprintf(group, sizeof(group), "/aws/lambda/%s", f->name);
    api_jw_kstr(w, "LogGroup", group);
    api_jw_obj_end(w);
    api_jw_obj_end(w);
}

static void respond_json(api_resp_t *resp, int status)
{
    resp->status = status;
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/json"));
}

/* ---- operations ---- */

static int load_fn(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t raw,
                   eng_function_t **f)
{
    kv_slice_t name;
    if (resolve_name(resp, raw, &name) < 0)
        return -1;
    int rc = eng_function_get(ctx->eng, name, req->arena, f);
    if (rc == KV_ENOTFOUND)
        return not_found(ctx, resp, name);
    return rc < 0 ? engine_fail(resp, rc) : 0;
}

static const api_json_t *body_json(api_req_t *req, api_resp_t *resp)
{
    kv_slice_t body = kv_buf_slice(&req->_st->body);
    api_json_t *root;
    const char *err = NULL;
    if (body.len == 0)
        body = KV_SLICE_LIT("{}");
    if (api_json_parse(req->arena, body, &root, &err) < 0 || api_json_type(root) != API_J_OBJ) {
        api_refuse(resp, API_E_LAMBDA_INVALID_REQUEST, "Could not parse request body into json: %s",
                   err ? err : "expected a JSON object");
        return NULL;
    }
    return root;
}

static int op_create(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, api_jw_t *w)
{
    const api_json_t *in = body_json(req, resp);
    if (in == NULL)
        return -1;
    const api_json_t *n = api_json_get(in, "FunctionName");
    if (n == NULL || api_json_type(n) != API_J_STR)
        return api_refuse(
            resp, API_E_LAMBDA_VALIDATION,
            "1 validation error detected: Value null at 'functionName' failed to satisfy "
            "constraint: Member must not be null");
    kv_slice_t name;
    if (resolve_name(resp, api_json_str(n), &name) < 0)
        return -1;
    if (api_json_get(in, "Role") == NULL)
        return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                          "1 validation error detected: Value null at 'role' failed to satisfy "
                          "constraint: Member must not be null");
    const api_json_t *code = api_json_get(in, "Code");
    if (code == NULL || api_json_type(code) != API_J_OBJ)
        return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                          "1 validation error detected: Value null at 'code' failed to satisfy "
                          "constraint: Member must not be null");
    eng_function_t f;
    memset(&f, 0, sizeof(f));
    f.name = dup_str(req, name);
    f.timeout_s = 3;
    f.memory_mb = 128;
    f.reserved = -1;
    f.arch = "x86_64";
    if (apply_config(req, resp, in, &f) < 0)
        return -1;
    if (f.runtime == NULL)
        return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                          "Runtime is required for a function packaged as a zip");
    const api_json_t *arch = api_json_get(in, "Architectures");
    if (arch && api_json_type(arch) == API_J_ARR && api_json_len(arch) == 1 &&
        api_json_type(api_json_at(arch, 0)) == API_J_STR)
        f.arch = dup_str(req, api_json_str(api_json_at(arch, 0)));
    kv_slice_t zip;
    if (load_code(ctx, req, resp, code, &zip) < 0)
        return -1;
    f.code_size = zip.len;
    code_sha(zip, f.code_sha256);
    new_revision(f.revision);
    f.created_ms = f.modified_ms = kv_now_ms();
    int rc = eng_function_put(ctx->eng, &f, zip, ENG_FN_CREATE);
    if (rc == KV_EEXIST)
        return api_refuse(resp, API_E_LAMBDA_CONFLICT, "Function already exist: %s", f.name);
    if (rc < 0)
        return engine_fail(resp, rc);
    resp->durable = true;
    respond_json(resp, 201);
    encode_config(ctx, &f, w);
    return 0;
}

static int op_update(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t raw, bool code,
                     api_jw_t *w)
{
    const api_json_t *in = body_json(req, resp);
    eng_function_t *cur;
    if (in == NULL || load_fn(ctx, req, resp, raw, &cur) < 0)
        return -1;
    const api_json_t *rid = api_json_get(in, "RevisionId");
    if (rid && api_json_type(rid) == API_J_STR &&
        !kv_slice_eq_str(api_json_str(rid), cur->revision))
        return api_refuse(
            resp, API_E_LAMBDA_PRECONDITION,
            "The Revision Id provided does not match the latest Revision Id. Call the "
            "GetFunction/GetAlias API to retrieve the latest Revision Id");
    eng_function_t f = *cur;
    kv_slice_t zip = KV_SLICE_NULL;
    if (code) {
        if (load_code(ctx, req, resp, in, &zip) < 0)
            return -1;
        f.code_size = zip.len;
        code_sha(zip, f.code_sha256);
    } else if (apply_config(req, resp, in, &f) < 0) {
        return -1;
    }
    new_revision(f.revision);
    f.modified_ms = kv_now_ms();
    int rc = eng_function_put(ctx->eng, &f, zip, ENG_FN_UPDATE);
    if (rc == KV_ENOTFOUND)
        return not_found(ctx, resp, kv_slice_str(cur->name));
    if (rc < 0)
        return engine_fail(resp, rc);
    resp->durable = true;
    respond_json(resp, 200);
    encode_config(ctx, &f, w);
    return 0;
}

static int op_get(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t raw, bool whole,
                  api_jw_t *w)
{
    eng_function_t *f;
    if (load_fn(ctx, req, resp, raw, &f) < 0)
        return -1;
    respond_json(resp, 200);
    if (!whole) {
        encode_config(ctx, f, w);
        return 0;
    }
    api_jw_obj_begin(w);
    api_jw_key(w, "Configuration");
    encode_config(ctx, f, w);
    api_jw_key(w, "Code");
    api_jw_obj_begin(w);
    api_jw_kstr(w, "RepositoryType", "S3");
    char loc[512];
    snprintf(loc, sizeof(loc), "file://functions/%u.zip", f->code_id);
    api_jw_kstr(w, "Location", loc);
    api_jw_obj_end(w);
    if (f->n_tags) {
        api_jw_key(w, "Tags");
        api_jw_obj_begin(w);
        for (size_t i = 0; i < f->n_tags; i++)
            api_jw_kstr(w, f->tags[i].key, f->tags[i].value);
        api_jw_obj_end(w);
    }
    if (f->reserved >= 0) {
        api_jw_key(w, "Concurrency");
        api_jw_obj_begin(w);
        api_jw_ku64(w, "ReservedConcurrentExecutions", (uint64_t)f->reserved);
        api_jw_obj_end(w);
    }
    api_jw_obj_end(w);
    return 0;
}

/* The MaxItems query parameter of the List operations (1..10000), into *limit when given. */
static int max_items(api_req_t *req, api_resp_t *resp, size_t *limit)
{
    kv_slice_t max;
    if (!api_req_query(req, "MaxItems", &max))
        return 0;
    long v = 0;
    bool ok = max.len > 0 && max.len < 7;
    for (size_t i = 0; ok && i < max.len; i++) {
        ok = max.p[i] >= '0' && max.p[i] <= '9';
        v = v * 10 + (max.p[i] - '0');
    }
    if (!ok || v < 1 || v > LIST_MAX)
        return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                          "1 validation error detected: Value at 'maxItems' failed to satisfy "
                          "constraint: Member must have value between 1 and 10000");
    *limit = (size_t)v;
    return 0;
}

static int op_list(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, api_jw_t *w)
{
    kv_slice_t marker = KV_SLICE_NULL;
    size_t limit = LIST_DEFAULT;
    api_req_query(req, "Marker", &marker);
    if (max_items(req, resp, &limit) < 0)
        return -1;
    eng_function_t *list;
    size_t n;
    bool more;
    int rc = eng_function_list(ctx->eng, marker, limit, req->arena, &list, &n, &more);
    if (rc < 0)
        return engine_fail(resp, rc);
    respond_json(resp, 200);
    api_jw_obj_begin(w);
    api_jw_key(w, "Functions");
    api_jw_arr_begin(w);
    for (size_t i = 0; i < n; i++)
        encode_config(ctx, &list[i], w);
    api_jw_arr_end(w);
    if (more && n)
        api_jw_kstr(w, "NextMarker", list[n - 1].name);
    api_jw_obj_end(w);
    return 0;
}

static int op_delete(api_ctx_t *ctx, api_resp_t *resp, kv_slice_t raw)
{
    kv_slice_t name;
    if (resolve_name(resp, raw, &name) < 0)
        return -1;
    int rc = eng_function_delete(ctx->eng, name);
    if (rc == KV_ENOTFOUND)
        return not_found(ctx, resp, name);
    if (rc < 0)
        return engine_fail(resp, rc);
    resp->durable = true;
    resp->status = 204;
    return 0;
}

static int op_concurrency(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t raw, int op,
                          api_jw_t *w)
{
    eng_function_t *f;
    if (load_fn(ctx, req, resp, raw, &f) < 0)
        return -1;
    if (op == LAMBDA_OP_put_function_concurrency) {
        const api_json_t *in = body_json(req, resp);
        if (in == NULL)
            return -1;
        const api_json_t *v = api_json_get(in, "ReservedConcurrentExecutions");
        int64_t n = -1;
        if (v == NULL || !api_json_int(v, &n) || n < 0)
            return api_refuse(
                resp, API_E_LAMBDA_VALIDATION,
                "1 validation error detected: Value at 'reservedConcurrentExecutions' "
                "failed to satisfy constraint: Member must have value greater than or "
                "equal to 0");
        if (n > CONCURRENCY_MAX)
            return api_refuse(
                resp, API_E_LAMBDA_INVALID_PARAM,
                "Specified ReservedConcurrentExecutions for function decreases account's "
                "UnreservedConcurrentExecution below its minimum value of [0].");
        f->reserved = (int32_t)n;
    } else if (op == LAMBDA_OP_delete_function_concurrency) {
        f->reserved = -1;
    }
    if (op != LAMBDA_OP_get_function_concurrency) {
        int rc = eng_function_put(ctx->eng, f, KV_SLICE_NULL, ENG_FN_UPDATE);
        if (rc < 0)
            return engine_fail(resp, rc);
        resp->durable = true;
    }
    if (op == LAMBDA_OP_delete_function_concurrency) {
        resp->status = 204;
        return 0;
    }
    respond_json(resp, 200);
    api_jw_obj_begin(w);
    if (f->reserved >= 0)
        api_jw_ku64(w, "ReservedConcurrentExecutions", (uint64_t)f->reserved);
    api_jw_obj_end(w);
    return 0;
}

/* ---- asynchronous invocation settings (event invoke configuration) ---- */

static int int_in(api_resp_t *resp, const api_json_t *in, const char *key, const char *member,
                  int64_t lo, int64_t hi, int64_t *out);

#define ASYNC_RETRIES 2
#define ASYNC_AGE_MIN 60
#define ASYNC_AGE_MAX 21600

/* A function's settings for asynchronous invocations; stored as a small JSON document. */
typedef struct evcfg {
    int64_t retries, max_age_s; /* -1: not set (2 and 6 hours apply) */
    const char *on_success, *on_failure;
    int64_t modified_ms;
} evcfg_t;

static void evcfg_read(kv_arena_t *a, const char *doc, evcfg_t *c)
{
    *c = (evcfg_t){.retries = -1, .max_age_s = -1};
    api_json_t *root;
    const char *err;
    if (doc == NULL || api_json_parse(a, kv_slice_str(doc), &root, &err) < 0 ||
        api_json_type(root) != API_J_OBJ)
        return;
    const api_json_t *v;
    if ((v = api_json_get(root, "MaximumRetryAttempts")) && !api_json_int(v, &c->retries))
        c->retries = -1;
    if ((v = api_json_get(root, "MaximumEventAgeInSeconds")) && !api_json_int(v, &c->max_age_s))
        c->max_age_s = -1;
    if ((v = api_json_get(root, "LastModified")) && !api_json_int(v, &c->modified_ms))
        c->modified_ms = 0;
    const char **dst[2] = {&c->on_success, &c->on_failure};
    const char *names[2] = {"OnSuccess", "OnFailure"};
    for (int i = 0; i < 2; i++)
        if ((v = api_json_get(root, names[i])) && api_json_type(v) == API_J_STR)
            *dst[i] = kv_arena_strndup(a, api_json_str(v).p, api_json_str(v).len);
}

static const char *evcfg_write(kv_arena_t *a, const evcfg_t *c)
{
    kv_buf_t b;
    kv_buf_init(&b, 8192);
    api_jw_t w;
    api_jw_init(&w, &b);
    api_jw_obj_begin(&w);
    if (c->retries >= 0)
        api_jw_ku64(&w, "MaximumRetryAttempts", (uint64_t)c->retries);
    if (c->max_age_s >= 0)
        api_jw_ku64(&w, "MaximumEventAgeInSeconds", (uint64_t)c->max_age_s);
    if (c->on_success)
        api_jw_kstr(&w, "OnSuccess", c->on_success);
    if (c->on_failure)
        api_jw_kstr(&w, "OnFailure", c->on_failure);
    api_jw_ku64(&w, "LastModified", (uint64_t)c->modified_ms);
    api_jw_obj_end(&w);
    const char *out = kv_arena_strndup(a, b.p, b.len);
    kv_buf_dispose(&b);
    return out;
}

static void evcfg_encode(api_ctx_t *ctx, const eng_function_t *f, const evcfg_t *c, api_jw_t *w)
{
    char arn[300], when[40];
    fn_arn(ctx, f->name, arn, sizeof(arn));
    strncat(arn, ":$LATEST", sizeof(arn) - strlen(arn) - 1);
    api_jw_obj_begin(w);
    snprintf(when, sizeof(when), "%lld.%03d", (long long)(c->modified_ms / 1000),
             (int)(c->modified_ms % 1000));
    api_jw_key(w, "LastModified");
    api_jw_raw(w, kv_slice_str(when));
    api_jw_kstr(w, "FunctionArn", arn);
    if (c->retries >= 0)
        api_jw_ku64(w, "MaximumRetryAttempts", (uint64_t)c->retries);
    if (c->max_age_s >= 0)
        api_jw_ku64(w, "MaximumEventAgeInSeconds", (uint64_t)c->max_age_s);
    api_jw_key(w, "DestinationConfig");
    api_jw_obj_begin(w);
    const char *dst[2] = {c->on_success, c->on_failure};
    const char *names[2] = {"OnSuccess", "OnFailure"};
    for (int i = 0; i < 2; i++) {
        api_jw_key(w, names[i]);
        api_jw_obj_begin(w);
        if (dst[i])
            api_jw_kstr(w, "Destination", dst[i]);
        api_jw_obj_end(w);
    }
    api_jw_obj_end(w);
    api_jw_obj_end(w);
}

/* Is dest a destination this server can deliver to: a function here, or (on failure) a bucket
 * here? */
static int check_destination(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t dest,
                             bool failure)
{
    static const char fmark[] = ":function:", bmark[] = "arn:aws:s3:::";
    const uint8_t *f = dest.len ? memmem(dest.p, dest.len, fmark, sizeof(fmark) - 1) : NULL;
    int rc = KV_ENOTFOUND;
    if (kv_slice_starts_with(dest, "arn:aws:lambda:") && f) {
        kv_slice_t name =
            kv_slice(f + sizeof(fmark) - 1, dest.len - (size_t)(f - dest.p) - (sizeof(fmark) - 1));
        const uint8_t *q = memchr(name.p, ':', name.len);
        if (q)
            name.len = (size_t)(q - name.p);
        eng_function_t *fn;
        rc = eng_function_get(ctx->eng, name, req->arena, &fn);
    } else if (failure && kv_slice_starts_with(dest, bmark)) {
        eng_bucket_t *b;
        rc = eng_bucket_get(ctx->eng,
                            kv_slice(dest.p + sizeof(bmark) - 1, dest.len - (sizeof(bmark) - 1)),
                            req->arena, &b);
    }
    if (rc == 0)
        return 0;
    return api_refuse(
        resp, API_E_LAMBDA_INVALID_PARAM,
        "The destination ARN %.*s is invalid: this server delivers to a Lambda function "
        "it has%s.",
        (int)(dest.len > 300 ? 300 : dest.len), (const char *)dest.p,
        failure ? ", or a bucket it has" : "");
}

static int op_event_config(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t raw, int op,
                           api_jw_t *w)
{
    eng_function_t *f;
    if (load_fn(ctx, req, resp, raw, &f) < 0)
        return -1;
    kv_slice_t qual = KV_SLICE_NULL;
    api_req_query(req, "Qualifier", &qual);
    if (qual.len && !kv_slice_eq_str(qual, "$LATEST"))
        return api_refuse(resp, API_E_LAMBDA_NOT_FOUND, "Function not found: %.*s:%.*s",
                          (int)strlen(f->name), f->name, (int)(qual.len > 64 ? 64 : qual.len),
                          (const char *)qual.p);
    evcfg_t c;
    evcfg_read(req->arena, f->event_config, &c);
    if (op == LAMBDA_OP_list_function_event_invoke_configs) {
        respond_json(resp, 200);
        api_jw_obj_begin(w);
        api_jw_key(w, "FunctionEventInvokeConfigs");
        api_jw_arr_begin(w);
        if (f->event_config)
            evcfg_encode(ctx, f, &c, w);
        api_jw_arr_end(w);
        api_jw_obj_end(w);
        return 0;
    }
    if ((op == LAMBDA_OP_get_function_event_invoke_config ||
         op == LAMBDA_OP_delete_function_event_invoke_config) &&
        f->event_config == NULL) {
        char arn[256];
        fn_arn(ctx, f->name, arn, sizeof(arn));
        return api_refuse(resp, API_E_LAMBDA_NOT_FOUND,
                          "The function %s doesn't have an EventInvokeConfig", arn);
    }
    if (op == LAMBDA_OP_put_function_event_invoke_config ||
        op == LAMBDA_OP_update_function_event_invoke_config) {
        const api_json_t *in = body_json(req, resp);
        if (in == NULL)
            return -1;
        if (op == LAMBDA_OP_put_function_event_invoke_config)
            c = (evcfg_t){.retries = -1, .max_age_s = -1};
        int64_t v;
        int r;
        if ((r = int_in(resp, in, "MaximumRetryAttempts", "maximumRetryAttempts", 0, ASYNC_RETRIES,
                        &v)) < 0)
            return -1;
        if (r)
            c.retries = v;
        if ((r = int_in(resp, in, "MaximumEventAgeInSeconds", "maximumEventAgeInSeconds",
                        ASYNC_AGE_MIN, ASYNC_AGE_MAX, &v)) < 0)
            return -1;
        if (r)
            c.max_age_s = v;
        const api_json_t *dc = api_json_get(in, "DestinationConfig");
        const char *names[2] = {"OnSuccess", "OnFailure"};
        const char **dst[2] = {&c.on_success, &c.on_failure};
        for (int i = 0; dc && i < 2; i++) {
            const api_json_t *o = api_json_get(dc, names[i]);
            const api_json_t *d = o ? api_json_get(o, "Destination") : NULL;
            if (o == NULL)
                continue;
            *dst[i] = NULL;
            if (d == NULL || api_json_type(d) != API_J_STR || api_json_str(d).len == 0)
                continue;
            if (check_destination(ctx, req, resp, api_json_str(d), i == 1) < 0)
                return -1;
            *dst[i] = dup_str(req, api_json_str(d));
        }
        c.modified_ms = kv_now_ms();
        f->event_config = evcfg_write(req->arena, &c);
    } else if (op == LAMBDA_OP_delete_function_event_invoke_config) {
        f->event_config = NULL;
    }
    if (op != LAMBDA_OP_get_function_event_invoke_config) {
        int rc = eng_function_put(ctx->eng, f, KV_SLICE_NULL, ENG_FN_UPDATE);
        if (rc < 0)
            return engine_fail(resp, rc);
        resp->durable = true;
    }
    if (op == LAMBDA_OP_delete_function_event_invoke_config) {
        resp->status = 204;
        return 0;
    }
    respond_json(resp, 200);
    evcfg_encode(ctx, f, &c, w);
    return 0;
}

/* ---- event source mappings ---- */

#define ESM_BATCH_MAX 10000

static void encode_mapping(api_ctx_t *ctx, const eng_mapping_t *m, const char *state, api_jw_t *w)
{
    char arn[256];
    fn_arn(ctx, m->function, arn, sizeof(arn));
    api_jw_obj_begin(w);
    api_jw_kstr(w, "UUID", m->uuid);
    api_jw_ku64(w, "BatchSize", m->batch_size);
    api_jw_ku64(w, "MaximumBatchingWindowInSeconds", m->window_s);
    api_jw_ku64(w, "ParallelizationFactor", m->parallel);
    api_jw_kstr(w, "EventSourceArn", m->source_arn);
    api_jw_kstr(w, "FunctionArn", arn);
    char t[32];
    int n = snprintf(t, sizeof(t), "%lld.%03lld", (long long)(m->modified_ms / 1000),
                     (long long)(m->modified_ms % 1000));
    api_jw_key(w, "LastModified");
    api_jw_raw(w, kv_slice(t, (size_t)n));
    api_jw_kstr(w, "LastProcessingResult", api_esm_last_result(ctx, m->uuid));
    api_jw_kstr(w, "State", state ? state : m->enabled ? "Enabled" : "Disabled");
    api_jw_kstr(w, "StateTransitionReason", "User action");
    api_jw_kstr(w, "StartingPosition",
                m->start == ENG_START_TRIM_HORIZON ? "TRIM_HORIZON"
                : m->start == ENG_START_LATEST     ? "LATEST"
                                                   : "AT_TIMESTAMP");
    if (m->start == ENG_START_AT_TIMESTAMP) {
        n = snprintf(t, sizeof(t), "%lld.%03lld", (long long)(m->start_ms / 1000),
                     (long long)(m->start_ms % 1000));
        api_jw_key(w, "StartingPositionTimestamp");
        api_jw_raw(w, kv_slice(t, (size_t)n));
    }
    if (m->n_patterns) {
        api_jw_key(w, "FilterCriteria");
        api_jw_obj_begin(w);
        api_jw_key(w, "Filters");
        api_jw_arr_begin(w);
        for (size_t i = 0; i < m->n_patterns; i++) {
            api_jw_obj_begin(w);
            api_jw_kstr(w, "Pattern", m->patterns[i]);
            api_jw_obj_end(w);
        }
        api_jw_arr_end(w);
        api_jw_obj_end(w);
    }
    api_jw_key(w, "DestinationConfig");
    api_jw_obj_begin(w);
    api_jw_key(w, "OnFailure");
    api_jw_obj_begin(w);
    if (m->on_failure)
        api_jw_kstr(w, "Destination", m->on_failure);
    api_jw_obj_end(w);
    api_jw_obj_end(w);
    api_jw_key(w, "MaximumRecordAgeInSeconds");
    n = snprintf(t, sizeof(t), "%d", m->max_age_s);
    api_jw_raw(w, kv_slice(t, (size_t)n));
    api_jw_kbool(w, "BisectBatchOnFunctionError", m->bisect);
    api_jw_key(w, "MaximumRetryAttempts");
    n = snprintf(t, sizeof(t), "%d", m->max_retries);
    api_jw_raw(w, kv_slice(t, (size_t)n));
    api_jw_ku64(w, "TumblingWindowInSeconds", 0);
    api_jw_key(w, "FunctionResponseTypes");
    api_jw_arr_begin(w);
    if (m->report_failures)
        api_jw_cstr(w, "ReportBatchItemFailures");
    api_jw_arr_end(w);
    api_jw_obj_end(w);
}

static int int_in(api_resp_t *resp, const api_json_t *in, const char *key, const char *member,
                  int64_t lo, int64_t hi, int64_t *out)
{
    const api_json_t *v = api_json_get(in, key);
    if (v == NULL)
        return 0;
    if (!api_json_int(v, out) || *out < lo || *out > hi)
        return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                          "1 validation error detected: Value '%lld' at '%s' failed to satisfy "
                          "constraint: Member must have value between %lld and %lld",
                          (long long)*out, member, (long long)lo, (long long)hi);
    return 1;
}

/* The settable members of CreateEventSourceMapping and UpdateEventSourceMapping. */
static int apply_mapping(api_req_t *req, api_resp_t *resp, const api_json_t *in, eng_mapping_t *m)
{
    int64_t v;
    int r;
    if ((r = int_in(resp, in, "BatchSize", "batchSize", 1, ESM_BATCH_MAX, &v)) < 0)
        return -1;
    if (r)
        m->batch_size = (uint32_t)v;
    if ((r = int_in(resp, in, "MaximumBatchingWindowInSeconds", "maximumBatchingWindowInSeconds", 0,
                    300, &v)) < 0)
        return -1;
    if (r)
        m->window_s = (uint32_t)v;
    if ((r = int_in(resp, in, "ParallelizationFactor", "parallelizationFactor", 1, 10, &v)) < 0)
        return -1;
    if (r)
        m->parallel = (uint32_t)v;
    if ((r = int_in(resp, in, "MaximumRetryAttempts", "maximumRetryAttempts", -1, 10000, &v)) < 0)
        return -1;
    if (r)
        m->max_retries = (int32_t)v;
    if ((r = int_in(resp, in, "MaximumRecordAgeInSeconds", "maximumRecordAgeInSeconds", -1, 604800,
                    &v)) < 0)
        return -1;
    if (r) {
        if (v >= 0 && v < 60)
            return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                              "MaximumRecordAgeInSeconds must be -1 or between 60 and 604800");
        m->max_age_s = (int32_t)v;
    }
    const api_json_t *b;
    if ((b = api_json_get(in, "BisectBatchOnFunctionError")))
        m->bisect = api_json_bool(b);
    if ((b = api_json_get(in, "Enabled")))
        m->enabled = api_json_bool(b);
    const api_json_t *types = api_json_get(in, "FunctionResponseTypes");
    if (types && api_json_type(types) == API_J_ARR) {
        m->report_failures = false;
        for (size_t i = 0; i < api_json_len(types); i++) {
            const api_json_t *t = api_json_at(types, i);
            if (api_json_type(t) != API_J_STR ||
                !kv_slice_eq_str(api_json_str(t), "ReportBatchItemFailures"))
                return api_refuse(
                    resp, API_E_LAMBDA_VALIDATION,
                    "1 validation error detected: Value at 'functionResponseTypes' "
                    "failed to satisfy constraint: Member must satisfy enum value set: "
                    "[ReportBatchItemFailures]");
            m->report_failures = true;
        }
    }
    const api_json_t *fc = api_json_get(in, "FilterCriteria");
    const api_json_t *filters = fc ? api_json_get(fc, "Filters") : NULL;
    if (fc) {
        size_t n = filters && api_json_type(filters) == API_J_ARR ? api_json_len(filters) : 0;
        if (n > 5)
            return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                              "The number of filters exceeds the limit of 5");
        m->patterns = kv_arena_calloc(req->arena, n + 1, sizeof(*m->patterns));
        m->n_patterns = 0;
        for (size_t i = 0; i < n; i++) {
            const api_json_t *p = api_json_get(api_json_at(filters, i), "Pattern");
            api_json_t *parsed;
            const char *err;
            if (p == NULL || api_json_type(p) != API_J_STR || api_json_str(p).len > 4096 ||
                api_json_parse(req->arena, api_json_str(p), &parsed, &err) < 0 ||
                api_json_type(parsed) != API_J_OBJ)
                return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                                  "Invalid filter pattern definition.");
            m->patterns[m->n_patterns++] = dup_str(req, api_json_str(p));
        }
    }
    const api_json_t *dc = api_json_get(in, "DestinationConfig");
    const api_json_t *of = dc ? api_json_get(dc, "OnFailure") : NULL;
    const api_json_t *dest = of ? api_json_get(of, "Destination") : NULL;
    if (of) {
        m->on_failure = NULL;
        if (dest && api_json_type(dest) == API_J_STR && api_json_str(dest).len) {
            if (!kv_slice_starts_with(api_json_str(dest), "arn:"))
                return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                                  "The destination ARN is not valid");
            m->on_failure = dup_str(req, api_json_str(dest));
        }
    }
    return 0;
}

static void new_uuid(char out[40])
{
    new_revision(out);
}

static int function_of(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                       const char **out)
{
    const api_json_t *fn = api_json_get(in, "FunctionName");
    if (fn == NULL || api_json_type(fn) != API_J_STR)
        return api_refuse(
            resp, API_E_LAMBDA_VALIDATION,
            "1 validation error detected: Value null at 'functionName' failed to satisfy "
            "constraint: Member must not be null");
    eng_function_t *f;
    if (load_fn(ctx, req, resp, api_json_str(fn), &f) < 0)
        return -1;
    *out = f->name;
    return 0;
}

static int op_esm_create(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, api_jw_t *w)
{
    const api_json_t *in = body_json(req, resp);
    if (in == NULL)
        return -1;
    eng_mapping_t m;
    memset(&m, 0, sizeof(m));
    m.batch_size = 100;
    m.parallel = 1;
    m.max_retries = -1;
    m.max_age_s = -1;
    m.enabled = true;
    const api_json_t *src = api_json_get(in, "EventSourceArn");
    if (src == NULL || api_json_type(src) != API_J_STR)
        return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                          "Unrecognized event source, must be a DynamoDB stream ARN");
    if (function_of(ctx, req, resp, in, &m.function) < 0)
        return -1;
    kv_slice_t arn = api_json_str(src);
    eng_stream_t *s;
    if (ddb_stream_by_arn(ctx, req->arena, arn, &s) < 0 || s->disabled_ms)
        return api_refuse(
            resp, API_E_LAMBDA_INVALID_PARAM,
            "Cannot access stream %.*s. Please ensure the role can perform the "
            "GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on "
            "your stream.",
            (int)(arn.len > 300 ? 300 : arn.len), (const char *)arn.p);
    m.source_arn = dup_str(req, arn);
    m.stream_id = s->id;
    const api_json_t *sp = api_json_get(in, "StartingPosition");
    kv_slice_t pos = sp && api_json_type(sp) == API_J_STR ? api_json_str(sp) : KV_SLICE_NULL;
    if (kv_slice_eq_str(pos, "TRIM_HORIZON"))
        m.start = ENG_START_TRIM_HORIZON;
    else if (kv_slice_eq_str(pos, "LATEST"))
        m.start = ENG_START_LATEST;
    else if (kv_slice_eq_str(pos, "AT_TIMESTAMP"))
        m.start = ENG_START_AT_TIMESTAMP;
    else
        return api_refuse(
            resp, API_E_LAMBDA_INVALID_PARAM,
            "1 validation error detected: Value at 'startingPosition' failed to satisfy "
            "constraint: Member must satisfy enum value set: [LATEST, AT_TIMESTAMP, "
            "TRIM_HORIZON] and must not be null for a stream event source");
    if (m.start == ENG_START_AT_TIMESTAMP) {
        const api_json_t *ts = api_json_get(in, "StartingPositionTimestamp");
        double secs;
        if (ts == NULL || !api_json_num(ts, &secs))
            return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                              "StartingPositionTimestamp is required for AT_TIMESTAMP");
        m.start_ms = (int64_t)(secs * 1000.0);
    }
    if (apply_mapping(req, resp, in, &m) < 0)
        return -1;
    /* One mapping per function and stream. */
    eng_mapping_t *all;
    size_t n;
    bool more;
    kv_slice_t after = KV_SLICE_NULL;
    do {
        if (eng_mapping_list(ctx->eng, after, 1000, req->arena, &all, &n, &more) < 0)
            return engine_fail(resp, KV_EIO);
        for (size_t i = 0; i < n; i++)
            if (strcmp(all[i].function, m.function) == 0 &&
                strcmp(all[i].source_arn, m.source_arn) == 0)
                return api_refuse(
                    resp, API_E_LAMBDA_CONFLICT,
                    "The event source arn (\" %s \") and function (\" %s \") provided "
                    "mapping already exists. Please update or delete the existing "
                    "mapping with UUID %s",
                    m.source_arn, m.function, all[i].uuid);
        if (n)
            after = kv_slice_str(all[n - 1].uuid);
    } while (more && n);
    new_uuid(m.uuid);
    m.modified_ms = kv_now_ms();
    int rc = eng_mapping_put(ctx->eng, &m, ENG_FN_CREATE);
    if (rc < 0)
        return engine_fail(resp, rc);
    if (m.start == ENG_START_LATEST) { /* from the records after this moment */
        uint64_t first, last, trimmed;
        if (eng_stream_bounds(ctx->eng, m.stream_id, &first, &last, &trimmed) == 0)
            eng_mapping_set_checkpoint(ctx->eng, kv_slice_str(m.uuid), last);
    }
    api_esm_kick(ctx);
    resp->durable = true;
    respond_json(resp, 202);
    encode_mapping(ctx, &m, "Creating", w);
    return 0;
}

static int load_mapping(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t uuid,
                        eng_mapping_t **m)
{
    int rc =
        uuid.len && uuid.len < 40 ? eng_mapping_get(ctx->eng, uuid, req->arena, m) : KV_ENOTFOUND;
    if (rc == KV_ENOTFOUND)
        return api_refuse(
            resp, API_E_LAMBDA_NOT_FOUND,
            "The resource you requested does not exist. (Service: Lambda, Status Code: "
            "404)");
    return rc < 0 ? engine_fail(resp, rc) : 0;
}

static int op_esm(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t uuid, int op,
                  api_jw_t *w)
{
    eng_mapping_t *m;
    if (load_mapping(ctx, req, resp, uuid, &m) < 0)
        return -1;
    const char *state = NULL;
    if (op == LAMBDA_OP_update_event_source_mapping) {
        const api_json_t *in = body_json(req, resp);
        if (in == NULL)
            return -1;
        eng_mapping_t nm = *m;
        if (api_json_get(in, "FunctionName") && function_of(ctx, req, resp, in, &nm.function) < 0)
            return -1;
        if (apply_mapping(req, resp, in, &nm) < 0)
            return -1;
        nm.modified_ms = kv_now_ms();
        int rc = eng_mapping_put(ctx->eng, &nm, ENG_FN_UPDATE);
        if (rc < 0)
            return engine_fail(resp, rc);
        *m = nm;
        state = "Updating";
        resp->durable = true;
        api_esm_kick(ctx);
    } else if (op == LAMBDA_OP_delete_event_source_mapping) {
        int rc = eng_mapping_delete(ctx->eng, uuid);
        if (rc < 0)
            return engine_fail(resp, rc);
        state = "Deleting";
        resp->durable = true;
    }
    respond_json(resp, op == LAMBDA_OP_get_event_source_mapping ? 200 : 202);
    encode_mapping(ctx, m, state, w);
    return 0;
}

static int op_esm_list(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, api_jw_t *w)
{
    kv_slice_t marker = KV_SLICE_NULL, fn = KV_SLICE_NULL, src = KV_SLICE_NULL;
    size_t limit = 100;
    api_req_query(req, "Marker", &marker);
    api_req_query(req, "EventSourceArn", &src);
    if (api_req_query(req, "FunctionName", &fn) && resolve_name(resp, fn, &fn) < 0)
        return -1;
    if (max_items(req, resp, &limit) < 0)
        return -1;
    respond_json(resp, 200);
    api_jw_obj_begin(w);
    api_jw_key(w, "EventSourceMappings");
    api_jw_arr_begin(w);
    size_t shown = 0;
    const char *last = NULL;
    bool more = true;
    while (more && shown < limit) {
        eng_mapping_t *list;
        size_t n;
        if (eng_mapping_list(ctx->eng, marker, 1000, req->arena, &list, &n, &more) < 0)
            return engine_fail(resp, KV_EIO);
        for (size_t i = 0; i < n; i++) {
            marker = kv_slice_str(list[i].uuid);
            if ((fn.len && !kv_slice_eq_str(fn, list[i].function)) ||
                (src.len && !kv_slice_eq_str(src, list[i].source_arn)))
                continue;
            if (shown == limit) {
                more = true;
                break;
            }
            encode_mapping(ctx, &list[i], NULL, w);
            last = list[i].uuid;
            shown++;
        }
        if (n == 0)
            more = false;
    }
    api_jw_arr_end(w);
    if (more && last)
        api_jw_kstr(w, "NextMarker", last);
    api_jw_obj_end(w);
    return 0;
}

/* ---- Invoke ---- */

#define ASYNC_PAYLOAD_MAX 262144 /* an Event invocation's payload */
#define LOG_TAIL_MAX      4096

enum { P_WAITING = 0, P_HELD, P_DONE };

/* An invocation on its way: its own arena holds everything the runner reads. */
typedef struct pending {
    api_invocation_t inv;
    kv_arena_t *a;
    api_ctx_t *ctx;
    api_req_t *req;   /* NULL for an Event invocation */
    api_resp_t *resp; /* ... */
    bool tail;
    int attempts_left; /* Event: retries after an error */
    int attempts;      /* Event: runs so far */
    int64_t queued_ms, max_age_ms;
    const char *on_success, *on_failure; /* Event: destinations (in a) */
    pthread_mutex_t lock;
    int state;
    api_released_cb cb;
    void *cb_arg;
    struct pending *next; /* Event: in the async-invoke job's queue */
} pending_t;

static void pending_free(pending_t *p)
{
    kv_buf_dispose(&p->inv.result);
    kv_buf_dispose(&p->inv.log);
    kv_arena_t *a = p->a;
    kv_free(p);
    kv_arena_free(a);
}

/* The synchronous response of a finished invocation (on the runner's thread). */
static void finish_sync(pending_t *p)
{
    api_invocation_t *inv = &p->inv;
    api_resp_t *resp = p->resp;
    if (inv->outcome == API_INV_FAILED) {
        api_refuse(resp, API_E_LAMBDA_SERVICE, "%.*s", (int)inv->result.len,
                   (const char *)inv->result.p);
    } else {
        resp->status = 200;
        kv_buf_append_slice(&resp->body, kv_buf_slice(&inv->result));
        api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/json"));
        api_resp_header(resp, "X-Amz-Executed-Version", KV_SLICE_LIT("$LATEST"));
        if (inv->outcome == API_INV_FN_ERROR)
            api_resp_header(resp, "X-Amz-Function-Error", KV_SLICE_LIT("Unhandled"));
        if (p->tail) {
            kv_buf_t b;
            kv_buf_init(&b, 8192);
            kv_b64_encode(&b, inv->log.p, inv->log.len);
            api_resp_header(resp, "X-Amz-Log-Result",
                            kv_arena_dup(p->req->arena, kv_buf_slice(&b)));
            kv_buf_dispose(&b);
        }
    }
    api__finish(p->ctx, p->req, resp);
}

/* Free an invocation that never reached the runner. */
static void pending_free_or(pending_t *p, bool async)
{
    if (async) {
        pending_free(p);
    } else {
        kv_buf_dispose(&p->inv.result);
        kv_buf_dispose(&p->inv.log);
        kv_arena_free(p->a);
    }
}

static pending_t *pending_new(api_ctx_t *ctx, const eng_function_t *f, kv_slice_t payload,
                              api_req_t *req);

/* Lambda's invocation record of a finished asynchronous invocation, for a destination. */
static void invocation_record(const pending_t *p, const char *condition, kv_buf_t *out)
{
    const api_invocation_t *inv = &p->inv;
    char when[25];
    kv_time_fmt_iso(kv_now_ms(), when);
    api_jw_t w;
    api_jw_init(&w, out);
    api_jw_obj_begin(&w);
    api_jw_kstr(&w, "version", "1.0");
    api_jw_kstr(&w, "timestamp", when);
    api_jw_key(&w, "requestContext");
    api_jw_obj_begin(&w);
    api_jw_kstr(&w, "requestId", inv->request_id);
    char arn[300];
    snprintf(arn, sizeof(arn), "%s:$LATEST", inv->arn);
    api_jw_kstr(&w, "functionArn", arn);
    api_jw_kstr(&w, "condition", condition);
    api_jw_ku64(&w, "approximateInvokeCount", (uint64_t)p->attempts);
    api_jw_obj_end(&w);
    /* The payloads as JSON when they are, else as strings. */
    kv_arena_t *a = kv_arena_new(4096);
    kv_slice_t docs[2] = {inv->payload, kv_buf_slice(&inv->result)};
    const char *keys[2] = {"requestPayload", "responsePayload"};
    for (int i = 0; i < 2; i++) {
        api_json_t *root;
        const char *err;
        if (i == 1) {
            api_jw_key(&w, "responseContext");
            api_jw_obj_begin(&w);
            api_jw_ku64(&w, "statusCode", 200);
            api_jw_kstr(&w, "executedVersion", "$LATEST");
            if (inv->outcome != API_INV_OK)
                api_jw_kstr(&w, "functionError", "Unhandled");
            api_jw_obj_end(&w);
        }
        if (docs[i].len == 0)
            continue;
        api_jw_key(&w, keys[i]);
        if (api_json_parse(a, docs[i], &root, &err) == 0)
            api_jw_raw(&w, docs[i]);
        else
            api_jw_str(&w, docs[i]);
    }
    kv_arena_free(a);
    api_jw_obj_end(&w);
}

/* Send a finished asynchronous invocation's record to its destination (async-invoke job). */
static void send_destination(pending_t *p, const char *dest, const char *condition)
{
    api_ctx_t *ctx = p->ctx;
    kv_buf_t rec;
    kv_buf_init(&rec, 16u << 20);
    invocation_record(p, condition, &rec);
    static const char bmark[] = "arn:aws:s3:::";
    const char *fn = strstr(dest, ":function:");
    int rc = KV_ENOTFOUND;
    if (strncmp(dest, bmark, sizeof(bmark) - 1) == 0) {
        /* aws/lambda/async/<function>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<uuid> */
        char when[25], key[512], id[40];
        kv_time_fmt_iso(kv_now_ms(), when);
        when[19] = 0;
        when[13] = when[16] = '.';
        new_revision(id);
        snprintf(key, sizeof(key), "aws/lambda/async/%s/%.4s/%.2s/%.2s/%s-%s", p->inv.function,
                 when, when + 5, when + 8, when, id);
        rc = s3_put_record(ctx, kv_slice_str(dest + sizeof(bmark) - 1), kv_slice_str(key),
                           kv_buf_slice(&rec));
    } else if (fn) {
        kv_arena_t *a = kv_arena_new(4096);
        eng_function_t *f;
        const char *name = fn + 10, *q = strchr(name, ':');
        rc = eng_function_get(
            ctx->eng, kv_slice((const uint8_t *)name, q ? (size_t)(q - name) : strlen(name)), a,
            &f);
        if (rc == 0) {
            pending_t *d = pending_new(ctx, f, kv_buf_slice(&rec), NULL);
            d->attempts_left = 0; /* a destination's own failure is not chased further */
            d->on_success = d->on_failure = NULL;
            rc = f->reserved == 0 || ctx->invoke(ctx->runner, &d->inv) < 0 ? KV_EBUSY : 0;
            if (rc < 0)
                pending_free(d);
        }
        kv_arena_free(a);
    }
    if (rc < 0)
        KV_LOG_WARN("lambda: %s record of %s not delivered to %s: %s", condition, p->inv.function,
                    dest, kv_err_name(rc));
    kv_buf_dispose(&rec);
}

/* A finished Event invocation (async-invoke job): retried after an error (twice by default)
 * while the event is young enough, then its record goes to the destination for its outcome. */
static void async_finished(pending_t *p)
{
    api_invocation_t *inv = &p->inv;
    p->attempts++;
    bool expired = kv_now_ms() - p->queued_ms > p->max_age_ms;
    if (inv->outcome != API_INV_OK && !expired && p->attempts_left-- > 0) {
        kv_buf_reset(&inv->result);
        kv_buf_reset(&inv->log);
        if (p->ctx->invoke(p->ctx->runner, inv) == 0)
            return;
    }
    if (inv->outcome != API_INV_OK)
        KV_LOG_WARN("lambda: asynchronous invocation %s of %s failed: %.*s", inv->request_id,
                    inv->function, (int)(inv->result.len > 300 ? 300 : inv->result.len),
                    (const char *)inv->result.p);
    if (inv->outcome == API_INV_OK && p->on_success)
        send_destination(p, p->on_success, "Success");
    else if (inv->outcome != API_INV_OK && p->on_failure)
        send_destination(p, p->on_failure, expired ? "EventAgeExceeded" : "RetriesExhausted");
    pending_free(p);
}

int lambda_async_run(api_ctx_t *ctx, void *state, unsigned budget)
{
    (void)state;
    esm_t *e = esm_of(ctx);
    for (unsigned k = 0; k < budget; k++) {
        pthread_mutex_lock(&e->aq_lock);
        pending_t *p = e->aq_head;
        if (p) {
            e->aq_head = p->next;
            if (e->aq_head == NULL)
                e->aq_tail = NULL;
        }
        pthread_mutex_unlock(&e->aq_lock);
        if (p == NULL)
            return -1; /* until the runner finishes another */
        p->next = NULL;
        async_finished(p);
    }
    return 0;
}

void lambda_async_free(esm_t *e)
{
    size_t n = 0;
    while (e->aq_head) {
        pending_t *p = e->aq_head;
        e->aq_head = p->next;
        pending_free(p);
        n++;
    }
    e->aq_tail = NULL;
    if (n)
        KV_LOG_WARN("lambda: %zu finished asynchronous invocations not followed up at shutdown", n);
}

static void on_invoked(api_invocation_t *inv)
{
    pending_t *p = inv->done_arg;
    if (p->resp == NULL) {
        /* Event: the retries and destinations run in the async-invoke job, not here. */
        api_ctx_t *ctx = p->ctx;
        esm_t *e = esm_of(ctx);
        p->next = NULL;
        pthread_mutex_lock(&e->aq_lock);
        if (e->aq_tail)
            e->aq_tail->next = p;
        else
            e->aq_head = p;
        e->aq_tail = p;
        pthread_mutex_unlock(&e->aq_lock);
        api_sched_kick(ctx, "async-invoke");
        return;
    }
    finish_sync(p);
    /* The response is complete: hand it back to its connection (now, or when it asks). */
    pthread_mutex_lock(&p->lock);
    api_released_cb cb = p->state == P_HELD ? p->cb : NULL;
    void *arg = p->cb_arg;
    p->state = P_DONE;
    pthread_mutex_unlock(&p->lock);
    kv_buf_dispose(&inv->result);
    kv_buf_dispose(&inv->log);
    kv_arena_free(p->a); /* p itself lives in the request's arena */
    if (cb)
        cb(arg, 0);
}

bool lambda_hold(api_resp_t *resp, api_released_cb cb, void *arg)
{
    pending_t *p = resp->_pending;
    pthread_mutex_lock(&p->lock);
    bool hold = p->state != P_DONE;
    if (hold) {
        p->cb = cb;
        p->cb_arg = arg;
        p->state = P_HELD;
    }
    pthread_mutex_unlock(&p->lock);
    return hold;
}

static const char *adup(kv_arena_t *a, const char *s)
{
    return s ? kv_arena_strndup(a, s, strlen(s)) : NULL;
}

/* An invocation of f on payload, everything the runner reads in its own arena (req NULL: an
 * Event invocation, owned by the runner until it finishes). */
static pending_t *pending_new(api_ctx_t *ctx, const eng_function_t *f, kv_slice_t payload,
                              api_req_t *req)
{
    /* Everything the runner reads goes into the invocation's own arena. */
    kv_arena_t *a = kv_arena_new(payload.len + 16384);
    bool async = req == NULL;
    pending_t *p = async ? kv_calloc(1, sizeof(*p)) : kv_arena_calloc(req->arena, 1, sizeof(*p));
    p->a = a;
    p->ctx = ctx;
    /* Event: the function's asynchronous settings. */
    evcfg_t c;
    evcfg_read(a, f->event_config, &c);
    p->attempts_left = c.retries >= 0 ? (int)c.retries : ASYNC_RETRIES;
    p->queued_ms = kv_now_ms();
    p->max_age_ms = (c.max_age_s >= 0 ? c.max_age_s : ASYNC_AGE_MAX) * 1000;
    p->on_success = c.on_success;
    p->on_failure = c.on_failure;
    pthread_mutex_init(&p->lock, NULL);
    api_invocation_t *inv = &p->inv;
    char arn[256], code[4400], rid[40];
    fn_arn(ctx, f->name, arn, sizeof(arn));
    eng_function_code_path(ctx->eng, f->code_id, code, sizeof(code));
    new_revision(rid);
    inv->function = adup(a, f->name);
    inv->arn = adup(a, arn);
    inv->code_id = f->code_id;
    inv->config = adup(a, f->revision);
    inv->code_path = adup(a, code);
    inv->runtime = adup(a, f->runtime);
    inv->handler = adup(a, f->handler ? f->handler : "");
    inv->timeout_s = f->timeout_s;
    inv->memory_mb = f->memory_mb;
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
    kv_buf_init(&inv->result, 6u << 20);
    kv_buf_init(&inv->log, LOG_TAIL_MAX);
    inv->done = on_invoked;
    inv->done_arg = p;
    return p;
}

static int op_invoke(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t raw)
{
    eng_function_t *f;
    if (load_fn(ctx, req, resp, raw, &f) < 0)
        return -1;
    kv_slice_t type = api_req_header(req, "X-Amz-Invocation-Type");
    kv_slice_t log = api_req_header(req, "X-Amz-Log-Type");
    bool async = kv_slice_eq_str(type, "Event");
    if (type.len && !async && !kv_slice_eq_str(type, "RequestResponse") &&
        !kv_slice_eq_str(type, "DryRun"))
        return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                          "1 validation error detected: Value '%.*s' at 'invocationType' failed to "
                          "satisfy constraint: Member must satisfy enum value set: [Event, "
                          "RequestResponse, DryRun]",
                          (int)(type.len > 64 ? 64 : type.len), (const char *)type.p);
    if (log.len && !kv_slice_eq_str(log, "Tail") && !kv_slice_eq_str(log, "None"))
        return api_refuse(
            resp, API_E_LAMBDA_VALIDATION,
            "1 validation error detected: Value '%.*s' at 'logType' failed to satisfy "
            "constraint: Member must satisfy enum value set: [None, Tail]",
            (int)(log.len > 64 ? 64 : log.len), (const char *)log.p);
    kv_slice_t payload = kv_buf_slice(&req->_st->body);
    if (payload.len == 0)
        payload = KV_SLICE_LIT("{}");
    if (kv_slice_eq_str(type, "DryRun")) {
        resp->status = 204;
        return 0;
    }
    if (async && payload.len > ASYNC_PAYLOAD_MAX)
        return api_refuse(resp, API_E_LAMBDA_TOO_LARGE,
                          "Request must be smaller than %u bytes for the InvokeAsync operation",
                          ASYNC_PAYLOAD_MAX);
    if (ctx->invoke == NULL)
        return api_refuse(resp, API_E_LAMBDA_SERVICE, "Functions cannot run in this process");
    pending_t *p = pending_new(ctx, f, payload, async ? NULL : req);
    p->tail = kv_slice_eq_str(log, "Tail");
    if (f->reserved == 0)
        return pending_free_or(p, async), api_refuse(resp, API_E_LAMBDA_TOO_MANY, "Rate Exceeded.");
    if (!async) {
        p->req = req;
        p->resp = resp;
        resp->_pending = p;
    }
    if (ctx->invoke(ctx->runner, &p->inv) < 0) {
        resp->_pending = NULL;
        pending_free_or(p, async);
        return api_refuse(resp, API_E_LAMBDA_SERVICE, "The function runner is stopping");
    }
    if (async)
        resp->status = 202;
    return 0;
}

void lambda_dispatch(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    kv_slice_t name = KV_SLICE_NULL;
    route(req, &name);
    int op = req->_st->op; /* api_begin's routing: the same row */
    api_jw_t w;
    api_jw_init(&w, &resp->body);
    int rc;
    switch (op) {
    case LAMBDA_OP_create_function:
        rc = op_create(ctx, req, resp, &w);
        break;
    case LAMBDA_OP_list_functions:
        rc = op_list(ctx, req, resp, &w);
        break;
    case LAMBDA_OP_get_function:
    case LAMBDA_OP_get_function_configuration:
        rc = op_get(ctx, req, resp, name, op == LAMBDA_OP_get_function, &w);
        break;
    case LAMBDA_OP_update_function_configuration:
    case LAMBDA_OP_update_function_code:
        rc = op_update(ctx, req, resp, name, op == LAMBDA_OP_update_function_code, &w);
        break;
    case LAMBDA_OP_delete_function:
        rc = op_delete(ctx, resp, name);
        break;
    case LAMBDA_OP_put_function_concurrency:
    case LAMBDA_OP_get_function_concurrency:
    case LAMBDA_OP_delete_function_concurrency:
        rc = op_concurrency(ctx, req, resp, name, op, &w);
        break;
    case LAMBDA_OP_create_event_source_mapping:
        rc = op_esm_create(ctx, req, resp, &w);
        break;
    case LAMBDA_OP_invoke:
        rc = op_invoke(ctx, req, resp, name);
        break;
    case LAMBDA_OP_put_function_event_invoke_config:
    case LAMBDA_OP_update_function_event_invoke_config:
    case LAMBDA_OP_get_function_event_invoke_config:
    case LAMBDA_OP_delete_function_event_invoke_config:
    case LAMBDA_OP_list_function_event_invoke_configs:
        rc = op_event_config(ctx, req, resp, name, op, &w);
        break;
    case LAMBDA_OP_list_event_source_mappings:
        rc = op_esm_list(ctx, req, resp, &w);
        break;
    case LAMBDA_OP_get_event_source_mapping:
    case LAMBDA_OP_update_event_source_mapping:
    case LAMBDA_OP_delete_event_source_mapping:
        rc = op_esm(ctx, req, resp, name, op, &w);
        break;
    default:
        api_fail(resp, API_E_LAMBDA_UNKNOWN_OP, "Unknown operation %.*s %.*s", (int)req->method.len,
                 (const char *)req->method.p, (int)req->path.len, (const char *)req->path.p);
        return;
    }
    if (rc == 0 && !api_jw_ok(&w))
        api_refuse(resp, API_E_LAMBDA_SERVICE, "The response was too large");
}

/* ---- the service ---- */

/* Code uploads unpack and sync a zip of up to 50 MB: they run on the worker pool. */
#define LAMBDA_FLAGS(op)                                                                        \
    ((op) == LAMBDA_OP_create_function || (op) == LAMBDA_OP_update_function_code ? API_OPF_SLOW \
                                                                                 : 0u)

static const api_op_desc_t lambda_ops[] = {
#define XX(Name, name) {#Name, LAMBDA_FLAGS(LAMBDA_OP_##name)},
    LAMBDA_OP_MAP(XX)
#undef XX
};

/* The REST JSON protocol's error body and its headers. */
static void lambda_finish(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp)
{
    (void)ctx;
    if (resp->_err) {
        kv_buf_reset(&resp->body);
        api_jw_t w;
        api_jw_init(&w, &resp->body);
        api_jw_obj_begin(&w);
        api_jw_kstr(&w, "Type", resp->status >= 500 ? "Service" : "User");
        api_jw_kstr(&w, "message", resp->_msg ? resp->_msg : "");
        api_jw_obj_end(&w);
        api_resp_header(resp, "x-amzn-ErrorType", kv_slice_str(api_err_code(resp->_err)));
        api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/json"));
    }
    api_resp_header(resp, "x-amzn-RequestId", kv_slice_str(req->_st->request_id));
}

static const char *const lambda_scopes[] = {"lambda", NULL};
static const char *const lambda_paths[] = {"/2015-03-31/", "/2017-10-31/", "/2019-09-30/",
                                           "/2019-09-25/", NULL};

const api_service_t lambda_service = {
    .name = "lambda",
    .scopes = lambda_scopes,
    .path_prefixes = lambda_paths,
    .ops = lambda_ops,
    .n_ops = LAMBDA_OP__COUNT,
    .route = lambda_route,
    .body_limit = lambda_body_limit,
    .dispatch = lambda_dispatch,
    .hold = lambda_hold,
    .finish = lambda_finish,
    .ids = API_IDS_AMZN,
    .err_internal = API_E_LAMBDA_SERVICE,
    .err_throttle = API_E_LAMBDA_TOO_MANY,
    .err_too_large = API_E_DDB_TOO_LARGE, /* as the service has always answered */
    .err_stream_large = API_E_DDB_TOO_LARGE,
    .too_large_sized = true,
    .jobs = lambda_jobs,
    .n_jobs = LAMBDA_N_JOBS,
    .init = lambda_init,
    .fini = lambda_fini,
};
