# SPDX-License-Identifier: Apache-2.0
# Each target builds two ways: against standalone_driver.c (any compiler) to replay its corpus
# under ctest, and with -fsanitize=fuzzer (clang, KV_FUZZ=ON) for exploration.
set(KV_FUZZ_TARGETS http_req_fuzz sigv4_fuzz eng_keys_fuzz ddb_json_fuzz ddb_expr_fuzz ddb_partiql_fuzz s3_xml_fuzz
    s3_obj_fuzz
    s3_post_fuzz lambda_api_fuzz runtime_api_fuzz api_pattern_fuzz
    api_query_fuzz # api_query_fuzz: the query protocol (issue 14)
    events_api_fuzz events_sched_fuzz # EventBridge (issue 14)
    sns_api_fuzz # issue 14, F-SNS
    sqs_api_fuzz # the SQS JSON operations (issue 14 review)
    pol_fuzz # the policy language (issue 15, P)
    iam_api_fuzz # issue 15, package I: IAM's operations
    sts_api_fuzz # issue 15, package T: STS and session tokens
    ddb_authz_fuzz # issue 15 (package D): DynamoDB requests as an IAM user
    sigv2_fuzz # issue 15, package V: SigV2 for S3
    s3_acl_fuzz # issue 15, package A: S3 ACL grant headers, AccessControlPolicy, ownership
    # issue 16, package E:
    s3_sse_fuzz # SSE headers, SSE-C keys, the bucket encryption configuration

    # issue 16, package K:
    kms_blob_fuzz kms_api_fuzz

    # issue 16, package L:
    s3_lock_fuzz # Object Lock: dates, ObjectLockConfiguration, Retention, LegalHold

    # issue 16, package C:
    s3_mpu_fuzz # multipart checksums, completion bodies, partNumber, attribute pages

    # issue 16, package G:
    s3_logging_fuzz # BucketLoggingStatus, the stored form, access-log lines

    # issue 16, package W:
    s3_website_fuzz # WebsiteConfiguration, the website endpoint

    # issue 16, package R:
    s3_cfg_fuzz # the configurations' documents, stored form, metadata and Content-Encoding

    # issue 17, package V1:

    # issue 17, package V2:

    # issue 17, package M:

    # issue 17, package H:
    api_inflate_fuzz # compressed request bodies

    # issue 17, package S:

    # issue 17, package E:

    # issue 17, package I:
    ddb_ion_fuzz # the import readers: Ion text records, CSV records

    # issue 18:
    api_json_fuzz # the arena JSON reader, differentially against jansson

)
# issue 16: each package's support sources below its marker
# package E:
set(KV_FUZZ_SUPPORT_s3_sse_fuzz tests/support/api_harness.c)

# package K:
set(KV_FUZZ_SUPPORT_kms_api_fuzz tests/support/api_harness.c)

# package L:
set(KV_FUZZ_SUPPORT_s3_lock_fuzz tests/support/api_harness.c)

# package C:
set(KV_FUZZ_SUPPORT_s3_mpu_fuzz tests/support/api_harness.c)

# package G:

# package W:
set(KV_FUZZ_SUPPORT_s3_website_fuzz tests/support/api_harness.c)

# package R:

# issue 17: each package's support sources below its marker
# package V1:

# package V2:

# package M:

# package H:
set(KV_FUZZ_SUPPORT_api_inflate_fuzz tests/support/api_harness.c)

# package S:

# package E:

# package I:

set(KV_FUZZ_SUPPORT_http_req_fuzz tests/support/srv_harness.c)
set(KV_FUZZ_SUPPORT_ddb_json_fuzz tests/support/api_harness.c)
set(KV_FUZZ_SUPPORT_s3_xml_fuzz tests/support/api_harness.c)
set(KV_FUZZ_SUPPORT_s3_obj_fuzz tests/support/api_harness.c)
set(KV_FUZZ_SUPPORT_s3_post_fuzz tests/support/api_harness.c)
set(KV_FUZZ_SUPPORT_lambda_api_fuzz tests/support/api_harness.c)
set(KV_FUZZ_SUPPORT_events_api_fuzz tests/support/api_harness.c) # issue 14
set(KV_FUZZ_SUPPORT_sns_api_fuzz tests/support/api_harness.c) # issue 14, F-SNS
set(KV_FUZZ_SUPPORT_sqs_api_fuzz tests/support/api_harness.c)
set(KV_FUZZ_SUPPORT_iam_api_fuzz tests/support/api_harness.c) # issue 15, package I
set(KV_FUZZ_SUPPORT_sts_api_fuzz tests/support/api_harness.c) # issue 15, package T
# issue 15 (package D)
set(KV_FUZZ_SUPPORT_ddb_authz_fuzz tests/support/api_harness.c tests/support/api_harness_as.c)
foreach(t ${KV_FUZZ_TARGETS})
  add_executable(${t}_replay tests/fuzz/${t}.c tests/fuzz/standalone_driver.c ${KV_FUZZ_SUPPORT_${t}})
  target_compile_options(${t}_replay PRIVATE ${KV_WARN} -Wno-missing-prototypes)
  target_include_directories(${t}_replay PRIVATE engine api client server tests/support)
  target_link_libraries(${t}_replay PRIVATE kvserver kvclient kvapi kvengine PkgConfig::JANSSON)
  add_test(NAME fuzz_${t} COMMAND ${t}_replay ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${t})
  set_tests_properties(fuzz_${t} PROPERTIES LABELS fuzz TIMEOUT 600)
  if(KV_FUZZ)
    add_executable(${t} tests/fuzz/${t}.c ${KV_FUZZ_SUPPORT_${t}})
    target_compile_options(${t} PRIVATE -fsanitize=fuzzer,address,undefined -g)
    target_link_options(${t} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_include_directories(${t} PRIVATE engine api client server tests/support)
    target_link_libraries(${t} PRIVATE kvserver kvclient kvapi kvengine PkgConfig::JANSSON)
  endif()
endforeach()
