/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Function code, unpacked off the runner's loop: a worker thread of its own takes zips one at
 * a time into <functions>/run/<code id> and posts each completion to the loop (uv_async), so
 * a big zip delays only its own function. As root the files belong to CODE_UID.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/kv_alloc.h"
#include "base/kv_fs.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "srv_fn_int.h"

/* Lambda's bound on unzipped code (and on a function's code and layers together), counted as
 * bytes are written, whatever the zip declares; and a bound on its entries (inodes). */
#define UNZIPPED_MAX (262144000ull)
#define ENTRIES_MAX  100000

/* What one unpack (code, or a layer set) has written so far. */
typedef struct {
    uint64_t bytes;
    uint64_t entries;
} unpack_budget_t;

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

/* rm -rf, in process (forking a server with a large heap costs tens of milliseconds). */
void srv_fn_rmtree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0)
        nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Unpack a function's zip into out (made complete by a rename), on the unpacker thread,
 * whose working directory is its own (CLONE_FS). As root the files are written with the
 * file system identity of CODE_UID, which holds no capability: no device node, no setuid
 * file owned by root, nothing an instance (or anyone but root) may rewrite. Modes lose
 * their setuid, setgid and sticky bits and group and other write. */
static int unpack_one(srv_fn_t *f, const char *zip, const char *tmp, bool as_code_uid,
                      unpack_budget_t *budget)
{
    struct archive *in = archive_read_new();
    archive_read_support_format_zip(in);
    struct archive *dst = archive_write_disk_new();
    archive_write_disk_set_options(dst, ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                            ARCHIVE_EXTRACT_SECURE_SYMLINKS);
    int rc = archive_read_open_filename(in, zip, 1 << 16) == ARCHIVE_OK ? 0 : -1;
    if (rc == 0 && as_code_uid && chown(tmp, CODE_UID, CODE_UID) < 0)
        rc = -1;
    if (rc == 0 && as_code_uid && chdir(tmp) < 0)
        rc = -1;
    if (rc == 0 && as_code_uid) {
        setfsgid(CODE_UID);
        setfsuid(CODE_UID);
        if ((uid_t)setfsuid((uid_t)-1) != CODE_UID)
            rc = -1;
    }
    struct archive_entry *e;
    while (rc == 0) {
        int r = archive_read_next_header(in, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            rc = -1;
            break;
        }
        if (++budget->entries > ENTRIES_MAX) {
            KV_LOG_WARN("lambda: code %s: more than %d entries unzipped", zip, ENTRIES_MAX);
            rc = -1;
            break;
        }
        if (atomic_load(&f->stopping) || !api_zip_entry_ok(e)) {
            if (!atomic_load(&f->stopping))
                KV_LOG_WARN("lambda: code %s: refused entry %s", zip,
                            archive_entry_pathname(e) ? archive_entry_pathname(e) : "(none)");
            rc = -1;
            break;
        }
        mode_t perm = archive_entry_perm(e) & 0755;
        archive_entry_set_perm(e, archive_entry_filetype(e) == AE_IFDIR ? 0755 : perm | 0644);
        if (!as_code_uid) { /* by absolute path */
            char path[8300];
            snprintf(path, sizeof(path), "%s/%s", tmp, archive_entry_pathname(e));
            archive_entry_set_pathname(e, path);
        }
        if (archive_write_header(dst, e) != ARCHIVE_OK) {
            rc = -1;
            break;
        }
        const void *buf;
        size_t n;
        la_int64_t off;
        while ((r = archive_read_data_block(in, &buf, &n, &off)) == ARCHIVE_OK) {
            budget->bytes += n;
            if (budget->bytes > UNZIPPED_MAX || off < 0 || (uint64_t)off + n > UNZIPPED_MAX) {
                KV_LOG_WARN("lambda: code %s: unzipped past %llu bytes", zip, UNZIPPED_MAX);
                r = ARCHIVE_FATAL;
                break;
            }
            if (archive_write_data_block(dst, buf, n, off) != ARCHIVE_OK) {
                r = ARCHIVE_FATAL;
                break;
            }
        }
        if (r != ARCHIVE_EOF) {
            rc = -1;
            break;
        }
        if (archive_write_finish_entry(dst) != ARCHIVE_OK)
            rc = -1;
    }
    if (archive_write_close(dst) != ARCHIVE_OK) /* directory modes are set here */
        rc = -1;
    if (as_code_uid) {
        setfsuid(0);
        setfsgid(0);
        if (chdir("/") < 0)
            rc = -1;
    }
    archive_read_free(in);
    archive_write_free(dst);
    return rc;
}

/* Unpack zips, in order, into out (a later zip's files replace an earlier one's, as Lambda
 * layers do), made complete by a rename. */
static int unpack(srv_fn_t *f, char (*zips)[4200], int n, const char *out, bool as_code_uid)
{
    char tmp[4400];
    snprintf(tmp, sizeof(tmp), "%s.tmp", out);
    srv_fn_rmtree(tmp);
    if (kv_mkdirs(tmp) < 0)
        return -1;
    int rc = 0;
    unpack_budget_t budget = {0, 0}; /* across every zip of this unpack */
    for (int i = 0; i < n && rc == 0; i++)
        rc = unpack_one(f, zips[i], tmp, as_code_uid, &budget);
    struct stat st;
    if (rc == 0 && rename(tmp, out) < 0)
        rc = stat(out, &st) == 0 ? 0 : -1;
    if (rc < 0)
        srv_fn_rmtree(tmp);
    return rc;
}

/* The unpacker thread: one job at a time, each ending with a wake of the runner's loop. */
static void *unpacker_main(void *arg)
{
    srv_fn_t *f = arg;
    /* Its own working directory and umask: entries are written by relative name, so the
     * data directory's ancestors need not be searchable by CODE_UID. */
    bool as_code_uid = f->root;
    if (as_code_uid && unshare(CLONE_FS) < 0) {
        KV_LOG_WARN("lambda: the unpacker cannot have a working directory of its own (%s): "
                    "code is unpacked as the server's user",
                    strerror(errno));
        as_code_uid = false; /* a shared one: unpack as the server, by absolute path */
    }
    if (as_code_uid)
        umask(022);
    pthread_mutex_lock(&f->lock);
    for (;;) {
        unpack_job_t *j = f->jobs;
        while (j && j->state != UNPACK_QUEUED)
            j = j->next;
        if (j == NULL) {
            if (f->stop)
                break;
            pthread_cond_wait(&f->unpack_cond, &f->lock);
            continue;
        }
        j->state = UNPACK_RUNNING;
        char(*zips)[4200] = kv_calloc(SRV_FN_LAYERS_MAX + 1, sizeof(*zips));
        char out[4300];
        int nz = j->n_layers ? j->n_layers : 1;
        for (int i = 0; i < nz; i++)
            snprintf(zips[i], sizeof(zips[i]), "%s", j->n_layers ? j->layers[i] : j->zip);
        snprintf(out, sizeof(out), "%s/run/%s", f->dir, j->name);
        pthread_mutex_unlock(&f->lock);
        int64_t t0 = kv_now_ms();
        int rc = unpack(f, zips, nz, out, as_code_uid);
        KV_LOG_DEBUG("lambda: unpacked %s in %lld ms (%s)", zips[0], (long long)(kv_now_ms() - t0),
                     rc == 0 ? "ok" : "failed");
        kv_free(zips);
        pthread_mutex_lock(&f->lock);
        j->state = rc == 0 ? UNPACK_DONE : UNPACK_FAILED;
        uv_async_send(&f->unpacked);
    }
    pthread_mutex_unlock(&f->lock);
    return NULL;
}

/* Is the code of code_id unpacked? 1: yes (root holds its path); 0: not yet, an unpack is
 * under way; -1: it cannot be. Runner thread. */
/* Is run/<name> unpacked (from the code of inv, or its layers when layers)? */
static int ready_dir(srv_fn_t *f, const api_invocation_t *inv, const char *name, bool layers,
                     char *root, size_t cap)
{
    snprintf(root, cap, "%s/run/%s", f->dir, name);
    struct stat st;
    if (stat(root, &st) == 0)
        return 1;
    int ready = 0;
    pthread_mutex_lock(&f->lock);
    unpack_job_t **pp = &f->jobs;
    while (*pp && strcmp((*pp)->name, name) != 0)
        pp = &(*pp)->next;
    if (*pp == NULL) {
        unpack_job_t *j = kv_calloc(1, sizeof(*j));
        j->code_id = inv->code_id;
        j->state = UNPACK_QUEUED;
        snprintf(j->zip, sizeof(j->zip), "%s", inv->code_path);
        snprintf(j->name, sizeof(j->name), "%s", name);
        for (size_t i = 0; layers && i < inv->n_layers && i < SRV_FN_LAYERS_MAX; i++)
            snprintf(j->layers[j->n_layers++], sizeof(j->layers[0]), "%s", inv->layer_paths[i]);
        *pp = j;
        pthread_cond_signal(&f->unpack_cond);
    } else if ((*pp)->state == UNPACK_FAILED) {
        ready = -1; /* the job stays until dispatch() has failed every invocation waiting */
    } else if ((*pp)->state == UNPACK_DONE) {
        unpack_job_t *j = *pp;
        *pp = j->next;
        kv_free(j);
        ready = stat(root, &st) == 0 ? 1 : -1;
    }
    pthread_mutex_unlock(&f->lock);
    return ready;
}

int srv_fn_code_ready(srv_fn_t *f, const api_invocation_t *inv, char *root, size_t cap)
{
    char name[16];
    snprintf(name, sizeof(name), "%u", inv->code_id);
    return ready_dir(f, inv, name, false, root, cap);
}

int srv_fn_opt_ready(srv_fn_t *f, const api_invocation_t *inv, char *opt, size_t cap)
{
    if (inv->n_layers == 0) {
        opt[0] = 0;
        return 1;
    }
    char name[64] = "opt";
    for (size_t i = 0; i < inv->n_layers && i < SRV_FN_LAYERS_MAX; i++)
        snprintf(name + strlen(name), sizeof(name) - strlen(name), "-%u", inv->layer_ids[i]);
    return ready_dir(f, inv, name, true, opt, cap);
}

void srv_fn_opt_sweep(srv_fn_t *f)
{
    char dir[4300], path[4400];
    snprintf(dir, sizeof(dir), "%s/run", f->dir);
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *de;
    int seen = 0;
    while ((de = readdir(d)) != NULL && seen++ < 10000) {
        const char *name = de->d_name;
        if (strncmp(name, "opt-", 4) != 0 || strlen(name) >= sizeof(((inst_t *)0)->opt) ||
            strchr(name, '.'))
            continue;
        bool busy = false;
        for (inst_t *in = f->insts; in && !busy; in = in->next)
            busy = strcmp(in->opt, name) == 0;
        /* an unpack under way is busy; a finished one is forgotten with the set */
        pthread_mutex_lock(&f->lock);
        for (unpack_job_t *j = f->jobs; j && !busy; j = j->next)
            busy = strcmp(j->name, name) == 0 &&
                   (j->state == UNPACK_QUEUED || j->state == UNPACK_RUNNING);
        pthread_mutex_unlock(&f->lock);
        /* the zips' ids, in order */
        uint32_t ids[SRV_FN_LAYERS_MAX];
        size_t n = 0;
        for (const char *p = name + 3; !busy && *p == '-' && n < SRV_FN_LAYERS_MAX;) {
            char *end;
            unsigned long v = strtoul(p + 1, &end, 10);
            if (end == p + 1 || v > UINT32_MAX)
                break;
            ids[n++] = (uint32_t)v;
            p = end;
        }
        if (busy || n == 0 || api_lambda_layers_used(f->api, ids, n))
            continue;
        pthread_mutex_lock(&f->lock);
        for (unpack_job_t **pp = &f->jobs; *pp;) {
            unpack_job_t *j = *pp;
            if (strcmp(j->name, name) == 0 && j->state == UNPACK_DONE) {
                *pp = j->next;
                kv_free(j);
                continue;
            }
            pp = &j->next;
        }
        pthread_mutex_unlock(&f->lock);
        if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
            continue;
        KV_LOG_DEBUG("lambda: layer set %s is no longer used: removed", name);
        srv_fn_rmtree(path);
    }
    closedir(d);
}

/* Forget failed unpacks (a later invocation tries again). */
void srv_fn_code_drop_failed(srv_fn_t *f)
{
    pthread_mutex_lock(&f->lock);
    for (unpack_job_t **pp = &f->jobs; *pp;) {
        unpack_job_t *j = *pp;
        if (j->state == UNPACK_FAILED) {
            *pp = j->next;
            kv_free(j);
            continue;
        }
        pp = &j->next;
    }
    pthread_mutex_unlock(&f->lock);
}

/* The unpacker leaves its current zip at the next entry. */
void srv_fn_code_stop(srv_fn_t *f)
{
    if (!f->has_unpacker)
        return;
    atomic_store(&f->stopping, true);
    pthread_mutex_lock(&f->lock);
    f->stop = true;
    pthread_cond_broadcast(&f->unpack_cond);
    pthread_mutex_unlock(&f->lock);
    pthread_join(f->unpacker, NULL);
    f->has_unpacker = false;
}

int srv_fn_code_start(srv_fn_t *f)
{
    if (pthread_create(&f->unpacker, NULL, unpacker_main, f) != 0)
        return -1;
    f->has_unpacker = true;
    return 0;
}
