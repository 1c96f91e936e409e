#!/usr/bin/env bash
# tools/install-cargo-fuzz.sh - install cargo-fuzz into <repo>/.tools/bin for
# scripts/fuzz.sh (make test, make fuzz). Kept apart from tools/install.sh so
# that make demo does not compile it. Idempotent; cargo shows its progress.
set -euo pipefail

CARGO_FUZZ_VERSION=0.13.2
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
TOOLS=$ROOT/.tools

[[ $("$TOOLS/bin/cargo-fuzz" --version 2>/dev/null) == "cargo-fuzz $CARGO_FUZZ_VERSION" ]] && exit 0
command -v cargo >/dev/null 2>&1 || { echo "tools: cargo not found: install Rust (rustup.rs)" >&2; exit 1; }
echo "tools: installing cargo-fuzz $CARGO_FUZZ_VERSION from crates.io..." >&2
cargo install --locked --root "$TOOLS" cargo-fuzz --version "$CARGO_FUZZ_VERSION" ||
    { echo "tools: cargo install cargo-fuzz $CARGO_FUZZ_VERSION failed (is crates.io reachable?)" >&2; exit 1; }
