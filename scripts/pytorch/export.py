"""PyTorch companion of partials: export a trained model with its oracle values.

Run it next to your own training code. For a model trained on min-max
normalized data (x_n = (x - min) / (max - min), outputs likewise), it writes
into ``out_dir``:

- ``model.onnx``: the float32 model in normalized units, input ``x`` [batch, n],
  output ``y`` [batch, m], dynamic batch axis;
- ``model.pth``: ``torch.save(model.state_dict())``;
- ``model.safetensors``: the same tensors in the safetensors format;
- ``scaling.csv``: a copy of the scaling file (Variable, Min, Max; inputs first);
- ``model_perturbed.pth`` / ``model_perturbed.safetensors``: every trainable
  parameter + 0.01 * randn (seeded), fixed grids left as they are;
- ``oracle.json`` ("partials-oracle/1"): PyTorch's own float64 outputs and
  Jacobians (torch.autograd) at the given points, normalized and physical.

Python API::

    from export import export_for_partials
    export_for_partials(model, torch.rand(8, 4), "olhs_samples_max_min.csv", "out/my_model",
                        points="olhs_input.csv", extra_manifest={"val_r2": r2})

CLI (one of the bundled families, weights from a state_dict)::

    /usr/bin/python3 scripts/pytorch/export.py --family fastkan \\
        --architecture '{"layers_hidden": [4, 30, 30, 4]}' --state-dict trained_model.pth \\
        --scaling olhs_samples_max_min.csv --points olhs_input.csv --out out/my_model

Your own class: ``--factory my_models:make_net`` (importable from the current folder) or
``--factory path/to/models.py:make_net``, ``--architecture`` holding its keyword arguments.
The input width n is found by running the model with each width the scaling file's rows allow
(n inputs + m outputs); ``--input-width N`` or ``--example-shape B,N`` (the example input given
to torch.onnx.export) say it instead.

Requires torch and onnx; nothing else.
"""

import argparse
import copy
import csv
import hashlib
import importlib
import importlib.util
import json
import os
import shutil
import struct
import sys
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn

ORACLE_FORMAT = "partials-oracle/1"
PERTURBATION_SCALE = 0.01
SCALING_FILE = "scaling.csv"

# ------------------------------------------------------------------- safetensors


_SAFETENSORS_DTYPES = {
    torch.float64: ("F64", "<f8"),
    torch.float32: ("F32", "<f4"),
    torch.float16: ("F16", "<f2"),
    torch.int64: ("I64", "<i8"),
    torch.int32: ("I32", "<i4"),
    torch.int16: ("I16", "<i2"),
    torch.int8: ("I8", "i1"),
    torch.uint8: ("U8", "u1"),
    torch.bool: ("BOOL", "?"),
}


def safetensors_bytes(tensors: Dict[str, torch.Tensor], metadata: Optional[Dict[str, str]] = None) -> bytes:
    """Serializes ``tensors`` in the safetensors format.

    Layout: an 8-byte little-endian unsigned header length N, N bytes of UTF-8
    JSON ``{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}``
    (names sorted, offsets relative to the end of the header, header padded
    with spaces to a multiple of 8), then the raw little-endian tensor data.
    """
    header: "OrderedDict[str, Any]" = OrderedDict()
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    chunks: List[bytes] = []
    offset = 0
    for name in sorted(tensors):
        tensor = tensors[name].detach().cpu().contiguous()
        if tensor.dtype not in _SAFETENSORS_DTYPES:
            raise TypeError(f'Cannot write safetensors: tensor "{name}" has unsupported dtype {tensor.dtype}')
        code, np_dtype = _SAFETENSORS_DTYPES[tensor.dtype]
        data = tensor.numpy().astype(np_dtype, copy=False).tobytes(order="C")
        header[name] = {"dtype": code, "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((-len(text)) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def read_safetensors(path: str) -> Dict[str, torch.Tensor]:
    """Reads a safetensors file written by :func:`safetensors_bytes` (for round-trip checks)."""
    with open(path, "rb") as handle:
        blob = handle.read()
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + length].decode("utf-8"))
    base = 8 + length
    by_code = {code: np_dtype for code, np_dtype in _SAFETENSORS_DTYPES.values()}
    out: Dict[str, torch.Tensor] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        array = np.frombuffer(blob[base + begin : base + end], dtype=by_code[info["dtype"]])
        out[name] = torch.from_numpy(array.copy().reshape(info["shape"]))
    return out


# ----------------------------------------------------------------------- scaling


def read_scaling_csv(path: str) -> Tuple[List[str], np.ndarray, np.ndarray]:
    """Reads a scaling file: optional name column (Variable or Name), Min, Max; one row per variable.

    Returns (names, mins, maxs) in file order (inputs first, then outputs).
    Missing names become "" and are filled in by the caller.
    """
    with open(path, newline="") as handle:
        rows = [row for row in csv.reader(handle) if row and any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise ValueError(f"Cannot read {path}: no data rows")
    header = [cell.strip().lower() for cell in rows[0]]
    try:
        i_min, i_max = header.index("min"), header.index("max")
    except ValueError:
        raise ValueError(f'Cannot read {path}: the header needs "Min" and "Max" columns') from None
    i_name = header.index("variable") if "variable" in header else header.index("name") if "name" in header else -1
    names, mins, maxs = [], [], []
    for line, row in enumerate(rows[1:], start=2):
        try:
            lo, hi = float(row[i_min]), float(row[i_max])
        except (ValueError, IndexError):
            raise ValueError(f"Cannot read {path}: line {line}: Min/Max are not numbers") from None
        if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
            raise ValueError(f"Cannot read {path}: line {line}: Max must exceed Min (got {lo}, {hi})")
        names.append(row[i_name].strip() if i_name >= 0 else "")
        mins.append(lo)
        maxs.append(hi)
    return names, np.asarray(mins, dtype=np.float64), np.asarray(maxs, dtype=np.float64)


def read_points_csv(path: str, input_names: Sequence[str]) -> np.ndarray:
    """Reads physical-unit points: a header row, then one row per point; columns reordered to ``input_names``."""
    with open(path, newline="") as handle:
        rows = [row for row in csv.reader(handle) if row and any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise ValueError(f"Cannot read {path}: no data rows")
    header = [cell.strip() for cell in rows[0]]
    if all(name in header for name in input_names):
        order = [header.index(name) for name in input_names]
    elif len(header) == len(input_names):
        order = list(range(len(header)))
    else:
        raise ValueError(f"Cannot read {path}: columns {header} do not match the inputs {list(input_names)}")
    values = []
    for line, row in enumerate(rows[1:], start=2):
        try:
            values.append([float(row[c]) for c in order])
        except (ValueError, IndexError):
            raise ValueError(f"Cannot read {path}: line {line}: not a row of numbers") from None
    return np.asarray(values, dtype=np.float64)


# ------------------------------------------------------------------ description


def describe_model(model: nn.Module) -> Tuple[str, Dict[str, Any]]:
    """Family ("fastkan", "effkan", "mlp", or the class name) and constructor arguments, read off the modules.

    Recognises the classes of ``models.py`` and, by class name, the public
    ``fastkan.FastKAN`` and ``efficient_kan.KAN``.
    """
    name = type(model).__name__
    layers = getattr(model, "layers", None)
    if name == "FastKAN" and layers is not None:
        first = layers[0]
        widths = [first.layernorm.normalized_shape[0]] + [layer.spline_linear.out_features for layer in layers]
        grid = first.rbf.grid.detach().double()
        return "fastkan", {
            "layers_hidden": widths,
            "grid_min": float(grid[0]),
            "grid_max": float(grid[-1]),
            "num_grids": int(grid.numel()),
            "use_base_update": bool(first.use_base_update),
        }
    if name in ("EfficientKAN", "KAN") and layers is not None and hasattr(layers[0], "spline_scaler"):
        first = layers[0]
        widths = [first.in_features] + [layer.out_features for layer in layers]
        knots = first.grid[0].detach().double()
        order = int(first.spline_order)
        return "effkan", {
            "layers_hidden": widths,
            "grid_size": int(first.grid_size),
            "spline_order": order,
            "grid_range": [float(knots[order]), float(knots[-order - 1])],
        }
    if isinstance(model, nn.Sequential):
        linears = [m for m in model if isinstance(m, nn.Linear)]
        activations = [type(m).__name__ for m in model if not isinstance(m, nn.Linear)]
        if linears:
            hidden = {m.out_features for m in linears[:-1]}
            if len(hidden) == 1 and set(activations) == {"Sigmoid"} and len(activations) == len(linears) - 1:
                # Constructor arguments of models.sigmoid_mlp.
                return "mlp", {
                    "n_in": linears[0].in_features,
                    "n_out": linears[-1].out_features,
                    "width": hidden.pop(),
                    "depth": len(linears) - 1,
                }
            return "mlp", {
                "widths": [linears[0].in_features] + [m.out_features for m in linears],
                "activations": activations,
            }
    return name, {}


def _default_fixed_keys(model: nn.Module) -> List[str]:
    """State-dict keys to leave unperturbed: non-trainable parameters and buffers named ``*grid``."""
    fixed = [key for key, param in model.named_parameters() if not param.requires_grad]
    fixed += [key for key, _ in model.named_buffers() if key.split(".")[-1] == "grid"]
    return sorted(set(fixed))


def perturb_state_dict(model: nn.Module, seed: int, scale: float = PERTURBATION_SCALE) -> "OrderedDict[str, torch.Tensor]":
    """A copy of ``model.state_dict()`` with ``scale * randn`` added to every floating entry except fixed ones.

    Fixed entries (left bit-identical): parameters with ``requires_grad=False``
    (FastKAN ``rbf.grid``) and buffers named ``grid`` (efficient-KAN). Keys are
    visited in sorted order with one seeded generator, so the result depends on
    ``seed`` only.
    """
    fixed = set(_default_fixed_keys(model))
    generator = torch.Generator().manual_seed(seed)
    state = model.state_dict()
    out: "OrderedDict[str, torch.Tensor]" = OrderedDict((k, v.detach().clone()) for k, v in state.items())
    for key in sorted(out):
        value = out[key]
        if key in fixed or not value.is_floating_point():
            continue
        noise = torch.randn(value.shape, generator=generator, dtype=torch.float64)
        out[key] = (value.double() + scale * noise).to(value.dtype)
    return out


# ----------------------------------------------------------------------- oracle


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_bytes(path: str, data: bytes) -> None:
    tmp = path + ".tmp"
    with open(tmp, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def _save_state_dict(state: Dict[str, torch.Tensor], stem: str) -> None:
    tmp = stem + ".pth.tmp"
    torch.save(state, tmp)
    os.replace(tmp, stem + ".pth")
    _write_bytes(stem + ".safetensors", safetensors_bytes(state, {"format": "pt"}))


def batched_jacobian(fn, x: torch.Tensor) -> torch.Tensor:
    """Jacobians of a row-wise function at every row of ``x``: [N, n] -> [N, m, n], by torch.autograd.

    ``fn`` maps [N, n] to [N, m] with rows independent of each other (true of
    the three families: LayerNorm and the bases act per sample), so the
    Jacobian of ``fn(x).sum(0)`` holds every per-point Jacobian.
    """
    jac = torch.autograd.functional.jacobian(lambda z: fn(z).sum(0), x)  # [m, N, n]
    return jac.permute(1, 0, 2).contiguous()


def _oracle_values(model64: nn.Module, points_physical: torch.Tensor, lo_in, range_in, lo_out, range_out):
    def normalized(xn: torch.Tensor) -> torch.Tensor:
        return model64(xn)

    def physical(xp: torch.Tensor) -> torch.Tensor:
        return lo_out + model64((xp - lo_in) / range_in) * range_out

    points_normalized = (points_physical - lo_in) / range_in
    with torch.no_grad():
        outputs_normalized = model64(points_normalized)
        outputs_physical = lo_out + outputs_normalized * range_out
    jac_normalized = batched_jacobian(normalized, points_normalized)
    jac_physical = batched_jacobian(physical, points_physical)
    # Independence check: per-point autograd at the first points equals the batched result.
    for k in range(min(3, points_normalized.shape[0])):
        single = torch.autograd.functional.jacobian(lambda z: physical(z[None, :])[0], points_physical[k])
        if not torch.allclose(single, jac_physical[k], rtol=1e-10, atol=1e-12):
            raise RuntimeError("Cannot compute the oracle: the model mixes the batch axis (per-point and batched Jacobians differ)")
    return points_normalized, outputs_normalized, outputs_physical, jac_normalized, jac_physical


def _as_list(t: torch.Tensor) -> list:
    return t.detach().cpu().double().tolist()


def oracle_values(
    model32: nn.Module,
    points_physical: torch.Tensor,
    scaling: Tuple[Sequence[str], Sequence[str], np.ndarray, np.ndarray],
    perturbed: Dict[str, torch.Tensor],
    perturbed_files: Sequence[str],
) -> Dict[str, Any]:
    """The fields of ``oracle.json`` from ``inputs`` to ``perturbed``: PyTorch's float64 values at the points.

    Args:
        model32: the float32 model (not modified; float64 copies are evaluated).
        points_physical: float64 points [N, n], physical units.
        scaling: (input names, output names, mins, maxs), mins/maxs the n inputs then the m outputs.
        perturbed: a state_dict for a copy of the model, whose values go under ``perturbed``.
        perturbed_files: the files holding ``perturbed``, listed in the oracle.
    """
    input_names, output_names, mins, maxs = scaling
    n = len(input_names)
    lo_in, range_in = torch.from_numpy(mins[:n]), torch.from_numpy(maxs[:n] - mins[:n])
    lo_out, range_out = torch.from_numpy(mins[n:]), torch.from_numpy(maxs[n:] - mins[n:])
    model64 = copy.deepcopy(model32).double().eval()
    pn, on, op, jn, jp = _oracle_values(model64, points_physical, lo_in, range_in, lo_out, range_out)
    with torch.no_grad():
        outputs_float32 = model32(pn.float()).double()
    model_p = copy.deepcopy(model32)
    model_p.load_state_dict(perturbed)
    model_p64 = model_p.double().eval()
    _, on_p, op_p, _, jp_p = _oracle_values(model_p64, points_physical, lo_in, range_in, lo_out, range_out)
    return {
        "inputs": list(input_names),
        "outputs": list(output_names),
        "scaling": {
            "inputs": [{"name": nm, "min": float(a), "max": float(b)} for nm, a, b in zip(input_names, mins[:n], maxs[:n])],
            "outputs": [{"name": nm, "min": float(a), "max": float(b)} for nm, a, b in zip(output_names, mins[n:], maxs[n:])],
        },
        "points_physical": _as_list(points_physical),
        "points_normalized": _as_list(pn),
        "outputs_normalized": _as_list(on),
        "outputs_physical": _as_list(op),
        "outputs_float32": _as_list(outputs_float32),
        "jacobian_normalized": _as_list(jn),
        "jacobian_physical": _as_list(jp),
        "perturbed": {
            "files": list(perturbed_files),
            "outputs_normalized": _as_list(on_p),
            "outputs_physical": _as_list(op_p),
            "jacobian_physical": _as_list(jp_p),
        },
    }


def export_for_partials(
    model: nn.Module,
    example_input: torch.Tensor,
    scaling_csv: str,
    out_dir: str,
    points: Union[None, str, np.ndarray, torch.Tensor, Sequence[Sequence[float]]] = None,
    opset: int = 17,
    do_constant_folding: bool = True,
    seed: int = 0,
    extra_manifest: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """Exports ``model`` for partials and writes its oracle; returns the oracle dict.

    Args:
        model: the trained float32 model, taking normalized inputs [batch, n]
            and returning normalized outputs [batch, m]. Not modified.
        example_input: a float32 tensor [batch, n] for torch.onnx.export (normalized units).
        scaling_csv: the min-max file, rows = the n inputs then the m outputs,
            columns Variable (or Name, optional), Min, Max.
        out_dir: folder to write into (created); its base name is the oracle's "model".
        points: physical-unit points [N, n] for the oracle: a CSV path (header
            naming the inputs) or an array; None uses ``min + example_input * range``.
        opset: ONNX opset version.
        do_constant_folding: passed to torch.onnx.export.
        seed: seeds the perturbed state_dict.
        extra_manifest: more manifest entries (e.g. {"val_r2": 0.99}).
    """
    import onnx  # imported here so the module loads without onnx for safetensors-only use

    os.makedirs(out_dir, exist_ok=True)
    model32 = copy.deepcopy(model).cpu().float().eval()
    example = torch.as_tensor(example_input, dtype=torch.float32)
    if example.dim() != 2:
        raise ValueError(f"Cannot export: example_input must be [batch, n], got shape {list(example.shape)}")
    n = example.shape[1]
    try:
        with torch.no_grad():
            output = model32(example)
    except Exception as error:  # noqa: BLE001 - reported with the shape that was tried
        detail = " ".join(str(error).split())
        raise ValueError(
            f"Cannot export: the model does not run on an example input of shape {list(example.shape)} ({detail}); "
            f"is {n} its input width? Give --input-width N or --example-shape B,N"
        ) from None
    if output.dim() != 2 or output.shape[0] != example.shape[0]:
        raise ValueError(
            f"Cannot export: the model maps an input of shape {list(example.shape)} to {list(output.shape)}, "
            f"not [{example.shape[0]}, m]"
        )
    m = output.shape[1]

    names, mins, maxs = read_scaling_csv(scaling_csv)
    if len(names) != n + m:
        raise ValueError(
            f"Cannot export: {scaling_csv} has {len(names)} rows, but the model maps {n} inputs to {m} outputs "
            f"({n + m} rows needed: inputs, then outputs)"
        )
    input_names = [nm or f"x{j + 1}" for j, nm in enumerate(names[:n])]
    output_names = [nm or f"y{i + 1}" for i, nm in enumerate(names[n:])]
    lo_in, range_in = torch.from_numpy(mins[:n]), torch.from_numpy(maxs[:n] - mins[:n])

    if points is None:
        points_physical = lo_in + example.double() * range_in
    elif isinstance(points, str):
        points_physical = torch.from_numpy(read_points_csv(points, input_names))
    else:
        points_physical = torch.as_tensor(np.asarray(points, dtype=np.float64))
    if points_physical.dim() != 2 or points_physical.shape[1] != n:
        raise ValueError(f"Cannot export: points must be [N, {n}], got shape {list(points_physical.shape)}")

    written: List[str] = []

    # ONNX, float32, normalized units.
    onnx_path = os.path.join(out_dir, "model.onnx")
    torch.onnx.export(
        model32,
        (example,),
        onnx_path + ".tmp",
        opset_version=opset,
        input_names=["x"],
        output_names=["y"],
        dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
        do_constant_folding=do_constant_folding,
    )
    os.replace(onnx_path + ".tmp", onnx_path)
    onnx.checker.check_model(onnx.load(onnx_path))
    written.append("model.onnx")

    state = OrderedDict((k, v.detach().clone()) for k, v in model32.state_dict().items())
    _save_state_dict(state, os.path.join(out_dir, "model"))
    written += ["model.pth", "model.safetensors"]

    shutil.copyfile(scaling_csv, os.path.join(out_dir, SCALING_FILE))
    written.append(SCALING_FILE)

    # Float64 oracle of the model as trained, and of the perturbed weights.
    perturbed = perturb_state_dict(model32, seed)
    _save_state_dict(perturbed, os.path.join(out_dir, "model_perturbed"))
    perturbed_files = ["model_perturbed.pth", "model_perturbed.safetensors"]
    written += perturbed_files
    values = oracle_values(model32, points_physical, (input_names, output_names, mins, maxs), perturbed, perturbed_files)

    family, architecture = describe_model(model)
    manifest: Dict[str, Any] = {
        "torch": torch.__version__,
        "onnx": onnx.__version__,
        "opset": opset,
        "do_constant_folding": do_constant_folding,
        "seed": seed,
    }
    manifest.update(extra_manifest or {})
    manifest["files"] = {name: _sha256(os.path.join(out_dir, name)) for name in written}

    oracle = {
        "format": ORACLE_FORMAT,
        "model": os.path.basename(os.path.normpath(out_dir)),
        "family": family,
        "architecture": architecture,
        **values,
        "manifest": manifest,
    }
    _write_bytes(os.path.join(out_dir, "oracle.json"), json.dumps(oracle, allow_nan=False).encode("utf-8"))
    return oracle


# -------------------------------------------------------------------------- CLI


def _factory(spec: str):
    """The function named by ``module:function`` (importable from the current folder) or ``path/to/file.py:function``."""
    module_name, _, function_name = spec.rpartition(":")
    if not module_name or not function_name:
        raise ValueError(f'Cannot use --factory "{spec}": expected module:function or path/to/file.py:function')
    if module_name.endswith(".py") or os.sep in module_name:
        if not os.path.isfile(module_name):
            raise ValueError(f"Cannot use --factory {spec}: no file {os.path.abspath(module_name)}")
        sys.path.insert(0, os.path.dirname(os.path.abspath(module_name)))
        loaded = importlib.util.spec_from_file_location(os.path.splitext(os.path.basename(module_name))[0], module_name)
        module = importlib.util.module_from_spec(loaded)
        loaded.loader.exec_module(module)
    else:
        sys.path.insert(0, os.getcwd())
        module = importlib.import_module(module_name)
    if not hasattr(module, function_name):
        raise ValueError(f'Cannot use --factory {spec}: {module_name} has no "{function_name}"')
    return getattr(module, function_name)


def _load_model(args: argparse.Namespace) -> nn.Module:
    architecture = json.loads(args.architecture)
    if args.factory:
        model = _factory(args.factory)(**architecture)
    else:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from models import build_model

        model = build_model(args.family, architecture)
    state = torch.load(args.state_dict, map_location="cpu")
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        detail = " ".join(str(error).split())
        raise ValueError(f"Cannot load {args.state_dict} into the model: {detail}") from None
    return model.eval()


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description="Export a trained PyTorch model for partials: ONNX, state_dict, safetensors, oracle.json",
    )
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--family", choices=["fastkan", "effkan", "mlp"], help="a bundled model family (models.py)")
    group.add_argument(
        "--factory",
        help="module:function or path/to/file.py:function building your model, e.g. my_models:make_net",
    )
    parser.add_argument("--architecture", default="{}", help="constructor arguments as JSON")
    parser.add_argument("--state-dict", required=True, help="trained weights saved with torch.save(model.state_dict())")
    parser.add_argument("--scaling", required=True, help="min-max CSV: Variable, Min, Max; inputs then outputs")
    parser.add_argument("--points", help="physical-unit points CSV for the oracle (header = input names)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--no-constant-folding", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--extra-manifest", default="{}", help='more manifest entries as JSON, e.g. \'{"val_r2": 0.98}\'')
    width = parser.add_mutually_exclusive_group()
    width.add_argument(
        "--input-width",
        type=int,
        metavar="N",
        help="the model's number of inputs (default: found by running the model with each width the scaling file allows)",
    )
    width.add_argument(
        "--example-shape",
        metavar="B,N",
        help="shape of the example input given to torch.onnx.export, e.g. 1,4 (default: 8,N)",
    )
    args = parser.parse_args(argv)
    try:
        model = _load_model(args)
        export_for_partials(
            model,
            _example_input(model, args),
            args.scaling,
            args.out,
            points=args.points,
            opset=args.opset,
            do_constant_folding=not args.no_constant_folding,
            seed=args.seed,
            extra_manifest=json.loads(args.extra_manifest),
        )
    except (OSError, ValueError, RuntimeError, TypeError, KeyError) as error:
        print("error: " + " ".join(str(error).split()), file=sys.stderr)
        return 1
    print(f"wrote {args.out}")
    return 0


def _example_input(model: nn.Module, args: argparse.Namespace) -> torch.Tensor:
    """The example input for torch.onnx.export: [8, N], or the shape of ``--example-shape``."""
    if args.example_shape is not None:
        try:
            shape = [int(part) for part in args.example_shape.split(",")]
        except ValueError:
            shape = []
        if len(shape) != 2 or min(shape) < 1:
            raise ValueError(f'Invalid --example-shape "{args.example_shape}": expected B,N with positive integers, e.g. 1,4')
    elif args.input_width is not None:
        if args.input_width < 1:
            raise ValueError(f"Invalid --input-width {args.input_width}: expected a positive integer")
        shape = [8, args.input_width]
    else:
        names, _, _ = read_scaling_csv(args.scaling)
        shape = [8, infer_input_width(model, len(names), args.scaling)]
    return torch.rand(*shape, generator=torch.Generator().manual_seed(args.seed))


def infer_input_width(model: nn.Module, rows: int, scaling_csv: str) -> int:
    """The input width n of ``model``, found by running it: the n in 1..rows-1 for which it maps
    [2, n] to [2, rows - n], where ``rows`` is the number of variables in the scaling file.

    Raises ValueError saying what was tried when no width or several widths fit.
    """
    fits: List[int] = []
    runs: Dict[int, int] = {}
    generator = torch.Generator().manual_seed(0)
    for n in range(1, rows):
        try:
            with torch.no_grad():
                y = model(torch.rand(2, n, generator=generator))
        except Exception:  # noqa: BLE001 - any failure means the model does not take n inputs
            continue
        if not isinstance(y, torch.Tensor) or y.dim() != 2 or y.shape[0] != 2:
            continue
        runs[n] = int(y.shape[1])
        if runs[n] == rows - n:
            fits.append(n)
    if len(fits) == 1:
        return fits[0]
    advice = "give --input-width N (or --example-shape B,N)"
    if len(fits) > 1:
        raise ValueError(
            f"Cannot tell the input width of the model: it maps n inputs to {rows} - n outputs, as the {rows} rows "
            f"of {scaling_csv} need, for n = {', '.join(map(str, fits))}; {advice}"
        )
    if not runs:
        raise ValueError(
            f"Cannot tell the input width of the model: it ran on none of the widths 1..{rows - 1} that the "
            f"{rows} rows of {scaling_csv} allow; {advice}"
        )
    seen = ", ".join(f"n = {n} gives m = {m} ({n + m} rows)" for n, m in runs.items())
    raise ValueError(
        f"Cannot export: {scaling_csv} has {rows} rows (inputs, then outputs), but the model runs only with: {seen}; "
        f"fix the scaling file, or {advice}"
    )


if __name__ == "__main__":
    sys.exit(main())
