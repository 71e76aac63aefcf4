/**
 * Consistency of the bundled PyTorch oracles (`data/models/<name>/oracle.json`,
 * written by `scripts/pytorch/export.py`): every number the other tests rely on
 * is checked against an independent relation in the same file or on disk.
 *
 * @module
 */
import * as ort from "onnxruntime-node";
import { assert, assertEquals, assertGreater, assertLessOrEqual } from "../_assert.ts";
import type { Oracle } from "../_bundled.ts";

const MODELS_DIR = new URL("../../data/models/", import.meta.url);
const EXPECTED_MODELS = ["effkan", "fastkan", "fastkan_op13", "mlp"];
const EXPECTED_FILES = [
  "model.onnx",
  "model.pth",
  "model.safetensors",
  "model_perturbed.pth",
  "model_perturbed.safetensors",
  "scaling.csv",
];

/** Float64 identities recomputed from float64 data: only rounding of a few operations. */
const FLOAT64_TOL = {
  /** Chain rule vs autograd through the composition, relative to the entry's scale over the points. */
  jacobian: 1e-9,
  /** (x - min) / range in normalized units (values in [0, 1]). */
  normalize: 1e-12,
  /** min + y_n * range, relative to max(|value|, range). */
  denormalize: 1e-9,
} as const;

/** The float32 model vs its float64 copy, in normalized output units (range 1). */
const FLOAT32_TOL = {
  outputs: 1e-5,
  /**
   * Central-difference steps in normalized input units; the best one is kept per
   * entry. No single float32 step fits all models: FastKAN's first LayerNorm over
   * the 4 inputs makes it steep and curved where the inputs are nearly equal
   * (normalized Jacobian entries up to ~35), needing h ~ 1e-4, while smooth
   * entries lose digits to rounding at that step.
   */
  fdSteps: [1e-2, 3e-3, 1e-3, 3e-4, 1e-4],
  /**
   * Float32 central differences vs the float64 autograd Jacobian, relative to
   * max(entry scale, 1). Measured worst case 1.4e-3 (FastKAN), 4e-5 (efficient-KAN, MLP).
   */
  jacobianFd: 5e-3,
} as const;

/** Every trainable tensor is moved by 0.01 * randn; the largest of ~10^4 draws stays below 0.1. */
const PERTURBATION = { scale: 0.01, maxAbs: 0.1 } as const;

/** Flattens a nested number list of the given shape, row-major; throws TypeError on any mismatch. */
function flatten(value: unknown, shape: readonly number[], label: string): Float64Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(size);
  let at = 0;
  const walk = (v: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new TypeError(`${label}${path} is not a finite number`);
      }
      out[at++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new TypeError(`${label}${path} is not a list of length ${shape[depth]}`);
    }
    v.forEach((item, i) => walk(item, depth + 1, `${path}[${i}]`));
  };
  walk(value, 0, "");
  return out;
}

async function readOracle(name: string): Promise<Oracle> {
  const text = await Deno.readTextFile(new URL(`${name}/oracle.json`, MODELS_DIR));
  return JSON.parse(text) as Oracle;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

const DTYPE_BYTES: Record<string, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/**
 * A small independent safetensors header reader: checks the length prefix, the
 * JSON, each entry's dtype, shape and byte size, and that the entries tile the
 * data section exactly (no gap, no overlap, nothing after the last one).
 */
function parseSafetensors(bytes: Uint8Array, label: string): Map<string, SafetensorsEntry> {
  assert(bytes.length >= 8, `${label}: shorter than the 8-byte length prefix`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  assert(
    8 + headerLength <= bytes.length,
    `${label}: header length ${headerLength} overruns the file`,
  );
  const header = JSON.parse(
    new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)),
  ) as Record<
    string,
    unknown
  >;
  const entries = new Map<string, SafetensorsEntry>();
  for (const [name, raw] of Object.entries(header)) {
    if (name === "__metadata__") {
      for (const v of Object.values(raw as Record<string, unknown>)) {
        assertEquals(typeof v, "string", `${label}: __metadata__ values must be strings`);
      }
      continue;
    }
    const info = raw as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const itemBytes = DTYPE_BYTES[info.dtype];
    assert(itemBytes !== undefined, `${label}: "${name}" has unknown dtype ${info.dtype}`);
    assert(info.shape.every((d) => Number.isInteger(d) && d >= 0), `${label}: "${name}" shape`);
    const [begin, end] = info.data_offsets;
    const count = info.shape.reduce((a, b) => a * b, 1);
    assertEquals(end - begin, count * itemBytes, `${label}: "${name}" byte size`);
    entries.set(name, { dtype: info.dtype, shape: info.shape, begin, end });
  }
  const sorted = [...entries.values()].sort((a, b) => a.begin - b.begin);
  let cursor = 0;
  for (const entry of sorted) {
    assertEquals(entry.begin, cursor, `${label}: tensors must tile the data section`);
    cursor = entry.end;
  }
  assertEquals(8 + headerLength + cursor, bytes.length, `${label}: data section length`);
  return entries;
}

function float32Values(bytes: Uint8Array, headerEnd: number, e: SafetensorsEntry): Float32Array {
  const start = bytes.byteOffset + headerEnd + e.begin;
  return new Float32Array(bytes.buffer.slice(start, start + e.end - e.begin));
}

async function modelNames(): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(MODELS_DIR)) {
    if (entry.isDirectory) names.push(entry.name);
  }
  return names.sort();
}

function dims(o: Oracle): { N: number; m: number; n: number } {
  return { N: o.points_physical.length, m: o.outputs.length, n: o.inputs.length };
}

Deno.test("bundled models: every expected model folder holds an oracle and its files", async () => {
  const names = await modelNames();
  for (const name of EXPECTED_MODELS) {
    assert(names.includes(name), `data/models/${name} is missing`);
  }
  for (const name of names) {
    const o = await readOracle(name);
    assertEquals(o.format, "partials-oracle/1");
    assertEquals(o.model, name);
    assertEquals(Object.keys(o.manifest.files).sort(), [...EXPECTED_FILES].sort());
    assertEquals(o.perturbed.files, ["model_perturbed.pth", "model_perturbed.safetensors"]);
  }
});

Deno.test("oracle.json: jacobian_physical equals the chain rule on jacobian_normalized", async (t) => {
  for (const name of await modelNames()) {
    await t.step(name, async () => {
      const o = await readOracle(name);
      const { N, m, n } = dims(o);
      const jn = flatten(o.jacobian_normalized, [N, m, n], "jacobian_normalized");
      const jp = flatten(o.jacobian_physical, [N, m, n], "jacobian_physical");
      for (let i = 0; i < m; i++) {
        const out = o.scaling.outputs[i]!;
        for (let j = 0; j < n; j++) {
          const inp = o.scaling.inputs[j]!;
          const factor = (out.max - out.min) / (inp.max - inp.min);
          let scale = 0;
          for (let k = 0; k < N; k++) scale = Math.max(scale, Math.abs(jp[(k * m + i) * n + j]!));
          assertGreater(scale, 0, `${name}: d${o.outputs[i]}/d${o.inputs[j]} is zero everywhere`);
          for (let k = 0; k < N; k++) {
            const at = (k * m + i) * n + j;
            const err = Math.abs(jp[at]! - jn[at]! * factor) / scale;
            assertLessOrEqual(err, FLOAT64_TOL.jacobian, `${name}: point ${k}, entry (${i}, ${j})`);
          }
        }
      }
    });
  }
});

Deno.test("oracle.json: points and outputs are consistent with the min-max scaling", async (t) => {
  for (const name of await modelNames()) {
    await t.step(name, async () => {
      const o = await readOracle(name);
      const { N, m, n } = dims(o);
      const pp = flatten(o.points_physical, [N, n], "points_physical");
      const pn = flatten(o.points_normalized, [N, n], "points_normalized");
      for (let k = 0; k < N; k++) {
        for (let j = 0; j < n; j++) {
          const { min, max } = o.scaling.inputs[j]!;
          const x = pp[k * n + j]!;
          assert(
            x >= min && x <= max,
            `${name}: point ${k}, ${o.inputs[j]} = ${x} outside [${min}, ${max}]`,
          );
          const err = Math.abs(pn[k * n + j]! - (x - min) / (max - min));
          assertLessOrEqual(err, FLOAT64_TOL.normalize, `${name}: point ${k}, input ${j}`);
        }
      }
      const blocks = [
        ["outputs", o.outputs_normalized, o.outputs_physical],
        ["perturbed", o.perturbed.outputs_normalized, o.perturbed.outputs_physical],
      ] as const;
      for (const [label, normalized, physical] of blocks) {
        const yn = flatten(normalized, [N, m], `${label} normalized`);
        const yp = flatten(physical, [N, m], `${label} physical`);
        for (let k = 0; k < N; k++) {
          for (let i = 0; i < m; i++) {
            const { min, max } = o.scaling.outputs[i]!;
            const expected = min + yn[k * m + i]! * (max - min);
            const err = Math.abs(yp[k * m + i]! - expected) /
              Math.max(Math.abs(expected), max - min);
            assertLessOrEqual(
              err,
              FLOAT64_TOL.denormalize,
              `${name} ${label}: point ${k}, output ${i}`,
            );
          }
        }
      }
    });
  }
});

Deno.test("oracle.json: the float32 model agrees with its float64 copy and with onnxruntime", async (t) => {
  for (const name of await modelNames()) {
    await t.step(name, async () => {
      const o = await readOracle(name);
      const { N, m, n } = dims(o);
      const y64 = flatten(o.outputs_normalized, [N, m], "outputs_normalized");
      const y32 = flatten(o.outputs_float32, [N, m], "outputs_float32");
      const session = await ort.InferenceSession.create(
        Deno.readFileSync(new URL(`${name}/model.onnx`, MODELS_DIR)),
      );
      try {
        const x = Float32Array.from(flatten(o.points_normalized, [N, n], "points_normalized"));
        const result = await session.run({ x: new ort.Tensor("float32", x, [N, n]) });
        const yOrt = result["y"]!.data as Float32Array;
        assertEquals(yOrt.length, N * m);
        for (let at = 0; at < N * m; at++) {
          const where = `${name}: point ${Math.floor(at / m)}, output ${at % m}`;
          assertLessOrEqual(Math.abs(y32[at]! - y64[at]!), FLOAT32_TOL.outputs, `torch ${where}`);
          assertLessOrEqual(Math.abs(yOrt[at]! - y64[at]!), FLOAT32_TOL.outputs, `ort ${where}`);
        }
      } finally {
        await session.release();
      }
    });
  }
});

Deno.test("oracle.json: jacobian_normalized matches central differences of model.onnx (onnxruntime)", async (t) => {
  const steps = FLOAT32_TOL.fdSteps;
  const S = steps.length;
  for (const name of await modelNames()) {
    await t.step(name, async () => {
      const o = await readOracle(name);
      const { N, m, n } = dims(o);
      const x = flatten(o.points_normalized, [N, n], "points_normalized");
      const jn = flatten(o.jacobian_normalized, [N, m, n], "jacobian_normalized");
      // One batch holding, for every point k, input j and step q, the rows x ± h_q e_j.
      const row = (k: number, j: number, q: number, sign: number) =>
        ((k * n + j) * S + q) * 2 + sign;
      const shifted = new Float32Array(N * n * S * 2 * n);
      for (let k = 0; k < N; k++) {
        for (let j = 0; j < n; j++) {
          for (let q = 0; q < S; q++) {
            for (let sign = 0; sign < 2; sign++) {
              const at = row(k, j, q, sign) * n;
              for (let c = 0; c < n; c++) shifted[at + c] = x[k * n + c]!;
              shifted[at + j] = x[k * n + j]! + (sign === 0 ? steps[q]! : -steps[q]!);
            }
          }
        }
      }
      const session = await ort.InferenceSession.create(
        Deno.readFileSync(new URL(`${name}/model.onnx`, MODELS_DIR)),
      );
      try {
        const result = await session.run({
          x: new ort.Tensor("float32", shifted, [shifted.length / n, n]),
        });
        const y = result["y"]!.data as Float32Array;
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let scale = 0;
            for (let k = 0; k < N; k++) scale = Math.max(scale, Math.abs(jn[(k * m + i) * n + j]!));
            for (let k = 0; k < N; k++) {
              const exact = jn[(k * m + i) * n + j]!;
              let best = Infinity;
              for (let q = 0; q < S; q++) {
                const plus = row(k, j, q, 0);
                const minus = row(k, j, q, 1);
                // x ± h is rounded to float32: divide by the step actually taken.
                const step = shifted[plus * n + j]! - shifted[minus * n + j]!;
                const fd = (y[plus * m + i]! - y[minus * m + i]!) / step;
                best = Math.min(best, Math.abs(fd - exact) / Math.max(scale, 1));
              }
              assertLessOrEqual(
                best,
                FLOAT32_TOL.jacobianFd,
                `${name}: point ${k}, entry (${i}, ${j})`,
              );
            }
          }
        }
      } finally {
        await session.release();
      }
    });
  }
});

Deno.test("manifest: sha256 of every listed file matches the file on disk", async (t) => {
  for (const name of await modelNames()) {
    await t.step(name, async () => {
      const o = await readOracle(name);
      for (const [file, expected] of Object.entries(o.manifest.files)) {
        const bytes = await Deno.readFile(new URL(`${name}/${file}`, MODELS_DIR));
        assertEquals(await sha256Hex(bytes), expected, `${name}/${file}`);
      }
    });
  }
});

Deno.test("model.safetensors: well-formed header; the perturbed copy moves trainable tensors only", async (t) => {
  for (const name of await modelNames()) {
    await t.step(name, async () => {
      const base = await Deno.readFile(new URL(`${name}/model.safetensors`, MODELS_DIR));
      const pert = await Deno.readFile(new URL(`${name}/model_perturbed.safetensors`, MODELS_DIR));
      const a = parseSafetensors(base, `${name}/model.safetensors`);
      const b = parseSafetensors(pert, `${name}/model_perturbed.safetensors`);
      assertEquals([...a.keys()].sort(), [...b.keys()].sort());
      const endA = 8 + Number(new DataView(base.buffer).getBigUint64(0, true));
      const endB = 8 + Number(new DataView(pert.buffer).getBigUint64(0, true));
      for (const [key, ea] of a) {
        const eb = b.get(key)!;
        assertEquals([ea.dtype, ea.shape], [eb.dtype, eb.shape], key);
        assertEquals(ea.dtype, "F32", key);
        const va = float32Values(base, endA, ea);
        const vb = float32Values(pert, endB, eb);
        let maxAbs = 0;
        for (let i = 0; i < va.length; i++) maxAbs = Math.max(maxAbs, Math.abs(vb[i]! - va[i]!));
        if (key.endsWith("grid")) {
          assertEquals(maxAbs, 0, `${name}: ${key} is a fixed grid and must not move`);
        } else {
          assertGreater(maxAbs, PERTURBATION.scale / 100, `${name}: ${key} was not perturbed`);
          assertLessOrEqual(maxAbs, PERTURBATION.maxAbs, `${name}: ${key} moved too far`);
        }
      }
    });
  }
});
