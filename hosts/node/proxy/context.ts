// What both directions of the proxy share: the engine with its active policy, the audit log, the metrics and
// the logger. The policy facts cached here change only when a bundle is loaded (start, hot reload).
import { createHash } from "node:crypto";
import { EngineTrap, type Engine } from "../../kit/engine.ts";
import type { ArgsMode, AuditOptions, AuditPolicy, AuditRecord } from "../../kit/audit.ts";
import type { PolicyMetrics } from "../../kit/metrics.ts";
import type { AuditFile } from "./audit-file.ts";
import type { Logger } from "./log.ts";
import { ruleSource, type ProxyPolicy } from "./policy.ts";

const dec = new TextDecoder();

export class ProxyContext {
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

  /** The audit copy of tool arguments: secrets redacted by the engine's DLP, as in any server message. */
  private redactJson(argsJson: string): string {
    if (!this.engine.policy.dlp) return argsJson;
    const wrapped = `{"args":${argsJson}}`;
    let r;
    try {
      r = this.engine.scan(wrapped);
    } catch (e) {
      if (e instanceof EngineTrap) return '"[withheld: policy engine failure]"';
      throw e;
    }
    if (!r.changed) return argsJson;
    const text = dec.decode(r.output);
    return text.slice('{"args":'.length, text.length - 1);
  }
}
