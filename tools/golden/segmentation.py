#!/usr/bin/env python3
"""Golden fixtures for the segmentation losses (Dice-type overlap and Lovász) -> tests/fixtures/segmentation.json.

Anchors (see each case's `anchor`), pinned in requirements.txt:
  * dice -- monai.losses.DiceLoss (MONAI 1.6.1), including its `ignore_index`; masks via
    monai.losses.MaskedDiceLoss (fed one-hot targets: with `to_onehot_y` it multiplies the class
    indices by the mask, turning masked pixels into background targets); the V-Net-style PyTorch
    dice_loss snippet of the loss-function survey ("The Loss Function in Machine Learning", 2020),
    re-created here verbatim; smp DiceLoss / JaccardLoss (segmentation-models-pytorch 0.6.0,
    multiclass and binary modes, with `ignore_index`), whose `smooth` s is our smooth_nr = smooth_dr
    = 2 s (smp 0.6.0 computes Dice as the Tversky index (I + s) / (I + fp/2 + fn/2 + s) and Jaccard
    as (I + s) / (I + fp + fn + s)).
  * generalized_dice -- monai.losses.GeneralizedDiceLoss (square / simple / uniform weights; classes
    absent from the target get the largest finite weight, per sample or over the batch); with a mask
    or ignore_index: monai.losses.MaskedLoss(GeneralizedDiceLoss) on probabilities and one-hot targets.
  * tversky -- monai.losses.TverskyLoss (with its `ignore_index`); masks via
    monai.losses.MaskedLoss(TverskyLoss) on probabilities; smp TverskyLoss(gamma=1) for one case.
  * focal_tversky -- per (sample, class) (MONAI TverskyLoss(reduction="none")) ** gamma, then the
    reduction (re-created on top of MONAI); with exponent_after_mean: smp TverskyLoss(gamma=)
    (multiclass / multilabel / binary modes, every class present so that smp's zeroing of classes
    absent from the target plays no part; smp's `smooth` is smooth_nr = smooth_dr).
  * log_cosh_dice -- log(cosh(f)) of each (sample, class) output f of MONAI DiceLoss(reduction="none")
    (Jadon 2020, "A survey of loss functions for semantic segmentation"), then the reduction; re-created
    on top of MONAI (f includes MONAI's class weight when `weight` is given).
  * dice (average "micro", absent_classes "skip") / tversky (absent_classes "skip") -- kornia 0.9
    dice_loss / tversky_loss (see the comment above them).
  * dice / tversky (average "micro", smooth_dr 1e-7) -- keras.losses.Dice / Tversky (Keras 3.15.1,
    KERAS_BACKEND=torch) with axis=None (batch) and axis=(1, 2, 3) (per sample), channels-last inputs
    permuted from ours; Keras's Tversky alpha weighs the false negatives (our beta), its beta the false
    positives (our alpha) (the last cases; see the comment above them).
  * lovasz -- segmentation_models_pytorch 0.6.0, segmentation_models_pytorch/losses/lovasz.py
    (Berman et al., CVPR 2018): mode "softmax" = LovaszLoss(mode="multiclass") (softmax over dim 1,
    then _lovasz_softmax with classes="present"); classes "all" calls _lovasz_softmax(classes="all")
    directly; mode "hinge" = LovaszLoss(mode="binary") = _lovasz_hinge on [N, spatial...] logits and
    0/1 float targets (smp reshapes every image with reshape(-1), so [N, H, W] and [N, 1, H, W] give the
    same loss; per_image iterates over dim 0). per_image averages with smp's `mean` helper over every
    image (an image whose pixels are all ignored counts as 0 in the hinge path). Reductions "sum" /
    "none" (the per-image values, or [1] without per_image) are re-created by calling smp on each image.
    smp's _lovasz_grad casts to float32 (`gt_sorted.float().cumsum(0)`), so smp cannot run in float64
    as published (torch.dot raises on Double x Float); the references run smp's code with
    _lovasz_grad replaced by the same function in float64 (LOVASZ_GRAD_F64 below), and every case is
    checked against unpatched smp in float32 (relative 1e-5).

Inputs are small (e.g. [2, 3, 2, 3], [2, 3, 2, 4], [2, 3, 2, 2, 2]); the Dice-type ones are drawn on
short binary grids (logits: multiples of 1/32; probabilities for activation "none": k/64; soft
targets: k/16), exactly representable in float32, to keep the file small; the Lovász ones are drawn
in float32. The references run in float64 on exactly those values. Gradients are d(sum of the loss
output)/d(input); targets and masks take no gradient. Class-index targets are [N, spatial...] (the
anchors get [N, 1, spatial...]); outputs of reduction "none" are flattened from MONAI's broadcastable
shapes to [N, C] / [C] (GeneralizedDice: [N] / [1]). Lovász inputs are re-drawn until no two sorted
errors lie within 1e-4 of each other (the loss is piecewise linear in the sorted order; ties would
make the float32 gradient order-dependent).

Every Dice-type case is also checked, inside this script, against an independent float64 re-creation
of the Rust config semantics (sums over the unmasked, non-ignored pixels; reduction over [N, C]) to
1e-10 relative, value and gradient; 1e-6 where the anchor rounds through float32: GeneralizedDice's
class weights (`ground_o.float()`) and squared_pred on class-index targets (MONAI's float32 one-hot
and its float32 2-norm, squared).

Random streams: the Dice-type cases draw from torch.manual_seed(20261130) and a generator seeded 17;
the Lovász cases (`lovasz_cases`) from their own, torch.manual_seed(20261202) and a generator seeded
17, which the dsc cases (imbalance.py) continue; the Keras 3 Dice / Tversky cases (`keras3_overlap_cases`,
appended last) from a generator seeded 20261213.

Re-run:  scripts/setup-torch-venv.sh --with-fixtures  &&  <venv>/bin/python tools/golden/segmentation.py
"""
import os
import sys
import warnings

import monai
import segmentation_models_pytorch as smp
import torch
import torch.nn.functional as F
from monai.losses import DiceLoss, GeneralizedDiceLoss, MaskedDiceLoss, MaskedLoss, TverskyLoss
from segmentation_models_pytorch.losses import LovaszLoss
from segmentation_models_pytorch.losses import lovasz as smp_lovasz

sys.path.insert(0, os.path.dirname(__file__))
from common import DICE_DEFAULTS, Case, Draws, Grid, check_recreation, fmt, monai_target, write_fixtures  # noqa: E402

# MONAI warns (and does nothing) for softmax / to_onehot_y / include_background=False on one channel.
warnings.filterwarnings("ignore", message="single channel prediction")

torch.manual_seed(20261130)
G = torch.Generator().manual_seed(17)

DEFAULTS = {**DICE_DEFAULTS, "soft_label": False, "absent_classes": "score", "w_type": "square", "alpha": 0.5, "beta": 0.5, "gamma": 0.75, "exponent_after_mean": False}


# ------------------------------------------------------------------ inputs (common.Grid)
_grid = Grid(G)
logits, probs, class_targets, onehot = _grid.logits, _grid.probs, _grid.class_targets, Grid.onehot
binary_targets, soft_targets, spatial_mask, with_ignored = (
    _grid.binary_targets, _grid.soft_targets, _grid.spatial_mask, _grid.with_ignored)


# ------------------------------------------------------------------ independent re-creation of the config
def recreate(cfg, x, target, mask=None):
    c = {**DEFAULTS, **cfg}
    p = {"none": lambda v: v, "softmax": lambda v: torch.softmax(v, 1), "sigmoid": torch.sigmoid,
         "tanh": torch.tanh, "relu": torch.relu, "identity": lambda v: v}[c["activation"]](x)
    n, ch = p.shape[:2]
    m = torch.ones(n, 1, *p.shape[2:], dtype=torch.float64)
    if target.is_floating_point():
        g = target
    else:
        valid = torch.ones_like(target, dtype=torch.bool) if c["ignore_index"] is None else target != c["ignore_index"]
        m = m * valid.unsqueeze(1)
        t = torch.where(valid, target, torch.zeros_like(target))
        g = t.unsqueeze(1).double() if ch == 1 else onehot(t, ch)
    if mask is not None:
        m = m * mask.reshape(m.shape)
    p, g = p * m, g * m
    if not c["include_background"] and ch > 1:
        p, g = p[:, 1:], g[:, 1:]
    axes = list(range(2, p.dim()))
    if c["batch"]:
        axes = [0] + axes
    tp = (p * g).sum(axes)
    snr, sdr = c["smooth_nr"], c["smooth_dr"]
    kind = c["type"]
    if kind == "generalized_dice":
        ground = g.sum(axes)
        w = {"square": 1.0 / ground ** 2, "simple": 1.0 / ground, "uniform": torch.ones_like(ground)}[c["w_type"]]
        inf = torch.isinf(w)
        w = torch.where(inf, torch.zeros_like(w), w)
        big = w.max() if c["batch"] else w.max(dim=1, keepdim=True)[0]
        w = torch.where(inf, big * torch.ones_like(w), w)
        f = 1 - (2 * (w * tp).sum(-1) + snr) / ((w * (p.sum(axes) + ground)).sum(-1) + sdr)
        f = f.reshape(-1)
    else:
        k = 2 if c["squared_pred"] and kind in ("dice", "log_cosh_dice") else 1
        if c["soft_label"] and k == 1:  # MONAI soft_label: L1 norms, tp = sum min(p, g) for p, g >= 0
            tp = (p.abs().sum(axes) + g.abs().sum(axes) - (p - g).abs().sum(axes)) / 2
            fp, fn = p.abs().sum(axes) - tp, g.abs().sum(axes) - tp
        else:
            fp, fn = (p ** k).sum(axes) - tp, (g ** k).sum(axes) - tp
        present = (g.abs().sum(axes) > 0).double()
        if kind in ("dice", "log_cosh_dice"):
            if c["jaccard"]:
                f = 1 - (2 * tp + snr) / (2 * (tp + fp + fn) + sdr)
            else:
                f = 1 - (2 * tp + snr) / (2 * tp + fp + fn + sdr)
            if c["absent_classes"] == "zero":
                f = f * present
            if c["weight"] is not None and f.shape[-1] > 1:  # MONAI ignores weight on one channel
                f = f * torch.tensor(c["weight"], dtype=torch.float64)
            if kind == "log_cosh_dice":
                f = torch.log(torch.cosh(f))
        else:
            f = 1 - (tp + snr) / (tp + c["alpha"] * fp + c["beta"] * fn + sdr)
            if c["absent_classes"] == "zero":
                f = f * present
            if kind == "focal_tversky":
                if c["exponent_after_mean"]:
                    assert c["reduction"] == "mean"
                    return f.mean() ** c["gamma"]
                f = f ** c["gamma"]
    return {"none": f, "sum": f.sum(), "mean": f.mean()}[c["reduction"]]


# ------------------------------------------------------------------ MONAI / smp calls
def monai_kwargs(cfg, x, target, keys):
    c = {**DEFAULTS, **cfg}
    kw = {}
    if c["activation"] in ("tanh", "relu", "identity"):  # MONAI's other_act
        kw["other_act"] = {"tanh": torch.tanh, "relu": torch.relu, "identity": lambda v: v}[c["activation"]]
    elif c["activation"] != "none":
        kw[c["activation"]] = True
    if not target.is_floating_point() and x.shape[1] > 1:
        kw["to_onehot_y"] = True
    for k in keys:
        if k in c and c[k] != DEFAULTS[k]:
            kw[k] = c[k]
    return kw


COMMON_KEYS = ["include_background", "batch", "smooth_nr", "smooth_dr", "reduction"]


def monai_dice(cfg, x, target, mask=None):
    """MONAI DiceLoss (or MaskedDiceLoss given a mask) on our config; returns (output, anchor)."""
    c = {**DEFAULTS, **cfg}
    kw = monai_kwargs(cfg, x, target, COMMON_KEYS + ["squared_pred", "jaccard", "weight", "ignore_index"])
    if mask is None:
        out = DiceLoss(**kw)(x, monai_target(target))
        anchor = f"monai.losses.DiceLoss({fmt(kw)})"
    else:
        t = target
        if not target.is_floating_point():  # one-hot first: MaskedLoss would multiply the class indices
            kw.pop("to_onehot_y", None)
            t = onehot(target, x.shape[1])
        m = mask if mask.dim() == x.dim() else mask.unsqueeze(1)
        out = MaskedDiceLoss(**kw)(x, t, mask=m)
        anchor = f"monai.losses.MaskedDiceLoss({fmt(kw)})(input, target{'' if t is target else ' one-hot'}, mask)"
    if c["reduction"] == "none":
        out = out.reshape(x.shape[0], -1) if not c["batch"] else out.reshape(-1)
    return out, anchor


def activate(cfg, x):
    a = {**DEFAULTS, **cfg}["activation"]
    return {"none": x, "softmax": torch.softmax(x, 1), "sigmoid": torch.sigmoid(x)}[a]


def monai_masked_generic(cls, cfg, x, target, mask, keys):
    """cls(...) wrapped in MaskedLoss, on probabilities (our activation applied first) and one-hot
    targets, with the mask (and ignore_index) as MaskedLoss's mask."""
    c = {**DEFAULTS, **cfg}
    # no activation / to_onehot_y / ignore_index inside: MaskedLoss multiplies its inputs by the mask
    kw = monai_kwargs({**cfg, "activation": "none", "ignore_index": None}, x, torch.zeros(1), keys)
    m = torch.ones(x.shape[0], 1, *x.shape[2:], dtype=torch.float64)
    if mask is not None:
        m = m * mask.reshape(m.shape)
    t = target
    if not target.is_floating_point():
        valid = torch.ones_like(target, dtype=torch.bool) if c["ignore_index"] is None else target != c["ignore_index"]
        m = m * valid.unsqueeze(1)
        t = onehot(torch.where(valid, target, torch.zeros_like(target)), x.shape[1])
    out = MaskedLoss(cls, **kw)(activate(cfg, x), t, mask=m)
    act = "" if c["activation"] == "none" else f"{c['activation']}(input), "
    what = "mask" if mask is not None else ""
    if c["ignore_index"] is not None:
        what += (" * " if what else "") + f"(target != {c['ignore_index']})"
    anchor = (f"monai.losses.MaskedLoss({', '.join([cls.__name__] + ([fmt(kw)] if kw else []))})({act or 'input, '}"
              f"{'one-hot ' if t is not target else ''}target, mask={what})")
    return out, anchor


def monai_gdl(cfg, x, target, mask=None):
    c = {**DEFAULTS, **cfg}
    keys = COMMON_KEYS + ["w_type"]
    if mask is not None or c["ignore_index"] is not None:
        out, anchor = monai_masked_generic(GeneralizedDiceLoss, cfg, x, target, mask, keys)
    else:
        kw = monai_kwargs(cfg, x, target, keys)
        out = GeneralizedDiceLoss(**kw)(x, monai_target(target))
        anchor = f"monai.losses.GeneralizedDiceLoss({fmt(kw)})"
    if c["reduction"] == "none":
        out = out.reshape(-1)
    return out, anchor


def monai_tversky(cfg, x, target, mask=None):
    c = {**DEFAULTS, **cfg}
    keys = COMMON_KEYS + ["alpha", "beta"]
    if mask is not None:
        return monai_masked_generic(TverskyLoss, cfg, x, target, mask, keys)
    kw = monai_kwargs(cfg, x, target, keys + ["ignore_index"])
    return TverskyLoss(**kw)(x, monai_target(target)), f"monai.losses.TverskyLoss({fmt(kw)})"


cases = []


def add(name, cfg, x, target, out, anchor, mask=None, rtol_check=1e-10):
    check_recreation(name, out, recreate(cfg, x, target, mask), x, rtol_check)
    inputs = {"input": x, "target": target}
    if mask is not None:
        inputs["mask"] = mask
    cases.append(Case(name, anchor, cfg, inputs, out))


# ================================================================== dice (MONAI DiceLoss)
N, C = 2, 3
for name, cfg, make in [
    ("dice_defaults_probabilities_onehot_target_mean", {"type": "dice"},
     lambda: (probs(N, C, 2, 3), onehot(class_targets(N, C, 2, 3), C))),
    ("dice_softmax_class_targets_mean", {"type": "dice", "activation": "softmax"},
     lambda: (logits(N, C, 2, 3), class_targets(N, C, 2, 3))),
    ("dice_softmax_class_targets_include_background_false_weight_mean",
     {"type": "dice", "activation": "softmax", "include_background": False, "weight": [0.5, 2.0]},
     lambda: (logits(N, C, 2, 3), class_targets(N, C, 2, 3))),
    ("dice_softmax_class_targets_weight_none",
     {"type": "dice", "activation": "softmax", "weight": [0.25, 1.5, 3.0], "reduction": "none"},
     lambda: (logits(N, C, 2, 4), class_targets(N, C, 2, 4))),
    ("dice_sigmoid_multilabel_targets_batch_weight_mean",
     {"type": "dice", "activation": "sigmoid", "batch": True, "weight": [1.0, 0.0, 2.5]},
     lambda: (logits(N, C, 2, 3), binary_targets(N, C, 2, 3))),
    ("dice_sigmoid_soft_targets_squared_pred_mean", {"type": "dice", "activation": "sigmoid", "squared_pred": True},
     lambda: (logits(N, C, 2, 3), soft_targets(N, C, 2, 3))),
    ("dice_softmax_class_targets_jaccard_squared_pred_batch_none",
     {"type": "dice", "activation": "softmax", "jaccard": True, "squared_pred": True, "batch": True,
      "reduction": "none"},
     lambda: (logits(N, C, 2, 4), class_targets(N, C, 2, 4))),
    ("dice_probabilities_soft_targets_smooth1_none",
     {"type": "dice", "smooth_nr": 1.0, "smooth_dr": 1.0, "reduction": "none"},
     lambda: (probs(N, C, 2, 3), soft_targets(N, C, 2, 3))),
    ("dice_probabilities_smooth_nr0_smooth_dr1_batch_sum",
     {"type": "dice", "smooth_nr": 0.0, "smooth_dr": 1.0, "batch": True, "reduction": "sum"},
     lambda: (probs(N, C, 2, 3), onehot(class_targets(N, C, 2, 3), C))),
    ("dice_softmax_class_targets_3d_batch_mean", {"type": "dice", "activation": "softmax", "batch": True},
     lambda: (logits(N, C, 2, 2, 2), class_targets(N, C, 2, 2, 2))),
    ("dice_sigmoid_multilabel_targets_3d_include_background_false_none",
     {"type": "dice", "activation": "sigmoid", "include_background": False, "reduction": "none"},
     lambda: (logits(N, C, 2, 2, 2), binary_targets(N, C, 2, 2, 2))),
    ("dice_softmax_class_targets_ignore_index_255_mean", {"type": "dice", "activation": "softmax",
                                                          "ignore_index": 255},
     lambda: (logits(N, C, 2, 3), with_ignored(class_targets(N, C, 2, 3), 255))),
    ("dice_sigmoid_class_targets_ignore_index_minus1_batch_sum",
     {"type": "dice", "activation": "sigmoid", "ignore_index": -1, "batch": True, "reduction": "sum"},
     lambda: (logits(N, C, 2, 4), with_ignored(class_targets(N, C, 2, 4), -1))),
    ("dice_softmax_class_targets_ignore_index_class0_none",
     {"type": "dice", "activation": "softmax", "ignore_index": 0, "include_background": False, "reduction": "none"},
     lambda: (logits(N, C, 2, 3), class_targets(N, C, 2, 3))),
]:
    x, t = make()
    x.requires_grad_()
    out, anchor = monai_dice(cfg, x, t)
    # squared_pred on class targets: MONAI's one-hot is float32, and its ||target||_2 is squared back in float32
    add(name, cfg, x, t, out, anchor, rtol_check=1e-6 if cfg.get("squared_pred") and not t.is_floating_point()
        else 1e-10)

# the empty class: a class absent from the target, with probability exactly 0 everywhere -> its loss
# is 1 - smooth_nr / smooth_dr = 0 (and its gradient smooth_nr / smooth_dr^2 per pixel)
t = class_targets(N, C, 2, 3, absent=((None, 2),))
x = probs(N, 2, 2, 3)
x = torch.cat([x, torch.zeros(N, 1, 2, 3, dtype=torch.float64)], 1).requires_grad_()
cfg = {"type": "dice", "reduction": "none"}
out, anchor = monai_dice(cfg, x, t)
assert (out[:, 2] == 0).all()
add("dice_probabilities_class_targets_empty_class_zero_loss_none", cfg, x, t, out, anchor)

# masks: MaskedDiceLoss
for name, cfg, make in [
    ("dice_softmax_onehot_target_mask_nhw_mean", {"type": "dice", "activation": "softmax"},
     lambda: (logits(N, C, 2, 3), onehot(class_targets(N, C, 2, 3), C), spatial_mask(N, 2, 3))),
    ("dice_sigmoid_multilabel_targets_mask_n1hw_batch_none",
     {"type": "dice", "activation": "sigmoid", "batch": True, "reduction": "none"},
     lambda: (logits(N, C, 2, 4), binary_targets(N, C, 2, 4), spatial_mask(N, 2, 4, channel=True))),
    ("dice_softmax_class_targets_mask_nhw_include_background_false_weight_sum",
     {"type": "dice", "activation": "softmax", "include_background": False, "weight": [2.0, 0.5],
      "reduction": "sum"},
     lambda: (logits(N, C, 2, 3), class_targets(N, C, 2, 3), spatial_mask(N, 2, 3))),
    ("dice_probabilities_soft_targets_3d_mask_jaccard_sum",
     {"type": "dice", "jaccard": True, "reduction": "sum"},
     lambda: (probs(N, C, 2, 2, 2), soft_targets(N, C, 2, 2, 2), spatial_mask(N, 2, 2, 2))),
]:
    x, t, m = make()
    x.requires_grad_()
    out, anchor = monai_dice(cfg, x, t, mask=m)
    add(name, cfg, x, t, out, anchor, mask=m)


# the loss-function survey's PyTorch dice_loss snippet (one channel, sigmoid, sums over the batch, smooth 1)
def survey_dice_loss(pred, target, smooth=1.0):
    pred = torch.sigmoid(pred).view(-1)
    target = target.view(-1)
    intersection = (pred * target).sum()
    return 1 - (2. * intersection + smooth) / (pred.sum() + target.sum() + smooth)


SURVEY_CFG = {"type": "dice", "activation": "sigmoid", "batch": True, "smooth_nr": 1.0, "smooth_dr": 1.0}
SURVEY_ANCHOR = ("loss-function survey (The Loss Function in Machine Learning, 2020) PyTorch dice_loss(pred, target, smooth=1.0) snippet, re-created verbatim "
               "(sigmoid, view(-1), 1 - (2I + smooth) / (P + G + smooth)); = monai.losses.DiceLoss(sigmoid=True, "
               "batch=True, smooth_nr=1.0, smooth_dr=1.0)")
x = logits(N, 1, 2, 3).requires_grad_()
y = (torch.rand(N, 1, 2, 3, generator=G) < 0.4).double()
add("dice_survey_snippet_sigmoid_one_channel_float_target", SURVEY_CFG, x, y, survey_dice_loss(x, y), SURVEY_ANCHOR)
assert torch.allclose(monai_dice(SURVEY_CFG, x, y)[0], survey_dice_loss(x, y), rtol=1e-12)
x = logits(N, 1, 2, 4).requires_grad_()
t = (torch.rand(N, 2, 4, generator=G) < 0.4).long()
add("dice_survey_snippet_sigmoid_one_channel_class_targets", SURVEY_CFG, x, t, survey_dice_loss(x, t.double()),
    SURVEY_ANCHOR + " with the 0/1 class indices as the target (MONAI ignores to_onehot_y on one channel)")
assert torch.allclose(monai_dice(SURVEY_CFG, x, t)[0], survey_dice_loss(x, t.double()), rtol=1e-12)


# smp DiceLoss / JaccardLoss: smooth s -> smooth_nr = smooth_dr = 2 s (checked against MONAI too)
def smp_case(name, cls, mode, cfg, x, t, smp_kw):
    loss = cls(mode=mode, from_logits=True, **smp_kw)
    out = loss(x, t)
    mon, _ = monai_dice(cfg, x, t)
    assert torch.allclose(out, mon, rtol=1e-12), (name, out, mon)
    kw = fmt({"mode": mode, "from_logits": True, **smp_kw})
    add(name, cfg, x, t, out, f"segmentation_models_pytorch.losses.{cls.__name__}({kw})")


for name, cls, s, ignore, jaccard in [
    ("dice_smp_multiclass_softmax_batch_smooth0", smp.losses.DiceLoss, 0.0, None, False),
    ("dice_smp_multiclass_softmax_batch_smooth05_ignore_index_255", smp.losses.DiceLoss, 0.5, 255, False),
    ("dice_smp_jaccard_multiclass_softmax_batch_smooth05", smp.losses.JaccardLoss, 0.5, None, True),
    ("dice_smp_jaccard_multiclass_softmax_batch_smooth0_ignore_index_minus1", smp.losses.JaccardLoss, 0.0, -1,
     True),
]:
    x = logits(N, C, 2, 3).requires_grad_()
    t = class_targets(N, C, 2, 3)
    if ignore is not None:
        t = with_ignored(t, ignore, keep_classes=C)
    cfg = {"type": "dice", "activation": "softmax", "batch": True, "smooth_nr": 2 * s, "smooth_dr": 2 * s}
    if jaccard:
        cfg["jaccard"] = True
    if ignore is not None:
        cfg["ignore_index"] = ignore
    smp_kw = {"smooth": s} if ignore is None else {"smooth": s, "ignore_index": ignore}
    smp_case(name, cls, "multiclass", cfg, x, t, smp_kw)

# binary mode (one channel, class indices 0/1 with ignored pixels)
x = logits(N, 1, 2, 3).requires_grad_()
t = with_ignored((torch.rand(N, 2, 3, generator=G) < 0.4).long(), 255)
t[:, 0, 0], t[:, 0, 1] = 1, 0
smp_case("dice_smp_binary_sigmoid_one_channel_class_targets_smooth1_ignore_index_255", smp.losses.DiceLoss,
         "binary", {"type": "dice", "activation": "sigmoid", "batch": True, "smooth_nr": 2.0, "smooth_dr": 2.0,
                    "ignore_index": 255}, x, t, {"smooth": 1.0, "ignore_index": 255})

# ================================================================== generalized_dice (MONAI GeneralizedDiceLoss)
GDL_RTOL = 1e-6  # MONAI computes the class weights in float32 (ground_o.float())
for name, cfg, make in [
    ("generalized_dice_softmax_class_targets_square_mean", {"type": "generalized_dice", "activation": "softmax"},
     lambda: (logits(N, C, 2, 3), class_targets(N, C, 2, 3))),
    ("generalized_dice_sigmoid_multilabel_targets_3d_simple_sum",
     {"type": "generalized_dice", "activation": "sigmoid", "w_type": "simple", "reduction": "sum"},
     lambda: (logits(N, C, 2, 2, 2), binary_targets(N, C, 2, 2, 2))),
    ("generalized_dice_probabilities_soft_targets_include_background_false_uniform_none",
     {"type": "generalized_dice", "w_type": "uniform", "include_background": False, "reduction": "none"},
     lambda: (probs(N, C, 2, 3), soft_targets(N, C, 2, 3))),
    # a class absent from sample 0's target: infinite weight -> the sample's largest finite weight
    ("generalized_dice_softmax_class_absent_in_one_sample_square_none",
     {"type": "generalized_dice", "activation": "softmax", "reduction": "none"},
     lambda: (logits(N, C, 2, 3), class_targets(N, C, 2, 3, absent=((0, 1),)))),
    ("generalized_dice_softmax_class_absent_in_one_sample_simple_mean",
     {"type": "generalized_dice", "activation": "softmax", "w_type": "simple"},
     lambda: (logits(N, C, 2, 3), class_targets(N, C, 2, 3, absent=((0, 2),)))),
    ("generalized_dice_softmax_class_absent_in_one_sample_uniform_sum",
     {"type": "generalized_dice", "activation": "softmax", "w_type": "uniform", "reduction": "sum"},
     lambda: (logits(N, C, 2, 3), class_targets(N, C, 2, 3, absent=((1, 0),)))),
    # batch: the weight is infinite only for a class absent from the whole batch -> the batch's largest
    ("generalized_dice_softmax_class_absent_in_batch_square_batch_none",
     {"type": "generalized_dice", "activation": "softmax", "batch": True, "reduction": "none"},
     lambda: (logits(N, C, 2, 3), class_targets(N, C, 2, 3, absent=((None, 1),)))),
    ("generalized_dice_softmax_class_absent_in_batch_simple_batch_mean",
     {"type": "generalized_dice", "activation": "softmax", "batch": True, "w_type": "simple"},
     lambda: (logits(N, C, 2, 3), class_targets(N, C, 2, 3, absent=((None, 2),)))),
    ("generalized_dice_softmax_class_absent_in_batch_uniform_batch_sum",
     {"type": "generalized_dice", "activation": "softmax", "batch": True, "w_type": "uniform", "reduction": "sum"},
     lambda: (logits(N, C, 2, 4), class_targets(N, C, 2, 4, absent=((None, 0),)))),
    ("generalized_dice_softmax_class_absent_in_one_sample_square_batch_mean",
     {"type": "generalized_dice", "activation": "softmax", "batch": True},
     lambda: (logits(N, C, 2, 3), class_targets(N, C, 2, 3, absent=((1, 2),)))),
    # a sample whose target holds only background, background excluded: every weight infinite -> all 0,
    # the sample's loss is 1 - smooth_nr / smooth_dr = 0
    ("generalized_dice_softmax_sample_all_background_include_background_false_none",
     {"type": "generalized_dice", "activation": "softmax", "include_background": False, "reduction": "none"},
     lambda: (logits(N, C, 2, 3), class_targets(N, C, 2, 3, absent=((0, 1), (0, 2))))),
]:
    x, t = make()
    x.requires_grad_()
    out, anchor = monai_gdl(cfg, x, t)
    add(name, cfg, x, t, out, anchor, rtol_check=GDL_RTOL)
    if "all_background" in name:
        assert out[0] == 0

for name, cfg, make in [
    ("generalized_dice_softmax_class_targets_mask_nhw_square_mean",
     {"type": "generalized_dice", "activation": "softmax"},
     lambda: (logits(N, C, 2, 3), class_targets(N, C, 2, 3), spatial_mask(N, 2, 3))),
    ("generalized_dice_sigmoid_multilabel_targets_mask_n1hw_simple_batch_none",
     {"type": "generalized_dice", "activation": "sigmoid", "w_type": "simple", "batch": True, "reduction": "none"},
     lambda: (logits(N, C, 2, 4), binary_targets(N, C, 2, 4), spatial_mask(N, 2, 4, channel=True))),
    ("generalized_dice_softmax_class_targets_ignore_index_255_square_sum",
     {"type": "generalized_dice", "activation": "softmax", "ignore_index": 255, "reduction": "sum"},
     lambda: (logits(N, C, 2, 3), with_ignored(class_targets(N, C, 2, 3), 255), None)),
]:
    x, t, m = make()
    x.requires_grad_()
    out, anchor = monai_gdl(cfg, x, t, mask=m)
    add(name, cfg, x, t, out, anchor, mask=m, rtol_check=GDL_RTOL)

# ================================================================== tversky (MONAI TverskyLoss)
for name, cfg, make in [
    ("tversky_defaults_probabilities_onehot_target_mean", {"type": "tversky"},
     lambda: (probs(N, C, 2, 3), onehot(class_targets(N, C, 2, 3), C), None)),
    ("tversky_sigmoid_multilabel_targets_alpha07_beta03_batch_sum",
     {"type": "tversky", "activation": "sigmoid", "alpha": 0.7, "beta": 0.3, "batch": True, "reduction": "sum"},
     lambda: (logits(N, C, 2, 4), binary_targets(N, C, 2, 4), None)),
    ("tversky_softmax_class_targets_include_background_false_alpha02_beta08_none",
     {"type": "tversky", "activation": "softmax", "include_background": False, "alpha": 0.2, "beta": 0.8,
      "reduction": "none"},
     lambda: (logits(N, C, 2, 3), class_targets(N, C, 2, 3), None)),
    ("tversky_probabilities_soft_targets_3d_smooth1_none",
     {"type": "tversky", "smooth_nr": 1.0, "smooth_dr": 1.0, "alpha": 0.4, "beta": 0.6, "reduction": "none"},
     lambda: (probs(N, C, 2, 2, 2), soft_targets(N, C, 2, 2, 2), None)),
    ("tversky_softmax_class_targets_ignore_index_255_alpha03_beta07_mean",
     {"type": "tversky", "activation": "softmax", "ignore_index": 255, "alpha": 0.3, "beta": 0.7},
     lambda: (logits(N, C, 2, 3), with_ignored(class_targets(N, C, 2, 3), 255), None)),
    ("tversky_sigmoid_multilabel_targets_mask_nhw_alpha06_beta04_mean",
     {"type": "tversky", "activation": "sigmoid", "alpha": 0.6, "beta": 0.4},
     lambda: (logits(N, C, 2, 3), binary_targets(N, C, 2, 3), spatial_mask(N, 2, 3))),
    ("tversky_softmax_class_targets_3d_mask_n1hw_batch_sum",
     {"type": "tversky", "activation": "softmax", "batch": True, "reduction": "sum"},
     lambda: (logits(N, C, 2, 2, 2), class_targets(N, C, 2, 2, 2), spatial_mask(N, 2, 2, 2, channel=True))),
]:
    x, t, m = make()
    x.requires_grad_()
    out, anchor = monai_tversky(cfg, x, t, mask=m)
    add(name, cfg, x, t, out, anchor, mask=m)

# smp TverskyLoss at gamma 1 (sums over the batch): our tversky with batch, smooth_nr = smooth_dr = smooth
x = logits(N, C, 2, 3).requires_grad_()
t = class_targets(N, C, 2, 3)
cfg = {"type": "tversky", "activation": "softmax", "batch": True, "smooth_nr": 1.0, "smooth_dr": 1.0,
       "alpha": 0.3, "beta": 0.7}
smp_kw = {"mode": "multiclass", "from_logits": True, "smooth": 1.0, "alpha": 0.3, "beta": 0.7, "gamma": 1.0}
out = smp.losses.TverskyLoss(**smp_kw)(x, t)
assert torch.allclose(out, monai_tversky(cfg, x, t)[0], rtol=1e-12)
add("tversky_smp_multiclass_softmax_batch_smooth1_alpha03_beta07", cfg, x, t, out,
    f"segmentation_models_pytorch.losses.TverskyLoss({fmt(smp_kw)})")

# ================================================================== focal_tversky
# per (sample, class): (MONAI TverskyLoss(reduction="none")) ** gamma, then the reduction
for name, cfg, make in [
    ("focal_tversky_softmax_class_targets_defaults_mean", {"type": "focal_tversky", "activation": "softmax"},
     lambda: (logits(N, C, 2, 3), class_targets(N, C, 2, 3), None)),
    ("focal_tversky_sigmoid_multilabel_targets_alpha07_beta03_gamma133_none",
     {"type": "focal_tversky", "activation": "sigmoid", "alpha": 0.7, "beta": 0.3, "gamma": 4.0 / 3.0,
      "reduction": "none"},
     lambda: (logits(N, C, 2, 4), binary_targets(N, C, 2, 4), None)),
    ("focal_tversky_probabilities_soft_targets_3d_batch_smooth1_sum",
     {"type": "focal_tversky", "batch": True, "smooth_nr": 1.0, "smooth_dr": 1.0, "gamma": 2.0, "reduction": "sum"},
     lambda: (probs(N, C, 2, 2, 2), soft_targets(N, C, 2, 2, 2), None)),
    ("focal_tversky_softmax_class_targets_include_background_false_ignore_index_255_mean",
     {"type": "focal_tversky", "activation": "softmax", "include_background": False, "ignore_index": 255,
      "alpha": 0.3, "beta": 0.7, "gamma": 0.5},
     lambda: (logits(N, C, 2, 3), with_ignored(class_targets(N, C, 2, 3), 255, keep_classes=C), None)),
    ("focal_tversky_softmax_class_targets_mask_n1hw_batch_none",
     {"type": "focal_tversky", "activation": "softmax", "batch": True, "reduction": "none"},
     lambda: (logits(N, C, 2, 3), class_targets(N, C, 2, 3), spatial_mask(N, 2, 3, channel=True))),
]:
    x, t, m = make()
    x.requires_grad_()
    c = {**DEFAULTS, **cfg}
    tcfg = {**cfg, "type": "tversky", "reduction": "none"}
    for k in ("gamma", "exponent_after_mean"):
        tcfg.pop(k, None)
    per_class, anchor = monai_tversky(tcfg, x, t, mask=m)
    el = per_class ** c["gamma"]
    out = {"none": el, "sum": el.sum(), "mean": el.mean()}[c["reduction"]]
    red = "" if c["reduction"] == "none" else f", then .{c['reduction']}()"
    add(name, cfg, x, t, out, f"({anchor}) ** {c['gamma']!r}{red}; re-created on top of MONAI", mask=m)

# exponent_after_mean: smp TverskyLoss(gamma=) = (mean over classes of (1 - TI))^gamma, sums over the batch
for name, mode, gamma, s, alpha, beta, ignore in [
    ("focal_tversky_smp_multiclass_softmax_batch_smooth0_gamma2_exponent_after_mean", "multiclass", 2.0, 0.0,
     0.5, 0.5, None),
    ("focal_tversky_smp_multiclass_softmax_batch_ignore_index_255_gamma15_exponent_after_mean", "multiclass", 1.5,
     0.5, 0.7, 0.3, 255),
    ("focal_tversky_smp_multilabel_sigmoid_batch_smooth1_gamma133_exponent_after_mean", "multilabel", 4.0 / 3.0,
     1.0, 0.4, 0.6, None),
    ("focal_tversky_smp_binary_sigmoid_one_channel_class_targets_gamma075_exponent_after_mean", "binary", 0.75,
     1.0, 0.3, 0.7, None),
]:
    if mode == "multiclass":
        x, t = logits(N, C, 2, 3), class_targets(N, C, 2, 3)
        if ignore is not None:
            t = with_ignored(t, ignore, keep_classes=C)
    elif mode == "multilabel":
        x, t = logits(N, C, 2, 4), binary_targets(N, C, 2, 4)
    else:
        x, t = logits(N, 1, 2, 3), (torch.rand(N, 2, 3, generator=G) < 0.4).long()
        t[:, 0, 0] = 1
    x.requires_grad_()
    cfg = {"type": "focal_tversky", "activation": "softmax" if mode == "multiclass" else "sigmoid", "batch": True,
           "smooth_nr": s, "smooth_dr": s, "alpha": alpha, "beta": beta, "gamma": gamma,
           "exponent_after_mean": True}
    if ignore is not None:
        cfg["ignore_index"] = ignore
    smp_kw = {"mode": mode, "from_logits": True, "smooth": s, "alpha": alpha, "beta": beta, "gamma": gamma}
    if ignore is not None:
        smp_kw["ignore_index"] = ignore
    out = smp.losses.TverskyLoss(**smp_kw)(x, t)
    add(name, cfg, x, t, out, f"segmentation_models_pytorch.losses.TverskyLoss({fmt(smp_kw)})")

# ================================================================== log_cosh_dice: log(cosh(MONAI DiceLoss "none"))
for name, cfg, make in [
    ("log_cosh_dice_softmax_class_targets_mean", {"type": "log_cosh_dice", "activation": "softmax"},
     lambda: (logits(N, C, 2, 3), class_targets(N, C, 2, 3), None)),
    ("log_cosh_dice_sigmoid_multilabel_targets_squared_pred_none",
     {"type": "log_cosh_dice", "activation": "sigmoid", "squared_pred": True, "reduction": "none"},
     lambda: (logits(N, C, 2, 4), binary_targets(N, C, 2, 4), None)),
    ("log_cosh_dice_probabilities_soft_targets_jaccard_batch_sum",
     {"type": "log_cosh_dice", "jaccard": True, "batch": True, "reduction": "sum"},
     lambda: (probs(N, C, 2, 3), soft_targets(N, C, 2, 3), None)),
    ("log_cosh_dice_softmax_class_targets_include_background_false_weight_mean",
     {"type": "log_cosh_dice", "activation": "softmax", "include_background": False, "weight": [1.5, 0.5]},
     lambda: (logits(N, C, 2, 3), class_targets(N, C, 2, 3), None)),
    ("log_cosh_dice_softmax_class_targets_3d_smooth1_ignore_index_255_none",
     {"type": "log_cosh_dice", "activation": "softmax", "smooth_nr": 1.0, "smooth_dr": 1.0, "ignore_index": 255,
      "reduction": "none"},
     lambda: (logits(N, C, 2, 2, 2), with_ignored(class_targets(N, C, 2, 2, 2), 255), None)),
    ("log_cosh_dice_softmax_class_targets_mask_nhw_batch_mean",
     {"type": "log_cosh_dice", "activation": "softmax", "batch": True},
     lambda: (logits(N, C, 2, 3), class_targets(N, C, 2, 3), spatial_mask(N, 2, 3))),
]:
    x, t, m = make()
    x.requires_grad_()
    c = {**DEFAULTS, **cfg}
    f, anchor = monai_dice({**cfg, "type": "dice", "reduction": "none"}, x, t, mask=m)
    el = torch.log(torch.cosh(f))
    out = {"none": el, "sum": el.sum(), "mean": el.mean()}[c["reduction"]]
    red = "" if c["reduction"] == "none" else f", then .{c['reduction']}()"
    add(name, cfg, x, t, out, f"log(cosh({anchor})){red}; "
        "re-created on top of MONAI (Jadon 2020)", mask=m)


# ================================================================== lovasz (smp LovaszLoss)
SMP = "segmentation_models_pytorch 0.6.0 losses/lovasz.py"
SMP_LOVASZ_GRAD = smp_lovasz._lovasz_grad


def LOVASZ_GRAD_F64(gt_sorted):
    """smp's _lovasz_grad (Alg. 1 of the paper) with its float32 casts made float64."""
    n = len(gt_sorted)
    gts = gt_sorted.sum()
    intersection = gts - gt_sorted.double().cumsum(0)
    union = gts + (1 - gt_sorted).double().cumsum(0)
    jaccard = 1.0 - intersection / union
    if n > 1:
        jaccard[1:n] = jaccard[1:n] - jaccard[0:-1]
    return jaccard


def smp_lovasz_eval(fn, x, *args, f64=True):
    """Runs fn(x, *args) with smp's float64-patched (f64) or unpatched float32 (not f64) _lovasz_grad."""
    smp_lovasz._lovasz_grad = LOVASZ_GRAD_F64 if f64 else SMP_LOVASZ_GRAD
    try:
        return fn(x if f64 else x.float(), *args)
    finally:
        smp_lovasz._lovasz_grad = SMP_LOVASZ_GRAD


def lovasz_smp(x, t, mode, classes, per_image, ignore):
    """The smp loss of one config (reduction "mean"): a 0-d tensor."""
    if mode == "hinge":
        return LovaszLoss("binary", per_image=per_image, ignore_index=ignore)(x, t)
    if classes == "present":
        return LovaszLoss("multiclass", per_image=per_image, ignore_index=ignore)(x, t)
    return smp_lovasz._lovasz_softmax(x.softmax(dim=1), t, classes="all", per_image=per_image, ignore=ignore)


def lovasz_ref(x, t, mode, classes, per_image, ignore, reduction, f64=True):
    def run(xx, tt):
        return lovasz_smp(xx, tt if f64 or mode == "softmax" else tt.float(), mode, classes, per_image, ignore)

    if reduction == "mean":
        return smp_lovasz_eval(run, x, t, f64=f64)
    if not per_image:  # one value for the batch: "sum" = "mean", "none" = [1]
        out = smp_lovasz_eval(run, x, t, f64=f64)
        return out if reduction == "sum" else out.reshape(1)
    # per image: smp without per_image on each image alone
    per = torch.stack([
        smp_lovasz_eval(lambda xx, tt: lovasz_smp(xx, tt if f64 or mode == "softmax" else tt.float(), mode,
                                                  classes, False, ignore), x[i:i + 1], t[i:i + 1], f64=f64)
        for i in range(x.shape[0])
    ])
    return per.sum() if reduction == "sum" else per


def lovasz_errors(x, t, mode, per_image, ignore):
    """The error vectors smp sorts (per image with per_image, per class for softmax)."""
    groups = [(x[i:i + 1], t[i:i + 1]) for i in range(x.shape[0])] if per_image else [(x, t)]
    out = []
    for xx, tt in groups:
        if mode == "hinge":
            xs, ts = xx.reshape(-1), tt.reshape(-1)
            keep = ts != ignore if ignore is not None else torch.ones_like(ts, dtype=torch.bool)
            out.append(1.0 - xs[keep] * (2.0 * ts[keep] - 1.0))
        else:
            p = torch.movedim(xx.softmax(dim=1), 1, -1).reshape(-1, xx.shape[1])
            ts = tt.reshape(-1)
            keep = ts != ignore if ignore is not None else torch.ones_like(ts, dtype=torch.bool)
            for c in range(xx.shape[1]):
                out.append(((ts[keep] == c).double() - p[keep, c]).abs())
    return out


def well_separated(x, t, mode, per_image, ignore, gap=1e-4):
    for e in lovasz_errors(x.detach(), t, mode, per_image, ignore):
        s = torch.sort(e).values
        if len(s) > 1 and (s[1:] - s[:-1]).min() < gap:
            return False
        if mode == "hinge" and len(s) and (s.abs() < gap).any():  # relu kink at error 0
            return False
    return True


LOVASZ_CASES = [
    # name, mode, classes, per_image, ignore, reduction, shape (input), absent classes, ignore fraction, partial config
    ("softmax/defaults_2d", "softmax", "present", False, None, "mean", (2, 3, 2, 4), None, 0.0, True),
    ("softmax/present_2d_class_absent", "softmax", "present", False, None, "mean", (2, 4, 2, 3), "c3", 0.0, False),
    ("softmax/all_2d_class_absent", "softmax", "all", False, None, "mean", (2, 4, 2, 3), "c3", 0.0, False),
    ("softmax/all_2d_every_class_present", "softmax", "all", False, None, "mean", (2, 3, 2, 4), None, 0.0, False),
    ("softmax/present_per_image_class_absent_in_image", "softmax", "present", True, None, "mean", (3, 3, 2, 3),
     "img1_c2", 0.0, False),
    ("softmax/all_per_image_class_absent_in_image", "softmax", "all", True, None, "mean", (3, 3, 2, 3),
     "img1_c2", 0.0, False),
    ("softmax/present_ignore_255", "softmax", "present", False, 255, "mean", (2, 3, 3, 3), None, 0.25, False),
    ("softmax/all_per_image_ignore_minus1", "softmax", "all", True, -1, "mean", (2, 4, 2, 3), "img0_c1", 0.3, False),
    ("softmax/present_3d", "softmax", "present", False, None, "mean", (2, 3, 2, 2, 2), None, 0.0, False),
    ("softmax/all_3d_per_image_ignore_255", "softmax", "all", True, 255, "mean", (2, 3, 2, 2, 2), None, 0.25, False),
    ("softmax/present_per_image_none", "softmax", "present", True, None, "none", (3, 3, 2, 3), "img2_c0", 0.0, False),
    ("softmax/all_per_image_sum_ignore_255", "softmax", "all", True, 255, "sum", (2, 3, 2, 3), "img0_c2", 0.2, False),
    ("softmax/present_batch_none", "softmax", "present", False, None, "none", (2, 3, 2, 3), None, 0.0, False),
    ("hinge/batch_2d", "hinge", None, False, None, "mean", (2, 3, 4), None, 0.0, False),
    ("hinge/per_image_2d", "hinge", None, True, None, "mean", (3, 3, 4), None, 0.0, False),
    ("hinge/per_image_all_negative_image", "hinge", None, True, None, "mean", (3, 3, 3), "img1_neg", 0.0, False),
    ("hinge/per_image_ignore_255_image_all_ignored", "hinge", None, True, 255, "mean", (3, 3, 4), "img2_void",
     0.2, False),
    ("hinge/batch_ignore_minus1_3d", "hinge", None, False, -1, "mean", (2, 2, 3, 3), None, 0.25, False),
    ("hinge/per_image_none_1d", "hinge", None, True, None, "none", (3, 8), None, 0.0, False),
    ("hinge/per_image_sum_ignore_255", "hinge", None, True, 255, "sum", (3, 3, 3), None, 0.2, False),
    ("hinge/batch_sum", "hinge", None, False, None, "sum", (2, 3, 4), None, 0.0, False),
]


def lovasz_cases():
    """The Lovász cases, from their own random stream."""
    torch.manual_seed(20261202)
    G = torch.Generator().manual_seed(17)
    logits = Draws(G).logits

    for name, mode, classes, per_image, ignore, reduction, shape, absent, ign_frac, partial in LOVASZ_CASES:
        n = shape[0]
        for _attempt in range(1000):
            if mode == "softmax":
                c = shape[1]
                x = logits(*shape)
                t = torch.randint(0, c, (n, *shape[2:]), generator=G)
                if absent == "c3":
                    t[t == 3] = torch.randint(0, 3, (int((t == 3).sum()),), generator=G)
                elif absent is not None:  # "img{i}_c{k}": class k absent from image i
                    i, k = int(absent[3]), int(absent[-1])
                    ti = t[i]
                    ti[ti == k] = (k + 1) % c
            else:
                x = logits(*shape)
                t = (torch.rand(*shape, generator=G) < 0.45).double()
                if absent == "img1_neg":
                    t[1] = 0.0
            if ign_frac:
                drop = torch.rand(t.shape, generator=G) < ign_frac
                t = torch.where(drop, torch.tensor(ignore, dtype=t.dtype), t)
                if absent == "img2_void":
                    t[2] = float(ignore)
            # every image keeps a positive and a negative pixel (except the cases that remove them on purpose)
            ok = True
            if mode == "hinge" and absent is None:
                for i in range(n):
                    ti = t[i]
                    ok &= bool((ti == 1).any()) and bool((ti == 0).any())
            if ok and well_separated(x, t, mode, per_image, ignore):
                break
        else:
            raise RuntimeError(f"{name}: could not draw well-separated errors")
        if absent == "c3":
            assert not (t == 3).any()
        x.requires_grad_()
        out = lovasz_ref(x, t, mode, classes, per_image, ignore, reduction)
        # unpatched smp in float32 agrees
        out32 = lovasz_ref(x.detach(), t, mode, classes, per_image, ignore, reduction, f64=False)
        assert torch.allclose(out32.double(), out.detach(), rtol=1e-5, atol=1e-6), (name, out32, out)
        if reduction == "mean" and mode == "softmax":
            other = "all" if classes == "present" else "present"
            if absent is not None:  # a class absent (from the batch or an image) makes "present" and "all" differ
                alt = lovasz_ref(x.detach(), t, mode, other, per_image, ignore, reduction)
                assert abs(float(alt) - float(out.detach())) > 1e-3, (name, float(alt), float(out.detach()))

        if mode == "softmax":
            anchor = f"{SMP}: " + ("LovaszLoss(mode='multiclass'" if classes == "present" else
                                   "_lovasz_softmax(x.softmax(dim=1), target, classes='all'")
        else:
            anchor = f"{SMP}: LovaszLoss(mode='binary'"
        anchor += f", per_image={per_image}, ignore_index={ignore})" if classes != "all" else \
            f", per_image={per_image}, ignore={ignore})"
        if reduction != "mean":
            anchor += (f"; reduction '{reduction}' re-created: smp (per_image=False) on each image alone, "
                       + ("summed" if reduction == "sum" else "stacked to [N]") if per_image else
                       f"; reduction '{reduction}' re-created: the batch value" + (" as [1]" if reduction == "none" else ""))
        if absent == "img2_void":
            anchor += "; image 2 has only ignored pixels: smp's _lovasz_hinge_flat returns 0 for it and `mean` counts it"
        cfg = {"type": "lovasz"} if partial else {
            "type": "lovasz", "mode": mode, "classes": classes if classes else "present", "per_image": per_image,
            "ignore_index": ignore, "reduction": reduction}
        if mode == "hinge" and not partial:
            del cfg["classes"]
        cases.append(Case(f"lovasz/{name}", anchor, cfg, {"input": x, "target": t}, out))


lovasz_cases()

# ================================================================== dice: MONAI's one-channel `weight`
# (appended last: every case draws its inputs from one stream, so the cases above keep theirs)
for name, cfg, make in [
    # one scored channel: MONAI's DiceLoss ignores `weight` (its `target.shape[1] != 1` test)
    ("dice_sigmoid_one_channel_weight_ignored_mean",
     {"type": "dice", "activation": "sigmoid", "weight": [3.0]},
     lambda: (logits(N, 1, 2, 3), binary_targets(N, 1, 2, 3))),
    ("dice_softmax_two_classes_include_background_false_weight_ignored_mean",
     {"type": "dice", "activation": "softmax", "include_background": False, "weight": [2.0]},
     lambda: (logits(N, 2, 2, 3), class_targets(N, 2, 2, 3))),
]:
    x, t = make()
    x.requires_grad_()
    out, anchor = monai_dice(cfg, x, t)
    add(name, cfg, x, t, out, anchor)

# ================================================================== MONAI soft_label and other_act
# (appended last: every case draws its inputs from one stream, so the cases above keep theirs)
for name, cfg, make, monai_fn in [
    ("dice_soft_label_soft_targets_mean", {"type": "dice", "soft_label": True},
     lambda: (probs(N, C, 2, 3), soft_targets(N, C, 2, 3)), "dice"),
    ("dice_soft_label_jaccard_soft_targets_none", {"type": "dice", "soft_label": True, "jaccard": True,
                                                   "reduction": "none"},
     lambda: (probs(N, C, 2, 3), soft_targets(N, C, 2, 3)), "dice"),
    ("dice_soft_label_squared_pred_no_effect_mean", {"type": "dice", "soft_label": True, "squared_pred": True},
     lambda: (probs(N, C, 2, 3), soft_targets(N, C, 2, 3)), "dice"),
    ("tversky_soft_label_soft_targets_alpha03_mean", {"type": "tversky", "soft_label": True, "alpha": 0.3,
                                                      "beta": 0.7},
     lambda: (probs(N, C, 2, 3), soft_targets(N, C, 2, 3)), "tversky"),
    ("dice_other_act_tanh_class_targets_include_background_false_mean",
     {"type": "dice", "activation": "tanh", "include_background": False},
     lambda: (logits(N, C, 2, 3), class_targets(N, C, 2, 3)), "dice"),
    ("dice_other_act_relu_multilabel_targets_sum", {"type": "dice", "activation": "relu", "reduction": "sum"},
     lambda: (logits(N, C, 2, 3), binary_targets(N, C, 2, 3)), "dice"),
    ("dice_other_act_identity_soft_label_tanh_free_mean",
     {"type": "dice", "activation": "identity", "soft_label": True},
     lambda: (logits(N, C, 2, 3), soft_targets(N, C, 2, 3)), "dice"),
]:
    x, t = make()
    x.requires_grad_()
    if monai_fn == "dice":
        kw = monai_kwargs(cfg, x, t, COMMON_KEYS + ["squared_pred", "jaccard", "soft_label"])
        out = DiceLoss(**kw)(x, monai_target(t))
        anchor = f"monai.losses.DiceLoss({fmt(kw)})"
    else:
        kw = monai_kwargs(cfg, x, t, COMMON_KEYS + ["alpha", "beta", "soft_label"])
        out = TverskyLoss(**kw)(x, monai_target(t))
        anchor = f"monai.losses.TverskyLoss({fmt(kw)})"
    if {**DEFAULTS, **cfg}["reduction"] == "none":
        out = out.reshape(x.shape[0], -1)
    add(name, cfg, x, t, out, anchor)


# ================================================================== smp: classes absent from the target -> loss 0
def smp_absent_case(name, cls, mode, cfg, x, t, smp_kw):
    out = cls(mode=mode, from_logits=True, **smp_kw)(x, t)
    kw = fmt({"mode": mode, "from_logits": True, **smp_kw})
    add(name, cfg, x, t, out, f"segmentation_models_pytorch.losses.{cls.__name__}({kw}) (a class absent from the "
        "batch's target: smp zeroes its loss, still counted in the mean over classes)")


for name, cls, kind, smp_kw in [
    ("dice_smp_absent_class_zero_multiclass", smp.losses.DiceLoss, "dice", {}),
    ("dice_smp_jaccard_absent_class_zero_multiclass", smp.losses.JaccardLoss, "jaccard", {}),
    ("tversky_smp_absent_class_zero_multiclass_alpha03", smp.losses.TverskyLoss, "tversky",
     {"alpha": 0.3, "beta": 0.7}),
]:
    x = logits(N, C, 2, 3).requires_grad_()
    t = class_targets(N, C, 2, 3)
    t = torch.where(t == C - 1, torch.zeros_like(t), t)  # the last class absent from the whole batch
    cfg = {"type": "tversky" if kind == "tversky" else "dice", "activation": "softmax", "batch": True,
           "smooth_nr": 0.0, "smooth_dr": 0.0, "absent_classes": "zero"}
    if kind == "jaccard":
        cfg["jaccard"] = True
    if kind == "tversky":
        cfg.update(alpha=0.3, beta=0.7)
    smp_absent_case(name, cls, "multiclass", cfg, x, t, smp_kw)
# binary: an all-background batch has loss 0 exactly
x = logits(N, 1, 2, 3).requires_grad_()
t = torch.zeros(N, 2, 3, dtype=torch.long)
smp_absent_case("dice_smp_absent_class_zero_binary_empty_target", smp.losses.DiceLoss, "binary",
                {"type": "dice", "activation": "sigmoid", "batch": True, "smooth_nr": 0.0, "smooth_dr": 0.0,
                 "absent_classes": "zero"}, x, t, {})

# ================================================================== kornia lovasz_softmax_loss(weight=)
import kornia  # noqa: E402

for name, w in [("kornia_softmax_all_per_image_unweighted", None),
                ("kornia_softmax_all_per_image_class_weight", [1.0, 2.0, 0.5])]:
    x = logits(N, C, 2, 3).requires_grad_()
    t = class_targets(N, C, 2, 3)
    kw = {} if w is None else {"weight": torch.tensor(w, dtype=torch.float64)}
    out = kornia.losses.lovasz_softmax_loss(x, t, **kw)
    cfg = {"type": "lovasz", "classes": "all", "per_image": True}
    if w is not None:
        cfg["weight"] = w
    cases.append(Case(f"lovasz/{name}", f"kornia.losses.lovasz_softmax_loss(pred, target{'' if w is None else f', weight={w}'}) "
                      "(per image, all classes; the weighted mean divides by C)", cfg, {"input": x, "target": t}, out))

# ================================================================== kornia dice_loss / tversky_loss (appended last: one stream)
# kornia 0.9 dice_loss(pred, target, average, eps, weight, ignore_index) and tversky_loss(pred, target, alpha, beta,
# eps, ignore_index): softmax logits [N, C, H, W], class indices [N, H, W], ignored pixels (-100) leave their own
# sample's sums; "micro": one Dice per sample over all classes and pixels (w_c scales class c's terms in both
# sums); "macro" / tversky: per sample, the (weighted) mean over the classes present in the sample's non-ignored
# target; a sample with an empty sum (all pixels ignored) is loss 1 with zero gradient. kornia returns the batch
# mean; reduction "none" is kornia on each sample alone (a batch of 1), stacked. Every case is checked against an
# independent float64 re-creation of the config to 1e-10.
KORNIA_EPS = 1e-8


def kornia_recreate(cfg, x, t):
    c = {"weight": None, "ignore_index": None, "average": "macro", "reduction": "mean", **cfg}
    n, ch = x.shape[:2]
    p = torch.softmax(x, 1)
    valid = torch.ones_like(t, dtype=torch.bool) if c["ignore_index"] is None else t != c["ignore_index"]
    m = valid.unsqueeze(1).double()
    g = onehot(torch.where(valid, t, torch.zeros_like(t)), ch) * m
    p = p * m
    w = torch.ones(ch, dtype=torch.float64) if c["weight"] is None else torch.tensor(c["weight"], dtype=torch.float64)
    eps = c["smooth_dr"]
    if c["type"] == "dice" and c["average"] == "micro":
        wv = w.view(1, -1, 1, 1)
        inter = (wv * p * g).sum((1, 2, 3))
        card = (wv * (p + g)).sum((1, 2, 3))
        loss = torch.where(card > 0, 1 - 2 * inter / (card + eps), torch.ones_like(card))
    else:
        tp = (p * g).sum((2, 3))
        if c["type"] == "dice":
            f = 1 - 2 * tp / ((p + g).sum((2, 3)) + eps)
        else:
            fp, fn = (p * (1 - g)).sum((2, 3)), ((1 - p) * g).sum((2, 3))
            f = 1 - tp / (tp + c["alpha"] * fp + c["beta"] * fn + eps)
        ww = w * (g.sum((2, 3)) > 0)
        norm = ww.sum(-1)
        loss = torch.where(norm > 0, (f * ww).sum(-1) / norm.clamp_min(1e-300), torch.ones_like(norm))
    return loss if c["reduction"] == "none" else loss.mean()


def kornia_call(cfg, x, t):
    kw = {"eps": cfg["smooth_dr"]}
    if cfg["type"] == "dice":
        fn, kw = kornia.losses.dice_loss, {"average": cfg.get("average", "macro"), **kw}
        if cfg.get("weight") is not None:
            kw["weight"] = torch.tensor(cfg["weight"], dtype=torch.float64)
    else:
        fn, kw = kornia.losses.tversky_loss, {"alpha": cfg["alpha"], "beta": cfg["beta"], **kw}
    if cfg.get("reduction") == "none":
        out = torch.stack([fn(x[i:i + 1], t[i:i + 1], **kw) for i in range(x.shape[0])])
    else:
        out = fn(x, t, **kw)
    kw_text = fmt({k: (cfg["weight"] if k == "weight" else v) for k, v in kw.items()})
    anchor = f"kornia.losses.{fn.__name__}(pred, target, {kw_text})"
    if cfg.get("ignore_index") is not None:
        anchor += " (ignore_index=-100, its default)"
    if cfg.get("reduction") == "none":
        anchor += " on each sample alone (a batch of 1), stacked"
    return out, anchor


def kornia_case(name, cfg, x, t):
    x = x.requires_grad_()
    out, anchor = kornia_call(cfg, x, t)
    check_recreation(name, out, kornia_recreate(cfg, x, t), x)
    cases.append(Case(name, anchor, cfg, {"input": x, "target": t}, out))


DICE_MICRO = {"type": "dice", "activation": "softmax", "smooth_nr": 0.0, "smooth_dr": KORNIA_EPS, "average": "micro"}
DICE_MACRO = {"type": "dice", "activation": "softmax", "smooth_nr": 0.0, "smooth_dr": KORNIA_EPS,
              "absent_classes": "skip"}
TVERSKY = {"type": "tversky", "activation": "softmax", "smooth_nr": 0.0, "smooth_dr": KORNIA_EPS,
           "absent_classes": "skip"}


def fully_ignored(t, sample):
    t = with_ignored(t, -100)
    t[sample] = -100
    return t


kornia_case("dice/kornia/micro_unweighted_missing_class_mean", DICE_MICRO,
            logits(N, C, 2, 3), class_targets(N, C, 2, 3, absent=((1, 2),)))
kornia_case("dice/kornia/micro_weighted_mean", {**DICE_MICRO, "weight": [1.0, 2.0, 0.5]},
            logits(N, C, 2, 3), class_targets(N, C, 2, 3, absent=((0, 1),)))
kornia_case("dice/kornia/micro_ignore_fully_ignored_sample_mean", {**DICE_MICRO, "ignore_index": -100},
            logits(3, C, 2, 3), fully_ignored(class_targets(3, C, 2, 3), 2))
x, t = logits(N, C, 2, 3), class_targets(N, C, 2, 3, absent=((0, 2),))
kornia_case("dice/kornia/macro_skip_missing_class_mean", DICE_MACRO, x.clone(), t)
kornia_case("dice/kornia/macro_skip_missing_class_none", {**DICE_MACRO, "reduction": "none"}, x.clone(), t)
kornia_case("dice/kornia/macro_skip_weighted_ignore_fully_ignored_sample_mean",
            {**DICE_MACRO, "weight": [1.0, 2.0, 0.5], "ignore_index": -100},
            logits(3, C, 2, 3), fully_ignored(class_targets(3, C, 2, 3, absent=((1, 0),)), 2))
kornia_case("tversky/kornia/alpha03_beta07_missing_class_mean", {**TVERSKY, "alpha": 0.3, "beta": 0.7},
            logits(N, C, 2, 3), class_targets(N, C, 2, 3, absent=((1, 1),)))
kornia_case("tversky/kornia/alpha07_beta03_ignore_fully_ignored_sample_mean",
            {**TVERSKY, "alpha": 0.7, "beta": 0.3, "ignore_index": -100},
            logits(3, C, 2, 3), fully_ignored(class_targets(3, C, 2, 3), 0))

# ================================================================== Keras 3 Dice / Tversky (appended last: own stream)
# keras.losses.Dice(axis=) / Tversky(alpha=, beta=, axis=) (Keras 3.15.1, KERAS_BACKEND=torch, dtype="float64",
# gradients through Keras) on channels-last tensors: our [N, C, H, W] leaves permuted to [N, H, W, C]. Keras's
# ratios pool every class and pixel (our average "micro", smooth_nr 0, smooth_dr = its epsilon 1e-7): axis=None
# pools the batch too (batch true; one number, which Keras's reduction leaves as it is), axis=(1, 2, 3) gives one
# loss per sample (batch false; Keras "sum_over_batch_size" / "sum" / "none" = our "mean" / "sum" / "none" on
# [N]). Keras's Tversky alpha multiplies sum((1 - y_pred) * y_true), the false negatives (its docstring says
# false positives), and beta sum(y_pred * (1 - y_true)), the false positives: our alpha (false positives) is
# Keras's beta and our beta Keras's alpha, checked here (the re-creation with the other mapping must differ).
# Predictions are independent probabilities k/64 (with a softmax over C and one-hot targets sum(p) = sum(g), so
# FP = FN and alpha / beta could not be told apart); targets are one-hot float masks and take no gradient. Every case is checked against a float64 re-creation
# (alpha FP + beta FN) to 1e-10 relative, 1e-6 where Keras's divide_no_nan rounds through float32.
def keras3_overlap_cases():
    import keras

    from common import keras3_call, keras3_note

    G3 = Grid(torch.Generator().manual_seed(20261213))

    def recreate_micro(cfg, x, g):
        axes = (0, 1, 2, 3) if cfg["batch"] else (1, 2, 3)
        tp, fp, fn = (x * g).sum(axes), (x * (1 - g)).sum(axes), ((1 - x) * g).sum(axes)
        snr, sdr = cfg["smooth_nr"], cfg["smooth_dr"]
        if cfg["type"] == "dice":
            f = 1 - (2 * tp + snr) / (2 * tp + fp + fn + sdr)
        else:
            f = 1 - (tp + snr) / (tp + cfg["alpha"] * fp + cfg["beta"] * fn + sdr)
        return {"none": f, "sum": f.sum(), "mean": f.mean()}[cfg["reduction"]]

    ours = {"sum_over_batch_size": "mean", "sum": "sum", "none": "none"}
    base = {"activation": "none", "smooth_nr": 0.0, "smooth_dr": 1e-7, "average": "micro"}
    for name, kind, kw in [
        ("axis_none", "dice", {"axis": None}),
        ("axis_123_sum", "dice", {"axis": (1, 2, 3), "reduction": "sum"}),
        ("axis_123_none", "dice", {"axis": (1, 2, 3), "reduction": "none"}),
        ("alpha03_beta07_axis_none", "tversky", {"alpha": 0.3, "beta": 0.7, "axis": None}),
        ("alpha07_beta03_axis_123_sum_over_batch_size", "tversky",
         {"alpha": 0.7, "beta": 0.3, "axis": (1, 2, 3), "reduction": "sum_over_batch_size"}),
    ]:
        name = f"{kind}/keras3/{name}"
        kw = {"reduction": "sum_over_batch_size", **kw}
        x = G3.probs(N, C, 2, 3).requires_grad_()  # not a softmax: sum(p) != sum(g), so FP != FN
        t = onehot(G3.class_targets(N, C, 2, 3), C)
        cls = keras.losses.Dice if kind == "dice" else keras.losses.Tversky
        out = keras3_call(cls, t.permute(0, 2, 3, 1), x.permute(0, 2, 3, 1), None, **kw)
        batch = kw["axis"] is None
        cfg = {"type": kind, **base, "batch": batch, "reduction": "mean" if batch else ours[kw["reduction"]]}
        if kind == "tversky":
            cfg.update({"alpha": kw["beta"], "beta": kw["alpha"]})
            # the mapping: Keras's (alpha, beta) taken as ours unswapped does not reproduce Keras
            wrong = recreate_micro({**cfg, "alpha": kw["alpha"], "beta": kw["beta"]}, x, t)
            assert not torch.allclose(out, wrong, rtol=1e-3), (name, out, wrong)
        rounded = not batch and kw["reduction"] == "sum_over_batch_size"
        check_recreation(name, out, recreate_micro(cfg, x, t), x, rtol=1e-6 if rounded else 1e-10,
                         grad_atol=1e-7 if rounded else 1e-9)
        note = keras3_note(kw["reduction"] if not batch else "none", last_axis_mean=False)
        if kind == "tversky":
            note += (f" (Keras's alpha weighs sum((1 - y_pred) * y_true), the false negatives: our alpha = Keras beta "
                     f"= {kw['beta']}, our beta = Keras alpha = {kw['alpha']}; checked against a re-creation with "
                     "alpha * FP + beta * FN)")
        anchor = (f"keras.losses.{cls.__name__}({fmt(kw)})(y_true one-hot, y_pred) on [N,H,W,C] = our [N,C,H,W]"
                  f" permuted{' (axis=None: one value for the batch; the reduction leaves it as it is)' if batch else ''}"
                  + note)
        cases.append(Case(name, anchor, cfg, {"input": x, "target": t}, out))


keras3_overlap_cases()


names = [c.name for c in cases]
assert len(names) == len(set(names)), "duplicate case names"

write_fixtures("segmentation", __doc__, cases, {
    "torch": torch.__version__, "monai": monai.__version__, "segmentation_models_pytorch": smp.__version__,
    "kornia": kornia.__version__,
})
