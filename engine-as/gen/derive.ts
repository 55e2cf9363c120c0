// Unicode data for name normalization, derived from the running Node (ICU) only:
// String.prototype.normalize, per-code-point toLowerCase and \p{..} RegExp classes.
// No files are read and nothing is downloaded, so the tables always match the Node that builds them.

export const MAX_CP = 0x10ffff;
export const CP_COUNT = MAX_CP + 1;

// Hangul syllables decompose and compose algorithmically; the engine does that in code.
export const S_BASE = 0xac00;
export const S_COUNT = 11172;
export const L_BASE = 0x1100;
export const L_COUNT = 19;
export const V_BASE = 0x1161;
export const V_COUNT = 21;
export const T_BASE = 0x11a7; // T_BASE itself is not a trailing consonant
export const T_COUNT = 28;

export const isSurrogate = (c: number) => c >= 0xd800 && c <= 0xdfff;
export const isHangulSyllable = (c: number) => c >= S_BASE && c < S_BASE + S_COUNT;
export const isJamoV = (c: number) => c >= V_BASE && c < V_BASE + V_COUNT;
export const isJamoT = (c: number) => c > T_BASE && c < T_BASE + T_COUNT;

export interface Pair {
  first: number;
  second: number;
  composite: number;
}

export interface UnicodeData {
  /** process.versions.unicode of the Node that produced the data. */
  version: string;
  /** Order-equivalent canonical combining class per code point: 0 for starters, 1..n keeps CCC order. */
  ccc: Uint8Array;
  /** Number of distinct non-zero classes. */
  cccClasses: number;
  /** Full compatibility decomposition (NFKD) of every code point that has one, Hangul syllables excluded. */
  decomp: Map<number, number[]>;
  /** Canonical composition pairs (primary composites), Hangul excluded. */
  pairs: Pair[];
  /** Simple (one code point) lowercase mapping, as Go's unicode.ToLower. */
  lower: Uint32Array;
  /** 1 if the code point is in L, M, N, P, S or is U+0020 (Go's unicode.IsPrint). */
  keep: Uint8Array;
  /** 1 if NFKC maps the code point to itself; only such code points can occur in NFKC output. */
  nfkcStable: Uint8Array;
}

const chr = String.fromCodePoint;
const cps = (s: string) => Array.from(s, (x) => x.codePointAt(0)!);
const nfd = (s: string) => s.normalize("NFD");

// Probes for the combining class. U+0345 has the highest class in use (240) and U+0334 the lowest
// non-zero one (1): canonical reordering moves a mark in front of U+0345 iff its class is below 240,
// and moves U+0334 in front of a mark iff the mark's class is above 1.
const HIGH_MARK = "\u0345";
const LOW_MARK = "\u0334";

function isNonStarter(c: number): boolean {
  const s = chr(c);
  return nfd("a" + HIGH_MARK + s) !== "a" + HIGH_MARK + s || nfd("a" + s + LOW_MARK) !== "a" + s + LOW_MARK;
}

/** Sign of ccc(a) - ccc(b), for two non-starters, read from canonical reordering. */
function cccCompare(a: number, b: number): number {
  if (a === b) return 0;
  const ab = "a" + chr(a) + chr(b);
  const ba = "a" + chr(b) + chr(a);
  if (nfd(ba) === ab) return -1;
  if (nfd(ab) === ba) return 1;
  return 0;
}

function deriveCcc(): { ccc: Uint8Array; classes: number } {
  const nonStarters: number[] = [];
  for (let c = 0x80; c <= MAX_CP; c++) {
    if (isSurrogate(c)) continue;
    const s = chr(c);
    // Only code points that survive decomposition need a class.
    if (nfd(s) === s && isNonStarter(c)) nonStarters.push(c);
  }
  nonStarters.sort(cccCompare);
  const ccc = new Uint8Array(CP_COUNT);
  const reps: number[] = []; // one code point per class, in class order
  for (const c of nonStarters) {
    if (reps.length === 0 || cccCompare(reps[reps.length - 1], c) !== 0) reps.push(c);
    ccc[c] = reps.length;
  }
  // The sort trusted the comparator to be a total preorder; check every mark against every class.
  for (const c of nonStarters) {
    for (let k = 0; k < reps.length; k++) {
      const want = Math.sign(ccc[c] - (k + 1));
      if (cccCompare(c, reps[k]) !== want) throw new Error(`ccc order is not consistent at U+${hex(c)}`);
    }
  }
  if (reps.length > 63) throw new Error(`too many combining classes: ${reps.length}`);
  return { ccc, classes: reps.length };
}

/**
 * Composition pairs from NFC. A code point c is a primary composite when NFC(NFD(c)) = c and NFD(c) is
 * longer than one code point. Its pair is (NFC of NFD(c) without its last code point, that last code point):
 * composition runs left to right over canonically ordered text, so that is the step that produces c.
 */
function derivePairs(): Pair[] {
  const pairs: Pair[] = [];
  for (let c = 0; c <= MAX_CP; c++) {
    if (isSurrogate(c) || isHangulSyllable(c)) continue;
    const s = chr(c);
    const d = nfd(s);
    if (d === s || d.normalize("NFC") !== s) continue;
    const parts = cps(d);
    if (parts.length < 2) continue; // singleton: never composed
    const second = parts[parts.length - 1];
    const head = cps(chr(...parts.slice(0, -1)).normalize("NFC"));
    if (head.length !== 1) throw new Error(`U+${hex(c)}: NFD prefix does not compose to one code point`);
    const first = head[0];
    if ((chr(first) + chr(second)).normalize("NFC") !== s) throw new Error(`U+${hex(c)}: pair does not compose`);
    pairs.push({ first, second, composite: c });
  }
  return pairs;
}

export function deriveUnicode(): UnicodeData {
  const { ccc, classes } = deriveCcc();
  const decomp = new Map<number, number[]>();
  const lower = new Uint32Array(CP_COUNT);
  const keep = new Uint8Array(CP_COUNT);
  const nfkcStable = new Uint8Array(CP_COUNT);
  const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
  for (let c = 0; c <= MAX_CP; c++) {
    if (isSurrogate(c)) {
      lower[c] = c;
      continue;
    }
    const s = chr(c);
    const kd = s.normalize("NFKD");
    if (kd !== s && !isHangulSyllable(c)) decomp.set(c, cps(kd));
    if (s.normalize("NFKC") === s) nfkcStable[c] = 1;
    const l = cps(s.toLowerCase());
    // Go lowercases rune by rune with the simple mapping; JS applies the full mapping, which differs only
    // for U+0130 (JS: "i" + U+0307, Go: "i"). Final sigma does not arise for a lone code point.
    if (c === 0x130) lower[c] = 0x69;
    else if (l.length === 1) lower[c] = l[0];
    else throw new Error(`U+${hex(c)} lowercases to ${l.length} code points`);
    if (printable.test(s)) keep[c] = 1;
  }
  return {
    version: process.versions.unicode ?? "unknown",
    ccc,
    cccClasses: classes,
    decomp,
    pairs: derivePairs(),
    lower,
    keep,
    nfkcStable,
  };
}

export function hex(c: number): string {
  return c.toString(16).toUpperCase().padStart(4, "0");
}
