#!/usr/bin/env bash
# make release VERSION=x.y.z: release builds for every target this
# toolchain can build, packaged into dist/ (zip per platform, manifest
# declaring protocol 6.0, SHA256SUMS).
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:?usage: make release VERSION=x.y.z}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/onto-target}
target_dir=$CARGO_TARGET_DIR
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]] || { echo "VERSION must look like 1.2.3, got $version" >&2; exit 1; }

binaries=()
cargo build --profile dist -p terraform-provider-onto
binaries+=(--binary "linux_amd64=$target_dir/dist/terraform-provider-onto")
installed=$(rustup target list --installed 2>/dev/null || true)
for pair in "aarch64-unknown-linux-gnu=linux_arm64" "aarch64-apple-darwin=darwin_arm64" "x86_64-apple-darwin=darwin_amd64"; do
  triple=${pair%%=*} platform=${pair##*=}
  if grep -qx "$triple" <<<"$installed" && cargo build --profile dist -p terraform-provider-onto --target "$triple"; then
    binaries+=(--binary "$platform=$target_dir/$triple/dist/terraform-provider-onto")
  else
    echo "skipping $platform: the $triple target (and its linker) is not installed"
  fi
done
rm -rf dist
python3 scripts/package.py --version "$version" --out dist "${binaries[@]}"
