#!/usr/bin/env python3
"""Side-by-side timing of burn-losses and PyTorch on the same inputs, in one run -> benches/RESULTS.md.

For every case of the `compare` bench (`cargo bench --bench compare -- --list`), round by round,
alternating: the PyTorch anchor in this process (torchvision / kornia / MONAI /
pytorch-metric-learning where the loss lives there, torch.nn.functional otherwise), then the burn
side in the release bench binary (one process per case and round). Both take the same inputs
(the deterministic values of benches/cases/mod.rs), the same thread count (torch.set_num_threads = the
cores burn's CPU backends use), and time the median of --reps runs after 2 warm-ups, each ending
in a read-back of one number (`.item()` / `into_scalar`). The table keeps each side's median over
the rounds. Forward: torch under no_grad, burn on the plain device; forward+backward: the
gradient of the loss with respect to the float input (grad_input: `input`, `embeddings`, `anchor`
or `input1`, as Data::float_input in benches/cases/mod.rs).

Each listed case names its anchor (`"anchor"`, a key of anchors()) and its data kind (`"data"`,
which inputs() builds). The table also checks that both sides compute the same loss: the burn
side's forward value (`"value"`, the sum of its output) against the anchor's on the same inputs;
a relative difference above 1e-3 is listed on stderr, above 1e-2 fails the run (exit status 1,
after the table is written).

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
    """benches/cases/mod.rs's deterministic values in [-2, 2)."""
    i = np.arange(n, dtype=np.int64)
    return torch.from_numpy((((i * 7919) + i // 3) % 1000).astype(np.float32) / 250.0 - 2.0)


def roll(v, k, shape):
    """Element i takes element i + k of the flat vector (cyclic), reshaped: benches/cases roll(k)."""
    return torch.roll(v.flatten(), -k).reshape(shape)


def signs(n):
    """±1 labels, -1 where i % 3 == 0."""
    return torch.from_numpy(np.where(np.arange(n) % 3 == 0, -1.0, 1.0).astype(np.float32))


# The input whose gradient forward+backward takes, per data kind (benches/cases Data::float_input).
GRAD = {"embeddings": "embeddings", "faces": "embeddings", "triplets": "anchor", "ranking": "input1",
        "pairs": "input1"}


def grad_input(kind):
    return GRAD.get(kind, "input")


def inputs(shape, kind, classes=None):
    """A case's named inputs, as benches/cases/mod.rs builds them (same names; the float one named by
    grad_input(kind) takes the gradient). Float32, integers int64."""
    numel = int(np.prod(shape))
    v = values(numel)
    x = v.reshape(shape)
    i = np.arange(numel)
    if kind == "binary":
        return {"input": x, "target": torch.from_numpy(((i * 13) % 5 == 0).astype(np.float32)).reshape(shape)}
    if kind == "signs":
        return {"input": x, "target": signs(numel).reshape(shape)}
    if kind == "distances":
        return {"input": x + 2.0, "target": signs(numel).reshape(shape)}
    if kind == "classes":
        n, c = shape
        return {"input": x, "target": torch.from_numpy((np.arange(n) * 31) % c)}
    if kind == "distributions":
        return {"input": x, "target": torch.softmax(roll(v, 1, shape), dim=1)}
    if kind == "dense":
        n, c, h, w = shape
        j = np.arange(n * h * w)
        return {"input": x, "target": torch.from_numpy((j * 31 + j // w) % c).reshape(n, h, w)}
    if kind in ("regression", "rates"):
        shift = 2.5 if kind == "rates" else 0.0
        return {"input": x + shift, "target": roll(v, 1, shape) + shift}
    if kind == "gaussian":
        return {"input": x, "target": roll(v, 1, shape), "var": roll(v, 2, shape) + 2.5}
    if kind in ("ranking", "pairs"):
        return {"input1": x, "input2": roll(v, 1, shape), "target": signs(shape[0])}
    if kind == "triplets":
        return {"anchor": x, "positive": roll(v, 2, shape), "negative": roll(v, 1, shape)}
    n, d = shape
    if kind == "embeddings":
        return {"embeddings": x, "labels": torch.from_numpy(np.arange(n) % classes)}
    if kind == "faces":
        return {"embeddings": x, "labels": torch.from_numpy((np.arange(n) * 31) % classes),
                "class_weights": torch.flip(values(classes * d), [0]).reshape(classes, d)}
    raise ValueError(f"unknown data kind {kind!r}")


def cb_weights(c, beta=0.9999):
    counts = torch.tensor([10_000 // (k + 1) for k in range(c)], dtype=torch.float64)
    w = (1 - beta) / (1 - beta ** counts)
    return (w / w.sum() * c).float()


# mmdet weight_reduce_loss adds float32 machine epsilon to avg_factor (= tot) on "mean"
F32_EPS = torch.finfo(torch.float32).eps


def ghm_weighted_mean(loss, g, last_edge, bins=10):
    """mmdet's GHM weighting (mmdet/models/losses/ghm_loss.py, mmdetection 3.x; momentum 0, label_weight all 1),
    re-created with its loop over the bins, as tools/golden/imbalance.py checks it: each element weighted by
    tot / (its bin's count) / (the number of non-empty bins), the weighted sum / tot."""
    edges = torch.arange(bins + 1, dtype=torch.float32) / bins
    edges[-1] = last_edge
    tot = float(g.numel())
    weights, n = torch.zeros_like(g), 0
    for i in range(bins):
        inds = (g >= edges[i]) & (g < edges[i + 1])
        num_in_bin = inds.sum().item()
        if num_in_bin > 0:
            weights[inds] = tot / num_in_bin
            n += 1
    if n > 0:
        weights = weights / n
    return (loss * weights).sum() / (tot + F32_EPS)


def ghm_c(input, target):
    """mmdet GHMC: BCE with logits, g = |sigmoid(x) - y| (last bin edge 1 + 1e-6)."""
    g = (input.sigmoid().detach() - target).abs()
    loss = F.binary_cross_entropy_with_logits(input, target, reduction="none")
    return ghm_weighted_mean(loss, g, 1.0 + 1e-6)


def ghm_r(input, target, mu=0.02):
    """mmdet GHMR: the authentic smooth L1 sqrt(d^2 + mu^2) - mu, g = |d| / sqrt(d^2 + mu^2) (last edge 1e3)."""
    diff = input - target
    loss = torch.sqrt(diff * diff + mu * mu) - mu
    g = (diff / torch.sqrt(mu * mu + diff * diff)).abs().detach()
    return ghm_weighted_mean(loss, g, 1e3)


class LargeMargin:
    """PML ArcFaceLoss / CosFaceLoss (defaults: margin 28.6° / 0.35, scale 64) whose W [D, C] is the case's
    class_weights.T (no gradient), as tools/golden/metric.py compares them: one module per (C, D), built on
    the first call (the value check, outside the timing); each call points W at class_weights.T (a view)."""

    def __init__(self, cls):
        self.cls, self.modules = cls, {}

    def __call__(self, embeddings, labels, class_weights):
        c, d = class_weights.shape
        if (c, d) not in self.modules:
            self.modules[(c, d)] = self.cls(num_classes=c, embedding_size=d).requires_grad_(False)
        fn = self.modules[(c, d)]
        fn.W.data = class_weights.T
        return fn(embeddings, labels)


def anchors():
    """anchor key (a case's "anchor") -> (anchor label, fn(**inputs) -> loss). Each fn takes the named
    inputs of the case's data kind (inputs() above) as keyword arguments."""
    import kornia
    import monai
    import segmentation_models_pytorch as smp
    from pytorch_metric_learning import losses as pml_losses, miners as pml_miners
    from torchvision.ops import sigmoid_focal_loss

    dice = monai.losses.DiceLoss(softmax=True, to_onehot_y=True)
    dice_none = monai.losses.DiceLoss(softmax=True, to_onehot_y=True, reduction="none")
    gdl = monai.losses.GeneralizedDiceLoss(softmax=True, to_onehot_y=True)
    tversky = monai.losses.TverskyLoss(softmax=True, to_onehot_y=True)
    tversky_none = monai.losses.TverskyLoss(softmax=True, to_onehot_y=True, reduction="none")
    dice_ce = monai.losses.DiceCELoss(softmax=True, to_onehot_y=True)
    lovasz = smp.losses.LovaszLoss(mode="multiclass", from_logits=True)
    triplet, miner = pml_losses.TripletMarginLoss(margin=0.05), pml_miners.BatchHardMiner()
    nt_xent = pml_losses.NTXentLoss(temperature=0.07)
    contrastive = pml_losses.ContrastiveLoss()
    supcon = pml_losses.SupConLoss(temperature=0.1)

    def cb(input, target):
        w = cb_weights(input.shape[1])
        return (F.cross_entropy(input, target, reduction="none") * w[target]).mean()

    def balanced_bce(input, target):
        # HED (Xie & Tu 2015), as tools/golden/classification.py: beta = fraction of negatives, no gradient
        beta = 1.0 - target.mean()
        return -(beta * target * F.logsigmoid(input) + (1.0 - beta) * (1.0 - target) * F.logsigmoid(-input)).mean()

    def poly1(input, target, epsilon=1.0):
        p_t = torch.softmax(input, 1).gather(1, target.unsqueeze(1)).squeeze(1)
        return (F.cross_entropy(input, target, reduction="none") + epsilon * (1.0 - p_t)).mean()

    def categorical_hinge(input, target):
        y = F.one_hot(target, input.shape[1]).to(input.dtype)
        pos, neg = (y * input).sum(1), ((1.0 - y) * input).amax(1)
        return torch.clamp_min(neg - pos + 1.0, 0.0).mean()

    def dsc(input, target, alpha=1.0, smooth=1.0):
        # per instance: sum over classes of 1 - (2 p~ y + smooth) / (p~ + y + smooth), p~ = (1 - p)^alpha p
        p = torch.softmax(input, 1)
        pt = (1.0 - p) ** alpha * p
        y = F.one_hot(target, input.shape[1]).to(input.dtype)
        return (1.0 - (2.0 * pt * y + smooth) / (pt + y + smooth)).sum(1).mean()

    def cosine_similarity(input, target):
        # Keras: l2-normalise (norm floored at 1e-7) along the last axis, -sum of the products, mean
        return -(F.normalize(input, dim=-1, eps=1e-7) * F.normalize(target, dim=-1, eps=1e-7)).sum(-1).mean()

    return {
        "binary_focal": ("torchvision sigmoid_focal_loss",
                         lambda input, target: sigmoid_focal_loss(input, target, alpha=0.25, gamma=2.0,
                                                                  reduction="mean")),
        "bce": ("F.binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits),
        "balanced_bce": ("HED class-balanced BCE formula in torch", balanced_bce),
        "ghm_c": ("mmdet GHMC, re-created", ghm_c),
        # kornia's "mean" averages its [N, C] one-hot terms; the per-sample sum, then the mean, is
        # our focal (as tools/golden/classification.py checks it)
        "focal": ("kornia focal_loss(alpha=None).sum(1).mean()",
                  lambda input, target: kornia.losses.focal_loss(input, target, alpha=None, gamma=2.0,
                                                                 reduction="none").sum(1).mean()),
        "cross_entropy": ("F.cross_entropy", F.cross_entropy),
        "class_balanced": ("F.cross_entropy x CB weights", cb),
        "nll": ("F.nll_loss", F.nll_loss),
        "poly1": ("Poly-1 formula in torch (Leng et al. 2022)", poly1),
        "kl_divergence": ("F.kl_div(batchmean)", lambda input, target: F.kl_div(input, target, reduction="batchmean")),
        "categorical_hinge": ("Keras categorical_hinge formula in torch", categorical_hinge),
        "multi_margin": ("F.multi_margin_loss", F.multi_margin_loss),
        "dsc": ("self-adjusting Dice formula in torch (Li et al. 2020)", dsc),
        # the ±1-label margin losses: the Keras / textbook formulas in torch
        "hinge": ("Keras hinge formula in torch", lambda input, target: F.relu(1.0 - target * input).mean()),
        "squared_hinge": ("Keras squared_hinge formula in torch",
                          lambda input, target: F.relu(1.0 - target * input).square().mean()),
        "perceptron": ("perceptron formula in torch", lambda input, target: F.relu(-target * input).mean()),
        "exponential": ("exponential loss formula in torch", lambda input, target: torch.exp(-target * input).mean()),
        "logistic": ("logistic loss formula in torch", lambda input, target: F.softplus(-target * input).mean()),
        "hinge_embedding": ("F.hinge_embedding_loss", F.hinge_embedding_loss),
        "margin_ranking": ("F.margin_ranking_loss", F.margin_ranking_loss),
        "dice": ("MONAI DiceLoss(softmax, to_onehot_y)", lambda input, target: dice(input, target.unsqueeze(1))),
        "generalized_dice": ("MONAI GeneralizedDiceLoss(softmax, to_onehot_y)",
                             lambda input, target: gdl(input, target.unsqueeze(1))),
        "tversky": ("MONAI TverskyLoss(softmax, to_onehot_y)",
                    lambda input, target: tversky(input, target.unsqueeze(1))),
        "focal_tversky": ("MONAI TverskyLoss(reduction none) ** 0.75, mean",
                          lambda input, target: (tversky_none(input, target.unsqueeze(1)) ** 0.75).mean()),
        "log_cosh_dice": ("log(cosh(MONAI DiceLoss(reduction none))), mean",
                          lambda input, target: torch.log(torch.cosh(dice_none(input, target.unsqueeze(1)))).mean()),
        "lovasz": ("smp LovaszLoss(multiclass)", lambda input, target: lovasz(input, target)),
        "sum": ("MONAI DiceCELoss(softmax, to_onehot_y)", lambda input, target: dice_ce(input, target.unsqueeze(1))),
        "triplet_batch_hard": ("PML TripletMarginLoss + BatchHardMiner",
                               lambda embeddings, labels: triplet(embeddings, labels, miner(embeddings, labels))),
        "nt_xent": ("PML NTXentLoss(0.07)", nt_xent),
        "contrastive": ("PML ContrastiveLoss", contrastive),
        "supcon": ("PML SupConLoss(0.1)", supcon),
        "arcface": ("PML ArcFaceLoss, W = class_weights.T", LargeMargin(pml_losses.ArcFaceLoss)),
        "cosface": ("PML CosFaceLoss, W = class_weights.T", LargeMargin(pml_losses.CosFaceLoss)),
        "triplet_margin": ("F.triplet_margin_loss", F.triplet_margin_loss),
        "cosine_embedding": ("F.cosine_embedding_loss", F.cosine_embedding_loss),
        # the element-wise kind: torch.nn.functional, or the Keras / TF-Addons / paper formula in torch
        "mse": ("F.mse_loss", F.mse_loss),
        "mae": ("F.l1_loss", F.l1_loss),
        "rmse": ("sqrt(F.mse_loss + 1e-12)", lambda input, target: torch.sqrt(F.mse_loss(input, target) + 1e-12)),
        "huber": ("F.huber_loss", F.huber_loss),
        "smooth_l1": ("F.smooth_l1_loss", F.smooth_l1_loss),
        "log_cosh": ("Keras log_cosh formula in torch",
                     lambda input, target: (lambda d: (d + F.softplus(-2.0 * d) - math.log(2.0)).mean())(input - target)),
        "charbonnier": ("sqrt(d^2 + 1e-6) in torch (LapSRN)",
                        lambda input, target: ((input - target) ** 2 + 1e-6).sqrt().mean()),
        "quantile": ("TF-Addons pinball formula in torch",
                     lambda input, target: torch.maximum(0.9 * (target - input), (0.9 - 1.0) * (target - input)).mean()),
        "mape": ("Keras MAPE formula in torch",
                 lambda input, target: (100.0 * (input - target).abs() / target.abs().clamp_min(1e-7)).mean()),
        "smape": ("sMAPE formula in torch",
                  lambda input, target: (200.0 * (input - target).abs()
                                         / (input.abs() + target.abs()).clamp_min(1e-7)).mean()),
        "msle": ("Keras MSLE formula in torch",
                 lambda input, target: ((input.clamp_min(1e-7).log1p() - target.clamp_min(1e-7).log1p()) ** 2).mean()),
        "poisson": ("F.poisson_nll_loss(log_input=False)",
                    lambda input, target: F.poisson_nll_loss(input, target, log_input=False, eps=1e-7)),
        "ghm_r": ("mmdet GHMR, re-created", ghm_r),
        "cosine_similarity": ("Keras cosine_similarity formula in torch", cosine_similarity),
        "gaussian_nll": ("F.gaussian_nll_loss", F.gaussian_nll_loss),
    }


# PML's NTXentLoss takes ~36 s a call at [1024, 128] with 512 classes on 2 cores: one timed run, no
# warm-up, instead of --reps (else this one anchor takes most of an hour). Keyed by anchor.
SLOW_ANCHOR_REPS = {"nt_xent": 1}


def torch_value(fn, args):
    """The anchor's forward loss on the case's inputs (the sum of its output), as a float."""
    with torch.no_grad():
        return float(fn(**args).sum())


# Why a row can stay over 1x PyTorch's forward+backward time, by anchor key (the table lists the rows
# that do, with these; a row without an entry says "not analysed yet").
WHY_SLOWER = {
    "bce": "fused; one memory-bound pass each way over 1 M elements, against PyTorch's single ATen kernel — the remaining 1.4× is not analysed",
    "logistic": "fused; the kernel evaluates exp and ln_1p per element where PyTorch's `softplus` is one vectorised ATen op — not analysed further",
    "smooth_l1": "fused; at parity within this VM's ±30 % noise",
    "log_cosh": "fused; at parity within noise (an exp and a ln_1p per element on both sides)",
    "poisson": "fused; one ln per element (the kernels' polynomial) each way against PyTorch's vectorised log — not analysed further",
    "nll": "fused; 0.4–1 ms of work, dominated by reading the class indices back to the host and allocating the gradient",
    "cross_entropy": "fused; ties at 65 536×10 (0.40×), 1.3× at 4 096×1 000 where PyTorch's log-softmax kernel is as fast per element and ours takes a second exp per element in the backward",
    "dsc": "fused (class-row kernel); per class a softmax probability, the self-adjusting factor and its derivative twice (value, then gradient) — 0.9× at 65 536×10, 1.3× at 4 096×1 000",
    "kl_divergence": "composed: not yet declared element-wise (its `batchmean` and Keras reductions stand outside the element-wise kernel's)",
    "ghm_c": "composed: GHM's gradient-density weights (a histogram of the batch's |σ(x) − y|, detached) have no kernel yet",
    "ghm_r": "composed: GHM's gradient-density weights (a histogram of the batch's gradient norms, detached) have no kernel yet",
    "cosine_similarity": "composed: a row-wise loss of two inputs that both take gradients in training; the host kernels have one differentiable input",
    "cosine_embedding": "composed: two differentiable inputs (as cosine_similarity)",
    "margin_ranking": "composed: two differentiable inputs (`input1`, `input2`)",
    "triplet_margin": "composed: three differentiable inputs (anchor, positive, negative)",
    "gaussian_nll": "composed: the variance is a second differentiable input; the element-wise kernel has one",
    "dice": "fused sums I, P, G; the softmax over the class axis and the [N, C] ratios are burn tensor ops, which dominate at 0.5 M elements",
    "generalized_dice": "fused sums; the softmax and the ratios are tensor ops (as dice)",
    "tversky": "fused sums; the softmax and the ratios are tensor ops (as dice)",
    "focal_tversky": "fused sums; the softmax and the ratios are tensor ops (as dice)",
    "log_cosh_dice": "fused sums; the softmax and the ratios are tensor ops (as dice)",
    "sum": "dice's fused sums and cross-entropy's kernel, plus dice's composed softmax and ratios (as dice)",
    "lovasz": "composed: the per-class sort of the errors (burn's sort) and the Lovász extension's cumulative sums",
    "triplet_batch_hard": "fused distances, composed mining over [N, N] masks (37× the input in memory)",
    "contrastive": "fused distances, composed pair terms over [N, N] masks (45× the input)",
    "supcon": "composed: one similarity matmul and a masked log-softmax over [N, N] (31× the input)",
    "nt_xent": "composed: one similarity matmul and a masked log-softmax over [N, N]",
    "arcface": "composed: the class weights are a second differentiable input (normalised, one matmul, the margin on the target's logit)",
    "cosface": "composed: the class weights are a second differentiable input (as arcface)",
}


def time_torch(fn, args, grad, reps, warmups=2):
    """Medians (ms) of forward (no_grad) and forward+backward (the gradient of the input named `grad`, the
    only one that requires grad), each ending in one .item()."""
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
            fn(**args).item()

    def forward_backward():
        xg = args[grad].detach().requires_grad_()
        fn(**{**args, grad: xg}).backward()
        xg.grad.sum().item()

    return median_ms(forward), median_ms(forward_backward)


# A row whose value differs from its anchor's by more than VALUE_WARN (relative) is listed on stderr; by
# more than VALUE_FAIL, the run exits with status 1 after writing the table (it does not compute the same loss).
VALUE_WARN, VALUE_FAIL = 1e-3, 1e-2


def rel_diff(burn, torch_):
    """|burn - torch| / max(|torch|, 1e-6)."""
    return abs(burn - torch_) / max(abs(torch_), 1e-6)


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
    unknown = sorted({c["anchor"] for c in cases} - set(table))
    if unknown:
        sys.exit(f"benches/compare.py: no anchor for {', '.join(map(repr, unknown))} (see anchors())")
    rows = {c["case"]: {"case": c, "anchor": table[c["anchor"]][0], "torch": [], "burn": []} for c in cases}
    for r in range(args.rounds):
        for c in cases:
            name, row = c["case"], rows[c["case"]]
            fn = table[c["anchor"]][1]
            case_inputs = inputs(c["shape"], c["data"], c["classes"])
            if r == 0:  # the anchor's value, once per case (its first call: lazy set-up stays out of the timing)
                row["value"] = torch_value(fn, case_inputs)
            reps, warmups = (SLOW_ANCHOR_REPS[c["anchor"]], 0) if c["anchor"] in SLOW_ANCHOR_REPS else (args.reps, 2)
            row["torch"].append(time_torch(fn, case_inputs, grad_input(c["data"]), reps, warmups=warmups))
            out = subprocess.run([exe, "--case", name, "--device", args.device, "--reps", str(args.reps)],
                                 check=True, capture_output=True, text=True).stdout
            row["burn"].append(json.loads(out))
            print(f"round {r + 1}/{args.rounds} {name}: torch {row['torch'][-1]}, burn "
                  f"{row['burn'][-1]['forward_ms']:.2f} / {row['burn'][-1]['forward_backward_ms']:.2f} ms, value "
                  f"{row['burn'][-1].get('value')} vs torch {row['value']}", file=sys.stderr)

    def med(xs):
        return statistics.median(xs)

    def worst_diff(row):
        """The worst relative value difference over the rounds (NaN when a value is missing or not finite)."""
        diffs = [rel_diff(math.nan if b.get("value") is None else float(b["value"]), row["value"]) for b in row["burn"]]
        return math.nan if any(not math.isfinite(d) for d in diffs) else max(diffs)

    diffs = {name: worst_diff(row) for name, row in rows.items()}
    lines = [
        "# burn-losses vs PyTorch, side by side",
        "",
        f"Generated by `scripts/bench-compare.sh` (benches/compare.py + `cargo bench --bench compare`) on "
        f"{datetime.date.today().isoformat()}: {machine()}; torch {torch.__version__} with {threads} threads, "
        f"burn-losses on `{args.device}` (release); {args.rounds} alternating rounds of {args.reps} timed runs "
        "each, medians. Ratio = burn / torch (below 1: burn-losses is faster). Value rel. diff: "
        "|burn − torch| / max(|torch|, 1e-6) of the forward loss on the same float32 inputs, the worst over the "
        "rounds (each row computes the same loss). Peak extra memory: the host "
        "bytes one burn forward+backward holds beyond its inputs (graph, intermediates, input gradient), "
        "from a counting allocator; PyTorch's is not measured. Path: `fused` where a fused kernel computed the "
        "loss with autodiff (`burn_losses::fused_kernel_runs`), `composed` where its tensor ops did.",
        "",
        "| case | shape | PyTorch anchor | path | value rel. diff | torch fwd ms | burn fwd ms | ratio | "
        "torch fwd+bwd ms | burn fwd+bwd ms | ratio | burn peak extra / input |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    slower = []
    for name, row in rows.items():
        tf, tb = med([t[0] for t in row["torch"]]), med([t[1] for t in row["torch"]])
        bf, bb = med([b["forward_ms"] for b in row["burn"]]), med([b["forward_backward_ms"] for b in row["burn"]])
        peak = max(b["peak_extra_bytes"] for b in row["burn"]) / row["burn"][0]["input_bytes"]
        shape = "×".join(str(s) for s in row["case"]["shape"])
        diff = diffs[name]
        diff_text = "0" if diff == 0 else f"{diff:.0e}"
        path = row["burn"][0].get("path", "?")
        lines.append(f"| `{name}` | {shape} | {row['anchor']} | {path} | {diff_text} | {tf:.2f} | {bf:.2f} | "
                     f"{bf / tf:.2f} | {tb:.2f} | {bb:.2f} | {bb / tb:.2f} | {peak:.1f}× |")
        if path != "burn-nn" and "(fused kernels off)" not in row["case"]["loss"] and bb / tb > 1.0:
            slower.append((name, bb / tb, path, row["case"]["anchor"]))
    lines += ["", "Rows over 1× PyTorch's forward+backward time (burn-losses configs on their default path), "
              "with the reason:", ""]
    lines += [f"- `{name}` {ratio:.2f}× ({path}): {WHY_SLOWER.get(anchor, 'not analysed yet')}"
              for name, ratio, path, anchor in slower] or ["- none"]
    lines += ["", "Cases: `burn_*` are burn-nn's own losses on the same inputs (the in-run baseline); the others "
              "are burn-losses configs:", ""]
    lines += [f"- `{c['case']}`: `{c['loss']}`" for c in cases]
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {os.path.relpath(args.out, ROOT)}", file=sys.stderr)

    # NaN (a missing or non-finite value) fails both checks
    warn = [name for name, d in diffs.items() if not d <= VALUE_WARN]
    if warn:
        print(f"\nWARNING: {len(warn)} case(s) whose burn and torch forward values differ by more than "
              f"{VALUE_WARN:g} (relative):", file=sys.stderr)
        for name in warn:
            burn = [b.get("value") for b in rows[name]["burn"]]
            print(f"  {name}: rel. diff {diffs[name]:.3g}, burn {burn}, torch {rows[name]['value']!r} "
                  f"({rows[name]['anchor']})", file=sys.stderr)
    failed = [name for name, d in diffs.items() if not d <= VALUE_FAIL]
    if failed:
        sys.exit(f"benches/compare.py: {len(failed)} case(s) do not compute their anchor's loss (value rel. diff "
                 f"> {VALUE_FAIL:g}): {', '.join(failed)}")


if __name__ == "__main__":
    main()
