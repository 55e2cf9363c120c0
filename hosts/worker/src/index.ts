// toolgate at the edge: a Cloudflare Worker in front of MCP servers speaking Streamable HTTP. The gateway
// itself is the host kit's (hosts/kit/gateway/, shared with the Node gateway); this adapter gives it the
// isolate's engine and policy (gate.ts), console audit records, the runtime's fetch, and optionally the
// rate-limit Durable Object (docs/worker.md).
import type { Env, ExecutionContext } from "./env.ts";
import { settings, type Settings } from "./settings.ts";
import { ConfigError } from "../../kit/gateway/routes.ts";
import { serveMcp, textResponse, type GatewayHost } from "../../kit/gateway/mcp.ts";
import { Gate } from "./gate.ts";
import { globalVerdict } from "./global-limits.ts";

export { ToolgateLimits } from "./global-limits.ts";

/** A wrong setting refuses every request with a clear message instead of running with a weaker configuration. */
function configFailure(message: string): Response {
  console.log(JSON.stringify({ time: new Date().toISOString(), level: "ERROR", msg: "event", event: "CONFIG_REFUSED", reason: message }));
  return textResponse(500, `configuration refused: ${message}`);
}

function gatewayHost(gate: Gate, s: Settings, env: Env): GatewayHost {
  const limits = env.RATE_LIMITS;
  return {
    engine: gate.engine,
    audit: gate.audit,
    decide: limits ? (message) => globalVerdict(limits, message) : (message) => gate.engine.evaluate(message, Date.now()),
    fetch: (url, init) => fetch(url, init),
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
    if (target === null) return textResponse(404, "no route for this path");
    const gate = await Gate.ready(env, s);
    const body = request.method === "POST" ? new Uint8Array(await request.arrayBuffer()) : null;
    return serveMcp({ method: request.method, headers: request.headers, body }, target, gatewayHost(gate, s, env));
  },
};
