/**
 * Routes the WebAssembly backend's matrix products to its fast kernel.
 *
 * tfjs-backend-wasm 4.22 multiplies with XNNPACK only when neither operand is
 * transposed and neither has a batch; every other product (`transposeA`,
 * `transposeB`, a batch of matrices) runs a plain loop about ten times slower
 * (6400×100 by 100×100: 3.7 ms against 44 ms with `transposeB`, 51 ms as a
 * batch of 4 × 1600 rows). tfjs's own gradients of a product are transposed
 * products, and a forward-mode tangent is a batch of rows times a weight, so a
 * refit or a Jacobian spends most of its time in that loop.
 *
 * The wrapper registered here in place of the backend's `BatchMatMul` kernel
 * gives the fast kernel what it takes: transposed operands are transposed
 * explicitly first (one copy), and when the second operand has no batch the
 * first one's batch is folded into its rows (a reshape, no copy). Products of
 * two batches of matrices keep the original kernel. Results are the same
 * products; their float32 rounding may differ in the last bits.
 *
 * @module
 */
import {
  getKernel,
  type KernelConfig,
  type KernelFunc,
  registerKernel,
  type TensorInfo,
  unregisterKernel,
} from "@tensorflow/tfjs";

interface WasmBackendLike {
  disposeData(dataId: object): boolean;
}

let installed = false;

/**
 * Replaces the wasm backend's `BatchMatMul` kernel by the wrapper (once; call
 * after the backend is registered). Without that backend, does nothing.
 *
 * @returns Whether the wrapper is in place.
 */
export function installWasmMatMul(): boolean {
  if (installed) return true;
  const original = getKernel("BatchMatMul", "wasm");
  const transposeKernel = getKernel("Transpose", "wasm");
  const reshapeKernel = getKernel("Reshape", "wasm");
  if (!original || !transposeKernel || !reshapeKernel) return false;
  const product = original.kernelFunc;
  const transpose = transposeKernel.kernelFunc;
  const reshape = reshapeKernel.kernelFunc;
  const kernelFunc: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args;
    const a = inputs["a"] as TensorInfo;
    const b = inputs["b"] as TensorInfo;
    const transposeA = Boolean(attrs?.["transposeA"]);
    const transposeB = Boolean(attrs?.["transposeB"]);
    const batchA = size(a.shape.slice(0, -2));
    const batchB = size(b.shape.slice(0, -2));
    if (batchB !== 1 || a.shape.length < 2 || b.shape.length < 2 || a.dtype !== "float32") {
      return product(args);
    }
    const wasm = backend as unknown as WasmBackendLike;
    const temporary: TensorInfo[] = [];
    const keep = (t: TensorInfo) => {
      temporary.push(t);
      return t;
    };
    const swapLast = (t: TensorInfo) => {
      const perm = t.shape.map((_, i) => i);
      const r = perm.length;
      [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
      return keep(transpose({ inputs: { x: t }, backend, attrs: { perm } }) as TensorInfo);
    };
    const reshaped = (t: TensorInfo, shape: number[]) =>
      keep(reshape({ inputs: { x: t }, backend, attrs: { shape } }) as TensorInfo);
    try {
      const at = transposeA ? swapLast(a) : a;
      const bt = transposeB ? swapLast(b) : b;
      const M = at.shape[at.shape.length - 2]!;
      const K = at.shape[at.shape.length - 1]!;
      const N = bt.shape[bt.shape.length - 1]!;
      const out = keep(
        product({
          inputs: { a: reshaped(at, [batchA * M, K]), b: reshaped(bt, [K, N]) },
          backend,
          attrs: { transposeA: false, transposeB: false },
        }) as TensorInfo,
      );
      const batch = broadcast(a.shape.slice(0, -2), b.shape.slice(0, -2));
      return reshape({ inputs: { x: out }, backend, attrs: { shape: [...batch, M, N] } });
    } finally {
      for (const t of temporary) wasm.disposeData(t.dataId);
    }
  };
  unregisterKernel("BatchMatMul", "wasm");
  registerKernel({ ...original, kernelFunc } as KernelConfig);
  installed = true;
  return true;
}

function size(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** numpy broadcasting of two batch shapes (already checked compatible by tfjs). */
function broadcast(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    out.push(x === 1 ? y : x);
  }
  return out;
}
