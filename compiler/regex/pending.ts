// Go reads text as UTF-8 and takes every byte that does not start a valid encoding as U+FFFD of width 1.
// Whether a lead byte is such a byte depends on the bytes after it (E2 82 AC is one code point, E2 41 is
// U+FFFD then 'A'). The DFA builder therefore lets a thread read a byte as a lone U+FFFD tentatively and
// carries a small "pending" check with it; the bytes that follow confirm (PASS) or refute the reading.
//
// Forward pending (after a lone lead byte): how many continuation bytes would complete the encoding, and
// the range the next one must fall in. Reverse pending (after lone continuation bytes, read backwards): how
// many continuation bytes have been read in this run (capped at 3) and the range class of the last one.

export const REFUTE = -1;
export const PASS = 0;

// Forward pending states 1..7: [continuation bytes still needed, lowest, highest allowed next byte].
const FWD: [number, number, number][] = [
  [0, 0, 0],
  [1, 0x80, 0xbf],
  [2, 0x80, 0xbf],
  [2, 0xa0, 0xbf], // after E0 (no overlongs)
  [2, 0x80, 0x9f], // after ED (no surrogates)
  [3, 0x80, 0xbf],
  [3, 0x90, 0xbf], // after F0
  [3, 0x80, 0x8f], // after F4 (nothing above U+10FFFF)
];

/** Pending state after reading lead byte b (C2..F4) as a lone U+FFFD. */
export function fwdInit(b: number): number {
  if (b <= 0xdf) return 1;
  if (b === 0xe0) return 3;
  if (b === 0xed) return 4;
  if (b <= 0xef) return 2;
  if (b === 0xf0) return 6;
  if (b === 0xf4) return 7;
  return 5;
}

/** Next pending state, PASS (the lone reading holds) or REFUTE, on byte b; b < 0 is the end of text. */
export function fwdStep(p: number, b: number): number {
  if (p === 0) return PASS;
  const [need, lo, hi] = FWD[p];
  if (b < lo || b > hi) return PASS;
  return need === 1 ? REFUTE : need === 2 ? 1 : 2;
}

// Reverse pending states 1..9: 1 + (count - 1) * 3 + class, class of a continuation byte:
// 0 = 80..8F, 1 = 90..9F, 2 = A0..BF.
function contClass(b: number): number {
  return b < 0x90 ? 0 : b < 0xa0 ? 1 : 2;
}

/** Pending state after reading continuation byte b as a lone U+FFFD, with no check pending before. */
export function revInit(b: number): number {
  return 1 + contClass(b);
}

/** Whether lead byte b followed by `count` continuation bytes, the first of class cls, is valid UTF-8. */
function completes(b: number, count: number, cls: number): boolean {
  if (b < 0xc2 || b > 0xf4) return false;
  const need = b < 0xe0 ? 1 : b < 0xf0 ? 2 : 3;
  if (count < need) return false;
  if (b === 0xe0) return cls === 2;
  if (b === 0xed) return cls !== 2;
  if (b === 0xf0) return cls !== 0;
  if (b === 0xf4) return cls === 0;
  return true;
}

/** Reverse counterpart of fwdStep: b is the byte before the run; b < 0 is the start of the scan. */
export function revStep(p: number, b: number): number {
  if (p === 0 || b < 0) return PASS;
  const count = 1 + Math.floor((p - 1) / 3);
  const cls = (p - 1) % 3;
  if (b >= 0x80 && b <= 0xbf) return 1 + (Math.min(count + 1, 3) - 1) * 3 + contClass(b);
  return completes(b, count, cls) ? REFUTE : PASS;
}

// A reverse match that started at a lone continuation byte q waits for the bytes before q: q is a real
// boundary unless a lead byte before it starts a valid encoding reaching q. While waiting, the state is
// 1 + t * 9 + (cq - 1) * 3 + cls: t continuation bytes read since q (0..2), cq continuation bytes from q
// on (1..3, from the thread's pending state), cls the class of the last continuation byte read.

/** Wait state of a match found with reverse pending p, when b (a continuation byte) was read after it. */
export function revMatchInit(p: number, b: number): number {
  const cq = 1 + Math.floor((p - 1) / 3);
  return 1 + 1 * 9 + (cq - 1) * 3 + contClass(b);
}

export function revMatchStep(m: number, b: number): number {
  if (b < 0) return PASS;
  const t = Math.floor((m - 1) / 9);
  const cq = 1 + Math.floor(((m - 1) % 9) / 3);
  const cls = (m - 1) % 3;
  if (b >= 0x80 && b <= 0xbf) {
    // A fourth continuation byte before q: no encoding is long enough to reach q any more.
    return t === 2 ? PASS : 1 + (t + 1) * 9 + (cq - 1) * 3 + contClass(b);
  }
  if (b < 0xc2 || b > 0xf4) return PASS;
  const need = b < 0xe0 ? 1 : b < 0xf0 ? 2 : 3; // continuation bytes after this lead
  const reaches = need >= t + 1 && t + cq >= need;
  return reaches && completes(b, need, cls) ? REFUTE : PASS;
}
