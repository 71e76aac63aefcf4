/**
 * `partials export-jacobian`: the derivative graph as a standalone ONNX model
 * whose input and outputs are in physical units, for onnxruntime in any
 * language: input `x` `[N, n]`, outputs `y` `[N, m]` and `J` `[N, m, n]` (and
 * `H` `[N, m, n, n]` with `--hessian`).
 *
 * @module
 */
import onnxProto from "onnx-proto";
import { writeFileAtomic } from "../../io/atomic.ts";
import { buildDerivativeModel } from "../../onnx/derivative/mod.ts";
import { canonicalForm } from "../../scaling/scaler.ts";
import { type GraphDtype, loadSurrogate } from "../../surrogate/surrogate.ts";
import { noteBatch } from "../_notes.ts";
import { printWarnings, weightsOptions } from "../_weights.ts";
import { reportResult } from "../_result.ts";

/** Options of the `export-jacobian` command, as parsed. */
export interface ExportJacobianCommandOptions {
  model: string;
  scaling?: string;
  dtype: GraphDtype;
  hessian?: boolean;
  weights?: string;
  exportedWeights?: string;
  out: string;
  json?: true;
}

/** Builds the derivative model and writes it (atomically). */
export async function runExportJacobian(options: ExportJacobianCommandOptions): Promise<void> {
  const surrogate = await loadSurrogate(options.model, {
    ...(options.scaling !== undefined ? { scaling: options.scaling } : {}),
    ...weightsOptions(options),
  });
  try {
    noteBatch(surrogate);
    printWarnings(surrogate.warnings);
    const { scaling, inputs, outputs } = surrogate;
    const dm = await buildDerivativeModel(surrogate.onnx, {
      order: options.hessian ? 2 : 1,
      dtype: options.dtype,
      physicalIo: true,
      scaling: {
        inputs: scaling.inputs.map(canonicalForm),
        outputs: scaling.outputs.map(canonicalForm),
      },
      names: { input: "x", output: "y", jacobian: "J", hessian: "H" },
    });
    const n = inputs.length;
    const m = outputs.length;
    const layout = [
      `${dm.input} [N, ${n}]: ${inputs.join(", ")} (physical units)`,
      `${dm.output} [N, ${m}]: ${outputs.join(", ")} (physical units)`,
      `${dm.jacobian} [N, ${m}, ${n}]: ${dm.jacobian}[k, i, j] = d ${dm.output}_i / d ${dm.input}_j`,
      ...(dm.hessian
        ? [
          `${dm.hessian} [N, ${m}, ${n}, ${n}]: ${dm.hessian}[k, i, j, l] = d2 ${dm.output}_i / d ${dm.input}_j d ${dm.input}_l`,
        ]
        : []),
    ];
    const proto = dm.proto;
    proto.docString = `Derivative model of ${options.model} written by partials: ${
      layout.join("; ")
    }`;
    proto.metadataProps = [
      ...(proto.metadataProps ?? []),
      { key: "partials.inputs", value: inputs.join(",") },
      { key: "partials.outputs", value: outputs.join(",") },
      { key: "partials.dtype", value: options.dtype },
    ];
    await writeFileAtomic(options.out, onnxProto.onnx.ModelProto.encode(proto).finish());
    reportResult(
      options.json,
      {
        command: "export-jacobian",
        model: options.model,
        dtype: options.dtype,
        out: options.out,
        input: { name: dm.input, shape: [null, n], names: inputs },
        outputs: [
          { name: dm.output, shape: [null, m], names: outputs },
          { name: dm.jacobian, shape: [null, m, n] },
          ...(dm.hessian ? [{ name: dm.hessian, shape: [null, m, n, n] }] : []),
        ],
      },
      `wrote ${options.out} (${options.dtype}): ${layout.join("; ")}`,
    );
  } finally {
    await surrogate.dispose();
  }
}
