// The MCP Streamable HTTP gateway that the Node gateway and the Cloudflare Worker share (one small core, one
// thin adapter per runtime). Every POSTed JSON-RPC message is decided by the engine before it may reach the
// upstream; the answers come back through the engine's DLP and tools/list filter (responses.ts). This file
// maps verdicts onto HTTP (docs/gateway.md); it decides nothing itself. It speaks the plain shapes of http.ts,
// which each adapter converts from and to its runtime's own, so it runs in Node and in workerd alike.
import { EngineTrap, type DlpEvent, type Verdict } from "../engine.ts";
import { needsRecord, type ApprovalChannelName, type ApprovalOutcome, type AuditRecord } from "../audit.ts";
import { engineFailureAnswer } from "../host-errors.ts";
import { forward } from "./upstream.ts";
import { askApproval, type AskService } from "./approval.ts";
import type { Engine } from "../engine.ts";
import { jsonAnswer, textAnswer, type Answer, type Cancel, type HeaderList, type UpstreamAnswer, type UpstreamRequest } from "./http.ts";

/** Where the gateway's records go (JSON Lines file, console, ...); the host also counts them as metrics there. */
export interface GatewayAudit {
  decision(v: Verdict): AuditRecord | Promise<AuditRecord>;
  approval(asked: Verdict, outcome: ApprovalOutcome, via: ApprovalChannelName, waitedMs: number, denial: Verdict | null): unknown;
  dlp(events: readonly DlpEvent[]): void;
  event(event: string, fields: Record<string, unknown>, level?: "INFO" | "WARN"): void;
}

/** What a runtime gives the gateway. */
export interface GatewayHost {
  readonly engine: Engine;
  readonly audit: GatewayAudit;
  /** The engine's verdict on a client message (the Worker may ask its rate-limit Durable Object instead). */
  decide(message: Uint8Array): Verdict | Promise<Verdict>;
  /** Called once per decided message, with the time the decision took (metrics). */
  observe?(v: Verdict, seconds: number): void;
  /**
   * Send a request to the upstream (pooled keep-alive connections in Node, the runtime's fetch in a Worker).
   * Rejects when the upstream cannot be reached; `cancel.onCancel` cuts the exchange off, body included.
   */
  send(url: URL, request: UpstreamRequest, cancel: Cancel): Promise<UpstreamAnswer>;
  /** Approval service for `action: ask` (null: asked calls time out at once with -32005). */
  approval: AskService | null;
  approvalTimeoutMs: number;
  /** How long the upstream may take to send its response headers (and a JSON body); 0: no limit. */
  upstreamTimeoutMs: number;
  /** The largest JSON response read whole to be scanned; a larger one is withheld. */
  maxResponseBytes: number;
  /** Operator override: forward without evaluation or DLP (refused unless explicitly allowed). */
  bypass: boolean;
}

/** A client request as the adapter read it. */
export interface McpRequest {
  method: string;
  headers: HeaderList;
  /** The POSTed message (null for GET/DELETE/...). */
  body: Uint8Array | null;
  /** The body was longer than the host reads; `body` is its first bytes (the engine refuses it). */
  truncated?: boolean;
}

const PASSED_METHODS = new Set(["GET", "HEAD", "DELETE", "OPTIONS"]);

/** Serve one MCP request for the upstream `target`. */
export async function serveMcp(request: McpRequest, target: URL, host: GatewayHost): Promise<Answer> {
  if (request.method === "POST") return post(request, target, host);
  // The server's event stream (GET), the end of a session (DELETE) and CORS preflights carry no message to
  // decide; what comes back is scanned all the same.
  if (PASSED_METHODS.has(request.method)) return forward(request, target, host, null, null);
  return textAnswer(405, "method not allowed", [["allow", "GET, POST, DELETE, HEAD, OPTIONS"]]);
}

async function post(request: McpRequest, target: URL, host: GatewayHost): Promise<Answer> {
  const message = request.body ?? new Uint8Array(0);
  if (host.bypass) return forward(request, target, host, message, null);
  const started = performance.now();
  let v: Verdict;
  try {
    v = await host.decide(message);
  } catch (e) {
    if (e instanceof EngineTrap) return decideFailure(host, message, e);
    throw e;
  }
  host.observe?.(v, (performance.now() - started) / 1000);
  const record = needsRecord(v) ? await host.audit.decision(v) : null;
  switch (v.verdict) {
    case "forward":
      return forward(request, target, host, message, v);
    case "rewrite":
      return forward(request, target, host, v.response!, v);
    case "reply":
      // A JSON-RPC error answers a request like any result (HTTP 200); a message that is not a request gets
      // 400, or 413 when it was too large to read.
      return jsonAnswer(v.kind === "request" ? 200 : request.truncated ? 413 : 400, v.response!);
    case "drop":
      // A refused notification gets no JSON-RPC answer; HTTP still says it was not accepted.
      return { status: v.kind === "notification" ? 403 : request.truncated ? 413 : 400, headers: [], body: null };
    case "ask": {
      const denial = await askApproval(host, message, v, record!);
      return denial === null ? forward(request, target, host, message, v) : jsonAnswer(200, denial.response!);
    }
  }
}

/** A client message the engine could not decide: refused, never forwarded. */
function decideFailure(host: GatewayHost, message: Uint8Array, e: EngineTrap): Answer {
  host.audit.event("ENGINE_FAILURE", { reason: e.message, direction: "upstream", decision: "BLOCK", error_code: -32603 }, "WARN");
  const answer = engineFailureAnswer(message, host.engine.policyHash);
  return answer === null ? { status: 500, headers: [], body: null } : jsonAnswer(500, answer);
}
