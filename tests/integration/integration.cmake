# SPDX-License-Identifier: Apache-2.0
# Integration tests: real clients (boto3, AWS CLI, AWS SDK for JavaScript v3, curl) against
# a stratusd started on 127.0.0.1 with port 0 and a temporary data directory.
find_program(KV_PYTHON3 python3 REQUIRED)
find_program(KV_NODE node)
set(KV_IT_ENV "STRATUSD=$<TARGET_FILE:stratusd>;STRATUS_CLI=$<TARGET_FILE:stratus>")
foreach(t dynamodb items hardening_disk hardening_ddb hardening_auth hardening_server hardening_storage hardening_fn crash indexes partiql streams lambda s3_events sched s3 s3_objects s3_versions s3_bucket_config s3_browser server awscli lambda_versions lambda_urls lambda_creds lambda_sandbox lambda_logs lambda_ric lambda_sdk lambda_qualifiers lambda_deploy lambda_filters sqs sqs_fifo sqs_crash events events_targets sns sns_delivery bench_sqs sqs_query lambda_sqs lambda_sqs_delivery wiring pipeline sqs_review sns_https iam sts fn_roles s3_access s3_sigv2
          authz_ddb iam_cli iam_policies authz_msg authz_lambda s3_acl authz_review) # issue 15: authz_ddb D; iam iam_policies I; sts fn_roles T; s3_access S; s3_sigv2 V; iam_cli lead; authz_msg L2; authz_lambda L1; s3_acl A; authz_review: the security review
  add_test(NAME it_${t} COMMAND ${KV_PYTHON3} -m unittest -v test_${t}
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/integration)
  set_tests_properties(it_${t} PROPERTIES LABELS integration TIMEOUT 600
                       ENVIRONMENT "${KV_IT_ENV};PYTHONDONTWRITEBYTECODE=1")
endforeach()
# issue 16: each package lists its Python tests (tests/integration/test_<name>.py) on its line
set(KV_IT16
    # package E (encryption):
    s3_sse

    # package K (KMS):
    kms

    # package L (Object Lock):
    s3_lock

    # package C (checksums):
    s3_checksums

    # package G (access logs):
    s3_logging

    # package W (websites):
    s3_website

    # package R (configurations, smaller fixes):
    s3_configs s3_minor

)
foreach(t ${KV_IT16})
  add_test(NAME it_${t} COMMAND ${KV_PYTHON3} -m unittest -v test_${t}
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/integration)
  set_tests_properties(it_${t} PROPERTIES LABELS integration TIMEOUT 600
                       ENVIRONMENT "${KV_IT_ENV};PYTHONDONTWRITEBYTECODE=1")
endforeach()
# issue 17: each package lists its Python tests (tests/integration/test_<name>.py) on its line
set(KV_IT17
    ddb_validation # the validation table: every package's rows (ddb_rows_*.py)
    # package V1:

    # package V2:

    # package M:
    ddb_multikey # multi-attribute GSI keys

    # package H:
    ddb_compression ddb_cors # compressed requests (boto3, a bomb); CORS (curl, Chromium)

    # package S:
    ddb_streams17 # streams' details, global tables, contributor insights, Kinesis

    # package E:
    ddb_export # ExportTableToPointInTime, DescribeExport, ListExports and the export job
    ddb_roundtrip # with package I: an export imported back equals the table (skips without I)

    # package I:
    ddb_import

)
foreach(t ${KV_IT17})
  add_test(NAME it_${t} COMMAND ${KV_PYTHON3} -m unittest -v test_${t}
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/integration)
  set_tests_properties(it_${t} PROPERTIES LABELS integration TIMEOUT 600
                       ENVIRONMENT "${KV_IT_ENV};PYTHONDONTWRITEBYTECODE=1")
endforeach()
if(KV_NODE)
  add_test(NAME it_js_sdk COMMAND ${KV_NODE} --test sdk.test.mjs items.test.mjs
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/js)
  set_tests_properties(it_js_sdk PROPERTIES LABELS integration TIMEOUT 300
                       ENVIRONMENT "${KV_IT_ENV};NODE_NO_WARNINGS=1")
endif()
# SQS with the JS SDK v3 (issue 14, package Q)
if(KV_NODE)
  add_test(NAME it_js_sqs COMMAND ${KV_NODE} --test sqs.test.mjs
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/js)
  set_tests_properties(it_js_sqs PROPERTIES LABELS integration TIMEOUT 300
                       ENVIRONMENT "${KV_IT_ENV};NODE_NO_WARNINGS=1")
endif()
# EventBridge through the JS SDK v3 (issue 14, package E)
if(KV_NODE)
  add_test(NAME it_js_events COMMAND ${KV_NODE} --test events.test.mjs
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/js)
  set_tests_properties(it_js_events PROPERTIES LABELS integration TIMEOUT 300
                       ENVIRONMENT "${KV_IT_ENV};NODE_NO_WARNINGS=1")
endif()
# issue 14, package N: SNS through the JS SDK v3
if(KV_NODE)
  add_test(NAME it_js_sns COMMAND ${KV_NODE} --test sns.test.mjs WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/js)
  set_tests_properties(it_js_sns PROPERTIES LABELS integration TIMEOUT 300
                       ENVIRONMENT "${KV_IT_ENV};NODE_NO_WARNINGS=1")
endif()
# issue 14 (package W1): the wiring through the AWS SDK for JavaScript v3
if(KV_NODE)
  add_test(NAME it_js_wiring COMMAND ${KV_NODE} --test wiring.test.mjs
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/js)
  set_tests_properties(it_js_wiring PROPERTIES LABELS integration TIMEOUT 300
                       ENVIRONMENT "${KV_IT_ENV};NODE_NO_WARNINGS=1")
endif()
# issue 15, package I: IAM through the JS SDK v3
if(KV_NODE)
  add_test(NAME it_js_iam COMMAND ${KV_NODE} --test iam.test.mjs WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/js)
  set_tests_properties(it_js_iam PROPERTIES LABELS integration TIMEOUT 300
                       ENVIRONMENT "${KV_IT_ENV};NODE_NO_WARNINGS=1")
endif()
# issue 15, package T: STS through the JS SDK v3
if(KV_NODE)
  add_test(NAME it_js_sts COMMAND ${KV_NODE} --test sts.test.mjs WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/js)
  set_tests_properties(it_js_sts PROPERTIES LABELS integration TIMEOUT 300
                       ENVIRONMENT "${KV_IT_ENV};NODE_NO_WARNINGS=1")
endif()
# issue 15 (package D): DynamoDB authorization through the JS SDK v3 DocumentClient
if(KV_NODE)
  add_test(NAME it_js_authz_ddb COMMAND ${KV_NODE} --test authz_ddb.test.mjs
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/js)
  set_tests_properties(it_js_authz_ddb PROPERTIES LABELS integration TIMEOUT 300
                       ENVIRONMENT "${KV_IT_ENV};NODE_NO_WARNINGS=1")
endif()
# issue 15 (package S): S3 access control through the JS SDK v3
if(KV_NODE)
  add_test(NAME it_js_s3_access COMMAND ${KV_NODE} --test s3_access.test.mjs
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/js)
  set_tests_properties(it_js_s3_access PROPERTIES LABELS integration TIMEOUT 300
                       ENVIRONMENT "${KV_IT_ENV};NODE_NO_WARNINGS=1")
endif()
# issue 15 (package L2): SQS, SNS and EventBridge authorization through the JS SDK v3
if(KV_NODE)
  add_test(NAME it_js_authz_msg COMMAND ${KV_NODE} --test authz_msg.test.mjs
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/js)
  set_tests_properties(it_js_authz_msg PROPERTIES LABELS integration TIMEOUT 300
                       ENVIRONMENT "${KV_IT_ENV};NODE_NO_WARNINGS=1")
endif()
# issue 15 (package L1): Lambda and Logs authorization through the JS SDK v3
if(KV_NODE)
  add_test(NAME it_js_authz_lambda COMMAND ${KV_NODE} --test authz_lambda.test.mjs
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/js)
  set_tests_properties(it_js_authz_lambda PROPERTIES LABELS integration TIMEOUT 300
                       ENVIRONMENT "${KV_IT_ENV};NODE_NO_WARNINGS=1")
endif()
# issue 16, package W: static websites through the JS SDK v3
if(KV_NODE)
  add_test(NAME it_js_s3_website COMMAND ${KV_NODE} --test s3_website.test.mjs
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/js)
  set_tests_properties(it_js_s3_website PROPERTIES LABELS integration TIMEOUT 300
                       ENVIRONMENT "${KV_IT_ENV};NODE_NO_WARNINGS=1")
endif()
# issue 16 (package R): the remaining bucket configurations and the smaller fixes, JS SDK v3
if(KV_NODE)
  add_test(NAME it_js_s3_configs COMMAND ${KV_NODE} --test s3_configs.test.mjs
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/js)
  set_tests_properties(it_js_s3_configs PROPERTIES LABELS integration TIMEOUT 300
                       ENVIRONMENT "${KV_IT_ENV};NODE_NO_WARNINGS=1")
endif()
# issue 16, package G: S3 server access logging through the JS SDK v3
if(KV_NODE)
  add_test(NAME it_js_s3_logging COMMAND ${KV_NODE} --test s3_logging.test.mjs
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/js)
  set_tests_properties(it_js_s3_logging PROPERTIES LABELS integration TIMEOUT 300
                       ENVIRONMENT "${KV_IT_ENV};NODE_NO_WARNINGS=1")
endif()
# issue 16, package L: Object Lock through the JS SDK v3
if(KV_NODE)
  add_test(NAME it_js_s3_lock COMMAND ${KV_NODE} --test s3_lock.test.mjs
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/js)
  set_tests_properties(it_js_s3_lock PROPERTIES LABELS integration TIMEOUT 300
                       ENVIRONMENT "${KV_IT_ENV};NODE_NO_WARNINGS=1")
endif()
# issue 16, package K: KMS through the JS SDK v3
if(KV_NODE)
  add_test(NAME it_js_kms COMMAND ${KV_NODE} --test kms.test.mjs WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/js)
  set_tests_properties(it_js_kms PROPERTIES LABELS integration TIMEOUT 300
                       ENVIRONMENT "${KV_IT_ENV};NODE_NO_WARNINGS=1")
endif()
# issue 16, package E: encryption with the JS SDK v3
if(KV_NODE)
  add_test(NAME it_js_sse COMMAND ${KV_NODE} --test sse.test.mjs WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/js)
  set_tests_properties(it_js_sse PROPERTIES LABELS integration TIMEOUT 300
                       ENVIRONMENT "${KV_IT_ENV};NODE_NO_WARNINGS=1")
endif()
# issue 16, package C: multipart checksums with the JS SDK v3 (lib-storage's 200 MiB Upload)
if(KV_NODE)
  add_test(NAME it_js_s3_checksums COMMAND ${KV_NODE} --test s3_checksums.test.mjs
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/js)
  set_tests_properties(it_js_s3_checksums PROPERTIES LABELS integration TIMEOUT 400
                       ENVIRONMENT "${KV_IT_ENV};NODE_NO_WARNINGS=1")
endif()
# issue 17, package H: compressed DynamoDB requests with the JS SDK v3
if(KV_NODE)
  add_test(NAME it_js_ddb_compress COMMAND ${KV_NODE} --test ddb_compress.test.mjs
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/js)
  set_tests_properties(it_js_ddb_compress PROPERTIES LABELS integration TIMEOUT 300
                       ENVIRONMENT "${KV_IT_ENV};NODE_NO_WARNINGS=1")
endif()
# issue 17, package S: streams' details and the API shape tools read, through the JS SDK v3
if(KV_NODE)
  add_test(NAME it_js_sdk_streams17 COMMAND ${KV_NODE} --test streams17.test.mjs
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/js)
  set_tests_properties(it_js_sdk_streams17 PROPERTIES LABELS integration TIMEOUT 300
                       ENVIRONMENT "${KV_IT_ENV};NODE_NO_WARNINGS=1")
endif()
# issue 17, package M: multi-attribute GSI keys with the JS SDK v3
if(KV_NODE)
  add_test(NAME it_js_ddb_multikey COMMAND ${KV_NODE} --test ddb_multikey.test.mjs
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/js)
  set_tests_properties(it_js_ddb_multikey PROPERTIES LABELS integration TIMEOUT 300
                       ENVIRONMENT "${KV_IT_ENV};NODE_NO_WARNINGS=1")
endif()
# issue 17, package E: DynamoDB exports to S3 with the JS SDK v3 (ion-js reads the ION files)
if(KV_NODE)
  add_test(NAME it_js_ddb_export COMMAND ${KV_NODE} --test ddb_export.test.mjs
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/js)
  set_tests_properties(it_js_ddb_export PROPERTIES LABELS integration TIMEOUT 300
                       ENVIRONMENT "${KV_IT_ENV};NODE_NO_WARNINGS=1")
endif()
# issue 17, package I: ImportTable with the JS SDK v3 (Ion written by ion-js, zstd, CSV, logs)
if(KV_NODE)
  add_test(NAME it_js_ddb_import COMMAND ${KV_NODE} --test ddb_import.test.mjs
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/js)
  set_tests_properties(it_js_ddb_import PROPERTIES LABELS integration TIMEOUT 300
                       ENVIRONMENT "${KV_IT_ENV};NODE_NO_WARNINGS=1")
endif()
# issue 17 (lead): CORS on the DynamoDB endpoint for a page's JS SDK v3 (Origin, preflight)
if(KV_NODE)
  add_test(NAME it_js_ddb_cors COMMAND ${KV_NODE} --test ddb_cors.test.mjs
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/js)
  set_tests_properties(it_js_ddb_cors PROPERTIES LABELS integration TIMEOUT 300
                       ENVIRONMENT "${KV_IT_ENV};NODE_NO_WARNINGS=1")
endif()
