/* SPDX-License-Identifier: Apache-2.0 */
/* Issue 16, package L: Object Lock (typed inputs and outputs, internal interface). */
#ifndef S3_LOCK_H
#define S3_LOCK_H

#endif
