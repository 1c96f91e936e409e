#!/usr/bin/env bash
# `terraform test` for every module under modules/, against one AWS
# emulator on a free loopback port. Prints Terraform's own summary per
# module and a final "modules: N passed, M failed" line for make test.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tf=${TERRAFORM:-$root/.tools/bin/terraform}
moto=$root/.tools/bin/emulator
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/onto-target}
target=$CARGO_TARGET_DIR

die() { echo "module tests: $*" >&2; exit 1; }
[[ -x $tf ]] || die "no terraform at $tf: run make tools"
[[ -x $moto ]] || die "no emulator at $moto: run make tools"
cargo build -q -p terraform-provider-onto || die "the provider does not build"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
work=$(mktemp -d)
MOTO_IAM_LOAD_MANAGED_POLICIES=true "$moto" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
trap 'kill $moto_pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do
  (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done

cat >"$work/cli.tfrc" <<CFG
provider_installation {
  dev_overrides {
    "onto-platform/onto" = "$target/debug"
  }
  direct {}
}
CFG
export TF_CLI_CONFIG_FILE=$work/cli.tfrc CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION

cp -r modules "$work/modules"
passed=0 failed=0
for dir in "$work"/modules/*/; do
  name=$(basename "$dir")
  echo "--- modules/$name"
  if ! (cd "$dir" && "$tf" init -input=false -no-color >"$work/$name.init.log" 2>&1); then
    cat "$work/$name.init.log"
    failed=$((failed + 1))
    continue
  fi
  out=$(cd "$dir" && "$tf" test -no-color -var "endpoint_url=http://127.0.0.1:$port" 2>&1)
  status=$?
  echo "$out" | grep -E '^(tests/|  run |Success!|Failure!)|Error' || true
  p=$(echo "$out" | grep -Eo '[0-9]+ passed, [0-9]+ failed' | tail -1 | awk '{print $1}')
  f=$(echo "$out" | grep -Eo '[0-9]+ passed, [0-9]+ failed' | tail -1 | awk '{print $3}')
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  if ((status != 0)); then
    echo "$out"
    ((${f:-0} == 0)) && failed=$((failed + 1))
  fi
done
echo "modules: $passed passed, $failed failed"
((failed == 0))
