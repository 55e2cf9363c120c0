// Shared set-up of the gateway tests: `node bin/toolgate.js gateway` as a real process on free ports, its
// audit log. Policies, local upstreams and POSTs are the Worker tests' (the same HTTP contract).
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { TOOLGATE_BIN } from "../../conformance/drivers/stdio-process.ts";
import { readAudit, tempDir, writeFile } from "../proxy/helpers.ts";

export { AWS_KEY, DLP, echoUpstream, localServer, policy, post, toolCall, type LocalServer } from "../worker/helpers.ts";

export interface GatewayProcess {
  /** http://host:port of the MCP listener. */
  url: string;
  /** http://host:port of /metrics, /healthz, /readyz. */
  metricsUrl: string;
  child: ChildProcess;
  dir: string;
  auditFile: string;
  stderr(): string;
  audit(): Record<string, any>[];
  stop(): Promise<number | null>;
}

export interface GatewayStart {
  policy: string;
  /** Command-line arguments after the policy, listen and audit ones (e.g. --upstream ...). */
  args?: string[];
  env?: Record<string, string>;
}

/** Start the gateway and wait until it listens (its startup lines name the bound addresses). */
export async function startGatewayProcess(o: GatewayStart): Promise<GatewayProcess> {
  const dir = tempDir("toolgate-gateway-");
  const policyFile = writeFile(dir, "agent.yaml", o.policy);
  const auditFile = join(dir, "audit.jsonl");
  const args = [TOOLGATE_BIN, "gateway", "--policy", policyFile, "--listen", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--audit", auditFile, ...(o.args ?? [])];
  const child = spawn(process.execPath, args, { cwd: dir, env: { ...process.env, ...o.env }, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr!.on("data", (c) => (err += c));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const started = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the gateway did not start:\n${err}`)), 20_000);
    const check = () => {
      const m = /Gateway listening on (http:\/\/\S+) [\s\S]*Metrics on (http:\/\/[^/\s]+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stderr!.on("data", check);
    void exited.then((code) => reject(new Error(`the gateway exited (${code}):\n${err}`)));
  });
  return {
    url: started[1],
    metricsUrl: started[2],
    child,
    dir,
    auditFile,
    stderr: () => err,
    audit: () => readAudit(auditFile),
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

/** Run the gateway command to its end (for refused configurations): exit code and stderr. */
export function runGatewayCommand(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [TOOLGATE_BIN, "gateway", ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (c) => (stderr += c));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, stderr })));
}
