#!/usr/bin/env python3
"""Golden fixtures for the margin losses -> tests/fixtures/margin.json.

Anchors (pinned in requirements.txt): torch.nn.functional (multi_margin_loss, cosine_embedding_loss,
margin_ranking_loss, hinge_embedding_loss) and Keras 3 (KERAS_BACKEND=torch: hinge, squared_hinge,
categorical_hinge, cosine_similarity). Re-created here in torch from their definitions, as each case's
anchor says: the perceptron `max(0, -y*f)`, the exponential `exp(-y*f)` and the logistic
`softplus(-y*f)` margin losses (no reference library ships them; labels go through Keras'
`convert_binary_labels_to_hinge` as for the hinge losses).

Keras' hinge losses average over the last axis: the cases call them with a trailing axis of size 1
so that they return the pointwise terms, and reduce those as burn-losses does. Inputs are float32
values, the references run in float64; gradients are d(sum of the output)/d(each float input).
Cases named `kink_*` put elements exactly on a kink and check the subgradient of the anchor
there (Keras hinge via torch.maximum: 1/2 at a tie; multi_margin: 0 at a tie, PyTorch's kernel;
margin_ranking / hinge_embedding: clamp_min's full gradient at 0).

Random stream: one generator seeded 20261204, which the classification cases (classification.py)
drew from first when both families were made by one script; `skip_classification_draws` repeats
those draws (values discarded) so that every margin case keeps its inputs.

Re-run:  scripts/setup-torch-venv.sh --with-fixtures  &&  <venv>/bin/python tools/golden/margin.py
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
# common first: it sets KERAS_BACKEND=torch before keras is imported
from common import Cases, Grid, keras_pointwise, reduce, req, write_fixtures  # noqa: E402

import keras  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

G = Grid(torch.Generator().manual_seed(20261204))
cases = Cases()
add = cases.add


def pm_one(*shape):
    return torch.where(torch.rand(*shape, generator=G.g) < 0.5, -1.0, 1.0).double()


def zero_one(*shape):
    y = (torch.rand(*shape, generator=G.g) < 0.5).double()
    y.view(-1)[0], y.view(-1)[1] = 0.0, 1.0
    return y


def off_kink(x, y, margin_at):
    """Moves elements whose margin y*x lies within 1/16 of `margin_at` (labels ±1) by y*3/16."""
    x = x.clone()
    close = (y * x - margin_at).abs() < 1 / 16
    x[close] += y[close] * 3 / 16
    return x



def skip_classification_draws():
    """Draws, and discards, what the classification cases take from this stream before the margin
    cases: the same calls in the same order (the scale of a draw does not change what it consumes)."""

    def targets(shape, ignored=False):
        t = G.class_targets(shape[0], shape[1], *shape[2:], present=False)
        if ignored:
            G.with_ignored(t, -100)

    def weights(n):  # G.class_weight(n) or G.sample_weight(n) in classification.py
        torch.rand(n, generator=G.g)

    # cross_entropy, class-index targets: (shape, class weights, ignored targets)
    for shape, weight, ignored in [((5, 4), False, False), ((3, 4, 2, 3), False, True), ((6, 3), True, True),
                                   ((2, 4, 3), True, False), ((5, 3), False, True), ((2, 3, 4), False, False)]:
        G.logits(*shape)
        targets(shape, ignored)
        if weight:
            weights(shape[1])
    # cross_entropy, class-probability targets: (shape, class weights)
    for shape, weight in [((4, 5), False), ((2, 3, 2, 2), True), ((3, 4), False)]:
        G.logits(*shape)
        G.logits(*shape)
        if weight:
            weights(shape[1])
    # cross_entropy, per-sample weights (then class weights); ignore_index null
    G.logits(6, 3)
    targets((6, 3))
    weights(6)
    weights(3)
    G.logits(4, 3)
    targets((4, 3))
    # nll: (shape, class weights, ignored targets)
    for shape, weight, ignored in [((5, 4), False, False), ((3, 3, 2, 2), True, True), ((6, 3), False, False),
                                   ((4, 3), True, True)]:
        G.logits(*shape)
        targets(shape, ignored)
        if weight:
            weights(shape[1])
    # poly1: (shape, ignored targets)
    for shape, ignored in [((5, 4), False), ((4, 3), False), ((2, 3, 2, 3), True), ((4, 3), False)]:
        G.logits(*shape)
        targets(shape, ignored)
    # kl_divergence: input and target logits (PyTorch, then Keras)
    for shape in [(4, 5), (3, 4), (2, 3, 4), (3, 4), (4, 5), (4, 5)]:
        G.logits(*shape)
        G.logits(*shape)


skip_classification_draws()

# ------------------------------------------------------------------ hinge family (Keras; margins re-created)
for loss_name, fn in [("hinge", keras.losses.hinge), ("squared_hinge", keras.losses.squared_hinge)]:
    for case, shape, labels, reduction in [
        ("pm1_mean", (4, 3), "pm1", "mean"),
        ("zero_one_sum", (3, 4), "01", "sum"),
        ("pm1_none_nd", (2, 2, 3), "pm1", "none"),
    ]:
        y = pm_one(*shape) if labels == "pm1" else zero_one(*shape)
        x = off_kink(G.logits(*shape, scale=1.0), 2 * y - 1 if labels == "01" else y, 1.0)
        x, y = req(x, y)
        add(f"{loss_name}/keras/{case}", f"keras.losses.{loss_name} (pointwise; {{0,1}} labels -> {{-1,1}})",
            {"type": loss_name, "reduction": reduction}, {"input": x, "target": y},
            reduce(keras_pointwise(fn, y, x), reduction))
y = pm_one(3, 4)
x = off_kink(G.logits(3, 4, scale=1.0), y, 1.0)
x[0, 0], x[1, 2], x[2, 1] = y[0, 0], y[1, 2], y[2, 1]  # y*x = 1: on the hinge
(x,) = req(x)
add("hinge/keras/kink_at_margin", "keras.losses.hinge (torch.maximum: subgradient 1/2 at y*x = 1)", {"type": "hinge"},
    {"input": x, "target": y}, keras_pointwise(keras.losses.hinge, y, x).mean())


def labels_pm(y):
    """Keras' convert_binary_labels_to_hinge."""
    return 2 * y - 1 if bool(((y == 0) | (y == 1)).all()) else y


for loss_name, fn, kink in [
    ("perceptron", lambda m: torch.maximum(-m, torch.zeros_like(m)), 0.0),
    ("exponential", lambda m: torch.exp(-m), None),
    ("logistic", lambda m: F.softplus(-m), None),
]:
    for case, shape, labels, reduction, scale in [
        ("pm1_mean", (4, 3), "pm1", "mean", 1.0),
        ("zero_one_sum", (3, 4), "01", "sum", 1.0),
        ("pm1_none_large", (2, 3), "pm1", "none", 12.0),
    ]:
        y = pm_one(*shape) if labels == "pm1" else zero_one(*shape)
        x = G.logits(*shape, scale=scale)
        if kink is not None:
            x = off_kink(x, labels_pm(y), kink)
        x, y = req(x, y)
        add(f"{loss_name}/formula/{case}", f"{loss_name} loss of the margin y*x, re-created in torch "
            "(labels: Keras convert_binary_labels_to_hinge)", {"type": loss_name, "reduction": reduction},
            {"input": x, "target": y}, reduce(fn(labels_pm(y) * x), reduction))
y = pm_one(2, 3)
x = off_kink(G.logits(2, 3), y, 0.0)
x[0, 1], x[1, 0] = 0.0, 0.0
(x,) = req(x)
add("perceptron/formula/kink_at_zero", "perceptron max(0, -y*x) via torch.maximum (1/2 at y*x = 0)",
    {"type": "perceptron"}, {"input": x, "target": y}, torch.maximum(-y * x, torch.zeros_like(x)).mean())

# categorical_hinge (Keras; index targets become one-hot)
for case, n, c, one_hot, reduction in [("indices_mean", 5, 4, False, "mean"), ("one_hot_sum", 4, 3, True, "sum"),
                                       ("indices_none", 4, 5, False, "none")]:
    x = G.logits(n, c, scale=0.5)
    t = G.class_targets(n, c, present=False)
    oh = F.one_hot(t, c).double()
    (x,) = req(x)
    out = reduce(keras.losses.categorical_hinge(oh, x), reduction)
    add(f"categorical_hinge/keras/{case}", "keras.losses.categorical_hinge" + (" (indices one-hot encoded)" if not one_hot else ""),
        {"type": "categorical_hinge", "reduction": reduction}, {"input": x, "target": oh if one_hot else t}, out)

# multi_margin (PyTorch)
for case, n, c, p, margin, weight, reduction in [
    ("p1_mean", 5, 4, 1, 1.0, False, "mean"),
    ("p2_margin05_sum", 4, 3, 2, 0.5, False, "sum"),
    ("p1_weight_none", 6, 3, 1, 1.0, True, "none"),
    ("p2_weight_margin2_mean", 4, 5, 2, 2.0, True, "mean"),
]:
    x = G.logits(n, c, scale=0.5)
    t = G.class_targets(n, c, present=False)
    w = G.class_weight(c) if weight else None
    (x,) = req(x)
    out = F.multi_margin_loss(x, t, p=p, margin=margin, reduction=reduction,
                              weight=None if w is None else torch.tensor(w, dtype=torch.float64))
    add(f"multi_margin/torch/{case}", "torch.nn.functional.multi_margin_loss",
        {"type": "multi_margin", "p": p, "margin": margin, "weight": w, "reduction": reduction},
        {"input": x, "target": t}, out)
x = torch.tensor([[1.0, 0.0, 0.5], [0.25, 1.25, 0.25]], dtype=torch.float64)
t = torch.tensor([0, 1])
(x,) = req(x)
add("multi_margin/torch/kink_at_margin", "torch.nn.functional.multi_margin_loss (a tie margin - x_t + x_j = 0: "
    "subgradient 0)", {"type": "multi_margin"}, {"input": x, "target": t}, F.multi_margin_loss(x, t))

# ------------------------------------------------------------------ cosine losses
for case, shape, axis, form, reduction in [
    ("axis_last_mean", (4, 3), -1, "negative", "mean"),
    ("axis1_nd_sum", (2, 4, 3), 1, "negative", "sum"),
    ("one_minus_none", (3, 5), -1, "one_minus", "none"),
]:
    x, y = G.logits(*shape), G.logits(*shape)
    x, y = req(x, y)
    out = keras.losses.cosine_similarity(y, x, axis=axis)
    if form == "one_minus":
        out = 1 + out
    add(f"cosine_similarity/keras/{case}", "keras.losses.cosine_similarity" + (" + 1 (the cosine distance 1 - cos)" if form == "one_minus" else ""),
        {"type": "cosine_similarity", "axis": axis, "form": form, "reduction": reduction},
        {"input": x, "target": y}, reduce(out, reduction))
x, y = G.logits(3, 4), G.logits(3, 4)
x[1] = 0.0  # a zero vector: cosine 0 (Keras' normalize floors the norm at 1e-7)
(y,) = req(y)  # d/dx at x = 0 is NaN in Keras (rsqrt(0) in the backward): no input gradient
add("cosine_similarity/keras/zero_vector", "keras.losses.cosine_similarity (a zero input vector)",
    {"type": "cosine_similarity"}, {"input": x, "target": y}, keras.losses.cosine_similarity(y, x).mean())

for case, n, d, margin, reduction in [("margin0_mean", 6, 4, 0.0, "mean"), ("margin05_sum", 5, 3, 0.5, "sum"),
                                      ("margin_neg_none", 4, 5, -0.25, "none")]:
    x1, x2, y = G.logits(n, d), G.logits(n, d), pm_one(n)
    x1, x2 = req(x1, x2)
    add(f"cosine_embedding/torch/{case}", "torch.nn.functional.cosine_embedding_loss",
        {"type": "cosine_embedding", "margin": margin, "reduction": reduction},
        {"input1": x1, "input2": x2, "target": y},
        F.cosine_embedding_loss(x1, x2, y, margin=margin, reduction=reduction))

for case, shape, margin, reduction in [("margin0_mean", (6,), 0.0, "mean"), ("margin05_sum", (5,), 0.5, "sum"),
                                       ("nd_none", (2, 3), 1.0, "none")]:
    x1, x2, y = G.logits(*shape), G.logits(*shape), pm_one(*shape)
    x2 = x2 + ((-y * (x1 - x2) + margin).abs() < 1 / 16) * 3 / 16
    x1, x2 = req(x1, x2)
    add(f"margin_ranking/torch/{case}", "torch.nn.functional.margin_ranking_loss",
        {"type": "margin_ranking", "margin": margin, "reduction": reduction},
        {"input1": x1, "input2": x2, "target": y},
        F.margin_ranking_loss(x1, x2, y, margin=margin, reduction=reduction))
x1 = torch.tensor([0.5, 1.0, -0.25, 2.0], dtype=torch.float64)
x2 = torch.tensor([1.0, 1.0, 0.75, 0.5], dtype=torch.float64)
y = torch.tensor([1.0, -1.0, 1.0, -1.0], dtype=torch.float64)
x1, x2 = req(x1, x2)
add("margin_ranking/torch/kink_at_zero", "torch.nn.functional.margin_ranking_loss (-y*(x1 - x2) + margin = 0: "
    "clamp_min's full gradient)", {"type": "margin_ranking"}, {"input1": x1, "input2": x2, "target": y},
    F.margin_ranking_loss(x1, x2, y))

for case, shape, margin, reduction in [("margin1_mean", (4, 3), 1.0, "mean"), ("margin2_sum", (6,), 2.0, "sum"),
                                       ("none_nd", (2, 2, 2), 1.0, "none")]:
    x = G.logits(*shape).abs()
    y = pm_one(*shape)
    x = x + ((x - margin).abs() < 1 / 16) * 3 / 16
    (x,) = req(x)
    add(f"hinge_embedding/torch/{case}", "torch.nn.functional.hinge_embedding_loss",
        {"type": "hinge_embedding", "margin": margin, "reduction": reduction}, {"input": x, "target": y},
        F.hinge_embedding_loss(x, y, margin=margin, reduction=reduction))
x = torch.tensor([1.0, 0.5, 1.0, 2.0], dtype=torch.float64)
y = torch.tensor([-1.0, -1.0, 1.0, -1.0], dtype=torch.float64)
(x,) = req(x)
add("hinge_embedding/torch/kink_at_margin", "torch.nn.functional.hinge_embedding_loss (x = margin: clamp_min's "
    "full gradient)", {"type": "hinge_embedding"}, {"input": x, "target": y}, F.hinge_embedding_loss(x, y))

# ------------------------------------------------------------------ Keras 3 loss objects (appended last: one stream)
# hinge / squared_hinge with reduce_last_axis (the Keras class's per-sample loss, the mean over the last axis),
# categorical_hinge / cosine_similarity (per-sample losses), each through Keras 3's Loss.__call__: the sample
# weight ([N], [N, 1] or the per-sample shape [N, T]) and the reduction ("sum_over_batch_size", "sum", "none",
# "mean_with_sample_weight"). Each object runs with dtype="float64" and the gradient flows through Keras; Keras'
# ops.mean and ops.divide_no_nan compute in float32 on the torch backend, so every case is checked against a
# float64 torch re-creation (common.keras3_reduce) to 1e-6 relative (gradient: 1e-7 absolute) and records
# Keras' own output (widened to float64).
from common import check_recreation, fmt, keras3_call, keras3_note, keras3_reduce  # noqa: E402


def keras3_per_sample(loss_name, y, x):
    if loss_name in ("hinge", "squared_hinge"):
        h = torch.relu(1.0 - labels_pm(y) * x)
        return (h if loss_name == "hinge" else h ** 2).mean(-1)
    if loss_name == "categorical_hinge":
        return torch.relu(((1.0 - y) * x).amax(-1) - (y * x).sum(-1) + 1.0)
    return -(F.normalize(y, dim=-1) * F.normalize(x, dim=-1)).sum(-1)


KERAS3_CLASSES = {"hinge": keras.losses.Hinge, "squared_hinge": keras.losses.SquaredHinge,
                  "categorical_hinge": keras.losses.CategoricalHinge,
                  "cosine_similarity": keras.losses.CosineSimilarity}


def sw_text(sw):
    shape = "[N]" if sw.dim() == 1 else "[N,1]" if sw.shape[1] == 1 else "[N,T]"
    return f", sample_weight={shape}"


def keras3_case(loss_name, case, x, y, sw, reduction, kw=None, cfg_extra=None, target=None, note=""):
    """target: our target when it is not y (class indices for categorical_hinge; y is then their one-hot)."""
    kw = kw or {}
    x, = req(x)
    if target is None:
        y, = req(y)
    cls = KERAS3_CLASSES[loss_name]
    out = keras3_call(cls, y, x, sw, reduction=reduction, **kw)
    name = f"{loss_name}/keras3/{case}"
    check_recreation(name, out, keras3_reduce(keras3_per_sample(loss_name, y, x), sw, reduction), x,
                     rtol=1e-6, grad_atol=1e-7)
    anchor = (f"keras.losses.{cls.__name__}({fmt({**kw, 'reduction': reduction})})(y_true, y_pred{sw_text(sw)}){note}"
              + keras3_note(reduction, last_axis_mean=loss_name in ("hinge", "squared_hinge")))
    cfg = {"type": loss_name, **({"reduce_last_axis": True} if loss_name in ("hinge", "squared_hinge") else {}),
           "reduction": reduction, **(cfg_extra or {})}
    inputs = {"input": x, "target": y if target is None else target, "weight": sw}
    add(name, anchor, cfg, inputs, out)


def hinge_inputs(shape, labels):
    y = pm_one(*shape) if labels == "pm1" else zero_one(*shape)
    return off_kink(G.logits(*shape, scale=1.0), labels_pm(y), 1.0), y


for loss_name, case, shape, labels, sw_kind, reduction in [
    ("hinge", "pm1_sum_sw_n", (4, 3), "pm1", "n", "sum"),
    ("hinge", "zero_one_mean_with_sample_weight_sw_nt_ntk", (2, 3, 4), "01", "nt", "mean_with_sample_weight"),
    ("hinge", "pm1_none_sw_n1_ntk", (2, 3, 4), "pm1", "n1", "none"),
    ("squared_hinge", "pm1_sum_sw_nt_ntk", (2, 3, 4), "pm1", "nt", "sum"),
    ("squared_hinge", "zero_one_mean_with_sample_weight_sw_n1", (4, 3), "01", "n1", "mean_with_sample_weight"),
    ("squared_hinge", "pm1_sum_over_batch_size_sw_n", (4, 3), "pm1", "n", "sum_over_batch_size"),
]:
    x, y = hinge_inputs(shape, labels)
    sw = {"n": lambda: G.sample_weight(shape[0]), "n1": lambda: G.sample_weight_n1(shape[0]),
          "nt": lambda: G.sample_weight_nt(shape[0], shape[1])}[sw_kind]()
    keras3_case(loss_name, case, x, y, sw, reduction, note=" ({0,1} labels -> {-1,1})" if labels == "01" else "")

# categorical_hinge: class indices (Keras gets their one-hot) or one-hot targets
for case, n, c, one_hot, sw_kind, reduction in [
    ("indices_sum_sw_n", 5, 4, False, "n", "sum"),
    ("one_hot_mean_with_sample_weight_sw_n1", 4, 3, True, "n1", "mean_with_sample_weight"),
    ("indices_none_sw_n", 4, 3, False, "n", "none"),
]:
    x = G.logits(n, c, scale=0.5)
    t = G.class_targets(n, c, present=False)
    oh = F.one_hot(t, c).double()
    sw = G.sample_weight(n) if sw_kind == "n" else G.sample_weight_n1(n)
    keras3_case("categorical_hinge", case, x, oh, sw, reduction, target=oh if one_hot else t,
                note="" if one_hot else " (y_true: the indices one-hot encoded)")

# cosine_similarity (axis -1, the negative cosine)
for case, shape, sw_kind, reduction in [
    ("sum_sw_n", (4, 3), "n", "sum"),
    ("mean_with_sample_weight_sw_nt_ntk", (2, 3, 4), "nt", "mean_with_sample_weight"),
    ("sum_over_batch_size_sw_n1_ntk", (2, 3, 4), "n1", "sum_over_batch_size"),
]:
    x, y = G.logits(*shape), G.logits(*shape)
    sw = {"n": lambda: G.sample_weight(shape[0]), "n1": lambda: G.sample_weight_n1(shape[0]),
          "nt": lambda: G.sample_weight_nt(shape[0], shape[1])}[sw_kind]()
    keras3_case("cosine_similarity", case, x, y, sw, reduction, kw={"axis": -1},
                cfg_extra={"axis": -1, "form": "negative"})

names = [c.name for c in cases]
assert len(names) == len(set(names)), "duplicate case names"

write_fixtures("margin", __doc__, cases, {"torch": torch.__version__, "keras": keras.__version__})
