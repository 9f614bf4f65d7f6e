/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Log groups on disk (engine/eng_fnlog.h): group names and their directories, group records,
 * user streams and their names, events with newlines and backslashes read back as written,
 * and expiry (a user's stream rewritten, an instance's stream left alone while it may still
 * be written, removed whole once all of it expired).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include <cmocka.h>

#include "base/kv_buf.h"
#include "base/kv_err.h"
#include "base/kv_time.h"
#include "eng_fnlog.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/stratus-fnlog-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Every event of a stream file: count returned, messages joined with '|' into out. */
static size_t read_all(const char *gdir, const char *file, char *out, size_t cap)
{
    char path[4900];
    snprintf(path, sizeof(path), "%s/%s", gdir, file);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return 0;
    kv_buf_t line;
    kv_buf_init(&line, 1u << 20);
    eng_fnlog_event_t ev;
    long off = 0;
    size_t n = 0;
    out[0] = 0;
    while (eng_fnlog_next(f, &off, &line, &ev)) {
        size_t l = strlen(out);
        snprintf(out + l, cap - l, "%s%.*s", n ? "|" : "", (int)ev.msg.len, (const char *)ev.msg.p);
        n++;
    }
    kv_buf_dispose(&line);
    fclose(f);
    return n;
}

static void test_group_names(void **state)
{
    (void)state;
    assert_true(eng_fnlog_group_name_ok(kv_slice_str("/aws/lambda/fn")));
    assert_true(eng_fnlog_group_name_ok(kv_slice_str("my.app/#logs_1-2")));
    assert_false(eng_fnlog_group_name_ok(kv_slice_str("has space")));
    assert_false(eng_fnlog_group_name_ok(kv_slice_str("a:b")));
    assert_false(eng_fnlog_group_name_ok(kv_slice_str("")));
    char a[4800], b[4800], c[4800];
    eng_fnlog_group_path(dir, kv_slice_str("/aws/lambda/fn"), a, sizeof(a));
    assert_non_null(strstr(a, "/functions/logs/fn"));
    /* anything else (even a function-looking name that is not one) is hashed: no ".." path */
    eng_fnlog_group_path(dir, kv_slice_str("/aws/lambda/../x"), b, sizeof(b));
    eng_fnlog_group_path(dir, kv_slice_str("/aws/lambda/../y"), c, sizeof(c));
    assert_non_null(strstr(b, "/functions/logs/@"));
    assert_null(strstr(b, ".."));
    assert_string_not_equal(b, c);
}

static void test_groups_and_streams(void **state)
{
    (void)state;
    eng_fnlog_group_t g, r;
    memset(&g, 0, sizeof(g));
    snprintf(g.name, sizeof(g.name), "/my/app");
    snprintf(g.kms, sizeof(g.kms), "key-1");
    assert_int_equal(eng_fnlog_group_create(dir, &g), 0);
    assert_int_equal(eng_fnlog_group_create(dir, &g), KV_EEXIST);
    char root[4200], gdir[4800];
    eng_fnlog_root(dir, root, sizeof(root));
    eng_fnlog_group_path(dir, kv_slice_str("/my/app"), gdir, sizeof(gdir));
    assert_true(eng_fnlog_group_read(root, gdir + strlen(root) + 1, &r));
    assert_string_equal(r.name, "/my/app");
    assert_string_equal(r.kms, "key-1");
    assert_int_equal(r.retention_days, 0);
    r.retention_days = 7;
    assert_int_equal(eng_fnlog_group_update(dir, &r), 0);
    assert_true(eng_fnlog_group_read(root, gdir + strlen(root) + 1, &g));
    assert_int_equal(g.retention_days, 7);

    kv_slice_t name = kv_slice_str("web/1 [a]");
    char file[48], shown[600];
    int64_t created;
    assert_true(eng_fnlog_stream_file(name, file));
    assert_false(eng_fnlog_stream_file(kv_slice_str("a:b"), file));
    assert_true(eng_fnlog_stream_file(name, file));
    assert_int_equal(eng_fnlog_stream_create(gdir, name), 0);
    assert_int_equal(eng_fnlog_stream_create(gdir, name), KV_EEXIST);
    assert_true(eng_fnlog_is_stream_file(file));
    assert_true(eng_fnlog_stream_name_in(gdir, file, shown, sizeof(shown), &created));
    assert_string_equal(shown, "web/1 [a]");
    assert_true(created > 0);

    int64_t ts[3] = {1000, 2000, 3000};
    kv_slice_t msg[3] = {kv_slice_str("plain"), kv_slice_str("two\nlines"),
                         kv_slice_str("back\\slash \\n not a newline")};
    assert_int_equal(eng_fnlog_append(gdir, file, ts, msg, 3), 0);
    char all[1024];
    assert_int_equal(read_all(gdir, file, all, sizeof(all)), 3);
    assert_string_equal(all, "plain|two\nlines|back\\slash \\n not a newline");
    assert_int_equal(eng_fnlog_append(gdir, "u-0000000000000000", ts, msg, 1), KV_ENOTFOUND);

    /* expiry of a user's stream: the older events go, the rest stay */
    assert_int_equal(eng_fnlog_expire(gdir, file, 2500, kv_now_ms()), 2);
    assert_int_equal(read_all(gdir, file, all, sizeof(all)), 1);
    assert_string_equal(all, "back\\slash \\n not a newline");
    assert_int_equal(eng_fnlog_stream_delete(gdir, file), 0);
    assert_int_equal(eng_fnlog_stream_delete(gdir, file), KV_ENOTFOUND);
    assert_false(eng_fnlog_stream_name_in(gdir, file, shown, sizeof(shown), &created));
}

static void test_instance_stream_expiry(void **state)
{
    (void)state;
    eng_fnlog_w_t w;
    assert_int_equal(eng_fnlog_create(dir, "/aws/lambda/fn", NULL, &w), 0);
    eng_fnlog_write(&w, 1000, "START", 5);
    eng_fnlog_write(&w, 5000, "later", 5);
    char file[48], gdir[4800], path[4900], all[256];
    assert_true(eng_fnlog_stream_file(kv_slice_str(w.stream), file));
    eng_fnlog_group_path(dir, kv_slice_str("/aws/lambda/fn"), gdir, sizeof(gdir));
    int64_t now = kv_now_ms();
    /* just written: an instance may still be writing it */
    assert_int_equal(eng_fnlog_expire(gdir, file, 2000, now), 0);
    assert_int_equal(read_all(gdir, file, all, sizeof(all)), 2);
    /* quiet long enough: rewritten, then removed once all of it expired */
    snprintf(path, sizeof(path), "%s/%s", gdir, file);
    struct utimbuf old = {time(NULL) - 3600, time(NULL) - 3600};
    assert_int_equal(utime(path, &old), 0);
    assert_int_equal(eng_fnlog_expire(gdir, file, 2000, now), 1);
    assert_int_equal(read_all(gdir, file, all, sizeof(all)), 1);
    assert_string_equal(all, "later");
    assert_int_equal(utime(path, &old), 0);
    assert_int_equal(eng_fnlog_expire(gdir, file, 9000, now), 1);
    struct stat st;
    assert_int_not_equal(stat(path, &st), 0);
    eng_fnlog_close(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_group_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_groups_and_streams, setup, teardown),
        cmocka_unit_test_setup_teardown(test_instance_stream_expiry, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
