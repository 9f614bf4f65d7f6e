/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Lambda functions: definitions in the catalog ('F' + name, TLV records) and their code as
 * zip files under <data dir>/functions/<code id>.zip, written and synced before the record
 * that names them commits. A replaced or deleted function's old file is removed after.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/kv_alloc.h"
#include "base/kv_log.h"
#include "eng_int.h"
#include "eng_tlv.h"

enum {
    F_NAME = 1,
    F_ID,
    F_RUNTIME,
    F_ROLE,
    F_HANDLER,
    F_DESCRIPTION,
    F_TIMEOUT,
    F_MEMORY,
    F_ENV,
    F_TAG,
    F_MODIFIED,
    F_CODE_SIZE,
    F_CODE_SHA,
    F_CODE_ID,
    F_REVISION,
    F_RESERVED,
    F_ARCH,
    F_CREATED,
    F_EVENT_CONFIG,
    F_EPHEMERAL = 20,
    /* versions, layers and policy (issue 13, package D) */
    F_VERSION = 30,
    F_LAST_VERSION = 31,
    F_PUB_REVISION = 32,
    F_LAYER = 33,
    F_STATEMENT = 34,
    /* LoggingConfig: tags 50..59 */
    F_LOG_FORMAT = 50,
    F_APP_LOG_LEVEL = 51,
    F_SYS_LOG_LEVEL = 52,
    F_LOG_GROUP = 53,
    /* the code's unzipped size (issue 13, package H) */
    F_UNZIPPED = 35,
};

void eng_function_code_path(eng_t *e, uint32_t code_id, char *out, size_t cap)
{
    snprintf(out, cap, "%s/functions/%u.zip", e->dir, code_id);
}

void eng__function_encode(const eng_function_t *f, kv_buf_t *b)
{
    eng_tlv_put_str(b, F_NAME, f->name);
    eng_tlv_put_u64(b, F_ID, f->id);
    eng_tlv_put_str(b, F_RUNTIME, f->runtime ? f->runtime : "");
    eng_tlv_put_str(b, F_ROLE, f->role ? f->role : "");
    eng_tlv_put_str(b, F_HANDLER, f->handler ? f->handler : "");
    eng_tlv_put_str(b, F_DESCRIPTION, f->description ? f->description : "");
    eng_tlv_put_u64(b, F_TIMEOUT, f->timeout_s);
    eng_tlv_put_u64(b, F_MEMORY, f->memory_mb);
    eng__put_pairs(b, F_ENV, f->env, f->n_env);
    eng__put_pairs(b, F_TAG, f->tags, f->n_tags);
    eng_tlv_put_u64(b, F_MODIFIED, (uint64_t)f->modified_ms);
    eng_tlv_put_u64(b, F_CREATED, (uint64_t)f->created_ms);
    eng_tlv_put_u64(b, F_CODE_SIZE, f->code_size);
    eng_tlv_put_str(b, F_CODE_SHA, f->code_sha256);
    eng_tlv_put_u64(b, F_CODE_ID, f->code_id);
    eng_tlv_put_str(b, F_REVISION, f->revision);
    eng_tlv_put_u64(b, F_RESERVED, (uint64_t)(int64_t)f->reserved);
    eng_tlv_put_str(b, F_ARCH, f->arch ? f->arch : "x86_64");
    if (f->event_config)
        eng_tlv_put_str(b, F_EVENT_CONFIG, f->event_config);
    if (f->ephemeral_mb)
        eng_tlv_put_u64(b, F_EPHEMERAL, f->ephemeral_mb);
    if (f->version)
        eng_tlv_put_u64(b, F_VERSION, f->version);
    if (f->last_version)
        eng_tlv_put_u64(b, F_LAST_VERSION, f->last_version);
    if (f->pub_revision[0])
        eng_tlv_put_str(b, F_PUB_REVISION, f->pub_revision);
    for (size_t i = 0; i < f->n_layers; i++)
        eng_tlv_put_str(b, F_LAYER, f->layers[i]);
    for (size_t i = 0; i < f->n_statements; i++)
        eng_tlv_put_str(b, F_STATEMENT, f->statements[i]);
    if (f->log_format)
        eng_tlv_put_str(b, F_LOG_FORMAT, f->log_format);
    if (f->app_log_level)
        eng_tlv_put_str(b, F_APP_LOG_LEVEL, f->app_log_level);
    if (f->sys_log_level)
        eng_tlv_put_str(b, F_SYS_LOG_LEVEL, f->sys_log_level);
    if (f->log_group)
        eng_tlv_put_str(b, F_LOG_GROUP, f->log_group);
    if (f->unzipped_size)
        eng_tlv_put_u64(b, F_UNZIPPED, f->unzipped_size);
}

static const eng_tlv_field_t function_fields[] = {
    ENG_TLV_ROW(F_NAME, ENG_TLV_STR, eng_function_t, name, .required = true),
    ENG_TLV_ROW(F_ID, ENG_TLV_U32, eng_function_t, id),
    ENG_TLV_ROW(F_RUNTIME, ENG_TLV_STR, eng_function_t, runtime),
    ENG_TLV_ROW(F_ROLE, ENG_TLV_STR, eng_function_t, role),
    ENG_TLV_ROW(F_HANDLER, ENG_TLV_STR, eng_function_t, handler),
    ENG_TLV_ROW(F_DESCRIPTION, ENG_TLV_STR, eng_function_t, description),
    ENG_TLV_ROW(F_TIMEOUT, ENG_TLV_U32, eng_function_t, timeout_s),
    ENG_TLV_ROW(F_MEMORY, ENG_TLV_U32, eng_function_t, memory_mb),
    ENG_TLV_LIST_ROW(F_ENV, ENG_TLV_PAIR_LIST, eng_function_t, env, n_env),
    ENG_TLV_LIST_ROW(F_TAG, ENG_TLV_PAIR_LIST, eng_function_t, tags, n_tags),
    ENG_TLV_ROW(F_MODIFIED, ENG_TLV_I64, eng_function_t, modified_ms),
    ENG_TLV_ROW(F_CODE_SIZE, ENG_TLV_U64, eng_function_t, code_size),
    ENG_TLV_ROW(F_CODE_SHA, ENG_TLV_CHARS, eng_function_t, code_sha256,
                .size = sizeof(((eng_function_t *)0)->code_sha256)),
    ENG_TLV_ROW(F_CODE_ID, ENG_TLV_U32, eng_function_t, code_id),
    ENG_TLV_ROW(F_REVISION, ENG_TLV_CHARS, eng_function_t, revision,
                .size = sizeof(((eng_function_t *)0)->revision)),
    ENG_TLV_ROW(F_RESERVED, ENG_TLV_I32, eng_function_t, reserved),
    ENG_TLV_ROW(F_ARCH, ENG_TLV_STR, eng_function_t, arch),
    ENG_TLV_ROW(F_CREATED, ENG_TLV_I64, eng_function_t, created_ms),
    ENG_TLV_ROW(F_EVENT_CONFIG, ENG_TLV_STR, eng_function_t, event_config),
    ENG_TLV_ROW(F_EPHEMERAL, ENG_TLV_U32, eng_function_t, ephemeral_mb),
    ENG_TLV_ROW(F_VERSION, ENG_TLV_U32, eng_function_t, version),
    ENG_TLV_ROW(F_LAST_VERSION, ENG_TLV_U32, eng_function_t, last_version),
    ENG_TLV_ROW(F_PUB_REVISION, ENG_TLV_CHARS, eng_function_t, pub_revision,
                .size = sizeof(((eng_function_t *)0)->pub_revision)),
    ENG_TLV_LIST_ROW(F_LAYER, ENG_TLV_STR_LIST, eng_function_t, layers, n_layers),
    ENG_TLV_LIST_ROW(F_STATEMENT, ENG_TLV_STR_LIST, eng_function_t, statements, n_statements),
    ENG_TLV_ROW(F_LOG_FORMAT, ENG_TLV_STR, eng_function_t, log_format),
    ENG_TLV_ROW(F_APP_LOG_LEVEL, ENG_TLV_STR, eng_function_t, app_log_level),
    ENG_TLV_ROW(F_SYS_LOG_LEVEL, ENG_TLV_STR, eng_function_t, sys_log_level),
    ENG_TLV_ROW(F_LOG_GROUP, ENG_TLV_STR, eng_function_t, log_group),
    ENG_TLV_ROW(F_UNZIPPED, ENG_TLV_U64, eng_function_t, unzipped_size),
};

int eng__function_decode(kv_slice_t in, kv_arena_t *a, eng_function_t **out)
{
    eng_function_t *f = kv_arena_calloc(a, 1, sizeof(*f));
    int rc = eng_tlv_decode(in, function_fields, sizeof(function_fields) / sizeof(*function_fields),
                            a, f);
    if (rc < 0)
        return rc;
    *out = f;
    return 0;
}

/* Write the zip (and sync it and its directory) before any record names it. */
int eng__code_write(eng_t *e, uint32_t code_id, kv_slice_t zip)
{
    char dir[4096], path[4200];
    snprintf(dir, sizeof(dir), "%s/functions", e->dir);
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return KV_EIO;
    if (!eng_space_room(e, zip.len)) /* code files live beside the database: the same guard */
        return KV_ENOSPACE;
    eng_function_code_path(e, code_id, path, sizeof(path));
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return KV_EIO;
    size_t off = 0;
    int rc = 0;
    while (off < zip.len) {
        ssize_t w = write(fd, zip.p + off, zip.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = w < 0 && (errno == ENOSPC || errno == EDQUOT) ? KV_ENOSPACE : KV_EIO;
            break;
        }
        off += (size_t)w;
    }
    if (rc == 0 && fdatasync(fd) < 0)
        rc = errno == ENOSPC || errno == EDQUOT ? KV_ENOSPACE : KV_EIO;
    close(fd);
    if (rc == 0) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    } else {
        unlink(path);
    }
    return rc;
}

void eng__code_drop(eng_t *e, uint32_t code_id)
{
    char path[4200];
    eng_function_code_path(e, code_id, path, sizeof(path));
    if (unlink(path) < 0 && errno != ENOENT)
        KV_LOG_WARN("cannot remove %s: %s", path, strerror(errno));
}

int eng__function_read(eng_t *e, kv_slice_t key, kv_arena_t *a, eng_function_t **out)
{
    kv_slice_t v;
    int rc = eng__rec_get(e, key, a, &v);
    if (rc == 0)
        rc = eng__function_decode(v, a, out);
    return rc;
}

int eng_function_get(eng_t *e, kv_slice_t name, kv_arena_t *a, eng_function_t **out)
{
    kv_buf_t k;
    kv_buf_init(&k, 256);
    eng__cat_key(&k, ENG_CAT_FUNCTION, name);
    int rc = eng__function_read(e, kv_buf_slice(&k), a, out);
    kv_buf_dispose(&k);
    return rc;
}

int eng_function_put(eng_t *e, eng_function_t *f, kv_slice_t zip, int mode)
{
    kv_buf_t k, v;
    kv_buf_init(&k, 256);
    kv_buf_init(&v, 1 << 20);
    eng__cat_key(&k, ENG_CAT_FUNCTION, kv_slice_str(f->name));
    /* New code goes to a file of its own first; the record then switches to it at once. */
    uint32_t code_id = 0;
    int rc = 0;
    if (zip.p) {
        rc = eng__take_id(e, &code_id);
        if (rc == 0)
            rc = eng__code_write(e, code_id, zip);
    }
    uint32_t old_code = 0;
    if (rc == 0) {
        pthread_mutex_lock(&e->cat_lock);
        kv_arena_t *a = kv_arena_new(4096);
        eng_function_t *cur = NULL;
        rc = eng__function_read(e, kv_buf_slice(&k), a, &cur);
        if (mode == ENG_FN_CREATE && rc == 0)
            rc = KV_EEXIST;
        else if (mode == ENG_FN_CREATE && rc == KV_ENOTFOUND)
            rc = 0;
        if (rc == 0) {
            eng_batch_t *b = eng_batch_new(e->rocks);
            if (cur) {
                f->id = cur->id;
                f->created_ms = cur->created_ms;
                f->last_version = cur->last_version; /* publishing owns these */
                memcpy(f->pub_revision, cur->pub_revision, sizeof(f->pub_revision));
                if (!zip.p) { /* the configuration only: the code stays */
                    f->code_id = cur->code_id;
                    f->code_size = cur->code_size;
                    memcpy(f->code_sha256, cur->code_sha256, sizeof(f->code_sha256));
                } else if (!eng__code_in_versions(e, kv_slice_str(f->name), cur->code_id)) {
                    old_code = cur->code_id; /* no published version runs it */
                }
            } else {
                f->id = eng__next_id(e, b);
            }
            if (zip.p)
                f->code_id = code_id;
            kv_buf_reset(&v);
            eng__function_encode(f, &v);
            eng_batch_put(b, ENG_CF_CATALOG, kv_buf_slice(&k), kv_buf_slice(&v));
            rc = kv_buf_failed(&v) ? KV_ETOOBIG : eng__write(e, b);
            eng_batch_free(b);
        }
        kv_arena_free(a);
        pthread_mutex_unlock(&e->cat_lock);
    }
    if (rc < 0 && code_id)
        eng__code_drop(e, code_id);
    if (rc == 0 && old_code)
        eng__code_drop(e, old_code);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

int eng_function_delete(eng_t *e, kv_slice_t name)
{
    kv_buf_t k;
    kv_buf_init(&k, 256);
    eng__cat_key(&k, ENG_CAT_FUNCTION, name);
    kv_arena_t *a = kv_arena_new(4096);
    pthread_mutex_lock(&e->cat_lock);
    eng_function_t *cur = NULL;
    int rc = eng__function_read(e, kv_buf_slice(&k), a, &cur);
    uint32_t *codes = NULL;
    size_t n_codes = 0;
    if (rc == 0) {
        eng_batch_t *b = eng_batch_new(e->rocks);
        eng_batch_delete(b, ENG_CF_CATALOG, kv_buf_slice(&k));
        /* its versions and aliases go with it */
        rc = eng__versions_drop(e, b, name, a, &codes, &n_codes);
        if (rc == 0)
            rc = eng__fnurl_drop(e, b, name, KV_SLICE_NULL); /* its URL configurations go with it */
        if (rc == 0)
            rc = eng__write(e, b);
        eng_batch_free(b);
    }
    pthread_mutex_unlock(&e->cat_lock);
    if (rc == 0) {
        eng__code_drop(e, cur->code_id);
        for (size_t i = 0; i < n_codes; i++)
            if (codes[i] != cur->code_id)
                eng__code_drop(e, codes[i]);
    }
    kv_arena_free(a);
    kv_buf_dispose(&k);
    return rc;
}

typedef struct fn_page {
    kv_arena_t *a;
    eng_function_t *fns;
    eng_mapping_t *maps;
} fn_page_t;

static int take_function(void *arg, size_t i, kv_slice_t name, kv_slice_t value)
{
    fn_page_t *p = arg;
    eng_function_t *f;
    (void)name;
    int rc = eng__function_decode(kv_arena_dup(p->a, value), p->a, &f);
    if (rc == 0)
        p->fns[i] = *f;
    return rc;
}

int eng_function_list(eng_t *e, kv_slice_t after, size_t limit, kv_arena_t *a, eng_function_t **out,
                      size_t *n, bool *more)
{
    fn_page_t p = {a, kv_arena_calloc(a, limit ? limit : 1, sizeof(**out)), NULL};
    *out = p.fns;
    return eng__cat_page(e, ENG_CAT_FUNCTION, after, limit, take_function, &p, n, more);
}

/* ---- event source mappings ---- */

enum {
    M_UUID = 1,
    M_FUNCTION,
    M_SOURCE,
    M_STREAM,
    M_BATCH,
    M_WINDOW,
    M_PARALLEL,
    M_START,
    M_START_MS,
    M_PATTERN,
    M_RETRIES,
    M_AGE,
    M_FLAGS,
    M_ON_FAILURE,
    M_MODIFIED,
    /* SQS sources (issue 14, package W2) */
    M_SOURCE_KIND,
    M_CONCURRENCY,
};

static void encode_mapping(const void *rec, kv_buf_t *b)
{
    const eng_mapping_t *m = rec;
    eng_tlv_put_str(b, M_UUID, m->uuid);
    eng_tlv_put_str(b, M_FUNCTION, m->function);
    eng_tlv_put_str(b, M_SOURCE, m->source_arn);
    eng_tlv_put_u64(b, M_STREAM, m->stream_id);
    eng_tlv_put_u64(b, M_BATCH, m->batch_size);
    eng_tlv_put_u64(b, M_WINDOW, m->window_s);
    eng_tlv_put_u64(b, M_PARALLEL, m->parallel);
    eng_tlv_put_u64(b, M_START, m->start);
    eng_tlv_put_u64(b, M_START_MS, (uint64_t)m->start_ms);
    for (size_t i = 0; i < m->n_patterns; i++)
        eng_tlv_put_str(b, M_PATTERN, m->patterns[i]);
    eng_tlv_put_u64(b, M_RETRIES, (uint64_t)(int64_t)m->max_retries);
    eng_tlv_put_u64(b, M_AGE, (uint64_t)(int64_t)m->max_age_s);
    eng_tlv_put_u64(b, M_FLAGS,
                    (uint64_t)m->bisect | (uint64_t)m->report_failures << 1 |
                        (uint64_t)m->enabled << 2);
    if (m->on_failure)
        eng_tlv_put_str(b, M_ON_FAILURE, m->on_failure);
    eng_tlv_put_u64(b, M_MODIFIED, (uint64_t)m->modified_ms);
    if (m->source != ENG_SOURCE_STREAM)
        eng_tlv_put_u64(b, M_SOURCE_KIND, m->source);
    if (m->max_concurrency)
        eng_tlv_put_u64(b, M_CONCURRENCY, m->max_concurrency);
}

/* M_FLAGS: bisect, report_failures and enabled as bits 0, 1 and 2. */
static int decode_flags(kv_slice_t v, kv_arena_t *a, void *dst)
{
    (void)a;
    eng_mapping_t *m = dst;
    uint64_t u;
    if (!eng_tlv_u64(v, &u))
        return KV_ECORRUPT;
    m->bisect = u & 1;
    m->report_failures = u & 2;
    m->enabled = u & 4;
    return 0;
}

static const eng_tlv_field_t mapping_fields[] = {
    ENG_TLV_ROW(M_UUID, ENG_TLV_CHARS, eng_mapping_t, uuid, .required = true,
                .size = sizeof(((eng_mapping_t *)0)->uuid)),
    ENG_TLV_ROW(M_FUNCTION, ENG_TLV_STR, eng_mapping_t, function, .required = true),
    ENG_TLV_ROW(M_SOURCE, ENG_TLV_STR, eng_mapping_t, source_arn, .required = true),
    ENG_TLV_ROW(M_STREAM, ENG_TLV_U32, eng_mapping_t, stream_id),
    ENG_TLV_ROW(M_BATCH, ENG_TLV_U32, eng_mapping_t, batch_size),
    ENG_TLV_ROW(M_WINDOW, ENG_TLV_U32, eng_mapping_t, window_s),
    ENG_TLV_ROW(M_PARALLEL, ENG_TLV_U32, eng_mapping_t, parallel),
    ENG_TLV_ROW(M_START, ENG_TLV_ENUM, eng_mapping_t, start, .max = ENG_START_AT_TIMESTAMP),
    ENG_TLV_ROW(M_START_MS, ENG_TLV_I64, eng_mapping_t, start_ms),
    ENG_TLV_LIST_ROW(M_PATTERN, ENG_TLV_STR_LIST, eng_mapping_t, patterns, n_patterns),
    ENG_TLV_ROW(M_RETRIES, ENG_TLV_I32, eng_mapping_t, max_retries),
    ENG_TLV_ROW(M_AGE, ENG_TLV_I32, eng_mapping_t, max_age_s),
    /* offset 0: decode_flags sets three fields of the record */
    {.tag = M_FLAGS, .kind = ENG_TLV_FN, .off = 0, .fn = decode_flags},
    ENG_TLV_ROW(M_ON_FAILURE, ENG_TLV_STR, eng_mapping_t, on_failure),
    ENG_TLV_ROW(M_MODIFIED, ENG_TLV_I64, eng_mapping_t, modified_ms),
    ENG_TLV_ROW(M_SOURCE_KIND, ENG_TLV_ENUM, eng_mapping_t, source, .max = ENG_SOURCE_SQS),
    ENG_TLV_ROW(M_CONCURRENCY, ENG_TLV_U32, eng_mapping_t, max_concurrency),
};

static int decode_mapping(kv_slice_t in, kv_arena_t *a, eng_mapping_t **out)
{
    eng_mapping_t *m = kv_arena_calloc(a, 1, sizeof(*m));
    int rc =
        eng_tlv_decode(in, mapping_fields, sizeof(mapping_fields) / sizeof(*mapping_fields), a, m);
    if (rc < 0 || m->uuid[0] == 0)
        return KV_ECORRUPT;
    *out = m;
    return 0;
}

/* The catalog key of mapping uuid, built in k. */
static kv_slice_t mapping_key(kv_buf_t *k, kv_slice_t uuid)
{
    eng__cat_key(k, ENG_CAT_MAPPING, uuid);
    return kv_buf_slice(k);
}

int eng_mapping_put(eng_t *e, const eng_mapping_t *m, int mode)
{
    kv_buf_t k;
    kv_buf_init(&k, 64);
    int rc = eng__rec_put(e, mapping_key(&k, kv_slice_str(m->uuid)), mode, encode_mapping, m);
    kv_buf_dispose(&k);
    return rc;
}

int eng_mapping_get(eng_t *e, kv_slice_t uuid, kv_arena_t *a, eng_mapping_t **out)
{
    kv_buf_t k;
    kv_buf_init(&k, 64);
    kv_slice_t v;
    int rc = eng__rec_get(e, mapping_key(&k, uuid), a, &v);
    if (rc == 0)
        rc = decode_mapping(v, a, out);
    kv_buf_dispose(&k);
    return rc;
}

/* A mapping's stream checkpoint ('E' + uuid) goes with it. */
static int drop_checkpoint(eng_t *e, eng_batch_t *b, const void *arg)
{
    const kv_slice_t *uuid = arg;
    kv_buf_t c;
    kv_buf_init(&c, 64);
    kv_buf_append_byte(&c, 'E');
    kv_buf_append_slice(&c, *uuid);
    (void)e;
    eng_batch_delete(b, ENG_CF_STATE, kv_buf_slice(&c));
    kv_buf_dispose(&c);
    return 0;
}

int eng_mapping_delete(eng_t *e, kv_slice_t uuid)
{
    kv_buf_t k;
    kv_buf_init(&k, 64);
    int rc = eng__rec_delete(e, mapping_key(&k, uuid), drop_checkpoint, &uuid);
    kv_buf_dispose(&k);
    return rc;
}

static int take_mapping(void *arg, size_t i, kv_slice_t name, kv_slice_t value)
{
    fn_page_t *p = arg;
    eng_mapping_t *m;
    (void)name;
    int rc = decode_mapping(kv_arena_dup(p->a, value), p->a, &m);
    if (rc == 0)
        p->maps[i] = *m;
    return rc;
}

int eng_mapping_list(eng_t *e, kv_slice_t after, size_t limit, kv_arena_t *a, eng_mapping_t **out,
                     size_t *n, bool *more)
{
    fn_page_t p = {a, NULL, kv_arena_calloc(a, limit ? limit : 1, sizeof(**out))};
    *out = p.maps;
    return eng__cat_page(e, ENG_CAT_MAPPING, after, limit, take_mapping, &p, n, more);
}

/* ---- mapping checkpoints: state CF, 'E' + uuid -> the last sequence number processed ---- */

static void ckpt_key(kv_buf_t *k, kv_slice_t uuid)
{
    kv_buf_append_byte(k, 'E');
    kv_buf_append_slice(k, uuid);
}

int eng_mapping_checkpoint(eng_t *e, kv_slice_t uuid, uint64_t *seq)
{
    uint8_t km[64], vm[16];
    kv_buf_t k, v;
    kv_buf_init_on(&k, km, sizeof(km), sizeof(km));
    kv_buf_init_on(&v, vm, sizeof(vm), sizeof(vm));
    ckpt_key(&k, uuid);
    int rc = eng_rocks_get(e->rocks, ENG_CF_STATE, kv_buf_slice(&k), &v);
    if (rc == 0) {
        kv_slice_t s = kv_buf_slice(&v);
        rc = eng_key_get_u64(&s, seq);
    }
    return rc;
}

int eng_mapping_set_checkpoint(eng_t *e, kv_slice_t uuid, uint64_t seq)
{
    uint8_t km[64], vm[16];
    kv_buf_t k, v;
    kv_buf_init_on(&k, km, sizeof(km), sizeof(km));
    kv_buf_init_on(&v, vm, sizeof(vm), sizeof(vm));
    ckpt_key(&k, uuid);
    eng_key_put_u64(&v, seq);
    eng_batch_t *b = eng_batch_new(e->rocks);
    eng_batch_put(b, ENG_CF_STATE, kv_buf_slice(&k), kv_buf_slice(&v));
    int rc = eng_rocks_write(e->rocks, b); /* no commit notification: not a change to consume */
    eng_batch_free(b);
    return rc;
}
