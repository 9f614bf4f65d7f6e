# SPDX-License-Identifier: Apache-2.0
add_library(kvserver STATIC server/srv_config.c server/srv_loop.c server/srv_conn.c
            server/srv_tls.c server/srv_services.c server/srv_fn.c server/srv_fn_proc.c
            server/srv_fn_rapi.c server/srv_fn_code.c server/srv_fn_runtimes.c
            server/srv_work.c)
target_include_directories(kvserver PUBLIC server)
# The AWS SDK for JavaScript v3 of the nodejs runtimes (`make deps` installs it here).
target_compile_definitions(kvserver PRIVATE
                           KV_NODE_SDK_DIR="${CMAKE_SOURCE_DIR}/server/runtime/nodejs/node_modules")
target_compile_options(kvserver PRIVATE ${KV_WARN})
target_link_libraries(kvserver PUBLIC kvapi llhttp PkgConfig::LIBUV PkgConfig::SSL PkgConfig::LIBARCHIVE PkgConfig::SECCOMP
                      PkgConfig::CRYPTO Threads::Threads)

add_executable(stratusd server/main.c)
target_compile_options(stratusd PRIVATE ${KV_WARN})
target_link_libraries(stratusd PRIVATE kvserver)
