// detect_encoding: secrets hidden in base64 or hex, with aip-go's semantics (docs/dlp.md, "detect_encoding").
//
// After the plain patterns have run, the text is searched for candidate segments, in this order:
//   1. "0x"/"0X" followed by at least 8 hex digits          (as far as the hex digits go)
//   2. runs of at least 32 hex digits
//   3. runs of at least 16 of [A-Za-z0-9+/], then up to two "="
//   4. runs of at least 16 of [A-Za-z0-9_-], then up to two "="
// each kind left to right, without overlaps within a kind. A segment is accepted when it decodes (hex: an even
// number of digits after the prefix; base64: padded or unpadded, standard or URL alphabet), the decoded bytes
// number at least 4, and at least 80% of the decoded characters are printable or space. A string accepted once
// is not looked at again. The first pattern, in policy order, that matches anywhere in the decoded bytes of an
// accepted segment names the hit. Then, hit by hit in segment order, the first occurrence of the segment's text
// in the current output (wherever it is) is replaced with [REDACTED:<name>:encoded] and one "<name> (encoded)"
// hit is counted; a hit whose text no longer occurs (an earlier replacement took it) is skipped. Only the
// first occurrence is replaced: the same segment appearing twice leaves the second one as it was.
//
// Cost: candidates, decoding and the printable test are linear in the text; matching is linear in the decoded
// bytes per pattern (after one pass of the combined DFA). Replacing hits is linear in the text per distinct hit
// length (see "Replacement"). Everything lives in the call's arena: a decode buffer and a byte map as long as
// the text, the table of accepted segments, the hits and their occurrences.

import { Buf, bufNew, bufBytes, bufReserve } from "./buf";
import { arenaAlloc, arenaGrowArray } from "./arena";
import * as bundle from "./bundle";
import { dfaIsMatch } from "./dfa";
import { recordEncoded } from "./dlp";
import { utf8Decode, decodedCp, decodedSize } from "./utf8";

const KIND_HEX_PREFIX: u32 = 0;
const KIND_HEX: u32 = 1;
const KIND_B64: u32 = 2;
const KIND_B64_URL: u32 = 3;

const MIN_HEX_PREFIX_DIGITS: usize = 8;
const MIN_HEX: usize = 32;
const MIN_B64: usize = 16;
const MIN_DECODED: usize = 4;
const SHORTEST: usize = 10; // "0x" and 8 digits

const REDACTED = "[REDACTED:";
const ENCODED = ":encoded]";

// Byte classes: bit 0 hex digit, bit 1 standard base64 letter, bit 2 URL-safe base64 letter, bit 3 any byte
// a candidate can hold (both alphabets and "=").
const C_HEX: u8 = 1;
const C_B64: u8 = 2;
const C_URL: u8 = 4;
const C_ANY: u8 = 8;
const classes = memory.data(256);

// Base64 letter values (both alphabets in one table: a candidate holds letters of one alphabet only; other
// bytes are never decoded).
const values = memory.data(256);
let ready = false;

function tables(): void {
  if (ready) return;
  ready = true;
  for (let c: u32 = 0; c < 26; c++) {
    store<u8>(classes + 0x41 + c, C_B64 | C_URL | C_ANY);
    store<u8>(classes + 0x61 + c, C_B64 | C_URL | C_ANY);
    store<u8>(values + 0x41 + c, <u8>c);
    store<u8>(values + 0x61 + c, <u8>(26 + c));
  }
  for (let c: u32 = 0; c < 10; c++) {
    store<u8>(classes + 0x30 + c, C_HEX | C_B64 | C_URL | C_ANY);
    store<u8>(values + 0x30 + c, <u8>(52 + c));
  }
  for (let c: u32 = 0; c < 6; c++) {
    store<u8>(classes + 0x41 + c, C_HEX | C_B64 | C_URL | C_ANY);
    store<u8>(classes + 0x61 + c, C_HEX | C_B64 | C_URL | C_ANY);
  }
  store<u8>(classes + 0x2b, C_B64 | C_ANY); // +
  store<u8>(classes + 0x2f, C_B64 | C_ANY); // /
  store<u8>(classes + 0x2d, C_URL | C_ANY); // -
  store<u8>(classes + 0x5f, C_URL | C_ANY); // _
  store<u8>(classes + 0x3d, C_ANY); // =
  store<u8>(values + 0x2b, 62);
  store<u8>(values + 0x2f, 63);
  store<u8>(values + 0x2d, 62);
  store<u8>(values + 0x5f, 63);
}

@inline
function is(p: usize, c: u8): bool {
  return (load<u8>(classes + <usize>load<u8>(p)) & c) != 0;
}

@inline
function hexValue(c: u32): u32 {
  if (c - 0x30 < 10) return c - 0x30;
  return (c | 0x20) - 0x61 + 10;
}

// ---- Per-call state (arena) ----

let text: usize = 0; // the text candidates are taken from; unchanged during the call
let textLen: usize = 0;
let scratch: usize = 0; // decode buffer, textLen bytes
let any: usize = 0; // combined DFA of all patterns, or 0

// Accepted segments: open addressing, slots of (offset + 1, length, hash, unused); offset + 1 == 0: empty.
const SLOT: usize = 16;
let seen: usize = 0;
let seenCap: usize = 0;
let seenCount: usize = 0;

// Hits: (offset, length, pattern index) in segment order.
const HIT: usize = 12;
let hits: usize = 0;
let hitCount: usize = 0;
let hitCap: usize = 0;

function seenReset(): void {
  seen = 0;
  seenCap = seenCount = 0;
}

function seenSlot(s: usize, n: usize, h: u32): usize {
  const mask = seenCap - 1;
  let i = <usize>h & mask;
  let slot = seen + i * SLOT;
  while (load<u32>(slot) != 0) {
    const o = <usize>load<u32>(slot) - 1;
    if (load<u32>(slot, 8) == h && <usize>load<u32>(slot, 4) == n && memory.compare(text + o, text + s, n) == 0) break;
    i = (i + 1) & mask;
    slot = seen + i * SLOT;
  }
  return slot;
}

function seenHas(s: usize, n: usize, h: u32): bool {
  return seenCap != 0 && load<u32>(seenSlot(s, n, h)) != 0;
}

function seenAdd(s: usize, n: usize, h: u32): void {
  if ((seenCount + 1) * 2 > seenCap) {
    const old = seen;
    const oldCap = seenCap;
    seenCap = oldCap == 0 ? 64 : oldCap << 1;
    seen = arenaAlloc(seenCap * SLOT);
    memory.fill(seen, 0, seenCap * SLOT);
    for (let i: usize = 0; i < oldCap; i++) {
      const from = old + i * SLOT;
      if (load<u32>(from) == 0) continue;
      const to = seenSlot(<usize>load<u32>(from) - 1, <usize>load<u32>(from, 4), load<u32>(from, 8));
      memory.copy(to, from, SLOT);
    }
  }
  const slot = seenSlot(s, n, h);
  store<u32>(slot, <u32>(s + 1));
  store<u32>(slot, <u32>n, 4);
  store<u32>(slot, h, 8);
  seenCount++;
}

function addHit(s: usize, n: usize, pattern: u32): void {
  if (hitCount == hitCap) {
    hitCap = hitCap == 0 ? 8 : hitCap << 1;
    hits = arenaGrowArray(hits, hitCount, hitCap, HIT);
  }
  const e = hits + hitCount * HIT;
  store<u32>(e, <u32>s);
  store<u32>(e, <u32>n, 4);
  store<u32>(e, pattern, 8);
  hitCount++;
}

// ---- Decoding ----

/** Decode hex digits [p, p+n) into scratch; -1 for an odd number of digits. */
function decodeHex(p: usize, n: usize): isize {
  if ((n & 1) != 0) return -1;
  const m = n >> 1;
  for (let i: usize = 0; i < m; i++) {
    const hi = hexValue(<u32>load<u8>(p + 2 * i));
    const lo = hexValue(<u32>load<u8>(p + 2 * i + 1));
    store<u8>(scratch + i, <u8>((hi << 4) | lo));
  }
  return <isize>m;
}

/**
 * Decode a base64 candidate [p, p+n) (letters of one alphabet, then at most two "=") into scratch; -1 when no
 * decoder takes it. Padded: the letters plus padding fill whole quads ("xx==", "xxx="). Unpadded: any length
 * but 4k+1. Bits left over in the last letter are ignored (the decoders are not strict).
 */
function decodeBase64(p: usize, n: usize): isize {
  let pad: usize = 0;
  while (pad < 2 && pad < n && load<u8>(p + n - 1 - pad) == 0x3d) pad++;
  const m = n - pad;
  const rest = m & 3;
  if (pad == 0 ? rest == 1 : rest != 4 - pad) return -1;
  const quads = m >> 2;
  let o = scratch;
  let q = p;
  for (let i: usize = 0; i < quads; i++) {
    const v =
      (<u32>load<u8>(values + <usize>load<u8>(q)) << 18) |
      (<u32>load<u8>(values + <usize>load<u8>(q, 1)) << 12) |
      (<u32>load<u8>(values + <usize>load<u8>(q, 2)) << 6) |
      <u32>load<u8>(values + <usize>load<u8>(q, 3));
    store<u8>(o, <u8>(v >> 16));
    store<u8>(o, <u8>(v >> 8), 1);
    store<u8>(o, <u8>v, 2);
    o += 3;
    q += 4;
  }
  if (rest >= 2) {
    const v =
      (<u32>load<u8>(values + <usize>load<u8>(q)) << 18) |
      (<u32>load<u8>(values + <usize>load<u8>(q, 1)) << 12) |
      (rest == 3 ? <u32>load<u8>(values + <usize>load<u8>(q, 2)) << 6 : 0);
    store<u8>(o, <u8>(v >> 16));
    o++;
    if (rest == 3) {
      store<u8>(o, <u8>(v >> 8));
      o++;
    }
  }
  return <isize>(o - scratch);
}

// ---- Printable ----

// Code points at or above U+00A0 that are neither printable nor space for Go's unicode package (15.0): format
// characters (Cf), private use (Co) and noncharacters. Unassigned code points are not listed (they count as
// printable here; docs/dlp.md). Inclusive ranges, ascending.
const NOT_PRINTABLE: usize = memory.data<u32>([
  0xad, 0xad, 0x600, 0x605, 0x61c, 0x61c, 0x6dd, 0x6dd, 0x70f, 0x70f, 0x890, 0x891, 0x8e2, 0x8e2,
  0x180e, 0x180e, 0x200b, 0x200f, 0x202a, 0x202e, 0x2060, 0x2064, 0x2066, 0x206f, 0xe000, 0xf8ff,
  0xfdd0, 0xfdef, 0xfeff, 0xfeff, 0xfff9, 0xfffb, 0x110bd, 0x110bd, 0x110cd, 0x110cd, 0x13430, 0x1343f,
  0x1bca0, 0x1bca3, 0x1d173, 0x1d17a, 0xe0001, 0xe0001, 0xe0020, 0xe007f, 0xf0000, 0x10ffff,
]);
const NOT_PRINTABLE_RANGES: usize = 24;

/** Go's unicode.IsPrint(r) || unicode.IsSpace(r) for a code point at or above U+0080 (see NOT_PRINTABLE). */
function printableRune(cp: u32): bool {
  if (cp < 0xa0) return cp == 0x85; // C1 controls; U+0085 is a space
  if ((cp & 0xfffe) == 0xfffe) return false; // the last two code points of every plane
  for (let i: usize = 0; i < NOT_PRINTABLE_RANGES; i++) {
    const lo = load<u32>(NOT_PRINTABLE + i * 8);
    if (cp < lo) return true;
    if (cp <= load<u32>(NOT_PRINTABLE + i * 8, 4)) return false;
  }
  return true;
}

/**
 * At least 80% of the characters of [p, p+n) are printable or space, counting as Go's range loop does: a byte
 * that does not start a valid UTF-8 sequence is one character, U+FFFD, which is printable.
 */
function mostlyPrintable(p: usize, n: usize): bool {
  const end = p + n;
  let chars: u64 = 0;
  let good: u64 = 0;
  while (p < end) {
    const c = <u32>load<u8>(p);
    chars++;
    if (c < 0x80) {
      if (c - 0x20 < 0x5f || c - 0x09 < 5) good++;
      p++;
      continue;
    }
    const d = utf8Decode(p, end);
    if (d == 0) {
      good++;
      p++;
    } else {
      if (printableRune(decodedCp(d))) good++;
      p += decodedSize(d);
    }
  }
  return chars > 0 && good * 5 >= chars * 4;
}

// ---- Candidates ----

/** A candidate segment [s, s+n) of text, of the given kind. */
function consider(kind: u32, s: usize, n: usize): void {
  const h = bundle.fnv1a(text + s, n);
  if (seenHas(s, n, h)) return;
  if (scratch == 0) scratch = arenaAlloc(textLen);
  let m: isize;
  if (kind == KIND_HEX_PREFIX) m = decodeHex(text + s + 2, n - 2);
  else if (kind == KIND_HEX) m = decodeHex(text + s, n);
  else m = decodeBase64(text + s, n);
  if (m < <isize>MIN_DECODED || !mostlyPrintable(scratch, <usize>m)) return;
  seenAdd(s, n, h);
  const len = <usize>m;
  if (any != 0 && !dfaIsMatch(any, scratch, len)) return;
  const count = load<u32>(bundle.dlp);
  for (let i: u32 = 0; i < count; i++) {
    if (dfaIsMatch(bundle.data + load<u32>(entryOf(i), 8), scratch, len)) {
      addHit(s, n, i);
      return;
    }
  }
}

/** Length of the run of bytes of class c at p (p <= end). */
@inline
function run(p: usize, end: usize, c: u8): usize {
  let q = p;
  while (q < end && is(q, c)) q++;
  return q - p;
}

// Every candidate lies inside a run of bytes of class C_ANY at least SHORTEST long: those runs are found once,
// and each kind of candidate is looked for inside them only. (start, end) pairs.
let runs: usize = 0;
let runCount: usize = 0;

function collectRuns(): void {
  runs = 0;
  runCount = 0;
  let cap: usize = 0;
  let i: usize = 0;
  while (i < textLen) {
    if (!is(text + i, C_ANY)) {
      i++;
      continue;
    }
    const r = run(text + i, text + textLen, C_ANY);
    if (r >= SHORTEST) {
      if (runCount == cap) {
        cap = cap == 0 ? 16 : cap << 1;
        runs = arenaGrowArray(runs, runCount, cap, 8);
      }
      store<u32>(runs + runCount * 8, <u32>i);
      store<u32>(runs + runCount * 8, <u32>(i + r), 4);
      runCount++;
    }
    i += r;
  }
}

/** "0x" or "0X" followed by at least 8 hex digits, leftmost first, non-overlapping. */
function scanHexPrefix(): void {
  for (let k: usize = 0; k < runCount; k++) {
    let i = <usize>load<u32>(runs + k * 8);
    const stop = <usize>load<u32>(runs + k * 8, 4);
    while (i + SHORTEST <= stop) {
      if (load<u8>(text + i) == 0x30 && (<u32>load<u8>(text + i + 1) | 0x20) == 0x78) {
        const digits = run(text + i + 2, text + stop, C_HEX);
        if (digits >= MIN_HEX_PREFIX_DIGITS) {
          consider(KIND_HEX_PREFIX, i, digits + 2);
          i += digits + 2;
          continue;
        }
      }
      i++;
    }
  }
}

/** Maximal runs of class c at least min long, followed by up to `pad` "=". */
function scanRuns(kind: u32, c: u8, min: usize, pad: usize): void {
  for (let k: usize = 0; k < runCount; k++) {
    let i = <usize>load<u32>(runs + k * 8);
    const stop = <usize>load<u32>(runs + k * 8, 4);
    while (i + min <= stop) {
      if (!is(text + i, c)) {
        i++;
        continue;
      }
      const r = run(text + i, text + stop, c);
      let e = i + r;
      if (r >= min) {
        const limit = e + pad;
        while (e < limit && e < stop && load<u8>(text + e) == 0x3d) e++;
        consider(kind, i, e - i);
      }
      i = e;
    }
  }
}

// ---- Replacement ----
//
// The reference replaces hit after hit in the output string, each time searching it from its start: quadratic
// in the number of hits. The same result is computed here in the coordinates of the unchanged text:
//   - a hit's text holds only base64/hex letters (no "[", "]" or ":"), so an occurrence of it in the output is
//     either inside text no earlier replacement touched, or inside a pattern name that a replacement inserted;
//   - when no hit occurs in a pattern name, the first occurrence of hit k in the output is its first
//     occurrence in the text that overlaps no earlier replacement.
// All occurrences of all hits are found in one rolling-hash pass over the text per distinct hit length, then
// resolved hit by hit with a map of the bytes already replaced. When a hit occurs in a pattern name, or the
// hits occur too often to list, the output is rewritten step by step instead, as the reference does.

/** First occurrence of [nd, nd+nn) in [h, h+hn), or -1. */
function indexOf(h: usize, hn: usize, nd: usize, nn: usize): isize {
  if (nn > hn) return -1;
  const first = load<u8>(nd);
  const last = hn - nn;
  for (let i: usize = 0; i <= last; i++) {
    if (load<u8>(h + i) == first && memory.compare(h + i + 1, nd + 1, nn - 1) == 0) return <isize>i;
  }
  return -1;
}

function ascii(q: usize, s: string): usize {
  const src = changetype<usize>(s);
  const n = <usize>s.length;
  for (let i: usize = 0; i < n; i++) store<u8>(q + i, <u8>load<u16>(src + (i << 1)));
  return q + n;
}

@inline
function entryOf(i: u32): usize {
  return bundle.dlp + bundle.DLP_HEADER + <usize>i * bundle.DLP_ENTRY;
}

/** Append [REDACTED:<name of pattern i>:encoded] to out. */
function appendReplacement(out: Buf, i: u32): void {
  const e = entryOf(i);
  const nameLen = <usize>load<u32>(e, 4);
  const r = <usize>REDACTED.length + nameLen + <usize>ENCODED.length;
  bufReserve(out, r);
  let q = ascii(out.ptr + out.len, REDACTED);
  memory.copy(q, bundle.data + load<u32>(e), nameLen);
  ascii(q + nameLen, ENCODED);
  out.len += r;
}

@inline
function hitStart(k: usize): usize {
  return <usize>load<u32>(hits + k * HIT);
}

@inline
function hitLen(k: usize): usize {
  return <usize>load<u32>(hits + k * HIT, 4);
}

@inline
function hitPattern(k: usize): u32 {
  return load<u32>(hits + k * HIT, 8);
}

/** Some hit occurs inside the name of a pattern that names a hit. */
function hitInName(): bool {
  const count = load<u32>(bundle.dlp);
  for (let i: u32 = 0; i < count; i++) {
    const e = entryOf(i);
    const name = bundle.data + load<u32>(e);
    const nameLen = <usize>load<u32>(e, 4);
    if (nameLen < SHORTEST) continue;
    let used = false;
    for (let k: usize = 0; k < hitCount && !used; k++) used = hitPattern(k) == i;
    if (!used) continue;
    for (let k: usize = 0; k < hitCount; k++) {
      if (hitLen(k) <= nameLen && indexOf(name, nameLen, text + hitStart(k), hitLen(k)) >= 0) return true;
    }
  }
  return false;
}

/** Sort n u64 values at p ascending (heapsort: no extra memory, n log n). */
function sortU64(p: usize, n: usize): void {
  if (n < 2) return;
  for (let i = n >> 1; i > 0; i--) siftDown(p, i - 1, n);
  for (let end = n - 1; end > 0; end--) {
    const t = load<u64>(p);
    store<u64>(p, load<u64>(p + end * 8));
    store<u64>(p + end * 8, t);
    siftDown(p, 0, end);
  }
}

function siftDown(p: usize, i: usize, n: usize): void {
  const v = load<u64>(p + i * 8);
  for (;;) {
    let c: usize = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && load<u64>(p + (c + 1) * 8) > load<u64>(p + c * 8)) c++;
    const cv = load<u64>(p + c * 8);
    if (cv <= v) break;
    store<u64>(p + i * 8, cv);
    i = c;
  }
  store<u64>(p + i * 8, v);
}

const HASH_BASE: u32 = 0x01000193;

function rollHash(p: usize, n: usize): u32 {
  let h: u32 = 0;
  for (let i: usize = 0; i < n; i++) h = h * HASH_BASE + <u32>load<u8>(p + i);
  return h;
}

// Occurrences (hit << 32 | position), growable.
let occ: usize = 0;
let occCount: usize = 0;
let occCap: usize = 0;
let occLimit: usize = 0;

/** Record an occurrence; false when there are too many to list. */
function addOccurrence(k: usize, pos: usize): bool {
  if (occCount == occCap) {
    if (occCap >= occLimit) return false;
    occCap = occCap == 0 ? 64 : occCap << 1;
    occ = arenaGrowArray(occ, occCount, occCap, 8);
  }
  store<u64>(occ + occCount * 8, (<u64>k << 32) | <u64>pos);
  occCount++;
  return true;
}

/**
 * Every occurrence in the text of the hits byLen[from, to) (all of length len). Occurrences lie inside runs
 * of base64/hex letters, so only those runs are hashed. Returns false when there are too many.
 */
function findOccurrences(byLen: usize, from: usize, to: usize, len: usize): bool {
  // Table of the hits' hashes: slots of (hash, hit + 1), linear probing, duplicates of a hash allowed.
  let size: usize = 16;
  while (size < (to - from) * 2) size <<= 1;
  const table = arenaAlloc(size * 8);
  memory.fill(table, 0, size * 8);
  const mask = size - 1;
  for (let j = from; j < to; j++) {
    const k = <usize>(load<u64>(byLen + j * 8) & 0xffffffff);
    const h = rollHash(text + hitStart(k), len);
    let i = <usize>(h * 0x9e3779b1) & mask;
    while (load<u32>(table + i * 8, 4) != 0) i = (i + 1) & mask;
    store<u32>(table + i * 8, h);
    store<u32>(table + i * 8, <u32>(k + 1), 4);
  }
  let top: u32 = 1; // HASH_BASE ** len
  for (let i: usize = 0; i < len; i++) top *= HASH_BASE;
  let i: usize = 0;
  while (i < textLen) {
    if (!is(text + i, C_ANY)) {
      i++;
      continue;
    }
    const r = run(text + i, text + textLen, C_ANY);
    if (r >= len) {
      let h = rollHash(text + i, len);
      for (let q = i; ; ) {
        let t = <usize>(h * 0x9e3779b1) & mask;
        for (;;) {
          const k1 = <usize>load<u32>(table + t * 8, 4);
          if (k1 == 0) break;
          if (load<u32>(table + t * 8) == h && memory.compare(text + q, text + hitStart(k1 - 1), len) == 0) {
            if (!addOccurrence(k1 - 1, q)) return false;
            break; // hits are distinct strings: at most one matches
          }
          t = (t + 1) & mask;
        }
        if (q + len >= i + r) break;
        h = h * HASH_BASE + <u32>load<u8>(text + q + len) - top * <u32>load<u8>(text + q);
        q++;
      }
    }
    i += r;
  }
  return true;
}

/** The replacements in text coordinates; false when the step-by-step rewrite must be used. */
function resolve(out: Buf): bool {
  if (hitInName()) return false;
  // Hits grouped by length.
  const byLen = arenaAlloc(hitCount * 8);
  for (let k: usize = 0; k < hitCount; k++) store<u64>(byLen + k * 8, (<u64>hitLen(k) << 32) | <u64>k);
  sortU64(byLen, hitCount);
  occ = 0;
  occCount = occCap = 0;
  occLimit = (textLen >> 1) + 4096;
  let from: usize = 0;
  while (from < hitCount) {
    const len = <usize>(load<u64>(byLen + from * 8) >>> 32);
    let to = from + 1;
    while (to < hitCount && <usize>(load<u64>(byLen + to * 8) >>> 32) == len) to++;
    if (!findOccurrences(byLen, from, to, len)) return false;
    from = to;
  }
  // Hit by hit, its first occurrence that no earlier replacement overlaps.
  sortU64(occ, occCount);
  const taken = arenaAlloc(textLen);
  memory.fill(taken, 0, textLen);
  const done = arenaAlloc(hitCount * 8 + 8); // (position << 32 | hit) of each replacement
  let doneCount: usize = 0;
  let j: usize = 0;
  while (j < occCount) {
    const k = <usize>(load<u64>(occ + j * 8) >>> 32);
    const len = hitLen(k);
    let placed = false;
    for (; j < occCount && <usize>(load<u64>(occ + j * 8) >>> 32) == k; j++) {
      if (placed) continue;
      const q = <usize>(load<u64>(occ + j * 8) & 0xffffffff);
      let free = true;
      for (let b: usize = 0; b < len && free; b++) free = load<u8>(taken + q + b) == 0;
      if (!free) continue;
      memory.fill(taken + q, 1, len);
      store<u64>(done + doneCount * 8, (<u64>q << 32) | <u64>k);
      doneCount++;
      recordEncoded(hitPattern(k));
      placed = true;
    }
  }
  // The output: the text with the replacements, in text order.
  sortU64(done, doneCount);
  let at: usize = 0;
  for (let d: usize = 0; d < doneCount; d++) {
    const q = <usize>(load<u64>(done + d * 8) >>> 32);
    const k = <usize>(load<u64>(done + d * 8) & 0xffffffff);
    bufBytes(out, text + at, q - at);
    appendReplacement(out, hitPattern(k));
    at = q + hitLen(k);
  }
  bufBytes(out, text + at, textLen - at);
  return true;
}

/** The reference's own procedure: replace the first occurrence in the output, hit after hit. */
function rewrite(out: Buf): void {
  bufBytes(out, text, textLen);
  for (let k: usize = 0; k < hitCount; k++) {
    const len = hitLen(k);
    const at = indexOf(out.ptr, out.len, text + hitStart(k), len);
    if (at < 0) continue;
    const i = hitPattern(k);
    const e = entryOf(i);
    const nameLen = <usize>load<u32>(e, 4);
    const r = <usize>REDACTED.length + nameLen + <usize>ENCODED.length;
    if (r > len) bufReserve(out, r - len);
    const p = out.ptr + <usize>at;
    memory.copy(p + r, p + len, out.len - <usize>at - len);
    out.len = out.len - len + r;
    const q = ascii(p, REDACTED);
    memory.copy(q, bundle.data + load<u32>(e), nameLen);
    ascii(q + nameLen, ENCODED);
    recordEncoded(i);
  }
}

/**
 * aip-go's detect_encoding pass over already-redacted text [p, p+n): returns the new text, or null when nothing
 * changed. Each replacement counts one hit of its pattern through recordEncoded.
 */
export function redactEncoded(p: usize, n: usize): Buf | null {
  if (bundle.base == 0 || n < SHORTEST || load<u32>(bundle.dlp) == 0) return null;
  tables();
  text = p;
  textLen = n;
  scratch = 0;
  const anyRef = load<u32>(bundle.dlp, 4);
  any = anyRef == bundle.EMPTY ? 0 : bundle.data + anyRef;
  seenReset();
  hits = 0;
  hitCount = hitCap = 0;

  collectRuns();
  scanHexPrefix();
  scanRuns(KIND_HEX, C_HEX, MIN_HEX, 0);
  scanRuns(KIND_B64, C_B64, MIN_B64, 2);
  scanRuns(KIND_B64_URL, C_URL, MIN_B64, 2);
  if (hitCount == 0) return null; // every hit replaces something: its own segment is still in the text

  const out = bufNew(n + 64);
  if (!resolve(out)) {
    out.len = 0;
    rewrite(out);
  }
  return out;
}
