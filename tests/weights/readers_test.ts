import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "../_assert.ts";
import { unzipSync, zipSync } from "fflate";
import { loadStateDict } from "../../lib/weights/load.ts";
import { readSafetensors, writeSafetensors } from "../../lib/weights/safetensors.ts";
import { type StateDict, UnsafePickleError } from "../../lib/weights/state_dict.ts";
import { readTorchZip } from "../../lib/weights/torch_zip.ts";

const DIR = new URL("../testdata/weights/", import.meta.url);
const path = (name: string) => new URL(name, DIR).pathname;

interface Expected {
  shape: number[];
  dtype: string;
  values: (number | string)[];
}
const EXPECTED: Record<string, Expected> = JSON.parse(
  await Deno.readTextFile(path("small.json")),
);

/** Asserts `dict` holds exactly the fixture's tensors, in order, bit-for-bit. */
function assertMatchesFixture(dict: StateDict) {
  assertEquals([...dict.keys()], Object.keys(EXPECTED));
  for (const [key, want] of Object.entries(EXPECTED)) {
    const got = dict.get(key)!;
    assertEquals(got.dtype, want.dtype, key);
    assertEquals([...got.shape], want.shape, key);
    const values = Array.from(
      got.data as ArrayLike<number | bigint>,
      (v) => typeof v === "bigint" ? v.toString() : v,
    );
    assertEquals(values, want.values, key);
  }
}

Deno.test("readTorchZip() reads every dtype, views and a Parameter saved by torch 1.13 exactly", async () => {
  assertMatchesFixture(readTorchZip(await Deno.readFile(path("small.pth")), "small.pth"));
});

Deno.test("readTorchZip() reads a pickle protocol 4 file (FRAME, MEMOIZE, STACK_GLOBAL) exactly", async () => {
  assertMatchesFixture(readTorchZip(await Deno.readFile(path("small_p4.pth")), "small_p4.pth"));
});

Deno.test("readTorchZip() copies a transposed view and an offset slice to row-major order", async () => {
  const dict = readTorchZip(await Deno.readFile(path("small.pth")), "small.pth");
  const base = dict.get("base")!.data as Float32Array;
  const t = dict.get("transposed")!.data as Float32Array;
  const o = dict.get("offset")!.data as Float32Array;
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 3; j++) assertEquals(t[i * 3 + j], base[j * 4 + i]);
  }
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 2; j++) assertEquals(o[i * 2 + j], base[(i + 1) * 4 + j + 1]);
  }
});

Deno.test("readSafetensors() reads the same tensors in file order exactly", async () => {
  assertMatchesFixture(
    readSafetensors(await Deno.readFile(path("small.safetensors")), "small.safetensors"),
  );
});

Deno.test("writeSafetensors() output reads back identically and matches the Python-written bytes", async () => {
  const original = await Deno.readFile(path("small.safetensors"));
  const dict = readSafetensors(original, "small.safetensors");
  const bytes = writeSafetensors(dict, { metadata: { format: "pt", note: "fixture" } });
  assertMatchesFixture(readSafetensors(bytes, "written"));
  assertEquals(bytes, original);
});

Deno.test("loadStateDict() chooses the reader by extension", async () => {
  assertMatchesFixture(await loadStateDict(path("small.pth")));
  assertMatchesFixture(await loadStateDict(path("small.safetensors")));
  await assertRejects(
    () => loadStateDict(path("small.json")),
    RangeError,
    "unknown weights format",
  );
  await assertRejects(() => loadStateDict(path("missing.pth")), Error, "no such file");
});

Deno.test("loadStateDict() refuses pickles that name os.system, posix.system or builtins.eval", async (t) => {
  for (
    const [file, global] of [
      ["evil_os_system.pth", "os.system"],
      ["evil_posix_system.pth", "posix.system"],
      ["evil_builtins_eval.pth", "builtins.eval"],
    ]
  ) {
    await t.step(global!, async () => {
      const error = await assertRejects(
        () => loadStateDict(path(file!)),
        UnsafePickleError,
        global,
      );
      assertEquals(error.global, global);
      assertStringIncludes(error.message, file!);
    });
  }
});

Deno.test("loadStateDict() refuses a whole pickled module, naming its class", async () => {
  const error = await assertRejects(
    () => loadStateDict(path("module.pth")),
    UnsafePickleError,
    "torch.nn.modules.linear.Linear",
  );
  assertEquals(error.global, "torch.nn.modules.linear.Linear");
});

Deno.test("readTorchZip() explains a legacy (non-zip) torch file", async () => {
  assertThrows(
    () => readTorchZip(Deno.readFileSync(path("legacy.pth")), "legacy.pth"),
    SyntaxError,
    "Cannot read legacy.pth: legacy (pre-1.6, non-zip) torch.save format",
  );
  await Promise.resolve();
});

Deno.test("readSafetensors() rejects a header that points past the end, naming file and tensor", async () => {
  const error = assertThrows(
    () => readSafetensors(Deno.readFileSync(path("past_end.safetensors")), "past_end.safetensors"),
    SyntaxError,
    'Cannot read past_end.safetensors: tensor "weight": data_offsets [0, 64] point past the end',
  );
  assert(!error.message.includes("\n"));
  await Promise.resolve();
});

Deno.test("readSafetensors() rejects a header length beyond the file and bad dtypes", () => {
  const bytes = new Uint8Array(16);
  new DataView(bytes.buffer).setBigUint64(0, 1000n, true);
  assertThrows(
    () => readSafetensors(bytes, "short.safetensors"),
    SyntaxError,
    "header length 1000 exceeds",
  );
  const header = new TextEncoder().encode('{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}');
  const file = new Uint8Array(8 + header.length + 8);
  new DataView(file.buffer).setBigUint64(0, BigInt(header.length), true);
  file.set(header, 8);
  assertThrows(
    () => readSafetensors(file, "c.safetensors"),
    SyntaxError,
    'tensor "a": unsupported dtype "C64"',
  );
});

Deno.test("readTorchZip() rejects a truncated pickle and a missing storage file", async () => {
  const files = unzipSync(await Deno.readFile(path("small.pth")));
  const pickle = files["small/data.pkl"]!;
  const truncated = zipSync({ ...files, "small/data.pkl": pickle.subarray(0, pickle.length - 40) });
  assertThrows(
    () => readTorchZip(truncated, "cut.pth"),
    SyntaxError,
    "Cannot read cut.pth: small/data.pkl: byte",
  );
  const { ["small/data/3"]: _dropped, ...rest } = files;
  assertThrows(
    () => readTorchZip(zipSync(rest), "holes.pth"),
    SyntaxError,
    'Cannot read holes.pth: storage file "small/data/3" is missing',
  );
});
