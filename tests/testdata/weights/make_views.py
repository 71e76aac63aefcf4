"""Writes the PyTorch fixtures for unused and sliced weights (run with /usr/bin/python3, torch 1.13).

Two small models, written for these tests from the definitions of the layers they imitate:

- ``unused/``: an RBF network (Gaussian radial basis on a fixed grid after a LayerNorm, as in
  FastKAN's definition) that registers a buffer ``rbf.inv_denominator`` which its forward never
  reads (it divides by a Python float instead). The exporter leaves the buffer out of the graph.
- ``views/``: a network whose parameters reach the graph only through views that constant folding
  turns into new initializers: ``coeffs`` [2, h, n, g] through two slices ``coeffs[0:1]`` (cosine
  terms) and ``coeffs[1:2]`` (sine terms) of a Fourier-series layer (FourierKAN's definition:
  y_o = sum_{i,k} a_oik cos(k x_i) + b_oik sin(k x_i)), ``biases[1]`` (indexing), ``mix.T``,
  ``head.reshape(h, m)`` and ``torch.cat([skip_a, skip_b], 1).T`` (a concatenation); and one
  parameter ``gate`` [h, n] used six ways at once: as itself, ``gate.T``, ``gate.reshape(n, h)``,
  ``gate[0:2]``, ``gate[2:5]`` and ``torch.cat([gate, gate], 1)``.

Each folder holds, beside this script:
  model.onnx          ``torch.onnx.export(model, torch.randn(1, 4), path)``: torch's defaults
                      (opset 14, constant folding on, batch fixed at 1)
  model_nofold.onnx   opset 17, dynamic batch axis, ``do_constant_folding=False`` (views/ only)
  model.pth           ``torch.save(model.state_dict())``: the weights the ONNX files hold
  perturbed.pth       every float tensor + 0.05 * randn (seed 1), ``grid`` and the unused buffer too
  expected.json       points x [N, 4] (normalized units), PyTorch float64 outputs y [N, m] and
                      autograd Jacobians J [N, m, 4] with the exported and the perturbed weights;
                      run ``deno fmt`` on it afterwards (the check task formats JSON)

Deterministic: a rerun writes the same state_dicts and expected values.
"""
import collections
import json
import os

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
POINTS = 16
N_IN = 4


class RadialBasis(nn.Module):
    """Gaussian bumps exp(-((z - g_k) / h)^2) on a fixed grid g of ``count`` points in [lo, hi]."""

    def __init__(self, lo: float = -2.0, hi: float = 2.0, count: int = 6):
        super().__init__()
        self.grid = nn.Parameter(torch.linspace(lo, hi, count), requires_grad=False)
        self.spacing = (hi - lo) / (count - 1)
        # Kept for checkpoints of an older version; forward divides by the float above.
        self.register_buffer("inv_denominator", torch.tensor(1.0 / self.spacing))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.exp(-(((z[..., None] - self.grid) / self.spacing) ** 2))


class RBFNet(nn.Module):
    def __init__(self, n_in: int = N_IN, n_out: int = 3, count: int = 6):
        super().__init__()
        self.norm = nn.LayerNorm(n_in)
        self.rbf = RadialBasis(count=count)
        self.spline = nn.Linear(n_in * count, n_out, bias=False)
        self.base = nn.Linear(n_in, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        phi = self.rbf(self.norm(x)).flatten(1)
        return self.spline(phi) + self.base(torch.nn.functional.silu(x))


class ViewsNet(nn.Module):
    def __init__(self, n_in: int = N_IN, hidden: int = 5, n_out: int = 3, harmonics: int = 3):
        super().__init__()
        self.hidden, self.n_out, self.harmonics = hidden, n_out, harmonics
        scale = 1.0 / (n_in * harmonics) ** 0.5
        self.coeffs = nn.Parameter(torch.randn(2, hidden, n_in, harmonics) * scale)
        self.biases = nn.Parameter(torch.randn(3, hidden) * 0.1)
        self.mix = nn.Parameter(torch.randn(hidden, hidden) / hidden**0.5)
        self.head = nn.Parameter(torch.randn(hidden * n_out) / hidden**0.5)
        self.skip_a = nn.Parameter(torch.randn(n_out, 1) * 0.3)
        self.skip_b = nn.Parameter(torch.randn(n_out, n_in - 1) * 0.3)
        self.gate = nn.Parameter(torch.randn(hidden, n_in) * 0.3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k = torch.arange(1, self.harmonics + 1, dtype=x.dtype)
        kx = x[..., None] * k  # [N, n, g]
        cos = torch.cos(kx)[:, None]  # [N, 1, n, g]
        sin = torch.sin(kx)[:, None]
        h = (cos * self.coeffs[0:1]).sum((-2, -1)) + (sin * self.coeffs[1:2]).sum((-2, -1))
        h = torch.tanh(h + self.biases[1])
        h = torch.tanh(h @ self.mix.T)
        skip = torch.cat([self.skip_a, self.skip_b], 1).T  # [n, m]
        y = h @ self.head.reshape(self.hidden, self.n_out) + x @ skip
        # One parameter, six uses: each folded form becomes its own initializer.
        u = torch.tanh(x @ self.gate.T + x @ self.gate.reshape(N_IN, self.hidden))  # [N, h]
        v = u[:, 0:2] @ self.gate[0:2] + u[:, 2:5] @ self.gate[2:5] + u @ self.gate  # [N, n]
        w = u @ torch.cat([self.gate, self.gate], 1)  # [N, 2n]
        return y + 0.1 * (v.sum(-1, keepdim=True) + w.sum(-1, keepdim=True))


def perturbed(state, seed: int):
    generator = torch.Generator().manual_seed(seed)
    out = collections.OrderedDict()
    for key, value in state.items():
        noise = torch.randn(value.shape, generator=generator, dtype=torch.float64)
        out[key] = (value.double() + 0.05 * noise).to(value.dtype) if value.is_floating_point() else value.clone()
    return out


def oracle(model: nn.Module, x: torch.Tensor):
    model64 = model.double().eval()
    x64 = x.double()
    with torch.no_grad():
        y = model64(x64)
    jac = torch.autograd.functional.jacobian(lambda z: model64(z).sum(0), x64).permute(1, 0, 2)
    return y.tolist(), jac.tolist()


def write(name: str, model: nn.Module, nofold: bool) -> None:
    out = os.path.join(HERE, name)
    os.makedirs(out, exist_ok=True)
    model.eval()
    torch.onnx.export(model, torch.randn(1, N_IN), os.path.join(out, "model.onnx"))
    if nofold:
        torch.onnx.export(
            model,
            torch.randn(1, N_IN),
            os.path.join(out, "model_nofold.onnx"),
            opset_version=17,
            input_names=["x"],
            output_names=["y"],
            dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
            do_constant_folding=False,
        )
    state = collections.OrderedDict((k, v.detach().clone()) for k, v in model.state_dict().items())
    torch.save(state, os.path.join(out, "model.pth"))
    other = perturbed(state, seed=1)
    torch.save(other, os.path.join(out, "perturbed.pth"))
    x = torch.rand(POINTS, N_IN, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    y, jac = oracle(_copy_with(model, state), x)
    y_p, jac_p = oracle(_copy_with(model, other), x)
    expected = {
        "format": "partials-weights-fixture/1",
        "torch": torch.__version__,
        "keys": list(state.keys()),
        "x": x.tolist(),
        "exported": {"y": y, "jacobian": jac},
        "perturbed": {"y": y_p, "jacobian": jac_p},
    }
    with open(os.path.join(out, "expected.json"), "w") as handle:
        json.dump(expected, handle)


def _copy_with(model: nn.Module, state) -> nn.Module:
    clone = type(model)()
    clone.load_state_dict(state)
    return clone


def main() -> None:
    torch.manual_seed(0)
    write("unused", RBFNet(), nofold=False)
    torch.manual_seed(0)
    write("views", ViewsNet(), nofold=True)
    print("wrote", os.path.join(HERE, "unused"), os.path.join(HERE, "views"))


if __name__ == "__main__":
    main()
