// Loads the normalization test harness (engine-as/test/normalize.entry.ts, built to
// build/test/normalize.wasm by scripts/build.mjs; built here if missing) and wraps its exports.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const wasmFile = join(root, "build", "test", "normalize.wasm");

interface Exports {
  memory: WebAssembly.Memory;
  alloc(size: number): number;
  free(ptr: number): void;
  normalize(src: number, len: number, dst: number): number;
  maxLen(len: number): number;
  normalizeBatch(src: number, starts: number, count: number, dst: number, lens: number): void;
  valid(p: number, len: number): number;
  decode(p: number, end: number): number;
  encode(dst: number, cp: number): number;
  repeat(src: number, len: number, dst: number, times: number): number;
}

function build(): void {
  const bin = (name: string) => join(root, "node_modules", ".bin", name);
  mkdirSync(dirname(wasmFile), { recursive: true });
  execFileSync(bin("tsx"), [join(root, "engine-as", "gen", "unicode.ts")], { cwd: root, stdio: "ignore" });
  // The flags scripts/build.mjs uses for test harness modules.
  const flags = ["--runtime", "minimal", "--enable", "simd", "--enable", "bulk-memory", "-O2"];
  execFileSync(bin("asc"), ["engine-as/test/normalize.entry.ts", ...flags, "-o", wasmFile], { cwd: root, stdio: "ignore" });
}

export class Harness {
  readonly x: Exports;
  private cap = 0;
  src = 0;
  dst = 0;

  constructor() {
    if (!existsSync(wasmFile)) build();
    const abort = () => {
      throw new Error("engine abort");
    };
    const module = new WebAssembly.Module(readFileSync(wasmFile));
    this.x = new WebAssembly.Instance(module, { env: { abort } }).exports as unknown as Exports;
    this.reserve(1 << 12);
  }

  get bytes(): Uint8Array {
    return new Uint8Array(this.x.memory.buffer);
  }

  /** Input and output buffers for names of up to len bytes (output: maxLen(len) plus guard bytes). */
  reserve(len: number): void {
    if (len <= this.cap) return;
    if (this.cap) {
      this.x.free(this.src);
      this.x.free(this.dst);
    }
    this.cap = len;
    this.src = this.x.alloc(len);
    this.dst = this.x.alloc(this.x.maxLen(len) + 64);
  }

  /** Normalized bytes of the UTF-8 input, or null when the engine reports invalid UTF-8. */
  normalizeBytes(input: Uint8Array): Uint8Array | null {
    this.reserve(input.length);
    this.bytes.set(input, this.src);
    const n = this.x.normalize(this.src, input.length, this.dst);
    return n < 0 ? null : this.bytes.slice(this.dst, this.dst + n);
  }

  normalize(name: string): string | null {
    const out = this.normalizeBytes(Buffer.from(name, "utf8"));
    return out === null ? null : Buffer.from(out).toString("utf8");
  }

  /** Normalizes many names in one engine call. */
  normalizeMany(names: string[]): string[] {
    const inputs = names.map((s) => Buffer.from(s, "utf8"));
    const total = inputs.reduce((n, b) => n + b.length, 0);
    const src = this.x.alloc(total + 1);
    const starts = this.x.alloc(4 * (names.length + 1));
    const lens = this.x.alloc(4 * names.length);
    const dst = this.x.alloc(this.x.maxLen(total) + 1);
    const bytes = this.bytes;
    const view = new DataView(this.x.memory.buffer);
    let off = 0;
    inputs.forEach((b, i) => {
      bytes.set(b, src + off);
      view.setUint32(starts + 4 * i, off, true);
      off += b.length;
    });
    view.setUint32(starts + 4 * names.length, off, true);
    this.x.normalizeBatch(src, starts, names.length, dst, lens);
    const mem = Buffer.from(this.x.memory.buffer);
    const out: string[] = [];
    let at = dst;
    for (let i = 0; i < names.length; i++) {
      const n = mem.readInt32LE(lens + 4 * i);
      if (n < 0) throw new Error(`invalid UTF-8 at name ${i}`);
      out.push(mem.toString("utf8", at, at + n));
      at += n;
    }
    for (const p of [src, starts, lens, dst]) this.x.free(p);
    return out;
  }
}
