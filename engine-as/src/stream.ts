// Streaming DLP: text that arrives in chunks (a server's stderr, an SSE response) is scanned in whole units,
// so a secret split across two chunks is still found. The unfinished tail of the stream waits in the stream's
// carry buffer (engine heap, not the per-call arena) until its unit is complete:
//   MODE_LINES  a unit is a line (stderr);
//   MODE_SSE    a unit is a server-sent event; its data lines are one JSON-RPC message, scanned like any other.
// A unit larger than CARRY_LIMIT is scanned as plain text and passed on, so memory stays bounded; a secret
// split exactly at that forced boundary of an over-long unit is the one case that can pass (docs/engine-abi.md).

import { Buf, bufNew, bufBytes, bufAscii, bufByte } from "./buf";
import { SLACK } from "./arena";
import { collectEdits, collectText, applyEdits } from "./scan";
import { dlpBegin, dlpEvents, dlpEventsBuffer } from "./dlp";
import { resultClear, setSpan, setU32, R_RESPONSE, R_EVENTS, R_VERDICT, V_REWRITE } from "./result";

export const MODE_LINES: u32 = 0;
export const MODE_SSE: u32 = 1;
const CARRY_LIMIT: usize = 8 << 20;

// Stream state (heap block): mode, flags, carry ptr, carry len, carry cap.
const S_MODE: usize = 0;
const S_FLAGS: usize = 4;
const S_PTR: usize = 8;
const S_LEN: usize = 12;
const S_CAP: usize = 16;
const S_SIZE: usize = 20;

export function streamOpen(mode: u32, flags: u32): usize {
  const s = heap.alloc(S_SIZE);
  store<u32>(s + S_MODE, mode);
  store<u32>(s + S_FLAGS, flags);
  store<u32>(s + S_PTR, 0);
  store<u32>(s + S_LEN, 0);
  store<u32>(s + S_CAP, 0);
  return s;
}

function append(s: usize, p: usize, n: usize): void {
  const len = <usize>load<u32>(s + S_LEN);
  let cap = <usize>load<u32>(s + S_CAP);
  if (len + n > cap) {
    cap = cap == 0 ? 4096 : cap;
    while (cap < len + n) cap <<= 1;
    const old = <usize>load<u32>(s + S_PTR);
    store<u32>(s + S_PTR, <u32>(old == 0 ? heap.alloc(cap + SLACK) : heap.realloc(old, cap + SLACK)));
    store<u32>(s + S_CAP, <u32>cap);
  }
  memory.copy(<usize>load<u32>(s + S_PTR) + len, p, n);
  store<u32>(s + S_LEN, <u32>(len + n));
}

/** Drop the first n bytes of the carry. */
function consume(s: usize, n: usize): void {
  const p = <usize>load<u32>(s + S_PTR);
  const len = <usize>load<u32>(s + S_LEN);
  memory.copy(p, p + n, len - n);
  store<u32>(s + S_LEN, <u32>(len - n));
}

function scanLines(p: usize, n: usize, out: Buf): void {
  collectText(p, n);
  applyEdits(p, n, out);
}

/** Length of the first complete event in [p, p+n) including its blank line, or 0. */
function eventEnd(p: usize, n: usize): usize {
  for (let i: usize = 0; i + 1 < n; i++) {
    const c = load<u8>(p + i);
    if (c != 0x0a && c != 0x0d) continue;
    let j = i + 1;
    if (c == 0x0d && load<u8>(p + j) == 0x0a) j++;
    if (j >= n) return 0;
    const d = load<u8>(p + j);
    if (d == 0x0a) return j + 1;
    if (d == 0x0d) return j + 1 < n && load<u8>(p + j + 1) == 0x0a ? j + 2 : j + 1;
  }
  return 0;
}

function isDataLine(p: usize, n: usize): bool {
  return n >= 5 && load<u8>(p) == 0x64 && load<u8>(p + 1) == 0x61 && load<u8>(p + 2) == 0x74 && load<u8>(p + 3) == 0x61 && load<u8>(p + 4) == 0x3a;
}

/** One SSE event: its data lines joined by \n are scanned as a message; other lines pass as they are. */
function scanEvent(p: usize, n: usize, flags: u32, out: Buf): void {
  const data = bufNew(n);
  let firstData: isize = -1;
  let i: usize = 0;
  while (i < n) {
    let j = i;
    while (j < n && load<u8>(p + j) != 0x0a && load<u8>(p + j) != 0x0d) j++;
    if (isDataLine(p + i, j - i)) {
      if (firstData < 0) firstData = <isize>i;
      else bufByte(data, 0x0a);
      let v = i + 5;
      if (v < j && load<u8>(p + v) == 0x20) v++;
      bufBytes(data, p + v, j - v);
    }
    i = j;
    if (i < n && load<u8>(p + i) == 0x0d) i++;
    if (i < n && load<u8>(p + i) == 0x0a) i++;
  }
  if (firstData < 0) {
    bufBytes(out, p, n);
    return;
  }
  collectEdits(data.ptr, data.len, flags);
  const scanned = bufNew(data.len + 64);
  applyEdits(data.ptr, data.len, scanned);
  if (scanned.len == data.len && memory.compare(scanned.ptr, data.ptr, data.len) == 0) {
    bufBytes(out, p, n);
    return;
  }
  // Rebuild: lines before the first data line, the new data lines, then the other non-data lines.
  bufBytes(out, p, <usize>firstData);
  let k: usize = 0;
  while (k <= scanned.len) {
    let e = k;
    while (e < scanned.len && load<u8>(scanned.ptr + e) != 0x0a) e++;
    bufAscii(out, "data: ");
    bufBytes(out, scanned.ptr + k, e - k);
    bufByte(out, 0x0a);
    k = e + 1;
  }
  i = <usize>firstData;
  while (i < n) {
    let j = i;
    while (j < n && load<u8>(p + j) != 0x0a && load<u8>(p + j) != 0x0d) j++;
    let next = j;
    if (next < n && load<u8>(p + next) == 0x0d) next++;
    if (next < n && load<u8>(p + next) == 0x0a) next++;
    if (j > i && !isDataLine(p + i, j - i)) bufBytes(out, p + i, next - i);
    i = next;
  }
  bufByte(out, 0x0a); // the blank line that ends the event
}

function finishCall(out: Buf): void {
  setU32(R_VERDICT, V_REWRITE);
  setSpan(R_RESPONSE, out.ptr, out.len);
  const evp = dlpEventsBuffer();
  setSpan(R_EVENTS, evp, dlpEvents(evp));
}

/** Take a chunk; the result's response span holds what may be passed on now. */
export function streamWrite(s: usize, p: usize, n: usize): void {
  resultClear();
  dlpBegin();
  append(s, p, n);
  const out = bufNew(n + 256);
  const mode = load<u32>(s + S_MODE);
  const flags = load<u32>(s + S_FLAGS);
  while (true) {
    const c = <usize>load<u32>(s + S_PTR);
    const len = <usize>load<u32>(s + S_LEN);
    if (len == 0) break;
    let unit: usize = 0;
    if (mode == MODE_SSE) unit = eventEnd(c, len);
    else {
      let i = len;
      while (i > 0 && load<u8>(c + i - 1) != 0x0a) i--;
      unit = i; // every complete line at once
    }
    if (unit == 0) {
      if (len <= CARRY_LIMIT) break;
      unit = len;
      scanLines(c, unit, out);
    } else if (mode == MODE_SSE) scanEvent(c, unit, flags, out);
    else scanLines(c, unit, out);
    consume(s, unit);
  }
  finishCall(out);
}

/** The end of the stream: pass on what is left (scanned) and free the stream. */
export function streamEnd(s: usize): void {
  resultClear();
  dlpBegin();
  const out = bufNew(256);
  const c = <usize>load<u32>(s + S_PTR);
  const len = <usize>load<u32>(s + S_LEN);
  if (len > 0) {
    if (load<u32>(s + S_MODE) == MODE_SSE) scanEvent(c, len, load<u32>(s + S_FLAGS), out);
    else scanLines(c, len, out);
  }
  if (c != 0) heap.free(c);
  heap.free(s);
  finishCall(out);
}
