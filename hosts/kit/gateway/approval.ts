// `action: ask` on an HTTP gateway, where no human is attached to the connection. Without an approval service
// the call is refused at once with the engine's -32005 (nobody can answer in time). With one, the ASK audit
// record is POSTed to it: 200 approves, 403 denies (-32004), anything else, an error or no answer within the
// timeout is a timeout (-32005). The Envoy filter has the same contract.
import type { AuditRecord, ApprovalChannelName } from "../audit.ts";
import type { Verdict } from "../engine.ts";
import type { GatewayHost } from "./mcp.ts";

/** POSTs the ASK audit record to the approval service; its HTTP status is the answer. */
export type AskService = (record: string, signal: AbortSignal) => Promise<Response>;

export type Answer = "approved" | "denied" | "timeout";

/** An approval service at a URL (the runtime's fetch). */
export function approvalAt(url: URL, fetcher: (url: URL, init: RequestInit) => Promise<Response> = (u, i) => fetch(u, i)): AskService {
  return (body, signal) => fetcher(url, { method: "POST", headers: { "content-type": "application/json" }, body, signal });
}

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
export async function askApproval(host: GatewayHost, message: Uint8Array, asked: Verdict, record: AuditRecord): Promise<Verdict | null> {
  const started = Date.now();
  const answer = host.approval ? await askService(host.approval, record, host.approvalTimeoutMs) : "timeout";
  const via: ApprovalChannelName = host.approval ? "http" : "none";
  const waited = Date.now() - started;
  if (answer === "approved") {
    await host.audit.approval(asked, "approved", via, waited, null);
    return null;
  }
  const denial = host.engine.deny(message, answer === "denied" ? -32004 : -32005);
  await host.audit.approval(asked, answer, via, waited, denial);
  return denial;
}
