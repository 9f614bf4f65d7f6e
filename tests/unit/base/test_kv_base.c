/* SPDX-License-Identifier: Apache-2.0 */
/* Base layer: arena, capped buffer, base64, slices, time formats, errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/kv_arena.h"
#include "base/kv_b64.h"
#include "base/kv_buf.h"
#include "base/kv_err.h"
#include "base/kv_fs.h"
#include "base/kv_hash.h"
#include "base/kv_time.h"

static int cleaned;
static void on_clean(void *arg)
{
    cleaned += *(int *)arg;
}

static void test_arena(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(256);
    void *p = kv_arena_alloc(a, 10);
    assert_int_equal((uintptr_t)p % 16, 0);
    for (int i = 0; i < 1000; i++)
        memset(kv_arena_alloc(a, (size_t)i), 0xAB, (size_t)i);
    char *big = kv_arena_alloc(a, 1 << 20);
    memset(big, 1, 1 << 20);
    assert_string_equal(kv_arena_printf(a, "%d-%s", 42, "x"), "42-x");
    int one = 1, two = 2;
    kv_arena_on_destroy(a, on_clean, &one);
    kv_arena_on_destroy(a, on_clean, &two);
    kv_arena_reset(a);
    assert_int_equal(cleaned, 3);
    assert_int_equal(kv_arena_used(a), 0);
    kv_slice_t s = kv_arena_dup(a, KV_SLICE_LIT("hello"));
    assert_int_equal(s.len, 5);
    assert_int_equal(s.p[5], 0);
    kv_arena_free(a);
    kv_arena_free(NULL);
}

static void test_buf(void **state)
{
    (void)state;
    kv_buf_t b;
    kv_buf_init(&b, 10);
    kv_buf_append_str(&b, "12345");
    kv_buf_append_u64(&b, 678);
    assert_false(kv_buf_failed(&b));
    kv_buf_append_str(&b, "9ab"); /* 11 bytes: over the cap */
    assert_true(kv_buf_failed(&b));
    assert_int_equal(b.len, 8);
    kv_buf_append_str(&b, "c"); /* sticky */
    assert_int_equal(b.len, 8);
    kv_buf_reset(&b);
    assert_false(kv_buf_failed(&b));
    uint8_t h[2] = {0xde, 0xad};
    kv_buf_append_hex(&b, h, 2);
    assert_memory_equal(b.p, "dead", 4);
    kv_buf_dispose(&b);
}

static void test_b64(void **state)
{
    (void)state;
    static const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        kv_buf_t b, d;
        kv_buf_init(&b, 64);
        kv_buf_init(&d, 64);
        kv_b64_encode(&b, (const uint8_t *)plain[i], strlen(plain[i]));
        assert_int_equal(b.len, strlen(enc[i]));
        if (b.len)
            assert_memory_equal(b.p, enc[i], b.len);
        assert_true(kv_b64_decode(&d, kv_slice_str(enc[i])));
        assert_int_equal(d.len, strlen(plain[i]));
        kv_buf_dispose(&b);
        kv_buf_dispose(&d);
    }
    kv_buf_t d;
    kv_buf_init(&d, 64);
    assert_false(kv_b64_decode(&d, KV_SLICE_LIT("Zg=")));
    assert_false(kv_b64_decode(&d, KV_SLICE_LIT("Z===")));
    assert_false(kv_b64_decode(&d, KV_SLICE_LIT("Zm9$")));
    assert_false(kv_b64_decode(&d, KV_SLICE_LIT("Zg=a")));
    kv_buf_dispose(&d);
}

static void test_slice_time_err(void **state)
{
    (void)state;
    assert_true(kv_slice_eq_nocase(KV_SLICE_LIT("Content-Type"), "content-type"));
    assert_true(kv_slice_cmp(KV_SLICE_LIT("ab"), KV_SLICE_LIT("abc")) < 0);
    assert_true(kv_slice_eq_str(kv_slice_trim(KV_SLICE_LIT("  x \t")), "x"));
    uint64_t v;
    assert_true(kv_slice_to_u64(KV_SLICE_LIT("18446744073709551615"), &v));
    assert_false(kv_slice_to_u64(KV_SLICE_LIT("18446744073709551616"), &v));
    assert_false(kv_slice_to_u64(KV_SLICE_LIT("1a"), &v));
    time_t t;
    assert_true(kv_time_parse_amz(KV_SLICE_LIT("20130524T000000Z"), &t));
    assert_int_equal(t, 1369353600);
    assert_false(kv_time_parse_amz(KV_SLICE_LIT("20131324T000000Z"), &t));
    assert_true(kv_time_parse_http(KV_SLICE_LIT("Fri, 24 May 2013 00:00:00 GMT"), &t));
    assert_int_equal(t, 1369353600);
    char buf[30];
    kv_time_fmt_http(1369353600, buf);
    assert_string_equal(buf, "Fri, 24 May 2013 00:00:00 GMT");
    kv_time_fmt_amz(1369353600, buf);
    assert_string_equal(buf, "20130524T000000Z");
    kv_time_fmt_iso(1369353600123LL, buf);
    assert_string_equal(buf, "2013-05-24T00:00:00.123Z");
    assert_string_equal(kv_err_name(KV_ENOTFOUND), "KV_ENOTFOUND");
    assert_string_equal(kv_err_str(KV_EEXIST), "already exists");
    assert_string_equal(kv_err_name(0), "KV_OK");
}

static void test_mkdirs(void **state)
{
    (void)state;
    char root[] = "/tmp/kv-mkdirs-XXXXXX";
    assert_non_null(mkdtemp(root));
    char path[256];
    snprintf(path, sizeof(path), "%s/a/b/c", root);
    assert_int_equal(kv_mkdirs(path), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(kv_mkdirs(path), 0); /* it exists: fine */
    /* A file in the way, and a name longer than any path. */
    char file[300];
    snprintf(file, sizeof(file), "%s/f", root);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/f/x", root);
    assert_int_equal(kv_mkdirs(path), -1);
    char *longp = calloc(1, 5000);
    memset(longp, 'a', 4999);
    longp[0] = '/';
    assert_int_equal(kv_mkdirs(longp), -1);
    assert_int_equal(errno, ENAMETOOLONG);
    free(longp);
    unlink(file);
    snprintf(path, sizeof(path), "%s/a/b/c", root);
    rmdir(path);
    snprintf(path, sizeof(path), "%s/a/b", root);
    rmdir(path);
    snprintf(path, sizeof(path), "%s/a", root);
    rmdir(path);
    assert_int_equal(rmdir(root), 0);
}

/* Issue 18: ids from the per-thread pool are distinct across refills, and a forked child
 * draws fresh ones (never the rest of its parent's pool). */
static void test_random_ids(void **state)
{
    (void)state;
    enum { N = 300 };
    uint64_t v[N];
    for (int i = 0; i < N; i++) {
        v[i] = kv_random_u64();
        for (int j = 0; j < i; j++)
            assert_true(v[i] != v[j]);
    }
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        uint64_t c = kv_random_u64();
        _exit(write(fds[1], &c, sizeof(c)) == (ssize_t)sizeof(c) ? 0 : 1);
    }
    uint64_t mine = kv_random_u64(), child = 0;
    assert_int_equal(read(fds[0], &child, sizeof(child)), (ssize_t)sizeof(child));
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_true(child != mine);
    for (int i = 0; i < N; i++)
        assert_true(child != v[i]);
    close(fds[0]);
    close(fds[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena),  cmocka_unit_test(test_buf),
        cmocka_unit_test(test_b64),    cmocka_unit_test(test_slice_time_err),
        cmocka_unit_test(test_mkdirs), cmocka_unit_test(test_random_ids),
    };
    return cmocka_run_group_tests_name("kv_base", tests, NULL, NULL);
}
