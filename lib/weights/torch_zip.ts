/**
 * Reader for PyTorch's `torch.save` zip format (PyTorch ≥ 1.6): a zip archive
 * with `<prefix>/data.pkl` (a pickle describing the object) and one file
 * `<prefix>/data/<key>` of raw little-endian bytes per storage. The pickle runs
 * in a restricted machine that, like `torch.load(weights_only=True)`, only
 * accepts the globals `torch.save` uses to rebuild tensors and ordered dicts.
 *
 * @module
 */
import { limits, raiseHint } from "../io/limits.ts";
import { escapeControl, quote } from "../io/quote.ts";
import { PickleDict, PickleTuple, unpickle } from "./_pickle.ts";
import { openZip } from "./_zip.ts";
import {
  decodeElements,
  DTYPE_BYTES,
  formatShape,
  shapeSize,
  type StateDict,
  type StateDtype,
  type StateTensor,
  UnsafePickleError,
} from "./state_dict.ts";

/** `torch.<Name>Storage` → element dtype. */
const STORAGE_DTYPES: Readonly<Record<string, StateDtype>> = {
  FloatStorage: "float32",
  DoubleStorage: "float64",
  HalfStorage: "float16",
  BFloat16Storage: "bfloat16",
  LongStorage: "int64",
  IntStorage: "int32",
  ShortStorage: "int16",
  CharStorage: "int8",
  ByteStorage: "uint8",
  BoolStorage: "bool",
  UntypedStorage: "uint8",
};

/** `torch.<dtype>` → element dtype (aliases included). */
const TORCH_DTYPES: Readonly<Record<string, StateDtype>> = {
  float32: "float32",
  float: "float32",
  float64: "float64",
  double: "float64",
  float16: "float16",
  half: "float16",
  bfloat16: "bfloat16",
  int64: "int64",
  long: "int64",
  int32: "int32",
  int: "int32",
  int16: "int16",
  short: "int16",
  int8: "int8",
  uint8: "uint8",
  bool: "bool",
};

type Allowed =
  | { kind: "OrderedDict" }
  | { kind: "rebuild_tensor_v2" }
  | { kind: "rebuild_tensor_v3" }
  | { kind: "rebuild_parameter" }
  | { kind: "rebuild_parameter_with_state" }
  | { kind: "storage_type"; dtype: StateDtype; name: string }
  | { kind: "dtype"; dtype: StateDtype };

class AllowedGlobal {
  constructor(readonly what: Allowed, readonly qualified: string) {}
}

interface StorageRef {
  readonly dtype: StateDtype;
  readonly key: string;
  readonly numel: number;
}

class StorageValue {
  constructor(readonly ref: StorageRef) {}
}

class TensorValue {
  constructor(readonly tensor: StateTensor) {}
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

/**
 * Reads a state_dict saved by `torch.save(model.state_dict(), path)`.
 *
 * Non-contiguous tensors (a transposed view, a slice with a storage offset) are
 * copied to contiguous row-major order; tensors sharing a storage are read once
 * each. `torch.nn.Parameter` values become plain tensors. A big-endian archive
 * (`byteorder` = `big`) is byte-swapped.
 *
 * @param bytes The file's bytes.
 * @param source Name used in error messages (usually the path).
 * @returns Key → tensor, in the order of the pickled dict.
 * @throws {UnsafePickleError} If the pickle names any global outside the allow-list
 *   (`collections.OrderedDict`, `torch._utils._rebuild_tensor_v2` / `_v3`,
 *   `torch._utils._rebuild_parameter[_with_state]`, `torch.<Type>Storage`,
 *   `torch.UntypedStorage`, `torch.<dtype>`); it is never looked up or called.
 * @throws {SyntaxError} If the file is not a torch zip (a legacy pre-1.6 file gets its
 *   own message), the pickle is malformed, the top-level object is not a dict of tensors,
 *   or a tensor reaches past its storage.
 *
 * @example Usage
 * ```ts
 * import { readTorchZip } from "./torch_zip.ts";
 * const url = new URL("../../tests/testdata/weights/small.pth", import.meta.url);
 * const dict = readTorchZip(await Deno.readFile(url), "small.pth");
 * const w = dict.get("w32")!;
 * if (w.dtype !== "float32" || w.shape.join("x") !== "2x3") throw new Error("unexpected");
 * ```
 */
export function readTorchZip(bytes: Uint8Array, source: string): StateDict {
  if (!ZIP_MAGIC.every((b, i) => bytes[i] === b)) {
    if (bytes[0] === 0x80 && bytes.length > 2) {
      throw new SyntaxError(
        `Cannot read ${source}: legacy (pre-1.6, non-zip) torch.save format; ` +
          `re-save it with a PyTorch >= 1.6 torch.save (the default zip format) or as .safetensors`,
      );
    }
    throw new SyntaxError(`Cannot read ${source}: not a torch.save zip archive`);
  }
  const archive = openZip(bytes, source);
  const pickles = [...archive.entries.keys()].filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickles.length !== 1) {
    throw new SyntaxError(
      `Cannot read ${source}: expected one <prefix>/data.pkl in the archive, found ${pickles.length}`,
    );
  }
  const pickleName = pickles[0]!;
  const prefix = pickleName.slice(0, -"data.pkl".length);
  const order = archive.entries.has(`${prefix}byteorder`)
    ? archive.read(`${prefix}byteorder`)
    : undefined;
  const bigEndian = order !== undefined && new TextDecoder().decode(order).trim() === "big";
  const where = `${source}: ${pickleName}`;

  const decoded = new Map<string, StateTensor["data"]>();
  const storageData = (ref: StorageRef): StateTensor["data"] => {
    const cached = decoded.get(ref.key);
    if (cached !== undefined) return cached;
    const name = `${prefix}data/${ref.key}`;
    const raw = archive.entries.has(name) ? archive.read(name) : undefined;
    if (raw === undefined) {
      throw new SyntaxError(
        `Cannot read ${source}: storage file ${quote(name, 60)} is missing`,
      );
    }
    const size = DTYPE_BYTES[ref.dtype];
    if (raw.byteLength < ref.numel * size) {
      throw new SyntaxError(
        `Cannot read ${source}: storage ${quote(ref.key, 40)} holds ${raw.byteLength} bytes, ` +
          `expected ${ref.numel} ${ref.dtype} values (${ref.numel * size} bytes)`,
      );
    }
    const bytesLE = bigEndian ? swapBytes(raw, size) : raw;
    const data = decodeElements(bytesLE, ref.dtype, ref.numel);
    decoded.set(ref.key, data);
    return data;
  };

  let elements = 0;
  const budget = limits().maxTensorElements;
  /** Counts a tensor's elements against the limit, before it is built. */
  const claim = (count: number, shape: readonly number[]) => {
    elements += count;
    if (!Number.isSafeInteger(count) || elements > budget) {
      throw new RangeError(
        `Cannot read ${where}: a tensor of shape ${
          formatShape(shape)
        } takes the state_dict past ${budget} elements, the limit (${
          raiseHint("maxTensorElements")
        })`,
      );
    }
  };
  const root = unpickle(archive.read(pickleName), {
    global(module, name) {
      const what = allowedGlobal(module, name);
      if (what === undefined) {
        const qualified = escapeControl(`${module}.${name}`.slice(0, 100));
        throw new UnsafePickleError(
          `Cannot read ${source}: the pickle asks for ${qualified}, which is not allowed ` +
            `(only the names torch.save uses to rebuild tensors are; save model.state_dict(), ` +
            `not the model)`,
          qualified,
        );
      }
      return new AllowedGlobal(what, `${module}.${name}`);
    },
    persistentLoad(pid) {
      const items = pid instanceof PickleTuple ? pid.items : undefined;
      const type = items?.[1];
      if (
        items === undefined || items.length < 5 || items[0] !== "storage" ||
        !(type instanceof AllowedGlobal) || type.what.kind !== "storage_type" ||
        typeof items[2] !== "string" || typeof items[4] !== "number"
      ) {
        throw new SyntaxError(`Cannot read ${where}: unexpected persistent id`);
      }
      const dtype = type.what.dtype;
      return new StorageValue({ dtype, key: items[2], numel: items[4] });
    },
    call(callable, args) {
      if (!(callable instanceof AllowedGlobal)) {
        throw new SyntaxError(
          `Cannot read ${where}: the pickle calls something that is not a global`,
        );
      }
      switch (callable.what.kind) {
        case "OrderedDict": {
          const d = new PickleDict();
          const pairs = args[0];
          if (Array.isArray(pairs)) {
            for (const pair of pairs) {
              if (pair instanceof PickleTuple && pair.items.length === 2) {
                d.entries.set(pair.items[0], pair.items[1]);
              }
            }
          }
          return d;
        }
        case "rebuild_tensor_v2":
        case "rebuild_tensor_v3":
          return new TensorValue(
            rebuildTensor(args, callable.what.kind, storageData, where, claim),
          );
        case "rebuild_parameter":
        case "rebuild_parameter_with_state": {
          if (!(args[0] instanceof TensorValue)) {
            throw new SyntaxError(`Cannot read ${where}: a Parameter without a tensor`);
          }
          return args[0];
        }
        default:
          throw new SyntaxError(`Cannot read ${where}: the pickle calls ${callable.qualified}`);
      }
    },
    build(target) {
      // OrderedDict state (the state_dict's `_metadata` attribute) and Parameter
      // state carry no values; anything else is unexpected.
      if (target instanceof PickleDict || target instanceof TensorValue) return target;
      throw new SyntaxError(`Cannot read ${where}: BUILD on an unexpected object`);
    },
  }, where);

  if (!(root instanceof PickleDict)) {
    throw new SyntaxError(`Cannot read ${source}: the pickle does not hold a dict of tensors`);
  }
  const dict = new Map<string, StateTensor>();
  for (const [key, value] of root.entries) {
    if (typeof key !== "string") {
      throw new SyntaxError(`Cannot read ${source}: a state_dict key is not a string`);
    }
    if (!(value instanceof TensorValue)) {
      const hint = value instanceof PickleDict
        ? " (a checkpoint? save or pass its model state_dict)"
        : "";
      throw new SyntaxError(
        `Cannot read ${source}: entry ${quote(key, 60)} is not a tensor${hint}`,
      );
    }
    dict.set(key, value.tensor);
  }
  return dict;
}

function allowedGlobal(module: string, name: string): Allowed | undefined {
  if (module === "collections" && name === "OrderedDict") return { kind: "OrderedDict" };
  if (module === "torch._utils") {
    if (name === "_rebuild_tensor_v2") return { kind: "rebuild_tensor_v2" };
    if (name === "_rebuild_tensor_v3") return { kind: "rebuild_tensor_v3" };
    if (name === "_rebuild_parameter") return { kind: "rebuild_parameter" };
    if (name === "_rebuild_parameter_with_state") return { kind: "rebuild_parameter_with_state" };
    return undefined;
  }
  if (module === "torch" || module === "torch.storage") {
    const storage = Object.hasOwn(STORAGE_DTYPES, name) ? STORAGE_DTYPES[name] : undefined;
    if (storage !== undefined && (module === "torch" || name === "UntypedStorage")) {
      return { kind: "storage_type", dtype: storage, name };
    }
  }
  if (module === "torch" && Object.hasOwn(TORCH_DTYPES, name)) {
    return { kind: "dtype", dtype: TORCH_DTYPES[name]! };
  }
  return undefined;
}

function isIntTuple(value: unknown): value is PickleTuple {
  return value instanceof PickleTuple &&
    value.items.every((v) => typeof v === "number" && Number.isInteger(v) && v >= 0);
}

function rebuildTensor(
  args: readonly unknown[],
  kind: "rebuild_tensor_v2" | "rebuild_tensor_v3",
  storageData: (ref: StorageRef) => StateTensor["data"],
  where: string,
  claim: (count: number, shape: readonly number[]) => void,
): StateTensor {
  const [storage, offset, size, stride] = args;
  if (
    !(storage instanceof StorageValue) || typeof offset !== "number" || !isIntTuple(size) ||
    !isIntTuple(stride) || size.items.length !== stride.items.length
  ) {
    throw new SyntaxError(`Cannot read ${where}: malformed tensor record`);
  }
  let ref = storage.ref;
  if (kind === "rebuild_tensor_v3") {
    const dtype = args[6];
    if (!(dtype instanceof AllowedGlobal) || dtype.what.kind !== "dtype") {
      throw new SyntaxError(`Cannot read ${where}: tensor record without a dtype`);
    }
    const elementBytes = DTYPE_BYTES[dtype.what.dtype];
    ref = {
      dtype: dtype.what.dtype,
      key: ref.key,
      numel: Math.floor(ref.numel * DTYPE_BYTES[ref.dtype] / elementBytes),
    };
  }
  const shape = size.items as number[];
  const strides = stride.items as number[];
  const count = shapeSize(shape);
  // Before reading the storage or allocating: a stride-0 view of one value can declare 2^60 elements.
  claim(count, shape);
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(ref.numel)) {
    throw new SyntaxError(`Cannot read ${where}: malformed tensor record`);
  }
  const data = storageData(ref);
  if (count === 0) return { shape, dtype: ref.dtype, data: data.slice(0, 0) };
  let last = offset;
  for (let d = 0; d < shape.length; d++) last += (shape[d]! - 1) * strides[d]!;
  if (offset < 0 || last >= ref.numel) {
    throw new SyntaxError(
      `Cannot read ${where}: a tensor of shape ${formatShape(shape)} with offset ${offset} ` +
        `reaches past its storage of ${ref.numel} values`,
    );
  }
  let contiguous = true;
  for (let d = shape.length - 1, expect = 1; d >= 0; d--) {
    if (shape[d]! !== 1 && strides[d]! !== expect) contiguous = false;
    expect *= shape[d]!;
  }
  if (contiguous) return { shape, dtype: ref.dtype, data: data.slice(offset, offset + count) };
  const out = data.slice(0, count);
  const put = out as unknown as { [i: number]: number | bigint };
  const index = new Array<number>(shape.length).fill(0);
  let src = offset;
  for (let i = 0; i < count; i++) {
    put[i] = data[src]!;
    for (let d = shape.length - 1; d >= 0; d--) {
      index[d]!++;
      src += strides[d]!;
      if (index[d]! < shape[d]!) break;
      src -= shape[d]! * strides[d]!;
      index[d] = 0;
    }
  }
  return { shape, dtype: ref.dtype, data: out };
}

function swapBytes(raw: Uint8Array, size: number): Uint8Array {
  if (size === 1) return raw;
  const out = new Uint8Array(raw.length);
  for (let i = 0; i + size <= raw.length; i += size) {
    for (let j = 0; j < size; j++) out[i + j] = raw[i + size - 1 - j]!;
  }
  return out;
}
