# Conclave: a thin wrapper over CMake presets. Every target first makes sure
# the Debian packages are installed (scripts/install-deps is idempotent), so on
# a fresh Debian 12 machine `make demo` and `make test` are the whole set-up.

FUZZ_SECONDS ?= 60
JOBS ?= $(shell nproc)

.PHONY: all deps build test test-asan test-tsan test-tsan-concurrency demo bench fuzz fuzz-build soak clean

all: build

deps:
	@scripts/install-deps

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

test: build
	@ctest --preset release

test-asan: deps
	@cmake --preset asan-ubsan >/dev/null
	@cmake --build --preset asan-ubsan -j $(JOBS)
	@ctest --preset asan-ubsan

test-tsan: deps
	@cmake --preset tsan >/dev/null
	@cmake --build --preset tsan -j $(JOBS)
	@ctest --preset tsan

# ThreadSanitizer over the concurrency tests of the daemon's store and
# policy layer (plain threads; gRPC is not instrumented), the roster chain's
# swap under concurrent calls and the intake server's handler threads: what
# CI runs.
TSAN_SUITES := daemon_store_test daemon_service_test daemon_roster_chain_test intake_test
test-tsan-concurrency: deps
	@cmake --preset tsan >/dev/null
	@cmake --build --preset tsan -j $(JOBS) --target $(TSAN_SUITES)
	@ctest --preset tsan -L '^($(subst $(eval) ,|,$(TSAN_SUITES)))$$'

# The story through conclaved and every organisation's witness, on this
# build's programs; its files go to a fresh temporary directory (printed), or
# to $CONCLAVE_DEMO_DIR.
demo: build
	@CONCLAVE_BIN=$(CURDIR)/build/bin scripts/demo

# Every benchmark behind docs/performance.md; scratch files go to
# build/bench-tmp.
bench: build
	@mkdir -p build/bench-tmp
	@build/bin/crypto_bench --benchmark_counters_tabular=true
	@build/bin/stream_bench
	@CONCLAVE_BENCH_DIR=build/bench-tmp build/bin/audit_bench
	@CONCLAVE_BENCH_EXPORT_DIR=build/bench-tmp/export build/bin/audit_export_bench
	@build/bin/cocktail_bench
	@CONCLAVE_BENCH_DIR=build/bench-tmp build/bin/quorum_bench
	@bench/age_side_by_side.sh build/bin
	@CONCLAVE_BENCH_DIR=build/bench-tmp build/bin/conclaved_bench

# The libFuzzer targets live in the ASan+UBSan tree (one instrumented build
# serves make test-asan and make fuzz).
fuzz-build: deps
	@cmake --preset asan-ubsan >/dev/null
	@cmake --build --preset asan-ubsan -j $(JOBS) --target fuzzers

# Runs every libFuzzer target for FUZZ_SECONDS each, starting from the
# checked-in seed corpus (new inputs go to build/asan-ubsan/fuzz/corpus, not
# the tree).
fuzz: fuzz-build
	@scripts/run-fuzzers $(FUZZ_SECONDS) build/asan-ubsan

# Crash safety (not in CI; docs/performance.md): conclaved SIGKILLed
# SOAK_KILLS times at random moments under concurrent submissions, requests,
# votes, releases and approvals (tests/e2e/conclaved_crash_e2e_test.cc);
# after every kill the data directory and then the restarted daemon must
# hold every acknowledged operation and a log that verifies. Any loss fails
# the test; the summary line says how much was checked.
SOAK_KILLS ?= 500
soak: SHELL := /bin/bash
soak: build
	@start=$$(date +%s); \
	CONCLAVE_SOAK_KILLS=$(SOAK_KILLS) build/bin/conclaved_crash_e2e_test \
	  --gtest_filter='*SigkillUnderLoad*' 2>&1 | tee build/soak.log; \
	status=$${PIPESTATUS[0]}; end=$$(date +%s); \
	kills=$$(grep -c '^kill [0-9]*:' build/soak.log); \
	acked=$$(grep '^kill [0-9]*:' build/soak.log | tail -1 | \
	  sed 's/^kill [0-9]*: \([0-9]*\) operations.*/\1/'); \
	if [ $$status -eq 0 ]; then lost=0; else lost="UNKNOWN (the test FAILED)"; fi; \
	echo "soak: $$kills kills, $${acked:-0} acknowledged operations (each one checked after every later kill), operations lost: $$lost, wall time $$((end - start)) s ($$(awk "BEGIN{printf \"%.1f\", ($$end-$$start)/($$kills>0?$$kills:1)}") s per kill)"; \
	exit $$status

clean:
	rm -rf build
