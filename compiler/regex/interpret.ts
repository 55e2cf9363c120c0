// Reference interpreter of DFA blobs, the same algorithm as engine-as/src/dfa.ts, plus Go's FindAll and
// ReplaceAll loops on top. Used by tests (no Wasm needed) and by tools that want Go-equal matches in TS.

import { HEADER, TABLE } from "./serialize.ts";

function u32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

/** Look-behind context of position i: begin of text, after '\n', after a word byte, after another byte. */
function ctxBefore(text: Uint8Array, i: number): number {
  if (i === 0) return 0;
  const b = text[i - 1];
  if (b === 0x0a) return 1;
  const w = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || b === 0x5f || (b >= 0x61 && b <= 0x7a);
  return w ? 2 : 3;
}

/** Context of the byte at i, seen from a reverse scan (the end of the text counts as the begin). */
function ctxAt(text: Uint8Array, i: number): number {
  return i >= text.length ? 0 : ctxBefore(text, i + 1);
}

interface Blob {
  buf: Uint8Array;
  C: number;
  R: number;
  T: number;
}

function open(buf: Uint8Array): Blob {
  return { buf, C: u32(buf, 16), R: u32(buf, 20), T: u32(buf, 24) };
}

function next(d: Blob, s: number, byte: number): number {
  return u32(d.buf, TABLE + s + d.buf[HEADER + byte] * 4);
}

function col(d: Blob, s: number, k: number): number {
  return u32(d.buf, TABLE + s + (d.C + k) * 4);
}

/** Whether a forward or any-of blob matches anywhere in text. */
export function isMatch(blob: Uint8Array, text: Uint8Array): boolean {
  const d = open(blob);
  let s = u32(blob, 32);
  for (let i = 0; i < text.length; i++) {
    s = next(d, s, text[i]);
    if (s >= d.T) return s !== d.T;
  }
  return col(d, s, 0) !== 0;
}

/** Go's leftmost-first match searching from `from` (assertions see all of text), or null. */
export function find(fwd: Uint8Array, rev: Uint8Array, text: Uint8Array, from: number): [number, number] | null {
  const f = open(fwd);
  const n = text.length;
  let s = u32(fwd, 32 + ctxBefore(text, from) * 4);
  let end = -1;
  let i = from;
  for (; i < n; i++) {
    s = next(f, s, text[i]);
    if (s >= f.T) {
      if (s === f.T) break;
      end = i + 1 - col(f, s, 4);
    }
  }
  if (i === n) {
    const e = col(f, s, 0);
    if (e !== 0) end = n - (e - 1);
  }
  if (end < 0) return null;
  end = Math.min(Math.max(end, from), n);

  const r = open(rev);
  s = u32(rev, 32 + ctxAt(text, end) * 4);
  let start = -1;
  let j = end;
  while (j > from) {
    j--;
    s = next(r, s, text[j]);
    if (s >= r.T) {
      if (s === r.T) break;
      start = j + col(r, s, 4);
    }
  }
  if (j === from && s !== r.T) {
    const e = col(r, s, ctxBefore(text, from)); // end-of-scan columns use the same numbering
    if (e !== 0) start = from + (e - 1);
  }
  if (start < from || start > end) start = from; // cannot happen for blobs from the compiler
  return [start, end];
}

/** Width of the code point at pos as Go's decoder reads it: 1 for a byte that is not valid UTF-8, 0 at the end. */
export function runeWidth(text: Uint8Array, pos: number): number {
  const n = text.length;
  if (pos >= n) return 0;
  const c = text[pos];
  if (c < 0x80) return 1;
  const need = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
  if (need === 0 || pos + need >= n) return 1;
  const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
  const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
  const c1 = text[pos + 1];
  if (c1 < lo || c1 > hi) return 1;
  for (let k = 2; k <= need; k++) if ((text[pos + k] & 0xc0) !== 0x80) return 1;
  return need + 1;
}

/** Go's FindAllIndex: successive non-overlapping matches; an empty match right after a match is skipped. */
export function findAll(fwd: Uint8Array, rev: Uint8Array, text: Uint8Array): [number, number][] {
  const out: [number, number][] = [];
  let pos = 0;
  let prevEnd = -1;
  while (pos <= text.length) {
    const m = find(fwd, rev, text, pos);
    if (!m) break;
    let accept = true;
    if (m[1] === pos) {
      if (m[0] === prevEnd) accept = false;
      const w = runeWidth(text, pos);
      pos += w > 0 ? w : 1;
    } else pos = m[1];
    prevEnd = m[1];
    if (accept) out.push(m);
  }
  return out;
}

/** Go's ReplaceAll with a literal replacement; returns the new text and the number of replacements. */
export function replaceAll(fwd: Uint8Array, rev: Uint8Array, text: Uint8Array, repl: Uint8Array): [Uint8Array, number] {
  const parts: Uint8Array[] = [];
  let count = 0;
  let lastEnd = 0;
  let pos = 0;
  while (pos <= text.length) {
    const m = find(fwd, rev, text, pos);
    if (!m) break;
    parts.push(text.subarray(lastEnd, m[0]));
    if (m[1] > lastEnd || m[0] === 0) {
      parts.push(repl);
      count++;
    }
    lastEnd = m[1];
    const w = runeWidth(text, pos);
    if (pos + w > m[1]) pos += w;
    else if (pos + 1 > m[1]) pos++;
    else pos = m[1];
  }
  parts.push(text.subarray(lastEnd));
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return [out, count];
}
