// The stdio proxy against the same server without it, in one run: latency of a ~1 KB tools/call round trip
// (p50, p99; the proxy's share is the difference), messages per second with many calls in flight, and the
// proxy's memory. The policy is the budgets' realistic one (bench/policy.ts); the proxy audits every call to a
// real file, as it would in use. A second proxy run with a minimal policy (one allowed tool, no regex, no
// DLP) separates the host's own cost from the engine's. Results: bench/results/stdio.json.
//   tsx bench/drivers/stdio.ts [--quick]      or benchStdio() from bench/run.ts
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { policyYaml, toolCall } from "../policy.ts";
import { TOOLGATE_BIN, packageRoot } from "../../conformance/drivers/stdio-process.ts";
import { added, machine, memoryMB, percentiles, runAsScript, usP50P99, writeResult, type Difference, type Percentiles } from "./common.ts";

const ECHO = join(packageRoot(), "test", "proxy", "fixtures", "echo-server.mjs");

export interface StdioBenchResult {
  date: string;
  node: string;
  machine: string;
  messageBytes: number;
  roundTrips: number;
  burst: number;
  /** Round-trip latency in microseconds. */
  latencyUs: { direct: Percentiles; proxy: Percentiles; added: Difference; minimalPolicy: Percentiles };
  messagesPerSecond: { direct: number; proxy: number; minimalPolicy: number };
  proxyMaxRssMB: number;
  budgets: { addedP50Us: 50; addedP99Us: 250; messagesPerSecond: 50000; rssMB: 64 };
}

/** Line-by-line client of a child process: one request in flight, or a burst counted by answers. */
class LineClient {
  private partial: Buffer[] = [];
  private onLine: ((line: Buffer) => void) | null = null;
  readonly exited: Promise<unknown>;

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on("data", (chunk: Buffer) => {
      let start = 0;
      for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
        const line = this.partial.length ? Buffer.concat([...this.partial, chunk.subarray(start, nl)]) : chunk.subarray(start, nl);
        this.partial = [];
        start = nl + 1;
        this.onLine?.(line);
      }
      if (start < chunk.length) this.partial.push(Buffer.from(chunk.subarray(start)));
    });
    child.stderr.resume();
    this.exited = new Promise((r) => child.once("close", r));
  }

  request(line: Buffer): Promise<Buffer> {
    return new Promise((resolve) => {
      this.onLine = resolve;
      this.child.stdin.write(line);
    });
  }

  /** Send every line (respecting backpressure) and wait for as many answers. Seconds. */
  async burst(lines: Buffer[]): Promise<number> {
    let answers = 0;
    const all = new Promise<void>((resolve) => {
      this.onLine = () => {
        if (++answers === lines.length) resolve();
      };
    });
    const t0 = performance.now();
    for (const l of lines) if (!this.child.stdin.write(l)) await new Promise((r) => this.child.stdin.once("drain", r));
    await all;
    return (performance.now() - t0) / 1000;
  }

  async close(): Promise<void> {
    this.child.stdin.end();
    await this.exited;
  }
}

async function measure(client: LineClient, roundTrips: number, burst: number, sampleRss: boolean): Promise<{ latency: Percentiles; mps: number; maxRss: number }> {
  const msgs = Array.from({ length: 64 }, (_, i) => Buffer.from(toolCall(i) + "\n"));
  for (let i = 0; i < 2000; i++) await client.request(msgs[i & 63]); // warm-up (JIT, engine memory)
  const times: number[] = [];
  for (let i = 0; i < roundTrips; i++) {
    const t0 = process.hrtime.bigint();
    await client.request(msgs[i & 63]);
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  let maxRss = 0;
  const timer = sampleRss ? setInterval(() => (maxRss = Math.max(maxRss, memoryMB(client.child.pid!, "VmRSS"))), 50) : null;
  const lines = Array.from({ length: burst }, (_, i) => msgs[i & 63]);
  const seconds = await client.burst(lines);
  if (timer) clearInterval(timer);
  if (sampleRss) maxRss = Math.max(maxRss, memoryMB(client.child.pid!, "VmRSS"));
  return { latency: percentiles(times), mps: burst / seconds, maxRss };
}

export async function benchStdio(opts: { quick?: boolean; write?: boolean } = {}): Promise<StdioBenchResult> {
  const roundTrips = opts.quick ? 2000 : 20_000;
  const burst = opts.quick ? 20_000 : 200_000;
  const dir = mkdtempSync(join(tmpdir(), "toolgate-bench-stdio-"));
  try {
    const policy = join(dir, "bench.yaml");
    writeFileSync(policy, policyYaml());
    const start = (argv: string[]) => new LineClient(spawn(process.execPath, argv, { stdio: ["pipe", "pipe", "pipe"] }));

    const direct = start([ECHO]);
    const d = await measure(direct, roundTrips, burst, false);
    await direct.close();

    const proxied = start([TOOLGATE_BIN, "proxy", "--policy", policy, "--audit", join(dir, "audit.jsonl"), "--", process.execPath, ECHO]);
    const p = await measure(proxied, roundTrips, burst, true);
    await proxied.close();

    const minimal = join(dir, "minimal.yaml");
    writeFileSync(minimal, "apiVersion: aip.io/v1alpha1\nkind: AgentPolicy\nmetadata:\n  name: minimal\nspec:\n  allowed_tools: [tool_8]\n");
    const bare = start([TOOLGATE_BIN, "proxy", "--policy", minimal, "--audit", join(dir, "audit-minimal.jsonl"), "--", process.execPath, ECHO]);
    const b = await measure(bare, roundTrips, burst, false);
    await bare.close();

    const result: StdioBenchResult = {
      date: new Date().toISOString(),
      node: process.version,
      machine: machine(),
      messageBytes: Buffer.byteLength(toolCall(0)),
      roundTrips,
      burst,
      latencyUs: { direct: d.latency, proxy: p.latency, added: added(p.latency, d.latency), minimalPolicy: b.latency },
      messagesPerSecond: { direct: d.mps, proxy: p.mps, minimalPolicy: b.mps },
      proxyMaxRssMB: p.maxRss,
      budgets: { addedP50Us: 50, addedP99Us: 250, messagesPerSecond: 50000, rssMB: 64 },
    };
    if (opts.write !== false) writeResult("stdio", result);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function stdioRows(r: StdioBenchResult): [string, string, string][] {
  return [
    [`stdio round trip, ${r.messageBytes} B tools/call: direct p50 / p99`, usP50P99(r.latencyUs.direct), ""],
    ["  through the proxy p50 / p99", usP50P99(r.latencyUs.proxy), ""],
    ["  added by the proxy p50 / p99", usP50P99(r.latencyUs.added), "<= 50 / 250 us"],
    ["  proxy with a minimal policy (host cost) p50 / p99", usP50P99(r.latencyUs.minimalPolicy), ""],
    ["stdio messages/s: direct / through the proxy", `${Math.round(r.messagesPerSecond.direct)} / ${Math.round(r.messagesPerSecond.proxy)}`, ">= 50000"],
    ["  proxy with a minimal policy", `${Math.round(r.messagesPerSecond.minimalPolicy)}`, ""],
    ["stdio proxy max RSS", `${r.proxyMaxRssMB.toFixed(1)} MB`, "<= 64 MB"],
  ];
}

await runAsScript(import.meta.url, "stdio", (quick) => benchStdio({ quick }), stdioRows);
