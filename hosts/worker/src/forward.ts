// Passing a request on to the upstream: the client's headers go along (Mcp-Session-Id, Authorization,
// Last-Event-ID, …) except those the Worker must own. Responses come back through the scanner.
import type { Gate } from "./gate.ts";
import { scanResponse } from "./responses.ts";
import { bodyOf } from "./failure.ts";

export async function forward(request: Request, target: URL, gate: Gate, body: Uint8Array | null, toolsList: boolean): Promise<Response> {
  const headers = new Headers(request.headers);
  headers.delete("host");
  headers.delete("content-length");
  // Ask for an uncompressed answer, which the scanner can read as it arrives.
  headers.delete("accept-encoding");
  const init: RequestInit = { method: request.method, headers, redirect: "manual" };
  if (body !== null) init.body = bodyOf(body);
  let res: Response;
  try {
    res = await fetch(target, init);
  } catch (e) {
    gate.audit.event("UPSTREAM_UNREACHABLE", { upstream: target.origin, reason: String((e as Error)?.message ?? e) }, "WARN");
    return new Response("toolgate: the MCP server is unreachable\n", { status: 502, headers: { "content-type": "text/plain" } });
  }
  return scanResponse(res, gate, toolsList);
}
