// Test harness for engine-as/src/normalize.ts and engine-as/src/utf8.ts (engine-as/test/normalize.test.ts).

import { normalizeName, normalizeMaxLen } from "../src/normalize";
import { utf8Decode, utf8Store, utf8Valid } from "../src/utf8";

export function alloc(size: usize): usize {
  return heap.alloc(size);
}

export function free(ptr: usize): void {
  heap.free(ptr);
}

export function normalize(src: usize, len: usize, dst: usize): i32 {
  return normalizeName(src, len, dst);
}

export function maxLen(len: usize): usize {
  return normalizeMaxLen(len);
}

/**
 * Normalizes count names in one call: name i is [src + starts[i], src + starts[i + 1]) (u32 offsets).
 * Results are written one after another from dst; lens[i] (i32) gets each length, or -1.
 */
export function normalizeBatch(src: usize, starts: usize, count: u32, dst: usize, lens: usize): void {
  for (let i: u32 = 0; i < count; i++) {
    const a = load<u32>(starts + (<usize>i << 2));
    const b = load<u32>(starts + (<usize>i << 2), 4);
    const n = normalizeName(src + a, b - a, dst);
    store<i32>(lens + (<usize>i << 2), n);
    if (n > 0) dst += <usize>n;
  }
}

export function valid(p: usize, len: usize): bool {
  return utf8Valid(p, len);
}

export function decode(p: usize, end: usize): u32 {
  return utf8Decode(p, end);
}

export function encode(dst: usize, cp: u32): usize {
  return utf8Store(dst, cp);
}

/** Calls normalizeName times times (for timing without the JS-to-Wasm call). */
export function repeat(src: usize, len: usize, dst: usize, times: u32): i32 {
  let n = 0;
  for (let i: u32 = 0; i < times; i++) n = normalizeName(src, len, dst);
  return n;
}
