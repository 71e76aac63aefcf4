/**
 * Whether points lie inside the box a scaling file declares for the inputs
 * (the min-max ranges the model was trained on): outside it, the model
 * extrapolates, and its values and derivatives mean little.
 *
 * @module
 */
import type { MinMaxScaler, Scaling } from "./scaler.ts";

/** Counts points outside the inputs' min-max box, chunk by chunk. */
export class BoxCheck {
  readonly #inputs: readonly (MinMaxScaler | undefined)[];
  #points = 0;
  #outside = 0;
  /** The farthest excursion: input index, value, and distance as a share of the range. */
  #worst: { j: number; value: number; share: number } | undefined;

  /** @param scaling The scaling; inputs of other kinds than min-max are not checked. */
  constructor(scaling: Scaling) {
    this.#inputs = scaling.inputs.map((s) => (s.kind === "minmax" ? s : undefined));
  }

  /**
   * Adds points.
   *
   * @param x `[rows, n]`, physical units, row-major.
   */
  add(x: Float64Array, rows: number): void {
    const n = this.#inputs.length;
    for (let r = 0; r < rows; r++) {
      let out = false;
      for (let j = 0; j < n; j++) {
        const s = this.#inputs[j];
        if (s === undefined) continue;
        const v = x[r * n + j]!;
        const range = s.max - s.min;
        const share = v < s.min ? (s.min - v) / range : v > s.max ? (v - s.max) / range : 0;
        // A relative slack of 1e-9 keeps the box's own corners inside.
        if (share > 1e-9) {
          out = true;
          if (this.#worst === undefined || share > this.#worst.share) {
            this.#worst = { j, value: v, share };
          }
        }
      }
      if (out) this.#outside++;
    }
    this.#points += rows;
  }

  /** Points added, and those outside the box. */
  get counts(): { points: number; outside: number } {
    return { points: this.#points, outside: this.#outside };
  }

  /**
   * One line for when some points are outside, naming `source` and the worst
   * excursion; `undefined` when all are inside.
   *
   * @example Usage
   * ```ts
   * import { BoxCheck } from "./box.ts";
   * import { minMaxScaler } from "./scaler.ts";
   * const box = new BoxCheck({ inputs: [minMaxScaler("x1", { min: 0, max: 1 })], outputs: [] });
   * box.add(new Float64Array([0.5, 1.5]), 2);
   * if (box.counts.outside !== 1 || !box.warning("in.csv")?.includes("x1 = 1.5")) throw new Error();
   * ```
   */
  warning(source: string): string | undefined {
    const w = this.#worst;
    if (this.#outside === 0 || w === undefined) return undefined;
    const s = this.#inputs[w.j]!;
    const side = w.value < s.min ? `below its Min ${s.min}` : `above its Max ${s.max}`;
    return `${source}: ${this.#outside} of ${this.#points} points lie outside the scaling box (farthest: ${s.name} = ${w.value}, ${side} by ${
      formatShare(w.share)
    } of the range); the model extrapolates there`;
  }
}

function formatShare(share: number): string {
  const percent = 100 * share;
  return `${percent >= 10 ? percent.toFixed(0) : percent.toPrecision(2)}%`;
}
