// Approval on the controlling terminal (/dev/tty), for clients without elicitation: one question at a time,
// answered with y or n. The terminal is opened only while questions are waiting, so an idle proxy holds no
// handle on it (and a proxy without a terminal never uses this channel).
import { closeSync, openSync, writeSync } from "node:fs";
import { ReadStream } from "node:tty";
import { createInterface, type Interface } from "node:readline";
import type { ApprovalChannel, ApprovalRequest } from "./approval.ts";
import { approvalMessage } from "./elicitation.ts";

interface Question {
  req: ApprovalRequest;
  signal: AbortSignal;
  resolve: (ok: boolean) => void;
  reject: (e: Error) => void;
}

export class TtyChannel implements ApprovalChannel {
  readonly name = "tty";
  private usable: boolean | null = null;
  private readonly queue: Question[] = [];
  private busy = false;

  constructor(private readonly path = "/dev/tty") {}

  ready(): boolean {
    if (this.usable === null) {
      try {
        closeSync(openSync(this.path, "r+"));
        this.usable = true;
      } catch {
        this.usable = false; // no controlling terminal (started by a GUI client, a service, CI)
      }
    }
    return this.usable;
  }

  ask(req: ApprovalRequest, signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ req, signal, resolve, reject });
      if (!this.busy) void this.serve();
    });
  }

  private async serve(): Promise<void> {
    this.busy = true;
    let fd = -1;
    let input: ReadStream | null = null;
    let rl: Interface | null = null;
    try {
      fd = openSync(this.path, "r+");
      input = new ReadStream(fd);
      rl = createInterface({ input, terminal: false });
      while (this.queue.length > 0) {
        const q = this.queue.shift()!;
        if (q.signal.aborted) {
          q.reject(new Error("approval aborted"));
          continue;
        }
        writeSync(fd, `\n[toolgate] ${approvalMessage(q.req)} [y/N] `);
        const answer = await nextLine(rl, q.signal);
        if (answer === null) {
          writeSync(fd, "\n[toolgate] no answer in time: denied\n");
          q.reject(new Error("approval aborted"));
        } else q.resolve(/^\s*y(es)?\s*$/i.test(answer));
      }
    } catch (e) {
      for (const q of this.queue.splice(0)) q.reject(e as Error);
    } finally {
      rl?.close();
      if (input) input.destroy();
      else if (fd >= 0) closeSync(fd);
      this.busy = false;
    }
  }
}

function nextLine(rl: Interface, signal: AbortSignal): Promise<string | null> {
  return new Promise((resolve) => {
    const onLine = (line: string) => {
      signal.removeEventListener("abort", onAbort);
      resolve(line);
    };
    const onAbort = () => {
      rl.off("line", onLine);
      resolve(null);
    };
    rl.once("line", onLine);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
