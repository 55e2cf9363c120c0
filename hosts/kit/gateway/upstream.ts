// Passing a request on to the upstream MCP server. The client's headers go along (Mcp-Session-Id,
// Authorization, Last-Event-ID, ...) except those the gateway must own; the answer comes back through the
// scanner. An upstream that cannot be reached, is too slow to answer or fails with a 5xx is reported to the
// client as a JSON-RPC error naming the upstream (502, or 504 for a timeout), and the gateway serves on.
import type { Verdict } from "../engine.ts";
import { hostError } from "../host-errors.ts";
import type { GatewayHost, McpRequest } from "./mcp.ts";
import { jsonAnswer, withoutHeaders, type Answer, type Cancel } from "./http.ts";
import { scanAnswer } from "./responses.ts";

/**
 * Headers that belong to one connection, never forwarded (RFC 9110 7.6.1), those the gateway sets itself, and
 * Accept-Encoding: the gateway asks for an uncompressed answer, which it can scan as it arrives.
 */
const NOT_FORWARDED = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host", "content-length", "accept-encoding"]);

/** How the upstream is named to the client and in the audit log: its origin and path, never its query. */
export function upstreamName(target: URL): string {
  return target.origin + target.pathname;
}

/**
 * The upstream failed. A request gets a JSON-RPC error with its id; a notification or a GET only the status.
 * `v` is the verdict of the forwarded message (null for GET/DELETE and in bypass mode).
 */
export function upstreamFault(host: GatewayHost, target: URL, v: Verdict | null, status: 502 | 504, problem: string, extra: Record<string, unknown> = {}): Answer {
  const upstream = upstreamName(target);
  host.audit.event("UPSTREAM_FAILED", { upstream, reason: problem, status, method: v?.method ?? undefined, ...extra }, "WARN");
  if (v !== null && v.kind !== "request") return { status, headers: [], body: null };
  return jsonAnswer(status, faultAnswer(v?.id ?? null, upstream, problem, extra));
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

/** An upstream exchange in progress: the timer of --upstream-timeout cuts it off through `cancel`. */
export class Exchange {
  readonly cancel: Cancel = { cancelled: false, onCancel: null };
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(readonly target: URL, readonly verdict: Verdict | null, readonly timeoutMs: number) {
    if (timeoutMs > 0) {
      this.timer = setTimeout(() => {
        this.cancel.cancelled = true;
        this.cancel.onCancel?.();
      }, timeoutMs);
    }
  }

  get timedOut(): boolean {
    return this.cancel.cancelled;
  }

  /** The answer arrived (or the exchange failed): the timer stops. */
  settle(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

export async function forward(request: McpRequest, target: URL, host: GatewayHost, body: Uint8Array | null, v: Verdict | null): Promise<Answer> {
  const x = new Exchange(target, v, host.upstreamTimeoutMs);
  const send = { method: request.method, headers: withoutHeaders(request.headers, NOT_FORWARDED), body: request.method === "GET" || request.method === "HEAD" ? null : body };
  let res;
  try {
    res = await host.send(target, send, x.cancel);
  } catch (e) {
    x.settle();
    if (x.timedOut) return upstreamFault(host, target, v, 504, `did not answer within ${x.timeoutMs} ms`);
    return upstreamFault(host, target, v, 502, `is unreachable: ${describe(e)}`);
  }
  if (res.status >= 500) {
    x.settle();
    await res.body?.return();
    return upstreamFault(host, target, v, 502, `answered HTTP ${res.status}`, { upstream_status: res.status });
  }
  return scanAnswer(res, host, x);
}
