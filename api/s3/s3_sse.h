/* SPDX-License-Identifier: Apache-2.0 */
/* Issue 16, package E: encryption: SSE-S3, SSE-C, SSE-KMS, bucket default encryption (typed inputs
 * and outputs, internal interface). */
#ifndef S3_SSE_H
#define S3_SSE_H

#endif
