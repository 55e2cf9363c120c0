// @modelcontextprotocol/server-everything in its Streamable HTTP mode, on a free loopback port: the real
// upstream of the HTTP hosts' SDK tests (the Worker, the Node gateway), and what those tests ask the SDK client.
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { join } from "node:path";
import { expect, it } from "vitest";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { packageRoot } from "../conformance/drivers/stdio-process.ts";

const EVERYTHING = join(packageRoot(), "node_modules/@modelcontextprotocol/server-everything/dist/index.js");

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/** server-everything listening (it reads PORT); its MCP endpoint is `${url}/mcp`. */
export async function startEverything(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [EVERYTHING, "streamableHttp"], { env: { ...process.env, PORT: String(port) }, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server-everything did not start: ${err}`)), 20_000);
    child.stderr!.on("data", (c) => {
      err += c;
      if (err.includes("listening on port")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`server-everything exited (${code}): ${err}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

/** The JSON-RPC error a tool call is refused with (fails when the call succeeds). */
export async function callError(client: Client, name: string, args: Record<string, unknown>): Promise<McpError> {
  try {
    const r = await client.callTool({ name, arguments: args });
    throw new Error(`expected a JSON-RPC error, got ${JSON.stringify(r).slice(0, 300)}`);
  } catch (e) {
    if (!(e instanceof McpError)) throw e;
    return e;
  }
}

/** The text of a tool result. */
export const toolText = (r: any): string => (r.content as { text?: string }[]).map((c) => c.text ?? "").join("");

/** A policy for server-everything that both HTTP hosts' SDK tests start from: echo and get-sum pass, get-env is blocked. */
export const EVERYTHING_TOOLS = `allowed_tools: [echo, get-sum, get-env]
tool_rules:
  - tool: get-env
    action: block`;

/**
 * What the SDK client must see through any HTTP host in front of server-everything with EVERYTHING_TOOLS: the
 * session set up through the host, the tool list filtered, allowed calls answered.
 */
export function itPassesTheSdkThrough(host: string, session: () => { client: Client; transport: StreamableHTTPClientTransport }): void {
  it(`initializes through the ${host}: the server's session id comes back and is sent on`, () => {
    const { client, transport } = session();
    expect(client.getServerVersion()?.name).toMatch(/everything/i);
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("lists only the tools the policy lets through", async () => {
    const names = (await session().client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(["echo", "get-sum"]));
    expect(names).not.toContain("get-env"); // action: block
    expect(names).not.toContain("trigger-long-running-operation"); // not allowed
  });

  it("passes allowed calls to the server", async () => {
    const { client } = session();
    expect(toolText(await client.callTool({ name: "echo", arguments: { message: "hello" } }))).toBe("Echo: hello");
    expect(toolText(await client.callTool({ name: "get-sum", arguments: { a: 2, b: 3 } }))).toContain("5");
  });
}
