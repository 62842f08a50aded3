# lull - the two commands a new user needs: `make run` and `make test`.
# Everything else (build, bench, clips, clean) is here too.

BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
SESSION ?= scripts/pmr-back/pmr-back.lull
OUT ?= out

.PHONY: all deps configure build run test check-all fuzz bench clips plot clean

all: build

deps:
	@./tools/setup-deps

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

configure: deps $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# Plays the session when there is an audio output; renders it otherwise.
run: build
	./$(BUILD)/lull check $(SESSION)
	@if ./$(BUILD)/lull devices >/dev/null 2>&1; then \
		./$(BUILD)/lull play $(SESSION); \
	else \
		echo "No audio output device here, so rendering instead of playing."; \
		mkdir -p $(OUT) && ./$(BUILD)/lull render $(SESSION) -o $(OUT)/session.wav && \
		echo "Rendered $(SESSION) to $(OUT)/session.wav"; \
	fi

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Everything CI checks beyond `make test` (tools/check-all): the whole suite
# again under ASan+UBSan, the threaded parts under TSan, valgrind on a
# render, and FUZZ_SECONDS of fuzzing the script parser.
FUZZ_SECONDS ?= 180
check-all: build
	FUZZ_SECONDS=$(FUZZ_SECONDS) BUILD=$(BUILD) ./tools/check-all

# Fuzz the script parser and engine for FUZZ_SECONDS (tools/fuzz).
fuzz:
	@./tools/setup-deps --check-all
	./tools/fuzz $(FUZZ_SECONDS)

# Re-speak the sessions' narration with espeak-ng (scripts/*/narration.txt).
clips: deps
	./tools/make-clips

# Benchmarks in an optimised tree of their own (tests/bench/).
bench: deps
	cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release
	cmake --build build-bench -j $(JOBS) --target lull-bench lull-bench-callback lull-bench-clips lull-bench-limiter lull-bench-meter
	./build-bench/tests/bench/lull-bench
	./build-bench/tests/bench/lull-bench-limiter
	./build-bench/tests/bench/lull-bench-meter
	./build-bench/tests/bench/lull-bench-clips --dir build-bench/bench-clips $(BENCH_CLIPS_ARGS)
	sh tests/bench/callback.sh ./build-bench/tests/bench/lull-bench-callback
	./tests/bench/callgrind.sh build-bench/tests/bench/lull-bench

# Redraw the README's picture of the default session.
plot: build
	./$(BUILD)/lull plot $(SESSION) -o doc/timeline.svg

clean:
	rm -rf $(BUILD) $(OUT) build-asan build-tsan build-fuzz
