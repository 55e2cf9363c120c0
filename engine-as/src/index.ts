// The engine ABI (docs/engine-abi.md). The host writes bytes into the input buffer (tg_input), then calls one
// of the functions below; each resets the call arena, and returns the address of the result record, which
// stays valid until the next call. The engine imports nothing: time comes in as an argument.

import { arenaReset, inputBuffer, inputPointer } from "./arena";
import { loadBundle } from "./bundle";
import * as bundle from "./bundle";
import { evaluate, denyAsked, normalized } from "./decide";
import { scanMessage, scanText } from "./scan";
import { streamOpen, streamWrite, streamEnd } from "./stream";
import { RESULT, resultClear, setSpan, setU32, R_RESPONSE, R_CODE } from "./result";

export const ABI_VERSION: u32 = 1;

export function tg_abi_version(): u32 {
  return ABI_VERSION;
}

/** Address of an input buffer of at least len bytes (it may move when a larger one is asked for). */
export function tg_input(len: u32): usize {
  return inputBuffer(len);
}

/** Validate the bundle in the input buffer and make it the active policy. 0, or the reason it was refused. */
export function tg_load(len: u32): i32 {
  arenaReset();
  return loadBundle(inputPointer(), len);
}

/** Decide a client-to-server message. now: milliseconds on the host's monotonic clock (rate limits). */
export function tg_evaluate(len: u32, now: f64): usize {
  arenaReset();
  evaluate(inputPointer(), len, now);
  return RESULT;
}

/** The error for an asked tool call: code -32004 (denied) or -32005 (no answer in time). */
export function tg_deny(len: u32, code: i32): usize {
  arenaReset();
  denyAsked(inputPointer(), len, code);
  return RESULT;
}

/** DLP and tools/list filtering of a server-to-client message; flags: 2 = answers a tools/list request. */
export function tg_scan(len: u32, flags: u32): usize {
  arenaReset();
  scanMessage(inputPointer(), len, flags);
  return RESULT;
}

/** DLP over plain text. */
export function tg_redact_text(len: u32): usize {
  arenaReset();
  scanText(inputPointer(), len);
  return RESULT;
}

/** The normalized form of a tool or method name (used by the compiler, so there is one normalization). */
export function tg_normalize(len: u32): usize {
  arenaReset();
  resultClear();
  const b = normalized(inputPointer(), len);
  setSpan(R_RESPONSE, b.ptr, b.len);
  return RESULT;
}

/** Address of the active bundle's 32-byte SHA-256 content hash, or 0 when no bundle is loaded. */
export function tg_policy_hash(): usize {
  return bundle.base == 0 ? 0 : bundle.hash;
}

/** CONFIG flags of the active bundle (docs/bundle-format.md): monitor mode, DLP, filter stderr, ... */
export function tg_policy_flags(): u32 {
  return bundle.base == 0 ? 0 : bundle.cfg(4);
}

/** How many bundles have been loaded into this instance. */
/** Name of DLP pattern i of the active bundle, in R_RESPONSE (for audit records and metrics). */
export function tg_dlp_name(i: u32): usize {
  arenaReset();
  resultClear();
  if (bundle.base != 0 && i < load<u32>(bundle.dlp)) {
    const e = bundle.dlp + bundle.DLP_HEADER + <usize>i * bundle.DLP_ENTRY;
    setSpan(R_RESPONSE, bundle.data + load<u32>(e), load<u32>(e, 4));
  }
  return RESULT;
}

export function tg_bundle_generation(): u32 {
  return bundle.loadedVersion;
}

/** Open a DLP stream: mode 0 lines (stderr), 1 server-sent events; flags as tg_scan. Returns its handle. */
export function tg_stream_open(mode: u32, flags: u32): usize {
  return streamOpen(mode, flags);
}

/** Feed the chunk in the input buffer to a stream; the response span holds the bytes to pass on now. */
export function tg_stream_write(stream: usize, len: u32): usize {
  arenaReset();
  streamWrite(stream, inputPointer(), len);
  return RESULT;
}

/** End a stream: the response span holds the rest; the handle is freed. */
export function tg_stream_end(stream: usize): usize {
  arenaReset();
  streamEnd(stream);
  return RESULT;
}
