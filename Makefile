# onto — build, test and benchmark entry points.
#
#   make demo    the whole platform on a local AWS emulator (DR=1 adds examples/dr,
#                DESTROY=1 destroys it again)
#   make test    everything CI runs; ends with "N passed, M failed"
#   make bench   benchmark report (handshake, memory, plan time)
#   make docs    regenerate docs/ from the provider schemas and examples/
#   make fuzz    the libFuzzer targets (fuzz/) ten minutes each, and the proptests long
#   make install  build the provider and install it into ~/.terraform.d/plugins
#   make release VERSION=x.y.z   zips, manifest and SHA256SUMS in dist/

SHELL := /bin/bash
CARGO_TARGET_DIR ?= $(HOME)/.cache/onto-target
export CARGO_TARGET_DIR

.PHONY: all tools build test lint bench demo docs fuzz install release clean

all: build

tools:
	@bash tools/install.sh

build:
	cargo build --workspace

test: tools
	@bash scripts/test.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

bench: tools
	@bash scripts/bench.sh

docs:
	UPDATE_DOCS=1 cargo test -p terraform-provider-onto --test docs
	python3 scripts/module-docs.py

install:
	@bash scripts/install.sh

release:
	@bash scripts/release.sh $(VERSION)

fuzz: tools
	FUZZ_SECONDS=$${FUZZ_SECONDS:-600} bash scripts/fuzz.sh
	PROPTEST_CASES=$${PROPTEST_CASES:-200000} cargo test -p tfplugin --release --lib -- value::msgpack::tests

demo:
	@bash scripts/demo.sh

clean:
	cargo clean
	rm -rf .tools
