# The script fuzzer (issue 7): tests/fuzz/fuzz_script.c.
#
# test_fuzz_replay runs in every build: each crash the fuzzer ever found
# (tests/fuzz/regressions/, one file per case) and the shipped scripts go
# through the fuzz target once.  The fuzzer itself (LULL_FUZZ=ON, clang)
# is run for a bounded time by tools/fuzz, from `make check-all`.
add_executable(test_fuzz_replay ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_script.c
  ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/replay.c)
target_compile_options(test_fuzz_replay PRIVATE ${LULL_WARNINGS})
target_link_libraries(test_fuzz_replay PRIVATE lull_static)
# Includes named by a replayed script resolve from its own folder.
add_test(NAME test_fuzz_replay COMMAND test_fuzz_replay
  ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/regressions ${PROJECT_SOURCE_DIR}/scripts
  ${CMAKE_CURRENT_SOURCE_DIR}/bench)
set_tests_properties(test_fuzz_replay PROPERTIES LABELS hardening TIMEOUT 300
  WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)

if(LULL_FUZZ)
  add_executable(fuzz_script ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_script.c)
  target_compile_options(fuzz_script PRIVATE ${LULL_WARNINGS})
  target_link_options(fuzz_script PRIVATE -fsanitize=fuzzer)
  target_link_libraries(fuzz_script PRIVATE lull_static)
endif()
