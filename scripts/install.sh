#!/usr/bin/env bash
# make install: builds terraform-provider-onto (release) and installs it
# where Terraform looks for providers without any configuration: the
# implicit local mirror ~/.terraform.d/plugins, in the registry layout
#   ~/.terraform.d/plugins/registry.terraform.io/onto-platform/onto/VERSION/OS_ARCH/
# Then `terraform init` in any configuration with
#   onto = { source = "onto-platform/onto" }
# installs it from there. PLUGINS_DIR overrides the mirror directory;
# BINARY installs an already built provider instead of building the release.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/onto-target}
target=$CARGO_TARGET_DIR
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) platform=linux_amd64 ;;
  Linux-aarch64) platform=linux_arm64 ;;
  Darwin-x86_64) platform=darwin_amd64 ;;
  Darwin-arm64) platform=darwin_arm64 ;;
  *) echo "install: unsupported platform $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac
plugins=${PLUGINS_DIR:-$HOME/.terraform.d/plugins}
dest=$plugins/registry.terraform.io/onto-platform/onto/$version/$platform

binary=${BINARY:-}
if [[ -z $binary ]]; then
  echo "install: building terraform-provider-onto $version (release)..."
  cargo build --release -p terraform-provider-onto
  binary=$target/release/terraform-provider-onto
fi
mkdir -p "$dest"
install -m 0755 "$binary" "$dest/terraform-provider-onto_v$version"
cat <<MSG
install: terraform-provider-onto $version is in
  $dest
Terraform finds it there with no configuration (the implicit local mirror). If your CLI
configuration has a provider_installation block, add the mirror to it:

  provider_installation {
    filesystem_mirror {
      path    = "$plugins"
      include = ["onto-platform/onto"]
    }
    direct {
      exclude = ["onto-platform/onto"]
    }
  }
MSG
