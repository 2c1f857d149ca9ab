#!/usr/bin/env python3
"""Side-by-side timing of burn-losses and PyTorch on the same inputs, in one run -> benches/RESULTS.md.

For every case of the `compare` bench (`cargo bench --bench compare -- --list`), round by round,
alternating: the PyTorch anchor in this process (torchvision / kornia / MONAI /
pytorch-metric-learning where the loss lives there, torch.nn.functional otherwise), then the burn
side in the release bench binary (one process per case and round). Both take the same inputs
(the deterministic values of compare.rs), the same thread count (torch.set_num_threads = the
cores burn's CPU backends use), and time the median of --reps runs after 2 warm-ups, each ending
in a read-back of one number (`.item()` / `into_scalar`). The table keeps each side's median over
the rounds. Forward: torch under no_grad, burn on the plain device; forward+backward: the
gradient of the loss with respect to the float input.

Run (one command, from the repository root):  scripts/bench-compare.sh   [--device flex] [--rounds 3]
"""
import argparse
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def values(n):
    """compare.rs's deterministic values in [-2, 2)."""
    i = np.arange(n, dtype=np.int64)
    return torch.from_numpy((((i * 7919) + i // 3) % 1000).astype(np.float32) / 250.0 - 2.0)


def data(shape, kind, classes=None):
    """The float input and the target of a case, as compare.rs builds them."""
    numel = int(np.prod(shape))
    x = values(numel).reshape(shape)
    if kind == "binary":
        i = np.arange(numel)
        return x, torch.from_numpy(((i * 13) % 5 == 0).astype(np.float32)).reshape(shape)
    if kind == "classes":
        n, c = shape
        return x, torch.from_numpy((np.arange(n) * 31) % c)
    if kind == "dense":
        n, c, h, w = shape
        i = np.arange(n * h * w)
        return x, torch.from_numpy((i * 31 + i // w) % c).reshape(n, h, w)
    if kind in ("regression", "rates"):
        shift = 2.5 if kind == "rates" else 0.0
        return x + shift, torch.roll(x.flatten(), -1).reshape(shape) + shift
    n, _ = shape
    return x, torch.from_numpy(np.arange(n) % classes)


def cb_weights(c, beta=0.9999):
    counts = torch.tensor([10_000 // (k + 1) for k in range(c)], dtype=torch.float64)
    w = (1 - beta) / (1 - beta ** counts)
    return (w / w.sum() * c).float()


def anchors():
    """case name prefix -> (anchor label, data kind, fn(x, target) -> loss, extra)."""
    import kornia
    import monai
    from pytorch_metric_learning import losses as pml_losses, miners as pml_miners
    from torchvision.ops import sigmoid_focal_loss

    dice = monai.losses.DiceLoss(softmax=True, to_onehot_y=True)
    triplet, miner = pml_losses.TripletMarginLoss(margin=0.05), pml_miners.BatchHardMiner()
    nt_xent = pml_losses.NTXentLoss(temperature=0.07)

    def cb(x, t):
        w = cb_weights(x.shape[1])
        return (F.cross_entropy(x, t, reduction="none") * w[t]).mean()

    return {
        "binary_focal": ("torchvision sigmoid_focal_loss", "binary",
                         lambda x, y: sigmoid_focal_loss(x, y, alpha=0.25, gamma=2.0, reduction="mean")),
        "bce": ("F.binary_cross_entropy_with_logits", "binary", F.binary_cross_entropy_with_logits),
        "burn_bce": ("F.binary_cross_entropy_with_logits", "binary", F.binary_cross_entropy_with_logits),
        "focal": ("kornia focal_loss", "classes",
                  lambda x, t: kornia.losses.focal_loss(x, t, alpha=0.25, gamma=2.0, reduction="mean")),
        "cross_entropy": ("F.cross_entropy", "classes", F.cross_entropy),
        "burn_cross_entropy": ("F.cross_entropy", "classes", F.cross_entropy),
        "class_balanced": ("F.cross_entropy x CB weights", "classes", cb),
        "dice": ("MONAI DiceLoss(softmax, to_onehot_y)", "dense", lambda x, t: dice(x, t.unsqueeze(1))),
        "triplet_batch_hard": ("PML TripletMarginLoss + BatchHardMiner", "embeddings",
                               lambda e, l: triplet(e, l, miner(e, l))),
        "nt_xent": ("PML NTXentLoss(0.07)", "embeddings", nt_xent),
        # the element-wise kind: torch.nn.functional, or the Keras / TF-Addons / paper formula in torch
        "mse": ("F.mse_loss", "regression", F.mse_loss),
        "burn_mse": ("F.mse_loss", "regression", F.mse_loss),
        "mae": ("F.l1_loss", "regression", F.l1_loss),
        "huber": ("F.huber_loss", "regression", F.huber_loss),
        "smooth_l1": ("F.smooth_l1_loss", "regression", F.smooth_l1_loss),
        "log_cosh": ("Keras log_cosh formula in torch", "regression",
                     lambda x, y: (lambda d: (d + F.softplus(-2.0 * d) - math.log(2.0)).mean())(x - y)),
        "charbonnier": ("sqrt(d^2 + 1e-6) in torch (LapSRN)", "regression",
                        lambda x, y: ((x - y) ** 2 + 1e-6).sqrt().mean()),
        "quantile": ("TF-Addons pinball formula in torch", "regression",
                     lambda x, y: torch.maximum(0.9 * (y - x), (0.9 - 1.0) * (y - x)).mean()),
        "mape": ("Keras MAPE formula in torch", "regression",
                 lambda x, y: (100.0 * (x - y).abs() / y.abs().clamp_min(1e-7)).mean()),
        "smape": ("sMAPE formula in torch", "regression",
                  lambda x, y: (200.0 * (x - y).abs() / (x.abs() + y.abs()).clamp_min(1e-7)).mean()),
        "msle": ("Keras MSLE formula in torch", "rates",
                 lambda x, y: ((x.clamp_min(1e-7).log1p() - y.clamp_min(1e-7).log1p()) ** 2).mean()),
        "poisson": ("F.poisson_nll_loss(log_input=False)", "rates",
                    lambda x, y: F.poisson_nll_loss(x, y, log_input=False, eps=1e-7)),
    }


# PML's NTXentLoss takes ~36 s a call at [1024, 128] with 512 classes on 2 cores: one timed run, no
# warm-up, instead of --reps (else this one anchor takes most of an hour).
SLOW_ANCHOR_REPS = {"nt_xent": 1}


def time_torch(fn, x, t, reps, warmups=2):
    def median_ms(run):
        samples = []
        for rep in range(reps + warmups):
            start = time.perf_counter()
            run()
            if rep >= warmups:
                samples.append((time.perf_counter() - start) * 1e3)
        return statistics.median(samples)

    def forward():
        with torch.no_grad():
            fn(x, t).item()

    def forward_backward():
        xg = x.detach().requires_grad_()
        fn(xg, t).backward()
        xg.grad.sum().item()

    return median_ms(forward), median_ms(forward_backward)


def bench_binary(features):
    """The release compare bench, built with these cargo features (they must enable --device)."""
    out = subprocess.run(["cargo", "bench", "-q", "--bench", "compare", "--no-run", "--features", features,
                          "--message-format=json"],
                         cwd=ROOT, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg["target"]["name"] == "compare" and msg.get("executable"):
            return msg["executable"]
    sys.exit("benches/compare.py: no compare bench executable in cargo's output")


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        with open("/proc/meminfo") as f:
            mem = f"{int(f.readline().split()[1]) / 2**20:.0f} GiB"
    except OSError:
        mem = "?"
    return f"{cpu}, {os.cpu_count()} cores, {mem} RAM, {platform.system()} {platform.release()}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="flex")
    ap.add_argument("--features", default="flex,ndarray",
                    help="cargo features of the bench build (one build serves every device they enable)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--case", action="append", help="only these cases (repeatable)")
    ap.add_argument("--out", default=os.path.join(ROOT, "benches", "RESULTS.md"))
    args = ap.parse_args()

    threads = os.cpu_count()
    torch.set_num_threads(threads)
    exe = bench_binary(args.features)
    cases = [json.loads(line) for line in subprocess.run([exe, "--list"], check=True, capture_output=True,
                                                          text=True).stdout.splitlines()]
    if args.case:
        cases = [c for c in cases if c["case"] in args.case]
    table = anchors()
    rows = {c["case"]: {"case": c, "torch": [], "burn": []} for c in cases}
    for r in range(args.rounds):
        for c in cases:
            name = c["case"]
            prefix = max((p for p in table if name.startswith(p + "_")), key=len)
            label, kind, fn = table[prefix]
            x, t = data(c["shape"], kind, c["classes"])
            rows[name]["anchor"] = label
            if prefix in SLOW_ANCHOR_REPS:
                rows[name]["torch"].append(time_torch(fn, x, t, SLOW_ANCHOR_REPS[prefix], warmups=0))
            else:
                rows[name]["torch"].append(time_torch(fn, x, t, args.reps))
            out = subprocess.run([exe, "--case", name, "--device", args.device, "--reps", str(args.reps)],
                                 check=True, capture_output=True, text=True).stdout
            rows[name]["burn"].append(json.loads(out))
            print(f"round {r + 1}/{args.rounds} {name}: torch {rows[name]['torch'][-1]}, burn "
                  f"{rows[name]['burn'][-1]['forward_ms']:.2f} / {rows[name]['burn'][-1]['forward_backward_ms']:.2f} ms",
                  file=sys.stderr)

    def med(xs):
        return statistics.median(xs)

    lines = [
        "# burn-losses vs PyTorch, side by side",
        "",
        f"Generated by `scripts/bench-compare.sh` (benches/compare.py + `cargo bench --bench compare`) on "
        f"{datetime.date.today().isoformat()}: {machine()}; torch {torch.__version__} with {threads} threads, "
        f"burn-losses on `{args.device}` (release); {args.rounds} alternating rounds of {args.reps} timed runs "
        "each, medians. Ratio = burn / torch (below 1: burn-losses is faster). Peak extra memory: the host "
        "bytes one burn forward+backward holds beyond its inputs (graph, intermediates, input gradient), "
        "from a counting allocator; PyTorch's is not measured.",
        "",
        "| case | shape | PyTorch anchor | torch fwd ms | burn fwd ms | ratio | torch fwd+bwd ms | "
        "burn fwd+bwd ms | ratio | burn peak extra / input |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in rows.items():
        tf, tb = med([t[0] for t in row["torch"]]), med([t[1] for t in row["torch"]])
        bf, bb = med([b["forward_ms"] for b in row["burn"]]), med([b["forward_backward_ms"] for b in row["burn"]])
        peak = max(b["peak_extra_bytes"] for b in row["burn"]) / row["burn"][0]["input_bytes"]
        shape = "×".join(str(s) for s in row["case"]["shape"])
        lines.append(f"| `{name}` | {shape} | {row['anchor']} | {tf:.2f} | {bf:.2f} | {bf / tf:.2f} | {tb:.2f} | "
                     f"{bb:.2f} | {bb / tb:.2f} | {peak:.1f}× |")
    lines += ["", "Cases: `burn_*` are burn-nn's own losses on the same inputs (the in-run baseline); the others "
              "are burn-losses configs:", ""]
    lines += [f"- `{c['case']}`: `{c['loss']}`" for c in cases]
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {os.path.relpath(args.out, ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
