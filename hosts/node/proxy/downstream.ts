// Server to client: every line of the server's stdout is scanned by the engine (DLP; tools/list filtering
// when it answers a tools/list request seen going upstream) and what the engine returns is passed on.
// The server's stderr is passed through, or through the engine's line stream when the policy sets
// dlp.filter_stderr.
import type { Writable } from "node:stream";
import { EngineTrap, type DlpStream, type ScanResult } from "../../kit/engine.ts";
import { eventRecord } from "../../kit/audit.ts";
import type { HostContext } from "../context.ts";
import type { LineSink } from "./lines.ts";
import type { Outbox } from "./outbox.ts";
import { excerpt } from "./log.ts";
import { idKey, withNewline, type Session } from "./upstream.ts";
import { internalError } from "./engine-failure.ts";

/** The id of a response (normalized JSON text), or null when the line is not a response. */
function responseId(line: Buffer): string | null {
  try {
    const m = JSON.parse(line.toString("utf8"));
    if (m === null || typeof m !== "object" || Array.isArray(m) || !("id" in m) || "method" in m) return null;
    return idKey(JSON.stringify(m.id));
  } catch {
    return null;
  }
}

export class Downstream implements LineSink {
  constructor(private readonly ctx: HostContext, private readonly toClient: Outbox, private readonly session: Session) {}

  line(bytes: Buffer): void {
    const { ctx } = this;
    // Only while a tools/list answer is awaited is a line read here, to find out whether it is that answer.
    const ids = this.session.toolsListIds;
    let toolsList = false;
    if (ids.size > 0) {
      const id = responseId(bytes);
      if (id !== null && ids.delete(id)) toolsList = true;
    }
    let r: ScanResult;
    try {
      r = ctx.engine.scan(bytes, { toolsList });
    } catch (e) {
      if (!(e instanceof EngineTrap)) throw e;
      ctx.log.error(`${e.message}: a message from the server was withheld`);
      ctx.write(eventRecord("ENGINE_FAILURE", { direction: "downstream", reason: e.message }, ctx.auditPolicy, ctx.auditOptions, "WARN"));
      const response = responseId(bytes) !== null ? internalError(bytes, ctx.auditPolicy.policyHash) : null;
      if (response) this.toClient.push(response);
      return;
    }
    ctx.recordDlp(r.events, "message");
    const out = r.changed ? withNewline(r.output) : bytes;
    if (ctx.log.verbose) ctx.log.debug(`← [downstream] ${excerpt(out)}`);
    this.toClient.push(out);
  }

  oversized(prefix: Buffer): void {
    // Too large to scan whole: withheld rather than passed on unchecked.
    const { ctx } = this;
    ctx.log.error(`a message from the server exceeds ${prefix.length - 1} bytes: withheld (raise --max-message-bytes)`);
    ctx.write(eventRecord("OVERSIZED_MESSAGE_WITHHELD", { direction: "downstream", limit_bytes: prefix.length - 1 }, ctx.auditPolicy, ctx.auditOptions, "WARN"));
  }
}

/** The server's stderr to ours: as is, or redacted line by line when the policy asks for it. */
export class StderrRelay {
  private stream: DlpStream | null = null;

  constructor(private readonly ctx: HostContext, private readonly out: Writable) {}

  write(chunk: Buffer): void {
    if (!this.ctx.filterStderr) {
      this.flushStream();
      this.out.write(chunk);
      return;
    }
    try {
      this.stream ??= this.ctx.engine.openStream("lines");
      const r = this.stream.write(chunk);
      this.ctx.recordDlp(r.events, "stderr");
      this.ctx.audit.commit();
      if (r.output.length) this.out.write(r.output);
    } catch (e) {
      if (!(e instanceof EngineTrap)) throw e;
      this.stream = null; // lost with the engine instance; the next chunk opens a new one
      this.out.write("[toolgate] server stderr withheld: policy engine failure\n");
    }
  }

  /** The server closed stderr (or the policy stopped filtering): the rest, scanned. */
  flushStream(): void {
    if (!this.stream) return;
    const s = this.stream;
    this.stream = null;
    try {
      const r = s.end();
      this.ctx.recordDlp(r.events, "stderr");
      this.ctx.audit.commit();
      if (r.output.length) this.out.write(r.output);
    } catch (e) {
      if (!(e instanceof EngineTrap)) throw e;
    }
  }

  get full(): boolean {
    return this.out.writableNeedDrain;
  }
}
