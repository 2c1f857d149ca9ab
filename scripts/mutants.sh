#!/usr/bin/env bash
# Mutation testing of the loss math with cargo-mutants: every mutant of the named files of
# crates/burn-losses-core is built and run against the test suites that exercise the losses (on the
# flex lane), and reported as caught / missed / unviable / timeout in mutants.out/. The whole crate
# (~4,000 mutants) takes days on 2 cores: name files, and sample with cargo-mutants' own options.
#
#   scripts/mutants.sh crates/burn-losses-core/src/focal.rs [more files …] [-- cargo-mutants options]
#   scripts/mutants.sh crates/burn-losses-core/src/bce.rs -- --shard 0/4 --sharding round-robin
#
# `--in-place`: the working tree is mutated and restored mutant by mutant — do not edit it while
# this runs (run it in a `git worktree` to keep working). Features: BURN_LOSSES_MUTANTS_FEATURES
# (default `flex`: one backend links fastest; each mutant rebuilds the core and relinks the tests).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ $# -ge 1 ] || { echo "usage: scripts/mutants.sh FILE... [-- cargo-mutants options]" >&2; exit 2; }
command -v cargo-mutants >/dev/null || cargo install cargo-mutants --locked
# shellcheck source=env.sh
source scripts/env.sh
export BURN_LOSSES_DEVICES=flex BURN_LOSSES_PROPTEST_CASES=8 RUST_BACKTRACE=0
export CARGO_INCREMENTAL=0 CARGO_PROFILE_DEV_DEBUG=0
files=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do files+=(--file "$1"); shift; done
[ $# -gt 0 ] && shift # the "--"
# `--baseline skip`: cargo-mutants 27 runs its baseline on the mutated package only (where the
# facade's test targets do not exist); the flex lane of CI is that baseline.
exec cargo mutants --in-place --no-shuffle --baseline skip --timeout 300 --build-timeout 900 \
  --package burn-losses-core --test-package burn-losses --test-package burn-losses-core \
  --no-default-features --features "${BURN_LOSSES_MUTANTS_FEATURES:-flex}" \
  "${files[@]}" "$@" -- \
  --test it --lib -- --skip classification_learner:: --skip metric_learner:: --skip segmentation_learner:: \
  --skip mixed_precision:: --skip parity:: --skip custom:: --skip catalogue::
