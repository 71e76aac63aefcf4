/**
 * `partials inspect`: what an ONNX model holds, and how a state_dict maps onto it.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { loadOnnxModel } from "../../onnx/model.ts";
import { describeBatchRewrite, makeBatchDynamic } from "../../onnx/dynamic_batch.ts";
import { dataTypeName } from "../../onnx/tensor.ts";
import { coverage, describeWeightMap, type WeightMapRow } from "../../weights/map.ts";
import { formatShape } from "../../weights/state_dict.ts";
import { printJson } from "../_result.ts";
import { loadWeightsFor, unusedKeys } from "../../weights/map_weights.ts";
import { formatColumns } from "../_table.ts";
import { printWarnings, weightsOptions } from "../_weights.ts";

/** Options of the `inspect` command, as parsed. */
export interface InspectCommandOptions {
  weights?: string;
  exportedWeights?: string;
  json?: true;
}

/** Prints inputs, outputs, the op histogram and the initializers (mapped to state_dict keys). */
export async function runInspect(path: string, options: InspectCommandOptions): Promise<void> {
  const model = await loadOnnxModel(path);
  const histogram = new Map<string, number>();
  for (const node of model.proto.graph?.node ?? []) {
    const op = node.domain ? `${node.domain}.${node.opType}` : String(node.opType);
    histogram.set(op, (histogram.get(op) ?? 0) + 1);
  }
  const { rewrite: batch } = await makeBatchDynamic(model);
  const ops = [...histogram].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const port = (p: typeof model.input) =>
    `${p.name} [${p.batch ?? "batch"}, ${p.width}] ${dataTypeName(p.elemType)}`;
  // By name, else by value with the weights the file was exported with (--exported-weights,
  // or model.pth beside it); then the given weights are applied, which checks that they fit.
  const weights = await loadWeightsFor(model, weightsOptions(options));
  const rows: WeightMapRow[] = weights !== undefined
    ? describeWeightMap(weights.map)
    : [...model.initializers].map(([name, t]) => ({
      initializer: name,
      shape: formatShape(t.dims),
      dims: t.dims,
      dtype: dataTypeName(t.dataType),
      kind: "",
      keys: "",
      stateDictKeys: [],
      how: "",
    }));
  const mapped = weights !== undefined ? coverage(weights.map) : undefined;
  if (options.json) {
    const jsonPort = (p: typeof model.input) => ({
      name: p.name,
      shape: [p.batch, p.width],
      dtype: dataTypeName(p.elemType),
    });
    printJson({
      model: path,
      producer: model.producer,
      opset: model.opset,
      input: jsonPort(model.input),
      output: jsonPort(model.output),
      batch,
      ops: Object.fromEntries(ops),
      initializers: rows.map((r) => ({
        initializer: r.initializer,
        shape: r.dims,
        dtype: r.dtype,
        keys: r.stateDictKeys,
        ...(weights !== undefined ? { kind: r.kind, how: r.how } : {}),
      })),
      ...(weights !== undefined
        ? {
          weights: weights.path,
          mappedWith: weights.exportedPath ?? weights.path,
          byName: weights.exportedPath === undefined,
          coverage: mapped,
          unused: unusedKeys(weights.map).map((k) => k.key),
          warnings: weights.warnings,
        }
        : {}),
    });
    return;
  }
  const nodes = model.proto.graph?.node?.length ?? 0;
  console.log(
    `${path}: producer ${model.producer || "(none)"}, opset ${model.opset}, ${nodes} nodes`,
  );
  console.log(`input   ${port(model.input)}`);
  console.log(`output  ${port(model.output)}`);
  console.log(`batch   ${describeBatchRewrite(batch)}`);
  console.log(`ops     ${ops.map(([op, k]) => `${op} ${k}`).join(", ")}`);
  console.log("");
  if (weights === undefined || mapped === undefined) {
    console.log(
      formatColumns(
        ["initializer", "shape", "dtype"],
        rows.map((r) => [r.initializer, r.shape, r.dtype]),
      ),
    );
  } else {
    console.log(formatColumns(
      ["initializer", "shape", "kind", "state_dict key", "how"],
      rows.map((r) => [r.initializer || "-", r.shape, r.kind, r.keys, r.how]),
    ));
    console.log("");
    const keys = weights.map.keys;
    const unused = keys.filter((k) => k.relation === "unused").length;
    console.log(
      `${weights.path}: ${(mapped * 100).toFixed(1)}% of state_dict keys mapped onto the graph (${
        keys.length - unused
      } of ${keys.length}${unused > 0 ? `; ${unused} not used by the graph` : ""})`,
    );
    console.log(
      weights.exportedPath !== undefined
        ? `(found by value with ${weights.exportedPath}, the weights the model was exported with)`
        : "(found by name: every weight of the graph is an initializer named like its key)",
    );
    printWarnings(weights.warnings);
  }
}
