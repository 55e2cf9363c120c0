// Tool and method name normalization, the steps of aip-go's NormalizeName:
//   1. Unicode NFKC (with Go x/text's stream-safe rule: a CGJ after 30 non-starters in a row),
//   2. simple lowercase, code point by code point (U+0130 -> "i"; final sigma stays U+03C3),
//   3. trim Unicode White_Space at both ends,
//   4. drop every code point outside L, M, N, P, S and U+0020.
// The trim runs before the strip, as in Go: "\u200B read_file" keeps its space and matches nothing.
// All data comes from engine-as/src/generated/unicode.ts (layout: engine-as/gen/pack.ts). It runs for every
// name in every call, so it allocates nothing: scratch space is static. docs/normalization.md has the
// details, including where the result differs from Go's.

import {
  MAX_EXPANSION, MAX_DECOMPOSITION, PROPS_SHIFT0, PROPS_SHIFT1, PROPS_SHIFT2, PROPS_L0, PROPS_L1, PROPS_L2,
  PROPS_L3, CLASSES, DEC_FIRST, DEC_LIMIT, DEC_PAGE_INDEX, DEC_PAGE_BITS, DEC_PAGE_BASE, DEC_CHUNK_BITS,
  DEC_CHUNK_START, DEC_STREAM, SECOND_CP, PAIR_START, PAIR_FIRST, PAIR_COMPOSITE, SECOND_HANGUL,
} from "./generated/unicode";
import { Decoded, decodedCp, decodedSize, utf8Decode, utf8Store } from "./utf8";

/**
 * Bytes the caller must provide at dst for an input of len bytes: the largest growth of any code point
 * (U+FDFA, 3 bytes, becomes 33), plus room for CGJs; computed by the generator.
 */
export function normalizeMaxLen(len: usize): usize {
  return len * MAX_EXPANSION;
}

/**
 * Normalizes the UTF-8 name [src, src + len) into dst (normalizeMaxLen(len) bytes) and returns the length
 * of the result, or -1 if the input is not valid UTF-8. dst must not overlap src.
 */
export function normalizeName(src: usize, len: usize, dst: usize): i32 {
  return isAscii(src, len) ? asciiName(src, len, dst) : unicodeName(src, len, dst);
}

// ---------------------------------------------------------------- ASCII fast path

function isAscii(p: usize, len: usize): bool {
  const end = p + len;
  for (; p + 8 <= end; p += 8) if ((load<u64>(p) & 0x8080808080808080) != 0) return false;
  for (; p < end; p++) if (load<u8>(p) >= 0x80) return false;
  return true;
}

@inline function isAsciiSpace(b: u32): bool {
  return b == 0x20 || b - 0x09 < 5; // \t \n \v \f \r
}

// NFKC leaves ASCII alone, so: trim, then lowercase and drop C0 controls and DEL.
function asciiName(src: usize, len: usize, dst: usize): i32 {
  let p = src;
  let end = src + len;
  while (p < end && isAsciiSpace(load<u8>(p))) p++;
  while (end > p && isAsciiSpace(load<u8>(end - 1))) end--;
  let o = dst;
  while (p < end) {
    // Sixteen bytes without control characters are lowercased in one step.
    if (p + 16 <= end) {
      const v = v128.load(p);
      const controls = v128.or(i8x16.lt_u(v, i8x16.splat(0x20)), i8x16.eq(v, i8x16.splat(0x7f)));
      if (!v128.any_true(controls)) {
        const upper = v128.and(i8x16.ge_u(v, i8x16.splat(0x41)), i8x16.le_u(v, i8x16.splat(0x5a)));
        v128.store(o, v128.or(v, v128.and(upper, i8x16.splat(0x20))));
        p += 16;
        o += 16;
        continue;
      }
    }
    let b = <u32>load<u8>(p++);
    if (b < 0x20 || b == 0x7f) continue;
    if (b - 0x41 < 26) b |= 0x20;
    store<u8>(o++, <u8>b);
  }
  return <i32>(o - dst);
}

// ---------------------------------------------------------------- code point properties

const KEEP: u32 = 1 << 18;

const MASK1: u32 = (1 << (PROPS_SHIFT0 - PROPS_SHIFT1)) - 1;
const MASK2: u32 = (1 << (PROPS_SHIFT1 - PROPS_SHIFT2)) - 1;
const MASK3: u32 = (1 << PROPS_SHIFT2) - 1;

/** Property class of cp (engine-as/gen/pack.ts): lowercase delta, keep flag, ccc, composition second. */
@inline function classOf(cp: u32): u32 {
  const i1 = <u32>load<u16>(PROPS_L0 + ((cp >> PROPS_SHIFT0) << 1)) + ((cp >> PROPS_SHIFT1) & MASK1);
  const i2 = <u32>load<u16>(PROPS_L1 + (i1 << 1)) + ((cp >> PROPS_SHIFT2) & MASK2);
  const i3 = <u32>load<u16>(PROPS_L2 + (i2 << 1)) + (cp & MASK3);
  return load<u32>(CLASSES + (<usize>load<u8>(PROPS_L3 + i3) << 2));
}

@inline function cccOf(cls: u32): u32 {
  return (cls >> 19) & 63;
}

@inline function secondOf(cls: u32): u32 {
  return cls >> 25;
}

/** Class 0 and never the second part of a composition: segments (and Go's stream-safe count) restart here. */
@inline function isBoundary(cls: u32): bool {
  return (cls >> 19) == 0;
}

// ---------------------------------------------------------------- decomposition

// Hangul syllables are decomposed and composed arithmetically.
const S_BASE: u32 = 0xac00;
const L_BASE: u32 = 0x1100;
const V_BASE: u32 = 0x1161;
const T_BASE: u32 = 0x11a7;
const L_COUNT: u32 = 19;
const V_COUNT: u32 = 21;
const T_COUNT: u32 = 28;
const S_COUNT: u32 = L_COUNT * V_COUNT * T_COUNT;

// The decomposition of the current input code point, with the class of each part.
const decCp = memory.data(<i32>MAX_DECOMPOSITION * 4, 4);
const decCls = memory.data(<i32>MAX_DECOMPOSITION * 4, 4);

@inline function push(n: u32, cp: u32): u32 {
  store<u32>(decCp + (<usize>n << 2), cp);
  store<u32>(decCls + (<usize>n << 2), classOf(cp));
  return n + 1;
}

@inline function decClsAt(i: u32): u32 {
  return load<u32>(decCls + (<usize>i << 2));
}

/** Appends the full compatibility decomposition of cp (cp itself if it has none) at n; returns the count. */
function decompose(cp: u32, n: u32): u32 {
  const s = cp - S_BASE;
  if (s < S_COUNT) {
    n = push(n, L_BASE + s / (V_COUNT * T_COUNT));
    n = push(n, V_BASE + (s / T_COUNT) % V_COUNT);
    return s % T_COUNT != 0 ? push(n, T_BASE + s % T_COUNT) : n;
  }
  if (cp < DEC_FIRST || cp >= DEC_LIMIT) return push(n, cp);
  // Which 32-code-point chunks of this 1024-code-point page decompose, then which code points of the chunk.
  const page = <usize>load<u8>(DEC_PAGE_INDEX + (cp >> 10));
  const pageBits = load<u32>(DEC_PAGE_BITS + (page << 2));
  const chunkBit = (cp >> 5) & 31;
  if (((pageBits >> chunkBit) & 1) == 0) return push(n, cp);
  const chunk = <usize>(<u32>load<u16>(DEC_PAGE_BASE + (page << 1)) + popcnt(pageBits & ((1 << chunkBit) - 1)));
  const bits = load<u32>(DEC_CHUNK_BITS + (chunk << 2));
  const bit = cp & 31;
  if (((bits >> bit) & 1) == 0) return push(n, cp);
  // The chunk's entries are in code point order: skip the ones before cp, keeping the code point of the
  // last one-code-point entry for a NEXT entry.
  let p = DEC_STREAM + <usize>load<u16>(DEC_CHUNK_START + (chunk << 1));
  let single: u32 = 0;
  for (let skip = popcnt(bits & ((1 << bit) - 1)); skip != 0; skip--) {
    const h = <usize>load<u8>(p);
    if (h & 0x80) {
      p += 2;
    } else if (h == 0x40) {
      single++;
      p += 1;
    } else {
      const d = utf8Decode(p + 1, p + 1 + h);
      if (decodedSize(d) == h) single = decodedCp(d);
      p += 1 + h;
    }
  }
  const h = <u32>load<u8>(p);
  if (h & 0x80) {
    // PAIR: a primary composite is its first part, decomposed again, plus its second part.
    const b = <u32>load<u8>(p, 1);
    const list = ((h & 0x7f) << 1) | (b >> 7);
    const at = <usize>load<u16>(PAIR_START + (<usize>list << 1)) + (b & 0x7f);
    const first = ((b >> 7) << 16) | <u32>load<u16>(PAIR_FIRST + (at << 1));
    n = decompose(first, n);
    return push(n, load<u32>(SECOND_CP + (<usize>(h & 0x7f) << 2)));
  }
  // NEXT: the code point after the previous entry's.
  if (h == 0x40) return push(n, single + 1);
  // TEXT: h bytes of UTF-8.
  const end = p + 1 + h;
  for (let q = p + 1; q < end; ) {
    const d = utf8Decode(q, end);
    n = push(n, decodedCp(d));
    q += decodedSize(d);
  }
  return n;
}

// ---------------------------------------------------------------- composition

/** The primary composite of a + b (b's class has composition index second), or 0. */
function combine(a: u32, b: u32, second: u32): u32 {
  if (second == SECOND_HANGUL) {
    // L + V gives an LV syllable; LV + T gives LVT.
    if (a - L_BASE < L_COUNT && b - V_BASE < V_COUNT) {
      return S_BASE + ((a - L_BASE) * V_COUNT + (b - V_BASE)) * T_COUNT;
    }
    const s = a - S_BASE;
    if (s < S_COUNT && s % T_COUNT == 0 && b - T_BASE - 1 < T_COUNT - 1) return a + (b - T_BASE);
    return 0;
  }
  if (a > 0x1ffff) return 0;
  // Binary search of the pairs with this second part, in the plane of a.
  const list = <usize>((second << 1) | (a >> 16));
  let lo = <u32>load<u16>(PAIR_START + (list << 1));
  let hi = <u32>load<u16>(PAIR_START + (list << 1), 2);
  const key = a & 0xffff;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const f = <u32>load<u16>(PAIR_FIRST + (<usize>mid << 1));
    if (f == key) return (a & 0x10000) | <u32>load<u16>(PAIR_COMPOSITE + (<usize>mid << 1));
    if (f < key) lo = mid + 1;
    else hi = mid;
  }
  return 0;
}

// ---------------------------------------------------------------- segments

// One segment: a starter and the marks after it, in canonical order. Go's stream-safe limit keeps it short:
// at most 30 non-starters follow a starter, so 32 entries suffice; SEG_CAP leaves room.
const SEG_CAP: u32 = 64;
const segCp = memory.data(<i32>SEG_CAP * 4, 4);
const segCls = memory.data(<i32>SEG_CAP * 4, 4);
let segLen: u32 = 0;

const CGJ: u32 = 0x034f;
const MAX_NON_STARTERS: u32 = 30;

@inline function segCpAt(i: u32): usize {
  return segCp + (<usize>i << 2);
}

@inline function segClsAt(i: u32): usize {
  return segCls + (<usize>i << 2);
}

/** Adds cp to the segment, after every mark of a higher class (a stable insertion sort by ccc). */
@inline function insert(cp: u32, cls: u32): void {
  if (segLen == SEG_CAP) flush(); // cannot happen with the stream-safe limit; stay in bounds regardless
  let i = segLen;
  const ccc = cccOf(cls);
  if (ccc != 0) {
    while (i > 0 && cccOf(load<u32>(segClsAt(i - 1))) > ccc) {
      store<u32>(segCpAt(i), load<u32>(segCpAt(i - 1)));
      store<u32>(segClsAt(i), load<u32>(segClsAt(i - 1)));
      i--;
    }
  }
  store<u32>(segCpAt(i), cp);
  store<u32>(segClsAt(i), cls);
  segLen++;
}

/**
 * Canonical composition of the segment, in place (UAX #15): a mark composes with the last starter unless a
 * starter or a mark of the same or higher class stands between them. Returns the new length.
 */
function compose(): u32 {
  const n = segLen;
  if (n < 2) return n;
  let starter: i32 = cccOf(load<u32>(segClsAt(0))) == 0 ? 0 : -1;
  let k: u32 = 1;
  for (let i: u32 = 1; i < n; i++) {
    const cp = load<u32>(segCpAt(i));
    const cls = load<u32>(segClsAt(i));
    const ccc = cccOf(cls);
    const second = secondOf(cls);
    if (second != 0 && starter >= 0) {
      const prevCcc = cccOf(load<u32>(segClsAt(k - 1)));
      if (<u32>starter == k - 1 || (prevCcc != 0 && prevCcc < ccc)) {
        const c = combine(load<u32>(segCpAt(starter)), cp, second);
        if (c != 0) {
          store<u32>(segCpAt(starter), c);
          store<u32>(segClsAt(starter), classOf(c));
          continue;
        }
      }
    }
    if (ccc == 0) starter = k;
    store<u32>(segCpAt(k), cp);
    store<u32>(segClsAt(k), cls);
    k++;
  }
  return k;
}

function flush(): void {
  const n = segLen < 2 ? segLen : compose();
  for (let i: u32 = 0; i < n; i++) emit(load<u32>(segCpAt(i)), load<u32>(segClsAt(i)));
  segLen = 0;
}

// ---------------------------------------------------------------- lowercase, trim, strip

let out: usize = 0; // next output byte
let trimmedEnd: usize = 0; // output end without trailing white space
let started = false; // seen anything but white space

@inline function isWhiteSpace(cp: u32): bool {
  if (cp < 0x80) return isAsciiSpace(cp);
  return cp == 0x85 || cp == 0xa0 || cp == 0x1680 || cp - 0x2000 < 11 || cp == 0x2028 || cp == 0x2029 ||
    cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/** Steps 2 to 4 for one NFKC code point. */
@inline function emit(cp: u32, cls: u32): void {
  const lower = cp + <u32>((<i32>(cls << 14)) >> 14);
  if (isWhiteSpace(lower)) {
    // Leading white space is trimmed; inner ASCII spaces stay (trailing ones are cut at the end).
    if (started && lower == 0x20) {
      store<u8>(out, 0x20);
      out++;
    }
    return;
  }
  started = true;
  if (cls & KEEP) out += utf8Store(out, lower);
  trimmedEnd = out;
}

function unicodeName(src: usize, len: usize, dst: usize): i32 {
  out = dst;
  trimmedEnd = dst;
  started = false;
  segLen = 0;
  const end = src + len;
  let ss: u32 = 0; // non-starters since the last starter, counted as Go's x/text does
  for (let p = src; p < end; ) {
    const d: Decoded = utf8Decode(p, end);
    if (d == 0) {
      segLen = 0;
      return -1;
    }
    p += decodedSize(d);
    const n = decompose(decodedCp(d), 0);
    // Stream-safe text (UAX #15) as Go's x/text counts it: non-starters since the last starter, where a
    // code point adds the non-starters its decomposition begins with; past 30, Go ends the segment and
    // inserts U+034F COMBINING GRAPHEME JOINER.
    if (isBoundary(decClsAt(0))) {
      let trail: u32 = 0;
      while (trail < n && !isBoundary(decClsAt(n - 1 - trail))) trail++;
      ss = trail;
    } else {
      let lead: u32 = 1;
      while (lead < n && !isBoundary(decClsAt(lead))) lead++;
      ss += lead;
      if (ss > MAX_NON_STARTERS) {
        flush();
        emit(CGJ, classOf(CGJ));
        ss = lead;
      }
    }
    for (let i: u32 = 0; i < n; i++) {
      const cls = decClsAt(i);
      if (isBoundary(cls) && segLen != 0) flush();
      insert(load<u32>(decCp + (<usize>i << 2)), cls);
    }
  }
  flush();
  return <i32>(trimmedEnd - dst);
}
