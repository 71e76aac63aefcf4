/**
 * `partials inspect`: what an ONNX model holds, and how a state_dict maps onto it.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { loadOnnxModel } from "../../onnx/model.ts";
import { describeBatchRewrite, makeBatchDynamic } from "../../onnx/dynamic_batch.ts";
import { dataTypeName } from "../../onnx/tensor.ts";
import { loadStateDict } from "../../weights/load.ts";
import { resolve } from "node:path";
import { applyStateDict } from "../../weights/apply.ts";
import { coverage, describeWeightMap, mapStateDict } from "../../weights/map.ts";
import { findExportedWeights } from "../../surrogate/surrogate.ts";
import { formatColumns } from "../_table.ts";

/** Options of the `inspect` command, as parsed. */
export interface InspectCommandOptions {
  weights?: string;
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
  let rows: { initializer: string; shape: string; kind: string; keys: string; how: string }[];
  let mapped: number | undefined;
  let mappedWith: string | undefined;
  if (options.weights !== undefined) {
    const dict = await loadStateDict(options.weights);
    // Folded weights are found by value: map with the weights the file was exported with
    // (model.pth beside it) when there are some, then check that these weights fit the map.
    const exported = await findExportedWeights(path);
    const sameFile = exported !== undefined && resolve(exported) === resolve(options.weights);
    mappedWith = exported === undefined || sameFile ? options.weights : exported;
    const map = mapStateDict(
      model,
      mappedWith === options.weights ? dict : await loadStateDict(mappedWith),
    );
    applyStateDict(model, dict, map);
    rows = describeWeightMap(map);
    mapped = coverage(map);
  } else {
    rows = [...model.initializers].map(([name, t]) => ({
      initializer: name,
      shape: `[${t.dims.join(", ")}]`,
      kind: dataTypeName(t.dataType),
      keys: "",
      how: "",
    }));
  }
  if (options.json) {
    console.log(JSON.stringify(
      {
        model: path,
        producer: model.producer,
        opset: model.opset,
        input: model.input,
        output: model.output,
        batch,
        ops: Object.fromEntries(ops),
        initializers: rows,
        ...(mapped !== undefined ? { weights: options.weights, mappedWith, coverage: mapped } : {}),
      },
      null,
      2,
    ));
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
  if (mapped === undefined) {
    console.log(
      formatColumns(
        ["initializer", "shape", "dtype"],
        rows.map((r) => [r.initializer, r.shape, r.kind]),
      ),
    );
  } else {
    console.log(formatColumns(
      ["initializer", "shape", "kind", "state_dict key", "how"],
      rows.map((r) => [r.initializer || "-", r.shape, r.kind, r.keys, r.how]),
    ));
    console.log("");
    console.log(
      `${options.weights}: ${(mapped * 100).toFixed(1)}% of state_dict keys mapped onto the graph`,
    );
    if (mappedWith !== options.weights) {
      console.log(`(found by value with ${mappedWith}, the weights the model was exported with)`);
    }
  }
}
