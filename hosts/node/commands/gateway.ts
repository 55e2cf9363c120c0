// `toolgate gateway`: the HTTP sidecar in front of MCP servers speaking Streamable HTTP, with the decision API.
// Every option can also come from the environment (TOOLGATE_<OPTION>, e.g. TOOLGATE_POLICY, TOOLGATE_LISTEN,
// TOOLGATE_UPSTREAM), so a ConfigMap can drive it; a flag on the command line wins.
import { readFileSync } from "node:fs";
import { startGateway, type GatewayMode, type GatewayOptions } from "../gateway/gateway.ts";
import { CliError, UsageError, type Command, type OptionSpec } from "../command.ts";
import { parseDuration, size } from "./proxy.ts";
import type { ArgsMode } from "../../kit/audit.ts";

const options: Record<string, OptionSpec> = {
  policy: { type: "string", description: "policy YAML or compiled bundle (default: agent.yaml); reloaded when it changes" },
  listen: { type: "string", description: "host:port for MCP clients and the decision API (default: 127.0.0.1:9090)" },
  upstream: { type: "string", multiple: true, description: "the MCP server's URL; repeat as /prefix=URL for several (longest prefix wins)" },
  "metrics-addr": { type: "string", description: "host:port of /metrics, /healthz, /readyz (default: 127.0.0.1:9091; off: none)" },
  mode: { type: "string", description: "override the policy's mode: enforce, monitor (or audit), bypass (needs --allow-bypass)" },
  "allow-bypass": { type: "boolean", description: "confirm --mode bypass: forward everything without evaluation or DLP" },
  audit: { type: "string", description: "audit log file, JSON Lines (default: aip-audit.jsonl)" },
  "audit-args": { type: "string", description: "tool arguments in the audit log: full (DLP-redacted, default), hash, none" },
  "audit-max-bytes": { type: "string", description: "rotate the audit log at this size, e.g. 100M (default: never)" },
  "audit-keep": { type: "string", description: "rotated audit files kept (default: 5)" },
  "api-token": { type: "string", description: "bearer token the decision API requires (default: none; prefer --api-token-file)" },
  "api-token-file": { type: "string", description: "file holding the decision API's bearer token (e.g. a mounted Secret)" },
  "approval-url": { type: "string", description: "approval service for ask rules: the ASK record is POSTed; 200 approves, 403 denies" },
  "approval-timeout": { type: "string", description: "how long an ask waits for the approval service (default: 30s), then -32005" },
  "upstream-timeout": { type: "string", description: "how long an upstream may take to answer (default: 60s; 0: no limit), then 504" },
  "max-message-bytes": { type: "string", description: "largest client message or API body (default: 16M); larger ones are refused (413)" },
  "max-response-bytes": { type: "string", description: "largest JSON answer read whole to be scanned (default: 32M); larger ones are withheld (502)" },
  "max-batch": { type: "string", description: "most checks in one /v1/validate/batch (default: 100)" },
  "no-reload": { type: "boolean", description: "do not reload the policy when its file changes (SIGHUP still does)" },
  verbose: { type: "boolean", description: "log every decision on stderr" },
  home: { type: "string", description: "home directory for `~` in protected_paths (default: yours)" },
  cwd: { type: "string", description: "directory relative protected_paths resolve against (default: current)" },
};

/** TOOLGATE_<NAME> for every option not given on the command line (and MODE, see below). */
export function fromEnvironment(values: Record<string, any>, env: NodeJS.ProcessEnv): Record<string, any> {
  const out = { ...values };
  for (const [name, spec] of Object.entries(options)) {
    if (out[name] !== undefined) continue;
    const key = `TOOLGATE_${name.toUpperCase().replace(/-/g, "_")}`;
    let text = env[key];
    // MODE is MeshGuard's name for it, but a generic one (build tools set MODE=test, MODE=production): it
    // counts only when it names a mode, bypass excepted (that needs TOOLGATE_MODE or --mode).
    if (text === undefined && name === "mode" && /^(enforce|monitor|audit)$/i.test(env.MODE ?? "")) text = env.MODE;
    if (text === undefined || text === "") continue;
    if (spec.type === "boolean") {
      if (!/^(1|true|yes|0|false|no)$/i.test(text)) throw new UsageError(`${key} must be true or false: ${JSON.stringify(text)}`);
      out[name] = /^(1|true|yes)$/i.test(text);
    } else out[name] = spec.multiple ? text.split(/[\s,]+/).filter(Boolean) : text;
  }
  return out;
}

function positiveInteger(values: Record<string, any>, name: string, fallback: number): number {
  const n = Number(values[name] ?? fallback);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer`);
  return n;
}

function apiToken(values: Record<string, any>): string | null {
  if (values["api-token"] !== undefined && values["api-token-file"] !== undefined) throw new UsageError("give --api-token or --api-token-file, not both");
  if (values["api-token-file"] !== undefined) {
    let text: string;
    try {
      text = readFileSync(values["api-token-file"], "utf8").trim();
    } catch (e) {
      throw new CliError(`--api-token-file: ${(e as Error).message}`);
    }
    if (text === "") throw new CliError(`--api-token-file ${values["api-token-file"]} is empty`);
    return text;
  }
  return values["api-token"] || null;
}

export function gatewayOptions(values: Record<string, any>): GatewayOptions {
  const modeText = values.mode === undefined ? null : String(values.mode).toLowerCase();
  if (modeText !== null && !["enforce", "monitor", "audit", "bypass"].includes(modeText)) throw new UsageError(`--mode must be enforce, monitor (or audit) or bypass: ${JSON.stringify(values.mode)}`);
  const mode = (modeText === "audit" ? "monitor" : modeText) as GatewayMode | null;
  if (mode === "bypass" && !values["allow-bypass"]) {
    throw new UsageError("--mode bypass forwards every message without evaluation or DLP; it is refused unless --allow-bypass (TOOLGATE_ALLOW_BYPASS=true) confirms it");
  }
  const auditArgs = (values["audit-args"] ?? "full") as ArgsMode;
  if (!["full", "hash", "none"].includes(auditArgs)) throw new UsageError("--audit-args must be full, hash or none");
  const metrics = values["metrics-addr"] ?? "127.0.0.1:9091";
  return {
    policy: values.policy ?? "agent.yaml",
    listen: values.listen ?? "127.0.0.1:9090",
    upstreams: values.upstream ?? [],
    metricsAddr: metrics === "off" ? null : metrics,
    mode,
    audit: values.audit ?? "aip-audit.jsonl",
    auditArgs,
    auditMaxBytes: values["audit-max-bytes"] ? size("audit-max-bytes", values["audit-max-bytes"]) : 0,
    auditKeep: positiveInteger(values, "audit-keep", 5),
    verbose: Boolean(values.verbose),
    apiToken: apiToken(values),
    approvalUrl: values["approval-url"] ?? null,
    approvalTimeoutMs: parseDuration(values["approval-timeout"] ?? "30s"),
    upstreamTimeoutMs: parseDuration(values["upstream-timeout"] ?? "60s"),
    maxMessageBytes: size("max-message-bytes", values["max-message-bytes"] ?? "16M"),
    maxResponseBytes: size("max-response-bytes", values["max-response-bytes"] ?? "32M"),
    maxBatchChecks: positiveInteger(values, "max-batch", 100),
    reload: !values["no-reload"],
    home: values.home,
    cwd: values.cwd,
    graceMs: 5000,
  };
}

export const gatewayCommand: Command = {
  name: "gateway",
  summary: "Run the HTTP sidecar: MCP Streamable HTTP to upstream servers behind the policy, plus the decision API.",
  usage:
    "toolgate gateway --policy agent.yaml --upstream http://127.0.0.1:3001/mcp [--listen 127.0.0.1:9090] [options]\n" +
    "       every option also reads TOOLGATE_<OPTION> from the environment (TOOLGATE_POLICY, TOOLGATE_UPSTREAM, ...)",
  options,

  async run(values, positionals) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const o = gatewayOptions(fromEnvironment(values, process.env));
    if (o.upstreams.length === 0) throw new UsageError("--upstream is required (or TOOLGATE_UPSTREAM): the MCP server's URL, e.g. http://127.0.0.1:3001/mcp");
    if (o.approvalUrl !== null && !URL.canParse(o.approvalUrl)) throw new UsageError(`--approval-url is not a URL: ${JSON.stringify(o.approvalUrl)}`);
    // Listening for signals from the start: one that arrives while the gateway starts stops it right after.
    const signalled = new Promise<NodeJS.Signals>((resolve) => {
      process.once("SIGINT", () => resolve("SIGINT"));
      process.once("SIGTERM", () => resolve("SIGTERM"));
    });
    const gateway = await startGateway(o);
    const signal = await signalled;
    process.stderr.write(`[toolgate] ${signal}: finishing requests in flight, then stopping\n`);
    await gateway.close();
    setTimeout(() => process.exit(0), 1000).unref();
    return 0;
  },
};
