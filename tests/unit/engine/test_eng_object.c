/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Objects on a temporary RocksDB: chunked writes and reads, snapshot isolation across an
 * overwrite, listing in binary key order, conditional puts, multipart uploads whose
 * parts become segments without a copy, and the bytes of writers that died before they
 * committed (reclaimed at the next open).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/kv_arena.h"
#include "eng.h"
#include "eng_int.h"
#include "eng_keys.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/stratus-obj-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static eng_t *open_eng(uint32_t *bucket)
{
    eng_opts_t o = {.dir = dir, .fsync = ENG_FSYNC_BATCH};
    eng_t *e = NULL;
    assert_int_equal(eng_open(&o, &e), 0);
    eng_bucket_t b = {.name = "objects"};
    assert_int_equal(eng_bucket_create(e, &b), 0);
    *bucket = b.id;
    return e;
}

/* Deterministic bytes: byte i of stream `seed`. */
static uint8_t pattern(uint32_t seed, uint64_t i)
{
    return (uint8_t)((i * 2654435761u + seed * 40503u) >> 7);
}

static void write_blob(eng_t *e, uint32_t seed, uint64_t size, uint64_t *data_id)
{
    eng_blob_writer_t *w = eng_blob_writer_new(e);
    uint8_t buf[70000];
    uint64_t off = 0, got;
    while (off < size) {
        size_t n = size - off < sizeof(buf) ? (size_t)(size - off) : sizeof(buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = pattern(seed, off + i);
        assert_int_equal(eng_blob_write(w, buf, n), 0);
        off += n;
    }
    assert_int_equal(eng_blob_writer_finish(w, data_id, &got), 0);
    assert_int_equal(got, size);
}

/* Put under a versioning state; returns the new version number. */
static uint64_t put_v(eng_t *e, uint32_t bucket, const char *key, size_t klen, uint32_t seed,
                      uint64_t size, eng_versioning_t v)
{
    eng_object_t o = {0};
    o.key = kv_slice(key, klen);
    o.etag = "etag";
    o.size = size;
    write_blob(e, seed, size, &o.data_id);
    eng_obj_cond_t cond = {.versioning = v};
    assert_int_equal(eng_object_put(e, bucket, &o, &cond), 0);
    assert_true(o.version != 0);
    assert_int_equal(o.null_version, v != ENG_VERSIONING_ENABLED);
    return o.version;
}

static void put(eng_t *e, uint32_t bucket, const char *key, size_t klen, uint32_t seed,
                uint64_t size)
{
    put_v(e, bucket, key, klen, seed, size, ENG_VERSIONING_OFF);
}

/* Read [off, off+len) through a reader in uneven pieces and compare with the pattern of the
 * concatenated runs (seeds[i] for sizes[i]). */
static void check_read(eng_object_reader_t *r, const uint32_t *seeds, const uint64_t *sizes,
                       size_t n, uint64_t off, uint64_t len)
{
    uint8_t buf[4099];
    uint64_t pos = off, end = off + len;
    while (pos < end) {
        size_t want = end - pos < sizeof(buf) ? (size_t)(end - pos) : sizeof(buf);
        int64_t got = eng_object_read(r, pos, buf, want);
        assert_true(got > 0);
        for (int64_t i = 0; i < got; i++) {
            uint64_t at = pos + (uint64_t)i, base = 0;
            size_t s = 0;
            while (at >= base + sizes[s]) {
                base += sizes[s++];
                assert_true(s < n);
            }
            assert_int_equal(buf[i], pattern(seeds[s], at - base));
        }
        pos += (uint64_t)got;
    }
}

static void test_put_read_overwrite(void **state)
{
    (void)state;
    uint32_t bid;
    eng_t *e = open_eng(&bid);
    const uint64_t size = 3 * ENG_BLOB_CHUNK + 12345;
    put(e, bid, "k", 1, 1, size);
    kv_arena_t *a = kv_arena_new(4096);
    eng_object_t *m;
    eng_object_reader_t *r;
    assert_int_equal(eng_object_open(e, bid, KV_SLICE_LIT("k"), NULL, a, &m, &r), 0);
    assert_int_equal(m->size, size);
    uint32_t s1[] = {1};
    uint64_t z1[] = {size};
    check_read(r, s1, z1, 1, 0, size);
    check_read(r, s1, z1, 1, ENG_BLOB_CHUNK - 5, 10); /* across a chunk boundary */
    assert_int_equal(eng_object_read(r, size, (uint8_t[1]){0}, 1), 0);
    /* An overwrite deletes the old bytes, but this reader's snapshot still sees them all. */
    put(e, bid, "k", 1, 2, 100);
    check_read(r, s1, z1, 1, 0, size);
    eng_object_close(r);
    assert_int_equal(eng_object_open(e, bid, KV_SLICE_LIT("k"), NULL, a, &m, &r), 0);
    uint32_t s2[] = {2};
    uint64_t z2[] = {100};
    assert_int_equal(m->size, 100);
    check_read(r, s2, z2, 1, 0, 100);
    eng_object_close(r);
    assert_int_equal(eng_object_delete(e, bid, KV_SLICE_LIT("k"), ENG_VERSIONING_OFF, NULL, NULL),
                     0);
    assert_int_equal(eng_object_open(e, bid, KV_SLICE_LIT("k"), NULL, a, &m, NULL), KV_ENOTFOUND);
    assert_int_equal(eng_object_delete(e, bid, KV_SLICE_LIT("k"), ENG_VERSIONING_OFF, NULL, NULL),
                     0); /* absent: fine */
    kv_arena_free(a);
    eng_close(e);
}

static void test_listing_order_and_conditions(void **state)
{
    (void)state;
    uint32_t bid;
    eng_t *e = open_eng(&bid);
    /* Binary order, with NUL and 0xFF bytes and a key that prefixes another. */
    static const struct {
        const char *k;
        size_t n;
    } keys[] = {{"a", 1}, {"a\0", 2}, {"a\0b", 3}, {"a\x01", 2}, {"ab", 2}, {"b\xff", 2}};
    for (size_t i = sizeof(keys) / sizeof(*keys); i-- > 0;)
        put(e, bid, keys[i].k, keys[i].n, (uint32_t)i, 10);
    kv_arena_t *a = kv_arena_new(4096);
    eng_obj_iter_t *it = eng_obj_iter_new(e, bid, KV_SLICE_NULL, false);
    eng_object_t *m;
    for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
        assert_int_equal(eng_obj_iter_next(it, a, &m), 1);
        assert_true(kv_slice_eq(m->key, kv_slice(keys[i].k, keys[i].n)));
    }
    assert_int_equal(eng_obj_iter_next(it, a, &m), 0);
    eng_obj_iter_seek(it, kv_slice("a\0", 2));
    assert_int_equal(eng_obj_iter_next(it, a, &m), 1);
    assert_true(kv_slice_eq(m->key, kv_slice("a\0", 2)));
    eng_obj_iter_free(it);
    /* Conditional puts. */
    eng_object_t o = {0};
    o.key = KV_SLICE_LIT("a");
    o.etag = "new";
    write_blob(e, 9, 5, &o.data_id);
    o.size = 5;
    eng_obj_cond_t absent = {.if_absent = true}, match = {.if_match = "etag"},
                   stale = {.if_match = "nope"};
    assert_int_equal(eng_object_put(e, bid, &o, &absent), KV_ECONDFAIL);
    write_blob(e, 9, 5, &o.data_id); /* a failed put dropped the bytes it was given */
    assert_int_equal(eng_object_put(e, bid, &o, &stale), KV_ECONDFAIL);
    write_blob(e, 9, 5, &o.data_id);
    assert_int_equal(eng_object_put(e, bid, &o, &match), 0);
    o.key = KV_SLICE_LIT("zz");
    write_blob(e, 9, 5, &o.data_id);
    assert_int_equal(eng_object_put(e, bid, &o, &match), KV_ENOTFOUND);
    write_blob(e, 9, 5, &o.data_id);
    assert_int_equal(eng_object_put(e, bid, &o, &absent), 0);
    kv_arena_free(a);
    eng_close(e);
}

static void test_multipart(void **state)
{
    (void)state;
    uint32_t bid;
    eng_t *e = open_eng(&bid);
    eng_object_t proto = {0};
    proto.key = KV_SLICE_LIT("big");
    proto.etag = "";
    proto.content_type = "video/mp4";
    uint64_t up;
    assert_int_equal(eng_upload_create(e, bid, &proto, &up), 0);
    const uint64_t sizes[] = {ENG_MPU_MIN_PART, ENG_MPU_MIN_PART + 3, 777};
    const uint32_t seeds[] = {11, 12, 13};
    const char *etags[] = {"e1", "e2", "e3"};
    for (uint32_t i = 0; i < 3; i++) {
        eng_part_t p = {.number = i + 1, .size = sizes[i], .etag = etags[i], .mtime_ms = 1};
        write_blob(e, seeds[i] + 100, sizes[i], &p.data_id); /* replaced below */
        assert_int_equal(eng_upload_put_part(e, bid, up, proto.key, &p), 0);
        write_blob(e, seeds[i], sizes[i], &p.data_id);
        assert_int_equal(eng_upload_put_part(e, bid, up, proto.key, &p), 0);
    }
    eng_part_t p = {.number = 1, .size = 1, .etag = "x"};
    write_blob(e, 1, 1, &p.data_id);
    assert_int_equal(eng_upload_put_part(e, bid, up, KV_SLICE_LIT("other"), &p), KV_ENOTFOUND);
    kv_arena_t *a = kv_arena_new(4096);
    eng_part_t *parts;
    size_t n;
    bool more;
    assert_int_equal(eng_upload_parts(e, up, 1, 10, a, &parts, &n, &more), 0);
    assert_int_equal(n, 2);
    assert_int_equal(parts[0].number, 2);
    assert_string_equal(parts[1].etag, "e3");
    eng_upload_t *ups;
    assert_int_equal(eng_upload_list(e, bid, KV_SLICE_NULL, 0, 10, a, &ups, &n, &more), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ups[0].upload_id, up);
    /* Refusals: a wrong ETag, then a small part that is not last. */
    uint32_t nums[] = {1, 2, 3};
    const char *bad[] = {"e1", "zz", "e3"};
    eng_object_t o = proto;
    eng_mpu_err_t why;
    size_t at;
    assert_int_equal(eng_upload_complete(e, bid, up, nums, bad, 3, &o, NULL, &why, &at), KV_EINVAL);
    assert_int_equal(why, ENG_MPU_INVALID_PART);
    assert_int_equal(at, 1);
    uint32_t small_first[] = {3, 2};
    const char *small_etags[] = {"e3", "e2"};
    assert_int_equal(
        eng_upload_complete(e, bid, up, small_first, small_etags, 2, &o, NULL, &why, &at),
        KV_EINVAL);
    assert_int_equal(why, ENG_MPU_TOO_SMALL);
    /* Complete: the parts are the object, read across their boundaries. */
    o.etag = "md5-3";
    assert_int_equal(eng_upload_complete(e, bid, up, nums, etags, 3, &o, NULL, &why, &at), 0);
    assert_int_equal(o.size, sizes[0] + sizes[1] + sizes[2]);
    eng_object_t *m;
    eng_object_reader_t *r;
    assert_int_equal(eng_object_open(e, bid, proto.key, NULL, a, &m, &r), 0);
    assert_int_equal(m->n_segs, 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(m->segs[i].part, nums[i]); /* kept for GetObject partNumber */
    assert_string_equal(m->content_type, "video/mp4");
    check_read(r, seeds, sizes, 3, 0, m->size);
    check_read(r, seeds, sizes, 3, sizes[0] - 2, 9);
    check_read(r, seeds, sizes, 3, sizes[0] + sizes[1] - 1, 778);
    eng_object_close(r);
    assert_int_equal(eng_upload_get(e, bid, proto.key, up, a, &m), KV_ENOTFOUND);
    assert_int_equal(eng_upload_parts(e, up, 0, 10, a, &parts, &n, &more), 0);
    assert_int_equal(n, 0);
    assert_int_equal(eng_upload_list(e, bid, KV_SLICE_NULL, 0, 10, a, &ups, &n, &more), 0);
    assert_int_equal(n, 0);
    /* Survives a reopen. */
    eng_close(e);
    eng_opts_t opts = {.dir = dir, .fsync = ENG_FSYNC_BATCH};
    assert_int_equal(eng_open(&opts, &e), 0);
    assert_int_equal(eng_object_open(e, bid, proto.key, NULL, a, &m, &r), 0);
    check_read(r, seeds, sizes, 3, 0, m->size);
    eng_object_close(r);
    /* Abort drops an upload. */
    assert_int_equal(eng_upload_create(e, bid, &proto, &up), 0);
    assert_int_equal(eng_upload_abort(e, bid, up, proto.key), 0);
    assert_int_equal(eng_upload_abort(e, bid, up, proto.key), KV_ENOTFOUND);
    kv_arena_free(a);
    eng_close(e);
}

/* Count a key's versions through the all-versions iterator; checks newest-first order and
 * that only the first is current. */
static size_t versions_of(eng_t *e, uint32_t bid, kv_arena_t *a, eng_object_t **out, size_t cap)
{
    eng_obj_iter_t *it = eng_obj_iter_new(e, bid, KV_SLICE_NULL, true);
    eng_object_t *m;
    size_t n = 0;
    while (eng_obj_iter_next(it, a, &m) == 1) {
        assert_true(n < cap);
        assert_int_equal(m->noncurrent, n > 0);
        if (n > 0 && !m->null_version && !out[n - 1]->null_version)
            assert_true(m->version < out[n - 1]->version);
        out[n++] = m;
    }
    eng_obj_iter_free(it);
    return n;
}

static void read_seed(eng_t *e, uint32_t bid, const eng_vref_t *ref, uint32_t seed, uint64_t size)
{
    kv_arena_t *a = kv_arena_new(1024);
    eng_object_t *m;
    eng_object_reader_t *r;
    assert_int_equal(eng_object_open(e, bid, KV_SLICE_LIT("k"), ref, a, &m, &r), 0);
    assert_false(m->delete_marker);
    assert_int_equal(m->size, size);
    check_read(r, &seed, &size, 1, 0, size);
    eng_object_close(r);
    kv_arena_free(a);
}

static void test_versions(void **state)
{
    (void)state;
    uint32_t bid;
    eng_t *e = open_eng(&bid);
    kv_arena_t *a = kv_arena_new(4096);
    eng_object_t *vs[8], *m;
    eng_object_reader_t *r;
    const eng_vref_t null_ref = {.kind = ENG_VREF_NULL};
    /* Written before versioning: the null version. Enabling keeps it as noncurrent. */
    put(e, bid, "k", 1, 1, 1000);
    uint64_t v1 = put_v(e, bid, "k", 1, 2, 2000, ENG_VERSIONING_ENABLED);
    uint64_t v2 = put_v(e, bid, "k", 1, 3, ENG_BLOB_CHUNK + 7, ENG_VERSIONING_ENABLED);
    assert_true(v2 > v1);
    read_seed(e, bid, NULL, 3, ENG_BLOB_CHUNK + 7);
    read_seed(e, bid, &null_ref, 1, 1000);
    read_seed(e, bid, &(eng_vref_t){ENG_VREF_ID, v1}, 2, 2000);
    read_seed(e, bid, &(eng_vref_t){ENG_VREF_ID, v2}, 3, ENG_BLOB_CHUNK + 7);
    assert_int_equal(
        eng_object_open(e, bid, KV_SLICE_LIT("k"), &(eng_vref_t){ENG_VREF_ID, 5}, a, &m, NULL),
        KV_ENOTFOUND);
    assert_int_equal(versions_of(e, bid, a, vs, 8), 3);
    assert_true(vs[0]->version == v2 && vs[1]->version == v1 && vs[2]->null_version);
    /* A delete adds a marker: the key no longer lists, its versions remain. */
    eng_del_result_t res;
    assert_int_equal(
        eng_object_delete(e, bid, KV_SLICE_LIT("k"), ENG_VERSIONING_ENABLED, NULL, &res), 0);
    assert_true(res.found && res.delete_marker && !res.null_version);
    uint64_t marker = res.version;
    assert_int_equal(eng_object_open(e, bid, KV_SLICE_LIT("k"), NULL, a, &m, &r), 0);
    assert_true(m->delete_marker);
    assert_null(r);
    eng_obj_iter_t *it = eng_obj_iter_new(e, bid, KV_SLICE_NULL, false);
    assert_int_equal(eng_obj_iter_next(it, a, &m), 0);
    eng_obj_iter_free(it);
    assert_int_equal(versions_of(e, bid, a, vs, 8), 4);
    assert_true(vs[0]->delete_marker && vs[0]->version == marker);
    /* Removing the marker by id brings the newest version back. */
    assert_int_equal(eng_object_delete(e, bid, KV_SLICE_LIT("k"), ENG_VERSIONING_ENABLED,
                                       &(eng_vref_t){ENG_VREF_ID, marker}, &res),
                     0);
    assert_true(res.found && res.delete_marker);
    read_seed(e, bid, NULL, 3, ENG_BLOB_CHUNK + 7);
    assert_int_equal(eng_object_delete(e, bid, KV_SLICE_LIT("k"), ENG_VERSIONING_ENABLED,
                                       &(eng_vref_t){ENG_VREF_ID, v2}, &res),
                     0);
    assert_true(res.found && !res.delete_marker);
    read_seed(e, bid, NULL, 2, 2000);
    /* An absent version: nothing to do. */
    assert_int_equal(eng_object_delete(e, bid, KV_SLICE_LIT("k"), ENG_VERSIONING_ENABLED,
                                       &(eng_vref_t){ENG_VREF_ID, v2}, &res),
                     0);
    assert_false(res.found);
    /* Suspended: the new null version replaces the old (noncurrent) one; v1 stays. */
    put_v(e, bid, "k", 1, 4, 500, ENG_VERSIONING_SUSPENDED);
    assert_int_equal(versions_of(e, bid, a, vs, 8), 2);
    assert_true(vs[0]->null_version && vs[1]->version == v1);
    read_seed(e, bid, &null_ref, 4, 500);
    /* Another suspended put replaces the current null version in place. */
    put_v(e, bid, "k", 1, 5, 600, ENG_VERSIONING_SUSPENDED);
    assert_int_equal(versions_of(e, bid, a, vs, 8), 2);
    read_seed(e, bid, NULL, 5, 600);
    /* Tags of a noncurrent version change in place. */
    eng_tag_t t = {"color", "blue"};
    assert_int_equal(
        eng_object_set_tags(e, bid, KV_SLICE_LIT("k"), &(eng_vref_t){ENG_VREF_ID, v1}, &t, 1), 0);
    assert_int_equal(
        eng_object_open(e, bid, KV_SLICE_LIT("k"), &(eng_vref_t){ENG_VREF_ID, v1}, a, &m, NULL), 0);
    assert_true(m->noncurrent && m->n_tags == 1 && strcmp(m->tags[0].value, "blue") == 0);
    /* A bucket holding versions is not empty; once every version is gone it is. */
    assert_int_equal(
        eng_object_delete(e, bid, KV_SLICE_LIT("k"), ENG_VERSIONING_SUSPENDED, &null_ref, &res), 0);
    read_seed(e, bid, NULL, 2, 2000);
    assert_int_equal(eng_bucket_delete(e, KV_SLICE_LIT("objects")), KV_ENOTEMPTY);
    assert_int_equal(eng_object_delete(e, bid, KV_SLICE_LIT("k"), ENG_VERSIONING_SUSPENDED,
                                       &(eng_vref_t){ENG_VREF_ID, v1}, &res),
                     0);
    assert_int_equal(versions_of(e, bid, a, vs, 8), 0);
    assert_int_equal(eng_bucket_delete(e, KV_SLICE_LIT("objects")), 0);
    kv_arena_free(a);
    eng_close(e);
}

/* Is run d of the blobs CF still stored (its first chunk)? */
static bool run_stored(eng_t *e, uint64_t d)
{
    kv_buf_t k, v;
    kv_buf_init(&k, 64);
    kv_buf_init(&v, 2 * ENG_BLOB_CHUNK);
    eng_key_put_u64(&k, d);
    eng_key_put_u32(&k, 0);
    int rc = eng_rocks_get(e->rocks, ENG_CF_BLOBS, kv_buf_slice(&k), &v);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc == 0;
}

static uint64_t current_version(eng_t *e, uint32_t bid, const char *key, uint64_t *data_id)
{
    kv_arena_t *a = kv_arena_new(1024);
    eng_object_t *m;
    assert_int_equal(eng_object_open(e, bid, kv_slice_str(key), NULL, a, &m, NULL), 0);
    uint64_t v = m->version;
    if (data_id)
        *data_id = m->data_id;
    kv_arena_free(a);
    return v;
}

/* Copies share bytes: the bytes stay while any record names them and go with the last. */
static void test_shared_copies(void **state)
{
    (void)state;
    uint32_t bid;
    eng_t *e = open_eng(&bid);
    const uint64_t size = 2 * ENG_BLOB_CHUNK + 5;
    put(e, bid, "a", 1, 7, size);
    uint64_t d;
    uint64_t va = current_version(e, bid, "a", &d);
    eng_vref_t ref = {ENG_VREF_NULL, 0};
    /* a -> b -> c, no byte copied. */
    eng_object_t o = {.key = KV_SLICE_LIT("b"), .etag = "etag"};
    assert_int_equal(eng_object_copy(e, bid, KV_SLICE_LIT("a"), &ref, va, bid, &o, NULL), 0);
    uint64_t db;
    uint64_t vb = current_version(e, bid, "b", &db);
    assert_true(db == d);
    eng_object_t o2 = {.key = KV_SLICE_LIT("c"), .etag = "etag"};
    assert_int_equal(eng_object_copy(e, bid, KV_SLICE_LIT("b"), &ref, vb, bid, &o2, NULL), 0);
    /* A stale source version, and a copy onto the source itself, are refused. */
    eng_object_t o3 = {.key = KV_SLICE_LIT("x"), .etag = "etag"};
    assert_int_equal(eng_object_copy(e, bid, KV_SLICE_LIT("a"), &ref, va + 1, bid, &o3, NULL),
                     KV_EBUSY);
    eng_object_t o4 = {.key = KV_SLICE_LIT("a"), .etag = "etag"};
    assert_int_equal(eng_object_copy(e, bid, KV_SLICE_LIT("a"), &ref, va, bid, &o4, NULL),
                     KV_EINVAL);
    /* Delete the source, overwrite one copy: the bytes stay for the last name. */
    assert_int_equal(eng_object_delete(e, bid, KV_SLICE_LIT("a"), ENG_VERSIONING_OFF, NULL, NULL),
                     0);
    put(e, bid, "b", 1, 8, 10);
    assert_true(run_stored(e, d));
    kv_arena_t *a = kv_arena_new(1024);
    eng_object_t *m;
    eng_object_reader_t *r;
    assert_int_equal(eng_object_open(e, bid, KV_SLICE_LIT("c"), NULL, a, &m, &r), 0);
    assert_true(m->shared && m->size == size);
    uint32_t seed = 7;
    check_read(r, &seed, &size, 1, 0, size);
    eng_object_close(r);
    assert_int_equal(eng_object_delete(e, bid, KV_SLICE_LIT("c"), ENG_VERSIONING_OFF, NULL, NULL),
                     0);
    assert_false(run_stored(e, d));
    assert_int_equal(eng_object_delete(e, bid, KV_SLICE_LIT("b"), ENG_VERSIONING_OFF, NULL, NULL),
                     0);
    /* Versions sharing bytes in an enabled bucket: a same-key copy keeps the old version. */
    put_v(e, bid, "v", 1, 9, 100, ENG_VERSIONING_ENABLED);
    uint64_t dv;
    uint64_t vv = current_version(e, bid, "v", &dv);
    eng_vref_t idref = {ENG_VREF_ID, vv};
    eng_obj_cond_t en = {.versioning = ENG_VERSIONING_ENABLED};
    eng_object_t o5 = {.key = KV_SLICE_LIT("v"), .etag = "etag"};
    assert_int_equal(eng_object_copy(e, bid, KV_SLICE_LIT("v"), &idref, vv, bid, &o5, &en), 0);
    eng_object_t *vs[4];
    assert_int_equal(versions_of(e, bid, a, vs, 4), 2);
    assert_true(vs[0]->shared && vs[1]->shared && vs[0]->data_id == vs[1]->data_id);
    assert_int_equal(
        eng_object_delete(e, bid, KV_SLICE_LIT("v"), ENG_VERSIONING_ENABLED, &idref, NULL), 0);
    assert_true(run_stored(e, dv));
    eng_vref_t newest = {ENG_VREF_ID, o5.version};
    assert_int_equal(
        eng_object_delete(e, bid, KV_SLICE_LIT("v"), ENG_VERSIONING_ENABLED, &newest, NULL), 0);
    assert_false(run_stored(e, dv));
    kv_arena_free(a);
    eng_close(e);
}

/* A chunk whose stored bytes changed is an error on read, never bytes served. */
static void test_chunk_corruption_detected(void **state)
{
    (void)state;
    uint32_t bid;
    eng_t *e = open_eng(&bid);
    put(e, bid, "k", 1, 3, ENG_BLOB_CHUNK + 100);
    kv_arena_t *a = kv_arena_new(4096);
    eng_object_t *m;
    assert_int_equal(eng_object_open(e, bid, KV_SLICE_LIT("k"), NULL, a, &m, NULL), 0);
    /* Flip one bit of the second chunk, behind the engine's back. */
    kv_buf_t k, v;
    kv_buf_init(&k, 64);
    kv_buf_init(&v, 2 * ENG_BLOB_CHUNK);
    eng_key_put_u64(&k, m->data_id);
    eng_key_put_u32(&k, 1);
    assert_int_equal(eng_rocks_get(e->rocks, ENG_CF_BLOBS, kv_buf_slice(&k), &v), 0);
    assert_int_equal(v.len, 100 + 8);
    v.p[50] ^= 0x10;
    eng_batch_t *b = eng_batch_new(e->rocks);
    eng_batch_put(b, ENG_CF_BLOBS, kv_buf_slice(&k), kv_buf_slice(&v));
    assert_int_equal(eng_rocks_write(e->rocks, b), 0);
    eng_batch_free(b);
    eng_object_reader_t *r;
    assert_int_equal(eng_object_open(e, bid, KV_SLICE_LIT("k"), NULL, a, &m, &r), 0);
    uint8_t buf[256];
    assert_int_equal(eng_object_read(r, 10, buf, sizeof(buf)), sizeof(buf)); /* chunk 0: fine */
    assert_int_equal(eng_object_read(r, ENG_BLOB_CHUNK, buf, sizeof(buf)), KV_ECORRUPT);
    eng_object_close(r);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    kv_arena_free(a);
    eng_close(e);
}

static void test_bucket_tags(void **state)
{
    (void)state;
    uint32_t bid;
    eng_t *e = open_eng(&bid);
    kv_arena_t *a = kv_arena_new(4096);
    eng_bucket_t *b;
    assert_int_equal(eng_bucket_get(e, KV_SLICE_LIT("objects"), a, &b), 0);
    assert_false(b->has_tags);
    eng_tag_t tags[] = {{"team", "data"}, {"empty", ""}};
    assert_int_equal(eng_bucket_set_tags(e, KV_SLICE_LIT("objects"), true, tags, 2), 0);
    assert_int_equal(eng_bucket_set_tags(e, KV_SLICE_LIT("nope"), true, tags, 2), KV_ENOTFOUND);
    eng_close(e);
    eng_opts_t opts = {.dir = dir, .fsync = ENG_FSYNC_BATCH};
    assert_int_equal(eng_open(&opts, &e), 0);
    assert_int_equal(eng_bucket_get(e, KV_SLICE_LIT("objects"), a, &b), 0);
    assert_true(b->has_tags);
    assert_int_equal(b->n_tags, 2);
    assert_string_equal(b->tags[1].key, "empty");
    assert_string_equal(b->tags[1].value, "");
    assert_int_equal(b->id, bid); /* the rest of the record is unchanged */
    assert_int_equal(eng_bucket_set_tags(e, KV_SLICE_LIT("objects"), false, NULL, 0), 0);
    assert_int_equal(eng_bucket_get(e, KV_SLICE_LIT("objects"), a, &b), 0);
    assert_false(b->has_tags);
    assert_int_equal(b->n_tags, 0);
    kv_arena_free(a);
    eng_close(e);
}

/* The event name of record i of a bucket's log, and its key. */
static void event_is(const eng_srec_t *r, const char *name, const char *key, bool versioned)
{
    kv_slice_t got_name = KV_SLICE_NULL, got_key = KV_SLICE_NULL;
    bool has_version = false, has_size = false;
    for (size_t i = 0; i < r->new_img->n; i++) {
        eng_attr_t *at = &r->new_img->attrs[i];
        if (kv_slice_eq_str(at->name, "eventName"))
            got_name = at->v->u.s;
        else if (kv_slice_eq_str(at->name, "key"))
            got_key = at->v->u.s;
        has_version |= kv_slice_eq_str(at->name, "versionId");
        has_size |= kv_slice_eq_str(at->name, "size");
    }
    assert_true(kv_slice_eq_str(got_name, name));
    assert_true(kv_slice_eq_str(got_key, key));
    assert_int_equal(has_version, versioned);
    assert_int_equal(has_size, strncmp(name, "ObjectCreated", 13) == 0);
}

static void test_event_log(void **state)
{
    (void)state;
    uint32_t bid;
    eng_t *e = open_eng(&bid);
    kv_arena_t *a = kv_arena_new(4096);
    /* Configuring notifications opens the bucket's log. */
    assert_int_equal(eng_bucket_set_doc(e, KV_SLICE_LIT("objects"), ENG_BDOC_NOTIFY,
                                        KV_SLICE_LIT("<NotificationConfiguration/>")),
                     0);
    eng_bucket_t *bk;
    assert_int_equal(eng_bucket_get(e, KV_SLICE_LIT("objects"), a, &bk), 0);
    uint32_t log = bk->log_id;
    assert_true(log != 0);
    eng_stream_t *s;
    assert_int_equal(eng_stream_get(e, log, a, &s), 0);
    assert_true(s->bucket && strcmp(s->table, "objects") == 0);
    eng_object_t o = {
        .key = KV_SLICE_LIT("a"), .etag = "e", .log_id = log, .event = "ObjectCreated:Put"};
    write_blob(e, 1, 10, &o.data_id);
    o.size = 10;
    assert_int_equal(eng_object_put(e, bid, &o, NULL), 0);
    /* A refused write logs nothing. */
    eng_object_t o2 = o;
    write_blob(e, 2, 10, &o2.data_id);
    eng_obj_cond_t refuse = {.if_absent = true};
    assert_int_equal(eng_object_put(e, bid, &o2, &refuse), KV_ECONDFAIL);
    /* A deletion of nothing logs nothing; a real one does. */
    assert_int_equal(eng_object_delete_logged(e, bid, KV_SLICE_LIT("zz"), ENG_VERSIONING_OFF, NULL,
                                              NULL, log, "ObjectRemoved"),
                     0);
    assert_int_equal(eng_object_delete_logged(e, bid, KV_SLICE_LIT("a"), ENG_VERSIONING_OFF, NULL,
                                              NULL, log, "ObjectRemoved"),
                     0);
    /* With versioning, a plain delete creates a marker. */
    eng_object_t o3 = {
        .key = KV_SLICE_LIT("b"), .etag = "e", .log_id = log, .event = "ObjectCreated:Copy"};
    write_blob(e, 3, 5, &o3.data_id);
    o3.size = 5;
    eng_obj_cond_t ver = {.versioning = ENG_VERSIONING_ENABLED};
    assert_int_equal(eng_object_put(e, bid, &o3, &ver), 0);
    assert_int_equal(eng_object_delete_logged(e, bid, KV_SLICE_LIT("b"), ENG_VERSIONING_ENABLED,
                                              NULL, NULL, log, "LifecycleExpiration"),
                     0);
    eng_srec_t *recs;
    size_t n;
    assert_int_equal(eng_stream_read(e, log, 1, 100, 1u << 20, a, &recs, &n), 0);
    assert_int_equal(n, 4);
    event_is(&recs[0], "ObjectCreated:Put", "a", false);
    event_is(&recs[1], "ObjectRemoved:Delete", "a", false);
    event_is(&recs[2], "ObjectCreated:Copy", "b", true);
    event_is(&recs[3], "LifecycleExpiration:DeleteMarkerCreated", "b", true);
    for (size_t i = 1; i < n; i++)
        assert_true(recs[i].seq > recs[i - 1].seq);
    /* Turning notifications off closes the log: later writes are not recorded. */
    assert_int_equal(eng_bucket_set_doc(e, KV_SLICE_LIT("objects"), ENG_BDOC_NOTIFY, KV_SLICE_NULL),
                     0);
    assert_int_equal(eng_bucket_get(e, KV_SLICE_LIT("objects"), a, &bk), 0);
    assert_int_equal(bk->log_id, 0);
    assert_int_equal(eng_stream_get(e, log, a, &s), 0);
    assert_true(s->disabled_ms != 0);
    kv_arena_free(a);
    eng_close(e);
}

/* Keys of cf starting with prefix. */
static size_t keys_with(eng_t *e, eng_cf_t cf, const void *prefix, size_t n)
{
    eng_riter_t *it = eng_riter_new(e->rocks, cf);
    size_t count = 0;
    for (eng_riter_seek(it, kv_slice(prefix, n)); eng_riter_valid(it); eng_riter_next(it)) {
        kv_slice_t k = eng_riter_key(it);
        if (k.len < n || memcmp(k.p, prefix, n) != 0)
            break;
        count++;
    }
    eng_riter_free(it);
    return count;
}

/* Chunks (and share counts) stored under data id d. */
static size_t chunks_of(eng_t *e, uint64_t d)
{
    uint8_t km[8];
    kv_buf_t k;
    kv_buf_init_on(&k, km, sizeof(km), sizeof(km));
    eng_key_put_u64(&k, d);
    size_t n = keys_with(e, ENG_CF_BLOBS, k.p, k.len);
    kv_buf_dispose(&k);
    return n;
}

static size_t writer_notes(eng_t *e)
{
    return keys_with(e, ENG_CF_STATE, "W", 1);
}

static void write_some(eng_blob_writer_t *w, uint32_t seed, uint64_t size)
{
    uint8_t buf[65536];
    for (uint64_t off = 0; off < size;) {
        size_t n = size - off < sizeof(buf) ? (size_t)(size - off) : sizeof(buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = pattern(seed, off + i);
        if (eng_blob_write(w, buf, n) < 0)
            _exit(3);
        off += n;
    }
}

/*
 * A writer that dies before its bytes are named leaves no bytes behind: the server killed
 * mid-upload (a forked child that exits without closing anything, as kill -9 would leave it),
 * an UploadPart whose bytes were written but whose record never was, a connection that
 * dropped (abort). Committed bytes written alongside survive the reclaim.
 */
static void test_interrupted_writers_reclaimed(void **state)
{
    (void)state;
    const uint64_t size = 3 * ENG_BLOB_CHUNK + ENG_BLOB_CHUNK / 2;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* The child: no cmocka asserts (they would jump into the parent's runner). */
        close(fds[0]);
        eng_opts_t o = {.dir = dir, .fsync = ENG_FSYNC_BATCH};
        eng_t *e;
        eng_bucket_t b = {.name = "objects"};
        if (eng_open(&o, &e) < 0 || eng_bucket_create(e, &b) < 0)
            _exit(2);
        uint64_t ids[4] = {0};
        /* A PUT cut off after three and a half chunks. */
        eng_blob_writer_t *cut = eng_blob_writer_new(e);
        write_some(cut, 1, size);
        /* A part's bytes, finished but never recorded. */
        eng_blob_writer_t *w = eng_blob_writer_new(e);
        write_some(w, 2, size);
        uint64_t got;
        if (eng_blob_writer_finish(w, &ids[1], &got) < 0)
            _exit(4);
        /* A PUT that committed, and a part that did. */
        eng_object_t obj = {.key = KV_SLICE_LIT("kept"), .etag = "etag"};
        w = eng_blob_writer_new(e);
        write_some(w, 3, size);
        if (eng_object_put_blob(e, b.id, &obj, NULL, w) < 0)
            _exit(5);
        ids[2] = obj.data_id;
        eng_object_t proto = {.key = KV_SLICE_LIT("mpu"), .etag = ""};
        uint64_t up;
        eng_part_t p = {.number = 1, .etag = "e1", .mtime_ms = 1};
        w = eng_blob_writer_new(e);
        write_some(w, 4, size);
        if (eng_upload_create(e, b.id, &proto, &up) < 0 ||
            eng_blob_writer_finish(w, &p.data_id, &p.size) < 0 ||
            eng_upload_put_part(e, b.id, up, proto.key, &p) < 0)
            _exit(6);
        ids[3] = p.data_id;
        /* The cut writer's id: the first chunk key of a data id that is none of the others. */
        eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_BLOBS);
        for (eng_riter_seek(it, KV_SLICE_NULL); eng_riter_valid(it); eng_riter_next(it)) {
            kv_slice_t k = eng_riter_key(it);
            uint64_t d;
            if (eng_key_get_u64(&k, &d) == 0 && d != ids[1] && d != ids[2] && d != ids[3])
                ids[0] = d;
        }
        eng_riter_free(it);
        uint32_t bid = b.id;
        if (write(fds[1], ids, sizeof(ids)) != (ssize_t)sizeof(ids) ||
            write(fds[1], &bid, sizeof(bid)) != (ssize_t)sizeof(bid))
            _exit(7);
        _exit(0); /* a crash: nothing closed, nothing flushed but the WAL */
    }
    close(fds[1]);
    uint64_t ids[4];
    uint32_t bid;
    assert_int_equal(read(fds[0], ids, sizeof(ids)), sizeof(ids));
    assert_int_equal(read(fds[0], &bid, sizeof(bid)), sizeof(bid));
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_true(ids[0] != 0);

    eng_opts_t o = {.dir = dir, .fsync = ENG_FSYNC_BATCH};
    eng_t *e;
    assert_int_equal(eng_open(&o, &e), 0);
    /* The dead writers' chunks are gone, and so are the notes; the committed bytes stay. */
    assert_int_equal(chunks_of(e, ids[0]), 0);
    assert_int_equal(chunks_of(e, ids[1]), 0);
    assert_int_equal(chunks_of(e, ids[2]), 4);
    assert_int_equal(chunks_of(e, ids[3]), 4);
    assert_int_equal(writer_notes(e), 0);
    kv_arena_t *a = kv_arena_new(4096);
    eng_object_t *m;
    eng_object_reader_t *r;
    assert_int_equal(eng_object_open(e, bid, KV_SLICE_LIT("kept"), NULL, a, &m, &r), 0);
    uint32_t seed = 3;
    check_read(r, &seed, &size, 1, 0, size);
    eng_object_close(r);
    /* The reclaimer compacts the two dropped ranges (bounded wait). */
    for (int i = 0; i < 1000 && atomic_load(&e->n_reclaimed) < 2; i++)
        usleep(10000);
    assert_true(atomic_load(&e->n_reclaimed) >= 2);

    /* In process: an aborted writer's chunks go at once, a committed one's note with its
     * commit, and a reopen keeps what committed. */
    eng_blob_writer_t *w = eng_blob_writer_new(e);
    write_some(w, 5, size);
    assert_int_equal(writer_notes(e), 1);
    eng_blob_writer_abort(w);
    assert_int_equal(writer_notes(e), 0);
    w = eng_blob_writer_new(e);
    write_some(w, 6, size);
    uint64_t orphan, got;
    assert_int_equal(eng_blob_writer_finish(w, &orphan, &got), 0);
    assert_int_equal(chunks_of(e, orphan), 4);
    eng_object_t put2 = {.key = KV_SLICE_LIT("kept2"), .etag = "etag"};
    w = eng_blob_writer_new(e);
    write_some(w, 7, size);
    assert_int_equal(eng_object_put_blob(e, bid, &put2, NULL, w), 0);
    assert_int_equal(writer_notes(e), 1); /* the orphan's */
    eng_close(e);
    assert_int_equal(eng_open(&o, &e), 0);
    assert_int_equal(chunks_of(e, orphan), 0);
    assert_int_equal(chunks_of(e, put2.data_id), 4);
    assert_int_equal(chunks_of(e, ids[2]), 4);
    assert_int_equal(writer_notes(e), 0);
    kv_arena_free(a);
    eng_close(e);
}

/* AbortMultipartUpload drops its parts' bytes. */
static void test_abort_upload_drops_parts(void **state)
{
    (void)state;
    uint32_t bid;
    eng_t *e = open_eng(&bid);
    eng_object_t proto = {.key = KV_SLICE_LIT("mpu"), .etag = ""};
    uint64_t up;
    assert_int_equal(eng_upload_create(e, bid, &proto, &up), 0);
    uint64_t ids[2];
    for (uint32_t i = 0; i < 2; i++) {
        eng_part_t p = {.number = i + 1, .size = ENG_MPU_MIN_PART, .etag = "e", .mtime_ms = 1};
        write_blob(e, i, ENG_BLOB_CHUNK + 10, &p.data_id);
        assert_int_equal(eng_upload_put_part(e, bid, up, proto.key, &p), 0);
        ids[i] = p.data_id;
        assert_int_equal(chunks_of(e, ids[i]), 2);
    }
    assert_int_equal(writer_notes(e), 0);
    uint64_t before = atomic_load(&e->n_reclaimed);
    assert_int_equal(eng_upload_abort(e, bid, up, proto.key), 0);
    assert_int_equal(chunks_of(e, ids[0]), 0);
    assert_int_equal(chunks_of(e, ids[1]), 0);
    for (int i = 0; i < 1000 && atomic_load(&e->n_reclaimed) < before + 2; i++)
        usleep(10000);
    assert_true(atomic_load(&e->n_reclaimed) >= before + 2);
    eng_close(e);
}

/* ---- issue 18: small objects kept in their record ---- */

/* Keys in the blobs CF (chunks and share counts). */
static size_t blob_keys(eng_t *e)
{
    eng_riter_t *it = eng_riter_new(e->rocks, ENG_CF_BLOBS);
    size_t n = 0;
    for (eng_riter_seek(it, KV_SLICE_NULL); eng_riter_valid(it); eng_riter_next(it))
        n++;
    eng_riter_free(it);
    return n;
}

/* Put `size` pattern bytes through a blob writer, as a PUT does (key: optional data key). */
static uint64_t put_w(eng_t *e, uint32_t bucket, const char *key, uint32_t seed, uint64_t size,
                      eng_versioning_t v, const uint8_t *dkey)
{
    eng_blob_writer_t *w = eng_blob_writer_new(e);
    if (dkey)
        assert_int_equal(eng_blob_writer_set_key(w, dkey), 0);
    uint8_t buf[4096];
    for (uint64_t off = 0; off < size;) {
        size_t n = size - off < sizeof(buf) ? (size_t)(size - off) : sizeof(buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = pattern(seed, off + i);
        assert_int_equal(eng_blob_write(w, buf, n), 0);
        off += n;
    }
    eng_object_t o = {.key = kv_slice_str(key), .etag = "etag"};
    if (dkey)
        o.sse = ENG_SSE_S3;
    eng_obj_cond_t cond = {.versioning = v};
    assert_int_equal(eng_object_put_blob(e, bucket, &o, &cond, w), 0);
    assert_int_equal(o.size, size);
    return o.version;
}

/* Open key (version ref) and check its bytes are seed's; @return whether it was inlined. */
static bool read_w(eng_t *e, uint32_t bid, const char *key, const eng_vref_t *ref, uint32_t seed,
                   uint64_t size)
{
    kv_arena_t *a = kv_arena_new(1024);
    eng_object_t *m;
    eng_object_reader_t *r;
    assert_int_equal(eng_object_open(e, bid, kv_slice_str(key), ref, a, &m, &r), 0);
    assert_int_equal(m->size, size);
    bool inl = m->inlined;
    if (size)
        check_read(r, &seed, &size, 1, 0, size);
    assert_int_equal(eng_object_read(r, size, (uint8_t[1]){0}, 1), 0);
    eng_object_close(r);
    kv_arena_free(a);
    return inl;
}

static void test_inline_objects(void **state)
{
    (void)state;
    uint32_t bid;
    eng_t *e = open_eng(&bid);
    /* A small PUT is one record: no chunk; empty and limit-sized objects too. */
    put_w(e, bid, "s", 1, 4096, ENG_VERSIONING_OFF, NULL);
    put_w(e, bid, "z", 2, 0, ENG_VERSIONING_OFF, NULL);
    put_w(e, bid, "m", 3, ENG_OBJ_INLINE_MAX, ENG_VERSIONING_OFF, NULL);
    assert_int_equal(blob_keys(e), 0);
    assert_true(read_w(e, bid, "s", NULL, 1, 4096));
    assert_true(read_w(e, bid, "z", NULL, 2, 0));
    assert_true(read_w(e, bid, "m", NULL, 3, ENG_OBJ_INLINE_MAX));
    /* One byte more, or encrypted: a chunk, as before. */
    put_w(e, bid, "l", 4, ENG_OBJ_INLINE_MAX + 1, ENG_VERSIONING_OFF, NULL);
    assert_false(read_w(e, bid, "l", NULL, 4, ENG_OBJ_INLINE_MAX + 1));
    assert_int_equal(blob_keys(e), 1);
    uint8_t dkey[ENG_DATA_KEY_LEN] = {1, 2, 3};
    put_w(e, bid, "x", 5, 100, ENG_VERSIONING_OFF, dkey);
    assert_int_equal(blob_keys(e), 2);
    /* A record written before (O_DATA) still reads; overwritten by a small PUT, its chunk
     * goes in the same batch; and a small object overwritten by a large one leaves nothing. */
    put(e, bid, "o", 1, 6, 300);
    assert_int_equal(blob_keys(e), 3);
    assert_false(read_w(e, bid, "o", NULL, 6, 300));
    put_w(e, bid, "o", 7, 200, ENG_VERSIONING_OFF, NULL);
    assert_int_equal(blob_keys(e), 2);
    assert_true(read_w(e, bid, "o", NULL, 7, 200));
    put_w(e, bid, "s", 8, ENG_BLOB_CHUNK + 10, ENG_VERSIONING_OFF, NULL);
    assert_false(read_w(e, bid, "s", NULL, 8, ENG_BLOB_CHUNK + 10));
    assert_int_equal(blob_keys(e), 4);
    put_w(e, bid, "s", 9, 10, ENG_VERSIONING_OFF, NULL);
    assert_int_equal(blob_keys(e), 2);
    /* A copy of a small object carries its bytes: nothing shared, each stands alone. */
    uint64_t vo = current_version(e, bid, "o", NULL);
    eng_vref_t ref = {ENG_VREF_NULL, 0};
    eng_object_t c = {.key = KV_SLICE_LIT("c"), .etag = "etag"};
    assert_int_equal(eng_object_copy(e, bid, KV_SLICE_LIT("o"), &ref, vo, bid, &c, NULL), 0);
    assert_int_equal(eng_object_delete(e, bid, KV_SLICE_LIT("o"), ENG_VERSIONING_OFF, NULL, NULL),
                     0);
    assert_true(read_w(e, bid, "c", NULL, 7, 200));
    kv_arena_t *a = kv_arena_new(1024);
    eng_object_t *m;
    assert_int_equal(eng_object_open(e, bid, KV_SLICE_LIT("c"), NULL, a, &m, NULL), 0);
    assert_false(m->shared);
    /* The same key's copy (metadata only) keeps the bytes; other bytes are refused. */
    eng_object_t same = *m;
    same.content_type = "text/plain";
    eng_obj_cond_t sd = {.same_data = true};
    assert_int_equal(eng_object_put(e, bid, &same, &sd), 0);
    assert_true(read_w(e, bid, "c", NULL, 7, 200));
    same.body = kv_slice(m->body.p, m->body.len - 1);
    same.size--;
    assert_int_equal(eng_object_put(e, bid, &same, &sd), KV_EBUSY);
    /* Versions: a noncurrent version keeps its own bytes. */
    uint64_t v1 = put_w(e, bid, "v", 10, 50, ENG_VERSIONING_ENABLED, NULL);
    put_w(e, bid, "v", 11, 60, ENG_VERSIONING_ENABLED, NULL);
    eng_vref_t r1 = {ENG_VREF_ID, v1};
    assert_true(read_w(e, bid, "v", &r1, 10, 50));
    assert_true(read_w(e, bid, "v", NULL, 11, 60));
    assert_int_equal(
        eng_object_delete(e, bid, KV_SLICE_LIT("v"), ENG_VERSIONING_ENABLED, &r1, NULL), 0);
    assert_true(read_w(e, bid, "v", NULL, 11, 60));
    assert_int_equal(blob_keys(e), 2);
    /* A changed bit in a record's bytes is an error on read, never bytes served. */
    kv_buf_t k, v;
    kv_buf_init(&k, 64);
    kv_buf_init(&v, 1 << 16);
    eng_key_put_u32(&k, bid);
    eng_key_put_bytes(&k, KV_SLICE_LIT("c"));
    assert_int_equal(eng_rocks_get(e->rocks, ENG_CF_OBJECTS, kv_buf_slice(&k), &v), 0);
    uint8_t first[16];
    for (size_t i = 0; i < sizeof(first); i++)
        first[i] = pattern(7, i);
    uint8_t *at = memmem(v.p, v.len, first, sizeof(first));
    assert_non_null(at);
    at[100] ^= 0x10;
    eng_batch_t *b = eng_batch_new(e->rocks);
    eng_batch_put(b, ENG_CF_OBJECTS, kv_buf_slice(&k), kv_buf_slice(&v));
    assert_int_equal(eng_rocks_write(e->rocks, b), 0);
    eng_batch_free(b);
    eng_object_reader_t *r;
    assert_int_equal(eng_object_open(e, bid, KV_SLICE_LIT("c"), NULL, a, &m, &r), KV_ECORRUPT);
    assert_null(r);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    kv_arena_free(a);
    /* And everything reads the same after a restart. */
    eng_close(e);
    eng_opts_t oo = {.dir = dir, .fsync = ENG_FSYNC_BATCH};
    assert_int_equal(eng_open(&oo, &e), 0);
    assert_true(read_w(e, bid, "z", NULL, 2, 0));
    assert_true(read_w(e, bid, "m", NULL, 3, ENG_OBJ_INLINE_MAX));
    assert_true(read_w(e, bid, "s", NULL, 9, 10));
    eng_close(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        /* First: it forks, best done before any test has started RocksDB's threads. */
        cmocka_unit_test_setup_teardown(test_interrupted_writers_reclaimed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort_upload_drops_parts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_read_overwrite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_listing_order_and_conditions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multipart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bucket_tags, setup, teardown),
        cmocka_unit_test_setup_teardown(test_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chunk_corruption_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_copies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inline_objects, setup, teardown),
    };
    return cmocka_run_group_tests_name("eng_object", tests, NULL, NULL);
}
