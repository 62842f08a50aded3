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
# (A sanitizer build of the whole tree runs test_spsc itself under its sanitizer.)
if(LULL_HAVE_TSAN AND NOT LULL_SANITIZE)
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

# ---------------------------------------------------------------- live audio
# A JACK server on the dummy driver, started and stopped around the tests
# that need it.  Its name is unique to this build tree, so two checkouts can
# test at once; PortAudio finds it through JACK_DEFAULT_SERVER.
string(MD5 LULL_BUILD_HASH "${PROJECT_BINARY_DIR}")
string(SUBSTRING "${LULL_BUILD_HASH}" 0 8 LULL_BUILD_HASH)
set(LULL_JACK_SERVER "lull-test-${LULL_BUILD_HASH}")
set(LULL_JACK_DIR "${CMAKE_CURRENT_BINARY_DIR}/jack")
add_test(NAME jack_server_start
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/jack_server.sh start ${LULL_JACK_SERVER} ${LULL_JACK_DIR})
add_test(NAME jack_server_stop
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/jack_server.sh stop ${LULL_JACK_SERVER} ${LULL_JACK_DIR})
set_tests_properties(jack_server_start PROPERTIES FIXTURES_SETUP jack_server)
set_tests_properties(jack_server_stop PROPERTIES FIXTURES_CLEANUP jack_server)

# How long a live test may take.  Under a sanitizer far longer: TSan spends
# minutes releasing the shadow of the huge buffers ALSA's null sink offers
# PortAudio's device probe (test_alsa_capture: 250 s under TSan on a loaded
# 2-core machine, 0.2 s plain).
if(LULL_SANITIZE)
  set(LULL_LIVE_TIMEOUT 900)
else()
  set(LULL_LIVE_TIMEOUT 120)
endif()

# A test that plays through the fixture's server.  Timing is measured, so
# these run one at a time (RUN_SERIAL), not beside CPU-heavy tests.
function(lull_jack_test name)
  set_tests_properties(${name} PROPERTIES
    FIXTURES_REQUIRED jack_server
    ENVIRONMENT "JACK_DEFAULT_SERVER=${LULL_JACK_SERVER}"
    RUN_SERIAL TRUE
    LABELS live
    TIMEOUT ${LULL_LIVE_TIMEOUT})
endfunction()

lull_add_test(test_player_jack test_player_jack.c)
target_link_options(test_player_jack PRIVATE -Wl,-z,now)
lull_jack_test(test_player_jack)

# The lull command: play and devices, their summaries and one-line errors.
add_test(NAME test_play_cli COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_play_cli.sh $<TARGET_FILE:lull>)
lull_jack_test(test_play_cli)

# The device vanishes mid-session (a JACK server of the test's own, shut down).
add_test(NAME test_device_lost COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_device_lost.sh
  $<TARGET_FILE:lull> ${CMAKE_CURRENT_SOURCE_DIR}/jack_server.sh
  "lull-lost-${LULL_BUILD_HASH}" ${LULL_JACK_DIR})
set_tests_properties(test_device_lost PROPERTIES RUN_SERIAL TRUE LABELS live TIMEOUT 60)

# What the player sends to a device equals the offline render, bit for bit
# (ALSA's file plugin captures it; configured for the test process only).
lull_add_test(test_alsa_capture test_alsa_capture.c)
target_link_options(test_alsa_capture PRIVATE -Wl,-z,now)
set_tests_properties(test_alsa_capture PROPERTIES LABELS live TIMEOUT ${LULL_LIVE_TIMEOUT})

# Real-time safety: allocation, locks, sleeps and file I/O inside the
# callback are caught by an interposer (tests/rt_interposer.c), in pull mode
# and on lull_player's real audio thread.  -rdynamic exports the
# replacements to PortAudio, JACK and libc; -z now binds every symbol before
# the first callback.
# The interposer replaces malloc, which the sanitizers' runtimes own: not in
# sanitizer builds (the plain build runs it).
if(NOT LULL_SANITIZE)
lull_add_test(test_rt_safety test_rt_safety.c rt_interposer.c)
target_link_options(test_rt_safety PRIVATE -rdynamic -Wl,-z,now)
target_link_libraries(test_rt_safety PRIVATE ${CMAKE_DL_LIBS})
lull_jack_test(test_rt_safety)
endif()

# The examples (examples/), run as a user would run them.
add_test(NAME example_render_memory COMMAND render_memory)
add_test(NAME example_live_params COMMAND live_params)
set_tests_properties(example_render_memory example_live_params PROPERTIES LABELS examples)
add_test(NAME example_play_script
  COMMAND play_script ${PROJECT_SOURCE_DIR}/scripts/unwind/unwind.lull 1.5)
add_test(NAME example_pull_host
  COMMAND pull_host ${PROJECT_SOURCE_DIR}/scripts/unwind/unwind.lull 1.5 JACK)
lull_jack_test(example_play_script)
lull_jack_test(example_pull_host)

# The callback benchmark must keep working: run it briefly on the fixture.
add_test(NAME bench_callback_smoke COMMAND lull-bench-callback --seconds 0.5 ${PROJECT_SOURCE_DIR})
lull_jack_test(bench_callback_smoke)

# The terminal display and its keys, through a pseudo-terminal.
add_test(NAME test_play_tty COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_play_tty.sh $<TARGET_FILE:lull>)
lull_jack_test(test_play_tty)
