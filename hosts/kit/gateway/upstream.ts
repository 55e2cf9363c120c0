// Passing a request on to the upstream MCP server. The client's headers go along (Mcp-Session-Id,
// Authorization, Last-Event-ID, ...) except those the gateway must own; the answer comes back through the
// scanner. An upstream that cannot be reached, is too slow to answer or fails with a 5xx is reported to the
// client as a JSON-RPC error naming the upstream (502, or 504 for a timeout), and the gateway serves on.
import type { Verdict } from "../engine.ts";
import { hostError } from "../host-errors.ts";
import type { GatewayHost, McpRequest } from "./mcp.ts";
import { jsonResponse } from "./mcp.ts";
import { scanResponse } from "./responses.ts";

/** Headers that belong to one connection, never forwarded (RFC 9110 7.6.1), plus those the gateway sets. */
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host", "content-length"];

function forwardHeaders(h: Headers): Headers {
  const out = new Headers(h);
  for (const name of HOP_BY_HOP) out.delete(name);
  // Ask for an uncompressed answer, which the scanner can read as it arrives.
  out.delete("accept-encoding");
  return out;
}

/** How the upstream is named to the client and in the audit log: its origin and path, never its query. */
export function upstreamName(target: URL): string {
  return target.origin + target.pathname;
}

/**
 * The upstream failed. A request gets a JSON-RPC error with its id; a notification or a GET only the status.
 * `v` is the verdict of the forwarded message (null for GET/DELETE and in bypass mode).
 */
export function upstreamFault(host: GatewayHost, target: URL, v: Verdict | null, status: 502 | 504, problem: string, extra: Record<string, unknown> = {}): Response {
  const upstream = upstreamName(target);
  host.audit.event("UPSTREAM_FAILED", { upstream, reason: problem, status, method: v?.method ?? undefined, ...extra }, "WARN");
  if (v !== null && v.kind !== "request") return new Response(null, { status });
  return jsonResponse(status, faultAnswer(v?.id ?? null, upstream, problem, extra));
}

/** The JSON-RPC error of an upstream failure. */
export function faultAnswer(idText: string | null, upstream: string, problem: string, extra: Record<string, unknown> = {}): string {
  return hostError(idText, `upstream ${upstream} ${problem}`, { upstream, ...extra });
}

/** What went wrong, by the system error code when there is one (fetch puts it in `cause`). */
function describe(e: unknown): string {
  const err = e as { message?: string; code?: string; cause?: { code?: string; message?: string } };
  const source = err?.cause?.code ? err.cause : err;
  const code = source?.code;
  const message = source?.message ?? String(e);
  if (code) return message.includes(code) ? code : `${code} (${message})`;
  return message;
}

export async function forward(request: McpRequest, target: URL, host: GatewayHost, body: Uint8Array | null, v: Verdict | null): Promise<Response> {
  const abort = new AbortController();
  const timeout = host.upstreamTimeoutMs;
  let timedOut = false;
  const timer = timeout > 0 ? setTimeout(() => ((timedOut = true), abort.abort()), timeout) : null;
  const init: RequestInit = { method: request.method, headers: forwardHeaders(request.headers), redirect: "manual", signal: abort.signal };
  if (body !== null && request.method !== "GET" && request.method !== "HEAD") init.body = body as Uint8Array<ArrayBuffer>;
  let res: Response;
  try {
    res = await host.fetch(target, init);
  } catch (e) {
    if (timer) clearTimeout(timer);
    if (timedOut) return upstreamFault(host, target, v, 504, `did not answer within ${timeout} ms`);
    return upstreamFault(host, target, v, 502, `is unreachable: ${describe(e)}`);
  }
  if (res.status >= 500) {
    if (timer) clearTimeout(timer);
    await res.body?.cancel().catch(() => {});
    return upstreamFault(host, target, v, 502, `answered HTTP ${res.status}`, { upstream_status: res.status });
  }
  return scanResponse(res, host, { target, verdict: v, abort, timer, timedOut: () => timedOut });
}
