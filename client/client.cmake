# SPDX-License-Identifier: Apache-2.0
# client/: the C client library (shares api/auth's SigV4 code), the stratus CLI, and bench/.
add_library(kvclient STATIC client/cli.c)
target_include_directories(kvclient PUBLIC client)
target_compile_options(kvclient PRIVATE ${KV_WARN})
target_link_libraries(kvclient PUBLIC kvauth kvbase PkgConfig::ZLIB)

add_executable(stratus client/stratus.c client/cli_iam.c)
target_compile_options(stratus PRIVATE ${KV_WARN})
target_link_libraries(stratus PRIVATE kvclient)

add_executable(stratus-bench bench/stratus_bench.c)
target_compile_options(stratus-bench PRIVATE ${KV_WARN})
target_link_libraries(stratus-bench PRIVATE kvclient PkgConfig::LIBUV)
