# SPDX-License-Identifier: AGPL-3.0-or-later
# Included by tests/CMakeLists.txt: finds a clang that can build libFuzzer
# targets (the project's own compiler when it is clang, else a clang on PATH)
# and sets RFM_CLANG and RFM_FUZZ_DEFAULT (ON when clang links a trivial
# -fsanitize=fuzzer program). Debian: clang + libclang-rt-dev.
if(CMAKE_C_COMPILER_ID STREQUAL "Clang")
  set(RFM_CLANG ${CMAKE_C_COMPILER} CACHE FILEPATH "clang used for the fuzzers")
else()
  find_program(RFM_CLANG NAMES clang clang-19 clang-18 clang-17 clang-16 clang-15 clang-14
    DOC "clang used for the fuzzers")
endif()
set(RFM_FUZZ_DEFAULT OFF)
if(RFM_CLANG)
  set(_dir ${CMAKE_CURRENT_BINARY_DIR}/fuzz-check)
  file(WRITE ${_dir}/check.c [[
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }
]])
  execute_process(COMMAND ${RFM_CLANG} -fsanitize=fuzzer,address ${_dir}/check.c -o ${_dir}/check
    RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_QUIET)
  if(_rc EQUAL 0)
    set(RFM_FUZZ_DEFAULT ON)
  else()
    message(STATUS "fuzzers: ${RFM_CLANG} cannot link -fsanitize=fuzzer; RFM_FUZZ defaults to OFF")
  endif()
endif()
