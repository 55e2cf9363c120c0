// The result record of an engine call, at a fixed address the host reads after each call (docs/engine-abi.md).

export const RESULT = memory.data(128);

export const R_VERDICT: usize = 0; // what the host does: see V_*
export const R_DECISION: usize = 4; // D_*
export const R_CODE: usize = 8; // JSON-RPC error code, 0 when none
export const R_VIOLATION: usize = 12;
export const R_KIND: usize = 16; // K_*
export const R_FLAGS: usize = 20; // F_*
export const R_REASON: usize = 24; // ptr, len
export const R_RESPONSE: usize = 32; // ptr, len: the JSON-RPC error to send back (V_REPLY), or rewritten bytes (scan)
export const R_METHOD: usize = 40; // ptr, len: decoded method as sent
export const R_TOOL: usize = 48; // ptr, len: decoded tool name as sent
export const R_ID: usize = 56; // ptr, len: the id's JSON text
export const R_RULE: usize = 64; // ptr, len: the policy rule that decided, e.g. "tool_rules[2].allow_args.path"
export const R_FAILED_ARG: usize = 72; // ptr, len
export const R_PATH: usize = 80; // ptr, len: the protected path that was hit (audit only, never sent to the client)
export const R_ARGS: usize = 88; // ptr, len: JSON text of the tool arguments
export const R_RETRY_MS: usize = 96; // u32: rate limit retry hint
export const R_EVENTS: usize = 100; // ptr, count: DLP events (u32 pattern index, u32 matches)
export const R_NORM_NAME: usize = 108; // ptr, len: normalized tool (or method) name

export const V_FORWARD: u32 = 0; // pass the original bytes on
export const V_REPLY: u32 = 1; // do not forward; send R_RESPONSE to the sender
export const V_ASK: u32 = 2; // ask a human, then forward or send tg_deny's response
export const V_DROP: u32 = 3; // do not forward, send nothing (a refused notification)
export const V_REWRITE: u32 = 4; // forward R_RESPONSE instead of the original bytes (DLP, tools/list filtering)

export const D_ALLOW: u32 = 0;
export const D_BLOCK: u32 = 1;
export const D_ASK: u32 = 2;
export const D_RATE_LIMITED: u32 = 3;
export const D_PROTECTED_PATH: u32 = 4;

export const K_REQUEST: u32 = 0;
export const K_NOTIFICATION: u32 = 1;
export const K_RESPONSE: u32 = 2;
export const K_INVALID: u32 = 3;

export const F_TOOLS_CALL: u32 = 1;
export const F_TOOLS_LIST: u32 = 2;
export const F_MONITOR: u32 = 4; // a violation let through because the policy is in monitor mode
export const F_NOT_JSON: u32 = 8; // scan: the text was not JSON and was scanned as plain text

export function resultClear(): void {
  memory.fill(RESULT, 0, 128);
}

@inline
export function setU32(field: usize, v: u32): void {
  store<u32>(RESULT + field, v);
}

@inline
export function getU32(field: usize): u32 {
  return load<u32>(RESULT + field);
}

@inline
export function setSpan(field: usize, p: usize, n: usize): void {
  store<u32>(RESULT + field, <u32>p);
  store<u32>(RESULT + field + 4, <u32>n);
}

@inline
export function spanPtr(field: usize): usize {
  return <usize>load<u32>(RESULT + field);
}

@inline
export function spanLen(field: usize): usize {
  return <usize>load<u32>(RESULT + field + 4);
}
