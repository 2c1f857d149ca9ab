#!/usr/bin/env python3
"""Golden fixtures for the focal losses -> tests/fixtures/focal.json.

Every expected value and input gradient comes from a reference library (pinned in
requirements.txt): torchvision.ops.sigmoid_focal_loss, torch.nn.functional.cross_entropy /
binary_cross_entropy_with_logits, kornia.losses.focal_loss and Keras 3 focal cross-entropies
(KERAS_BACKEND=torch). Inputs are drawn in float32 and the references run in float64 on exactly
those values. Gradients are d(sum of the loss output)/d(each float input), as the CLI reports them.

Re-run:  scripts/setup-torch-venv.sh --with-fixtures  &&  <venv>/bin/python tools/golden/focal.py
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import kornia  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import torchvision  # noqa: E402
from torchvision.ops import sigmoid_focal_loss  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from common import Case, write_fixtures  # noqa: E402

torch.manual_seed(20261122)
G = torch.Generator().manual_seed(7)


def logits(*shape, scale=2.0):
    return (torch.randn(*shape, generator=G) * scale).float().double()


def probs_softmax(*shape):
    return torch.softmax(logits(*shape), dim=1).float().double()


def binary_targets(*shape):
    return (torch.rand(*shape, generator=G) > 0.6).double()


def soft_targets(*shape):
    return torch.rand(*shape, generator=G).float().double()


def class_targets(n, c, *rest, ignore=None, ignore_frac=0.0):
    t = torch.randint(0, c, (n, *rest), generator=G)
    if ignore is not None and ignore_frac > 0:
        mask = torch.rand(t.shape, generator=G) < ignore_frac
        mask.view(-1)[0] = True  # at least one ignored element
        t[mask] = ignore
    return t


def weights(n):
    return (torch.rand(n, generator=G) * 2.0).float().double()


def reduce(loss, reduction, count=None):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / (loss.numel() if count is None else count)


cases = []

# ------------------------------------------------------------------ binary_focal: torchvision
for name, shape, gamma, alpha, reduction, soft in [
    ("defaults_2d", (4, 3), 2.0, 0.25, "mean", False),
    ("gamma0_noalpha_sum", (5, 2), 0.0, None, "sum", False),
    ("gamma05_none_nd", (2, 3, 4), 0.5, 0.25, "none", False),
    ("gamma1_alpha075_mean", (6,), 1.0, 0.75, "mean", False),
    ("gamma5_sum_nd", (2, 2, 3), 5.0, 0.25, "sum", False),
    ("soft_targets_none", (3, 4), 2.0, 0.4, "none", True),
    ("soft_targets_noalpha_mean", (3, 4), 0.5, None, "mean", True),
]:
    x = logits(*shape).requires_grad_()
    y = (soft_targets(*shape) if soft else binary_targets(*shape)).requires_grad_()
    out = sigmoid_focal_loss(x, y, alpha=-1 if alpha is None else alpha, gamma=gamma, reduction=reduction)
    cases.append(Case(f"binary_focal/torchvision/{name}", "torchvision.ops.sigmoid_focal_loss",
                      {"type": "binary_focal", "gamma": gamma, "alpha": alpha, "reduction": reduction},
                      {"input": x, "target": y}, out))

# gamma = 0, alpha = None is BCE-with-logits exactly
x = logits(4, 5).requires_grad_()
y = binary_targets(4, 5).requires_grad_()
out = F.binary_cross_entropy_with_logits(x, y, reduction="mean")
cases.append(Case("binary_focal/bce_with_logits/gamma0", "torch.nn.functional.binary_cross_entropy_with_logits",
                  {"type": "binary_focal", "gamma": 0.0, "alpha": None}, {"input": x, "target": y}, out))

# per-sample weights: torchvision element losses x weight[N], mean over all elements
x = logits(4, 3).requires_grad_()
y = binary_targets(4, 3).requires_grad_()
w = weights(4).requires_grad_()
el = sigmoid_focal_loss(x, y, alpha=0.25, gamma=2.0, reduction="none") * w[:, None]
cases.append(Case("binary_focal/torchvision/sample_weight_mean", "torchvision.ops.sigmoid_focal_loss x weight",
                  {"type": "binary_focal"}, {"input": x, "target": y, "weight": w}, el.mean()))

# ------------------------------------------------------------------ binary_focal: Keras 3
for name, from_logits, ls, gamma, alpha, reduction in [
    ("probs_ls01_mean", False, 0.1, 2.0, 0.25, "mean"),
    ("probs_ls0_sum", False, 0.0, 1.5, 0.6, "sum"),
    ("logits_ls02_mean", True, 0.2, 2.0, 0.25, "mean"),
    ("probs_noalpha_mean", False, 0.0, 2.0, None, "mean"),
]:
    n, m = 4, 5
    x = (logits(n, m) if from_logits else torch.sigmoid(logits(n, m)).float().double()).requires_grad_()
    y = binary_targets(n, m).requires_grad_()
    per_row = keras.losses.binary_focal_crossentropy(
        y, x, apply_class_balancing=alpha is not None, alpha=0.25 if alpha is None else alpha,
        gamma=gamma, from_logits=from_logits, label_smoothing=ls)  # mean over the last axis
    out = per_row.mean() if reduction == "mean" else per_row.sum() * m
    cases.append(Case(f"binary_focal/keras/{name}", "keras.losses.binary_focal_crossentropy",
                      {"type": "binary_focal", "gamma": gamma, "alpha": alpha, "from_logits": from_logits,
                       "label_smoothing": ls, "reduction": reduction},
                      {"input": x, "target": y}, out))

# ------------------------------------------------------------------ focal: cross_entropy (gamma = 0)
for name, shape, ls, ignore_frac, reduction in [
    ("ce_2d_mean", (6, 4), 0.0, 0.0, "mean"),
    ("ce_nd_ignore_mean", (3, 4, 2, 3), 0.0, 0.25, "mean"),
    ("ce_ls01_sum", (5, 3), 0.1, 0.0, "sum"),
    ("ce_nd_ls02_ignore_none", (2, 3, 4), 0.2, 0.2, "none"),
]:
    n, c, rest = shape[0], shape[1], shape[2:]
    x = logits(*shape).requires_grad_()
    t = class_targets(n, c, *rest, ignore=-100, ignore_frac=ignore_frac)
    out = F.cross_entropy(x, t, ignore_index=-100, label_smoothing=ls, reduction=reduction)
    cases.append(Case(f"focal/cross_entropy/{name}", "torch.nn.functional.cross_entropy",
                      {"type": "focal", "gamma": 0.0, "label_smoothing": ls, "reduction": reduction},
                      {"input": x, "target": t}, out))

# ------------------------------------------------------------------ focal: kornia
for name, shape, gamma, alpha, ignore, ignore_frac, reduction in [
    ("gamma2_2d_mean", (6, 4), 2.0, None, -100, 0.0, "mean"),
    ("gamma05_alpha_nd_ignore_mean", (2, 3, 3, 2), 0.5, [0.25, 0.5, 1.5], -100, 0.3, "mean"),
    ("gamma1_alpha_sum", (5, 3), 1.0, [1.0, 0.2, 0.7], -100, 0.0, "sum"),
    ("gamma5_none_nd", (2, 4, 3), 5.0, None, 255, 0.2, "none"),
]:
    n, c, rest = shape[0], shape[1], shape[2:]
    x = logits(*shape).requires_grad_()
    t = class_targets(n, c, *rest, ignore=ignore, ignore_frac=ignore_frac)
    weight = None if alpha is None else torch.tensor(alpha, dtype=torch.float64)
    el = kornia.losses.focal_loss(x, t, alpha=None, gamma=gamma, reduction="none", weight=weight,
                                  ignore_index=ignore).sum(1)
    out = reduce(el, reduction, count=(t != ignore).sum())
    cases.append(Case(f"focal/kornia/{name}", "kornia.losses.focal_loss(alpha=None, weight=alpha).sum(1)",
                      {"type": "focal", "gamma": gamma, "alpha": alpha, "ignore_index": ignore,
                       "reduction": reduction},
                      {"input": x, "target": t}, out))

# per-sample weights with kornia element losses
x = logits(4, 5).requires_grad_()
t = class_targets(4, 5)
w = weights(4).requires_grad_()
el = kornia.losses.focal_loss(x, t, alpha=None, gamma=2.0, reduction="none").sum(1) * w
cases.append(Case("focal/kornia/sample_weight_mean", "kornia.losses.focal_loss(...).sum(1) x weight",
                  {"type": "focal"}, {"input": x, "target": t, "weight": w}, el.mean()))

# ------------------------------------------------------------------ focal: Keras 3 (label smoothing, probabilities)
for name, from_logits, ls, gamma, alpha, reduction in [
    ("probs_alpha025_mean", False, 0.0, 2.0, 0.25, "mean"),
    ("probs_ls01_mean", False, 0.1, 2.0, 0.25, "mean"),
    ("logits_ls02_gamma1_sum", True, 0.2, 1.0, 1.0, "sum"),
    ("logits_ls01_gamma05_mean", True, 0.1, 0.5, 0.5, "mean"),
]:
    n, c = 5, 4
    x = (logits(n, c) if from_logits else probs_softmax(n, c)).requires_grad_()
    t = class_targets(n, c)
    one_hot = F.one_hot(t, c).double()
    per_sample = keras.losses.categorical_focal_crossentropy(
        one_hot, x, alpha=alpha, gamma=gamma, from_logits=from_logits, label_smoothing=ls)
    out = reduce(per_sample, reduction)
    cases.append(Case(f"focal/keras/{name}", "keras.losses.categorical_focal_crossentropy",
                      {"type": "focal", "gamma": gamma, "alpha": [alpha] * c, "from_logits": from_logits,
                       "label_smoothing": ls, "reduction": reduction},
                      {"input": x, "target": t}, out))

# The Keras document's focal_loss(gamma=2., alpha=.25), literally, on softmax outputs (batch mean,
# as Keras' default sum_over_batch_size reduction).
def keras_document_focal_loss(gamma=2.0, alpha=0.25):
    from keras import ops

    def focal_loss_fixed(y_true, y_pred):
        y_pred = y_pred / ops.sum(y_pred, axis=-1, keepdims=True)
        epsilon = keras.backend.epsilon()
        y_pred = ops.clip(y_pred, epsilon, 1.0 - epsilon)
        cross_entropy = -y_true * ops.log(y_pred)
        loss = alpha * ops.power(1 - y_pred, gamma) * cross_entropy
        return ops.sum(loss, axis=-1)

    return focal_loss_fixed


x = probs_softmax(8, 10).requires_grad_()
t = class_targets(8, 10)
out = keras_document_focal_loss()(F.one_hot(t, 10).double(), x).mean()
cases.append(Case("focal/keras_document/focal_loss_gamma2_alpha025", "Keras document focal_loss(gamma=2., alpha=.25)",
                  {"type": "focal", "gamma": 2.0, "alpha": [0.25] * 10, "from_logits": False},
                  {"input": x, "target": t}, out))

# ------------------------------------------------------------------ focal: per-class alpha with label smoothing
# alpha weights each class term of the smoothed target (PyTorch cross_entropy(weight=) at gamma = 0,
# Keras categorical_focal_crossentropy with a per-class alpha tensor).
for name, shape, ls, ignore_frac, reduction in [
    ("ce_weight_ls01_nd_ignore_none", (3, 4, 2), 0.1, 0.2, "none"),
    ("ce_weight_ls02_sum", (5, 3), 0.2, 0.0, "sum"),
]:
    n, c, rest = shape[0], shape[1], shape[2:]
    alpha = [0.2, 0.5, 1.0, 1.5][:c]
    x = logits(*shape).requires_grad_()
    t = class_targets(n, c, *rest, ignore=-100, ignore_frac=ignore_frac)
    out = F.cross_entropy(x, t, weight=torch.tensor(alpha, dtype=torch.float64), ignore_index=-100,
                          label_smoothing=ls, reduction=reduction)
    cases.append(Case(f"focal/cross_entropy/{name}", "torch.nn.functional.cross_entropy(weight=alpha)",
                      {"type": "focal", "gamma": 0.0, "alpha": alpha, "label_smoothing": ls,
                       "reduction": reduction},
                      {"input": x, "target": t}, out))

for name, from_logits, ls, gamma in [
    ("logits_alpha_per_class_ls01_gamma2_mean", True, 0.1, 2.0),
    ("probs_alpha_per_class_ls02_gamma05_mean", False, 0.2, 0.5),
]:
    n, c = 6, 4
    alpha = [0.2, 0.5, 1.0, 1.5]
    x = (logits(n, c) if from_logits else probs_softmax(n, c)).requires_grad_()
    t = class_targets(n, c)
    per_sample = keras.losses.categorical_focal_crossentropy(
        F.one_hot(t, c).double(), x, alpha=torch.tensor(alpha, dtype=torch.float64), gamma=gamma,
        from_logits=from_logits, label_smoothing=ls)
    cases.append(Case(f"focal/keras/{name}", "keras.losses.categorical_focal_crossentropy(alpha=per-class tensor)",
                      {"type": "focal", "gamma": gamma, "alpha": alpha, "from_logits": from_logits,
                       "label_smoothing": ls},
                      {"input": x, "target": t}, per_sample.mean()))

write_fixtures("focal", __doc__, cases, {
    "torch": torch.__version__, "torchvision": torchvision.__version__,
    "kornia": kornia.__version__, "keras": keras.__version__,
})
