# Cairn build entry points. Every target installs missing Debian packages first.
BUILD_DIR      ?= build
ASAN_DIR       ?= build-asan
FUZZ_DIR       ?= build-fuzz
FUZZ_SECONDS   ?= 60
DATA_DIR       ?= ./data
JOBS           ?= $(shell nproc)
CMAKE_FLAGS    ?=

.PHONY: deps build test test-slow test-asan fuzz bench run clean format

deps:
	@bash scripts/install-deps.sh

$(BUILD_DIR)/build.ninja:
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null

build: deps $(BUILD_DIR)/build.ninja
	@ninja -C $(BUILD_DIR) -j $(JOBS)

test: build
	@cd $(BUILD_DIR) && ctest -L fast --output-on-failure -j $(JOBS)

test-slow: build
	@cd $(BUILD_DIR) && ctest -L slow --output-on-failure

$(ASAN_DIR)/build.ninja:
	@cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCAIRN_SANITIZE=ON \
	  -DCAIRN_BUILD_BENCH=OFF $(CMAKE_FLAGS) >/dev/null

test-asan: deps $(ASAN_DIR)/build.ninja
	@ninja -C $(ASAN_DIR) -j $(JOBS)
	@cd $(ASAN_DIR) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest -L fast -LE no-asan --output-on-failure -j $(JOBS)

# libFuzzer targets (clang, ASan+UBSan): build them all, run each FUZZ_SECONDS over a copy of
# its seed corpus in $(FUZZ_DIR)/fuzz/work; fails if any target finds a crash.
$(FUZZ_DIR)/build.ninja:
	@CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCAIRN_FUZZ=ON -DCAIRN_BUILD_BENCH=OFF $(CMAKE_FLAGS) >/dev/null

fuzz: deps $(FUZZ_DIR)/build.ninja
	@ninja -C $(FUZZ_DIR) -j $(JOBS) fuzz_targets
	@bash scripts/run-fuzzers.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

bench: build

# `make run` builds Cairn and serves ./data on the default ports (RESP 7379, HTTP 7380)
# until Ctrl-C. Extra flags: make run SERVE_FLAGS="--memory-budget 1GiB".
SERVE_FLAGS ?=
run: build
	@mkdir -p $(DATA_DIR)
	@exec $(BUILD_DIR)/cairn serve --data-dir $(DATA_DIR) $(SERVE_FLAGS)

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(FUZZ_DIR)

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i
