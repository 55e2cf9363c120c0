// The HTTP gateway (`toolgate gateway`, the built CLI as its own process) against the same upstream without it,
// in one run: latency of a ~1 KB tools/call POST (p50, p99; the gateway's share is the difference), one request
// in flight, and requests per second at a fixed number of connections, measured with autocannon. A second
// gateway in `--mode bypass` (same HTTP path, no evaluation, no DLP) separates the cost of proxying over HTTP in
// Node from the policy's. The upstream is a small Node HTTP server answering JSON, in a process of its own; the
// policy is the budgets' realistic one (bench/policy.ts), so every answer is DLP-scanned and every call is
// audited to a real file, as in use. The gateway's CPU per request is read from /proc over the autocannon run.
// Results: bench/results/http.json.
//   tsx bench/drivers/http.ts [--quick]      or benchHttp() from bench/run.ts
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { policyYaml, toolCall } from "../policy.ts";
import { TOOLGATE_BIN, packageRoot } from "../../conformance/drivers/stdio-process.ts";
import { TICK_US, added, cpuTicks, latencies, machine, memoryMB, percentiles, runAsScript, us, usP50P99, writeResult, type Difference, type Percentiles } from "./common.ts";

export interface Throughput {
  requestsPerSecond: number;
  requests: number;
  /** Latency under that load as autocannon reports it, milliseconds. */
  latencyMs: { p50: number; p99: number };
}

export interface HttpBenchResult {
  date: string;
  node: string;
  machine: string;
  messageBytes: number;
  answerBytes: number;
  /** Sequential round trips per target (one request in flight, kept-alive connection). */
  roundTrips: number;
  /** Round-trip latency seen by the client, microseconds. */
  latencyUs: {
    direct: Percentiles;
    bypassGateway: Percentiles;
    gateway: Percentiles;
    addedOverDirect: Difference;
    addedOverBypass: Difference;
  };
  /** autocannon, `connections` connections for `durationSeconds` each. */
  load: {
    tool: string;
    connections: number;
    durationSeconds: number;
    direct: Throughput;
    bypassGateway: Throughput;
    gateway: Throughput;
  };
  /** The gateway process's CPU (user + system) per request during its autocannon run, microseconds. */
  gatewayCpuUsPerRequest: { bypassGateway: number; gateway: number };
  gatewayMaxRssMB: number;
  /** Load average (1 min) at the end: other work on the machine shows in the figures. */
  loadAverage: number;
}

const ANSWER_TEXT = "wrote /workspace/src/components/Button.tsx (847 bytes)";

/** The upstream MCP server, run as `node --input-type=module -e`: answers every POST with a small JSON result. */
const UPSTREAM = `
import http from "node:http";
const server = http.createServer((req, res) => {
  const parts = [];
  req.on("data", (c) => parts.push(c));
  req.on("end", () => {
    let id = null;
    try { id = JSON.parse(Buffer.concat(parts).toString("utf8")).id ?? null; } catch {}
    const body = JSON.stringify({ jsonrpc: "2.0", id, result: { content: [{ type: "text", text: ${JSON.stringify(ANSWER_TEXT)} }] } });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body);
  });
});
server.keepAliveTimeout = 65000;
server.listen(0, "127.0.0.1", () => process.stdout.write("listening " + server.address().port + "\\n"));
process.on("SIGTERM", () => process.exit(0));
`;

/** A child process, with the first line of its output (stdout or stderr) that matches `ready` awaited. */
async function startProcess(args: string[], ready: RegExp, what: string): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start within 30 s:\n${output}`)), 30_000);
    const onData = (c: Buffer) => {
      output += c.toString();
      const m = ready.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}) before it was ready:\n${output}`));
    });
  });
  child.removeAllListeners("exit");
  child.stdout!.resume();
  child.stderr!.resume();
  return { child, match };
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

/** One kept-alive connection, one request at a time. */
class Client {
  private agent = new Agent({ keepAlive: true, maxSockets: 1 });
  constructor(private readonly port: number) {}

  post(body: Buffer): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: "127.0.0.1", port: this.port, path: "/mcp", method: "POST", agent: this.agent, headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "content-length": body.length } },
        (res) => {
          const parts: Buffer[] = [];
          res.on("data", (c: Buffer) => parts.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString("utf8") }));
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** autocannon against one target: requests per second with `connections` connections kept busy. */
async function load(port: number, body: string, connections: number, seconds: number): Promise<Throughput> {
  const r = await autocannon({
    url: `http://127.0.0.1:${port}/mcp`,
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
    body,
    connections,
    duration: seconds,
  });
  if (r.errors > 0 || r.timeouts > 0 || r.non2xx > 0) {
    throw new Error(`autocannon against port ${port}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx answers`);
  }
  return { requestsPerSecond: r.requests.total / (r.duration || seconds), requests: r.requests.total, latencyMs: { p50: r.latency.p50, p99: r.latency.p99 } };
}

export async function benchHttp(opts: { quick?: boolean; write?: boolean } = {}): Promise<HttpBenchResult> {
  if (!existsSync(join(packageRoot(), "build", "cli.mjs"))) throw new Error("the CLI is not built: run `npm run build` first");
  const n = opts.quick ? 1500 : 6000;
  const warm = opts.quick ? 300 : 1000;
  const connections = 16;
  const seconds = opts.quick ? 2 : 5;
  const bodies = Array.from({ length: 64 }, (_, i) => Buffer.from(toolCall(i)));
  const dir = mkdtempSync(join(tmpdir(), "toolgate-http-bench-"));
  const policy = join(dir, "bench.yaml");
  writeFileSync(policy, policyYaml());
  const processes: ChildProcess[] = [];
  const clients: Client[] = [];
  try {
    const upstream = await startProcess(["--input-type=module", "-e", UPSTREAM], /listening (\d+)\n/, "the upstream");
    processes.push(upstream.child);
    const upstreamPort = Number(upstream.match[1]);
    const gatewayArgs = (name: string, extra: string[]) => [
      TOOLGATE_BIN, "gateway", "--policy", policy, "--listen", "127.0.0.1:0", "--upstream", `http://127.0.0.1:${upstreamPort}/mcp`,
      "--metrics-addr", "off", "--audit", join(dir, `audit-${name}.jsonl`), "--home", "/home/agent", "--cwd", "/workspace", "--no-reload", ...extra,
    ];
    const listening = /Gateway listening on http:\/\/127\.0\.0\.1:(\d+) /;
    const gate = await startProcess(gatewayArgs("gateway", []), listening, "the gateway");
    processes.push(gate.child);
    const bypass = await startProcess(gatewayArgs("bypass", ["--mode", "bypass", "--allow-bypass"]), listening, "the bypass gateway");
    processes.push(bypass.child);
    const ports = { direct: upstreamPort, bypassGateway: Number(bypass.match[1]), gateway: Number(gate.match[1]) };

    const direct = new Client(ports.direct);
    const viaBypass = new Client(ports.bypassGateway);
    const viaGateway = new Client(ports.gateway);
    clients.push(direct, viaBypass, viaGateway);
    const plain = await direct.post(bodies[0]);
    const probe = await viaGateway.post(bodies[0]);
    if (probe.status !== 200 || JSON.parse(probe.text)?.result?.content?.[0]?.text !== ANSWER_TEXT) {
      throw new Error(`the benchmark call does not pass the gateway: HTTP ${probe.status} ${probe.text}`);
    }

    await latencies(clients, bodies, warm, 250);
    const [tDirect, tBypass, tGateway] = (await latencies(clients, bodies, n, 250)).map(percentiles);
    for (const c of clients.splice(0)) c.close();

    const body = bodies[0].toString("utf8");
    await load(ports.gateway, body, connections, 1); // warm-up under load
    const loadDirect = await load(ports.direct, body, connections, seconds);
    const measured = async (child: ChildProcess, port: number) => {
      const before = cpuTicks(child.pid!);
      const t = await load(port, body, connections, seconds);
      return { t, cpuUs: ((cpuTicks(child.pid!) - before) * TICK_US) / t.requests };
    };
    const loadBypass = await measured(bypass.child, ports.bypassGateway);
    const loadGateway = await measured(gate.child, ports.gateway);

    const result: HttpBenchResult = {
      date: new Date().toISOString(),
      node: process.version,
      machine: machine(),
      messageBytes: bodies[0].length,
      answerBytes: Buffer.byteLength(plain.text),
      roundTrips: n,
      latencyUs: {
        direct: tDirect,
        bypassGateway: tBypass,
        gateway: tGateway,
        addedOverDirect: added(tGateway, tDirect),
        addedOverBypass: added(tGateway, tBypass),
      },
      load: {
        tool: `autocannon ${autocannonVersion()}`,
        connections,
        durationSeconds: seconds,
        direct: loadDirect,
        bypassGateway: loadBypass.t,
        gateway: loadGateway.t,
      },
      gatewayCpuUsPerRequest: { bypassGateway: loadBypass.cpuUs, gateway: loadGateway.cpuUs },
      gatewayMaxRssMB: memoryMB(gate.child.pid!, "VmHWM"),
      loadAverage: loadavg()[0],
    };
    if (opts.write !== false) writeResult("http", result);
    return result;
  } finally {
    for (const c of clients) c.close();
    await Promise.all(processes.map(stop));
    rmSync(dir, { recursive: true, force: true });
  }
}

function autocannonVersion(): string {
  try {
    return JSON.parse(readFileSync(join(packageRoot(), "node_modules", "autocannon", "package.json"), "utf8")).version;
  } catch {
    return "?";
  }
}

export function httpRows(r: HttpBenchResult): [string, string, string][] {
  const l = r.latencyUs;
  const t = r.load;
  const rps = (x: Throughput) => x.requestsPerSecond.toFixed(0);
  return [
    [`gateway round trip, ${r.messageBytes} B tools/call: direct p50 / p99`, usP50P99(l.direct), ""],
    ["  through the gateway in bypass mode p50 / p99", usP50P99(l.bypassGateway), ""],
    ["  through the gateway p50 / p99", usP50P99(l.gateway), ""],
    ["  added over direct p50 / p99", usP50P99(l.addedOverDirect), ""],
    ["  added over bypass mode p50 / p99", usP50P99(l.addedOverBypass), ""],
    [`requests/s, ${t.connections} connections, ${t.durationSeconds} s: direct`, `${rps(t.direct)}`, ""],
    ["  through the gateway in bypass mode / the gateway", `${rps(t.bypassGateway)} / ${rps(t.gateway)}`, ""],
    ["  latency under that load, gateway p50 / p99", `${t.gateway.latencyMs.p50} / ${t.gateway.latencyMs.p99} ms`, ""],
    ["gateway CPU per request: bypass mode / gateway", `${us(r.gatewayCpuUsPerRequest.bypassGateway)} / ${us(r.gatewayCpuUsPerRequest.gateway)} us`, ""],
    ["gateway peak RSS", `${r.gatewayMaxRssMB.toFixed(1)} MB`, ""],
  ];
}

await runAsScript(import.meta.url, "http", (quick) => benchHttp({ quick }), httpRows);
