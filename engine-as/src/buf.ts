// A growable byte buffer in the arena: how the engine builds responses, decoded strings and redacted text.

import { arenaAlloc, arenaTryExtend } from "./arena";

@unmanaged
export class Buf {
  ptr: usize;
  len: usize;
  cap: usize;
}

export function bufNew(cap: usize): Buf {
  const b = changetype<Buf>(arenaAlloc(offsetof<Buf>()));
  if (cap < 64) cap = 64;
  b.ptr = arenaAlloc(cap);
  b.len = 0;
  b.cap = cap;
  return b;
}

export function bufReserve(b: Buf, extra: usize): void {
  const need = b.len + extra;
  if (need <= b.cap) return;
  let cap = b.cap << 1;
  if (cap < need) cap = need;
  if (arenaTryExtend(b.ptr, b.cap, cap)) {
    b.cap = cap;
    return;
  }
  const p = arenaAlloc(cap);
  memory.copy(p, b.ptr, b.len);
  b.ptr = p;
  b.cap = cap;
}

@inline
export function bufByte(b: Buf, c: u32): void {
  if (b.len == b.cap) bufReserve(b, 1);
  store<u8>(b.ptr + b.len, <u8>c);
  b.len++;
}

export function bufBytes(b: Buf, p: usize, n: usize): void {
  bufReserve(b, n);
  memory.copy(b.ptr + b.len, p, n);
  b.len += n;
}

/** Append an ASCII string literal (AssemblyScript strings are static UTF-16 data: no allocation). */
export function bufAscii(b: Buf, s: string): void {
  const n = <usize>s.length;
  bufReserve(b, n);
  const src = changetype<usize>(s);
  for (let i: usize = 0; i < n; i++) store<u8>(b.ptr + b.len + i, <u8>load<u16>(src + (i << 1)));
  b.len += n;
}

export function bufU64(b: Buf, v: u64): void {
  if (v >= 10) bufU64(b, v / 10);
  bufByte(b, <u32>(48 + v % 10));
}

export function bufI64(b: Buf, v: i64): void {
  if (v < 0) {
    bufByte(b, 0x2d);
    bufU64(b, <u64>(-v));
  } else bufU64(b, <u64>v);
}

const HEX = "0123456789abcdef";

export function bufHex(b: Buf, p: usize, n: usize): void {
  for (let i: usize = 0; i < n; i++) {
    const c = load<u8>(p + i);
    bufByte(b, HEX.charCodeAt(c >> 4));
    bufByte(b, HEX.charCodeAt(c & 15));
  }
}

/** Append s as the contents of a JSON string (no quotes): escapes what JSON requires, keeps UTF-8 as is. */
export function bufJsonEscaped(b: Buf, p: usize, n: usize): void {
  bufReserve(b, n + 2);
  let i: usize = 0;
  while (i < n) {
    // Room for a vector store plus an escape; o and the buffer's length move together.
    if (b.cap - b.len < 24) bufReserve(b, 24);
    let o = b.ptr + b.len;
    if (i + 16 <= n) {
      // Bytes that need no escape, sixteen at a time.
      const v = v128.load(p + i);
      v128.store(o, v);
      const m = i8x16.bitmask(v128.or(v128.or(i8x16.eq(v, QUOTE), i8x16.eq(v, BACKSLASH)), i8x16.lt_u(v, SPACE)));
      if (m == 0) {
        b.len += 16;
        i += 16;
        continue;
      }
      const k = <usize>ctz(m);
      o += k;
      i += k;
    }
    const c = <u32>load<u8>(p + i);
    i++;
    if (c == 0x22 || c == 0x5c) {
      store<u8>(o, 0x5c);
      store<u8>(o, <u8>c, 1);
      o += 2;
    } else if (c < 0x20) {
      store<u8>(o, 0x5c);
      if (c == 0x0a) store<u8>(o, 0x6e, 1);
      else if (c == 0x0d) store<u8>(o, 0x72, 1);
      else if (c == 0x09) store<u8>(o, 0x74, 1);
      else {
        store<u8>(o, 0x75, 1);
        store<u8>(o, 0x30, 2);
        store<u8>(o, 0x30, 3);
        store<u8>(o, <u8>HEX.charCodeAt(c >> 4), 4);
        store<u8>(o, <u8>HEX.charCodeAt(c & 15), 5);
        o += 4;
      }
      o += 2;
    } else {
      store<u8>(o, <u8>c);
      o++;
    }
    b.len = o - b.ptr;
  }
}

const QUOTE = i8x16.splat(0x22);
const BACKSLASH = i8x16.splat(0x5c);
const SPACE = i8x16.splat(0x20);

/** Append a quoted JSON string. */
export function bufJsonString(b: Buf, p: usize, n: usize): void {
  bufByte(b, 0x22);
  bufJsonEscaped(b, p, n);
  bufByte(b, 0x22);
}

export function bufJsonAsciiString(b: Buf, s: string): void {
  bufByte(b, 0x22);
  bufAscii(b, s);
  bufByte(b, 0x22);
}
