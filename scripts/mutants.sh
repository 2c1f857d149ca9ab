#!/usr/bin/env bash
# Mutation testing of the loss math with cargo-mutants: every mutant of the given files of
# crates/burn-losses-core is built and run against the test suites that exercise the losses (on
# flex, the CI lane's features, so that the CI build is reused), and reported as caught / missed
# (mutants.out/). The full catalogue (~4,000 mutants) takes days on 2 cores: name files.
#
#   scripts/mutants.sh crates/burn-losses-core/src/focal.rs [more files …]
#
# `--in-place`: the working tree is mutated and restored mutant by mutant — do not edit it while
# this runs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ $# -ge 1 ] || { echo "usage: scripts/mutants.sh FILE..." >&2; exit 2; }
command -v cargo-mutants >/dev/null || cargo install cargo-mutants --locked
# shellcheck source=env.sh
source scripts/env.sh
export BURN_LOSSES_DEVICES=flex BURN_LOSSES_PROPTEST_CASES=8 BURN_LOSSES_PARITY_CASES=1 RUST_BACKTRACE=0
files=()
for f in "$@"; do files+=(--file "$f"); done
exec cargo mutants --in-place --no-shuffle --timeout 240 --build-timeout 600 \
  --no-default-features --features flex,ndarray,wgpu-unfused,tch \
  --test-package burn-losses --test-package burn-losses-core \
  "${files[@]}" -- \
  --test reference_fixtures --test gradients --test stability --test errors --test degenerate \
  --test properties --test classic --test imbalance --test overlap --test metric --lib
