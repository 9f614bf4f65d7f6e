/* SPDX-License-Identifier: Apache-2.0 */
/* Issue 16, package W: static website hosting (typed inputs and outputs, internal interface). */
#ifndef S3_WEBSITE_H
#define S3_WEBSITE_H

#endif
