// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
// Pointer-based and allocation-free, for use anywhere in the engine.

/** A decoded code point and its encoded length, packed as cp | size << 24; 0 means invalid UTF-8. */
export type Decoded = u32;

@inline export function decodedCp(d: Decoded): u32 {
  return d & 0x1fffff;
}

@inline export function decodedSize(d: Decoded): usize {
  return <usize>(d >>> 24);
}

@inline function cont(b: u32): bool {
  return (b & 0xc0) == 0x80;
}

/** Decodes the code point starting at p (p < end). Returns 0 if the bytes there are not valid UTF-8. */
export function utf8Decode(p: usize, end: usize): Decoded {
  const b0 = <u32>load<u8>(p);
  if (b0 < 0x80) return b0 | (1 << 24);
  const avail = end - p;
  if (b0 < 0xc2) return 0; // continuation byte, or an overlong 2-byte form
  if (b0 < 0xe0) {
    if (avail < 2) return 0;
    const b1 = <u32>load<u8>(p, 1);
    if (!cont(b1)) return 0;
    return (((b0 & 0x1f) << 6) | (b1 & 0x3f)) | (2 << 24);
  }
  if (b0 < 0xf0) {
    if (avail < 3) return 0;
    const b1 = <u32>load<u8>(p, 1);
    const b2 = <u32>load<u8>(p, 2);
    if (!cont(b1) || !cont(b2)) return 0;
    const cp = ((b0 & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f);
    if (cp < 0x800 || cp - 0xd800 < 0x800) return 0; // overlong, or a surrogate
    return cp | (3 << 24);
  }
  if (b0 < 0xf5) {
    if (avail < 4) return 0;
    const b1 = <u32>load<u8>(p, 1);
    const b2 = <u32>load<u8>(p, 2);
    const b3 = <u32>load<u8>(p, 3);
    if (!cont(b1) || !cont(b2) || !cont(b3)) return 0;
    const cp = ((b0 & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f);
    if (cp < 0x10000 || cp > 0x10ffff) return 0; // overlong, or beyond Unicode
    return cp | (4 << 24);
  }
  return 0;
}

/** True if [p, p + len) is valid UTF-8. ASCII runs are checked eight bytes at a time. */
export function utf8Valid(p: usize, len: usize): bool {
  const end = p + len;
  while (p < end) {
    if (p + 8 <= end && (load<u64>(p) & 0x8080808080808080) == 0) {
      p += 8;
      continue;
    }
    const d = utf8Decode(p, end);
    if (d == 0) return false;
    p += decodedSize(d);
  }
  return true;
}

/** Number of bytes cp takes in UTF-8 (cp must be a Unicode scalar value). */
@inline export function utf8Width(cp: u32): usize {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/** Writes cp as UTF-8 at dst and returns the number of bytes written (1 to 4). */
export function utf8Store(dst: usize, cp: u32): usize {
  if (cp < 0x80) {
    store<u8>(dst, <u8>cp);
    return 1;
  }
  if (cp < 0x800) {
    store<u8>(dst, <u8>(0xc0 | (cp >> 6)));
    store<u8>(dst, <u8>(0x80 | (cp & 0x3f)), 1);
    return 2;
  }
  if (cp < 0x10000) {
    store<u8>(dst, <u8>(0xe0 | (cp >> 12)));
    store<u8>(dst, <u8>(0x80 | ((cp >> 6) & 0x3f)), 1);
    store<u8>(dst, <u8>(0x80 | (cp & 0x3f)), 2);
    return 3;
  }
  store<u8>(dst, <u8>(0xf0 | (cp >> 18)));
  store<u8>(dst, <u8>(0x80 | ((cp >> 12) & 0x3f)), 1);
  store<u8>(dst, <u8>(0x80 | ((cp >> 6) & 0x3f)), 2);
  store<u8>(dst, <u8>(0x80 | (cp & 0x3f)), 3);
  return 4;
}
