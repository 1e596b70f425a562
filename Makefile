# sortgate — the two commands of the quick start are `make demo` and `make test`.
SHELL := /bin/bash
export PATH := $(PATH):/opt/swift/usr/bin

CONFIG ?= Config/demo.yaml
CAPTURE ?= Tools/captures/demo.jsonl
SORTGATE := .build/debug/sortgate
FUZZ_SECONDS ?= 60
# Each fuzz target's share of `make test`: the seed corpus and a few seconds of mutations.
FUZZ_TEST_SECONDS ?= 5

.PHONY: demo demo-replay test fuzz build build-all deps check-config capture capture-transport clean-demo bench bench-live bench-http bench-per-fact bench-modbus soak \
	install install-files

# `make install` (Linux): PREFIX for the binary, profiles and unit; DESTDIR to stage into a folder.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/sortgate
DOCDIR ?= $(PREFIX)/share/doc/sortgate
# Where a package's units go (systemd searches /usr/local/lib/systemd/system too); an admin's own
# copy would go in /etc/systemd/system: UNITDIR=/etc/systemd/system.
UNITDIR ?= $(PREFIX)/lib/systemd/system
# The unit's ConfigurationDirectory=sortgate.
CONFDIR := /etc/sortgate
# What install-files installs: the release build unless told otherwise.
BINARY ?= .build/release/sortgate

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
## CENTRAL=1: the steady phase also ships to a real PostgreSQL and prints the shipping lag.
bench-live: deps
	swift run -c release --package-path Tools/Benchmarks LiveMQTT --messages $(or $(MESSAGES),200000) $(if $(CENTRAL),--central,)

## CPU per message and per fact at paced rates (RATES, default 1000,10000), every message a new EPC,
## next to a bare libmosquitto subscriber at the same rates.
bench-per-fact: deps
	swift run -c release --package-path Tools/Benchmarks LiveMQTT per-fact --rates $(or $(RATES),1000,10000)

## Modbus polling next to a bare libmodbus client: 1 Hz x 50 units on one connection, then 8 connections flat out.
bench-modbus: deps
	swift run -c release --package-path Tools/Benchmarks LiveMQTT modbus

## The HTTP API's cost to ingestion: wrk (installed here if missing; `make test` does not need it) on
## /metrics and the inventory at HTTP_RATE req/s in total (1 000) while the gateway ingests RATE msg/s
## (10 000) for DURATION seconds (30) over TAGS EPCs (10 000), then the same without wrk.
bench-http: AS_ROOT = $(if $(filter 0,$(shell id -u)),,sudo)
bench-http: deps
	command -v wrk >/dev/null || { $(AS_ROOT) apt-get update -qq && $(AS_ROOT) apt-get install -y -qq --no-install-recommends wrk; }
	swift run -c release --package-path Tools/Benchmarks LiveMQTT http-load --rate $(or $(RATE),10000) \
		--seconds $(or $(DURATION),30) --http-rate $(or $(HTTP_RATE),1000) --tags $(or $(TAGS),10000)

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

## Builds the release binary and installs it (see install-files); `sudo make install`, then
## `systemctl daemon-reload && systemctl enable --now sortgate`.
install: deps
	swift build -c release --product sortgate
	$(MAKE) install-files

## Installs BINARY (default: the release build) with its resource bundles, the device profiles, the systemd unit (ExecStart
## pointing at the installed binary) and a sample config in /etc/sortgate, never over an existing
## one. Run as root without DESTDIR, it also creates the system user `sortgate`.
install-files:
	@test -x "$(BINARY)" || { echo "install: no binary at $(BINARY); run 'make install' (it builds one)" >&2; exit 1; }
	install -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(DATADIR)/Devices" "$(DESTDIR)$(DOCDIR)" "$(DESTDIR)$(UNITDIR)" \
		"$(DESTDIR)$(CONFDIR)/devices"
	install -m 0755 "$(BINARY)" "$(DESTDIR)$(BINDIR)/sortgate"
	@# The resource bundles (the dashboard's files, the OpenAPI document) go beside the binary,
	@# where its Bundle.module looks first (otherwise it would fall back to the build folder).
	for bundle in "$(dir $(BINARY))"*.resources; do \
		case "$$bundle" in *Tests.resources) continue ;; esac; \
		rm -rf "$(DESTDIR)$(BINDIR)/$$(basename "$$bundle")"; \
		cp -R "$$bundle" "$(DESTDIR)$(BINDIR)/" && chmod -R u=rwX,go=rX "$(DESTDIR)$(BINDIR)/$$(basename "$$bundle")"; \
	done
	install -m 0644 Devices/*.yaml "$(DESTDIR)$(DATADIR)/Devices/"
	install -m 0644 Config/production.example.yaml "$(DESTDIR)$(DATADIR)/"
	install -m 0644 README.md "$(DESTDIR)$(DOCDIR)/"
	sed 's#/usr/local/bin/sortgate#$(BINDIR)/sortgate#g; s#/usr/local/share/doc/sortgate#$(DOCDIR)#g' Config/sortgate.service > "$(DESTDIR)$(UNITDIR)/sortgate.service"
	chmod 0644 "$(DESTDIR)$(UNITDIR)/sortgate.service"
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" -eq 0 ] && ! getent passwd sortgate >/dev/null; then \
		echo "install: creating the system user sortgate"; \
		useradd --system --user-group --home-dir /var/lib/sortgate --no-create-home \
			--shell /usr/sbin/nologin --comment "sortgate gateway" sortgate; \
	fi
	@if [ -e "$(DESTDIR)$(CONFDIR)/sortgate.yaml" ]; then \
		echo "install: kept the existing $(DESTDIR)$(CONFDIR)/sortgate.yaml"; \
	elif [ -z "$(DESTDIR)" ] && getent group sortgate >/dev/null; then \
		install -m 0640 -g sortgate Config/sortgate.yaml "$(CONFDIR)/sortgate.yaml"; \
	else \
		install -m 0644 Config/sortgate.yaml "$(DESTDIR)$(CONFDIR)/sortgate.yaml"; \
	fi
	@echo "install: done; check the config with '$(BINDIR)/sortgate check-config $(CONFDIR)/sortgate.yaml'"
