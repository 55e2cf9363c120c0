// The DFA blob format: compiler output validates; corrupt blobs are refused by the TS validator and by the
// Wasm runner's dfaValidate alike; whatever a validator accepts runs without trapping.

import { beforeAll, describe, expect, it } from "vitest";
import { DLP_PATTERNS } from "../../test/regex/corpus.ts";
import { rng } from "../../test/regex/random.ts";
import { DfaWasm } from "../../test/regex/wasm.ts";
import { compileAnyOf, compileRegex, findAll, isMatch, validate } from "./index.ts";
import { HEADER, MAGIC, TABLE } from "./serialize.ts";

const enc = (s: string) => new TextEncoder().encode(s);

function field(blob: Uint8Array, off: number): number {
  return new DataView(blob.buffer, blob.byteOffset).getUint32(off, true);
}

function withField(blob: Uint8Array, off: number, value: number, size = 4): Uint8Array {
  const b = blob.slice();
  const v = new DataView(b.buffer);
  if (size === 2) v.setUint16(off, value, true);
  else if (size === 1) v.setUint8(off, value);
  else v.setUint32(off, value, true);
  return b;
}

describe("DFA blobs", () => {
  let wasm: DfaWasm;
  beforeAll(() => {
    wasm = new DfaWasm();
  });

  const good = compileRegex("\\b\\d{3}-\\d{2}-\\d{4}\\b|é+");

  it("compiler output is valid, 4-byte aligned and self-describing", () => {
    for (const blob of [good.forward, good.reverse, compileAnyOf(DLP_PATTERNS.slice(0, 3)), compileRegex("").forward]) {
      expect(validate(blob)).toBe(true);
      expect(wasm.validate(blob)).toBe(true);
      expect(field(blob, 0)).toBe(MAGIC);
      expect(field(blob, 8)).toBe(blob.length);
      expect(blob.length % 4).toBe(0);
      const C = field(blob, 16);
      expect(field(blob, 20)).toBe((C + 5) * 4);
      expect(blob.length).toBe(TABLE + field(blob, 12) * field(blob, 20));
    }
    expect(new DataView(good.forward.buffer).getUint16(6, true)).toBe(0);
    expect(new DataView(good.reverse.buffer).getUint16(6, true)).toBe(1);
  });

  it("match states sit above the dead state, which loops on itself", () => {
    const b = good.forward;
    const R = field(b, 20);
    const C = field(b, 16);
    const T = field(b, 24);
    for (let c = 0; c < C; c++) expect(field(b, TABLE + T + c * 4)).toBe(T);
    for (let s = 0; s < field(b, 12) * R; s += R) {
      const delay = field(b, TABLE + s + (C + 4) * 4);
      expect(delay > 0).toBe(s > T);
    }
  });

  const C = field(good.forward, 16);
  const R = field(good.forward, 20);
  const T = field(good.forward, 24);
  const corruptions: [string, (b: Uint8Array) => Uint8Array][] = [
    ["truncated", (b) => b.slice(0, b.length - 4)],
    ["longer than its length field", (b) => { const x = new Uint8Array(b.length + 4); x.set(b); return x; }],
    ["bad magic", (b) => withField(b, 0, 0x12345678)],
    ["unknown version", (b) => withField(b, 4, 2, 2)],
    ["unknown kind", (b) => withField(b, 6, 3, 2)],
    ["reserved field set", (b) => withField(b, 28, 1)],
    ["no classes", (b) => withField(b, 16, 0)],
    ["too many classes", (b) => withField(b, 16, 257)],
    ["row size not (classes + 5) * 4", (b) => withField(b, 20, R + 4)],
    ["no states", (b) => withField(b, 12, 0)],
    ["length field off", (b) => withField(b, 8, b.length - 4)],
    ["threshold not on a row", (b) => withField(b, 24, T + 4)],
    ["threshold past the table", (b) => withField(b, 24, field(b, 12) * R)],
    ["start state past the table", (b) => withField(b, 40, field(b, 12) * R)],
    ["start state not on a row", (b) => withField(b, 32, 8)],
    ["class map entry out of range", (b) => withField(b, HEADER + 0x41, C, 1)],
    ["transition past the table", (b) => withField(b, TABLE, field(b, 12) * R)],
    ["transition not on a row", (b) => withField(b, TABLE + 4, R + 4)],
    ["dead state escapes", (b) => withField(b, TABLE + T, 0)],
    ["end-of-scan value too large", (b) => withField(b, TABLE + C * 4, 5)],
    ["dead state matches at the end", (b) => withField(b, TABLE + T + C * 4, 1)],
    ["match state without a delay", (b) => withField(b, TABLE + T + R + (C + 4) * 4, 0)],
    ["non-match state with a delay", (b) => withField(b, TABLE + (C + 4) * 4, 1)],
  ];

  for (const [name, corrupt] of corruptions) {
    it(`refuses a blob: ${name}`, () => {
      const b = corrupt(good.forward);
      expect(validate(b)).toBe(false);
      expect(wasm.validate(b)).toBe(false);
    });
  }

  it("refuses an any-of blob whose match state can be left (its runner checks every few bytes)", () => {
    const any = compileAnyOf(["abc", "x\\d+y"]);
    expect(validate(any)).toBe(true);
    const T = field(any, 24);
    const bad = withField(any, TABLE + T + field(any, 20), 0); // first class of the match state -> state 0
    expect(validate(bad)).toBe(false);
    expect(wasm.validate(bad)).toBe(false);
    // The same change in a forward blob is fine: forward match states lead on.
    const fT = field(good.forward, 24);
    expect(validate(withField(good.forward, TABLE + fT + R, 0))).toBe(true);
  });

  it("the Wasm validator refuses a misaligned blob", () => {
    const p = wasm.x.alloc(good.forward.length + 8);
    new Uint8Array(wasm.x.memory.buffer).set(good.forward, p + 1);
    expect(wasm.x.validate(p + 1, good.forward.length)).toBe(0);
    wasm.x.free(p);
  });

  it("random corruption: both validators agree, and accepted blobs run without trapping", () => {
    const r = rng(5);
    const text = enc("SSN 123-45-6789, café, \u00e9\u00e9 and more text 987-65-4321 é");
    let accepted = 0;
    for (let i = 0; i < 400; i++) {
      const b = good.forward.slice();
      const v = new DataView(b.buffer);
      const S = field(b, 12);
      const flips = 1 + Math.floor(r() * 3);
      for (let k = 0; k < flips; k++) {
        const kind = r();
        if (kind < 0.25) {
          // Any byte anywhere: mostly refused.
          b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
        } else if (kind < 0.6) {
          // A transition to another (valid) state: a different automaton that validates.
          const row = Math.floor(r() * S) * R;
          v.setUint32(TABLE + row + Math.floor(r() * C) * 4, Math.floor(r() * S) * R, true);
        } else if (kind < 0.8) {
          b[HEADER + Math.floor(r() * 256)] = Math.floor(r() * C);
        } else {
          const row = Math.floor(r() * S) * R;
          v.setUint32(TABLE + row + (C + Math.floor(r() * 5)) * 4, Math.floor(r() * 6), true);
        }
      }
      const ok = validate(b);
      expect(wasm.validate(b)).toBe(ok);
      if (!ok) continue;
      accepted++;
      wasm.isMatch(b, text);
      for (const [s, e] of wasm.findAll(b, good.reverse, text)) {
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(e);
        expect(e).toBeLessThanOrEqual(text.length);
      }
    }
    expect(accepted).toBeGreaterThan(50);
  });

  it("the TS interpreter and the Wasm runner agree on any-of blobs over long texts", () => {
    const any = compileAnyOf(DLP_PATTERNS);
    const r = rng(11);
    for (let i = 0; i < 20; i++) {
      const parts: string[] = [];
      for (let n = 0; n < 3000; n += 10) parts.push(["lorem ", "ipsum ", "x@y", ".com ", "4111 ", "AKIA", "ghp_", "é ", "\n"][Math.floor(r() * 9)]);
      const t = enc(parts.join(""));
      expect(wasm.isMatch(any, t)).toBe(isMatch(any, t));
    }
    const single = compileRegex(DLP_PATTERNS[7]);
    const t = enc("a".repeat(5000) + " b@c.de " + "x".repeat(3000));
    expect(wasm.findAll(single.forward, single.reverse, t)).toEqual(findAll(single.forward, single.reverse, t));
  });
});
