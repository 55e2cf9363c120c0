// The peers of Envoy in the tests, the conformance driver and the benchmark, as small in-process HTTP servers:
//   - an upstream MCP server (Streamable HTTP, POST only) that records what reached it and answers either a
//     canned message registered for the request's x-request-id (as JSON or as server-sent events, optionally
//     in small pieces) or a plain result;
//   - an approval service that receives the filter's questions about asked calls and answers them when told.
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Receipt {
  requestId: string;
  body: string;
  id: unknown;
  method: string | null;
}

export interface CannedAnswer {
  text: string;
  /** "json" (default): one application/json body; "sse": one event in a text/event-stream. */
  as?: "json" | "sse";
  /** Write the body in pieces of this many bytes, a few milliseconds apart (exercises chunk boundaries). */
  pieceBytes?: number;
  /** More response headers. */
  headers?: Record<string, string>;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("aborted", () => resolve(null)); // a refused request: Envoy resets it before the body
    req.on("error", () => resolve(null));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SSE framing of one message: each line of the text becomes a data line. */
export function sseEvent(text: string): string {
  return "event: message\n" + text.split("\n").map((l) => `data: ${l}\n`).join("") + "\n";
}

export class UpstreamServer {
  readonly receipts: Receipt[] = [];
  private readonly canned = new Map<string, CannedAnswer>();
  private server: Server;
  port = 0;

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
  }

  async start(): Promise<this> {
    this.port = await listen(this.server);
    return this;
  }

  /** Answer the request that carries this x-request-id with `answer`. */
  answer(requestId: string, answer: CannedAnswer): void {
    this.canned.set(requestId, answer);
  }

  received(requestId: string): Receipt | undefined {
    return this.receipts.find((r) => r.requestId === requestId);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = String(req.headers["x-request-id"] ?? "");
    const body = await readBody(req);
    if (body === null) return;
    let msg: any;
    try {
      msg = JSON.parse(body);
    } catch {
      msg = undefined;
    }
    const obj = msg !== null && typeof msg === "object" && !Array.isArray(msg) ? msg : {};
    this.receipts.push({ requestId, body, id: obj.id ?? null, method: typeof obj.method === "string" ? obj.method : null });
    const canned = this.canned.get(requestId);
    if (canned) {
      this.canned.delete(requestId);
      await this.send(res, canned);
      return;
    }
    if (!("id" in obj) || typeof obj.method !== "string") {
      res.writeHead(202).end(); // notifications and client responses get no answer
      return;
    }
    const result = obj.method === "initialize"
      ? { protocolVersion: "2025-06-18", capabilities: { tools: {} }, serverInfo: { name: "toolgate-envoy-upstream", version: "1.0.0" } }
      : { content: [{ type: "text", text: "upstream answered" }] };
    const text = JSON.stringify({ jsonrpc: "2.0", id: obj.id, result });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) }).end(text);
  }

  private async send(res: ServerResponse, a: CannedAnswer): Promise<void> {
    const sse = a.as === "sse";
    const payload = Buffer.from(sse ? sseEvent(a.text) : a.text);
    const type = { "content-type": sse ? "text/event-stream" : "application/json", ...a.headers };
    if (!a.pieceBytes) {
      res.writeHead(200, { ...type, "content-length": payload.length }).end(payload);
      return;
    }
    res.writeHead(200, type);
    for (let i = 0; i < payload.length; i += a.pieceBytes) {
      res.write(payload.subarray(i, i + a.pieceBytes));
      await sleep(2);
    }
    res.end();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

export interface Question {
  requestId: string;
  /** The filter's ASK audit record. */
  record: Record<string, any>;
  /** HTTP status to answer: 200 approves, 403 denies, anything else counts as no answer (timeout). */
  answer(status: number): void;
}

export class ApprovalService {
  readonly questions: Question[] = [];
  private waiters: (() => void)[] = [];
  private server: Server;
  /** Answer every question at once with this status, or leave them open (null). */
  autoAnswer: number | null = null;
  port = 0;

  constructor() {
    this.server = createServer(async (req, res) => {
      const body = (await readBody(req)) ?? "{}";
      let answered = false;
      const q: Question = {
        requestId: String(req.headers["x-request-id"] ?? ""),
        record: JSON.parse(body),
        answer: (status) => {
          if (answered) return;
          answered = true;
          res.writeHead(status, { "content-type": "application/json" }).end("{}");
        },
      };
      this.questions.push(q);
      if (this.autoAnswer !== null) q.answer(this.autoAnswer);
      const w = this.waiters;
      this.waiters = [];
      w.forEach((f) => f());
    });
  }

  async start(): Promise<this> {
    this.port = await listen(this.server);
    return this;
  }

  /** The question about the request with this x-request-id, once it arrives (null after timeoutMs). */
  async question(requestId: string, timeoutMs: number): Promise<Question | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const q = this.questions.find((x) => x.requestId === requestId);
      if (q) return q;
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        t.unref();
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  async close(): Promise<void> {
    for (const q of this.questions) q.answer(504);
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

export interface HttpReply {
  status: number;
  contentType: string;
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * POST on a connection of its own (Connection: close). Listener ports come and go in the conformance driver,
 * and a pooled connection to a removed listener whose port was handed out again would fail.
 */
export function post(port: number, path: string, body: string, headers: Record<string, string>, timeoutMs = 20_000, method = "POST"): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const length = headers["transfer-encoding"] === "chunked" ? {} : { "content-length": Buffer.byteLength(body) };
    const req = httpRequest(
      { host: "127.0.0.1", port, path, method, agent: false, headers: { ...headers, ...length }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers["content-type"] ?? ""), headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer from port ${port} in ${timeoutMs} ms`)));
    req.on("error", (e) => reject(new Error(`${method} to port ${port} failed: ${e.message}`)));
    req.end(body);
  });
}
