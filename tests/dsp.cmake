# DSP tests: the analysis helpers first (the ruler), then one test per voice.
lull_add_test(test_analysis test_analysis.c)
lull_add_test(test_binaural test_binaural.c)
lull_add_test(test_noise test_noise.c)
set_tests_properties(test_analysis test_binaural test_noise PROPERTIES LABELS dsp TIMEOUT 120)
