/**
 * Errors of the graph rebuild that callers catch.
 *
 * @module
 */

/** One unsupported op of a graph: its type, domain, the first node using it and how many do. */
export interface UnsupportedOp {
  /** The op type, e.g. `"QuickGelu"`. */
  readonly opType: string;
  /** The op's domain (`""` for the default ONNX domain). */
  readonly domain: string;
  /** The first node using it (or `"<opType>#<index>"` when unnamed). */
  readonly nodeName: string;
  /** Number of nodes using it. */
  readonly count: number;
}

/** Options of {@linkcode UnsupportedOpError}. */
export interface UnsupportedOpErrorOptions {
  /** The model's opset of the default domain. */
  readonly opset: number;
  /** Path or label of the model, named in the message. */
  readonly source: string;
  /** The supported op types, listed in the message. */
  readonly supported: readonly string[];
}

function describeOp(op: UnsupportedOp): string {
  const name = op.domain === "" || op.domain === "ai.onnx"
    ? `"${op.opType}"`
    : `"${op.opType}" of domain "${op.domain}"`;
  return op.count === 1
    ? `${name} (node "${op.nodeName}")`
    : `${name} (${op.count} nodes, e.g. "${op.nodeName}")`;
}

/**
 * The ops of a graph that have no translator (or another domain), all of them
 * in one message; thrown at build time, before anything is built.
 *
 * The message reads `Cannot build the graph of m.onnx (opset 17): 2 ops are not
 * supported: "Acos" (4 nodes, e.g. "/l/Acos"), "Foo" of domain "x" (node "f");
 * supported: Abs, Add, …`.
 */
export class UnsupportedOpError extends Error {
  /** Every unsupported op, in order of first use. */
  readonly ops: readonly UnsupportedOp[];
  /** The first unsupported op's type. */
  readonly opType: string;
  /** The first node with an unsupported op. */
  readonly nodeName: string;
  /** The first unsupported op's domain (`""` for the default ONNX domain). */
  readonly domain: string;
  /** The model's opset of the default domain. */
  readonly opset: number;
  /** Path or label of the model. */
  readonly source: string;

  /** @throws {RangeError} If `ops` is empty. */
  constructor(ops: readonly UnsupportedOp[], options: UnsupportedOpErrorOptions) {
    const first = ops[0];
    if (first === undefined) throw new RangeError("Cannot make an UnsupportedOpError: no ops");
    const what = ops.length === 1 ? "1 op is not supported" : `${ops.length} ops are not supported`;
    super(
      `Cannot build the graph of ${options.source} (opset ${options.opset}): ${what}: ${
        ops.map(describeOp).join(", ")
      }; supported: ${options.supported.join(", ")}`,
    );
    this.name = "UnsupportedOpError";
    this.ops = ops;
    this.opType = first.opType;
    this.nodeName = first.nodeName;
    this.domain = first.domain;
    this.opset = options.opset;
    this.source = options.source;
  }
}

/**
 * A node of a supported op used in a way the rebuild cannot differentiate or
 * run (training-mode Dropout or BatchNormalization, an Einsum equation with a
 * repeated index, a Conv that is not 1-D, …); thrown at build time.
 */
export class UnsupportedNodeError extends Error {
  /** The node's op type. */
  readonly opType: string;
  /** The node's name (or `"<opType>#<index>"` when unnamed). */
  readonly nodeName: string;
  /** What is not supported, e.g. `training_mode is true`. */
  readonly reason: string;

  constructor(opType: string, nodeName: string, source: string, reason: string) {
    super(`Cannot build the graph of ${source}: node "${nodeName}" (${opType}): ${reason}`);
    this.name = "UnsupportedNodeError";
    this.opType = opType;
    this.nodeName = nodeName;
    this.reason = reason;
  }
}
