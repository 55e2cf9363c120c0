// Writes to one peer (the server's stdin, or our stdout to the client). Messages decided while handling one
// input chunk are gathered and written with one call (a syscall per message would cap throughput); order is
// the order of push. `full` is the peer's backpressure: the reader feeding this outbox pauses until drain.
import type { Writable } from "node:stream";

export class Outbox {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private closed = false;
  private waiters: (() => void)[] = [];

  /** before: runs before every write (the audit log commits there, so records precede what they describe). */
  constructor(private readonly stream: Writable, private readonly onError: (e: Error) => void, private readonly before: () => void = () => {}) {
    stream.on("drain", () => {
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    });
    stream.on("error", (e) => {
      this.closed = true;
      this.onError(e);
      this.release();
    });
    stream.on("close", () => {
      this.closed = true;
      this.release();
    });
  }

  push(bytes: Uint8Array): void {
    if (this.closed) return;
    this.pending.push(bytes as Buffer);
    this.pendingBytes += bytes.length;
  }

  /** Write what was pushed, as one write. */
  flush(): void {
    this.before();
    if (this.pendingBytes === 0 || this.closed) {
      this.pending = [];
      this.pendingBytes = 0;
      return;
    }
    const out = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.stream.write(out);
  }

  /** Push and flush: for messages sent outside chunk handling (approvals, timers). */
  send(bytes: Uint8Array): void {
    this.push(bytes);
    this.flush();
  }

  /** The peer's buffer is full: stop reading what feeds it. */
  get full(): boolean {
    return !this.closed && this.stream.writableNeedDrain;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Resolves when the peer accepted what was written so far (or went away). */
  whenDrained(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Call f once the peer drains (at once if it is not full). */
  onDrain(f: () => void): void {
    if (!this.full) f();
    else this.waiters.push(f);
  }

  /** Everything written has been handed to the OS. */
  async finish(): Promise<void> {
    this.flush();
    if (this.closed || this.stream.writableLength === 0) return;
    await new Promise<void>((resolve) => {
      const done = () => resolve();
      this.stream.write(Buffer.alloc(0), done);
      this.stream.once("close", done);
      this.stream.once("error", done);
    });
  }

  end(): void {
    this.flush();
    if (!this.closed) this.stream.end();
  }

  private release(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
