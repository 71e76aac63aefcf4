/**
 * `partials hessian`: Hessians in physical units from the derivative graph
 * applied twice, read, computed and written a chunk of points at a time.
 *
 * @module
 */
import { hessianColumns } from "../../jacobian/types.ts";
import type { GraphDtype } from "../../surrogate/surrogate.ts";
import { streamPoints } from "../_stream.ts";
import { reportResult } from "../_result.ts";

/** Options of the `hessian` command, as parsed. */
export interface HessianCommandOptions {
  model: string;
  inputs: string;
  scaling?: string;
  dtype: GraphDtype;
  weights?: string;
  exportedWeights?: string;
  out: string;
  json?: true;
}

/** Computes the Hessians and writes input columns, then `d2<out>_d<in>_d<in>` (`[m, n, n]` order). */
export async function runHessian(options: HessianCommandOptions): Promise<void> {
  const result = await streamPoints({
    ...options,
    label: "hessian",
    plan: (surrogate) => ({
      columns: hessianColumns(surrogate.outputs, surrogate.inputs),
      compute: async (x) =>
        (await surrogate.derivatives(x, { order: 2, dtype: options.dtype })).hessian!,
    }),
  });
  const [m, n] = [result.outputs.length, result.inputs.length];
  reportResult(
    options.json,
    {
      command: "hessian",
      model: options.model,
      dtype: options.dtype,
      out: options.out,
      rows: result.points,
      columns: result.columns,
      shape: [result.points, m, n, n],
      inputs: result.inputs,
      outputs: result.outputs,
    },
    `wrote ${result.points} Hessians [${m} x ${n} x ${n}] (derivative graph applied twice, onnxruntime ${options.dtype}) to ${result.to}`,
  );
}
