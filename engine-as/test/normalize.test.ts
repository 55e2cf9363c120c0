// Name normalization in the engine (engine-as/src/normalize.ts) against a plain-JS reference of aip-go's
// NormalizeName (engine-as/test/normalize/reference.ts), and against outputs recorded from Go.

import { beforeAll, describe, expect, it } from "vitest";
import { Harness } from "./normalize/wasm.ts";
import { referenceNormalize } from "./normalize/reference.ts";
import { rng } from "../gen/check.ts";

let h: Harness;
beforeAll(() => {
  h = new Harness();
});

const cp = (...cps: number[]) => String.fromCodePoint(...cps);
const hexOf = (s: string) => Array.from(s, (c) => c.codePointAt(0)!.toString(16)).join(" ");

/** "61 301*3" -> "a\u0301\u0301\u0301" */
function seq(spec: string): string {
  return spec
    .split(" ")
    .flatMap((part) => {
      const [c, n = "1"] = part.split("*");
      return Array<string>(Number(n)).fill(cp(parseInt(c, 16)));
    })
    .join("");
}

describe("AIP conformance cases (full/normalization.yaml)", () => {
  // The tool of each norm-* vector, its normalized form, the policy's name and whether the two match
  // (ALLOW for allowed_tools, BLOCK for `action: block` rules; no match is BLOCK by default deny).
  const cases: [id: string, tool: string, normalized: string, policyName: string, match: boolean][] = [
    ["norm-001", "READ_FILE", "read_file", "read_file", true],
    ["norm-002", "Delete_File", "delete_file", "delete_file", true],
    ["norm-010", "ｄｅｌｅｔｅ＿ｆｉｌｅ", "delete_file", "delete_file", true],
    ["norm-011", "ｅｘｅｃ＿ｃｏｍｍａｎｄ", "exec_command", "exec_command", true],
    ["norm-020", "ﬁle_read", "file_read", "file_read", true],
    ["norm-021", "ﬂow_control", "flow_control", "flow_control", true],
    ["norm-030", "delete\u200Bfile", "deletefile", "delete_file", false],
    ["norm-031", "exec\u200Ccommand", "execcommand", "exec_command", false],
    ["norm-032", "\uFEFFsafe_tool", "safe_tool", "safe_tool", true],
    ["norm-040", "tool²", "tool2", "tool2", true],
    ["norm-050", "  read_file  ", "read_file", "read_file", true],
    ["norm-051", "\u2003read_file\u2003", "read_file", "read_file", true],
    ["norm-060", "d\u0435l\u0435t\u0435_fil\u0435", "d\u0435l\u0435t\u0435_fil\u0435", "delete_file", false],
  ];
  it.each(cases)("%s %j", (_id, tool, normalized, policyName, match) => {
    expect(h.normalize(tool)).toBe(normalized);
    expect(referenceNormalize(tool)).toBe(normalized);
    expect(h.normalize(tool) === h.normalize(policyName)).toBe(match);
  });

  it("trims before it strips, and keeps Go's lowercase", () => {
    expect(h.normalize("\u200B read_file")).toBe(" read_file"); // no match: fails closed
    expect(h.normalize("read_file \u200B")).toBe("read_file ");
    expect(h.normalize("\u00A0read_file\u3000")).toBe("read_file");
    expect(h.normalize("read\u3000file")).toBe("read file");
    expect(h.normalize("\u0000 read\tfile\u007F")).toBe(" readfile");
    expect(h.normalize("\u0130STANBUL")).toBe("istanbul");
    expect(h.normalize("ΟΔΟΣ")).toBe("οδοσ");
    expect(h.normalize("ＴＯＯＬＳ／ＣＡＬＬ")).toBe("tools/call");
    expect(h.normalize("\u212Aelvin")).toBe("kelvin");
    expect(h.normalize("")).toBe("");
    expect(h.normalize(" \t\u2028 ")).toBe("");
  });
});

describe("against the JS reference", () => {
  it("every code point U+0000..U+10FFFF (surrogates excepted)", () => {
    let checked = 0;
    const mismatches: string[] = [];
    for (let base = 0; base <= 0x10ffff; base += 0x10000) {
      const names: string[] = [];
      for (let c = base; c < base + 0x10000; c++) if (c < 0xd800 || c > 0xdfff) names.push(cp(c));
      const got = h.normalizeMany(names);
      names.forEach((name, i) => {
        const want = referenceNormalize(name);
        if (got[i] !== want) mismatches.push(`U+${hexOf(name)}: ${hexOf(got[i])} != ${hexOf(want)}`);
      });
      checked += names.length;
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
    expect(checked).toBe(0x110000 - 0x800);
  });

  // Code points that exercise every part of the pipeline; strings are kept short enough (or broken up by
  // ASCII often enough) that no run of 30 non-starters forms, where Go and the engine add a CGJ.
  const marks = Array.from({ length: 0x2000 }, (_, i) => i).filter((c) => /\p{M}/u.test(cp(c)));
  const pools: number[][] = [
    Array.from({ length: 95 }, (_, i) => 0x20 + i), // printable ASCII
    [0x00, 0x09, 0x0a, 0x0d, 0x1f, 0x7f, 0x85, 0xa0, 0xad, 0x1680, 0x2003, 0x200a, 0x200b, 0x200c, 0x200d,
      0x2028, 0x2029, 0x202f, 0x205f, 0x2060, 0x3000, 0xfeff, 0xe000, 0xf0000], // white space, invisibles
    marks,
    [0x3099, 0x309a, 0x1d165, 0x1d16e, 0x110ba, 0x1133e, 0x11357, 0x0b3e, 0x0b56, 0x0b57, 0x0dcf, 0x0ddf],
    [...Array.from({ length: 19 }, (_, i) => 0x1100 + i), ...Array.from({ length: 21 }, (_, i) => 0x1161 + i),
      ...Array.from({ length: 28 }, (_, i) => 0x11a7 + i), 0xac00, 0xac01, 0xac1c, 0xd7a3, 0x3131, 0x314f,
      0xffa0, 0xffc2, 0x320e, 0x327f], // Hangul and its jamo
    Array.from({ length: 0x5e }, (_, i) => 0xff01 + i), // fullwidth ASCII
    [0xfb00, 0xfb01, 0xfb02, 0xfb03, 0xfb04, 0xfb05, 0xfb06, 0x0132, 0x01c4, 0x01c6, 0x1e9b, 0x017f], // ligatures
    [0xb2, 0xb9, 0x2070, 0x2074, 0x2089, 0x2160, 0x216b, 0x2460, 0x2474, 0x24b6, 0x3300, 0x33c0, 0x1d400,
      0x1d44e, 0x1d7ce, 0xfdfa, 0x212a, 0x212b, 0x2126, 0x1f100, 0x1f130, 0xf900, 0x2f800], // compatibility
    [0x130, 0x3a3, 0x3c2, 0x1e9e, 0xdf, 0x1f80, 0x1f88, 0x1fbc, 0x390, 0x3d3, 0x0410, 0x0435, 0x0456, 0x0419,
      0x00c5, 0x00e9, 0x0344, 0x0f73, 0x0f75, 0x0f77, 0x1fee], // case and composed letters
  ];

  it("random strings", () => {
    const rand = rng(20260121);
    const names: string[] = [];
    for (let n = 0; n < 20000; n++) {
      const long = n % 4 === 0;
      const len = 1 + rand(long ? 60 : 10);
      const cps: number[] = [];
      for (let i = 0; i < len; i++) {
        if (long && i % 9 === 8) cps.push(0x61 + rand(26));
        else if (rand(16) === 0) cps.push(rand(0x30000));
        else {
          const pool = pools[rand(pools.length)];
          cps.push(pool[rand(pool.length)]);
        }
      }
      names.push(cp(...cps.map((c) => (c >= 0xd800 && c <= 0xdfff ? 0x41 : c))));
    }
    const got = h.normalizeMany(names);
    const mismatches = names.filter((s, i) => got[i] !== referenceNormalize(s)).map(hexOf);
    expect(mismatches.slice(0, 10)).toEqual([]);
    expect(names.length).toBe(20000);
  });

  it("ASCII (fast path) with controls and white space", () => {
    const rand = rng(7);
    for (let n = 0; n < 5000; n++) {
      const name = Array.from({ length: rand(24) }, () => String.fromCharCode(rand(4) ? 0x20 + rand(95) : rand(0x80))).join("");
      expect(h.normalize(name)).toBe(referenceNormalize(name));
      // The same name through the general path: a leading dropped non-ASCII code point changes nothing
      // when the name starts with a non-space.
      if (name && !/^[\t\n\v\f\r ]/.test(name)) expect(h.normalize("\u200B" + name)).toBe(referenceNormalize(name));
    }
  });
});

describe("Go x/text", () => {
  // After 30 non-starters in a row Go's NFKC inserts U+034F COMBINING GRAPHEME JOINER (UAX #15 stream-safe
  // format); JS does not. Expected values were produced by aip-go's pipeline (x/text v0.33.0).
  const cases: [input: string, go: string][] = [
    ["61 301*30", "e1 301*29"],
    ["61 301*31", "e1 301*29 34f 301"],
    ["61 301*40", "e1 301*29 34f 301*10"],
    ["61 305*40", "61 305*30 34f 305*10"],
    ["301*31", "301*30 34f 301"],
    ["c0 301*30", "e0 301*29 34f 301"],
    ["1100 1161 11a8*35", "ac01 11a8*28 34f 11a8*6"],
    ["61 344*20", "e4 301 308 301 308 301 308 301 308 301 308 301 308 301 308 301 308 301 308 301 308 301 308 301 308 301 308 301 308 301 34f 308 301 308 301 308 301 308 301 308 301"],
    ["78 301*100 79", "78 301*30 34f 301*30 34f 301*30 34f 301*10 79"],
    ["61 323*20 302*20", "1ead 323*19 302*9 34f 302*10"],
  ];
  it.each(cases)("%s", (input, go) => {
    expect(hexOf(h.normalize(seq(input))!)).toBe(hexOf(seq(go)));
  });

  it("composes as UAX #15 where x/text does not (docs/normalization.md)", () => {
    // x/text keys pairs by the low 16 bits (Go: "á", "ĩ", U+1109A) ...
    expect(h.normalize("\u{20061}\u0301")).toBe("\u{20061}\u0301");
    expect(h.normalize("\u{E0069}\u0303")).toBe("\u0303");
    expect(h.normalize("\u1099\u{110BA}")).toBe("\u1099\u{110BA}");
    // ... and composes across a class-0 vowel sign (Go: "â\u0B3E\u035A").
    expect(h.normalize("a\u0B3E\u035A\u0302")).toBe("a\u0B3E\u035A\u0302");
    // The real pairs still compose.
    expect(h.normalize("a\u0301")).toBe("á");
    expect(h.normalize("\u{11099}\u{110BA}")).toBe("\u{1109A}");
    expect(h.normalize("\u0B47\u0B3E")).toBe("\u0B4B");
  });
});

describe("UTF-8", () => {
  const bad: number[][] = [
    [0x80], [0xbf], [0xc0, 0x80], [0xc1, 0xbf], [0xc2], [0xe0, 0x80, 0x80], [0xe0, 0x9f, 0xbf], [0xe2, 0x82],
    [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xf0, 0x8f, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80],
    [0xff], [0x61, 0x62, 0xfe], [0xe2, 0x28, 0xa1], [0xf0, 0x9f, 0x98],
  ];
  const good: number[][] = [
    [0x7f], [0xc2, 0x80], [0xdf, 0xbf], [0xe0, 0xa0, 0x80], [0xed, 0x9f, 0xbf], [0xee, 0x80, 0x80],
    [0xef, 0xbf, 0xbf], [0xf0, 0x90, 0x80, 0x80], [0xf4, 0x8f, 0xbf, 0xbf],
  ];

  it("invalid input returns -1, valid edge cases normalize", () => {
    for (const b of bad) expect(h.normalizeBytes(Uint8Array.from(b)), b.join(" ")).toBeNull();
    for (const b of bad) expect(h.normalizeBytes(Uint8Array.from([0x41, 0xc3, 0xa9, ...b, 0x41])), b.join(" ")).toBeNull();
    for (const b of good) expect(h.normalizeBytes(Uint8Array.from(b)), b.join(" ")).not.toBeNull();
  });

  it("validation agrees with a strict decoder on random bytes", () => {
    const strict = new TextDecoder("utf-8", { fatal: true });
    const rand = rng(99);
    let invalid = 0;
    for (let n = 0; n < 20000; n++) {
      const b = Uint8Array.from({ length: 1 + rand(8) }, () => (rand(3) ? 0x80 + rand(0x80) : rand(0x100)));
      let ok = true;
      try {
        strict.decode(b);
      } catch {
        ok = false;
      }
      h.bytes.set(b, h.src);
      expect(h.x.valid(h.src, b.length) === 1, Array.from(b).join(" ")).toBe(ok);
      expect(h.normalizeBytes(b) === null).toBe(!ok);
      if (!ok) invalid++;
    }
    expect(invalid).toBeGreaterThan(1000);
  });

  it("decodes and encodes every code point as Node does", () => {
    for (let c = 0; c <= 0x10ffff; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      const want = Buffer.from(cp(c), "utf8");
      const n = h.x.encode(h.src, c);
      const mem = h.bytes;
      if (n !== want.length || !want.equals(mem.subarray(h.src, h.src + n))) throw new Error(`encode U+${c.toString(16)}`);
      if (h.x.decode(h.src, h.src + n) >>> 0 !== (c | (n << 24)) >>> 0) throw new Error(`decode U+${c.toString(16)}`);
    }
  });
});

describe("bounds", () => {
  it("output never exceeds normalizeMaxLen and nothing is written past it", () => {
    const worst = ["\uFDFA", "\u3300", "\u33C0", "\u2474", "\u1F88", "\u0390", "\uFB03", "\u0344", "\u0F77", "\u{2FA1D}"];
    const rand = rng(5);
    const names = [...worst, ...worst.map((s) => s.repeat(50)), "\uFDFA".repeat(1000), seq("61 301*300")];
    for (let n = 0; n < 2000; n++) names.push(Array.from({ length: 1 + rand(20) }, () => worst[rand(worst.length)]).join(""));
    for (const name of names) {
      const input = Buffer.from(name, "utf8");
      h.reserve(input.length);
      const max = h.x.maxLen(input.length);
      h.bytes.fill(0xee, h.dst + max, h.dst + max + 64);
      const out = h.normalizeBytes(input)!;
      expect(out.length).toBeLessThanOrEqual(max);
      expect(h.bytes.subarray(h.dst + max, h.dst + max + 64).every((b) => b === 0xee)).toBe(true);
    }
  });

  it("allocates nothing per call", () => {
    h.reserve(1 << 16);
    const before = h.x.memory.buffer.byteLength;
    const input = Buffer.from("Ｒｅａｄ\u0301_ﬁle\u200B " + "\u0301".repeat(50) + "가\u11A8", "utf8");
    h.bytes.set(input, h.src);
    for (let i = 0; i < 100000; i++) h.x.normalize(h.src, input.length, h.dst);
    expect(h.x.memory.buffer.byteLength).toBe(before);
  });
});
