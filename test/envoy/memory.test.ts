// The filter's memory stays flat: after a warm-up, thousands more requests of every kind (allowed, refused,
// large, with secrets in JSON and in SSE answers) leave the VM's linear memory exactly as large as it was.
// The filter reports its memory as the gauge toolgate_wasm_memory_bytes (one worker thread here).
import { Agent, request } from "node:http";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Envoy } from "../../hosts/envoy/harness.ts";
import { ensureEnvoy } from "../../hosts/envoy/setup-envoy.mjs";
import { UpstreamServer } from "../../hosts/envoy/peers.ts";
import { AWS_KEY, INSTALL_TIMEOUT_MS, POLICY, compile, toolCall } from "./helpers.ts";

let envoy: Envoy;
let port = 0;
const upstream = new UpstreamServer();
const agent = new Agent({ keepAlive: true, maxSockets: 8 });

beforeAll(async () => {
  ensureEnvoy();
  await upstream.start();
  envoy = await Envoy.start({
    listeners: [{ name: "mcp", port: 0, cluster: "upstream", filter: { bundle: compile(POLICY).bytes } }],
    clusters: [{ name: "upstream", host: "127.0.0.1", port: upstream.port }],
  });
  port = await envoy.port("mcp");
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  agent.destroy();
  await envoy?.stop();
  await upstream.close();
});

function send(body: string, requestId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/mcp", method: "POST", agent, headers: { "content-type": "application/json", "x-request-id": requestId, "content-length": Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on("end", resolve);
    });
    req.on("error", reject);
    req.end(body);
  });
}

const large = toolCall("read_file", { path: "/tmp/a", content: "x".repeat(200_000) });
const secret = JSON.stringify({ jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: `key ${AWS_KEY} `.repeat(50) }] } });

/** One request of each kind in turn. */
async function traffic(n: number, tag: string): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < n; i = next++) {
      const id = `${tag}-${i}`;
      switch (i % 6) {
        case 0: await send(toolCall("read_file", { path: "/tmp/a" }, i), id); break;
        case 1: await send(toolCall("delete_file", { path: "/" }, i), id); break;
        case 2: await send(i % 60 === 2 ? large : toolCall("echo", { text: "hi" }, i), id); break;
        case 3: upstream.answer(id, { text: secret }); await send(toolCall("read_file", {}, i), id); break;
        case 4: upstream.answer(id, { text: secret, as: "sse", pieceBytes: i % 120 === 4 ? 64 : undefined }); await send(toolCall("read_file", {}, i), id); break;
        default: await send("{not json", id);
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

async function memoryBytes(): Promise<number> {
  const m = /^toolgate_wasm_memory_bytes\{\} (\d+)/m.exec(await envoy.admin("/stats/prometheus"));
  return Number(m?.[1]);
}

it("keeps the VM's memory flat over many requests", async () => {
  await traffic(2400, "warm");
  const before = await memoryBytes();
  expect(before).toBeGreaterThan(0);
  await traffic(9600, "run");
  expect(await memoryBytes()).toBe(before);
  expect(envoy.lines.some((l) => /failed: Uncaught/.test(l))).toBe(false);
}, 120_000);
