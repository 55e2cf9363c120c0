// The contract between the conformance runner and the host drivers. A driver runs one vector's message
// through a real host (the engine in-process, the stdio proxy, the HTTP gateway, Envoy, workerd) and reports
// what the client saw.

export interface DecisionInput {
  method: string;
  tool?: string;
  args?: unknown;
  requestId?: number | string;
  /** The exact message text to send (extension `input.raw`); overrides method/tool/args. */
  raw?: string;
  /** Calls of the same tool made before this one (rate limits). */
  previousCalls?: number;
  /** How the human answers an `ask` (default: no answer is given; the outcome is ASK). */
  userResponse?: "approve" | "deny" | "timeout";
}

export interface DecisionOutcome {
  decision: "ALLOW" | "BLOCK" | "ASK" | "RATE_LIMITED";
  errorCode: number | null;
  violation: boolean;
  /** The JSON-RPC message the client received instead of a server answer, parsed (null: none). */
  response: Record<string, unknown> | null;
  /** Did the message reach the server? */
  forwarded: boolean;
  rule?: string;
  reason?: string;
}

export interface ResponseInput {
  /** Plain text to redact (AIP DLP vectors: `input.content`). */
  content?: string;
  /** The exact JSON-RPC message the server sends (extension: `input.raw` with `type: response`). */
  raw?: string;
  /** The method of the request this answers (default tools/call). */
  requestMethod?: string;
}

export interface ResponseOutcome {
  output: string;
  events: { rule: string; count: number }[];
}

/**
 * Thrown by a driver for a vector its transport cannot carry at all (a multi-line message on a line-framed
 * stdio pipe; "no policy loaded" on a host that refuses to start without one). Counted as skipped, with the reason.
 */
export class NotApplicable extends Error {
  override name = "NotApplicable";
}

export interface HostDriver {
  readonly name: string;
  open(): Promise<void>;
  close(): Promise<void>;
  decide(policy: string | null, input: DecisionInput): Promise<DecisionOutcome>;
  respond(policy: string, input: ResponseInput): Promise<ResponseOutcome>;
}

/** Build the JSON-RPC request text a vector describes. */
export function requestText(input: DecisionInput, id: number | string = input.requestId ?? 1): string {
  if (input.raw !== undefined) return input.raw;
  const msg: Record<string, unknown> = { jsonrpc: "2.0", id, method: input.method };
  if (input.tool !== undefined || input.method.toLowerCase() === "tools/call") {
    msg.params = { name: input.tool ?? "", arguments: input.args ?? {} };
  }
  return JSON.stringify(msg);
}

/**
 * The message a response vector's server sends, answering the request with id `id`: the vector's raw text (its
 * own id wins, so hosts that match answers to requests by id see the pair), or a result whose only string value
 * is the vector's plain `content`, so DLP sees exactly that text.
 */
export function serverAnswer(input: ResponseInput, id: string | number): { id: string | number; text: string } {
  if (input.content !== undefined) return { id, text: JSON.stringify({ jsonrpc: "2.0", id, result: { text: input.content } }) };
  const text = input.raw ?? "";
  try {
    const rawId = JSON.parse(text)?.id;
    if (typeof rawId === "string" || typeof rawId === "number") return { id: rawId, text };
  } catch {
    // not JSON: sent as the answer to our request anyway
  }
  return { id, text };
}
