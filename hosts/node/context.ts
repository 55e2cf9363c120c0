// What the Node hosts (the stdio proxy's two directions, the HTTP gateway) share: the engine with its active
// policy, the audit log, the metrics and the logger, and how a decision is recorded, counted and logged.
// The policy facts cached here change only when a bundle is loaded (start, hot reload).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { EngineTrap, type DlpEvent, type Engine, type Verdict } from "../kit/engine.ts";
import {
  approvalRecord, auditDecision, decisionRecord, dlpRecords, eventRecord, redactedArgs,
  type ApprovalChannelName, type ApprovalOutcome, type ArgsMode, type AuditOptions, type AuditPolicy, type AuditRecord,
} from "../kit/audit.ts";
import { policyMetrics, type PolicyMetrics } from "../kit/metrics.ts";
import { newEngine } from "../kit/node.ts";
import { AuditFile } from "./proxy/audit-file.ts";
import { compileIsolated, stopCompiler, type WorkerCompileOptions } from "./proxy/compile-worker.ts";
import { quote, type Logger } from "./proxy/log.ts";
import { describePolicy, ruleSource, type ProxyPolicy } from "./proxy/policy.ts";

const dec = new TextDecoder();

export class HostContext {
  current!: ProxyPolicy;
  auditPolicy: AuditPolicy = { policyHash: null, mode: "enforce", bundleVersion: null };
  filterStderr = false;
  readonly auditOptions: AuditOptions;

  constructor(
    readonly engine: Engine,
    readonly audit: AuditFile,
    readonly metrics: PolicyMetrics,
    readonly log: Logger,
    argsMode: ArgsMode,
  ) {
    this.auditOptions = {
      args: argsMode,
      digest: (text) => createHash("sha256").update(text).digest("hex"),
      redactArgs: (json) => this.redactJson(json),
      ruleSource: (rule) => ruleSource(this.current?.policy ?? null, rule),
    };
  }

  /** Activate a policy (atomic in the engine; throws BundleError and keeps the old one when refused). */
  activate(p: ProxyPolicy): void {
    this.engine.loadBundle(p.bytes);
    this.current = p;
    const flags = this.engine.policy;
    this.filterStderr = flags.filterStderr;
    this.auditPolicy = { policyHash: this.engine.policyHash, mode: flags.mode, bundleVersion: p.policy?.metadata.version ?? null };
    this.metrics.policyInfo.reset();
    this.metrics.policyInfo.set(1, { policy_hash: this.engine.policyHash ?? "" });
  }

  /** Text for a log line with the policy's secrets redacted (a command line may carry an API key). */
  redactForLog(text: string): string {
    if (!this.engine.policy.dlp) return text;
    try {
      return dec.decode(this.engine.redactText(text).output);
    } catch (e) {
      if (e instanceof EngineTrap) return "[withheld: policy engine failure]";
      throw e;
    }
  }

  write(record: AuditRecord): void {
    this.audit.write(record);
  }

  /** The audit record of a decision (written, not yet committed); `extra` fields are added to it. */
  recordDecision(v: Verdict, extra?: Record<string, unknown>): AuditRecord {
    const r = decisionRecord(v, this.auditPolicy, this.auditOptions);
    if (extra) Object.assign(r, extra);
    this.audit.write(r);
    return r;
  }

  /** A host event (policy loaded, engine failure, upstream failure, ...), committed at once. */
  recordEvent(event: string, fields: Record<string, unknown>, level: "INFO" | "WARN" = "INFO"): void {
    this.audit.write(eventRecord(event, fields, this.auditPolicy, this.auditOptions, level));
    this.audit.commit();
  }

  /** Metrics of one decided client message (an ask is counted when the human has answered). */
  countVerdict(v: Verdict, seconds: number): void {
    const m = this.metrics;
    m.requests.inc();
    if (v.verdict !== "ask") m.decisions.inc({ decision: auditDecision(v).toLowerCase() });
    if (v.violation) m.violations.inc();
    m.duration.observe(seconds);
  }

  /** Record, count and log a human's answer to an asked call. */
  recordApproval(asked: Verdict, outcome: ApprovalOutcome, via: ApprovalChannelName, waitedMs: number, denial: Verdict | null): void {
    const m = this.metrics;
    this.audit.write(approvalRecord(asked, outcome, via, waitedMs, denial, this.auditPolicy, this.auditOptions));
    this.audit.commit();
    m.approvals.inc({ outcome, via });
    if (outcome === "approved") {
      m.decisions.inc({ decision: asked.violation ? "allow_monitor" : "allow" });
      this.log.info(`APPROVED: tool ${quote(asked.tool)} via ${via}`);
      return;
    }
    m.decisions.inc({ decision: "block" });
    if (!asked.violation) m.violations.inc(); // (a violation let through in monitor mode was counted when asked)
    this.log.info(`${outcome === "denied" ? "DENIED" : outcome === "timeout" ? "APPROVAL TIMEOUT" : "CANCELLED"}: tool ${quote(asked.tool)} (via ${via})`);
  }

  /** Record, count and log the secrets DLP redacted from a server message (or its stderr). */
  recordDlp(events: readonly DlpEvent[], source: "message" | "stderr" = "message"): void {
    if (events.length === 0) return;
    this.audit.writeAll(dlpRecords(events, this.auditPolicy, this.auditOptions, source));
    for (const e of events) {
      this.metrics.dlpRedactions.inc({ rule: e.rule }, e.count);
      this.log.info(`DLP_TRIGGERED${source === "stderr" ? " (server stderr)" : ""}: rule ${JSON.stringify(e.rule)} matched ${e.count} time(s), redacted`);
    }
  }

  /** The log line of a decision: violations, denials, and with --verbose every message. */
  logVerdict(v: Verdict): void {
    const { log } = this;
    if (log.verbose) log.debug(`→ [upstream] method=${quote(v.method)} id=${v.id ?? "-"} ${v.verdict}`);
    if (v.verdict === "forward" || v.verdict === "rewrite") {
      if (v.violation) log.info(`ALLOW_MONITOR (dry-run): ${v.tool !== null ? `tool ${quote(v.tool)}` : `method ${quote(v.method)}`} would be blocked, reason: ${v.reason}`);
      else if (v.toolsCall) log.debug(`ALLOWED: tool ${quote(v.tool)}`);
      return;
    }
    if (v.verdict === "ask") return;
    const what = v.errorCode === -32006 ? `BLOCKED_METHOD: method ${quote(v.method)}`
      : v.tool !== null ? `BLOCKED: tool ${quote(v.tool)}`
      : v.kind === "invalid" ? "REFUSED: message"
      : `BLOCKED: method ${quote(v.method)}`;
    log.info(`${what} (${v.errorCode ?? "-"}${v.rule ? `, ${v.rule}` : ""}): ${v.reason}${v.verdict === "drop" ? " [notification dropped]" : ""}`);
  }

  /** The audit copy of tool arguments: secrets redacted by the engine's DLP, as in any server message. */
  private redactJson(argsJson: string): string {
    try {
      return redactedArgs(this.engine, argsJson);
    } catch (e) {
      if (e instanceof EngineTrap) return '"[withheld: policy engine failure]"';
      throw e;
    }
  }
}

export interface HostSettings {
  policy: string;
  audit: string;
  auditArgs: ArgsMode;
  auditMaxBytes: number;
  auditKeep: number;
}

/**
 * How a Node host starts: compile the policy file (a broken one throws with every problem at file:line:column),
 * open the audit log, start the engine with the policy, record POLICY_LOADED and say on stderr what runs.
 */
export async function openHostContext(o: HostSettings, compileOptions: WorkerCompileOptions, log: Logger): Promise<{ ctx: HostContext; first: ProxyPolicy }> {
  let first: ProxyPolicy;
  try {
    first = await compileIsolated(o.policy, readFileSync(o.policy), compileOptions);
  } catch (e) {
    stopCompiler();
    throw e;
  }
  for (const w of first.warnings) log.info(w);
  const metrics = policyMetrics();
  const audit = new AuditFile(o.audit, { maxBytes: o.auditMaxBytes, keep: o.auditKeep, onError: (e) => log.error(`audit log ${o.audit}: ${e.message}`) });
  const ctx = new HostContext(newEngine(), audit, metrics, log, o.auditArgs);
  ctx.activate(first);
  metrics.reloads.inc();
  ctx.recordEvent("POLICY_LOADED", { policy_file: o.policy, policy_name: first.policy?.metadata.name ?? null });
  log.info(describePolicy(first, o.policy, ctx.auditPolicy.policyHash));
  log.info(`Policy mode: ${ctx.auditPolicy.mode}${compileOptions.mode ? " (set by --mode)" : ""}`);
  log.info(`Audit logging to: ${o.audit} (arguments: ${o.auditArgs})`);
  const engine = ctx.engine;
  if (engine.policy.dlp) log.info(`DLP enabled with ${engine.dlpPatternNames.length} patterns: [${engine.dlpPatternNames.join(", ")}]`);
  else if (o.auditArgs === "full") log.info("WARNING: DLP is disabled. Tool arguments may contain secrets that will be logged unredacted to the audit file (--audit-args hash avoids it).");
  return { ctx, first };
}
