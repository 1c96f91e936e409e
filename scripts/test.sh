#!/usr/bin/env bash
# Everything CI runs: formatting, lints, unit tests, acceptance tests against
# the real Terraform CLI. Ends with one summary line "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/onto-target}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
failed_steps=()

step() {
  local name=$1
  shift
  echo "==> $name"
  if ! "$@" 2>&1 | tee -a "$log"; then
    failed_steps+=("$name")
  fi
}

emulator_tests() {
  # pytest's last line: "N passed[, M failed] in Ts".
  local out
  out=$(.tools/venv/bin/python -m pytest -q -p no:cacheprovider tools/emulator/tests 2>&1)
  local status=$?
  printf '%s\n' "$out"
  local p f
  p=$(grep -Eo '[0-9]+ passed' <<<"$out" | tail -1 | awk '{print $1}')
  f=$(grep -Eo '[0-9]+ (failed|error)' <<<"$out" | awk '{s+=$1} END {print s+0}')
  echo "emulator: ${p:-0} passed, ${f:-0} failed"
  return $status
}

step "cargo fmt --check" cargo fmt --all -- --check
step "cargo fmt --check (fuzz targets)" cargo fmt --manifest-path fuzz/Cargo.toml -- --check
step "cargo clippy" cargo clippy --workspace --all-targets -- -D warnings
step "cargo test (unit, doc, acceptance)" cargo test --workspace --all-targets
step "cargo test --doc" cargo test --workspace --doc
step "emulator tests (pytest, boto3)" emulator_tests
step "fuzz targets (briefly)" bash scripts/fuzz.sh
step "tfplugin packages as a crate" cargo package -p tfplugin --allow-dirty --quiet
step "terraform fmt -check" "${TERRAFORM:-.tools/bin/terraform}" fmt -check -recursive modules examples
step "module READMEs current" python3 scripts/module-docs.py --check
step "terraform test (modules)" bash scripts/module-tests.sh

passed=$(grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed' "$log" | awk '{s+=$4} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed;' "$log" | awk '{s+=$1} END {print s+0}')
# terraform test of the modules and the emulator's pytest suite report
# "modules: N passed, M failed" and "emulator: N passed, M failed".
passed=$((passed + $(grep -Eo '^(modules|emulator): [0-9]+ passed' "$log" | awk '{s+=$2} END {print s+0}')))
failed=$((failed + $(grep -Eo '^(modules|emulator): [0-9]+ passed, [0-9]+ failed' "$log" | awk '{s+=$4} END {print s+0}')))

echo
if ((${#failed_steps[@]})); then
  echo "failed steps: ${failed_steps[*]}"
  # A step that failed without a test count (fmt, clippy, build) still fails the run.
  ((failed == 0)) && failed=${#failed_steps[@]}
fi
echo "${passed} passed, ${failed} failed"
((${#failed_steps[@]} == 0 && failed == 0))
