#!/usr/bin/env python3
"""Golden fixtures for the composite loss `sum` -> tests/fixtures/composite.json.

Anchors (see each case's `anchor`), pinned in requirements.txt:
  * monai.losses.DiceCELoss (MONAI 1.6.1) = `dice` (λ_dice) + `focal` with gamma 0 (λ_ce). Its CE
    term is torch.nn.CrossEntropyLoss(weight=weight, reduction=reduction, label_smoothing=...) on the
    raw logits and the class indices (MONAI squeezes the [N, 1, ...] target and casts it to long);
    it always sees every channel: `include_background=False` drops channel 0 from the Dice term only
    (and passes weight[1:] to the Dice term while CE keeps the whole `weight`). `sigmoid=True` only
    changes the Dice activation: with C > 1 the second term is still the softmax cross-entropy; with
    one channel it is BCEWithLogitsLoss(pos_weight=weight) (and DiceLoss ignores a class weight on
    one channel). PyTorch's weighted "mean" divides by the summed weights of the targets, which our
    `focal` "mean" does not, so `weight` cases use reduction "sum" (CE sum = Σ weight[t]·CE).
  * monai.losses.DiceFocalLoss (MONAI 1.6.1) = `dice` (λ_dice) + `binary_focal` (λ_focal) on the
    one-hot target: its focal term is monai.losses.FocalLoss(use_softmax=False), a sigmoid focal
    loss of every channel, whatever the Dice activation; `alpha` (scalar) weighs positives α and
    negatives 1 − α as torchvision, default None (= our "alpha": null); reduction "mean" averages over
    all N·C·spatial elements. Its reduction "sum" sums the per-(sample, class) spatial means, i.e.
    the sum over all elements divided by the spatial size S: our binary_focal "sum" with term weight
    λ_focal / S. MONAI's FocalLoss computes in float32 (`input.float()`), so those expected values
    carry float32 rounding (about 1e-7 relative).
  * The survey's U-Net training loop "CE + Dice" ("The Loss Function in Machine Learning", 2020), re-created with torch ops:
    F.cross_entropy(logits, masks) + a per-class soft Dice of softmax(logits) against the one-hot
    masks, sums over batch and pixels, smooth 1 (= `dice` with activation softmax, batch, smooth 1);
    its binary form BCEWithLogits + the sigmoid Dice over the whole batch, smooth 1, on one channel
    with a float 0/1 target [N, 1, H, W].

Not expressible as a `sum` of our terms (checked below, no case made): DiceFocalLoss with
include_background=False (MONAI's focal term drops channel 0 too; our binary_focal has no such
option); DiceFocalLoss / FocalLoss `weight` (per-class factor of the focal term); DiceCELoss with
`weight` and reduction "mean" (PyTorch divides by Σ weight[t]); DiceCELoss fed a float one-hot
target (our `focal` takes class indices only); the global U-Net Dice that sums over the classes too
(1 − (2 Σ_{n,c,h,w} p g + 1) / (Σ p + Σ g + 1), not a mean of per-class Dice).

Inputs are small ([2, 3, 2, 3], [2, 3, 2, 4], [2, 3, 2, 2, 2], [2, 1, 2, 3]) on short binary grids
(logits: multiples of 1/32), exactly representable in float32; the references run in float64 on
exactly those values. Class-index targets are [N, spatial...] (MONAI gets [N, 1, spatial...]).
Gradients are d(loss)/d(input); targets take no gradient.

Every case is also checked, inside this script, against an independent float64 re-creation of the
Rust `sum` config (each term re-created from its config; class indices one-hot encoded for
binary_focal / bce) to 1e-10 relative, value and gradient; 1e-6 for DiceFocalLoss (float32 focal).

Re-run:  scripts/setup-torch-venv.sh --with-fixtures  &&  <venv>/bin/python tools/golden/composite.py
"""
import os
import sys
import warnings

import monai
import torch
import torch.nn.functional as F
import torchvision
from monai.losses import DiceCELoss, DiceFocalLoss, DiceLoss, FocalLoss
from torchvision.ops import sigmoid_focal_loss

sys.path.insert(0, os.path.dirname(__file__))
from common import DICE_DEFAULTS, Case, Grid, check_recreation, fmt, monai_target, write_fixtures  # noqa: E402

# MONAI warns (and does nothing) for to_onehot_y on one channel.
warnings.filterwarnings("ignore", message="single channel prediction")

torch.manual_seed(20261205)
G = torch.Generator().manual_seed(23)

FOCAL_DEFAULTS = {"gamma": 2.0, "alpha": None, "label_smoothing": 0.0, "reduction": "mean"}
BINARY_FOCAL_DEFAULTS = {"gamma": 2.0, "alpha": 0.25, "reduction": "mean"}
BCE_DEFAULTS = {"pos_weight": None, "reduction": "mean"}


# ------------------------------------------------------------------ inputs (common.Grid)
_grid = Grid(G)
logits, class_targets, onehot, binary_targets = _grid.logits, _grid.class_targets, Grid.onehot, _grid.binary_targets


# ------------------------------------------------------------------ independent re-creation of the config
def dice_ref(cfg, x, target):
    c = {**DICE_DEFAULTS, **cfg}
    p = {"none": lambda v: v, "softmax": lambda v: torch.softmax(v, 1), "sigmoid": torch.sigmoid}[c["activation"]](x)
    ch = p.shape[1]
    if target.is_floating_point():
        g = target
    else:
        g = target.unsqueeze(1).double() if ch == 1 else onehot(target, ch)
    if not c["include_background"] and ch > 1:
        p, g = p[:, 1:], g[:, 1:]
    axes = list(range(2, p.dim()))
    if c["batch"]:
        axes = [0] + axes
    tp = (p * g).sum(axes)
    k = 2 if c["squared_pred"] else 1
    fp, fn = (p ** k).sum(axes) - tp, (g ** k).sum(axes) - tp
    snr, sdr = c["smooth_nr"], c["smooth_dr"]
    if c["jaccard"]:
        f = 1 - (2 * tp + snr) / (2 * (tp + fp + fn) + sdr)
    else:
        f = 1 - (2 * tp + snr) / (2 * tp + fp + fn + sdr)
    if c["weight"] is not None:
        f = f * torch.tensor(c["weight"], dtype=torch.float64)
    return {"sum": f.sum(), "mean": f.mean()}[c["reduction"]]


def focal_ref(cfg, x, t):
    """Softmax focal on class indices: -Σ_k α_k q_k (1 - p_k)^γ log p_k per pixel, q = (1 - s) onehot + s / C;
    "mean" divides by the pixel count."""
    c = {**FOCAL_DEFAULTS, **cfg}
    ch = x.shape[1]
    logp = torch.log_softmax(x, 1)
    q = (1 - c["label_smoothing"]) * onehot(t, ch) + c["label_smoothing"] / ch
    a = torch.ones(ch, dtype=torch.float64) if c["alpha"] is None else torch.tensor(c["alpha"], dtype=torch.float64)
    a = a.view(1, ch, *[1] * (x.dim() - 2))
    el = -(a * q * (1 - logp.exp()) ** c["gamma"] * logp).sum(1)
    return {"sum": el.sum(), "mean": el.mean()}[c["reduction"]]


def binary_focal_ref(cfg, x, y):
    c = {**BINARY_FOCAL_DEFAULTS, **cfg}
    p = torch.sigmoid(x)
    ce = -(y * F.logsigmoid(x) + (1 - y) * F.logsigmoid(-x))
    pt = p * y + (1 - p) * (1 - y)
    el = ce * (1 - pt) ** c["gamma"]
    if c["alpha"] is not None:
        el = (c["alpha"] * y + (1 - c["alpha"]) * (1 - y)) * el
    return {"sum": el.sum(), "mean": el.mean()}[c["reduction"]]


def bce_ref(cfg, x, y):
    c = {**BCE_DEFAULTS, **cfg}
    pw = 1.0 if c["pos_weight"] is None else torch.tensor(c["pos_weight"], dtype=torch.float64)
    el = -(pw * y * F.logsigmoid(x) + (1 - y) * F.logsigmoid(-x))
    return {"sum": el.sum(), "mean": el.mean()}[c["reduction"]]


def sum_ref(cfg, x, target):
    total = 0.0
    x_in = x
    for term in cfg["terms"]:
        loss = term["loss"]
        kind = loss["type"]
        act = term.get("activation", "none")
        x = {"none": x_in, "softmax": torch.softmax(x_in, 1), "sigmoid": torch.sigmoid(x_in)}[act]
        if kind == "dice":
            v = dice_ref(loss, x, target)
        elif kind == "focal":
            assert not target.is_floating_point()
            v = focal_ref(loss, x, target)
        else:
            y = target if target.is_floating_point() else onehot(target, x.shape[1])
            v = {"binary_focal": binary_focal_ref, "bce": bce_ref}[kind](loss, x, y)
        total = total + term["weight"] * v
    return total


# ------------------------------------------------------------------ helpers
def composite(*terms):
    return {"type": "sum", "terms": [{"weight": float(w), "loss": loss} for w, loss in terms]}


cases = []


def add(name, cfg, x, target, out, anchor, rtol_check=1e-10):
    assert out.shape == torch.Size([]), (name, out.shape)
    check_recreation(name, out, sum_ref(cfg, x, target), x, rtol_check)
    cases.append(Case(name, anchor, cfg, {"input": x, "target": target}, out))


N, C = 2, 3

# ================================================================== MONAI DiceCELoss
def dicece_case(name, kw, x, t, cfg):
    """kw: DiceCELoss keyword arguments (besides to_onehot_y, set for class-index targets on C > 1)."""
    x.requires_grad_()
    kw = dict(kw)
    if not t.is_floating_point() and x.shape[1] > 1:
        kw = {"to_onehot_y": True, **kw}
    call_kw = {k: (torch.tensor(v, dtype=torch.float64) if k == "weight" else v) for k, v in kw.items()}
    out = DiceCELoss(**call_kw)(x, monai_target(t))
    add(name, cfg, x, t, out, f"monai.losses.DiceCELoss({fmt(kw)})")


SOFTMAX_DICE = {"type": "dice", "activation": "softmax"}
CE = {"type": "focal", "gamma": 0.0}

dicece_case("dicece_softmax_class_targets_defaults", {"softmax": True},
            logits(N, C, 2, 3), class_targets(N, C, 2, 3), composite((1, SOFTMAX_DICE), (1, CE)))
dicece_case("dicece_softmax_class_targets_lambda_dice07_lambda_ce03",
            {"softmax": True, "lambda_dice": 0.7, "lambda_ce": 0.3},
            logits(N, C, 2, 4), class_targets(N, C, 2, 4), composite((0.7, SOFTMAX_DICE), (0.3, CE)))
# include_background=False: Dice drops channel 0, CE keeps every channel
dicece_case("dicece_softmax_class_targets_include_background_false",
            {"softmax": True, "include_background": False},
            logits(N, C, 2, 3), class_targets(N, C, 2, 3),
            composite((1, {**SOFTMAX_DICE, "include_background": False}), (1, CE)))
# weight: Dice gets weight[1:] (include_background=False), CE the whole weight; reduction "sum"
dicece_case("dicece_softmax_class_targets_include_background_false_weight_sum",
            {"softmax": True, "include_background": False, "weight": [0.5, 2.0, 1.25], "reduction": "sum"},
            logits(N, C, 2, 3), class_targets(N, C, 2, 3),
            composite((1, {**SOFTMAX_DICE, "include_background": False, "weight": [2.0, 1.25], "reduction": "sum"}),
                      (1, {**CE, "alpha": [0.5, 2.0, 1.25], "reduction": "sum"})))
dicece_case("dicece_softmax_class_targets_batch_jaccard_lambda_ce15",
            {"softmax": True, "batch": True, "jaccard": True, "lambda_ce": 1.5},
            logits(N, C, 2, 4), class_targets(N, C, 2, 4),
            composite((1, {**SOFTMAX_DICE, "batch": True, "jaccard": True}), (1.5, CE)))
dicece_case("dicece_softmax_class_targets_3d_smooth1",
            {"softmax": True, "smooth_nr": 1.0, "smooth_dr": 1.0},
            logits(N, C, 2, 2, 2), class_targets(N, C, 2, 2, 2),
            composite((1, {**SOFTMAX_DICE, "smooth_nr": 1.0, "smooth_dr": 1.0}), (1, CE)))
dicece_case("dicece_softmax_class_targets_label_smoothing01",
            {"softmax": True, "label_smoothing": 0.1},
            logits(N, C, 2, 3), class_targets(N, C, 2, 3),
            composite((1, SOFTMAX_DICE), (1, {**CE, "label_smoothing": 0.1})))
# sigmoid=True with C > 1: sigmoid Dice on the one-hot target, the second term is still softmax CE
dicece_case("dicece_sigmoid_class_targets_multiclass_ce",
            {"sigmoid": True},
            logits(N, C, 2, 3), class_targets(N, C, 2, 3),
            composite((1, {"type": "dice", "activation": "sigmoid"}), (1, CE)))
# one channel: BCEWithLogitsLoss(pos_weight=weight); DiceLoss ignores the class weight on one channel
dicece_case("dicece_sigmoid_one_channel_float_target_weight_bce_pos_weight",
            {"sigmoid": True, "weight": [2.0]},
            logits(N, 1, 2, 3), binary_targets(N, 1, 2, 3),
            composite((1, {"type": "dice", "activation": "sigmoid"}), (1, {"type": "bce", "pos_weight": [2.0]})))

# ---- DiceCE semantics our composite cannot express (checked, no case)
x, t = logits(N, C, 2, 3), class_targets(N, C, 2, 3)
w = [0.5, 2.0, 1.25]
mon = DiceCELoss(softmax=True, to_onehot_y=True, weight=torch.tensor(w, dtype=torch.float64))(x, t.unsqueeze(1))
ours = sum_ref(composite((1, {**SOFTMAX_DICE, "weight": w}), (1, {**CE, "alpha": w})), x, t)
torch_ce = DiceLoss(softmax=True, to_onehot_y=True, weight=torch.tensor(w))(x, t.unsqueeze(1)) + \
    F.cross_entropy(x, t, weight=torch.tensor(w, dtype=torch.float64))
assert torch.allclose(mon, torch_ce, rtol=1e-12) and not torch.allclose(mon, ours, rtol=1e-3), \
    "weighted mean CE: PyTorch divides by sum(weight[t])"
# a float one-hot target: CE on class probabilities (= the class-index CE), which our focal refuses
mon_f = DiceCELoss(softmax=True)(x, onehot(t, C))
assert torch.allclose(mon_f, DiceCELoss(softmax=True, to_onehot_y=True)(x, t.unsqueeze(1)), rtol=1e-12)

# ================================================================== MONAI DiceFocalLoss
FOCAL_RTOL = 1e-6  # MONAI's FocalLoss runs in float32


def dicefocal_case(name, kw, x, t, cfg):
    x.requires_grad_()
    kw = dict(kw)
    if not t.is_floating_point() and x.shape[1] > 1:
        kw = {"to_onehot_y": True, **kw}
    out = DiceFocalLoss(**kw)(x, monai_target(t))
    add(name, cfg, x, t, out, f"monai.losses.DiceFocalLoss({fmt(kw)})", rtol_check=FOCAL_RTOL)


def sfocal(gamma, **kw):
    return {"type": "binary_focal", "gamma": float(gamma), "alpha": None, **kw}


dicefocal_case("dicefocal_softmax_class_targets_gamma2_defaults", {"softmax": True},
               logits(N, C, 2, 3), class_targets(N, C, 2, 3), composite((1, SOFTMAX_DICE), (1, sfocal(2))))
dicefocal_case("dicefocal_softmax_class_targets_gamma1_lambda_dice05_lambda_focal2",
               {"softmax": True, "gamma": 1.0, "lambda_dice": 0.5, "lambda_focal": 2.0},
               logits(N, C, 2, 4), class_targets(N, C, 2, 4), composite((0.5, SOFTMAX_DICE), (2, sfocal(1))))
dicefocal_case("dicefocal_softmax_class_targets_3d_alpha025",
               {"softmax": True, "alpha": 0.25},
               logits(N, C, 2, 2, 2), class_targets(N, C, 2, 2, 2),
               composite((1, SOFTMAX_DICE), (1, {**sfocal(2), "alpha": 0.25})))
dicefocal_case("dicefocal_sigmoid_multilabel_float_targets_gamma15_batch",
               {"sigmoid": True, "gamma": 1.5, "batch": True},
               logits(N, C, 2, 3), binary_targets(N, C, 2, 3),
               composite((1, {"type": "dice", "activation": "sigmoid", "batch": True}), (1, sfocal(1.5))))
# a float one-hot target: no conversion, every term takes it as it is
dicefocal_case("dicefocal_softmax_onehot_float_target_lambda_focal05",
               {"softmax": True, "lambda_focal": 0.5},
               logits(N, C, 2, 3), onehot(class_targets(N, C, 2, 3), C),
               composite((1, SOFTMAX_DICE), (0.5, sfocal(2))))
# reduction "sum": MONAI's focal sums the per-(sample, class) spatial means -> weight λ_focal / S (S = 2·4)
dicefocal_case("dicefocal_softmax_class_targets_reduction_sum_focal_weight_over_spatial_size",
               {"softmax": True, "reduction": "sum"},
               logits(N, C, 2, 4), class_targets(N, C, 2, 4),
               composite((1, {**SOFTMAX_DICE, "reduction": "sum"}), (1 / 8, sfocal(2, reduction="sum"))))

# ---- DiceFocal semantics our composite cannot express (checked, no case)
x, t = logits(N, C, 2, 3), class_targets(N, C, 2, 3)
mon = DiceFocalLoss(softmax=True, to_onehot_y=True, include_background=False)(x, t.unsqueeze(1))
y = onehot(t, C)
dice_nb = DiceLoss(softmax=True, to_onehot_y=True, include_background=False)(x, t.unsqueeze(1))
drop_bg = dice_nb + sigmoid_focal_loss(x[:, 1:], y[:, 1:], alpha=-1, gamma=2.0, reduction="mean")
keep_bg = dice_nb + sigmoid_focal_loss(x, y, alpha=-1, gamma=2.0, reduction="mean")
assert torch.allclose(mon, drop_bg, rtol=1e-6) and not torch.allclose(mon, keep_bg, rtol=1e-3), \
    "DiceFocalLoss(include_background=False) drops channel 0 from its focal term too"
# the focal term is the sigmoid focal on the one-hot target (torchvision, alpha -1), also next to softmax Dice
assert torch.allclose(FocalLoss(gamma=2.0)(x, y).double(),
                      sigmoid_focal_loss(x, y, alpha=-1, gamma=2.0, reduction="mean"), rtol=1e-6)
assert torch.allclose(FocalLoss(gamma=2.0, alpha=0.25)(x, y).double(),
                      sigmoid_focal_loss(x, y, alpha=0.25, gamma=2.0, reduction="mean"), rtol=1e-6)
# weight: a per-class factor on the focal elements (and on the Dice terms) -- no binary_focal option for it
cw = torch.tensor([0.5, 2.0, 1.25], dtype=torch.float64)
mon = DiceFocalLoss(softmax=True, to_onehot_y=True, weight=cw)(x, t.unsqueeze(1))
el = sigmoid_focal_loss(x, y, alpha=-1, gamma=2.0, reduction="none") * cw.view(1, C, 1, 1)
assert torch.allclose(mon, DiceLoss(softmax=True, to_onehot_y=True, weight=cw)(x, t.unsqueeze(1)) + el.mean(),
                      rtol=1e-6)

# ================================================================== survey U-Net loop: CE + Dice ("The Loss Function in Machine Learning", 2020)
UNET_ANCHOR = "loss-function survey (2020) U-Net loop CE + Dice, re-created"


def unet_dice_per_class(p, g, smooth=1.0):
    """1 - mean_c (2 Σ_{n,h,w} p_c g_c + smooth) / (Σ p_c + Σ g_c + smooth)."""
    axes = [0] + list(range(2, p.dim()))
    inter = (p * g).sum(axes)
    return 1 - ((2.0 * inter + smooth) / (p.sum(axes) + g.sum(axes) + smooth)).mean()


def unet_dice_global(p, g, smooth=1.0):
    """1 - (2 Σ_{n,c,h,w} p g + smooth) / (Σ p + Σ g + smooth): sums over the classes too."""
    return 1 - (2.0 * (p * g).sum() + smooth) / (p.sum() + g.sum() + smooth)


x, masks = logits(N, C, 2, 3).requires_grad_(), class_targets(N, C, 2, 3)
g = F.one_hot(masks, C).permute(0, 3, 1, 2).float().double()
out = F.cross_entropy(x, masks) + unet_dice_per_class(F.softmax(x, 1), g)
global_variant = F.cross_entropy(x, masks) + unet_dice_global(F.softmax(x, 1), g)
assert not torch.allclose(out, global_variant, rtol=1e-3), "global-over-classes Dice differs from per-class"
UNET_DICE = {"type": "dice", "activation": "softmax", "batch": True, "smooth_nr": 1.0, "smooth_dr": 1.0}
add("unet_ce_plus_dice_softmax_per_class_batch_smooth1", composite((1, UNET_DICE), (1, CE)), x, masks, out,
    UNET_ANCHOR + ": F.cross_entropy(logits, masks) + 1 - mean_c (2 sum(p_c g_c) + 1) / (sum p_c + sum g_c + 1), "
    "p = F.softmax(logits, 1), g = F.one_hot(masks, C).permute(0, 3, 1, 2).float(), sums over batch and pixels "
    "(per-class variant; = monai.losses.DiceLoss(softmax=True, to_onehot_y=True, batch=True, smooth_nr=1, "
    "smooth_dr=1))")
assert torch.allclose(out, DiceCELoss(softmax=True, to_onehot_y=True, batch=True, smooth_nr=1.0, smooth_dr=1.0)(
    x, masks.unsqueeze(1)), rtol=1e-12)

x, y = logits(N, 1, 2, 3).requires_grad_(), binary_targets(N, 1, 2, 3)
out = F.binary_cross_entropy_with_logits(x, y) + unet_dice_global(torch.sigmoid(x), y)
add("unet_bce_plus_dice_sigmoid_one_channel_float_target_batch_smooth1",
    composite((1, {"type": "dice", "activation": "sigmoid", "batch": True, "smooth_nr": 1.0, "smooth_dr": 1.0}),
              (1, {"type": "bce"})), x, y, out,
    UNET_ANCHOR + " (binary): F.binary_cross_entropy_with_logits(logits, masks) + 1 - (2 sum(p g) + 1) / "
    "(sum p + sum g + 1), p = sigmoid(logits), one channel, sums over the whole batch, float 0/1 masks [N, 1, H, W]")

# ================================================================== per-term activation and inputs
# (appended last: every case draws its inputs from one stream, so the cases above keep theirs)
# MONAI's DiceCELoss: the Dice term gets softmax probabilities from the sum's logits
dicece_case("dicece_softmax_as_term_activation_dice_on_probabilities",
            {"softmax": True}, logits(N, C, 2, 3), class_targets(N, C, 2, 3),
            {"type": "sum", "terms": [{"weight": 1.0, "loss": {"type": "dice"}, "activation": "softmax"},
                                      {"weight": 1.0, "loss": CE}]})
# two heads: class logits with class indices, and a regression head with its own target
x, t = logits(4, C).requires_grad_(), torch.randint(0, C, (4,), generator=G)
b, bt = logits(4, 2).requires_grad_(), logits(4, 2)
out = F.cross_entropy(x, t) + 0.5 * F.mse_loss(b, bt)
cfg = {"type": "sum", "terms": [
    {"weight": 1.0, "loss": CE},
    {"weight": 0.5, "loss": {"type": "mse"}, "inputs": {"input": "box_pred", "target": "box_true"}}]}
cases.append(Case("two_heads_cross_entropy_plus_half_mse_of_a_second_head", "torch.nn.functional.cross_entropy("
                  "logits, classes) + 0.5 * torch.nn.functional.mse_loss(box_pred, box_true)", cfg,
                  {"input": x, "target": t, "box_pred": b, "box_true": bt}, out))

names = [c.name for c in cases]
assert len(names) == len(set(names)), "duplicate case names"

write_fixtures("composite", __doc__, cases, {
    "torch": torch.__version__, "monai": monai.__version__, "torchvision": torchvision.__version__,
})
