"""PyTorch's side of ``scripts/bench_vs_pytorch.ts``: batched autograd Jacobians.

Loads a bundled model folder (``model.pth``, family and architecture from
``oracle.json``), reads the points (physical units, raw little-endian float64,
``[N, n]`` row-major) and times, on the same machine and in the same run as
partials:

- ``forward``: the float32 model on the physical points (normalize, model,
  denormalize), in chunks;
- ``jacobian``: the float32 Jacobian of the physical-units composition by
  batched reverse mode, the way users compute it: per chunk one forward and
  ``m`` backward passes (``torch.autograd.grad`` of ``y[:, i].sum()`` with
  ``retain_graph=True``);
- a float64 Jacobian (``model.double()``) with the same code, untimed, written
  to ``--jacobian-out`` (raw float64 ``[N, m, n]``) as the reference the
  TypeScript side compares its results with.

Prints one JSON object: median wall and CPU seconds, all repeat times, threads, torch version.

``/usr/bin/python3 scripts/pytorch/bench_jacobian.py MODEL_DIR POINTS.f64 --n 4 [--chunk 10000] [--repeats 3] [--threads T] [--jacobian-out J.f64]``
"""

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models import build_model  # noqa: E402


def physical_model(model, oracle, dtype):
    """x (physical) -> normalize -> model -> denormalize, in ``dtype``."""

    def column(side, key):
        return torch.tensor([s[key] for s in oracle["scaling"][side]], dtype=dtype)

    lo_in, hi_in = column("inputs", "min"), column("inputs", "max")
    lo_out, hi_out = column("outputs", "min"), column("outputs", "max")
    model = model.to(dtype)

    def f(x):
        return lo_out + model((x - lo_in) / (hi_in - lo_in)) * (hi_out - lo_out)

    return f


def batched_jacobian(f, x, chunk):
    """[N, m, n]: per chunk, one forward and one backward pass per output."""
    blocks = []
    for start in range(0, x.shape[0], chunk):
        xc = x[start : start + chunk].detach().clone().requires_grad_(True)
        y = f(xc)
        rows = []
        for i in range(y.shape[1]):
            (g,) = torch.autograd.grad(y[:, i].sum(), xc, retain_graph=i + 1 < y.shape[1])
            rows.append(g)
        blocks.append(torch.stack(rows, dim=1))
    return torch.cat(blocks)


def timed(fn, repeats):
    """Wall and CPU (user + system) seconds of each of ``repeats`` calls."""
    times, cpu = [], []
    result = None
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return result, times, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model_dir")
    parser.add_argument("points")
    parser.add_argument("--n", type=int, required=True, help="input width")
    parser.add_argument("--chunk", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's own)")
    parser.add_argument("--jacobian-out")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    with open(os.path.join(args.model_dir, "oracle.json")) as handle:
        oracle = json.load(handle)
    model = build_model(oracle["family"], oracle["architecture"])
    model.load_state_dict(torch.load(os.path.join(args.model_dir, "model.pth"), map_location="cpu"))
    model.eval()
    raw = np.fromfile(args.points, dtype="<f8").reshape(-1, args.n)
    x64 = torch.from_numpy(raw.copy())
    x32 = x64.float()

    f32 = physical_model(model, oracle, torch.float32)

    def forward():
        with torch.no_grad():
            return torch.cat([f32(x32[s : s + args.chunk]) for s in range(0, len(x32), args.chunk)])

    _, forward_times, forward_cpu = timed(forward, args.repeats)
    _, jacobian_times, jacobian_cpu = timed(lambda: batched_jacobian(f32, x32, args.chunk), args.repeats)
    if args.jacobian_out:
        # Same weights, cast to float64 (as model.double()).
        f64_model = build_model(oracle["family"], oracle["architecture"])
        f64_model.load_state_dict(model.state_dict())
        f64 = physical_model(f64_model.eval(), oracle, torch.float64)
        batched_jacobian(f64, x64, args.chunk).detach().numpy().astype("<f8").tofile(args.jacobian_out)
    print(
        json.dumps(
            {
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "points": int(len(x32)),
                "chunk": args.chunk,
                "forward_s": statistics.median(forward_times),
                "jacobian_s": statistics.median(jacobian_times),
                "forward_cpu_s": statistics.median(forward_cpu),
                "jacobian_cpu_s": statistics.median(jacobian_cpu),
                "forward_times": forward_times,
                "jacobian_times": jacobian_times,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
