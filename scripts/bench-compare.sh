#!/usr/bin/env bash
# Regenerates benches/RESULTS.md: burn-losses (release, `cargo bench --bench compare`) and PyTorch
# (the venv of scripts/setup-torch-venv.sh --with-fixtures) on the same inputs, alternating.
#   scripts/bench-compare.sh [--device flex] [--rounds 3] [--reps 10] [--case NAME ...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
venv="$(scripts/setup-torch-venv.sh --with-fixtures | tail -n 1)"
# shellcheck source=env.sh
source scripts/env.sh
exec "$venv/bin/python" benches/compare.py "$@"
