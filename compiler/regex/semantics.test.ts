// Differential tests: the DFAs must match exactly like Go's regexp (MatchString and FindAllStringIndex),
// through the TS reference interpreter and through the Wasm runner (build/test/dfa.wasm).

import { beforeAll, describe, expect, it } from "vitest";
import { type Case, DLP_PATTERNS, INVALID_UTF8, SECRETS, SEMANTICS, SHARED_INPUTS, SHARED_RAW } from "../../test/regex/corpus.ts";
import { type GoAnswer, askGo, haveGo } from "../../test/regex/go.ts";
import { randomInput, randomPattern, rng } from "../../test/regex/random.ts";
import { DfaWasm } from "../../test/regex/wasm.ts";
import { compileAnyOf, compileRegex, findAll, isMatch } from "./index.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

interface Pair {
  p: string;
  s: Uint8Array;
}

function pairsOf(cases: Case[]): Pair[] {
  const out: Pair[] = [];
  for (const c of cases) {
    for (const s of [...c.in, ...SHARED_INPUTS]) out.push({ p: c.p, s: enc(s) });
    for (const s of [...(c.raw ?? []), ...SHARED_RAW]) out.push({ p: c.p, s: latin1(s) });
  }
  return out;
}

const compiled = new Map<string, { forward: Uint8Array; reverse: Uint8Array }>();
function dfas(p: string) {
  let c = compiled.get(p);
  if (!c) compiled.set(p, (c = compileRegex(p)));
  return c;
}

function show(x: Pair): string {
  return `${JSON.stringify(x.p)} on ${JSON.stringify(Buffer.from(x.s).toString("latin1"))}`;
}

/** Compares every pair through the TS interpreter (and Wasm if given); returns the mismatches. */
function compare(pairs: Pair[], answers: GoAnswer[], wasm?: DfaWasm): string[] {
  const bad: string[] = [];
  pairs.forEach((x, i) => {
    const a = answers[i];
    if (a.err) {
      bad.push(`${show(x)}: Go rejects it: ${a.err}`);
      return;
    }
    const { forward, reverse } = dfas(x.p);
    const want = JSON.stringify({ m: a.m, idx: a.idx });
    const ts = JSON.stringify({ m: isMatch(forward, x.s), idx: findAll(forward, reverse, x.s) });
    if (ts !== want) bad.push(`${show(x)}: Go ${want}, TS ${ts}`);
    if (wasm) {
      const w = JSON.stringify({ m: wasm.isMatch(forward, x.s), idx: wasm.findAll(forward, reverse, x.s) });
      if (w !== want) bad.push(`${show(x)}: Go ${want}, Wasm ${w}`);
    }
  });
  return bad;
}

const go = haveGo();
if (!go) console.warn("regex differential tests skipped: `go` is not on PATH (Go's regexp is the reference)");

describe.skipIf(!go)("matches exactly like Go's regexp", () => {
  let wasm: DfaWasm;
  beforeAll(() => {
    wasm = new DfaWasm();
  });

  for (const [name, cases] of [
    ["secret scanner patterns (DLP)", SECRETS],
    ["priorities, anchors, boundaries, classes, folding", SEMANTICS],
    ["invalid UTF-8 read as U+FFFD", INVALID_UTF8],
  ] as const) {
    it(`corpus: ${name}`, () => {
      const pairs = pairsOf(cases);
      expect(pairs.length).toBeGreaterThan(cases.length);
      expect(compare(pairs, askGo(pairs), wasm)).toEqual([]);
    });
  }

  it("the corpus has a few hundred pairs", () => {
    expect(pairsOf([...SECRETS, ...SEMANTICS, ...INVALID_UTF8]).length).toBeGreaterThan(400);
  });

  for (const seed of [1, 2, 3]) {
    it(`random patterns and inputs, seed ${seed}`, () => {
      const r = rng(seed);
      const pairs: Pair[] = [];
      let skipped = 0;
      for (let i = 0; i < 60; i++) {
        const p = randomPattern(r);
        try {
          dfas(p);
        } catch (e) {
          // Random patterns can be over the state limit; that limit has its own tests.
          expect((e as Error).message).toMatch(/pattern too large/);
          skipped++;
          continue;
        }
        for (let j = 0; j < 8; j++) pairs.push({ p, s: randomInput(r) });
      }
      expect(skipped).toBeLessThan(10);
      expect(compare(pairs, askGo(pairs), wasm)).toEqual([]);
    });
  }

  it("long inputs (the runner's four-stream scan), with matches near segment ends", () => {
    const r = rng(99);
    const patterns = [
      "[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}",
      "\\b\\d{3}-\\d{2}-\\d{4}\\b",
      "a[^x]*b",
      "q[^q]{200}z",
      "\\x{FFFD}{2}",
      "(?m)^bc$",
      "ab+c",
    ];
    const pairs: Pair[] = [];
    for (const p of patterns) {
      for (let k = 0; k < 12; k++) {
        const chunks: Uint8Array[] = [];
        for (let n = 0; n < 1200 + k * 300; ) {
          const c = randomInput(r, 40);
          chunks.push(c);
          n += c.length;
        }
        // Plant pieces of a match around the quarter points of the text.
        const t = Buffer.concat(chunks);
        const q = t.length >> 2;
        if (k % 3 === 1 && t.length > 8) t.write("bob@ex.com 123-45-6789 abbbc\nbc\n", Math.max(0, q - 5 - (k % 7)));
        if (k % 3 === 2 && t.length > 8) t.write("a", q - 40);
        pairs.push({ p, s: Uint8Array.from(t) });
      }
    }
    expect(pairs.some((x) => x.s.length >= 2048)).toBe(true);
    expect(compare(pairs, askGo(pairs), wasm)).toEqual([]);
  });

  it("long inputs whose only match straddles a segment boundary of the four-stream scan", () => {
    const cases: [string, string][] = [
      ["[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}", "first.last@example.com"],
      ["ab{10}c", "abbbbbbbbbbc"],
      ["\\b\\d{3}-\\d{2}-\\d{4}\\b", "123-45-6789"],
      ["(?m)^xyz$", "\nxyz\n"],
      ["q[^q]{200}z", "q" + "-".repeat(200) + "z"],
    ];
    const pairs: Pair[] = [];
    for (const [p, needle] of cases) {
      for (const len of [1024, 4000, 4003]) {
        const q = len >> 2;
        for (const at of [q, 2 * q, 3 * q]) {
          for (const d of [-needle.length, -needle.length + 1, -5, -1, 0, 1, 3]) {
            const t = Buffer.alloc(len, " ");
            const pos = Math.max(0, Math.min(len - needle.length, at + d));
            t.write(needle, pos);
            pairs.push({ p, s: Uint8Array.from(t) });
          }
        }
        // The needle cut short at a boundary: no match anywhere.
        const t = Buffer.alloc(len, " ");
        t.write(needle.slice(0, -1), q - 3);
        pairs.push({ p, s: Uint8Array.from(t) });
      }
    }
    expect(compare(pairs, askGo(pairs), wasm)).toEqual([]);
  });

  it("the any-of DFA answers like Go's MatchString of each pattern", () => {
    const patterns = DLP_PATTERNS;
    const any = compileAnyOf(patterns);
    const texts = [...SECRETS.flatMap((c) => c.in), ...SHARED_INPUTS, "nothing to see", "x".repeat(3000) + "bob@ex.com"];
    const pairs = patterns.flatMap((p) => texts.map((t) => ({ p, s: enc(t) })));
    const answers = askGo(pairs);
    texts.forEach((t, j) => {
      const want = patterns.some((_, i) => answers[i * texts.length + j].m);
      expect(isMatch(any, enc(t)), t).toBe(want);
      expect(wasm.isMatch(any, enc(t)), t).toBe(want);
    });
  });
});
