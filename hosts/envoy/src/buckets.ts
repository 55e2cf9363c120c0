// Rate-limit token buckets shared by every worker thread of the Envoy, in proxy-wasm shared data.
//
// Each worker runs its own copy of the VM, and the engine keeps its buckets in the instance
// (bundle.rateState: per tool rule, f64 tokens (NaN: never used, i.e. full) and f64 time of the last refill
// in ms). So the instance's buckets are only a scratch copy: before each evaluation every limited bucket is
// marked "untouched"; the engine then tells, by touching one, which rule the call is limited by. The filter
// loads that rule's bucket from shared data, evaluates again on it (the engine is deterministic given the
// bucket and the clock), and stores the bucket back with compare-and-swap; on a CAS mismatch (another thread
// took a token in between) it loads and evaluates again. Shared keys:
//   toolgate.rl.<rate_limit_scope>.<first 16 hex digits of the policy hash>.<rule index>
// so a new policy starts with full buckets and a scope separates plugins that should not share them.
//
// Reading the engine's bucket layout from here is a stop-gap until the engine offers tg_rate_rule() and
// tg_rate_bucket(rule) (docs/envoy.md, "Engine hooks").

import * as bundle from "../../../engine-as/src/bundle";
import { hasLimit } from "../../../engine-as/src/ratelimit";
import { Buf, bufNew, bufAscii, bufBytes, bufU64, bufByte } from "../../../engine-as/src/buf";
import { getShared, setShared, gotPtr, gotLen, gotCas } from "./host";
import { OK, CAS_MISMATCH, NOT_FOUND } from "./abi";
import { Root } from "./config";

const BUCKET: usize = 16;
const UNTOUCHED: f64 = -Infinity; // a refill always replaces it with the clock

@inline
function slot(rule: u32): usize {
  return bundle.rateState + <usize>rule * BUCKET;
}

/** Rules with a rate limit in the active bundle. */
export function limitedRules(): u32 {
  let n: u32 = 0;
  for (let i: u32 = 0; i < bundle.ruleCount; i++) if (hasLimit(i)) n++;
  return n;
}

export function markUntouched(): void {
  for (let i: u32 = 0; i < bundle.ruleCount; i++) {
    if (!hasLimit(i)) continue;
    store<f64>(slot(i), NaN);
    store<f64>(slot(i), UNTOUCHED, 8);
  }
}

/** The rule whose bucket the last evaluation consulted, or -1. */
export function touchedRule(): i32 {
  for (let i: u32 = 0; i < bundle.ruleCount; i++) {
    if (hasLimit(i) && load<f64>(slot(i), 8) != UNTOUCHED) return <i32>i;
  }
  return -1;
}

// The key of the bucket being updated lives in static memory: engine calls reset the arena in between.
const KEY_MAX: usize = 256;
const keyBytes = memory.data(<i32>KEY_MAX);
let keyLen: usize = 0;
let loadedCas: u32 = 0;
const before = memory.data(16);

function setKey(r: Root, rule: u32): Buf {
  const k = bufNew(64 + r.scopeLen);
  bufAscii(k, "toolgate.rl.");
  bufBytes(k, r.scope, r.scopeLen);
  bufByte(k, 0x2e);
  bufBytes(k, r.hashHex, 16);
  bufByte(k, 0x2e);
  bufU64(k, rule);
  keyLen = k.len < KEY_MAX ? k.len : KEY_MAX;
  memory.copy(keyBytes, k.ptr, keyLen);
  return k;
}

function key(): Buf {
  const k = bufNew(keyLen);
  bufBytes(k, keyBytes, keyLen);
  return k;
}

/** Put the shared bucket of `rule` into the engine (a full bucket when nobody has used it yet). */
export function loadBucket(r: Root, rule: u32): void {
  const st = getShared(setKey(r, rule));
  if (st == OK && gotLen == BUCKET) {
    memory.copy(slot(rule), gotPtr, BUCKET);
    loadedCas = gotCas;
  } else {
    store<f64>(slot(rule), NaN);
    store<f64>(slot(rule), 0, 8);
    loadedCas = 0;
  }
  if (gotPtr != 0) heap.free(gotPtr);
  memory.copy(before, slot(rule), BUCKET);
}

/** Make the bucket empty (used to fail closed when the shared bucket cannot be updated). */
export function emptyBucket(rule: u32, nowMs: f64): void {
  store<f64>(slot(rule), 0);
  store<f64>(slot(rule), nowMs, 8);
}

/** Store the engine's bucket back; false when another thread changed it since loadBucket (evaluate again). */
export function storeBucket(rule: u32): bool {
  if (memory.compare(before, slot(rule), BUCKET) == 0) return true;
  const st = setShared(key(), slot(rule), BUCKET, loadedCas);
  return st != CAS_MISMATCH;
}

/** Create the buckets of a new policy once (CAS 0 only when absent, so a late worker resets nothing). */
export function initBuckets(r: Root): void {
  const full = memory.data(16);
  store<f64>(full, NaN);
  store<f64>(full, 0, 8);
  for (let i: u32 = 0; i < bundle.ruleCount; i++) {
    if (!hasLimit(i)) continue;
    const k = setKey(r, i);
    const st = getShared(k);
    if (gotPtr != 0) heap.free(gotPtr);
    if (st == NOT_FOUND) setShared(k, full, BUCKET, 0);
  }
}
