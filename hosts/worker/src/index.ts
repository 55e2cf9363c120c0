// toolgate at the edge: a Cloudflare Worker in front of MCP servers speaking Streamable HTTP. The gateway
// itself is the host kit's (hosts/kit/gateway/, shared with the Node gateway); this adapter gives it the
// isolate's engine and policy (gate.ts), console audit records, the runtime's fetch, and optionally the
// rate-limit Durable Object (docs/worker.md).
import type { Env, ExecutionContext } from "./env.ts";
import { settings, type Settings } from "./settings.ts";
import { ConfigError } from "../../kit/gateway/routes.ts";
import { serveMcp, type GatewayHost } from "../../kit/gateway/mcp.ts";
import { chunksOf, streamOf, textAnswer, type Answer, type Cancel, type UpstreamAnswer, type UpstreamRequest } from "../../kit/gateway/http.ts";
import { Gate } from "./gate.ts";
import { globalVerdict } from "./global-limits.ts";

export { ToolgateLimits } from "./global-limits.ts";

/** A wrong setting refuses every request with a clear message instead of running with a weaker configuration. */
function configFailure(message: string): Response {
  console.log(JSON.stringify({ time: new Date().toISOString(), level: "ERROR", msg: "event", event: "CONFIG_REFUSED", reason: message }));
  return toResponse(textAnswer(500, `configuration refused: ${message}`));
}

/** The gateway's answer as the runtime's Response (a streamed body is pulled as the client reads). */
function toResponse(a: Answer): Response {
  const body = a.body === null ? null : a.body instanceof Uint8Array ? (a.body as Uint8Array<ArrayBuffer>) : streamOf(a.body);
  return new Response(body, { status: a.status, headers: a.headers });
}

/** The upstream request through the runtime's fetch. */
async function send(url: URL, r: UpstreamRequest, cancel: Cancel): Promise<UpstreamAnswer> {
  const abort = new AbortController();
  cancel.onCancel = () => abort.abort();
  const res = await fetch(url, { method: r.method, headers: r.headers, body: r.body as Uint8Array<ArrayBuffer> | null, redirect: "manual", signal: abort.signal });
  return { status: res.status, headers: [...res.headers], body: res.body === null ? null : chunksOf(res.body) };
}

function gatewayHost(gate: Gate, s: Settings, env: Env): GatewayHost {
  const limits = env.RATE_LIMITS;
  return {
    engine: gate.engine,
    audit: gate.audit,
    decide: limits ? (message) => globalVerdict(limits, message) : (message) => gate.engine.evaluate(message, Date.now()),
    send,
    approval: s.approval,
    approvalTimeoutMs: s.approvalTimeoutMs,
    upstreamTimeoutMs: s.upstreamTimeoutMs,
    maxResponseBytes: s.maxResponseBytes,
    bypass: false,
  };
}

export default {
  async fetch(request: Request, env: Env, _ctx: ExecutionContext): Promise<Response> {
    let s: Settings;
    try {
      s = settings(env);
    } catch (e) {
      if (e instanceof ConfigError) return configFailure(e.message);
      throw e;
    }
    const target = s.route(new URL(request.url));
    if (target === null) return toResponse(textAnswer(404, "no route for this path"));
    const gate = await Gate.ready(env, s);
    const body = request.method === "POST" ? new Uint8Array(await request.arrayBuffer()) : null;
    return toResponse(await serveMcp({ method: request.method, headers: [...request.headers], body }, target, gatewayHost(gate, s, env)));
  },
};
