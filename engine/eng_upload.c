/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 multipart uploads: upload and part records in the catalog, parts' bytes in blobs;
 * completion makes the parts an object's segments without copying a byte.
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

/* ---- multipart uploads ---- */

/* Catalog records: 'U' bucket id, escaped key, upload id -> key + object prototype (in key
 * order, for ListMultipartUploads); 'P' upload id, part number -> part. Part bytes live in
 * blobs like any object's. */
enum { P_SIZE = 1, P_DATA, P_ETAG, P_MTIME, P_CKSUM };

static void upload_key(kv_buf_t *k, uint32_t bucket_id, kv_slice_t key, uint64_t upload_id)
{
    kv_buf_append_byte(k, ENG_CAT_UPLOAD);
    eng_key_put_u32(k, bucket_id);
    eng_key_put_bytes(k, key);
    eng_key_put_u64(k, upload_id);
}

static void part_key(kv_buf_t *k, uint64_t upload_id, uint32_t number)
{
    kv_buf_append_byte(k, ENG_CAT_PART);
    eng_key_put_u64(k, upload_id);
    eng_key_put_u32(k, number);
}

static pthread_mutex_t *key_lock(eng_t *e, uint32_t bucket_id, kv_slice_t key)
{
    kv_buf_t k;
    kv_buf_init(&k, 4 * ENG_OBJ_KEY_MAX + 16);
    eng__obj_key(&k, bucket_id, key);
    pthread_mutex_t *l = eng__obj_lock(e, &k);
    kv_buf_dispose(&k);
    return l;
}

int eng_upload_create(eng_t *e, uint32_t bucket_id, const eng_object_t *proto, uint64_t *upload_id)
{
    *upload_id = kv_random_u64();
    kv_buf_t k, v;
    kv_buf_init(&k, 4 * ENG_OBJ_KEY_MAX + 32);
    kv_buf_init(&v, 4096);
    upload_key(&k, bucket_id, proto->key, *upload_id);
    eng_tlv_put_varint(&v, proto->key.len);
    kv_buf_append_slice(&v, proto->key);
    eng__object_encode(proto, &v);
    eng_batch_t *b = eng_batch_new(e->rocks);
    eng_batch_put(b, ENG_CF_CATALOG, kv_buf_slice(&k), kv_buf_slice(&v));
    int rc = kv_buf_failed(&v) ? KV_ETOOBIG : eng__write(e, b);
    eng_batch_free(b);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

static int decode_upload(kv_slice_t v, kv_arena_t *a, eng_object_t **proto)
{
    uint64_t kl;
    if (!eng_tlv_get_varint(&v, &kl) || kl > v.len || kl > ENG_OBJ_KEY_MAX)
        return KV_ECORRUPT;
    kv_slice_t key = kv_slice(v.p, (size_t)kl);
    return eng__object_decode(key, kv_slice(v.p + kl, v.len - (size_t)kl), a, proto);
}

int eng_upload_get(eng_t *e, uint32_t bucket_id, kv_slice_t key, uint64_t upload_id, kv_arena_t *a,
                   eng_object_t **proto)
{
    kv_buf_t k, v;
    kv_buf_init(&k, 4 * ENG_OBJ_KEY_MAX + 32);
    kv_buf_init(&v, 4096);
    upload_key(&k, bucket_id, key, upload_id);
    int rc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, kv_buf_slice(&k), &v);
    if (rc == 0)
        rc = decode_upload(kv_buf_slice(&v), a, proto);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}

static const eng_tlv_field_t part_fields[] = {
    ENG_TLV_ROW(P_SIZE, ENG_TLV_U64, eng_part_t, size),
    ENG_TLV_ROW(P_DATA, ENG_TLV_U64, eng_part_t, data_id),
    ENG_TLV_ROW(P_ETAG, ENG_TLV_STR, eng_part_t, etag, .required = true),
    ENG_TLV_ROW(P_MTIME, ENG_TLV_I64, eng_part_t, mtime_ms),
    ENG_TLV_ROW(P_CKSUM, ENG_TLV_STR, eng_part_t, checksum), /* issue 16 */
};

static int decode_part(kv_slice_t k, kv_slice_t v, kv_arena_t *a, eng_part_t *p)
{
    memset(p, 0, sizeof(*p));
    kv_slice_t ks = kv_slice(k.p + 1, k.len - 1);
    uint64_t up;
    if (k.len < 1 || eng_key_get_u64(&ks, &up) < 0 || eng_key_get_u32(&ks, &p->number) < 0)
        return KV_ECORRUPT;
    return eng_tlv_decode(v, part_fields, sizeof(part_fields) / sizeof(*part_fields), a, p);
}

int eng_upload_put_part(eng_t *e, uint32_t bucket_id, uint64_t upload_id, kv_slice_t key,
                        const eng_part_t *part)
{
    kv_buf_t uk, pk, v, old;
    kv_buf_init(&uk, 4 * ENG_OBJ_KEY_MAX + 32);
    kv_buf_init(&pk, 32);
    kv_buf_init(&v, 128);
    kv_buf_init(&old, 4096);
    upload_key(&uk, bucket_id, key, upload_id);
    part_key(&pk, upload_id, part->number);
    eng_tlv_put_u64(&v, P_SIZE, part->size);
    eng_tlv_put_u64(&v, P_DATA, part->data_id);
    eng_tlv_put_str(&v, P_ETAG, part->etag);
    eng_tlv_put_u64(&v, P_MTIME, (uint64_t)part->mtime_ms);
    eng_tlv_put_str(&v, P_CKSUM, part->checksum);
    pthread_mutex_t *lock = key_lock(e, bucket_id, key);
    pthread_mutex_lock(lock);
    eng_batch_t *b = eng_batch_new(e->rocks);
    /* The upload must still exist (its record is keyed by the object key). */
    int rc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, kv_buf_slice(&uk), &old);
    if (rc == 0) {
        kv_buf_reset(&old);
        int prc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, kv_buf_slice(&pk), &old);
        if (prc == 0) {
            kv_arena_t *a = kv_arena_new(256);
            eng_part_t prev;
            if (decode_part(kv_buf_slice(&pk), kv_buf_slice(&old), a, &prev) == 0 &&
                prev.data_id != part->data_id)
                eng__delete_data(b, prev.data_id);
            kv_arena_free(a);
        } else if (prc != KV_ENOTFOUND) {
            rc = prc;
        }
    }
    if (rc == 0) {
        eng_batch_put(b, ENG_CF_CATALOG, kv_buf_slice(&pk), kv_buf_slice(&v));
        eng__writer_done(b, part->data_id); /* the part names its bytes from now on */
        rc = eng__write(e, b);
    }
    pthread_mutex_unlock(lock);
    eng_batch_free(b);
    if (rc < 0)
        eng__drop_data(e, part->data_id, part->size);
    kv_buf_dispose(&uk);
    kv_buf_dispose(&pk);
    kv_buf_dispose(&v);
    kv_buf_dispose(&old);
    return rc;
}

int eng_upload_parts(eng_t *e, uint64_t upload_id, uint32_t after, size_t limit, kv_arena_t *a,
                     eng_part_t **out, size_t *n, bool *more)
{
    *n = 0;
    *more = false;
    *out = kv_arena_calloc(a, limit ? limit : 1, sizeof(**out));
    kv_buf_t lo;
    kv_buf_init(&lo, 32);
    part_key(&lo, upload_id, after == UINT32_MAX ? after : after + 1);
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_CATALOG);
    int rc = 0;
    for (eng_riter_seek(it, kv_buf_slice(&lo)); eng_riter_valid(it); eng_riter_next(it)) {
        kv_slice_t k = eng_riter_key(it);
        if (k.len != lo.len || memcmp(k.p, lo.p, 9) != 0)
            break; /* another upload's parts, or another record kind */
        if (*n == limit) {
            *more = true;
            break;
        }
        rc = decode_part(k, eng_riter_value(it), a, &(*out)[*n]);
        if (rc < 0)
            break;
        (*n)++;
    }
    if (rc == 0)
        rc = eng_riter_status(it);
    eng_riter_free(it);
    kv_buf_dispose(&lo);
    return rc;
}

/* Delete the upload record and every part record; drop the bytes of parts not kept (their
 * data ids appended to dropped, when set, for the reclaimer once b commits). */
static int drop_upload(eng_t *e, eng_batch_t *b, uint32_t bucket_id, kv_slice_t key,
                       uint64_t upload_id, const eng_seg_t *keep, size_t n_keep, kv_buf_t *dropped)
{
    kv_buf_t k;
    kv_buf_init(&k, 4 * ENG_OBJ_KEY_MAX + 32);
    upload_key(&k, bucket_id, key, upload_id);
    eng_batch_delete(b, ENG_CF_CATALOG, kv_buf_slice(&k));
    kv_buf_reset(&k);
    part_key(&k, upload_id, 0);
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_CATALOG);
    kv_arena_t *a = kv_arena_new(1024);
    int rc = 0;
    for (eng_riter_seek(it, kv_buf_slice(&k)); eng_riter_valid(it); eng_riter_next(it)) {
        kv_slice_t pk = eng_riter_key(it);
        if (pk.len != k.len || memcmp(pk.p, k.p, 9) != 0)
            break;
        eng_part_t p;
        if (decode_part(pk, eng_riter_value(it), a, &p) == 0) {
            bool kept = false;
            for (size_t i = 0; i < n_keep && !kept; i++)
                kept = keep[i].data_id == p.data_id;
            if (!kept)
                eng__delete_data(b, p.data_id);
            if (!kept && dropped) {
                kv_buf_append(dropped, &p.data_id, sizeof(p.data_id));
                kv_buf_append(dropped, &p.size, sizeof(p.size));
            }
        }
        eng_batch_delete(b, ENG_CF_CATALOG, pk);
    }
    rc = eng_riter_status(it);
    eng_riter_free(it);
    kv_arena_free(a);
    kv_buf_dispose(&k);
    return rc;
}

int eng_upload_complete(eng_t *e, uint32_t bucket_id, uint64_t upload_id, const uint32_t *numbers,
                        const char *const *etags, size_t n, eng_object_t *o,
                        const eng_obj_cond_t *cond, eng_mpu_err_t *why, size_t *bad_index)
{
    kv_arena_t *a = kv_arena_new(4096);
    kv_buf_t k, v, pk, pv;
    kv_buf_init(&k, 4 * ENG_OBJ_KEY_MAX + 16);
    kv_buf_init(&v, 64 * 1024);
    kv_buf_init(&pk, 32);
    kv_buf_init(&pv, 256);
    eng__obj_key(&k, bucket_id, o->key);
    pthread_mutex_t *lock = eng__obj_lock(e, &k);
    pthread_mutex_lock(lock);
    eng_otxn_t t;
    eng__otxn_init(&t, e);
    eng_object_t *proto;
    int rc = eng_upload_get(e, bucket_id, o->key, upload_id, a, &proto);
    /* The named parts, read under the key's lock so a concurrent UploadPart cannot swap one. */
    size_t small = SIZE_MAX;
    o->segs = n ? kv_arena_calloc(a, n, sizeof(*o->segs)) : NULL;
    o->n_segs = 0;
    o->size = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        kv_buf_reset(&pk);
        kv_buf_reset(&pv);
        part_key(&pk, upload_id, numbers[i]);
        eng_part_t p;
        rc = eng_rocks_get(e->rocks, ENG_CF_CATALOG, kv_buf_slice(&pk), &pv);
        if (rc == 0)
            rc = decode_part(kv_buf_slice(&pk), kv_buf_slice(&pv), a, &p);
        if (rc == KV_ENOTFOUND || (rc == 0 && strcmp(p.etag, etags[i]) != 0)) {
            *why = ENG_MPU_INVALID_PART;
            *bad_index = i;
            rc = KV_EINVAL;
        } else if (rc == 0 && i + 1 < n && p.size < ENG_MPU_MIN_PART && small == SIZE_MAX) {
            small = i; /* reported once every part is known to exist */
        }
        if (rc == 0) {
            o->segs[o->n_segs].data_id = p.data_id;
            o->segs[o->n_segs].size = p.size;
            o->segs[o->n_segs].part = p.number;
            o->segs[o->n_segs].checksum = p.checksum;
            o->n_segs++;
            o->size += p.size;
        }
    }
    if (rc == 0 && small != SIZE_MAX) {
        *why = ENG_MPU_TOO_SMALL;
        *bad_index = small;
        rc = KV_EINVAL;
    }
    eng_found_t cur;
    eng__found_init(&cur);
    if (rc == 0) {
        rc = eng__find_current(e, NULL, &k, o->key, a, &cur);
        if (rc == KV_ENOTFOUND)
            rc = 0;
    }
    if (rc == 0)
        rc = eng__obj_check_cond(cond, cur.o, o);
    if (rc == 0 && o->n_segs == 0)
        rc = KV_EINVAL; /* the caller checks for an empty part list first */
    if (rc == 0)
        rc = drop_upload(e, t.b, bucket_id, o->key, upload_id, o->segs, o->n_segs, NULL);
    if (rc == 0)
        rc = eng__obj_install(&t, &k, kv_buf_slice(&cur.v), cur.o, o,
                              cond ? cond->versioning : ENG_VERSIONING_OFF, a, &v);
    if (rc == 0)
        rc = eng__otxn_commit(&t);
    eng__found_dispose(&cur);
    pthread_mutex_unlock(lock);
    eng__otxn_dispose(&t);
    /* o->segs pointed into a: leave o without them (the caller only needs size). */
    o->segs = NULL;
    o->n_segs = 0;
    kv_arena_free(a);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    kv_buf_dispose(&pk);
    kv_buf_dispose(&pv);
    return rc;
}

int eng_upload_list(eng_t *e, uint32_t bucket_id, kv_slice_t from, uint64_t after_id, size_t limit,
                    kv_arena_t *a, eng_upload_t **out, size_t *n, bool *more)
{
    *n = 0;
    *more = false;
    *out = kv_arena_calloc(a, limit ? limit : 1, sizeof(**out));
    kv_buf_t k;
    kv_buf_init(&k, 4 * ENG_OBJ_KEY_MAX + 32);
    kv_buf_append_byte(&k, ENG_CAT_UPLOAD);
    eng_key_put_u32(&k, bucket_id);
    size_t plen = k.len;
    eng_key_put_bytes(&k, from);
    if (after_id)
        eng_key_put_u64(&k, after_id); /* then skip that exact record below */
    else
        k.len -= 2; /* the smallest encoding of any key >= from */
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_CATALOG);
    int rc = 0;
    for (eng_riter_seek(it, kv_buf_slice(&k)); eng_riter_valid(it); eng_riter_next(it)) {
        kv_slice_t rk = eng_riter_key(it);
        if (rk.len < plen + 8 || memcmp(rk.p, k.p, plen) != 0)
            break;
        if (after_id && kv_slice_eq(rk, kv_buf_slice(&k)))
            continue;
        if (*n == limit) {
            *more = true;
            break;
        }
        eng_upload_t *u = &(*out)[*n];
        kv_slice_t tail = kv_slice(rk.p + rk.len - 8, 8);
        if (eng_key_get_u64(&tail, &u->upload_id) < 0) {
            rc = KV_ECORRUPT;
            break;
        }
        rc = decode_upload(eng_riter_value(it), a, &u->proto);
        if (rc < 0)
            break;
        (*n)++;
    }
    if (rc == 0)
        rc = eng_riter_status(it);
    eng_riter_free(it);
    kv_buf_dispose(&k);
    return rc;
}

int eng__drop_bucket_uploads(eng_t *e, eng_batch_t *b, uint32_t bucket_id)
{
    kv_buf_t k;
    kv_buf_init(&k, 16);
    kv_buf_append_byte(&k, ENG_CAT_UPLOAD);
    eng_key_put_u32(&k, bucket_id);
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_CATALOG);
    kv_arena_t *a = kv_arena_new(4096);
    int rc = 0;
    for (eng_riter_seek(it, kv_buf_slice(&k)); rc == 0 && eng_riter_valid(it); eng_riter_next(it)) {
        kv_slice_t rk = eng_riter_key(it);
        if (rk.len < k.len + 8 || memcmp(rk.p, k.p, k.len) != 0)
            break;
        kv_slice_t tail = kv_slice(rk.p + rk.len - 8, 8);
        uint64_t id;
        eng_object_t *proto;
        rc = eng_key_get_u64(&tail, &id);
        if (rc == 0)
            rc = decode_upload(eng_riter_value(it), a, &proto);
        if (rc == 0)
            rc = drop_upload(e, b, bucket_id, proto->key, id, NULL, 0, NULL);
    }
    if (rc == 0)
        rc = eng_riter_status(it);
    eng_riter_free(it);
    kv_arena_free(a);
    kv_buf_dispose(&k);
    return rc;
}

int eng_upload_abort(eng_t *e, uint32_t bucket_id, uint64_t upload_id, kv_slice_t key)
{
    pthread_mutex_t *lock = key_lock(e, bucket_id, key);
    pthread_mutex_lock(lock);
    kv_arena_t *a = kv_arena_new(1024);
    eng_object_t *proto;
    int rc = eng_upload_get(e, bucket_id, key, upload_id, a, &proto);
    eng_batch_t *b = eng_batch_new(e->rocks);
    kv_buf_t dropped;
    kv_buf_init(&dropped, (size_t)1 << 20); /* 16 bytes a part, 10,000 parts at most */
    if (rc == 0)
        rc = drop_upload(e, b, bucket_id, key, upload_id, NULL, 0, &dropped);
    if (rc == 0)
        rc = eng__write(e, b);
    pthread_mutex_unlock(lock);
    /* The parts' bytes are gone; free their disk in the background. */
    for (size_t i = 0; rc == 0 && i + 16 <= dropped.len; i += 16) {
        uint64_t id, size;
        memcpy(&id, dropped.p + i, 8);
        memcpy(&size, dropped.p + i + 8, 8);
        eng__reclaim_note(e, id, size);
    }
    kv_buf_dispose(&dropped);
    eng_batch_free(b);
    kv_arena_free(a);
    return rc;
}
