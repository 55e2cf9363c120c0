// Audit records, one JSON line per decision through proxy_log, with the fields of the other hosts' records
// (hosts/kit/audit.ts: aip-go's names plus toolgate's error_code, rule, reason, id, policy_hash) and two of
// Envoy's own: host and request_id (the x-request-id header, to join with Envoy's access log).
// Records are built in the engine's call arena from the result record of the engine call just made.

import { Buf, bufNew, bufAscii, bufBytes, bufByte, bufJsonString, bufI64, bufU64 } from "../../../engine-as/src/buf";
import { dlpBegin, dlpEnabled } from "../../../engine-as/src/dlp";
import { collectEdits, applyEdits, editsMade } from "../../../engine-as/src/scan";
import * as bundle from "../../../engine-as/src/bundle";
import {
  getU32, spanPtr, spanLen, R_VERDICT, R_DECISION, R_CODE, R_VIOLATION, R_KIND, R_FLAGS, R_REASON, R_METHOD, R_TOOL,
  R_ID, R_RULE, R_FAILED_ARG, R_PATH, R_ARGS, R_RETRY_MS, V_FORWARD, V_REWRITE, V_ASK,
  D_RATE_LIMITED, D_PROTECTED_PATH, K_INVALID, F_TOOLS_CALL,
} from "../../../engine-as/src/result";
import { Root } from "./config";
import { Exchange } from "./exchange";
import { log } from "./host";
import { LOG_INFO, LOG_WARN } from "./abi";

const CF_MONITOR: u32 = 2;

/** Does the decision just made get a record? The same rule as hosts/kit/audit.ts needsRecord. */
export function needsRecord(): bool {
  const verdict = getU32(R_VERDICT);
  if ((getU32(R_FLAGS) & F_TOOLS_CALL) != 0 || getU32(R_VIOLATION) != 0 || verdict == V_ASK) return true;
  if (verdict == V_FORWARD || verdict == V_REWRITE) return false;
  return !(getU32(R_KIND) == K_INVALID && spanLen(R_REASON) == 0); // an empty body is skipped, not refused
}

/** The audit label of the decision: ALLOW, ALLOW_MONITOR, BLOCK, RATE_LIMITED or ASK. */
function label(): string {
  const verdict = getU32(R_VERDICT);
  if (verdict == V_FORWARD || verdict == V_REWRITE) return getU32(R_VIOLATION) != 0 ? "ALLOW_MONITOR" : "ALLOW";
  if (verdict == V_ASK) return "ASK";
  return getU32(R_DECISION) == D_RATE_LIMITED ? "RATE_LIMITED" : "BLOCK";
}

const DAYS_BEFORE_MONTH = memory.data<u16>([0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]);

function two(b: Buf, v: u32): void {
  bufByte(b, 48 + v / 10);
  bufByte(b, 48 + v % 10);
}

/** RFC 3339 UTC time with milliseconds, like JavaScript's toISOString. */
function isoTime(b: Buf, nanos: u64): void {
  const ms = nanos / 1000000;
  let days = <i64>(ms / 86400000);
  const inDay = <u32>(ms % 86400000);
  // Civil date from days since 1970-01-01 (proleptic Gregorian).
  days += 719468;
  const era = days / 146097;
  const doe = <u32>(days - era * 146097);
  const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  let year = <i64>yoe + era * 400;
  const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const mp = (5 * doy + 2) / 153;
  const day = doy - (153 * mp + 2) / 5 + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  if (month <= 2) year++;
  bufU64(b, <u64>year);
  bufByte(b, 0x2d);
  two(b, month);
  bufByte(b, 0x2d);
  two(b, day);
  bufByte(b, 0x54);
  two(b, inDay / 3600000);
  bufByte(b, 0x3a);
  two(b, inDay / 60000 % 60);
  bufByte(b, 0x3a);
  two(b, inDay / 1000 % 60);
  bufByte(b, 0x2e);
  const milli = inDay % 1000;
  bufByte(b, 48 + milli / 100);
  two(b, milli % 100);
  bufByte(b, 0x5a);
}

function head(level: string, msg: string, nanos: u64): Buf {
  const b = bufNew(1024);
  const t = bufNew(32);
  isoTime(t, nanos);
  bufAscii(b, "{\"time\":\"");
  bufBytes(b, t.ptr, t.len);
  bufAscii(b, "\",\"level\":\"");
  bufAscii(b, level);
  bufAscii(b, "\",\"msg\":\"");
  bufAscii(b, msg);
  bufAscii(b, "\",\"timestamp\":\"");
  bufBytes(b, t.ptr, t.len);
  bufByte(b, 0x22);
  return b;
}

function str(b: Buf, name: string, p: usize, n: usize): void {
  bufAscii(b, ",\"");
  bufAscii(b, name);
  bufAscii(b, "\":");
  bufJsonString(b, p, n);
}

function spanField(b: Buf, name: string, field: usize): void {
  if (spanPtr(field) == 0 && spanLen(field) == 0) return;
  str(b, name, spanPtr(field), spanLen(field));
}

/** A JSON value copied as it is, on one line: line breaks in valid JSON text can only be whitespace. */
function raw(b: Buf, name: string, p: usize, n: usize): void {
  bufAscii(b, ",\"");
  bufAscii(b, name);
  bufAscii(b, "\":");
  const at = b.len;
  bufBytes(b, p, n);
  for (let i = at; i < b.len; i++) {
    const c = load<u8>(b.ptr + i);
    if (c == 0x0a || c == 0x0d) store<u8>(b.ptr + i, 0x20);
  }
}

function policyMode(b: Buf): void {
  bufAscii(b, ",\"policy_mode\":\"");
  bufAscii(b, bundle.base != 0 && (bundle.cfg(4) & CF_MONITOR) != 0 ? "monitor" : "enforce");
  bufByte(b, 0x22);
}

/** policy_hash, host and request_id, then the closing brace; then the line goes to the log. */
function tail(b: Buf, r: Root, x: Exchange | null, level: u32): Buf {
  if (r.hashHex != 0) str(b, "policy_hash", r.hashHex, 64);
  bufAscii(b, ",\"host\":\"envoy\"");
  if (x !== null && x.requestId != 0) str(b, "request_id", x.requestId, x.requestIdLen);
  bufByte(b, 0x7d);
  log(level, b);
  return b;
}

/** The arguments as JSON, every string value redacted by the engine's DLP (as the other hosts audit them). */
function args(b: Buf): void {
  const p = spanPtr(R_ARGS);
  const n = spanLen(R_ARGS);
  if (n == 0) {
    raw(b, "args", changetype<usize>(EMPTY_OBJECT), 2);
    return;
  }
  if (!dlpEnabled()) {
    raw(b, "args", p, n);
    return;
  }
  // Wrapped, so that members named id or method are scanned too (the engine skips them at the top level).
  const w = bufNew(n + 16);
  bufAscii(w, "{\"args\":");
  bufBytes(w, p, n);
  bufByte(w, 0x7d);
  dlpBegin();
  collectEdits(w.ptr, w.len, 0);
  if (!editsMade()) {
    raw(b, "args", p, n);
    return;
  }
  const out = bufNew(w.len + 64);
  applyEdits(w.ptr, w.len, out);
  raw(b, "args", out.ptr + 8, out.len - 9);
}

const EMPTY_OBJECT = memory.data<u8>([0x7b, 0x7d]);

/** The record of the engine's decision on a client message (call right after tg_evaluate); returns it. */
export function decisionRecord(r: Root, x: Exchange, nanos: u64): Buf {
  const decision = label();
  const code = <i32>getU32(R_CODE);
  const blocked = decision == "BLOCK";
  let event: string | null = null;
  if (getU32(R_DECISION) == D_PROTECTED_PATH) event = "PROTECTED_PATH_BLOCKED";
  else if (code == -32006 && blocked) event = "METHOD_BLOCKED";
  else if (getU32(R_KIND) == K_INVALID) event = "INVALID_MESSAGE";
  const msg = event == "PROTECTED_PATH_BLOCKED" ? "protected_path_block" : event == "METHOD_BLOCKED" ? "method_block" : "audit";
  const info = decision == "ALLOW" || decision == "ASK";
  const b = head(info ? "INFO" : "WARN", msg, nanos);
  bufAscii(b, ",\"direction\":\"upstream\"");
  if (event !== null) {
    bufAscii(b, ",\"event\":\"");
    bufAscii(b, event);
    bufByte(b, 0x22);
  }
  bufAscii(b, ",\"decision\":\"");
  bufAscii(b, decision);
  bufByte(b, 0x22);
  policyMode(b);
  bufAscii(b, getU32(R_VIOLATION) != 0 ? ",\"violation\":true" : ",\"violation\":false");
  spanField(b, "method", R_METHOD);
  spanField(b, "tool", R_TOOL);
  if ((getU32(R_FLAGS) & F_TOOLS_CALL) != 0 && r.auditArgs) args(b);
  if (spanLen(R_FAILED_ARG) > 0) {
    spanField(b, "failed_arg", R_FAILED_ARG);
    spanField(b, "failed_rule", R_RULE);
  }
  spanField(b, "protected_path", R_PATH);
  if (code != 0) {
    bufAscii(b, ",\"error_code\":");
    bufI64(b, code);
  }
  spanField(b, "rule", R_RULE);
  spanField(b, "reason", R_REASON);
  if (getU32(R_RETRY_MS) != 0) {
    bufAscii(b, ",\"retry_after_ms\":");
    bufU64(b, getU32(R_RETRY_MS));
  }
  if (spanLen(R_ID) > 0) raw(b, "id", spanPtr(R_ID), spanLen(R_ID));
  return tail(b, r, x, info ? LOG_INFO : LOG_WARN);
}

/**
 * The record of the approval service's answer to an asked call. For a denial, call right after tg_deny (the
 * result record holds the denial); for an approval the asked call's rule and reason come from the exchange.
 */
export function approvalRecord(r: Root, x: Exchange, outcome: string, waitedMs: u64, nanos: u64): void {
  const approved = outcome == "approved";
  const b = head(approved ? "INFO" : "WARN", "audit", nanos);
  bufAscii(b, ",\"direction\":\"upstream\",\"event\":\"APPROVAL\",\"decision\":\"");
  bufAscii(b, approved ? (x.askViolation ? "ALLOW_MONITOR" : "ALLOW") : "BLOCK");
  bufByte(b, 0x22);
  policyMode(b);
  bufAscii(b, (approved ? x.askViolation : true) ? ",\"violation\":true" : ",\"violation\":false");
  bufAscii(b, ",\"method\":\"tools/call\"");
  if (x.askTool != 0) str(b, "tool", x.askTool, x.askToolLen);
  bufAscii(b, ",\"approval\":\"");
  bufAscii(b, outcome);
  bufAscii(b, "\",\"approval_via\":\"");
  bufAscii(b, r.approvalCluster != 0 ? "http" : "none");
  bufAscii(b, "\",\"approval_ms\":");
  bufU64(b, waitedMs);
  if (approved) {
    if (x.askRuleLen > 0) str(b, "rule", x.askRule, x.askRuleLen);
    if (x.askReasonLen > 0) str(b, "reason", x.askReason, x.askReasonLen);
  } else {
    bufAscii(b, ",\"error_code\":");
    bufI64(b, <i32>getU32(R_CODE));
    spanField(b, "rule", R_RULE);
    spanField(b, "reason", R_REASON);
  }
  if (x.askIdLen > 0) raw(b, "id", x.askId, x.askIdLen);
  tail(b, r, x, approved ? LOG_INFO : LOG_WARN);
}

/** One DLP_TRIGGERED record per pattern that fired; events: (u32 pattern index, u32 matches) pairs. */
export function dlpRecords(r: Root, x: Exchange, events: usize, count: u32, nanos: u64): void {
  for (let i: u32 = 0; i < count; i++) {
    const index = load<u32>(events + <usize>i * 8);
    const matches = load<u32>(events + <usize>i * 8 + 4);
    const b = head("WARN", "dlp", nanos);
    bufAscii(b, ",\"direction\":\"downstream\",\"event\":\"DLP_TRIGGERED\"");
    const e = bundle.dlp + bundle.DLP_HEADER + <usize>(index & 0x7fffffff) * bundle.DLP_ENTRY;
    const name = bufNew(64);
    bufBytes(name, bundle.data + load<u32>(e), load<u32>(e, 4));
    if ((index & 0x80000000) != 0) bufAscii(name, " (encoded)");
    str(b, "dlp_rule", name.ptr, name.len);
    bufAscii(b, ",\"dlp_action\":\"REDACTED\",\"dlp_match_count\":");
    bufU64(b, matches);
    tail(b, r, x, LOG_WARN);
  }
}

/** A host event: a request refused before the engine saw it, a configuration loaded or refused. */
export function eventRecord(r: Root, x: Exchange | null, level: u32, event: string, reason: Buf, nanos: u64): void {
  const b = head(level == LOG_INFO ? "INFO" : "WARN", "event", nanos);
  bufAscii(b, ",\"event\":\"");
  bufAscii(b, event);
  bufByte(b, 0x22);
  str(b, "reason", reason.ptr, reason.len);
  tail(b, r, x, level);
}
