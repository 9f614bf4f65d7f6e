/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The project-wide error code space. Every fallible function returns 0 or a
 * negative KV_E* code; only the api layer turns these into protocol errors.
 */
#ifndef KV_ERR_H
#define KV_ERR_H

#define KV_ERR_MAP(XX)                                     \
    XX(ENOMEM, -1, "out of memory")                        \
    XX(EINVAL, -2, "invalid argument")                     \
    XX(ENOTFOUND, -3, "not found")                         \
    XX(EEXIST, -4, "already exists")                       \
    XX(ECONDFAIL, -5, "condition not met")                 \
    XX(ETOOBIG, -6, "size limit exceeded")                 \
    XX(EBUSY, -7, "conflict, retry")                       \
    XX(EIO, -8, "storage I/O error")                       \
    XX(ECORRUPT, -9, "stored data failed validation")      \
    XX(EINTERNAL, -10, "internal error")                   \
    XX(ENOTEMPTY, -11, "not empty")                        \
    XX(ELOCKED, -12, "resource locked by another process") \
    XX(ENOSPACE, -13, "storage nearly full, write refused")

typedef enum kv_err {
    KV_OK = 0,
#define XX(name, val, msg) KV_##name = (val),
    KV_ERR_MAP(XX)
#undef XX
} kv_err_t;

/** Name of an error code, e.g. "KV_ENOTFOUND"; "KV_OK" for 0. Never NULL. */
const char *kv_err_name(int err);
/** Human text of an error code. Never NULL. */
const char *kv_err_str(int err);

#endif
