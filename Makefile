# img2img — set-up, tests and serving. Every target installs the system packages it needs first.
export PATH := $(PATH):/opt/swift/usr/bin
SWIFT ?= swift
CONFIG ?= release

.PHONY: deps build test serve bench fixtures clean

deps:
	@scripts/install-system-deps.sh

build: deps
	$(SWIFT) build -c $(CONFIG)

test: deps
	$(SWIFT) build -c $(CONFIG) --build-tests
	$(SWIFT) test -c $(CONFIG) --skip-build --disable-swift-testing

serve: deps
	@echo "img2img: the HTTP server is not built yet (it arrives with the server issue); nothing to serve." >&2
	@exit 1

bench: deps
	$(SWIFT) run -c $(CONFIG) KernelBenchmarks

# Regenerates Tests/Fixtures from the pinned reference (needs a venv with Tests/Fixtures/requirements.txt).
fixtures:
	python3 Tests/Fixtures/generate.py

clean:
	rm -rf .build
