// The HTTP gateway (sidecar): MCP Streamable HTTP in front of one or more upstream MCP servers, plus the
// decision API. The gateway itself is the host kit's (hosts/kit/gateway/, which the Worker runs too); this
// file gives it Node's pieces: the compiled policy with hot reload, the audit file, metrics, the upstream
// fetch over pooled keep-alive connections (upstream-send.ts), and the lifecycle (listen, readiness, graceful shutdown).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ArgsMode } from "../../kit/audit.ts";
import { serveMcp, type GatewayHost } from "../../kit/gateway/mcp.ts";
import { approvalAt } from "../../kit/gateway/approval.ts";
import { router, type Router } from "../../kit/gateway/routes.ts";
import { openHostContext } from "../context.ts";
import { stopCompiler, type WorkerCompileOptions } from "../proxy/compile-worker.ts";
import { Logger } from "../proxy/log.ts";
import { parseListenAddress, startMetricsServer, type MetricsServer } from "../proxy/metrics-server.ts";
import { PolicyReloader } from "../proxy/reload.ts";
import { nodeSend } from "./upstream-send.ts";
import { ClientGone, readBody, requestHeaders, sendJson, writeAnswer } from "./node-http.ts";
import { BATCH_PATH, VALIDATE_PATH, ValidateApi } from "./validate-api.ts";

export type GatewayMode = "enforce" | "monitor" | "bypass";

export interface GatewayOptions {
  policy: string;
  /** host:port of the MCP listener (port 0: any free port). */
  listen: string;
  /** Upstreams: "https://host/mcp" (every path), or "/prefix=https://host/mcp" (longest prefix wins). */
  upstreams: string[];
  /** host:port of /metrics, /healthz, /readyz (null: not served). */
  metricsAddr: string | null;
  /** Operator override of the policy's mode; bypass forwards without evaluation. */
  mode: GatewayMode | null;
  audit: string;
  auditArgs: ArgsMode;
  auditMaxBytes: number;
  auditKeep: number;
  verbose: boolean;
  /** Bearer token of the decision API (null: none). */
  apiToken: string | null;
  approvalUrl: string | null;
  approvalTimeoutMs: number;
  upstreamTimeoutMs: number;
  maxMessageBytes: number;
  maxResponseBytes: number;
  maxBatchChecks: number;
  reload: boolean;
  home?: string;
  cwd?: string;
  /** How long shutdown waits for requests in flight. */
  graceMs: number;
}

export class GatewayConfigError extends Error {}

export interface RunningGateway {
  /** host:port the MCP listener is bound to. */
  address: string;
  metricsAddress: string | null;
  /** Read the policy file again now, even if unchanged, and activate it (as SIGHUP does for a change). */
  reload(): Promise<void>;
  /** The active policy's hash. */
  readonly policyHash: string | null;
  /** Stop accepting, let requests in flight finish (up to graceMs), close everything. */
  close(): Promise<void>;
}

/** "/github=https://api.example.com/mcp" or a bare URL (mounted at "/"). */
export function upstreamRouter(upstreams: string[]): Router {
  if (upstreams.length === 0) throw new GatewayConfigError("--upstream is required: the MCP server's URL, e.g. --upstream http://127.0.0.1:3001/mcp");
  const names = { upstream: "--upstream", routes: "--upstream" };
  if (upstreams.length === 1 && !upstreams[0].startsWith("/")) return router(upstreams[0], undefined, names);
  const table: Record<string, string> = {};
  for (const u of upstreams) {
    const eq = u.indexOf("=");
    const [prefix, url] = u.startsWith("/") && eq > 0 ? [u.slice(0, eq), u.slice(eq + 1)] : ["/", u];
    if (prefix in table) throw new GatewayConfigError(`--upstream: two upstreams for ${prefix}`);
    table[prefix] = url;
  }
  return router(undefined, table, names);
}

function listenOn(server: Server, addr: string, flag: string): Promise<string> {
  const { host, port } = parseListenAddress(addr, flag);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const a = server.address() as AddressInfo;
      resolve(`${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`);
    });
  });
}

export async function startGateway(o: GatewayOptions, stderr: NodeJS.WritableStream = process.stderr): Promise<RunningGateway> {
  const log = new Logger(stderr as any, o.verbose);
  let route: Router;
  try {
    route = upstreamRouter(o.upstreams);
  } catch (e) {
    throw new GatewayConfigError((e as Error).message);
  }
  const bypass = o.mode === "bypass";
  const compileOptions: WorkerCompileOptions = { home: o.home, cwd: o.cwd, maxMessageBytes: o.maxMessageBytes, mode: o.mode === "enforce" || o.mode === "monitor" ? o.mode : undefined };
  const { ctx, first } = await openHostContext(o, compileOptions, log);
  const { audit, metrics } = ctx;
  if (o.mode !== null && !bypass && ctx.auditPolicy.mode !== o.mode) {
    audit.close();
    stopCompiler();
    throw new GatewayConfigError(`--mode ${o.mode}: ${o.policy} is a compiled bundle whose mode is ${ctx.auditPolicy.mode}; give the policy YAML (or compile it in ${o.mode} mode)`);
  }
  const policyName = () => ctx.current.policy?.metadata.name ?? null;
  if (bypass) {
    const warning = "BYPASS MODE: every MCP message is forwarded WITHOUT policy evaluation and answers WITHOUT DLP (--mode bypass --allow-bypass). Nothing is enforced.";
    for (let i = 0; i < 3; i++) log.info(`WARNING: ${warning}`);
    ctx.recordEvent("BYPASS_ENABLED", { reason: warning }, "WARN");
  }

  const host: GatewayHost = {
    engine: ctx.engine,
    audit: {
      decision: (v) => {
        const r = ctx.recordDecision(v);
        ctx.audit.commit(); // on disk before the message moves on
        return r;
      },
      approval: (asked, outcome, via, waitedMs, denial) => ctx.recordApproval(asked, outcome, via, waitedMs, denial),
      dlp: (events) => {
        ctx.recordDlp(events);
        ctx.audit.commit();
      },
      event: (event, fields, level = "INFO") => {
        ctx.recordEvent(event, fields, level);
        if (level === "WARN") log.info(`${event}${fields.upstream ? ` (${fields.upstream})` : ""}: ${ctx.redactForLog(String(fields.reason ?? ""))}`);
      },
    },
    decide: (message) => ctx.engine.evaluate(message, performance.now()),
    observe: (v, seconds) => {
      ctx.countVerdict(v, seconds);
      ctx.logVerdict(v);
    },
    send: nodeSend,
    approval: o.approvalUrl ? approvalAt(new URL(o.approvalUrl)) : null,
    approvalTimeoutMs: o.approvalTimeoutMs,
    upstreamTimeoutMs: o.upstreamTimeoutMs,
    maxResponseBytes: o.maxResponseBytes,
    bypass,
  };
  const api = new ValidateApi(ctx, { token: o.apiToken, maxBodyBytes: o.maxMessageBytes, maxBatchChecks: o.maxBatchChecks });

  let stopping = false;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://gateway.invalid");
    if (url.pathname === VALIDATE_PATH || url.pathname === BATCH_PATH) return api.handle(req, res, url.pathname);
    const target = route(url);
    if (target === null) return sendJson(res, 404, { error: "not_found", message: `no upstream for ${url.pathname}` });
    const body = req.method === "POST" ? await readBody(req, o.maxMessageBytes) : null;
    const headers = requestHeaders(req);
    const answer = await serveMcp({ method: req.method ?? "GET", headers, body: body?.bytes ?? null, truncated: body?.truncated }, target, host);
    if (body?.truncated) answer.headers.push(["connection", "close"]); // the rest of the body is not read
    await writeAnswer(res, answer);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (e instanceof ClientGone) return; // nothing to answer, nothing was forwarded
      log.error(`request ${req.method} ${ctx.redactForLog(req.url ?? "")}: ${(e as Error)?.stack ?? e}`);
      if (!res.headersSent) sendJson(res, 500, { error: "internal_error", message: "the gateway failed on this request" });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000; // longer than the usual load balancer's idle timeout

  let metricsServer: MetricsServer | null = null;
  let address: string;
  try {
    address = await listenOn(server, o.listen, "--listen");
    if (o.metricsAddr) metricsServer = await startMetricsServer(o.metricsAddr, metrics.registry, () => !stopping && ctx.engine.policyHash !== null);
  } catch (e) {
    server.close();
    audit.close();
    stopCompiler();
    throw new GatewayConfigError(`cannot listen: ${(e as Error).message}`);
  }
  const upstreamList = o.upstreams.map((u) => ctx.redactForLog(u)).join(", ");
  log.info(`Gateway listening on http://${address} -> ${upstreamList}; decision API: POST ${VALIDATE_PATH}, ${BATCH_PATH}${o.apiToken ? " (bearer token required)" : ""}`);
  if (metricsServer) log.info(`Metrics on http://${metricsServer.address}/metrics (/healthz, /readyz)`);
  if (!/^(127\.|\[::1\]|localhost)/.test(address)) {
    log.info(`WARNING: listening on ${address}, beyond this machine, in plain HTTP: whoever reaches it talks to the upstream under this policy${o.apiToken ? "" : " and may use the decision API without a token"}; keep it behind a NetworkPolicy or a TLS-terminating proxy`);
  }

  const reloader = new PolicyReloader(o.policy, first.source, compileOptions, ctx, { watch: o.reload, policyName }, () => {});

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      stopping = true;
      reloader.close();
      stopCompiler();
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), o.graceMs);
      await drained;
      clearTimeout(timer);
      await metricsServer?.close();
      ctx.recordEvent("GATEWAY_STOPPED", {});
      audit.close();
    })());
  return {
    address,
    metricsAddress: metricsServer?.address ?? null,
    reload: () => reloader.reload(true),
    get policyHash() {
      return ctx.engine.policyHash;
    },
    close,
  };
}
