// toolgate at the edge: a Cloudflare Worker in front of MCP servers speaking Streamable HTTP. Every POSTed
// JSON-RPC message is decided by engine.wasm (the host kit's binding) before it may reach the upstream; the
// answers come back through the engine's DLP and tools/list filter. The Worker moves bytes and maps verdicts
// onto HTTP (docs/worker.md); it decides nothing itself.
import { EngineTrap, type Verdict } from "../../kit/engine.ts";
import { needsRecord } from "../../kit/audit.ts";
import type { Env, ExecutionContext } from "./env.ts";
import { settings, type Settings } from "./settings.ts";
import { ConfigError } from "./routes.ts";
import { Gate } from "./gate.ts";
import { forward } from "./forward.ts";
import { decideAsk } from "./approval.ts";
import { configFailure, decideFailure, jsonResponse } from "./failure.ts";
import { globalVerdict } from "./global-limits.ts";

export { ToolgateLimits } from "./global-limits.ts";

const PASSED_METHODS = new Set(["GET", "HEAD", "DELETE", "OPTIONS"]);

async function post(request: Request, target: URL, gate: Gate, s: Settings, env: Env): Promise<Response> {
  const message = new Uint8Array(await request.arrayBuffer());
  let v: Verdict;
  try {
    v = env.RATE_LIMITS ? await globalVerdict(env.RATE_LIMITS, message) : gate.engine.evaluate(message, Date.now());
  } catch (e) {
    if (e instanceof EngineTrap) return decideFailure(gate, message, e);
    throw e;
  }
  const record = needsRecord(v) ? await gate.audit.decision(v) : null;
  switch (v.verdict) {
    case "forward":
      return forward(request, target, gate, message, v.toolsList);
    case "rewrite":
      return forward(request, target, gate, v.response!, v.toolsList);
    case "reply":
      // A JSON-RPC error answers a request like any result (HTTP 200); a message that is not a request gets 400.
      return jsonResponse(v.kind === "request" ? 200 : 400, v.response!);
    case "drop":
      // A refused notification gets no JSON-RPC answer; HTTP still says it was not accepted.
      return new Response(null, { status: v.kind === "notification" ? 403 : 400 });
    case "ask": {
      const denial = await decideAsk(gate, message, v, record!, s.approval, s.approvalTimeoutMs);
      return denial === null ? forward(request, target, gate, message, v.toolsList) : jsonResponse(200, denial.response!);
    }
  }
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
    if (target === null) return new Response("toolgate: no route for this path\n", { status: 404, headers: { "content-type": "text/plain" } });
    const gate = await Gate.ready(env, s);
    if (request.method === "POST") return post(request, target, gate, s, env);
    // The server's event stream (GET), the end of a session (DELETE) and CORS preflights carry no message to
    // decide; what comes back is scanned all the same.
    if (PASSED_METHODS.has(request.method)) return forward(request, target, gate, null, false);
    return new Response("toolgate: method not allowed\n", { status: 405, headers: { allow: "GET, POST, DELETE, HEAD, OPTIONS", "content-type": "text/plain" } });
  },
};
