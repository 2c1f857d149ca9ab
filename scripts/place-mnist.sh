#!/usr/bin/env bash
# Puts MNIST where burn's MnistDataset looks ($XDG_CACHE_HOME/burn-dataset/mnist/{train,test}/,
# decompressed idx files), from a directory of the four .gz files (default: the repo's data/mnist,
# or ../shared/data/mnist when given), after checking their SHA-256 sums.
# Usage: scripts/place-mnist.sh [DIR_WITH_GZ_FILES]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="${1:-$here/../data/mnist}"
(cd "$src" && sha256sum -c --quiet SHA256SUMS)
dst="${XDG_CACHE_HOME:-$HOME/.cache}/burn-dataset/mnist"
mkdir -p "$dst/train" "$dst/test"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte; do
  [ -s "$dst/train/$f" ] || gunzip -c "$src/$f.gz" > "$dst/train/$f"
done
for f in t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  [ -s "$dst/test/$f" ] || gunzip -c "$src/$f.gz" > "$dst/test/$f"
done
echo "MNIST placed in $dst" >&2
