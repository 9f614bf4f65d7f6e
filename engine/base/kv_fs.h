/* SPDX-License-Identifier: Apache-2.0 */
/* File-system helpers shared by the layers (directories the engine and the runner make). */
#ifndef KV_FS_H
#define KV_FS_H

/** Make path and every missing parent (mode 0755, before the umask). @return 0, or -1 with
 * errno set (a path longer than PATH_MAX is ENAMETOOLONG). */
int kv_mkdirs(const char *path);

#endif
