# Packaging, loudness, the timeline picture and the command line's manners
# (issue 6).
lull_add_test(test_loudness test_loudness.c)
target_link_libraries(test_loudness PRIVATE PkgConfig::EBUR128 PkgConfig::SNDFILE)
lull_add_test(test_version test_version.c)
target_compile_definitions(test_version PRIVATE LULL_PROJECT_VERSION="${PROJECT_VERSION}")

# An independent loudness meter (libsndfile + libebur128, no liblull).
add_executable(measure_loudness measure_loudness.c)
target_link_libraries(measure_loudness PRIVATE PkgConfig::EBUR128 PkgConfig::SNDFILE m)

add_test(NAME test_install COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_install.sh
  ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR})
add_test(NAME test_cli_manners COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_cli_manners.sh
  $<TARGET_FILE:lull> $<TARGET_FILE:measure_loudness> ${PROJECT_SOURCE_DIR})
add_test(NAME test_plot COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_plot.sh
  $<TARGET_FILE:lull> ${PROJECT_SOURCE_DIR})
set_tests_properties(test_loudness test_version test_install test_cli_manners test_plot
  PROPERTIES LABELS pkg TIMEOUT 300)
# Under a sanitizer test_loudness needs about 41 s of CPU (12 s plain); on a
# loaded 2-core machine that took 300 s of wall time (make check-all).
if(LULL_SANITIZE)
  set_tests_properties(test_loudness PROPERTIES TIMEOUT 900)
endif()
