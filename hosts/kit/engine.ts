// The one binding of engine.wasm for TypeScript hosts (the CLI, the Node proxy and gateway, the Worker).
// It moves bytes in and out of the engine and turns the result record into objects; it decides nothing.
// Layout of the record and meaning of the calls: docs/engine-abi.md.

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Lowercase hex without Node's Buffer, so the kit also runs in a Worker. */
function hex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

export type VerdictKind = "forward" | "reply" | "ask" | "drop" | "rewrite";
export type Decision = "ALLOW" | "BLOCK" | "ASK" | "RATE_LIMITED" | "PROTECTED_PATH";
export type MessageKind = "request" | "notification" | "response" | "invalid";

const VERDICTS: VerdictKind[] = ["forward", "reply", "ask", "drop", "rewrite"];
const DECISIONS: Decision[] = ["ALLOW", "BLOCK", "ASK", "RATE_LIMITED", "PROTECTED_PATH"];
const KINDS: MessageKind[] = ["request", "notification", "response", "invalid"];

// Field offsets of the result record (engine-as/src/result.ts).
const R = {
  verdict: 0, decision: 4, code: 8, violation: 12, kind: 16, flags: 20, reason: 24, response: 32, method: 40,
  tool: 48, id: 56, rule: 64, failedArg: 72, path: 80, args: 88, retryMs: 96, events: 100, normName: 108,
} as const;
const F_TOOLS_CALL = 1;
const F_TOOLS_LIST = 2;
const F_MONITOR = 4;
const F_NOT_JSON = 8;

export interface Verdict {
  verdict: VerdictKind;
  decision: Decision;
  /** JSON-RPC error code of the denial (or, in monitor mode, of the violation that was let through). */
  errorCode: number | null;
  violation: boolean;
  /** The policy is in monitor mode and let a violation through. */
  monitor: boolean;
  kind: MessageKind;
  toolsCall: boolean;
  toolsList: boolean;
  reason: string;
  rule: string;
  /** What to send back to the sender (verdict "reply"). */
  response: Uint8Array | null;
  method: string | null;
  tool: string | null;
  /** JSON text of the request id, or null. */
  id: string | null;
  failedArg: string | null;
  protectedPath: string | null;
  /** JSON text of the tool arguments. */
  args: string | null;
  retryAfterMs: number | null;
}

export interface DlpEvent {
  rule: string;
  count: number;
}

export interface ScanResult {
  changed: boolean;
  /** The bytes to pass on: the input itself when nothing changed. */
  output: Uint8Array;
  events: DlpEvent[];
  notJson: boolean;
}

export const BUNDLE_ERRORS: Record<number, string> = {
  1: "not a toolgate bundle (bad magic)",
  2: "unsupported bundle format version",
  3: "truncated bundle",
  4: "malformed section table",
  5: "content hash mismatch (corrupt bundle)",
  6: "invalid regex automaton",
  7: "malformed table",
};

export class BundleError extends Error {
  constructor(public readonly code: number) {
    super(`bundle refused: ${BUNDLE_ERRORS[code] ?? `error ${code}`}`);
    this.name = "BundleError";
  }
}

interface Exports {
  memory: WebAssembly.Memory;
  tg_abi_version(): number;
  tg_input(len: number): number;
  tg_load(len: number): number;
  tg_evaluate(len: number, now: number): number;
  tg_deny(len: number, code: number): number;
  tg_scan(len: number, flags: number): number;
  tg_redact_text(len: number): number;
  tg_normalize(len: number): number;
  tg_policy_hash(): number;
  tg_dlp_name(i: number): number;
  tg_bundle_generation(): number;
  tg_policy_flags(): number;
  tg_stream_open(mode: number, flags: number): number;
  tg_stream_write(stream: number, len: number): number;
  tg_stream_end(stream: number): number;
}

/** Output of a stream step: the bytes that may be passed on now and the secrets redacted in them. */
export interface StreamChunk {
  output: Uint8Array;
  events: DlpEvent[];
}

/** A DLP stream: chunks in, scanned bytes out; a secret split across chunks is still redacted. */
export interface DlpStream {
  write(chunk: Uint8Array | string): StreamChunk;
  end(): StreamChunk;
}

export const ABI_VERSION = 1;

export class Engine {
  private ex: Exports;
  private bytes: Uint8Array;
  private view: DataView;
  private bundle: Uint8Array | null = null;
  private dlpNames: string[] = [];
  private hashHex: string | null = null;

  constructor(private readonly module: WebAssembly.Module) {
    this.ex = Engine.instantiate(module);
    this.bytes = new Uint8Array(this.ex.memory.buffer);
    this.view = new DataView(this.ex.memory.buffer);
  }

  private static instantiate(module: WebAssembly.Module): Exports {
    const ex = new WebAssembly.Instance(module, {}).exports as unknown as Exports;
    const v = ex.tg_abi_version();
    if (v !== ABI_VERSION) throw new Error(`engine.wasm speaks ABI ${v}, this host speaks ${ABI_VERSION}`);
    return ex;
  }

  /** Refresh the views when the engine's memory grew (growth detaches the old ArrayBuffer). */
  private sync(): void {
    if (this.bytes.buffer !== this.ex.memory.buffer) {
      this.bytes = new Uint8Array(this.ex.memory.buffer);
      this.view = new DataView(this.ex.memory.buffer);
    }
  }

  private put(data: Uint8Array | string): number {
    const b = typeof data === "string" ? enc.encode(data) : data;
    const p = this.ex.tg_input(b.length);
    this.sync();
    this.bytes.set(b, p);
    return b.length;
  }

  /** Run one engine call; a trap (engine bug or memory exhaustion) restarts the instance and reports failure. */
  private call<T>(f: () => T): T {
    try {
      const r = f();
      this.sync();
      return r;
    } catch (e) {
      if (!(e instanceof WebAssembly.RuntimeError)) throw e;
      this.restart();
      throw new EngineTrap(e.message);
    }
  }

  private restart(): void {
    this.ex = Engine.instantiate(this.module);
    this.bytes = new Uint8Array(this.ex.memory.buffer);
    this.view = new DataView(this.ex.memory.buffer);
    if (this.bundle) this.loadBundle(this.bundle);
  }

  private u32(base: number, off: number): number {
    return this.view.getUint32(base + off, true);
  }

  private span(base: number, off: number): Uint8Array | null {
    const p = this.u32(base, off);
    const n = this.u32(base, off + 4);
    return p === 0 && n === 0 ? null : this.bytes.subarray(p, p + n);
  }

  private str(base: number, off: number): string | null {
    const p = this.u32(base, off);
    const n = this.u32(base, off + 4);
    if (p === 0 && n === 0) return null;
    // Short ASCII text (methods, tool names, ids) without TextDecoder's fixed cost per call.
    if (n <= 32) {
      const b = this.bytes;
      let s = "";
      for (let i = p; i < p + n; i++) {
        const c = b[i];
        if (c >= 0x80) return dec.decode(b.subarray(p, p + n));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return dec.decode(this.bytes.subarray(p, p + n));
  }

  /** Validate and activate a bundle; on failure the previous bundle stays active. */
  loadBundle(bundle: Uint8Array): void {
    const n = this.put(bundle);
    const status = this.call(() => this.ex.tg_load(n));
    if (status !== 0) throw new BundleError(status);
    this.bundle = bundle.slice();
    const hp = this.ex.tg_policy_hash();
    this.hashHex = hex(this.bytes.subarray(hp, hp + 32));
    this.dlpNames = [];
    for (let i = 0; ; i++) {
      const r = this.ex.tg_dlp_name(i);
      this.sync();
      const name = this.str(r, R.response);
      if (name === null) break;
      this.dlpNames.push(name);
    }
  }

  /** SHA-256 content hash of the active bundle (64 hex characters), or null. */
  get policyHash(): string | null {
    return this.hashHex;
  }

  /** What the active policy asks of its host (flags of docs/bundle-format.md CONFIG). */
  get policy(): { mode: "enforce" | "monitor"; dlp: boolean; filterStderr: boolean } {
    const f = this.ex.tg_policy_flags();
    return { mode: f & 2 ? "monitor" : "enforce", dlp: (f & 8) !== 0, filterStderr: (f & 16) !== 0 };
  }

  get dlpPatternNames(): readonly string[] {
    return this.dlpNames;
  }

  /** Decide a message from the client. nowMs: a monotonic clock in milliseconds (rate limits). */
  evaluate(message: Uint8Array | string, nowMs: number = performance.now()): Verdict {
    const n = this.put(message);
    return this.verdict(this.call(() => this.ex.tg_evaluate(n, nowMs)));
  }

  /** Decide and return only the verdict code (0 forward ...): the engine's own cost, for benchmarks. */
  rawCall(): (message: Uint8Array, nowMs?: number) => number {
    return (message, nowMs = 0) => {
      const n = this.put(message);
      const r = this.ex.tg_evaluate(n, nowMs);
      this.sync();
      return this.view.getUint32(r, true);
    };
  }

  /** The answer to an asked call: -32004 when the human said no, -32005 when nobody answered in time. */
  deny(message: Uint8Array | string, code: -32004 | -32005): Verdict {
    const n = this.put(message);
    return this.verdict(this.call(() => this.ex.tg_deny(n, code)));
  }

  private verdict(r: number): Verdict {
    const flags = this.u32(r, R.flags);
    const code = this.view.getInt32(r + R.code, true);
    const retry = this.u32(r, R.retryMs);
    const response = this.span(r, R.response);
    return {
      verdict: VERDICTS[this.u32(r, R.verdict)],
      decision: DECISIONS[this.u32(r, R.decision)],
      errorCode: code === 0 ? null : code,
      violation: this.u32(r, R.violation) !== 0,
      monitor: (flags & F_MONITOR) !== 0,
      kind: KINDS[this.u32(r, R.kind)],
      toolsCall: (flags & F_TOOLS_CALL) !== 0,
      toolsList: (flags & F_TOOLS_LIST) !== 0,
      reason: this.str(r, R.reason) ?? "",
      rule: this.str(r, R.rule) ?? "",
      response: response === null ? null : response.slice(),
      method: this.str(r, R.method),
      tool: this.str(r, R.tool),
      id: this.str(r, R.id),
      failedArg: this.str(r, R.failedArg),
      protectedPath: this.str(r, R.path),
      args: this.str(r, R.args),
      retryAfterMs: retry === 0 ? null : retry,
    };
  }

  /** DLP and tools/list filtering of a message from the server. */
  scan(message: Uint8Array | string, opts: { toolsList?: boolean } = {}): ScanResult {
    const input = typeof message === "string" ? enc.encode(message) : message;
    const n = this.put(input);
    const r = this.call(() => this.ex.tg_scan(n, opts.toolsList ? F_TOOLS_LIST : 0));
    return this.scanResult(r, input);
  }

  /** DLP over plain text. */
  redactText(text: Uint8Array | string): ScanResult {
    const input = typeof text === "string" ? enc.encode(text) : text;
    const n = this.put(input);
    return this.scanResult(this.call(() => this.ex.tg_redact_text(n)), input);
  }

  private scanResult(r: number, input: Uint8Array): ScanResult {
    const changed = this.u32(r, R.verdict) === 4;
    const events: DlpEvent[] = [];
    const ep = this.u32(r, R.events);
    const count = this.u32(r, R.events + 4);
    for (let i = 0; i < count; i++) {
      const index = this.u32(ep, i * 8);
      const name = this.dlpNames[index & 0x7fffffff];
      events.push({ rule: index & 0x80000000 ? `${name} (encoded)` : name, count: this.u32(ep, i * 8 + 4) });
    }
    return {
      changed,
      output: changed ? (this.span(r, R.response) ?? new Uint8Array(0)).slice() : input,
      events,
      notJson: (this.u32(r, R.flags) & F_NOT_JSON) !== 0,
    };
  }

  /**
   * Open a DLP stream over this engine: "lines" (a process's stderr) or "sse" (a text/event-stream response;
   * toolsList when it answers a tools/list request). Streams belong to this instance: end every one.
   */
  openStream(mode: "lines" | "sse", opts: { toolsList?: boolean } = {}): DlpStream {
    const generation = this.ex;
    const handle = this.call(() => this.ex.tg_stream_open(mode === "sse" ? 1 : 0, opts.toolsList ? F_TOOLS_LIST : 0));
    let open = true;
    const step = (r: number): StreamChunk => {
      const { output, events } = this.scanResult(r, new Uint8Array(0));
      return { output, events };
    };
    const check = () => {
      if (!open) throw new Error("DLP stream already ended");
      if (this.ex !== generation) throw new EngineTrap("the engine restarted; the stream was lost");
    };
    return {
      write: (chunk) => {
        check();
        const n = this.put(chunk);
        return step(this.call(() => this.ex.tg_stream_write(handle, n)));
      },
      end: () => {
        check();
        open = false;
        return step(this.call(() => this.ex.tg_stream_end(handle)));
      },
    };
  }

  /** The engine's normalization of a tool or method name. */
  normalize(name: string): string {
    const n = this.put(name);
    return this.str(this.call(() => this.ex.tg_normalize(n)), R.response) ?? "";
  }

  /** Bytes of engine memory (for leak checks and benchmarks). */
  get memoryBytes(): number {
    return this.ex.memory.buffer.byteLength;
  }
}

/** The engine trapped; the instance was restarted with the same bundle. Hosts fail closed on it. */
export class EngineTrap extends Error {
  constructor(detail: string) {
    super(`policy engine failure: ${detail}`);
    this.name = "EngineTrap";
  }
}
