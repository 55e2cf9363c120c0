// Shared set-up of the Envoy tests: policies compiled to bundles, the in-process peers, MCP requests.
import { compilePolicy } from "../../compiler/index.ts";
import { newEngine } from "../../hosts/kit/node.ts";
import type { Engine } from "../../hosts/kit/engine.ts";
import { post, type HttpReply } from "../../hosts/envoy/peers.ts";

/** Envoy is installed (pip, in a virtualenv under the repository) on first use: allow for a download. */
export const INSTALL_TIMEOUT_MS = 240_000;

export const AWS_KEY = "AKIAIOSFODNN7EXAMPLE";

export const POLICY = `apiVersion: aip.io/v1alpha1
kind: AgentPolicy
metadata:
  name: envoy-test
spec:
  allowed_tools: [read_file, echo, list_files]
  denied_tools: [delete_file]
  tool_rules:
    - tool: deploy
      action: ask
    - tool: limited
      rate_limit: 3/minute
  protected_paths: [/etc/shadow]
  dlp:
    patterns:
      - name: AWS Key
        regex: 'AKIA[0-9A-Z]{16}'
`;

export function compile(policy: string): { bytes: Uint8Array; hash: string } {
  const c = compilePolicy(policy, "<inline>", { cwd: "/work", home: "/home/agent" });
  return { bytes: c.bytes, hash: c.hash };
}

/** The engine in-process with this bundle: what every other host sends for the same message. */
export function engineWith(bundle: Uint8Array): Engine {
  const e = newEngine();
  e.loadBundle(bundle);
  return e;
}

let ids = 0;
export const nextRequestId = (prefix = "t") => `${prefix}-${++ids}-${process.pid}`;

export function toolCall(tool: string, args: Record<string, unknown> = {}, id: number | string = 1): string {
  return JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: tool, arguments: args } });
}

/** POST an MCP message as a Streamable HTTP client does. */
export function mcpPost(port: number, body: string, requestId = nextRequestId(), extra: Record<string, string> = {}): Promise<HttpReply & { requestId: string }> {
  return post(port, "/mcp", body, { "content-type": "application/json", accept: "application/json, text/event-stream", "x-request-id": requestId, ...extra })
    .then((r) => ({ ...r, requestId }));
}
