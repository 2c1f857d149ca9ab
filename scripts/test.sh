#!/usr/bin/env bash
# The test command (README, .ci/run): sets up every backend lane that is asked for, builds the
# workspace ONCE with all their features (one target dir), then runs the whole test suite once per
# lane (BURN_LOSSES_DEVICES=<lane>) plus the cross-backend parity test over all lanes, and trains the
# Keras-document MNIST example briefly on each lane. Prints per-lane times.
#
#   scripts/test.sh                        # lanes: flex ndarray wgpu tch (default)
#   BURN_LOSSES_LANES="flex ndarray" scripts/test.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
lanes="${BURN_LOSSES_LANES:-flex ndarray wgpu tch}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# One-shot builds: incremental caches only cost disk (several GB with four backends).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
target_dir="${CARGO_TARGET_DIR:-target}"
free_gb() { df -Pk "$1" | awk 'NR==2 {printf "%d", $4 / 1048576}'; }
mkdir -p "$target_dir"
free_before="$(free_gb "$target_dir")"
echo "[disk] free before build: $free_before GiB (a cold build with all four lanes needs about 5 GiB)"
if [ "$free_before" -lt 5 ]; then
  echo "warning: less than 5 GiB free on the disk holding $target_dir; the build may fail with 'No space left on device'" >&2
fi

for lane in $lanes; do
  case "$lane" in
    wgpu) scripts/setup-vulkan.sh ;;
    tch) scripts/setup-torch-venv.sh >/dev/null ;;
    flex|ndarray|vulkan|cuda) ;;
    *) echo "unknown lane $lane" >&2; exit 2 ;;
  esac
done
scripts/place-mnist.sh "$( [ -d ../shared/data/mnist ] && echo ../shared/data/mnist || echo data/mnist )"
# shellcheck source=env.sh
source scripts/env.sh

# the lanes, comma-separated: the devices of the parity test; and the cargo features, where the
# wgpu lane (lavapipe) is built without kernel fusion (`wgpu-unfused`, see Cargo.toml)
lane_list="$(echo $lanes | tr ' ' ',')"
# plus `train` / `vision` / `progress` (the Learner adapters, the examples and their tests)
feature_list="$(echo $lanes | tr ' ' '\n' | sed 's/^wgpu$/wgpu-unfused/' | paste -sd, -),train,vision,progress"
log="$(mktemp)"
# every cargo test's output also goes to $log, summed up at the end
run_tests() { cargo test "$@" 2>&1 | tee -a "$log"; }
t0=$(date +%s)
cargo build --workspace --all-targets --no-default-features --features "$feature_list"
echo "[time] build (features $feature_list): $(( $(date +%s) - t0 )) s"

for lane in $lanes; do
  t=$(date +%s)
  echo "=== lane $lane: test suite"
  BURN_LOSSES_DEVICES=$lane run_tests --workspace --no-default-features --features "$feature_list" -- --skip every_loss_agrees_across_backends
  echo "=== lane $lane: Keras-document MNIST example (--train-limit 480 --test-limit 480, 1 epoch)"
  cargo run -q --no-default-features --features "$feature_list" --example mnist_focal -- \
    --device "$lane" --train-limit 480 --test-limit 480 --epochs 1 --workers 1
  echo "=== lane $lane: user-defined losses example (the TensorFlow 2 custom-loss guide's losses vs the built-ins)"
  cargo run -q --no-default-features --features "$feature_list" --example custom_losses -- --device "$lane"
  if [ "$lane" = "${lanes%% *}" ]; then
    echo "=== lane $lane: MNIST example, data-parallel on 2 devices (--devices 2, 480 images, 1 epoch)"
    cargo run -q --no-default-features --features "$feature_list" --example mnist_focal -- \
      --device "$lane" --devices 2 --train-limit 480 --test-limit 480 --epochs 1 --workers 1
    echo "=== lane $lane: burn's guide with the loss in its training config (train from examples/burn_guide/smoke.json, save, load, infer)"
    guide_out="$(mktemp -d)"
    cargo run -q --no-default-features --features "$feature_list" --example burn_guide -- \
      examples/burn_guide/smoke.json --device "$lane" --artifact-dir "$guide_out" 2>&1 | { grep -v '^ProgressSnapshot' || true; }
    rm -rf "$guide_out"
    echo "=== lane $lane: two-head MNIST example, smoke run (one composite config, fixed and learned weights; 256 images, 1 epoch)"
    multihead_out="$(mktemp -d)"
    cargo run -q --no-default-features --features "$feature_list" --example mnist_multihead -- \
      --device "$lane" --train-limit 256 --test-limit 128 --epochs 1 --workers 1 --out "$multihead_out"
    for f in mnist_multihead.md mnist_multihead.png; do
      [ -s "$multihead_out/$f" ] || { echo "mnist_multihead did not write $f" >&2; exit 1; }
    done
    rm -rf "$multihead_out"
    echo "=== lane $lane: long-tailed MNIST study, smoke run (rho 10, n_max 200, 1 epoch, 2 losses)"
    study_out="$(mktemp -d)"
    cargo run -q --no-default-features --features "$feature_list" --example long_tailed_mnist -- \
      --device "$lane" --rho 10 --n-max 200 --test-limit 500 --epochs 1 --seeds 1 --workers 1 \
      --loss ce --loss cb_focal_0.9999 --out "$study_out"
    for f in long_tailed_mnist.md long_tailed_mnist.json long_tailed_mnist_recall.png long_tailed_mnist_recall.svg; do
      [ -s "$study_out/$f" ] || { echo "long_tailed_mnist did not write $f" >&2; exit 1; }
    done
    rm -rf "$study_out"
    echo "=== lane $lane: MNIST segmentation example, smoke run (digits, dice + CE, 64 images, 1 epoch)"
    seg_out="$(mktemp -d)"
    cargo run -q --no-default-features --features "$feature_list" --example mnist_segmentation -- \
      --device "$lane" --task digits --loss dice_ce --train-limit 64 --test-limit 64 --epochs 1 --workers 1 \
      --out "$seg_out"
    for f in mnist_segmentation.md mnist_segmentation.png; do
      [ -s "$seg_out/$f" ] || { echo "mnist_segmentation did not write $f" >&2; exit 1; }
    done
    rm -rf "$seg_out"
    echo "=== lane $lane: metric-learning examples, smoke runs (triplet P=4 K=4 on 400 images; Siamese on 64 pairs; 1 epoch)"
    metric_out="$(mktemp -d)"
    cargo run -q --no-default-features --features "$feature_list" --example triplet_mnist -- \
      --device "$lane" --train-limit 400 --test-limit 200 --p 4 --k 4 --epochs 1 --out "$metric_out"
    cargo run -q --no-default-features --features "$feature_list" --example siamese_mnist -- \
      --device "$lane" --train-pairs 64 --valid-pairs 64 --test-pairs 64 --epochs 1 --out "$metric_out"
    for f in triplet_mnist.md triplet_mnist_embeddings.png triplet_mnist_embeddings.svg siamese_mnist.md; do
      [ -s "$metric_out/$f" ] || { echo "metric-learning examples did not write $f" >&2; exit 1; }
    done
    rm -rf "$metric_out"
  fi
  echo "[time] lane $lane: $(( $(date +%s) - t )) s"
done

t=$(date +%s)
echo "=== parity across $lane_list"
BURN_LOSSES_DEVICES=$lane_list run_tests --no-default-features --features "$feature_list" --test it parity:: -- --nocapture
echo "[time] parity: $(( $(date +%s) - t )) s"
echo "[time] total: $(( $(date +%s) - t0 )) s"
echo "[disk] $target_dir: $(du -sh "$target_dir" | cut -f1); free: $(free_gb "$target_dir") GiB"
passed=$(grep -o '[0-9]* passed' "$log" | awk '{s+=$1} END {print s+0}')
failed=$(grep -o '[0-9]* failed' "$log" | awk '{s+=$1} END {print s+0}')
rm -f "$log"
echo "all lanes ($lanes):"
echo "$passed passed, $failed failed"
