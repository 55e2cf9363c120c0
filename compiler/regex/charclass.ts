// Sets of code points as sorted, disjoint, non-adjacent inclusive ranges, flattened: [lo0, hi0, lo1, hi1, ...].

export type Ranges = number[];

export const MAX_RUNE = 0x10ffff;

/** Sorts and merges arbitrary (possibly overlapping) ranges. */
export function normalize(r: Ranges): Ranges {
  const pairs: [number, number][] = [];
  for (let i = 0; i < r.length; i += 2) pairs.push([r[i], r[i + 1]]);
  pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: Ranges = [];
  for (const [lo, hi] of pairs) {
    const n = out.length;
    if (n > 0 && lo <= out[n - 1] + 1) {
      if (hi > out[n - 1]) out[n - 1] = hi;
    } else out.push(lo, hi);
  }
  return out;
}

/** Complement within [0, MAX_RUNE]; the input must be normalized. */
export function negate(r: Ranges): Ranges {
  const out: Ranges = [];
  let next = 0;
  for (let i = 0; i < r.length; i += 2) {
    if (r[i] > next) out.push(next, r[i] - 1);
    next = r[i + 1] + 1;
  }
  if (next <= MAX_RUNE) out.push(next, MAX_RUNE);
  return out;
}

/** Intersection of a normalized set with one range [lo, hi]. */
export function clip(r: Ranges, lo: number, hi: number): Ranges {
  const out: Ranges = [];
  for (let i = 0; i < r.length; i += 2) {
    if (r[i + 1] < lo) continue;
    if (r[i] > hi) break;
    out.push(Math.max(r[i], lo), Math.min(r[i + 1], hi));
  }
  return out;
}

export function contains(r: Ranges, c: number): boolean {
  for (let i = 0; i < r.length; i += 2) {
    if (c < r[i]) return false;
    if (c <= r[i + 1]) return true;
  }
  return false;
}

