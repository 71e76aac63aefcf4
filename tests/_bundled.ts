/**
 * The bundled PyTorch-trained models and their oracle files, for tests.
 *
 * @module
 */

/** Folder names under `data/models/`. */
export const BUNDLED_MODELS = ["fastkan", "effkan", "mlp", "fastkan_op13"] as const;

/** One variable of the oracle's scaling. */
export interface OracleRange {
  name: string;
  min: number;
  max: number;
}

/** `oracle.json` as the PyTorch companion writes it (format `partials-oracle/1`). */
export interface Oracle {
  format: string;
  model: string;
  family: string;
  inputs: string[];
  outputs: string[];
  scaling: { inputs: OracleRange[]; outputs: OracleRange[] };
  points_physical: number[][];
  points_normalized: number[][];
  outputs_normalized: number[][];
  outputs_physical: number[][];
  outputs_float32: number[][];
  jacobian_normalized: number[][][];
  jacobian_physical: number[][][];
  perturbed: {
    files: string[];
    outputs_normalized: number[][];
    outputs_physical: number[][];
    jacobian_physical: number[][][];
  };
  manifest: { opset: number; do_constant_folding: boolean; files: Record<string, string> };
}

/** Paths of one bundled model's files. */
export function bundledPaths(name: string) {
  const dir = new URL(`../data/models/${name}/`, import.meta.url).pathname;
  return {
    dir,
    onnx: `${dir}model.onnx`,
    pth: `${dir}model.pth`,
    safetensors: `${dir}model.safetensors`,
    perturbedPth: `${dir}model_perturbed.pth`,
    perturbedSafetensors: `${dir}model_perturbed.safetensors`,
    scaling: `${dir}scaling.csv`,
    oracle: `${dir}oracle.json`,
  };
}

/** Reads a bundled model's oracle. */
export async function readOracle(name: string): Promise<Oracle> {
  return JSON.parse(await Deno.readTextFile(bundledPaths(name).oracle)) as Oracle;
}

/** The seed case's files. */
export const SEED = {
  equations: new URL("../data/seed/equations.json", import.meta.url).pathname,
  samples: new URL("../data/seed/olhs_samples.csv", import.meta.url).pathname,
  scaling: new URL("../data/seed/olhs_samples_max_min.csv", import.meta.url).pathname,
  inputs: new URL("../data/seed/olhs_input.csv", import.meta.url).pathname,
};

/** Flattens nested number arrays into a float64 array. */
export function flat(values: unknown[]): Float64Array {
  return Float64Array.from(values.flat(3) as number[]);
}
