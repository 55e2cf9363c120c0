// Audit records as JSON Lines, shared by the hosts (the writer is host-specific). The fields are aip-go's
// (aip-digest 4.2: `time`/`level`/`msg` as its slog handler writes them, then `timestamp`, `direction`,
// `decision`, `policy_mode`, `violation`, `method`, `tool`, `args`, `failed_arg`, `failed_rule`, and the
// `event` records METHOD_BLOCKED, PROTECTED_PATH_BLOCKED, DLP_TRIGGERED), plus toolgate's `error_code`, `rule`,
// `reason`, `id`, `policy_hash` and `bundle_version`. One record per decision: where aip-go writes a second
// record for a protected path or a method block, toolgate puts the `event` into the decision record.
// Host-neutral: hashing and argument redaction are passed in.
import type { DlpEvent, Engine, Verdict } from "./engine.ts";
import { aipDecision } from "./decision.ts";

const dec = new TextDecoder();

export type ArgsMode = "full" | "hash" | "none";
export type AuditRecord = Record<string, unknown>;

/**
 * JSON text from the engine (the arguments exactly as the message carried them, already validated), put into
 * a record as it is: no parse and re-encode per tool call. JSON.stringify still sees the value (toJSON).
 */
export class RawJson {
  constructor(readonly text: string) {}
  toJSON(): unknown {
    return JSON.parse(this.text);
  }
}

/** What every record says about the policy in force. */
export interface AuditPolicy {
  policyHash: string | null;
  mode: "enforce" | "monitor";
  /** `metadata.version` of the policy, when known. */
  bundleVersion: string | null;
}

export interface AuditOptions {
  args: ArgsMode;
  /** The arguments' JSON text with secrets redacted by the engine's DLP (the raw text when DLP is off). */
  redactArgs?: (argsJson: string) => string;
  /** Hex digest of a text (SHA-256 on every host), for `args: "hash"`. */
  digest?: (text: string) => string;
  /** The policy text behind a rule path, e.g. the regex of `tool_rules[2].allow_args.path` (aip-go's failed_rule). */
  ruleSource?: (rule: string) => string | null;
  now?: () => Date;
}

export type ApprovalOutcome = "approved" | "denied" | "timeout" | "cancelled";
export type ApprovalChannelName = "elicitation" | "tty" | "http" | "none";

const stamp = (o: AuditOptions) => (o.now ? o.now() : new Date()).toISOString();

function head(level: "INFO" | "WARN", msg: string, o: AuditOptions): AuditRecord {
  const t = stamp(o);
  return { time: t, level, msg, timestamp: t };
}

function parseId(idText: string | null): unknown {
  if (idText === null) return undefined;
  try {
    return JSON.parse(idText);
  } catch {
    return idText;
  }
}

function argsField(argsJson: string | null, o: AuditOptions): unknown {
  if (argsJson === null || o.args === "none") return undefined;
  if (o.args === "hash") {
    if (!o.digest) throw new Error("audit: args hashing needs a digest function");
    const digest = o.digest;
    try {
      const parsed = JSON.parse(argsJson);
      // Keys stay readable; every value becomes the digest of its JSON text.
      if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
        return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, `sha256:${digest(JSON.stringify(v))}`]));
      }
    } catch {
      // not JSON: hash the text as a whole
    }
    return `sha256:${digest(argsJson)}`;
  }
  const text = o.redactArgs ? o.redactArgs(argsJson) : argsJson;
  // A record is one line: text with line breaks between tokens (pretty-printed) is re-encoded compactly.
  if (text.indexOf("\n") < 0 && text.indexOf("\r") < 0) return new RawJson(text);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Does this verdict get an audit record? Tool calls, asks and everything refused or let through as a violation. */
export function needsRecord(v: Verdict): boolean {
  if (v.toolsCall || v.violation || v.verdict === "ask") return true;
  if (v.verdict === "forward" || v.verdict === "rewrite") return false;
  return !(v.kind === "invalid" && v.reason === ""); // a blank line is skipped, not refused
}

/** The audit decision label: ALLOW, ALLOW_MONITOR, BLOCK, RATE_LIMITED or ASK (a pending approval). */
export function auditDecision(v: Verdict): string {
  const d = aipDecision(v);
  if (d === "ALLOW") return v.violation ? "ALLOW_MONITOR" : "ALLOW";
  if (d === "PROTECTED_PATH") return "BLOCK";
  return d;
}

/** The record of the engine's decision on a client message. */
export function decisionRecord(v: Verdict, p: AuditPolicy, o: AuditOptions): AuditRecord {
  const decision = auditDecision(v);
  const event = v.decision === "PROTECTED_PATH" ? "PROTECTED_PATH_BLOCKED"
    : v.errorCode === -32006 && decision === "BLOCK" ? "METHOD_BLOCKED"
    : v.kind === "invalid" ? "INVALID_MESSAGE"
    : undefined;
  const msg = event === "PROTECTED_PATH_BLOCKED" ? "protected_path_block" : event === "METHOD_BLOCKED" ? "method_block" : "audit";
  const r = head(decision === "ALLOW" || decision === "ASK" ? "INFO" : "WARN", msg, o);
  r.direction = "upstream";
  if (event) r.event = event;
  r.decision = decision;
  r.policy_mode = p.mode;
  r.violation = v.violation;
  if (v.method !== null) r.method = v.method;
  if (v.tool !== null) r.tool = v.tool;
  const args = v.toolsCall ? argsField(v.args ?? "{}", o) : undefined;
  if (args !== undefined) r.args = args;
  if (v.failedArg !== null) {
    r.failed_arg = v.failedArg;
    r.failed_rule = o.ruleSource?.(v.rule) ?? v.rule;
  }
  if (v.protectedPath !== null) r.protected_path = v.protectedPath;
  if (v.errorCode !== null) r.error_code = v.errorCode;
  if (v.rule) r.rule = v.rule;
  if (v.reason) r.reason = v.reason;
  if (v.retryAfterMs !== null) r.retry_after_ms = v.retryAfterMs;
  const id = parseId(v.id);
  if (id !== undefined) r.id = id;
  r.policy_hash = p.policyHash;
  r.bundle_version = p.bundleVersion;
  return r;
}

/**
 * The record of a human's answer to an asked call. `asked` is the engine's ASK verdict; `denial` the engine's
 * -32004/-32005 verdict when the call was not approved.
 */
export function approvalRecord(
  asked: Verdict,
  outcome: ApprovalOutcome,
  via: ApprovalChannelName,
  waitedMs: number,
  denial: Verdict | null,
  p: AuditPolicy,
  o: AuditOptions,
): AuditRecord {
  const approved = outcome === "approved";
  const r = head(approved ? "INFO" : "WARN", "audit", o);
  r.direction = "upstream";
  r.event = "APPROVAL";
  r.decision = approved ? (asked.violation ? "ALLOW_MONITOR" : "ALLOW") : "BLOCK";
  r.policy_mode = p.mode;
  r.violation = approved ? asked.violation : true;
  if (asked.method !== null) r.method = asked.method;
  if (asked.tool !== null) r.tool = asked.tool;
  const args = argsField(asked.args ?? "{}", o);
  if (args !== undefined) r.args = args;
  r.approval = outcome;
  r.approval_via = via;
  r.approval_ms = Math.round(waitedMs);
  const decided = denial ?? asked;
  if (denial?.errorCode) r.error_code = denial.errorCode;
  if (decided.rule) r.rule = decided.rule;
  if (decided.reason) r.reason = decided.reason;
  const id = parseId(asked.id);
  if (id !== undefined) r.id = id;
  r.policy_hash = p.policyHash;
  r.bundle_version = p.bundleVersion;
  return r;
}

/** One DLP_TRIGGERED record per pattern that fired in a server message (aip-go's fields). */
export function dlpRecords(events: readonly DlpEvent[], p: AuditPolicy, o: AuditOptions, source: "message" | "stderr" = "message"): AuditRecord[] {
  return events.map((e) => {
    const r = head("WARN", "dlp", o);
    r.direction = "downstream";
    r.event = "DLP_TRIGGERED";
    r.dlp_rule = e.rule;
    r.dlp_action = "REDACTED";
    r.dlp_match_count = e.count;
    if (source === "stderr") r.source = "stderr";
    r.policy_hash = p.policyHash;
    r.bundle_version = p.bundleVersion;
    return r;
  });
}

/** A host event: policy loaded or refused, a message the host had to drop, the server exiting. */
export function eventRecord(event: string, fields: Record<string, unknown>, p: AuditPolicy, o: AuditOptions, level: "INFO" | "WARN" = "INFO"): AuditRecord {
  const r = head(level, "event", o);
  r.event = event;
  Object.assign(r, fields);
  r.policy_hash = p.policyHash;
  r.bundle_version = p.bundleVersion;
  return r;
}

/** One line of the JSONL file. */
export function auditLine(r: AuditRecord): string {
  let out = "{";
  for (const k in r) {
    const v = r[k];
    if (v === undefined) continue;
    if (out.length > 1) out += ",";
    out += JSON.stringify(k) + ":" + (v instanceof RawJson ? v.text : JSON.stringify(v));
  }
  return out + "}\n";
}

/**
 * The audit copy of tool arguments (their JSON text) with secrets redacted by the engine's DLP, as in any server
 * message: scanned as the value of a JSON member, so the engine sees JSON strings. Throws EngineTrap.
 */
export function redactedArgs(engine: Engine, argsJson: string): string {
  if (!engine.policy.dlp) return argsJson;
  const r = engine.scan(`{"args":${argsJson}}`);
  if (!r.changed) return argsJson;
  const text = dec.decode(r.output);
  return text.slice('{"args":'.length, text.length - 1);
}
