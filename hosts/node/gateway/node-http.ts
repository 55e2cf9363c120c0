// Node's http server in front of the host kit's gateway core (the Worker runs the same core behind its own
// Request and Response): an IncomingMessage's headers and body become the kit's McpRequest, and the kit's
// Answer is written to the ServerResponse as fast as the client reads it.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { Answer, HeaderList } from "../../kit/gateway/http.ts";

/** The request's headers, names in lower case, in order. */
export function requestHeaders(req: IncomingMessage): HeaderList {
  const out: HeaderList = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i].toLowerCase(), raw[i + 1]]);
  return out;
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

/** Write the gateway's answer; a streamed body is pulled only as fast as the client takes it. */
export async function writeAnswer(res: ServerResponse, a: Answer): Promise<void> {
  if (res.destroyed) {
    if (a.body !== null && !(a.body instanceof Uint8Array)) await a.body.return();
    return;
  }
  res.writeHead(a.status, a.headers.flat());
  const body = a.body;
  if (body === null || body instanceof Uint8Array) {
    res.end(body ?? undefined);
    return;
  }
  // An event stream's headers go out at once: the client is waiting for its first event.
  res.flushHeaders();
  // A client that goes away lets go of the body: the upstream request (an event stream too) is closed.
  const clientGone = () => void body.return().catch(() => {});
  res.once("close", clientGone);
  try {
    for (;;) {
      const { done, value } = await body.next();
      if (done) break;
      if (res.destroyed) return;
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
    res.destroy(); // the body failed (engine failure mid-stream): the client sees the answer break off
  } finally {
    res.off("close", clientGone);
  }
}

/** A JSON answer of the gateway's own (decision API, errors). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body) + "\n";
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers }).end(text);
}
