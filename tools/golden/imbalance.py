#!/usr/bin/env python3
"""Golden fixtures for the imbalance losses -> tests/fixtures/imbalance.json and tests/fixtures/sequences/ghm_momentum.json.

Anchors (see each case's `anchor`):
  * class_balanced -- the official TensorFlow class-balanced loss (richardaecn/class-balanced-loss,
    src/cifar_main.py: `_tower_fn` and `focal_loss`) and the PyTorch port
    (vandit15/Class-balanced-loss-pytorch, class_balanced_loss.py, whose "softmax" branch is our
    "softmax_bce"). TensorFlow is not a dependency, so both are re-created here from their formulas;
    the port's code was run against these re-creations when the fixtures were made.
  * ghm_c / ghm_r -- mmdetection 3.x GHMC / GHMR (mmdet/models/losses/ghm_loss.py with
    weight_reduce_loss from mmdet/models/losses/utils.py), re-created here in a vectorised form;
    the original classes were run against these re-creations (and produced the same sequence
    values) when the fixtures were made.
  * dsc -- self-adjusting Dice (Li et al., ACL 2020). ShannonAI/dice_loss_for_NLP loss/dice_loss.py
    (commit d1ff9e5295857f63e6884f997fdf64981811b473), class DiceLoss, is not installable: it is
    re-created below (ShannonAIDiceLoss, without its OHEM branch) and every case says so.
      - multiclass path, square_denominator=True = our per-instance form (batch false);
      - binary path (logits [N, 1], one sigmoid channel, sums over the whole batch) = our batch-true
        form on [N] logits (square, or not: its binary non-square denominator is global as well);
      - its multiclass non-square path divides each instance's numerator by the batch sums of the
        class (a quirk not copied): our per-instance non-square form is DiceLoss called on each
        instance alone (a batch of 1), which is what the fixtures use;
      - our batch-true multiclass form = its _compute_dice_loss on each softmax class column over
        the batch (the binary path's form), summed over classes;
      - `mask` multiplies probabilities and one-hot targets (so a masked instance drops out of every
        sum and has loss 0); "mean" is loss.mean() over all N instances, masked ones included.
    The survey's TensorFlow dice_loss / dsc_loss ("The Loss Function in Machine Learning", 2020) are
    re-created with torch ops: batch sums, sigmoid of [N] logits, smooth 1, alpha 0 / 1.

Inputs are drawn in float32 and the references run in float64 on exactly those values. Gradients
are d(sum of the loss output)/d(each float input that requires grad), as the CLI reports them; the
GHM `valid` masks (mmdet's label_weight) and the dsc targets and masks take no gradient. The
sequence file runs one GHM module over several calls so that its EMA of the bin counts
(momentum > 0) carries over, and records the loss of every call.

Random streams: each group of cases keeps the seeded stream it was drawn from when the fixtures were
made, so that its inputs (and so its values) stay as they were.
  * class_balanced, ghm_c, ghm_r and the sequences: torch.manual_seed(20261124) and a generator
    seeded 11, shared with the bce and balanced_bce cases (classification.py), which drew from it
    between the class_balanced and the GHM cases: `skip_bce_draws` repeats those draws (values
    discarded);
  * dsc (`dsc_cases`): torch.manual_seed(20261202) and a generator seeded 17, shared with the
    Lovász cases (segmentation.py), which drew from it first: `dsc_cases` repeats their draws
    (values discarded) before its own.

Re-run:  scripts/setup-torch-venv.sh --with-fixtures  &&  <venv>/bin/python tools/golden/imbalance.py
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from common import ROOT, Case, Draws, reduce_by_count, to_json, write_fixtures  # noqa: E402

torch.manual_seed(20261124)
G = torch.Generator().manual_seed(11)
D = Draws(G)
logits, binary_targets = D.logits, D.binary_targets

# mmdet's weight_reduce_loss adds float32 machine epsilon to avg_factor (= tot for GHM) on "mean".
F32_EPS = torch.finfo(torch.float32).eps


def class_targets(n, c):
    return torch.randint(0, c, (n,), generator=G)


cases = []

# ================================================================== class_balanced
TF_ANCHOR = "richardaecn/class-balanced-loss src/cifar_main.py"
PORT_ANCHOR = "vandit15/Class-balanced-loss-pytorch class_balanced_loss.py"


def effective_number_weights(samples_per_class, beta):
    """w_c = (1 - beta) / (1 - beta^n_c), rescaled so that the C weights sum to C (float64)."""
    counts = torch.tensor(samples_per_class, dtype=torch.float64)
    inv_effective = (1.0 - beta) / (1.0 - torch.pow(torch.tensor(beta, dtype=torch.float64), counts))
    return inv_effective / inv_effective.sum() * len(samples_per_class)


def class_balanced(x, target, samples_per_class, beta, base, gamma, reduction):
    n, c = x.shape
    w = effective_number_weights(samples_per_class, beta)[target]  # weight of each sample's class
    onehot = F.one_hot(target, c).double()
    if base == "softmax":
        # TF: softmax_cross_entropy(onehot, logits, weights=w_y); SUM_BY_NONZERO_WEIGHTS -> / N
        per_row = F.cross_entropy(x, target, reduction="none") * w
        count = n
    else:
        if base == "softmax_bce":
            # port "softmax": binary_cross_entropy(softmax(x), onehot, weight=w_y), mean over N*C
            terms = F.binary_cross_entropy(torch.softmax(x, dim=1), onehot, reduction="none")
            count = n * c
        else:
            terms = F.binary_cross_entropy_with_logits(x, onehot, reduction="none")
            if base == "focal" and gamma != 0.0:
                # (1 - p_t)^gamma written as in both anchors: exp(-g*y*x - g*log1p(exp(-x)))
                terms = torch.exp(-gamma * onehot * x - gamma * torch.log1p(torch.exp(-x))) * terms
            if base == "sigmoid":
                # the port's "sigmoid" (binary_cross_entropy_with_logits(weight=w_y), its `weights=`
                # typo fixed), mean over N*C, as this project defines base "sigmoid". The official TF code divides the
                # same sum by N: that is base "focal" with gamma 0.
                count = n * c
            else:
                # TF "focal" (and the port's focal): sum / sum(onehot) = / N
                count = onehot.sum()
        per_row = (terms * w[:, None]).sum(dim=1)
    return reduce_by_count(per_row, reduction, count=count)


CB_BASE_ANCHOR = {
    "softmax": f"official TF class-balanced softmax ({TF_ANCHOR} _tower_fn: tf.losses.softmax_cross_entropy "
               "with per-sample weight w_y, SUM_BY_NONZERO_WEIGHTS = sum/N); re-created in the generator "
               "(TensorFlow not installed)",
    "sigmoid": f"PyTorch port CB_loss 'sigmoid' branch ({PORT_ANCHOR}: binary_cross_entropy_with_logits("
               "logits, onehot, weight=w_y), mean over N*C; as published it passes `weights=` and raises "
               f"TypeError, fixed here); re-created in the generator. The official TF code ({TF_ANCHOR}) divides "
               "the same sum by N instead: base 'focal' with gamma 0",
    "focal": f"official TF focal_loss ({TF_ANCHOR}) = PyTorch port focal_loss ({PORT_ANCHOR}), "
             "sum / sum(onehot); re-created in the generator; cross-checked against the port's code",
    "softmax_bce": f"PyTorch port CB_loss 'softmax' branch ({PORT_ANCHOR}: binary_cross_entropy(softmax(x), "
                   "onehot, weight=w_y), mean over N*C); re-created in the generator; cross-checked against "
                   "the port's code",
}

SPC5 = [500, 120, 30, 7, 2]
SPC3 = [100, 10, 1]
SPC4 = [1000, 200, 40, 8]

for name, spc, beta, base, gamma, reduction, n, missing in [
    ("softmax/beta09999_mean", SPC5, 0.9999, "softmax", 2.0, "mean", 8, None),
    ("softmax/beta0_uniform_mean", SPC5, 0.0, "softmax", 2.0, "mean", 8, None),
    ("softmax/beta099999_sum", SPC3, 0.99999, "softmax", 2.0, "sum", 6, None),
    ("softmax/beta09_none_missing_class", SPC4, 0.9, "softmax", 2.0, "none", 7, 2),
    ("sigmoid/beta0999_mean", SPC5, 0.999, "sigmoid", 2.0, "mean", 8, None),
    ("sigmoid/beta0_uniform_sum", SPC3, 0.0, "sigmoid", 2.0, "sum", 6, None),
    ("sigmoid/beta09999_none_missing_class", SPC5, 0.9999, "sigmoid", 2.0, "none", 7, 4),
    ("focal/gamma2_beta09999_mean", SPC5, 0.9999, "focal", 2.0, "mean", 8, None),
    ("focal/gamma0_beta0999_mean", SPC4, 0.999, "focal", 0.0, "mean", 7, None),
    ("focal/gamma05_beta099999_sum", SPC3, 0.99999, "focal", 0.5, "sum", 6, None),
    ("focal/gamma2_beta09_none_missing_class", SPC5, 0.9, "focal", 2.0, "none", 8, 0),
    ("softmax_bce/beta09999_mean", SPC5, 0.9999, "softmax_bce", 2.0, "mean", 8, None),
    ("softmax_bce/beta0_uniform_mean", SPC3, 0.0, "softmax_bce", 2.0, "mean", 6, None),
    ("softmax_bce/beta099999_sum_missing_class", SPC4, 0.99999, "softmax_bce", 2.0, "sum", 7, 1),
    ("softmax_bce/beta0999_none", SPC3, 0.999, "softmax_bce", 2.0, "none", 6, None),
]:
    c = len(spc)
    x = logits(n, c).requires_grad_()
    t = class_targets(n, c)
    if missing is not None:  # this class does not occur in the batch
        t[t == missing] = (missing + 1) % c
    else:  # every class occurs at least once
        t[:c] = torch.arange(c)[torch.randperm(c, generator=G)]
    out = class_balanced(x, t, spc, beta, base, gamma, reduction)
    anchor = CB_BASE_ANCHOR[base]
    if base == "focal" and gamma == 0.0:
        anchor += "; at gamma 0 this is also the official TF 'sigmoid' loss (sum / N)"
    if reduction != "mean":
        anchor += f"; reduction '{reduction}' = the same terms undivided (the anchors only average)"
    cfg = {"type": "class_balanced", "samples_per_class": spc, "beta": beta, "base": base, "gamma": gamma,
           "reduction": reduction}
    cases.append(Case(f"class_balanced/{name}", anchor, cfg, {"input": x, "target": t}, out))

# the defaults (beta 0.9999, softmax, mean)
x = logits(6, 5).requires_grad_()
t = torch.tensor([0, 1, 2, 3, 4, 0])
cases.append(Case("class_balanced/defaults_softmax_beta09999", CB_BASE_ANCHOR["softmax"],
                  {"type": "class_balanced", "samples_per_class": SPC5}, {"input": x, "target": t},
                  class_balanced(x, t, SPC5, 0.9999, "softmax", 2.0, "mean")))


# ================================================================== bce, balanced_bce: their draws only
def skip_bce_draws():
    """Draws, and discards, what the bce and balanced_bce cases (classification.py) take from this
    stream between the class_balanced and the GHM cases: the same calls in the same order (the scale
    or threshold applied to a draw does not change what it consumes)."""

    def normal(*shape):  # logits
        torch.randn(*shape, generator=G)

    def uniform(*shape):  # probabilities, 0/1 or soft targets, per-sample weights
        torch.rand(*shape, generator=G)

    # bce on logits: input, target and, when weighted, a per-sample weight
    for shape, weighted in [((5, 3), False), ((3, 2, 4), False), ((3, 4), False), ((4, 3), False), ((4, 3), True),
                            ((3, 2, 3), True), ((4, 3), True)]:
        normal(*shape)
        uniform(*shape)
        if weighted:
            uniform(shape[0])
    # bce on probabilities (Keras): target, input
    for shape in [(4, 3), (2, 3, 4)]:
        uniform(*shape)
        uniform(*shape)
    # bce on probabilities with a per-sample weight: input, target, weight
    uniform(4, 3)
    uniform(4, 3)
    uniform(4)
    # bce on probabilities with pos_weight: input, target
    for shape in [(4, 3), (2, 2, 3)]:
        uniform(*shape)
        uniform(*shape)
    # bce defaults: input, target
    normal(3, 4)
    uniform(3, 4)
    # balanced_bce: input (logits or probabilities), target (unless all 0 or all 1), per-sample weight
    for shape, from_logits, drawn_target, weighted in [
        ((4, 5), True, True, False), ((4, 3), True, True, False), ((2, 3, 4), True, True, False),
        ((3, 4), True, False, False), ((3, 4), True, False, False), ((4, 4), False, True, False),
        ((4, 3), True, True, True), ((3, 4), False, True, True), ((1, 3, 4), True, True, False),
    ]:
        (normal if from_logits else uniform)(*shape)
        if drawn_target:
            uniform(*shape)
        if weighted:
            uniform(shape[0])


skip_bce_draws()


# ================================================================== GHM-C / GHM-R (mmdet 3.x)
GHMC_ANCHOR = ("mmdet GHMC (mmdet/models/losses/ghm_loss.py + weight_reduce_loss in utils.py, mmdetection 3.3.0), "
               "re-created in the generator; cross-checked against the original code")
GHMR_ANCHOR = GHMC_ANCHOR.replace("GHMC", "GHMR")
SUM_NOTE = "; reduction 'sum' = sum of the weighted terms (mmdet itself raises ValueError for 'sum' with avg_factor)"


def ghm_edges(bins, last):
    """Bin edges i/bins in float32 (as mmdet's buffer), the last one replaced by `last` (float32)."""
    e = torch.arange(bins + 1, dtype=torch.float32) / bins
    e[-1] = last
    return e.double()


GHMC_LAST = torch.tensor(1.0 + 1e-6, dtype=torch.float32).item()  # mmdet: edges[-1] += 1e-6 (float32)
GHMR_LAST = 1e3


def ghm_weights(g, mask, tot, bins, last_edge, momentum, acc):
    """Harmonizing weights: tot / (EMA of) the count of the element's bin, / number of non-empty bins.

    Bin i holds the masked elements with edges[i] <= g < edges[i + 1]; only non-empty bins update
    the EMA `acc` (a list, modified in place) and count as non-empty.
    """
    e = ghm_edges(bins, last_edge)
    inside = mask & (g < e[-1])
    idx = torch.bucketize(g, e[1:-1], right=True).clamp(max=bins - 1)  # number of inner edges <= g
    counts = torch.bincount(idx[inside], minlength=bins).tolist()
    per_bin = torch.zeros(bins, dtype=torch.float64)
    for i, cnt in enumerate(counts):
        if cnt:
            if momentum > 0:
                acc[i] = momentum * acc[i] + (1.0 - momentum) * cnt
                per_bin[i] = tot / acc[i]
            else:
                per_bin[i] = tot / cnt
    nonempty = sum(1 for cnt in counts if cnt)
    w = torch.where(inside, per_bin[idx], torch.zeros_like(g))
    return w / nonempty if nonempty else w


def mmdet_reduce(terms, reduction, tot):
    if reduction == "none":
        return terms
    if reduction == "sum":
        return terms.sum()
    return terms.sum() / (tot + F32_EPS)


def check_clear_of_edges(g, mask, bins, margin=1e-4):
    inner = ghm_edges(bins, 1.0)[1:-1]
    gm = g[mask]
    return gm.numel() == 0 or bool((gm[:, None] - inner[None, :]).abs().min() > margin)


def ghm_c(x, target, valid, bins, momentum, reduction, acc=None):
    c = x.shape[-1]
    if not target.is_floating_point():  # class indices [N] -> one-hot over C, others all-zero rows
        y = torch.zeros(target.shape[0], c, dtype=torch.float64)
        fg = (target >= 0) & (target < c)
        y[fg.nonzero().squeeze(1), target[fg]] = 1.0
        if valid is not None:
            valid = valid[:, None].expand(-1, c)
    else:
        y = target
    mask = (valid > 0) if valid is not None else torch.ones(x.shape, dtype=torch.bool)
    tot = max(float(mask.sum()), 1.0)  # count of valid elements
    g = (torch.sigmoid(x) - y).abs().detach()
    assert check_clear_of_edges(g, mask, bins), "a g value sits on a bin edge; draw again"
    w = ghm_weights(g, mask, tot, bins, GHMC_LAST, momentum, [0.0] * bins if acc is None else acc)
    return mmdet_reduce(w * F.binary_cross_entropy_with_logits(x, y, reduction="none"), reduction, tot)


def ghm_r(x, t, valid, mu, bins, momentum, reduction, acc=None):
    d = x - t
    root = torch.sqrt(d * d + mu * mu)
    asl1 = root - mu  # authentic smooth L1
    g = (d.abs() / root).detach()
    mask = (valid > 0) if valid is not None else torch.ones(x.shape, dtype=torch.bool)
    tot = max(float(valid.sum()) if valid is not None else float(x.numel()), 1.0)  # sum of label_weight
    assert check_clear_of_edges(g, mask, bins), "a g value sits on a bin edge; draw again"
    w = ghm_weights(g, mask, tot, bins, GHMR_LAST, momentum, [0.0] * bins if acc is None else acc)
    return mmdet_reduce(w * asl1, reduction, tot)


def ghmc_logits(y, bins, scale=2.5):
    """Logits for targets y whose gradient lengths keep clear of the bin edges."""
    for _ in range(100):
        x = logits(*y.shape, scale=scale)
        if check_clear_of_edges((torch.sigmoid(x) - y).abs(), torch.ones(y.shape, dtype=torch.bool), bins):
            return x
    raise RuntimeError("no draw clear of the bin edges")


def ghmr_pair(shape, mu, bins, spread):
    """(pred, target) whose differences spread g over the bins, clear of the edges."""
    for _ in range(100):
        t = logits(*shape, scale=1.0)
        x = (t + torch.randn(*shape, generator=G).double() * spread).float().double()
        d = x - t
        if check_clear_of_edges(d.abs() / torch.sqrt(d * d + mu * mu), torch.ones(shape, dtype=torch.bool), bins):
            return x, t
    raise RuntimeError("no draw clear of the bin edges")


def confident_logits(y):
    """Logits that are confident and right for the 0/1 targets y (|x| in [4, 7)): every g < 0.1, all in
    the first bin."""
    mag = (torch.rand(*y.shape, generator=G) * 3.0 + 4.0).float().double()
    return torch.where(y > 0, mag, -mag)


def valid_mask(*shape, zeros):
    v = torch.ones(*shape, dtype=torch.float64)
    v.view(-1)[torch.randperm(v.numel(), generator=G)[:zeros]] = 0.0
    return v


for name, shape, bins, momentum, reduction, kind in [
    ("defaults", (6, 4), 10, 0.0, "mean", "binary"),
    ("bins30_mean", (8, 5), 30, 0.0, "mean", "binary"),
    ("momentum075_single_call_mean", (6, 4), 10, 0.75, "mean", "binary"),
    ("valid_zeros_mean", (6, 4), 10, 0.0, "mean", "valid"),
    ("class_index_background_valid_mean", (7, 4), 10, 0.0, "mean", "index"),
    ("class_index_background_none", (6, 3), 10, 0.0, "none", "index"),
    ("one_bin_all_easy_mean", (5, 4), 10, 0.0, "mean", "easy"),
    ("valid_zeros_sum", (6, 4), 10, 0.0, "sum", "valid"),
    ("none_1d", (12,), 10, 0.0, "none", "binary"),
    ("momentum075_single_call_bins5_sum", (6, 3), 5, 0.75, "sum", "binary"),
]:
    valid = None
    if kind == "index":
        n, c = shape
        t = class_targets(n, c)
        t[0], t[3] = c, c  # background rows (index C -> all-zero targets)
        valid = torch.ones(n, dtype=torch.float64)
        valid[n - 2] = 0.0  # an ignored foreground row (its C elements leave the bins and tot)
        y = F.one_hot(t.clamp(max=c - 1), c).double() * (t < c).double()[:, None]
        x = ghmc_logits(y, bins).requires_grad_()
        target = t
    else:
        y = binary_targets(*shape)
        if kind == "easy":
            x = confident_logits(y)
        else:
            x = ghmc_logits(y, bins)
        x.requires_grad_()
        target = y.requires_grad_()
        if kind == "valid":
            valid = valid_mask(*shape, zeros=5)
    out = ghm_c(x, target, valid, bins, momentum, reduction)
    inputs = {"input": x, "target": target}
    if valid is not None:
        inputs["valid"] = valid
    cfg = {"type": "ghm_c", "bins": bins, "momentum": momentum, "reduction": reduction}
    if name == "defaults":
        cfg = {"type": "ghm_c"}
    cases.append(Case(f"ghm_c/{name}", GHMC_ANCHOR + (SUM_NOTE if reduction == "sum" else ""), cfg, inputs, out))

for name, shape, mu, bins, momentum, reduction, zeros, spread in [
    ("defaults", (6, 4), 0.02, 10, 0.0, "mean", 0, 0.05),
    ("mu01_mean", (6, 4), 0.1, 10, 0.0, "mean", 0, 0.2),
    ("bins5_mean", (8, 4), 0.02, 5, 0.0, "mean", 0, 0.05),
    ("momentum05_single_call_mean", (6, 4), 0.02, 10, 0.5, "mean", 0, 0.05),
    ("valid_zeros_mean", (6, 4), 0.02, 10, 0.0, "mean", 6, 0.05),
    ("valid_zeros_sum", (5, 4), 0.02, 10, 0.0, "sum", 4, 0.05),
    ("none", (4, 4), 0.05, 10, 0.0, "none", 0, 0.1),
]:
    x, t = ghmr_pair(shape, mu, bins, spread)
    x.requires_grad_()
    t.requires_grad_()
    valid = valid_mask(*shape, zeros=zeros) if zeros else None
    out = ghm_r(x, t, valid, mu, bins, momentum, reduction)
    inputs = {"input": x, "target": t}
    if valid is not None:
        inputs["valid"] = valid
    cfg = {"type": "ghm_r", "mu": mu, "bins": bins, "momentum": momentum, "reduction": reduction}
    if name == "defaults":
        cfg = {"type": "ghm_r"}
    cases.append(Case(f"ghm_r/{name}", GHMR_ANCHOR + (SUM_NOTE if reduction == "sum" else ""), cfg, inputs, out))


# ================================================================== dsc (self-adjusting Dice)
SHANNON = ("ShannonAI/dice_loss_for_NLP loss/dice_loss.py DiceLoss (d1ff9e5), re-created in the generator "
           "(not installable)")
DSC_SURVEY_ANCHOR = "loss-function survey (2020) TensorFlow dsc_loss / dice_loss, re-created with torch"


class ShannonAIDiceLoss:
    """Re-creation of ShannonAI/dice_loss_for_NLP loss/dice_loss.py `DiceLoss` (ohem_ratio 0 only).

    forward: input.shape[-1] == 1 -> binary path, else multiclass path; then reduction "mean" =
    loss.mean(), "sum" = loss.sum(), anything else = loss unreduced.
    """

    def __init__(self, smooth=1e-4, square_denominator=False, with_logits=True, alpha=0.0, reduction="mean",
                 index_label_position=True):
        self.smooth, self.square_denominator, self.with_logits = smooth, square_denominator, with_logits
        self.alpha, self.reduction, self.index_label_position = alpha, reduction, index_label_position

    def __call__(self, input, target, mask=None):
        c = input.shape[-1]
        loss = self.binary(input, target, mask) if c == 1 else self.multiclass(input, target, c, mask)
        return {"mean": loss.mean, "sum": loss.sum}.get(self.reduction, lambda: loss)()

    def dice(self, p, y):
        """_compute_dice_loss: p~ = (1 - p)^alpha * p; intersection summed over the last dim; the
        non-square denominator sums over EVERYTHING (p~.sum() + y.sum()), the square one over the last dim."""
        p = ((1 - p) ** self.alpha) * p
        inter = (p * y).sum(-1)
        if self.square_denominator:
            den = (p * p).sum(-1) + (y * y).sum(-1) + self.smooth
        else:
            den = p.sum() + y.sum() + self.smooth
        return 1 - (2 * inter + self.smooth) / den

    def multiclass(self, input, target, c, mask):
        y = F.one_hot(target, num_classes=c).to(input.dtype) if self.index_label_position else target.to(input.dtype)
        p = torch.softmax(input, dim=1) if self.with_logits else input
        if mask is not None:  # broadcasts against [N, C]: must be [N, 1] to mask instances
            p, y = p * mask, y * mask
        loss = None
        for k in range(c):  # each class column as [N, 1]: one ratio per instance
            lk = self.dice(p[:, k].view(-1, 1), y[:, k].view(-1, 1))
            loss = lk if loss is None else loss + lk
        return loss

    def binary(self, input, target, mask):
        p = input.view(-1)
        y = target.view(-1).to(input.dtype)
        p = torch.sigmoid(p) if self.with_logits else p
        if mask is not None:  # broadcasts against [N]: must be [N] (an [N, 1] mask broadcasts to [N, N])
            p, y = p * mask, y * mask
        return self.dice(p, y)


def dsc_formula(x, t, alpha, smooth, square, batch, mask, reduction):
    """Our spec, written out: per (instance, class) or per class over the batch, summed over classes."""
    if x.dim() == 1:
        p = torch.sigmoid(x).unsqueeze(1)
        y = t.double().unsqueeze(1)
    else:
        p = torch.softmax(x, dim=1)
        y = F.one_hot(t, x.shape[1]).double()
    m = torch.ones(x.shape[0], 1, dtype=torch.float64) if mask is None else mask.view(-1, 1)
    pt = (1 - p) ** alpha * p * m
    y = y * m
    sq = (lambda v: v * v) if square else (lambda v: v)
    if batch:
        per_class = 1 - (2 * (pt * y).sum(0) + smooth) / (sq(pt).sum(0) + sq(y).sum(0) + smooth)
        total = per_class.sum()
        return total.reshape(1) if reduction == "none" else total
    per = (1 - (2 * pt * y + smooth) / (sq(pt) + sq(y) + smooth)).sum(1)
    return {"mean": per.mean, "sum": per.sum}.get(reduction, lambda: per)()


def tf_dice(x, y, smooth=1.0):
    """the survey's dice_loss: 1 - (2 sum(p y) + smooth) / (sum p + sum y + smooth), p = sigmoid(logits)."""
    p = torch.sigmoid(x)
    return 1 - (2 * (p * y).sum() + smooth) / (p.sum() + y.sum() + smooth)


def tf_dsc(x, y, smooth=1.0):
    """the survey's dsc_loss: as dice_loss with p~ = (1 - p) p in place of p."""
    p = torch.sigmoid(x)
    pt = (1 - p) * p
    return 1 - (2 * (pt * y).sum() + smooth) / (pt.sum() + y.sum() + smooth)


def dsc_ref(x, t, alpha, smooth, square, batch, mask, reduction):
    """The anchor computation of one config (see the module docstring); returns (output, anchor)."""
    multiclass = x.dim() == 2
    shannon = ShannonAIDiceLoss(smooth=smooth, square_denominator=square, with_logits=True, alpha=alpha,
                                reduction=reduction)
    if multiclass and not batch and square:
        out = shannon(x, t, mask=None if mask is None else mask.view(-1, 1))
        anchor = (f"{SHANNON}: DiceLoss(smooth={smooth}, square_denominator=True, alpha={alpha}, "
                  f"reduction='{reduction}') multiclass path" + (", mask as [N, 1]" if mask is not None else ""))
    elif not batch:
        # each instance alone (a batch of 1), then reduced over the N instances as the multiclass path does
        per = []
        for i in range(x.shape[0]):
            one = ShannonAIDiceLoss(smooth=smooth, square_denominator=square, alpha=alpha, reduction="none")
            mi = None if mask is None else (mask[i:i + 1].view(1, 1) if multiclass else mask[i:i + 1])
            xi = x[i:i + 1] if multiclass else x[i:i + 1].view(1, 1)
            ti = t[i:i + 1] if multiclass else t[i:i + 1].view(1, 1)
            per.append(one(xi, ti, mask=mi).reshape(()))
        per = torch.stack(per)
        out = {"mean": per.mean, "sum": per.sum}.get(reduction, lambda: per)()
        path = "multiclass" if multiclass else "binary (logits [1, 1])"
        why = ("; on a whole batch its non-square multiclass path divides each instance's numerator by the batch "
               "sums, a quirk not copied" if multiclass and not square else "")
        anchor = (f"{SHANNON}: DiceLoss(smooth={smooth}, square_denominator={square}, alpha={alpha}) {path} path "
                  f"on each instance alone (a batch of 1){why}; then reduction '{reduction}' over all N instances "
                  "as its multiclass path does" + (" (masked instances count, with loss 0)" if mask is not None else ""))
    elif not multiclass:
        out = shannon(x.view(-1, 1), t.view(-1, 1), mask=mask)
        out = out.reshape(1) if reduction == "none" else out
        anchor = (f"{SHANNON}: DiceLoss(smooth={smooth}, square_denominator={square}, alpha={alpha}, "
                  f"reduction='{reduction}') binary path (logits [N, 1]: sigmoid, sums over the batch)"
                  + (", mask as [N]" if mask is not None else "")
                  + ("; its 0-d output as [1] for reduction 'none'" if reduction == "none" else ""))
    else:
        p = torch.softmax(x, dim=1)
        y = F.one_hot(t, x.shape[1]).double()
        if mask is not None:
            p, y = p * mask.view(-1, 1), y * mask.view(-1, 1)
        out = sum(shannon.dice(p[:, k], y[:, k]) for k in range(x.shape[1]))
        out = out.reshape(1) if reduction == "none" else out
        anchor = (f"{SHANNON}: _compute_dice_loss(smooth={smooth}, square_denominator={square}, alpha={alpha}) on "
                  "each softmax class column over the whole batch (its binary-path form), summed over classes"
                  + (", mask applied as in DiceLoss" if mask is not None else "")
                  + ("; as [1] for reduction 'none'" if reduction == "none" else ""))
    ours = dsc_formula(x, t, alpha, smooth, square, batch, mask, reduction)
    assert ours.shape == out.shape and torch.allclose(ours, out, rtol=1e-12, atol=1e-12), (ours, out)
    return out, anchor


DSC_CASES = [
    # name, n, c (None: [N] logits), alpha, smooth, square, batch, masked, reduction, partial config
    ("multiclass/square_a1_s1_mean", 6, 4, 1.0, 1.0, True, False, False, "mean", False),
    ("multiclass/square_a0_s1_sum", 8, 4, 0.0, 1.0, True, False, False, "sum", False),
    ("multiclass/square_a01_s1e-4_none", 7, 3, 0.1, 1e-4, True, False, False, "none", False),
    ("multiclass/square_a2_s1_mean_mask", 8, 4, 2.0, 1.0, True, False, True, "mean", False),
    ("multiclass/square_a1_s1e-4_none_mask", 7, 5, 1.0, 1e-4, True, False, True, "none", False),
    ("multiclass/square_a01_s1_sum_mask", 8, 3, 0.1, 1.0, True, False, True, "sum", False),
    ("multiclass/square_a2_s1e-4_mean", 6, 4, 2.0, 1e-4, True, False, False, "mean", False),
    ("multiclass/defaults_nonsquare_a1_s1_mean", 6, 4, 1.0, 1.0, False, False, False, "mean", True),
    ("multiclass/nonsquare_a2_s1e-4_none_mask", 7, 3, 2.0, 1e-4, False, False, True, "none", False),
    ("multiclass/batch_square_a1_s1_mean", 6, 4, 1.0, 1.0, True, True, False, "mean", False),
    ("multiclass/batch_nonsquare_a0_s1_none_mask", 8, 3, 0.0, 1.0, False, True, True, "none", False),
    ("binary/batch_square_a1_s1_mean", 10, None, 1.0, 1.0, True, True, False, "mean", False),
    ("binary/batch_square_a0_s1e-4_mean_mask", 10, None, 0.0, 1e-4, True, True, True, "mean", False),
    ("binary/batch_square_a2_s1_none_mask", 9, None, 2.0, 1.0, True, True, True, "none", False),
    ("binary/batch_square_a01_s1_sum", 9, None, 0.1, 1.0, True, True, False, "sum", False),
    ("binary/square_a1_s1_none", 8, None, 1.0, 1.0, True, False, False, "none", False),
    ("binary/nonsquare_a2_s1e-4_mean_mask", 8, None, 2.0, 1e-4, False, False, True, "mean", False),
]


def dsc_cases():
    """The dsc cases, from the random stream of the Lovász cases (after their draws)."""
    torch.manual_seed(20261202)
    G = torch.Generator().manual_seed(17)
    logits = Draws(G).logits

    # The Lovász cases (segmentation.py) drew their inputs from this stream first, each draw repeated
    # until well separated (the first draw of softmax/all_2d_class_absent was not): the same draws,
    # values discarded. Each: logits, then the target (softmax: class indices, re-drawn where class 3
    # is removed; hinge: uniform draws for 0/1 targets), then the ignored pixels.
    for mode, shape, class3_removed, ignored, draws in [
        ("softmax", (2, 3, 2, 4), False, False, 1), ("softmax", (2, 4, 2, 3), True, False, 1),
        ("softmax", (2, 4, 2, 3), True, False, 2), ("softmax", (2, 3, 2, 4), False, False, 1),
        ("softmax", (3, 3, 2, 3), False, False, 1), ("softmax", (3, 3, 2, 3), False, False, 1),
        ("softmax", (2, 3, 3, 3), False, True, 1), ("softmax", (2, 4, 2, 3), False, True, 1),
        ("softmax", (2, 3, 2, 2, 2), False, False, 1), ("softmax", (2, 3, 2, 2, 2), False, True, 1),
        ("softmax", (3, 3, 2, 3), False, False, 1), ("softmax", (2, 3, 2, 3), False, True, 1),
        ("softmax", (2, 3, 2, 3), False, False, 1),
        ("hinge", (2, 3, 4), False, False, 1), ("hinge", (3, 3, 4), False, False, 1),
        ("hinge", (3, 3, 3), False, False, 1), ("hinge", (3, 3, 4), False, True, 1),
        ("hinge", (2, 2, 3, 3), False, True, 1), ("hinge", (3, 8), False, False, 1),
        ("hinge", (3, 3, 3), False, True, 1), ("hinge", (2, 3, 4), False, False, 1),
    ]:
        for _ in range(draws):
            logits(*shape)
            if mode == "softmax":
                t = torch.randint(0, shape[1], (shape[0], *shape[2:]), generator=G)
                if class3_removed:
                    torch.randint(0, 3, (int((t == 3).sum()),), generator=G)
            else:
                t = torch.rand(*shape, generator=G)
            if ignored:
                torch.rand(t.shape, generator=G)

    for name, n, c, alpha, smooth, square, batch, masked, reduction, partial in DSC_CASES:
        x = logits(n) if c is None else logits(n, c)
        if c is None:
            t = (torch.rand(n, generator=G) < 0.4).long()
            t[:2] = torch.tensor([0, 1])
        else:
            t = torch.randint(0, c, (n,), generator=G)
            t[:c] = torch.randperm(c, generator=G)[: min(c, n)]  # every class occurs
        mask = None
        if masked:
            mask = torch.ones(n, dtype=torch.float64)
            mask[torch.randperm(n, generator=G)[: max(2, n // 4)]] = 0.0
        x.requires_grad_()
        out, anchor = dsc_ref(x, t, alpha, smooth, square, batch, mask, reduction)
        cfg = {"type": "dsc"} if partial else {"type": "dsc", "alpha": alpha, "smooth": smooth,
                                               "square_denominator": square, "batch": batch, "reduction": reduction}
        inputs = {"input": x, "target": t}
        if mask is not None:
            inputs["mask"] = mask
        cases.append(Case(f"dsc/{name}", anchor, cfg, inputs, out))

    # the survey's TensorFlow functions: batch sums over sigmoid probabilities of [N] logits, smooth 1
    for name, n, fn, alpha in [
        ("tf/dsc_loss_a", 10, tf_dsc, 1.0),
        ("tf/dsc_loss_b", 12, tf_dsc, 1.0),
        ("tf/dsc_loss_c_all_negative", 8, tf_dsc, 1.0),
        ("tf/dice_loss_a", 10, tf_dice, 0.0),
        ("tf/dice_loss_b", 12, tf_dice, 0.0),
        ("tf/dice_loss_c_all_positive", 8, tf_dice, 0.0),
    ]:
        x = logits(n).requires_grad_()
        if name.endswith("all_negative"):
            t = torch.zeros(n, dtype=torch.long)
        elif name.endswith("all_positive"):
            t = torch.ones(n, dtype=torch.long)
        else:
            t = (torch.rand(n, generator=G) < 0.4).long()
            t[:2] = torch.tensor([0, 1])
        out = fn(x, t.double())
        # = ShannonAI's binary path without square_denominator (its denominator sums over the batch too)
        same = ShannonAIDiceLoss(smooth=1.0, square_denominator=False, alpha=alpha)(x.view(-1, 1), t.view(-1, 1))
        assert torch.allclose(same, out, rtol=1e-12, atol=1e-12)
        assert torch.allclose(dsc_formula(x, t, alpha, 1.0, False, True, None, "mean"), out, rtol=1e-12, atol=1e-12)
        anchor = (f"{DSC_SURVEY_ANCHOR} ({fn.__name__.replace('tf_', '')}_loss, smooth 1, sums over the batch); equals "
                  f"{SHANNON} binary path with square_denominator=False, alpha={alpha}")
        cfg = {"type": "dsc", "alpha": alpha, "smooth": 1.0, "square_denominator": False, "batch": True,
               "reduction": "mean"}
        cases.append(Case(f"dsc/{name}", anchor, cfg, {"input": x, "target": t}, out))


dsc_cases()

write_fixtures("imbalance", __doc__, cases, {
    "torch": torch.__version__,
    "ShannonAI/dice_loss_for_NLP": "d1ff9e5295857f63e6884f997fdf64981811b473 (loss/dice_loss.py, re-created)",
})

# ================================================================== sequences: GHM momentum EMA across calls
sequences = []


def sequence_case(name, anchor, cfg, steps_inputs, run):
    acc = [0.0] * cfg["bins"]
    steps = []
    for inputs in steps_inputs:
        steps.append({"inputs": {k: to_json(v) for k, v in inputs.items()},
                      "expected": {"loss": to_json(run(inputs, acc))}})
    sequences.append({"name": name, "anchor": anchor, "loss": cfg, "steps": steps,
                      "tolerance": {"rtol": 2e-5, "atol": 1e-6}})


def ghmc_step(shape, easy=False):
    y = binary_targets(*shape)
    if easy:
        return {"input": confident_logits(y), "target": y}
    return {"input": ghmc_logits(y, 10), "target": y}


SEQ_NOTE = "; one module over successive calls, its acc_sum EMA carried over (run on the original code)"

cfg = {"type": "ghm_c", "bins": 10, "momentum": 0.75, "reduction": "mean"}
sequence_case("ghm_c/momentum075/three_steps", GHMC_ANCHOR + SEQ_NOTE, cfg,
              [ghmc_step((6, 4)), ghmc_step((5, 4)), ghmc_step((6, 4))],
              lambda s, acc: ghm_c(s["input"], s["target"], None, 10, 0.75, "mean", acc))

# step 2 fills only the first bin: the other bins' EMA must stay as they were (not decay), and
# steps 3 and 4 find them again.
steps = [ghmc_step((6, 4)), ghmc_step((5, 4), easy=True), ghmc_step((6, 4)), ghmc_step((4, 4))]
steps[2]["valid"] = valid_mask(6, 4, zeros=4)
sequence_case("ghm_c/momentum075/bins_empty_then_filled", GHMC_ANCHOR + SEQ_NOTE, cfg, steps,
              lambda s, acc: ghm_c(s["input"], s["target"], s.get("valid"), 10, 0.75, "mean", acc))


def ghmr_step(shape, spread):
    x, t = ghmr_pair(shape, 0.02, 10, spread)
    return {"input": x, "target": t}


cfg = {"type": "ghm_r", "mu": 0.02, "bins": 10, "momentum": 0.5, "reduction": "mean"}
steps = [ghmr_step((6, 4), 0.05), ghmr_step((5, 4), 0.02), ghmr_step((6, 4), 0.2)]
steps[1]["valid"] = valid_mask(5, 4, zeros=3)
sequence_case("ghm_r/momentum05/three_steps", GHMR_ANCHOR + SEQ_NOTE, cfg, steps,
              lambda s, acc: ghm_r(s["input"], s["target"], s.get("valid"), 0.02, 10, 0.5, "mean", acc))

path = os.path.join(ROOT, "tests", "fixtures", "sequences", "ghm_momentum.json")
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w") as f:
    json.dump({"generator": "tools/golden/imbalance.py",
               "description": "GHM-C / GHM-R with momentum > 0: the loss of each of several successive calls "
                              "of one module, whose EMA of the bin counts (mmdet's acc_sum) carries over",
               "cases": sequences}, f, indent=1)
    f.write("\n")
print(f"wrote {len(sequences)} sequences to {os.path.relpath(path, ROOT)}")
