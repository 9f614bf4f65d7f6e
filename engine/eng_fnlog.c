/* SPDX-License-Identifier: Apache-2.0 */
/* Function logs on disk: the layout, the framing of events and the names of streams (see
 * eng_fnlog.h). */
#include "eng_fnlog.h"

#include "base/kv_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/kv_hash.h"
#include "base/kv_time.h"
#include "eng_int.h"

void eng_fnlog_root(const char *data_dir, char *out, size_t cap)
{
    snprintf(out, cap, "%s/functions/logs", data_dir);
}

void eng_fnlog_dir(eng_t *e, char *out, size_t cap)
{
    eng_fnlog_root(e->dir, out, cap);
}

int eng_fnlog_create(const char *data_dir, const char *fn, eng_fnlog_w_t *w)
{
    w->fd = -1;
    w->written = 0;
    w->stream[0] = 0;
    char root[4200], dir[4300], path[4400], day[25];
    eng_fnlog_root(data_dir, root, sizeof(root));
    snprintf(dir, sizeof(dir), "%s/%s", root, fn);
    if (kv_mkdirs(dir) < 0)
        return -1;
    kv_time_fmt_iso(kv_now_ms(), day);
    uint8_t r[16];
    kv_random(r, sizeof(r));
    char hex[33];
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", r[i]);
    snprintf(path, sizeof(path), "%s/%.4s%.2s%.2s-%s", dir, day, day + 5, day + 8, hex);
    w->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (w->fd < 0)
        return -1;
    eng_fnlog_stream_name(path + strlen(dir) + 1, w->stream);
    return 0;
}

void eng_fnlog_write(eng_fnlog_w_t *w, int64_t ts_ms, const char *text, size_t len)
{
    if (w->fd < 0 || w->written > ENG_FNLOG_STREAM_MAX)
        return;
    char ts[32];
    int tl = snprintf(ts, sizeof(ts), "%lld\t", (long long)ts_ms);
    struct iovec v[3] = {{ts, (size_t)tl}, {(char *)(uintptr_t)text, len}, {"\n", 1}};
    ssize_t n = writev(w->fd, v, 3);
    if (n > 0)
        w->written += (uint64_t)n;
}

void eng_fnlog_close(eng_fnlog_w_t *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
}

bool eng_fnlog_group_ok(kv_slice_t n)
{
    if (n.len == 0 || n.len > ENG_FNLOG_NAME_MAX)
        return false;
    for (size_t i = 0; i < n.len; i++) {
        uint8_t c = n.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

/* "YYYYMMDD-<32 hex>" <-> "YYYY/MM/DD/[$LATEST]<32 hex>" */
bool eng_fnlog_is_stream_file(const char *f)
{
    if (strlen(f) != ENG_FNLOG_FILE_LEN || f[8] != '-')
        return false;
    for (int i = 0; i < ENG_FNLOG_FILE_LEN; i++)
        if (i != 8 && !((f[i] >= '0' && f[i] <= '9') || (i > 8 && f[i] >= 'a' && f[i] <= 'f')))
            return false;
    return true;
}

void eng_fnlog_stream_name(const char *f, char out[64])
{
    snprintf(out, 64, "%.4s/%.2s/%.2s/[$LATEST]%s", f, f + 4, f + 6, f + 9);
}

bool eng_fnlog_stream_file(kv_slice_t name, char out[48])
{
    static const char mid[] = "/[$LATEST]";
    if (name.len != 10 + sizeof(mid) - 1 + 32 || name.p[4] != '/' || name.p[7] != '/' ||
        memcmp(name.p + 10, mid, sizeof(mid) - 1) != 0)
        return false;
    snprintf(out, 48, "%.4s%.2s%.2s-%.32s", (const char *)name.p, (const char *)name.p + 5,
             (const char *)name.p + 8, (const char *)name.p + 10 + sizeof(mid) - 1);
    return eng_fnlog_is_stream_file(out);
}

bool eng_fnlog_next(FILE *f, long *off, kv_buf_t *line, eng_fnlog_event_t *ev)
{
    kv_buf_reset(line);
    if (fseek(f, *off, SEEK_SET) < 0)
        return false;
    int c;
    while ((c = getc(f)) != EOF && c != '\n')
        kv_buf_append_byte(line, (uint8_t)c);
    if (c == EOF)
        return false; /* an unfinished last line is not an event yet */
    ev->start = *off;
    *off += (long)line->len + 1;
    ev->end = *off;
    const uint8_t *tab = memchr(line->p, '\t', line->len);
    ev->ts = tab ? strtoll((const char *)line->p, NULL, 10) : 0;
    ev->msg = tab ? kv_slice(tab + 1, line->len - (size_t)(tab + 1 - line->p))
                  : kv_slice((const uint8_t *)"", 0);
    return true;
}

void eng_fnlog_delete_group(const char *group_dir)
{
    DIR *d = opendir(group_dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (!eng_fnlog_is_stream_file(e->d_name))
            continue;
        char path[4500];
        snprintf(path, sizeof(path), "%s/%s", group_dir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(group_dir);
}
