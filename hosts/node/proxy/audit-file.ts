// The audit log file: one JSON record per line. Records are committed with a synchronous write before any
// message moves on (the outboxes commit before they write), so a message is never forwarded or answered
// without its record on disk, and a crash (even SIGKILL) loses at most the records of messages still in
// flight. Records decided while handling one input chunk share one write.
// Size-based rotation: agent.jsonl -> agent.jsonl.1 -> ... -> agent.jsonl.<keep>.
import { closeSync, fstatSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync, existsSync } from "node:fs";
import { resolve } from "node:path";
import { auditLine, type AuditRecord } from "../../kit/audit.ts";

/** Paths aip-go refuses: stdout carries JSON-RPC. */
const STDOUT_ALIASES = ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"];

export class AuditPathError extends Error {}

export function checkAuditPath(path: string): void {
  if (STDOUT_ALIASES.includes(resolve(path)) || path === "-") {
    throw new AuditPathError(`--audit ${path}: stdout carries the JSON-RPC stream; write the audit log to a file`);
  }
  // Another name of stdout (a symlink, /dev/fd/N dup) is refused too.
  try {
    const out = fstatSync(1);
    const target = statSync(path);
    if (!target.isFile() && target.dev === out.dev && target.ino === out.ino) {
      throw new AuditPathError(`--audit ${path}: that is this process's stdout`);
    }
  } catch (e) {
    if (e instanceof AuditPathError) throw e;
  }
}

export interface AuditFileOptions {
  /** Rotate when the file would grow beyond this many bytes (0: never). */
  maxBytes: number;
  /** Rotated files kept. */
  keep: number;
  onError: (e: Error) => void;
}

export class AuditFile {
  private fd: number;
  private size: number;
  private failed = false;
  private pending: string[] = [];

  constructor(readonly path: string, private readonly opts: AuditFileOptions) {
    checkAuditPath(path);
    this.fd = openSync(path, "a", 0o600);
    this.size = fstatSync(this.fd).size;
  }

  /** Queue a record; it reaches the file at the next commit(), before anything is forwarded. */
  write(record: AuditRecord): void {
    this.pending.push(auditLine(record));
  }

  writeAll(records: readonly AuditRecord[]): void {
    for (const r of records) this.write(r);
  }

  /** Write the queued records: one synchronous write (one per file when the batch crosses a rotation). */
  commit(): void {
    if (this.pending.length === 0) return;
    const lines = this.pending;
    this.pending = [];
    const max = this.opts.maxBytes;
    if (max <= 0) {
      this.writeText(lines.length === 1 ? lines[0] : lines.join(""));
      return;
    }
    let batch: string[] = [];
    let batchBytes = 0;
    for (const line of lines) {
      const n = Buffer.byteLength(line);
      if (this.size + batchBytes + n > max && this.size + batchBytes > 0) {
        if (batch.length) this.writeText(batch.join(""));
        batch = [];
        batchBytes = 0;
        this.rotate();
      }
      batch.push(line);
      batchBytes += n;
    }
    if (batch.length) this.writeText(batch.join(""));
  }

  private writeText(text: string): void {
    try {
      const bytes = Buffer.byteLength(text);
      const written = writeSync(this.fd, text);
      // A short write (rare: a full disk, a signal) is completed from the bytes that are left.
      if (written < bytes) {
        const rest = Buffer.from(text).subarray(written);
        for (let off = 0; off < rest.length; ) off += writeSync(this.fd, rest, off);
      }
      this.size += bytes;
      this.failed = false;
    } catch (e) {
      // Reported once per failure streak (a full disk must not flood stderr); messages keep flowing.
      if (!this.failed) this.opts.onError(e as Error);
      this.failed = true;
    }
  }

  private rotate(): void {
    try {
      closeSync(this.fd);
      const keep = Math.max(1, this.opts.keep);
      rmSync(`${this.path}.${keep}`, { force: true });
      for (let i = keep - 1; i >= 1; i--) {
        if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
      }
      renameSync(this.path, `${this.path}.1`);
    } catch (e) {
      this.opts.onError(e as Error);
    }
    try {
      this.fd = openSync(this.path, "a", 0o600);
      this.size = fstatSync(this.fd).size;
    } catch (e) {
      this.opts.onError(e as Error); // the next write reports again (and retries the old descriptor's path)
    }
  }

  close(): void {
    this.commit();
    try {
      fsyncSync(this.fd);
    } catch {
      // not every file supports fsync (e.g. /dev/null)
    }
    closeSync(this.fd);
  }
}

/** "10485760", "10M", "10MiB", "512k": bytes. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$/i.exec(text);
  if (!m) throw new Error(`not a size: ${JSON.stringify(text)} (e.g. 10M)`);
  const unit = { "": 1, k: 1 << 10, m: 1 << 20, g: 1 << 30, t: 2 ** 40 }[m[2].toLowerCase() as "" | "k" | "m" | "g" | "t"];
  return Math.floor(Number(m[1]) * unit);
}
