// Human approval of `action: ask` calls. Each asked call waits on its own (other messages keep flowing) for
// the first channel that can ask now: MCP elicitation when the client declared it, else the controlling
// terminal, else nobody, and then the call times out (-32005). The proxy only relays the human's answer;
// what to ask about, and the error for a denial, come from the engine.
import type { ApprovalChannelName, ApprovalOutcome } from "../../kit/audit.ts";

export interface ApprovalRequest {
  tool: string;
  /** The arguments' JSON text. */
  argsJson: string;
  /** JSON text of the request id (to match the client's cancellation). */
  idText: string | null;
}

export interface ApprovalChannel {
  readonly name: Exclude<ApprovalChannelName, "none">;
  /** Can this channel ask right now? */
  ready(): boolean;
  /** Resolves true when approved, false when denied; rejects once the signal aborts (timeout, cancellation). */
  ask(req: ApprovalRequest, signal: AbortSignal): Promise<boolean>;
}

export interface ApprovalResult {
  outcome: ApprovalOutcome;
  via: ApprovalChannelName;
  waitedMs: number;
}

interface Pending {
  idText: string | null;
  controller: AbortController;
  stop: "timeout" | "cancelled" | null;
  done: Promise<unknown>;
}

export class Approvals {
  private readonly pending = new Set<Pending>();

  constructor(private readonly channels: readonly ApprovalChannel[], private readonly timeoutMs: number, private readonly onChannelError: (e: Error) => void) {}

  get count(): number {
    return this.pending.size;
  }

  /** The channel a new request would use ("none": it will time out). */
  channelFor(): ApprovalChannelName {
    return this.channels.find((c) => c.ready())?.name ?? "none";
  }

  ask(req: ApprovalRequest): Promise<ApprovalResult> {
    const start = performance.now();
    const controller = new AbortController();
    const p: Pending = { idText: req.idText, controller, stop: null, done: Promise.resolve() };
    const timer = setTimeout(() => {
      p.stop ??= "timeout";
      controller.abort();
    }, this.timeoutMs);
    const channel = this.channels.find((c) => c.ready());
    const result = (async (): Promise<ApprovalResult> => {
      let outcome: ApprovalOutcome;
      try {
        if (!channel) {
          await new Promise((resolve) => controller.signal.addEventListener("abort", resolve, { once: true }));
          outcome = p.stop ?? "timeout";
        } else {
          const ok = await channel.ask(req, controller.signal);
          outcome = ok ? "approved" : "denied";
        }
      } catch (e) {
        if (p.stop) outcome = p.stop;
        else {
          // A channel that fails (the client answered the elicitation with an error, the tty went away) denies.
          this.onChannelError(e as Error);
          outcome = "denied";
        }
      } finally {
        clearTimeout(timer);
        this.pending.delete(p);
      }
      return { outcome, via: channel?.name ?? "none", waitedMs: performance.now() - start };
    })();
    p.done = result;
    this.pending.add(p);
    return result;
  }

  /** The client cancelled the asked request (notifications/cancelled): stop asking. */
  cancel(idText: string): boolean {
    let found = false;
    for (const p of this.pending) {
      if (p.idText === idText) {
        p.stop ??= "cancelled";
        p.controller.abort();
        found = true;
      }
    }
    return found;
  }

  /** Shutting down: every open question ends as a timeout. Resolves when all have settled. */
  async abortAll(): Promise<void> {
    const all = [...this.pending];
    for (const p of all) {
      p.stop ??= "timeout";
      p.controller.abort();
    }
    await Promise.allSettled(all.map((p) => p.done));
  }
}
