// Server-to-client messages: DLP redaction of every string value (not keys, not jsonrpc/id/method) of a
// response, error or server request, and tools/list filtering. Changes are collected as edits of the
// original text, so every byte that does not change is forwarded as it was and the output is valid JSON.

import { Buf, bufNew, bufBytes, bufJsonString, bufJsonEscaped } from "./buf";
import { arenaGrowArray } from "./arena";
import * as bundle from "./bundle";
import {
  scanValue, skipWs, kindAt, objFirst, memberValue, objNext, skipValue, skipString, arrFirst, arrNext, decodeString,
  strPtr, strLen, strEnd, strCanonical, strMarks, strMarkCount, equalsAscii, jsonReset, J_OBJECT, J_ARRAY, J_STRING,
} from "./json";
import {
  dlpEnabled, dlpBegin, dlpEvents, dlpEventsBuffer, redact, changesPossible, redactChanges, changeCount, changeAt,
} from "./dlp";
import { toolHidden } from "./decide";
import {
  resultClear, setU32, setSpan, R_VERDICT, R_RESPONSE, R_EVENTS, R_FLAGS, V_FORWARD, V_REWRITE, F_NOT_JSON,
  F_TOOLS_LIST,
} from "./result";

const EDIT: usize = 4 * sizeof<usize>(); // start, end, replacement ptr, replacement len
let edits: usize = 0;
let editCount: usize = 0;
let editCap: usize = 0;
let end: usize = 0;
let dlpOn = false;

function addEdit(start: usize, stop: usize, r: usize, rn: usize): void {
  if (editCount == editCap) {
    editCap = editCap == 0 ? 32 : editCap << 1;
    edits = arenaGrowArray(edits, editCount, editCap, EDIT);
  }
  const e = edits + editCount * EDIT;
  store<usize>(e, start);
  store<usize>(e, stop, sizeof<usize>());
  store<usize>(e, r, 2 * sizeof<usize>());
  store<usize>(e, rn, 3 * sizeof<usize>());
  editCount++;
}

/** Redacts the string at v; returns its end. */
function scanString(v: usize): usize {
  if (!dlpOn) return skipString(v);
  decodeString(v);
  const stop = strEnd;
  if (changesPossible() && strCanonical) {
    // Only the changed runs are rewritten; the rest of the string stays as it came (its escapes are the ones
    // JSON-escaping the decoded text writes, so the result is the same as rewriting the whole string).
    const text = strPtr;
    if (redactChanges(text, strLen) == 0) return stop;
    if (text == v + 1) {
      for (let k: usize = 0; k < changeCount; k++) addChange(k, v + 1 + changeAt(k, 0), v + 1 + changeAt(k, 1));
    } else mapChanges(v + 1);
    return stop;
  }
  const red = redact(strPtr, strLen);
  if (red === null) return stop;
  const q = bufNew(red.len + (red.len >> 3) + 16);
  bufJsonString(q, red.ptr, red.len);
  addEdit(v, stop, q.ptr, q.len);
  return stop;
}

/** The edit for change k: its replacement, JSON-escaped, over [start, stop) of the message. */
function addChange(k: usize, start: usize, stop: usize): void {
  const n = changeAt(k, 3);
  const q = bufNew(n + (n >> 3) + 16);
  bufJsonEscaped(q, changeAt(k, 2), n);
  addEdit(start, stop, q.ptr, q.len);
}

const BACKSLASH = i8x16.splat(0x5c);

/**
 * The edits for changes of a string with (canonical) escapes starting at raw: each escape decodes to one
 * byte, so walking the escapes maps decoded offsets to message positions.
 */
function mapChanges(raw: usize): void {
  let r = raw;
  let d: usize = 0; // decoded offset at r
  let mark: usize = 0; // decodeString's marks let the walk start near each change
  for (let k: usize = 0; k < changeCount; k++) {
    const lo = changeAt(k, 0);
    const hi = changeAt(k, 1);
    while (mark < strMarkCount && <usize>load<u32>(strMarks + mark * 8) <= lo) {
      const md = <usize>load<u32>(strMarks + mark * 8);
      if (md > d) {
        d = md;
        r = raw + <usize>load<u32>(strMarks + mark * 8, 4);
      }
      mark++;
    }
    r = advance(r, lo - d);
    const start = r;
    r = advance(r, hi - lo);
    d = hi;
    addChange(k, start, r);
  }
}

/** The position n decoded bytes after r (r is not inside an escape). */
function advance(r: usize, n: usize): usize {
  // Sixteen bytes at a time while the target is that far (the string's end lies past every target).
  while (n >= 16) {
    const m = i8x16.bitmask(i8x16.eq(v128.load(r), BACKSLASH));
    if (m == 0) {
      r += 16;
      n -= 16;
      continue;
    }
    const k = <usize>ctz(m);
    r += k;
    n -= k;
    if (n == 0) break;
    r += load<u8>(r, 1) == 0x75 ? 6 : 2;
    n--;
  }
  while (n > 0) {
    r += load<u8>(r) != 0x5c ? 1 : load<u8>(r, 1) == 0x75 ? 6 : 2;
    n--;
  }
  return r;
}

/** Scans the value at v; returns its end. */
function walk(v: usize): usize {
  const k = kindAt(v);
  if (k == J_STRING) return scanString(v);
  if (k == J_OBJECT) {
    let m = objFirst(v, end);
    if (m == 0) return skipValue(v, end);
    while (true) {
      const valEnd = walk(memberValue(m, end));
      m = objNext(valEnd, end);
      if (m == 0) return skipWs(valEnd, end) + 1;
    }
  }
  if (k == J_ARRAY) {
    let e = arrFirst(v, end);
    if (e == 0) return skipValue(v, end);
    while (true) {
      const valEnd = walk(e);
      e = arrNext(valEnd, end);
      if (e == 0) return skipWs(valEnd, end) + 1;
    }
  }
  return skipValue(v, end);
}

/** A tools/list result's tools array without the tools that the policy blocks outright. */
function walkTools(arr: usize): void {
  let e = arrFirst(arr, end);
  let lastKeptEnd: usize = 0;
  let editsAtLastKept = editCount;
  while (e != 0) {
    const eEnd = skipValue(e, end);
    const next = arrNext(eEnd, end);
    if (isHidden(e)) {
      if (next != 0) addEdit(e, next, 0, 0);
      else if (lastKeptEnd != 0) {
        // The last element goes with the comma before it; removals since the last kept element are inside.
        editCount = editsAtLastKept;
        addEdit(lastKeptEnd, eEnd, 0, 0);
      } else addEdit(e, eEnd, 0, 0);
    } else {
      walk(e);
      lastKeptEnd = eEnd;
      editsAtLastKept = editCount;
    }
    e = next;
  }
}

function isHidden(tool: usize): bool {
  if (kindAt(tool) != J_OBJECT) return false;
  let m = objFirst(tool, end);
  while (m != 0) {
    decodeString(m);
    const val = memberValue(m, end);
    if (equalsAscii(strPtr, strLen, "name") && kindAt(val) == J_STRING) {
      decodeString(val);
      return toolHidden(strPtr, strLen);
    }
    m = objNext(skipValue(val, end), end);
  }
  return false;
}

function walkTop(v: usize, filterTools: bool): void {
  let m = objFirst(v, end);
  while (m != 0) {
    decodeString(m);
    const val = memberValue(m, end);
    const isMeta = equalsAscii(strPtr, strLen, "jsonrpc") || equalsAscii(strPtr, strLen, "id") || equalsAscii(strPtr, strLen, "method");
    if (filterTools && equalsAscii(strPtr, strLen, "result") && kindAt(val) == J_OBJECT) {
      let r = objFirst(val, end);
      while (r != 0) {
        decodeString(r);
        const rv = memberValue(r, end);
        let rvEnd: usize;
        if (equalsAscii(strPtr, strLen, "tools") && kindAt(rv) == J_ARRAY) {
          walkTools(rv);
          rvEnd = skipValue(rv, end);
        } else rvEnd = walk(rv);
        r = objNext(rvEnd, end);
      }
      m = objNext(skipValue(val, end), end);
    } else m = objNext(isMeta ? skipValue(val, end) : walk(val), end);
  }
}

/** Append [p, p+len) with the collected edits applied to out. */
export function applyEdits(p: usize, len: usize, out: Buf): void {
  let at = p;
  for (let i: usize = 0; i < editCount; i++) {
    const e = edits + i * EDIT;
    const start = load<usize>(e);
    bufBytes(out, at, start - at);
    bufBytes(out, load<usize>(e, 2 * sizeof<usize>()), load<usize>(e, 3 * sizeof<usize>()));
    at = load<usize>(e, sizeof<usize>());
  }
  bufBytes(out, at, p + len - at);
}

export function editsMade(): bool {
  return editCount > 0;
}

/**
 * Collect the edits of one server-to-client message (DLP counts accumulate across calls; dlpBegin resets them).
 * flags: F_TOOLS_LIST when it answers a tools/list request. Returns false when the text was not JSON (it is
 * then redacted as plain text: the client rejects it anyway, but no secret passes through).
 */
export function collectEdits(p: usize, len: usize, flags: u32): bool {
  edits = 0;
  editCount = editCap = 0;
  end = p + len;
  dlpOn = dlpEnabled();
  const filterTools = (flags & F_TOOLS_LIST) != 0 && bundle.base != 0 && !bundle.hasFlag(bundle.CF_MONITOR);
  if (!dlpOn && !filterTools) return true;
  jsonReset();
  const q = skipWs(p, end);
  const vEnd = q < end ? scanValue(q, end, 0) : 0;
  if (vEnd == 0 || skipWs(vEnd, end) != end) {
    collectText(p, len);
    return false;
  }
  if (kindAt(q) == J_OBJECT) walkTop(q, filterTools);
  else walk(q); // a batch of responses
  return true;
}

/** The edit of plain text: one replacement of all of it, if anything matched. */
export function collectText(p: usize, len: usize): void {
  edits = 0;
  editCount = editCap = 0;
  if (!dlpEnabled()) return;
  const red = redact(p, len);
  if (red !== null) addEdit(p, p + len, red.ptr, red.len);
}

function finish(p: usize, len: usize): void {
  const evp = dlpEventsBuffer();
  setSpan(R_EVENTS, evp, dlpEvents(evp));
  if (editCount == 0) {
    setU32(R_VERDICT, V_FORWARD);
    return;
  }
  const out = bufNew(len + 256);
  applyEdits(p, len, out);
  setU32(R_VERDICT, V_REWRITE);
  setSpan(R_RESPONSE, out.ptr, out.len);
}

/** A message from the server: verdict V_FORWARD (unchanged) or V_REWRITE with the new bytes in R_RESPONSE. */
export function scanMessage(p: usize, len: usize, flags: u32): void {
  resultClear();
  dlpBegin();
  if (!collectEdits(p, len, flags)) setU32(R_FLAGS, F_NOT_JSON);
  finish(p, len);
}

/** DLP over plain text (stderr lines, conformance DLP vectors). */
export function scanText(p: usize, len: usize): void {
  resultClear();
  dlpBegin();
  collectText(p, len);
  finish(p, len);
}
