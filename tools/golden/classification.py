#!/usr/bin/env python3
"""Golden fixtures for the classification losses -> tests/fixtures/classification.json.

Anchors (pinned in requirements.txt; see each case's `anchor`):
  * cross_entropy, nll, kl_divergence -- torch.nn.functional (cross_entropy, nll_loss, kl_div) and
    Keras 3 (KERAS_BACKEND=torch: kl_divergence).
  * poly1 -- re-created here in torch from its definition, as each case's anchor says: Poly-1
    (Leng et al. 2022, the paper's `CE + epsilon*(1 - p_t)`).
  * focal, binary_focal -- every expected value and input gradient comes from a reference library:
    torchvision.ops.sigmoid_focal_loss, torch.nn.functional.cross_entropy /
    binary_cross_entropy_with_logits, kornia.losses.focal_loss and Keras 3 focal cross-entropies.
  * bce -- torch.nn.functional.binary_cross_entropy_with_logits (logits) and Keras 3
    binary cross-entropy (probabilities); pos_weight with probabilities is re-created.
  * Keras 3 loss objects (`keras3_cases`): BinaryCrossentropy, BinaryFocalCrossentropy and
    SparseCategoricalCrossentropy with sample weights and the Keras 3 reductions (reduce_last_axis);
    KLDivergence likewise (`keras3_kl_cases`, kl_divergence with reduce_last_axis: the sum over the last axis);
    CategoricalCrossentropy (cross_entropy, probability targets) and CategoricalFocalCrossentropy (focal,
    probability inputs) likewise (`keras3_categorical_cases`).
  * focal / binary_focal per_channel -- monai.losses.FocalLoss (softmax / sigmoid), run in float64.
  * balanced_bce -- HED's class-balanced cross-entropy (Xie & Tu 2015), re-created (the Caffe layer
    is not installable), beta taken over the whole batch (HED: per image; one case has one image).

Inputs are float32 values (cross_entropy, nll, poly1, kl_divergence: on the short grids of
common.Grid) and the references run in float64 on exactly those values. Gradients are d(sum of the
loss output)/d(each float input that requires grad), as the CLI reports them.

Random streams: each group of cases keeps the seeded stream it was drawn from when the fixtures were
made, so that its inputs (and so its values) stay as they were.
  * cross_entropy, nll, poly1, kl_divergence: one generator seeded 20261204 (margin.py continues it);
  * focal, binary_focal (`focal_cases`): torch.manual_seed(20261122) and a generator seeded 7;
  * bce, balanced_bce (`bce_cases`): torch.manual_seed(20261124) and a generator seeded 11, shared
    with the imbalance losses (imbalance.py), whose class_balanced cases drew from it first:
    `bce_cases` repeats those draws (values discarded) before its own.
  * Keras 3 objects (`keras3_cases`): a generator seeded 20261210; MONAI FocalLoss (`monai_focal_cases`): 20261211;
    Keras 3 KLDivergence (`keras3_kl_cases`): 20261212; Keras 3 CategoricalCrossentropy /
    CategoricalFocalCrossentropy (`keras3_categorical_cases`, the last cases): 20261214.

Re-run:  scripts/setup-torch-venv.sh --with-fixtures  &&  <venv>/bin/python tools/golden/classification.py
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
# common first: it sets KERAS_BACKEND=torch before keras is imported
from common import Case, Cases, Draws, Grid, reduce, reduce_by_count, req, weighted, write_fixtures  # noqa: E402

import keras  # noqa: E402
import kornia  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import torchvision  # noqa: E402
from torchvision.ops import sigmoid_focal_loss  # noqa: E402

G = Grid(torch.Generator().manual_seed(20261204))
cases = Cases()
add = cases.add

# ------------------------------------------------------------------ cross_entropy (PyTorch)
for case, shape, weight, ls, ignore_frac, reduction in [
    ("indices_2d_mean", (5, 4), None, 0.0, 0.0, "mean"),
    ("indices_nd_ignore_mean", (3, 4, 2, 3), None, 0.0, 0.3, "mean"),
    ("indices_weight_ignore_mean", (6, 3), True, 0.0, 0.3, "mean"),
    ("indices_smoothing_weight_mean", (2, 4, 3), True, 0.1, 0.0, "mean"),
    ("indices_smoothing_ignore_sum", (5, 3), None, 0.2, 0.3, "sum"),
    ("indices_none_nd", (2, 3, 4), None, 0.0, 0.0, "none"),
]:
    n, c, *spatial = shape
    x = G.logits(*shape)
    t = G.class_targets(n, c, *spatial, present=False)
    if ignore_frac:
        t = G.with_ignored(t, -100, ignore_frac)
    w = G.class_weight(c) if weight else None
    (x,) = req(x)
    out = F.cross_entropy(x, t, weight=None if w is None else torch.tensor(w, dtype=torch.float64),
                          label_smoothing=ls, reduction=reduction)
    add(f"cross_entropy/torch/{case}", "torch.nn.functional.cross_entropy",
        {"type": "cross_entropy", "weight": w, "label_smoothing": ls, "reduction": reduction},
        {"input": x, "target": t}, out)
for case, shape, weight, ls, reduction in [
    ("probs_mean", (4, 5), None, 0.0, "mean"),
    ("probs_nd_smoothing_weight_mean", (2, 3, 2, 2), True, 0.15, "mean"),
    ("probs_none", (3, 4), None, 0.0, "none"),
]:
    x = G.logits(*shape)
    q = torch.softmax(G.logits(*shape, scale=1.0), 1).float().double()
    w = G.class_weight(shape[1]) if weight else None
    x, q = req(x, q)
    out = F.cross_entropy(x, q, weight=None if w is None else torch.tensor(w, dtype=torch.float64),
                          label_smoothing=ls, reduction=reduction)
    add(f"cross_entropy/torch/{case}", "torch.nn.functional.cross_entropy (class-probability target)",
        {"type": "cross_entropy", "weight": w, "label_smoothing": ls, "reduction": reduction},
        {"input": x, "target": q}, out)
x, t, sw = G.logits(6, 3), G.class_targets(6, 3, present=False), G.sample_weight(6)
cw = G.class_weight(3)
(x,) = req(x)
terms = F.cross_entropy(x, t, weight=torch.tensor(cw, dtype=torch.float64), reduction="none") * sw
add("cross_entropy/torch/per_sample_weight_mean", "torch.nn.functional.cross_entropy(reduction='none') x weight, "
    "/ the summed class weights of the targets (PyTorch's weighted mean)",
    {"type": "cross_entropy", "weight": cw}, {"input": x, "target": t, "weight": sw},
    terms.sum() / torch.tensor(cw, dtype=torch.float64)[t].sum())
x, t = G.logits(4, 3), G.class_targets(4, 3, present=False)
(x,) = req(x)
add("cross_entropy/torch/ignore_index_null", "torch.nn.functional.cross_entropy (no target ignored)",
    {"type": "cross_entropy", "ignore_index": None}, {"input": x, "target": t}, F.cross_entropy(x, t))

# ------------------------------------------------------------------ nll (PyTorch)
for case, shape, weight, ignore_index, ignore_frac, reduction in [
    ("2d_mean", (5, 4), None, -100, 0.0, "mean"),
    ("nd_weight_ignore_mean", (3, 3, 2, 2), True, -100, 0.3, "mean"),
    ("ignore_index_2_sum", (6, 3), None, 2, 0.0, "sum"),
    ("none", (4, 3), True, -100, 0.25, "none"),
]:
    n, c, *spatial = shape
    log_p = torch.log_softmax(G.logits(*shape), 1).float().double()
    t = G.class_targets(n, c, *spatial, present=False)
    if ignore_frac:
        t = G.with_ignored(t, ignore_index, ignore_frac)
    w = G.class_weight(c) if weight else None
    (log_p,) = req(log_p)
    out = F.nll_loss(log_p, t, weight=None if w is None else torch.tensor(w, dtype=torch.float64),
                     ignore_index=ignore_index, reduction=reduction)
    add(f"nll/torch/{case}", "torch.nn.functional.nll_loss",
        {"type": "nll", "weight": w, "ignore_index": ignore_index, "reduction": reduction},
        {"input": log_p, "target": t}, out)

# ------------------------------------------------------------------ poly1 (Leng et al. 2022)


def poly1(x, t, eps, ignore_index=-100):
    ce = F.cross_entropy(x, t, reduction="none", ignore_index=ignore_index)
    valid = t != ignore_index
    p_t = torch.softmax(x, 1).gather(1, t.clamp_min(0).unsqueeze(1)).squeeze(1)
    return torch.where(valid, ce + eps * (1 - p_t), torch.zeros_like(ce)), valid


for case, shape, eps, ignore_frac, reduction in [
    ("eps1_mean", (5, 4), 1.0, 0.0, "mean"),
    ("eps_minus1_sum", (4, 3), -1.0, 0.0, "sum"),
    ("eps2_nd_ignore_mean", (2, 3, 2, 3), 2.0, 0.3, "mean"),
    ("eps05_none", (4, 3), 0.5, 0.0, "none"),
]:
    n, c, *spatial = shape
    x = G.logits(*shape)
    t = G.class_targets(n, c, *spatial, present=False)
    if ignore_frac:
        t = G.with_ignored(t, -100, ignore_frac)
    (x,) = req(x)
    terms, valid = poly1(x, t, eps)
    out = terms.sum() / valid.sum() if reduction == "mean" else reduce(terms, reduction)
    add(f"poly1/paper/{case}", "Poly-1 (Leng et al. 2022) CE + epsilon*(1 - p_t), re-created in torch; "
        "mean over the non-ignored elements", {"type": "poly1", "epsilon": eps, "reduction": reduction},
        {"input": x, "target": t}, out)

# ------------------------------------------------------------------ kl_divergence (PyTorch, Keras)
for case, shape, log_target, zeros, reduction in [
    ("batchmean", (4, 5), False, False, "batchmean"),
    ("target_zeros_sum", (3, 4), False, True, "sum"),
    ("log_target_mean", (2, 3, 4), True, False, "mean"),
    ("none", (3, 4), False, False, "none"),
]:
    log_p = torch.log_softmax(G.logits(*shape), 1).float().double()
    q = torch.softmax(G.logits(*shape, scale=1.0), 1).float().double()
    if zeros:
        q[0, 1], q[2, 0] = 0.0, 0.0
    target = q.log() if log_target else q
    # torch's d/dt of t*log(t) is undefined (NaN) at t = 0: no target gradient there
    (log_p,) = req(log_p)
    if not zeros:
        (target,) = req(target)
    out = F.kl_div(log_p, target, reduction=reduction, log_target=log_target)
    add(f"kl_divergence/torch/{case}", "torch.nn.functional.kl_div",
        {"type": "kl_divergence", "log_target": log_target, "reduction": reduction},
        {"input": log_p, "target": target}, out)
for case, reduction in [("probs_batchmean", "batchmean"), ("probs_sum", "sum")]:
    p = torch.softmax(G.logits(4, 5), 1).float().double()
    q = torch.softmax(G.logits(4, 5, scale=1.0), 1).float().double()
    p, q = req(p, q)
    per_sample = keras.losses.kl_divergence(q, p)  # sum over the last axis
    add(f"kl_divergence/keras/{case}", "keras.losses.kl_divergence (probabilities, clipped to [1e-7, 1])",
        {"type": "kl_divergence", "log_input": False, "reduction": reduction}, {"input": p, "target": q},
        per_sample.mean() if reduction == "batchmean" else per_sample.sum())


# ================================================================== focal, binary_focal
def focal_cases():
    """The focal losses' cases, from their own random stream."""
    torch.manual_seed(20261122)
    G = torch.Generator().manual_seed(7)
    D = Draws(G)
    logits, soft_targets, weights = D.logits, D.uniform, D.weights

    def probs_softmax(*shape):
        return torch.softmax(logits(*shape), dim=1).float().double()

    def binary_targets(*shape):  # 1 where the draw is > 0.6 (not Draws.binary_targets: < p)
        return (torch.rand(*shape, generator=G) > 0.6).double()

    def class_targets(n, c, *rest, ignore=None, ignore_frac=0.0):
        t = torch.randint(0, c, (n, *rest), generator=G)
        if ignore is not None and ignore_frac > 0:
            mask = torch.rand(t.shape, generator=G) < ignore_frac
            mask.view(-1)[0] = True  # at least one ignored element
            t[mask] = ignore
        return t

    # -------------------------------------------------------------- binary_focal: torchvision
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

    # -------------------------------------------------------------- binary_focal: Keras 3
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

    # -------------------------------------------------------------- focal: cross_entropy (gamma = 0)
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

    # -------------------------------------------------------------- focal: kornia
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
        out = reduce_by_count(el, reduction, count=(t != ignore).sum())
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

    # -------------------------------------------------------------- focal: Keras 3 (label smoothing, probabilities)
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
        out = reduce_by_count(per_sample, reduction)
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

    # -------------------------------------------------------------- focal: per-class alpha with label smoothing
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


focal_cases()


# ================================================================== bce, balanced_bce
def bce_cases():
    """The bce and balanced_bce cases, from the imbalance losses' random stream."""
    torch.manual_seed(20261124)
    G = torch.Generator().manual_seed(11)
    D = Draws(G)
    logits, binary_targets, weights = D.logits, D.binary_targets, D.weights
    probs = soft_targets = D.uniform

    # The class_balanced cases (imbalance.py) drew from this stream first: the same draws, values
    # discarded. Each case: logits [n, c], class indices [n] and, when every class must occur, a
    # permutation of the c classes; then the logits [6, 5] of the defaults case.
    for n, c, every_class in [(8, 5, True), (8, 5, True), (6, 3, True), (7, 4, False), (8, 5, True), (6, 3, True),
                              (7, 5, False), (8, 5, True), (7, 4, True), (6, 3, True), (8, 5, False), (8, 5, True),
                              (6, 3, True), (7, 4, False), (6, 3, True)]:
        logits(n, c)
        torch.randint(0, c, (n,), generator=G)
        if every_class:
            torch.randperm(c, generator=G)
    logits(6, 5)

    # ============================================================== bce (pos_weight, label smoothing)
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
            el = weighted(el, w)
            inputs["weight"] = w
        anchor = BCE_ANCHOR + (" x per-sample weight" if use_weight else "") + \
            (" on Keras-smoothed targets y(1-s)+s/2" if ls else "")
        cases.append(Case(f"bce/{name}", anchor,
                          {"type": "bce", "pos_weight": pos_weight, "from_logits": True, "label_smoothing": ls,
                           "epsilon": 1e-7, "reduction": reduction}, inputs, reduce_by_count(el, reduction)))

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
                           "epsilon": 1e-7, "reduction": reduction}, {"input": p, "target": y},
                          reduce_by_count(el, reduction)))

    # the defaults (logits, mean)
    x = logits(3, 4).requires_grad_()
    y = binary_targets(3, 4).requires_grad_()
    cases.append(Case("bce/defaults", "torch.nn.functional.binary_cross_entropy_with_logits", {"type": "bce"},
                      {"input": x, "target": y}, F.binary_cross_entropy_with_logits(x, y)))

    # ============================================================== balanced_bce (HED)
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
        return reduce_by_count(weighted(el, weight), reduction)

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


bce_cases()


# ================================================================== bce: smp SoftBCEWithLogitsLoss
def smp_soft_bce_cases():
    """segmentation_models_pytorch's SoftBCEWithLogitsLoss: `ignore_index` (ignored elements are
    zeros that still count in the mean) and `smooth_factor` f (= our label_smoothing 2f). Its own
    seeded stream, after every other case."""
    from segmentation_models_pytorch.losses import SoftBCEWithLogitsLoss

    G = torch.Generator().manual_seed(22)
    D = Draws(G)
    for name, shape, ignore_index, smooth_factor, reduction in [
        ("ignore_index_mean", (2, 3, 4), -100, None, "mean"),
        ("ignore_index_255_smooth_factor01_sum", (2, 1, 3, 4), 255, 0.1, "sum"),
        ("smooth_factor02_mean", (4, 3), None, 0.2, "mean"),
    ]:
        x = D.logits(*shape).requires_grad_()
        y = D.binary_targets(*shape)
        if ignore_index is not None:
            drop = torch.rand(*shape, generator=G, dtype=torch.float64) < 0.3
            y = torch.where(drop, torch.full_like(y, float(ignore_index)), y)
        kw = {"ignore_index": ignore_index, "smooth_factor": smooth_factor, "reduction": reduction}
        out = SoftBCEWithLogitsLoss(**kw)(x, y)
        cfg = {"type": "bce", "reduction": reduction}
        if ignore_index is not None:
            cfg["ignore_index"] = ignore_index
        if smooth_factor is not None:
            cfg["label_smoothing"] = 2 * smooth_factor
        cases.append(Case(f"bce/smp/{name}", f"segmentation_models_pytorch.losses.SoftBCEWithLogitsLoss("
                          f"{', '.join(f'{k}={v!r}' for k, v in kw.items())})", cfg, {"input": x, "target": y}, out))


smp_soft_bce_cases()

# ================================================================== Keras 3 loss objects: reductions, sample weights
def keras3_cases():
    """bce / binary_focal with reduce_last_axis (the Keras class's per-sample loss, the mean over the last
    axis) and cross_entropy (SparseCategoricalCrossentropy(from_logits=True), a per-sample loss), each through
    Keras 3's Loss.__call__: the sample weight ([N], [N, 1] or the per-sample shape [N, T]) and the reduction
    ("sum_over_batch_size", "sum", "none", "mean_with_sample_weight"). Each object runs with dtype="float64" and
    the gradient flows through Keras; Keras' ops.mean and ops.divide_no_nan compute in float32 on the torch
    backend, so every case is checked against a float64 torch re-creation (common.keras3_reduce) to 1e-6
    relative (gradient: 1e-7 absolute) and records Keras' own output (widened to float64). Sequences: Keras
    logits [N, T, C] are our input [N, C, T] transposed (the gradient is taken w.r.t. our layout). Its own
    seeded stream, after every other case."""
    from common import check_recreation, fmt, keras3_call, keras3_note, keras3_reduce

    G = Grid(torch.Generator().manual_seed(20261210))
    eps = 1e-7

    def smooth(y, s):
        return y * (1.0 - s) + 0.5 * s

    def per_sample(loss_name, y, x, kw):
        if loss_name == "cross_entropy":  # x: our [N, C, ...] layout, y: class indices
            return F.cross_entropy(x, y, reduction="none")
        ys = smooth(y, kw.get("label_smoothing", 0.0))
        p = torch.sigmoid(x) if kw["from_logits"] and loss_name == "binary_focal" else x
        if loss_name == "bce" and kw["from_logits"]:
            bce = F.binary_cross_entropy_with_logits(x, ys, reduction="none")
        else:
            pc = p.clamp(eps, 1.0 - eps)
            bce = -(ys * torch.log(pc) + (1.0 - ys) * torch.log(1.0 - pc))
        if loss_name == "binary_focal":
            p_t = ys * p + (1.0 - ys) * (1.0 - p)
            bce = (1.0 - p_t) ** kw["gamma"] * bce
        return bce.mean(-1)

    classes = {"bce": keras.losses.BinaryCrossentropy, "binary_focal": keras.losses.BinaryFocalCrossentropy,
               "cross_entropy": keras.losses.SparseCategoricalCrossentropy}

    def sw_make(kind, n, t=None):
        if kind == "n":
            return G.sample_weight(n)
        if kind == "n1":
            return G.sample_weight_n1(n)
        return G.sample_weight_nt(n, t)

    def case(loss_name, name, x, y, sw, reduction, kw, cfg_extra, note=""):
        name = f"{loss_name}/keras3/{name}"
        if loss_name == "cross_entropy":
            (x,) = req(x)
            # our [N, C, T] -> Keras [N, T, C]
            y_pred = x.transpose(1, 2).contiguous() if x.dim() == 3 else x
        else:
            x, y = req(x, y)
            y_pred = x
        cls = classes[loss_name]
        out = keras3_call(cls, y, y_pred, sw, reduction=reduction, **kw)
        check_recreation(name, out, keras3_reduce(per_sample(loss_name, y, x, kw), sw, reduction), x,
                         rtol=1e-6, grad_atol=1e-7)
        shape = "[N]" if sw.dim() == 1 else "[N,1]" if sw.shape[1] == 1 else "[N,T]"
        anchor = (f"keras.losses.{cls.__name__}({fmt({**kw, 'reduction': reduction})})(y_true, y_pred, "
                  f"sample_weight={shape}){note}"
                  + keras3_note(reduction, last_axis_mean=loss_name != "cross_entropy"))
        cfg = {"type": loss_name, **({} if loss_name == "cross_entropy" else {"reduce_last_axis": True}),
               "reduction": reduction, **cfg_extra}
        cases.append(Case(name, anchor, cfg, {"input": x, "target": y, "weight": sw}, out))

    def binary01(*shape):
        return (torch.rand(*shape, generator=G.g) < 0.5).double()

    # bce: logits and probabilities, label smoothing
    for name, shape, from_logits, ls, sw_kind, reduction in [
        ("logits_sum_sw_n", (4, 3), True, 0.0, "n", "sum"),
        ("probs_ls01_mean_with_sample_weight_sw_n1", (4, 3), False, 0.1, "n1", "mean_with_sample_weight"),
        ("logits_ls02_sum_over_batch_size_sw_nt_ntk", (2, 3, 4), True, 0.2, "nt", "sum_over_batch_size"),
        ("probs_none_sw_n1_ntk", (2, 3, 4), False, 0.0, "n1", "none"),
    ]:
        x = G.logits(*shape) if from_logits else G.probs(*shape)
        y = binary01(*shape)
        kw = {"from_logits": from_logits, "label_smoothing": ls}
        case("bce", name, x, y, sw_make(sw_kind, *shape[:2]), reduction, kw,
             {"from_logits": from_logits, "label_smoothing": ls, "epsilon": eps})

    # binary_focal, apply_class_balancing=False (our alpha null)
    for name, shape, from_logits, ls, gamma, sw_kind, reduction in [
        ("logits_gamma2_sum_sw_n1", (4, 3), True, 0.0, 2.0, "n1", "sum"),
        ("probs_gamma15_ls01_mean_with_sample_weight_sw_n", (4, 3), False, 0.1, 1.5, "n", "mean_with_sample_weight"),
        ("logits_gamma2_none_sw_nt_ntk", (2, 3, 4), True, 0.0, 2.0, "nt", "none"),
    ]:
        x = G.logits(*shape) if from_logits else G.probs(*shape)
        y = binary01(*shape)
        kw = {"apply_class_balancing": False, "gamma": gamma, "from_logits": from_logits, "label_smoothing": ls}
        case("binary_focal", name, x, y, sw_make(sw_kind, *shape[:2]), reduction, kw,
             {"gamma": gamma, "alpha": None, "from_logits": from_logits, "label_smoothing": ls})

    # cross_entropy: SparseCategoricalCrossentropy(from_logits=True); 2-D logits [N, C] and sequences
    # (ours [N, C, T], Keras [N, T, C]) with per-timestep weights [N, T]
    kw = {"from_logits": True}
    for name, shape, sw_kind, reduction in [
        ("2d_sum_sw_n", (5, 4), "n", "sum"),
        ("2d_mean_with_sample_weight_sw_n1", (4, 3), "n1", "mean_with_sample_weight"),
        ("seq_sum_over_batch_size_sw_nt", (2, 3, 4), "nt", "sum_over_batch_size"),
        ("seq_mean_with_sample_weight_sw_nt", (2, 3, 4), "nt", "mean_with_sample_weight"),
        ("seq_none_sw_nt", (2, 3, 4), "nt", "none"),
    ]:
        n, c, *t = shape
        x = G.logits(*shape)
        y = G.class_targets(n, c, *t, present=False)
        sw = sw_make(sw_kind, n, *t)
        case("cross_entropy", name, x, y, sw, reduction, kw, {},
             note=" (Keras logits [N,T,C] = our input [N,C,T] transposed)" if t else "")


keras3_cases()


# ================================================================== MONAI FocalLoss (per_channel)
def monai_focal_cases():
    """monai.losses.FocalLoss (MONAI 1.6.1): softmax (use_softmax=True, to_onehot_y=True; targets [N, 1, H, W]
    <-> our class indices [N, H, W]) -> our focal with per_channel, and sigmoid (use_softmax=False, float
    targets of the logits' shape) -> our binary_focal with per_channel. FocalLoss.forward casts its inputs to
    float32 (`input.float()`); the references run FocalLoss's own code in float64 with that cast bypassed
    (Tensor.float left as the identity on float64 tensors), checked against the unpatched float32 call to
    1e-5 relative (values and gradients) and against an independent float64 re-creation of the config to
    1e-10. Targets take no gradient (MONAI's sigmoid path modulates by exp(gamma * logsigmoid(-x (2t - 1))),
    whose derivative in t differs from our (1 - p_t)^gamma form; equal in value and in d/dx for 0/1 targets).
    Its own seeded stream, after every other case."""
    import contextlib
    import warnings

    from common import check_recreation, fmt
    from monai.losses import FocalLoss

    G = Grid(torch.Generator().manual_seed(20261211))

    @contextlib.contextmanager
    def float64_focal():
        orig = torch.Tensor.float

        def keep64(self, *a, **k):
            return self if self.dtype == torch.float64 else orig(self, *a, **k)

        torch.Tensor.float = keep64
        try:
            yield
        finally:
            torch.Tensor.float = orig

    def recreate(cfg, x, t):
        c = {"gamma": 2.0, "alpha": None, "include_background": True, "weight": None, **cfg}
        g = Grid.onehot(t, x.shape[1]) if not t.is_floating_point() else t
        if not c["include_background"]:
            x, g = x[:, 1:], g[:, 1:]
        view = [1, -1] + [1] * (x.dim() - 2)
        if c["type"] == "focal":
            ls = torch.log_softmax(x, 1)
            term = -(1.0 - ls.exp()) ** c["gamma"] * ls * g
            if c["alpha"] is not None:
                term = term * torch.tensor(c["alpha"], dtype=torch.float64).view(view)
        else:
            p = torch.sigmoid(x)
            p_t = g * p + (1.0 - g) * (1.0 - p)
            term = (1.0 - p_t) ** c["gamma"] * F.binary_cross_entropy_with_logits(x, g, reduction="none")
            if c["alpha"] is not None:
                term = term * (g * c["alpha"] + (1.0 - g) * (1.0 - c["alpha"]))
        if c["weight"] is not None:
            term = term * torch.tensor(c["weight"], dtype=torch.float64).view(view)
        if c["reduction"] == "none":
            return term
        if c["reduction"] == "sum":  # MONAI: spatial mean per (sample, channel), then the sum
            return term.mean(dim=list(range(2, term.dim()))).sum()
        return term.mean()

    def case(name, kw, cfg, x, t):
        x = x.requires_grad_()
        t_monai = t if t.is_floating_point() else t.unsqueeze(1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out32 = FocalLoss(**kw)(x, t_monai)
            with float64_focal():
                out = FocalLoss(**kw)(x, t_monai)
        assert out.dtype == torch.float64 and out32.dtype == torch.float32, (name, out.dtype, out32.dtype)
        check_recreation(name, out, out32.double(), x, rtol=1e-5, grad_atol=1e-7)
        check_recreation(name, out, recreate(cfg, x, t), x)
        anchor = (f"monai.losses.FocalLoss({fmt(kw)})(input, target{' [N,1,H,W]' if not t.is_floating_point() else ''})"
                  " in float64 (its input.float() cast bypassed; checked against the float32 call)")
        cases.append(Case(name, anchor, cfg, {"input": x, "target": t}, out))

    N, C = 2, 3
    softmax = {"to_onehot_y": True, "use_softmax": True}
    # focal (softmax): MONAI's scalar alpha a is our per-class alpha [1 - a, a, ..., a]
    w = G.class_weight(2)
    for name, kw, cfg in [
        ("include_background_gamma2_mean", {**softmax, "gamma": 2.0},
         {"type": "focal", "per_channel": True, "include_background": True, "gamma": 2.0, "alpha": None,
          "reduction": "mean"}),
        ("include_background_false_weight_sum", {**softmax, "include_background": False, "gamma": 2.0, "weight": w,
                                                 "reduction": "sum"},
         {"type": "focal", "per_channel": True, "include_background": False, "gamma": 2.0, "alpha": None,
          "weight": w, "reduction": "sum"}),
        ("alpha025_none", {**softmax, "gamma": 2.0, "alpha": 0.25, "reduction": "none"},
         {"type": "focal", "per_channel": True, "gamma": 2.0, "alpha": [0.75, 0.25, 0.25], "reduction": "none"}),
        ("gamma0_mean", {**softmax, "gamma": 0.0},
         {"type": "focal", "per_channel": True, "gamma": 0.0, "alpha": None, "reduction": "mean"}),
    ]:
        case(f"focal/monai/{name}", kw, cfg, G.logits(N, C, 2, 3), G.class_targets(N, C, 2, 3))

    # binary_focal (sigmoid): multi-label and one-hot float targets
    w = G.class_weight(3)
    for name, kw, cfg, target in [
        ("multilabel_gamma2_mean", {"use_softmax": False, "gamma": 2.0},
         {"type": "binary_focal", "per_channel": True, "gamma": 2.0, "alpha": None, "reduction": "mean"}, "multi"),
        ("onehot_weight_sum", {"use_softmax": False, "gamma": 2.0, "weight": w, "reduction": "sum"},
         {"type": "binary_focal", "per_channel": True, "gamma": 2.0, "alpha": None, "weight": w,
          "reduction": "sum"}, "onehot"),
        ("include_background_false_alpha025_mean", {"use_softmax": False, "include_background": False,
                                                    "gamma": 2.0, "alpha": 0.25},
         {"type": "binary_focal", "per_channel": True, "include_background": False, "gamma": 2.0, "alpha": 0.25,
          "reduction": "mean"}, "multi"),
    ]:
        x = G.logits(N, C, 2, 3)
        t = G.binary_targets(N, C, 2, 3) if target == "multi" else Grid.onehot(G.class_targets(N, C, 2, 3), C)
        case(f"binary_focal/monai/{name}", kw, cfg, x, t)


monai_focal_cases()


# ================================================================== Keras 3 KLDivergence (reduce_last_axis)
def keras3_kl_cases():
    """kl_divergence with log_input false and reduce_last_axis (Keras's per-sample loss: the sum over the last
    axis of t * log(t / p), p and t clipped to [1e-7, 1]) through keras.losses.KLDivergence's Loss.__call__: the
    sample weight ([N], [N, 1] or the per-sample shape [N, T]) and the Keras 3 reduction. dtype="float64",
    gradients through Keras (input and target; the target's exact 0 is clipped, so its gradient is 0), checked
    against a float64 torch re-creation (common.keras3_reduce) to 1e-6 relative (gradient: 1e-7 absolute). Its own
    seeded stream, after every other case."""
    from common import check_recreation, fmt, keras3_call, keras3_note, keras3_reduce

    G = Grid(torch.Generator().manual_seed(20261212))
    eps = 1e-7

    def per_sample(t, p):
        tc, pc = t.clamp(eps, 1.0), p.clamp(eps, 1.0)
        return (tc * torch.log(tc / pc)).sum(-1)

    for name, shape, sw_kind, reduction in [
        ("probs_sum_sw_n", (4, 3), "n", "sum"),
        ("probs_mean_with_sample_weight_sw_n1", (4, 3), "n1", "mean_with_sample_weight"),
        ("probs_sum_over_batch_size_sw_nt_ntk", (2, 3, 4), "nt", "sum_over_batch_size"),
        ("probs_none_sw_n1_ntk", (2, 3, 4), "n1", "none"),
    ]:
        n, *_ = shape
        x = torch.softmax(G.logits(*shape), -1).float().double()
        y = torch.softmax(G.logits(*shape, scale=1.0), -1).float().double()
        y.view(-1, shape[-1])[2, 0] = 0.0  # one exact 0 in the target (a row whose weight is not 0): clipped to 1e-7
        sw = (G.sample_weight(n) if sw_kind == "n" else G.sample_weight_n1(n) if sw_kind == "n1"
              else G.sample_weight_nt(n, shape[1]))
        x, y = req(x, y)
        name = f"kl_divergence/keras3/{name}"
        out = keras3_call(keras.losses.KLDivergence, y, x, sw, reduction=reduction)
        check_recreation(name, out, keras3_reduce(per_sample(y, x), sw, reduction), x, rtol=1e-6, grad_atol=1e-7)
        check_recreation(name, out, keras3_reduce(per_sample(y, x), sw, reduction), y, rtol=1e-6, grad_atol=1e-7)
        sw_text = "[N]" if sw.dim() == 1 else "[N,1]" if sw.shape[1] == 1 else "[N,T]"
        anchor = (f"keras.losses.KLDivergence({fmt({'reduction': reduction})})(y_true, y_pred, sample_weight={sw_text})"
                  " (probabilities, clipped to [1e-7, 1]; the sum over the last axis)"
                  + keras3_note(reduction, last_axis_mean=False))
        cfg = {"type": "kl_divergence", "log_input": False, "reduce_last_axis": True, "reduction": reduction}
        cases.append(Case(name, anchor, cfg, {"input": x, "target": y, "weight": sw}, out))


keras3_kl_cases()


# ================================================================== Keras 3 categorical objects (probability targets)
def keras3_categorical_cases():
    """cross_entropy with probability targets (keras.losses.CategoricalCrossentropy(from_logits=True): soft or
    one-hot float targets of the input's shape) and focal with probability inputs (keras.losses.
    CategoricalFocalCrossentropy(alpha=0.25, gamma=2.0, from_logits=False): inputs renormalised over the class
    axis and clipped to [1e-7, 1 - 1e-7], y_true the one-hot of our class-index target, Keras's scalar alpha
    our per-class [0.25, 0.25, 0.25]), each through Keras 3's Loss.__call__: the sample weight ([N], [N, 1] or
    the per-sample shape [N, T]) and the Keras 3 reduction. dtype="float64", gradients through Keras (input,
    and cross_entropy's target), checked against a float64 torch re-creation (common.keras3_reduce) to 1e-6
    relative (gradient: 1e-7 absolute). Sequences: Keras [N, T, C] is our [N, C, T] transposed (the gradients
    are taken w.r.t. our layout). Its own seeded stream, after every other case."""
    from common import check_recreation, fmt, keras3_call, keras3_note, keras3_reduce

    G = Grid(torch.Generator().manual_seed(20261214))
    eps = 1e-7

    def keras_layout(v):  # our [N, C, T] -> Keras [N, T, C]
        return v.transpose(1, 2) if v.dim() == 3 else v

    def sw_make(kind, n, t=None):
        return (G.sample_weight(n) if kind == "n" else G.sample_weight_n1(n) if kind == "n1"
                else G.sample_weight_nt(n, t))

    def sw_text(sw):
        return "[N]" if sw.dim() == 1 else "[N,1]" if sw.shape[1] == 1 else "[N,T]"

    seq_note = " (Keras [N,T,C] = our [N,C,T] transposed)"

    # cross_entropy: CategoricalCrossentropy(from_logits=True), soft (softmax) or one-hot targets
    kw = {"from_logits": True}
    for name, shape, target, sw_kind, reduction in [
        ("probs_2d_sum_sw_n", (4, 3), "soft", "n", "sum"),
        ("onehot_2d_mean_with_sample_weight_sw_n1", (4, 3), "onehot", "n1", "mean_with_sample_weight"),
        ("probs_seq_sum_over_batch_size_sw_nt", (2, 3, 4), "soft", "nt", "sum_over_batch_size"),
    ]:
        n, c, *t = shape
        x = G.logits(*shape)
        y = (torch.softmax(G.logits(*shape, scale=1.0), 1).float().double() if target == "soft"
             else Grid.onehot(G.class_targets(n, c, *t, present=False), c))
        sw = sw_make(sw_kind, n, *t)
        x, y = req(x, y)
        name = f"cross_entropy/keras3/{name}"
        out = keras3_call(keras.losses.CategoricalCrossentropy, keras_layout(y), keras_layout(x), sw,
                          reduction=reduction, **kw)
        for leaf in (x, y):
            check_recreation(name, out, keras3_reduce(F.cross_entropy(x, y, reduction="none"), sw, reduction), leaf,
                             rtol=1e-6, grad_atol=1e-7)
        anchor = (f"keras.losses.CategoricalCrossentropy({fmt({**kw, 'reduction': reduction})})(y_true, y_pred, "
                  f"sample_weight={sw_text(sw)}) ({'soft' if target == 'soft' else 'one-hot'} probability targets)"
                  + (seq_note if t else "") + keras3_note(reduction, last_axis_mean=False))
        cases.append(Case(name, anchor, {"type": "cross_entropy", "reduction": reduction},
                          {"input": x, "target": y, "weight": sw}, out))

    # focal: CategoricalFocalCrossentropy(alpha=0.25, gamma=2.0, from_logits=False) on softmax outputs
    # (as the focal/keras cases), y_true = one-hot of our class indices
    kw = {"alpha": 0.25, "gamma": 2.0, "from_logits": False}

    def focal_per_sample(x, t):  # x: our [N, C, ...] probabilities, t: class indices [N, ...]
        p = (x / x.sum(1, keepdim=True)).clamp(eps, 1.0 - eps)
        return -(kw["alpha"] * (1.0 - p) ** kw["gamma"] * torch.log(p) * Grid.onehot(t, x.shape[1])).sum(1)

    for name, shape, sw_kind, reduction in [
        ("probs_2d_sum_sw_n", (4, 3), "n", "sum"),
        ("probs_2d_mean_with_sample_weight_sw_n1", (4, 3), "n1", "mean_with_sample_weight"),
        ("probs_seq_none_sw_nt", (2, 3, 4), "nt", "none"),
    ]:
        n, c, *t = shape
        x = torch.softmax(G.logits(*shape), 1).float().double()
        tgt = G.class_targets(n, c, *t, present=False)
        sw = sw_make(sw_kind, n, *t)
        (x,) = req(x)
        name = f"focal/keras3/{name}"
        out = keras3_call(keras.losses.CategoricalFocalCrossentropy, F.one_hot(tgt, c).double(), keras_layout(x),
                          sw, reduction=reduction, **kw)
        check_recreation(name, out, keras3_reduce(focal_per_sample(x, tgt), sw, reduction), x,
                         rtol=1e-6, grad_atol=1e-7)
        anchor = (f"keras.losses.CategoricalFocalCrossentropy({fmt({**kw, 'reduction': reduction})})(y_true, y_pred, "
                  f"sample_weight={sw_text(sw)}) (y_true = one-hot of our class-index target; probabilities "
                  "renormalised over the class axis and clipped to [1e-7, 1 - 1e-7])"
                  + (seq_note if t else "") + keras3_note(reduction, last_axis_mean=False))
        cfg = {"type": "focal", "from_logits": False, "alpha": [kw["alpha"]] * c, "gamma": kw["gamma"],
               "reduction": reduction}
        cases.append(Case(name, anchor, cfg, {"input": x, "target": tgt, "weight": sw}, out))


keras3_categorical_cases()

names = [c.name for c in cases]
assert len(names) == len(set(names)), "duplicate case names"

write_fixtures("classification", __doc__, cases, {
    "torch": torch.__version__, "torchvision": torchvision.__version__,
    "kornia": kornia.__version__, "keras": keras.__version__,
    "segmentation_models_pytorch": __import__("segmentation_models_pytorch").__version__,
})
