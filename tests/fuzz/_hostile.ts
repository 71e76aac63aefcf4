/**
 * The hand-written hostile corpus: files built to run code, exhaust memory or
 * time, escape a folder, or paint the terminal. Every payload that would run
 * code creates `marker` if it ever ran. Built in memory (no Python needed).
 *
 * @module
 */
import onnxProto from "onnx-proto";
import { deflateSync } from "fflate";

/** The kinds of file the toolkit reads, each with the command path that reads it. */
export type FileKind = "onnx" | "pth" | "safetensors" | "inputs" | "scaling" | "equations";

/** One hostile file. */
export interface HostileFile {
  /** Short name, also the file name (with the kind's extension). */
  readonly name: string;
  readonly kind: FileKind;
  readonly bytes: Uint8Array;
  /** What a correct toolkit does with it: refuse it, or read it (perhaps with a warning). */
  readonly expect: "refuse" | "accept";
  /** A phrase the refusal must contain, when it is specific. */
  readonly says?: string;
  /** The command variant to run it with (odd: `--engine tf` / `jacobian`). @default {0} */
  readonly variant?: number;
}

const text = (s: string) => new TextEncoder().encode(s);
const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const concat = (...parts: (Uint8Array | number[])[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const u16 = (v: number) => [v & 0xff, (v >>> 8) & 0xff];
const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const u64 = (v: bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return [...b];
};

/**
 * Makes hostile files of one kind, named `<prefix>_<name>`, to be refused
 * (with `says` in the message) unless `expect` is `"accept"`.
 */
function maker(kind: FileKind, prefix: string) {
  return (
    name: string,
    content: Uint8Array | string,
    says?: string,
    expect: "refuse" | "accept" = "refuse",
    variant = 0,
  ): HostileFile => ({
    name: `${prefix}_${name}`,
    kind,
    bytes: typeof content === "string" ? text(content) : content,
    expect,
    ...(says ? { says } : {}),
    ...(variant ? { variant } : {}),
  });
}

// --- Pickles, assembled from opcodes -------------------------------------------------------

/** Pickle opcodes used here. */
const P = {
  proto: (n: number) => [0x80, n],
  global: (module: string, name: string) => [0x63, ...latin1(`${module}\n${name}\n`)],
  str: (s: string) => {
    const b = text(s);
    return [0x58, ...u32(b.length), ...b];
  },
  int: (v: number) => [0x4a, ...u32(v >>> 0)],
  mark: [0x28],
  tuple: [0x74],
  tuple1: [0x85],
  tuple2: [0x86],
  list: [0x6c],
  emptyDict: [0x7d],
  emptyTuple: [0x29],
  setitem: [0x73],
  reduce: [0x52],
  newobj: [0x81],
  obj: [0x6f],
  build: [0x62],
  binpersid: [0x51],
  stackGlobal: [0x93],
  newFalse: [0x89],
  stop: [0x2e],
};

/** `{ "w": callable(arg) }`: a state_dict whose one value runs `module.name(arg)`. */
function callingPickle(module: string, name: string, arg: number[]): Uint8Array {
  return concat(
    P.proto(2),
    P.emptyDict,
    P.str("w"),
    P.global(module, name),
    arg,
    P.tuple1,
    P.reduce,
    P.setitem,
    P.stop,
  );
}

/** A torch.save zip around a pickle (and storages). */
export function torchZip(
  pickle: Uint8Array,
  storages: Record<string, Uint8Array> = {},
): Uint8Array {
  return writeZip([
    { name: "archive/data.pkl", data: pickle },
    { name: "archive/version", data: text("3\n") },
    ...Object.entries(storages).map(([key, data]) => ({ name: `archive/data/${key}`, data })),
  ]);
}

function hostilePickles(marker: string): HostileFile[] {
  const shell = P.str(`touch ${marker}`);
  const python = P.str(`open(${JSON.stringify(marker)}, "w").close()`);
  const argv = [...P.mark, ...P.str("touch"), ...P.str(marker), ...P.list];
  const pickles: [string, Uint8Array][] = [
    ["os_system", callingPickle("os", "system", shell)],
    ["posix_system", callingPickle("posix", "system", shell)],
    ["nt_system", callingPickle("nt", "system", shell)],
    ["builtins_eval", callingPickle("builtins", "eval", python)],
    ["builtins_exec", callingPickle("builtins", "exec", python)],
    ["py2_builtin_eval", callingPickle("__builtin__", "eval", python)],
    ["subprocess_popen", callingPickle("subprocess", "Popen", argv)],
    ["subprocess_check_output", callingPickle("subprocess", "check_output", argv)],
    ["torch_load_from_bytes", callingPickle("torch.storage", "_load_from_bytes", P.str("x"))],
    ["torch_serialization_load", callingPickle("torch.serialization", "load", P.str(marker))],
    ["torch_jit_load", callingPickle("torch.jit", "load", P.str(marker))],
    [
      "torch_utils_numpy",
      callingPickle("torch._utils", "_rebuild_device_tensor_from_numpy", shell),
    ],
    [
      "stack_global_os_system",
      concat(
        P.proto(4),
        P.emptyDict,
        P.str("w"),
        P.str("os"),
        P.str("system"),
        P.stackGlobal,
        shell,
        P.tuple1,
        P.reduce,
        P.setitem,
        P.stop,
      ),
    ],
    [
      "inst_os_system",
      concat(P.proto(0), P.mark, shell, [0x69], latin1("os\nsystem\n"), P.stop),
    ],
    ["obj_os_system", concat(P.proto(1), P.mark, P.global("os", "system"), shell, P.obj, P.stop)],
    [
      "newobj_popen",
      concat(P.proto(2), P.global("subprocess", "Popen"), argv, P.tuple1, P.newobj, P.stop),
    ],
    [
      "getattr_import",
      concat(
        P.proto(2),
        P.global("builtins", "getattr"),
        P.global("builtins", "__import__"),
        P.str("os"),
        P.tuple1,
        P.reduce,
        P.str("system"),
        P.tuple2,
        P.reduce,
        shell,
        P.tuple1,
        P.reduce,
        P.stop,
      ),
    ],
    ["copyreg_reconstructor", callingPickle("copyreg", "_reconstructor", shell)],
    ["pickle_loads", callingPickle("pickle", "loads", P.str("x"))],
    [
      "build_setstate",
      concat(
        P.proto(2),
        P.global("collections", "OrderedDict"),
        P.emptyTuple,
        P.reduce,
        P.emptyDict,
        P.str("__setstate__"),
        P.global("os", "system"),
        P.setitem,
        P.build,
        P.stop,
      ),
    ],
  ];
  return pickles.map(([name, pickle]) => ({
    name: `pickle_${name}`,
    kind: "pth" as const,
    bytes: torchZip(pickle),
    expect: "refuse" as const,
  }));
}

/** A state_dict `{ "w": tensor }` whose tensor record has the given size and stride. */
function tensorPickle(size: number[], stride: number[], storageNumel: number): Uint8Array {
  const ints = (values: number[]) => concat(P.mark, ...values.map(P.int), P.tuple);
  return concat(
    P.proto(2),
    P.emptyDict,
    P.str("w"),
    P.global("torch._utils", "_rebuild_tensor_v2"),
    P.mark,
    concat(
      P.mark,
      P.str("storage"),
      P.global("torch", "FloatStorage"),
      P.str("0"),
      P.str("cpu"),
      P.int(storageNumel),
      P.tuple,
    ),
    P.binpersid,
    P.int(0),
    ints(size),
    ints(stride),
    P.newFalse,
    P.global("collections", "OrderedDict"),
    P.emptyTuple,
    P.reduce,
    P.tuple,
    P.reduce,
    P.setitem,
    P.stop,
  );
}

// --- Zip archives, written by hand to control every field ------------------------------------

interface ZipSpec {
  readonly name: string;
  readonly data: Uint8Array;
  /** 0 stored (default), 8 deflated (data is then the raw deflate stream). */
  readonly method?: number;
  /** Declared uncompressed size (default: the data's length when stored). */
  readonly size?: number;
}

/** A zip archive; `options.sharedOffset` points every central entry at the first local header. */
export function writeZip(
  entries: readonly ZipSpec[],
  options: { sharedOffset?: boolean; zip64Count?: bigint } = {},
): Uint8Array {
  const locals: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = text(e.name);
    const method = e.method ?? 0;
    const size = e.size ?? e.data.length;
    const header = concat(
      u32(0x04034b50),
      u16(20),
      u16(0x800),
      u16(method),
      u16(0),
      u16(0),
      u32(0),
      u32(e.data.length),
      u32(size),
      u16(name.length),
      u16(0),
      name,
    );
    const at = options.sharedOffset ? 0 : offset;
    central.push(
      concat(
        u32(0x02014b50),
        u16(20),
        u16(20),
        u16(0x800),
        u16(method),
        u16(0),
        u16(0),
        u32(0),
        u32(e.data.length),
        u32(size),
        u16(name.length),
        u16(0),
        u16(0),
        u16(0),
        u16(0),
        u32(0),
        u32(at),
        name,
      ),
    );
    locals.push(header, e.data);
    offset += header.length + e.data.length;
  }
  const cd = concat(...central);
  const count = options.zip64Count === undefined ? entries.length : 0xffff;
  const tail: Uint8Array[] = [];
  if (options.zip64Count !== undefined) {
    const record = offset + cd.length;
    tail.push(
      concat(
        u32(0x06064b50),
        u64(44n),
        u16(45),
        u16(45),
        u32(0),
        u32(0),
        u64(options.zip64Count),
        u64(options.zip64Count),
        u64(BigInt(cd.length)),
        u64(BigInt(offset)),
      ),
      concat(u32(0x07064b50), u32(0), u64(BigInt(record)), u32(1)),
    );
  }
  const eocd = concat(
    u32(0x06054b50),
    u16(0),
    u16(0),
    u16(count),
    u16(count),
    u32(options.zip64Count === undefined ? cd.length : 0xffffffff),
    u32(options.zip64Count === undefined ? offset : 0xffffffff),
    u16(0),
  );
  return concat(...locals, cd, ...tail, eocd);
}

function hostileZips(): HostileFile[] {
  const pickle = tensorPickle([1], [1], 1);
  const one = new Uint8Array(4);
  const zeros = deflateSync(new Uint8Array(16 * 1024 * 1024), { level: 9 });
  const pth = maker("pth", "zip");
  return [
    pth(
      "dotdot_name",
      writeZip([
        { name: "archive/data.pkl", data: pickle },
        { name: "../../evil/data.pkl", data: pickle },
        { name: "archive/data/0", data: one },
      ]),
      "outside the archive",
    ),
    pth(
      "dotdot_inner",
      writeZip([{ name: "archive/../../x/data.pkl", data: pickle }]),
      "outside the archive",
    ),
    pth("absolute_name", writeZip([{ name: "/etc/passwd", data: pickle }]), "outside"),
    pth(
      "zip64_billions",
      writeZip([{ name: "archive/data.pkl", data: pickle }], { zip64Count: 2_800_000_000n }),
      "entries",
    ),
    pth(
      "bomb_declared_1gib",
      writeZip([{ name: "archive/data.pkl", data: zeros, method: 8, size: 2 ** 31 - 1 }]),
      "uncompressed",
    ),
    pth(
      "bomb_overlapping",
      writeZip(
        ["archive/data.pkl", "archive/data/0", "archive/data/1"].map((name) => ({
          name,
          data: zeros,
          method: 8,
          size: 300_000_000,
        })),
        { sharedOffset: true },
      ),
      "overlap",
    ),
    pth(
      "bomb_lying_size",
      writeZip([{ name: "archive/data.pkl", data: zeros, method: 8, size: 1000 }]),
      "declared",
    ),
    pth(
      "stride0_2e60",
      torchZip(tensorPickle([2 ** 20, 2 ** 20, 2 ** 20], [0, 0, 0], 1), { "0": one }),
      "limit",
    ),
    pth(
      "stride_past_storage",
      torchZip(tensorPickle([4, 4], [4, 1], 2), { "0": new Uint8Array(8) }),
      "past its storage",
    ),
    pth("truncated_central", writeZip([{ name: "archive/data.pkl", data: pickle }]).slice(0, -30)),
    pth("not_a_zip", text("PK\u0003\u0004 and then nothing")),
  ];
}

// --- Safetensors -----------------------------------------------------------------------------

function safetensors(header: string | Uint8Array, data = new Uint8Array(0), length?: bigint) {
  const h = typeof header === "string" ? text(header) : header;
  return concat(u64(length ?? BigInt(h.length)), h, data);
}

function hostileSafetensors(): HostileFile[] {
  const st = maker("safetensors", "st");
  const f32 = (offsets: [number, number], shape: number[]) => ({
    dtype: "F32",
    shape,
    data_offsets: offsets,
  });
  return [
    st("header_2e63", safetensors("{}", new Uint8Array(0), 2n ** 63n), "header length"),
    st("header_past_end", safetensors("{}", new Uint8Array(0), 1000n), "header length"),
    st(
      "overlapping",
      safetensors(
        JSON.stringify({ a: f32([0, 16], [4]), b: f32([8, 24], [4]) }),
        new Uint8Array(24),
      ),
      "overlap",
    ),
    st(
      "huge_shape",
      safetensors(JSON.stringify({ a: f32([0, 16], [1e9, 1e9]) }), new Uint8Array(16)),
    ),
    st(
      "deep_json",
      safetensors(`{"a":${"[".repeat(100_000)}${"]".repeat(100_000)}}`),
    ),
    st("not_utf8", safetensors(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))),
    st(
      "escape_in_name",
      safetensors(
        JSON.stringify({
          "\u001b[31mred\u001b[0m": { dtype: "X9", shape: [1], data_offsets: [0, 4] },
        }),
        new Uint8Array(4),
      ),
    ),
    st(
      "float_offsets",
      safetensors(
        JSON.stringify({ a: f32([0.5, 4.5] as [number, number], [1]) }),
        new Uint8Array(8),
      ),
    ),
  ];
}

// --- ONNX ------------------------------------------------------------------------------------

const FLOAT = 1, INT64 = 7;

function valueInfo(name: string, dims: (number | string)[], elemType = FLOAT) {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: {
          dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}

function int64Tensor(name: string, values: number[]) {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(8 * i, BigInt(v), true));
  return { name, dims: [values.length], dataType: INT64, rawData: raw };
}

function onnxModel(
  nodes: onnxProto.onnx.INodeProto[],
  options: {
    inputs?: onnxProto.onnx.IValueInfoProto[];
    outputs?: onnxProto.onnx.IValueInfoProto[];
    initializers?: onnxProto.onnx.ITensorProto[];
  } = {},
): Uint8Array {
  return onnxProto.onnx.ModelProto.encode({
    irVersion: 8,
    producerName: "hostile",
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      name: "g",
      node: nodes,
      input: options.inputs ?? [valueInfo("x", ["N", 4])],
      output: options.outputs ?? [valueInfo("y", ["N", 4])],
      initializer: options.initializers ?? [],
    },
  }).finish();
}

function nestedIf(depth: number): onnxProto.onnx.INodeProto {
  let graph: onnxProto.onnx.IGraphProto = { name: "leaf", node: [] };
  for (let i = 0; i < depth; i++) {
    graph = {
      name: `g${i}`,
      node: [{
        opType: "If",
        input: ["c"],
        output: ["o"],
        attribute: [{ name: "then_branch", type: 5, g: graph }],
      }],
    };
  }
  return {
    opType: "If",
    input: ["c"],
    output: ["y"],
    attribute: [{ name: "then_branch", type: 5, g: graph }],
  };
}

function hostileOnnx(): HostileFile[] {
  const onnx = maker("onnx", "onnx");
  const constantOfShape = (size: number) =>
    onnxModel(
      [
        { opType: "ConstantOfShape", input: ["shape"], output: ["big"], name: "cos" },
        {
          opType: "ReduceSum",
          input: ["big"],
          output: ["s"],
          name: "sum",
          attribute: [{ name: "keepdims", type: 2, i: 0 }],
        },
        { opType: "Add", input: ["x", "s"], output: ["y"], name: "add" },
      ],
      { initializers: [int64Tensor("shape", [size])] },
    );
  return [
    onnx(
      "cycle",
      onnxModel([
        { opType: "Add", input: ["x", "b"], output: ["a"], name: "first" },
        { opType: "Relu", input: ["a"], output: ["b"], name: "second" },
        { opType: "Identity", input: ["a"], output: ["y"], name: "out" },
      ]),
      "cycle",
    ),
    onnx(
      "missing_initializer",
      onnxModel([
        { opType: "Add", input: ["x", "layers.0.base_linear.bias"], output: ["y"], name: "add" },
      ]),
      "layers.0.base_linear.bias",
    ),
    onnx("constant_of_shape_1e9", constantOfShape(1e9), "limit"),
    onnx("constant_of_shape_1e10", constantOfShape(1e10), "limit"),
    onnx(
      "width_1e9",
      onnxModel([{ opType: "Identity", input: ["x"], output: ["y"], name: "id" }], {
        inputs: [valueInfo("x", ["N", 1e9])],
        outputs: [valueInfo("y", ["N", 1e9])],
      }),
      "limit",
    ),
    onnx(
      "no_inputs",
      onnxModel([{ opType: "Identity", input: ["x"], output: ["y"], name: "id" }], { inputs: [] }),
    ),
    onnx(
      "produced_twice",
      onnxModel([
        { opType: "Relu", input: ["x"], output: ["y"], name: "one" },
        { opType: "Neg", input: ["x"], output: ["y"], name: "two" },
      ]),
      "already defined",
    ),
    onnx(
      "initializer_1e9_dims",
      onnxModel([{ opType: "Add", input: ["x", "w"], output: ["y"], name: "add" }], {
        initializers: [{ name: "w", dims: [1e9], dataType: FLOAT, rawData: new Uint8Array(4) }],
      }),
    ),
    onnx(
      "expand_1e10",
      onnxModel([{ opType: "Expand", input: ["x", "shape"], output: ["y"], name: "expand" }], {
        initializers: [int64Tensor("shape", [100_000, 100_000])],
      }),
      "limit",
    ),
    onnx(
      "tile_1e10",
      onnxModel([{ opType: "Tile", input: ["x", "r"], output: ["y"], name: "tile" }], {
        initializers: [int64Tensor("r", [100_000, 100_000])],
      }),
      "limit",
    ),
    onnx(
      "range_1e12",
      onnxModel(
        [
          { opType: "Range", input: ["start", "limit", "delta"], output: ["r"], name: "range" },
          { opType: "ReduceSum", input: ["r"], output: ["s"], name: "sum" },
          { opType: "Add", input: ["x", "s"], output: ["y"], name: "add" },
        ],
        {
          initializers: [
            { name: "start", dims: [], dataType: FLOAT, floatData: [0] },
            { name: "limit", dims: [], dataType: FLOAT, floatData: [1e12] },
            { name: "delta", dims: [], dataType: FLOAT, floatData: [1] },
          ],
        },
      ),
      "limit",
    ),
    onnx(
      "dropout_training",
      onnxModel([{
        opType: "Dropout",
        input: ["x", "ratio", "train"],
        output: ["y"],
        name: "drop",
      }], {
        initializers: [
          { name: "ratio", dims: [], dataType: FLOAT, floatData: [0.5] },
          { name: "train", dims: [], dataType: 9, int32Data: [1] },
        ],
      }),
      "training_mode is true",
    ),
    onnx(
      "nested_if_2000",
      onnxModel([nestedIf(2000)], {
        initializers: [{ name: "c", dims: [], dataType: 9, int32Data: [1] }],
      }),
    ),
    onnx(
      "batchnorm_training",
      onnxModel(
        [{
          opType: "BatchNormalization",
          input: ["x", "s", "b", "m", "v"],
          output: ["y"],
          name: "bn",
          attribute: [{ name: "training_mode", type: 2, i: 1 }],
        }],
        {
          initializers: ["s", "b", "m", "v"].map((name) => ({
            name,
            dims: [4],
            dataType: FLOAT,
            floatData: [1, 1, 1, 1],
          })),
        },
      ),
      "training_mode",
    ),
    onnx(
      "unknown_op",
      onnxModel([{
        opType: "\u001b[2JDoEvil",
        domain: "evil.ops",
        input: ["x"],
        output: ["y"],
        name: "evil",
      }]),
    ),
    onnx("garbage", text("\u0008\u00ff\u00ff\u00ff\u00ff\u000f not protobuf")),
  ];
}

// --- CSV, scaling and equations --------------------------------------------------------------

function hostileText(): HostileFile[] {
  const inputs = maker("inputs", "csv");
  const row = "1.0,1.5,2.0,1.2\n";
  const wide = (n: number) =>
    Array.from({ length: n }, (_, i) => `x${i + 1}`).join(",") + "\n" +
    Array.from({ length: n }, () => "1").join(",") + "\n";
  const scaling = maker("scaling", "scaling");
  const rows = (pairs: [string, number | string, number | string][]) =>
    "Variable,Min,Max\n" + pairs.map((p) => p.join(",")).join("\n") + "\n";
  const seedRows: [string, number, number][] = [
    ["x1", 0.5, 2.5],
    ["x2", 0.5, 2.5],
    ["x3", 0.5, 2.5],
    ["x4", 0.5, 2.5],
    ["f1", 0, 10],
    ["f2", 0, 30],
    ["f3", 0, 5],
    ["f4", 0, 1500],
  ];
  const equation = maker("equations", "eq");
  const equations = (name: string, f1: string, says?: string) =>
    equation(
      name,
      JSON.stringify({
        inputs: ["x1", "x2", "x3", "x4"],
        outputs: { f1, f2: "x2", f3: "x3", f4: "x4" },
      }),
      says,
    );
  return [
    inputs("columns_1e6", wide(1_000_000), "limit"),
    inputs("columns_1e5", wide(100_000), undefined, "accept"),
    inputs("semicolons", "x1;x2;x3;x4\n1.0;1.5;2.0;1.2\n", undefined, "accept"),
    inputs("tabs", "x1\tx2\tx3\tx4\n1.0\t1.5\t2.0\t1.2\n", undefined, "accept"),
    inputs("decimal_comma", "x1;x2;x3;x4\n1,0;1,5;2,0;1,2\n", "decimal comma"),
    inputs("escape_header", "x1,x2,x3,\u001b[31mx4\u001b]0;pwned\u0007\n" + row),
    inputs("escape_cell", "x1,x2,x3,x4\n1,2,3,\u001b[2J\u001b[31m4\n"),
    inputs("overflow_cell", "x1,x2,x3,x4\n1e309,1,1,1\n", "float64"),
    inputs("cell_200kb", `x1,x2,x3,x4\n1,2,3,${"9".repeat(200_000)}x\n`),
    inputs("nul_bytes", "x1,x2,x3,x4\n1,2,3\u0000,4\n"),
    inputs("duplicate_header", "x1,x1,x3,x4\n" + row, "twice"),
    inputs("unterminated_quote", 'x1,x2,x3,x4\n1,2,"3,4\n'),
    inputs("header_only", "x1,x2,x3,x4\n"),
    inputs("empty", ""),
    scaling(
      "overflow_1e308",
      rows([["x1", -1e308, 1e308], ...seedRows.slice(1)]),
      "overflows",
    ),
    {
      name: "scaling_std_5e-324",
      kind: "scaling",
      bytes: text(JSON.stringify({
        inputs: seedRows.slice(0, 4).map(([name]) => ({
          name,
          kind: "zscore",
          mean: 1,
          std: 5e-324,
        })),
        outputs: seedRows.slice(4).map(([name]) => ({ name, kind: "identity" })),
      })),
      expect: "refuse",
      says: "overflows",
    },
    scaling("escape_name", rows([["\u001b[31mx1", 0.5, 2.5], ...seedRows.slice(1)])),
    scaling("million_rows", "Variable,Min,Max\n" + "v,0,1\n".repeat(1_000_000)),
    scaling(
      "no_names_swapped",
      "Min,Max\n0,10\n0.5,2.5\n0.5,2.5\n0.5,2.5\n0.5,2.5\n0,30\n0,5\n0,1500\n",
      undefined,
      "accept",
    ),
    scaling("semicolons", rows(seedRows).replaceAll(",", ";"), undefined, "accept"),
    equations("evaluate", 'evaluate("2+2")', "evaluate"),
    equations("import", "import({}, {override: true})", "import"),
    equations("create_unit", 'createUnit("foo")', "createUnit"),
    equations("parse", 'parse("x1")', "parse"),
    equations("simplify", 'simplify("x1")', "simplify"),
    equations("assignment", "x1 = 3", "assignment"),
    equations("function_definition", "f(x) = x^2", "function definition"),
    equations("ones_product", "x1*exp(x4)ones(3000,3000)", "ones"),
    equations("range_sum", "x1 + 0*sum(range(1, 3e8))", "sum"),
    equations("ones_sum", "sum(ones(30000,30000))", "sum"),
    equations("matrix", "[x1, x2]", "matrix"),
    equations("object", "{a: x1}", "object"),
    equations("accessor", 'x1["constructor"]', "property access"),
    equations("string", '"abc"', "not a number"),
    equations("conditional", "x1 > 1 ? x1 : x2", "conditional"),
    equations("deep_nesting", "(".repeat(10_000) + "x1" + ")".repeat(10_000), "limit"),
    equations("unary_chain", "-".repeat(9_000) + "x1"),
    equations("long", Array(5_000).fill("x1").join("+"), "limit"),
    equations("product_of_600", Array(600).fill("x1").join("*"), "limit"),
    equations("overflow", "1e400 * x1", "float64"),
    equations("escape", "x1\u001b[31m + \u0007x2"),
    equations("factorial", "x1!", "operator"),
    equations("unknown_symbol", "x1 + cm", "not an input"),
  ];
}

/**
 * The hostile corpus.
 *
 * @param marker The file a payload that ran would create.
 */
export function hostileCorpus(marker: string): HostileFile[] {
  return [
    ...hostilePickles(marker),
    ...hostileZips(),
    ...hostileSafetensors(),
    ...hostileOnnx(),
    ...hostileText(),
  ];
}
