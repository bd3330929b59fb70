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

.PHONY: deps build test serve bench fixtures clean fuzz-build fuzz fuzz-smoke

deps:
	@scripts/install-system-deps.sh

build: deps
	$(SWIFT) build -c $(CONFIG)

test: deps
	$(SWIFT) build -c $(CONFIG) --build-tests
	$(SWIFT) test -c $(CONFIG) --skip-build --disable-swift-testing

# Serves the image-to-image API on 127.0.0.1:8000 with the bundled test model (weights/tiny-sd), unless
# MODEL_ID / MODEL_DIR say otherwise; SERVE_ARGS adds options, e.g. SERVE_ARGS="--port 9000 --rng cpu".
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
