"""Shared fixture writer (one JSON file per loss family, in the CLI's eval format) and the helpers the
generators share: the case list, input draws from a seeded torch.Generator, reductions, and the check of
an anchor's output against a re-creation.

Importing this module sets KERAS_BACKEND=torch (unless already set), so a generator that uses Keras 3
imports it before keras.
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def to_json(t):
    t = t.detach()
    if t.is_floating_point():
        return t.tolist() if t.dim() > 0 else float(t)
    return t.tolist() if t.dim() > 0 else int(t)


class Case:
    """One reference case: a LossConfig, named inputs, the reference output and input gradients."""

    def __init__(self, name, anchor, loss, inputs, output, rtol=2e-5, atol=1e-6, grad_rtol=1e-4, grad_atol=1e-6):
        self.name, self.anchor = name, anchor
        self.loss = {k: v for k, v in loss.items()}
        self.inputs = inputs
        grads = {}
        float_inputs = {k: v for k, v in inputs.items() if v.is_floating_point() and v.requires_grad}
        if float_inputs:
            g = torch.autograd.grad(output.sum(), list(float_inputs.values()), allow_unused=True)
            grads = {k: (gi if gi is not None else torch.zeros_like(v))
                     for (k, v), gi in zip(float_inputs.items(), g)}
        self.output, self.grads = output, grads
        self.tol = {"rtol": rtol, "atol": atol, "grad_rtol": grad_rtol, "grad_atol": grad_atol}

    def to_dict(self):
        return {
            "name": self.name,
            "anchor": self.anchor,
            "request": {"loss": self.loss, "inputs": {k: to_json(v) for k, v in self.inputs.items()}, "grad": True},
            "expected": {"loss": to_json(self.output), "grad": {k: to_json(v) for k, v in self.grads.items()}},
            "tolerance": self.tol,
        }


class Cases(list):
    """A fixture file's cases, in order; `add` makes one (a Case) and appends it."""

    def add(self, name, anchor, loss, inputs, output, **tol):
        self.append(Case(name, anchor, loss, inputs, output, **tol))


def write_fixtures(family, doc, cases, versions):
    path = os.path.join(ROOT, "tests", "fixtures", f"{family}.json")
    payload = {
        "generator": f"tools/golden/{family}.py",
        "description": doc.strip().splitlines()[0],
        "versions": versions,
        "cases": [c.to_dict() for c in cases],
    }
    with open(path, "w") as f:
        json.dump(payload, f, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.relpath(path, ROOT)}")


class Grid:
    """Small inputs on short float32-exact grids (logits: multiples of 1/32; probabilities: k/64; soft
    targets and weights: k/16), drawn from one torch.Generator so that a generator's fixtures are
    deterministic."""

    def __init__(self, generator):
        self.g = generator

    def logits(self, *shape, scale=2.0):
        """Normal logits rounded to multiples of 1/32 (exact in float32, short in the JSON)."""
        return torch.round(torch.randn(*shape, generator=self.g) * scale * 32.0).double() / 32.0

    def probs(self, *shape):
        """Probabilities in {1/64, ..., 63/64} (activation "none" takes any values in [0, 1])."""
        return torch.round(torch.rand(*shape, generator=self.g) * 64.0).clamp(1.0, 63.0).double() / 64.0

    def class_targets(self, n, c, *spatial, present=True, absent=()):
        """Class indices [N, spatial...]; `present`: every class occurs in every sample (bar `absent`),
        `absent`: (sample or None for all samples, class) pairs that must not occur."""
        t = torch.randint(0, c, (n, *spatial), generator=self.g)
        allowed = [[k for k in range(c) if (i, k) not in absent and (None, k) not in absent] for i in range(n)]
        for i in range(n):
            flat = t[i].view(-1)
            for j in range(flat.numel()):
                if int(flat[j]) not in allowed[i]:
                    flat[j] = allowed[i][int(torch.randint(0, len(allowed[i]), (1,), generator=self.g))]
            if present:
                perm = torch.randperm(flat.numel(), generator=self.g)[:len(allowed[i])]
                flat[perm] = torch.tensor(allowed[i])
        return t

    def sample_weight(self, n):
        """Per-sample weights [N] in {0, 1/16, ..., 2}."""
        return (torch.rand(n, generator=self.g) * 2.0).mul(16).round().div(16).double()

    def sample_weight_n1(self, n):
        """Per-sample weights [N, 1] (Keras's column form)."""
        return self.sample_weight(n).view(n, 1)

    def sample_weight_nt(self, n, t):
        """Per-timestep weights [N, T] with one zero (at [0, 1])."""
        w = self.sample_weight(n * t).view(n, t)
        w[0, 1] = 0.0
        return w

    def class_weight(self, c):
        """C class weights in {1/4, 5/16, ..., 9/4}, as a list of floats (a config's `weight`)."""
        return [float(v) for v in (torch.rand(c, generator=self.g) * 2.0 + 0.25).mul(16).round().div(16)]

    @staticmethod
    def onehot(t, c):
        return F.one_hot(t, c).movedim(-1, 1).double()

    def binary_targets(self, *shape, p=0.4):
        """0/1 float targets [N, C, spatial...], at least one 1 and one 0 in every (sample, class)."""
        y = (torch.rand(*shape, generator=self.g) < p).double()
        flat = y.view(shape[0], shape[1], -1)
        flat[:, :, 0] = 1.0
        flat[:, :, 1] = 0.0
        return y

    def soft_targets(self, *shape):
        """Soft targets in {0, 1/16, ..., 1}."""
        return torch.round(torch.rand(*shape, generator=self.g) * 16.0).double() / 16.0

    def spatial_mask(self, n, *spatial, channel=False, p=0.3):
        """0/1 float mask [N, spatial...] (or [N, 1, spatial...]), about p of the pixels left out."""
        m = (torch.rand(n, *spatial, generator=self.g) >= p).double()
        m.view(n, -1)[:, 0] = 0.0
        return m.unsqueeze(1) if channel else m

    def with_ignored(self, t, value, frac=0.25, keep_classes=None):
        """Replace about `frac` of the pixels by `value`, never the first pixel holding each class of each
        sample when keep_classes is given (so every class stays present)."""
        t = t.clone()
        sel = torch.rand(t.shape, generator=self.g) < frac
        sel.view(-1)[1] = True
        if keep_classes is not None:
            for i in range(t.shape[0]):
                flat, fsel = t[i].view(-1), sel[i].view(-1)
                for k in range(keep_classes):
                    hits = (flat == k).nonzero()
                    if len(hits):
                        fsel[int(hits[0])] = False
        t[sel] = value
        return t


class Draws:
    """Inputs drawn in float32 without a grid and widened to float64 (the values are exact in float32),
    from one torch.Generator."""

    def __init__(self, generator):
        self.g = generator

    def logits(self, *shape, scale=2.0):
        """Normal logits times `scale`."""
        return (torch.randn(*shape, generator=self.g) * scale).float().double()

    def uniform(self, *shape):
        """Uniform values in [0, 1) (probabilities, soft targets)."""
        return torch.rand(*shape, generator=self.g).float().double()

    def binary_targets(self, *shape, p=0.4):
        """0/1 float targets, each 1 with probability p."""
        return (torch.rand(*shape, generator=self.g) < p).double()

    def weights(self, n):
        """Per-sample weights [N] in [0, 2)."""
        return (torch.rand(n, generator=self.g) * 2.0).float().double()


def req(*ts):
    """Sets requires_grad on each tensor (in place); returns them as a list."""
    return [t.requires_grad_() for t in ts]


def reduce(terms, reduction):
    """"none": the terms; "sum": their sum; otherwise ("mean") terms.mean()."""
    if reduction == "none":
        return terms
    return terms.sum() if reduction == "sum" else terms.mean()


def reduce_by_count(terms, reduction, count=None):
    """As `reduce`, but "mean" is terms.sum() / count (terms.numel() by default), the form the focal, bce,
    balanced_bce and class_balanced cases were made with (kept apart from `reduce`, whose terms.mean() is
    another op)."""
    if reduction == "none":
        return terms
    if reduction == "sum":
        return terms.sum()
    return terms.sum() / (terms.numel() if count is None else count)


def weighted(terms, w):
    """terms times a per-sample weight w [N] broadcast over their trailing dimensions; w None: the terms."""
    return terms if w is None else terms * w.view(-1, *([1] * (terms.dim() - 1)))


def keras_pointwise(fn, y, x, **kw):
    """A Keras loss function's pointwise terms (it averages over the last axis, here of size 1)."""
    return fn(y.unsqueeze(-1), x.unsqueeze(-1), **kw)


# ------------------------------------------------------------------ anchor vs re-creation (MONAI cases)
# The defaults of a `dice` loss config, as segmentation.py and composite.py re-create it.
DICE_DEFAULTS = {"activation": "none", "smooth_nr": 1e-5, "smooth_dr": 1e-5, "include_background": True,
                 "batch": False, "ignore_index": None, "squared_pred": False, "jaccard": False, "weight": None,
                 "reduction": "mean"}


def fmt(kw):
    """Keyword arguments as call text: `a=1, b='x'`; a function by its name (`torch.tanh`), so that
    the text does not hold a memory address."""
    def text(v):
        if callable(v):
            return "(lambda v: v)" if v.__name__ == "<lambda>" else f"torch.{v.__name__}"
        return repr(v)
    return ", ".join(f"{k}={text(v)}" for k, v in kw.items())


def monai_target(target):
    """A target as MONAI takes it: class indices [N, spatial...] -> [N, 1, spatial...], float targets as they are."""
    return target if target.is_floating_point() else target.unsqueeze(1)


def check_recreation(name, out, ref, x, rtol=1e-10, grad_atol=1e-9):
    """The anchor's output and the re-created one agree in shape, in value (relative `rtol`) and in
    d(sum)/d(x) (relative max(rtol, 1e-9), absolute `grad_atol`); the anchor's graph is kept for the case's
    gradients."""
    assert ref.shape == out.shape, (name, ref.shape, out.shape)
    assert torch.allclose(out, ref, rtol=rtol, atol=1e-12), (name, out, ref, (out - ref).abs().max())
    g_out, = torch.autograd.grad(out.sum(), x, retain_graph=True)
    g_ref, = torch.autograd.grad(ref.sum(), x)
    assert torch.allclose(g_out, g_ref, rtol=max(rtol, 1e-9), atol=grad_atol), (name, (g_out - g_ref).abs().max())


# ------------------------------------------------------------------ Keras 3 loss objects (reductions, sample weights)
def keras3_call(cls, y_true, y_pred, sample_weight=None, **kw):
    """cls(dtype="float64", **kw)(y_true, y_pred, sample_weight=sample_weight): a Keras 3 loss object on
    torch tensors (KERAS_BACKEND=torch), with float64 inputs (the default dtype, floatx, is float32: Loss.__call__
    casts its inputs to the loss's dtype). Keras' own type promotion still rounds through float32 in places
    (ops.mean and ops.divide_no_nan: dtypes.result_type(float64, float32 / float) is float32), so the result is
    widened to float64. Asserts that the result keeps the torch graph (gradients flow through Keras itself)."""
    out = cls(dtype="float64", **kw)(y_true, y_pred, sample_weight=sample_weight)
    assert isinstance(out, torch.Tensor) and out.is_floating_point(), (cls, type(out))
    assert out.requires_grad and out.grad_fn is not None, (cls, "no graph")
    return out.double()


def keras3_reduce(values, sample_weight, reduction):
    """A re-creation of Keras 3 reduce_weighted_values (keras/src/losses/loss.py) for the per-sample losses
    `values` and a sample weight of their shape, [N] or [N, 1]: squeeze_or_expand_to_same_rank (a rank-1
    `values` with a [N, 1] weight is expanded to [N, 1]; a [N, ..., 1] weight one rank above `values` is
    squeezed), values * sample_weight, then "none", "sum", "sum_over_batch_size" (sum / numel of the weighted
    values) or "mean_with_sample_weight" (sum / sum of the weight as given; divide_no_nan)."""
    v = values
    if sample_weight is not None:
        sw = sample_weight
        if sw.dim() == v.dim() + 1 and sw.shape[-1] == 1:
            if v.dim() == 1:
                v = v.unsqueeze(-1)
            else:
                sw = sw.squeeze(-1)
        v = v * sw
    if reduction == "none":
        return v
    total = v.sum()
    if reduction == "sum":
        return total
    d = sample_weight.sum() if reduction == "mean_with_sample_weight" and sample_weight is not None else v.numel()
    return total / d if float(d) != 0 else total * 0.0


def keras3_note(reduction, last_axis_mean=True, extra=()):
    """The anchor's note on a Keras 3 object's float32 steps (ops.mean, ops.divide_no_nan; see keras3_call)."""
    steps = list(extra) + (["its last-axis mean"] if last_axis_mean else [])
    if reduction in ("sum_over_batch_size", "mean_with_sample_weight"):
        steps.append("its divide_no_nan")
    text = "dtype='float64', gradients through Keras"
    if steps:
        listed = (", ".join(steps[:-1]) + " and " if len(steps) > 1 else "") + steps[-1]
        text += f"; {listed} round through float32"
    return f" ({text})"
