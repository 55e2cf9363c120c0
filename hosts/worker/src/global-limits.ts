// Rate limits across all isolates (optional): with a RATE_LIMITS Durable Object binding, every POSTed message
// is decided by one Durable Object instance, whose engine holds the only token buckets. The Worker still
// renders nothing itself: the Durable Object runs the same engine with the same bundle (the same module, the
// same KV) and returns the engine's verdict. The price is a round trip to wherever that one instance lives,
// for every decision (docs/worker.md).
import { EngineTrap, type Verdict } from "../../kit/engine.ts";
import type { Env } from "./env.ts";
import { Gate } from "./gate.ts";
import { settings } from "./settings.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A verdict as JSON: the engine's reply or rewritten message is UTF-8 JSON text. */
type WireVerdict = Omit<Verdict, "response"> & { response: string | null };

export class ToolgateLimits {
  constructor(_state: unknown, private readonly env: Env) {}

  async fetch(request: Request): Promise<Response> {
    const gate = await Gate.ready(this.env, settings(this.env));
    const message = new Uint8Array(await request.arrayBuffer());
    try {
      const v = gate.engine.evaluate(message, Date.now());
      const wire: WireVerdict = { ...v, response: v.response === null ? null : dec.decode(v.response) };
      return new Response(JSON.stringify(wire), { headers: { "content-type": "application/json" } });
    } catch (e) {
      if (e instanceof EngineTrap) return new Response(e.message, { status: 500 });
      throw e;
    }
  }
}

/** The verdict of the one global instance; an engine failure there fails this message closed here. */
export async function globalVerdict(ns: NonNullable<Env["RATE_LIMITS"]>, message: Uint8Array): Promise<Verdict> {
  const stub = ns.get(ns.idFromName("global"));
  const res = await stub.fetch("https://toolgate-limits/evaluate", { method: "POST", body: message as Uint8Array<ArrayBuffer> });
  if (res.status !== 200) throw new EngineTrap(`rate-limit Durable Object: ${await res.text()}`);
  const wire = (await res.json()) as WireVerdict;
  return { ...wire, response: wire.response === null ? null : enc.encode(wire.response) };
}
