# SPDX-License-Identifier: Apache-2.0
# Unit tests (cmocka), fuzz-corpus replays, and integration tests driving a real stratusd.
pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)

function(kv_unit name src)
  add_executable(${name} ${src} ${ARGN})
  target_compile_options(${name} PRIVATE ${KV_WARN} -Wno-missing-prototypes)
  target_include_directories(${name} PRIVATE engine api client server tests/support)
  target_link_libraries(${name} PRIVATE kvserver kvclient kvapi kvengine PkgConfig::CMOCKA
                        PkgConfig::JANSSON)
  target_compile_definitions(${name} PRIVATE STRATUS_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS unit TIMEOUT 300)
  set_property(GLOBAL APPEND PROPERTY KV_UNIT_TARGETS ${name})
endfunction()

kv_unit(test_kv_base tests/unit/base/test_kv_base.c)
kv_unit(test_eng_keys tests/unit/engine/test_eng_keys.c)
kv_unit(test_eng_catalog tests/unit/engine/test_eng_catalog.c)
kv_unit(test_eng_object tests/unit/engine/test_eng_object.c)
kv_unit(test_eng_fnlog tests/unit/engine/test_eng_fnlog.c)
kv_unit(test_sigv4 tests/unit/api/test_sigv4.c)
kv_unit(test_ddb_expr tests/unit/api/test_ddb_expr.c)
kv_unit(test_ddb_partiql tests/unit/api/test_ddb_partiql.c)
kv_unit(test_api_arn tests/unit/api/test_api_arn.c)
kv_unit(test_api_pattern tests/unit/api/test_api_pattern.c)
kv_unit(test_api_session tests/unit/api/test_api_session.c)
kv_unit(test_api_query tests/unit/api/test_api_query.c) # the query protocol (issue 14)
if(EXISTS ${CMAKE_SOURCE_DIR}/tests/unit/api/test_api_handle.c)
  kv_unit(test_api_handle tests/unit/api/test_api_handle.c tests/support/api_harness.c)
endif()
kv_unit(test_api_services tests/unit/api/test_api_services.c tests/support/api_harness.c)
kv_unit(test_sqs_md5 tests/unit/api/test_sqs_md5.c tests/support/api_harness.c) # issue 14, Q
kv_unit(test_sqs_index tests/unit/api/test_sqs_index.c) # issue 14, Q
if(EXISTS ${CMAKE_SOURCE_DIR}/tests/unit/server/test_srv_http.c)
  kv_unit(test_srv_http tests/unit/server/test_srv_http.c tests/support/srv_harness.c)
endif()
# The server against a fake api layer (defined in the test), for response streaming.
add_executable(test_srv_stream tests/unit/server/test_srv_stream.c tests/support/fake_api.c
               server/srv_conn.c server/srv_loop.c server/srv_config.c server/srv_tls.c
               server/srv_work.c)
target_compile_options(test_srv_stream PRIVATE ${KV_WARN} -Wno-missing-prototypes)
target_include_directories(test_srv_stream PRIVATE server api engine tests/support)
target_link_libraries(test_srv_stream PRIVATE kvbase llhttp PkgConfig::LIBUV PkgConfig::SSL
                      PkgConfig::CRYPTO PkgConfig::CMOCKA)
add_test(NAME test_srv_stream COMMAND test_srv_stream)
set_tests_properties(test_srv_stream PROPERTIES LABELS unit TIMEOUT 300)
# The same, for slow operations run on the worker pool.
add_executable(test_srv_work tests/unit/server/test_srv_work.c tests/support/fake_api.c
               server/srv_conn.c server/srv_loop.c server/srv_config.c server/srv_tls.c
               server/srv_work.c)
target_compile_options(test_srv_work PRIVATE ${KV_WARN} -Wno-missing-prototypes)
target_include_directories(test_srv_work PRIVATE server api engine tests/support)
target_link_libraries(test_srv_work PRIVATE kvbase llhttp PkgConfig::LIBUV PkgConfig::SSL
                      PkgConfig::CRYPTO PkgConfig::CMOCKA)
add_test(NAME test_srv_work COMMAND test_srv_work)
set_tests_properties(test_srv_work PROPERTIES LABELS unit TIMEOUT 300)
kv_unit(test_events_sched tests/unit/api/test_events_sched.c)
kv_unit(test_eng_events tests/unit/engine/test_eng_events.c)
kv_unit(test_sqs_query tests/unit/api/test_sqs_query.c)
kv_unit(test_api_msg tests/unit/api/test_api_msg.c tests/support/api_harness.c)
kv_unit(test_eng_sns tests/unit/engine/test_eng_sns.c)
kv_unit(test_pol tests/unit/api/test_pol.c) # issue 15, P: the policy language and api_decide
kv_unit(test_iam_names tests/unit/api/test_iam_names.c) # issue 15, package I
kv_unit(test_iam_principal tests/unit/api/test_iam_principal.c tests/support/api_harness.c) # issue 15, I
# issue 15 (package D): DynamoDB and Streams authorization, requests run as an IAM user
kv_unit(test_ddb_authz tests/unit/api/test_ddb_authz.c tests/support/api_harness.c
        tests/support/api_harness_as.c)
kv_unit(test_sigv2 tests/unit/api/test_sigv2.c) # issue 15, package V: SigV2 for S3
kv_unit(test_s3_access tests/unit/api/test_s3_access.c) # issue 15, S: account settings, PAB
kv_unit(test_s3_acl tests/unit/api/test_s3_acl.c) # issue 15, package A: S3 ACLs

include(${CMAKE_SOURCE_DIR}/tests/layers.cmake)
if(EXISTS ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz.cmake)
  include(${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz.cmake)
endif()
if(EXISTS ${CMAKE_SOURCE_DIR}/tests/integration/integration.cmake)
  include(${CMAKE_SOURCE_DIR}/tests/integration/integration.cmake)
endif()

kv_unit(test_api_seal tests/unit/api/test_api_seal.c) # issue 16: the master key, sealing
# issue 16, package E: its unit tests below
kv_unit(test_eng_sse tests/unit/engine/test_eng_sse.c) # encrypted object chunks

# issue 16, package K: its unit tests below
kv_unit(test_kms tests/unit/api/test_kms.c tests/support/api_harness.c)

# issue 16, package L: its unit tests below
kv_unit(test_eng_objlock tests/unit/engine/test_eng_objlock.c) # the engine's Object Lock checks
kv_unit(test_s3_lock tests/unit/api/test_s3_lock.c) # Object Lock's dates and bodies

# issue 16, package C: its unit tests below
kv_unit(test_s3_cksum tests/unit/api/test_s3_cksum.c) # CRC combination, composite checksums

# issue 16, package G: its unit tests below
kv_unit(test_s3_logging tests/unit/api/test_s3_logging.c)

# issue 16, package W: its unit tests below
kv_unit(test_s3_website tests/unit/api/test_s3_website.c tests/support/api_harness.c)

# issue 16, package R: its unit tests below
kv_unit(test_s3_configs tests/unit/api/test_s3_configs.c)

# issue 17, package V1: its unit tests below

# issue 17, package V2: its unit tests below

# issue 17, package M: its unit tests below
kv_unit(test_eng_multikey tests/unit/engine/test_eng_multikey.c) # multi-attribute GSI keys

# issue 17, package H: its unit tests below
kv_unit(test_api_inflate tests/unit/api/test_api_inflate.c) # compressed request bodies
kv_unit(test_api_json tests/unit/api/test_api_json.c) # issue 18: the arena JSON reader

# issue 17, package S: its unit tests below

# issue 17, package E: its unit tests below
kv_unit(test_ddb_ion_w tests/unit/api/test_ddb_ion_w.c)

# issue 17, package I: its unit tests below
kv_unit(test_ddb_import_readers tests/unit/api/test_ddb_import_readers.c)

# Every unit test program (`make test-tsan` builds this target only).
get_property(KV_UNITS GLOBAL PROPERTY KV_UNIT_TARGETS)
add_custom_target(unit-tests DEPENDS ${KV_UNITS} test_srv_stream test_srv_work)
