# SPDX-License-Identifier: AGPL-3.0-or-later
# rfm_bpf_object(NAME SOURCE): compile SOURCE with clang for the BPF target of
# the host's byte order and generate a libbpf skeleton NAME.skel.h next to it.
# Creates the interface target NAME_skel that adds the include directory.

find_program(CLANG clang REQUIRED)
find_program(BPFTOOL bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)

include(TestBigEndian)
test_big_endian(RFM_BIG_ENDIAN)
if(RFM_BIG_ENDIAN)
  set(RFM_BPF_TARGET bpfeb)
else()
  set(RFM_BPF_TARGET bpfel)
endif()

execute_process(COMMAND ${CMAKE_C_COMPILER} -print-multiarch
  OUTPUT_VARIABLE RFM_MULTIARCH OUTPUT_STRIP_TRAILING_WHITESPACE)
set(RFM_BPF_INCLUDES -I${CMAKE_SOURCE_DIR}/bpf)
if(RFM_MULTIARCH)
  list(APPEND RFM_BPF_INCLUDES -I/usr/include/${RFM_MULTIARCH})
endif()

function(rfm_bpf_object name source)
  set(outdir ${CMAKE_BINARY_DIR}/bpf)
  set(obj ${outdir}/${name}.o)
  set(skel ${outdir}/${name}.skel.h)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${outdir}
    COMMAND ${CLANG} -g -O2 -target ${RFM_BPF_TARGET} -Wall -Wextra -Werror
            ${RFM_BPF_INCLUDES} -c ${source} -o ${obj}
    DEPENDS ${source} ${CMAKE_SOURCE_DIR}/bpf/rfm_shared.h
    COMMENT "BPF ${name}.o (${RFM_BPF_TARGET})"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name} > ${skel}
    DEPENDS ${obj}
    COMMENT "BPF skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${name}_gen DEPENDS ${skel})
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_gen)
  target_include_directories(${name}_skel INTERFACE ${outdir} ${CMAKE_SOURCE_DIR}/bpf)
endfunction()
