/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The runtimes Stratus provides for python3.x and nodejs* functions: small bootstrap programs
 * that speak the Lambda Runtime API with the system's interpreter and call the handler named
 * by _HANDLER ("file.function"). Written under <data dir>/functions/runtimes at start.
 */
#ifndef SRV_FN_RUNTIMES_H
#define SRV_FN_RUNTIMES_H

/** Write the bootstrap programs into <dir>/runtimes. @return 0 or -1. */
int srv_fn_write_runtimes(const char *dir);

#endif
