// The proxy's own lines on stderr (stdout carries JSON-RPC), prefixed "[toolgate] " like aip-go's "[aip-proxy] ".
// Nothing logged here is a raw message: names are quoted, server lines are logged only after DLP.
import type { Writable } from "node:stream";

export class Logger {
  constructor(private readonly out: Writable, readonly verbose: boolean) {}

  info(text: string): void {
    this.out.write(`[toolgate] ${text}\n`);
  }

  /** Only with --verbose. */
  debug(text: string): void {
    if (this.verbose) this.out.write(`[toolgate] ${text}\n`);
  }

  error(text: string): void {
    this.out.write(`[toolgate] error: ${text}\n`);
  }
}

/** A name or text from a peer, safe to put on one log line (quoted, control characters escaped, bounded). */
export function quote(s: string | null | undefined, max = 200): string {
  if (s === null || s === undefined) return "-";
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);
}

/** At most max bytes of a message for a log line. */
export function excerpt(bytes: Uint8Array, max = 2048): string {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 10 || bytes[end - 1] === 13)) end--;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(end, max)).toString("utf8");
  return end > max ? `${text}… (${end} bytes)` : text;
}
