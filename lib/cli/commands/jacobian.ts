/**
 * `partials jacobian`: Jacobians in physical units, read, computed and
 * written a chunk of points at a time.
 *
 * @module
 */
import { jacobianColumns } from "../../jacobian/types.ts";
import { UnsupportedDerivativeError } from "../../onnx/derivative/mod.ts";
import type { GraphDtype, JacobianMethod } from "../../surrogate/surrogate.ts";
import { streamPoints } from "../_stream.ts";
import { reportResult } from "../_result.ts";
import { warn } from "../_warn.ts";

/** Options of the `jacobian` command, as parsed. */
export interface JacobianCommandOptions {
  model: string;
  inputs: string;
  scaling?: string;
  /** Unset: the derivative graph, or autodiff when the graph has an op it cannot differentiate. */
  method?: JacobianMethod;
  dtype?: GraphDtype;
  weights?: string;
  exportedWeights?: string;
  out: string;
  json?: true;
}

const HOW: Readonly<Record<JacobianMethod, string>> = {
  graph: "derivative graph, onnxruntime",
  autodiff: "reverse-mode autodiff, tfjs float32",
  fd: "central differences, float64",
};

/** Computes the Jacobians and writes input columns, then `d<out>_d<in>` output-major. */
export async function runJacobian(options: JacobianCommandOptions): Promise<void> {
  let method: JacobianMethod = options.method ?? "graph";
  const dtype = options.dtype ?? "float32";
  const result = await streamPoints({
    ...options,
    label: "jacobian",
    plan: (surrogate) => ({
      columns: jacobianColumns(surrogate.outputs, surrogate.inputs),
      async compute(x) {
        if (method === "graph") {
          try {
            return (await surrogate.jacobian(x, { method, dtype })).values;
          } catch (error) {
            if (options.method !== undefined || !(error instanceof UnsupportedDerivativeError)) {
              throw error;
            }
            warn(`${error.message}; using --method autodiff`);
            method = "autodiff";
          }
        }
        return (await surrogate.jacobian(x, { method })).values;
      },
    }),
  });
  const how = method === "graph" ? `${HOW.graph} ${dtype}` : HOW[method];
  reportResult(
    options.json,
    {
      command: "jacobian",
      model: options.model,
      method,
      ...(method === "graph" ? { dtype } : {}),
      out: options.out,
      rows: result.points,
      columns: result.columns,
      shape: [result.points, result.outputs.length, result.inputs.length],
      inputs: result.inputs,
      outputs: result.outputs,
    },
    `wrote ${result.points} Jacobians [${result.outputs.length} x ${result.inputs.length}] (${how}) to ${result.to}`,
  );
}
