#!/usr/bin/env bash
# The libFuzzer targets in fuzz/ (cargo fuzz): builds them, then runs each
# for FUZZ_SECONDS (default 12: make test runs them all in under a minute;
# make fuzz sets 600). A crash fails the run and leaves its input under
# $CARGO_TARGET_DIR/fuzz-artifacts/TARGET/; rerun it with
#   $CARGO_TARGET_DIR/fuzz/x86_64-unknown-linux-gnu/debug/TARGET FILE
#
# cargo fuzz passes -Z flags to rustc, which only a nightly compiler takes;
# RUSTC_BOOTSTRAP=1 lets the stable toolchain take them (the only toolchain
# here). The corpus grows outside the tree, in $CARGO_TARGET_DIR/fuzz-corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/onto-target}
export RUSTC_BOOTSTRAP=1
seconds=${FUZZ_SECONDS:-12}
fuzz=.tools/bin/cargo-fuzz
bash tools/install-cargo-fuzz.sh
flags=(--fuzz-dir fuzz --sanitizer none --dev --debug-assertions --target-dir "$CARGO_TARGET_DIR/fuzz")
targets=$("$fuzz" list --fuzz-dir fuzz)

# fuzz/Cargo.lock is committed: a build must not rewrite it in the tree.
cargo metadata --locked --format-version 1 --manifest-path fuzz/Cargo.toml >/dev/null ||
    { echo "fuzz: fuzz/Cargo.lock is out of date: run cargo update --manifest-path fuzz/Cargo.toml -w" >&2; exit 1; }
echo "fuzz: building $(echo $targets | wc -w) targets..."
"$fuzz" build "${flags[@]}"
# The targets run directly: `cargo fuzz run` would create fuzz/artifacts in the tree.
bin=$CARGO_TARGET_DIR/fuzz/$(rustc -vV | sed -n 's/^host: //p')/debug
failed=()
for t in $targets; do
    corpus=$CARGO_TARGET_DIR/fuzz-corpus/$t
    artifacts=$CARGO_TARGET_DIR/fuzz-artifacts/$t
    mkdir -p "$corpus" "$artifacts"
    seeds=()
    [[ -d fuzz/seeds/$t ]] && seeds=("fuzz/seeds/$t")
    log=$artifacts/last-run.log
    if "$bin/$t" "$corpus" "${seeds[@]}" \
        -max_total_time="$seconds" -artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
        echo "fuzz: $t: ${runs:-?} inputs in ${seconds}s, no crash"
    else
        echo "fuzz: $t FAILED; the end of its log ($log):" >&2
        tail -n 30 "$log" | sed 's/^/  | /' >&2
        failed+=("$t")
    fi
done
if ((${#failed[@]})); then
    echo "fuzz: failed: ${failed[*]}" >&2
    exit 1
fi
