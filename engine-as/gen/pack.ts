// Packs the derived Unicode data into the compact tables the engine reads, and reads them back the way
// the engine does (TableReader), so the generator can check the packed form, not just the derived maps.
//
// Layout (every multi-byte value little-endian, as Wasm loads them):
//
// props: a four-level trie, code point -> class (u8); see buildTrie. A class is a u32 record:
//   bits 0..17  lowercase delta (signed), bit 18 keep-after-lowercase (L, M, N, P, S or U+0020),
//   bits 19..24 combining class rank, bits 25..31 composition "second" index (0: none, 127: Hangul V/T).
//   Classes of code points that never occur in NFKC output are free; they repeat the previous one.
//
// decomposition: two bitmap levels give the entry of a code point by counting set bits.
//   decPageIndex[cp >> 10] -> page record (0: no decompositions in these 1024 code points)
//   decPageBits[page]: which of its 32 chunks (32 code points each) have decompositions;
//   decPageBase[page]: number of the page's first chunk record
//   decChunkBits[chunk]: which code points of the chunk decompose; decChunkStart[chunk]: stream offset
//   The stream holds one entry per decomposing code point, in code point order:
//     0x01..0x3F n   TEXT: n bytes of UTF-8 follow, the full decomposition
//     0x40           NEXT: one code point, the previous entry's (single) code point + 1
//     0x80 | s, b    PAIR: primary composite = first + second; second = secondCp[s],
//                    first = pairFirst[list start + (b & 0x7F)] in plane (b >> 7); decompose first again
//
// composition: pairs grouped in lists by (second index, plane of first), sorted by first:
//   list l = second * 2 + plane covers pairFirst/pairComposite[pairStart[l] .. pairStart[l + 1]);
//   both hold the low 16 bits, the plane is the first's plane.

import { CP_COUNT, MAX_CP, UnicodeData, hex, isJamoT, isJamoV, isHangulSyllable, isSurrogate } from "./derive.ts";
import { S_BASE, L_BASE, V_BASE, T_BASE, L_COUNT, T_COUNT, V_COUNT } from "./derive.ts";

export const SECOND_HANGUL = 127;
const PAGE_SHIFT = 10;
const CHUNK_SHIFT = 5;

export interface Tables {
  propsShift0: number;
  propsShift1: number;
  propsShift2: number;
  propsL0: Uint16Array;
  propsL1: Uint16Array;
  propsL2: Uint16Array;
  propsL3: Uint8Array;
  classes: Uint32Array;
  /** No code point below decFirst or from decLimit on has a decomposition (Hangul syllables aside). */
  decFirst: number;
  decLimit: number;
  decPageIndex: Uint8Array;
  decPageBits: Uint32Array;
  decPageBase: Uint16Array;
  decChunkBits: Uint32Array;
  decChunkStart: Uint16Array;
  decStream: Uint8Array;
  secondCp: Uint32Array;
  pairStart: Uint16Array;
  pairFirst: Uint16Array;
  pairComposite: Uint16Array;
  /** Output bytes per input byte that normalizeName can need at most. */
  maxExpansion: number;
  /** Longest decomposition of one code point, in code points. */
  maxDecomposition: number;
}

export type TableName = Exclude<
  keyof Tables,
  "propsShift0" | "propsShift1" | "propsShift2" | "decFirst" | "decLimit" | "maxExpansion" | "maxDecomposition"
>;

export const TABLE_NAMES: TableName[] = [
  "propsL0", "propsL1", "propsL2", "propsL3", "classes",
  "decPageIndex", "decPageBits", "decPageBase", "decChunkBits", "decChunkStart", "decStream",
  "secondCp", "pairStart", "pairFirst", "pairComposite",
];

export function tablesSize(t: Tables): number {
  return TABLE_NAMES.reduce((n, k) => n + t[k].byteLength, 0);
}

function utf8(cps: number[]): number[] {
  return Array.from(Buffer.from(String.fromCodePoint(...cps), "utf8"));
}
const utf8Len = (c: number) => (c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4);

// ---------------------------------------------------------------- props

function classRecord(delta: number, keep: number, ccc: number, second: number): number {
  if (delta < -(1 << 17) || delta >= 1 << 17) throw new Error(`lowercase delta out of range: ${delta}`);
  return ((delta & 0x3ffff) | (keep << 18) | (ccc << 19) | (second << 25)) >>> 0;
}

interface Trie {
  /** cp >> shifts[0] indexes level 0; level k is indexed by its offset plus (cp >> shifts[k]) & mask. */
  shifts: [number, number, number];
  /** Index levels 0..2 (offsets into the next level), then the values. */
  levels: [Uint16Array, Uint16Array, Uint16Array, Uint8Array];
}

/**
 * Places a block in data, reusing any place where the same values already occur (also straddling the end
 * of data), and returns its offset.
 */
function place(data: number[], block: ArrayLike<number>): number {
  const n = block.length;
  outer: for (let off = 0; off <= data.length - n; off++) {
    for (let i = 0; i < n; i++) if (data[off + i] !== block[i]) continue outer;
    return off;
  }
  for (let k = Math.min(n - 1, data.length); k > 0; k--) {
    let ok = true;
    for (let i = 0; i < k && ok; i++) ok = data[data.length - k + i] === block[i];
    if (ok) {
      for (let i = k; i < n; i++) data.push(block[i]);
      return data.length - n;
    }
  }
  const off = data.length;
  for (let i = 0; i < n; i++) data.push(block[i]);
  return off;
}

/** Splits refs into blocks of 2^bits, stores each distinct block once; returns the data and block offsets. */
function compactLevel(refs: number[], bits: number): { data: number[]; next: number[] } {
  const size = 1 << bits;
  const seen = new Map<string, number>();
  const data: number[] = [];
  const next: number[] = [];
  for (let i = 0; i < refs.length; i += size) {
    const block = refs.slice(i, i + size);
    const key = block.join(",");
    let off = seen.get(key);
    if (off === undefined) seen.set(key, (off = place(data, block)));
    next.push(off);
  }
  return { data, next };
}

function index(a: number[]): Uint16Array {
  if (Math.max(...a) > 0xffff) throw new Error("props trie too large");
  return Uint16Array.from(a);
}

/**
 * Four-level trie over all code points: three index levels, each holding offsets into the next, then the
 * values. Equal and overlapping blocks share storage. Tries every split and keeps the smallest.
 */
function buildTrie(values: Uint8Array): Trie {
  let best: Trie | undefined;
  const all = Array.from(values);
  for (let s2 = 3; s2 <= 6; s2++) {
    const v = compactLevel(all, s2);
    for (let s1 = s2 + 2; s1 <= 11; s1++) {
      const i2 = compactLevel(v.next, s1 - s2);
      for (let s0 = s1 + 2; s0 <= 16; s0++) {
        const i1 = compactLevel(i2.next, s0 - s1);
        const t: Trie = {
          shifts: [s0, s1, s2],
          levels: [index(i1.next), index(i1.data), index(i2.data), Uint8Array.from(v.data)],
        };
        if (!best || trieBytes(t) < trieBytes(best)) best = t;
      }
    }
  }
  return best!;
}

const trieBytes = (t: Trie) => t.levels.reduce((n, l) => n + l.byteLength, 0);

function buildProps(u: UnicodeData, secondIndex: Map<number, number>) {
  const records = new Map<number, number>();
  const classOf = (rec: number) => {
    let cls = records.get(rec);
    if (cls === undefined) records.set(rec, (cls = records.size));
    if (cls > 255) throw new Error("more than 256 property classes");
    return cls;
  };
  const values = new Uint8Array(CP_COUNT);
  let prev = 0;
  for (let c = 0; c <= MAX_CP; c++) {
    // Only NFKC-stable code points reach composition and the lowercase/filter step; the others are
    // decomposed first, so their class is free: repeating the previous one keeps blocks uniform.
    if (!u.nfkcStable[c] || isSurrogate(c)) {
      values[c] = classOf(prev);
      continue;
    }
    const l = u.lower[c];
    let second = secondIndex.get(c) ?? 0;
    if (isJamoV(c) || isJamoT(c)) second = SECOND_HANGUL;
    prev = classRecord(l - c, u.keep[l], u.ccc[c], second);
    values[c] = classOf(prev);
  }
  return { trie: buildTrie(values), classes: Uint32Array.from(records.keys()) };
}

// ---------------------------------------------------------------- composition pairs

/** Where a primary composite sits in the pair lists (for PAIR decomposition entries). */
interface PairLocation {
  first: number;
  secondCp: number;
  second: number; // index of secondCp
  byte: number; // plane << 7 | index in the list
}

function buildPairs(u: UnicodeData) {
  const seconds = [...new Set(u.pairs.map((p) => p.second))].sort((a, b) => a - b);
  if (seconds.length >= SECOND_HANGUL) throw new Error("too many composition seconds");
  const secondIndex = new Map(seconds.map((s, i) => [s, i + 1]));
  const lists: { first: number; composite: number }[][] = [];
  for (let i = 0; i < (seconds.length + 1) * 2; i++) lists.push([]);
  for (const p of u.pairs) {
    const plane = p.first >> 16;
    if (plane > 1 || p.composite >> 16 !== plane) throw new Error(`pair U+${hex(p.composite)}: planes differ`);
    if (u.ccc[p.first] !== 0) throw new Error(`pair U+${hex(p.composite)}: first is not a starter`);
    lists[secondIndex.get(p.second)! * 2 + plane].push({ first: p.first, composite: p.composite });
  }
  const pairStart: number[] = [];
  const pairFirst: number[] = [];
  const pairComposite: number[] = [];
  const location = new Map<number, PairLocation>();
  lists.forEach((list, l) => {
    list.sort((a, b) => a.first - b.first);
    if (list.length > 128) throw new Error("composition list too long");
    pairStart.push(pairFirst.length);
    list.forEach((e, i) => {
      location.set(e.composite, { first: e.first, secondCp: seconds[(l >> 1) - 1], second: l >> 1, byte: ((l & 1) << 7) | i });
      pairFirst.push(e.first & 0xffff);
      pairComposite.push(e.composite & 0xffff);
    });
  });
  pairStart.push(pairFirst.length);
  return {
    secondIndex,
    location,
    secondCp: Uint32Array.from([0, ...seconds]),
    pairStart: Uint16Array.from(pairStart),
    pairFirst: Uint16Array.from(pairFirst),
    pairComposite: Uint16Array.from(pairComposite),
  };
}

// ---------------------------------------------------------------- decompositions

function buildDecompositions(u: UnicodeData, location: Map<number, PairLocation>) {
  const maxCp = Math.max(...u.decomp.keys());
  const pages = (maxCp >> PAGE_SHIFT) + 1;
  const pageIndex = new Uint8Array(pages);
  const pageBits: number[] = [0]; // record 0: no decompositions
  const pageBase: number[] = [0];
  const chunkBits: number[] = [];
  const chunkStart: number[] = [];
  const stream: number[] = [];
  for (let page = 0; page < pages; page++) {
    let bits = 0;
    const base = chunkBits.length;
    for (let chunk = 0; chunk < 32; chunk++) {
      const first = (page << PAGE_SHIFT) | (chunk << CHUNK_SHIFT);
      let cbits = 0;
      const start = stream.length;
      let prevSingle = -1; // code point of the previous single-code-point entry in this chunk
      for (let i = 0; i < 32; i++) {
        const c = first + i;
        const d = u.decomp.get(c);
        if (!d) continue;
        cbits |= 1 << i;
        const loc = location.get(c);
        if (loc && isPairable(u, c, loc)) {
          stream.push(0x80 | loc.second, loc.byte);
          prevSingle = -1;
        } else if (d.length === 1 && prevSingle >= 0 && d[0] === prevSingle + 1) {
          stream.push(0x40);
          prevSingle = d[0];
        } else {
          const bytes = utf8(d);
          if (bytes.length > 63) throw new Error(`decomposition of U+${hex(c)} too long`);
          stream.push(bytes.length, ...bytes);
          prevSingle = d.length === 1 ? d[0] : -1;
        }
      }
      if (cbits) {
        bits |= 1 << chunk;
        chunkBits.push(cbits >>> 0);
        chunkStart.push(start);
      }
    }
    if (bits) {
      if (pageBits.length > 255) throw new Error("too many decomposition pages");
      pageIndex[page] = pageBits.length;
      pageBits.push(bits >>> 0);
      pageBase.push(base);
    }
  }
  if (stream.length > 0xffff) throw new Error("decomposition stream too large");
  return {
    decFirst: Math.min(...u.decomp.keys()),
    decLimit: pages << PAGE_SHIFT,
    decPageIndex: pageIndex,
    decPageBits: Uint32Array.from(pageBits),
    decPageBase: Uint16Array.from(pageBase),
    decChunkBits: Uint32Array.from(chunkBits),
    decChunkStart: Uint16Array.from(chunkStart),
    decStream: Uint8Array.from(stream),
  };
}

/** A primary composite can be stored as its pair when NFKD(first) + second, reordered, is its NFKD. */
function isPairable(u: UnicodeData, c: number, loc: PairLocation): boolean {
  const viaPair = String.fromCodePoint(loc.first, loc.secondCp).normalize("NFKD");
  return viaPair === String.fromCodePoint(...u.decomp.get(c)!);
}

// ---------------------------------------------------------------- expansion bound

/**
 * Output bytes per input byte, at most. Every input code point contributes its decomposition, each part
 * lowercased; composition never makes that longer (checked below). A CGJ (2 bytes) follows at least 28
 * further non-starters, which take at least 10 code points (a code point adds at most 3, checked below) of
 * at least 2 bytes each: the extra 1 per input byte covers it.
 */
function maxExpansion(u: UnicodeData, secondIndex: Map<number, number>): number {
  const nonStarter = (c: number) => u.ccc[c] !== 0 || secondIndex.has(c) || isJamoV(c) || isJamoT(c);
  for (const [c, d] of u.decomp) {
    let lead = 0;
    while (lead < d.length && nonStarter(d[lead])) lead++;
    if (lead > 3) throw new Error(`U+${hex(c)} starts with ${lead} non-starters`);
  }
  const outLen = (c: number) => utf8Len(u.lower[c]);
  let ratio = 1;
  for (const [c, d] of u.decomp) ratio = Math.max(ratio, d.reduce((n, x) => n + outLen(x), 0) / utf8Len(c));
  for (let c = 0x80; c <= MAX_CP; c++) if (!isSurrogate(c)) ratio = Math.max(ratio, outLen(c) / utf8Len(c));
  for (const p of u.pairs) {
    if (outLen(p.composite) > outLen(p.first) + outLen(p.second)) throw new Error(`U+${hex(p.composite)} grows`);
  }
  return Math.ceil(ratio) + 1;
}

export function packTables(u: UnicodeData): Tables {
  const pairs = buildPairs(u);
  const props = buildProps(u, pairs.secondIndex);
  const dec = buildDecompositions(u, pairs.location);
  return {
    propsShift0: props.trie.shifts[0],
    propsShift1: props.trie.shifts[1],
    propsShift2: props.trie.shifts[2],
    propsL0: props.trie.levels[0],
    propsL1: props.trie.levels[1],
    propsL2: props.trie.levels[2],
    propsL3: props.trie.levels[3],
    classes: props.classes,
    ...dec,
    secondCp: pairs.secondCp,
    pairStart: pairs.pairStart,
    pairFirst: pairs.pairFirst,
    pairComposite: pairs.pairComposite,
    maxExpansion: maxExpansion(u, pairs.secondIndex),
    maxDecomposition: Math.max(...[...u.decomp.values()].map((d) => d.length)),
  };
}

// ---------------------------------------------------------------- reading (mirrors engine-as/src/normalize.ts)

export class TableReader {
  constructor(readonly t: Tables) {}

  classOf(cp: number): number {
    const t = this.t;
    const [s0, s1, s2] = [t.propsShift0, t.propsShift1, t.propsShift2];
    const i1 = t.propsL0[cp >> s0] + ((cp >> s1) & ((1 << (s0 - s1)) - 1));
    const i2 = t.propsL1[i1] + ((cp >> s2) & ((1 << (s1 - s2)) - 1));
    const i3 = t.propsL2[i2] + (cp & ((1 << s2) - 1));
    return t.classes[t.propsL3[i3]];
  }

  static lower(cls: number, cp: number): number {
    return cp + ((cls << 14) >> 14);
  }
  static keep(cls: number): boolean {
    return ((cls >>> 18) & 1) === 1;
  }
  static ccc(cls: number): number {
    return (cls >>> 19) & 63;
  }
  static second(cls: number): number {
    return cls >>> 25;
  }

  /** Appends the full compatibility decomposition of cp (cp itself if none) to out, unordered. */
  decompose(cp: number, out: number[]): void {
    const t = this.t;
    if (isHangulSyllable(cp)) {
      const s = cp - S_BASE;
      out.push(L_BASE + Math.floor(s / (V_COUNT * T_COUNT)), V_BASE + (Math.floor(s / T_COUNT) % V_COUNT));
      if (s % T_COUNT) out.push(T_BASE + (s % T_COUNT));
      return;
    }
    if (cp < t.decFirst || cp >= t.decLimit) return void out.push(cp);
    const page = t.decPageIndex[cp >> PAGE_SHIFT];
    const pbits = t.decPageBits[page];
    const chunkBit = (cp >> CHUNK_SHIFT) & 31;
    if (!((pbits >>> chunkBit) & 1)) return void out.push(cp);
    const chunk = t.decPageBase[page] + popcnt(pbits & ((1 << chunkBit) - 1));
    const cbits = t.decChunkBits[chunk];
    const bit = cp & 31;
    if (!((cbits >>> bit) & 1)) return void out.push(cp);
    let p = t.decChunkStart[chunk];
    const s = t.decStream;
    const text = (at: number) =>
      Array.from(Buffer.from(s.subarray(at + 1, at + 1 + s[at])).toString("utf8"), (x) => x.codePointAt(0)!);
    let single = 0;
    for (let skip = popcnt(cbits & ((1 << bit) - 1)); skip; skip--) {
      const h = s[p];
      if (h & 0x80) {
        p += 2;
      } else if (h === 0x40) {
        single++;
        p += 1;
      } else {
        const cps = text(p);
        if (cps.length === 1) single = cps[0];
        p += 1 + h;
      }
    }
    const h = s[p];
    if (h & 0x80) {
      const b = s[p + 1];
      const list = (h & 0x7f) * 2 + (b >> 7);
      this.decompose(((b >> 7) << 16) | t.pairFirst[t.pairStart[list] + (b & 0x7f)], out);
      out.push(t.secondCp[h & 0x7f]);
    } else if (h === 0x40) out.push(single + 1);
    else out.push(...text(p));
  }

  /** The primary composite of (a, b), or 0. */
  compose(a: number, b: number, second: number): number {
    const t = this.t;
    if (second === SECOND_HANGUL) {
      if (a >= L_BASE && a < L_BASE + L_COUNT && b >= V_BASE && b < V_BASE + V_COUNT) {
        return S_BASE + ((a - L_BASE) * V_COUNT + (b - V_BASE)) * T_COUNT;
      }
      if (isHangulSyllable(a) && (a - S_BASE) % T_COUNT === 0 && isJamoT(b)) return a + (b - T_BASE);
      return 0;
    }
    if (a > 0x1ffff) return 0;
    const list = second * 2 + (a >> 16);
    let lo = t.pairStart[list];
    let hi = t.pairStart[list + 1];
    const key = a & 0xffff;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const f = t.pairFirst[mid];
      if (f === key) return (a & 0x10000) | t.pairComposite[mid];
      if (f < key) lo = mid + 1;
      else hi = mid;
    }
    return 0;
  }
}

function popcnt(x: number): number {
  let n = 0;
  for (x >>>= 0; x; x &= x - 1) n++;
  return n;
}
