// Audit records as one JSON line each through console.log, which Workers Logs and Logpush collect. The
// records are the host kit's; only the writing and the hashing are the Worker's.
import {
  approvalRecord, decisionRecord, dlpRecords, eventRecord, redactedArgs,
  type ApprovalChannelName, type ApprovalOutcome, type ArgsMode, type AuditOptions, type AuditPolicy, type AuditRecord,
} from "../../kit/audit.ts";
import type { DlpEvent, Engine, Verdict } from "../../kit/engine.ts";

const enc = new TextEncoder();

async function sha256Hex(text: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", enc.encode(text)));
  let s = "";
  for (const b of d) s += b.toString(16).padStart(2, "0");
  return s;
}

export class AuditLog {
  constructor(
    private readonly engine: Engine,
    private readonly policy: () => AuditPolicy,
    private readonly args: ArgsMode,
  ) {}

  /** The audit copy of tool arguments: secrets redacted by the engine's DLP, as in any server message. */
  private redactArgs = (argsJson: string): string => redactedArgs(this.engine, argsJson);

  /**
   * Build and write a record. Workers hash only asynchronously (crypto.subtle), while the kit asks for
   * digests synchronously: with `args: hash` the record is built once to learn which texts it hashes, and
   * again with their digests.
   */
  private async write(build: (o: AuditOptions) => AuditRecord): Promise<AuditRecord> {
    const base: AuditOptions = { args: this.args, redactArgs: this.redactArgs };
    let record: AuditRecord;
    if (this.args === "hash") {
      const texts = new Set<string>();
      build({ ...base, digest: (t) => (texts.add(t), "") });
      const digests = new Map(await Promise.all([...texts].map(async (t) => [t, await sha256Hex(t)] as const)));
      record = build({ ...base, digest: (t) => digests.get(t) ?? "" });
    } else {
      record = build(base);
    }
    console.log(JSON.stringify(record));
    return record;
  }

  decision(v: Verdict): Promise<AuditRecord> {
    return this.write((o) => decisionRecord(v, this.policy(), o));
  }

  approval(asked: Verdict, outcome: ApprovalOutcome, via: ApprovalChannelName, waitedMs: number, denial: Verdict | null): Promise<AuditRecord> {
    return this.write((o) => approvalRecord(asked, outcome, via, waitedMs, denial, this.policy(), o));
  }

  dlp(events: readonly DlpEvent[]): void {
    for (const r of dlpRecords(events, this.policy(), { args: "none" })) console.log(JSON.stringify(r));
  }

  event(event: string, fields: Record<string, unknown>, level: "INFO" | "WARN" = "INFO"): void {
    console.log(JSON.stringify(eventRecord(event, fields, this.policy(), { args: "none" }, level)));
  }
}
