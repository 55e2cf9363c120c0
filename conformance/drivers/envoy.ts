// The Envoy filter, end to end: every vector is POSTed by an HTTP client through a real Envoy running
// build/envoy-filter.wasm, in front of an upstream MCP server (hosts/envoy/peers.ts) that records what reached
// it and answers response vectors with their exact text. What the client receives is the response; what the
// upstream records is `forwarded`; the filter's audit records (Envoy's log, matched by x-request-id) give the
// decision, violation, rule and reason. `ask` goes to an approval service that answers as the vector says.
//
// Policies become listeners: each distinct policy gets a listener with its bundle, added to the running Envoy
// through a watched LDS file (a few listeners are kept; older ones are removed). Vectors that count tokens get
// a listener of their own with a fresh rate_limit_scope, so every vector starts with full buckets.
//
// Order makes this exact without sleeps: Envoy runs one worker thread, and after each vector the driver sends
// a sentinel (a body that is not JSON, always refused and always audited) and waits for its record; every
// record of the vector was logged before it.
import { vectorBundle } from "./bundles.ts";
import { Envoy, type AuditRecord } from "../../hosts/envoy/harness.ts";
import { ApprovalService, UpstreamServer, post, type HttpReply } from "../../hosts/envoy/peers.ts";
import type { ListenerSpec } from "../../hosts/envoy/bootstrap.ts";
import { answerOutcome, decisionOutcome, dlpEvents } from "./outcome.ts";
import { NotApplicable, serverAnswer, requestText, type DecisionInput, type DecisionOutcome, type HostDriver, type ResponseInput, type ResponseOutcome } from "../types.ts";

const KEEP_LISTENERS = 6;
const ASK_WAIT_MS = 5000;

export interface EnvoyDriverOptions {
  /** How the upstream sends response vectors: one JSON body (default) or an SSE event. */
  responses?: "json" | "sse";
  /** Send response bodies in pieces of this many bytes (chunk boundaries through the filter). */
  pieceBytes?: number;
  /** Name reported in results (default "envoy"). */
  name?: string;
}

interface Slot {
  key: string;
  spec: ListenerSpec;
  port: number;
  used: number;
}

export class EnvoyDriver implements HostDriver {
  readonly name: string;
  private envoy: Envoy | null = null;
  private upstream = new UpstreamServer();
  private approver = new ApprovalService();
  private slots: Slot[] = [];
  private count = 0;
  private uses = 0;

  constructor(private readonly o: EnvoyDriverOptions = {}) {
    this.name = o.name ?? "envoy";
  }

  async open(): Promise<void> {
    await this.upstream.start();
    await this.approver.start();
    this.envoy = await Envoy.start({
      listeners: [],
      dynamicListeners: true,
      clusters: [
        { name: "upstream", host: "127.0.0.1", port: this.upstream.port },
        { name: "approver", host: "127.0.0.1", port: this.approver.port },
      ],
    });
  }

  async close(): Promise<void> {
    await this.envoy?.stop();
    this.envoy = null;
    await this.upstream.close();
    await this.approver.close();
  }

  /** The port of a listener running this policy; `fresh` gives one with buckets nobody has used. */
  private async listenerFor(policy: string | null, fresh: boolean): Promise<number> {
    if (policy === null) {
      throw new NotApplicable("an Envoy filter always runs a policy: a configuration without a bundle is refused, and Envoy then refuses the filter");
    }
    const n = ++this.count;
    const key = fresh ? `fresh-${n}` : policy;
    const found = this.slots.find((s) => s.key === key);
    if (found) {
      found.used = ++this.uses;
      return found.port;
    }
    const spec: ListenerSpec = {
      name: `policy-${n}`,
      port: 0,
      cluster: "upstream",
      filter: { bundle: vectorBundle(policy), rateLimitScope: `scope-${n}`, approval: { cluster: "approver", timeoutMs: ASK_WAIT_MS * 2 } },
    };
    this.slots.sort((a, b) => b.used - a.used);
    this.slots = this.slots.slice(0, KEEP_LISTENERS - 1);
    const slot: Slot = { key, spec, port: 0, used: ++this.uses };
    this.slots.push(slot);
    const ports = await this.envoy!.setListeners(this.slots.map((s) => s.spec));
    for (const s of this.slots) s.port = ports.get(s.spec.name)!;
    return slot.port;
  }

  private requestIds = 0;

  private post(port: number, body: string, requestId: string): Promise<HttpReply> {
    return post(port, "/mcp", body, { "content-type": "application/json", accept: "application/json, text/event-stream", "x-request-id": requestId });
  }

  /** POST a message; if it is asked, the approval service answers with `answer` (200, 403, or 504: no answer). */
  private async exchange(port: number, body: string, requestId: string, answer: number): Promise<{ reply: HttpReply; asked: boolean }> {
    const pending = this.post(port, body, requestId);
    const question = this.approver.question(requestId, ASK_WAIT_MS);
    const first = await Promise.race([pending.then(() => null), question]);
    if (first) first.answer(answer);
    return { reply: await pending, asked: first !== null };
  }

  /** Wait until every audit record of earlier requests on this port has been read; returns their count. */
  private async sync(port: number): Promise<void> {
    const id = `sentinel-${++this.requestIds}`;
    await this.post(port, "sentinel: not JSON", id);
    await this.envoy!.waitFor(() => this.envoy!.audit.some((r) => r.request_id === id), 10_000, `the audit record of ${id}`);
  }

  private records(requestId: string): AuditRecord[] {
    return this.envoy!.audit.filter((r) => r.request_id === requestId);
  }

  async decide(policy: string | null, input: DecisionInput): Promise<DecisionOutcome> {
    const fresh = (input.previousCalls ?? 0) > 0 || /rate_limit/.test(policy ?? "");
    const port = await this.listenerFor(policy, fresh);
    // Earlier calls that are asked are left unanswered (504: nobody answered); they took their token.
    for (let i = 0; i < (input.previousCalls ?? 0); i++) await this.exchange(port, requestText(input, `prior-${i}`), `prior-${++this.requestIds}`, 504);

    const requestId = `vector-${++this.requestIds}`;
    const answer = input.userResponse;
    const { reply, asked } = await this.exchange(port, requestText(input), requestId, answer === "approve" ? 200 : answer === "deny" ? 403 : 504);
    await this.sync(port);

    const records = this.records(requestId);
    const waiting = asked && input.userResponse === undefined; // reported as still waiting for a human
    const record = waiting ? records.find((r) => r.decision === "ASK") : records.filter((r) => "decision" in r).pop();
    let response: Record<string, any> | null = null;
    if (!waiting && reply.contentType.startsWith("application/json")) {
      try {
        const msg = JSON.parse(reply.text);
        if (msg && typeof msg === "object" && "error" in msg) response = msg;
      } catch {
        // not JSON: no JSON-RPC answer
      }
    }
    return decisionOutcome(record, { asked: waiting, reply: response, forwarded: this.upstream.received(requestId) !== undefined });
  }

  async respond(policy: string, input: ResponseInput): Promise<ResponseOutcome> {
    const port = await this.listenerFor(policy, false);
    const requestId = `vector-${++this.requestIds}`;
    const { id, text } = serverAnswer(input, requestId);
    this.upstream.answer(requestId, { text, as: this.o.responses ?? "json", pieceBytes: this.o.pieceBytes });
    const method = input.requestMethod === "tools/list" ? "tools/list" : "ping";
    const reply = await this.post(port, JSON.stringify({ jsonrpc: "2.0", id, method }), requestId);
    await this.sync(port);
    if (!this.upstream.received(requestId)) throw new Error(`the policy refused the request that fetches the server message: ${reply.text}`);
    const output = reply.contentType.startsWith("text/event-stream") ? sseData(reply.text) : reply.text;
    return answerOutcome(input, output, dlpEvents(this.records(requestId)), "Envoy");
  }
}

/** The data of the events in an SSE body, each event's data lines joined by newlines, events by newlines. */
export function sseData(body: string): string {
  const events: string[] = [];
  for (const block of body.split(/\r?\n\r?\n/)) {
    const data = block.split(/\r?\n/).filter((l) => l.startsWith("data:")).map((l) => l.slice(l.startsWith("data: ") ? 6 : 5));
    if (data.length) events.push(data.join("\n"));
  }
  return events.join("\n");
}
