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
