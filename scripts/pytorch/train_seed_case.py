"""Reproduces the user report's training on the seed case and bundles the models.

Reads ``data/seed/olhs_samples.csv`` (x1..x4, f1..f4) and
``data/seed/olhs_samples_max_min.csv``, min-max normalizes to [0, 1], splits
70/30 (seeded), and trains as the report does (AdamW lr 1e-3, weight decay
1e-4, ExponentialLR gamma 0.8 per epoch, 30 epochs, batch 16, MSE):

- FastKAN [4, 30, 30, 4]   -> data/models/fastkan/
- efficient-KAN [4, 30, 30, 4] -> data/models/effkan/
- the Sigmoid MLP 4-100x4-4 -> data/models/mlp/
- the same FastKAN weights at opset 13 without constant folding -> data/models/fastkan_op13/

Each folder gets the files of ``export.export_for_partials`` with the oracle at
the points of ``data/seed/olhs_input.csv``, and ``data/models/README.md`` gets
the graph summaries (op histogram, initializers vs state_dict keys).

Run from the repository root::

    /usr/bin/python3 scripts/pytorch/train_seed_case.py

Takes about a minute on one core.
"""

import argparse
import csv
import os
import sys
import time
from typing import Dict, List, Tuple

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from export import _write_bytes, export_for_partials, read_scaling_csv  # noqa: E402
from models import EfficientKAN, FastKAN, sigmoid_mlp  # noqa: E402
from onnx_summary import summarize  # noqa: E402

N_IN = 4
VAL_FRACTION = 0.3
BATCH_SIZE = 16
EPOCHS = 30
LR = 1e-3
WEIGHT_DECAY = 1e-4
GAMMA = 0.8


def r2_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Coefficient of determination per output column, averaged uniformly (sklearn's default)."""
    ss_res = ((y_true - y_pred) ** 2).sum(axis=0)
    ss_tot = ((y_true - y_true.mean(axis=0)) ** 2).sum(axis=0)
    return float(np.mean(1.0 - ss_res / ss_tot))


def load_normalized(samples_csv: str, scaling_csv: str) -> Tuple[np.ndarray, np.ndarray]:
    """Samples as normalized (inputs [N, 4], targets [N, 4]), columns ordered as the scaling file."""
    names, mins, maxs = read_scaling_csv(scaling_csv)
    with open(samples_csv, newline="") as handle:
        rows = list(csv.reader(handle))
    header = [cell.strip() for cell in rows[0]]
    missing = [name for name in names if name not in header]
    if missing:
        raise ValueError(f"Cannot read {samples_csv}: no column {missing[0]!r}")
    order = [header.index(name) for name in names]
    data = np.asarray([[float(row[c]) for c in order] for row in rows[1:] if row], dtype=np.float64)
    normalized = (data - mins) / (maxs - mins)
    return normalized[:, :N_IN], normalized[:, N_IN:]


def train(model: nn.Module, x: np.ndarray, y: np.ndarray, seed: int, log_name: str, epochs: int = EPOCHS) -> Dict[str, float]:
    """The report's loop (``epochs`` epochs); returns the last epoch's losses and validation R²."""
    generator = torch.Generator().manual_seed(seed)
    permutation = torch.randperm(x.shape[0], generator=generator)
    n_val = int(round(VAL_FRACTION * x.shape[0]))
    val_idx, train_idx = permutation[:n_val], permutation[n_val:]
    xt = torch.tensor(x, dtype=torch.float32)
    yt = torch.tensor(y, dtype=torch.float32)
    x_train, y_train, x_val, y_val = xt[train_idx], yt[train_idx], xt[val_idx], yt[val_idx]

    optimizer = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=GAMMA)
    criterion = nn.MSELoss()
    result: Dict[str, float] = {}
    for epoch in range(epochs):
        model.train()
        running = 0.0
        order = torch.randperm(x_train.shape[0], generator=generator)
        for start in range(0, x_train.shape[0], BATCH_SIZE):
            batch = order[start : start + BATCH_SIZE]
            optimizer.zero_grad()
            loss = criterion(model(x_train[batch]), y_train[batch])
            loss.backward()
            optimizer.step()
            running += loss.item() * batch.numel()
        model.eval()
        with torch.no_grad():
            pred = model(x_val)
            val_loss = criterion(pred, y_val).item()
        r2 = r2_score(y_val.double().numpy(), pred.double().numpy())
        result = {"train_loss": running / x_train.shape[0], "val_loss": val_loss, "val_r2": r2}
        print(f"{log_name} epoch {epoch + 1}/{epochs}: train {result['train_loss']:.3e}, val {val_loss:.3e}, R2 {r2:.6f}")
        scheduler.step()
    result["n_train"] = int(train_idx.numel())
    result["n_val"] = int(val_idx.numel())
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed-dir", default="data/seed")
    parser.add_argument("--out", default="data/models")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    samples = os.path.join(args.seed_dir, "olhs_samples.csv")
    scaling = os.path.join(args.seed_dir, "olhs_samples_max_min.csv")
    points = os.path.join(args.seed_dir, "olhs_input.csv")
    x, y = load_normalized(samples, scaling)
    example = torch.tensor(x[:8], dtype=torch.float32)

    builders = [
        ("fastkan", lambda: FastKAN([4, 30, 30, 4])),
        ("effkan", lambda: EfficientKAN([4, 30, 30, 4])),
        ("mlp", lambda: sigmoid_mlp()),
    ]
    trained: Dict[str, Tuple[nn.Module, Dict[str, float]]] = {}
    for name, build in builders:
        torch.manual_seed(args.seed)
        model = build()
        start = time.time()
        stats = train(model, x, y, args.seed, name)
        stats["train_seconds"] = round(time.time() - start, 2)
        trained[name] = (model.eval(), stats)

    exports: List[Tuple[str, str, int, bool]] = [
        ("fastkan", "fastkan", 17, True),
        ("effkan", "effkan", 17, True),
        ("mlp", "mlp", 17, True),
        ("fastkan_op13", "fastkan", 13, False),
    ]
    sections = []
    for folder, source, opset, folding in exports:
        model, stats = trained[source]
        extra = {
            "val_r2": stats["val_r2"],
            "val_loss": stats["val_loss"],
            "train_loss": stats["train_loss"],
            "training": (
                f"train_seed_case.py: {stats['n_train']} train / {stats['n_val']} val samples of olhs_samples.csv, "
                f"AdamW lr {LR} wd {WEIGHT_DECAY}, ExponentialLR {GAMMA}, {EPOCHS} epochs, batch {BATCH_SIZE}, MSE"
            ),
        }
        out_dir = os.path.join(args.out, folder)
        export_for_partials(model, example, scaling, out_dir, points=points, opset=opset,
                            do_constant_folding=folding, seed=args.seed, extra_manifest=extra)
        summary = summarize(os.path.join(out_dir, "model.onnx"), model.state_dict())
        print(f"\n== {folder}\n{summary}\n")
        sizes = ", ".join(f"{f} {os.path.getsize(os.path.join(out_dir, f))} B" for f in sorted(os.listdir(out_dir)))
        sections.append(
            f"## {folder}\n\n{source} trained by `train_seed_case.py`, validation R² {stats['val_r2']:.6f}; "
            f"exported at opset {opset}, do_constant_folding={folding}.\n\nFiles: {sizes}.\n\n{summary}\n"
        )

    write_readme(os.path.join(args.out, "README.md"), sections)
    return 0


def write_readme(path: str, sections: List[str]) -> None:
    intro = """# Bundled PyTorch-trained models

Written by `scripts/pytorch/train_seed_case.py` (torch, on `data/seed/`); do not edit by hand.
Every folder holds `model.onnx` (float32, normalized units, input `x` [batch, 4], output `y` [batch, 4]),
`model.pth` and `model.safetensors` (the state_dict), `model_perturbed.pth` / `model_perturbed.safetensors`
(every trainable tensor + 0.01·randn, seed 0; grids unchanged), `scaling.csv` (copy of
`data/seed/olhs_samples_max_min.csv`) and `oracle.json` (format `partials-oracle/1`: PyTorch's float64
outputs and autograd Jacobians at the 200 points of `data/seed/olhs_input.csv`).

Below, per model: the ONNX op histogram and, for every initializer, the state_dict tensor it holds,
found by comparing values (`= key` same tensor, `= key.T` transposed, `(folded)` a constant-folded
expression). Where several state_dict tensors hold equal values (the grids, which are the same in every
layer of the same width), all are listed; the Identity aliases then show which initializer a later layer
reads. Initializer names such as `onnx::MatMul_96` are chosen by the exporter and change from export to
export; map by value or graph position, never by those names.

Numerics worth knowing:

- The oracle is PyTorch's `model.double()`: float32-trained weights cast to float64, but Python-float
  constants stay exact there (FastKAN's RBF denominator 4/7, LayerNorm epsilon 1e-5), while the ONNX
  graph stores them as float32 (`Div` by 0.5714286, `epsilon` 9.9999997e-06). A float64 copy of the
  FastKAN ONNX graph therefore differs from the oracle by up to ~6e-8 in normalized outputs and ~1e-6
  of an entry's scale in the Jacobian (measured by substituting the float32 constants in PyTorch);
  effkan and mlp have no such constants.
- FastKAN's first layer applies LayerNorm across the 4 inputs, so where the normalized inputs are nearly
  equal (their spread is as small as 0.007 among the 200 points) it is steep: normalized Jacobian
  entries reach ~35, against ~1.4 for effkan and ~1.2 for mlp; |J| correlates (0.92) with
  1/std(x_n) over the points.
- efficient-KAN's bases use `GreaterOrEqual`/`Less`/`And` then `Cast(to=FLOAT)`: a float64 copy must
  rewrite that `to`; the indicator has zero derivative, the Cox–de Boor products carry the gradient.
"""
    text = intro + "\n" + "\n".join(sections)
    _write_bytes(path, text.encode("utf-8"))


if __name__ == "__main__":
    sys.exit(main())
