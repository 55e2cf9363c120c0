// Client to server: every line goes to the engine, and the proxy does what the verdict says. forward: the
// original bytes to the server; reply: the engine's JSON-RPC error to the client; drop: nothing (a refused
// notification); ask: a human decides, while later messages keep flowing. The audit record of a decision is
// written before the message moves on.
import { EngineTrap, type Verdict } from "../../kit/engine.ts";
import { eventRecord, needsRecord } from "../../kit/audit.ts";
import type { Approvals } from "./approval.ts";
import type { ElicitationChannel } from "./elicitation.ts";
import type { HostContext } from "../context.ts";
import type { LineSink } from "./lines.ts";
import type { Outbox } from "./outbox.ts";
import { quote } from "./log.ts";
import { internalError } from "./engine-failure.ts";

const NL = Buffer.from("\n");

/** What the two directions learn about the session from each other. */
export interface Session {
  /** Ids (normalized JSON text) of tools/list requests forwarded and not yet answered. */
  toolsListIds: Set<string>;
  /** The client sent initialize (server notifications may go to it). */
  initialized: boolean;
}

/** One spelling per id: `1.0` and `"a"` as the server will echo them. */
export function idKey(idText: string): string {
  try {
    return JSON.stringify(JSON.parse(idText));
  } catch {
    return idText;
  }
}

export class Upstream implements LineSink {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly ctx: HostContext,
    private readonly toServer: Outbox,
    private readonly toClient: Outbox,
    private readonly approvals: Approvals,
    private readonly elicitation: ElicitationChannel,
    private readonly session: Session,
  ) {}

  line(bytes: Buffer): void {
    const { ctx } = this;
    const start = performance.now();
    let v: Verdict;
    try {
      // The framing newline is not part of the message (nor of its size).
      v = ctx.engine.evaluate(bytes[bytes.length - 1] === 10 ? bytes.subarray(0, bytes.length - 1) : bytes, start);
    } catch (e) {
      if (!(e instanceof EngineTrap)) throw e;
      this.engineFailed(bytes, e);
      return;
    }
    if (v.kind === "invalid" && v.verdict === "drop" && v.reason === "") return; // a blank line
    if (v.kind === "response" && v.id !== null && this.elicitation.consume(v.id, bytes)) return;

    if (needsRecord(v)) ctx.recordDecision(v);
    switch (v.verdict) {
      case "forward":
      case "rewrite":
        this.noteForwarded(v, bytes);
        // (The last line of the input may lack its newline; the server still gets a whole line.)
        this.toServer.push(withNewline(v.verdict === "rewrite" && v.response ? v.response : bytes));
        break;
      case "reply":
        if (v.response) this.toClient.push(withNewline(v.response));
        break;
      case "drop":
        break;
      case "ask":
        this.ask(Buffer.from(bytes), v);
        break;
    }
    ctx.countVerdict(v, (performance.now() - start) / 1000);
    ctx.logVerdict(v);
  }

  oversized(prefix: Buffer): void {
    // The engine refuses it on its size limit (or as unreadable): the client gets the error, nothing is forwarded.
    this.line(prefix);
  }

  /** Settle every open approval (shutdown) and wait until their outcomes have been written. */
  async settle(): Promise<void> {
    await this.approvals.abortAll();
    await Promise.allSettled([...this.inFlight]);
  }

  private noteForwarded(v: Verdict, bytes: Buffer): void {
    if (v.kind === "request") {
      if (v.toolsList && v.id !== null) this.session.toolsListIds.add(idKey(v.id));
      else if (v.method === "initialize") {
        this.elicitation.noteInitialize(bytes);
        this.session.initialized = true;
      }
    } else if (v.kind === "notification" && v.method === "notifications/cancelled" && this.approvals.count > 0) {
      try {
        const requestId = JSON.parse(bytes.toString("utf8"))?.params?.requestId;
        if (requestId !== undefined) this.approvals.cancel(JSON.stringify(requestId));
      } catch {
        // the engine let it through; a cancellation we cannot read cancels nothing
      }
    }
  }

  private ask(bytes: Buffer, asked: Verdict): void {
    const { ctx } = this;
    const via = this.approvals.channelFor();
    ctx.log.info(`ASK: tool ${quote(asked.tool)} waits for approval via ${via === "none" ? "nobody (no elicitation, no terminal): it will time out" : via}`);
    const done = this.approvals
      .ask({ tool: asked.tool ?? "", argsJson: asked.args ?? "{}", idText: asked.id === null ? null : idKey(asked.id) })
      .then(({ outcome, via, waitedMs }) => {
        if (outcome === "approved") {
          ctx.recordApproval(asked, outcome, via, waitedMs, null);
          this.toServer.send(withNewline(bytes));
          return;
        }
        let denial: Verdict | null = null;
        try {
          denial = ctx.engine.deny(bytes, outcome === "denied" ? -32004 : -32005);
        } catch (e) {
          if (!(e instanceof EngineTrap)) throw e;
        }
        ctx.recordApproval(asked, outcome, via, waitedMs, denial);
        // A cancelled request gets no answer (MCP: the client no longer waits for one).
        if (outcome === "cancelled") return;
        const response = denial?.response ?? internalError(bytes, ctx.auditPolicy.policyHash);
        if (response) this.toClient.send(withNewline(response));
      })
      .catch((e) => ctx.log.error(`approval of ${quote(asked.tool)} failed: ${(e as Error).message}`))
      .finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
  }

  /** The engine trapped (and restarted): fail closed with an internal error, and say so. */
  private engineFailed(bytes: Buffer, e: Error): void {
    const { ctx } = this;
    ctx.log.error(`${e.message}: the message was refused`);
    ctx.metrics.requests.inc();
    ctx.metrics.decisions.inc({ decision: "block" });
    ctx.write(eventRecord("ENGINE_FAILURE", { direction: "upstream", decision: "BLOCK", error_code: -32603, reason: e.message }, ctx.auditPolicy, ctx.auditOptions, "WARN"));
    const response = internalError(bytes, ctx.auditPolicy.policyHash);
    if (response) this.toClient.push(withNewline(response));
  }
}

export function withNewline(b: Uint8Array): Buffer {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  return buf.length > 0 && buf[buf.length - 1] === 10 ? buf : Buffer.concat([buf, NL]);
}
