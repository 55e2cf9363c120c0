// What the upstream answers, on its way back to the client: JSON bodies go through the engine's scan as one
// message, event streams through an engine SSE stream (a secret split across chunks is still caught), and a
// tools/list answer loses the tools the policy blocks. Other bodies pass as they are, as on the Envoy host.
import { EngineTrap, type DlpStream, type StreamChunk } from "../../kit/engine.ts";
import type { Gate } from "./gate.ts";
import { bodyOf, scanFailure } from "./failure.ts";

/** Headers for a body the Worker rewrote: its length changed and it is no longer compressed. */
function rewrittenHeaders(h: Headers): Headers {
  const out = new Headers(h);
  out.delete("content-length");
  out.delete("content-encoding");
  return out;
}

function mediaType(h: Headers): string {
  return (h.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
}

export async function scanResponse(res: Response, gate: Gate, toolsList: boolean): Promise<Response> {
  if (res.body === null) return res;
  if (!gate.engine.policy.dlp && !toolsList) return res; // nothing in it could change
  const type = mediaType(res.headers);
  if (type === "application/json") return scanJson(res, gate, toolsList);
  if (type === "text/event-stream") return scanEvents(res, gate, toolsList);
  return res;
}

async function scanJson(res: Response, gate: Gate, toolsList: boolean): Promise<Response> {
  const body = new Uint8Array(await res.arrayBuffer());
  let output: Uint8Array;
  try {
    const r = gate.engine.scan(body, { toolsList });
    if (r.events.length) gate.audit.dlp(r.events);
    output = r.output;
  } catch (e) {
    if (e instanceof EngineTrap) return scanFailure(gate, e);
    throw e;
  }
  return new Response(bodyOf(output), { status: res.status, statusText: res.statusText, headers: rewrittenHeaders(res.headers) });
}

function scanEvents(res: Response, gate: Gate, toolsList: boolean): Response {
  let stream: DlpStream | null = gate.engine.openStream("sse", { toolsList });
  const close = () => {
    // Frees the stream's carry in the engine; what it still held is not sent anywhere.
    try {
      stream?.end();
    } catch {
      // the engine restarted: the stream is gone already
    }
    stream = null;
  };
  const pass = (step: StreamChunk, out: TransformStreamDefaultController<Uint8Array>) => {
    if (step.events.length) gate.audit.dlp(step.events);
    if (step.output.length) out.enqueue(step.output);
  };
  // An engine failure mid-stream breaks the response off: the rest is withheld, never passed unscanned.
  const guarded = (f: () => void) => {
    try {
      f();
    } catch (e) {
      stream = null;
      if (e instanceof EngineTrap) gate.audit.event("ENGINE_FAILURE", { reason: e.message, direction: "downstream" }, "WARN");
      throw e;
    }
  };
  const scanned = new TransformStream<Uint8Array, Uint8Array>({
    transform: (chunk, out) => guarded(() => pass(stream!.write(chunk), out)),
    flush: (out) =>
      guarded(() => {
        const rest = stream!.end();
        stream = null;
        pass(rest, out);
      }),
    cancel: close,
  } as Transformer<Uint8Array, Uint8Array>);
  const body = res.body!.pipeThrough(scanned);
  return new Response(body, { status: res.status, statusText: res.statusText, headers: rewrittenHeaders(res.headers) });
}
