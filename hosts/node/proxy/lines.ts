// Newline-delimited framing (MCP stdio): chunks in, complete lines out, each with its own "\n". Lines that
// fit in one chunk are passed on as views of it (no copy); longer ones are joined once. A line longer than the
// cap is not buffered past it: its first maxBytes + 1 bytes are passed on as an oversized line and the rest
// is discarded up to the next newline, so memory stays bounded whatever the peer sends.

export interface LineSink {
  /** A complete line, ending in "\n" unless it was the last, unterminated line of the stream. */
  line(bytes: Buffer): void;
  /** A line longer than the cap: its first maxBytes + 1 bytes. */
  oversized(prefix: Buffer): void;
}

export class LineReader {
  private parts: Buffer[] = [];
  private partBytes = 0;
  private discarding = false;

  constructor(private readonly maxBytes: number, private readonly sink: LineSink) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      const stop = nl < 0 ? chunk.length : nl + 1;
      if (this.discarding) {
        if (nl >= 0) this.discarding = false;
      } else if (this.partBytes === 0 && nl >= 0 && stop - start <= this.maxBytes + 1) {
        this.sink.line(chunk.subarray(start, stop));
      } else {
        this.keep(chunk.subarray(start, stop), nl >= 0);
      }
      start = stop;
    }
  }

  /** The stream ended: a last line without "\n" is still a line. */
  end(): void {
    if (this.partBytes > 0 && !this.discarding) this.sink.line(this.take());
    this.parts = [];
    this.partBytes = 0;
    this.discarding = false;
  }

  private keep(piece: Buffer, complete: boolean): void {
    // The limit counts the line's content; its "\n" is free.
    const content = complete ? piece.length - 1 : piece.length;
    if (this.partBytes + content > this.maxBytes) {
      const room = this.maxBytes + 1 - this.partBytes;
      this.parts.push(Buffer.from(piece.subarray(0, room)));
      this.partBytes += room;
      const prefix = this.take();
      this.discarding = !complete;
      this.sink.oversized(prefix);
      return;
    }
    // Copy: the chunk's memory may be reused by the stream once this call returns.
    this.parts.push(complete ? piece : Buffer.from(piece));
    this.partBytes += piece.length;
    if (complete) this.sink.line(this.take());
  }

  private take(): Buffer {
    const out = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.partBytes);
    this.parts = [];
    this.partBytes = 0;
    return out;
  }
}
