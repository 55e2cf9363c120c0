// The Node HTTP gateway (`toolgate gateway`), started in-process with startGateway: every vector is POSTed by a
// client to the gateway, which proxies to a local MCP upstream. What the client receives is the response; what
// the upstream receives is `forwarded`; the gateway's audit file (JSON Lines, each record written before the
// message moves on) gives the decision, violation, rule and reason.
//
// Each vector's policy is written to the gateway's policy file as a compiled bundle and loaded with the
// gateway's reload, as an operator's update would be; a fresh bundle starts fresh rate-limit buckets. The
// gateway refuses to start without a policy, so vectors without one are not applicable. `ask` goes to a local
// approval service that answers as the vector says (or holds the question, then lets it time out).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { closeSync, existsSync, fstatSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VECTOR_CWD, VECTOR_HOME, vectorBundle } from "./bundles.ts";
import { sseData, sseEvent } from "./worker.ts";
import { startGateway, type RunningGateway } from "../../hosts/node/gateway/gateway.ts";
import { NotApplicable, serverAnswer, requestText, type DecisionInput, type DecisionOutcome, type HostDriver, type ResponseInput, type ResponseOutcome } from "../types.ts";

const VECTOR = "x-toolgate-vector";
const NO_POLICY = "the HTTP gateway does not start without a policy (it exits with an error), so no message is ever decided without one";

/** The policy the gateway starts with, before a vector's policy is loaded into it. */
const PLACEHOLDER = "apiVersion: aip.io/v1alpha1\nkind: AgentPolicy\nmetadata:\n  name: standby\nspec: {}\n";

export interface HttpDriverOptions {
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

/** The gateway's log, kept (its tail) for error messages instead of being printed. */
class LogSink extends Writable {
  text = "";
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text = (this.text + chunk.toString()).slice(-20_000);
    done();
  }
}

export class HttpDriver implements HostDriver {
  readonly name = "http";
  private gateway: RunningGateway | null = null;
  private base = "";
  private dir = "";
  private policyFile = "";
  private auditFile = "";
  /** Bytes of the audit file already read. */
  private auditRead = 0;
  private log = new LogSink();
  private upstream = http.createServer((req, res) => void this.serveUpstream(req, res));
  private control = http.createServer((req, res) => void this.serveControl(req, res));
  private seq = 0;
  /** Vector numbers whose request reached the upstream. */
  private received = new Set<string>();
  /** Canned upstream answers by vector number (response vectors). */
  private canned = new Map<string, string>();
  private questions: Question[] = [];
  private onQuestion: (() => void) | null = null;
  private approvalAnswer: "approve" | "deny" | "timeout" | "hold" = "hold";

  constructor(private readonly opts: HttpDriverOptions = {}) {}

  async open(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), "toolgate-http-conformance-"));
    this.policyFile = join(this.dir, "policy.tgb");
    this.auditFile = join(this.dir, "audit.jsonl");
    writeFileSync(this.policyFile, vectorBundle(PLACEHOLDER));
    const upstream = await listen(this.upstream);
    const control = await listen(this.control);
    try {
      this.gateway = await this.start(upstream, control);
    } catch (e) {
      await this.close();
      throw e;
    }
    this.base = `http://${this.gateway.address}`;
  }

  /**
   * The gateway in front of the local upstream. The options are spelled out rather than built by the gateway
   * command's gatewayOptions(): that module imports the CLI, whose conformance command imports this driver.
   */
  private start(upstream: string, control: string): Promise<RunningGateway> {
    return startGateway(
      {
        policy: this.policyFile,
        listen: "127.0.0.1:0",
        upstreams: [`http://${upstream}/mcp`],
        metricsAddr: null,
        mode: null,
        audit: this.auditFile,
        auditArgs: "full",
        auditMaxBytes: 0,
        auditKeep: 5,
        verbose: false,
        apiToken: null,
        approvalUrl: `http://${control}/approve`,
        approvalTimeoutMs: 10_000,
        upstreamTimeoutMs: 60_000,
        maxMessageBytes: 16 * 1024 * 1024,
        maxResponseBytes: 32 * 1024 * 1024,
        maxBatchChecks: 100,
        reload: false,
        home: VECTOR_HOME,
        cwd: VECTOR_CWD,
        graceMs: 1000,
      },
      this.log,
    );
  }

  async close(): Promise<void> {
    for (const q of this.questions.splice(0)) q.answer(504);
    await this.gateway?.close();
    this.gateway = null;
    this.upstream.closeAllConnections();
    this.control.closeAllConnections();
    await Promise.all([this.upstream, this.control].map((s) => new Promise((r) => (s.listening ? s.close(r) : r(undefined)))));
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  /** The MCP server behind the gateway: records what reached it and answers. */
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
          await sleep(1); // separate chunks, so secrets straddle the gateway's reads
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

  /** The approval service: answers as the vector says, or holds the question until the driver lets it go. */
  private async serveControl(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (req.method !== "POST" || req.url !== "/approve") return void res.writeHead(404).end();
    const record = JSON.parse(body.toString("utf8"));
    const answer = (status: number) => void res.writeHead(status).end();
    const mode = this.approvalAnswer;
    if (mode === "approve") return answer(200);
    if (mode === "deny") return answer(403);
    if (mode === "timeout") return answer(504);
    this.questions.push({ record, answer });
    this.onQuestion?.();
  }

  /** Audit records written since the last call (the gateway writes whole lines before messages move on). */
  private newRecords(): Record<string, any>[] {
    if (!existsSync(this.auditFile)) return [];
    const fd = openSync(this.auditFile, "r");
    try {
      const size = fstatSync(fd).size;
      const buf = Buffer.alloc(size - this.auditRead);
      readSync(fd, buf, 0, buf.length, this.auditRead);
      this.auditRead = size;
      return buf.toString("utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
    } finally {
      closeSync(fd);
    }
  }

  /** Load the vector's policy (always anew: fresh rate-limit buckets); throws with the gateway's message when refused. */
  private async load(policy: string | null): Promise<void> {
    if (policy === null) throw new NotApplicable(NO_POLICY);
    writeFileSync(this.policyFile, vectorBundle(policy));
    this.newRecords();
    const logFrom = this.log.text.length;
    await this.gateway!.reload();
    const events = this.newRecords().map((r) => r.event);
    if (!events.includes("POLICY_RELOADED")) {
      throw new Error(`the gateway did not load the policy (${events.join(", ") || "no audit record"}):\n${this.log.text.slice(logFrom).trim()}`);
    }
  }

  private post(body: string, seq?: string): Promise<Response> {
    const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json, text/event-stream" };
    if (seq) headers[VECTOR] = seq;
    return fetch(`${this.base}/mcp`, { method: "POST", headers, body });
  }

  async decide(policy: string | null, input: DecisionInput): Promise<DecisionOutcome> {
    await this.load(policy);
    for (let i = 0; i < (input.previousCalls ?? 0); i++) await (await this.post(requestText(input, `prior-${i}`))).arrayBuffer();
    this.newRecords();
    const seq = String(++this.seq);
    this.approvalAnswer = input.userResponse ?? "hold";
    const asked = new Promise<"asked">((resolve) => (this.onQuestion = () => resolve("asked")));
    const answer = this.post(requestText(input), seq).then(async (r) => ({ status: r.status, text: await r.text() }));
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
    const decisions = this.newRecords().filter((r) => "decision" in r);
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
    await this.load(policy);
    const seq = String(++this.seq);
    const { id, text } = serverAnswer(input, `answer-${seq}`);
    this.canned.set(seq, text);
    this.newRecords();
    const method = input.requestMethod === "tools/list" ? "tools/list" : "ping";
    const res = await this.post(JSON.stringify({ jsonrpc: "2.0", id, method }), seq);
    const body = await res.text();
    this.canned.delete(seq);
    if (!this.received.has(seq)) throw new Error(`the policy refused the request that fetches the server message: ${body}`);
    const output = this.opts.sseChunkBytes ? sseData(body) : body;
    const events = this.newRecords()
      .filter((r) => r.event === "DLP_TRIGGERED")
      .map((r) => ({ rule: r.dlp_rule as string, count: r.dlp_match_count as number }));
    if (input.content !== undefined) {
      const got = JSON.parse(output)?.result?.text;
      if (typeof got !== "string") throw new Error(`unexpected answer through the gateway: ${output}`);
      return { output: got, events };
    }
    return { output, events };
  }
}
