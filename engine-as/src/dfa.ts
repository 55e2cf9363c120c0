// Runner for the regex DFA blobs of compiler/regex (format in docs/regex.md). Pointers and loads only, no
// managed objects; only dfaPieces allocates (its result, in the call arena). dfaValidate checks a blob completely once (at bundle load); afterwards
// the runners trust it: every transition is a valid row offset, so the loops need no bounds checks.

import { arenaAlloc, arenaGrowArray } from "./arena";

// Header fields (byte offsets).
const H_MAGIC: usize = 0;
const H_VERSION: usize = 4;
const H_KIND: usize = 6;
const H_LENGTH: usize = 8;
const H_STATES: usize = 12;
const H_CLASSES: usize = 16;
const H_ROW: usize = 20;
const H_THRESHOLD: usize = 24;
const H_RESERVED: usize = 28;
const H_START: usize = 32; // 4 x u32: begin of text, after '\n', after a word byte, after another byte
const CLASS_MAP: usize = 48;
const TABLE: usize = 304;

const MAGIC: u32 = 0x58524754; // "TGRX"
const KIND_ANY_OF: u16 = 2;
const VERSION: u16 = 1;
const MAX_STATES: u32 = 1 << 20;

// Look-behind contexts and end-of-scan columns share this numbering.
export const CTX_BEGIN: u32 = 0;
const CTX_NL: u32 = 1;
const CTX_WORD: u32 = 2;
const CTX_OTHER: u32 = 3;

@inline
function isWordByte(b: u32): bool {
  return b - 0x30 < 10 || (b | 0x20) - 0x61 < 26 || b == 0x5f;
}

@inline
export function ctxOfByte(b: u32): u32 {
  return b == 0x0a ? CTX_NL : isWordByte(b) ? CTX_WORD : CTX_OTHER;
}

/** Full check of a blob; after it, running the blob reads only inside [dfa, dfa+len). */
export function dfaValidate(dfa: usize, len: usize): bool {
  if (len < TABLE || (dfa & 3) != 0) return false;
  if (load<u32>(dfa + H_MAGIC) != MAGIC || load<u16>(dfa + H_VERSION) != VERSION) return false;
  if (load<u16>(dfa + H_KIND) > 2 || load<u32>(dfa + H_RESERVED) != 0) return false;
  const states = load<u32>(dfa + H_STATES);
  const classes = load<u32>(dfa + H_CLASSES);
  const row = load<u32>(dfa + H_ROW);
  const threshold = load<u32>(dfa + H_THRESHOLD);
  if (classes < 1 || classes > 256 || row != (classes + 5) * 4) return false;
  if (states < 1 || states > MAX_STATES) return false;
  if (<u64>load<u32>(dfa + H_LENGTH) != <u64>len) return false;
  if (<u64>TABLE + <u64>states * <u64>row != <u64>len) return false;
  const size = states * row; // fits: states <= 2^20, row <= 1044
  if (threshold >= size || threshold % row != 0) return false;
  for (let c: usize = 0; c < 4; c++) {
    const s = load<u32>(dfa + H_START + c * 4);
    if (s >= size || s % row != 0) return false;
  }
  for (let b: usize = 0; b < 256; b++) if (<u32>load<u8>(dfa + CLASS_MAP + b) >= classes) return false;
  const table = dfa + TABLE;
  const anyOf = load<u16>(dfa + H_KIND) == KIND_ANY_OF;
  for (let off: u32 = 0; off < size; off += row) {
    const r = table + <usize>off;
    for (let c: u32 = 0; c < classes; c++) {
      const t = load<u32>(r + <usize>c * 4);
      if (t >= size || t % row != 0) return false;
      if (off == threshold && t != threshold) return false; // the dead state stays dead
    }
    for (let k: u32 = 0; k < 4; k++) {
      const e = load<u32>(r + <usize>(classes + k) * 4);
      if (e > 4 || (off == threshold && e != 0)) return false;
    }
    const d = load<u32>(r + <usize>(classes + 4) * 4);
    if (off > threshold ? d < 1 || d > 4 : d != 0) return false;
    // dfaIsMatch checks any-of blobs only every few bytes: their match states must stay match states.
    if (anyOf && off > threshold) {
      for (let c: u32 = 0; c < classes; c++) if (load<u32>(r + <usize>c * 4) <= threshold) return false;
    }
  }
  return true;
}

// Texts at least this long are scanned as four interleaved streams (see dfaIsMatch).
const STREAMS_MIN: usize = 256;

@inline
function step(table: usize, map: usize, s: u32, b: u32): u32 {
  // table + class offset does not depend on s, so only one add sits on the s -> s dependency chain.
  return load<u32>(table + (<usize>load<u8>(map + <usize>b) << 2) + <usize>s);
}

/** Scans text[p, end) from state s; returns the state reached, or a match state as soon as one is met. */
@inline
function scan(table: usize, map: usize, threshold: u32, s: u32, p: usize, end: usize): u32 {
  while (p < end) {
    s = step(table, map, s, <u32>load<u8>(p));
    if (s >= threshold) break;
    p++;
  }
  return s;
}

@inline
function isCont(b: u32): bool {
  return (b & 0xc0) == 0x80;
}

/** First position at or after p where Go's UTF-8 reading of the text has a code point boundary. */
function boundaryFrom(text: usize, len: usize, p: usize): usize {
  // A position is a boundary unless it is inside a valid encoding; after 3 continuation bytes it cannot be.
  for (let k = 0; k < 3 && p < len && isCont(<u32>load<u8>(text + p)); k++) p++;
  return p;
}

/**
 * Whether a forward or any-of blob matches anywhere in text[0, len). Per byte: one class-map load and one
 * table load; a state at or above the threshold (dead, or a match) ends the scan.
 *
 * Long texts are cut into four segments scanned in one interleaved loop (four independent load chains
 * instead of one). Each segment starts at a code point boundary in the start state for its context, so
 * it finds the matches that start in it, except those running past its end: after its end the segment's
 * scan continues until its state becomes the start state again (then every later match starts later and
 * later segments find it), the DFA dies, or the text ends.
 */
export function dfaIsMatch(dfa: usize, text: usize, len: usize): bool {
  const table = dfa + TABLE;
  const map = dfa + CLASS_MAP;
  const threshold = load<u32>(dfa + H_THRESHOLD);
  const classes = <usize>load<u32>(dfa + H_CLASSES);
  const end = text + len;
  if (len < STREAMS_MIN) {
    const s = scan(table, map, threshold, load<u32>(dfa + H_START), text, end);
    if (s >= threshold) return s != threshold;
    return load<u32>(table + <usize>s + (classes << 2)) != 0;
  }

  const q = len >> 2;
  const b1 = boundaryFrom(text, len, q);
  const b2 = boundaryFrom(text, len, q * 2);
  const b3 = boundaryFrom(text, len, q * 3);
  let s0 = load<u32>(dfa + H_START);
  let s1 = load<u32>(dfa + H_START + <usize>ctxOfByte(<u32>load<u8>(text + b1 - 1)) * 4);
  let s2 = load<u32>(dfa + H_START + <usize>ctxOfByte(<u32>load<u8>(text + b2 - 1)) * 4);
  let s3 = load<u32>(dfa + H_START + <usize>ctxOfByte(<u32>load<u8>(text + b3 - 1)) * 4);
  // Lockstep over the length all four segments have; a dead stream stays dead (its row loops).
  let n = b1;
  if (b2 - b1 < n) n = b2 - b1;
  if (b3 - b2 < n) n = b3 - b2;
  if (len - b3 < n) n = len - b3;
  const p0 = text;
  const p1 = text + b1;
  const p2 = text + b2;
  const p3 = text + b3;
  // In an any-of blob the match state is absorbing too, so one check per four bytes sees every match;
  // that saves most of the compares, which are what limits this loop.
  let i: usize = 0;
  if (load<u16>(dfa + H_KIND) == KIND_ANY_OF) {
    const n4 = n & ~(<usize>3);
    for (; i < n4; i += 4) {
      s0 = step(table, map, s0, <u32>load<u8>(p0 + i));
      s1 = step(table, map, s1, <u32>load<u8>(p1 + i));
      s2 = step(table, map, s2, <u32>load<u8>(p2 + i));
      s3 = step(table, map, s3, <u32>load<u8>(p3 + i));
      s0 = step(table, map, s0, <u32>load<u8>(p0 + i, 1));
      s1 = step(table, map, s1, <u32>load<u8>(p1 + i, 1));
      s2 = step(table, map, s2, <u32>load<u8>(p2 + i, 1));
      s3 = step(table, map, s3, <u32>load<u8>(p3 + i, 1));
      s0 = step(table, map, s0, <u32>load<u8>(p0 + i, 2));
      s1 = step(table, map, s1, <u32>load<u8>(p1 + i, 2));
      s2 = step(table, map, s2, <u32>load<u8>(p2 + i, 2));
      s3 = step(table, map, s3, <u32>load<u8>(p3 + i, 2));
      s0 = step(table, map, s0, <u32>load<u8>(p0 + i, 3));
      s1 = step(table, map, s1, <u32>load<u8>(p1 + i, 3));
      s2 = step(table, map, s2, <u32>load<u8>(p2 + i, 3));
      s3 = step(table, map, s3, <u32>load<u8>(p3 + i, 3));
      if ((<i32>(s0 > threshold) | <i32>(s1 > threshold) | <i32>(s2 > threshold) | <i32>(s3 > threshold)) != 0) return true;
    }
  }
  for (; i < n; i++) {
    s0 = step(table, map, s0, <u32>load<u8>(p0 + i));
    s1 = step(table, map, s1, <u32>load<u8>(p1 + i));
    s2 = step(table, map, s2, <u32>load<u8>(p2 + i));
    s3 = step(table, map, s3, <u32>load<u8>(p3 + i));
    if ((<i32>(s0 > threshold) | <i32>(s1 > threshold) | <i32>(s2 > threshold) | <i32>(s3 > threshold)) != 0) return true;
  }
  // The rest of each segment.
  s0 = scan(table, map, threshold, s0, p0 + n, p1);
  s1 = scan(table, map, threshold, s1, p1 + n, p2);
  s2 = scan(table, map, threshold, s2, p2 + n, p3);
  s3 = scan(table, map, threshold, s3, p3 + n, end);
  if (s0 > threshold || s1 > threshold || s2 > threshold || s3 > threshold) return true;
  if (s3 != threshold && load<u32>(table + <usize>s3 + (classes << 2)) != 0) return true;
  // Matches that start in a segment and run past its end.
  // A tail that ran past the next segment's end also covered that segment's matches.
  if (tail(dfa, text, len, s0, b1)) return true;
  let covered = tailEnd;
  if (covered <= b2) {
    if (tail(dfa, text, len, s1, b2)) return true;
    covered = tailEnd;
  }
  if (covered <= b3 && tail(dfa, text, len, s2, b3)) return true;
  return false;
}

let tailEnd: usize = 0; // where the last tail() stopped

/**
 * Continues a segment's scan from p until its state is the start state for the context at p (nothing
 * started before p can still matter), the DFA dies, a match is found (true), or the text ends.
 */
function tail(dfa: usize, text: usize, len: usize, s: u32, p: usize): bool {
  const table = dfa + TABLE;
  const map = dfa + CLASS_MAP;
  const threshold = load<u32>(dfa + H_THRESHOLD);
  while (p < len) {
    if (s == threshold || s == load<u32>(dfa + H_START + <usize>ctxOfByte(<u32>load<u8>(text + p - 1)) * 4)) {
      tailEnd = p;
      return false;
    }
    s = step(table, map, s, <u32>load<u8>(text + p));
    p++;
    if (s > threshold) return true;
  }
  tailEnd = len;
  if (s == threshold) return false;
  return load<u32>(table + <usize>s + (<usize>load<u32>(dfa + H_CLASSES) << 2)) != 0;
}

/**
 * Go's leftmost-first match in text[0, len), searching from `from` (assertions see the whole text).
 * Returns -1, or (start << 32) | end. The forward blob finds the end; the reverse blob, run backwards
 * from there down to `from`, finds the start.
 */
export function dfaFind(fwd: usize, rev: usize, text: usize, len: usize, from: usize): i64 {
  return dfaFindIn(fwd, rev, text, len, from, CTX_BEGIN, CTX_BEGIN);
}

/**
 * dfaFind in a piece of a larger text: startCtx is the kind of byte before the piece (CTX_BEGIN at the start
 * of the text), endCtx the kind of byte after it (CTX_BEGIN at the end of the text).
 */
export function dfaFindIn(fwd: usize, rev: usize, text: usize, len: usize, from: usize, startCtx: u32, endCtx: u32): i64 {
  if (from > len) return -1;
  // Forward: run until the DFA dies or the text ends; the last match seen ends Go's match.
  let table = fwd + TABLE;
  let map = fwd + CLASS_MAP;
  let threshold = load<u32>(fwd + H_THRESHOLD);
  let classes = <usize>load<u32>(fwd + H_CLASSES);
  const ctx0 = from == 0 ? startCtx : ctxOfByte(<u32>load<u8>(text + from - 1));
  let s = load<u32>(fwd + H_START + <usize>ctx0 * 4);
  let end: i64 = -1;
  let i = from;
  while (i < len) {
    s = load<u32>(table + <usize>s + (<usize>load<u8>(map + <usize>load<u8>(text + i)) << 2));
    i++;
    if (s >= threshold) {
      if (s == threshold) break;
      end = <i64>i - <i64>load<u32>(table + <usize>s + (classes + 4) * 4);
    }
  }
  if (i == len && s != threshold) {
    const e = load<u32>(table + <usize>s + ((classes + <usize>endCtx) << 2));
    if (e != 0) end = <i64>len - <i64>(e - 1);
  }
  if (end < 0) return -1;
  if (end < <i64>from) end = <i64>from; // only a corrupt-but-valid blob could do this; stay in range
  const e = <usize>end;

  // Reverse: from the end back to `from`, anchored; the lowest start seen is the match start.
  table = rev + TABLE;
  map = rev + CLASS_MAP;
  threshold = load<u32>(rev + H_THRESHOLD);
  classes = <usize>load<u32>(rev + H_CLASSES);
  const ctx1 = e == len ? endCtx : ctxOfByte(<u32>load<u8>(text + e));
  s = load<u32>(rev + H_START + <usize>ctx1 * 4);
  let start: i64 = -1;
  let j = e;
  while (j > from) {
    j--;
    s = load<u32>(table + <usize>s + (<usize>load<u8>(map + <usize>load<u8>(text + j)) << 2));
    if (s >= threshold) {
      if (s == threshold) break;
      start = <i64>j + <i64>load<u32>(table + <usize>s + (classes + 4) * 4);
    }
  }
  if (j == from && s != threshold) {
    // The scan stops at `from`: its end-of-scan column is the kind of byte before `from`.
    const col = from == 0 ? startCtx : ctxOfByte(<u32>load<u8>(text + from - 1));
    const r = load<u32>(table + <usize>s + (classes + <usize>col) * 4);
    if (r != 0) start = <i64>from + <i64>(r - 1);
  }
  if (start < <i64>from || start > end) start = <i64>from; // cannot happen for compiler output
  return (start << 32) | end;
}

/** dfaIsMatch for a short piece of a larger text (contexts as in dfaFindIn), in one stream. */
export function dfaIsMatchIn(dfa: usize, text: usize, len: usize, startCtx: u32, endCtx: u32): bool {
  const table = dfa + TABLE;
  const threshold = load<u32>(dfa + H_THRESHOLD);
  const s = scan(table, dfa + CLASS_MAP, threshold, load<u32>(dfa + H_START + <usize>startCtx * 4), text, text + len);
  if (s >= threshold) return s != threshold;
  return load<u32>(table + <usize>s + ((<usize>load<u32>(dfa + H_CLASSES) + <usize>endCtx) << 2)) != 0;
}

// ---- Pieces (DLP): the parts of a text between separator bytes that an any-of DFA may match in ----

// Per stream: ranges pointer, count, capacity (u32 each); then the merged result.
const STREAM_RANGES = memory.data(4 * 12);
export let pieceRanges: usize = 0; // (start, end) u32 pairs, ascending, disjoint
export let pieceCount: usize = 0;
// A match is seen at most this many bytes after it ended (the any-of loop checks every 4 bytes; a pending
// U+FFFD reading delays a match by up to 4).
const HIT_MARGIN: usize = 16;

@inline
function isSep(sep: usize, b: u32): bool {
  return b < 0x80 && ((<u32>load<u8>(sep + <usize>(b >> 3)) >> (b & 7)) & 1) != 0;
}

function pushRange(k: usize, lo: usize, hi: usize): void {
  const h = STREAM_RANGES + k * 12;
  let ptr = <usize>load<u32>(h);
  const count = <usize>load<u32>(h, 4);
  let cap = <usize>load<u32>(h, 8);
  if (count > 0) {
    const last = ptr + (count - 1) * 8;
    if (lo <= <usize>load<u32>(last, 4)) {
      if (hi > <usize>load<u32>(last, 4)) store<u32>(last, <u32>hi, 4);
      return;
    }
  }
  if (count == cap) {
    cap = cap == 0 ? 16 : cap << 1;
    ptr = arenaGrowArray(ptr, count, cap, 8);
    store<u32>(h, <u32>ptr);
    store<u32>(h, <u32>cap, 8);
  }
  store<u32>(ptr + count * 8, <u32>lo);
  store<u32>(ptr + count * 8, <u32>hi, 4);
  store<u32>(h, <u32>(count + 1), 4);
}

/**
 * Stream k met a match state at x: every piece that can hold that match goes into its ranges. Returns the
 * position of the separator after them (where the stream resumes, in the start state), or len.
 */
function hitAt(k: usize, text: usize, len: usize, x: usize, segLo: usize, sep: usize): usize {
  let lo = x > segLo + HIT_MARGIN ? x - HIT_MARGIN : segLo;
  while (lo > segLo && !isSep(sep, <u32>load<u8>(text + lo - 1))) lo--;
  let hi = x;
  while (hi < len && !isSep(sep, <u32>load<u8>(text + hi))) hi++;
  pushRange(k, lo, hi);
  return hi;
}

/** One stream's scan of [a, e) from state s, to the end of its segment. */
function finishStream(dfa: usize, k: usize, text: usize, len: usize, a: usize, e: usize, s: u32, segLo: usize, sep: usize): void {
  const table = dfa + TABLE;
  const map = dfa + CLASS_MAP;
  const threshold = load<u32>(dfa + H_THRESHOLD);
  while (a < e) {
    s = step(table, map, s, <u32>load<u8>(text + a));
    a++;
    if (s > threshold) {
      const r = hitAt(k, text, len, a, segLo, sep);
      if (r + 1 > e) return;
      a = r + 1;
      s = load<u32>(dfa + H_START + <usize>ctxOfByte(<u32>load<u8>(text + r)) * 4);
    }
  }
  if (e == len && s != threshold && load<u32>(table + <usize>s + (<usize>load<u32>(dfa + H_CLASSES) << 2)) != 0) {
    hitAt(k, text, len, len, segLo, sep);
  }
}

@inline
function segStart(text: usize, len: usize, at: usize, sep: usize): usize {
  while (at < len && !isSep(sep, <u32>load<u8>(text + at))) at++;
  return at < len ? at + 1 : len;
}

/**
 * The pieces of text[0, len) that an any-of DFA matches in (pieces: maximal runs without a separator byte;
 * a match of the DFA never holds a separator). Result: pieceRanges/pieceCount, runs of whole pieces; every
 * piece the DFA matches in is inside one. Long texts run as four streams, cut at separators.
 */
export function dfaPieces(dfa: usize, text: usize, len: usize, sep: usize): void {
  memory.fill(STREAM_RANGES, 0, 4 * 12);
  const table = dfa + TABLE;
  const map = dfa + CLASS_MAP;
  const threshold = load<u32>(dfa + H_THRESHOLD);
  let b1 = len;
  let b2 = len;
  let b3 = len;
  if (len >= STREAMS_MIN) {
    const q = len >> 2;
    b1 = segStart(text, len, q, sep);
    b2 = segStart(text, len, b1 > q * 2 ? b1 : q * 2, sep);
    b3 = segStart(text, len, b2 > q * 3 ? b2 : q * 3, sep);
  }
  const start = dfa + H_START;
  let a0: usize = 0;
  let a1 = b1;
  let a2 = b2;
  let a3 = b3;
  let s0 = load<u32>(start);
  let s1 = b1 < len ? load<u32>(start + <usize>ctxOfByte(<u32>load<u8>(text + b1 - 1)) * 4) : threshold;
  let s2 = b2 < len ? load<u32>(start + <usize>ctxOfByte(<u32>load<u8>(text + b2 - 1)) * 4) : threshold;
  let s3 = b3 < len ? load<u32>(start + <usize>ctxOfByte(<u32>load<u8>(text + b3 - 1)) * 4) : threshold;
  if (len >= STREAMS_MIN) {
    while (true) {
      let m = b1 - a0;
      if (b2 - a1 < m) m = b2 - a1;
      if (b3 - a2 < m) m = b3 - a2;
      if (len - a3 < m) m = len - a3;
      if (m < 64) break;
      m &= ~(<usize>3);
      const p0 = text + a0;
      const p1 = text + a1;
      const p2 = text + a2;
      const p3 = text + a3;
      let i: usize = 0;
      while (i < m) {
        s0 = step(table, map, s0, <u32>load<u8>(p0 + i));
        s1 = step(table, map, s1, <u32>load<u8>(p1 + i));
        s2 = step(table, map, s2, <u32>load<u8>(p2 + i));
        s3 = step(table, map, s3, <u32>load<u8>(p3 + i));
        s0 = step(table, map, s0, <u32>load<u8>(p0 + i, 1));
        s1 = step(table, map, s1, <u32>load<u8>(p1 + i, 1));
        s2 = step(table, map, s2, <u32>load<u8>(p2 + i, 1));
        s3 = step(table, map, s3, <u32>load<u8>(p3 + i, 1));
        s0 = step(table, map, s0, <u32>load<u8>(p0 + i, 2));
        s1 = step(table, map, s1, <u32>load<u8>(p1 + i, 2));
        s2 = step(table, map, s2, <u32>load<u8>(p2 + i, 2));
        s3 = step(table, map, s3, <u32>load<u8>(p3 + i, 2));
        s0 = step(table, map, s0, <u32>load<u8>(p0 + i, 3));
        s1 = step(table, map, s1, <u32>load<u8>(p1 + i, 3));
        s2 = step(table, map, s2, <u32>load<u8>(p2 + i, 3));
        s3 = step(table, map, s3, <u32>load<u8>(p3 + i, 3));
        i += 4;
        if ((<i32>(s0 > threshold) | <i32>(s1 > threshold) | <i32>(s2 > threshold) | <i32>(s3 > threshold)) != 0) break;
      }
      a0 += i;
      a1 += i;
      a2 += i;
      a3 += i;
      // A stream that met a match resumes after the separator that ends its hit (or stops at its segment's end).
      if (s0 > threshold) {
        const r = hitAt(0, text, len, a0, 0, sep);
        if (r + 1 > b1) a0 = b1;
        else {
          a0 = r + 1;
          s0 = load<u32>(start + <usize>ctxOfByte(<u32>load<u8>(text + r)) * 4);
        }
      }
      if (s1 > threshold) {
        const r = hitAt(1, text, len, a1, b1, sep);
        if (r + 1 > b2) a1 = b2;
        else {
          a1 = r + 1;
          s1 = load<u32>(start + <usize>ctxOfByte(<u32>load<u8>(text + r)) * 4);
        }
      }
      if (s2 > threshold) {
        const r = hitAt(2, text, len, a2, b2, sep);
        if (r + 1 > b3) a2 = b3;
        else {
          a2 = r + 1;
          s2 = load<u32>(start + <usize>ctxOfByte(<u32>load<u8>(text + r)) * 4);
        }
      }
      if (s3 > threshold) {
        const r = hitAt(3, text, len, a3, b3, sep);
        if (r + 1 > len) a3 = len;
        else {
          a3 = r + 1;
          s3 = load<u32>(start + <usize>ctxOfByte(<u32>load<u8>(text + r)) * 4);
        }
      }
    }
  }
  if (s0 <= threshold) finishStream(dfa, 0, text, len, a0, b1, s0, 0, sep);
  if (s1 <= threshold) finishStream(dfa, 1, text, len, a1, b2, s1, b1, sep);
  if (s2 <= threshold) finishStream(dfa, 2, text, len, a2, b3, s2, b2, sep);
  if (s3 <= threshold) finishStream(dfa, 3, text, len, a3, len, s3, b3, sep);
  // Streams in text order: their ranges ascend; join them, merging overlaps.
  let total: usize = 0;
  for (let k: usize = 0; k < 4; k++) total += <usize>load<u32>(STREAM_RANGES + k * 12, 4);
  pieceRanges = arenaAlloc(total * 8 + 8);
  pieceCount = 0;
  for (let k: usize = 0; k < 4; k++) {
    const h = STREAM_RANGES + k * 12;
    const ptr = <usize>load<u32>(h);
    const count = <usize>load<u32>(h, 4);
    for (let j: usize = 0; j < count; j++) {
      const lo = load<u32>(ptr + j * 8);
      const hi = load<u32>(ptr + j * 8, 4);
      if (pieceCount > 0) {
        const last = pieceRanges + (pieceCount - 1) * 8;
        if (lo <= load<u32>(last, 4)) {
          if (hi > load<u32>(last, 4)) store<u32>(last, hi, 4);
          continue;
        }
      }
      store<u32>(pieceRanges + pieceCount * 8, lo);
      store<u32>(pieceRanges + pieceCount * 8, hi, 4);
      pieceCount++;
    }
  }
}
