// The peers of an HTTP host (the Node gateway, the Worker) in the conformance drivers, as in-process servers:
//   - VectorUpstream: the MCP server behind the host, which records which vector's request reached it (the
//     x-toolgate-vector header) and answers a response vector's request with the vector's message, as one JSON
//     body or as an SSE event cut into small chunks (other requests get a plain result, notifications a 202);
//   - Approvals: the approval service's side of `ask`, which answers the host's question as the vector says or
//     holds it open; the driver's own control server passes it the questions.
// And the client's side: postVector, and the SSE framing both ends use.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { serverAnswer, type DecisionInput, type ResponseInput } from "../types.ts";

/** The header that carries a vector's number to the upstream. */
const VECTOR = "x-toolgate-vector";

/** Listen on a free loopback port; resolves to host:port. */
export function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

/** Drop a server's connections and close it (if it is listening). */
export function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((r) => (server.listening ? server.close(() => r()) : r()));
}

export function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => resolve(Buffer.concat(parts)));
    req.on("error", reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An SSE body carrying one message, each line of it a data line (as the SSE format requires). */
export function sseEvent(text: string): string {
  return `event: message\n${text.split(/\r?\n/).map((l) => `data: ${l}`).join("\n")}\n\n`;
}

/** The message of an SSE body: the data lines of its events, joined with newlines. */
export function sseData(body: string): string {
  return body.split(/\r?\n/).filter((l) => l.startsWith("data:")).map((l) => l.slice(l.startsWith("data: ") ? 6 : 5)).join("\n");
}

/** POST a message to the host's /mcp as an MCP client does; `seq` marks it as that vector's request. */
export function postVector(base: string, body: string, seq?: string): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json, text/event-stream" };
  if (seq) headers[VECTOR] = seq;
  return fetch(`${base}/mcp`, { method: "POST", headers, body });
}

/** The MCP server behind the host: records what reached it and answers. */
export class VectorUpstream {
  private readonly server = http.createServer((req, res) => void this.serve(req, res));
  /** Vector numbers whose request reached the upstream. */
  private readonly received = new Set<string>();
  /** Canned answers by vector number (response vectors). */
  private readonly canned = new Map<string, string>();

  /** `sseChunkBytes`: send canned answers as server-sent events cut into chunks of this many bytes (0: one JSON body). */
  constructor(private readonly sseChunkBytes = 0) {}

  /** Resolves to host:port. */
  start(): Promise<string> {
    return listen(this.server);
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  /** Did the request of vector `seq` reach the upstream? */
  reached(seq: string): boolean {
    return this.received.has(seq);
  }

  /**
   * Run a response vector: `send` posts the request it is given as vector `seq`'s, and the upstream answers it
   * with the vector's server message. Returns the message the client received (out of its SSE event when the
   * upstream sent one); throws when the request did not reach the upstream.
   */
  async fetchAnswer(seq: string, input: ResponseInput, send: (request: string) => Promise<Response>): Promise<string> {
    const { id, text } = serverAnswer(input, `answer-${seq}`);
    const method = input.requestMethod === "tools/list" ? "tools/list" : "ping";
    this.canned.set(seq, text);
    let body: string;
    try {
      body = await (await send(JSON.stringify({ jsonrpc: "2.0", id, method }))).text();
    } finally {
      this.canned.delete(seq);
    }
    if (!this.received.has(seq)) throw new Error(`the policy refused the request that fetches the server message: ${body}`);
    return this.sseChunkBytes ? sseData(body) : body;
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    const seq = req.headers[VECTOR];
    if (typeof seq === "string") this.received.add(seq);
    const canned = typeof seq === "string" ? this.canned.get(seq) : undefined;
    if (canned !== undefined) {
      if (this.sseChunkBytes) {
        const bytes = Buffer.from(sseEvent(canned));
        res.writeHead(200, { "content-type": "text/event-stream" });
        for (let i = 0; i < bytes.length; i += this.sseChunkBytes) {
          res.write(bytes.subarray(i, i + this.sseChunkBytes));
          await sleep(1); // separate chunks, so secrets straddle the host's reads
        }
        res.end();
      } else {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(canned);
      }
      return;
    }
    let msg: any;
    try {
      msg = JSON.parse(body.toString("utf8"));
    } catch {
      msg = null;
    }
    if (msg && typeof msg === "object" && !Array.isArray(msg) && "id" in msg && typeof msg.method === "string") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ jsonrpc: "2.0", id: msg.id, result: { content: [{ type: "text", text: "upstream answered" }] } }));
    } else {
      res.writeHead(202).end();
    }
  }
}

/** The approval service's answers: as the vector being run says, or none (the question is held open). */
export class Approvals {
  private held: ((status: number) => void)[] = [];
  private onQuestion: (() => void) | null = null;
  private mode: NonNullable<DecisionInput["userResponse"]> | "hold" = "hold";

  /** A question from the host: answered now (200 approves, 403 denies, 504: no answer in time) or held. */
  receive(res: http.ServerResponse): void {
    const answer = (status: number) => void res.writeHead(status).end();
    if (this.mode === "approve") return answer(200);
    if (this.mode === "deny") return answer(403);
    if (this.mode === "timeout") return answer(504);
    this.held.push(answer);
    this.onQuestion?.();
  }

  /**
   * Send a vector's request with `send`, the host's question about it answered as `userResponse` says. With no
   * user response the question stays open, as a client sees it: nothing answered, nothing forwarded; it is then
   * let time out. Returns whether it was left open, and the JSON-RPC error the client received, if any.
   */
  async exchange(userResponse: DecisionInput["userResponse"], send: () => Promise<Response>): Promise<{ asked: boolean; reply: Record<string, any> | null }> {
    this.mode = userResponse ?? "hold";
    const question = new Promise<"asked">((resolve) => (this.onQuestion = () => resolve("asked")));
    const answer = send().then(async (r) => ({ status: r.status, text: await r.text() }));
    let reply: Record<string, any> | null = null;
    const asked = (await Promise.race([answer, question])) === "asked";
    if (asked) {
      this.release();
      await answer;
    } else {
      const { text } = await answer;
      try {
        const m = JSON.parse(text);
        if (m && typeof m === "object" && "error" in m && !("method" in m)) reply = m;
      } catch {
        // an empty body (a dropped notification, an accepted one)
      }
    }
    this.onQuestion = null;
    return { asked, reply };
  }

  /** Let every held question time out (504). */
  release(): void {
    for (const answer of this.held.splice(0)) answer(504);
  }
}
