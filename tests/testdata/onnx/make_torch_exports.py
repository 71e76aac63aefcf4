"""Writes the torch.onnx.export fixtures of tests/graph/torch_exports_test.ts.

Small FastKAN, efficient-KAN and a mixed-activation MLP (the families of
scripts/pytorch/models.py plus every activation torch exports as a single ONNX
op), exported at opsets 13 and 17 with constant folding off (the bundled models
in data/models cover folding on), and PyTorch's own values at 7 points:
float32 outputs, float64 outputs and float64 autograd Jacobians.

Run with the interpreter that has torch (1.13) and onnx:
    /usr/bin/python3 tests/testdata/onnx/make_torch_exports.py
    npx --yes deno@2.9.6 fmt tests/testdata/onnx/torch_exports.json
Seeded: re-running reproduces the files up to exporter version.
"""

import json
import os
import sys

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "scripts", "pytorch"))
from models import EfficientKAN, FastKAN  # noqa: E402

OPSETS = [13, 17]
POINTS = 7


def mixed_mlp() -> nn.Module:
    return nn.Sequential(
        nn.Linear(3, 5), nn.LayerNorm(5), nn.GELU(),
        nn.Linear(5, 5), nn.BatchNorm1d(5), nn.Tanh(),
        nn.Linear(5, 5), nn.ELU(), nn.Dropout(0.2),
        nn.Linear(5, 5), nn.Softplus(),
        nn.Linear(5, 5), nn.LeakyReLU(0.1),
        nn.Linear(5, 5), nn.SiLU(),
        nn.Linear(5, 5), nn.Hardsigmoid(),
        nn.Linear(5, 5), nn.SELU(),
        nn.Linear(5, 5), nn.Softsign(),
        nn.Linear(5, 2),
    )


def main() -> None:
    torch.manual_seed(0)
    builders = {
        "fastkan": lambda: FastKAN([3, 4, 2]),
        "effkan": lambda: EfficientKAN([3, 3, 2]),
        "mixed_mlp": mixed_mlp,
    }
    x = torch.rand(POINTS, 3)
    summary = {"points": x.double().tolist(), "models": {}}
    for name, build in builders.items():
        model = build()
        if name == "mixed_mlp":
            model.train()
            model(torch.rand(32, 3))  # BatchNorm running statistics
        model.eval()
        with torch.no_grad():
            y32 = model(x)
        m64 = build()
        m64.load_state_dict(model.state_dict())
        m64 = m64.double().eval()
        x64 = x.double()
        with torch.no_grad():
            y64 = m64(x64)
        jac = torch.stack([
            torch.autograd.functional.jacobian(lambda v: m64(v[None])[0], x64[k]) for k in range(POINTS)
        ])
        for opset in OPSETS:
            file = f"{name}_op{opset}.onnx"
            torch.onnx.export(
                model, x, os.path.join(HERE, file), input_names=["x"], output_names=["y"],
                dynamic_axes={"x": {0: "N"}, "y": {0: "N"}}, opset_version=opset, do_constant_folding=False,
            )
            summary["models"][file] = {
                "outputs_float32": y32.double().tolist(),
                "outputs_float64": y64.tolist(),
                "jacobian_float64": jac.tolist(),
            }
    summary["torch"] = torch.__version__
    with open(os.path.join(HERE, "torch_exports.json"), "w") as f:
        json.dump(summary, f)


if __name__ == "__main__":
    main()
