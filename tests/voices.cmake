# The voice kinds beyond binaural and noise: one test program per kind, each
# driving the voice through its class table (voice_harness.c) and measuring
# it.  Engine-level checks (scripts, the pacer's `rate=` shorthand) live in
# the tests that need them.
add_library(lull_voice_harness STATIC voice_harness.c)
target_include_directories(lull_voice_harness PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_compile_options(lull_voice_harness PRIVATE ${LULL_WARNINGS})
target_link_libraries(lull_voice_harness PUBLIC lull_static m)

foreach(kind monaural isochronic pacer tone bell spin)
  lull_add_test(test_${kind} test_${kind}.c)
  target_link_libraries(test_${kind} PRIVATE lull_voice_harness)
  set_tests_properties(test_${kind} PROPERTIES LABELS "dsp;voices" TIMEOUT 120)
endforeach()
