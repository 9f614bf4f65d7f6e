/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Amazon Resource Names: the one place that writes and splits them
 * (arn:aws:<service>:<region>:<account>:<resource>). S3's bucket ARNs have neither region nor
 * account (arn:aws:s3:::bucket).
 */
#ifndef API_ARN_H
#define API_ARN_H

#include <stdbool.h>
#include <stddef.h>

#include "base/kv_arena.h"
#include "base/kv_slice.h"

/** The one account every resource belongs to. */
#define API_ACCOUNT_ID "000000000000"

/** The parts of an ARN (slices of the text given to api_arn_parse). */
typedef struct api_arn {
    kv_slice_t service, region, account, resource;
} api_arn_t;

/**
 * Write the ARN of a resource of service into out (cap bytes, NUL-terminated, truncated to
 * fit): with region NULL it is a global ARN without region or account (S3 buckets), otherwise
 * it names region and the account. The resource is printf-formatted.
 * @return the length the whole ARN needs (as snprintf).
 */
int api_arn_write(char *out, size_t cap, const char *service, const char *region, const char *fmt,
                  ...) __attribute__((format(printf, 5, 6)));
/** The same, in arena a. */
const char *api_arn_new(kv_arena_t *a, const char *service, const char *region, const char *fmt,
                        ...) __attribute__((format(printf, 4, 5)));
/** Split arn ("arn:<partition>:<service>:<region>:<account>:<resource>"). @return false when it
 * is not an ARN of the aws partition with a service and a resource. */
bool api_arn_parse(kv_slice_t arn, api_arn_t *out);
/**
 * The name of a resource of a given type: for resource "table/orders/stream/x" and type
 * "table/" it is "orders" (up to the next '/'); for Lambda's "function:name:qualifier" and type
 * "function:" it is "name" (up to the next ':'). @return false when resource is not of type
 * or the name is empty.
 */
bool api_arn_name(const api_arn_t *arn, const char *type, kv_slice_t *name);
/**
 * All of a resource of a given type after the type: for resource "table/orders/stream/x" and
 * type "table/" it is "orders/stream/x". @return false when resource is not of type or nothing
 * follows the type.
 */
bool api_arn_after(const api_arn_t *arn, const char *type, kv_slice_t *rest);

#endif
