/* SPDX-License-Identifier: Apache-2.0 */
/* Issue 16, package R: the remaining bucket configurations (typed inputs and outputs, internal
 * interface). */
#ifndef S3_CONFIGS_H
#define S3_CONFIGS_H

#endif
