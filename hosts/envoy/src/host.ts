// Thin helpers over the proxy-wasm host functions (abi.ts): results the host returns through pointers are
// read from small static cells; buffers the host allocates (with proxy_on_memory_allocate, i.e. heap.alloc)
// are freed by the caller with heap.free.

import * as abi from "./abi";
import { Buf, bufNew, bufBytes, bufAscii, bufByte, bufReserve } from "../../../engine-as/src/buf";

const retPtr = memory.data(8);
const retLen = memory.data(8);
const retCas = memory.data(8);
const retTime = memory.data(8);

/** A span of host-provided bytes (heap memory owned by the caller), or ptr 0 when absent. */
export let gotPtr: usize = 0;
export let gotLen: usize = 0;

export function log(level: u32, b: Buf): void {
  abi.proxy_log(level, b.ptr, b.len);
}

export function logAscii(level: u32, s: string): void {
  const b = bufNew(<usize>s.length);
  bufAscii(b, s);
  log(level, b);
}

export function nowNanos(): u64 {
  abi.proxy_get_current_time_nanoseconds(retTime);
  return load<u64>(retTime);
}

/** Bytes [0, max) of a buffer into gotPtr/gotLen (heap; free it). Returns false when unavailable. */
export function getBuffer(buffer: u32, max: usize): bool {
  gotPtr = 0;
  gotLen = 0;
  if (max == 0) return true;
  if (abi.proxy_get_buffer_bytes(buffer, 0, max, retPtr, retLen) != abi.OK) return false;
  gotPtr = <usize>load<u32>(retPtr);
  gotLen = <usize>load<u32>(retLen);
  return true;
}

/** Replace bytes [0, size) of a buffer with [p, p+n). */
export function setBuffer(buffer: u32, size: usize, p: usize, n: usize): bool {
  return abi.proxy_set_buffer_bytes(buffer, 0, size, p, n) == abi.OK;
}

export function key(s: string): Buf {
  const b = bufNew(<usize>s.length);
  bufAscii(b, s);
  return b;
}

/** A header's value into gotPtr/gotLen (heap; free it). Returns false when the header is absent. */
export function getHeader(map: u32, name: string): bool {
  gotPtr = 0;
  gotLen = 0;
  const k = key(name);
  if (abi.proxy_get_header_map_value(map, k.ptr, k.len, retPtr, retLen) != abi.OK) return false;
  gotPtr = <usize>load<u32>(retPtr);
  gotLen = <usize>load<u32>(retLen);
  return true;
}

/**
 * All headers of a map in one call, into gotPtr/gotLen (heap; free it): the serialized form of the
 * specification (u32 count, then (u32 name length, u32 value length) per pair, then the NUL-terminated
 * names and values). One call instead of one per header: every call makes the host allocate in the VM.
 */
export function getHeaders(map: u32): bool {
  gotPtr = 0;
  gotLen = 0;
  if (abi.proxy_get_header_map_pairs(map, retPtr, retLen) != abi.OK) return false;
  gotPtr = <usize>load<u32>(retPtr);
  gotLen = <usize>load<u32>(retLen);
  return true;
}

/** Find a header (lower-case name) in a serialized map; sets foundPtr/foundLen (into the map) or returns false. */
export let foundPtr: usize = 0;
export let foundLen: usize = 0;

export function findHeader(map: usize, mapLen: usize, name: string): bool {
  if (mapLen < 4) return false;
  const count = <usize>load<u32>(map);
  if (<usize>4 + count * 8 > mapLen) return false;
  let at = map + 4 + count * 8;
  const end = map + mapLen;
  const n = <usize>name.length;
  for (let i: usize = 0; i < count; i++) {
    const kn = <usize>load<u32>(map + 4 + i * 8);
    const vn = <usize>load<u32>(map + 8 + i * 8);
    if (at + kn + vn + 2 > end) return false;
    if (kn == n) {
      let same = true;
      for (let j: usize = 0; same && j < n; j++) same = load<u8>(at + j) == <u8>name.charCodeAt(<i32>j);
      if (same) {
        foundPtr = at + kn + 1;
        foundLen = vn;
        return true;
      }
    }
    at += kn + vn + 2;
  }
  return false;
}

export function removeHeader(map: u32, name: string): void {
  const k = key(name);
  abi.proxy_remove_header_map_value(map, k.ptr, k.len);
}

// Serialized header maps (the specification's "Serialization"): u32 count, then (u32 name length, u32 value
// length) per pair, then each name and value followed by a NUL. Built from up to 8 pairs.
const MAX_PAIRS = 8;
const pairs = memory.data(MAX_PAIRS * 16); // name ptr, name len, value ptr, value len
let pairCount: u32 = 0;

export function headersBegin(): void {
  pairCount = 0;
}

export function headerAdd(name: Buf, value: Buf): void {
  if (pairCount == MAX_PAIRS) return;
  const e = pairs + <usize>pairCount * 16;
  store<u32>(e, <u32>name.ptr);
  store<u32>(e, <u32>name.len, 4);
  store<u32>(e, <u32>value.ptr, 8);
  store<u32>(e, <u32>value.len, 12);
  pairCount++;
}

export function headerAddAscii(name: string, value: string): void {
  headerAdd(key(name), key(value));
}

export function headersEnd(): Buf {
  const b = bufNew(256);
  bufReserve(b, 4 + <usize>pairCount * 8);
  b.len = 4 + <usize>pairCount * 8;
  store<u32>(b.ptr, pairCount);
  for (let i: u32 = 0; i < pairCount; i++) {
    const e = pairs + <usize>i * 16;
    store<u32>(b.ptr + 4 + <usize>i * 8, load<u32>(e, 4));
    store<u32>(b.ptr + 8 + <usize>i * 8, load<u32>(e, 12));
  }
  for (let i: u32 = 0; i < pairCount; i++) {
    const e = pairs + <usize>i * 16;
    bufBytes(b, <usize>load<u32>(e), <usize>load<u32>(e, 4));
    bufByte(b, 0);
    bufBytes(b, <usize>load<u32>(e, 8), <usize>load<u32>(e, 12));
    bufByte(b, 0);
  }
  return b;
}

/** Answer the downstream directly (the request does not go on). */
export function sendLocal(status: u32, details: string, body: usize, bodyLen: usize, headers: Buf): void {
  const d = key(details);
  abi.proxy_send_local_response(status, d.ptr, d.len, body, bodyLen, headers.ptr, headers.len, -1);
}

/** A shared-data value into gotPtr/gotLen (heap; free it); returns the status, the CAS value in gotCas. */
export let gotCas: u32 = 0;

export function getShared(k: Buf): u32 {
  gotPtr = 0;
  gotLen = 0;
  gotCas = 0;
  const st = abi.proxy_get_shared_data(k.ptr, k.len, retPtr, retLen, retCas);
  if (st == abi.OK) {
    gotPtr = <usize>load<u32>(retPtr);
    gotLen = <usize>load<u32>(retLen);
    gotCas = load<u32>(retCas);
  }
  return st;
}

export function setShared(k: Buf, p: usize, n: usize, cas: u32): u32 {
  return abi.proxy_set_shared_data(k.ptr, k.len, p, n, cas);
}

export function defineMetric(type: u32, name: string): u32 {
  const k = key(name);
  if (abi.proxy_define_metric(type, k.ptr, k.len, retPtr) != abi.OK) return 0xffffffff;
  return load<u32>(retPtr);
}

/** Send an HTTP request to a cluster; returns the call's token, or 0 when the host refused it. */
export function httpCall(cluster: Buf, headers: Buf, body: Buf, timeoutMs: u32): u32 {
  const st = abi.proxy_http_call(cluster.ptr, cluster.len, headers.ptr, headers.len, body.ptr, body.len, 0, 0, timeoutMs, retPtr);
  return st == abi.OK ? load<u32>(retPtr) : 0;
}

/** Copy of bytes in a fresh Buf. */
export function bufOf(p: usize, n: usize): Buf {
  const b = bufNew(n);
  bufBytes(b, p, n);
  return b;
}
