// Test harness for engine-as/src/dfa.ts: the runner's exports plus Go's FindAll loop on top of dfaFind,
// so tests can compare whole match lists with Go (compiler/regex/semantics.test.ts, blob.test.ts).

import { dfaFind, dfaIsMatch, dfaValidate } from "../src/dfa";

export function alloc(size: usize): usize {
  return heap.alloc(size);
}

export function free(ptr: usize): void {
  heap.free(ptr);
}

export function validate(dfa: usize, len: usize): bool {
  return dfaValidate(dfa, len);
}

export function isMatch(dfa: usize, text: usize, len: usize): bool {
  return dfaIsMatch(dfa, text, len);
}

export function find(fwd: usize, rev: usize, text: usize, len: usize, from: usize): i64 {
  return dfaFind(fwd, rev, text, len, from);
}

/** isMatch repeated `times` times (for throughput measurements without call overhead). */
export function isMatchRepeat(dfa: usize, text: usize, len: usize, times: u32): u32 {
  let n: u32 = 0;
  for (let i: u32 = 0; i < times; i++) if (dfaIsMatch(dfa, text, len)) n++;
  return n;
}

/** Width of the code point at p as Go's decoder reads it: invalid bytes count as one, the end as zero. */
function runeWidth(text: usize, len: usize, p: usize): usize {
  if (p >= len) return 0;
  const c = <u32>load<u8>(text + p);
  if (c < 0x80) return 1;
  let need: usize = 0;
  if (c >= 0xc2 && c <= 0xdf) need = 1;
  else if (c >= 0xe0 && c <= 0xef) need = 2;
  else if (c >= 0xf0 && c <= 0xf4) need = 3;
  if (need == 0 || p + need >= len) return 1;
  const c1 = <u32>load<u8>(text + p + 1);
  const lo: u32 = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
  const hi: u32 = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
  if (c1 < lo || c1 > hi) return 1;
  for (let k: usize = 2; k <= need; k++) if ((<u32>load<u8>(text + p + k) & 0xc0) != 0x80) return 1;
  return need + 1;
}

/**
 * Go's FindAllIndex over text: writes up to max (start, end) u32 pairs to out and returns how many
 * matches there are in all.
 */
export function findAll(fwd: usize, rev: usize, text: usize, len: usize, out: usize, max: u32): u32 {
  let count: u32 = 0;
  let pos: usize = 0;
  let prevEnd: i64 = -1;
  while (pos <= len) {
    const r = dfaFind(fwd, rev, text, len, pos);
    if (r < 0) break;
    const s = <usize>(r >>> 32);
    const e = <usize>(r & 0xffffffff);
    let accept = true;
    if (e == pos) {
      if (<i64>s == prevEnd) accept = false;
      const w = runeWidth(text, len, pos);
      pos += w == 0 ? 1 : w;
    } else pos = e;
    prevEnd = <i64>e;
    if (accept) {
      if (count < max) {
        store<u32>(out + (<usize>count << 3), <u32>s);
        store<u32>(out + (<usize>count << 3), <u32>e, 4);
      }
      count++;
    }
  }
  return count;
}
