// Loads build/test/dfa.wasm (engine-as/test/dfa.entry.ts) and wraps it for tests and benchmarks.

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const WASM = join(root, "build", "test", "dfa.wasm");
const SOURCES = [join(root, "engine-as", "src", "dfa.ts"), join(root, "engine-as", "test", "dfa.entry.ts")];

interface Exports {
  memory: WebAssembly.Memory;
  alloc(n: number): number;
  free(p: number): void;
  validate(p: number, n: number): number;
  isMatch(d: number, t: number, n: number): number;
  isMatchRepeat(d: number, t: number, n: number, times: number): number;
  find(f: number, r: number, t: number, n: number, from: number): bigint;
  findAll(f: number, r: number, t: number, n: number, out: number, max: number): number;
}

/** Builds build/test/dfa.wasm when it is missing or older than its sources (same flags as scripts/build.mjs). */
export function ensureWasm(): void {
  const stale = !existsSync(WASM) || SOURCES.some((s) => statSync(s).mtimeMs > statSync(WASM).mtimeMs);
  if (!stale) return;
  execFileSync(
    join(root, "node_modules", ".bin", "asc"),
    ["engine-as/test/dfa.entry.ts", "-O2", "--runtime", "minimal", "--enable", "simd", "--enable", "bulk-memory", "-o", "build/test/dfa.wasm"],
    { cwd: root, stdio: ["ignore", "inherit", "inherit"] },
  );
}

export class DfaWasm {
  readonly x: Exports;

  constructor() {
    ensureWasm();
    const mod = new WebAssembly.Module(readFileSync(WASM));
    this.x = new WebAssembly.Instance(mod, { env: { abort: () => { throw new Error("abort"); } } }).exports as unknown as Exports;
  }

  /** Copies bytes into Wasm memory (8-byte aligned, as in a bundle); free the result after use. */
  put(bytes: Uint8Array): number {
    const p = this.x.alloc(Math.max(bytes.length, 1));
    new Uint8Array(this.x.memory.buffer).set(bytes, p);
    return p;
  }

  validate(blob: Uint8Array): boolean {
    const p = this.put(blob);
    try {
      return this.x.validate(p, blob.length) !== 0;
    } finally {
      this.x.free(p);
    }
  }

  isMatch(blob: Uint8Array, text: Uint8Array): boolean {
    const d = this.put(blob);
    const t = this.put(text);
    try {
      return this.x.isMatch(d, t, text.length) !== 0;
    } finally {
      this.x.free(t);
      this.x.free(d);
    }
  }

  findAll(fwd: Uint8Array, rev: Uint8Array, text: Uint8Array): [number, number][] {
    const f = this.put(fwd);
    const r = this.put(rev);
    const t = this.put(text);
    const max = text.length + 2;
    const out = this.x.alloc(max * 8);
    try {
      const n = this.x.findAll(f, r, t, text.length, out, max);
      const v = new Uint32Array(this.x.memory.buffer, out, n * 2);
      const res: [number, number][] = [];
      for (let i = 0; i < n; i++) res.push([v[2 * i], v[2 * i + 1]]);
      return res;
    } finally {
      for (const p of [out, t, r, f]) this.x.free(p);
    }
  }
}
