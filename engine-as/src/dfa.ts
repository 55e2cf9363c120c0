// Runner for the regex DFA blobs of compiler/regex (format in docs/regex.md). Pointers and loads only: no
// allocation, no managed objects. dfaValidate checks a blob completely once (at bundle load); afterwards
// the runners trust it: every transition is a valid row offset, so the loops need no bounds checks.

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
const VERSION: u16 = 1;
const MAX_STATES: u32 = 1 << 20;

// Look-behind contexts and end-of-scan columns share this numbering.
const CTX_BEGIN: u32 = 0;
const CTX_NL: u32 = 1;
const CTX_WORD: u32 = 2;
const CTX_OTHER: u32 = 3;

@inline
function isWordByte(b: u32): bool {
  return b - 0x30 < 10 || (b | 0x20) - 0x61 < 26 || b == 0x5f;
}

@inline
function ctxOfByte(b: u32): u32 {
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
  }
  return true;
}

/**
 * Whether a forward or any-of blob matches anywhere in text[0, len). The loop is one class-map load and
 * one table load per byte; states at or above the threshold (dead, or a match) end it.
 */
export function dfaIsMatch(dfa: usize, text: usize, len: usize): bool {
  const table = dfa + TABLE;
  const map = dfa + CLASS_MAP;
  const threshold = load<u32>(dfa + H_THRESHOLD);
  let s = load<u32>(dfa + H_START); // the text starts at its beginning
  let p = text;
  const end = text + len;
  // Four bytes per round while far from the end; each byte still checks the threshold.
  const end4 = len >= 4 ? end - 3 : text;
  while (p < end4) {
    s = load<u32>(table + <usize>s + (<usize>load<u8>(map + <usize>load<u8>(p)) << 2));
    if (s >= threshold) return s != threshold;
    s = load<u32>(table + <usize>s + (<usize>load<u8>(map + <usize>load<u8>(p, 1)) << 2));
    if (s >= threshold) return s != threshold;
    s = load<u32>(table + <usize>s + (<usize>load<u8>(map + <usize>load<u8>(p, 2)) << 2));
    if (s >= threshold) return s != threshold;
    s = load<u32>(table + <usize>s + (<usize>load<u8>(map + <usize>load<u8>(p, 3)) << 2));
    if (s >= threshold) return s != threshold;
    p += 4;
  }
  while (p < end) {
    s = load<u32>(table + <usize>s + (<usize>load<u8>(map + <usize>load<u8>(p)) << 2));
    if (s >= threshold) return s != threshold;
    p++;
  }
  const classes = <usize>load<u32>(dfa + H_CLASSES);
  return load<u32>(table + <usize>s + (classes << 2)) != 0; // end-of-text column
}

/**
 * Go's leftmost-first match in text[0, len), searching from `from` (assertions see the whole text).
 * Returns -1, or (start << 32) | end. The forward blob finds the end; the reverse blob, run backwards
 * from there down to `from`, finds the start.
 */
export function dfaFind(fwd: usize, rev: usize, text: usize, len: usize, from: usize): i64 {
  if (from > len) return -1;
  // Forward: run until the DFA dies or the text ends; the last match seen ends Go's match.
  let table = fwd + TABLE;
  let map = fwd + CLASS_MAP;
  let threshold = load<u32>(fwd + H_THRESHOLD);
  let row = <usize>load<u32>(fwd + H_ROW);
  let classes = <usize>load<u32>(fwd + H_CLASSES);
  const ctx0 = from == 0 ? CTX_BEGIN : ctxOfByte(<u32>load<u8>(text + from - 1));
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
    const e = load<u32>(table + <usize>s + (classes << 2));
    if (e != 0) end = <i64>len - <i64>(e - 1);
  }
  if (end < 0) return -1;
  if (end < <i64>from) end = <i64>from; // only a corrupt-but-valid blob could do this; stay in range
  const e = <usize>end;

  // Reverse: from the end back to `from`, anchored; the lowest start seen is the match start.
  table = rev + TABLE;
  map = rev + CLASS_MAP;
  threshold = load<u32>(rev + H_THRESHOLD);
  row = <usize>load<u32>(rev + H_ROW);
  classes = <usize>load<u32>(rev + H_CLASSES);
  const ctx1 = e == len ? CTX_BEGIN : ctxOfByte(<u32>load<u8>(text + e));
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
    const col = from == 0 ? CTX_BEGIN : ctxOfByte(<u32>load<u8>(text + from - 1));
    const r = load<u32>(table + <usize>s + (classes + <usize>col) * 4);
    if (r != 0) start = <i64>from + <i64>(r - 1);
  }
  if (start < <i64>from || start > end) start = <i64>from; // cannot happen for compiler output
  return (start << 32) | end;
}
