// The Worker in real workerd against the same upstream without it, in one run: latency of a ~1 KB tools/call
// POST (p50, p99) straight to the upstream, through a plain pass-through Worker, and through the toolgate
// Worker; and CPU time per request inside workerd for both Workers.
//
// CPU is read from outside, as the workerd process's user+system time (/proc/<pid>/stat) over a few thousand
// requests per Worker, divided by their number: the Workers runtime gives a Worker no finer clock (inside
// workerd, Date.now() and performance.now() advance in whole milliseconds, and on Cloudflare only between I/O),
// so a per-request timer inside the Worker would read 0 or 1 ms. The toolgate Worker's own share is its CPU per
// request minus the pass-through Worker's (the runtime's HTTP and subrequest work is in both), with audit
// arguments DLP-redacted (AUDIT_ARGS=full, the default) and left out (none).
// The policy is the budgets' realistic one (bench/policy.ts), compiled into the Worker; DLP scans every answer.
// Results: bench/results/worker.json.
//   tsx bench/drivers/worker.ts [--quick]      or benchWorker() from bench/run.ts
import http from "node:http";
import type { AddressInfo } from "node:net";
import { compilePolicy } from "../../compiler/index.ts";
import { Workerd, gatewayWorker } from "../../hosts/worker/workerd.ts";
import { policyYaml, toolCall } from "../policy.ts";
import { TICK_US, added, cpuTicks, machine, percentiles, runAsScript, us, usP50P99, writeResult, type Difference, type Percentiles } from "./common.ts";

export interface WorkerBenchResult {
  date: string;
  node: string;
  machine: string;
  messageBytes: number;
  answerBytes: number;
  requests: number;
  /** Round-trip latency seen by the client, microseconds. */
  latencyUs: {
    direct: Percentiles;
    passThroughWorker: Percentiles;
    toolgateWorker: Percentiles;
    addedOverDirect: Difference;
    addedOverPassThrough: Difference;
  };
  /**
   * workerd process CPU (user + system) per request, microseconds; resolution: clock ticks over all requests.
   * toolgateWorker audits with AUDIT_ARGS=full (arguments DLP-redacted in the record), the default;
   * toolgateWorkerNoArgs with AUDIT_ARGS=none.
   */
  cpuUsPerRequest: {
    passThroughWorker: number;
    toolgateWorker: number;
    toolgateWorkerNoArgs: number;
    toolgateShare: number;
    toolgateShareNoArgs: number;
    resolutionUs: number;
  };
  budgets: { cpuUsPerRequest: 100 };
}

const PASS_THROUGH = `export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    return fetch(new URL(url.pathname + url.search, env.UPSTREAM_URL), { method: request.method, headers: request.headers, body: request.body });
  },
};
`;

/** One request at a time over one kept-alive connection: per-request latency in microseconds. */
async function roundTrips(url: string, bodies: Buffer[], n: number): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL(url);
  const once = (body: Buffer) =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        { host: target.hostname, port: target.port, path: target.pathname, method: "POST", agent, headers: { "content-type": "application/json", "content-length": body.length } },
        (res) => {
          if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode} from ${url}`));
          res.on("data", () => {});
          res.on("end", resolve);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await once(bodies[i & 63]);
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  agent.destroy();
  return times;
}

export async function benchWorker(opts: { quick?: boolean; write?: boolean } = {}): Promise<WorkerBenchResult> {
  const n = opts.quick ? 1500 : 10_000;
  const warm = opts.quick ? 300 : 1000;
  const bodies = Array.from({ length: 64 }, (_, i) => Buffer.from(toolCall(i)));
  const answer = (id: unknown) => JSON.stringify({ jsonrpc: "2.0", id, result: { content: [{ type: "text", text: "wrote /workspace/src/components/Button.tsx (847 bytes)" }] } });

  const upstream = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => {
      const body = answer(JSON.parse(Buffer.concat(parts).toString("utf8")).id);
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body);
    });
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", () => r()));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

  const bundle = compilePolicy(policyYaml(), "bench.yaml", { home: "/home/agent", cwd: "/workspace" }).bytes;
  const w = await Workerd.start([
    gatewayWorker("toolgate", { policy: bundle, vars: { UPSTREAM_URL: upstreamUrl, AUDIT_ARGS: "full" } }),
    gatewayWorker("toolgate-noargs", { policy: bundle, vars: { UPSTREAM_URL: upstreamUrl, AUDIT_ARGS: "none" } }),
    { name: "plain", modules: [{ name: "plain.mjs", contents: PASS_THROUGH, type: "esModule" }], vars: { UPSTREAM_URL: upstreamUrl } },
  ]);
  try {
    const probe = await fetch(`${w.url("toolgate")}/mcp`, { method: "POST", body: bodies[0] });
    if ((await probe.json() as any).result === undefined) throw new Error("the benchmark call is not allowed by the policy");

    const measure = async (url: string) => {
      await roundTrips(url, bodies, warm);
      const before = cpuTicks(w.pid!);
      const times = await roundTrips(url, bodies, n);
      return { latency: percentiles(times), cpuUs: ((cpuTicks(w.pid!) - before) * TICK_US) / n };
    };
    const direct = await measure(`${upstreamUrl}/mcp`);
    const plain = await measure(`${w.url("plain")}/mcp`);
    const gate = await measure(`${w.url("toolgate")}/mcp`);
    const noArgs = await measure(`${w.url("toolgate-noargs")}/mcp`);

    const result: WorkerBenchResult = {
      date: new Date().toISOString(),
      node: process.version,
      machine: machine(),
      messageBytes: bodies[0].length,
      answerBytes: Buffer.byteLength(answer(0)),
      requests: n,
      latencyUs: {
        direct: direct.latency,
        passThroughWorker: plain.latency,
        toolgateWorker: gate.latency,
        addedOverDirect: added(gate.latency, direct.latency),
        addedOverPassThrough: added(gate.latency, plain.latency),
      },
      cpuUsPerRequest: {
        passThroughWorker: plain.cpuUs,
        toolgateWorker: gate.cpuUs,
        toolgateWorkerNoArgs: noArgs.cpuUs,
        toolgateShare: gate.cpuUs - plain.cpuUs,
        toolgateShareNoArgs: noArgs.cpuUs - plain.cpuUs,
        resolutionUs: TICK_US / n,
      },
      budgets: { cpuUsPerRequest: 100 },
    };
    if (opts.write !== false) writeResult("worker", result);
    return result;
  } finally {
    await w.stop();
    upstream.closeAllConnections();
    upstream.close();
  }
}

export function workerRows(r: WorkerBenchResult): [string, string, string][] {
  const l = r.latencyUs;
  const c = r.cpuUsPerRequest;
  return [
    [`Worker round trip, ${r.messageBytes} B tools/call: direct p50 / p99`, usP50P99(l.direct), ""],
    ["  through a pass-through Worker p50 / p99", usP50P99(l.passThroughWorker), ""],
    ["  through the toolgate Worker p50 / p99", usP50P99(l.toolgateWorker), ""],
    ["  added over direct p50 / p99", usP50P99(l.addedOverDirect), ""],
    ["  added over the pass-through Worker p50 / p99", usP50P99(l.addedOverPassThrough), ""],
    ["workerd CPU per request: pass-through / toolgate", `${us(c.passThroughWorker)} / ${us(c.toolgateWorker)} us`, ""],
    ["  toolgate's share (difference)", `${us(c.toolgateShare)} us (+-${us(c.resolutionUs)})`, "<= 100 us"],
    ["  toolgate's share with AUDIT_ARGS=none", `${us(c.toolgateShareNoArgs)} us`, "<= 100 us"],
  ];
}

await runAsScript(import.meta.url, "worker", (quick) => benchWorker({ quick }), workerRows);
