# sortgate — the two commands of the quick start are `make demo` and `make test`.
SHELL := /bin/bash
export PATH := $(PATH):/opt/swift/usr/bin

CONFIG ?= Config/demo.yaml
CAPTURE ?= Tools/captures/demo.jsonl
SORTGATE := .build/debug/sortgate
FUZZ_SECONDS ?= 60
# Each fuzz target's share of `make test`: the seed corpus and a few seconds of mutations.
FUZZ_TEST_SECONDS ?= 5

.PHONY: demo demo-replay test fuzz build build-all deps check-config capture capture-transport clean-demo bench bench-live soak

deps:
	@Tools/install-deps

build: deps
	swift build --product sortgate

build-all: deps
	swift build

## The live demo: a local mosquitto, reader simulators of both vendor formats, `sortgate run`.
demo: build-all
	$(SORTGATE) check-config $(CONFIG)
	Tools/demo

## Replays the sample capture through the real decoders and pipeline into SQLite, then shows the inventory.
demo-replay: build
	$(SORTGATE) check-config $(CONFIG)
	$(SORTGATE) replay $(CAPTURE) --config $(CONFIG)
	$(SORTGATE) inventory --config $(CONFIG)

## Runs every test (unit and integration), then every fuzz target briefly (a crash fails the run).
test: deps
	swift build --build-tests
	swift test --skip-build --no-parallel
	Tools/Fuzz/run --seconds $(FUZZ_TEST_SECONDS)

## Builds the libFuzzer targets (Tools/Fuzz, its own package) and runs each for FUZZ_SECONDS.
fuzz: deps
	Tools/Fuzz/run --seconds $(FUZZ_SECONDS)

## kill -9 soak: `sortgate run` killed at random moments 200 times (KILLS=N) under a QoS 1 load,
## then checked: every message counted once, read totals exact, SQLite sound.
soak: deps
	swift build --build-tests
	SORTGATE_KILLS=$(or $(KILLS),200) swift test --skip-build --filter CrashRecoveryTests

## Runs every benchmark (release builds; Tools/Benchmarks is its own package). BENCH=Name runs one suite.
bench: deps
	swift package --package-path Tools/Benchmarks benchmark $(if $(BENCH),--target $(BENCH),) --no-progress

## Live MQTT end to end next to a bare libmosquitto subscriber (real mosquitto, QoS 0 and 1). MESSAGES=N.
bench-live: deps
	swift run -c release --package-path Tools/Benchmarks LiveMQTT --messages $(or $(MESSAGES),200000)

check-config: build
	$(SORTGATE) check-config $(CONFIG)

## Regenerates the sample capture and its expected outcome.
capture: deps
	swift build --product sortgate-capture-gen
	.build/debug/sortgate-capture-gen --out Tools/captures/demo.jsonl --expected Tools/captures/demo.expected.json

## Regenerates the transport scenario: capture, manifest and expected journeys.
capture-transport: deps
	swift build --product sortgate-capture-gen
	.build/debug/sortgate-capture-gen --scenario transport --out Tools/captures/transport.jsonl

clean-demo:
	rm -rf demo-data
