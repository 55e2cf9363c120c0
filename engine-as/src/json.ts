// The engine's own JSON reader: strict RFC 8259 validation of raw message bytes, then cheap navigation over
// the validated text. Nothing is copied unless a string has escapes that must be decoded before comparison.

import { Buf, bufByte, bufBytes, bufNew, bufAscii, bufReserve } from "./buf";
import { utf8Decode, decodedSize, utf8Store } from "./utf8";
import { dtoa_buffered } from "util/number";
import { arenaAlloc, arenaGrowArray } from "./arena";

export const J_BAD: i32 = 0;
export const J_OBJECT: i32 = 1;
export const J_ARRAY: i32 = 2;
export const J_STRING: i32 = 3;
export const J_NUMBER: i32 = 4;
export const J_TRUE: i32 = 5;
export const J_FALSE: i32 = 6;
export const J_NULL: i32 = 7;

// Why validation failed (read by the caller to build the error reason).
export const JE_SYNTAX: i32 = 1;
export const JE_DEPTH: i32 = 2;
export const JE_UTF8: i32 = 3;
export let jsonError: i32 = 0;
export let jsonErrorAt: usize = 0;
export let maxDepth: i32 = 64;

export function setMaxDepth(d: i32): void {
  maxDepth = d;
}

export function jsonReset(): void {
  jsonError = 0;
  jsonErrorAt = 0;
  marshalDuplicateKey = false;
}

@inline
function isWs(c: u32): bool {
  return c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09;
}

@inline
export function skipWs(p: usize, end: usize): usize {
  while (p < end && isWs(load<u8>(p))) p++;
  return p;
}

function fail(kind: i32, at: usize): usize {
  if (jsonError == 0) {
    jsonError = kind;
    jsonErrorAt = at;
  }
  return 0;
}

/** Set by scanString: the string just scanned contains backslash escapes. */
export let stringHasEscapes: bool = false;

/** Validate the string whose opening quote is at p; returns the position after the closing quote, or 0. */
export function scanString(p: usize, end: usize): usize {
  let q = p + 1;
  let escaped = false;
  while (q < end) {
    // Sixteen plain ASCII bytes at a time (a lane's top bit: a special byte, or one >= 0x80).
    while (q + 16 <= end) {
      const v = v128.load(q);
      const m = i8x16.bitmask(v128.or(v128.or(v128.or(i8x16.eq(v, QUOTE), i8x16.eq(v, BACKSLASH)), i8x16.lt_u(v, SPACE)), v));
      if (m != 0) {
        q += <usize>ctz(m);
        break;
      }
      q += 16;
    }
    if (q >= end) break;
    const c = <u32>load<u8>(q);
    if (c == 0x22) {
      stringHasEscapes = escaped;
      return q + 1;
    }
    if (c == 0x5c) {
      escaped = true;
      if (q + 1 >= end) return fail(JE_SYNTAX, q);
      const e = <u32>load<u8>(q + 1);
      if (e == 0x75) {
        if (q + 6 > end) return fail(JE_SYNTAX, q);
        for (let i: usize = 2; i < 6; i++) if (hexVal(load<u8>(q + i)) < 0) return fail(JE_SYNTAX, q);
        q += 6;
      } else if (e == 0x22 || e == 0x5c || e == 0x2f || e == 0x62 || e == 0x66 || e == 0x6e || e == 0x72 || e == 0x74) {
        q += 2;
      } else return fail(JE_SYNTAX, q);
    } else if (c < 0x20) {
      return fail(JE_SYNTAX, q);
    } else if (c < 0x80) {
      q++;
    } else {
      const n = decodedSize(utf8Decode(q, end));
      if (n == 0) return fail(JE_UTF8, q);
      q += n;
    }
  }
  return fail(JE_SYNTAX, q);
}

const HEX_LOWER = "0123456789abcdef";

// SIMD constants for the string scanners.
const QUOTE = i8x16.splat(0x22);
const BACKSLASH = i8x16.splat(0x5c);
const SPACE = i8x16.splat(0x20);

/** Offset of the first '"' or '\\' at or after q (validated text: one exists). */
@inline
function nextSpecial(q: usize): usize {
  while (true) {
    const v = v128.load(q);
    const m = i8x16.bitmask(v128.or(i8x16.eq(v, QUOTE), i8x16.eq(v, BACKSLASH)));
    if (m != 0) return q + <usize>ctz(m);
    q += 16;
  }
}

@inline
function isDigit(c: u32): bool {
  return c - 0x30 < 10;
}

function scanNumber(p: usize, end: usize): usize {
  let q = p;
  if (q < end && load<u8>(q) == 0x2d) q++;
  if (q >= end) return fail(JE_SYNTAX, q);
  let c = <u32>load<u8>(q);
  if (c == 0x30) q++;
  else if (c - 0x31 < 9) {
    while (q < end && isDigit(load<u8>(q))) q++;
  } else return fail(JE_SYNTAX, q);
  if (q < end && load<u8>(q) == 0x2e) {
    q++;
    if (q >= end || !isDigit(load<u8>(q))) return fail(JE_SYNTAX, q);
    while (q < end && isDigit(load<u8>(q))) q++;
  }
  if (q < end && (load<u8>(q) | 0x20) == 0x65) {
    q++;
    if (q < end && (load<u8>(q) == 0x2b || load<u8>(q) == 0x2d)) q++;
    if (q >= end || !isDigit(load<u8>(q))) return fail(JE_SYNTAX, q);
    while (q < end && isDigit(load<u8>(q))) q++;
  }
  return q;
}

function scanLiteral(p: usize, end: usize, s: string): usize {
  const n = <usize>s.length;
  if (p + n > end) return fail(JE_SYNTAX, p);
  for (let i: usize = 0; i < n; i++) if (<u32>load<u8>(p + i) != <u32>s.charCodeAt(<i32>i)) return fail(JE_SYNTAX, p + i);
  return p + n;
}

// Ends of the larger values that the last validation met, so that navigation does not walk them again.
// Direct-mapped; an entry belongs to one validation (a call of scanValue at depth 0: its generation).
const END_SLOTS: usize = 64;
const END_DEPTH: i32 = 4; // values nested deeper are not remembered
const END_MIN_STRING: usize = 64; // nor shorter strings
const endCache = memory.data(<i32>END_SLOTS * 12);
let endGen: u32 = 0;

@inline
function endSlot(p: usize): usize {
  return endCache + ((p ^ (p >> 6)) & (END_SLOTS - 1)) * 12;
}

@inline
function rememberEnd(p: usize, e: usize): void {
  const s = endSlot(p);
  store<u32>(s, endGen);
  store<u32>(s, <u32>p, 4);
  store<u32>(s, <u32>e, 8);
}

/** The remembered end of the value at p, or 0. */
@inline
function knownEnd(p: usize): usize {
  const s = endSlot(p);
  return load<u32>(s) == endGen && <usize>load<u32>(s, 4) == p ? <usize>load<u32>(s, 8) : 0;
}

/** Validate one value at p (no leading whitespace); returns its end, or 0 with jsonError set. */
export function scanValue(p: usize, end: usize, depth: i32): usize {
  if (depth == 0 && ++endGen == 0) {
    memory.fill(endCache, 0, END_SLOTS * 12);
    endGen = 1;
  }
  const e = scanAny(p, end, depth);
  if (e != 0 && depth <= END_DEPTH) {
    const c = <u32>load<u8>(p);
    if (c == 0x7b || c == 0x5b || (c == 0x22 && e - p >= END_MIN_STRING)) rememberEnd(p, e);
  }
  return e;
}

function scanAny(p: usize, end: usize, depth: i32): usize {
  if (p >= end) return fail(JE_SYNTAX, p);
  const c = <u32>load<u8>(p);
  if (c == 0x22) return scanString(p, end);
  if (c == 0x7b) {
    if (depth >= maxDepth) return fail(JE_DEPTH, p);
    let q = skipWs(p + 1, end);
    if (q < end && load<u8>(q) == 0x7d) return q + 1;
    while (true) {
      if (q >= end || load<u8>(q) != 0x22) return fail(JE_SYNTAX, q);
      q = scanString(q, end);
      if (q == 0) return 0;
      q = skipWs(q, end);
      if (q >= end || load<u8>(q) != 0x3a) return fail(JE_SYNTAX, q);
      q = skipWs(q + 1, end);
      q = scanValue(q, end, depth + 1);
      if (q == 0) return 0;
      q = skipWs(q, end);
      if (q >= end) return fail(JE_SYNTAX, q);
      const d = load<u8>(q);
      if (d == 0x7d) return q + 1;
      if (d != 0x2c) return fail(JE_SYNTAX, q);
      q = skipWs(q + 1, end);
    }
  }
  if (c == 0x5b) {
    if (depth >= maxDepth) return fail(JE_DEPTH, p);
    let q = skipWs(p + 1, end);
    if (q < end && load<u8>(q) == 0x5d) return q + 1;
    while (true) {
      q = scanValue(q, end, depth + 1);
      if (q == 0) return 0;
      q = skipWs(q, end);
      if (q >= end) return fail(JE_SYNTAX, q);
      const d = load<u8>(q);
      if (d == 0x5d) return q + 1;
      if (d != 0x2c) return fail(JE_SYNTAX, q);
      q = skipWs(q + 1, end);
    }
  }
  if (c == 0x74) return scanLiteral(p, end, "true");
  if (c == 0x66) return scanLiteral(p, end, "false");
  if (c == 0x6e) return scanLiteral(p, end, "null");
  return scanNumber(p, end);
}

/** The kind of the (validated) value at p. */
export function kindAt(p: usize): i32 {
  const c = <u32>load<u8>(p);
  if (c == 0x7b) return J_OBJECT;
  if (c == 0x5b) return J_ARRAY;
  if (c == 0x22) return J_STRING;
  if (c == 0x74) return J_TRUE;
  if (c == 0x66) return J_FALSE;
  if (c == 0x6e) return J_NULL;
  return J_NUMBER;
}

// ---- Navigation over validated text (no error checks needed) ----

/** End of the validated value at p. */
export function skipValue(p: usize, end: usize): usize {
  const known = knownEnd(p);
  if (known != 0) return known;
  const c = <u32>load<u8>(p);
  if (c == 0x22) return skipString(p);
  if (c == 0x7b || c == 0x5b) {
    let depth = 0;
    let q = p;
    while (true) {
      const d = <u32>load<u8>(q);
      if (d == 0x22) {
        q = skipString(q);
        continue;
      }
      if (d == 0x7b || d == 0x5b) depth++;
      else if (d == 0x7d || d == 0x5d) {
        depth--;
        if (depth == 0) return q + 1;
      }
      q++;
    }
  }
  let q = p + 1;
  while (q < end) {
    const d = <u32>load<u8>(q);
    if (d == 0x2c || d == 0x7d || d == 0x5d || isWs(d)) break;
    q++;
  }
  return q;
}

/** End of the validated string whose opening quote is at p. */
export function skipString(p: usize): usize {
  const known = knownEnd(p);
  if (known != 0) return known;
  let q = p + 1;
  while (true) {
    q = nextSpecial(q);
    if (load<u8>(q) == 0x22) return q + 1;
    q += 2; // an escape: its second byte can be a quote
  }
}

/** First member key (its opening quote) of the object at p, or 0 if the object is empty. */
export function objFirst(p: usize, end: usize): usize {
  const q = skipWs(p + 1, end);
  return load<u8>(q) == 0x7d ? 0 : q;
}

/** Value position of the member whose key starts at k. */
export function memberValue(k: usize, end: usize): usize {
  return skipWs(skipWs(skipString(k), end) + 1, end);
}

/** Next member key after a value ending at valueEnd, or 0 at the end of the object. */
export function objNext(valueEnd: usize, end: usize): usize {
  const q = skipWs(valueEnd, end);
  return load<u8>(q) == 0x2c ? skipWs(q + 1, end) : 0;
}

/** First element of the array at p, or 0 if empty. */
export function arrFirst(p: usize, end: usize): usize {
  const q = skipWs(p + 1, end);
  return load<u8>(q) == 0x5d ? 0 : q;
}

/** Next element after a value ending at valueEnd, or 0 at the end of the array. */
export function arrNext(valueEnd: usize, end: usize): usize {
  const q = skipWs(valueEnd, end);
  return load<u8>(q) == 0x2c ? skipWs(q + 1, end) : 0;
}

// ---- Strings ----

function hexVal(c: u32): i32 {
  if (c - 0x30 < 10) return <i32>(c - 0x30);
  const l = c | 0x20;
  if (l - 0x61 < 6) return <i32>(l - 0x61 + 10);
  return -1;
}

function hex4(p: usize): u32 {
  return (<u32>hexVal(load<u8>(p)) << 12) | (<u32>hexVal(load<u8>(p + 1)) << 8) | (<u32>hexVal(load<u8>(p + 2)) << 4) | <u32>hexVal(load<u8>(p + 3));
}

// Decoded string results.
export let strPtr: usize = 0;
export let strLen: usize = 0;
export let strEnd: usize = 0; // after the closing quote of the string decodeString read
// Every escape in that string is the one bufJsonEscaped writes for its character (\" \\ \n \r \t, \u00xx
// for the other control characters, lowercase), so escaping the decoded text gives the string back.
export let strCanonical: bool = true;
// For a long string with escapes: (decoded offset, offset after the opening quote) pairs, u32 each, at escapes
// at least MARK_EVERY decoded bytes apart, so an offset can be mapped back without walking from the start.
export let strMarks: usize = 0;
export let strMarkCount: usize = 0;
let markCap: usize = 0;
const MARK_EVERY: usize = 4096;

/**
 * Decode the validated string at p (opening quote) into strPtr/strLen. Without escapes this points into the
 * message itself; with escapes the text is decoded into the arena. Lone surrogates become U+FFFD, as in Go.
 */
export function decodeString(p: usize): void {
  let q = nextSpecial(p + 1);
  if (load<u8>(q) == 0x22) {
    strPtr = p + 1;
    strLen = q - p - 1;
    strEnd = q + 1;
    strCanonical = true;
    return;
  }
  const end = skipString(p) - 1;
  strEnd = end + 1;
  let canonical = true;
  // Decoded text is never longer than its escaped form; 16 bytes of room for the vector stores.
  const dst = arenaAlloc(end - p + 16);
  let o = dst;
  q = p + 1;
  strMarks = 0;
  strMarkCount = markCap = 0;
  let nextMark = MARK_EVERY;
  while (true) {
    // Plain bytes up to the next escape or the closing quote, sixteen at a time (the message buffer has
    // readable slack past its end).
    while (true) {
      const v = v128.load(q);
      v128.store(o, v);
      const m = i8x16.bitmask(v128.or(i8x16.eq(v, QUOTE), i8x16.eq(v, BACKSLASH)));
      if (m != 0) {
        const k = <usize>ctz(m);
        q += k;
        o += k;
        break;
      }
      q += 16;
      o += 16;
    }
    if (q >= end) break;
    if (o - dst >= nextMark) {
      if (strMarkCount == markCap) {
        markCap = markCap == 0 ? 16 : markCap << 1;
        strMarks = arenaGrowArray(strMarks, strMarkCount, markCap, 8);
      }
      store<u32>(strMarks + strMarkCount * 8, <u32>(o - dst));
      store<u32>(strMarks + strMarkCount * 8, <u32>(q - p - 1), 4);
      strMarkCount++;
      nextMark = o - dst + MARK_EVERY;
    }
    const e = <u32>load<u8>(q + 1);
    q += 2;
    if (e == 0x75) {
      let cp = hex4(q);
      if (cp >= 0x20 || cp == 0x0a || cp == 0x0d || cp == 0x09 || load<u8>(q + 2) != 0x30 + (cp >> 4) ||
        <u32>load<u8>(q + 3) != <u32>HEX_LOWER.charCodeAt(<i32>(cp & 15))) canonical = false;
      q += 4;
      if (cp >= 0xd800 && cp < 0xdc00) {
        if (q + 6 <= end && load<u8>(q) == 0x5c && load<u8>(q + 1) == 0x75) {
          const lo = hex4(q + 2);
          if (lo >= 0xdc00 && lo < 0xe000) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            q += 6;
          } else cp = 0xfffd;
        } else cp = 0xfffd;
      } else if (cp >= 0xdc00 && cp < 0xe000) cp = 0xfffd;
      o += utf8Store(o, cp);
      continue;
    }
    let d = e; // \" \\ \/
    if (e == 0x62) {
      d = 0x08;
      canonical = false;
    } else if (e == 0x66) {
      d = 0x0c;
      canonical = false;
    } else if (e == 0x6e) d = 0x0a;
    else if (e == 0x72) d = 0x0d;
    else if (e == 0x74) d = 0x09;
    else if (e == 0x2f) canonical = false;
    store<u8>(o, <u8>d);
    o++;
  }
  strPtr = dst;
  strLen = o - dst;
  strCanonical = canonical;
}

export function bytesEqual(a: usize, an: usize, b: usize, bn: usize): bool {
  if (an != bn) return false;
  return memory.compare(a, b, an) == 0;
}

/** Does the decoded text equal the ASCII literal s exactly? */
export function equalsAscii(p: usize, n: usize, s: string): bool {
  if (n != <usize>s.length) return false;
  for (let i: usize = 0; i < n; i++) if (<u32>load<u8>(p + i) != <u32>s.charCodeAt(<i32>i)) return false;
  return true;
}

/**
 * Equal up to ASCII case, with U+017F and U+212A taken for 's' and 'k' as Go's case-insensitive key
 * matching does (other non-ASCII bytes must be equal).
 */
export function asciiFoldEqual(a: usize, an: usize, b: usize, bn: usize): bool {
  let i: usize = 0;
  let j: usize = 0;
  while (i < an && j < bn) {
    const ca = foldAt(a, an, i);
    const cb = foldAt(b, bn, j);
    if ((ca & 0xffffff) != (cb & 0xffffff)) return false;
    i += <usize>(ca >>> 24);
    j += <usize>(cb >>> 24);
  }
  return i == an && j == bn;
}

/** The case-folded unit at p+i, packed as value | length << 24. */
function foldAt(p: usize, n: usize, i: usize): u32 {
  let c = <u32>load<u8>(p + i);
  if (c < 0x80) return (c - 0x41 < 26 ? c | 0x20 : c) | (1 << 24);
  if (c == 0xc5 && i + 1 < n && load<u8>(p + i + 1) == 0xbf) return 0x73 | (2 << 24);
  if (c == 0xe2 && i + 2 < n && load<u8>(p + i + 1) == 0x84 && load<u8>(p + i + 2) == 0xaa) return 0x6b | (3 << 24);
  return (c | 0x100) | (1 << 24); // other bytes compare as themselves, never equal to ASCII
}

/**
 * Would a case-insensitive JSON decoder (Go's encoding/json folds ASCII case and also maps U+017F to 's' and
 * U+212A to 'k') take this decoded key for the lowercase ASCII name s?
 */
export function foldEqualsAscii(p: usize, n: usize, s: string): bool {
  const m = <usize>s.length;
  let i: usize = 0;
  let j: usize = 0;
  while (i < n && j < m) {
    const c = foldAt(p, n, i);
    if ((c & 0xffffff) != <u32>s.charCodeAt(<i32>j)) return false;
    i += <usize>(c >>> 24);
    j++;
  }
  return i == n && j == m;
}

// ---- Go-compatible string forms of argument values (aip-digest 2.4: STRING()) ----

// A JSON number split into sign, significant digits (no leading or trailing zeros) and a decimal exponent:
// value = 0.d1d2d3... * 10^numExp.
let numNeg = false;
let numDigits: usize = 0; // arena pointer
let numCount: i32 = 0;
let numExp: i32 = 0;

function splitNumber(p: usize, end: usize): void {
  numNeg = load<u8>(p) == 0x2d;
  let q = numNeg ? p + 1 : p;
  numDigits = arenaAlloc(end - p + 1);
  numCount = 0;
  let intDigits: i32 = 0;
  let seenNonZero = false;
  let leadingFracZeros: i32 = 0;
  let inFrac = false;
  while (q < end) {
    const c = <u32>load<u8>(q);
    if (c == 0x2e) {
      inFrac = true;
      q++;
      continue;
    }
    if ((c | 0x20) == 0x65) break;
    if (!seenNonZero && c == 0x30) {
      if (inFrac) leadingFracZeros++;
      q++;
      continue;
    }
    seenNonZero = true;
    store<u8>(numDigits + numCount, <u8>c);
    numCount++;
    if (!inFrac) intDigits++;
    q++;
  }
  let e: i32 = 0;
  if (q < end) {
    q++;
    let neg = false;
    if (load<u8>(q) == 0x2d) {
      neg = true;
      q++;
    } else if (load<u8>(q) == 0x2b) q++;
    while (q < end) {
      if (e < 100000) e = e * 10 + <i32>(load<u8>(q) - 0x30);
      q++;
    }
    if (neg) e = -e;
  }
  while (numCount > 0 && load<u8>(numDigits + numCount - 1) == 0x30) numCount--;
  numExp = seenNonZero ? (intDigits > 0 ? intDigits : -leadingFracZeros) + e : 0;
  if (numCount > 15 && !reparsing) toFloat64Digits();
}

let reparsing = false;
const DTOA_OUT = memory.data(128); // UTF-16 output of the standard library's float formatter

// Beyond 15 significant digits the number may not survive Go's trip through float64: take the float64 value
// and its shortest round-trip digits, as Go prints them. Integers of up to 19 digits convert exactly; longer
// mantissas are rounded to 19 digits first (docs/decisions.md).
function toFloat64Digits(): void {
  const used = numCount < 19 ? numCount : 19;
  let m: u64 = 0;
  for (let i = 0; i < used; i++) m = m * 10 + <u64>(load<u8>(numDigits + i) - 0x30);
  let v = <f64>m;
  const scale = numExp - used;
  if (scale > 0) v *= Math.pow(10, <f64>scale);
  else if (scale < 0) v /= Math.pow(10, <f64>-scale);
  if (!isFinite(v)) return; // out of float64 range: keep the written digits
  const n = dtoa_buffered(DTOA_OUT, v);
  const text = arenaAlloc(<usize>n + 1);
  for (let i: u32 = 0; i < n; i++) store<u8>(text + i, <u8>load<u16>(DTOA_OUT + (<usize>i << 1)));
  const neg = numNeg;
  reparsing = true;
  splitNumber(text, text + n);
  reparsing = false;
  numNeg = neg;
}

function writeFixed(b: Buf): void {
  if (numCount == 0) {
    if (numNeg) bufByte(b, 0x2d); // Go prints negative zero as -0
    bufByte(b, 0x30);
    return;
  }
  if (numNeg) bufByte(b, 0x2d);
  if (numExp <= 0) {
    bufAscii(b, "0.");
    for (let i = 0; i < -numExp; i++) bufByte(b, 0x30);
    bufBytes(b, numDigits, numCount);
  } else if (numExp >= numCount) {
    bufBytes(b, numDigits, numCount);
    for (let i = numCount; i < numExp; i++) bufByte(b, 0x30);
  } else {
    bufBytes(b, numDigits, numExp);
    bufByte(b, 0x2e);
    bufBytes(b, numDigits + numExp, numCount - numExp);
  }
}

/** Go strconv.FormatFloat(v, 'f', -1, 64) of the JSON number at [p, end). */
export function formatNumberFixed(b: Buf, p: usize, end: usize): void {
  splitNumber(p, end);
  writeFixed(b);
}

/** Go encoding/json's float64 form: fixed notation in [1e-6, 1e21), else shortest exponent form (1e+21, 1e-7). */
function formatNumberJson(b: Buf, p: usize, end: usize): void {
  splitNumber(p, end);
  if (numCount == 0 || (numExp > -6 && numExp <= 21)) {
    writeFixed(b);
    return;
  }
  if (numNeg) bufByte(b, 0x2d);
  bufByte(b, load<u8>(numDigits));
  if (numCount > 1) {
    bufByte(b, 0x2e);
    bufBytes(b, numDigits + 1, numCount - 1);
  }
  const e = numExp - 1;
  bufByte(b, 0x65);
  bufByte(b, e < 0 ? 0x2d : 0x2b);
  const a = e < 0 ? -e : e;
  if (a < 10) bufByte(b, 0x30 + a);
  else {
    if (a >= 100) bufByte(b, 0x30 + a / 100);
    bufByte(b, 0x30 + (a / 10) % 10);
    bufByte(b, 0x30 + a % 10);
  }
}

/** Append the decoded text as a Go json.Marshal string: quotes, \" \\ \n \r \t, \u00XX, and <>& U+2028 U+2029 escaped. */
function goQuote(b: Buf, p: usize, n: usize): void {
  bufByte(b, 0x22);
  for (let i: usize = 0; i < n; i++) {
    const c = <u32>load<u8>(p + i);
    if (c == 0x22 || c == 0x5c) {
      bufByte(b, 0x5c);
      bufByte(b, c);
    } else if (c == 0x0a) bufAscii(b, "\\n");
    else if (c == 0x08) bufAscii(b, "\\b");
    else if (c == 0x0c) bufAscii(b, "\\f");
    else if (c == 0x0d) bufAscii(b, "\\r");
    else if (c == 0x09) bufAscii(b, "\\t");
    else if (c < 0x20 || c == 0x3c || c == 0x3e || c == 0x26) {
      bufAscii(b, "\\u00");
      bufByte(b, "0123456789abcdef".charCodeAt(c >> 4));
      bufByte(b, "0123456789abcdef".charCodeAt(c & 15));
    } else if (c == 0xe2 && i + 2 < n && load<u8>(p + i + 1) == 0x80 && (load<u8>(p + i + 2) & 0xfe) == 0xa8) {
      bufAscii(b, load<u8>(p + i + 2) == 0xa8 ? "\\u2028" : "\\u2029");
      i += 2;
    } else bufByte(b, c);
  }
  bufByte(b, 0x22);
}

/** Set when goMarshal meets an object with a duplicate key: the value is ambiguous. */
export let marshalDuplicateKey = false;

/** Go json.Marshal of a decoded JSON value (map keys sorted, compact). */
export function goMarshal(b: Buf, p: usize, end: usize): void {
  const k = kindAt(p);
  if (k == J_STRING) {
    decodeString(p);
    goQuote(b, strPtr, strLen);
  } else if (k == J_NUMBER) {
    formatNumberJson(b, p, skipValue(p, end));
  } else if (k == J_TRUE) bufAscii(b, "true");
  else if (k == J_FALSE) bufAscii(b, "false");
  else if (k == J_NULL) bufAscii(b, "null");
  else if (k == J_ARRAY) {
    bufByte(b, 0x5b);
    let e = arrFirst(p, end);
    let first = true;
    while (e != 0) {
      if (!first) bufByte(b, 0x2c);
      first = false;
      goMarshal(b, e, end);
      e = arrNext(skipValue(e, end), end);
    }
    bufByte(b, 0x5d);
  } else {
    // Collect (decoded key, value position) triples, sort by key bytes, write.
    let count: usize = 0;
    let m = objFirst(p, end);
    while (m != 0) {
      count++;
      m = objNext(skipValue(memberValue(m, end), end), end);
    }
    const table = arenaAlloc(count * 3 * sizeof<usize>() + 8);
    let i: usize = 0;
    m = objFirst(p, end);
    while (m != 0) {
      decodeString(m);
      const v = memberValue(m, end);
      // insertion sort by key
      let j = i;
      while (j > 0) {
        const prev = table + (j - 1) * 3 * sizeof<usize>();
        const c = compareBytes(load<usize>(prev), load<usize>(prev, sizeof<usize>()), strPtr, strLen);
        if (c == 0) marshalDuplicateKey = true;
        if (c <= 0) break;
        memory.copy(prev + 3 * sizeof<usize>(), prev, 3 * sizeof<usize>());
        j--;
      }
      const slot = table + j * 3 * sizeof<usize>();
      store<usize>(slot, strPtr);
      store<usize>(slot, strLen, sizeof<usize>());
      store<usize>(slot, v, 2 * sizeof<usize>());
      i++;
      m = objNext(skipValue(v, end), end);
    }
    bufByte(b, 0x7b);
    for (let j: usize = 0; j < count; j++) {
      const slot = table + j * 3 * sizeof<usize>();
      if (j > 0) bufByte(b, 0x2c);
      goQuote(b, load<usize>(slot), load<usize>(slot, sizeof<usize>()));
      bufByte(b, 0x3a);
      goMarshal(b, load<usize>(slot, 2 * sizeof<usize>()), end);
    }
    bufByte(b, 0x7d);
  }
}

export function compareBytes(a: usize, an: usize, b: usize, bn: usize): i32 {
  const n = an < bn ? an : bn;
  const c = memory.compare(a, b, n);
  if (c != 0) return c;
  return an < bn ? -1 : an > bn ? 1 : 0;
}

/**
 * STRING(value) of aip-digest 2.4 into strPtr/strLen: strings decoded, numbers in Go's 'f' form, booleans,
 * null as "", arrays and objects as Go json.Marshal.
 */
export function argString(p: usize, end: usize): void {
  const k = kindAt(p);
  if (k == J_STRING) {
    decodeString(p);
    return;
  }
  if (k == J_NULL) {
    strPtr = p;
    strLen = 0;
    return;
  }
  const b = bufNew(64);
  if (k == J_NUMBER) formatNumberFixed(b, p, skipValue(p, end));
  else goMarshal(b, p, end);
  strPtr = b.ptr;
  strLen = b.len;
}
