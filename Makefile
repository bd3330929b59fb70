# img2img — set-up, tests and serving. Every target installs the system packages it needs first.
export PATH := $(PATH):/opt/swift/usr/bin
SWIFT ?= swift
CONFIG ?= release
# OpenBLAS 0.3.21 falls back to SSE3 kernels on CPUs it does not know; `img2img` restarts itself with the right
# ones (Tensors/OpenBLASCore.swift), and the test runner gets the AVX-512 ones here when the CPU has them.
ifeq ($(origin OPENBLAS_CORETYPE), undefined)
ifeq ($(shell grep -qw avx512bw /proc/cpuinfo 2>/dev/null && grep -qw avx512vl /proc/cpuinfo && echo yes),yes)
export OPENBLAS_CORETYPE := SKYLAKEX
endif
endif

.PHONY: deps build test sanitize sanitize-address sanitize-thread load-test browser-test serve bench fixtures clean fuzz-build fuzz fuzz-smoke

deps:
	@scripts/install-system-deps.sh

build: deps
	$(SWIFT) build -c $(CONFIG)

test: deps
	$(SWIFT) build -c $(CONFIG) --build-tests
	$(SWIFT) test -c $(CONFIG) --skip-build --disable-swift-testing

# Sanitizers, each in its own build folder so the plain build stays as it is. AddressSanitizer over the whole suite,
# with the kernels built -O instead of -Ounchecked (their bounds and overflow checks back on) and the C code of the
# package graph (NIO, BoringSSL shims) under UndefinedBehaviorSanitizer: swiftc has no UBSan for Swift, whose -O
# checks stand in for it. ThreadSanitizer over the server tests (real servers, the inference queue, disconnects), in
# debug: races do not need optimised code, and its build took 13.7 CPU-minutes where the ASan release one took 24.6.
ASAN_FLAGS := --scratch-path .build/asan --sanitize address -Xcc -fsanitize=undefined
TSAN_FLAGS := --scratch-path .build/tsan --sanitize thread
# LeakSanitizer is off for the suite: every ServerTests server leaves Swift task-allocator slabs (ServiceGroup's task
# group) and weak-reference side tables behind at exit (about 23 KB a test, not yet traced to its owner), while
# `img2img serve` under ASan exits leak-free after 20 requests; RSS growth is `make load-test`'s check.
SANITIZER_ENV := ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 IMG2IMG_CHECKED_KERNELS=1

sanitize: sanitize-address sanitize-thread

sanitize-address: deps
	$(SANITIZER_ENV) $(SWIFT) build -c $(CONFIG) --build-tests $(ASAN_FLAGS)
	$(SANITIZER_ENV) $(SWIFT) test -c $(CONFIG) --skip-build --disable-swift-testing $(ASAN_FLAGS)

sanitize-thread: deps
	$(SANITIZER_ENV) $(SWIFT) build -c debug --build-tests $(TSAN_FLAGS)
	$(SANITIZER_ENV) $(SWIFT) test -c debug --skip-build --disable-swift-testing $(TSAN_FLAGS) --filter ServerTests

# 8 clients × 25 requests on loopback with /health polled and RSS sampled, then the hostile corpus
# (scripts/load_test.py); LOAD_ARGS adds options, e.g. LOAD_ARGS="--binary .build/asan/release/img2img".
load-test: deps
	$(SWIFT) build -c $(CONFIG) --product img2img
	python3 scripts/load_test.py --binary .build/$(CONFIG)/img2img $(LOAD_ARGS)

# The playground page in headless Chromium (Debian's, installed here) against `img2img serve` on the bundled model:
# upload, progress, previews, result, trace, compare, the 401 and 400 messages (scripts/browser_test.py). The
# screenshot is left in .build/browser-test/ (CI artifact); BROWSER_ARGS="--screenshot docs/playground.png" also
# copies it there.
browser-test: deps
	@scripts/install-system-deps.sh --browser
	$(SWIFT) build -c $(CONFIG) --product img2img
	python3 scripts/browser_test.py --binary .build/$(CONFIG)/img2img --artifacts .build/browser-test $(BROWSER_ARGS)

# Serves the image-to-image API on 127.0.0.1:8000 with the bundled test model (weights/tiny-sd), unless
# MODEL_ID / MODEL_DIR say otherwise; SERVE_ARGS adds options, e.g. SERVE_ARGS="--port 9000 --rng cpu". The
# playground page is at http://127.0.0.1:8000/.
serve: deps
	$(SWIFT) build -c $(CONFIG) --product img2img
	.build/$(CONFIG)/img2img serve $(SERVE_ARGS)

bench: deps
	$(SWIFT) run -c $(CONFIG) KernelBenchmarks

# libFuzzer targets (Fuzz/, a package of their own) for every parser of outside input; see README "Fuzzing".
# `make fuzz` runs each for FUZZ_RUNS inputs; `make fuzz-smoke` (CI) for FUZZ_SMOKE_RUNS; FUZZ_TARGETS picks some.
FUZZ_RUNS ?= 1000000
FUZZ_SMOKE_RUNS ?= 2000
fuzz-build: deps
	$(SWIFT) build -c release --package-path Fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library

fuzz: fuzz-build
	scripts/run-fuzzers.sh -runs=$(FUZZ_RUNS)

fuzz-smoke: fuzz-build
	scripts/run-fuzzers.sh -runs=$(FUZZ_SMOKE_RUNS)

# Regenerates Tests/Fixtures from the pinned reference (needs a venv with Tests/Fixtures/requirements.txt).
fixtures:
	python3 Tests/Fixtures/generate.py

clean:
	rm -rf .build
