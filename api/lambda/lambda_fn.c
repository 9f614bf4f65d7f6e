/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Lambda API's function management (REST JSON under /2015-03-31 and friends):
 * CreateFunction, GetFunction, GetFunctionConfiguration, ListFunctions, UpdateFunctionCode,
 * UpdateFunctionConfiguration, DeleteFunction, and reserved concurrency; with the names and
 * ARNs every Lambda operation resolves. Code arrives as a base64 zip or from Stratus's own S3,
 * is checked with libarchive and kept by the engine.
 */
#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "../s3/s3_sse.h" /* issue 16, package E: code in an encrypted object */
#include "base/kv_b64.h"
#include "base/kv_hash.h"
#include "base/kv_time.h"
#include "eng_fnlog.h"
#include "lambda_int.h"

#define ZIP_MAX         (50u << 20)  /* a direct upload's zip */
#define UNZIPPED_MAX    262144000ull /* the code once unzipped */
#define ENV_MAX_BYTES   4096
#define LIST_DEFAULT    50
#define TIMEOUT_MAX     900
#define MEMORY_MIN      128
#define MEMORY_MAX      10240
#define EPHEMERAL_MIN   512 /* EphemeralStorage.Size, MB */
#define EPHEMERAL_MAX   10240
#define CONCURRENCY_MAX 1000 /* the account's (default) limit */

/* Lambda's runtime identifiers this server runs (python3.x and nodejs*.x on the interpreter
 * the runner maps them to), and those Lambda has deprecated past the block on creating and
 * updating functions, refused with Lambda's message and the runtime it recommends. */
static const char *const RUNTIMES[] = {
    "provided",   "provided.al2", "provided.al2023", "python3.9",  "python3.10",
    "python3.11", "python3.12",   "python3.13",      "python3.14", "nodejs18.x",
    "nodejs20.x", "nodejs22.x",   "nodejs24.x",
};
static const struct {
    const char *name, *instead;
} DEPRECATED[] = {
    {"nodejs", "nodejs22.x"},     {"nodejs4.3", "nodejs22.x"},  {"nodejs4.3-edge", "nodejs22.x"},
    {"nodejs6.10", "nodejs22.x"}, {"nodejs8.10", "nodejs22.x"}, {"nodejs10.x", "nodejs22.x"},
    {"nodejs12.x", "nodejs22.x"}, {"nodejs14.x", "nodejs22.x"}, {"nodejs16.x", "nodejs22.x"},
    {"python2.7", "python3.13"},  {"python3.6", "python3.13"},  {"python3.7", "python3.13"},
    {"python3.8", "python3.13"},
};

/* ---- names and ARNs ---- */

void lambda_fn_arn(api_ctx_t *ctx, const char *name, char *out, size_t cap)
{
    api_arn_write(out, cap, "lambda", ctx->region, "function:%s", name);
}

bool lambda_arn_function(kv_slice_t arn, kv_slice_t *name)
{
    api_arn_t a;
    return api_arn_parse(arn, &a) && kv_slice_eq_str(a.service, "lambda") &&
           api_arn_name(&a, "function:", name);
}

bool lambda_arn_bucket(kv_slice_t arn, kv_slice_t *bucket)
{
    api_arn_t a;
    if (!api_arn_parse(arn, &a) || !kv_slice_eq_str(a.service, "s3") || a.region.len ||
        a.account.len)
        return false;
    *bucket = a.resource;
    return true;
}

/* A name ("name" or "name:qualifier"), a partial ARN ("123456789012:function:name") or an
 * ARN: the bare name and the qualifier (empty: none). */
int lambda_split_name(api_resp_t *resp, kv_slice_t in, kv_slice_t *out, kv_slice_t *qual_out)
{
    kv_slice_t n = in, qual = KV_SLICE_NULL;
    static const char marker[] = "function:";
    const uint8_t *f = in.len ? memmem(in.p, in.len, marker, sizeof(marker) - 1) : NULL;
    if (f)
        n = kv_slice(f + sizeof(marker) - 1, in.len - (size_t)(f - in.p) - (sizeof(marker) - 1));
    const uint8_t *q =
        n.len && (f || !kv_slice_starts_with(in, "arn:")) ? memchr(n.p, ':', n.len) : NULL;
    if (q) {
        qual = kv_slice(q + 1, n.len - (size_t)(q - n.p) - 1);
        n.len = (size_t)(q - n.p);
    }
    bool qual_ok = !q || (qual.len >= 1 && qual.len <= 128);
    for (size_t i = 0; qual_ok && i < qual.len; i++) {
        uint8_t c = qual.p[i];
        qual_ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '$';
    }
    if (!qual_ok || !eng_fnlog_group_ok(n)) /* a function name is its log group's */
        return api_refuse(
            resp, API_E_LAMBDA_VALIDATION,
            "1 validation error detected: Value '%.*s' at 'functionName' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: "
            "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?"
            "(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?",
            (int)(in.len > 200 ? 200 : in.len), (const char *)in.p);
    *out = n;
    *qual_out = qual;
    return 0;
}

/* Qualifiers other than $LATEST are for the operations that take them (lambda_target). */
int lambda_resolve_name(api_resp_t *resp, kv_slice_t in, kv_slice_t *out)
{
    kv_slice_t qual;
    if (lambda_split_name(resp, in, out, &qual) < 0)
        return -1;
    if (qual.len && !kv_slice_eq_str(qual, "$LATEST"))
        return api_refuse(resp, API_E_LAMBDA_NOT_FOUND, "Function not found: %.*s",
                          (int)(in.len > 200 ? 200 : in.len), (const char *)in.p);
    return 0;
}

int lambda_not_found(api_ctx_t *ctx, api_resp_t *resp, kv_slice_t name)
{
    char arn[256];
    api_arn_write(arn, sizeof(arn), "lambda", ctx->region, "function:%.*s",
                  (int)(name.len > 64 ? 64 : name.len), (const char *)name.p);
    return api_refuse(resp, API_E_LAMBDA_NOT_FOUND, "Function not found: %s", arn);
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
static int check_zip(api_resp_t *resp, kv_slice_t zip, uint64_t *unzipped)
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
    if (unzipped)
        *unzipped = total;
    if (rc < 0 || files == 0)
        return api_refuse(
            resp, API_E_LAMBDA_INVALID_PARAM,
            "Could not unzip uploaded file. Please check your file, then try to upload "
            "again.");
    return 0;
}

/* The Code object (or UpdateFunctionCode's body): a base64 ZipFile, or an object in
 * Stratus's S3. *zip is in the request's arena. */
int lambda_load_code(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *code,
                     kv_slice_t *zip, uint64_t *unzipped)
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
        if (s3_sse_read_internal(ctx, bucket, meta, rd) < 0) { /* issue 16, package E */
            eng_object_close(rd);
            return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                              "Error occurred while GetObject. S3 Error Code: InvalidRequest. S3 "
                              "Error Message: The object was stored using a form of Server Side "
                              "Encryption. The correct parameters must be provided to retrieve "
                              "the object.");
        }
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
            return lambda_engine_fail(resp, KV_EIO);
        *zip = kv_slice(buf, meta->size);
    } else {
        return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                          "Please provide a source for function code: ZipFile, or S3Bucket and "
                          "S3Key");
    }
    return check_zip(resp, *zip, unzipped);
}

void lambda_code_sha(kv_slice_t zip, char out[48])
{
    uint8_t md[32];
    unsigned n = 0;
    EVP_Digest(zip.p, zip.len, md, &n, EVP_sha256(), NULL);
    kv_buf_t b;
    kv_buf_init_on(&b, out, 48, 48);
    kv_b64_encode(&b, md, 32);
    out[b.len < 47 ? b.len : 47] = 0;
}

/* The members CreateFunction and UpdateFunctionConfiguration share, applied to f. */
/* Is key one of the variables Lambda reserves (its own, which a function may not set)? */
static bool env_reserved(const char *key)
{
    static const char *const reserved[] = {"_HANDLER",
                                           "_X_AMZN_TRACE_ID",
                                           "AWS_DEFAULT_REGION",
                                           "AWS_REGION",
                                           "AWS_EXECUTION_ENV",
                                           "AWS_LAMBDA_FUNCTION_NAME",
                                           "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                                           "AWS_LAMBDA_FUNCTION_VERSION",
                                           "AWS_LAMBDA_INITIALIZATION_TYPE",
                                           "AWS_LAMBDA_LOG_GROUP_NAME",
                                           "AWS_LAMBDA_LOG_STREAM_NAME",
                                           "AWS_ACCESS_KEY",
                                           "AWS_ACCESS_KEY_ID",
                                           "AWS_SECRET_ACCESS_KEY",
                                           "AWS_SESSION_TOKEN",
                                           "AWS_LAMBDA_RUNTIME_API",
                                           "LAMBDA_TASK_ROOT",
                                           "LAMBDA_RUNTIME_DIR"};
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (strcmp(key, reserved[i]) == 0)
            return true;
    return false;
}

static int apply_config(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                        eng_function_t *f)
{
    const api_json_t *v;
    if ((v = api_json_get(in, "Runtime")) && api_json_type(v) == API_J_STR) {
        kv_slice_t rt = api_json_str(v);
        bool known = false;
        for (size_t i = 0; i < sizeof(RUNTIMES) / sizeof(RUNTIMES[0]); i++)
            known |= kv_slice_eq_str(rt, RUNTIMES[i]);
        for (size_t i = 0; !known && i < sizeof(DEPRECATED) / sizeof(DEPRECATED[0]); i++)
            if (kv_slice_eq_str(rt, DEPRECATED[i].name))
                return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                                  "The runtime parameter of %s is no longer supported for "
                                  "creating or updating AWS Lambda functions. We recommend you "
                                  "use the new runtime (%s) while creating or updating functions.",
                                  DEPRECATED[i].name, DEPRECATED[i].instead);
        if (!known)
            return api_refuse(
                resp, API_E_LAMBDA_INVALID_PARAM,
                "Value %.*s at 'runtime' is not a runtime this server runs: provided, "
                "provided.al2, provided.al2023, python3.9 to python3.14, nodejs18.x, "
                "nodejs20.x, nodejs22.x, nodejs24.x",
                (int)(rt.len > 64 ? 64 : rt.len), (const char *)rt.p);
        f->runtime = lambda_dup_str(req, rt);
        const char *why = api_runtime_unavailable(ctx, f->runtime);
        if (why)
            return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM, "%s", why);
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
        /* issue 15, package T: the role must exist and trust Lambda */
        if (!api__fn_role_ok(ctx, r, req->arena))
            return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                              "The role defined for the function cannot be assumed by Lambda.");
        f->role = lambda_dup_str(req, r);
    }
    if ((v = api_json_get(in, "Handler")) && api_json_type(v) == API_J_STR) {
        kv_slice_t h = api_json_str(v);
        if (h.len > 128)
            return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                              "1 validation error detected: Value at 'handler' failed to satisfy "
                              "constraint: Member must have length less than or equal to 128");
        f->handler = lambda_dup_str(req, h);
    }
    if (lambda_description_in(req, resp, in, &f->description) < 0)
        return -1;
    int64_t n = 0;
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
    if ((v = api_json_get(in, "EphemeralStorage"))) {
        const api_json_t *size = api_json_type(v) == API_J_OBJ ? api_json_get(v, "Size") : NULL;
        if (size == NULL)
            return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                              "1 validation error detected: Value null at 'ephemeralStorage.size' "
                              "failed to satisfy constraint: Member must not be null");
        if (!api_json_int(size, &n) || n < EPHEMERAL_MIN || n > EPHEMERAL_MAX)
            return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                              "1 validation error detected: Value '%lld' at "
                              "'ephemeralStorage.size' failed to satisfy constraint: Member must "
                              "have value %s",
                              (long long)n,
                              n < EPHEMERAL_MIN ? "greater than or equal to 512"
                                                : "less than or equal to 10240");
        f->ephemeral_mb = (uint32_t)n;
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
            f->env[f->n_env++].value = lambda_dup_str(req, sv);
        }
        if (bytes > ENV_MAX_BYTES)
            return api_refuse(
                resp, API_E_LAMBDA_INVALID_PARAM,
                "Lambda was unable to configure your environment variables because the "
                "environment variables you have provided exceeded the 4KB limit. String "
                "measured: %zu bytes",
                bytes);
        /* The variables Lambda sets itself cannot be given (the keys, the runtime's own). */
        char used[1024] = "";
        size_t ul = 0;
        for (size_t i = 0; i < f->n_env && ul + 64 < sizeof(used); i++)
            if (env_reserved(f->env[i].key))
                ul += (size_t)snprintf(used + ul, sizeof(used) - ul, "%s%s", ul ? ", " : "",
                                       f->env[i].key);
        if (ul)
            return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                              "Lambda was unable to configure your environment variables because "
                              "the environment variables you have provided contains reserved "
                              "keys that are currently not supported for modification. Reserved "
                              "keys used in this request: %s",
                              used);
    }
    return 0;
}

/* LoggingConfig: fields given replace those stored; levels only with JSON (Lambda's rule). */
static int apply_logging(api_req_t *req, api_resp_t *resp, const api_json_t *in, eng_function_t *f)
{
    const api_json_t *lc = api_json_get(in, "LoggingConfig");
    if (lc == NULL)
        return 0;
    if (api_json_type(lc) != API_J_OBJ)
        return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM, "LoggingConfig must be an object");
    static const char *const formats[] = {"Text", "JSON", NULL};
    static const char *const app_levels[] = {"TRACE", "DEBUG", "INFO", "WARN",
                                             "ERROR", "FATAL", NULL};
    static const char *const sys_levels[] = {"DEBUG", "INFO", "WARN", NULL};
    static const struct {
        const char *key, *field, *set;
        const char *const *allowed;
    } rows[] = {
        {"LogFormat", "loggingConfig.logFormat", "[JSON, Text]", formats},
        {"ApplicationLogLevel", "loggingConfig.applicationLogLevel",
         "[TRACE, DEBUG, INFO, WARN, ERROR, FATAL]", app_levels},
        {"SystemLogLevel", "loggingConfig.systemLogLevel", "[DEBUG, INFO, WARN]", sys_levels},
    };
    const char *got[3] = {NULL, NULL, NULL};
    for (size_t r = 0; r < 3; r++) {
        const api_json_t *v = api_json_get(lc, rows[r].key);
        if (v == NULL)
            continue;
        kv_slice_t sv = api_json_type(v) == API_J_STR ? api_json_str(v) : KV_SLICE_NULL;
        for (size_t i = 0; rows[r].allowed[i] && !got[r]; i++)
            if (kv_slice_eq_str(sv, rows[r].allowed[i]))
                got[r] = rows[r].allowed[i];
        if (!got[r])
            return api_refuse(resp, API_E_LAMBDA_VALIDATION,
                              "1 validation error detected: Value '%.*s' at '%s' failed to "
                              "satisfy constraint: Member must satisfy enum value set: %s",
                              (int)(sv.len > 64 ? 64 : sv.len), (const char *)sv.p, rows[r].field,
                              rows[r].set);
    }
    const api_json_t *gv = api_json_get(lc, "LogGroup");
    if (gv) {
        kv_slice_t g = api_json_type(gv) == API_J_STR ? api_json_str(gv) : KV_SLICE_NULL;
        if (!eng_fnlog_group_name_ok(g))
            return api_refuse(
                resp, API_E_LAMBDA_VALIDATION,
                "1 validation error detected: Value '%.*s' at 'loggingConfig.logGroup' failed to "
                "satisfy constraint: Member must satisfy regular expression pattern: "
                "[\\.\\-_/#A-Za-z0-9]+",
                (int)(g.len > 64 ? 64 : g.len), (const char *)g.p);
        f->log_group = lambda_dup_str(req, g);
    }
    const char *format = got[0] ? got[0] : (f->log_format ? f->log_format : "Text");
    if (strcmp(format, "Text") == 0) {
        if (got[1] || got[2])
            return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                              "LogLevel is not supported when LogFormat is set to \"Text\". "
                              "Remove LogLevel from your request or change the LogFormat to "
                              "\"Json\" and try again.");
        f->app_log_level = f->sys_log_level = NULL;
    } else {
        if (got[1])
            f->app_log_level = got[1];
        if (got[2])
            f->sys_log_level = got[2];
    }
    f->log_format = format;
    return 0;
}

void lambda_fn_log_group(const eng_function_t *f, char *out, size_t cap)
{
    if (f->log_group && f->log_group[0])
        snprintf(out, cap, "%s", f->log_group);
    else
        snprintf(out, cap, "/aws/lambda/%s", f->name);
}

/* ---- responses ---- */

void lambda_encode_config(api_ctx_t *ctx, const eng_function_t *f, const char *qual, api_jw_t *w)
{
    char arn[400], ts[40], ver[16];
    lambda_fn_arn(ctx, f->name, arn, sizeof(arn));
    if (qual && strlen(arn) + strlen(qual) + 2 < sizeof(arn)) {
        strcat(arn, ":");
        strcat(arn, qual);
    }
    snprintf(ver, sizeof(ver), "%u", f->version);
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
    api_jw_kstr(w, "Version", f->version ? ver : "$LATEST");
    if (f->n_layers) {
        api_jw_key(w, "Layers");
        api_jw_arr_begin(w);
        kv_arena_t *a = kv_arena_new(4096);
        for (size_t i = 0; i < f->n_layers; i++) {
            api_jw_obj_begin(w);
            api_jw_kstr(w, "Arn", f->layers[i]);
            eng_layer_t *l;
            kv_slice_t ln;
            uint32_t lv;
            if (lambda_layer_arn_parse(kv_slice_str(f->layers[i]), &ln, &lv) &&
                eng_layer_get(ctx->eng, ln, lv, a, &l) == 0)
                api_jw_ku64(w, "CodeSize", l->code_size);
            api_jw_obj_end(w);
        }
        kv_arena_free(a);
        api_jw_arr_end(w);
    }
    if (f->n_env) {
        api_jw_key(w, "Environment");
        api_jw_obj_begin(w);
        lambda_jw_map(w, "Variables", f->env, f->n_env);
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
    api_jw_ku64(w, "Size", f->ephemeral_mb ? f->ephemeral_mb : EPHEMERAL_MIN);
    api_jw_obj_end(w);
    api_jw_key(w, "LoggingConfig");
    api_jw_obj_begin(w);
    bool json = f->log_format && strcmp(f->log_format, "JSON") == 0;
    api_jw_kstr(w, "LogFormat", json ? "JSON" : "Text");
    if (json) { /* Lambda shows the levels (INFO by default) only with JSON */
        api_jw_kstr(w, "ApplicationLogLevel", f->app_log_level ? f->app_log_level : "INFO");
        api_jw_kstr(w, "SystemLogLevel", f->sys_log_level ? f->sys_log_level : "INFO");
    }
    char group[ENG_FNLOG_GROUP_MAX + 1];
    lambda_fn_log_group(f, group, sizeof(group));
    api_jw_kstr(w, "LogGroup", group);
    api_jw_obj_end(w);
    api_jw_obj_end(w);
}

/* ---- operations ---- */

int lambda_fn_save(api_ctx_t *ctx, api_resp_t *resp, eng_function_t *f)
{
    int rc = eng_function_put(ctx->eng, f, KV_SLICE_NULL, ENG_FN_UPDATE);
    if (rc < 0)
        return lambda_engine_fail(resp, rc);
    resp->durable = true;
    return 0;
}

int lambda_load_fn(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t raw,
                   eng_function_t **f)
{
    kv_slice_t name;
    if (lambda_resolve_name(resp, raw, &name) < 0)
        return -1;
    int rc = eng_function_get(ctx->eng, name, req->arena, f);
    if (rc == KV_ENOTFOUND)
        return lambda_not_found(ctx, resp, name);
    return rc < 0 ? lambda_engine_fail(resp, rc) : 0;
}

int lambda_op_create(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, api_jw_t *w)
{
    const api_json_t *in = lambda_body_json(req, resp);
    if (in == NULL)
        return -1;
    const api_json_t *n = api_json_get(in, "FunctionName");
    if (n == NULL || api_json_type(n) != API_J_STR)
        return api_refuse(
            resp, API_E_LAMBDA_VALIDATION,
            "1 validation error detected: Value null at 'functionName' failed to satisfy "
            "constraint: Member must not be null");
    kv_slice_t name;
    if (lambda_resolve_name(resp, api_json_str(n), &name) < 0)
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
    f.name = lambda_dup_str(req, name);
    f.timeout_s = 3;
    f.memory_mb = 128;
    f.reserved = -1;
    f.arch = "x86_64";
    if (apply_config(ctx, req, resp, in, &f) < 0 || apply_logging(req, resp, in, &f) < 0)
        return -1;
    if (f.runtime == NULL)
        return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                          "Runtime is required for a function packaged as a zip");
    const api_json_t *arch = api_json_get(in, "Architectures");
    if (arch && api_json_type(arch) == API_J_ARR && api_json_len(arch) == 1 &&
        api_json_type(api_json_at(arch, 0)) == API_J_STR)
        f.arch = lambda_dup_str(req, api_json_str(api_json_at(arch, 0)));
    if (lambda_apply_layers(ctx, req, resp, in, &f) < 0 ||
        lambda_tags_in(req, resp, api_json_get(in, "Tags"), &f.tags, &f.n_tags) < 0)
        return -1;
    kv_slice_t zip;
    if (lambda_load_code(ctx, req, resp, code, &zip, &f.unzipped_size) < 0 ||
        lambda_layers_fit(ctx, req, resp, &f) < 0)
        return -1;
    f.code_size = zip.len;
    lambda_code_sha(zip, f.code_sha256);
    kv_uuid4(f.revision);
    f.created_ms = f.modified_ms = kv_now_ms();
    int rc = eng_function_put(ctx->eng, &f, zip, ENG_FN_CREATE);
    if (rc == KV_EEXIST)
        return api_refuse(resp, API_E_LAMBDA_CONFLICT, "Function already exist: %s", f.name);
    if (rc < 0)
        return lambda_engine_fail(resp, rc);
    resp->durable = true;
    const api_json_t *pub = api_json_get(in, "Publish");
    if (pub && api_json_type(pub) == API_J_BOOL && api_json_bool(pub))
        return lambda_publish(ctx, req, resp, &f, NULL, 201, w);
    lambda_respond_json(resp, 201);
    lambda_encode_config(ctx, &f, NULL, w);
    return 0;
}

int lambda_op_update(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t raw, bool code,
                     api_jw_t *w)
{
    const api_json_t *in = lambda_body_json(req, resp);
    eng_function_t *cur;
    if (in == NULL || lambda_load_fn(ctx, req, resp, raw, &cur) < 0)
        return -1;
    if (lambda_revision_check(resp, lambda_str_member(in, "RevisionId"), cur->revision,
                              "GetFunction/GetAlias") < 0)
        return -1;
    eng_function_t f = *cur;
    kv_slice_t zip = KV_SLICE_NULL;
    if (code) {
        if (lambda_load_code(ctx, req, resp, in, &zip, &f.unzipped_size) < 0 ||
            lambda_layers_fit(ctx, req, resp, &f) < 0)
            return -1;
        f.code_size = zip.len;
        lambda_code_sha(zip, f.code_sha256);
    } else if (apply_config(ctx, req, resp, in, &f) < 0 || apply_logging(req, resp, in, &f) < 0 ||
               lambda_apply_layers(ctx, req, resp, in, &f) < 0) {
        return -1;
    }
    kv_uuid4(f.revision);
    f.modified_ms = kv_now_ms();
    int rc = eng_function_put(ctx->eng, &f, zip, ENG_FN_UPDATE);
    if (rc == KV_ENOTFOUND)
        return lambda_not_found(ctx, resp, kv_slice_str(cur->name));
    if (rc < 0)
        return lambda_engine_fail(resp, rc);
    resp->durable = true;
    const api_json_t *pub = api_json_get(in, "Publish");
    if (pub && api_json_type(pub) == API_J_BOOL && api_json_bool(pub))
        return lambda_publish(ctx, req, resp, &f, NULL, 200, w);
    lambda_respond_json(resp, 200);
    lambda_encode_config(ctx, &f, NULL, w);
    return 0;
}

int lambda_op_get(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t raw, bool whole,
                  api_jw_t *w)
{
    lambda_target_t t;
    if (lambda_target(ctx, req, resp, raw, &t) < 0)
        return -1;
    eng_function_t *f = t.f;
    lambda_respond_json(resp, 200);
    if (!whole) {
        lambda_encode_config(ctx, f, t.qual, w);
        return 0;
    }
    api_jw_obj_begin(w);
    api_jw_key(w, "Configuration");
    lambda_encode_config(ctx, f, t.qual, w);
    api_jw_key(w, "Code");
    api_jw_obj_begin(w);
    api_jw_kstr(w, "RepositoryType", "S3");
    char loc[512];
    snprintf(loc, sizeof(loc), "file://functions/%u.zip", f->code_id);
    api_jw_kstr(w, "Location", loc);
    api_jw_obj_end(w);
    if (t.latest->n_tags)
        lambda_jw_map(w, "Tags", t.latest->tags, t.latest->n_tags);
    if (t.latest->reserved >= 0) {
        api_jw_key(w, "Concurrency");
        api_jw_obj_begin(w);
        api_jw_ku64(w, "ReservedConcurrentExecutions", (uint64_t)t.latest->reserved);
        api_jw_obj_end(w);
    }
    api_jw_obj_end(w);
    return 0;
}

int lambda_op_list(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, api_jw_t *w)
{
    kv_slice_t marker = KV_SLICE_NULL;
    size_t limit = LIST_DEFAULT;
    api_req_query(req, "Marker", &marker);
    if (lambda_max_items(req, resp, &limit) < 0)
        return -1;
    eng_function_t *list;
    size_t n;
    bool more;
    int rc = eng_function_list(ctx->eng, marker, limit, req->arena, &list, &n, &more);
    if (rc < 0)
        return lambda_engine_fail(resp, rc);
    lambda_respond_json(resp, 200);
    api_jw_obj_begin(w);
    api_jw_key(w, "Functions");
    api_jw_arr_begin(w);
    for (size_t i = 0; i < n; i++)
        lambda_encode_config(ctx, &list[i], NULL, w);
    api_jw_arr_end(w);
    if (more && n)
        api_jw_kstr(w, "NextMarker", list[n - 1].name);
    api_jw_obj_end(w);
    return 0;
}

int lambda_op_delete(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t raw)
{
    kv_slice_t name, qual, q2;
    if (lambda_split_name(resp, raw, &name, &qual) < 0)
        return -1;
    if (api_req_query(req, "Qualifier", &q2) && q2.len) {
        if (qual.len && !kv_slice_eq(qual, q2))
            return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                              "The derived qualifier from the function name does not match the "
                              "specified qualifier.");
        qual = q2;
    }
    if (qual.len && !kv_slice_eq_str(qual, "$LATEST"))
        return lambda_delete_version(ctx, resp, name, qual);
    if (qual.len)
        return api_refuse(resp, API_E_LAMBDA_INVALID_PARAM,
                          "$LATEST version cannot be deleted without deleting the function.");
    int rc = eng_function_delete(ctx->eng, name);
    if (rc == KV_ENOTFOUND)
        return lambda_not_found(ctx, resp, name);
    if (rc < 0)
        return lambda_engine_fail(resp, rc);
    resp->durable = true;
    resp->status = 204;
    return 0;
}

int lambda_op_concurrency(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, kv_slice_t raw, int op,
                          api_jw_t *w)
{
    eng_function_t *f;
    if (lambda_load_fn(ctx, req, resp, raw, &f) < 0)
        return -1;
    if (op == LAMBDA_OP_put_function_concurrency) {
        const api_json_t *in = lambda_body_json(req, resp);
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
    if (op != LAMBDA_OP_get_function_concurrency && lambda_fn_save(ctx, resp, f) < 0)
        return -1;
    if (op == LAMBDA_OP_delete_function_concurrency) {
        resp->status = 204;
        return 0;
    }
    lambda_respond_json(resp, 200);
    api_jw_obj_begin(w);
    if (f->reserved >= 0)
        api_jw_ku64(w, "ReservedConcurrentExecutions", (uint64_t)f->reserved);
    api_jw_obj_end(w);
    return 0;
}
