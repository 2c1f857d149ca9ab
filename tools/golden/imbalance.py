#!/usr/bin/env python3
"""Golden fixtures for the imbalance losses -> tests/fixtures/imbalance.json and tests/fixtures/sequences/ghm_momentum.json.

Anchors (see each case's `anchor`):
  * class_balanced -- the official TensorFlow class-balanced loss (richardaecn/class-balanced-loss,
    src/cifar_main.py: `_tower_fn` and `focal_loss`) and the PyTorch port
    (vandit15/Class-balanced-loss-pytorch, class_balanced_loss.py, whose "softmax" branch is our
    "softmax_bce"). TensorFlow is not a dependency, so both are re-created here from their formulas;
    the port's code was run against these re-creations when the fixtures were made.
  * bce -- torch.nn.functional.binary_cross_entropy_with_logits (logits) and Keras 3
    binary cross-entropy (probabilities, KERAS_BACKEND=torch); pos_weight with probabilities is
    re-created.
  * balanced_bce -- HED's class-balanced cross-entropy (Xie & Tu 2015), re-created (the Caffe layer
    is not installable), beta taken over the whole batch (HED: per image; one case has one image).
  * ghm_c / ghm_r -- mmdetection 3.x GHMC / GHMR (mmdet/models/losses/ghm_loss.py with
    weight_reduce_loss from mmdet/models/losses/utils.py), re-created here in a vectorised form;
    the original classes were run against these re-creations (and produced the same sequence
    values) when the fixtures were made.

Inputs are drawn in float32 and the references run in float64 on exactly those values. Gradients
are d(sum of the loss output)/d(each float input that requires grad), as the CLI reports them; the
GHM `valid` masks (mmdet's label_weight) take no gradient. The sequence file runs one GHM module
over several calls so that its EMA of the bin counts (momentum > 0) carries over, and records the
loss of every call.

Re-run:  scripts/setup-torch-venv.sh --with-fixtures  &&  <venv>/bin/python tools/golden/imbalance.py
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from common import ROOT, Case, to_json, write_fixtures  # noqa: E402

torch.manual_seed(20261124)
G = torch.Generator().manual_seed(11)

# mmdet's weight_reduce_loss adds float32 machine epsilon to avg_factor (= tot for GHM) on "mean".
F32_EPS = torch.finfo(torch.float32).eps


def logits(*shape, scale=2.0):
    return (torch.randn(*shape, generator=G) * scale).float().double()


def probs(*shape):
    return torch.rand(*shape, generator=G).float().double()


def binary_targets(*shape, p=0.4):
    return (torch.rand(*shape, generator=G) < p).double()


def soft_targets(*shape):
    return torch.rand(*shape, generator=G).float().double()


def class_targets(n, c):
    return torch.randint(0, c, (n,), generator=G)


def weights(n):
    return (torch.rand(n, generator=G) * 2.0).float().double()


def reduce(loss, reduction, count=None):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / (loss.numel() if count is None else count)


def per_sample(w, like):
    """A per-sample weight [N] shaped to broadcast over the trailing dimensions of `like`."""
    return w.view(-1, *([1] * (like.dim() - 1)))


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
    return reduce(per_row, reduction, count=count)


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

# ================================================================== bce (pos_weight, label smoothing)
BCE_ANCHOR = "torch.nn.functional.binary_cross_entropy_with_logits(pos_weight=)"
KERAS_BCE_ANCHOR = ("keras.losses.binary_crossentropy(from_logits=False, label_smoothing=) "
                    "(mean over the last axis, scaled back to all elements)")


def smooth(y, s):
    return y * (1.0 - s) + 0.5 * s if s else y


for name, shape, pos_weight, ls, soft, use_weight, reduction in [
    ("logits_pos_weight_mean", (5, 3), [0.5, 2.0, 4.0], 0.0, False, False, "mean"),
    ("logits_pos_weight_nd_sum", (3, 2, 4), [1.0, 3.0, 0.25, 8.0], 0.0, False, False, "sum"),
    ("logits_soft_ls01_none", (3, 4), None, 0.1, True, False, "none"),
    ("logits_pos_weight_ls02_mean", (4, 3), [3.0, 0.5, 1.5], 0.2, False, False, "mean"),
    ("logits_sample_weight_mean", (4, 3), None, 0.0, True, True, "mean"),
    ("logits_pos_weight_sample_weight_nd_none", (3, 2, 3), [2.0, 0.5, 5.0], 0.0, False, True, "none"),
    ("logits_pos_weight_sample_weight_ls01_sum", (4, 3), [4.0, 1.0, 0.2], 0.1, True, True, "sum"),
]:
    x = logits(*shape).requires_grad_()
    y = (soft_targets(*shape) if soft else binary_targets(*shape)).requires_grad_()
    pw = None if pos_weight is None else torch.tensor(pos_weight, dtype=torch.float64)
    el = F.binary_cross_entropy_with_logits(x, smooth(y, ls), pos_weight=pw, reduction="none")
    inputs = {"input": x, "target": y}
    if use_weight:
        w = weights(shape[0]).requires_grad_()
        el = el * per_sample(w, el)
        inputs["weight"] = w
    anchor = BCE_ANCHOR + (" x per-sample weight" if use_weight else "") + \
        (" on Keras-smoothed targets y(1-s)+s/2" if ls else "")
    cases.append(Case(f"bce/{name}", anchor,
                      {"type": "bce", "pos_weight": pos_weight, "from_logits": True, "label_smoothing": ls,
                       "epsilon": 1e-7, "reduction": reduction}, inputs, reduce(el, reduction)))

# probabilities: Keras 3 (clip to [eps, 1 - eps])
for name, shape, ls, reduction, extremes in [
    ("probs_mean_with_zeros", (4, 3), 0.0, "mean", True),
    ("probs_ls02_nd_sum", (2, 3, 4), 0.2, "sum", False),
]:
    y = binary_targets(*shape)
    p = probs(*shape)
    if extremes:  # exactly 0 for a positive and a negative: clipped to eps, no gradient through the clip
        # (no exact 1: clipping at 1 - eps is not representable alike in float32 and float64)
        p.view(-1)[int((y.view(-1) > 0).nonzero()[0])] = 0.0
        p.view(-1)[int((y.view(-1) == 0).nonzero()[0])] = 0.0
    p.requires_grad_()
    y.requires_grad_()
    per_row = keras.losses.binary_crossentropy(y, p, from_logits=False, label_smoothing=ls)
    out = per_row.mean() if reduction == "mean" else per_row.sum() * shape[-1]
    cases.append(Case(f"bce/keras/{name}", KERAS_BCE_ANCHOR,
                      {"type": "bce", "pos_weight": None, "from_logits": False, "label_smoothing": ls,
                       "epsilon": 1e-7, "reduction": reduction}, {"input": p, "target": y}, out))

# probabilities, element-wise (none) with a per-sample weight: keras.ops.binary_crossentropy
p = probs(4, 3).requires_grad_()
y = soft_targets(4, 3).requires_grad_()
w = weights(4).requires_grad_()
el = keras.ops.binary_crossentropy(smooth(y, 0.1), p, from_logits=False) * w[:, None]
cases.append(Case("bce/keras/probs_soft_ls01_sample_weight_none",
                  "keras.ops.binary_crossentropy(from_logits=False) on Keras-smoothed targets y(1-s)+s/2, "
                  "x per-sample weight",
                  {"type": "bce", "from_logits": False, "label_smoothing": 0.1, "reduction": "none"},
                  {"input": p, "target": y, "weight": w}, el))


def bce_probs_pos_weight(p, y, pos_weight, eps):
    """-[pw * y * log(p^) + (1 - y) * log(1 - p^)] with p^ = clip(p, eps, 1 - eps)."""
    pc = p.clamp(eps, 1.0 - eps)
    return -(pos_weight * y * torch.log(pc) + (1.0 - y) * torch.log(1.0 - pc))


for name, shape, pos_weight, ls, reduction in [
    ("probs_pos_weight_mean", (4, 3), [0.5, 2.0, 6.0], 0.0, "mean"),
    ("probs_pos_weight_ls01_nd_none", (2, 2, 3), [3.0, 1.0, 0.25], 0.1, "none"),
]:
    p = probs(*shape).requires_grad_()
    y = binary_targets(*shape).requires_grad_()
    el = bce_probs_pos_weight(p, smooth(y, ls), torch.tensor(pos_weight, dtype=torch.float64), 1e-7)
    cases.append(Case(f"bce/{name}",
                      "Keras-style clipped-probability BCE with pos_weight on the positive term "
                      "(-[pw*y*log p^ + (1-y)*log(1-p^)], p^ = clip(p, eps, 1-eps)); re-created in the generator",
                      {"type": "bce", "pos_weight": pos_weight, "from_logits": False, "label_smoothing": ls,
                       "epsilon": 1e-7, "reduction": reduction}, {"input": p, "target": y}, reduce(el, reduction)))

# the defaults (logits, mean)
x = logits(3, 4).requires_grad_()
y = binary_targets(3, 4).requires_grad_()
cases.append(Case("bce/defaults", "torch.nn.functional.binary_cross_entropy_with_logits", {"type": "bce"},
                  {"input": x, "target": y}, F.binary_cross_entropy_with_logits(x, y)))

# ================================================================== balanced_bce (HED)
HED_ANCHOR = ("HED class-balanced cross-entropy (Xie & Tu 2015; s9xie/hed "
              "src/caffe/layers/sigmoid_cross_entropy_loss_layer.cpp), re-created in the generator (the Caffe "
              "layer is not installable) with beta = fraction of negatives over the whole batch, no gradient "
              "(the layer takes beta per image and divides the sum by the number of images: the same value "
              "for one image with reduction 'sum')")


def balanced_bce(x, y, beta, from_logits, eps, weight, reduction):
    """-[beta*y*log p + (1-beta)*(1-y)*log(1-p)]; beta=None -> fraction of negatives, no gradient."""
    b = 1.0 - y.detach().mean() if beta is None else beta
    if from_logits:
        log_p, log_q = F.logsigmoid(x), F.logsigmoid(-x)
    else:
        pc = x.clamp(eps, 1.0 - eps)
        log_p, log_q = torch.log(pc), torch.log(1.0 - pc)
    el = -(b * y * log_p + (1.0 - b) * (1.0 - y) * log_q)
    if weight is not None:
        el = el * per_sample(weight, el)
    return reduce(el, reduction)


for name, shape, beta, from_logits, target_kind, use_weight, reduction in [
    ("beta_null_mean", (4, 5), None, True, "binary", False, "mean"),
    ("beta03_sum", (4, 3), 0.3, True, "binary", False, "sum"),
    ("beta_null_nd_none", (2, 3, 4), None, True, "binary", False, "none"),
    ("all_negative_beta1_zero", (3, 4), None, True, "zeros", False, "mean"),
    ("all_positive_beta0_zero", (3, 4), None, True, "ones", False, "sum"),
    ("probs_beta_null_mean", (4, 4), None, False, "binary", False, "mean"),
    ("beta_null_sample_weight_mean", (4, 3), None, True, "binary", True, "mean"),
    ("probs_soft_beta03_sample_weight_none", (3, 4), 0.3, False, "soft", True, "none"),
    # one image with 0/1 labels, summed: exactly the HED layer's per-image value (its loss / num)
    ("hed_single_image_sum", (1, 3, 4), None, True, "binary", False, "sum"),
]:
    x = (logits(*shape) if from_logits else probs(*shape)).requires_grad_()
    y = {"binary": lambda: binary_targets(*shape, p=0.3), "soft": lambda: soft_targets(*shape),
         "zeros": lambda: torch.zeros(*shape, dtype=torch.float64),
         "ones": lambda: torch.ones(*shape, dtype=torch.float64)}[target_kind]().requires_grad_()
    inputs = {"input": x, "target": y}
    w = None
    if use_weight:
        w = weights(shape[0]).requires_grad_()
        inputs["weight"] = w
    out = balanced_bce(x, y, beta, from_logits, 1e-7, w, reduction)
    cases.append(Case(f"balanced_bce/{name}", HED_ANCHOR + (" x per-sample weight" if use_weight else ""),
                      {"type": "balanced_bce", "beta": beta, "from_logits": from_logits, "epsilon": 1e-7,
                       "reduction": reduction}, inputs, out))

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
        if kind == "easy":  # confident and right: every g < 0.1, all in the first bin
            mag = (torch.rand(*shape, generator=G) * 3.0 + 4.0).float().double()
            x = torch.where(y > 0, mag, -mag)
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

write_fixtures("imbalance", __doc__, cases, {"torch": torch.__version__, "keras": keras.__version__})

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
        mag = (torch.rand(*shape, generator=G) * 3.0 + 4.0).float().double()
        return {"input": torch.where(y > 0, mag, -mag), "target": y}
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
