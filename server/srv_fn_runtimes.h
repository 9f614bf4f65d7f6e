/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The runtimes Stratus provides for python3.x and nodejs*.x functions: small bootstrap
 * programs that speak the Lambda Runtime API and call the handler named by _HANDLER, the
 * start-up hooks that route AWS SDKs predating AWS_ENDPOINT_URL to Stratus (sitecustomize.py
 * for botocore, sdk_endpoints.js for aws-sdk v2 and old @aws-sdk v3, esm_resolve.mjs for ES
 * modules finding NODE_PATH's packages), all written under <data dir>/functions/runtimes at
 * start (the sandbox's /var/runtime); the Node SDK v3 that the runtime provides; and which
 * interpreter runs each runtime (found and probed once, at start).
 */
#ifndef SRV_FN_RUNTIMES_H
#define SRV_FN_RUNTIMES_H

#include <stddef.h>

#include "api.h"

typedef struct srv_fn srv_fn_t;

/** The most --runtime NAME=PATH maps. */
#define SRV_FN_RUNTIME_MAPS_MAX 16

/**
 * Settings from the command line, before srv_fn_start: node_sdk, the node_modules directory
 * of the runtime's Node SDK (or a directory holding one; NULL: the one built with the source
 * tree, when it exists), and "NAME=PATH" maps of runtimes to interpreters, whose installation
 * sandboxes show read-only: never one holding $HOME, data_dir or a hidden file. Not
 * thread-safe. @return 0, or -1 with a message in err (an unknown runtime, a PATH that is no
 * executable, an installation that would show the server's own files).
 */
int srv_fn_runtimes_configure(const char *node_sdk, const char *const *maps, size_t n_maps,
                              const char *data_dir, const char *const *hidden, size_t n_hidden,
                              char *err, size_t cap);
/** Write the bootstraps and hooks into <f->dir>/runtimes, find the interpreters (their
 * versions probed once), fill f->sdk_dir and f->extra_ro. @return 0 or -1. */
int srv_fn_runtimes_init(srv_fn_t *f);
/** The interpreter that runs runtime (python3.x, nodejs*.x): its path, and in *warning the
 * START line's note when it is of another version (else NULL). @return NULL if none. */
const char *srv_fn_runtime_program(const char *runtime, const char **warning);
/** Why runtime cannot run here (a message naming --runtime), or NULL (api_runtime_check_fn). */
const char *srv_fn_runtime_unavailable(const char *runtime);
/** Append Lambda's runtime variables for inv (PYTHONPATH; NODE_PATH) to envp (whose slots
 * are NULL), code at root; host_opt: NULL in a sandbox, else the host directory standing for
 * /opt (--insecure-no-sandbox). @return how many were appended (at most 2). */
size_t srv_fn_runtime_env(const srv_fn_t *f, const api_invocation_t *inv, const char *root,
                          const char *host_opt, char **envp);

#endif
