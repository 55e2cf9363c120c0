// The Worker in real workerd: every vector is POSTed by a client to the bundled Worker (build/worker), which
// proxies to a local MCP upstream (http-peers.ts). What the client receives is the response; what the upstream
// receives is `forwarded`; the Worker's audit records (workerd's stdout) give the decision, violation, rule and
// reason.
//
// The policy of each vector reaches the Worker through KV, as a deployed policy update would: a local KV
// service answers workerd's KV requests, and every vector bumps the version key, so the Worker reloads the
// bundle (with fresh rate-limit buckets) on the vector's first request. Vectors without a policy go to a
// second Worker that has none. `ask` goes to a local approval service that answers as the vector says.
//
// After each vector a sentinel (a tools/call that is always audited, with a unique id) is sent and its record
// awaited: every record the vector caused was written before it, so no sleeps are needed.
import http from "node:http";
import { vectorBundle } from "./bundles.ts";
import { Approvals, VectorUpstream, closeServer, listen, postVector, readBody } from "./http-peers.ts";
import { answerOutcome, decidingRecord, decisionOutcome, dlpEvents } from "./outcome.ts";
import { Workerd, gatewayWorker } from "../../hosts/worker/workerd.ts";
import { requestText, type DecisionInput, type DecisionOutcome, type HostDriver, type ResponseInput, type ResponseOutcome } from "../types.ts";

const KV_GATEWAY = "kv";
const BARE_GATEWAY = "bare";

export interface WorkerDriverOptions {
  /** Answer response vectors as server-sent events cut into chunks of this many bytes (0: one JSON body). */
  sseChunkBytes?: number;
}

export class WorkerDriver implements HostDriver {
  readonly name = "worker";
  private workerd: Workerd | null = null;
  private upstream: VectorUpstream;
  private approvals = new Approvals();
  private control = http.createServer((req, res) => void this.serveControl(req, res));
  private kv = new Map<string, Buffer>();
  private version = 0;
  private seq = 0;
  private sentinels = 0;

  constructor(opts: WorkerDriverOptions = {}) {
    this.upstream = new VectorUpstream(opts.sseChunkBytes);
  }

  async open(): Promise<void> {
    const upstream = await this.upstream.start();
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
    this.approvals.release();
    await this.workerd?.stop();
    this.workerd = null;
    await Promise.all([this.upstream.close(), closeServer(this.control)]);
  }

  /** KV (as workerd asks it: GET /<key>?urlencoded=true) and the approval service. */
  private async serveControl(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? "/", "http://control");
    if (req.method === "POST" && url.pathname === "/approve") {
      const record = JSON.parse(body.toString("utf8"));
      if (String(record.id).startsWith("sentinel-")) return void res.writeHead(403).end();
      return this.approvals.receive(res);
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

  /** Send a sentinel and wait for its audit record; returns the records written before it, from `from` on. */
  private async sync(base: string, from: number): Promise<Record<string, any>[]> {
    const id = `sentinel-${++this.sentinels}`;
    const res = await postVector(base, JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "toolgate-conformance-sentinel", arguments: {} } }));
    await res.arrayBuffer();
    const w = this.workerd!;
    const isSentinel = (r: Record<string, any>) => r.id === id;
    await w.waitFor(() => w.records(from).some(isSentinel), 10_000, `the audit record of ${id}`);
    const all = w.records(from);
    return all.slice(0, all.findIndex(isSentinel));
  }

  async decide(policy: string | null, input: DecisionInput): Promise<DecisionOutcome> {
    const base = this.gateway(policy);
    for (let i = 0; i < (input.previousCalls ?? 0); i++) await (await postVector(base, requestText(input, `prior-${i}`))).arrayBuffer();
    const from = this.workerd!.lines.length;
    const seq = String(++this.seq);
    const { asked, reply } = await this.approvals.exchange(input.userResponse, () => postVector(base, requestText(input), seq));
    const record = decidingRecord(await this.sync(base, from), asked);
    return decisionOutcome(record, { asked, reply, forwarded: this.upstream.reached(seq) });
  }

  async respond(policy: string, input: ResponseInput): Promise<ResponseOutcome> {
    const base = this.gateway(policy);
    const seq = String(++this.seq);
    const from = this.workerd!.lines.length;
    const output = await this.upstream.fetchAnswer(seq, input, (request) => postVector(base, request, seq));
    return answerOutcome(input, output, dlpEvents(await this.sync(base, from)), "the Worker");
  }
}
