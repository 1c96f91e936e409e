#!/usr/bin/env bash
# make demo: the whole platform applied on a local AWS emulator, from a
# clean clone. Stages: tools, provider build, emulator, state backend
# bootstrap, init with the emulator backend, workspace dev, apply, outputs,
# a second plan that must be empty, emulator stopped. DR=1 also applies
# examples/dr (with a failover drill); DESTROY=1 takes everything down again
# with terraform destroy before the emulator stops. AWS's durations run
# at 1/60 (ONTO_EMULATOR_TIME_SCALE): an EKS cluster's ten minutes take ten
# seconds.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/onto-target}
target=$CARGO_TARGET_DIR
tf=${TERRAFORM:-$root/.tools/bin/terraform}
moto=$root/.tools/bin/emulator
start=$SECONDS
stage_start=$SECONDS
n=0

stage() {
  n=$((n + 1))
  stage_start=$SECONDS
  printf '\n\033[1m[%d] %s\033[0m\n' "$n" "$1"
}
done_stage() { printf '    done in %ds\n' $((SECONDS - stage_start)); }
fail() {
  printf '\n\033[31mmake demo failed at stage %d: %s\033[0m\n' "$n" "$1" >&2
  [[ -n ${2:-} && -f $2 ]] && { echo "--- last lines of $2:" >&2; tail -25 "$2" >&2; }
  exit 1
}
need() { command -v "$1" >/dev/null 2>&1 || fail "$1 is not installed. $2"; }

need cargo "Install Rust from https://rustup.rs."
need cc "Install a C compiler (Debian: apt-get install build-essential)."
need python3 "Install Python 3.11+ (Debian: apt-get install python3 python3-venv)."

work=$(mktemp -d)
moto_pid=
cleanup() {
  if [[ -n $moto_pid ]]; then
    kill "$moto_pid" 2>/dev/null && printf '\nEmulator stopped.\n'
  fi
  rm -rf "$work"
}
trap cleanup EXIT

stage "Tools: Terraform 1.15.5 and the AWS emulator (moto with onto's extension) into .tools/"
bash tools/install.sh >"$work/tools.log" 2>&1 || fail "installing the tools failed" "$work/tools.log"
done_stage

stage "Building terraform-provider-onto (the build make test uses; cargo shows its progress)"
# One build for the demo and the tests: the AWS SDKs compile once. Building
# the workspace's examples with the binaries resolves features as the tests
# do (with the dev-dependencies'), so make test reuses every artifact; a
# plain `cargo build -p terraform-provider-onto` would compile tokio, hyper
# and the SDKs a second time with other features. cargo prints a line per
# crate, so a first build (several minutes) is visibly moving.
cargo build --workspace --bins --examples 2>&1 | tee "$work/build.log" | grep --line-buffered -E '^\s*(Compiling|Finished|error|warning: unused)' | sed -u 's/^ */    /'
((PIPESTATUS[0] == 0)) || fail "the provider did not build" "$work/build.log"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
mirror=$work/mirror/registry.terraform.io/onto-platform/onto/$version/linux_amd64
mkdir -p "$mirror"
cp "$target/debug/terraform-provider-onto" "$mirror/terraform-provider-onto_v$version"
cat >"$work/cli.tfrc" <<CFG
provider_installation {
  filesystem_mirror {
    path    = "$work/mirror"
    include = ["onto-platform/onto"]
  }
  direct {
    exclude = ["onto-platform/onto"]
  }
}
CFG
export TF_CLI_CONFIG_FILE=$work/cli.tfrc CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION
echo "    provider $version installed into a local mirror"
done_stage

stage "Starting the AWS emulator on loopback"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
scale=${ONTO_EMULATOR_TIME_SCALE:-1/60}
ONTO_EMULATOR_TIME_SCALE=$scale MOTO_IAM_LOAD_MANAGED_POLICIES=true "$moto" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 150); do
  (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
(echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null || fail "the emulator did not start" "$work/moto.log"
url=http://127.0.0.1:$port
echo "    $url (AWS's durations at $scale)"
export TF_VAR_aws_endpoint_url=$url
done_stage

stage "Bootstrapping the state backend (S3 + DynamoDB lock, local state)"
cp -r modules examples "$work/"
boot=$work/examples/platform/bootstrap
(cd "$boot" && "$tf" init -no-color >"$work/boot.log" 2>&1 \
  && "$tf" apply -auto-approve -no-color -var bucket=onto-demo-terraform-state -var lock_table=onto-demo-terraform-locks >>"$work/boot.log" 2>&1) \
  || fail "the state backend bootstrap failed" "$work/boot.log"
echo "    bucket onto-demo-terraform-state, lock table onto-demo-terraform-locks"
done_stage

platform=$work/examples/platform
stage "terraform init with the emulator backend configuration"
(cd "$platform" && "$tf" init -no-color -backend-config=backend.emulator.hcl \
  -backend-config="endpoints={s3=\"$url\",dynamodb=\"$url\",sts=\"$url\",iam=\"$url\"}" >"$work/init.log" 2>&1) \
  || fail "terraform init failed" "$work/init.log"
done_stage

stage "Workspace dev"
(cd "$platform" && "$tf" workspace select -or-create dev -no-color >"$work/ws.log" 2>&1) || fail "workspace selection failed" "$work/ws.log"
done_stage

stage "terraform apply examples/platform (network, EKS, ECR, RDS, Redis, OpenTelemetry)"
(cd "$platform" && "$tf" apply -auto-approve -no-color -var-file=emulator.tfvars >"$work/apply.log" 2>&1) \
  || fail "terraform apply failed" "$work/apply.log"
grep -E '^Apply complete' "$work/apply.log" | sed 's/^/    /'
done_stage

stage "Outputs"
(cd "$platform" && "$tf" output -no-color summary) || fail "reading outputs failed"
done_stage

stage "A second plan has no changes"
(cd "$platform" && "$tf" plan -detailed-exitcode -no-color -var-file=emulator.tfvars >"$work/plan.log" 2>&1)
code=$?
((code == 0)) || fail "the second plan is not empty (exit $code)" "$work/plan.log"
echo "    No changes."
done_stage

if [[ ${DR:-} == 1 ]]; then
  stage "examples/dr: a primary region and its DR region"
  dr=$work/examples/dr
  export TF_VAR_dr_kms_key=arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
  (cd "$dr" && "$tf" init -no-color >"$work/dr.log" 2>&1 && "$tf" apply -auto-approve -no-color >>"$work/dr.log" 2>&1) \
    || fail "applying examples/dr failed" "$work/dr.log"
  (cd "$dr" && "$tf" output -no-color)
  (cd "$dr" && "$tf" apply -invoke=action.onto_dr_failover.drill -auto-approve -no-color 2>&1 | grep -E 'Drill|lag|onto-db' | sed 's/^/    /') \
    || fail "the failover drill failed"
  done_stage
fi

if [[ ${DESTROY:-} == 1 ]]; then
  if [[ ${DR:-} == 1 ]]; then
    stage "terraform destroy examples/dr"
    (cd "$dr" && "$tf" destroy -auto-approve -no-color >"$work/dr-destroy.log" 2>&1) \
      || fail "destroying examples/dr failed" "$work/dr-destroy.log"
    grep -E '^Destroy complete' "$work/dr-destroy.log" | sed 's/^/    /'
    done_stage
  fi
  stage "terraform destroy examples/platform (workspace dev)"
  (cd "$platform" && "$tf" destroy -auto-approve -no-color -var-file=emulator.tfvars >"$work/destroy.log" 2>&1) \
    || fail "terraform destroy failed" "$work/destroy.log"
  grep -E '^Destroy complete' "$work/destroy.log" | sed 's/^/    /'
  done_stage
  printf '\n\033[32mmake demo: the platform was applied and destroyed on the emulator (%ds in total).\033[0m\n' $((SECONDS - start))
else
  printf '\n\033[32mmake demo: the platform is up on the emulator (%ds in total).\033[0m\n' $((SECONDS - start))
  echo "(make demo DESTROY=1 also takes it down again with terraform destroy.)"
fi
