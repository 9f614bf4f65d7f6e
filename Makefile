# SPDX-License-Identifier: Apache-2.0
# The two commands a newcomer types: `make run` and `make test`.
# Both install missing system packages (Debian 12), configure and build with CMake.

BUILD      ?= build
BUILD_TYPE ?= Release
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# What the server needs to build and run (python3 with boto3 and Node.js are the function
# runtimes; cmocka is small and the configure step looks for it).
APT_PACKAGES := build-essential cmake pkg-config git ca-certificates curl \
	librocksdb-dev libuv1-dev node-llhttp libxxhash-dev libssl-dev openssl \
	libjansson-dev libexpat1-dev libcmocka-dev zlib1g-dev libzstd-dev libarchive-dev \
	python3 python3-boto3 procps libseccomp-dev
# What only the tests and benchmarks need: sanitizer runtime and style, the AWS CLI, nginx as
# the benchmarks' baseline, db_bench, Chromium for the browser test, and autoconf, automake and
# libtool, with which npm builds AWS's runtime interface client (aws-lambda-ric compiles its
# bundled curl and aws-lambda-cpp; cmake, make, g++ and python3 come with the build).
TEST_PACKAGES := clang libclang-rt-14-dev clang-format awscli nginx-light rocksdb-tools chromium \
	autoconf automake libtool
# issue 15, package A: s3cmd sets ACLs in test_s3_acl.py
TEST_PACKAGES += s3cmd
# issue 17: zstd compresses the import tests' files
TEST_PACKAGES += zstd
# Node.js and npm run JavaScript functions and the AWS SDK for JavaScript v3 tests; taken from
# Debian only when the machine has none (a NodeSource nodejs already bundles npm and conflicts
# with Debian's npm).
NODE_PACKAGES := $(if $(shell command -v node),,nodejs) $(if $(shell command -v npm),,npm)

.PHONY: all deps test-deps build run test test-asan test-tsan bench clean js-deps ric-deps

all: build

# Install only what is missing, so `make run` on a ready machine stays quick.
define apt_install
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

# The AWS SDK for JavaScript v3 that the nodejs runtimes provide (as Lambda's do), pinned in
# server/runtime/nodejs/package-lock.json: about 48 MB, 10 s from the registry; nothing when
# it is already there.
RUNTIME_SDK := server/runtime/nodejs

deps:
	$(call apt_install,$(APT_PACKAGES) $(NODE_PACKAGES))
	@if [ ! -d $(RUNTIME_SDK)/node_modules/@aws-sdk/client-dynamodb ] || \
	    [ $(RUNTIME_SDK)/package-lock.json -nt $(RUNTIME_SDK)/node_modules/.package-lock.json ]; then \
	  echo "Installing the Node.js runtimes' AWS SDK v3 in $(RUNTIME_SDK)"; \
	  cd $(RUNTIME_SDK) && npm ci --omit=dev --no-audit --no-fund --loglevel=error; fi

test-deps: deps
	$(call apt_install,$(TEST_PACKAGES))

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_ARGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/stratusd --listen 127.0.0.1:4566 --data-dir ./data

# Test clients for JavaScript (AWS SDK v3), pinned in tests/js/package-lock.json, and the SDKs
# test functions bundle (aws-sdk v2, an old v3), pinned in tests/integration/lambda_bundles.
js-deps:
	@if [ ! -d tests/js/node_modules/@aws-sdk/client-s3 ]; then \
	  cd tests/js && npm ci --no-audit --no-fund --loglevel=error; fi
	@if [ ! -d tests/integration/lambda_bundles/node_modules/aws-sdk ]; then \
	  cd tests/integration/lambda_bundles && npm ci --no-audit --no-fund --loglevel=error; fi

# AWS's runtime interface client for Node (a provided.al2023 test function's bootstrap), pinned
# in tests/ric/package-lock.json; its install compiles native code (about 8 minutes here).
ric-deps: test-deps
	@if [ ! -f tests/ric/node_modules/aws-lambda-ric/dist/rapid-client.node ]; then \
	  cd tests/ric && npm ci --no-audit --no-fund --loglevel=error; fi

test: test-deps build js-deps ric-deps
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer.
test-asan: test-deps js-deps ric-deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DKV_SANITIZE=address,undefined -DKV_WERROR=ON
	cmake --build build-asan -j $(JOBS)
	# A timing-dependent integration test gets a second run under the sanitizers' slowdown
	# (it still fails if it fails twice; each retry is printed).
	cd build-asan && ctest --output-on-failure -j $(JOBS) --repeat until-pass:2

# The unit and server tests under ThreadSanitizer (RocksDB's own internals are suppressed: the
# Debian library is not instrumented, so its atomics are invisible to TSan).
test-tsan: test-deps
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DKV_SANITIZE=thread -DKV_WERROR=ON
	cmake --build build-tsan -j $(JOBS) --target unit-tests
	cd build-tsan && TSAN_OPTIONS="halt_on_error=1 suppressions=$(CURDIR)/tests/tsan.supp" \
	  ctest --output-on-failure -j $(JOBS) -L unit

bench: test-deps build
	bench/run.sh $(BUILD)
	python3 bench/machine.py $(BUILD) --perf $(BUILD)/bench-perf # issue 18: the table against nginx, dd, s3rver, db_bench
	python3 bench/messaging.py $(BUILD)
	python3 bench/slowops.py $(BUILD)
	python3 bench/soak.py $(BUILD)
	python3 bench/authz.py $(BUILD)
	python3 bench/sse.py $(BUILD) # issue 16, package E: SSE-S3 against no encryption
	python3 bench/import.py $(BUILD) # issue 17, package I: ImportTable against PutItem

clean:
	rm -rf $(BUILD) build-asan build-tsan
