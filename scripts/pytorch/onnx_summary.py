"""Describes an exported ONNX graph against the state_dict it came from.

For every initializer it finds which state_dict tensor it holds: the same
tensor (``= key``), its transpose (``= key.T``, how torch.onnx turns
``nn.Linear`` without bias into MatMul), or a constant-folded expression of
it (efficient-KAN's scaled spline weight, slices of the knot grid). Identity
nodes (torch.onnx's de-duplication of equal initializers) are listed with
what they alias. The result is checked numerically, not guessed from names.
"""

import collections
from typing import Dict, List, Tuple

import numpy as np
import onnx
import torch
from onnx import numpy_helper


def _candidates(state: Dict[str, torch.Tensor]) -> List[Tuple[str, np.ndarray]]:
    """Tensors an initializer may hold: state_dict entries, transposes and known folded expressions."""
    out: List[Tuple[str, np.ndarray]] = []
    for key, value in state.items():
        array = value.detach().double().numpy()
        out.append((f"= {key}", array))
        if array.ndim == 2:
            out.append((f"= {key}.T", array.T))
    prefixes = sorted({key[: -len("spline_weight")] for key in state if key.endswith("spline_weight")})
    for p in prefixes:
        weight = state[p + "spline_weight"].double()
        scaler = state.get(p + "spline_scaler")
        scaled = weight * scaler.double().unsqueeze(-1) if scaler is not None else weight
        expr = f"({p}spline_weight * {p}spline_scaler[..., None])" if scaler is not None else f"{p}spline_weight"
        out.append((f"= {expr}.reshape(out, -1).T  (folded)", scaled.reshape(scaled.shape[0], -1).T.numpy()))
        grid = state.get(p + "grid")
        if grid is None:
            continue
        g = grid.double()
        out.append((f"= {p}grid[:, :-1]  (folded)", g[:, :-1].numpy()))
        out.append((f"= {p}grid[:, 1:]  (folded)", g[:, 1:].numpy()))
        for k in range(1, 4):
            out.append((f"= {p}grid[:, :-{k + 1}]  (folded)", g[:, : -(k + 1)].numpy()))
            out.append((f"= {p}grid[:, {k}:-1] - {p}grid[:, :-{k + 1}]  (folded)", (g[:, k:-1] - g[:, : -(k + 1)]).numpy()))
            out.append((f"= {p}grid[:, {k + 1}:]  (folded)", g[:, k + 1 :].numpy()))
            out.append((f"= {p}grid[:, {k + 1}:] - {p}grid[:, 1:-{k}]  (folded)", (g[:, k + 1 :] - g[:, 1:-k]).numpy()))
    return out


def describe_initializers(model: onnx.ModelProto, state: Dict[str, torch.Tensor]) -> List[Tuple[str, List[int], str]]:
    """(initializer name, shape, relation to the state_dict) for every initializer, in graph order."""
    candidates = _candidates(state)
    rows = []
    for init in model.graph.initializer:
        array = numpy_helper.to_array(init).astype(np.float64)
        matches = [
            label
            for label, value in candidates
            if value.shape == array.shape and np.array_equal(value.astype(np.float32).astype(np.float64), array)
        ]
        if not matches:
            matches = [label + "  (approx.)" for label, value in candidates if value.shape == array.shape and np.allclose(value, array, rtol=1e-6, atol=1e-7)]
        rows.append((init.name, list(init.dims), " | ".join(matches[:3]) if matches else "no state_dict tensor (graph constant)"))
    return rows


def summarize(onnx_path: str, state: Dict[str, torch.Tensor]) -> str:
    """Markdown summary: opsets, op histogram, initializers vs state_dict, Identity aliases, state_dict keys not present."""
    model = onnx.load(onnx_path)
    onnx.checker.check_model(model)
    graph = model.graph
    lines = []
    opsets = ", ".join(f"{d or 'ai.onnx'} {v}" for d, v in ((o.domain, o.version) for o in model.opset_import))
    lines.append(f"opset: {opsets}; {len(graph.node)} nodes, {len(graph.initializer)} initializers")
    lines.append("")
    histogram = collections.Counter(node.op_type for node in graph.node)
    lines.append("ops: " + ", ".join(f"{op} {count}" for op, count in sorted(histogram.items(), key=lambda kv: (-kv[1], kv[0]))))
    lines.append("")
    lines.append("| initializer | shape | state_dict relation |")
    lines.append("|---|---|---|")
    described = describe_initializers(model, state)
    for name, dims, relation in described:
        lines.append(f"| `{name}` | {dims} | {relation} |")
    aliases = [(node.output[0], node.input[0]) for node in graph.node if node.op_type == "Identity"]
    if aliases:
        lines.append("")
        lines.append("Identity nodes (equal tensors de-duplicated by the exporter): " + ", ".join(f"`{o}` = `{i}`" for o, i in aliases))
    used = " ".join(rel for _, _, rel in described)
    alias_outputs = {o for o, _ in aliases}
    missing = [key for key in state if f"= {key}" not in used and f"{key}[" not in used and f"{key} " not in used and key not in alias_outputs]
    if missing:
        lines.append("")
        lines.append("state_dict keys with no initializer of their own: " + ", ".join(f"`{k}`" for k in missing))
    return "\n".join(lines)
