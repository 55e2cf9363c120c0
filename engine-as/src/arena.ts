// Memory of one engine call.
//
// Everything an evaluation produces (decoded strings, the error response, redacted output) lives in a bump
// arena that is reset at the start of every call, so engine memory stays flat over millions of calls. The
// arena is a chain of blocks: the first one is kept for the life of the instance, overflow blocks are freed
// on reset. Results stay valid until the next call.

const FIRST_BLOCK: usize = 256 << 10;
const HEADER: usize = 16; // next block pointer, block capacity
// Bytes readable past the end of every buffer, so the SIMD scanners may load 16 bytes at any position.
export const SLACK: usize = 16;

let first: usize = 0;
let current: usize = 0; // block being filled
let top: usize = 0; // next free byte in current
let limit: usize = 0; // end of current

function newBlock(capacity: usize): usize {
  const block = heap.alloc(capacity + HEADER + SLACK);
  store<usize>(block, 0);
  store<usize>(block, capacity, sizeof<usize>());
  return block;
}

function enter(block: usize): void {
  current = block;
  top = block + HEADER;
  limit = top + load<usize>(block, sizeof<usize>());
}

/** Drop everything allocated since the last reset. */
export function arenaReset(): void {
  if (first == 0) first = newBlock(FIRST_BLOCK);
  let b = load<usize>(first);
  while (b != 0) {
    const next = load<usize>(b);
    heap.free(b);
    b = next;
  }
  store<usize>(first, 0);
  enter(first);
}

/** Allocate `size` bytes, 8-byte aligned. Never fails short of running out of Wasm memory (a trap: fail closed). */
export function arenaAlloc(size: usize): usize {
  const p = (top + 7) & ~(<usize>7);
  if (p + size <= limit) {
    top = p + size;
    return p;
  }
  let cap = load<usize>(current, sizeof<usize>()) << 1;
  if (cap < size) cap = size;
  const block = newBlock(cap);
  store<usize>(current, block);
  enter(block);
  const q = (top + 7) & ~(<usize>7);
  top = q + size;
  return q;
}

/** A grown arena array: a new block for `cap` records of `size` bytes, with the first `count` copied over. */
export function arenaGrowArray(array: usize, count: usize, cap: usize, size: usize): usize {
  const grown = arenaAlloc(cap * size);
  if (count > 0) memory.copy(grown, array, count * size);
  return grown;
}

/** Give back the tail of the most recent allocation (used by growable buffers). */
export function arenaTryExtend(p: usize, oldSize: usize, newSize: usize): bool {
  if (p + oldSize == top && p + newSize <= limit) {
    top = p + newSize;
    return true;
  }
  return false;
}

// The input buffer: where the host writes the bytes of the message (or bundle) before each call.
let inputPtr: usize = 0;
let inputCap: usize = 0;

export function inputBuffer(len: usize): usize {
  if (len > inputCap) {
    if (inputPtr != 0) heap.free(inputPtr);
    let cap: usize = 64 << 10;
    while (cap < len) cap <<= 1;
    inputPtr = heap.alloc(cap + SLACK);
    inputCap = cap;
  }
  return inputPtr;
}

export function inputPointer(): usize {
  return inputPtr;
}
