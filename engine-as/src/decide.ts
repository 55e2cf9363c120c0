// The decision for one client-to-server message (docs/decisions.md has the order and the reasons):
//   parse strictly -> responses pass -> method allow/deny lists -> for tools/call: rate limit, protected paths
//   (both always enforced), denied_tools, tool_rules action, allowed_tools, allow_args, strict_args.
// In monitor mode a violation of the mode-aware classes is recorded and the message passes.

import { Buf, bufNew, bufAscii, bufBytes, bufByte } from "./buf";
import * as bundle from "./bundle";
import {
  kindAt, objFirst, objNext, skipValue, skipWs, arrFirst, arrNext, decodeString, strPtr, strLen, strEnd, argString,
  bytesEqual, equalsAscii, asciiFoldEqual, marshalDuplicateKey, J_OBJECT, J_ARRAY, J_STRING, J_NULL,
} from "./json";
import * as msg from "./message";
import { normalizeName, normalizeMaxLen } from "./normalize";
import { arenaGrowArray } from "./arena";
import { dfaIsMatch } from "./dfa";
import { protectedHit } from "./paths";
import { hasLimit, rateWait, rateTake } from "./ratelimit";
import {
  renderError, E_FORBIDDEN, E_RATE_LIMITED, E_USER_DENIED, E_USER_TIMEOUT, E_METHOD_NOT_ALLOWED, E_PROTECTED_PATH, E_PARSE, E_INVALID_REQUEST,
  E_INVALID_PARAMS, SUBJECT_NONE, SUBJECT_TOOL, SUBJECT_METHOD,
} from "./errors";
import {
  resultClear, setU32, getU32, setSpan, R_VERDICT, R_DECISION, R_VIOLATION, R_KIND, R_FLAGS, R_METHOD, R_TOOL, R_ID,
  R_FAILED_ARG, R_PATH, R_ARGS, R_RETRY_MS, R_REASON, R_RULE, R_NORM_NAME, R_CODE, V_FORWARD, V_REPLY, V_ASK, V_DROP,
  D_ALLOW, D_BLOCK, D_ASK, D_RATE_LIMITED, D_PROTECTED_PATH, K_REQUEST, K_NOTIFICATION, K_RESPONSE, K_INVALID,
  F_TOOLS_CALL, F_TOOLS_LIST, F_MONITOR,
} from "./result";

export const ACTION_ALLOW: u32 = 0;
export const ACTION_BLOCK: u32 = 1;
export const ACTION_ASK: u32 = 2;

// Text of the message being decided.
let toolPtr: usize = 0;
let toolLen: usize = 0;
let methodPtr: usize = 0;
let methodLen: usize = 0;

/** Normalize [p, p+n) (NFKC, lowercase, trim, strip; docs/normalization.md) into the arena. -1 length: invalid. */
export function normalized(p: usize, n: usize): Buf {
  const b = bufNew(normalizeMaxLen(n));
  const len = normalizeName(p, n, b.ptr);
  b.len = len < 0 ? 0 : <usize>len;
  return b;
}

function text(s: string): Buf {
  const b = bufNew(<usize>s.length + 32);
  bufAscii(b, s);
  return b;
}

function ruleLabel(rule: i32): Buf {
  const r = bundle.rules + <usize>rule * bundle.RULE_SIZE;
  const b = bufNew(64);
  bufBytes(b, bundle.data + load<u32>(r, 24), load<u32>(r, 28));
  return b;
}

function isMonitor(): bool {
  return bundle.hasFlag(bundle.CF_MONITOR);
}

function reply(decision: u32, code: i32, subject: i32, reason: Buf, rule: Buf | null, retryMs: u32): void {
  setU32(R_DECISION, decision);
  setU32(R_VIOLATION, 1);
  const kind = getU32(R_KIND);
  // A notification never gets an answer (JSON-RPC 2.0): it is dropped and audited.
  setU32(R_VERDICT, kind == K_NOTIFICATION ? V_DROP : V_REPLY);
  const sp = subject == SUBJECT_TOOL ? toolPtr : methodPtr;
  const sn = subject == SUBJECT_TOOL ? toolLen : methodLen;
  renderError(code, msg.idPos, msg.idPos == 0 ? 0 : msg.idEnd - msg.idPos, subject, sp, sn, reason, rule, retryMs);
  if (kind == K_NOTIFICATION) setSpan(32, 0, 0); // R_RESPONSE: nothing to send
}

/**
 * A violation of a mode-aware rule. Enforce mode: the message is refused (returns true: stop). Monitor mode:
 * the first violation is recorded and the message goes on (returns false).
 */
function violation(code: i32, subject: i32, reason: Buf, rule: Buf | null): bool {
  if (!isMonitor()) {
    reply(D_BLOCK, code, subject, reason, rule, 0);
    return true;
  }
  if (getU32(R_VIOLATION) == 0) {
    setU32(R_VIOLATION, 1);
    setU32(R_FLAGS, getU32(R_FLAGS) | F_MONITOR);
    setU32(R_CODE, <u32>code);
    setSpan(R_REASON, reason.ptr, reason.len);
    if (rule !== null) setSpan(R_RULE, rule.ptr, rule.len);
  }
  return false;
}

function refuseInvalid(status: i32): void {
  setU32(R_KIND, msg.kind == K_NOTIFICATION ? K_NOTIFICATION : K_INVALID);
  if (status == msg.M_EMPTY) {
    setU32(R_VERDICT, V_DROP);
    setU32(R_DECISION, D_BLOCK);
    setSpan(R_REASON, changetype<usize>(0), 0);
    return;
  }
  const code = status == msg.M_PARSE ? E_PARSE : E_INVALID_REQUEST;
  reply(D_BLOCK, code, SUBJECT_NONE, text(msg.detail), null, 0);
}

export function evaluate(p: usize, len: usize, now: f64): void {
  resultClear();
  memberCount = 0;
  indexed = 0;
  toolPtr = toolLen = methodPtr = methodLen = 0;
  const maxBytes = bundle.base != 0 ? <usize>bundle.cfg(8) : 0;
  const status = msg.parseMessage(p, len, maxBytes);
  if (msg.idPos != 0) setSpan(R_ID, msg.idPos, msg.idEnd - msg.idPos);
  if (status != msg.M_OK) {
    refuseInvalid(status);
    return;
  }
  setU32(R_KIND, msg.kind);
  if (msg.kind == K_RESPONSE) {
    // The client answering a request of the server (sampling, roots, elicitation, ping): always passes.
    setU32(R_VERDICT, V_FORWARD);
    setU32(R_DECISION, D_ALLOW);
    return;
  }
  decodeString(msg.methodPos);
  methodPtr = strPtr;
  methodLen = strLen;
  setSpan(R_METHOD, methodPtr, methodLen);
  if (bundle.base == 0) {
    reply(D_BLOCK, E_FORBIDDEN, SUBJECT_NONE, text("no policy loaded"), null, 0);
    return;
  }
  const norm = normalized(methodPtr, methodLen);
  const isCall = equalsAscii(norm.ptr, norm.len, "tools/call");
  if (isCall) setU32(R_FLAGS, getU32(R_FLAGS) | F_TOOLS_CALL);
  if (equalsAscii(norm.ptr, norm.len, "tools/list")) setU32(R_FLAGS, getU32(R_FLAGS) | F_TOOLS_LIST);

  if (checkMethod(norm)) return;
  if (isCall) {
    toolCall(now);
    return;
  }
  if (bundle.pathCount > 0 && msg.paramsPos != 0 && !equalsAscii(norm.ptr, norm.len, "initialize")) {
    // Other requests (resources/read, prompts/get, ...) may name files too.
    if (pathCheck(msg.paramsPos)) return;
  }
  allow();
}

function allow(): void {
  setU32(R_VERDICT, V_FORWARD);
  setU32(R_DECISION, D_ALLOW);
}

/** Method allow/deny lists. Returns true when the message has been refused. */
function checkMethod(norm: Buf): bool {
  const denied = bundle.lookup(bundle.methodsDenied, norm.ptr, norm.len);
  if (denied != bundle.EMPTY) {
    const reason = bufNew(96 + methodLen);
    bufAscii(reason, "Method '");
    bufBytes(reason, methodPtr, methodLen);
    bufAscii(reason, "' is in denied_methods");
    const rule = bufNew(32);
    bufAscii(rule, "denied_methods[");
    bufDecimal(rule, denied);
    bufByte(rule, 0x5d);
    return violation(E_METHOD_NOT_ALLOWED, SUBJECT_METHOD, reason, rule);
  }
  if (bundle.hasFlag(bundle.CF_ALL_METHODS)) return false;
  if (bundle.lookup(bundle.methodsAllowed, norm.ptr, norm.len) != bundle.EMPTY) return false;
  const reason = bufNew(128 + methodLen);
  bufAscii(reason, "Method '");
  bufBytes(reason, methodPtr, methodLen);
  bufAscii(reason, "' is not in allowed_methods. Add it to your policy to permit this method.");
  return violation(E_METHOD_NOT_ALLOWED, SUBJECT_METHOD, reason, text("allowed_methods"));
}

function bufDecimal(b: Buf, v: u32): void {
  if (v >= 10) bufDecimal(b, v / 10);
  bufByte(b, 48 + v % 10);
}

function toolCall(now: f64): void {
  if (!msg.parseToolParams()) {
    const code = msg.status == msg.M_AMBIGUOUS ? E_INVALID_REQUEST : E_INVALID_PARAMS;
    reply(D_BLOCK, code, SUBJECT_NONE, text(msg.detail), null, 0);
    return;
  }
  if (msg.namePos == 0 || kindAt(msg.namePos) != J_STRING) {
    reply(D_BLOCK, E_INVALID_PARAMS, SUBJECT_NONE, text("tools/call params.name must be a string"), null, 0);
    return;
  }
  decodeString(msg.namePos);
  toolPtr = strPtr;
  toolLen = strLen;
  setSpan(R_TOOL, toolPtr, toolLen);
  let argsObj: usize = 0;
  if (msg.argsPos != 0) {
    const k = kindAt(msg.argsPos);
    if (k == J_OBJECT) argsObj = msg.argsPos;
    else if (k != J_NULL) {
      reply(D_BLOCK, E_INVALID_PARAMS, SUBJECT_TOOL, text("tools/call params.arguments must be an object"), null, 0);
      return;
    }
    setSpan(R_ARGS, msg.argsPos, msg.argsEnd - msg.argsPos);
    indexArgs(argsObj);
    if (argsObj != 0 && hasDuplicateKey()) {
      reply(D_BLOCK, E_INVALID_REQUEST, SUBJECT_TOOL, text("duplicate member in arguments"), null, 0);
      return;
    }
  }
  if (argsObj == 0) {
    memberCount = 0;
    indexed = 0;
  }
  const norm = normalized(toolPtr, toolLen);
  setSpan(R_NORM_NAME, norm.ptr, norm.len);
  const entry = bundle.lookup(bundle.tools, norm.ptr, norm.len);
  const rule: i32 = entry == bundle.EMPTY ? -1 : <i32>(entry >> 8) - 1;

  // 1. Rate limit (always enforced).
  if (rule >= 0 && hasLimit(<u32>rule)) {
    const wait = rateWait(<u32>rule, now);
    if (wait > 0) {
      const reason = bufNew(64 + toolLen);
      bufAscii(reason, "Rate limit exceeded for ");
      bufBytes(reason, toolPtr, toolLen);
      bufAscii(reason, ". Try again later.");
      const label = ruleLabel(rule);
      bufAscii(label, ".rate_limit");
      setU32(R_RETRY_MS, wait);
      reply(D_RATE_LIMITED, E_RATE_LIMITED, SUBJECT_TOOL, reason, label, wait);
      return;
    }
  }
  // 2. Protected paths (always enforced).
  if (argsObj != 0 && bundle.pathCount > 0 && pathCheck(argsObj)) return;
  // 3. denied_tools.
  if (entry != bundle.EMPTY && (entry & 2) != 0) {
    if (violation(E_FORBIDDEN, SUBJECT_TOOL, text("Tool is in denied_tools"), text("denied_tools"))) return;
  }
  // 4. The tool's rule.
  let ask = false;
  if (rule >= 0) {
    const action = load<u32>(bundle.rules + <usize>rule * bundle.RULE_SIZE);
    if (action == ACTION_BLOCK) {
      const label = ruleLabel(rule);
      if (violation(E_FORBIDDEN, SUBJECT_TOOL, text("Tool is blocked by tool_rules (action: block)"), label)) return;
    } else if (action == ACTION_ASK) {
      if (!checkArgs(rule, argsObj)) return;
      ask = true;
    }
  }
  // 5. Allowed tools (allowed_tools plus every tool named in tool_rules).
  if (entry == bundle.EMPTY || (entry & 1) == 0) {
    if (violation(E_FORBIDDEN, SUBJECT_TOOL, text("Tool not in allowed_tools list"), text("allowed_tools"))) return;
  }
  // 6. Arguments.
  if (!ask && rule >= 0 && !checkArgs(rule, argsObj)) return;

  if (rule >= 0 && hasLimit(<u32>rule)) rateTake(<u32>rule);
  if (ask) {
    setU32(R_VERDICT, V_ASK);
    setU32(R_DECISION, D_ASK);
    if (getU32(R_VIOLATION) == 0) {
      setSpan(R_REASON, 0, 0);
      const reason = text("Tool requires user approval (action: ask)");
      setSpan(R_REASON, reason.ptr, reason.len);
      const label = ruleLabel(rule);
      setSpan(R_RULE, label.ptr, label.len);
    }
    return;
  }
  allow();
}

// The members of the arguments object, read once: decoded key pointer and length, value position and end.
const MEMBER: usize = 4 * sizeof<usize>();
let members: usize = 0;
let memberCount: usize = 0;
let indexed: usize = 0; // the object indexed in this call, or 0

function indexArgs(obj: usize): void {
  members = 0;
  memberCount = 0;
  indexed = obj;
  if (obj == 0) return;
  const end = msg.msgEnd;
  let cap: usize = 0;
  let m = objFirst(obj, end);
  while (m != 0) {
    decodeString(m);
    const v = skipWs(skipWs(strEnd, end) + 1, end);
    const ve = skipValue(v, end);
    if (memberCount == cap) {
      cap = cap == 0 ? 8 : cap << 1;
      members = arenaGrowArray(members, memberCount, cap, MEMBER);
    }
    const e = members + memberCount * MEMBER;
    store<usize>(e, strPtr);
    store<usize>(e, strLen, sizeof<usize>());
    store<usize>(e, v, 2 * sizeof<usize>());
    store<usize>(e, ve, 3 * sizeof<usize>());
    memberCount++;
    m = objNext(ve, end);
  }
}

@inline
function memberKey(i: usize): usize {
  return load<usize>(members + i * MEMBER);
}

@inline
function memberKeyLen(i: usize): usize {
  return load<usize>(members + i * MEMBER, sizeof<usize>());
}

@inline
function memberPos(i: usize): usize {
  return load<usize>(members + i * MEMBER, 2 * sizeof<usize>());
}

function hasDuplicateKey(): bool {
  for (let i: usize = 1; i < memberCount; i++) {
    for (let j: usize = 0; j < i; j++) {
      if (bytesEqual(memberKey(j), memberKeyLen(j), memberKey(i), memberKeyLen(i))) return true;
    }
  }
  return false;
}

/** The value position of the argument named [k, k+kn) exactly, or 0. */
function findMember(k: usize, kn: usize): usize {
  for (let i: usize = 0; i < memberCount; i++) {
    if (bytesEqual(memberKey(i), memberKeyLen(i), k, kn)) return memberPos(i);
  }
  return 0;
}

/** A failed argument check; the rule label ends in `.allow_args.<name>` or `.strict_args`. */
function argFailure(rule: i32, name: usize, nameLen: usize, why: string, strict: bool): bool {
  const reason = bufNew(64 + nameLen);
  bufAscii(reason, "Argument validation failed for ");
  bufBytes(reason, name, nameLen);
  bufAscii(reason, why);
  const label = ruleLabel(rule);
  if (strict) bufAscii(label, ".strict_args");
  else {
    bufAscii(label, ".allow_args.");
    bufBytes(label, name, nameLen);
  }
  setSpan(R_FAILED_ARG, name, nameLen);
  return violation(E_FORBIDDEN, SUBJECT_TOOL, reason, label);
}

/**
 * Does obj have a key that a case-insensitive decoder (Go's encoding/json) would take for the argument
 * [k, k+kn) without being it? Then the server may read another value than the one checked.
 */
function hasCaseVariant(k: usize, kn: usize): bool {
  for (let i: usize = 0; i < memberCount; i++) {
    const p = memberKey(i);
    const n = memberKeyLen(i);
    if (!bytesEqual(p, n, k, kn) && asciiFoldEqual(p, n, k, kn)) return true;
  }
  return false;
}

/** allow_args (in policy order) then strict_args. Returns false when the message has been refused. */
function checkArgs(rule: i32, argsObj: usize): bool {
  const r = bundle.rules + <usize>rule * bundle.RULE_SIZE;
  const first = load<u32>(r, 16);
  const count = load<u32>(r, 20);
  for (let i: u32 = 0; i < count; i++) {
    const a = bundle.args + <usize>(first + i) * bundle.ARG_SIZE;
    const name = bundle.data + load<u32>(a);
    const nameLen = <usize>load<u32>(a, 4);
    const v = findMember(name, nameLen);
    if (v == 0) {
      if (argFailure(rule, name, nameLen, ": required argument missing", false)) return false;
      continue;
    }
    if (hasCaseVariant(name, nameLen)) {
      reply(D_BLOCK, E_INVALID_REQUEST, SUBJECT_TOOL, text("argument name differs only in case from a checked argument"), null, 0);
      return false;
    }
    argString(v, msg.msgEnd);
    if (marshalDuplicateKey) {
      reply(D_BLOCK, E_INVALID_REQUEST, SUBJECT_TOOL, text("duplicate member in a checked argument"), null, 0);
      return false;
    }
    if (!dfaIsMatch(bundle.data + load<u32>(a, 8), strPtr, strLen)) {
      if (argFailure(rule, name, nameLen, "", false)) return false;
    }
  }
  const strict = load<u32>(r, 4);
  const isStrict = strict == 2 || (strict == 0 && bundle.hasFlag(bundle.CF_STRICT_DEFAULT));
  if (!isStrict || argsObj == 0) return true;
  for (let j: usize = 0; j < memberCount; j++) {
    const kp = memberKey(j);
    const kn = memberKeyLen(j);
    let declared = false;
    for (let i: u32 = 0; i < count && !declared; i++) {
      const a = bundle.args + <usize>(first + i) * bundle.ARG_SIZE;
      declared = bytesEqual(bundle.data + load<u32>(a), <usize>load<u32>(a, 4), kp, kn);
    }
    if (!declared && argFailure(rule, kp, kn, ": undeclared argument (strict_args)", true)) return false;
  }
  return true;
}

/** Protected paths in every string (keys too) below v. Returns true when the message has been refused. */
function pathCheck(v: usize): bool {
  const hit = findProtected(v);
  if (hit < 0) return false;
  const e = bundle.paths + <usize>hit * bundle.PATH_SIZE;
  setSpan(R_PATH, bundle.data + load<u32>(e), load<u32>(e, 4));
  reply(
    D_PROTECTED_PATH, E_PROTECTED_PATH, SUBJECT_TOOL,
    text("The requested operation would access a protected path. This action has been blocked and logged for security review."),
    text("protected_paths"), 0,
  );
  return true;
}

/** Entry index (in the PATHS section) of the first protected path hit below v, or -1. */
function findProtected(v: usize): i32 {
  if (v != 0 && v == indexed) {
    // The arguments object: its members are indexed already.
    for (let i: usize = 0; i < memberCount; i++) {
      let hit = protectedHit(memberKey(i), memberKeyLen(i));
      if (hit >= 0) return hit;
      hit = findProtectedIn(memberPos(i));
      if (hit >= 0) return hit;
    }
    return -1;
  }
  return findProtectedIn(v);
}

let valueEnd: usize = 0; // where the value findProtectedIn just searched ends (when nothing was hit)

function findProtectedIn(v: usize): i32 {
  const end = msg.msgEnd;
  const k = kindAt(v);
  if (k == J_STRING) {
    decodeString(v);
    valueEnd = strEnd;
    return protectedHit(strPtr, strLen);
  }
  if (k == J_OBJECT) {
    let m = objFirst(v, end);
    if (m == 0) {
      valueEnd = skipValue(v, end);
      return -1;
    }
    while (true) {
      decodeString(m);
      let hit = protectedHit(strPtr, strLen);
      if (hit >= 0) return hit;
      hit = findProtectedIn(skipWs(skipWs(strEnd, end) + 1, end));
      if (hit >= 0) return hit;
      const after = valueEnd;
      m = objNext(after, end);
      if (m == 0) {
        valueEnd = skipWs(after, end) + 1;
        return -1;
      }
    }
  }
  if (k == J_ARRAY) {
    let e = arrFirst(v, end);
    if (e == 0) {
      valueEnd = skipValue(v, end);
      return -1;
    }
    while (true) {
      const hit = findProtectedIn(e);
      if (hit >= 0) return hit;
      const after = valueEnd;
      e = arrNext(after, end);
      if (e == 0) {
        valueEnd = skipWs(after, end) + 1;
        return -1;
      }
    }
  }
  valueEnd = skipValue(v, end);
  return -1;
}

/** Is the tool refused whatever its arguments (denied_tools, action: block, not allowed)? Filters tools/list. */
export function toolHidden(p: usize, n: usize): bool {
  const norm = normalized(p, n);
  const entry = bundle.lookup(bundle.tools, norm.ptr, norm.len);
  if (entry == bundle.EMPTY || (entry & 1) == 0 || (entry & 2) != 0) return true;
  const rule: i32 = <i32>(entry >> 8) - 1;
  return rule >= 0 && load<u32>(bundle.rules + <usize>rule * bundle.RULE_SIZE) == ACTION_BLOCK;
}

/** The answer to an asked tool call that the human denied (-32004) or did not answer in time (-32005). */
export function denyAsked(p: usize, len: usize, code: i32): void {
  resultClear();
  toolPtr = toolLen = methodPtr = methodLen = 0;
  msg.parseMessage(p, len, 0);
  if (msg.idPos != 0) setSpan(R_ID, msg.idPos, msg.idEnd - msg.idPos);
  setU32(R_KIND, msg.kind);
  if (msg.parseToolParams() && msg.namePos != 0 && kindAt(msg.namePos) == J_STRING) {
    decodeString(msg.namePos);
    toolPtr = strPtr;
    toolLen = strLen;
    setSpan(R_TOOL, toolPtr, toolLen);
  }
  const reason = code == E_USER_TIMEOUT
    ? text("User did not respond to approval dialog within timeout")
    : text("User explicitly denied the tool call via approval dialog");
  reply(D_BLOCK, code == E_USER_TIMEOUT ? E_USER_TIMEOUT : E_USER_DENIED, SUBJECT_TOOL, reason, text("ask"), 0);
}
