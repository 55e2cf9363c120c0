// Load through the real proxy: many small tools/call messages and a few multi-megabyte ones to a tiny echo
// server, while the client stops reading for a while (backpressure both ways). Every message must come back
// once, in order, byte for byte. TOOLGATE_SOAK=1 (npm run test:soak) sends a million.
import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BIN, ECHO, tempDir, writeFile } from "./helpers.ts";

const SOAK = process.env.TOOLGATE_SOAK === "1";
const SMALL = SOAK ? 1_000_000 : 100_000;
const BIG_EVERY = SOAK ? 100_000 : 25_000; // a multi-megabyte message every so often
const bigPayload = (i: number) => "abcdefghij0123456789".repeat(((2 + (i % 4)) << 20) / 20); // 2-5 MiB

function rssKb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

describe("load", () => {
  it(`${SMALL.toLocaleString("en")} messages and multi-megabyte ones arrive once, in order, intact`, async () => {
    const dir = tempDir();
    const policy = writeFile(dir, "load.yaml", `apiVersion: aip.io/v1alpha1
kind: AgentPolicy
metadata:
  name: load
spec:
  allowed_tools: [echo_tool]
  dlp:
    patterns:
      - name: AWS Access Key
        regex: 'AKIA[A-Z0-9]{16}'
      - name: Private Key
        regex: '-----BEGIN ((RSA|EC|OPENSSH) )?PRIVATE KEY-----'
`);
    const child = spawn(process.execPath, [BIN, "proxy", "--policy", policy, "--audit", join(dir, "audit.jsonl"), "--audit-args", "none", "--", process.execPath, ECHO], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c) => (stderr += c));

    const sent: string[] = [];
    const message = (i: number) => {
      const args = i % BIG_EVERY === BIG_EVERY - 1 ? { i, blob: bigPayload(i) } : { i, text: `message ${i} ✓ "quoted" \\ ${"x".repeat(i % 50)}` };
      return JSON.stringify({ jsonrpc: "2.0", id: i, method: "tools/call", params: { name: "echo_tool", arguments: args } });
    };

    // Reader: checks each answer against what was sent, in order.
    let next = 0;
    let failure: string | null = null;
    let partial: Buffer[] = [];
    let maxRss = 0;
    let slowed = false;
    const done = new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        let start = 0;
        for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
          partial.push(chunk.subarray(start, nl));
          const line = Buffer.concat(partial).toString("utf8");
          partial = [];
          start = nl + 1;
          const msg = JSON.parse(line);
          if (failure === null && (msg.id !== next || msg.result?.line !== sent[next])) {
            failure = `answer #${next}: got id ${msg.id}, ${msg.error ? JSON.stringify(msg.error) : `line of ${msg.result?.line?.length} chars, sent ${sent[next]?.length}`}`;
          }
          sent[next] = ""; // free it
          next++;
          if (next === SMALL) resolve();
        }
        if (start < chunk.length) partial.push(Buffer.from(chunk.subarray(start)));
        if (!slowed && next >= SMALL / 2) {
          slowed = true;
          // A slow client: stop reading for a while; the proxy must hold back, not drop or buffer without bound.
          child.stdout.pause();
          setTimeout(() => child.stdout.resume(), 1000);
        }
      });
      child.once("close", (code) => (next < SMALL ? reject(new Error(`proxy exited (${code}) after ${next} answers:\n${stderr.slice(-2000)}`)) : resolve()));
    });
    const sampler = setInterval(() => (maxRss = Math.max(maxRss, rssKb(child.pid!))), 100);

    const t0 = performance.now();
    for (let i = 0; i < SMALL; i++) {
      sent.push(message(i));
      if (!child.stdin.write(sent[i] + "\n")) await new Promise((r) => child.stdin.once("drain", r));
    }
    await done;
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    child.stdin.end();
    const code = await new Promise((r) => child.once("close", r));

    expect(failure).toBeNull();
    expect(next).toBe(SMALL);
    expect(code).toBe(0);
    console.log(`load: ${SMALL} messages (${Math.floor(SMALL / BIG_EVERY)} of 2-5 MiB) in ${seconds.toFixed(1)} s, ${Math.round(SMALL / seconds)} messages/s round trip, proxy max RSS ${(maxRss / 1024).toFixed(0)} MB`);
    // Bounded by the largest message in flight, not by the traffic.
    expect(maxRss).toBeLessThan(400 * 1024);
  }, SOAK ? 1_800_000 : 180_000);
});
