// Protected paths (aip-digest 2.6, with aip-go's bypasses closed): a string value hits a protected path P when,
// after `~` expansion and cleaning relative to the bundle's working directory, it is P or lies below P, or when
// the raw text contains P or one of its other spellings (~/..., $HOME/..., ${HOME}/...) anywhere, e.g. inside
// a shell command; or when it names a file with P's base name through a path.

import { Buf, bufNew, bufBytes, bufByte } from "./buf";
import * as bundle from "./bundle";

const KIND_CANONICAL: u32 = 0;
const SLASHES = memory.data<u8>([0x2f, 0x5c]); // "/" and "\\"

function contains(h: usize, hn: usize, n: usize, nn: usize): bool {
  if (nn == 0 || nn > hn) return false;
  const first = load<u8>(n);
  const last = hn - nn;
  for (let i: usize = 0; i <= last; i++) {
    if (load<u8>(h + i) == first && memory.compare(h + i, n, nn) == 0) return true;
  }
  return false;
}

/** Go filepath.Clean of an absolute path into a new buffer. */
function clean(p: usize, n: usize): Buf {
  const out = bufNew(n + 1);
  let i: usize = 0;
  while (i < n) {
    while (i < n && load<u8>(p + i) == 0x2f) i++;
    if (i >= n) break;
    let j = i;
    while (j < n && load<u8>(p + j) != 0x2f) j++;
    const segLen = j - i;
    if (segLen == 1 && load<u8>(p + i) == 0x2e) {
      // "."
    } else if (segLen == 2 && load<u8>(p + i) == 0x2e && load<u8>(p + i + 1) == 0x2e) {
      // ".." drops the last segment; at the root it stays at the root.
      while (out.len > 0 && load<u8>(out.ptr + out.len - 1) != 0x2f) out.len--;
      if (out.len > 0) out.len--;
    } else {
      bufByte(out, 0x2f);
      bufBytes(out, p + i, segLen);
    }
    i = j;
  }
  if (out.len == 0) bufByte(out, 0x2f);
  return out;
}

function expand(v: usize, n: usize): Buf {
  const raw = bufNew(n + 64);
  const home = bundle.data + bundle.cfg(32);
  const homeLen = <usize>bundle.cfg(36);
  const cwd = bundle.data + bundle.cfg(40);
  const cwdLen = <usize>bundle.cfg(44);
  if (n >= 1 && load<u8>(v) == 0x7e && (n == 1 || load<u8>(v + 1) == 0x2f)) {
    bufBytes(raw, home, homeLen);
    bufBytes(raw, v + 1, n - 1);
  } else if (n >= 1 && load<u8>(v) == 0x2f) {
    bufBytes(raw, v, n);
  } else {
    bufBytes(raw, cwd, cwdLen);
    bufByte(raw, 0x2f);
    bufBytes(raw, v, n);
  }
  return clean(raw.ptr, raw.len);
}

function baseOf(p: usize, n: usize): usize {
  let i = n;
  while (i > 0 && load<u8>(p + i - 1) != 0x2f) i--;
  return i; // offset of the base name
}

/** Index (in the bundle's PATHS section) of the entry that the decoded value [v, v+n) hits, or -1. */
export function protectedHit(v: usize, n: usize): i32 {
  const count = bundle.pathCount;
  if (count == 0 || n == 0) return -1;
  let x: Buf = changetype<Buf>(0); // the expanded value, computed when first needed
  for (let i: u32 = 0; i < count; i++) {
    const e = bundle.paths + <usize>i * bundle.PATH_SIZE;
    const p = bundle.data + load<u32>(e);
    const pn = <usize>load<u32>(e, 4);
    const index = <i32>i;
    if (contains(v, n, p, pn)) return index;
    if (load<u32>(e, 8) != KIND_CANONICAL) continue;
    if (changetype<usize>(x) == 0) x = expand(v, n);
    if (x.len == pn && memory.compare(x.ptr, p, pn) == 0) return index;
    if (x.len > pn && memory.compare(x.ptr, p, pn) == 0 && (load<u8>(x.ptr + pn) == 0x2f || pn == 1)) return index;
    const pb = baseOf(p, pn);
    const baseLen = pn - pb;
    if (baseLen == 0) continue;
    const xb = baseOf(x.ptr, x.len);
    if (x.len - xb != baseLen || memory.compare(x.ptr + xb, p + pb, baseLen) != 0) continue;
    if (!contains(v, n, p + pb, baseLen)) continue;
    if (load<u8>(v) == 0x2e || contains(v, n, SLASHES, 1) || contains(v, n, SLASHES + 1, 1)) return index;
  }
  return -1;
}
