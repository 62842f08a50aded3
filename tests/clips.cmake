# Clips: decoding, resampling, the loader, ducking, file checks (tests/clips.cmake)
lull_add_test(test_clips test_clips.c)
target_link_libraries(test_clips PRIVATE PkgConfig::SNDFILE)
set_tests_properties(test_clips PROPERTIES LABELS clips TIMEOUT 300)
