// Checks the packed tables before they are emitted: a TypeScript port of the engine's NFKC, reading only
// the packed tables, must reproduce String.prototype.normalize("NFKC") for every code point and for many
// random strings, and the per-code-point properties must read back as derived.

import { MAX_CP, UnicodeData, hex, isSurrogate } from "./derive.ts";
import { TableReader, Tables } from "./pack.ts";

interface Mark {
  cp: number;
  ccc: number;
  second: number;
}

/**
 * NFKC (UAX #15) over the packed tables, in the engine's steps: decompose, order marks by class, compose
 * each segment. The engine also inserts Go's stream-safe CGJ (engine-as/src/normalize.ts); that does not
 * depend on the tables and is tested against Go's output (engine-as/test/normalize.test.ts).
 */
export function portNfkc(r: TableReader, input: number[]): number[] {
  const out: number[] = [];
  let seg: Mark[] = [];
  const flush = () => {
    for (const m of composeSegment(r, seg)) out.push(m.cp);
    seg = [];
  };
  for (const cp of input) {
    const parts: number[] = [];
    r.decompose(cp, parts);
    for (const c of parts) {
      const cls = r.classOf(c);
      const m = { cp: c, ccc: TableReader.ccc(cls), second: TableReader.second(cls) };
      if (m.ccc === 0 && m.second === 0 && seg.length) flush();
      // Stable insertion by class; class 0 never moves and nothing moves past it.
      let i = seg.length;
      if (m.ccc) while (i > 0 && seg[i - 1].ccc > m.ccc) i--;
      seg.splice(i, 0, m);
    }
  }
  flush();
  return out;
}

/**
 * Canonical composition: a mark composes with the last starter unless a starter or a mark of the same or
 * higher class stands between them.
 */
function composeSegment(r: TableReader, seg: Mark[]): Mark[] {
  const res: Mark[] = [];
  let starter = -1;
  for (const m of seg) {
    const last = res.length - 1;
    if (starter >= 0 && m.second && (starter === last || (res[last].ccc !== 0 && res[last].ccc < m.ccc))) {
      const c = r.compose(res[starter].cp, m.cp, m.second);
      if (c) {
        res[starter] = { ...res[starter], cp: c };
        continue;
      }
    }
    if (m.ccc === 0) starter = res.length;
    res.push(m);
  }
  return res;
}

/** Small deterministic generator so a failing string can be reproduced: rng(seed)(n) is an integer below n. */
export function rng(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

const cpsOf = (s: string) => Array.from(s, (x) => x.codePointAt(0)!);
const show = (a: number[]) => a.map(hex).join(" ");

export function verify(u: UnicodeData, t: Tables): { codePoints: number; strings: number } {
  const r = new TableReader(t);
  let codePoints = 0;
  for (let c = 0; c <= MAX_CP; c++) {
    if (isSurrogate(c)) continue;
    const want = String.fromCodePoint(c).normalize("NFKC");
    const got = portNfkc(r, [c]);
    if (String.fromCodePoint(...got) !== want) {
      throw new Error(`NFKC(U+${hex(c)}): tables give ${show(got)}, Node gives ${show(cpsOf(want))}`);
    }
    if (u.nfkcStable[c]) {
      const cls = r.classOf(c);
      const lower = TableReader.lower(cls, c);
      if (lower !== u.lower[c] || TableReader.keep(cls) !== (u.keep[lower] === 1) || TableReader.ccc(cls) !== u.ccc[c]) {
        throw new Error(`properties of U+${hex(c)} read back wrong`);
      }
    }
    codePoints++;
  }

  // Random strings over the code points where normalization has work to do.
  const pools = [
    range(0x20, 0x7e),
    [...Array(MAX_CP + 1).keys()].filter((c) => u.ccc[c] !== 0),
    [...u.decomp.keys()],
    [...new Set(u.pairs.flatMap((p) => [p.first, p.second, p.composite]))],
    [...range(0x1100, 0x1112), ...range(0x1161, 0x1175), ...range(0x11a8, 0x11c2), ...range(0xac00, 0xac40), 0xd7a3],
    range(0xff01, 0xffee),
  ];
  const rand = rng(0x5eed);
  const strings = 20000;
  for (let n = 0; n < strings; n++) {
    const len = 1 + rand(12);
    const s: number[] = [];
    for (let i = 0; i < len; i++) {
      const pool = rand(8) < pools.length ? pools[rand(pools.length)] : null;
      let c = pool ? pool[rand(pool.length)] : rand(0x30000);
      if (isSurrogate(c)) c = 0x41;
      s.push(c);
    }
    const want = String.fromCodePoint(...s).normalize("NFKC");
    const got = String.fromCodePoint(...portNfkc(r, s));
    if (got !== want) throw new Error(`NFKC(${show(s)}): tables give ${show(cpsOf(got))}, Node gives ${show(cpsOf(want))}`);
  }
  return { codePoints, strings };
}

function range(a: number, b: number): number[] {
  const r: number[] = [];
  for (let c = a; c <= b; c++) r.push(c);
  return r;
}
