# Hardening (issue 7): what must hold whatever the input, and for how long.
# tests/README.md lists each class of fault with the test that covers it.
include(${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz.cmake)

# Hostile and broken inputs through the lull command: each refused with a
# clear error and a non-zero exit, nothing written (needs sox).
add_test(NAME test_hostile COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_hostile.sh $<TARGET_FILE:lull>)
set_tests_properties(test_hostile PROPERTIES LABELS hardening TIMEOUT 600)

# Nothing dangerous reaches the ears: random parameter sequences through
# every voice kind; no NaN/Inf, true peak under the ceiling, changes de-clicked.
lull_add_test(test_safety test_safety.c)
set_tests_properties(test_safety PROPERTIES LABELS hardening TIMEOUT 600)

# Eight hours pulled from the engine: exact beat in the last minute, events on
# their samples, constant memory.
lull_add_test(test_long_session test_long_session.c)
set_tests_properties(test_long_session PROPERTIES LABELS hardening TIMEOUT 900)

# Live playback under faults: a stalled clip loader, a clip file arriving
# slower than it plays, an audio callback slower than its block, other
# processes hogging the CPU.  tests/fault_inject.c makes the reads and
# callbacks slow: linked into test_live_faults (player API; -rdynamic lets
# libsndfile's reads and the player's test hook reach it) and preloaded
# (LD_PRELOAD) into the real `lull play` by test_play_faults.sh.
lull_add_test(test_live_faults test_live_faults.c fault_inject.c)
target_link_options(test_live_faults PRIVATE -rdynamic -Wl,-z,now)
target_link_libraries(test_live_faults PRIVATE ${CMAKE_DL_LIBS})
lull_jack_test(test_live_faults)
set_tests_properties(test_live_faults PROPERTIES LABELS "live;hardening")

add_library(lull_fault_inject MODULE fault_inject.c)
target_compile_options(lull_fault_inject PRIVATE ${LULL_WARNINGS})
target_compile_definitions(lull_fault_inject PRIVATE _POSIX_C_SOURCE=200809L)
target_link_libraries(lull_fault_inject PRIVATE ${CMAKE_DL_LIBS})
add_test(NAME test_play_faults COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_play_faults.sh
  $<TARGET_FILE:lull> $<TARGET_FILE:lull_fault_inject>)
lull_jack_test(test_play_faults)
set_tests_properties(test_play_faults PROPERTIES LABELS "live;hardening")

# The true-peak limiter against independent meters (libebur128, 16x).
lull_add_test(test_true_peak test_true_peak.c)
target_link_libraries(test_true_peak PRIVATE PkgConfig::EBUR128)
set_tests_properties(test_true_peak PROPERTIES LABELS hardening TIMEOUT 600)

# The limiter's shortcuts (skipping the 8x estimate where a bound proves it
# cannot reach the target) give the very output of estimating every frame.
lull_add_test(test_limiter_skip test_limiter_skip.c)
target_include_directories(test_limiter_skip PRIVATE ${PROJECT_SOURCE_DIR}/engine)
set_tests_properties(test_limiter_skip PROPERTIES LABELS hardening TIMEOUT 600)

# The loudness summary's own true-peak meter: its exact skip and its
# accuracy (16x reference, libebur128).
lull_add_test(test_true_peak_meter test_true_peak_meter.c)
target_include_directories(test_true_peak_meter PRIVATE ${PROJECT_SOURCE_DIR}/engine)
target_link_libraries(test_true_peak_meter PRIVATE PkgConfig::EBUR128)
set_tests_properties(test_true_peak_meter PROPERTIES LABELS hardening)
