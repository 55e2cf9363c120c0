// Real parts end to end: the official MCP SDK client (Streamable HTTP) → the Worker in workerd →
// @modelcontextprotocol/server-everything in Streamable HTTP mode (its answers are SSE streams).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChildProcess } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { EVERYTHING_TOOLS, callError, itPassesTheSdkThrough, startEverything, toolText as text } from "../everything.ts";
import type { Workerd } from "../../hosts/worker/workerd.ts";
import { AWS_KEY, DLP, policy, records, startGateway } from "./helpers.ts";

const POLICY = policy(`${EVERYTHING_TOOLS}
${DLP}`);

describe("the MCP SDK client through the Worker to server-everything", () => {
  let server: { url: string; child: ChildProcess };
  let w: Workerd;
  let client: Client;
  let transport: StreamableHTTPClientTransport;

  beforeAll(async () => {
    server = await startEverything();
    w = await startGateway({ policy: POLICY, vars: { UPSTREAM_URL: server.url } });
    client = new Client({ name: "toolgate-worker-test", version: "1.0.0" });
    transport = new StreamableHTTPClientTransport(new URL(`${w.url("gw")}/mcp`));
    await client.connect(transport);
  });
  afterAll(async () => {
    await transport?.terminateSession().catch(() => {});
    await client?.close().catch(() => {});
    await w?.stop();
    server?.child.kill();
  });

  itPassesTheSdkThrough("Worker", () => ({ client, transport }));

  it("refuses a blocked call with -32001 and the policy hash", async () => {
    const from = w.lines.length;
    const e = await callError(client, "get-env", {});
    expect(e.code).toBe(-32001);
    expect((e.data as any).policy_hash).toMatch(/^[0-9a-f]{64}$/);
    expect((e.data as any).rule).toBe("tool_rules[0]");
    const rec = (await records(w, from, (rs) => rs.some((r) => r.tool === "get-env"))).find((r) => r.tool === "get-env");
    expect(rec).toMatchObject({ decision: "BLOCK", policy_hash: (e.data as any).policy_hash });
  });

  it("redacts a secret in the server's (SSE) answer", async () => {
    const r = await client.callTool({ name: "echo", arguments: { message: `my key is ${AWS_KEY}` } });
    expect(text(r)).toBe("Echo: my key is [REDACTED:AWS Key]");
  });
});
