// The Worker in real workerd: every vector is POSTed by a client to the bundled Worker (build/worker), which
// proxies to a local MCP upstream. What the client receives is the response; what the upstream receives is
// `forwarded`; the Worker's audit records (workerd's stdout) give the decision, violation, rule and reason.
//
// The policy of each vector reaches the Worker through KV, as a deployed policy update would: a local KV
// service answers workerd's KV requests, and every vector bumps the version key, so the Worker reloads the
// bundle (with fresh rate-limit buckets) on the vector's first request. Vectors without a policy go to a
// second Worker that has none. `ask` goes to a local approval service that answers as the vector says.
//
// After each vector a sentinel (a tools/call that is always audited, with a unique id) is sent and its record
// awaited: every record the vector caused was written before it, so no sleeps are needed.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { vectorBundle } from "./bundles.ts";
import { Workerd, gatewayWorker } from "../../hosts/worker/workerd.ts";
import { serverAnswer, requestText, type DecisionInput, type DecisionOutcome, type HostDriver, type ResponseInput, type ResponseOutcome } from "../types.ts";

const VECTOR = "x-toolgate-vector";
const KV_GATEWAY = "kv";
const BARE_GATEWAY = "bare";

export interface WorkerDriverOptions {
  /** Answer response vectors as server-sent events cut into chunks of this many bytes (0: one JSON body). */
  sseChunkBytes?: number;
}

interface Question {
  record: Record<string, any>;
  answer: (status: number) => void;
}

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
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

export class WorkerDriver implements HostDriver {
  readonly name = "worker";
  private workerd: Workerd | null = null;
  private upstream = http.createServer((req, res) => void this.serveUpstream(req, res));
  private control = http.createServer((req, res) => void this.serveControl(req, res));
  private kv = new Map<string, Buffer>();
  private version = 0;
  private seq = 0;
  private sentinels = 0;
  /** Vector numbers whose request reached the upstream. */
  private received = new Set<string>();
  /** Canned upstream answers by vector number (response vectors). */
  private canned = new Map<string, string>();
  private questions: Question[] = [];
  private onQuestion: (() => void) | null = null;
  private approvalAnswer: "approve" | "deny" | "timeout" | "hold" = "hold";

  constructor(private readonly opts: WorkerDriverOptions = {}) {}

  async open(): Promise<void> {
    const upstream = await listen(this.upstream);
    const control = await listen(this.control);
    const common = { UPSTREAM_URL: `http://${upstream}`, APPROVAL_URL: `http://${control}/approve`, APPROVAL_TIMEOUT_MS: "10000" };
    this.workerd = await Workerd.start([
      gatewayWorker(KV_GATEWAY, {
        vars: { ...common, POLICY_VERSION_KEY: "version", POLICY_KEY: "policy.tgb", POLICY_REFRESH_SECONDS: "0" },
        kv: { POLICY_KV: control },
      }),
      gatewayWorker(BARE_GATEWAY, { vars: common }),
    ]);
  }

  async close(): Promise<void> {
    for (const q of this.questions.splice(0)) q.answer(504);
    await this.workerd?.stop();
    this.workerd = null;
    this.upstream.closeAllConnections();
    this.control.closeAllConnections();
    await Promise.all([this.upstream, this.control].map((s) => new Promise((r) => (s.listening ? s.close(r) : r(undefined)))));
  }

  /** The MCP server behind the Worker: records what reached it and answers. */
  private async serveUpstream(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    const seq = req.headers[VECTOR];
    if (typeof seq === "string") this.received.add(seq);
    const canned = typeof seq === "string" ? this.canned.get(seq) : undefined;
    if (canned !== undefined) {
      if (this.opts.sseChunkBytes) {
        const bytes = Buffer.from(sseEvent(canned));
        res.writeHead(200, { "content-type": "text/event-stream" });
        for (let i = 0; i < bytes.length; i += this.opts.sseChunkBytes) {
          res.write(bytes.subarray(i, i + this.opts.sseChunkBytes));
          await sleep(1); // separate chunks, so secrets straddle the reads of the Worker
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

  /** KV (as workerd asks it: GET /<key>?urlencoded=true) and the approval service. */
  private async serveControl(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? "/", "http://control");
    if (req.method === "POST" && url.pathname === "/approve") {
      const record = JSON.parse(body.toString("utf8"));
      const answer = (status: number) => void res.writeHead(status).end();
      if (String(record.id).startsWith("sentinel-")) return answer(403);
      const mode = this.approvalAnswer;
      if (mode === "approve") return answer(200);
      if (mode === "deny") return answer(403);
      if (mode === "timeout") return answer(504);
      this.questions.push({ record, answer });
      this.onQuestion?.();
      return;
    }
    const value = this.kv.get(decodeURIComponent(url.pathname.slice(1)));
    if (req.method !== "GET" || value === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "application/octet-stream" }).end(value);
  }

  /** Put the vector's policy into KV under a new version: the Worker reloads it on the next request. */
  private gateway(policy: string | null): string {
    if (policy === null) return this.workerd!.url(BARE_GATEWAY);
    this.kv.set("policy.tgb", Buffer.from(vectorBundle(policy)));
    this.kv.set("version", Buffer.from(`v${++this.version}`));
    return this.workerd!.url(KV_GATEWAY);
  }

  private post(base: string, body: string, seq?: string): Promise<Response> {
    const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json, text/event-stream" };
    if (seq) headers[VECTOR] = seq;
    return fetch(`${base}/mcp`, { method: "POST", headers, body });
  }

  /** Send a sentinel and wait for its audit record; returns the records written before it, from `from` on. */
  private async sync(base: string, from: number): Promise<Record<string, any>[]> {
    const id = `sentinel-${++this.sentinels}`;
    const res = await this.post(base, JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "toolgate-conformance-sentinel", arguments: {} } }));
    await res.arrayBuffer();
    const w = this.workerd!;
    const isSentinel = (r: Record<string, any>) => r.id === id;
    await w.waitFor(() => w.records(from).some(isSentinel), 10_000, `the audit record of ${id}`);
    const all = w.records(from);
    return all.slice(0, all.findIndex(isSentinel));
  }

  async decide(policy: string | null, input: DecisionInput): Promise<DecisionOutcome> {
    const base = this.gateway(policy);
    for (let i = 0; i < (input.previousCalls ?? 0); i++) await (await this.post(base, requestText(input, `prior-${i}`))).arrayBuffer();
    const w = this.workerd!;
    const from = w.lines.length;
    const seq = String(++this.seq);
    this.approvalAnswer = input.userResponse ?? "hold";
    const asked = new Promise<"asked">((resolve) => (this.onQuestion = () => resolve("asked")));
    const answer = this.post(base, requestText(input), seq).then(async (r) => ({ status: r.status, text: await r.text() }));
    let reply: Record<string, any> | null = null;
    const open = (await Promise.race([answer, asked])) === "asked";
    if (open) {
      // The question is open, as a client sees it: nothing answered, nothing forwarded. Then it times out.
      for (const q of this.questions.splice(0)) q.answer(504);
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
    const records = await this.sync(base, from);
    const decisions = records.filter((r) => "decision" in r);
    // An open question is judged by the ASK record; the answer the driver gave afterwards is not the vector's.
    const record = open ? decisions.filter((r) => r.decision === "ASK").at(-1) : decisions.at(-1);
    let decision = String(record?.decision ?? "ALLOW");
    if (decision === "ALLOW_MONITOR") decision = "ALLOW";
    if (open) decision = "ASK";
    const pending = decision === "ALLOW" || decision === "ASK";
    return {
      decision: decision as DecisionOutcome["decision"],
      errorCode: pending ? null : (record?.error_code ?? reply?.error?.code ?? null),
      violation: record?.violation ?? false,
      response: reply,
      forwarded: this.received.has(seq),
      rule: record?.rule ?? "",
      reason: record?.reason ?? "",
    };
  }

  async respond(policy: string, input: ResponseInput): Promise<ResponseOutcome> {
    const base = this.gateway(policy);
    const seq = String(++this.seq);
    const { id, text } = serverAnswer(input, `answer-${seq}`);
    this.canned.set(seq, text);
    const from = this.workerd!.lines.length;
    const method = input.requestMethod === "tools/list" ? "tools/list" : "ping";
    const res = await this.post(base, JSON.stringify({ jsonrpc: "2.0", id, method }), seq);
    const body = await res.text();
    this.canned.delete(seq);
    if (!this.received.has(seq)) throw new Error(`the policy refused the request that fetches the server message: ${body}`);
    const output = this.opts.sseChunkBytes ? sseData(body) : body;
    const events = (await this.sync(base, from))
      .filter((r) => r.event === "DLP_TRIGGERED")
      .map((r) => ({ rule: r.dlp_rule as string, count: r.dlp_match_count as number }));
    if (input.content !== undefined) {
      const got = JSON.parse(output)?.result?.text;
      if (typeof got !== "string") throw new Error(`unexpected answer through the Worker: ${output}`);
      return { output: got, events };
    }
    return { output, events };
  }
}
