"""Runs the PyTorch companion's CLI (scripts/pytorch/export.py --factory) on the models of
``factories.py`` and writes what it produces, for the TypeScript tests (run with /usr/bin/python3,
torch 1.13; the tests need no Python).

Outputs, beside this script:
  points.csv            the first 8 points of data/seed/olhs_input.csv
  fourier/, chebyshev/  ``export.py --factory factories.py:<name>`` without any width option (the
                        width is found by running the model), from a seeded state_dict:
                        model.onnx, model.pth, model.safetensors, model_perturbed.*, scaling.csv,
                        oracle.json
  fourier_shape/        the Fourier model with ``--example-shape 1,4`` and ``--opset 14``
  messages.json         what the CLI printed (exit code, stderr) for the cases it must refuse:
                        a width the model does not take, and a scaling file one row short
Run ``deno fmt`` on messages.json afterwards (the check task formats JSON).
"""
import contextlib
import io
import json
import os
import shutil
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts", "pytorch"))
sys.path.insert(0, HERE)

import export  # noqa: E402
import factories  # noqa: E402

SCALING = os.path.join(ROOT, "data", "seed", "olhs_samples_max_min.csv")


def run(argv):
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        code = export.main(argv)
    return code, stderr.getvalue().strip()


def relative(path: str) -> str:
    return os.path.relpath(path, ROOT)


def main() -> None:
    torch.set_num_threads(1)
    with open(os.path.join(ROOT, "data", "seed", "olhs_input.csv")) as handle:
        lines = handle.read().splitlines()[:9]
    points = os.path.join(HERE, "points.csv")
    with open(points, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    messages = {}
    for name, build in (("fourier", factories.fourier_net), ("chebyshev", factories.chebyshev_net)):
        out = os.path.join(HERE, name)
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        torch.manual_seed(3)
        trained = os.path.join(HERE, f"_{name}_trained.pth")
        torch.save(build().state_dict(), trained)
        common = ["--factory", f"{relative(os.path.join(HERE, 'factories.py'))}:{build.__name__}",
                  "--state-dict", relative(trained), "--points", relative(points)]
        cwd = os.getcwd()
        os.chdir(ROOT)
        try:
            code, err = run(common + ["--scaling", relative(SCALING), "--out", relative(out)])
            if code != 0:
                raise SystemExit(f"{name}: export failed: {err}")
            if name == "fourier":
                shape = os.path.join(HERE, "fourier_shape")
                shutil.rmtree(shape, ignore_errors=True)
                code, err = run(common + ["--scaling", relative(SCALING), "--out", relative(shape),
                                          "--example-shape", "1,4", "--opset", "14"])
                if code != 0:
                    raise SystemExit(f"fourier_shape: export failed: {err}")
                code, err = run(common + ["--scaling", relative(SCALING), "--out", "/tmp/partials-unused",
                                          "--input-width", "3"])
                messages["input_width_3"] = {"code": code, "stderr": err}
                short = os.path.join(HERE, "_short_scaling.csv")
                with open(SCALING) as src, open(short, "w") as dst:
                    dst.write("".join(src.readlines()[:-1]))
                code, err = run(common + ["--scaling", relative(short), "--out", "/tmp/partials-unused"])
                messages["scaling_one_row_short"] = {"code": code, "stderr": err}
                os.remove(short)
        finally:
            os.chdir(cwd)
            os.remove(trained)
    with open(os.path.join(HERE, "messages.json"), "w") as handle:
        json.dump(messages, handle, indent=2)
    print("wrote", HERE)


if __name__ == "__main__":
    main()
