/**
 * What the model commands share: reading the inputs CSV and loading the
 * surrogate with the inputs' names checked against the scaling file.
 *
 * @module
 */
import { type NumericTable, readNumericCsv } from "../io/table.ts";
import { loadSurrogate, selectInputColumns, type Surrogate } from "../surrogate/surrogate.ts";

/** Options shared by `forward`, `jacobian` and `check`. */
export interface ModelInputOptions {
  model: string;
  inputs: string;
  scaling?: string;
  weights?: string;
}

/** The loaded model, the inputs table and its model-input columns `[N, n]`. */
export interface LoadedInputs {
  surrogate: Surrogate;
  table: NumericTable;
  x: Float64Array;
  points: number;
  /** The inputs as a table with exactly the model's input columns. */
  inputTable: NumericTable;
}

/** Reads the inputs, loads the model and selects the model-input columns. */
export async function loadModelAndInputs(options: ModelInputOptions): Promise<LoadedInputs> {
  const table = await readNumericCsv(options.inputs);
  const probe = await loadSurrogate(options.model, {
    ...(options.scaling !== undefined ? { scaling: options.scaling } : {}),
    ...(options.weights !== undefined ? { weights: options.weights } : {}),
    inputNames: table.columns,
  });
  const x = selectInputColumns(table, probe.inputs, options.inputs);
  return {
    surrogate: probe,
    table,
    x,
    points: table.rows,
    inputTable: { columns: [...probe.inputs], rows: table.rows, data: x },
  };
}
