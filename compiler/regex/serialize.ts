// The DFA blob: a self-contained little-endian byte string the Wasm runner executes in place.
//
//   offset  size  field
//   0       4     magic "TGRX"
//   4       2     format version (1)
//   6       2     kind: 0 forward (leftmost-first), 1 reverse (longest, finds the start), 2 any-of
//   8       4     byte length of the whole blob
//   12      4     number of states S
//   16      4     number of byte classes C (1..256)
//   20      4     row size R = (C + 5) * 4
//   24      4     match threshold T: offset of the dead state; offsets > T are match states
//   28      4     reserved, 0
//   32      16    start state offsets for the context before the scan: begin of text, '\n', word byte, other
//   48      256   class of each byte value (u8)
//   304     S*R   transition table, one row per state:
//                   C x u32   next state, as a byte offset into the table (state index * R)
//                   4 x u32   end-of-scan result when the scan ends at the end of the text, or stops before
//                             a '\n', a word byte, another byte: 0 none, else 1 + k (the match ends k bytes
//                             before the scan end; for a reverse blob it starts k bytes after it)
//                   1 x u32   match delay d of a match state (entering it means a match ended d bytes
//                             before the current position; reverse: started d bytes after it), else 0
//
// States are ordered: non-match states first, then the dead state at offset T (all transitions to itself),
// then match states. The inner loop is `s = load32(table + s + class[byte] * 4)` and one compare `s >= T`.

import type { Dfa } from "./dfa.ts";

export const MAGIC = 0x58524754; // "TGRX" little-endian
export const VERSION = 1;
export const HEADER = 48;
export const TABLE = HEADER + 256;

export const enum Kind {
  Forward = 0,
  Reverse = 1,
  AnyOf = 2,
}

/** Reorders states (non-match, dead, match) and writes the blob. */
export function serialize(d: Dfa, kind: Kind): Uint8Array {
  const order: number[] = [];
  for (let i = 0; i < d.numStates; i++) if (d.delay[i] === 0 && i !== d.dead) order.push(i);
  order.push(d.dead);
  for (let i = 0; i < d.numStates; i++) if (d.delay[i] !== 0) order.push(i);
  const pos = new Int32Array(d.numStates);
  order.forEach((s, i) => (pos[s] = i));

  const C = d.numClasses;
  const R = (C + 5) * 4;
  const len = TABLE + d.numStates * R;
  const buf = new Uint8Array(len);
  const v = new DataView(buf.buffer);
  v.setUint32(0, MAGIC, true);
  v.setUint16(4, VERSION, true);
  v.setUint16(6, kind, true);
  v.setUint32(8, len, true);
  v.setUint32(12, d.numStates, true);
  v.setUint32(16, C, true);
  v.setUint32(20, R, true);
  v.setUint32(24, pos[d.dead] * R, true);
  v.setUint32(28, 0, true);
  for (let c = 0; c < 4; c++) v.setUint32(32 + c * 4, pos[d.start[c]] * R, true);
  buf.set(d.classOf, HEADER);
  order.forEach((s, i) => {
    const row = TABLE + i * R;
    for (let c = 0; c < C; c++) v.setUint32(row + c * 4, pos[d.next[s * C + c]] * R, true);
    for (let k = 0; k < 4; k++) v.setUint32(row + (C + k) * 4, d.eot[s * 4 + k], true);
    v.setUint32(row + (C + 4) * 4, d.delay[s], true);
  });
  return buf;
}

/** The same checks as the Wasm runner's dfaValidate: after them, running the blob needs no bounds checks. */
export function validate(buf: Uint8Array): boolean {
  if (buf.length < TABLE || buf.byteOffset % 4 !== 0) return false;
  const v = new DataView(buf.buffer, buf.byteOffset, buf.length);
  const len = v.getUint32(8, true);
  const S = v.getUint32(12, true);
  const C = v.getUint32(16, true);
  const R = v.getUint32(20, true);
  const T = v.getUint32(24, true);
  if (v.getUint32(0, true) !== MAGIC || v.getUint16(4, true) !== VERSION || v.getUint16(6, true) > 2) return false;
  if (C < 1 || C > 256 || R !== (C + 5) * 4 || S < 1 || S > 1 << 20) return false;
  if (len !== buf.length || len !== TABLE + S * R || v.getUint32(28, true) !== 0) return false;
  const size = S * R;
  const okState = (o: number) => o < size && o % R === 0;
  if (!okState(T)) return false;
  for (let c = 0; c < 4; c++) if (!okState(v.getUint32(32 + c * 4, true))) return false;
  for (let b = 0; b < 256; b++) if (buf[HEADER + b] >= C) return false;
  const anyOf = v.getUint16(6, true) === Kind.AnyOf;
  for (let s = 0; s < S; s++) {
    const row = TABLE + s * R;
    const off = s * R;
    for (let c = 0; c < C; c++) {
      const t = v.getUint32(row + c * 4, true);
      if (!okState(t)) return false;
      if (off === T && t !== T) return false; // the dead state stays dead
    }
    for (let k = 0; k < 4; k++) {
      const e = v.getUint32(row + (C + k) * 4, true);
      if (e > 4 || (off === T && e !== 0)) return false;
    }
    const d = v.getUint32(row + (C + 4) * 4, true);
    if (off > T ? d < 1 || d > 4 : d !== 0) return false;
    // The runner checks any-of blobs only every few bytes: their match states must stay match states.
    if (anyOf && off > T) for (let c = 0; c < C; c++) if (v.getUint32(row + c * 4, true) <= T) return false;
  }
  return true;
}
