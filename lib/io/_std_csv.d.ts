export function parse(input: string, options?: { separator?: string }): string[][];
export function stringify(
  data: readonly (readonly string[])[],
  options?: { separator?: string },
): string;
