// Upstream faults through `toolgate gateway`: refused connections, a slow upstream, 5xx, a stream broken off
// mid-way, malformed and oversized answers, an oversized request. Each is reported to the client as a
// JSON-RPC error naming the upstream (or handled as documented), and the gateway keeps serving.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import http, { type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { freePort } from "../everything.ts";
import { until } from "../proxy/helpers.ts";
import { AWS_KEY, DLP, echoUpstream, localServer, policy, post, startGatewayProcess, toolCall, type GatewayProcess, type LocalServer } from "./helpers.ts";

const POLICY = policy(`allowed_tools: [echo, slow, broken, fail, garbled, huge, split, forever]
${DLP}`);

function sse(res: ServerResponse, text: string): void {
  res.writeHead(200, { "content-type": "text/event-stream" });
  res.write(`event: message\ndata: ${text}\n\n`);
}

describe("the gateway facing a failing upstream", () => {
  let upstream: LocalServer;
  let gw: GatewayProcess;
  let deadPort: number;
  let foreverClosed = false;
  const echo = echoUpstream();

  beforeAll(async () => {
    upstream = await localServer(async (r, res) => {
      const msg = JSON.parse(r.body || "{}");
      const tool = msg.params?.name;
      if (tool === "slow") return; // never answers
      if (tool === "fail") return void res.writeHead(503, { "content-type": "text/html" }).end("<h1>Service Unavailable</h1>");
      if (tool === "garbled") return void res.writeHead(200, { "content-type": "application/json" }).end(`{"jsonrpc":"2.0","id":${msg.id},"result":{"text":"${AWS_KEY}"`);
      if (tool === "huge") return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id: msg.id, result: { text: "x".repeat(300_000) } }));
      if (tool === "broken") {
        // Part of an event, then the connection is cut.
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(`event: message\ndata: {"jsonrpc":"2.0","id":${msg.id},"res`);
        setTimeout(() => res.socket?.destroy(), 50);
        return;
      }
      if (tool === "split") {
        // A secret cut in two across writes of an SSE stream.
        const event = `event: message\ndata: ${JSON.stringify({ jsonrpc: "2.0", id: msg.id, result: { text: `key=${AWS_KEY}` } })}\n\n`;
        const cut = event.indexOf(AWS_KEY) + 7;
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(event.slice(0, cut));
        setTimeout(() => res.end(event.slice(cut)), 30);
        return;
      }
      if (tool === "forever") {
        // An event stream that never ends, until the gateway lets go of it.
        res.writeHead(200, { "content-type": "text/event-stream" });
        const timer = setInterval(() => res.write(`event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}\n\n`), 20);
        res.on("close", () => {
          clearInterval(timer);
          foreverClosed = true;
        });
        return;
      }
      if (tool === "echo") {
        sse(res, JSON.stringify({ jsonrpc: "2.0", id: msg.id, result: { content: [{ type: "text", text: "fine" }] } }));
        res.end();
        return;
      }
      echo(r, res);
    });
    deadPort = await freePort(); // nothing listens there
    gw = await startGatewayProcess({
      policy: POLICY,
      args: ["--upstream", upstream.url, "--upstream", `/dead=http://127.0.0.1:${deadPort}/mcp`, "--upstream-timeout", "500ms", "--max-response-bytes", "100K", "--max-message-bytes", "64K"],
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await upstream?.close();
  });

  const ok = async () => {
    const r = await post(gw.url, toolCall(100, "echo", {}));
    expect(r.status).toBe(200);
    expect(r.text).toContain('"text":"fine"');
  };

  it("reports a refused connection as a JSON-RPC error naming the upstream (502), and keeps serving", async () => {
    const r = await post(`${gw.url}/dead`, toolCall(7, "echo", {}));
    expect(r.status).toBe(502);
    expect(r.json).toMatchObject({ jsonrpc: "2.0", id: 7, error: { code: -32603, data: { upstream: `http://127.0.0.1:${deadPort}/mcp` } } });
    expect(r.json.error.data.reason).toMatch(/unreachable: ECONNREFUSED/);
    expect(gw.audit().find((a) => a.event === "UPSTREAM_FAILED")).toMatchObject({ status: 502, upstream: `http://127.0.0.1:${deadPort}/mcp` });
    await ok();
  });

  it("gives up on a slow upstream after --upstream-timeout (504), and keeps serving", async () => {
    const r = await post(gw.url, toolCall("slow-1", "slow", {}));
    expect(r.status).toBe(504);
    expect(r.json).toMatchObject({ id: "slow-1", error: { code: -32603 } });
    expect(r.json.error.data.reason).toMatch(/did not answer within 500 ms/);
    await ok();
  });

  it("reports a 5xx as a JSON-RPC error with the upstream's status, not its HTML", async () => {
    const r = await post(gw.url, toolCall(8, "fail", {}));
    expect(r.status).toBe(502);
    expect(r.json).toMatchObject({ id: 8, error: { code: -32603, data: { upstream_status: 503 } } });
    expect(r.text).not.toContain("<h1>");
  });

  it("ends a stream the upstream broke off with an error event for the request, dropping the incomplete event", async () => {
    const r = await post(gw.url, toolCall(9, "broken", {}));
    expect(r.status).toBe(200);
    const data = r.text.split("\n").filter((l) => l.startsWith("data: ")).map((l) => JSON.parse(l.slice(6)));
    expect(data).toHaveLength(1);
    expect(data[0]).toMatchObject({ id: 9, error: { code: -32603 } });
    expect(data[0].error.data.reason).toMatch(/broke off its event stream/);
    await ok();
  });

  it("still redacts a secret split across two writes of an event stream", async () => {
    const r = await post(gw.url, toolCall(10, "split", {}));
    expect(r.text).toContain("key=[REDACTED:AWS Key]");
    expect(r.text).not.toContain(AWS_KEY.slice(4));
  });

  it("passes a malformed JSON answer only after DLP has read it as text", async () => {
    const r = await post(gw.url, toolCall(11, "garbled", {}));
    expect(r.status).toBe(200);
    expect(r.text).toContain("[REDACTED:AWS Key]");
    expect(r.text).not.toContain(AWS_KEY);
    await ok();
  });

  it("withholds a JSON answer larger than --max-response-bytes (502) instead of buffering it", async () => {
    const r = await post(gw.url, toolCall(12, "huge", {}));
    expect(r.status).toBe(502);
    expect(r.json.error.data.reason).toMatch(/larger than 102400 bytes; it was withheld/);
  });

  it("refuses a request larger than --max-message-bytes (413) without forwarding it", async () => {
    const before = upstream.received.length;
    const r = await post(gw.url, toolCall(13, "echo", { blob: "y".repeat(100_000) }));
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ error: { code: -32600 } });
    expect(upstream.received.length).toBe(before);
    await ok();
  });

  it("lets go of the upstream's event stream when the client goes away", async () => {
    const abort = new AbortController();
    const res = await fetch(gw.url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream" }, body: JSON.stringify(toolCall(14, "forever", {})), signal: abort.signal });
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain("notifications/progress");
    abort.abort();
    await until(() => foreverClosed, "the upstream stream to be closed");
    await ok();
  });

  it("reuses its connections to the upstream", async () => {
    let connections = 0;
    const counted = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end('{"jsonrpc":"2.0","id":1,"result":{}}'));
    });
    counted.on("connection", () => connections++);
    await new Promise<void>((resolve) => counted.listen(0, "127.0.0.1", () => resolve()));
    const pooled = await startGatewayProcess({ policy: POLICY, args: ["--upstream", `http://127.0.0.1:${(counted.address() as AddressInfo).port}/`] });
    try {
      for (let i = 0; i < 20; i++) expect((await post(pooled.url, toolCall(i, "echo", {}))).status).toBe(200);
      expect(connections).toBe(1);
    } finally {
      await pooled.stop();
      counted.closeAllConnections();
      counted.close();
    }
  });

  it("answers 404 for a path no upstream serves, as JSON", async () => {
    const routed = await startGatewayProcess({ policy: POLICY, args: ["--upstream", `/only=${upstream.url}`] });
    try {
      const r = await post(`${routed.url}/elsewhere`, toolCall(1, "echo", {}));
      expect(r.status).toBe(404);
      expect(r.json).toMatchObject({ error: "not_found" });
    } finally {
      await routed.stop();
    }
  });
});
