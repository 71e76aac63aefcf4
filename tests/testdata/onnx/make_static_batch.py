"""Writes the fixed-batch fixtures of tests/onnx/dynamic_batch_test.ts.

Exports made the way most users make them, with torch's defaults:
``torch.onnx.export(model, torch.randn(1, n), path)`` (batch fixed at 1,
constant folding on, default opset). Torch then writes the batch size into
shape constants (``x.view(x.size(0), -1)`` becomes ``Reshape(x, [1, k])``).
Models: a small FastKAN and efficient-KAN (scripts/pytorch/models.py), a model
that reshapes its input to ``x.shape[:-1] + (1, n)`` and back (a ``[1, 1, n, 1]``
constant, as Fourier-series KANs do), and a model that genuinely mixes rows
(``x - x.mean(0)``), which no rewrite may make batch-independent. Also a
batch-16 export of the FastKAN. PyTorch's own float32 outputs and float64
autograd Jacobians at 7 points (each row evaluated alone, as the fixed-batch
graph does) go to static_batch.json.

Run with the interpreter that has torch (1.13) and onnx:
    /usr/bin/python3 tests/testdata/onnx/make_static_batch.py
    npx --yes deno@2.9.6 fmt tests/testdata/onnx/static_batch.json
"""

import json
import os
import sys

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "scripts", "pytorch"))
from models import EfficientKAN, FastKAN  # noqa: E402

POINTS = 7


class ViewRoundTrip(nn.Module):
    """Reshapes [b, n] to [b, 1, n, 1] and back around a per-input cosine series."""

    def __init__(self, n: int = 3, m: int = 2, terms: int = 3) -> None:
        super().__init__()
        self.k = nn.Parameter(torch.arange(1, terms + 1, dtype=torch.float32).view(1, 1, 1, terms), requires_grad=False)
        self.coeffs = nn.Parameter(torch.randn(m, n, terms) * 0.5)
        self.n, self.m = n, m

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xr = torch.reshape(x, x.shape[0:-1] + (1, x.shape[-1], 1))  # [b, 1, n, 1]
        c = torch.cos(self.k * xr)  # [b, 1, n, t]
        y = torch.sum(c * self.coeffs, (-2, -1))  # [b, m]
        return y.view(-1, self.m)


class ChebyshevSeries(nn.Module):
    """Chebyshev polynomials of tanh(x) via cos(k·acos(·)), combined by einsum, then view(-1, m)."""

    def __init__(self, n: int = 3, m: int = 2, degree: int = 3) -> None:
        super().__init__()
        self.coeffs = nn.Parameter(torch.randn(n, m, degree + 1) * 0.3)
        self.register_buffer("k", torch.arange(0, degree + 1, dtype=torch.float32))
        self.n, self.m, self.degree = n, m, degree

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.reshape(x, (-1, self.n))
        x = torch.tanh(x).view(-1, self.n, 1).expand(-1, -1, self.degree + 1)
        t = torch.cos(self.k * torch.acos(x))
        y = torch.einsum("bid,iod->bo", t, self.coeffs)
        return y.view(-1, self.m)


class RowMixer(nn.Module):
    """Centres each batch on its mean: a model whose output depends on the other rows."""

    def __init__(self, n: int = 3, m: int = 2) -> None:
        super().__init__()
        self.linear = nn.Linear(n, m)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.linear(x - x.mean(0, keepdim=True) + 0.5))


def main() -> None:
    torch.manual_seed(0)
    builders = {
        "fastkan_b1": (lambda: FastKAN([3, 4, 2]), 1),
        "effkan_b1": (lambda: EfficientKAN([3, 3, 2]), 1),
        "view_b1": (ViewRoundTrip, 1),
        "rowmix_b1": (RowMixer, 1),
        "fastkan_b16": (lambda: FastKAN([3, 4, 2]), 16),
    }
    x = torch.rand(POINTS, 3)
    summary = {"points": x.double().tolist(), "models": {}}
    for name, (build, batch) in builders.items():
        model = build().eval()
        torch.onnx.export(model, torch.randn(batch, 3), os.path.join(HERE, f"{name}.onnx"))
        # Row by row, as the fixed-batch graph computes (rows padded to the batch).
        with torch.no_grad():
            y32 = torch.cat([model(x[i : i + 1].expand(batch, 3))[:1] for i in range(POINTS)])
        m64 = model.double()
        jac = []
        for i in range(POINTS):
            xi = x[i : i + 1].double().expand(batch, 3).clone()
            j = torch.autograd.functional.jacobian(lambda v: m64(v)[0], xi)[:, 0, :]
            jac.append(j.tolist())
        summary["models"][name] = {"batch": batch, "y_float32": y32.double().tolist(), "jacobian_float64": jac}
    # A dynamic-batch export whose output width torch leaves symbolic (Einsum, then view(-1, m)).
    cheby = ChebyshevSeries().eval()
    torch.onnx.export(
        cheby, torch.randn(1, 3), os.path.join(HERE, "cheby_dynamic.onnx"), opset_version=17,
        input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
    )
    with torch.no_grad():
        summary["models"]["cheby_dynamic"] = {"batch": None, "y_float32": cheby(x).double().tolist()}
    with open(os.path.join(HERE, "static_batch.json"), "w") as f:
        json.dump(summary, f)


if __name__ == "__main__":
    main()
