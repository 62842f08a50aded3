# Engine core, script parser, render and the lull command (issue 2).
lull_add_test(test_script test_script.c)
lull_add_test(test_engine test_engine.c)
set_tests_properties(test_script test_engine PROPERTIES LABELS core TIMEOUT 300)
# The lull command, driven as a user would (needs sox's soxi).
add_test(NAME test_cli COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_cli.sh $<TARGET_FILE:lull>
  ${PROJECT_SOURCE_DIR}/scripts/README.md)
set_tests_properties(test_cli PROPERTIES LABELS core TIMEOUT 300)
lull_add_test(test_render test_render.c)
# What a render waits for: fsync when replacing a file or asked, never half
# a file over a good one (its own fsync and sync_file_range record the calls).
lull_add_test(test_render_sync test_render_sync.c)
set_tests_properties(test_render_sync PROPERTIES LABELS core TIMEOUT 300)
# lull's float-to-PCM conversion for renders against libsndfile's (engine/pcm.c).
lull_add_test(test_pcm test_pcm.c)
lull_add_test(test_sessions test_sessions.c)
set_tests_properties(test_sessions PROPERTIES LABELS sessions TIMEOUT 900)
# Where the mixer puts its control points: coarse at rest and on long ramps,
# fine on short ones, exactly at every ramp's end (engine/process.c).
lull_add_test(test_control_grid test_control_grid.c)
set_tests_properties(test_control_grid PROPERTIES LABELS core TIMEOUT 300)
