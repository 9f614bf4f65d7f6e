/* SPDX-License-Identifier: Apache-2.0 */
/* Issue 16, package C: multipart checksums, idempotent completion (typed inputs and outputs,
 * internal interface). */
#ifndef S3_CKSUM_H
#define S3_CKSUM_H

#endif
