// Server-sent events through the Worker: the upstream writes a stream in small pieces with pauses, so the
// Worker receives a secret split across chunks; the engine's SSE stream must still redact it. Also tools/list
// answers as SSE, the GET event stream, a client that goes away mid-stream, and compressed answers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gzipSync } from "node:zlib";
import type http from "node:http";
import type { Workerd } from "../../hosts/worker/workerd.ts";
import { AWS_KEY, DLP, localServer, policy, post, records, startGateway, toolCall, type LocalServer } from "./helpers.ts";

const POLICY = policy(`allowed_tools: [read_file, search]
${DLP}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function writeSlowly(res: http.ServerResponse, text: string, piece: number): Promise<void> {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += piece) {
    res.write(bytes.subarray(i, i + piece));
    await sleep(2);
  }
  res.end();
}

const event = (msg: unknown) => `event: message\ndata: ${JSON.stringify(msg)}\n\n`;

describe("SSE answers through the Worker", () => {
  let upstream: LocalServer;
  let w: Workerd;
  let mcp: string;

  beforeAll(async () => {
    upstream = await localServer(async (r, res) => {
      const msg = r.body ? JSON.parse(r.body) : null;
      if (r.method === "GET") {
        // The server's own stream: a notification carrying a secret, then it stays open until the client leaves.
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(event({ jsonrpc: "2.0", method: "notifications/message", params: { data: `log ${AWS_KEY}` } }));
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream", "mcp-session-id": "s-sse" });
      if (msg.method === "tools/list") {
        await writeSlowly(res, event({ jsonrpc: "2.0", id: msg.id, result: { tools: [{ name: "read_file" }, { name: "rm" }, { name: "search" }] } }), 7);
        return;
      }
      const progress = { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: 1, progress: 1, message: `half ${AWS_KEY}` } };
      const result = { jsonrpc: "2.0", id: msg.id, result: { content: [{ type: "text", text: `the key is ${AWS_KEY}, twice: ${AWS_KEY}` }] } };
      await writeSlowly(res, event(progress) + event(result), 5);
    });
    w = await startGateway({ policy: POLICY, vars: { UPSTREAM_URL: upstream.url } });
    mcp = `${w.url("gw")}/mcp`;
  });
  afterAll(async () => {
    await w?.stop();
    await upstream?.close();
  });

  it("redacts secrets split across chunks in every event, keeps the framing, and records the matches", async () => {
    const from = w.lines.length;
    const r = await post(mcp, toolCall(1, "read_file", { path: "/x" }));
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/event-stream");
    expect(r.headers.get("mcp-session-id")).toBe("s-sse");
    expect(r.text).not.toContain(AWS_KEY);
    const events = r.text.split("\n\n").filter(Boolean);
    expect(events).toHaveLength(2);
    const [progress, result] = events.map((e) => JSON.parse(e.split("\n").find((l) => l.startsWith("data: "))!.slice(6)));
    expect(progress.params.message).toBe("half [REDACTED:AWS Key]");
    expect(result.result.content[0].text).toBe("the key is [REDACTED:AWS Key], twice: [REDACTED:AWS Key]");
    const dlp = (await records(w, from, (rs) => rs.filter((x) => x.event === "DLP_TRIGGERED").length >= 2)).filter((x) => x.event === "DLP_TRIGGERED");
    expect(dlp.reduce((n, x) => n + x.dlp_match_count, 0)).toBe(3);
  });

  it("filters a tools/list answer that arrives as SSE in pieces", async () => {
    const r = await post(mcp, { jsonrpc: "2.0", id: 2, method: "tools/list" });
    const data = JSON.parse(r.text.split("\n").find((l) => l.startsWith("data: "))!.slice(6));
    expect(data.result.tools.map((t: { name: string }) => t.name)).toEqual(["read_file", "search"]);
  });

  it("scans the GET event stream as it flows, and lets the client leave it", async () => {
    const ac = new AbortController();
    const res = await fetch(mcp, { headers: { accept: "text/event-stream", "mcp-session-id": "s-sse" }, signal: ac.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = "";
    while (!text.includes("\n\n")) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain("[REDACTED:AWS Key]");
    expect(text).not.toContain(AWS_KEY);
    ac.abort();
    // The Worker keeps serving after the client went away mid-stream.
    expect((await post(mcp, toolCall(3, "read_file", { path: "/y" }))).status).toBe(200);
  });
});

describe("compressed answers", () => {
  let upstream: LocalServer;
  let w: Workerd;

  beforeAll(async () => {
    upstream = await localServer((r, res) => {
      const msg = JSON.parse(r.body);
      const body = gzipSync(JSON.stringify({ jsonrpc: "2.0", id: msg.id, result: { content: [{ type: "text", text: AWS_KEY }] } }));
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" }).end(body);
    });
    w = await startGateway({ policy: POLICY, vars: { UPSTREAM_URL: upstream.url } });
  });
  afterAll(async () => {
    await w?.stop();
    await upstream?.close();
  });

  it("asks the upstream for no compression, and still scans a gzip answer (workerd decodes it)", async () => {
    const r = await post(`${w.url("gw")}/mcp`, toolCall(1, "read_file", { path: "/x" }), { "accept-encoding": "gzip, br" });
    expect(upstream.received.at(-1)!.headers["accept-encoding"] ?? "").not.toMatch(/br/);
    expect(r.json.result.content[0].text).toBe("[REDACTED:AWS Key]");
  });
});
