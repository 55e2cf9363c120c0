// The gateway's upstream fetch on Node: node:http(s) over keep-alive agents (a pool of connections per upstream
// origin), answering with a fetch Response whose body streams the upstream's bytes as they arrive, paused while
// the client is slower. Node's global fetch does the same through more layers (undici's web streams and
// Request/Response machinery on the way out and back), which cost the gateway more than the policy does.
import http from "node:http";
import https from "node:https";

const AGENTS: Record<string, http.Agent> = {
  "http:": new http.Agent({ keepAlive: true, maxSockets: 256 }),
  "https:": new https.Agent({ keepAlive: true, maxSockets: 256 }),
};

/** A request failure carrying the system error code (ECONNREFUSED, ECONNRESET, ...), as fetch's cause does. */
class UpstreamError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

/** The upstream's body as a web stream: pulled as the reader asks, the socket paused in between. */
function bodyStream(res: http.IncomingMessage): ReadableStream<Uint8Array> {
  let ended = false;
  return new ReadableStream<Uint8Array>(
    {
      start(c) {
        res.on("data", (chunk: Buffer) => {
          if (ended) return; // cancelled, or broken: what still arrives goes nowhere
          c.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
          if ((c.desiredSize ?? 0) <= 0) res.pause();
        });
        res.once("end", () => {
          if (ended) return;
          ended = true;
          c.close();
        });
        const broken = (e?: NodeJS.ErrnoException) => {
          if (ended) return;
          ended = true;
          c.error(new UpstreamError(e?.message ?? "the connection closed before the answer ended", e?.code ?? "ECONNRESET"));
        };
        res.on("error", broken);
        res.once("close", () => broken());
        res.pause();
      },
      pull() {
        res.resume();
      },
      cancel() {
        ended = true;
        res.destroy();
      },
    },
    { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength },
  );
}

export function nodeFetch(url: URL, init: RequestInit): Promise<Response> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => (headers[name] = value));
    const body = init.body as Uint8Array | undefined;
    if (body !== undefined) headers["content-length"] = String(body.byteLength);
    const client = url.protocol === "https:" ? https : http;
    const req = client.request(url, { method: init.method, headers, agent: AGENTS[url.protocol] }, (res) => {
      const h = new Headers();
      const raw = res.rawHeaders;
      for (let i = 0; i < raw.length; i += 2) {
        try {
          h.append(raw[i], raw[i + 1]);
        } catch {
          // a header fetch cannot carry
        }
      }
      const status = res.statusCode ?? 502;
      const empty = init.method === "HEAD" || status === 204 || status === 304;
      try {
        resolve(new Response(empty ? null : bodyStream(res), { status, statusText: res.statusMessage, headers: h }));
      } catch (e) {
        res.destroy();
        reject(new UpstreamError(`unusable answer (HTTP ${status}): ${(e as Error).message}`));
      }
      if (empty) res.resume();
    });
    req.on("error", (e: NodeJS.ErrnoException) => reject(new UpstreamError(e.message, e.code)));
    const signal = init.signal;
    if (signal) {
      const abort = () => req.destroy(new UpstreamError("aborted", "ABORT_ERR"));
      if (signal.aborted) abort();
      else signal.addEventListener("abort", abort, { once: true });
    }
    req.end(body);
  });
}
