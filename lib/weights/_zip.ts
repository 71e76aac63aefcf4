/**
 * A strict reader for the zip archives `torch.save` writes. The central
 * directory is checked before any entry is read: the entry count and every
 * declared size against the limits, names (no absolute paths, no `..`, no
 * repeats), and the entries' byte ranges (inside the file, not overlapping —
 * overlapping entries are how a small zip claims gigabytes). Entries are read
 * on demand: a stored one is a view of the file, a deflated one is inflated
 * with fflate's streaming inflater and stopped at its declared size.
 *
 * fflate's `unzipSync` is not used because it only reports an entry's declared
 * size while it unpacks it (after trusting the entry count) and cannot see
 * overlapping entries; fflate still does the inflating.
 *
 * @module
 */
import { Inflate } from "fflate";
import { limits, raiseHint } from "../io/limits.ts";
import { describeError, quote } from "../io/quote.ts";

/** One entry of the central directory. */
export interface ZipEntry {
  /** Name inside the archive. */
  readonly name: string;
  /** 0 = stored, 8 = deflated. */
  readonly method: number;
  /** Declared compressed size, bytes. */
  readonly compressedSize: number;
  /** Declared uncompressed size, bytes. */
  readonly size: number;
  /** Offset of the entry's data in the file. */
  readonly dataStart: number;
}

/** A checked archive: its entries by name, and a reader. */
export interface ZipArchive {
  /** Entries by name, in central directory order. */
  readonly entries: ReadonlyMap<string, ZipEntry>;
  /** The bytes of an entry (a view of the file when stored). */
  read(name: string): Uint8Array;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/**
 * Opens a zip archive held in memory.
 *
 * @param bytes The file.
 * @param source Name used in messages.
 * @throws {SyntaxError} A malformed archive (no end record, a record past the end,
 *   an unsafe or repeated name, overlapping entries, an unsupported method).
 * @throws {RangeError} More entries or more declared bytes than the limits allow.
 */
export function openZip(bytes: Uint8Array, source: string): ZipArchive {
  const fail = (what: string): never => {
    throw new SyntaxError(`Cannot read ${source}: broken zip archive (${what})`);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = bytes.byteLength;
  const u16 = (at: number) => at + 2 <= size ? view.getUint16(at, true) : fail("truncated");
  const u32 = (at: number) => at + 4 <= size ? view.getUint32(at, true) : fail("truncated");
  const u64 = (at: number) => {
    const v = at + 8 <= size ? view.getBigUint64(at, true) : fail("truncated");
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? fail(`a size field of ${v}`) : Number(v);
  };

  let end = -1;
  for (let at = size - 22; at >= Math.max(0, size - 22 - 0xffff); at--) {
    if (view.getUint32(at, true) === EOCD) {
      end = at;
      break;
    }
  }
  if (end < 0) fail("no end of central directory record");
  let count = u16(end + 10);
  let cdSize = u32(end + 12);
  let cdOffset = u32(end + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locator = end - 20;
    if (locator < 0 || u32(locator) !== ZIP64_LOCATOR) fail("zip64 fields without a zip64 locator");
    const record = u64(locator + 8);
    if (u32(record) !== ZIP64_EOCD) fail("no zip64 end record where its locator points");
    count = u64(record + 32);
    cdSize = u64(record + 40);
    cdOffset = u64(record + 48);
  }
  const lim = limits();
  if (count > lim.maxZipEntries) {
    throw new RangeError(
      `Cannot read ${source}: the zip archive claims ${count} entries, more than the limit of ${lim.maxZipEntries} (${
        raiseHint("maxZipEntries")
      })`,
    );
  }
  if (cdOffset + cdSize > size) fail("the central directory lies past the end of the file");

  const entries = new Map<string, ZipEntry>();
  const ranges: [number, number, string][] = [];
  let declared = 0;
  let at = cdOffset;
  const latin1 = new TextDecoder("latin1");
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  for (let i = 0; i < count; i++) {
    if (u32(at) !== CENTRAL) fail(`central directory entry ${i + 1} is not where it should be`);
    const flags = u16(at + 8);
    const method = u16(at + 10);
    let compressedSize: number = u32(at + 20);
    let uncompressed: number = u32(at + 24);
    const nameLength = u16(at + 28);
    const extraLength = u16(at + 30);
    const commentLength = u16(at + 32);
    let local: number = u32(at + 42);
    const nameBytes = at + 46 + nameLength <= size
      ? bytes.subarray(at + 46, at + 46 + nameLength)
      : fail("truncated");
    let name: string;
    try {
      name = flags & 0x800 ? utf8.decode(nameBytes) : latin1.decode(nameBytes);
    } catch {
      return fail(`entry ${i + 1} has a name that is not UTF-8`);
    }
    // Zip64 extended information: 64-bit values for the fields saturated above, in order.
    for (let e = at + 46 + nameLength; e + 4 <= at + 46 + nameLength + extraLength;) {
      const id = u16(e), length = u16(e + 2);
      if (id === 0x0001) {
        let f = e + 4;
        if (uncompressed === 0xffffffff) uncompressed = u64(f), f += 8;
        if (compressedSize === 0xffffffff) compressedSize = u64(f), f += 8;
        if (local === 0xffffffff) local = u64(f);
      }
      e += 4 + length;
    }
    if (flags & 0x1) fail(`entry ${quote(name, 60)} is encrypted`);
    if (name.startsWith("/") || name.includes("\\") || name.split("/").includes("..")) {
      throw new SyntaxError(
        `Cannot read ${source}: the zip entry ${quote(name, 60)} names a path outside the archive`,
      );
    }
    if (entries.has(name)) fail(`the entry ${quote(name, 60)} appears twice`);
    if (method !== 0 && method !== 8) {
      fail(`entry ${quote(name, 60)} uses compression method ${method}`);
    }
    if (method === 0 && compressedSize !== uncompressed) {
      fail(`stored entry ${quote(name, 60)} declares ${compressedSize} and ${uncompressed} bytes`);
    }
    declared += uncompressed;
    if (declared > lim.maxUncompressedBytes) {
      throw new RangeError(
        `Cannot read ${source}: the zip entries declare more than ${lim.maxUncompressedBytes} uncompressed bytes, the limit (${
          raiseHint("maxUncompressedBytes")
        })`,
      );
    }
    if (u32(local) !== LOCAL) fail(`entry ${quote(name, 60)} has no local header`);
    const dataStart = local + 30 + u16(local + 26) + u16(local + 28);
    if (dataStart + compressedSize > size) {
      fail(`entry ${quote(name, 60)} reaches past the end of the file`);
    }
    ranges.push([local, dataStart + compressedSize, name]);
    entries.set(name, { name, method, compressedSize, size: uncompressed, dataStart });
    at += 46 + nameLength + extraLength + commentLength;
  }
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i]![0] < ranges[i - 1]![1]) {
      fail(
        `entries ${quote(ranges[i - 1]![2], 40)} and ${quote(ranges[i]![2], 40)} overlap`,
      );
    }
  }

  return {
    entries,
    read(name: string): Uint8Array {
      const entry = entries.get(name);
      if (entry === undefined) throw new SyntaxError(`Cannot read ${source}: no entry ${name}`);
      const data = bytes.subarray(entry.dataStart, entry.dataStart + entry.compressedSize);
      return entry.method === 0 ? data : inflateBounded(data, entry, source);
    },
  };
}

/** Inflates `data` into exactly `entry.size` bytes, stopping as soon as it would exceed them. */
function inflateBounded(data: Uint8Array, entry: ZipEntry, source: string): Uint8Array {
  const out = new Uint8Array(entry.size);
  let filled = 0;
  let ended = false;
  const tooBig = () =>
    new SyntaxError(
      `Cannot read ${source}: zip entry ${
        quote(entry.name, 60)
      } inflates to more than its declared ${entry.size} bytes`,
    );
  const inflater = new Inflate((chunk, final) => {
    if (filled + chunk.length > out.length) throw tooBig();
    out.set(chunk, filled);
    filled += chunk.length;
    if (final) ended = true;
  });
  try {
    const step = 1 << 16;
    for (let i = 0; i < data.length && !ended; i += step) {
      inflater.push(data.subarray(i, Math.min(data.length, i + step)), i + step >= data.length);
    }
  } catch (error) {
    if (error instanceof SyntaxError && error.message.startsWith(`Cannot read ${source}`)) {
      throw error;
    }
    throw new SyntaxError(
      `Cannot read ${source}: zip entry ${quote(entry.name, 60)} does not inflate (${
        describeError(error)
      })`,
    );
  }
  if (filled !== entry.size) {
    throw new SyntaxError(
      `Cannot read ${source}: zip entry ${
        quote(entry.name, 60)
      } inflates to ${filled} bytes, it declares ${entry.size}`,
    );
  }
  return out;
}
