// Shared set-up of the Worker tests: policies compiled to bundles, small local upstreams on loopback, the
// toolgate Worker in real workerd (hosts/worker/workerd.ts), and MCP POSTs.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { compilePolicy } from "../../compiler/index.ts";
import { Workerd, gatewayWorker } from "../../hosts/worker/workerd.ts";

export const AWS_KEY = "AKIAIOSFODNN7EXAMPLE";

export function policy(spec: string, name = "worker-test"): string {
  return `apiVersion: aip.io/v1alpha1
kind: AgentPolicy
metadata:
  name: ${name}
  version: 1.0.0
spec:
${spec.replace(/^/gm, "  ")}
`;
}

export const DLP = `dlp:
  patterns:
    - name: AWS Key
      regex: '\\b(AKIA|ASIA)[A-Z0-9]{16}\\b'`;

export function bundle(policyText: string): Uint8Array {
  return compilePolicy(policyText, "<inline>", { cwd: "/work", home: "/home/agent" }).bytes;
}

export interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface LocalServer {
  /** host:port */
  address: string;
  url: string;
  received: Received[];
  close(): Promise<void>;
}

/** An HTTP server on loopback that records every request and lets `handle` answer it. */
export async function localServer(handle: (r: Received, res: http.ServerResponse) => void | Promise<void>): Promise<LocalServer> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => {
      const r = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(parts).toString("utf8") };
      received.push(r);
      void handle(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    address,
    url: `http://${address}`,
    received,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Answers every JSON-RPC request with a fixed result and everything else with 202. */
export function echoUpstream(result: unknown = { content: [{ type: "text", text: "upstream answered" }] }) {
  return (r: Received, res: http.ServerResponse) => {
    let msg: any = null;
    try {
      msg = JSON.parse(r.body);
    } catch {
      // not JSON
    }
    if (msg && typeof msg === "object" && "id" in msg && typeof msg.method === "string") {
      res.writeHead(200, { "content-type": "application/json", "mcp-session-id": "session-from-upstream" });
      res.end(JSON.stringify({ jsonrpc: "2.0", id: msg.id, result }));
    } else res.writeHead(202).end();
  };
}

/** The toolgate Worker in workerd, socket "gw". */
export function startGateway(opts: { policy?: string | null; vars?: Record<string, string>; kv?: Record<string, string> }): Promise<Workerd> {
  return Workerd.start([gatewayWorker("gw", { policy: opts.policy ? bundle(opts.policy) : null, vars: opts.vars, kv: opts.kv })]);
}

export function toolCall(id: number | string, name: string, args: Record<string, unknown> = {}) {
  return { jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } };
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; text: string; json: any }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    // empty or SSE
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Audit records the Worker wrote from line `from` on, after the given condition holds. */
export async function records(w: Workerd, from: number, until: (r: Record<string, any>[]) => boolean): Promise<Record<string, any>[]> {
  await w.waitFor(() => until(w.records(from)), 5000, "audit records");
  return w.records(from);
}
