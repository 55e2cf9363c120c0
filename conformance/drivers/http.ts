// The Node HTTP gateway (`toolgate gateway`), started in-process with startGateway: every vector is POSTed by a
// client to the gateway, which proxies to a local MCP upstream (http-peers.ts). What the client receives is the
// response; what the upstream receives is `forwarded`; the gateway's audit file (JSON Lines, each record written
// before the message moves on) gives the decision, violation, rule and reason.
//
// Each vector's policy is written to the gateway's policy file as a compiled bundle and loaded with the
// gateway's reload, as an operator's update would be; a fresh bundle starts fresh rate-limit buckets. The
// gateway refuses to start without a policy, so vectors without one are not applicable. `ask` goes to a local
// approval service that answers as the vector says (or holds the question, then lets it time out).
import http from "node:http";
import { Writable } from "node:stream";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VECTOR_CWD, VECTOR_HOME, vectorBundle } from "./bundles.ts";
import { Approvals, VectorUpstream, closeServer, listen, postVector, readBody } from "./http-peers.ts";
import { AuditFile, answerOutcome, decidingRecord, decisionOutcome, dlpEvents } from "./outcome.ts";
import { startGateway, type RunningGateway } from "../../hosts/node/gateway/gateway.ts";
import { NotApplicable, requestText, type DecisionInput, type DecisionOutcome, type HostDriver, type ResponseInput, type ResponseOutcome } from "../types.ts";

const NO_POLICY = "the HTTP gateway does not start without a policy (it exits with an error), so no message is ever decided without one";

/** The policy the gateway starts with, before a vector's policy is loaded into it. */
const PLACEHOLDER = "apiVersion: aip.io/v1alpha1\nkind: AgentPolicy\nmetadata:\n  name: standby\nspec: {}\n";

export interface HttpDriverOptions {
  /** Answer response vectors as server-sent events cut into chunks of this many bytes (0: one JSON body). */
  sseChunkBytes?: number;
}

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
  private audit: AuditFile | null = null;
  private log = new LogSink();
  private upstream: VectorUpstream;
  private approvals = new Approvals();
  /** The approval service. */
  private control = http.createServer(async (req, res) => {
    await readBody(req);
    if (req.method !== "POST" || req.url !== "/approve") return void res.writeHead(404).end();
    this.approvals.receive(res);
  });
  private seq = 0;

  constructor(opts: HttpDriverOptions = {}) {
    this.upstream = new VectorUpstream(opts.sseChunkBytes);
  }

  async open(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), "toolgate-http-conformance-"));
    this.policyFile = join(this.dir, "policy.tgb");
    this.audit = new AuditFile(join(this.dir, "audit.jsonl"));
    writeFileSync(this.policyFile, vectorBundle(PLACEHOLDER));
    const upstream = await this.upstream.start();
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
        audit: this.audit!.path,
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
    this.approvals.release();
    await this.gateway?.close();
    this.gateway = null;
    await Promise.all([this.upstream.close(), closeServer(this.control)]);
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Audit records written since the last call. */
  private newRecords(): Record<string, any>[] {
    return this.audit!.next();
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
    return postVector(this.base, body, seq);
  }

  async decide(policy: string | null, input: DecisionInput): Promise<DecisionOutcome> {
    await this.load(policy);
    for (let i = 0; i < (input.previousCalls ?? 0); i++) await (await this.post(requestText(input, `prior-${i}`))).arrayBuffer();
    this.newRecords();
    const seq = String(++this.seq);
    const { asked, reply } = await this.approvals.exchange(input.userResponse, () => this.post(requestText(input), seq));
    const record = decidingRecord(this.newRecords(), asked);
    return decisionOutcome(record, { asked, reply, forwarded: this.upstream.reached(seq) });
  }

  async respond(policy: string, input: ResponseInput): Promise<ResponseOutcome> {
    await this.load(policy);
    const seq = String(++this.seq);
    this.newRecords();
    const output = await this.upstream.fetchAnswer(seq, input, (request) => this.post(request, seq));
    return answerOutcome(input, output, dlpEvents(this.newRecords()), "the gateway");
  }
}
