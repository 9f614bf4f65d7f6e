/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Objects on a temporary RocksDB: chunked writes and reads, snapshot isolation across an
 * overwrite, listing in binary key order, conditional puts, and multipart uploads whose
 * parts become segments without a copy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/kv_arena.h"
#include "eng.h"

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
    eng_opts_t o = {dir, ENG_FSYNC_BATCH, 0};
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

static void put(eng_t *e, uint32_t bucket, const char *key, size_t klen, uint32_t seed,
                uint64_t size)
{
    eng_object_t o = {0};
    o.key = kv_slice(key, klen);
    o.etag = "etag";
    o.size = size;
    write_blob(e, seed, size, &o.data_id);
    assert_int_equal(eng_object_put(e, bucket, &o, NULL), 0);
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
    assert_int_equal(eng_object_open(e, bid, KV_SLICE_LIT("k"), a, &m, &r), 0);
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
    assert_int_equal(eng_object_open(e, bid, KV_SLICE_LIT("k"), a, &m, &r), 0);
    uint32_t s2[] = {2};
    uint64_t z2[] = {100};
    assert_int_equal(m->size, 100);
    check_read(r, s2, z2, 1, 0, 100);
    eng_object_close(r);
    assert_int_equal(eng_object_delete(e, bid, KV_SLICE_LIT("k")), 0);
    assert_int_equal(eng_object_open(e, bid, KV_SLICE_LIT("k"), a, &m, NULL), KV_ENOTFOUND);
    assert_int_equal(eng_object_delete(e, bid, KV_SLICE_LIT("k")), 0); /* absent: fine */
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
    eng_obj_iter_t *it = eng_obj_iter_new(e, bid, KV_SLICE_NULL);
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
    eng_obj_cond_t absent = {true, NULL, false}, match = {false, "etag", false},
                   stale = {false, "nope", false};
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
    assert_int_equal(eng_object_open(e, bid, proto.key, a, &m, &r), 0);
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
    eng_opts_t opts = {dir, ENG_FSYNC_BATCH, 0};
    assert_int_equal(eng_open(&opts, &e), 0);
    assert_int_equal(eng_object_open(e, bid, proto.key, a, &m, &r), 0);
    check_read(r, seeds, sizes, 3, 0, m->size);
    eng_object_close(r);
    /* Abort drops an upload. */
    assert_int_equal(eng_upload_create(e, bid, &proto, &up), 0);
    assert_int_equal(eng_upload_abort(e, bid, up, proto.key), 0);
    assert_int_equal(eng_upload_abort(e, bid, up, proto.key), KV_ENOTFOUND);
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
    eng_opts_t opts = {dir, ENG_FSYNC_BATCH, 0};
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_read_overwrite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_listing_order_and_conditions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multipart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bucket_tags, setup, teardown),
    };
    return cmocka_run_group_tests_name("eng_object", tests, NULL, NULL);
}
