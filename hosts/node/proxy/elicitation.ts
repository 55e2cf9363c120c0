// Approval through the MCP client: an `elicitation/create` request from the proxy to the client, used when the
// client declared the `elicitation` capability (form mode) in the initialize request it sent through us.
// The answers are the proxy's own: matched by the ids it chose, consumed here, never forwarded to the server.
import type { ApprovalChannel, ApprovalRequest } from "./approval.ts";

/** How much of the arguments the question shows (a write_file of megabytes must not become the prompt). */
const MAX_SHOWN_ARGS = 8192;

export function approvalMessage(req: ApprovalRequest): string {
  let args = req.argsJson;
  try {
    args = JSON.stringify(JSON.parse(req.argsJson), null, 2) ?? "{}";
  } catch {
    // shown as sent
  }
  if (args.length > MAX_SHOWN_ARGS) args = `${args.slice(0, MAX_SHOWN_ARGS)}\n… (${args.length - MAX_SHOWN_ARGS} more characters)`;
  return `An agent wants to execute a tool that requires your approval.\n\nTool: ${req.tool}\n\nArguments:\n${args}\n\nDo you want to allow this action?`;
}

export class ElicitationChannel implements ApprovalChannel {
  readonly name = "elicitation";
  private supported = false;
  private seq = 0;
  private readonly waiting = new Map<string, { resolve: (ok: boolean) => void; reject: (e: Error) => void }>();
  /** Ids the proxy gave up on (timeout, cancellation): their late answers are swallowed too. */
  private readonly abandoned = new Set<string>();

  constructor(private readonly send: (message: object) => void, private readonly enabled = true) {}

  /** The initialize request the client sent (and the proxy forwarded): does it declare form elicitation? */
  noteInitialize(line: Buffer): void {
    try {
      const caps = JSON.parse(line.toString("utf8"))?.params?.capabilities?.elicitation;
      // `elicitation: {}` means form mode (MCP 2025-06-18); later revisions name the modes.
      this.supported = caps !== null && typeof caps === "object" && !Array.isArray(caps) && (Object.keys(caps).length === 0 || "form" in caps);
    } catch {
      this.supported = false;
    }
  }

  get clientSupports(): boolean {
    return this.supported;
  }

  ready(): boolean {
    return this.enabled && this.supported;
  }

  ask(req: ApprovalRequest, signal: AbortSignal): Promise<boolean> {
    const id = `toolgate-approval-${++this.seq}`;
    const key = JSON.stringify(id);
    return new Promise<boolean>((resolve, reject) => {
      const onAbort = () => {
        this.waiting.delete(key);
        this.abandoned.add(key);
        if (this.abandoned.size > 1024) this.abandoned.delete(this.abandoned.values().next().value!);
        this.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: id, reason: "toolgate: approval no longer needed" } });
        reject(new Error("approval aborted"));
      };
      this.waiting.set(key, {
        resolve: (ok) => {
          signal.removeEventListener("abort", onAbort);
          resolve(ok);
        },
        reject: (e) => {
          signal.removeEventListener("abort", onAbort);
          reject(e);
        },
      });
      signal.addEventListener("abort", onAbort, { once: true });
      this.send({
        jsonrpc: "2.0",
        id,
        method: "elicitation/create",
        params: { message: approvalMessage(req), requestedSchema: { type: "object", properties: {} } },
      });
    });
  }

  /**
   * A response from the client (idText: its id's JSON text). Returns true when it answers one of the proxy's
   * own requests and was consumed; false when it belongs to the server.
   */
  consume(idText: string, line: Buffer): boolean {
    const w = this.waiting.get(idText);
    if (!w) return this.abandoned.delete(idText);
    this.waiting.delete(idText);
    let msg: any;
    try {
      msg = JSON.parse(line.toString("utf8"));
    } catch {
      w.reject(new Error("unreadable answer to the approval request"));
      return true;
    }
    if (msg?.error) w.reject(new Error(`the client refused the approval request: ${JSON.stringify(msg.error).slice(0, 300)}`));
    else w.resolve(msg?.result?.action === "accept");
    return true;
  }
}
