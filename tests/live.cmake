# Live playback, the command path, embedding and real-time safety.

# Pull mode: commands posted between blocks, measured against an engine that
# was sent nothing.
lull_add_test(test_live_control test_live_control.c)

# The command queue: unit checks, then millions of elements between two
# threads with nothing lost, duplicated or reordered.
add_executable(test_spsc test_spsc.c)
target_compile_options(test_spsc PRIVATE ${LULL_WARNINGS})
target_compile_definitions(test_spsc PRIVATE _POSIX_C_SOURCE=200809L)
target_link_libraries(test_spsc PRIVATE lull_static Threads::Threads)
target_include_directories(test_spsc PRIVATE ${PROJECT_SOURCE_DIR}/engine)
add_test(NAME test_spsc COMMAND test_spsc 4000000)

# The same under ThreadSanitizer, if this compiler has it and it runs here.
include(CheckCSourceRuns)
set(CMAKE_REQUIRED_FLAGS -fsanitize=thread)
set(CMAKE_REQUIRED_LINK_OPTIONS -fsanitize=thread)
check_c_source_runs("int main(void) { return 0; }" LULL_HAVE_TSAN)
unset(CMAKE_REQUIRED_FLAGS)
unset(CMAKE_REQUIRED_LINK_OPTIONS)
if(LULL_HAVE_TSAN)
  add_executable(test_spsc_tsan test_spsc.c ${PROJECT_SOURCE_DIR}/engine/spsc.c)
  target_compile_options(test_spsc_tsan PRIVATE ${LULL_WARNINGS} -fsanitize=thread -O1 -g)
  target_link_options(test_spsc_tsan PRIVATE -fsanitize=thread)
  target_compile_definitions(test_spsc_tsan PRIVATE _POSIX_C_SOURCE=200809L)
  target_include_directories(test_spsc_tsan PRIVATE ${PROJECT_SOURCE_DIR}/engine)
  target_link_libraries(test_spsc_tsan PRIVATE Threads::Threads)
  add_test(NAME test_spsc_tsan COMMAND test_spsc_tsan 2000000)
  # Any race report is a failure, even if the checks pass.
  set_tests_properties(test_spsc_tsan PROPERTIES
    ENVIRONMENT "TSAN_OPTIONS=halt_on_error=1 exitcode=66")
else()
  message(STATUS "ThreadSanitizer unavailable: test_spsc_tsan not built")
endif()
