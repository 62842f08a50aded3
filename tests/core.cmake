# Engine core, script parser, render and the lull command (issue 2).
lull_add_test(test_script test_script.c)
set_tests_properties(test_script PROPERTIES LABELS core TIMEOUT 120)
