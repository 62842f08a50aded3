# SBaGen schedules: translation, timeline, audio, errors, convert round trip (tests/sbg.cmake)
lull_add_test(test_sbg test_sbg.c)
target_link_libraries(test_sbg PRIVATE PkgConfig::SNDFILE)
set_tests_properties(test_sbg PROPERTIES LABELS sbg TIMEOUT 600)
add_test(NAME test_sbg_cli COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_sbg_cli.sh $<TARGET_FILE:lull>
         ${CMAKE_CURRENT_SOURCE_DIR}/sbg)
set_tests_properties(test_sbg_cli PROPERTIES LABELS sbg TIMEOUT 300)
