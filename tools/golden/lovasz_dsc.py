#!/usr/bin/env python3
"""Golden fixtures for the Lovász and self-adjusting Dice (DSC) losses -> tests/fixtures/lovasz_dsc.json.

Anchors (see each case's `anchor`):
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
    The survey's TensorFlow dice_loss / dsc_loss ("The Loss Function in Machine Learning", 2020) are re-created with torch ops:
    batch sums, sigmoid of [N] logits, smooth 1, alpha 0 / 1.

Inputs are drawn in float32 and the references run in float64 on exactly those values. Gradients
are d(sum of the loss output)/d(input); targets and masks take no gradient. Lovász inputs are
re-drawn until no two sorted errors lie within 1e-4 of each other (the loss is piecewise linear in
the sorted order; ties would make the float32 gradient order-dependent).

Re-run:  scripts/setup-torch-venv.sh --with-fixtures  &&  <venv>/bin/python tools/golden/lovasz_dsc.py
"""
import os
import sys

import segmentation_models_pytorch as smp
import torch
import torch.nn.functional as F
from segmentation_models_pytorch.losses import LovaszLoss
from segmentation_models_pytorch.losses import lovasz as smp_lovasz

sys.path.insert(0, os.path.dirname(__file__))
from common import Case, write_fixtures  # noqa: E402

torch.manual_seed(20261202)
G = torch.Generator().manual_seed(17)

SMP = "segmentation_models_pytorch 0.6.0 losses/lovasz.py"
SHANNON = ("ShannonAI/dice_loss_for_NLP loss/dice_loss.py DiceLoss (d1ff9e5), re-created in the generator "
           "(not installable)")
TF_ANCHOR = "loss-function survey (2020) TensorFlow dsc_loss / dice_loss, re-created with torch"


def logits(*shape, scale=2.0):
    return (torch.randn(*shape, generator=G) * scale).float().double()


cases = []

# ================================================================== lovasz
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


# ================================================================== dsc
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
    anchor = (f"{TF_ANCHOR} ({fn.__name__.replace('tf_', '')}_loss, smooth 1, sums over the batch); equals "
              f"{SHANNON} binary path with square_denominator=False, alpha={alpha}")
    cfg = {"type": "dsc", "alpha": alpha, "smooth": 1.0, "square_denominator": False, "batch": True,
           "reduction": "mean"}
    cases.append(Case(f"dsc/{name}", anchor, cfg, {"input": x, "target": t}, out))

write_fixtures("lovasz_dsc", __doc__, cases, {
    "torch": torch.__version__,
    "segmentation_models_pytorch": smp.__version__,
    "ShannonAI/dice_loss_for_NLP": "d1ff9e5295857f63e6884f997fdf64981811b473 (loss/dice_loss.py, re-created)",
})
