/* SPDX-License-Identifier: Apache-2.0 */
/* Log groups on disk: the layout, the framing of events, the names of groups and streams,
 * appends and expiry (see eng_fnlog.h). */
#include "eng_fnlog.h"

#include "base/kv_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/kv_alloc.h"
#include "base/kv_err.h"
#include "base/kv_hash.h"
#include "base/kv_time.h"
#include "eng_int.h"

/* Writers through the Logs API (streams made, appended, rewritten, deleted; groups' records)
 * take this lock; instance streams have one writer each and need none. */
static pthread_mutex_t fnlog_lock = PTHREAD_MUTEX_INITIALIZER;

void eng_fnlog_root(const char *data_dir, char *out, size_t cap)
{
    snprintf(out, cap, "%s/functions/logs", data_dir);
}

void eng_fnlog_dir(eng_t *e, char *out, size_t cap)
{
    eng_fnlog_root(e->dir, out, cap);
}

int eng_fnlog_create(const char *data_dir, const char *group, const char *version, eng_fnlog_w_t *w)
{
    w->fd = -1;
    w->written = 0;
    w->stream[0] = 0;
    char dir[4800], path[4900], day[25];
    kv_slice_t g = group ? kv_slice_str(group) : KV_SLICE_NULL;
    if (!eng_fnlog_group_name_ok(g))
        return -1;
    eng_fnlog_group_path(data_dir, g, dir, sizeof(dir));
    struct stat st;
    if (stat(dir, &st) < 0) { /* Lambda creates the group it writes to */
        eng_fnlog_group_t rec;
        memset(&rec, 0, sizeof(rec));
        snprintf(rec.name, sizeof(rec.name), "%s", group);
        if (eng_fnlog_group_create(data_dir, &rec) == KV_EIO)
            return -1;
    }
    kv_time_fmt_iso(kv_now_ms(), day);
    uint8_t r[16];
    kv_random(r, sizeof(r));
    char hex[33];
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", r[i]);
    if (version && strcmp(version, "$LATEST") != 0) {
        /* A published version's stream ("[3]"): named beside its file, as a user's stream */
        char name[64], file[48];
        if (strlen(version) > 10)
            return -1;
        snprintf(name, sizeof(name), "%.4s/%.2s/%.2s/[%s]%s", day, day + 5, day + 8, version, hex);
        if (eng_fnlog_stream_create(dir, kv_slice_str(name)) < 0 ||
            !eng_fnlog_stream_file(kv_slice_str(name), file))
            return -1;
        snprintf(path, sizeof(path), "%s/%s", dir, file);
        w->fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
        if (w->fd < 0)
            return -1;
        snprintf(w->stream, sizeof(w->stream), "%s", name);
        return 0;
    }
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

bool eng_fnlog_group_name_ok(kv_slice_t n)
{
    if (n.len == 0 || n.len > ENG_FNLOG_GROUP_MAX)
        return false;
    for (size_t i = 0; i < n.len; i++) {
        uint8_t c = n.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == '/' || c == '#'))
            return false;
    }
    return true;
}

/* The function a group name is the group of ("/aws/lambda/<fn>"), or an empty slice. */
static kv_slice_t group_fn(kv_slice_t g)
{
    static const char pre[] = ENG_FNLOG_GROUP_PREFIX;
    if (!kv_slice_starts_with(g, pre))
        return KV_SLICE_NULL;
    kv_slice_t fn = kv_slice(g.p + sizeof(pre) - 1, g.len - (sizeof(pre) - 1));
    return eng_fnlog_group_ok(fn) ? fn : KV_SLICE_NULL;
}

void eng_fnlog_group_path(const char *data_dir, kv_slice_t group, char *out, size_t cap)
{
    char root[4200];
    eng_fnlog_root(data_dir, root, sizeof(root));
    kv_slice_t fn = group_fn(group);
    if (fn.len)
        snprintf(out, cap, "%s/%.*s", root, (int)fn.len, (const char *)fn.p);
    else
        snprintf(out, cap, "%s/@%016llx", root,
                 (unsigned long long)kv_xxh3_seed(group.p, group.len, 0x67726f7570ULL));
}

/* Read a .group record into g (fields it lacks stay as they are). */
static bool record_read(const char *dir, eng_fnlog_group_t *g)
{
    char path[4800], line[ENG_FNLOG_GROUP_MAX + 64];
    snprintf(path, sizeof(path), "%s/.group", dir);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return false;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = 0;
        char *tab = strchr(line, '\t');
        if (tab == NULL)
            continue;
        *tab++ = 0;
        if (strcmp(line, "name") == 0)
            snprintf(g->name, sizeof(g->name), "%s", tab);
        else if (strcmp(line, "created") == 0)
            g->created_ms = strtoll(tab, NULL, 10);
        else if (strcmp(line, "retention") == 0)
            g->retention_days = (uint32_t)strtoul(tab, NULL, 10);
        else if (strcmp(line, "kms") == 0)
            snprintf(g->kms, sizeof(g->kms), "%s", tab);
    }
    fclose(f);
    return true;
}

/* Write g's record into dir (a new file renamed over the old). Under fnlog_lock. */
static int record_write(const char *dir, const eng_fnlog_group_t *g)
{
    char path[4800], tmp[4800];
    snprintf(path, sizeof(path), "%s/.group", dir);
    snprintf(tmp, sizeof(tmp), "%s/.group.tmp", dir);
    FILE *f = fopen(tmp, "we");
    if (f == NULL)
        return KV_EIO;
    fprintf(f, "name\t%s\ncreated\t%lld\nretention\t%u\n", g->name, (long long)g->created_ms,
            g->retention_days);
    if (g->kms[0])
        fprintf(f, "kms\t%s\n", g->kms);
    if (fclose(f) != 0 || rename(tmp, path) < 0) {
        unlink(tmp);
        return KV_EIO;
    }
    return 0;
}

bool eng_fnlog_group_read(const char *root, const char *entry, eng_fnlog_group_t *g)
{
    memset(g, 0, sizeof(*g));
    char dir[4500];
    snprintf(dir, sizeof(dir), "%s/%s", root, entry);
    struct stat st;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return false;
    if (entry[0] == '@')
        return record_read(dir, g) && g->name[0];
    if (!eng_fnlog_group_ok(kv_slice_str(entry)))
        return false;
    snprintf(g->name, sizeof(g->name), ENG_FNLOG_GROUP_PREFIX "%s", entry);
    g->created_ms = (int64_t)st.st_mtime * 1000;
    record_read(dir, g);
    snprintf(g->name, sizeof(g->name), ENG_FNLOG_GROUP_PREFIX "%s", entry); /* the truth */
    return true;
}

int eng_fnlog_group_create(const char *data_dir, eng_fnlog_group_t *g)
{
    char root[4200], dir[4800];
    eng_fnlog_root(data_dir, root, sizeof(root));
    eng_fnlog_group_path(data_dir, kv_slice_str(g->name), dir, sizeof(dir));
    if (kv_mkdirs(root) < 0)
        return KV_EIO;
    pthread_mutex_lock(&fnlog_lock);
    int rc = 0;
    if (mkdir(dir, 0755) < 0)
        rc = errno == EEXIST ? KV_EEXIST : KV_EIO;
    if (rc == KV_EEXIST) { /* a hash's other name would be refused too: names are unique */
        eng_fnlog_group_t cur;
        memset(&cur, 0, sizeof(cur));
        if (dir[strlen(root) + 1] == '@' && !record_read(dir, &cur))
            rc = 0; /* a directory left without its record: taken over */
    }
    if (rc == 0) {
        g->created_ms = kv_now_ms();
        rc = record_write(dir, g);
    }
    pthread_mutex_unlock(&fnlog_lock);
    return rc;
}

int eng_fnlog_group_update(const char *data_dir, const eng_fnlog_group_t *g)
{
    char dir[4800];
    eng_fnlog_group_path(data_dir, kv_slice_str(g->name), dir, sizeof(dir));
    pthread_mutex_lock(&fnlog_lock);
    int rc = record_write(dir, g);
    pthread_mutex_unlock(&fnlog_lock);
    return rc;
}

/* "YYYYMMDD-<32 hex>" <-> "YYYY/MM/DD/[$LATEST]<32 hex>" */
static bool is_user_file(const char *f)
{
    if (strlen(f) != 18 || f[0] != 'u' || f[1] != '-')
        return false;
    for (int i = 2; i < 18; i++)
        if (!((f[i] >= '0' && f[i] <= '9') || (f[i] >= 'a' && f[i] <= 'f')))
            return false;
    return true;
}

bool eng_fnlog_is_stream_file(const char *f)
{
    if (is_user_file(f))
        return true;
    if (strlen(f) != ENG_FNLOG_FILE_LEN || f[8] != '-')
        return false;
    for (int i = 0; i < ENG_FNLOG_FILE_LEN; i++)
        if (i != 8 && !((f[i] >= '0' && f[i] <= '9') || (i > 8 && f[i] >= 'a' && f[i] <= 'f')))
            return false;
    return true;
}

bool eng_fnlog_stream_name_ok(kv_slice_t n)
{
    if (n.len == 0 || n.len > ENG_FNLOG_SNAME_MAX)
        return false;
    for (size_t i = 0; i < n.len; i++)
        if (n.p[i] == ':' || n.p[i] == '*' || n.p[i] == '\n' || n.p[i] == 0)
            return false;
    return true;
}

bool eng_fnlog_stream_name_in(const char *dir, const char *file, char *out, size_t cap,
                              int64_t *created_ms)
{
    *created_ms = 0;
    if (!is_user_file(file)) {
        char n[64];
        eng_fnlog_stream_name(file, n);
        snprintf(out, cap, "%s", n);
        return true;
    }
    char path[4800], line[ENG_FNLOG_SNAME_MAX + 64];
    snprintf(path, sizeof(path), "%s/%s.name", dir, file);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return false;
    bool ok = fgets(line, sizeof(line), f) != NULL;
    fclose(f);
    char *tab = ok ? strchr(line, '\t') : NULL;
    if (tab == NULL)
        return false;
    tab[strcspn(tab, "\n")] = 0;
    *created_ms = strtoll(line, NULL, 10);
    snprintf(out, cap, "%s", tab + 1);
    return true;
}

void eng_fnlog_stream_name(const char *f, char out[64])
{
    snprintf(out, 64, "%.4s/%.2s/%.2s/[$LATEST]%s", f, f + 4, f + 6, f + 9);
}

bool eng_fnlog_stream_file(kv_slice_t name, char out[48])
{
    static const char mid[] = "/[$LATEST]";
    if (!eng_fnlog_stream_name_ok(name))
        return false;
    if (name.len == 10 + sizeof(mid) - 1 + 32 && name.p[4] == '/' && name.p[7] == '/' &&
        memcmp(name.p + 10, mid, sizeof(mid) - 1) == 0) {
        snprintf(out, 48, "%.4s%.2s%.2s-%.32s", (const char *)name.p, (const char *)name.p + 5,
                 (const char *)name.p + 8, (const char *)name.p + 10 + sizeof(mid) - 1);
        if (eng_fnlog_is_stream_file(out))
            return true;
    }
    snprintf(out, 48, "u-%016llx",
             (unsigned long long)kv_xxh3_seed(name.p, name.len, 0x73747265616dULL));
    return true;
}

bool eng_fnlog_stream_is(const char *dir, const char *file, kv_slice_t name)
{
    char path[4800], shown[ENG_FNLOG_SNAME_MAX + 1];
    int64_t created;
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return false;
    if (!is_user_file(file))
        return true;
    return eng_fnlog_stream_name_in(dir, file, shown, sizeof(shown), &created) &&
           kv_slice_eq_str(name, shown);
}

int eng_fnlog_stream_create(const char *dir, kv_slice_t name)
{
    char file[48], path[4800], npath[4900], tmp[4900];
    if (!eng_fnlog_stream_file(name, file))
        return KV_EINVAL;
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    pthread_mutex_lock(&fnlog_lock);
    int rc = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        rc = errno == EEXIST ? KV_EEXIST : KV_EIO;
    else
        close(fd);
    if (rc == 0 && is_user_file(file)) { /* its name beside it, written whole then renamed */
        snprintf(npath, sizeof(npath), "%s.name", path);
        snprintf(tmp, sizeof(tmp), "%s.name.tmp", path);
        FILE *f = fopen(tmp, "we");
        bool ok = f && fprintf(f, "%lld\t%.*s\n", (long long)kv_now_ms(), (int)name.len,
                               (const char *)name.p) > 0;
        if (f && fclose(f) != 0)
            ok = false;
        if (!ok || rename(tmp, npath) < 0) {
            unlink(tmp);
            unlink(path);
            rc = KV_EIO;
        }
    }
    pthread_mutex_unlock(&fnlog_lock);
    return rc;
}

int eng_fnlog_stream_delete(const char *dir, const char *file)
{
    char path[4800];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    pthread_mutex_lock(&fnlog_lock);
    int rc = unlink(path) == 0 ? 0 : KV_ENOTFOUND;
    strcat(path, ".name");
    unlink(path);
    pthread_mutex_unlock(&fnlog_lock);
    return rc;
}

/* One event's line: "<ms>\t<text>\n", or "<ms>e\t<escaped>\n" when text has \n or \\. */
static void frame_event(kv_buf_t *b, int64_t ts, kv_slice_t msg)
{
    bool esc = memchr(msg.p, '\n', msg.len) || memchr(msg.p, '\\', msg.len);
    char head[32];
    int hl = snprintf(head, sizeof(head), "%lld%s\t", (long long)ts, esc ? "e" : "");
    kv_buf_append(b, head, (size_t)hl);
    if (!esc) {
        kv_buf_append(b, msg.p, msg.len);
    } else {
        for (size_t i = 0; i < msg.len; i++) {
            if (msg.p[i] == '\n')
                kv_buf_append(b, "\\n", 2);
            else if (msg.p[i] == '\\')
                kv_buf_append(b, "\\\\", 2);
            else
                kv_buf_append_byte(b, msg.p[i]);
        }
    }
    kv_buf_append_byte(b, '\n');
}

int eng_fnlog_append(const char *dir, const char *file, const int64_t *ts, const kv_slice_t *msg,
                     size_t n)
{
    char path[4800];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    kv_buf_t b;
    kv_buf_init(&b, 4u << 20);
    for (size_t i = 0; i < n; i++)
        frame_event(&b, ts[i], msg[i]);
    int rc = kv_buf_failed(&b) ? KV_ETOOBIG : 0;
    pthread_mutex_lock(&fnlog_lock);
    int fd = rc == 0 ? open(path, O_WRONLY | O_APPEND | O_CLOEXEC) : -1;
    if (rc == 0 && fd < 0)
        rc = errno == ENOENT ? KV_ENOTFOUND : KV_EIO;
    if (fd >= 0) { /* one write: readers never see half a batch's line */
        ssize_t w = write(fd, b.p, b.len);
        if (w != (ssize_t)b.len)
            rc = KV_EIO;
        close(fd);
    }
    pthread_mutex_unlock(&fnlog_lock);
    kv_buf_dispose(&b);
    return rc;
}

size_t eng_fnlog_expire(const char *dir, const char *file, int64_t cutoff_ms, int64_t now_ms)
{
    char path[4800], tmp[4900];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    struct stat st;
    if (stat(path, &st) < 0)
        return 0;
    bool user = is_user_file(file);
    if (!user && (int64_t)st.st_mtime * 1000 > now_ms - ENG_FNLOG_QUIET_MS)
        return 0; /* an instance may still be writing it */
    pthread_mutex_lock(&fnlog_lock);
    FILE *f = fopen(path, "re");
    size_t gone = 0, kept = 0;
    kv_buf_t line, out;
    kv_buf_init(&line, 2u << 20);
    kv_buf_init(&out, ENG_FNLOG_STREAM_MAX + (4u << 20));
    eng_fnlog_event_t ev;
    long off = 0;
    while (f && eng_fnlog_next(f, &off, &line, &ev)) {
        if (ev.ts < cutoff_ms) {
            gone++;
            continue;
        }
        kept++;
        /* the raw line again (eng_fnlog_next unescaped it) */
        char *raw = kv_malloc((size_t)(ev.end - ev.start));
        if (fseek(f, ev.start, SEEK_SET) == 0 &&
            fread(raw, 1, (size_t)(ev.end - ev.start), f) == (size_t)(ev.end - ev.start))
            kv_buf_append(&out, raw, (size_t)(ev.end - ev.start));
        kv_free(raw);
    }
    if (f)
        fclose(f);
    if (gone && kept == 0 && !user) {
        unlink(path); /* an instance's stream, all of it expired */
    } else if (gone && !kv_buf_failed(&out)) {
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        bool ok = fd >= 0 && write(fd, out.p, out.len) == (ssize_t)out.len;
        if (fd >= 0)
            close(fd);
        if (!ok || rename(tmp, path) < 0) {
            unlink(tmp);
            gone = 0;
        }
    }
    pthread_mutex_unlock(&fnlog_lock);
    kv_buf_dispose(&line);
    kv_buf_dispose(&out);
    return gone;
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
    uint8_t *tab = memchr(line->p, '\t', line->len);
    ev->ts = tab ? strtoll((const char *)line->p, NULL, 10) : 0;
    ev->msg = tab ? kv_slice(tab + 1, line->len - (size_t)(tab + 1 - line->p))
                  : kv_slice((const uint8_t *)"", 0);
    if (tab && tab > line->p && tab[-1] == 'e') { /* escaped: \n and \\ back, in place */
        uint8_t *w = tab + 1;
        for (size_t i = 0; i < ev->msg.len; i++) {
            uint8_t b = ev->msg.p[i];
            if (b == '\\' && i + 1 < ev->msg.len) {
                i++;
                b = ev->msg.p[i] == 'n' ? '\n' : ev->msg.p[i];
            }
            *w++ = b;
        }
        ev->msg.len = (size_t)(w - (tab + 1));
    }
    return true;
}

void eng_fnlog_delete_group(const char *group_dir)
{
    pthread_mutex_lock(&fnlog_lock);
    DIR *d = opendir(group_dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        bool name_file = l == 23 && strcmp(e->d_name + 18, ".name") == 0;
        if (!eng_fnlog_is_stream_file(e->d_name) && !name_file && strcmp(e->d_name, ".group") != 0)
            continue;
        char path[4500];
        snprintf(path, sizeof(path), "%s/%s", group_dir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(group_dir);
    pthread_mutex_unlock(&fnlog_lock);
}
