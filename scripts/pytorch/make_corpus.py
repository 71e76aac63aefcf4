"""Writes the export corpus: small MLPs and KANs exported the ways users export them.

Seven small models (hidden widths 8-16), each trained briefly on the seed case
(``data/seed/olhs_samples.csv``, min-max normalized with
``olhs_samples_max_min.csv``, the report's loop of ``train_seed_case.py``) and
exported twice:

- ``default.onnx``: torch's defaults, exactly as users write it,
  ``torch.onnx.export(model, torch.randn(1, 4), path)``: input ``[1, 4]``
  (the batch size is baked into the graph), constant folding on, the default
  opset (14 with torch 1.13), names chosen by the exporter;
- ``dynamic.onnx``: opset 17, ``input_names=["input"]``,
  ``output_names=["output"]`` and a dynamic batch axis (``dynamic_axes``), the
  form of PyTorch's export tutorial.

Next to both exports: ``model.pth`` (the state_dict), ``model_perturbed.pth``
(every trainable tensor and BatchNorm statistic + 0.01 * randn, seeded; fixed
grids and integer buffers unchanged), ``scaling.csv`` (a copy of the seed
scaling file) and ``oracle.json`` (format ``partials-oracle/1``, as
``export.py`` writes it: PyTorch's ``model.double()`` outputs and autograd
Jacobians in physical units at the 200 points of ``data/seed/olhs_input.csv``,
for the trained and the perturbed weights). ``README.md`` lists each model's
graphs.

The models (``models.py``), written from their definitions:

- ``fastkan``: FastKAN [4, 12, 4] (LayerNorm, Gaussian RBF, SiLU base path);
- ``effkan``: efficient-KAN [4, 8, 4] (cubic B-splines, Cox-de Boor);
- ``fourierkan``: Fourier-series KAN [4, 12, 4], coefficients one [2, out, in, G]
  parameter used through its slices ``[0:1]`` and ``[1:2]``;
- ``chebykan``: Chebyshev KAN [4, 12, 4], ``cos(k acos(tanh x))``, ``einsum``,
  ``view(-1, out)``;
- ``mlp_silu_layernorm_residual``: residual SiLU/LayerNorm blocks, width 16;
- ``mlp_tanh_batchnorm_dropout``: Linear, BatchNorm1d, Tanh, Dropout (eval), width 16;
- ``mlp_gelu_softplus``: GELU (tanh approximation) and Softplus, width 16.

Run from the repository root (about a minute on one core)::

    /usr/bin/python3 scripts/pytorch/make_corpus.py

Seeded and single-threaded: re-running reproduces every file byte for byte.
"""

import argparse
import collections
import json
import os
import shutil
import sys
import time
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Tuple

import onnx
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from export import ORACLE_FORMAT, _sha256, _write_bytes, oracle_values, perturb_state_dict, read_points_csv, read_scaling_csv  # noqa: E402
from models import (  # noqa: E402
    ChebyshevKAN,
    EfficientKAN,
    FastKAN,
    FourierKAN,
    ResidualMLP,
    gelu_softplus_mlp,
    tanh_batchnorm_mlp,
)
from train_seed_case import load_normalized, train  # noqa: E402

EPOCHS = 30  # the report's, as train_seed_case.py
DYNAMIC_OPSET = 17
EXPORTS = ("default.onnx", "dynamic.onnx")

# (folder, family, constructor, constructor arguments, one-line description)
MODELS: List[Tuple[str, str, Callable[..., nn.Module], Dict[str, Any], str]] = [
    ("fastkan", "fastkan", FastKAN, {"layers_hidden": [4, 12, 4]}, "FastKAN: LayerNorm, Gaussian RBF on a fixed grid, SiLU base path"),
    ("effkan", "effkan", EfficientKAN, {"layers_hidden": [4, 8, 4]}, "efficient-KAN: cubic B-splines by Cox-de Boor, SiLU base path"),
    ("fourierkan", "fourierkan", FourierKAN, {"layers_hidden": [4, 12, 4], "grid_size": 4},
     "Fourier-series KAN: cos/sin(k x) per input/output pair, coefficients sliced [0:1], [1:2] from one parameter"),
    ("chebykan", "chebykan", ChebyshevKAN, {"layers_hidden": [4, 12, 4], "degree": 4},
     "Chebyshev KAN: cos(k acos(tanh x)), einsum over inputs and degrees, view(-1, out)"),
    ("mlp_silu_layernorm_residual", "mlp", ResidualMLP, {"width": 16, "blocks": 2},
     "MLP: Linear lift, 2 residual blocks x + Linear(SiLU(LayerNorm(x))), Linear head"),
    ("mlp_tanh_batchnorm_dropout", "mlp", tanh_batchnorm_mlp, {"width": 16, "depth": 2, "dropout": 0.1},
     "MLP: 2 x (Linear, BatchNorm1d, Tanh, Dropout 0.1), Linear; exported in eval mode"),
    ("mlp_gelu_softplus", "mlp", gelu_softplus_mlp, {"width": 16},
     "MLP: Linear, GELU(approximate='tanh'), Linear, Softplus, Linear"),
]


def export_default(model: nn.Module, path: str) -> None:
    """torch.onnx.export with every default, as a user writes it: batch 1 baked in."""
    torch.onnx.export(model, torch.randn(1, 4), path + ".tmp")
    os.replace(path + ".tmp", path)


def export_dynamic(model: nn.Module, path: str) -> None:
    """Opset 17 with a dynamic batch axis, the form of PyTorch's export tutorial."""
    torch.onnx.export(
        model,
        torch.randn(1, 4),
        path + ".tmp",
        opset_version=DYNAMIC_OPSET,
        input_names=["input"],
        output_names=["output"],
        dynamic_axes={"input": {0: "batch_size"}, "output": {0: "batch_size"}},
    )
    os.replace(path + ".tmp", path)


def _save(state: Dict[str, torch.Tensor], path: str) -> None:
    torch.save(state, path + ".tmp")
    os.replace(path + ".tmp", path)


def graph_summary(path: str) -> str:
    """One Markdown paragraph: opset, input/output shapes, op histogram."""
    model = onnx.load(path)
    onnx.checker.check_model(model)
    graph = model.graph

    def shape(value: onnx.ValueInfoProto) -> str:
        dims = [d.dim_param or str(d.dim_value) if (d.dim_param or d.HasField("dim_value")) else "?" for d in value.type.tensor_type.shape.dim]
        return f"`{value.name}` [{', '.join(dims)}]"

    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    histogram = collections.Counter(node.op_type for node in graph.node)
    ops = ", ".join(f"{op} {count}" for op, count in sorted(histogram.items(), key=lambda kv: (-kv[1], kv[0])))
    inputs = ", ".join(shape(v) for v in graph.input)
    outputs = ", ".join(shape(v) for v in graph.output)
    return (
        f"opset {opset}; input {inputs}, output {outputs}; {len(graph.node)} nodes, "
        f"{len(graph.initializer)} initializers ({os.path.getsize(path)} B). Ops: {ops}."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed-dir", default="data/seed")
    parser.add_argument("--out", default="tests/testdata/corpus")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    args = parser.parse_args()
    torch.set_num_threads(1)

    samples = os.path.join(args.seed_dir, "olhs_samples.csv")
    scaling = os.path.join(args.seed_dir, "olhs_samples_max_min.csv")
    names, mins, maxs = read_scaling_csv(scaling)
    n = 4
    points = torch.from_numpy(read_points_csv(os.path.join(args.seed_dir, "olhs_input.csv"), names[:n]))
    x, y = load_normalized(samples, scaling)

    sections = []
    for folder, family, build, architecture, description in MODELS:
        torch.manual_seed(args.seed)
        model = build(**architecture)
        start = time.time()
        stats = train(model, x, y, args.seed, folder, epochs=args.epochs)
        seconds = time.time() - start
        model.eval()

        out_dir = os.path.join(args.out, folder)
        os.makedirs(out_dir, exist_ok=True)
        torch.manual_seed(args.seed)
        export_default(model, os.path.join(out_dir, "default.onnx"))
        export_dynamic(model, os.path.join(out_dir, "dynamic.onnx"))
        state = OrderedDict((k, v.detach().clone()) for k, v in model.state_dict().items())
        _save(state, os.path.join(out_dir, "model.pth"))
        perturbed = perturb_state_dict(model, args.seed)
        for key, value in perturbed.items():
            if key.endswith("running_var") and not bool((value > 0).all()):
                raise RuntimeError(f"Cannot perturb {folder}: {key} would have a non-positive variance")
        _save(perturbed, os.path.join(out_dir, "model_perturbed.pth"))
        shutil.copyfile(scaling, os.path.join(out_dir, "scaling.csv"))

        written = [*EXPORTS, "model.pth", "model_perturbed.pth", "scaling.csv"]
        values = oracle_values(model, points, (names[:n], names[n:], mins, maxs), perturbed, ["model_perturbed.pth"])
        oracle = {
            "format": ORACLE_FORMAT,
            "model": folder,
            "family": family,
            "architecture": architecture,
            **values,
            "manifest": {
                "torch": torch.__version__,
                "onnx": onnx.__version__,
                "seed": args.seed,
                "description": description,
                "exports": {
                    "default.onnx": "torch.onnx.export(model, torch.randn(1, 4), path)",
                    "dynamic.onnx": (
                        f"torch.onnx.export(model, torch.randn(1, 4), path, opset_version={DYNAMIC_OPSET}, "
                        "input_names=['input'], output_names=['output'], "
                        "dynamic_axes={'input': {0: 'batch_size'}, 'output': {0: 'batch_size'}})"
                    ),
                },
                "val_r2": stats["val_r2"],
                "val_loss": stats["val_loss"],
                "training": (
                    f"make_corpus.py: {stats['n_train']} train / {stats['n_val']} val samples of olhs_samples.csv, "
                    f"the loop of train_seed_case.py for {args.epochs} epochs"
                ),
                "files": {name: _sha256(os.path.join(out_dir, name)) for name in written},
            },
        }
        _write_bytes(os.path.join(out_dir, "oracle.json"), json.dumps(oracle, allow_nan=False).encode("utf-8"))
        print(f"{folder}: validation R² {stats['val_r2']:.4f}, trained in {seconds:.1f} s")
        graphs = "\n".join(f"- `{name}`: {graph_summary(os.path.join(out_dir, name))}" for name in EXPORTS)
        keys = ", ".join(f"`{k}` {list(v.shape)}" for k, v in state.items())
        sections.append(
            f"## {folder}\n\n{description}. Validation R² {stats['val_r2']:.4f}.\n\n{graphs}\n\nstate_dict: {keys}.\n"
        )

    write_readme(os.path.join(args.out, "README.md"), sections)
    return 0


def write_readme(path: str, sections: List[str]) -> None:
    intro = """# Export corpus

Written by `scripts/pytorch/make_corpus.py` (torch 1.13, on `data/seed/`); do not edit by hand.
Every folder holds the same trained model exported twice, `default.onnx`
(`torch.onnx.export(model, torch.randn(1, 4), path)`: torch's defaults, batch 1 in the graph,
constant folding on, opset 14) and `dynamic.onnx` (opset 17, input `input`, output `output`,
dynamic batch axis), with `model.pth` (state_dict), `model_perturbed.pth` (trainable tensors and
BatchNorm statistics + 0.01·randn, seed 0), `scaling.csv` (copy of
`data/seed/olhs_samples_max_min.csv`) and `oracle.json` (format `partials-oracle/1`: PyTorch's
float64 outputs and autograd Jacobians in physical units at the 200 points of
`data/seed/olhs_input.csv`, for both state_dicts). `tests/corpus/corpus_test.ts` checks every
model × export against them.
"""
    _write_bytes(path, (intro + "\n" + "\n".join(sections)).encode("utf-8"))


if __name__ == "__main__":
    sys.exit(main())
