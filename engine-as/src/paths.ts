// Protected paths (aip-digest 2.6, with aip-go's bypasses closed): a string value hits a protected path P when,
// after `~` expansion and cleaning relative to the bundle's working directory, it is P or lies below P, or when
// the raw text contains P or one of its other spellings (~/..., $HOME/..., ${HOME}/...) anywhere, e.g. inside
// a shell command; or when it names a file with P's base name through a path.

import { Buf, bufNew, bufBytes, bufByte } from "./buf";
import * as bundle from "./bundle";
import { dfaIsMatch } from "./dfa";

const KIND_CANONICAL: u32 = 0;
const SLASHES = memory.data<u8>([0x2f, 0x5c]); // "/" and "\\"
const HOME_VAR = memory.data<u8>([0x24, 0x48, 0x4f, 0x4d, 0x45]); // $HOME
const HOME_BRACED = memory.data<u8>([0x24, 0x7b, 0x48, 0x4f, 0x4d, 0x45, 0x7d]); // ${HOME}

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

/** Length of a home prefix of v (`~`, `$HOME`, `${HOME}`) followed by `/` or the end, or 0. */
function homePrefix(v: usize, n: usize): usize {
  let k: usize = 0;
  if (n >= 1 && load<u8>(v) == 0x7e) k = 1;
  else if (startsWith(v, n, HOME_VAR, 5)) k = 5;
  else if (startsWith(v, n, HOME_BRACED, 7)) k = 7;
  else return 0;
  return k == n || load<u8>(v + k) == 0x2f ? k : 0;
}

function startsWith(v: usize, n: usize, prefix: usize, pn: usize): bool {
  return n >= pn && memory.compare(v, prefix, pn) == 0;
}

/** A value as the path it names: home prefixes expanded, made absolute against the cwd, cleaned. */
function expand(v: usize, n: usize): Buf {
  const raw = bufNew(n + 64);
  const home = bundle.data + bundle.cfg(32);
  const homeLen = <usize>bundle.cfg(36);
  const cwd = bundle.data + bundle.cfg(40);
  const cwdLen = <usize>bundle.cfg(44);
  const hp = homePrefix(v, n);
  if (hp > 0) {
    bufBytes(raw, home, homeLen);
    bufBytes(raw, v + hp, n - hp);
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

/**
 * Index (in the bundle's PATHS section) of the entry that the decoded value [v, v+n) hits, or -1.
 * A DFA compiled from the path table keeps the common case to one pass over the value: it finds any protected
 * base name, without which no path rule can apply (a cleaned path below P contains P's last segment, and
 * every spelling of P ends with it).
 */
export function protectedHit(v: usize, n: usize): i32 {
  const count = bundle.pathCount;
  if (count == 0 || n == 0) return -1;
  const base = bundle.cfg(56);
  if (base != bundle.EMPTY && !dfaIsMatch(bundle.data + base, v, n)) return -1;
  let x: Buf = changetype<Buf>(0); // the expanded value, computed when first needed
  for (let i: u32 = 0; i < count; i++) {
    const e = bundle.paths + <usize>i * bundle.PATH_SIZE;
    const p = bundle.data + load<u32>(e);
    const pn = <usize>load<u32>(e, 4);
    const index = <i32>i;
    if (contains(v, n, p, pn)) return index;
    if (load<u32>(e, 8) != KIND_CANONICAL) continue;
    if (changetype<usize>(x) == 0) x = expand(v, n);
    if (under(x, p, pn)) return index;
    const pb = baseOf(p, pn);
    const baseLen = pn - pb;
    if (baseLen == 0) continue;
    const xb = baseOf(x.ptr, x.len);
    if (x.len - xb != baseLen || memory.compare(x.ptr + xb, p + pb, baseLen) != 0) continue;
    if (!contains(v, n, p + pb, baseLen)) continue;
    if (load<u8>(v) == 0x2e || contains(v, n, SLASHES, 1) || contains(v, n, SLASHES + 1, 1)) return index;
  }
  return tokenHit(v, n);
}

/** Is the cleaned path x the protected path p or below it? */
function under(x: Buf, p: usize, pn: usize): bool {
  if (x.len < pn || memory.compare(x.ptr, p, pn) != 0) return false;
  return x.len == pn || load<u8>(x.ptr + pn) == 0x2f || pn == 1;
}

@inline
function isSeparator(c: u32): bool {
  // white space, quotes and the shell's punctuation: what can stand around a path inside a command
  return c <= 0x20 || c == 0x22 || c == 0x27 || c == 0x60 || c == 0x3b || c == 0x7c || c == 0x26 || c == 0x28 ||
    c == 0x29 || c == 0x3c || c == 0x3e || c == 0x3d || c == 0x2c;
}

/**
 * Paths inside a longer value (a shell command, a list): each word that looks like a path is expanded and
 * cleaned like a whole value, so `cat ~//.ssh/id_rsa` or `cat /home/u/./.ssh/k` is caught too.
 */
function tokenHit(v: usize, n: usize): i32 {
  let i: usize = 0;
  while (i < n) {
    while (i < n && isSeparator(load<u8>(v + i))) i++;
    let j = i;
    while (j < n && !isSeparator(load<u8>(v + j))) j++;
    const t = v + i;
    const tn = j - i;
    const c = tn > 0 ? <u32>load<u8>(t) : 0;
    if (tn > 0 && tn < n && (c == 0x2f || c == 0x7e || c == 0x24 || c == 0x2e)) {
      const x = expand(t, tn);
      for (let k: u32 = 0; k < bundle.pathCount; k++) {
        const e = bundle.paths + <usize>k * bundle.PATH_SIZE;
        if (load<u32>(e, 8) != KIND_CANONICAL) continue;
        if (under(x, bundle.data + load<u32>(e), <usize>load<u32>(e, 4))) return <i32>k;
      }
    }
    i = j;
  }
  return -1;
}
