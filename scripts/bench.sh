#!/usr/bin/env bash
# Benchmarks (a report, not pass/fail): handshake latency and RSS of the
# example provider, `terraform plan -refresh=false` time against
# Terraform's built-in terraform_data, AWS calls per refresh, and
# examples/platform apply and destroy against their critical path on the
# emulator (AWS-like durations, 40 ms per call), and onto side by side with
# hashicorp/aws 3.39 (bench/versus_aws.py). Nothing is written into the
# tree: every run works in temporary directories, and the hashicorp/aws
# download is kept in ~/.cache/onto-bench.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/onto-target}
cargo build --release -p terraform-provider-kv -p terraform-provider-onto
export PYTHONDONTWRITEBYTECODE=1
exec python3 bench/bench.py \
  --provider "$CARGO_TARGET_DIR/release/terraform-provider-kv" \
  --onto "$CARGO_TARGET_DIR/release/terraform-provider-onto" \
  --moto "$PWD/.tools/bin/emulator" \
  --python "$PWD/.tools/venv/bin/python" \
  --terraform "$PWD/.tools/bin/terraform" "$@"
