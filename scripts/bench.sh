#!/usr/bin/env bash
# Benchmarks (a report, not pass/fail): handshake latency and RSS of the
# example provider, `terraform plan -refresh=false` time against
# Terraform's built-in terraform_data, AWS calls per refresh, and
# examples/platform apply and destroy against their critical path on the
# emulator (AWS-like durations, 40 ms per call). Nothing is written into
# the tree: every run works in temporary directories.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/onto-target}
cargo build --release -p terraform-provider-kv -p terraform-provider-onto
exec python3 bench/bench.py \
  --provider "$CARGO_TARGET_DIR/release/terraform-provider-kv" \
  --onto "$CARGO_TARGET_DIR/release/terraform-provider-onto" \
  --moto "$PWD/.tools/bin/emulator" \
  --terraform "$PWD/.tools/bin/terraform" "$@"
