#!/usr/bin/env bash
# Regenerates the loss-curve pictures of README / docs/plots with `burn-losses plot` (flex).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mkdir -p docs/plots
cargo build -q -p burn-losses-cli
for preset in focal huber log-cosh pinball margin; do
  target/debug/burn-losses plot --preset "$preset" --out "docs/plots/${preset}.png"
  target/debug/burn-losses plot --preset "$preset" --grad --out "docs/plots/${preset}_grad.png"
done
