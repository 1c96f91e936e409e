#!/usr/bin/env python3
"""Packages a provider binary the way the Terraform registry and provider
mirrors expect:

  terraform-provider-onto_<version>_<os>_<arch>.zip   (the binary, named terraform-provider-onto_v<version>)
  terraform-provider-onto_<version>_manifest.json     (protocol 6.0)
  terraform-provider-onto_<version>_SHA256SUMS

Several --binary OS_ARCH=PATH pairs may be given; the manifest and sums
cover them all. Refuses a binary over the size limit."""
import argparse
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import zipfile

NAME = "terraform-provider-onto"
LIMIT = 40 * 1024 * 1024


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--version", required=True)
    ap.add_argument("--binary", action="append", required=True, metavar="OS_ARCH=PATH")
    ap.add_argument("--out", default="dist")
    ap.add_argument("--strip", action="store_true", help="strip a copy of each binary first")
    ap.add_argument("--max-mib", type=float, default=LIMIT / 2**20, help="size limit of a stripped binary")
    args = ap.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    with tempfile.TemporaryDirectory() as tmp:
        for spec in args.binary:
            platform, _, path = spec.partition("=")
            if not path or "_" not in platform:
                sys.exit(f"--binary wants OS_ARCH=PATH, got {spec!r}")
            exe = pathlib.Path(tmp) / f"{NAME}_v{args.version}"
            shutil.copyfile(path, exe)
            if args.strip:
                subprocess.run(["strip", str(exe)], check=True)
            size = exe.stat().st_size
            if size > args.max_mib * 2**20:
                sys.exit(f"{path}: {size / 2**20:.1f} MiB stripped, over the {args.max_mib:.0f} MiB limit")
            archive = out / f"{NAME}_{args.version}_{platform}.zip"
            with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
                info = zipfile.ZipInfo(exe.name, date_time=(2026, 1, 1, 0, 0, 0))
                info.external_attr = 0o755 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, exe.read_bytes())
            files.append(archive)
            print(f"{archive}  ({size / 2**20:.1f} MiB binary)")
    manifest = out / f"{NAME}_{args.version}_manifest.json"
    manifest.write_text(json.dumps({"version": 1, "metadata": {"protocol_versions": ["6.0"]}}, indent=2) + "\n")
    files.append(manifest)
    sums = out / f"{NAME}_{args.version}_SHA256SUMS"
    sums.write_text("".join(f"{sha256(f)}  {f.name}\n" for f in sorted(files)))
    print(manifest)
    print(sums)


main()
