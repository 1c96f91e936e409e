#!/usr/bin/env bash
# Benchmarks (a report, not pass/fail): handshake latency and RSS of the
# example provider, and `terraform plan -refresh=false` time against
# Terraform's built-in terraform_data.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p terraform-provider-kv -p terraform-provider-onto
exec python3 bench/bench.py \
  --provider "$CARGO_TARGET_DIR/release/terraform-provider-kv" \
  --onto "$CARGO_TARGET_DIR/release/terraform-provider-onto" \
  --moto "$PWD/.tools/bin/emulator" \
  --terraform "$PWD/.tools/bin/terraform" "$@"
