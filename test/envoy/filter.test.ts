// The filter in a real Envoy (two worker threads): requests, answers, responses, approval, shared rate limits,
// metrics and audit records, against the engine in-process as the reference for every byte it sends.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Envoy } from "../../hosts/envoy/harness.ts";
import { ensureEnvoy } from "../../hosts/envoy/setup-envoy.mjs";
import { ApprovalService, UpstreamServer, post, sseEvent } from "../../hosts/envoy/peers.ts";
import { sseData } from "../../conformance/drivers/envoy.ts";
import { AWS_KEY, INSTALL_TIMEOUT_MS, POLICY, compile, engineWith, mcpPost, nextRequestId, toolCall } from "./helpers.ts";

const OTHER_POLICY = POLICY.replace("denied_tools: [delete_file]", "denied_tools: []").replace("allowed_tools: [read_file, echo, list_files]", "allowed_tools: [read_file, delete_file]");

const dec = new TextDecoder();
const bundle = compile(POLICY);
const other = compile(OTHER_POLICY);
const engine = engineWith(bundle.bytes);

let envoy: Envoy;
const upstream = new UpstreamServer();
const approver = new ApprovalService();
const port: Record<string, number> = {};

beforeAll(async () => {
  ensureEnvoy();
  await upstream.start();
  await approver.start();
  envoy = await Envoy.start({
    concurrency: 2,
    listeners: [
      { name: "main", port: 0, cluster: "upstream", filter: { bundle: bundle.bytes, approval: { cluster: "approver", timeoutMs: 5000 } } },
      { name: "other", port: 0, cluster: "upstream", filter: { bundle: other.bytes } },
      { name: "strict", port: 0, cluster: "upstream", filter: { bundle: bundle.bytes, nonMcp: "refuse", maxBodyBytes: 4096, approval: { cluster: "approver", timeoutMs: 300 } } },
      { name: "shared", port: 0, cluster: "upstream", exactBalance: true, filter: { bundle: bundle.bytes, rateLimitScope: "shared-test" } },
      { name: "plain", port: 0, cluster: "upstream", filter: null },
    ],
    clusters: [
      { name: "upstream", host: "127.0.0.1", port: upstream.port },
      { name: "approver", host: "127.0.0.1", port: approver.port },
    ],
  });
  for (const [name, p] of await envoy.ports()) port[name] = p;
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await envoy?.stop();
  await upstream.close();
  await approver.close();
});

/** Audit records of one request, once the sentinel that follows it has been logged. */
async function recordsOf(requestId: string, listener = "main"): Promise<Record<string, any>[]> {
  const sentinel = nextRequestId("sentinel");
  await mcpPost(port[listener], "not JSON", sentinel);
  await envoy.waitFor(() => envoy.audit.some((r) => r.request_id === sentinel), 5000, "the sentinel's record");
  return envoy.audit.filter((r) => r.request_id === requestId);
}

describe("requests", () => {
  it("forwards an allowed call and audits it with the request id and the policy hash", async () => {
    const r = await mcpPost(port.main, toolCall("read_file", { path: "/tmp/a" }, 1));
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text).result.content[0].text).toBe("upstream answered");
    expect(upstream.received(r.requestId)).toBeDefined();
    const [record] = await recordsOf(r.requestId);
    expect(record).toMatchObject({ decision: "ALLOW", tool: "read_file", args: { path: "/tmp/a" }, policy_hash: bundle.hash, host: "envoy" });
  });

  it("answers a refused call itself with the engine's error bytes (HTTP 200), and nothing reaches the server", async () => {
    const msg = toolCall("delete_file", { path: "/" }, "abc");
    const r = await mcpPost(port.main, msg);
    expect(r.status).toBe(200);
    expect(r.contentType).toBe("application/json");
    expect(r.text).toBe(dec.decode(engine.evaluate(msg).response!));
    expect(JSON.parse(r.text).error).toMatchObject({ code: -32001, data: { rule: "denied_tools", policy_hash: bundle.hash } });
    expect(upstream.received(r.requestId)).toBeUndefined();
    const [record] = await recordsOf(r.requestId);
    expect(record).toMatchObject({ decision: "BLOCK", error_code: -32001, rule: "denied_tools", violation: true });
  });

  it("refuses a protected path and an invalid message with the engine's bytes (400 for what is not a request)", async () => {
    const path = toolCall("read_file", { path: "/etc/shadow" }, 2);
    const r1 = await mcpPost(port.main, path);
    expect(r1.text).toBe(dec.decode(engine.evaluate(path).response!));
    expect(JSON.parse(r1.text).error.code).toBe(-32007);
    const r2 = await mcpPost(port.main, '{"jsonrpc":"2.0","id":1,');
    expect(r2.status).toBe(400);
    expect(r2.text).toBe(dec.decode(engine.evaluate('{"jsonrpc":"2.0","id":1,').response!));
    const batch = `[${toolCall("read_file")}]`;
    const r3 = await mcpPost(port.main, batch);
    expect(r3.status).toBe(400);
    expect(JSON.parse(r3.text).error.code).toBe(-32600);
  });

  it("drops a refused notification without a JSON-RPC answer (HTTP 403, empty body)", async () => {
    const r = await mcpPost(port.main, '{"jsonrpc":"2.0","method":"notifications/unknown"}');
    expect(r.status).toBe(403);
    expect(r.text).toBe("");
    expect(upstream.received(r.requestId)).toBeUndefined();
  });

  it("passes client notifications and responses on (202 from the server)", async () => {
    const r = await mcpPost(port.main, '{"jsonrpc":"2.0","method":"notifications/initialized"}');
    expect(r.status).toBe(202);
    expect(upstream.received(r.requestId)).toBeDefined();
  });

  it("refuses bodies above max_body_bytes with 413, whether the length is announced or not", async () => {
    const big = toolCall("read_file", { path: "x".repeat(5000) });
    const announced = await mcpPost(port.strict, big);
    expect(announced.status).toBe(413);
    expect(JSON.parse(announced.text).error).toMatchObject({ code: -32600, data: { reason: "message exceeds the size limit of 4096 bytes", policy_hash: bundle.hash } });
    const chunked = await mcpPost(port.strict, big, nextRequestId(), { "transfer-encoding": "chunked" });
    expect(chunked.status).toBe(413);
    expect(upstream.received(announced.requestId) ?? upstream.received(chunked.requestId)).toBeUndefined();
    expect((await mcpPost(port.strict, toolCall("read_file", { path: "/tmp/a" }))).status).toBe(200);
  });

  it("passes other HTTP methods untouched by default, and refuses them with non_mcp: refuse", async () => {
    const passed = await post(port.main, "/other", "payload", { "x-request-id": nextRequestId() }, 5000, "PUT");
    expect(passed.status).toBe(202);
    const refused = await post(port.strict, "/other", "payload", { "x-request-id": nextRequestId() }, 5000, "PUT");
    expect(refused.status).toBe(405);
    expect(JSON.parse(refused.text).error.code).toBe(-32600);
  });

  it("keeps the policies of plugins that share one VM apart", async () => {
    for (let i = 0; i < 3; i++) {
      const a = await mcpPost(port.main, toolCall("delete_file", { path: "/tmp/x" }));
      const b = await mcpPost(port.other, toolCall("delete_file", { path: "/tmp/x" }));
      expect(JSON.parse(a.text).error?.code).toBe(-32001);
      expect(JSON.parse(b.text).result).toBeDefined();
      expect(JSON.parse(a.text).error.data.policy_hash).toBe(bundle.hash);
    }
  });
});

describe("responses", () => {
  it("redacts a JSON answer, drops the stale content-length and audits the redaction", async () => {
    const requestId = nextRequestId();
    const text = JSON.stringify({ jsonrpc: "2.0", id: 3, result: { content: [{ type: "text", text: `key ${AWS_KEY} here` }] } });
    upstream.answer(requestId, { text });
    const r = await mcpPost(port.main, toolCall("read_file", {}, 3), requestId);
    expect(r.text).toBe(dec.decode(engine.scan(text).output));
    expect(r.text).toContain("[REDACTED:AWS Key]");
    expect(r.headers["content-length"]).toBeUndefined();
    const records = await recordsOf(requestId);
    expect(records.find((x) => x.event === "DLP_TRIGGERED")).toMatchObject({ dlp_rule: "AWS Key", dlp_match_count: 1, direction: "downstream" });
  });

  it("redacts a secret split across the chunks of an SSE answer", async () => {
    const requestId = nextRequestId();
    const text = JSON.stringify({ jsonrpc: "2.0", id: 4, result: { content: [{ type: "text", text: `the key is ${AWS_KEY}.` }] } });
    upstream.answer(requestId, { text, as: "sse", pieceBytes: 7 });
    const r = await mcpPost(port.main, toolCall("read_file", {}, 4), requestId);
    expect(r.contentType).toBe("text/event-stream");
    expect(r.text).not.toContain(AWS_KEY);
    expect(sseData(r.text)).toBe(dec.decode(engine.scan(text).output));
  });

  it("leaves an SSE answer without secrets byte for byte as the server sent it", async () => {
    const requestId = nextRequestId();
    const text = JSON.stringify({ jsonrpc: "2.0", id: 5, result: { content: [{ type: "text", text: "nothing to see" }] } });
    upstream.answer(requestId, { text, as: "sse", pieceBytes: 3 });
    const r = await mcpPost(port.main, toolCall("read_file", {}, 5), requestId);
    expect(r.text).toBe(sseEvent(text));
  });

  it("removes blocked tools from tools/list answers, as JSON and as SSE", async () => {
    const text = JSON.stringify({ jsonrpc: "2.0", id: 6, result: { tools: [{ name: "read_file" }, { name: "delete_file" }, { name: "unknown" }, { name: "echo" }] } });
    const expected = dec.decode(engine.scan(text, { toolsList: true }).output);
    expect(JSON.parse(expected).result.tools.map((t: any) => t.name)).toEqual(["read_file", "echo"]);
    for (const as of ["json", "sse"] as const) {
      const requestId = nextRequestId();
      upstream.answer(requestId, { text, as, pieceBytes: as === "sse" ? 16 : undefined });
      const r = await mcpPost(port.main, '{"jsonrpc":"2.0","id":6,"method":"tools/list"}', requestId);
      expect(as === "sse" ? sseData(r.text) : r.text).toBe(expected);
    }
  });

  it("does not pass a compressed answer it cannot scan (502, -32603)", async () => {
    const requestId = nextRequestId();
    upstream.answer(requestId, { text: "\u001f\u008b binary", headers: { "content-encoding": "gzip" } });
    const r = await mcpPost(port.main, toolCall("read_file", {}, 7), requestId);
    expect(r.status).toBe(502);
    expect(JSON.parse(r.text).error.code).toBe(-32603);
  });

  it("replaces an answer larger than max_body_bytes by an error instead of passing it unscanned", async () => {
    const requestId = nextRequestId();
    const text = JSON.stringify({ jsonrpc: "2.0", id: 8, result: { content: [{ type: "text", text: `${AWS_KEY} `.repeat(600) }] } });
    upstream.answer(requestId, { text, pieceBytes: 2048 });
    const r = await mcpPost(port.strict, toolCall("read_file", {}, 8), requestId);
    expect(r.text).not.toContain(AWS_KEY);
    expect(JSON.parse(r.text).error).toMatchObject({ code: -32603, data: { reason: "response larger than max_body_bytes: it cannot be scanned" } });
  });
});

describe("action: ask through the approval service", () => {
  it("forwards the call when the service approves (200)", async () => {
    const requestId = nextRequestId();
    const pending = mcpPost(port.main, toolCall("deploy", { env: "prod" }, 9), requestId);
    const q = await approver.question(requestId, 5000);
    expect(q?.record).toMatchObject({ decision: "ASK", tool: "deploy", rule: "tool_rules[0]", policy_hash: bundle.hash });
    q!.answer(200);
    const r = await pending;
    expect(JSON.parse(r.text).result).toBeDefined();
    expect(upstream.received(requestId)).toBeDefined();
    const records = await recordsOf(requestId);
    expect(records.map((x) => x.decision)).toEqual(["ASK", "ALLOW"]);
    expect(records[1]).toMatchObject({ event: "APPROVAL", approval: "approved", approval_via: "http" });
  });

  it("answers -32004 when the service denies (403), with the engine's bytes", async () => {
    const msg = toolCall("deploy", { env: "prod" }, 10);
    const requestId = nextRequestId();
    const pending = mcpPost(port.main, msg, requestId);
    (await approver.question(requestId, 5000))!.answer(403);
    const r = await pending;
    expect(r.text).toBe(dec.decode(engine.deny(msg, -32004).response!));
    expect(upstream.received(requestId)).toBeUndefined();
  });

  it("answers -32005 when the service does not answer in time", async () => {
    const msg = toolCall("deploy", {}, 11);
    const t0 = Date.now();
    const r = await mcpPost(port.strict, msg);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(r.text).toBe(dec.decode(engine.deny(msg, -32005).response!));
  });

  it("answers -32005 at once when no approval service is configured (nobody can answer)", async () => {
    const msg = toolCall("deploy", {}, 12);
    const r = await mcpPost(port.shared, msg);
    expect(r.text).toBe(dec.decode(engine.deny(msg, -32005).response!));
  });
});

describe("shared state and observability", () => {
  it("shares rate-limit buckets between worker threads (compare-and-swap in shared data)", async () => {
    const replies = await Promise.all(Array.from({ length: 12 }, (_, i) => mcpPost(port.shared, toolCall("limited", {}, i))));
    const codes = replies.map((r) => JSON.parse(r.text).error?.code ?? 0);
    expect(codes.filter((c) => c === 0)).toHaveLength(3);
    expect(codes.filter((c) => c === -32002)).toHaveLength(9);
    // Both workers served connections of this listener.
    const stats = await envoy.admin("/stats?filter=downstream_cx_total");
    const perWorker = [...stats.matchAll(/^listener\.shared\.worker_(\d)\.downstream_cx_total: (\d+)$/gm)];
    expect(perWorker.map((m) => Number(m[2])).every((n) => n > 0)).toBe(true);
    expect(perWorker.length).toBe(2);
  });

  it("exposes its metrics in /stats/prometheus with decision labels", async () => {
    const text = await envoy.admin("/stats/prometheus");
    const value = (line: string) => Number(new RegExp(`^${line.replace(/[{}"]/g, (c) => `\\${c}`)} (\\d+)`, "m").exec(text)?.[1]);
    expect(value("aip_requests_total{}")).toBeGreaterThan(10);
    expect(value('aip_policy_decisions{decision="BLOCK"}')).toBeGreaterThan(0);
    expect(value('aip_policy_decisions{decision="RATE_LIMITED"}')).toBe(9);
    expect(value("aip_dlp_redactions_total{}")).toBeGreaterThan(0);
    expect(value('aip_approvals_total{outcome="denied"}')).toBe(1);
    expect(text).toMatch(/^toolgate_evaluation_ns_count\{\} \d+/m);
    expect(text).toMatch(/^toolgate_wasm_memory_bytes\{\} \d+/m);
  });
});

describe("configuration", () => {
  it("refuses a corrupt bundle, so Envoy refuses the filter instead of running without a policy", async () => {
    const corrupt = bundle.bytes.slice();
    corrupt[corrupt.length - 1] ^= 0xff;
    const start = Envoy.start({
      listeners: [{ name: "bad", port: 0, cluster: "upstream", filter: { bundle: corrupt } }],
      clusters: [{ name: "upstream", host: "127.0.0.1", port: upstream.port }],
      startTimeoutMs: 10_000,
    });
    await expect(start).rejects.toThrow(/configuration refused: content hash mismatch/);
  });
});
