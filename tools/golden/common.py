"""Shared fixture writer: one JSON file per loss family, in the CLI's eval format."""
import json
import os

import torch

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
