// The error contract (docs/error-contract.md): every denial is a JSON-RPC error whose data carries the reason,
// the rule that decided and the policy hash. One renderer, so every host answers with the same bytes.

import { Buf, bufNew, bufAscii, bufBytes, bufByte, bufJsonString, bufJsonAsciiString, bufHex, bufI64 } from "./buf";
import * as bundle from "./bundle";
import { setSpan, setU32, R_RESPONSE, R_CODE, R_REASON, R_RULE } from "./result";

export const E_FORBIDDEN: i32 = -32001;
export const E_RATE_LIMITED: i32 = -32002;
export const E_USER_DENIED: i32 = -32004;
export const E_USER_TIMEOUT: i32 = -32005;
export const E_METHOD_NOT_ALLOWED: i32 = -32006;
export const E_PROTECTED_PATH: i32 = -32007;
export const E_PARSE: i32 = -32700;
export const E_INVALID_REQUEST: i32 = -32600;
export const E_INVALID_PARAMS: i32 = -32602;

export function messageFor(code: i32): string {
  if (code == E_FORBIDDEN) return "Forbidden";
  if (code == E_RATE_LIMITED) return "Rate limit exceeded";
  if (code == E_USER_DENIED) return "User denied";
  if (code == E_USER_TIMEOUT) return "User approval timeout";
  if (code == E_METHOD_NOT_ALLOWED) return "Method not allowed";
  if (code == E_PROTECTED_PATH) return "Access denied: protected path";
  if (code == E_PARSE) return "Parse error";
  if (code == E_INVALID_PARAMS) return "Invalid params";
  return "Invalid Request";
}

/** What goes into error.data besides reason, rule and policy_hash. */
export const SUBJECT_NONE: i32 = 0;
export const SUBJECT_TOOL: i32 = 1;
export const SUBJECT_METHOD: i32 = 2;

/**
 * Render {"jsonrpc":"2.0","id":<id>,"error":{"code":..,"message":..,"data":{..}}} into the result.
 * id: the raw JSON text of the request id (or 0/0 for null). reason and rule are buffers of UTF-8 text.
 */
export function renderError(
  code: i32, idPtr: usize, idLen: usize, subject: i32, subjectPtr: usize, subjectLen: usize,
  reason: Buf, rule: Buf | null, retryMs: u32,
): void {
  const b = bufNew(256 + reason.len + subjectLen);
  bufAscii(b, "{\"jsonrpc\":\"2.0\",\"id\":");
  if (idLen == 0) bufAscii(b, "null");
  else bufBytes(b, idPtr, idLen);
  bufAscii(b, ",\"error\":{\"code\":");
  bufI64(b, code);
  bufAscii(b, ",\"message\":");
  bufJsonAsciiString(b, messageFor(code));
  bufAscii(b, ",\"data\":{");
  if (subject == SUBJECT_TOOL) {
    bufAscii(b, "\"tool\":");
    bufJsonString(b, subjectPtr, subjectLen);
    bufByte(b, 0x2c);
  } else if (subject == SUBJECT_METHOD) {
    bufAscii(b, "\"method\":");
    bufJsonString(b, subjectPtr, subjectLen);
    bufByte(b, 0x2c);
  }
  bufAscii(b, "\"reason\":");
  bufJsonString(b, reason.ptr, reason.len);
  if (rule !== null && rule.len > 0) {
    bufAscii(b, ",\"rule\":");
    bufJsonString(b, rule.ptr, rule.len);
  }
  if (retryMs > 0) {
    bufAscii(b, ",\"retry_after_ms\":");
    bufI64(b, retryMs);
  }
  if (bundle.base != 0) {
    bufAscii(b, ",\"policy_hash\":\"");
    bufHex(b, bundle.hash, 32);
    bufByte(b, 0x22);
  }
  bufAscii(b, "}}}");
  setSpan(R_RESPONSE, b.ptr, b.len);
  setU32(R_CODE, <u32>code);
  setSpan(R_REASON, reason.ptr, reason.len);
  if (rule !== null) setSpan(R_RULE, rule.ptr, rule.len);
}
