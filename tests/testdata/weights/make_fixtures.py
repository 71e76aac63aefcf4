"""Writes the tiny state_dict fixtures for tests/weights/ (run with /usr/bin/python3, torch 1.13).

Outputs, beside this script:
  small.pth            torch.save of a small state_dict (pickle protocol 2, the default)
  small_p4.pth         the same state_dict saved with pickle_protocol=4
  small.safetensors    the same tensors in safetensors format (written by hand from the format spec)
  small.json           the expected values: key -> {shape, dtype, values (row-major, int64 as strings)};
                       run `deno fmt` on it afterwards (the check task formats JSON)
  legacy.pth           the same state_dict in the legacy (non-zip) torch.save format
  module.pth           a whole nn.Module saved with torch.save(model) (pickles a __main__ class)
  evil_posix_system.pth  a torch zip whose data.pkl calls posix.system (GLOBAL, protocol 2)
  evil_os_system.pth     a torch zip whose data.pkl calls os.system (GLOBAL, protocol 2)
  evil_builtins_eval.pth a torch zip whose data.pkl calls builtins.eval (STACK_GLOBAL, protocol 4)
  past_end.safetensors a safetensors file whose header points past the end of the file

The malicious pickles are assembled from opcodes and never unpickled here.
"""
import collections
import io
import json
import os
import struct
import zipfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)


def small_state_dict():
    sd = collections.OrderedDict()
    sd["w32"] = torch.randn(2, 3, dtype=torch.float32)
    sd["w64"] = torch.randn(3, dtype=torch.float64)
    sd["i64"] = torch.tensor([[1, -2], [2**40 + 3, -(2**53) - 5]], dtype=torch.int64)
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4) * 0.25 - 1.0
    sd["base"] = base
    sd["transposed"] = base.t()  # non-contiguous view sharing base's storage
    sd["offset"] = base[1:, 1:3]  # storage offset 5, strides (4, 1)
    sd["scalar"] = torch.tensor(3.5, dtype=torch.float32)
    sd["param"] = torch.nn.Parameter(torch.randn(4, 2))
    sd["half"] = torch.tensor([0.5, -1.25, 65504.0, 1e-4], dtype=torch.float16)
    sd["bf16"] = torch.tensor([0.5, -1.25, 3.0e38, 1e-4], dtype=torch.bfloat16)
    sd["i32"] = torch.tensor([1, -2147483648, 2147483647], dtype=torch.int32)
    sd["i16"] = torch.tensor([-32768, 7], dtype=torch.int16)
    sd["i8"] = torch.tensor([-128, 127], dtype=torch.int8)
    sd["u8"] = torch.tensor([0, 255], dtype=torch.uint8)
    sd["flag"] = torch.tensor([True, False, True])
    sd["empty"] = torch.zeros(0, 3)
    return sd


DTYPE_NAMES = {
    torch.float32: ("float32", "F32"), torch.float64: ("float64", "F64"),
    torch.float16: ("float16", "F16"), torch.bfloat16: ("bfloat16", "BF16"),
    torch.int64: ("int64", "I64"), torch.int32: ("int32", "I32"), torch.int16: ("int16", "I16"),
    torch.int8: ("int8", "I8"), torch.uint8: ("uint8", "U8"), torch.bool: ("bool", "BOOL"),
}


def expected(sd):
    out = collections.OrderedDict()
    for key, t in sd.items():
        t = t.detach()
        flat = t.reshape(-1)
        if t.dtype == torch.int64:
            values = [str(int(v)) for v in flat.tolist()]
        elif t.dtype == torch.bool:
            values = [1 if v else 0 for v in flat.tolist()]
        elif t.dtype in (torch.float16, torch.bfloat16):
            values = flat.float().tolist()  # exact: both widen exactly to float32
        else:
            values = flat.tolist()
        out[key] = {"shape": list(t.shape), "dtype": DTYPE_NAMES[t.dtype][0], "values": values}
    return out


def safetensors_bytes(sd, metadata):
    header = collections.OrderedDict()
    if metadata:
        header["__metadata__"] = metadata
    blobs = []
    offset = 0
    for key, t in sd.items():
        t = t.detach().contiguous()
        raw = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        if t.dtype == torch.bool:
            raw = bytes(1 if v else 0 for v in t.reshape(-1).tolist())
        header[key] = {"dtype": DTYPE_NAMES[t.dtype][1], "shape": list(t.shape),
                       "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def torch_zip(pickle_bytes, name):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{name}/data.pkl", pickle_bytes)
        z.writestr(f"{name}/version", "3\n")
    return buf.getvalue()


def short_unicode(s):
    b = s.encode()
    return b"\x8c" + bytes([len(b)]) + b  # SHORT_BINUNICODE


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def main():
    sd = small_state_dict()
    torch.save(sd, os.path.join(HERE, "small.pth"))
    torch.save(sd, os.path.join(HERE, "small_p4.pth"), pickle_protocol=4)
    torch.save(sd, os.path.join(HERE, "legacy.pth"), _use_new_zipfile_serialization=False)
    torch.save(torch.nn.Linear(2, 1), os.path.join(HERE, "module.pth"))
    with open(os.path.join(HERE, "small.json"), "w") as f:
        json.dump(expected(sd), f)
        f.write("\n")
    write("small.safetensors", safetensors_bytes(sd, {"format": "pt", "note": "fixture"}))

    # PROTO 2, GLOBAL 'posix system', BINUNICODE 'true', TUPLE1, REDUCE, STOP
    cmd = b"true"
    for module in ("posix", "os"):
        evil = (b"\x80\x02" + b"c" + module.encode() + b"\nsystem\n" + b"X" + struct.pack("<I", len(cmd)) + cmd
                + b"\x85" + b"R" + b".")
        write(f"evil_{module}_system.pth", torch_zip(evil, "archive"))
    # PROTO 4, SHORT_BINUNICODE 'builtins', SHORT_BINUNICODE 'eval', STACK_GLOBAL, MEMOIZE, ... REDUCE
    evil = (b"\x80\x04" + short_unicode("builtins") + short_unicode("eval") + b"\x93" + b"\x94"
            + short_unicode("1+1") + b"\x85" + b"R" + b".")
    write("evil_builtins_eval.pth", torch_zip(evil, "archive"))

    # A header claiming 64 bytes of float32 data where the file holds 8.
    header = json.dumps({"weight": {"dtype": "F32", "shape": [4, 4], "data_offsets": [0, 64]}}).encode()
    header += b" " * ((8 - len(header) % 8) % 8)
    write("past_end.safetensors", struct.pack("<Q", len(header)) + header + b"\x00" * 8)


if __name__ == "__main__":
    main()
