// DLP redaction of text, with Go's semantics (aip-digest 3.5): patterns in policy order, each applied to the
// output of the previous one, every leftmost-first non-overlapping match replaced by [REDACTED:<name>].
// A combined DFA of all patterns answers "anything at all?" in one pass first: most text has no secret.

import { Buf, bufNew, bufBytes, bufAscii, bufByte } from "./buf";
import * as bundle from "./bundle";
import { arenaAlloc, arenaGrowArray } from "./arena";
import {
  dfaIsMatch, dfaFind, dfaIsMatchIn, dfaFindIn, dfaPieces, pieceRanges, pieceCount, ctxOfByte, CTX_BEGIN,
} from "./dfa";
import { utf8Decode, decodedSize } from "./utf8";
import { redactEncoded } from "./encoded";

let counts: usize = 0; // u32 per pattern: matches in this call, then u32 per pattern: encoded hits
let patternCount: u32 = 0;

export function dlpEnabled(): bool {
  return bundle.base != 0 && bundle.hasFlag(bundle.CF_DLP) && load<u32>(bundle.dlp) > 0;
}

/** Start counting matches for one engine call. */
export function dlpBegin(): void {
  patternCount = bundle.base != 0 ? load<u32>(bundle.dlp) : 0;
  counts = arenaAlloc(<usize>patternCount * 8 + 4);
  memory.fill(counts, 0, <usize>patternCount * 8);
}

/** Count a hit of pattern i in decoded base64/hex text (detect_encoding). */
export function recordEncoded(i: u32): void {
  const c = counts + (<usize>patternCount + i) * 4;
  store<u32>(c, load<u32>(c) + 1);
}

/**
 * (pattern index, matches) pairs of this call, for the result record; an index with the top bit set counts
 * hits in decoded base64/hex text. Returns the number of pairs.
 */
export function dlpEvents(out: usize): u32 {
  let n: u32 = 0;
  for (let i: u32 = 0; i < patternCount * 2; i++) {
    const c = load<u32>(counts + <usize>i * 4);
    if (c == 0) continue;
    store<u32>(out + <usize>n * 8, i < patternCount ? i : (i - patternCount) | 0x80000000);
    store<u32>(out + <usize>n * 8 + 4, c);
    n++;
  }
  return n;
}

export function dlpEventsBuffer(): usize {
  return arenaAlloc(<usize>patternCount * 16 + 8);
}

@inline
function entry(i: u32): usize {
  return bundle.dlp + bundle.DLP_HEADER + <usize>i * bundle.DLP_ENTRY;
}

/** Width of the code point at p for Go's regexp loop: invalid bytes count as one, the end as zero. */
function runeWidth(p: usize, end: usize): usize {
  if (p >= end) return 0;
  if (load<u8>(p) < 0x80) return 1;
  const n = decodedSize(utf8Decode(p, end));
  return n == 0 ? 1 : n;
}

/** Go's FindAllIndex count: non-overlapping matches, an empty match right after a match ignored. */
function countMatches(fwd: usize, rev: usize, p: usize, n: usize): u32 {
  let count: u32 = 0;
  let pos: usize = 0;
  let prevEnd: i64 = -1;
  while (pos <= n) {
    const r = dfaFind(fwd, rev, p, n, pos);
    if (r < 0) break;
    const s = <usize>(r >>> 32);
    const e = <usize>(r & 0xffffffff);
    let accept = true;
    if (e == pos && s == e) {
      if (<i64>s == prevEnd) accept = false;
      const w = runeWidth(p + pos, p + n);
      pos += w == 0 ? 1 : w;
    } else pos = e;
    prevEnd = <i64>e;
    if (accept) count++;
  }
  return count;
}

/** The literal Go's ReplaceAllString writes for a match: [REDACTED:<name>]. */
@inline
function bufRedaction(out: Buf, name: usize, nameLen: usize): void {
  bufAscii(out, "[REDACTED:");
  bufBytes(out, name, nameLen);
  bufByte(out, 0x5d);
}

/** Where Go's ReplaceAll searches next after a match ending at e found from pos (one rune on for an empty match). */
@inline
function nextSearch(p: usize, n: usize, pos: usize, e: usize): usize {
  const w = runeWidth(p + pos, p + n);
  if (pos + w > e) return pos + w;
  if (pos + 1 > e) return pos + 1;
  return e;
}

/** Go's ReplaceAllString with a literal [REDACTED:<name>]; returns the number of replacements. */
function replaceAll(fwd: usize, rev: usize, p: usize, n: usize, name: usize, nameLen: usize, out: Buf): u32 {
  let replaced: u32 = 0;
  let lastEnd: usize = 0;
  let pos: usize = 0;
  while (pos <= n) {
    const r = dfaFind(fwd, rev, p, n, pos);
    if (r < 0) break;
    const s = <usize>(r >>> 32);
    const e = <usize>(r & 0xffffffff);
    bufBytes(out, p + lastEnd, s - lastEnd);
    if (e > lastEnd || s == 0) {
      bufRedaction(out, name, nameLen);
      replaced++;
    }
    lastEnd = e;
    pos = nextSearch(p, n, pos, e);
  }
  bufBytes(out, p + lastEnd, n - lastEnd);
  return replaced;
}

/**
 * Redact [p, p+n): the patterns, then (detect_encoding) secrets inside base64/hex segments of the result.
 * Returns the redacted text, or null when nothing matched.
 */
export function redact(p: usize, n: usize): Buf | null {
  const plain = redactPlain(p, n);
  if (!bundle.hasFlag(bundle.CF_DETECT_ENCODING)) return plain;
  const encoded = plain === null ? redactEncoded(p, n) : redactEncoded(plain.ptr, plain.len);
  return encoded !== null ? encoded : plain;
}

function redactPlain(p: usize, n: usize): Buf | null {
  if (bundle.dlpPieces != 0) return redactPieces(p, n);
  const any = load<u32>(bundle.dlp, 4);
  if (any != bundle.EMPTY && !dfaIsMatch(bundle.data + any, p, n)) return null;
  const groupCount = load<u32>(bundle.dlp, 12);
  const groups = bundle.dlp + bundle.DLP_HEADER + <usize>patternCount * bundle.DLP_ENTRY;
  let cur = p;
  let curLen = n;
  let result: Buf | null = null;
  let g: u32 = 0; // the prefilter group of pattern i
  let skipUntil: u32 = 0; // patterns before this index were ruled out by their group's prefilter
  for (let i: u32 = 0; i < patternCount; i++) {
    if (g < groupCount && i == load<u32>(groups + <usize>g * bundle.DLP_GROUP_ENTRY)) {
      const ge = groups + <usize>g * bundle.DLP_GROUP_ENTRY;
      const dfa = load<u32>(ge, 8);
      // The prefilter speaks of the original text: once an earlier pattern has changed it, patterns run as is.
      if (dfa != bundle.EMPTY && result === null && !dfaIsMatch(bundle.data + dfa, cur, curLen)) skipUntil = i + load<u32>(ge, 4);
      g++;
    }
    if (i < skipUntil) continue;
    const e = entry(i);
    const fwd = bundle.data + load<u32>(e, 8);
    const rev = bundle.data + load<u32>(e, 16);
    if (!dfaIsMatch(fwd, cur, curLen)) continue;
    const count = countMatches(fwd, rev, cur, curLen);
    if (count == 0) continue;
    const out = bufNew(curLen + 64);
    replaceAll(fwd, rev, cur, curLen, bundle.data + load<u32>(e), <usize>load<u32>(e, 4), out);
    store<u32>(counts + <usize>i * 4, load<u32>(counts + <usize>i * 4) + count);
    cur = out.ptr;
    curLen = out.len;
    result = out;
  }
  return result;
}

/**
 * Redaction piece by piece (docs/dlp.md, "Cost"). No match contains a separator byte and none is empty, so
 * a replacement stays inside its piece and leaves the separators around it, and every pattern's matches in
 * the text are its matches in the pieces, each piece seeing the separators next to it. The piece prefilter
 * finds the runs of pieces that may hold a match; the rest of the text is copied as it is.
 */
function redactPieces(p: usize, n: usize): Buf | null {
  const count = redactChanges(p, n);
  if (count == 0) return null;
  return applyChanges(p, n);
}

// The changes of the last redactChanges: start, end (offsets in its text), replacement pointer and length.
const CHANGE: usize = 4 * sizeof<usize>();
export let changes: usize = 0;
export let changeCount: usize = 0;

/** Can a text be redacted as a list of changes (redactChanges)? Not when the encoded pass must follow. */
export function changesPossible(): bool {
  return bundle.dlpPieces != 0 && !bundle.hasFlag(bundle.CF_DETECT_ENCODING);
}

@inline
export function changeAt(k: usize, field: usize): usize {
  return load<usize>(changes + k * CHANGE + field * sizeof<usize>());
}

/** Piece-wise redaction of [p, p+n) as ascending, disjoint changes (changesPossible() must hold). */
export function redactChanges(p: usize, n: usize): usize {
  changes = 0;
  changeCount = 0;
  dfaPieces(bundle.dlpPieces, p, n, bundle.dlpSeparators);
  const ranges = pieceRanges;
  const count = pieceCount;
  let cap: usize = 0;
  for (let r: usize = 0; r < count; r++) {
    const lo = <usize>load<u32>(ranges + r * 8);
    const hi = <usize>load<u32>(ranges + r * 8, 4);
    const red = redactRange(p, n, lo, hi);
    if (red === null) continue;
    if (changeCount == cap) {
      cap = cap == 0 ? 8 : cap << 1;
      changes = arenaGrowArray(changes, changeCount, cap, CHANGE);
    }
    const c = changes + changeCount * CHANGE;
    store<usize>(c, lo);
    store<usize>(c, hi, sizeof<usize>());
    store<usize>(c, red.ptr, 2 * sizeof<usize>());
    store<usize>(c, red.len, 3 * sizeof<usize>());
    changeCount++;
  }
  return changeCount;
}

/** [p, p+n) with the changes of the last redactChanges applied. */
export function applyChanges(p: usize, n: usize): Buf {
  let size = n;
  for (let k: usize = 0; k < changeCount; k++) size += changeAt(k, 3) - (changeAt(k, 1) - changeAt(k, 0));
  const out = bufNew(size + 16);
  let at: usize = 0;
  for (let k: usize = 0; k < changeCount; k++) {
    bufBytes(out, p + at, changeAt(k, 0) - at);
    bufBytes(out, changeAt(k, 2), changeAt(k, 3));
    at = changeAt(k, 1);
  }
  bufBytes(out, p + at, n - at);
  return out;
}

/** The patterns in order over text[lo, hi) (a run of whole pieces); null when none matched. */
function redactRange(p: usize, n: usize, lo: usize, hi: usize): Buf | null {
  const startCtx = lo == 0 ? CTX_BEGIN : ctxOfByte(<u32>load<u8>(p + lo - 1));
  const endCtx = hi == n ? CTX_BEGIN : ctxOfByte(<u32>load<u8>(p + hi));
  let cur = p + lo;
  let curLen = hi - lo;
  let result: Buf | null = null;
  for (let i: u32 = 0; i < patternCount; i++) {
    const e = entry(i);
    const fwd = bundle.data + load<u32>(e, 8);
    if (!dfaIsMatchIn(fwd, cur, curLen, startCtx, endCtx)) continue;
    const out = bufNew(curLen + 64);
    const count = replaceIn(fwd, bundle.data + load<u32>(e, 16), cur, curLen, startCtx, endCtx, bundle.data + load<u32>(e), <usize>load<u32>(e, 4), out);
    if (count == 0) continue;
    store<u32>(counts + <usize>i * 4, load<u32>(counts + <usize>i * 4) + count);
    cur = out.ptr;
    curLen = out.len;
    result = out;
  }
  return result;
}

/**
 * replaceAll for a pattern that cannot match the empty string: then Go's FindAllIndex count equals the
 * number of replacements, so one pass gives both.
 */
function replaceIn(
  fwd: usize, rev: usize, p: usize, n: usize, startCtx: u32, endCtx: u32, name: usize, nameLen: usize, out: Buf,
): u32 {
  let replaced: u32 = 0;
  let lastEnd: usize = 0;
  let pos: usize = 0;
  while (pos < n) {
    const r = dfaFindIn(fwd, rev, p, n, pos, startCtx, endCtx);
    if (r < 0) break;
    const s = <usize>(r >>> 32);
    const e = <usize>(r & 0xffffffff);
    bufBytes(out, p + lastEnd, s - lastEnd);
    bufRedaction(out, name, nameLen);
    replaced++;
    lastEnd = e;
    pos = nextSearch(p, n, pos, e);
  }
  bufBytes(out, p + lastEnd, n - lastEnd);
  return replaced;
}
