// What the upstream answers, on its way back to the client. A JSON body is read whole (up to a cap) and goes
// through the engine's scan as one message; an event stream goes through an engine SSE stream chunk by chunk,
// pulled only as fast as the client reads (a secret split across chunks is still caught, nothing piles up);
// a tools/list answer loses the tools the policy blocks. Other bodies pass as they are. A stream the upstream
// breaks off ends with a JSON-RPC error event for the request it was answering.
import { EngineTrap, type DlpStream, type StreamChunk } from "../engine.ts";
import { hostError } from "../host-errors.ts";
import type { GatewayHost } from "./mcp.ts";
import { DONE, header, jsonAnswer, withoutHeaders, type Answer, type Chunks, type UpstreamAnswer } from "./http.ts";
import { faultAnswer, upstreamFault, upstreamName, type Exchange } from "./upstream.ts";

const enc = new TextEncoder();

/** Headers of a body the gateway passes on: its length may change, it is not compressed, the connection is ours. */
const NOT_PASSED = new Set(["content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive"]);

function mediaType(res: UpstreamAnswer): string {
  return (header(res.headers, "content-type") ?? "").split(";")[0].trim().toLowerCase();
}

function passOn(res: UpstreamAnswer, body: Uint8Array | Chunks | null): Answer {
  return { status: res.status, headers: withoutHeaders(res.headers, NOT_PASSED), body };
}

export async function scanAnswer(res: UpstreamAnswer, host: GatewayHost, x: Exchange): Promise<Answer> {
  const toolsList = x.verdict?.toolsList ?? false;
  const scan = !host.bypass && (host.engine.policy.dlp || toolsList);
  const type = mediaType(res);
  if (res.body !== null && scan && type === "application/json") return scanJson(res, res.body, host, x, toolsList);
  x.settle();
  if (res.body === null) return passOn(res, null);
  if (type === "text/event-stream") return passOn(res, eventStream(res.body, host, x, scan ? host.engine.openStream("sse", { toolsList }) : null));
  return passOn(res, res.body);
}

/** The body, or null when it is longer than `cap` bytes (then the rest is not read). */
async function readCapped(body: Chunks, cap: number): Promise<Uint8Array | null> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await body.next();
    if (done) break;
    size += value.length;
    if (size > cap) {
      await body.return();
      return null;
    }
    parts.push(value);
  }
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function scanJson(res: UpstreamAnswer, chunks: Chunks, host: GatewayHost, x: Exchange, toolsList: boolean): Promise<Answer> {
  let body: Uint8Array | null;
  try {
    body = await readCapped(chunks, host.maxResponseBytes);
  } catch (e) {
    if (x.timedOut) return upstreamFault(host, x.target, x.verdict, 504, `did not finish its answer within ${x.timeoutMs} ms`);
    return upstreamFault(host, x.target, x.verdict, 502, `broke off its answer: ${(e as Error)?.message ?? e}`);
  } finally {
    x.settle();
  }
  if (body === null) return upstreamFault(host, x.target, x.verdict, 502, `sent an answer larger than ${host.maxResponseBytes} bytes; it was withheld`);
  let output: Uint8Array;
  try {
    const r = host.engine.scan(body, { toolsList });
    // An answer that is not JSON (or nested too deep to read) was redacted as text, as on every host.
    if (r.events.length) host.audit.dlp(r.events);
    output = r.output;
  } catch (e) {
    if (e instanceof EngineTrap) return scanFailure(host, x, e);
    throw e;
  }
  return passOn(res, output);
}

/** A server message the engine could not scan is withheld, never passed on unscanned. */
function scanFailure(host: GatewayHost, x: Exchange, e: EngineTrap): Answer {
  host.audit.event("ENGINE_FAILURE", { reason: e.message, direction: "downstream" }, "WARN");
  return jsonAnswer(502, hostError(x.verdict?.id ?? null, "policy engine failure; the response was withheld", { policy_hash: host.engine.policyHash }));
}

/**
 * The event stream, pulled from the upstream as the client reads. `dlp` null: passed as it is (no DLP in the
 * policy, or bypass). An engine failure mid-stream breaks the answer off (next() rejects): the rest is
 * withheld, never passed unscanned.
 */
function eventStream(upstream: Chunks, host: GatewayHost, x: Exchange, dlp: DlpStream | null): Chunks {
  let open = dlp !== null;
  let finished = false;
  const endDlp = (): StreamChunk | null => {
    if (!open) return null;
    open = false;
    try {
      return dlp!.end();
    } catch {
      return null; // the engine restarted: the stream is gone already
    }
  };
  /** Scanned bytes to pass on (null: nothing yet), with their redactions audited. */
  const pass = (step: StreamChunk | null): Uint8Array | null => {
    if (step === null) return null;
    if (step.events.length) host.audit.dlp(step.events);
    return step.output.length > 0 ? step.output : null;
  };
  return {
    async next() {
      // Loop until there is something to pass on: a chunk the engine holds back whole (a secret may continue
      // in the next one) must not end the client's read empty-handed.
      while (!finished) {
        let chunk: IteratorResult<Uint8Array, undefined>;
        try {
          chunk = await upstream.next();
        } catch (e) {
          // The upstream broke the stream off: what the engine held back is dropped (an incomplete event).
          finished = true;
          open = false;
          const problem = `broke off its event stream: ${(e as Error)?.message ?? e}`;
          host.audit.event("UPSTREAM_FAILED", { upstream: upstreamName(x.target), reason: problem, method: x.verdict?.method ?? undefined }, "WARN");
          if (x.verdict?.kind === "request") return { done: false, value: enc.encode(`event: message\ndata: ${faultAnswer(x.verdict.id, upstreamName(x.target), problem)}\n\n`) };
          return DONE;
        }
        if (chunk.done) {
          finished = true;
          const rest = pass(endDlp());
          return rest === null ? DONE : { done: false, value: rest };
        }
        if (dlp === null) return chunk;
        let out: Uint8Array | null;
        try {
          out = pass(dlp.write(chunk.value));
        } catch (e) {
          finished = true;
          open = false;
          if (e instanceof EngineTrap) host.audit.event("ENGINE_FAILURE", { reason: e.message, direction: "downstream" }, "WARN");
          await upstream.return();
          throw e;
        }
        if (out !== null) return { done: false, value: out };
      }
      return DONE;
    },
    async return() {
      finished = true;
      endDlp();
      await upstream.return();
      return DONE;
    },
  };
}
