# Sanitizer and fuzzing builds (issue 7; `make check-all` drives them).
#
#   -DLULL_SANITIZE=address,undefined   the whole suite under ASan + UBSan
#   -DLULL_SANITIZE=thread              the threaded parts under TSan
#   -DLULL_FUZZ=ON (clang only)         coverage-instrument everything and
#                                       build the libFuzzer target fuzz_script
#
# Each goes in a build tree of its own (build-asan, build-tsan, build-fuzz).
# Every target in the project gets the flags, so liblull, the lull command
# and the tests are all checked.  Any finding aborts the process
# (-fno-sanitize-recover), so a report is always a failed test.
set(LULL_SANITIZE "" CACHE STRING
  "Build with these -fsanitize= checks: address,undefined or thread (empty: none)")
option(LULL_FUZZ "Build the libFuzzer harness (needs clang)" OFF)

if(LULL_SANITIZE)
  add_compile_options(-fsanitize=${LULL_SANITIZE} -fno-omit-frame-pointer
    -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${LULL_SANITIZE})
  message(STATUS "lull: sanitizers ${LULL_SANITIZE}")
endif()

if(LULL_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "LULL_FUZZ needs clang (configure with CC=clang)")
  endif()
  # Coverage feedback for libFuzzer in every object; only the fuzz target
  # links libFuzzer's main (-fsanitize=fuzzer).
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
