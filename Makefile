# Thin wrapper over CMake/CTest. Every target that builds first installs missing Debian packages,
# so `make test` and `make demo` each work alone on a fresh Debian 12 machine.

BUILD ?= build
SANITIZE_BUILD ?= build-sanitize
FUZZ_BUILD ?= build-fuzz
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
CTEST_FLAGS ?= --output-on-failure -j $(JOBS)

.PHONY: all deps build test test-sanitize bench fuzz demo format tidy clean

all: build

deps:
	@scripts/install-deps

$(BUILD)/build.ninja:
	@scripts/install-deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest $(CTEST_FLAGS)

$(SANITIZE_BUILD)/build.ninja:
	@scripts/install-deps
	cmake -S . -B $(SANITIZE_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTOKUMEI_SANITIZE=ON $(CMAKE_FLAGS)

test-sanitize: deps $(SANITIZE_BUILD)/build.ninja
	cmake --build $(SANITIZE_BUILD) -j $(JOBS)
	cd $(SANITIZE_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest $(CTEST_FLAGS)

bench: build
	$(BUILD)/bench/tokumei_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

# Builds the libFuzzer targets (tests/fuzz/*_fuzz.cpp) into $(FUZZ_BUILD); run one with e.g.
#   build-fuzz/hl7_fuzz -max_total_time=600 corpus/hl7 tests/fuzz/seeds/hl7
fuzz:
	@scripts/install-deps fuzz
	cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_COMPILER=clang++-19 -DTOKUMEI_FUZZ=ON -DTOKUMEI_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_targets

demo: build
	@scripts/demo $(BUILD)/tokumei

format:
	@find src tests bench -name '*.h' -o -name '*.cpp' | xargs clang-format -i

tidy: build
	@find src -name '*.cpp' | xargs clang-tidy -p $(BUILD) --quiet

clean:
	rm -rf $(BUILD) $(SANITIZE_BUILD) $(FUZZ_BUILD)
