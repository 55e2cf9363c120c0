// What the end-to-end drivers make of a host's traces: the audit records it wrote (read incrementally from an
// audit file, or taken from its log), the outcome of a decision vector from the record that decided it, and the
// outcome of a response vector from the answer the client received.
import { closeSync, existsSync, fstatSync, openSync, readSync } from "node:fs";
import type { DecisionOutcome, ResponseInput, ResponseOutcome } from "../types.ts";

/** An audit file (JSON Lines) read as it grows: the host writes whole records before a message moves on. */
export class AuditFile {
  /** Bytes already read. */
  private read = 0;

  constructor(readonly path: string) {}

  /** The records written since the last call. */
  next(): Record<string, any>[] {
    if (!existsSync(this.path)) return [];
    const fd = openSync(this.path, "r");
    try {
      const size = fstatSync(fd).size;
      const buf = Buffer.alloc(size - this.read);
      readSync(fd, buf, 0, buf.length, this.read);
      this.read = size;
      return buf.toString("utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * The audit record that decided a vector, among the records it caused: the last decision, or for a question left
 * open its ASK record (the answer the driver gave afterwards is not the vector's).
 */
export function decidingRecord(records: Record<string, any>[], asked: boolean): Record<string, any> | undefined {
  const decisions = records.filter((r) => "decision" in r);
  return asked ? decisions.filter((r) => r.decision === "ASK").at(-1) : decisions.at(-1);
}

/**
 * A decision vector's outcome from the audit record that decided it (none: allowed) and what the client saw.
 * `asked`: the host asked about the message and nobody answered, so the outcome is ASK, whatever the record.
 */
export function decisionOutcome(
  record: Record<string, any> | undefined,
  seen: { asked: boolean; reply: Record<string, any> | null; forwarded: boolean },
): DecisionOutcome {
  let decision = String(record?.decision ?? "ALLOW");
  if (decision === "ALLOW_MONITOR") decision = "ALLOW";
  if (seen.asked) decision = "ASK";
  const pending = decision === "ALLOW" || decision === "ASK";
  return {
    decision: decision as DecisionOutcome["decision"],
    errorCode: pending ? null : (record?.error_code ?? seen.reply?.error?.code ?? null),
    violation: record?.violation ?? false,
    response: seen.reply,
    forwarded: seen.forwarded,
    rule: record?.rule ?? "",
    reason: record?.reason ?? "",
  };
}

/** The DLP events among audit records. */
export function dlpEvents(records: Record<string, any>[]): ResponseOutcome["events"] {
  return records.filter((r) => r.event === "DLP_TRIGGERED").map((r) => ({ rule: r.dlp_rule as string, count: r.dlp_match_count as number }));
}

/**
 * A response vector's outcome from the message the client received (`output`, one JSON-RPC message): for a
 * plain-content vector the text of its result, otherwise the whole message. `through` names the host in errors.
 */
export function answerOutcome(input: ResponseInput, output: string, events: ResponseOutcome["events"], through: string): ResponseOutcome {
  if (input.content === undefined) return { output, events };
  const got = JSON.parse(output)?.result?.text;
  if (typeof got !== "string") throw new Error(`unexpected answer through ${through}: ${output}`);
  return { output: got, events };
}
