// Real parts end to end: the official MCP SDK client (Streamable HTTP) → `toolgate gateway` →
// @modelcontextprotocol/server-everything in Streamable HTTP mode (its answers are SSE streams).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChildProcess } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { EVERYTHING_TOOLS, callError, itPassesTheSdkThrough, startEverything, toolText as text } from "../everything.ts";
import { until } from "../proxy/helpers.ts";
import { AWS_KEY, DLP, policy, startGatewayProcess, type GatewayProcess } from "./helpers.ts";

const POLICY = policy(`${EVERYTHING_TOOLS}
  - tool: echo
    allow_args:
      message: "^[^;]*$"
${DLP}`);

const TOKEN = "s3cret-api-token";

describe("the MCP SDK client through the gateway to server-everything", () => {
  let server: { url: string; child: ChildProcess };
  let gw: GatewayProcess;
  let client: Client;
  let transport: StreamableHTTPClientTransport;

  beforeAll(async () => {
    server = await startEverything();
    gw = await startGatewayProcess({ policy: POLICY, args: ["--upstream", `${server.url}/mcp`], env: { TOOLGATE_API_TOKEN: TOKEN } });
    client = new Client({ name: "toolgate-gateway-test", version: "1.0.0" });
    transport = new StreamableHTTPClientTransport(new URL(gw.url));
    await client.connect(transport);
  });
  afterAll(async () => {
    await client?.close().catch(() => {});
    await gw?.stop();
    server?.child.kill();
  });

  itPassesTheSdkThrough("gateway", () => ({ client, transport }));

  it("refuses a blocked tool, a tool that is not allowed and a failed argument, with the codes and data of the error contract", async () => {
    const blocked = await callError(client, "get-env", {});
    expect(blocked.code).toBe(-32001);
    expect(blocked.data).toMatchObject({ tool: "get-env", rule: "tool_rules[0]", policy_hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const notAllowed = await callError(client, "trigger-long-running-operation", { duration: 1, steps: 1 });
    expect(notAllowed.code).toBe(-32001);
    expect(notAllowed.data).toMatchObject({ rule: "allowed_tools" });
    const badArg = await callError(client, "echo", { message: "a; rm -rf /" });
    expect(badArg.code).toBe(-32001);
    expect(badArg.data).toMatchObject({ rule: "tool_rules[1].allow_args.message" });
    // Audited before the answer went back, with the same policy hash the client saw.
    const records = gw.audit().filter((r) => r.decision === "BLOCK");
    expect(records.map((r) => r.tool)).toEqual(["get-env", "trigger-long-running-operation", "echo"]);
    expect(records[2]).toMatchObject({ failed_arg: "message", failed_rule: "^[^;]*$", policy_hash: (blocked.data as any).policy_hash });
  });

  it("redacts a secret in the server's SSE answer, and audits it", async () => {
    const r = await client.callTool({ name: "echo", arguments: { message: `my key is ${AWS_KEY}` } });
    expect(text(r)).toBe("Echo: my key is [REDACTED:AWS Key]");
    const dlp = await until(() => gw.audit().find((rec) => rec.event === "DLP_TRIGGERED"), "the DLP record");
    expect(dlp).toMatchObject({ dlp_rule: "AWS Key", dlp_match_count: 1, direction: "downstream" });
    // The audit copy of the arguments is redacted too.
    const call = gw.audit().find((rec) => rec.tool === "echo" && String(rec.args?.message).startsWith("my key"));
    expect(call?.args.message).toBe("my key is [REDACTED:AWS Key]");
  });

  it("answers the decision API on the same listener, with the bearer token", async () => {
    const check = (tool: string, args: unknown, token = TOKEN) =>
      fetch(`${gw.url}/v1/validate`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ tool, arguments: args }) });
    const ok = await check("echo", { message: "hi" });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ decision: "allow" });
    expect(await (await check("get-env", {})).json()).toMatchObject({ decision: "block", violations: [{ type: "tool_not_allowed" }] });
    expect((await check("echo", {}, "wrong")).status).toBe(401);
  });

  it("serves /healthz, /readyz and /metrics on the metrics port, counting what it decided", async () => {
    expect((await fetch(`${gw.metricsUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${gw.metricsUrl}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${gw.metricsUrl}/metrics`)).text();
    expect(Number(/^aip_requests_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(8);
    expect(metrics).toMatch(/^aip_policy_decisions\{decision="block"\} [1-9]/m);
    expect(metrics).toMatch(/^aip_dlp_redactions_total\{rule="AWS Key"\} [1-9]/m);
  });

  it("opens the server's GET event stream of a session through the gateway", async () => {
    const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
    const init = await fetch(gw.url, {
      method: "POST",
      headers,
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } }),
    });
    const session = init.headers.get("mcp-session-id")!;
    await init.text();
    await (await fetch(gw.url, { method: "POST", headers: { ...headers, "mcp-session-id": session }, body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) })).text();
    const abort = new AbortController();
    const stream = await fetch(gw.url, { headers: { accept: "text/event-stream", "mcp-session-id": session }, signal: abort.signal });
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toMatch(/^text\/event-stream/);
    abort.abort();
  });

  it("ends the session with DELETE through the gateway", async () => {
    const id = transport.sessionId;
    await transport.terminateSession();
    expect(transport.sessionId).toBeUndefined();
    // The server forgot the session: a request on it is refused by the server, not by the gateway.
    const res = await fetch(gw.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-session-id": id! },
      body: JSON.stringify({ jsonrpc: "2.0", id: 99, method: "tools/list" }),
    });
    expect([400, 404]).toContain(res.status);
  });
});
