/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Protocol errors: one table (X-macro) giving each error its HTTP status, its
 * wire code and its default message. DynamoDB entries also give the __type
 * namespace the service uses for that error.
 */
#ifndef API_ERR_H
#define API_ERR_H

#include "api.h"

#define DDB_NS_CORAL    "com.amazon.coral.service#"
#define DDB_NS_VALIDATE "com.amazon.coral.validate#"
#define DDB_NS_DDB      "com.amazonaws.dynamodb.v20120810#"

/* XX(name, http status, namespace or "", wire code, default message) */
#define API_ERR_MAP(XX)                                                                            \
    XX(DDB_VALIDATION, 400, DDB_NS_VALIDATE, "ValidationException", "Validation error")            \
    XX(DDB_SERIALIZATION, 400, DDB_NS_CORAL, "SerializationException",                             \
       "Start of structure or map found where not expected")                                       \
    XX(DDB_UNKNOWN_OP, 400, DDB_NS_CORAL, "UnknownOperationException", "")                         \
    XX(DDB_UNRECOGNIZED_CLIENT, 400, DDB_NS_CORAL, "UnrecognizedClientException",                  \
       "The security token included in the request is invalid.")                                   \
    XX(DDB_EXPIRED_TOKEN, 400, DDB_NS_CORAL, "ExpiredTokenException",                              \
       "The security token included in the request is expired")                                    \
    XX(DDB_INVALID_SIGNATURE, 400, DDB_NS_CORAL, "InvalidSignatureException",                      \
       "The request signature we calculated does not match the signature you provided. Check "     \
       "your AWS Secret Access Key and signing method. Consult the service documentation for "     \
       "details.")                                                                                 \
    XX(DDB_MISSING_AUTH, 400, DDB_NS_CORAL, "MissingAuthenticationTokenException",                 \
       "Request is missing Authentication Token")                                                  \
    XX(DDB_INCOMPLETE_SIGNATURE, 400, DDB_NS_CORAL, "IncompleteSignatureException",                \
       "Authorization header requires 'Credential' parameter.")                                    \
    XX(DDB_RESOURCE_NOT_FOUND, 400, DDB_NS_DDB, "ResourceNotFoundException",                       \
       "Requested resource not found")                                                             \
    XX(DDB_RESOURCE_IN_USE, 400, DDB_NS_DDB, "ResourceInUseException", "Resource in use")          \
    XX(DDB_TXN_CANCELED, 400, DDB_NS_DDB, "TransactionCanceledException", "Transaction cancelled") \
    XX(DDB_TXN_CONFLICT, 400, DDB_NS_DDB, "TransactionConflictException",                          \
       "Transaction is ongoing for the item")                                                      \
    XX(DDB_IDEMPOTENT_MISMATCH, 400, DDB_NS_DDB, "IdempotentParameterMismatchException",           \
       "The request uses the same client token as a previous, but non-identical request.")         \
    XX(DDB_BACKUP_NOT_FOUND, 400, DDB_NS_DDB, "BackupNotFoundException", "Backup not found")       \
    XX(DDB_TABLE_EXISTS, 400, DDB_NS_DDB, "TableAlreadyExistsException", "Table already exists")   \
    XX(DDB_TABLE_NOT_FOUND, 400, DDB_NS_DDB, "TableNotFoundException", "Table not found")          \
    XX(DDB_LIMIT_EXCEEDED, 400, DDB_NS_DDB, "LimitExceededException", "Limit exceeded")            \
    XX(DDB_PITR_UNAVAILABLE, 400, DDB_NS_DDB, "PointInTimeRecoveryUnavailableException",           \
       "Point in time recovery is not enabled")                                                    \
    XX(DDB_INVALID_RESTORE_TIME, 400, DDB_NS_DDB, "InvalidRestoreTimeException",                   \
       "Invalid restore time")                                                                     \
    XX(DDB_EXPIRED_ITERATOR, 400, DDB_NS_DDB, "ExpiredIteratorException", "Iterator expired")      \
    XX(DDB_TRIMMED_DATA, 400, DDB_NS_DDB, "TrimmedDataAccessException",                            \
       "The operation attempted to read past the oldest stream record in a shard")                 \
    XX(DDB_DUPLICATE_ITEM, 400, DDB_NS_DDB, "DuplicateItemException",                              \
       "Duplicate primary key exists in table")                                                    \
    XX(DDB_COND_FAILED, 400, DDB_NS_DDB, "ConditionalCheckFailedException",                        \
       "The conditional request failed")                                                           \
    XX(DDB_TOO_LARGE, 413, DDB_NS_CORAL, "RequestEntityTooLarge", "Request Entity Too Large")      \
    XX(DDB_THROTTLING, 503, DDB_NS_CORAL, "ThrottlingException",                                   \
       "Rate of requests exceeds the allowed throughput.")                                         \
    XX(DDB_INTERNAL, 500, DDB_NS_DDB, "InternalServerError", "Internal server error")              \
    XX(S3_ACCESS_DENIED, 403, "", "AccessDenied", "Access Denied")                                 \
    XX(S3_SIG_MISMATCH, 403, "", "SignatureDoesNotMatch",                                          \
       "The request signature we calculated does not match the signature you provided. Check "     \
       "your key and signing method.")                                                             \
    XX(S3_INVALID_ACCESS_KEY, 403, "", "InvalidAccessKeyId",                                       \
       "The AWS Access Key Id you provided does not exist in our records.")                        \
    XX(S3_INVALID_TOKEN, 400, "", "InvalidToken",                                                  \
       "The provided token is malformed or otherwise invalid.")                                    \
    XX(S3_EXPIRED_TOKEN, 400, "", "ExpiredToken", "The provided token has expired.")               \
    XX(S3_TIME_SKEWED, 403, "", "RequestTimeTooSkewed",                                            \
       "The difference between the request time and the current time is too large.")               \
    XX(S3_SHA256_MISMATCH, 400, "", "XAmzContentSHA256Mismatch",                                   \
       "The provided 'x-amz-content-sha256' header does not match what was computed.")             \
    XX(S3_BAD_DIGEST, 400, "", "BadDigest",                                                        \
       "The Content-MD5 you specified did not match what we received.")                            \
    XX(S3_INVALID_DIGEST, 400, "", "InvalidDigest", "The Content-MD5 you specified is not valid.") \
    XX(S3_AUTH_MALFORMED, 400, "", "AuthorizationHeaderMalformed",                                 \
       "The authorization header is malformed.")                                                   \
    XX(S3_AUTH_QUERY_ERROR, 400, "", "AuthorizationQueryParametersError",                          \
       "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "    \
       "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")          \
    XX(S3_NO_SUCH_BUCKET, 404, "", "NoSuchBucket", "The specified bucket does not exist")          \
    XX(S3_NO_SUCH_KEY, 404, "", "NoSuchKey", "The specified key does not exist.")                  \
    XX(S3_MALFORMED_POST, 400, "", "MalformedPOSTRequest",                                         \
       "The body of your POST request is not well-formed multipart/form-data.")                    \
    XX(S3_INVALID_POLICY, 400, "", "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.")       \
    XX(S3_NO_SUCH_POLICY, 404, "", "NoSuchBucketPolicy", "The bucket policy does not exist")       \
    XX(S3_MALFORMED_POLICY, 400, "", "MalformedPolicy", "Policy has invalid resource")             \
    XX(S3_NO_SUCH_CORS, 404, "", "NoSuchCORSConfiguration",                                        \
       "The CORS configuration does not exist")                                                    \
    XX(S3_NO_SUCH_LIFECYCLE, 404, "", "NoSuchLifecycleConfiguration",                              \
       "The lifecycle configuration does not exist")                                               \
    XX(S3_CORS_FORBIDDEN, 403, "", "AccessForbidden",                                              \
       "CORSResponse: This CORS request is not "                                                   \
       "allowed.")                                                                                 \
    XX(S3_NO_SUCH_VERSION, 404, "", "NoSuchVersion", "The specified version does not exist.")      \
    XX(S3_NO_SUCH_UPLOAD, 404, "", "NoSuchUpload",                                                 \
       "The specified upload does not exist. The upload ID may be invalid, or the upload may "     \
       "have been aborted or completed.")                                                          \
    XX(S3_INVALID_PART, 400, "", "InvalidPart",                                                    \
       "One or more of the specified parts could not be found.  The part may not have been "       \
       "uploaded, or the specified entity tag may not match the part's entity tag.")               \
    XX(S3_INVALID_PART_ORDER, 400, "", "InvalidPartOrder",                                         \
       "The list of parts was not in ascending order. The parts list must be specified in order "  \
       "by part number.")                                                                          \
    XX(S3_INVALID_PART_NUMBER, 416, "", "InvalidPartNumber",                                       \
       "The requested partnumber is not satisfiable")                                              \
    XX(S3_ENTITY_TOO_SMALL, 400, "", "EntityTooSmall",                                             \
       "Your proposed upload is smaller than the minimum allowed object size.")                    \
    XX(S3_OPERATION_ABORTED, 409, "", "OperationAborted",                                          \
       "A conflicting conditional operation is currently in progress against this resource. "      \
       "Please try again.")                                                                        \
    XX(S3_ACL_NOT_SUPPORTED, 400, "", "AccessControlListNotSupported",                             \
       "The bucket does not allow ACLs")                                                           \
    XX(S3_NO_OBJECT_LOCK, 404, "", "ObjectLockConfigurationNotFoundError",                         \
       "Object Lock configuration does not exist for this bucket")                                 \
    XX(S3_INVALID_TAG, 400, "", "InvalidTag", "The tag provided was not a valid tag.")             \
    XX(S3_NO_SUCH_TAG_SET, 404, "", "NoSuchTagSet", "The TagSet does not exist")                   \
    XX(S3_BAD_REQUEST, 400, "", "BadRequest", "Bad Request")                                       \
    XX(S3_PRECONDITION, 412, "", "PreconditionFailed",                                             \
       "At least one of the pre-conditions you specified did not hold")                            \
    XX(S3_NOT_MODIFIED, 304, "", "NotModified", "Not Modified")                                    \
    XX(S3_INVALID_RANGE, 416, "", "InvalidRange", "The requested range is not satisfiable")        \
    XX(S3_KEY_TOO_LONG, 400, "", "KeyTooLongError", "Your key is too long")                        \
    XX(S3_ENTITY_TOO_LARGE, 400, "", "EntityTooLarge",                                             \
       "Your proposed upload exceeds the maximum allowed size")                                    \
    XX(S3_METADATA_TOO_LARGE, 400, "", "MetadataTooLarge",                                         \
       "Your metadata headers exceed the maximum allowed metadata size.")                          \
    XX(S3_INVALID_STORAGE_CLASS, 400, "", "InvalidStorageClass",                                   \
       "The storage class you specified is not valid")                                             \
    XX(S3_BUCKET_OWNED, 409, "", "BucketAlreadyOwnedByYou",                                        \
       "Your previous request to create the named bucket succeeded and you already own it.")       \
    XX(S3_BUCKET_NOT_EMPTY, 409, "", "BucketNotEmpty",                                             \
       "The bucket you tried to delete is not empty")                                              \
    XX(S3_INVALID_BUCKET_NAME, 400, "", "InvalidBucketName", "The specified bucket is not valid.") \
    XX(S3_INVALID_LOCATION, 400, "", "InvalidLocationConstraint",                                  \
       "The specified location-constraint is not valid")                                           \
    XX(S3_ILLEGAL_LOCATION, 400, "", "IllegalLocationConstraintException",                         \
       "The location constraint is incompatible for the region specific endpoint this request "    \
       "was sent to.")                                                                             \
    XX(S3_MALFORMED_XML, 400, "", "MalformedXML",                                                  \
       "The XML you provided was not well-formed or did not validate against our published "       \
       "schema")                                                                                   \
    XX(S3_NOT_IMPLEMENTED, 501, "", "NotImplemented",                                              \
       "A header you provided implies functionality that is not implemented")                      \
    XX(S3_METHOD_NOT_ALLOWED, 405, "", "MethodNotAllowed",                                         \
       "The specified method is not allowed against this resource.")                               \
    XX(S3_INVALID_ARGUMENT, 400, "", "InvalidArgument", "Invalid Argument")                        \
    XX(S3_INVALID_REQUEST, 400, "", "InvalidRequest", "Invalid Request")                           \
    XX(S3_INCOMPLETE_BODY, 400, "", "IncompleteBody",                                              \
       "You did not provide the number of bytes specified by the Content-Length HTTP header")      \
    XX(S3_TOO_LARGE, 413, "", "MaxMessageLengthExceeded", "Your request was too big.")             \
    XX(S3_SLOW_DOWN, 503, "", "SlowDown", "Please reduce your request rate.")                      \
    XX(S3_INTERNAL, 500, "", "InternalError",                                                      \
       "We encountered an internal error. Please try again.")                                      \
    XX(LAMBDA_UNKNOWN_OP, 404, "", "UnknownOperationException", "Unknown operation")               \
    XX(LAMBDA_NOT_FOUND, 404, "", "ResourceNotFoundException", "Function not found")               \
    XX(LAMBDA_VALIDATION, 400, "", "ValidationException", "Validation error")                      \
    XX(LAMBDA_INVALID_PARAM, 400, "", "InvalidParameterValueException", "Invalid parameter")       \
    XX(LAMBDA_INVALID_REQUEST, 400, "", "InvalidRequestContentException", "Invalid request")       \
    XX(LAMBDA_CONFLICT, 409, "", "ResourceConflictException", "Resource conflict")                 \
    XX(LAMBDA_PRECONDITION, 412, "", "PreconditionFailedException", "Precondition failed")         \
    XX(LAMBDA_TOO_LARGE, 413, "", "RequestTooLargeException", "Request too large")                 \
    XX(LAMBDA_TOO_MANY, 429, "", "TooManyRequestsException", "Rate Exceeded.")                     \
    XX(LAMBDA_SERVICE, 500, "", "ServiceException", "Service error")                               \
    XX(LAMBDA_POLICY_TOO_LARGE, 400, "", "PolicyLengthExceededException", "Policy too large")      \
    XX(LOGS_NOT_FOUND, 400, "", "ResourceNotFoundException",                                       \
       "The specified log group does not exist.")                                                  \
    XX(LOGS_INVALID_PARAM, 400, "", "InvalidParameterException", "Invalid parameter")              \
    XX(LOGS_SERIALIZATION, 400, "", "SerializationException", "Invalid request body")              \
    XX(LOGS_UNKNOWN_OP, 400, "", "UnknownOperationException", "Unknown operation")                 \
    XX(LOGS_THROTTLING, 400, "", "ThrottlingException", "Rate exceeded")                           \
    XX(LOGS_SERVICE, 500, "", "ServiceUnavailableException", "Service error")                      \
    XX(LOGS_EXISTS, 400, "", "ResourceAlreadyExistsException", "The resource already exists")      \
    /* SQS (issue 14, package Q): the namespace column holds the query protocol's code, which      \
       the JSON protocol sends in x-amzn-query-error (awsQueryCompatible) */                       \
    XX(SQS_NO_QUEUE, 400, "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist",          \
       "The specified queue does not exist.")                                                      \
    XX(SQS_NAME_EXISTS, 400, "QueueAlreadyExists", "QueueNameExists",                              \
       "A queue already exists with the same name and a different value for attribute(s)")         \
    XX(SQS_DELETED_RECENTLY, 400, "AWS.SimpleQueueService.QueueDeletedRecently",                   \
       "QueueDeletedRecently",                                                                     \
       "You must wait 60 seconds after deleting a queue before you can create another queue "      \
       "with the same name.")                                                                      \
    XX(SQS_BAD_ATTR_NAME, 400, "InvalidAttributeName", "InvalidAttributeName",                     \
       "Unknown Attribute")                                                                        \
    XX(SQS_BAD_ATTR_VALUE, 400, "InvalidAttributeValue", "InvalidAttributeValue",                  \
       "Invalid value for the parameter")                                                          \
    XX(SQS_BAD_PARAM, 400, "InvalidParameterValue", "InvalidParameterValueException",              \
       "Invalid parameter value")                                                                  \
    XX(SQS_MISSING_PARAM, 400, "MissingParameter", "MissingRequiredParameterException",            \
       "A required parameter is missing")                                                          \
    XX(SQS_BAD_CONTENTS, 400, "InvalidMessageContents", "InvalidMessageContents",                  \
       "Invalid characters found.")                                                                \
    XX(SQS_BAD_RECEIPT, 400, "ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid",                   \
       "The input receipt handle is invalid.")                                                     \
    XX(SQS_NOT_INFLIGHT, 400, "AWS.SimpleQueueService.MessageNotInflight", "MessageNotInflight",   \
       "Message does not exist or is not available for visibility timeout change.")                \
    XX(SQS_PURGE_IN_PROGRESS, 403, "AWS.SimpleQueueService.PurgeQueueInProgress",                  \
       "PurgeQueueInProgress",                                                                     \
       "Only one PurgeQueue operation on a queue is allowed every 60 "                             \
       "seconds.")                                                                                 \
    XX(SQS_EMPTY_BATCH, 400, "AWS.SimpleQueueService.EmptyBatchRequest", "EmptyBatchRequest",      \
       "There should be at least one entry in the request.")                                       \
    XX(SQS_TOO_MANY_ENTRIES, 400, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",           \
       "TooManyEntriesInBatchRequest", "Maximum number of entries per request are 10.")            \
    XX(SQS_IDS_NOT_DISTINCT, 400, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",               \
       "BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id.")   \
    XX(SQS_BAD_BATCH_ID, 400, "AWS.SimpleQueueService.InvalidBatchEntryId", "InvalidBatchEntryId", \
       "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It "   \
       "can be at most 80 letters long.")                                                          \
    XX(SQS_BATCH_TOO_LONG, 400, "AWS.SimpleQueueService.BatchRequestTooLong",                      \
       "BatchRequestTooLong", "Batch requests cannot be longer than 1048576 bytes.")               \
    XX(SQS_UNSUPPORTED, 400, "AWS.SimpleQueueService.UnsupportedOperation",                        \
       "UnsupportedOperation", "This operation is not supported")                                  \
    XX(SQS_OVER_LIMIT, 403, "OverLimit", "OverLimit", "Limit exceeded")                            \
    XX(SQS_RESOURCE_NOT_FOUND, 404, "ResourceNotFoundException", "ResourceNotFoundException",      \
       "The resource that you specified for the SourceArn parameter doesn't exist.")               \
    XX(SQS_INVALID_ACTION, 400, "InvalidAction", "InvalidAction", "The action is not valid")       \
    XX(SQS_SERIALIZATION, 400, "InvalidParameterValue", "SerializationException",                  \
       "The request body is not valid JSON")                                                       \
    XX(SQS_THROTTLED, 400, "RequestThrottled", "RequestThrottled", "Request is throttled.")        \
    XX(SQS_INTERNAL, 500, "InternalError", "InternalError",                                        \
       "We encountered an internal error. Please try again.")                                      \
    /* EventBridge (issue 14, package E) */                                                        \
    XX(EVENTS_NOT_FOUND, 400, "", "ResourceNotFoundException", "Resource not found")               \
    XX(EVENTS_VALIDATION, 400, "", "ValidationException", "Validation error")                      \
    XX(EVENTS_PATTERN, 400, "", "InvalidEventPatternException", "Event pattern is not valid.")     \
    XX(EVENTS_EXISTS, 400, "", "ResourceAlreadyExistsException", "Resource already exists")        \
    XX(EVENTS_LIMIT, 400, "", "LimitExceededException",                                            \
       "The requested resource exceeds the maximum number allowed.")                               \
    XX(EVENTS_CONCURRENT, 400, "", "ConcurrentModificationException",                              \
       "Another operation is modifying the resource.")                                             \
    XX(EVENTS_SERIALIZATION, 400, "", "SerializationException", "Invalid request body")            \
    XX(EVENTS_UNKNOWN_OP, 400, "", "UnknownOperationException", "Unknown operation")               \
    XX(EVENTS_THROTTLING, 400, "", "ThrottlingException", "Rate exceeded")                         \
    XX(EVENTS_INTERNAL, 500, "", "InternalException", "Internal error")                            \
    /* issue 14, package N: SNS (query protocol) */                                                \
    XX(SNS_INVALID_PARAM, 400, "", "InvalidParameter", "Invalid parameter")                        \
    XX(SNS_PARAM_VALUE, 400, "", "ParameterValueInvalid", "Invalid parameter value")               \
    XX(SNS_NOT_FOUND, 404, "", "NotFound", "Topic does not exist")                                 \
    XX(SNS_RESOURCE_NOT_FOUND, 404, "", "ResourceNotFound", "Resource does not exist")             \
    XX(SNS_INTERNAL, 500, "", "InternalError", "Internal error")                                   \
    XX(SNS_THROTTLED, 429, "", "Throttled", "Rate exceeded")                                       \
    XX(SNS_TOO_LARGE, 413, "", "RequestEntityTooLarge", "Request Entity Too Large")                \
    XX(SNS_INVALID_ACTION, 400, "", "InvalidAction", "Unrecognized action")                        \
    XX(SNS_MALFORMED, 400, "", "MalformedQueryString", "Malformed query string")                   \
    XX(SNS_MISSING_AUTH, 403, "", "MissingAuthenticationToken",                                    \
       "Request is missing Authentication Token")                                                  \
    XX(SNS_AUTH_ERROR, 403, "", "AuthorizationError", "Not authorized")                            \
    XX(SNS_TAG_LIMIT, 400, "", "TagLimitExceeded",                                                 \
       "Could not complete request: tag quota of per resource exceeded")                           \
    XX(SNS_BATCH_EMPTY, 400, "", "EmptyBatchRequest",                                              \
       "The batch request doesn't contain any entries.")                                           \
    XX(SNS_BATCH_TOO_MANY, 400, "", "TooManyEntriesInBatchRequest",                                \
       "The batch request contains more entries than permissible.")                                \
    XX(SNS_BATCH_DUP, 400, "", "BatchEntryIdsNotDistinct",                                         \
       "Two or more batch entries in the request have the same Id.")                               \
    XX(SNS_BATCH_TOO_LONG, 400, "", "BatchRequestTooLong",                                         \
       "The length of all the messages put together is more than the limit.")                      \
    XX(SNS_BATCH_ID, 400, "", "InvalidBatchEntryId",                                               \
       "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It "   \
       "can be at most 80 letters long.")                                                          \
    XX(SNS_FILTER_LIMIT, 403, "", "FilterPolicyLimitExceeded", "Filter policy limit exceeded")     \
    /* issue 14, F-SNS: a topic's subscriptions past SNS_SUBS_SCAN */                              \
    XX(SNS_SUB_LIMIT, 403, "", "SubscriptionLimitExceeded",                                        \
       "Indicates that the customer already owns the maximum allowed number of subscriptions.")    \
    /* issue 15: each protocol's access-denied error (api_service_t.err_denied) */                 \
    XX(DDB_ACCESS_DENIED, 400, DDB_NS_CORAL, "AccessDeniedException", "Access denied")             \
    XX(LAMBDA_ACCESS_DENIED, 403, "", "AccessDeniedException", "Access denied")                    \
    XX(LOGS_ACCESS_DENIED, 400, "", "AccessDeniedException", "Access denied")                      \
    XX(SQS_ACCESS_DENIED, 403, "AccessDenied", "AccessDeniedException",                            \
       "Access to the resource "                                                                   \
       "is denied.")                                                                               \
    XX(EVENTS_ACCESS_DENIED, 400, "", "AccessDeniedException", "Access denied")                    \
    /* issue 15, package I (IAM): its errors below this line */                                    \
    XX(IAM_ENTITY_EXISTS, 409, "", "EntityAlreadyExists", "Entity already exists")                 \
    XX(IAM_NO_SUCH_ENTITY, 404, "", "NoSuchEntity", "The entity cannot be found")                  \
    XX(IAM_MALFORMED_POLICY, 400, "", "MalformedPolicyDocument", "Syntax errors in policy.")       \
    XX(IAM_LIMIT, 409, "", "LimitExceeded", "Limit exceeded")                                      \
    XX(IAM_DELETE_CONFLICT, 409, "", "DeleteConflict", "Cannot delete entity")                     \
    XX(IAM_INVALID_INPUT, 400, "", "InvalidInput", "Invalid input")                                \
    XX(IAM_VALIDATION, 400, "", "ValidationError", "Validation error")                             \
    XX(IAM_SERVICE_FAILURE, 500, "", "ServiceFailure", "Service failure")                          \
    XX(IAM_ACCESS_DENIED, 403, "", "AccessDenied", "Access denied")                                \
    XX(IAM_INVALID_ACTION, 400, "", "InvalidAction", "Invalid action")                             \
    XX(IAM_MISSING_ACTION, 400, "", "MissingAction", "Missing Action")                             \
    XX(IAM_MISSING_AUTH, 403, "", "MissingAuthenticationToken", "Missing Authentication Token")    \
    XX(IAM_NOT_ATTACHABLE, 400, "", "PolicyNotAttachable", "The policy cannot be attached")        \
    XX(IAM_UNMODIFIABLE, 400, "", "UnmodifiableEntity", "The entity cannot be modified")           \
    XX(IAM_THROTTLING, 400, "", "Throttling", "Rate exceeded")                                     \
    XX(IAM_TOO_LARGE, 413, "", "RequestEntityTooLarge", "Request Entity Too Large")                \
    XX(IAM_MALFORMED_QUERY, 400, "", "MalformedQueryString", "Malformed query string")             \
    XX(IAM_POLICY_EVAL, 500, "", "PolicyEvaluation", "The policy could not be evaluated")          \
    /* issue 15, package T (STS, sessions): its errors below this line */                          \
    XX(STS_ACCESS_DENIED, 403, "", "AccessDenied", "Access denied")                                \
    XX(STS_EXPIRED_TOKEN, 400, "", "ExpiredToken",                                                 \
       "The security token included in the request is expired")                                    \
    XX(STS_INVALID_CLIENT, 403, "", "InvalidClientTokenId",                                        \
       "The security token included in the request is invalid.")                                   \
    XX(STS_INVALID_PARAM, 400, "", "InvalidParameterValue", "Invalid parameter value")             \
    XX(STS_MALFORMED_POLICY, 400, "", "MalformedPolicyDocument",                                   \
       "The policy is not in the valid JSON format.")                                              \
    XX(STS_PACKED_TOO_LARGE, 400, "", "PackedPolicyTooLarge",                                      \
       "Packed policy consumes more than the allotted space, please use smaller policy.")          \
    XX(STS_REGION_DISABLED, 403, "", "RegionDisabledException",                                    \
       "STS is not activated in this region for account:000000000000.")                            \
    XX(STS_VALIDATION, 400, "", "ValidationError", "Validation error")                             \
    XX(STS_INVALID_ACTION, 400, "", "InvalidAction", "Could not find operation")                   \
    XX(STS_MISSING_AUTH, 403, "", "MissingAuthenticationToken",                                    \
       "Request is missing Authentication Token")                                                  \
    XX(STS_SIG_MISMATCH, 403, "", "SignatureDoesNotMatch",                                         \
       "The request signature we calculated does not match the signature you provided. Check "     \
       "your AWS Secret Access Key and signing method. Consult the service documentation for "     \
       "details.")                                                                                 \
    XX(STS_INCOMPLETE_SIG, 400, "", "IncompleteSignature",                                         \
       "Authorization header requires 'Credential' parameter.")                                    \
    XX(STS_MALFORMED_QUERY, 400, "", "MalformedQueryString", "Malformed query string")             \
    XX(STS_THROTTLING, 400, "", "Throttling", "Rate exceeded")                                     \
    XX(STS_TOO_LARGE, 413, "", "RequestEntityTooLarge", "Request Entity Too Large")                \
    XX(STS_INTERNAL, 500, "", "InternalFailure",                                                   \
       "The request processing has failed because of an unknown error, exception or failure.")     \
    /* issue 15, package V (SigV2): its errors below this line */                                  \
    /* issue 15, package S (S3 access control): its errors below this line */                      \
    XX(S3_NO_SUCH_PAB, 404, "", "NoSuchPublicAccessBlockConfiguration",                            \
       "The public access block configuration was not found")                                      \
    /* issue 15, package L2 (SQS, SNS, EventBridge access): its errors below this line */          \
    XX(EVENTS_POLICY_LENGTH, 400, "", "PolicyLengthExceededException",                             \
       "The event bus policy is too long.")                                                        \
    /* issue 15, package A (S3 ACLs and Object Ownership) */                                       \
    XX(S3_MALFORMED_ACL, 400, "", "MalformedACLError",                                             \
       "The XML you provided was not well-formed or did not validate against our published "       \
       "schema")                                                                                   \
    XX(S3_UNRESOLVABLE_EMAIL, 400, "", "UnresolvableGrantByEmailAddress",                          \
       "The email address you provided does not match any account on record.")                     \
    XX(S3_ACL_OWNERSHIP, 400, "", "InvalidBucketAclWithObjectOwnership",                           \
       "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")           \
    XX(S3_ACL_BLOCKED, 400, "", "InvalidBucketAclWithBlockPublicAccessError",                      \
       "Bucket cannot have public ACLs set with BlockPublicAccess enabled")                        \
    XX(S3_NO_OWNERSHIP, 404, "", "OwnershipControlsNotFoundError",                                 \
       "The bucket ownership controls were not found")                                             \
    XX(S3_UNEXPECTED_CONTENT, 400, "", "UnexpectedContent",                                        \
       "This request does not support content")                                                    \
    XX(S3_MISSING_SECURITY_HEADER, 400, "", "MissingSecurityHeader",                               \
       "Your request was missing a required header")                                               \
    /* issue 15, end of the error table */                                                         \
    /* issue 16, package E (encryption): its errors below this line */                             \
    XX(S3_SSE_CONFIG_NOT_FOUND, 404, "", "ServerSideEncryptionConfigurationNotFoundError",         \
       "The server side encryption configuration was not found")                                   \
    XX(S3_INVALID_ENCRYPTION_ALG, 400, "", "InvalidEncryptionAlgorithmError",                      \
       "The Encryption request you specified is not valid. Supported value: AES256.")              \
                                                                                                   \
    /* issue 16, package K (KMS): its errors below this line */                                    \
    XX(KMS_NOT_FOUND, 400, "", "NotFoundException",                                                \
       "The request was rejected because the specified entity or resource could not be found.")    \
    XX(KMS_DISABLED, 400, "", "DisabledException",                                                 \
       "The request was rejected because the specified KMS key is not enabled.")                   \
    XX(KMS_INVALID_STATE, 400, "", "KMSInvalidStateException",                                     \
       "The request was rejected because the state of the specified resource is not valid for "    \
       "this request.")                                                                            \
    XX(KMS_INVALID_CIPHERTEXT, 400, "", "InvalidCiphertextException",                              \
       "The ciphertext is not valid.")                                                             \
    XX(KMS_ALREADY_EXISTS, 400, "", "AlreadyExistsException", "The resource already exists.")      \
    XX(KMS_VALIDATION, 400, "", "ValidationException", "Validation error")                         \
    XX(KMS_LIMIT, 400, "", "LimitExceededException",                                               \
       "The request was rejected because a quota was exceeded.")                                   \
    XX(KMS_INVALID_ALIAS, 400, "", "InvalidAliasNameException", "The alias name is not valid.")    \
    XX(KMS_NOT_AUTHORIZED, 400, "", "NotAuthorizedException",                                      \
       "The request was rejected because the alias is reserved.")                                  \
    XX(KMS_INVALID_ARN, 400, "", "InvalidArnException", "The ARN is not valid.")                   \
    XX(KMS_INVALID_KEY_USAGE, 400, "", "InvalidKeyUsageException",                                 \
       "The key usage is not valid for this request.")                                             \
    XX(KMS_UNSUPPORTED, 400, "", "UnsupportedOperationException",                                  \
       "The operation is not supported.")                                                          \
    XX(KMS_INVALID_GRANT_TOKEN, 400, "", "InvalidGrantTokenException",                             \
       "The grant token is not valid.")                                                            \
    XX(KMS_INVALID_GRANT_ID, 400, "", "InvalidGrantIdException", "The grant id is not valid.")     \
    XX(KMS_MALFORMED_POLICY, 400, "", "MalformedPolicyDocumentException",                          \
       "The policy document is not valid.")                                                        \
    XX(KMS_TAG, 400, "", "TagException", "The tags are not valid.")                                \
    XX(KMS_INCORRECT_KEY, 400, "", "IncorrectKeyException",                                        \
       "The key ID in the request does not identify the key that encrypted the ciphertext.")       \
    XX(KMS_INVALID_MARKER, 400, "", "InvalidMarkerException", "The marker is not valid.")          \
    XX(KMS_SERIALIZATION, 400, "", "SerializationException", "Invalid request body")               \
    XX(KMS_UNKNOWN_OP, 400, "", "UnknownOperationException", "Unknown operation")                  \
    XX(KMS_THROTTLING, 400, "", "ThrottlingException", "Rate exceeded")                            \
    XX(KMS_INTERNAL, 500, "", "KMSInternalException", "An internal error occurred.")               \
    XX(KMS_ACCESS_DENIED, 400, "", "AccessDeniedException", "Access denied")                       \
    XX(S3_KMS_NOT_FOUND, 400, "", "KMS.NotFoundException", "Invalid keyId")                        \
    XX(S3_KMS_DISABLED, 400, "", "KMS.DisabledException", "The KMS key is disabled.")              \
    XX(S3_KMS_INVALID_STATE, 400, "", "KMS.KMSInvalidStateException",                              \
       "The KMS key is pending deletion.")                                                         \
    XX(S3_KMS_INVALID_CIPHERTEXT, 400, "", "KMS.InvalidCiphertextException",                       \
       "The ciphertext is not valid.")                                                             \
    XX(S3_KMS_INTERNAL, 500, "", "KMS.KMSInternalException", "An internal error occurred.")        \
                                                                                                   \
    /* issue 16, package L (Object Lock): its errors below this line */                            \
    XX(S3_LOCK_BUCKET_STATE, 409, "", "InvalidBucketState",                                        \
       "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration")          \
    XX(S3_LOCK_NO_SUCH_CONFIG, 404, "", "NoSuchObjectLockConfiguration",                           \
       "The specified object does not have a ObjectLock configuration")                            \
    XX(S3_LOCK_PROTECTED, 403, "", "AccessDenied",                                                 \
       "Access Denied because object protected by object lock.")                                   \
                                                                                                   \
    /* issue 16, package C (checksums): its errors below this line */                              \
    XX(S3_CONDITIONAL_CONFLICT, 409, "", "ConditionalRequestConflict",                             \
       "A conflicting operation occurred. If using PutObject you can retry the request. If using " \
       "multipart upload you should initiate another CreateMultipartUpload request and re-upload " \
       "each part.")                                                                               \
                                                                                                   \
    /* issue 16, package G (access logs): its errors below this line */                            \
    XX(S3_INVALID_LOG_TARGET, 400, "", "InvalidTargetBucketForLogging",                            \
       "The target bucket for logging does not exist")                                             \
    XX(S3_CROSS_LOCATION_LOGGING, 403, "", "CrossLocationLoggingProhibitted",                      \
       "Cross S3 location logging not allowed. ")                                                  \
                                                                                                   \
    /* issue 16, package W (websites): its errors below this line */                               \
    XX(S3_NO_SUCH_WEBSITE, 404, "", "NoSuchWebsiteConfiguration",                                  \
       "The specified bucket does not have a website configuration")                               \
    XX(S3_INVALID_REDIRECT, 400, "", "InvalidRedirectLocation",                                    \
       "The website redirect location must have a prefix of 'http://' or 'https://' or '/'.")      \
    /* issue 16, package R (configurations, smaller fixes): its errors below this line */          \
    XX(S3_NO_SUCH_CONFIGURATION, 404, "", "NoSuchConfiguration",                                   \
       "The specified configuration does not exist.")                                              \
    XX(S3_INVALID_CONFIGURATION_ID, 400, "", "InvalidConfigurationId",                             \
       "The specified configuration ID is not valid.")                                             \
    XX(S3_ID_MISMATCH, 400, "", "IdMismatch",                                                      \
       "Document ID does not match the specified configuration ID.")                               \
    XX(S3_TOO_MANY_CONFIGURATIONS, 400, "", "TooManyConfigurations",                               \
       "You are attempting to create a new configuration but have already reached the "            \
       "1,000-configuration limit.")                                                               \
    XX(S3_MALFORMED_CONTINUATION_TOKEN, 400, "", "MalformedContinuationToken",                     \
       "The continuation token provided is incorrect.")                                            \
    XX(S3_INVALID_DESTINATION_BUCKET, 400, "", "InvalidS3DestinationBucket",                       \
       "Invalid bucket ARN.")                                                                      \
                                                                                                   \
    /* issue 16, end of the error table */                                                         \
    /* issue 17, package V1: its errors below this line */                                         \
                                                                                                   \
    /* issue 17, package V2: its errors below this line */                                         \
                                                                                                   \
    /* issue 17, package M: its errors below this line */                                          \
                                                                                                   \
    /* issue 17, package H: its errors below this line */                                          \
                                                                                                   \
    /* issue 17, package S: its errors below this line */                                          \
    XX(DDB_GLOBAL_TABLE_NOT_FOUND, 400, DDB_NS_DDB, "GlobalTableNotFoundException",                \
       "Global table not found")                                                                   \
                                                                                                   \
    /* issue 17, package E: its errors below this line */                                          \
    XX(DDB_EXPORT_CONFLICT, 400, DDB_NS_DDB, "ExportConflictException", "Export conflict")         \
    XX(DDB_EXPORT_NOT_FOUND, 400, DDB_NS_DDB, "ExportNotFoundException", "Export not found")       \
    XX(DDB_INVALID_EXPORT_TIME, 400, DDB_NS_DDB, "InvalidExportTimeException",                     \
       "Invalid export time")                                                                      \
                                                                                                   \
    /* issue 17, package I: its errors below this line */                                          \
    XX(DDB_IMPORT_NOT_FOUND, 400, DDB_NS_DDB, "ImportNotFoundException",                           \
       "The specified import was not found.")                                                      \
    XX(DDB_IMPORT_CONFLICT, 400, DDB_NS_DDB, "ImportConflictException",                            \
       "There was a conflict when importing from the specified S3 source.")                        \
                                                                                                   \
    /* issue 17, end of the error table */

typedef enum api_err {
    API_E_NONE = 0,
#define XX(name, st, ns, code, msg) API_E_##name,
    API_ERR_MAP(XX)
#undef XX
        API_E__COUNT
} api_err_t;

/**
 * Record an error in resp: status, code and a message (printf format; NULL
 * for the default). Encoding happens once, at the end of the request.
 */
void api_fail(api_resp_t *resp, api_err_t e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/** api_fail, then -1: for returning a refusal in one statement. */
int api_refuse(api_resp_t *resp, api_err_t e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int api_err_status(api_err_t e);
const char *api_err_code(api_err_t e);
/** The namespace column of e's row (DynamoDB's __type prefix; SQS's query-protocol code). */
const char *api_err_ns(api_err_t e);

#endif
