// What the upstream answers, on its way back to the client. A JSON body is read whole (up to a cap) and goes
// through the engine's scan as one message; an event stream goes through an engine SSE stream chunk by chunk,
// pulled only as fast as the client reads (a secret split across chunks is still caught, nothing piles up);
// a tools/list answer loses the tools the policy blocks. Other bodies pass as they are. A stream the upstream
// breaks off ends with a JSON-RPC error event for the request it was answering.
import { EngineTrap, type DlpStream, type StreamChunk, type Verdict } from "../engine.ts";
import { hostError } from "../host-errors.ts";
import type { GatewayHost } from "./mcp.ts";
import { jsonResponse } from "./mcp.ts";
import { faultAnswer, upstreamFault, upstreamName } from "./upstream.ts";

const enc = new TextEncoder();

export interface Exchange {
  target: URL;
  /** The verdict of the forwarded message (null: GET/DELETE, or bypass). */
  verdict: Verdict | null;
  /** Aborts the upstream request; `timer` fires it when the upstream is too slow. */
  abort: AbortController;
  timer: ReturnType<typeof setTimeout> | null;
  timedOut(): boolean;
}

/** Headers of a body the gateway passes on: its length may change and it is no longer compressed. */
function passedHeaders(h: Headers): Headers {
  const out = new Headers(h);
  for (const name of ["content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive"]) out.delete(name);
  return out;
}

function mediaType(h: Headers): string {
  return (h.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
}

function passOn(res: Response, body: BodyInit | null): Response {
  return new Response(body, { status: res.status, statusText: res.statusText, headers: passedHeaders(res.headers) });
}

export async function scanResponse(res: Response, host: GatewayHost, x: Exchange): Promise<Response> {
  const toolsList = x.verdict?.toolsList ?? false;
  const scan = !host.bypass && (host.engine.policy.dlp || toolsList);
  const type = mediaType(res.headers);
  if (res.body !== null && scan && type === "application/json") return scanJson(res, host, x, toolsList);
  if (x.timer) clearTimeout(x.timer);
  if (res.body === null) return passOn(res, null);
  if (type === "text/event-stream") return passOn(res, eventStream(res.body, host, x, scan ? host.engine.openStream("sse", { toolsList }) : null));
  return passOn(res, res.body);
}

/** The body, or null when it is longer than `cap` bytes (then the rest is not read). */
async function readCapped(body: ReadableStream<Uint8Array>, cap: number): Promise<Uint8Array | null> {
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > cap) {
      await reader.cancel().catch(() => {});
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

async function scanJson(res: Response, host: GatewayHost, x: Exchange, toolsList: boolean): Promise<Response> {
  let body: Uint8Array | null;
  try {
    body = await readCapped(res.body!, host.maxResponseBytes);
  } catch (e) {
    if (x.timedOut()) return upstreamFault(host, x.target, x.verdict, 504, `did not finish its answer within ${host.upstreamTimeoutMs} ms`);
    return upstreamFault(host, x.target, x.verdict, 502, `broke off its answer: ${(e as Error)?.message ?? e}`);
  } finally {
    if (x.timer) clearTimeout(x.timer);
  }
  if (body === null) return upstreamFault(host, x.target, x.verdict, 502, `sent an answer larger than ${host.maxResponseBytes} bytes; it was withheld`);
  let output: Uint8Array;
  try {
    const r = host.engine.scan(body, { toolsList });
    // An answer that is not JSON (or nested too deep to read) was redacted as text, as on every host.
    if (r.events.length) host.audit.dlp(r.events);
    output = r.output;
  } catch (e) {
    if (e instanceof EngineTrap) return scanFailure(host, x.verdict, e);
    throw e;
  }
  return passOn(res, output as Uint8Array<ArrayBuffer>);
}

/** A server message the engine could not scan is withheld, never passed on unscanned. */
function scanFailure(host: GatewayHost, v: Verdict | null, e: EngineTrap): Response {
  host.audit.event("ENGINE_FAILURE", { reason: e.message, direction: "downstream" }, "WARN");
  return jsonResponse(502, hostError(v?.id ?? null, "policy engine failure; the response was withheld", { policy_hash: host.engine.policyHash }));
}

/**
 * The event stream, pulled from the upstream as the client reads. `dlp` null: passed as it is (no DLP in the
 * policy, or bypass). An engine failure mid-stream breaks the response off: the rest is withheld, never passed
 * unscanned.
 */
function eventStream(upstream: ReadableStream<Uint8Array>, host: GatewayHost, x: Exchange, dlp: DlpStream | null): ReadableStream<Uint8Array> {
  const reader = upstream.getReader();
  let open = dlp !== null;
  const endDlp = (): StreamChunk | null => {
    if (!open) return null;
    open = false;
    try {
      return dlp!.end();
    } catch {
      return null; // the engine restarted: the stream is gone already
    }
  };
  const pass = (step: StreamChunk | null, out: ReadableStreamDefaultController<Uint8Array>): boolean => {
    if (step === null) return false;
    if (step.events.length) host.audit.dlp(step.events);
    if (step.output.length === 0) return false;
    out.enqueue(step.output);
    return true;
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(out) {
        // Loop until something was passed on: a chunk the engine holds back whole (a secret may continue in
        // the next one) must not leave the client's read waiting.
        for (;;) {
          let chunk: ReadableStreamReadResult<Uint8Array>;
          try {
            chunk = await reader.read();
          } catch (e) {
            // The upstream broke the stream off: what the engine held back is dropped (an incomplete event).
            open = false;
            const problem = `broke off its event stream: ${(e as Error)?.message ?? e}`;
            host.audit.event("UPSTREAM_FAILED", { upstream: upstreamName(x.target), reason: problem, method: x.verdict?.method ?? undefined }, "WARN");
            if (x.verdict?.kind === "request") out.enqueue(enc.encode(`event: message\ndata: ${faultAnswer(x.verdict.id, upstreamName(x.target), problem)}\n\n`));
            out.close();
            return;
          }
          if (chunk.done) {
            pass(endDlp(), out);
            out.close();
            return;
          }
          if (dlp === null) {
            out.enqueue(chunk.value);
            return;
          }
          try {
            if (pass(dlp.write(chunk.value), out)) return;
          } catch (e) {
            open = false;
            if (e instanceof EngineTrap) host.audit.event("ENGINE_FAILURE", { reason: e.message, direction: "downstream" }, "WARN");
            await reader.cancel().catch(() => {});
            throw e;
          }
        }
      },
      async cancel(reason) {
        endDlp();
        await reader.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}
