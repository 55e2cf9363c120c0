// The stdio proxy, end to end: every vector is sent by a client over the pipes of a real `toolgate proxy`
// process, in front of a small MCP server (stdio-upstream.mjs) that reports each line it receives. What
// the client receives is the response; what the server reports is `forwarded`; the proxy's audit log gives
// the decision, violation, rule and reason it recorded. `ask` is answered through MCP elicitation.
//
// Ordering makes this exact without sleeps: after each message the driver sends a sentinel (a client
// response, which always passes) and waits until the server reports it; everything the message caused was
// written to the client and the audit log before that.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VECTOR_CWD, VECTOR_HOME } from "./bundles.ts";
import { AuditFile, decisionOutcome, dlpEvents } from "./outcome.ts";
import { NotApplicable, serverAnswer, requestText, type DecisionInput, type DecisionOutcome, type HostDriver, type ResponseInput, type ResponseOutcome } from "../types.ts";
import { ProxyProcess, packageRoot, type Line } from "./stdio-process.ts";

const UPSTREAM = join(packageRoot(), "conformance", "drivers", "stdio-upstream.mjs");
const MULTI_LINE = "MCP's stdio transport frames one message per line and forbids embedded newlines; a message written over several lines arrives as several messages";
/**
 * A valid message written over several lines cannot cross the stdio transport as one message. (Invalid text
 * over several lines is sent as it is: each of its lines must be refused, which the vector can check.)
 */
function multiLineMessage(raw: string | undefined): boolean {
  if (raw === undefined || !raw.replace(/\r?\n$/, "").includes("\n")) return false;
  try {
    JSON.parse(raw);
    return true;
  } catch {
    return false;
  }
}

/** Short, so `user_response: timeout` vectors take a moment, not a minute; long enough for a loaded machine to answer. */
const ASK_TIMEOUT = "2s";

interface Session {
  /** The policy text running. */
  key: string;
  proc: ProxyProcess;
  policyFile: string;
  /** The proxy's audit log, read as it grows. */
  audit: AuditFile;
  answerFile: string;
  /** Not reusable: a question is still open, the client re-initialized, or a policy was refused. */
  tainted: boolean;
}

/** The upstream server's report of a line it received (see stdio-upstream.mjs), or null. */
function receipt(l: Line): { id: unknown; method: string } | null {
  const r = l.msg?.method === "notifications/message" ? l.msg.params?.data?.["toolgate-upstream-received"] : undefined;
  if (!r || typeof r !== "object") return null;
  let id: unknown = null;
  let method = "";
  for (const k of Object.keys(r)) {
    if (k.startsWith("id=")) id = JSON.parse(k.slice(3));
    else if (k.startsWith("method=")) method = k.slice(7);
  }
  return { id, method };
}


const isErrorReply = (l: Line) => l.msg !== undefined && l.msg !== null && typeof l.msg === "object" && "error" in l.msg && !("method" in l.msg);

/** The policy a standby proxy starts with, before a vector's policy is loaded into it. */
const PLACEHOLDER = "apiVersion: aip.io/v1alpha1\nkind: AgentPolicy\nmetadata:\n  name: standby\nspec: {}\n";

export class StdioDriver implements HostDriver {
  readonly name = "stdio";
  private dir = "";
  private session: Session | null = null;
  /** A proxy started in the background, so a vector that needs a fresh one does not wait for a start. */
  private standby: Promise<Session> | null = null;
  private count = 0;
  private loads = 0;
  private sentinels = 0;

  async open(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), "toolgate-stdio-conformance-"));
    this.standby = this.startInBackground();
  }

  private startInBackground(): Promise<Session> {
    const p = this.start();
    p.catch(() => {}); // reported when it is taken
    return p;
  }

  async close(): Promise<void> {
    await this.retire();
    const standby = this.standby;
    this.standby = null;
    if (standby) await (await standby.catch(() => null))?.proc.stop(2000);
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  private async retire(): Promise<void> {
    const s = this.session;
    this.session = null;
    if (s) await s.proc.stop(2000);
  }

  /**
   * A proxy running this policy, loaded by the proxy's hot reload (SIGHUP), as an operator's update would be.
   * A vector that counts rate-limit tokens gets its policy loaded anew (every loaded bundle starts with full
   * buckets). A proxy with a question still open is replaced by one that has seen no traffic.
   * TOOLGATE_STDIO_FRESH=1 gives every vector a proxy of its own.
   */
  private async sessionFor(policy: string | null, fresh: boolean): Promise<Session> {
    if (policy === null) throw new NotApplicable("the stdio proxy does not start without a policy (it exits with an error), so no message is ever decided without one");
    const current = this.session;
    if (current && !current.tainted && process.env.TOOLGATE_STDIO_FRESH !== "1") {
      if (current.key === policy && !fresh) return current;
      // A changed comment makes the proxy compile and load the policy again.
      await this.reload(current, fresh ? `${policy}\n# loaded again for vector ${++this.loads}\n` : policy);
      return current;
    }
    await this.retire();
    const next = await (this.standby ?? this.start());
    this.standby = this.startInBackground();
    this.session = next;
    await this.reload(next, policy);
    return next;
  }

  /** A new proxy (placeholder policy) with the client's side of the MCP handshake done. */
  private async start(): Promise<Session> {
    const n = ++this.count;
    const policyFile = join(this.dir, `policy-${n}.yaml`);
    const auditFile = join(this.dir, `audit-${n}.jsonl`);
    const answerFile = join(this.dir, `answer-${n}.json`);
    writeFileSync(policyFile, PLACEHOLDER);
    const proc = new ProxyProcess({
      args: [
        "proxy", "--policy", policyFile, "--audit", auditFile, "--ask-timeout", ASK_TIMEOUT, "--approval", "elicitation",
        "--home", VECTOR_HOME, "--cwd", VECTOR_CWD, "--no-reload", "--", process.execPath, UPSTREAM, answerFile,
      ],
    });
    const session: Session = { key: PLACEHOLDER, proc, policyFile, audit: new AuditFile(auditFile), answerFile, tainted: false };
    // Declaring elicitation, so that `ask` reaches the driver.
    proc.send({
      jsonrpc: "2.0", id: "init", method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: { elicitation: {} }, clientInfo: { name: "toolgate-conformance", version: "1.0.0" } },
    });
    await proc.next((l) => l.msg?.id === "init", 0, 30_000, "the answer to initialize");
    proc.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    await this.sync(session);
    session.audit.next();
    return session;
  }

  /** Load a policy into a running proxy (its hot reload); throws with the proxy's message when it refuses it. */
  private async reload(s: Session, policy: string): Promise<void> {
    const outcomes = () => s.proc.stderr.split(/Policy reloaded:|policy reload failed/).length;
    const before = outcomes();
    const logFrom = s.proc.stderr.length;
    writeFileSync(s.policyFile, policy);
    s.proc.child.kill("SIGHUP");
    await s.proc.waitFor(() => outcomes() > before, 30_000, "the policy reload");
    if (s.proc.stderr.lastIndexOf("policy reload failed") > s.proc.stderr.lastIndexOf("Policy reloaded:")) {
      s.tainted = true; // it still runs the previous policy
      throw new Error(`the proxy refused the policy:\n${s.proc.stderr.slice(logFrom).trim()}`);
    }
    s.key = policy;
    s.audit.next();
  }

  /** Send a sentinel and wait until the server reports it. Returns the index of that report. */
  private async sync(s: Session): Promise<number> {
    const id = `sentinel-${++this.sentinels}`;
    const from = s.proc.lines.length;
    s.proc.send({ jsonrpc: "2.0", id, result: {} });
    const line = await s.proc.next((l) => receipt(l)?.id === id, from, 10_000, `the server to receive ${id}`);
    return s.proc.lines.indexOf(line);
  }

  async decide(policy: string | null, input: DecisionInput): Promise<DecisionOutcome> {
    if (multiLineMessage(input.raw)) throw new NotApplicable(MULTI_LINE);
    // Rate-limit buckets live in the proxy: those vectors get a proxy of their own.
    const fresh = (input.previousCalls ?? 0) > 0 || /rate_limit/.test(policy ?? "");
    const s = await this.sessionFor(policy, fresh);
    for (let i = 0; i < (input.previousCalls ?? 0); i++) s.proc.send(requestText(input, `prior-${i}`));
    if (input.previousCalls) await this.sync(s);
    s.audit.next();

    const from = s.proc.lines.length;
    const text = requestText(input);
    // A vector's own initialize re-declares the client's capabilities (without elicitation): not reusable after.
    if (/initialize/i.test(text)) s.tainted = true;
    s.proc.send(text);
    const end = await this.sync(s);
    const window = s.proc.lines.slice(from, end);
    const question = window.find((l) => l.msg?.method === "elicitation/create");
    if (question) {
      const answer = input.userResponse;
      if (answer === "approve" || answer === "deny") {
        s.proc.send({ jsonrpc: "2.0", id: question.msg.id, result: { action: answer === "approve" ? "accept" : "decline" } });
      }
      if (answer === undefined) s.tainted = true;
      else {
        const after = s.proc.lines.length;
        await s.proc.next((l) => isErrorReply(l) || (receipt(l) !== null && !String(receipt(l)!.id).startsWith("sentinel-")), after, 10_000, "the outcome of the approval");
      }
    }
    const seen = s.proc.lines.slice(from);
    const forwarded = seen.some((l) => {
      const r = receipt(l);
      return r !== null && !String(r.id).startsWith("sentinel-");
    });
    const reply = seen.find(isErrorReply)?.msg ?? null;
    const record = s.audit.next().filter((r) => "decision" in r).pop();

    return decisionOutcome(record, { asked: question !== undefined && input.userResponse === undefined, reply, forwarded });
  }

  async respond(policy: string, input: ResponseInput): Promise<ResponseOutcome> {
    if (multiLineMessage(input.raw)) throw new NotApplicable(MULTI_LINE);
    const s = await this.sessionFor(policy, false);
    const { id, text } = serverAnswer(input, `answer-${++this.sentinels}`);
    writeFileSync(s.answerFile, JSON.stringify({ id, text }));
    s.audit.next();
    const from = s.proc.lines.length;
    s.proc.send({ jsonrpc: "2.0", id, method: input.requestMethod === "tools/list" ? "tools/list" : "ping" });
    const end = await this.sync(s);
    rmSync(s.answerFile, { force: true });
    const seen = s.proc.lines.slice(from, end);
    const refused = seen.find(isErrorReply);
    const asked = seen.findIndex((l) => receipt(l) !== null && JSON.stringify(receipt(l)!.id) === JSON.stringify(id));
    if (asked < 0) throw new Error(`the policy refused the request that fetches the server message: ${refused?.text ?? "no answer"}`);
    const output = seen.slice(asked + 1).filter((l) => receipt(l) === null).map((l) => l.text);
    const events = dlpEvents(s.audit.next());
    if (input.content !== undefined) {
      const got = output.length === 1 ? JSON.parse(output[0])?.result?.text : undefined;
      if (typeof got !== "string") throw new Error(`unexpected answer through the proxy: ${output.join("\n")}`);
      return { output: got, events };
    }
    return { output: output.join("\n"), events };
  }
}
