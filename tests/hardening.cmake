# Hardening (issue 7): what must hold whatever the input, and for how long.
# tests/README.md lists each class of fault with the test that covers it.
include(${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz.cmake)
