/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 object records: metadata in the objects CF under (bucket id, escaped key); put, copy,
 * delete, tags, versions and listing. A put makes the new metadata current and deletes the old
 * bytes (eng_blob.c) in one batch; readers read at a snapshot taken before they look the
 * metadata up, so an overwrite never shows them a mix of old and new.
 *
 * Versions: the key's latest version (object or delete marker) is the record at
 * (bucket id, escaped key); older ones sit at (bucket id, escaped key, ~version),
 * right after it and newest first, so a listing of current objects skips them and
 * a listing of versions reads them in S3's order. A version's bytes belong to it
 * alone; removing it removes them.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/kv_alloc.h"
#include "base/kv_hash.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "eng_obj_int.h"
#include "eng_tlv.h"

enum {
    O_SIZE = 1,
    O_ETAG,
    O_MTIME,
    O_CTYPE,
    O_CENC,
    O_CDISP,
    O_CLANG,
    O_CACHE,
    O_EXPIRES,
    O_CLASS,
    O_CK_ALGO,
    O_CK_VALUE,
    O_META,
    O_DATA,
    O_SEG,     /* multipart: varint data id, varint size; one per part, in order */
    O_TAG,     /* an object tag: varint key length, key, value */
    O_VERSION, /* the version number; absent in records written before versioning */
    O_NULLVER, /* flag: the version id is "null" */
    O_DMARKER, /* flag: a delete marker */
    O_SHARED,  /* flag: its bytes may be named by other records too (a copy): counted */
    O_ACL,     /* issue 15: its ACL, as the api layer encodes it */
    /* issue 16 */
    O_SSE,          /* package E: eng_sse_t */
    O_SSE_KEY,      /* package E: the wrapped data key */
    O_KMS_KEY,      /* package E: the KMS key's ARN */
    O_KMS_CTX,      /* package E: the KMS encryption context */
    O_SSE_C_MD5,    /* package E: the customer key's MD5 (base64) */
    O_BUCKET_KEY,   /* package E: flag: BucketKeyEnabled */
    O_LOCK_MODE,    /* package L: eng_lock_mode_t */
    O_LOCK_UNTIL,   /* package L: retain-until, ms */
    O_LEGAL_HOLD,   /* package L: flag */
    O_CK_TYPE,      /* package C: "COMPOSITE" or "FULL_OBJECT" */
    O_UPLOAD,       /* package C: the upload that made it */
    O_PARTS_HASH,   /* package C: the hash of its completion's part list */
    O_WEB_REDIRECT, /* package W: x-amz-website-redirect-location */
    /* issue 18 */
    O_INLINE, /* a small object's bytes and their 8-byte XXH3 seal, instead of O_DATA */
};

#define OBJ_REC_VERSION 1

/* ---- metadata records ---- */

void eng__object_encode(const eng_object_t *o, kv_buf_t *b)
{
    kv_buf_append_byte(b, OBJ_REC_VERSION);
    eng_tlv_put_u64(b, O_VERSION, o->version);
    if (o->null_version)
        eng_tlv_put(b, O_NULLVER, KV_SLICE_LIT("1"));
    if (o->shared)
        eng_tlv_put(b, O_SHARED, KV_SLICE_LIT("1"));
    if (o->delete_marker) {
        eng_tlv_put(b, O_DMARKER, KV_SLICE_LIT("1"));
        eng_tlv_put_u64(b, O_MTIME, (uint64_t)o->mtime_ms);
        return;
    }
    eng_tlv_put_u64(b, O_SIZE, o->size);
    eng_tlv_put_str(b, O_ETAG, o->etag);
    eng_tlv_put_u64(b, O_MTIME, (uint64_t)o->mtime_ms);
    eng_tlv_put_str(b, O_CTYPE, o->content_type);
    eng_tlv_put_str(b, O_CENC, o->content_encoding);
    eng_tlv_put_str(b, O_CDISP, o->content_disposition);
    eng_tlv_put_str(b, O_CLANG, o->content_language);
    eng_tlv_put_str(b, O_CACHE, o->cache_control);
    eng_tlv_put_str(b, O_EXPIRES, o->expires);
    eng_tlv_put_str(b, O_CLASS, o->storage_class);
    eng_tlv_put_str(b, O_CK_ALGO, o->checksum_algo);
    eng_tlv_put_str(b, O_CK_VALUE, o->checksum_value);
    if (o->acl.len)
        eng_tlv_put(b, O_ACL, o->acl);
    /* issue 16 */
    if (o->sse)
        eng_tlv_put_u64(b, O_SSE, (uint64_t)o->sse);
    if (o->sse_key.len)
        eng_tlv_put(b, O_SSE_KEY, o->sse_key);
    eng_tlv_put_str(b, O_KMS_KEY, o->kms_key_id);
    eng_tlv_put_str(b, O_KMS_CTX, o->kms_context);
    eng_tlv_put_str(b, O_SSE_C_MD5, o->sse_c_md5);
    if (o->bucket_key)
        eng_tlv_put(b, O_BUCKET_KEY, KV_SLICE_LIT("1"));
    if (o->lock_mode) {
        eng_tlv_put_u64(b, O_LOCK_MODE, (uint64_t)o->lock_mode);
        eng_tlv_put_u64(b, O_LOCK_UNTIL, (uint64_t)o->lock_until_ms);
    }
    if (o->legal_hold || o->legal_hold_set) /* "1": ON, "0": OFF */
        eng_tlv_put(b, O_LEGAL_HOLD, o->legal_hold ? KV_SLICE_LIT("1") : KV_SLICE_LIT("0"));
    eng_tlv_put_str(b, O_CK_TYPE, o->checksum_type);
    if (o->upload_id) {
        eng_tlv_put_u64(b, O_UPLOAD, o->upload_id);
        eng_tlv_put_u64(b, O_PARTS_HASH, o->parts_hash);
    }
    eng_tlv_put_str(b, O_WEB_REDIRECT, o->website_redirect);
    for (size_t i = 0; i < o->n_meta + o->n_tags; i++) {
        const eng_tag_t *t = i < o->n_meta ? &o->meta[i] : &o->tags[i - o->n_meta];
        uint8_t mm[64];
        kv_buf_t m;
        kv_buf_init_on(&m, mm, sizeof(mm), 64 * 1024);
        size_t kl = strlen(t->key);
        eng_tlv_put_varint(&m, kl);
        kv_buf_append(&m, t->key, kl);
        kv_buf_append_str(&m, t->value);
        eng_tlv_put(b, i < o->n_meta ? O_META : O_TAG, kv_buf_slice(&m));
        kv_buf_dispose(&m);
    }
    if (o->inlined) /* the seal follows the bytes in memory */
        eng_tlv_put(b, O_INLINE, kv_slice(o->body.p, o->body.len + ENG_CHUNK_SEAL));
    else if (o->n_segs == 0)
        eng_tlv_put_u64(b, O_DATA, o->data_id);
    for (size_t i = 0; i < o->n_segs; i++) {
        uint8_t sm[128];
        kv_buf_t sb;
        kv_buf_init_on(&sb, sm, sizeof(sm), 4096);
        eng_tlv_put_varint(&sb, o->segs[i].data_id);
        eng_tlv_put_varint(&sb, o->segs[i].size);
        eng_tlv_put_varint(&sb, o->segs[i].part);
        if (o->segs[i].checksum) /* issue 16: the part's checksum, to the end of the value */
            kv_buf_append_str(&sb, o->segs[i].checksum);
        eng_tlv_put(b, O_SEG, kv_buf_slice(&sb));
        kv_buf_dispose(&sb);
    }
}

/* A record being decoded: the object, and whether it carried O_VERSION. */
typedef struct {
    eng_object_t o;
    bool has_version;
} obj_rec_t;

/* O_VERSION: the version number, noting that the record has one. */
static int decode_version(kv_slice_t v, kv_arena_t *a, void *dst)
{
    (void)a;
    obj_rec_t *r = dst;
    if (!eng_tlv_u64(v, &r->o.version))
        return KV_ECORRUPT;
    r->has_version = true;
    return 0;
}

/* O_SEG: varint data id, varint size, and (records since part numbers) varint part, then
 * (issue 16) the part's checksum text to the end. */
static int decode_seg(kv_slice_t v, kv_arena_t *a, void *dst)
{
    eng_seg_t *g = dst;
    uint64_t part = 0;
    if (!eng_tlv_get_varint(&v, &g->data_id) || !eng_tlv_get_varint(&v, &g->size) ||
        (v.len && (!eng_tlv_get_varint(&v, &part) || part > UINT32_MAX)))
        return KV_ECORRUPT;
    g->part = (uint32_t)part;
    g->checksum = v.len ? kv_arena_strndup(a, (const char *)v.p, v.len) : NULL;
    return 0;
}

/* O_LEGAL_HOLD (issue 16, package L): "1" ON, "0" OFF. */
static int decode_hold(kv_slice_t v, kv_arena_t *a, void *dst)
{
    (void)a;
    eng_object_t *o = dst;
    o->legal_hold_set = true;
    o->legal_hold = !(v.len == 1 && v.p[0] == '0');
    return 0;
}

/* O_INLINE (issue 18): the bytes, then their seal (checked by the reader, not here: a listing
 * never reads them). */
static int decode_inline(kv_slice_t v, kv_arena_t *a, void *dst)
{
    eng_object_t *o = dst;
    if (v.len < ENG_CHUNK_SEAL || v.len - ENG_CHUNK_SEAL > ENG_OBJ_INLINE_MAX)
        return KV_ECORRUPT;
    kv_slice_t d = kv_arena_dup(a, v);
    o->inlined = true;
    o->body = kv_slice(d.p, v.len - ENG_CHUNK_SEAL);
    return 0;
}

static const eng_tlv_field_t object_fields[] = {
    ENG_TLV_ROW(O_SIZE, ENG_TLV_U64, obj_rec_t, o.size),
    ENG_TLV_ROW(O_ETAG, ENG_TLV_STR, obj_rec_t, o.etag),
    ENG_TLV_ROW(O_MTIME, ENG_TLV_I64, obj_rec_t, o.mtime_ms),
    ENG_TLV_ROW(O_CTYPE, ENG_TLV_STR, obj_rec_t, o.content_type),
    ENG_TLV_ROW(O_CENC, ENG_TLV_STR, obj_rec_t, o.content_encoding),
    ENG_TLV_ROW(O_CDISP, ENG_TLV_STR, obj_rec_t, o.content_disposition),
    ENG_TLV_ROW(O_CLANG, ENG_TLV_STR, obj_rec_t, o.content_language),
    ENG_TLV_ROW(O_CACHE, ENG_TLV_STR, obj_rec_t, o.cache_control),
    ENG_TLV_ROW(O_EXPIRES, ENG_TLV_STR, obj_rec_t, o.expires),
    ENG_TLV_ROW(O_CLASS, ENG_TLV_STR, obj_rec_t, o.storage_class),
    ENG_TLV_ROW(O_CK_ALGO, ENG_TLV_STR, obj_rec_t, o.checksum_algo),
    ENG_TLV_ROW(O_CK_VALUE, ENG_TLV_STR, obj_rec_t, o.checksum_value),
    ENG_TLV_LIST_ROW(O_META, ENG_TLV_PAIR_LIST, obj_rec_t, o.meta, o.n_meta),
    ENG_TLV_ROW(O_DATA, ENG_TLV_U64, obj_rec_t, o.data_id),
    ENG_TLV_LIST_ROW(O_SEG, ENG_TLV_LIST, obj_rec_t, o.segs, o.n_segs, .size = sizeof(eng_seg_t),
                     .fn = decode_seg),
    ENG_TLV_LIST_ROW(O_TAG, ENG_TLV_PAIR_LIST, obj_rec_t, o.tags, o.n_tags),
    {.tag = O_VERSION, .kind = ENG_TLV_FN, .off = 0, .fn = decode_version}, /* the whole rec */
    ENG_TLV_ROW(O_NULLVER, ENG_TLV_FLAG, obj_rec_t, o.null_version),
    ENG_TLV_ROW(O_DMARKER, ENG_TLV_FLAG, obj_rec_t, o.delete_marker),
    ENG_TLV_ROW(O_SHARED, ENG_TLV_FLAG, obj_rec_t, o.shared),
    ENG_TLV_ROW(O_ACL, ENG_TLV_BYTES, obj_rec_t, o.acl),
    /* issue 16 */
    ENG_TLV_ROW(O_SSE, ENG_TLV_ENUM, obj_rec_t, o.sse, .max = ENG_SSE_C),
    ENG_TLV_ROW(O_SSE_KEY, ENG_TLV_BYTES, obj_rec_t, o.sse_key),
    ENG_TLV_ROW(O_KMS_KEY, ENG_TLV_STR, obj_rec_t, o.kms_key_id),
    ENG_TLV_ROW(O_KMS_CTX, ENG_TLV_STR, obj_rec_t, o.kms_context),
    ENG_TLV_ROW(O_SSE_C_MD5, ENG_TLV_STR, obj_rec_t, o.sse_c_md5),
    ENG_TLV_ROW(O_BUCKET_KEY, ENG_TLV_FLAG, obj_rec_t, o.bucket_key),
    ENG_TLV_ROW(O_LOCK_MODE, ENG_TLV_ENUM, obj_rec_t, o.lock_mode, .max = ENG_LOCK_COMPLIANCE),
    ENG_TLV_ROW(O_LOCK_UNTIL, ENG_TLV_I64, obj_rec_t, o.lock_until_ms),
    ENG_TLV_ROW(O_LEGAL_HOLD, ENG_TLV_FN, obj_rec_t, o, .fn = decode_hold),
    ENG_TLV_ROW(O_CK_TYPE, ENG_TLV_STR, obj_rec_t, o.checksum_type),
    ENG_TLV_ROW(O_UPLOAD, ENG_TLV_U64, obj_rec_t, o.upload_id),
    ENG_TLV_ROW(O_PARTS_HASH, ENG_TLV_U64, obj_rec_t, o.parts_hash),
    ENG_TLV_ROW(O_WEB_REDIRECT, ENG_TLV_STR, obj_rec_t, o.website_redirect),
    ENG_TLV_ROW(O_INLINE, ENG_TLV_FN, obj_rec_t, o, .fn = decode_inline), /* issue 18 */
};

int eng__object_decode(kv_slice_t key, kv_slice_t in, kv_arena_t *a, eng_object_t **out)
{
    if (in.len < 1 || in.p[0] != OBJ_REC_VERSION)
        return KV_ECORRUPT;
    obj_rec_t *r = kv_arena_calloc(a, 1, sizeof(*r));
    int rc = eng_tlv_decode(kv_slice(in.p + 1, in.len - 1), object_fields,
                            sizeof(object_fields) / sizeof(*object_fields), a, r);
    if (rc < 0)
        return rc;
    r->o.key = kv_arena_dup(a, key);
    if (!r->has_version)
        r->o.null_version = true; /* written before versioning existed */
    *out = &r->o;
    return 0;
}

/* Do a and b name the same byte runs? */
static bool same_bytes(const eng_object_t *a, const eng_object_t *b)
{
    if (a == NULL || a->n_segs != b->n_segs || a->inlined != b->inlined)
        return false;
    if (a->inlined) /* issue 18: bytes in the records: the same when equal */
        return kv_slice_eq(a->body, b->body);
    if (a->n_segs == 0)
        return a->data_id == b->data_id;
    for (size_t i = 0; i < a->n_segs; i++)
        if (a->segs[i].data_id != b->segs[i].data_id || a->segs[i].size != b->segs[i].size)
            return false;
    return true;
}

/* A conditional write's verdict against the current version prev (NULL: absent). */
int eng__obj_check_cond(const eng_obj_cond_t *cond, const eng_object_t *prev, const eng_object_t *o)
{
    if (cond == NULL)
        return 0;
    if (prev && prev->delete_marker)
        prev = NULL; /* a key whose latest version is a delete marker has no object */
    if (cond->if_absent && prev)
        return KV_ECONDFAIL;
    if (cond->if_match && prev == NULL)
        return KV_ENOTFOUND;
    if (cond->if_match && strcmp(prev->etag, cond->if_match) != 0)
        return KV_ECONDFAIL;
    if (cond->same_data && cond->versioning != ENG_VERSIONING_OFF)
        return KV_EINVAL;
    if (cond->same_data && !same_bytes(prev, o))
        return KV_EBUSY;
    return 0;
}

/* A fresh version number: the time in ms shifted left 16, kept strictly increasing. */
static uint64_t next_version(eng_t *e)
{
    uint64_t now = (uint64_t)kv_now_ms() << 16, last = atomic_load(&e->last_version), v;
    do
        v = now > last ? now : last + 1;
    while (!atomic_compare_exchange_weak(&e->last_version, &last, v));
    return v;
}

void eng__found_init(eng_found_t *f)
{
    kv_buf_init(&f->k, 4 * ENG_OBJ_KEY_MAX + 32);
    kv_buf_init(&f->v, 64 * 1024);
    f->o = NULL;
}

void eng__found_dispose(eng_found_t *f)
{
    kv_buf_dispose(&f->k);
    kv_buf_dispose(&f->v);
}

/* Does version o answer ref (NULL: the current one)? */
static bool vref_match(const eng_vref_t *ref, const eng_object_t *o)
{
    if (ref == NULL || ref->kind == ENG_VREF_CURRENT)
        return true;
    if (ref->kind == ENG_VREF_NULL)
        return o->null_version;
    return !o->null_version && o->version == ref->id;
}

/*
 * The noncurrent version of the key encoded as okey that ref names (ref NULL: the newest
 * one), read at snapshot snap (NULL: now). @return 0 with f filled, KV_ENOTFOUND.
 */
static int find_noncurrent(eng_t *e, eng_snap_t *snap, const kv_buf_t *okey, kv_slice_t key,
                           const eng_vref_t *ref, kv_arena_t *a, eng_found_t *f)
{
    kv_buf_reset(&f->k);
    kv_buf_reset(&f->v);
    if (ref && ref->kind == ENG_VREF_ID) {
        eng__ver_key(&f->k, okey, ref->id);
        int rc = eng_rocks_get_at(e->rocks, snap, ENG_CF_OBJECTS, kv_buf_slice(&f->k), &f->v);
        if (rc == 0)
            rc = eng__object_decode(key, kv_buf_slice(&f->v), a, &f->o);
        return rc == 0 && !vref_match(ref, f->o) ? KV_ENOTFOUND : rc;
    }
    /* The newest, or the null version (at most one): walk the key's versions. */
    eng_riter_t *it = eng_riter_new_at(e->rocks, snap, ENG_CF_OBJECTS);
    int rc = KV_ENOTFOUND;
    for (eng_riter_seek(it, kv_slice(okey->p, okey->len)); eng_riter_valid(it);
         eng_riter_next(it)) {
        kv_slice_t rk = eng_riter_key(it);
        if (rk.len < okey->len || memcmp(rk.p, okey->p, okey->len) != 0)
            break;
        if (rk.len != okey->len + 8)
            continue; /* the current record */
        rc = eng__object_decode(key, eng_riter_value(it), a, &f->o);
        if (rc < 0 || ref == NULL || f->o->null_version) {
            if (rc == 0) {
                kv_buf_append_slice(&f->k, rk);
                kv_buf_append_slice(&f->v, eng_riter_value(it));
            }
            break;
        }
        rc = KV_ENOTFOUND;
    }
    if (rc == KV_ENOTFOUND && eng_riter_status(it) < 0)
        rc = eng_riter_status(it);
    eng_riter_free(it);
    return rc;
}

/* The current version of the key encoded as okey, at snapshot snap. */
int eng__find_current(eng_t *e, eng_snap_t *snap, const kv_buf_t *okey, kv_slice_t key,
                      kv_arena_t *a, eng_found_t *f)
{
    kv_buf_reset(&f->k);
    kv_buf_reset(&f->v);
    kv_buf_append(&f->k, okey->p, okey->len);
    int rc = eng_rocks_get_at(e->rocks, snap, ENG_CF_OBJECTS, kv_buf_slice(&f->k), &f->v);
    if (rc == 0 && eng__object_decode(key, kv_buf_slice(&f->v), a, &f->o) < 0)
        rc = KV_ECORRUPT;
    return rc;
}

/* The version ref names: the current record when it matches, else a noncurrent one. */
int eng__find_version(eng_t *e, eng_snap_t *snap, const kv_buf_t *okey, kv_slice_t key,
                      const eng_vref_t *ref, kv_arena_t *a, eng_found_t *f)
{
    int rc = eng__find_current(e, snap, okey, key, a, f);
    if (rc == 0 && vref_match(ref, f->o)) {
        f->o->noncurrent = false;
        return 0;
    }
    if ((rc < 0 && rc != KV_ENOTFOUND) || ref == NULL || ref->kind == ENG_VREF_CURRENT)
        return rc;
    rc = find_noncurrent(e, snap, okey, key, ref, a, f);
    if (rc == 0)
        f->o->noncurrent = true;
    return rc;
}

/*
 * Make o the current version of the key encoded as okey (in batch b, under the key's lock):
 * the previous current version prev (raw record prev_raw) becomes noncurrent or is replaced,
 * as the versioning state says; a suspended bucket's noncurrent null version goes too.
 */
/* Does installing a version under mode replace prev (rather than keep it as noncurrent)? */
static bool replaces(const eng_object_t *prev, eng_versioning_t mode)
{
    return prev && mode != ENG_VERSIONING_ENABLED && prev->null_version;
}

int eng__obj_install(eng_otxn_t *t, const kv_buf_t *okey, kv_slice_t prev_raw,
                     const eng_object_t *prev, eng_object_t *o, eng_versioning_t mode,
                     kv_arena_t *a, kv_buf_t *enc)
{
    eng_t *e = t->e;
    eng_batch_t *b = t->b;
    /* issue 16, package L: a version under Object Lock is never replaced */
    if (prev && replaces(prev, mode) && eng_object_lock_holds(prev, kv_now_ms(), false))
        return KV_ELOCKED;
    o->version = next_version(e);
    o->null_version = mode != ENG_VERSIONING_ENABLED;
    int rc = 0;
    if (prev && !replaces(prev, mode)) {
        uint8_t km[4 * ENG_OBJ_KEY_MAX + 32];
        kv_buf_t vk;
        kv_buf_init_on(&vk, km, sizeof(km), sizeof(km));
        eng__ver_key(&vk, okey, prev->version);
        eng_batch_put(b, ENG_CF_OBJECTS, kv_buf_slice(&vk), prev_raw);
        kv_buf_dispose(&vk);
    } else if (prev && !same_bytes(prev, o)) {
        rc = eng__release_bytes(t, prev);
    }
    if (rc == 0 && mode == ENG_VERSIONING_SUSPENDED) {
        eng_found_t nv;
        eng__found_init(&nv);
        eng_vref_t null_ref = {.kind = ENG_VREF_NULL};
        rc = find_noncurrent(e, NULL, okey, o->key, &null_ref, a, &nv);
        if (rc == 0 && eng_object_lock_holds(nv.o, kv_now_ms(), false))
            rc = KV_ELOCKED; /* issue 16, package L */
        if (rc == 0) {
            rc = eng__release_bytes(t, nv.o);
            eng_batch_delete(b, ENG_CF_OBJECTS, kv_buf_slice(&nv.k));
        }
        eng__found_dispose(&nv);
        if (rc == KV_ENOTFOUND)
            rc = 0;
    }
    if (rc < 0)
        return rc;
    kv_buf_reset(enc);
    eng__object_encode(o, enc);
    if (kv_buf_failed(enc))
        return KV_ETOOBIG;
    eng_batch_put(b, ENG_CF_OBJECTS, kv_buf_slice(okey), kv_buf_slice(enc));
    eng__log_object_event(&t->log, o->log_id, o->event, o, mode != ENG_VERSIONING_OFF);
    return 0;
}

/* Put o; when w is set, its unwritten last chunk joins the metadata's batch (one WAL write
 * for an object of up to one chunk). */
static int object_put(eng_t *e, uint32_t bucket_id, eng_object_t *o, const eng_obj_cond_t *cond,
                      eng_blob_writer_t *w)
{
    /* Chunks written without the WAL are on disk before the record that names them commits
     * (and before the key's lock is taken: the flush is a disk write). */
    int synced = w ? eng__writer_sync(w) : 0;
    if (synced < 0) {
        eng__drop_data(e, w->data_id, w->size);
        return synced;
    }
    kv_buf_t k, v;
    kv_buf_init(&k, 4 * ENG_OBJ_KEY_MAX + 16);
    kv_buf_init(&v, 64 * 1024);
    eng__obj_key(&k, bucket_id, o->key);
    pthread_mutex_t *lock = eng__obj_lock(e, &k);
    pthread_mutex_lock(lock);
    eng_otxn_t t;
    eng__otxn_init(&t, e);
    uint8_t tm[16];
    kv_buf_t tk;
    kv_buf_init_on(&tk, tm, sizeof(tm), sizeof(tm));
    int rc = 0;
    /* Issue 18: a small plain object's bytes go in its record, sealed as a chunk would be:
     * one key in the batch, no chunk to delete when it is replaced, one read for a GET. */
    if (w)
        o->inlined = w->aead == NULL && w->chunk == 0 && !w->noted && w->size <= ENG_OBJ_INLINE_MAX;
    if (w && o->inlined) {
        eng__seal_chunk(&w->buf);
        o->data_id = 0;
        o->body = kv_slice(w->buf.p, (size_t)w->size);
        if (kv_buf_failed(&w->buf))
            rc = KV_ENOMEM;
    } else if (w && w->buf.len) {
        eng__blob_key(&tk, w->data_id, w->chunk);
        rc = eng__close_chunk(w);
        eng_batch_put(t.b, ENG_CF_BLOBS, kv_buf_slice(&tk), kv_buf_slice(&w->buf));
    }
    /* The new bytes are named in this batch: their writer note goes with it. */
    if (w ? w->noted
          : !(cond && cond->same_data) && !o->delete_marker && o->n_segs == 0 && !o->inlined)
        eng__writer_done(t.b, o->data_id);
    kv_arena_t *a = kv_arena_new(1024);
    eng_found_t cur;
    eng__found_init(&cur);
    if (rc == 0)
        rc = eng__find_current(e, NULL, &k, o->key, a, &cur);
    if (rc == 0 || rc == KV_ENOTFOUND)
        rc = eng__obj_check_cond(cond, cur.o, o);
    if (rc == 0 && cond && cond->same_data)
        o->shared = cur.o->shared; /* the same bytes, named as before */
    if (rc == 0)
        rc = eng__obj_install(&t, &k, kv_buf_slice(&cur.v), cur.o, o,
                              cond ? cond->versioning : ENG_VERSIONING_OFF, a, &v);
    if (rc == 0)
        rc = eng__otxn_commit(&t);
    eng__otxn_dispose(&t);
    pthread_mutex_unlock(lock);
    /* Nothing names the new bytes: drop them, don't leak (unless none reached the store: a
     * writer's only chunk was in the batch that failed). */
    if (rc < 0 && !(cond && cond->same_data) && !o->inlined && (w == NULL || w->noted))
        eng__drop_data(e, o->data_id, o->size);
    eng__found_dispose(&cur);
    kv_arena_free(a);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

int eng_object_put(eng_t *e, uint32_t bucket_id, eng_object_t *o, const eng_obj_cond_t *cond)
{
    return object_put(e, bucket_id, o, cond, NULL);
}

int eng_object_put_blob(eng_t *e, uint32_t bucket_id, eng_object_t *o, const eng_obj_cond_t *cond,
                        eng_blob_writer_t *w)
{
    o->data_id = w->data_id;
    o->size = w->size;
    o->n_segs = 0;
    int rc = object_put(e, bucket_id, o, cond, w);
    eng__writer_free(w);
    o->body = KV_SLICE_NULL; /* it was w's buffer */
    return rc;
}

/* One key's write: its encoded key, a value buffer, an arena, a lookup, its lock (held from
 * begin to end). */
typedef struct {
    kv_buf_t k, v;
    kv_arena_t *a;
    eng_found_t f;
    pthread_mutex_t *lock;
} keyop_t;

static void keyop_begin(keyop_t *op, eng_t *e, uint32_t bucket_id, kv_slice_t key)
{
    kv_buf_init(&op->k, 4 * ENG_OBJ_KEY_MAX + 16);
    kv_buf_init(&op->v, 64 * 1024);
    eng__obj_key(&op->k, bucket_id, key);
    op->a = kv_arena_new(1024);
    eng__found_init(&op->f);
    op->lock = eng__obj_lock(e, &op->k);
    pthread_mutex_lock(op->lock);
}

static void keyop_end(keyop_t *op)
{
    pthread_mutex_unlock(op->lock);
    eng__found_dispose(&op->f);
    kv_arena_free(op->a);
    kv_buf_dispose(&op->k);
    kv_buf_dispose(&op->v);
}

int eng_object_copy(eng_t *e, uint32_t src_bucket, kv_slice_t src_key, const eng_vref_t *src_ref,
                    uint64_t src_version, uint32_t dst_bucket, eng_object_t *o,
                    const eng_obj_cond_t *cond)
{
    eng_versioning_t mode = cond ? cond->versioning : ENG_VERSIONING_OFF;
    kv_buf_t sk, dk, v, sv;
    kv_buf_init(&sk, 4 * ENG_OBJ_KEY_MAX + 16);
    kv_buf_init(&dk, 4 * ENG_OBJ_KEY_MAX + 16);
    kv_buf_init(&v, 64 * 1024);
    kv_buf_init(&sv, 64 * 1024);
    eng__obj_key(&sk, src_bucket, src_key);
    eng__obj_key(&dk, dst_bucket, o->key);
    /* Both keys' locks, in address order (two opposite copies cannot deadlock), then the
     * share lock (eng__otxn_lock) as every writer takes it: after its key lock. */
    pthread_mutex_t *l1 = eng__obj_lock(e, &sk), *l2 = eng__obj_lock(e, &dk);
    if (l1 > l2) {
        pthread_mutex_t *x = l1;
        l1 = l2;
        l2 = x;
    }
    pthread_mutex_lock(l1);
    if (l2 != l1)
        pthread_mutex_lock(l2);
    eng_otxn_t t;
    eng__otxn_init(&t, e);
    eng__otxn_lock(&t);
    kv_arena_t *a = kv_arena_new(4096);
    eng_found_t src, cur;
    eng__found_init(&src);
    eng__found_init(&cur);
    int rc = eng__find_version(e, NULL, &sk, src_key, src_ref, a, &src);
    if (rc == KV_ENOTFOUND || (rc == 0 && (src.o->delete_marker || src.o->version != src_version)))
        rc = KV_EBUSY; /* gone or replaced since the caller read it */
    if (rc == 0) {
        rc = eng__find_current(e, NULL, &dk, o->key, a, &cur);
        if (rc == KV_ENOTFOUND)
            rc = 0;
    }
    bool cur_is_src = rc == 0 && cur.o && kv_slice_eq(kv_buf_slice(&cur.k), kv_buf_slice(&src.k));
    if (rc == 0 && cur_is_src && replaces(cur.o, mode))
        rc = KV_EINVAL; /* the source itself would be replaced: not a copy */
    if (rc == 0)
        rc = eng__obj_check_cond(cond, cur.o, o);
    if (rc == 0 && !src.o->shared && !src.o->inlined) {
        /* From now on the source's bytes are counted. */
        src.o->shared = true;
        eng__object_encode(src.o, &sv);
        eng_batch_put(t.b, ENG_CF_OBJECTS, kv_buf_slice(&src.k), kv_buf_slice(&sv));
        if (cur_is_src) { /* the record eng__obj_install moves aside must carry the flag too */
            kv_buf_reset(&cur.v);
            kv_buf_append_slice(&cur.v, kv_buf_slice(&sv));
            cur.o->shared = true;
        }
    }
    if (rc == 0) {
        o->data_id = src.o->data_id;
        o->segs = src.o->segs;
        o->n_segs = src.o->n_segs;
        o->size = src.o->size;
        /* issue 18: an inlined source's bytes are copied into the new record, not shared */
        o->inlined = src.o->inlined;
        o->body = src.o->body;
        o->shared = !o->inlined;
        o->delete_marker = false;
        if (!o->inlined)
            rc = eng__share_bytes(&t, src.o);
    }
    if (rc == 0)
        rc = eng__obj_install(&t, &dk, kv_buf_slice(&cur.v), cur.o, o, mode, a, &v);
    if (rc == 0 && kv_buf_failed(&sv))
        rc = KV_ETOOBIG;
    if (rc == 0)
        rc = eng__otxn_commit(&t);
    eng__otxn_dispose(&t);
    if (l2 != l1)
        pthread_mutex_unlock(l2);
    pthread_mutex_unlock(l1);
    /* o's segments (or inlined bytes) pointed into a. */
    o->segs = NULL;
    o->n_segs = 0;
    o->body = KV_SLICE_NULL;
    eng__found_dispose(&src);
    eng__found_dispose(&cur);
    kv_arena_free(a);
    kv_buf_dispose(&sk);
    kv_buf_dispose(&dk);
    kv_buf_dispose(&v);
    kv_buf_dispose(&sv);
    return rc;
}

/* Remove the version f found (under the key's lock); a removed current version's place is
 * taken by the newest noncurrent one. */
static int remove_version(eng_otxn_t *t, const kv_buf_t *okey, kv_slice_t key, const eng_found_t *f,
                          kv_arena_t *a)
{
    eng_t *e = t->e;
    eng_batch_t *b = t->b;
    int rc = eng__release_bytes(t, f->o);
    if (rc < 0)
        return rc;
    if (f->o->noncurrent) {
        eng_batch_delete(b, ENG_CF_OBJECTS, kv_buf_slice(&f->k));
        return 0;
    }
    eng_found_t next;
    eng__found_init(&next);
    rc = find_noncurrent(e, NULL, okey, key, NULL, a, &next);
    if (rc == 0) {
        eng_batch_put(b, ENG_CF_OBJECTS, kv_buf_slice(okey), kv_buf_slice(&next.v));
        eng_batch_delete(b, ENG_CF_OBJECTS, kv_buf_slice(&next.k));
    } else if (rc == KV_ENOTFOUND) {
        eng_batch_delete(b, ENG_CF_OBJECTS, kv_buf_slice(okey));
        rc = 0;
    }
    eng__found_dispose(&next);
    return rc;
}

int eng_object_delete(eng_t *e, uint32_t bucket_id, kv_slice_t key, eng_versioning_t mode,
                      const eng_vref_t *ref, eng_del_result_t *res)
{
    return eng_object_delete_logged(e, bucket_id, key, mode, ref, res, 0, NULL);
}

/* issue 16, package R: rc is the lookup's (0 or KV_ENOTFOUND) and o what it found. */
static int del_cond_check(const eng_del_cond_t *c, int rc, const eng_object_t *o, bool *absent)
{
    if (c == NULL || (rc != 0 && rc != KV_ENOTFOUND))
        return rc;
    if (rc == KV_ENOTFOUND || o->delete_marker) {
        *absent = c->if_match != NULL;
        return *absent ? KV_ENOTFOUND : rc;
    }
    if ((c->if_match && strcmp(c->if_match, "*") != 0 && strcmp(c->if_match, o->etag) != 0) ||
        (c->has_size && o->size != c->size) || (c->has_mtime && o->mtime_ms / 1000 != c->mtime_s))
        return KV_ECONDFAIL;
    return rc;
}

int eng_object_delete_logged(eng_t *e, uint32_t bucket_id, kv_slice_t key, eng_versioning_t mode,
                             const eng_vref_t *ref, eng_del_result_t *res, uint32_t log_id,
                             const char *family)
{
    return eng_object_delete_if(e, bucket_id, key, mode, ref, NULL, res, log_id, family);
}

int eng_object_delete_ex(eng_t *e, uint32_t bucket_id, kv_slice_t key, eng_versioning_t mode,
                         const eng_vref_t *ref, eng_del_result_t *res, uint32_t log_id,
                         const char *family, bool bypass_governance)
{
    eng_del_cond_t c = {.bypass_governance = bypass_governance};
    return eng_object_delete_if(e, bucket_id, key, mode, ref, &c, res, log_id, family);
}

int eng_object_delete_if(eng_t *e, uint32_t bucket_id, kv_slice_t key, eng_versioning_t mode,
                         const eng_vref_t *ref, const eng_del_cond_t *cond, eng_del_result_t *res,
                         uint32_t log_id, const char *family)
{
    bool cond_absent = false;
    bool bypass_governance = cond && cond->bypass_governance;
    char event[64];
    eng_del_result_t dummy;
    if (res == NULL)
        res = &dummy;
    memset(res, 0, sizeof(*res));
    if (ref && ref->kind == ENG_VREF_CURRENT)
        ref = NULL;
    keyop_t op;
    keyop_begin(&op, e, bucket_id, key);
    kv_buf_t *k = &op.k, *v = &op.v;
    kv_arena_t *a = op.a;
    eng_found_t *f = &op.f;
    eng_otxn_t t;
    eng__otxn_init(&t, e);
    int rc;
    if (ref == NULL && mode != ENG_VERSIONING_OFF) {
        /* A delete marker becomes the current version. */
        rc = eng__find_current(e, NULL, k, key, a, f);
        rc = del_cond_check(cond, rc, f->o, &cond_absent);
        snprintf(event, sizeof(event), "%s:DeleteMarkerCreated", family ? family : "");
        eng_object_t marker = {.key = key,
                               .delete_marker = true,
                               .mtime_ms = kv_now_ms(),
                               .log_id = family ? log_id : 0,
                               .event = event};
        if ((rc == 0 || rc == KV_ENOTFOUND) && !cond_absent)
            rc = eng__obj_install(&t, k, kv_buf_slice(&f->v), rc == 0 ? f->o : NULL, &marker, mode,
                                  a, v);
        if (rc == 0) {
            res->found = res->delete_marker = true;
            res->null_version = marker.null_version;
            res->version = marker.version;
        }
    } else {
        rc = eng__find_version(e, NULL, k, key, ref, a, f);
        rc = del_cond_check(cond, rc, f->o, &cond_absent);
        /* issue 16, package L: a version under Object Lock stays */
        if (rc == 0 && eng_object_lock_holds(f->o, kv_now_ms(), bypass_governance))
            rc = KV_ELOCKED;
        if (rc == 0) {
            res->found = true;
            res->delete_marker = f->o->delete_marker;
            res->null_version = f->o->null_version;
            res->version = f->o->version;
            rc = remove_version(&t, k, key, f, a);
            if (rc == 0 && family) {
                snprintf(event, sizeof(event), "%s:Delete", family);
                eng__log_object_event(&t.log, log_id, event, f->o, mode != ENG_VERSIONING_OFF);
            }
        }
    }
    if (rc == 0 && res->found)
        rc = eng__otxn_commit(&t);
    if (rc == KV_ENOTFOUND && !cond_absent)
        rc = 0;
    eng__otxn_dispose(&t);
    keyop_end(&op);
    return rc;
}

int eng_object_set_tags(eng_t *e, uint32_t bucket_id, kv_slice_t key, const eng_vref_t *ref,
                        const eng_tag_t *tags, size_t n)
{
    keyop_t op;
    keyop_begin(&op, e, bucket_id, key);
    eng_found_t *f = &op.f;
    int rc = eng__find_version(e, NULL, &op.k, key, ref, op.a, f);
    if (rc == 0 && f->o->delete_marker)
        rc = KV_ENOTFOUND;
    if (rc == 0) {
        f->o->tags = (eng_tag_t *)(uintptr_t)tags;
        f->o->n_tags = n;
        eng__object_encode(f->o, &op.v);
        eng_batch_t *b = eng_batch_new(e->rocks);
        eng_batch_put(b, ENG_CF_OBJECTS, kv_buf_slice(&f->k), kv_buf_slice(&op.v));
        rc = kv_buf_failed(&op.v) ? KV_ETOOBIG : eng__write(e, b);
        eng_batch_free(b);
    }
    keyop_end(&op);
    return rc;
}

/* issue 15, package A: an object version's ACL, replaced as its tags are. */
int eng_object_set_acl(eng_t *e, uint32_t bucket_id, kv_slice_t key, const eng_vref_t *ref,
                       kv_slice_t acl)
{
    keyop_t op;
    keyop_begin(&op, e, bucket_id, key);
    eng_found_t *f = &op.f;
    int rc = eng__find_version(e, NULL, &op.k, key, ref, op.a, f);
    if (rc == 0 && f->o->delete_marker)
        rc = KV_ENOTFOUND;
    if (rc == 0) {
        f->o->acl = acl;
        eng__object_encode(f->o, &op.v);
        eng_batch_t *b = eng_batch_new(e->rocks);
        eng_batch_put(b, ENG_CF_OBJECTS, kv_buf_slice(&f->k), kv_buf_slice(&op.v));
        rc = kv_buf_failed(&op.v) ? KV_ETOOBIG : eng__write(e, b);
        eng_batch_free(b);
    }
    keyop_end(&op);
    return rc;
}

/* ---- listing ---- */

struct eng_obj_iter {
    eng_riter_t *it;
    uint32_t bucket_id;
    bool started;
    bool all_versions;
};

eng_obj_iter_t *eng_obj_iter_new(eng_t *e, uint32_t bucket_id, kv_slice_t from, bool all_versions)
{
    eng_obj_iter_t *it = kv_calloc(1, sizeof(*it));
    it->it = eng_riter_new(e->rocks, ENG_CF_OBJECTS);
    it->bucket_id = bucket_id;
    it->all_versions = all_versions;
    eng_obj_iter_seek(it, from);
    return it;
}

void eng_obj_iter_seek(eng_obj_iter_t *it, kv_slice_t from)
{
    kv_buf_t k;
    kv_buf_init(&k, 4 * ENG_OBJ_KEY_MAX + 64);
    eng_key_put_u32(&k, it->bucket_id);
    /* Escaped bytes without the terminator: the smallest encoding of any key >= from. */
    eng_key_put_bytes(&k, from);
    k.len -= 2;
    eng_riter_seek(it->it, kv_buf_slice(&k));
    kv_buf_dispose(&k);
    it->started = false;
}

int eng_obj_iter_next(eng_obj_iter_t *it, kv_arena_t *a, eng_object_t **meta)
{
    kv_buf_t name;
    kv_buf_init(&name, 4 * ENG_OBJ_KEY_MAX);
    int rc = 0;
    for (;;) {
        if (it->started)
            eng_riter_next(it->it);
        it->started = true;
        if (!eng_riter_valid(it->it)) {
            rc = eng_riter_status(it->it);
            break;
        }
        kv_slice_t rest = eng_riter_key(it->it);
        uint32_t b;
        if (eng_key_get_u32(&rest, &b) < 0 || b != it->bucket_id)
            break;
        kv_buf_reset(&name);
        rc = eng_key_get_bytes(&rest, &name);
        if (rc < 0)
            break;
        bool noncurrent = rest.len > 0;
        if (noncurrent && !it->all_versions)
            continue;
        rc = eng__object_decode(kv_buf_slice(&name), eng_riter_value(it->it), a, meta);
        if (rc < 0)
            break;
        if ((*meta)->delete_marker && !it->all_versions)
            continue;
        (*meta)->noncurrent = noncurrent;
        rc = 1;
        break;
    }
    kv_buf_dispose(&name);
    return rc;
}

void eng_obj_iter_free(eng_obj_iter_t *it)
{
    if (it == NULL)
        return;
    eng_riter_free(it->it);
    kv_free(it);
}
