# Engine core, script parser, render and the lull command (issue 2).
lull_add_test(test_script test_script.c)
lull_add_test(test_engine test_engine.c)
set_tests_properties(test_script test_engine PROPERTIES LABELS core TIMEOUT 300)
