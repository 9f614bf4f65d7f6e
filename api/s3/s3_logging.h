/* SPDX-License-Identifier: Apache-2.0 */
/* Issue 16, package G: server access logging (typed inputs and outputs, internal interface). */
#ifndef S3_LOGGING_H
#define S3_LOGGING_H

#endif
