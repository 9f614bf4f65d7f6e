# SPDX-License-Identifier: Apache-2.0
# The layers the build enforces (CMakeLists.txt): each test compiles tests/support/layer_probe.c
# with one header forced in, under the include directories a layer's code gets, and expects it
# to compile (a header the layer may use) or to fail (a private or upper layer's header).
function(kv_layer_probe target header ok)
  string(MAKE_C_IDENTIFIER "${header}" hid)
  set(name layer_${target}_${hid})
  add_test(NAME ${name}
           COMMAND ${CMAKE_C_COMPILER} -fsyntax-only -std=c17 -D_GNU_SOURCE
                   "-I$<JOIN:$<TARGET_PROPERTY:${target},INCLUDE_DIRECTORIES>,;-I>"
                   -include ${header} ${CMAKE_SOURCE_DIR}/tests/support/layer_probe.c
           COMMAND_EXPAND_LISTS WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  set_tests_properties(${name} PROPERTIES LABELS unit TIMEOUT 60)
  if(NOT ok)
    set_tests_properties(${name} PROPERTIES WILL_FAIL TRUE)
  endif()
endfunction()

# api/: the engine's public headers and base, never the engine's private ones.
foreach(h eng.h eng_item.h base/kv_buf.h api_int.h)
  kv_layer_probe(kvapi ${h} TRUE)
endforeach()
foreach(h eng_int.h eng_rocks.h eng_keys.h eng_tlv.h)
  kv_layer_probe(kvapi ${h} FALSE)
endforeach()
# server/: api.h (and what it includes) and base; no engine header.
foreach(h api.h base/kv_log.h)
  kv_layer_probe(kvserver ${h} TRUE)
endforeach()
foreach(h eng.h eng_int.h api_int.h)
  kv_layer_probe(kvserver ${h} FALSE)
endforeach()
# client/: base and the shared SigV4 and codec pieces; neither api.h nor the engine.
foreach(h base/kv_buf.h auth/sigv4.h auth/api_cksum.h codec/api_jw.h)
  kv_layer_probe(kvclient ${h} TRUE)
endforeach()
foreach(h api.h eng.h eng_int.h)
  kv_layer_probe(kvclient ${h} FALSE)
endforeach()
