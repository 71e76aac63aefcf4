"""Loads a `partials refit` result back into PyTorch and checks it.

Reads ``REFIT_DIR/model.safetensors`` into the model class of ``models.py``
(family and constructor arguments from ``MODEL_DIR/oracle.json``) with
``load_state_dict(strict=True)``, runs it at the first ``--points`` held-out
points of the oracle (``data/seed/olhs_input.csv`` rows) through the same
min-max scaling, and writes outputs and Jacobians (physical units, float64,
``torch.autograd``) to ``--out``. When the python ``onnxruntime`` package is
installed the refit ``model.onnx`` is run and compared; otherwise the
comparison is with ``REFIT_DIR/refit_outputs.json``, which the TypeScript side
saves (onnxruntime outputs, tfjs Jacobians).

Run with the interpreter that has torch:
``/usr/bin/python3 scripts/pytorch/load_refit.py REFIT_DIR MODEL_DIR --out OUT.json [--points 50]``
"""

import argparse
import json
import os
import sys
from typing import Any, Dict

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export import read_safetensors  # noqa: E402
from models import build_model  # noqa: E402


def _jacobian(fn, x: torch.Tensor) -> torch.Tensor:
    """Batched reverse-mode Jacobian [N, m, n] of a row-wise function."""
    x = x.detach().clone().requires_grad_(True)
    y = fn(x)
    rows = []
    for i in range(y.shape[1]):
        (g,) = torch.autograd.grad(y[:, i].sum(), x, retain_graph=True)
        rows.append(g)
    return torch.stack(rows, dim=1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("refit_dir")
    parser.add_argument("model_dir")
    parser.add_argument("--out", required=True)
    parser.add_argument("--points", type=int, default=50)
    args = parser.parse_args()

    with open(os.path.join(args.model_dir, "oracle.json")) as handle:
        oracle = json.load(handle)
    model = build_model(oracle["family"], oracle["architecture"])
    state = read_safetensors(os.path.join(args.refit_dir, "model.safetensors"))
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as error:
        print(f"error: Cannot load {args.refit_dir}/model.safetensors: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    model = model.double().eval()

    lo_in = torch.tensor([s["min"] for s in oracle["scaling"]["inputs"]], dtype=torch.float64)
    hi_in = torch.tensor([s["max"] for s in oracle["scaling"]["inputs"]], dtype=torch.float64)
    lo_out = torch.tensor([s["min"] for s in oracle["scaling"]["outputs"]], dtype=torch.float64)
    hi_out = torch.tensor([s["max"] for s in oracle["scaling"]["outputs"]], dtype=torch.float64)

    def physical(x: torch.Tensor) -> torch.Tensor:
        return lo_out + model((x - lo_in) / (hi_in - lo_in)) * (hi_out - lo_out)

    points = torch.tensor(oracle["points_physical"][: args.points], dtype=torch.float64)
    with torch.no_grad():
        outputs = physical(points)
        outputs_normalized = model((points - lo_in) / (hi_in - lo_in))
    jacobian = _jacobian(physical, points)

    result: Dict[str, Any] = {
        "format": "partials-refit-pytorch/1",
        "model": oracle["model"],
        "family": oracle["family"],
        "torch": torch.__version__,
        "load_state_dict": "strict=True",
        "keys": list(state.keys()),
        "points_physical": points.tolist(),
        "outputs_normalized": outputs_normalized.tolist(),
        "outputs_physical": outputs.tolist(),
        "jacobian_physical": jacobian.tolist(),
    }

    out_range = (hi_out - lo_out).numpy()
    try:
        import onnxruntime  # type: ignore

        session = onnxruntime.InferenceSession(os.path.join(args.refit_dir, "model.onnx"))
        xn = ((points - lo_in) / (hi_in - lo_in)).numpy().astype(np.float32)
        (yn,) = session.run(None, {session.get_inputs()[0].name: xn})
        ts_outputs = lo_out.numpy() + yn * out_range
        result["compared_with"] = "onnxruntime (python) on the refit model.onnx"
        ts_jacobian = None
    except ImportError:
        with open(os.path.join(args.refit_dir, "refit_outputs.json")) as handle:
            saved = json.load(handle)
        ts_outputs = np.array(saved["outputs_physical"][: args.points])
        ts_jacobian = np.array(saved["jacobian_physical"][: args.points])
        result["compared_with"] = "refit_outputs.json (onnxruntime-node outputs, tfjs Jacobians)"
    diff = np.abs(ts_outputs - outputs.numpy()) / out_range
    result["max_output_difference_over_range"] = float(diff.max())
    if ts_jacobian is not None:
        ref = jacobian.numpy()
        row_scale = np.abs(ref).max(axis=(0, 2))
        jdiff = np.abs(ts_jacobian - ref).max(axis=(0, 2)) / row_scale
        result["max_jacobian_difference_row_normalized"] = jdiff.tolist()
    with open(args.out, "w") as handle:
        json.dump(result, handle)
        handle.write("\n")
    print(
        f"{oracle['model']}: loaded {len(state)} tensors with strict=True; "
        f"max |output difference| / range vs {result['compared_with']}: {diff.max():.2e}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
