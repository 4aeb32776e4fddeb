# The README's commands. `make test` is what .ci/run calls.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all build test test-asan bench fuzz fuzz-ci run clean setup

all: build

build:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DFSIFT_WERROR=ON $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

setup:
	bash scripts/install-deps.sh
	bash scripts/fetch-models.sh
	bash scripts/fetch-photos.sh
	bash scripts/setup-oracles.sh

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan:
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DFSIFT_SANITIZE=ON -DFSIFT_WERROR=ON -DCMAKE_C_COMPILER=clang >/dev/null
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

fuzz:
	cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DFSIFT_FUZZ=ON -DCMAKE_C_COMPILER=clang >/dev/null
	cmake --build build-fuzz -j $(JOBS)

fuzz-ci: fuzz
	bash fuzz/run.sh build-fuzz 60

bench: build
	bash bench/run.sh $(BUILD)

# The main job on the bundled sample (scripts/build_sample.py: the fetched test photos with
# captions and variants that exercise every rule) into out/sample/, then its report.
run: setup build
	/usr/bin/python3 scripts/build_sample.py samples/build
	./$(BUILD)/facesift build samples/build -o out/sample --threads $(JOBS)
	./$(BUILD)/facesift report out/sample
	@echo "dataset: out/sample/ (webdataset shards + stats)   report: out/sample/report.html"

clean:
	rm -rf $(BUILD) build-asan build-fuzz
