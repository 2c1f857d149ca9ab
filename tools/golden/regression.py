#!/usr/bin/env python3
"""Golden fixtures for the regression losses -> tests/fixtures/regression.json.

Anchors (pinned in requirements.txt): torch.nn.functional (l1_loss, mse_loss, huber_loss,
smooth_l1_loss, poisson_nll_loss, gaussian_nll_loss), Keras 3 (KERAS_BACKEND=torch:
log_cosh, huber, mean_absolute_percentage_error, mean_squared_logarithmic_error, poisson) and
kornia 0.9 (charbonnier_loss, the Charbonnier penalty at epsilon 1 minus 1).
Two anchors do not install and are re-created here from their sources, as each case's anchor says:
TF-Addons `pinball_loss` (tensorflow_addons/losses/quantiles.py: `tau*d` where `d = y - y_pred >= 0`,
`(tau - 1)*d` otherwise, mean over the last axis) and the TensorFlow 2 custom-loss guide's `my_rmse`
(`K.sqrt(K.mean(K.square(y_true - y_pred)))`); the sMAPE is Makridakis' (1993) definition
`200*|y - y_pred| / (|y| + |y_pred|)` (see SmapeLoss's doc).

Keras computes the mean over the last axis; the cases call it on inputs with a trailing axis of
size 1 so that it returns the pointwise terms, and reduce those as burn-losses does ("mean" over
all elements, "sum", "none"). Inputs are float32 values, the references run in float64.
Gradients are d(sum of the output)/d(each float input). Kinks: inputs sit on a 1/32 grid away
from every kink, except the cases named `kink_*`, which put elements exactly on one and check the
subgradient PyTorch takes there (MAE: sign(0) = 0; Huber / smooth L1 at |d| = delta: the quadratic
side's d; pinball at d = 0: -tau, TF's `maximum` branch).

Re-run:  scripts/setup-torch-venv.sh --with-fixtures  &&  <venv>/bin/python tools/golden/regression.py
"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
# common first: it sets KERAS_BACKEND=torch before keras is imported
from common import Cases, Grid, keras_pointwise, reduce, req, weighted, write_fixtures  # noqa: E402

import keras  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

G = Grid(torch.Generator().manual_seed(20261203))


def grid(*shape, scale=2.0):
    """Values on a 1/32 grid (exact in float32)."""
    return G.logits(*shape, scale=scale)


def away_from(x, y, kinks, gap=1.0 / 16):
    """Moves the elements of x whose error x - y lies within `gap` of a kink by 3/16."""
    x = x.clone()
    for k in kinks:
        close = ((x - y) - k).abs() < gap
        x[close] += 3.0 / 16
    return x


def positive(*shape, low=0.25, high=4.0):
    """Positive values in [low, high] on a 1/32 grid."""
    return (torch.rand(*shape, generator=G.g) * (high - low) + low).mul(32).round().div(32).double()


def counts(*shape, high=6):
    return torch.randint(0, high + 1, shape, generator=G.g).double()


cases = Cases()
add = cases.add


# ------------------------------------------------------------------ mae / mse (PyTorch)
for loss_name, fn, kinks in [("mae", F.l1_loss, [0.0]), ("mse", F.mse_loss, [])]:
    for case, shape, reduction, with_weight in [
        ("2d_mean", (4, 3), "mean", False),
        ("nd_sum", (2, 3, 2), "sum", False),
        ("1d_none", (5,), "none", False),
        ("weighted_mean", (4, 3), "mean", True),
    ]:
        y = grid(*shape)
        x = away_from(grid(*shape), y, kinks)
        w = G.sample_weight(shape[0]) if with_weight else None
        x, y = req(x, y)
        out = reduce(weighted(fn(x, y, reduction="none"), w), reduction)
        inputs = {"input": x, "target": y} | ({"weight": w} if w is not None else {})
        add(f"{loss_name}/torch/{case}", f"torch.nn.functional.{fn.__name__}" + (" x weight" if w is not None else ""),
            {"type": loss_name, "reduction": reduction}, inputs, out)

# MAE at zero error: PyTorch's subgradient sign(0) = 0
y = grid(3, 4)
x = away_from(grid(3, 4), y, [0.0])
x[0, 1], x[2, 3] = y[0, 1], y[2, 3]
x, y = req(x, y)
add("mae/torch/kink_zero_error", "torch.nn.functional.l1_loss (sign(0) = 0 at zero error)",
    {"type": "mae"}, {"input": x, "target": y}, F.l1_loss(x, y))

# ------------------------------------------------------------------ rmse (my_rmse of the TensorFlow 2 custom-loss guide (Sarkar))
for case, shape, reduction, eps, with_weight in [
    ("mean_eps0", (4, 3), "mean", 0.0, False),
    ("mean_default_eps", (3, 2, 2), "mean", 1e-12, False),
    ("none_per_sample", (4, 3), "none", 1e-12, False),
    ("sum_weighted", (4, 3), "sum", 1e-12, True),
]:
    x, y = grid(*shape), grid(*shape)
    w = G.sample_weight(shape[0]) if with_weight else None
    x, y = req(x, y)
    sq = weighted((y - x) ** 2, w)
    if reduction == "mean":
        out = torch.sqrt(sq.mean() + eps)
    else:
        per = torch.sqrt(sq.reshape(shape[0], -1).mean(1) + eps)
        out = per if reduction == "none" else per.sum()
    inputs = {"input": x, "target": y} | ({"weight": w} if w is not None else {})
    add(f"rmse/tf2_guide/{case}", "my_rmse of the TensorFlow 2 custom-loss guide (Sarkar) = K.sqrt(K.mean(K.square(y_true - y_pred))), re-created in torch"
        + (" (per sample for none/sum)" if reduction != "mean" else ""),
        {"type": "rmse", "epsilon": eps, "reduction": reduction}, inputs, out)

# ------------------------------------------------------------------ huber (PyTorch and Keras), smooth_l1
for case, shape, delta, reduction in [
    ("delta1_mean", (4, 3), 1.0, "mean"),
    ("delta05_sum", (2, 3, 2), 0.5, "sum"),
    ("delta2_none", (6,), 2.0, "none"),
]:
    y = grid(*shape)
    x = away_from(grid(*shape), y, [-delta, delta])
    x, y = req(x, y)
    add(f"huber/torch/{case}", "torch.nn.functional.huber_loss", {"type": "huber", "delta": delta, "reduction": reduction},
        {"input": x, "target": y}, reduce(F.huber_loss(x, y, reduction="none", delta=delta), reduction))
y = grid(4, 3)
x = away_from(grid(4, 3), y, [-1.5, 1.5])
w = G.sample_weight(4)
x, y = req(x, y)
add("huber/keras/delta15_weighted_mean", "keras.losses.huber (pointwise) x weight",
    {"type": "huber", "delta": 1.5}, {"input": x, "target": y, "weight": w},
    weighted(keras_pointwise(keras.losses.huber, y, x, delta=1.5), w).mean())
# at |d| = delta exactly: both sides agree on the value; the gradient is d (PyTorch's backward)
y = grid(2, 4)
x = away_from(grid(2, 4), y, [-1.0, 1.0])
x[0, 0], x[1, 2] = y[0, 0] + 1.0, y[1, 2] - 1.0
x, y = req(x, y)
add("huber/torch/kink_at_delta", "torch.nn.functional.huber_loss (|d| = delta)", {"type": "huber"},
    {"input": x, "target": y}, F.huber_loss(x, y))

for case, shape, beta, reduction in [
    ("beta1_mean", (4, 3), 1.0, "mean"),
    ("beta025_sum", (2, 3, 2), 0.25, "sum"),
    ("beta0_none", (6,), 0.0, "none"),
]:
    y = grid(*shape)
    x = away_from(grid(*shape), y, [-beta, beta, 0.0])
    x, y = req(x, y)
    add(f"smooth_l1/torch/{case}", "torch.nn.functional.smooth_l1_loss",
        {"type": "smooth_l1", "beta": beta, "reduction": reduction}, {"input": x, "target": y},
        reduce(F.smooth_l1_loss(x, y, reduction="none", beta=beta), reduction))
y = grid(2, 4)
x = away_from(grid(2, 4), y, [-0.5, 0.5])
x[0, 3], x[1, 1] = y[0, 3] + 0.5, y[1, 1] - 0.5
x, y = req(x, y)
add("smooth_l1/torch/kink_at_beta", "torch.nn.functional.smooth_l1_loss (|d| = beta)", {"type": "smooth_l1", "beta": 0.5},
    {"input": x, "target": y}, F.smooth_l1_loss(x, y, beta=0.5))

# ------------------------------------------------------------------ log_cosh (Keras)
for case, shape, reduction, scale in [("mean", (4, 3), "mean", 2.0), ("large_errors_sum", (2, 3), "sum", 40.0),
                                      ("none_nd", (2, 2, 3), "none", 1.0)]:
    x, y = req(grid(*shape, scale=scale), grid(*shape, scale=scale))
    add(f"log_cosh/keras/{case}", "keras.losses.log_cosh (pointwise)", {"type": "log_cosh", "reduction": reduction},
        {"input": x, "target": y}, reduce(keras_pointwise(keras.losses.log_cosh, y, x), reduction))

# ------------------------------------------------------------------ quantile (TF-Addons pinball_loss)


def pinball(y, x, tau):
    d = y - x
    return torch.where(d >= 0, tau * d, (tau - 1) * d)


for case, shape, tau, reduction in [
    ("tau05_mean", (4, 3), 0.5, "mean"),
    ("tau01_sum", (5, 2), 0.1, "sum"),
    ("tau09_none", (3, 2, 2), 0.9, "none"),
]:
    y = grid(*shape)
    x = away_from(grid(*shape), y, [0.0])
    x, y = req(x, y)
    add(f"quantile/tfa/{case}", "TF-Addons pinball_loss, re-created in torch from tensorflow_addons/losses/quantiles.py",
        {"type": "quantile", "quantile": tau, "reduction": reduction}, {"input": x, "target": y},
        reduce(pinball(y, x, tau), reduction))
taus = [0.1, 0.5, 0.9]
for case, target_1d in [("multi_target_nq_mean", False), ("multi_target_n_mean", True)]:
    x = grid(5, 3)
    y = grid(5) if target_1d else grid(5, 3)
    yb = y.view(5, 1).expand(5, 3) if target_1d else y
    x = away_from(x, yb, [0.0])
    x, y = req(x, y)
    yb = y.view(5, 1).expand(5, 3) if target_1d else y
    add(f"quantile/tfa/{case}", "TF-Addons pinball_loss per column tau_j, re-created in torch",
        {"type": "quantile", "quantile": taus}, {"input": x, "target": y},
        pinball(yb, x, torch.tensor(taus, dtype=torch.float64)).mean())
y = grid(2, 3)
x = away_from(grid(2, 3), y, [0.0])
x[0, 0], x[1, 2] = y[0, 0], y[1, 2]
x, y = req(x, y)
add("quantile/tfa/kink_zero_error", "TF-Addons pinball_loss at d = 0 (the tau*d branch), re-created in torch",
    {"type": "quantile", "quantile": 0.3}, {"input": x, "target": y}, pinball(y, x, 0.3).mean())

# ------------------------------------------------------------------ mape, smape, msle (Keras; sMAPE: Makridakis)
y = grid(4, 3)
y[0, 0] = 0.0  # the epsilon floor of the denominator
x = away_from(grid(4, 3), y, [0.0])
x, y = req(x, y)
add("mape/keras/mean_with_zero_target", "keras.losses.mean_absolute_percentage_error (pointwise)",
    {"type": "mape"}, {"input": x, "target": y},
    keras_pointwise(keras.losses.mean_absolute_percentage_error, y, x).mean(), rtol=5e-5)
y = grid(3, 2)
x = away_from(grid(3, 2), y, [0.0])
x, y = req(x, y)
add("mape/keras/sum_eps01", "keras.losses.mean_absolute_percentage_error formula with epsilon 0.1 (Keras uses backend.epsilon())",
    {"type": "mape", "epsilon": 0.1, "reduction": "sum"}, {"input": x, "target": y},
    (100 * (y - x).abs() / y.abs().clamp_min(0.1)).sum())

for case, reduction in [("mean", "mean"), ("none", "none")]:
    y = grid(4, 3)
    x = away_from(grid(4, 3), y, [0.0])
    x[x.abs() < 1 / 16] += 3 / 16  # away from |x| = 0
    x, y = req(x, y)
    add(f"smape/makridakis/{case}", "sMAPE (Makridakis 1993) 200|y - x| / (|y| + |x|), in torch",
        {"type": "smape", "reduction": reduction}, {"input": x, "target": y},
        reduce(200 * (y - x).abs() / (y.abs() + x.abs()).clamp_min(1e-7), reduction))

for case, reduction in [("mean", "mean"), ("sum_nd", "sum")]:
    shape = (4, 3) if reduction == "mean" else (2, 2, 3)
    x, y = positive(*shape), positive(*shape)
    x.view(-1)[0] = -0.5  # below the floor eps: flat, no gradient
    x, y = req(x, y)
    add(f"msle/keras/{case}", "keras.losses.mean_squared_logarithmic_error (pointwise)",
        {"type": "msle", "reduction": reduction}, {"input": x, "target": y},
        reduce(keras_pointwise(keras.losses.mean_squared_logarithmic_error, y, x), reduction))

# ------------------------------------------------------------------ poisson (Keras; PyTorch PoissonNLLLoss)
x, y = positive(4, 3), counts(4, 3)
x, y = req(x, y)
add("poisson/keras/rates_mean", "keras.losses.poisson (pointwise)", {"type": "poisson"}, {"input": x, "target": y},
    keras_pointwise(keras.losses.poisson, y, x).mean())
for case, log_input, full, reduction, eps in [
    ("log_input_mean", True, False, "mean", None),
    ("log_input_full_sum", True, True, "sum", None),
    ("rates_eps1e8_none", False, False, "none", 1e-8),
    ("rates_full_mean", False, True, "mean", 1e-8),
]:
    x = grid(3, 4, scale=1.0) if log_input else positive(3, 4)
    y = counts(3, 4)
    # torch's Stirling term takes log(0) at y = 0 before masking it: no target gradient with `full`
    x, y = req(x, y) if not full else (*req(x), y)
    loss = {"type": "poisson", "log_input": log_input, "full": full, "reduction": reduction}
    if eps is not None:
        loss["epsilon"] = eps
    add(f"poisson/torch/{case}", "torch.nn.functional.poisson_nll_loss", loss, {"input": x, "target": y},
        F.poisson_nll_loss(x, y, log_input=log_input, full=full, eps=eps or 1e-8, reduction=reduction))
x, y, w = positive(4, 2), counts(4, 2), G.sample_weight(4)
x, y = req(x, y)
add("poisson/keras/weighted_sum", "keras.losses.poisson (pointwise) x weight", {"type": "poisson", "reduction": "sum"},
    {"input": x, "target": y, "weight": w}, weighted(keras_pointwise(keras.losses.poisson, y, x), w).sum())

# ------------------------------------------------------------------ gaussian_nll (PyTorch)
for case, var_shape, full, eps, reduction in [
    ("same_shape_mean", (4, 3), False, 1e-6, "mean"),
    ("last_dim_1_full_sum", (4, 1), True, 1e-6, "sum"),
    ("homoscedastic_none", (4,), False, 1e-6, "none"),
    ("eps_floor_mean", (4, 3), False, 0.5, "mean"),
]:
    x, y = grid(4, 3), grid(4, 3)
    v = positive(*var_shape, low=0.125, high=2.0)
    x, y, v = req(x, y, v)
    add(f"gaussian_nll/torch/{case}", "torch.nn.functional.gaussian_nll_loss",
        {"type": "gaussian_nll", "full": full, "eps": eps, "reduction": reduction},
        {"input": x, "target": y, "var": v},
        F.gaussian_nll_loss(x, y, v, full=full, eps=eps, reduction=reduction))

# ------------------------------------------------------------------ charbonnier (LapSRN's formula; kornia at epsilon 1)
# The Charbonnier penalty sqrt(d^2 + eps^2) (Lai et al. 2017, LapSRN) re-created from its formula;
# kornia 0.9's charbonnier_loss is sqrt(d^2 + 1) - 1, so the epsilon = 1 cases add 1 per element to
# kornia's own values (and gradients are kornia's).
def charbonnier(x, y, eps):
    return torch.sqrt((x - y) ** 2 + eps * eps)


for case, shape, eps, reduction in [
    ("defaults_mean", (4, 3), 1e-3, "mean"),
    ("eps_0.5_none", (3, 2, 2), 0.5, "none"),
]:
    x, y = grid(*shape), grid(*shape)
    x, y = req(x, y)
    loss = {"type": "charbonnier", "reduction": reduction} if eps == 1e-3 else \
        {"type": "charbonnier", "epsilon": eps, "reduction": reduction}
    add(f"charbonnier/formula/{case}", "sqrt((x - y)^2 + epsilon^2) (LapSRN), re-created in torch", loss,
        {"input": x, "target": y}, reduce(charbonnier(x, y, eps), reduction))
x, y, w = grid(4, 3), grid(4, 3), G.sample_weight(4)
x[0, 0] = y[0, 0]  # d = 0: gradient 0
x, y = req(x, y)
add("charbonnier/formula/weighted_sum_zero_error", "sqrt((x - y)^2 + epsilon^2) x weight, re-created in torch",
    {"type": "charbonnier", "epsilon": 0.25, "reduction": "sum"}, {"input": x, "target": y, "weight": w},
    weighted(charbonnier(x, y, 0.25), w).sum())
import kornia  # noqa: E402
x, y = grid(2, 3, 4, 4), grid(2, 3, 4, 4)
x, y = req(x, y)
add("charbonnier/kornia/epsilon_1_mean", "kornia.losses.charbonnier_loss + 1 (epsilon 1)",
    {"type": "charbonnier", "epsilon": 1.0}, {"input": x, "target": y},
    (kornia.losses.charbonnier_loss(x, y, reduction="none") + 1.0).mean())

# ------------------------------------------------------------------ quantile at tau 0 and 1 (appended last: inputs come from one stream)
# the ends of TF-Addons' range: tau = 0 (only over-predictions cost) and tau = 1 (only under-)
for case, tau in [("tau0_mean", 0.0), ("tau1_mean", 1.0)]:
    y = grid(4, 3)
    x = away_from(grid(4, 3), y, [0.0])
    x, y = req(x, y)
    add(f"quantile/tfa/{case}", "TF-Addons pinball_loss at the end of its tau range [0, 1], re-created in torch",
        {"type": "quantile", "quantile": tau}, {"input": x, "target": y}, pinball(y, x, tau).mean())

# ------------------------------------------------------------------ Keras 3 loss objects (appended last: one stream)
# reduce_last_axis: the Keras loss class's per-sample loss (the mean over the last axis), then Keras 3's
# Loss.__call__: the sample weight ([N], [N, 1] or the per-sample shape [N, T]) and the reduction
# ("sum_over_batch_size", "sum", "none", "mean_with_sample_weight"). Each object runs with dtype="float64"
# (floatx float32 otherwise); the gradient flows through Keras itself. Keras' ops.mean computes in float32 on
# the torch backend (dtypes.result_type(float64, "float32") is float32), and so does ops.divide_no_nan (the
# "sum_over_batch_size" / "mean_with_sample_weight" division): the per-sample means and those reductions are
# rounded to float32 (msle's logs too: its epsilon is a float32 tensor). Every case is checked against a float64
# torch re-creation (common.keras3_reduce) to 1e-6 relative, value and gradient (gradient: 1e-7 absolute), and
# records Keras' own output (widened to float64).
from common import check_recreation, fmt, keras3_call, keras3_note, keras3_reduce  # noqa: E402

K_EPS = 1e-7  # keras.backend.epsilon()


def keras_per_sample(loss_name, y, x, delta=1.0):
    """The per-sample (last-axis mean) loss of each Keras class, re-created in torch."""
    d = x - y
    el = {
        "mse": lambda: d ** 2,
        "mae": lambda: d.abs(),
        "mape": lambda: 100.0 * (d / y.abs().clamp_min(K_EPS)).abs(),
        "msle": lambda: (torch.log(x.clamp_min(K_EPS) + 1.0) - torch.log(y.clamp_min(K_EPS) + 1.0)) ** 2,
        "huber": lambda: torch.where(d.abs() <= delta, 0.5 * d ** 2, delta * d.abs() - 0.5 * delta ** 2),
        "log_cosh": lambda: torch.log(torch.cosh(d)),
        "poisson": lambda: x - y * torch.log(x + K_EPS),
    }[loss_name]()
    return el.mean(-1)


KERAS3_CLASSES = {"mse": keras.losses.MeanSquaredError, "mae": keras.losses.MeanAbsoluteError,
                  "mape": keras.losses.MeanAbsolutePercentageError, "msle": keras.losses.MeanSquaredLogarithmicError,
                  "huber": keras.losses.Huber, "log_cosh": keras.losses.LogCosh, "poisson": keras.losses.Poisson}


def sw_text(sw):
    if sw is None:
        return ""
    shape = "[N]" if sw.dim() == 1 else "[N,1]" if sw.shape[1] == 1 else "[N,T]"
    return f", sample_weight={shape}"


def keras3_case(loss_name, case, x, y, sw, reduction, kw=None, cfg_extra=None):
    kw = kw or {}
    x, y = req(x, y)
    cls = KERAS3_CLASSES[loss_name]
    out = keras3_call(cls, y, x, sw, reduction=reduction, **kw)
    name = f"{loss_name}/keras3/{case}"
    check_recreation(name, out, keras3_reduce(keras_per_sample(loss_name, y, x, **kw), sw, reduction), x,
                     rtol=1e-6, grad_atol=1e-7)
    anchor = (f"keras.losses.{cls.__name__}({fmt({**kw, 'reduction': reduction})})(y_true, y_pred{sw_text(sw)})"
              + keras3_note(reduction, extra=["its logs"] if loss_name == "msle" else []))
    cfg = {"type": loss_name, "reduce_last_axis": True, "reduction": reduction, **(cfg_extra or {})}
    inputs = {"input": x, "target": y} | ({"weight": sw} if sw is not None else {})
    add(name, anchor, cfg, inputs, out)


# mse: every reduction, the all-zero weight, and the Keras documentation's example
y = grid(4, 3)
keras3_case("mse", "sum_sw_n", grid(4, 3), y, G.sample_weight(4), "sum")
y = grid(4, 3)
keras3_case("mse", "mean_with_sample_weight_sw_n1", grid(4, 3), y, G.sample_weight_n1(4), "mean_with_sample_weight")
y = grid(2, 3, 4)
keras3_case("mse", "sum_over_batch_size_sw_nt_ntk", grid(2, 3, 4), y, G.sample_weight_nt(2, 3), "sum_over_batch_size")
y = grid(2, 3, 4)
keras3_case("mse", "none_sw_n1_ntk", grid(2, 3, 4), y, G.sample_weight_n1(2), "none")
y = grid(4, 3)
keras3_case("mse", "mean_with_sample_weight_zero_sw", grid(4, 3), y, torch.zeros(4, dtype=torch.float64),
            "mean_with_sample_weight")
y = grid(4, 3)
keras3_case("mse", "mean_with_sample_weight_no_sw", grid(4, 3), y, None, "mean_with_sample_weight")
for reduction, expected in [("sum_over_batch_size", 10.0), ("sum", 20.0), ("mean_with_sample_weight", 6.6666665),
                            ("none", [0.6666667, 19.333334])]:
    y = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], dtype=torch.float64)
    x = torch.ones(2, 3, dtype=torch.float64)
    keras3_case("mse", f"docs_{reduction}", x, y, torch.tensor([1.0, 2.0], dtype=torch.float64), reduction)
    assert torch.allclose(cases[-1].output.float(), torch.tensor(expected)), (reduction, cases[-1].output)

# mae
y = grid(4, 3)
keras3_case("mae", "sum_sw_n", away_from(grid(4, 3), y, [0.0]), y, G.sample_weight(4), "sum")
y = grid(4, 3)
keras3_case("mae", "mean_with_sample_weight_sw_n1", away_from(grid(4, 3), y, [0.0]), y, G.sample_weight_n1(4),
            "mean_with_sample_weight")
y = grid(2, 3, 4)
keras3_case("mae", "none_sw_n1_ntk", away_from(grid(2, 3, 4), y, [0.0]), y, G.sample_weight_n1(2), "none")

# mape (a zero target in the weighted mean: the epsilon floor)
y = grid(4, 3)
keras3_case("mape", "sum_sw_n", away_from(grid(4, 3), y, [0.0]), y, G.sample_weight(4), "sum")
y = grid(2, 3, 4)
y[1, 0, 2] = 0.0
keras3_case("mape", "mean_with_sample_weight_sw_nt_ntk_zero_target", away_from(grid(2, 3, 4), y, [0.0]), y,
            G.sample_weight_nt(2, 3), "mean_with_sample_weight")
y = grid(4, 3)
keras3_case("mape", "sum_over_batch_size_sw_n1", away_from(grid(4, 3), y, [0.0]), y, G.sample_weight_n1(4), "sum_over_batch_size")

# msle (an input below the floor eps: flat)
x, y = positive(4, 3), positive(4, 3)
x[1, 2] = -0.5
keras3_case("msle", "sum_sw_n1", x, y, G.sample_weight_n1(4), "sum")
keras3_case("msle", "mean_with_sample_weight_sw_n", positive(4, 3), positive(4, 3), G.sample_weight(4),
            "mean_with_sample_weight")
keras3_case("msle", "none_sw_nt_ntk", positive(2, 3, 4), positive(2, 3, 4), G.sample_weight_nt(2, 3), "none")

# huber (delta 1.5)
for case, shape, sw_kind, reduction in [("sum_sw_nt_ntk", (2, 3, 4), "nt", "sum"),
                                        ("mean_with_sample_weight_sw_n1", (4, 3), "n1", "mean_with_sample_weight"),
                                        ("sum_over_batch_size_sw_n", (4, 3), "n", "sum_over_batch_size")]:
    y = grid(*shape)
    x = away_from(grid(*shape), y, [-1.5, 1.5])
    sw = {"nt": lambda: G.sample_weight_nt(shape[0], shape[1]), "n1": lambda: G.sample_weight_n1(shape[0]),
          "n": lambda: G.sample_weight(shape[0])}[sw_kind]()
    keras3_case("huber", f"delta15_{case}", x, y, sw, reduction, kw={"delta": 1.5}, cfg_extra={"delta": 1.5})

# log_cosh
keras3_case("log_cosh", "sum_sw_n", grid(4, 3), grid(4, 3), G.sample_weight(4), "sum")
keras3_case("log_cosh", "mean_with_sample_weight_sw_nt_ntk", grid(2, 3, 4), grid(2, 3, 4), G.sample_weight_nt(2, 3),
            "mean_with_sample_weight")
keras3_case("log_cosh", "none_sw_n1_ntk", grid(2, 3, 4), grid(2, 3, 4), G.sample_weight_n1(2), "none")

# poisson
keras3_case("poisson", "sum_sw_n1_ntk", positive(2, 3, 4), counts(2, 3, 4), G.sample_weight_n1(2), "sum")
keras3_case("poisson", "mean_with_sample_weight_sw_n", positive(4, 3), counts(4, 3), G.sample_weight(4),
            "mean_with_sample_weight")
keras3_case("poisson", "sum_over_batch_size_sw_nt_ntk", positive(2, 3, 4), counts(2, 3, 4), G.sample_weight_nt(2, 3),
            "sum_over_batch_size")

names = [c.name for c in cases]
assert len(names) == len(set(names)), "duplicate case names"

write_fixtures("regression", __doc__, cases, {"torch": torch.__version__, "keras": keras.__version__,
                                              "kornia": kornia.__version__})
