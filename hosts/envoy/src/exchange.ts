// The state of one HTTP request/response pair (a proxy-wasm stream context), in heap memory.

import { Root, KIND_STREAM } from "./config";

// Where the request is.
export const PHASE_HEADERS: u32 = 0; // nothing decided yet
export const PHASE_BUFFERING: u32 = 1; // an MCP POST body is being collected
export const PHASE_FORWARDED: u32 = 2; // decided and passed on: the response is scanned
export const PHASE_ANSWERED: u32 = 3; // the filter answered itself: the response is its own
export const PHASE_APPROVAL: u32 = 4; // waiting for the approval service
export const PHASE_PASSTHROUGH: u32 = 5; // non-MCP traffic let through untouched

// How the response body is scanned.
export const BODY_NONE: u32 = 0;
export const BODY_JSON: u32 = 1; // buffered whole, scanned as one message
export const BODY_SSE: u32 = 2; // event by event through an engine stream
export const BODY_DISCARD: u32 = 3; // replaced by an error: the rest is dropped

@unmanaged
export class Exchange {
  kind: u32; // KIND_STREAM
  id: u32;
  root: Root;
  phase: u32;
  toolsList: bool;
  body: u32;
  sse: usize; // engine stream handle, 0 when none
  requestId: usize; // x-request-id (heap copy, for audit records)
  requestIdLen: usize;
  // An asked call waiting for the approval service:
  message: usize;
  messageLen: usize;
  askRule: usize;
  askRuleLen: usize;
  askReason: usize;
  askReasonLen: usize;
  askTool: usize;
  askToolLen: usize;
  askId: usize; // JSON text of the request id
  askIdLen: usize;
  askViolation: bool;
  askToken: u32;
  askStart: u64;
  busyNs: u64; // time spent in the filter's callbacks for this exchange
  enteredAt: u64;
}

export function exchangeNew(id: u32, root: Root): Exchange {
  const x = changetype<Exchange>(heap.alloc(offsetof<Exchange>()));
  memory.fill(changetype<usize>(x), 0, offsetof<Exchange>());
  x.kind = KIND_STREAM;
  x.id = id;
  x.root = root;
  return x;
}

export function heapCopy(p: usize, n: usize): usize {
  const q = heap.alloc(n == 0 ? 1 : n);
  memory.copy(q, p, n);
  return q;
}

function freeIf(p: usize): void {
  if (p != 0) heap.free(p);
}

export function exchangeFreeAsk(x: Exchange): void {
  freeIf(x.message);
  freeIf(x.askRule);
  freeIf(x.askReason);
  freeIf(x.askTool);
  freeIf(x.askId);
  x.message = x.askRule = x.askReason = x.askTool = x.askId = 0;
  x.messageLen = x.askRuleLen = x.askReasonLen = x.askToolLen = x.askIdLen = 0;
}

export function exchangeFree(x: Exchange): void {
  exchangeFreeAsk(x);
  freeIf(x.requestId);
  heap.free(changetype<usize>(x));
}
