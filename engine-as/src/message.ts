// Reading one JSON-RPC message: strict validation, then the members that policy depends on. Security-relevant
// keys must be unambiguous: a duplicate, or a key that a case-insensitive decoder would take for one of them
// ("Method", "paramſ"), makes the whole message invalid, so no reader downstream can see another message.

import {
  scanValue, skipWs, jsonError, kindAt, objFirst, memberValue, objNext, skipValue, decodeString, strPtr, strLen,
  equalsAscii, foldEqualsAscii, jsonReset, J_OBJECT, J_STRING, J_NUMBER, J_NULL, J_ARRAY, JE_DEPTH, JE_UTF8,
} from "./json";
import { K_REQUEST, K_NOTIFICATION, K_RESPONSE, K_INVALID } from "./result";

// Why a message is invalid (M_* codes), read by the caller to answer.
export const M_OK: i32 = 0;
export const M_EMPTY: i32 = 1;
export const M_PARSE: i32 = 2; // -32700
export const M_BATCH: i32 = 3; // -32600
export const M_INVALID: i32 = 4; // -32600
export const M_AMBIGUOUS: i32 = 5; // -32600
export const M_TOO_LARGE: i32 = 6; // -32600
export const M_TOO_DEEP: i32 = 7; // -32600

export let status: i32 = M_OK;
export let detail: string = ""; // what exactly is wrong, for the error reason
export let kind: u32 = K_INVALID;
export let msgStart: usize = 0;
export let msgEnd: usize = 0;
// Positions of member values (0 when absent).
export let idPos: usize = 0;
export let idEnd: usize = 0;
export let methodPos: usize = 0;
export let paramsPos: usize = 0;
export let resultPos: usize = 0;
export let errorPos: usize = 0;
let jsonrpcPos: usize = 0;

const TOP_KEYS: StaticArray<string> = ["jsonrpc", "id", "method", "params", "result", "error"];

function invalid(s: i32, why: string): i32 {
  status = s;
  detail = why;
  return s;
}

/** Parse [p, p+len) as one JSON-RPC message. Returns M_OK or why not; ids are kept when readable. */
export function parseMessage(p: usize, len: usize, maxBytes: usize): i32 {
  status = M_OK;
  detail = "";
  kind = K_INVALID;
  idPos = idEnd = methodPos = paramsPos = resultPos = errorPos = jsonrpcPos = 0;
  const end = p + len;
  msgEnd = end;
  jsonReset();
  const q = skipWs(p, end);
  msgStart = q;
  if (q == end) return invalid(M_EMPTY, "empty message");
  if (maxBytes > 0 && len > maxBytes) return invalid(M_TOO_LARGE, "message exceeds the size limit");
  const vEnd = scanValue(q, end, 0);
  if (vEnd == 0) {
    if (jsonError == JE_DEPTH) return invalid(M_TOO_DEEP, "message nests deeper than the depth limit");
    if (jsonError == JE_UTF8) return invalid(M_PARSE, "message is not valid UTF-8");
    return invalid(M_PARSE, "message is not valid JSON");
  }
  if (skipWs(vEnd, end) != end) return invalid(M_PARSE, "unexpected data after the JSON value");
  const k = kindAt(q);
  if (k == J_ARRAY) return invalid(M_BATCH, "batch messages are not supported");
  if (k != J_OBJECT) return invalid(M_INVALID, "a JSON-RPC message must be an object");

  let m = objFirst(q, end);
  while (m != 0) {
    decodeString(m);
    const v = memberValue(m, end);
    let known = false;
    for (let i = 0; i < TOP_KEYS.length; i++) {
      const key = unchecked(TOP_KEYS[i]);
      if (equalsAscii(strPtr, strLen, key)) {
        known = true;
        if (!record(i, v, end)) return invalid(M_AMBIGUOUS, "duplicate member in message");
        break;
      }
      if (foldEqualsAscii(strPtr, strLen, key)) return invalid(M_AMBIGUOUS, "member name differs only in case from a JSON-RPC member");
    }
    m = objNext(skipValue(v, end), end);
  }
  if (idPos != 0) {
    const ik = kindAt(idPos);
    if (ik != J_STRING && ik != J_NUMBER && ik != J_NULL) {
      idPos = idEnd = 0; // never echo a structured id
      return invalid(M_INVALID, "id must be a string, a number or null");
    }
  }
  if (jsonrpcPos == 0 || kindAt(jsonrpcPos) != J_STRING) return invalid(M_INVALID, "jsonrpc must be \"2.0\"");
  decodeString(jsonrpcPos);
  if (!equalsAscii(strPtr, strLen, "2.0")) return invalid(M_INVALID, "jsonrpc must be \"2.0\"");
  if (methodPos != 0) {
    if (kindAt(methodPos) != J_STRING) return invalid(M_INVALID, "method must be a string");
    if (resultPos != 0 || errorPos != 0) return invalid(M_INVALID, "a request cannot carry result or error");
    if (paramsPos != 0) {
      const pk = kindAt(paramsPos);
      if (pk != J_OBJECT && pk != J_ARRAY) return invalid(M_INVALID, "params must be an object or an array");
    }
    kind = idPos != 0 ? K_REQUEST : K_NOTIFICATION;
    return M_OK;
  }
  if ((resultPos != 0) != (errorPos != 0) && idPos != 0) {
    kind = K_RESPONSE;
    return M_OK;
  }
  return invalid(M_INVALID, "not a request, notification or response");
}

function record(i: i32, v: usize, end: usize): bool {
  let slot: usize = 0;
  if (i == 0) slot = jsonrpcPos;
  else if (i == 1) slot = idPos;
  else if (i == 2) slot = methodPos;
  else if (i == 3) slot = paramsPos;
  else if (i == 4) slot = resultPos;
  else slot = errorPos;
  if (slot != 0) return false;
  if (i == 0) jsonrpcPos = v;
  else if (i == 1) {
    idPos = v;
    idEnd = skipValue(v, end);
  } else if (i == 2) methodPos = v;
  else if (i == 3) paramsPos = v;
  else if (i == 4) resultPos = v;
  else errorPos = v;
  return true;
}

// tools/call params
export let namePos: usize = 0;
export let argsPos: usize = 0;
export let argsEnd: usize = 0;

const PARAM_KEYS: StaticArray<string> = ["name", "arguments"];

/** Find params.name and params.arguments of a tools/call; false (with detail) when params are ambiguous. */
export function parseToolParams(): bool {
  namePos = argsPos = argsEnd = 0;
  if (paramsPos == 0 || kindAt(paramsPos) != J_OBJECT) {
    detail = "tools/call params must be an object";
    return false;
  }
  const end = msgEnd;
  let m = objFirst(paramsPos, end);
  while (m != 0) {
    decodeString(m);
    const v = memberValue(m, end);
    for (let i = 0; i < PARAM_KEYS.length; i++) {
      const key = unchecked(PARAM_KEYS[i]);
      if (equalsAscii(strPtr, strLen, key)) {
        if ((i == 0 ? namePos : argsPos) != 0) {
          status = M_AMBIGUOUS;
          detail = "duplicate member in params";
          return false;
        }
        if (i == 0) namePos = v;
        else {
          argsPos = v;
          argsEnd = skipValue(v, end);
        }
        break;
      }
      if (foldEqualsAscii(strPtr, strLen, key)) {
        status = M_AMBIGUOUS;
        detail = "params member name differs only in case from name or arguments";
        return false;
      }
    }
    m = objNext(v == argsPos ? argsEnd : skipValue(v, end), end);
  }
  return true;
}
