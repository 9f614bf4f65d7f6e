/* SPDX-License-Identifier: Apache-2.0 */
/* Assertions for programming errors (never for input validation). Always on. */
#ifndef KV_ASSERT_H
#define KV_ASSERT_H

#include <stdio.h>
#include <stdlib.h>

#define KV_ASSERT(cond)                                                                  \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                     \
        }                                                                                \
    } while (0)

#endif
