/**
 * Errors of the graph rebuild that callers catch.
 *
 * @module
 */

/** An ONNX node whose op (or domain) has no translator; thrown at build time. */
export class UnsupportedOpError extends Error {
  /** The node's op type, e.g. `"QuickGelu"`. */
  readonly opType: string;
  /** The node's name (or `"<opType>#<index>"` when unnamed). */
  readonly nodeName: string;
  /** The model's opset of the default domain. */
  readonly opset: number;
  /** The node's domain (`""` for the default ONNX domain). */
  readonly domain: string;

  constructor(
    opType: string,
    nodeName: string,
    opset: number,
    supported: readonly string[],
    domain = "",
  ) {
    const op = domain === "" || domain === "ai.onnx"
      ? `"${opType}"`
      : `"${opType}" of domain "${domain}"`;
    super(
      `Cannot build the graph: op ${op} (node "${nodeName}", opset ${opset}) is not supported; supported: ${
        supported.join(", ")
      }`,
    );
    this.name = "UnsupportedOpError";
    this.opType = opType;
    this.nodeName = nodeName;
    this.opset = opset;
    this.domain = domain;
  }
}
