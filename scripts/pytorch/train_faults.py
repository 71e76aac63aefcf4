"""Trains the three small PyTorch models of the verdict's fault matrix.

On the seed case (``data/seed/olhs_samples.csv``, min-max normalized with
``data/seed/olhs_samples_max_min.csv``, the same seeded 70/30 split as
``train_seed_case.py``), it writes to ``tests/testdata/faults/models/<name>/``
a ``model.onnx`` (opset 17, normalized units, input ``x`` [batch, 4], output
``y`` [batch, 4]) and a ``manifest.json`` (architecture, training, validation R²):

- ``ln_fastkan``: FastKAN [4, 16, 4] whose first layer has no base path, so
  everything the network sees of its 4 inputs passes through a LayerNorm over
  them (it removes their common shift and scale). Trained as the report trains
  (AdamW lr 1e-3, weight decay 1e-4, ExponentialLR 0.8, 30 epochs, batch 16,
  MSE). It cannot fit: f2 = 3x1 + 4x2 + 5x3 + 6x4 + ... depends mostly on the
  inputs' common shift.
- ``undertrained``: a Tanh MLP 4-32-32-4 trained for one epoch only.
- ``sobolev``: a Tanh MLP 4-64-64-4 trained on values (30 epochs, as above),
  then refit on values and Jacobians (Sobolev loss: value MSE + Jacobian MSE in
  normalized units, the seed equations' exact derivatives, Adam lr 3e-3 decaying
  to 3e-5 over 400 epochs, batch 64).

Run from the repository root (torch 1.13, onnx 1.12; about two minutes on one core)::

    /usr/bin/python3 scripts/pytorch/train_faults.py
"""

import argparse
import json
import os
import sys
import time
from typing import Callable, Dict, Tuple

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from export import read_scaling_csv  # noqa: E402
from models import FastKAN, FastKANLayer  # noqa: E402
from train_seed_case import load_normalized, r2_score  # noqa: E402

VAL_FRACTION = 0.3


def seed_equations(x: torch.Tensor) -> torch.Tensor:
    """The report's four equations, [N, 4] physical -> [N, 4] physical."""
    x1, x2, x3, x4 = x[:, 0], x[:, 1], x[:, 2], x[:, 3]
    f1 = 0.4 * x1**2 + 0.2 * x2**2 + 0.1 * x3 ** (7 / 2) + 0.3 * x4 ** (3 / 2)
    f2 = 3 * x1 + 4 * x2 + 5 * x3 + 6 * x4 + torch.sin(x1) * torch.cos(x2)
    f3 = torch.sin(x1) + torch.cos(x2) + 0.05 * torch.exp(x3) + 0.1 * torch.exp(x4)
    f4 = 200 * x1**2 + 6 * torch.exp(x2) + 1 * x1**3 + 4 * torch.exp(x4)
    return torch.stack([f1, f2, f3, f4], dim=1)


def split(n: int, seed: int) -> Tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    permutation = torch.randperm(n, generator=generator)
    n_val = int(round(VAL_FRACTION * n))
    return permutation[n_val:], permutation[:n_val]


def train_values(model: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int, seed: int,
                 batch: int = 16) -> Dict[str, float]:
    """The report's loop (AdamW 1e-3, wd 1e-4, ExponentialLR 0.8, MSE) for ``epochs`` epochs."""
    generator = torch.Generator().manual_seed(seed)
    train_idx, val_idx = split(x.shape[0], seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.8)
    criterion = nn.MSELoss()
    for _ in range(epochs):
        model.train()
        order = train_idx[torch.randperm(train_idx.numel(), generator=generator)]
        for start in range(0, order.numel(), batch):
            rows = order[start : start + batch]
            optimizer.zero_grad()
            criterion(model(x[rows]), y[rows]).backward()
            optimizer.step()
        scheduler.step()
    return validation(model, x, y, val_idx)


def validation(model: nn.Module, x: torch.Tensor, y: torch.Tensor, val_idx: torch.Tensor) -> Dict[str, float]:
    model.eval()
    with torch.no_grad():
        pred = model(x[val_idx])
    return {"val_r2": r2_score(y[val_idx].double().numpy(), pred.double().numpy())}


def batched_jacobian(model: nn.Module, x: torch.Tensor, create_graph: bool) -> torch.Tensor:
    """[B, m, n] by one backward pass per output (rows of the batch are independent)."""
    x = x.detach().requires_grad_(True)
    y = model(x)
    rows = [
        torch.autograd.grad(y[:, i].sum(), x, create_graph=create_graph, retain_graph=True)[0]
        for i in range(y.shape[1])
    ]
    return torch.stack(rows, dim=1)


def train_sobolev(model: nn.Module, x: torch.Tensor, y: torch.Tensor, jac: torch.Tensor, epochs: int,
                  seed: int) -> Dict[str, float]:
    """Value MSE + Jacobian MSE (normalized units), Adam, learning rate decaying 100x over the epochs."""
    generator = torch.Generator().manual_seed(seed + 1)
    train_idx, val_idx = split(x.shape[0], seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.01 ** (1 / epochs))
    for _ in range(epochs):
        model.train()
        order = train_idx[torch.randperm(train_idx.numel(), generator=generator)]
        for start in range(0, order.numel(), 64):
            rows = order[start : start + 64]
            optimizer.zero_grad()
            value_loss = ((model(x[rows]) - y[rows]) ** 2).mean()
            jac_loss = ((batched_jacobian(model, x[rows], True) - jac[rows]) ** 2).mean()
            (value_loss + jac_loss).backward()
            optimizer.step()
        scheduler.step()
    stats = validation(model, x, y, val_idx)
    jv = batched_jacobian(model, x[val_idx], False).detach()
    stats["val_jacobian_rmse_normalized"] = float(((jv - jac[val_idx]) ** 2).mean().sqrt())
    return stats


class LayerNormFirstFastKAN(nn.Module):
    """FastKAN whose first layer has no base path: only LayerNorm(x) reaches the rest."""

    def __init__(self, hidden: int = 16) -> None:
        super().__init__()
        self.layers = nn.ModuleList([FastKANLayer(4, hidden, use_base_update=False), FastKANLayer(hidden, 4)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


def mlp(widths, activation: Callable[[], nn.Module]) -> nn.Sequential:
    layers = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(widths) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


def export(model: nn.Module, out_dir: str, manifest: Dict[str, object]) -> None:
    os.makedirs(out_dir, exist_ok=True)
    model.eval()
    path = os.path.join(out_dir, "model.onnx")
    torch.onnx.export(model, torch.rand(8, 4), path, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}}, opset_version=17,
                      do_constant_folding=True)
    manifest = {**manifest, "torch": torch.__version__, "onnx_bytes": os.path.getsize(path)}
    with open(os.path.join(out_dir, "manifest.json"), "w") as handle:
        json.dump(manifest, handle, indent=2)
        handle.write("\n")
    print(f"wrote {path}: {json.dumps(manifest)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed-dir", default="data/seed")
    parser.add_argument("--out", default="tests/testdata/faults/models")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)

    scaling = os.path.join(args.seed_dir, "olhs_samples_max_min.csv")
    xn, yn = load_normalized(os.path.join(args.seed_dir, "olhs_samples.csv"), scaling)
    x = torch.tensor(xn, dtype=torch.float32)
    y = torch.tensor(yn, dtype=torch.float32)

    started = time.time()
    torch.manual_seed(args.seed)
    ln = LayerNormFirstFastKAN()
    stats = train_values(ln, x, y, 30, args.seed)
    export(ln, os.path.join(args.out, "ln_fastkan"), {
        "architecture": "FastKAN [4, 16, 4], first layer without base path (LayerNorm over the 4 inputs only)",
        "training": "AdamW lr 1e-3 wd 1e-4, ExponentialLR 0.8, 30 epochs, batch 16, MSE",
        **stats, "seconds": round(time.time() - started, 1)})

    started = time.time()
    torch.manual_seed(args.seed)
    under = mlp([4, 32, 32, 4], nn.Tanh)
    stats = train_values(under, x, y, 1, args.seed)
    export(under, os.path.join(args.out, "undertrained"), {
        "architecture": "Tanh MLP 4-32-32-4",
        "training": "AdamW lr 1e-3 wd 1e-4, 1 epoch, batch 16, MSE (deliberately under-trained)",
        **stats, "seconds": round(time.time() - started, 1)})

    # Sobolev targets: the equations' exact Jacobians, in normalized units.
    _, mins, maxs = read_scaling_csv(scaling)
    lo, rng = torch.tensor(mins, dtype=torch.float64), torch.tensor(maxs - mins, dtype=torch.float64)
    x_phys = (torch.tensor(xn, dtype=torch.float64) * rng[:4] + lo[:4]).requires_grad_(True)
    f = seed_equations(x_phys)
    j_phys = torch.stack([torch.autograd.grad(f[:, i].sum(), x_phys, retain_graph=True)[0] for i in range(4)], 1)
    j_norm = (j_phys * rng[:4][None, None, :] / rng[4:][None, :, None]).float()

    started = time.time()
    torch.manual_seed(args.seed)
    good = mlp([4, 64, 64, 4], nn.Tanh)
    first = train_values(good, x, y, 30, args.seed)
    stats = train_sobolev(good, x, y, j_norm, 400, args.seed)
    export(good, os.path.join(args.out, "sobolev"), {
        "architecture": "Tanh MLP 4-64-64-4",
        "training": "values: AdamW lr 1e-3 wd 1e-4, ExponentialLR 0.8, 30 epochs, batch 16, MSE; "
                    "then Sobolev refit: value MSE + Jacobian MSE (normalized units, exact derivatives), "
                    "Adam lr 3e-3 -> 3e-5 over 400 epochs, batch 64",
        "val_r2_before_refit": first["val_r2"], **stats, "seconds": round(time.time() - started, 1)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
