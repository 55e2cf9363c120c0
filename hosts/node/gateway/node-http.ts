// Node's http server in front of the host kit's fetch-style gateway (the Worker runs the same core on its own
// Request and Response): an IncomingMessage's headers and body become the kit's McpRequest, and the kit's
// Response is written to the ServerResponse as fast as the client reads it.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";

/** The request's headers as fetch Headers (a header fetch refuses is dropped; it could not be forwarded). */
export function requestHeaders(req: IncomingMessage): Headers {
  const h = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    try {
      h.append(raw[i], raw[i + 1]);
    } catch {
      // a forbidden or malformed header
    }
  }
  return h;
}

export interface Body {
  bytes: Uint8Array;
  /** There was more than `limit` bytes; `bytes` holds the first limit + 1. */
  truncated: boolean;
}

/** The client went away before its request was read whole. */
export class ClientGone extends Error {}

/** Read a request body of at most `limit` bytes; a longer one stops being read (never buffered whole). */
export function readBody(req: IncomingMessage, limit: number): Promise<Body> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (truncated: boolean) => {
      settled = true;
      req.off("data", onData);
      const bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts, size);
      resolve({ bytes: truncated ? bytes.subarray(0, limit + 1) : bytes, truncated });
    };
    const onData = (chunk: Buffer) => {
      parts.push(chunk);
      size += chunk.length;
      if (size > limit) {
        req.pause();
        finish(true);
      }
    };
    req.on("data", onData);
    req.once("end", () => finish(false));
    req.once("error", (e) => settled || ((settled = true), reject(new ClientGone(e.message))));
    req.once("close", () => settled || ((settled = true), reject(new ClientGone("the client closed the connection"))));
  });
}

/** Write a fetch Response to Node's response, pulling its body only as fast as the client takes it. */
export async function writeResponse(res: ServerResponse, r: Response): Promise<void> {
  const headers: OutgoingHttpHeaders = {};
  r.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value;
  });
  const cookies = r.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  res.writeHead(r.status, r.statusText || undefined, headers);
  if (r.body === null) {
    res.end();
    return;
  }
  // An event stream's headers go out at once: the client is waiting for its first event.
  if ((headers["content-type"] as string | undefined)?.startsWith("text/event-stream")) res.flushHeaders();
  const reader = r.body.getReader();
  // A client that goes away cancels the body: the upstream request (an event stream too) is aborted.
  const clientGone = () => void reader.cancel().catch(() => {});
  if (res.destroyed) return clientGone();
  res.once("close", clientGone);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) return clientGone();
      if (!res.write(value)) {
        await new Promise<void>((resolve) => {
          const go = () => {
            res.off("drain", go);
            res.off("close", go);
            resolve();
          };
          res.on("drain", go);
          res.on("close", go);
        });
      }
    }
    res.end();
  } catch {
    res.destroy(); // the body failed (engine failure mid-stream): the client sees the response break off
  } finally {
    res.off("close", clientGone);
  }
}

/** A JSON answer of the gateway's own (decision API, errors). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body) + "\n";
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers }).end(text);
}
