# BLAKE3's official C implementation, compiled from the sources Debian's
# librust-blake3-dev installs. Nothing of it is copied into this repository.
file(GLOB BLAKE3_DIRS LIST_DIRECTORIES true /usr/share/cargo/registry/blake3-*/c)
list(SORT BLAKE3_DIRS)
list(LENGTH BLAKE3_DIRS _n)
if(_n EQUAL 0)
  message(FATAL_ERROR "BLAKE3 C sources not found: run scripts/install-deps.sh (librust-blake3-dev)")
endif()
list(GET BLAKE3_DIRS -1 BLAKE3_DIR)
message(STATUS "BLAKE3 sources: ${BLAKE3_DIR}")
add_library(blake3 STATIC
  ${BLAKE3_DIR}/blake3.c
  ${BLAKE3_DIR}/blake3_dispatch.c
  ${BLAKE3_DIR}/blake3_portable.c
  ${BLAKE3_DIR}/blake3_sse2_x86-64_unix.S
  ${BLAKE3_DIR}/blake3_sse41_x86-64_unix.S
  ${BLAKE3_DIR}/blake3_avx2_x86-64_unix.S
  ${BLAKE3_DIR}/blake3_avx512_x86-64_unix.S)
target_include_directories(blake3 SYSTEM PUBLIC ${BLAKE3_DIR})
set_target_properties(blake3 PROPERTIES POSITION_INDEPENDENT_CODE ON)
# Third-party code: no project warnings, no sanitizer noise from assembly.
target_compile_options(blake3 PRIVATE -w)
