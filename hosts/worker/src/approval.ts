// `action: ask` at the edge, where no human is attached to the connection. Without an approval service the
// call is refused at once with the engine's -32005 (nobody can answer in time). With one, the ASK audit
// record is POSTed to it: 200 approves, 403 denies (-32004), anything else, an error or no answer within
// APPROVAL_TIMEOUT_MS is a timeout (-32005) — the Envoy filter's contract.
import type { ApprovalChannelName, AuditRecord } from "../../kit/audit.ts";
import type { Verdict } from "../../kit/engine.ts";
import type { Gate } from "./gate.ts";
import type { AskService } from "./settings.ts";

export type Answer = "approved" | "denied" | "timeout";

async function askService(service: AskService, record: AuditRecord, timeoutMs: number): Promise<Answer> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const res = await service(JSON.stringify(record), abort.signal);
    await res.body?.cancel();
    return res.status === 200 ? "approved" : res.status === 403 ? "denied" : "timeout";
  } catch {
    return "timeout";
  } finally {
    clearTimeout(timer);
  }
}

/** Ask, audit the answer, and return the engine's denial when the call may not go on (null: approved). */
export async function decideAsk(gate: Gate, message: Uint8Array, asked: Verdict, record: AuditRecord, service: AskService | null, timeoutMs: number): Promise<Verdict | null> {
  const started = Date.now();
  const answer = service ? await askService(service, record, timeoutMs) : "timeout";
  const via = (service ? "http" : "none") as ApprovalChannelName;
  const waited = Date.now() - started;
  if (answer === "approved") {
    await gate.audit.approval(asked, "approved", via, waited, null);
    return null;
  }
  const denial = gate.engine.deny(message, answer === "denied" ? -32004 : -32005);
  await gate.audit.approval(asked, answer, via, waited, denial);
  return denial;
}
