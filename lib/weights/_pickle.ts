/**
 * A restricted pickle virtual machine (protocols 0–5 opcodes that carry data).
 * It never imports or calls anything itself: every global, persistent id,
 * call and state update goes to the caller's {@linkcode PickleHooks}, which
 * decides what (if anything) each one means.
 *
 * @module
 */
import { quote } from "../io/quote.ts";

/** Marks a tuple (kept distinct from lists so hooks can check what they receive). */
export class PickleTuple {
  /** Elements. */
  readonly items: readonly unknown[];
  /** @param items Elements. */
  constructor(items: readonly unknown[]) {
    this.items = items;
  }
}

/** A pickled dict, in insertion order. */
export class PickleDict {
  /** Entries (keys are strings, numbers, bigints or object identities). */
  readonly entries: Map<unknown, unknown> = new Map();
}

/** What the caller decides for the operations that could run code. */
export interface PickleHooks {
  /** `GLOBAL` / `STACK_GLOBAL`: return a value standing for `module.name`, or throw. */
  global(module: string, name: string): unknown;
  /** `BINPERSID` / `PERSID`: resolve a persistent id, or throw. */
  persistentLoad(pid: unknown): unknown;
  /** `REDUCE` / `NEWOBJ` / `NEWOBJ_EX`: `callable(...args)`, or throw. */
  call(callable: unknown, args: readonly unknown[], kwargs: PickleDict | undefined): unknown;
  /** `BUILD`: apply `state` to `target` and return the result, or throw. */
  build(target: unknown, state: unknown): unknown;
}

/**
 * Runs the pickle in `bytes` and returns the object it builds.
 *
 * @param bytes The pickle stream.
 * @param hooks Decisions for globals, persistent ids, calls and state updates.
 * @param source Name used in error messages (e.g. `model.pth: archive/data.pkl`).
 * @throws {SyntaxError} On a truncated stream, an unknown opcode or a malformed stack.
 */
export function unpickle(bytes: Uint8Array, hooks: PickleHooks, source: string): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = new TextDecoder("utf-8", { fatal: true });
  const latin1 = new TextDecoder("latin1");
  const memo = new Map<number, unknown>();
  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  let pos = 0;
  let at = 0;

  const fail = (what: string): never => {
    throw new SyntaxError(`Cannot read ${source}: byte ${at}: ${what}`);
  };
  const need = (n: number) => {
    if (pos + n > bytes.length) fail("the pickle ends early");
  };
  const u8 = () => {
    need(1);
    return bytes[pos++]!;
  };
  const u16 = () => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = () => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail("a length does not fit in memory");
    return Number(v);
  };
  const take = (n: number) => {
    need(n);
    const out = bytes.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail("the pickle ends early");
    const out = latin1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return out;
  };
  const utf8 = (raw: Uint8Array) => {
    try {
      return text.decode(raw);
    } catch {
      return fail("a string is not valid UTF-8");
    }
  };
  const pop = (): unknown => {
    if (stack.length === 0) fail("the stack is empty");
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail("the stack is empty");
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    const previous = marks.pop();
    if (previous === undefined) fail("no mark on the stack");
    stack = previous!;
    return items;
  };
  const signedLE = (raw: Uint8Array): number | bigint => {
    // A state_dict holds no integer wider than 64 bits; a long one would cost quadratic time.
    if (raw.length > 16) fail(`an integer of ${raw.length} bytes`);
    let v = 0n;
    for (let i = raw.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(raw[i]!);
    if (raw.length > 0 && raw[raw.length - 1]! & 0x80) v -= 1n << BigInt(8 * raw.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : v;
  };
  const setItems = (target: unknown, items: unknown[]) => {
    if (!(target instanceof PickleDict)) fail("SETITEM on something that is not a dict");
    if (items.length % 2 !== 0) fail("SETITEMS with an odd number of items");
    for (let i = 0; i < items.length; i += 2) {
      (target as PickleDict).entries.set(items[i], items[i + 1]);
    }
  };
  const appendItems = (target: unknown, items: unknown[]) => {
    if (!Array.isArray(target)) fail("APPEND on something that is not a list");
    (target as unknown[]).push(...items);
  };
  const memoGet = (i: number) => {
    if (!memo.has(i)) fail(`memo entry ${i} is not set`);
    return memo.get(i);
  };
  const tupleArgs = (value: unknown): readonly unknown[] => {
    if (value instanceof PickleTuple) return value.items;
    return fail("call arguments are not a tuple");
  };

  while (true) {
    at = pos;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        u8();
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: { // STOP
        if (stack.length !== 1 || marks.length !== 0) fail("STOP with a malformed stack");
        return stack[0];
      }
      case 0x28: // MARK
        marks.push(stack);
        stack = [];
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PickleTuple([]));
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new PickleDict());
        break;
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x90: { // ADDITEMS
        const items = popMark();
        const target = top();
        if (!(target instanceof Set)) fail("ADDITEMS on something that is not a set");
        for (const item of items) (target as Set<unknown>).add(item);
        break;
      }
      case 0x91: // FROZENSET
        {
          const items = popMark();
          stack.push(new Set(items));
        }
        break;
      case 0x58: // BINUNICODE
        stack.push(utf8(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8(take(u64())));
        break;
      case 0x56: // UNICODE (protocol 0, raw-unicode-escape; ASCII in practice)
        stack.push(line());
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1.decode(take(u8())));
        break;
      case 0x54: // BINSTRING
        stack.push(latin1.decode(take(u32())));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x8e: // BINBYTES8
        stack.push(take(u64()).slice());
        break;
      case 0x96: // BYTEARRAY8
        stack.push(take(u64()).slice());
        break;
      case 0x4a: // BININT
        need(4);
        stack.push(view.getInt32(pos, true));
        pos += 4;
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(signedLE(take(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(signedLE(take(u32())));
        break;
      case 0x49: { // INT (protocol 0): "I01\n" / "I00\n" are booleans
        const s = line();
        if (s === "01") stack.push(true);
        else if (s === "00") stack.push(false);
        else {
          const v = Number(s);
          if (!Number.isInteger(v)) fail(`${quote(s, 40)} is not an integer`);
          stack.push(v);
        }
        break;
      }
      case 0x4c: { // LONG (protocol 0)
        const s = line().replace(/L$/, "");
        if (!/^-?\d{1,40}$/.test(s)) fail(`${quote(s, 40)} is not an integer of at most 40 digits`);
        const v = BigInt(s);
        stack.push(
          v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
            ? Number(v)
            : v,
        );
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x46: { // FLOAT (protocol 0)
        const s = line();
        const v = Number(s);
        if (Number.isNaN(v) && s.trim().toLowerCase() !== "nan") {
          fail(`${quote(s, 40)} is not a number`);
        }
        stack.push(v);
        break;
      }
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x85: // TUPLE1
        stack.push(new PickleTuple([pop()]));
        break;
      case 0x86: { // TUPLE2
        const b = pop();
        const a = pop();
        stack.push(new PickleTuple([a, b]));
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(new PickleTuple([a, b, c]));
        break;
      }
      case 0x74: // TUPLE
        {
          const items = popMark();
          stack.push(new PickleTuple(items));
        }
        break;
      case 0x6c: // LIST
        {
          const items = popMark();
          stack.push(items);
        }
        break;
      case 0x64: { // DICT
        const d = new PickleDict();
        const items = popMark();
        setItems(d, items);
        stack.push(d);
        break;
      }
      case 0x73: { // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x61: { // APPEND
        const value = pop();
        appendItems(top(), [value]);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x70: // PUT
        memo.set(Number(line()), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
        stack.push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memoGet(u32()));
        break;
      case 0x67: // GET
        stack.push(memoGet(Number(line())));
        break;
      case 0x63: { // GLOBAL
        const module = line();
        const name = line();
        stack.push(hooks.global(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") {
          fail("STACK_GLOBAL without two strings");
        }
        stack.push(hooks.global(module as string, name as string));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const callable = pop();
        stack.push(hooks.call(callable, tupleArgs(args), undefined));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop();
        const cls = pop();
        stack.push(hooks.call(cls, tupleArgs(args), undefined));
        break;
      }
      case 0x92: { // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        if (!(kwargs instanceof PickleDict)) fail("NEWOBJ_EX keyword arguments are not a dict");
        stack.push(hooks.call(cls, tupleArgs(args), kwargs as PickleDict));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const target = pop();
        stack.push(hooks.build(target, state));
        break;
      }
      case 0x69: { // INST (protocol 0)
        const module = line();
        const name = line();
        const callable = hooks.global(module, name);
        const args = popMark();
        stack.push(hooks.call(callable, args, undefined));
        break;
      }
      case 0x6f: { // OBJ (protocol 1)
        const items = popMark();
        if (items.length === 0) fail("OBJ without a class");
        stack.push(hooks.call(items[0], items.slice(1), undefined));
        break;
      }
      case 0x51: // BINPERSID
        stack.push(hooks.persistentLoad(pop()));
        break;
      case 0x50: // PERSID
        stack.push(hooks.persistentLoad(line()));
        break;
      default:
        fail(`opcode 0x${op.toString(16).padStart(2, "0")} is not supported`);
    }
  }
}
