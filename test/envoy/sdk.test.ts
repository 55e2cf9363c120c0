// The official MCP SDK client, over Streamable HTTP, through Envoy and the filter, to the reference server
// (@modelcontextprotocol/server-everything in streamableHttp mode, which answers with server-sent events).
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { Envoy } from "../../hosts/envoy/harness.ts";
import { ensureEnvoy } from "../../hosts/envoy/setup-envoy.mjs";
import { packageRoot } from "../../conformance/drivers/stdio-process.ts";
import { AWS_KEY, INSTALL_TIMEOUT_MS, compile } from "./helpers.ts";

const EVERYTHING = join(packageRoot(), "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");

const POLICY = `apiVersion: aip.io/v1alpha1
kind: AgentPolicy
metadata:
  name: envoy-sdk
spec:
  allowed_tools: [echo, get-sum]
  dlp:
    patterns:
      - name: AWS Key
        regex: 'AKIA[0-9A-Z]{16}'
`;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

let server: ChildProcess;
let envoy: Envoy;
let client: Client;
const bundle = compile(POLICY);

beforeAll(async () => {
  ensureEnvoy();
  const port = await freePort();
  server = spawn(process.execPath, [EVERYTHING, "streamableHttp"], { env: { ...process.env, PORT: String(port) }, stdio: ["ignore", "ignore", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    let err = "";
    const t = setTimeout(() => reject(new Error(`server-everything did not start: ${err}`)), 20_000);
    server.stderr!.on("data", (c: Buffer) => {
      err += c;
      if (/listening on port/.test(err)) {
        clearTimeout(t);
        resolve();
      }
    });
    server.once("exit", (code) => reject(new Error(`server-everything exited (${code}): ${err}`)));
  });
  envoy = await Envoy.start({
    listeners: [{ name: "mcp", port: 0, cluster: "everything", filter: { bundle: bundle.bytes } }],
    clusters: [{ name: "everything", host: "127.0.0.1", port }],
  });
  client = new Client({ name: "toolgate-envoy-test", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${await envoy.port("mcp")}/mcp`)));
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await client?.close().catch(() => {});
  await envoy?.stop();
  server?.kill();
});

describe("MCP SDK client through Envoy to server-everything", () => {
  it("lists only the tools the policy allows", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["echo", "get-sum"]);
  });

  it("makes an allowed call", async () => {
    const r = await client.callTool({ name: "echo", arguments: { message: "hello" } });
    expect(r.content).toEqual([{ type: "text", text: "Echo: hello" }]);
  });

  it("gets the policy's JSON-RPC error for a blocked call", async () => {
    const err = await client.callTool({ name: "get-env", arguments: {} }).catch((e) => e);
    expect(err).toBeInstanceOf(McpError);
    expect(err.code).toBe(-32001);
    expect(err.data).toMatchObject({ tool: "get-env", rule: "allowed_tools", policy_hash: bundle.hash });
  });

  it("receives a result with the secret redacted", async () => {
    const r = await client.callTool({ name: "echo", arguments: { message: `my key is ${AWS_KEY}` } });
    expect(r.content).toEqual([{ type: "text", text: "Echo: my key is [REDACTED:AWS Key]" }]);
    await envoy.waitFor(() => envoy.audit.some((a) => a.event === "DLP_TRIGGERED" && a.dlp_rule === "AWS Key"), 5000, "the DLP record");
  });
});
