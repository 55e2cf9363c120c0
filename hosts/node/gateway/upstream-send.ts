// The gateway's upstream requests on Node: node:http(s) over keep-alive agents (a pool of connections per
// upstream origin). The answer's body is the response stream itself, pulled chunk by chunk (the socket waits
// while the client is slower); no web streams or fetch objects on the way, which cost more than the policy.
import http from "node:http";
import https from "node:https";
import type { Cancel, Chunks, HeaderList, UpstreamAnswer, UpstreamRequest } from "../../kit/gateway/http.ts";

const AGENTS: Record<string, http.Agent> = {
  "http:": new http.Agent({ keepAlive: true, maxSockets: 256 }),
  "https:": new https.Agent({ keepAlive: true, maxSockets: 256 }),
};

/** A request failure carrying the system error code (ECONNREFUSED, ECONNRESET, ...). */
class UpstreamError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

function headerList(raw: string[]): HeaderList {
  const out: HeaderList = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i].toLowerCase(), raw[i + 1]]);
  return out;
}

/** The response stream as Chunks: a connection that closes before the end rejects the next read. */
function chunks(res: http.IncomingMessage): Chunks {
  const it = res[Symbol.asyncIterator]() as AsyncIterator<Buffer, undefined>;
  return {
    next: () => it.next() as Promise<IteratorResult<Uint8Array, undefined>>,
    return: async () => {
      res.destroy();
      return { done: true, value: undefined };
    },
  };
}

export function nodeSend(url: URL, request: UpstreamRequest, cancel: Cancel): Promise<UpstreamAnswer> {
  return new Promise((resolve, reject) => {
    // An object, not a raw list: Node then adds Host and Content-Length itself.
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of request.headers) {
      const had = headers[name];
      headers[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [String(had), value];
    }
    if (request.body !== null) headers["content-length"] = request.body.byteLength;
    const client = url.protocol === "https:" ? https : http;
    const req = client.request(url, { method: request.method, headers, agent: AGENTS[url.protocol] }, (res) => {
      const status = res.statusCode ?? 502;
      const empty = request.method === "HEAD" || status === 204 || status === 304;
      if (empty) res.resume();
      resolve({ status, headers: headerList(res.rawHeaders), body: empty ? null : chunks(res) });
    });
    req.on("error", (e: NodeJS.ErrnoException) => reject(new UpstreamError(e.message, e.code)));
    cancel.onCancel = () => req.destroy(new UpstreamError("cancelled", "ABORT_ERR"));
    req.end(request.body ?? undefined);
  });
}
