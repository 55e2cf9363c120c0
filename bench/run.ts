// `npm run bench`: engine figures against the budgets of DESIGN.md, side by side with a plain-JS baseline.
// Results: bench/results/engine.json (and a table on stdout). Hosts add their own drivers under bench/drivers.
import { statSync } from "node:fs";
import { compilePolicy } from "../compiler/index.ts";
import { newEngine, enginePath } from "../hosts/kit/node.ts";
import { JsPolicy } from "./baseline.ts";
import { largeResult, policyYaml, toolCall } from "./policy.ts";
import { benchStdio, stdioRows } from "./drivers/stdio.ts";
import { benchEnvoy, envoyRows } from "./drivers/envoy.ts";
import { benchWorker, workerRows } from "./drivers/worker.ts";
import { benchHttp, httpRows } from "./drivers/http.ts";
import { percentiles, printRows, writeResult, type Percentiles } from "./drivers/common.ts";

const quick = process.argv.includes("--quick");
const N = quick ? 20_000 : 200_000;

/** Time each of n calls individually (minus the timer's own cost), after a warm-up. Nanoseconds. */
function latency(n: number, f: (i: number) => void): Percentiles {
  for (let i = 0; i < Math.min(n, 20_000); i++) f(i);
  let overhead = Infinity;
  for (let i = 0; i < 1000; i++) {
    const a = process.hrtime.bigint();
    const b = process.hrtime.bigint();
    overhead = Math.min(overhead, Number(b - a));
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = process.hrtime.bigint();
    f(i);
    out[i] = Math.max(0, Number(process.hrtime.bigint() - a) - overhead);
  }
  return percentiles(out);
}

/** Throughput of f over `bytes` of input, MB/s (10^6 bytes), best of several runs. */
function throughput(bytes: number, runs: number, f: () => void): number {
  f();
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const a = process.hrtime.bigint();
    f();
    best = Math.min(best, Number(process.hrtime.bigint() - a));
  }
  return bytes / (best / 1e9) / 1e6;
}

const yaml = policyYaml();
const compileTimes: number[] = [];
let compiled = compilePolicy(yaml, "bench.yaml", { home: "/home/agent", cwd: "/workspace" });
for (let i = 0; i < (quick ? 3 : 10); i++) {
  compiled = compilePolicy(yaml, "bench.yaml", { home: "/home/agent", cwd: "/workspace" });
  compileTimes.push(compiled.compileMs);
}
const engine = newEngine();
engine.loadBundle(compiled.bytes);
const js = new JsPolicy();

const messages = Array.from({ length: 64 }, (_, i) => new TextEncoder().encode(toolCall(i)));
const messageTexts = messages.map((m) => new TextDecoder().decode(m));
const check = engine.evaluate(messages[0]);
if (check.verdict !== "forward") throw new Error(`benchmark message is not allowed: ${check.reason}`);
if (js.decide(messageTexts[0]) !== 0) throw new Error("baseline refuses the benchmark message");

// The raw engine call (message already in engine memory) and the full host-kit call (copy in, decode result).
const raw = engine.rawCall();
const engineRaw = latency(N, (i) => raw(messages[i & 63]));
const engineKit = latency(N, (i) => engine.evaluate(messages[i & 63]));
const jsDecide = latency(N, (i) => js.decide(messageTexts[i & 63]));

const clean = new TextEncoder().encode(largeResult(false));
const dirty = new TextEncoder().encode(largeResult(true));
const cleanText = new TextDecoder().decode(clean);
const dirtyText = new TextDecoder().decode(dirty);
const runs = quick ? 5 : 20;
const dlp = {
  engineClean: throughput(clean.length, runs, () => engine.scan(clean)),
  engineSecrets: throughput(dirty.length, runs, () => engine.scan(dirty)),
  jsClean: throughput(clean.length, runs, () => js.redact(JSON.parse(cleanText).result.content[0].text)),
  jsSecrets: throughput(dirty.length, runs, () => js.redact(JSON.parse(dirtyText).result.content[0].text)),
};
const memBefore = engine.memoryBytes;
for (let i = 0; i < (quick ? 100_000 : 1_000_000); i++) raw(messages[i & 63]);
const memAfter = engine.memoryBytes;

const results = {
  date: new Date().toISOString(),
  node: process.version,
  machine: `${process.arch}, ${(await import("node:os")).cpus()[0]?.model ?? "?"}`,
  engineWasmBytes: statSync(enginePath()).size,
  bundleBytes: compiled.bytes.length,
  policy: { tools: 100, argRegexes: 20, protectedPaths: 5, dlpPatterns: 9, dfaStates: compiled.stats.dfaStates },
  compileMs: { p50: [...compileTimes].sort((a, b) => a - b)[Math.floor(compileTimes.length / 2)] },
  messageBytes: messages[0].length,
  decisionNs: { engine: engineRaw, engineViaHostKit: engineKit, jsBaseline: jsDecide },
  dlpMBps: { resultBytes: clean.length, ...dlp },
  memory: { beforeBytes: memBefore, afterMillionCallsBytes: memAfter },
};
writeResult("engine", results);

const us = (ns: number) => (ns / 1000).toFixed(2);
const rows = [
  ["engine.wasm size", `${(results.engineWasmBytes / 1024).toFixed(1)} KB`, "<= 128 KB"],
  ["policy compile (p50)", `${results.compileMs.p50.toFixed(1)} ms`, "<= 50 ms"],
  [`decision, ${results.messageBytes} B tools/call: engine p50 / p99`, `${us(engineRaw.p50)} / ${us(engineRaw.p99)} us`, "<= 1 / 5 us"],
  ["  same through the host kit p50 / p99", `${us(engineKit.p50)} / ${us(engineKit.p99)} us`, ""],
  ["  plain-JS baseline p50 / p99", `${us(jsDecide.p50)} / ${us(jsDecide.p99)} us`, ""],
  ["DLP scan of 1 MiB result, no secret: engine", `${dlp.engineClean.toFixed(0)} MB/s`, ">= 1000 MB/s"],
  ["  with secrets: engine", `${dlp.engineSecrets.toFixed(0)} MB/s`, ""],
  ["  plain-JS RegExp baseline: no secret / secrets", `${dlp.jsClean.toFixed(0)} / ${dlp.jsSecrets.toFixed(0)} MB/s`, ""],
  ["engine memory before / after 1M calls", `${memBefore / 1024} / ${memAfter / 1024} KB`, "flat"],
];
const print = (rs: string[][]) => printRows(rs, 52, 20);
print(rows);
console.log(`written: bench/results/engine.json`);

// The hosts, one after the other, each side by side with its baseline (`--engine` skips them).
if (!process.argv.includes("--engine")) {
  const hosts: [string, () => Promise<string[][]>][] = [
    ["stdio proxy", async () => stdioRows(await benchStdio({ quick, write: true }))],
    ["HTTP gateway", async () => httpRows(await benchHttp({ quick, write: true }))],
    ["Envoy filter", async () => envoyRows(await benchEnvoy({ quick, write: true }))],
    ["Worker", async () => workerRows(await benchWorker({ quick, write: true }))],
  ];
  for (const [name, run] of hosts) {
    console.log(`\n${name}`);
    try {
      print(await run());
    } catch (e) {
      console.log(`  not measured: ${(e as Error).message}`);
      process.exitCode = 1;
    }
  }
}
