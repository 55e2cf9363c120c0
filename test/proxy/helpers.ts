// Shared set-up of the proxy tests: temp dirs and policies, the real reference servers, the official MCP SDK
// client talking to `node bin/toolgate.js proxy`, and the audit log.
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { afterAll } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema, type ElicitRequest, type ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import { ProxyProcess, TOOLGATE_BIN, packageRoot } from "../../conformance/drivers/stdio-process.ts";

export const ROOT = packageRoot();
export const BIN = TOOLGATE_BIN;
export const FILESYSTEM = join(ROOT, "node_modules/@modelcontextprotocol/server-filesystem/dist/index.js");
export const EVERYTHING = join(ROOT, "node_modules/@modelcontextprotocol/server-everything/dist/index.js");
export const ECHO = join(ROOT, "test/proxy/fixtures/echo-server.mjs");

/** `setsid` starts the proxy without a controlling terminal (the "nobody to ask" case), where available. */
export const SETSID = (() => {
  try {
    return execFileSync("sh", ["-c", "command -v setsid"], { encoding: "utf8" }).trim() || null;
  } catch {
    return null;
  }
})();

const made: string[] = [];

export function tempDir(prefix = "toolgate-proxy-"): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  made.push(dir);
  return dir;
}

// The temp dirs of a test file go when its tests are done.
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function writeFile(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

export function readAudit(path: string): Record<string, any>[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

export const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export interface SdkSession {
  client: Client;
  transport: StdioClientTransport;
  /** The proxy's stderr so far. */
  stderr(): string;
  audit: string;
  close(): Promise<void>;
}

export interface SdkOptions {
  policy: string;
  server: string[];
  dir: string;
  proxyArgs?: string[];
  /** Declare elicitation and answer each question with this. */
  elicit?: (req: ElicitRequest) => ElicitResult | Promise<ElicitResult>;
  /** Start the proxy in a new session, without a controlling terminal. */
  noTerminal?: boolean;
}

/** The official SDK client, connected through the proxy to a real server. */
export async function connectSdk(o: SdkOptions): Promise<SdkSession> {
  const audit = join(o.dir, `audit-${Math.random().toString(36).slice(2)}.jsonl`);
  const proxyArgv = [BIN, "proxy", "--policy", o.policy, "--audit", audit, ...(o.proxyArgs ?? []), "--", ...o.server];
  const [command, args] = o.noTerminal && SETSID ? [SETSID, [process.execPath, ...proxyArgv]] : [process.execPath, proxyArgv];
  const transport = new StdioClientTransport({ command, args, stderr: "pipe", cwd: o.dir, env: { ...process.env } as Record<string, string> });
  let err = "";
  transport.stderr?.on("data", (c: Buffer) => (err += c.toString()));
  const client = new Client({ name: "toolgate-test", version: "1.0.0" }, { capabilities: o.elicit ? { elicitation: {} } : {} });
  if (o.elicit) client.setRequestHandler(ElicitRequestSchema, async (req) => o.elicit!(req));
  await client.connect(transport);
  return { client, transport, stderr: () => err, audit, close: () => client.close() };
}

/** A raw client (line by line) of `toolgate proxy ... -- <server>`. */
export function rawProxy(args: string[], cwd?: string): ProxyProcess {
  return new ProxyProcess({ args, cwd });
}

export async function until<T>(f: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
