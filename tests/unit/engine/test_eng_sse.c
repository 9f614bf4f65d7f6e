/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 16, package E: encrypted object chunks on a temporary RocksDB. Round trips under a data
 * key (empty, one byte, exactly a chunk, across chunk boundaries, ranges), the stored bytes
 * never the plaintext, a read without the key or with another key refused, a tampered chunk
 * refused, and a multipart object whose parts share the upload's key.
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

#include "base/kv_aead.h"
#include "base/kv_arena.h"
#include "eng.h"
#include "eng_int.h"
#include "eng_keys.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/stratus-sse-XXXXXX");
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
    eng_bucket_t b = {.name = "sse"};
    assert_int_equal(eng_bucket_create(e, &b), 0);
    *bucket = b.id;
    return e;
}

static const uint8_t key1[ENG_DATA_KEY_LEN] = "0123456789abcdef0123456789abcdef";
static const uint8_t key2[ENG_DATA_KEY_LEN] = "fedcba9876543210fedcba9876543210";

static uint8_t pattern(uint32_t seed, uint64_t i)
{
    return (uint8_t)((i * 2654435761u + seed * 40503u) >> 7);
}

/* Write size bytes of stream seed through w (uneven pieces). */
static void fill(eng_blob_writer_t *w, uint32_t seed, uint64_t size)
{
    static uint8_t buf[70001];
    uint64_t off = 0;
    while (off < size) {
        size_t n = size - off < sizeof(buf) ? (size_t)(size - off) : sizeof(buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = pattern(seed, off + i);
        assert_int_equal(eng_blob_write(w, buf, n), 0);
        off += n;
    }
}

/* Put key k as size bytes of stream seed, encrypted under key (NULL: plain). */
static void put_enc(eng_t *e, uint32_t bid, const char *k, uint32_t seed, uint64_t size,
                    const uint8_t *key)
{
    eng_blob_writer_t *w = eng_blob_writer_new(e);
    if (key)
        assert_int_equal(eng_blob_writer_set_key(w, key), 0);
    fill(w, seed, size);
    if (key)
        assert_int_equal(eng_blob_writer_set_key(w, key), KV_EINVAL); /* once, before bytes */
    eng_object_t o = {.key = kv_slice_str(k), .etag = "e", .sse = key ? ENG_SSE_S3 : 0};
    eng_obj_cond_t cond = {0};
    assert_int_equal(eng_object_put_blob(e, bid, &o, &cond, w), 0);
    assert_int_equal(o.size, size);
}

static eng_object_reader_t *open_r(eng_t *e, uint32_t bid, const char *k, kv_arena_t *a,
                                   eng_object_t **m)
{
    eng_object_reader_t *r;
    assert_int_equal(eng_object_open(e, bid, kv_slice_str(k), NULL, a, m, &r), 0);
    return r;
}

/* Read [off, off+len) in pieces of at most piece bytes and compare with the concatenated
 * streams seeds[i] of sizes[i]. */
static void check(eng_object_reader_t *r, const uint32_t *seeds, const uint64_t *sizes,
                  uint64_t off, uint64_t len, size_t piece)
{
    static uint8_t buf[1 << 20];
    uint64_t pos = off, end = off + len;
    while (pos < end) {
        size_t want = end - pos < piece ? (size_t)(end - pos) : piece;
        int64_t got = eng_object_read(r, pos, buf, want);
        assert_true(got > 0);
        for (int64_t i = 0; i < got; i++) {
            uint64_t at = pos + (uint64_t)i, base = 0;
            size_t s = 0;
            while (at >= base + sizes[s])
                base += sizes[s++];
            assert_int_equal(buf[i], pattern(seeds[s], at - base));
        }
        pos += (uint64_t)got;
    }
}

/* The stored form of chunk c of run d. */
static void raw_chunk(eng_t *e, uint64_t d, uint32_t c, kv_buf_t *k, kv_buf_t *v)
{
    kv_buf_reset(k);
    kv_buf_reset(v);
    eng_key_put_u64(k, d);
    eng_key_put_u32(k, c);
    assert_int_equal(eng_rocks_get(e->rocks, ENG_CF_BLOBS, kv_buf_slice(k), v), 0);
}

static void test_round_trips(void **state)
{
    (void)state;
    uint32_t bid;
    eng_t *e = open_eng(&bid);
    kv_arena_t *a = kv_arena_new(4096);
    static const uint64_t sizes[] = {0,
                                     1,
                                     100,
                                     ENG_BLOB_CHUNK - 1,
                                     ENG_BLOB_CHUNK,
                                     ENG_BLOB_CHUNK + 1,
                                     3 * ENG_BLOB_CHUNK + 777};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
        char k[16];
        snprintf(k, sizeof(k), "k%zu", i);
        put_enc(e, bid, k, (uint32_t)i, sizes[i], key1);
        eng_object_t *m;
        eng_object_reader_t *r = open_r(e, bid, k, a, &m);
        assert_int_equal(m->sse, ENG_SSE_S3);
        assert_int_equal(m->size, sizes[i]);
        assert_int_equal(eng_object_reader_set_key(r, key1), 0);
        assert_int_equal(eng_object_reader_set_key(r, key1), KV_EINVAL);
        uint32_t seed = (uint32_t)i;
        check(r, &seed, &sizes[i], 0, sizes[i], 4099);
        uint8_t b[8];
        assert_int_equal(eng_object_read(r, sizes[i], b, sizeof(b)), 0); /* the end */
        if (sizes[i] > ENG_BLOB_CHUNK + 4) { /* ranges: across a boundary, backwards, the tail */
            check(r, &seed, &sizes[i], ENG_BLOB_CHUNK - 3, 7, 2);
            check(r, &seed, &sizes[i], 5, 10, 3);
            check(r, &seed, &sizes[i], sizes[i] - 1, 1, 1);
        }
        eng_object_close(r);
    }
    kv_arena_free(a);
    eng_close(e);
}

static void test_refusals(void **state)
{
    (void)state;
    uint32_t bid;
    eng_t *e = open_eng(&bid);
    kv_arena_t *a = kv_arena_new(4096);
    const uint64_t size = ENG_BLOB_CHUNK + 100;
    put_enc(e, bid, "enc", 7, size, key1);
    put_enc(e, bid, "plain", 7, size, NULL);
    eng_object_t *m;
    uint8_t b[64];
    /* Without the key: refused, never ciphertext. */
    eng_object_reader_t *r = open_r(e, bid, "enc", a, &m);
    assert_int_equal(eng_object_read(r, 0, b, sizeof(b)), KV_EINVAL);
    eng_object_close(r);
    /* Another key: the tag fails. */
    r = open_r(e, bid, "enc", a, &m);
    assert_int_equal(eng_object_reader_set_key(r, key2), 0);
    assert_int_equal(eng_object_read(r, 0, b, sizeof(b)), KV_ECORRUPT);
    eng_object_close(r);
    /* A key for a plain object is a mistake. */
    r = open_r(e, bid, "plain", a, &m);
    assert_int_equal(eng_object_reader_set_key(r, key1), KV_EINVAL);
    eng_object_close(r);
    /* At rest: the stored chunks are not the plaintext, and carry a 16-byte tag. */
    r = open_r(e, bid, "enc", a, &m);
    uint64_t d = m->data_id;
    eng_object_close(r);
    kv_buf_t k, v;
    kv_buf_init(&k, 64);
    kv_buf_init(&v, 2 * ENG_BLOB_CHUNK);
    raw_chunk(e, d, 1, &k, &v);
    assert_int_equal(v.len, 100 + 16);
    size_t same = 0;
    for (size_t i = 0; i < 100; i++)
        same += v.p[i] == pattern(7, ENG_BLOB_CHUNK + i);
    assert_true(same < 10);
    /* Tampering with one bit of chunk 1: chunk 0 still reads, chunk 1 is refused. */
    v.p[42] ^= 0x01;
    eng_batch_t *bt = eng_batch_new(e->rocks);
    eng_batch_put(bt, ENG_CF_BLOBS, kv_buf_slice(&k), kv_buf_slice(&v));
    assert_int_equal(eng_rocks_write(e->rocks, bt), 0);
    eng_batch_free(bt);
    r = open_r(e, bid, "enc", a, &m);
    assert_int_equal(eng_object_reader_set_key(r, key1), 0);
    uint64_t sz = size;
    uint32_t seed = 7;
    check(r, &seed, &sz, 0, 1000, 1000);
    assert_int_equal(eng_object_read(r, ENG_BLOB_CHUNK, b, sizeof(b)), KV_ECORRUPT);
    eng_object_close(r);
    /* A chunk moved under another chunk number (same run, same key) is refused: the nonce
     * binds its place. */
    put_enc(e, bid, "two", 9, 2 * ENG_BLOB_CHUNK, key1);
    r = open_r(e, bid, "two", a, &m);
    d = m->data_id;
    eng_object_close(r);
    raw_chunk(e, d, 0, &k, &v);
    kv_buf_reset(&k);
    eng_key_put_u64(&k, d);
    eng_key_put_u32(&k, 1);
    bt = eng_batch_new(e->rocks);
    eng_batch_put(bt, ENG_CF_BLOBS, kv_buf_slice(&k), kv_buf_slice(&v));
    assert_int_equal(eng_rocks_write(e->rocks, bt), 0);
    eng_batch_free(bt);
    r = open_r(e, bid, "two", a, &m);
    assert_int_equal(eng_object_reader_set_key(r, key1), 0);
    assert_int_equal(eng_object_read(r, 0, b, sizeof(b)), sizeof(b));
    assert_int_equal(eng_object_read(r, ENG_BLOB_CHUNK, b, sizeof(b)), KV_ECORRUPT);
    eng_object_close(r);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    kv_arena_free(a);
    eng_close(e);
}

/* A multipart object: each part written under the upload's key; read across parts. */
static void test_multipart(void **state)
{
    (void)state;
    uint32_t bid;
    eng_t *e = open_eng(&bid);
    eng_object_t proto = {.key = KV_SLICE_LIT("mpu"), .etag = "", .sse = ENG_SSE_S3};
    uint64_t up;
    assert_int_equal(eng_upload_create(e, bid, &proto, &up), 0);
    static const uint64_t sizes[] = {ENG_MPU_MIN_PART, ENG_BLOB_CHUNK + 3};
    static const uint32_t seeds[] = {11, 12};
    uint32_t nums[] = {1, 2};
    const char *etags[] = {"e1", "e2"};
    for (size_t i = 0; i < 2; i++) {
        eng_blob_writer_t *w = eng_blob_writer_new(e);
        assert_int_equal(eng_blob_writer_set_key(w, key2), 0);
        fill(w, seeds[i], sizes[i]);
        eng_part_t p = {.number = nums[i], .etag = etags[i], .mtime_ms = 1};
        assert_int_equal(eng_blob_writer_finish(w, &p.data_id, &p.size), 0);
        assert_int_equal(eng_upload_put_part(e, bid, up, proto.key, &p), 0);
    }
    eng_object_t o = proto;
    o.etag = "x-2";
    eng_mpu_err_t why;
    size_t at;
    assert_int_equal(eng_upload_complete(e, bid, up, nums, etags, 2, &o, NULL, &why, &at), 0);
    kv_arena_t *a = kv_arena_new(4096);
    eng_object_t *m;
    eng_object_reader_t *r = open_r(e, bid, "mpu", a, &m);
    assert_int_equal(m->sse, ENG_SSE_S3);
    assert_int_equal(eng_object_reader_set_key(r, key2), 0);
    check(r, seeds, sizes, 0, sizes[0] + sizes[1], sizeof(uint8_t) << 20);
    check(r, seeds, sizes, sizes[0] - 5, 10, 3);       /* across the part boundary */
    check(r, seeds, sizes, sizes[0], sizes[1], 65536); /* the second part alone */
    eng_object_close(r);
    kv_arena_free(a);
    eng_close(e);
}

/* The AEAD primitive: empty input, in place, a wrong tag wipes the output. */
static void test_aead(void **state)
{
    (void)state;
    kv_aead_t *x = kv_aead_new(key1);
    assert_non_null(x);
    uint8_t nonce[KV_AEAD_NONCE_LEN] = {1}, tag[KV_AEAD_TAG_LEN], p[32] = "attack at dawn";
    assert_int_equal(kv_aead_seal(x, nonce, p, 0, tag), 0);
    assert_int_equal(kv_aead_open(x, nonce, p, 0, tag), 0);
    assert_int_equal(kv_aead_seal(x, nonce, p, sizeof(p), tag), 0);
    assert_true(memcmp(p, "attack at dawn", 14) != 0);
    uint8_t q[32];
    memcpy(q, p, sizeof(q));
    assert_int_equal(kv_aead_open(x, nonce, p, sizeof(p), tag), 0);
    assert_memory_equal(p, "attack at dawn", 14);
    tag[0] ^= 1;
    assert_int_equal(kv_aead_open(x, nonce, q, sizeof(q), tag), -1);
    for (size_t i = 0; i < sizeof(q); i++)
        assert_int_equal(q[i], 0);
    kv_aead_free(x);
    kv_aead_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trips, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multipart, setup, teardown),
        cmocka_unit_test(test_aead),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
